//! Pages of proposals: the NGO's draft, section by section, submission, attachments, PDF.

use std::collections::HashMap;

use super::filters;
use super::upload::{MultipartBody, Sender};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    form_done, render, render_status, see_other_flash, versioned_form_done, AppState, FormErrors,
    PageCtx,
};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::Actor;
use crate::db::proposals::ProposalListItem;
use crate::db::{self, orgs, proposals};
use crate::domain::money::Fen;
use crate::domain::proposal::{
    BeneficiaryLine, BudgetCategory, BudgetLine, FundingSource, MilestoneLine, ProposalContent,
};
use crate::domain::target::{Figure, TargetInput, TargetRules};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::ops;
use crate::queries::{self, proposals::ProposalView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/proposals", web::get().to(list))
        .route("/calls/{id}/proposals", web::post().to(start))
        .route("/proposals/{id}", web::get().to(show))
        .route(
            "/proposals/{id}/sections/{section}",
            web::post().to(save_section),
        )
        .route("/proposals/{id}/submit", web::post().to(submit))
        .route("/proposals/{id}/withdraw", web::post().to(withdraw))
        .route("/proposals/{id}/attachments", web::post().to(upload))
        .route("/proposals/{id}/attachments/{aid}", web::get().to(download))
        .route("/proposals/{id}/pdf", web::get().to(pdf));
}

pub const SECTIONS: &[&str] = &[
    "basics",
    "need",
    "plan",
    "beneficiaries",
    "milestones",
    "budget",
    "targets",
];

/// Raw form values of every section: what the content says, overlaid with what was just
/// posted, so that a rejected form shows exactly what was typed.
#[derive(Debug, Clone, Default)]
pub struct Vals(HashMap<String, String>);

impl Vals {
    pub fn get(&self, k: &str) -> &str {
        self.0.get(k).map(|s| s.as_str()).unwrap_or("")
    }
    pub fn at(&self, prefix: &str, i: &usize) -> &str {
        self.get(&format!("{prefix}_{i}"))
    }
    /// Row count of a repeated group: the count the row editor last showed (`rows_{group}`,
    /// after an added or removed row), else the filled rows plus `blank` empty ones; never
    /// fewer than the filled rows, never more than [`MAX_ROWS`].
    pub fn rows(&self, group: &str, blank: usize) -> usize {
        let filled = filled_rows(&self.0, group);
        let shown = self
            .0
            .get(&format!("rows_{group}"))
            .and_then(|n| n.trim().parse::<usize>().ok());
        match shown {
            Some(n) => n.max(filled),
            None => filled + blank,
        }
        .min(MAX_ROWS)
    }
    pub fn is(&self, k: &str, value: &str) -> bool {
        self.get(k) == value
    }
    pub fn is_at(&self, prefix: &str, i: &usize, value: &str) -> bool {
        self.at(prefix, i) == value
    }
}

/// The most rows a row editor shows (a budget of 200 lines fits in the form body limit).
pub const MAX_ROWS: usize = 200;

/// The repeated group of a section's row editor (the prefix of its fields) and how many
/// empty rows it offers below the filled ones.
pub fn row_group(section: &str) -> Option<(&'static str, usize)> {
    match section {
        "beneficiaries" => Some(("b", 2)),
        "milestones" => Some(("m", 2)),
        "budget" => Some(("l", 3)),
        "targets" => Some(("t", 2)),
        _ => None,
    }
}

/// One past the last filled row of a group.
fn filled_rows(map: &HashMap<String, String>, group: &str) -> usize {
    row_indices(map, group)
        .into_iter()
        .max()
        .map(|m| m + 1)
        .unwrap_or(0)
}

/// A row editor's button, pressed instead of saving: add an empty row, or remove row N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEdit {
    Add,
    Remove(usize),
}

impl RowEdit {
    /// The button in a posted form (`add_row`, `remove_row=N`), if one was pressed.
    pub fn of(form: &HashMap<String, String>) -> Option<RowEdit> {
        if let Some(n) = form.get("remove_row") {
            return n.trim().parse().ok().map(RowEdit::Remove);
        }
        form.contains_key("add_row").then_some(RowEdit::Add)
    }
}

/// Applies a row edit to a posted section form: every typed value stays, the rows after a
/// removed one move up, and `rows_{group}` holds the count to show. Nothing is saved.
pub fn edit_rows(form: &mut HashMap<String, String>, group: &str, blank: usize, edit: RowEdit) {
    form.remove("add_row");
    form.remove("remove_row");
    let shown = Vals(form.clone()).rows(group, blank);
    let rows = match edit {
        RowEdit::Add => (shown + 1).min(MAX_ROWS),
        RowEdit::Remove(k) if k < shown => {
            let prefix = format!("{group}_");
            let keys: Vec<String> = form
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            let mut moved = Vec::new();
            for key in keys {
                let Some((field, i)) = key
                    .rsplit_once('_')
                    .and_then(|(f, i)| Some((f.to_string(), i.parse::<usize>().ok()?)))
                else {
                    continue;
                };
                if i == k {
                    form.remove(&key);
                } else if i > k {
                    if let Some(v) = form.remove(&key) {
                        moved.push((format!("{field}_{}", i - 1), v));
                    }
                }
            }
            form.extend(moved);
            shown - 1
        }
        RowEdit::Remove(_) => shown,
    };
    form.insert(format!("rows_{group}"), rows.to_string());
}

fn row_indices(map: &HashMap<String, String>, group: &str) -> Vec<usize> {
    let prefix = format!("{group}_");
    let mut idx: Vec<usize> = map
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(k, _)| {
            k.strip_prefix(&prefix)
                .and_then(|rest| rest.rsplit('_').next())
                .and_then(|n| n.parse().ok())
        })
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx
}

pub fn vals_from(c: &ProposalContent) -> Vals {
    let mut m: HashMap<String, String> = HashMap::new();
    let mut put = |k: String, v: String| {
        m.insert(k, v);
    };
    for (k, v) in [
        ("category", &c.category),
        ("title", &c.title),
        ("summary", &c.summary),
        ("need_analysis", &c.need_analysis),
        ("target_group", &c.target_group),
        ("service_area", &c.service_area),
        ("activities", &c.activities),
        ("team", &c.team),
        ("project_lead", &c.project_lead),
        ("project_lead_phone", &c.project_lead_phone),
        ("indirect_beneficiaries", &c.indirect_beneficiaries),
    ] {
        put(k.into(), v.clone());
    }
    put("start_date".into(), filters::date_text(c.start_date));
    put("end_date".into(), filters::date_text(c.end_date));
    put(
        "requested_grant".into(),
        filters::yuan_or_blank(c.requested_grant),
    );
    for (i, b) in c.beneficiaries.iter().enumerate() {
        put(format!("b_cat_{i}"), b.category.clone());
        put(format!("b_unique_{i}"), b.unique_people.to_string());
        put(format!("b_times_{i}"), b.person_times.to_string());
    }
    for (i, ms) in c.milestones.iter().enumerate() {
        put(format!("m_due_{i}"), ms.due.to_string());
        put(format!("m_title_{i}"), ms.title.clone());
        put(format!("m_deliverable_{i}"), ms.deliverable.clone());
        put(format!("m_target_{i}"), ms.target_beneficiaries.to_string());
    }
    for (i, t) in c.targets.iter().enumerate() {
        put(format!("t_ind_{i}"), t.indicator.clone());
        put(format!("t_name_{i}"), t.name.clone());
        if t.at_most() {
            put(format!("t_dir_{i}"), t.direction.as_str().into());
        }
        put(format!("t_value_{i}"), t.value.to_string());
        put(format!("t_unit_{i}"), t.unit.clone());
        put(format!("t_fig_{i}"), t.figure.clone());
    }
    for (i, l) in c.budget.iter().enumerate() {
        put(format!("l_cat_{i}"), l.category.as_str().into());
        put(format!("l_item_{i}"), l.item.clone());
        put(format!("l_amount_{i}"), l.amount.yuan_input());
        put(format!("l_source_{i}"), l.source.as_str().into());
    }
    Vals(m)
}

fn text(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn count(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|v| *v >= 0)
}

/// Applies one posted section to the content; unreadable values are reported by field.
pub fn apply_section(
    c: &mut ProposalContent,
    section: &str,
    form: &HashMap<String, String>,
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    match section {
        "basics" => {
            c.category = text(form, "category");
            c.title = text(form, "title");
            c.summary = text(form, "summary");
            c.project_lead = text(form, "project_lead");
            c.project_lead_phone = text(form, "project_lead_phone");
            for (field, slot) in [
                ("start_date", &mut c.start_date),
                ("end_date", &mut c.end_date),
            ] {
                let v = text(form, field);
                *slot = if v.is_empty() {
                    None
                } else {
                    match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
                        Ok(d) => Some(d),
                        Err(_) => {
                            e.add(field, Msg::new("field.date_invalid"));
                            None
                        }
                    }
                };
            }
            let g = text(form, "requested_grant");
            c.requested_grant = if g.is_empty() {
                Fen::ZERO
            } else {
                Fen::parse_yuan(&g).unwrap_or_else(|err| {
                    e.add("requested_grant", Msg::new(err.key()));
                    Fen::ZERO
                })
            };
        }
        "need" => {
            c.need_analysis = text(form, "need_analysis");
            c.target_group = text(form, "target_group");
            c.service_area = text(form, "service_area");
        }
        "plan" => {
            c.activities = text(form, "activities");
            c.team = text(form, "team");
        }
        "beneficiaries" => {
            c.beneficiaries.clear();
            for (n, i) in row_indices(form, "b").into_iter().enumerate() {
                let cat = text(form, &format!("b_cat_{i}"));
                match (
                    count(&text(form, &format!("b_unique_{i}"))),
                    count(&text(form, &format!("b_times_{i}"))),
                ) {
                    (Some(unique_people), Some(person_times)) if !cat.is_empty() => {
                        c.beneficiaries.push(BeneficiaryLine {
                            category: cat,
                            unique_people,
                            person_times,
                        })
                    }
                    _ => e.add(
                        "beneficiaries",
                        Msg::new("field.beneficiary_line").arg("line", n + 1),
                    ),
                }
            }
            c.indirect_beneficiaries = text(form, "indirect_beneficiaries");
        }
        "milestones" => {
            c.milestones.clear();
            for (n, i) in row_indices(form, "m").into_iter().enumerate() {
                let due =
                    NaiveDate::parse_from_str(&text(form, &format!("m_due_{i}")), "%Y-%m-%d").ok();
                let target = count(&text(form, &format!("m_target_{i}")));
                match (due, target) {
                    (Some(due), Some(target_beneficiaries)) => c.milestones.push(MilestoneLine {
                        due,
                        title: text(form, &format!("m_title_{i}")),
                        deliverable: text(form, &format!("m_deliverable_{i}")),
                        target_beneficiaries,
                    }),
                    _ => e.add(
                        "milestones",
                        Msg::new("field.milestone_line").arg("line", n + 1),
                    ),
                }
            }
            c.milestones.sort_by_key(|m| m.due);
        }
        "budget" => {
            c.budget.clear();
            for (n, i) in row_indices(form, "l").into_iter().enumerate() {
                let category = BudgetCategory::parse(&text(form, &format!("l_cat_{i}")));
                let source = FundingSource::parse(&text(form, &format!("l_source_{i}")));
                let amount = Fen::parse_yuan(&text(form, &format!("l_amount_{i}")));
                match (category, source, amount) {
                    (Some(category), Some(source), Ok(amount)) => c.budget.push(BudgetLine {
                        category,
                        item: text(form, &format!("l_item_{i}")),
                        amount,
                        source,
                    }),
                    _ => e.add("budget", Msg::new("field.budget_line").arg("line", n + 1)),
                }
            }
        }
        "targets" => {
            let rows: Vec<TargetInput> = row_indices(form, "t")
                .into_iter()
                .map(|i| TargetInput {
                    indicator: text(form, &format!("t_ind_{i}")),
                    name: text(form, &format!("t_name_{i}")),
                    direction: text(form, &format!("t_dir_{i}")),
                    value: text(form, &format!("t_value_{i}")),
                    unit: text(form, &format!("t_unit_{i}")),
                    figure: text(form, &format!("t_fig_{i}")),
                })
                .collect();
            c.targets = crate::domain::target::parse_rows(&rows, &mut e);
        }
        _ => return Err(FieldErrors::new()),
    }
    e.into_result().map_err(|err| match err {
        AppError::Validation(e) => e,
        _ => FieldErrors::new(),
    })
}

/// The proposal page: the view from `queries`, with its messages and labels in the
/// reader's language.
#[derive(Template)]
#[template(path = "proposals/show.html")]
struct ShowPage {
    ctx: PageCtx,
    v: ProposalView,
    /// What keeps it from being submitted: (field label, message).
    problems: Vec<(String, String)>,
    /// The screening checklist: (label, passed, problems).
    checklist: Vec<(String, bool, Vec<String>)>,
    /// The round's service categories.
    categories: Vec<String>,
    vals: Vals,
    errors: FormErrors,
    budget_categories: &'static [BudgetCategory],
    sources: &'static [FundingSource],
    attachment_kinds: Vec<&'static str>,
    /// An officer's decision being re-shown after an error.
    decision: super::screening::DecisionInput,
    /// The section whose rows were just added or removed, not saved yet.
    rows_edited: Option<String>,
    /// The round's indicator tree (绩效指标体系).
    target_rules: TargetRules,
    /// The report figures a target may follow: (code, label).
    figures: Vec<(String, String)>,
}

impl ShowPage {
    fn edited(&self, section: &str) -> bool {
        self.rows_edited.as_deref() == Some(section)
    }
    fn score(&self, tenths: &i32) -> String {
        crate::domain::review::tenths_text(*tenths)
    }
}

pub async fn show_with(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<(String, HashMap<String, String>)>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    show_page(ctx, state, id, posted, errors, status, None).await
}

/// The proposal page; `rows_edited` names the section whose rows were just added or removed
/// (shown with what was typed and a note that it is not saved yet).
async fn show_page(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<(String, HashMap<String, String>)>,
    errors: FieldErrors,
    status: StatusCode,
    rows_edited: Option<String>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let lang = ctx.lang();
    let v = db::run(&state.pool, move |c| {
        queries::proposals::proposal(c, &actor, id)
    })
    .await?;
    let mut vals = vals_from(&v.content);
    if let Some((section, form)) = posted {
        // Drop the section's stored rows so removed rows stay removed, then show the post.
        if let Some((group, _)) = row_group(&section) {
            let p = format!("{group}_");
            vals.0.retain(|k, _| !k.starts_with(&p));
        }
        vals.0.extend(form.into_iter().filter(|(k, _)| {
            !matches!(k.as_str(), "_csrf" | "version" | "add_row" | "remove_row")
        }));
    }
    let problems = v
        .problems
        .iter()
        .map(|e| {
            (
                ctx.t(&format!("proposal.{}", e.field)).to_string(),
                e.msg.render(lang),
            )
        })
        .collect();
    let checklist = v
        .checklist
        .iter()
        .flatten()
        .map(|i| {
            (
                ctx.t(i.key).to_string(),
                i.ok,
                i.problems.iter().map(|m| m.render(lang)).collect(),
            )
        })
        .collect();
    let rules = v.round.rules();
    let page = ShowPage {
        errors: ctx.errors(&errors),
        categories: rules.categories,
        target_rules: rules.targets,
        figures: Figure::all()
            .into_iter()
            .map(|f| (f.code(), f.label(lang)))
            .collect(),
        problems,
        checklist,
        ctx,
        v,
        vals,
        budget_categories: BudgetCategory::ALL,
        sources: FundingSource::ALL,
        attachment_kinds: ops::proposals::ATTACHMENT_KINDS
            .iter()
            .map(|k| k.as_str())
            .collect(),
        decision: super::screening::DecisionInput::default(),
        rows_edited,
    };
    render_status(status, &page)
}

async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_with(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "proposals/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ProposalListItem>,
}

async fn list(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let items = db::run(&state.pool, move |c| queries::proposals::list(c, &actor)).await?;
    render(&ListPage { ctx, items })
}

async fn start(
    ctx: PageCtx,
    state: web::Data<AppState>,
    round: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let round = round.into_inner();
    let id = db::run(&state.pool, move |c| {
        ops::proposals::start(c, &actor, round)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/proposals/{id}"),
        "flash.proposal_started",
    ))
}

async fn save_section(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, section) = path.into_inner();
    if !SECTIONS.contains(&section.as_str()) {
        return Err(AppError::NotFound);
    }
    let mut form = form.0;
    if let (Some(edit), Some((group, blank))) = (RowEdit::of(&form), row_group(&section)) {
        // An added or removed row: the same form again with everything typed, nothing saved.
        // Only the draft's editors may do this, as only they may save it.
        let a = actor.clone();
        db::run(&state.pool, move |c| {
            ops::proposals::find_editable(c, &a, id).map(|_| ())
        })
        .await?;
        edit_rows(&mut form, group, blank, edit);
        return show_page(
            ctx,
            &state,
            id,
            Some((section.clone(), form)),
            FieldErrors::new(),
            StatusCode::OK,
            Some(section),
        )
        .await;
    }
    let version: i32 = form
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::bad_request("error.malformed_form"))?;
    let (s2, f2) = (section.clone(), form.clone());
    let result = db::run(&state.pool, move |c| {
        let (p, _) = ops::proposals::find_visible(c, &actor, id)?;
        let mut content = p.content();
        apply_section(&mut content, &s2, &f2).map_err(AppError::Validation)?;
        ops::proposals::save(c, &actor, id, version, &content)
    })
    .await;
    let to = format!("/proposals/{id}#{section}");
    versioned_form_done(result, to, "flash.section_saved", async |e, status| {
        show_with(ctx, &state, id, Some((section, form)), e, status).await
    })
    .await
}

async fn submit(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let done = db::run(&state.pool, move |c| {
        ops::proposals::submit(c, &settings, &actor, id)
    })
    .await;
    form_done(
        done,
        format!("/proposals/{id}"),
        "flash.proposal_submitted",
        async |e, status| show_with(ctx, &state, id, None, e, status).await,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

async fn withdraw(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::proposals::withdraw(c, &s, &actor, id, &f.0.reason)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/proposals/{id}"),
        "flash.proposal_withdrawn",
    ))
}

async fn upload(
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
            return show_with(ctx, &state, id, None, e, status).await;
        }
    };
    let done = db::run(&state.pool, move |c| {
        ops::proposals::upload_attachment(c, &actor, id, &up.kind, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/proposals/{id}#attachments"),
        "flash.document_uploaded",
        async |e, status| show_with(ctx, &state, id, None, e, status).await,
    )
    .await
}

/// Serves an attachment to those who may read the proposal.
pub async fn attachment_response(
    state: &AppState,
    actor: Actor,
    id: i64,
    aid: i64,
) -> Result<HttpResponse, AppError> {
    let (meta, bytes) = db::run(&state.pool, move |c| {
        ops::proposals::find_visible(c, &actor, id)?;
        proposals::attachment(c, id, aid)
    })
    .await?;
    Ok(super::file_download(
        meta.content_type,
        &format!("attachment-{}", meta.id),
        &meta.filename,
        bytes,
    ))
}

async fn download(
    ctx: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, aid) = path.into_inner();
    attachment_response(&state, actor, id, aid).await
}

/// The proposal (申报书) as a PDF: an official document, in Chinese whatever the reader's
/// language.
pub async fn pdf_response(
    state: &AppState,
    actor: Actor,
    id: i64,
) -> Result<HttpResponse, AppError> {
    let (p, round, org, bureau) = db::run(&state.pool, move |c| {
        let (p, r) = ops::proposals::find_visible(c, &actor, id)?;
        let org = orgs::find(c, p.org_id)?.name;
        let bureau = crate::db::rounds::bureau_name(c, r.bureau_id)?;
        Ok((p, r, org, bureau))
    })
    .await?;
    let subject = p.number.clone().unwrap_or_else(|| p.title.clone());
    let name = super::export::file_name(
        &subject,
        crate::i18n::t(crate::i18n::Lang::Zh, "export.proposal_file"),
        "pdf",
    );
    super::pdf_response(format!("proposal-{id}.pdf"), name, move || {
        crate::pdf::proposal::proposal(&crate::pdf::proposal::ProposalInput {
            number: p.number.as_deref(),
            status: crate::i18n::t(crate::i18n::Lang::Zh, p.status.label_key()),
            org: &org,
            round: &round.title,
            bureau: &bureau,
            content: &p.content(),
            submitted_at: p.submitted_at.map(super::fmt_time),
            generated: super::fmt_time(db::now()),
        })
    })
    .await
}

async fn pdf(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    pdf_response(&state, actor, id.into_inner()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sections_read_rows_and_skip_blank_ones() {
        let mut c = ProposalContent::default();
        let f = form(&[
            ("l_cat_0", "activity"),
            ("l_item_0", "活动物料"),
            ("l_amount_0", "3万"),
            ("l_source_0", "grant"),
            ("l_cat_1", ""),
            ("l_item_1", ""),
            ("l_amount_1", ""),
            ("l_cat_3", "admin"),
            ("l_item_3", "管理费"),
            ("l_amount_3", "2000"),
            ("l_source_3", "self"),
        ]);
        apply_section(&mut c, "budget", &f).expect("the budget section applies");
        assert_eq!(c.budget.len(), 2);
        assert_eq!(c.budget[0].amount, Fen::from_yuan(30_000));
        assert_eq!(c.budget[1].source, FundingSource::SelfFunded);
        let v = vals_from(&c);
        assert_eq!(v.rows("l", 3), 5);
        assert_eq!(v.at("l_item", &1), "管理费");
    }

    #[test]
    fn bad_rows_are_named_by_their_position() {
        let mut c = ProposalContent::default();
        let f = form(&[
            ("b_cat_0", "老年人"),
            ("b_unique_0", "120"),
            ("b_times_0", "960"),
            ("b_cat_1", "儿童"),
            ("b_unique_1", "-1"),
            ("b_times_1", "10"),
        ]);
        let e = apply_section(&mut c, "beneficiaries", &f).unwrap_err();
        assert_eq!(e.0[0].msg.args[0].1, "2");
        let e = apply_section(
            &mut c,
            "basics",
            &form(&[("start_date", "明年"), ("requested_grant", "五万")]),
        )
        .unwrap_err();
        assert!(e.has("start_date") && e.has("requested_grant"));
    }
}
