//! Request extractors: the signed-in person of a page (session cookie) or of an API call
//! (bearer token). Both check the token's version against the account, so a password
//! change or a deactivation ends every earlier session.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::policy::Actor;
use crate::db::{self, users};
use crate::domain::account::UserStatus;
use crate::error::AppError;
use crate::web::AppState;

pub const SESSION_COOKIE: &str = "yc_session";

/// The account behind a token, if the token is valid and still current.
pub async fn actor_for_token(
    state: &AppState,
    token: &str,
) -> Result<Option<(Actor, bool)>, AppError> {
    let Some(claims) = state.jwt.verify(token) else {
        return Ok(None);
    };
    let Ok(id) = claims.sub.parse::<i64>() else {
        return Ok(None);
    };
    let user = db::run(&state.pool, move |c| match users::find(c, id) {
        Ok(u) => Ok(Some(u)),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    })
    .await?;
    Ok(user
        .filter(|u| u.token_version == claims.ver && u.status() == UserStatus::Active)
        .map(|u| (u.actor(), u.must_change_password)))
}

/// The signed-in person of a page request, if any (cached in the request's extensions).
#[derive(Clone)]
pub struct SessionUser(pub Option<Actor>, pub bool);

pub async fn session_user(req: &HttpRequest) -> Result<SessionUser, AppError> {
    if let Some(s) = req.extensions().get::<SessionUser>() {
        return Ok(s.clone());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Unexpected("no state".into()))?;
    let found = match req.cookie(SESSION_COOKIE) {
        Some(c) => actor_for_token(state, c.value()).await?,
        None => None,
    };
    let s = match found {
        Some((a, must_change)) => SessionUser(Some(a), must_change),
        None => SessionUser(None, false),
    };
    req.extensions_mut().insert(s.clone());
    Ok(s)
}

/// The caller of an API endpoint, from `Authorization: Bearer <token>`; 401 otherwise.
pub struct ApiUser(pub Actor);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
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
            let (actor, must_change) = actor_for_token(state, token)
                .await?
                .ok_or(AppError::Unauthorized)?;
            // A one-time password must be replaced before anything else.
            if must_change && !matches!(req.path(), "/api/v1/me" | "/api/v1/me/password") {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok(ApiUser(actor))
        })
    }
}
