//! Reviewer assignment (DESIGN §2.3): conflicts of interest and load-balanced automatic
//! assignment. Pure functions.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::limits;

str_enum!(
    /// The life of one review.
    ReviewStatus {
        Assigned = "assigned",
        Accepted = "accepted",
        DeclinedConflict = "declined_conflict",
        Submitted = "submitted",
    }
);

impl ReviewStatus {
    /// Counts towards the proposal's reviewers (a declined slot does not).
    pub fn holds_slot(self) -> bool {
        self != ReviewStatus::DeclinedConflict
    }
}

str_enum!(
    /// A reviewer's recommendation.
    Recommendation { Fund = "fund", FundReduced = "fund_reduced", DoNotFund = "do_not_fund" }
);

/// One criterion of a review as saved: a score in tenths (none while a draft) and a comment.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct CriterionScore {
    pub score: Option<i32>,
    #[serde(default)]
    pub comment: String,
}

/// A review's criterion scores as stored beside its content for the ranking
/// (`reviews.score_list`): tenths in rubric order, each followed by a comma, an empty item
/// for a criterion not scored (`"160,170,,"`).
pub fn score_list(criteria: &[CriterionScore]) -> String {
    let mut out = String::with_capacity(criteria.len() * 4);
    for c in criteria {
        if let Some(score) = c.score {
            out.push_str(&score.to_string());
        }
        out.push(',');
    }
    out
}

/// The scores of a [`score_list`], in rubric order (an item that is not a number reads as
/// not scored).
pub fn parse_score_list(list: &str) -> Vec<Option<i32>> {
    list.split_terminator(',')
        .map(|item| item.parse().ok())
        .collect()
}

/// A review's content as the reviewer writes it.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct ReviewContent {
    /// One per rubric criterion, in rubric order.
    pub criteria: Vec<CriterionScore>,
    pub overall_comment: String,
    pub recommendation: Option<Recommendation>,
}

/// Checks a review against the rubric: every given score in range and on the round's review
/// step (tenths); with `complete`, every score, the overall comment and the recommendation
/// are required too.
pub fn check_review_content(
    c: &ReviewContent,
    rubric: &[crate::domain::round::Criterion],
    step_tenths: i32,
    complete: bool,
) -> crate::error::FieldErrors {
    use crate::i18n::Msg;
    let mut e = crate::error::FieldErrors::new();
    if c.criteria.len() != rubric.len() {
        e.add(
            "scores",
            Msg::new("field.scores_count").arg("count", rubric.len()),
        );
        return e;
    }
    for (i, (s, cr)) in c.criteria.iter().zip(rubric).enumerate() {
        match s.score {
            Some(v) => {
                if let Err(err) = crate::domain::review::check_score(v, cr.max_points, step_tenths)
                {
                    e.add(
                        format!("scores[{i}]"),
                        crate::domain::review::score_msg(err, cr.max_points, step_tenths),
                    );
                }
            }
            None if complete => e.add(format!("scores[{i}]"), Msg::new("field.required")),
            None => {}
        }
        limits::check(
            &mut e,
            &format!("comments[{i}]"),
            &s.comment,
            limits::REVIEW_COMMENT,
        );
    }
    limits::check(
        &mut e,
        "overall_comment",
        &c.overall_comment,
        limits::REVIEW_COMMENT,
    );
    if complete && c.overall_comment.trim().is_empty() {
        e.add("overall_comment", Msg::new("field.required"));
    }
    if complete && c.recommendation.is_none() {
        e.add("recommendation", Msg::new("field.required"));
    }
    e
}

/// An organization a reviewer worked for or advised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Affiliation {
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub uscc: Option<String>,
    #[serde(default)]
    pub role: String,
    /// Last day of the relation; none while it lasts.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

/// How far back an affiliation counts as a conflict.
pub const CONFLICT_YEARS: u32 = 3;

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Whether a reviewer with these affiliations has a known conflict with the applicant
/// organization: the same code, or the same name, within the last three years.
pub fn has_conflict(
    affiliations: &[Affiliation],
    org_name: &str,
    org_uscc: Option<&str>,
    today: NaiveDate,
) -> bool {
    let cutoff = today
        .checked_sub_months(chrono::Months::new(12 * CONFLICT_YEARS))
        .unwrap_or(today);
    affiliations.iter().any(|a| {
        let recent = a.until.is_none_or(|u| u >= cutoff);
        let same_code = matches!((a.uscc.as_deref(), org_uscc), (Some(x), Some(y)) if !x.trim().is_empty() && norm(x) == norm(y));
        let same_name = !a.org_name.trim().is_empty() && norm(&a.org_name) == norm(org_name);
        recent && (same_code || same_name)
    })
}

/// A reviewer as the assignment sees them.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub reviewer_id: i64,
    pub expertise: Vec<String>,
    /// Reviews already held in this round.
    pub load: usize,
}

/// A proposal waiting for reviewers.
#[derive(Debug, Clone)]
pub struct Slotted {
    pub proposal_id: i64,
    pub category: String,
    /// Reviewers it still needs.
    pub open_slots: usize,
}

/// Fills open slots: each proposal gets reviewers with the lowest load first, preferring
/// those whose expertise matches its category, never one in `excluded` (conflicts, and
/// reviewers who already hold or declined a review of it). Greedy over the proposals in
/// order, so loads stay within one of each other whenever conflicts allow.
pub fn auto_assign(
    proposals: &[Slotted],
    reviewers: &[Candidate],
    excluded: &HashSet<(i64, i64)>,
) -> Vec<(i64, i64)> {
    let mut load: HashMap<i64, usize> = reviewers.iter().map(|r| (r.reviewer_id, r.load)).collect();
    let mut out = Vec::new();
    for p in proposals {
        let mut pool: Vec<&Candidate> = reviewers
            .iter()
            .filter(|r| !excluded.contains(&(p.proposal_id, r.reviewer_id)))
            .collect();
        for _ in 0..p.open_slots {
            pool.sort_by_key(|r| {
                (
                    load[&r.reviewer_id],
                    !r.expertise.iter().any(|e| e == &p.category),
                    r.reviewer_id,
                )
            });
            let Some(pick) = pool.first().copied() else {
                break;
            };
            pool.remove(0);
            *load.get_mut(&pick.reviewer_id).expect("known reviewer") += 1;
            out.push((p.proposal_id, pick.reviewer_id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_score_list_keeps_every_criterion_scored_or_not() {
        let c = |score: Option<i32>| CriterionScore {
            score,
            comment: "有逗号,的评语".into(),
        };
        for criteria in [
            vec![],
            vec![c(None)],
            vec![c(Some(160)), c(Some(0)), c(None)],
            vec![c(None), c(Some(-5)), c(Some(1000))],
        ] {
            let list = score_list(&criteria);
            let scores: Vec<Option<i32>> = criteria.iter().map(|c| c.score).collect();
            assert_eq!(parse_score_list(&list), scores, "{list:?}");
        }
        assert_eq!(score_list(&[c(Some(160)), c(None)]), "160,,");
        assert_eq!(score_list(&[]), "");
    }

    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn conflicts_match_code_or_name_within_three_years() {
        let a = vec![
            Affiliation {
                org_name: "阳光社工服务中心".into(),
                uscc: None,
                role: "顾问".into(),
                until: Some(d("2024-06-30")),
            },
            Affiliation {
                org_name: "老单位".into(),
                uscc: Some("52320508MJ0000001X".into()),
                role: "理事".into(),
                until: Some(d("2020-01-01")),
            },
            Affiliation {
                org_name: "".into(),
                uscc: Some("52320508mj0000009y".into()),
                role: "员工".into(),
                until: None,
            },
        ];
        let today = d("2026-11-23");
        assert!(has_conflict(&a, "阳光社工服务中心", None, today));
        assert!(
            has_conflict(&a, "阳光 社工服务中心", Some("X"), today),
            "spacing ignored"
        );
        assert!(
            !has_conflict(&a, "老单位", Some("52320508MJ0000001X"), today),
            "more than three years ago"
        );
        assert!(
            has_conflict(&a, "别的名字", Some("52320508MJ0000009Y"), today),
            "same code, any case"
        );
        assert!(!has_conflict(
            &a,
            "无关机构",
            Some("52320508MJ0000002X"),
            today
        ));
    }

    #[test]
    fn a_review_is_checked_against_the_rubric() {
        let rubric = crate::domain::round::RoundRules::default().review_criteria;
        let mut c = ReviewContent {
            criteria: vec![CriterionScore::default(); rubric.len()],
            ..Default::default()
        };
        assert!(
            check_review_content(&c, &rubric, 5, false).is_empty(),
            "an empty draft is fine"
        );
        c.criteria[0].score = Some(205); // 20.5 of 20
        c.criteria[1].score = Some(173); // off the 0.5 step
        let e = check_review_content(&c, &rubric, 5, true);
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "scores[0]",
                "scores[1]",
                "scores[2]",
                "scores[3]",
                "scores[4]",
                "scores[5]",
                "overall_comment",
                "recommendation"
            ]
        );
        assert_eq!(e.0[0].msg.key, "field.score_range");
        assert_eq!(e.0[1].msg.key, "field.score_step");
    }

    #[test]
    fn expertise_breaks_ties_of_load() {
        let reviewers = vec![
            Candidate {
                reviewer_id: 1,
                expertise: vec![],
                load: 0,
            },
            Candidate {
                reviewer_id: 2,
                expertise: vec!["为老服务".into()],
                load: 0,
            },
        ];
        let p = vec![Slotted {
            proposal_id: 10,
            category: "为老服务".into(),
            open_slots: 1,
        }];
        assert_eq!(auto_assign(&p, &reviewers, &HashSet::new()), vec![(10, 2)]);
    }

    proptest! {
        #[test]
        fn assignment_balances_load_and_respects_exclusions(
            n_props in 1usize..40,
            n_rev in 1usize..12,
            per in 1usize..6,
            excl in proptest::collection::vec((0usize..40, 0usize..12), 0..30),
        ) {
            let reviewers: Vec<Candidate> = (0..n_rev).map(|i| Candidate { reviewer_id: i as i64, expertise: vec![], load: 0 }).collect();
            let proposals: Vec<Slotted> = (0..n_props).map(|i| Slotted { proposal_id: 100 + i as i64, category: "x".into(), open_slots: per }).collect();
            let excluded: HashSet<(i64, i64)> = excl.iter().map(|(p, r)| (100 + *p as i64, *r as i64)).collect();
            let pairs = auto_assign(&proposals, &reviewers, &excluded);
            let unique: HashSet<_> = pairs.iter().collect();
            prop_assert_eq!(unique.len(), pairs.len(), "no reviewer twice on a proposal");
            for pr in &pairs {
                prop_assert!(!excluded.contains(pr));
            }
            for p in &proposals {
                let got = pairs.iter().filter(|(pid, _)| *pid == p.proposal_id).count();
                let available = reviewers.iter().filter(|r| !excluded.contains(&(p.proposal_id, r.reviewer_id))).count();
                prop_assert_eq!(got, per.min(available));
            }
            if excluded.is_empty() {
                let mut loads = vec![0usize; n_rev];
                for (_, r) in &pairs { loads[*r as usize] += 1; }
                let (mn, mx) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
                prop_assert!(mx - mn <= 1, "loads {:?}", loads);
            }
        }
    }
}
