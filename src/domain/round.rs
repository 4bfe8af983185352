//! Funding rounds (资助批次): their settings, with the defaults of DESIGN §2.1, and the
//! validation that a round must pass before it opens.

use chrono::{NaiveDate, NaiveDateTime};

use super::limits;
use super::money::Fen;
use super::org::RegType;
pub use super::review::FundingRule;
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// The life of a round (DESIGN §2).
    RoundStatus {
        Draft = "draft",
        Open = "open",
        Screening = "screening",
        Reviewing = "reviewing",
        Deciding = "deciding",
        Notice = "notice",
        Awarded = "awarded",
        Closed = "closed",
    }
);
impl RoundStatus {
    /// Submitted proposals may be screened now.
    pub fn screening(self) -> bool {
        matches!(self, RoundStatus::Open | RoundStatus::Screening)
    }
    /// The award is done: nothing can be withdrawn any more.
    pub fn past_award(self) -> bool {
        matches!(self, RoundStatus::Awarded | RoundStatus::Closed)
    }
}

str_enum!(
    /// How reviewers' totals become a proposal's score.
    Aggregation { TrimmedMean = "trimmed_mean", Mean = "mean", ZScore = "z_score" }
);
str_enum!(
    /// When a tranche of the grant may be paid.
    TrancheCondition { OnSigning = "on_signing", AfterMidterm = "after_midterm", AfterFinal = "after_final" }
);

/// A scoring criterion and its maximum points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Criterion {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub max_points: i32,
}

/// A grade band: totals at or above `min_score` get `name` (bands are checked top down).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct GradeBand {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub min_score: i32,
    /// The grade passes the evaluation.
    #[serde(default)]
    pub pass: bool,
    /// The grade passes only after rectification (基本合格).
    #[serde(default)]
    pub rectify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TrancheRule {
    /// Share of the grant in basis points (50% = 5000).
    #[serde(default)]
    pub share_bp: i64,
    pub condition: TrancheCondition,
}

/// Everything about a round that is a rule rather than a name or a date. Stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RoundRules {
    /// Service categories a proposal chooses from.
    pub categories: Vec<String>,
    /// The largest share of a project's total budget the grant may cover (80% = 8000).
    pub max_grant_share_bp: i64,
    /// Personnel costs (人员费用) at most this share of the grant.
    pub personnel_max_bp: i64,
    /// Administrative costs (管理费) at most this share of the grant.
    pub admin_max_bp: i64,
    /// Registration types that may apply (a filed community group applies through a
    /// registered sponsor).
    pub allowed_reg_types: Vec<RegType>,
    /// Registered at least this many months before the round closes.
    pub min_registered_months: i32,
    /// Annual inspections qualified for this many most recent years.
    pub inspection_years: i32,
    pub max_proposals_per_org: i32,
    /// Organizations funded in the bureau's previous round may not apply.
    pub exclude_previous_winners: bool,
    pub review_criteria: Vec<Criterion>,
    pub reviewers_per_proposal: i32,
    pub aggregation: Aggregation,
    /// Fundable at or above this final score.
    pub fundable_threshold: i32,
    /// A review spread (max − min) above this is flagged for panel discussion.
    pub divergence_gap: i32,
    /// Criterion whose average breaks ties first; none: straight to the org's grade.
    pub tie_break: Option<String>,
    pub evaluation_criteria: Vec<Criterion>,
    pub grade_bands: Vec<GradeBand>,
    pub tranches: Vec<TrancheRule>,
    /// Public notice (公示) length in working days.
    pub notice_working_days: i32,
    pub project_months: i32,
    /// A failed final evaluation bars the organization from the bureau's rounds for this
    /// many months.
    #[serde(default = "default_fail_bar_months")]
    pub fail_bar_months: i32,
    /// What a milestone report filed after its due date does to the evaluation that covers
    /// it (none, a deduction, or 不合格 after a grace period).
    #[serde(default)]
    pub late_materials: LateMaterials,
    /// The step of a reviewer's criterion scores, in tenths (0.5 point = 5).
    #[serde(default = "default_review_score_step")]
    pub review_score_step: i32,
    /// The step of an evaluator's indicator scores, in tenths (0.1 point = 1).
    #[serde(default = "default_evaluation_score_step")]
    pub evaluation_score_step: i32,
    /// What the funding line does with the first proposal that does not fit what is left
    /// (stored rounds without it: skip-ahead, the line as it always was).
    #[serde(default)]
    pub funding_rule: FundingRule,
    /// Supplementary notice (补充公示) of proposals brought onto the list from the waitlist,
    /// in working days; 0: none (the award waits only for the main notice).
    #[serde(default)]
    pub supplementary_notice_days: i32,
    /// Change requests (项目变更): which kinds need approval, the extension limits, the
    /// share of a budget line that may move without approval.
    #[serde(default)]
    pub changes: super::change::ChangeRules,
    /// Performance targets (绩效目标): the indicator tree and weights, whether proposals
    /// must declare targets, the achievement bands and the weight of achievement in the
    /// evaluation's total.
    #[serde(default)]
    pub targets: super::target::TargetRules,
    /// The evaluator's call-back sample (抽样回访): its size, the confirmed-rate threshold
    /// that flags an evaluation, and the satisfaction scale.
    #[serde(default)]
    pub sampling: super::sample::SampleRules,
    /// Beneficiary rosters (服务对象名册): required with milestone reports or not, which
    /// identity number is collected, how long they are kept after the project ends.
    #[serde(default)]
    pub roster: super::roster::RosterRules,
}

fn default_fail_bar_months() -> i32 {
    12
}

fn default_review_score_step() -> i32 {
    5
}

fn default_evaluation_score_step() -> i32 {
    1
}

/// The score steps a round may choose, in tenths: 0.1, 0.5 and 1 point.
pub const SCORE_STEPS: [i32; 3] = [1, 5, 10];

str_enum!(
    /// What a late milestone report does to the evaluation that covers it.
    LateEffect {
        /// Nothing: lateness is only shown.
        NoEffect = "none",
        /// `deduct_tenths` off the total for every late report.
        Deduct = "deduct",
        /// The evaluation is graded in the lowest band (不合格, Ningbo Haishu practice).
        Fail = "fail",
    }
);

/// The round's rule on late materials (材料逾期). A report counts as late when it was filed
/// (or, still unfiled, is) more than `grace_days` Beijing calendar days after its due date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LateMaterials {
    pub effect: LateEffect,
    /// Points (tenths) deducted per late report with `deduct`.
    pub deduct_tenths: i32,
    /// Days after the due date a report may still be filed without counting as late.
    pub grace_days: i32,
}

impl Default for LateMaterials {
    fn default() -> Self {
        LateMaterials {
            effect: LateEffect::Fail,
            deduct_tenths: 50,
            grace_days: 0,
        }
    }
}

fn criteria(items: &[(&str, i32)]) -> Vec<Criterion> {
    items
        .iter()
        .map(|(n, p)| Criterion {
            name: n.to_string(),
            max_points: *p,
        })
        .collect()
}

impl Default for RoundRules {
    fn default() -> Self {
        RoundRules {
            categories: [
                "为老服务",
                "助残服务",
                "青少年服务",
                "困境儿童",
                "社区治理",
                "困难群体帮扶",
                "环境保护",
                "其他",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            max_grant_share_bp: 8000,
            personnel_max_bp: 3000,
            admin_max_bp: 1000,
            allowed_reg_types: vec![
                RegType::SocialGroup,
                RegType::SocialService,
                RegType::Foundation,
            ],
            min_registered_months: 12,
            inspection_years: 2,
            max_proposals_per_org: 2,
            exclude_previous_winners: false,
            review_criteria: criteria(&[
                ("需求分析", 20),
                ("项目设计", 25),
                ("执行能力", 20),
                ("预算合理性", 15),
                ("创新性", 10),
                ("可持续性", 10),
            ]),
            reviewers_per_proposal: 5,
            aggregation: Aggregation::TrimmedMean,
            fundable_threshold: 60,
            divergence_gap: 20,
            tie_break: Some("项目设计".to_string()),
            evaluation_criteria: criteria(&[
                ("项目管理", 15),
                ("服务成效", 35),
                ("财务管理", 20),
                ("社会影响与满意度", 20),
                ("创新与可持续", 10),
            ]),
            grade_bands: vec![
                GradeBand {
                    name: "优秀".into(),
                    min_score: 90,
                    pass: true,
                    rectify: false,
                },
                GradeBand {
                    name: "良好".into(),
                    min_score: 80,
                    pass: true,
                    rectify: false,
                },
                GradeBand {
                    name: "合格".into(),
                    min_score: 60,
                    pass: true,
                    rectify: false,
                },
                GradeBand {
                    name: "不合格".into(),
                    min_score: 0,
                    pass: false,
                    rectify: false,
                },
            ],
            tranches: vec![
                TrancheRule {
                    share_bp: 5000,
                    condition: TrancheCondition::OnSigning,
                },
                TrancheRule {
                    share_bp: 3000,
                    condition: TrancheCondition::AfterMidterm,
                },
                TrancheRule {
                    share_bp: 2000,
                    condition: TrancheCondition::AfterFinal,
                },
            ],
            notice_working_days: 7,
            project_months: 12,
            fail_bar_months: default_fail_bar_months(),
            late_materials: LateMaterials::default(),
            review_score_step: default_review_score_step(),
            evaluation_score_step: default_evaluation_score_step(),
            funding_rule: FundingRule::default(),
            supplementary_notice_days: 0,
            changes: super::change::ChangeRules::default(),
            targets: super::target::TargetRules::default(),
            sampling: super::sample::SampleRules::default(),
            roster: super::roster::RosterRules::default(),
        }
    }
}

/// The named parts of a round: money, dates and text (the rest is in [`RoundRules`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundCore {
    pub title: String,
    pub year: i32,
    pub description: String,
    pub total_budget: Fen,
    pub min_grant: Fen,
    pub max_grant: Fen,
    /// UTC.
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub review_due: Option<NaiveDateTime>,
}

impl RoundCore {
    /// The date the eligibility rules are read on: the Beijing calendar date of the deadline
    /// (a round closing 2027-01-01 07:30 Beijing, 2026-12-31 23:30 UTC, is read on
    /// 2027-01-01).
    pub fn deadline_date(&self) -> Option<NaiveDate> {
        deadline_date(self.closes_at)
    }
}

/// The Beijing calendar date of a round's deadline `closes_at` (UTC), if it has one.
pub fn deadline_date(closes_at: Option<NaiveDateTime>) -> Option<NaiveDate> {
    closes_at.map(super::calendar::beijing_date)
}

fn sum_points(c: &[Criterion]) -> i32 {
    c.iter().map(|c| c.max_points).sum()
}

/// Checks that the rules make sense on their own; problems are keyed by form field.
pub fn check_rules(r: &RoundRules, e: &mut FieldErrors) {
    super::change::check_rules(&r.changes, e);
    super::target::check_rules(&r.targets, e);
    super::sample::check_rules(&r.sampling, e);
    super::roster::check_rules(&r.roster, e);
    if r.categories.is_empty() {
        e.add("categories", Msg::new("field.required"));
    }
    let mut seen = std::collections::HashSet::new();
    if r.categories.iter().any(|c| !seen.insert(c.as_str())) {
        e.add("categories", Msg::new("field.round_duplicate_line"));
    }
    if !(1..=10_000).contains(&r.max_grant_share_bp) {
        e.add("max_grant_share", Msg::new("field.percent_range"));
    }
    for (field, bp) in [
        ("personnel_max", r.personnel_max_bp),
        ("admin_max", r.admin_max_bp),
    ] {
        if !(0..=10_000).contains(&bp) {
            e.add(field, Msg::new("field.percent_range"));
        }
    }
    if r.allowed_reg_types.is_empty() {
        e.add("allowed_reg_types", Msg::new("field.required"));
    }
    if !(0..=240).contains(&r.min_registered_months) {
        e.add(
            "min_registered_months",
            Msg::new("field.number_range").arg("min", 0).arg("max", 240),
        );
    }
    if !(0..=5).contains(&r.inspection_years) {
        e.add(
            "inspection_years",
            Msg::new("field.number_range").arg("min", 0).arg("max", 5),
        );
    }
    if !(1..=20).contains(&r.max_proposals_per_org) {
        e.add(
            "max_proposals_per_org",
            Msg::new("field.number_range").arg("min", 1).arg("max", 20),
        );
    }
    for (field, list) in [
        ("review_criteria", &r.review_criteria),
        ("evaluation_criteria", &r.evaluation_criteria),
    ] {
        if list.is_empty() {
            e.add(field, Msg::new("field.required"));
        } else if list.iter().any(|c| c.max_points <= 0) {
            e.add(field, Msg::new("field.criterion_points"));
        } else if sum_points(list) != 100 {
            e.add(
                field,
                Msg::new("field.criteria_sum").arg("sum", sum_points(list)),
            );
        }
        let mut names = std::collections::HashSet::new();
        if list.iter().any(|c| !names.insert(c.name.as_str())) {
            e.add(field, Msg::new("field.round_duplicate_line"));
        }
    }
    if !(1..=15).contains(&r.reviewers_per_proposal) {
        e.add(
            "reviewers_per_proposal",
            Msg::new("field.number_range").arg("min", 1).arg("max", 15),
        );
    }
    if !(0..=100).contains(&r.fundable_threshold) {
        e.add(
            "fundable_threshold",
            Msg::new("field.number_range").arg("min", 0).arg("max", 100),
        );
    }
    if !(1..=100).contains(&r.divergence_gap) {
        e.add(
            "divergence_gap",
            Msg::new("field.number_range").arg("min", 1).arg("max", 100),
        );
    }
    if let Some(t) = &r.tie_break {
        if !r.review_criteria.iter().any(|c| &c.name == t) {
            e.add("tie_break", Msg::new("field.tie_break_unknown"));
        }
    }
    check_bands(&r.grade_bands, e);
    if r.tranches.is_empty() {
        e.add("tranches", Msg::new("field.required"));
    } else if r.tranches.iter().any(|t| t.share_bp <= 0) {
        e.add("tranches", Msg::new("field.tranche_share"));
    } else if r.tranches.iter().map(|t| t.share_bp).sum::<i64>() != 10_000 {
        e.add("tranches", Msg::new("field.tranches_sum"));
    }
    if !(1..=30).contains(&r.notice_working_days) {
        e.add(
            "notice_working_days",
            Msg::new("field.number_range").arg("min", 1).arg("max", 30),
        );
    }
    if !(1..=60).contains(&r.project_months) {
        e.add(
            "project_months",
            Msg::new("field.number_range").arg("min", 1).arg("max", 60),
        );
    }
    if !(0..=60).contains(&r.fail_bar_months) {
        e.add(
            "fail_bar_months",
            Msg::new("field.number_range").arg("min", 0).arg("max", 60),
        );
    }
    for (field, step) in [
        ("review_score_step", r.review_score_step),
        ("evaluation_score_step", r.evaluation_score_step),
    ] {
        if !SCORE_STEPS.contains(&step) {
            e.add(field, Msg::new("field.score_step_choice"));
        }
    }
    if !(0..=1000).contains(&r.late_materials.deduct_tenths) {
        e.add(
            "late_deduct",
            Msg::new("field.number_range").arg("min", 0).arg("max", 100),
        );
    }
    if !(0..=90).contains(&r.late_materials.grace_days) {
        e.add(
            "late_grace_days",
            Msg::new("field.number_range").arg("min", 0).arg("max", 90),
        );
    }
    if !(0..=SUPPLEMENTARY_NOTICE_MAX_DAYS).contains(&r.supplementary_notice_days) {
        e.add(
            "supplementary_notice_days",
            Msg::new("field.number_range")
                .arg("min", 0)
                .arg("max", SUPPLEMENTARY_NOTICE_MAX_DAYS),
        );
    }
}

/// The longest supplementary notice a round may set, in working days.
pub const SUPPLEMENTARY_NOTICE_MAX_DAYS: i32 = 15;

fn check_bands(bands: &[GradeBand], e: &mut FieldErrors) {
    if bands.len() < 2 {
        e.add("grade_bands", Msg::new("field.bands_two"));
        return;
    }
    let descending = bands.windows(2).all(|w| w[0].min_score > w[1].min_score);
    if !descending {
        e.add("grade_bands", Msg::new("field.bands_order"));
    } else if bands.last().map(|b| b.min_score) != Some(0) {
        e.add("grade_bands", Msg::new("field.bands_floor"));
    } else if bands.iter().any(|b| b.min_score > 100) {
        e.add(
            "grade_bands",
            Msg::new("field.number_range").arg("min", 0).arg("max", 100),
        );
    } else if bands.first().is_some_and(|b| !b.pass) || bands.last().is_some_and(|b| b.pass) {
        e.add("grade_bands", Msg::new("field.bands_pass"));
    }
}

/// The money bounds every save of a round checks, draft or not: the total budget and the
/// per-project minimum and maximum grant are each an amount a person may give
/// (`0..=MAX_FEN`). How they relate (min ≤ max ≤ budget) waits for publishing: a draft may be
/// incomplete.
pub fn check_money(c: &RoundCore, e: &mut FieldErrors) {
    for (field, v) in [
        ("total_budget", c.total_budget),
        ("min_grant", c.min_grant),
        ("max_grant", c.max_grant),
    ] {
        super::money::check_field(e, field, v);
    }
}

/// Checks the named parts; `now` decides whether dates are in the past.
pub fn check_core(c: &RoundCore, e: &mut FieldErrors) {
    if c.title.trim().is_empty() {
        e.add("title", Msg::new("field.required"));
    } else {
        limits::check(e, "title", &c.title, limits::TITLE);
    }
    if !(2000..=2100).contains(&c.year) {
        e.add("year", Msg::new("field.year_invalid"));
    }
    limits::check(e, "description", &c.description, limits::LONG_TEXT);
    check_money(c, e);
    if c.min_grant > c.max_grant {
        e.add("min_grant", Msg::new("field.min_over_max"));
    }
    if c.max_grant > c.total_budget {
        e.add("max_grant", Msg::new("field.max_over_budget"));
    }
    if let (Some(o), Some(cl)) = (c.opens_at, c.closes_at) {
        if cl <= o {
            e.add("closes_at", Msg::new("field.closes_before_opens"));
        }
    }
    if let (Some(cl), Some(r)) = (c.closes_at, c.review_due) {
        if r <= cl {
            e.add("review_due", Msg::new("field.review_before_close"));
        }
    }
}

/// Everything a round needs before it can open, on top of [`check_core`] and [`check_rules`].
pub fn check_publishable(c: &RoundCore, now: NaiveDateTime, e: &mut FieldErrors) {
    if c.description.trim().is_empty() {
        e.add("description", Msg::new("field.required"));
    }
    for (field, v) in [("total_budget", c.total_budget), ("max_grant", c.max_grant)] {
        if v.0 <= 0 && !e.has(field) {
            e.add(field, Msg::new("field.required"));
        }
    }
    for (field, v) in [
        ("opens_at", c.opens_at),
        ("closes_at", c.closes_at),
        ("review_due", c.review_due),
    ] {
        if v.is_none() && !e.has(field) {
            e.add(field, Msg::new("field.required"));
        }
    }
    if let Some(cl) = c.closes_at {
        if cl <= now && !e.has("closes_at") {
            e.add("closes_at", Msg::new("field.date_past"));
        }
    }
}

/// Whether an organization registered on `registered_on` has been registered for `months`
/// full months by `at`.
pub fn registered_long_enough(registered_on: NaiveDate, at: NaiveDate, months: i32) -> bool {
    registered_on
        .checked_add_months(chrono::Months::new(months.max(0) as u32))
        .is_some_and(|d| d <= at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> RoundCore {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        RoundCore {
            title: "2027年姑苏区公益创投大赛".into(),
            year: 2027,
            description: "申报指南".into(),
            total_budget: Fen::from_yuan(1_000_000),
            min_grant: Fen::from_yuan(10_000),
            max_grant: Fen::from_yuan(100_000),
            opens_at: Some(t("2027-01-01 01:00")),
            closes_at: Some(t("2027-02-01 09:00")),
            review_due: Some(t("2027-03-01 09:00")),
        }
    }

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-23 10:00", "%Y-%m-%d %H:%M").unwrap()
    }

    fn errors(f: impl FnOnce(&mut FieldErrors)) -> Vec<String> {
        let mut e = FieldErrors::new();
        f(&mut e);
        e.0.into_iter()
            .map(|x| format!("{}:{}", x.field, x.msg.key))
            .collect()
    }

    #[test]
    fn score_steps_and_the_late_materials_rule_are_checked() {
        // (review step, evaluation step, deduct tenths, grace days) → fields refused
        let table: &[(i32, i32, i32, i32, &[&str])] = &[
            (5, 1, 50, 0, &[]),
            (1, 10, 0, 90, &[]),
            (10, 5, 1000, 3, &[]),
            (2, 1, 50, 0, &["review_score_step:field.score_step_choice"]),
            (
                5,
                0,
                50,
                0,
                &["evaluation_score_step:field.score_step_choice"],
            ),
            (5, 1, -1, 0, &["late_deduct:field.number_range"]),
            (5, 1, 1001, 0, &["late_deduct:field.number_range"]),
            (5, 1, 50, -1, &["late_grace_days:field.number_range"]),
            (5, 1, 50, 91, &["late_grace_days:field.number_range"]),
        ];
        for (review, evaluation, deduct, grace, want) in table {
            let r = RoundRules {
                review_score_step: *review,
                evaluation_score_step: *evaluation,
                late_materials: LateMaterials {
                    effect: LateEffect::Deduct,
                    deduct_tenths: *deduct,
                    grace_days: *grace,
                },
                ..RoundRules::default()
            };
            assert_eq!(
                errors(|e| check_rules(&r, e)),
                *want,
                "{review} {evaluation} {deduct} {grace}"
            );
        }
        // Stored rounds of before these settings read with the defaults.
        let old: RoundRules = serde_json::from_str("{\"fail_bar_months\": 6}").unwrap();
        assert_eq!(
            (
                old.review_score_step,
                old.evaluation_score_step,
                old.late_materials.clone()
            ),
            (5, 1, LateMaterials::default())
        );
        assert_eq!(old.late_materials.effect, LateEffect::Fail);
    }

    #[test]
    fn the_defaults_are_a_valid_round() {
        let r = RoundRules::default();
        assert_eq!(sum_points(&r.review_criteria), 100);
        assert_eq!(sum_points(&r.evaluation_criteria), 100);
        assert!(errors(|e| check_rules(&r, e)).is_empty());
        assert!(errors(|e| {
            check_core(&core(), e);
            check_publishable(&core(), now(), e)
        })
        .is_empty());
    }

    #[test]
    fn rubric_and_tranches_must_add_up() {
        let mut r = RoundRules::default();
        r.review_criteria[0].max_points = 25;
        r.tranches[2].share_bp = 1000;
        r.tie_break = Some("不存在".into());
        let e = errors(|e| check_rules(&r, e));
        assert!(
            e.contains(&"review_criteria:field.criteria_sum".to_string()),
            "{e:?}"
        );
        assert!(
            e.contains(&"tranches:field.tranches_sum".to_string()),
            "{e:?}"
        );
        assert!(
            e.contains(&"tie_break:field.tie_break_unknown".to_string()),
            "{e:?}"
        );
    }

    #[test]
    fn grade_bands_must_descend_to_zero_and_pass_at_the_top() {
        let mut r = RoundRules::default();
        r.grade_bands.swap(0, 1);
        assert_eq!(
            errors(|e| check_rules(&r, e)),
            vec!["grade_bands:field.bands_order"]
        );
        let mut r = RoundRules::default();
        r.grade_bands.last_mut().unwrap().min_score = 10;
        r.grade_bands[2].min_score = 60;
        assert_eq!(
            errors(|e| check_rules(&r, e)),
            vec!["grade_bands:field.bands_floor"]
        );
    }

    #[test]
    fn money_and_dates_must_be_in_order() {
        let mut c = core();
        c.min_grant = Fen::from_yuan(3_000_000);
        c.max_grant = Fen::from_yuan(2_000_000);
        c.review_due = c.closes_at;
        let e = errors(|e| check_core(&c, e));
        assert_eq!(
            e,
            vec![
                "min_grant:field.min_over_max",
                "max_grant:field.max_over_budget",
                "review_due:field.review_before_close"
            ]
        );
    }

    #[test]
    fn every_save_checks_each_amount_but_leaves_their_order_to_publishing() {
        let mut c = core();
        c.max_grant = c.total_budget.saturating_add(Fen(1));
        assert!(
            errors(|e| check_money(&c, e)).is_empty(),
            "a draft may be incomplete"
        );
        c.total_budget = Fen(-1);
        c.min_grant = Fen(super::super::money::MAX_FEN + 1);
        assert_eq!(
            errors(|e| check_money(&c, e)),
            vec![
                "total_budget:field.money_negative",
                "min_grant:field.money_too_large"
            ]
        );
    }

    #[test]
    fn a_round_cannot_open_without_dates_or_after_it_closed() {
        let mut c = core();
        c.opens_at = None;
        c.description = " ".into();
        c.closes_at = Some(now() - chrono::Duration::days(1));
        let e = errors(|e| check_publishable(&c, now(), e));
        assert_eq!(
            e,
            vec![
                "description:field.required",
                "opens_at:field.required",
                "closes_at:field.date_past"
            ]
        );
    }

    #[test]
    fn the_supplementary_notice_is_off_or_a_few_working_days() {
        for (days, ok) in [
            (-1, false),
            (0, true),
            (1, true),
            (SUPPLEMENTARY_NOTICE_MAX_DAYS, true),
            (SUPPLEMENTARY_NOTICE_MAX_DAYS + 1, false),
        ] {
            let r = RoundRules {
                supplementary_notice_days: days,
                ..RoundRules::default()
            };
            let e = errors(|e| check_rules(&r, e));
            if ok {
                assert!(e.is_empty(), "{days}: {e:?}");
            } else {
                assert_eq!(
                    e,
                    vec!["supplementary_notice_days:field.number_range"],
                    "{days}"
                );
            }
        }
    }

    #[test]
    fn stored_rounds_without_the_new_settings_keep_todays_line_and_no_supplement() {
        let mut stored = serde_json::to_value(RoundRules::default()).unwrap();
        let obj = stored.as_object_mut().unwrap();
        obj.remove("funding_rule");
        obj.remove("supplementary_notice_days");
        let r: RoundRules = serde_json::from_value(stored).unwrap();
        assert_eq!(r.funding_rule, FundingRule::SkipAhead);
        assert_eq!(r.supplementary_notice_days, 0);
        let r: RoundRules =
            serde_json::from_str(r#"{"funding_rule": "strict", "supplementary_notice_days": 3}"#)
                .unwrap();
        assert_eq!(r.funding_rule, FundingRule::Strict);
        assert_eq!(r.supplementary_notice_days, 3);
        assert!(serde_json::from_str::<RoundRules>(r#"{"funding_rule": "lottery"}"#).is_err());
    }

    #[test]
    fn registration_age_counts_whole_months() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(registered_long_enough(d("2025-02-01"), d("2026-02-01"), 12));
        assert!(!registered_long_enough(
            d("2025-02-02"),
            d("2026-02-01"),
            12
        ));
        assert!(
            registered_long_enough(d("2024-02-29"), d("2025-02-28"), 12),
            "end of month clamps"
        );
    }
}
