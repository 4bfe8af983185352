//! Queries of the round aggregate.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bureaus, rounds};
use super::{now, DbConn, Json};
use crate::domain::money::Fen;
use crate::domain::round::{RoundCore, RoundRules, RoundStatus};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = rounds)]
pub struct RoundRow {
    pub id: i64,
    pub bureau_id: i64,
    pub title: String,
    pub year: i32,
    pub description: String,
    pub status: RoundStatus,
    pub total_budget_fen: i64,
    pub min_grant_fen: i64,
    pub max_grant_fen: i64,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub review_due: Option<NaiveDateTime>,
    #[serde(skip)]
    pub rules_json: Json<RoundRules>,
    pub version: i32,
    pub published_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RoundRow {
    /// The rules.
    pub fn rules(&self) -> RoundRules {
        self.rules_json.0.clone()
    }
    pub fn core(&self) -> RoundCore {
        RoundCore {
            title: self.title.clone(),
            year: self.year,
            description: self.description.clone(),
            total_budget: Fen(self.total_budget_fen),
            min_grant: Fen(self.min_grant_fen),
            max_grant: Fen(self.max_grant_fen),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            review_due: self.review_due,
        }
    }
    /// Open for applications at `at`.
    pub fn accepting(&self, at: NaiveDateTime) -> bool {
        self.status == RoundStatus::Open
            && self.opens_at.is_some_and(|o| o <= at)
            && self.closes_at.is_some_and(|c| at < c)
    }
    pub fn audit_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["rules"] = serde_json::to_value(self.rules()).unwrap_or_default();
        v
    }
}

#[derive(AsChangeset)]
#[diesel(table_name = rounds, treat_none_as_null = true)]
struct RoundFields<'a> {
    title: &'a str,
    year: i32,
    description: &'a str,
    total_budget_fen: i64,
    min_grant_fen: i64,
    max_grant_fen: i64,
    opens_at: Option<NaiveDateTime>,
    closes_at: Option<NaiveDateTime>,
    review_due: Option<NaiveDateTime>,
    rules_json: String,
}

fn fields<'a>(c: &'a RoundCore, r: &RoundRules) -> RoundFields<'a> {
    RoundFields {
        title: &c.title,
        year: c.year,
        description: &c.description,
        total_budget_fen: c.total_budget.0,
        min_grant_fen: c.min_grant.0,
        max_grant_fen: c.max_grant.0,
        opens_at: c.opens_at,
        closes_at: c.closes_at,
        review_due: c.review_due,
        rules_json: serde_json::to_string(r).expect("rules serialize"),
    }
}

pub fn insert(
    conn: &mut DbConn,
    bureau_id: i64,
    c: &RoundCore,
    r: &RoundRules,
    by: i64,
) -> Result<i64, AppError> {
    let at = now();
    let f = fields(c, r);
    Ok(diesel::insert_into(rounds::table)
        .values((
            rounds::bureau_id.eq(bureau_id),
            rounds::title.eq(f.title),
            rounds::year.eq(f.year),
            rounds::description.eq(f.description),
            rounds::status.eq(RoundStatus::Draft.as_str()),
            rounds::total_budget_fen.eq(f.total_budget_fen),
            rounds::min_grant_fen.eq(f.min_grant_fen),
            rounds::max_grant_fen.eq(f.max_grant_fen),
            rounds::opens_at.eq(f.opens_at),
            rounds::closes_at.eq(f.closes_at),
            rounds::review_due.eq(f.review_due),
            rounds::rules_json.eq(&f.rules_json),
            rounds::version.eq(1),
            rounds::created_by.eq(by),
            rounds::created_at.eq(at),
            rounds::updated_at.eq(at),
        ))
        .returning(rounds::id)
        .get_result(conn)?)
}

/// Saves a draft's settings if `version` is current.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    c: &RoundCore,
    r: &RoundRules,
) -> Result<(), AppError> {
    let n = diesel::update(rounds::table.find(id).filter(rounds::version.eq(version)))
        .set((
            fields(c, r),
            rounds::version.eq(version + 1),
            rounds::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.edit_conflict"));
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<RoundRow, AppError> {
    Ok(rounds::table
        .find(id)
        .select(RoundRow::as_select())
        .first(conn)?)
}

/// Moves the round from `from` to `to`; a round no longer in `from` is a 409.
pub fn transition(
    conn: &mut DbConn,
    id: i64,
    from: RoundStatus,
    to: RoundStatus,
) -> Result<(), AppError> {
    let at = now();
    let n = diesel::update(
        rounds::table
            .find(id)
            .filter(rounds::status.eq(from.as_str())),
    )
    .set((
        rounds::status.eq(to.as_str()),
        rounds::version.eq(rounds::version + 1),
        rounds::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    if to == RoundStatus::Open {
        diesel::update(rounds::table.find(id))
            .set(rounds::published_at.eq(Some(at)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_deadlines(
    conn: &mut DbConn,
    id: i64,
    closes_at: NaiveDateTime,
    review_due: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(rounds::table.find(id))
        .set((
            rounds::closes_at.eq(Some(closes_at)),
            rounds::review_due.eq(Some(review_due)),
            rounds::version.eq(rounds::version + 1),
            rounds::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The rounds of a bureau, newest first.
pub fn for_bureau(conn: &mut DbConn, bureau_id: i64) -> Result<Vec<RoundRow>, AppError> {
    Ok(rounds::table
        .filter(rounds::bureau_id.eq(bureau_id))
        .order(rounds::id.desc())
        .select(RoundRow::as_select())
        .load(conn)?)
}

/// A page of [`for_bureau`].
pub fn for_bureau_page(
    conn: &mut DbConn,
    bureau_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<RoundRow>, AppError> {
    let total: i64 = rounds::table
        .filter(rounds::bureau_id.eq(bureau_id))
        .count()
        .get_result(conn)?;
    let items = rounds::table
        .filter(rounds::bureau_id.eq(bureau_id))
        .order(rounds::id.desc())
        .select(RoundRow::as_select())
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// Published rounds the public may read, with their bureau's name, open ones first.
pub fn public(conn: &mut DbConn, limit: i64) -> Result<Vec<(RoundRow, String)>, AppError> {
    let rows: Vec<(RoundRow, String)> = rounds::table
        .inner_join(bureaus::table)
        .filter(rounds::status.ne(RoundStatus::Draft.as_str()))
        .order((rounds::closes_at.desc(), rounds::id.desc()))
        .limit(limit)
        .select((RoundRow::as_select(), bureaus::name))
        .load(conn)?;
    let (mut open, rest): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(r, _)| r.status == RoundStatus::Open);
    open.sort_by_key(|(r, _)| r.closes_at);
    open.extend(rest);
    Ok(open)
}

pub fn bureau_name(conn: &mut DbConn, bureau_id: i64) -> Result<String, AppError> {
    Ok(bureaus::table
        .find(bureau_id)
        .select(bureaus::name)
        .first(conn)?)
}

/// Open rounds whose deadline has passed.
pub fn due_to_close(conn: &mut DbConn, at: NaiveDateTime) -> Result<Vec<i64>, AppError> {
    Ok(rounds::table
        .filter(rounds::status.eq(RoundStatus::Open))
        .filter(rounds::closes_at.le(at))
        .select(rounds::id)
        .load(conn)?)
}

/// The bureau's most recent awarded (or closed) round before `round_id`, if any.
pub fn previous_awarded(
    conn: &mut DbConn,
    bureau_id: i64,
    round_id: i64,
) -> Result<Option<i64>, AppError> {
    Ok(rounds::table
        .filter(rounds::bureau_id.eq(bureau_id))
        .filter(rounds::id.lt(round_id))
        .filter(rounds::status.eq_any([RoundStatus::Awarded, RoundStatus::Closed]))
        .order(rounds::id.desc())
        .select(rounds::id)
        .first(conn)
        .optional()?)
}
