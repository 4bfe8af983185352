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
    /// Key of beneficiaries' personal data (`YICHUANG_PII_KEY`, at least 32 characters):
    /// roster identity numbers are stored encrypted under it and compared by a hash keyed
    /// with it (`crate::pii`). Keep it outside the database and its backups; losing it makes
    /// the stored numbers unreadable. Empty: generated once and kept in `<data_dir>/pii_key`
    /// (set it explicitly when several instances share one database).
    pub pii_key: Secret,
    pub session_hours: i64,
    /// Mark cookies `Secure` (serve over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted load balancer only):
    /// the right-most hop that is not one of `trusted_proxies`, so a client cannot choose its
    /// own address by sending the header itself.
    pub trust_proxy: bool,
    /// With `trust_proxy`: the addresses of your own proxies and load balancers, as IPs or
    /// CIDR ranges (`["10.0.0.0/8", "192.0.2.7"]`; in the environment
    /// `YICHUANG_TRUSTED_PROXIES='["10.0.0.0/8"]'`). Empty (the default) trusts loopback and
    /// the private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fe80::/10): right
    /// when the clients reach the proxy from the internet; when clients sit in a private network
    /// themselves, list only the proxies, or those clients could name any address.
    pub trusted_proxies: Vec<String>,
    pub db_pool_size: u32,
    /// How long a request waits for a free database connection before it is answered 503
    /// with `Retry-After`.
    pub db_pool_timeout_ms: u64,
    /// How often (at most) an instance reads the public pages' version from the database to
    /// learn whether another instance changed them; 0 reads it on every anonymous request.
    /// A cached public page is at most this much older than the officer action that changed it.
    pub public_cache_check_ms: u64,
    /// How long (at most) an instance uses a live session it read again without reading it
    /// afresh (`auth::session_cache`); 0 reads it on every request. Any request to the same
    /// instance that may write ends that at once; a sign-out or deactivation on another
    /// instance, or a change made there that a kept page shows, reaches this one within this
    /// time.
    pub session_cache_ms: u64,
    /// Memory (MB) each instance may keep signed-in readers' unchanged pages and API answers
    /// in (`web::reader_cache`); 0 turns that cache off.
    pub reader_cache_mb: usize,
    /// HTTP worker threads; 0 means one per core.
    pub http_workers: usize,
    /// Run the background worker (outbox sender) in this instance.
    pub worker: bool,
    pub worker_interval_ms: u64,
    /// The most emails the worker sends for one bureau in any rolling minute (messages of no
    /// bureau count as one group); the rest wait for a later pass.
    pub mail_per_minute_per_bureau: i64,
    /// Failed logins (per account and per client address) before a lock.
    pub login_max_failures: i32,
    pub login_lock_minutes: i64,
    pub upload_max_bytes: usize,
    /// The window of the abuse limits below, in minutes: each counts requests in a fixed
    /// window that starts at a key's first request. The counts live in the database, so every
    /// instance shares them; a refusal is a 429 with `Retry-After`. A limit of 0 refuses all.
    pub rate_window_minutes: i64,
    /// Objections one client address may file per window.
    pub objection_limit_per_client: i32,
    /// Objections one email address may file per window, from any client address.
    pub objection_limit_per_email: i32,
    /// Objection confirmations one client address may try per window.
    pub objection_confirm_limit_per_client: i32,
    /// Account emails (sign-up, password reset, verification resend) one client address may
    /// ask for per window.
    pub account_mail_limit_per_client: i32,
    /// Account emails one address may receive per window, whoever asks.
    pub account_mail_limit_per_recipient: i32,
    /// Document verifications (`/verify/{code}`) one client address may look up per window.
    pub verify_limit_per_client: i32,
    /// `text` (default) or `json` (one JSON object per line, for log shippers):
    /// `YICHUANG_LOG_FORMAT=json`.
    pub log_format: crate::telemetry::LogFormat,
    /// Bearer token required by `GET /metrics` (`YICHUANG_METRICS_TOKEN`). Empty (the
    /// default): `/metrics` is open to whoever reaches the bind address.
    pub metrics_token: Secret,
    /// Parsed `trusted_proxies` (filled by [`Settings::finish`]).
    #[serde(skip)]
    pub trusted_nets: Vec<ipnet::IpNet>,
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
            pii_key: Secret::default(),
            session_hours: 12,
            secure_cookies: false,
            trust_proxy: false,
            trusted_proxies: Vec::new(),
            db_pool_size: 16,
            db_pool_timeout_ms: 10_000,
            public_cache_check_ms: 1000,
            session_cache_ms: 1000,
            reader_cache_mb: 64,
            http_workers: 0,
            worker: true,
            worker_interval_ms: 2000,
            mail_per_minute_per_bureau: 120,
            login_max_failures: 5,
            login_lock_minutes: 15,
            upload_max_bytes: 10 * 1024 * 1024,
            rate_window_minutes: 60,
            objection_limit_per_client: 5,
            objection_limit_per_email: 5,
            objection_confirm_limit_per_client: 20,
            account_mail_limit_per_client: 20,
            account_mail_limit_per_recipient: 5,
            verify_limit_per_client: 120,
            log_format: crate::telemetry::LogFormat::Text,
            metrics_token: Secret::default(),
            trusted_nets: Vec::new(),
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
        if self.pii_key.expose().is_empty() {
            self.pii_key = Secret::new(load_or_create_secret(&self.data_dir, "pii_key")?);
        }
        if self.pii_key.expose().len() < 32 {
            anyhow::bail!("YICHUANG_PII_KEY must be at least 32 characters");
        }
        if self.mail_per_minute_per_bureau < 1 {
            anyhow::bail!("YICHUANG_MAIL_PER_MINUTE_PER_BUREAU must be at least 1");
        }
        self.trusted_nets = parse_trusted_proxies(&self.trusted_proxies)?;
        Ok(self)
    }

    /// The window of the abuse limits.
    pub fn rate_window(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.rate_window_minutes.max(1))
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// The trusted proxies as networks; an empty list means loopback and the private ranges.
pub fn parse_trusted_proxies(list: &[String]) -> anyhow::Result<Vec<ipnet::IpNet>> {
    const DEFAULT: [&str; 9] = [
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
        "::ffff:127.0.0.0/104",
    ];
    let entries: Vec<&str> = if list.is_empty() {
        DEFAULT.to_vec()
    } else {
        list.iter().map(|s| s.trim()).collect()
    };
    entries
        .into_iter()
        .map(|e| {
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("trusted_proxies: {e:?} is not an IP address or CIDR range")
                })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_come_from_the_environment_as_a_list() {
        std::env::set_var(
            "YICHUANGTESTRL_TRUSTED_PROXIES",
            r#"["10.0.0.0/8", "192.0.2.7"]"#,
        );
        let s: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Env::prefixed("YICHUANGTESTRL_"))
            .extract()
            .unwrap();
        assert_eq!(s.trusted_proxies, vec!["10.0.0.0/8", "192.0.2.7"]);
        let nets = parse_trusted_proxies(&s.trusted_proxies).unwrap();
        assert!(nets[1].contains(&"192.0.2.7".parse::<std::net::IpAddr>().unwrap()));
    }
}
