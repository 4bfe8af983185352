//! Pages of beneficiary rosters (服务对象名册, issue 15): a report's roster with its counts
//! against the report and its duplicates, the form of repeating rows (no JavaScript needed),
//! the xlsx template and upload; the bureau's list of projects counting the same people
//! (重复受益).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::upload::{MultipartBody, Sender};
use super::{filters, form_done, render, render_status, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::db::rosters::SharedPeople;
use crate::domain::report::{BeneficiaryGroup, GroupCount};
use crate::domain::roster::RosterInput;
use crate::domain::roster_sheet;
use crate::error::{AppError, FieldErrors};
use crate::ops;
use crate::ops::rosters::Source;
use crate::queries::rosters::RosterScreen;

/// The form edits rosters up to this many lines; longer ones are uploaded as spreadsheets.
pub const FORM_MAX_LINES: usize = 300;
/// Blank rows the form offers below the lines.
pub const BLANK_ROWS: usize = 10;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/{id}/roster", web::get().to(page))
        .route("/reports/{id}/roster", web::post().to(save))
        .route("/reports/{id}/roster/upload", web::post().to(upload))
        .route(
            "/reports/{id}/roster/template.xlsx",
            web::get().to(template),
        )
        .route("/dashboard/duplicates", web::get().to(bureau));
}

/// One group's counts: the roster's against the report's.
pub struct CountRow {
    pub label: String,
    pub roster: GroupCount,
    pub reported: GroupCount,
}

impl CountRow {
    pub fn differs(&self) -> bool {
        self.roster.unique_people != self.reported.unique_people
            || self.roster.person_times != self.reported.person_times
    }
}

#[derive(Template)]
#[template(path = "projects/roster.html")]
struct RosterPage {
    ctx: PageCtx,
    v: RosterScreen,
    counts: Vec<CountRow>,
    /// The form's rows (the stored lines, or what was typed or uploaded, then blank rows).
    rows: Vec<RosterInput>,
    /// The form is shown (editable and not too long).
    form: bool,
    groups: Vec<(String, String)>,
    errors: FormErrors,
    /// Every roster problem, rendered (row errors of an upload may be beyond the form).
    messages: Vec<String>,
    /// The roster's own disagreements with the report, rendered.
    problems: Vec<String>,
}

impl RosterPage {
    pub fn has(&self, field: &str) -> bool {
        self.errors.has(field)
    }
    pub fn err(&self, field: &str) -> String {
        self.errors.get(field).to_string()
    }
    pub fn group_label(&self, code: &str) -> String {
        BeneficiaryGroup::parse(code)
            .map(|g| self.ctx.t(g.label_key()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

async fn show(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    typed: Option<Vec<RosterInput>>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let v = db::run(&state.pool, move |c| {
        crate::queries::rosters::report_roster(c, &actor, id)
    })
    .await?;
    let lang = ctx.lang();
    let content = v.report.content();
    let mut codes: Vec<String> = BeneficiaryGroup::ALL
        .iter()
        .map(|g| g.as_str().to_string())
        .collect();
    for g in v.tallies.iter().map(|t| &t.group) {
        if !codes.contains(g) {
            codes.push(g.clone());
        }
    }
    let counts: Vec<CountRow> = codes
        .iter()
        .filter_map(|code| {
            let roster = v.tallies.iter().find(|t| &t.group == code).cloned();
            let reported = content
                .beneficiaries
                .iter()
                .find(|b| &b.group == code)
                .cloned();
            if roster.is_none() && reported.as_ref().is_none_or(|r| r.person_times == 0) {
                return None;
            }
            let zero = GroupCount {
                group: code.clone(),
                ..GroupCount::default()
            };
            Some(CountRow {
                label: BeneficiaryGroup::parse(code)
                    .map(|g| ctx.t(g.label_key()).to_string())
                    .unwrap_or_else(|| code.clone()),
                roster: roster.unwrap_or_else(|| zero.clone()),
                reported: reported.unwrap_or(zero),
            })
        })
        .collect();
    let mut rows = typed.unwrap_or_else(|| {
        v.lines
            .iter()
            .map(|l| RosterInput {
                group: l.group.clone(),
                name: l.name.clone(),
                id_kind: l.id_kind.clone().unwrap_or_default(),
                id_number: l.id_masked.clone().unwrap_or_default(),
                first_served: l.first_served.to_string(),
                person_times: l.person_times.to_string(),
                keep: Some(l.seq),
            })
            .collect()
    });
    let form = v.can_edit && rows.len() <= FORM_MAX_LINES;
    if form {
        rows.extend(std::iter::repeat_n(RosterInput::default(), BLANK_ROWS));
    }
    let groups = BeneficiaryGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), ctx.t(g.label_key()).to_string()))
        .collect();
    let messages = errors.0.iter().map(|e| e.msg.render(lang)).collect();
    let problems = v.problems.0.iter().map(|e| e.msg.render(lang)).collect();
    let errors = ctx.errors(&errors);
    render_status(
        status,
        &RosterPage {
            ctx,
            v,
            counts,
            rows,
            form,
            groups,
            errors,
            messages,
            problems,
        },
    )
}

async fn page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show(
        ctx,
        &state,
        id.into_inner(),
        None,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Reads the form's rows (`r_{i}_{column}`), in order, blank ones kept so that errors
/// (`roster.{i}.…`) land on the right rows.
pub fn parse_form(vals: &[(String, String)]) -> Vec<RosterInput> {
    let mut rows: Vec<RosterInput> = Vec::new();
    for (k, v) in vals {
        let Some(rest) = k.strip_prefix("r_") else {
            continue;
        };
        let Some((i, col)) = rest.split_once('_') else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else {
            continue;
        };
        if i >= FORM_MAX_LINES + BLANK_ROWS {
            continue;
        }
        if rows.len() <= i {
            rows.resize(i + 1, RosterInput::default());
        }
        let r = &mut rows[i];
        match col {
            "name" => r.name = v.clone(),
            "group" => r.group = v.clone(),
            "kind" => r.id_kind = v.clone(),
            "id" => r.id_number = v.clone(),
            "first" => r.first_served = v.clone(),
            "times" => r.person_times = v.clone(),
            "keep" => r.keep = v.trim().parse().ok(),
            _ => {}
        }
    }
    while rows.last().is_some_and(RosterInput::is_blank) {
        rows.pop();
    }
    rows
}

/// Stores the rows as the report's roster and goes back to the roster page, or shows the
/// page again with every problem and the rows as typed (when the form can hold them).
async fn replace_and_show(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    rows: Vec<RosterInput>,
    source: Source,
    flash: &str,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let key = state.pii.clone();
    let typed = rows.clone();
    let done = db::run(&state.pool, move |c| {
        ops::rosters::replace(c, &key, &actor, id, &rows, source)
    })
    .await;
    form_done(
        done,
        format!("/reports/{id}/roster"),
        flash,
        async |e, status| {
            let typed = (typed.len() <= FORM_MAX_LINES).then_some(typed);
            show(ctx, state, id, typed, e, status).await
        },
    )
    .await
}

async fn save(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let rows = parse_form(&f.0);
    replace_and_show(
        ctx,
        &state,
        id.into_inner(),
        rows,
        Source::Form,
        "flash.roster_saved",
    )
    .await
}

async fn upload(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: MultipartBody,
) -> Result<HttpResponse, AppError> {
    ctx.user()?;
    let id = id.into_inner();
    let max = roster_sheet::MAX_BYTES;
    let up = match payload.read(max, Sender::Page).await {
        Ok(up) => up,
        Err(e) => {
            let (e, status) = super::upload::shown_on_form(e, max)?;
            return show(ctx, &state, id, None, e, status).await;
        }
    };
    match roster_sheet::read(&up.bytes) {
        Ok(rows) => {
            replace_and_show(
                ctx,
                &state,
                id,
                rows,
                Source::Sheet,
                "flash.roster_uploaded",
            )
            .await
        }
        Err(e) => show(ctx, &state, id, None, e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// The template of report `id`'s roster (its round's identity rule explained).
pub(crate) async fn template_bytes(
    state: &AppState,
    actor: crate::auth::policy::Actor,
    id: i64,
    lang: crate::i18n::Lang,
) -> Result<Vec<u8>, AppError> {
    let v = db::run(&state.pool, move |c| {
        crate::queries::rosters::report_roster(c, &actor, id)
    })
    .await?;
    roster_sheet::template(lang, &v.rules).map_err(|e| AppError::Unexpected(e.to_string()))
}

pub(crate) fn template_download(bytes: Vec<u8>, lang: crate::i18n::Lang) -> HttpResponse {
    super::file_download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        "roster-template.xlsx",
        &format!("{}.xlsx", crate::i18n::t(lang, "roster.title")),
        bytes,
    )
}

async fn template(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let lang = ctx.lang();
    let bytes = template_bytes(&state, actor, id.into_inner(), lang).await?;
    Ok(template_download(bytes, lang))
}

#[derive(Template)]
#[template(path = "projects/duplicates.html")]
struct BureauPage {
    ctx: PageCtx,
    pairs: Vec<SharedPeople>,
}

async fn bureau(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let pairs = db::run(&state.pool, move |c| {
        crate::queries::rosters::bureau_duplicates(c, &actor)
    })
    .await?;
    render(&BureauPage { ctx, pairs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_rows_are_read_in_order_with_blank_rows_kept() {
        let vals: Vec<(String, String)> = [
            ("_csrf", "x"),
            ("r_0_name", "张三"),
            ("r_0_keep", "3"),
            ("r_2_name", "李四"),
            ("r_2_times", "2"),
            ("r_3_name", ""),
            ("r_99999_name", "ignored"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rows = parse_form(&vals);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].keep, Some(3));
        assert!(rows[1].is_blank());
        assert_eq!(rows[2].person_times, "2");
    }
}
