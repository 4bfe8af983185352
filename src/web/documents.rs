//! Downloads of a project's issued documents (award notice, agreement, completion
//! certificate), served from the stored PDF. The first download renders it from the document
//! as issued, with no pooled connection held, and keeps it; every later one sends the same
//! bytes. `ETag` is the PDF's SHA-256, so a browser revalidates with a 304.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::auth::policy::Actor;
use crate::db;
use crate::domain::project::DocumentKind;
use crate::error::AppError;
use crate::ops;

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The latest version of document `kind` of project `id`, as the actor may read it.
pub async fn document_response(
    state: &AppState,
    req: &HttpRequest,
    actor: Actor,
    id: i64,
    kind: DocumentKind,
) -> Result<HttpResponse, AppError> {
    let base = state.settings.base_url.clone();
    let doc = db::run(&state.pool, move |c| {
        let p = ops::award::find_visible_project(c, &actor, id)?;
        ops::documents::current(c, &p, kind, &base)
    })
    .await?;
    serve_document(state, req, doc, id, kind).await
}

/// The supplement agreement (补充协议) of an applied change request, as the actor may read it.
pub async fn supplement_response(
    state: &AppState,
    req: &HttpRequest,
    actor: Actor,
    change_id: i64,
) -> Result<HttpResponse, AppError> {
    let (project_id, doc) = db::run(&state.pool, move |c| {
        ops::changes::supplement(c, &actor, change_id)
    })
    .await?;
    serve_document(state, req, doc, project_id, DocumentKind::Supplement).await
}

/// The evaluation summary (评估报告摘要) of an accepted evaluation, as issued on acceptance
/// (with its verification code), as the actor may read it.
pub async fn summary_response(
    state: &AppState,
    req: &HttpRequest,
    actor: Actor,
    evaluation_id: i64,
) -> Result<HttpResponse, AppError> {
    let base = state.settings.base_url.clone();
    let (project_id, kind, doc) = db::run(&state.pool, move |c| {
        let (ev, p) = ops::evaluation::find_visible(c, &actor, evaluation_id)?;
        let doc = ops::documents::summary(c, &ev, &base)?;
        Ok((p.id, DocumentKind::summary_of(ev.stage), doc))
    })
    .await?;
    serve_document(state, req, doc, project_id, kind).await
}

/// Sends a stored document version, rendering and keeping its PDF on the first download.
async fn serve_document(
    state: &AppState,
    req: &HttpRequest,
    doc: db::documents::DocumentRow,
    id: i64,
    kind: DocumentKind,
) -> Result<HttpResponse, AppError> {
    let filename = doc.filename.clone();
    let fallback = format!("{}-{id}.pdf", kind.as_str());
    let (bytes, sha256) = match doc.clone().rendered() {
        Some(stored) => stored,
        None => {
            let source = doc.source_json;
            let bytes = web::block(move || {
                let layout: crate::pdf::Document = serde_json::from_str(&source)
                    .map_err(|e| AppError::Unexpected(format!("document layout: {e}")))?;
                crate::pdf::render(&layout).map_err(|e| AppError::Unexpected(e.to_string()))
            })
            .await
            .map_err(|e| AppError::Unexpected(e.to_string()))??;
            crate::telemetry::record_document_render(kind.as_str());
            let sha256 = hex::encode(Sha256::digest(&bytes));
            let doc_id = doc.id;
            db::run(&state.pool, move |c| {
                db::documents::store_rendered(c, doc_id, &bytes, &sha256)
            })
            .await?
        }
    };
    let etag = format!("\"{sha256}\"");
    let cache = (header::CACHE_CONTROL, "private, no-cache");
    if not_modified(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .insert_header((
            header::CONTENT_DISPOSITION,
            super::export::content_disposition(&fallback, &filename),
        ))
        .body(bytes))
}
