//! The decision view (DESIGN §2.3–2.4): aggregated scores, the ranking and the proposed
//! funding line within the budget, from the submitted reviews.

use crate::auth::policy::Actor;
use crate::db::reviews::{self, RankFacts};
use crate::db::{users, DbConn};
use crate::domain::assignment::CriterionScore;
use crate::domain::money::Fen;
use crate::domain::org::Grade;
use crate::domain::review::{self, LineInput, ProposalScore, RankInput, ReviewScores};
use crate::domain::round::RoundStatus;
use crate::error::AppError;

/// One line of the ranking.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RankedRow {
    pub rank: usize,
    pub proposal_id: i64,
    pub number: Option<String>,
    pub title: String,
    pub org_name: String,
    pub org_grade: Option<String>,
    pub category: String,
    pub requested_fen: i64,
    pub review_count: usize,
    /// By the round's aggregation rule, in tenths of a point.
    pub final_tenths: i32,
    pub mean_tenths: i32,
    pub trimmed_mean_tenths: i32,
    pub normalised_tenths: i32,
    pub spread_tenths: i32,
    /// Reviews disagree by more than the round's gap: for panel discussion.
    pub divergent: bool,
    pub fundable: bool,
    /// `funded`, `waitlisted` or `not_fundable`.
    pub line: &'static str,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewerLine {
    pub name: String,
    pub count: usize,
    pub mean_tenths: i32,
    pub spread_tenths: i32,
    /// Above 0: more generous than the panel on the same proposals.
    pub leniency_tenths: i32,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub rows: Vec<RankedRow>,
    pub budget_fen: i64,
    pub used_fen: i64,
    pub remaining_fen: i64,
    /// Eligible proposals still short of a submitted review (not ranked yet).
    pub awaiting_reviews: usize,
    pub reviewers: Vec<ReviewerLine>,
}

fn grade(s: &Option<String>) -> Option<Grade> {
    s.as_deref().and_then(Grade::parse)
}

/// Computes the ranking and the proposed funding line of a round in review or later.
pub fn compute(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<DecisionView, AppError> {
    let round = super::rounds::find_managed(conn, actor, round_id)?;
    if matches!(
        round.status(),
        RoundStatus::Draft | RoundStatus::Open | RoundStatus::Screening
    ) {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    let rules = round.rules();
    let n = rules.review_criteria.len();
    let facts = reviews::rank_facts(conn, round_id)?;
    let data: Vec<(i64, ReviewScores)> = reviews::submitted(conn, round_id)?
        .into_iter()
        .filter(|(pid, _, _)| facts.iter().any(|f| f.id == *pid))
        .map(|(pid, rid, json)| {
            let criteria: Vec<CriterionScore> = serde_json::from_str(&json).unwrap_or_default();
            let per_criterion = criteria
                .iter()
                .take(n)
                .map(|c| c.score.unwrap_or(0))
                .collect();
            (
                pid,
                ReviewScores {
                    reviewer_id: rid,
                    per_criterion,
                },
            )
        })
        .collect();
    let scores =
        review::aggregate_round(&rules, &data).map_err(|e| AppError::Unexpected(e.to_string()))?;
    let scored = |id: i64| scores.iter().find(|s| s.proposal_id == id);
    let awaiting_reviews = facts.iter().filter(|f| scored(f.id).is_none()).count();
    let mut inputs: Vec<RankInput> = facts
        .iter()
        .filter_map(|f| {
            let s: &ProposalScore = scored(f.id)?;
            Some(RankInput {
                proposal_id: f.id,
                final_tenths: s.final_tenths,
                tie_break_tenths: s.tie_break_tenths,
                org_grade: grade(&f.org_grade),
                requested: Fen(f.requested_fen),
                submitted_at: f.submitted_at.unwrap_or_default(),
            })
        })
        .collect();
    review::rank(&mut inputs);
    let fact = |id: i64| -> &RankFacts {
        facts
            .iter()
            .find(|f| f.id == id)
            .expect("ranked from facts")
    };
    let line_inputs: Vec<LineInput> = inputs
        .iter()
        .map(|r| LineInput {
            proposal_id: r.proposal_id,
            fundable: review::is_fundable(r.final_tenths, rules.fundable_threshold),
            amount: r.requested,
            category: fact(r.proposal_id).category.clone(),
            manual: None,
        })
        .collect();
    let line = review::funding_line(&line_inputs, Fen(round.total_budget_fen), &[]);
    let rows = inputs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let f = fact(r.proposal_id);
            let s = scored(r.proposal_id).expect("ranked proposals are scored");
            let place = if line.funded.contains(&r.proposal_id) {
                "funded"
            } else if line.waitlisted.contains(&r.proposal_id) {
                "waitlisted"
            } else {
                "not_fundable"
            };
            RankedRow {
                rank: i + 1,
                proposal_id: f.id,
                number: f.number.clone(),
                title: f.title.clone(),
                org_name: f.org_name.clone(),
                org_grade: f.org_grade.clone(),
                category: f.category.clone(),
                requested_fen: f.requested_fen,
                review_count: s.review_count,
                final_tenths: s.final_tenths,
                mean_tenths: s.mean_tenths,
                trimmed_mean_tenths: s.trimmed_mean_tenths,
                normalised_tenths: s.normalised_tenths,
                spread_tenths: s.spread_tenths,
                divergent: s.divergent,
                fundable: review::is_fundable(s.final_tenths, rules.fundable_threshold),
                line: place,
            }
        })
        .collect();
    let stats = review::reviewer_stats(&data);
    let names = users::names(
        conn,
        &stats.iter().map(|s| s.reviewer_id).collect::<Vec<_>>(),
    )?;
    let reviewers = stats
        .into_iter()
        .map(|s| ReviewerLine {
            name: names
                .iter()
                .find(|(id, _)| *id == s.reviewer_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            count: s.count,
            mean_tenths: s.mean_tenths,
            spread_tenths: s.spread_tenths,
            leniency_tenths: s.leniency_tenths,
        })
        .collect();
    Ok(DecisionView {
        rows,
        budget_fen: round.total_budget_fen,
        used_fen: line.used.0,
        remaining_fen: line.remaining.0,
        awaiting_reviews,
        reviewers,
    })
}
