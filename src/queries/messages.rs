//! The in-app messages (站内消息) of the signed-in person: every email the product sent to
//! their address while it was their account's (`db::outbox::enqueue` records the account),
//! newest first, with read/unread.

use chrono::NaiveDateTime;

use crate::auth::policy::Actor;
use crate::db::{outbox, DbConn, PageReq, Paged};
use crate::domain::outbox::MailKind;
use crate::error::AppError;

/// One message as its list shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: i64,
    pub kind: MailKind,
    pub subject: String,
    /// The email's text; none for an email carrying a one-time link (verification,
    /// invitation, password reset), which only the mailbox should hold.
    pub body: Option<String>,
    /// When it was sent (queued), UTC.
    pub sent_at: NaiveDateTime,
    pub read: bool,
    pub read_at: Option<NaiveDateTime>,
}

/// One page of the person's messages and how many there are.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn list(conn: &mut DbConn, actor: &Actor, page: PageReq) -> Result<Paged<Message>, AppError> {
    Ok(outbox::messages_of(conn, actor.id, page)?.map(|m| Message {
        id: m.id,
        kind: m.kind,
        subject: m.subject,
        body: (!m.kind.carries_secret()).then_some(m.body_text),
        sent_at: m.created_at,
        read: m.read_at.is_some(),
        read_at: m.read_at,
    }))
}
