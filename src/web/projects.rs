//! Pages of project execution: the project with plan against actual, tranches and
//! payments, the signed agreement, reports with evidence, and the officer's review.

use std::collections::HashMap;

use super::filters;
use super::upload::{MultipartBody, Sender};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::export::{self, Cell, Table};
use super::{file_download, form_done, render_status, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::{Action, Actor};
use crate::db;
use crate::db::projects::{self, FileMeta, ProjectRow, ReportRow};
use crate::domain::money::Fen;
use crate::domain::proposal::ProposalContent;
use crate::domain::report::{BeneficiaryGroup, GroupCount, ReportContent, SpendLine};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::ops;
use crate::ops::execution::{PaymentInput, ReportTarget};
use crate::queries::projects::{ProgressPoint, ProjectView};

/// The pages strangers read most (see [`super::routes`]).
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/results/{id}", web::get().to(public_results));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}", web::get().to(project))
        .route("/projects/{id}/agreement", web::post().to(upload_agreement))
        .route("/projects/{id}/files/{fid}", web::get().to(download_file))
        .route("/projects/{id}/reports", web::post().to(start_report))
        .route("/tranches/{id}/payments", web::post().to(pay))
        .route("/projects/{id}/refunds", web::post().to(refund))
        .route("/reports/{id}", web::get().to(report_page))
        .route("/reports/{id}", web::post().to(save_report))
        .route("/reports/{id}/submit", web::post().to(submit_report))
        .route("/reports/{id}/review", web::post().to(review_report))
        .route("/reports/{id}/evidence", web::post().to(upload_evidence))
        .route("/rounds/{id}/dashboard", web::get().to(round_dashboard))
        .route("/dashboard/projects", web::get().to(bureau_dashboard))
        .route("/dashboard/projects.csv", web::get().to(bureau_table_csv))
        .route("/rounds/{id}/dashboard.csv", web::get().to(round_table_csv))
        .route("/rounds/{id}/ledger.xlsx", web::get().to(ledger_xlsx))
        .route("/rounds/{id}/ledger.csv", web::get().to(ledger_csv))
        .route(
            "/rounds/{id}/beneficiaries.csv",
            web::get().to(beneficiaries_csv),
        );
}

#[derive(Template)]
#[template(path = "projects/show.html")]
struct ProjectPage {
    ctx: PageCtx,
    v: ProjectView,
    errors: FormErrors,
    /// Which tranche the errors belong to.
    error_tranche: Option<i64>,
    beneficiaries_svg: String,
    spending_svg: String,
    /// For officers: the project's duplicates (重复受益).
    dups: Option<crate::queries::rosters::ProjectDuplicates>,
}

impl ProjectPage {
    pub fn share(&self, bp: &i64) -> String {
        format!("{}%", *bp as f64 / 100.0)
    }
    pub fn errs_for(&self, tranche: &i64) -> bool {
        self.error_tranche == Some(*tranche)
    }
}

/// The filed reports' people served, over time.
fn beneficiaries_chart(v: &ProjectView, lang: crate::i18n::Lang) -> String {
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    let x: Vec<String> = v
        .progress
        .iter()
        .map(|p| p.period_end.to_string())
        .collect();
    let series = |name: &str, value: fn(&ProgressPoint) -> i64| {
        crate::charts::Series::new(
            t(name),
            v.progress
                .iter()
                .map(|p| (p.period_end.to_string(), value(p)))
                .collect(),
        )
    };
    crate::charts::line_chart(
        &t("project.chart_beneficiaries"),
        &x,
        &[
            series("project.unique", |p| p.unique),
            series("project.person_times", |p| p.person_times),
        ],
        640,
        280,
    )
}

/// Each budget line against its spending.
fn spending_chart(v: &ProjectView, lang: crate::i18n::Lang) -> String {
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    crate::charts::planned_vs_actual(
        &t("project.chart_spending"),
        &v.spending
            .iter()
            .map(|s| (s.item.clone(), s.budget.0, s.spent.0))
            .collect::<Vec<_>>(),
        &t("project.budget"),
        &t("project.spent"),
        true,
        640,
        (80 + 36 * v.spending.len() as u32).max(200),
    )
}

pub(crate) async fn show_project(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    errors: FieldErrors,
    error_tranche: Option<i64>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (v, dups) = db::run(&state.pool, move |c| {
        let v = crate::queries::projects::project(c, &actor, id)?;
        let dups = if v.officer {
            Some(crate::queries::rosters::of_project(c, &v.project)?)
        } else {
            None
        };
        Ok((v, dups))
    })
    .await?;
    let beneficiaries_svg = beneficiaries_chart(&v, ctx.lang());
    let spending_svg = spending_chart(&v, ctx.lang());
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &ProjectPage {
            ctx,
            v,
            errors,
            error_tranche,
            beneficiaries_svg,
            spending_svg,
            dups,
        },
    )
}

async fn project(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_project(
        ctx,
        &state,
        id.into_inner(),
        FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn upload_agreement(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let max = state.settings.upload_max_bytes;
    let up = match payload.read(max, Sender::Page).await {
        Ok(up) => up,
        Err(e) => {
            let (e, status) = super::upload::shown_on_form(e, max)?;
            return show_project(ctx, &state, id, e, None, status).await;
        }
    };
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::execution::record_agreement(c, &s, &actor, id, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/projects/{id}"),
        "flash.agreement_recorded",
        async |e, status| show_project(ctx, &state, id, e, None, status).await,
    )
    .await
}

async fn download_file(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    file_response(&state, ctx.user()?.clone(), path.0, path.1).await
}

/// Serves a project file to those who may see the project.
pub async fn file_response(
    state: &AppState,
    actor: Actor,
    id: i64,
    fid: i64,
) -> Result<HttpResponse, AppError> {
    let (meta, bytes) = db::run(&state.pool, move |c| {
        ops::execution::load(c, &actor, id)?;
        projects::file(c, id, fid)
    })
    .await?;
    Ok(file_download(
        meta.content_type.clone(),
        "file",
        &meta.filename,
        bytes,
    ))
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    milestone: Option<usize>,
    /// `YYYY-MM`
    #[serde(default)]
    month: Option<String>,
}

/// `YYYY-MM` as (year, month).
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

pub fn target_of(milestone: Option<usize>, month: Option<&str>) -> Result<ReportTarget, AppError> {
    match (milestone, month) {
        (Some(i), _) => Ok(ReportTarget::Milestone(i)),
        (None, Some(m)) => parse_month(m)
            .map(|(y, m)| ReportTarget::Month(y, m))
            .ok_or_else(|| FieldErrors::single("month", "field.choice_invalid")),
        (None, None) => Err(FieldErrors::single("milestone", "field.required")),
    }
}

async fn start_report(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<StartForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let target = target_of(
        f.0.milestone,
        f.0.month.as_deref().filter(|m| !m.is_empty()),
    )?;
    let rid = db::run(&state.pool, move |c| {
        ops::execution::start_report(c, &actor, id, target)
    })
    .await?;
    Ok(super::see_other(&format!("/reports/{rid}")))
}

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    voucher_no: String,
    #[serde(default)]
    amount: String,
}

async fn pay(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<PayForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let tid = id.into_inner();
    let input = PaymentInput {
        paid_on: f.0.paid_on,
        voucher_no: f.0.voucher_no,
        amount: f.0.amount,
    };
    let s = state.settings.clone();
    let project = db::run(&state.pool, move |c| Ok(projects::tranche(c, tid)?.0)).await?;
    let done = db::run(&state.pool, move |c| {
        ops::execution::record_payment(c, &s, &actor, tid, &input)
    })
    .await;
    form_done(
        done,
        format!("/projects/{project}#tranches"),
        "flash.payment_recorded",
        async |e, status| show_project(ctx, &state, project, e, Some(tid), status).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------

/// Posted or stored values of the report form by field name.
#[derive(Debug, Clone, Default)]
pub struct Vals(pub HashMap<String, String>);

impl Vals {
    pub fn v(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }
    pub fn from_content(c: &ReportContent, plan: &ProposalContent) -> Vals {
        let budget_lines = plan.budget.len();
        let mut m = HashMap::new();
        for (i, t) in plan.targets.iter().enumerate() {
            if let Some(v) = c.target_values.iter().find(|v| v.name == t.name) {
                m.insert(format!("tv_{i}"), v.value.to_string());
            }
        }
        m.insert("activities".into(), c.activities.to_string());
        m.insert("volunteer_times".into(), c.volunteer_times.to_string());
        m.insert("volunteer_hours".into(), c.volunteer_hours.to_string());
        m.insert("narrative".into(), c.narrative.clone());
        for g in BeneficiaryGroup::ALL {
            let row = c.beneficiaries.iter().find(|b| b.group == g.as_str());
            m.insert(
                format!("g_{}_unique", g.as_str()),
                row.map(|b| b.unique_people).unwrap_or(0).to_string(),
            );
            m.insert(
                format!("g_{}_times", g.as_str()),
                row.map(|b| b.person_times).unwrap_or(0).to_string(),
            );
        }
        for i in 0..budget_lines {
            let s = c.spending.iter().find(|s| s.line == i);
            m.insert(
                format!("s_{i}_spent"),
                s.map(|s| s.spent.yuan_input())
                    .unwrap_or_else(|| "0".into()),
            );
            m.insert(
                format!("s_{i}_reason"),
                s.map(|s| s.over_reason.clone()).unwrap_or_default(),
            );
        }
        Vals(m)
    }
}

/// Reads the report form: every group and every budget line, in order, so that the
/// domain's `beneficiaries.N` and `spending.N` errors land on the right rows; and the values
/// of the plan's targets that follow no figure (`tv_N` for target N, blank: not reported).
pub fn parse_report_form(
    vals: &Vals,
    plan: &ProposalContent,
) -> Result<ReportContent, FieldErrors> {
    let budget_lines = plan.budget.len();
    let mut e = FieldErrors::new();
    let mut target_values = Vec::new();
    for (i, t) in plan.targets.iter().enumerate() {
        let raw = vals.v(&format!("tv_{i}")).trim();
        if t.figure().is_some() || raw.is_empty() {
            continue;
        }
        match raw.parse::<i64>() {
            Ok(value) => target_values.push(crate::domain::target::TargetValue {
                name: t.name.clone(),
                value,
            }),
            Err(_) => e.add(format!("tv_{i}"), Msg::new("field.integer_invalid")),
        }
    }
    let mut int = |field: &str| -> i64 {
        let raw = vals.v(field).trim();
        if raw.is_empty() {
            return 0;
        }
        raw.parse::<i64>().unwrap_or_else(|_| {
            e.add(field, Msg::new("field.integer_invalid"));
            0
        })
    };
    let activities = int("activities");
    let volunteer_times = int("volunteer_times");
    let volunteer_hours = int("volunteer_hours");
    let beneficiaries: Vec<GroupCount> = BeneficiaryGroup::ALL
        .iter()
        .map(|g| GroupCount {
            group: g.as_str().to_string(),
            unique_people: int(&format!("g_{}_unique", g.as_str())),
            person_times: int(&format!("g_{}_times", g.as_str())),
        })
        .collect();
    let mut spending = Vec::new();
    for i in 0..budget_lines {
        let raw = vals.v(&format!("s_{i}_spent"));
        let spent = if raw.trim().is_empty() {
            Fen::ZERO
        } else {
            match Fen::parse_yuan(raw) {
                Ok(f) => f,
                Err(m) => {
                    e.add(format!("spending.{i}"), Msg::new(m.key()));
                    Fen::ZERO
                }
            }
        };
        spending.push(SpendLine {
            line: i,
            spent,
            over_reason: vals.v(&format!("s_{i}_reason")).trim().to_string(),
        });
    }
    e.into_result().map_err(|err| match err {
        AppError::Validation(f) => f,
        _ => FieldErrors::new(),
    })?;
    Ok(ReportContent {
        activities,
        beneficiaries,
        volunteer_times,
        volunteer_hours,
        spending,
        narrative: vals.v("narrative").to_string(),
        target_values,
    })
}

#[derive(Template)]
#[template(path = "projects/report.html")]
struct ReportPage {
    ctx: PageCtx,
    r: ReportRow,
    p: ProjectRow,
    plan: ProposalContent,
    vals: Vals,
    errors: FormErrors,
    files: Vec<FileMeta>,
    groups: Vec<(String, String)>,
    can_edit: bool,
    officer: bool,
    /// What would stop the submission now (label, message).
    problems: Vec<String>,
}

impl ReportPage {
    pub fn err(&self, field: &str) -> String {
        self.errors.get(field).to_string()
    }
    pub fn has(&self, field: &str) -> bool {
        self.errors.has(field)
    }
}

async fn show_report(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<Vals>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let lang = ctx.lang();
    let a = actor.clone();
    let crate::queries::projects::ReportScreen {
        report: r,
        project: p,
        plan,
        files,
        problems,
    } = db::run(&state.pool, move |c| {
        crate::queries::projects::report(c, &a, id)
    })
    .await?;
    let problems: Vec<String> = problems.0.iter().map(|e| e.msg.render(lang)).collect();
    let member = crate::auth::policy::allows(&actor, Action::EditProposal(p.org_id));
    let officer = crate::auth::policy::allows(&actor, Action::ManageRounds(p.bureau_id));
    let vals = posted.unwrap_or_else(|| Vals::from_content(&r.content(), &plan));
    let groups = BeneficiaryGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), ctx.t(g.label_key()).to_string()))
        .collect();
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &ReportPage {
            can_edit: member
                && r.status.editable()
                && p.status == crate::domain::project::ProjectStatus::Active,
            ctx,
            r,
            p,
            plan,
            vals,
            errors,
            files,
            groups,
            officer,
            problems,
        },
    )
}

async fn report_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_report(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn save_report(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let vals = Vals(f.0.into_iter().collect());
    let plan = db::run(&state.pool, {
        let a = actor.clone();
        move |c| Ok(ops::execution::find_report(c, &a, id)?.2)
    })
    .await?;
    let version: i32 = vals.v("version").parse().unwrap_or(0);
    let content = match parse_report_form(&vals, &plan) {
        Ok(c) => c,
        Err(e) => {
            return show_report(
                ctx,
                &state,
                id,
                Some(vals),
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let submit = vals.v("then") == "submit";
    let s = state.settings.clone();
    let (result, keep_typed) = super::saved_then(
        db::run(&state.pool, move |c| {
            ops::execution::save_report(c, &actor, id, version, &content)?;
            Ok(submit
                .then(|| ops::execution::submit_report(c, &s, &actor, id).err())
                .flatten())
        })
        .await,
    );
    form_done(
        result,
        format!("/reports/{id}"),
        if submit {
            "flash.report_submitted"
        } else {
            "flash.saved"
        },
        async |e, status| {
            let typed = keep_typed.then_some(vals);
            show_report(ctx, &state, id, typed, e, status).await
        },
    )
    .await
}

async fn submit_report(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::execution::submit_report(c, &s, &actor, id)
    })
    .await;
    form_done(
        done,
        format!("/reports/{id}"),
        "flash.report_submitted",
        async |e, status| show_report(ctx, &state, id, None, e, status).await,
    )
    .await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    comment: String,
}

async fn review_report(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let accept = match f.0.outcome.as_str() {
        "accept" => true,
        "return" => false,
        _ => return Err(FieldErrors::single("outcome", "field.choice_invalid")),
    };
    let s = state.settings.clone();
    let comment = f.0.comment;
    let done = db::run(&state.pool, move |c| {
        ops::execution::review_report(c, &s, &actor, id, accept, &comment)
    })
    .await;
    form_done(
        done,
        format!("/reports/{id}"),
        if accept {
            "flash.report_accepted"
        } else {
            "flash.report_returned"
        },
        async |e, status| show_report(ctx, &state, id, None, e, status).await,
    )
    .await
}

async fn upload_evidence(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let max = state.settings.upload_max_bytes;
    let up = match payload.read(max, Sender::Page).await {
        Ok(up) => up,
        Err(e) => {
            let (e, status) = super::upload::shown_on_form(e, max)?;
            return show_report(ctx, &state, id, None, e, status).await;
        }
    };
    let done = db::run(&state.pool, move |c| {
        ops::execution::upload_evidence(c, &actor, id, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/reports/{id}#evidence"),
        "flash.document_uploaded",
        async |e, status| show_report(ctx, &state, id, None, e, status).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Dashboards, exports and public results
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    title: String,
    round_id: Option<i64>,
    d: crate::queries::dashboard::Dashboard,
    groups_svg: String,
    pager: super::paging::Pager,
    /// The table's filter and order as asked (for the form).
    q: DashboardQuery,
}

impl DashboardPage {
    pub fn statuses(&self) -> &'static [crate::domain::project::ProjectStatus] {
        crate::domain::project::ProjectStatus::ALL
    }
    pub fn sorts(&self) -> Vec<&'static str> {
        projects::ProjectSort::ALL.iter().map(|(k, _)| *k).collect()
    }
    pub fn status_is(&self, s: &crate::domain::project::ProjectStatus) -> bool {
        self.q.status.as_deref() == Some(s.as_str())
    }
    pub fn sort_is(&self, s: &&str) -> bool {
        self.q.sort.as_deref().unwrap_or("id") == *s
    }
    pub fn trouble_kinds(&self) -> &'static [crate::domain::project::Trouble] {
        crate::domain::project::Trouble::ALL
    }
    pub fn trouble_is(&self, t: &crate::domain::project::Trouble) -> bool {
        self.q.trouble.as_deref() == Some(t.as_str())
    }
    /// This dashboard's path (round or bureau).
    pub fn path(&self) -> String {
        match self.round_id {
            Some(id) => format!("/rounds/{id}/dashboard"),
            None => "/dashboard/projects".to_string(),
        }
    }
    /// The query string of the table as filtered and sorted (for the export link).
    pub fn table_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.q.status),
            ("trouble", &self.q.trouble),
            ("sort", &self.q.sort),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// The project table's `?status` (a project status) and `?sort` (`id`, `agreement_no`, `org`,
/// `grant_desc`, `ends_on` or `status`) on a dashboard.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Only projects in this status (`active`, `rectifying`, `completed`, `terminated`).
    pub status: Option<String>,
    /// The table's order (default `id`).
    pub sort: Option<String>,
    /// Only projects in this trouble (`overdue_reports`, `overspent`, `rectifying`,
    /// `terminated`, `failed_evaluation`, `withheld_tranche`, `overdue_rectification`).
    pub trouble: Option<String>,
}

impl DashboardQuery {
    /// The table asked for; an unknown status or order is refused naming its field.
    pub fn table(&self) -> Result<crate::queries::dashboard::Table, AppError> {
        let mut e = FieldErrors::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let status = given(&self.status).and_then(|s| {
            let st = crate::domain::project::ProjectStatus::parse(&s);
            if st.is_none() {
                e.add("status", Msg::new("field.choice_invalid"));
            }
            st
        });
        let sort = given(&self.sort).and_then(|s| {
            let so = projects::ProjectSort::parse(&s);
            if so.is_none() {
                e.add("sort", Msg::new("field.choice_invalid"));
            }
            so
        });
        let trouble = given(&self.trouble).and_then(|s| {
            let t = crate::domain::project::Trouble::parse(&s);
            if t.is_none() {
                e.add("trouble", Msg::new("field.choice_invalid"));
            }
            t
        });
        e.into_result()?;
        Ok(crate::queries::dashboard::Table {
            status,
            trouble,
            sort: sort.unwrap_or_default(),
        })
    }
}

fn groups_chart(d: &crate::queries::dashboard::Dashboard, lang: crate::i18n::Lang) -> String {
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    crate::charts::planned_vs_actual(
        &t("dashboard.chart_groups"),
        &d.groups
            .iter()
            .map(|g| {
                let key = BeneficiaryGroup::parse(&g.group)
                    .map(|b| b.label_key())
                    .unwrap_or("BeneficiaryGroup.other");
                (t(key), g.person_times, g.unique_people)
            })
            .collect::<Vec<_>>(),
        &t("project.person_times"),
        &t("project.unique"),
        false,
        640,
        340,
    )
}

async fn dashboard_page(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    scope: crate::queries::dashboard::Scope,
    q: DashboardQuery,
    page: db::PageReq,
) -> Result<HttpResponse, AppError> {
    use crate::queries::dashboard::Scope;
    let actor = ctx.user()?.clone();
    let table = q.table()?;
    let reads = state.reads.clone();
    let (title, d) = db::run(&state.pool, move |c| {
        let d = crate::queries::dashboard::page(c, &reads, &actor, scope, table, page)?;
        let title = match scope {
            Scope::Round(id) => Some(crate::db::rounds::find(c, id)?.title),
            Scope::Bureau => None,
        };
        Ok((title, d))
    })
    .await?;
    let groups_svg = groups_chart(&d, ctx.lang());
    let title = title.unwrap_or_else(|| ctx.t("dashboard.bureau").to_string());
    let pager = super::paging::Pager::of(&req, d.total_lines, d.page, d.per_page);
    super::render(&DashboardPage {
        ctx,
        title,
        round_id: match scope {
            Scope::Round(id) => Some(id),
            Scope::Bureau => None,
        },
        d,
        groups_svg,
        pager,
        q,
    })
}

async fn round_dashboard(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: super::input::Query<DashboardQuery>,
    page: super::input::Query<super::paging::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Round(id.into_inner());
    dashboard_page(ctx, req, state, scope, q.into_inner(), page.req()?).await
}

async fn bureau_dashboard(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    q: super::input::Query<DashboardQuery>,
    page: super::input::Query<super::paging::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Bureau;
    dashboard_page(ctx, req, state, scope, q.into_inner(), page.req()?).await
}

/// The project ledger (项目台账) as a table in the reader's language.
pub fn ledger_table(d: &crate::queries::dashboard::Dashboard, lang: crate::i18n::Lang) -> Table {
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    let header = [
        "project.agreement_no",
        "proposal.org",
        "proposal.title",
        "proposal.category",
        "dashboard.grant_yuan",
        "dashboard.paid_yuan",
        "dashboard.spent_grant_yuan",
        "dashboard.spent_matching_yuan",
        "project.unique",
        "project.person_times",
        "dashboard.overdue_reports",
        "dashboard.overspent_lines",
        "field.status",
        "dashboard.risks",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    let rows = d
        .lines
        .iter()
        .map(|l| {
            vec![
                Cell::text(l.project.agreement_no.clone()),
                Cell::text(l.project.org_name.clone()),
                Cell::text(l.project.title.clone()),
                Cell::text(l.project.category.clone()),
                Cell::Money(l.project.grant_fen),
                Cell::Money(l.figures.paid.0),
                Cell::Money(l.figures.spent_grant.0),
                Cell::Money(l.figures.spent_matching.0),
                Cell::Int(l.figures.unique_people),
                Cell::Int(l.figures.person_times),
                Cell::Int(l.figures.overdue_reports as i64),
                Cell::Int(l.figures.overspent_lines as i64),
                Cell::text(t(&format!("project_status.{}", l.project.status))),
                Cell::text(
                    l.troubles
                        .iter()
                        .map(|x| t(x.label_key()))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
            ]
        })
        .collect();
    Table {
        header,
        rows,
        notes: Vec::new(),
    }
}

/// Beneficiary totals by group.
pub fn beneficiary_table(
    d: &crate::queries::dashboard::Dashboard,
    lang: crate::i18n::Lang,
) -> Table {
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    let header = vec![
        t("project.group"),
        t("project.unique"),
        t("project.person_times"),
    ];
    let mut rows: Vec<Vec<Cell>> = d
        .groups
        .iter()
        .map(|g| {
            let key = BeneficiaryGroup::parse(&g.group)
                .map(|b| b.label_key())
                .unwrap_or("BeneficiaryGroup.other");
            vec![
                Cell::text(t(key)),
                Cell::Int(g.unique_people),
                Cell::Int(g.person_times),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::text(t("dashboard.total")),
        Cell::Int(d.totals.unique_people),
        Cell::Int(d.totals.person_times),
    ]);
    Table {
        header,
        rows,
        notes: Vec::new(),
    }
}

/// Which export of a round's dashboard.
#[derive(Clone, Copy)]
pub enum Export {
    LedgerXlsx,
    LedgerCsv,
    BeneficiariesCsv,
}

pub async fn export_response(
    state: &AppState,
    actor: Actor,
    id: i64,
    lang: crate::i18n::Lang,
    which: Export,
) -> Result<HttpResponse, AppError> {
    let (round, d) = db::run(&state.pool, move |c| {
        let d = crate::queries::dashboard::for_round(c, &actor, id)?;
        Ok((crate::db::rounds::find(c, id)?.title, d))
    })
    .await?;
    let t = |k: &str| crate::i18n::t(lang, k).to_string();
    let name = |what: &str, ext: &str| {
        export::file_name(&round, crate::i18n::t(crate::i18n::Lang::Zh, what), ext)
    };
    match which {
        Export::LedgerXlsx => {
            let table = ledger_table(&d, lang);
            let sheet = t("dashboard.ledger");
            let bytes = web::block(move || export::to_xlsx(&sheet, &table))
                .await
                .map_err(|e| AppError::Unexpected(e.to_string()))??;
            Ok(export::download(
                bytes,
                export::XLSX,
                &format!("ledger-{id}.xlsx"),
                &name("export.ledger_file", "xlsx"),
            ))
        }
        Export::LedgerCsv => Ok(export::download(
            export::to_csv(&ledger_table(&d, lang))?,
            export::CSV,
            &format!("ledger-{id}.csv"),
            &name("export.ledger_file", "csv"),
        )),
        Export::BeneficiariesCsv => Ok(export::download(
            export::to_csv(&beneficiary_table(&d, lang))?,
            export::CSV,
            &format!("beneficiaries-{id}.csv"),
            &name("export.beneficiaries_file", "csv"),
        )),
    }
}

/// The dashboard's project table as filtered and sorted, every row, as CSV.
async fn table_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    scope: crate::queries::dashboard::Scope,
    q: DashboardQuery,
) -> Result<HttpResponse, AppError> {
    let (actor, lang, table) = (ctx.user()?.clone(), ctx.lang(), q.table()?);
    let d = db::run(&state.pool, move |c| {
        crate::queries::dashboard::table_export(c, &actor, scope, table)
    })
    .await?;
    let zh = crate::i18n::Lang::Zh;
    let what = match (table.trouble, table.status) {
        (Some(t), _) => crate::i18n::t(zh, t.label_key()).to_string(),
        (None, Some(st)) => crate::i18n::t(zh, &format!("project_status.{st}")).to_string(),
        (None, None) => crate::i18n::t(zh, "export.ledger_file").to_string(),
    };
    Ok(export::download(
        export::to_csv(&ledger_table(&d, lang))?,
        export::CSV,
        "projects.csv",
        &export::file_name(crate::i18n::t(zh, "export.projects_file"), &what, "csv"),
    ))
}

async fn bureau_table_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: super::input::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Bureau;
    table_csv(ctx, state, scope, q.into_inner()).await
}

async fn round_table_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: super::input::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = crate::queries::dashboard::Scope::Round(id.into_inner());
    table_csv(ctx, state, scope, q.into_inner()).await
}

async fn ledger_xlsx(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    export_response(
        &state,
        ctx.user()?.clone(),
        id.into_inner(),
        ctx.lang(),
        Export::LedgerXlsx,
    )
    .await
}

async fn ledger_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    export_response(
        &state,
        ctx.user()?.clone(),
        id.into_inner(),
        ctx.lang(),
        Export::LedgerCsv,
    )
    .await
}

async fn beneficiaries_csv(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    export_response(
        &state,
        ctx.user()?.clone(),
        id.into_inner(),
        ctx.lang(),
        Export::BeneficiariesCsv,
    )
    .await
}

#[derive(Template)]
#[template(path = "projects/results.html")]
struct ResultsPage {
    ctx: PageCtx,
    round: crate::db::rounds::RoundRow,
    /// One page of the projects.
    rows: Vec<crate::queries::dashboard::PublicProject>,
    pager: super::paging::Pager,
    /// Over every project of the round.
    projects: usize,
    total_fen: i64,
    total_unique: i64,
}

/// A round's public results (三务公开), one page of projects at a time (`?page&per_page`) with
/// the totals over all; anonymous readers get the cached pages.
async fn public_results(
    req: actix_web::HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    page: super::input::Query<super::paging::PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, st, page) = (id.into_inner(), state.clone(), page.req()?);
    let pager_req = req.clone();
    super::public_cache::paged_page(
        &req,
        &state,
        ctx,
        ("results", Some(id)),
        page,
        |ctx| async move {
            let reads = st.reads.clone();
            let (round, list, totals) = db::run(&st.pool, move |c| {
                crate::queries::dashboard::public_results(c, &reads, id, page)
            })
            .await?;
            super::render_string(&ResultsPage {
                ctx,
                round,
                pager: super::paging::Pager::new(&pager_req, &list),
                rows: list.items,
                projects: totals.projects,
                total_fen: totals.grant_fen,
                total_unique: totals.unique_people,
            })
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

async fn refund(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<RefundForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let input = ops::evaluation::RefundInput {
        amount: f.0.amount,
        note: f.0.note,
    };
    let done = db::run(&state.pool, move |c| {
        ops::evaluation::record_refund(c, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        format!("/projects/{id}#refunds"),
        "flash.saved",
        async |e, status| show_project(ctx, &state, id, e, None, status).await,
    )
    .await
}
