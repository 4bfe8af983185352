//! Pages of supervision visits (督导): the list of visits, a visit with its checklist,
//! findings and photos, and the forms that schedule, record and answer them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::upload::{MultipartBody, Sender, Upload};
use super::{filters, form_done, render, render_status, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::domain::visit::{
    CheckInput, CheckResult, ChecklistItem, FindingInput, RecordInput, VisitRating, PHOTO_MAX_BYTES,
};
use crate::error::{AppError, FieldErrors};
use crate::ops;
use crate::ops::visits::ScheduleInput;
use crate::queries::visits::{VisitLine, VisitScreen};

/// Blank finding rows the record form offers (the API takes up to `MAX_FINDINGS`).
pub const FORM_FINDINGS: usize = 5;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/visits", web::get().to(list))
        .route("/projects/{id}/visits", web::post().to(schedule))
        .route("/visits/{id}", web::get().to(page))
        .route("/visits/{id}/record", web::post().to(record))
        .route("/visits/{id}/photos", web::post().to(upload_photo))
        .route("/findings/{id}/respond", web::post().to(respond))
        .route("/findings/{id}/file", web::post().to(attach_file))
        .route("/findings/{id}/close", web::post().to(close))
        .route("/findings/{id}/reopen", web::post().to(reopen));
}

#[derive(Template)]
#[template(path = "visits/list.html")]
struct ListPage {
    ctx: PageCtx,
    visits: Vec<VisitLine>,
}

async fn list(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let visits = db::run(&state.pool, move |c| {
        crate::queries::visits::list(c, &actor)
    })
    .await?;
    render(&ListPage { ctx, visits })
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    scheduled_on: String,
    #[serde(default)]
    visitor_id: String,
}

async fn schedule(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ScheduleForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let input = ScheduleInput {
        scheduled_on: f.0.scheduled_on,
        visitor_id: f.0.visitor_id.trim().parse().ok(),
    };
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::visits::schedule(c, &s, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        |vid: i64| format!("/visits/{vid}"),
        "flash.visit_scheduled",
        async |e, status| super::projects::show_project(ctx, &state, id, e, None, status).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "visits/show.html")]
struct VisitPage {
    ctx: PageCtx,
    s: VisitScreen,
    errors: FormErrors,
    /// The values typed into the record form.
    vals: HashMap<String, String>,
    /// The finding whose form the errors belong to.
    error_finding: Option<i64>,
    items: &'static [ChecklistItem],
    results: &'static [CheckResult],
    ratings: &'static [VisitRating],
    rows: Vec<usize>,
    photo_max_mb: usize,
}

impl VisitPage {
    pub fn v(&self, key: &str) -> &str {
        self.vals.get(key).map(String::as_str).unwrap_or("")
    }
    pub fn errs_for(&self, finding: &i64) -> bool {
        self.error_finding == Some(*finding)
    }
    pub fn result_field(&self, item: &ChecklistItem) -> String {
        format!("result.{item}")
    }
    pub fn note_field(&self, item: &ChecklistItem) -> String {
        format!("note.{item}")
    }
    pub fn error_key(&self, item: &ChecklistItem) -> String {
        format!("checklist.{item}")
    }
    pub fn note_error_key(&self, item: &ChecklistItem) -> String {
        format!("checklist.{item}.note")
    }
    pub fn row_key(&self, what: &str, i: &usize) -> String {
        format!("findings.{i}.{what}")
    }
    pub fn row_val(&self, what: &str, i: &usize) -> &str {
        self.v(&format!("findings.{i}.{what}"))
    }
}

async fn show(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    vals: HashMap<String, String>,
    errors: FieldErrors,
    error_finding: Option<i64>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let s = db::run(&state.pool, move |c| {
        crate::queries::visits::visit(c, &actor, id)
    })
    .await?;
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &VisitPage {
            ctx,
            s,
            errors,
            vals,
            error_finding,
            items: ChecklistItem::ALL,
            results: CheckResult::ALL,
            ratings: VisitRating::ALL,
            rows: (0..FORM_FINDINGS).collect(),
            photo_max_mb: PHOTO_MAX_BYTES / (1024 * 1024),
        },
    )
}

async fn page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let vals = HashMap::from([("visited_on".to_string(), crate::db::today().to_string())]);
    show(
        ctx,
        &state,
        id.into_inner(),
        vals,
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The record form's fields (`result.<item>`, `note.<item>`, `findings.<i>.text`,
/// `findings.<i>.rectify_by`, …) as the ops' input.
fn record_input(vals: &HashMap<String, String>) -> RecordInput {
    let v = |k: &str| vals.get(k).cloned().unwrap_or_default();
    RecordInput {
        visited_on: v("visited_on"),
        checklist: ChecklistItem::ALL
            .iter()
            .map(|i| CheckInput {
                item: i.as_str().to_string(),
                result: v(&format!("result.{i}")),
                note: v(&format!("note.{i}")),
            })
            .collect(),
        rating: v("rating"),
        summary: v("summary"),
        findings: (0..FORM_FINDINGS)
            .map(|i| FindingInput {
                text: v(&format!("findings.{i}.text")),
                rectify_by: v(&format!("findings.{i}.rectify_by")),
            })
            .collect(),
    }
}

async fn record(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let vals: HashMap<String, String> = f.0.into_iter().collect();
    let input = record_input(&vals);
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::visits::record(c, &s, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        format!("/visits/{id}"),
        "flash.visit_recorded",
        async |e, status| show(ctx, &state, id, vals, e, None, status).await,
    )
    .await
}

/// A page's upload, or the visit page again with the file's error (beside the form of
/// `finding`, or the photo form's).
async fn read_upload(
    ctx: &PageCtx,
    state: &AppState,
    payload: MultipartBody,
    max: usize,
    visit: i64,
    finding: Option<i64>,
) -> Result<Result<Upload, HttpResponse>, AppError> {
    match payload.read(max, Sender::Page).await {
        Ok(up) => Ok(Ok(up)),
        Err(e) => {
            let (e, status) = super::upload::shown_on_form(e, max)?;
            let page = show(
                ctx.clone(),
                state,
                visit,
                HashMap::new(),
                e,
                finding,
                status,
            )
            .await?;
            Ok(Err(page))
        }
    }
}

async fn upload_photo(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let max = state.settings.upload_max_bytes.min(PHOTO_MAX_BYTES);
    let up = match read_upload(&ctx, &state, payload, max, id, None).await? {
        Ok(up) => up,
        Err(page) => return Ok(page),
    };
    let done = db::run(&state.pool, move |c| {
        ops::visits::upload_photo(c, &actor, id, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/visits/{id}#photos"),
        "flash.photo_uploaded",
        async |e, status| show(ctx, &state, id, HashMap::new(), e, None, status).await,
    )
    .await
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    response: String,
    #[serde(default)]
    note: String,
}

/// The visit a finding belongs to (for the page to go back to).
async fn visit_of(state: &AppState, finding: i64) -> Result<i64, AppError> {
    db::run(&state.pool, move |c| {
        Ok(crate::db::visits::finding(c, finding)?.visit_id)
    })
    .await
}

async fn respond(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<TextForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let fid = id.into_inner();
    let visit = visit_of(&state, fid).await?;
    let s = state.settings.clone();
    let response = f.0.response;
    let done = db::run(&state.pool, move |c| {
        ops::visits::respond(c, &s, &actor, fid, &response)
    })
    .await;
    finding_done(ctx, &state, done, visit, fid, "flash.finding_responded").await
}

async fn finding_done(
    ctx: PageCtx,
    state: &AppState,
    done: Result<impl Sized, AppError>,
    visit: i64,
    fid: i64,
    flash: &str,
) -> Result<HttpResponse, AppError> {
    form_done(
        done,
        format!("/visits/{visit}#finding-{fid}"),
        flash,
        async |e, status| show(ctx, state, visit, HashMap::new(), e, Some(fid), status).await,
    )
    .await
}

async fn attach_file(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let fid = id.into_inner();
    let visit = visit_of(&state, fid).await?;
    let max = state.settings.upload_max_bytes;
    let up = match read_upload(&ctx, &state, payload, max, visit, Some(fid)).await? {
        Ok(up) => up,
        Err(page) => return Ok(page),
    };
    let done = db::run(&state.pool, move |c| {
        ops::visits::attach_response_file(c, &actor, fid, &up.filename, &up.bytes)
    })
    .await;
    finding_done(ctx, &state, done, visit, fid, "flash.finding_file_attached").await
}

async fn close_or_reopen(
    ctx: PageCtx,
    state: web::Data<AppState>,
    fid: i64,
    f: TextForm,
    close: bool,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let visit = visit_of(&state, fid).await?;
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::visits::close_or_reopen(c, &s, &actor, fid, close, &f.note)
    })
    .await;
    let flash = if close {
        "flash.finding_closed"
    } else {
        "flash.finding_reopened"
    };
    finding_done(ctx, &state, done, visit, fid, flash).await
}

async fn close(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<TextForm>,
) -> Result<HttpResponse, AppError> {
    close_or_reopen(ctx, state, id.into_inner(), f.0, true).await
}

async fn reopen(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<TextForm>,
) -> Result<HttpResponse, AppError> {
    close_or_reopen(ctx, state, id.into_inner(), f.0, false).await
}
