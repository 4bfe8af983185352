//! Extractors for JSON bodies and query strings that refuse control characters (see
//! `domain::chars`) in every text value, naming the field, before any handler sees them.
//! Handlers use these in place of `web::Json` and `web::Query`; urlencoded forms go through
//! `auth::csrf::CsrfForm`, multipart text through `orgs::read_upload`.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::chars;
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;

/// Every pair of an urlencoded string (a query or a form body), checked for control
/// characters; the field is the pair's name.
pub fn check_urlencoded(bytes: &[u8]) -> Result<(), AppError> {
    let mut e = FieldErrors::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        chars::check(&mut e, &k, &v);
    }
    e.into_result()
}

/// A JSON body (`web::JsonConfig` limits and errors apply) whose strings hold no control
/// characters.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            let mut e = FieldErrors::new();
            chars::check_json(&mut e, &value);
            e.into_result()?;
            let parsed = serde_json::from_value(value).map_err(|err| {
                AppError::BadRequest(Msg::new("error.malformed_json").arg("detail", err))
            })?;
            Ok(Json(parsed))
        })
    }
}

/// A JSON body that may be left out: an empty body is `T::default()`; any other body is read
/// as [`Json`] reads it (a malformed one is an error, never taken for the default).
pub struct JsonOrEmpty<T>(pub T);

impl<T> JsonOrEmpty<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for JsonOrEmpty<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let empty = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
            || (!req
                .headers()
                .contains_key(actix_web::http::header::CONTENT_LENGTH)
                && !req
                    .headers()
                    .contains_key(actix_web::http::header::TRANSFER_ENCODING));
        if empty {
            return Box::pin(async { Ok(JsonOrEmpty(T::default())) });
        }
        let json = Json::<T>::from_request(req, payload);
        Box::pin(async move { Ok(JsonOrEmpty(json.await?.into_inner())) })
    }
}

/// A query string whose values hold no control characters.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_urlencoded(req.query_string().as_bytes());
        let query = web::Query::<T>::from_request(req, payload);
        Box::pin(async move {
            checked?;
            Ok(Query(query.await?.into_inner()))
        })
    }
}
