//! From the ranking to the award (DESIGN §2.4): closing the review, the officer's
//! adjustments (核减, moving the line, category budgets), the public notice (公示) with its
//! objections (异议), and finalising into projects.

use chrono::NaiveDateTime;

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::awards::{self, AwardRow, Entry, NewAward, NewObjection, Notice, ObjectionRow};
use crate::db::projects::NewProject;
use crate::db::rounds::{self, RoundRow};
use crate::db::{self, calendar, now, outbox, proposals, reviews, throttle, DbConn};
use crate::domain::account::Role;
use crate::domain::award::{self, AwardState, ListedLine, ObjectionInput, ObjectionStatus};
use crate::domain::calendar::add_working_days;
use crate::domain::limits;
use crate::domain::money::{split_tranches, Fen};
use crate::domain::proposal::ProposalStatus;
use crate::domain::review::LineOverride;
use crate::domain::round::RoundStatus;
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

use crate::queries::decision;

fn managed_in(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
    status: RoundStatus,
) -> Result<RoundRow, AppError> {
    let round = super::rounds::find_managed(conn, actor, round_id)?;
    if round.status != status {
        return Err(AppError::conflict("error.round_wrong_state"));
    }
    Ok(round)
}

/// Ends the review: every eligible proposal must have at least one submitted review.
/// Reviews still open are no longer accepted; the scores are final for the decision.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn close_review(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<(), AppError> {
    managed_in(conn, actor, round_id, RoundStatus::Reviewing)?;
    let view = decision::compute(conn, actor, round_id)?;
    if view.awaiting_reviews > 0 {
        return Err(AppError::Conflict(
            Msg::new("error.reviews_missing").arg("count", view.awaiting_reviews),
        ));
    }
    if view.rows.is_empty() {
        return Err(AppError::conflict("error.nothing_ranked"));
    }
    db::write_tx(conn, |c| {
        rounds::transition(c, round_id, RoundStatus::Reviewing, RoundStatus::Deciding)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.review_closed", "round", round_id)
                .after(serde_json::json!({"ranked": view.rows.len()})),
        )
    })
}

/// The officer's adjustment of one proposal, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    /// 核减: the reduced grant in yuan; blank for the requested amount.
    #[serde(default)]
    pub reduced: String,
    #[serde(default)]
    pub reduce_reason: String,
    /// Blank, `forced_in` or `forced_out`.
    #[serde(default)]
    pub line_override: String,
    #[serde(default)]
    pub override_reason: String,
}

fn check_entry(i: &EntryInput, proposal_id: i64, requested: Fen) -> Result<Entry, AppError> {
    let mut e = FieldErrors::new();
    let mut out = Entry {
        proposal_id,
        ..Entry::default()
    };
    if !i.reduced.trim().is_empty() {
        match Fen::parse_yuan(&i.reduced) {
            Ok(f) if f.0 > 0 && f < requested => out.reduced_fen = Some(f.0),
            Ok(_) => e.add(
                "reduced",
                Msg::new("decision.reduce_range").arg("requested", requested),
            ),
            Err(m) => e.add("reduced", Msg::new(m.key())),
        }
        if i.reduce_reason.trim().is_empty() {
            e.add("reduce_reason", Msg::new("decision.reason_required"));
        }
        limits::check(&mut e, "reduce_reason", &i.reduce_reason, limits::REASON);
        out.reduce_reason = Some(i.reduce_reason.trim().to_string());
    }
    match i.line_override.trim() {
        "" => {}
        o if LineOverride::parse(o).is_some() => {
            out.line_override = LineOverride::parse(o);
            if i.override_reason.trim().is_empty() {
                e.add("override_reason", Msg::new("decision.reason_required"));
            }
            limits::check(
                &mut e,
                "override_reason",
                &i.override_reason,
                limits::REASON,
            );
            out.override_reason = Some(i.override_reason.trim().to_string());
        }
        _ => e.add("line_override", Msg::new("field.choice_invalid")),
    }
    e.into_result()?;
    Ok(out)
}

fn entry_json(e: &Option<Entry>) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

/// Reduces a proposal's grant (核减) or moves it across the line, each with a written
/// reason; an empty input puts it back as ranked.
#[tracing::instrument(skip_all, fields(user = actor.id, proposal_id))]
pub fn save_entry(
    conn: &mut DbConn,
    actor: &Actor,
    proposal_id: i64,
    input: &EntryInput,
) -> Result<(), AppError> {
    let p = proposals::find(conn, proposal_id)?;
    let round = managed_in(conn, actor, p.round_id, RoundStatus::Deciding)?;
    if p.status != ProposalStatus::Eligible {
        return Err(AppError::conflict("error.not_ranked"));
    }
    let entry = check_entry(input, proposal_id, Fen(p.requested_grant_fen))?;
    db::write_tx(conn, |c| {
        let before = awards::entry(c, proposal_id)?;
        awards::save_entry(c, round.id, &entry, actor.id)?;
        let after = awards::entry(c, proposal_id)?;
        let reasons: Vec<&str> = [&entry.reduce_reason, &entry.override_reason]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut change = Change::new(Some(actor), "decision.adjusted", "proposal", proposal_id)
            .before(entry_json(&before))
            .after(entry_json(&after));
        let joined = reasons.join("；");
        if !joined.is_empty() {
            change = change.reason(&joined);
        }
        audit::append(c, change)
    })
}

/// Sets the budgets of categories (yuan; blank: no budget of its own).
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn set_category_budgets(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
    input: &[(String, String)],
) -> Result<(), AppError> {
    let round = managed_in(conn, actor, round_id, RoundStatus::Deciding)?;
    let rules = round.rules();
    let mut e = FieldErrors::new();
    let mut budgets: Vec<(String, i64)> = Vec::new();
    for (i, (cat, yuan)) in input.iter().enumerate() {
        if yuan.trim().is_empty() {
            continue;
        }
        let field = format!("budget.{i}");
        if !rules.categories.contains(cat) {
            e.add(field, Msg::new("field.choice_invalid"));
            continue;
        }
        match Fen::parse_yuan(yuan) {
            Ok(f) if f.0 > round.total_budget_fen => e.add(
                field,
                Msg::new("decision.category_over_total").arg("total", Fen(round.total_budget_fen)),
            ),
            Ok(f) if f.0 < 0 => e.add(field, Msg::new("field.money_negative")),
            Ok(f) => {
                if budgets.iter().any(|(c, _)| c == cat) {
                    e.add(field, Msg::new("field.round_duplicate_line"));
                } else {
                    budgets.push((cat.clone(), f.0));
                }
            }
            Err(m) => e.add(field, Msg::new(m.key())),
        }
    }
    e.into_result()?;
    db::write_tx(conn, |c| {
        let before = awards::category_budgets(c, round_id)?;
        awards::replace_category_budgets(c, round_id, &budgets)?;
        audit::append(
            c,
            Change::new(Some(actor), "decision.category_budgets", "round", round_id)
                .before(serde_json::json!(before))
                .after(serde_json::json!(budgets)),
        )
    })
}

/// A published (or scheduled) notice: when it opens to the public and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC; `working_days` working days after the start (holiday calendar included).
    pub ends_at: NaiveDateTime,
    /// Waits for `starts_at` (定时发布): not public, no objections, no emails until the
    /// worker opens it.
    pub scheduled: bool,
}

/// Publishes the funding line for public notice: the ranking is frozen as published and the
/// notice runs for the round's number of working days (holiday calendar included), counted
/// from its start. With `starts_at` (定时发布) the list is frozen now and stays the
/// officers' until then: the worker opens it ([`open_due_notices`]) and mails the
/// organizations on it; until it opens the officer may take it back
/// ([`cancel_scheduled_notice`]).
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn publish_notice(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    round_id: i64,
    starts_at: Option<NaiveDateTime>,
) -> Result<Published, AppError> {
    let round = managed_in(conn, actor, round_id, RoundStatus::Deciding)?;
    let cal = calendar::load(conn)?;
    let at = now();
    if let Some(t) = starts_at {
        if let Err(m) = award::check_notice_start(t, at, &cal) {
            let mut e = FieldErrors::new();
            e.add("starts_at", m);
            return Err(AppError::Validation(e));
        }
    }
    let view = decision::compute(conn, actor, round_id)?;
    if !view.problems.is_empty() {
        return Err(AppError::Conflict(
            Msg::new("error.line_problems").arg("count", view.problems.len()),
        ));
    }
    if !view.rows.iter().any(|r| r.line == AwardState::Funded) {
        return Err(AppError::conflict("error.nothing_funded"));
    }
    let days = round.rules().notice_working_days.max(1);
    let starts = starts_at.unwrap_or(at);
    let ends = add_working_days(starts, days as u32, &cal);
    let scheduled = starts_at.is_some();
    db::write_tx(conn, |c| {
        rounds::transition(c, round_id, RoundStatus::Deciding, RoundStatus::Notice)?;
        awards::insert_notice(
            c,
            round_id,
            starts,
            ends,
            days,
            actor.id,
            (!scheduled).then_some(at),
        )?;
        for r in &view.rows {
            awards::insert_award(
                c,
                round_id,
                &NewAward {
                    proposal_id: r.proposal_id,
                    rank: r.rank as i32,
                    final_tenths: r.final_tenths,
                    requested_fen: r.requested_fen,
                    amount_fen: r.amount_fen,
                    reduce_reason: r.reduce_reason.as_deref(),
                    partial_of_fen: r.partial_of_fen,
                    state: if r.line == AwardState::Waitlisted
                        && (r.line_override == Some(LineOverride::ForcedOut)
                            || (r.renewal_track
                                == Some(crate::domain::evaluation::Renewal::FastTrack)
                                && r.line_override != Some(LineOverride::ForcedIn)))
                    {
                        AwardState::Excluded
                    } else {
                        r.line
                    },
                },
            )?;
        }
        audit::append(
            c,
            Change::new(
                Some(actor),
                if scheduled {
                    "round.notice_scheduled"
                } else {
                    "round.notice_published"
                },
                "round",
                round_id,
            )
            .after(serde_json::json!({
                "starts_at": starts,
                "ends_at": ends,
                "working_days": days,
                "funded": view.rows.iter().filter(|r| r.line == AwardState::Funded).count(),
                "used_fen": view.used_fen,
                "funding_rule": view.funding_rule,
            })),
        )?;
        if !scheduled {
            mail_listed(c, s, &round, ends)?;
        }
        Ok(Published {
            starts_at: starts,
            ends_at: ends,
            scheduled,
        })
    })
}

/// Tells the organizations funded on a round's list that it is on public notice until `ends`.
fn mail_listed(
    c: &mut DbConn,
    s: &Settings,
    round: &RoundRow,
    ends: NaiveDateTime,
) -> Result<(), AppError> {
    let ends_text = crate::domain::calendar::format_deadline(ends);
    let link = format!("{}/notices/{}", s.base_url, round.id);
    for row in awards::awards(c, round.id)? {
        if row.state != AwardState::Funded {
            continue;
        }
        let number = row.number.clone().unwrap_or_default();
        super::email_org(c, row.org_id, |to| {
            mail::proposal_on_notice(
                to,
                &number,
                &row.title,
                &Fen(row.amount_fen).to_string(),
                &ends_text,
                &link,
                &s.base_url,
            )
            .for_bureau(round.bureau_id)
        })?;
    }
    Ok(())
}

/// Opens the scheduled notices whose start has come (the worker, every pass): each becomes
/// public, is audited as `round.notice_opened` and mails the organizations on its list, in
/// one transaction. Two instances never open one twice: the opening is a conditional update.
#[tracing::instrument(skip_all)]
pub fn open_due_notices(conn: &mut DbConn, s: &Settings) -> Result<usize, AppError> {
    let at = now();
    let mut opened = 0;
    for round_id in awards::due_to_open(conn, at)? {
        let done = db::write_tx(conn, |c| {
            if !awards::mark_opened(c, round_id, at)? {
                return Ok(false);
            }
            let round = rounds::find(c, round_id)?;
            let notice = awards::notice(c, round_id)?.ok_or(AppError::NotFound)?;
            audit::append(
                c,
                Change::new(None, "round.notice_opened", "round", round_id).after(
                    serde_json::json!({
                        "starts_at": notice.starts_at,
                        "ends_at": notice.ends_at,
                    }),
                ),
            )?;
            mail_listed(c, s, &round, notice.ends_at)?;
            Ok(true)
        })?;
        opened += usize::from(done);
    }
    Ok(opened)
}

/// Takes back a scheduled notice before it opens: the frozen list is dropped and the round
/// returns to the decision, where the officer may change the line and publish again.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn cancel_scheduled_notice(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
) -> Result<(), AppError> {
    managed_in(conn, actor, round_id, RoundStatus::Notice)?;
    let notice = awards::notice(conn, round_id)?.ok_or(AppError::NotFound)?;
    if notice.is_open_to_public() {
        return Err(AppError::conflict("error.notice_already_open"));
    }
    db::write_tx(conn, |c| {
        if !awards::delete_scheduled(c, round_id)? {
            return Err(AppError::conflict("error.notice_already_open"));
        }
        rounds::transition(c, round_id, RoundStatus::Notice, RoundStatus::Deciding)?;
        audit::append(
            c,
            Change::new(Some(actor), "round.notice_unscheduled", "round", round_id).before(
                serde_json::json!({
                    "starts_at": notice.starts_at,
                    "ends_at": notice.ends_at,
                }),
            ),
        )
    })
}

/// The proposals anyone may object to now (none once the round has left the notice).
fn objection_targets(notice: &Notice, round: &RoundRow, list: &[AwardRow]) -> Vec<i64> {
    if round.status != RoundStatus::Notice || !notice.is_open_to_public() {
        return vec![];
    }
    award::objection_targets(
        notice.ends_at,
        now(),
        list.iter()
            .map(|a| (a.proposal_id, a.state, a.supplement_ends_at)),
    )
}

/// A filed objection and the raw token of its confirmation link (only ever mailed).
#[derive(Debug, Clone)]
pub struct FiledObjection {
    pub id: i64,
    pub token: String,
}

/// Anyone files an objection against a proposal on the list while the notice runs. It counts
/// (reaches the officers, holds up the award) only once its author confirms it from the link
/// emailed to the address given, within [`award::OBJECTION_CONFIRM_HOURS`]. Filing is limited
/// per client address and per email address.
#[tracing::instrument(skip_all, fields(round_id))]
pub fn file_objection(
    conn: &mut DbConn,
    s: &Settings,
    round_id: i64,
    input: &ObjectionInput,
    lang: &str,
    client: &str,
) -> Result<FiledObjection, AppError> {
    let round = rounds::find(conn, round_id)?;
    let Some(notice) = awards::notice(conn, round_id)? else {
        return Err(AppError::conflict("error.notice_closed"));
    };
    let list = awards::awards(conn, round_id)?;
    let listed = objection_targets(&notice, &round, &list);
    if listed.is_empty() {
        return Err(AppError::conflict("error.notice_closed"));
    }
    let v = award::check_objection(input, &listed).map_err(AppError::Validation)?;
    let number = list
        .iter()
        .find(|a| a.proposal_id == v.proposal_id)
        .and_then(|a| a.number.clone())
        .unwrap_or_default();
    db::write_tx(conn, |c| {
        throttle::hit_all(
            c,
            &[
                (
                    format!("objection:client:{client}"),
                    s.objection_limit_per_client,
                ),
                (
                    format!("objection:email:{}", award::normalized_email(&v.email)),
                    s.objection_limit_per_email,
                ),
            ],
            now(),
            s.rate_window(),
        )?;
        let token = crate::auth::random_token();
        let id = awards::insert_objection(
            c,
            &NewObjection {
                round_id,
                proposal_id: v.proposal_id,
                name: &v.name,
                email: &v.email,
                phone: &v.phone,
                reason: &v.reason,
                confirm_token_hash: &crate::auth::hash_token(&token),
            },
        )?;
        let link = format!("{}/objections/confirm?token={token}", s.base_url);
        let to = Recipient::new(&v.email, &v.name, lang);
        outbox::enqueue(
            c,
            &mail::objection_confirm(&to, &number, &round.title, &link, &s.base_url),
        )?;
        Ok(FiledObjection { id, token })
    })
}

/// The author confirms an objection from the emailed link: from now on it holds up the award,
/// the officers hear of it and its author gets a receipt. An unknown, used or expired token
/// is a 400; attempts are limited per client address.
#[tracing::instrument(skip_all)]
pub fn confirm_objection(
    conn: &mut DbConn,
    s: &Settings,
    token: &str,
    lang: &str,
    client: &str,
) -> Result<ObjectionRow, AppError> {
    throttle::hit(
        conn,
        &format!("objection_confirm:client:{client}"),
        now(),
        s.objection_confirm_limit_per_client,
        s.rate_window(),
    )?;
    let filed_after = now() - chrono::Duration::hours(award::OBJECTION_CONFIRM_HOURS);
    let o =
        awards::unconfirmed_by_token(conn, &crate::auth::hash_token(token.trim()), filed_after)?
            .ok_or_else(|| AppError::bad_request("error.token_invalid"))?;
    let round = rounds::find(conn, o.round_id)?;
    if round.status != RoundStatus::Notice {
        return Err(AppError::conflict("error.notice_closed"));
    }
    let number = proposals::find(conn, o.proposal_id)?
        .number
        .unwrap_or_default();
    db::write_tx(conn, |c| {
        if !awards::confirm_objection(c, o.id)? {
            return Err(AppError::bad_request("error.token_invalid"));
        }
        audit::append(
            c,
            Change::new(None, "objection.filed", "objection", o.id).after(serde_json::json!({
                "round_id": o.round_id,
                "proposal_id": o.proposal_id,
                "name": o.name,
            })),
        )?;
        let public = format!("{}/notices/{}", s.base_url, o.round_id);
        let to = Recipient::new(&o.email, &o.name, lang);
        outbox::enqueue(
            c,
            &mail::objection_received(&to, &number, &round.title, &public, &s.base_url),
        )?;
        let link = format!("{}/rounds/{}/notice", s.base_url, o.round_id);
        super::email_officers(c, round.bureau_id, |to| {
            mail::objection_filed(to, &number, &round.title, &link, &s.base_url)
        })?;
        awards::objection(c, o.id)
    })
}

/// Deletes objections never confirmed within [`award::OBJECTION_CONFIRM_HOURS`] (worker).
#[tracing::instrument(skip_all)]
pub fn purge_unconfirmed_objections(conn: &mut DbConn) -> Result<usize, AppError> {
    let before = now() - chrono::Duration::hours(award::OBJECTION_CONFIRM_HOURS);
    db::write_tx(conn, |c| awards::purge_unconfirmed_objections(c, before))
}

/// A confirmed objection with the duplicates the officer should read together: the same
/// (normalized) email, or the same proposal with the same reason.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ObjectionItem {
    #[serde(flatten)]
    pub row: ObjectionRow,
    /// The id of the first objection of its group of duplicates (its own id when alone).
    pub group: i64,
    /// How many objections the group holds (1 when there is no duplicate).
    pub group_size: i64,
}

/// The confirmed objections of a round for its officers, duplicates side by side (ordered by
/// group, then by filing).
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn objections_for_officer(
    conn: &mut DbConn,
    actor: &Actor,
    round_id: i64,
) -> Result<Vec<ObjectionItem>, AppError> {
    super::rounds::find_managed(conn, actor, round_id)?;
    Ok(group_objections(awards::objections(conn, round_id)?))
}

/// Pairs each objection with its group of duplicates, ordered by group, then by id.
pub fn group_objections(rows: Vec<ObjectionRow>) -> Vec<ObjectionItem> {
    let keys: Vec<award::ObjectionKey> = rows
        .iter()
        .map(|o| award::ObjectionKey {
            id: o.id,
            proposal_id: o.proposal_id,
            email: &o.email,
            reason: &o.reason,
        })
        .collect();
    let groups = award::duplicate_groups(&keys);
    let mut items: Vec<ObjectionItem> = rows
        .into_iter()
        .zip(groups)
        .map(|(row, (group, size))| ObjectionItem {
            row,
            group,
            group_size: size as i64,
        })
        .collect();
    items.sort_by_key(|i| (i.group, i.row.id));
    items
}

/// Takes a funded proposal off the list and lets the waitlist in by the round's funding rule
/// (a grant funded in part grows first, see [`award::fill_from_waitlist`]); emails both
/// sides. With a supplementary notice (补充公示) set, the newcomers go on a notice of their own
/// for that many working days, and the award waits for it. Inside a transaction.
fn remove_and_fill(
    c: &mut DbConn,
    s: &Settings,
    actor: Option<&Actor>,
    round: &RoundRow,
    proposal_id: i64,
    why: &str,
) -> Result<Vec<i64>, AppError> {
    if !awards::set_award_state(
        c,
        proposal_id,
        AwardState::Funded,
        AwardState::Removed,
        false,
    )? {
        return Ok(vec![]);
    }
    audit::append(
        c,
        Change::new(actor, "award.removed", "proposal", proposal_id).reason(why),
    )?;
    let rules = round.rules();
    let list = awards::awards(c, round.id)?;
    let lines: Vec<ListedLine> = list
        .iter()
        .map(|a| ListedLine {
            proposal_id: a.proposal_id,
            state: a.state,
            amount: Fen(a.amount_fen),
            category: a.category.clone(),
            partial_of: a.partial_of_fen.map(Fen),
        })
        .collect();
    let budgets: Vec<(String, Fen)> = awards::category_budgets(c, round.id)?
        .into_iter()
        .map(|(k, b)| (k, Fen(b)))
        .collect();
    let changes = award::fill_from_waitlist(
        &lines,
        Fen(round.total_budget_fen),
        &budgets,
        rules.funding_rule,
        Fen(round.min_grant_fen),
    );
    let incoming: Vec<i64> = changes
        .iter()
        .filter(|r| r.incoming)
        .map(|r| r.proposal_id)
        .collect();
    let supplement = if rules.supplementary_notice_days > 0 && !incoming.is_empty() {
        let days = rules.supplementary_notice_days;
        let starts = now();
        let ends = add_working_days(starts, days as u32, &calendar::load(c)?);
        audit::append(
            c,
            Change::new(actor, "award.supplementary_notice", "round", round.id).after(
                serde_json::json!({
                    "proposals": incoming,
                    "starts_at": starts,
                    "ends_at": ends,
                    "working_days": days,
                }),
            ),
        )?;
        Some((starts, ends))
    } else {
        None
    };
    let link = |id: i64| format!("{}/proposals/{id}", s.base_url);
    if let Some(gone) = list.iter().find(|a| a.proposal_id == proposal_id) {
        let number = gone.number.clone().unwrap_or_default();
        super::email_org(c, gone.org_id, |to| {
            mail::award_changed(
                to,
                &number,
                &gone.title,
                true,
                why,
                &link(proposal_id),
                &s.base_url,
            )
        })?;
    }
    for r in &changes {
        let a = list
            .iter()
            .find(|a| a.proposal_id == r.proposal_id)
            .expect("filled from the list");
        let partial_of = r.partial_of.map(|f| f.0);
        awards::set_award_amount(c, r.proposal_id, r.amount.0, partial_of)?;
        if !r.incoming {
            audit::append(
                c,
                Change::new(actor, "award.topped_up", "proposal", r.proposal_id)
                    .before(serde_json::json!({"amount_fen": a.amount_fen}))
                    .after(serde_json::json!({
                        "amount_fen": r.amount.0,
                        "partial_of_fen": partial_of,
                        "replaces": proposal_id,
                    })),
            )?;
            let number = a.number.clone().unwrap_or_default();
            super::email_org(c, a.org_id, |to| {
                mail::award_increased(
                    to,
                    &number,
                    &a.title,
                    &r.amount.to_string(),
                    &link(r.proposal_id),
                    &s.base_url,
                )
                .for_bureau(round.bureau_id)
            })?;
            continue;
        }
        awards::set_award_state(
            c,
            r.proposal_id,
            AwardState::Waitlisted,
            AwardState::Funded,
            true,
        )?;
        audit::append(
            c,
            Change::new(actor, "award.substituted", "proposal", r.proposal_id).after(
                serde_json::json!({
                    "replaces": proposal_id,
                    "amount_fen": r.amount.0,
                    "partial_of_fen": partial_of,
                }),
            ),
        )?;
        let number = a.number.clone().unwrap_or_default();
        let amount = r.amount.to_string();
        match supplement {
            Some((starts, ends)) => {
                awards::set_supplement(c, r.proposal_id, starts, ends)?;
                let ends_text = crate::domain::calendar::format_deadline(ends);
                let notice_link = format!("{}/notices/{}", s.base_url, round.id);
                super::email_org(c, a.org_id, |to| {
                    mail::supplementary_notice(
                        to,
                        &number,
                        &a.title,
                        &amount,
                        &ends_text,
                        &notice_link,
                        &s.base_url,
                    )
                    .for_bureau(round.bureau_id)
                })?;
            }
            None => super::email_org(c, a.org_id, |to| {
                mail::award_changed(
                    to,
                    &number,
                    &a.title,
                    false,
                    &amount,
                    &link(r.proposal_id),
                    &s.base_url,
                )
            })?,
        }
    }
    Ok(incoming)
}

/// A funded proposal withdrawn during the notice leaves the list like an upheld objection.
#[tracing::instrument(skip_all, fields(user = actor.id, proposal_id))]
pub fn withdrawn_during_notice(
    c: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    round: &RoundRow,
    proposal_id: i64,
    why: &str,
) -> Result<(), AppError> {
    if round.status == RoundStatus::Notice {
        remove_and_fill(c, s, Some(actor), round, proposal_id, why)?;
    }
    Ok(())
}

/// The officer's answer to an objection.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub upheld: bool,
    pub response: String,
}

/// Answers an objection (upheld or rejected) with a response emailed to the objector. An
/// upheld objection takes the proposal off the list and lets the waitlist in.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn answer_objection(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    input: &AnswerInput,
) -> Result<(), AppError> {
    let o = awards::objection(conn, id)?;
    let round = managed_in(conn, actor, o.round_id, RoundStatus::Notice)?;
    if o.status != ObjectionStatus::Open {
        return Err(AppError::conflict("error.objection_answered"));
    }
    let response = input.response.trim();
    if response.is_empty() {
        return Err(FieldErrors::single("response", "field.required"));
    }
    limits::within("response", response, limits::REASON)?;
    let status = if input.upheld {
        ObjectionStatus::Upheld
    } else {
        ObjectionStatus::Rejected
    };
    db::write_tx(conn, |c| {
        if !awards::answer_objection(c, id, status.as_str(), response, actor.id)? {
            return Err(AppError::conflict("error.objection_answered"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "objection.answered", "objection", id)
                .reason(response)
                .after(serde_json::json!({"status": status.as_str()})),
        )?;
        let number = proposals::find(c, o.proposal_id)?
            .number
            .unwrap_or_default();
        let to = Recipient::new(&o.email, &o.name, "zh-CN");
        outbox::enqueue(
            c,
            &mail::objection_answered(
                &to,
                &number,
                input.upheld,
                response,
                &format!("{}/notices/{}", s.base_url, round.id),
                &s.base_url,
            ),
        )?;
        if input.upheld {
            remove_and_fill(c, s, Some(actor), &round, o.proposal_id, response)?;
        }
        Ok(())
    })
}

/// Ends the notice: a project per funded proposal, with its agreement number and tranche
/// schedule, and an email to every ranked applicant. Not while the notice runs or an
/// objection is open.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn finalise(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    round_id: i64,
) -> Result<Vec<i64>, AppError> {
    let round = managed_in(conn, actor, round_id, RoundStatus::Notice)?;
    let notice = awards::notice(conn, round_id)?.ok_or(AppError::NotFound)?;
    if !notice.is_open_to_public() {
        return Err(AppError::conflict("error.notice_not_open"));
    }
    if now() < notice.ends_at {
        return Err(AppError::Conflict(Msg::new("error.notice_running").arg(
            "ends",
            crate::domain::calendar::format_deadline(notice.ends_at),
        )));
    }
    let supplements = awards::supplemented(conn, round_id, Some(&[AwardState::Funded]))?;
    let ends = award::notices_end(
        notice.ends_at,
        supplements.iter().map(|a| (a.state, a.supplement_ends_at)),
    );
    if now() < ends {
        return Err(AppError::Conflict(
            Msg::new("error.supplementary_notice_running")
                .arg("ends", crate::domain::calendar::format_deadline(ends)),
        ));
    }
    let open = awards::count_open_objections(conn, round_id)?;
    if open > 0 {
        return Err(AppError::Conflict(
            Msg::new("error.objections_open").arg("count", open),
        ));
    }
    let rules = round.rules();
    let shares: Vec<i64> = rules.tranches.iter().map(|t| t.share_bp).collect();
    let today = db::today();
    let sign_by = award::signing_deadline(now(), &calendar::load(conn)?);
    db::write_tx(conn, |c| {
        rounds::transition(c, round_id, RoundStatus::Notice, RoundStatus::Awarded)?;
        awards::mark_finalised(c, round_id)?;
        let bureau = rounds::bureau_name(c, round.bureau_id)?;
        let list = awards::awards(c, round_id)?;
        let total = list.len();
        let mut created = Vec::new();
        for a in &list {
            let number = a.number.clone().unwrap_or_default();
            if a.state != AwardState::Funded {
                let comments = reviews::anonymous_comments(c, a.proposal_id)?;
                let outcome = match a.state {
                    AwardState::Waitlisted => "email.not_awarded.outcome_waitlisted",
                    AwardState::Removed => "email.not_awarded.outcome_removed",
                    AwardState::Excluded => "email.not_awarded.outcome_excluded",
                    AwardState::NotFundable | AwardState::Funded => {
                        "email.not_awarded.outcome_not_fundable"
                    }
                };
                let link = format!("{}/proposals/{}", s.base_url, a.proposal_id);
                super::email_org(c, a.org_id, |to| {
                    mail::not_awarded(
                        to,
                        &number,
                        &a.title,
                        &crate::domain::review::tenths_text(a.final_tenths),
                        &format!("{}/{total}", a.rank),
                        outcome,
                        &comments,
                        &link,
                        &s.base_url,
                    )
                    .for_bureau(round.bureau_id)
                })?;
                continue;
            }
            let p = proposals::find(c, a.proposal_id)?;
            let content = p.content();
            let (starts_on, ends_on) = award::project_period(
                content.start_date,
                content.end_date,
                today,
                rules.project_months,
            );
            let agreement_no = award::agreement_number(
                round.year,
                crate::db::projects::next_agreement_seq(c, round.year)?,
            );
            let project_id = crate::db::projects::insert_project(
                c,
                &NewProject {
                    round_id,
                    proposal_id: a.proposal_id,
                    org_id: a.org_id,
                    agreement_no: &agreement_no,
                    title: &a.title,
                    category: &a.category,
                    grant_fen: a.amount_fen,
                    starts_on,
                    ends_on,
                },
            )?;
            for (i, (rule, amount)) in rules
                .tranches
                .iter()
                .zip(split_tranches(Fen(a.amount_fen), &shares))
                .enumerate()
            {
                crate::db::projects::insert_tranche(
                    c,
                    project_id,
                    i as i32 + 1,
                    rule.share_bp,
                    rule.condition.as_str(),
                    amount.0,
                )?;
            }
            super::documents::issue_award_documents(
                c,
                project_id,
                a,
                &bureau,
                round.year,
                &s.base_url,
            )?;
            audit::append(
                c,
                Change::new(Some(actor), "project.created", "project", project_id).after(
                    serde_json::json!({
                        "proposal_id": a.proposal_id,
                        "agreement_no": agreement_no,
                        "grant_fen": a.amount_fen,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                    }),
                ),
            )?;
            let base = format!("{}/projects/{project_id}", s.base_url);
            super::email_org(c, a.org_id, |to| {
                mail::awarded(
                    to,
                    &number,
                    &a.title,
                    &agreement_no,
                    &Fen(a.amount_fen).to_string(),
                    &format!("{base}/award-notice.pdf"),
                    &format!("{base}/agreement.pdf"),
                    sign_by,
                    &base,
                    &s.base_url,
                )
                .for_bureau(round.bureau_id)
            })?;
            created.push(project_id);
        }
        audit::append(
            c,
            Change::new(Some(actor), "round.awarded", "round", round_id)
                .after(serde_json::json!({"projects": created.len(), "ranked": total})),
        )?;
        Ok(created)
    })
}

/// A project, if the actor may read it: its org's members, its bureau's officers, the
/// evaluators assigned to it, and admins read-only. Every read by an admin is recorded in
/// the audit log (`project.viewed_by_admin`), so an admin's look is never silent.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_visible_project(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<crate::db::projects::ProjectRow, AppError> {
    let p = crate::db::projects::project(conn, id)?;
    let allowed = policy::allows(
        actor,
        Action::ViewProject {
            org: p.org_id,
            bureau: p.bureau_id,
        },
    ) || (actor.role == Role::Evaluator
        && crate::db::evaluations::evaluates_project(conn, actor.id, id)?)
        || (actor.role == Role::Supervisor && crate::ops::visits::may_supervise(conn, actor, &p)?);
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if actor.role == Role::Admin {
        db::write_tx(conn, |c| {
            audit::append(
                c,
                Change::new(Some(actor), "project.viewed_by_admin", "project", id),
            )
        })?;
    }
    Ok(p)
}
