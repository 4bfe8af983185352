//! The JSON API under `/api/v1`: the same operations as the pages, with bearer tokens,
//! `application/problem+json` errors and an OpenAPI document generated from this code.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::input::{Json, Query};
use super::screening::DecisionInput;
use super::upload::{MultipartBody, Sender};
use super::AppState;
use crate::auth::extract::{ApiSession, ApiUser};
use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::{AuditRow, Verification};
use crate::db::orgs::{DocumentMeta, OrgFilter, OrgListItem, OrgRow};
use crate::db::proposals::{AttachmentMeta, ProposalListItem, SubmissionFilter};
use crate::db::reviews::{AssignedItem, Profile, ReviewRow};
use crate::db::rounds::RoundRow;
use crate::db::sessions::SessionInfo;
use crate::db::users::{Bureau, UserFilter, UserListItem};
use crate::db::{self, audit, orgs, users, Paged};
use crate::domain::account::UserStatus;
use crate::domain::money::Fen;
use crate::domain::org::{OrgInput, OrgKind};
use crate::domain::proposal::{ProposalContent, ProposalStatus};
use crate::domain::round::{RoundCore, RoundRules, RoundStatus};
use crate::domain::session::SessionKind;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{Lang, Msg};
use crate::ops;
use crate::ops::accounts::InviteInput;

pub fn scope() -> actix_web::Scope {
    web::scope("/api/v1")
        .app_data(
            web::JsonConfig::default()
                .limit(crate::domain::limits::JSON_BODY_MAX_BYTES)
                .error_handler(|err, _| match err {
                    actix_web::error::JsonPayloadError::Overflow { .. }
                    | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                        AppError::PayloadTooLarge.into()
                    }
                    err => {
                        AppError::BadRequest(Msg::new("error.malformed_json").arg("detail", err))
                            .into()
                    }
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|err, _| {
            AppError::BadRequest(Msg::new("error.malformed_query").arg("detail", err)).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .route("/openapi.json", web::get().to(openapi))
        .route("/auth/token", web::post().to(token))
        .route("/auth/signup", web::post().to(signup))
        .route("/auth/verify-email", web::post().to(verify_email))
        .route("/auth/password/forgot", web::post().to(forgot))
        .route("/auth/password/reset", web::post().to(reset))
        .route("/auth/invitations/accept", web::post().to(accept_invite))
        .route("/me", web::get().to(me))
        .route("/me/password", web::post().to(change_password))
        .route("/auth/logout", web::post().to(logout))
        .route("/me/sessions", web::get().to(my_sessions))
        .route("/me/sessions", web::delete().to(end_my_sessions))
        .route("/me/sessions/{id}", web::delete().to(end_my_session))
        .route("/users", web::get().to(list_users))
        .route("/users", web::post().to(invite_user))
        .route("/users/{id}/status", web::post().to(set_user_status))
        .route("/bureaus", web::get().to(list_bureaus))
        .route("/bureaus", web::post().to(create_bureau))
        .route("/orgs", web::get().to(list_orgs))
        .route("/orgs", web::post().to(create_org))
        .route("/orgs/{id}", web::get().to(get_org))
        .route("/orgs/{id}", web::put().to(update_org))
        .route("/orgs/{id}/verify", web::post().to(verify_org))
        .route("/orgs/{id}/reject", web::post().to(reject_org))
        .route("/orgs/{id}/accept-uscc", web::post().to(accept_uscc))
        .route("/orgs/{id}/credit", web::post().to(set_credit))
        .route("/orgs/{id}/bars", web::post().to(bar_org))
        .route("/orgs/{id}/members", web::post().to(invite_member))
        .route("/orgs/{id}/documents", web::post().to(upload_document))
        .route(
            "/orgs/{id}/documents/{doc}",
            web::get().to(download_document),
        )
        .route("/orgs/{id}/history", web::get().to(org_history))
        .route("/audit/verify", web::get().to(verify_audit))
        .route("/admin/holidays", web::get().to(get_holidays))
        .route("/admin/holidays", web::put().to(put_holidays))
        .route("/rounds", web::get().to(list_rounds))
        .route("/rounds", web::post().to(create_round))
        .route("/rounds/{id}", web::get().to(get_round))
        .route("/rounds/{id}", web::put().to(update_round))
        .route("/rounds/{id}/publish", web::post().to(publish_round))
        .route("/rounds/{id}/deadlines", web::post().to(move_deadlines))
        .route("/calls", web::get().to(list_calls))
        .route("/calls/{id}", web::get().to(get_call))
        .route("/calls/{id}/guide.pdf", web::get().to(call_guide))
        .route("/calls/{id}/proposals", web::post().to(start_proposal))
        .route("/proposals", web::get().to(list_proposals))
        .route("/proposals/{id}", web::get().to(get_proposal))
        .route("/proposals/{id}", web::put().to(save_proposal))
        .route("/proposals/{id}/submit", web::post().to(submit_proposal))
        .route(
            "/proposals/{id}/withdraw",
            web::post().to(withdraw_proposal),
        )
        .route(
            "/proposals/{id}/attachments",
            web::post().to(upload_attachment),
        )
        .route(
            "/proposals/{id}/attachments/{aid}",
            web::get().to(download_attachment),
        )
        .route("/proposals/{id}/pdf", web::get().to(proposal_pdf))
        .route(
            "/proposals/{id}/checklist",
            web::get().to(proposal_checklist),
        )
        .route("/proposals/{id}/screening", web::post().to(screen_proposal))
        .route("/rounds/{id}/submissions", web::get().to(list_submissions))
        .route("/rounds/{id}/screening", web::post().to(screen_many))
        .route(
            "/rounds/{id}/submissions.xlsx",
            web::get().to(submissions_xlsx),
        )
        .route(
            "/rounds/{id}/submissions.csv",
            web::get().to(submissions_csv),
        )
        .route("/reviewer/profile", web::get().to(get_profile))
        .route("/reviewer/profile", web::put().to(put_profile))
        .route("/reviews", web::get().to(list_reviews))
        .route("/reviews/{id}", web::get().to(get_review))
        .route("/reviews/{id}/accept", web::post().to(accept_review))
        .route("/reviews/{id}/decline", web::post().to(decline_review))
        .route("/reviews/{id}", web::put().to(save_review))
        .route("/reviews/{id}/submit", web::post().to(submit_review))
        .route("/reviews/{id}/reopen", web::post().to(reopen_review))
        .route("/rounds/{id}/review/start", web::post().to(start_review))
        .route(
            "/rounds/{id}/review/auto-assign",
            web::post().to(auto_assign),
        )
        .route("/rounds/{id}/assignments", web::get().to(assignments))
        .route("/rounds/{id}/ranking", web::get().to(ranking))
        .route("/rounds/{id}/ranking.xlsx", web::get().to(ranking_xlsx))
        .route("/rounds/{id}/ranking.pdf", web::get().to(ranking_pdf))
        .route("/proposals/{id}/reviewers", web::post().to(assign_reviewer))
        .route("/rounds/{id}/close-review", web::post().to(close_review))
        .route(
            "/proposals/{id}/decision",
            web::put().to(put_decision_entry),
        )
        .route(
            "/rounds/{id}/category-budgets",
            web::put().to(put_category_budgets),
        )
        .route("/rounds/{id}/notice", web::post().to(publish_notice))
        .route("/rounds/{id}/notice", web::get().to(get_notice))
        .route("/rounds/{id}/objections", web::post().to(file_objection))
        .route("/rounds/{id}/objections", web::get().to(list_objections))
        .route("/objections/{id}/answer", web::post().to(answer_objection))
        .route("/objections/confirm", web::post().to(confirm_objection))
        .route("/rounds/{id}/finalise", web::post().to(finalise_round))
        .route("/projects", web::get().to(list_projects))
        .route("/projects/{id}", web::get().to(get_project))
        .route(
            "/projects/{id}/award-notice.pdf",
            web::get().to(project_award_notice),
        )
        .route(
            "/projects/{id}/agreement.pdf",
            web::get().to(project_agreement),
        )
        .route("/projects/{id}/agreement", web::post().to(record_agreement))
        .route("/projects/{id}/files/{fid}", web::get().to(project_file))
        .route("/tranches/{id}/payments", web::post().to(record_payment))
        .route("/projects/{id}/reports", web::get().to(list_reports))
        .route("/projects/{id}/reports", web::post().to(start_report))
        .route("/reports/{id}", web::get().to(get_report))
        .route("/reports/{id}", web::put().to(save_report))
        .route("/reports/{id}/submit", web::post().to(submit_report))
        .route("/reports/{id}/review", web::post().to(review_report))
        .route("/reports/{id}/evidence", web::post().to(upload_evidence))
        .route("/rounds/{id}/dashboard", web::get().to(round_dashboard))
        .route("/dashboard/projects", web::get().to(bureau_dashboard))
        .route("/rounds/{id}/ledger.xlsx", web::get().to(ledger_xlsx))
        .route("/rounds/{id}/ledger.csv", web::get().to(ledger_csv))
        .route(
            "/rounds/{id}/beneficiaries.csv",
            web::get().to(beneficiaries_csv),
        )
        .route("/results/{id}", web::get().to(public_results))
        .route(
            "/projects/{id}/evaluations",
            web::post().to(assign_evaluation),
        )
        .route(
            "/projects/{id}/evaluations",
            web::get().to(project_evaluations),
        )
        .route("/evaluations", web::get().to(my_evaluations))
        .route("/evaluations/{id}", web::get().to(get_evaluation))
        .route("/evaluations/{id}", web::put().to(save_evaluation))
        .route(
            "/evaluations/{id}/report",
            web::post().to(upload_evaluation_report),
        )
        .route(
            "/evaluations/{id}/submit",
            web::post().to(submit_evaluation),
        )
        .route(
            "/evaluations/{id}/review",
            web::post().to(review_evaluation),
        )
        .route(
            "/evaluations/{id}/summary.pdf",
            web::get().to(evaluation_summary_pdf),
        )
        .route(
            "/projects/{id}/certificate.pdf",
            web::get().to(completion_certificate_pdf),
        )
        .route("/projects/{id}/renewal", web::post().to(start_renewal))
        .route("/projects/{id}/refunds", web::post().to(record_refund))
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(AppError::NotFound)
        }))
}

fn lang_of(req: &HttpRequest) -> Lang {
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

fn created(id: i64) -> HttpResponse {
    HttpResponse::Created().json(serde_json::json!({ "id": id }))
}

fn ok() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = db::run(&state.pool, |c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute("SELECT 1").map_err(AppError::from)
    })
    .await;
    match r {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "database unreachable" })),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    token: String,
    token_type: &'static str,
    /// UTC.
    expires_at: chrono::NaiveDateTime,
}

/// Starts an API session for `user` and answers with its bearer token.
async fn issue(
    state: &AppState,
    req: &HttpRequest,
    user: &crate::db::users::UserRow,
) -> Result<HttpResponse, AppError> {
    let issued = crate::auth::sessions::start(state, req, user, SessionKind::Api).await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at,
    }))
}

/// Exchange email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = TokenRequest, tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, description = "wrong email or password"), (status = 429, description = "locked after repeated failures")))]
async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let client = super::client_addr(&req, &state.settings);
    let settings = state.settings.clone();
    let b = body.into_inner();
    let user = db::run(&state.pool, move |c| {
        ops::accounts::login(c, &settings, &b.email, &b.password, &client)
    })
    .await?;
    issue(&state, &req, &user).await
}

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    email: String,
    name: String,
    password: String,
    /// `zh-CN` (default) or `en`: the language of emails.
    locale: Option<String>,
}

/// Sign up as an NGO member; a verification link is emailed. The answer is the same whether or
/// not the address already has an account (its owner is emailed instead); limited per client
/// address and per recipient (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/signup", request_body = SignupRequest, tag = "auth", responses((status = 202), (status = 422), (status = 429)))]
async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SignupRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let lang = b
        .locale
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| lang_of(&req));
    let settings = state.settings.clone();
    let client = super::client_addr(&req, &state.settings);
    db::run(&state.pool, move |c| {
        ops::accounts::signup(c, &settings, &b.email, &b.name, &b.password, lang, &client)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "ok": true })))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    token: String,
}

/// Confirm an email address with the token from the link; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", request_body = TokenBody, tag = "auth", responses((status = 200, body = TokenResponse), (status = 400)))]
async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let t = body.into_inner().token;
    let user = db::run(&state.pool, move |c| ops::accounts::verify_email(c, &t)).await?;
    issue(&state, &req, &user).await
}

#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    email: String,
}

/// Ask for a password-reset link (answers the same whether or not the address has an account;
/// limited per client address and per recipient: 429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", request_body = EmailBody, tag = "auth", responses((status = 202), (status = 429)))]
async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<EmailBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let client = super::client_addr(&req, &state.settings);
    let e = body.into_inner().email;
    db::run(&state.pool, move |c| {
        ops::accounts::request_password_reset(c, &settings, &e, &client)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "ok": true })))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    token: String,
    password: String,
}

/// Set a new password with the token from the reset link.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", request_body = ResetBody, tag = "auth", responses((status = 200), (status = 400), (status = 422)))]
async fn reset(
    state: web::Data<AppState>,
    body: Json<ResetBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    db::run(&state.pool, move |c| {
        ops::accounts::reset_password(c, &settings, &b.token, &b.password)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptBody {
    token: String,
    name: String,
    password: String,
}

/// Accept an invitation: set name and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", request_body = AcceptBody, tag = "auth", responses((status = 200, body = TokenResponse), (status = 400), (status = 422)))]
async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<AcceptBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let user = db::run(&state.pool, move |c| {
        ops::accounts::accept_invite(c, &settings, &b.token, &b.name, &b.password)
    })
    .await?;
    issue(&state, &req, &user).await
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Actor), (status = 401)))]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(user.0)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Change the password; every earlier token stops working, a new one is returned.
#[utoipa::path(post, path = "/api/v1/me/password", request_body = PasswordBody, tag = "auth", security(("bearer" = [])), responses((status = 200, body = TokenResponse), (status = 422)))]
async fn change_password(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let u = db::run(&state.pool, move |c| {
        ops::accounts::change_password(c, &settings, &user.0, &b.current_password, &b.new_password)
    })
    .await?;
    issue(&state, &req, &u).await
}

/// Sign out: the bearer token's session ends; the account's other sessions stay.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401)))]
async fn logout(caller: ApiSession, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    db::run(&state.pool, move |conn| {
        ops::sessions::sign_out(conn, &c.actor, &c.session_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The account's live sessions (signed-in browsers and API tokens); `current` marks this one.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionInfo>), (status = 401)))]
async fn my_sessions(
    caller: ApiSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    let list = db::run(&state.pool, move |conn| {
        ops::sessions::list(conn, &c.actor, Some(&c.session_id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessionsQuery {
    /// `true` ends this token's session too; by default it stays signed in.
    #[serde(default)]
    include_current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EndedSessions {
    /// How many sessions ended.
    ended: usize,
}

/// Sign out everywhere: every other session of the account ends (with `include_current=true`,
/// this one too).
#[utoipa::path(delete, path = "/api/v1/me/sessions", params(EndSessionsQuery), tag = "auth",
    security(("bearer" = [])), responses((status = 200, body = EndedSessions), (status = 401)))]
async fn end_my_sessions(
    caller: ApiSession,
    state: web::Data<AppState>,
    q: Query<EndSessionsQuery>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    let keep = (!q.include_current).then_some(c.session_id);
    let ended = db::run(&state.pool, move |conn| {
        ops::sessions::end_all(conn, &c.actor, keep.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(EndedSessions { ended }))
}

/// Sign out one session of the account, e.g. a lost device.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "The session id, from `GET /api/v1/me/sessions`.")),
    responses((status = 204, description = "signed out"), (status = 401), (status = 404, description = "no live session of yours with that id")))]
async fn end_my_session(
    caller: ApiSession,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = caller.0;
    let id = id.into_inner();
    db::run(&state.pool, move |conn| {
        ops::sessions::end_one(conn, &c.actor, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// People (admin).
#[utoipa::path(get, path = "/api/v1/users", params(UserFilter), tag = "admin", security(("bearer" = [])), responses((status = 200, body = Paged<UserListItem>)))]
async fn list_users(
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<UserFilter>,
) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ManageUsers)?;
    let f = q.into_inner();
    Ok(HttpResponse::Ok().json(db::run(&state.pool, move |c| users::list(c, &f)).await?))
}

/// Invite an officer (with `bureau_id`), reviewer, evaluator (with the agency's `org_id`) or admin.
#[utoipa::path(post, path = "/api/v1/users", request_body = InviteInput, tag = "admin", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
async fn invite_user(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<InviteInput>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let id = db::run(&state.pool, move |c| {
        ops::accounts::invite(c, &settings, &user.0, &b, None)
    })
    .await?;
    Ok(created(id))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusBody {
    /// `active` or `disabled`.
    status: UserStatus,
}

/// Disable (ending every session) or re-enable an account.
#[utoipa::path(post, path = "/api/v1/users/{id}/status", params(("id" = i64, Path, description = "Id of the user")), request_body = StatusBody, tag = "admin", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn set_user_status(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<StatusBody>,
) -> Result<HttpResponse, AppError> {
    let (id, status) = (id.into_inner(), body.into_inner().status);
    if status == UserStatus::Pending {
        return Err(FieldErrors::single("status", "field.choice_invalid"));
    }
    db::run(&state.pool, move |c| {
        ops::accounts::set_status(c, &user.0, id, status)
    })
    .await?;
    Ok(ok())
}

#[utoipa::path(get, path = "/api/v1/bureaus", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Bureau>)))]
async fn list_bureaus(
    _user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(db::run(&state.pool, users::bureaus).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NameBody {
    name: String,
}

#[utoipa::path(post, path = "/api/v1/bureaus", request_body = NameBody, tag = "admin", security(("bearer" = [])), responses((status = 201), (status = 422)))]
async fn create_bureau(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<NameBody>,
) -> Result<HttpResponse, AppError> {
    let n = body.into_inner().name;
    let id = db::run(&state.pool, move |c| {
        ops::accounts::create_bureau(c, &user.0, &n)
    })
    .await?;
    Ok(created(id))
}

/// Organizations (officers and admins).
#[utoipa::path(get, path = "/api/v1/orgs", params(OrgFilter), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = Paged<OrgListItem>)))]
async fn list_orgs(
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<OrgFilter>,
) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::SuperviseOrgs)?;
    let f = q.into_inner();
    Ok(HttpResponse::Ok().json(db::run(&state.pool, move |c| orgs::list(c, &f)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgCreate {
    /// `ngo` (default; registered by an NGO member) or `agency` (by staff).
    #[serde(default)]
    kind: Option<OrgKind>,
    #[serde(flatten)]
    org: OrgInput,
}

/// Register an organization; an NGO's registration awaits verification by an officer.
#[utoipa::path(post, path = "/api/v1/orgs", request_body = OrgCreate, tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
async fn create_org(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<OrgCreate>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let b = body.into_inner();
    let kind = b.kind.unwrap_or(OrgKind::Ngo);
    let id = db::run(&state.pool, move |c| {
        ops::orgs::register(c, &settings, &user.0, kind, &b.org)
    })
    .await?;
    Ok(created(id))
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    id: i64,
    name: String,
    email: String,
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrgDetail {
    org: OrgRow,
    inspections: Vec<(i32, String)>,
    documents: Vec<DocumentMeta>,
    members: Vec<Member>,
    /// Bars in force (the organization may not apply to that bureau's rounds until then).
    bars: Vec<crate::db::orgs::Bar>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = OrgDetail), (status = 403), (status = 404)))]
async fn get_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| super::orgs::load_view(c, id)).await?;
    policy::require(&user.0, Action::ViewOrg(v.org.as_ref()))?;
    let members = v
        .members
        .into_iter()
        .map(|m| Member {
            id: m.id,
            name: m.name,
            email: m.email,
            status: m.status.to_string(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(OrgDetail {
        org: v.org,
        inspections: v.inspections,
        documents: v.documents,
        members,
        bars: v.bars,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgUpdate {
    /// The `version` read with the organization; a newer one on the server is a 409.
    version: i32,
    #[serde(flatten)]
    org: OrgInput,
}

/// Edit the registration (the whole of it); an NGO's edit goes back for verification.
#[utoipa::path(put, path = "/api/v1/orgs/{id}", params(("id" = i64, Path, description = "Id of the organization")), request_body = OrgUpdate, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn update_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<OrgUpdate>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::orgs::update(c, &settings, &user.0, id, b.version, &b.org)
    })
    .await?;
    Ok(ok())
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/verify", params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn verify_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::orgs::verify(c, &settings, &user.0, id)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/reject", params(("id" = i64, Path, description = "Id of the organization")), request_body = ReasonBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn reject_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, reason) = (id.into_inner(), body.into_inner().reason);
    db::run(&state.pool, move |c| {
        ops::orgs::reject(c, &settings, &user.0, id, &reason)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct NoteBody {
    note: String,
}

/// Accept a code that fails the check character, after seeing the certificate.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/accept-uscc", params(("id" = i64, Path, description = "Id of the organization")), request_body = NoteBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn accept_uscc(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<NoteBody>,
) -> Result<HttpResponse, AppError> {
    let (id, note) = (id.into_inner(), body.into_inner().note);
    db::run(&state.pool, move |c| {
        ops::orgs::accept_uscc(c, &user.0, id, &note)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct CreditBody {
    credit_flag_org: bool,
    credit_flag_legal_rep: bool,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/api/v1/orgs/{id}/credit", params(("id" = i64, Path, description = "Id of the organization")), request_body = CreditBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 422)))]
async fn set_credit(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<CreditBody>,
) -> Result<HttpResponse, AppError> {
    let (id, b) = (id.into_inner(), body.into_inner());
    db::run(&state.pool, move |c| {
        ops::orgs::set_credit(
            c,
            &user.0,
            id,
            b.credit_flag_org,
            b.credit_flag_legal_rep,
            &b.note,
        )
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct BarBody {
    until: chrono::NaiveDate,
    reason: String,
}

/// Bar the organization from the officer's bureau's rounds until a date, with a reason.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/bars", params(("id" = i64, Path, description = "Id of the organization")), request_body = BarBody, tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 422)))]
async fn bar_org(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<BarBody>,
) -> Result<HttpResponse, AppError> {
    let (id, b, settings) = (id.into_inner(), body.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::orgs::bar(c, &settings, &user.0, id, Some(b.until), &b.reason)
    })
    .await?;
    Ok(ok())
}

#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    email: String,
    name: String,
}

/// Invite a colleague into the organization.
#[utoipa::path(post, path = "/api/v1/orgs/{id}/members", params(("id" = i64, Path, description = "Id of the organization")), request_body = MemberBody, tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
async fn invite_member(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings.clone();
    let (id, b) = (id.into_inner(), body.into_inner());
    let input = InviteInput {
        email: b.email,
        name: b.name,
        ..Default::default()
    };
    let uid = db::run(&state.pool, move |c| {
        ops::accounts::invite(c, &settings, &user.0, &input, Some(id))
    })
    .await?;
    Ok(created(uid))
}

/// Upload a document (multipart: `kind`, `file`; PDF, PNG or JPEG by content).
#[utoipa::path(post, path = "/api/v1/orgs/{id}/documents", params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 201), (status = 422)))]
async fn upload_document(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let up = payload
        .read(state.settings.upload_max_bytes, Sender::Bearer)
        .await?;
    let doc = db::run(&state.pool, move |c| {
        ops::orgs::upload_document(c, &user.0, id, &up.kind, &up.filename, &up.bytes)
    })
    .await?;
    Ok(created(doc))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/documents/{doc}", params(("id" = i64, Path, description = "Id of the organization"), ("doc" = i64, Path, description = "Id of the registration document")), tag = "orgs", security(("bearer" = [])), responses((status = 200), (status = 404)))]
async fn download_document(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, doc) = path.into_inner();
    super::orgs::document_response(&state, user.0, id, doc).await
}

/// The organization's audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/history", params(("id" = i64, Path, description = "Id of the organization")), tag = "orgs", security(("bearer" = [])), responses((status = 200, body = Vec<AuditRow>)))]
async fn org_history(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (org, rows) = db::run(&state.pool, move |c| {
        Ok((
            orgs::find(c, id)?,
            audit::for_entity(c, "organization", id, 200)?,
        ))
    })
    .await?;
    policy::require(&user.0, Action::ViewOrg(org.as_ref()))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Check the audit chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Verification)))]
async fn verify_audit(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ViewAudit)?;
    let key = audit::AuditKey::new(state.settings.audit_key.expose());
    Ok(HttpResponse::Ok().json(db::run(&state.pool, move |c| audit::verify(c, &key)).await?))
}

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

fn utc(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<chrono::NaiveDateTime> {
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
    round: RoundRow,
    rules: RoundRules,
    bureau: String,
    /// Why a draft cannot open yet (empty: it can).
    publish_problems: Vec<serde_json::Value>,
}

fn round_detail(v: super::rounds::RoundView, lang: Lang) -> RoundDetail {
    let problems = if v.round.status == RoundStatus::Draft {
        ops::rounds::publish_problems(&v.round.core(), &v.rules, crate::db::now())
            .0
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "code": e.msg.key.rsplit('.').next(), "message": e.msg.render(lang)}))
            .collect()
    } else {
        Vec::new()
    };
    RoundDetail {
        round: v.round,
        rules: v.rules,
        bureau: v.bureau,
        publish_problems: problems,
    }
}

/// The rounds of the officer's bureau, newest first.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "rounds", security(("bearer" = [])), responses((status = 200, body = Vec<RoundRow>)))]
async fn list_rounds(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let bureau = user.0.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(&user.0, Action::ManageRounds(bureau))?;
    Ok(HttpResponse::Ok().json(
        db::run(&state.pool, move |c| {
            crate::db::rounds::for_bureau(c, bureau)
        })
        .await?,
    ))
}

/// Start a draft round for the officer's bureau.
#[utoipa::path(post, path = "/api/v1/rounds", request_body = RoundInput, tag = "rounds", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
async fn create_round(
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
#[utoipa::path(get, path = "/api/v1/rounds/{id}", params(("id" = i64, Path, description = "Id of the round")), tag = "rounds", security(("bearer" = [])), responses((status = 200, body = RoundDetail), (status = 403), (status = 404)))]
async fn get_round(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        let r = ops::rounds::find_managed(c, &user.0, id)?;
        super::rounds::RoundView::load(c, r)
    })
    .await?;
    Ok(HttpResponse::Ok().json(round_detail(v, lang_of(&req))))
}

/// Replace a draft's settings.
#[utoipa::path(put, path = "/api/v1/rounds/{id}", params(("id" = i64, Path, description = "Id of the round")), request_body = RoundInput, tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn update_round(
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/publish", params(("id" = i64, Path, description = "Id of the round")), tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn publish_round(
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/deadlines", params(("id" = i64, Path, description = "Id of the round")), request_body = DeadlinesBody, tag = "rounds", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn move_deadlines(
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

/// Published rounds (open ones first); no sign-in needed.
#[utoipa::path(get, path = "/api/v1/calls", tag = "public", responses((status = 200, body = Vec<RoundDetail>)))]
async fn list_calls(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let lang = lang_of(&req);
    let calls: Vec<RoundDetail> = super::rounds::public_rounds(&state, 100)
        .await?
        .into_iter()
        .map(|v| round_detail(v, lang))
        .collect();
    Ok(HttpResponse::Ok().json(calls))
}

#[utoipa::path(get, path = "/api/v1/calls/{id}", params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "public", responses((status = 200, body = RoundDetail), (status = 404)))]
async fn get_call(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let v = super::rounds::public_round(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(round_detail(v, lang_of(&req))))
}

/// The application guide as a PDF (language from `Accept-Language`).
#[utoipa::path(get, path = "/api/v1/calls/{id}/guide.pdf", params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "public", responses((status = 200, content_type = "application/pdf"), (status = 404)))]
async fn call_guide(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::rounds::guide_response(&state, id.into_inner(), lang_of(&req)).await
}

/// Start a draft proposal in an open round (NGO member of a verified organization).
#[utoipa::path(post, path = "/api/v1/calls/{id}/proposals", params(("id" = i64, Path, description = "Id of the round (call for proposals)")), tag = "proposals", security(("bearer" = [])), responses((status = 201), (status = 409)))]
async fn start_proposal(
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
#[utoipa::path(get, path = "/api/v1/proposals", tag = "proposals", security(("bearer" = [])), responses((status = 200, body = Vec<ProposalListItem>)))]
async fn list_proposals(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(
        db::run(&state.pool, move |c| {
            crate::queries::proposals::list(c, &user.0)
        })
        .await?,
    ))
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
    /// `funded`, `waitlisted`, `not_fundable` or `removed` (by an upheld objection).
    state: String,
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
#[utoipa::path(get, path = "/api/v1/proposals/{id}", params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, body = ProposalDetail), (status = 403), (status = 404)))]
async fn get_proposal(
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
#[utoipa::path(put, path = "/api/v1/proposals/{id}", params(("id" = i64, Path, description = "Id of the proposal")), request_body = ProposalSave, tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn save_proposal(
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
#[utoipa::path(post, path = "/api/v1/proposals/{id}/submit", params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn submit_proposal(
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

#[utoipa::path(post, path = "/api/v1/proposals/{id}/withdraw", params(("id" = i64, Path, description = "Id of the proposal")), request_body = WithdrawBody, tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn withdraw_proposal(
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
#[utoipa::path(post, path = "/api/v1/proposals/{id}/attachments", params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 201), (status = 422)))]
async fn upload_attachment(
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

#[utoipa::path(get, path = "/api/v1/proposals/{id}/attachments/{aid}", params(("id" = i64, Path, description = "Id of the proposal"), ("aid" = i64, Path, description = "Id of the proposal attachment")), tag = "proposals", security(("bearer" = [])), responses((status = 200), (status = 404)))]
async fn download_attachment(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, aid) = path.into_inner();
    super::proposals::attachment_response(&state, user.0, id, aid).await
}

/// The proposal (申报书) as a PDF.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/pdf", params(("id" = i64, Path, description = "Id of the proposal")), tag = "proposals", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
async fn proposal_pdf(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::proposals::pdf_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

#[derive(Serialize, ToSchema)]
pub struct CheckLine {
    key: String,
    label: String,
    ok: bool,
    problems: Vec<String>,
}

impl CheckLine {
    fn of(i: &crate::domain::proposal::CheckItem, lang: Lang) -> Self {
        CheckLine {
            key: i.key.trim_start_matches("check.").to_string(),
            label: crate::i18n::t(lang, i.key).to_string(),
            ok: i.ok,
            problems: i.problems.iter().map(|m| m.render(lang)).collect(),
        }
    }
}

/// The automatic screening checklist of a proposal (officers of its bureau).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/checklist", params(("id" = i64, Path, description = "Id of the proposal")), tag = "screening", security(("bearer" = [])), responses((status = 200, body = Vec<CheckLine>)))]
async fn proposal_checklist(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, lang) = (id.into_inner(), lang_of(&req));
    let items = db::run(&state.pool, move |c| {
        let p = crate::db::proposals::find(c, id)?;
        let r = ops::rounds::find_managed(c, &user.0, p.round_id)?;
        ops::screening::checklist(c, &p, &r)
    })
    .await?;
    let lines: Vec<CheckLine> = items.iter().map(|i| CheckLine::of(i, lang)).collect();
    Ok(HttpResponse::Ok().json(lines))
}

/// Record a screening decision: `eligible`, `ineligible` (with `reason`) or `return` (with
/// `comment` and `return_deadline`).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/screening", params(("id" = i64, Path, description = "Id of the proposal")), request_body = DecisionInput, tag = "screening", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn screen_proposal(
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/screening", params(("id" = i64, Path, description = "Id of the round")), request_body = BulkDecision, tag = "screening", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn screen_many(
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

/// The round's submissions, with filters.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/submissions", params(("id" = i64, Path, description = "Id of the round"), SubmissionFilter), tag = "screening", security(("bearer" = [])), responses((status = 200, body = Paged<ProposalListItem>)))]
async fn list_submissions(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let (id, f) = (id.into_inner(), q.into_inner());
    let list = db::run(&state.pool, move |c| {
        ops::rounds::find_managed(c, &user.0, id)?;
        crate::db::proposals::submissions(c, id, &f)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/rounds/{id}/submissions.xlsx", params(("id" = i64, Path, description = "Id of the round")), tag = "screening", security(("bearer" = [])), responses((status = 200)))]
async fn submissions_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::screening::xlsx_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

#[utoipa::path(get, path = "/api/v1/rounds/{id}/submissions.csv", params(("id" = i64, Path, description = "Id of the round")), tag = "screening", security(("bearer" = [])), responses((status = 200)))]
async fn submissions_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::screening::csv_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

/// The reviewer's expertise and declared affiliations.
#[utoipa::path(get, path = "/api/v1/reviewer/profile", tag = "review", security(("bearer" = [])), responses((status = 200, body = Profile)))]
async fn get_profile(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
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

#[utoipa::path(put, path = "/api/v1/reviewer/profile", request_body = Profile, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 422)))]
async fn put_profile(
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

/// The reviewer's assignments.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "review", security(("bearer" = [])), responses((status = 200, body = Vec<AssignedItem>)))]
async fn list_reviews(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if user.0.role != crate::domain::account::Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    Ok(HttpResponse::Ok().json(
        db::run(&state.pool, move |c| {
            crate::db::reviews::for_reviewer(c, user.0.id)
        })
        .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ReviewDetail {
    review: ReviewRow,
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
#[utoipa::path(get, path = "/api/v1/reviews/{id}", params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200, body = ReviewDetail), (status = 403)))]
async fn get_review(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let v = db::run(&state.pool, move |c| {
        super::reviews::load_review(c, &user.0, id)
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
        review: v.review,
    }))
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/accept", params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn accept_review(
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
#[utoipa::path(post, path = "/api/v1/reviews/{id}/decline", params(("id" = i64, Path, description = "Id of the review assignment")), request_body = DeclineBody, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn decline_review(
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
#[utoipa::path(put, path = "/api/v1/reviews/{id}", params(("id" = i64, Path, description = "Id of the review assignment")), request_body = ReviewSave, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn save_review(
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
#[utoipa::path(post, path = "/api/v1/reviews/{id}/submit", params(("id" = i64, Path, description = "Id of the review assignment")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn submit_review(
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
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reopen", params(("id" = i64, Path, description = "Id of the review assignment")), request_body = ReopenBody, tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn reopen_review(
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
/// and the proposed funding line within the budget.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/ranking", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200, body = crate::ops::decision::DecisionView), (status = 409)))]
async fn ranking(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    Ok(HttpResponse::Ok()
        .json(db::run(&state.pool, move |c| ops::decision::compute(c, &user.0, id)).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CalendarText {
    /// One day or range a line: `2026-10-01..2026-10-07 holiday 国庆节`, `2026-10-10 workday 国庆调休`.
    text: String,
}

/// The working-day calendar used for public notices (the shipped PRC schedule until saved).
#[utoipa::path(get, path = "/api/v1/admin/holidays", tag = "admin", security(("bearer" = [])), responses((status = 200, body = CalendarText)))]
async fn get_holidays(user: ApiUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ManageUsers)?;
    let entries = db::run(&state.pool, crate::db::calendar::entries).await?;
    Ok(HttpResponse::Ok().json(CalendarText {
        text: crate::domain::calendar::format_entries(&entries),
    }))
}

/// Replace the calendar; every bad line is reported.
#[utoipa::path(put, path = "/api/v1/admin/holidays", request_body = CalendarText, tag = "admin", security(("bearer" = [])), responses((status = 200), (status = 422)))]
async fn put_holidays(
    user: ApiUser,
    state: web::Data<AppState>,
    body: Json<CalendarText>,
) -> Result<HttpResponse, AppError> {
    let text = body.into_inner().text;
    let n = db::run(&state.pool, move |c| {
        ops::accounts::save_calendar(c, &user.0, &text)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "days": n })))
}

#[utoipa::path(get, path = "/api/v1/rounds/{id}/ranking.xlsx", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200)))]
async fn ranking_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::reviews::ranking_xlsx_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

#[utoipa::path(get, path = "/api/v1/rounds/{id}/ranking.pdf", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
async fn ranking_pdf(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::reviews::ranking_pdf_response(&state, user.0, id.into_inner(), lang_of(&req)).await
}

/// Move a screened round to expert review.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/review/start", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn start_review(
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/review/auto-assign", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn auto_assign(
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

#[derive(Serialize, ToSchema)]
pub struct AssignmentRow {
    proposal_id: i64,
    number: String,
    title: String,
    category: String,
    /// (review id, reviewer name, status)
    reviewers: Vec<(i64, String, String)>,
    open_slots: usize,
}

/// The assignment board: each eligible proposal with its reviewers and open slots.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/assignments", params(("id" = i64, Path, description = "Id of the round")), tag = "review", security(("bearer" = [])), responses((status = 200, body = Vec<AssignmentRow>)))]
async fn assignments(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = db::run(&state.pool, move |c| {
        let r = ops::rounds::find_managed(c, &user.0, id)?;
        Ok(super::reviews::load_board(c, &r)?.rows)
    })
    .await?;
    let out: Vec<AssignmentRow> = rows
        .into_iter()
        .map(|r| AssignmentRow {
            proposal_id: r.proposal_id,
            number: r.number,
            title: r.title,
            category: r.category,
            reviewers: r.reviewers,
            open_slots: r.open_slots,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
pub struct AssignBody {
    reviewer_id: i64,
}

/// Assign one reviewer by hand (refused on a known conflict).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/reviewers", params(("id" = i64, Path, description = "Id of the proposal")), request_body = AssignBody, tag = "review", security(("bearer" = [])), responses((status = 201), (status = 409)))]
async fn assign_reviewer(
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

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// End the review: every eligible proposal must have a submitted review; scores freeze.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/close-review", params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409)))]
async fn close_review(
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
#[utoipa::path(put, path = "/api/v1/proposals/{id}/decision", params(("id" = i64, Path, description = "Id of the proposal")), request_body = ops::award::EntryInput, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn put_decision_entry(
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
#[utoipa::path(put, path = "/api/v1/rounds/{id}/category-budgets", params(("id" = i64, Path, description = "Id of the round")), request_body = CategoryBudgets, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn put_category_budgets(
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
    /// UTC; the notice runs this many working days (holiday calendar included).
    ends_at: chrono::NaiveDateTime,
}

/// Publish the funding line for public notice (公示).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/notice", params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200, body = NoticePublished), (status = 409)))]
async fn publish_notice(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, s) = (id.into_inner(), state.settings.clone());
    let ends_at = db::run(&state.pool, move |c| {
        ops::award::publish_notice(c, &s, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NoticePublished { ends_at }))
}

#[derive(Serialize, ToSchema)]
pub struct PublicNotice {
    round_id: i64,
    round_title: String,
    round_status: String,
    notice: crate::db::awards::Notice,
    /// Open for objections now.
    open: bool,
    /// Proposals on the list (`funded`, with substitutes) and those removed after an
    /// upheld objection; officers of the bureau also see `waitlisted` and `not_fundable`.
    list: Vec<crate::db::awards::AwardRow>,
}

/// The public notice of a round (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/notice", params(("id" = i64, Path, description = "Id of the round")), tag = "award", responses((status = 200, body = PublicNotice), (status = 404)))]
async fn get_notice(
    user: Option<ApiUser>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = user.map(|u| u.0);
    let out = db::run(&state.pool, move |c| {
        let (round, notice, list) = ops::award::public_notice(c, id)?;
        let staff = actor
            .as_ref()
            .is_some_and(|a| policy::allows(a, Action::ManageRounds(round.bureau_id)));
        let list = list
            .into_iter()
            .filter(|a| staff || a.state == "funded" || a.state == "removed")
            .collect();
        Ok(PublicNotice {
            round_id: round.id,
            open: round.status == RoundStatus::Notice && db::now() < notice.ends_at,
            round_title: round.title,
            round_status: round.status.to_string(),
            notice,
            list,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/objections", params(("id" = i64, Path, description = "Id of the round")), request_body = crate::domain::award::ObjectionInput, tag = "award",
    responses((status = 202, body = ObjectionFiled), (status = 409), (status = 422), (status = 429, description = "too many objections from this address or email")))]
async fn file_objection(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<crate::domain::award::ObjectionInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input, s) = (id.into_inner(), body.into_inner(), state.settings.clone());
    let lang = lang_of(&req);
    let client = super::client_addr(&req, &state.settings);
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
#[utoipa::path(post, path = "/api/v1/objections/confirm", request_body = TokenBody, tag = "award",
    responses((status = 200, body = ObjectionConfirmed), (status = 400), (status = 409), (status = 429)))]
async fn confirm_objection(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> Result<HttpResponse, AppError> {
    let (t, s) = (body.into_inner().token, state.settings.clone());
    let lang = lang_of(&req);
    let client = super::client_addr(&req, &state.settings);
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
/// same proposal and reason) come together with their group and its size.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/objections", params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])),
    responses((status = 200, body = Vec<ops::award::ObjectionItem>)))]
async fn list_objections(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = db::run(&state.pool, move |c| {
        ops::award::objections_for_officer(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Answer an objection: upheld (the proposal leaves the list and the waitlist moves up) or
/// rejected, with a response emailed to the objector.
#[utoipa::path(post, path = "/api/v1/objections/{id}/answer", params(("id" = i64, Path, description = "Id of the objection")), request_body = ops::award::AnswerInput, tag = "award", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn answer_objection(
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
#[utoipa::path(post, path = "/api/v1/rounds/{id}/finalise", params(("id" = i64, Path, description = "Id of the round")), tag = "award", security(("bearer" = [])), responses((status = 200, body = Finalised), (status = 409)))]
async fn finalise_round(
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    round_id: Option<i64>,
}

/// Projects the caller may see: an NGO its own, an officer the bureau's, an admin all.
#[utoipa::path(get, path = "/api/v1/projects", params(ProjectQuery), tag = "projects", security(("bearer" = [])), responses((status = 200, body = Vec<crate::db::projects::ProjectRow>)))]
async fn list_projects(
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<ProjectQuery>,
) -> Result<HttpResponse, AppError> {
    let f = super::awards::project_filter(&user.0, q.round_id)?;
    let rows = db::run(&state.pool, move |c| crate::db::projects::projects(c, &f)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectDetail {
    project: crate::db::projects::ProjectRow,
    tranches: Vec<crate::db::projects::TrancheRow>,
    payments: Vec<crate::db::projects::PaymentRow>,
    files: Vec<crate::db::projects::FileMeta>,
    agreement_signed_at: Option<chrono::NaiveDateTime>,
    /// Refunds owed (at termination) and received.
    refunds: Vec<crate::db::projects::RefundRow>,
    /// Cumulative figures of the latest filed report.
    latest: crate::domain::report::ReportContent,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = ProjectDetail), (status = 403), (status = 404)))]
async fn get_project(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let out = db::run(&state.pool, move |c| {
        let project = ops::award::find_visible_project(c, &user.0, id)?;
        let reports = crate::db::projects::reports(c, id)?;
        Ok(ProjectDetail {
            project,
            tranches: crate::db::projects::tranches(c, id)?,
            payments: crate::db::projects::payments(c, id)?,
            files: crate::db::projects::files(c, id)?,
            agreement_signed_at: crate::db::projects::agreement_signed_at(c, id)?,
            refunds: crate::db::projects::refunds(c, id)?,
            latest: crate::db::projects::latest_filed(&reports).unwrap_or_default(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The award notice (立项通知书) as a PDF.
#[utoipa::path(get, path = "/api/v1/projects/{id}/award-notice.pdf", params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
async fn project_award_notice(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::awards::award_pdf_response(&state, user.0, id.into_inner(), false).await
}

/// The grant agreement (项目协议书) as a PDF.
#[utoipa::path(get, path = "/api/v1/projects/{id}/agreement.pdf", params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf")))]
async fn project_agreement(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::awards::award_pdf_response(&state, user.0, id.into_inner(), true).await
}

/// Record the signed agreement (multipart `file`: PDF, PNG or JPEG); the first tranche
/// becomes releasable.
#[utoipa::path(post, path = "/api/v1/projects/{id}/agreement", params(("id" = i64, Path, description = "Id of the project")), tag = "projects", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
async fn record_agreement(
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

#[utoipa::path(get, path = "/api/v1/projects/{id}/files/{fid}", params(("id" = i64, Path, description = "Id of the project"), ("fid" = i64, Path, description = "Id of the project file")), tag = "projects", security(("bearer" = [])), responses((status = 200), (status = 404)))]
async fn project_file(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, fid) = path.into_inner();
    super::projects::file_response(&state, user.0, id, fid).await
}

/// Record a payment on a releasable tranche (never above what is left of the tranche or
/// of the grant).
#[utoipa::path(post, path = "/api/v1/tranches/{id}/payments", params(("id" = i64, Path, description = "Id of the payment tranche")), request_body = ops::execution::PaymentInput, tag = "projects", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
async fn record_payment(
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

#[utoipa::path(get, path = "/api/v1/projects/{id}/reports", params(("id" = i64, Path, description = "Id of the project")), tag = "reports", security(("bearer" = [])), responses((status = 200, body = Vec<crate::db::projects::ReportRow>)))]
async fn list_reports(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = db::run(&state.pool, move |c| {
        ops::execution::load(c, &user.0, id)?;
        crate::db::projects::reports(c, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
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
#[utoipa::path(post, path = "/api/v1/projects/{id}/reports", params(("id" = i64, Path, description = "Id of the project")), request_body = StartReport, tag = "reports", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409)))]
async fn start_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<StartReport>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let b = body.into_inner();
    let target = super::projects::target_of(b.milestone, b.month.as_deref())?;
    let rid = db::run(&state.pool, move |c| {
        ops::execution::start_report(c, &user.0, id, target)
    })
    .await?;
    Ok(created(rid))
}

#[derive(Serialize, ToSchema)]
pub struct ReportDetail {
    report: crate::db::projects::ReportRow,
    content: crate::domain::report::ReportContent,
    files: Vec<crate::db::projects::FileMeta>,
    /// What would stop its submission now (field, code).
    problems: Vec<(String, String)>,
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 200, body = ReportDetail), (status = 403)))]
async fn get_report(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let out = db::run(&state.pool, move |c| {
        let (r, p, plan) = ops::execution::find_report(c, &user.0, id)?;
        let problems = if r.status.editable() {
            ops::execution::submission_problems(c, &r, &p, &plan)?
                .0
                .iter()
                .map(|e| (e.field.clone(), e.msg.key.to_string()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(ReportDetail {
            content: r.content(),
            files: crate::db::projects::files(c, p.id)?
                .into_iter()
                .filter(|f| f.report_id == Some(id))
                .collect(),
            report: r,
            problems,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
pub struct SaveReport {
    version: i32,
    content: crate::domain::report::ReportContent,
}

/// Save a draft (or a returned report); checked in full on submission.
#[utoipa::path(put, path = "/api/v1/reports/{id}", params(("id" = i64, Path, description = "Id of the progress report")), request_body = SaveReport, tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn save_report(
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
#[utoipa::path(post, path = "/api/v1/reports/{id}/submit", params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn submit_report(
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
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", params(("id" = i64, Path, description = "Id of the progress report")), request_body = ReviewReport, tag = "reports", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn review_report(
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
#[utoipa::path(post, path = "/api/v1/reports/{id}/evidence", params(("id" = i64, Path, description = "Id of the progress report")), tag = "reports", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
async fn upload_evidence(
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

/// Totals (grants, payments, spending, beneficiaries by group) and projects at risk of a
/// round.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/dashboard", params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200, body = ops::dashboard::Dashboard), (status = 403)))]
async fn round_dashboard(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let d = db::run(&state.pool, move |c| {
        ops::dashboard::for_round(c, &user.0, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The same for every project of the officer's bureau.
#[utoipa::path(get, path = "/api/v1/dashboard/projects", tag = "projects", security(("bearer" = [])), responses((status = 200, body = ops::dashboard::Dashboard), (status = 403)))]
async fn bureau_dashboard(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let d = db::run(&state.pool, move |c| ops::dashboard::for_bureau(c, &user.0)).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The project ledger (项目台账) of a round as xlsx.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/ledger.xlsx", params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
async fn ledger_xlsx(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        super::projects::Export::LedgerXlsx,
    )
    .await
}

/// The project ledger of a round as CSV (UTF-8 with a BOM).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/ledger.csv", params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
async fn ledger_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        super::projects::Export::LedgerCsv,
    )
    .await
}

/// Beneficiary totals by group of a round as CSV.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/beneficiaries.csv", params(("id" = i64, Path, description = "Id of the round")), tag = "projects", security(("bearer" = [])), responses((status = 200)))]
async fn beneficiaries_csv(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::projects::export_response(
        &state,
        user.0,
        id.into_inner(),
        lang_of(&req),
        super::projects::Export::BeneficiariesCsv,
    )
    .await
}

/// The funded projects of a round with grants and people served so far (no sign-in).
#[utoipa::path(get, path = "/api/v1/results/{id}", params(("id" = i64, Path, description = "Id of the finalised round")), tag = "projects", responses((status = 200, body = Vec<ops::dashboard::PublicProject>), (status = 404)))]
async fn public_results(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (_, rows) = db::run(&state.pool, move |c| ops::dashboard::public_results(c, id)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Assign an unrelated agency's evaluator to the mid-term or final evaluation (after a
/// rectification: the re-evaluation of that stage).
#[utoipa::path(post, path = "/api/v1/projects/{id}/evaluations", params(("id" = i64, Path, description = "Id of the project")), request_body = ops::evaluation::AssignInput, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
async fn assign_evaluation(
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

#[utoipa::path(get, path = "/api/v1/projects/{id}/evaluations", params(("id" = i64, Path, description = "Id of the project")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = Vec<crate::db::evaluations::EvaluationRow>)))]
async fn project_evaluations(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let rows = db::run(&state.pool, move |c| {
        let p = ops::award::find_visible_project(c, &user.0, id)?;
        let officer = policy::allows(&user.0, Action::ManageRounds(p.bureau_id));
        Ok(crate::db::evaluations::for_project(c, id)?
            .into_iter()
            .filter(|e| {
                officer
                    || e.status == crate::domain::evaluation::EvaluationStatus::Accepted
                    || e.evaluator_id == user.0.id
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// The evaluator's assignments.
#[utoipa::path(get, path = "/api/v1/evaluations", tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = Vec<crate::db::evaluations::EvaluationRow>)))]
async fn my_evaluations(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if user.0.role != crate::domain::account::Role::Evaluator {
        return Err(AppError::Forbidden);
    }
    let rows = db::run(&state.pool, move |c| {
        crate::db::evaluations::for_evaluator(c, user.0.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(|(r, _, _)| r).collect::<Vec<_>>()))
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationDetail {
    evaluation: crate::db::evaluations::EvaluationRow,
    content: crate::domain::evaluation::EvaluationContent,
    files: Vec<crate::db::projects::FileMeta>,
    /// What the rule engine decides as filed: (grade, consequence, renewal).
    proposed: Option<(String, String, String)>,
    /// What would stop the filing now (field, code).
    problems: Vec<(String, String)>,
}

#[utoipa::path(get, path = "/api/v1/evaluations/{id}", params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, body = EvaluationDetail), (status = 403)))]
async fn get_evaluation(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let out = db::run(&state.pool, move |c| {
        let (ev, p) = ops::evaluation::find_visible(c, &user.0, id)?;
        let rules = crate::db::rounds::find(c, p.round_id)?.rules();
        let problems = if ev.status.editable() {
            ops::evaluation::filing_problems(c, &ev, &p)?
                .0
                .iter()
                .map(|e| (e.field.clone(), e.msg.key.to_string()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(EvaluationDetail {
            proposed: ops::evaluation::proposed(&ev, &rules.grade_bands)
                .map(|(g, c, r)| (g, c.as_str().to_string(), r.as_str().to_string())),
            content: ev.content(),
            files: crate::db::projects::evaluation_files(c, id)?,
            evaluation: ev,
            problems,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Deserialize, ToSchema)]
pub struct SaveEvaluation {
    version: i32,
    content: crate::domain::evaluation::EvaluationContent,
}

#[utoipa::path(put, path = "/api/v1/evaluations/{id}", params(("id" = i64, Path, description = "Id of the evaluation")), request_body = SaveEvaluation, tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 403), (status = 409)))]
async fn save_evaluation(
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
#[utoipa::path(post, path = "/api/v1/evaluations/{id}/report", params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 422)))]
async fn upload_evaluation_report(
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

#[utoipa::path(post, path = "/api/v1/evaluations/{id}/submit", params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn submit_evaluation(
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
#[utoipa::path(post, path = "/api/v1/evaluations/{id}/review", params(("id" = i64, Path, description = "Id of the evaluation")), request_body = ops::evaluation::ReviewInput, tag = "evaluations", security(("bearer" = [])), responses((status = 200), (status = 409), (status = 422)))]
async fn review_evaluation(
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
#[utoipa::path(get, path = "/api/v1/evaluations/{id}/summary.pdf", params(("id" = i64, Path, description = "Id of the evaluation")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 409)))]
async fn evaluation_summary_pdf(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::evaluations::summary_response(&state, user.0, id.into_inner()).await
}

/// The completion certificate (结项证明) of a completed project as a PDF.
#[utoipa::path(get, path = "/api/v1/projects/{id}/certificate.pdf", params(("id" = i64, Path, description = "Id of the project")), tag = "evaluations", security(("bearer" = [])), responses((status = 200, content_type = "application/pdf"), (status = 409)))]
async fn completion_certificate_pdf(
    user: ApiUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::evaluations::certificate_response(&state, user.0, id.into_inner()).await
}

#[derive(Deserialize, ToSchema)]
pub struct StartRenewal {
    round_id: i64,
}

/// Start (or get) the renewal proposal (续期) of a completed project in a later open round
/// of its bureau, pre-filled from the project.
#[utoipa::path(post, path = "/api/v1/projects/{id}/renewal", params(("id" = i64, Path, description = "Id of the project")), request_body = StartRenewal, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 409)))]
async fn start_renewal(
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
#[utoipa::path(post, path = "/api/v1/projects/{id}/refunds", params(("id" = i64, Path, description = "Id of the project")), request_body = ops::evaluation::RefundInput, tag = "evaluations", security(("bearer" = [])), responses((status = 201), (status = 409), (status = 422)))]
async fn record_refund(
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

#[derive(OpenApi)]
#[openapi(
    info(title = "益创 Yichuang API", description = "Public-benefit venture grant management (公益创投资助管理). Errors are application/problem+json with a stable `code` and per-field `errors`."),
    paths(token, signup, verify_email, forgot, reset, accept_invite, me, change_password, list_users, invite_user, set_user_status,
          logout, my_sessions, end_my_sessions, end_my_session,
          list_bureaus, create_bureau, list_orgs, create_org, get_org, update_org, verify_org, reject_org, accept_uscc, set_credit,
          invite_member, bar_org, upload_document, download_document, org_history, verify_audit,
          list_rounds, create_round, get_round, update_round, publish_round, move_deadlines, list_calls, get_call, call_guide,
          start_proposal, list_proposals, get_proposal, save_proposal, submit_proposal, withdraw_proposal, upload_attachment,
          download_attachment, proposal_pdf, proposal_checklist, screen_proposal, screen_many, list_submissions,
          submissions_xlsx, submissions_csv, get_profile, put_profile, list_reviews, get_review, accept_review, decline_review,
          start_review, auto_assign, assignments, assign_reviewer, save_review, submit_review, reopen_review, ranking, ranking_xlsx, ranking_pdf, get_holidays, put_holidays,
          close_review, put_decision_entry, put_category_budgets, publish_notice, get_notice, file_objection, confirm_objection, list_objections,
          answer_objection, finalise_round, list_projects, get_project, project_award_notice, project_agreement,
          record_agreement, project_file, record_payment, list_reports, start_report, get_report, save_report, submit_report,
          review_report, upload_evidence, round_dashboard, bureau_dashboard, ledger_xlsx, ledger_csv, beneficiaries_csv,
          public_results, assign_evaluation, project_evaluations, my_evaluations, get_evaluation, save_evaluation,
          upload_evaluation_report, submit_evaluation, review_evaluation, evaluation_summary_pdf, completion_certificate_pdf,
          start_renewal, record_refund),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
