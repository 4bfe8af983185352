//! Starting a session: every token the product issues (page sign-in, API token, invitation,
//! email verification, password change) names a server-side session row by its `jti`.

use actix_web::HttpRequest;
use chrono::NaiveDateTime;

use crate::db::{self, users::UserRow};
use crate::domain::session::SessionKind;
use crate::error::AppError;
use crate::ops::sessions::Client;
use crate::web::AppState;

/// The user agent and address of a request, as a session records them.
pub fn client_of(req: &HttpRequest, state: &AppState) -> Client {
    Client {
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
            .unwrap_or_default(),
        addr: crate::web::client_addr(req, &state.settings),
    }
}

/// A signed token and when it expires (UTC).
pub struct Issued {
    pub token: String,
    pub expires_at: NaiveDateTime,
}

/// Starts a session for `user` and signs its token.
pub async fn start(
    state: &AppState,
    req: &HttpRequest,
    user: &UserRow,
    kind: SessionKind,
) -> Result<Issued, AppError> {
    let jti = super::random_token();
    let (token, expires_at) = state
        .jwt
        .issue(
            user.id,
            user.token_version,
            user.role,
            &jti,
            state.clock.now(),
        )
        .map_err(|e| AppError::Unexpected(e.to_string()))?;
    let client = client_of(req, state);
    let user_id = user.id;
    db::run(&state.pool, move |c| {
        crate::ops::sessions::start(c, user_id, kind, &jti, expires_at, &client)
    })
    .await?;
    Ok(Issued { token, expires_at })
}
