//! Abuse limits, kept in the database so that every instance on one PostgreSQL sees the same
//! counts: a fixed-window counter per key ([`hit`]) for anything a stranger can trigger
//! (sign-up, password reset, objections, ...), and the login lock after repeated failures.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::schema::login_throttle as lt;
use super::schema::rate_limits as rl;
use super::DbConn;
use crate::error::AppError;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamp)]
    window_started_at: NaiveDateTime,
}

/// Counts one hit on `key` in a fixed window of `window` that starts at the key's first hit;
/// refuses with [`AppError::RateLimited`] once more than `max` hits fall in the window, with
/// the seconds until the window ends. Refused hits count too (they never extend the window).
///
/// One atomic `INSERT ... ON CONFLICT DO UPDATE` on both backends: two instances inserting
/// the same new key at once both count, neither fails, and an outer PostgreSQL transaction
/// is never poisoned by a unique violation.
pub fn hit(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    max: i32,
    window: Duration,
) -> Result<(), AppError> {
    let expired_before = now - window;
    let row: Counted = diesel::sql_query(
        "INSERT INTO rate_limits (key, hits, window_started_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_started_at <= $3 THEN 1 \
                       ELSE rate_limits.hits + 1 END, \
           window_started_at = CASE WHEN rate_limits.window_started_at <= $4 THEN $5 \
                                    ELSE rate_limits.window_started_at END \
         RETURNING hits, window_started_at",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(expired_before)
    .bind::<Timestamp, _>(expired_before)
    .bind::<Timestamp, _>(now)
    .get_result(conn)?;
    if row.hits > max.max(0) {
        let ends = row.window_started_at + window;
        let secs = (ends - now).num_seconds().max(1);
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    Ok(())
}

/// Counts a hit on every `(key, max)`; the first refusal wins (later keys are not counted).
pub fn hit_all(
    conn: &mut DbConn,
    limits: &[(String, i32)],
    now: NaiveDateTime,
    window: Duration,
) -> Result<(), AppError> {
    for (key, max) in limits {
        hit(conn, key, now, *max, window)?;
    }
    Ok(())
}

/// Forgets counters whose window ended before `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::delete(rl::table.filter(rl::window_started_at.lt(before))).execute(conn)?)
}

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

#[derive(QueryableByName)]
struct Failures {
    #[diesel(sql_type = Integer)]
    failures: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    locked_until: Option<NaiveDateTime>,
}

/// Counts one failure for `key` within a window of `lock`; returns the lock end when this
/// failure reaches `max` (the count then starts again). One atomic upsert like [`hit`], the
/// lock included, so two instances failing at once never collide nor both lock.
pub fn record_failure(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
    max: i32,
    lock: Duration,
) -> Result<Option<NaiveDateTime>, AppError> {
    let expired_before = now - lock;
    let until = now + lock;
    let first_locks = max <= 1;
    let row: Failures = diesel::sql_query(
        "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.window_started_at <= $5 THEN $6 \
                           WHEN login_throttle.failures + 1 >= $7 THEN 0 \
                           ELSE login_throttle.failures + 1 END, \
           window_started_at = CASE WHEN login_throttle.window_started_at <= $8 \
                                      OR login_throttle.failures + 1 >= $9 THEN $10 \
                                    ELSE login_throttle.window_started_at END, \
           locked_until = CASE WHEN (login_throttle.window_started_at <= $11 AND $12 = 1) \
                                 OR (login_throttle.window_started_at > $13 \
                                     AND login_throttle.failures + 1 >= $14) THEN $15 \
                               ELSE login_throttle.locked_until END \
         RETURNING failures, locked_until",
    )
    .bind::<Text, _>(key)
    .bind::<Integer, _>(if first_locks { 0 } else { 1 })
    .bind::<Timestamp, _>(now)
    .bind::<Nullable<Timestamp>, _>(first_locks.then_some(until))
    .bind::<Timestamp, _>(expired_before)
    .bind::<Integer, _>(if first_locks { 0 } else { 1 })
    .bind::<Integer, _>(max)
    .bind::<Timestamp, _>(expired_before)
    .bind::<Integer, _>(max)
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(expired_before)
    .bind::<Integer, _>(i32::from(first_locks))
    .bind::<Timestamp, _>(expired_before)
    .bind::<Integer, _>(max)
    .bind::<Timestamp, _>(until)
    .get_result(conn)?;
    Ok((row.failures == 0 && row.locked_until == Some(until)).then_some(until))
}

pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), AppError> {
    diesel::delete(lt::table.find(key)).execute(conn)?;
    Ok(())
}
