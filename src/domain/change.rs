//! Change requests (项目变更): an organization asks to change its running project's plan —
//! extend the end date or a milestone (延期), move money between budget lines (预算调整),
//! change the content (内容变更) or the project leader (负责人变更) — and the bureau approves,
//! approves in part or refuses. What each kind may change, the round's limits, and what the
//! plan looks like once a change applies, with no I/O.

use chrono::NaiveDate;

use super::money::Fen;
use super::proposal::{check_budget, check_lengths, ProposalContent};
use super::round::RoundRules;
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// What a change request changes (labels: `ChangeKind.*`).
    ChangeKind {
        /// 延期: the end date or milestone due dates.
        Extension = "extension",
        /// 预算调整: the amounts of the budget lines.
        Budget = "budget",
        /// 内容变更: the activities (项目内容与活动安排).
        Content = "content",
        /// 负责人变更: the project leader and their phone.
        Leader = "leader",
        /// 绩效目标调整: the performance targets.
        Targets = "targets",
    }
);

str_enum!(
    /// Where a change request stands (labels: `ChangeStatus.*`).
    ChangeStatus {
        /// Filed, waiting for the officer.
        Open = "open",
        /// Approved as asked, and applied.
        Approved = "approved",
        /// Approved with edited values, and applied.
        Partial = "partial",
        /// Refused with a reason: nothing changed.
        Refused = "refused",
        /// Withdrawn by the organization before a decision.
        Withdrawn = "withdrawn",
        /// Applied when filed: the round does not require approval of it.
        Applied = "applied",
    }
);

impl ChangeStatus {
    /// The change is part of the plan.
    pub fn applied(self) -> bool {
        matches!(
            self,
            ChangeStatus::Approved | ChangeStatus::Partial | ChangeStatus::Applied
        )
    }
}

str_enum!(
    /// The officer's decision on an open request.
    ChangeOutcome { Approve = "approve", Partial = "partial", Refuse = "refuse" }
);

impl ChangeOutcome {
    /// The status a request takes with this decision.
    pub fn status(self) -> ChangeStatus {
        match self {
            ChangeOutcome::Approve => ChangeStatus::Approved,
            ChangeOutcome::Partial => ChangeStatus::Partial,
            ChangeOutcome::Refuse => ChangeStatus::Refused,
        }
    }
}

/// A milestone's new due date (its index in the plan's milestones).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MilestoneDue {
    pub index: usize,
    pub due: NaiveDate,
}

/// What a change sets in the plan: stored as JSON (what was asked, and what applied).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeValues {
    /// A new end date and/or new milestone due dates.
    Extension {
        end_date: Option<NaiveDate>,
        #[serde(default)]
        milestones: Vec<MilestoneDue>,
    },
    /// The new amount of every budget line, in the plan's order (fen).
    Budget { amounts: Vec<Fen> },
    /// The new activities text.
    Content { activities: String },
    /// The new project leader and phone.
    Leader {
        project_lead: String,
        project_lead_phone: String,
    },
    /// The new performance targets, all of them.
    Targets {
        targets: Vec<super::target::TargetLine>,
    },
}

impl ChangeValues {
    pub fn kind(&self) -> ChangeKind {
        match self {
            ChangeValues::Extension { .. } => ChangeKind::Extension,
            ChangeValues::Budget { .. } => ChangeKind::Budget,
            ChangeValues::Content { .. } => ChangeKind::Content,
            ChangeValues::Leader { .. } => ChangeKind::Leader,
            ChangeValues::Targets { .. } => ChangeKind::Targets,
        }
    }
}

/// The round's rules on change requests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChangeRules {
    /// Kinds that need the officer's approval; a change of another kind applies when filed
    /// (still audited, with its supplement agreement).
    pub approval: Vec<ChangeKind>,
    /// How many extensions a project may have applied.
    pub max_extensions: i32,
    /// The largest total extension of the end date, in days past the awarded end date.
    pub max_extension_days: i32,
    /// The share of a budget line (basis points) that may move without approval: a budget
    /// change moving no line by more applies when filed, and a report may show a line
    /// overspent by up to this share with a written reason.
    pub free_move_bp: i64,
}

/// Today's per-line tolerance of reports (+10%), the default of [`ChangeRules::free_move_bp`].
pub const DEFAULT_FREE_MOVE_BP: i64 = 1000;

impl Default for ChangeRules {
    fn default() -> Self {
        ChangeRules {
            approval: ChangeKind::ALL.to_vec(),
            max_extensions: 2,
            max_extension_days: 180,
            free_move_bp: DEFAULT_FREE_MOVE_BP,
        }
    }
}

/// The round's change rules are sane.
pub fn check_rules(r: &ChangeRules, e: &mut FieldErrors) {
    if !(0..=20).contains(&r.max_extensions) {
        e.add(
            "change_max_extensions",
            Msg::new("field.number_range").arg("min", 0).arg("max", 20),
        );
    }
    if !(0..=3650).contains(&r.max_extension_days) {
        e.add(
            "change_max_extension_days",
            Msg::new("field.number_range")
                .arg("min", 0)
                .arg("max", 3650),
        );
    }
    if !(0..=5000).contains(&r.free_move_bp) {
        e.add(
            "change_free_move",
            Msg::new("field.number_range")
                .arg("min", "0%")
                .arg("max", "50%"),
        );
    }
}

/// The plan with the change applied.
pub fn apply(plan: &ProposalContent, v: &ChangeValues) -> ProposalContent {
    let mut c = plan.clone();
    match v {
        ChangeValues::Extension {
            end_date,
            milestones,
        } => {
            if let Some(end) = end_date {
                c.end_date = Some(*end);
            }
            for m in milestones {
                if let Some(line) = c.milestones.get_mut(m.index) {
                    line.due = m.due;
                }
            }
        }
        ChangeValues::Budget { amounts } => {
            for (line, amount) in c.budget.iter_mut().zip(amounts) {
                line.amount = *amount;
            }
        }
        ChangeValues::Content { activities } => c.activities = activities.clone(),
        ChangeValues::Leader {
            project_lead,
            project_lead_phone,
        } => {
            c.project_lead = project_lead.clone();
            c.project_lead_phone = project_lead_phone.clone();
        }
        ChangeValues::Targets { targets } => c.targets = targets.clone(),
    }
    c
}

/// Every line moves by at most `bp` of its amount.
pub fn within_free_share(plan: &ProposalContent, amounts: &[Fen], bp: i64) -> bool {
    plan.budget.len() == amounts.len()
        && plan.budget.iter().zip(amounts).all(|(l, a)| {
            let moved = Fen((a.0 - l.amount.0).abs());
            moved <= l.amount.share_bp(bp)
        })
}

/// Whether the change waits for the officer: its kind needs approval, unless it is a budget
/// change within the free share.
pub fn needs_approval(plan: &ProposalContent, v: &ChangeValues, rules: &ChangeRules) -> bool {
    if !rules.approval.contains(&v.kind()) {
        return false;
    }
    match v {
        ChangeValues::Budget { amounts } => !within_free_share(plan, amounts, rules.free_move_bp),
        _ => true,
    }
}

/// What the project's history holds for the extension limits.
#[derive(Debug, Clone, Copy)]
pub struct History {
    /// The end date of the award (plan version 1).
    pub awarded_end: NaiveDate,
    /// Extensions applied so far.
    pub extensions: usize,
}

/// Checks a change against the plan in force (`plan`), the round's rules and the project's
/// history, field by field; the plan it would make must still satisfy the round's budget
/// caps.
pub fn check(
    plan: &ProposalContent,
    v: &ChangeValues,
    rules: &RoundRules,
    history: History,
) -> FieldErrors {
    let mut e = FieldErrors::new();
    let after = apply(plan, v);
    if after == *plan {
        e.add("kind", Msg::new("change.nothing"));
        return e;
    }
    match v {
        ChangeValues::Extension {
            end_date,
            milestones,
        } => {
            let cr = &rules.changes;
            if history.extensions as i64 >= cr.max_extensions as i64 {
                e.add(
                    "kind",
                    Msg::new("change.too_many_extensions").arg("max", cr.max_extensions),
                );
            }
            let start = after.start_date.unwrap_or(history.awarded_end);
            let end = after.end_date.unwrap_or(history.awarded_end);
            if let Some(new_end) = end_date {
                if *new_end <= start {
                    e.add("end_date", Msg::new("field.end_before_start"));
                } else if (*new_end - history.awarded_end).num_days() > cr.max_extension_days as i64
                {
                    e.add(
                        "end_date",
                        Msg::new("change.extension_too_long")
                            .arg("days", cr.max_extension_days)
                            .arg("awarded", history.awarded_end),
                    );
                }
            }
            for m in milestones {
                let field = format!("milestone.{}", m.index);
                if m.index >= plan.milestones.len() {
                    e.add(field, Msg::new("field.choice_invalid"));
                } else if m.due < start || m.due > end {
                    e.add(
                        field,
                        Msg::new("change.milestone_outside")
                            .arg("start", start)
                            .arg("end", end),
                    );
                }
            }
            // A milestone left after the new end date.
            if end_date.is_some() {
                for (i, m) in after.milestones.iter().enumerate() {
                    if m.due > end && !milestones.iter().any(|x| x.index == i) {
                        e.add(
                            format!("milestone.{i}"),
                            Msg::new("change.milestone_outside")
                                .arg("start", start)
                                .arg("end", end),
                        );
                    }
                }
            }
        }
        ChangeValues::Budget { amounts } => {
            if amounts.len() != plan.budget.len() {
                e.add("budget", Msg::new("change.budget_lines"));
            } else {
                let mut caps = FieldErrors::new();
                check_budget(&after, rules, &mut caps);
                e.0.extend(caps.0);
            }
        }
        ChangeValues::Content { activities } => {
            if activities.trim().is_empty() {
                e.add("activities", Msg::new("field.required"));
            }
        }
        ChangeValues::Leader {
            project_lead,
            project_lead_phone,
        } => {
            if project_lead.trim().is_empty() {
                e.add("project_lead", Msg::new("field.required"));
            }
            if project_lead_phone.trim().is_empty() {
                e.add("project_lead_phone", Msg::new("field.required"));
            } else if !super::org::valid_phone(project_lead_phone) {
                e.add("project_lead_phone", Msg::new("field.phone_invalid"));
            }
        }
        ChangeValues::Targets { targets } => {
            // A project keeps at least one target under each required indicator of its
            // round, whatever the round asked of proposals.
            let rules = super::target::TargetRules {
                required: true,
                ..rules.targets.clone()
            };
            super::target::check_targets(targets, &rules, &mut e);
        }
    }
    let mut lengths = FieldErrors::new();
    check_lengths(&after, &mut lengths);
    for f in ["activities", "project_lead", "project_lead_phone"] {
        if lengths.has(f) && !e.has(f) {
            e.add(f, crate::domain::limits::too_long(limit_of(f)));
        }
    }
    e
}

fn limit_of(field: &str) -> usize {
    use crate::domain::limits;
    match field {
        "activities" => limits::PROPOSAL_NARRATIVE,
        "project_lead" => limits::PERSON_NAME,
        _ => limits::PHONE,
    }
}

/// The rows a supplement agreement lists: (what, before, after), in Chinese.
pub fn describe(before: &ProposalContent, v: &ChangeValues) -> Vec<(String, String, String)> {
    let date = |d: Option<NaiveDate>| d.map_or("—".to_string(), |d| d.to_string());
    match v {
        ChangeValues::Extension {
            end_date,
            milestones,
        } => {
            let mut rows = Vec::new();
            if let Some(end) = end_date {
                rows.push((
                    "项目结束日期".to_string(),
                    date(before.end_date),
                    end.to_string(),
                ));
            }
            for m in milestones {
                if let Some(old) = before.milestones.get(m.index) {
                    rows.push((
                        format!("里程碑“{}”完成日期", old.title),
                        old.due.to_string(),
                        m.due.to_string(),
                    ));
                }
            }
            rows
        }
        ChangeValues::Budget { amounts } => before
            .budget
            .iter()
            .zip(amounts)
            .filter(|(l, a)| l.amount != **a)
            .map(|(l, a)| {
                (
                    format!("预算科目“{}”", l.item),
                    l.amount.to_string(),
                    a.to_string(),
                )
            })
            .collect(),
        ChangeValues::Content { activities } => vec![(
            "项目内容与活动安排".to_string(),
            before.activities.clone(),
            activities.clone(),
        )],
        ChangeValues::Leader {
            project_lead,
            project_lead_phone,
        } => vec![(
            "项目负责人".to_string(),
            format!("{} {}", before.project_lead, before.project_lead_phone),
            format!("{project_lead} {project_lead_phone}"),
        )],
        ChangeValues::Targets { targets } => {
            let text = |t: &super::target::TargetLine| {
                let op = if t.at_most() {
                    "不高于"
                } else {
                    "不低于"
                };
                format!("{} {op} {} {}", t.name, t.value, t.unit)
            };
            let mut rows = Vec::new();
            for old in &before.targets {
                match targets.iter().find(|t| t.name == old.name) {
                    Some(new) if new == old => {}
                    Some(new) => rows.push((
                        format!("绩效目标“{}”（{}）", old.name, new.indicator),
                        text(old),
                        text(new),
                    )),
                    None => rows.push((
                        format!("绩效目标“{}”（{}）", old.name, old.indicator),
                        text(old),
                        "（删除）".to_string(),
                    )),
                }
            }
            for new in targets
                .iter()
                .filter(|t| !before.targets.iter().any(|o| o.name == t.name))
            {
                rows.push((
                    format!("绩效目标“{}”（{}）", new.name, new.indicator),
                    "（新增）".to_string(),
                    text(new),
                ));
            }
            rows
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::proposal::tests as fixtures;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn history(c: &ProposalContent, extensions: usize) -> History {
        History {
            awarded_end: c.end_date.unwrap(),
            extensions,
        }
    }

    #[test]
    fn an_extension_is_limited_in_count_and_in_total_days() {
        let plan = fixtures::content();
        let rules = RoundRules::default();
        let end = plan.end_date.unwrap();
        let ok = ChangeValues::Extension {
            end_date: Some(end + chrono::Duration::days(90)),
            milestones: vec![],
        };
        assert!(check(&plan, &ok, &rules, history(&plan, 0)).is_empty());
        assert!(check(&plan, &ok, &rules, history(&plan, 2)).has("kind"));
        let long = ChangeValues::Extension {
            end_date: Some(end + chrono::Duration::days(181)),
            milestones: vec![],
        };
        assert!(check(&plan, &long, &rules, history(&plan, 0)).has("end_date"));
        let after = apply(&plan, &ok);
        assert_eq!(after.end_date, Some(end + chrono::Duration::days(90)));
        // A milestone past the new end, or before the start, is refused.
        let early = ChangeValues::Extension {
            end_date: None,
            milestones: vec![MilestoneDue {
                index: 0,
                due: plan.start_date.unwrap() - chrono::Duration::days(1),
            }],
        };
        assert!(check(&plan, &early, &rules, history(&plan, 0)).has("milestone.0"));
        // Nothing changed.
        let same = ChangeValues::Extension {
            end_date: plan.end_date,
            milestones: vec![],
        };
        assert!(check(&plan, &same, &rules, history(&plan, 0)).has("kind"));
        let _ = d("2027-01-01");
    }

    #[test]
    fn a_budget_change_keeps_the_caps_and_small_moves_need_no_approval() {
        let plan = fixtures::content();
        let rules = RoundRules::default();
        let yuan = |v: &[i64]| ChangeValues::Budget {
            amounts: v.iter().map(|y| Fen::from_yuan(*y)).collect(),
        };
        // 1,000 from personnel (15,000) to activities (30,000): within 10% of each line.
        let small = yuan(&[31_000, 14_000, 5_000, 20_000]);
        assert!(check(&plan, &small, &rules, history(&plan, 0)).is_empty());
        assert!(!needs_approval(&plan, &small, &rules.changes));
        // 5,000: more than 10% of personnel, so it waits for the officer.
        let big = yuan(&[35_000, 10_000, 5_000, 20_000]);
        assert!(check(&plan, &big, &rules, history(&plan, 0)).is_empty());
        assert!(needs_approval(&plan, &big, &rules.changes));
        assert_eq!(describe(&plan, &big).len(), 2);
        // Personnel above its cap (30% of the grant), or grant lines off the grant: refused.
        let capped = yuan(&[29_000, 16_000, 5_000, 20_000]);
        assert!(check(&plan, &capped, &rules, history(&plan, 0)).has("budget"));
        let off = yuan(&[31_000, 15_000, 5_000, 20_000]);
        assert!(check(&plan, &off, &rules, history(&plan, 0)).has("budget"));
        let short = yuan(&[31_000, 14_000]);
        assert!(check(&plan, &short, &rules, history(&plan, 0)).has("budget"));
        // A kind the round does not require approval of applies at once.
        let mut free = rules.changes.clone();
        free.approval = vec![ChangeKind::Extension];
        assert!(!needs_approval(&plan, &big, &free));
    }

    #[test]
    fn a_new_leader_needs_a_valid_phone() {
        let plan = fixtures::content();
        let rules = RoundRules::default();
        let v = ChangeValues::Leader {
            project_lead: "王五".into(),
            project_lead_phone: "12".into(),
        };
        assert!(check(&plan, &v, &rules, history(&plan, 0)).has("project_lead_phone"));
        let v = ChangeValues::Leader {
            project_lead: "王五".into(),
            project_lead_phone: "13912345678".into(),
        };
        assert!(check(&plan, &v, &rules, history(&plan, 0)).is_empty());
        assert_eq!(describe(&plan, &v).len(), 1);
    }
}
