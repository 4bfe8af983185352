//! The decision view (DESIGN §2.3–2.4): aggregated scores, the ranking and the proposed
//! funding line within the budget, from the submitted reviews.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use crate::auth::policy::Actor;
use crate::db::awards::{self, Entry};
use crate::db::reviews::{self, RankFacts};
use crate::db::{evaluations, users, DbConn};
use crate::domain::award::AwardState;
use crate::domain::money::Fen;
use crate::domain::org::Grade;
use crate::domain::review::{
    self, LineError, LineInput, LineOverride, LineProblemKind, ProposalScore, RankInput,
    ReviewScores,
};
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
    /// The grant on the line: the requested one, or the officer-reduced (核减) one, or what
    /// was left for it under the partial funding rule (see `partial_of_fen`).
    pub amount_fen: i64,
    /// Funded in part (the round's `partial` funding rule): the amount it was cut from.
    pub partial_of_fen: Option<i64>,
    pub reduce_reason: Option<String>,
    /// The officer moved the line for this proposal.
    pub line_override: Option<LineOverride>,
    pub override_reason: Option<String>,
    /// A renewal (续期): `fast_track` (no review; funded once the officer moves it above the
    /// line) or `normal`.
    pub renewal_track: Option<crate::domain::evaluation::Renewal>,
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
    /// Where the proposed line puts it: `funded`, `waitlisted` or `not_fundable` (the
    /// published list adds `excluded` and `removed`); labelled `line.<state>`.
    pub line: AwardState,
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

/// A category's budget and what the line uses of it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryLine {
    pub category: String,
    /// None: the category has no budget of its own.
    pub budget_fen: Option<i64>,
    pub used_fen: i64,
}

/// Something on the line the officer must fix before the notice.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineProblem {
    pub proposal_id: i64,
    /// The proposal's number (its title when it has none), for the message.
    pub number: String,
    pub kind: LineProblemKind,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub round_status: String,
    /// The round's rule for the first proposal that does not fit what is left of the budget.
    pub funding_rule: review::FundingRule,
    /// The rows of the page asked for (every row for an export); the ranking, the line and
    /// every total below are over the whole round.
    pub rows: Vec<RankedRow>,
    /// Ranked proposals over all pages.
    pub total_rows: usize,
    /// The page shown, from 1, and its size.
    pub page: i64,
    pub per_page: i64,
    /// The page where the funding line falls (the last funded row): the default page.
    pub line_page: i64,
    pub categories: Vec<CategoryLine>,
    pub problems: Vec<LineProblem>,
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

/// An index by key that keeps the first item of each key, as a linear `find` would.
fn first_by<K: Eq + Hash, V>(
    items: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, V> {
    let mut out = HashMap::new();
    for v in items {
        out.entry(key(&v)).or_insert(v);
    }
    out
}

/// The final evaluation's score (tenths) of each project, for fast-track renewals: the last
/// accepted final evaluation, when it carries both a total and a grade.
fn final_tenths(conn: &mut DbConn, projects: &[i64]) -> Result<HashMap<i64, i32>, AppError> {
    let mut last: HashMap<i64, Option<i32>> = HashMap::new();
    for (project, total, grade) in evaluations::accepted_finals(conn, projects)? {
        last.insert(project, total.filter(|_| grade.is_some()));
    }
    Ok(last
        .into_iter()
        .filter_map(|(p, t)| Some((p, t?)))
        .collect())
}

/// Which rows of the ranking a view carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every row (the exports and the award).
    All,
    /// One page of `per_page` rows; without a page number, the page where the funding line
    /// falls, with the first row below the line added when the line ends that page.
    Page { page: Option<i64>, per_page: i64 },
}

/// The rows `[start, end)` of `n` ranked rows to show, the page number and its size, given
/// the index of the last funded row.
fn window(which: Rows, n: usize, last_funded: Option<usize>) -> (usize, usize, i64, i64, i64) {
    let per_page = match which {
        Rows::All => i64::try_from(n.max(1)).unwrap_or(i64::MAX),
        Rows::Page { per_page, .. } => per_page.max(1),
    };
    let per = usize::try_from(per_page).unwrap_or(usize::MAX);
    let line_page = last_funded.map_or(1, |i| i64::try_from(i / per).unwrap_or(0) + 1);
    let page = match which {
        Rows::All => 1,
        Rows::Page { page: Some(p), .. } => p.max(1),
        Rows::Page { page: None, .. } => line_page,
    };
    let start = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(per)
        .min(n);
    let mut end = start.saturating_add(per).min(n);
    // The default page shows both sides of the line.
    if matches!(which, Rows::Page { page: None, .. }) && last_funded == end.checked_sub(1) {
        end = (end + 1).min(n);
    }
    (start, end, page, per_page, line_page)
}

/// Computes the ranking and the proposed funding line of a round in review or later, in a
/// fixed number of queries, with every row.
pub fn compute(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<DecisionView, AppError> {
    compute_rows(conn, actor, round_id, Rows::All)
}

/// The round an actor may decide on, in review or later.
fn decidable(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
) -> Result<crate::db::rounds::RoundRow, AppError> {
    let round = crate::ops::rounds::find_managed(conn, actor, round_id)?;
    if matches!(
        round.status,
        RoundStatus::Draft | RoundStatus::Open | RoundStatus::Screening
    ) {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    Ok(round)
}

/// The ranking and the funding line computed over the whole round, carrying the rows
/// `which` asks for. Computed afresh: for writes, which decide inside their transaction.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn compute_rows(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
    which: Rows,
) -> Result<DecisionView, AppError> {
    let round = decidable(conn, actor, round_id)?;
    Ok(ranking(conn, &round)?.view(which))
}

/// As [`compute_rows`], from the ranking kept in `cache` while no change was made since it
/// was computed (see [`super::cache`]): a page of a 20,000-proposal round costs its rows,
/// not the round.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn cached_rows(
    conn: &mut DbConn,
    cache: &super::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
    which: Rows,
) -> Result<DecisionView, AppError> {
    Ok(cached(conn, cache, actor, round_id)?.view(which))
}

/// The round's whole ranking, kept in `cache` (see [`cached_rows`]).
pub fn cached(
    conn: &mut DbConn,
    cache: &super::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
) -> Result<std::sync::Arc<Ranking>, AppError> {
    // The version first: what is read after it is at least as new.
    let version = super::cache::data_version(conn)?;
    let round = decidable(conn, actor, round_id)?;
    cache
        .rankings
        .get_or_compute(&round_id, version, || ranking(conn, &round))
}

/// A round's whole ranking and proposed funding line, of which a view shows a window.
#[derive(Debug, Clone)]
pub struct Ranking {
    round_status: String,
    funding_rule: review::FundingRule,
    rows: Vec<RankedRow>,
    last_funded: Option<usize>,
    categories: Vec<CategoryLine>,
    problems: Vec<LineProblem>,
    budget_fen: i64,
    used_fen: i64,
    remaining_fen: i64,
    awaiting_reviews: usize,
    reviewers: Vec<ReviewerLine>,
}

impl Ranking {
    /// One proposal's row, when it is ranked.
    pub fn row(&self, proposal_id: i64) -> Option<&RankedRow> {
        self.rows.iter().find(|r| r.proposal_id == proposal_id)
    }

    /// The view carrying the rows `which` asks for.
    pub fn view(&self, which: Rows) -> DecisionView {
        let (start, end, page, per_page, line_page) =
            window(which, self.rows.len(), self.last_funded);
        DecisionView {
            round_status: self.round_status.clone(),
            funding_rule: self.funding_rule,
            rows: self.rows[start..end].to_vec(),
            total_rows: self.rows.len(),
            page,
            per_page,
            line_page,
            categories: self.categories.clone(),
            problems: self.problems.clone(),
            budget_fen: self.budget_fen,
            used_fen: self.used_fen,
            remaining_fen: self.remaining_fen,
            awaiting_reviews: self.awaiting_reviews,
            reviewers: self.reviewers.clone(),
        }
    }
}

/// What a round's ranking is computed from.
#[derive(Debug, Clone)]
pub struct RankingInput {
    pub status: RoundStatus,
    pub rules: crate::domain::round::RoundRules,
    pub total_budget_fen: i64,
    /// The smallest grant (a partial grant under the `partial` rule never goes below it).
    pub min_grant_fen: i64,
    /// The proposals in review, in id order.
    pub facts: Vec<RankFacts>,
    /// The submitted reviews in id order: (proposal, reviewer, score per criterion).
    pub reviews: Vec<reviews::SubmittedScores>,
    pub entries: Vec<Entry>,
    pub category_budgets: Vec<(String, i64)>,
    /// The final evaluation's score (tenths) of the projects that fast-track renewals
    /// continue.
    pub finals: HashMap<i64, i32>,
    pub reviewer_names: HashMap<i64, String>,
}

/// Loads what a round's ranking is computed from, in a fixed number of queries.
#[tracing::instrument(skip_all, fields(round_id = round.id))]
fn load(conn: &mut DbConn, round: &crate::db::rounds::RoundRow) -> Result<RankingInput, AppError> {
    let round_id = round.id;
    let facts = reviews::rank_facts(conn, round_id)?;
    let reviews = reviews::submitted(conn, round_id)?;
    let renewed: Vec<i64> = facts
        .iter()
        .filter(|f| f.renewal_track == Some(crate::domain::evaluation::Renewal::FastTrack))
        .filter_map(|f| f.renewal_of)
        .collect();
    let mut reviewer_ids: Vec<i64> = reviews.iter().map(|(_, r, _)| *r).collect();
    reviewer_ids.sort_unstable();
    reviewer_ids.dedup();
    Ok(RankingInput {
        status: round.status,
        rules: round.rules(),
        total_budget_fen: round.total_budget_fen,
        min_grant_fen: round.min_grant_fen,
        entries: awards::entries(conn, round_id)?,
        category_budgets: awards::category_budgets(conn, round_id)?,
        finals: final_tenths(conn, &renewed)?,
        reviewer_names: users::names(conn, &reviewer_ids)?.into_iter().collect(),
        facts,
        reviews,
    })
}

/// Ranks a round's proposals and draws the proposed line, in a fixed number of queries.
fn ranking(conn: &mut DbConn, round: &crate::db::rounds::RoundRow) -> Result<Ranking, AppError> {
    rank(load(conn, round)?)
}

/// Ranks the proposals and draws the proposed line: aggregation, ranking and the line by
/// the domain's rules, every lookup through a map.
#[tracing::instrument(skip_all)]
pub fn rank(input: RankingInput) -> Result<Ranking, AppError> {
    let RankingInput {
        status,
        rules,
        total_budget_fen,
        min_grant_fen,
        facts,
        reviews: submitted,
        entries,
        category_budgets: cat_budgets,
        finals,
        reviewer_names,
    } = input;
    let n = rules.review_criteria.len();
    let fact_by_id: HashMap<i64, &RankFacts> = first_by(&facts, |f| f.id);
    let data: Vec<(i64, ReviewScores)> = submitted
        .into_iter()
        .filter(|(pid, _, _)| fact_by_id.contains_key(pid))
        .map(|(pid, rid, criteria)| {
            let per_criterion = criteria
                .iter()
                .take(n)
                .map(|score| score.unwrap_or(0))
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
    let entry_by_id: HashMap<i64, &Entry> = first_by(&entries, |e| e.proposal_id);
    let entry = |id: i64| entry_by_id.get(&id).copied();
    let is_fast_track =
        |f: &RankFacts| f.renewal_track == Some(crate::domain::evaluation::Renewal::FastTrack);
    let mut scores: HashMap<i64, ProposalScore> = first_by(
        review::aggregate_round(&rules, &data).map_err(|e| AppError::Unexpected(e.to_string()))?,
        |s| s.proposal_id,
    );
    // Fast-track renewals are not reviewed: they rank by their project's final evaluation
    // and are funded only once the officer approves them (moves them above the line).
    for f in facts.iter().filter(|f| is_fast_track(f)) {
        let tenths = f
            .renewal_of
            .and_then(|p| finals.get(&p).copied())
            .unwrap_or(0);
        scores.insert(
            f.id,
            ProposalScore {
                proposal_id: f.id,
                review_count: 0,
                final_tenths: tenths,
                mean_tenths: tenths,
                trimmed_mean_tenths: tenths,
                normalised_tenths: tenths,
                normalised_display: f64::from(tenths),
                criterion_avg_tenths: Vec::new(),
                tie_break_tenths: None,
                spread_tenths: 0,
                divergent: false,
            },
        );
    }
    let awaiting_reviews = facts.iter().filter(|f| !scores.contains_key(&f.id)).count();
    let mut inputs: Vec<RankInput> = facts
        .iter()
        .filter_map(|f| {
            let s: &ProposalScore = scores.get(&f.id)?;
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
    let fact = |id: i64| -> &RankFacts { fact_by_id.get(&id).expect("ranked from facts") };
    let line_inputs: Vec<LineInput> = inputs
        .iter()
        .map(|r| LineInput {
            proposal_id: r.proposal_id,
            fundable: review::is_fundable(r.final_tenths, rules.fundable_threshold),
            amount: entry(r.proposal_id)
                .and_then(|e| e.reduced_fen)
                .map(Fen)
                .unwrap_or(r.requested),
            category: fact(r.proposal_id).category.clone(),
            manual: entry(r.proposal_id)
                .and_then(|e| e.line_override)
                .or_else(|| is_fast_track(fact(r.proposal_id)).then_some(LineOverride::ForcedOut)),
        })
        .collect();
    let budgets: Vec<(String, Fen)> = cat_budgets
        .iter()
        .map(|(c, b)| (c.clone(), Fen(*b)))
        .collect();
    let line = review::funding_line(
        &line_inputs,
        Fen(total_budget_fen),
        &budgets,
        rules.funding_rule,
        Fen(min_grant_fen),
    );
    let partial: HashMap<i64, Fen> = line.partial.iter().copied().collect();
    let funded: HashSet<i64> = line.funded.iter().copied().collect();
    let waitlisted: HashSet<i64> = line.waitlisted.iter().copied().collect();
    let last_funded = inputs.iter().rposition(|r| funded.contains(&r.proposal_id));
    let rows = inputs
        .iter()
        .zip(&line_inputs)
        .enumerate()
        .map(|(i, (r, li))| {
            let f = fact(r.proposal_id);
            let e = entry(r.proposal_id);
            let s = &scores[&r.proposal_id];
            let place = if funded.contains(&r.proposal_id) {
                AwardState::Funded
            } else if waitlisted.contains(&r.proposal_id) {
                AwardState::Waitlisted
            } else {
                AwardState::NotFundable
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
                amount_fen: partial.get(&r.proposal_id).unwrap_or(&li.amount).0,
                partial_of_fen: partial.contains_key(&r.proposal_id).then_some(li.amount.0),
                reduce_reason: e.and_then(|e| e.reduce_reason.clone()),
                line_override: e.and_then(|e| e.line_override),
                override_reason: e.and_then(|e| e.override_reason.clone()),
                renewal_track: f.renewal_track,
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
    let reviewers = stats
        .into_iter()
        .map(|s| ReviewerLine {
            name: reviewer_names
                .get(&s.reviewer_id)
                .cloned()
                .unwrap_or_default(),
            count: s.count,
            mean_tenths: s.mean_tenths,
            spread_tenths: s.spread_tenths,
            leniency_tenths: s.leniency_tenths,
        })
        .collect();
    let budget_of: HashMap<&str, i64> = first_by(
        cat_budgets.iter().map(|(k, b)| (k.as_str(), *b)),
        |(k, _)| *k,
    )
    .into_values()
    .collect();
    let used_of: HashMap<&str, i64> = first_by(
        line.category_used.iter().map(|(k, f)| (k.as_str(), f.0)),
        |(k, _)| *k,
    )
    .into_values()
    .collect();
    let mut categories: Vec<CategoryLine> = rules
        .categories
        .iter()
        .map(|c| CategoryLine {
            category: c.clone(),
            budget_fen: budget_of.get(c.as_str()).copied(),
            used_fen: used_of.get(c.as_str()).copied().unwrap_or(0),
        })
        .collect();
    let listed: HashSet<&str> = rules.categories.iter().map(String::as_str).collect();
    for (c, f) in &line.category_used {
        if !listed.contains(c.as_str()) {
            categories.push(CategoryLine {
                category: c.clone(),
                budget_fen: None,
                used_fen: f.0,
            });
        }
    }
    let problem = |proposal_id: i64, kind: LineProblemKind| LineProblem {
        proposal_id,
        number: fact_by_id
            .get(&proposal_id)
            .map(|f| f.number.clone().unwrap_or_else(|| f.title.clone()))
            .unwrap_or_default(),
        kind,
    };
    let problems = line
        .errors
        .iter()
        .map(|e| match e {
            LineError::ForcedInDoesNotFit { proposal_id, .. } => {
                problem(*proposal_id, LineProblemKind::ForcedInDoesNotFit)
            }
            LineError::ForcedInNotFundable { proposal_id } => {
                problem(*proposal_id, LineProblemKind::ForcedInNotFundable)
            }
            LineError::NegativeAmount { proposal_id } => {
                problem(*proposal_id, LineProblemKind::NegativeAmount)
            }
        })
        .collect();
    Ok(Ranking {
        round_status: status.to_string(),
        funding_rule: rules.funding_rule,
        rows,
        last_funded,
        categories,
        problems,
        budget_fen: total_budget_fen,
        used_fen: line.used.0,
        remaining_fen: line.remaining.0,
        awaiting_reviews,
        reviewers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(p: Option<i64>, per_page: i64) -> Rows {
        Rows::Page { page: p, per_page }
    }

    #[test]
    fn the_default_page_is_where_the_line_falls_with_both_sides_of_it() {
        // 120 rows, 50 a page, rows 0..=69 funded: the line is on page 2.
        assert_eq!(window(page(None, 50), 120, Some(69)), (50, 100, 2, 50, 2));
        // The line ends page 1: the first row below it is shown too.
        assert_eq!(window(page(None, 50), 120, Some(49)), (0, 51, 1, 50, 1));
        // Nothing funded: page 1; the last row funded: nothing below to add.
        assert_eq!(window(page(None, 50), 120, None), (0, 50, 1, 50, 1));
        assert_eq!(window(page(None, 50), 100, Some(99)), (50, 100, 2, 50, 2));
        // An explicit page is exactly that page, even the line's.
        assert_eq!(window(page(Some(1), 50), 120, Some(49)), (0, 50, 1, 50, 1));
        assert_eq!(
            window(page(Some(3), 50), 120, Some(69)),
            (100, 120, 3, 50, 2)
        );
        // Past the end: empty.
        assert_eq!(
            window(page(Some(9), 50), 120, Some(69)),
            (120, 120, 9, 50, 2)
        );
        assert_eq!(window(Rows::All, 120, Some(69)), (0, 120, 1, 120, 1));
        assert_eq!(window(Rows::All, 0, None), (0, 0, 1, 1, 1));
    }
}
