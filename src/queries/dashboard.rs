//! What the bureau sees of its projects (DESIGN §2.5): totals of grants, payments, spending
//! and beneficiaries by group, and the projects at risk — per round or for the bureau.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::auth::policy::{self, Action, Actor};
use crate::db::projects::{self, ProjectFilter, ProjectRow};
use crate::db::{today, DbConn};
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
    /// What needs the bureau's attention (`Trouble::ALL` order).
    pub troubles: Vec<crate::domain::project::Trouble>,
    /// Unique people per group, in [`BeneficiaryGroup::ALL`] order.
    pub groups: Vec<i64>,
    /// Its performance targets met and declared, from the stored figures.
    pub targets: TargetSummary,
}

/// A project's performance targets in short: how many are met (by the latest accepted
/// report) of how many declared, and the achievement score (tenths).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TargetSummary {
    pub met: i32,
    pub total: i32,
    pub score_tenths: Option<i32>,
}

impl TargetSummary {
    /// The share met, whole percent (rounded down); none without targets.
    pub fn met_pct(&self) -> Option<i32> {
        (self.total > 0).then(|| self.met * 100 / self.total)
    }
}

pub use crate::db::projects::{GroupTotal, Totals};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// One page of the project table (every project for an export).
    pub lines: Vec<ProjectLine>,
    /// Projects in the table over all pages (with its status filter).
    pub total_lines: i64,
    pub page: i64,
    pub per_page: i64,
    /// Over every project of the round or bureau, whatever the table's page and filter.
    pub totals: Totals,
    pub groups: Vec<GroupTotal>,
}

/// The project lines of some projects with their figures, in a fixed number of queries: only
/// the latest filed report of each project (chosen in SQL) is read.
fn lines_of(
    conn: &mut DbConn,
    rows: Vec<ProjectRow>,
) -> Result<(Vec<ProjectLine>, HashMap<i64, ReportContent>), AppError> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let plans: HashMap<i64, ProposalContent> = crate::db::changes::plans_of(conn, &ids)?;
    let latest: HashMap<i64, ReportContent> = projects::latest_filed_of(conn, &ids)?
        .into_iter()
        .map(|r| (r.project_id, r.content_json.0))
        .collect();
    let filed: HashSet<(i64, i32)> = projects::filed_milestones(conn, &ids)?
        .into_iter()
        .collect();
    let paid: HashMap<i64, i64> = projects::paid_totals(conn, &ids)?.into_iter().collect();
    let withheld = projects::with_withheld_tranche(conn, &ids)?;
    let day = today();
    let rectify_late = crate::db::visits::with_overdue_findings(conn, &ids, day)?;
    let targets: HashMap<i64, TargetSummary> = projects::target_summaries(conn, &ids)?
        .into_iter()
        .map(|(id, met, total, score_tenths)| {
            (
                id,
                TargetSummary {
                    met,
                    total,
                    score_tenths,
                },
            )
        })
        .collect();
    let empty = ProposalContent::default();
    let lines = rows
        .into_iter()
        .map(|p| {
            let plan = plans.get(&p.id).unwrap_or(&empty);
            let last = latest.get(&p.id);
            let milestones: Vec<_> = crate::ops::execution::milestones(plan)
                .into_iter()
                .map(|(i, due, _, _)| {
                    let filed = i32::try_from(i).is_ok_and(|i| filed.contains(&(p.id, i)));
                    (due, filed)
                })
                .collect();
            let paid_fen = paid.get(&p.id).copied().unwrap_or(0);
            let figures =
                report::project_figures(&plan.budget, last, &milestones, Fen(paid_fen), day);
            let groups = BeneficiaryGroup::ALL
                .iter()
                .map(|g| last.map(|c| c.unique_of(g.as_str())).unwrap_or(0))
                .collect();
            let troubles = crate::domain::project::troubles(
                p.status,
                figures.overdue_reports,
                figures.overspent_lines,
                withheld.contains(&p.id),
                rectify_late.contains(&p.id),
            );
            ProjectLine {
                targets: targets.get(&p.id).copied().unwrap_or_default(),
                troubles,
                project: p.into(),
                at_risk: figures.at_risk(),
                figures,
                groups,
            }
        })
        .collect();
    Ok((lines, latest))
}

/// Builds the dashboard of the given projects (every one a line) in a fixed number of queries.
#[tracing::instrument(skip_all)]
pub fn build(conn: &mut DbConn, rows: Vec<ProjectRow>) -> Result<Dashboard, AppError> {
    let (lines, latest) = lines_of(conn, rows)?;
    let mut totals = Totals::default();
    let mut groups: Vec<GroupTotal> = BeneficiaryGroup::ALL
        .iter()
        .map(|g| GroupTotal {
            group: g.as_str().to_string(),
            unique_people: 0,
            person_times: 0,
        })
        .collect();
    for l in &lines {
        if let Some(c) = latest.get(&l.project.id) {
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
        let f = &l.figures;
        totals.projects += 1;
        totals.grant_fen = totals.grant_fen.saturating_add(l.project.grant_fen);
        totals.paid_fen = totals.paid_fen.saturating_add(f.paid.0);
        totals.spent_grant_fen = totals.spent_grant_fen.saturating_add(f.spent_grant.0);
        totals.spent_matching_fen = totals.spent_matching_fen.saturating_add(f.spent_matching.0);
        totals.unique_people += f.unique_people;
        totals.person_times += f.person_times;
        if l.at_risk {
            totals.at_risk += 1;
        }
        totals.targets_met += i64::from(l.targets.met);
        totals.targets_total += i64::from(l.targets.total);
    }
    let n = lines.len() as i64;
    Ok(Dashboard {
        lines,
        total_lines: n,
        page: 1,
        per_page: n.max(1),
        totals,
        groups,
    })
}

/// Whose projects a dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Round(i64),
    /// Every round of the officer's bureau.
    Bureau,
}

/// The project table's filter and order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Table {
    pub status: Option<ProjectStatus>,
    pub trouble: Option<crate::domain::project::Trouble>,
    pub sort: projects::ProjectSort,
}

/// A dashboard as its page shows it: one page of the project table (filtered and sorted in
/// SQL, figures built for its rows only) and the totals over every project of the round or
/// bureau, added up in SQL from the stored figures.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn page(
    conn: &mut DbConn,
    reads: &super::cache::ReadCache,
    actor: &Actor,
    scope: Scope,
    table: Table,
    page: crate::db::PageReq,
) -> Result<Dashboard, AppError> {
    let filter = scope_filter(conn, actor, scope)?;
    let (totals, groups) = (*reads.project_totals(conn, &filter, today())?).clone();
    let (list, _) = super::projects::rows_page(
        conn,
        reads,
        &ProjectFilter {
            status: table.status,
            trouble: table.trouble.map(|t| (t, today())),
            ..filter
        },
        table.sort,
        page,
    )?;
    Ok(Dashboard {
        lines: lines_of(conn, list.items)?.0,
        total_lines: list.total,
        page: list.page,
        per_page: list.per_page,
        totals,
        groups,
    })
}

/// The projects of a dashboard's scope, once the actor may see them.
fn scope_filter(conn: &mut DbConn, actor: &Actor, scope: Scope) -> Result<ProjectFilter, AppError> {
    Ok(match scope {
        Scope::Round(id) => {
            crate::ops::rounds::find_managed(conn, actor, id)?;
            ProjectFilter {
                round_id: Some(id),
                ..ProjectFilter::default()
            }
        }
        Scope::Bureau => {
            let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
            policy::require(actor, Action::ManageRounds(bureau))?;
            ProjectFilter {
                bureau_id: Some(bureau),
                ..ProjectFilter::default()
            }
        }
    })
}

/// Every line of a dashboard's table as filtered and sorted (its export).
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn table_export(
    conn: &mut DbConn,
    actor: &Actor,
    scope: Scope,
    table: Table,
) -> Result<Dashboard, AppError> {
    let filter = ProjectFilter {
        status: table.status,
        trouble: table.trouble.map(|t| (t, today())),
        ..scope_filter(conn, actor, scope)?
    };
    let rows = projects::sorted_rows(conn, &filter, table.sort, None)?;
    build(conn, rows)
}

/// The dashboard of one round with every project a line (the ledger exports), for its
/// bureau's officers.
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

/// The public results page: the round, one page of its projects and the totals over all
/// of them (added up in SQL). Not found when the round funded nothing.
#[tracing::instrument(skip_all, fields(round_id))]
pub fn public_results(
    conn: &mut DbConn,
    reads: &super::cache::ReadCache,
    round_id: i64,
    page: crate::db::PageReq,
) -> Result<
    (
        crate::db::rounds::RoundRow,
        crate::db::Paged<PublicProject>,
        Totals,
    ),
    AppError,
> {
    let round = crate::db::rounds::find(conn, round_id)?;
    let list = public_results_page(conn, reads, round_id, page)?;
    let filter = ProjectFilter {
        round_id: Some(round_id),
        ..ProjectFilter::default()
    };
    let totals = reads.project_totals(conn, &filter, today())?.0.clone();
    Ok((round, list, totals))
}

/// A page of the public results: the page's projects are read in SQL and only their figures
/// built. Not found when the round funded nothing.
#[tracing::instrument(skip_all, fields(round_id))]
pub fn public_results_page(
    conn: &mut DbConn,
    reads: &super::cache::ReadCache,
    round_id: i64,
    page: crate::db::PageReq,
) -> Result<crate::db::Paged<PublicProject>, AppError> {
    let filter = ProjectFilter {
        round_id: Some(round_id),
        ..ProjectFilter::default()
    };
    let (list, _) =
        super::projects::rows_page(conn, reads, &filter, projects::ProjectSort::Id, page)?;
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
