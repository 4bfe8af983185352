//! Performance targets (绩效目标): the round's indicator tree with its weights, the targets a
//! proposal declares against it, and how far a project has reached them.
//!
//! The tree follows the fiscal performance-evaluation practice (财预〔2020〕10号): output
//! indicators (产出: 数量, 质量, 时效, 成本), outcome indicators (效益: 社会效益, 可持续影响)
//! and satisfaction (满意度: 服务对象满意度), 100 points, bands 90/80/60. Each target names a
//! measurable value and unit and, where it can, a report figure (unique beneficiaries of a
//! group, person-times, activities held, volunteer hours) so its progress is computed from the
//! accepted reports instead of typed.

use super::report::{BeneficiaryGroup, ReportContent};
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// First-level indicator (一级指标) of the tree (labels: `TargetCategory.*`).
    TargetCategory { Output = "output", Outcome = "outcome", Satisfaction = "satisfaction" }
);

impl TargetCategory {
    /// Reads a category as the round form shows it: its code or its Chinese or English label.
    pub fn read(s: &str) -> Option<TargetCategory> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        TargetCategory::parse(s).or_else(|| {
            TargetCategory::ALL.iter().copied().find(|c| {
                [crate::i18n::Lang::Zh, crate::i18n::Lang::En]
                    .iter()
                    .map(|l| crate::i18n::t(*l, c.label_key()))
                    .any(|label| label.eq_ignore_ascii_case(s) || label.starts_with(s))
            })
        })
    }
}

str_enum!(
    /// Whether a target is met at or above its value (服务人数 ≥ 300) or at or below it
    /// (人均成本 ≤ 200 元) (labels: `TargetDirection.*`).
    TargetDirection { AtLeast = "at_least", AtMost = "at_most" }
);

/// A second-level indicator (二级指标) of the round's tree and its weight in points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Indicator {
    pub category: TargetCategory,
    /// Unique within the tree; targets name it.
    pub name: String,
    /// Points out of 100.
    pub weight: i32,
    /// A proposal must declare at least one target under it (when the round requires
    /// targets).
    #[serde(default)]
    pub required: bool,
}

/// A grade band of the achievement score: at or above `min_score` points (bands top down).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TargetBand {
    pub name: String,
    pub min_score: i32,
}

/// The round's rules on performance targets. Stored in the round's rules (JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TargetRules {
    /// Proposals must declare targets: at least one under every required indicator.
    pub required: bool,
    /// The indicator tree; weights sum to 100.
    pub indicators: Vec<Indicator>,
    /// Bands of the achievement score, top down, the last at 0.
    pub bands: Vec<TargetBand>,
    /// Points of the evaluation's total given to target achievement (0: off; the rubric's
    /// total then stands alone, as in rounds of before this setting).
    pub evaluation_weight: i32,
}

/// The most targets a proposal may declare.
pub const MAX_TARGETS: usize = 60;
/// The largest value a target (or an actual) may take.
pub const MAX_VALUE: i64 = 1_000_000_000;
/// The most points of an evaluation that target achievement may carry.
pub const MAX_EVALUATION_WEIGHT: i32 = 50;

fn indicator(category: TargetCategory, name: &str, weight: i32, required: bool) -> Indicator {
    Indicator {
        category,
        name: name.to_string(),
        weight,
        required,
    }
}

/// The default tree: 产出 50 (数量 20, 质量 15, 时效 10, 成本 5), 效益 30 (社会效益 20,
/// 可持续影响 10), 满意度 20 (服务对象满意度 20).
pub fn default_indicators() -> Vec<Indicator> {
    use TargetCategory::*;
    vec![
        indicator(Output, "数量", 20, true),
        indicator(Output, "质量", 15, true),
        indicator(Output, "时效", 10, false),
        indicator(Output, "成本", 5, false),
        indicator(Outcome, "社会效益", 20, true),
        indicator(Outcome, "可持续影响", 10, false),
        indicator(Satisfaction, "服务对象满意度", 20, true),
    ]
}

/// The default bands: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below.
pub fn default_bands() -> Vec<TargetBand> {
    [("优", 90), ("良", 80), ("中", 60), ("差", 0)]
        .iter()
        .map(|(n, s)| TargetBand {
            name: n.to_string(),
            min_score: *s,
        })
        .collect()
}

impl Default for TargetRules {
    fn default() -> Self {
        TargetRules {
            required: false,
            indicators: default_indicators(),
            bands: default_bands(),
            evaluation_weight: 0,
        }
    }
}

impl TargetRules {
    pub fn indicator(&self, name: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.name == name)
    }
}

/// The rules are sane: a tree of uniquely named indicators with positive weights summing to
/// 100, bands descending to 0, and an evaluation weight within 0..=50 points. Errors are keyed
/// by the round form's fields (`target_indicators`, `target_bands`, `target_evaluation_weight`).
pub fn check_rules(r: &TargetRules, e: &mut FieldErrors) {
    if r.indicators.is_empty() {
        e.add("target_indicators", Msg::new("field.required"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, ind) in r.indicators.iter().enumerate() {
        let name = ind.name.trim();
        if name.is_empty() || !seen.insert(name) {
            e.add(
                "target_indicators",
                Msg::new("target.indicator_name").arg("line", i + 1),
            );
        }
        if ind.weight <= 0 {
            e.add(
                "target_indicators",
                Msg::new("target.indicator_weight").arg("line", i + 1),
            );
        }
    }
    let sum: i64 = r.indicators.iter().map(|i| i64::from(i.weight)).sum();
    if !r.indicators.is_empty() && sum != 100 {
        e.add(
            "target_indicators",
            Msg::new("target.weights_sum").arg("sum", sum),
        );
    }
    let descending = r.bands.windows(2).all(|w| w[0].min_score > w[1].min_score);
    let named = r.bands.iter().all(|b| !b.name.trim().is_empty());
    let in_range = r.bands.iter().all(|b| (0..=100).contains(&b.min_score));
    if r.bands.is_empty()
        || !descending
        || !named
        || !in_range
        || r.bands.last().map(|b| b.min_score) != Some(0)
    {
        e.add("target_bands", Msg::new("target.bands_invalid"));
    }
    if !(0..=MAX_EVALUATION_WEIGHT).contains(&r.evaluation_weight) {
        e.add(
            "target_evaluation_weight",
            Msg::new("field.number_range")
                .arg("min", 0)
                .arg("max", MAX_EVALUATION_WEIGHT),
        );
    }
}

/// A report figure a target can follow. Its code is what the proposal stores:
/// `unique`, `unique:elderly`, `person_times`, `person_times:youth`, `activities`,
/// `volunteer_times`, `volunteer_hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Unique beneficiaries (受益人数), of one group or of all.
    Unique(Option<BeneficiaryGroup>),
    /// Person-times (服务人次), of one group or of all.
    PersonTimes(Option<BeneficiaryGroup>),
    /// Activities held (活动场次).
    Activities,
    /// Volunteer person-times (志愿者人次).
    VolunteerTimes,
    /// Volunteer hours (志愿服务时长).
    VolunteerHours,
}

impl Figure {
    pub fn parse(code: &str) -> Option<Figure> {
        let code = code.trim();
        let (head, group) = match code.split_once(':') {
            Some((h, g)) => (h, Some(BeneficiaryGroup::parse(g)?)),
            None => (code, None),
        };
        match (head, group) {
            ("unique", g) => Some(Figure::Unique(g)),
            ("person_times", g) => Some(Figure::PersonTimes(g)),
            ("activities", None) => Some(Figure::Activities),
            ("volunteer_times", None) => Some(Figure::VolunteerTimes),
            ("volunteer_hours", None) => Some(Figure::VolunteerHours),
            _ => None,
        }
    }

    pub fn code(self) -> String {
        let with = |h: &str, g: Option<BeneficiaryGroup>| match g {
            Some(g) => format!("{h}:{}", g.as_str()),
            None => h.to_string(),
        };
        match self {
            Figure::Unique(g) => with("unique", g),
            Figure::PersonTimes(g) => with("person_times", g),
            Figure::Activities => "activities".into(),
            Figure::VolunteerTimes => "volunteer_times".into(),
            Figure::VolunteerHours => "volunteer_hours".into(),
        }
    }

    /// Every figure a target may follow, in the order the form offers them.
    pub fn all() -> Vec<Figure> {
        let mut v = vec![Figure::Unique(None), Figure::PersonTimes(None)];
        for g in BeneficiaryGroup::ALL {
            v.push(Figure::Unique(Some(*g)));
            v.push(Figure::PersonTimes(Some(*g)));
        }
        v.extend([
            Figure::Activities,
            Figure::VolunteerTimes,
            Figure::VolunteerHours,
        ]);
        v
    }

    /// Its label: the locale key and the group's label key, if any.
    pub fn label_keys(self) -> (&'static str, Option<&'static str>) {
        match self {
            Figure::Unique(g) => ("target.figure_unique", g.map(|g| g.label_key())),
            Figure::PersonTimes(g) => ("target.figure_person_times", g.map(|g| g.label_key())),
            Figure::Activities => ("target.figure_activities", None),
            Figure::VolunteerTimes => ("target.figure_volunteer_times", None),
            Figure::VolunteerHours => ("target.figure_volunteer_hours", None),
        }
    }

    /// Its label in a language, e.g. 受益人数（老年人）.
    pub fn label(self, lang: crate::i18n::Lang) -> String {
        let (key, group) = self.label_keys();
        let base = crate::i18n::t(lang, key);
        match group {
            Some(g) => format!("{base} · {}", crate::i18n::t(lang, g)),
            None => base.to_string(),
        }
    }

    /// Its value in a (cumulative) report.
    pub fn value_in(self, r: &ReportContent) -> i64 {
        match self {
            Figure::Unique(None) => r.unique_total(),
            Figure::Unique(Some(g)) => r.unique_of(g.as_str()),
            Figure::PersonTimes(None) => r.person_times_total(),
            Figure::PersonTimes(Some(g)) => r
                .beneficiaries
                .iter()
                .filter(|b| b.group == g.as_str())
                .map(|b| b.person_times)
                .sum(),
            Figure::Activities => r.activities,
            Figure::VolunteerTimes => r.volunteer_times,
            Figure::VolunteerHours => r.volunteer_hours,
        }
    }
}

/// One target of a proposal (and, from the award, of the project's plan).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct TargetLine {
    /// The name of the round's indicator it is declared under (e.g. 数量).
    pub indicator: String,
    /// What is measured (e.g. 服务社区独居老人), unique within the proposal.
    pub name: String,
    pub direction: TargetDirection,
    /// The target value, a whole number in `unit`.
    pub value: i64,
    pub unit: String,
    /// The report figure it follows (see [`Figure`]), or empty: the organization reports
    /// the value in its progress reports.
    pub figure: String,
}

// `str_enum!` fixes the derives, so the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for TargetDirection {
    fn default() -> Self {
        TargetDirection::AtLeast
    }
}

impl TargetLine {
    pub fn figure(&self) -> Option<Figure> {
        Figure::parse(&self.figure)
    }
    pub fn at_most(&self) -> bool {
        self.direction == TargetDirection::AtMost
    }
    /// The target as a phrase, e.g. "不低于 120 人".
    pub fn target_text(&self, lang: crate::i18n::Lang) -> String {
        format!(
            "{} {} {}",
            crate::i18n::t(lang, self.direction.label_key()),
            self.value,
            self.unit
        )
    }
    /// The label of the figure it follows, or "—".
    pub fn figure_label(&self, lang: crate::i18n::Lang) -> String {
        self.figure()
            .map_or_else(|| "—".to_string(), |f| f.label(lang))
    }
}

/// A target as typed (a form row or the API's change fields): every value as text, so that
/// nothing typed is lost when it is refused.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct TargetInput {
    pub indicator: String,
    pub name: String,
    /// `at_least` (default when blank) or `at_most`.
    pub direction: String,
    /// A whole number.
    pub value: String,
    pub unit: String,
    /// A report figure's code, or blank.
    pub figure: String,
}

impl TargetInput {
    /// Nothing typed in it (an unused row).
    pub fn is_blank(&self) -> bool {
        [&self.name, &self.value, &self.unit, &self.figure]
            .iter()
            .all(|s| s.trim().is_empty())
    }

    /// The target it describes; `None` when the value is not a whole number or the direction
    /// is unknown (the rest is checked by [`check_targets`]).
    pub fn parse(&self) -> Option<TargetLine> {
        let direction = if self.direction.trim().is_empty() {
            TargetDirection::AtLeast
        } else {
            TargetDirection::parse(&self.direction)?
        };
        Some(TargetLine {
            indicator: self.indicator.trim().to_string(),
            name: self.name.trim().to_string(),
            direction,
            value: self.value.trim().parse().ok()?,
            unit: self.unit.trim().to_string(),
            figure: self.figure.trim().to_string(),
        })
    }

    pub fn of(t: &TargetLine) -> TargetInput {
        TargetInput {
            indicator: t.indicator.clone(),
            name: t.name.clone(),
            direction: t.direction.as_str().to_string(),
            value: t.value.to_string(),
            unit: t.unit.clone(),
            figure: t.figure.clone(),
        }
    }
}

/// Reads typed rows, skipping blank ones; an unreadable row is reported under `targets`
/// with its number among the rows typed.
pub fn parse_rows(rows: &[TargetInput], e: &mut FieldErrors) -> Vec<TargetLine> {
    let mut out = Vec::new();
    for (n, row) in rows.iter().filter(|r| !r.is_blank()).enumerate() {
        match row.parse() {
            Some(t) => out.push(t),
            None => e.add(
                "targets",
                Msg::new("target.line_unreadable").arg("line", n + 1),
            ),
        }
    }
    out
}

/// Checks a proposal's targets against the round's tree, all problems at once under the
/// field `targets` (each naming its line): an indicator of the tree, a name (unique), a
/// positive whole value within [`MAX_VALUE`], a unit, a figure that exists; with `required`,
/// at least one target under every required indicator.
pub fn check_targets(lines: &[TargetLine], rules: &TargetRules, e: &mut FieldErrors) {
    if lines.len() > MAX_TARGETS {
        e.add(
            "targets",
            Msg::new("target.too_many").arg("max", MAX_TARGETS),
        );
    }
    let mut names = std::collections::HashSet::new();
    for (i, t) in lines.iter().enumerate() {
        let line = i + 1;
        if rules.indicator(&t.indicator).is_none() {
            e.add(
                "targets",
                Msg::new("target.unknown_indicator")
                    .arg("line", line)
                    .arg("name", t.indicator.clone()),
            );
        }
        let name = t.name.trim();
        if name.is_empty() {
            e.add("targets", Msg::new("target.name_missing").arg("line", line));
        } else if !names.insert(name) {
            e.add(
                "targets",
                Msg::new("target.name_duplicate").arg("line", line),
            );
        }
        if t.value <= 0 || t.value > MAX_VALUE {
            e.add(
                "targets",
                Msg::new("target.value_positive")
                    .arg("line", line)
                    .arg("max", MAX_VALUE),
            );
        }
        if t.unit.trim().is_empty() {
            e.add("targets", Msg::new("target.unit_missing").arg("line", line));
        }
        if !t.figure.trim().is_empty() && t.figure().is_none() {
            e.add(
                "targets",
                Msg::new("target.figure_unknown").arg("line", line),
            );
        }
        for (field, text, max) in [
            ("name", &t.name, super::limits::TITLE),
            ("unit", &t.unit, super::limits::TITLE),
        ] {
            if text.chars().count() > max {
                e.add(
                    "targets",
                    Msg::new("target.too_long")
                        .arg("line", line)
                        .arg("field", field)
                        .arg("max", max),
                );
            }
        }
    }
    if rules.required {
        for ind in rules.indicators.iter().filter(|i| i.required) {
            if !lines.iter().any(|t| t.indicator == ind.name) {
                e.add(
                    "targets",
                    Msg::new("target.indicator_missing").arg("name", ind.name.clone()),
                );
            }
        }
    }
}

/// A value the organization reports in a progress report for a target that follows no
/// figure, by the target's name (cumulative, like every figure of a report).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct TargetValue {
    pub name: String,
    pub value: i64,
}

/// A report's target values are known targets of the plan that follow no figure, each at
/// most once, whole and within 0..=[`MAX_VALUE`]; errors under `target_values`.
pub fn check_values(values: &[TargetValue], plan: &[TargetLine], e: &mut FieldErrors) {
    let mut seen = std::collections::HashSet::new();
    for v in values {
        let known = plan
            .iter()
            .any(|t| t.name == v.name && t.figure().is_none());
        if !known || !seen.insert(v.name.as_str()) {
            e.add(
                "target_values",
                Msg::new("target.value_unknown").arg("name", v.name.clone()),
            );
        }
        if !(0..=MAX_VALUE).contains(&v.value) {
            e.add(
                "target_values",
                Msg::new("target.actual_range")
                    .arg("name", v.name.clone())
                    .arg("max", MAX_VALUE),
            );
        }
    }
}

/// A target's actual value in a report: its figure, or the value reported for it; `None`
/// when the report says nothing of it.
pub fn actual_in(t: &TargetLine, r: &ReportContent) -> Option<i64> {
    match t.figure() {
        Some(f) => Some(f.value_in(r)),
        None => r
            .target_values
            .iter()
            .find(|v| v.name == t.name)
            .map(|v| v.value),
    }
}

/// How far an actual reaches a target, in basis points (10000 = met), never above 10000:
/// at least — actual / target; at most — met at or below the target, else target / actual.
pub fn ratio_bp(t: &TargetLine, actual: Option<i64>) -> i64 {
    let Some(actual) = actual else { return 0 };
    let actual = actual.max(0);
    if t.at_most() {
        if actual <= t.value {
            10_000
        } else {
            (i128::from(t.value.max(0)) * 10_000 / i128::from(actual)) as i64
        }
    } else if t.value <= 0 {
        10_000
    } else {
        ((i128::from(actual) * 10_000 / i128::from(t.value)) as i64).min(10_000)
    }
}

/// One target against its actual.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    pub target: TargetLine,
    /// The actual value: from the figure of the latest accepted report, or the value
    /// reported for it; none yet.
    pub actual: Option<i64>,
    /// Reached share, basis points (10000 = met).
    pub ratio_bp: i64,
    pub met: bool,
}

impl TargetProgress {
    /// The reached share in whole percent (rounded down).
    pub fn reached_pct(&self) -> i64 {
        self.ratio_bp / 100
    }
}

/// Every target against its actual, with the achievement score.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Achievement {
    pub targets: Vec<TargetProgress>,
    pub met: i64,
    pub total: i64,
    /// The weighted achievement score out of 100 (tenths); none without targets.
    pub score_tenths: Option<i32>,
    /// The score's band.
    pub band: Option<String>,
}

impl Achievement {
    /// The score as points ("91.7"), if any.
    pub fn score_text(&self) -> Option<String> {
        self.score_tenths.map(super::review::tenths_text)
    }
}

/// The targets against actuals (`actuals[i]` for `targets[i]`), and the achievement score:
/// each indicator of the tree that has targets counts by its weight times the mean reached
/// share of its targets, and the weights of the indicators that have targets are scaled to
/// 100 points (an optional indicator left without targets neither gains nor loses). Targets
/// under an indicator not in the tree (a tree changed after the award) share the score
/// equally with a weight of their own mean.
pub fn achievement(
    targets: &[TargetLine],
    actuals: &[Option<i64>],
    rules: &TargetRules,
) -> Achievement {
    let rows: Vec<TargetProgress> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let actual = actuals.get(i).copied().flatten();
            let r = ratio_bp(t, actual);
            TargetProgress {
                target: t.clone(),
                actual,
                ratio_bp: r,
                met: r >= 10_000,
            }
        })
        .collect();
    let met = rows.iter().filter(|r| r.met).count() as i64;
    let score_tenths = score_tenths(&rows, rules);
    let band = score_tenths.and_then(|s| band_of(s, &rules.bands).map(|b| b.name.clone()));
    Achievement {
        total: rows.len() as i64,
        met,
        targets: rows,
        score_tenths,
        band,
    }
}

fn score_tenths(rows: &[TargetProgress], rules: &TargetRules) -> Option<i32> {
    if rows.is_empty() {
        return None;
    }
    // (weight, mean ratio bp) per indicator with targets, in the tree's order, then the
    // targets under no indicator of the tree.
    let mut groups: Vec<(i64, Vec<i64>)> = Vec::new();
    for ind in &rules.indicators {
        let r: Vec<i64> = rows
            .iter()
            .filter(|p| p.target.indicator == ind.name)
            .map(|p| p.ratio_bp)
            .collect();
        if !r.is_empty() {
            groups.push((i64::from(ind.weight.max(0)), r));
        }
    }
    let stray: Vec<i64> = rows
        .iter()
        .filter(|p| rules.indicator(&p.target.indicator).is_none())
        .map(|p| p.ratio_bp)
        .collect();
    if !stray.is_empty() {
        let w = if groups.is_empty() {
            100
        } else {
            groups.iter().map(|(w, _)| *w).sum::<i64>() / groups.len() as i64
        };
        groups.push((w.max(1), stray));
    }
    let weights: i64 = groups.iter().map(|(w, _)| *w).sum();
    if weights == 0 {
        return None;
    }
    // Σ w · mean(bp) over Σ w, in tenths of 100 points: bp / 10 000 · 1 000.
    let num: i128 = groups
        .iter()
        .map(|(w, r)| {
            let mean = i128::from(r.iter().sum::<i64>()) * 1_000 / r.len() as i128;
            i128::from(*w) * mean
        })
        .sum();
    let den = i128::from(weights) * 10_000;
    Some(((2 * num + den) / (2 * den)) as i32)
}

/// The band a score (tenths) falls in.
pub fn band_of(score_tenths: i32, bands: &[TargetBand]) -> Option<&TargetBand> {
    bands
        .iter()
        .find(|b| score_tenths >= b.min_score * 10)
        .or_else(|| bands.last())
}

/// The evaluator's verified value of a target of the plan (by its name); none: not given,
/// the value pre-filled from the reports counts.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct TargetAchieved {
    pub name: String,
    pub achieved: Option<i64>,
}

/// Target achievement as weighted into an evaluation's total: set by the server whenever the
/// filing is saved, from the round's weight and the achievement of the plan's targets.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct TargetBlend {
    /// Points of the total given to target achievement.
    pub weight: i32,
    /// The achievement score (tenths of 100 points).
    pub score_tenths: i32,
}

/// What the evaluation form pre-fills for a target: the evaluator's verified unique
/// beneficiaries where the target follows unique beneficiaries (of a group, or of all the
/// groups verified), else its actual in the latest accepted report.
pub fn prefill(
    t: &TargetLine,
    latest: Option<&ReportContent>,
    verified: &[super::evaluation::VerifiedCount],
) -> Option<i64> {
    let verified_of = |g: BeneficiaryGroup| {
        verified
            .iter()
            .filter(|v| v.group == g.as_str())
            .map(|v| v.unique_people)
            .reduce(|a, b| a + b)
    };
    match t.figure() {
        Some(Figure::Unique(Some(g))) => verified_of(g),
        Some(Figure::Unique(None)) if !verified.is_empty() => {
            Some(verified.iter().map(|v| v.unique_people).sum())
        }
        _ => None,
    }
    .or_else(|| latest.and_then(|r| actual_in(t, r)))
}

/// Each target's (pre-filled value, value that counts): the evaluator's own value where
/// given, else the pre-filled one.
pub fn evaluated(
    targets: &[TargetLine],
    achieved: &[TargetAchieved],
    latest: Option<&ReportContent>,
    verified: &[super::evaluation::VerifiedCount],
) -> Vec<(Option<i64>, Option<i64>)> {
    targets
        .iter()
        .map(|t| {
            let pre = prefill(t, latest, verified);
            let own = achieved
                .iter()
                .find(|a| a.name == t.name)
                .and_then(|a| a.achieved);
            (pre, own.or(pre))
        })
        .collect()
}

/// The evaluator's values name targets of the plan, each once, within 0..=[`MAX_VALUE`];
/// errors under `targets`.
pub fn check_achieved(achieved: &[TargetAchieved], plan: &[TargetLine], e: &mut FieldErrors) {
    let mut seen = std::collections::HashSet::new();
    for a in achieved {
        if !plan.iter().any(|t| t.name == a.name) || !seen.insert(a.name.as_str()) {
            e.add(
                "targets",
                Msg::new("target.value_unknown").arg("name", a.name.clone()),
            );
        }
        if a.achieved.is_some_and(|v| !(0..=MAX_VALUE).contains(&v)) {
            e.add(
                "targets",
                Msg::new("target.actual_range")
                    .arg("name", a.name.clone())
                    .arg("max", MAX_VALUE),
            );
        }
    }
}

/// The evaluation's total with target achievement weighted in: the rubric's total (tenths,
/// out of 100) scaled to `100 − weight` points plus the achievement score scaled to `weight`
/// points, rounded half up. With weight 0 the rubric's total stands.
pub fn blend(rubric_tenths: i32, achievement_tenths: i32, weight: i32) -> i32 {
    if weight <= 0 {
        return rubric_tenths;
    }
    let w = i64::from(weight.min(100));
    let num = i64::from(rubric_tenths) * (100 - w) + i64::from(achievement_tenths) * w;
    ((2 * num + 100) / 200) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::GroupCount;

    fn t(ind: &str, name: &str, value: i64, figure: &str) -> TargetLine {
        TargetLine {
            indicator: ind.into(),
            name: name.into(),
            direction: TargetDirection::AtLeast,
            value,
            unit: "人".into(),
            figure: figure.into(),
        }
    }

    /// Every message under `field`, in English.
    fn all(e: &FieldErrors, field: &str) -> String {
        e.0.iter()
            .filter(|x| x.field == field)
            .map(|x| x.msg.render(crate::i18n::Lang::En))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn required_rules() -> TargetRules {
        TargetRules {
            required: true,
            ..TargetRules::default()
        }
    }

    #[test]
    fn the_default_tree_follows_practice_and_passes_its_own_check() {
        let r = TargetRules::default();
        let mut e = FieldErrors::new();
        check_rules(&r, &mut e);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(r.indicators.iter().map(|i| i.weight).sum::<i32>(), 100);
        let by_cat = |c| {
            r.indicators
                .iter()
                .filter(|i| i.category == c)
                .map(|i| i.weight)
                .sum::<i32>()
        };
        assert_eq!(by_cat(TargetCategory::Output), 50);
        assert_eq!(by_cat(TargetCategory::Outcome), 30);
        assert_eq!(by_cat(TargetCategory::Satisfaction), 20);
        let mins: Vec<i32> = r.bands.iter().map(|b| b.min_score).collect();
        assert_eq!(mins, vec![90, 80, 60, 0]);
        assert_eq!(r.evaluation_weight, 0);
    }

    #[test]
    fn bad_trees_are_refused_field_by_field() {
        let mut r = TargetRules::default();
        r.indicators[0].weight = 25;
        r.indicators[1].name = "数量".into();
        r.bands[1].min_score = 95;
        r.evaluation_weight = 60;
        let mut e = FieldErrors::new();
        check_rules(&r, &mut e);
        assert!(e.has("target_indicators"));
        assert!(e.has("target_bands"));
        assert!(e.has("target_evaluation_weight"));
        let mut empty = TargetRules::default();
        empty.indicators.clear();
        let mut e = FieldErrors::new();
        check_rules(&empty, &mut e);
        assert!(e.has("target_indicators"));
    }

    #[test]
    fn figures_round_trip_and_unknown_ones_do_not_parse() {
        for f in Figure::all() {
            assert_eq!(Figure::parse(&f.code()), Some(f));
        }
        assert_eq!(
            Figure::parse("unique:elderly"),
            Some(Figure::Unique(Some(BeneficiaryGroup::Elderly)))
        );
        for bad in ["", "unique:aliens", "activities:elderly", "spending"] {
            assert_eq!(Figure::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn declared_targets_are_checked_line_by_line() {
        let rules = required_rules();
        let lines = vec![
            t("数量", "服务老人", 300, "unique:elderly"),
            t("质量", "服务老人", 0, "bogus"),
            t("不存在", "", 5, ""),
        ];
        let mut e = FieldErrors::new();
        check_targets(&lines, &rules, &mut e);
        let msgs = all(&e, "targets");
        for needle in ["Line 2", "Line 3", "不存在", "社会效益", "服务对象满意度"] {
            assert!(msgs.contains(needle), "{needle} in {msgs}");
        }
        // Not required: an empty set is fine.
        let mut e = FieldErrors::new();
        check_targets(&[], &TargetRules::default(), &mut e);
        assert!(e.is_empty());
        // A complete set passes.
        let ok = vec![
            t("数量", "服务老人", 300, "unique:elderly"),
            t("质量", "活动满意记录完整率", 95, ""),
            t("社会效益", "独居老人社会支持改善", 60, ""),
            t("服务对象满意度", "满意度", 90, ""),
        ];
        let mut e = FieldErrors::new();
        check_targets(&ok, &rules, &mut e);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn actuals_come_from_the_figure_or_the_reported_value() {
        let r = ReportContent {
            activities: 12,
            beneficiaries: vec![
                GroupCount {
                    group: "elderly".into(),
                    unique_people: 150,
                    person_times: 900,
                },
                GroupCount {
                    group: "youth".into(),
                    unique_people: 30,
                    person_times: 60,
                },
            ],
            volunteer_hours: 400,
            target_values: vec![TargetValue {
                name: "满意度".into(),
                value: 93,
            }],
            ..Default::default()
        };
        assert_eq!(
            actual_in(&t("数量", "a", 1, "unique:elderly"), &r),
            Some(150)
        );
        assert_eq!(actual_in(&t("数量", "a", 1, "unique"), &r), Some(180));
        assert_eq!(actual_in(&t("数量", "a", 1, "person_times"), &r), Some(960));
        assert_eq!(
            actual_in(&t("数量", "a", 1, "person_times:youth"), &r),
            Some(60)
        );
        assert_eq!(actual_in(&t("数量", "a", 1, "activities"), &r), Some(12));
        assert_eq!(
            actual_in(&t("数量", "a", 1, "volunteer_hours"), &r),
            Some(400)
        );
        assert_eq!(actual_in(&t("满意度", "满意度", 90, ""), &r), Some(93));
        assert_eq!(actual_in(&t("质量", "其他", 90, ""), &r), None);
    }

    #[test]
    fn reached_shares_cap_at_met_and_respect_the_direction() {
        let up = t("数量", "a", 300, "");
        assert_eq!(ratio_bp(&up, Some(150)), 5000);
        assert_eq!(ratio_bp(&up, Some(450)), 10_000);
        assert_eq!(ratio_bp(&up, None), 0);
        let down = TargetLine {
            direction: TargetDirection::AtMost,
            ..t("成本", "人均成本", 200, "")
        };
        assert_eq!(ratio_bp(&down, Some(180)), 10_000);
        assert_eq!(ratio_bp(&down, Some(250)), 8000);
    }

    #[test]
    fn the_score_weights_indicators_and_rescales_to_those_declared() {
        let rules = TargetRules::default();
        let targets = vec![
            t("数量", "a", 100, ""),
            t("数量", "b", 100, ""),
            t("社会效益", "c", 100, ""),
            t("服务对象满意度", "d", 90, ""),
        ];
        // 数量 mean 75% (100%, 50%) × 20; 社会效益 100% × 20; 满意度 100% × 20: of 60.
        let a = achievement(
            &targets,
            &[Some(100), Some(50), Some(120), Some(95)],
            &rules,
        );
        assert_eq!(a.total, 4);
        assert_eq!(a.met, 3);
        // (20·0.75 + 20 + 20) / 60 · 100 = 91.666… → 91.7
        assert_eq!(a.score_tenths, Some(917));
        assert_eq!(a.band.as_deref(), Some("优"));
        let none = achievement(&targets, &[None, None, None, None], &rules);
        assert_eq!(none.score_tenths, Some(0));
        assert_eq!(none.band.as_deref(), Some("差"));
        assert_eq!(achievement(&[], &[], &rules).score_tenths, None);
        // A target under an indicator no longer in the tree still counts.
        let stray = achievement(&[t("旧指标", "x", 10, "")], &[Some(5)], &rules);
        assert_eq!(stray.score_tenths, Some(500));
    }

    #[test]
    fn the_evaluation_prefers_verified_counts_then_reports_then_its_own_values() {
        use crate::domain::evaluation::VerifiedCount;
        let r = ReportContent {
            activities: 8,
            beneficiaries: vec![GroupCount {
                group: "elderly".into(),
                unique_people: 150,
                person_times: 900,
            }],
            ..Default::default()
        };
        let verified = vec![VerifiedCount {
            group: "elderly".into(),
            unique_people: 140,
        }];
        let targets = vec![
            t("数量", "elderly", 200, "unique:elderly"),
            t("数量", "all", 200, "unique"),
            t("数量", "activities", 10, "activities"),
            t("质量", "free", 90, ""),
        ];
        let achieved = vec![TargetAchieved {
            name: "activities".into(),
            achieved: Some(9),
        }];
        let v = evaluated(&targets, &achieved, Some(&r), &verified);
        assert_eq!(
            v,
            vec![
                (Some(140), Some(140)),
                (Some(140), Some(140)),
                (Some(8), Some(9)),
                (None, None)
            ]
        );
        // Nothing verified: the report's figure.
        assert_eq!(prefill(&targets[0], Some(&r), &[]), Some(150));
        let mut e = FieldErrors::new();
        check_achieved(
            &[
                TargetAchieved {
                    name: "nope".into(),
                    achieved: Some(1),
                },
                TargetAchieved {
                    name: "free".into(),
                    achieved: Some(-1),
                },
            ],
            &targets,
            &mut e,
        );
        let msg = all(&e, "targets");
        assert!(msg.contains("nope") && msg.contains("free"), "{msg}");
    }

    #[test]
    fn blending_leaves_the_total_alone_at_weight_zero() {
        assert_eq!(blend(873, 500, 0), 873);
        // 87.3 × 0.8 + 50 × 0.2 = 79.84 → 79.8
        assert_eq!(blend(873, 500, 20), 798);
        assert_eq!(blend(1000, 1000, 30), 1000);
    }

    #[test]
    fn report_values_must_name_unlinked_targets_once() {
        let plan = vec![
            t("数量", "linked", 10, "activities"),
            t("质量", "free", 10, ""),
        ];
        let mut e = FieldErrors::new();
        check_values(
            &[
                TargetValue {
                    name: "free".into(),
                    value: 3,
                },
                TargetValue {
                    name: "linked".into(),
                    value: 3,
                },
                TargetValue {
                    name: "free".into(),
                    value: -1,
                },
            ],
            &plan,
            &mut e,
        );
        let msg = all(&e, "target_values");
        assert!(msg.contains("linked"), "{msg}");
        let mut ok = FieldErrors::new();
        check_values(
            &[TargetValue {
                name: "free".into(),
                value: 3,
            }],
            &plan,
            &mut ok,
        );
        assert!(ok.is_empty());
    }
}
