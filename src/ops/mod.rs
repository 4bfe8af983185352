//! One function per state change, shared by the pages and the API: validate, ask the
//! policy, then one transaction holding the change, its audit entry and its emails.
//! All of it is blocking; handlers call it through `db::run`.

pub mod accounts;
pub mod award;
pub mod changes;
pub mod documents;
pub mod evaluation;
pub mod execution;
pub mod messages;
pub mod orgs;
pub mod proposals;
pub mod reminders;
pub mod renewal;
pub mod reviews;
pub mod rosters;
pub mod rounds;
pub mod sampling;
pub mod screening;
pub mod sessions;
pub mod visits;

use crate::db::{outbox, users, DbConn};
use crate::error::AppError;
use crate::mail::{Outgoing, Recipient};

/// Queues `make(recipient)` for every active member of an organization.
fn email_org(
    c: &mut DbConn,
    org_id: i64,
    make: impl Fn(&Recipient) -> Outgoing,
) -> Result<(), AppError> {
    for m in users::members(c, org_id)? {
        if m.status == crate::domain::account::UserStatus::Active {
            outbox::enqueue(c, &make(&Recipient::new(&m.email, &m.name, &m.locale)))?;
        }
    }
    Ok(())
}

/// Queues `make(recipient)` for one person, if their account is active.
fn email_user(
    c: &mut DbConn,
    user_id: i64,
    make: impl Fn(&Recipient) -> Outgoing,
) -> Result<(), AppError> {
    let u = users::find(c, user_id)?;
    if u.status == crate::domain::account::UserStatus::Active {
        outbox::enqueue(c, &make(&Recipient::new(&u.email, &u.name, &u.locale)))?;
    }
    Ok(())
}

/// Queues `make(recipient)` for every active officer of a bureau.
fn email_officers(
    c: &mut DbConn,
    bureau_id: i64,
    make: impl Fn(&Recipient) -> Outgoing,
) -> Result<(), AppError> {
    for o in users::bureau_officers(c, bureau_id)? {
        outbox::enqueue(c, &make(&Recipient::new(&o.email, &o.name, &o.locale)))?;
    }
    Ok(())
}
