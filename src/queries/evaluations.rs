//! Evaluations as their readers see them: who reads which (`Action::ViewEvaluation`, asked
//! here for every list and page), the evaluator's assignments, the filing screen (page and
//! `GET /api/v1/evaluations/{id}`), the summary PDF's data, and the types the API lists.

use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::policy::{self, Action, Actor};
use crate::db::evaluations::{self, EvaluationRow};
use crate::db::projects::{self, FileMeta, ProjectRow};
use crate::db::DbConn;
use crate::domain::account::Role;
use crate::domain::evaluation::{EvaluationStatus, Lateness, Stage};
use crate::domain::report::ReportContent;
use crate::domain::round::RoundRules;
use crate::error::{AppError, FieldErrors};

/// Whether `actor`, who may read project `p`, may read its evaluation `e`.
pub fn visible(actor: &Actor, p: &ProjectRow, e: &EvaluationRow) -> bool {
    policy::allows(
        actor,
        Action::ViewEvaluation {
            bureau: p.bureau_id,
            evaluator: e.evaluator_id,
            accepted: e.accepted(),
        },
    )
}

/// The evaluations of project `p` (which `actor` may read) that `actor` may read, in the
/// order they were assigned.
pub fn of_project(
    c: &mut DbConn,
    actor: &Actor,
    p: &ProjectRow,
) -> Result<Vec<EvaluationRow>, AppError> {
    Ok(evaluations::for_project(c, p.id)?
        .into_iter()
        .filter(|e| visible(actor, p, e))
        .collect())
}

/// `GET /api/v1/projects/{id}/evaluations`: the evaluations of a project the actor may read.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn for_project(
    c: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<Vec<EvaluationSummary>, AppError> {
    let p = crate::ops::award::find_visible_project(c, actor, id)?;
    Ok(of_project(c, actor, &p)?
        .iter()
        .map(EvaluationSummary::from)
        .collect())
}

/// An evaluation in a project's list: who, when, and its outcome once accepted (the filing
/// itself is `GET /api/v1/evaluations/{id}`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationSummary {
    pub id: i64,
    pub project_id: i64,
    pub stage: Stage,
    /// A re-evaluation after rectification.
    pub reevaluation: bool,
    pub agency_org_id: i64,
    pub agency_name: String,
    pub evaluator_id: i64,
    pub evaluator_name: String,
    pub due_on: NaiveDate,
    pub status: EvaluationStatus,
    pub total_tenths: Option<i32>,
    pub grade: Option<String>,
    /// What followed its acceptance (`release_midterm`, `rectify`, `terminate`, `complete`,
    /// `withhold_and_bar`).
    pub consequence: Option<String>,
    /// The renewal it opened (`fast_track`, `normal`, `none`).
    pub renewal: Option<String>,
    /// What late materials did to it, recorded on acceptance.
    pub lateness: Option<Lateness>,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
}

impl From<&EvaluationRow> for EvaluationSummary {
    fn from(e: &EvaluationRow) -> Self {
        EvaluationSummary {
            id: e.id,
            project_id: e.project_id,
            stage: e.stage,
            reevaluation: e.reevaluation,
            agency_org_id: e.agency_org_id,
            agency_name: e.agency_name.clone(),
            evaluator_id: e.evaluator_id,
            evaluator_name: e.evaluator_name.clone(),
            due_on: e.due_on,
            status: e.status,
            total_tenths: e.total_tenths,
            grade: e.grade.clone(),
            consequence: e.consequence.clone(),
            renewal: e.renewal.clone(),
            lateness: e.lateness(),
            submitted_at: e.submitted_at,
            accepted_at: e.accepted_at,
        }
    }
}

/// An evaluation as the API shows it: the row's facts without its stored content (which
/// `GET /api/v1/evaluations/{id}` gives beside it as `content`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationItem {
    pub id: i64,
    pub project_id: i64,
    pub stage: Stage,
    /// A re-evaluation after rectification.
    pub reevaluation: bool,
    pub agency_org_id: i64,
    pub agency_name: String,
    pub evaluator_id: i64,
    pub evaluator_name: String,
    pub due_on: NaiveDate,
    pub status: EvaluationStatus,
    /// The version to send back when saving (a newer one on the server is a 409).
    pub version: i32,
    pub total_tenths: Option<i32>,
    pub grade: Option<String>,
    /// What followed its acceptance (`release_midterm`, `rectify`, `terminate`, `complete`,
    /// `withhold_and_bar`).
    pub consequence: Option<String>,
    /// The renewal it opened (`fast_track`, `normal`, `none`).
    pub renewal: Option<String>,
    /// Why the officer chose another consequence than the rule engine's.
    pub override_reason: Option<String>,
    /// The officer's comment when returning it.
    pub return_comment: Option<String>,
    /// What late materials did to it, recorded on acceptance.
    pub lateness: Option<Lateness>,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl From<&EvaluationRow> for EvaluationItem {
    fn from(e: &EvaluationRow) -> Self {
        EvaluationItem {
            id: e.id,
            project_id: e.project_id,
            stage: e.stage,
            reevaluation: e.reevaluation,
            agency_org_id: e.agency_org_id,
            agency_name: e.agency_name.clone(),
            evaluator_id: e.evaluator_id,
            evaluator_name: e.evaluator_name.clone(),
            due_on: e.due_on,
            status: e.status,
            version: e.version,
            total_tenths: e.total_tenths,
            grade: e.grade.clone(),
            consequence: e.consequence.clone(),
            renewal: e.renewal.clone(),
            override_reason: e.override_reason.clone(),
            return_comment: e.return_comment.clone(),
            lateness: e.lateness(),
            submitted_at: e.submitted_at,
            accepted_at: e.accepted_at,
            created_at: e.created_at,
        }
    }
}

/// An evaluator's assignment: the evaluation and the project's agreement number and title.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub ev: EvaluationRow,
    pub agreement_no: String,
    pub project_title: String,
}

/// The evaluator's assignments, newest first (the evaluator's list page and
/// `GET /api/v1/evaluations`); only evaluators have any.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn assignments(c: &mut DbConn, actor: &Actor) -> Result<Vec<Assignment>, AppError> {
    if actor.role != Role::Evaluator {
        return Err(AppError::Forbidden);
    }
    Ok(evaluations::for_evaluator(c, actor.id)?
        .into_iter()
        .map(|(ev, agreement_no, project_title)| Assignment {
            ev,
            agreement_no,
            project_title,
        })
        .collect())
}

/// An evaluation with what its screen needs: the page of the filing and the officer's
/// review, and `GET /api/v1/evaluations/{id}`.
#[derive(Debug, Clone)]
pub struct Filing {
    pub ev: EvaluationRow,
    pub project: ProjectRow,
    pub rules: RoundRules,
    pub files: Vec<FileMeta>,
    /// Cumulative figures of the project's latest filed report (what the evaluator verifies).
    pub latest: ReportContent,
    /// What the rule engine decides as filed: grade, total, consequence and renewal.
    pub proposed: Option<crate::ops::evaluation::Proposed>,
    /// The milestone reports it covers that were late, and what the round's rule does
    /// (derived until acceptance, then as recorded).
    pub lateness: Lateness,
    /// What would stop the filing now (empty once it is no longer editable).
    pub problems: FieldErrors,
    /// The actor is its evaluator and may still change it.
    pub can_edit: bool,
    /// The actor manages the project's round (reviews the evaluation).
    pub officer: bool,
    /// The call-back sample's estimates, once drawn (its `flagged` flags the evaluation for
    /// the officer).
    pub sample: Option<crate::domain::sample::Estimates>,
    /// The plan's performance targets with what the form pre-fills and what counts.
    pub targets: Vec<TargetFiling>,
    /// The targets' achievement at the values that count, by the round's tree.
    pub achievement: crate::domain::target::Achievement,
}

/// One performance target on the evaluation form.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TargetFiling {
    pub target: crate::domain::target::TargetLine,
    /// Pre-filled: the verified unique beneficiaries where the target follows them, else its
    /// actual in the latest accepted report.
    pub prefill: Option<i64>,
    /// The evaluator's own value, if given.
    pub achieved: Option<i64>,
    /// What counts: the evaluator's value, else the pre-filled one.
    pub value: Option<i64>,
}

/// The evaluation `id` if `actor` may read it, with its filing screen.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn filing(c: &mut DbConn, actor: &Actor, id: i64) -> Result<Filing, AppError> {
    let (ev, p) = crate::ops::evaluation::find_visible(c, actor, id)?;
    let rules = crate::db::rounds::find(c, p.round_id)?.rules();
    let files = projects::evaluation_files(c, id)?;
    let latest = projects::latest_filed(&projects::reports(c, p.id)?).unwrap_or_default();
    let problems = if ev.status.editable() {
        crate::ops::evaluation::filing_problems(c, &ev, &p)?
    } else {
        FieldErrors::new()
    };
    let lateness = crate::ops::evaluation::lateness(c, &ev, &p, &rules)?;
    let plan = crate::db::changes::plan(c, p.id)?.1;
    let content = ev.content();
    let (evaluated, achievement) =
        crate::ops::evaluation::evaluated_targets(c, &p, &plan, &content, &rules.targets)?;
    let targets = plan
        .targets
        .iter()
        .zip(evaluated)
        .map(|(t, (prefill, value))| TargetFiling {
            achieved: content
                .targets
                .iter()
                .find(|a| a.name == t.name)
                .and_then(|a| a.achieved),
            target: t.clone(),
            prefill,
            value,
        })
        .collect();
    let sample = crate::ops::sampling::brief(c, &ev, &rules.sampling)?.map(|(_, _, e)| e);
    Ok(Filing {
        targets,
        achievement,
        sample,
        proposed: crate::ops::evaluation::proposed(&ev, &rules.grade_bands, &lateness),
        lateness,
        officer: policy::allows(actor, Action::ManageRounds(p.bureau_id)),
        can_edit: actor.id == ev.evaluator_id && ev.status.editable(),
        ev,
        project: p,
        rules,
        files,
        latest,
        problems,
    })
}
