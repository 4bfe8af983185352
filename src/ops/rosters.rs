//! The write side of beneficiary rosters (issue 15): replacing a report's roster (typed in
//! the form, sent as JSON or uploaded as a spreadsheet), the roster's part of a report's
//! submission check, and the retention job's anonymisation after the project ends.

use crate::auth::policy::Actor;
use crate::db::audit::{self, Change};
use crate::db::projects::{ProjectRow, ReportRow};
use crate::db::rosters::{self, EntryRow, NewEntry};
use crate::db::{self, today, DbConn};
use crate::domain::report::ReportKind;
use crate::domain::roster::{
    self, CheckedLine, KeptId, LineId, RosterFrame, RosterInput, RosterRules,
};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;
use crate::pii::{self, PiiKey};

/// Where a roster came from (recorded in the audit log; never the lines themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Form,
    Sheet,
    Api,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Sheet => "xlsx",
            Source::Api => "api",
        }
    }
    /// How people number the first input line (a sheet's first line is under its header).
    pub fn first_row(self) -> usize {
        match self {
            Source::Sheet => 2,
            Source::Form | Source::Api => 1,
        }
    }
}

/// The round's roster rules for a project.
pub fn rules_of(conn: &mut DbConn, p: &ProjectRow) -> Result<RosterRules, AppError> {
    Ok(crate::db::rounds::find(conn, p.round_id)?.rules().roster)
}

/// The frame a report's roster lines are checked in: served from the project's start to the
/// report's end.
fn frame<'a>(
    rules: &'a RosterRules,
    r: &ReportRow,
    p: &ProjectRow,
    source: Source,
) -> RosterFrame<'a> {
    RosterFrame {
        rules,
        earliest: p.starts_on,
        latest: r.period_end,
        first_row: source.first_row(),
    }
}

fn kept(stored: &[EntryRow]) -> Vec<KeptId> {
    stored
        .iter()
        .filter_map(|e| {
            Some(KeptId {
                seq: e.seq,
                kind: e.kind()?,
                masked: e.id_masked.clone()?,
            })
        })
        .collect()
}

/// The lines to store: new numbers sealed, hashed and masked; kept ones copied as stored.
fn to_store(key: &PiiKey, checked: Vec<CheckedLine>, stored: &[EntryRow]) -> Vec<NewEntry> {
    checked
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let (id_kind, id_cipher, id_hash, id_masked) = match l.id {
                LineId::None => (None, None, None, None),
                LineId::New(kind, n) => (
                    Some(kind.as_str()),
                    Some(key.seal(&n)),
                    Some(key.hash(kind, &n)),
                    Some(pii::mask(kind, &n)),
                ),
                LineId::Keep(seq) => stored
                    .iter()
                    .find(|e| e.seq == seq)
                    .map(|e| {
                        (
                            e.kind().map(pii::IdKind::as_str),
                            e.id_cipher.clone(),
                            e.id_hash.clone(),
                            e.id_masked.clone(),
                        )
                    })
                    .unwrap_or((None, None, None, None)),
            };
            NewEntry {
                seq: i as i32 + 1,
                grp: l.group.as_str().to_string(),
                name: l.name,
                id_kind,
                id_cipher,
                id_hash,
                id_masked,
                first_served: l.first_served,
                person_times: l.person_times as i32,
            }
        })
        .collect()
}

/// Replaces the roster of an editable report with the typed lines (blank ones skipped),
/// checked row by row; nothing is stored unless every line passes. Returns how many lines.
#[tracing::instrument(skip_all, fields(user = actor.id, report_id, lines = inputs.len()))]
pub fn replace(
    conn: &mut DbConn,
    key: &PiiKey,
    actor: &Actor,
    report_id: i64,
    inputs: &[RosterInput],
    source: Source,
) -> Result<usize, AppError> {
    let (r, p, _) = super::execution::find_editable(conn, actor, report_id)?;
    let rules = rules_of(conn, &p)?;
    let stored = rosters::entries(conn, r.id)?;
    let checked = roster::check_lines(inputs, frame(&rules, &r, &p, source), &kept(&stored))
        .map_err(AppError::Validation)?;
    let lines = to_store(key, checked, &stored);
    let n = lines.len();
    db::write_tx(conn, |c| {
        // The report must still be editable when the lines land.
        let current = crate::db::projects::report(c, r.id)?;
        if !current.status.editable() {
            return Err(AppError::conflict("error.report_frozen"));
        }
        rosters::replace(c, p.id, r.id, &lines)?;
        audit::append(
            c,
            Change::new(Some(actor), "report.roster_saved", "report", r.id).after(
                serde_json::json!({"project_id": p.id, "lines": n, "source": source.as_str()}),
            ),
        )?;
        Ok(n)
    })
}

/// What the roster says against the report: a required roster that is missing, and every
/// group whose unique people or person-times differ from the report's figures.
pub fn problems(conn: &mut DbConn, r: &ReportRow, p: &ProjectRow) -> Result<FieldErrors, AppError> {
    let rules = rules_of(conn, p)?;
    let lines = rosters::entries(conn, r.id)?;
    let mut e = FieldErrors::new();
    if lines.is_empty() {
        if rules.required && r.kind == ReportKind::Milestone {
            e.add("roster", Msg::new("roster.required"));
        }
        return Ok(e);
    }
    let people: Vec<_> = lines.iter().map(EntryRow::person).collect();
    e.0.extend(roster::compare(&roster::tally(&people), &r.content()).0);
    Ok(e)
}

/// Carries the roster of the filed report `from` over to a new report `to` (its lines are
/// the project's people so far; the organization adds to them).
pub fn carry_over(conn: &mut DbConn, project_id: i64, from: i64, to: i64) -> Result<(), AppError> {
    let lines: Vec<NewEntry> = rosters::entries(conn, from)?
        .iter()
        .filter(|e| e.anonymised_at.is_none())
        .map(NewEntry::from)
        .collect();
    if !lines.is_empty() {
        rosters::replace(conn, project_id, to, &lines)?;
    }
    Ok(())
}

/// The retention job: anonymises the rosters of every project whose round's retention period
/// after it ended has passed (Beijing dates), one transaction and audit entry per project.
/// Idempotent: anonymised lines are not touched again. Returns how many lines.
#[tracing::instrument(skip_all)]
pub fn anonymise_due(conn: &mut DbConn) -> Result<usize, AppError> {
    let today = today();
    let mut total = 0;
    let mut rules: std::collections::HashMap<i64, RosterRules> = Default::default();
    for (project_id, round_id, closed_at) in rosters::closed_with_identities(conn)? {
        let r = match rules.get(&round_id) {
            Some(r) => r.clone(),
            None => {
                let r = crate::db::rounds::find(conn, round_id)?.rules().roster;
                rules.insert(round_id, r.clone());
                r
            }
        };
        let closed = crate::domain::calendar::beijing_date(closed_at);
        if today < roster::retention_ends(closed, r.retention_months) {
            continue;
        }
        total += db::write_tx(conn, |c| {
            let n = rosters::anonymise(c, project_id)?;
            if n > 0 {
                audit::append(
                    c,
                    Change::new(None, "project.roster_anonymised", "project", project_id).after(
                        serde_json::json!({
                            "lines": n,
                            "closed_on": closed,
                            "retention_months": r.retention_months,
                        }),
                    ),
                )?;
            }
            Ok(n)
        })?;
    }
    Ok(total)
}
