//! Pages of rounds: the officers' drafts, publishing and deadlines, and the public calls.

use crate::domain::change::{ChangeKind, ChangeRules};
use crate::domain::sample::SampleRules;
use crate::domain::target::{Indicator, TargetBand, TargetCategory, TargetRules};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

use super::filters;
use super::{form_done, render, render_status, versioned_form_done, AppState, FormErrors, PageCtx};
use crate::auth::csrf::CsrfForm;
use crate::db::rounds::RoundRow;
use crate::db::{self, now, rounds};
use crate::domain::money::Fen;
use crate::domain::org::RegType;
use crate::domain::review::tenths_text;
use crate::domain::round::{
    Aggregation, Criterion, FundingRule, GradeBand, LateEffect, LateMaterials, RoundCore,
    RoundRules, RoundStatus, TrancheCondition, TrancheRule,
};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::ops;
use crate::queries::audit::HistoryEntry;

/// The pages strangers read most (see [`super::routes`]).
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/calls", web::get().to(calls))
        .route("/calls/{id}", web::get().to(call));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/rounds", web::get().to(list))
        .route("/rounds", web::post().to(create))
        .route("/rounds/new", web::get().to(new_page))
        .route("/rounds/{id}", web::get().to(show))
        .route("/rounds/{id}/edit", web::get().to(edit_page))
        .route("/rounds/{id}/edit", web::post().to(update))
        .route("/rounds/{id}/publish", web::post().to(publish))
        .route("/rounds/{id}/deadlines", web::post().to(deadlines))
        .route("/calls/{id}/guide.pdf", web::get().to(guide_pdf));
}

/// Beijing time is UTC+8 (one constant for the product: the calendar's).
const CST_HOURS: i64 = crate::domain::calendar::BEIJING_UTC_OFFSET_HOURS;

/// `2026-12-01T09:00` typed in Beijing time → UTC.
pub fn parse_local(input: &str) -> Result<Option<NaiveDateTime>, Msg> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| Some(t - Duration::hours(CST_HOURS)))
        .ok_or_else(|| Msg::new("field.datetime_invalid"))
}

/// UTC → the value of a `datetime-local` input in Beijing time.
pub fn local_input(t: Option<NaiveDateTime>) -> String {
    t.map(|t| {
        crate::domain::calendar::utc_to_beijing(t)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

/// `80` or `80.5` (percent) → basis points.
fn parse_percent(s: &str) -> Result<i64, Msg> {
    let s = s.trim().trim_end_matches('%');
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() > 3
        || frac.len() > 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(Msg::new("field.percent_invalid"));
    }
    let frac = format!("{frac:0<2}");
    Ok(int
        .parse::<i64>()
        .map_err(|_| Msg::new("field.percent_invalid"))?
        * 100
        + frac.parse::<i64>().unwrap_or(0))
}

fn percent_text(bp: i64) -> String {
    if bp % 100 == 0 {
        (bp / 100).to_string()
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
            .trim_end_matches('0')
            .to_string()
    }
}

fn lines(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
}

/// `名称 分值` per line (a space, a tab or a colon between).
fn split_last(line: &str) -> Option<(String, &str)> {
    let line = line.trim();
    let idx = line.rfind(|c: char| c.is_whitespace() || c == ':' || c == '：')?;
    let name = line[..idx].trim().trim_end_matches([':', '：']).trim();
    let value =
        line[idx..].trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '：');
    (!name.is_empty()).then(|| (name.to_string(), value))
}

/// The round form as posted: all text, so nothing typed is lost.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RoundForm {
    pub version: String,
    pub title: String,
    pub year: String,
    pub description: String,
    pub total_budget: String,
    pub min_grant: String,
    pub max_grant: String,
    pub max_grant_share: String,
    pub personnel_max: String,
    pub admin_max: String,
    pub categories: String,
    pub type_social_group: Option<String>,
    pub type_social_service: Option<String>,
    pub type_foundation: Option<String>,
    pub type_community_filed: Option<String>,
    pub min_registered_months: String,
    pub inspection_years: String,
    pub max_proposals_per_org: String,
    pub exclude_previous_winners: Option<String>,
    pub review_criteria: String,
    pub reviewers_per_proposal: String,
    pub aggregation: String,
    pub fundable_threshold: String,
    pub divergence_gap: String,
    pub tie_break: String,
    pub evaluation_criteria: String,
    pub grade_bands: String,
    pub tranche_on_signing: String,
    pub tranche_after_midterm: String,
    pub tranche_after_final: String,
    pub opens_at: String,
    pub closes_at: String,
    pub review_due: String,
    pub notice_working_days: String,
    pub project_months: String,
    #[serde(default)]
    pub fail_bar_months: String,
    pub late_effect: String,
    pub late_deduct: String,
    pub late_grace_days: String,
    pub review_score_step: String,
    pub evaluation_score_step: String,
    pub funding_rule: String,
    pub supplementary_notice_days: String,
    /// Change requests (项目变更): set when the form showed these fields (a form of before
    /// them keeps the defaults).
    #[serde(default)]
    pub change_rules_shown: Option<String>,
    #[serde(default)]
    pub change_approval_extension: Option<String>,
    #[serde(default)]
    pub change_approval_budget: Option<String>,
    #[serde(default)]
    pub change_approval_content: Option<String>,
    #[serde(default)]
    pub change_approval_leader: Option<String>,
    #[serde(default)]
    pub change_approval_targets: Option<String>,
    #[serde(default)]
    pub change_max_extensions: String,
    #[serde(default)]
    pub change_max_extension_days: String,
    #[serde(default)]
    pub change_free_move: String,
    /// Beneficiary rosters: set when the form showed these fields (a form of before them
    /// keeps the defaults).
    #[serde(default)]
    pub roster_rules_shown: Option<String>,
    #[serde(default)]
    pub roster_required: Option<String>,
    #[serde(default)]
    pub roster_identity: String,
    #[serde(default)]
    pub roster_identity_required: Option<String>,
    #[serde(default)]
    pub roster_retention_months: String,
    /// The call-back sample (抽样回访); blank: the defaults (a form of before them).
    #[serde(default)]
    pub sample_rate: String,
    #[serde(default)]
    pub sample_min: String,
    #[serde(default)]
    pub sample_threshold: String,
    #[serde(default)]
    pub sample_scale: String,
    /// Performance targets (绩效目标): set when the form showed these fields (a form of
    /// before them keeps the defaults).
    #[serde(default)]
    pub target_rules_shown: Option<String>,
    #[serde(default)]
    pub target_required: Option<String>,
    /// `类别 指标 权重 [必填]` per line.
    #[serde(default)]
    pub target_indicators: String,
    /// `名称 分数` per line, top down.
    #[serde(default)]
    pub target_bands: String,
    #[serde(default)]
    pub target_evaluation_weight: String,
}

/// The indicator tree as the round form shows it: `产出指标 数量 20 必填` per line.
fn indicators_text(r: &TargetRules, lang: crate::i18n::Lang) -> String {
    r.indicators
        .iter()
        .map(|i| {
            let cat = crate::i18n::t(lang, i.category.label_key());
            if i.required {
                format!("{cat} {} {} 必填", i.name, i.weight)
            } else {
                format!("{cat} {} {}", i.name, i.weight)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the indicator tree typed in the round form; unreadable lines are reported.
fn parse_indicators(s: &str, e: &mut FieldErrors) -> Vec<Indicator> {
    let mut out = Vec::new();
    for (i, line) in lines(s) {
        let mut parts: Vec<&str> = line.split_whitespace().collect();
        let required = matches!(parts.last(), Some(&"必填") | Some(&"required"));
        if required {
            parts.pop();
        }
        let parsed = match parts.as_slice() {
            [cat, name @ .., weight] if !name.is_empty() => TargetCategory::read(cat)
                .zip(weight.parse::<i32>().ok())
                .map(|(category, weight)| Indicator {
                    category,
                    name: name.join(" "),
                    weight,
                    required,
                }),
            _ => None,
        };
        match parsed {
            Some(ind) => out.push(ind),
            None => e.add(
                "target_indicators",
                Msg::new("target.indicator_line").arg("line", i + 1),
            ),
        }
    }
    out
}

fn criteria_text(c: &[Criterion]) -> String {
    c.iter()
        .map(|c| format!("{} {}", c.name, c.max_points))
        .collect::<Vec<_>>()
        .join("\n")
}

impl RoundForm {
    pub fn from_round(core: &RoundCore, r: &RoundRules, version: i32) -> Self {
        let on = |b: bool| b.then(|| "on".to_string());
        let share = |cond: TrancheCondition| {
            r.tranches
                .iter()
                .filter(|t| t.condition == cond)
                .map(|t| t.share_bp)
                .sum::<i64>()
        };
        let money = super::filters::yuan_or_blank;
        RoundForm {
            version: version.to_string(),
            title: core.title.clone(),
            year: core.year.to_string(),
            description: core.description.clone(),
            total_budget: money(core.total_budget),
            min_grant: money(core.min_grant),
            max_grant: money(core.max_grant),
            max_grant_share: percent_text(r.max_grant_share_bp),
            personnel_max: percent_text(r.personnel_max_bp),
            admin_max: percent_text(r.admin_max_bp),
            categories: r.categories.join("\n"),
            type_social_group: on(r.allowed_reg_types.contains(&RegType::SocialGroup)),
            type_social_service: on(r.allowed_reg_types.contains(&RegType::SocialService)),
            type_foundation: on(r.allowed_reg_types.contains(&RegType::Foundation)),
            type_community_filed: on(r.allowed_reg_types.contains(&RegType::CommunityFiled)),
            min_registered_months: r.min_registered_months.to_string(),
            inspection_years: r.inspection_years.to_string(),
            max_proposals_per_org: r.max_proposals_per_org.to_string(),
            exclude_previous_winners: on(r.exclude_previous_winners),
            review_criteria: criteria_text(&r.review_criteria),
            reviewers_per_proposal: r.reviewers_per_proposal.to_string(),
            aggregation: r.aggregation.as_str().to_string(),
            fundable_threshold: r.fundable_threshold.to_string(),
            divergence_gap: r.divergence_gap.to_string(),
            tie_break: r.tie_break.clone().unwrap_or_default(),
            evaluation_criteria: criteria_text(&r.evaluation_criteria),
            grade_bands: r
                .grade_bands
                .iter()
                .map(|b| {
                    if b.rectify {
                        format!("{} {} 整改", b.name, b.min_score)
                    } else {
                        format!("{} {}", b.name, b.min_score)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            tranche_on_signing: percent_text(share(TrancheCondition::OnSigning)),
            tranche_after_midterm: percent_text(share(TrancheCondition::AfterMidterm)),
            tranche_after_final: percent_text(share(TrancheCondition::AfterFinal)),
            opens_at: local_input(core.opens_at),
            closes_at: local_input(core.closes_at),
            review_due: local_input(core.review_due),
            notice_working_days: r.notice_working_days.to_string(),
            project_months: r.project_months.to_string(),
            fail_bar_months: r.fail_bar_months.to_string(),
            late_effect: r.late_materials.effect.as_str().to_string(),
            late_deduct: tenths_text(r.late_materials.deduct_tenths),
            late_grace_days: r.late_materials.grace_days.to_string(),
            review_score_step: tenths_text(r.review_score_step),
            evaluation_score_step: tenths_text(r.evaluation_score_step),
            funding_rule: r.funding_rule.as_str().to_string(),
            supplementary_notice_days: r.supplementary_notice_days.to_string(),
            change_rules_shown: on(true),
            change_approval_extension: on(r.changes.approval.contains(&ChangeKind::Extension)),
            change_approval_budget: on(r.changes.approval.contains(&ChangeKind::Budget)),
            change_approval_content: on(r.changes.approval.contains(&ChangeKind::Content)),
            change_approval_leader: on(r.changes.approval.contains(&ChangeKind::Leader)),
            change_max_extensions: r.changes.max_extensions.to_string(),
            change_max_extension_days: r.changes.max_extension_days.to_string(),
            change_free_move: percent_text(r.changes.free_move_bp),
            change_approval_targets: on(r.changes.approval.contains(&ChangeKind::Targets)),
            target_rules_shown: on(true),
            target_required: on(r.targets.required),
            target_indicators: indicators_text(&r.targets, crate::i18n::Lang::Zh),
            target_bands: r
                .targets
                .bands
                .iter()
                .map(|b| format!("{} {}", b.name, b.min_score))
                .collect::<Vec<_>>()
                .join("\n"),
            target_evaluation_weight: r.targets.evaluation_weight.to_string(),
            sample_rate: percent_text(r.sampling.rate_bp),
            sample_min: r.sampling.min_per_group.to_string(),
            sample_threshold: percent_text(r.sampling.confirmed_threshold_bp),
            sample_scale: r.sampling.satisfaction_scale.to_string(),
            roster_rules_shown: on(true),
            roster_required: on(r.roster.required),
            roster_identity: r.roster.identity.as_str().to_string(),
            roster_identity_required: on(r.roster.identity_required),
            roster_retention_months: r.roster.retention_months.to_string(),
        }
    }

    /// Reads the form; every unreadable field is reported.
    pub fn parse(&self) -> Result<(RoundCore, RoundRules), FieldErrors> {
        let mut e = FieldErrors::new();
        for (field, text) in [
            ("categories", &self.categories),
            ("review_criteria", &self.review_criteria),
            ("evaluation_criteria", &self.evaluation_criteria),
            ("grade_bands", &self.grade_bands),
        ] {
            crate::domain::limits::check(&mut e, field, text, crate::domain::limits::RULE_LINES);
        }
        let mut int = |field: &str, s: &str| -> i32 {
            match s.trim().parse::<i32>() {
                Ok(v) => v,
                Err(_) => {
                    e.add(
                        field,
                        Msg::new(if s.trim().is_empty() {
                            "field.required"
                        } else {
                            "field.integer_invalid"
                        }),
                    );
                    0
                }
            }
        };
        let year = int("year", &self.year);
        let min_registered_months = int("min_registered_months", &self.min_registered_months);
        let inspection_years = int("inspection_years", &self.inspection_years);
        let max_proposals_per_org = int("max_proposals_per_org", &self.max_proposals_per_org);
        let reviewers_per_proposal = int("reviewers_per_proposal", &self.reviewers_per_proposal);
        let fundable_threshold = int("fundable_threshold", &self.fundable_threshold);
        let divergence_gap = int("divergence_gap", &self.divergence_gap);
        let notice_working_days = int("notice_working_days", &self.notice_working_days);
        let project_months = int("project_months", &self.project_months);
        let fail_bar_months = if self.fail_bar_months.trim().is_empty() {
            12
        } else {
            int("fail_bar_months", &self.fail_bar_months)
        };
        // Blank: off (a form from before the setting).
        let supplementary_notice_days = if self.supplementary_notice_days.trim().is_empty() {
            0
        } else {
            int("supplementary_notice_days", &self.supplementary_notice_days)
        };

        let change_defaults = ChangeRules::default();
        let change_max_extensions = if self.change_max_extensions.trim().is_empty() {
            change_defaults.max_extensions
        } else {
            int("change_max_extensions", &self.change_max_extensions)
        };
        let change_max_extension_days = if self.change_max_extension_days.trim().is_empty() {
            change_defaults.max_extension_days
        } else {
            int("change_max_extension_days", &self.change_max_extension_days)
        };
        let sample_defaults = SampleRules::default();
        let sample_min = if self.sample_min.trim().is_empty() {
            sample_defaults.min_per_group
        } else {
            int("sample_min", &self.sample_min)
        };
        let sample_scale = if self.sample_scale.trim().is_empty() {
            sample_defaults.satisfaction_scale
        } else {
            int("sample_scale", &self.sample_scale)
        };
        let roster_defaults = crate::domain::roster::RosterRules::default();
        let roster_retention_months = if self.roster_retention_months.trim().is_empty() {
            roster_defaults.retention_months
        } else {
            int("roster_retention_months", &self.roster_retention_months)
        };
        let late_grace_days = if self.late_grace_days.trim().is_empty() {
            LateMaterials::default().grace_days
        } else {
            int("late_grace_days", &self.late_grace_days)
        };
        // Points typed like scores ("5", "2.5"); a step is one of 0.1, 0.5 and 1. Left blank
        // (a form of before these settings), the default.
        let mut points = |field: &str, s: &str, default: i32| -> i32 {
            if s.trim().is_empty() {
                return default;
            }
            crate::domain::review::parse_tenths(s).unwrap_or_else(|err| {
                e.add(
                    field,
                    Msg::new(err.key()).arg("max", 100).arg("step", "0.1"),
                );
                default
            })
        };
        let late_deduct_tenths = points(
            "late_deduct",
            &self.late_deduct,
            LateMaterials::default().deduct_tenths,
        );
        let defaults = RoundRules::default();
        let review_score_step = points(
            "review_score_step",
            &self.review_score_step,
            defaults.review_score_step,
        );
        let evaluation_score_step = points(
            "evaluation_score_step",
            &self.evaluation_score_step,
            defaults.evaluation_score_step,
        );
        let late_effect = if self.late_effect.trim().is_empty() {
            LateMaterials::default().effect
        } else {
            LateEffect::parse(&self.late_effect).unwrap_or_else(|| {
                e.add("late_effect", Msg::new("field.choice_invalid"));
                LateEffect::Fail
            })
        };

        let mut money = |field: &str, s: &str| -> Fen {
            if s.trim().is_empty() {
                return Fen::ZERO;
            }
            Fen::parse_yuan(s).unwrap_or_else(|err| {
                e.add(field, Msg::new(err.key()));
                Fen::ZERO
            })
        };
        let total_budget = money("total_budget", &self.total_budget);
        let min_grant = money("min_grant", &self.min_grant);
        let max_grant = money("max_grant", &self.max_grant);

        let mut pct = |field: &str, s: &str| -> i64 {
            if s.trim().is_empty() {
                return 0;
            }
            parse_percent(s).unwrap_or_else(|m| {
                e.add(field, m);
                0
            })
        };
        let max_grant_share_bp = pct("max_grant_share", &self.max_grant_share);
        let personnel_max_bp = pct("personnel_max", &self.personnel_max);
        let admin_max_bp = pct("admin_max", &self.admin_max);
        let tranche_shares = [
            (
                TrancheCondition::OnSigning,
                pct("tranches", &self.tranche_on_signing),
            ),
            (
                TrancheCondition::AfterMidterm,
                pct("tranches", &self.tranche_after_midterm),
            ),
            (
                TrancheCondition::AfterFinal,
                pct("tranches", &self.tranche_after_final),
            ),
        ];

        let mut times = |field: &str, s: &str| -> Option<NaiveDateTime> {
            parse_local(s).unwrap_or_else(|m| {
                e.add(field, m);
                None
            })
        };
        let opens_at = times("opens_at", &self.opens_at);
        let closes_at = times("closes_at", &self.closes_at);
        let review_due = times("review_due", &self.review_due);

        let mut parse_criteria = |field: &str, s: &str| -> Vec<Criterion> {
            let mut out = Vec::new();
            for (i, line) in lines(s) {
                match split_last(line)
                    .and_then(|(name, v)| v.parse::<i32>().ok().map(|p| (name, p)))
                {
                    Some((name, max_points)) => out.push(Criterion { name, max_points }),
                    None => e.add(field, Msg::new("field.criterion_line").arg("line", i + 1)),
                }
            }
            out
        };
        let review_criteria = parse_criteria("review_criteria", &self.review_criteria);
        let evaluation_criteria = parse_criteria("evaluation_criteria", &self.evaluation_criteria);

        let mut grade_bands = Vec::new();
        for (i, line) in lines(&self.grade_bands) {
            let mut parts: Vec<&str> = line.split_whitespace().collect();
            let rectify = matches!(parts.last(), Some(&"整改") | Some(&"rectify"));
            if rectify {
                parts.pop();
            }
            match (
                parts.len() >= 2,
                parts.last().and_then(|v| v.parse::<i32>().ok()),
            ) {
                (true, Some(min_score)) => grade_bands.push(GradeBand {
                    name: parts[..parts.len() - 1].join(" "),
                    min_score,
                    pass: !rectify,
                    rectify,
                }),
                _ => e.add(
                    "grade_bands",
                    Msg::new("field.band_line").arg("line", i + 1),
                ),
            }
        }
        // The bottom band fails.
        if let Some(last) = grade_bands.last_mut() {
            if last.min_score == 0 {
                last.pass = false;
            }
        }

        let aggregation = Aggregation::parse(&self.aggregation).unwrap_or_else(|| {
            e.add("aggregation", Msg::new("field.choice_invalid"));
            Aggregation::TrimmedMean
        });
        let funding_rule = if self.funding_rule.trim().is_empty() {
            FundingRule::default()
        } else {
            FundingRule::parse(&self.funding_rule).unwrap_or_else(|| {
                e.add("funding_rule", Msg::new("field.choice_invalid"));
                FundingRule::default()
            })
        };
        let change_free_move_bp = if self.change_free_move.trim().is_empty() {
            change_defaults.free_move_bp
        } else {
            parse_percent(&self.change_free_move).unwrap_or_else(|m| {
                e.add("change_free_move", m);
                0
            })
        };
        let mut percent_or = |field: &str, s: &str, default: i64| -> i64 {
            if s.trim().is_empty() {
                return default;
            }
            parse_percent(s).unwrap_or_else(|m| {
                e.add(field, m);
                0
            })
        };
        let sampling = SampleRules {
            rate_bp: percent_or("sample_rate", &self.sample_rate, sample_defaults.rate_bp),
            min_per_group: sample_min,
            confirmed_threshold_bp: percent_or(
                "sample_threshold",
                &self.sample_threshold,
                sample_defaults.confirmed_threshold_bp,
            ),
            satisfaction_scale: sample_scale,
        };
        let change_approval = if self.change_rules_shown.is_some() {
            [
                (ChangeKind::Extension, &self.change_approval_extension),
                (ChangeKind::Budget, &self.change_approval_budget),
                (ChangeKind::Content, &self.change_approval_content),
                (ChangeKind::Leader, &self.change_approval_leader),
                (ChangeKind::Targets, &self.change_approval_targets),
            ]
            .into_iter()
            .filter(|(_, on)| on.is_some())
            .map(|(k, _)| k)
            .collect()
        } else {
            change_defaults.approval
        };
        let targets = if self.target_rules_shown.is_some() {
            let indicators = parse_indicators(&self.target_indicators, &mut e);
            let mut bands = Vec::new();
            for (i, line) in lines(&self.target_bands) {
                match split_last(line).and_then(|(name, v)| Some((name, v.parse::<i32>().ok()?))) {
                    Some((name, min_score)) => bands.push(TargetBand { name, min_score }),
                    None => e.add(
                        "target_bands",
                        Msg::new("target.band_line").arg("line", i + 1),
                    ),
                }
            }
            let evaluation_weight = if self.target_evaluation_weight.trim().is_empty() {
                0
            } else {
                self.target_evaluation_weight
                    .trim()
                    .parse::<i32>()
                    .unwrap_or_else(|_| {
                        e.add(
                            "target_evaluation_weight",
                            Msg::new("field.integer_invalid"),
                        );
                        0
                    })
            };
            TargetRules {
                required: self.target_required.is_some(),
                indicators,
                bands,
                evaluation_weight,
            }
        } else {
            TargetRules::default()
        };
        let roster_identity = if self.roster_identity.trim().is_empty() {
            roster_defaults.identity
        } else {
            crate::domain::roster::IdentityRule::parse(&self.roster_identity).unwrap_or_else(|| {
                e.add("roster_identity", Msg::new("field.choice_invalid"));
                roster_defaults.identity
            })
        };
        let roster = if self.roster_rules_shown.is_some() {
            crate::domain::roster::RosterRules {
                required: self.roster_required.is_some(),
                identity: roster_identity,
                identity_required: self.roster_identity_required.is_some(),
                retention_months: roster_retention_months,
            }
        } else {
            crate::domain::roster::RosterRules {
                retention_months: roster_retention_months,
                identity: roster_identity,
                ..roster_defaults
            }
        };
        let allowed_reg_types = [
            (RegType::SocialGroup, &self.type_social_group),
            (RegType::SocialService, &self.type_social_service),
            (RegType::Foundation, &self.type_foundation),
            (RegType::CommunityFiled, &self.type_community_filed),
        ]
        .into_iter()
        .filter(|(_, on)| on.is_some())
        .map(|(t, _)| t)
        .collect();

        if !e.is_empty() {
            return Err(e);
        }
        let core = RoundCore {
            title: self.title.trim().to_string(),
            year,
            description: self.description.trim().to_string(),
            total_budget,
            min_grant,
            max_grant,
            opens_at,
            closes_at,
            review_due,
        };
        let rules = RoundRules {
            categories: lines(&self.categories)
                .map(|(_, l)| l.to_string())
                .collect(),
            max_grant_share_bp,
            personnel_max_bp,
            admin_max_bp,
            allowed_reg_types,
            min_registered_months,
            inspection_years,
            max_proposals_per_org,
            exclude_previous_winners: self.exclude_previous_winners.is_some(),
            review_criteria,
            reviewers_per_proposal,
            aggregation,
            fundable_threshold,
            divergence_gap,
            tie_break: Some(self.tie_break.trim().to_string()).filter(|s| !s.is_empty()),
            evaluation_criteria,
            grade_bands,
            tranches: tranche_shares
                .into_iter()
                .filter(|(_, bp)| *bp > 0)
                .map(|(condition, share_bp)| TrancheRule {
                    share_bp,
                    condition,
                })
                .collect(),
            notice_working_days,
            project_months,
            fail_bar_months,
            late_materials: LateMaterials {
                effect: late_effect,
                deduct_tenths: late_deduct_tenths,
                grace_days: late_grace_days,
            },
            review_score_step,
            evaluation_score_step,
            funding_rule,
            supplementary_notice_days,
            changes: ChangeRules {
                approval: change_approval,
                max_extensions: change_max_extensions,
                max_extension_days: change_max_extension_days,
                free_move_bp: change_free_move_bp,
            },
            targets,
            sampling,
            roster,
        };
        Ok((core, rules))
    }
}

/// A round with what its pages show about it.
pub struct RoundView {
    pub round: RoundRow,
    pub rules: RoundRules,
    pub bureau: String,
}

impl RoundView {
    pub fn load(c: &mut db::DbConn, round: RoundRow) -> Result<Self, AppError> {
        let bureau = rounds::bureau_name(c, round.bureau_id)?;
        let rules = round.rules();
        Ok(RoundView {
            round,
            rules,
            bureau,
        })
    }
    pub fn pct(&self, bp: &i64) -> String {
        format!("{}%", percent_text(*bp))
    }
    pub fn is(&self, status: &str) -> bool {
        self.round.status.as_str() == status
    }
    /// Points from tenths ("0.5").
    pub fn pts(&self, tenths: &i32) -> String {
        tenths_text(*tenths)
    }
    /// The grade bands with their edges, applied to the exact total.
    pub fn bands_text(&self) -> String {
        crate::domain::evaluation::bands_text(&self.rules.grade_bands)
    }
    /// Whole days and hours left before the deadline, for the countdown.
    pub fn time_left(&self) -> Option<(i64, i64)> {
        let left = self.round.closes_at? - now();
        (left > Duration::zero()).then(|| (left.num_days(), left.num_hours() % 24))
    }
}

#[derive(Template)]
#[template(path = "rounds/list.html")]
struct ListPage {
    ctx: PageCtx,
    rounds: Vec<crate::queries::rounds::RoundItem>,
}

async fn list(ctx: PageCtx, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let rounds = db::run(&state.pool, move |c| {
        crate::queries::rounds::managed(c, &actor)
    })
    .await?;
    render(&ListPage { ctx, rounds })
}

#[derive(Template)]
#[template(path = "rounds/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: RoundForm,
    errors: FormErrors,
    round_id: Option<i64>,
    aggregations: &'static [Aggregation],
    funding_rules: &'static [FundingRule],
}

async fn new_page(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?;
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    crate::auth::policy::require(actor, crate::auth::policy::Action::ManageRounds(bureau))?;
    use chrono::Datelike;
    let year = crate::db::today().year();
    let core = RoundCore {
        title: String::new(),
        year,
        description: String::new(),
        total_budget: Fen::ZERO,
        min_grant: Fen::ZERO,
        max_grant: Fen::ZERO,
        opens_at: None,
        closes_at: None,
        review_due: None,
    };
    let form = RoundForm::from_round(&core, &RoundRules::default(), 0);
    render(&FormPage {
        ctx,
        form,
        errors: FormErrors::default(),
        round_id: None,
        aggregations: Aggregation::ALL,
        funding_rules: FundingRule::ALL,
    })
}

async fn create(
    ctx: PageCtx,
    state: web::Data<AppState>,
    form: CsrfForm<RoundForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let form = form.0;
    let parsed = form.parse();
    let result = match parsed {
        Ok((core, rules)) => {
            db::run(&state.pool, move |c| {
                ops::rounds::create(c, &actor, &core, &rules)
            })
            .await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    form_done(
        result,
        |id: i64| format!("/rounds/{id}"),
        "flash.round_saved",
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(
                status,
                &FormPage {
                    ctx,
                    form,
                    errors,
                    round_id: None,
                    aggregations: Aggregation::ALL,
                    funding_rules: FundingRule::ALL,
                },
            )
        },
    )
    .await
}

async fn edit_page(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let r = db::run(&state.pool, move |c| {
        ops::rounds::find_managed(c, &actor, id)
    })
    .await?;
    if r.status != RoundStatus::Draft {
        return Err(AppError::conflict("error.round_frozen"));
    }
    let form = RoundForm::from_round(&r.core(), &r.rules(), r.version);
    render(&FormPage {
        ctx,
        form,
        errors: FormErrors::default(),
        round_id: Some(id),
        aggregations: Aggregation::ALL,
        funding_rules: FundingRule::ALL,
    })
}

async fn update(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<RoundForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let form = form.0;
    let version: i32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("error.malformed_form"))?;
    let result = match form.parse() {
        Ok((core, rules)) => {
            db::run(&state.pool, move |c| {
                ops::rounds::update(c, &actor, id, version, &core, &rules)
            })
            .await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    versioned_form_done(
        result,
        format!("/rounds/{id}"),
        "flash.round_saved",
        async |e, status| {
            let errors = ctx.errors(&e);
            render_status(
                status,
                &FormPage {
                    ctx,
                    form,
                    errors,
                    round_id: Some(id),
                    aggregations: Aggregation::ALL,
                    funding_rules: FundingRule::ALL,
                },
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "rounds/show.html")]
struct ShowPage {
    ctx: PageCtx,
    v: RoundView,
    /// Why the draft cannot open yet, rendered.
    problems: Vec<(String, String)>,
    errors: FormErrors,
    closes_at: String,
    review_due: String,
    history: Vec<HistoryEntry>,
    /// How many drafts organizations are writing in the round (their content is theirs).
    drafts: i64,
}

async fn show_with(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let r = db::run(&state.pool, move |c| {
        crate::queries::rounds::round(c, &actor, id)
    })
    .await?;
    let problems = r
        .publish_problems
        .0
        .iter()
        .map(|e| {
            (
                ctx.t(&format!("round.{}", e.field)).to_string(),
                e.msg.render(ctx.lang()),
            )
        })
        .collect();
    let (v, history, drafts) = (
        RoundView {
            round: r.round,
            rules: r.rules,
            bureau: r.bureau,
        },
        r.history,
        r.drafts,
    );
    let page = ShowPage {
        drafts,
        closes_at: local_input(v.round.closes_at),
        review_due: local_input(v.round.review_due),
        errors: ctx.errors(&errors),
        ctx,
        v,
        problems,
        history,
    };
    render_status(status, &page)
}

async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_with(
        ctx,
        &state,
        id.into_inner(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn publish(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _f: CsrfForm<super::account::Empty>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let (id, settings) = (id.into_inner(), state.settings.clone());
    let done = db::run(&state.pool, move |c| {
        ops::rounds::publish(c, &settings, &actor, id)
    })
    .await;
    form_done(
        done,
        format!("/rounds/{id}"),
        "flash.round_published",
        async |e, status| show_with(ctx, &state, id, e, status).await,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeadlineForm {
    closes_at: String,
    review_due: String,
    reason: String,
}

async fn deadlines(
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: CsrfForm<DeadlineForm>,
) -> Result<HttpResponse, AppError> {
    let actor = ctx.user()?.clone();
    let id = id.into_inner();
    let f = f.0;
    let mut e = FieldErrors::new();
    let closes = parse_local(&f.closes_at)
        .map_err(|m| e.add("closes_at", m))
        .ok()
        .flatten();
    let review = parse_local(&f.review_due)
        .map_err(|m| e.add("review_due", m))
        .ok()
        .flatten();
    let result = match (closes, review) {
        (Some(cl), Some(rv)) if e.is_empty() => {
            let settings = state.settings.clone();
            db::run(&state.pool, move |c| {
                ops::rounds::move_deadlines(c, &settings, &actor, id, cl, rv, &f.reason)
            })
            .await
        }
        _ => {
            for (field, v) in [("closes_at", closes), ("review_due", review)] {
                if v.is_none() && !e.has(field) {
                    e.add(field, Msg::new("field.required"));
                }
            }
            Err(AppError::Validation(e))
        }
    };
    form_done(
        result,
        format!("/rounds/{id}"),
        "flash.deadlines_moved",
        async |e, status| show_with(ctx, &state, id, e, status).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "calls/list.html")]
struct CallsPage {
    ctx: PageCtx,
    calls: Vec<RoundView>,
}

/// Published rounds for everyone, open ones first.
pub async fn public_rounds(state: &AppState, limit: i64) -> Result<Vec<RoundView>, AppError> {
    db::run(&state.pool, move |c| {
        Ok(rounds::public(c, limit)?
            .into_iter()
            .map(|(round, bureau)| RoundView {
                rules: round.rules(),
                round,
                bureau,
            })
            .collect())
    })
    .await
}

async fn calls(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    super::public_cache::page(&req, &state, ctx, "calls", None, |ctx| async move {
        let calls = public_rounds(&st, 100).await?;
        super::render_string(&CallsPage { ctx, calls })
    })
    .await
}

#[derive(Template)]
#[template(path = "calls/show.html")]
struct CallPage {
    ctx: PageCtx,
    v: RoundView,
}

async fn call(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, st) = (id.into_inner(), state.clone());
    super::public_cache::page(&req, &state, ctx, "call", Some(id), |ctx| async move {
        let v = public_round(&st, id).await?;
        super::render_string(&CallPage { ctx, v })
    })
    .await
}

/// A published round, for the public.
pub async fn public_round(state: &AppState, id: i64) -> Result<RoundView, AppError> {
    db::run(&state.pool, move |c| {
        let r = rounds::find(c, id)?;
        if r.status == RoundStatus::Draft {
            return Err(AppError::NotFound);
        }
        RoundView::load(c, r)
    })
    .await
}

/// The application guide as a PDF: an official document, in Chinese whatever the reader's
/// language.
pub async fn guide_response(state: &AppState, id: i64) -> Result<HttpResponse, AppError> {
    let v = public_round(state, id).await?;
    let name = super::export::file_name(
        &v.round.title,
        crate::i18n::t(crate::i18n::Lang::Zh, "export.guide_file"),
        "pdf",
    );
    super::pdf_response(format!("guide-{id}.pdf"), name, move || {
        crate::pdf::guide::guide(&crate::pdf::guide::GuideInput {
            title: &v.round.title,
            bureau: &v.bureau,
            description: &v.round.description,
            total_budget: Fen(v.round.total_budget_fen),
            min_grant: Fen(v.round.min_grant_fen),
            max_grant: Fen(v.round.max_grant_fen),
            opens_at: super::filters::time_text(v.round.opens_at),
            closes_at: super::filters::time_text(v.round.closes_at),
            rules: &v.rules,
            generated: super::fmt_time(now()),
        })
    })
    .await
}

async fn guide_pdf(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    guide_response(&state, id.into_inner()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form of an empty round with the default rules.
    fn blank_form() -> RoundForm {
        let core = RoundCore {
            title: "x".into(),
            year: 2027,
            description: String::new(),
            total_budget: Fen::ZERO,
            min_grant: Fen::ZERO,
            max_grant: Fen::ZERO,
            opens_at: None,
            closes_at: None,
            review_due: None,
        };
        RoundForm::from_round(&core, &RoundRules::default(), 1)
    }

    #[test]
    fn the_default_form_reads_back_as_the_defaults() {
        let core = RoundCore {
            title: "t".into(),
            year: 2027,
            description: String::new(),
            total_budget: Fen::from_yuan(1_000_000),
            min_grant: Fen::from_yuan(5_000),
            max_grant: Fen(5_000_050),
            opens_at: parse_local("2027-01-01T09:00").expect("a valid time"),
            closes_at: parse_local("2027-02-01T17:30").expect("a valid time"),
            review_due: None,
        };
        let form = RoundForm::from_round(&core, &RoundRules::default(), 1);
        let (c2, r2) = form.parse().expect("the default form reads back");
        assert_eq!(c2, core);
        assert_eq!(r2, RoundRules::default());
        assert_eq!(form.closes_at, "2027-02-01T17:30");
        assert_eq!(
            core.closes_at.expect("a closing time").to_string(),
            "2027-02-01 09:30:00",
            "stored in UTC"
        );
    }

    #[test]
    fn unreadable_fields_are_named() {
        let form = RoundForm {
            year: "二〇二七".into(),
            total_budget: "-5".into(),
            max_grant_share: "八十".into(),
            review_criteria: "需求分析 20\n项目设计".into(),
            grade_bands: "优秀 90\n坏行".into(),
            closes_at: "明天".into(),
            aggregation: "median".into(),
            funding_rule: "lottery".into(),
            supplementary_notice_days: "三天".into(),
            ..blank_form()
        };
        let e = form.parse().unwrap_err();
        for f in [
            "year",
            "total_budget",
            "max_grant_share",
            "review_criteria",
            "grade_bands",
            "closes_at",
            "aggregation",
            "funding_rule",
            "supplementary_notice_days",
        ] {
            assert!(e.has(f), "{f}: {e:?}");
        }
    }

    #[test]
    fn over_long_rule_lists_are_named() {
        let long = "为老服务\n".repeat(crate::domain::limits::RULE_LINES / 4);
        let form = RoundForm {
            categories: long.clone(),
            grade_bands: long,
            ..blank_form()
        };
        let e = form.parse().unwrap_err();
        assert!(e.has("categories"), "{e:?}");
        assert!(e
            .0
            .iter()
            .any(|x| x.field == "categories" && x.msg.key == "field.too_long"));
        assert!(!e.has("review_criteria"), "{e:?}");
    }

    #[test]
    fn criteria_lines_accept_colons_and_tabs() {
        assert_eq!(
            split_last("需求分析：20"),
            Some(("需求分析".to_string(), "20"))
        );
        assert_eq!(
            split_last("Need analysis\t20"),
            Some(("Need analysis".to_string(), "20"))
        );
        assert_eq!(parse_percent("80"), Ok(8000));
        assert_eq!(parse_percent("12.5%"), Ok(1250));
        assert!(parse_percent("1.234").is_err());
        assert_eq!(percent_text(1250), "12.5");
    }
}
