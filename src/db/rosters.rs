//! Queries of beneficiary rosters (服务对象名册, issue 15): the lines filed with a progress
//! report, the latest filed roster of a project (what evaluations and sampling read), people
//! shared between the bureau's projects, and the retention job's anonymisation.
//!
//! A line's identity number is stored only sealed (`id_cipher`), hashed (`id_hash`) and
//! masked (`id_masked`); see [`crate::pii`].

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{project_closures, projects, reports, roster_entries};
use super::{now, DbConn};
use crate::domain::report::ReportStatus;
use crate::domain::roster::PersonRef;
use crate::error::AppError;
use crate::pii::IdKind;

/// One stored roster line.
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub id: i64,
    pub project_id: i64,
    pub report_id: i64,
    /// 1-based position in its roster.
    pub seq: i32,
    /// A [`crate::domain::report::BeneficiaryGroup`] code.
    pub grp: String,
    /// Blank once anonymised.
    pub name: String,
    pub id_kind: Option<String>,
    /// The number sealed under the `pii_key` (never shown; see [`crate::pii::PiiKey::open`]).
    pub id_cipher: Option<String>,
    pub id_hash: Option<String>,
    pub id_masked: Option<String>,
    pub first_served: NaiveDate,
    pub person_times: i32,
    pub anonymised_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl EntryRow {
    pub fn kind(&self) -> Option<IdKind> {
        self.id_kind.as_deref().and_then(IdKind::parse)
    }

    /// The line as the counts and the duplicate check see it.
    pub fn person(&self) -> PersonRef<'_> {
        PersonRef {
            seq: self.seq,
            grp: &self.grp,
            name: &self.name,
            id_hash: self.id_hash.as_deref(),
            person_times: i64::from(self.person_times),
        }
    }

    /// The rule of a unique person within a project ([`crate::domain::roster::person_key`]).
    pub fn person_key(&self) -> String {
        crate::domain::roster::person_key(&self.grp, &self.name, self.id_hash.as_deref())
    }
}

/// A line to store: its identity, if any, already sealed, hashed and masked.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub seq: i32,
    pub grp: String,
    pub name: String,
    pub id_kind: Option<&'static str>,
    pub id_cipher: Option<String>,
    pub id_hash: Option<String>,
    pub id_masked: Option<String>,
    pub first_served: NaiveDate,
    pub person_times: i32,
}

/// The roster of a report, in line order.
pub fn entries(conn: &mut DbConn, report_id: i64) -> Result<Vec<EntryRow>, AppError> {
    Ok(roster_entries::table
        .filter(roster_entries::report_id.eq(report_id))
        .order(roster_entries::seq)
        .load(conn)?)
}

/// How many lines each of these reports' rosters has.
pub fn counts(conn: &mut DbConn, report_ids: &[i64]) -> Result<Vec<(i64, i64)>, AppError> {
    if report_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(roster_entries::table
        .filter(roster_entries::report_id.eq_any(report_ids))
        .group_by(roster_entries::report_id)
        .select((roster_entries::report_id, diesel::dsl::count_star()))
        .load(conn)?)
}

/// The latest filed (submitted or accepted) report of the project that has a roster, and
/// its lines: the project's roster as it stands (what evaluations and sampling read).
pub fn latest_filed(
    conn: &mut DbConn,
    project_id: i64,
) -> Result<Option<(i64, Vec<EntryRow>)>, AppError> {
    match latest_filed_report(conn, project_id)? {
        None => Ok(None),
        Some(id) => Ok(Some((id, entries(conn, id)?))),
    }
}

/// The project's latest submitted or accepted report that carries a roster: rosters are
/// cumulative, so its roster is everyone served so far.
pub fn latest_filed_report(conn: &mut DbConn, project_id: i64) -> Result<Option<i64>, AppError> {
    Ok(reports::table
        .filter(reports::project_id.eq(project_id))
        .filter(reports::status.eq_any([
            ReportStatus::Submitted.as_str(),
            ReportStatus::Accepted.as_str(),
        ]))
        .filter(diesel::dsl::exists(
            roster_entries::table.filter(roster_entries::report_id.eq(reports::id)),
        ))
        .order((reports::period_end.desc(), reports::id.desc()))
        .select(reports::id)
        .first(conn)
        .optional()?)
}

/// Replaces a report's roster with `lines` (inside the caller's transaction).
pub fn replace(
    conn: &mut DbConn,
    project_id: i64,
    report_id: i64,
    lines: &[NewEntry],
) -> Result<(), AppError> {
    diesel::delete(roster_entries::table.filter(roster_entries::report_id.eq(report_id)))
        .execute(conn)?;
    let at = now();
    for l in lines {
        diesel::insert_into(roster_entries::table)
            .values((
                roster_entries::project_id.eq(project_id),
                roster_entries::report_id.eq(report_id),
                roster_entries::seq.eq(l.seq),
                roster_entries::grp.eq(&l.grp),
                roster_entries::name.eq(&l.name),
                roster_entries::id_kind.eq(l.id_kind),
                roster_entries::id_cipher.eq(&l.id_cipher),
                roster_entries::id_hash.eq(&l.id_hash),
                roster_entries::id_masked.eq(&l.id_masked),
                roster_entries::first_served.eq(l.first_served),
                roster_entries::person_times.eq(l.person_times),
                roster_entries::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

impl From<&EntryRow> for NewEntry {
    fn from(e: &EntryRow) -> Self {
        NewEntry {
            seq: e.seq,
            grp: e.grp.clone(),
            name: e.name.clone(),
            id_kind: e.kind().map(IdKind::as_str),
            id_cipher: e.id_cipher.clone(),
            id_hash: e.id_hash.clone(),
            id_masked: e.id_masked.clone(),
            first_served: e.first_served,
            person_times: e.person_times,
        }
    }
}

/// People of one project also on another project's filed roster of the same bureau, served
/// by both in overlapping periods (each line's first service date to its report's end).
#[derive(Debug, Clone, QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct SharedPeople {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub project_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub agreement_no: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub title: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub other_project_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub other_agreement_no: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub other_title: String,
    /// How many people (distinct identity numbers) both count.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub people: i64,
}

const SHARED_SQL: &str = "SELECT a.project_id AS project_id, pa.agreement_no AS agreement_no, \
     pa.title AS title, b.project_id AS other_project_id, pb.agreement_no AS other_agreement_no, \
     pb.title AS other_title, COUNT(DISTINCT a.id_hash) AS people \
     FROM roster_entries a \
     JOIN reports ra ON ra.id = a.report_id \
     JOIN projects pa ON pa.id = a.project_id \
     JOIN roster_entries b ON b.id_hash = a.id_hash AND b.project_id <> a.project_id \
     JOIN reports rb ON rb.id = b.report_id \
     JOIN projects pb ON pb.id = b.project_id \
     WHERE a.id_hash IS NOT NULL AND pa.bureau_id = $1 AND pb.bureau_id = $1 \
     AND ra.status IN ('submitted', 'accepted') AND rb.status IN ('submitted', 'accepted') \
     AND a.first_served <= rb.period_end AND b.first_served <= ra.period_end";
const SHARED_GROUP: &str = " GROUP BY a.project_id, pa.agreement_no, pa.title, b.project_id, \
     pb.agreement_no, pb.title ORDER BY people DESC, a.project_id, b.project_id";

/// The projects sharing people with `project_id` (of bureau `bureau_id`), most shared first.
pub fn shared_with(
    conn: &mut DbConn,
    bureau_id: i64,
    project_id: i64,
) -> Result<Vec<SharedPeople>, AppError> {
    use diesel::sql_types::BigInt;
    Ok(
        diesel::sql_query(format!("{SHARED_SQL} AND a.project_id = $2{SHARED_GROUP}"))
            .bind::<BigInt, _>(bureau_id)
            .bind::<BigInt, _>(project_id)
            .load(conn)?,
    )
}

/// Every pair of the bureau's projects sharing people (each pair once), most shared first,
/// at most `limit` pairs.
pub fn shared_in_bureau(
    conn: &mut DbConn,
    bureau_id: i64,
    limit: i64,
) -> Result<Vec<SharedPeople>, AppError> {
    use diesel::sql_types::BigInt;
    Ok(diesel::sql_query(format!(
        "{SHARED_SQL} AND a.project_id < b.project_id{SHARED_GROUP} LIMIT $2"
    ))
    .bind::<BigInt, _>(bureau_id)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Ended projects with lines not yet anonymised: (project id, round id, when it ended).
pub fn closed_with_identities(
    conn: &mut DbConn,
) -> Result<Vec<(i64, i64, NaiveDateTime)>, AppError> {
    Ok(project_closures::table
        .inner_join(projects::table)
        .filter(diesel::dsl::exists(
            roster_entries::table
                .filter(roster_entries::project_id.eq(project_closures::project_id))
                .filter(roster_entries::anonymised_at.is_null()),
        ))
        .select((
            projects::id,
            projects::round_id,
            project_closures::closed_at,
        ))
        .order(projects::id)
        .load(conn)?)
}

/// Blanks the names and identity numbers of a project's roster lines (every report's) that
/// still have them; counts, groups, dates and person-times stay. Returns how many lines.
pub fn anonymise(conn: &mut DbConn, project_id: i64) -> Result<usize, AppError> {
    Ok(diesel::update(
        roster_entries::table
            .filter(roster_entries::project_id.eq(project_id))
            .filter(roster_entries::anonymised_at.is_null()),
    )
    .set((
        roster_entries::name.eq(""),
        roster_entries::id_cipher.eq(None::<String>),
        roster_entries::id_hash.eq(None::<String>),
        roster_entries::id_masked.eq(None::<String>),
        roster_entries::anonymised_at.eq(Some(now())),
    ))
    .execute(conn)?)
}
