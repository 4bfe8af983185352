//! Pages of accounts: home, dashboard, sign-in, sign-up, email verification, password reset,
//! invitations, password change, language.

use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::filters;
use super::input::Query;
use super::{
    form_done, form_then, render, render_status, safe_next, see_other, see_other_flash,
    session_cookie, AppState, FormErrors, PageCtx,
};
use crate::auth::csrf::CsrfForm;
use crate::auth::extract::{page_session_id, SessionUser, SESSION_COOKIE};
use crate::db::{self, orgs, users};
use crate::domain::account::Role;
use crate::domain::org::{OrgKind, OrgStatus};
use crate::domain::session::SessionKind;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::ops;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/signup", web::get().to(signup_page))
        .route("/signup", web::post().to(signup))
        .route("/verify-email", web::get().to(verify_email))
        .route("/password/forgot", web::get().to(forgot_page))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset", web::get().to(reset_page))
        .route("/password/reset", web::post().to(reset))
        .route("/invite/accept", web::get().to(invite_page))
        .route("/invite/accept", web::post().to(accept_invite))
        .route("/account/password", web::get().to(password_page))
        .route("/account/password", web::post().to(change_password))
        .route("/account/sessions", web::get().to(sessions_page))
        .route(
            "/account/sessions/end-others",
            web::post().to(end_other_sessions),
        )
        .route(
            "/account/sessions/end-all",
            web::post().to(end_all_sessions),
        )
        .route("/account/sessions/{id}/end", web::post().to(end_session))
        .route("/lang/{code}", web::get().to(set_lang));
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    calls: Vec<super::rounds::RoundView>,
}

pub(super) async fn home(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    super::public_cache::page(&req, &state, ctx, "home", None, |ctx| async move {
        let mut calls = super::rounds::public_rounds(&st, 20).await?;
        calls.retain(|v| v.is("open"));
        super::render_string(&HomePage { ctx, calls })
    })
    .await
}

/// Figures a dashboard shows, by role.
#[derive(Default)]
struct Dashboard {
    org: Option<orgs::OrgRow>,
    members: Vec<users::UserRow>,
    pending_orgs: i64,
    verified_orgs: i64,
    /// The oldest registrations awaiting verification.
    pending_list: Vec<orgs::OrgListItem>,
    users_total: i64,
    failed_emails: i64,
    /// The person's work queue (工作台).
    queue: crate::queries::tasks::TaskQueue,
}

/// `?kind=`: the work queue narrowed to one kind of item.
#[derive(Deserialize, Default)]
pub struct TasksQuery {
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    d: Dashboard,
}

async fn dashboard(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<TasksQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let only = crate::queries::tasks::parse_kind(&actor, q.kind.as_deref())?;
    let reads = state.reads.clone();
    let d = db::run(&state.pool, move |c| {
        let mut d = Dashboard {
            queue: crate::queries::tasks::queue(c, &actor, only)?,
            ..Dashboard::default()
        };
        if let Some(org_id) = actor.org_id {
            d.org = Some(orgs::find(c, org_id)?);
            d.members = users::members(c, org_id)?;
        }
        if matches!(actor.role, Role::Officer | Role::Admin) {
            // Counted over every organization: kept between changes.
            let mut count = |status: OrgStatus| {
                reads.list_count(c, format!("orgs:ngo:{status}"), |c| {
                    orgs::count_by_status(c, OrgKind::Ngo, status)
                })
            };
            d.pending_orgs = count(OrgStatus::Pending)?;
            d.verified_orgs = count(OrgStatus::Verified)?;
            d.pending_list = orgs::oldest_pending(c, 10)?;
        }
        if actor.role == Role::Admin {
            d.users_total = users::count(c)?;
            d.failed_emails = db::outbox::count_failed(c)?;
        }
        Ok(d)
    })
    .await?;
    render(&DashboardPage { ctx, d })
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    ctx: PageCtx,
    email: String,
    next: String,
    error: String,
}

async fn login_page(ctx: PageCtx, q: Query<NextQuery>) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other(&safe_next(q.next.as_deref())));
    }
    render(&LoginPage {
        ctx,
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        error: String::new(),
    })
}

async fn login(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let client = super::client_addr(&req, &state.settings);
    let settings = state.settings.clone();
    let (email, password) = (f.email.clone(), f.password.clone());
    let result = db::run(&state.pool, move |c| {
        ops::accounts::login(c, &settings, &email, &password, &client)
    })
    .await;
    match result {
        Ok(user) => {
            let res = if user.must_change_password {
                see_other_flash("/account/password", "flash.change_one_time_password")
            } else {
                see_other(&safe_next(f.next.as_deref()))
            };
            sign_in(&state, &req, &user, res).await
        }
        Err(
            e @ (AppError::InvalidCredentials
            | AppError::TooManyAttempts { .. }
            | AppError::Conflict(_)),
        ) => {
            let status = actix_web::ResponseError::status_code(&e);
            let error = e.message(ctx.lang());
            let mut res = render_status(
                status,
                &LoginPage {
                    ctx,
                    email: f.email,
                    next: safe_next(f.next.as_deref()),
                    error,
                },
            )?;
            e.add_headers(&mut res);
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// Starts a page session for `user` and sets its cookie on `res`.
async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    user: &users::UserRow,
    mut res: HttpResponse,
) -> Result<HttpResponse, AppError> {
    let issued = crate::auth::sessions::start(state, req, user, SessionKind::Page).await?;
    res.add_cookie(&session_cookie(&state.settings, &issued.token))
        .map_err(|e| AppError::Unexpected(e.to_string()))?;
    Ok(res)
}

/// Removes the session cookie from the browser.
fn forget_session(res: &mut HttpResponse) {
    let mut c = actix_web::cookie::Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .finish();
    c.make_removal();
    let _ = res.add_cookie(&c);
}

/// Signs out this device: its session ends, other devices stay signed in.
async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let session = req.extensions().get::<SessionUser>().cloned();
    if let Some(SessionUser(Some(actor), _, Some(id))) = session {
        db::run(&state.pool, move |c| {
            ops::sessions::sign_out(c, &actor, &id)
        })
        .await?;
    }
    let mut res = see_other("/");
    forget_session(&mut res);
    Ok(res)
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "account/signup.html")]
struct SignupPage {
    ctx: PageCtx,
    email: String,
    name: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "account/notice.html")]
struct NoticePage {
    ctx: PageCtx,
    title_key: &'static str,
    body_key: &'static str,
}

/// A page that only says something, e.g. that a link was mailed.
fn notice_page(
    ctx: PageCtx,
    title_key: &'static str,
    body_key: &'static str,
) -> Result<HttpResponse, AppError> {
    render(&NoticePage {
        ctx,
        title_key,
        body_key,
    })
}

/// A link whose token is unknown, used or expired: 400 with a page that says so.
fn invalid_token(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let page = NoticePage {
        ctx,
        title_key: "token.invalid_title",
        body_key: "token.invalid_body",
    };
    render_status(StatusCode::BAD_REQUEST, &page)
}

async fn signup_page(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render(&SignupPage {
        ctx,
        email: String::new(),
        name: String::new(),
        errors: FormErrors::default(),
    })
}

async fn signup(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let settings = state.settings.clone();
    let lang = ctx.lang();
    let client = super::client_addr(&req, &state.settings);
    let (email, name, password) = (f.email.clone(), f.name.clone(), f.password.clone());
    let done = db::run(&state.pool, move |c| {
        ops::accounts::signup(c, &settings, &email, &name, &password, lang, &client)
    })
    .await;
    let notice = ctx.clone();
    form_then(
        done,
        async |_| notice_page(notice, "signup.done_title", "signup.done_body"),
        async |e, status| {
            let page = SignupPage {
                errors: ctx.errors(&e),
                ctx,
                email: f.email,
                name: f.name,
            };
            render_status(status, &page)
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn verify_email(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let verified = db::run(&state.pool, move |c| ops::accounts::verify_email(c, &token)).await;
    // A `GET` that writes: what this instance read of the account is read afresh.
    state.sessions.note_write();
    match verified {
        Ok(user) => {
            let target = if user.role == Role::Ngo && user.org_id.is_none() {
                "/orgs/new"
            } else {
                "/dashboard"
            };
            let res = see_other_flash(target, "flash.email_verified");
            sign_in(&state, &req, &user, res).await
        }
        Err(AppError::BadRequest(_)) => invalid_token(ctx),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
struct ForgotPage {
    ctx: PageCtx,
    email: String,
    errors: FormErrors,
}

async fn forgot_page(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render(&ForgotPage {
        ctx,
        email: String::new(),
        errors: FormErrors::default(),
    })
}

async fn forgot(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.0.email;
    let settings = state.settings.clone();
    let client = super::client_addr(&req, &state.settings);
    let e2 = email.clone();
    let done = db::run(&state.pool, move |c| {
        ops::accounts::request_password_reset(c, &settings, &e2, &client)
    })
    .await;
    let notice = ctx.clone();
    form_then(
        done,
        async |()| notice_page(notice, "forgot.done_title", "forgot.done_body"),
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(status, &ForgotPage { ctx, email, errors })
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "account/reset.html")]
struct ResetPage {
    ctx: PageCtx,
    token: String,
    errors: FormErrors,
}

async fn reset_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let t = token.clone();
    let valid = db::run(&state.pool, move |c| {
        Ok(db::tokens::peek(c, db::tokens::Purpose::ResetPassword, &t).is_ok())
    })
    .await?;
    if !valid {
        return invalid_token(ctx);
    }
    render(&ResetPage {
        ctx,
        token,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

async fn reset(
    ctx: PageCtx,
    state: web::Data<AppState>,
    form: CsrfForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let settings = state.settings.clone();
    let (token, password) = (f.token.clone(), f.password);
    let done = db::run(&state.pool, move |c| {
        ops::accounts::reset_password(c, &settings, &token, &password)
    })
    .await;
    if matches!(done, Err(AppError::BadRequest(_))) {
        return invalid_token(ctx);
    }
    form_done(done, "/login", "flash.password_reset", async |e, status| {
        let page = ResetPage {
            errors: ctx.errors(&e),
            ctx,
            token: f.token,
        };
        render_status(status, &page)
    })
    .await
}

#[derive(Template)]
#[template(path = "account/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    token: String,
    email: String,
    name: String,
    role: String,
    errors: FormErrors,
}

async fn invite_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let t = token.clone();
    match db::run(&state.pool, move |c| ops::accounts::invitation(c, &t)).await {
        Ok(u) => render(&InvitePage {
            ctx,
            token,
            email: u.email,
            name: u.name,
            role: u.role.to_string(),
            errors: FormErrors::default(),
        }),
        Err(AppError::BadRequest(_)) => invalid_token(ctx),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

async fn accept_invite(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.0;
    let settings = state.settings.clone();
    let (token, name, password) = (f.token.clone(), f.name.clone(), f.password);
    let done = db::run(&state.pool, move |c| {
        ops::accounts::accept_invite(c, &settings, &token, &name, &password)
    })
    .await;
    if matches!(done, Err(AppError::BadRequest(_))) {
        return invalid_token(ctx);
    }
    form_then(
        done,
        async |user| {
            let res = see_other_flash("/dashboard", "flash.welcome");
            sign_in(&state, &req, &user, res).await
        },
        async |e, status| {
            let t = f.token.clone();
            let u = db::run(&state.pool, move |c| ops::accounts::invitation(c, &t)).await?;
            let page = InvitePage {
                errors: ctx.errors(&e),
                ctx,
                token: f.token,
                email: u.email,
                name: f.name,
                role: u.role.to_string(),
            };
            render_status(status, &page)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    errors: FormErrors,
}

async fn password_page(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    ctx.user_allowing_password_change()?;
    render(&PasswordPage {
        ctx,
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user_allowing_password_change()?.clone();
    let f = form.0;
    let settings = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::accounts::change_password(c, &settings, &actor, &f.current_password, &f.new_password)
    })
    .await;
    form_then(
        done,
        async |user| {
            // Every session ended with the change (other devices are signed out); this
            // device starts a fresh one.
            let res = see_other_flash("/dashboard", "flash.password_changed");
            sign_in(&state, &req, &user, res).await
        },
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(status, &PasswordPage { ctx, errors })
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    ctx: PageCtx,
    sessions: Vec<db::sessions::SessionInfo>,
}

/// The signed-in devices of the person, with a way to sign out each or all of them.
async fn sessions_page(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let current = page_session_id(&req);
    let sessions = db::run(&state.pool, move |c| {
        ops::sessions::list(c, &actor, current.as_deref())
    })
    .await?;
    render(&SessionsPage { ctx, sessions })
}

/// Signs out one session from the list; signing out this one is signing out.
async fn end_session(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let this_device = page_session_id(&req).as_deref() == Some(id.as_str());
    db::run(&state.pool, move |c| ops::sessions::end_one(c, &actor, &id)).await?;
    if this_device {
        let mut res = see_other("/login");
        forget_session(&mut res);
        return Ok(res);
    }
    Ok(see_other_flash("/account/sessions", "flash.session_ended"))
}

/// Signs out every other device; this one stays signed in.
async fn end_other_sessions(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let current = page_session_id(&req);
    db::run(&state.pool, move |c| {
        ops::sessions::end_all(c, &actor, current.as_deref())
    })
    .await?;
    Ok(see_other_flash(
        "/account/sessions",
        "flash.other_sessions_ended",
    ))
}

/// Signs out every device, this one included.
async fn end_all_sessions(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    db::run(&state.pool, move |c| {
        ops::sessions::end_all(c, &actor, None)
    })
    .await?;
    let mut res = see_other_flash("/login", "flash.all_sessions_ended");
    forget_session(&mut res);
    Ok(res)
}

async fn set_lang(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    if let Some(actor) = ctx.user.clone() {
        db::run(&state.pool, move |c| {
            ops::accounts::set_locale(c, &actor, lang)
        })
        .await?;
        // A `GET` that writes: the page it leads back to reads the session afresh.
        state.sessions.note_write();
    }
    let back = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|h| h.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        });
    let mut res = see_other(&safe_next(back.as_deref().or(Some("/"))));
    let c = actix_web::cookie::Cookie::build(super::LANG_COOKIE, lang.code().to_string())
        .path("/")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    res.add_cookie(&c)
        .map_err(|e| AppError::Unexpected(e.to_string()))?;
    Ok(res)
}
