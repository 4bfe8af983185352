//! The award (DESIGN §2.4): the published ranking's states, objections (异议), filling the
//! list from the waitlist after a removal, agreement numbers and project periods.

use chrono::{Months, NaiveDate, NaiveDateTime};

use super::account::{parse_email, parse_name};
use super::calendar::{beijing_date, HolidayCalendar};
use super::limits;
use super::money::Fen;
use super::review::{funding_line, FundingRule, LineInput, LineOverride};
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// Where a ranked proposal stands on the published list (`excluded`: moved below the
    /// line by the officer with a reason, never filled back in).
    AwardState {
        Funded = "funded",
        Waitlisted = "waitlisted",
        NotFundable = "not_fundable",
        Excluded = "excluded",
        Removed = "removed",
    }
);

str_enum!(
    /// An objection during the public notice.
    ObjectionStatus { Open = "open", Upheld = "upheld", Rejected = "rejected" }
);

/// What anyone may send during the notice.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ObjectionInput {
    pub proposal_id: Option<i64>,
    pub name: String,
    /// The answer is sent here.
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub reason: String,
}

/// A checked objection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidObjection {
    pub proposal_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub reason: String,
}

pub const OBJECTION_REASON_MIN: usize = 10;
pub const OBJECTION_REASON_MAX: usize = limits::OBJECTION_REASON;

/// Checks an objection field by field; `listed` are the proposals on the list.
pub fn check_objection(i: &ObjectionInput, listed: &[i64]) -> Result<ValidObjection, FieldErrors> {
    let mut e = FieldErrors::new();
    let proposal_id = match i.proposal_id {
        Some(id) if listed.contains(&id) => id,
        Some(_) => {
            e.add("proposal_id", Msg::new("objection.not_listed"));
            0
        }
        None => {
            e.add("proposal_id", Msg::new("field.required"));
            0
        }
    };
    let name = parse_name(&i.name).unwrap_or_else(|m| {
        e.add("name", m);
        String::new()
    });
    let email = parse_email(&i.email).unwrap_or_else(|m| {
        e.add("email", m);
        String::new()
    });
    let phone = i.phone.trim().to_string();
    limits::check(&mut e, "phone", &phone, limits::PHONE);
    let reason = i.reason.trim().to_string();
    let n = reason.chars().count();
    if n == 0 {
        e.add("reason", Msg::new("field.required"));
    } else if n < OBJECTION_REASON_MIN {
        e.add(
            "reason",
            Msg::new("field.too_short").arg("min", OBJECTION_REASON_MIN),
        );
    } else if n > OBJECTION_REASON_MAX {
        e.add(
            "reason",
            Msg::new("field.too_long").arg("max", OBJECTION_REASON_MAX),
        );
    }
    if e.is_empty() {
        Ok(ValidObjection {
            proposal_id,
            name,
            email,
            phone,
            reason,
        })
    } else {
        Err(e)
    }
}

/// Hours within which the author of an objection must confirm it from the emailed link;
/// unconfirmed objections count nowhere and are deleted after that.
pub const OBJECTION_CONFIRM_HOURS: i64 = 24;

/// An email address as compared for duplicates and limits: trimmed, lower-case, without a
/// `+tag` in the local part (`Li.Ming+x@Example.org` is `li.ming@example.org`).
pub fn normalized_email(email: &str) -> String {
    let e = email.trim().to_lowercase();
    match e.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => e,
    }
}

/// A reason as compared for duplicates: without whitespace (Chinese text has no spaces to
/// keep), lower-case.
fn normalized_reason(reason: &str) -> String {
    reason
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What decides whether two objections are duplicates.
#[derive(Debug, Clone, Copy)]
pub struct ObjectionKey<'a> {
    pub id: i64,
    pub proposal_id: i64,
    pub email: &'a str,
    pub reason: &'a str,
}

/// Groups duplicate objections: two are in one group when they share the normalized email,
/// or the proposal and the reason text; groups are closed under both (A–B by email and B–C by
/// reason put A, B and C together). Returns, for each input in order, the smallest id of its
/// group and the group's size.
pub fn duplicate_groups(items: &[ObjectionKey]) -> Vec<(i64, usize)> {
    use std::collections::HashMap;
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..items.len()).collect();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    let mut by_reason: HashMap<(i64, String), usize> = HashMap::new();
    for (i, o) in items.iter().enumerate() {
        let firsts = [
            *by_email.entry(normalized_email(o.email)).or_insert(i),
            *by_reason
                .entry((o.proposal_id, normalized_reason(o.reason)))
                .or_insert(i),
        ];
        for f in firsts {
            let (a, b) = (root(&mut parent, i), root(&mut parent, f));
            if a != b {
                parent[a] = b;
            }
        }
    }
    let mut first_id: HashMap<usize, i64> = HashMap::new();
    let mut size: HashMap<usize, usize> = HashMap::new();
    let roots: Vec<usize> = (0..items.len()).map(|i| root(&mut parent, i)).collect();
    for (i, r) in roots.iter().enumerate() {
        let id = first_id.entry(*r).or_insert(items[i].id);
        *id = (*id).min(items[i].id);
        *size.entry(*r).or_insert(0) += 1;
    }
    roots.iter().map(|r| (first_id[r], size[r])).collect()
}

/// One line of the published list, for [`fill_from_waitlist`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLine {
    pub proposal_id: i64,
    pub state: AwardState,
    pub amount: Fen,
    pub category: String,
    /// Funded in part under [`FundingRule::Partial`]: the amount it was cut from.
    pub partial_of: Option<Fen>,
}

/// A line of the published list that [`fill_from_waitlist`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refill {
    pub proposal_id: i64,
    /// It was waitlisted and comes in (递补); otherwise it was funded in part and its grant
    /// grows.
    pub incoming: bool,
    /// Its grant from now on.
    pub amount: Fen,
    /// Still funded in part: the amount it is cut from.
    pub partial_of: Option<Fen>,
}

/// After a removal, the published list under the round's funding `rule`, as the line would
/// put it with what the funded proposals leave of the budget and of each category's budget:
/// a proposal funded in part is topped up first (up to its own amount) when it ranks above
/// the waitlist, then the waitlisted ones come in, in rank order, as the rule lets them
/// (skip-ahead: each that fits; strict: until the first that does not fit; partial: until
/// the first that does not fit, which gets what is left when that is at least
/// `min_partial`). Funded proposals stay funded, never with less; the result never exceeds a
/// budget. Returns the lines that change, in rank order.
pub fn fill_from_waitlist(
    lines: &[ListedLine],
    budget: Fen,
    category_budgets: &[(String, Fen)],
    rule: FundingRule,
    min_partial: Fen,
) -> Vec<Refill> {
    let listed: Vec<&ListedLine> = lines
        .iter()
        .filter(|l| matches!(l.state, AwardState::Funded | AwardState::Waitlisted))
        .collect();
    // `grow`: proposals funded in part compete for more in their rank (else they keep what
    // they have, forced in).
    let run = |grow: bool| {
        let inputs: Vec<LineInput> = listed
            .iter()
            .map(|l| {
                let growing = grow && l.partial_of.is_some();
                LineInput {
                    proposal_id: l.proposal_id,
                    fundable: true,
                    amount: if growing {
                        l.partial_of.unwrap_or(l.amount)
                    } else {
                        l.amount
                    },
                    category: l.category.clone(),
                    manual: (l.state == AwardState::Funded && !growing)
                        .then_some(LineOverride::ForcedIn),
                }
            })
            .collect();
        funding_line(&inputs, budget, category_budgets, rule, min_partial)
    };
    let amount_in = |line: &super::review::LineResult, l: &ListedLine| -> Option<Fen> {
        if !line.funded.contains(&l.proposal_id) {
            return None;
        }
        Some(
            line.partial
                .iter()
                .find(|(id, _)| *id == l.proposal_id)
                .map(|(_, f)| *f)
                .unwrap_or_else(|| l.partial_of.unwrap_or(l.amount)),
        )
    };
    let mut line = run(true);
    let keeps_all = listed
        .iter()
        .filter(|l| l.state == AwardState::Funded)
        .all(|l| amount_in(&line, l).is_some_and(|a| a >= l.amount));
    if !keeps_all {
        line = run(false);
    }
    listed
        .iter()
        .filter_map(|l| {
            let full = l.partial_of.unwrap_or(l.amount);
            let amount = if l.state == AwardState::Funded && !keeps_all {
                l.amount
            } else {
                amount_in(&line, l)?
            };
            let changed = l.state == AwardState::Waitlisted || amount != l.amount;
            changed.then(|| Refill {
                proposal_id: l.proposal_id,
                incoming: l.state == AwardState::Waitlisted,
                amount,
                partial_of: (amount < full).then_some(full),
            })
        })
        .collect()
}

/// The proposals anyone may object to at `now`: while the main notice runs (until
/// `main_ends`), every one on the list; after it, those brought onto the list whose own
/// supplementary notice (补充公示) still runs. `lines`: (proposal, state, end of its
/// supplementary notice).
pub fn objection_targets(
    main_ends: NaiveDateTime,
    now: NaiveDateTime,
    lines: impl IntoIterator<Item = (i64, AwardState, Option<NaiveDateTime>)>,
) -> Vec<i64> {
    lines
        .into_iter()
        .filter(|(_, state, supplement_ends)| {
            *state == AwardState::Funded
                && (now < main_ends || supplement_ends.is_some_and(|e| now < e))
        })
        .map(|(id, _, _)| id)
        .collect()
}

/// When the award may be finalised: the end of the main notice, or the last end of the
/// supplementary notices of the proposals on the list, whichever is later.
pub fn notices_end(
    main_ends: NaiveDateTime,
    lines: impl IntoIterator<Item = (AwardState, Option<NaiveDateTime>)>,
) -> NaiveDateTime {
    lines
        .into_iter()
        .filter(|(state, _)| *state == AwardState::Funded)
        .filter_map(|(_, e)| e)
        .fold(main_ends, NaiveDateTime::max)
}

/// How far ahead an officer may schedule a notice (calendar days).
pub const NOTICE_SCHEDULE_MAX_DAYS: i64 = 60;

/// When a notice prepared in advance opens (定时发布): after `now`, within
/// [`NOTICE_SCHEDULE_MAX_DAYS`], on a working day of the calendar (its Beijing date: bureaus
/// publish on working days, and the notice's working days count from that day).
pub fn check_notice_start(
    starts_at: NaiveDateTime,
    now: NaiveDateTime,
    cal: &HolidayCalendar,
) -> Result<(), Msg> {
    if starts_at <= now {
        return Err(Msg::new("notice.start_past"));
    }
    if starts_at - now > chrono::Duration::days(NOTICE_SCHEDULE_MAX_DAYS) {
        return Err(Msg::new("notice.start_too_far").arg("days", NOTICE_SCHEDULE_MAX_DAYS));
    }
    let day = beijing_date(starts_at);
    if !cal.is_working_day(day) {
        return Err(Msg::new("notice.start_not_working_day").arg("date", day));
    }
    Ok(())
}

/// Agreement numbers look like `XY-2026-0001` (项目协议编号).
pub fn agreement_number(year: i32, seq: i64) -> String {
    format!("XY-{year}-{seq:04}")
}

/// How many working days an awarded organization has to sign its agreement (项目协议书),
/// as the award notice and the award email state it.
pub const SIGNING_WORKING_DAYS: u32 = 15;

/// The last day to sign the agreement of a project awarded at `awarded_at` (UTC): the
/// [`SIGNING_WORKING_DAYS`]th working day of the holiday calendar after the award's Beijing
/// date (the award day itself does not count).
pub fn signing_deadline(awarded_at: NaiveDateTime, cal: &HolidayCalendar) -> NaiveDate {
    let awarded_on = beijing_date(awarded_at);
    super::calendar::nth_working_day_after(awarded_on, SIGNING_WORKING_DAYS, cal)
        .unwrap_or(NaiveDate::MAX)
}

/// The project's period: the proposal's own dates when it has both (the end after the
/// start), otherwise `months` from `today`.
pub fn project_period(
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    today: NaiveDate,
    months: i32,
) -> (NaiveDate, NaiveDate) {
    match (start, end) {
        (Some(s), Some(e)) if e > s => (s, e),
        _ => {
            let m = u32::try_from(months.max(1)).unwrap_or(12);
            let end = today
                .checked_add_months(Months::new(m))
                .and_then(|d| d.pred_opt())
                .unwrap_or(today);
            (today, end)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signing_deadline_is_the_fifteenth_working_day_after_the_beijing_award_date() {
        use super::{signing_deadline, SIGNING_WORKING_DAYS};
        use crate::domain::calendar::{china_default, HolidayCalendar};
        let t = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time")
        };
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date");
        assert_eq!(SIGNING_WORKING_DAYS, 15);
        // Awarded Friday 2026-09-18 01:00 Beijing (still Thursday in UTC): Sun 09-20 is a
        // make-up working day (1), Mon–Thu 09-21..24 (2–5), 中秋 09-25..27 off, 09-28..30
        // (6–8), 国庆 10-01..07 off, 10-08, 10-09 (9, 10), Sat 10-10 make-up (11), then
        // 10-12..15 (12–15).
        let cal = china_default();
        assert_eq!(
            signing_deadline(t("2026-09-17 17:00"), &cal),
            d("2026-10-15")
        );
        // Without holidays: three weeks of weekdays from a Monday end on a Monday.
        assert_eq!(
            signing_deadline(t("2027-03-01 02:00"), &HolidayCalendar::new()),
            d("2027-03-22")
        );
        // The award day never counts, even when it is a working day awarded at 00:00.
        assert_eq!(
            signing_deadline(t("2027-02-28 16:00"), &HolidayCalendar::new()),
            d("2027-03-22")
        );
    }

    #[test]
    fn a_scheduled_notice_starts_later_within_sixty_days_on_a_working_day() {
        use super::{check_notice_start, NOTICE_SCHEDULE_MAX_DAYS};
        use crate::domain::calendar::{DayKind, HolidayCalendar};
        let t = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time")
        };
        // 2026-12-04 is a Friday; the calendar makes Monday 12-07 a holiday and Saturday
        // 12-12 a working day (调休上班).
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date");
        let mut cal = HolidayCalendar::new();
        cal.set(d("2026-12-07"), DayKind::Holiday);
        cal.set(d("2026-12-12"), DayKind::Workday);
        let now = t("2026-12-03 02:00"); // Thursday 10:00 Beijing
        let key = |starts: &str| {
            check_notice_start(t(starts), now, &cal)
                .err()
                .map(|m| m.key.to_string())
        };
        let table: &[(&str, Option<&str>)] = &[
            // UTC instants; Beijing is UTC+8.
            ("2026-12-03 02:00", Some("notice.start_past")),
            ("2026-12-03 01:59", Some("notice.start_past")),
            ("2026-12-03 02:01", None),
            ("2026-12-04 01:00", None), // Friday 09:00 Beijing
            ("2026-12-04 16:00", Some("notice.start_not_working_day")), // Sat 00:00 Beijing
            ("2026-12-04 15:59", None), // Friday 23:59 Beijing
            ("2026-12-06 23:59", Some("notice.start_not_working_day")), // Mon 07:59, holiday
            ("2026-12-07 16:00", None), // Tuesday 00:00 Beijing
            ("2026-12-12 01:00", None), // the working Saturday
            ("2026-12-13 01:00", Some("notice.start_not_working_day")), // Sunday
            ("2027-02-01 02:00", None), // 60 days on, a Monday
            ("2027-02-01 02:01", Some("notice.start_too_far")),
        ];
        for (starts, want) in table {
            assert_eq!(key(starts).as_deref(), *want, "starts at {starts} UTC");
        }
        assert_eq!(NOTICE_SCHEDULE_MAX_DAYS, 60);
    }

    #[test]
    fn duplicates_group_by_email_or_by_proposal_and_reason() {
        use super::{duplicate_groups, normalized_email, ObjectionKey};
        let k = |id, proposal_id, email, reason| ObjectionKey {
            id,
            proposal_id,
            email,
            reason,
        };
        let items = [
            k(1, 10, "a@x.org", "重复申报，内容相同"),
            k(2, 11, "A+spam@X.org ", "另一个理由足够长"),
            k(3, 10, "b@x.org", "重复申报，  内容相同"),
            k(4, 12, "c@x.org", "重复申报，内容相同"),
            k(5, 12, "d@x.org", "完全不同的理由写在这里"),
        ];
        // 1–2 by email, 1–3 by proposal and reason; 4 has the reason but another proposal.
        assert_eq!(
            duplicate_groups(&items),
            vec![(1, 3), (1, 3), (1, 3), (4, 1), (5, 1)]
        );
        assert_eq!(
            normalized_email(" Li.Ming+x@Example.org"),
            "li.ming@example.org"
        );
        assert!(duplicate_groups(&[]).is_empty());
    }

    use super::*;

    fn line(id: i64, state: AwardState, yuan: i64, cat: &str) -> ListedLine {
        ListedLine {
            proposal_id: id,
            state,
            amount: Fen::from_yuan(yuan),
            category: cat.into(),
            partial_of: None,
        }
    }

    /// The ids that come in.
    fn incoming(r: Vec<Refill>) -> Vec<i64> {
        r.into_iter()
            .filter(|r| r.incoming)
            .map(|r| r.proposal_id)
            .collect()
    }

    fn fill(lines: &[ListedLine], budget: i64, caps: &[(String, Fen)]) -> Vec<i64> {
        incoming(fill_from_waitlist(
            lines,
            Fen::from_yuan(budget),
            caps,
            FundingRule::SkipAhead,
            Fen::ZERO,
        ))
    }

    #[test]
    fn the_first_waitlisted_that_fits_comes_in() {
        // Budget 100: 1 (40) and 3 (30) stay funded after 2 was removed, leaving 30:
        // 4 (40) does not fit, 5 (25) does, and then 6 (5) fits in the last 5.
        let lines = vec![
            line(1, AwardState::Funded, 40, "a"),
            line(2, AwardState::Removed, 50, "a"),
            line(3, AwardState::Funded, 30, "a"),
            line(4, AwardState::Waitlisted, 40, "a"),
            line(5, AwardState::Waitlisted, 25, "a"),
            line(6, AwardState::Waitlisted, 5, "a"),
            line(7, AwardState::NotFundable, 1, "a"),
            line(8, AwardState::Excluded, 1, "a"),
        ];
        assert_eq!(fill(&lines, 100, &[]), vec![5, 6]);
    }

    #[test]
    fn category_budgets_hold_when_filling() {
        let lines = vec![
            line(1, AwardState::Funded, 40, "a"),
            line(2, AwardState::Waitlisted, 30, "a"),
            line(3, AwardState::Waitlisted, 30, "b"),
        ];
        let caps = vec![("a".to_string(), Fen::from_yuan(50))];
        assert_eq!(fill(&lines, 100, &caps), vec![3]);
    }

    #[test]
    fn nothing_comes_in_when_nothing_fits() {
        let lines = vec![
            line(1, AwardState::Funded, 90, "a"),
            line(2, AwardState::Waitlisted, 20, "a"),
        ];
        assert!(fill(&lines, 100, &[]).is_empty());
    }

    #[test]
    fn the_refill_follows_the_rounds_funding_rule() {
        use FundingRule::{Partial, SkipAhead, Strict};
        // Budget 100 after 2 (50) was removed: 1 (40) stays, 60 left. 3 (70) does not fit.
        let lines = vec![
            line(1, AwardState::Funded, 40, "a"),
            line(2, AwardState::Removed, 50, "a"),
            line(3, AwardState::Waitlisted, 70, "a"),
            line(4, AwardState::Waitlisted, 20, "b"),
            line(5, AwardState::Waitlisted, 1, "a"),
        ];
        let run = |rule, min: i64| {
            fill_from_waitlist(&lines, Fen::from_yuan(100), &[], rule, Fen::from_yuan(min))
                .into_iter()
                .map(|r| {
                    (
                        r.proposal_id,
                        r.amount.0 / 100,
                        r.partial_of.map(|f| f.0 / 100),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(SkipAhead, 0), vec![(4, 20, None), (5, 1, None)]);
        assert_eq!(run(Strict, 0), vec![], "strict stops at 3");
        assert_eq!(run(Partial, 0), vec![(3, 60, Some(70))]);
        assert_eq!(
            run(Partial, 61),
            vec![],
            "what is left is below the smallest grant"
        );
        assert_eq!(
            run(Partial, 60),
            vec![(3, 60, Some(70))],
            "exactly the smallest grant"
        );
    }

    #[test]
    fn a_partial_grant_is_topped_up_before_the_waitlist_and_never_cut() {
        let partial = |id, yuan, of| ListedLine {
            partial_of: Some(Fen::from_yuan(of)),
            ..line(id, AwardState::Funded, yuan, "a")
        };
        // 3 was funded 10 of its 30; 1 (30) is removed: 3 gets its 30, 4 gets the 10 left.
        let lines = vec![
            line(1, AwardState::Removed, 30, "a"),
            line(2, AwardState::Funded, 60, "a"),
            partial(3, 10, 30),
            line(4, AwardState::Waitlisted, 40, "a"),
        ];
        let got = fill_from_waitlist(
            &lines,
            Fen::from_yuan(100),
            &[],
            FundingRule::Partial,
            Fen::ZERO,
        );
        assert_eq!(
            got,
            vec![
                Refill {
                    proposal_id: 3,
                    incoming: false,
                    amount: Fen::from_yuan(30),
                    partial_of: None
                },
                Refill {
                    proposal_id: 4,
                    incoming: true,
                    amount: Fen::from_yuan(10),
                    partial_of: Some(Fen::from_yuan(40))
                },
            ]
        );
        // A category budget keeps the top-up within it: 3 grows to the 25 its category
        // allows; nothing else of category a comes in.
        let caps = [("a".to_string(), Fen::from_yuan(85))];
        let got = fill_from_waitlist(
            &lines,
            Fen::from_yuan(100),
            &caps,
            FundingRule::Partial,
            Fen::ZERO,
        );
        assert_eq!(
            got,
            vec![Refill {
                proposal_id: 3,
                incoming: false,
                amount: Fen::from_yuan(25),
                partial_of: Some(Fen::from_yuan(30))
            }]
        );
        // A waitlisted one ranked above the partial one (its category was full) would take
        // the freed money first: the partial grant is kept as it is, never cut.
        let lines = vec![
            line(1, AwardState::Funded, 50, "b"),
            line(2, AwardState::Waitlisted, 48, "a"),
            line(3, AwardState::Removed, 10, "a"),
            partial(4, 5, 20),
        ];
        let caps = [("a".to_string(), Fen::from_yuan(50))];
        let got = fill_from_waitlist(
            &lines,
            Fen::from_yuan(100),
            &caps,
            FundingRule::Partial,
            Fen::ZERO,
        );
        assert_eq!(
            got,
            vec![Refill {
                proposal_id: 2,
                incoming: true,
                amount: Fen::from_yuan(45),
                partial_of: Some(Fen::from_yuan(48))
            }]
        );
    }

    #[test]
    fn supplementary_notices_open_objections_to_their_newcomers_and_hold_the_award() {
        let t = |s: &str| {
            NaiveDateTime::parse_from_str(&format!("2027-05-{s}"), "%Y-%m-%d %H:%M").unwrap()
        };
        let main = t("10 10:00");
        let lines = [
            (1, AwardState::Funded, None),
            (2, AwardState::Removed, None),
            (3, AwardState::Funded, Some(t("13 10:00"))),
            (4, AwardState::Removed, Some(t("20 10:00"))),
            (5, AwardState::Waitlisted, None),
        ];
        // (now, may be objected to)
        for (now, targets) in [
            (t("10 09:59"), vec![1, 3]),
            (t("10 10:00"), vec![3]),
            (t("13 09:59"), vec![3]),
            (t("13 10:00"), vec![]),
        ] {
            assert_eq!(objection_targets(main, now, lines), targets, "{now}");
        }
        let ends = |l: &[(i64, AwardState, Option<NaiveDateTime>)]| {
            notices_end(main, l.iter().map(|(_, s, e)| (*s, *e)))
        };
        // The newcomer removed again does not hold the award; the one on the list does.
        assert_eq!(ends(&lines), t("13 10:00"));
        assert_eq!(
            ends(&lines[..2]),
            main,
            "no supplementary notice: the main one"
        );
        let early = [(6, AwardState::Funded, Some(t("09 10:00")))];
        assert_eq!(ends(&early), main, "a supplement ending first");
    }

    #[test]
    fn objections_are_checked_field_by_field() {
        let bad = ObjectionInput {
            proposal_id: Some(9),
            name: " ".into(),
            email: "nope".into(),
            phone: "1".repeat(41),
            reason: "太短".into(),
        };
        let e = check_objection(&bad, &[1, 2]).unwrap_err();
        for f in ["proposal_id", "name", "email", "phone", "reason"] {
            assert!(e.has(f), "{f}");
        }
        let good = ObjectionInput {
            proposal_id: Some(2),
            name: "王芳".into(),
            email: " Wang@Example.org ".into(),
            phone: "".into(),
            reason: "该机构的项目负责人同时在另一个获资助项目中任职，人员重复申报。".into(),
        };
        let v = check_objection(&good, &[1, 2]).unwrap();
        assert_eq!(v.email, "wang@example.org");
        assert_eq!(v.proposal_id, 2);
        assert!(check_objection(
            &ObjectionInput {
                proposal_id: None,
                ..good
            },
            &[1]
        )
        .unwrap_err()
        .has("proposal_id"));
    }

    #[test]
    fn agreement_numbers_and_periods() {
        assert_eq!(agreement_number(2026, 7), "XY-2026-0007");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            project_period(
                Some(d("2027-01-01")),
                Some(d("2027-12-31")),
                d("2026-12-01"),
                12
            ),
            (d("2027-01-01"), d("2027-12-31"))
        );
        assert_eq!(
            project_period(None, None, d("2026-12-15"), 12),
            (d("2026-12-15"), d("2027-12-14"))
        );
        assert_eq!(
            project_period(
                Some(d("2027-02-01")),
                Some(d("2027-01-01")),
                d("2026-03-31"),
                1
            ),
            (d("2026-03-31"), d("2026-04-29"))
        );
    }
}
