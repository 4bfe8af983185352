//! Multipart uploads, read with every size bounded: the whole body (refused as soon as the
//! running total passes the cap, or at once when `Content-Length` announces more), the number
//! of parts, and each text part. A page's CSRF token must arrive before the file: the hidden
//! `_csrf` input comes first in every multipart form, so a forged request is refused before
//! a byte of its file is read.

use std::cell::Cell;
use std::future::{ready, Ready};
use std::rc::Rc;

use actix_multipart::{Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;

use crate::auth::csrf::{self, CSRF_FIELD};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;

/// Room for the form's other parts and the multipart framing, above the file's own limit.
pub const UPLOAD_OVERHEAD_BYTES: usize = 16 * 1024;
/// The most parts one upload may have (the token, the kind, the file, and a little slack).
pub const MAX_PARTS: usize = 8;
/// The largest text part (the CSRF token, the document kind).
pub const MAX_TEXT_PART_BYTES: usize = 1024;

/// The largest multipart body accepted for files of at most `max_file` bytes.
pub fn body_limit(max_file: usize) -> usize {
    max_file.saturating_add(UPLOAD_OVERHEAD_BYTES)
}

/// An uploaded file with its form fields.
#[derive(Default)]
pub struct Upload {
    pub kind: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Who sent the upload, which decides whether a CSRF token is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A page form with the session cookie: the `_csrf` part must precede the file.
    Page,
    /// An API client with a bearer token (no cookie, so no CSRF).
    Bearer,
}

/// The raw body of a multipart request, read by [`MultipartBody::read`].
pub struct MultipartBody {
    req: HttpRequest,
    payload: Payload,
}

impl FromRequest for MultipartBody {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(Ok(MultipartBody {
            req: req.clone(),
            payload: payload.take(),
        }))
    }
}

fn file_too_large(max: usize) -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add(
        "file",
        Msg::new("field.file_too_large").arg("max_mb", max / (1024 * 1024)),
    );
    e
}

impl MultipartBody {
    /// Reads the upload, refusing a file larger than `max_file` (a field error), a body
    /// larger than [`body_limit`] (413, without reading the rest), and for pages a file that
    /// arrives before a valid CSRF token (403, without reading the file).
    pub async fn read(self, max_file: usize, sender: Sender) -> Result<Upload, AppError> {
        let MultipartBody { req, payload } = self;
        let cap = body_limit(max_file);
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > cap as u64) {
            return Err(AppError::PayloadTooLarge);
        }
        // Counts every byte of the body, whatever the framing, and stops at the cap.
        let over = Rc::new(Cell::new(false));
        let tripped = over.clone();
        let mut total = 0usize;
        let counted = payload.map(move |chunk| {
            let chunk = chunk?;
            total = total.saturating_add(chunk.len());
            if total > cap {
                tripped.set(true);
                return Err(PayloadError::Overflow);
            }
            Ok(chunk)
        });
        let mut parts = Multipart::new(req.headers(), counted);
        let failed = |e: MultipartError| {
            if over.get() || matches!(e, MultipartError::Payload(PayloadError::Overflow)) {
                AppError::PayloadTooLarge
            } else {
                AppError::bad_request("error.malformed_form")
            }
        };
        let mut up = Upload::default();
        let mut csrf_ok = sender == Sender::Bearer;
        let mut count = 0usize;
        while let Some(item) = parts.next().await {
            let mut field = item.map_err(failed)?;
            count += 1;
            if count > MAX_PARTS {
                return Err(AppError::PayloadTooLarge);
            }
            let name = field.name().unwrap_or("").to_string();
            let is_file = name == "file";
            if is_file && !csrf_ok {
                return Err(AppError::CsrfFailed);
            }
            if is_file {
                up.filename = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .unwrap_or("")
                    .to_string();
            }
            let max = if is_file {
                max_file
            } else {
                MAX_TEXT_PART_BYTES
            };
            let mut data = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(failed)?;
                if data.len() + chunk.len() > max {
                    return Err(if is_file {
                        AppError::Validation(file_too_large(max_file))
                    } else {
                        AppError::PayloadTooLarge
                    });
                }
                data.extend_from_slice(&chunk);
            }
            match name.as_str() {
                CSRF_FIELD if sender == Sender::Page => {
                    csrf::check(&req, Some(&String::from_utf8_lossy(&data)))?;
                    csrf_ok = true;
                }
                "kind" => up.kind = String::from_utf8_lossy(&data).trim().to_string(),
                "file" => up.bytes = data,
                _ => {}
            }
        }
        if !csrf_ok {
            return Err(AppError::CsrfFailed);
        }
        let mut e = FieldErrors::new();
        crate::domain::chars::check(&mut e, "kind", &up.kind);
        e.into_result()?;
        Ok(up)
    }
}

/// How a page shows a refused upload: the form again with the file's error (422, or 413 when
/// the body was over the cap); any other refusal stays an error page.
pub fn shown_on_form(e: AppError, max_file: usize) -> Result<(FieldErrors, StatusCode), AppError> {
    match e {
        AppError::Validation(errors) => Ok((errors, StatusCode::UNPROCESSABLE_ENTITY)),
        AppError::PayloadTooLarge => Ok((file_too_large(max_file), StatusCode::PAYLOAD_TOO_LARGE)),
        other => Err(other),
    }
}
