//! The read side on generated in-memory data, at city and province size: the decision view
//! computed from a round's loaded facts (what the first reader after a change pays), the
//! page cut from a kept ranking (what every other reader pays), and the dashboard's figures
//! of a page of projects and of every project.
//!
//! `cargo bench --bench read_side`

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use yichuang::db::reviews::RankFacts;
use yichuang::domain::money::Fen;
use yichuang::domain::proposal::{BudgetCategory, BudgetLine, FundingSource};
use yichuang::domain::report::{project_figures, GroupCount, ReportContent, SpendLine};
use yichuang::domain::round::{RoundRules, RoundStatus};
use yichuang::queries::decision::{rank, RankingInput, Rows};

/// City: one round of 2,000 proposals; province: the largest seeded round, ×10.
const SIZES: [(&str, i64); 2] = [("city", 2_000), ("province", 20_000)];
const REVIEWS_PER_PROPOSAL: i64 = 5;
/// Projects a dashboard adds up: a city's and a province's.
const PROJECTS: [(&str, usize); 2] = [("city", 400), ("province", 8_000)];

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

fn at(p: i64) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|t| t + chrono::Duration::seconds(p * 37 % 86_400))
}

/// A round in deciding with `proposals` proposals, each reviewed by five of 400 experts.
fn round_input(proposals: i64) -> RankingInput {
    let rules = RoundRules::default();
    let mut rng = Lcg(20_261_130);
    let reviewers = 400;
    let facts: Vec<RankFacts> = (1..=proposals)
        .map(|id| RankFacts {
            id,
            number: Some(format!("GS2027-{id:05}")),
            title: format!("社区服务项目 {id}"),
            category: rules.categories[rng.below(rules.categories.len() as u64) as usize].clone(),
            requested_fen: Fen::from_yuan(10_000 + 1_000 * rng.below(91) as i64).0,
            submitted_at: at(id),
            org_name: format!("姑苏区社会组织 {}", id % 5_000),
            org_grade: (rng.below(3) == 0).then(|| "4A".to_string()),
            renewal_of: None,
            renewal_track: None,
        })
        .collect();
    let mut reviews = Vec::with_capacity((proposals * REVIEWS_PER_PROPOSAL) as usize);
    for p in 1..=proposals {
        let base = rng.below(reviewers);
        let quality = 40 + rng.below(55) as i32;
        for k in 0..REVIEWS_PER_PROPOSAL as u64 {
            let reviewer = 1 + ((base + k * (reviewers / 5)) % reviewers) as i64;
            let scores = rules
                .review_criteria
                .iter()
                .map(|c| {
                    let halves = c.max_points * 2;
                    let target = halves * quality / 100 + rng.below(5) as i32 - 2;
                    Some(target.clamp(0, halves) * 5)
                })
                .collect();
            reviews.push((p, reviewer, scores));
        }
    }
    let total: i64 = facts.iter().map(|f| f.requested_fen).sum();
    RankingInput {
        status: RoundStatus::Deciding,
        total_budget_fen: total / 4,
        min_grant_fen: 0,
        facts,
        reviews,
        entries: Vec::new(),
        category_budgets: Vec::new(),
        finals: HashMap::new(),
        reviewer_names: (1..=reviewers as i64)
            .map(|i| (i, format!("专家{i}")))
            .collect(),
        rules,
    }
}

fn bench_decision(c: &mut Criterion) {
    let page = Rows::Page {
        page: None,
        per_page: 50,
    };
    let mut group = c.benchmark_group("decision_view");
    for (size, proposals) in SIZES {
        let input = round_input(proposals);
        let kept = rank(input.clone()).expect("the generated round ranks");
        let view = kept.view(page);
        assert_eq!(view.total_rows, proposals as usize);
        assert!(view.used_fen > 0 && !view.rows.is_empty());
        group.bench_with_input(BenchmarkId::new("computed", size), &input, |b, input| {
            b.iter(|| rank(black_box(input.clone())).map(|r| r.view(page)))
        });
        group.bench_with_input(BenchmarkId::new("from_kept", size), &kept, |b, kept| {
            b.iter(|| black_box(kept).view(page))
        });
    }
    group.finish();
}

/// One project's plan and latest report: 6 budget lines, 4 groups served, two milestones.
struct Project {
    budget: Vec<BudgetLine>,
    latest: ReportContent,
    milestones: Vec<(NaiveDate, bool)>,
    paid: Fen,
}

fn projects(n: usize) -> Vec<Project> {
    let mut rng = Lcg(8_000);
    let day = |m: u32| NaiveDate::from_ymd_opt(2027, m, 1).unwrap_or_default();
    (0..n)
        .map(|_| {
            let budget: Vec<BudgetLine> = (0..6)
                .map(|i| BudgetLine {
                    category: [
                        BudgetCategory::Personnel,
                        BudgetCategory::Activity,
                        BudgetCategory::Admin,
                    ][i % 3],
                    item: format!("预算科目 {i}"),
                    amount: Fen::from_yuan(5_000 + 1_000 * rng.below(10) as i64),
                    source: if i < 4 {
                        FundingSource::Grant
                    } else {
                        FundingSource::SelfFunded
                    },
                })
                .collect();
            let latest = ReportContent {
                activities: rng.below(40) as i64,
                beneficiaries: ["elderly", "youth", "disabled", "needy"]
                    .iter()
                    .map(|g| GroupCount {
                        group: g.to_string(),
                        unique_people: rng.below(300) as i64,
                        person_times: rng.below(3_000) as i64,
                    })
                    .collect(),
                volunteer_times: rng.below(200) as i64,
                volunteer_hours: rng.below(800) as i64,
                spending: (0..6)
                    .map(|line| SpendLine {
                        line,
                        spent: Fen::from_yuan(rng.below(6_000) as i64),
                        over_reason: String::new(),
                    })
                    .collect(),
                narrative: String::new(),
                target_values: Vec::new(),
            };
            Project {
                budget,
                latest,
                milestones: vec![(day(3), true), (day(9), rng.below(2) == 0)],
                paid: Fen::from_yuan(20_000),
            }
        })
        .collect()
}

/// The dashboard's figures of `ps` and their totals (what storing every project's figures
/// or an export computes; a page computes 50).
fn figures(ps: &[Project], today: NaiveDate) -> (i64, usize) {
    let mut people = 0;
    let mut at_risk = 0;
    for p in ps {
        let f = project_figures(&p.budget, Some(&p.latest), &p.milestones, p.paid, today);
        people += f.unique_people;
        at_risk += usize::from(f.at_risk());
    }
    (people, at_risk)
}

fn bench_dashboard(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap_or_default();
    let mut group = c.benchmark_group("dashboard_figures");
    for (size, n) in PROJECTS {
        let ps = projects(n);
        assert!(figures(&ps, today).0 > 0);
        group.bench_with_input(BenchmarkId::new("page_of_50", size), &ps, |b, ps| {
            b.iter(|| figures(black_box(&ps[..50]), today))
        });
        group.bench_with_input(BenchmarkId::new("every_project", size), &ps, |b, ps| {
            b.iter(|| figures(black_box(ps), today))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench_decision, bench_dashboard
}
criterion_main!(benches);
