//! The review lists (DESIGN §2.3): the officer's assignment board of a round and a
//! reviewer's queue, each one page read in SQL with its totals counted in SQL.

use std::collections::HashMap;

use crate::auth::policy::Actor;
use crate::db::orgs;
use crate::db::proposals::{self, ProposalRow};
use crate::db::reviews::{self, AssignedItem, BoardFilter, ReviewRow};
use crate::db::rounds::RoundRow;
use crate::db::{DbConn, PageReq, Paged};
use crate::domain::account::Role;
use crate::domain::assignment::ReviewStatus;
use crate::domain::proposal::ProposalContent;
use crate::error::AppError;

/// One proposal on the assignment board.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    pub proposal_id: i64,
    pub number: String,
    pub title: String,
    pub org_name: String,
    pub category: String,
    /// (review id, reviewer name, status)
    pub reviewers: Vec<(i64, String, String)>,
    pub open_slots: usize,
}

/// Reviews held and submitted: the round's (or the reviewer's) progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Progress {
    /// Submitted reviews.
    pub submitted: i64,
    /// Reviews held (every one but the declined).
    pub held: i64,
}

impl Progress {
    fn add(&mut self, status: &str, n: i64) {
        if status != ReviewStatus::DeclinedConflict.as_str() {
            self.held += n;
        }
        if status == ReviewStatus::Submitted.as_str() {
            self.submitted += n;
        }
    }
}

/// The officer's assignment board of a round: one page of the proposals in review with their
/// reviewers, and the whole round's reviewer loads and progress.
pub struct Board {
    pub round: RoundRow,
    pub rows: Paged<BoardRow>,
    /// Every active reviewer (id, name), for the assignment form.
    pub reviewers: Vec<(i64, String)>,
    /// Reviews held in the round per reviewer (name, count).
    pub loads: Vec<(String, i64)>,
    pub progress: Progress,
}

/// The board of a round the actor manages, in a fixed number of queries: one page of the
/// proposals the filter selects.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn board(
    conn: &mut DbConn,
    reads: &super::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
    f: &BoardFilter,
    page: PageReq,
) -> Result<Board, AppError> {
    let round = crate::ops::rounds::find_managed(conn, actor, round_id)?;
    let per = i64::from(round.rules().reviewers_per_proposal.max(1));
    let total = reads.list_count(
        conn,
        format!(
            "in_review:{round_id}:{:?}:{:?}:{}",
            f.q, f.category, f.open_only
        ),
        |c| reviews::eligible_count(c, (round_id, per), f),
    )?;
    let items = reviews::eligible_page(conn, (round_id, per), f, Some(page))?;
    let rows = page.paged(board_rows(conn, items, per)?, total);
    let reviewers = reviews::reviewer_names(conn)?;
    let mut progress = Progress::default();
    let mut load_of: HashMap<i64, i64> = HashMap::new();
    for (reviewer, status, n) in reads.review_tallies(conn, round_id)?.iter() {
        progress.add(status, *n);
        if status != ReviewStatus::DeclinedConflict.as_str() {
            *load_of.entry(*reviewer).or_default() += n;
        }
    }
    let loads = reviewers
        .iter()
        .map(|(id, name)| (name.clone(), load_of.get(id).copied().unwrap_or(0)))
        .collect();
    Ok(Board {
        round,
        rows,
        reviewers,
        loads,
        progress,
    })
}

/// Every row of the board the filter selects, in its order (the board's export), with the round.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn board_export(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
    f: &BoardFilter,
) -> Result<(RoundRow, Vec<BoardRow>), AppError> {
    let round = crate::ops::rounds::find_managed(conn, actor, round_id)?;
    let per = i64::from(round.rules().reviewers_per_proposal.max(1));
    let items = reviews::eligible_page(conn, (round_id, per), f, None)?;
    let rows = board_rows(conn, items, per)?;
    Ok((round, rows))
}

/// The board's rows of some proposals in review: their reviewers (one query) and open slots.
fn board_rows(
    conn: &mut DbConn,
    items: Vec<reviews::EligibleProposal>,
    per: i64,
) -> Result<Vec<BoardRow>, AppError> {
    let ids: Vec<i64> = items.iter().map(|e| e.id).collect();
    let mut held_by: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
    for (id, pid, name, status) in reviews::of_proposals(conn, &ids)? {
        held_by.entry(pid).or_default().push((id, name, status));
    }
    let per = usize::try_from(per).unwrap_or(1);
    Ok(items
        .into_iter()
        .map(|e| {
            let mine = held_by.remove(&e.id).unwrap_or_default();
            let holding = mine
                .iter()
                .filter(|(_, _, st)| st != ReviewStatus::DeclinedConflict.as_str())
                .count();
            BoardRow {
                proposal_id: e.id,
                number: e.number.unwrap_or_default(),
                title: e.title,
                org_name: e.org_name,
                category: e.category,
                reviewers: mine,
                open_slots: per.saturating_sub(holding),
            }
        })
        .collect())
}

/// A reviewer's queue: one page of their assignments (newest first) and their progress over
/// all of them.
pub struct Queue {
    pub items: Paged<AssignedItem>,
    pub progress: Progress,
}

#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn queue(conn: &mut DbConn, actor: &Actor, page: PageReq) -> Result<Queue, AppError> {
    if actor.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    let items = reviews::for_reviewer_page(conn, actor.id, page)?;
    let mut progress = Progress::default();
    for (status, n) in reviews::reviewer_counts(conn, actor.id)? {
        progress.add(&status, n);
    }
    Ok(Queue { items, progress })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_submitted_of_held_and_leaves_the_declined_out() {
        let mut p = Progress::default();
        for (st, n) in [
            ("assigned", 3),
            ("accepted", 2),
            ("submitted", 4),
            ("declined_conflict", 5),
        ] {
            p.add(st, n);
        }
        assert_eq!(
            p,
            Progress {
                submitted: 4,
                held: 9
            }
        );
    }
}

/// What a reviewer sees of one assignment (the review page and `GET /api/v1/reviews/{id}`):
/// before accepting, title, organization and category only.
pub struct ReviewView {
    pub review: ReviewRow,
    pub proposal: ProposalRow,
    pub org_name: String,
    pub round: RoundRow,
    /// The full content, once accepted.
    pub content: Option<ProposalContent>,
    /// The round's review criteria.
    pub rubric: Vec<crate::domain::round::Criterion>,
    /// The round's review score step (tenths).
    pub score_step: i32,
    /// A renewal: the previous project's final grade and score, for the reviewer.
    pub renewal: Option<(String, String)>,
}

/// Review assignment `id` as its reviewer sees it (only its reviewer may).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn review(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ReviewView, AppError> {
    let review = crate::ops::reviews::find_own(c, actor, id)?;
    let proposal = proposals::find(c, review.proposal_id)?;
    let org_name = orgs::find(c, proposal.org_id)?.name;
    let round = crate::db::rounds::find(c, proposal.round_id)?;
    let open = matches!(
        review.status,
        ReviewStatus::Accepted | ReviewStatus::Submitted
    );
    let rules = round.rules();
    let (rubric, score_step) = (rules.review_criteria, rules.review_score_step);
    let renewal = match proposals::renewal(c, proposal.id)? {
        (Some(project), Some(_)) => crate::ops::renewal::final_result(c, project)?
            .map(|(t, g)| (g, crate::domain::review::tenths_text(t))),
        _ => None,
    };
    Ok(ReviewView {
        renewal,
        content: open.then(|| proposal.content()),
        review,
        proposal,
        org_name,
        round,
        rubric,
        score_step,
    })
}

/// A review assignment as the API shows it (its scores are in [`ReviewView`]'s content).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub id: i64,
    pub round_id: i64,
    pub proposal_id: i64,
    pub reviewer_id: i64,
    pub status: ReviewStatus,
    pub overall_comment: String,
    pub recommendation: Option<String>,
    pub conflict_note: Option<String>,
    /// For optimistic locking: send it back with the scores.
    pub version: i32,
    pub assigned_by: Option<i64>,
    pub assigned_at: chrono::NaiveDateTime,
    pub submitted_at: Option<chrono::NaiveDateTime>,
    pub updated_at: chrono::NaiveDateTime,
}

impl From<&ReviewRow> for ReviewItem {
    fn from(r: &ReviewRow) -> Self {
        ReviewItem {
            id: r.id,
            round_id: r.round_id,
            proposal_id: r.proposal_id,
            reviewer_id: r.reviewer_id,
            status: r.status,
            overall_comment: r.overall_comment.clone(),
            recommendation: r.recommendation.clone(),
            conflict_note: r.conflict_note.clone(),
            version: r.version,
            assigned_by: r.assigned_by,
            assigned_at: r.assigned_at,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
        }
    }
}
