//! Supervision visits (督导): an officer or a supervisor the bureau invited visits a project,
//! checks it against a fixed checklist, rates it and writes findings. A finding may require
//! rectification (整改) by a Beijing working day; while such a finding is not closed by the
//! bureau, the project's next tranche is held.

use chrono::NaiveDate;

use super::calendar::HolidayCalendar;
use super::limits;
use crate::error::FieldErrors;
use crate::i18n::Msg;

str_enum!(
    /// The life of a visit: scheduled, then recorded once (labels: `VisitStatus.*`).
    VisitStatus {
        Scheduled = "scheduled",
        Recorded = "recorded",
    }
);

str_enum!(
    /// What a visit checks (labels: `ChecklistItem.*`): activity records (活动台账), sign-in
    /// sheets (签到表), financial vouchers (财务凭证), publicity (宣传) and safety (安全).
    ChecklistItem {
        ActivityRecords = "activity_records",
        SignInSheets = "sign_in_sheets",
        FinancialVouchers = "financial_vouchers",
        Publicity = "publicity",
        Safety = "safety",
    }
);

str_enum!(
    /// How an item of the checklist was found (labels: `CheckResult.*`): 符合, 部分符合,
    /// 不符合, 不适用.
    CheckResult {
        Compliant = "compliant",
        Partial = "partial",
        NonCompliant = "non_compliant",
        NotApplicable = "not_applicable",
    }
);

impl CheckResult {
    /// A partly or not compliant item must say why.
    pub fn needs_note(self) -> bool {
        matches!(self, CheckResult::Partial | CheckResult::NonCompliant)
    }
}

str_enum!(
    /// The visit's overall rating (labels: `VisitRating.*`): 优秀, 良好, 一般, 较差.
    VisitRating {
        Excellent = "excellent",
        Good = "good",
        Fair = "fair",
        Poor = "poor",
    }
);

str_enum!(
    /// The life of a finding (labels: `FindingStatus.*`): open ─► responded (by the
    /// organization) ─► closed (by the bureau), and closed ─► open when the bureau reopens it.
    FindingStatus {
        Open = "open",
        Responded = "responded",
        Closed = "closed",
    }
);

/// One checked item of a recorded visit, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CheckEntry {
    pub item: ChecklistItem,
    pub result: CheckResult,
    #[serde(default)]
    pub note: String,
}

/// A finding as typed by the visitor.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FindingInput {
    /// What was found.
    pub text: String,
    /// `YYYY-MM-DD`: the Beijing working day by which it must be rectified; blank when no
    /// rectification is required.
    pub rectify_by: String,
}

/// One checklist line as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CheckInput {
    /// `activity_records`, `sign_in_sheets`, `financial_vouchers`, `publicity` or `safety`.
    pub item: String,
    /// `compliant`, `partial`, `non_compliant` or `not_applicable`.
    pub result: String,
    pub note: String,
}

/// A visit's record as typed (pages and API).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordInput {
    /// `YYYY-MM-DD`, not in the future.
    pub visited_on: String,
    /// One line per checklist item (every item of [`ChecklistItem::ALL`]).
    pub checklist: Vec<CheckInput>,
    /// `excellent`, `good`, `fair` or `poor`.
    pub rating: String,
    pub summary: String,
    pub findings: Vec<FindingInput>,
}

/// A finding, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    pub text: String,
    pub rectify_by: Option<NaiveDate>,
}

/// A visit's record, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub visited_on: NaiveDate,
    pub checklist: Vec<CheckEntry>,
    pub rating: VisitRating,
    pub summary: String,
    pub findings: Vec<NewFinding>,
}

/// The most findings one visit records.
pub const MAX_FINDINGS: usize = 20;
/// The longest finding, response or note.
pub const FINDING_TEXT: usize = 1000;
/// The largest photo of a visit (its file must also be within the upload limit).
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most photos one visit keeps.
pub const MAX_PHOTOS: usize = 20;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Checks a rectification date: a Beijing working day after `today`.
pub fn check_rectify_by(
    d: NaiveDate,
    today: NaiveDate,
    cal: &HolidayCalendar,
) -> Result<NaiveDate, Msg> {
    if d <= today {
        return Err(Msg::new("visit.rectify_by_past"));
    }
    if !cal.is_working_day(d) {
        return Err(Msg::new("visit.rectify_by_not_working_day"));
    }
    Ok(d)
}

/// Checks a visit's record in full, every problem at once by field (`checklist.<item>`,
/// `findings.<i>.text`, …). `today` is the Beijing date.
pub fn check_record(
    input: &RecordInput,
    today: NaiveDate,
    cal: &HolidayCalendar,
) -> Result<Record, FieldErrors> {
    let mut e = FieldErrors::new();
    let visited_on = match date(&input.visited_on) {
        None => {
            e.add("visited_on", Msg::new("field.date_invalid"));
            None
        }
        Some(d) if d > today => {
            e.add("visited_on", Msg::new("visit.visited_in_future"));
            None
        }
        Some(d) => Some(d),
    };
    let mut checklist = Vec::new();
    for item in ChecklistItem::ALL {
        let field = format!("checklist.{item}");
        let line = input
            .checklist
            .iter()
            .find(|c| ChecklistItem::parse(&c.item) == Some(*item));
        let Some(line) = line else {
            e.add(field, Msg::new("field.required"));
            continue;
        };
        let note = line.note.trim().to_string();
        limits::check(&mut e, &format!("{field}.note"), &note, FINDING_TEXT);
        match CheckResult::parse(&line.result) {
            None if line.result.trim().is_empty() => e.add(field, Msg::new("field.required")),
            None => e.add(field, Msg::new("field.choice_invalid")),
            Some(r) if r.needs_note() && note.is_empty() => {
                e.add(format!("{field}.note"), Msg::new("visit.note_required"))
            }
            Some(result) => checklist.push(CheckEntry {
                item: *item,
                result,
                note,
            }),
        }
    }
    if input
        .checklist
        .iter()
        .any(|c| ChecklistItem::parse(&c.item).is_none())
    {
        e.add("checklist", Msg::new("field.choice_invalid"));
    }
    let rating = VisitRating::parse(&input.rating);
    if rating.is_none() {
        e.add(
            "rating",
            Msg::new(if input.rating.trim().is_empty() {
                "field.required"
            } else {
                "field.choice_invalid"
            }),
        );
    }
    let summary = input.summary.trim().to_string();
    limits::check(&mut e, "summary", &summary, limits::SUMMARY);
    let mut findings = Vec::new();
    // Blank rows of a form are not findings; errors name the row as it was typed.
    let typed: Vec<(usize, &FindingInput)> = input
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.text.trim().is_empty() || !f.rectify_by.trim().is_empty())
        .collect();
    if typed.len() > MAX_FINDINGS {
        e.add("findings", Msg::new("field.too_many_lines"));
    }
    for &(i, f) in &typed {
        let text = f.text.trim().to_string();
        if text.is_empty() {
            e.add(format!("findings.{i}.text"), Msg::new("field.required"));
        }
        limits::check(&mut e, &format!("findings.{i}.text"), &text, FINDING_TEXT);
        let rectify_by = if f.rectify_by.trim().is_empty() {
            None
        } else {
            match date(&f.rectify_by).map(|d| check_rectify_by(d, today, cal)) {
                None => {
                    e.add(
                        format!("findings.{i}.rectify_by"),
                        Msg::new("field.date_invalid"),
                    );
                    None
                }
                Some(Err(m)) => {
                    e.add(format!("findings.{i}.rectify_by"), m);
                    None
                }
                Some(Ok(d)) => Some(d),
            }
        };
        findings.push(NewFinding { text, rectify_by });
    }
    if !e.is_empty() {
        return Err(e);
    }
    Ok(Record {
        visited_on: visited_on.expect("checked"),
        checklist,
        rating: rating.expect("checked"),
        summary,
        findings,
    })
}

/// What the hold rule knows of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingFacts {
    pub status: FindingStatus,
    pub rectify_by: Option<NaiveDate>,
}

impl FindingFacts {
    /// A rectification is required and the bureau has not closed it.
    pub fn holds(self) -> bool {
        self.rectify_by.is_some() && self.status != FindingStatus::Closed
    }

    /// A required rectification with no response, past its date (Beijing `today`).
    pub fn overdue(self, today: NaiveDate) -> bool {
        self.status == FindingStatus::Open && self.rectify_by.is_some_and(|d| d < today)
    }
}

/// Whether the project's next tranche may be released: not while a required rectification
/// is open. The reason names how many and the earliest date (`tranche.held_by_rectification`,
/// code `held_by_rectification`).
pub fn release_hold(findings: &[FindingFacts]) -> Option<Msg> {
    let holding: Vec<&FindingFacts> = findings.iter().filter(|f| f.holds()).collect();
    let earliest = holding.iter().filter_map(|f| f.rectify_by).min()?;
    Some(
        Msg::new("tranche.held_by_rectification")
            .arg("count", holding.len())
            .arg("date", earliest),
    )
}

/// The moves of a finding: the organization responds to an open (or already answered) one;
/// the bureau closes an open or answered one and reopens a closed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingMove {
    Respond,
    Close,
    Reopen,
}

impl FindingMove {
    /// The status after the move, or a conflict naming the status.
    pub fn apply(self, from: FindingStatus) -> Result<FindingStatus, Msg> {
        use FindingStatus::*;
        match (self, from) {
            (FindingMove::Respond, Open | Responded) => Ok(Responded),
            (FindingMove::Close, Open | Responded) => Ok(Closed),
            (FindingMove::Reopen, Closed) => Ok(Open),
            _ => Err(Msg::new("visit.finding_transition").arg("status", from.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    fn full(findings: Vec<FindingInput>) -> RecordInput {
        RecordInput {
            visited_on: "2027-03-10".into(),
            checklist: ChecklistItem::ALL
                .iter()
                .map(|i| CheckInput {
                    item: i.as_str().into(),
                    result: "compliant".into(),
                    note: String::new(),
                })
                .collect(),
            rating: "good".into(),
            summary: "ok".into(),
            findings,
        }
    }

    #[test]
    fn a_complete_record_passes_and_blank_finding_rows_are_dropped() {
        let cal = HolidayCalendar::new();
        let r = check_record(
            &full(vec![
                FindingInput {
                    text: "台账不全".into(),
                    rectify_by: "2027-03-19".into(),
                },
                FindingInput::default(),
                FindingInput {
                    text: "宣传不足".into(),
                    rectify_by: String::new(),
                },
            ]),
            d("2027-03-10"),
            &cal,
        )
        .unwrap();
        assert_eq!(r.checklist.len(), ChecklistItem::ALL.len());
        assert_eq!(r.findings.len(), 2);
        assert_eq!(r.findings[0].rectify_by, Some(d("2027-03-19")));
        assert_eq!(r.findings[1].rectify_by, None);
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let cal = HolidayCalendar::new();
        let mut input = full(vec![
            FindingInput {
                text: String::new(),
                rectify_by: "2027-03-13".into(), // a Saturday
            },
            FindingInput::default(),
            FindingInput {
                text: "x".into(),
                rectify_by: "2027-03-01".into(),
            },
        ]);
        input.visited_on = "2027-03-11".into();
        input.checklist[1].result = "partial".into();
        input.checklist.remove(4);
        input.rating = "great".into();
        let e = check_record(&input, d("2027-03-10"), &cal).unwrap_err();
        for field in [
            "visited_on",
            "checklist.sign_in_sheets.note",
            "checklist.safety",
            "rating",
            "findings.0.text",
            "findings.0.rectify_by",
            "findings.2.rectify_by",
        ] {
            assert!(e.has(field), "{field}: {e:?}");
        }
        let keys: Vec<&str> = e.0.iter().map(|x| x.msg.key).collect();
        assert!(keys.contains(&"visit.rectify_by_not_working_day"));
        assert!(keys.contains(&"visit.rectify_by_past"));
    }

    #[test]
    fn an_open_required_rectification_holds_the_tranche_until_closed() {
        let f = |status, by: Option<&str>| FindingFacts {
            status,
            rectify_by: by.map(d),
        };
        assert_eq!(release_hold(&[]), None);
        assert_eq!(release_hold(&[f(FindingStatus::Open, None)]), None);
        let held = release_hold(&[
            f(FindingStatus::Responded, Some("2027-03-20")),
            f(FindingStatus::Open, Some("2027-03-19")),
            f(FindingStatus::Closed, Some("2027-03-01")),
        ])
        .unwrap();
        assert_eq!(held.key, "tranche.held_by_rectification");
        let text = held.render(crate::i18n::Lang::En);
        assert!(text.contains('2') && text.contains("2027-03-19"), "{text}");
        assert_eq!(
            release_hold(&[f(FindingStatus::Closed, Some("2027-03-19"))]),
            None
        );
        // Overdue: unanswered and past its date.
        let today = d("2027-03-20");
        assert!(f(FindingStatus::Open, Some("2027-03-19")).overdue(today));
        assert!(!f(FindingStatus::Open, Some("2027-03-20")).overdue(today));
        assert!(!f(FindingStatus::Responded, Some("2027-03-19")).overdue(today));
        assert!(!f(FindingStatus::Open, None).overdue(today));
    }

    #[test]
    fn findings_move_as_the_table_says() {
        use FindingMove::*;
        use FindingStatus::*;
        let table = [
            (Respond, Open, Some(Responded)),
            (Respond, Responded, Some(Responded)),
            (Respond, Closed, None),
            (Close, Open, Some(Closed)),
            (Close, Responded, Some(Closed)),
            (Close, Closed, None),
            (Reopen, Closed, Some(Open)),
            (Reopen, Open, None),
            (Reopen, Responded, None),
        ];
        for (m, from, to) in table {
            assert_eq!(m.apply(from).ok(), to, "{m:?} from {from}");
        }
    }
}
