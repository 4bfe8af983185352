//! One error type for the whole app. It renders as `application/problem+json` with a stable
//! `code`; the `localize_errors` middleware in `web` turns it into an HTML page outside `/api`
//! and translates messages into the request's language.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use chrono::NaiveDateTime;

use crate::i18n::{Lang, Msg};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub msg: Msg,
}

impl FieldError {
    /// The stable code of the message: its locale key's last segment.
    pub fn code(&self) -> &'static str {
        short_code(self.msg.key, "invalid")
    }
}

/// Field-level problems of one input, all collected before answering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: impl Into<String>, msg: Msg) {
        self.0.push(FieldError {
            field: field.into(),
            msg,
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
    /// The first message for `field`, rendered, for a form.
    pub fn get(&self, field: &str, lang: Lang) -> Option<String> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.msg.render(lang))
    }
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }
    pub fn single(field: &str, key: &'static str) -> AppError {
        let mut e = FieldErrors::new();
        e.add(field, Msg::new(key));
        AppError::Validation(e)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("bad request: {0:?}")]
    BadRequest(Msg),
    #[error("not signed in")]
    Unauthorized,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf token missing or wrong")]
    CsrfFailed,
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Msg),
    #[error("too many attempts")]
    TooManyAttempts { until: NaiveDateTime },
    /// An abuse limit was reached (sign-up, reset, objections, ...): 429 with `Retry-After`.
    #[error("rate limited")]
    RateLimited { retry_after_secs: i64 },
    #[error("payload too large")]
    PayloadTooLarge,
    /// No database connection came free in time (the pool is exhausted or the database is
    /// unreachable): 503 with `Retry-After`, so clients and load balancers back off.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl AppError {
    pub fn conflict(key: &'static str) -> Self {
        AppError::Conflict(Msg::new(key))
    }
    pub fn bad_request(key: &'static str) -> Self {
        AppError::BadRequest(Msg::new(key))
    }

    /// An unexpected error with its whole cause chain (`context: error: cause: ...`), so the
    /// one log line written when it is answered says everything that is known.
    pub fn unexpected(context: &str, e: &(dyn std::error::Error + 'static)) -> Self {
        let mut detail = format!("{context}: {e}");
        let mut source = e.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // Many errors repeat their source in their own message; say it once.
            if !detail.ends_with(&cause_text) {
                detail.push_str(": ");
                detail.push_str(&cause_text);
            }
            source = cause.source();
        }
        AppError::Unexpected(detail)
    }

    /// The stable machine-readable code, part of the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::BadRequest(m) => short_code(m.key, "bad_request"),
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::CsrfFailed => "csrf_failed",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::NotFound => "not_found",
            AppError::Conflict(m) => short_code(m.key, "conflict"),
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal_error",
        }
    }

    /// The human message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Validation(_) => Msg::new("error.validation").render(lang),
            AppError::BadRequest(m) | AppError::Conflict(m) => m.render(lang),
            AppError::Unauthorized => Msg::new("error.unauthorized").render(lang),
            AppError::InvalidCredentials => Msg::new("error.invalid_credentials").render(lang),
            AppError::Forbidden => Msg::new("error.forbidden").render(lang),
            AppError::CsrfFailed => Msg::new("error.csrf_failed").render(lang),
            AppError::PasswordChangeRequired => {
                Msg::new("error.password_change_required").render(lang)
            }
            AppError::NotFound => Msg::new("error.not_found").render(lang),
            AppError::TooManyAttempts { until } => Msg::new("error.too_many_attempts")
                .arg("until", crate::web::fmt_time(*until))
                .render(lang),
            AppError::RateLimited { retry_after_secs } => Msg::new("error.rate_limited")
                .arg("minutes", (retry_after_secs + 59) / 60)
                .render(lang),
            AppError::PayloadTooLarge => Msg::new("error.payload_too_large").render(lang),
            AppError::Unavailable(_) => Msg::new("error.unavailable").render(lang),
            AppError::Unexpected(_) => Msg::new("error.internal").render(lang),
        }
    }

    /// Seconds a client should wait before trying again (the `Retry-After` header of a 429
    /// or a 503).
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            AppError::Unavailable(_) => Some(UNAVAILABLE_RETRY_SECS),
            AppError::RateLimited { retry_after_secs } => Some((*retry_after_secs).max(1)),
            AppError::TooManyAttempts { until } => {
                Some((*until - crate::db::now()).num_seconds().max(1))
            }
            _ => None,
        }
    }

    /// Adds the headers that belong to this error (`Retry-After`) to a response built for it.
    pub fn add_headers(&self, res: &mut HttpResponse) {
        if let Some(secs) = self.retry_after_secs() {
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
        }
    }

    /// The `application/problem+json` body in `lang`.
    pub fn problem(&self, lang: Lang) -> serde_json::Value {
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": self.message(lang),
            "status": self.status_code().as_u16(),
            "code": self.code(),
        });
        if let Some(secs) = self.retry_after_secs() {
            body["retry_after"] = secs.into();
        }
        if let AppError::Validation(fields) = self {
            body["errors"] = fields
                .0
                .iter()
                .map(|e| serde_json::json!({"field": e.field, "code": e.code(), "message": e.msg.render(lang)}))
                .collect();
        }
        body
    }
}

/// `error.uscc_check` → `uscc_check`: the locale key's last segment is the stable code.
fn short_code(key: &'static str, fallback: &'static str) -> &'static str {
    key.rsplit('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(fallback)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfFailed | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } | AppError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Logged once, here, where the error is answered: inside the request's span, so the
        // line carries its request id.
        match self {
            AppError::Unexpected(detail) => tracing::error!(%detail, "unexpected error"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "service unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code())
            .content_type("application/problem+json")
            .body(self.problem(Lang::default()).to_string());
        self.add_headers(&mut res);
        // Kept for the middleware that localizes the body or renders an HTML page.
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("error.duplicate")
            }
            Error::DatabaseError(_, info) if is_character_error(info.message()) => {
                AppError::bad_request("error.bad_characters")
            }
            // The server went away mid-request: the connection is dropped as it goes back to
            // the pool and the client is asked to retry (a fresh connection will serve it).
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                crate::db::connection_lost();
                AppError::Unavailable(format!("database connection lost: {}", info.message()))
            }
            other => AppError::unexpected("database", &other),
        }
    }
}

/// PostgreSQL refusing the characters of a value (SQLSTATE 22021 `invalid byte sequence`, as
/// for U+0000 in text, and 22P05 `unsupported Unicode escape sequence`, as for `\u0000` in
/// JSON): the client sent them, so it is a bad request, never a server error. The extractors
/// refuse such input first; this is the second line of defence.
fn is_character_error(message: &str) -> bool {
    message.contains("invalid byte sequence")
        || message.contains("unsupported Unicode escape sequence")
        || message.contains("character with byte sequence")
}

/// How long a client is asked to wait after a 503.
pub const UNAVAILABLE_RETRY_SECS: i64 = 5;

/// r2d2 fails `get` only when no connection came free before the pool's timeout (every
/// connection busy, or the database unreachable): the server is overloaded, not broken.
impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("database pool: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot reach the database")]
    struct Outer(#[source] Root);

    #[derive(Debug, thiserror::Error)]
    #[error("timed out: connection refused")]
    struct Repeats(#[source] Root);

    fn detail(e: AppError) -> String {
        match e {
            AppError::Unexpected(d) => d,
            other => panic!("not unexpected: {other:?}"),
        }
    }

    #[test]
    fn a_pool_timeout_is_a_503_with_retry_after() {
        use actix_web::ResponseError;
        let e = AppError::Unavailable("database pool: timed out waiting for connection".into());
        let res = e.error_response();
        assert_eq!(res.status().as_u16(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "5");
        assert_eq!(e.code(), "unavailable");
        assert_eq!(e.problem(crate::i18n::Lang::default())["retry_after"], 5);
    }

    #[test]
    fn an_unexpected_error_keeps_its_whole_cause_chain() {
        assert_eq!(
            detail(AppError::unexpected("database pool", &Outer(Root))),
            "database pool: cannot reach the database: connection refused"
        );
        // A cause its error already quotes is not said twice.
        assert_eq!(
            detail(AppError::unexpected("database pool", &Repeats(Root))),
            "database pool: timed out: connection refused"
        );
    }
}
