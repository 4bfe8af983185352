use actix_web::{get, post, put};

use super::*;

/// A round's settings. Money in fen, times in RFC 3339 (stored in UTC).
#[derive(Deserialize, ToSchema)]
pub struct RoundInput {
    title: String,
    year: i32,
    #[serde(default)]
    description: String,
    #[serde(default)]
    total_budget_fen: i64,
    #[serde(default)]
    min_grant_fen: i64,
    #[serde(default)]
    max_grant_fen: i64,
    opens_at: Option<chrono::DateTime<chrono::Utc>>,
    closes_at: Option<chrono::DateTime<chrono::Utc>>,
    review_due: Option<chrono::DateTime<chrono::Utc>>,
    /// The defaults of DESIGN §2.1 when absent.
    rules: Option<RoundRules>,
    /// The version read (for PUT); a newer one on the server is a 409.
    version: Option<i32>,
}

pub(super) fn utc(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<chrono::NaiveDateTime> {
    use chrono::SubsecRound;
    t.map(|t| t.naive_utc().trunc_subsecs(6))
}

impl RoundInput {
    /// The round as given; `ops::rounds` checks it (money bounds on every save, the rest
    /// before publishing), the same as for the page's form.
    fn into_parts(self) -> (RoundCore, RoundRules) {
        let core = RoundCore {
            title: self.title.trim().to_string(),
            year: self.year,
            description: self.description,
            total_budget: Fen(self.total_budget_fen),
            min_grant: Fen(self.min_grant_fen),
            max_grant: Fen(self.max_grant_fen),
            opens_at: utc(self.opens_at),
            closes_at: utc(self.closes_at),
            review_due: utc(self.review_due),
        };
        (core, self.rules.unwrap_or_default())
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoundDetail {
    round: crate::queries::rounds::RoundItem,
    rules: RoundRules,
    bureau: String,
    /// Why a draft cannot open yet (empty: it can).
    publish_problems: Vec<serde_json::Value>,
    /// For the round's officers: how many drafts organizations are writing in it, not yet
    /// submitted (their content is the organization's until then). Absent on the public call.
    #[serde(skip_serializing_if = "Option::is_none")]
    drafts: Option<i64>,
}

fn detail(
    round: &RoundRow,
    rules: RoundRules,
    bureau: String,
    problems: &FieldErrors,
    lang: Lang,
) -> RoundDetail {
    RoundDetail {
        round: round.into(),
        rules,
        bureau,
        publish_problems: problems
            .0
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "code": e.msg.key.rsplit('.').next(), "message": e.msg.render(lang)}))
            .collect(),
        drafts: None,
    }
}

/// A published round as the calls show it.
pub(super) fn round_detail(v: crate::web::rounds::RoundView, lang: Lang) -> RoundDetail {
    let problems = crate::queries::rounds::publish_problems(&v.round, &v.rules);
    detail(&v.round, v.rules, v.bureau, &problems, lang)
}

/// The rounds of the officer's bureau, newest first, paged (`page`, `per_page`: 50 by default).
#[utoipa::path(params(PageQuery), tag = "rounds", security(("bearer" = [])), responses((status = 200, body = Vec<crate::queries::rounds::RoundItem>, headers(("X-Total-Count" = i64, description = "Rounds over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"))), (status = 403)))]
#[get("/rounds")]
pub(super) async fn list_rounds(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let list = db::run(&state.pool, move |c| {
        crate::queries::rounds::managed_page(c, &user.0, page)
    })
    .await?;
    Ok(json_page(&req, &list))
}

/// Start a draft round for the officer's bureau.
#[utoipa::path(request_body = RoundInput, tag = "rounds", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
#[post("/rounds")]
pub(super) async fn create_round(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<RoundInput>,
) -> Result<HttpResponse, AppError> {
    let (core, rules) = body.into_inner().into_parts();
    let id = db::run(&state.pool, move |c| {
        ops::rounds::create(c, &user.0, &core, &rules)
    })
    .await?;
    Ok(created(id))
}

/// A round of the officer's bureau, with what still keeps a draft from opening.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "rounds", security(("bearer" = [])), responses((status = 200, body = RoundDetail), (status = 403), (status = 404)))]
#[get("/rounds/{id}")]
pub(super) async fn get_round(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        crate::queries::rounds::round(c, &user.0, id)
    })
    .await?;
    let drafts = v.drafts;
    Ok(HttpResponse::Ok().json(RoundDetail {
        drafts: Some(drafts),
        ..detail(
            &v.round,
            v.rules,
            v.bureau,
            &v.publish_problems,
            lang_of(&req),
        )
    }))
}

/// Replace a draft's settings.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body = RoundInput, tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[put("/rounds/{id}")]
pub(super) async fn update_round(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<RoundInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let version = body
        .version
        .ok_or_else(|| FieldErrors::single("version", "field.required"))?;
    let (core, rules) = body.into_parts();
    db::run(&state.pool, move |c| {
        ops::rounds::update(c, &user.0, id, version, &core, &rules)
    })
    .await?;
    Ok(ok())
}

/// Open the round for applications (checks the whole configuration; freezes the rules).
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/rounds/{id}/publish")]
pub(super) async fn publish_round(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, settings) = (id.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::rounds::publish(c, &settings, &user.0, id)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct DeadlinesBody {
    closes_at: chrono::DateTime<chrono::Utc>,
    review_due: chrono::DateTime<chrono::Utc>,
    reason: String,
}

/// Move the deadlines of a published round, with a reason.
#[utoipa::path(params(("id" = i64, Path, description = "Id of the round")), request_body = DeadlinesBody, tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
#[post("/rounds/{id}/deadlines")]
pub(super) async fn move_deadlines(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<DeadlinesBody>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    let settings = state.settings.clone();
    let (closes, review) = (
        utc(Some(b.closes_at)).expect("some"),
        utc(Some(b.review_due)).expect("some"),
    );
    db::run(&state.pool, move |c| {
        ops::rounds::move_deadlines(c, &settings, &user.0, id, closes, review, &b.reason)
    })
    .await?;
    Ok(ok())
}
