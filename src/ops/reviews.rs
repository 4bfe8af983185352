//! Expert review: reviewer profiles, opening the review, assignment (automatic and by
//! hand, conflicts excluded), accepting and declining.

use std::collections::HashSet;

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::reviews::{self, Profile, ReviewRow};
use crate::db::{self, now, outbox, users, DbConn};
use crate::domain::account::Role;
use crate::domain::assignment::{self, Candidate, ReviewStatus, Slotted};
use crate::domain::proposal::ProposalStatus;
use crate::domain::round::RoundStatus;
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

/// A reviewer keeps their own expertise and affiliations up to date.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn save_profile(conn: &mut DbConn, actor: &Actor, p: &Profile) -> Result<(), AppError> {
    if actor.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    let mut e = FieldErrors::new();
    for (i, a) in p.affiliations.iter().enumerate() {
        if a.org_name.trim().is_empty() && a.uscc.as_deref().is_none_or(|u| u.trim().is_empty()) {
            e.add(
                "affiliations",
                Msg::new("field.affiliation_line").arg("line", i + 1),
            );
        }
        if [
            &a.org_name,
            &a.role,
            a.uscc.as_ref().unwrap_or(&String::new()),
        ]
        .iter()
        .any(|v| crate::domain::limits::char_len(v) > crate::domain::limits::ROW_TEXT)
        {
            e.add(
                "affiliations",
                crate::domain::limits::too_long(crate::domain::limits::ROW_TEXT),
            );
        }
    }
    e.into_result()?;
    db::write_tx(conn, |c| {
        reviews::save_profile(c, actor.id, p)?;
        audit::append(
            c,
            Change::new(Some(actor), "reviewer.profile_saved", "user", actor.id)
                .after(serde_json::to_value(p).unwrap_or_default()),
        )
    })
}

/// Opens expert review once screening is done (no proposal still awaits a decision).
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn start_review(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<(), AppError> {
    let r = super::rounds::find_managed(conn, actor, round_id)?;
    if r.status != RoundStatus::Screening {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    let waiting = crate::db::proposals::count_in_status(
        conn,
        round_id,
        &[ProposalStatus::Submitted, ProposalStatus::Returned],
    )?;
    if waiting > 0 {
        return Err(AppError::Conflict(
            Msg::new("error.screening_unfinished").arg("count", waiting),
        ));
    }
    db::write_tx(conn, |c| {
        crate::db::rounds::transition(c, round_id, RoundStatus::Screening, RoundStatus::Reviewing)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.review_started", "round", round_id),
        )
    })
}

fn reviewing_round(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
) -> Result<crate::db::rounds::RoundRow, AppError> {
    let r = super::rounds::find_managed(conn, actor, round_id)?;
    if r.status != RoundStatus::Reviewing {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    Ok(r)
}

fn notify_assigned(
    c: &mut DbConn,
    s: &Settings,
    reviewer: i64,
    count: usize,
    round: &crate::db::rounds::RoundRow,
) -> Result<(), AppError> {
    let u = users::find(c, reviewer)?;
    let to = Recipient::new(&u.email, &u.name, &u.locale);
    outbox::enqueue(
        c,
        &mail::reviews_assigned(
            &to,
            count,
            &round.title,
            round.review_due,
            &format!("{}/reviews", s.base_url),
            &s.base_url,
        ),
    )
}

/// Fills every open slot of the round's eligible proposals; returns how many reviews were
/// assigned. Reviewers with a known conflict, or who already hold or declined a review of
/// the proposal, are never picked.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn auto_assign(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    round_id: i64,
) -> Result<usize, AppError> {
    let r = reviewing_round(conn, actor, round_id)?;
    let per = r.rules().reviewers_per_proposal.max(1) as usize;
    let props = reviews::eligible_proposals(conn, round_id)?;
    let pairs = reviews::pairs(conn, round_id)?;
    let reviewers = reviews::reviewers(conn)?;
    if reviewers.is_empty() {
        return Err(AppError::conflict("error.no_reviewers"));
    }
    let mut excluded: HashSet<(i64, i64)> = pairs.iter().map(|(p, rv, _)| (*p, *rv)).collect();
    let day = crate::db::today();
    for p in &props {
        for (rid, _, _, profile) in &reviewers {
            if assignment::has_conflict(
                &profile.affiliations,
                &p.org_name,
                p.org_uscc.as_deref(),
                day,
            ) {
                excluded.insert((p.id, *rid));
            }
        }
    }
    let slotted: Vec<Slotted> = props
        .iter()
        .map(|e| {
            let holding = pairs
                .iter()
                .filter(|(p, _, st)| {
                    *p == e.id && ReviewStatus::parse(st).is_some_and(|x| x.holds_slot())
                })
                .count();
            Slotted {
                proposal_id: e.id,
                category: e.category.clone(),
                open_slots: per.saturating_sub(holding),
            }
        })
        .collect();
    let candidates: Vec<Candidate> = reviewers
        .iter()
        .map(|(rid, _, _, p)| Candidate {
            reviewer_id: *rid,
            expertise: p.expertise.clone(),
            load: pairs
                .iter()
                .filter(|(_, rv, st)| {
                    rv == rid && ReviewStatus::parse(st).is_some_and(|x| x.holds_slot())
                })
                .count(),
        })
        .collect();
    let picks = assignment::auto_assign(&slotted, &candidates, &excluded);
    db::write_tx(conn, |c| {
        for (pid, rid) in &picks {
            let id = reviews::insert(c, round_id, *pid, *rid, actor.id)?;
            audit::append(
                c,
                Change::new(Some(actor), "review.assigned", "review", id).after(
                    serde_json::json!({"proposal_id": pid, "reviewer_id": rid, "auto": true}),
                ),
            )?;
        }
        let mut by_reviewer: Vec<i64> = picks.iter().map(|(_, r)| *r).collect();
        by_reviewer.sort_unstable();
        by_reviewer.dedup();
        for rid in by_reviewer {
            let n = picks.iter().filter(|(_, r)| *r == rid).count();
            notify_assigned(c, s, rid, n, &r)?;
        }
        Ok(picks.len())
    })
}

/// Assigns one reviewer by hand; a known conflict or a repeat is refused.
#[tracing::instrument(skip_all, fields(user = actor.id, proposal_id, reviewer_id))]
pub fn assign(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    proposal_id: i64,
    reviewer_id: i64,
) -> Result<i64, AppError> {
    let p = crate::db::proposals::find(conn, proposal_id)?;
    let r = reviewing_round(conn, actor, p.round_id)?;
    if p.status != ProposalStatus::Eligible {
        return Err(AppError::conflict("error.not_eligible_for_review"));
    }
    let reviewer = reviews::reviewers(conn)?
        .into_iter()
        .find(|(id, ..)| *id == reviewer_id)
        .ok_or_else(|| FieldErrors::single("reviewer_id", "field.reviewer_unknown"))?;
    if reviews::pairs(conn, p.round_id)?
        .iter()
        .any(|(pid, rid, _)| *pid == proposal_id && *rid == reviewer_id)
    {
        return Err(AppError::conflict("error.review_exists"));
    }
    let org = crate::db::orgs::find(conn, p.org_id)?;
    if assignment::has_conflict(
        &reviewer.3.affiliations,
        &org.name,
        org.uscc.as_deref(),
        crate::db::today(),
    ) {
        return Err(AppError::conflict("error.reviewer_conflict"));
    }
    db::write_tx(conn, |c| {
        let id = reviews::insert(c, p.round_id, proposal_id, reviewer_id, actor.id)?;
        audit::append(c, Change::new(Some(actor), "review.assigned", "review", id).after(serde_json::json!({"proposal_id": proposal_id, "reviewer_id": reviewer_id, "auto": false})))?;
        notify_assigned(c, s, reviewer_id, 1, &r)?;
        Ok(id)
    })
}

/// The reviewer's own review.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_own(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<ReviewRow, AppError> {
    let rv = reviews::find(conn, id)?;
    policy::require(actor, Action::OwnReview(rv.reviewer_id))?;
    Ok(rv)
}

#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn accept(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<(), AppError> {
    find_own(conn, actor, id)?;
    db::write_tx(conn, |c| {
        reviews::transition(c, id, ReviewStatus::Assigned, ReviewStatus::Accepted, None)?;
        audit::append(c, Change::new(Some(actor), "review.accepted", "review", id))
    })
}

/// Declines with a conflict declaration; the slot opens for another reviewer.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn decline(conn: &mut DbConn, actor: &Actor, id: i64, note: &str) -> Result<(), AppError> {
    find_own(conn, actor, id)?;
    if note.trim().is_empty() {
        return Err(FieldErrors::single("conflict_note", "field.required"));
    }
    crate::domain::limits::within("conflict_note", note.trim(), crate::domain::limits::REASON)?;
    db::write_tx(conn, |c| {
        reviews::transition(
            c,
            id,
            ReviewStatus::Assigned,
            ReviewStatus::DeclinedConflict,
            Some(note.trim()),
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "review.declined", "review", id).reason(note.trim()),
        )
    })
}

/// Saves the reviewer's work in progress (any given score must already be valid).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    content: &assignment::ReviewContent,
) -> Result<(), AppError> {
    let rv = find_own(conn, actor, id)?;
    match rv.status {
        ReviewStatus::Accepted => {}
        ReviewStatus::Submitted => return Err(AppError::conflict("error.review_locked")),
        _ => return Err(AppError::conflict("error.review_wrong_state")),
    }
    let rules = crate::db::rounds::find(conn, rv.round_id)?.rules();
    assignment::check_review_content(
        content,
        &rules.review_criteria,
        rules.review_score_step,
        false,
    )
    .into_result()?;
    db::write_tx(conn, |c| {
        reviews::save_content(c, id, version, content)?;
        audit::append(c, Change::new(Some(actor), "review.saved", "review", id))
    })
}

/// Submits the review: every score, the overall comment and the recommendation are
/// required; a submitted review is locked.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn submit(conn: &mut DbConn, actor: &Actor, id: i64) -> Result<(), AppError> {
    let rv = find_own(conn, actor, id)?;
    if rv.status == ReviewStatus::Submitted {
        return Err(AppError::conflict("error.review_locked"));
    }
    if rv.status != ReviewStatus::Accepted {
        return Err(AppError::conflict("error.review_wrong_state"));
    }
    let round = crate::db::rounds::find(conn, rv.round_id)?;
    if round.status != RoundStatus::Reviewing {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    let rules = round.rules();
    let rubric = rules.review_criteria;
    let content = rv.content(rubric.len());
    assignment::check_review_content(&content, &rubric, rules.review_score_step, true)
        .into_result()?;
    db::write_tx(conn, |c| {
        reviews::set_submitted(c, id, true)?;
        let total: i32 = content.criteria.iter().filter_map(|s| s.score).sum();
        audit::append(c, Change::new(Some(actor), "review.submitted", "review", id).after(serde_json::json!({"total_tenths": total, "recommendation": content.recommendation})))
    })
}

/// An officer reopens a submitted review, with a reason the reviewer reads.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn reopen(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let rv = reviews::find(conn, id)?;
    let round = super::rounds::find_managed(conn, actor, rv.round_id)?;
    if reason.trim().is_empty() {
        return Err(FieldErrors::single("reason", "field.required"));
    }
    crate::domain::limits::within("reason", reason.trim(), crate::domain::limits::REASON)?;
    if round.status != RoundStatus::Reviewing {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    db::write_tx(conn, |c| {
        reviews::set_submitted(c, id, false)?;
        audit::append(
            c,
            Change::new(Some(actor), "review.reopened", "review", id).reason(reason.trim()),
        )?;
        let u = users::find(c, rv.reviewer_id)?;
        let to = Recipient::new(&u.email, &u.name, &u.locale);
        outbox::enqueue(
            c,
            &mail::review_reopened(
                &to,
                &round.title,
                reason.trim(),
                &format!("{}/reviews/{id}", s.base_url),
                &s.base_url,
            ),
        )
    })
}

/// How long before the review deadline reviewers are reminded.
pub const REMIND_BEFORE_DAYS: i64 = 3;

/// Reminds reviewers of open reviews once before the deadline and once when it has passed;
/// returns how many reminders were queued. A reviewer with several reviews due gets one
/// digest listing them ([`super::reminders::queue`]). One read finds the reminders due and
/// not yet recorded; a write transaction opens only for those. Safe to run from every
/// instance: each reminder key is written once, in the transaction that queues its email.
#[tracing::instrument(skip_all)]
pub fn send_review_reminders(conn: &mut DbConn, s: &Settings) -> Result<usize, AppError> {
    use super::reminders::{Reminder, Who};
    let at = now();
    let due = reviews::open_before(conn, at + chrono::Duration::days(REMIND_BEFORE_DAYS))?
        .into_iter()
        .filter_map(|r| {
            let review_due = r.review_due?;
            let overdue = review_due <= at;
            let kind = if overdue {
                "review_overdue"
            } else {
                "review_due_soon"
            };
            let link = format!("{}/reviews/{}", s.base_url, r.id);
            let due = crate::domain::calendar::format_beijing(review_due);
            let base_url = s.base_url.clone();
            let (round, single_due, single_link) =
                (r.round_title.clone(), due.clone(), link.clone());
            Some(Reminder {
                key: format!("{kind}:{}", r.id),
                to: Who::User(r.reviewer_id),
                bureau_id: r.bureau_id,
                item: mail::DigestItem {
                    what_key: "email.reminder_digest.review",
                    title: format!("{} · {}", r.round_title, r.proposal_title),
                    due,
                    overdue,
                    link,
                },
                single: Box::new(move |to: &Recipient| {
                    mail::review_reminder(to, &round, &single_due, overdue, &single_link, &base_url)
                }),
            })
        })
        .collect();
    super::reminders::queue(conn, s, due)
}
