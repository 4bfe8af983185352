//! Third-party evaluation (DESIGN §2.6): the evaluator's filing and its checks, the grade
//! from the round's bands, and the rule engine that decides what follows an accepted
//! evaluation — table-tested for every grade × stage × attempt.

use chrono::{NaiveDate, NaiveDateTime};

use super::assignment::{has_conflict, Affiliation};
use super::review::{check_score, score_msg, tenths_text};
use super::round::{Criterion, GradeBand, LateEffect, LateMaterials};
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// When the evaluation happens.
    Stage { Midterm = "midterm", Final = "final" }
);

str_enum!(
    /// The life of an evaluation.
    EvaluationStatus {
        Assigned = "assigned",
        Submitted = "submitted",
        Returned = "returned",
        Accepted = "accepted",
    }
);

impl EvaluationStatus {
    /// The evaluator may edit it.
    pub fn editable(self) -> bool {
        matches!(
            self,
            EvaluationStatus::Assigned | EvaluationStatus::Returned
        )
    }
}

str_enum!(
    /// The evaluator's advice on renewal (续期建议).
    Recommendation { Renew = "renew", RenewWithConditions = "renew_conditions", NoRenew = "no_renew" }
);

str_enum!(
    /// What follows an accepted evaluation.
    Consequence {
        /// Mid-term passed: the mid-term tranche may be paid.
        ReleaseMidterm = "release_midterm",
        /// Rectification (整改) with a deadline; the stage's tranche is withheld until a
        /// re-evaluation.
        Rectify = "rectify",
        /// The project ends; remaining tranches are cancelled.
        Terminate = "terminate",
        /// Final passed: the last tranche may be paid and the project is completed.
        Complete = "complete",
        /// Final failed: the last tranche is withheld and the organization is barred from
        /// the bureau's rounds for a while.
        WithholdAndBar = "withhold_and_bar",
    }
);

str_enum!(
    /// Renewal (续期资助) a completed project may ask for.
    Renewal { FastTrack = "fast_track", Normal = "normal", NoRenewal = "none" }
);

/// Verified beneficiaries of one group.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct VerifiedCount {
    pub group: String,
    pub unique_people: i64,
}

/// One indicator's score (tenths) and comment.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct IndicatorScore {
    pub score: Option<i32>,
    #[serde(default)]
    pub comment: String,
}

/// What the evaluator files. Stored as JSON.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct EvaluationContent {
    /// One per indicator of the round's evaluation rubric, in order.
    pub scores: Vec<IndicatorScore>,
    pub verified: Vec<VerifiedCount>,
    /// Beneficiary satisfaction (满意度), percent.
    pub satisfaction_pct: Option<i32>,
    pub findings: String,
    pub recommendation: Option<Recommendation>,
    /// The panel (评估小组) of the agency that scored, each member's sheet kept. Empty: one
    /// evaluator scored, in `scores`. With a panel, `scores` carries only the comments and
    /// the total is the mean of the members' totals ([`mean_half_up`]).
    pub members: Vec<MemberSheet>,
    /// The evaluator's verified value of each performance target of the plan, by name.
    pub targets: Vec<super::target::TargetAchieved>,
    /// Target achievement weighted into the total (set by the server on every save from the
    /// round's weight; none when the round does not weight it).
    pub target_blend: Option<super::target::TargetBlend>,
}

/// One panel member's scores (tenths), one per indicator of the rubric, in order.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct MemberSheet {
    pub name: String,
    pub scores: Vec<Option<i32>>,
}

impl MemberSheet {
    pub fn total_tenths(&self) -> i32 {
        self.scores.iter().flatten().sum()
    }
}

/// The most members a panel may have.
pub const MAX_PANEL: usize = 15;

/// The mean of totals in tenths, rounded half up to the tenth (873 and 874 → 873.5 → 874);
/// 0 for none. Totals are never negative.
pub fn mean_half_up(totals: &[i32]) -> i32 {
    if totals.is_empty() {
        return 0;
    }
    let n = totals.len() as i64;
    let sum: i64 = totals.iter().map(|t| i64::from(*t)).sum();
    ((2 * sum + n).div_euclid(2 * n)) as i32
}

impl EvaluationContent {
    /// The evaluation's total (tenths): the sum of the indicator scores, or with a panel the
    /// mean of the members' totals rounded half up.
    pub fn total_tenths(&self) -> i32 {
        let rubric = self.rubric_tenths();
        match self.target_blend {
            Some(b) => super::target::blend(rubric, b.score_tenths, b.weight),
            None => rubric,
        }
    }
    /// The rubric's total (tenths) before any weighting of target achievement.
    pub fn rubric_tenths(&self) -> i32 {
        if self.members.is_empty() {
            self.scores.iter().filter_map(|s| s.score).sum()
        } else {
            let totals: Vec<i32> = self.members.iter().map(MemberSheet::total_tenths).collect();
            mean_half_up(&totals)
        }
    }
    /// The score shown for indicator `i`: the evaluator's, or with a panel the members' mean
    /// on it (rounded half up; the total is still the mean of the totals).
    pub fn indicator_tenths(&self, i: usize) -> Option<i32> {
        if self.members.is_empty() {
            return self.scores.get(i).and_then(|s| s.score);
        }
        let v: Vec<i32> = self
            .members
            .iter()
            .filter_map(|m| m.scores.get(i).copied().flatten())
            .collect();
        (!v.is_empty()).then(|| mean_half_up(&v))
    }
    pub fn verified_of(&self, group: &str) -> i64 {
        self.verified
            .iter()
            .filter(|v| v.group == group)
            .map(|v| v.unique_people)
            .sum()
    }
}

/// Checks a filing for submission, field by field (`scores.N`, `members`, `members.M.name`,
/// `members.M.scores.N`, `verified.N`, `satisfaction_pct`, `findings`, `recommendation`,
/// `file`); scores go by the round's evaluation step (`step_tenths`).
pub fn check_filing(
    c: &EvaluationContent,
    rubric: &[Criterion],
    step_tenths: i32,
    has_report_file: bool,
) -> FieldErrors {
    let mut e = FieldErrors::new();
    if c.scores.len() != rubric.len() {
        e.add(
            "scores",
            Msg::new("field.scores_count").arg("count", rubric.len()),
        );
    }
    let check = |e: &mut FieldErrors, field: String, v: Option<i32>, crit: &Criterion| match v {
        None => e.add(field, Msg::new("field.required")),
        Some(v) => {
            if let Err(err) = check_score(v, crit.max_points, step_tenths) {
                e.add(field, score_msg(err, crit.max_points, step_tenths));
            }
        }
    };
    let panel = !c.members.is_empty();
    for (i, (s, crit)) in c.scores.iter().zip(rubric).enumerate() {
        let field = format!("scores.{i}");
        if panel {
            if s.score.is_some() {
                e.add(field, Msg::new("evaluation.score_with_panel"));
            }
        } else {
            check(&mut e, field, s.score, crit);
        }
    }
    if panel && !(2..=MAX_PANEL).contains(&c.members.len()) {
        e.add(
            "members",
            Msg::new("evaluation.panel_size").arg("max", MAX_PANEL),
        );
    }
    let mut names = std::collections::HashSet::new();
    for (m, sheet) in c.members.iter().enumerate() {
        let name = sheet.name.trim();
        if name.is_empty() {
            e.add(format!("members.{m}.name"), Msg::new("field.required"));
        } else if !names.insert(name) {
            e.add(
                format!("members.{m}.name"),
                Msg::new("evaluation.member_duplicate"),
            );
        }
        if sheet.scores.len() != rubric.len() {
            e.add(
                format!("members.{m}"),
                Msg::new("field.scores_count").arg("count", rubric.len()),
            );
        }
        for (i, (v, crit)) in sheet.scores.iter().zip(rubric).enumerate() {
            check(&mut e, format!("members.{m}.scores.{i}"), *v, crit);
        }
    }
    // Keyed by group (`verified.elderly`), so the page and the API agree on the row.
    for v in &c.verified {
        let field = format!("verified.{}", v.group);
        if v.unique_people < 0 {
            e.add(field.clone(), Msg::new("field.count_negative"));
        }
        if super::report::BeneficiaryGroup::parse(&v.group).is_none() {
            e.add(field, Msg::new("field.choice_invalid"));
        }
    }
    match c.satisfaction_pct {
        None => e.add("satisfaction_pct", Msg::new("field.required")),
        Some(p) if !(0..=100).contains(&p) => e.add(
            "satisfaction_pct",
            Msg::new("field.number_range").arg("min", 0).arg("max", 100),
        ),
        Some(_) => {}
    }
    if c.findings.trim().is_empty() {
        e.add("findings", Msg::new("field.required"));
    }
    if c.recommendation.is_none() {
        e.add("recommendation", Msg::new("field.required"));
    }
    if !has_report_file {
        e.add("file", Msg::new("evaluation.report_file_required"));
    }
    e
}

/// The band a total falls in (bands are checked top down); `None` only for an empty list.
pub fn band_of(total_tenths: i32, bands: &[GradeBand]) -> Option<(usize, &GradeBand)> {
    bands
        .iter()
        .enumerate()
        .find(|(_, b)| i64::from(total_tenths) >= i64::from(b.min_score) * 10)
        .or_else(|| bands.iter().enumerate().next_back())
}

/// A band's edges in tenths: (name, lowest total, highest total below the next band up;
/// `None` for the top band).
pub fn band_edges(bands: &[GradeBand]) -> Vec<(String, i32, Option<i32>)> {
    bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let above = i
                .checked_sub(1)
                .and_then(|j| bands.get(j))
                .map(|up| up.min_score * 10 - 1);
            (b.name.clone(), b.min_score * 10, above)
        })
        .collect()
}

/// The bands as people read them, applied to the exact total in tenths:
/// "优秀 ≥ 90.0，良好 80.0–89.9，合格 60.0–79.9，不合格 < 60.0".
pub fn bands_text(bands: &[GradeBand]) -> String {
    let pts = |t: i32| format!("{}.{}", t / 10, t % 10);
    let edges = band_edges(bands);
    let last = edges.len().saturating_sub(1);
    edges
        .iter()
        .enumerate()
        .map(|(i, (name, lo, hi))| match hi {
            None => format!("{name} ≥ {}", pts(*lo)),
            Some(hi) if i == last && *lo == 0 => format!("{name} < {}", pts(hi + 1)),
            Some(hi) => format!("{name} {}–{}", pts(*lo), pts(*hi)),
        })
        .collect::<Vec<_>>()
        .join("，")
}

/// A milestone report an evaluation covers: its title, due date (a Beijing calendar date)
/// and when it was first submitted (UTC), if it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialDue {
    pub title: String,
    pub due_on: NaiveDate,
    pub submitted_at: Option<NaiveDateTime>,
}

/// A covered report handed in after its due date (or still missing after it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LateReport {
    pub title: String,
    pub due_on: NaiveDate,
    /// The Beijing date it was submitted; none while it is missing.
    pub filed_on: Option<NaiveDate>,
    /// Days after the due date (to the filing, or to today while missing).
    pub days_late: i64,
    /// Beyond the round's grace period: the rule applies to it.
    pub counted: bool,
}

/// What late materials do to an evaluation, as the rule engine found it: the late reports,
/// the round's rule, and its effect (a deduction or a fail). Stored with the accepted
/// evaluation and in its audit entry.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct Lateness {
    pub reports: Vec<LateReport>,
    pub rule: LateMaterials,
    /// Tenths taken off the total.
    pub deduction_tenths: i32,
    /// The evaluation is graded in the lowest band.
    pub fails: bool,
}

impl Lateness {
    /// The reason as people read it, e.g. "2 份报告逾期（超过宽限 3 天）：按不合格处理";
    /// `None` when nothing applies.
    pub fn reason(&self) -> Option<Msg> {
        let counted = self.reports.iter().filter(|r| r.counted).count();
        if counted == 0 {
            return None;
        }
        let key = if self.fails {
            "evaluation.late_fails"
        } else if self.deduction_tenths > 0 {
            "evaluation.late_deducts"
        } else {
            "evaluation.late_no_effect"
        };
        Some(
            Msg::new(key)
                .arg("count", counted)
                .arg("grace", self.rule.grace_days)
                .arg("points", tenths_text(self.deduction_tenths)),
        )
    }
}

/// Days `submitted_at` (its Beijing date) or, while missing, `today` falls after `due_on`;
/// 0 when on or before it.
pub fn days_late(due_on: NaiveDate, submitted_at: Option<NaiveDateTime>, today: NaiveDate) -> i64 {
    let on = submitted_at
        .map(|t| super::calendar::utc_to_beijing(t).date())
        .unwrap_or(today);
    (on - due_on).num_days().max(0)
}

/// Whether an evaluation covers a milestone due on `due_on`: a mid-term the milestones due on
/// or before its own due date; a final those after the accepted mid-term's due date (all
/// of them without one).
pub fn covers(
    stage: Stage,
    due_on: NaiveDate,
    eval_due: NaiveDate,
    midterm_due: Option<NaiveDate>,
) -> bool {
    match stage {
        Stage::Midterm => due_on <= eval_due,
        Stage::Final => midterm_due.is_none_or(|m| due_on > m),
    }
}

/// The round's rule applied to the covered reports: which are late, which count (beyond the
/// grace days), and the deduction (per counted report) or the fail.
pub fn lateness(rule: &LateMaterials, materials: &[MaterialDue], today: NaiveDate) -> Lateness {
    let reports: Vec<LateReport> = materials
        .iter()
        .filter_map(|m| {
            let days = days_late(m.due_on, m.submitted_at, today);
            (days > 0).then(|| LateReport {
                title: m.title.clone(),
                due_on: m.due_on,
                filed_on: m
                    .submitted_at
                    .map(|t| super::calendar::utc_to_beijing(t).date()),
                days_late: days,
                counted: days > i64::from(rule.grace_days.max(0)),
            })
        })
        .collect();
    let counted = reports.iter().filter(|r| r.counted).count() as i32;
    let (deduction_tenths, fails) = match rule.effect {
        LateEffect::NoEffect => (0, false),
        LateEffect::Deduct => (rule.deduct_tenths.max(0).saturating_mul(counted), false),
        LateEffect::Fail => (0, counted > 0),
    };
    Lateness {
        reports,
        rule: rule.clone(),
        deduction_tenths,
        fails,
    }
}

/// The graded result of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded<'a> {
    /// The scores' total (tenths), before lateness.
    pub scored_tenths: i32,
    /// The total the grade is read from: less the deduction, never below 0.
    pub total_tenths: i32,
    pub band_index: usize,
    pub band: &'a GradeBand,
}

/// The grade of an evaluation: the band of its total less any lateness deduction (clamped at
/// 0), or the lowest band when late materials fail it.
pub fn grade<'a>(
    c: &EvaluationContent,
    bands: &'a [GradeBand],
    late: &Lateness,
) -> Option<Graded<'a>> {
    let scored = c.total_tenths();
    let total = (scored - late.deduction_tenths).max(0);
    let (band_index, band) = if late.fails {
        bands.iter().enumerate().next_back()?
    } else {
        band_of(total, bands)?
    };
    Some(Graded {
        scored_tenths: scored,
        total_tenths: total,
        band_index,
        band,
    })
}

/// What follows an accepted evaluation, and the renewal it opens (for a completed project).
///
/// | stage    | attempt           | band            | consequence     |
/// |----------|-------------------|-----------------|-----------------|
/// | mid-term | first             | pass            | release mid-term|
/// | mid-term | first             | rectify or fail | rectify         |
/// | mid-term | re-evaluation     | pass            | release mid-term|
/// | mid-term | re-evaluation     | rectify or fail | terminate       |
/// | final    | first             | pass            | complete        |
/// | final    | first             | rectify         | rectify         |
/// | final    | first             | fail            | withhold and bar|
/// | final    | re-evaluation     | pass            | complete        |
/// | final    | re-evaluation     | rectify or fail | withhold and bar|
///
/// Renewal after completion: the top band (优秀) by fast track, the second (良好) through
/// normal review, anything lower none; a completion after rectification renews normally
/// at best.
pub fn consequence(
    stage: Stage,
    reevaluation: bool,
    band_index: usize,
    band: &GradeBand,
) -> (Consequence, Renewal) {
    let passed = band.pass && !band.rectify;
    match (stage, reevaluation, passed, band.rectify) {
        (Stage::Midterm, _, true, _) => (Consequence::ReleaseMidterm, Renewal::NoRenewal),
        (Stage::Midterm, false, false, _) => (Consequence::Rectify, Renewal::NoRenewal),
        (Stage::Midterm, true, false, _) => (Consequence::Terminate, Renewal::NoRenewal),
        (Stage::Final, re, true, _) => {
            let renewal = match (band_index, re) {
                (0, false) => Renewal::FastTrack,
                (0, true) | (1, _) => Renewal::Normal,
                _ => Renewal::NoRenewal,
            };
            (Consequence::Complete, renewal)
        }
        (Stage::Final, false, false, true) => (Consequence::Rectify, Renewal::NoRenewal),
        (Stage::Final, _, false, _) => (Consequence::WithholdAndBar, Renewal::NoRenewal),
    }
}

/// The consequences an officer may choose instead at a stage (an override needs a reason).
pub fn allowed_at(stage: Stage) -> &'static [Consequence] {
    match stage {
        Stage::Midterm => &[
            Consequence::ReleaseMidterm,
            Consequence::Rectify,
            Consequence::Terminate,
        ],
        Stage::Final => &[
            Consequence::Complete,
            Consequence::Rectify,
            Consequence::WithholdAndBar,
            Consequence::Terminate,
        ],
    }
}

/// What is known of an agency and an NGO to tell whether they are related.
pub struct Parties<'a> {
    pub agency_uscc: Option<&'a str>,
    pub agency_legal_rep: &'a str,
    pub ngo_name: &'a str,
    pub ngo_uscc: Option<&'a str>,
    pub ngo_legal_rep: &'a str,
    /// The evaluator's declared affiliations.
    pub affiliations: &'a [Affiliation],
}

/// An agency may not evaluate an NGO it is related to: the same USCC, the same legal
/// representative, or an affiliation the evaluator declared within 3 years.
pub fn related(p: &Parties, today: NaiveDate) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<String>().to_uppercase();
    let same_code = matches!((p.agency_uscc, p.ngo_uscc), (Some(a), Some(b)) if !a.trim().is_empty() && norm(a) == norm(b));
    let same_rep =
        !p.agency_legal_rep.trim().is_empty() && norm(p.agency_legal_rep) == norm(p.ngo_legal_rep);
    same_code || same_rep || has_conflict(p.affiliations, p.ngo_name, p.ngo_uscc, today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::round::RoundRules;

    fn bands_with_rectify() -> Vec<GradeBand> {
        let mut b = RoundRules::default().grade_bands;
        // 优秀 90, 良好 80, 合格 60, 基本合格 50 (rectify), 不合格 0
        b.insert(
            3,
            GradeBand {
                name: "基本合格".into(),
                min_score: 50,
                pass: true,
                rectify: true,
            },
        );
        b
    }

    #[test]
    fn every_grade_stage_and_attempt_has_its_consequence() {
        use Consequence::*;
        use Renewal::*;
        let bands = bands_with_rectify();
        // (stage, re-evaluation, total) → (consequence, renewal)
        let table: &[(Stage, bool, i32, Consequence, Renewal)] = &[
            (Stage::Midterm, false, 950, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, false, 850, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, false, 650, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, false, 550, Rectify, NoRenewal),
            (Stage::Midterm, false, 300, Rectify, NoRenewal),
            (Stage::Midterm, true, 950, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, true, 850, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, true, 650, ReleaseMidterm, NoRenewal),
            (Stage::Midterm, true, 550, Terminate, NoRenewal),
            (Stage::Midterm, true, 300, Terminate, NoRenewal),
            (Stage::Final, false, 950, Complete, FastTrack),
            (Stage::Final, false, 850, Complete, Normal),
            (Stage::Final, false, 650, Complete, NoRenewal),
            (Stage::Final, false, 550, Rectify, NoRenewal),
            (Stage::Final, false, 300, WithholdAndBar, NoRenewal),
            (Stage::Final, true, 950, Complete, Normal),
            (Stage::Final, true, 850, Complete, Normal),
            (Stage::Final, true, 650, Complete, NoRenewal),
            (Stage::Final, true, 550, WithholdAndBar, NoRenewal),
            (Stage::Final, true, 300, WithholdAndBar, NoRenewal),
        ];
        for (stage, re, total, want, renewal) in table {
            let (i, band) = band_of(*total, &bands).unwrap();
            assert_eq!(
                consequence(*stage, *re, i, band),
                (*want, *renewal),
                "{stage:?} re={re} total={total} band={}",
                band.name
            );
            assert!(allowed_at(*stage).contains(want));
        }
    }

    #[test]
    fn bands_apply_to_the_exact_total_and_show_their_edges() {
        let bands = RoundRules::default().grade_bands;
        // (total tenths) → band, at and around every edge
        let table: &[(i32, &str)] = &[
            (1000, "优秀"),
            (900, "优秀"),
            (899, "良好"),
            (800, "良好"),
            (799, "合格"),
            (600, "合格"),
            (599, "不合格"),
            (1, "不合格"),
            (0, "不合格"),
        ];
        for (t, want) in table {
            assert_eq!(band_of(*t, &bands).unwrap().1.name, *want, "{t}");
        }
        assert_eq!(
            bands_text(&bands),
            "优秀 ≥ 90.0，良好 80.0–89.9，合格 60.0–79.9，不合格 < 60.0"
        );
        assert_eq!(
            bands_text(&bands_with_rectify()),
            "优秀 ≥ 90.0，良好 80.0–89.9，合格 60.0–79.9，基本合格 50.0–59.9，不合格 < 50.0"
        );
        assert_eq!(band_edges(&bands)[1], ("良好".to_string(), 800, Some(899)));
    }

    fn one_score(total: i32) -> EvaluationContent {
        EvaluationContent {
            scores: vec![IndicatorScore {
                score: Some(total),
                comment: String::new(),
            }],
            ..EvaluationContent::default()
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Submitted at `hh:mm` Beijing time on `date` (stored in UTC).
    fn at_beijing(date: &str, hh: u32, mm: u32) -> NaiveDateTime {
        d(date).and_hms_opt(hh, mm, 0).unwrap() - chrono::Duration::hours(8)
    }

    #[test]
    fn lateness_is_derived_from_due_dates_and_beijing_submission_dates() {
        let today = d("2027-08-01");
        let due = d("2027-06-30");
        // (submitted, days late): on time, on the due date (even at 23:59 Beijing, which is
        // 15:59 UTC), one day late from 00:00 Beijing (16:00 UTC the day before), missing.
        let table: &[(Option<NaiveDateTime>, i64)] = &[
            (Some(at_beijing("2027-06-20", 10, 0)), 0),
            (Some(at_beijing("2027-06-30", 0, 0)), 0),
            (Some(at_beijing("2027-06-30", 23, 59)), 0),
            (Some(at_beijing("2027-07-01", 0, 0)), 1),
            (Some(at_beijing("2027-07-01", 7, 59)), 1),
            (Some(at_beijing("2027-07-04", 12, 0)), 4),
            (None, 32),
        ];
        for (at, want) in table {
            assert_eq!(days_late(due, *at, today), *want, "{at:?}");
        }
        // Not yet due and not filed: not late.
        assert_eq!(days_late(d("2027-09-01"), None, today), 0);
    }

    #[test]
    fn each_late_materials_setting_has_its_effect() {
        let bands = RoundRules::default().grade_bands;
        let today = d("2027-08-01");
        let due = d("2027-06-30");
        let report = |days: i64| MaterialDue {
            title: "中期".into(),
            due_on: due,
            submitted_at: Some(at_beijing("2027-06-30", 9, 0) + chrono::Duration::days(days)),
        };
        let rule = |effect: LateEffect, deduct: i32, grace: i32| LateMaterials {
            effect,
            deduct_tenths: deduct,
            grace_days: grace,
        };
        use LateEffect::*;
        // (rule, days late of each report, scored total) → (deduction, fails, total, grade)
        type Row<'a> = (LateMaterials, &'a [i64], i32, i32, bool, i32, &'a str);
        let table: &[Row] = &[
            // on time and on the due date: nothing, whatever the rule
            (rule(Fail, 50, 0), &[0], 950, 0, false, 950, "优秀"),
            (rule(Deduct, 50, 0), &[0, 0], 950, 0, false, 950, "优秀"),
            // one day late
            (rule(Fail, 50, 0), &[1], 950, 0, true, 950, "不合格"),
            (rule(Deduct, 50, 0), &[1], 950, 50, false, 900, "优秀"),
            (rule(Deduct, 51, 0), &[1], 950, 51, false, 899, "良好"),
            (rule(NoEffect, 50, 0), &[1], 950, 0, false, 950, "优秀"),
            // within the grace period, and one day beyond it
            (rule(Fail, 50, 3), &[3], 950, 0, false, 950, "优秀"),
            (rule(Fail, 50, 3), &[4], 950, 0, true, 950, "不合格"),
            (rule(Deduct, 50, 3), &[3, 4], 950, 50, false, 900, "优秀"),
            // a deduction per late report, and never below zero
            (rule(Deduct, 50, 0), &[2, 9], 950, 100, false, 850, "良好"),
            (rule(Deduct, 300, 0), &[1, 1], 400, 600, false, 0, "不合格"),
        ];
        for (r, days, scored, deduction, fails, total, band) in table {
            let materials: Vec<MaterialDue> = days.iter().map(|x| report(*x)).collect();
            let late = lateness(r, &materials, today);
            assert_eq!(
                (late.deduction_tenths, late.fails),
                (*deduction, *fails),
                "{r:?} {days:?}"
            );
            assert_eq!(late.reports.len(), days.iter().filter(|x| **x > 0).count());
            let g = grade(&one_score(*scored), &bands, &late).unwrap();
            assert_eq!(
                (g.scored_tenths, g.total_tenths, g.band.name.as_str()),
                (*scored, *total, *band),
                "{r:?} {days:?}"
            );
            assert_eq!(
                late.reason().is_some(),
                days.iter().any(|x| *x > i64::from(r.grace_days))
            );
        }
        let late = lateness(&rule(Fail, 50, 0), &[report(1)], today);
        assert_eq!(
            late.reason().unwrap().render(crate::i18n::Lang::Zh),
            "1 份报告逾期（宽限 0 天）：按不合格处理"
        );
        let late = lateness(&rule(Deduct, 25, 0), &[report(1), report(2)], today);
        assert_eq!(
            late.reason().unwrap().render(crate::i18n::Lang::En),
            "2 reports late (grace 0 days): 5 points deducted"
        );
        // A missing report past its due date is late until it is filed.
        let missing = MaterialDue {
            submitted_at: None,
            ..report(0)
        };
        let late = lateness(&rule(Fail, 50, 0), &[missing], today);
        assert_eq!(late.reports[0].days_late, 32);
        assert_eq!(late.reports[0].filed_on, None);
        assert!(late.fails);
    }

    #[test]
    fn a_mid_term_covers_what_is_due_by_it_and_a_final_the_rest() {
        let (mid, fin) = (d("2027-06-30"), d("2027-12-31"));
        let table: &[(Stage, &str, Option<NaiveDate>, bool)] = &[
            (Stage::Midterm, "2027-06-30", None, true),
            (Stage::Midterm, "2027-07-01", None, false),
            (Stage::Final, "2027-06-30", Some(mid), false),
            (Stage::Final, "2027-07-01", Some(mid), true),
            (Stage::Final, "2027-03-01", None, true),
        ];
        for (stage, due, midterm_due, want) in table {
            let eval_due = if *stage == Stage::Midterm { mid } else { fin };
            assert_eq!(
                covers(*stage, d(due), eval_due, *midterm_due),
                *want,
                "{stage:?} {due}"
            );
        }
    }

    #[test]
    fn a_panel_total_is_the_mean_of_its_members_rounded_half_up() {
        // (member totals) → mean
        let table: &[(&[i32], i32)] = &[
            (&[], 0),
            (&[873], 873),
            (&[873, 874], 874),
            (&[873, 873], 873),
            (&[871, 872, 874], 872),
            (&[870, 871, 873], 871),
            (&[900, 899], 900),
            (&[899, 898], 899),
            (&[855, 872, 891], 873),
        ];
        for (totals, want) in table {
            assert_eq!(mean_half_up(totals), *want, "{totals:?}");
        }
        let bands = RoundRules::default().grade_bands;
        let sheet = |name: &str, a: i32, b: i32| MemberSheet {
            name: name.into(),
            scores: vec![Some(a), Some(b)],
        };
        let c = EvaluationContent {
            scores: vec![IndicatorScore::default(), IndicatorScore::default()],
            members: vec![
                sheet("张评", 451, 448),
                sheet("李核", 450, 449),
                sheet("王审", 450, 450),
            ],
            ..EvaluationContent::default()
        };
        // totals 899, 899, 900 → 899.33 → 899: 良好, the band's edge applied to the tenth
        assert_eq!(c.total_tenths(), 899);
        let g = grade(&c, &bands, &Lateness::default()).unwrap();
        assert_eq!(g.band.name, "良好");
        assert_eq!(c.indicator_tenths(0), Some(450));
        assert_eq!(c.indicator_tenths(1), Some(449));
    }

    #[test]
    fn filings_are_checked_field_by_field() {
        let rubric = RoundRules::default().evaluation_criteria;
        let mut c = EvaluationContent {
            scores: rubric
                .iter()
                .map(|r| IndicatorScore {
                    score: Some(r.max_points * 10),
                    comment: String::new(),
                })
                .collect(),
            verified: vec![VerifiedCount {
                group: "elderly".into(),
                unique_people: 40,
            }],
            satisfaction_pct: Some(96),
            findings: "服务记录完整。".into(),
            recommendation: Some(Recommendation::Renew),
            members: Vec::new(),
            ..EvaluationContent::default()
        };
        assert!(check_filing(&c, &rubric, 1, true).is_empty());
        assert_eq!(c.total_tenths(), 1000);
        c.scores[0].score = Some(153);
        c.scores[1].score = None;
        c.verified[0].unique_people = -1;
        c.satisfaction_pct = Some(101);
        c.findings = " ".into();
        c.recommendation = None;
        let e = check_filing(&c, &rubric, 1, false);
        for f in [
            "scores.0",
            "scores.1",
            "verified.elderly",
            "satisfaction_pct",
            "findings",
            "recommendation",
            "file",
        ] {
            assert!(e.has(f), "{f}");
        }
        c.scores.pop();
        assert!(check_filing(&c, &rubric, 1, true).has("scores"));
    }

    #[test]
    fn scores_go_by_the_rounds_step() {
        let rubric = RoundRules::default().evaluation_criteria;
        let content = |v: i32| EvaluationContent {
            scores: rubric
                .iter()
                .enumerate()
                .map(|(i, _)| IndicatorScore {
                    score: Some(if i == 0 { v } else { 50 }),
                    comment: String::new(),
                })
                .collect(),
            ..EvaluationContent::default()
        };
        // (score tenths, step tenths) → refused with the step's message
        let table: &[(i32, i32, Option<&str>)] = &[
            (123, 1, None),
            (123, 5, Some("评分须为 0.5 的整数倍。")),
            (125, 5, None),
            (125, 10, Some("评分须为 1 的整数倍。")),
            (120, 10, None),
            (151, 1, Some("得分应在 0 至 15 之间。")),
        ];
        for (v, step, want) in table {
            let e = check_filing(&content(*v), &rubric, *step, true);
            assert_eq!(
                e.get("scores.0", crate::i18n::Lang::Zh),
                want.map(str::to_string),
                "{v} step {step}"
            );
        }
    }

    #[test]
    fn a_panel_files_member_sheets_checked_one_by_one() {
        let rubric = RoundRules::default().evaluation_criteria;
        let sheet = |name: &str, v: i32| MemberSheet {
            name: name.into(),
            scores: rubric.iter().map(|_| Some(v)).collect(),
        };
        let mut c = EvaluationContent {
            scores: rubric.iter().map(|_| IndicatorScore::default()).collect(),
            satisfaction_pct: Some(90),
            findings: "良好".into(),
            recommendation: Some(Recommendation::Renew),
            members: vec![sheet("张评", 91), sheet("李核", 93)],
            ..EvaluationContent::default()
        };
        assert!(check_filing(&c, &rubric, 1, true).is_empty());
        assert_eq!(c.total_tenths(), 460);
        c.members[1].name = " 张评 ".into();
        c.members[0].scores[2] = Some(201);
        c.members[1].scores[3] = None;
        c.scores[4].score = Some(50);
        let e = check_filing(&c, &rubric, 1, true);
        for f in [
            "members.1.name",
            "members.0.scores.2",
            "members.1.scores.3",
            "scores.4",
        ] {
            assert!(e.has(f), "{f}: {e:?}");
        }
        c.members.truncate(1);
        assert!(check_filing(&c, &rubric, 1, true).has("members"));
    }

    #[test]
    fn stored_filings_with_the_old_late_box_still_read() {
        let c: EvaluationContent =
            serde_json::from_str(r#"{"scores": [{"score": 900}], "materials_late": true}"#)
                .unwrap();
        assert_eq!(c.total_tenths(), 900);
        assert!(c.members.is_empty());
    }

    #[test]
    fn related_agencies_are_refused() {
        let today = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        let base = Parties {
            agency_uscc: Some("51320500MJ0000001X"),
            agency_legal_rep: "张评",
            ngo_name: "阳光社工",
            ngo_uscc: Some("52320500MJ0000002Y"),
            ngo_legal_rep: "王芳",
            affiliations: &[],
        };
        assert!(!related(&base, today));
        assert!(related(
            &Parties {
                agency_legal_rep: "王 芳",
                ..base
            },
            today
        ));
        assert!(related(
            &Parties {
                agency_uscc: Some("52320500MJ0000002Y"),
                ..base
            },
            today
        ));
        let aff = [Affiliation {
            org_name: "阳光社工".into(),
            uscc: None,
            role: "顾问".into(),
            until: None,
        }];
        assert!(related(
            &Parties {
                affiliations: &aff,
                ..base
            },
            today
        ));
    }
}
