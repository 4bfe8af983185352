//! CSRF protection for forms: a random token in an HttpOnly, SameSite cookie, repeated in
//! a hidden field of every form (double submit). A cross-site page can neither read the
//! cookie nor make the browser send it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub const CSRF_COOKIE: &str = "yc_csrf";
pub const CSRF_FIELD: &str = "_csrf";

/// The token of this request: the cookie's, or a fresh one the middleware will set.
#[derive(Clone)]
pub struct CsrfToken(pub String);

pub fn token(req: &HttpRequest) -> String {
    if let Some(t) = req.extensions().get::<CsrfToken>() {
        return t.0.clone();
    }
    let t = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32);
    let t = t.unwrap_or_else(super::random_token);
    req.extensions_mut().insert(CsrfToken(t.clone()));
    t
}

/// Compares the submitted token with the cookie in constant time.
pub fn check(req: &HttpRequest, submitted: Option<&str>) -> Result<(), AppError> {
    let cookie = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let submitted = submitted.unwrap_or("");
    let same = cookie.len() >= 32
        && cookie.len() == submitted.len()
        && cookie
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(AppError::CsrfFailed)
    }
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
