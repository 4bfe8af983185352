//! Proposals: drafts saved section by section, submission with every rule checked at once,
//! numbering, receipts, withdrawal and attachments.

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::proposals::{self, ProposalRow};
use crate::db::rounds::{self, RoundRow};
use crate::db::{self, now, orgs, outbox, users, DbConn};
use crate::domain::org::{DocKind, Inspection, OrgKind, OrgStatus};
use crate::domain::proposal::{self, OrgFacts, ProposalContent, ProposalStatus};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, Recipient};

/// The proposal and its round, if the actor may read it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ProposalRow, RoundRow), AppError> {
    let p = proposals::find(conn, id)?;
    let r = rounds::find(conn, p.round_id)?;
    // Evaluators read the proposals of the projects they evaluate.
    let evaluator = actor.role == crate::domain::account::Role::Evaluator
        && crate::db::evaluations::evaluates_proposal(conn, actor.id, id)?;
    if !evaluator {
        policy::require(
            actor,
            Action::ViewProposal {
                org: p.org_id,
                bureau: r.bureau_id,
                received: p.received(),
            },
        )?;
    }
    Ok((p, r))
}

/// The proposal and its round, if the actor may edit it now (a draft or a returned one).
pub fn find_editable(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ProposalRow, RoundRow), AppError> {
    let (p, r) = find_visible(conn, actor, id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    if !p.status.editable() {
        return Err(AppError::conflict("error.proposal_frozen"));
    }
    Ok((p, r))
}

/// Starts a draft in an open round for the member's verified organization.
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn start(conn: &mut DbConn, actor: &Actor, round_id: i64) -> Result<i64, AppError> {
    let org_id = actor
        .org_id
        .ok_or_else(|| AppError::conflict("error.no_org"))?;
    policy::require(actor, Action::EditProposal(org_id))?;
    let org = orgs::find(conn, org_id)?;
    if org.kind != OrgKind::Ngo || org.status != OrgStatus::Verified {
        return Err(AppError::conflict("error.org_not_verified"));
    }
    let round = rounds::find(conn, round_id)?;
    if !round.accepting(now()) {
        return Err(AppError::conflict("error.round_not_accepting"));
    }
    db::write_tx(conn, |c| {
        let id = proposals::insert_draft(c, round_id, org_id, actor.id)?;
        audit::append(
            c,
            Change::new(Some(actor), "proposal.started", "proposal", id)
                .after(serde_json::json!({"round_id": round_id, "org_id": org_id})),
        )?;
        Ok(id)
    })
}

/// Saves the whole content (a page saves one section on top of the rest); `version` is the
/// one the editor started from.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    content: &ProposalContent,
) -> Result<(), AppError> {
    let (before, _) = find_editable(conn, actor, id)?;
    check_shape(content)?;
    db::write_tx(conn, |c| {
        proposals::save_content(c, id, version, content)?;
        audit::append(
            c,
            Change::new(Some(actor), "proposal.saved", "proposal", id)
                .before(serde_json::json!({"version": before.version}))
                .after(serde_json::json!({"version": version + 1})),
        )
    })
}

/// What even a draft must respect: numbers that are numbers, text that fits.
fn check_shape(c: &ProposalContent) -> Result<(), AppError> {
    let mut e = FieldErrors::new();
    c.check_amounts(&mut e);
    if c.beneficiaries
        .iter()
        .any(|b| b.unique_people < 0 || b.person_times < 0)
        || c.milestones.iter().any(|m| m.target_beneficiaries < 0)
    {
        e.add("beneficiaries", Msg::new("field.count_negative"));
    }
    crate::domain::proposal::check_lengths(c, &mut e);
    if c.budget.len() > 200 || c.milestones.len() > 100 || c.beneficiaries.len() > 50 {
        e.add("budget", Msg::new("field.too_many_lines"));
    }
    e.into_result()
}

/// Gathers what the eligibility rules need to know about the organization.
#[tracing::instrument(skip_all)]
pub fn org_facts(conn: &mut DbConn, p: &ProposalRow, r: &RoundRow) -> Result<OrgFacts, AppError> {
    let org = orgs::find(conn, p.org_id)?;
    let inspections = orgs::inspections(conn, p.org_id)?
        .into_iter()
        .filter_map(|(y, res)| Inspection::parse(&res).map(|i| (y, i)))
        .collect();
    Ok(OrgFacts {
        status: org.status,
        reg_type: crate::domain::org::RegType::parse(&org.reg_type)
            .unwrap_or(crate::domain::org::RegType::SocialService),
        registered_on: org.registered_on,
        inspections,
        credit_flagged: org.credit_flag_org || org.credit_flag_legal_rep,
        barred: orgs::barred(
            conn,
            p.org_id,
            r.bureau_id,
            crate::domain::round::deadline_date(r.closes_at).unwrap_or_else(crate::db::today),
        )?,
        other_submissions: proposals::count_submitted(conn, r.id, p.org_id, p.id)?,
        has_registration_certificate: proposals::has_org_certificate(conn, p.org_id, p.id)?,
        previous_winner: match rounds::previous_awarded(conn, r.bureau_id, r.id)? {
            Some(prev) => crate::db::projects::funded_orgs(conn, prev)?.contains(&p.org_id),
            None => false,
        },
    })
}

/// Everything that would stop a submission now, field by field.
#[tracing::instrument(skip_all)]
pub fn submission_problems(
    conn: &mut DbConn,
    p: &ProposalRow,
    r: &RoundRow,
) -> Result<FieldErrors, AppError> {
    let facts = org_facts(conn, p, r)?;
    let content = p.content();
    let mut e = FieldErrors::new();
    if p.status == ProposalStatus::Returned {
        if p.return_deadline.is_none_or(|d| now() >= d) {
            e.add("deadline", Msg::new("field.return_deadline_passed"));
        }
    } else {
        proposal::check_deadline(r.status, &r.core(), now(), &mut e);
    }
    proposal::check_org(&facts, &r.core(), &r.rules(), &mut e);
    proposal::check_content(&content, &r.core(), &r.rules(), &mut e);
    Ok(e)
}

/// Submits: checks everything at once, numbers it, freezes it and emails a receipt to the
/// organization's members. Submitting again what is already submitted changes nothing.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn submit(conn: &mut DbConn, s: &Settings, actor: &Actor, id: i64) -> Result<String, AppError> {
    let (p, r) = find_visible(conn, actor, id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    if p.status == ProposalStatus::Submitted {
        return Ok(p.number.unwrap_or_default());
    }
    if !p.status.editable() {
        return Err(AppError::conflict("error.proposal_frozen"));
    }
    submission_problems(conn, &p, &r)?.into_result()?;
    db::write_tx(conn, |c| {
        // Re-read inside the transaction: a double click waits here for the first one.
        let current = proposals::find(c, id)?;
        if current.status == ProposalStatus::Submitted {
            return Ok(current.number.unwrap_or_default());
        }
        if current.version != p.version {
            return Err(AppError::conflict("error.edit_conflict"));
        }
        let number = match &current.number {
            Some(n) => n.clone(),
            None => proposal::number(r.year, proposals::next_number(c, r.year)?),
        };
        proposals::mark_submitted(c, id, &number)?;
        let after = proposals::find(c, id)?;
        let action = if current.status == ProposalStatus::Returned {
            "proposal.resubmitted"
        } else {
            "proposal.submitted"
        };
        audit::append(
            c,
            Change::new(Some(actor), action, "proposal", id)
                .before(current.audit_json())
                .after(after.audit_json()),
        )?;
        let link = format!("{}/proposals/{id}", s.base_url);
        for m in users::members(c, p.org_id)? {
            if m.status == crate::domain::account::UserStatus::Active {
                let to = Recipient::new(&m.email, &m.name, &m.locale);
                outbox::enqueue(
                    c,
                    &mail::proposal_received(
                        &to,
                        &number,
                        &after.title,
                        &r.title,
                        &link,
                        &s.base_url,
                    ),
                )?;
            }
        }
        Ok(number)
    })
}

/// Withdraws a proposal before the award.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn withdraw(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let (p, r) = find_visible(conn, actor, id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    crate::domain::limits::within("reason", reason.trim(), crate::domain::limits::REASON)?;
    if !p.status.withdrawable_in(r.status) {
        return Err(AppError::conflict("error.proposal_not_withdrawable"));
    }
    db::write_tx(conn, |c| {
        proposals::set_status(c, id, ProposalStatus::Withdrawn)?;
        let mut change = Change::new(Some(actor), "proposal.withdrawn", "proposal", id)
            .before(serde_json::json!({"status": p.status}));
        if !reason.trim().is_empty() {
            change = change.reason(reason.trim());
        }
        audit::append(c, change)?;
        super::award::withdrawn_during_notice(c, s, actor, &r, id, reason.trim())
    })
}

/// Attachment kinds a proposal carries.
pub const ATTACHMENT_KINDS: &[DocKind] = &[
    DocKind::RegistrationCertificate,
    DocKind::AnnualInspection,
    DocKind::PriorResults,
    DocKind::Other,
];

#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn upload_attachment(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    kind: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (_, _) = find_editable(conn, actor, id)?;
    let mut e = FieldErrors::new();
    let kind = DocKind::parse(kind).filter(|k| ATTACHMENT_KINDS.contains(k));
    if kind.is_none() {
        e.add("kind", Msg::new("field.choice_invalid"));
    }
    let content_type = super::orgs::sniff_document(bytes);
    if bytes.is_empty() {
        e.add("file", Msg::new("field.file_required"));
    } else if content_type.is_none() {
        e.add("file", Msg::new("field.file_type"));
    }
    e.into_result()?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let aid = proposals::insert_attachment(
            c,
            id,
            kind.expect("checked"),
            &filename,
            content_type.expect("checked"),
            bytes,
            actor.id,
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "proposal.attachment_uploaded", "proposal", id).after(
                serde_json::json!({"attachment_id": aid, "kind": kind, "filename": filename}),
            ),
        )?;
        Ok(aid)
    })
}
