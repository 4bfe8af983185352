//! Rounds: drafts, publishing (which freezes the rules), deadline moves, closing.

use chrono::NaiveDateTime;

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::rounds::{self, RoundRow};
use crate::db::{self, now, outbox, DbConn};
use crate::domain::round::{self, RoundCore, RoundRules, RoundStatus};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

fn bureau_of(actor: &Actor) -> Result<i64, AppError> {
    let b = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(b))?;
    Ok(b)
}

/// The round, if the actor runs its bureau's rounds.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_managed(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<RoundRow, AppError> {
    let r = rounds::find(conn, id)?;
    policy::require(actor, Action::ManageRounds(r.bureau_id))?;
    Ok(r)
}

/// Problems that keep a round from opening, field by field (empty: it may open).
pub fn publish_problems(core: &RoundCore, rules: &RoundRules, at: NaiveDateTime) -> FieldErrors {
    let mut e = FieldErrors::new();
    round::check_core(core, &mut e);
    round::check_rules(rules, &mut e);
    round::check_publishable(core, at, &mut e);
    e
}

/// What even a draft must get right: a title, and money bounds (the same for the page's
/// form and the API).
fn draft_errors(core: &RoundCore) -> Result<(), AppError> {
    let mut e = FieldErrors::new();
    if core.title.trim().is_empty() {
        e.add("title", Msg::new("field.required"));
    }
    round::check_money(core, &mut e);
    e.into_result()
}

/// Starts a draft round for the officer's bureau. A draft may be incomplete.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    core: &RoundCore,
    rules: &RoundRules,
) -> Result<i64, AppError> {
    let bureau = bureau_of(actor)?;
    draft_errors(core)?;
    db::write_tx(conn, |c| {
        let id = rounds::insert(c, bureau, core, rules, actor.id)?;
        let row = rounds::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.created", "round", id).after(row.audit_json()),
        )?;
        Ok(id)
    })
}

/// Saves a draft's settings; once open, the rules are frozen.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    core: &RoundCore,
    rules: &RoundRules,
) -> Result<(), AppError> {
    let before = find_managed(conn, actor, id)?;
    if before.status != RoundStatus::Draft {
        return Err(AppError::conflict("error.round_frozen"));
    }
    draft_errors(core)?;
    db::write_tx(conn, |c| {
        rounds::update(c, id, version, core, rules)?;
        let after = rounds::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.updated", "round", id)
                .before(before.audit_json())
                .after(after.audit_json()),
        )
    })
}

/// Opens the round for applications after checking the whole configuration, and tells
/// the members of verified NGOs.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn publish(conn: &mut DbConn, s: &Settings, actor: &Actor, id: i64) -> Result<(), AppError> {
    let before = find_managed(conn, actor, id)?;
    if before.status != RoundStatus::Draft {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    publish_problems(&before.core(), &before.rules(), now()).into_result()?;
    let bureau = rounds::bureau_name(conn, before.bureau_id)?;
    db::write_tx(conn, |c| {
        rounds::transition(c, id, RoundStatus::Draft, RoundStatus::Open)?;
        let after = rounds::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.published", "round", id)
                .before(before.audit_json())
                .after(after.audit_json()),
        )?;
        let link = format!("{}/calls/{id}", s.base_url);
        let closes = after
            .closes_at
            .map(crate::domain::calendar::format_beijing)
            .unwrap_or_default();
        for m in crate::db::users::verified_ngo_members(c)? {
            let to = Recipient::new(&m.email, &m.name, &m.locale);
            outbox::enqueue(
                c,
                &mail::round_opened(&to, &bureau, &after.title, &closes, &link, &s.base_url)
                    .for_bureau(after.bureau_id),
            )?;
        }
        Ok(())
    })
}

/// Moves the deadlines of a published round, with a reason kept in the audit trail. The
/// application deadline moves only while the round is open.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn move_deadlines(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    closes_at: NaiveDateTime,
    review_due: NaiveDateTime,
    reason: &str,
) -> Result<(), AppError> {
    let before = find_managed(conn, actor, id)?;
    let status = before.status;
    let mut e = FieldErrors::new();
    if reason.trim().is_empty() {
        e.add("reason", Msg::new("field.required"));
    }
    crate::domain::limits::check(
        &mut e,
        "reason",
        reason.trim(),
        crate::domain::limits::REASON,
    );
    match status {
        RoundStatus::Open => {
            if closes_at <= now() {
                e.add("closes_at", Msg::new("field.date_past"));
            }
        }
        RoundStatus::Screening | RoundStatus::Reviewing => {
            if Some(closes_at) != before.closes_at {
                e.add("closes_at", Msg::new("field.closes_at_fixed"));
            }
        }
        _ => return Err(AppError::conflict("error.round_wrong_state")),
    }
    if review_due <= closes_at {
        e.add("review_due", Msg::new("field.review_before_close"));
    }
    e.into_result()?;
    db::write_tx(conn, |c| {
        rounds::set_deadlines(c, id, closes_at, review_due)?;
        let after = rounds::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.deadlines_moved", "round", id)
                .reason(reason.trim())
                .before(serde_json::json!({"closes_at": before.closes_at, "review_due": before.review_due}))
                .after(serde_json::json!({"closes_at": after.closes_at, "review_due": after.review_due})),
        )?;
        // Applicants hear about a new application deadline.
        if before.closes_at != after.closes_at {
            let closes = after
                .closes_at
                .map(crate::domain::calendar::format_beijing)
                .unwrap_or_default();
            let link = format!("{}/calls/{id}", s.base_url);
            for org in crate::db::proposals::org_ids_in_round(c, id)? {
                for m in crate::db::users::members(c, org)? {
                    if m.status == crate::domain::account::UserStatus::Active {
                        let to = Recipient::new(&m.email, &m.name, &m.locale);
                        outbox::enqueue(
                            c,
                            &mail::deadline_moved(
                                &to,
                                &after.title,
                                &closes,
                                reason.trim(),
                                &link,
                                &s.base_url,
                            ),
                        )?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Moves every open round whose deadline passed to screening; returns how many moved.
#[tracing::instrument(skip_all)]
pub fn close_due(conn: &mut DbConn) -> Result<usize, AppError> {
    let due = rounds::due_to_close(conn, now())?;
    for id in &due {
        db::write_tx(conn, |c| {
            match rounds::transition(c, *id, RoundStatus::Open, RoundStatus::Screening) {
                Ok(()) => audit::append(
                    c,
                    Change::new(None, "round.closed", "round", *id)
                        .reason("reason.deadline_passed"),
                ),
                // Another instance closed it first.
                Err(AppError::Conflict(_)) => Ok(()),
                Err(e) => Err(e),
            }
        })?;
    }
    Ok(due.len())
}
