use actix_web::{get, post, put};

use super::*;

/// The reviewer's expertise and declared affiliations.
#[utoipa::path(tag = "review", security(("bearer" = [])), responses((status = 200, body = Profile)))]
#[get("/reviewer/profile")]
pub(super) async fn get_profile(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if user.0.role != crate::domain::account::Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    Ok(HttpResponse::Ok().json(
        db::run(&state.pool, move |c| {
            crate::db::reviews::profile(c, user.0.id)
        })
        .await?,
    ))
}

#[utoipa::path(request_body = Profile, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 422)))]
#[put("/reviewer/profile")]
pub(super) async fn put_profile(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<Profile>,
) -> Result<HttpResponse, AppError> {
    let p = body.into_inner();
    db::run(&state.pool, move |c| {
        ops::reviews::save_profile(c, &user.0, &p)
    })
    .await?;
    Ok(ok())
}

/// The reviewer's assignments, newest first, paged (`?page&per_page`, 50 by default): the body
/// is the page's rows; `X-Total-Count` and `Link` give the total and the other pages.
#[utoipa::path(params(PageQuery), tag = "review", security(("bearer" = [])), responses((status = 200, body = Vec<AssignedItem>, headers(("X-Total-Count" = i64, description = "Assignments over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/reviews")]
pub(super) async fn list_reviews(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let queue = db::run(&state.pool, move |c| {
        crate::queries::reviews::queue(c, &user.0, page)
    })
    .await?;
    Ok(json_page(&req, &queue.items))
}

#[derive(Serialize, ToSchema)]
pub struct ReviewDetail {
    review: crate::queries::reviews::ReviewItem,
    proposal_number: Option<String>,
    title: String,
    category: String,
    org_name: String,
    /// The proposal's content, once the review is accepted.
    content: Option<ProposalContent>,
    /// The round's review criteria, in order.
    rubric: Vec<crate::domain::round::Criterion>,
    /// This reviewer's scores (tenths of a point) and comments.
    scores: crate::domain::assignment::ReviewContent,
}

/// One of the reviewer's reviews; the proposal's content only after accepting.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200, body = ReviewDetail), (status = 403)))]
#[get("/reviews/{id}")]
pub(super) async fn get_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::reviews::review(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReviewDetail {
        proposal_number: v.proposal.number.clone(),
        title: v.proposal.title.clone(),
        category: v.proposal.category.clone(),
        org_name: v.org_name,
        content: v.content,
        scores: v.review.content(v.rubric.len()),
        rubric: v.rubric,
        review: crate::queries::reviews::ReviewItem::from(&v.review),
    }))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/reviews/{id}/accept")]
pub(super) async fn accept_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db::run(&state.pool, move |c| ops::reviews::accept(c, &user.0, id)).await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct DeclineBody {
    conflict_note: String,
}

/// Decline with a conflict declaration; the slot opens for another reviewer.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), request_body = DeclineBody, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/reviews/{id}/decline")]
pub(super) async fn decline_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<DeclineBody>,
) -> Result<HttpResponse, AppError> {
    let (id, note) = (id.into_inner(), body.into_inner().conflict_note);
    db::run(&state.pool, move |c| {
        ops::reviews::decline(c, &user.0, id, &note)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewSave {
    version: i32,
    content: crate::domain::assignment::ReviewContent,
}

/// Save scores (tenths of a point, 0..max on the 0.5 step) and comments; drafts may be incomplete.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), request_body = ReviewSave, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/reviews/{id}")]
pub(super) async fn save_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReviewSave>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::reviews::save(c, &user.0, id, b.version, &b.content)
    })
    .await?;
    Ok(ok())
}

/// Submit the review: every score, the overall comment and a recommendation are required; it locks.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/reviews/{id}/submit")]
pub(super) async fn submit_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db::run(&state.pool, move |c| ops::reviews::submit(c, &user.0, id)).await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct ReopenBody {
    reason: String,
}

/// An officer reopens a submitted review, with a reason.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the review assignment")), request_body = ReopenBody, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/reviews/{id}/reopen")]
pub(super) async fn reopen_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReopenBody>,
) -> Result<HttpResponse, AppError> {
    let (id, reason, settings) = (
        id.into_inner(),
        body.into_inner().reason,
        state.settings.clone(),
    );
    db::run(&state.pool, move |c| {
        ops::reviews::reopen(c, &settings, &user.0, id, &reason)
    })
    .await?;
    Ok(ok())
}

/// The ranking from the submitted reviews, with raw and normalised scores, divergence flags
/// and the proposed funding line within the budget. The ranking, the line and the totals are
/// over the whole round; `rows` is one page of it: `?page` (default: the page where the
/// funding line falls, `line_page`, with the first row below the line added when the line
/// ends it) and `?per_page` (default 50). `X-Total-Count` and `Link` as on every list.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), PageQuery), tag = "review", security(("bearer" = [])), responses((status = 200, body = crate::queries::decision::DecisionView, headers(("X-Total-Count" = i64, description = "Ranked proposals over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 409)))]
#[get("/rounds/{id}/ranking")]
pub(super) async fn ranking(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = crate::web::reviews::ranking_rows(&q)?;
    let reads = state.reads.clone();
    let d = db::run(&state.pool, move |c| {
        crate::queries::decision::cached_rows(c, &reads, &user.0, id, rows)
    })
    .await?;
    let mut res = HttpResponse::Ok();
    for h in crate::web::paging::list_headers(&req, d.page, d.per_page, d.total_rows as i64) {
        res.insert_header(h);
    }
    Ok(res.json(&d))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/ranking.xlsx")]
pub(super) async fn ranking_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::reviews::ranking_xlsx_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
#[get("/rounds/{id}/ranking.pdf")]
pub(super) async fn ranking_pdf(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::reviews::ranking_pdf_response(&state, user.0, id.into_inner()).await
}

/// Move a screened round to expert review.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/rounds/{id}/review/start")]
pub(super) async fn start_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::reviews::start_review(c, &user.0, id)
    })
    .await?;
    Ok(ok())
}

/// Fill every open slot, load-balanced, conflicts excluded.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/rounds/{id}/review/auto-assign")]
pub(super) async fn auto_assign(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let n = db::run(&state.pool, move |c| {
        ops::reviews::auto_assign(c, &settings, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "assigned": n })))
}

/// The assignment board: each eligible proposal with its reviewers and open slots, filtered
/// (`?q&category&open`) and sorted (`?sort`, number order by default) as the page's board,
/// paged (`?page&per_page`, 50 by default): the body is the page's rows; `X-Total-Count` and
/// `Link` give the total and the other pages.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), PageQuery, crate::web::reviews::BoardQuery), tag = "review", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::reviews::BoardRow>, headers(("X-Total-Count" = i64, description = "Proposals in review over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/rounds/{id}/assignments")]
pub(super) async fn assignments(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
    bq: Query<crate::web::reviews::BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page, f) = (id.into_inner(), q.req()?, bq.filter()?);
    let reads = state.reads.clone();
    let b = db::run(&state.pool, move |c| {
        crate::queries::reviews::board(c, &reads, &user.0, id, &f, page)
    })
    .await?;
    Ok(json_page(&req, &b.rows))
}

#[derive(Deserialize, ToSchema)]
pub struct AssignBody {
    reviewer_id: i64,
}

/// Assign one reviewer by hand (refused on a known conflict).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the proposal")), request_body = AssignBody, tag = "review", security(("bearer" = [])), responses((status = 201), (status = 409)))]
#[post("/proposals/{id}/reviewers")]
pub(super) async fn assign_reviewer(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<AssignBody>,
) -> Result<HttpResponse, AppError> {
    let (id, rid, settings) = (
        id.into_inner(),
        body.into_inner().reviewer_id,
        state.settings.clone(),
    );
    let review = db::run(&state.pool, move |c| {
        ops::reviews::assign(c, &settings, &user.0, id, rid)
    })
    .await?;
    Ok(created(review))
}
