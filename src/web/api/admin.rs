use actix_web::{get, post, put};

use super::*;

/// People (admin), one page (`page`, `per_page`: 50 by default) with its total; the same
/// `X-Total-Count` and `Link` as every list.
#[utoipa::path(params(UserFilter), tag = "admin", security(("bearer" = [])), responses((status = 200, body = Paged<UserListItem>, headers(("X-Total-Count" = i64, description = "People over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/users")]
pub(super) async fn list_users(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
    q: Query<UserFilter>,
) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ManageUsers)?;
    let f = q.into_inner();
    let list = db::run(&state.pool, move |c| users::list(c, &f)).await?;
    Ok(super::super::paging::json_paged(&req, &list))
}

/// Invite an officer (with `bureau_id`), reviewer, evaluator (with the agency's `org_id`),
/// supervisor (督导员: into the inviting officer's bureau, or an admin's `bureau_id`) or admin.
#[utoipa::path(request_body = InviteInput, tag = "admin", security(("bearer" = [])), responses((status = 201), (status = 403), (status = 422)))]
#[post("/users")]
pub(super) async fn invite_user(
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
#[utoipa::path(params(("id" = i64, Path, description = "Id of the user")), request_body = StatusBody, tag = "admin", security(("bearer" = [])), responses((status = 200), (status = 409)))]
#[post("/users/{id}/status")]
pub(super) async fn set_user_status(
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

/// The bureaus, paged (`page`, `per_page`: 50 by default; a short list, read whole).
#[utoipa::path(params(PageQuery), tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Bureau>, headers(("X-Total-Count" = i64, description = "Bureaus over all pages"), ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages")))))]
#[get("/bureaus")]
pub(super) async fn list_bureaus(
    req: HttpRequest,
    _user: ApiUser,
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = q.req()?;
    let list = db::run(&state.pool, users::bureaus).await?;
    Ok(super::super::paging::json_slice(&req, list, page))
}

#[derive(Deserialize, ToSchema)]
pub struct NameBody {
    name: String,
}

#[utoipa::path(request_body = NameBody, tag = "admin", security(("bearer" = [])), responses((status = 201), (status = 422)))]
#[post("/bureaus")]
pub(super) async fn create_bureau(
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

/// Check the audit chain.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = Verification)))]
#[get("/audit/verify")]
pub(super) async fn verify_audit(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ViewAudit)?;
    let key = audit::AuditKey::new(state.settings.audit_key.expose());
    Ok(HttpResponse::Ok().json(db::run(&state.pool, move |c| audit::verify(c, &key)).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CalendarText {
    /// One day or range a line: `2026-10-01..2026-10-07 holiday 国庆节`, `2026-10-10 workday 国庆调休`.
    text: String,
}

/// The working-day calendar used for public notices (the shipped PRC schedule until saved).
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = CalendarText)))]
#[get("/admin/holidays")]
pub(super) async fn get_holidays(
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    policy::require(&user.0, Action::ManageUsers)?;
    let entries = db::run(&state.pool, crate::db::calendar::entries).await?;
    Ok(HttpResponse::Ok().json(CalendarText {
        text: crate::domain::calendar::format_entries(&entries),
    }))
}

/// Replace the calendar; every bad line is reported.
#[utoipa::path(request_body = CalendarText, tag = "admin", security(("bearer" = [])), responses((status = 200), (status = 422)))]
#[put("/admin/holidays")]
pub(super) async fn put_holidays(
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
