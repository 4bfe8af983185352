//! Change requests (项目变更): the organization files one on an active project (one open per
//! kind), may attach files and withdraw it; the bureau's officer approves it, approves it in
//! part with edited values, or refuses it with a reason. A kind the round does not require
//! approval of (and a budget change within the round's free share) applies when filed.
//!
//! Applying a change stores the next version of the project's plan (`db::changes`), moves the
//! project's end date for an extension, refreshes the project's figures and issues a
//! supplement agreement (补充协议) listing the change — all in the transaction of the filing
//! or the decision, with its audit entry and its emails.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::changes::{self, ChangeRow, NewChange};
use crate::db::documents::DocumentRow;
use crate::db::projects::{self, NewFile, ProjectRow};
use crate::db::{self, DbConn};
use crate::domain::change::{
    self as rules, ChangeKind, ChangeOutcome, ChangeStatus, ChangeValues, History, MilestoneDue,
};
use crate::domain::limits;
use crate::domain::money::Fen;
use crate::domain::outbox::MailKind;
use crate::domain::project::{DocumentKind, ProjectFileKind, ProjectStatus};
use crate::domain::proposal::ProposalContent;
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail::{self, ChangeMail};

/// A milestone's new due date as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MilestoneInput {
    /// Index of the milestone in the plan (as `GET /projects/{id}` lists them).
    pub index: usize,
    /// `YYYY-MM-DD`.
    pub due: String,
}

/// The values of a change as typed; which of them count depends on the kind.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChangeFields {
    /// Extension: the new end date (`YYYY-MM-DD`), blank to keep it.
    pub end_date: String,
    /// Extension: new due dates of milestones (those equal to the plan's are ignored).
    pub milestones: Vec<MilestoneInput>,
    /// Budget: the new amount of every budget line in the plan's order, in yuan.
    pub budget: Vec<String>,
    /// Content: the new activities (项目内容与活动安排).
    pub activities: String,
    /// Leader: the new project leader and phone.
    pub project_lead: String,
    pub project_lead_phone: String,
    /// Targets: every performance target of the plan as it should be (blank rows are
    /// skipped; a target left out is removed).
    pub targets: Vec<crate::domain::target::TargetInput>,
}

/// A change request as filed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChangeInput {
    /// `extension`, `budget`, `content`, `leader` or `targets`.
    #[serde(default)]
    pub kind: String,
    /// Why the change is needed (required).
    #[serde(default)]
    pub reason: String,
    #[serde(flatten)]
    pub fields: ChangeFields,
}

/// The officer's decision.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// `approve`, `partial` (approve the edited values in `fields`) or `refuse`.
    #[serde(default)]
    pub outcome: String,
    /// Required to refuse or to approve in part.
    #[serde(default)]
    pub reason: String,
    /// With `partial`: the values approved (the kind's fields, as when filing).
    #[serde(flatten)]
    pub fields: ChangeFields,
}

fn parse_date(e: &mut FieldErrors, field: &str, s: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field.to_string(), Msg::new("field.date_invalid"));
            None
        }
    }
}

/// Reads the typed values of a change of `kind` against the plan in force.
pub fn parse_values(
    kind: ChangeKind,
    f: &ChangeFields,
    plan: &ProposalContent,
) -> Result<ChangeValues, AppError> {
    let mut e = FieldErrors::new();
    let v = match kind {
        ChangeKind::Extension => {
            let end_date = if f.end_date.trim().is_empty() {
                None
            } else {
                parse_date(&mut e, "end_date", &f.end_date)
            }
            .filter(|d| Some(*d) != plan.end_date);
            let mut milestones = Vec::new();
            if f.milestones.len() > plan.milestones.len().max(1) * 2 {
                e.add("milestones", Msg::new("field.too_many_lines"));
            } else {
                for m in &f.milestones {
                    let field = format!("milestone.{}", m.index);
                    if m.due.trim().is_empty() {
                        continue;
                    }
                    if let Some(due) = parse_date(&mut e, &field, &m.due) {
                        if plan.milestones.get(m.index).is_none_or(|x| x.due != due) {
                            milestones.push(MilestoneDue {
                                index: m.index,
                                due,
                            });
                        }
                    }
                }
            }
            ChangeValues::Extension {
                end_date,
                milestones,
            }
        }
        ChangeKind::Budget => {
            if f.budget.len() != plan.budget.len() {
                e.add("budget", Msg::new("change.budget_lines"));
            }
            let amounts = f
                .budget
                .iter()
                .take(plan.budget.len())
                .enumerate()
                .map(|(i, s)| {
                    Fen::parse_yuan(s).unwrap_or_else(|m| {
                        e.add(format!("budget.{i}"), Msg::new(m.key()));
                        Fen(0)
                    })
                })
                .collect();
            ChangeValues::Budget { amounts }
        }
        ChangeKind::Content => ChangeValues::Content {
            activities: f.activities.trim().to_string(),
        },
        ChangeKind::Leader => ChangeValues::Leader {
            project_lead: f.project_lead.trim().to_string(),
            project_lead_phone: f.project_lead_phone.trim().to_string(),
        },
        ChangeKind::Targets => {
            if f.targets.len() > crate::domain::target::MAX_TARGETS * 2 {
                e.add("targets", Msg::new("field.too_many_lines"));
                ChangeValues::Targets {
                    targets: Vec::new(),
                }
            } else {
                ChangeValues::Targets {
                    targets: crate::domain::target::parse_rows(&f.targets, &mut e),
                }
            }
        }
    };
    e.into_result()?;
    Ok(v)
}

fn require_officer(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    policy::require(actor, Action::ManageRounds(p.bureau_id))
}

fn require_member(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    policy::require(actor, Action::EditProposal(p.org_id))
}

fn require_active(p: &ProjectRow) -> Result<(), AppError> {
    if p.status != ProjectStatus::Active {
        return Err(AppError::conflict("error.project_not_active"));
    }
    Ok(())
}

fn check_reason(e: &mut FieldErrors, field: &str, reason: &str, required: bool) {
    if required && reason.trim().is_empty() {
        e.add(field.to_string(), Msg::new("field.required"));
    } else {
        limits::check(e, field, reason, limits::REASON);
    }
}

/// The round's rules and the project's history, and the change checked against them.
fn checked(
    c: &mut DbConn,
    p: &ProjectRow,
    plan: &ProposalContent,
    v: &ChangeValues,
) -> Result<crate::domain::round::RoundRules, AppError> {
    let round_rules = db::rounds::find(c, p.round_id)?.rules();
    let awarded_end = changes::plan_versions(c, p.id)?
        .first()
        .and_then(|v| v.content.end_date)
        .or(plan.end_date)
        .unwrap_or(p.ends_on);
    let history = History {
        awarded_end,
        extensions: changes::applied_extensions(c, p.id)? as usize,
    };
    rules::check(plan, v, &round_rules, history).into_result()?;
    Ok(round_rules)
}

fn mail_of<'a>(p: &'a ProjectRow, kind: ChangeKind, link: &'a str) -> ChangeMail<'a> {
    ChangeMail {
        agreement_no: &p.agreement_no,
        title: &p.title,
        org: &p.org_name,
        kind,
        link,
    }
}

/// Applies `v` to the plan in force of `p`, in the caller's transaction: the next plan
/// version, the end date, the figures and the supplement agreement.
fn apply(
    c: &mut DbConn,
    p: &ProjectRow,
    change: i64,
    status: ChangeStatus,
    reason: &str,
    decision_reason: &str,
    v: &ChangeValues,
) -> Result<(i32, i32), AppError> {
    let (_, before) = changes::plan(c, p.id)?;
    let after = rules::apply(&before, v);
    let version = changes::add_plan_version(c, p.id, &after, change)?;
    if let (Some(end), ChangeValues::Extension { .. }) = (after.end_date, v) {
        if end != p.ends_on {
            changes::set_end_date(c, p.id, end)?;
        }
    }
    projects::refresh_figures(c, p.id)?;
    let supplement = super::documents::issue_supplement(
        c,
        p,
        &super::documents::SupplementFacts {
            kind: v.kind(),
            status,
            reason,
            decision_reason,
            rows: rules::describe(&before, v),
            plan_version: version,
        },
    )?;
    changes::mark_applied(c, change, v, version, supplement)?;
    Ok((version, supplement))
}

/// The organization files a change request; returns its id. It applies at once when the
/// round does not require approval of it.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn file(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    project_id: i64,
    input: &ChangeInput,
) -> Result<i64, AppError> {
    let (p, plan) = super::execution::load(conn, actor, project_id)?;
    require_member(actor, &p)?;
    require_active(&p)?;
    let mut e = FieldErrors::new();
    let kind = ChangeKind::parse(&input.kind);
    if kind.is_none() {
        e.add("kind", Msg::new("field.choice_invalid"));
    }
    check_reason(&mut e, "reason", &input.reason, true);
    let values = kind.map(|k| parse_values(k, &input.fields, &plan));
    let values = match values {
        Some(Ok(v)) => Some(v),
        Some(Err(AppError::Validation(more))) => {
            e.0.extend(more.0);
            None
        }
        Some(Err(other)) => return Err(other),
        None => None,
    };
    e.into_result()?;
    let (kind, values) = (kind.expect("checked"), values.expect("checked"));
    let reason = input.reason.trim();
    db::write_tx(conn, |c| {
        if changes::open_of_kind(c, p.id, kind)?.is_some() {
            return Err(FieldErrors::single("kind", "change.already_open"));
        }
        let round_rules = checked(c, &p, &plan, &values)?;
        let waits = rules::needs_approval(&plan, &values, &round_rules.changes);
        let status = if waits {
            ChangeStatus::Open
        } else {
            ChangeStatus::Applied
        };
        let id = changes::insert(
            c,
            &NewChange {
                project_id: p.id,
                status,
                reason,
                proposed: &values,
                filed_by: actor.id,
            },
        )?;
        let link = format!("{}/changes/{id}", s.base_url);
        let m = mail_of(&p, kind, &link);
        if waits {
            audit::append(
                c,
                Change::new(Some(actor), "change.filed", "project", p.id).after(
                    serde_json::json!({"change_id": id, "kind": kind, "reason": reason, "values": values}),
                ),
            )?;
            super::email_officers(c, p.bureau_id, |to| {
                mail::change_notice(to, MailKind::ChangeFiled, &m, None, None, &s.base_url)
            })?;
        } else {
            let (version, supplement) = apply(c, &p, id, status, reason, "", &values)?;
            audit::append(
                c,
                Change::new(Some(actor), "change.applied", "project", p.id).after(
                    serde_json::json!({"change_id": id, "kind": kind, "reason": reason, "values": values, "plan_version": version, "supplement_no": supplement}),
                ),
            )?;
            super::email_officers(c, p.bureau_id, |to| {
                mail::change_notice(to, MailKind::ChangeApplied, &m, None, None, &s.base_url)
            })?;
        }
        Ok(id)
    })
}

/// A change request and its project, as the actor may read them.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ChangeRow, ProjectRow, ProposalContent), AppError> {
    let ch = changes::find(conn, id)?;
    let (p, plan) = super::execution::load(conn, actor, ch.project_id)?;
    Ok((ch, p, plan))
}

/// The officer approves (as asked, or in part with edited values) or refuses an open
/// request.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn decide(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    input: &DecisionInput,
) -> Result<(), AppError> {
    let (ch, p, plan) = find_visible(conn, actor, id)?;
    require_officer(actor, &p)?;
    if ch.status != ChangeStatus::Open {
        return Err(AppError::conflict("change.not_open"));
    }
    let mut e = FieldErrors::new();
    let outcome = ChangeOutcome::parse(&input.outcome);
    if outcome.is_none() {
        e.add("outcome", Msg::new("field.choice_invalid"));
    }
    let needs_reason = outcome != Some(ChangeOutcome::Approve);
    check_reason(&mut e, "decision_reason", &input.reason, needs_reason);
    e.into_result()?;
    let outcome = outcome.expect("checked");
    let values = match outcome {
        ChangeOutcome::Partial => Some(parse_values(ch.kind, &input.fields, &plan)?),
        ChangeOutcome::Approve => Some(ch.proposed.0.clone()),
        ChangeOutcome::Refuse => None,
    };
    if values.is_some() {
        require_active(&p)?;
    }
    let reason = input.reason.trim();
    let status = outcome.status();
    db::write_tx(conn, |c| {
        if let Some(v) = &values {
            checked(c, &p, &plan, v)?;
        }
        if !changes::close(
            c,
            id,
            status,
            actor.id,
            Some(reason).filter(|r| !r.is_empty()),
        )? {
            return Err(AppError::conflict("change.not_open"));
        }
        let applied = match &values {
            Some(v) => Some(apply(c, &p, id, status, &ch.reason, reason, v)?),
            None => None,
        };
        audit::append(
            c,
            Change::new(
                Some(actor),
                match outcome {
                    ChangeOutcome::Approve => "change.approved",
                    ChangeOutcome::Partial => "change.partly_approved",
                    ChangeOutcome::Refuse => "change.refused",
                },
                "project",
                p.id,
            )
            .after(serde_json::json!({
                "change_id": id,
                "kind": ch.kind,
                "reason": reason,
                "values": values,
                "plan_version": applied.map(|a| a.0),
                "supplement_no": applied.map(|a| a.1),
            })),
        )?;
        let link = format!("{}/changes/{id}", s.base_url);
        let m = mail_of(&p, ch.kind, &link);
        super::email_org(c, p.org_id, |to| {
            mail::change_notice(
                to,
                MailKind::ChangeDecided,
                &m,
                Some(status),
                Some(reason),
                &s.base_url,
            )
        })
    })
}

/// The organization withdraws its open request.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn withdraw(conn: &mut DbConn, s: &Settings, actor: &Actor, id: i64) -> Result<(), AppError> {
    let (ch, p, _) = find_visible(conn, actor, id)?;
    require_member(actor, &p)?;
    db::write_tx(conn, |c| {
        if !changes::close(c, id, ChangeStatus::Withdrawn, actor.id, None)? {
            return Err(AppError::conflict("change.not_open"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "change.withdrawn", "project", p.id)
                .after(serde_json::json!({"change_id": id, "kind": ch.kind})),
        )?;
        let link = format!("{}/changes/{id}", s.base_url);
        let m = mail_of(&p, ch.kind, &link);
        super::email_officers(c, p.bureau_id, |to| {
            mail::change_notice(to, MailKind::ChangeWithdrawn, &m, None, None, &s.base_url)
        })
    })
}

/// The organization attaches a file (PDF, PNG or JPEG) to its open request.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn attach(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (ch, p, _) = find_visible(conn, actor, id)?;
    require_member(actor, &p)?;
    if ch.status != ChangeStatus::Open && ch.status != ChangeStatus::Applied {
        return Err(AppError::conflict("change.not_open"));
    }
    let content_type = super::execution::check_file(bytes)?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id: p.id,
                report_id: None,
                evaluation_id: None,
                visit_id: None,
                change_id: Some(id),
                kind: ProjectFileKind::ChangeAttachment,
                filename: &filename,
                content_type,
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "change.attachment", "project", p.id)
                .after(serde_json::json!({"change_id": id, "file_id": fid, "filename": filename})),
        )?;
        Ok(fid)
    })
}

/// The supplement agreement of an applied change: (project id, the document version).
pub fn supplement(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(i64, DocumentRow), AppError> {
    let (ch, p, _) = find_visible(conn, actor, id)?;
    let n = ch.supplement_no.ok_or(AppError::NotFound)?;
    let doc = db::documents::at_version(conn, p.id, DocumentKind::Supplement, n)?
        .ok_or(AppError::NotFound)?;
    Ok((p.id, doc))
}
