use actix_web::{get, post};

use super::*;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    round_id: Option<i64>,
}

/// Projects the caller may see: an NGO its own, an officer the bureau's, an admin all.
/// Paged in id order (see `PageQuery`): the body is the page's rows; `X-Total-Count` and `Link`
/// give the total and the other pages.
#[utoipa::path(params(ProjectQuery, PageQuery), tag = "projects", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::projects::ProjectFacts>, headers(("X-Total-Count" = i64, description = "Projects over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/projects")]
pub(super) async fn list_projects(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<ProjectQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let f = crate::web::awards::project_filter(&user.0, q.round_id)?;
    let page = page.req()?;
    let reads = state.reads.clone();
    let list = db::run(&state.pool, move |c| {
        crate::queries::projects::list(c, &reads, &f, page)
    })
    .await?;
    Ok(json_page(&req, &list))
}

/// The project with plan against actual: tranches and what was paid on each, payments,
/// files, milestones, beneficiary groups, budget lines, totals, refunds, the evaluations the
/// caller may see, and the outcome; the figures of the project page.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::queries::projects::ProjectDetail), (status = 403), (status = 404)))]
#[get("/projects/{id}")]
pub(super) async fn get_project(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::projects::project(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(crate::queries::projects::ProjectDetail::from(&v)))
}

/// The award notice (立项通知书) as a PDF: the stored document as issued, with its SHA-256
/// as `ETag` (`If-None-Match` answers 304).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 304)))]
#[get("/projects/{id}/award-notice.pdf")]
pub(super) async fn project_award_notice(
    user: ApiUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::documents::document_response(
        &state,
        &req,
        user.0,
        id.into_inner(),
        crate::domain::project::DocumentKind::AwardNotice,
    )
    .await
}

/// The grant agreement (项目协议书) as a PDF: the stored document as issued, with its SHA-256
/// as `ETag` (`If-None-Match` answers 304).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 304)))]
#[get("/projects/{id}/agreement.pdf")]
pub(super) async fn project_agreement(
    user: ApiUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::documents::document_response(
        &state,
        &req,
        user.0,
        id.into_inner(),
        crate::domain::project::DocumentKind::Agreement,
    )
    .await
}

/// Record the signed agreement (multipart `file`: PDF, PNG or JPEG); the first tranche
/// becomes releasable.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
#[post("/projects/{id}/agreement")]
pub(super) async fn record_agreement(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let s = state.settings.clone();
    let fid = db::run(&state.pool, move |c| {
        ops::execution::record_agreement(c, &s, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the project"), ("fid" = i64, Path, description = "Id of the project file")), tag = "projects", security(("bearer" = [])), responses((status = 200), (status = 404)))]
#[get("/projects/{id}/files/{fid}")]
pub(super) async fn project_file(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, fid) = path.into_inner();
    crate::web::projects::file_response(&state, user.0, id, fid).await
}

/// Record a payment on a releasable tranche (never above what is left of the tranche or
/// of the grant).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the payment tranche")), request_body = ops::execution::PaymentInput, tag = "projects", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
#[post("/tranches/{id}/payments")]
pub(super) async fn record_payment(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::execution::PaymentInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let pid = db::run(&state.pool, move |c| {
        ops::execution::record_payment(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(created(pid))
}

/// Totals (grants, payments, spending, beneficiaries by group) and projects at risk of a
/// round, over all its projects, with one page of its project table (`?page&per_page`, 50 by
/// default; `?status` filters and `?sort` orders the table only). `X-Total-Count` and `Link`
/// give the table's total and its other pages.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round"), crate::web::projects::DashboardQuery, PageQuery), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::queries::dashboard::Dashboard, headers(("X-Total-Count" = i64, description = "Projects in the table over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403), (status = 422)))]
#[get("/rounds/{id}/dashboard")]
pub(super) async fn round_dashboard(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<crate::web::projects::DashboardQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Round(id.into_inner());
    dashboard(&req, &state, user.0, scope, &q, &page).await
}

/// The same for every project of the officer's bureau.
#[utoipa::path(params(crate::web::projects::DashboardQuery, PageQuery), tag = "projects", security(("bearer" = [])), responses((status = 200, body = crate::queries::dashboard::Dashboard, headers(("X-Total-Count" = i64, description = "Projects in the table over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403), (status = 422)))]
#[get("/dashboard/projects")]
pub(super) async fn bureau_dashboard(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<crate::web::projects::DashboardQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Bureau;
    dashboard(&req, &state, user.0, scope, &q, &page).await
}

async fn dashboard(
    req: &HttpRequest,
    state: &AppState,
    actor: Actor,
    scope: crate::queries::dashboard::Scope,
    q: &crate::web::projects::DashboardQuery,
    page: &PageQuery,
) -> Result<HttpResponse, AppError> {
    let (table, page) = (q.table()?, page.req()?);
    let reads = state.reads.clone();
    let d = db::run(&state.pool, move |c| {
        crate::queries::dashboard::page(c, &reads, &actor, scope, table, page)
    })
    .await?;
    let mut res = HttpResponse::Ok();
    for h in crate::web::paging::list_headers(req, d.page, d.per_page, d.total_lines) {
        res.insert_header(h);
    }
    Ok(res.json(d))
}

/// The project ledger (项目台账) of a round as xlsx.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/ledger.xlsx")]
pub(super) async fn ledger_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        crate::web::projects::Export::LedgerXlsx,
    )
    .await
}

/// The project ledger of a round as CSV (UTF-8 with a BOM).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/ledger.csv")]
pub(super) async fn ledger_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        crate::web::projects::Export::LedgerCsv,
    )
    .await
}

/// Beneficiary totals by group of a round as CSV.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
#[get("/rounds/{id}/beneficiaries.csv")]
pub(super) async fn beneficiaries_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        crate::web::projects::Export::BeneficiariesCsv,
    )
    .await
}

/// The funded projects of a round with grants and people served so far (no sign-in), paged
/// in id order with `X-Total-Count` and `Link`.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the finalised round"), PageQuery), tag = "projects", responses((status = 200, body = Vec<crate::queries::dashboard::PublicProject>, headers(("X-Total-Count" = i64, description = "Projects over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 404)))]
#[get("/results/{id}")]
pub(super) async fn public_results(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, pool, page) = (id.into_inner(), state.pool.clone(), page.req()?);
    let key = crate::web::public_cache::Key::new("results_api", Some(id), lang_of(&req));
    let reads = state.reads.clone();
    crate::web::public_cache::json_page(&req, &state, key, page, || async move {
        let list = db::run(&pool, move |c| {
            crate::queries::dashboard::public_results_page(c, &reads, id, page)
        })
        .await?;
        Ok((crate::web::public_cache::to_json(&list.items)?, list.total))
    })
    .await
}
