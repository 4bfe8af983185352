//! Queries of the visit aggregate (督导): visits of a project, their findings and photos.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{project_files, projects, users, visit_findings, visits};
use super::{now, DbConn, Json};
use crate::domain::account::{Role, UserStatus};
use crate::domain::project::ProjectFileKind;
use crate::domain::visit::{
    CheckEntry, FindingFacts, FindingStatus, Record, VisitRating, VisitStatus,
};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct VisitRow {
    pub id: i64,
    pub project_id: i64,
    /// The officer or supervisor who visits.
    pub visitor_id: i64,
    pub scheduled_on: NaiveDate,
    /// `scheduled` or `recorded`.
    pub status: VisitStatus,
    pub visited_on: Option<NaiveDate>,
    /// The checklist as recorded (empty while scheduled).
    #[schema(value_type = Vec<CheckEntry>)]
    pub checklist: Json<Vec<CheckEntry>>,
    /// `excellent`, `good`, `fair` or `poor`, once recorded.
    pub rating: Option<VisitRating>,
    pub summary: String,
    pub scheduled_by: i64,
    pub recorded_by: Option<i64>,
    pub recorded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub visitor_name: String,
}

type VisitCols = (
    visits::id,
    visits::project_id,
    visits::visitor_id,
    visits::scheduled_on,
    visits::status,
    visits::visited_on,
    visits::checklist_json,
    visits::rating,
    visits::summary,
    visits::scheduled_by,
    visits::recorded_by,
    visits::recorded_at,
    visits::created_at,
    users::name,
);
const VISIT_COLS: VisitCols = (
    visits::id,
    visits::project_id,
    visits::visitor_id,
    visits::scheduled_on,
    visits::status,
    visits::visited_on,
    visits::checklist_json,
    visits::rating,
    visits::summary,
    visits::scheduled_by,
    visits::recorded_by,
    visits::recorded_at,
    visits::created_at,
    users::name,
);

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct FindingRow {
    pub id: i64,
    pub visit_id: i64,
    pub project_id: i64,
    /// Its number within the visit, from 1.
    pub seq: i32,
    pub text: String,
    /// The Beijing working day by which it must be rectified; none when no rectification is
    /// required.
    pub rectify_by: Option<NaiveDate>,
    /// `open`, `responded` or `closed`.
    pub status: FindingStatus,
    pub response: Option<String>,
    /// The file the organization attached to its response.
    pub response_file_id: Option<i64>,
    pub responded_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub close_note: Option<String>,
    pub created_at: NaiveDateTime,
}

impl FindingRow {
    pub fn facts(&self) -> FindingFacts {
        FindingFacts {
            status: self.status,
            rectify_by: self.rectify_by,
        }
    }
}

type FindingCols = (
    visit_findings::id,
    visit_findings::visit_id,
    visit_findings::project_id,
    visit_findings::seq,
    visit_findings::text,
    visit_findings::rectify_by,
    visit_findings::status,
    visit_findings::response,
    visit_findings::response_file_id,
    visit_findings::responded_at,
    visit_findings::closed_at,
    visit_findings::close_note,
    visit_findings::created_at,
);
const FINDING_COLS: FindingCols = (
    visit_findings::id,
    visit_findings::visit_id,
    visit_findings::project_id,
    visit_findings::seq,
    visit_findings::text,
    visit_findings::rectify_by,
    visit_findings::status,
    visit_findings::response,
    visit_findings::response_file_id,
    visit_findings::responded_at,
    visit_findings::closed_at,
    visit_findings::close_note,
    visit_findings::created_at,
);

pub fn insert_visit(
    conn: &mut DbConn,
    project_id: i64,
    visitor_id: i64,
    scheduled_on: NaiveDate,
    scheduled_by: i64,
) -> Result<i64, AppError> {
    Ok(diesel::insert_into(visits::table)
        .values((
            visits::project_id.eq(project_id),
            visits::visitor_id.eq(visitor_id),
            visits::scheduled_on.eq(scheduled_on),
            visits::status.eq(VisitStatus::Scheduled),
            visits::checklist_json.eq("[]"),
            visits::summary.eq(""),
            visits::scheduled_by.eq(scheduled_by),
            visits::created_at.eq(now()),
        ))
        .returning(visits::id)
        .get_result(conn)?)
}

pub fn visit(conn: &mut DbConn, id: i64) -> Result<VisitRow, AppError> {
    Ok(visits::table
        .inner_join(users::table.on(users::id.eq(visits::visitor_id)))
        .filter(visits::id.eq(id))
        .select(VISIT_COLS)
        .first(conn)?)
}

/// A project's visits, the latest scheduled first.
pub fn visits_of(conn: &mut DbConn, project_id: i64) -> Result<Vec<VisitRow>, AppError> {
    Ok(visits::table
        .inner_join(users::table.on(users::id.eq(visits::visitor_id)))
        .filter(visits::project_id.eq(project_id))
        .select(VISIT_COLS)
        .order((visits::scheduled_on.desc(), visits::id.desc()))
        .load(conn)?)
}

/// Records a scheduled visit (only once: `false` when it was recorded already).
pub fn record(conn: &mut DbConn, id: i64, r: &Record, by: i64) -> Result<bool, AppError> {
    let json =
        serde_json::to_string(&r.checklist).map_err(|e| AppError::unexpected("checklist", &e))?;
    let n = diesel::update(
        visits::table
            .filter(visits::id.eq(id))
            .filter(visits::status.eq(VisitStatus::Scheduled)),
    )
    .set((
        visits::status.eq(VisitStatus::Recorded),
        visits::visited_on.eq(Some(r.visited_on)),
        visits::checklist_json.eq(json),
        visits::rating.eq(Some(r.rating)),
        visits::summary.eq(&r.summary),
        visits::recorded_by.eq(Some(by)),
        visits::recorded_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_finding(
    conn: &mut DbConn,
    visit_id: i64,
    project_id: i64,
    seq: i32,
    text: &str,
    rectify_by: Option<NaiveDate>,
) -> Result<i64, AppError> {
    Ok(diesel::insert_into(visit_findings::table)
        .values((
            visit_findings::visit_id.eq(visit_id),
            visit_findings::project_id.eq(project_id),
            visit_findings::seq.eq(seq),
            visit_findings::text.eq(text),
            visit_findings::rectify_by.eq(rectify_by),
            visit_findings::status.eq(FindingStatus::Open),
            visit_findings::created_at.eq(now()),
        ))
        .returning(visit_findings::id)
        .get_result(conn)?)
}

pub fn finding(conn: &mut DbConn, id: i64) -> Result<FindingRow, AppError> {
    Ok(visit_findings::table
        .filter(visit_findings::id.eq(id))
        .select(FINDING_COLS)
        .first(conn)?)
}

/// A project's findings, by visit and number.
pub fn findings_of(conn: &mut DbConn, project_id: i64) -> Result<Vec<FindingRow>, AppError> {
    Ok(visit_findings::table
        .filter(visit_findings::project_id.eq(project_id))
        .select(FINDING_COLS)
        .order((visit_findings::visit_id, visit_findings::seq))
        .load(conn)?)
}

/// The organization's response: `false` when the finding moved meanwhile.
pub fn respond(
    conn: &mut DbConn,
    id: i64,
    from: FindingStatus,
    response: &str,
    file_id: Option<i64>,
    by: i64,
) -> Result<bool, AppError> {
    let target = visit_findings::table
        .filter(visit_findings::id.eq(id))
        .filter(visit_findings::status.eq(from));
    let at = now();
    let n = match file_id {
        Some(f) => diesel::update(target)
            .set((
                visit_findings::status.eq(FindingStatus::Responded),
                visit_findings::response.eq(Some(response)),
                visit_findings::response_file_id.eq(Some(f)),
                visit_findings::responded_by.eq(Some(by)),
                visit_findings::responded_at.eq(Some(at)),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                visit_findings::status.eq(FindingStatus::Responded),
                visit_findings::response.eq(Some(response)),
                visit_findings::responded_by.eq(Some(by)),
                visit_findings::responded_at.eq(Some(at)),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Attaches the organization's file to its response: `false` when the finding moved.
pub fn set_response_file(
    conn: &mut DbConn,
    id: i64,
    from: FindingStatus,
    file_id: i64,
) -> Result<bool, AppError> {
    let n = diesel::update(
        visit_findings::table
            .filter(visit_findings::id.eq(id))
            .filter(visit_findings::status.eq(from)),
    )
    .set(visit_findings::response_file_id.eq(Some(file_id)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The bureau closes or reopens a finding: `false` when it moved meanwhile.
pub fn set_closed(
    conn: &mut DbConn,
    id: i64,
    from: FindingStatus,
    to: FindingStatus,
    note: Option<&str>,
    by: i64,
) -> Result<bool, AppError> {
    let closing = to == FindingStatus::Closed;
    let n = diesel::update(
        visit_findings::table
            .filter(visit_findings::id.eq(id))
            .filter(visit_findings::status.eq(from)),
    )
    .set((
        visit_findings::status.eq(to),
        visit_findings::closed_by.eq(closing.then_some(by)),
        visit_findings::closed_at.eq(closing.then(now)),
        visit_findings::close_note.eq(note),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The supervisor is named on a visit of the project.
pub fn supervises(conn: &mut DbConn, user_id: i64, project_id: i64) -> Result<bool, AppError> {
    let n: i64 = visits::table
        .filter(visits::visitor_id.eq(user_id))
        .filter(visits::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Who may be sent on a bureau's visits: its active officers and supervisors, by name.
pub fn visitors(conn: &mut DbConn, bureau_id: i64) -> Result<Vec<(i64, String, Role)>, AppError> {
    Ok(users::table
        .filter(users::bureau_id.eq(bureau_id))
        .filter(users::role.eq_any([Role::Officer.as_str(), Role::Supervisor.as_str()]))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .select((users::id, users::name, users::role))
        .order((users::name, users::id))
        .load(conn)?)
}

/// How many photos a visit holds.
pub fn photo_count(conn: &mut DbConn, visit_id: i64) -> Result<i64, AppError> {
    Ok(project_files::table
        .filter(project_files::visit_id.eq(visit_id))
        .filter(project_files::kind.eq(ProjectFileKind::VisitPhoto))
        .count()
        .get_result(conn)?)
}

/// A file of a visit (its photos and the responses' files): id, kind, name, when.
pub type VisitFile = (i64, Option<i64>, ProjectFileKind, String, NaiveDateTime);

/// The files of a project's visits.
pub fn files_of(conn: &mut DbConn, project_id: i64) -> Result<Vec<VisitFile>, AppError> {
    Ok(project_files::table
        .filter(project_files::project_id.eq(project_id))
        .filter(project_files::visit_id.is_not_null())
        .select((
            project_files::id,
            project_files::visit_id,
            project_files::kind,
            project_files::filename,
            project_files::uploaded_at,
        ))
        .order(project_files::id)
        .load(conn)?)
}

/// The projects (among `ids`) with a required rectification past `today` and unanswered.
pub fn with_overdue_findings(
    conn: &mut DbConn,
    ids: &[i64],
    today: NaiveDate,
) -> Result<std::collections::HashSet<i64>, AppError> {
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        out.extend(
            overdue(today)
                .filter(visit_findings::project_id.eq_any(chunk))
                .select(visit_findings::project_id)
                .distinct()
                .load::<i64>(conn)?,
        );
    }
    Ok(out)
}

/// The findings overdue on `today`: required, unanswered and past their date (the rule of
/// `domain::visit::FindingFacts::overdue`, in SQL).
pub fn overdue(today: NaiveDate) -> overdue_findings {
    visit_findings::table
        .filter(visit_findings::status.eq(FindingStatus::Open.as_str()))
        .filter(visit_findings::rectify_by.lt(today))
}

/// The findings that hold their project's next tranche: a rectification is required and the
/// bureau has not closed it (`domain::visit::FindingFacts::holds`, in SQL).
pub fn holding() -> holding_findings {
    visit_findings::table
        .filter(visit_findings::rectify_by.is_not_null())
        .filter(visit_findings::status.ne(FindingStatus::Closed.as_str()))
}

/// The type of [`holding`].
#[allow(non_camel_case_types)]
pub type holding_findings = diesel::dsl::Filter<
    diesel::dsl::Filter<visit_findings::table, diesel::dsl::IsNotNull<visit_findings::rectify_by>>,
    diesel::dsl::NotEq<visit_findings::status, &'static str>,
>;

/// The type of [`overdue`].
#[allow(non_camel_case_types)]
pub type overdue_findings = diesel::dsl::Filter<
    diesel::dsl::Filter<
        visit_findings::table,
        diesel::dsl::Eq<visit_findings::status, &'static str>,
    >,
    diesel::dsl::Lt<visit_findings::rectify_by, NaiveDate>,
>;

/// The project of a visit and its bureau.
pub fn project_of_visit(conn: &mut DbConn, visit_id: i64) -> Result<(i64, i64), AppError> {
    Ok(visits::table
        .inner_join(projects::table)
        .filter(visits::id.eq(visit_id))
        .select((projects::id, projects::bureau_id))
        .first(conn)?)
}
