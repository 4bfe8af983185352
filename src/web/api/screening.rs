use actix_web::{get, post};

use super::*;

#[derive(Serialize, ToSchema)]
pub struct CheckLine {
    key: String,
    label: String,
    ok: bool,
    problems: Vec<String>,
}

impl CheckLine {
    pub(super) fn of(i: &crate::domain::proposal::CheckItem, lang: Lang) -> Self {
        CheckLine {
            key: i.key.trim_start_matches("check.").to_string(),
            label: crate::i18n::t(lang, i.key).to_string(),
            ok: i.ok,
            problems: i.problems.iter().map(|m| m.render(lang)).collect(),
        }
    }
}

/// The automatic screening checklist of a proposal (officers of its bureau).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), tag = "screening", security(("bearer" = [])), responses((status = 200, body = Vec<CheckLine>)))]
#[get("/proposals/{id}/checklist")]
pub(super) async fn proposal_checklist(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, lang) = (id.into_inner(), lang_of(&req));
    let items = db::run(&state.pool, move |c| {
        // Read as the proposal (a draft is the organization's), and only by its officers.
        let (p, _) = ops::proposals::find_visible(c, &user.0, id)?;
        let r = ops::rounds::find_managed(c, &user.0, p.round_id)?;
        ops::screening::checklist(c, &p, &r)
    })
    .await?;
    let lines: Vec<CheckLine> = items.iter().map(|i| CheckLine::of(i, lang)).collect();
    Ok(HttpResponse::Ok().json(lines))
}

/// Record a screening decision: `eligible`, `ineligible` (with `reason`) or `return` (with
/// `comment` and `return_deadline`).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), request_body = DecisionInput, tag = "screening", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/proposals/{id}/screening")]
pub(super) async fn screen_proposal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let d = body.into_inner().decision()?;
    db::run(&state.pool, move |c| {
        ops::screening::decide(c, &settings, &user.0, id, &d)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct BulkDecision {
    ids: Vec<i64>,
    #[serde(flatten)]
    decision: DecisionInput,
}

/// The same decision for several proposals of the round: all of them or none.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body = BulkDecision, tag = "screening", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/rounds/{id}/screening")]
pub(super) async fn screen_many(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<BulkDecision>,
) -> Result<HttpResponse, AppError> {
    let (id, settings, b) = (id.into_inner(), state.settings.clone(), body.into_inner());
    let d = b.decision.decision()?;
    let n = db::run(&state.pool, move |c| {
        ops::screening::decide_many(c, &settings, &user.0, id, &b.ids, &d)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "decided": n })))
}

/// The round's submissions, with filters, one page (`page`, `per_page`: 50 by default) with
/// its total; the same `X-Total-Count` and `Link` as every list.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), SubmissionFilter), tag = "screening", security(("bearer" = [])), responses((status = 200, body = Paged<ProposalListItem>, headers(("X-Total-Count" = i64, description = "Submissions over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/rounds/{id}/submissions")]
pub(super) async fn list_submissions(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let (id, f) = (id.into_inner(), q.into_inner());
    let reads = state.reads.clone();
    let list = db::run(&state.pool, move |c| {
        crate::queries::proposals::submissions(c, &reads, &user.0, id, &f).map(|(_, l)| l)
    })
    .await?;
    Ok(super::super::paging::json_paged(&req, &list))
}

/// The round's received proposals the filter (`?status&category&q`) selects, all of them.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), SubmissionFilter), tag = "screening", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/submissions.xlsx")]
pub(super) async fn submissions_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let at = (id.into_inner(), q.into_inner());
    crate::web::screening::xlsx_response(&state, user.0, at, lang_of(&req)).await
}

/// The round's received proposals the filter (`?status&category&q`) selects, all of them.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), SubmissionFilter), tag = "screening", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/submissions.csv")]
pub(super) async fn submissions_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let at = (id.into_inner(), q.into_inner());
    crate::web::screening::csv_response(&state, user.0, at, lang_of(&req)).await
}
