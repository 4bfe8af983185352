//! Queries of the review aggregate: reviewer profiles and review assignments.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{organizations, proposals, reviewer_profiles, reviews, rounds, users};
use super::{now, DbConn, Json};
use crate::domain::account::{Role, UserStatus};
use crate::domain::assignment::{Affiliation, ReviewStatus};
use crate::domain::proposal::ProposalStatus;
use crate::error::AppError;

/// A reviewer's expertise (service categories) and declared affiliations.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Profile {
    pub expertise: Vec<String>,
    pub affiliations: Vec<Affiliation>,
}

pub fn profile(conn: &mut DbConn, user_id: i64) -> Result<Profile, AppError> {
    let row: Option<(String, Json<Vec<Affiliation>>)> = reviewer_profiles::table
        .find(user_id)
        .select((
            reviewer_profiles::expertise,
            reviewer_profiles::affiliations_json,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((e, a)) => Profile {
            expertise: e
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            affiliations: a.0,
        },
        None => Profile::default(),
    })
}

pub fn save_profile(conn: &mut DbConn, user_id: i64, p: &Profile) -> Result<(), AppError> {
    let expertise = p.expertise.join(",");
    let affiliations = serde_json::to_string(&p.affiliations).expect("serializes");
    let n = diesel::update(reviewer_profiles::table.find(user_id))
        .set((
            reviewer_profiles::expertise.eq(&expertise),
            reviewer_profiles::affiliations_json.eq(&affiliations),
            reviewer_profiles::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(reviewer_profiles::table)
            .values((
                reviewer_profiles::user_id.eq(user_id),
                reviewer_profiles::expertise.eq(&expertise),
                reviewer_profiles::affiliations_json.eq(&affiliations),
                reviewer_profiles::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Active reviewers with their profiles.
pub fn reviewers(conn: &mut DbConn) -> Result<Vec<(i64, String, String, Profile)>, AppError> {
    let rows: Vec<(i64, String, String)> = users::table
        .filter(users::role.eq(Role::Reviewer))
        .filter(users::status.eq(UserStatus::Active))
        .order(users::id)
        .select((users::id, users::name, users::email))
        .load(conn)?;
    let profiles: Vec<(i64, String, Json<Vec<Affiliation>>)> = reviewer_profiles::table
        .select((
            reviewer_profiles::user_id,
            reviewer_profiles::expertise,
            reviewer_profiles::affiliations_json,
        ))
        .load(conn)?;
    let profiles: std::collections::HashMap<i64, (String, Json<Vec<Affiliation>>)> =
        profiles.into_iter().map(|(u, e, a)| (u, (e, a))).collect();
    Ok(rows
        .into_iter()
        .map(|(id, name, email)| {
            let p = profiles
                .get(&id)
                .map(|(e, a)| Profile {
                    expertise: e
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    affiliations: a.0.clone(),
                })
                .unwrap_or_default();
            (id, name, email, p)
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = reviews)]
pub struct ReviewRow {
    pub id: i64,
    pub round_id: i64,
    pub proposal_id: i64,
    pub reviewer_id: i64,
    pub status: ReviewStatus,
    #[serde(skip)]
    pub scores_json: Json<Vec<crate::domain::assignment::CriterionScore>>,
    pub overall_comment: String,
    pub recommendation: Option<String>,
    pub conflict_note: Option<String>,
    pub version: i32,
    pub assigned_by: Option<i64>,
    pub assigned_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl ReviewRow {
    /// The content, with one line per criterion of a rubric of `n` criteria.
    pub fn content(&self, n: usize) -> crate::domain::assignment::ReviewContent {
        let mut criteria = self.scores_json.0.clone();
        criteria.resize(n, Default::default());
        crate::domain::assignment::ReviewContent {
            criteria,
            overall_comment: self.overall_comment.clone(),
            recommendation: self
                .recommendation
                .as_deref()
                .and_then(crate::domain::assignment::Recommendation::parse),
        }
    }
}

pub fn insert(
    conn: &mut DbConn,
    round_id: i64,
    proposal_id: i64,
    reviewer_id: i64,
    by: i64,
) -> Result<i64, AppError> {
    let at = now();
    Ok(diesel::insert_into(reviews::table)
        .values((
            reviews::round_id.eq(round_id),
            reviews::proposal_id.eq(proposal_id),
            reviews::reviewer_id.eq(reviewer_id),
            reviews::status.eq(ReviewStatus::Assigned.as_str()),
            reviews::scores_json.eq("[]"),
            reviews::score_list.eq(""),
            reviews::overall_comment.eq(""),
            reviews::version.eq(1),
            reviews::assigned_by.eq(Some(by)),
            reviews::assigned_at.eq(at),
            reviews::updated_at.eq(at),
        ))
        .returning(reviews::id)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<ReviewRow, AppError> {
    Ok(reviews::table
        .find(id)
        .select(ReviewRow::as_select())
        .first(conn)?)
}

/// Moves a review from `from` to `to`; a review no longer in `from` is a 409.
pub fn transition(
    conn: &mut DbConn,
    id: i64,
    from: ReviewStatus,
    to: ReviewStatus,
    note: Option<&str>,
) -> Result<(), AppError> {
    let n = diesel::update(
        reviews::table
            .find(id)
            .filter(reviews::status.eq(from.as_str())),
    )
    .set((
        reviews::status.eq(to.as_str()),
        reviews::conflict_note.eq(note),
        reviews::version.eq(reviews::version + 1),
        reviews::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.review_wrong_state"));
    }
    Ok(())
}

/// Every review of a round: (proposal, reviewer, status).
pub fn pairs(conn: &mut DbConn, round_id: i64) -> Result<Vec<(i64, i64, String)>, AppError> {
    Ok(reviews::table
        .filter(reviews::round_id.eq(round_id))
        .select((reviews::proposal_id, reviews::reviewer_id, reviews::status))
        .load(conn)?)
}

/// Every review of a round: (id, proposal, reviewer, status).
pub fn ids(conn: &mut DbConn, round_id: i64) -> Result<Vec<(i64, i64, i64, String)>, AppError> {
    Ok(reviews::table
        .filter(reviews::round_id.eq(round_id))
        .order(reviews::id)
        .select((
            reviews::id,
            reviews::proposal_id,
            reviews::reviewer_id,
            reviews::status,
        ))
        .load(conn)?)
}

/// An eligible proposal with its organization's name and code, for assignment.
#[derive(Debug, Clone, Queryable)]
pub struct EligibleProposal {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub category: String,
    pub org_name: String,
    pub org_uscc: Option<String>,
}

/// The proposals of a round that go to expert review, with their organization.
fn in_review(
    round_id: i64,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<proposals::table, organizations::table>,
    <DbConn as diesel::Connection>::Backend,
> {
    proposals::table
        .inner_join(organizations::table)
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::status.eq(ProposalStatus::Eligible.as_str()))
        // Fast-track renewals skip expert review: they go to the officer's approval.
        .filter(
            proposals::renewal_track
                .is_null()
                .or(proposals::renewal_track.ne(crate::domain::evaluation::Renewal::FastTrack)),
        )
        .into_boxed()
}

type EligibleCols = (
    proposals::id,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::name,
    organizations::uscc,
);
const ELIGIBLE_COLS: EligibleCols = (
    proposals::id,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::name,
    organizations::uscc,
);

pub fn eligible_proposals(
    conn: &mut DbConn,
    round_id: i64,
) -> Result<Vec<EligibleProposal>, AppError> {
    Ok(in_review(round_id)
        .order(proposals::id)
        .select(ELIGIBLE_COLS)
        .load(conn)?)
}

/// Which of a round's proposals in review the officer's board lists, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BoardFilter {
    /// Part of the title, the number or the organization's name.
    pub q: Option<String>,
    pub category: Option<String>,
    /// Only the proposals with an open reviewer slot (fewer reviewers than the round asks
    /// for, declines not counted).
    pub open_only: bool,
    pub sort: BoardSort,
}

/// The orders of the review board (`?sort=`); ties and the default go by id (the number's order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum BoardSort {
    #[default]
    Number,
    Title,
    Org,
    Category,
}

impl BoardSort {
    pub const ALL: &'static [(&'static str, BoardSort)] = &[
        ("number", BoardSort::Number),
        ("title", BoardSort::Title),
        ("org", BoardSort::Org),
        ("category", BoardSort::Category),
    ];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
    }
}

/// [`in_review`] narrowed to a [`BoardFilter`] (its order aside).
fn board_scope(
    round_id: i64,
    per_proposal: i64,
    f: &BoardFilter,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<proposals::table, organizations::table>,
    <DbConn as diesel::Connection>::Backend,
> {
    let mut q = in_review(round_id);
    if let Some(c) = f.category.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(proposals::category.eq(c.to_string()));
    }
    q = super::proposal_search!(q, f.q.as_deref());
    if f.open_only {
        let full = reviews::table
            .filter(reviews::round_id.eq(round_id))
            .filter(reviews::status.ne(ReviewStatus::DeclinedConflict.as_str()))
            .group_by(reviews::proposal_id)
            .having(diesel::dsl::count_star().ge(per_proposal))
            .select(reviews::proposal_id);
        q = q.filter(proposals::id.ne_all(full));
    }
    q
}

/// How many of a round's proposals in review the filter selects (`per_proposal`: the
/// reviewers the round asks for on each).
pub fn eligible_count(
    conn: &mut DbConn,
    (round_id, per_proposal): (i64, i64),
    f: &BoardFilter,
) -> Result<i64, AppError> {
    Ok(board_scope(round_id, per_proposal, f)
        .count()
        .get_result(conn)?)
}

/// One page of a round's proposals in review the filter selects, in its order (`total`: see
/// [`eligible_count`]); `None` for all of them (an export).
pub fn eligible_page(
    conn: &mut DbConn,
    (round_id, per_proposal): (i64, i64),
    f: &BoardFilter,
    page: Option<super::PageReq>,
) -> Result<Vec<EligibleProposal>, AppError> {
    let q = board_scope(round_id, per_proposal, f).select(ELIGIBLE_COLS);
    let q = match f.sort {
        BoardSort::Number => q.order(proposals::id),
        BoardSort::Title => q.order((proposals::title, proposals::id)),
        BoardSort::Org => q.order((organizations::name, proposals::id)),
        BoardSort::Category => q.order((proposals::category, proposals::id)),
    };
    Ok(match page {
        Some(p) => q.limit(p.per_page).offset(p.offset()).load(conn)?,
        None => q.load(conn)?,
    })
}

/// The reviews of some proposals in id order: (id, proposal, reviewer's name, status).
pub fn of_proposals(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<Vec<(i64, i64, String, String)>, AppError> {
    Ok(reviews::table
        .inner_join(users::table.on(users::id.eq(reviews::reviewer_id)))
        .filter(reviews::proposal_id.eq_any(ids))
        .order(reviews::id)
        .select((
            reviews::id,
            reviews::proposal_id,
            users::name,
            reviews::status,
        ))
        .load(conn)?)
}

/// The active reviewers (id, name) in id order.
pub fn reviewer_names(conn: &mut DbConn) -> Result<Vec<(i64, String)>, AppError> {
    Ok(users::table
        .filter(users::role.eq(Role::Reviewer))
        .filter(users::status.eq(UserStatus::Active))
        .order(users::id)
        .select((users::id, users::name))
        .load(conn)?)
}

/// How many of a round's reviews each reviewer holds, by status: (reviewer, status, count).
pub fn round_counts(conn: &mut DbConn, round_id: i64) -> Result<Vec<(i64, String, i64)>, AppError> {
    Ok(reviews::table
        .filter(reviews::round_id.eq(round_id))
        .group_by((reviews::reviewer_id, reviews::status))
        .select((
            reviews::reviewer_id,
            reviews::status,
            diesel::dsl::count_star(),
        ))
        .load(conn)?)
}

/// How many reviews a reviewer holds, by status.
pub fn reviewer_counts(
    conn: &mut DbConn,
    reviewer_id: i64,
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(reviews::table
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .group_by(reviews::status)
        .select((reviews::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// A reviewer's line in their list: what they see before accepting.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct AssignedItem {
    pub review_id: i64,
    pub status: ReviewStatus,
    pub proposal_id: i64,
    pub number: Option<String>,
    pub title: String,
    pub category: String,
    pub org_name: String,
    pub round_title: String,
    pub review_due: Option<NaiveDateTime>,
}

type AssignedCols = (
    reviews::id,
    reviews::status,
    proposals::id,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::name,
    rounds::title,
    rounds::review_due,
);
const ASSIGNED_COLS: AssignedCols = (
    reviews::id,
    reviews::status,
    proposals::id,
    proposals::number,
    proposals::title,
    proposals::category,
    organizations::name,
    rounds::title,
    rounds::review_due,
);

pub fn for_reviewer(conn: &mut DbConn, reviewer_id: i64) -> Result<Vec<AssignedItem>, AppError> {
    Ok(reviews::table
        .inner_join(proposals::table.inner_join(organizations::table))
        .inner_join(rounds::table)
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .order(reviews::id.desc())
        .select(ASSIGNED_COLS)
        .load(conn)?)
}

/// A page of a reviewer's assignments, newest first.
pub fn for_reviewer_page(
    conn: &mut DbConn,
    reviewer_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<AssignedItem>, AppError> {
    let total: i64 = reviews::table
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .count()
        .get_result(conn)?;
    let items = reviews::table
        .inner_join(proposals::table.inner_join(organizations::table))
        .inner_join(rounds::table)
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .order(reviews::id.desc())
        .select(ASSIGNED_COLS)
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// Saves a review's content if `version` is current.
pub fn save_content(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    c: &crate::domain::assignment::ReviewContent,
) -> Result<(), AppError> {
    let n = diesel::update(reviews::table.find(id).filter(reviews::version.eq(version)))
        .set((
            reviews::scores_json.eq(serde_json::to_string(&c.criteria).expect("serializes")),
            reviews::score_list.eq(crate::domain::assignment::score_list(&c.criteria)),
            reviews::overall_comment.eq(&c.overall_comment),
            reviews::recommendation.eq(c.recommendation.map(|r| r.as_str())),
            reviews::version.eq(version + 1),
            reviews::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.edit_conflict"));
    }
    Ok(())
}

pub fn set_submitted(conn: &mut DbConn, id: i64, submitted: bool) -> Result<(), AppError> {
    use crate::domain::assignment::ReviewStatus;
    let (from, to) = if submitted {
        (ReviewStatus::Accepted, ReviewStatus::Submitted)
    } else {
        (ReviewStatus::Submitted, ReviewStatus::Accepted)
    };
    let n = diesel::update(
        reviews::table
            .find(id)
            .filter(reviews::status.eq(from.as_str())),
    )
    .set((
        reviews::status.eq(to.as_str()),
        reviews::submitted_at.eq(if submitted { Some(now()) } else { None }),
        reviews::version.eq(reviews::version + 1),
        reviews::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.review_wrong_state"));
    }
    Ok(())
}

/// A submitted review's scores: (proposal id, reviewer id, score per criterion).
pub type SubmittedScores = (i64, i64, Vec<Option<i32>>);

/// Submitted reviews of a round: (proposal, reviewer, scores), in review id order.
///
/// The scores come from `score_list`, not from `scores_json`: a 20,000-proposal round has
/// 100,000 reviews, and decoding their JSON, comments and all (22 MB), was most of ranking
/// such a round on PostgreSQL (perf). Sorted here, not by the database, which sorted those
/// rows on disk past its default `work_mem`, or walked the primary key over the whole table to
/// avoid that (`EXPLAIN ANALYZE`: 150–195 ms against 60–77 ms for reading them).
pub fn submitted(conn: &mut DbConn, round_id: i64) -> Result<Vec<SubmittedScores>, AppError> {
    let mut rows: Vec<(i64, i64, i64, String)> = reviews::table
        .filter(reviews::round_id.eq(round_id))
        .filter(reviews::status.eq(ReviewStatus::Submitted.as_str()))
        .select((
            reviews::id,
            reviews::proposal_id,
            reviews::reviewer_id,
            reviews::score_list,
        ))
        .load(conn)?;
    rows.sort_unstable_by_key(|r| r.0);
    Ok(rows
        .into_iter()
        .map(|(_, pid, rid, list)| (pid, rid, crate::domain::assignment::parse_score_list(&list)))
        .collect())
}

/// Fills `score_list` from `scores_json` where it was never written (reviews saved before
/// the column existed); returns how many. Run by the migrate step that adds the column.
pub fn fill_score_lists(conn: &mut DbConn) -> Result<usize, AppError> {
    let rows: Vec<(i64, Json<Vec<crate::domain::assignment::CriterionScore>>)> = reviews::table
        .filter(reviews::score_list.eq(""))
        .filter(reviews::scores_json.ne("[]"))
        .select((reviews::id, reviews::scores_json))
        .load(conn)?;
    conn.transaction(|c| {
        for (id, scores) in &rows {
            diesel::update(reviews::table.find(id))
                .set(reviews::score_list.eq(crate::domain::assignment::score_list(&scores.0)))
                .execute(c)?;
        }
        Ok::<_, AppError>(())
    })?;
    Ok(rows.len())
}

/// What the ranking needs of each eligible proposal.
#[derive(Debug, Clone, Queryable)]
pub struct RankFacts {
    pub id: i64,
    pub number: Option<String>,
    pub title: String,
    pub category: String,
    pub requested_fen: i64,
    pub submitted_at: Option<NaiveDateTime>,
    pub org_name: String,
    pub org_grade: Option<String>,
    /// A renewal: the project it continues, and its track (`fast_track` or `normal`).
    pub renewal_of: Option<i64>,
    pub renewal_track: Option<crate::domain::evaluation::Renewal>,
}

pub fn rank_facts(conn: &mut DbConn, round_id: i64) -> Result<Vec<RankFacts>, AppError> {
    Ok(proposals::table
        .inner_join(organizations::table)
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::status.eq(ProposalStatus::Eligible.as_str()))
        .order(proposals::id)
        .select((
            proposals::id,
            proposals::number,
            proposals::title,
            proposals::category,
            proposals::requested_grant_fen,
            proposals::submitted_at,
            organizations::name,
            organizations::grade,
            proposals::renewal_of,
            proposals::renewal_track,
        ))
        .load(conn)?)
}

/// An open review of a round in review, for its reminder.
#[derive(Debug, Clone, Queryable)]
pub struct OpenReview {
    pub id: i64,
    pub reviewer_id: i64,
    pub round_title: String,
    pub bureau_id: i64,
    pub proposal_title: String,
    pub review_due: Option<NaiveDateTime>,
}

/// Open reviews (assigned or accepted) of rounds in review whose deadline is before `by`,
/// in id order.
pub fn open_before(conn: &mut DbConn, by: NaiveDateTime) -> Result<Vec<OpenReview>, AppError> {
    Ok(reviews::table
        .inner_join(rounds::table)
        .inner_join(proposals::table)
        .filter(rounds::status.eq("reviewing"))
        .filter(rounds::review_due.le(by))
        .filter(reviews::status.eq_any(vec![
            ReviewStatus::Assigned.as_str(),
            ReviewStatus::Accepted.as_str(),
        ]))
        .order(reviews::id)
        .select((
            reviews::id,
            reviews::reviewer_id,
            rounds::title,
            rounds::bureau_id,
            proposals::title,
            rounds::review_due,
        ))
        .load(conn)?)
}

/// Which of `keys` are recorded as sent reminders: one read, so the worker can skip what
/// went out before without opening a write transaction.
pub fn reminders_sent(
    conn: &mut DbConn,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, AppError> {
    use super::schema::reminders;
    let mut sent = std::collections::HashSet::new();
    // Bounded lists keep each statement well under SQLite's bind-variable limit.
    for chunk in keys.chunks(500) {
        let found: Vec<String> = reminders::table
            .filter(reminders::key.eq_any(chunk))
            .select(reminders::key)
            .load(conn)?;
        sent.extend(found);
    }
    Ok(sent)
}

/// Records a reminder as sent; false when it already was.
pub fn mark_reminder(conn: &mut DbConn, key: &str) -> Result<bool, AppError> {
    use super::schema::reminders;
    let n: i64 = reminders::table
        .filter(reminders::key.eq(key))
        .count()
        .get_result(conn)?;
    if n > 0 {
        return Ok(false);
    }
    diesel::insert_into(reminders::table)
        .values((reminders::key.eq(key), reminders::sent_at.eq(now())))
        .execute(conn)?;
    Ok(true)
}

/// Overall comments of the submitted reviews of a proposal, in review order, without the
/// reviewers' names (for the applicant).
pub fn anonymous_comments(conn: &mut DbConn, proposal_id: i64) -> Result<Vec<String>, AppError> {
    let rows: Vec<String> = reviews::table
        .filter(reviews::proposal_id.eq(proposal_id))
        .filter(reviews::status.eq(ReviewStatus::Submitted.as_str()))
        .order(reviews::id)
        .select(reviews::overall_comment)
        .load(conn)?;
    Ok(rows.into_iter().filter(|c| !c.trim().is_empty()).collect())
}
