//! Expert review (专家评审): score entry, the aggregation of reviewers' totals into a
//! proposal's score, ranking, the funding line (资助线) and reviewer statistics
//! (DESIGN §2.3–2.4).
//!
//! Units: a score is an integer number of **tenths of a point** everywhere (17.5 points is
//! `175`); money is [`Fen`]. Means are computed from exact integer sums and rounded half away
//! from zero to tenths. The z-score normalisation needs square roots, so it uses `f64`
//! internally, but only on integer sums (so the result does not depend on the order of the
//! input) and its result is rounded to tenths too: the ranking and the funding line are
//! decided on integers alone and are deterministic.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;

use super::money::Fen;
use super::org::Grade;
use super::round::{Aggregation, Criterion, RoundRules};

// ---------------------------------------------------------------------------------------
// Scores and their validation
// ---------------------------------------------------------------------------------------

/// One reviewer's scores for one proposal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewScores {
    /// The reviewer (expert) who wrote the review.
    pub reviewer_id: i64,
    /// Tenths of a point, one per rubric criterion, in rubric order.
    pub per_criterion: Vec<i32>,
}

impl ReviewScores {
    /// The review's total in tenths (the sum of its criterion scores; saturates instead of
    /// overflowing on absurd input, which [`check_review`] refuses anyway).
    pub fn total(&self) -> i32 {
        self.per_criterion
            .iter()
            .fold(0i32, |acc, v| acc.saturating_add(*v))
    }
}

/// Why a typed or stored score is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    /// Nothing was typed.
    #[error("a score is required")]
    Missing,
    /// Not a number of points such as `18` or `17.5` (a decimal comma is refused).
    #[error("not a number of points")]
    Invalid,
    /// Below 0 or above the criterion's maximum.
    #[error("score out of range")]
    OutOfRange,
    /// Not on the 0.5-point step.
    #[error("scores go by steps of 0.5 point")]
    Step,
}

impl ScoreError {
    /// Locale key of the message shown next to the field.
    pub fn key(self) -> &'static str {
        match self {
            ScoreError::Missing => "field.required",
            ScoreError::Invalid => "field.score_invalid",
            ScoreError::OutOfRange => "field.score_range",
            ScoreError::Step => "field.score_step",
        }
    }
}

/// Checks a score in tenths against its criterion: `0..=max_points × 10`, on the round's
/// step (`step_tenths`: 1, 5 or 10 tenths, i.e. 0.1, 0.5 or 1 point; anything below 1 is
/// taken as 1).
pub fn check_score(value_tenths: i32, max_points: i32, step_tenths: i32) -> Result<(), ScoreError> {
    if value_tenths < 0 || i64::from(value_tenths) > i64::from(max_points) * 10 {
        return Err(ScoreError::OutOfRange);
    }
    if value_tenths % step_tenths.max(1) != 0 {
        return Err(ScoreError::Step);
    }
    Ok(())
}

/// The message of a refused score, with what it needs: the criterion's maximum and the step
/// (as points: "评分须为 0.5 的整数倍").
pub fn score_msg(err: ScoreError, max_points: i32, step_tenths: i32) -> crate::i18n::Msg {
    crate::i18n::Msg::new(err.key())
        .arg("max", max_points)
        .arg("step", tenths_text(step_tenths))
}

/// Full-width digits and point (typed with a Chinese input method) as ASCII.
fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        '－' => '-',
        c => c,
    }
}

/// Parses what a person types as points into tenths, without checking a maximum:
/// `18` → 180, `17.5` → 175, `17.50` → 175, `１７．５` (full-width) → 175, `18分` → 180.
/// Empty is [`ScoreError::Missing`]; a decimal comma (`17,5`), a sign, an exponent or text is
/// [`ScoreError::Invalid`]; a negative number or more than six digits is
/// [`ScoreError::OutOfRange`]; hundredths that are not zero (`17.25`) are [`ScoreError::Step`].
/// A tenth that is not 0 or 5 (`17.3`) parses; [`check_score`] refuses it.
pub fn parse_tenths(input: &str) -> Result<i32, ScoreError> {
    let s: String = input.trim().chars().map(ascii_digit).collect();
    let s = s.strip_suffix('分').unwrap_or(&s).trim_end();
    if s.is_empty() {
        return Err(ScoreError::Missing);
    }
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return Err(ScoreError::Invalid),
        None => (body, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ScoreError::Invalid);
    }
    if negative {
        return Err(ScoreError::OutOfRange);
    }
    let int = int.trim_start_matches('0');
    if int.len() > 6 {
        return Err(ScoreError::OutOfRange);
    }
    let whole: i32 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| ScoreError::Invalid)?
    };
    let mut frac_digits = frac.bytes();
    let tenth = frac_digits.next().map_or(0, |b| i32::from(b - b'0'));
    if frac_digits.any(|b| b != b'0') {
        return Err(ScoreError::Step);
    }
    Ok(whole * 10 + tenth)
}

/// [`parse_tenths`] then [`check_score`]: what a score form does with one field.
pub fn parse_score(input: &str, max_points: i32, step_tenths: i32) -> Result<i32, ScoreError> {
    let v = parse_tenths(input)?;
    check_score(v, max_points, step_tenths)?;
    Ok(v)
}

/// A review that cannot be aggregated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewDataError {
    /// The review does not have one score per rubric criterion.
    #[error(
        "proposal {proposal_id}, reviewer {reviewer_id}: {found} scores for {expected} criteria"
    )]
    CriteriaCount {
        /// The proposal reviewed.
        proposal_id: i64,
        /// The reviewer.
        reviewer_id: i64,
        /// Criteria in the rubric.
        expected: usize,
        /// Scores in the review.
        found: usize,
    },
    /// A score is out of range or off the 0.5 step; `criterion` is its index in the rubric.
    #[error("proposal {proposal_id}, reviewer {reviewer_id}, criterion {criterion}: {error}")]
    Score {
        /// The proposal reviewed.
        proposal_id: i64,
        /// The reviewer.
        reviewer_id: i64,
        /// Index of the criterion in the rubric.
        criterion: usize,
        /// What is wrong with the score.
        error: ScoreError,
    },
    /// The same reviewer appears twice on the same proposal.
    #[error("proposal {proposal_id}: reviewer {reviewer_id} reviewed it twice")]
    Duplicate {
        /// The proposal reviewed.
        proposal_id: i64,
        /// The reviewer listed twice.
        reviewer_id: i64,
    },
}

/// Checks one review against the rubric: one score per criterion, each by [`check_score`] on
/// the round's review step (tenths).
pub fn check_review(
    criteria: &[Criterion],
    step_tenths: i32,
    proposal_id: i64,
    review: &ReviewScores,
) -> Result<(), ReviewDataError> {
    if review.per_criterion.len() != criteria.len() {
        return Err(ReviewDataError::CriteriaCount {
            proposal_id,
            reviewer_id: review.reviewer_id,
            expected: criteria.len(),
            found: review.per_criterion.len(),
        });
    }
    for (i, (v, c)) in review.per_criterion.iter().zip(criteria).enumerate() {
        check_score(*v, c.max_points, step_tenths).map_err(|error| ReviewDataError::Score {
            proposal_id,
            reviewer_id: review.reviewer_id,
            criterion: i,
            error,
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------------------

/// `num / den` rounded half away from zero (`den > 0`).
fn div_round(num: i64, den: i64) -> i64 {
    let (q, r) = (num / den, num % den);
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

fn to_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// An `f64` of tenths rounded half away from zero (0 if not finite, which the callers never
/// produce).
fn round_f64(v: f64) -> i32 {
    if v.is_finite() {
        v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
    } else {
        0
    }
}

/// The plain mean of totals, in tenths rounded half away from zero; `None` when empty.
pub fn mean(totals: &[i32]) -> Option<i32> {
    if totals.is_empty() {
        return None;
    }
    let sum: i64 = totals.iter().map(|t| i64::from(*t)).sum();
    Some(to_i32(div_round(sum, totals.len() as i64)))
}

/// 去掉一个最高分和一个最低分: with 5 or more totals, drops ONE highest and ONE lowest and
/// takes the mean of the rest; with fewer, the plain [`mean`]. Tenths, rounded half away
/// from zero; `None` when empty. (90, 85, 80, 70, 60 points → 78.3.)
pub fn trimmed_mean(totals: &[i32]) -> Option<i32> {
    if totals.len() < 5 {
        return mean(totals);
    }
    let sum: i64 = totals.iter().map(|t| i64::from(*t)).sum();
    let max = totals.iter().copied().max().map_or(0, i64::from);
    let min = totals.iter().copied().min().map_or(0, i64::from);
    Some(to_i32(div_round(sum - max - min, totals.len() as i64 - 2)))
}

/// The spread of totals (highest − lowest), in tenths; 0 when empty.
pub fn spread(totals: &[i32]) -> i32 {
    match (totals.iter().max(), totals.iter().min()) {
        (Some(max), Some(min)) => to_i32(i64::from(*max) - i64::from(*min)),
        _ => 0,
    }
}

/// Whether the spread of totals is above the round's gap (in whole points): such a proposal
/// is flagged for panel discussion. A spread exactly equal to the gap is not flagged.
pub fn is_divergent(totals: &[i32], gap_points: i32) -> bool {
    i64::from(spread(totals)) > i64::from(gap_points) * 10
}

/// The average score of each criterion over the reviews, in tenths rounded half away from
/// zero; a criterion that no review scored averages 0.
pub fn criterion_averages<'a>(
    reviews: impl IntoIterator<Item = &'a ReviewScores>,
    criteria: usize,
) -> Vec<i32> {
    let mut sums = vec![(0i64, 0i64); criteria];
    for r in reviews {
        for (slot, v) in sums.iter_mut().zip(&r.per_criterion) {
            slot.0 += i64::from(*v);
            slot.1 += 1;
        }
    }
    sums.into_iter()
        .map(|(s, n)| if n == 0 { 0 } else { to_i32(div_round(s, n)) })
        .collect()
}

/// Integer sums of a set of totals: count, sum and sum of squares.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: i64,
    sum: i128,
    sum_sq: i128,
}

impl Moments {
    fn add(&mut self, x: i32) {
        self.n += 1;
        self.sum += i128::from(x);
        self.sum_sq += i128::from(x) * i128::from(x);
    }
    /// `n × Σx² − (Σx)²` = n² × population variance; exact.
    fn n2_var(&self) -> i128 {
        i128::from(self.n) * self.sum_sq - self.sum * self.sum
    }
}

/// Per-reviewer z-score normalisation across the whole round: each review's total is
/// standardised by its reviewer's mean and **population** standard deviation over every
/// proposal that reviewer reviewed in `reviews`, then mapped back onto the panel's overall
/// mean and population standard deviation (over every review in the round) so the result
/// stays on the 0–100 scale, and finally clamped to `0..=max_total_tenths`. A reviewer with
/// a single review or a standard deviation of zero keeps their raw totals.
///
/// Returns one unrounded value in tenths per review, in input order. The statistics are
/// exact integer sums, so the result does not depend on the order of `reviews`.
pub fn zscore_normalise(reviews: &[(i64, ReviewScores)], max_total_tenths: i32) -> Vec<f64> {
    let mut per_reviewer: HashMap<i64, Moments> = HashMap::new();
    let mut panel = Moments::default();
    let totals: Vec<i32> = reviews.iter().map(|(_, r)| r.total()).collect();
    for ((_, r), t) in reviews.iter().zip(&totals) {
        per_reviewer.entry(r.reviewer_id).or_default().add(*t);
        panel.add(*t);
    }
    if panel.n == 0 {
        return Vec::new();
    }
    let panel_mean = panel.sum as f64 / panel.n as f64;
    let panel_sd = (panel.n2_var().max(0) as f64).sqrt() / panel.n as f64;
    let upper = f64::from(max_total_tenths.max(0));
    reviews
        .iter()
        .zip(&totals)
        .map(|((_, r), t)| {
            let raw = f64::from(*t);
            let m = match per_reviewer.get(&r.reviewer_id) {
                Some(m) if m.n >= 2 && m.n2_var() > 0 => m,
                _ => return raw,
            };
            // (x − mean) / sd = (n·x − Σx) / √(n·Σx² − (Σx)²)
            let z = (i128::from(m.n) * i128::from(*t) - m.sum) as f64 / (m.n2_var() as f64).sqrt();
            (panel_mean + panel_sd * z).clamp(0.0, upper)
        })
        .collect()
}

/// A proposal's aggregated review result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProposalScore {
    /// The proposal.
    pub proposal_id: i64,
    /// Reviews aggregated.
    pub review_count: usize,
    /// The score by the round's aggregation rule ([`Aggregation`]): trimmed mean, mean or
    /// normalised. This is what ranks the proposal and decides whether it is fundable.
    pub final_tenths: i32,
    /// Plain mean of the raw totals.
    pub mean_tenths: i32,
    /// Trimmed mean of the raw totals (see [`trimmed_mean`]).
    pub trimmed_mean_tenths: i32,
    /// Plain mean of the z-score-normalised totals (see [`zscore_normalise`]), rounded.
    pub normalised_tenths: i32,
    /// The same before rounding, for display only.
    pub normalised_display: f64,
    /// Average of each criterion, in rubric order.
    pub criterion_avg_tenths: Vec<i32>,
    /// Average of the round's tie-break criterion, if the round has one.
    pub tie_break_tenths: Option<i32>,
    /// Highest − lowest raw total.
    pub spread_tenths: i32,
    /// The spread is above the round's divergence gap: discuss at the panel.
    pub divergent: bool,
}

/// Aggregates every review of a round (pairs of proposal id and scores) into one
/// [`ProposalScore`] per proposal, sorted by proposal id. The z-score statistics are taken
/// over all of `reviews`, so pass the whole round. Every review is checked first
/// ([`check_review`], and no reviewer twice on a proposal); the first problem is returned.
pub fn aggregate_round(
    rules: &RoundRules,
    reviews: &[(i64, ReviewScores)],
) -> Result<Vec<ProposalScore>, ReviewDataError> {
    let criteria = &rules.review_criteria;
    let mut seen = HashSet::with_capacity(reviews.len());
    for (pid, r) in reviews {
        check_review(criteria, rules.review_score_step, *pid, r)?;
        if !seen.insert((*pid, r.reviewer_id)) {
            return Err(ReviewDataError::Duplicate {
                proposal_id: *pid,
                reviewer_id: r.reviewer_id,
            });
        }
    }
    let max_total: i64 = criteria.iter().map(|c| i64::from(c.max_points) * 10).sum();
    let normalised = zscore_normalise(reviews, to_i32(max_total));
    let tie_break = rules
        .tie_break
        .as_ref()
        .and_then(|name| criteria.iter().position(|c| &c.name == name));

    let mut by_proposal: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, (pid, _)) in reviews.iter().enumerate() {
        by_proposal.entry(*pid).or_default().push(i);
    }
    let mut out = Vec::with_capacity(by_proposal.len());
    let mut totals = Vec::new();
    let mut norm = Vec::new();
    for (pid, idx) in by_proposal {
        totals.clear();
        totals.extend(idx.iter().map(|i| reviews[*i].1.total()));
        norm.clear();
        norm.extend(idx.iter().filter_map(|i| normalised.get(*i).copied()));
        // Summed in sorted order so that the input order cannot change the last bit.
        norm.sort_by(f64::total_cmp);
        let normalised_display = if norm.is_empty() {
            0.0
        } else {
            norm.iter().sum::<f64>() / norm.len() as f64
        };
        let mean_tenths = mean(&totals).unwrap_or(0);
        let trimmed_mean_tenths = trimmed_mean(&totals).unwrap_or(0);
        let normalised_tenths = round_f64(normalised_display);
        let criterion_avg_tenths =
            criterion_averages(idx.iter().map(|i| &reviews[*i].1), criteria.len());
        let final_tenths = match rules.aggregation {
            Aggregation::TrimmedMean => trimmed_mean_tenths,
            Aggregation::Mean => mean_tenths,
            Aggregation::ZScore => normalised_tenths,
        };
        out.push(ProposalScore {
            proposal_id: pid,
            review_count: idx.len(),
            final_tenths,
            mean_tenths,
            trimmed_mean_tenths,
            normalised_tenths,
            normalised_display,
            tie_break_tenths: tie_break.and_then(|t| criterion_avg_tenths.get(t).copied()),
            criterion_avg_tenths,
            spread_tenths: spread(&totals),
            divergent: is_divergent(&totals, rules.divergence_gap),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Ranking
// ---------------------------------------------------------------------------------------

/// What ranks a proposal (DESIGN §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankInput {
    /// The proposal; the last tie-break (lower first).
    pub proposal_id: i64,
    /// [`ProposalScore::final_tenths`].
    pub final_tenths: i32,
    /// Average of the round's tie-break criterion; `None` ranks after any value.
    pub tie_break_tenths: Option<i32>,
    /// The organization's 等级评估 grade, if it has one.
    pub org_grade: Option<Grade>,
    /// The grant asked for.
    pub requested: Fen,
    /// When the proposal was submitted (UTC).
    pub submitted_at: NaiveDateTime,
}

/// Priority of a grade at equal merit: 3A and above before the rest, and among them the
/// higher grade first (5A, 4A, 3A); 1A, 2A and no grade are equal.
fn grade_priority(g: Option<Grade>) -> u8 {
    match g {
        Some(Grade::A5) => 3,
        Some(Grade::A4) => 2,
        Some(Grade::A3) => 1,
        Some(Grade::A2) | Some(Grade::A1) | None => 0,
    }
}

/// The ranking order: final score descending; then the tie-break criterion's average
/// descending (a missing one last); then the org's grade (5A, 4A, 3A, then 1A/2A/none,
/// which are equal); then the lower requested grant; then the earlier submission; finally
/// the lower proposal id. It is a total order on inputs with distinct proposal ids.
pub fn rank_cmp(a: &RankInput, b: &RankInput) -> Ordering {
    b.final_tenths
        .cmp(&a.final_tenths)
        .then_with(|| b.tie_break_tenths.cmp(&a.tie_break_tenths))
        .then_with(|| grade_priority(b.org_grade).cmp(&grade_priority(a.org_grade)))
        .then_with(|| a.requested.cmp(&b.requested))
        .then_with(|| a.submitted_at.cmp(&b.submitted_at))
        .then_with(|| a.proposal_id.cmp(&b.proposal_id))
}

/// Sorts proposals into rank order ([`rank_cmp`]); rank `k` is at index `k − 1`.
pub fn rank(items: &mut [RankInput]) {
    items.sort_by(rank_cmp);
}

/// Tenths as points: `175` → `17.5`, `180` → `18`.
pub fn tenths_text(t: i32) -> String {
    if t % 10 == 0 {
        (t / 10).to_string()
    } else {
        format!("{}.{}", t / 10, (t % 10).abs())
    }
}

/// Fundable: the final score (tenths) is at or above the round's threshold (whole points).
pub fn is_fundable(final_tenths: i32, threshold_points: i32) -> bool {
    i64::from(final_tenths) >= i64::from(threshold_points) * 10
}

// ---------------------------------------------------------------------------------------
// Funding line
// ---------------------------------------------------------------------------------------

str_enum!(
    /// An officer's decision to move the line for one proposal (made, with a written reason,
    /// elsewhere); stored in `decision_entries.line_override`.
    LineOverride {
        /// Fund it before the others, if it fits.
        ForcedIn = "forced_in",
        /// Do not fund it: it goes to the waitlist.
        ForcedOut = "forced_out",
    }
);

str_enum!(
    /// What the funding line does with the first fundable proposal that does not fit in what
    /// is left of the budget (a round setting, `RoundRules::funding_rule`).
    FundingRule {
        /// 严格按排名: the line stops there; it and everything below it are waitlisted.
        Strict = "strict",
        /// 顺延: it is waitlisted and the walk goes on, so a cheaper proposal below may still
        /// be funded.
        SkipAhead = "skip_ahead",
        /// 末位部分资助: it is funded with what is left (a 核减 to the remainder), then the
        /// line stops.
        Partial = "partial",
    }
);

impl FundingRule {
    /// Locale key of what the rule does, in a sentence.
    pub fn hint_key(self) -> &'static str {
        match self {
            FundingRule::Strict => "round.funding_rule_hint_strict",
            FundingRule::SkipAhead => "round.funding_rule_hint_skip_ahead",
            FundingRule::Partial => "round.funding_rule_hint_partial",
        }
    }
}

impl Default for FundingRule {
    /// Skip-ahead: the line as it was before the rule became a setting, so stored rounds keep
    /// their line.
    fn default() -> Self {
        FundingRule::SkipAhead
    }
}

str_enum!(
    /// What is wrong with a proposal on the line (a [`LineError`] as the decision page and
    /// the API name it).
    LineProblemKind {
        ForcedInDoesNotFit = "forced_in_does_not_fit",
        ForcedInNotFundable = "forced_in_not_fundable",
        NegativeAmount = "negative_amount",
    }
);

/// One proposal on the decision page, in rank order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// The proposal.
    pub proposal_id: i64,
    /// See [`is_fundable`].
    pub fundable: bool,
    /// The requested grant, or the officer-reduced (核减) one.
    pub amount: Fen,
    /// The proposal's service category.
    pub category: String,
    /// The officer's override, if any.
    pub manual: Option<LineOverride>,
}

/// A problem the officer must see on the decision page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// A forced-in proposal does not fit in what is left of the budget (or of its category's
    /// budget): it is waitlisted, never funded over the budget.
    #[error("proposal {proposal_id} was forced in but {amount} does not fit in the budget")]
    ForcedInDoesNotFit {
        /// The proposal.
        proposal_id: i64,
        /// Its amount.
        amount: Fen,
    },
    /// A forced-in proposal is below the threshold: the override cannot make it fundable.
    #[error("proposal {proposal_id} was forced in but is below the threshold")]
    ForcedInNotFundable {
        /// The proposal.
        proposal_id: i64,
    },
    /// A negative amount: the proposal is waitlisted.
    #[error("proposal {proposal_id} has a negative amount")]
    NegativeAmount {
        /// The proposal.
        proposal_id: i64,
    },
}

/// The proposed funding line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineResult {
    /// Funded, in rank order.
    pub funded: Vec<i64>,
    /// Fundable but not funded (did not fit, forced out, or in error), in rank order.
    pub waitlisted: Vec<i64>,
    /// Below the threshold, in rank order.
    pub not_fundable: Vec<i64>,
    /// Sum of the funded amounts; never above the budget.
    pub used: Fen,
    /// Budget − used.
    pub remaining: Fen,
    /// Funded amount per category that has any, sorted by category.
    pub category_used: Vec<(String, Fen)>,
    /// Problems for the officer (empty when the line is clean).
    pub errors: Vec<LineError>,
    /// Under [`FundingRule::Partial`]: the marginal proposals funded with what was left, and
    /// that amount (below their own); at most one per category budget and one for the total.
    pub partial: Vec<(i64, Fen)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStatus {
    Pending,
    Funded,
    Waitlisted,
    NotFundable,
}

/// The running totals of a funding line.
struct Books<'a> {
    budget: Fen,
    caps: HashMap<&'a str, Fen>,
    used: Fen,
    cat_used: HashMap<&'a str, Fen>,
}

impl<'a> Books<'a> {
    /// Takes `p` if its amount fits in what is left of the budget and of its category's
    /// budget (if that has one).
    fn try_take(&mut self, p: &'a LineInput) -> bool {
        self.take(&p.category, p.amount)
    }

    /// Takes `amount` for category `cat` if it fits in what is left of the budget and of the
    /// category's budget (if that has one).
    fn take(&mut self, cat: &'a str, amount: Fen) -> bool {
        let Some(total) = self.used.checked_add(amount) else {
            return false;
        };
        let in_cat = self.cat_used.get(cat).copied().unwrap_or(Fen::ZERO);
        let Some(cat_total) = in_cat.checked_add(amount) else {
            return false;
        };
        if total > self.budget || self.caps.get(cat).is_some_and(|cap| cat_total > *cap) {
            return false;
        }
        self.used = total;
        self.cat_used.insert(cat, cat_total);
        true
    }

    /// Whether `amount` would overrun the total budget (rather than only a category's).
    fn over_total(&self, amount: Fen) -> bool {
        self.used
            .checked_add(amount)
            .is_none_or(|t| t > self.budget)
    }

    /// What is left for a proposal of category `cat`: of the total budget and of the
    /// category's budget, the smaller.
    fn room(&self, cat: &str) -> Fen {
        let total = self.budget.0.saturating_sub(self.used.0);
        let in_cat = self.caps.get(cat).map(|cap| {
            cap.0
                .saturating_sub(self.cat_used.get(cat).copied().unwrap_or(Fen::ZERO).0)
        });
        Fen(in_cat.map_or(total, |c| c.min(total)).max(0))
    }
}

/// Proposes the funding line (DESIGN §2.4) over proposals in rank order.
///
/// First every forced-in proposal is funded, in rank order, if it fits (the officer moved
/// the line to include it, so it goes before the others); one that does not fit, or is not
/// fundable, is reported in [`LineResult::errors`] and never funded over the budget. Then
/// the other fundable proposals are walked in rank order, each funded while the running
/// total stays within `budget` and, if its category has a budget in `category_budgets`,
/// within that category's budget (a category listed twice gets the smaller budget).
///
/// A proposal that does not fit is handled by `rule`:
/// - [`FundingRule::SkipAhead`]: it is waitlisted **and the walk goes on**: a later, cheaper
///   proposal may still fit in what is left, so the funded list is not always a prefix of
///   the ranking;
/// - [`FundingRule::Strict`]: it is waitlisted and the line stops: every fundable proposal
///   below it is waitlisted too;
/// - [`FundingRule::Partial`]: it is funded with what is left (reported in
///   [`LineResult::partial`]) when that is at least `min_partial` and above zero, otherwise
///   waitlisted; then the line stops.
///
/// Under the last two, a proposal that overruns only its category's budget stops the line
/// in that category alone (a category budget is a line of its own); one that overruns the
/// total budget stops it everywhere. Forced-out proposals are waitlisted and stop nothing;
/// proposals below the threshold are `not_fundable`. Every list keeps the rank order.
pub fn funding_line(
    ranked: &[LineInput],
    budget: Fen,
    category_budgets: &[(String, Fen)],
    rule: FundingRule,
    min_partial: Fen,
) -> LineResult {
    let mut caps: HashMap<&str, Fen> = HashMap::new();
    for (c, b) in category_budgets {
        caps.entry(c.as_str())
            .and_modify(|v| *v = (*v).min(*b))
            .or_insert(*b);
    }
    let mut books = Books {
        budget,
        caps,
        used: Fen::ZERO,
        cat_used: HashMap::new(),
    };
    let mut status = vec![LineStatus::Pending; ranked.len()];
    let mut errors = Vec::new();
    let mut partial = Vec::new();

    for (p, st) in ranked.iter().zip(status.iter_mut()) {
        if p.manual != Some(LineOverride::ForcedIn) {
            continue;
        }
        *st = if !p.fundable {
            errors.push(LineError::ForcedInNotFundable {
                proposal_id: p.proposal_id,
            });
            LineStatus::NotFundable
        } else if p.amount.0 < 0 {
            errors.push(LineError::NegativeAmount {
                proposal_id: p.proposal_id,
            });
            LineStatus::Waitlisted
        } else if books.try_take(p) {
            LineStatus::Funded
        } else {
            errors.push(LineError::ForcedInDoesNotFit {
                proposal_id: p.proposal_id,
                amount: p.amount,
            });
            LineStatus::Waitlisted
        };
    }
    // Under the strict and partial rules: the line has stopped everywhere, or in these
    // categories.
    let mut stopped = false;
    let mut closed: HashSet<&str> = HashSet::new();
    for (p, st) in ranked.iter().zip(status.iter_mut()) {
        if *st != LineStatus::Pending {
            continue;
        }
        *st = if !p.fundable {
            LineStatus::NotFundable
        } else if p.manual == Some(LineOverride::ForcedOut) {
            LineStatus::Waitlisted
        } else if p.amount.0 < 0 {
            errors.push(LineError::NegativeAmount {
                proposal_id: p.proposal_id,
            });
            LineStatus::Waitlisted
        } else if stopped || closed.contains(p.category.as_str()) {
            LineStatus::Waitlisted
        } else if books.try_take(p) {
            LineStatus::Funded
        } else if rule == FundingRule::SkipAhead {
            LineStatus::Waitlisted
        } else {
            if books.over_total(p.amount) {
                stopped = true;
            } else {
                closed.insert(p.category.as_str());
            }
            let room = books.room(&p.category);
            if rule == FundingRule::Partial && room.0 > 0 && room >= min_partial {
                let taken = books.take(&p.category, room);
                debug_assert!(taken, "what is left always fits");
                partial.push((p.proposal_id, room));
                LineStatus::Funded
            } else {
                LineStatus::Waitlisted
            }
        };
    }

    let used = books.used;
    let mut out = LineResult {
        used,
        remaining: Fen(budget.0.saturating_sub(used.0)),
        errors,
        partial,
        ..LineResult::default()
    };
    for (p, st) in ranked.iter().zip(&status) {
        match st {
            LineStatus::Funded => out.funded.push(p.proposal_id),
            LineStatus::Waitlisted => out.waitlisted.push(p.proposal_id),
            LineStatus::NotFundable | LineStatus::Pending => out.not_fundable.push(p.proposal_id),
        }
    }
    let sorted: BTreeMap<&str, Fen> = books.cat_used.into_iter().collect();
    out.category_used = sorted
        .into_iter()
        .map(|(c, f)| (c.to_string(), f))
        .collect();
    out
}

// ---------------------------------------------------------------------------------------
// Reviewer statistics
// ---------------------------------------------------------------------------------------

/// How one reviewer scored, for the officer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewerStats {
    /// The reviewer.
    pub reviewer_id: i64,
    /// Reviews in the round.
    pub count: usize,
    /// Mean of the reviewer's totals, tenths.
    pub mean_tenths: i32,
    /// Highest − lowest of the reviewer's totals, tenths.
    pub spread_tenths: i32,
    /// The reviewer's mean total minus the panel's mean on the same proposals, tenths
    /// (positive: lenient, negative: severe). The panel mean of a proposal is the mean of
    /// all its reviews, this reviewer's included.
    pub leniency_tenths: i32,
    /// The same before rounding, for display only.
    pub leniency_display: f64,
}

/// Per-reviewer statistics over a round's reviews, sorted by reviewer id.
pub fn reviewer_stats(reviews: &[(i64, ReviewScores)]) -> Vec<ReviewerStats> {
    let mut proposal_sums: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut by_reviewer: BTreeMap<i64, Vec<(i64, i32)>> = BTreeMap::new();
    for (pid, r) in reviews {
        let t = r.total();
        let e = proposal_sums.entry(*pid).or_default();
        e.0 += i64::from(t);
        e.1 += 1;
        by_reviewer
            .entry(r.reviewer_id)
            .or_default()
            .push((*pid, t));
    }
    by_reviewer
        .into_iter()
        .map(|(reviewer_id, items)| {
            let totals: Vec<i32> = items.iter().map(|(_, t)| *t).collect();
            // x − S/n for each proposal, summed in sorted order (deterministic).
            let mut diffs: Vec<f64> = items
                .iter()
                .map(|(pid, t)| {
                    let (s, n) = proposal_sums.get(pid).copied().unwrap_or((0, 1));
                    f64::from(*t) - s as f64 / n.max(1) as f64
                })
                .collect();
            diffs.sort_by(f64::total_cmp);
            let leniency = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
            ReviewerStats {
                reviewer_id,
                count: totals.len(),
                mean_tenths: mean(&totals).unwrap_or(0),
                spread_tenths: spread(&totals),
                leniency_tenths: round_f64(leniency),
                leniency_display: leniency,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> RoundRules {
        RoundRules::default()
    }

    /// A review for the default rubric (20, 25, 20, 15, 10, 10 points) whose total is
    /// `total_points` (whole points), spread over the criteria.
    fn review(reviewer_id: i64, total_points: i32) -> ReviewScores {
        let maxes = [20, 25, 20, 15, 10, 10];
        let mut left = total_points * 10;
        let per_criterion = maxes
            .iter()
            .map(|m| {
                let v = left.min(m * 10);
                left -= v;
                v
            })
            .collect();
        assert_eq!(left, 0, "total too high for the rubric");
        ReviewScores {
            reviewer_id,
            per_criterion,
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn check_score_takes_the_rounds_step_within_range() {
        // (value tenths, max points, step tenths) → result
        let table: &[(i32, i32, i32, Result<(), ScoreError>)] = &[
            (0, 20, 5, Ok(())),
            (175, 20, 5, Ok(())),
            (200, 20, 5, Ok(())),
            (205, 20, 5, Err(ScoreError::OutOfRange)),
            (-5, 20, 5, Err(ScoreError::OutOfRange)),
            (173, 20, 5, Err(ScoreError::Step)),
            (173, 20, 1, Ok(())),
            (201, 20, 1, Err(ScoreError::OutOfRange)),
            (-1, 20, 1, Err(ScoreError::OutOfRange)),
            (170, 20, 10, Ok(())),
            (175, 20, 10, Err(ScoreError::Step)),
            (171, 20, 10, Err(ScoreError::Step)),
            (873, 100, 1, Ok(())),
        ];
        for (v, max, step, want) in table {
            assert_eq!(
                check_score(*v, *max, *step),
                *want,
                "{v} / {max} step {step}"
            );
        }
        let m = score_msg(ScoreError::Step, 20, 1);
        assert_eq!(m.render(crate::i18n::Lang::Zh), "评分须为 0.1 的整数倍。");
        assert_eq!(
            score_msg(ScoreError::Step, 20, 5).render(crate::i18n::Lang::En),
            "Scores must be a multiple of 0.5."
        );
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse_tenths("17.5"), Ok(175));
        assert_eq!(parse_tenths("18"), Ok(180));
        assert_eq!(parse_tenths(" 18 "), Ok(180));
        assert_eq!(parse_tenths("17.50"), Ok(175));
        assert_eq!(parse_tenths("0"), Ok(0));
        assert_eq!(parse_tenths("0.5"), Ok(5));
        assert_eq!(parse_tenths("１７．５"), Ok(175));
        assert_eq!(parse_tenths("18分"), Ok(180));
        assert_eq!(parse_tenths("17.3"), Ok(173));
        assert_eq!(parse_tenths(""), Err(ScoreError::Missing));
        assert_eq!(parse_tenths("   "), Err(ScoreError::Missing));
        assert_eq!(parse_tenths("17,5"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("17.5.1"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("18."), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths(".5"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("+5"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("1e1"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("abc"), Err(ScoreError::Invalid));
        assert_eq!(parse_tenths("-1"), Err(ScoreError::OutOfRange));
        assert_eq!(parse_tenths("99999999999"), Err(ScoreError::OutOfRange));
        assert_eq!(parse_tenths("17.25"), Err(ScoreError::Step));
        assert_eq!(parse_score("17.3", 20, 5), Err(ScoreError::Step));
        assert_eq!(parse_score("17.3", 20, 1), Ok(173));
        assert_eq!(parse_score("20.5", 20, 5), Err(ScoreError::OutOfRange));
        assert_eq!(parse_score("19.5", 20, 5), Ok(195));
    }

    #[test]
    fn trimmed_mean_drops_one_highest_and_one_lowest_from_five() {
        // 90, 85, 80, 70, 60 → (85 + 80 + 70) / 3 = 78.333… → 78.3; mean 385 / 5 = 77.0.
        let totals = [900, 850, 800, 700, 600];
        assert_eq!(trimmed_mean(&totals), Some(783));
        assert_eq!(mean(&totals), Some(770));
        assert_eq!(spread(&totals), 300);
        // Only one of two equal highest scores is dropped: (90 + 80 + 70) / 3 = 80.0.
        assert_eq!(trimmed_mean(&[900, 900, 800, 700, 600]), Some(800));
        // Fewer than five: plain mean.
        assert_eq!(trimmed_mean(&[900, 600, 800, 800]), Some(775));
        assert_eq!(trimmed_mean(&[]), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn means_round_half_away_from_zero() {
        assert_eq!(mean(&[1, 2]), Some(2)); // 1.5 → 2
        assert_eq!(mean(&[1, 1, 2]), Some(1)); // 1.33 → 1
        assert_eq!(mean(&[1, 2, 2]), Some(2)); // 1.67 → 2
        assert_eq!(mean(&[-1, -2]), Some(-2)); // −1.5 → −2
        assert_eq!(div_round(2350, 3), 783);
        assert_eq!(div_round(-7, 2), -4);
    }

    #[test]
    fn divergence_is_a_spread_above_the_gap() {
        assert!(!is_divergent(&[900, 700], 20)); // exactly 20 points: not flagged
        assert!(is_divergent(&[905, 700], 20));
        assert!(!is_divergent(&[], 20));
    }

    #[test]
    fn aggregate_round_gives_every_figure_for_a_proposal() {
        let rules = rules();
        let mut reviews: Vec<(i64, ReviewScores)> = [(1, 90), (2, 85), (3, 80), (4, 70), (5, 60)]
            .into_iter()
            .map(|(r, p)| (7, review(r, p)))
            .collect();
        reviews.push((8, review(1, 50)));
        let out = aggregate_round(&rules, &reviews).unwrap();
        assert_eq!(out.len(), 2);
        let p = &out[0];
        assert_eq!(p.proposal_id, 7);
        assert_eq!(p.review_count, 5);
        assert_eq!(p.trimmed_mean_tenths, 783);
        assert_eq!(p.final_tenths, 783);
        assert_eq!(p.mean_tenths, 770);
        assert_eq!(p.spread_tenths, 300);
        assert!(p.divergent);
        // 项目设计 (25 points) is the default tie-break: 90→25, 85→25, 80→25, 70→25, 60→25.
        assert_eq!(p.criterion_avg_tenths[1], 250);
        assert_eq!(p.tie_break_tenths, Some(250));
        // 执行能力 (20): 90→20, 85→20, 80→20, 70→20, 60→15 → 19.0.
        assert_eq!(p.criterion_avg_tenths[2], 190);
        assert_eq!(out[1].proposal_id, 8);
        assert_eq!(out[1].final_tenths, 500);
        assert!(!out[1].divergent);

        let mut mean_rules = rules.clone();
        mean_rules.aggregation = Aggregation::Mean;
        assert_eq!(
            aggregate_round(&mean_rules, &reviews).unwrap()[0].final_tenths,
            770
        );
    }

    #[test]
    fn aggregate_round_refuses_bad_reviews() {
        let rules = rules();
        let mut short = review(1, 80);
        short.per_criterion.pop();
        assert!(matches!(
            aggregate_round(&rules, &[(1, short)]),
            Err(ReviewDataError::CriteriaCount {
                expected: 6,
                found: 5,
                ..
            })
        ));
        let mut off_step = review(1, 80);
        off_step.per_criterion[5] = 53;
        assert!(matches!(
            aggregate_round(&rules, &[(1, off_step)]),
            Err(ReviewDataError::Score {
                criterion: 5,
                error: ScoreError::Step,
                ..
            })
        ));
        let dup = [(1, review(1, 80)), (1, review(1, 70))];
        assert!(matches!(
            aggregate_round(&rules, &dup),
            Err(ReviewDataError::Duplicate {
                proposal_id: 1,
                reviewer_id: 1
            })
        ));
    }

    #[test]
    fn zscore_evens_out_a_severe_reviewer() {
        // Reviewer 1 is severe (everything 20 points lower) but ranks the proposals the same
        // way as reviewer 2. Reviewer 3 reviewed once and keeps their raw total.
        let reviews = vec![
            (1, review(1, 60)),
            (1, review(2, 50)),
            (2, review(1, 80)),
            (2, review(2, 70)),
            (3, review(3, 75)),
        ];
        let n = zscore_normalise(&reviews, 1000);
        // Panel: 600, 500, 800, 700, 750 → mean 670, population sd √11600 ≈ 107.70.
        // Each of reviewers 1 and 2 has z = −1 on their lower and +1 on their higher total.
        let sd = 11600f64.sqrt();
        assert!((n[0] - (670.0 - sd)).abs() < 1e-9);
        assert!((n[1] - (670.0 - sd)).abs() < 1e-9);
        assert!((n[2] - (670.0 + sd)).abs() < 1e-9);
        assert!((n[3] - (670.0 + sd)).abs() < 1e-9);
        assert_eq!(n[4], 750.0);

        let mut rules = rules();
        rules.aggregation = Aggregation::ZScore;
        let out = aggregate_round(&rules, &reviews).unwrap();
        // Proposal 1 (60 and 50): raw mean 55.0, normalised 56.2; proposal 2 (80 and 70):
        // normalised 77.8; proposal 3 keeps 75.0.
        assert_eq!(out[0].mean_tenths, 550);
        assert_eq!(out[0].normalised_tenths, 562); // 670 − 107.70 = 562.3 → 562
        assert_eq!(out[0].final_tenths, 562);
        assert_eq!(out[1].normalised_tenths, 778);
        assert_eq!(out[2].normalised_tenths, 750);
    }

    #[test]
    fn zscore_is_clamped_to_the_scale_and_keeps_zero_sd_reviewers_raw() {
        // Reviewer 9 gives 80 everywhere: sd 0, raw totals kept.
        let reviews = vec![(1, review(9, 80)), (2, review(9, 80))];
        assert_eq!(zscore_normalise(&reviews, 1000), vec![800.0, 800.0]);
        let extreme = vec![
            (1, review(1, 0)),
            (2, review(1, 100)),
            (3, review(2, 100)),
            (4, review(2, 99)),
        ];
        let n = zscore_normalise(&extreme, 1000);
        assert!(n.iter().all(|v| (0.0..=1000.0).contains(v)), "{n:?}");
    }

    fn ri(id: i64, final_tenths: i32) -> RankInput {
        RankInput {
            proposal_id: id,
            final_tenths,
            tie_break_tenths: Some(200),
            org_grade: None,
            requested: Fen::from_yuan(50_000),
            submitted_at: t("2026-03-01 09:00"),
        }
    }

    fn ids(items: &[RankInput]) -> Vec<i64> {
        items.iter().map(|i| i.proposal_id).collect()
    }

    #[test]
    fn ranking_applies_each_tie_break_in_turn() {
        let mut items = vec![
            // Lowest id but lowest score: last.
            ri(1, 700),
            // Same score as the others, higher tie-break average: first of the 800s.
            RankInput {
                tie_break_tenths: Some(230),
                ..ri(2, 800)
            },
            // No tie-break average: after the ones with one.
            RankInput {
                tie_break_tenths: None,
                org_grade: Some(Grade::A5),
                ..ri(3, 800)
            },
            // 2A: no priority, same as none; cheaper than 6 → before it.
            RankInput {
                org_grade: Some(Grade::A2),
                requested: Fen::from_yuan(40_000),
                ..ri(4, 800)
            },
            // 3A: before the 2A/none ones.
            RankInput {
                org_grade: Some(Grade::A3),
                requested: Fen::from_yuan(90_000),
                ..ri(5, 800)
            },
            // No grade, same request as 7 but submitted earlier → before 7.
            RankInput {
                submitted_at: t("2026-02-01 09:00"),
                ..ri(7, 800)
            },
            ri(6, 800),
            // Identical to 6 but for the id → after 6.
            ri(9, 800),
            // 4A before 3A.
            RankInput {
                org_grade: Some(Grade::A4),
                requested: Fen::from_yuan(99_000),
                ..ri(8, 800)
            },
            ri(10, 905),
        ];
        rank(&mut items);
        assert_eq!(ids(&items), vec![10, 2, 8, 5, 4, 7, 6, 9, 3, 1]);
    }

    #[test]
    fn fundable_from_the_threshold() {
        assert!(is_fundable(600, 60));
        assert!(!is_fundable(595, 60));
    }

    fn li(id: i64, yuan: i64, cat: &str) -> LineInput {
        LineInput {
            proposal_id: id,
            fundable: true,
            amount: Fen::from_yuan(yuan),
            category: cat.into(),
            manual: None,
        }
    }

    #[test]
    fn the_line_skips_what_does_not_fit_and_goes_on() {
        let ranked = vec![
            li(1, 60, "a"),
            li(2, 50, "a"), // 110 > 100: waitlisted
            li(3, 30, "b"), // 90
            li(4, 20, "b"), // 110: waitlisted
            li(5, 10, "b"), // 100: fits
            LineInput {
                fundable: false,
                ..li(6, 0, "b")
            },
        ];
        let r = funding_line(
            &ranked,
            Fen::from_yuan(100),
            &[],
            FundingRule::SkipAhead,
            Fen::ZERO,
        );
        assert_eq!(r.funded, vec![1, 3, 5]);
        assert_eq!(r.waitlisted, vec![2, 4]);
        assert_eq!(r.not_fundable, vec![6]);
        assert_eq!(r.used, Fen::from_yuan(100));
        assert_eq!(r.remaining, Fen::ZERO);
        assert_eq!(
            r.category_used,
            vec![
                ("a".to_string(), Fen::from_yuan(60)),
                ("b".to_string(), Fen::from_yuan(40))
            ]
        );
        assert!(r.errors.is_empty());
    }

    #[test]
    fn a_category_budget_caps_its_category() {
        let ranked = vec![li(1, 40, "a"), li(2, 40, "a"), li(3, 40, "b")];
        let caps = [("a".to_string(), Fen::from_yuan(50))];
        let r = funding_line(
            &ranked,
            Fen::from_yuan(200),
            &caps,
            FundingRule::SkipAhead,
            Fen::ZERO,
        );
        assert_eq!(r.funded, vec![1, 3]);
        assert_eq!(r.waitlisted, vec![2]);
        assert_eq!(r.remaining, Fen::from_yuan(120));
    }

    #[test]
    fn overrides_move_the_line_but_never_past_the_budget() {
        let forced = |id, yuan, o| LineInput {
            manual: Some(o),
            ..li(id, yuan, "a")
        };
        let ranked = vec![
            forced(1, 50, LineOverride::ForcedOut),
            li(2, 60, "a"),
            forced(3, 40, LineOverride::ForcedIn),
            forced(4, 70, LineOverride::ForcedIn), // 40 + 70 > 100
            LineInput {
                fundable: false,
                ..forced(5, 1, LineOverride::ForcedIn)
            },
        ];
        let r = funding_line(
            &ranked,
            Fen::from_yuan(100),
            &[],
            FundingRule::SkipAhead,
            Fen::ZERO,
        );
        assert_eq!(r.funded, vec![2, 3]);
        assert_eq!(r.waitlisted, vec![1, 4]);
        assert_eq!(r.not_fundable, vec![5]);
        assert_eq!(
            r.errors,
            vec![
                LineError::ForcedInDoesNotFit {
                    proposal_id: 4,
                    amount: Fen::from_yuan(70)
                },
                LineError::ForcedInNotFundable { proposal_id: 5 },
            ]
        );
        // Forced in goes first: 3 is funded, and 2, ranked above it, no longer fits.
        let r = funding_line(
            &[li(2, 70, "a"), forced(3, 40, LineOverride::ForcedIn)],
            Fen::from_yuan(100),
            &[],
            FundingRule::SkipAhead,
            Fen::ZERO,
        );
        assert_eq!(r.funded, vec![3]);
        assert_eq!(r.waitlisted, vec![2]);
    }

    fn fen(id: i64, amount: i64, cat: &str) -> LineInput {
        LineInput {
            amount: Fen(amount),
            ..li(id, 0, cat)
        }
    }

    #[test]
    fn each_funding_rule_at_the_edges() {
        use FundingRule::{Partial, SkipAhead, Strict};
        let forced = |o, p: LineInput| LineInput {
            manual: Some(o),
            ..p
        };
        /// Under one rule: what is funded, waitlisted and funded in part (id, fen).
        type Outcome = (FundingRule, Vec<i64>, Vec<i64>, Vec<(i64, i64)>);
        type Case = (
            &'static str,
            Vec<LineInput>,
            i64,
            Vec<(String, Fen)>,
            i64,
            Vec<Outcome>,
        );
        let a = |b: i64| vec![("a".to_string(), Fen(b))];
        // (what, ranked, budget, category budgets, min partial, outcome per rule)
        let cases: Vec<Case> = vec![
            // Exact fit: every rule funds all three.
            (
                "exact fit",
                vec![fen(1, 50, "a"), fen(2, 30, "a"), fen(3, 20, "a")],
                100,
                vec![],
                0,
                vec![
                    (Strict, vec![1, 2, 3], vec![], vec![]),
                    (SkipAhead, vec![1, 2, 3], vec![], vec![]),
                    (Partial, vec![1, 2, 3], vec![], vec![]),
                ],
            ),
            // One fen short for the second: strict stops, skip-ahead funds the third, partial
            // funds the second with the 49 fen left and stops.
            (
                "1 fen short",
                vec![fen(1, 51, "a"), fen(2, 50, "a"), fen(3, 10, "a")],
                100,
                vec![],
                0,
                vec![
                    (Strict, vec![1], vec![2, 3], vec![]),
                    (SkipAhead, vec![1, 3], vec![2], vec![]),
                    (Partial, vec![1, 2], vec![3], vec![(2, 49)]),
                ],
            ),
            // What is left is below the smallest grant: no partial grant, the line stops.
            (
                "below min",
                vec![fen(1, 51, "a"), fen(2, 50, "a"), fen(3, 10, "a")],
                100,
                vec![],
                50,
                vec![(Partial, vec![1], vec![2, 3], vec![])],
            ),
            (
                "at min",
                vec![fen(1, 51, "a"), fen(2, 50, "a"), fen(3, 10, "a")],
                100,
                vec![],
                49,
                vec![(Partial, vec![1, 2], vec![3], vec![(2, 49)])],
            ),
            // Zero remaining: nothing more, under every rule, and no zero grant.
            (
                "zero left",
                vec![fen(1, 100, "a"), fen(2, 1, "a")],
                100,
                vec![],
                0,
                vec![
                    (Strict, vec![1], vec![2], vec![]),
                    (SkipAhead, vec![1], vec![2], vec![]),
                    (Partial, vec![1], vec![2], vec![]),
                ],
            ),
            (
                "zero budget",
                vec![fen(1, 1, "a")],
                0,
                vec![],
                0,
                vec![(Partial, vec![], vec![1], vec![])],
            ),
            // A forced-in proposal goes first under every rule; forced-out (as a fast-track
            // renewal not yet approved) is waitlisted and stops nothing.
            (
                "forced",
                vec![
                    forced(LineOverride::ForcedOut, fen(1, 10, "a")),
                    fen(2, 60, "a"),
                    forced(LineOverride::ForcedIn, fen(3, 50, "a")),
                    fen(4, 10, "a"),
                ],
                100,
                vec![],
                0,
                vec![
                    (Strict, vec![3], vec![1, 2, 4], vec![]),
                    (SkipAhead, vec![3, 4], vec![1, 2], vec![]),
                    (Partial, vec![2, 3], vec![1, 4], vec![(2, 50)]),
                ],
            ),
            // A category budget stops its own category only; the total stops everything.
            (
                "category",
                vec![
                    fen(1, 40, "a"),
                    fen(2, 40, "a"),
                    fen(3, 30, "b"),
                    fen(4, 5, "a"),
                    fen(5, 50, "b"),
                    fen(6, 5, "b"),
                ],
                100,
                a(50),
                0,
                vec![
                    (Strict, vec![1, 3], vec![2, 4, 5, 6], vec![]),
                    (SkipAhead, vec![1, 3, 4, 6], vec![2, 5], vec![]),
                    (
                        Partial,
                        vec![1, 2, 3, 5],
                        vec![4, 6],
                        vec![(2, 10), (5, 20)],
                    ),
                ],
            ),
            // The category's cap is exactly used: its next one gets nothing, the others go on.
            (
                "category full",
                vec![fen(1, 50, "a"), fen(2, 1, "a"), fen(3, 10, "b")],
                100,
                a(50),
                0,
                vec![(Partial, vec![1, 3], vec![2], vec![])],
            ),
        ];
        let runs = cases
            .into_iter()
            .flat_map(|(what, ranked, budget, caps, min, outcomes)| {
                outcomes
                    .into_iter()
                    .map(move |(rule, funded, waitlisted, partial)| {
                        (
                            what,
                            ranked.clone(),
                            budget,
                            caps.clone(),
                            rule,
                            min,
                            funded,
                            waitlisted,
                            partial,
                        )
                    })
            });
        for (what, ranked, budget, caps, rule, min, funded, waitlisted, partial) in runs {
            let r = funding_line(&ranked, Fen(budget), &caps, rule, Fen(min));
            let label = format!("{what} / {rule}");
            assert_eq!(r.funded, funded, "{label}: funded");
            assert_eq!(r.waitlisted, waitlisted, "{label}: waitlisted");
            let got: Vec<(i64, i64)> = r.partial.iter().map(|(id, f)| (*id, f.0)).collect();
            assert_eq!(got, partial, "{label}: partial");
            assert!(r.used.0 <= budget, "{label}: over budget");
            for (cat, cap) in &caps {
                let used = r
                    .category_used
                    .iter()
                    .find(|(c, _)| c == cat)
                    .map_or(0, |(_, f)| f.0);
                assert!(used <= cap.0, "{label}: category {cat} over its budget");
            }
        }
    }

    #[test]
    fn reviewer_stats_show_leniency_against_the_panel() {
        // Proposal 1: 80 (r1), 60 (r2) → panel 70. Proposal 2: 90 (r1), 70 (r2), 80 (r3) →
        // panel 80. Reviewer 1: mean 85, leniency ((80−70) + (90−80)) / 2 = +10.
        let reviews = vec![
            (1, review(1, 80)),
            (1, review(2, 60)),
            (2, review(1, 90)),
            (2, review(2, 70)),
            (2, review(3, 80)),
        ];
        let s = reviewer_stats(&reviews);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (
                s[0].reviewer_id,
                s[0].count,
                s[0].mean_tenths,
                s[0].spread_tenths
            ),
            (1, 2, 850, 100)
        );
        assert_eq!(s[0].leniency_tenths, 100);
        assert_eq!(s[1].leniency_tenths, -100);
        assert_eq!(s[2].leniency_tenths, 0);
        assert_eq!(s[2].spread_tenths, 0);
    }

    fn grade_strategy() -> impl Strategy<Value = Option<Grade>> {
        prop_oneof![
            Just(None),
            Just(Some(Grade::A1)),
            Just(Some(Grade::A2)),
            Just(Some(Grade::A3)),
            Just(Some(Grade::A4)),
            Just(Some(Grade::A5)),
        ]
    }

    /// Rank inputs with few distinct values, so that every tie-break gets exercised, and
    /// distinct ids.
    fn rank_inputs() -> impl Strategy<Value = Vec<RankInput>> {
        prop::collection::vec(
            (
                0i32..4,
                prop::option::of(0i32..3),
                grade_strategy(),
                0i64..3,
                0i64..3,
            ),
            0..40,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (f, tb, g, req, sub))| RankInput {
                    proposal_id: (i as i64 * 7919) % 1009,
                    final_tenths: 600 + f * 5,
                    tie_break_tenths: tb.map(|v| 200 + v * 5),
                    org_grade: g,
                    requested: Fen(req * 1_000_000),
                    submitted_at: t("2026-03-01 09:00") + chrono::Duration::minutes(sub),
                })
                .collect()
        })
    }

    /// The ranking written independently, as a sort key.
    type RefKey = (
        std::cmp::Reverse<i32>,
        std::cmp::Reverse<Option<i32>>,
        std::cmp::Reverse<u8>,
        Fen,
        NaiveDateTime,
        i64,
    );

    fn reference_key(r: &RankInput) -> RefKey {
        let grade = match r.org_grade {
            Some(Grade::A5) => 3,
            Some(Grade::A4) => 2,
            Some(Grade::A3) => 1,
            _ => 0,
        };
        (
            std::cmp::Reverse(r.final_tenths),
            std::cmp::Reverse(r.tie_break_tenths),
            std::cmp::Reverse(grade),
            r.requested,
            r.submitted_at,
            r.proposal_id,
        )
    }

    fn line_inputs() -> impl Strategy<Value = (Vec<LineInput>, i64, Vec<(String, Fen)>)> {
        let row = (
            any::<bool>(),
            0i64..100,
            0usize..3,
            prop_oneof![
                6 => Just(None),
                1 => Just(Some(LineOverride::ForcedIn)),
                1 => Just(Some(LineOverride::ForcedOut)),
            ],
        );
        (
            prop::collection::vec(row, 0..30),
            0i64..800,
            prop::collection::vec((0usize..3, 0i64..300), 0..3),
        )
            .prop_map(|(rows, budget, caps)| {
                let cats = ["a", "b", "c"];
                let items = rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, (fundable, amount, c, manual))| LineInput {
                        proposal_id: i as i64 + 1,
                        fundable,
                        amount: Fen(amount),
                        category: cats[c].to_string(),
                        manual,
                    })
                    .collect();
                let caps = caps
                    .into_iter()
                    .map(|(c, f)| (cats[c].to_string(), Fen(f)))
                    .collect();
                (items, budget, caps)
            })
    }

    fn is_subsequence(sub: &[i64], of: &[i64]) -> bool {
        let mut it = of.iter();
        sub.iter().all(|x| it.any(|y| y == x))
    }

    proptest! {
        #[test]
        fn ranking_is_a_total_order_independent_of_input_order(
            (items, shuffled) in rank_inputs().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
        ) {
            let mut a = items.clone();
            let mut b = shuffled;
            rank(&mut a);
            rank(&mut b);
            prop_assert_eq!(ids(&a), ids(&b));
            let mut reference = items.clone();
            reference.sort_by_key(reference_key);
            prop_assert_eq!(ids(&a), ids(&reference));
            for x in &items {
                for y in &items {
                    prop_assert_eq!(rank_cmp(x, y), rank_cmp(y, x).reverse());
                    prop_assert_eq!(rank_cmp(x, y) == Ordering::Equal, x.proposal_id == y.proposal_id);
                }
            }
        }

        #[test]
        fn the_line_never_exceeds_a_budget_and_keeps_every_fundable_proposal(
            (items, budget, caps) in line_inputs(),
            rule in prop_oneof![Just(FundingRule::SkipAhead), Just(FundingRule::Strict), Just(FundingRule::Partial)],
            min_partial in 0i64..50,
        ) {
            let r = funding_line(&items, Fen(budget), &caps, rule, Fen(min_partial));
            let partial: HashMap<i64, i64> = r.partial.iter().map(|(id, f)| (*id, f.0)).collect();
            let amount = |id: &i64| partial.get(id).copied().unwrap_or_else(|| items.iter().find(|p| p.proposal_id == *id).map_or(0, |p| p.amount.0));
            for (id, cut) in &r.partial {
                prop_assert_eq!(rule, FundingRule::Partial);
                prop_assert!(r.funded.contains(id));
                let own = items.iter().find(|p| p.proposal_id == *id).map_or(0, |p| p.amount.0);
                prop_assert!(cut.0 > 0 && cut.0 < own && cut.0 >= min_partial, "partial {} of {}", cut.0, own);
            }
            let total: i64 = r.funded.iter().map(amount).sum();
            prop_assert_eq!(total, r.used.0);
            prop_assert!(total <= budget);
            prop_assert_eq!(r.remaining.0, budget - total);
            for (cat, cap) in &caps {
                let in_cat: i64 = r.funded.iter()
                    .filter(|id| items.iter().any(|p| p.proposal_id == **id && &p.category == cat))
                    .map(amount)
                    .sum();
                prop_assert!(in_cat <= cap.0, "category {} over its cap", cat);
            }
            for p in &items {
                let funded = r.funded.contains(&p.proposal_id);
                let waiting = r.waitlisted.contains(&p.proposal_id);
                let out = r.not_fundable.contains(&p.proposal_id);
                prop_assert_eq!(u8::from(funded) + u8::from(waiting) + u8::from(out), 1);
                prop_assert_eq!(p.fundable, funded || waiting);
                if p.manual == Some(LineOverride::ForcedOut) {
                    prop_assert!(!funded);
                }
            }
            let order: Vec<i64> = items.iter().map(|p| p.proposal_id).collect();
            prop_assert!(is_subsequence(&r.funded, &order));
            prop_assert!(is_subsequence(&r.waitlisted, &order));
            prop_assert!(is_subsequence(&r.not_fundable, &order));
            // Nothing waitlisted without a reason: each waitlisted one was forced out, in
            // error, or would not have fitted next to what is funded.
            for id in &r.waitlisted {
                let Some(p) = items.iter().find(|p| p.proposal_id == *id) else { continue };
                if rule != FundingRule::SkipAhead || p.manual == Some(LineOverride::ForcedOut) {
                    continue;
                }
                let cap = caps.iter().filter(|(c, _)| *c == p.category).map(|(_, f)| f.0).min();
                let in_cat: i64 = r.funded.iter()
                    .filter(|id| items.iter().any(|q| q.proposal_id == **id && q.category == p.category))
                    .map(amount)
                    .sum();
                let fits_budget = total + p.amount.0 <= budget;
                let fits_cat = cap.is_none_or(|c| in_cat + p.amount.0 <= c);
                prop_assert!(!(fits_budget && fits_cat), "{} waitlisted but fits", id);
            }
        }

        #[test]
        fn aggregation_does_not_depend_on_review_order(
            rows in prop::collection::vec((0i64..6, 0i64..5, prop::collection::vec(0i32..=20, 6)), 1..40),
            seed in any::<u64>(),
        ) {
            let maxes = [20, 25, 20, 15, 10, 10];
            let mut seen = HashSet::new();
            let reviews: Vec<(i64, ReviewScores)> = rows
                .into_iter()
                .filter(|(p, r, _)| seen.insert((*p, *r)))
                .map(|(p, r, halves)| {
                    let per_criterion = halves.iter().zip(maxes).map(|(h, m)| (h * 5).min(m * 10)).collect();
                    (p, ReviewScores { reviewer_id: r, per_criterion })
                })
                .collect();
            let mut rules = rules();
            rules.aggregation = Aggregation::ZScore;
            let a = aggregate_round(&rules, &reviews).unwrap();
            let mut shuffled = reviews.clone();
            // Deterministic Fisher–Yates from the seed.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let b = aggregate_round(&rules, &shuffled).unwrap();
            prop_assert_eq!(&a, &b);
            for p in &a {
                prop_assert!((0..=1000).contains(&p.final_tenths));
                let totals: Vec<i32> = reviews.iter().filter(|(id, _)| *id == p.proposal_id).map(|(_, r)| r.total()).collect();
                let (lo, hi) = (*totals.iter().min().unwrap(), *totals.iter().max().unwrap());
                prop_assert!(lo <= p.mean_tenths && p.mean_tenths <= hi);
                prop_assert!(lo <= p.trimmed_mean_tenths && p.trimmed_mean_tenths <= hi);
            }
        }

        #[test]
        fn typed_scores_round_trip(v in 0i32..=2000) {
            let tenths = v * 5;
            let typed = if tenths % 10 == 0 { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) };
            prop_assert_eq!(parse_tenths(&typed), Ok(tenths));
            prop_assert_eq!(parse_score(&typed, 200, 5).is_ok(), tenths <= 2000);
        }
    }
}
