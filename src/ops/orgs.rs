//! Organizations: registration, edits, verification, code acceptance, credit flags,
//! documents.

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::orgs::{self, NewDocument, OrgRow};
use crate::db::{self, outbox, users, DbConn};
use crate::domain::account::Role;
use crate::domain::org::{self, DocKind, OrgInput, OrgKind, OrgStatus};
use crate::error::{AppError, FieldErrors};
use crate::mail::{self, Recipient};

fn org_link(s: &Settings, id: i64) -> String {
    format!("{}/orgs/{id}", s.base_url)
}

/// Tells every active officer that a registration waits for verification.
fn notify_officers(c: &mut DbConn, s: &Settings, org: &OrgRow) -> Result<(), AppError> {
    for officer in users::active_with_role(c, Role::Officer)? {
        let to = Recipient::new(&officer.email, &officer.name, &officer.locale);
        outbox::enqueue(
            c,
            &mail::org_submitted(&to, &org.name, &org_link(s, org.id), &s.base_url),
        )?;
    }
    Ok(())
}

fn notify_members(
    c: &mut DbConn,
    org: &OrgRow,
    make: impl Fn(&Recipient) -> mail::Outgoing,
) -> Result<(), AppError> {
    for m in users::members(c, org.id)? {
        if m.status == crate::domain::account::UserStatus::Active {
            outbox::enqueue(c, &make(&Recipient::new(&m.email, &m.name, &m.locale)))?;
        }
    }
    Ok(())
}

/// Registers an organization. An NGO member registers their own (awaiting verification);
/// staff register evaluation agencies, verified at once.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn register(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    kind: OrgKind,
    input: &OrgInput,
) -> Result<i64, AppError> {
    policy::require(actor, Action::RegisterOrg(kind))?;
    let valid = org::validate(kind, input, crate::db::today()).map_err(AppError::Validation)?;
    db::write_tx(conn, |c| {
        let id = orgs::insert(c, kind, &valid)?;
        if kind == OrgKind::Ngo {
            users::set_org(c, actor.id, id)?;
        } else {
            orgs::set_status(c, id, OrgStatus::Verified, None)?;
        }
        let row = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.registered", "organization", id).after(row.audit_json()),
        )?;
        if row.status == OrgStatus::Pending {
            notify_officers(c, s, &row)?;
        }
        Ok(id)
    })
}

/// Saves an edit; `version` is the one the editor started from. An NGO's edit goes back to
/// the officers for verification.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn update(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    version: i32,
    input: &OrgInput,
) -> Result<(), AppError> {
    let before = orgs::find(conn, id)?;
    policy::require(actor, Action::EditOrg(before.as_ref()))?;
    let valid =
        org::validate(before.kind, input, crate::db::today()).map_err(AppError::Validation)?;
    db::write_tx(conn, |c| {
        let keep = before
            .uscc_override_by
            .filter(|_| before.uscc == valid.uscc);
        orgs::update(c, id, version, &valid, keep)?;
        if before.kind == OrgKind::Agency {
            orgs::set_status(c, id, OrgStatus::Verified, None)?;
        }
        let after = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.updated", "organization", id)
                .before(before.audit_json())
                .after(after.audit_json()),
        )?;
        if after.status == OrgStatus::Pending {
            notify_officers(c, s, &after)?;
        }
        Ok(())
    })
}

/// An officer verifies a registration awaiting verification.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn verify(conn: &mut DbConn, s: &Settings, actor: &Actor, id: i64) -> Result<(), AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    let before = orgs::find(conn, id)?;
    if before.status != OrgStatus::Pending {
        return Err(AppError::conflict("error.org_not_pending"));
    }
    if before.uscc_needs_override() {
        return Err(AppError::conflict("error.uscc_needs_override"));
    }
    db::write_tx(conn, |c| {
        orgs::set_status(c, id, OrgStatus::Verified, None)?;
        let after = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.verified", "organization", id)
                .before(before.audit_json())
                .after(after.audit_json()),
        )?;
        notify_members(c, &after, |to| {
            mail::org_verified(to, &after.name, &org_link(s, id), &s.base_url)
        })
    })
}

fn required_text(field: &str, text: &str, max: usize) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldErrors::single(field, "field.required"));
    }
    crate::domain::limits::within(field, t, max)?;
    Ok(t.to_string())
}

/// An officer rejects a registration, with a reason the NGO reads.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn reject(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    let reason = required_text("reason", reason, crate::domain::limits::REASON)?;
    let before = orgs::find(conn, id)?;
    if before.status != OrgStatus::Pending {
        return Err(AppError::conflict("error.org_not_pending"));
    }
    db::write_tx(conn, |c| {
        orgs::set_status(c, id, OrgStatus::Rejected, Some(&reason))?;
        let after = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.rejected", "organization", id)
                .reason(&reason)
                .before(before.audit_json())
                .after(after.audit_json()),
        )?;
        notify_members(c, &after, |to| {
            mail::org_rejected(to, &after.name, &reason, &org_link(s, id), &s.base_url)
        })
    })
}

/// An officer accepts a code that fails the check character after seeing the certificate.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn accept_uscc(conn: &mut DbConn, actor: &Actor, id: i64, note: &str) -> Result<(), AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    let note = required_text("note", note, crate::domain::limits::REASON)?;
    let before = orgs::find(conn, id)?;
    if !before.uscc_needs_override() {
        return Err(AppError::conflict("error.uscc_no_override_needed"));
    }
    db::write_tx(conn, |c| {
        orgs::accept_uscc(c, id, actor.id)?;
        let after = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.uscc_accepted", "organization", id)
                .reason(&note)
                .before(before.audit_json())
                .after(after.audit_json()),
        )
    })
}

/// Sets or clears the bad-credit flags (on the organization, on its legal representative).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn set_credit(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    org_flag: bool,
    rep_flag: bool,
    note: &str,
) -> Result<(), AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    let note = note.trim();
    if (org_flag || rep_flag) && note.is_empty() {
        return Err(FieldErrors::single("note", "field.credit_note_required"));
    }
    crate::domain::limits::within("note", note, crate::domain::limits::REASON)?;
    let before = orgs::find(conn, id)?;
    db::write_tx(conn, |c| {
        orgs::set_credit(c, id, org_flag, rep_flag, note)?;
        let after = orgs::find(c, id)?;
        audit::append(
            c,
            Change::new(Some(actor), "org.credit_flags_set", "organization", id)
                .reason(note)
                .before(before.audit_json())
                .after(after.audit_json()),
        )
    })
}

/// An officer bars an organization from the bureau's rounds until a date, with a reason.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn bar(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    until: Option<chrono::NaiveDate>,
    reason: &str,
) -> Result<(), AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(bureau))?;
    let mut e = FieldErrors::new();
    match until {
        None => e.add("until", crate::i18n::Msg::new("field.required")),
        Some(d) if d <= crate::db::today() => {
            e.add("until", crate::i18n::Msg::new("field.date_past"))
        }
        _ => {}
    }
    if reason.trim().is_empty() {
        e.add("bar_reason", crate::i18n::Msg::new("field.required"));
    }
    crate::domain::limits::check(&mut e, "bar_reason", reason, crate::domain::limits::REASON);
    e.into_result()?;
    let until = until.expect("checked");
    let org = orgs::find(conn, id)?;
    let bureau_name = crate::db::rounds::bureau_name(conn, bureau)?;
    db::write_tx(conn, |c| {
        let bar = orgs::insert_bar(c, id, bureau, until, reason.trim(), Some(actor.id))?;
        audit::append(
            c,
            Change::new(Some(actor), "org.barred", "organization", id)
                .reason(reason.trim())
                .after(serde_json::json!({"bar_id": bar, "bureau_id": bureau, "until": until})),
        )?;
        notify_members(c, &org, |to| {
            mail::org_barred(
                to,
                &org.name,
                &bureau_name,
                &until.to_string(),
                reason.trim(),
                &org_link(s, id),
                &s.base_url,
            )
        })
    })
}

/// Document kinds an organization keeps on file.
pub const DOCUMENT_KINDS: &[DocKind] = &[
    DocKind::RegistrationCertificate,
    DocKind::AnnualInspection,
    DocKind::GradeCertificate,
    DocKind::Other,
];

/// The content types accepted, decided by the bytes, not the file name.
pub fn sniff_document(bytes: &[u8]) -> Option<&'static str> {
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some("application/pdf") => Some("application/pdf"),
        Some("image/png") => Some("image/png"),
        Some("image/jpeg") => Some("image/jpeg"),
        _ => None,
    }
}

/// The last path segment of an uploaded file's name, without control characters.
pub fn clean_filename(filename: &str) -> String {
    let name: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.trim().is_empty() {
        "document".to_string()
    } else {
        name
    }
}

#[tracing::instrument(skip_all, fields(user = actor.id, org_id))]
pub fn upload_document(
    conn: &mut DbConn,
    actor: &Actor,
    org_id: i64,
    kind: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let org = orgs::find(conn, org_id)?;
    policy::require(actor, Action::EditOrg(org.as_ref()))?;
    let mut e = FieldErrors::new();
    let kind = DocKind::parse(kind).filter(|k| DOCUMENT_KINDS.contains(k));
    if kind.is_none() {
        e.add("kind", crate::i18n::Msg::new("field.choice_invalid"));
    }
    let content_type = sniff_document(bytes);
    if bytes.is_empty() {
        e.add("file", crate::i18n::Msg::new("field.file_required"));
    } else if content_type.is_none() {
        e.add("file", crate::i18n::Msg::new("field.file_type"));
    }
    e.into_result()?;
    let filename = clean_filename(filename);
    db::write_tx(conn, |c| {
        let id = orgs::insert_document(
            c,
            &NewDocument {
                org_id,
                kind: kind.expect("checked"),
                filename: &filename,
                content_type: content_type.expect("checked"),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "org.document_uploaded", "organization", org_id)
                .after(serde_json::json!({"document_id": id, "kind": kind, "filename": filename, "size": bytes.len()})),
        )?;
        Ok(id)
    })
}
