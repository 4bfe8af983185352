//! Pages of screening (形式审查): the officer's submission list with filters, the checklist
//! and decisions on a proposal, bulk decisions, and exports to xlsx and CSV.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::filters;
use super::input::Query;
use super::{form_done, render_status, selection_form_done, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::Actor;
use crate::db::proposals::{ProposalListItem, SubmissionFilter};
use crate::db::rounds::RoundRow;
use crate::db::{self, proposals, Paged};
use crate::domain::money::Fen;
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
) -> (Vec<String>, Vec<Vec<String>>) {
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
                p.number.clone().unwrap_or_default(),
                p.title.clone(),
                org,
                uscc.unwrap_or_default(),
                p.category.clone(),
                Fen(p.requested_grant_fen).yuan_input(),
                c.total_budget().yuan_input(),
                c.matching_total().yuan_input(),
                super::filters::time_text(p.submitted_at),
                t(lang, p.status.label_key()).to_string(),
                p.decision_reason
                    .clone()
                    .or(p.return_comment.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    (header, rows)
}

async fn export_data(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<(RoundRow, Vec<String>, Vec<Vec<String>>), AppError> {
    let (round, rows) = db::run(&state.pool, move |c| {
        let r = ops::rounds::find_managed(c, &actor, id)?;
        Ok((r, proposals::export_rows(c, id, &f)?))
    })
    .await?;
    let (header, rows) = export_table(rows, lang);
    Ok((round, header, rows))
}

pub fn to_csv(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    // A BOM so that spreadsheet programs read the Chinese text as UTF-8.
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header)
            .map_err(|e| AppError::Unexpected(e.to_string()))?;
        for r in rows {
            w.write_record(r)
                .map_err(|e| AppError::Unexpected(e.to_string()))?;
        }
        w.flush().map_err(|e| AppError::Unexpected(e.to_string()))?;
    }
    Ok(out)
}

pub fn to_xlsx(
    sheet_name: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Unexpected(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name.chars().take(31).collect::<String>())
        .map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).map_err(err)?;
        }
    }
    ws.autofit();
    wb.save_to_buffer().map_err(err)
}

/// A list's filtered rows as a CSV download, under the column headings `keys` (locale keys)
/// in the reader's language.
pub fn csv_download(
    lang: Lang,
    keys: &[&str],
    rows: &[Vec<String>],
    filename: &str,
) -> Result<HttpResponse, AppError> {
    let header: Vec<String> = keys.iter().map(|k| t(lang, k).to_string()).collect();
    Ok(attachment(
        to_csv(&header, rows)?,
        "text/csv; charset=utf-8",
        filename,
    ))
}

pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes)
}

/// The round's received proposals the filter selects (its page aside), as xlsx.
pub async fn xlsx_response(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (_, header, rows) = export_data(state, actor, (id, f), lang).await?;
    let sheet = t(lang, "export.sheet").to_string();
    let bytes = web::block(move || to_xlsx(&sheet, &header, &rows))
        .await
        .map_err(|e| AppError::Unexpected(e.to_string()))??;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("submissions-{id}.xlsx"),
    ))
}

/// The round's received proposals the filter selects (its page aside), as CSV.
pub async fn csv_response(
    state: &AppState,
    actor: Actor,
    (id, f): (i64, SubmissionFilter),
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let (_, header, rows) = export_data(state, actor, (id, f), lang).await?;
    Ok(attachment(
        to_csv(&header, &rows)?,
        "text/csv; charset=utf-8",
        &format!("submissions-{id}.csv"),
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
