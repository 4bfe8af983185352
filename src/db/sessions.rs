//! Queries of sessions: one row per issued token (`id` is the token's `jti`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_head, sessions, users};
use super::users::UserRow;
use super::DbConn;
use crate::domain::session::SessionKind;
use crate::error::AppError;

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub kind: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: &'a str,
    pub client_addr: &'a str,
}

pub fn insert(conn: &mut DbConn, new: &NewSession) -> Result<(), AppError> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// A live session, as its owner sees it in the list of signed-in devices.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// The session id (the token's `jti`).
    pub id: String,
    /// `page` (signed in on the website) or `api` (a bearer token).
    pub kind: SessionKind,
    /// UTC.
    pub created_at: NaiveDateTime,
    /// UTC; updated at most every few minutes.
    pub last_seen_at: NaiveDateTime,
    /// UTC.
    pub expires_at: NaiveDateTime,
    pub user_agent: String,
    pub client_addr: String,
    /// The session of the request that asked.
    pub current: bool,
}

/// What one lookup of a live session read.
#[derive(Debug, Clone)]
pub struct Live {
    pub user: UserRow,
    pub last_seen: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// The data version read by the same statement.
    pub version: i64,
}

/// A live session's account, when it was last seen, when it expires, and the data version
/// (`audit::head_entries`, read by the same statement as a subselect, so a kept page costs no
/// round trip of its own).
pub fn live_with_user(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> Result<Option<Live>, AppError> {
    let version = audit_head::table
        .filter(audit_head::id.eq(1i64))
        .select(audit_head::entries)
        .single_value();
    let found: Option<(UserRow, NaiveDateTime, NaiveDateTime, Option<i64>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select((
            UserRow::as_select(),
            sessions::last_seen_at,
            sessions::expires_at,
            version,
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(|(user, last_seen, expires_at, v)| Live {
        user,
        last_seen,
        expires_at,
        version: v.unwrap_or(0),
    }))
}

/// Records a use of the session, unless another request already did so recently.
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::last_seen_at.lt(stale_before)),
    )
    .set(sessions::last_seen_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// The live sessions of a user, the most recently used first; `current` is marked.
pub fn live_of_user(
    conn: &mut DbConn,
    user_id: i64,
    current: Option<&str>,
    now: NaiveDateTime,
) -> Result<Vec<SessionInfo>, AppError> {
    let mut rows: Vec<SessionInfo> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select((
            sessions::id,
            sessions::kind,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::expires_at,
            sessions::user_agent,
            sessions::client_addr,
        ))
        .order((sessions::last_seen_at.desc(), sessions::created_at.desc()))
        .load::<(
            String,
            SessionKind,
            NaiveDateTime,
            NaiveDateTime,
            NaiveDateTime,
            String,
            String,
        )>(conn)?
        .into_iter()
        .map(
            |(id, kind, created_at, last_seen_at, expires_at, user_agent, client_addr)| {
                SessionInfo {
                    current: current == Some(id.as_str()),
                    id,
                    kind,
                    created_at,
                    last_seen_at,
                    expires_at,
                    user_agent,
                    client_addr,
                }
            },
        )
        .collect();
    // The current device first, then by last use.
    rows.sort_by_key(|r| !r.current);
    Ok(rows)
}

/// Revokes one live session of `user_id`; returns whether there was one.
pub fn revoke(
    conn: &mut DbConn,
    user_id: i64,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now)),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Revokes every live session of `user_id` but `keep`; returns how many ended.
pub fn revoke_all(
    conn: &mut DbConn,
    user_id: i64,
    keep: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let live = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now));
    let n = match keep {
        Some(k) => diesel::update(live.filter(sessions::id.ne(k)))
            .set(sessions::revoked_at.eq(Some(now)))
            .execute(conn)?,
        None => diesel::update(live)
            .set(sessions::revoked_at.eq(Some(now)))
            .execute(conn)?,
    };
    Ok(n)
}

/// Deletes sessions that expired or were revoked before `before`; returns how many.
pub fn purge_ended(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, AppError> {
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(before)
                .or(sessions::revoked_at.lt(before)),
        ),
    )
    .execute(conn)?)
}
