//! A synthetic round of 20,000 proposals × 5 reviews: aggregation, ranking and the funding
//! line together, as the decision page computes them.
//!
//! `cargo bench --bench ranking`

use std::hint::black_box;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use criterion::{criterion_group, criterion_main, Criterion};
use yichuang::domain::money::Fen;
use yichuang::domain::org::Grade;
use yichuang::domain::review::{
    aggregate_round, funding_line, is_fundable, rank, LineInput, LineOverride, ProposalScore,
    RankInput, ReviewScores,
};
use yichuang::domain::round::RoundRules;

const PROPOSALS: i64 = 20_000;
const REVIEWS_PER_PROPOSAL: i64 = 5;
const REVIEWERS: i64 = 400;

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic data
/// without the `rand` crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Round {
    rules: RoundRules,
    reviews: Vec<(i64, ReviewScores)>,
    grades: Vec<Option<Grade>>,
    requested: Vec<Fen>,
    categories: Vec<String>,
    budget: Fen,
    category_budgets: Vec<(String, Fen)>,
}

fn synthetic_round() -> Round {
    let rules = RoundRules::default();
    let mut rng = Lcg(20_261_123);
    let mut reviews = Vec::with_capacity((PROPOSALS * REVIEWS_PER_PROPOSAL) as usize);
    for p in 0..PROPOSALS {
        // Five distinct reviewers: a random start, then steps of REVIEWERS / 5.
        let base = rng.below(REVIEWERS as u64) as i64;
        // A proposal's quality, shared by its reviewers, plus each reviewer's noise.
        let quality = 40 + rng.below(55) as i32;
        for k in 0..REVIEWS_PER_PROPOSAL {
            let reviewer_id = (base + k * (REVIEWERS / REVIEWS_PER_PROPOSAL)) % REVIEWERS;
            let per_criterion = rules
                .review_criteria
                .iter()
                .map(|c| {
                    let max_halves = c.max_points * 2;
                    let target = max_halves * quality / 100 + rng.below(5) as i32 - 2;
                    target.clamp(0, max_halves) * 5
                })
                .collect();
            reviews.push((
                p,
                ReviewScores {
                    reviewer_id,
                    per_criterion,
                },
            ));
        }
    }
    let grades = (0..PROPOSALS)
        .map(|_| match rng.below(8) {
            0 => Some(Grade::A5),
            1 => Some(Grade::A4),
            2 => Some(Grade::A3),
            3 => Some(Grade::A2),
            4 => Some(Grade::A1),
            _ => None,
        })
        .collect();
    let requested: Vec<Fen> = (0..PROPOSALS)
        .map(|_| Fen::from_yuan(10_000 + 1_000 * rng.below(91) as i64))
        .collect();
    let categories = (0..PROPOSALS)
        .map(|_| rules.categories[rng.below(rules.categories.len() as u64) as usize].clone())
        .collect();
    let total: i64 = requested.iter().map(|f| f.0).sum();
    let category_budgets = rules
        .categories
        .iter()
        .take(2)
        .map(|c| (c.clone(), Fen(total / 20)))
        .collect();
    Round {
        rules,
        reviews,
        grades,
        requested,
        categories,
        budget: Fen(total / 4),
        category_budgets,
    }
}

fn submitted(p: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
        + chrono::Duration::seconds(p * 37 % 86_400)
}

/// What the decision page does: aggregate, rank, draw the line. Returns the funded count.
fn decide(r: &Round) -> usize {
    let scores: Vec<ProposalScore> =
        aggregate_round(&r.rules, &r.reviews).expect("synthetic reviews are valid");
    let mut ranked: Vec<RankInput> = scores
        .iter()
        .map(|s| {
            let i = s.proposal_id as usize;
            RankInput {
                proposal_id: s.proposal_id,
                final_tenths: s.final_tenths,
                tie_break_tenths: s.tie_break_tenths,
                org_grade: r.grades[i],
                requested: r.requested[i],
                submitted_at: submitted(s.proposal_id),
            }
        })
        .collect();
    rank(&mut ranked);
    let line: Vec<LineInput> = ranked
        .iter()
        .map(|x| {
            let i = x.proposal_id as usize;
            LineInput {
                proposal_id: x.proposal_id,
                fundable: is_fundable(x.final_tenths, r.rules.fundable_threshold),
                amount: x.requested,
                category: r.categories[i].clone(),
                manual: (x.proposal_id % 997 == 0).then_some(LineOverride::ForcedOut),
            }
        })
        .collect();
    funding_line(
        &line,
        r.budget,
        &r.category_budgets,
        r.rules.funding_rule,
        Fen::ZERO,
    )
    .funded
    .len()
}

fn bench_decision(c: &mut Criterion) {
    let round = synthetic_round();
    let funded = decide(&round);
    assert!(funded > 0 && funded < PROPOSALS as usize, "funded {funded}");
    c.bench_function("aggregate_rank_line_20000x5", |b| {
        b.iter(|| decide(black_box(&round)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = bench_decision
}
criterion_main!(benches);
