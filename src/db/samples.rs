//! Queries of the evaluator's call-back sample (抽样回访): the sample of an evaluation, its
//! persons and their answers, and the roster lines a draw reads.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{roster_entries, sample_persons, samples, users};
use super::{now, DbConn, Json};
use crate::domain::sample::{Answer, GroupDraw, RosterLine};
use crate::error::AppError;

/// The sample of an evaluation.
#[derive(Debug, Clone, Queryable)]
pub struct SampleRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub project_id: i64,
    /// The seed the persons were drawn from (hex).
    pub seed: String,
    pub groups_json: Json<Vec<GroupDraw>>,
    pub drawn_by: i64,
    pub drawn_at: NaiveDateTime,
    /// Set while the complete sample's confirmed rate is below the round's threshold.
    pub flagged_at: Option<NaiveDateTime>,
    pub drawn_by_name: String,
}

impl SampleRow {
    pub fn groups(&self) -> Vec<GroupDraw> {
        self.groups_json.0.clone()
    }
}

/// A sampled person and what the call found.
#[derive(Debug, Clone, Queryable)]
pub struct PersonRow {
    pub id: i64,
    pub seq: i32,
    pub grp: String,
    pub person_digest: String,
    pub roster_entry_id: i64,
    pub reached: Option<bool>,
    pub confirmed: Option<bool>,
    pub satisfaction: Option<i32>,
    pub recorded_at: Option<NaiveDateTime>,
}

impl PersonRow {
    pub fn answer(&self) -> Answer {
        Answer {
            reached: self.reached,
            confirmed: self.confirmed,
            satisfaction: self.satisfaction,
        }
    }
}

/// The sample of evaluation `evaluation_id`, if one was drawn.
pub fn of_evaluation(conn: &mut DbConn, evaluation_id: i64) -> Result<Option<SampleRow>, AppError> {
    Ok(samples::table
        .inner_join(users::table.on(users::id.eq(samples::drawn_by)))
        .filter(samples::evaluation_id.eq(evaluation_id))
        .select((
            samples::id,
            samples::evaluation_id,
            samples::project_id,
            samples::seed,
            samples::groups_json,
            samples::drawn_by,
            samples::drawn_at,
            samples::flagged_at,
            users::name,
        ))
        .first(conn)
        .optional()?)
}

/// The persons of a sample in draw order.
pub fn persons(conn: &mut DbConn, sample_id: i64) -> Result<Vec<PersonRow>, AppError> {
    Ok(sample_persons::table
        .filter(sample_persons::sample_id.eq(sample_id))
        .order(sample_persons::seq)
        .select((
            sample_persons::id,
            sample_persons::seq,
            sample_persons::grp,
            sample_persons::person_digest,
            sample_persons::roster_entry_id,
            sample_persons::reached,
            sample_persons::confirmed,
            sample_persons::satisfaction,
            sample_persons::recorded_at,
        ))
        .load(conn)?)
}

/// The roster lines a draw reads: the latest filed roster of the project (rosters are
/// cumulative, see [`crate::db::rosters::latest_filed_report`]), not anonymised.
pub fn roster_lines(conn: &mut DbConn, project_id: i64) -> Result<Vec<RosterLine>, AppError> {
    let Some(report_id) = crate::db::rosters::latest_filed_report(conn, project_id)? else {
        return Ok(Vec::new());
    };
    let rows: Vec<(i64, String, String, Option<String>)> = roster_entries::table
        .filter(roster_entries::report_id.eq(report_id))
        .filter(roster_entries::anonymised_at.is_null())
        .order(roster_entries::seq)
        .select((
            roster_entries::id,
            roster_entries::grp,
            roster_entries::name,
            roster_entries::id_hash,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(entry_id, grp, name, id_hash)| RosterLine {
            entry_id,
            grp,
            name,
            id_hash,
        })
        .collect())
}

/// A roster line as the call sheet shows it.
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub id: i64,
    pub name: String,
    pub id_kind: Option<String>,
    pub id_cipher: Option<String>,
    pub id_masked: Option<String>,
    pub anonymised_at: Option<NaiveDateTime>,
}

/// The roster lines with these ids (one query).
pub fn entries(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<EntryRow>, AppError> {
    Ok(roster_entries::table
        .filter(roster_entries::id.eq_any(ids))
        .select((
            roster_entries::id,
            roster_entries::name,
            roster_entries::id_kind,
            roster_entries::id_cipher,
            roster_entries::id_masked,
            roster_entries::anonymised_at,
        ))
        .load(conn)?)
}

/// A sample about to be kept.
pub struct NewSample<'a> {
    pub evaluation_id: i64,
    pub project_id: i64,
    pub seed: &'a str,
    pub groups: &'a [GroupDraw],
    pub drawn_by: i64,
}

/// Keeps a drawn sample; returns its id. `None` when the evaluation has one already (a
/// concurrent draw won).
pub fn insert(conn: &mut DbConn, s: &NewSample) -> Result<Option<i64>, AppError> {
    if of_evaluation(conn, s.evaluation_id)?.is_some() {
        return Ok(None);
    }
    let at = now();
    Ok(Some(
        diesel::insert_into(samples::table)
            .values((
                samples::evaluation_id.eq(s.evaluation_id),
                samples::project_id.eq(s.project_id),
                samples::seed.eq(s.seed),
                samples::groups_json.eq(serde_json::to_string(s.groups).expect("serializes")),
                samples::drawn_by.eq(s.drawn_by),
                samples::drawn_at.eq(at),
                samples::updated_at.eq(at),
            ))
            .returning(samples::id)
            .get_result(conn)?,
    ))
}

/// Keeps one drawn person (row by row, in the drawing transaction).
pub fn insert_person(
    conn: &mut DbConn,
    sample_id: i64,
    seq: i32,
    grp: &str,
    digest: &str,
    entry_id: i64,
) -> Result<(), AppError> {
    diesel::insert_into(sample_persons::table)
        .values((
            sample_persons::sample_id.eq(sample_id),
            sample_persons::seq.eq(seq),
            sample_persons::grp.eq(grp),
            sample_persons::person_digest.eq(digest),
            sample_persons::roster_entry_id.eq(entry_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records what the call to person `id` of sample `sample_id` found.
pub fn set_answer(
    conn: &mut DbConn,
    sample_id: i64,
    id: i64,
    a: &Answer,
    by: i64,
) -> Result<(), AppError> {
    let recorded = a.reached.is_some();
    diesel::update(
        sample_persons::table
            .filter(sample_persons::id.eq(id))
            .filter(sample_persons::sample_id.eq(sample_id)),
    )
    .set((
        sample_persons::reached.eq(a.reached),
        sample_persons::confirmed.eq(a.confirmed),
        sample_persons::satisfaction.eq(a.satisfaction),
        sample_persons::recorded_by.eq(recorded.then_some(by)),
        sample_persons::recorded_at.eq(recorded.then(now)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Sets or clears the sample's flag (a flag already set keeps its time).
pub fn set_flag(conn: &mut DbConn, sample_id: i64, flagged: bool) -> Result<(), AppError> {
    let at = now();
    if flagged {
        diesel::update(
            samples::table
                .filter(samples::id.eq(sample_id))
                .filter(samples::flagged_at.is_null()),
        )
        .set(samples::flagged_at.eq(Some(at)))
        .execute(conn)?;
    } else {
        diesel::update(samples::table.filter(samples::id.eq(sample_id)))
            .set(samples::flagged_at.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    }
    diesel::update(samples::table.filter(samples::id.eq(sample_id)))
        .set(samples::updated_at.eq(at))
        .execute(conn)?;
    Ok(())
}
