//! The askama filters every page shares: money, instants, dates and labels, written once.
//!
//! A module whose templates use them brings them into scope with `use super::filters;` (askama
//! looks filters up as `filters::<name>` beside the template struct). In a template:
//!
//! ```text
//! {{ p.grant_fen|money }}            ¥50,000.00
//! {{ c.budget_fen|yuan }}            50000.5 (a form field's value)
//! {{ a.created_at|time }}            2026-11-30 16:05 (Beijing)
//! {{ round.closes_at|opt_time }}     the same, or nothing
//! {{ notice.ends_at|deadline }}      2026-12-09 24:00 (midnight as the day before)
//! {{ r.start_date|date }}            2026-11-30, or nothing
//! {{ p.status|label("project_status", ctx.lang()) }}    the `project_status.<value>` text
//! ```
//!
//! The inputs are taken through small traits, so a field, a loop variable (a reference) and
//! a typed value all work without `*` or `.0` in the template.

use std::fmt::Display;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::money::Fen;
use crate::i18n::Lang;

/// An amount of money: fen as `i64` or a [`Fen`].
pub trait Money {
    fn fen(&self) -> Fen;
}

impl Money for i64 {
    fn fen(&self) -> Fen {
        Fen(*self)
    }
}

impl Money for Fen {
    fn fen(&self) -> Fen {
        *self
    }
}

impl<T: Money + ?Sized> Money for &T {
    fn fen(&self) -> Fen {
        (**self).fen()
    }
}

/// A stored UTC instant, present or not.
pub trait Instant {
    fn instant(&self) -> Option<NaiveDateTime>;
}

impl Instant for NaiveDateTime {
    fn instant(&self) -> Option<NaiveDateTime> {
        Some(*self)
    }
}

impl Instant for Option<NaiveDateTime> {
    fn instant(&self) -> Option<NaiveDateTime> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> Option<NaiveDateTime> {
        (**self).instant()
    }
}

/// A calendar date, present or not.
pub trait Day {
    fn day(&self) -> Option<NaiveDate>;
}

impl Day for NaiveDate {
    fn day(&self) -> Option<NaiveDate> {
        Some(*self)
    }
}

impl Day for Option<NaiveDate> {
    fn day(&self) -> Option<NaiveDate> {
        *self
    }
}

impl<T: Day + ?Sized> Day for &T {
    fn day(&self) -> Option<NaiveDate> {
        (**self).day()
    }
}

/// A stored UTC instant as Beijing time (`2026-11-30 16:05`); nothing for none.
pub fn time_text(t: impl Instant) -> String {
    t.instant()
        .map(crate::domain::calendar::format_beijing)
        .unwrap_or_default()
}

/// A calendar date as `2026-11-30`; nothing for none (also a date field's value).
pub fn date_text(d: impl Day) -> String {
    d.day().map(|d| d.to_string()).unwrap_or_default()
}

/// An amount as a form field's value in yuan, blank for zero (nothing entered yet).
pub fn yuan_or_blank(f: Fen) -> String {
    if f.0 == 0 {
        String::new()
    } else {
        f.yuan_input()
    }
}

/// The label of `value` in a closed set: the `prefix.value` text in `lang`.
pub fn label_text(value: impl Display, prefix: &str, lang: Lang) -> String {
    crate::i18n::t(lang, &format!("{prefix}.{value}")).to_string()
}

/// A stored reason in the reader's language (see [`crate::i18n::reason_text`]).
#[askama::filter_fn]
pub fn reason(stored: impl Display, _: &dyn askama::Values, lang: Lang) -> askama::Result<String> {
    Ok(crate::i18n::reason_text(&stored.to_string(), lang))
}

/// Money as people read it: `¥1,234.00`.
#[askama::filter_fn]
pub fn money(fen: impl Money, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(fen.fen().to_string())
}

/// Money as a form field's value in yuan: `50000`, `50000.5`, `50000.25`.
#[askama::filter_fn]
pub fn yuan(fen: impl Money, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(fen.fen().yuan_input())
}

/// A stored UTC instant as Beijing time: `2026-11-30 16:05`.
#[askama::filter_fn]
pub fn time(t: impl Instant, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(time_text(t))
}

/// An instant that may be missing: Beijing time, or nothing.
#[askama::filter_fn]
pub fn opt_time(t: impl Instant, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(time_text(t))
}

/// A deadline in Beijing time, midnight written as 24:00 of the day before
/// (`2026-12-09 24:00`); nothing for none.
#[askama::filter_fn]
pub fn deadline(t: impl Instant, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(t.instant()
        .map(crate::domain::calendar::format_deadline)
        .unwrap_or_default())
}

/// A calendar date: `2026-11-30`, or nothing.
#[askama::filter_fn]
pub fn date(d: impl Day, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(date_text(d))
}

/// The label of a value of a closed set in the reader's language:
/// `{{ p.status|label("project_status", ctx.lang()) }}` shows `project_status.<status>`.
#[askama::filter_fn]
pub fn label(
    value: impl Display,
    _: &dyn askama::Values,
    prefix: &str,
    lang: Lang,
) -> askama::Result<String> {
    Ok(label_text(value, prefix, lang))
}

#[cfg(test)]
mod tests {
    use askama::Template;
    use chrono::NaiveDate;

    use super::*;
    use crate::web::filters;

    #[derive(Template)]
    #[template(
        source = "{{ fen|money }}|{{ fen|yuan }}|{{ at|time }}|{{ none|opt_time }}|{{ midnight|deadline }}|{{ day|date }}|{{ status|label(\"project_status\", self.reader()) }}|{% for f in list %}{{ f|money }}{% endfor %}",
        ext = "html"
    )]
    struct Sample {
        fen: i64,
        at: NaiveDateTime,
        none: Option<NaiveDateTime>,
        midnight: NaiveDateTime,
        day: Option<NaiveDate>,
        status: crate::domain::project::ProjectStatus,
        lang: Lang,
        list: Vec<Fen>,
    }

    impl Sample {
        /// As `ctx.lang()` on a page: a call, so the language is passed by value.
        fn reader(&self) -> Lang {
            self.lang
        }
    }

    #[test]
    fn filters_format_money_times_dates_and_labels() {
        let utc = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, 11, d)
                .expect("a sample date")
                .and_hms_opt(h, 5, 0)
                .expect("a sample time")
        };
        let sample = |lang| Sample {
            fen: 123_456_789,
            at: utc(30, 8),
            none: None,
            // 16:00 UTC is midnight in Beijing: the deadline is 24:00 of the day before.
            midnight: utc(30, 16) - chrono::Duration::minutes(5),
            day: NaiveDate::from_ymd_opt(2026, 12, 1),
            status: crate::domain::project::ProjectStatus::Active,
            lang,
            list: vec![Fen(5), Fen(-100)],
        };
        let zh = sample(Lang::default())
            .render()
            .expect("the sample renders");
        let fields: Vec<&str> = zh.split('|').collect();
        assert_eq!(fields[0], "¥1,234,567.89");
        assert_eq!(fields[1], "1234567.89");
        assert_eq!(fields[2], "2026-11-30 16:05");
        assert_eq!(fields[3], "");
        assert_eq!(fields[4], "2026-11-30 24:00");
        assert_eq!(fields[5], "2026-12-01");
        assert_eq!(
            fields[6],
            crate::i18n::t(Lang::default(), "project_status.active")
        );
        assert_eq!(fields[7], "¥0.05-¥1.00");
        let en = sample(Lang::En).render().expect("the sample renders");
        assert_eq!(
            en.split('|').nth(6).expect("seven fields"),
            crate::i18n::t(Lang::En, "project_status.active")
        );
        assert_ne!(fields[6], en.split('|').nth(6).expect("seven fields"));
    }
}
