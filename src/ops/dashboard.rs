//! What the bureau sees of its projects (DESIGN §2.5): totals of grants, payments, spending
//! and beneficiaries by group, and the projects at risk — per round or for the bureau.

use crate::auth::policy::{self, Action, Actor};
use crate::db::projects::{self, ProjectFilter, ProjectRow, ReportRow};
use crate::db::{proposals, today, DbConn};
use crate::domain::money::Fen;
use crate::domain::proposal::ProposalContent;
use crate::domain::report::{self, BeneficiaryGroup, ProjectFigures, ReportContent};
use crate::error::AppError;

/// One project on the dashboard.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectLine {
    pub project: ProjectRow,
    pub figures: ProjectFigures,
    pub at_risk: bool,
    /// Unique people per group, in [`BeneficiaryGroup::ALL`] order.
    pub groups: Vec<i64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub projects: usize,
    pub grant_fen: i64,
    pub paid_fen: i64,
    pub spent_grant_fen: i64,
    pub spent_matching_fen: i64,
    pub unique_people: i64,
    pub person_times: i64,
    pub at_risk: usize,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupTotal {
    pub group: String,
    pub unique_people: i64,
    pub person_times: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub lines: Vec<ProjectLine>,
    pub totals: Totals,
    pub groups: Vec<GroupTotal>,
}

/// The latest filed report of each project, by project id.
fn latest_by_project(reports: &[ReportRow]) -> Vec<(i64, ReportContent)> {
    let mut out: Vec<(i64, &ReportRow)> = Vec::new();
    for r in reports.iter().filter(|r| r.status.filed()) {
        match out.iter_mut().find(|(p, _)| *p == r.project_id) {
            Some((_, cur)) if (r.period_end, r.id) > (cur.period_end, cur.id) => *cur = r,
            Some(_) => {}
            None => out.push((r.project_id, r)),
        }
    }
    out.into_iter().map(|(p, r)| (p, r.content())).collect()
}

/// Builds the dashboard of the given projects in a fixed number of queries.
#[tracing::instrument(skip_all)]
pub fn build(conn: &mut DbConn, rows: Vec<ProjectRow>) -> Result<Dashboard, AppError> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let proposal_ids: Vec<i64> = rows.iter().map(|p| p.proposal_id).collect();
    let plans: Vec<(i64, ProposalContent)> = proposals::contents(conn, &proposal_ids)?
        .into_iter()
        .map(|(id, json)| (id, json.0))
        .collect();
    let reports = projects::reports_of(conn, &ids)?;
    let latest = latest_by_project(&reports);
    let paid = projects::paid_totals(conn, &ids)?;
    let day = today();
    let empty = ProposalContent::default();
    let mut totals = Totals::default();
    let mut groups: Vec<GroupTotal> = BeneficiaryGroup::ALL
        .iter()
        .map(|g| GroupTotal {
            group: g.as_str().to_string(),
            unique_people: 0,
            person_times: 0,
        })
        .collect();
    let mut lines = Vec::with_capacity(rows.len());
    for p in rows {
        let plan = plans
            .iter()
            .find(|(id, _)| *id == p.proposal_id)
            .map(|(_, c)| c)
            .unwrap_or(&empty);
        let last = latest.iter().find(|(id, _)| *id == p.id).map(|(_, c)| c);
        let milestones: Vec<_> = super::execution::milestones(plan)
            .into_iter()
            .map(|(i, due, _, _)| {
                let filed = reports.iter().any(|r| {
                    r.project_id == p.id && r.milestone_index == Some(i as i32) && r.status.filed()
                });
                (due, filed)
            })
            .collect();
        let paid_fen = paid
            .iter()
            .find(|(id, _)| *id == p.id)
            .map(|(_, f)| *f)
            .unwrap_or(0);
        let figures = report::project_figures(&plan.budget, last, &milestones, Fen(paid_fen), day);
        let per_group: Vec<i64> = BeneficiaryGroup::ALL
            .iter()
            .map(|g| last.map(|c| c.unique_of(g.as_str())).unwrap_or(0))
            .collect();
        if let Some(c) = last {
            for (g, t) in BeneficiaryGroup::ALL.iter().zip(groups.iter_mut()) {
                t.unique_people += c.unique_of(g.as_str());
                t.person_times += c
                    .beneficiaries
                    .iter()
                    .filter(|b| b.group == g.as_str())
                    .map(|b| b.person_times)
                    .sum::<i64>();
            }
        }
        totals.projects += 1;
        totals.grant_fen = totals.grant_fen.saturating_add(p.grant_fen);
        totals.paid_fen = totals.paid_fen.saturating_add(figures.paid.0);
        totals.spent_grant_fen = totals.spent_grant_fen.saturating_add(figures.spent_grant.0);
        totals.spent_matching_fen = totals
            .spent_matching_fen
            .saturating_add(figures.spent_matching.0);
        totals.unique_people += figures.unique_people;
        totals.person_times += figures.person_times;
        let at_risk = figures.at_risk();
        if at_risk {
            totals.at_risk += 1;
        }
        lines.push(ProjectLine {
            project: p,
            figures,
            at_risk,
            groups: per_group,
        });
    }
    Ok(Dashboard {
        lines,
        totals,
        groups,
    })
}

/// The dashboard of one round, for its bureau's officers.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn for_round(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<Dashboard, AppError> {
    super::rounds::find_managed(conn, actor, round_id)?;
    let rows = projects::projects(
        conn,
        &ProjectFilter {
            round_id: Some(round_id),
            ..ProjectFilter::default()
        },
    )?;
    build(conn, rows)
}

/// The dashboard of every project of the officer's bureau.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn for_bureau(conn: &mut DbConn, actor: &Actor) -> Result<Dashboard, AppError> {
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(bureau))?;
    let rows = projects::projects(
        conn,
        &ProjectFilter {
            bureau_id: Some(bureau),
            ..ProjectFilter::default()
        },
    )?;
    build(conn, rows)
}

/// What anyone may see of an awarded round's projects (三务公开): org, title, grant,
/// status and beneficiaries served so far.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicProject {
    pub agreement_no: String,
    pub org_name: String,
    pub title: String,
    pub category: String,
    pub grant_fen: i64,
    pub status: String,
    pub unique_people: i64,
    pub person_times: i64,
}

#[tracing::instrument(skip_all, fields(round_id))]
pub fn public_results(
    conn: &mut DbConn,
    round_id: i64,
) -> Result<(crate::db::rounds::RoundRow, Vec<PublicProject>), AppError> {
    let round = crate::db::rounds::find(conn, round_id)?;
    let rows = projects::projects(
        conn,
        &ProjectFilter {
            round_id: Some(round_id),
            ..ProjectFilter::default()
        },
    )?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let d = build(conn, rows)?;
    Ok((
        round,
        d.lines
            .into_iter()
            .map(|l| PublicProject {
                agreement_no: l.project.agreement_no,
                org_name: l.project.org_name,
                title: l.project.title,
                category: l.project.category,
                grant_fen: l.project.grant_fen,
                status: l.project.status.to_string(),
                unique_people: l.figures.unique_people,
                person_times: l.figures.person_times,
            })
            .collect(),
    ))
}
