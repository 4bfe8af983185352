//! The email outbox: rows written in the same transaction as the change that causes them,
//! claimed and sent by the background worker.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::schema::{outbox, users};
use super::{now, DbConn};
use crate::domain::outbox::{MailKind, OutboxStatus};
use crate::error::AppError;
use crate::mail::Outgoing;

/// After this many failed attempts a message is marked `failed` and left for an admin.
pub const MAX_ATTEMPTS: i32 = 8;

/// Queues an email, in the caller's transaction. The one place an email is written: when its
/// address is an account's, the email is also that account's in-app message (站内消息),
/// counted unread, so a person who misses the email still sees it.
pub fn enqueue(conn: &mut DbConn, m: &Outgoing) -> Result<(), AppError> {
    let at = now();
    let account: Option<i64> = users::table
        .filter(users::email.eq(&m.to_email))
        .select(users::id)
        .first(conn)
        .optional()?;
    if let Some(id) = account {
        diesel::update(users::table.find(id))
            .set(users::unread_messages.eq(users::unread_messages + 1))
            .execute(conn)?;
    }
    diesel::insert_into(outbox::table)
        .values((
            outbox::to_email.eq(&m.to_email),
            outbox::to_name.eq(&m.to_name),
            outbox::subject.eq(&m.subject),
            outbox::body_text.eq(&m.body),
            outbox::kind.eq(m.kind),
            outbox::status.eq(OutboxStatus::Pending),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(at),
            outbox::created_at.eq(at),
            outbox::bureau_id.eq(m.bureau_id),
            outbox::user_id.eq(account),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, QueryableByName, Queryable)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub to_email: String,
    #[diesel(sql_type = Text)]
    pub to_name: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Text)]
    pub kind: MailKind,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` due messages for `lease`, counting an attempt on each, with no cap
/// per bureau (see [`claim_capped`]).
pub fn claim_due(conn: &mut DbConn, limit: i64, lease: Duration) -> Result<Vec<Claimed>, AppError> {
    Ok(claim_capped(conn, limit, lease, i64::MAX)?.0)
}

/// The ids of due messages a pass may claim, oldest first: per bureau (a missing bureau is
/// one group), messages sent in the last minute plus those claimed and not yet done count
/// against `$3`. Binds: `$1` the start of the minute, `$2` now, `$3` the cap (each first used
/// in that order, as SQLite numbers them); a query around it may add `$4`.
const CAPPED_DUE: &str = "\
    WITH recent AS ( \
        SELECT bureau, COUNT(*) AS n FROM ( \
            SELECT COALESCE(bureau_id, 0) AS bureau FROM outbox WHERE sent_at > $1 \
            UNION ALL \
            SELECT COALESCE(bureau_id, 0) AS bureau FROM outbox \
             WHERE status = 'pending' AND locked_until >= $2 \
        ) busy GROUP BY bureau \
    ), due AS ( \
        SELECT id, COALESCE(bureau_id, 0) AS bureau, \
               ROW_NUMBER() OVER (PARTITION BY COALESCE(bureau_id, 0) ORDER BY id) AS rn \
          FROM outbox \
         WHERE status = 'pending' AND next_attempt_at <= $2 \
           AND (locked_until IS NULL OR locked_until < $2) \
    ) \
    SELECT due.id AS id, CASE WHEN due.rn + COALESCE(recent.n, 0) <= $3 THEN 1 ELSE 0 END AS allowed \
      FROM due LEFT JOIN recent ON recent.bureau = due.bureau";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims up to `limit` due messages for `lease`, counting an attempt on each, and at most
/// `per_minute` per bureau in any rolling minute (what was sent in the last minute and what
/// is claimed and not yet done count); the rest stay queued for a later pass. Returns the
/// claimed messages and how many due messages the cap held back.
///
/// On PostgreSQL claims take a transaction-scoped advisory lock, so instances claim one at a
/// time and the cap holds across them, and rows are taken with `FOR UPDATE SKIP LOCKED`, so
/// several instances never claim the same message; SQLite has a single writer.
pub fn claim_capped(
    conn: &mut DbConn,
    limit: i64,
    lease: Duration,
    per_minute: i64,
) -> Result<(Vec<Claimed>, usize), AppError> {
    let at = now();
    let until = at + lease;
    super::write_tx(conn, |conn| {
        if let DbConn::Pg(pg) = conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<BigInt, _>(OUTBOX_CLAIM_LOCK)
                .execute(pg)?;
        }
        let window = at - Duration::minutes(1);
        let ids: Vec<i64> = diesel::sql_query(format!(
            "SELECT id FROM ({CAPPED_DUE}) c WHERE allowed = 1 ORDER BY id LIMIT $4"
        ))
        .bind::<Timestamp, _>(window)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(per_minute)
        .bind::<BigInt, _>(limit)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
        let deferred = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM ({CAPPED_DUE}) c WHERE allowed = 0"
        ))
        .bind::<Timestamp, _>(window)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(per_minute)
        .get_result::<Count>(conn)?
        .n as usize;
        if ids.is_empty() {
            return Ok((Vec::new(), deferred));
        }
        let mut claimed = match conn {
            DbConn::Pg(pg) => diesel::sql_query(
                "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE id = ANY($2) AND status = 'pending' \
               AND (locked_until IS NULL OR locked_until < $3) ORDER BY id FOR UPDATE SKIP LOCKED) \
             RETURNING id, to_email, to_name, subject, body_text, kind, attempts",
            )
            .bind::<Timestamp, _>(until)
            .bind::<diesel::sql_types::Array<BigInt>, _>(&ids)
            .bind::<Timestamp, _>(at)
            .load::<Claimed>(pg)?,
            DbConn::Sqlite(_) => {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                    .set((
                        outbox::locked_until.eq(Some(until)),
                        outbox::attempts.eq(outbox::attempts + 1),
                    ))
                    .execute(conn)?;
                outbox::table
                    .filter(outbox::id.eq_any(&ids))
                    .order(outbox::id)
                    .select((
                        outbox::id,
                        outbox::to_email,
                        outbox::to_name,
                        outbox::subject,
                        outbox::body_text,
                        outbox::kind,
                        outbox::attempts,
                    ))
                    .load::<Claimed>(conn)?
            }
        };
        claimed.sort_by_key(|m| m.id);
        Ok((claimed, deferred))
    })
}

/// The advisory lock key that serialises claims across instances on PostgreSQL.
const OUTBOX_CLAIM_LOCK: i64 = 0x7963_6f75_7462;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn mark_sent(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(OutboxStatus::Sent),
            outbox::sent_at.eq(Some(now())),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Exponential backoff: 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 30i64 << (attempts.clamp(1, 8) - 1);
    Duration::seconds(secs.min(3600))
}

pub fn mark_failed(conn: &mut DbConn, id: i64, attempts: i32, error: &str) -> Result<(), AppError> {
    let status = if attempts >= MAX_ATTEMPTS {
        OutboxStatus::Failed
    } else {
        OutboxStatus::Pending
    };
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status),
            outbox::last_error.eq(Some(error.chars().take(500).collect::<String>())),
            outbox::next_attempt_at.eq(now() + backoff(attempts)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub to_email: String,
    pub subject: String,
    pub body_text: String,
    pub kind: MailKind,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Messages given up on after `MAX_ATTEMPTS`.
pub fn count_failed(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(outbox::table
        .filter(outbox::status.eq(OutboxStatus::Failed))
        .count()
        .get_result(conn)?)
}

/// Messages to one address, oldest first (tests and the admin's view).
pub fn to_address(conn: &mut DbConn, email: &str) -> Result<Vec<OutboxRow>, AppError> {
    Ok(outbox::table
        .filter(outbox::to_email.eq(email))
        .order(outbox::id)
        .select((
            outbox::id,
            outbox::to_email,
            outbox::subject,
            outbox::body_text,
            outbox::kind,
            outbox::status,
            outbox::attempts,
            outbox::last_error,
        ))
        .load(conn)?)
}

/// An account's in-app message: an email it was sent.
#[derive(Debug, Clone, Queryable)]
pub struct MessageRow {
    pub id: i64,
    pub kind: MailKind,
    pub subject: String,
    pub body_text: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// One page of an account's messages, newest first, and how many there are.
pub fn messages_of(
    conn: &mut DbConn,
    user_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<MessageRow>, AppError> {
    let total: i64 = outbox::table
        .filter(outbox::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let items = outbox::table
        .filter(outbox::user_id.eq(user_id))
        .order(outbox::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            outbox::id,
            outbox::kind,
            outbox::subject,
            outbox::body_text,
            outbox::created_at,
            outbox::read_at,
        ))
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// Marks an account's unread messages read (only `id` when given) and sets its unread count
/// from what is left unread; returns how many were marked. In the caller's transaction.
pub fn mark_read(conn: &mut DbConn, user_id: i64, id: Option<i64>) -> Result<usize, AppError> {
    let mut q = diesel::update(outbox::table)
        .filter(outbox::user_id.eq(user_id))
        .filter(outbox::read_at.is_null())
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(outbox::id.eq(id));
    }
    let marked = q.set(outbox::read_at.eq(Some(now()))).execute(conn)?;
    let unread: i64 = outbox::table
        .filter(outbox::user_id.eq(user_id))
        .filter(outbox::read_at.is_null())
        .count()
        .get_result(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::unread_messages.eq(i32::try_from(unread).unwrap_or(i32::MAX)))
        .execute(conn)?;
    Ok(marked)
}

/// Whether `id` is one of the account's messages.
pub fn is_message_of(conn: &mut DbConn, user_id: i64, id: i64) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::user_id.eq(user_id)),
    ))
    .get_result(conn)?)
}

/// The outbox queue as `/metrics` shows it: waiting messages and the oldest one's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingStats {
    pub pending: i64,
    pub oldest: Option<NaiveDateTime>,
}

/// One query: how many messages wait to be sent, and since when.
pub fn pending_stats(conn: &mut DbConn) -> Result<PendingStats, AppError> {
    use diesel::dsl::{count_star, min};
    let (pending, oldest) = outbox::table
        .filter(outbox::status.eq(OutboxStatus::Pending))
        .select((count_star(), min(outbox::created_at)))
        .first::<(i64, Option<NaiveDateTime>)>(conn)?;
    Ok(PendingStats { pending, oldest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }
}
