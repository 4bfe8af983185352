//! Queries of the evaluation aggregate: assignments of agencies and evaluators to
//! projects, the filings, and their acceptance.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{evaluations, organizations, projects, users};
use super::{now, DbConn, Json};
use crate::domain::evaluation::{EvaluationContent, EvaluationStatus, Lateness, Stage};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct EvaluationRow {
    pub id: i64,
    pub project_id: i64,
    /// `midterm` or `final`.
    pub stage: Stage,
    /// A re-evaluation after rectification.
    pub reevaluation: bool,
    pub agency_org_id: i64,
    pub evaluator_id: i64,
    pub due_on: NaiveDate,
    /// `assigned`, `submitted`, `returned` or `accepted`.
    pub status: EvaluationStatus,
    #[schema(value_type = Object)]
    pub content_json: Json<EvaluationContent>,
    pub version: i32,
    pub total_tenths: Option<i32>,
    pub grade: Option<String>,
    pub consequence: Option<String>,
    pub renewal: Option<String>,
    pub override_reason: Option<String>,
    pub return_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// What late materials did to it, as the rule engine found it on acceptance.
    #[schema(value_type = Option<Object>)]
    pub lateness_json: Option<Json<Lateness>>,
    pub agency_name: String,
    pub evaluator_name: String,
}

impl EvaluationRow {
    pub fn content(&self) -> EvaluationContent {
        self.content_json.0.clone()
    }
    pub fn accepted(&self) -> bool {
        self.status == EvaluationStatus::Accepted
    }
    /// The lateness recorded on acceptance.
    pub fn lateness(&self) -> Option<Lateness> {
        self.lateness_json.as_ref().map(|j| j.0.clone())
    }
}

/// The accepted evaluation of a stage that stands, among a project's evaluations (in id
/// order): the latest, as a re-evaluation replaces the one that asked for rectification.
pub fn accepted_of(rows: &[EvaluationRow], stage: Stage) -> Option<&EvaluationRow> {
    rows.iter().rfind(|e| e.stage == stage && e.accepted())
}

/// The accepted final evaluation of a project, if any.
pub fn accepted_final(
    conn: &mut DbConn,
    project_id: i64,
) -> Result<Option<EvaluationRow>, AppError> {
    Ok(accepted_of(&for_project(conn, project_id)?, Stage::Final).cloned())
}

type Cols = (
    evaluations::id,
    evaluations::project_id,
    evaluations::stage,
    evaluations::reevaluation,
    evaluations::agency_org_id,
    evaluations::evaluator_id,
    evaluations::due_on,
    evaluations::status,
    evaluations::content_json,
    evaluations::version,
    evaluations::total_tenths,
    evaluations::grade,
    evaluations::consequence,
    evaluations::renewal,
    evaluations::override_reason,
    evaluations::return_comment,
    evaluations::submitted_at,
    evaluations::accepted_at,
    evaluations::created_at,
    evaluations::lateness_json,
    organizations::name,
    users::name,
);
const COLS: Cols = (
    evaluations::id,
    evaluations::project_id,
    evaluations::stage,
    evaluations::reevaluation,
    evaluations::agency_org_id,
    evaluations::evaluator_id,
    evaluations::due_on,
    evaluations::status,
    evaluations::content_json,
    evaluations::version,
    evaluations::total_tenths,
    evaluations::grade,
    evaluations::consequence,
    evaluations::renewal,
    evaluations::override_reason,
    evaluations::return_comment,
    evaluations::submitted_at,
    evaluations::accepted_at,
    evaluations::created_at,
    evaluations::lateness_json,
    organizations::name,
    users::name,
);

pub fn find(conn: &mut DbConn, id: i64) -> Result<EvaluationRow, AppError> {
    Ok(evaluations::table
        .inner_join(organizations::table.on(organizations::id.eq(evaluations::agency_org_id)))
        .inner_join(users::table.on(users::id.eq(evaluations::evaluator_id)))
        .filter(evaluations::id.eq(id))
        .select(COLS)
        .first(conn)?)
}

pub fn for_project(conn: &mut DbConn, project_id: i64) -> Result<Vec<EvaluationRow>, AppError> {
    Ok(evaluations::table
        .inner_join(organizations::table.on(organizations::id.eq(evaluations::agency_org_id)))
        .inner_join(users::table.on(users::id.eq(evaluations::evaluator_id)))
        .filter(evaluations::project_id.eq(project_id))
        .order(evaluations::id)
        .select(COLS)
        .load(conn)?)
}

/// An accepted final evaluation: (project id, total tenths, grade).
pub type AcceptedFinal = (i64, Option<i32>, Option<String>);

/// The accepted final evaluations of the given projects, oldest first. The last one of a
/// project is its final result.
pub fn accepted_finals(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<Vec<AcceptedFinal>, AppError> {
    Ok(evaluations::table
        .filter(evaluations::project_id.eq_any(project_ids))
        .filter(evaluations::stage.eq(Stage::Final.as_str()))
        .filter(evaluations::status.eq(EvaluationStatus::Accepted.as_str()))
        .order(evaluations::id)
        .select((
            evaluations::project_id,
            evaluations::total_tenths,
            evaluations::grade,
        ))
        .load(conn)?)
}

/// An evaluator's assignments, newest first, with the project's agreement number and title.
pub fn for_evaluator(
    conn: &mut DbConn,
    evaluator_id: i64,
) -> Result<Vec<(EvaluationRow, String, String)>, AppError> {
    let rows: Vec<EvaluationRow> = evaluations::table
        .inner_join(organizations::table.on(organizations::id.eq(evaluations::agency_org_id)))
        .inner_join(users::table.on(users::id.eq(evaluations::evaluator_id)))
        .filter(evaluations::evaluator_id.eq(evaluator_id))
        .order(evaluations::id.desc())
        .select(COLS)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let names: std::collections::HashMap<i64, (String, String)> = projects::table
        .filter(projects::id.eq_any(&ids))
        .select((projects::id, projects::agreement_no, projects::title))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, a, t)| (id, (a, t)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let (a, t) = names.get(&r.project_id).cloned().unwrap_or_default();
            (r, a, t)
        })
        .collect())
}

/// A page of an evaluator's assignments, newest first.
pub fn for_evaluator_page(
    conn: &mut DbConn,
    evaluator_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<EvaluationRow>, AppError> {
    let total: i64 = evaluations::table
        .filter(evaluations::evaluator_id.eq(evaluator_id))
        .count()
        .get_result(conn)?;
    let items = evaluations::table
        .inner_join(organizations::table.on(organizations::id.eq(evaluations::agency_org_id)))
        .inner_join(users::table.on(users::id.eq(evaluations::evaluator_id)))
        .filter(evaluations::evaluator_id.eq(evaluator_id))
        .order(evaluations::id.desc())
        .select(COLS)
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(page.paged(items, total))
}

pub struct NewEvaluation {
    pub project_id: i64,
    pub stage: Stage,
    pub reevaluation: bool,
    pub agency_org_id: i64,
    pub evaluator_id: i64,
    pub due_on: NaiveDate,
    pub assigned_by: i64,
    pub content: EvaluationContent,
}

pub fn insert(conn: &mut DbConn, e: &NewEvaluation) -> Result<i64, AppError> {
    let at = now();
    Ok(diesel::insert_into(evaluations::table)
        .values((
            evaluations::project_id.eq(e.project_id),
            evaluations::stage.eq(e.stage.as_str()),
            evaluations::reevaluation.eq(e.reevaluation),
            evaluations::agency_org_id.eq(e.agency_org_id),
            evaluations::evaluator_id.eq(e.evaluator_id),
            evaluations::due_on.eq(e.due_on),
            evaluations::status.eq(EvaluationStatus::Assigned.as_str()),
            evaluations::content_json.eq(serde_json::to_string(&e.content).expect("serializes")),
            evaluations::version.eq(1),
            evaluations::assigned_by.eq(e.assigned_by),
            evaluations::created_at.eq(at),
            evaluations::updated_at.eq(at),
        ))
        .returning(evaluations::id)
        .get_result(conn)?)
}

/// Saves the filing if the version is still `version`; false on a conflict.
pub fn save(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    content: &EvaluationContent,
) -> Result<bool, AppError> {
    let n = diesel::update(
        evaluations::table
            .find(id)
            .filter(evaluations::version.eq(version)),
    )
    .set((
        evaluations::content_json.eq(serde_json::to_string(content).expect("serializes")),
        evaluations::version.eq(evaluations::version + 1),
        evaluations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Moves an evaluation from `from` to `to`; false when it was no longer in `from`.
pub fn transition(
    conn: &mut DbConn,
    id: i64,
    from: EvaluationStatus,
    to: EvaluationStatus,
) -> Result<bool, AppError> {
    let at = now();
    let n = diesel::update(
        evaluations::table
            .find(id)
            .filter(evaluations::status.eq(from.as_str())),
    )
    .set((
        evaluations::status.eq(to.as_str()),
        evaluations::version.eq(evaluations::version + 1),
        evaluations::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n == 1 && to == EvaluationStatus::Submitted {
        diesel::update(evaluations::table.find(id))
            .set(evaluations::submitted_at.eq(Some(at)))
            .execute(conn)?;
    }
    Ok(n == 1)
}

pub fn set_return_comment(conn: &mut DbConn, id: i64, comment: &str) -> Result<(), AppError> {
    diesel::update(evaluations::table.find(id))
        .set(evaluations::return_comment.eq(Some(comment)))
        .execute(conn)?;
    Ok(())
}

/// What an accepted evaluation comes to.
pub struct Outcome<'a> {
    pub total_tenths: i32,
    pub grade: &'a str,
    pub consequence: &'a str,
    pub renewal: &'a str,
    pub override_reason: Option<&'a str>,
    pub lateness: &'a Lateness,
}

/// Records the outcome of an accepted evaluation.
pub fn set_outcome(conn: &mut DbConn, id: i64, o: &Outcome) -> Result<(), AppError> {
    diesel::update(evaluations::table.find(id))
        .set((
            evaluations::total_tenths.eq(Some(o.total_tenths)),
            evaluations::grade.eq(Some(o.grade)),
            evaluations::consequence.eq(Some(o.consequence)),
            evaluations::renewal.eq(Some(o.renewal)),
            evaluations::override_reason.eq(o.override_reason),
            evaluations::lateness_json
                .eq(Some(serde_json::to_string(o.lateness).expect("serializes"))),
            evaluations::accepted_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Open evaluations (assigned or returned) due before `by`: (id, evaluator, project id,
/// due).
pub fn open_before(
    conn: &mut DbConn,
    by: NaiveDate,
) -> Result<Vec<(i64, i64, i64, NaiveDate)>, AppError> {
    Ok(evaluations::table
        .filter(evaluations::due_on.le(by))
        .filter(evaluations::status.eq_any([
            EvaluationStatus::Assigned.as_str(),
            EvaluationStatus::Returned.as_str(),
        ]))
        .select((
            evaluations::id,
            evaluations::evaluator_id,
            evaluations::project_id,
            evaluations::due_on,
        ))
        .load(conn)?)
}

/// The evaluator is assigned to an evaluation of the project.
pub fn evaluates_project(
    conn: &mut DbConn,
    evaluator_id: i64,
    project_id: i64,
) -> Result<bool, AppError> {
    let n: i64 = evaluations::table
        .filter(evaluations::evaluator_id.eq(evaluator_id))
        .filter(evaluations::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The evaluator is assigned to an evaluation of the project of this proposal.
pub fn evaluates_proposal(
    conn: &mut DbConn,
    evaluator_id: i64,
    proposal_id: i64,
) -> Result<bool, AppError> {
    let n: i64 = evaluations::table
        .inner_join(projects::table)
        .filter(evaluations::evaluator_id.eq(evaluator_id))
        .filter(projects::proposal_id.eq(proposal_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Active evaluators with their agency: (user id, name, agency org id, agency name).
pub fn evaluators(conn: &mut DbConn) -> Result<Vec<(i64, String, i64, String)>, AppError> {
    let rows: Vec<(i64, String, Option<i64>)> = users::table
        .filter(users::role.eq("evaluator"))
        .filter(users::status.eq("active"))
        .order(users::id)
        .select((users::id, users::name, users::org_id))
        .load(conn)?;
    let org_ids: Vec<i64> = rows.iter().filter_map(|r| r.2).collect();
    let orgs: Vec<(i64, String)> = organizations::table
        .filter(organizations::id.eq_any(&org_ids))
        .filter(organizations::kind.eq("agency"))
        .select((organizations::id, organizations::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, org)| {
            let org = org?;
            let (_, agency) = orgs.iter().find(|(o, _)| *o == org)?;
            Some((id, name, org, agency.clone()))
        })
        .collect())
}
