//! Project execution (DESIGN §2.5): the signed agreement, tranches and payments, milestone
//! and monthly reports with their evidence, the officer's review of reports, and reminders.

use chrono::{Datelike, Duration, NaiveDate};
use sha2::{Digest, Sha256};

use crate::auth::policy::{self, Action, Actor};
use crate::config::Settings;
use crate::db::audit::{self, Change};
use crate::db::projects::{self, NewFile, NewPayment, NewReport, ProjectRow, ReportRow};
use crate::db::{self, today, DbConn};
use crate::domain::limits;
use crate::domain::money::Fen;
use crate::domain::project::ProjectFileKind;
use crate::domain::proposal::ProposalContent;
use crate::domain::report::{
    self, ReportContent, ReportFrame, ReportKind, ReportStatus, TrancheFacts, TrancheStatus,
};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::mail;

/// A project the actor may read, with its plan in force (the proposal's content as changed
/// by the applied change requests: milestones and budget).
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn load(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ProjectRow, ProposalContent), AppError> {
    let p = super::award::find_visible_project(conn, actor, id)?;
    let (_, content) = db::changes::plan(conn, p.id)?;
    Ok((p, content))
}

fn require_officer(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    policy::require(actor, Action::ManageRounds(p.bureau_id))
}

fn require_member(actor: &Actor, p: &ProjectRow) -> Result<(), AppError> {
    policy::require(actor, Action::EditProposal(p.org_id))
}

fn require_active(p: &ProjectRow) -> Result<(), AppError> {
    if p.status != crate::domain::project::ProjectStatus::Active {
        return Err(AppError::conflict("error.project_not_active"));
    }
    Ok(())
}

/// An uploaded file, checked by its content (PDF, PNG or JPEG).
pub(crate) fn check_file(bytes: &[u8]) -> Result<&'static str, AppError> {
    let mut e = FieldErrors::new();
    let content_type = super::orgs::sniff_document(bytes);
    if bytes.is_empty() {
        e.add("file", Msg::new("field.file_required"));
    } else if content_type.is_none() {
        e.add("file", Msg::new("field.file_type"));
    }
    e.into_result()?;
    Ok(content_type.expect("checked"))
}

/// What the tranche conditions know of a project today: the signed agreement and the
/// accepted evaluations that passed.
fn tranche_facts(c: &mut DbConn, project_id: i64) -> Result<TrancheFacts, AppError> {
    use crate::db::evaluations::accepted_of;
    use crate::domain::evaluation::{Consequence, Stage};
    let all = crate::db::evaluations::for_project(c, project_id)?;
    let passed = |stage, consequence: Consequence| {
        accepted_of(&all, stage)
            .is_some_and(|e| e.consequence.as_deref() == Some(consequence.as_str()))
    };
    Ok(TrancheFacts {
        agreement_signed: projects::agreement_signed_at(c, project_id)?.is_some(),
        midterm_passed: passed(Stage::Midterm, Consequence::ReleaseMidterm),
        final_passed: passed(Stage::Final, Consequence::Complete),
    })
}

/// Makes every pending (or withheld) tranche whose condition now holds releasable; returns
/// their numbers.
#[tracing::instrument(skip_all, fields(project_id))]
pub fn refresh_tranches(c: &mut DbConn, project_id: i64) -> Result<Vec<i32>, AppError> {
    let facts = tranche_facts(c, project_id)?;
    let mut released = Vec::new();
    for t in projects::tranches(c, project_id)? {
        let cond = t.condition;
        let waiting = [
            TrancheStatus::Pending.as_str(),
            TrancheStatus::Withheld.as_str(),
        ];
        if waiting.contains(&t.status.as_str())
            && report::condition_holds(cond, facts)
            && projects::set_tranche_status(
                c,
                t.id,
                t.status.as_str(),
                TrancheStatus::Releasable.as_str(),
            )?
        {
            audit::append(
                c,
                Change::new(None, "tranche.releasable", "project", project_id)
                    .after(serde_json::json!({"tranche": t.seq, "amount_fen": t.amount_fen})),
            )?;
            released.push(t.seq);
        }
    }
    Ok(released)
}

/// The officer records the signed agreement (its scan): the first tranche becomes
/// releasable.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn record_agreement(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    project_id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (p, _) = load(conn, actor, project_id)?;
    require_officer(actor, &p)?;
    require_active(&p)?;
    let content_type = check_file(bytes)?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id,
                report_id: None,
                evaluation_id: None,
                visit_id: None,
                change_id: None,
                kind: ProjectFileKind::SignedAgreement,
                filename: &filename,
                content_type,
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        let first = projects::agreement_signed_at(c, project_id)?.is_none();
        if first {
            projects::mark_agreement_signed(c, project_id)?;
        }
        audit::append(
            c,
            Change::new(
                Some(actor),
                "project.agreement_signed",
                "project",
                project_id,
            )
            .after(serde_json::json!({"file_id": fid, "filename": filename})),
        )?;
        let released = refresh_tranches(c, project_id)?;
        if first {
            let link = format!("{}/projects/{project_id}", s.base_url);
            super::email_org(c, p.org_id, |to| {
                mail::agreement_recorded(
                    to,
                    &p.agreement_no,
                    &p.title,
                    released.len(),
                    &link,
                    &s.base_url,
                )
            })?;
        }
        Ok(fid)
    })
}

/// A payment as typed by the officer.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PaymentInput {
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// The voucher number (凭证号).
    pub voucher_no: String,
    /// Yuan, e.g. `25000` or `2.5万`.
    pub amount: String,
}

/// Records a payment on a releasable tranche; the tranche is paid when its whole amount is.
#[tracing::instrument(skip_all, fields(user = actor.id, tranche_id))]
pub fn record_payment(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    tranche_id: i64,
    input: &PaymentInput,
) -> Result<i64, AppError> {
    let (project_id, t) = projects::tranche(conn, tranche_id)?;
    let (p, _) = load(conn, actor, project_id)?;
    require_officer(actor, &p)?;
    let mut e = FieldErrors::new();
    let paid_on = NaiveDate::parse_from_str(input.paid_on.trim(), "%Y-%m-%d").ok();
    match paid_on {
        None => e.add("paid_on", Msg::new("field.date_invalid")),
        Some(d) if d > today() => e.add("paid_on", Msg::new("tranche.paid_in_future")),
        Some(_) => {}
    }
    let voucher = input.voucher_no.trim();
    if voucher.is_empty() {
        e.add("voucher_no", Msg::new("field.required"));
    } else {
        limits::check(&mut e, "voucher_no", voucher, limits::VOUCHER_NO);
    }
    let amount = match Fen::parse_yuan(&input.amount) {
        Ok(f) => Some(f),
        Err(m) => {
            e.add("amount", Msg::new(m.key()));
            None
        }
    };
    e.into_result()?;
    let (paid_on, amount) = (paid_on.expect("checked"), amount.expect("checked"));
    db::write_tx(conn, |c| {
        // An open required rectification of a visit (督导整改) holds the next tranche.
        if let Some(reason) = super::visits::tranche_hold(c, project_id)? {
            return Err(AppError::Conflict(reason));
        }
        let (_, t) = projects::tranche(c, tranche_id)?;
        let payments = projects::payments(c, project_id)?;
        let on_tranche: Fen = payments
            .iter()
            .filter(|x| x.tranche_id == tranche_id)
            .map(|x| Fen(x.amount_fen))
            .sum();
        let on_project: Fen = payments.iter().map(|x| Fen(x.amount_fen)).sum();
        report::check_payment(
            t.status,
            amount,
            Fen(t.amount_fen),
            on_tranche,
            Fen(p.grant_fen),
            on_project,
        )
        .map_err(|problem| {
            let field = match problem {
                report::PaymentProblem::NotReleasable => None,
                _ => Some("amount"),
            };
            match field {
                Some(f) => {
                    let mut e = FieldErrors::new();
                    e.add(f, problem.msg());
                    AppError::Validation(e)
                }
                None => AppError::Conflict(problem.msg()),
            }
        })?;
        let pid = projects::insert_payment(
            c,
            &NewPayment {
                project_id,
                tranche_id,
                paid_on,
                voucher_no: voucher,
                amount_fen: amount.0,
                recorded_by: actor.id,
            },
        )?;
        let fully = on_tranche.saturating_add(amount) == Fen(t.amount_fen);
        if fully {
            projects::set_tranche_status(
                c,
                tranche_id,
                TrancheStatus::Releasable.as_str(),
                TrancheStatus::Paid.as_str(),
            )?;
        }
        audit::append(
            c,
            Change::new(Some(actor), "tranche.payment", "project", project_id).after(
                serde_json::json!({"tranche": t.seq, "amount_fen": amount.0, "voucher_no": voucher, "paid_on": paid_on, "fully_paid": fully}),
            ),
        )?;
        let link = format!("{}/projects/{project_id}", s.base_url);
        super::email_org(c, p.org_id, |to| {
            mail::payment_recorded(
                to,
                &p.agreement_no,
                t.seq,
                &amount.to_string(),
                &paid_on.to_string(),
                &link,
                &s.base_url,
            )
        })?;
        // The certificate of a completed project states what was paid: re-issue it.
        if p.status == crate::domain::project::ProjectStatus::Completed {
            super::documents::issue_certificate(c, project_id, &s.base_url)?;
        }
        Ok(pid)
    })
    .inspect(|_| {
        let _ = &t;
    })
}

// ---------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------

/// Which report to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportTarget {
    /// The milestone of the plan with this index (in the plan's order by date).
    Milestone(usize),
    /// The month (year, month).
    Month(i32, u32),
}

/// The plan's milestones in date order: (index in the proposal, due date, title, target).
pub fn milestones(content: &ProposalContent) -> Vec<(usize, NaiveDate, String, i64)> {
    let mut m: Vec<(usize, NaiveDate, String, i64)> = content
        .milestones
        .iter()
        .enumerate()
        .map(|(i, m)| (i, m.due, m.title.clone(), m.target_beneficiaries))
        .collect();
    m.sort_by_key(|x| (x.1, x.0));
    m
}

/// A monthly report is due this many days after the month ends.
pub const MONTHLY_DUE_DAYS: i64 = 10;

/// The period and due date of a report, inside the project's period.
pub fn report_period(
    p: &ProjectRow,
    content: &ProposalContent,
    target: ReportTarget,
) -> Result<(ReportKind, Option<i32>, NaiveDate, NaiveDate, NaiveDate), AppError> {
    let clamp = |d: NaiveDate| d.clamp(p.starts_on, p.ends_on);
    match target {
        ReportTarget::Milestone(i) => {
            let plan = milestones(content);
            let pos = plan
                .iter()
                .position(|m| m.0 == i)
                .ok_or(AppError::NotFound)?;
            let start = if pos == 0 {
                p.starts_on
            } else {
                plan[pos - 1].1.succ_opt().unwrap_or(plan[pos - 1].1)
            };
            let end = plan[pos].1;
            Ok((
                ReportKind::Milestone,
                Some(i as i32),
                clamp(start),
                clamp(end),
                end,
            ))
        }
        ReportTarget::Month(y, m) => {
            let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or(AppError::NotFound)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            }
            .ok_or(AppError::NotFound)?;
            let last = next.pred_opt().unwrap_or(first);
            if last < p.starts_on || first > p.ends_on {
                return Err(AppError::Conflict(
                    Msg::new("report.outside_project")
                        .arg("start", p.starts_on)
                        .arg("end", p.ends_on),
                ));
            }
            Ok((
                ReportKind::Monthly,
                None,
                clamp(first),
                clamp(last),
                last + Duration::days(MONTHLY_DUE_DAYS),
            ))
        }
    }
}

/// The filed reports just before and just after a period's end.
fn neighbours(
    all: &[ReportRow],
    id: i64,
    end: NaiveDate,
) -> (Option<ReportContent>, Option<ReportContent>) {
    let filed = all.iter().filter(|r| r.id != id && r.status.filed());
    let prev = filed
        .clone()
        .filter(|r| r.period_end <= end)
        .max_by_key(|r| (r.period_end, r.id))
        .map(ReportRow::content);
    let next = filed
        .filter(|r| r.period_end > end)
        .min_by_key(|r| (r.period_end, r.id))
        .map(ReportRow::content);
    (prev, next)
}

/// Starts (or returns the existing) report of a milestone or a month, pre-filled with the
/// cumulative figures of the last filed report.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn start_report(
    conn: &mut DbConn,
    actor: &Actor,
    project_id: i64,
    target: ReportTarget,
) -> Result<i64, AppError> {
    let (p, content) = load(conn, actor, project_id)?;
    require_member(actor, &p)?;
    require_active(&p)?;
    let (kind, milestone, start, end, due) = report_period(&p, &content, target)?;
    db::write_tx(conn, |c| {
        let all = projects::reports(c, project_id)?;
        if let Some(r) = all.iter().find(|r| r.kind == kind && r.period_end == end) {
            return Ok(r.id);
        }
        let (prev, _) = neighbours(&all, 0, end);
        let prev_id = all
            .iter()
            .filter(|r| r.status.filed() && r.period_end <= end)
            .max_by_key(|r| (r.period_end, r.id))
            .map(|r| r.id);
        let mut carried = prev.unwrap_or_default();
        carried.narrative = String::new();
        let id = projects::insert_report(
            c,
            &NewReport {
                project_id,
                kind: kind.as_str(),
                milestone_index: milestone,
                period_start: start,
                period_end: end,
                due_on: due,
                content: &carried,
                created_by: actor.id,
            },
        )?;
        if let Some(from) = prev_id {
            super::rosters::carry_over(c, project_id, from, id)?;
        }
        audit::append(
            c,
            Change::new(Some(actor), "report.started", "report", id)
                .after(serde_json::json!({"project_id": project_id, "kind": kind.as_str(), "period_end": end})),
        )?;
        Ok(id)
    })
}

/// A report the actor may read, with its project and plan.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn find_report(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ReportRow, ProjectRow, ProposalContent), AppError> {
    let r = projects::report(conn, id)?;
    let (p, content) = load(conn, actor, r.project_id)?;
    Ok((r, p, content))
}

pub(crate) fn find_editable(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(ReportRow, ProjectRow, ProposalContent), AppError> {
    let (r, p, content) = find_report(conn, actor, id)?;
    require_member(actor, &p)?;
    require_active(&p)?;
    if !r.status.editable() {
        return Err(AppError::conflict("error.report_frozen"));
    }
    Ok((r, p, content))
}

/// Saves a draft (or a returned report); checked in full only on submission.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn save_report(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    content: &ReportContent,
) -> Result<i32, AppError> {
    let (_, _, plan) = find_editable(conn, actor, id)?;
    let mut e = FieldErrors::new();
    limits::check(
        &mut e,
        "narrative",
        &content.narrative,
        limits::REPORT_NARRATIVE,
    );
    if content.beneficiaries.len() > 20 || content.spending.len() > plan.budget.len().max(1) * 2 {
        e.add("spending", Msg::new("field.too_many_lines"));
    }
    for (i, line) in content.spending.iter().enumerate() {
        crate::domain::money::check_field(&mut e, &format!("spending.{i}"), line.spent);
    }
    crate::domain::target::check_values(&content.target_values, &plan.targets, &mut e);
    e.into_result()?;
    db::write_tx(conn, |c| {
        if !projects::save_report(c, id, version, content)? {
            return Err(AppError::conflict("error.edit_conflict"));
        }
        // Like every other draft, so that the data version moves (kept pages follow it).
        audit::append(c, Change::new(Some(actor), "report.saved", "report", id))?;
        Ok(version + 1)
    })
}

/// Problems that would stop the report's submission now, field by field.
#[tracing::instrument(skip_all)]
pub fn submission_problems(
    conn: &mut DbConn,
    r: &ReportRow,
    p: &ProjectRow,
    plan: &ProposalContent,
) -> Result<FieldErrors, AppError> {
    let all = projects::reports(conn, p.id)?;
    let (prev, next) = neighbours(&all, r.id, r.period_end);
    let content = r.content();
    let tolerance_bp = crate::db::rounds::find(conn, p.round_id)?
        .rules()
        .changes
        .free_move_bp;
    let mut e = report::check_report(
        &content,
        &ReportFrame {
            tolerance_bp,
            period_start: r.period_start,
            period_end: r.period_end,
            project_start: p.starts_on,
            project_end: p.ends_on,
            budget: &plan.budget,
            grant: Fen(p.grant_fen),
            previous: prev.as_ref(),
            next: next.as_ref(),
        },
    );
    e.0.extend(super::rosters::problems(conn, r, p)?.0);
    Ok(e)
}

/// Submits a report after checking it in full; the bureau's officers are emailed.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn submit_report(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    let (r, p, plan) = find_editable(conn, actor, id)?;
    submission_problems(conn, &r, &p, &plan)?.into_result()?;
    db::write_tx(conn, |c| {
        let current = projects::report(c, id)?;
        if current.version != r.version {
            return Err(AppError::conflict("error.edit_conflict"));
        }
        if !projects::set_report_status(c, id, r.status, ReportStatus::Submitted, actor.id, None)? {
            return Err(AppError::conflict("error.report_frozen"));
        }
        audit::append(
            c,
            Change::new(Some(actor), "report.submitted", "report", id)
                .after(serde_json::json!({"project_id": p.id, "content": r.content()})),
        )?;
        let link = format!("{}/reports/{id}", s.base_url);
        super::email_officers(c, p.bureau_id, |to| {
            mail::report_submitted(
                to,
                &p.agreement_no,
                &p.org_name,
                &r.period_end.to_string(),
                &link,
                &s.base_url,
            )
        })
    })
}

/// The officer accepts a submitted report, or returns it with comments.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn review_report(
    conn: &mut DbConn,
    s: &Settings,
    actor: &Actor,
    id: i64,
    accept: bool,
    comment: &str,
) -> Result<(), AppError> {
    let (r, p, _) = find_report(conn, actor, id)?;
    require_officer(actor, &p)?;
    if r.status != ReportStatus::Submitted {
        return Err(AppError::conflict("error.report_not_submitted"));
    }
    let comment = comment.trim();
    if !accept && comment.is_empty() {
        return Err(FieldErrors::single("comment", "field.required"));
    }
    limits::within("comment", comment, limits::REASON)?;
    let to_status = if accept {
        ReportStatus::Accepted
    } else {
        ReportStatus::Returned
    };
    db::write_tx(conn, |c| {
        let note = (!comment.is_empty()).then_some(comment);
        if !projects::set_report_status(c, id, ReportStatus::Submitted, to_status, actor.id, note)?
        {
            return Err(AppError::conflict("error.report_not_submitted"));
        }
        let mut change = Change::new(
            Some(actor),
            if accept {
                "report.accepted"
            } else {
                "report.returned"
            },
            "report",
            id,
        );
        if let Some(n) = note {
            change = change.reason(n);
        }
        audit::append(c, change)?;
        let link = format!("{}/reports/{id}", s.base_url);
        super::email_org(c, p.org_id, |to| {
            mail::report_reviewed(
                to,
                &p.agreement_no,
                &r.period_end.to_string(),
                accept,
                comment,
                &link,
                &s.base_url,
            )
        })
    })
}

/// Attaches evidence (photos, sign-in sheets 签到表, PDFs) to an editable report.
#[tracing::instrument(skip_all, fields(user = actor.id, report_id))]
pub fn upload_evidence(
    conn: &mut DbConn,
    actor: &Actor,
    report_id: i64,
    filename: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (r, p, _) = find_editable(conn, actor, report_id)?;
    let content_type = check_file(bytes)?;
    let filename = super::orgs::clean_filename(filename);
    db::write_tx(conn, |c| {
        let fid = projects::insert_file(
            c,
            &NewFile {
                project_id: p.id,
                report_id: Some(r.id),
                evaluation_id: None,
                visit_id: None,
                change_id: None,
                kind: ProjectFileKind::Evidence,
                filename: &filename,
                content_type,
                sha256: &hex::encode(Sha256::digest(bytes)),
                content: bytes,
                uploaded_by: actor.id,
            },
        )?;
        audit::append(
            c,
            Change::new(Some(actor), "report.evidence_uploaded", "report", r.id)
                .after(serde_json::json!({"file_id": fid, "filename": filename})),
        )?;
        Ok(fid)
    })
}

/// How many days before a milestone its report reminder goes out.
pub const REPORT_REMIND_DAYS: i64 = 7;

/// Reminds NGOs of milestone reports once before they are due and once when overdue;
/// returns how many reminders were queued. An organisation with several reports due gets one
/// digest listing them ([`super::reminders::queue`]). Reads find the reminders due and not yet
/// recorded; a write transaction opens only for those. Safe from every instance (one key per
/// reminder).
#[tracing::instrument(skip_all)]
pub fn send_report_reminders(conn: &mut DbConn, s: &Settings) -> Result<usize, AppError> {
    use super::reminders::{Reminder, Who};
    let day = today();
    let active = projects::active_projects(conn)?;
    let ids: Vec<i64> = active.iter().map(|p| p.id).collect();
    let filed: std::collections::HashSet<(i64, i32)> = projects::reports_of(conn, &ids)?
        .into_iter()
        .filter(|r| r.status.filed())
        .filter_map(|r| r.milestone_index.map(|i| (r.project_id, i)))
        .collect();
    // The plans in force of every active project, read in a few queries.
    let plans = db::changes::plans_of(conn, &ids)?;
    let mut due = Vec::new();
    for p in &active {
        let Some(plan) = plans.get(&p.id) else {
            continue;
        };
        for (i, on, title, _) in milestones(plan) {
            if filed.contains(&(p.id, i as i32)) || on - day > Duration::days(REMIND_BEFORE) {
                continue;
            }
            let overdue = on < day;
            let kind = if overdue {
                "report_overdue"
            } else {
                "report_due_soon"
            };
            let link = format!("{}/projects/{}", s.base_url, p.id);
            let base_url = s.base_url.clone();
            let (agreement_no, milestone, single_link) =
                (p.agreement_no.clone(), title.clone(), link.clone());
            due.push(Reminder {
                key: format!("{kind}:{}:{i}", p.id),
                to: Who::Org(p.org_id),
                bureau_id: p.bureau_id,
                item: mail::DigestItem {
                    what_key: "email.reminder_digest.report",
                    title: format!("{} · {title}", p.agreement_no),
                    due: on.to_string(),
                    overdue,
                    link,
                },
                single: Box::new(move |to: &mail::Recipient| {
                    mail::report_reminder(
                        to,
                        &agreement_no,
                        &milestone,
                        &on.to_string(),
                        overdue,
                        &single_link,
                        &base_url,
                    )
                }),
            });
        }
    }
    super::reminders::queue(conn, s, due)
}

const REMIND_BEFORE: i64 = REPORT_REMIND_DAYS;

/// The months a monthly report may be filed for: from the project's start to this month.
pub fn report_months(p: &ProjectRow) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut y = p.starts_on.year();
    let mut m = p.starts_on.month();
    let last = today().min(p.ends_on);
    while (y, m) <= (last.year(), last.month()) {
        out.push((y, m));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}
