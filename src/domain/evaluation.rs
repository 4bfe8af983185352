//! Third-party evaluation (DESIGN §2.6): the evaluator's filing and its checks, the grade
//! from the round's bands, and the rule engine that decides what follows an accepted
//! evaluation — table-tested for every grade × stage × attempt.

use chrono::NaiveDate;

use super::assignment::{has_conflict, Affiliation};
use super::review::check_score;
use super::round::{Criterion, GradeBand};
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
    /// The NGO handed in what the evaluation needs late or not at all: counts as a fail
    /// (Ningbo Haishu practice).
    pub materials_late: bool,
}

impl EvaluationContent {
    pub fn total_tenths(&self) -> i32 {
        self.scores.iter().filter_map(|s| s.score).sum()
    }
    pub fn verified_of(&self, group: &str) -> i64 {
        self.verified
            .iter()
            .filter(|v| v.group == group)
            .map(|v| v.unique_people)
            .sum()
    }
}

/// Checks a filing for submission, field by field (`scores.N`, `verified.N`,
/// `satisfaction_pct`, `findings`, `recommendation`, `file`).
pub fn check_filing(
    c: &EvaluationContent,
    rubric: &[Criterion],
    has_report_file: bool,
) -> FieldErrors {
    let mut e = FieldErrors::new();
    if c.scores.len() != rubric.len() {
        e.add(
            "scores",
            Msg::new("field.scores_count").arg("count", rubric.len()),
        );
    }
    for (i, (s, crit)) in c.scores.iter().zip(rubric).enumerate() {
        let field = format!("scores.{i}");
        match s.score {
            None => e.add(field, Msg::new("field.required")),
            Some(v) => {
                if let Err(err) = check_score(v, crit.max_points) {
                    e.add(field, Msg::new(err.key()).arg("max", crit.max_points));
                }
            }
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

/// The grade of an evaluation: its band, or the lowest band when the NGO's materials were
/// late or missing.
pub fn grade<'a>(c: &EvaluationContent, bands: &'a [GradeBand]) -> Option<(usize, &'a GradeBand)> {
    if c.materials_late {
        return bands.iter().enumerate().next_back();
    }
    band_of(c.total_tenths(), bands)
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
    fn bands_by_total_and_late_materials_fail() {
        let bands = RoundRules::default().grade_bands;
        let names: Vec<&str> = [1000, 900, 899, 800, 600, 599, 0]
            .iter()
            .map(|t| band_of(*t, &bands).unwrap().1.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["优秀", "优秀", "良好", "良好", "合格", "不合格", "不合格"]
        );
        let mut c = EvaluationContent {
            scores: vec![IndicatorScore {
                score: Some(950),
                comment: String::new(),
            }],
            ..EvaluationContent::default()
        };
        assert_eq!(grade(&c, &bands).unwrap().1.name, "优秀");
        c.materials_late = true;
        assert_eq!(grade(&c, &bands).unwrap().1.name, "不合格");
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
            materials_late: false,
        };
        assert!(check_filing(&c, &rubric, true).is_empty());
        assert_eq!(c.total_tenths(), 1000);
        c.scores[0].score = Some(153);
        c.scores[1].score = None;
        c.verified[0].unique_people = -1;
        c.satisfaction_pct = Some(101);
        c.findings = " ".into();
        c.recommendation = None;
        let e = check_filing(&c, &rubric, false);
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
        assert!(check_filing(&c, &rubric, true).has("scores"));
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
