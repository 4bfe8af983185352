//! Builds the server from settings: database, migrations, first admin, worker, routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};

use crate::auth::Jwt;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::domain::limits;
use crate::web::AppState;

pub struct Started {
    pub server: actix_web::dev::Server,
    pub pool: DbPool,
    pub port: u16,
    /// Email and one-time password of the admin created on an empty database.
    pub first_admin: Option<(String, String)>,
    /// The clock the app reads the time from.
    pub clock: Clock,
}

/// Opens the database, brings its schema up to date and loads the audit key for its chain
/// (sealing unkeyed entries on the first start with a key). Refuses to go on with a key other
/// than the one that signed the newest audit entry: instances sharing a database must share
/// `audit_key`.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DbPool> {
    open(settings, true).await
}

/// [`open_database`] that does not refuse another audit key: for `yichuang audit verify`,
/// which reports the entries that do not match it.
pub async fn open_database_to_verify(settings: &Settings) -> anyhow::Result<DbPool> {
    open(settings, false).await
}

async fn open(settings: &Settings, check_key: bool) -> anyhow::Result<DbPool> {
    if db::Backend::of_url(settings.database_url.expose()) == db::Backend::Sqlite {
        std::fs::create_dir_all(&settings.data_dir)?;
    }
    let url = settings.database_url.expose().to_string();
    let size = settings.db_pool_size;
    let timeout = std::time::Duration::from_millis(settings.db_pool_timeout_ms.max(1));
    let key = db::audit::AuditKey::new(settings.audit_key.expose());
    tokio::task::spawn_blocking(move || -> anyhow::Result<DbPool> {
        let pool = db::build_pool_with(&url, size, timeout)?;
        let mut conn = pool
            .get()
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", db::redact_url(&url)))?;
        let ran = db::run_migrations(&mut conn)?;
        if ran > 0 {
            tracing::info!(migrations = ran, "database schema updated");
        }
        let opened = db::audit::open_chain(&mut conn, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let db::audit::Opened::Sealed { legacy_entries } = opened {
            if legacy_entries > 0 {
                tracing::warn!(
                    legacy_entries,
                    "the audit chain is keyed from now on; its unkeyed entries were sealed \
                     (expected once per installation: if you see this again, the audit log \
                     was rewritten)"
                );
            }
        }
        if check_key
            && !db::audit::key_matches(&mut conn, &key).map_err(|e| anyhow::anyhow!("{e}"))?
        {
            anyhow::bail!(
                "YICHUANG_AUDIT_KEY is not the key of the newest audit entry: every instance \
                 on one database must use the same audit key (run `yichuang audit verify`)"
            );
        }
        Ok(pool)
    })
    .await?
}

/// Starts serving on `listener` on the system clock; the returned server runs when awaited
/// (or spawned).
pub async fn start(settings: Settings, listener: TcpListener) -> anyhow::Result<Started> {
    start_with_clock(settings, listener, Clock::system()).await
}

/// [`start`] with the app (its requests, database work and worker) reading the time from
/// `clock`: tests start it on a movable clock and move it.
pub async fn start_with_clock(
    settings: Settings,
    listener: TcpListener,
    clock: Clock,
) -> anyhow::Result<Started> {
    // One TLS crypto provider for SMTP (and anything else using rustls in this process).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The metrics recorder, before anything records (the worker's first pass).
    crate::telemetry::handle();
    let settings = Arc::new(settings);
    let pool = open_database(&settings).await?;
    let p = pool.clone();
    let c = clock.clone();
    let first_admin = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = p.get()?;
        c.enter(|| crate::ops::accounts::bootstrap_admin(&mut conn))
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await??;
    if settings.worker {
        crate::jobs::spawn_worker(pool.clone(), settings.clone(), clock.clone())?;
    }
    let port = listener.local_addr()?.port();
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        jwt: Jwt::new(settings.jwt_secret.expose(), settings.session_hours),
        pii: crate::pii::PiiKey::new(settings.pii_key.expose()),
        settings: settings.clone(),
        clock: clock.clone(),
        public_cache: crate::web::public_cache::PublicCache::new(std::time::Duration::from_millis(
            settings.public_cache_check_ms,
        )),
        reads: Default::default(),
        reader_cache: crate::web::reader_cache::ReaderCache::new(settings.reader_cache_mb),
        sessions: crate::auth::session_cache::SessionCache::new(std::time::Duration::from_millis(
            settings.session_cache_ms,
        )),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // Urlencoded forms (read as bytes by `CsrfForm`): well above any form's field
            // limits, so only abuse meets it (a readable 413 page).
            .app_data(web::FormConfig::default().limit(limits::FORM_BODY_MAX_BYTES))
            .app_data(web::PayloadConfig::default().limit(limits::FORM_BODY_MAX_BYTES))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                crate::error::AppError::BadRequest(
                    crate::i18n::Msg::new("error.malformed_query").arg("detail", err),
                )
                .into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| crate::error::AppError::NotFound.into()),
            )
            .wrap(from_fn(crate::web::reader_cache::layer))
            .wrap(from_fn(crate::web::page_layer))
            .wrap(Compress::default())
            .wrap(from_fn(crate::telemetry::request_layer))
            .wrap(from_fn(crate::web::writes_layer))
            .wrap(from_fn(crate::web::clock_layer))
            .configure(crate::web::routes)
    })
    .listen(listener)?;
    if settings.http_workers > 0 {
        server = server.workers(settings.http_workers);
    }
    Ok(Started {
        server: server.run(),
        pool,
        port,
        first_admin,
        clock,
    })
}
