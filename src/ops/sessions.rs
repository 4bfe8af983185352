//! Sessions: starting one for every issued token, signing out one device or every device,
//! and purging ended ones.

use chrono::NaiveDateTime;

use crate::auth::policy::Actor;
use crate::db::audit::{self, Change};
use crate::db::sessions::{self, NewSession, SessionInfo};
use crate::db::{self, now, DbConn};
use crate::domain::session::{bounded_user_agent, keep_ended, SessionKind};
use crate::error::AppError;

/// Where a session was started from.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub user_agent: String,
    pub addr: String,
}

/// Records a new session `id` of `user_id` that ends at `expires_at`.
#[tracing::instrument(skip_all, fields(user = user_id))]
pub fn start(
    conn: &mut DbConn,
    user_id: i64,
    kind: SessionKind,
    id: &str,
    expires_at: NaiveDateTime,
    client: &Client,
) -> Result<(), AppError> {
    let at = now();
    let user_agent = bounded_user_agent(&client.user_agent);
    let addr: String = client.addr.chars().take(64).collect();
    sessions::insert(
        conn,
        &NewSession {
            id,
            user_id,
            kind: kind.as_str(),
            created_at: at,
            expires_at,
            last_seen_at: at,
            user_agent: &user_agent,
            client_addr: &addr,
        },
    )
}

/// The signed-in person's live sessions; `current` is the asking one.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    current: Option<&str>,
) -> Result<Vec<SessionInfo>, AppError> {
    sessions::live_of_user(conn, actor.id, current, now())
}

/// Signs out the session of this request (this device only).
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn sign_out(conn: &mut DbConn, actor: &Actor, current: &str) -> Result<(), AppError> {
    sessions::revoke(conn, actor.id, current, now())?;
    Ok(())
}

/// Signs out one of the person's own sessions, chosen from the list; 404 if it is not
/// theirs or already ended.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn end_one(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    db::write_tx(conn, |c| {
        if !sessions::revoke(c, actor.id, id, now())? {
            return Err(AppError::NotFound);
        }
        audit::append(
            c,
            Change::new(Some(actor), "user.session_ended", "user", actor.id),
        )
    })
}

/// Signs out every session of the person but `keep` (this device), or every one with
/// `None`; returns how many ended.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn end_all(conn: &mut DbConn, actor: &Actor, keep: Option<&str>) -> Result<usize, AppError> {
    db::write_tx(conn, |c| {
        let n = sessions::revoke_all(c, actor.id, keep, now())?;
        audit::append(
            c,
            Change::new(Some(actor), "user.sessions_ended", "user", actor.id)
                .after(serde_json::json!({"ended": n, "this_device_kept": keep.is_some()})),
        )?;
        Ok(n)
    })
}

/// Deletes sessions that ended (expired or revoked) more than a few days ago.
#[tracing::instrument(skip_all)]
pub fn purge(conn: &mut DbConn) -> Result<usize, AppError> {
    sessions::purge_ended(conn, now() - keep_ended())
}
