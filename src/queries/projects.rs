//! A project as the project page and `GET /api/v1/projects/{id}` show it: the plan against
//! what was paid, reported and spent, and its evaluations as far as the reader may see them.

use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::{self, AuditRow};
use crate::db::evaluations::EvaluationRow;
use crate::db::projects::{
    self, FileMeta, PaymentRow, ProjectRow, RefundRow, ReportRow, TrancheRow,
};
use crate::db::{self, DbConn};
use crate::domain::money::Fen;
use crate::domain::project::{ProjectStatus, RefundKind};
use crate::domain::proposal::{BudgetCategory, FundingSource, ProposalContent};
use crate::domain::report::{
    BeneficiaryGroup, ReportContent, ReportKind, ReportStatus, TrancheStatus,
};
use crate::domain::round::TrancheCondition;
use crate::error::AppError;
use crate::ops;

/// A tranche with what has been paid on it so far.
pub struct TrancheView {
    pub tranche: TrancheRow,
    pub paid: Fen,
}

impl TrancheView {
    /// What is left to pay on it.
    pub fn left(&self) -> Fen {
        Fen(self.tranche.amount_fen.saturating_sub(self.paid.0).max(0))
    }
}

/// One milestone of the plan against its report.
pub struct MilestoneView {
    /// Index into the plan's milestones (they are listed by due date).
    pub index: usize,
    pub due: NaiveDate,
    pub title: String,
    /// Unique people planned by then.
    pub target: i64,
    /// Its report (id, status), once started.
    pub report: Option<(i64, ReportStatus)>,
    /// Unique people reported, once the report is filed.
    pub actual_unique: Option<i64>,
    /// Due and not filed.
    pub overdue: bool,
}

/// One beneficiary group: planned in the proposal against the latest filed report.
pub struct GroupView {
    pub group: BeneficiaryGroup,
    pub planned_unique: i64,
    pub unique: i64,
    pub person_times: i64,
}

/// One line of the budget against spending.
pub struct SpendView {
    /// Index into the plan's budget lines.
    pub line: usize,
    pub item: String,
    pub category: BudgetCategory,
    pub source: FundingSource,
    pub budget: Fen,
    pub spent: Fen,
    pub over: bool,
}

/// The cumulative figures of one filed report, in the order of the reports.
pub struct ProgressPoint {
    pub period_end: NaiveDate,
    pub unique: i64,
    pub person_times: i64,
}

/// How the evaluations ended for the project.
pub struct Outcome {
    pub rectify_until: Option<NaiveDate>,
    /// `fast_track`, `normal` or `none`.
    pub renewal: Option<String>,
    pub final_grade: Option<String>,
}

/// Everything a reader of the project may see of it.
pub struct ProjectView {
    pub project: ProjectRow,
    pub plan: ProposalContent,
    /// The change requests (项目变更), newest first.
    pub changes: Vec<crate::db::changes::ChangeRow>,
    pub tranches: Vec<TrancheView>,
    pub payments: Vec<PaymentRow>,
    pub files: Vec<FileMeta>,
    pub reports: Vec<ReportRow>,
    /// The filed reports' cumulative figures.
    pub progress: Vec<ProgressPoint>,
    /// The cumulative figures of the latest filed report.
    pub latest: ReportContent,
    pub milestones: Vec<MilestoneView>,
    /// Every group, in their order.
    pub groups: Vec<GroupView>,
    pub spending: Vec<SpendView>,
    pub paid: Fen,
    pub spent_grant: Fen,
    pub spent_matching: Fen,
    pub refunds: Vec<RefundRow>,
    pub refund_owed: Fen,
    pub refund_paid: Fen,
    /// The evaluations this reader may see.
    pub evaluations: Vec<EvaluationRow>,
    /// For the officer: evaluators to assign (id, name, agency id, agency name).
    pub evaluators: Vec<(i64, String, i64, String)>,
    pub outcome: Outcome,
    /// For the NGO of a completed project that may renew: the bureau's open rounds (id,
    /// title).
    pub renewal_rounds: Vec<(i64, String)>,
    /// For the officer: the project's audit trail, newest first.
    pub history: Vec<AuditRow>,
    pub agreement_signed: Option<NaiveDateTime>,
    /// Months a monthly report may be written for.
    pub report_months: Vec<(i32, u32)>,
    /// The reader is an officer of the project's bureau.
    pub officer: bool,
    /// The reader is a member of the project's NGO.
    pub member: bool,
    /// Its supervision visits (督导) and findings, and whether they hold the next tranche.
    pub visits: super::visits::ProjectVisits,
    /// The verification code of each issued document's latest version.
    pub verify_codes: Vec<(crate::domain::project::DocumentKind, String)>,
    /// The plan's performance targets (绩效目标) against the latest accepted report.
    pub targets: crate::domain::target::Achievement,
}

impl ProjectView {
    /// Refunds owed and not yet paid back.
    pub fn refund_outstanding(&self) -> bool {
        self.refund_paid < self.refund_owed
    }
}

fn sum(amounts: impl Iterator<Item = i64>) -> Fen {
    amounts.map(Fen).sum()
}

/// The project `id` as `actor` may see it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn project(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ProjectView, AppError> {
    let (p, plan) = ops::execution::load(c, actor, id)?;
    let changes = crate::db::changes::of_project(c, id)?;
    let officer = policy::allows(actor, Action::ManageRounds(p.bureau_id));
    let member = policy::allows(actor, Action::EditProposal(p.org_id));
    let payments = projects::payments(c, id)?;
    let tranches = projects::tranches(c, id)?
        .into_iter()
        .map(|t| TrancheView {
            paid: sum(payments
                .iter()
                .filter(|x| x.tranche_id == t.id)
                .map(|x| x.amount_fen)),
            tranche: t,
        })
        .collect();
    let reports = projects::reports(c, id)?;
    let latest = projects::latest_filed(&reports).unwrap_or_default();
    let today = db::today();
    let milestones = ops::execution::milestones(&plan)
        .into_iter()
        .map(|(index, due, title, target)| {
            let r = reports
                .iter()
                .find(|r| r.milestone_index == Some(index as i32));
            let filed = r.filter(|r| r.status.filed());
            MilestoneView {
                index,
                due,
                title,
                target,
                report: r.map(|r| (r.id, r.status)),
                actual_unique: filed.map(|r| r.content().unique_total()),
                overdue: filed.is_none() && due < today,
            }
        })
        .collect();
    let groups = BeneficiaryGroup::ALL
        .iter()
        .map(|&g| GroupView {
            group: g,
            planned_unique: plan
                .beneficiaries
                .iter()
                .filter(|b| BeneficiaryGroup::of_planned(&b.category) == Some(g))
                .map(|b| b.unique_people)
                .sum(),
            unique: latest.unique_of(g.as_str()),
            person_times: latest
                .beneficiaries
                .iter()
                .filter(|b| b.group == g.as_str())
                .map(|b| b.person_times)
                .sum(),
        })
        .collect();
    let spending = plan
        .budget
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let spent = latest.spent_on(i);
            SpendView {
                line: i,
                item: l.item.clone(),
                category: l.category,
                source: l.source,
                budget: l.amount,
                spent,
                over: spent > l.amount,
            }
        })
        .collect();
    let (spent_grant, spent_matching) = latest.spent_by_source(&plan.budget);
    let progress = reports
        .iter()
        .filter(|r| r.status.filed())
        .map(|r| {
            let content = r.content();
            ProgressPoint {
                period_end: r.period_end,
                unique: content.unique_total(),
                person_times: content.person_times_total(),
            }
        })
        .collect();
    let refunds = projects::refunds(c, id)?;
    let refund_sum = |kind: RefundKind| {
        sum(refunds
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.amount_fen))
    };
    let (refund_owed, refund_paid) = (refund_sum(RefundKind::Owed), refund_sum(RefundKind::Paid));
    let (rectify_until, renewal, final_grade) = projects::outcome(c, id)?;
    let renewal_rounds = if member && ops::renewal::renewal_of(c, id)?.is_some() {
        crate::db::rounds::for_bureau(c, p.bureau_id)?
            .into_iter()
            .filter(|r| r.id != p.round_id && r.accepting(db::now()))
            .map(|r| (r.id, r.title))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ProjectView {
        targets: projects::target_achievement(c, id, &plan)?,
        visits: super::visits::of_project(c, actor, &p)?,
        paid: sum(payments.iter().map(|x| x.amount_fen)),
        evaluations: super::evaluations::of_project(c, actor, &p)?,
        evaluators: if officer {
            crate::db::evaluations::evaluators(c)?
        } else {
            Vec::new()
        },
        history: if officer {
            audit::for_entity(c, "project", id, 100)?
        } else {
            Vec::new()
        },
        agreement_signed: projects::agreement_signed_at(c, id)?,
        files: projects::files(c, id)?,
        report_months: ops::execution::report_months(&p),
        outcome: Outcome {
            rectify_until,
            renewal,
            final_grade,
        },
        renewal_rounds,
        refunds,
        refund_owed,
        refund_paid,
        spent_grant,
        spent_matching,
        tranches,
        payments,
        reports,
        progress,
        latest,
        milestones,
        groups,
        spending,
        officer,
        member,
        verify_codes: crate::db::documents::latest_codes(c, id)?,
        plan,
        changes,
        project: p,
    })
}

// ---------------------------------------------------------------------------------------
// The API's view of it
// ---------------------------------------------------------------------------------------

/// The facts of a project.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectFacts {
    pub id: i64,
    pub round_id: i64,
    pub round_title: String,
    pub proposal_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub bureau_id: i64,
    pub agreement_no: String,
    pub title: String,
    pub category: String,
    pub grant_fen: i64,
    pub status: ProjectStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

/// A tranche of the grant and what has been paid on it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TrancheDetail {
    pub id: i64,
    pub seq: i32,
    /// Share of the grant in basis points.
    pub share_bp: i64,
    pub condition: TrancheCondition,
    pub amount_fen: i64,
    pub status: TrancheStatus,
    pub paid_fen: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentDetail {
    pub id: i64,
    pub tranche_id: i64,
    pub paid_on: NaiveDate,
    pub voucher_no: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FileDetail {
    pub id: i64,
    /// The report it is evidence of.
    pub report_id: Option<i64>,
    /// `signed_agreement`, `evidence` or `evaluation_report`.
    pub kind: crate::domain::project::ProjectFileKind,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
}

/// A milestone of the plan against its report.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MilestoneDetail {
    /// Index into the plan's milestones.
    pub index: usize,
    pub due: NaiveDate,
    pub title: String,
    pub target_unique: i64,
    pub report_id: Option<i64>,
    pub report_status: Option<ReportStatus>,
    /// Unique people reported, once the report is filed.
    pub actual_unique: Option<i64>,
    pub overdue: bool,
}

/// A beneficiary group: planned against the latest filed report.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GroupDetail {
    pub group: BeneficiaryGroup,
    pub planned_unique: i64,
    pub unique_people: i64,
    pub person_times: i64,
}

/// A budget line against spending.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SpendingDetail {
    /// Index into the plan's budget lines.
    pub line: usize,
    pub item: String,
    pub category: BudgetCategory,
    pub source: FundingSource,
    pub budget_fen: i64,
    pub spent_fen: i64,
    pub over: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RefundDetail {
    pub id: i64,
    pub kind: RefundKind,
    pub amount_fen: i64,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// Money so far.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectTotals {
    pub grant_fen: i64,
    pub paid_fen: i64,
    pub spent_grant_fen: i64,
    pub spent_matching_fen: i64,
    pub refund_owed_fen: i64,
    pub refund_paid_fen: i64,
    pub refund_outstanding: bool,
}

/// How the evaluations ended for the project.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutcomeDetail {
    pub rectify_until: Option<NaiveDate>,
    /// `fast_track`, `normal` or `none`.
    pub renewal: Option<String>,
    pub final_grade: Option<String>,
}

/// `GET /api/v1/projects/{id}`: the figures of the project page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectDetail {
    pub project: ProjectFacts,
    pub tranches: Vec<TrancheDetail>,
    pub payments: Vec<PaymentDetail>,
    pub files: Vec<FileDetail>,
    pub agreement_signed_at: Option<NaiveDateTime>,
    pub milestones: Vec<MilestoneDetail>,
    pub groups: Vec<GroupDetail>,
    pub spending: Vec<SpendingDetail>,
    pub totals: ProjectTotals,
    /// Refunds owed (at termination) and received.
    pub refunds: Vec<RefundDetail>,
    /// Cumulative figures of the latest filed report.
    pub latest: ReportContent,
    /// The evaluations the caller may see.
    pub evaluations: Vec<super::evaluations::EvaluationSummary>,
    pub outcome: OutcomeDetail,
    /// The plan's performance targets against the latest accepted report, with the
    /// achievement score (tenths) and its band.
    pub targets: crate::domain::target::Achievement,
}

impl From<&ProjectView> for ProjectDetail {
    fn from(v: &ProjectView) -> Self {
        let p = &v.project;
        ProjectDetail {
            project: ProjectFacts::from(p),
            tranches: v
                .tranches
                .iter()
                .map(|t| TrancheDetail {
                    id: t.tranche.id,
                    seq: t.tranche.seq,
                    share_bp: t.tranche.share_bp,
                    condition: t.tranche.condition,
                    amount_fen: t.tranche.amount_fen,
                    status: t.tranche.status,
                    paid_fen: t.paid.0,
                })
                .collect(),
            payments: v
                .payments
                .iter()
                .map(|x| PaymentDetail {
                    id: x.id,
                    tranche_id: x.tranche_id,
                    paid_on: x.paid_on,
                    voucher_no: x.voucher_no.clone(),
                    amount_fen: x.amount_fen,
                })
                .collect(),
            files: v
                .files
                .iter()
                .map(|f| FileDetail {
                    id: f.id,
                    report_id: f.report_id,
                    kind: f.kind,
                    filename: f.filename.clone(),
                    content_type: f.content_type.clone(),
                    size_bytes: f.size_bytes,
                    uploaded_at: f.uploaded_at,
                })
                .collect(),
            agreement_signed_at: v.agreement_signed,
            milestones: v
                .milestones
                .iter()
                .map(|m| MilestoneDetail {
                    index: m.index,
                    due: m.due,
                    title: m.title.clone(),
                    target_unique: m.target,
                    report_id: m.report.map(|r| r.0),
                    report_status: m.report.map(|r| r.1),
                    actual_unique: m.actual_unique,
                    overdue: m.overdue,
                })
                .collect(),
            groups: v
                .groups
                .iter()
                .map(|g| GroupDetail {
                    group: g.group,
                    planned_unique: g.planned_unique,
                    unique_people: g.unique,
                    person_times: g.person_times,
                })
                .collect(),
            spending: v
                .spending
                .iter()
                .map(|s| SpendingDetail {
                    line: s.line,
                    item: s.item.clone(),
                    category: s.category,
                    source: s.source,
                    budget_fen: s.budget.0,
                    spent_fen: s.spent.0,
                    over: s.over,
                })
                .collect(),
            totals: ProjectTotals {
                grant_fen: p.grant_fen,
                paid_fen: v.paid.0,
                spent_grant_fen: v.spent_grant.0,
                spent_matching_fen: v.spent_matching.0,
                refund_owed_fen: v.refund_owed.0,
                refund_paid_fen: v.refund_paid.0,
                refund_outstanding: v.refund_outstanding(),
            },
            refunds: v
                .refunds
                .iter()
                .map(|r| RefundDetail {
                    id: r.id,
                    kind: r.kind,
                    amount_fen: r.amount_fen,
                    note: r.note.clone(),
                    created_at: r.created_at,
                })
                .collect(),
            latest: v.latest.clone(),
            evaluations: v
                .evaluations
                .iter()
                .map(super::evaluations::EvaluationSummary::from)
                .collect(),
            outcome: OutcomeDetail {
                rectify_until: v.outcome.rectify_until,
                renewal: v.outcome.renewal.clone(),
                final_grade: v.outcome.final_grade.clone(),
            },
            targets: v.targets.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Lists and progress reports
// ---------------------------------------------------------------------------------------

impl From<&ProjectRow> for ProjectFacts {
    fn from(p: &ProjectRow) -> Self {
        ProjectFacts {
            id: p.id,
            round_id: p.round_id,
            round_title: p.round_title.clone(),
            proposal_id: p.proposal_id,
            org_id: p.org_id,
            org_name: p.org_name.clone(),
            bureau_id: p.bureau_id,
            agreement_no: p.agreement_no.clone(),
            title: p.title.clone(),
            category: p.category.clone(),
            grant_fen: p.grant_fen,
            status: p.status,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            created_at: p.created_at,
        }
    }
}

/// One page of the projects filter `f` selects in the order `sort`, with the grants over all
/// of them; the count and the sum are kept between changes ([`super::cache`]), so a page costs
/// its rows, not the table.
pub fn rows_page(
    c: &mut DbConn,
    reads: &super::cache::ReadCache,
    f: &projects::ProjectFilter,
    sort: projects::ProjectSort,
    page: db::PageReq,
) -> Result<(db::Paged<ProjectRow>, i64), AppError> {
    let (total, grant) = reads.project_count(c, f)?;
    let items = projects::sorted_rows(c, f, sort, Some(page))?;
    Ok((page.paged(items, total), grant))
}

/// Every project filter `f` selects, in the order `sort` (the list's export).
#[tracing::instrument(skip_all)]
pub fn rows_all(
    c: &mut DbConn,
    f: &projects::ProjectFilter,
    sort: projects::ProjectSort,
) -> Result<Vec<ProjectRow>, AppError> {
    projects::sorted_rows(c, f, sort, None)
}

/// `GET /api/v1/projects`: one page of the projects filter `f` selects (the caller's own,
/// see `web::awards::project_filter`), in id order.
#[tracing::instrument(skip_all)]
pub fn list(
    c: &mut DbConn,
    reads: &super::cache::ReadCache,
    f: &projects::ProjectFilter,
    page: db::PageReq,
) -> Result<db::Paged<ProjectFacts>, AppError> {
    let (rows, _) = rows_page(c, reads, f, projects::ProjectSort::Id, page)?;
    Ok(rows.map(|p| ProjectFacts::from(&p)))
}

/// A progress report as the API shows it: the row's facts without its stored content
/// (which `GET /api/v1/reports/{id}` gives beside it as `content`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReportItem {
    pub id: i64,
    pub project_id: i64,
    pub kind: ReportKind,
    /// For a milestone report: which milestone of the plan (0-based).
    pub milestone_index: Option<i32>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ReportStatus,
    /// The version to send back when saving (a newer one on the server is a 409).
    pub version: i32,
    pub submitted_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
    /// The officer's comment when returning it.
    pub return_comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<&ReportRow> for ReportItem {
    fn from(r: &ReportRow) -> Self {
        ReportItem {
            id: r.id,
            project_id: r.project_id,
            kind: r.kind,
            milestone_index: r.milestone_index,
            period_start: r.period_start,
            period_end: r.period_end,
            due_on: r.due_on,
            status: r.status,
            version: r.version,
            submitted_at: r.submitted_at,
            reviewed_at: r.reviewed_at,
            return_comment: r.return_comment.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `GET /api/v1/projects/{id}/reports`: the progress reports of a project `actor` may read.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn reports(c: &mut DbConn, actor: &Actor, id: i64) -> Result<Vec<ReportItem>, AppError> {
    ops::execution::load(c, actor, id)?;
    Ok(projects::reports(c, id)?
        .iter()
        .map(ReportItem::from)
        .collect())
}

/// A progress report with what its screen needs (the report page and
/// `GET /api/v1/reports/{id}`).
#[derive(Debug, Clone)]
pub struct ReportScreen {
    pub report: ReportRow,
    pub project: ProjectRow,
    /// The plan of the proposal (milestones, budget lines).
    pub plan: ProposalContent,
    /// Its evidence.
    pub files: Vec<FileMeta>,
    /// What would stop its submission now (empty once it is no longer editable).
    pub problems: crate::error::FieldErrors,
}

/// The progress report `id` if `actor` may read its project.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn report(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ReportScreen, AppError> {
    let (r, p, plan) = ops::execution::find_report(c, actor, id)?;
    let files = projects::files(c, p.id)?
        .into_iter()
        .filter(|f| f.report_id == Some(id))
        .collect();
    let problems = if r.status.editable() {
        ops::execution::submission_problems(c, &r, &p, &plan)?
    } else {
        crate::error::FieldErrors::new()
    };
    Ok(ReportScreen {
        report: r,
        project: p,
        plan,
        files,
        problems,
    })
}
