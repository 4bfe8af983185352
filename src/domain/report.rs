//! Project execution (DESIGN §2.5): progress reports with beneficiaries and spending, the
//! checks they must pass, and the tranche rules (资金拨付).

use chrono::NaiveDate;

use super::money::Fen;
use super::proposal::{BudgetLine, FundingSource};
use super::round::TrancheCondition;
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// Who was served (受益对象类别).
    BeneficiaryGroup {
        Elderly = "elderly",
        Disabled = "disabled",
        Youth = "youth",
        Needy = "needy",
        Women = "women",
        MigrantWorkers = "migrant_workers",
        Other = "other",
    }
);

impl BeneficiaryGroup {
    /// The group a planned beneficiary line of a proposal counts towards. The proposal form
    /// takes the category as free text, and stored plans carry either the group's code or
    /// its label (the Chinese one, as the demo writes it, or the English one); a category
    /// that names no group counts towards none.
    pub fn of_planned(category: &str) -> Option<BeneficiaryGroup> {
        let c = category.trim();
        BeneficiaryGroup::parse(c).or_else(|| {
            BeneficiaryGroup::ALL.iter().copied().find(|g| {
                [crate::i18n::Lang::Zh, crate::i18n::Lang::En]
                    .iter()
                    .any(|l| crate::i18n::t(*l, g.label_key()).eq_ignore_ascii_case(c))
            })
        })
    }
}

str_enum!(
    /// A milestone report (per milestone of the plan) or an optional monthly report.
    ReportKind { Milestone = "milestone", Monthly = "monthly" }
);

str_enum!(
    /// The life of a report.
    ReportStatus { Draft = "draft", Submitted = "submitted", Returned = "returned", Accepted = "accepted" }
);

impl ReportStatus {
    /// The NGO may edit it.
    pub fn editable(self) -> bool {
        matches!(self, ReportStatus::Draft | ReportStatus::Returned)
    }
    /// Its figures count (for the cumulative checks and the dashboards).
    pub fn filed(self) -> bool {
        matches!(self, ReportStatus::Submitted | ReportStatus::Accepted)
    }
}

str_enum!(
    /// The life of a tranche.
    TrancheStatus {
        Pending = "pending",
        Releasable = "releasable",
        Paid = "paid",
        Withheld = "withheld",
        Cancelled = "cancelled",
    }
);

/// Beneficiaries of one group, cumulative to the end of the report's period.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct GroupCount {
    pub group: String,
    /// New unique people served so far (受益人数).
    pub unique_people: i64,
    /// Person-times served so far (服务人次).
    pub person_times: i64,
}

/// Spending on one line of the project's budget, cumulative.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct SpendLine {
    /// Index into the proposal's budget lines (each line is grant or matching funds).
    pub line: usize,
    pub spent: Fen,
    /// Required when the line is overspent (up to +10%).
    #[serde(default)]
    pub over_reason: String,
}

/// What a report says. Every figure is cumulative: the project's total from its start to
/// the end of the report's period. Stored as JSON.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct ReportContent {
    /// Activities held so far.
    pub activities: i64,
    pub beneficiaries: Vec<GroupCount>,
    pub volunteer_times: i64,
    pub volunteer_hours: i64,
    pub spending: Vec<SpendLine>,
    pub narrative: String,
    /// Cumulative values of the plan's targets that follow no report figure.
    pub target_values: Vec<super::target::TargetValue>,
}

impl ReportContent {
    pub fn unique_total(&self) -> i64 {
        self.beneficiaries.iter().map(|b| b.unique_people).sum()
    }
    pub fn person_times_total(&self) -> i64 {
        self.beneficiaries.iter().map(|b| b.person_times).sum()
    }
    pub fn unique_of(&self, group: &str) -> i64 {
        self.beneficiaries
            .iter()
            .filter(|b| b.group == group)
            .map(|b| b.unique_people)
            .sum()
    }
    pub fn spent_on(&self, line: usize) -> Fen {
        self.spending
            .iter()
            .filter(|s| s.line == line)
            .map(|s| s.spent)
            .sum()
    }
    /// Spending from the grant and from matching funds.
    pub fn spent_by_source(&self, budget: &[BudgetLine]) -> (Fen, Fen) {
        let mut grant = Fen::ZERO;
        let mut matching = Fen::ZERO;
        for s in &self.spending {
            match budget.get(s.line).map(|l| l.source) {
                Some(FundingSource::Grant) => grant = grant.saturating_add(s.spent),
                Some(_) => matching = matching.saturating_add(s.spent),
                None => {}
            }
        }
        (grant, matching)
    }
}

/// The most a line may show: its budget plus `tolerance_bp` of it (the round's
/// [`super::change::ChangeRules::free_move_bp`], 10% by default) with a written reason.
pub fn overspend_cap(budget: Fen, tolerance_bp: i64) -> Fen {
    budget.saturating_add(budget.share_bp(tolerance_bp))
}

/// What a report is checked against.
pub struct ReportFrame<'a> {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub project_start: NaiveDate,
    pub project_end: NaiveDate,
    pub budget: &'a [BudgetLine],
    pub grant: Fen,
    /// How far a line may be overspent with a written reason (basis points of its budget).
    pub tolerance_bp: i64,
    /// The filed report just before this one in time, if any.
    pub previous: Option<&'a ReportContent>,
    /// The filed report just after this one in time, if any.
    pub next: Option<&'a ReportContent>,
}

fn not_below(
    e: &mut FieldErrors,
    field: &str,
    value: i64,
    before: Option<i64>,
    after: Option<i64>,
) {
    if let Some(b) = before {
        if value < b {
            e.add(field, Msg::new("report.cumulative_down").arg("before", b));
        }
    }
    if let Some(a) = after {
        if value > a {
            e.add(
                field,
                Msg::new("report.cumulative_over_next").arg("after", a),
            );
        }
    }
}

/// Checks a report for submission, field by field: counts ≥ 0, unique people ≤
/// person-times, cumulative figures never going down from the previous report (nor above
/// the next one), spending per line within its budget or up to +10% with a reason, grant
/// spending within the grant, and the period inside the project's.
pub fn check_report(c: &ReportContent, f: &ReportFrame) -> FieldErrors {
    let mut e = FieldErrors::new();
    if f.period_end < f.period_start {
        e.add("period_end", Msg::new("field.end_before_start"));
    }
    if f.period_start < f.project_start || f.period_end > f.project_end {
        e.add(
            "period_end",
            Msg::new("report.outside_project")
                .arg("start", f.project_start)
                .arg("end", f.project_end),
        );
    }
    for (field, v) in [
        ("activities", c.activities),
        ("volunteer_times", c.volunteer_times),
        ("volunteer_hours", c.volunteer_hours),
    ] {
        if v < 0 {
            e.add(field, Msg::new("field.count_negative"));
        }
    }
    for (i, b) in c.beneficiaries.iter().enumerate() {
        let field = format!("beneficiaries.{i}");
        if BeneficiaryGroup::parse(&b.group).is_none() {
            e.add(field.clone(), Msg::new("field.choice_invalid"));
        }
        if b.unique_people < 0 || b.person_times < 0 {
            e.add(field.clone(), Msg::new("field.count_negative"));
        } else if b.unique_people > b.person_times {
            e.add(field.clone(), Msg::new("report.unique_over_times"));
        }
        if c.beneficiaries[..i].iter().any(|o| o.group == b.group) {
            e.add(field, Msg::new("field.round_duplicate_line"));
        }
    }
    let prev = f.previous;
    let next = f.next;
    not_below(
        &mut e,
        "activities",
        c.activities,
        prev.map(|p| p.activities),
        next.map(|n| n.activities),
    );
    not_below(
        &mut e,
        "volunteer_times",
        c.volunteer_times,
        prev.map(|p| p.volunteer_times),
        next.map(|n| n.volunteer_times),
    );
    not_below(
        &mut e,
        "volunteer_hours",
        c.volunteer_hours,
        prev.map(|p| p.volunteer_hours),
        next.map(|n| n.volunteer_hours),
    );
    for (i, b) in c.beneficiaries.iter().enumerate() {
        let field = format!("beneficiaries.{i}");
        let before = prev.map(|p| p.unique_of(&b.group));
        let after = next.map(|n| n.unique_of(&b.group));
        not_below(&mut e, &field, b.unique_people, before, after);
        let times = |r: &ReportContent| {
            r.beneficiaries
                .iter()
                .filter(|x| x.group == b.group)
                .map(|x| x.person_times)
                .sum::<i64>()
        };
        not_below(
            &mut e,
            &field,
            b.person_times,
            prev.map(times),
            next.map(times),
        );
    }
    // A group reported before must not vanish.
    if let Some(p) = prev {
        for g in &p.beneficiaries {
            if g.unique_people > 0 && !c.beneficiaries.iter().any(|b| b.group == g.group) {
                e.add(
                    "beneficiaries",
                    Msg::new("report.group_missing").arg("group", &g.group),
                );
            }
        }
    }
    for (i, s) in c.spending.iter().enumerate() {
        let field = format!("spending.{i}");
        let Some(line) = f.budget.get(s.line) else {
            e.add(field, Msg::new("field.choice_invalid"));
            continue;
        };
        if c.spending[..i].iter().any(|o| o.line == s.line) {
            e.add(field.clone(), Msg::new("field.round_duplicate_line"));
        }
        if let Err(err) = s.spent.check() {
            e.add(field.clone(), Msg::new(err.key()));
            continue;
        }
        if super::limits::char_len(&s.over_reason) > super::limits::ROW_TEXT {
            e.add(
                field.clone(),
                super::limits::too_long(super::limits::ROW_TEXT),
            );
        } else if s.spent > overspend_cap(line.amount, f.tolerance_bp) {
            e.add(
                field.clone(),
                Msg::new("report.overspent").arg("cap", overspend_cap(line.amount, f.tolerance_bp)),
            );
        } else if s.spent > line.amount && s.over_reason.trim().is_empty() {
            e.add(
                field.clone(),
                Msg::new("report.over_reason").arg("budget", line.amount),
            );
        }
        let before = prev.map(|p| p.spent_on(s.line).0);
        let after = next.map(|n| n.spent_on(s.line).0);
        if let Some(b) = before {
            if s.spent.0 < b {
                e.add(
                    field.clone(),
                    Msg::new("report.cumulative_down").arg("before", Fen(b)),
                );
            }
        }
        if let Some(a) = after {
            if s.spent.0 > a {
                e.add(
                    field,
                    Msg::new("report.cumulative_over_next").arg("after", Fen(a)),
                );
            }
        }
    }
    let (grant_spent, _) = c.spent_by_source(f.budget);
    if grant_spent > f.grant {
        e.add(
            "spending",
            Msg::new("report.grant_exceeded").arg("grant", f.grant),
        );
    }
    if c.narrative.trim().is_empty() {
        e.add("narrative", Msg::new("field.required"));
    }
    e
}

/// What decides whether a tranche may be paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrancheFacts {
    pub agreement_signed: bool,
    pub midterm_passed: bool,
    pub final_passed: bool,
}

/// The tranche's condition holds.
pub fn condition_holds(c: TrancheCondition, f: TrancheFacts) -> bool {
    match c {
        TrancheCondition::OnSigning => f.agreement_signed,
        TrancheCondition::AfterMidterm => f.agreement_signed && f.midterm_passed,
        TrancheCondition::AfterFinal => f.agreement_signed && f.final_passed,
    }
}

/// Why a payment cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProblem {
    NotReleasable,
    NotPositive,
    OverTranche { left: Fen },
    OverGrant { left: Fen },
}

impl PaymentProblem {
    pub fn msg(self) -> Msg {
        match self {
            PaymentProblem::NotReleasable => Msg::new("tranche.not_releasable"),
            PaymentProblem::NotPositive => Msg::new("tranche.amount_positive"),
            PaymentProblem::OverTranche { left } => {
                Msg::new("tranche.over_tranche").arg("left", left)
            }
            PaymentProblem::OverGrant { left } => Msg::new("tranche.over_grant").arg("left", left),
        }
    }
}

/// Checks a payment of `amount` on a tranche: releasable, positive, within what is left of
/// the tranche and of the grant.
pub fn check_payment(
    status: TrancheStatus,
    amount: Fen,
    tranche: Fen,
    paid_on_tranche: Fen,
    grant: Fen,
    paid_on_project: Fen,
) -> Result<(), PaymentProblem> {
    if status != TrancheStatus::Releasable {
        return Err(PaymentProblem::NotReleasable);
    }
    if amount.0 <= 0 {
        return Err(PaymentProblem::NotPositive);
    }
    let left_tranche = tranche.saturating_sub(paid_on_tranche);
    if amount > left_tranche {
        return Err(PaymentProblem::OverTranche { left: left_tranche });
    }
    let left_grant = grant.saturating_sub(paid_on_project);
    if amount > left_grant {
        return Err(PaymentProblem::OverGrant { left: left_grant });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::proposal::BudgetCategory;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn budget() -> Vec<BudgetLine> {
        vec![
            BudgetLine {
                category: BudgetCategory::Activity,
                item: "活动物料".into(),
                amount: Fen::from_yuan(30_000),
                source: FundingSource::Grant,
            },
            BudgetLine {
                category: BudgetCategory::Personnel,
                item: "社工补贴".into(),
                amount: Fen::from_yuan(20_000),
                source: FundingSource::Grant,
            },
            BudgetLine {
                category: BudgetCategory::Activity,
                item: "场地".into(),
                amount: Fen::from_yuan(10_000),
                source: FundingSource::SelfFunded,
            },
        ]
    }

    fn report(unique: i64, times: i64, spent0: i64) -> ReportContent {
        ReportContent {
            activities: 4,
            beneficiaries: vec![GroupCount {
                group: "elderly".into(),
                unique_people: unique,
                person_times: times,
            }],
            volunteer_times: 20,
            volunteer_hours: 60,
            spending: vec![SpendLine {
                line: 0,
                spent: Fen::from_yuan(spent0),
                over_reason: String::new(),
            }],
            narrative: "开展入户探访 4 次。".into(),
            target_values: Vec::new(),
        }
    }

    fn frame<'a>(
        b: &'a [BudgetLine],
        prev: Option<&'a ReportContent>,
        next: Option<&'a ReportContent>,
    ) -> ReportFrame<'a> {
        ReportFrame {
            period_start: d("2027-01-01"),
            period_end: d("2027-03-31"),
            project_start: d("2027-01-01"),
            project_end: d("2027-12-31"),
            budget: b,
            grant: Fen::from_yuan(50_000),
            tolerance_bp: crate::domain::change::DEFAULT_FREE_MOVE_BP,
            previous: prev,
            next,
        }
    }

    #[test]
    fn a_good_report_passes() {
        let b = budget();
        assert!(check_report(&report(40, 120, 10_000), &frame(&b, None, None)).is_empty());
    }

    #[test]
    fn counts_and_unique_people_are_checked() {
        let b = budget();
        let mut r = report(130, 120, 10_000);
        r.activities = -1;
        let e = check_report(&r, &frame(&b, None, None));
        assert!(e.has("beneficiaries.0") && e.has("activities"));
        let mut r = report(10, 20, 0);
        r.beneficiaries[0].group = "aliens".into();
        assert!(check_report(&r, &frame(&b, None, None)).has("beneficiaries.0"));
    }

    #[test]
    fn cumulative_figures_never_go_down() {
        let b = budget();
        let before = report(40, 120, 10_000);
        let e = check_report(&report(30, 130, 9_000), &frame(&b, Some(&before), None));
        assert!(e.has("beneficiaries.0") && e.has("spending.0"), "{e:?}");
        let mut gone = report(40, 120, 10_000);
        gone.beneficiaries.clear();
        assert!(check_report(&gone, &frame(&b, Some(&before), None)).has("beneficiaries"));
        let after = report(50, 150, 12_000);
        assert!(
            check_report(&report(60, 160, 11_000), &frame(&b, None, Some(&after)))
                .has("beneficiaries.0")
        );
        assert!(check_report(
            &report(45, 130, 11_000),
            &frame(&b, Some(&before), Some(&after))
        )
        .is_empty());
    }

    #[test]
    fn overspending_needs_a_reason_and_stops_at_ten_percent() {
        let b = budget();
        assert!(check_report(&report(1, 1, 31_000), &frame(&b, None, None)).has("spending.0"));
        let mut r = report(1, 1, 33_000);
        r.spending[0].over_reason = "物价上涨".into();
        assert!(check_report(&r, &frame(&b, None, None)).is_empty());
        r.spending[0].spent = Fen::from_yuan(33_001);
        assert!(check_report(&r, &frame(&b, None, None)).has("spending.0"));
        assert_eq!(
            overspend_cap(Fen::from_yuan(30_000), 1000),
            Fen::from_yuan(33_000)
        );
    }

    #[test]
    fn grant_spending_stays_within_the_grant_and_matching_is_separate() {
        let b = budget();
        let mut r = report(1, 1, 30_000);
        r.spending.push(SpendLine {
            line: 1,
            spent: Fen::from_yuan(20_000),
            over_reason: String::new(),
        });
        r.spending.push(SpendLine {
            line: 2,
            spent: Fen::from_yuan(5_000),
            over_reason: String::new(),
        });
        assert_eq!(
            r.spent_by_source(&b),
            (Fen::from_yuan(50_000), Fen::from_yuan(5_000))
        );
        let mut f = frame(&b, None, None);
        assert!(check_report(&r, &f).is_empty());
        f.grant = Fen::from_yuan(45_000); // reduced (核减)
        assert!(check_report(&r, &f).has("spending"));
        r.spending.push(SpendLine {
            line: 9,
            spent: Fen::ZERO,
            over_reason: String::new(),
        });
        assert!(check_report(&r, &f).has("spending.3"));
    }

    #[test]
    fn the_period_is_inside_the_project() {
        let b = budget();
        let mut f = frame(&b, None, None);
        f.period_end = d("2028-01-31");
        assert!(check_report(&report(1, 1, 0), &f).has("period_end"));
    }

    #[test]
    fn tranche_conditions_and_payments() {
        let signed = TrancheFacts {
            agreement_signed: true,
            ..TrancheFacts::default()
        };
        assert!(condition_holds(TrancheCondition::OnSigning, signed));
        assert!(!condition_holds(TrancheCondition::AfterMidterm, signed));
        assert!(!condition_holds(
            TrancheCondition::OnSigning,
            TrancheFacts::default()
        ));
        let t = Fen::from_yuan(25_000);
        let g = Fen::from_yuan(50_000);
        assert_eq!(
            check_payment(TrancheStatus::Pending, t, t, Fen::ZERO, g, Fen::ZERO),
            Err(PaymentProblem::NotReleasable)
        );
        assert_eq!(
            check_payment(
                TrancheStatus::Releasable,
                Fen::ZERO,
                t,
                Fen::ZERO,
                g,
                Fen::ZERO
            ),
            Err(PaymentProblem::NotPositive)
        );
        assert_eq!(
            check_payment(
                TrancheStatus::Releasable,
                Fen(2_500_001),
                t,
                Fen::ZERO,
                g,
                Fen::ZERO
            ),
            Err(PaymentProblem::OverTranche { left: t })
        );
        assert_eq!(
            check_payment(
                TrancheStatus::Releasable,
                t,
                t,
                Fen::ZERO,
                g,
                Fen::from_yuan(40_000)
            ),
            Err(PaymentProblem::OverGrant {
                left: Fen::from_yuan(10_000)
            })
        );
        assert!(check_payment(TrancheStatus::Releasable, t, t, Fen::ZERO, g, Fen::ZERO).is_ok());
    }
}

/// Where one project stands, from its plan and its latest filed report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectFigures {
    pub paid: Fen,
    pub spent_grant: Fen,
    pub spent_matching: Fen,
    pub unique_people: i64,
    pub person_times: i64,
    /// Milestones past due without a filed report.
    pub overdue_reports: usize,
    /// Budget lines spent above their budget.
    pub overspent_lines: usize,
}

impl ProjectFigures {
    /// Needs the officer's attention.
    pub fn at_risk(&self) -> bool {
        self.overdue_reports > 0 || self.overspent_lines > 0
    }
}

/// The figures of a project: `latest` is its latest filed report (if any), `milestones` the
/// plan's due dates with whether each has a filed report.
pub fn project_figures(
    budget: &[BudgetLine],
    latest: Option<&ReportContent>,
    milestones: &[(NaiveDate, bool)],
    paid: Fen,
    today: NaiveDate,
) -> ProjectFigures {
    let empty = ReportContent::default();
    let r = latest.unwrap_or(&empty);
    let (spent_grant, spent_matching) = r.spent_by_source(budget);
    ProjectFigures {
        paid,
        spent_grant,
        spent_matching,
        unique_people: r.unique_total(),
        person_times: r.person_times_total(),
        overdue_reports: milestones
            .iter()
            .filter(|(due, filed)| !filed && *due < today)
            .count(),
        overspent_lines: budget
            .iter()
            .enumerate()
            .filter(|(i, l)| r.spent_on(*i) > l.amount)
            .count(),
    }
}

/// What a terminated project owes back (追回): the grant paid but not spent on the
/// budget, never below zero.
pub fn refund_owed(paid: Fen, spent_grant: Fen) -> Fen {
    paid.saturating_sub(spent_grant).max(Fen::ZERO)
}

/// Checks a refund payment against what is still outstanding.
pub fn check_refund(amount: Fen, owed: Fen, refunded: Fen) -> Result<(), Msg> {
    let left = owed.saturating_sub(refunded);
    if amount.0 <= 0 {
        return Err(Msg::new("tranche.amount_positive"));
    }
    if amount > left {
        return Err(Msg::new("refund.over").arg("left", left));
    }
    Ok(())
}

#[cfg(test)]
mod figure_tests {
    use super::*;
    use crate::domain::proposal::BudgetCategory;

    #[test]
    fn planned_categories_match_their_group_by_code_or_label() {
        use BeneficiaryGroup as G;
        assert_eq!(G::of_planned("elderly"), Some(G::Elderly));
        assert_eq!(G::of_planned(" migrant_workers "), Some(G::MigrantWorkers));
        assert_eq!(G::of_planned("老年人"), Some(G::Elderly));
        assert_eq!(G::of_planned("儿童青少年"), Some(G::Youth));
        assert_eq!(G::of_planned("外来务工人员"), Some(G::MigrantWorkers));
        assert_eq!(G::of_planned("people with disabilities"), Some(G::Disabled));
        assert_eq!(G::of_planned("其他"), Some(G::Other));
        assert_eq!(G::of_planned("儿童"), None, "not a group's label");
        assert_eq!(G::of_planned("Elderly people"), None);
        assert_eq!(G::of_planned(""), None);
    }

    #[test]
    fn figures_add_up_and_flag_risks() {
        let budget = vec![
            BudgetLine {
                category: BudgetCategory::Activity,
                item: "a".into(),
                amount: Fen(1000),
                source: FundingSource::Grant,
            },
            BudgetLine {
                category: BudgetCategory::Activity,
                item: "b".into(),
                amount: Fen(500),
                source: FundingSource::Donation,
            },
        ];
        let r = ReportContent {
            beneficiaries: vec![
                GroupCount {
                    group: "elderly".into(),
                    unique_people: 10,
                    person_times: 30,
                },
                GroupCount {
                    group: "women".into(),
                    unique_people: 5,
                    person_times: 5,
                },
            ],
            spending: vec![
                SpendLine {
                    line: 0,
                    spent: Fen(1050),
                    over_reason: "x".into(),
                },
                SpendLine {
                    line: 1,
                    spent: Fen(200),
                    over_reason: String::new(),
                },
            ],
            ..ReportContent::default()
        };
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let f = project_figures(
            &budget,
            Some(&r),
            &[
                (d("2027-03-01"), true),
                (d("2027-06-01"), false),
                (d("2027-09-01"), false),
            ],
            Fen(700),
            d("2027-07-01"),
        );
        assert_eq!(
            f,
            ProjectFigures {
                paid: Fen(700),
                spent_grant: Fen(1050),
                spent_matching: Fen(200),
                unique_people: 15,
                person_times: 35,
                overdue_reports: 1,
                overspent_lines: 1,
            }
        );
        assert!(f.at_risk());
        let none = project_figures(&budget, None, &[], Fen::ZERO, d("2027-07-01"));
        assert!(!none.at_risk() && none.unique_people == 0);
    }

    #[test]
    fn refunds_are_the_unspent_grant() {
        assert_eq!(refund_owed(Fen(25_000), Fen(10_000)), Fen(15_000));
        assert_eq!(refund_owed(Fen(10_000), Fen(12_000)), Fen::ZERO);
        assert!(check_refund(Fen(5_000), Fen(15_000), Fen(10_000)).is_ok());
        assert!(check_refund(Fen(5_001), Fen(15_000), Fen(10_000)).is_err());
        assert!(check_refund(Fen(0), Fen(15_000), Fen(0)).is_err());
    }
}
