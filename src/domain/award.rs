//! The award (DESIGN §2.4): the published ranking's states, objections (异议), filling the
//! list from the waitlist after a removal, agreement numbers and project periods.

use chrono::{Months, NaiveDate};

use super::account::{parse_email, parse_name};
use super::limits;
use super::money::Fen;
use super::review::{funding_line, LineInput, LineOverride};
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
}

/// After a removal, the waitlisted proposals (in rank order, given as `lines`) that come in:
/// each that fits in what the funded ones leave of the budget and of its category's budget,
/// first come first. Funded proposals stay funded; the result never exceeds the budget.
pub fn fill_from_waitlist(
    lines: &[ListedLine],
    budget: Fen,
    category_budgets: &[(String, Fen)],
) -> Vec<i64> {
    let inputs: Vec<LineInput> = lines
        .iter()
        .filter(|l| matches!(l.state, AwardState::Funded | AwardState::Waitlisted))
        .map(|l| LineInput {
            proposal_id: l.proposal_id,
            fundable: true,
            amount: l.amount,
            category: l.category.clone(),
            manual: (l.state == AwardState::Funded).then_some(LineOverride::ForcedIn),
        })
        .collect();
    let line = funding_line(&inputs, budget, category_budgets);
    lines
        .iter()
        .filter(|l| l.state == AwardState::Waitlisted && line.funded.contains(&l.proposal_id))
        .map(|l| l.proposal_id)
        .collect()
}

/// Agreement numbers look like `XY-2026-0001` (项目协议编号).
pub fn agreement_number(year: i32, seq: i64) -> String {
    format!("XY-{year}-{seq:04}")
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
        }
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
        assert_eq!(
            fill_from_waitlist(&lines, Fen::from_yuan(100), &[]),
            vec![5, 6]
        );
    }

    #[test]
    fn category_budgets_hold_when_filling() {
        let lines = vec![
            line(1, AwardState::Funded, 40, "a"),
            line(2, AwardState::Waitlisted, 30, "a"),
            line(3, AwardState::Waitlisted, 30, "b"),
        ];
        let caps = vec![("a".to_string(), Fen::from_yuan(50))];
        assert_eq!(
            fill_from_waitlist(&lines, Fen::from_yuan(100), &caps),
            vec![3]
        );
    }

    #[test]
    fn nothing_comes_in_when_nothing_fits() {
        let lines = vec![
            line(1, AwardState::Funded, 90, "a"),
            line(2, AwardState::Waitlisted, 20, "a"),
        ];
        assert!(fill_from_waitlist(&lines, Fen::from_yuan(100), &[]).is_empty());
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
