//! The work queue of the signed-in person (工作台, `GET /api/v1/me/tasks`): for each kind of
//! item that waits for their role, how many wait, and the most urgent items, with their due
//! dates and days left (DESIGN §3; the kinds and the order are `domain::tasks`). Officers
//! see their bureau's rounds and projects; organizations to verify and failed emails are
//! the staff's across bureaus, as on the organization list.

use crate::auth::policy::Actor;
use crate::db::{tasks, today, DbConn};
use crate::domain::account::Role;
use crate::domain::tasks::{most_urgent, Task, TaskKind};
use crate::error::{AppError, FieldErrors};
use crate::i18n::Msg;

/// How many items the queue lists over every kind.
pub const LIST_LIMIT: usize = 50;
/// How many items of one kind the queue lists when asked for that kind only.
pub const KIND_LIMIT: usize = 200;

/// How many items of a kind wait.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct KindCount {
    pub kind: TaskKind,
    pub count: i64,
}

/// A person's work queue.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct TaskQueue {
    /// Every kind of the person's role, in a fixed order, with how many items wait.
    pub counts: Vec<KindCount>,
    /// Items over every kind (or of `kind` only), most urgent first: overdue, then the
    /// nearest due date, then the longest waiting.
    pub items: Vec<Task>,
    /// Items waiting over every kind (or of `kind`), listed or not.
    pub total: i64,
    /// The kind the list is narrowed to, if any.
    pub kind: Option<TaskKind>,
}

impl TaskQueue {
    /// The list is narrowed to `kind`.
    pub fn is_kind(&self, kind: &TaskKind) -> bool {
        self.kind == Some(*kind)
    }
}

/// Whose items a kind reads: the officer's bureau, the NGO's organization, the reviewer or
/// evaluator themself; staff-wide kinds need none. `None` when the person has nothing the
/// kind could hold (an officer without a bureau, an NGO member without an organization).
fn owner_of(actor: &Actor, kind: TaskKind) -> Option<i64> {
    use TaskKind::*;
    match kind {
        OrgVerify | FailedEmail => Some(0),
        ProposalDraft | ProposalReturned | ReportDue | ReportReturned | Rectification
        | EvaluationVisit | RenewalOffer | FindingRectify => actor.org_id,
        ReviewAccept | ReviewFinish | EvaluationFile | EvaluationReturned | VisitScheduled => {
            Some(actor.id)
        }
        _ => actor.bureau_id,
    }
}

/// Parses `?kind=`: blank is every kind; a kind that is not the person's role's is refused
/// naming the field.
pub fn parse_kind(actor: &Actor, kind: Option<&str>) -> Result<Option<TaskKind>, AppError> {
    let Some(s) = kind.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match TaskKind::parse(s).filter(|k| TaskKind::for_role(actor.role).contains(k)) {
        Some(k) => Ok(Some(k)),
        None => {
            let mut e = FieldErrors::new();
            e.add("kind", Msg::new("field.choice_invalid"));
            e.into_result().map(|_| None)
        }
    }
}

/// The person's work queue: a `COUNT` per kind of their role, and the most urgent items
/// (at most [`LIST_LIMIT`] over every kind, read as that many per kind and merged; or at
/// most [`KIND_LIMIT`] of `only`).
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn queue(
    conn: &mut DbConn,
    actor: &Actor,
    only: Option<TaskKind>,
) -> Result<TaskQueue, AppError> {
    let day = today();
    let limit = if only.is_some() {
        KIND_LIMIT
    } else {
        LIST_LIMIT
    };
    let mut counts = Vec::new();
    let mut rows = Vec::new();
    for &kind in TaskKind::for_role(actor.role) {
        let Some(owner) = owner_of(actor, kind) else {
            counts.push(KindCount { kind, count: 0 });
            continue;
        };
        let listed = only.is_none_or(|k| k == kind);
        let take = if listed { limit as i64 } else { 0 };
        let (count, found) = tasks::of_kind(conn, kind, owner, take)?;
        counts.push(KindCount { kind, count });
        rows.extend(found.into_iter().map(|r| (kind, r)));
    }
    // A reviewer's items show their progress in the round.
    let progress = if actor.role == Role::Reviewer {
        let mut rounds: Vec<i64> = rows.iter().map(|(_, r)| r.parent).collect();
        rounds.sort_unstable();
        rounds.dedup();
        tasks::review_progress(conn, actor.id, &rounds)?
    } else {
        Default::default()
    };
    let items = rows
        .into_iter()
        .map(|(kind, r)| {
            let mut t = Task::new(
                kind, r.id, r.parent, r.title, r.waiting, r.due, r.since, day,
            );
            t.progress = progress.get(&r.parent).copied();
            t
        })
        .collect();
    let total = counts
        .iter()
        .filter(|c| only.is_none_or(|k| k == c.kind))
        .map(|c| c.count)
        .sum();
    Ok(TaskQueue {
        counts,
        items: most_urgent(items, limit),
        total,
        kind: only,
    })
}
