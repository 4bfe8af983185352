//! Screening (形式审查): eligible, ineligible with reasons, or returned for correction with a
//! deadline — one by one or in bulk, each emailed to the applicant.

use chrono::NaiveDateTime;

use crate::auth::policy::Actor;
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::proposals::{self, ProposalRow};
use crate::db::rounds::RoundRow;
use crate::db::{self, now, outbox, users, DbConn};
use crate::domain::proposal::{self, CheckItem, ProposalStatus};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Eligible,
    Ineligible {
        reason: String,
    },
    Return {
        comment: String,
        deadline: NaiveDateTime,
    },
}

impl Decision {
    /// Checks the officer's input, field by field.
    pub fn check(&self) -> Result<(), AppError> {
        let mut e = FieldErrors::new();
        match self {
            Decision::Eligible => {}
            Decision::Ineligible { reason } => {
                if reason.trim().is_empty() {
                    e.add("reason", Msg::new("field.required"));
                }
                crate::domain::limits::check(
                    &mut e,
                    "reason",
                    reason.trim(),
                    crate::domain::limits::REASON,
                );
            }
            Decision::Return { comment, deadline } => {
                if comment.trim().is_empty() {
                    e.add("comment", Msg::new("field.required"));
                }
                crate::domain::limits::check(
                    &mut e,
                    "comment",
                    comment.trim(),
                    crate::domain::limits::REASON,
                );
                if *deadline <= now() {
                    e.add("return_deadline", Msg::new("field.date_past"));
                }
            }
        }
        e.into_result()
    }
    fn status(&self) -> ProposalStatus {
        match self {
            Decision::Eligible => ProposalStatus::Eligible,
            Decision::Ineligible { .. } => ProposalStatus::Ineligible,
            Decision::Return { .. } => ProposalStatus::Returned,
        }
    }
}

/// The round of a proposal an officer screens, checked for state and bureau.
fn screenable_round(
    conn: &mut DbConn,
    actor: &Actor,
    p: &ProposalRow,
) -> Result<RoundRow, AppError> {
    let r = super::rounds::find_managed(conn, actor, p.round_id)?;
    if !r.status.screening() {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    Ok(r)
}

/// The automatic checklist of a proposal for the officer.
#[tracing::instrument(skip_all)]
pub fn checklist(
    conn: &mut DbConn,
    p: &ProposalRow,
    r: &RoundRow,
) -> Result<Vec<CheckItem>, AppError> {
    let facts = super::proposals::org_facts(conn, p, r)?;
    Ok(proposal::checklist(
        &p.content(),
        &r.core(),
        &r.rules(),
        &facts,
    ))
}

fn apply(
    c: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    p: &ProposalRow,
    r: &RoundRow,
    d: &Decision,
) -> Result<(), AppError> {
    if p.status != ProposalStatus::Submitted {
        return Err(AppError::Conflict(
            Msg::new("error.not_screenable").arg("number", p.number.clone().unwrap_or_default()),
        ));
    }
    let (reason, deadline) = match d {
        Decision::Eligible => (None, None),
        Decision::Ineligible { reason } => (Some(reason.trim()), None),
        Decision::Return { comment, deadline } => (Some(comment.trim()), Some(*deadline)),
    };
    proposals::set_screening(c, p.id, d.status(), reason, deadline)?;
    let action = match d {
        Decision::Eligible => "proposal.eligible",
        Decision::Ineligible { .. } => "proposal.ineligible",
        Decision::Return { .. } => "proposal.returned",
    };
    let mut change = Change::new(Some(actor), action, "proposal", p.id)
        .before(serde_json::json!({"status": p.status}))
        .after(serde_json::json!({"status": d.status().as_str(), "return_deadline": deadline}));
    if let Some(r) = reason {
        change = change.reason(r);
    }
    audit::append(c, change)?;
    let number = p.number.clone().unwrap_or_default();
    let link = format!("{}/proposals/{}", s.base_url, p.id);
    for m in users::members(c, p.org_id)? {
        if m.status != crate::domain::account::UserStatus::Active {
            continue;
        }
        let to = Recipient::new(&m.email, &m.name, &m.locale);
        let msg = match d {
            Decision::Eligible => mail::proposal_screened(
                &to,
                &number,
                &p.title,
                &r.title,
                true,
                None,
                &link,
                &s.base_url,
            ),
            Decision::Ineligible { reason } => mail::proposal_screened(
                &to,
                &number,
                &p.title,
                &r.title,
                false,
                Some(reason),
                &link,
                &s.base_url,
            ),
            Decision::Return { comment, deadline } => mail::proposal_returned(
                &to,
                &number,
                &p.title,
                comment,
                &crate::domain::calendar::format_beijing(*deadline),
                &link,
                &s.base_url,
            ),
        };
        outbox::enqueue(c, &msg)?;
    }
    Ok(())
}

/// Decides one proposal.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn decide(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    d: &Decision,
) -> Result<(), AppError> {
    d.check()?;
    let p = proposals::find(conn, id)?;
    let r = screenable_round(conn, actor, &p)?;
    db::write_tx(conn, |c| apply(c, s, actor, &p, &r, d))
}

/// Decides several proposals of one round at once: all of them or none.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn decide_many(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    round_id: i64,
    ids: &[i64],
    d: &Decision,
) -> Result<usize, AppError> {
    d.check()?;
    if ids.is_empty() {
        return Err(FieldErrors::single("ids", "field.select_some"));
    }
    let r = super::rounds::find_managed(conn, actor, round_id)?;
    let mut list = Vec::new();
    for id in ids {
        let p = proposals::find(conn, *id)?;
        if p.round_id != round_id {
            return Err(AppError::NotFound);
        }
        screenable_round(conn, actor, &p)?;
        list.push(p);
    }
    db::write_tx(conn, |c| {
        for p in &list {
            apply(c, s, actor, p, &r, d)?;
        }
        Ok(list.len())
    })
}
