use actix_web::{get, post, put};

use super::*;

/// Start a draft proposal in an open round (NGO member of a verified organization).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "proposals", security(("bearer" = [])), responses((status = 201), (status = 409)))]
#[post("/calls/{id}/proposals")]
pub(super) async fn start_proposal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let round = id.into_inner();
    let pid = db::run(&state.pool, move |c| {
        ops::proposals::start(c, &user.0, round)
    })
    .await?;
    Ok(created(pid))
}

/// The proposals of the member's organization.
#[utoipa::path(tag = "proposals", security(("bearer" = [])), responses((status = 200, body = Vec<ProposalListItem>)))]
#[get("/proposals")]
pub(super) async fn list_proposals(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let org = user.0.org_id.ok_or(AppError::Forbidden)?;
    policy::require(&user.0, Action::EditProposal(org))?;
    Ok(HttpResponse::Ok()
        .json(db::run(&state.pool, move |c| crate::db::proposals::for_org(c, org)).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ProposalDetail {
    proposal: ProposalRow,
    content: ProposalContent,
    attachments: Vec<AttachmentMeta>,
    /// What keeps an editable proposal from being submitted now (empty: nothing).
    submission_problems: Vec<serde_json::Value>,
    /// Budget lines (0-based) that look like items the grant may not pay for.
    flagged_budget_lines: Vec<usize>,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, body = ProposalDetail), (status = 403), (status = 404)))]
#[get("/proposals/{id}")]
pub(super) async fn get_proposal(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lang = lang_of(&req);
    let d = db::run(&state.pool, move |c| {
        let (p, r) = ops::proposals::find_visible(c, &user.0, id)?;
        let problems = if p.status.editable() {
            ops::proposals::submission_problems(c, &p, &r)?
                .0
                .iter()
                .map(|e| serde_json::json!({"field": e.field, "code": e.msg.key.rsplit('.').next(), "message": e.msg.render(lang)}))
                .collect()
        } else {
            Vec::new()
        };
        let content = p.content();
        Ok(ProposalDetail {
            attachments: crate::db::proposals::attachments(c, id)?,
            flagged_budget_lines: crate::domain::proposal::flagged_budget_lines(&content),
            content,
            proposal: p,
            submission_problems: problems,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Deserialize, ToSchema)]
pub struct ProposalSave {
    /// The version read; a newer one on the server (someone else saved) is a 409.
    version: i32,
    content: ProposalContent,
}

/// Save a draft (or a proposal returned for correction): the whole content.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), request_body = ProposalSave, tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/proposals/{id}")]
pub(super) async fn save_proposal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ProposalSave>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::proposals::save(c, &user.0, id, b.version, &b.content)
    })
    .await?;
    Ok(ok())
}

/// Submit: every rule is checked at once; answers with the proposal's number. Submitting an
/// already submitted proposal again returns the same number and changes nothing.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/proposals/{id}/submit")]
pub(super) async fn submit_proposal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let number = db::run(&state.pool, move |c| {
        ops::proposals::submit(c, &settings, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "number": number })))
}

#[derive(Deserialize, ToSchema)]
pub struct WithdrawBody {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), request_body = WithdrawBody, tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/proposals/{id}/withdraw")]
pub(super) async fn withdraw_proposal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<WithdrawBody>,
) -> Result<HttpResponse, AppError> {
    let (id, reason) = (id.into_inner(), body.into_inner().reason);
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::proposals::withdraw(c, &s, &user.0, id, &reason)
    })
    .await?;
    Ok(ok())
}

/// Attach a document (multipart: `kind`, `file`; PDF, PNG or JPEG by content).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 201), (status = 422)))]
#[post("/proposals/{id}/attachments")]
pub(super) async fn upload_attachment(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let aid = db::run(&state.pool, move |c| {
        ops::proposals::upload_attachment(c, &user.0, id, &up.kind, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(aid))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal"), ("aid" = i64, Path, description = "Id of the proposal attachment")), tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 404)))]
#[get("/proposals/{id}/attachments/{aid}")]
pub(super) async fn download_attachment(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    crate::web::proposals::attachment_response(&state, user.0, id, aid).await
}

/// The proposal (申报书) as a PDF.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
#[get("/proposals/{id}/pdf")]
pub(super) async fn proposal_pdf(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::proposals::pdf_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}
