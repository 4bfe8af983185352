//! Staff pages: people (list, invitations, deactivation), bureaus, the audit trail.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use std::collections::HashMap;

use serde::Deserialize;

use super::filters;
use super::input::Query;
use super::{form_done, render, render_status, see_other_flash, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::{self, Action};
use crate::db::audit::{AuditRow, Verification};
use crate::db::users::{Bureau, UserFilter, UserListItem, UserRow};
use crate::db::{self, audit, orgs, users, Paged};
use crate::domain::account::{Role, UserStatus};
use crate::error::{AppError, FieldErrors};
use crate::ops;
use crate::ops::accounts::InviteInput;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(users_page))
        .route("/admin/users/invite", web::get().to(invite_page))
        .route("/admin/users/invite", web::post().to(invite))
        .route("/admin/users/{id}", web::get().to(user_page))
        .route("/admin/users/{id}/status", web::post().to(set_status))
        .route("/admin/bureaus", web::get().to(bureaus_page))
        .route("/admin/bureaus", web::post().to(create_bureau))
        .route("/admin/audit", web::get().to(audit_page))
        .route("/admin/holidays", web::get().to(holidays_page))
        .route("/admin/holidays", web::post().to(save_holidays));
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: PageCtx,
    list: Paged<UserListItem>,
    filter: UserFilter,
    roles: [Role; 6],
    statuses: [&'static str; 3],
}

async fn users_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<UserFilter>,
) -> Result<HttpResponse, AppError> {
    policy::require(ctx.user()?, Action::ManageUsers)?;
    let filter = q.into_inner();
    let f = filter.clone();
    let list = db::run(&state.pool, move |c| users::list(c, &f)).await?;
    render(&UsersPage {
        ctx,
        list,
        filter,
        roles: Role::ALL,
        statuses: ["pending", "active", "disabled"],
    })
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    ctx: PageCtx,
    u: UserRow,
    history: Vec<AuditRow>,
}

async fn user_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    policy::require(ctx.user()?, Action::ManageUsers)?;
    let id = id.into_inner();
    let (u, history) = db::run(&state.pool, move |c| {
        Ok((users::find(c, id)?, audit::for_entity(c, "user", id, 50)?))
    })
    .await?;
    render(&UserPage { ctx, u, history })
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn set_status(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let status = match f.0.status.as_str() {
        "active" => UserStatus::Active,
        "disabled" => UserStatus::Disabled,
        _ => return Err(FieldErrors::single("status", "field.choice_invalid")),
    };
    db::run(&state.pool, move |c| {
        ops::accounts::set_status(c, &actor, id, status)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/admin/users/{id}"),
        "flash.saved",
    ))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    name: String,
    role: String,
    bureau_id: String,
    org_id: String,
}

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    form: InviteForm,
    errors: FormErrors,
    roles: Vec<Role>,
    bureaus: Vec<Bureau>,
    agencies: Vec<(i64, String)>,
}

async fn invite_form(
    ctx: PageCtx,
    state: &AppState,
    form: InviteForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| policy::allows(&actor, Action::InviteUser(*r)))
        .collect();
    if roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    let (bureaus, agencies) = db::run(&state.pool, |c| {
        Ok((users::bureaus(c)?, orgs::agencies(c)?))
    })
    .await?;
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &InvitePage {
            ctx,
            form,
            errors,
            roles,
            bureaus,
            agencies,
        },
    )
}

async fn invite_page(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    invite_form(
        ctx,
        &state,
        InviteForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn invite(
    ctx: PageCtx,
    state: web::Data<AppState>,
    f: CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let form = f.0;
    let input = InviteInput {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        bureau_id: form.bureau_id.trim().parse().ok(),
        org_id: form.org_id.trim().parse().ok(),
    };
    let settings = state.settings.clone();
    let back = if actor.role == Role::Admin {
        "/admin/users"
    } else {
        "/dashboard"
    };
    let done = db::run(&state.pool, move |c| {
        ops::accounts::invite(c, &settings, &actor, &input, None)
    })
    .await;
    form_done(done, back, "flash.invited", async |e, status| {
        invite_form(ctx, &state, form, e, status).await
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/bureaus.html")]
struct BureausPage {
    ctx: PageCtx,
    bureaus: Vec<Bureau>,
    name: String,
    errors: FormErrors,
}

async fn bureaus_page(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    policy::require(ctx.user()?, Action::ManageUsers)?;
    let bureaus = db::run(&state.pool, users::bureaus).await?;
    render(&BureausPage {
        ctx,
        bureaus,
        name: String::new(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

async fn create_bureau(
    ctx: PageCtx,
    state: web::Data<AppState>,
    f: CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let name = f.0.name;
    let n = name.clone();
    let done = db::run(&state.pool, move |c| {
        ops::accounts::create_bureau(c, &actor, &n)
    })
    .await;
    form_done(done, "/admin/bureaus", "flash.saved", async |e, status| {
        let bureaus = db::run(&state.pool, users::bureaus).await?;
        let errors = ctx.errors(&e);
        render_status(
            status,
            &BureausPage {
                ctx,
                bureaus,
                name,
                errors,
            },
        )
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    page: Option<i64>,
    verify: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    rows: Vec<AuditRow>,
    page: i64,
    pages: i64,
    verification: Option<Verification>,
}

async fn audit_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    policy::require(ctx.user()?, Action::ViewAudit)?;
    let req = db::PageReq::new(q.page, Some(50));
    let verify = q.verify.is_some();
    let key = audit::AuditKey::new(state.settings.audit_key.expose());
    let (rows, total, verification) = db::run(&state.pool, move |c| {
        let (rows, total) = audit::recent(c, req.per_page, req.offset())?;
        let v = if verify {
            Some(audit::verify(c, &key)?)
        } else {
            None
        };
        Ok((rows, total, v))
    })
    .await?;
    let pages = ((total + req.per_page - 1) / req.per_page).max(1);
    render(&AuditPage {
        ctx,
        rows,
        page: req.page,
        pages,
        verification,
    })
}

/// One row of the holiday editor: a date, 放假 or 调休上班, and a label.
#[derive(Debug, Clone, Default)]
struct HolidayRow {
    date: String,
    kind: String,
    label: String,
}

/// Empty rows below the listed days, for adding new ones.
const NEW_HOLIDAY_ROWS: usize = 5;

#[derive(Template)]
#[template(path = "admin/holidays.html")]
struct HolidaysPage {
    ctx: PageCtx,
    rows: Vec<HolidayRow>,
    errors: Vec<String>,
}

impl HolidaysPage {
    fn new(ctx: PageCtx, mut rows: Vec<HolidayRow>, errors: Vec<String>) -> Self {
        rows.extend((0..NEW_HOLIDAY_ROWS).map(|_| HolidayRow::default()));
        HolidaysPage { ctx, rows, errors }
    }
}

async fn holidays_page(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    policy::require(ctx.user()?, Action::ManageUsers)?;
    let entries = db::run(&state.pool, crate::db::calendar::entries).await?;
    let rows = entries
        .into_iter()
        .map(|e| HolidayRow {
            date: e.date.format("%Y-%m-%d").to_string(),
            kind: e.kind.as_str().to_string(),
            label: e.label,
        })
        .collect();
    render(&HolidaysPage::new(ctx, rows, Vec::new()))
}

/// The rows of the editor's form (`date_<i>`, `kind_<i>`, `label_<i>`), those with a date.
fn holiday_rows(form: &HashMap<String, String>) -> Vec<HolidayRow> {
    let field = |name: &str, i: usize| {
        form.get(&format!("{name}_{i}"))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let count = form
        .keys()
        .filter_map(|k| k.strip_prefix("date_")?.parse::<usize>().ok())
        .max()
        .map_or(0, |m| m + 1);
    (0..count)
        .map(|i| HolidayRow {
            date: field("date", i),
            kind: field("kind", i),
            label: field("label", i),
        })
        .filter(|r| !r.date.is_empty())
        .collect()
}

async fn save_holidays(
    ctx: PageCtx,
    state: web::Data<AppState>,
    f: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let rows = holiday_rows(&f.0);
    // The rows in the calendar's text form, one a line: the same rule as the API's text.
    let text: String = rows
        .iter()
        .map(|r| format!("{} {} {}\n", r.date, r.kind, r.label))
        .collect();
    let done = db::run(&state.pool, move |c| {
        ops::accounts::save_calendar(c, &actor, &text)
    })
    .await;
    form_done(done, "/admin/holidays", "flash.saved", async |e, status| {
        let errors = e.0.iter().map(|x| x.msg.render(ctx.lang())).collect();
        render_status(status, &HolidaysPage::new(ctx, rows, errors))
    })
    .await
}
