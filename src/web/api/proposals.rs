use actix_web::{get, post, put};

use super::screening::CheckLine;
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

/// The proposals of the member's organization, newest first, paged (`page`, `per_page`: 50
/// by default).
#[utoipa::path(params(PageQuery), tag = "proposals", security(("bearer" = [])), responses((status = 200, body = Vec<ProposalListItem>, headers(("X-Total-Count" = i64, description = "Proposals over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/proposals")]
pub(super) async fn list_proposals(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let list = db::run(&state.pool, move |c| {
        crate::queries::proposals::list_page(c, &user.0, page)
    })
    .await?;
    Ok(json_page(&req, &list))
}

/// A proposal's own facts (the content is beside it).
#[derive(Serialize, ToSchema)]
pub struct ProposalFacts {
    id: i64,
    round_id: i64,
    org_id: i64,
    /// Given on submission, e.g. `GY-2027-0042`.
    number: Option<String>,
    status: ProposalStatus,
    category: String,
    title: String,
    requested_grant_fen: i64,
    total_budget_fen: i64,
    /// Send it back with a save (a newer one on the server is a 409).
    version: i32,
    submitted_at: Option<chrono::NaiveDateTime>,
    /// Returned for correction (退回补正): the officer's comment and the deadline.
    return_comment: Option<String>,
    return_deadline: Option<chrono::NaiveDateTime>,
    /// Why it was found ineligible or withdrawn by the bureau.
    decision_reason: Option<String>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// The round a proposal applies to.
#[derive(Serialize, ToSchema)]
pub struct ProposalRound {
    id: i64,
    title: String,
    status: RoundStatus,
    closes_at: Option<chrono::NaiveDateTime>,
}

/// A field-level problem: the field, a stable code and the message in the caller's language.
#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    field: String,
    code: String,
    message: String,
}

impl FieldProblem {
    fn of(e: &crate::error::FieldError, lang: Lang) -> Self {
        FieldProblem {
            field: e.field.clone(),
            code: e.code().to_string(),
            message: e.msg.render(lang),
        }
    }
}

/// The published result (公示 or award) of a proposal.
#[derive(Serialize, ToSchema)]
pub struct ProposalOutcome {
    /// `funded`, `waitlisted`, `not_fundable`, `excluded` or `removed` (by an upheld
    /// objection).
    state: crate::domain::award::AwardState,
    /// Came in from the waitlist after an upheld objection (递补).
    substitute: bool,
    rank: i32,
    /// How many proposals the published list ranks.
    ranked: usize,
    /// The final score in tenths of a point.
    score_tenths: i32,
    /// The grant, when funded.
    amount_fen: Option<i64>,
    /// Why the grant is less than requested (核减), when funded.
    reduce_reason: Option<String>,
    /// The round is awarded: the result is final.
    awarded: bool,
    project_id: Option<i64>,
    /// Reviewers' overall comments without their names, once awarded.
    reviewer_comments: Vec<String>,
}

/// A proposal as its reader may see it: the same facts as the proposal page.
#[derive(Serialize, ToSchema)]
pub struct ProposalDetail {
    proposal: ProposalFacts,
    round: ProposalRound,
    org_name: String,
    content: ProposalContent,
    attachments: Vec<AttachmentMeta>,
    /// What keeps an editable proposal from being submitted now (empty: nothing).
    submission_problems: Vec<FieldProblem>,
    /// Budget lines (0-based) that look like items the grant may not pay for.
    flagged_budget_lines: Vec<usize>,
    /// The automatic screening checklist: for the round's officers, once submitted.
    checklist: Option<Vec<CheckLine>>,
    /// The caller may screen it now (an officer of the round's bureau).
    can_screen: bool,
    /// The caller may change it now (a member of the organization).
    can_edit: bool,
    /// The caller may withdraw it now.
    can_withdraw: bool,
    /// Where it stands once the list is published or awarded.
    outcome: Option<ProposalOutcome>,
}

impl ProposalDetail {
    fn of(v: crate::queries::proposals::ProposalView, lang: Lang) -> Self {
        let p = v.p;
        ProposalDetail {
            proposal: ProposalFacts {
                id: p.id,
                round_id: p.round_id,
                org_id: p.org_id,
                number: p.number,
                status: p.status,
                category: p.category,
                title: p.title,
                requested_grant_fen: p.requested_grant_fen,
                total_budget_fen: p.total_budget_fen,
                version: p.version,
                submitted_at: p.submitted_at,
                return_comment: p.return_comment,
                return_deadline: p.return_deadline,
                decision_reason: p.decision_reason,
                created_at: p.created_at,
                updated_at: p.updated_at,
            },
            round: ProposalRound {
                id: v.round.id,
                title: v.round.title,
                status: v.round.status,
                closes_at: v.round.closes_at,
            },
            org_name: v.org_name,
            content: v.content,
            attachments: v.attachments,
            submission_problems: v
                .problems
                .iter()
                .map(|e| FieldProblem::of(e, lang))
                .collect(),
            flagged_budget_lines: v.flagged,
            checklist: v
                .checklist
                .map(|items| items.iter().map(|i| CheckLine::of(i, lang)).collect()),
            can_screen: v.can_screen,
            can_edit: v.can_edit,
            can_withdraw: v.can_withdraw,
            outcome: v.outcome.map(|o| ProposalOutcome {
                state: o.state,
                substitute: o.substitute,
                rank: o.rank,
                ranked: o.ranked,
                score_tenths: o.final_tenths,
                amount_fen: o.amount.map(|a| a.0),
                reduce_reason: o.reduce_reason,
                awarded: o.awarded,
                project_id: o.project_id,
                reviewer_comments: o.comments,
            }),
        }
    }
}

/// A proposal: its content, what keeps it from being submitted, and what the caller may see
/// of its screening and result.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, body = ProposalDetail), (status = 403), (status = 404)))]
#[get("/proposals/{id}")]
pub(super) async fn get_proposal(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::proposals::proposal(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProposalDetail::of(v, lang_of(&req))))
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

/// The proposal (申报书) as a PDF: an official document, always in Chinese.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
#[get("/proposals/{id}/pdf")]
pub(super) async fn proposal_pdf(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::proposals::pdf_response(&state, user.0, id.into_inner()).await
}
