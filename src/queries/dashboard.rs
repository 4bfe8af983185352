//! What the bureau sees of its projects (DESIGN §2.5): totals of grants, payments, spending
//! and beneficiaries by group, and the projects at risk — per round or for the bureau.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::auth::policy::{self, Action, Actor};
use crate::db::projects::{self, ProjectFilter, ProjectRow, ReportRow};
use crate::db::{proposals, today, DbConn};
use crate::domain::money::Fen;
use crate::domain::project::ProjectStatus;
use crate::domain::proposal::ProposalContent;
use crate::domain::report::{self, BeneficiaryGroup, ProjectFigures, ReportContent};
use crate::error::AppError;

/// What the dashboard shows of a project.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DashboardProject {
    pub id: i64,
    pub round_id: i64,
    pub round_title: String,
    pub org_id: i64,
    pub org_name: String,
    pub agreement_no: String,
    pub title: String,
    pub category: String,
    pub grant_fen: i64,
    pub status: ProjectStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl From<ProjectRow> for DashboardProject {
    fn from(p: ProjectRow) -> Self {
        DashboardProject {
            id: p.id,
            round_id: p.round_id,
            round_title: p.round_title,
            org_id: p.org_id,
            org_name: p.org_name,
            agreement_no: p.agreement_no,
            title: p.title,
            category: p.category,
            grant_fen: p.grant_fen,
            status: p.status,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
        }
    }
}

/// One project on the dashboard.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectLine {
    pub project: DashboardProject,
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

/// The filed reports of some projects, indexed: the latest of each project (by period end,
/// then id) and which milestones have a filed report.
#[derive(Debug, Default)]
struct FiledReports<'a> {
    latest: HashMap<i64, &'a ReportRow>,
    milestones: HashSet<(i64, i32)>,
}

impl<'a> FiledReports<'a> {
    /// One pass over the reports, in any order.
    fn index(reports: &'a [ReportRow]) -> Self {
        let mut out = FiledReports::default();
        for r in reports.iter().filter(|r| r.status.filed()) {
            out.latest
                .entry(r.project_id)
                .and_modify(|cur| {
                    if (r.period_end, r.id) > (cur.period_end, cur.id) {
                        *cur = r;
                    }
                })
                .or_insert(r);
            if let Some(i) = r.milestone_index {
                out.milestones.insert((r.project_id, i));
            }
        }
        out
    }

    fn latest(&self, project_id: i64) -> Option<&'a ReportContent> {
        self.latest.get(&project_id).map(|r| &r.content_json.0)
    }

    fn milestone_filed(&self, project_id: i64, index: usize) -> bool {
        i32::try_from(index).is_ok_and(|i| self.milestones.contains(&(project_id, i)))
    }
}

/// Builds the dashboard of the given projects in a fixed number of queries.
#[tracing::instrument(skip_all)]
pub fn build(conn: &mut DbConn, rows: Vec<ProjectRow>) -> Result<Dashboard, AppError> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let proposal_ids: Vec<i64> = rows.iter().map(|p| p.proposal_id).collect();
    let mut plans: HashMap<i64, ProposalContent> = HashMap::new();
    for (id, json) in proposals::contents(conn, &proposal_ids)? {
        plans.entry(id).or_insert(json.0);
    }
    let reports = projects::reports_of(conn, &ids)?;
    let filed = FiledReports::index(&reports);
    let paid: HashMap<i64, i64> = projects::paid_totals(conn, &ids)?.into_iter().collect();
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
        let plan = plans.get(&p.proposal_id).unwrap_or(&empty);
        let last = filed.latest(p.id);
        let milestones: Vec<_> = crate::ops::execution::milestones(plan)
            .into_iter()
            .map(|(i, due, _, _)| (due, filed.milestone_filed(p.id, i)))
            .collect();
        let paid_fen = paid.get(&p.id).copied().unwrap_or(0);
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
            project: p.into(),
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
    crate::ops::rounds::find_managed(conn, actor, round_id)?;
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
    pub status: ProjectStatus,
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
    Ok((round, public_lines(conn, rows)?))
}

/// A page of the public results: the page's projects are read in SQL and only their figures
/// built. Not found when the round funded nothing.
#[tracing::instrument(skip_all, fields(round_id))]
pub fn public_results_page(
    conn: &mut DbConn,
    round_id: i64,
    page: crate::db::PageReq,
) -> Result<crate::db::Paged<PublicProject>, AppError> {
    let filter = ProjectFilter {
        round_id: Some(round_id),
        ..ProjectFilter::default()
    };
    let (list, _) = projects::projects_page(conn, &filter, page)?;
    if list.total == 0 {
        return Err(AppError::NotFound);
    }
    Ok(crate::db::Paged {
        items: public_lines(conn, list.items)?,
        total: list.total,
        page: list.page,
        per_page: list.per_page,
    })
}

fn public_lines(conn: &mut DbConn, rows: Vec<ProjectRow>) -> Result<Vec<PublicProject>, AppError> {
    Ok(build(conn, rows)?
        .lines
        .into_iter()
        .map(|l| PublicProject {
            agreement_no: l.project.agreement_no,
            org_name: l.project.org_name,
            title: l.project.title,
            category: l.project.category,
            grant_fen: l.project.grant_fen,
            status: l.project.status,
            unique_people: l.figures.unique_people,
            person_times: l.figures.person_times,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Json;
    use crate::domain::report::{GroupCount, ReportKind, ReportStatus};

    fn report(
        id: i64,
        project_id: i64,
        milestone: Option<i32>,
        period_end: &str,
        status: ReportStatus,
        people: i64,
    ) -> ReportRow {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let at = day("2026-01-01").and_hms_opt(0, 0, 0).unwrap();
        ReportRow {
            id,
            project_id,
            kind: if milestone.is_some() {
                ReportKind::Milestone
            } else {
                ReportKind::Monthly
            },
            milestone_index: milestone,
            period_start: day("2026-01-01"),
            period_end: day(period_end),
            due_on: day(period_end),
            status,
            content_json: Json(ReportContent {
                beneficiaries: vec![GroupCount {
                    group: "elderly".into(),
                    unique_people: people,
                    person_times: people,
                }],
                ..ReportContent::default()
            }),
            version: 1,
            submitted_at: None,
            reviewed_at: None,
            return_comment: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn people(f: &FiledReports, project: i64) -> Option<i64> {
        f.latest(project).map(|c| c.unique_of("elderly"))
    }

    #[test]
    fn the_latest_filed_report_of_each_project_wins_whatever_the_order() {
        use ReportStatus::*;
        let mut reports = vec![
            report(1, 10, Some(0), "2026-03-31", Accepted, 5),
            report(2, 10, Some(1), "2026-06-30", Submitted, 9),
            // A later draft and a returned report do not count.
            report(3, 10, Some(2), "2026-09-30", Draft, 99),
            report(4, 10, None, "2026-12-31", Returned, 98),
            // Same period end: the higher id is the later one.
            report(5, 20, None, "2026-04-30", Submitted, 1),
            report(6, 20, None, "2026-04-30", Accepted, 2),
            report(7, 30, Some(0), "2026-02-28", Draft, 7),
        ];
        for _ in 0..2 {
            let f = FiledReports::index(&reports);
            assert_eq!(people(&f, 10), Some(9));
            assert_eq!(people(&f, 20), Some(2));
            assert_eq!(people(&f, 30), None, "only a draft");
            assert_eq!(people(&f, 40), None, "no report at all");
            assert!(f.milestone_filed(10, 0) && f.milestone_filed(10, 1));
            assert!(!f.milestone_filed(10, 2), "a draft is not filed");
            assert!(!f.milestone_filed(20, 0) && !f.milestone_filed(30, 0));
            reports.reverse();
        }
    }
}
