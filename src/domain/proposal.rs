//! Proposals (项目申报书): their content, and every rule checked when one is submitted.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::limits;
use super::money::Fen;
use super::org::{Inspection, OrgStatus, RegType};
use super::round::{registered_long_enough, RoundCore, RoundRules, RoundStatus};
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    ProposalStatus {
        Draft = "draft",
        Submitted = "submitted",
        Returned = "returned",
        Eligible = "eligible",
        Ineligible = "ineligible",
        Withdrawn = "withdrawn",
    }
);
str_enum!(
    /// 预算科目.
    BudgetCategory { Activity = "activity", Personnel = "personnel", Admin = "admin", Tax = "tax" }
);
str_enum!(
    /// Who pays for a budget line.
    FundingSource {
        Grant = "grant",
        SelfFunded = "self",
        Enterprise = "enterprise",
        Community = "community",
        Donation = "donation",
        Other = "other",
    }
);

impl ProposalStatus {
    /// The applicant may still change it.
    pub fn editable(self) -> bool {
        matches!(self, ProposalStatus::Draft | ProposalStatus::Returned)
    }
    /// It can be withdrawn now, in a round in state `round`: before the award.
    pub fn withdrawable_in(self, round: RoundStatus) -> bool {
        self.withdrawable() && !round.past_award()
    }
    /// Before the award: it can be withdrawn.
    pub fn withdrawable(self) -> bool {
        matches!(
            self,
            ProposalStatus::Draft
                | ProposalStatus::Submitted
                | ProposalStatus::Returned
                | ProposalStatus::Eligible
        )
    }
}

#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct BeneficiaryLine {
    pub category: String,
    /// Unique people (受益人数).
    pub unique_people: i64,
    /// Person-times (服务人次).
    pub person_times: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MilestoneLine {
    pub due: NaiveDate,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub deliverable: String,
    #[serde(default)]
    pub target_beneficiaries: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BudgetLine {
    pub category: BudgetCategory,
    #[serde(default)]
    pub item: String,
    #[serde(default)]
    pub amount: Fen,
    pub source: FundingSource,
}

/// Everything the applicant writes. Stored as JSON; a draft may be incomplete.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct ProposalContent {
    pub category: String,
    pub title: String,
    pub summary: String,
    pub need_analysis: String,
    pub target_group: String,
    pub service_area: String,
    pub activities: String,
    pub team: String,
    pub project_lead: String,
    pub project_lead_phone: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub requested_grant: Fen,
    pub beneficiaries: Vec<BeneficiaryLine>,
    pub indirect_beneficiaries: String,
    pub milestones: Vec<MilestoneLine>,
    pub budget: Vec<BudgetLine>,
    /// Performance targets (绩效目标) against the round's indicator tree.
    pub targets: Vec<super::target::TargetLine>,
}

impl ProposalContent {
    /// Some target follows no report figure: progress reports give its value.
    pub fn has_reported_targets(&self) -> bool {
        self.targets.iter().any(|t| t.figure().is_none())
    }
    /// Totals never wrap (see `Fen`'s `Sum`).
    pub fn total_budget(&self) -> Fen {
        self.budget.iter().map(|l| l.amount).sum()
    }
    pub fn grant_lines_total(&self) -> Fen {
        self.budget
            .iter()
            .filter(|l| l.source == FundingSource::Grant)
            .map(|l| l.amount)
            .sum()
    }
    pub fn matching_total(&self) -> Fen {
        self.budget
            .iter()
            .filter(|l| l.source != FundingSource::Grant)
            .map(|l| l.amount)
            .sum()
    }
    fn grant_in(&self, cat: BudgetCategory) -> Fen {
        self.budget
            .iter()
            .filter(|l| l.source == FundingSource::Grant && l.category == cat)
            .map(|l| l.amount)
            .sum()
    }
    /// Every amount a person may give (`Fen::check`), named: `requested_grant`, or `budget`
    /// with the row. Checked on every save, drafts included.
    pub fn check_amounts(&self, e: &mut FieldErrors) {
        super::money::check_field(e, "requested_grant", self.requested_grant);
        for (i, l) in self.budget.iter().enumerate() {
            if l.amount.check().is_err() {
                e.add(
                    "budget",
                    Msg::new("field.budget_line_money")
                        .arg("line", i + 1)
                        .arg("max", Fen(super::money::MAX_FEN)),
                );
            }
        }
    }
    /// Matching funds by source.
    pub fn matching_by_source(&self) -> Vec<(FundingSource, Fen)> {
        FundingSource::ALL
            .iter()
            .filter(|s| **s != FundingSource::Grant)
            .map(|s| {
                (
                    *s,
                    self.budget
                        .iter()
                        .filter(|l| l.source == *s)
                        .map(|l| l.amount)
                        .sum::<Fen>(),
                )
            })
            .filter(|(_, f)| f.0 > 0)
            .collect()
    }
}

/// What the submission rules need to know about the organization.
#[derive(Debug, Clone)]
pub struct OrgFacts {
    pub status: OrgStatus,
    pub reg_type: RegType,
    pub registered_on: Option<NaiveDate>,
    pub inspections: Vec<(i32, Inspection)>,
    pub credit_flagged: bool,
    /// Barred from this bureau's rounds (a failed final evaluation).
    pub barred: bool,
    /// Proposals of the org in this round already submitted (not drafts, not withdrawn),
    /// other than this one.
    pub other_submissions: i64,
    /// A registration certificate is on file (org documents or proposal attachments).
    pub has_registration_certificate: bool,
    /// Funded in the bureau's previous round.
    pub previous_winner: bool,
}

/// Words that suggest an item the grant may not pay for (fixed assets, infrastructure,
/// cash or gifts to beneficiaries). Flagged for the officer, not refused.
const FORBIDDEN_HINTS: &[&str] = &[
    "固定资产",
    "基建",
    "基础设施",
    "装修",
    "购车",
    "现金",
    "购物卡",
    "礼品",
    "礼金",
    "红包",
];

/// Budget lines (by index) whose item looks like something the grant may not pay for.
pub fn flagged_budget_lines(c: &ProposalContent) -> Vec<usize> {
    c.budget
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.source == FundingSource::Grant && FORBIDDEN_HINTS.iter().any(|w| l.item.contains(w))
        })
        .map(|(i, _)| i)
        .collect()
}

fn required(e: &mut FieldErrors, field: &str, v: &str) {
    if v.trim().is_empty() {
        e.add(field, Msg::new("field.required"));
    }
}

/// The length of every text, checked on each save and again on submission.
pub fn check_lengths(c: &ProposalContent, e: &mut FieldErrors) {
    for (f, v, max) in [
        ("category", &c.category, limits::ROW_TEXT),
        ("title", &c.title, limits::TITLE),
        ("summary", &c.summary, limits::SUMMARY),
        (
            "need_analysis",
            &c.need_analysis,
            limits::PROPOSAL_NARRATIVE,
        ),
        ("target_group", &c.target_group, limits::DESCRIPTION),
        ("service_area", &c.service_area, limits::DESCRIPTION),
        ("activities", &c.activities, limits::PROPOSAL_NARRATIVE),
        ("team", &c.team, limits::TEAM),
        ("project_lead", &c.project_lead, limits::PERSON_NAME),
        ("project_lead_phone", &c.project_lead_phone, limits::PHONE),
        (
            "indirect_beneficiaries",
            &c.indirect_beneficiaries,
            limits::DESCRIPTION,
        ),
    ] {
        limits::check(e, f, v, max);
    }
    let long = |v: &String| limits::char_len(v) > limits::ROW_TEXT;
    for (group, too_long) in [
        (
            "beneficiaries",
            c.beneficiaries.iter().any(|b| long(&b.category)),
        ),
        (
            "milestones",
            c.milestones
                .iter()
                .any(|m| long(&m.title) || long(&m.deliverable)),
        ),
        ("budget", c.budget.iter().any(|l| long(&l.item))),
    ] {
        if too_long {
            e.add(group, limits::too_long(limits::ROW_TEXT));
        }
    }
}

/// The content rules: every field present, numbers consistent, money within the round's
/// limits, dates inside the project period.
pub fn check_content(
    c: &ProposalContent,
    core: &RoundCore,
    rules: &RoundRules,
    e: &mut FieldErrors,
) {
    if c.category.trim().is_empty() {
        e.add("category", Msg::new("field.required"));
    } else if !rules.categories.iter().any(|x| x == &c.category) {
        e.add("category", Msg::new("field.choice_invalid"));
    }
    for (f, v) in [
        ("title", &c.title),
        ("summary", &c.summary),
        ("need_analysis", &c.need_analysis),
        ("target_group", &c.target_group),
        ("service_area", &c.service_area),
        ("activities", &c.activities),
        ("team", &c.team),
        ("project_lead", &c.project_lead),
        ("project_lead_phone", &c.project_lead_phone),
    ] {
        required(e, f, v);
    }
    check_lengths(c, e);
    if !c.project_lead_phone.trim().is_empty() && !super::org::valid_phone(&c.project_lead_phone) {
        e.add("project_lead_phone", Msg::new("field.phone_invalid"));
    }

    // Project period.
    let earliest = core.deadline_date();
    match (c.start_date, c.end_date) {
        (Some(s), Some(end)) => {
            if end <= s {
                e.add("end_date", Msg::new("field.end_before_start"));
            } else if s
                .checked_add_months(chrono::Months::new(rules.project_months as u32))
                .is_some_and(|max| end > max)
            {
                e.add(
                    "end_date",
                    Msg::new("field.period_too_long").arg("months", rules.project_months),
                );
            }
            if earliest.is_some_and(|d| s < d) {
                e.add("start_date", Msg::new("field.start_before_close"));
            }
        }
        (s, end) => {
            if s.is_none() {
                e.add("start_date", Msg::new("field.required"));
            }
            if end.is_none() {
                e.add("end_date", Msg::new("field.required"));
            }
        }
    }

    // Beneficiaries.
    if c.beneficiaries.is_empty() {
        e.add("beneficiaries", Msg::new("field.required"));
    }
    for (i, b) in c.beneficiaries.iter().enumerate() {
        if b.category.trim().is_empty() || b.unique_people < 0 || b.person_times < 0 {
            e.add(
                "beneficiaries",
                Msg::new("field.beneficiary_line").arg("line", i + 1),
            );
        } else if b.unique_people > b.person_times {
            e.add(
                "beneficiaries",
                Msg::new("field.unique_over_times").arg("line", i + 1),
            );
        }
    }

    // Milestones.
    if c.milestones.is_empty() {
        e.add("milestones", Msg::new("field.required"));
    }
    for (i, m) in c.milestones.iter().enumerate() {
        if m.title.trim().is_empty()
            || m.deliverable.trim().is_empty()
            || m.target_beneficiaries < 0
        {
            e.add(
                "milestones",
                Msg::new("field.milestone_line").arg("line", i + 1),
            );
        } else if let (Some(s), Some(end)) = (c.start_date, c.end_date) {
            if m.due < s || m.due > end {
                e.add(
                    "milestones",
                    Msg::new("field.milestone_outside").arg("line", i + 1),
                );
            }
        }
    }

    // Budget.
    if c.budget.is_empty() {
        e.add("budget", Msg::new("field.required"));
    }
    let grant = c.requested_grant;
    if grant.0 <= 0 {
        e.add("requested_grant", Msg::new("field.required"));
    } else if let Err(err) = grant.check() {
        e.add("requested_grant", Msg::new(err.key()));
    } else if grant < core.min_grant || grant > core.max_grant {
        e.add(
            "requested_grant",
            Msg::new("field.grant_range")
                .arg("min", core.min_grant)
                .arg("max", core.max_grant),
        );
    }
    check_budget(c, rules, e);
    super::target::check_targets(&c.targets, &rules.targets, e);
}

/// The budget lines against the grant and the round's caps: every line named with a positive
/// amount, the grant lines summing to the grant, the matching share, the personnel and
/// administrative caps. Checked on submission and on every budget change of a project
/// (项目变更).
pub fn check_budget(c: &ProposalContent, rules: &RoundRules, e: &mut FieldErrors) {
    for (i, l) in c.budget.iter().enumerate() {
        if l.item.trim().is_empty() || l.amount.0 <= 0 || l.amount.check().is_err() {
            e.add("budget", Msg::new("field.budget_line").arg("line", i + 1));
        }
    }
    let grant = c.requested_grant;
    if grant.0 <= 0 || grant.check().is_err() {
        return;
    }
    if !c.budget.is_empty() && c.grant_lines_total() != grant {
        e.add(
            "budget",
            Msg::new("field.grant_lines_sum")
                .arg("lines", c.grant_lines_total())
                .arg("grant", grant),
        );
    }
    let total = c.total_budget();
    if total.0 > 0
        && (grant.0 as i128) * 10_000 > (total.0 as i128) * (rules.max_grant_share_bp as i128)
    {
        e.add(
            "budget",
            Msg::new("field.matching_short")
                .arg("share", format!("{}%", rules.max_grant_share_bp / 100)),
        );
    }
    if c.grant_in(BudgetCategory::Personnel) > grant.share_bp(rules.personnel_max_bp) {
        e.add(
            "budget",
            Msg::new("field.personnel_cap")
                .arg("cap", format!("{}%", rules.personnel_max_bp / 100)),
        );
    }
    if c.grant_in(BudgetCategory::Admin) > grant.share_bp(rules.admin_max_bp) {
        e.add(
            "budget",
            Msg::new("field.admin_cap").arg("cap", format!("{}%", rules.admin_max_bp / 100)),
        );
    }
}

/// The organization's eligibility for the round (DESIGN §2.1), as of the deadline.
pub fn check_org(org: &OrgFacts, core: &RoundCore, rules: &RoundRules, e: &mut FieldErrors) {
    if org.status != OrgStatus::Verified {
        e.add("org", Msg::new("field.org_not_verified"));
    }
    if !rules.allowed_reg_types.contains(&org.reg_type) {
        e.add("org", Msg::new("field.org_type_not_allowed"));
    }
    let at = core.deadline_date();
    if let Some(at) = at {
        match org.registered_on {
            Some(d) if registered_long_enough(d, at, rules.min_registered_months) => {}
            _ => e.add(
                "org",
                Msg::new("field.org_too_young").arg("months", rules.min_registered_months),
            ),
        }
        let last_year = at.year() - 1;
        for y in (0..rules.inspection_years).map(|k| last_year - k) {
            let ok = org.inspections.iter().any(|(year, r)| {
                *year == y && matches!(r, Inspection::Qualified | Inspection::BasicallyQualified)
            });
            if !ok {
                e.add("org", Msg::new("field.org_inspection").arg("year", y));
            }
        }
    }
    if org.credit_flagged {
        e.add("org", Msg::new("field.org_credit"));
    }
    if org.barred {
        e.add("org", Msg::new("field.org_barred"));
    }
    if org.other_submissions >= rules.max_proposals_per_org as i64 {
        e.add(
            "org",
            Msg::new("field.org_limit").arg("max", rules.max_proposals_per_org),
        );
    }
    if rules.exclude_previous_winners && org.previous_winner {
        e.add("org", Msg::new("field.org_previous_winner"));
    }
    if !org.has_registration_certificate {
        e.add("attachments", Msg::new("field.certificate_missing"));
    }
}

/// Whether the round takes submissions at `now` (server time decides).
pub fn check_deadline(
    status: RoundStatus,
    core: &RoundCore,
    now: NaiveDateTime,
    e: &mut FieldErrors,
) {
    let open = status == RoundStatus::Open
        && core.opens_at.is_some_and(|o| o <= now)
        && core.closes_at.is_some_and(|c| now < c);
    if !open {
        e.add("deadline", Msg::new("field.round_not_accepting"));
    }
}

/// Everything checked on submission, all at once.
pub fn check_submission(
    c: &ProposalContent,
    status: RoundStatus,
    core: &RoundCore,
    rules: &RoundRules,
    org: &OrgFacts,
    now: NaiveDateTime,
) -> FieldErrors {
    let mut e = FieldErrors::new();
    check_deadline(status, core, now, &mut e);
    check_org(org, core, rules, &mut e);
    check_content(c, core, rules, &mut e);
    e
}

/// One line of the automatic screening checklist (形式审查清单).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CheckItem {
    /// Locale key of the check, e.g. `check.org`.
    pub key: &'static str,
    pub ok: bool,
    /// The problems found, as locale messages rendered by the caller.
    #[serde(skip)]
    pub problems: Vec<Msg>,
}

/// The screening checklist: eligibility, attachments, completeness, numbers, budget rules,
/// and items the grant may not pay for.
pub fn checklist(
    c: &ProposalContent,
    core: &RoundCore,
    rules: &RoundRules,
    org: &OrgFacts,
) -> Vec<CheckItem> {
    let mut e = FieldErrors::new();
    check_org(org, core, rules, &mut e);
    check_content(c, core, rules, &mut e);
    let groups: [(&'static str, &[&str]); 7] = [
        ("check.org", &["org"]),
        ("check.attachments", &["attachments"]),
        (
            "check.content",
            &[
                "category",
                "title",
                "summary",
                "need_analysis",
                "target_group",
                "service_area",
                "activities",
                "team",
                "project_lead",
                "project_lead_phone",
            ],
        ),
        ("check.period", &["start_date", "end_date", "milestones"]),
        ("check.beneficiaries", &["beneficiaries"]),
        ("check.budget", &["requested_grant", "budget"]),
        ("check.targets", &["targets"]),
    ];
    let mut items: Vec<CheckItem> = groups
        .iter()
        .map(|(key, fields)| {
            let problems: Vec<Msg> =
                e.0.iter()
                    .filter(|x| fields.contains(&x.field.as_str()))
                    .map(|x| x.msg.clone())
                    .collect();
            CheckItem {
                key,
                ok: problems.is_empty(),
                problems,
            }
        })
        .collect();
    let flagged = flagged_budget_lines(c);
    items.push(CheckItem {
        key: "check.forbidden_items",
        ok: flagged.is_empty(),
        problems: flagged
            .iter()
            .map(|i| Msg::new("field.budget_flagged").arg("line", i + 1))
            .collect(),
    });
    items
}

/// `GY-2027-0042`.
pub fn number(year: i32, seq: i64) -> String {
    format!("GY-{year}-{seq:04}")
}

#[cfg(test)]
pub mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    pub fn core() -> RoundCore {
        RoundCore {
            title: "r".into(),
            year: 2027,
            description: "g".into(),
            total_budget: Fen::from_yuan(1_000_000),
            min_grant: Fen::from_yuan(10_000),
            max_grant: Fen::from_yuan(100_000),
            opens_at: Some(t("2027-01-01 00:00")),
            closes_at: Some(t("2027-02-01 09:00")),
            review_due: Some(t("2027-03-01 09:00")),
        }
    }

    pub fn content() -> ProposalContent {
        let line = |category, item: &str, yuan, source| BudgetLine {
            category,
            item: item.into(),
            amount: Fen::from_yuan(yuan),
            source,
        };
        ProposalContent {
            category: "为老服务".into(),
            title: "银龄互助".into(),
            summary: "s".into(),
            need_analysis: "n".into(),
            target_group: "独居老人".into(),
            service_area: "平江街道".into(),
            activities: "a".into(),
            team: "t".into(),
            project_lead: "王芳".into(),
            project_lead_phone: "13800138000".into(),
            start_date: Some(d("2027-04-01")),
            end_date: Some(d("2028-03-31")),
            requested_grant: Fen::from_yuan(50_000),
            beneficiaries: vec![BeneficiaryLine {
                category: "老年人".into(),
                unique_people: 120,
                person_times: 960,
            }],
            indirect_beneficiaries: String::new(),
            milestones: vec![MilestoneLine {
                due: d("2027-09-30"),
                title: "中期".into(),
                deliverable: "报告".into(),
                target_beneficiaries: 60,
            }],
            budget: vec![
                line(
                    BudgetCategory::Activity,
                    "活动物料",
                    30_000,
                    FundingSource::Grant,
                ),
                line(
                    BudgetCategory::Personnel,
                    "社工补贴",
                    15_000,
                    FundingSource::Grant,
                ),
                line(BudgetCategory::Admin, "管理费", 5_000, FundingSource::Grant),
                line(
                    BudgetCategory::Activity,
                    "场地",
                    20_000,
                    FundingSource::Community,
                ),
            ],
            targets: Vec::new(),
        }
    }

    pub fn org() -> OrgFacts {
        OrgFacts {
            status: OrgStatus::Verified,
            reg_type: RegType::SocialService,
            registered_on: Some(d("2020-01-01")),
            inspections: vec![
                (2026, Inspection::Qualified),
                (2025, Inspection::BasicallyQualified),
            ],
            credit_flagged: false,
            barred: false,
            other_submissions: 0,
            has_registration_certificate: true,
            previous_winner: false,
        }
    }

    fn keys(e: &FieldErrors) -> Vec<String> {
        e.0.iter()
            .map(|x| format!("{}:{}", x.field, x.msg.key))
            .collect()
    }

    #[test]
    fn a_complete_proposal_passes() {
        let e = check_submission(
            &content(),
            RoundStatus::Open,
            &core(),
            &RoundRules::default(),
            &org(),
            t("2027-01-15 10:00"),
        );
        assert!(e.is_empty(), "{:?}", keys(&e));
    }

    #[test]
    fn after_the_deadline_nothing_is_accepted() {
        let e = check_submission(
            &content(),
            RoundStatus::Open,
            &core(),
            &RoundRules::default(),
            &org(),
            t("2027-02-01 09:00"),
        );
        assert_eq!(keys(&e), vec!["deadline:field.round_not_accepting"]);
    }

    #[test]
    fn money_rules_are_all_reported() {
        let mut c = content();
        c.requested_grant = Fen::from_yuan(70_000); // lines say 60,000
        c.budget[1].amount = Fen::from_yuan(25_000); // personnel 25k of 60k > 30%
        c.budget.pop(); // no matching funds: grant share 100% > 80%
        let e = check_submission(
            &c,
            RoundStatus::Open,
            &core(),
            &RoundRules::default(),
            &org(),
            t("2027-01-15 10:00"),
        );
        assert_eq!(
            keys(&e),
            vec![
                "budget:field.grant_lines_sum",
                "budget:field.matching_short",
                "budget:field.personnel_cap"
            ]
        );
    }

    #[test]
    fn counts_and_dates_are_checked() {
        let mut c = content();
        c.beneficiaries[0].unique_people = 1000;
        c.milestones[0].due = d("2028-06-30");
        c.end_date = Some(d("2028-06-30"));
        let e = check_submission(
            &c,
            RoundStatus::Open,
            &core(),
            &RoundRules::default(),
            &org(),
            t("2027-01-15 10:00"),
        );
        assert_eq!(
            keys(&e),
            vec![
                "end_date:field.period_too_long",
                "beneficiaries:field.unique_over_times"
            ]
        );
    }

    #[test]
    fn the_organization_must_be_eligible() {
        let mut o = org();
        o.registered_on = Some(d("2026-06-01"));
        o.inspections = vec![(2026, Inspection::Unqualified)];
        o.credit_flagged = true;
        o.other_submissions = 2;
        o.has_registration_certificate = false;
        let e = check_submission(
            &content(),
            RoundStatus::Open,
            &core(),
            &RoundRules::default(),
            &o,
            t("2027-01-15 10:00"),
        );
        assert_eq!(
            keys(&e),
            vec![
                "org:field.org_too_young",
                "org:field.org_inspection",
                "org:field.org_inspection",
                "org:field.org_credit",
                "org:field.org_limit",
                "attachments:field.certificate_missing"
            ]
        );
    }

    #[test]
    fn the_checklist_groups_problems_by_theme() {
        let mut c = content();
        c.budget[0].item = "礼品".into();
        let mut o = org();
        o.credit_flagged = true;
        let items = checklist(&c, &core(), &RoundRules::default(), &o);
        let failing: Vec<&str> = items.iter().filter(|i| !i.ok).map(|i| i.key).collect();
        assert_eq!(failing, vec!["check.org", "check.forbidden_items"]);
        assert_eq!(items.len(), 8);
        // A round that requires targets: a proposal without them fails their item.
        let mut rules = RoundRules::default();
        rules.targets.required = true;
        let items = checklist(&c, &core(), &rules, &o);
        let targets = items.iter().find(|i| i.key == "check.targets").unwrap();
        assert!(!targets.ok);
        assert_eq!(targets.problems.len(), 4, "one per required indicator");
    }

    #[test]
    fn suspicious_budget_items_are_flagged() {
        let mut c = content();
        c.budget[0].item = "为老人发放购物卡".into();
        assert_eq!(flagged_budget_lines(&c), vec![0]);
        assert_eq!(number(2027, 42), "GY-2027-0042");
    }
    /// The date-rule problems of `o` and `c` in a round closing at `closes_at` (UTC).
    fn date_problems(o: &OrgFacts, c: &ProposalContent, closes_at: NaiveDateTime) -> Vec<String> {
        let mut r = core();
        r.closes_at = Some(closes_at);
        let mut e = FieldErrors::new();
        check_org(o, &r, &RoundRules::default(), &mut e);
        check_content(c, &r, &RoundRules::default(), &mut e);
        keys(&e)
    }

    /// A Beijing wall-clock time `s` as the UTC instant the database stores.
    fn beijing(s: &str) -> NaiveDateTime {
        t(s) - chrono::Duration::hours(8)
    }

    #[test]
    fn the_rules_read_the_beijing_date_of_the_deadline() {
        // Registered 2026-01-01 (12 months needed), inspections for 2025 and 2026 only, a
        // project starting 2026-12-31: what each deadline makes of them.
        let mut o = org();
        o.registered_on = Some(d("2026-01-01"));
        o.inspections = vec![(2026, Inspection::Qualified), (2025, Inspection::Qualified)];
        let mut c = content();
        c.start_date = Some(d("2026-12-31"));
        c.end_date = Some(d("2027-11-30"));
        let young = "org:field.org_too_young";
        let inspection = "org:field.org_inspection";
        let early = "start_date:field.start_before_close";
        for (deadline, expected) in [
            // 31 December in Beijing: one day short of 12 months, the years are 2025 and
            // 2024, and a start on the deadline's date is fine.
            ("2026-12-31 00:00", vec![young, inspection]),
            ("2026-12-31 07:59", vec![young, inspection]),
            ("2026-12-31 08:00", vec![young, inspection]),
            ("2026-12-31 23:30", vec![young, inspection]),
            ("2026-12-31 23:59", vec![young, inspection]),
            // 1 January in Beijing (still 31 December in UTC until 08:00): 12 months
            // exactly, the years are 2026 and 2025, and the start is before the deadline.
            ("2027-01-01 00:00", vec![early]),
            ("2027-01-01 00:01", vec![early]),
            ("2027-01-01 07:30", vec![early]),
            ("2027-01-01 07:59", vec![early]),
            ("2027-01-01 08:00", vec![early]),
            ("2027-01-01 08:01", vec![early]),
        ] {
            let got = date_problems(&o, &c, beijing(deadline));
            let got: Vec<&str> = got
                .iter()
                .map(String::as_str)
                .filter(|k| [young, inspection, early].contains(k))
                .collect();
            assert_eq!(got, expected, "deadline {deadline} Beijing");
        }
    }

    proptest::proptest! {
        /// Every date rule of a submission, on both sides of 00:00 and 08:00 Beijing: the
        /// outcome depends on the deadline's Beijing date only, never on its UTC date.
        #[test]
        fn every_date_rule_flips_on_the_beijing_date(
            day in 0i64..(4 * 366),
            minute in proptest::prop_oneof![
                proptest::strategy::Just(0i64),
                proptest::strategy::Just(1i64),
                proptest::strategy::Just(8 * 60 - 1),
                proptest::strategy::Just(8 * 60),
                proptest::strategy::Just(8 * 60 + 1),
                proptest::strategy::Just(24 * 60 - 1),
                0i64..(24 * 60),
            ],
        ) {
            let deadline_day = d("2025-01-01") + chrono::Duration::days(day);
            let closes_at = beijing(&format!("{deadline_day} 00:00"))
                + chrono::Duration::minutes(minute);
            let mut r = core();
            r.closes_at = Some(closes_at);
            proptest::prop_assert_eq!(r.deadline_date(), Some(deadline_day));

            let year = deadline_day.year();
            let exactly = deadline_day
                .checked_sub_months(chrono::Months::new(12))
                .unwrap();
            // The next day is a day too young, except 29 February, whose anniversary in a
            // common year is 28 February: then 1 March is.
            let mut too_young = exactly + chrono::Duration::days(1);
            if (too_young.month(), too_young.day()) == (2, 29) {
                too_young += chrono::Duration::days(1);
            }
            let mut c = content();
            c.end_date = Some(deadline_day + chrono::Duration::days(300));
            c.milestones[0].due = deadline_day + chrono::Duration::days(100);
            let cases = [
                // (registered on, inspected years, project start) → problems
                (exactly, [year - 1, year - 2], deadline_day, vec![]),
                (
                    too_young,
                    [year - 1, year - 2],
                    deadline_day,
                    vec!["org:field.org_too_young"],
                ),
                (
                    exactly,
                    [year - 2, year - 3],
                    deadline_day,
                    vec!["org:field.org_inspection"],
                ),
                (
                    exactly,
                    [year - 1, year - 2],
                    deadline_day - chrono::Duration::days(1),
                    vec!["start_date:field.start_before_close"],
                ),
            ];
            for (registered, years, start, expected) in cases {
                let mut o = org();
                o.registered_on = Some(registered);
                o.inspections = years.iter().map(|y| (*y, Inspection::Qualified)).collect();
                c.start_date = Some(start);
                proptest::prop_assert_eq!(date_problems(&o, &c, closes_at), expected);
            }
        }
    }
}
