//! Queuing reminders (reviews, milestone reports, evaluations) once each, and a storm of them
//! as one digest per recipient: a recipient with one reminder due in a pass gets it as its own
//! email; one with several gets a single email listing every item (what, title, due date,
//! link). Each reminder is recorded once under its key, so several instances still send each
//! once. The worker's per-bureau cap then spreads what is queued over time.

use std::collections::HashSet;

use crate::config::Settings;
use crate::db::{self, outbox, reviews, users, DbConn};
use crate::error::AppError;
use crate::mail::{self, DigestItem, Outgoing, Recipient};

/// Who a reminder goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    /// One user (a reviewer, an evaluator).
    User(i64),
    /// Every active member of an organisation.
    Org(i64),
}

/// A reminder that is due.
pub struct Reminder {
    /// Recorded once sent, e.g. `report_overdue:12:0`.
    pub key: String,
    pub to: Who,
    pub bureau_id: i64,
    /// How the reminder is listed in a digest.
    pub item: DigestItem,
    /// The reminder as its own email, for a recipient who has only this one.
    pub single: Box<dyn Fn(&Recipient) -> Outgoing>,
}

/// Queues the reminders not recorded yet: one write transaction per recipient, recording
/// each key and queuing one email (the reminder, or a digest of several). Returns how many
/// reminders were queued. A check that finds everything recorded opens no write transaction.
pub fn queue(conn: &mut DbConn, s: &Settings, due: Vec<Reminder>) -> Result<usize, AppError> {
    let keys: Vec<String> = due.iter().map(|r| r.key.clone()).collect();
    let already = reviews::reminders_sent(conn, &keys)?;
    // Recipients in the order of their first reminder.
    let mut order: Vec<Who> = Vec::new();
    let mut seen = HashSet::new();
    let mut groups: std::collections::HashMap<Who, Vec<Reminder>> = Default::default();
    for r in due.into_iter().filter(|r| !already.contains(&r.key)) {
        if seen.insert(r.to) {
            order.push(r.to);
        }
        groups.entry(r.to).or_default().push(r);
    }
    let mut queued = 0;
    for who in order {
        let items = groups.remove(&who).unwrap_or_default();
        queued += db::write_tx(conn, |c| {
            let mut fresh = Vec::new();
            for r in &items {
                // Another instance may have sent it since the read.
                if reviews::mark_reminder(c, &r.key)? {
                    fresh.push(r);
                }
            }
            let Some(first) = fresh.first() else {
                return Ok(0);
            };
            let bureau = first.bureau_id;
            let make = |to: &Recipient| -> Outgoing {
                if fresh.len() == 1 {
                    (first.single)(to)
                } else {
                    let list: Vec<DigestItem> = fresh.iter().map(|r| r.item.clone()).collect();
                    mail::reminder_digest(to, &list, &s.base_url)
                }
                .for_bureau(bureau)
            };
            match who {
                Who::User(id) => {
                    let u = users::find(c, id)?;
                    outbox::enqueue(c, &make(&Recipient::new(&u.email, &u.name, &u.locale)))?;
                }
                Who::Org(id) => super::email_org(c, id, make)?,
            }
            if fresh.len() > 1 {
                crate::telemetry::record_mail_digest();
            }
            Ok(fresh.len())
        })?;
    }
    Ok(queued)
}
