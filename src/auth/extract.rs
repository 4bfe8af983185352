//! Request extractors: the signed-in person of a page (session cookie) or of an API call
//! (bearer token). A token is good only while its server-side session is live (not signed
//! out, not expired) and its version matches the account's, so signing out, a password
//! change or a deactivation ends it at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::policy::Actor;
use crate::db::{self, sessions};
use crate::domain::account::UserStatus;
use crate::domain::session::{needs_touch, touch_after};
use crate::error::AppError;
use crate::web::AppState;

pub const SESSION_COOKIE: &str = "yc_session";

/// Who a valid token speaks for, and through which session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub must_change_password: bool,
    /// The session id (the token's `jti`).
    pub session_id: String,
    /// The account's unread in-app messages (read with the account, no query of its own).
    pub unread_messages: i32,
}

/// The data version (`queries::cache::data_version`) read in the same round trip as a
/// request's session, when [`WantsVersion`] was put in the request's extensions first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataVersion(pub i64);

/// Asks a request's session lookup to read the data version too (the reader cache does).
#[derive(Clone, Copy, Debug)]
pub struct WantsVersion;

/// The account behind a token, if the token is valid and its session still live: one query
/// (sessions joined with users), plus an update of `last_seen_at` every few minutes; or none,
/// when this instance read the session a moment ago (`auth::session_cache`).
pub async fn actor_for_token(state: &AppState, token: &str) -> Result<Option<Caller>, AppError> {
    Ok(lookup(state, token, false).await?.map(|(c, _)| c))
}

/// As [`actor_for_token`], with the data version read first when `with_version`.
async fn lookup(
    state: &AppState,
    token: &str,
    with_version: bool,
) -> Result<Option<(Caller, Option<i64>)>, AppError> {
    let Some(claims) = state.jwt.verify(token, state.clock.now()) else {
        return Ok(None);
    };
    let Ok(id) = claims.sub.parse::<i64>() else {
        return Ok(None);
    };
    let now = state.clock.now();
    let writes = state.sessions.writes();
    let live = match state.sessions.get(&claims.jti, writes, now) {
        Some(live) => {
            metrics::counter!("yichuang_session_cache_total", "result" => "hit").increment(1);
            Some(live)
        }
        None => {
            let jti = claims.jti.clone();
            let live = db::run(&state.pool, move |c| {
                let at = db::now();
                // The version is read with the session, before anything it will key.
                let live = sessions::live_with_user(c, &jti, at)?;
                if let Some(l) = &live {
                    if needs_touch(l.last_seen, at) {
                        sessions::touch(c, &jti, at, at - touch_after())?;
                    }
                }
                Ok(live)
            })
            .await?;
            if let Some(l) = &live {
                if state.sessions.enabled() {
                    metrics::counter!("yichuang_session_cache_total", "result" => "miss")
                        .increment(1);
                }
                state.sessions.put(&claims.jti, l.clone(), writes, now);
            }
            live
        }
    };
    let found = live.map(|l| (l.user, with_version.then_some(l.version)));
    Ok(found
        .filter(|(u, _)| {
            u.id == id && u.token_version == claims.ver && u.status == UserStatus::Active
        })
        .map(|(u, version)| {
            (
                Caller {
                    actor: u.actor(),
                    must_change_password: u.must_change_password,
                    session_id: claims.jti,
                    unread_messages: u.unread_messages,
                },
                version,
            )
        }))
}

fn wants_version(req: &HttpRequest) -> bool {
    req.extensions().get::<WantsVersion>().is_some()
}

fn keep_version(req: &HttpRequest, version: Option<i64>) {
    if let Some(v) = version {
        req.extensions_mut().insert(DataVersion(v));
    }
}

/// The signed-in person of a page request, if any (cached in the request's extensions):
/// the person, whether the one-time password must still be changed, and the session id.
#[derive(Clone)]
pub struct SessionUser(pub Option<Actor>, pub bool, pub Option<String>);

/// The unread in-app messages of a page request's signed-in person (0 when signed out), put in
/// the request's extensions by [`session_user`] for the navigation.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnreadMessages(pub i32);

pub async fn session_user(req: &HttpRequest) -> Result<SessionUser, AppError> {
    if let Some(s) = req.extensions().get::<SessionUser>() {
        return Ok(s.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected("no state".into()))?;
    let found = match req.cookie(SESSION_COOKIE) {
        Some(c) => lookup(state, c.value(), wants_version(req)).await?,
        None => None,
    };
    let found = found.map(|(caller, version)| {
        keep_version(req, version);
        caller
    });
    let unread = UnreadMessages(found.as_ref().map_or(0, |c| c.unread_messages));
    let s = match found {
        Some(c) => SessionUser(Some(c.actor), c.must_change_password, Some(c.session_id)),
        None => SessionUser(None, false, None),
    };
    req.extensions_mut().insert(s.clone());
    req.extensions_mut().insert(unread);
    Ok(s)
}

/// The session id of a page request whose signed-in person was already looked up (by
/// `PageCtx` or a CSRF-checked form).
pub fn page_session_id(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<SessionUser>()
        .and_then(|s| s.2.clone())
}

/// The caller of an API request, from `Authorization: Bearer <token>` (cached in the
/// request's extensions); 401 without a valid token.
pub async fn bearer_caller(req: &HttpRequest) -> Result<Caller, AppError> {
    let known = req.extensions().get::<Caller>().cloned();
    let caller = match known {
        Some(c) => c,
        None => bearer_lookup(req).await?,
    };
    // A one-time password must be replaced before anything else.
    if caller.must_change_password
        && !matches!(
            req.path(),
            "/api/v1/me" | "/api/v1/me/password" | "/api/v1/auth/logout"
        )
    {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(caller)
}

async fn bearer_lookup(req: &HttpRequest) -> Result<Caller, AppError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let token = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(AppError::Unauthorized)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected("no state".into()))?;
    let (caller, version) = lookup(state, token, wants_version(req))
        .await?
        .ok_or(AppError::Unauthorized)?;
    keep_version(req, version);
    // For the request's log line, and the handler's extractor after the reader cache.
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

/// The caller of an API endpoint, from `Authorization: Bearer <token>`; 401 otherwise.
pub struct ApiUser(pub Actor);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(ApiUser(bearer_caller(&req).await?.actor)) })
    }
}

/// The caller of an API endpoint with the session its token belongs to (sign-out and the
/// list of sessions need it).
pub struct ApiSession(pub Caller);

impl FromRequest for ApiSession {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(ApiSession(bearer_caller(&req).await?)) })
    }
}
