//! Supervision visits (督导): scheduling, recording, photos, and the findings' responses,
//! closing and reopening.

use actix_web::{get, post};

use super::*;
use crate::domain::visit::RecordInput;
use crate::ops::visits::ScheduleInput;
use crate::queries::visits::{ProjectVisits, VisitLine, VisitView};

/// The visits of a project with their findings and photos (everyone who reads the project:
/// its organization, the bureau, its evaluators and assigned supervisors). `holding` counts
/// the required rectifications that hold the next tranche.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "visits", security(("bearer" = [])), responses((status = 200, body = ProjectVisits), (status = 403), (status = 404)))]
#[get("/projects/{id}/visits")]
pub(super) async fn project_visits(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::visits::for_project(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Schedule a visit of a running project (the bureau's officers; an assigned supervisor for
/// themself). The visitor and the organization are emailed.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = ScheduleInput, tag = "visits", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409), (status = 422)))]
#[post("/projects/{id}/visits")]
pub(super) async fn schedule_visit(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ScheduleInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let s = state.settings.clone();
    let vid = db::run(&state.pool, move |c| {
        ops::visits::schedule(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(created(vid))
}

/// The visits a supervisor makes, or those of an officer's bureau, the latest first, paged
/// (`page`, `per_page`: 50 by default; at most 200 visits, read whole).
#[utoipa::path(params(PageQuery), tag = "visits", security(("bearer" = [])), responses((status = 200, body = Vec<VisitLine>, headers(("X-Total-Count" = i64, description = "Visits over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/visits")]
pub(super) async fn my_visits(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let rows = db::run(&state.pool, move |c| {
        crate::queries::visits::list(c, &user.0)
    })
    .await?;
    Ok(crate::web::paging::json_slice(&req, rows, page))
}

/// One visit with its checklist, findings and photos.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the visit")), tag = "visits", security(("bearer" = [])), responses((status = 200, body = VisitView), (status = 403), (status = 404)))]
#[get("/visits/{id}")]
pub(super) async fn get_visit(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let s = db::run(&state.pool, move |c| {
        crate::queries::visits::visit(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(s.visit))
}

/// Record a scheduled visit: every checklist item (`compliant`, `partial`, `non_compliant`,
/// `not_applicable`; a note for the partly and not compliant), the rating, and findings, each
/// with an optional `rectify_by` Beijing working day. Every problem at once, by field.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the visit")), request_body = RecordInput, tag = "visits", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409), (status = 422)))]
#[post("/visits/{id}/record")]
pub(super) async fn record_visit(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RecordInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::visits::record(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(ok())
}

/// Add a photo to a visit (multipart `file`: PNG or JPEG, at most 5 MB).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the visit")), tag = "visits", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 413), (status = 422)))]
#[post("/visits/{id}/photos")]
pub(super) async fn upload_visit_photo(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let max = state
        .settings
        .upload_max_bytes
        .min(crate::domain::visit::PHOTO_MAX_BYTES);
    let up = payload.read(max, Sender::Bearer).await?;
    let fid = db::run(&state.pool, move |c| {
        ops::visits::upload_photo(c, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}

#[derive(Deserialize, ToSchema)]
pub struct FindingResponse {
    /// What the organization did to rectify it.
    response: String,
}

/// The organization responds to a finding (again, until it is closed); the bureau's
/// officers are emailed.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the finding")), request_body = FindingResponse, tag = "visits", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409), (status = 422)))]
#[post("/findings/{id}/respond")]
pub(super) async fn respond_finding(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<FindingResponse>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::visits::respond(c, &s, &user.0, id, &b.response)
    })
    .await?;
    Ok(ok())
}

/// Attach a file to the response to a finding (multipart `file`: PDF, PNG or JPEG).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the finding")), tag = "visits", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409), (status = 413), (status = 422)))]
#[post("/findings/{id}/file")]
pub(super) async fn attach_finding_file(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let fid = db::run(&state.pool, move |c| {
        ops::visits::attach_response_file(c, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct FindingNote {
    /// Why: optional when closing, required when reopening.
    note: String,
}

/// The bureau's officer closes a finding: its rectification is done and the tranche it held
/// may be released.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the finding")), request_body = FindingNote, tag = "visits", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409), (status = 422)))]
#[post("/findings/{id}/close")]
pub(super) async fn close_finding(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<FindingNote>,
) -> Result<HttpResponse, AppError> {
    close_or_reopen(user, &state, id.into_inner(), body.into_inner(), true).await
}

/// The bureau's officer reopens a closed finding, with a note.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the finding")), request_body = FindingNote, tag = "visits", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409), (status = 422)))]
#[post("/findings/{id}/reopen")]
pub(super) async fn reopen_finding(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<FindingNote>,
) -> Result<HttpResponse, AppError> {
    close_or_reopen(user, &state, id.into_inner(), body.into_inner(), false).await
}

async fn close_or_reopen(
    user: ApiUser,
    state: &AppState,
    id: i64,
    b: FindingNote,
    close: bool,
) -> Result<HttpResponse, AppError> {
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::visits::close_or_reopen(c, &s, &user.0, id, close, &b.note)
    })
    .await?;
    Ok(ok())
}
