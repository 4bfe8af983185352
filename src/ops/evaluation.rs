//! Third-party evaluation (DESIGN §2.6): assigning an unrelated agency and its evaluator,
//! the evaluator's filing, and the officer's acceptance, which applies the rule engine's
//! consequence (or an override with a written reason) to tranches, the project and bars.

use chrono::{Duration, Months, NaiveDate};
use sha2::{Digest, Sha256};

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::evaluations::{self, EvaluationRow, NewEvaluation};
use crate::db::projects::{self, NewFile, ProjectRow};
use crate::db::{self, orgs, outbox, reviews, today, users, DbConn};
use crate::domain::account::Role;
use crate::domain::evaluation::{
    self, Consequence, EvaluationContent, EvaluationStatus, IndicatorScore, Lateness, MaterialDue,
    Parties, Renewal, Stage,
};
use crate::domain::limits;
use crate::domain::money::Fen;
use crate::domain::org::OrgKind;
use crate::domain::project::{ProjectStatus, RefundKind};
use crate::domain::report::{ReportKind, TrancheStatus};
use crate::domain::round::{RoundRules, TrancheCondition};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

/// Days given for rectification when the officer names no deadline.
pub const RECTIFY_DAYS: i64 = 30;

/// What the officer types to assign an evaluation.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AssignInput {
    /// `midterm` or `final`.
    pub stage: String,
    pub evaluator_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

fn stage_label(stage: Stage, re: bool) -> &'static str {
    match (stage, re) {
        (Stage::Midterm, false) => "evaluation.stage_midterm",
        (Stage::Midterm, true) => "evaluation.stage_midterm_re",
        (Stage::Final, false) => "evaluation.stage_final",
        (Stage::Final, true) => "evaluation.stage_final_re",
    }
}

/// Assigns an agency's evaluator to a project's mid-term or final evaluation. A related
/// agency (same USCC, same legal representative, or an affiliation the evaluator declared)
/// is refused. After a rectification the same stage is evaluated again.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn assign(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    project_id: i64,
    input: &AssignInput,
) -> Result<i64, AppError> {
    let p = projects::project(conn, project_id)?;
    policy::require(actor, Action::ManageRounds(p.bureau_id))?;
    if !p.status.running() {
        return Err(AppError::conflict("error.project_not_active"));
    }
    let mut e = FieldErrors::new();
    let stage = Stage::parse(&input.stage);
    if stage.is_none() {
        e.add("stage", Msg::new("field.choice_invalid"));
    }
    let due_on = NaiveDate::parse_from_str(input.due_on.trim(), "%Y-%m-%d").ok();
    match due_on {
        None => e.add("due_on", Msg::new("field.date_invalid")),
        Some(d) if d < today() => e.add("due_on", Msg::new("field.date_past")),
        Some(_) => {}
    }
    let evaluator = match input.evaluator_id {
        None => {
            e.add("evaluator_id", Msg::new("field.required"));
            None
        }
        Some(id) => {
            let u = users::find(conn, id).ok();
            match u {
                Some(u)
                    if u.role == Role::Evaluator
                        && u.status == crate::domain::account::UserStatus::Active
                        && u.org_id.is_some() =>
                {
                    Some(u)
                }
                _ => {
                    e.add("evaluator_id", Msg::new("evaluation.not_an_evaluator"));
                    None
                }
            }
        }
    };
    e.into_result()?;
    let (stage, due_on, evaluator) = (
        stage.expect("checked"),
        due_on.expect("checked"),
        evaluator.expect("checked"),
    );
    let agency = orgs::find(conn, evaluator.org_id.expect("checked"))?;
    if agency.kind != OrgKind::Agency {
        return Err(FieldErrors::single(
            "evaluator_id",
            "evaluation.not_an_evaluator",
        ));
    }
    let ngo = orgs::find(conn, p.org_id)?;
    let profile = reviews::profile(conn, evaluator.id)?;
    if evaluation::related(
        &Parties {
            agency_uscc: agency.uscc.as_deref(),
            agency_legal_rep: &agency.legal_rep,
            ngo_name: &ngo.name,
            ngo_uscc: ngo.uscc.as_deref(),
            ngo_legal_rep: &ngo.legal_rep,
            affiliations: &profile.affiliations,
        },
        today(),
    ) {
        return Err(FieldErrors::single("evaluator_id", "evaluation.related"));
    }
    let existing = evaluations::for_project(conn, project_id)?;
    let same_stage: Vec<&EvaluationRow> = existing.iter().filter(|x| x.stage == stage).collect();
    if same_stage
        .iter()
        .any(|x| x.status != EvaluationStatus::Accepted)
    {
        return Err(AppError::conflict("error.evaluation_open"));
    }
    let reevaluation = match same_stage.last() {
        None => false,
        Some(last)
            if last.consequence.as_deref() == Some(Consequence::Rectify.as_str())
                && p.status == ProjectStatus::Rectifying =>
        {
            true
        }
        Some(_) => return Err(AppError::conflict("error.evaluation_done")),
    };
    let rubric = crate::db::rounds::find(conn, p.round_id)?
        .rules()
        .evaluation_criteria;
    let content = EvaluationContent {
        scores: rubric.iter().map(|_| IndicatorScore::default()).collect(),
        ..EvaluationContent::default()
    };
    db::write_tx(conn, |c| {
        let id = evaluations::insert(
            c,
            &NewEvaluation {
                project_id,
                stage,
                reevaluation,
                agency_org_id: agency.id,
                evaluator_id: evaluator.id,
                due_on,
                assigned_by: actor.id,
                content: content.clone(),
            },
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "evaluation.assigned", "project", project_id).after(
                serde_json::json!({"evaluation_id": id, "stage": stage.as_str(), "reevaluation": reevaluation,
                                   "agency": agency.name, "evaluator_id": evaluator.id, "due_on": due_on}),
            ),
        )?;
        let to = Recipient::new(&evaluator.email, &evaluator.name, &evaluator.locale);
        outbox::enqueue(
            c,
            &mail::evaluation_assigned(
                &to,
                &p.agreement_no,
                &p.title,
                crate::i18n::t(to.lang, stage_label(stage, reevaluation)),
                &due_on.to_string(),
                &format!("{}/evaluations/{id}", s.base_url),
                &s.base_url,
            ),
        )?;
        Ok(id)
    })
}

/// An evaluation the actor may read (`Action::ViewEvaluation`) of a project they may read.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(EvaluationRow, ProjectRow), AppError> {
    let ev = evaluations::find(conn, id)?;
    let p = super::award::find_visible_project(conn, actor, ev.project_id)?;
    if !crate::queries::evaluations::visible(actor, &p, &ev) {
        return Err(AppError::Forbidden);
    }
    Ok((ev, p))
}

fn find_own_editable(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(EvaluationRow, ProjectRow), AppError> {
    let (ev, p) = find_visible(conn, actor, id)?;
    if !(actor.role == Role::Evaluator && actor.id == ev.evaluator_id) {
        return Err(AppError::Forbidden);
    }
    if !ev.status.editable() {
        return Err(AppError::conflict("error.evaluation_frozen"));
    }
    Ok((ev, p))
}

/// Saves the evaluator's draft; checked in full on submission.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    content: &EvaluationContent,
) -> Result<i32, AppError> {
    let (_, p) = find_own_editable(conn, actor, id)?;
    limits::within("findings", &content.findings, limits::REPORT_NARRATIVE)?;
    let plan = crate::db::changes::plan(conn, p.id)?.1;
    if content.targets.len() > plan.targets.len() {
        return Err(FieldErrors::single("targets", "field.too_many_lines"));
    }
    let mut e = FieldErrors::new();
    crate::domain::target::check_achieved(&content.targets, &plan.targets, &mut e);
    e.into_result()?;
    let content = &with_target_blend(conn, &p, &plan, content)?;
    for s in &content.scores {
        limits::within("scores", &s.comment, limits::REVIEW_COMMENT)?;
    }
    if content.scores.len() > 50 || content.verified.len() > 20 {
        return Err(FieldErrors::single("findings", "field.too_many_lines"));
    }
    if content.members.len() > evaluation::MAX_PANEL
        || content.members.iter().any(|m| m.scores.len() > 50)
    {
        return Err(FieldErrors::single("members", "field.too_many_lines"));
    }
    for (i, m) in content.members.iter().enumerate() {
        limits::within(&format!("members.{i}.name"), &m.name, limits::TITLE)?;
    }
    db::write_tx(conn, |c| {
        if !evaluations::save(c, id, version, content)? {
            return Err(AppError::conflict("error.edit_conflict"));
        }
        Ok(version + 1)
    })
}

/// Per target (pre-filled value, value that counts), and the achievement.
pub type EvaluatedTargets = (
    Vec<(Option<i64>, Option<i64>)>,
    crate::domain::target::Achievement,
);

/// The plan's targets as an evaluation judges them: per target the value pre-filled from the
/// latest accepted report and the verified counts, and the value that counts (the
/// evaluator's, else the pre-filled one); with the achievement by the round's tree.
pub fn evaluated_targets(
    conn: &mut DbConn,
    p: &ProjectRow,
    plan: &crate::domain::proposal::ProposalContent,
    content: &EvaluationContent,
    rules: &crate::domain::target::TargetRules,
) -> Result<EvaluatedTargets, AppError> {
    use crate::domain::target;
    let latest = projects::latest_accepted_of(conn, &[p.id])?;
    let evaluated = target::evaluated(
        &plan.targets,
        &content.targets,
        latest.first().map(|r| &r.content_json.0),
        &content.verified,
    );
    let values: Vec<Option<i64>> = evaluated.iter().map(|(_, v)| *v).collect();
    let achievement = target::achievement(&plan.targets, &values, rules);
    Ok((evaluated, achievement))
}

/// The filing with target achievement weighted in as the round says now: the plan's targets
/// at the evaluator's values (else those pre-filled from the latest accepted report and the
/// verified counts), by the round's tree; none when the round gives it no weight or the plan
/// has no targets. Whatever a client sent as the blend is replaced.
pub fn with_target_blend(
    conn: &mut DbConn,
    p: &ProjectRow,
    plan: &crate::domain::proposal::ProposalContent,
    content: &EvaluationContent,
) -> Result<EvaluationContent, AppError> {
    use crate::domain::target::TargetBlend;
    let rules = crate::db::rounds::find(conn, p.round_id)?.rules().targets;
    let mut c = content.clone();
    c.target_blend = None;
    if rules.evaluation_weight > 0 && !plan.targets.is_empty() {
        let (_, a) = evaluated_targets(conn, p, plan, &c, &rules)?;
        c.target_blend = a.score_tenths.map(|score_tenths| TargetBlend {
            weight: rules.evaluation_weight,
            score_tenths,
        });
    }
    Ok(c)
}

/// Attaches the agency's report (PDF).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn upload_report(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (ev, p) = find_own_editable(conn, actor, id)?;
    if bytes.is_empty() {
        return Err(FieldErrors::single("file", "field.file_required"));
    }
    if super::orgs::sniff_document(bytes) != Some("application/pdf") {
        return Err(FieldErrors::single("file", "evaluation.report_pdf"));
    }
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id: p.id,
                report_id: None,
                evaluation_id: Some(ev.id),
                visit_id: None,
                change_id: None,
                kind: crate::domain::project::ProjectFileKind::EvaluationReport,
                filename: &filename,
                content_type: "application/pdf",
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        audit::append(
            c,
            Change::new(
                Some(actor),
                "evaluation.report_uploaded",
                "evaluation",
                ev.id,
            )
            .after(serde_json::json!({"file_id": fid, "filename": filename})),
        )?;
        Ok(fid)
    })
}

/// Problems that would stop the filing now.
#[tracing::instrument(skip_all)]
pub fn filing_problems(
    conn: &mut DbConn,
    ev: &EvaluationRow,
    p: &ProjectRow,
) -> Result<FieldErrors, AppError> {
    let rules = crate::db::rounds::find(conn, p.round_id)?.rules();
    let has_file = !projects::evaluation_files(conn, ev.id)?.is_empty();
    let mut e = evaluation::check_filing(
        &ev.content(),
        &rules.evaluation_criteria,
        rules.evaluation_score_step,
        has_file,
    );
    super::sampling::check_complete(conn, ev, &rules.sampling, &mut e)?;
    Ok(e)
}

/// What late materials do to the evaluation: recorded on acceptance; until then derived from
/// the milestone reports it covers ([`evaluation::covers`]), their due dates and when each was
/// first submitted, by the round's rule, as of today (Beijing).
#[tracing::instrument(skip_all)]
pub fn lateness(
    conn: &mut DbConn,
    ev: &EvaluationRow,
    p: &ProjectRow,
    rules: &RoundRules,
) -> Result<Lateness, AppError> {
    if ev.accepted() {
        return Ok(ev.lateness().unwrap_or_default());
    }
    let plan = crate::db::changes::plan(conn, p.id)?.1;
    let reports = projects::reports(conn, p.id)?;
    let midterm_due = match ev.stage {
        Stage::Midterm => None,
        Stage::Final => {
            evaluations::accepted_of(&evaluations::for_project(conn, p.id)?, Stage::Midterm)
                .map(|m| m.due_on)
        }
    };
    let materials: Vec<MaterialDue> = super::execution::milestones(&plan)
        .into_iter()
        .filter(|(_, due, _, _)| evaluation::covers(ev.stage, *due, ev.due_on, midterm_due))
        .map(|(i, due_on, title, _)| MaterialDue {
            title,
            due_on,
            submitted_at: reports
                .iter()
                .filter(|r| r.kind == ReportKind::Milestone && r.milestone_index == Some(i as i32))
                .filter_map(|r| r.submitted_at)
                .min(),
        })
        .collect();
    Ok(evaluation::lateness(
        &rules.late_materials,
        &materials,
        today(),
    ))
}

/// Submits the filing after checking it in full; the bureau's officers are emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn submit(conn: &mut DbConn, s: &Settings, actor: &Actor, id: i64) -> Result<(), AppError> {
    let (ev, p) = find_own_editable(conn, actor, id)?;
    filing_problems(conn, &ev, &p)?.into_result()?;
    db::write_tx(conn, |c| {
        if !evaluations::transition(c, id, ev.status, EvaluationStatus::Submitted)? {
            return Err(AppError::conflict("error.evaluation_frozen"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "evaluation.submitted", "evaluation", id)
                .after(serde_json::json!({"total_tenths": ev.content().total_tenths()})),
        )?;
        let link = format!("{}/evaluations/{id}", s.base_url);
        super::email_officers(c, p.bureau_id, |to| {
            mail::evaluation_submitted(to, &p.agreement_no, &ev.agency_name, &link, &s.base_url)
        })
    })
}

/// The officer's decision on a submitted evaluation.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub accept: bool,
    /// Required when returning.
    #[serde(default)]
    pub comment: String,
    /// A consequence other than the rule engine's (needs `override_reason`).
    #[serde(default)]
    pub override_consequence: Option<String>,
    #[serde(default)]
    pub override_reason: String,
    /// Deadline of a rectification, `YYYY-MM-DD` (default: 30 days).
    #[serde(default)]
    pub rectify_until: String,
}

/// What the rule engine decides for an evaluation as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    pub grade: String,
    /// The total the grade is read from (after any lateness deduction), tenths.
    pub total_tenths: i32,
    pub consequence: Consequence,
    pub renewal: Renewal,
}

/// The rule engine's grade and consequence for an evaluation as filed, with its lateness.
pub fn proposed(
    ev: &EvaluationRow,
    bands: &[crate::domain::round::GradeBand],
    late: &Lateness,
) -> Option<Proposed> {
    let c = ev.content();
    let g = evaluation::grade(&c, bands, late)?;
    let (consequence, renewal) =
        evaluation::consequence(ev.stage, ev.reevaluation, g.band_index, g.band);
    Some(Proposed {
        grade: g.band.name.clone(),
        total_tenths: g.total_tenths,
        consequence,
        renewal,
    })
}

/// Accepts (applying the consequence) or returns a submitted evaluation.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn review(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    input: &ReviewInput,
) -> Result<Consequence, AppError> {
    let (ev, p) = find_visible(conn, actor, id)?;
    policy::require(actor, Action::ManageRounds(p.bureau_id))?;
    if ev.status != EvaluationStatus::Submitted {
        return Err(AppError::conflict("error.evaluation_not_submitted"));
    }
    let round = crate::db::rounds::find(conn, p.round_id)?;
    let rules = round.rules();
    let evaluator = users::find(conn, ev.evaluator_id)?;
    let to_evaluator = Recipient::new(&evaluator.email, &evaluator.name, &evaluator.locale);
    let link = format!("{}/evaluations/{id}", s.base_url);
    if !input.accept {
        let comment = input.comment.trim();
        if comment.is_empty() {
            return Err(FieldErrors::single("comment", "field.required"));
        }
        limits::within("comment", comment, limits::REASON)?;
        return db::write_tx(conn, |c| {
            if !evaluations::transition(
                c,
                id,
                EvaluationStatus::Submitted,
                EvaluationStatus::Returned,
            )? {
                return Err(AppError::conflict("error.evaluation_not_submitted"));
            }
            evaluations::set_return_comment(c, id, comment)?;
            audit::append(
                c,
                Change::new(Some(actor), "evaluation.returned", "evaluation", id).reason(comment),
            )?;
            outbox::enqueue(
                c,
                &mail::evaluation_returned(
                    &to_evaluator,
                    &p.agreement_no,
                    comment,
                    ev.due_on,
                    &link,
                    &s.base_url,
                ),
            )?;
            Ok(Consequence::Rectify)
        })
        .map(|_| Consequence::Rectify);
    }
    let late = lateness(conn, &ev, &p, &rules)?;
    let Proposed {
        grade,
        total_tenths: total,
        consequence: engine,
        renewal,
    } = proposed(&ev, &rules.grade_bands, &late)
        .ok_or_else(|| AppError::Unexpected("no grade bands".into()))?;
    let late_reason = late.reason().map(|m| m.render(crate::i18n::Lang::Zh));
    let mut e = FieldErrors::new();
    limits::check(
        &mut e,
        "override_reason",
        &input.override_reason,
        limits::REASON,
    );
    let chosen = match input.override_consequence.as_deref().map(str::trim) {
        None | Some("") => engine,
        Some(o) => match Consequence::parse(o) {
            Some(c) if evaluation::allowed_at(ev.stage).contains(&c) => {
                if c != engine && input.override_reason.trim().is_empty() {
                    e.add("override_reason", Msg::new("decision.reason_required"));
                }
                c
            }
            _ => {
                e.add("override_consequence", Msg::new("field.choice_invalid"));
                engine
            }
        },
    };
    let rectify_until = if input.rectify_until.trim().is_empty() {
        today() + Duration::days(RECTIFY_DAYS)
    } else {
        match NaiveDate::parse_from_str(input.rectify_until.trim(), "%Y-%m-%d") {
            Ok(d) if d > today() => d,
            Ok(_) => {
                e.add("rectify_until", Msg::new("field.date_past"));
                today()
            }
            Err(_) => {
                e.add("rectify_until", Msg::new("field.date_invalid"));
                today()
            }
        }
    };
    e.into_result()?;
    let overridden = (chosen != engine).then(|| input.override_reason.trim().to_string());
    let renewal = if chosen == Consequence::Complete {
        renewal
    } else {
        Renewal::NoRenewal
    };
    let stage_condition = match ev.stage {
        Stage::Midterm => TrancheCondition::AfterMidterm,
        Stage::Final => TrancheCondition::AfterFinal,
    };
    db::write_tx(conn, |c| {
        if !evaluations::transition(
            c,
            id,
            EvaluationStatus::Submitted,
            EvaluationStatus::Accepted,
        )? {
            return Err(AppError::conflict("error.evaluation_not_submitted"));
        }
        evaluations::set_outcome(
            c,
            id,
            &evaluations::Outcome {
                total_tenths: total,
                grade: &grade,
                consequence: chosen.as_str(),
                renewal: renewal.as_str(),
                override_reason: overridden.as_deref(),
                lateness: &late,
            },
        )?;
        let tranches = projects::tranches(c, p.id)?;
        let set_stage_tranches = |c: &mut DbConn, to: TrancheStatus| -> Result<(), AppError> {
            for t in tranches.iter().filter(|t| t.condition == stage_condition) {
                for from in [
                    TrancheStatus::Pending,
                    TrancheStatus::Releasable,
                    TrancheStatus::Withheld,
                ] {
                    if from != to {
                        projects::set_tranche_status(c, t.id, from.as_str(), to.as_str())?;
                    }
                }
            }
            Ok(())
        };
        match chosen {
            Consequence::ReleaseMidterm => {
                projects::set_project_outcome(c, p.id, ProjectStatus::Active, None, None, None)?;
            }
            Consequence::Rectify => {
                set_stage_tranches(c, TrancheStatus::Withheld)?;
                projects::set_project_outcome(
                    c,
                    p.id,
                    ProjectStatus::Rectifying,
                    Some(rectify_until),
                    None,
                    None,
                )?;
            }
            Consequence::Terminate => {
                for t in &tranches {
                    for from in [
                        TrancheStatus::Pending,
                        TrancheStatus::Releasable,
                        TrancheStatus::Withheld,
                    ] {
                        projects::set_tranche_status(
                            c,
                            t.id,
                            from.as_str(),
                            TrancheStatus::Cancelled.as_str(),
                        )?;
                    }
                }
                projects::set_project_outcome(
                    c,
                    p.id,
                    ProjectStatus::Terminated,
                    None,
                    None,
                    None,
                )?;
                let paid: Fen = projects::payments(c, p.id)?
                    .iter()
                    .map(|x| Fen(x.amount_fen))
                    .sum();
                let plan = crate::db::changes::plan(c, p.id)?.1;
                let latest =
                    projects::latest_filed(&projects::reports(c, p.id)?).unwrap_or_default();
                let (spent, _) = latest.spent_by_source(&plan.budget);
                let owed = crate::domain::report::refund_owed(paid, spent);
                if owed.0 > 0 {
                    let note = crate::i18n::t(crate::i18n::Lang::Zh, "refund.owed_note");
                    projects::insert_refund(
                        c,
                        p.id,
                        RefundKind::Owed,
                        owed.0,
                        note,
                        Some(actor.id),
                    )?;
                }
            }
            Consequence::Complete => {
                projects::set_project_outcome(
                    c,
                    p.id,
                    ProjectStatus::Completed,
                    None,
                    Some(renewal.as_str()),
                    Some(&grade),
                )?;
            }
            Consequence::WithholdAndBar => {
                set_stage_tranches(c, TrancheStatus::Withheld)?;
                projects::set_project_outcome(
                    c,
                    p.id,
                    ProjectStatus::Failed,
                    None,
                    Some(Renewal::NoRenewal.as_str()),
                    Some(&grade),
                )?;
                let until = today()
                    .checked_add_months(Months::new(rules.fail_bar_months.max(0) as u32))
                    .unwrap_or_else(today);
                // Stored as its key, shown in the reader's language.
                let reason = "reason.final_evaluation_failed";
                let bar =
                    orgs::insert_bar(c, p.org_id, p.bureau_id, until, reason, Some(actor.id))?;
                audit::append(
                    c,
                    Change::new(Some(actor), "org.barred", "organization", p.org_id)
                        .reason(reason)
                        .after(serde_json::json!({"bar_id": bar, "bureau_id": p.bureau_id, "until": until})),
                )?;
            }
        }
        // Pending tranches whose condition now holds become releasable (the mid-term one
        // after a pass, the last one on completion).
        super::execution::refresh_tranches(c, p.id)?;
        let mut change = Change::new(Some(actor), "evaluation.accepted", "evaluation", id).after(
            serde_json::json!({"project_id": p.id, "total_tenths": total, "grade": grade, "engine": engine.as_str(),
                               "consequence": chosen.as_str(), "renewal": renewal.as_str(),
                               "lateness": late, "lateness_reason": late_reason}),
        );
        if let Some(r) = &overridden {
            change = change.reason(r);
        }
        audit::append(c, change)?;
        audit::append(
            c,
            Change::new(
                Some(actor),
                &format!("project.{}", chosen.as_str()),
                "project",
                p.id,
            )
            .after(serde_json::json!({"evaluation_id": id, "grade": grade})),
        )?;
        let project_link = format!("{}/projects/{}", s.base_url, p.id);
        let score = crate::domain::review::tenths_text(total);
        super::email_org(c, p.org_id, |to| {
            mail::evaluation_result(
                to,
                &p.agreement_no,
                crate::i18n::t(to.lang, stage_label(ev.stage, ev.reevaluation)),
                &grade,
                &score,
                crate::i18n::t(to.lang, chosen.label_key()),
                overridden.as_deref(),
                (chosen == Consequence::Rectify)
                    .then(|| rectify_until.to_string())
                    .as_deref(),
                &project_link,
                &s.base_url,
            )
        })?;
        outbox::enqueue(
            c,
            &mail::evaluation_accepted(&to_evaluator, &p.agreement_no, &grade, &link, &s.base_url),
        )?;
        // The summary states the evaluation as accepted (its grade, consequence and sample).
        super::documents::issue_summary(c, id, &s.base_url)?;
        if chosen == Consequence::Complete {
            super::documents::issue_certificate(c, p.id, &s.base_url)?;
        }
        Ok(chosen)
    })
}

/// Reminds evaluators once before the due date and once when overdue; an evaluator with
/// several due gets one digest listing them ([`super::reminders::queue`]). One read finds the
/// reminders due and not yet recorded; a write transaction opens only for those (each key is
/// recorded once, so several instances still send each reminder once).
#[tracing::instrument(skip_all)]
pub fn send_reminders(conn: &mut DbConn, s: &Settings) -> Result<usize, AppError> {
    use super::reminders::{Reminder, Who};
    let day = today();
    let open: Vec<_> = evaluations::open_before(conn, day + Duration::days(3))?
        .into_iter()
        .map(|(id, evaluator, project_id, due)| {
            let overdue = due < day;
            let kind = if overdue {
                "evaluation_overdue"
            } else {
                "evaluation_due_soon"
            };
            (
                format!("{kind}:{id}"),
                id,
                evaluator,
                project_id,
                due,
                overdue,
            )
        })
        .collect();
    let keys: Vec<String> = open.iter().map(|d| d.0.clone()).collect();
    let already = reviews::reminders_sent(conn, &keys)?;
    let mut due = Vec::new();
    for (key, id, evaluator, project_id, on, overdue) in open {
        if already.contains(&key) {
            continue;
        }
        let p = projects::project(conn, project_id)?;
        let link = format!("{}/evaluations/{id}", s.base_url);
        let base_url = s.base_url.clone();
        let (agreement_no, single_link) = (p.agreement_no.clone(), link.clone());
        due.push(Reminder {
            key,
            to: Who::User(evaluator),
            bureau_id: p.bureau_id,
            item: mail::DigestItem {
                what_key: "email.reminder_digest.evaluation",
                title: format!("{} · {}", p.agreement_no, p.title),
                due: on.to_string(),
                overdue,
                link,
            },
            single: Box::new(move |to: &Recipient| {
                mail::evaluation_reminder(
                    to,
                    &agreement_no,
                    &on.to_string(),
                    overdue,
                    &single_link,
                    &base_url,
                )
            }),
        });
    }
    super::reminders::queue(conn, s, due)
}

/// A refund received from a terminated project, as typed by the officer.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RefundInput {
    /// Yuan.
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

/// Records a refund received (追回) against what the project owes.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn record_refund(
    conn: &mut DbConn,
    actor: &Actor,
    project_id: i64,
    input: &RefundInput,
) -> Result<i64, AppError> {
    let p = projects::project(conn, project_id)?;
    policy::require(actor, Action::ManageRounds(p.bureau_id))?;
    limits::within("note", &input.note, limits::REASON)?;
    let amount =
        Fen::parse_yuan(&input.amount).map_err(|m| FieldErrors::single("amount", m.key()))?;
    db::write_tx(conn, |c| {
        let lines = projects::refunds(c, project_id)?;
        let sum = |kind: RefundKind| {
            lines
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| Fen(r.amount_fen))
                .sum::<Fen>()
        };
        let owed = sum(RefundKind::Owed);
        if owed.0 == 0 {
            return Err(AppError::conflict("error.nothing_owed"));
        }
        crate::domain::report::check_refund(amount, owed, sum(RefundKind::Paid)).map_err(|m| {
            let mut e = FieldErrors::new();
            e.add("amount", m);
            AppError::Validation(e)
        })?;
        let id = projects::insert_refund(
            c,
            project_id,
            RefundKind::Paid,
            amount.0,
            input.note.trim(),
            Some(actor.id),
        )?;
        audit::append(
            c,
            Change::new(
                Some(actor),
                "project.refund_received",
                "project",
                project_id,
            )
            .after(serde_json::json!({"amount_fen": amount.0, "note": input.note.trim()})),
        )?;
        Ok(id)
    })
}
