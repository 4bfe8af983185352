//! Pages of screening (形式审查): the officer's submission list with filters, the checklist
//! and decisions on a proposal, bulk decisions, and exports to xlsx and CSV.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::export::{self, Cell, Table};
use super::filters;
use super::input::Query;
use super::{form_done, render_status, selection_form_done, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::Actor;
use crate::db::proposals::{ProposalListItem, SubmissionFilter};
use crate::db::rounds::RoundRow;
use crate::db::{self, proposals, Paged};
use crate::domain::proposal::ProposalStatus;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{t, Lang};
use crate::ops;
use crate::ops::screening::Decision;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/rounds/{id}/submissions", web::get().to(list))
        .route("/rounds/{id}/submissions/bulk", web::post().to(bulk))
        .route("/rounds/{id}/submissions.xlsx", web::get().to(xlsx))
        .route("/rounds/{id}/submissions.csv", web::get().to(csv_export))
        .route("/proposals/{id}/screen", web::post().to(screen));
}

/// A decision as posted by a form or sent as JSON.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// `eligible`, `ineligible` or `return`.
    pub decision: String,
    /// Why it is ineligible.
    pub reason: String,
    /// What to correct (return).
    pub comment: String,
    /// Correct by (return): `2026-12-01T17:00`, Beijing time.
    pub return_deadline: String,
}

impl DecisionInput {
    pub fn decision(&self) -> Result<Decision, AppError> {
        match self.decision.as_str() {
            "eligible" => Ok(Decision::Eligible),
            "ineligible" => Ok(Decision::Ineligible {
                reason: self.reason.clone(),
            }),
            "return" => {
                let deadline = super::rounds::parse_local(&self.return_deadline)
                    .map_err(|m| {
                        let mut e = FieldErrors::new();
                        e.add("return_deadline", m);
                        AppError::Validation(e)
                    })?
                    .ok_or_else(|| FieldErrors::single("return_deadline", "field.required"))?;
                Ok(Decision::Return {
                    comment: self.comment.clone(),
                    deadline,
                })
            }
            _ => Err(FieldErrors::single("decision", "field.choice_invalid")),
        }
    }
}

#[derive(Template)]
#[template(path = "screening/list.html")]
struct ListPage {
    ctx: PageCtx,
    round: RoundRow,
    list: Paged<ProposalListItem>,
    /// How many drafts the round has (not listed: they are the organizations' until
    /// submitted).
    drafts: i64,
    filter: SubmissionFilter,
    categories: Vec<String>,
    statuses: &'static [ProposalStatus],
    errors: FormErrors,
    form: DecisionInput,
}

impl ListPage {
    /// The list's filter as a query string (`status`, `category`, `q`), for the exports.
    pub fn filter_query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.filter.status),
            ("category", &self.filter.category),
            ("q", &self.filter.q),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

async fn list_with(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    filter: SubmissionFilter,
    errors: FieldErrors,
    form: DecisionInput,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let f = filter.clone();
    let reads = state.reads.clone();
    let (round, list, drafts) = db::run(&state.pool, move |c| {
        let (r, list) = crate::queries::proposals::submissions(c, &reads, &actor, id, &f)?;
        Ok((r, list, proposals::count_drafts(c, id)?))
    })
    .await?;
    let page = ListPage {
        drafts,
        categories: round.rules().categories,
        errors: ctx.errors(&errors),
        ctx,
        round,
        list,
        filter,
        statuses: ProposalStatus::ALL,
        form,
    };
    render_status(status, &page)
}

async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    list_with(
        ctx,
        &state,
        id.into_inner(),
        q.into_inner(),
        FieldErrors::new(),
        DecisionInput::default(),
        StatusCode::OK,
    )
    .await
}

async fn bulk(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let form = form.0;
    let ids: Vec<i64> = form
        .keys()
        .filter_map(|k| k.strip_prefix("sel_"))
        .filter_map(|n| n.parse().ok())
        .collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = DecisionInput {
        decision: get("decision"),
        reason: get("reason"),
        comment: get("comment"),
        return_deadline: get("return_deadline"),
    };
    let settings = state.settings.clone();
    let i2 = input.clone();
    let result = db::run(&state.pool, move |c| {
        let d = i2.decision()?;
        ops::screening::decide_many(c, &settings, &actor, id, &ids, &d)
    })
    .await;
    selection_form_done(
        result,
        "ids",
        format!("/rounds/{id}/submissions"),
        "flash.screened",
        async |e, status| {
            let filter = SubmissionFilter::default();
            list_with(ctx, &state, id, filter, e, input, status).await
        },
    )
    .await
}

async fn screen(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let input = form.0;
    let settings = state.settings.clone();
    let i2 = input.clone();
    let result = db::run(&state.pool, move |c| {
        let d = i2.decision()?;
        ops::screening::decide(c, &settings, &actor, id, &d)
    })
    .await;
    form_done(
        result,
        format!("/proposals/{id}"),
        "flash.screened",
        async |e, status| super::proposals::show_with(ctx, &state, id, None, e, status).await,
    )
    .await
}

/// The export table: a header and one row per proposal, in the reader's language.
pub fn export_table(
    state_rows: Vec<(crate::db::proposals::ProposalRow, String, Option<String>)>,
    lang: Lang,
) -> Table {
    let header = [
        "proposal.number",
        "proposal.title",
        "proposal.org",
        "org.uscc",
        "proposal.category",
        "export.requested_yuan",
        "export.total_yuan",
        "export.matching_yuan",
        "proposal.submitted_at",
        "field.status",
        "export.problems",
    ]
    .iter()
    .map(|k| t(lang, k).to_string())
    .collect();
    let rows = state_rows
        .into_iter()
        .map(|(p, org, uscc)| {
            let c = p.content();
            vec![
                Cell::text(p.number.clone().unwrap_or_default()),
                Cell::text(p.title.clone()),
                Cell::text(org),
                Cell::text(uscc.unwrap_or_default()),
                Cell::text(p.category.clone()),
                Cell::Money(p.requested_grant_fen),
                Cell::Money(c.total_budget().0),
                Cell::Money(c.matching_total().0),
                Cell::text(super::filters::time_text(p.submitted_at)),
                Cell::text(t(lang, p.status.label_key())),
                Cell::text(
                    p.decision_reason
                        .clone()
                        .or(p.return_comment.clone())
                        .unwrap_or_default(),
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

async fn export_data(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<(RoundRow, Table), AppError> {
    let (round, rows) = db::run(&state.pool, move |c| {
        let r = ops::rounds::find_managed(c, &actor, id)?;
        Ok((r, proposals::export_rows(c, id, &f)?))
    })
    .await?;
    Ok((round, export_table(rows, lang)))
}

/// The submissions' file name: the round's title and what the file holds, in Chinese.
fn export_name(round: &RoundRow, ext: &str) -> String {
    export::file_name(&round.title, t(Lang::Zh, "export.submissions_file"), ext)
}

/// A list's filtered rows as a CSV download, under the column headings `keys` (locale keys)
/// in the reader's language, named `filename` (Chinese) with the ASCII `fallback`.
pub fn csv_download(
    lang: Lang,
    keys: &[&str],
    rows: Vec<Vec<String>>,
    fallback: &str,
    filename: &str,
) -> Result<HttpResponse, AppError> {
    let table = Table {
        header: keys.iter().map(|k| t(lang, k).to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(export::Cell::from).collect())
            .collect(),
        notes: vec![],
    };
    Ok(export::download(
        export::to_csv(&table)?,
        export::CSV,
        fallback,
        filename,
    ))
}

/// The round's received proposals the filter selects (its page aside), as xlsx.
pub async fn xlsx_response(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (round, table) = export_data(state, actor, (id, f), lang).await?;
    let sheet = t(lang, "export.sheet").to_string();
    let bytes = web::block(move || export::to_xlsx(&sheet, &table))
        .await
        .map_err(|e| AppError::Unexpected(e.to_string()))??;
    Ok(export::download(
        bytes,
        export::XLSX,
        &format!("submissions-{id}.xlsx"),
        &export_name(&round, "xlsx"),
    ))
}

/// The round's received proposals the filter selects (its page aside), as CSV.
pub async fn csv_response(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (round, table) = export_data(state, actor, (id, f), lang).await?;
    Ok(export::download(
        export::to_csv(&table)?,
        export::CSV,
        &format!("submissions-{id}.csv"),
        &export_name(&round, "csv"),
    ))
}

async fn xlsx(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let at = (id.into_inner(), q.into_inner());
    xlsx_response(&state, actor, at, ctx.lang()).await
}

async fn csv_export(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: Query<SubmissionFilter>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let at = (id.into_inner(), q.into_inner());
    csv_response(&state, actor, at, ctx.lang()).await
}
