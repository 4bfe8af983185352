use actix_web::{get, post, put};

use super::*;

/// Assign an unrelated agency's evaluator to the mid-term or final evaluation (after a
/// rectification: the re-evaluation of that stage).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = ops::evaluation::AssignInput, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
#[post("/projects/{id}/evaluations")]
pub(super) async fn assign_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::evaluation::AssignInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let eid = db::run(&state.pool, move |c| {
        ops::evaluation::assign(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(created(eid))
}

/// The evaluations of a project the caller may see: the bureau's officers all, an evaluator
/// their own, everyone who reads the project the accepted ones.
/// Paged (`page`, `per_page`: 50 by default; a short list, read whole).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project"), PageQuery), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::evaluations::EvaluationSummary>, headers(("X-Total-Count" = i64, description = "Evaluations over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/projects/{id}/evaluations")]
pub(super) async fn project_evaluations(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, page) = (id.into_inner(), q.req()?);
    let rows = db::run(&state.pool, move |c| {
        crate::queries::evaluations::for_project(c, &user.0, id)
    })
    .await?;
    Ok(crate::web::paging::json_slice(&req, rows, page))
}

/// The evaluator's assignments, newest first, paged (`page`, `per_page`: 50 by default).
#[utoipa::path(params(PageQuery), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::evaluations::EvaluationItem>, headers(("X-Total-Count" = i64, description = "Evaluations over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/evaluations")]
pub(super) async fn my_evaluations(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    if user.0.role != crate::domain::account::Role::Evaluator {
        return Err(AppError::Forbidden);
    }
    let page = q.req()?;
    let rows = db::run(&state.pool, move |c| {
        crate::db::evaluations::for_evaluator_page(c, user.0.id, page)
    })
    .await?;
    Ok(json_page(
        &req,
        &rows.map(|e| crate::queries::evaluations::EvaluationItem::from(&e)),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationDetail {
    evaluation: crate::queries::evaluations::EvaluationItem,
    content: crate::domain::evaluation::EvaluationContent,
    files: Vec<crate::db::projects::FileMeta>,
    /// What the rule engine decides as filed: (grade, consequence, renewal).
    proposed: Option<(String, String, String)>,
    /// The total (tenths) the proposed grade is read from: the scores' total (with a panel,
    /// the mean of the members' totals, rounded half up) less any lateness deduction.
    proposed_total_tenths: Option<i32>,
    /// The milestone reports this evaluation covers that were late and what the round's rule
    /// does about them (derived until acceptance, then as recorded).
    lateness: crate::domain::evaluation::Lateness,
    /// The round's grade bands with their edges in tenths: (name, lowest, highest; none for
    /// the top band).
    grade_bands: Vec<(String, i32, Option<i32>)>,
    /// The round's evaluation score step (tenths).
    score_step: i32,
    /// What would stop the filing now (field, code).
    problems: Vec<(String, String)>,
    /// The plan's performance targets: pre-filled from the reports and the verified counts,
    /// the evaluator's own values, and what counts.
    targets: Vec<crate::queries::evaluations::TargetFiling>,
    /// The targets' achievement at the values that count.
    target_achievement: crate::domain::target::Achievement,
    /// Points of the total the round gives to target achievement (0: none).
    target_weight: i32,
    /// The call-back sample's estimates once drawn (`GET /api/v1/evaluations/{id}/sample`
    /// has the sample itself); `flagged` when its confirmed rate is below the round's
    /// threshold.
    sample: Option<crate::domain::sample::Estimates>,
}

impl From<crate::queries::evaluations::Filing> for EvaluationDetail {
    fn from(f: crate::queries::evaluations::Filing) -> Self {
        EvaluationDetail {
            evaluation: (&f.ev).into(),
            content: f.ev.content(),
            files: f.files,
            proposed_total_tenths: f.proposed.as_ref().map(|p| p.total_tenths),
            proposed: f.proposed.map(|p| {
                (
                    p.grade,
                    p.consequence.as_str().to_string(),
                    p.renewal.as_str().to_string(),
                )
            }),
            lateness: f.lateness,
            grade_bands: crate::domain::evaluation::band_edges(&f.rules.grade_bands),
            score_step: f.rules.evaluation_score_step,
            targets: f.targets,
            target_achievement: f.achievement,
            target_weight: f.rules.targets.evaluation_weight,
            sample: f.sample,
            problems: f
                .problems
                .0
                .iter()
                .map(|e| (e.field.clone(), e.msg.key.to_string()))
                .collect(),
        }
    }
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = EvaluationDetail), (status = 403)))]
#[get("/evaluations/{id}")]
pub(super) async fn get_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let f = db::run(&state.pool, move |c| {
        crate::queries::evaluations::filing(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EvaluationDetail::from(f)))
}

#[derive(Deserialize, ToSchema)]
pub struct SaveEvaluation {
    version: i32,
    content: crate::domain::evaluation::EvaluationContent,
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), request_body = SaveEvaluation, tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409)))]
#[put("/evaluations/{id}")]
pub(super) async fn save_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<SaveEvaluation>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let version = db::run(&state.pool, move |c| {
        ops::evaluation::save(c, &user.0, id, b.version, &b.content)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "version": version })))
}

/// Attach the agency's evaluation report (multipart `file`, PDF).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 422)))]
#[post("/evaluations/{id}/report")]
pub(super) async fn upload_evaluation_report(
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
        ops::evaluation::upload_report(c, &user.0, id, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(fid))
}

#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/evaluations/{id}/submit")]
pub(super) async fn submit_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::evaluation::submit(c, &s, &user.0, id)
    })
    .await?;
    Ok(ok())
}

/// Accept (the consequence is applied; an override needs a reason) or return an evaluation.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), request_body = ops::evaluation::ReviewInput, tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/evaluations/{id}/review")]
pub(super) async fn review_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::evaluation::ReviewInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let c = db::run(&state.pool, move |c| {
        ops::evaluation::review(c, &s, &user.0, id, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "consequence": c.as_str() })))
}

/// The evaluation summary (评估报告摘要) of an accepted evaluation as a PDF.
/// Issued when the evaluation is accepted, with a verification code and QR code; its
/// SHA-256 is the `ETag`.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 304), (status = 409)))]
#[get("/evaluations/{id}/summary.pdf")]
pub(super) async fn evaluation_summary_pdf(
    user: ApiUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::web::documents::summary_response(&state, &req, user.0, id.into_inner()).await
}

/// The completion certificate (结项证明) of a completed project as a PDF: the latest version
/// issued (a payment recorded after completion issues a new one), with its SHA-256 as `ETag`.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 304), (status = 409)))]
#[get("/projects/{id}/certificate.pdf")]
pub(super) async fn completion_certificate_pdf(
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
        crate::domain::project::DocumentKind::CompletionCertificate,
    )
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct StartRenewal {
    round_id: i64,
}

/// Start (or get) the renewal proposal (续期) of a completed project in a later open round
/// of its bureau, pre-filled from the project.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = StartRenewal, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409)))]
#[post("/projects/{id}/renewal")]
pub(super) async fn start_renewal(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<StartRenewal>,
) -> Result<HttpResponse, AppError> {
    let (id, round) = (id.into_inner(), body.into_inner().round_id);
    let pid = db::run(&state.pool, move |c| {
        ops::renewal::start(c, &user.0, id, round)
    })
    .await?;
    Ok(created(pid))
}

/// Record a refund (追回) received from a terminated project, within what it owes.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the project")), request_body = ops::evaluation::RefundInput, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
#[post("/projects/{id}/refunds")]
pub(super) async fn record_refund(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ops::evaluation::RefundInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let rid = db::run(&state.pool, move |c| {
        ops::evaluation::record_refund(c, &user.0, id, &input)
    })
    .await?;
    Ok(created(rid))
}

/// The call-back sample (抽样回访) of an evaluation: its seed, sizes per group, persons and
/// estimates once drawn (else what a draw would take). The bureau's officers and the assigned
/// evaluator only; the evaluator, while the evaluation is open, gets the sampled persons'
/// names and numbers in clear, and each such read is audited. Officers also get `check`: the
/// sample derived again from the seed and today's roster.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = ops::sampling::SampleState), (status = 403)))]
#[get("/evaluations/{id}/sample")]
pub(super) async fn get_sample(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, key) = (id.into_inner(), state.pii.clone());
    let v = db::run(&state.pool, move |c| {
        ops::sampling::view(c, &key, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Draw the sample (the assigned evaluator, once, while the evaluation is open): per group
/// the round's share of the roster's unique persons, ranked by SHA-256(seed ‖ person).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409)))]
#[post("/evaluations/{id}/sample")]
pub(super) async fn draw_sample(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let sid = db::run(&state.pool, move |c| ops::sampling::draw(c, &user.0, id)).await?;
    Ok(created(sid))
}

#[derive(Deserialize, ToSchema)]
pub struct SampleAnswers {
    answers: Vec<ops::sampling::AnswerInput>,
}

/// Record what the calls found, for any of the sampled persons (the others keep theirs).
/// Returns the estimates, which also feed the filing's verified figures and satisfaction.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the evaluation")), request_body = SampleAnswers, tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = crate::domain::sample::Estimates), (status = 403), (status = 409), (status = 422)))]
#[put("/evaluations/{id}/sample/answers")]
pub(super) async fn record_sample(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<SampleAnswers>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let est = db::run(&state.pool, move |c| {
        ops::sampling::record(c, &user.0, id, &b.answers)
    })
    .await?;
    Ok(HttpResponse::Ok().json(est))
}
