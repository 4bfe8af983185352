//! Database access: one connection type over SQLite and PostgreSQL, a pool, embedded
//! migrations, and one module of queries per aggregate.

pub mod audit;
pub mod awards;
pub mod calendar;
pub mod changes;
pub mod documents;
pub mod evaluations;
pub mod orgs;
pub mod outbox;
pub mod projects;
pub mod proposals;
pub mod public;
pub mod reviews;
pub mod rosters;
pub mod rounds;
pub mod samples;
pub mod schema;
pub mod sessions;
pub mod tasks;
pub mod throttle;
pub mod tokens;
pub mod types;
pub mod users;
pub mod visits;

pub use types::Json;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::clock::Clock;
use crate::error::AppError;

diesel::define_sql_function! {
    /// SQL `lower()`, so that searches ignore case the same way on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The `LIKE` pattern (escaped with `\`) of a search box's text, lowercase, or `None` when the
/// box is empty.
pub fn contains_pattern(text: Option<&str>) -> Option<String> {
    let text = text.map(str::trim).filter(|s| !s.is_empty())?;
    Some(format!(
        "%{}%",
        text.to_lowercase().replace('%', "\\%").replace('_', "\\_")
    ))
}

/// A boxed query over proposals joined to their organization, narrowed to those whose title,
/// organization name or number holds the search box's text (`Option<&str>`).
macro_rules! proposal_search {
    ($query:expr, $text:expr) => {{
        use $crate::db::schema::{organizations, proposals};
        let mut q = $query;
        if let Some(pat) = $crate::db::contains_pattern($text) {
            q = q.filter(
                $crate::db::lower(proposals::title)
                    .like(pat.clone())
                    .escape('\\')
                    .or($crate::db::lower(organizations::name)
                        .like(pat.clone())
                        .escape('\\'))
                    .or(proposals::number.like(pat.to_uppercase()).escape('\\')),
            );
        }
        q
    }};
}
pub(crate) use proposal_search;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Built by [`DbManager`], never by `establish`, which would
/// silently turn a mistyped PostgreSQL URL into a SQLite file path.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<DbManager>;
pub type PooledConn = PooledConnection<DbManager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The backend named by a database URL's scheme: `postgres://` / `postgresql://` is
    /// PostgreSQL, `sqlite://PATH` or a bare path is SQLite.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

#[derive(Debug)]
pub struct DbManager {
    url: String,
    backend: Backend,
}

impl DbManager {
    pub fn new(url: &str) -> Self {
        let backend = Backend::of_url(url);
        let url = match backend {
            Backend::Postgres => url.to_string(),
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_string(),
        };
        DbManager { url, backend }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut c = diesel::SqliteConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
                     PRAGMA cache_size = -8000;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// Asked as a connection goes back to the pool. A connection is not tested when it is
    /// taken out (that would cost every request a round trip to PostgreSQL); instead one that
    /// lost its server during the request (see [`connection_lost`]) or whose transaction state
    /// is broken is dropped here, and the pool opens a fresh one.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        LOST.with(|l| l.replace(false))
            || match conn {
                DbConn::Pg(c) => c.is_broken(),
                DbConn::Sqlite(c) => c.is_broken(),
            }
    }
}

thread_local! {
    /// Set when a query on this thread found its connection closed; read (and cleared) as the
    /// connection goes back to the pool, on the same thread.
    static LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the connection in use on this thread as dead (PostgreSQL restarted, a network cut,
/// an administrator's `pg_terminate_backend`), so the pool drops it instead of lending it out
/// again. Called where a database error becomes an [`AppError`].
pub fn connection_lost() {
    LOST.with(|l| l.set(true));
}

/// Builds the pool. SQLite gets a small pool (one writer at a time anyway). A request that
/// waits [`POOL_TIMEOUT`] for a connection is answered 503 (see [`build_pool_with`]).
pub fn build_pool(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    build_pool_with(url, max_size, POOL_TIMEOUT)
}

/// How long a request waits for a pooled connection by default.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// [`build_pool`] with the wait for a free connection given.
pub fn build_pool_with(url: &str, max_size: u32, timeout: Duration) -> anyhow::Result<DbPool> {
    let manager = DbManager::new(url);
    let size = match manager.backend {
        Backend::Sqlite => max_size.min(8),
        Backend::Postgres => max_size,
    };
    let pool = Pool::builder()
        .max_size(size)
        .connection_timeout(timeout)
        // No `SELECT 1` before every request: dead connections are dropped as they come back
        // (`has_broken`), at the cost of one 503 per connection after a database restart.
        .test_on_check_out(false)
        .build(manager)
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", redact_url(url)))?;
    Ok(pool)
}

/// Runs the embedded migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<usize> {
    let ran = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if ran > 0 {
        // Figures first stored by a migration that just ran: computed once, here.
        projects::refresh_missing_figures(conn)?;
        reviews::fill_score_lists(conn)?;
    }
    Ok(ran)
}

/// A URL fit for logs: the password is replaced.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The current instant as stored (UTC, truncated to microseconds) on the clock installed for
/// the running code (see [`crate::clock`]).
pub fn now() -> NaiveDateTime {
    Clock::current().now()
}

/// Today's date in Beijing, where every deadline and date of the product is read.
pub fn today() -> chrono::NaiveDate {
    Clock::current().today()
}

/// Runs `f` as one write transaction. On SQLite the write lock is taken first (a write to
/// `audit_head`), so concurrent writers queue on the busy timeout instead of failing
/// when a read transaction cannot be upgraded.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    conn.transaction(|c| {
        if matches!(c, DbConn::Sqlite(_)) {
            c.batch_execute("UPDATE audit_head SET entries = entries WHERE id = 1")?;
        }
        f(c)
    })
}

/// Runs blocking database work off the async executor, on actix's blocking pool, with the
/// caller's clock installed.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    let clock = Clock::current();
    actix_web::web::block(move || {
        clock.enter(|| {
            let waiting = std::time::Instant::now();
            let conn = pool.get();
            crate::telemetry::record_pool_wait(waiting.elapsed());
            let mut conn = conn?;
            f(&mut conn)
        })
    })
    .await
    .map_err(|e| AppError::Unexpected(format!("blocking task failed: {e}")))?
}

/// A page of a list: `page` starts at 1; `per_page` is 50 unless asked, at most 200.
#[derive(Debug, Clone, Copy)]
pub struct PageReq {
    pub page: i64,
    pub per_page: i64,
}

impl PageReq {
    pub const DEFAULT_PER_PAGE: i64 = 50;
    pub const MAX_PER_PAGE: i64 = 200;
    /// Beyond any real list (and far from where `offset` could overflow).
    pub const MAX_PAGE: i64 = 1_000_000;

    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Self {
        PageReq {
            page: page.unwrap_or(1).clamp(1, Self::MAX_PAGE),
            per_page: per_page
                .unwrap_or(Self::DEFAULT_PER_PAGE)
                .clamp(1, Self::MAX_PER_PAGE),
        }
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
    /// This page of a list of `total` rows, holding `items`.
    pub fn paged<T>(&self, items: Vec<T>, total: i64) -> Paged<T> {
        Paged {
            items,
            total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Paged<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// The next value of a named counter (1 for a new one); inside the caller's transaction, so
/// numbers are never reused.
pub fn next_in_counter(conn: &mut DbConn, name: &str) -> Result<i64, AppError> {
    use schema::counters;
    let bumped: Option<i64> = diesel::update(counters::table.find(name))
        .set(counters::value.eq(counters::value + 1))
        .returning(counters::value)
        .get_result(conn)
        .optional()?;
    match bumped {
        Some(v) => Ok(v),
        None => {
            diesel::insert_into(counters::table)
                .values((counters::name.eq(name), counters::value.eq(1i64)))
                .execute(conn)?;
            Ok(1)
        }
    }
}
