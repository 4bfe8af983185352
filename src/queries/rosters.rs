//! The read side of beneficiary rosters (issue 15): a report's roster as its organization and
//! the bureau's officers see it (identity numbers masked; names shown to both), its counts
//! against the report's figures and its duplicates; a project's 重复受益 for officers (people
//! it shares with the bureau's other projects: counts and the other project's number and
//! title only); and the bureau's list of such pairs.

use chrono::NaiveDate;

use crate::auth::policy::{self, Action, Actor};
use crate::db::projects::{ProjectRow, ReportRow};
use crate::db::rosters::{self, EntryRow, SharedPeople};
use crate::db::DbConn;
use crate::domain::report::GroupCount;
use crate::domain::roster::{self, Duplicate, RosterRules};
use crate::error::AppError;
use crate::ops;

/// One roster line as shown: the identity number masked, never sealed or hashed.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub seq: i32,
    /// A beneficiary group code.
    pub group: String,
    /// Blank once anonymised.
    pub name: String,
    /// `phone`, `id_card` or none.
    pub id_kind: Option<String>,
    /// E.g. `138****5678`, `1101**********002X`.
    pub id_masked: Option<String>,
    pub first_served: NaiveDate,
    pub person_times: i32,
    /// The retention job blanked its name and number.
    pub anonymised: bool,
}

impl From<&EntryRow> for LineView {
    fn from(e: &EntryRow) -> Self {
        LineView {
            seq: e.seq,
            group: e.grp.clone(),
            name: e.name.clone(),
            id_kind: e.id_kind.clone(),
            id_masked: e.id_masked.clone(),
            first_served: e.first_served,
            person_times: e.person_times,
            anonymised: e.anonymised_at.is_some(),
        }
    }
}

/// A report's roster with its counts and checks.
#[derive(Debug, Clone)]
pub struct RosterScreen {
    pub report: ReportRow,
    pub project: ProjectRow,
    pub rules: RosterRules,
    pub lines: Vec<LineView>,
    /// Unique people and person-times per group, from the lines.
    pub tallies: Vec<GroupCount>,
    /// Lines that are the same person.
    pub duplicates: Vec<Duplicate>,
    /// The roster's disagreements with the report (what would stop its submission).
    pub problems: crate::error::FieldErrors,
    /// The reader is a member of the organization and the report is editable.
    pub can_edit: bool,
}

/// Only the project's organization and the bureau's officers read its rosters (the sampling
/// evaluator's access is separate and audited).
fn require_reader(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    if policy::allows(actor, Action::EditProposal(p.org_id))
        || policy::allows(actor, Action::ManageRounds(p.bureau_id))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The roster of report `id` as `actor` may read it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn report_roster(c: &mut DbConn, actor: &Actor, id: i64) -> Result<RosterScreen, AppError> {
    let (r, p, _) = ops::execution::find_report(c, actor, id)?;
    require_reader(actor, &p)?;
    let rules = ops::rosters::rules_of(c, &p)?;
    let entries = rosters::entries(c, r.id)?;
    let people: Vec<_> = entries.iter().map(EntryRow::person).collect();
    let tallies = roster::tally(&people);
    let duplicates = roster::duplicates(&people);
    let problems = ops::rosters::problems(c, &r, &p)?;
    let can_edit = policy::allows(actor, Action::EditProposal(p.org_id))
        && r.status.editable()
        && p.status == crate::domain::project::ProjectStatus::Active;
    Ok(RosterScreen {
        lines: entries.iter().map(LineView::from).collect(),
        report: r,
        project: p,
        rules,
        tallies,
        duplicates,
        problems,
        can_edit,
    })
}

/// A project's duplicates as its officers see them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectDuplicates {
    pub project_id: i64,
    /// The report whose roster is the project's latest filed one, if any.
    pub report_id: Option<i64>,
    /// Lines of that roster that are the same person (by sequence number).
    pub within: Vec<Duplicate>,
    /// 重复受益: the bureau's other projects counting some of the same people (matched by
    /// identity number) in overlapping periods: how many, and the other project's number
    /// and title only.
    pub across: Vec<SharedPeople>,
}

/// `actor` is an officer of the project's bureau.
fn require_officer(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    policy::require(actor, Action::ManageRounds(p.bureau_id))
}

/// The duplicates of project `id` (officers of its bureau only).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn project_duplicates(
    c: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<ProjectDuplicates, AppError> {
    let (p, _) = ops::execution::load(c, actor, id)?;
    require_officer(actor, &p)?;
    of_project(c, &p)
}

/// The duplicates of a project the caller has checked the reader for.
pub fn of_project(c: &mut DbConn, p: &ProjectRow) -> Result<ProjectDuplicates, AppError> {
    let latest = rosters::latest_filed(c, p.id)?;
    let within = latest
        .as_ref()
        .map(|(_, lines)| {
            let people: Vec<_> = lines.iter().map(EntryRow::person).collect();
            roster::duplicates(&people)
        })
        .unwrap_or_default();
    Ok(ProjectDuplicates {
        project_id: p.id,
        report_id: latest.map(|(id, _)| id),
        within,
        across: rosters::shared_with(c, p.bureau_id, p.id)?,
    })
}

/// The most pairs the bureau's list shows.
pub const BUREAU_PAIRS: i64 = 200;

/// Every pair of the officer's bureau's projects that count some of the same people.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn bureau_duplicates(c: &mut DbConn, actor: &Actor) -> Result<Vec<SharedPeople>, AppError> {
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(bureau))?;
    rosters::shared_in_bureau(c, bureau, BUREAU_PAIRS)
}
