//! Evaluations as their readers see them: who reads which (`Action::ViewEvaluation`, asked
//! here for every list and page), and the summary the API lists.

use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::policy::{self, Action, Actor};
use crate::db::evaluations::{self, EvaluationRow};
use crate::db::projects::ProjectRow;
use crate::db::DbConn;
use crate::domain::evaluation::{EvaluationStatus, Stage};
use crate::error::AppError;

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
            submitted_at: e.submitted_at,
            accepted_at: e.accepted_at,
        }
    }
}
