//! Login throttling, kept in the database so that every instance sees the same counts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::login_throttle as lt;
use super::DbConn;
use crate::error::AppError;

/// The latest `locked_until` among `keys` that is still in the future.
pub fn locked_until(
    conn: &mut DbConn,
    keys: &[String],
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    let until: Vec<Option<NaiveDateTime>> = lt::table
        .filter(lt::key.eq_any(keys))
        .filter(lt::locked_until.gt(now))
        .select(lt::locked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().max())
}

/// Counts one failure for `key`; returns the lock end when this failure reaches `max`.
pub fn record_failure(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    max: i32,
    lock: Duration,
) -> Result<Option<NaiveDateTime>, AppError> {
    let row: Option<(i32, NaiveDateTime)> = lt::table
        .find(key)
        .select((lt::failures, lt::window_started_at))
        .first(conn)
        .optional()?;
    let failures = match row {
        Some((n, start)) if now - start < lock => n + 1,
        _ => 1,
    };
    let window = match row {
        Some((_, start)) if now - start < lock => start,
        _ => now,
    };
    let locked = (failures >= max).then_some(now + lock);
    let (failures, window) = if locked.is_some() {
        (0, now)
    } else {
        (failures, window)
    };
    if row.is_some() {
        diesel::update(lt::table.find(key))
            .set((
                lt::failures.eq(failures),
                lt::window_started_at.eq(window),
                lt::locked_until.eq(locked),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(lt::table)
            .values((
                lt::key.eq(key),
                lt::failures.eq(failures),
                lt::window_started_at.eq(window),
                lt::locked_until.eq(locked),
            ))
            .execute(conn)?;
    }
    Ok(locked)
}

pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), AppError> {
    diesel::delete(lt::table.find(key)).execute(conn)?;
    Ok(())
}
