//! The working-day calendar of the public notice (公示, DESIGN §2.4): statutory holidays
//! (法定节假日) and 调休 make-up working days, the official PRC schedules shipped with the
//! product, the text format in which the admin edits them, and the end of a notice of N
//! working days.
//!
//! Convention: a notice published at any moment of a (Beijing, UTC+8) day runs for `n` full
//! working days starting with the **next** working day after that day (the day of
//! publication never counts, even when it is a working day and the notice goes up at 8:00),
//! and ends at **24:00 Beijing time** of the n-th working day. Instants are stored in UTC,
//! so that end is 16:00 UTC of the n-th working day's date.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// Beijing time is UTC+8 all year (no daylight saving).
pub const BEIJING_UTC_OFFSET_HOURS: i64 = 8;

/// Whether a listed day is off or a make-up working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DayKind {
    /// A statutory holiday or a day of its 放假调休 block: off even on a weekday.
    Holiday,
    /// A 调休 make-up working day: a Saturday or Sunday that is worked.
    Workday,
}

impl DayKind {
    /// The keyword of the text format: `holiday` or `workday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Reads a keyword: `holiday`/`放假`/`休` or `workday`/`上班`/`班` (ASCII case ignored).
    pub fn parse(s: &str) -> Option<DayKind> {
        match s.to_ascii_lowercase().as_str() {
            "holiday" | "放假" | "休" => Some(DayKind::Holiday),
            "workday" | "上班" | "班" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One listed day with its label (`国庆节`, `国庆节调休上班`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CalendarEntry {
    /// The day (a Beijing calendar date).
    pub date: NaiveDate,
    /// Off or worked.
    pub kind: DayKind,
    /// What it is, for people; may be empty.
    pub label: String,
}

/// Which days are worked: Monday to Friday unless a listed holiday; Saturday and Sunday are
/// off unless listed as a make-up working day. A date listed as both is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    holidays: BTreeSet<NaiveDate>,
    makeup_workdays: BTreeSet<NaiveDate>,
}

impl HolidayCalendar {
    /// A calendar with no holidays: every Monday to Friday is worked.
    pub fn new() -> Self {
        Self::default()
    }

    /// A calendar of the given entries; a later entry for the same date replaces an earlier
    /// one.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a CalendarEntry>) -> Self {
        let mut cal = Self::new();
        for e in entries {
            cal.set(e.date, e.kind);
        }
        cal
    }

    /// Lists `date` as a holiday or a make-up working day (replacing what it was).
    pub fn set(&mut self, date: NaiveDate, kind: DayKind) {
        match kind {
            DayKind::Holiday => {
                self.makeup_workdays.remove(&date);
                self.holidays.insert(date);
            }
            DayKind::Workday => {
                self.holidays.remove(&date);
                self.makeup_workdays.insert(date);
            }
        }
    }

    /// The listed holidays, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    /// The listed make-up working days, in date order.
    pub fn makeup_workdays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.makeup_workdays.iter().copied()
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        if self.makeup_workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// Reads the admin's text format (see [`parse_entries`]) into a calendar.
    pub fn parse(text: &str) -> Result<Self, Vec<CalendarLineError>> {
        parse_entries(text).map(|e| Self::from_entries(&e))
    }
}

/// The working days `d` with `after < d <= through`.
pub fn count_working_days(after: NaiveDate, through: NaiveDate, cal: &HolidayCalendar) -> u32 {
    let mut n = 0;
    let mut d = after;
    while d < through {
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
        if cal.is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// A UTC instant as Beijing wall-clock time (saturating at the end of time).
pub fn utc_to_beijing(utc: NaiveDateTime) -> NaiveDateTime {
    utc.checked_add_signed(Duration::hours(BEIJING_UTC_OFFSET_HOURS))
        .unwrap_or(NaiveDateTime::MAX)
}

/// The Beijing (Asia/Shanghai) calendar date of a stored UTC instant: the one way the product
/// turns an instant into a date. Every date rule reads it (registration age, inspection years
/// and project dates against a round's deadline, bars, due dates, notices, today): an instant
/// between 16:00 and 24:00 UTC is already the next day in Beijing.
pub fn beijing_date(utc: NaiveDateTime) -> NaiveDate {
    utc_to_beijing(utc).date()
}

/// When a public notice published at `start` (UTC) and running `n` working days ends, as a
/// UTC instant.
///
/// The publication day (its Beijing date) does not count; the notice runs over the next `n`
/// working days of `cal` and ends at 24:00 Beijing time of the last one, which is 16:00 UTC
/// of that date. So the last day of the notice, to print as Beijing time, is the date of
/// the returned instant. `n = 0` returns `start` (no notice). Saturates at
/// [`NaiveDateTime::MAX`] instead of overflowing.
///
/// Example (2026 calendar): published Friday 2026-09-18 20:00 Beijing, 7 working days:
/// Sun 09-20 (make-up), Mon 09-21 … Thu 09-24, Mon 09-28, Tue 09-29; ends 2026-09-29 24:00
/// Beijing = 2026-09-29 16:00 UTC.
/// A stored UTC instant as Beijing time, `YYYY-MM-DD HH:MM` (for pages and emails).
pub fn format_beijing(utc: NaiveDateTime) -> String {
    utc_to_beijing(utc).format("%Y-%m-%d %H:%M").to_string()
}

/// A deadline as Beijing time, with midnight written as 24:00 of the day before
/// (`2026-09-29 24:00`), the way a notice's last day is read.
pub fn format_deadline(utc: NaiveDateTime) -> String {
    let local = utc_to_beijing(utc);
    if local.time() == chrono::NaiveTime::MIN {
        let day = local.date().pred_opt().unwrap_or(local.date());
        format!("{day} 24:00")
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

pub fn add_working_days(start: NaiveDateTime, n: u32, cal: &HolidayCalendar) -> NaiveDateTime {
    if n == 0 {
        return start;
    }
    let Some(day) = nth_working_day_after(beijing_date(start), n, cal) else {
        return NaiveDateTime::MAX;
    };
    // 24:00 Beijing of `day` = 00:00 Beijing of the next day = 16:00 UTC of `day`.
    day.and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::hours(24 - BEIJING_UTC_OFFSET_HOURS))
        .unwrap_or(NaiveDateTime::MAX)
}

/// The `n`th working day of `cal` after `day` (which does not count): the last day of a
/// period of `n` working days starting the day after `day`. `n = 0` is `day` itself; `None`
/// past the end of time.
pub fn nth_working_day_after(day: NaiveDate, n: u32, cal: &HolidayCalendar) -> Option<NaiveDate> {
    let mut day = day;
    let mut counted = 0;
    while counted < n {
        day = day.succ_opt()?;
        if cal.is_working_day(day) {
            counted += 1;
        }
    }
    Some(day)
}

// ---------------------------------------------------------------------------------------
// The text format
// ---------------------------------------------------------------------------------------

/// What is wrong with a line of the calendar text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarLineProblem {
    /// Not a date `YYYY-MM-DD` (or a range `YYYY-MM-DD..YYYY-MM-DD`).
    Date(String),
    /// No kind after the date.
    MissingKind,
    /// Not `holiday`/`放假` or `workday`/`上班`.
    Kind(String),
    /// A range that ends before it starts or is longer than 366 days.
    Range,
    /// A make-up working day that is not a Saturday or Sunday (a weekday is worked anyway).
    WorkdayNotWeekend(NaiveDate),
    /// The date is listed with the other kind on an earlier line.
    Conflict {
        /// The date listed twice.
        date: NaiveDate,
        /// The line that listed it first.
        other_line: usize,
    },
}

/// A problem with one line of the calendar text (lines count from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CalendarLineError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub problem: CalendarLineProblem,
}

impl fmt::Display for CalendarLineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarLineProblem::Date(s) => write!(f, "“{s}” is not a date YYYY-MM-DD"),
            CalendarLineProblem::MissingKind => write!(f, "holiday or workday is missing"),
            CalendarLineProblem::Kind(s) => {
                write!(f, "“{s}” is neither holiday (放假) nor workday (上班)")
            }
            CalendarLineProblem::Range => {
                write!(f, "a range must go forward and span at most 366 days")
            }
            CalendarLineProblem::WorkdayNotWeekend(d) => {
                write!(
                    f,
                    "{d} is not a Saturday or Sunday: it is a working day anyway"
                )
            }
            CalendarLineProblem::Conflict { date, other_line } => {
                write!(
                    f,
                    "{date} is listed with the other kind on line {other_line}"
                )
            }
        }
    }
}

impl CalendarLineError {
    /// The problem in the reader's language, with its line (`calendar_problem.*`).
    pub fn msg(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        let m = match &self.problem {
            CalendarLineProblem::Date(s) => Msg::new("calendar_problem.date").arg("value", s),
            CalendarLineProblem::MissingKind => Msg::new("calendar_problem.missing_kind"),
            CalendarLineProblem::Kind(s) => Msg::new("calendar_problem.kind").arg("value", s),
            CalendarLineProblem::Range => Msg::new("calendar_problem.range"),
            CalendarLineProblem::WorkdayNotWeekend(d) => {
                Msg::new("calendar_problem.workday_not_weekend").arg("date", d)
            }
            CalendarLineProblem::Conflict { date, other_line } => {
                Msg::new("calendar_problem.conflict")
                    .arg("date", date)
                    .arg("other", other_line)
            }
        };
        m.arg("line", self.line)
    }
}

/// The first word of `s` and the rest, trimmed.
fn first_word(s: &str) -> (&str, &str) {
    match s.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim()),
        None => (s, ""),
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Parses the calendar text the admin pastes, one day (or range of days) per line:
///
/// ```text
/// # 2026 国庆节
/// 2026-10-01..2026-10-07 holiday 国庆节
/// 2026-09-20 workday 国庆节调休上班
/// 2026-10-10 上班 国庆节调休上班
/// ```
///
/// A line is a date or an inclusive range `FROM..TO`, a kind (`holiday`/`放假`/`休` or
/// `workday`/`上班`/`班`) and an optional label (the rest of the line). Blank lines and lines
/// starting with `#` are skipped. Every problem is reported with its line number; a date
/// listed twice with the same kind is accepted once.
pub fn parse_entries(text: &str) -> Result<Vec<CalendarEntry>, Vec<CalendarLineError>> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<NaiveDate, (DayKind, usize)> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut err = |problem| {
            errors.push(CalendarLineError {
                line: line_no,
                problem,
            })
        };
        let (date_part, rest) = first_word(line);
        let (kind_word, label) = first_word(rest);
        let (first, last) = match date_part.split_once("..") {
            Some((a, b)) => (parse_date(a), parse_date(b)),
            None => (parse_date(date_part), parse_date(date_part)),
        };
        let (Some(first), Some(last)) = (first, last) else {
            err(CalendarLineProblem::Date(date_part.to_string()));
            continue;
        };
        if kind_word.is_empty() {
            err(CalendarLineProblem::MissingKind);
            continue;
        }
        let Some(kind) = DayKind::parse(kind_word) else {
            err(CalendarLineProblem::Kind(kind_word.to_string()));
            continue;
        };
        if last < first || (last - first).num_days() > 366 {
            err(CalendarLineProblem::Range);
            continue;
        }
        let mut d = first;
        loop {
            if kind == DayKind::Workday && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                err(CalendarLineProblem::WorkdayNotWeekend(d));
            } else {
                match seen.get(&d) {
                    Some((k, _)) if *k == kind => {}
                    Some((_, other_line)) => err(CalendarLineProblem::Conflict {
                        date: d,
                        other_line: *other_line,
                    }),
                    None => {
                        seen.insert(d, (kind, line_no));
                        entries.push(CalendarEntry {
                            date: d,
                            kind,
                            label: label.to_string(),
                        });
                    }
                }
            }
            match d.succ_opt() {
                Some(next) if next <= last => d = next,
                _ => break,
            }
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Writes entries in the text format, one day per line, in the given order.
pub fn format_entries(entries: &[CalendarEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&e.date.format("%Y-%m-%d").to_string());
        out.push(' ');
        out.push_str(e.kind.as_str());
        if !e.label.is_empty() {
            out.push(' ');
            out.push_str(&e.label);
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------
// The shipped PRC schedules
// ---------------------------------------------------------------------------------------

/// A block of days in one month: month, first day, last day, kind, label.
type Span = (u32, u32, u32, DayKind, &'static str);

/// One year's holiday schedule as shipped with the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearSchedule {
    /// The calendar year.
    pub year: i32,
    /// Not yet published by the State Council: computed from the law, with no make-up
    /// working days; the admin must replace it with the official notice.
    pub provisional: bool,
    /// Where the dates come from.
    pub source: &'static str,
    spans: &'static [Span],
}

impl YearSchedule {
    /// Every listed day of the year, in date order within each block.
    pub fn entries(&self) -> Vec<CalendarEntry> {
        let mut out = Vec::new();
        for (month, first, last, kind, label) in self.spans {
            for day in *first..=*last {
                if let Some(date) = NaiveDate::from_ymd_opt(self.year, *month, day) {
                    out.push(CalendarEntry {
                        date,
                        kind: *kind,
                        label: (*label).to_string(),
                    });
                }
            }
        }
        out.sort_by_key(|e| e.date);
        out
    }
}

use DayKind::{Holiday as H, Workday as W};

/// The schedules shipped with the product.
///
/// 2026 is the official one: 国务院办公厅关于2026年部分节假日安排的通知 (dated
/// 2025-11-04, published by Xinhua the same day).
///
/// 2027 is PROVISIONAL (the State Council publishes it around November 2026): the
/// statutory days of 《全国年节及纪念日放假办法》 as revised in 2024 (元旦 1 day; 春节 4 days,
/// 除夕 to 初三; 清明 1; 劳动节 2; 端午 1; 中秋 1; 国庆 3), with the lunar and solar-term dates
/// of 2027 (春节 初一 = Feb 6, so 除夕 = Feb 5; 清明 Apr 5; 端午 Jun 9; 中秋 Sep 15), with
/// 劳动节 taken as May 1–5 and 国庆 as Oct 1–7 (their usual blocks), the two 春节 days that
/// fall on a weekend (Feb 6–7) made up on Feb 9–10 as Article 6 of the 办法 requires, and
/// no make-up working days. Counting more days off and no make-up working days can only
/// make a notice end later than under the real schedule, never earlier.
pub const CHINA_SCHEDULES: &[YearSchedule] = &[
    YearSchedule {
        year: 2026,
        provisional: false,
        source: "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
        spans: &[
            (1, 1, 3, H, "元旦"),
            (1, 4, 4, W, "元旦调休上班"),
            (2, 14, 14, W, "春节调休上班"),
            (2, 15, 23, H, "春节"),
            (2, 28, 28, W, "春节调休上班"),
            (4, 4, 6, H, "清明节"),
            (5, 1, 5, H, "劳动节"),
            (5, 9, 9, W, "劳动节调休上班"),
            (6, 19, 21, H, "端午节"),
            (9, 20, 20, W, "国庆节调休上班"),
            (9, 25, 27, H, "中秋节"),
            (10, 1, 7, H, "国庆节"),
            (10, 10, 10, W, "国庆节调休上班"),
        ],
    },
    YearSchedule {
        year: 2027,
        provisional: true,
        source: "暂定：按《全国年节及纪念日放假办法》推算，待国务院办公厅通知发布后替换",
        spans: &[
            (1, 1, 1, H, "元旦（暂定）"),
            (
                2,
                5,
                10,
                H,
                "春节（暂定：除夕至初三，2月6–7日逢周末补假2月9–10日）",
            ),
            (4, 5, 5, H, "清明节（暂定）"),
            (5, 1, 5, H, "劳动节（暂定）"),
            (6, 9, 9, H, "端午节（暂定）"),
            (9, 15, 15, H, "中秋节（暂定）"),
            (10, 1, 7, H, "国庆节（暂定）"),
        ],
    },
];

/// Every day of the shipped schedules ([`CHINA_SCHEDULES`]), in date order.
pub fn china_default_entries() -> Vec<CalendarEntry> {
    CHINA_SCHEDULES.iter().flat_map(|y| y.entries()).collect()
}

/// The shipped schedules as a calendar. Outside 2026–2027 only weekends are off until the
/// admin adds the year.
pub fn china_default() -> HolidayCalendar {
    HolidayCalendar::from_entries(&china_default_entries())
}

/// The shipped schedules in the text format, with a comment per year naming its source,
/// for the admin to start editing from.
pub fn china_default_text() -> String {
    let mut out = String::new();
    for y in CHINA_SCHEDULES {
        out.push_str(&format!("# {} — {}\n", y.year, y.source));
        if y.provisional {
            out.push_str("# 暂定（PROVISIONAL）：无调休上班日，请在国务院通知发布后按通知修改。\n");
        }
        out.push_str(&format_entries(&y.entries()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod deadline_tests {
    use super::*;

    #[test]
    fn midnight_deadlines_read_as_24_00_of_the_day_before() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(format_deadline(t("2026-09-29 16:00")), "2026-09-29 24:00");
        assert_eq!(format_deadline(t("2026-09-29 09:30")), "2026-09-29 17:30");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// Beijing wall-clock time as UTC.
    fn beijing(s: &str) -> NaiveDateTime {
        utc(s) - Duration::hours(8)
    }

    fn working_days_in_year(cal: &HolidayCalendar, year: i32) -> u32 {
        count_working_days(
            d(&format!("{}-12-31", year - 1)),
            d(&format!("{year}-12-31")),
            cal,
        )
    }

    #[test]
    fn weekends_are_off_unless_made_up_and_holidays_are_off() {
        let cal = china_default();
        assert!(cal.is_working_day(d("2026-03-02"))); // Monday
        assert!(!cal.is_working_day(d("2026-03-07"))); // Saturday
        assert!(!cal.is_working_day(d("2026-10-01"))); // 国庆, Thursday
        assert!(cal.is_working_day(d("2026-10-10"))); // Saturday, make-up
        assert!(cal.is_working_day(d("2026-01-04"))); // Sunday, make-up
        assert!(!cal.is_working_day(d("2026-02-16"))); // 春节, Monday
        assert!(!HolidayCalendar::new().is_working_day(d("2026-10-10")));
        assert!(HolidayCalendar::new().is_working_day(d("2026-10-01")));
    }

    #[test]
    fn the_2026_schedule_matches_the_state_council_notice() {
        let entries = CHINA_SCHEDULES[0].entries();
        let holidays = entries
            .iter()
            .filter(|e| e.kind == DayKind::Holiday)
            .count();
        // 3 + 9 + 3 + 5 + 3 + 3 + 7
        assert_eq!(holidays, 33);
        let makeup: Vec<_> = entries
            .iter()
            .filter(|e| e.kind == DayKind::Workday)
            .map(|e| e.date)
            .collect();
        assert_eq!(
            makeup,
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
            .map(d)
        );
        // The notice gives weekdays: check a few against the calendar.
        assert_eq!(d("2026-01-01").weekday(), Weekday::Thu);
        assert_eq!(d("2026-02-15").weekday(), Weekday::Sun);
        assert_eq!(d("2026-02-23").weekday(), Weekday::Mon);
        assert_eq!(d("2026-05-05").weekday(), Weekday::Tue);
        assert_eq!(d("2026-10-07").weekday(), Weekday::Wed);
        // 365 − 104 weekend days − 13 statutory days (2024 revision of the 办法) = 248.
        assert_eq!(working_days_in_year(&china_default(), 2026), 248);
    }

    #[test]
    fn the_shipped_schedules_parse_back_and_make_up_days_are_weekends() {
        let text = china_default_text();
        let parsed = parse_entries(&text).unwrap();
        assert_eq!(parsed, china_default_entries());
        assert_eq!(HolidayCalendar::parse(&text).unwrap(), china_default());
        let y2027 = CHINA_SCHEDULES[1];
        assert!(y2027.provisional && y2027.year == 2027);
        assert!(y2027.entries().iter().all(|e| e.kind == DayKind::Holiday));
        // Provisional 2027: 261 weekdays − 16 weekdays off = 245 (the official schedule
        // will have 248: the provisional one errs towards longer notices).
        assert_eq!(working_days_in_year(&china_default(), 2027), 245);
        assert_eq!(d("2027-02-06").weekday(), Weekday::Sat);
    }

    /// Worked by hand: published Thursday 2026-09-24 10:00 Beijing, 7 working days.
    /// Thu 09-24: publication day, not counted.
    /// Fri 09-25, Sat 09-26, Sun 09-27: 中秋节, off.
    /// Mon 09-28 (1), Tue 09-29 (2), Wed 09-30 (3).
    /// Thu 10-01 … Wed 10-07: 国庆节, off.
    /// Thu 10-08 (4), Fri 10-09 (5), Sat 10-10 make-up working day (6).
    /// Sun 10-11: off.  Mon 10-12 (7).
    /// Ends 2026-10-12 24:00 Beijing = 2026-10-12 16:00 UTC.
    #[test]
    fn a_notice_across_mid_autumn_and_national_day() {
        let cal = china_default();
        let end = add_working_days(beijing("2026-09-24 10:00"), 7, &cal);
        assert_eq!(end, utc("2026-10-12 16:00"));
        assert_eq!(end, beijing("2026-10-13 00:00"));
    }

    /// Published on the Friday evening before the mid-autumn week, 2026-09-18 20:00 Beijing
    /// (12:00 UTC): Sat 09-19 off; Sun 09-20 make-up (1); Mon 09-21 … Thu 09-24 (2–5);
    /// Fri 09-25 … Sun 09-27 中秋 off; Mon 09-28 (6); Tue 09-29 (7).
    #[test]
    fn a_notice_published_on_a_friday_evening_counts_the_make_up_sunday() {
        let cal = china_default();
        let end = add_working_days(beijing("2026-09-18 20:00"), 7, &cal);
        assert_eq!(end, utc("2026-09-29 16:00"));
        // Without the make-up day it would end one working day later.
        let mut no_makeup = cal.clone();
        no_makeup.set(d("2026-09-20"), DayKind::Holiday);
        assert_eq!(
            add_working_days(beijing("2026-09-18 20:00"), 7, &no_makeup),
            utc("2026-09-30 16:00")
        );
    }

    /// Friday 2026-02-13 18:00 Beijing, before 春节: Sat 02-14 make-up (1); 02-15 … 02-23
    /// off; Tue 02-24 … Fri 02-27 (2–5); Sat 02-28 make-up (6); Sun 03-01 off; Mon 03-02 (7).
    #[test]
    fn a_notice_across_the_spring_festival() {
        let end = add_working_days(beijing("2026-02-13 18:00"), 7, &china_default());
        assert_eq!(end, utc("2026-03-02 16:00"));
    }

    #[test]
    fn the_publication_day_is_the_beijing_date() {
        let cal = HolidayCalendar::new();
        // 2026-03-02 15:59 UTC is Monday 23:59 in Beijing: Tuesday is day 1.
        assert_eq!(
            add_working_days(utc("2026-03-02 15:59"), 1, &cal),
            utc("2026-03-03 16:00")
        );
        // 2026-03-02 16:00 UTC is Tuesday 00:00 in Beijing: Wednesday is day 1.
        assert_eq!(
            add_working_days(utc("2026-03-02 16:00"), 1, &cal),
            utc("2026-03-04 16:00")
        );
        assert_eq!(
            add_working_days(utc("2026-03-02 16:00"), 0, &cal),
            utc("2026-03-02 16:00")
        );
    }

    #[test]
    fn parses_the_admin_text_with_ranges_and_chinese_keywords() {
        let text = "# comment\n\n2026-10-01..2026-10-03 holiday 国庆节\n2026-10-10 上班 国庆调休\n  2026-10-04   放假  \n2026-10-01 holiday 重复\n";
        let e = parse_entries(text).unwrap();
        let got: Vec<_> = e
            .iter()
            .map(|e| (e.date, e.kind, e.label.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (d("2026-10-01"), DayKind::Holiday, "国庆节"),
                (d("2026-10-02"), DayKind::Holiday, "国庆节"),
                (d("2026-10-03"), DayKind::Holiday, "国庆节"),
                (d("2026-10-10"), DayKind::Workday, "国庆调休"),
                (d("2026-10-04"), DayKind::Holiday, ""),
            ]
        );
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = "2026-10-01 holiday 国庆节\n2026/10/02 holiday\n2026-10-03\n2026-10-04 vacation\n2026-10-08 workday\n2026-10-01 workday\n2026-10-09..2026-10-05 holiday\n2026-02-30 holiday\n";
        let errors = parse_entries(text).unwrap_err();
        let lines: Vec<_> = errors.iter().map(|e| (e.line, e.problem.clone())).collect();
        assert_eq!(
            lines,
            vec![
                (2, CalendarLineProblem::Date("2026/10/02".into())),
                (3, CalendarLineProblem::MissingKind),
                (4, CalendarLineProblem::Kind("vacation".into())),
                (5, CalendarLineProblem::WorkdayNotWeekend(d("2026-10-08"))),
                // 2026-10-01 is a Thursday: not a weekend either.
                (6, CalendarLineProblem::WorkdayNotWeekend(d("2026-10-01"))),
                (7, CalendarLineProblem::Range),
                (8, CalendarLineProblem::Date("2026-02-30".into())),
            ]
        );
        assert!(errors[0].to_string().starts_with("line 2: "));
        let conflict = parse_entries("2026-10-10 workday\n2026-10-10 holiday\n").unwrap_err();
        assert_eq!(
            conflict[0],
            CalendarLineError {
                line: 2,
                problem: CalendarLineProblem::Conflict {
                    date: d("2026-10-10"),
                    other_line: 1
                }
            }
        );
    }

    fn calendars() -> impl Strategy<Value = HolidayCalendar> {
        prop_oneof![
            Just(china_default()),
            prop::collection::vec((0i64..800, any::<bool>()), 0..120).prop_map(|days| {
                let mut cal = HolidayCalendar::new();
                for (offset, holiday) in days {
                    let date = d("2026-01-01") + Duration::days(offset);
                    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                    if holiday {
                        cal.set(date, DayKind::Holiday);
                    } else if weekend {
                        cal.set(date, DayKind::Workday);
                    }
                }
                cal
            }),
        ]
    }

    #[test]
    fn an_instant_is_dated_in_beijing() {
        for (at, date) in [
            ("2026-06-30 00:00", "2026-06-30"),
            ("2026-06-30 15:30", "2026-06-30"),
            ("2026-06-30 15:59", "2026-06-30"),
            ("2026-06-30 16:00", "2026-07-01"),
            ("2026-06-30 23:30", "2026-07-01"),
            ("2026-06-30 23:59", "2026-07-01"),
            ("2026-12-31 16:00", "2027-01-01"),
            ("2028-02-28 16:00", "2028-02-29"),
            ("2028-02-29 16:00", "2028-03-01"),
        ] {
            assert_eq!(beijing_date(utc(at)), d(date), "{at} UTC");
        }
        assert_eq!(beijing_date(NaiveDateTime::MAX), NaiveDateTime::MAX.date());
    }

    proptest! {
        #[test]
        fn an_instant_and_its_beijing_date(minutes in 0i64..(3 * 366 * 24 * 60)) {
            let at = utc("2025-12-31 00:00") + Duration::minutes(minutes);
            let day = beijing_date(at);
            // 00:00 Beijing of that date is at or before the instant, 24:00 after it.
            let midnight = day.and_time(NaiveTime::MIN) - Duration::hours(8);
            prop_assert!(midnight <= at && at < midnight + Duration::days(1));
        }

        #[test]
        fn a_notice_lasts_exactly_n_working_days(
            minutes in 0i64..(2 * 366 * 24 * 60),
            n in 1u32..=30,
            cal in calendars(),
        ) {
            let start = utc("2025-12-20 00:00") + Duration::minutes(minutes);
            let end = add_working_days(start, n, &cal);
            prop_assert!(end > start);
            // Ends at 24:00 Beijing time, i.e. 16:00 UTC.
            prop_assert_eq!(end.time(), NaiveTime::from_hms_opt(16, 0, 0).unwrap());
            let published = beijing_date(start);
            let last = end.date();
            prop_assert!(cal.is_working_day(last));
            prop_assert_eq!(count_working_days(published, last, &cal), n);
            // One working day fewer ends strictly earlier.
            if n > 1 {
                prop_assert!(add_working_days(start, n - 1, &cal) < end);
            }
        }

        #[test]
        fn the_text_format_round_trips(
            days in prop::collection::vec((0i64..800, any::<bool>(), "[一-龥]{0,6}"), 0..40)
        ) {
            let mut seen = BTreeSet::new();
            let entries: Vec<CalendarEntry> = days
                .into_iter()
                .map(|(offset, holiday, label)| {
                    let date = d("2026-01-01") + Duration::days(offset);
                    let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
                    let kind = if holiday || !weekend { DayKind::Holiday } else { DayKind::Workday };
                    CalendarEntry { date, kind, label }
                })
                .filter(|e| seen.insert(e.date))
                .collect();
            prop_assert_eq!(parse_entries(&format_entries(&entries)), Ok(entries));
        }
    }
}
