//! Beneficiary rosters (服务对象名册, issue 15): the people a progress report counts, one
//! line per person — name, beneficiary group, an optional identity number (a mobile number
//! or a resident ID number, as the round collects), the first service date and the
//! person-times so far.
//!
//! A report's roster is cumulative like its figures: everyone served from the project's
//! start to the end of the report's period. Its unique people and person-times per group must
//! equal the report's beneficiary figures before the report can be submitted.
//!
//! One person within a project ([`person_key`], shared with the evaluator's sampling): the same
//! keyed identity hash when the line has one, otherwise the same group and trimmed name.
//!
//! Who sees what (PIPL practice): identity numbers are shown masked to everyone (the sampling
//! evaluator's unmasked, audited access is separate); names are shown to the organization
//! that typed them and to the officers of the project's bureau (they check the roster
//! against sign-in sheets, 签到表). Duplicates across projects are shown to officers as counts
//! and the other project's number and name only, never the other organization's lines.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::report::{BeneficiaryGroup, GroupCount, ReportContent};
use crate::error::FieldErrors;
use crate::i18n::Msg;
use crate::pii::{self, IdKind};

str_enum!(
    /// Which identity number a round collects with roster lines.
    IdentityRule {
        /// Names only.
        NoIdentity = "none",
        /// A mobile number.
        Phone = "phone",
        /// A resident ID card number.
        IdCard = "id_card",
        /// Either, line by line.
        Either = "either",
    }
);

impl IdentityRule {
    pub fn allows(self, kind: IdKind) -> bool {
        match self {
            IdentityRule::NoIdentity => false,
            IdentityRule::Phone => kind == IdKind::Phone,
            IdentityRule::IdCard => kind == IdKind::IdCard,
            IdentityRule::Either => true,
        }
    }
}

/// The round's roster rules (with the other round rules, stored as JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RosterRules {
    /// A milestone report cannot be submitted without a roster.
    pub required: bool,
    /// Which identity number the lines carry.
    pub identity: IdentityRule,
    /// Every line must carry one (otherwise optional line by line).
    pub identity_required: bool,
    /// Months after the project closes (completed, terminated or failed) after which its
    /// rosters are anonymised: names and identity numbers blanked, counts kept.
    pub retention_months: i32,
}

/// Three years, the usual keeping period of service records.
pub const DEFAULT_RETENTION_MONTHS: i32 = 36;
pub const MAX_RETENTION_MONTHS: i32 = 120;

impl Default for RosterRules {
    fn default() -> Self {
        RosterRules {
            required: false,
            identity: IdentityRule::Either,
            identity_required: false,
            retention_months: DEFAULT_RETENTION_MONTHS,
        }
    }
}

/// The round's roster rules are sane.
pub fn check_rules(r: &RosterRules, e: &mut FieldErrors) {
    if !(1..=MAX_RETENTION_MONTHS).contains(&r.retention_months) {
        e.add(
            "roster_retention_months",
            Msg::new("field.number_range")
                .arg("min", 1)
                .arg("max", MAX_RETENTION_MONTHS),
        );
    }
    if r.identity_required && r.identity == IdentityRule::NoIdentity {
        e.add(
            "roster_identity_required",
            Msg::new("field.roster_identity_none"),
        );
    }
}

/// The most lines one roster may have.
pub const MAX_LINES: usize = 5000;
/// The most person-times one line may show.
pub const MAX_PERSON_TIMES: i64 = 100_000;
/// The longest name.
pub const NAME_MAX: usize = 50;

/// One line as typed in the form, a spreadsheet row or the API: text as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RosterInput {
    /// Group code or label (e.g. `elderly` or 老年人).
    pub group: String,
    pub name: String,
    /// `phone`, `id_card`, or empty (guessed from the number's length when the round
    /// collects either).
    pub id_kind: String,
    /// The number in full; or, to keep the number stored on line `keep`, its masked form.
    pub id_number: String,
    /// `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYY.MM.DD`).
    pub first_served: String,
    pub person_times: String,
    /// The sequence number of the stored line this one continues (its masked number kept).
    pub keep: Option<i32>,
}

impl RosterInput {
    pub fn is_blank(&self) -> bool {
        [
            &self.group,
            &self.name,
            &self.id_kind,
            &self.id_number,
            &self.first_served,
            &self.person_times,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// A stored line's identity as the check sees it: its sequence number, kind and mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptId {
    pub seq: i32,
    pub kind: IdKind,
    pub masked: String,
}

/// An identity number of a checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineId {
    /// No number.
    None,
    /// A newly typed number, normalised (to be sealed, hashed and masked).
    New(IdKind, String),
    /// The number stored on the line with this sequence number, unchanged.
    Keep(i32),
}

/// A line that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLine {
    pub group: BeneficiaryGroup,
    pub name: String,
    pub id: LineId,
    pub first_served: NaiveDate,
    pub person_times: i64,
}

/// What a roster is checked against.
#[derive(Debug, Clone, Copy)]
pub struct RosterFrame<'a> {
    pub rules: &'a RosterRules,
    /// First service dates fall in the project's period up to the report's end.
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    /// The first input line's number as people count it (1 for a form, 2 for a sheet under
    /// its header row).
    pub first_row: usize,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// The identity kind a number of this shape is, for rounds collecting either.
fn guess_kind(number: &str) -> IdKind {
    let digits = number.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    if digits >= 15 {
        IdKind::IdCard
    } else {
        IdKind::Phone
    }
}

/// Checks the typed lines, row by row (blank rows are skipped); every problem is a field
/// error `roster.{index}.{column}` whose message names the row ("第 12 行：…").
pub fn check_lines(
    inputs: &[RosterInput],
    frame: RosterFrame,
    stored: &[KeptId],
) -> Result<Vec<CheckedLine>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    let filled = inputs.iter().filter(|l| !l.is_blank()).count();
    if filled > MAX_LINES {
        e.add(
            "roster",
            Msg::new("roster.too_many_lines").arg("max", MAX_LINES),
        );
        return Err(e);
    }
    let rules = frame.rules;
    for (i, l) in inputs.iter().enumerate() {
        if l.is_blank() {
            continue;
        }
        let row = i + frame.first_row;
        let at = |key: &'static str| Msg::new(key).arg("row", row);
        let mut bad = |col: &str, msg: Msg| {
            e.add(format!("roster.{i}.{col}"), msg);
        };
        let name = l.name.trim().to_string();
        if name.is_empty() {
            bad("name", at("roster.row_name_required"));
        } else if name.chars().count() > NAME_MAX {
            bad("name", at("roster.row_name_long"));
        }
        let group = BeneficiaryGroup::of_planned(&l.group);
        if group.is_none() {
            bad("group", at("roster.row_group_invalid"));
        }
        let number = l.id_number.trim();
        let kind_text = l.id_kind.trim();
        let kind = if kind_text.is_empty() {
            None
        } else {
            match kind_text {
                "手机" | "手机号" | "手机号码" | "mobile" => Some(IdKind::Phone),
                "身份证" | "身份证号" | "身份证号码" | "ID card" => {
                    Some(IdKind::IdCard)
                }
                other => IdKind::parse(other),
            }
        };
        let mut id = LineId::None;
        if !kind_text.is_empty() && kind.is_none() {
            bad("id_kind", at("roster.row_kind_invalid"));
        } else if number.is_empty() {
            if rules.identity_required {
                bad("id_number", at("roster.row_id_required"));
            }
        } else if rules.identity == IdentityRule::NoIdentity {
            bad("id_number", at("roster.row_id_not_collected"));
        } else {
            let kind = kind.unwrap_or(match rules.identity {
                IdentityRule::Phone => IdKind::Phone,
                IdentityRule::IdCard => IdKind::IdCard,
                _ => guess_kind(number),
            });
            if !rules.identity.allows(kind) {
                bad("id_kind", at("roster.row_kind_not_allowed"));
            } else if number.contains('*') {
                match l
                    .keep
                    .and_then(|seq| stored.iter().find(|s| s.seq == seq))
                    .filter(|s| s.kind == kind && s.masked == number)
                {
                    Some(s) => id = LineId::Keep(s.seq),
                    None => bad("id_number", at("roster.row_id_masked")),
                }
            } else {
                match pii::normalize(kind, number) {
                    Ok(n) => id = LineId::New(kind, n),
                    Err(pii::IdError::BadPhone) => {
                        bad("id_number", at("roster.row_mobile_invalid"))
                    }
                    Err(pii::IdError::BadIdCard) => {
                        bad("id_number", at("roster.row_id_card_invalid"))
                    }
                }
            }
        }
        let first_served = parse_date(&l.first_served);
        match first_served {
            None => bad("first_served", at("roster.row_date_invalid")),
            Some(d) if d < frame.earliest || d > frame.latest => bad(
                "first_served",
                at("roster.row_date_outside")
                    .arg("start", frame.earliest)
                    .arg("end", frame.latest),
            ),
            Some(_) => {}
        }
        let times = l.person_times.trim().parse::<i64>().ok();
        let times = times.filter(|t| (1..=MAX_PERSON_TIMES).contains(t));
        if times.is_none() {
            bad("person_times", at("roster.row_times_invalid"));
        }
        if let (Some(group), Some(first_served), Some(person_times)) = (group, first_served, times)
        {
            out.push(CheckedLine {
                group,
                name,
                id,
                first_served,
                person_times,
            });
        }
    }
    if e.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}

/// One person within a project (the rule the sampling shares): the keyed identity hash when
/// the line has one, otherwise the group and the trimmed name.
pub fn person_key(grp: &str, name: &str, id_hash: Option<&str>) -> String {
    match id_hash.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => format!("id:{h}"),
        None => format!("name:{}\u{1f}{}", grp.trim(), name.trim()),
    }
}

/// A stored line as the counts see it.
#[derive(Debug, Clone, Copy)]
pub struct PersonRef<'a> {
    pub seq: i32,
    pub grp: &'a str,
    pub name: &'a str,
    pub id_hash: Option<&'a str>,
    pub person_times: i64,
}

impl PersonRef<'_> {
    /// An anonymised line (name and number blanked) is nobody in particular: it counts as
    /// its own person, so the counts stay what they were.
    fn key(&self) -> String {
        if self.name.trim().is_empty() && self.id_hash.is_none_or(|h| h.trim().is_empty()) {
            format!("line:{}", self.seq)
        } else {
            person_key(self.grp, self.name, self.id_hash)
        }
    }
}

/// Unique people and person-times per group, groups in [`BeneficiaryGroup::ALL`] order
/// (only those with lines).
pub fn tally(lines: &[PersonRef]) -> Vec<GroupCount> {
    let mut people: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut times: HashMap<&str, i64> = HashMap::new();
    for l in lines {
        people.entry(l.grp).or_default().insert(l.key());
        *times.entry(l.grp).or_default() += l.person_times;
    }
    let mut out: Vec<GroupCount> = BeneficiaryGroup::ALL
        .iter()
        .filter_map(|g| {
            let set = people.get(g.as_str())?;
            Some(GroupCount {
                group: g.as_str().to_string(),
                unique_people: set.len() as i64,
                person_times: times.get(g.as_str()).copied().unwrap_or(0),
            })
        })
        .collect();
    // Groups no longer offered still count (stored before a change of the list).
    let mut rest: Vec<&&str> = people
        .keys()
        .filter(|g| BeneficiaryGroup::parse(g).is_none())
        .collect();
    rest.sort();
    for g in rest {
        out.push(GroupCount {
            group: g.to_string(),
            unique_people: people[*g].len() as i64,
            person_times: times[*g],
        });
    }
    out
}

/// The roster's counts against the report's figures: every group whose figures differ is a
/// field error on that group's row (`beneficiaries.{index in the report}`), a group only the
/// roster has is an error on `beneficiaries`.
pub fn compare(tallies: &[GroupCount], content: &ReportContent) -> FieldErrors {
    let mut e = FieldErrors::new();
    for (i, b) in content.beneficiaries.iter().enumerate() {
        let (u, t) = tallies
            .iter()
            .find(|g| g.group == b.group)
            .map(|g| (g.unique_people, g.person_times))
            .unwrap_or((0, 0));
        if u != b.unique_people || t != b.person_times {
            e.add(
                format!("beneficiaries.{i}"),
                Msg::new("roster.count_mismatch")
                    .arg("unique", u)
                    .arg("times", t),
            );
        }
    }
    for g in tallies {
        if !content.beneficiaries.iter().any(|b| b.group == g.group) {
            e.add(
                "beneficiaries",
                Msg::new("roster.group_not_reported")
                    .arg("group", &g.group)
                    .arg("unique", g.unique_people)
                    .arg("times", g.person_times),
            );
        }
    }
    e
}

/// The same person on several lines of one roster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Duplicate {
    /// The lines' sequence numbers, ascending.
    pub seqs: Vec<i32>,
    /// Matched by identity number (otherwise by group and name).
    pub by_identity: bool,
}

/// Lines that are the same person ([`person_key`]), in the order of their first line.
pub fn duplicates(lines: &[PersonRef]) -> Vec<Duplicate> {
    let mut by_key: HashMap<String, Vec<i32>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for l in lines {
        let k = l.key();
        let seqs = by_key.entry(k.clone()).or_default();
        if seqs.is_empty() {
            order.push(k);
        }
        seqs.push(l.seq);
    }
    order
        .into_iter()
        .filter_map(|k| {
            let mut seqs = by_key.remove(&k)?;
            (seqs.len() > 1).then(|| {
                seqs.sort();
                Duplicate {
                    seqs,
                    by_identity: k.starts_with("id:"),
                }
            })
        })
        .collect()
}

/// The date retention ends for a project closed on `closed`: `months` later.
pub fn retention_ends(closed: NaiveDate, months: i32) -> NaiveDate {
    closed
        .checked_add_months(chrono::Months::new(months.max(0) as u32))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn frame(rules: &RosterRules) -> RosterFrame<'_> {
        RosterFrame {
            rules,
            earliest: d("2027-03-01"),
            latest: d("2027-06-30"),
            first_row: 2,
        }
    }

    fn line(group: &str, name: &str, number: &str, date: &str, times: &str) -> RosterInput {
        RosterInput {
            group: group.into(),
            name: name.into(),
            id_number: number.into(),
            first_served: date.into(),
            person_times: times.into(),
            ..Default::default()
        }
    }

    fn messages(e: &FieldErrors) -> Vec<(String, String)> {
        e.0.iter()
            .map(|f| (f.field.clone(), f.msg.render(crate::i18n::Lang::Zh)))
            .collect()
    }

    #[test]
    fn person_key_prefers_the_identity_hash() {
        assert_eq!(person_key("elderly", "张三", Some("ab")), "id:ab");
        assert_eq!(
            person_key("elderly", "张三", Some("ab")),
            person_key("youth", "李四", Some("ab"))
        );
        assert_eq!(
            person_key("elderly", " 张三 ", None),
            person_key("elderly", "张三", Some(" "))
        );
        assert_ne!(
            person_key("elderly", "张三", None),
            person_key("youth", "张三", None)
        );
    }

    #[test]
    fn tally_counts_people_once_and_every_person_time() {
        let lines = [
            PersonRef {
                seq: 1,
                grp: "elderly",
                name: "张三",
                id_hash: Some("h1"),
                person_times: 3,
            },
            PersonRef {
                seq: 2,
                grp: "elderly",
                name: "张叁",
                id_hash: Some("h1"),
                person_times: 2,
            },
            PersonRef {
                seq: 3,
                grp: "elderly",
                name: "李四",
                id_hash: None,
                person_times: 1,
            },
            PersonRef {
                seq: 4,
                grp: "elderly",
                name: "李四 ",
                id_hash: None,
                person_times: 1,
            },
            PersonRef {
                seq: 5,
                grp: "youth",
                name: "王五",
                id_hash: None,
                person_times: 4,
            },
            PersonRef {
                seq: 6,
                grp: "youth",
                name: "",
                id_hash: None,
                person_times: 2,
            },
            PersonRef {
                seq: 7,
                grp: "youth",
                name: "",
                id_hash: None,
                person_times: 2,
            },
        ];
        let t = tally(&lines);
        assert_eq!(
            t,
            vec![
                GroupCount {
                    group: "elderly".into(),
                    unique_people: 2,
                    person_times: 7
                },
                GroupCount {
                    group: "youth".into(),
                    unique_people: 3,
                    person_times: 8
                },
            ]
        );
        let dups = duplicates(&lines);
        assert_eq!(
            dups,
            vec![
                Duplicate {
                    seqs: vec![1, 2],
                    by_identity: true
                },
                Duplicate {
                    seqs: vec![3, 4],
                    by_identity: false
                },
            ],
            "anonymised lines are nobody's duplicates"
        );
    }

    #[test]
    fn compare_reports_each_group_that_differs() {
        let tallies = vec![
            GroupCount {
                group: "elderly".into(),
                unique_people: 2,
                person_times: 7,
            },
            GroupCount {
                group: "youth".into(),
                unique_people: 1,
                person_times: 1,
            },
        ];
        let content = ReportContent {
            beneficiaries: vec![
                GroupCount {
                    group: "disabled".into(),
                    unique_people: 0,
                    person_times: 0,
                },
                GroupCount {
                    group: "elderly".into(),
                    unique_people: 2,
                    person_times: 8,
                },
            ],
            ..Default::default()
        };
        let e = compare(&tallies, &content);
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["beneficiaries.1", "beneficiaries"]);
        assert!(messages(&e)[0].1.contains("2") && messages(&e)[0].1.contains("7"));
        let ok = ReportContent {
            beneficiaries: tallies.clone(),
            ..Default::default()
        };
        assert!(compare(&tallies, &ok).is_empty());
    }

    #[test]
    fn each_bad_cell_is_an_error_naming_its_row() {
        let rules = RosterRules::default();
        let inputs = vec![
            line("老年人", "张三", "138 1234 5678", "2027-03-02", "3"),
            RosterInput::default(),
            line("elderly", "", "1381234567", "2027-02-28", "0"),
            line("martians", "李四", "11010519491231002X", "2027-13-01", "x"),
        ];
        let e = check_lines(&inputs, frame(&rules), &[]).unwrap_err();
        let m = messages(&e);
        assert!(
            m.contains(&("roster.2.name".into(), "第 4 行：请填写姓名。".into())),
            "{m:?}"
        );
        assert!(
            m.iter().any(|(f, s)| f == "roster.2.id_number"
                && s.starts_with("第 4 行：")
                && s.contains("手机号码")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|(f, s)| f == "roster.2.first_served" && s.contains("2027-03-01")),
            "{m:?}"
        );
        assert!(m.iter().any(|(f, _)| f == "roster.2.person_times"), "{m:?}");
        assert!(
            m.iter()
                .any(|(f, s)| f == "roster.3.group" && s.starts_with("第 5 行")),
            "{m:?}"
        );
        assert!(m.iter().any(|(f, _)| f == "roster.3.first_served"), "{m:?}");
        assert!(
            !m.iter()
                .any(|(f, _)| f.starts_with("roster.0.") || f.starts_with("roster.1.")),
            "{m:?}"
        );

        let ok = check_lines(&inputs[..2], frame(&rules), &[]).unwrap();
        assert_eq!(ok.len(), 1, "blank rows are skipped");
        assert_eq!(ok[0].group, BeneficiaryGroup::Elderly);
        assert_eq!(ok[0].id, LineId::New(IdKind::Phone, "13812345678".into()));
    }

    #[test]
    fn the_rounds_identity_rule_is_applied() {
        let phone_only = RosterRules {
            identity: IdentityRule::Phone,
            identity_required: true,
            ..RosterRules::default()
        };
        let inputs = vec![
            line("elderly", "张三", "11010519491231002X", "2027-03-02", "1"),
            line("elderly", "李四", "", "2027-03-02", "1"),
        ];
        let e = check_lines(&inputs, frame(&phone_only), &[]).unwrap_err();
        let fields: Vec<String> = e.0.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["roster.0.id_number", "roster.1.id_number"]);
        let none = RosterRules {
            identity: IdentityRule::NoIdentity,
            ..RosterRules::default()
        };
        let e = check_lines(&inputs[..1], frame(&none), &[]).unwrap_err();
        assert_eq!(e.0[0].msg.key, "roster.row_id_not_collected");
        let either = RosterRules::default();
        let ok = check_lines(&inputs, frame(&either), &[]).unwrap();
        assert_eq!(
            ok[0].id,
            LineId::New(IdKind::IdCard, "11010519491231002X".into())
        );
        assert_eq!(ok[1].id, LineId::None);
    }

    #[test]
    fn a_masked_number_keeps_the_stored_one_only_on_its_line() {
        let rules = RosterRules::default();
        let stored = [KeptId {
            seq: 4,
            kind: IdKind::Phone,
            masked: "138****5678".into(),
        }];
        let mut l = line("elderly", "张三", "138****5678", "2027-03-02", "1");
        l.keep = Some(4);
        let ok = check_lines(std::slice::from_ref(&l), frame(&rules), &stored).unwrap();
        assert_eq!(ok[0].id, LineId::Keep(4));
        l.keep = Some(5);
        let e = check_lines(&[l], frame(&rules), &stored).unwrap_err();
        assert_eq!(e.0[0].msg.key, "roster.row_id_masked");
    }

    #[test]
    fn too_many_lines_are_refused_whole() {
        let rules = RosterRules::default();
        let inputs = vec![line("elderly", "张三", "", "2027-03-02", "1"); MAX_LINES + 1];
        let e = check_lines(&inputs, frame(&rules), &[]).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "roster");
    }

    #[test]
    fn rules_are_checked() {
        let mut e = FieldErrors::new();
        check_rules(&RosterRules::default(), &mut e);
        assert!(e.is_empty());
        check_rules(
            &RosterRules {
                retention_months: 0,
                identity: IdentityRule::NoIdentity,
                identity_required: true,
                ..RosterRules::default()
            },
            &mut e,
        );
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["roster_retention_months", "roster_identity_required"]
        );
    }

    #[test]
    fn retention_ends_months_after_closing() {
        assert_eq!(retention_ends(d("2027-03-31"), 36), d("2030-03-31"));
        assert_eq!(retention_ends(d("2027-02-28"), 1), d("2027-03-28"));
    }
}
