//! The JSON API under `/api/v1`: the same operations as the pages, with bearer tokens,
//! `application/problem+json` errors and an OpenAPI document generated from this code.

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_actix_web::OpenApiFactory;

use super::input::{Json, Query};
use super::paging::{json_page, PageQuery};
use super::screening::DecisionInput;
use super::upload::{MultipartBody, Sender};
use super::AppState;
use crate::auth::extract::{ApiSession, ApiUser};
use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::Verification;
use crate::db::orgs::{DocumentMeta, OrgFilter, OrgListItem};
use crate::db::proposals::{AttachmentMeta, ProposalListItem, SubmissionFilter};
use crate::db::reviews::{AssignedItem, Profile};
use crate::db::rounds::RoundRow;
use crate::db::sessions::SessionInfo;
use crate::db::users::{Bureau, UserFilter, UserListItem};
use crate::db::{self, audit, users, Paged};
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

mod admin;
mod auth;
mod award;
mod calls;
mod changes;
mod evaluations;
mod me;
mod orgs;
mod projects;
mod proposals;
mod reports;
mod reviews;
mod rosters;
mod rounds;
mod screening;
mod verify;
mod visits;

/// Every route of the API, each registered once: the handler's actix macro gives its method and
/// path, its `#[utoipa::path]` documents it, and the scope collects the documented operations
/// for [`document`]. Registration order is matching order: a path with a literal segment goes
/// before a `{param}` path that would also match it.
pub fn scope() -> utoipa_actix_web::scope::Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api/v1")
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
        // What strangers read most, first: actix tries the routes in order, matching each
        // dynamic pattern by regular expression, so a route at the end of the list pays
        // for every pattern before it.
        .service(calls::list_calls)
        .service(calls::get_call)
        .service(calls::call_guide)
        .service(award::get_notice)
        .service(projects::public_results)
        .service(verify::verify_document)
        .service(auth::token)
        .service(auth::signup)
        .service(auth::verify_email)
        .service(auth::forgot)
        .service(auth::reset)
        .service(auth::accept_invite)
        .service(auth::me)
        .service(auth::change_password)
        .service(auth::logout)
        .service(auth::my_sessions)
        .service(auth::end_my_sessions)
        .service(auth::end_my_session)
        .service(me::my_tasks)
        .service(me::my_messages)
        .service(me::read_all_messages)
        .service(me::read_message)
        .service(admin::list_users)
        .service(admin::invite_user)
        .service(admin::set_user_status)
        .service(admin::list_bureaus)
        .service(admin::create_bureau)
        .service(orgs::list_orgs)
        .service(orgs::create_org)
        .service(orgs::get_org)
        .service(orgs::update_org)
        .service(orgs::verify_org)
        .service(orgs::reject_org)
        .service(orgs::accept_uscc)
        .service(orgs::set_credit)
        .service(orgs::bar_org)
        .service(orgs::invite_member)
        .service(orgs::upload_document)
        .service(orgs::download_document)
        .service(orgs::org_history)
        .service(admin::verify_audit)
        .service(admin::get_holidays)
        .service(admin::put_holidays)
        .service(rounds::list_rounds)
        .service(rounds::create_round)
        .service(rounds::get_round)
        .service(rounds::update_round)
        .service(rounds::publish_round)
        .service(rounds::move_deadlines)
        .service(proposals::start_proposal)
        .service(proposals::list_proposals)
        .service(proposals::get_proposal)
        .service(proposals::save_proposal)
        .service(proposals::submit_proposal)
        .service(proposals::withdraw_proposal)
        .service(proposals::upload_attachment)
        .service(proposals::download_attachment)
        .service(proposals::proposal_pdf)
        .service(screening::proposal_checklist)
        .service(screening::screen_proposal)
        .service(screening::list_submissions)
        .service(screening::screen_many)
        .service(screening::submissions_xlsx)
        .service(screening::submissions_csv)
        .service(reviews::get_profile)
        .service(reviews::put_profile)
        .service(reviews::list_reviews)
        .service(reviews::get_review)
        .service(reviews::accept_review)
        .service(reviews::decline_review)
        .service(reviews::save_review)
        .service(reviews::submit_review)
        .service(reviews::reopen_review)
        .service(reviews::start_review)
        .service(reviews::auto_assign)
        .service(reviews::assignments)
        .service(reviews::ranking)
        .service(reviews::ranking_xlsx)
        .service(reviews::ranking_pdf)
        .service(reviews::assign_reviewer)
        .service(award::close_review)
        .service(award::put_decision_entry)
        .service(award::put_category_budgets)
        .service(award::publish_notice)
        .service(award::cancel_scheduled_notice)
        .service(award::file_objection)
        .service(award::list_objections)
        .service(award::answer_objection)
        .service(award::confirm_objection)
        .service(award::finalise_round)
        .service(projects::list_projects)
        .service(projects::get_project)
        .service(projects::project_award_notice)
        .service(projects::project_agreement)
        .service(projects::record_agreement)
        .service(projects::project_file)
        .service(projects::record_payment)
        .service(changes::file_change)
        .service(changes::list_changes)
        .service(changes::get_change)
        .service(changes::decide_change)
        .service(changes::withdraw_change)
        .service(changes::attach_change_file)
        .service(changes::change_supplement)
        .service(reports::list_reports)
        .service(reports::start_report)
        .service(reports::get_report)
        .service(reports::save_report)
        .service(reports::submit_report)
        .service(reports::review_report)
        .service(reports::upload_evidence)
        .service(rosters::get_roster)
        .service(rosters::put_roster)
        .service(rosters::roster_template)
        .service(rosters::upload_roster)
        .service(rosters::project_duplicates)
        .service(rosters::bureau_duplicates)
        .service(projects::round_dashboard)
        .service(projects::bureau_dashboard)
        .service(projects::ledger_xlsx)
        .service(projects::ledger_csv)
        .service(projects::beneficiaries_csv)
        .service(evaluations::assign_evaluation)
        .service(evaluations::project_evaluations)
        .service(evaluations::my_evaluations)
        .service(evaluations::get_evaluation)
        .service(evaluations::save_evaluation)
        .service(evaluations::upload_evaluation_report)
        .service(evaluations::submit_evaluation)
        .service(evaluations::review_evaluation)
        .service(evaluations::evaluation_summary_pdf)
        .service(evaluations::get_sample)
        .service(evaluations::draw_sample)
        .service(evaluations::record_sample)
        .service(evaluations::completion_certificate_pdf)
        .service(evaluations::start_renewal)
        .service(evaluations::record_refund)
        .service(visits::project_visits)
        .service(visits::schedule_visit)
        .service(visits::my_visits)
        .service(visits::get_visit)
        .service(visits::record_visit)
        .service(visits::upload_visit_photo)
        .service(visits::respond_finding)
        .service(visits::attach_finding_file)
        .service(visits::close_finding)
        .service(visits::reopen_finding)
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

// A one-time token from an emailed link (shared by the auth and award areas).
#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    token: String,
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

#[derive(OpenApi)]
#[openapi(
    info(title = "益创 Yichuang API", description = "Public-benefit venture grant management (公益创投资助管理). Errors are application/problem+json with a stable `code` and per-field `errors`."),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// The OpenAPI document: [`ApiDoc`]'s info and security scheme, with the operations and
/// schemas the API scope collected from its handlers.
pub fn document() -> utoipa::openapi::OpenApi {
    let scope = scope();
    let mut doc = ApiDoc::openapi();
    doc.paths.merge(scope.paths());
    let mut schemas = Vec::new();
    scope.schemas(&mut schemas);
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    doc
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
