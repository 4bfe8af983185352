//! Pages of the award: the officer's decision actions (closing the review, 核减 and moving
//! the line, category budgets, publishing), the public notice (公示) with objections, the
//! officer's notice page, finalising, and projects with their award notice and agreement.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::filters;
use super::input::Query;
use super::paging::{PageQuery, Pager};
use super::reviews::tenths_text;
use super::{form_done, render, render_status, see_other_flash, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::Actor;
use crate::db::awards::{self, AwardRow, Entry, Notice};
use crate::db::projects::{ProjectFilter, ProjectRow};
use crate::db::rounds::RoundRow;
use crate::db::{self, proposals};
use crate::domain::account::Role;
use crate::domain::award::ObjectionInput;
use crate::domain::money::Fen;
use crate::domain::project::DocumentKind;
use crate::error::AppError;
use crate::ops;
use crate::ops::award::{AnswerInput, EntryInput, ObjectionItem};

/// The pages strangers read most (see [`super::routes`]).
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/notices", web::get().to(notices))
        .route("/notices/{id}", web::get().to(public_notice));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/rounds/{id}/decision/close", web::post().to(close_review))
        .route(
            "/rounds/{id}/decision/categories",
            web::post().to(save_categories),
        )
        .route("/rounds/{id}/decision/publish", web::post().to(publish))
        .route("/rounds/{id}/decision/{pid}", web::get().to(adjust_page))
        .route("/rounds/{id}/decision/{pid}", web::post().to(save_adjust))
        .route("/rounds/{id}/notice", web::get().to(officer_notice))
        .route("/rounds/{id}/notice/unschedule", web::post().to(unschedule))
        .route("/rounds/{id}/finalise", web::post().to(finalise))
        .route("/objections/{id}/answer", web::post().to(answer))
        .route("/objections/confirm", web::get().to(confirm_page))
        .route("/objections/confirm", web::post().to(confirm))
        .route("/notices/{id}/objections", web::post().to(file_objection))
        .route("/projects", web::get().to(projects))
        .route("/projects.csv", web::get().to(projects_csv))
        .route(
            "/projects/{id}/award-notice.pdf",
            web::get().to(award_notice_pdf),
        )
        .route("/projects/{id}/agreement.pdf", web::get().to(agreement_pdf));
}

async fn close_review(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::award::close_review(c, &actor, id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/decision"),
        "flash.review_closed",
    ))
}

#[derive(Deserialize)]
pub struct Empty {}

/// The publish form: empty `starts_at` publishes now; a Beijing time schedules it (定时发布).
#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    starts_at: String,
}

async fn publish(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<PublishForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, s) = (id.into_inner(), state.settings.clone());
    let typed = f.0.starts_at;
    let done = match super::rounds::parse_local(&typed) {
        Err(m) => {
            let mut e = crate::error::FieldErrors::new();
            e.add("starts_at", m);
            Err(AppError::Validation(e))
        }
        Ok(starts_at) => {
            db::run(&state.pool, move |c| {
                ops::award::publish_notice(c, &s, &actor, id, starts_at)
            })
            .await
        }
    };
    let flash = match &done {
        Ok(p) if p.scheduled => "flash.notice_scheduled",
        _ => "flash.notice_published",
    };
    form_done(
        done,
        format!("/rounds/{id}/notice"),
        flash,
        async |e, status| {
            super::reviews::decision_with(
                ctx,
                &req,
                &state,
                id,
                crate::queries::decision::Rows::Page {
                    page: None,
                    per_page: db::PageReq::DEFAULT_PER_PAGE,
                },
                (typed, e),
                status,
            )
            .await
        },
    )
    .await
}

/// Takes back a scheduled notice before it opens (back to the decision).
async fn unschedule(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    db::run(&state.pool, move |c| {
        ops::award::cancel_scheduled_notice(c, &actor, id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/decision"),
        "flash.notice_unscheduled",
    ))
}

/// Category budgets as posted: `category.N` and `budget.N` pairs.
async fn save_categories(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let pairs = category_pairs(&f.0);
    db::run(&state.pool, move |c| {
        ops::award::set_category_budgets(c, &actor, id, &pairs)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/decision"),
        "flash.saved",
    ))
}

fn category_pairs(form: &[(String, String)]) -> Vec<(String, String)> {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    (0..64)
        .map_while(|i| {
            let cat = get(&format!("category.{i}"));
            (!cat.is_empty()).then(|| (cat, get(&format!("budget.{i}"))))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "awards/adjust.html")]
struct AdjustPage {
    ctx: PageCtx,
    round: RoundRow,
    row: crate::queries::decision::RankedRow,
    v: EntryInput,
    errors: FormErrors,
}

impl AdjustPage {
    pub fn pts(&self, t: &i32) -> String {
        tenths_text(*t)
    }
}

fn entry_values(e: &Option<Entry>) -> EntryInput {
    let Some(e) = e else {
        return EntryInput::default();
    };
    EntryInput {
        reduced: e
            .reduced_fen
            .map(|f| Fen(f).yuan_input())
            .unwrap_or_default(),
        reduce_reason: e.reduce_reason.clone().unwrap_or_default(),
        line_override: e.line_override.map(|o| o.to_string()).unwrap_or_default(),
        override_reason: e.override_reason.clone().unwrap_or_default(),
    }
}

fn load_adjust(
    c: &mut db::DbConn,
    reads: &crate::queries::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
    pid: i64,
) -> Result<(RoundRow, crate::queries::decision::RankedRow, Option<Entry>), AppError> {
    let row = crate::queries::decision::cached(c, reads, actor, round_id)?
        .row(pid)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((
        crate::db::rounds::find(c, round_id)?,
        row,
        awards::entry(c, pid)?,
    ))
}

async fn adjust_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (rid, pid) = path.into_inner();
    let reads = state.reads.clone();
    let (round, row, entry) = db::run(&state.pool, move |c| {
        load_adjust(c, &reads, &actor, rid, pid)
    })
    .await?;
    render(&AdjustPage {
        v: entry_values(&entry),
        ctx,
        round,
        row,
        errors: FormErrors::default(),
    })
}

async fn save_adjust(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    f: CsrfForm<EntryInput>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (rid, pid) = path.into_inner();
    let input = f.0;
    let i2 = input.clone();
    let a2 = actor.clone();
    let done = db::run(&state.pool, move |c| {
        let p = proposals::find(c, pid)?;
        if p.round_id != rid {
            return Err(AppError::NotFound);
        }
        ops::award::save_entry(c, &a2, pid, &i2)
    })
    .await;
    form_done(
        done,
        format!("/rounds/{rid}/decision"),
        "flash.saved",
        async |e, status| {
            let reads = state.reads.clone();
            let (round, row, _) = db::run(&state.pool, move |c| {
                load_adjust(c, &reads, &actor, rid, pid)
            })
            .await?;
            let errors = ctx.errors(&e);
            render_status(
                status,
                &AdjustPage {
                    ctx,
                    round,
                    row,
                    v: input,
                    errors,
                },
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "awards/notice.html")]
struct OfficerNoticePage {
    ctx: PageCtx,
    round: RoundRow,
    notice: Notice,
    list: Vec<AwardRow>,
    pager: Pager,
    objections: Vec<ObjectionItem>,
    numbers: std::collections::HashMap<i64, String>,
    projects: crate::db::Paged<ProjectRow>,
    running: bool,
    /// Prepared in advance, not yet public (定时发布).
    scheduled: bool,
    open_objections: usize,
    used_fen: i64,
    funding_rule: crate::domain::review::FundingRule,
    supplements: Vec<crate::queries::notice::Supplement>,
    /// The end of the last notice (main or supplementary).
    ends_at: chrono::NaiveDateTime,
}

impl OfficerNoticePage {
    pub fn pts(&self, t: &i32) -> String {
        tenths_text(*t)
    }
    pub fn number_of(&self, pid: &i64) -> String {
        self.numbers.get(pid).cloned().unwrap_or_default()
    }
}

async fn officer_notice(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, page) = (id.into_inner(), page.req()?);
    let reads = state.reads.clone();
    let o = db::run(&state.pool, move |c| {
        crate::queries::notice::officer_notice(c, &reads, &actor, id, page)
    })
    .await?;
    let v = o.view;
    render(&OfficerNoticePage {
        ctx,
        pager: Pager::new(&req, &v.list),
        running: v.open,
        scheduled: v.scheduled,
        ends_at: v.ends_at,
        funding_rule: v.funding_rule,
        supplements: v.supplements,
        round: v.round,
        notice: v.notice,
        list: v.list.items,
        objections: o.objections,
        numbers: o.numbers,
        projects: o.projects,
        open_objections: o.open_objections,
        used_fen: v.used_fen,
    })
}

async fn answer(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, s) = (id.into_inner(), state.settings.clone());
    let input = AnswerInput {
        upheld: f.0.outcome == "upheld",
        response: f.0.response,
    };
    if !matches!(f.0.outcome.as_str(), "upheld" | "rejected") {
        return Err(crate::error::FieldErrors::single(
            "outcome",
            "field.choice_invalid",
        ));
    }
    let round = db::run(&state.pool, move |c| {
        ops::award::answer_objection(c, &s, &actor, id, &input)?;
        Ok(awards::objection(c, id)?.round_id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{round}/notice"),
        "flash.objection_answered",
    ))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    response: String,
}

async fn finalise(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, s) = (id.into_inner(), state.settings.clone());
    db::run(&state.pool, move |c| {
        ops::award::finalise(c, &s, &actor, id)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/rounds/{id}/notice"),
        "flash.round_awarded",
    ))
}

// ---------------------------------------------------------------------------------------
// Public notice
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "awards/notices.html")]
struct NoticesPage {
    ctx: PageCtx,
    rows: Vec<(i64, String, String, chrono::NaiveDateTime, String)>,
}

async fn notices(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    super::public_cache::page(&req, &state, ctx, "notices", None, |ctx| async move {
        notices_page(ctx, &st).await
    })
    .await
}

async fn notices_page(ctx: PageCtx, state: &AppState) -> Result<String, AppError> {
    let rows = db::run(&state.pool, |c| {
        let list = awards::public_notices(c, 100)?;
        let mut out = Vec::with_capacity(list.len());
        for (id, title, bureau, ends, status) in list {
            out.push((
                id,
                title,
                crate::db::rounds::bureau_name(c, bureau)?,
                ends,
                status,
            ));
        }
        Ok(out)
    })
    .await?;
    super::render_string(&NoticesPage { ctx, rows })
}

#[derive(Template)]
#[template(path = "awards/public.html")]
struct PublicNoticePage {
    ctx: PageCtx,
    round: RoundRow,
    bureau: String,
    notice: Notice,
    /// One page of the funded (with substitutes) and removed lines: the public list.
    list: Vec<AwardRow>,
    pager: Pager,
    open: bool,
    funding_rule: crate::domain::review::FundingRule,
    supplements: Vec<crate::queries::notice::Supplement>,
    /// What the objection form offers.
    objection_choices: Vec<AwardRow>,
    v: ObjectionForm,
    errors: FormErrors,
}

impl PublicNoticePage {
    fn new(
        ctx: PageCtx,
        n: crate::queries::notice::NoticeView,
        pager: Pager,
        v: ObjectionForm,
        errors: FormErrors,
    ) -> Self {
        PublicNoticePage {
            ctx,
            round: n.round,
            bureau: n.bureau,
            notice: n.notice,
            list: n.list.items,
            pager,
            open: n.open,
            funding_rule: n.funding_rule,
            supplements: n.supplements,
            objection_choices: n.objection_choices,
            v,
            errors,
        }
    }
    pub fn pts(&self, t: &i32) -> String {
        tenths_text(*t)
    }
    pub fn selected(&self, pid: &i64) -> bool {
        self.v.proposal_id.parse::<i64>().ok() == Some(*pid)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ObjectionForm {
    #[serde(default)]
    proposal_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    reason: String,
    /// The page of the list the form was on (its proposals are the ones to choose from).
    #[serde(default)]
    page: String,
}

/// The public notice with one page of its list, read without a reader (what anyone sees).
async fn load_public(
    state: &web::Data<AppState>,
    id: i64,
    page: db::PageReq,
) -> Result<crate::queries::notice::NoticeView, AppError> {
    db::run(&state.pool, move |c| {
        crate::queries::notice::notice(c, id, None, page)
    })
    .await
}

/// The public notice (公示), one page of its list at a time (`?page&per_page`). Anonymous
/// readers get the cached pages; page numbers are bounded like every list's.
async fn public_notice(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, st, page) = (id.into_inner(), state.clone(), page.req()?);
    let pager_req = req.clone();
    super::public_cache::paged_page(
        &req,
        &state,
        ctx,
        ("notice", Some(id)),
        page,
        |ctx| async move {
            let n = load_public(&st, id, page).await?;
            let pager = Pager::new(&pager_req, &n.list);
            super::render_string(&PublicNoticePage::new(
                ctx,
                n,
                pager,
                ObjectionForm::default(),
                FormErrors::default(),
            ))
        },
    )
    .await
}

async fn file_objection(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ObjectionForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = f.0;
    let input = ObjectionInput {
        proposal_id: form.proposal_id.trim().parse().ok(),
        name: form.name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        reason: form.reason.clone(),
    };
    let (s, lang) = (state.settings.clone(), ctx.lang().code());
    let client = super::client_addr(&req, &state.settings);
    let done = db::run(&state.pool, move |c| {
        ops::award::file_objection(c, &s, id, &input, lang, &client)
    })
    .await;
    form_done(
        done,
        format!("/notices/{id}"),
        "flash.objection_check_email",
        async |e, status| {
            let page = db::PageReq::new(form.page.trim().parse().ok(), None);
            let mut n = load_public(&state, id, page).await?;
            n.open = true;
            let errors = ctx.errors(&e);
            let pager = Pager::new(&req, &n.list).at(format!("/notices/{id}"));
            render_status(status, &PublicNoticePage::new(ctx, n, pager, form, errors))
        },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "awards/confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    token: String,
    number: String,
    round_title: String,
}

#[derive(Template)]
#[template(path = "account/notice.html")]
struct InvalidLinkPage {
    ctx: PageCtx,
    title_key: &'static str,
    body_key: &'static str,
}

fn invalid_link(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    render_status(
        StatusCode::BAD_REQUEST,
        &InvalidLinkPage {
            ctx,
            title_key: "token.invalid_title",
            body_key: "token.invalid_body",
        },
    )
}

/// The page behind the emailed link: it only shows a button, so a mail scanner that follows
/// links does not confirm anything.
async fn confirm_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let t = token.clone();
    let found = db::run(&state.pool, move |c| {
        let after =
            db::now() - chrono::Duration::hours(crate::domain::award::OBJECTION_CONFIRM_HOURS);
        let Some(o) = awards::unconfirmed_by_token(c, &crate::auth::hash_token(t.trim()), after)?
        else {
            return Ok(None);
        };
        let number = proposals::find(c, o.proposal_id)?
            .number
            .unwrap_or_default();
        let round = crate::db::rounds::find(c, o.round_id)?;
        Ok(Some((number, round.title)))
    })
    .await?;
    match found {
        Some((number, round_title)) => render(&ConfirmPage {
            ctx,
            token,
            number,
            round_title,
        }),
        None => invalid_link(ctx),
    }
}

async fn confirm(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    f: CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let (s, lang) = (state.settings.clone(), ctx.lang().code());
    let client = super::client_addr(&req, &state.settings);
    let token = f.0.token;
    match db::run(&state.pool, move |c| {
        ops::award::confirm_objection(c, &s, &token, lang, &client)
    })
    .await
    {
        Ok(o) => Ok(see_other_flash(
            &format!("/notices/{}", o.round_id),
            "flash.objection_confirmed",
        )),
        Err(AppError::BadRequest(_)) => invalid_link(ctx),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Projects
// ---------------------------------------------------------------------------------------

/// The projects a person may see: an NGO its own, an officer the bureau's, an admin all.
pub fn project_filter(actor: &Actor, round_id: Option<i64>) -> Result<ProjectFilter, AppError> {
    let mut f = ProjectFilter {
        round_id,
        ..ProjectFilter::default()
    };
    match actor.role {
        Role::Admin => {}
        Role::Officer => f.bureau_id = Some(actor.bureau_id.ok_or(AppError::Forbidden)?),
        Role::Ngo => f.org_id = Some(actor.org_id.ok_or(AppError::Forbidden)?),
        _ => return Err(AppError::Forbidden),
    }
    Ok(f)
}

#[derive(Template)]
#[template(path = "awards/projects.html")]
struct ProjectsPage {
    ctx: PageCtx,
    rows: Vec<ProjectRow>,
    pager: Pager,
    total_fen: i64,
    /// The list's round, filter and order as asked (for the form), and the export keeping them.
    round: Option<i64>,
    q: super::projects::DashboardQuery,
    export_href: String,
}

impl ProjectsPage {
    pub fn statuses(&self) -> &'static [crate::domain::project::ProjectStatus] {
        crate::domain::project::ProjectStatus::ALL
    }
    pub fn sorts(&self) -> Vec<&'static str> {
        crate::db::projects::ProjectSort::ALL
            .iter()
            .map(|(k, _)| *k)
            .collect()
    }
    pub fn status_is(&self, s: &crate::domain::project::ProjectStatus) -> bool {
        self.q.status.as_deref() == Some(s.as_str())
    }
    pub fn sort_is(&self, s: &&str) -> bool {
        self.q.sort.as_deref().unwrap_or("id") == *s
    }
}

/// `/projects?round=` (one round's projects); `?status` and `?sort` as on a dashboard's table.
#[derive(Deserialize)]
pub struct ProjectsQuery {
    round: Option<i64>,
}

async fn projects(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<ProjectsQuery>,
    table: Query<super::projects::DashboardQuery>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let t = table.table()?;
    let f = ProjectFilter {
        status: t.status,
        trouble: t.trouble.map(|x| (x, db::today())),
        ..project_filter(ctx.user()?, q.round)?
    };
    let page = page.req()?;
    let reads = state.reads.clone();
    let (list, total_fen) = db::run(&state.pool, move |c| {
        crate::queries::projects::rows_page(c, &reads, &f, t.sort, page)
    })
    .await?;
    render(&ProjectsPage {
        ctx,
        pager: Pager::new(&req, &list),
        rows: list.items,
        total_fen,
        round: q.round,
        q: table.into_inner(),
        export_href: format!("/projects.csv?{}", req.query_string()),
    })
}

/// The projects `/projects` lists with the same round, filter and order, all of them, as CSV.
async fn projects_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: Query<ProjectsQuery>,
    table: Query<super::projects::DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let t = table.table()?;
    let f = ProjectFilter {
        status: t.status,
        trouble: t.trouble.map(|x| (x, db::today())),
        ..project_filter(ctx.user()?, q.round)?
    };
    let lang = ctx.lang();
    let rows = db::run(&state.pool, move |c| {
        crate::queries::projects::rows_all(c, &f, t.sort)
    })
    .await?;
    let body: Vec<Vec<String>> = rows
        .into_iter()
        .map(|p| {
            vec![
                p.agreement_no,
                p.title,
                p.org_name,
                p.round_title,
                Fen(p.grant_fen).yuan_input(),
                p.starts_on.to_string(),
                p.ends_on.to_string(),
                super::filters::label_text(p.status, "project_status", lang),
            ]
        })
        .collect();
    let keys = [
        "project.agreement_no",
        "proposal.title",
        "proposal.org",
        "proposal.round",
        "dashboard.grant_yuan",
        "proposal.start_date",
        "proposal.end_date",
        "field.status",
    ];
    let name = crate::i18n::t(crate::i18n::Lang::Zh, "export.projects_file");
    super::screening::csv_download(lang, &keys, body, "projects.csv", &format!("{name}.csv"))
}

async fn award_notice_pdf(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    super::documents::document_response(
        &state,
        &req,
        actor,
        id.into_inner(),
        DocumentKind::AwardNotice,
    )
    .await
}

async fn agreement_pdf(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    super::documents::document_response(
        &state,
        &req,
        actor,
        id.into_inner(),
        DocumentKind::Agreement,
    )
    .await
}
