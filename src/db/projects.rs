//! Queries of the project aggregate: projects with their tranches and payments, progress
//! reports and files, and the figures the dashboards add up.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{counters, organizations, projects, rounds, tranches};
use super::{now, DbConn};
use crate::error::AppError;

/// The next agreement number of a year (never reused).
pub fn next_agreement_seq(conn: &mut DbConn, year: i32) -> Result<i64, AppError> {
    let name = format!("agreement:{year}");
    let bumped: Option<i64> = diesel::update(counters::table.find(&name))
        .set(counters::value.eq(counters::value + 1))
        .returning(counters::value)
        .get_result(conn)
        .optional()?;
    match bumped {
        Some(v) => Ok(v),
        None => {
            diesel::insert_into(counters::table)
                .values((counters::name.eq(&name), counters::value.eq(1i64)))
                .execute(conn)?;
            Ok(1)
        }
    }
}

pub struct NewProject<'a> {
    pub round_id: i64,
    pub proposal_id: i64,
    pub org_id: i64,
    pub agreement_no: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub grant_fen: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub fn insert_project(conn: &mut DbConn, p: &NewProject) -> Result<i64, AppError> {
    let at = now();
    Ok(diesel::insert_into(projects::table)
        .values((
            projects::round_id.eq(p.round_id),
            projects::proposal_id.eq(p.proposal_id),
            projects::org_id.eq(p.org_id),
            projects::agreement_no.eq(p.agreement_no),
            projects::title.eq(p.title),
            projects::category.eq(p.category),
            projects::grant_fen.eq(p.grant_fen),
            projects::status.eq("active"),
            projects::starts_on.eq(p.starts_on),
            projects::ends_on.eq(p.ends_on),
            projects::created_at.eq(at),
            projects::updated_at.eq(at),
        ))
        .returning(projects::id)
        .get_result(conn)?)
}

pub fn insert_tranche(
    conn: &mut DbConn,
    project_id: i64,
    seq: i32,
    share_bp: i64,
    condition: &str,
    amount_fen: i64,
) -> Result<(), AppError> {
    diesel::insert_into(tranches::table)
        .values((
            tranches::project_id.eq(project_id),
            tranches::seq.eq(seq),
            tranches::share_bp.eq(share_bp),
            tranches::condition.eq(condition),
            tranches::amount_fen.eq(amount_fen),
            tranches::status.eq("pending"),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectRow {
    pub id: i64,
    pub round_id: i64,
    pub proposal_id: i64,
    pub org_id: i64,
    pub agreement_no: String,
    pub title: String,
    pub category: String,
    pub grant_fen: i64,
    pub status: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub org_name: String,
    pub round_title: String,
    pub bureau_id: i64,
}

type ProjectCols = (
    projects::id,
    projects::round_id,
    projects::proposal_id,
    projects::org_id,
    projects::agreement_no,
    projects::title,
    projects::category,
    projects::grant_fen,
    projects::status,
    projects::starts_on,
    projects::ends_on,
    projects::created_at,
    organizations::name,
    rounds::title,
    rounds::bureau_id,
);
const PROJECT_COLS: ProjectCols = (
    projects::id,
    projects::round_id,
    projects::proposal_id,
    projects::org_id,
    projects::agreement_no,
    projects::title,
    projects::category,
    projects::grant_fen,
    projects::status,
    projects::starts_on,
    projects::ends_on,
    projects::created_at,
    organizations::name,
    rounds::title,
    rounds::bureau_id,
);

pub fn project(conn: &mut DbConn, id: i64) -> Result<ProjectRow, AppError> {
    Ok(projects::table
        .inner_join(organizations::table)
        .inner_join(rounds::table)
        .filter(projects::id.eq(id))
        .select(PROJECT_COLS)
        .first(conn)?)
}

pub fn project_of_proposal(conn: &mut DbConn, proposal_id: i64) -> Result<Option<i64>, AppError> {
    Ok(projects::table
        .filter(projects::proposal_id.eq(proposal_id))
        .select(projects::id)
        .first(conn)
        .optional()?)
}

/// Projects filtered by round, org or bureau, newest first.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub round_id: Option<i64>,
    pub org_id: Option<i64>,
    pub bureau_id: Option<i64>,
}

pub fn projects(conn: &mut DbConn, f: &ProjectFilter) -> Result<Vec<ProjectRow>, AppError> {
    let mut q = projects::table
        .inner_join(organizations::table)
        .inner_join(rounds::table)
        .select(PROJECT_COLS)
        .order(projects::id)
        .into_boxed();
    if let Some(r) = f.round_id {
        q = q.filter(projects::round_id.eq(r));
    }
    if let Some(o) = f.org_id {
        q = q.filter(projects::org_id.eq(o));
    }
    if let Some(b) = f.bureau_id {
        q = q.filter(rounds::bureau_id.eq(b));
    }
    Ok(q.load(conn)?)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct TrancheRow {
    pub id: i64,
    pub seq: i32,
    pub share_bp: i64,
    pub condition: String,
    pub amount_fen: i64,
    pub status: String,
}

pub fn tranches(conn: &mut DbConn, project_id: i64) -> Result<Vec<TrancheRow>, AppError> {
    Ok(tranches::table
        .filter(tranches::project_id.eq(project_id))
        .order(tranches::seq)
        .select((
            tranches::id,
            tranches::seq,
            tranches::share_bp,
            tranches::condition,
            tranches::amount_fen,
            tranches::status,
        ))
        .load(conn)?)
}

/// Organizations funded in a round (for the "no funding for last round's winners" rule).
pub fn funded_orgs(conn: &mut DbConn, round_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(projects::table
        .filter(projects::round_id.eq(round_id))
        .select(projects::org_id)
        .distinct()
        .load(conn)?)
}
