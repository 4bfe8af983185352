//! Change requests (项目变更) of projects, and the versions of a project's plan.
//!
//! The plan in force is the latest row of `plan_versions` for the project, or the proposal's
//! content while no change has applied (version 1 is the proposal as awarded, written when the
//! first change applies). Everything that follows the plan — reports, reminders, due dates,
//! figures — reads it through [`plan`] or [`plans_of`].

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{change_requests, plan_versions, projects, proposals};
use super::types::Json;
use super::{now, DbConn};
use crate::domain::change::{ChangeKind, ChangeStatus, ChangeValues};
use crate::domain::proposal::ProposalContent;
use crate::error::AppError;

/// A change request as stored.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeRow {
    pub id: i64,
    pub project_id: i64,
    pub kind: ChangeKind,
    pub status: ChangeStatus,
    pub reason: String,
    /// What the organization asked for.
    #[schema(value_type = ChangeValues)]
    pub proposed: Json<ChangeValues>,
    /// What applied (the proposal, or the officer's edited values); none unless applied.
    #[schema(value_type = Option<ChangeValues>)]
    pub applied: Option<Json<ChangeValues>>,
    pub decision_reason: Option<String>,
    pub filed_by: i64,
    pub filed_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    /// The plan version this change made.
    pub plan_version: Option<i32>,
    /// The version of the project's supplement agreement (补充协议) listing this change.
    pub supplement_no: Option<i32>,
}

type Cols = (
    change_requests::id,
    change_requests::project_id,
    change_requests::kind,
    change_requests::status,
    change_requests::reason,
    change_requests::proposed_json,
    change_requests::applied_json,
    change_requests::decision_reason,
    change_requests::filed_by,
    change_requests::filed_at,
    change_requests::decided_by,
    change_requests::decided_at,
    change_requests::plan_version,
    change_requests::supplement_no,
);
const COLS: Cols = (
    change_requests::id,
    change_requests::project_id,
    change_requests::kind,
    change_requests::status,
    change_requests::reason,
    change_requests::proposed_json,
    change_requests::applied_json,
    change_requests::decision_reason,
    change_requests::filed_by,
    change_requests::filed_at,
    change_requests::decided_by,
    change_requests::decided_at,
    change_requests::plan_version,
    change_requests::supplement_no,
);

fn json(v: &ChangeValues) -> String {
    serde_json::to_string(v).expect("serializes")
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<ChangeRow, AppError> {
    Ok(change_requests::table.find(id).select(COLS).first(conn)?)
}

/// The change requests of a project, newest first.
pub fn of_project(conn: &mut DbConn, project_id: i64) -> Result<Vec<ChangeRow>, AppError> {
    Ok(change_requests::table
        .filter(change_requests::project_id.eq(project_id))
        .order(change_requests::id.desc())
        .select(COLS)
        .load(conn)?)
}

/// The open request of a kind of a project, if any.
pub fn open_of_kind(
    conn: &mut DbConn,
    project_id: i64,
    kind: ChangeKind,
) -> Result<Option<i64>, AppError> {
    Ok(change_requests::table
        .filter(change_requests::project_id.eq(project_id))
        .filter(change_requests::kind.eq(kind))
        .filter(change_requests::status.eq(ChangeStatus::Open))
        .select(change_requests::id)
        .first(conn)
        .optional()?)
}

/// How many extensions of a project have applied.
pub fn applied_extensions(conn: &mut DbConn, project_id: i64) -> Result<i64, AppError> {
    let applied: Vec<&str> = ChangeStatus::ALL
        .iter()
        .filter(|s| s.applied())
        .map(|s| s.as_str())
        .collect();
    Ok(change_requests::table
        .filter(change_requests::project_id.eq(project_id))
        .filter(change_requests::kind.eq(ChangeKind::Extension))
        .filter(change_requests::status.eq_any(applied))
        .count()
        .get_result(conn)?)
}

pub struct NewChange<'a> {
    pub project_id: i64,
    pub status: ChangeStatus,
    pub reason: &'a str,
    pub proposed: &'a ChangeValues,
    pub filed_by: i64,
}

pub fn insert(conn: &mut DbConn, c: &NewChange) -> Result<i64, AppError> {
    Ok(diesel::insert_into(change_requests::table)
        .values((
            change_requests::project_id.eq(c.project_id),
            change_requests::kind.eq(c.proposed.kind()),
            change_requests::status.eq(c.status),
            change_requests::reason.eq(c.reason),
            change_requests::proposed_json.eq(json(c.proposed)),
            change_requests::filed_by.eq(c.filed_by),
            change_requests::filed_at.eq(now()),
        ))
        .returning(change_requests::id)
        .get_result(conn)?)
}

/// Moves an open request to `to` (a decision or a withdrawal); false if it was not open any
/// more (another decision came first).
pub fn close(
    conn: &mut DbConn,
    id: i64,
    to: ChangeStatus,
    by: i64,
    reason: Option<&str>,
) -> Result<bool, AppError> {
    let n = diesel::update(
        change_requests::table
            .filter(change_requests::id.eq(id))
            .filter(change_requests::status.eq(ChangeStatus::Open)),
    )
    .set((
        change_requests::status.eq(to),
        change_requests::decided_by.eq(Some(by)),
        change_requests::decided_at.eq(Some(now())),
        change_requests::decision_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records what applied, the plan version it made and its supplement's version.
pub fn mark_applied(
    conn: &mut DbConn,
    id: i64,
    applied: &ChangeValues,
    plan_version: i32,
    supplement_no: i32,
) -> Result<(), AppError> {
    diesel::update(change_requests::table.find(id))
        .set((
            change_requests::applied_json.eq(Some(json(applied))),
            change_requests::plan_version.eq(Some(plan_version)),
            change_requests::supplement_no.eq(Some(supplement_no)),
        ))
        .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Plan versions
// ---------------------------------------------------------------------------------------

/// One version of a project's plan.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct PlanVersionRow {
    pub version: i32,
    #[schema(value_type = ProposalContent)]
    pub content: Json<ProposalContent>,
    /// The change request that made it (none for version 1, the award).
    pub change_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Every stored version of a project's plan, oldest first (empty while no change applied).
pub fn plan_versions(conn: &mut DbConn, project_id: i64) -> Result<Vec<PlanVersionRow>, AppError> {
    Ok(plan_versions::table
        .filter(plan_versions::project_id.eq(project_id))
        .order(plan_versions::version)
        .select((
            plan_versions::version,
            plan_versions::content_json,
            plan_versions::change_id,
            plan_versions::created_at,
        ))
        .load(conn)?)
}

/// The plan in force of a project, with its version (1: as awarded).
pub fn plan(conn: &mut DbConn, project_id: i64) -> Result<(i32, ProposalContent), AppError> {
    let latest: Option<(i32, Json<ProposalContent>)> = plan_versions::table
        .filter(plan_versions::project_id.eq(project_id))
        .order(plan_versions::version.desc())
        .select((plan_versions::version, plan_versions::content_json))
        .first(conn)
        .optional()?;
    if let Some((v, c)) = latest {
        return Ok((v, c.0));
    }
    let awarded: Json<ProposalContent> = projects::table
        .inner_join(proposals::table)
        .filter(projects::id.eq(project_id))
        .select(proposals::content_json)
        .first(conn)?;
    Ok((1, awarded.0))
}

/// The plans in force of many projects at once, by project id, in a few queries.
pub fn plans_of(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<HashMap<i64, ProposalContent>, AppError> {
    let mut out: HashMap<i64, (i32, ProposalContent)> = HashMap::new();
    for chunk in project_ids.chunks(500) {
        let changed: Vec<(i64, i32, Json<ProposalContent>)> = plan_versions::table
            .filter(plan_versions::project_id.eq_any(chunk))
            .select((
                plan_versions::project_id,
                plan_versions::version,
                plan_versions::content_json,
            ))
            .load(conn)?;
        for (id, v, c) in changed {
            if out.get(&id).is_none_or(|(have, _)| *have < v) {
                out.insert(id, (v, c.0));
            }
        }
        let missing: Vec<i64> = chunk
            .iter()
            .copied()
            .filter(|id| !out.contains_key(id))
            .collect();
        if !missing.is_empty() {
            let awarded: Vec<(i64, Json<ProposalContent>)> = projects::table
                .inner_join(proposals::table)
                .filter(projects::id.eq_any(&missing))
                .select((projects::id, proposals::content_json))
                .load(conn)?;
            for (id, c) in awarded {
                out.insert(id, (1, c.0));
            }
        }
    }
    Ok(out.into_iter().map(|(id, (_, c))| (id, c)).collect())
}

/// Stores `content` as the next version of a project's plan (writing version 1, the plan as
/// awarded, first if no version is stored yet); returns the new version.
pub fn add_plan_version(
    conn: &mut DbConn,
    project_id: i64,
    content: &ProposalContent,
    change_id: i64,
) -> Result<i32, AppError> {
    let (current, awarded) = plan(conn, project_id)?;
    let stored: i64 = plan_versions::table
        .filter(plan_versions::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    let mut insert = |version: i32, c: &ProposalContent, change: Option<i64>| {
        diesel::insert_into(plan_versions::table)
            .values((
                plan_versions::project_id.eq(project_id),
                plan_versions::version.eq(version),
                plan_versions::content_json.eq(serde_json::to_string(c).expect("serializes")),
                plan_versions::change_id.eq(change),
                plan_versions::created_at.eq(now()),
            ))
            .execute(conn)
    };
    if stored == 0 {
        insert(1, &awarded, None)?;
    }
    insert(current + 1, content, Some(change_id))?;
    Ok(current + 1)
}

/// Moves a project's end date (an extension applied), in the caller's transaction.
pub fn set_end_date(
    conn: &mut DbConn,
    project_id: i64,
    ends_on: chrono::NaiveDate,
) -> Result<(), AppError> {
    diesel::update(projects::table.find(project_id))
        .set((
            projects::ends_on.eq(ends_on),
            projects::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
