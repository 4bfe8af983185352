//! Pages of change requests (项目变更): a project's requests with every plan version and the
//! filing forms, one request with the officer's decision, the withdrawal, attachments and
//! the supplement agreement.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::upload::{MultipartBody, Sender};
use super::{filters, form_done, render_status, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::domain::change::{ChangeKind, ChangeValues};
use crate::domain::target::{Figure, TargetInput};
use crate::error::{AppError, FieldErrors};
use crate::ops;
use crate::ops::changes::{ChangeFields, ChangeInput, DecisionInput, MilestoneInput};
use crate::queries::changes::{ChangeView, ProjectChanges};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/changes", web::get().to(changes_page))
        .route("/projects/{id}/changes", web::post().to(file_change))
        .route("/changes/{id}", web::get().to(change_page))
        .route("/changes/{id}/decision", web::post().to(decide))
        .route("/changes/{id}/withdraw", web::post().to(withdraw))
        .route("/changes/{id}/files", web::post().to(attach))
        .route("/changes/{id}/supplement.pdf", web::get().to(supplement));
}

/// Posted form values by field name.
#[derive(Debug, Clone, Default)]
pub struct Posted(pub HashMap<String, String>);

impl Posted {
    fn v(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// Rows of targets posted (`target.{i}.{field}`): one past the highest row index.
    fn target_rows(&self) -> usize {
        self.0
            .keys()
            .filter_map(|k| {
                k.strip_prefix("target.")?
                    .split_once('.')?
                    .0
                    .parse::<usize>()
                    .ok()
            })
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
            .min(crate::domain::target::MAX_TARGETS * 2 + 1)
    }

    /// The kind's fields as typed: `end_date`, `milestone.{i}`, `budget.{i}`, `activities`,
    /// `project_lead`, `project_lead_phone`, `target.{i}.{indicator|name|direction|value|unit|figure}`.
    fn fields(&self, milestones: usize, lines: usize) -> ChangeFields {
        ChangeFields {
            targets: target_inputs(self.target_rows(), |key| self.v(key).to_string()),
            end_date: self.v("end_date").to_string(),
            milestones: (0..milestones)
                .map(|i| MilestoneInput {
                    index: i,
                    due: self.v(&format!("milestone.{i}")).to_string(),
                })
                .collect(),
            budget: (0..lines)
                .filter_map(|i| self.0.get(&format!("budget.{i}")).cloned())
                .collect(),
            activities: self.v("activities").to_string(),
            project_lead: self.v("project_lead").to_string(),
            project_lead_phone: self.v("project_lead_phone").to_string(),
        }
    }
}

/// The values of a change as form values (to pre-fill the officer's partial approval).
fn posted_of(v: &ChangeValues, plan: &crate::domain::proposal::ProposalContent) -> Posted {
    let mut m = HashMap::new();
    let applied = crate::domain::change::apply(plan, v);
    if let Some(end) = applied.end_date {
        m.insert("end_date".to_string(), end.to_string());
    }
    for (i, ms) in applied.milestones.iter().enumerate() {
        m.insert(format!("milestone.{i}"), ms.due.to_string());
    }
    for (i, l) in applied.budget.iter().enumerate() {
        m.insert(format!("budget.{i}"), l.amount.yuan_input());
    }
    for (i, t) in applied.targets.iter().enumerate() {
        let row = TargetInput::of(t);
        for (name, value) in [
            ("indicator", row.indicator),
            ("name", row.name),
            ("direction", row.direction),
            ("value", row.value),
            ("unit", row.unit),
            ("figure", row.figure),
        ] {
            m.insert(format!("target.{i}.{name}"), value);
        }
    }
    m.insert("activities".to_string(), applied.activities.clone());
    m.insert("project_lead".to_string(), applied.project_lead.clone());
    m.insert(
        "project_lead_phone".to_string(),
        applied.project_lead_phone.clone(),
    );
    Posted(m)
}

// ---------------------------------------------------------------------------------------
// A project's changes
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/changes.html")]
struct ChangesPage {
    ctx: PageCtx,
    v: ProjectChanges,
    errors: FormErrors,
    /// The form the errors belong to (its kind), and what was typed in it.
    error_kind: Option<String>,
    posted: Posted,
    plan_values: Posted,
}

impl ChangesPage {
    /// What a field of the form of `kind` shows: what was typed, else the plan in force.
    pub fn val(&self, kind: &str, field: &str) -> String {
        if self.error_kind.as_deref() == Some(kind) {
            if let Some(s) = self.posted.0.get(field) {
                return s.clone();
            }
        }
        self.plan_values.v(field).to_string()
    }
    pub fn errs(&self, kind: &str) -> bool {
        self.error_kind.as_deref() == Some(kind)
    }
    /// The error of a field of the form of `kind`, or "".
    pub fn err(&self, kind: &str, field: &str) -> String {
        if self.errs(kind) {
            self.errors.get(field).to_string()
        } else {
            String::new()
        }
    }
    pub fn ms_val(&self, i: &usize) -> String {
        self.val("extension", &format!("milestone.{i}"))
    }
    pub fn ms_err(&self, i: &usize) -> String {
        self.err("extension", &format!("milestone.{i}"))
    }
    pub fn budget_val(&self, i: &usize) -> String {
        self.val("budget", &format!("budget.{i}"))
    }
    pub fn budget_err(&self, i: &usize) -> String {
        self.err("budget", &format!("budget.{i}"))
    }
    pub fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map_or("—".to_string(), |d| d.to_string())
    }
    pub fn can_file_kind(&self, kind: &ChangeKind) -> bool {
        self.v.can_file && !self.v.open_kinds().contains(kind)
    }
    pub fn needs_approval(&self, kind: &ChangeKind) -> bool {
        self.v.rules.approval.contains(kind)
    }
    pub fn pct(&self, bp: &i64) -> String {
        format!("{}%", *bp as f64 / 100.0)
    }
    /// Rows of the targets form: the plan's targets (or the rows typed) and two blank ones.
    pub fn target_inputs(&self) -> Vec<TargetInput> {
        let typed = if self.errs("targets") {
            self.posted.target_rows()
        } else {
            0
        };
        let rows = typed.max(self.v.plan.targets.len()) + 2;
        target_inputs(rows, |key| self.val("targets", key))
    }
    pub fn figures(&self) -> Vec<(String, String)> {
        figure_options(self.ctx.lang())
    }
}

/// `rows` rows of targets as the form shows them, each field read by its key
/// (`target.{i}.{field}`).
fn target_inputs(rows: usize, val: impl Fn(&str) -> String) -> Vec<TargetInput> {
    (0..rows)
        .map(|i| {
            let f = |name: &str| val(&format!("target.{i}.{name}"));
            TargetInput {
                indicator: f("indicator"),
                name: f("name"),
                direction: f("direction"),
                value: f("value"),
                unit: f("unit"),
                figure: f("figure"),
            }
        })
        .collect()
}

/// The report figures a target may follow: (code, label).
fn figure_options(lang: crate::i18n::Lang) -> Vec<(String, String)> {
    Figure::all()
        .into_iter()
        .map(|f| (f.code(), f.label(lang)))
        .collect()
}

async fn show_changes(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<Posted>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let v = db::run(&state.pool, move |c| {
        crate::queries::changes::of_project(c, &actor, id)
    })
    .await?;
    let plan_values = posted_of(
        &ChangeValues::Content {
            activities: v.plan.activities.clone(),
        },
        &v.plan,
    );
    let error_kind = posted.as_ref().map(|p| p.v("kind").to_string());
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &ChangesPage {
            ctx,
            v,
            errors,
            error_kind,
            posted: posted.unwrap_or_default(),
            plan_values,
        },
    )
}

async fn changes_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_changes(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn file_change(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let posted = Posted(f.0.into_iter().collect());
    let s = state.settings.clone();
    let p2 = posted.clone();
    let done = db::run(&state.pool, move |c| {
        let (_, plan) = ops::execution::load(c, &actor, id)?;
        let input = ChangeInput {
            kind: p2.v("kind").to_string(),
            reason: p2.v("reason").to_string(),
            fields: p2.fields(plan.milestones.len(), plan.budget.len()),
        };
        ops::changes::file(c, &s, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        |cid: i64| format!("/changes/{cid}"),
        "flash.change_filed",
        async |e, status| show_changes(ctx, &state, id, Some(posted), e, status).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// One change request
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "projects/change.html")]
struct ChangePage {
    ctx: PageCtx,
    v: ChangeView,
    errors: FormErrors,
    /// The decision form's values: what was typed, else the request's values.
    posted: Posted,
    /// The request's values as asked, as form values (for the table).
    asked: Posted,
    applied: Option<Posted>,
}

impl ChangePage {
    pub fn val(&self, field: &str) -> String {
        self.posted.v(field).to_string()
    }
    pub fn asked_val(&self, field: &str) -> String {
        self.asked.v(field).to_string()
    }
    pub fn applied_val(&self, field: &str) -> String {
        self.applied
            .as_ref()
            .map(|a| a.v(field).to_string())
            .unwrap_or_default()
    }
    pub fn ms_val(&self, i: &usize) -> String {
        self.val(&format!("milestone.{i}"))
    }
    pub fn asked_ms(&self, i: &usize) -> String {
        self.asked_val(&format!("milestone.{i}"))
    }
    pub fn applied_ms(&self, i: &usize) -> String {
        self.applied_val(&format!("milestone.{i}"))
    }
    pub fn budget_val(&self, i: &usize) -> String {
        self.val(&format!("budget.{i}"))
    }
    pub fn asked_budget(&self, i: &usize) -> String {
        self.asked_val(&format!("budget.{i}"))
    }
    pub fn applied_budget(&self, i: &usize) -> String {
        self.applied_val(&format!("budget.{i}"))
    }
    pub fn ms_err(&self, i: &usize) -> &str {
        self.errors.get(&format!("milestone.{i}"))
    }
    pub fn budget_err(&self, i: &usize) -> &str {
        self.errors.get(&format!("budget.{i}"))
    }
    pub fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map_or("—".to_string(), |d| d.to_string())
    }
    /// Rows of the officer's targets form: the rows asked (or typed) and two blank ones.
    pub fn target_inputs(&self) -> Vec<TargetInput> {
        target_inputs(self.posted.target_rows() + 2, |key| self.val(key))
    }
    pub fn figures(&self) -> Vec<(String, String)> {
        figure_options(self.ctx.lang())
    }
    /// The targets a change asked for, and those it applied.
    pub fn asked_targets(&self) -> Vec<crate::domain::target::TargetLine> {
        crate::domain::change::apply(&self.v.before, &self.v.change.proposed.0).targets
    }
    pub fn applied_targets(&self) -> Vec<crate::domain::target::TargetLine> {
        self.v
            .change
            .applied
            .as_ref()
            .map(|a| crate::domain::change::apply(&self.v.before, &a.0).targets)
            .unwrap_or_default()
    }
    pub fn before_budget(&self, i: &usize) -> String {
        self.v
            .before
            .budget
            .get(*i)
            .map(|l| l.amount.yuan_input())
            .unwrap_or_default()
    }
}

async fn show_change(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<Posted>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let v = db::run(&state.pool, move |c| {
        crate::queries::changes::change(c, &actor, id)
    })
    .await?;
    let asked = posted_of(&v.change.proposed.0, &v.before);
    let applied = v
        .change
        .applied
        .as_ref()
        .map(|a| posted_of(&a.0, &v.before));
    let posted = posted.unwrap_or_else(|| asked.clone());
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &ChangePage {
            ctx,
            v,
            errors,
            posted,
            asked,
            applied,
        },
    )
}

async fn change_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_change(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn decide(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let posted = Posted(f.0.into_iter().collect());
    let s = state.settings.clone();
    let p2 = posted.clone();
    let done = db::run(&state.pool, move |c| {
        let (_, _, plan) = ops::changes::find_visible(c, &actor, id)?;
        let input = DecisionInput {
            outcome: p2.v("outcome").to_string(),
            reason: p2.v("decision_reason").to_string(),
            fields: p2.fields(plan.milestones.len(), plan.budget.len()),
        };
        ops::changes::decide(c, &s, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        format!("/changes/{id}"),
        "flash.change_decided",
        async |e, status| show_change(ctx, &state, id, Some(posted), e, status).await,
    )
    .await
}

async fn withdraw(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::changes::withdraw(c, &s, &actor, id)
    })
    .await;
    form_done(
        done,
        format!("/changes/{id}"),
        "flash.change_withdrawn",
        async |e, status| show_change(ctx, &state, id, None, e, status).await,
    )
    .await
}

async fn attach(
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
            return show_change(ctx, &state, id, None, e, status).await;
        }
    };
    let done = db::run(&state.pool, move |c| {
        ops::changes::attach(c, &actor, id, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/changes/{id}#files"),
        "flash.document_uploaded",
        async |e, status| show_change(ctx, &state, id, None, e, status).await,
    )
    .await
}

async fn supplement(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    super::documents::supplement_response(&state, &req, actor, id.into_inner()).await
}
