//! CSRF protection for forms. Every form carries a token in its `_csrf` field that is an
//! HMAC, under the server secret, of something an attacker cannot choose for the victim:
//! - signed in: the session id (the token's `jti`), which lives only inside the signed,
//!   HttpOnly session cookie;
//! - anonymous (sign-in, sign-up, objections…): a random id in the HttpOnly, SameSite
//!   `yc_csrf` cookie.
//!
//! A cookie planted by someone else (a sibling subdomain, a plain-HTTP hop) does not help:
//! signed in, the cookie plays no part; anonymous, the field must be the server's HMAC of
//! the cookie, which no one can compute without the secret. Browsers that say a request is
//! cross-site (`Sec-Fetch-Site`) are refused before the token is looked at.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use super::extract::{session_user, SessionUser, SESSION_COOKIE};
use crate::error::AppError;
use crate::web::AppState;

pub const CSRF_COOKIE: &str = "yc_csrf";
pub const CSRF_FIELD: &str = "_csrf";

type HmacSha256 = Hmac<Sha256>;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding<'a> {
    /// The session id of the signed-in person.
    Session(&'a str),
    /// The random id of an anonymous browser (the `yc_csrf` cookie).
    Anonymous(&'a str),
}

fn mac(secret: &[u8], binding: Binding) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    match binding {
        Binding::Session(id) => {
            m.update(b"yichuang/csrf/session\0");
            m.update(id.as_bytes());
        }
        Binding::Anonymous(id) => {
            m.update(b"yichuang/csrf/anonymous\0");
            m.update(id.as_bytes());
        }
    }
    m
}

/// The form token for `binding`.
pub fn derive(secret: &[u8], binding: Binding) -> String {
    B64.encode(mac(secret, binding).finalize().into_bytes())
}

/// Whether `submitted` is the token for `binding` (compared in constant time).
pub fn verify(secret: &[u8], binding: Binding, submitted: &str) -> bool {
    match B64.decode(submitted.trim()) {
        Ok(bytes) => mac(secret, binding).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// An anonymous id as the server makes them: 32 random bytes, URL-safe base64.
fn valid_anonymous_id(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The form token of this request, and the anonymous id the response must set as the
/// `yc_csrf` cookie when the browser had none.
#[derive(Clone)]
pub struct CsrfToken {
    pub token: String,
    pub new_cookie: Option<String>,
}

fn secret_of(req: &HttpRequest) -> Option<Vec<u8>> {
    req.app_data::<web::Data<AppState>>()
        .map(|s| s.settings.jwt_secret.expose().as_bytes().to_vec())
}

/// The token for the forms of a page; `session` is the signed-in session, if any.
pub fn token(req: &HttpRequest, session: Option<&str>) -> String {
    if let Some(t) = req.extensions().get::<CsrfToken>() {
        return t.token.clone();
    }
    let Some(secret) = secret_of(req) else {
        return String::new();
    };
    let t = match session {
        Some(id) => CsrfToken {
            token: derive(&secret, Binding::Session(id)),
            new_cookie: None,
        },
        None => {
            let existing = req
                .cookie(CSRF_COOKIE)
                .map(|c| c.value().to_string())
                .filter(|v| valid_anonymous_id(v));
            let (id, new_cookie) = match existing {
                Some(id) => (id, None),
                None => {
                    let id = super::random_token();
                    (id.clone(), Some(id))
                }
            };
            CsrfToken {
                token: derive(&secret, Binding::Anonymous(&id)),
                new_cookie,
            }
        }
    };
    req.extensions_mut().insert(t.clone());
    t.token
}

/// Whether the browser says the request comes from another site. Browsers send
/// `Sec-Fetch-Site` with every request; other clients do not, and are judged by the token.
fn cross_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|v| !matches!(v, "same-origin" | "none"))
}

/// Checks the submitted token against the request's session, or its anonymous id when
/// nobody is signed in. The signed-in person must have been looked up already (`PageCtx`
/// or `CsrfForm` do that); otherwise a request with a session cookie is refused.
pub fn check(req: &HttpRequest, submitted: Option<&str>) -> Result<(), AppError> {
    if cross_site(req) {
        return Err(AppError::CsrfFailed);
    }
    let submitted = submitted.unwrap_or("");
    let secret = secret_of(req).ok_or(AppError::CsrfFailed)?;
    let session = req.extensions().get::<SessionUser>().cloned();
    let ok = match session {
        Some(SessionUser(_, _, Some(id))) => verify(&secret, Binding::Session(&id), submitted),
        Some(SessionUser(_, _, None)) => anonymous_ok(req, &secret, submitted),
        None if req.cookie(SESSION_COOKIE).is_none() => anonymous_ok(req, &secret, submitted),
        None => {
            tracing::error!("CSRF checked before the session was looked up");
            false
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::CsrfFailed)
    }
}

fn anonymous_ok(req: &HttpRequest, secret: &[u8], submitted: &str) -> bool {
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| valid_anonymous_id(v))
        .is_some_and(|id| verify(secret, Binding::Anonymous(&id), submitted))
}

#[derive(serde::Deserialize)]
struct TokenOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// A urlencoded form whose CSRF token was checked. Use it for every form post.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            session_user(&req).await?;
            let bytes = body.await.map_err(|_| AppError::PayloadTooLarge)?;
            let t: TokenOnly = serde_urlencoded::from_bytes(&bytes)
                .map_err(|_| AppError::bad_request("error.malformed_form"))?;
            check(&req, t.csrf.as_deref())?;
            crate::web::input::check_urlencoded(&bytes)?;
            let value = serde_urlencoded::from_bytes(&bytes)
                .map_err(|_| AppError::bad_request("error.malformed_form"))?;
            Ok(CsrfForm(value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123";

    #[test]
    fn a_token_verifies_only_for_its_own_binding_and_secret() {
        let t = derive(SECRET, Binding::Session("session-a"));
        assert!(verify(SECRET, Binding::Session("session-a"), &t));
        assert!(!verify(SECRET, Binding::Session("session-b"), &t));
        assert!(
            !verify(SECRET, Binding::Anonymous("session-a"), &t),
            "a session token is no anonymous token for the same value"
        );
        assert!(!verify(
            b"another-secret-another-secret-another",
            Binding::Session("session-a"),
            &t
        ));
    }

    #[test]
    fn the_bound_value_itself_or_garbage_is_no_token() {
        let id = crate::auth::random_token();
        assert!(valid_anonymous_id(&id));
        // The old double submit: the field repeats the cookie.
        assert!(!verify(SECRET, Binding::Anonymous(&id), &id));
        assert!(!verify(SECRET, Binding::Anonymous(&id), ""));
        assert!(!verify(SECRET, Binding::Anonymous(&id), "!!not base64!!"));
        let good = derive(SECRET, Binding::Anonymous(&id));
        assert!(verify(SECRET, Binding::Anonymous(&id), &good));
        assert!(!verify(
            SECRET,
            Binding::Anonymous(&id),
            &good[..good.len() - 2]
        ));
    }

    #[test]
    fn tokens_are_stable_and_distinct() {
        let a = derive(SECRET, Binding::Anonymous("x"));
        assert_eq!(a, derive(SECRET, Binding::Anonymous("x")));
        assert_ne!(a, derive(SECRET, Binding::Anonymous("y")));
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn only_server_made_anonymous_ids_are_taken() {
        assert!(!valid_anonymous_id("short"));
        assert!(!valid_anonymous_id(&"a.".repeat(22)[..43]));
        assert!(valid_anonymous_id(&"A".repeat(43)));
    }
}
