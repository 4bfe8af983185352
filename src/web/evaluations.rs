//! Pages of third-party evaluation: the evaluator's list and filing, the officer's review
//! with the rule engine's proposal, and the evaluation summary and completion PDFs.

use std::collections::HashMap;

use super::filters;
use super::upload::{MultipartBody, Sender};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::projects::Vals;
use super::reviews::tenths_text;
use super::{form_done, render, render_status, see_other_flash, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db;
use crate::db::evaluations::EvaluationRow;
use crate::db::projects::{FileMeta, ProjectRow};
use crate::domain::evaluation::{
    EvaluationContent, IndicatorScore, Lateness, MemberSheet, Recommendation, VerifiedCount,
    MAX_PANEL,
};
use crate::domain::report::BeneficiaryGroup;
use crate::domain::round::Criterion;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{t, Msg};
use crate::ops;
use crate::ops::evaluation::{AssignInput, ReviewInput};
use crate::queries;
use crate::queries::evaluations::{Assignment, Filing};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/evaluations", web::post().to(assign))
        .route("/projects/{id}/renewal", web::post().to(start_renewal))
        .route(
            "/projects/{id}/certificate.pdf",
            web::get().to(certificate_pdf),
        )
        .route("/evaluations", web::get().to(list))
        .route("/evaluations/{id}", web::get().to(page))
        .route("/evaluations/{id}", web::post().to(save))
        .route("/evaluations/{id}/report", web::post().to(upload_report))
        .route("/evaluations/{id}/review", web::post().to(review))
        .route("/evaluations/{id}/summary.pdf", web::get().to(summary_pdf));
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    evaluator_id: String,
    #[serde(default)]
    due_on: String,
}

async fn assign(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let input = AssignInput {
        stage: f.0.stage,
        evaluator_id: f.0.evaluator_id.trim().parse().ok(),
        due_on: f.0.due_on,
    };
    let s = state.settings.clone();
    db::run(&state.pool, move |c| {
        ops::evaluation::assign(c, &s, &actor, id, &input)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/projects/{id}#evaluations"),
        "flash.evaluation_assigned",
    ))
}

#[derive(Template)]
#[template(path = "evaluations/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Assignment>,
}

async fn list(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let rows = db::run(&state.pool, move |c| {
        queries::evaluations::assignments(c, &actor)
    })
    .await?;
    render(&ListPage { ctx, rows })
}

/// One indicator on the page: (name, max points).
type Indicator = (String, i32);

#[derive(Template)]
#[template(path = "evaluations/show.html")]
struct EvalPage {
    ctx: PageCtx,
    ev: EvaluationRow,
    p: ProjectRow,
    content: EvaluationContent,
    indicators: Vec<Indicator>,
    /// (group code, label, reported unique people)
    groups: Vec<(String, String, i64)>,
    files: Vec<FileMeta>,
    vals: Vals,
    errors: FormErrors,
    can_edit: bool,
    officer: bool,
    /// The rule engine's (grade, total text, consequence, renewal).
    proposed: Option<(String, String, String, String)>,
    consequences: Vec<(String, String)>,
    problems: Vec<String>,
    /// Late covered reports and the round's rule (derived, or as recorded once accepted).
    lateness: Lateness,
    /// What the rule does about them, in the reader's language (none when nothing counts).
    late_reason: Option<String>,
    /// The grade bands with their edges ("优秀 ≥ 90.0，良好 80.0–89.9，…").
    bands: String,
    /// The evaluation score step, as people read it ("评分步长 0.1 分").
    step: String,
    /// How many panel rows the form shows.
    panel_rows: usize,
    /// The plan's performance targets with their pre-filled values.
    targets: Vec<crate::queries::evaluations::TargetFiling>,
    achievement: crate::domain::target::Achievement,
    /// Points of the total given to target achievement (0: none).
    target_weight: i32,
    /// The call-back sample's estimates once drawn.
    sample: Option<crate::domain::sample::Estimates>,
    /// The actor may open the sample (the bureau's officers and the assigned evaluator).
    sample_visible: bool,
}

impl EvalPage {
    pub fn pts(&self, t: &i32) -> String {
        tenths_text(*t)
    }
    pub fn total_text(&self) -> String {
        tenths_text(self.content.total_tenths())
    }
    /// A panel member's total, for display.
    pub fn member_total(&self, m: &MemberSheet) -> String {
        tenths_text(m.total_tenths())
    }
    pub fn err(&self, field: &str) -> String {
        self.errors.get(field).to_string()
    }
    pub fn has(&self, field: &str) -> bool {
        self.errors.has(field)
    }
    /// The rubric's total before target achievement is weighted in.
    pub fn rubric_text(&self) -> String {
        tenths_text(self.content.rubric_tenths())
    }
    pub fn pct(&self, bp: &Option<i64>) -> String {
        bp.map(crate::domain::sample::percent_text)
            .unwrap_or_else(|| "—".into())
    }
}

fn vals_from(c: &EvaluationContent) -> Vals {
    let mut m = HashMap::new();
    for (i, s) in c.scores.iter().enumerate() {
        m.insert(
            format!("score_{i}"),
            s.score.map(tenths_text).unwrap_or_default(),
        );
        m.insert(format!("comment_{i}"), s.comment.clone());
    }
    for g in BeneficiaryGroup::ALL {
        let v = c.verified_of(g.as_str());
        m.insert(format!("verified_{}", g.as_str()), v.to_string());
    }
    m.insert(
        "satisfaction_pct".into(),
        c.satisfaction_pct
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    m.insert("findings".into(), c.findings.clone());
    m.insert(
        "recommendation".into(),
        c.recommendation
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    );
    for (j, sheet) in c.members.iter().enumerate() {
        m.insert(format!("member_name_{j}"), sheet.name.clone());
        for (i, v) in sheet.scores.iter().enumerate() {
            m.insert(
                format!("member_{j}_score_{i}"),
                v.map(tenths_text).unwrap_or_default(),
            );
        }
    }
    Vals(m)
}

/// Panel rows shown: the members filed and two blank ones (at least three, at most the
/// largest panel).
fn panel_rows(members: usize) -> usize {
    (members + 2).clamp(3, MAX_PANEL)
}

/// Reads one typed score (points) on the round's step; a problem is a field error.
fn typed_score(
    e: &mut FieldErrors,
    field: String,
    raw: &str,
    c: &Criterion,
    step: i32,
) -> Option<i32> {
    if raw.trim().is_empty() {
        return None;
    }
    match crate::domain::review::parse_score(raw, c.max_points, step) {
        Ok(s) => Some(s),
        Err(err) => {
            e.add(
                field,
                crate::domain::review::score_msg(err, c.max_points, step),
            );
            None
        }
    }
}

/// Reads the filing form; fields that cannot be read are field errors. Panel rows left blank
/// are dropped.
fn parse_form(
    v: &Vals,
    rubric: &[Criterion],
    step: i32,
    plan_targets: &[crate::domain::target::TargetLine],
) -> Result<EvaluationContent, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut targets = Vec::new();
    for (i, t) in plan_targets.iter().enumerate() {
        let raw = v.v(&format!("ta_{i}")).trim();
        let achieved = if raw.is_empty() {
            None
        } else {
            match raw.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    e.add(format!("ta_{i}"), Msg::new("field.integer_invalid"));
                    None
                }
            }
        };
        targets.push(crate::domain::target::TargetAchieved {
            name: t.name.clone(),
            achieved,
        });
    }
    let scores = rubric
        .iter()
        .enumerate()
        .map(|(i, c)| IndicatorScore {
            score: typed_score(
                &mut e,
                format!("scores.{i}"),
                v.v(&format!("score_{i}")),
                c,
                step,
            ),
            comment: v.v(&format!("comment_{i}")).trim().to_string(),
        })
        .collect();
    let mut members = Vec::new();
    for j in 0..MAX_PANEL {
        let name = v.v(&format!("member_name_{j}")).trim().to_string();
        let raws: Vec<&str> = (0..rubric.len())
            .map(|i| v.v(&format!("member_{j}_score_{i}")))
            .collect();
        if name.is_empty() && raws.iter().all(|r| r.trim().is_empty()) {
            continue;
        }
        let at = members.len();
        let scores = rubric
            .iter()
            .zip(&raws)
            .enumerate()
            .map(|(i, (c, raw))| {
                typed_score(&mut e, format!("members.{at}.scores.{i}"), raw, c, step)
            })
            .collect();
        members.push(MemberSheet { name, scores });
    }
    let verified = BeneficiaryGroup::ALL
        .iter()
        .filter_map(|g| {
            let raw = v.v(&format!("verified_{}", g.as_str())).trim().to_string();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i64>() {
                Ok(n) => Some(VerifiedCount {
                    group: g.as_str().to_string(),
                    unique_people: n,
                }),
                Err(_) => {
                    e.add(
                        format!("verified.{}", g.as_str()),
                        Msg::new("field.integer_invalid"),
                    );
                    None
                }
            }
        })
        .collect();
    let satisfaction_pct = match v.v("satisfaction_pct").trim() {
        "" => None,
        s => match s.trim_end_matches('%').parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add("satisfaction_pct", Msg::new("field.integer_invalid"));
                None
            }
        },
    };
    let recommendation = match v.v("recommendation") {
        "" => None,
        r => match Recommendation::parse(r) {
            Some(r) => Some(r),
            None => {
                e.add("recommendation", Msg::new("field.choice_invalid"));
                None
            }
        },
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(EvaluationContent {
        scores,
        verified,
        satisfaction_pct,
        findings: v.v("findings").trim().to_string(),
        recommendation,
        members,
        targets,
        target_blend: None,
    })
}

async fn show(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    posted: Option<Vals>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let lang = ctx.lang();
    let actor_id = actor.id;
    let f = db::run(&state.pool, move |c| {
        queries::evaluations::filing(c, &actor, id)
    })
    .await?;
    let Filing {
        ev,
        project: p,
        rules,
        files,
        latest,
        proposed,
        lateness,
        problems,
        can_edit,
        officer,
        targets,
        achievement,
        sample,
    } = f;
    let target_weight = rules.targets.evaluation_weight;
    let sample_visible = officer || actor_id == ev.evaluator_id;
    let problems = if can_edit {
        problems.0.iter().map(|e| e.msg.render(lang)).collect()
    } else {
        Vec::new()
    };
    let content = ev.content();
    let vals = posted.unwrap_or_else(|| {
        let mut v = vals_from(&content);
        for (i, t) in targets.iter().enumerate() {
            v.0.insert(
                format!("ta_{i}"),
                t.value.map(|n| n.to_string()).unwrap_or_default(),
            );
        }
        v
    });
    let proposed = proposed.map(|p| {
        (
            p.grade,
            tenths_text(p.total_tenths),
            t(lang, p.consequence.label_key()).to_string(),
            t(lang, p.renewal.label_key()).to_string(),
        )
    });
    let late_reason = lateness.reason().map(|m| m.render(lang));
    let bands = crate::domain::evaluation::bands_text(&rules.grade_bands);
    let step = Msg::new("evaluation.score_step")
        .arg("step", tenths_text(rules.evaluation_score_step))
        .render(lang);
    let consequences = crate::domain::evaluation::allowed_at(ev.stage)
        .iter()
        .map(|c| (c.as_str().to_string(), t(lang, c.label_key()).to_string()))
        .collect();
    let groups = BeneficiaryGroup::ALL
        .iter()
        .map(|g| {
            (
                g.as_str().to_string(),
                t(lang, g.label_key()).to_string(),
                latest.unique_of(g.as_str()),
            )
        })
        .collect();
    let indicators = rules
        .evaluation_criteria
        .iter()
        .map(|c| (c.name.clone(), c.max_points))
        .collect();
    let errors = ctx.errors(&errors);
    let panel_rows = panel_rows(content.members.len());
    render_status(
        status,
        &EvalPage {
            ctx,
            ev,
            p,
            content,
            indicators,
            groups,
            files,
            vals,
            errors,
            can_edit,
            officer,
            proposed,
            consequences,
            problems,
            lateness,
            late_reason,
            bands,
            step,
            panel_rows,
            targets,
            achievement,
            target_weight,
            sample,
            sample_visible,
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

async fn save(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let vals = Vals(f.0.into_iter().collect());
    let a = actor.clone();
    let (rules, plan) = db::run(&state.pool, move |c| {
        let (_, p) = ops::evaluation::find_visible(c, &a, id)?;
        Ok((
            crate::db::rounds::find(c, p.round_id)?.rules(),
            crate::db::changes::plan(c, p.id)?.1,
        ))
    })
    .await?;
    let content = match parse_form(
        &vals,
        &rules.evaluation_criteria,
        rules.evaluation_score_step,
        &plan.targets,
    ) {
        Ok(c) => c,
        Err(e) => {
            return show(
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
    let version: i32 = vals.v("version").parse().unwrap_or(0);
    let submit = vals.v("then") == "submit";
    let s = state.settings.clone();
    let (done, keep_typed) = super::saved_then(
        db::run(&state.pool, move |c| {
            ops::evaluation::save(c, &actor, id, version, &content)?;
            Ok(submit
                .then(|| ops::evaluation::submit(c, &s, &actor, id).err())
                .flatten())
        })
        .await,
    );
    form_done(
        done,
        format!("/evaluations/{id}"),
        if submit {
            "flash.evaluation_submitted"
        } else {
            "flash.saved"
        },
        async |e, status| show(ctx, &state, id, keep_typed.then_some(vals), e, status).await,
    )
    .await
}

async fn upload_report(
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
            return show(ctx, &state, id, None, e, status).await;
        }
    };
    let done = db::run(&state.pool, move |c| {
        ops::evaluation::upload_report(c, &actor, id, &up.filename, &up.bytes)
    })
    .await;
    form_done(
        done,
        format!("/evaluations/{id}#report"),
        "flash.document_uploaded",
        async |e, status| show(ctx, &state, id, None, e, status).await,
    )
    .await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    override_consequence: String,
    #[serde(default)]
    override_reason: String,
    #[serde(default)]
    rectify_until: String,
}

async fn review(
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
    let input = ReviewInput {
        accept,
        comment: f.0.comment,
        override_consequence: Some(f.0.override_consequence).filter(|o| !o.is_empty()),
        override_reason: f.0.override_reason,
        rectify_until: f.0.rectify_until,
    };
    let s = state.settings.clone();
    let done = db::run(&state.pool, move |c| {
        ops::evaluation::review(c, &s, &actor, id, &input)
    })
    .await;
    form_done(
        done,
        format!("/evaluations/{id}"),
        if accept {
            "flash.evaluation_accepted"
        } else {
            "flash.evaluation_returned"
        },
        async |e, status| show(ctx, &state, id, None, e, status).await,
    )
    .await
}

async fn summary_pdf(
    ctx: PageCtx,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    super::documents::summary_response(&state, &req, actor, id.into_inner()).await
}

async fn certificate_pdf(
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
        crate::domain::project::DocumentKind::CompletionCertificate,
    )
    .await
}

#[derive(Deserialize)]
pub struct RenewalForm {
    #[serde(default)]
    round_id: String,
}

async fn start_renewal(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<RenewalForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let round: i64 =
        f.0.round_id
            .trim()
            .parse()
            .map_err(|_| FieldErrors::single("round_id", "field.choice_invalid"))?;
    let pid = db::run(&state.pool, move |c| {
        ops::renewal::start(c, &actor, id, round)
    })
    .await?;
    Ok(see_other_flash(
        &format!("/proposals/{pid}"),
        "flash.renewal_started",
    ))
}
