//! Operations: the request log line and request id, Prometheus metrics at `/metrics`, and the
//! log format.
//!
//! Metrics go to one process-wide recorder (installed once, at the first [`handle`]); nothing
//! is labelled per app, so several apps in one process (the tests) share the counters.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::auth::extract::{Caller, SessionUser};
use crate::db;
use crate::error::AppError;
use crate::web::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How log lines are written (`YICHUANG_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Installs the process's log subscriber: `YICHUANG_LOG` filters (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("YICHUANG_LOG")
        .unwrap_or_else(|_| "info,actix_server=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

/// The id of one request: in its log line, its `X-Request-Id` header and its error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The request id of `req` (set by [`request_layer`]), if any.
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<RequestId>().map(|r| r.0.clone())
    }
}

/// A fresh random request id (32 hex digits).
pub fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// An incoming `X-Request-Id` (set by a proxy) is kept only when it is short and made of
/// letters, digits and `-_.:`, so it is safe in headers, logs and pages.
pub fn accept_request_id(incoming: &str) -> Option<String> {
    let ok = !incoming.is_empty()
        && incoming.len() <= 64
        && incoming
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| incoming.to_string())
}

/// What the log line of one request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: String,
    /// The route pattern (`/api/v1/rounds/{id}`), never the raw path; `unmatched` when no
    /// route matched.
    pub route: String,
    pub status: u16,
    pub latency: Duration,
    pub request_id: String,
    pub user_id: Option<i64>,
}

impl RequestLine {
    /// Writes the line (target `yichuang::request`).
    pub fn emit(&self) {
        let latency_ms = self.latency.as_secs_f64() * 1000.0;
        match self.user_id {
            Some(user_id) => tracing::info!(
                target: "yichuang::request",
                method = %self.method,
                route = %self.route,
                status = self.status,
                latency_ms,
                request_id = %self.request_id,
                user_id,
                "request"
            ),
            None => tracing::info!(
                target: "yichuang::request",
                method = %self.method,
                route = %self.route,
                status = self.status,
                latency_ms,
                request_id = %self.request_id,
                "request"
            ),
        }
    }

    /// Counts the request and its latency.
    pub fn record(&self) {
        let labels = [
            ("method", self.method.clone()),
            ("route", self.route.clone()),
            ("status", self.status.to_string()),
        ];
        metrics::counter!("yichuang_http_requests_total", &labels).increment(1);
        metrics::histogram!(
            "yichuang_http_request_duration_seconds",
            "method" => self.method.clone(),
            "route" => self.route.clone()
        )
        .record(self.latency.as_secs_f64());
    }
}

/// The standard methods by name; anything a client invents is `other`, so the label's values
/// stay few.
fn method_label(m: &actix_web::http::Method) -> String {
    use actix_web::http::Method;
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    if known.contains(m) {
        m.as_str().to_string()
    } else {
        "other".to_string()
    }
}

fn user_id(req: &HttpRequest) -> Option<i64> {
    let ext = req.extensions();
    ext.get::<SessionUser>()
        .and_then(|s| s.0.as_ref().map(|a| a.id))
        .or_else(|| ext.get::<Caller>().map(|c| c.actor.id))
}

/// Gives each request an id (kept from a safe incoming `X-Request-Id`), runs it in a span
/// carrying that id, returns the id in `X-Request-Id`, counts it and writes its log line.
pub async fn request_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    handle();
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|h| h.to_str().ok())
        .and_then(accept_request_id)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = method_label(req.method());
    // The request is not cloned before routing (routing needs it unshared): its route and
    // user are read from the response.
    let span = tracing::info_span!("request", request_id = %id);
    let result = next.call(req).instrument(span).await;
    let (status, route, user) = match &result {
        Ok(res) => (
            res.status(),
            res.request().match_pattern(),
            user_id(res.request()),
        ),
        Err(e) => (e.as_response_error().status_code(), None, None),
    };
    let line = RequestLine {
        method,
        route: route.unwrap_or_else(|| "unmatched".to_string()),
        status: status.as_u16(),
        latency: started.elapsed(),
        request_id: id.clone(),
        user_id: user,
    };
    line.record();
    line.emit();
    let mut res = result?.map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    Ok(res)
}

const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's metrics recorder, installed at the first call.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new()
                .set_buckets(SECONDS_BUCKETS)
                .expect("the buckets are not empty")
        };
        let handle = builder().install_recorder().unwrap_or_else(|e| {
            // Another recorder was installed first (by an embedding program): render ours,
            // which stays empty, rather than fail.
            tracing::warn!(error = %e, "a metrics recorder was already installed");
            builder().build_recorder().handle()
        });
        describe();
        // Histogram samples wait in the recorder until an upkeep folds them into their
        // buckets: without one, and with no one scraping `/metrics`, every request would
        // leave a few bytes behind for good. (`install_recorder`, unlike `install`, starts
        // no upkeep of its own.)
        let kept = handle.clone();
        let started = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                kept.run_upkeep();
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "cannot start the metrics upkeep");
        }
        handle
    })
}

/// How often the recorder's histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "yichuang_http_requests_total",
        "HTTP requests by method, route pattern and status"
    );
    describe_histogram!(
        "yichuang_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by method and route pattern"
    );
    describe_gauge!(
        "yichuang_db_pool_connections",
        "Database connections open in this instance's pool"
    );
    describe_gauge!(
        "yichuang_db_pool_idle_connections",
        "Idle database connections in the pool"
    );
    describe_gauge!(
        "yichuang_db_pool_in_use_connections",
        "Database connections in use"
    );
    describe_histogram!(
        "yichuang_db_pool_wait_seconds",
        Unit::Seconds,
        "Time spent waiting for a database connection"
    );
    describe_gauge!(
        "yichuang_outbox_pending_messages",
        "Emails waiting in the outbox"
    );
    describe_gauge!(
        "yichuang_outbox_oldest_pending_age_seconds",
        Unit::Seconds,
        "Age of the oldest email waiting in the outbox (0 when none)"
    );
    describe_histogram!(
        "yichuang_worker_pass_seconds",
        Unit::Seconds,
        "Duration of one pass of the background worker"
    );
    describe_gauge!(
        "yichuang_worker_lag_seconds",
        Unit::Seconds,
        "How late the background worker's last pass started after its interval"
    );
    describe_counter!(
        "yichuang_public_cache_total",
        "Anonymous public pages served from the cache (hit), rendered (miss) or signed in (bypass)"
    );
    describe_counter!(
        "yichuang_login_failures_total",
        "Sign-ins refused for a wrong email or password"
    );
    describe_counter!(
        "yichuang_document_renders_total",
        "Issued documents rendered to PDF (once per version; later downloads are served stored)"
    );
    describe_counter!(
        "yichuang_mail_digests_total",
        "Reminder digests queued (one email listing several reminders for one recipient)"
    );
    describe_counter!(
        "yichuang_mail_deferred_total",
        "Due emails held back by a bureau's per-minute cap in a worker pass (counted per pass)"
    );
}

/// Time spent waiting for a pooled database connection.
pub fn record_pool_wait(waited: Duration) {
    metrics::histogram!("yichuang_db_pool_wait_seconds").record(waited.as_secs_f64());
}

/// A sign-in refused for its credentials.
pub fn record_login_failure() {
    metrics::counter!("yichuang_login_failures_total").increment(1);
}

/// An issued document rendered to PDF (its first download).
pub fn record_document_render(kind: &'static str) {
    metrics::counter!("yichuang_document_renders_total", "document" => kind).increment(1);
}

/// A reminder digest queued.
pub fn record_mail_digest() {
    metrics::counter!("yichuang_mail_digests_total").increment(1);
}

/// Due emails held back by the per-bureau cap in one worker pass.
pub fn record_mail_deferred(n: usize) {
    metrics::counter!("yichuang_mail_deferred_total").increment(n as u64);
}

/// Ends a pass of the worker that began at `pass_started`: records its duration, sleeps
/// `interval`, and records how much later than `interval` the sleep ended (the loop's lag).
pub async fn worker_rest(pass_started: Instant, interval: Duration) {
    metrics::histogram!("yichuang_worker_pass_seconds")
        .record(pass_started.elapsed().as_secs_f64());
    let slept = Instant::now();
    tokio::time::sleep(interval).await;
    metrics::gauge!("yichuang_worker_lag_seconds")
        .set(slept.elapsed().saturating_sub(interval).as_secs_f64());
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// `GET /metrics`: Prometheus text format. With `metrics_token` set, only a request with
/// `Authorization: Bearer <metrics_token>` is answered (401 otherwise); with it empty (the
/// default) the endpoint is open to whoever reaches the bind address, so keep that address
/// private or set the token. The pool and outbox gauges are read when scraped (one query).
pub async fn metrics_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = state.settings.metrics_token.expose();
    if !token.is_empty() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if !same_secret(given, token) {
            return Ok(HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("metrics token required\n"));
        }
    }
    let stats = db::run(&state.pool, db::outbox::pending_stats).await?;
    let handle = handle();
    // The gauges are process-wide: several apps in one process (the tests) each set them
    // and render before another may.
    static SCRAPE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = SCRAPE.lock().unwrap_or_else(|e| e.into_inner());
    let pool_state = state.pool.state();
    metrics::gauge!("yichuang_db_pool_connections").set(pool_state.connections as f64);
    metrics::gauge!("yichuang_db_pool_idle_connections").set(pool_state.idle_connections as f64);
    metrics::gauge!("yichuang_db_pool_in_use_connections").set(
        pool_state
            .connections
            .saturating_sub(pool_state.idle_connections) as f64,
    );
    metrics::gauge!("yichuang_outbox_pending_messages").set(stats.pending as f64);
    let age = stats
        .oldest
        .map(|t| (db::now() - t).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0);
    metrics::gauge!("yichuang_outbox_oldest_pending_age_seconds").set(age);
    handle.run_upkeep();
    let body = handle.render();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn incoming_request_ids_are_kept_only_when_short_and_safe() {
        assert_eq!(
            accept_request_id("abc-123_x.y:z").as_deref(),
            Some("abc-123_x.y:z")
        );
        assert_eq!(accept_request_id(""), None);
        assert_eq!(accept_request_id(&"a".repeat(65)), None);
        assert_eq!(accept_request_id("a b"), None);
        assert_eq!(accept_request_id("<script>"), None);
        assert_eq!(accept_request_id("ä"), None);
        let fresh = new_request_id();
        assert_eq!(fresh.len(), 32);
        assert_eq!(accept_request_id(&fresh), Some(fresh.clone()));
        assert_ne!(fresh, new_request_id());
    }

    #[test]
    fn the_request_line_carries_route_status_latency_ids_as_json() {
        let buf = Buffer::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(move || writer.clone())
            .finish();
        let line = RequestLine {
            method: "GET".into(),
            route: "/api/v1/rounds/{id}".into(),
            status: 404,
            latency: Duration::from_millis(12),
            request_id: "req-42".into(),
            user_id: Some(7),
        };
        tracing::subscriber::with_default(subscriber, || line.emit());
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let f = &v["fields"];
        assert_eq!(v["target"], "yichuang::request");
        assert_eq!(f["method"], "GET");
        assert_eq!(f["route"], "/api/v1/rounds/{id}");
        assert_eq!(f["status"], 404);
        assert_eq!(f["request_id"], "req-42");
        assert_eq!(f["user_id"], 7);
        assert!((f["latency_ms"].as_f64().unwrap() - 12.0).abs() < 0.001);
    }

    #[tokio::test]
    async fn the_worker_loop_records_its_pass_and_lag() {
        let handle = handle();
        worker_rest(Instant::now(), Duration::from_millis(1)).await;
        handle.run_upkeep();
        let text = handle.render();
        assert!(
            text.contains("yichuang_worker_pass_seconds_count "),
            "{text}"
        );
        assert!(text.contains("yichuang_worker_lag_seconds "), "{text}");
    }

    #[test]
    fn invented_methods_are_labelled_other() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }

    #[test]
    fn the_log_format_setting_reads_text_or_json() {
        let f: LogFormat = serde_json::from_str("\"json\"").unwrap();
        assert_eq!(f, LogFormat::Json);
        assert_eq!(LogFormat::default(), LogFormat::Text);
        assert!(serde_json::from_str::<LogFormat>("\"xml\"").is_err());
    }
}
