//! Queries of the award aggregate: the officer's decision entries (核减, moving the line),
//! category budgets, the public notice (公示) with its published ranking and objections
//! (异议), and the projects and tranches created at the award.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    awards, category_budgets, decision_entries, notices, objections, organizations, proposals,
    rounds,
};
use super::{now, DbConn};
use crate::domain::award::{AwardState, ObjectionStatus};
use crate::error::AppError;

// ---------------------------------------------------------------------------------------
// Decision entries and category budgets
// ---------------------------------------------------------------------------------------

/// The officer's adjustments to one proposal before the notice.
#[derive(Debug, Clone, Default, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub proposal_id: i64,
    /// 核减: the reduced grant, below the requested one.
    pub reduced_fen: Option<i64>,
    pub reduce_reason: Option<String>,
    pub line_override: Option<crate::domain::review::LineOverride>,
    pub override_reason: Option<String>,
}

pub fn entries(conn: &mut DbConn, round_id: i64) -> Result<Vec<Entry>, AppError> {
    Ok(decision_entries::table
        .filter(decision_entries::round_id.eq(round_id))
        .order(decision_entries::proposal_id)
        .select((
            decision_entries::proposal_id,
            decision_entries::reduced_fen,
            decision_entries::reduce_reason,
            decision_entries::line_override,
            decision_entries::override_reason,
        ))
        .load(conn)?)
}

pub fn entry(conn: &mut DbConn, proposal_id: i64) -> Result<Option<Entry>, AppError> {
    Ok(decision_entries::table
        .find(proposal_id)
        .select((
            decision_entries::proposal_id,
            decision_entries::reduced_fen,
            decision_entries::reduce_reason,
            decision_entries::line_override,
            decision_entries::override_reason,
        ))
        .first(conn)
        .optional()?)
}

/// Writes the whole entry of a proposal (an entry with nothing in it is deleted).
pub fn save_entry(conn: &mut DbConn, round_id: i64, e: &Entry, by: i64) -> Result<(), AppError> {
    diesel::delete(decision_entries::table.find(e.proposal_id)).execute(conn)?;
    if e.reduced_fen.is_none() && e.line_override.is_none() {
        return Ok(());
    }
    diesel::insert_into(decision_entries::table)
        .values((
            decision_entries::proposal_id.eq(e.proposal_id),
            decision_entries::round_id.eq(round_id),
            decision_entries::reduced_fen.eq(e.reduced_fen),
            decision_entries::reduce_reason.eq(&e.reduce_reason),
            decision_entries::line_override.eq(&e.line_override),
            decision_entries::override_reason.eq(&e.override_reason),
            decision_entries::updated_by.eq(by),
            decision_entries::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Category budgets of a round, sorted by category.
pub fn category_budgets(conn: &mut DbConn, round_id: i64) -> Result<Vec<(String, i64)>, AppError> {
    Ok(category_budgets::table
        .filter(category_budgets::round_id.eq(round_id))
        .order(category_budgets::category)
        .select((category_budgets::category, category_budgets::budget_fen))
        .load(conn)?)
}

pub fn replace_category_budgets(
    conn: &mut DbConn,
    round_id: i64,
    budgets: &[(String, i64)],
) -> Result<(), AppError> {
    diesel::delete(category_budgets::table.filter(category_budgets::round_id.eq(round_id)))
        .execute(conn)?;
    for (c, b) in budgets {
        diesel::insert_into(category_budgets::table)
            .values((
                category_budgets::round_id.eq(round_id),
                category_budgets::category.eq(c),
                category_budgets::budget_fen.eq(b),
            ))
            .execute(conn)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The notice and its published ranking
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub round_id: i64,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub working_days: i32,
    pub finalised_at: Option<NaiveDateTime>,
    /// When the notice became public; `None` while a scheduled notice waits for `starts_at`.
    pub opened_at: Option<NaiveDateTime>,
}

impl Notice {
    /// Public: opened (a scheduled notice is only the officers' until the worker opens it).
    pub fn is_open_to_public(&self) -> bool {
        self.opened_at.is_some()
    }
}

pub fn notice(conn: &mut DbConn, round_id: i64) -> Result<Option<Notice>, AppError> {
    Ok(notices::table
        .find(round_id)
        .select((
            notices::round_id,
            notices::starts_at,
            notices::ends_at,
            notices::working_days,
            notices::finalised_at,
            notices::opened_at,
        ))
        .first(conn)
        .optional()?)
}

pub fn insert_notice(
    conn: &mut DbConn,
    round_id: i64,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    working_days: i32,
    by: i64,
    opened_at: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    diesel::insert_into(notices::table)
        .values((
            notices::round_id.eq(round_id),
            notices::starts_at.eq(starts_at),
            notices::ends_at.eq(ends_at),
            notices::working_days.eq(working_days),
            notices::published_by.eq(by),
            notices::opened_at.eq(opened_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Scheduled notices whose start has come (`at`), not yet opened: their rounds' ids.
pub fn due_to_open(conn: &mut DbConn, at: NaiveDateTime) -> Result<Vec<i64>, AppError> {
    Ok(notices::table
        .filter(notices::opened_at.is_null())
        .filter(notices::starts_at.le(at))
        .order(notices::starts_at)
        .select(notices::round_id)
        .load(conn)?)
}

/// Opens a scheduled notice; `false` when it was open already (another instance opened it).
pub fn mark_opened(conn: &mut DbConn, round_id: i64, at: NaiveDateTime) -> Result<bool, AppError> {
    let n = diesel::update(
        notices::table
            .find(round_id)
            .filter(notices::opened_at.is_null()),
    )
    .set(notices::opened_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Takes back a scheduled notice that has not opened: the notice and its frozen list.
/// `false` when it had opened (or was gone) meanwhile, and nothing was deleted.
pub fn delete_scheduled(conn: &mut DbConn, round_id: i64) -> Result<bool, AppError> {
    let n = diesel::delete(
        notices::table
            .find(round_id)
            .filter(notices::opened_at.is_null()),
    )
    .execute(conn)?;
    if n == 1 {
        diesel::delete(awards::table.filter(awards::round_id.eq(round_id))).execute(conn)?;
    }
    Ok(n == 1)
}

pub fn mark_finalised(conn: &mut DbConn, round_id: i64) -> Result<(), AppError> {
    diesel::update(notices::table.find(round_id))
        .set(notices::finalised_at.eq(Some(now())))
        .execute(conn)?;
    Ok(())
}

/// A round on notice or awarded: (round id, title, bureau id, notice ends at, round status).
pub type NoticeListItem = (i64, String, i64, NaiveDateTime, String);

/// Rounds on notice (opened) or awarded, newest first.
pub fn public_notices(conn: &mut DbConn, limit: i64) -> Result<Vec<NoticeListItem>, AppError> {
    Ok(notices::table
        .inner_join(rounds::table)
        .filter(notices::opened_at.is_not_null())
        .order(notices::starts_at.desc())
        .limit(limit)
        .select((
            rounds::id,
            rounds::title,
            rounds::bureau_id,
            notices::ends_at,
            rounds::status,
        ))
        .load(conn)?)
}

/// One line of the published ranking.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct AwardRow {
    pub proposal_id: i64,
    pub rank: i32,
    pub final_tenths: i32,
    pub requested_fen: i64,
    pub amount_fen: i64,
    pub reduce_reason: Option<String>,
    /// `funded`, `waitlisted`, `not_fundable`, `excluded` or `removed` (by an upheld
    /// objection).
    pub state: AwardState,
    /// Came in from the waitlist after an upheld objection (递补).
    pub substitute: bool,
    pub number: Option<String>,
    pub title: String,
    pub category: String,
    pub org_id: i64,
    pub org_name: String,
    /// Funded in part under the round's `partial` funding rule: the amount it was cut from.
    pub partial_of_fen: Option<i64>,
    /// Brought onto the list while the round has a supplementary notice (补充公示): that
    /// notice's start and end (UTC).
    pub supplement_starts_at: Option<NaiveDateTime>,
    pub supplement_ends_at: Option<NaiveDateTime>,
}

pub struct NewAward<'a> {
    pub proposal_id: i64,
    pub rank: i32,
    pub final_tenths: i32,
    pub requested_fen: i64,
    pub amount_fen: i64,
    pub reduce_reason: Option<&'a str>,
    pub state: AwardState,
    pub partial_of_fen: Option<i64>,
}

pub fn insert_award(conn: &mut DbConn, round_id: i64, a: &NewAward) -> Result<(), AppError> {
    diesel::insert_into(awards::table)
        .values((
            awards::proposal_id.eq(a.proposal_id),
            awards::round_id.eq(round_id),
            awards::rank.eq(a.rank),
            awards::final_tenths.eq(a.final_tenths),
            awards::requested_fen.eq(a.requested_fen),
            awards::amount_fen.eq(a.amount_fen),
            awards::reduce_reason.eq(a.reduce_reason),
            awards::state.eq(a.state),
            awards::substitute.eq(false),
            awards::updated_at.eq(now()),
            awards::partial_of_fen.eq(a.partial_of_fen),
        ))
        .execute(conn)?;
    Ok(())
}

/// The published ranking of a round, in rank order.
type AwardCols = (
    awards::proposal_id,
    awards::rank,
    awards::final_tenths,
    awards::requested_fen,
    awards::amount_fen,
    awards::reduce_reason,
    awards::state,
    awards::substitute,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::id,
    organizations::name,
    awards::partial_of_fen,
    awards::supplement_starts_at,
    awards::supplement_ends_at,
);
const AWARD_COLS: AwardCols = (
    awards::proposal_id,
    awards::rank,
    awards::final_tenths,
    awards::requested_fen,
    awards::amount_fen,
    awards::reduce_reason,
    awards::state,
    awards::substitute,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::id,
    organizations::name,
    awards::partial_of_fen,
    awards::supplement_starts_at,
    awards::supplement_ends_at,
);

pub fn awards(conn: &mut DbConn, round_id: i64) -> Result<Vec<AwardRow>, AppError> {
    Ok(awards::table
        .inner_join(proposals::table.inner_join(organizations::table))
        .filter(awards::round_id.eq(round_id))
        .order(awards::rank)
        .select(AWARD_COLS)
        .load(conn)?)
}

/// The lines of a round's published ranking in the given states (every state: `None`).
fn awards_in(
    round_id: i64,
    states: Option<&[AwardState]>,
) -> awards::BoxedQuery<'static, <DbConn as diesel::Connection>::Backend> {
    let mut q = awards::table
        .filter(awards::round_id.eq(round_id))
        .into_boxed();
    if let Some(states) = states {
        q = q.filter(awards::state.eq_any(states.to_vec()));
    }
    q
}

/// A page of a round's published ranking in rank order, in the given states (every state:
/// `None`).
pub fn awards_page(
    conn: &mut DbConn,
    round_id: i64,
    states: Option<&[AwardState]>,
    page: super::PageReq,
) -> Result<super::Paged<AwardRow>, AppError> {
    let total: i64 = awards_in(round_id, states).count().get_result(conn)?;
    let mut q = awards::table
        .inner_join(proposals::table.inner_join(organizations::table))
        .filter(awards::round_id.eq(round_id))
        .into_boxed();
    if let Some(states) = states {
        q = q.filter(awards::state.eq_any(states.to_vec()));
    }
    let items = q
        .order(awards::rank)
        .select(AWARD_COLS)
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// The grant on the funded lines of a round's published ranking.
pub fn funded_sum(conn: &mut DbConn, round_id: i64) -> Result<i64, AppError> {
    Ok(awards_in(round_id, Some(&[AwardState::Funded]))
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(awards.amount_fen), 0) AS BIGINT)",
        ))
        .get_result(conn)?)
}

/// The proposal numbers of some lines of a round's published ranking: (proposal, number).
pub fn numbers(
    conn: &mut DbConn,
    proposal_ids: &[i64],
) -> Result<Vec<(i64, Option<String>)>, AppError> {
    Ok(proposals::table
        .filter(proposals::id.eq_any(proposal_ids))
        .select((proposals::id, proposals::number))
        .load(conn)?)
}

/// Moves a published line from one state to another; false when it was not in `from`.
pub fn set_award_state(
    conn: &mut DbConn,
    proposal_id: i64,
    from: AwardState,
    to: AwardState,
    substitute: bool,
) -> Result<bool, AppError> {
    let n = diesel::update(
        awards::table
            .find(proposal_id)
            .filter(awards::state.eq(from)),
    )
    .set((
        awards::state.eq(to),
        awards::substitute.eq(substitute),
        awards::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Sets the grant of a published line (a refill under the partial funding rule).
pub fn set_award_amount(
    conn: &mut DbConn,
    proposal_id: i64,
    amount_fen: i64,
    partial_of_fen: Option<i64>,
) -> Result<(), AppError> {
    diesel::update(awards::table.find(proposal_id))
        .set((
            awards::amount_fen.eq(amount_fen),
            awards::partial_of_fen.eq(partial_of_fen),
            awards::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts a line brought onto the list on a supplementary notice (补充公示).
pub fn set_supplement(
    conn: &mut DbConn,
    proposal_id: i64,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(awards::table.find(proposal_id))
        .set((
            awards::supplement_starts_at.eq(Some(starts_at)),
            awards::supplement_ends_at.eq(Some(ends_at)),
            awards::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The lines of a round put on a supplementary notice, in the given states, in rank order.
pub fn supplemented(
    conn: &mut DbConn,
    round_id: i64,
    states: Option<&[AwardState]>,
) -> Result<Vec<AwardRow>, AppError> {
    let mut q = awards::table
        .inner_join(proposals::table.inner_join(organizations::table))
        .filter(awards::round_id.eq(round_id))
        .filter(awards::supplement_ends_at.is_not_null())
        .into_boxed();
    if let Some(states) = states {
        q = q.filter(awards::state.eq_any(states.to_vec()));
    }
    Ok(q.order(awards::rank).select(AWARD_COLS).load(conn)?)
}

// ---------------------------------------------------------------------------------------
// Objections
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ObjectionRow {
    pub id: i64,
    pub round_id: i64,
    pub proposal_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub reason: String,
    pub status: ObjectionStatus,
    pub response: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// When its author confirmed it from the emailed link; until then it counts nowhere.
    pub confirmed_at: Option<NaiveDateTime>,
}

pub struct NewObjection<'a> {
    pub round_id: i64,
    pub proposal_id: i64,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub reason: &'a str,
    /// The hash of the one-time confirmation token mailed to `email`.
    pub confirm_token_hash: &'a str,
}

pub fn insert_objection(conn: &mut DbConn, o: &NewObjection) -> Result<i64, AppError> {
    Ok(diesel::insert_into(objections::table)
        .values((
            objections::round_id.eq(o.round_id),
            objections::proposal_id.eq(o.proposal_id),
            objections::name.eq(o.name),
            objections::email.eq(o.email),
            objections::phone.eq(o.phone),
            objections::reason.eq(o.reason),
            objections::status.eq("open"),
            objections::created_at.eq(now()),
            objections::confirm_token_hash.eq(Some(o.confirm_token_hash)),
            objections::confirmed_at.eq(None::<NaiveDateTime>),
        ))
        .returning(objections::id)
        .get_result(conn)?)
}

type ObjectionCols = (
    objections::id,
    objections::round_id,
    objections::proposal_id,
    objections::name,
    objections::email,
    objections::phone,
    objections::reason,
    objections::status,
    objections::response,
    objections::answered_at,
    objections::created_at,
    objections::confirmed_at,
);
const OBJECTION_COLS: ObjectionCols = (
    objections::id,
    objections::round_id,
    objections::proposal_id,
    objections::name,
    objections::email,
    objections::phone,
    objections::reason,
    objections::status,
    objections::response,
    objections::answered_at,
    objections::created_at,
    objections::confirmed_at,
);

/// A confirmed objection (an unconfirmed one is not found).
pub fn objection(conn: &mut DbConn, id: i64) -> Result<ObjectionRow, AppError> {
    Ok(objections::table
        .find(id)
        .filter(objections::confirmed_at.is_not_null())
        .select(OBJECTION_COLS)
        .first(conn)?)
}

/// The confirmed objections of a round.
pub fn objections(conn: &mut DbConn, round_id: i64) -> Result<Vec<ObjectionRow>, AppError> {
    Ok(objections::table
        .filter(objections::round_id.eq(round_id))
        .filter(objections::confirmed_at.is_not_null())
        .order(objections::id)
        .select(OBJECTION_COLS)
        .load(conn)?)
}

/// Confirmed objections not answered yet: they hold up the award.
pub fn count_open_objections(conn: &mut DbConn, round_id: i64) -> Result<i64, AppError> {
    Ok(objections::table
        .filter(objections::round_id.eq(round_id))
        .filter(objections::status.eq("open"))
        .filter(objections::confirmed_at.is_not_null())
        .count()
        .get_result(conn)?)
}

/// The unconfirmed objection whose confirmation token hashes to `token_hash`, if it was
/// filed after `filed_after`.
pub fn unconfirmed_by_token(
    conn: &mut DbConn,
    token_hash: &str,
    filed_after: NaiveDateTime,
) -> Result<Option<ObjectionRow>, AppError> {
    Ok(objections::table
        .filter(objections::confirm_token_hash.eq(token_hash))
        .filter(objections::confirmed_at.is_null())
        .filter(objections::created_at.gt(filed_after))
        .select(OBJECTION_COLS)
        .first(conn)
        .optional()?)
}

/// Marks an objection confirmed and voids its token; false when it already was.
pub fn confirm_objection(conn: &mut DbConn, id: i64) -> Result<bool, AppError> {
    let n = diesel::update(
        objections::table
            .find(id)
            .filter(objections::confirmed_at.is_null()),
    )
    .set((
        objections::confirmed_at.eq(Some(now())),
        objections::confirm_token_hash.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the objections never confirmed and filed before `before`; returns how many.
pub fn purge_unconfirmed_objections(
    conn: &mut DbConn,
    before: NaiveDateTime,
) -> Result<usize, AppError> {
    Ok(diesel::delete(
        objections::table
            .filter(objections::confirmed_at.is_null())
            .filter(objections::created_at.lt(before)),
    )
    .execute(conn)?)
}

/// Answers an open objection; false when it was already answered.
pub fn answer_objection(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    response: &str,
    by: i64,
) -> Result<bool, AppError> {
    let n = diesel::update(
        objections::table
            .find(id)
            .filter(objections::status.eq("open")),
    )
    .set((
        objections::status.eq(status),
        objections::response.eq(Some(response)),
        objections::answered_by.eq(Some(by)),
        objections::answered_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
