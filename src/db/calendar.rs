//! The admin's working-day calendar; the shipped PRC schedule until one is saved.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::holidays;
use super::DbConn;
use crate::domain::calendar::{self, CalendarEntry, DayKind, HolidayCalendar};
use crate::error::AppError;

/// The listed days, or the shipped defaults when none were saved.
pub fn entries(conn: &mut DbConn) -> Result<Vec<CalendarEntry>, AppError> {
    let rows: Vec<(NaiveDate, String, String)> = holidays::table
        .order(holidays::day)
        .select((holidays::day, holidays::kind, holidays::label))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(calendar::china_default_entries());
    }
    Ok(rows
        .into_iter()
        .filter_map(|(date, kind, label)| {
            DayKind::parse(&kind).map(|kind| CalendarEntry { date, kind, label })
        })
        .collect())
}

pub fn load(conn: &mut DbConn) -> Result<HolidayCalendar, AppError> {
    Ok(HolidayCalendar::from_entries(&entries(conn)?))
}

/// Replaces the whole calendar.
pub fn replace(conn: &mut DbConn, entries: &[CalendarEntry]) -> Result<(), AppError> {
    diesel::delete(holidays::table).execute(conn)?;
    for e in entries {
        diesel::insert_into(holidays::table)
            .values((
                holidays::day.eq(e.date),
                holidays::kind.eq(e.kind.as_str()),
                holidays::label.eq(&e.label),
            ))
            .execute(conn)?;
    }
    Ok(())
}
