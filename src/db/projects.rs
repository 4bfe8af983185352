//! Queries of the project aggregate: projects with their tranches and payments, progress
//! reports and files, and the figures the dashboards add up.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    organizations, payments, project_files, project_groups, projects, refunds, reports, rounds,
    tranches,
};
use super::{now, DbConn, Json};
use crate::domain::project::{ProjectFileKind, ProjectStatus, RefundKind, Trouble};
use crate::domain::report::{ReportContent, ReportKind, ReportStatus, TrancheStatus};
use crate::domain::round::TrancheCondition;
use crate::error::AppError;

/// The next agreement number of a year (never reused).
pub fn next_agreement_seq(conn: &mut DbConn, year: i32) -> Result<i64, AppError> {
    super::next_in_counter(conn, &format!("agreement:{year}"))
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
    let bureau_id: i64 = rounds::table
        .find(p.round_id)
        .select(rounds::bureau_id)
        .first(conn)?;
    let id: i64 = diesel::insert_into(projects::table)
        .values((
            projects::round_id.eq(p.round_id),
            projects::bureau_id.eq(bureau_id),
            projects::proposal_id.eq(p.proposal_id),
            projects::org_id.eq(p.org_id),
            projects::agreement_no.eq(p.agreement_no),
            projects::title.eq(p.title),
            projects::category.eq(p.category),
            projects::grant_fen.eq(p.grant_fen),
            projects::status.eq(ProjectStatus::Active),
            projects::starts_on.eq(p.starts_on),
            projects::ends_on.eq(p.ends_on),
            projects::created_at.eq(at),
            projects::updated_at.eq(at),
        ))
        .returning(projects::id)
        .get_result(conn)?;
    refresh_figures(conn, id)?;
    Ok(id)
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
    pub status: ProjectStatus,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProjectFilter {
    pub round_id: Option<i64>,
    pub org_id: Option<i64>,
    pub bureau_id: Option<i64>,
    pub status: Option<ProjectStatus>,
    /// Projects with this trouble as of the Beijing date given (overdue reports depend on it).
    pub trouble: Option<(Trouble, NaiveDate)>,
}

pub fn projects(conn: &mut DbConn, f: &ProjectFilter) -> Result<Vec<ProjectRow>, AppError> {
    Ok(filtered(f)
        .select(PROJECT_COLS)
        .order(projects::id)
        .load(conn)?)
}

/// A boxed query over projects joined to their round, narrowed to a [`ProjectFilter`].
macro_rules! project_scope {
    ($query:expr, $f:expr) => {{
        let (mut q, f) = ($query.into_boxed(), $f);
        if let Some(r) = f.round_id {
            q = q.filter(projects::round_id.eq(r));
        }
        if let Some(o) = f.org_id {
            q = q.filter(projects::org_id.eq(o));
        }
        if let Some(b) = f.bureau_id {
            q = q.filter(projects::bureau_id.eq(b));
        }
        if let Some(st) = f.status {
            q = q.filter(projects::status.eq(st));
        }
        if let Some((t, today)) = f.trouble {
            q = match t {
                Trouble::OverdueReports => q.filter(projects::fig_next_due_on.lt(today)).filter(
                    projects::status.eq_any([ProjectStatus::Active, ProjectStatus::Rectifying]),
                ),
                Trouble::Overspent => q.filter(projects::fig_overspent_lines.gt(0)),
                Trouble::Rectifying => q.filter(projects::status.eq(ProjectStatus::Rectifying)),
                Trouble::Terminated => q.filter(projects::status.eq(ProjectStatus::Terminated)),
                Trouble::FailedEvaluation => q.filter(projects::status.eq(ProjectStatus::Failed)),
                Trouble::WithheldTranche => q.filter(
                    projects::id.eq_any(
                        tranches::table
                            .filter(tranches::status.eq(TrancheStatus::Withheld))
                            .select(tranches::project_id),
                    ),
                ),
                Trouble::OverdueRectification => q.filter(projects::id.eq_any(
                    super::visits::overdue(today).select(super::schema::visit_findings::project_id),
                )),
            };
        }
        q
    }};
}

/// The projects matching a filter joined to their organization and round, unordered.
fn filtered(
    f: &ProjectFilter,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<
        diesel::dsl::InnerJoin<projects::table, organizations::table>,
        rounds::table,
    >,
    <DbConn as diesel::Connection>::Backend,
> {
    project_scope!(
        projects::table
            .inner_join(organizations::table)
            .inner_join(rounds::table),
        f
    )
}

/// The orders a project table may be sorted in (`?sort=`); ties and the default go by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProjectSort {
    #[default]
    Id,
    AgreementNo,
    Org,
    GrantDesc,
    EndsOn,
    Status,
}

impl ProjectSort {
    pub const ALL: &'static [(&'static str, ProjectSort)] = &[
        ("id", ProjectSort::Id),
        ("agreement_no", ProjectSort::AgreementNo),
        ("org", ProjectSort::Org),
        ("grant_desc", ProjectSort::GrantDesc),
        ("ends_on", ProjectSort::EndsOn),
        ("status", ProjectSort::Status),
    ];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
    }
}

/// One page of the filter's projects in the given order (the total is the caller's: see
/// [`count_and_grant`]); `None` for all of them (an export).
pub fn sorted_rows(
    conn: &mut DbConn,
    f: &ProjectFilter,
    sort: ProjectSort,
    page: Option<super::PageReq>,
) -> Result<Vec<ProjectRow>, AppError> {
    let q = ordered(f, sort);
    Ok(match page {
        Some(p) => q.limit(p.per_page).offset(p.offset()).load(conn)?,
        None => q.load(conn)?,
    })
}

/// The projects joined to their organization and round, their columns selected, boxed.
type OrderedRows = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<
            diesel::dsl::InnerJoin<projects::table, organizations::table>,
            rounds::table,
        >,
        ProjectCols,
    >,
    <DbConn as diesel::Connection>::Backend,
>;

/// The filter's projects with their organization and round, in `sort` order.
fn ordered(f: &ProjectFilter, sort: ProjectSort) -> OrderedRows {
    let q = filtered(f).select(PROJECT_COLS);
    match sort {
        ProjectSort::Id => q.order(projects::id),
        ProjectSort::AgreementNo => q.order((projects::agreement_no, projects::id)),
        ProjectSort::Org => q.order((organizations::name, projects::id)),
        ProjectSort::GrantDesc => q.order((projects::grant_fen.desc(), projects::id)),
        ProjectSort::EndsOn => q.order((projects::ends_on, projects::id)),
        ProjectSort::Status => q.order((projects::status, projects::id)),
    }
}

/// How many projects the filter selects and their grants added up.
pub fn count_and_grant(conn: &mut DbConn, f: &ProjectFilter) -> Result<(i64, i64), AppError> {
    Ok(filtered(f)
        .select((diesel::dsl::count_star(), sum_of("projects.grant_fen")))
        .get_result(conn)?)
}

/// The people served in one beneficiary group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct GroupTotal {
    pub group: String,
    pub unique_people: i64,
    pub person_times: i64,
}

/// What a dashboard adds up over its projects.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub projects: usize,
    pub grant_fen: i64,
    pub paid_fen: i64,
    pub spent_grant_fen: i64,
    pub spent_matching_fen: i64,
    pub unique_people: i64,
    pub person_times: i64,
    /// Projects with an overspent budget line or a milestone report overdue.
    pub at_risk: usize,
    /// Projects per trouble, in `Trouble::ALL` order (a project may have several).
    pub troubles: Vec<TroubleCount>,
    /// Performance targets met (by the latest accepted reports) and declared, over every
    /// project.
    pub targets_met: i64,
    pub targets_total: i64,
}

impl Totals {
    /// The share of targets met, whole percent (rounded down); none without targets.
    pub fn targets_met_pct(&self) -> Option<i64> {
        (self.targets_total > 0).then(|| self.targets_met * 100 / self.targets_total)
    }
}

/// How many projects have a trouble.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TroubleCount {
    /// `overdue_reports`, `overspent`, `rectifying`, `terminated`, `failed_evaluation`,
    /// `withheld_tranche` or `overdue_rectification`.
    pub trouble: String,
    pub projects: usize,
}

/// `CAST(COALESCE(SUM(<col>), 0) AS BIGINT)`: the same integer type on both backends.
fn sum_of(col: &str) -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "CAST(COALESCE(SUM({col}), 0) AS BIGINT)"
    ))
}

/// The stored figures of the filter's projects added up in SQL, with every known beneficiary
/// group's in their order.
pub fn figure_totals(
    conn: &mut DbConn,
    f: &ProjectFilter,
    today: NaiveDate,
) -> Result<(Totals, Vec<GroupTotal>), AppError> {
    #[allow(clippy::type_complexity)]
    let (
        projects,
        grant_fen,
        spent_grant_fen,
        spent_matching_fen,
        unique_people,
        person_times,
        targets_met,
        targets_total,
    ): (i64, i64, i64, i64, i64, i64, i64, i64) = filtered(f)
        .select((
            diesel::dsl::count_star(),
            sum_of("projects.grant_fen"),
            sum_of("projects.fig_spent_grant_fen"),
            sum_of("projects.fig_spent_matching_fen"),
            sum_of("projects.fig_unique_people"),
            sum_of("projects.fig_person_times"),
            sum_of("projects.fig_targets_met"),
            sum_of("projects.fig_targets_total"),
        ))
        .get_result(conn)?;
    let at_risk: i64 = filtered(f)
        .filter(
            projects::fig_overspent_lines
                .gt(0)
                .or(projects::fig_next_due_on.lt(today)),
        )
        .count()
        .get_result(conn)?;
    let paid_fen: i64 = project_scope!(
        payments::table
            .inner_join(projects::table.on(projects::id.eq(payments::project_id)))
            .inner_join(rounds::table.on(rounds::id.eq(projects::round_id))),
        f
    )
    .select(sum_of("payments.amount_fen"))
    .get_result(conn)?;
    // One sum per known group (a fixed, short list): a grouped query cannot be boxed.
    let mut groups = Vec::new();
    for g in crate::domain::report::BeneficiaryGroup::ALL {
        let (unique, times): (i64, i64) = project_scope!(
            project_groups::table.inner_join(projects::table.inner_join(rounds::table)),
            f
        )
        .filter(project_groups::grp.eq(g.as_str()))
        .select((
            sum_of("project_groups.unique_people"),
            sum_of("project_groups.person_times"),
        ))
        .get_result(conn)?;
        groups.push(GroupTotal {
            group: g.as_str().to_string(),
            unique_people: unique,
            person_times: times,
        });
    }
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    let mut troubles = Vec::new();
    for t in Trouble::ALL {
        let n: i64 = filtered(&ProjectFilter {
            trouble: Some((*t, today)),
            ..f.clone()
        })
        .count()
        .get_result(conn)?;
        troubles.push(TroubleCount {
            trouble: t.as_str().to_string(),
            projects: count(n),
        });
    }
    let totals = Totals {
        projects: count(projects),
        grant_fen,
        paid_fen,
        spent_grant_fen,
        spent_matching_fen,
        unique_people,
        person_times,
        at_risk: count(at_risk),
        troubles,
        targets_met,
        targets_total,
    };
    Ok((totals, groups))
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct TrancheRow {
    pub id: i64,
    pub seq: i32,
    pub share_bp: i64,
    pub condition: TrancheCondition,
    pub amount_fen: i64,
    pub status: TrancheStatus,
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

// ---------------------------------------------------------------------------------------
// Execution: the signed agreement, tranches and payments
// ---------------------------------------------------------------------------------------

pub fn agreement_signed_at(conn: &mut DbConn, id: i64) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(projects::table
        .find(id)
        .select(projects::agreement_signed_at)
        .first(conn)?)
}

pub fn mark_agreement_signed(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    diesel::update(projects::table.find(id))
        .set((
            projects::agreement_signed_at.eq(Some(now())),
            projects::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_tranche_status(
    conn: &mut DbConn,
    tranche_id: i64,
    from: &str,
    to: &str,
) -> Result<bool, AppError> {
    let n = diesel::update(
        tranches::table
            .find(tranche_id)
            .filter(tranches::status.eq(from)),
    )
    .set(tranches::status.eq(to))
    .execute(conn)?;
    if n == 1 && to == "releasable" {
        diesel::update(tranches::table.find(tranche_id))
            .set(tranches::released_at.eq(Some(now())))
            .execute(conn)?;
    }
    Ok(n == 1)
}

pub fn tranche(conn: &mut DbConn, id: i64) -> Result<(i64, TrancheRow), AppError> {
    let (project_id, row): (i64, TrancheRow) = tranches::table
        .find(id)
        .select((
            tranches::project_id,
            (
                tranches::id,
                tranches::seq,
                tranches::share_bp,
                tranches::condition,
                tranches::amount_fen,
                tranches::status,
            ),
        ))
        .first(conn)?;
    Ok((project_id, row))
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRow {
    pub id: i64,
    pub tranche_id: i64,
    pub paid_on: NaiveDate,
    pub voucher_no: String,
    pub amount_fen: i64,
    pub created_at: NaiveDateTime,
}

pub fn payments(conn: &mut DbConn, project_id: i64) -> Result<Vec<PaymentRow>, AppError> {
    Ok(payments::table
        .filter(payments::project_id.eq(project_id))
        .order(payments::id)
        .select((
            payments::id,
            payments::tranche_id,
            payments::paid_on,
            payments::voucher_no,
            payments::amount_fen,
            payments::created_at,
        ))
        .load(conn)?)
}

pub struct NewPayment<'a> {
    pub project_id: i64,
    pub tranche_id: i64,
    pub paid_on: NaiveDate,
    pub voucher_no: &'a str,
    pub amount_fen: i64,
    pub recorded_by: i64,
}

pub fn insert_payment(conn: &mut DbConn, p: &NewPayment) -> Result<i64, AppError> {
    Ok(diesel::insert_into(payments::table)
        .values((
            payments::project_id.eq(p.project_id),
            payments::tranche_id.eq(p.tranche_id),
            payments::paid_on.eq(p.paid_on),
            payments::voucher_no.eq(p.voucher_no),
            payments::amount_fen.eq(p.amount_fen),
            payments::recorded_by.eq(p.recorded_by),
            payments::created_at.eq(now()),
        ))
        .returning(payments::id)
        .get_result(conn)?)
}

// ---------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct FileMeta {
    pub id: i64,
    pub report_id: Option<i64>,
    pub kind: ProjectFileKind,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
}

pub struct NewFile<'a> {
    pub project_id: i64,
    pub report_id: Option<i64>,
    pub evaluation_id: Option<i64>,
    /// The visit a photo (or a response to one of its findings) belongs to.
    pub visit_id: Option<i64>,
    /// The change request it is attached to.
    pub change_id: Option<i64>,
    pub kind: ProjectFileKind,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i64,
}

pub fn insert_file(conn: &mut DbConn, f: &NewFile) -> Result<i64, AppError> {
    Ok(diesel::insert_into(project_files::table)
        .values((
            project_files::project_id.eq(f.project_id),
            project_files::report_id.eq(f.report_id),
            project_files::evaluation_id.eq(f.evaluation_id),
            project_files::visit_id.eq(f.visit_id),
            project_files::change_id.eq(f.change_id),
            project_files::kind.eq(f.kind),
            project_files::filename.eq(f.filename),
            project_files::content_type.eq(f.content_type),
            project_files::size_bytes.eq(f.content.len() as i64),
            project_files::sha256.eq(f.sha256),
            project_files::content.eq(f.content),
            project_files::uploaded_by.eq(f.uploaded_by),
            project_files::uploaded_at.eq(now()),
        ))
        .returning(project_files::id)
        .get_result(conn)?)
}

type FileCols = (
    project_files::id,
    project_files::report_id,
    project_files::kind,
    project_files::filename,
    project_files::content_type,
    project_files::size_bytes,
    project_files::uploaded_at,
);
const FILE_COLS: FileCols = (
    project_files::id,
    project_files::report_id,
    project_files::kind,
    project_files::filename,
    project_files::content_type,
    project_files::size_bytes,
    project_files::uploaded_at,
);

/// The attachments of a change request.
pub fn change_files(conn: &mut DbConn, change_id: i64) -> Result<Vec<FileMeta>, AppError> {
    Ok(project_files::table
        .filter(project_files::change_id.eq(change_id))
        .order(project_files::id)
        .select(FILE_COLS)
        .load(conn)?)
}

/// The files of an evaluation (the agency's report).
pub fn evaluation_files(conn: &mut DbConn, evaluation_id: i64) -> Result<Vec<FileMeta>, AppError> {
    Ok(project_files::table
        .filter(project_files::evaluation_id.eq(evaluation_id))
        .order(project_files::id)
        .select(FILE_COLS)
        .load(conn)?)
}

pub fn files(conn: &mut DbConn, project_id: i64) -> Result<Vec<FileMeta>, AppError> {
    Ok(project_files::table
        .filter(project_files::project_id.eq(project_id))
        .order(project_files::id)
        .select(FILE_COLS)
        .load(conn)?)
}

/// A file of a project: (meta, bytes).
pub fn file(conn: &mut DbConn, project_id: i64, id: i64) -> Result<(FileMeta, Vec<u8>), AppError> {
    let (id, report_id, kind, filename, content_type, size_bytes, uploaded_at, content) =
        project_files::table
            .filter(project_files::project_id.eq(project_id))
            .filter(project_files::id.eq(id))
            .select((
                project_files::id,
                project_files::report_id,
                project_files::kind,
                project_files::filename,
                project_files::content_type,
                project_files::size_bytes,
                project_files::uploaded_at,
                project_files::content,
            ))
            .first::<(
                i64,
                Option<i64>,
                ProjectFileKind,
                String,
                String,
                i64,
                NaiveDateTime,
                Vec<u8>,
            )>(conn)?;
    Ok((
        FileMeta {
            id,
            report_id,
            kind,
            filename,
            content_type,
            size_bytes,
            uploaded_at,
        },
        content,
    ))
}

// ---------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub id: i64,
    pub project_id: i64,
    pub kind: ReportKind,
    /// For a milestone report: which milestone of the plan (0-based).
    pub milestone_index: Option<i32>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ReportStatus,
    #[schema(value_type = Object)]
    pub content_json: Json<ReportContent>,
    pub version: i32,
    /// When it was first submitted (a resubmission after a return keeps it).
    pub submitted_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub return_comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ReportRow {
    pub fn content(&self) -> ReportContent {
        self.content_json.0.clone()
    }
}

type ReportCols = (
    reports::id,
    reports::project_id,
    reports::kind,
    reports::milestone_index,
    reports::period_start,
    reports::period_end,
    reports::due_on,
    reports::status,
    reports::content_json,
    reports::version,
    reports::submitted_at,
    reports::reviewed_at,
    reports::return_comment,
    reports::created_at,
    reports::updated_at,
);
const REPORT_COLS: ReportCols = (
    reports::id,
    reports::project_id,
    reports::kind,
    reports::milestone_index,
    reports::period_start,
    reports::period_end,
    reports::due_on,
    reports::status,
    reports::content_json,
    reports::version,
    reports::submitted_at,
    reports::reviewed_at,
    reports::return_comment,
    reports::created_at,
    reports::updated_at,
);

pub fn report(conn: &mut DbConn, id: i64) -> Result<ReportRow, AppError> {
    Ok(reports::table.find(id).select(REPORT_COLS).first(conn)?)
}

/// The reports of a project in time order.
pub fn reports(conn: &mut DbConn, project_id: i64) -> Result<Vec<ReportRow>, AppError> {
    Ok(reports::table
        .filter(reports::project_id.eq(project_id))
        .order((reports::period_end, reports::id))
        .select(REPORT_COLS)
        .load(conn)?)
}

/// The reports of many projects (dashboards), in time order per project.
pub fn reports_of(conn: &mut DbConn, project_ids: &[i64]) -> Result<Vec<ReportRow>, AppError> {
    Ok(reports::table
        .filter(reports::project_id.eq_any(project_ids))
        .order((reports::project_id, reports::period_end, reports::id))
        .select(REPORT_COLS)
        .load(conn)?)
}

pub struct NewReport<'a> {
    pub project_id: i64,
    pub kind: &'a str,
    pub milestone_index: Option<i32>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_on: NaiveDate,
    pub content: &'a ReportContent,
    pub created_by: i64,
}

pub fn insert_report(conn: &mut DbConn, r: &NewReport) -> Result<i64, AppError> {
    let at = now();
    Ok(diesel::insert_into(reports::table)
        .values((
            reports::project_id.eq(r.project_id),
            reports::kind.eq(r.kind),
            reports::milestone_index.eq(r.milestone_index),
            reports::period_start.eq(r.period_start),
            reports::period_end.eq(r.period_end),
            reports::due_on.eq(r.due_on),
            reports::status.eq(ReportStatus::Draft.as_str()),
            reports::content_json.eq(serde_json::to_string(r.content).expect("serializes")),
            reports::version.eq(1),
            reports::created_by.eq(r.created_by),
            reports::created_at.eq(at),
            reports::updated_at.eq(at),
        ))
        .returning(reports::id)
        .get_result(conn)?)
}

/// Saves a report's content if its version is still `version`; false on a conflict.
pub fn save_report(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    content: &ReportContent,
) -> Result<bool, AppError> {
    let n = diesel::update(reports::table.find(id).filter(reports::version.eq(version)))
        .set((
            reports::content_json.eq(serde_json::to_string(content).expect("serializes")),
            reports::version.eq(reports::version + 1),
            reports::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Moves a report from `from` to `to` (with the officer's comment when returned).
pub fn set_report_status(
    conn: &mut DbConn,
    id: i64,
    from: ReportStatus,
    to: ReportStatus,
    by: i64,
    comment: Option<&str>,
) -> Result<bool, AppError> {
    let at = now();
    let n = diesel::update(
        reports::table
            .find(id)
            .filter(reports::status.eq(from.as_str())),
    )
    .set((
        reports::status.eq(to.as_str()),
        reports::version.eq(reports::version + 1),
        reports::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n == 1 {
        match to {
            ReportStatus::Submitted => {
                // The first submission stays: a report returned for correction and
                // submitted again was still handed in when it first was (lateness).
                diesel::update(
                    reports::table
                        .find(id)
                        .filter(reports::submitted_at.is_null()),
                )
                .set(reports::submitted_at.eq(Some(at)))
                .execute(conn)?;
            }
            ReportStatus::Accepted | ReportStatus::Returned => {
                diesel::update(reports::table.find(id))
                    .set((
                        reports::reviewed_by.eq(Some(by)),
                        reports::reviewed_at.eq(Some(at)),
                        reports::return_comment.eq(comment),
                    ))
                    .execute(conn)?;
            }
            ReportStatus::Draft => {}
        }
        // Target achievement counts accepted reports only: acceptance refreshes it too.
        let accepted = [from, to].contains(&ReportStatus::Accepted);
        if from.filed() != to.filed() || accepted {
            let project: i64 = reports::table
                .find(id)
                .select(reports::project_id)
                .first(conn)?;
            refresh_figures(conn, project)?;
        }
    }
    Ok(n == 1)
}

/// What the dashboards total of a project, from its plan and its filed reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredFigures {
    pub unique_people: i64,
    pub person_times: i64,
    pub spent_grant_fen: i64,
    pub spent_matching_fen: i64,
    pub overspent_lines: i32,
    /// The earliest due date of a planned milestone without a filed report: the project has an
    /// overdue report from the day after.
    pub next_due_on: Option<NaiveDate>,
    /// (group, unique people, person-times) of the known beneficiary groups reported.
    pub groups: Vec<(String, i64, i64)>,
}

impl StoredFigures {
    /// `latest`: the latest filed report; `filed_milestones`: the plan's milestone indexes
    /// with a filed report.
    pub fn of(
        plan: &crate::domain::proposal::ProposalContent,
        latest: Option<&ReportContent>,
        filed_milestones: &std::collections::HashSet<i32>,
    ) -> Self {
        use crate::domain::report::BeneficiaryGroup;
        let f = crate::domain::report::project_figures(
            &plan.budget,
            latest,
            &[],
            crate::domain::money::Fen::ZERO,
            NaiveDate::MIN,
        );
        let next_due_on = plan
            .milestones
            .iter()
            .enumerate()
            .filter(|(i, _)| i32::try_from(*i).map_or(true, |i| !filed_milestones.contains(&i)))
            .map(|(_, m)| m.due)
            .min();
        let groups = latest
            .map(|c| {
                BeneficiaryGroup::ALL
                    .iter()
                    .map(|g| {
                        let g = g.as_str();
                        let times = c
                            .beneficiaries
                            .iter()
                            .filter(|b| b.group == g)
                            .map(|b| b.person_times)
                            .sum::<i64>();
                        (g.to_string(), c.unique_of(g), times)
                    })
                    .filter(|(_, u, t)| *u != 0 || *t != 0)
                    .collect()
            })
            .unwrap_or_default();
        StoredFigures {
            unique_people: f.unique_people,
            person_times: f.person_times,
            spent_grant_fen: f.spent_grant.0,
            spent_matching_fen: f.spent_matching.0,
            overspent_lines: i32::try_from(f.overspent_lines).unwrap_or(i32::MAX),
            next_due_on,
            groups,
        }
    }
}

/// Recomputes the stored figures of a project (after a report was filed or unfiled, or when
/// the project is created), in the caller's transaction.
pub fn refresh_figures(conn: &mut DbConn, project_id: i64) -> Result<(), AppError> {
    let (_, plan) = super::changes::plan(conn, project_id)?;
    let filed = latest_filed_of(conn, &[project_id])?;
    let milestones = filed_milestones(conn, &[project_id])?
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    let f = StoredFigures::of(&plan, filed.first().map(|r| &r.content_json.0), &milestones);
    let targets = target_achievement(conn, project_id, &plan)?;
    diesel::update(projects::table.find(project_id))
        .set((
            projects::fig_unique_people.eq(f.unique_people),
            projects::fig_person_times.eq(f.person_times),
            projects::fig_spent_grant_fen.eq(f.spent_grant_fen),
            projects::fig_spent_matching_fen.eq(f.spent_matching_fen),
            projects::fig_overspent_lines.eq(f.overspent_lines),
            projects::fig_next_due_on.eq(f.next_due_on),
            projects::fig_version.eq(1),
            projects::fig_targets_total.eq(i32::try_from(targets.total).unwrap_or(i32::MAX)),
            projects::fig_targets_met.eq(i32::try_from(targets.met).unwrap_or(i32::MAX)),
            projects::fig_target_score.eq(targets.score_tenths),
        ))
        .execute(conn)?;
    diesel::delete(project_groups::table.filter(project_groups::project_id.eq(project_id)))
        .execute(conn)?;
    for (g, unique, times) in &f.groups {
        diesel::insert_into(project_groups::table)
            .values((
                project_groups::project_id.eq(project_id),
                project_groups::grp.eq(g),
                project_groups::unique_people.eq(unique),
                project_groups::person_times.eq(times),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The plan's targets against the latest accepted report of the project, by its round's tree.
pub fn target_achievement(
    conn: &mut DbConn,
    project_id: i64,
    plan: &crate::domain::proposal::ProposalContent,
) -> Result<crate::domain::target::Achievement, AppError> {
    use crate::domain::target;
    let round_id: i64 = projects::table
        .find(project_id)
        .select(projects::round_id)
        .first(conn)?;
    let rules = super::rounds::find(conn, round_id)?.rules().targets;
    if plan.targets.is_empty() {
        return Ok(target::achievement(&[], &[], &rules));
    }
    let latest = latest_accepted_of(conn, &[project_id])?;
    let actuals: Vec<Option<i64>> = plan
        .targets
        .iter()
        .map(|t| {
            latest
                .first()
                .and_then(|r| target::actual_in(t, &r.content_json.0))
        })
        .collect();
    Ok(target::achievement(&plan.targets, &actuals, &rules))
}

/// A project's stored target summary: (project, met, total, score in tenths).
pub type TargetSummaryRow = (i64, i32, i32, Option<i32>);

/// The stored target summary of some projects.
pub fn target_summaries(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<Vec<TargetSummaryRow>, AppError> {
    Ok(projects::table
        .filter(projects::id.eq_any(project_ids))
        .select((
            projects::id,
            projects::fig_targets_met,
            projects::fig_targets_total,
            projects::fig_target_score,
        ))
        .load(conn)?)
}

/// Computes the figures of the projects that have none yet (rows from before they were
/// stored); returns how many. Run by the migrate step that adds them.
pub fn refresh_missing_figures(conn: &mut DbConn) -> Result<usize, AppError> {
    let ids: Vec<i64> = projects::table
        .filter(projects::fig_version.eq(0))
        .select(projects::id)
        .load(conn)?;
    for id in &ids {
        conn.transaction(|c| refresh_figures(c, *id))?;
    }
    Ok(ids.len())
}

/// The statuses of a filed report (see [`ReportStatus::filed`]).
const FILED: [&str; 2] = ["submitted", "accepted"];

/// The latest filed report (by period end, then id) of each of some projects, chosen in SQL.
pub fn latest_filed_of(conn: &mut DbConn, project_ids: &[i64]) -> Result<Vec<ReportRow>, AppError> {
    latest_of(conn, project_ids, &FILED)
}

/// The latest accepted report of each of some projects (target achievement counts only what
/// the bureau accepted).
pub fn latest_accepted_of(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<Vec<ReportRow>, AppError> {
    latest_of(conn, project_ids, &["accepted"])
}

/// The latest report in one of `statuses` (by period end, then id) of each of some projects.
fn latest_of(
    conn: &mut DbConn,
    project_ids: &[i64],
    statuses: &[&str],
) -> Result<Vec<ReportRow>, AppError> {
    let later = diesel::alias!(reports as later);
    let filed = statuses.to_vec();
    Ok(reports::table
        .filter(reports::project_id.eq_any(project_ids))
        .filter(reports::status.eq_any(filed))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            later
                .filter(later.field(reports::project_id).eq(reports::project_id))
                .filter(later.field(reports::status).eq_any(statuses.to_vec()))
                .filter(
                    later
                        .field(reports::period_end)
                        .gt(reports::period_end)
                        .or(later
                            .field(reports::period_end)
                            .eq(reports::period_end)
                            .and(later.field(reports::id).gt(reports::id))),
                )
                .select(later.field(reports::id)),
        )))
        .select(REPORT_COLS)
        .load(conn)?)
}

/// The milestones with a filed report of some projects: (project, milestone index).
pub fn filed_milestones(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<Vec<(i64, i32)>, AppError> {
    let filed = FILED;
    Ok(reports::table
        .filter(reports::project_id.eq_any(project_ids))
        .filter(reports::status.eq_any(filed))
        .filter(reports::milestone_index.is_not_null())
        .select((
            reports::project_id,
            reports::milestone_index.assume_not_null(),
        ))
        .distinct()
        .load(conn)?)
}

/// Active projects of rounds in execution (for the reminders).
pub fn active_projects(conn: &mut DbConn) -> Result<Vec<ProjectRow>, AppError> {
    Ok(projects::table
        .inner_join(organizations::table)
        .inner_join(rounds::table)
        .filter(projects::status.eq(ProjectStatus::Active))
        .select(PROJECT_COLS)
        .order(projects::id)
        .load(conn)?)
}

/// Payments per project: (project id, paid total), by project id.
/// Which of the projects have a tranche withheld.
pub fn with_withheld_tranche(
    conn: &mut DbConn,
    project_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, AppError> {
    Ok(tranches::table
        .filter(tranches::project_id.eq_any(project_ids))
        .filter(tranches::status.eq(TrancheStatus::Withheld))
        .select(tranches::project_id)
        .distinct()
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

pub fn paid_totals(conn: &mut DbConn, project_ids: &[i64]) -> Result<Vec<(i64, i64)>, AppError> {
    let rows: Vec<(i64, i64)> = payments::table
        .filter(payments::project_id.eq_any(project_ids))
        .select((payments::project_id, payments::amount_fen))
        .load(conn)?;
    let mut out: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for (p, a) in rows {
        let t = out.entry(p).or_insert(0);
        *t = t.saturating_add(a);
    }
    Ok(out.into_iter().collect())
}

/// Sets a project's status (and the rectification deadline, renewal and final grade when
/// given).
/// Moves a project to `status` (refused as a conflict when its life does not allow the move)
/// and records what its evaluations decided.
pub fn set_project_outcome(
    conn: &mut DbConn,
    id: i64,
    status: ProjectStatus,
    rectify_until: Option<NaiveDate>,
    renewal: Option<&str>,
    final_grade: Option<&str>,
) -> Result<(), AppError> {
    let current: ProjectStatus = projects::table
        .find(id)
        .select(projects::status)
        .first(conn)?;
    let status = current.transition(status)?;
    diesel::update(projects::table.find(id))
        .set((
            projects::status.eq(status),
            projects::rectify_until.eq(rectify_until),
            projects::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if !status.running() {
        // When it ended: its rosters' retention runs from here (issue 15).
        use super::schema::project_closures;
        let known: i64 = project_closures::table.find(id).count().get_result(conn)?;
        if known == 0 {
            diesel::insert_into(project_closures::table)
                .values((
                    project_closures::project_id.eq(id),
                    project_closures::closed_at.eq(now()),
                ))
                .execute(conn)?;
        }
    }
    if renewal.is_some() || final_grade.is_some() {
        diesel::update(projects::table.find(id))
            .set((
                projects::renewal.eq(renewal),
                projects::final_grade.eq(final_grade),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What the evaluations decided for a project: (rectify until, renewal, final grade).
pub type Outcome = (Option<NaiveDate>, Option<String>, Option<String>);

pub fn outcome(conn: &mut DbConn, id: i64) -> Result<Outcome, AppError> {
    Ok(projects::table
        .find(id)
        .select((
            projects::rectify_until,
            projects::renewal,
            projects::final_grade,
        ))
        .first(conn)?)
}

/// A refund line: `owed` (set at termination) or `paid` (recorded by the officer).
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct RefundRow {
    pub id: i64,
    pub kind: RefundKind,
    pub amount_fen: i64,
    pub note: String,
    pub created_at: NaiveDateTime,
}

pub fn refunds(conn: &mut DbConn, project_id: i64) -> Result<Vec<RefundRow>, AppError> {
    Ok(refunds::table
        .filter(refunds::project_id.eq(project_id))
        .order(refunds::id)
        .select((
            refunds::id,
            refunds::kind,
            refunds::amount_fen,
            refunds::note,
            refunds::created_at,
        ))
        .load(conn)?)
}

pub fn insert_refund(
    conn: &mut DbConn,
    project_id: i64,
    kind: RefundKind,
    amount_fen: i64,
    note: &str,
    by: Option<i64>,
) -> Result<i64, AppError> {
    Ok(diesel::insert_into(refunds::table)
        .values((
            refunds::project_id.eq(project_id),
            refunds::kind.eq(kind),
            refunds::amount_fen.eq(amount_fen),
            refunds::note.eq(note),
            refunds::recorded_by.eq(by),
            refunds::created_at.eq(now()),
        ))
        .returning(refunds::id)
        .get_result(conn)?)
}

/// The figures of the latest filed report (the project's cumulative totals so far).
pub fn latest_filed(reports: &[ReportRow]) -> Option<ReportContent> {
    reports
        .iter()
        .filter(|r| r.status.filed())
        .max_by_key(|r| (r.period_end, r.id))
        .map(ReportRow::content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filed_statuses_are_those_whose_figures_count() {
        let mut filed: Vec<&str> = ReportStatus::ALL
            .iter()
            .filter(|s| s.filed())
            .map(|s| s.as_str())
            .collect();
        filed.sort_unstable();
        let mut listed = FILED.to_vec();
        listed.sort_unstable();
        assert_eq!(filed, listed);
    }
}
