//! Supervision visits (督导): scheduling, recording against the checklist with findings and
//! photos, the organization's responses and the bureau closing or reopening findings. A
//! required rectification that is not closed holds the project's next tranche
//! (`domain::visit::release_hold`, checked by `ops::execution::record_payment`).

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::projects::{self, NewFile, ProjectRow};
use crate::db::visits::{self, FindingRow, VisitRow};
use crate::db::{self, today, DbConn};
use crate::domain::account::Role;
use crate::domain::outbox::MailKind;
use crate::domain::project::ProjectFileKind;
use crate::domain::visit::{self, FindingMove, RecordInput, VisitStatus};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail;

/// The actor is a supervisor named on a visit of the project.
fn assigned(conn: &mut DbConn, actor: &Actor, project_id: i64) -> Result<bool, AppError> {
    Ok(actor.role == Role::Supervisor && visits::supervises(conn, actor.id, project_id)?)
}

/// Whether `actor` may schedule and record the visits of `p`.
pub fn may_supervise(conn: &mut DbConn, actor: &Actor, p: &ProjectRow) -> Result<bool, AppError> {
    let assigned = assigned(conn, actor, p.id)?;
    Ok(policy::allows(
        actor,
        Action::SuperviseProject {
            bureau: p.bureau_id,
            assigned,
        },
    ))
}

fn require_supervise(conn: &mut DbConn, actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    if may_supervise(conn, actor, p)? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A visit the actor may read, with its project.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_visit(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(VisitRow, ProjectRow), AppError> {
    let v = visits::visit(conn, id)?;
    let p = super::award::find_visible_project(conn, actor, v.project_id)?;
    Ok((v, p))
}

/// A finding the actor may read, with its project.
fn find_finding(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(FindingRow, ProjectRow), AppError> {
    let f = visits::finding(conn, id)?;
    let p = super::award::find_visible_project(conn, actor, f.project_id)?;
    Ok((f, p))
}

fn visit_link(s: &Settings, visit_id: i64) -> String {
    format!("{}/visits/{visit_id}", s.base_url)
}

/// What scheduling a visit sends.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScheduleInput {
    /// `YYYY-MM-DD`, today or later.
    pub scheduled_on: String,
    /// The officer or supervisor of the bureau who visits; the scheduler when absent.
    pub visitor_id: Option<i64>,
}

/// Schedules a visit of a running project: the bureau's officers for anyone of the bureau who
/// visits, an assigned supervisor for themself. The visitor and the organization are emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn schedule(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    project_id: i64,
    input: &ScheduleInput,
) -> Result<i64, AppError> {
    let p = super::award::find_visible_project(conn, actor, project_id)?;
    require_supervise(conn, actor, &p)?;
    if !p.status.running() {
        return Err(AppError::conflict("visit.project_ended"));
    }
    let mut e = FieldErrors::new();
    let on = NaiveDate::parse_from_str(input.scheduled_on.trim(), "%Y-%m-%d").ok();
    match on {
        None => e.add("scheduled_on", Msg::new("field.date_invalid")),
        Some(d) if d < today() => e.add("scheduled_on", Msg::new("visit.scheduled_in_past")),
        Some(_) => {}
    }
    let visitor_id = input.visitor_id.unwrap_or(actor.id);
    let visitors = visits::visitors(conn, p.bureau_id)?;
    let visitor = visitors.iter().find(|(id, _, _)| *id == visitor_id);
    if visitor.is_none() || (actor.role == Role::Supervisor && visitor_id != actor.id) {
        e.add("visitor_id", Msg::new("visit.visitor_invalid"));
    }
    e.into_result()?;
    let on = on.expect("checked");
    db::write_tx(conn, |c| {
        let id = visits::insert_visit(c, project_id, visitor_id, on, actor.id)?;
        audit::append(
            c,
            Change::new(Some(actor), "visit.scheduled", "project", project_id).after(
                serde_json::json!({"visit_id": id, "visitor_id": visitor_id, "scheduled_on": on}),
            ),
        )?;
        let args = [
            ("agreement_no", p.agreement_no.clone()),
            ("title", p.title.clone()),
            ("date", on.to_string()),
        ];
        let link = visit_link(s, id);
        let make = |to: &mail::Recipient| {
            mail::visit_notice(to, MailKind::VisitScheduled, &args, &link, &s.base_url)
                .for_bureau(p.bureau_id)
        };
        super::email_org(c, p.org_id, make)?;
        if visitor_id != actor.id {
            super::email_user(c, visitor_id, make)?;
        }
        Ok(id)
    })
}

/// Records a scheduled visit: the checklist, the rating and the findings, each of which may
/// require rectification by a Beijing working day. The organization is emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, visit_id))]
pub fn record(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    visit_id: i64,
    input: &RecordInput,
) -> Result<(), AppError> {
    let (v, p) = find_visit(conn, actor, visit_id)?;
    require_supervise(conn, actor, &p)?;
    if v.status != VisitStatus::Scheduled {
        return Err(AppError::conflict("visit.already_recorded"));
    }
    let cal = db::calendar::load(conn)?;
    let r = visit::check_record(input, today(), &cal).map_err(AppError::Validation)?;
    db::write_tx(conn, |c| {
        if !visits::record(c, visit_id, &r, actor.id)? {
            return Err(AppError::conflict("visit.already_recorded"));
        }
        let mut ids = Vec::new();
        for (i, f) in r.findings.iter().enumerate() {
            let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
            ids.push(visits::insert_finding(
                c,
                visit_id,
                p.id,
                seq,
                &f.text,
                f.rectify_by,
            )?);
        }
        let required = r.findings.iter().filter(|f| f.rectify_by.is_some()).count();
        audit::append(
            c,
            Change::new(Some(actor), "visit.recorded", "project", p.id).after(serde_json::json!({
                "visit_id": visit_id,
                "visited_on": r.visited_on,
                "rating": r.rating.as_str(),
                "checklist": r.checklist,
                "findings": ids,
                "rectifications": required,
            })),
        )?;
        let args = [
            ("agreement_no", p.agreement_no.clone()),
            ("date", r.visited_on.to_string()),
            ("findings", r.findings.len().to_string()),
            ("rectifications", required.to_string()),
        ];
        let link = visit_link(s, visit_id);
        super::email_org(c, p.org_id, |to| {
            mail::visit_notice(to, MailKind::VisitRecorded, &args, &link, &s.base_url)
                .for_bureau(p.bureau_id)
        })
    })
}

/// A file's content type, if it is a photo (PNG or JPEG) within the photo limit.
fn check_photo(bytes: &[u8]) -> Result<&'static str, AppError> {
    let mut e = FieldErrors::new();
    let content_type = super::orgs::sniff_document(bytes).filter(|t| t.starts_with("image/"));
    if bytes.is_empty() {
        e.add("file", Msg::new("field.file_required"));
    } else if bytes.len() > visit::PHOTO_MAX_BYTES {
        e.add(
            "file",
            Msg::new("field.file_too_large").arg("max_mb", visit::PHOTO_MAX_BYTES / (1024 * 1024)),
        );
    } else if content_type.is_none() {
        e.add("file", Msg::new("visit.photo_type"));
    }
    e.into_result()?;
    Ok(content_type.expect("checked"))
}

/// Adds a photo (PNG or JPEG, at most [`visit::PHOTO_MAX_BYTES`]) to a visit.
#[tracing::instrument(skip_all, fields(user = actor.id, visit_id))]
pub fn upload_photo(
    conn: &mut DbConn,
    actor: &Actor,
    visit_id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (_, p) = find_visit(conn, actor, visit_id)?;
    require_supervise(conn, actor, &p)?;
    let content_type = check_photo(bytes)?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        if visits::photo_count(c, visit_id)? >= visit::MAX_PHOTOS as i64 {
            return Err(FieldErrors::single("file", "visit.too_many_photos"));
        }
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id: p.id,
                report_id: None,
                evaluation_id: None,
                visit_id: Some(visit_id),
                change_id: None,
                kind: ProjectFileKind::VisitPhoto,
                filename: &filename,
                content_type,
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "visit.photo_uploaded", "project", p.id).after(
                serde_json::json!({"visit_id": visit_id, "file_id": fid, "filename": filename}),
            ),
        )?;
        Ok(fid)
    })
}

fn check_text(field: &str, text: &str, required: bool) -> Result<String, AppError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(FieldErrors::single(field, "field.required"));
    }
    crate::domain::limits::within(field, t, visit::FINDING_TEXT)?;
    Ok(t.to_string())
}

/// The organization responds to a finding (again, until the bureau closes it); the bureau's
/// officers are emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, finding_id))]
pub fn respond(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    finding_id: i64,
    response: &str,
) -> Result<(), AppError> {
    let (f, p) = find_finding(conn, actor, finding_id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    FindingMove::Respond
        .apply(f.status)
        .map_err(AppError::Conflict)?;
    let response = check_text("response", response, true)?;
    db::write_tx(conn, |c| {
        if !visits::respond(c, finding_id, f.status, &response, None, actor.id)? {
            return Err(AppError::conflict("visit.finding_moved"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "finding.responded", "project", p.id).after(
                serde_json::json!({"finding_id": finding_id, "visit_id": f.visit_id, "response": response}),
            ),
        )?;
        let args = [
            ("agreement_no", p.agreement_no.clone()),
            ("org", p.org_name.clone()),
            ("seq", f.seq.to_string()),
        ];
        let link = visit_link(s, f.visit_id);
        super::email_officers(c, p.bureau_id, |to| {
            mail::visit_notice(to, MailKind::FindingResponded, &args, &link, &s.base_url)
                .for_bureau(p.bureau_id)
        })
    })
}

/// The organization attaches a file (PDF, PNG or JPEG) to its response to a finding that is
/// not closed; the latest file is the response's.
#[tracing::instrument(skip_all, fields(user = actor.id, finding_id))]
pub fn attach_response_file(
    conn: &mut DbConn,
    actor: &Actor,
    finding_id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (f, p) = find_finding(conn, actor, finding_id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    FindingMove::Respond
        .apply(f.status)
        .map_err(AppError::Conflict)?;
    let content_type = super::execution::check_file(bytes)?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id: p.id,
                report_id: None,
                evaluation_id: None,
                visit_id: Some(f.visit_id),
                change_id: None,
                kind: ProjectFileKind::FindingResponse,
                filename: &filename,
                content_type,
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        if !visits::set_response_file(c, finding_id, f.status, fid)? {
            return Err(AppError::conflict("visit.finding_moved"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "finding.file_attached", "project", p.id).after(
                serde_json::json!({"finding_id": finding_id, "file_id": fid, "filename": filename}),
            ),
        )?;
        Ok(fid)
    })
}

/// The bureau's officer closes a finding (its rectification is done: the tranche it held
/// may be released) or reopens a closed one (a note is then required). The organization is
/// emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, finding_id))]
pub fn close_or_reopen(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    finding_id: i64,
    close: bool,
    note: &str,
) -> Result<(), AppError> {
    let (f, p) = find_finding(conn, actor, finding_id)?;
    policy::require(actor, Action::ManageRounds(p.bureau_id))?;
    let step = if close {
        FindingMove::Close
    } else {
        FindingMove::Reopen
    };
    let to = step.apply(f.status).map_err(AppError::Conflict)?;
    let note = check_text("note", note, !close)?;
    db::write_tx(conn, |c| {
        let kept = (!note.is_empty()).then_some(note.as_str());
        if !visits::set_closed(c, finding_id, f.status, to, kept, actor.id)? {
            return Err(AppError::conflict("visit.finding_moved"));
        }
        let action = if close {
            "finding.closed"
        } else {
            "finding.reopened"
        };
        let mut change = Change::new(Some(actor), action, "project", p.id)
            .after(serde_json::json!({"finding_id": finding_id, "visit_id": f.visit_id}));
        if let Some(n) = kept {
            change = change.reason(n);
        }
        audit::append(c, change)?;
        let kind = if close {
            MailKind::FindingClosed
        } else {
            MailKind::FindingReopened
        };
        let args = [
            ("agreement_no", p.agreement_no.clone()),
            ("seq", f.seq.to_string()),
            ("note", note.clone()),
        ];
        let link = visit_link(s, f.visit_id);
        super::email_org(c, p.org_id, |to| {
            mail::visit_notice(to, kind, &args, &link, &s.base_url).for_bureau(p.bureau_id)
        })
    })
}

/// Why the project's next tranche cannot be released now, if it cannot: a required
/// rectification the bureau has not closed.
pub fn tranche_hold(c: &mut DbConn, project_id: i64) -> Result<Option<Msg>, AppError> {
    let facts: Vec<_> = visits::findings_of(c, project_id)?
        .iter()
        .map(FindingRow::facts)
        .collect();
    Ok(visit::release_hold(&facts))
}
