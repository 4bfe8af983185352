//! Marking one's own in-app messages read. A person's own bookkeeping, like signing out one
//! device (`ops::sessions::sign_out`): one small transaction, not an audited transition.

use crate::auth::policy::Actor;
use crate::db::{self, outbox, DbConn};
use crate::error::AppError;

/// Marks one of the person's messages read (404 if it is not theirs); marking a read one
/// again changes nothing.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn mark_read(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<(), AppError> {
    db::write_tx(conn, |c| {
        if !outbox::is_message_of(c, actor.id, id)? {
            return Err(AppError::NotFound);
        }
        outbox::mark_read(c, actor.id, Some(id))?;
        Ok(())
    })
}

/// Marks every message of the person read; returns how many were unread.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn mark_all_read(conn: &mut DbConn, actor: &Actor) -> Result<usize, AppError> {
    db::write_tx(conn, |c| outbox::mark_read(c, actor.id, None))
}
