use actix_web::{delete, get, post, put};

use super::*;

/// End the review: every eligible proposal must have a submitted review; scores freeze.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/rounds/{id}/close-review")]
pub(super) async fn close_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::award::close_review(c, &user.0, id)
    })
    .await?;
    Ok(ok())
}

/// Reduce a proposal's grant (核减) and/or move it across the funding line, each with a
/// written reason. Empty fields put it back as ranked.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), request_body = ops::award::EntryInput, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/proposals/{id}/decision")]
pub(super) async fn put_decision_entry(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::award::EntryInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::award::save_entry(c, &user.0, id, &input)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct CategoryBudget {
    category: String,
    /// Yuan, e.g. `200000` or `20万`; blank for no budget of its own.
    budget: String,
}

#[derive(Deserialize, ToSchema)]
pub struct CategoryBudgets {
    budgets: Vec<CategoryBudget>,
}

/// Replace the round's category budgets (errors name `budget.N`).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body = CategoryBudgets, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/rounds/{id}/category-budgets")]
pub(super) async fn put_category_budgets(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<CategoryBudgets>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let pairs: Vec<(String, String)> = body
        .into_inner()
        .budgets
        .into_iter()
        .map(|b| (b.category, b.budget))
        .collect();
    db::run(&state.pool, move |c| {
        ops::award::set_category_budgets(c, &user.0, id, &pairs)
    })
    .await?;
    Ok(ok())
}

#[derive(Serialize, ToSchema)]
pub struct NoticePublished {
    /// UTC; when the notice opens to the public (now, unless scheduled).
    starts_at: chrono::NaiveDateTime,
    /// UTC; the notice runs the round's working days from its start (holiday calendar
    /// included).
    ends_at: chrono::NaiveDateTime,
    /// Waits for `starts_at` (定时发布): the list is frozen, but only the bureau's officers
    /// see it until then; `DELETE` on the same path takes it back.
    scheduled: bool,
}

/// When to publish; an empty body publishes now.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// A later time (定时发布), on a working day of the holiday calendar and within 60 days;
    /// absent: now.
    starts_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Publish the funding line for public notice (公示), now or at a set time.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body(content = Option<PublishInput>, description = "Optional: when to publish"), tag = "award", security(("bearer" = [])), responses((status = 200, body = NoticePublished), (status = 409), (status = 422, description = "`starts_at` past, too far ahead or not a working day")))]
#[post("/rounds/{id}/notice")]
pub(super) async fn publish_notice(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: crate::web::input::JsonOrEmpty<PublishInput>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    let starts_at = super::rounds::utc(body.into_inner().starts_at);
    let p = db::run(&state.pool, move |c| {
        ops::award::publish_notice(c, &s, &user.0, id, starts_at)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NoticePublished {
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        scheduled: p.scheduled,
    }))
}

/// Take back a scheduled notice before it opens; the round returns to the decision.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409, description = "Not scheduled, or already open to the public")))]
#[delete("/rounds/{id}/notice")]
pub(super) async fn cancel_scheduled_notice(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::award::cancel_scheduled_notice(c, &user.0, id)
    })
    .await?;
    Ok(ok())
}

#[derive(Serialize, ToSchema)]
pub struct PublicNotice {
    round_id: i64,
    round_title: String,
    round_status: String,
    notice: crate::db::awards::Notice,
    /// Open for objections now.
    open: bool,
    /// Scheduled and not yet public (only the bureau's officers see it): opens at
    /// `notice.starts_at`.
    scheduled: bool,
    /// One page of the list, in rank order: proposals on the list (`funded`, with
    /// substitutes) and those removed after an upheld objection; officers of the bureau also
    /// see `waitlisted` and `not_fundable`.
    list: Vec<AwardLine>,
    /// Lines over all pages (as `X-Total-Count`).
    total: i64,
    /// The grant on the funded lines, over all pages.
    used_fen: i64,
    /// The round's funding-line rule: what the line (and its refill after an upheld
    /// objection) does with the first proposal that does not fit what is left.
    funding_rule: crate::domain::review::FundingRule,
    /// When the last notice ends (the main one, or a later supplementary one); the award
    /// waits for it.
    ends_at: chrono::NaiveDateTime,
    /// Supplementary notices (补充公示) of proposals brought onto the list from the waitlist,
    /// oldest first (none when the round has the setting off).
    supplementary: Vec<SupplementaryNotice>,
}

/// A supplementary notice (补充公示) and the proposals it lists.
#[derive(Serialize, ToSchema)]
pub struct SupplementaryNotice {
    /// UTC.
    starts_at: chrono::NaiveDateTime,
    /// UTC.
    ends_at: chrono::NaiveDateTime,
    working_days: i32,
    /// Running now: its proposals are open to objections.
    running: bool,
    /// The newcomers (and any taken off again, as `removed`), in rank order.
    list: Vec<AwardLine>,
}

/// One line of the published ranking.
#[derive(Serialize, ToSchema)]
pub struct AwardLine {
    proposal_id: i64,
    rank: i32,
    final_tenths: i32,
    requested_fen: i64,
    amount_fen: i64,
    reduce_reason: Option<String>,
    /// `funded`, `waitlisted`, `not_fundable`, `excluded` or `removed` (by an upheld
    /// objection).
    state: crate::domain::award::AwardState,
    /// Came in from the waitlist after an upheld objection (递补).
    substitute: bool,
    number: Option<String>,
    title: String,
    category: String,
    org_id: i64,
    org_name: String,
    /// Funded in part under the round's `partial` funding rule: the amount it was cut from.
    partial_of_fen: Option<i64>,
}

impl From<crate::db::awards::AwardRow> for AwardLine {
    fn from(a: crate::db::awards::AwardRow) -> Self {
        AwardLine {
            proposal_id: a.proposal_id,
            rank: a.rank,
            final_tenths: a.final_tenths,
            requested_fen: a.requested_fen,
            amount_fen: a.amount_fen,
            reduce_reason: a.reduce_reason,
            state: a.state,
            substitute: a.substitute,
            number: a.number,
            title: a.title,
            category: a.category,
            org_id: a.org_id,
            org_name: a.org_name,
            partial_of_fen: a.partial_of_fen,
        }
    }
}

/// The public notice of a round (no sign-in needed), one page of its list at a time
/// (`?page&per_page`, 50 by default); `X-Total-Count` and `Link` give the total and the other
/// pages.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), PageQuery), tag = "award", responses((status = 200, body = PublicNotice, headers(("X-Total-Count" = i64, description = "Lines over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 404)))]
#[get("/rounds/{id}/notice")]
pub(super) async fn get_notice(
    req: HttpRequest,
    user: Option<ApiUser>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page) = (id.into_inner(), page.req()?);
    match user {
        // Staff see every line; what they get is theirs alone.
        Some(u) => {
            let n = public_notice(&state, id, Some(u.0), page).await?;
            let mut res = HttpResponse::Ok();
            res.insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"));
            for h in crate::web::paging::list_headers(&req, page.page, page.per_page, n.total) {
                res.insert_header(h);
            }
            Ok(res.json(n))
        }
        None => {
            let key = crate::web::public_cache::Key::new("notice_api", Some(id), lang_of(&req));
            let st = state.clone();
            crate::web::public_cache::json_page(&req, &state, key, page, || async move {
                let n = public_notice(&st, id, None, page).await?;
                Ok((crate::web::public_cache::to_json(&n)?, n.total))
            })
            .await
        }
    }
}

async fn public_notice(
    state: &AppState,
    id: i64,
    actor: Option<Actor>,
    page: db::PageReq,
) -> Result<PublicNotice, AppError> {
    let n = db::run(&state.pool, move |c| {
        crate::queries::notice::notice(c, id, actor.as_ref(), page)
    })
    .await?;
    Ok(PublicNotice {
        round_id: n.round.id,
        open: n.open,
        scheduled: n.scheduled,
        round_title: n.round.title,
        round_status: n.round.status.to_string(),
        notice: n.notice,
        total: n.list.total,
        list: n.list.items.into_iter().map(AwardLine::from).collect(),
        used_fen: n.used_fen,
        funding_rule: n.funding_rule,
        ends_at: n.ends_at,
        supplementary: n
            .supplements
            .into_iter()
            .map(|g| SupplementaryNotice {
                starts_at: g.starts_at,
                ends_at: g.ends_at,
                working_days: g.working_days,
                running: g.running,
                list: g.lines.into_iter().map(AwardLine::from).collect(),
            })
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionFiled {
    id: i64,
    /// Always false here: the objection counts once confirmed from the emailed link.
    confirmed: bool,
    /// "Check your email to confirm", in the request's language.
    message: String,
}

/// File an objection (异议) against a listed proposal while the notice runs (no sign-in). It
/// counts only once confirmed from the link emailed to its author within 24 hours; filing is
/// limited per client address and per email address (429 with `Retry-After`).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body = crate::domain::award::ObjectionInput, tag = "award",
    responses((status = 202, body = ObjectionFiled), (status = 409), (status = 422), (status = 429, description = "too many objections from this address or email")))]
#[post("/rounds/{id}/objections")]
pub(super) async fn file_objection(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<crate::domain::award::ObjectionInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let lang = lang_of(&req);
    let client = crate::web::client_addr(&req, &state.settings);
    let filed = db::run(&state.pool, move |c| {
        ops::award::file_objection(c, &s, id, &input, lang.code(), &client)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(ObjectionFiled {
        id: filed.id,
        confirmed: false,
        message: Msg::new("flash.objection_check_email").render(lang),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionConfirmed {
    id: i64,
    round_id: i64,
}

/// Confirm an objection with the token from the emailed link: it now reaches the officers and
/// holds up the award. 400 for an unknown, used or expired (24 hours) token.
#[utoipa::path(request_body = TokenBody, tag = "award",
    responses((status = 200, body = ObjectionConfirmed), (status = 400), (status = 409), (status = 429)))]
#[post("/objections/confirm")]
pub(super) async fn confirm_objection(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let (t, s) = (body.into_inner().token, state.settings.clone());
    let lang = lang_of(&req);
    let client = crate::web::client_addr(&req, &state.settings);
    let o = db::run(&state.pool, move |c| {
        ops::award::confirm_objection(c, &s, &t, lang.code(), &client)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ObjectionConfirmed {
        id: o.id,
        round_id: o.round_id,
    }))
}

/// The confirmed objections of a round, for its officers; duplicates (the same email, or the
/// same proposal and reason) come together with their group and its size. Paged (`page`,
/// `per_page`: 50 by default); the groups are found over all of them.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), PageQuery), tag = "award", security(("bearer" = [])),
    responses((status = 200, body = Vec<ops::award::ObjectionItem>, headers(("X-Total-Count" = i64, description = "Objections over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/rounds/{id}/objections")]
pub(super) async fn list_objections(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page) = (id.into_inner(), q.req()?);
    let rows = db::run(&state.pool, move |c| {
        ops::award::objections_for_officer(c, &user.0, id)
    })
    .await?;
    Ok(crate::web::paging::json_slice(&req, rows, page))
}

/// Answer an objection: upheld (the proposal leaves the list and the waitlist moves up) or
/// rejected, with a response emailed to the objector.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the objection")), request_body = ops::award::AnswerInput, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/objections/{id}/answer")]
pub(super) async fn answer_objection(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::award::AnswerInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::award::answer_objection(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(ok())
}

#[derive(Serialize, ToSchema)]
pub struct Finalised {
    projects: Vec<i64>,
}

/// Award the round after the notice: projects, agreement numbers, tranche schedules and an
/// email to every applicant.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200, body = Finalised), (status = 409)))]
#[post("/rounds/{id}/finalise")]
pub(super) async fn finalise_round(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    let projects = db::run(&state.pool, move |c| {
        ops::award::finalise(c, &s, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Finalised { projects }))
}
