//! HTTP: pages (askama, zh-CN by default, English selectable) and the JSON API. Handlers
//! are thin: parse → policy → ops (one transaction) → render.

pub mod account;
pub mod admin;
pub mod api;
pub mod awards;
pub mod changes;
pub mod documents;
pub mod evaluations;
pub mod export;
pub mod filters;
pub mod input;
pub mod messages;
pub mod orgs;
pub mod paging;
pub mod projects;
pub mod proposals;
pub mod public_cache;
pub mod reader_cache;
pub mod reviews;
pub mod rosters;
pub mod rounds;
pub mod samples;
pub mod screening;
pub mod upload;
pub mod verify;
pub mod visits;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

use crate::auth::csrf::{self, CsrfToken, CSRF_COOKIE};
use crate::auth::extract::{session_user, SessionUser, SESSION_COOKIE};
use crate::auth::policy::{self, Action, Actor};
use crate::auth::Jwt;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::DbPool;
use crate::domain::account::Role;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{Lang, Msg, Tr};

pub const LANG_COOKIE: &str = "yc_lang";
pub const FLASH_COOKIE: &str = "yc_flash";

/// Shared state of every worker.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub jwt: Jwt,
    /// Beneficiaries' personal data keys (the `pii_key` setting, see [`crate::pii`]).
    pub pii: crate::pii::PiiKey,
    /// Where the app reads the time: the system clock, or a test's movable one.
    pub clock: Clock,
    /// Rendered public pages (see [`public_cache`]).
    pub public_cache: public_cache::PublicCache,
    /// Rankings and totals kept while nothing changed (see [`crate::queries::cache`]).
    pub reads: Arc<crate::queries::cache::ReadCache>,
    /// Officers' unchanged pages and API answers (see [`reader_cache`]).
    pub reader_cache: reader_cache::ReaderCache,
    /// Live sessions read a moment ago (see [`crate::auth::session_cache`]).
    pub sessions: crate::auth::session_cache::SessionCache,
}

/// Shows a stored UTC instant in Asia/Shanghai.
pub fn fmt_time(t: NaiveDateTime) -> String {
    crate::domain::calendar::format_beijing(t)
}

/// The client address counted by the login throttle and the abuse limits (see [`client_ip`]).
pub fn client_addr(req: &HttpRequest, settings: &Settings) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_ip(
        peer,
        &forwarded,
        settings.trust_proxy,
        &settings.trusted_nets,
    )
    .map(|ip| ip.to_string())
    .unwrap_or_else(|| "unknown".to_string())
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<std::net::IpAddr> {
    let hop = hop.trim();
    hop.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
        .map(|ip: std::net::IpAddr| ip.to_canonical())
}

/// The client's address. Without `trust_proxy` it is the connection's peer. With it, and only
/// when the peer is itself a trusted proxy, `X-Forwarded-For` is read from the right (each
/// proxy appends the address it saw) and the first hop that is not a trusted proxy is the
/// client: entries a client writes itself sit to the left of it and are never chosen. When
/// every hop is trusted the left-most one is; an unreadable hop stops the walk at the last
/// trusted address seen.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    forwarded_for: &[&str],
    trust_proxy: bool,
    trusted: &[ipnet::IpNet],
) -> Option<std::net::IpAddr> {
    let mut current = peer?.to_canonical();
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !trust_proxy || !is_trusted(&current) {
        return Some(current);
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .filter(|h| !h.trim().is_empty())
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                current = ip;
                if !is_trusted(&ip) {
                    return Some(ip);
                }
            }
            None => return Some(current),
        }
    }
    Some(current)
}

pub(crate) fn lang_of(req: &HttpRequest, user: Option<&Actor>) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or_else(|| user.and_then(|u| Lang::parse(&u.locale)))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Field errors rendered in the reader's language, for a form.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(HashMap<String, String>);

impl FormErrors {
    pub fn new(errors: &FieldErrors, lang: Lang) -> Self {
        let mut map = HashMap::new();
        for e in &errors.0 {
            map.entry(e.field.clone())
                .or_insert_with(|| e.msg.render(lang));
        }
        FormErrors(map)
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(|s| s.as_str()).unwrap_or("")
    }
    /// The message of row `i` of a repeated field, e.g. `inspections[2]`, or "".
    pub fn indexed(&self, field: &str, i: &usize) -> &str {
        self.get(&format!("{field}[{i}]"))
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// What every page needs: the reader's language, the signed-in person, the CSRF token
/// and a one-time notice.
#[derive(Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub user: Option<Actor>,
    pub csrf: String,
    pub flash: Option<String>,
    pub path: String,
    must_change_password: bool,
    /// The signed-in person's unread in-app messages (站内消息), for the navigation.
    pub unread_messages: i32,
}

impl PageCtx {
    fn build(req: &HttpRequest, session: SessionUser) -> PageCtx {
        let lang = lang_of(req, session.0.as_ref());
        let flash = req
            .cookie(FLASH_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|k| k.starts_with("flash.") && crate::i18n::has_key(k))
            .map(|k| crate::i18n::t(lang, &k).to_string());
        PageCtx {
            tr: Tr(lang),
            user: session.0,
            csrf: csrf::token(req, session.2.as_deref()),
            flash,
            path: req.path().to_string(),
            must_change_password: session.1,
            unread_messages: req
                .extensions()
                .get::<crate::auth::extract::UnreadMessages>()
                .map_or(0, |u| u.0),
        }
    }
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.tr.t(key)
    }
    pub fn lang(&self) -> Lang {
        self.tr.0
    }
    /// The signed-in person, or 401 (a redirect to the login page).
    pub fn user(&self) -> Result<&Actor, AppError> {
        let u = self.user.as_ref().ok_or(AppError::Unauthorized)?;
        if self.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(u)
    }
    /// The signed-in person even before the one-time password was changed.
    pub fn user_allowing_password_change(&self) -> Result<&Actor, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }
    pub fn can(&self, action: Action) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| policy::allows(u, action))
    }
    pub fn is_staff(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| matches!(u.role, Role::Admin | Role::Officer))
    }
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }
    /// The organization of the signed-in person, if any.
    pub fn org_id(&self) -> Option<i64> {
        self.user.as_ref().and_then(|u| u.org_id)
    }
    pub fn role_is(&self, role: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.as_str() == role)
    }
    pub fn errors(&self, e: &FieldErrors) -> FormErrors {
        FormErrors::new(e, self.lang())
    }
    /// Today's date in Beijing, for date inputs.
    pub fn today(&self) -> String {
        crate::db::today().to_string()
    }
    /// A work-queue item's days left, e.g. “还剩 3 天”, “今天到期”, “已逾期 2 天”.
    pub fn days_left(&self, n: &i64) -> String {
        let msg = match *n {
            0 => crate::i18n::Msg::new("tasks.due_today"),
            n if n < 0 => crate::i18n::Msg::new("tasks.overdue_days").arg("days", -n),
            n => crate::i18n::Msg::new("tasks.days_left").arg("days", n),
        };
        msg.render(self.lang())
    }
    /// A reviewer's progress in a round, e.g. “已完成 3/5”.
    pub fn progress(&self, p: &crate::domain::tasks::Progress) -> String {
        crate::i18n::Msg::new("tasks.progress")
            .arg("done", p.done)
            .arg("total", p.total)
            .render(self.lang())
    }
    /// The length limit shown beside a field, e.g. “最多 2,000 字”.
    pub fn max_chars(&self, max: &usize) -> String {
        crate::i18n::Msg::new("form.max_chars")
            .arg("max", crate::domain::money::group_thousands(*max as u64))
            .render(self.lang())
    }
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = session_user(&req).await?;
            Ok(PageCtx::build(&req, session))
        })
    }
}

pub fn render<T: Template>(t: &T) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, t)
}

/// A page's HTML, for a response built elsewhere (see [`public_cache`]).
pub fn render_string<T: Template>(t: &T) -> Result<String, AppError> {
    t.render()
        .map_err(|e| AppError::Unexpected(format!("template: {e}")))
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Result<HttpResponse, AppError> {
    let body = render_string(t)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A stored file as a download; the name goes in both header forms (ASCII fallback, UTF-8).
pub fn file_download(
    content_type: String,
    fallback: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> HttpResponse {
    export::download(bytes, &content_type, fallback, filename)
}

/// Renders a PDF off the async executor and sends it as a download named `filename` (any
/// script), `fallback` for clients that read only the ASCII name.
pub async fn pdf_response(
    fallback: String,
    filename: String,
    build: impl FnOnce() -> crate::pdf::Document + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let bytes = web::block(move || crate::pdf::render(&build()))
        .await
        .map_err(|e| AppError::Unexpected(e.to_string()))?
        .map_err(|e| AppError::Unexpected(e.to_string()))?;
    Ok(export::download(bytes, export::PDF, &fallback, &filename))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// Redirects and shows the notice `flash_key` (a locale key starting with `flash.`) once.
pub fn see_other_flash(location: &str, flash_key: &str) -> HttpResponse {
    let mut res = see_other(location);
    let c = Cookie::build(FLASH_COOKIE, flash_key.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    let _ = res.add_cookie(&c);
    res
}

/// Where a form goes once its operation succeeded: a fixed address, or one made from what
/// the operation returned (e.g. the id of what it created).
pub trait FormTarget<T> {
    fn location(self, done: T) -> String;
}

impl<T> FormTarget<T> for &str {
    fn location(self, _: T) -> String {
        self.to_string()
    }
}

impl<T> FormTarget<T> for String {
    fn location(self, _: T) -> String {
        self
    }
}

impl<T, F: FnOnce(T) -> String> FormTarget<T> for F {
    fn location(self, done: T) -> String {
        self(done)
    }
}

/// How a form's POST ends once its operation ran: success redirects (303) to `to` with the
/// notice `flash_key`; field errors re-render the form through `again` with those errors
/// and 422 (it shows them beside the values typed); any other error propagates.
/// What saving a long form and then, if asked, submitting it gave: `Err` when the save
/// failed (nothing stored), `Ok(Some(e))` when only the submission failed (the save stands).
pub type SavedThen = Result<Option<AppError>, AppError>;

/// The result for [`form_done`], and whether the form shown again keeps what was typed: it
/// does when the save failed (an over-long text or a bad value loses nothing), and shows
/// what is stored when only the submission failed.
pub fn saved_then(done: SavedThen) -> (Result<(), AppError>, bool) {
    match done {
        Ok(None) => (Ok(()), false),
        Ok(Some(e)) => (Err(e), false),
        Err(e) => (Err(e), true),
    }
}

pub async fn form_done<T>(
    done: Result<T, AppError>,
    to: impl FormTarget<T>,
    flash_key: &str,
    again: impl AsyncFnOnce(FieldErrors, StatusCode) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    form_then(
        done,
        async move |v| Ok(see_other_flash(&to.location(v), flash_key)),
        again,
    )
    .await
}

/// The shape of [`form_done`] for a form whose success is more than a redirect with a notice
/// (a page of its own, or signing the person in): `ok` answers the operation's result; field
/// errors re-render the form through `again` with 422; any other error propagates.
pub async fn form_then<T>(
    done: Result<T, AppError>,
    ok: impl AsyncFnOnce(T) -> Result<HttpResponse, AppError>,
    again: impl AsyncFnOnce(FieldErrors, StatusCode) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(v) => ok(v).await,
        Err(AppError::Validation(e)) => again(e, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e),
    }
}

/// [`form_done`] for a form that carries the version it was read at: an edit that lost the
/// race (`error.edit_conflict`) re-renders the form too, the conflict shown beside `version`,
/// with 409.
pub async fn versioned_form_done<T>(
    done: Result<T, AppError>,
    to: impl FormTarget<T>,
    flash_key: &str,
    again: impl AsyncFnOnce(FieldErrors, StatusCode) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    let lost_race = |m: &Msg| m.key == "error.edit_conflict";
    conflict_shown(done, lost_race, "version", to, flash_key, again).await
}

/// [`form_done`] for a form whose operation may refuse what was chosen as a whole (a
/// conflict, e.g. a selection in the wrong state): the form is re-rendered with the conflict
/// beside `field`, with 409.
pub async fn selection_form_done<T>(
    done: Result<T, AppError>,
    field: &str,
    to: impl FormTarget<T>,
    flash_key: &str,
    again: impl AsyncFnOnce(FieldErrors, StatusCode) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    conflict_shown(done, |_| true, field, to, flash_key, again).await
}

/// [`form_done`], except that a conflict `shown` selects re-renders the form with 409 and the
/// conflict beside `field`.
async fn conflict_shown<T>(
    done: Result<T, AppError>,
    shown: impl Fn(&Msg) -> bool,
    field: &str,
    to: impl FormTarget<T>,
    flash_key: &str,
    again: impl AsyncFnOnce(FieldErrors, StatusCode) -> Result<HttpResponse, AppError>,
) -> Result<HttpResponse, AppError> {
    match done {
        Err(AppError::Conflict(m)) if shown(&m) => {
            let mut e = FieldErrors::new();
            e.add(field, m);
            again(e, StatusCode::CONFLICT).await
        }
        done => form_done(done, to, flash_key, again).await,
    }
}

/// A safe local redirect target (no scheme, no host).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/dashboard".to_string(),
    }
}

pub fn session_cookie(settings: &Settings, token: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::hours(settings.session_hours))
        .finish()
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    message: String,
    /// For a form over the body limit: the page it came from, to reopen.
    too_large_from: Option<String>,
    /// (field, message) of a validation error no form showed.
    fields: Vec<(String, String)>,
    /// The request's id, to quote to whoever reads the logs.
    request_id: Option<String>,
}

fn error_response(req: &HttpRequest, err: &AppError, status: StatusCode) -> HttpResponse {
    let session = req
        .extensions()
        .get::<SessionUser>()
        .cloned()
        .unwrap_or(SessionUser(None, false, None));
    let lang = lang_of(req, session.0.as_ref());
    let request_id = crate::telemetry::RequestId::of(req);
    if req.path().starts_with("/api/") {
        let mut body = err.problem(lang);
        if let Some(id) = &request_id {
            body["request_id"] = id.clone().into();
        }
        let mut res = HttpResponse::build(status)
            .content_type("application/problem+json")
            .body(body.to_string());
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        err.add_headers(&mut res);
        return res;
    }
    match err {
        AppError::Unauthorized => {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let next = if req.method() == Method::GET {
                next
            } else {
                "/dashboard"
            };
            return see_other(&format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ));
        }
        AppError::PasswordChangeRequired => {
            return see_other_flash("/account/password", "flash.change_one_time_password")
        }
        _ => {}
    }
    let ctx = PageCtx::build(req, session);
    let too_large_from = matches!(err, AppError::PayloadTooLarge).then(|| {
        req.headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| safe_next(Some(u.path())))
            .unwrap_or_else(|| "/dashboard".to_string())
    });
    let fields = match err {
        AppError::Validation(e) => {
            e.0.iter()
                .map(|f| (f.field.clone(), f.msg.render(lang)))
                .collect()
        }
        _ => Vec::new(),
    };
    let page = ErrorPage {
        fields,
        message: err.message(lang),
        status: status.as_u16(),
        ctx,
        too_large_from,
        request_id,
    };
    let mut res = match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(_) => HttpResponse::build(status).body(err.message(lang)),
    };
    err.add_headers(&mut res);
    res
}

/// Installs the app's clock for the whole request, so that `db::now()` in handlers and in the
/// database work they run reads it.
pub async fn clock_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let clock = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.clock.clone())
        .unwrap_or_default();
    clock.scope(next.call(req)).await
}

/// Counts a request that may have written (any method but `GET` and `HEAD`) when it is
/// answered, before its answer leaves: the next request to this instance reads its session,
/// and so the data version, afresh (`auth::session_cache`), and a redirect after a form never
/// lands on a page kept from before it.
pub async fn writes_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = (!matches!(*req.method(), Method::GET | Method::HEAD))
        .then(|| req.app_data::<web::Data<AppState>>().cloned())
        .flatten();
    let res = next.call(req).await;
    if let Some(state) = state {
        state.sessions.note_write();
    }
    res
}

/// Sets the CSRF cookie, clears a shown notice, and renders errors in the reader's language
/// (an HTML page outside `/api`, problem+json inside).
pub async fn page_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let had_flash = req.cookie(FLASH_COOKIE).is_some();
    let res = next.call(req).await?.map_into_boxed_body();
    let http_req = res.request().clone();
    let err = res.response().extensions().get::<AppError>().cloned();
    let mut res = match err {
        Some(err) => {
            let status = res.status();
            let new = error_response(&http_req, &err, status);
            res.into_response(new)
        }
        None => res,
    };
    let settings = http_req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.secure_cookies)
        .unwrap_or(false);
    {
        // A browser without a (well-formed) anonymous id gets one.
        let new_cookie = http_req
            .extensions()
            .get::<CsrfToken>()
            .and_then(|t| t.new_cookie.clone());
        if let Some(t) = new_cookie {
            let c = Cookie::build(CSRF_COOKIE, t)
                .path("/")
                .http_only(true)
                .secure(settings)
                .same_site(SameSite::Lax)
                .finish();
            let _ = res.response_mut().add_cookie(&c);
        }
    }
    if had_flash && res.status() == StatusCode::OK {
        let mut c = Cookie::build(FLASH_COOKIE, "").path("/").finish();
        c.make_removal();
        let _ = res.response_mut().add_cookie(&c);
    }
    res.response_mut().headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    let headers = res.response_mut().headers_mut();
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    Ok(res)
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

const STYLE_CSS: &str = include_str!("../../assets/style.css");

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE_CSS)
}

const APP_JS: &str = include_str!("../../assets/app.js");

/// The pages' one script (labels of table cells on narrow screens, live length counters,
/// the unsaved-changes warning), a file because the CSP allows no inline script.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(APP_JS)
}

/// Every route of the app.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(api::healthz))
        .route("/readyz", web::get().to(api::readyz))
        .route(
            "/metrics",
            web::get().to(crate::telemetry::metrics_endpoint),
        )
        .route("/assets/style.css", web::get().to(style))
        .route("/assets/app.js", web::get().to(script))
        .service(api::scope())
        // What strangers read most, first: actix tries the routes in order, matching each
        // dynamic pattern by regular expression, so a route at the end of the list pays for
        // every pattern before it.
        .route("/", web::get().to(account::home))
        .configure(awards::public_routes)
        .configure(rounds::public_routes)
        .configure(projects::public_routes)
        .configure(verify::public_routes)
        .configure(account::routes)
        .configure(messages::routes)
        .configure(orgs::routes)
        .configure(rounds::routes)
        .configure(proposals::routes)
        .configure(screening::routes)
        .configure(reviews::routes)
        .configure(awards::routes)
        .configure(projects::routes)
        .configure(changes::routes)
        .configure(evaluations::routes)
        .configure(samples::routes)
        .configure(visits::routes)
        .configure(rosters::routes)
        .configure(admin::routes)
        .default_service(web::to(not_found));
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("a test address")
    }

    fn default_trusted() -> Vec<ipnet::IpNet> {
        crate::config::parse_trusted_proxies(&[]).expect("the default proxy list parses")
    }

    #[test]
    fn without_trust_proxy_the_peer_is_the_client() {
        let got = client_ip(
            Some(ip("127.0.0.1")),
            &["6.6.6.6"],
            false,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("127.0.0.1")));
    }

    #[test]
    fn spoofed_left_entries_are_ignored() {
        // The client sent `X-Forwarded-For: 6.6.6.6`; our proxy appended what it saw.
        let got = client_ip(
            Some(ip("10.0.0.2")),
            &["6.6.6.6, 203.0.113.9"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
        // Two proxies of ours, and the header split over two lines.
        let got = client_ip(
            Some(ip("10.0.0.2")),
            &["1.1.1.1, 203.0.113.9", "10.0.0.7"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn an_untrusted_peer_cannot_forward_for_anyone() {
        let got = client_ip(
            Some(ip("198.51.100.4")),
            &["203.0.113.9"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("198.51.100.4")));
    }

    #[test]
    fn configured_proxies_replace_the_default_ranges() {
        let trusted =
            crate::config::parse_trusted_proxies(&["192.0.2.0/24".into(), "2001:db8::1".into()])
                .expect("valid proxies");
        // A private address is a client when it is not in the list.
        let got = client_ip(Some(ip("192.0.2.5")), &["10.1.1.1"], true, &trusted);
        assert_eq!(got, Some(ip("10.1.1.1")));
        let got = client_ip(
            Some(ip("2001:db8::1")),
            &["[2001:db8::99]:4711, 192.0.2.8:80"],
            true,
            &trusted,
        );
        assert_eq!(got, Some(ip("2001:db8::99")));
        assert!(crate::config::parse_trusted_proxies(&["not-an-ip".into()]).is_err());
    }

    #[test]
    fn all_trusted_hops_give_the_left_most_and_garbage_stops_the_walk() {
        let got = client_ip(
            Some(ip("127.0.0.1")),
            &["10.0.0.3, 10.0.0.2"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("10.0.0.3")));
        let got = client_ip(
            Some(ip("127.0.0.1")),
            &["6.6.6.6, bogus, 10.0.0.2"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("10.0.0.2")));
        // An IPv4 peer seen as IPv6-mapped is the same address.
        let got = client_ip(
            Some(ip("::ffff:127.0.0.1")),
            &["203.0.113.1"],
            true,
            &default_trusted(),
        );
        assert_eq!(got, Some(ip("203.0.113.1")));
    }
}
