use actix_web::{get, post, put};

use super::*;

/// The project's reports in time order, paged (`page`, `per_page`: 50 by default; a short
/// list, read whole).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project"), PageQuery), tag = "reports", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::projects::ReportItem>, headers(("X-Total-Count" = i64, description = "Reports over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/projects/{id}/reports")]
pub(super) async fn list_reports(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page) = (id.into_inner(), q.req()?);
    let rows = db::run(&state.pool, move |c| {
        crate::queries::projects::reports(c, &user.0, id)
    })
    .await?;
    Ok(crate::web::paging::json_slice(&req, rows, page))
}

#[derive(Deserialize, ToSchema)]
pub struct StartReport {
    /// The milestone of the plan (index in the proposal's milestones).
    milestone: Option<usize>,
    /// Or a month, `YYYY-MM`, for a monthly report.
    month: Option<String>,
}

/// Start the report of a milestone or a month (or get the existing one), pre-filled with
/// the cumulative figures of the last filed report.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = StartReport, tag = "reports", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409)))]
#[post("/projects/{id}/reports")]
pub(super) async fn start_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<StartReport>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let target = crate::web::projects::target_of(b.milestone, b.month.as_deref())?;
    let rid = db::run(&state.pool, move |c| {
        ops::execution::start_report(c, &user.0, id, target)
    })
    .await?;
    Ok(created(rid))
}

#[derive(Serialize, ToSchema)]
pub struct ReportDetail {
    report: crate::queries::projects::ReportItem,
    content: crate::domain::report::ReportContent,
    files: Vec<crate::db::projects::FileMeta>,
    /// What would stop its submission now (field, code).
    problems: Vec<(String, String)>,
}

impl From<crate::queries::projects::ReportScreen> for ReportDetail {
    fn from(r: crate::queries::projects::ReportScreen) -> Self {
        ReportDetail {
            report: (&r.report).into(),
            content: r.report.content(),
            files: r.files,
            problems: r
                .problems
                .0
                .iter()
                .map(|e| (e.field.clone(), e.msg.key.to_string()))
                .collect(),
        }
    }
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 200, body = ReportDetail), (status = 403)))]
#[get("/reports/{id}")]
pub(super) async fn get_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let r = db::run(&state.pool, move |c| {
        crate::queries::projects::report(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReportDetail::from(r)))
}

#[derive(Deserialize, ToSchema)]
pub struct SaveReport {
    version: i32,
    content: crate::domain::report::ReportContent,
}

/// Save a draft (or a returned report); checked in full on submission.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), request_body = SaveReport, tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/reports/{id}")]
pub(super) async fn save_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<SaveReport>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let version = db::run(&state.pool, move |c| {
        ops::execution::save_report(c, &user.0, id, b.version, &b.content)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "version": version })))
}

/// Submit a report: every check at once, field by field.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/reports/{id}/submit")]
pub(super) async fn submit_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::execution::submit_report(c, &s, &user.0, id)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewReport {
    accept: bool,
    /// Required when returning.
    #[serde(default)]
    comment: String,
}

/// Accept a submitted report, or return it with comments.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), request_body = ReviewReport, tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/reports/{id}/review")]
pub(super) async fn review_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReviewReport>,
) -> Result<HttpResponse, AppError> {
    let (id, b, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::execution::review_report(c, &s, &user.0, id, b.accept, &b.comment)
    })
    .await?;
    Ok(ok())
}

/// Attach evidence to an editable report (multipart `file`: photo, sign-in sheet or PDF).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
#[post("/reports/{id}/evidence")]
pub(super) async fn upload_evidence(
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
        ops::execution::upload_evidence(c, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}
