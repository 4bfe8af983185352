//! Settings: built-in defaults < `yichuang.toml` (or the file named by `YICHUANG_CONFIG`)
//! < `YICHUANG_*` environment variables < command-line flags. Passed around as app data.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// A secret that never shows up in logs or debug output.
#[derive(Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the SQLite database, the `.eml` outbox and the generated JWT secret live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty means SQLite at `<data_dir>/yichuang.db`.
    pub database_url: Secret,
    /// Address to listen on.
    pub bind: String,
    pub port: u16,
    /// Public address used in email links; defaults to `http://localhost:<port>`.
    pub base_url: String,
    /// `smtp://user:pass@host:port` (STARTTLS with `?tls=required`) or `smtps://…`; empty
    /// writes emails as `.eml` files under `<data_dir>/outbox/`.
    pub smtp_url: Secret,
    pub mail_from: String,
    /// HMAC key for session tokens. Empty: generated once and kept in `<data_dir>/jwt_secret`
    /// (set it explicitly when several instances share one database).
    pub jwt_secret: Secret,
    /// HMAC key of the audit hash chain (`YICHUANG_AUDIT_KEY`, at least 32 characters). Keep
    /// it outside the database and its backups: whoever holds it can rewrite the audit log
    /// undetected. Empty: generated once and kept in `<data_dir>/audit_key` (set it
    /// explicitly when several instances share one database; they must all use the same key).
    pub audit_key: Secret,
    pub session_hours: i64,
    /// Mark cookies `Secure` (serve over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted load balancer only).
    pub trust_proxy: bool,
    pub db_pool_size: u32,
    /// HTTP worker threads; 0 means one per core.
    pub http_workers: usize,
    /// Run the background worker (outbox sender) in this instance.
    pub worker: bool,
    pub worker_interval_ms: u64,
    /// Failed logins (per account and per client address) before a lock.
    pub login_max_failures: i32,
    pub login_lock_minutes: i64,
    pub upload_max_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("data"),
            database_url: Secret::default(),
            bind: "127.0.0.1".into(),
            port: 8080,
            base_url: String::new(),
            smtp_url: Secret::default(),
            mail_from: "益创 Yichuang <noreply@yichuang.localhost>".into(),
            jwt_secret: Secret::default(),
            audit_key: Secret::default(),
            session_hours: 12,
            secure_cookies: false,
            trust_proxy: false,
            db_pool_size: 16,
            http_workers: 0,
            worker: true,
            worker_interval_ms: 2000,
            login_max_failures: 5,
            login_lock_minutes: 15,
            upload_max_bytes: 10 * 1024 * 1024,
        }
    }
}

impl Settings {
    /// Loads defaults, then the TOML file, then the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("YICHUANG_CONFIG").unwrap_or_else(|_| "yichuang.toml".into());
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("YICHUANG_").ignore(&["config"]))
            .extract()?;
        Ok(settings)
    }

    /// Fills what depends on other settings. Call after the command line was applied.
    pub fn finish(mut self) -> anyhow::Result<Settings> {
        if self.database_url.expose().is_empty() {
            self.database_url = Secret::new(
                self.data_dir
                    .join("yichuang.db")
                    .to_string_lossy()
                    .to_string(),
            );
        }
        if self.base_url.is_empty() {
            self.base_url = format!("http://localhost:{}", self.port);
        }
        self.base_url = self.base_url.trim_end_matches('/').to_string();
        if self.jwt_secret.expose().is_empty() {
            self.jwt_secret = Secret::new(load_or_create_secret(&self.data_dir, "jwt_secret")?);
        }
        if self.jwt_secret.expose().len() < 32 {
            anyhow::bail!("YICHUANG_JWT_SECRET must be at least 32 characters");
        }
        if self.audit_key.expose().is_empty() {
            self.audit_key = Secret::new(load_or_create_secret(&self.data_dir, "audit_key")?);
        }
        if self.audit_key.expose().len() < 32 {
            anyhow::bail!("YICHUANG_AUDIT_KEY must be at least 32 characters");
        }
        Ok(self)
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// The secret kept in the file `<dir>/<name>`, created (readable by the owner only) if it is
/// missing or too short.
fn load_or_create_secret(dir: &Path, name: &str) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s);
        }
    }
    let s = crate::auth::random_token();
    std::fs::write(&path, &s)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(s)
}
