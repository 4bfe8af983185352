//! The work queue's reads (DESIGN §3, 工作台): for each kind of item, how many wait (one
//! `COUNT`) and the most urgent few (one `LIMIT`ed query ordered by due date or age), never
//! every row. Which rows a kind holds is the state the kind names (`domain::tasks::TaskKind`);
//! `owner` is the officer's bureau, the NGO's organization, or the reviewer or evaluator.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, exists, not};
use diesel::prelude::*;

use super::schema::{
    bureaus, change_requests, decision_entries, evaluations, notices, objections, organizations,
    outbox, projects, proposals, reports, reviews, rounds, samples, tranches, users,
    visit_findings, visits,
};
use super::{now, today, DbConn};
use crate::domain::assignment::ReviewStatus;
use crate::domain::award::ObjectionStatus;
use crate::domain::change::ChangeStatus;
use crate::domain::evaluation::{EvaluationStatus, Renewal, Stage};
use crate::domain::org::{OrgKind, OrgStatus};
use crate::domain::outbox::OutboxStatus;
use crate::domain::project::ProjectStatus;
use crate::domain::proposal::ProposalStatus;
use crate::domain::report::{ReportStatus, TrancheStatus};
use crate::domain::round::RoundStatus;
use crate::domain::tasks::{Due, Progress, TaskKind};
use crate::domain::visit::{FindingStatus, VisitStatus};
use crate::error::AppError;

/// One waiting item as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: i64,
    /// The round or project the item belongs to (its page), 0 for none.
    pub parent: i64,
    pub title: String,
    pub waiting: Option<String>,
    pub due: Due,
    pub since: Option<NaiveDateTime>,
}

impl TaskRow {
    fn of(
        id: i64,
        parent: i64,
        title: String,
        waiting: Option<String>,
        due: Due,
        since: Option<NaiveDateTime>,
    ) -> Self {
        TaskRow {
            id,
            parent,
            title,
            waiting,
            due,
            since,
        }
    }
}

/// An item without a due date, waiting since `since`, on behalf of `who`.
fn undated(
    (id, parent, title, who, since): (i64, i64, String, String, Option<NaiveDateTime>),
) -> TaskRow {
    TaskRow::of(id, parent, title, Some(who), Due::None, since)
}

/// An item due on a date, on behalf of `who`.
fn dated((id, parent, title, who, due): (i64, i64, String, String, NaiveDate)) -> TaskRow {
    TaskRow::of(id, parent, title, Some(who), Due::On(due), None)
}

fn due_at(at: Option<NaiveDateTime>) -> Due {
    at.map_or(Due::None, Due::At)
}

fn due_on(on: Option<NaiveDate>) -> Due {
    on.map_or(Due::None, Due::On)
}

/// `(count, first rows)` of a query: the `COUNT` of its rows and, when `limit` > 0, its first
/// `limit` rows in `order`, each made a [`TaskRow`] by `row`.
macro_rules! counted {
    ($conn:expr, $limit:expr, $q:expr, $sel:expr, $order:expr, $ty:ty, $row:expr) => {{
        let q = $q;
        let count: i64 = q.clone().count().get_result($conn)?;
        let rows: Vec<TaskRow> = if $limit > 0 && count > 0 {
            q.select($sel)
                .order($order)
                .limit($limit)
                .load::<$ty>($conn)?
                .into_iter()
                .map($row)
                .collect()
        } else {
            Vec::new()
        };
        (count, rows)
    }};
}

/// How many items of `kind` wait for `owner`, and the `limit` most urgent of them (none for
/// a limit of 0).
pub fn of_kind(
    conn: &mut DbConn,
    kind: TaskKind,
    owner: i64,
    limit: i64,
) -> Result<(i64, Vec<TaskRow>), AppError> {
    use TaskKind::*;
    let (at, day) = (now(), today());
    let running = [
        ProjectStatus::Active.as_str(),
        ProjectStatus::Rectifying.as_str(),
    ];
    let open_review = [
        ReviewStatus::Assigned.as_str(),
        ReviewStatus::Accepted.as_str(),
    ];
    Ok(match kind {
        OrgVerify => counted!(
            conn,
            limit,
            organizations::table
                .filter(organizations::kind.eq(OrgKind::Ngo.as_str()))
                .filter(organizations::status.eq(OrgStatus::Pending.as_str())),
            (
                organizations::id,
                organizations::name,
                organizations::contact_name,
                organizations::created_at
            ),
            (organizations::created_at.asc(), organizations::id.asc()),
            (i64, String, String, NaiveDateTime),
            |(id, name, contact, since)| TaskRow::of(
                id,
                0,
                name,
                Some(contact),
                Due::None,
                Some(since)
            )
        ),
        ProposalScreen | ReturnOverdue => {
            let base = proposals::table
                .inner_join(rounds::table)
                .inner_join(organizations::table)
                .filter(rounds::bureau_id.eq(owner));
            let sel = (
                proposals::id,
                proposals::round_id,
                proposals::title,
                organizations::name,
                proposals::return_deadline,
                proposals::submitted_at,
            );
            type Row = (
                i64,
                i64,
                String,
                String,
                Option<NaiveDateTime>,
                Option<NaiveDateTime>,
            );
            let row = move |(id, parent, title, org, deadline, since): Row| TaskRow {
                id,
                parent,
                title,
                waiting: Some(org),
                due: if kind == ProposalScreen {
                    Due::None
                } else {
                    due_at(deadline)
                },
                since,
            };
            if kind == ProposalScreen {
                counted!(
                    conn,
                    limit,
                    base.filter(proposals::status.eq(ProposalStatus::Submitted.as_str())),
                    sel,
                    (proposals::submitted_at.asc(), proposals::id.asc()),
                    Row,
                    row
                )
            } else {
                counted!(
                    conn,
                    limit,
                    base.filter(proposals::status.eq(ProposalStatus::Returned.as_str()))
                        .filter(proposals::return_deadline.lt(at)),
                    sel,
                    (proposals::return_deadline.asc(), proposals::id.asc()),
                    Row,
                    row
                )
            }
        }
        ReviewOverdue => counted!(
            conn,
            limit,
            reviews::table
                .inner_join(proposals::table)
                .inner_join(rounds::table)
                .inner_join(users::table.on(users::id.eq(reviews::reviewer_id)))
                .filter(rounds::bureau_id.eq(owner))
                .filter(rounds::status.eq(RoundStatus::Reviewing.as_str()))
                .filter(rounds::review_due.lt(at))
                .filter(reviews::status.eq_any(open_review)),
            (
                reviews::id,
                reviews::round_id,
                proposals::title,
                users::name,
                rounds::review_due
            ),
            (rounds::review_due.asc(), reviews::id.asc()),
            (i64, i64, String, String, Option<NaiveDateTime>),
            |(id, parent, title, reviewer, due)| TaskRow::of(
                id,
                parent,
                title,
                Some(reviewer),
                due_at(due),
                None
            )
        ),
        RoundDecision => {
            let open = reviews::table
                .filter(reviews::round_id.eq(rounds::id))
                .filter(reviews::status.eq_any(open_review));
            let done = reviews::table
                .filter(reviews::round_id.eq(rounds::id))
                .filter(reviews::status.eq(ReviewStatus::Submitted.as_str()));
            counted!(
                conn,
                limit,
                rounds::table.filter(rounds::bureau_id.eq(owner)).filter(
                    rounds::status
                        .eq(RoundStatus::Deciding.as_str())
                        .or(rounds::status
                            .eq(RoundStatus::Reviewing.as_str())
                            .and(not(exists(open)))
                            .and(exists(done)))
                ),
                (rounds::id, rounds::title, rounds::updated_at),
                (rounds::updated_at.asc(), rounds::id.asc()),
                (i64, String, NaiveDateTime),
                |(id, title, since)| TaskRow::of(id, id, title, None, Due::None, Some(since))
            )
        }
        ObjectionAnswer => counted!(
            conn,
            limit,
            objections::table
                .inner_join(proposals::table)
                .inner_join(rounds::table.on(rounds::id.eq(objections::round_id)))
                .inner_join(notices::table.on(notices::round_id.eq(objections::round_id)))
                .filter(rounds::bureau_id.eq(owner))
                .filter(objections::status.eq(ObjectionStatus::Open.as_str()))
                .filter(objections::confirmed_at.is_not_null()),
            (
                objections::id,
                objections::round_id,
                proposals::title,
                objections::name,
                notices::ends_at,
                objections::created_at
            ),
            (notices::ends_at.asc(), objections::id.asc()),
            (i64, i64, String, String, NaiveDateTime, NaiveDateTime),
            |(id, parent, title, name, ends, since)| TaskRow::of(
                id,
                parent,
                title,
                Some(name),
                Due::At(ends),
                Some(since)
            )
        ),
        NoticeEnding => counted!(
            conn,
            limit,
            notices::table
                .inner_join(rounds::table)
                .filter(rounds::bureau_id.eq(owner))
                .filter(rounds::status.eq(RoundStatus::Notice.as_str()))
                .filter(notices::finalised_at.is_null()),
            (rounds::id, rounds::title, notices::ends_at),
            (notices::ends_at.asc(), rounds::id.asc()),
            (i64, String, NaiveDateTime),
            |(id, title, ends)| TaskRow::of(id, id, title, None, Due::At(ends), None)
        ),
        AgreementRecord | EvaluationAssign | RectificationOverdue => {
            let base = projects::table
                .inner_join(organizations::table)
                .filter(projects::bureau_id.eq(owner));
            let sel = (
                projects::id,
                projects::title,
                organizations::name,
                projects::starts_on,
                projects::ends_on,
                projects::rectify_until,
            );
            type Row = (i64, String, String, NaiveDate, NaiveDate, Option<NaiveDate>);
            let row = move |(id, title, org, starts, ends, until): Row| TaskRow {
                id,
                parent: id,
                title,
                waiting: Some(org),
                due: match kind {
                    AgreementRecord => Due::On(starts),
                    EvaluationAssign => Due::On(ends),
                    _ => due_on(until),
                },
                since: None,
            };
            match kind {
                AgreementRecord => counted!(
                    conn,
                    limit,
                    base.filter(projects::status.eq(ProjectStatus::Active.as_str()))
                        .filter(projects::agreement_signed_at.is_null()),
                    sel,
                    (projects::starts_on.asc(), projects::id.asc()),
                    Row,
                    row
                ),
                EvaluationAssign => {
                    let under_way = evaluations::table
                        .filter(evaluations::project_id.eq(projects::id))
                        .filter(evaluations::status.eq_any([
                            EvaluationStatus::Assigned.as_str(),
                            EvaluationStatus::Submitted.as_str(),
                            EvaluationStatus::Returned.as_str(),
                        ]));
                    let final_done = evaluations::table
                        .filter(evaluations::project_id.eq(projects::id))
                        .filter(evaluations::stage.eq(Stage::Final.as_str()))
                        .filter(evaluations::status.eq(EvaluationStatus::Accepted.as_str()));
                    counted!(
                        conn,
                        limit,
                        base.filter(projects::status.eq_any(running))
                            .filter(not(exists(under_way)))
                            .filter(not(exists(final_done))),
                        sel,
                        (projects::ends_on.asc(), projects::id.asc()),
                        Row,
                        row
                    )
                }
                _ => counted!(
                    conn,
                    limit,
                    base.filter(projects::status.eq(ProjectStatus::Rectifying.as_str()))
                        .filter(projects::rectify_until.lt(day)),
                    sel,
                    (projects::rectify_until.asc(), projects::id.asc()),
                    Row,
                    row
                ),
            }
        }
        TrancheRelease => counted!(
            conn,
            limit,
            tranches::table
                .inner_join(projects::table.inner_join(organizations::table))
                .filter(projects::bureau_id.eq(owner))
                .filter(tranches::status.eq(TrancheStatus::Releasable.as_str()))
                // Not while a visit's required rectification holds it.
                .filter(not(exists(
                    super::visits::holding().filter(visit_findings::project_id.eq(projects::id))
                ))),
            (
                tranches::id,
                projects::id,
                projects::title,
                organizations::name
            ),
            tranches::id.asc(),
            (i64, i64, String, String),
            |(id, parent, title, org)| TaskRow::of(id, parent, title, Some(org), Due::None, None)
        ),
        ReportReview => counted!(
            conn,
            limit,
            reports::table
                .inner_join(projects::table.inner_join(organizations::table))
                .filter(projects::bureau_id.eq(owner))
                .filter(reports::status.eq(ReportStatus::Submitted.as_str())),
            (
                reports::id,
                projects::id,
                projects::title,
                organizations::name,
                reports::submitted_at
            ),
            (reports::submitted_at.asc(), reports::id.asc()),
            (i64, i64, String, String, Option<NaiveDateTime>),
            undated
        ),
        ChangeDecide => counted!(
            conn,
            limit,
            change_requests::table
                .inner_join(projects::table.inner_join(organizations::table))
                .filter(projects::bureau_id.eq(owner))
                .filter(change_requests::status.eq(ChangeStatus::Open)),
            (
                change_requests::id,
                projects::id,
                projects::title,
                organizations::name,
                change_requests::filed_at.nullable()
            ),
            (change_requests::filed_at.asc(), change_requests::id.asc()),
            (i64, i64, String, String, Option<NaiveDateTime>),
            undated
        ),
        EvaluationAccept => counted!(
            conn,
            limit,
            evaluations::table
                .inner_join(projects::table)
                .inner_join(
                    organizations::table.on(organizations::id.eq(evaluations::agency_org_id))
                )
                .filter(projects::bureau_id.eq(owner))
                .filter(evaluations::status.eq(EvaluationStatus::Submitted.as_str())),
            (
                evaluations::id,
                projects::id,
                projects::title,
                organizations::name,
                evaluations::submitted_at
            ),
            (evaluations::submitted_at.asc(), evaluations::id.asc()),
            (i64, i64, String, String, Option<NaiveDateTime>),
            undated
        ),
        SampleFlagged => counted!(
            conn,
            limit,
            samples::table
                .inner_join(evaluations::table)
                .inner_join(projects::table.on(projects::id.eq(samples::project_id)))
                .inner_join(
                    organizations::table.on(organizations::id.eq(evaluations::agency_org_id))
                )
                .filter(projects::bureau_id.eq(owner))
                .filter(samples::flagged_at.is_not_null())
                .filter(evaluations::status.ne(EvaluationStatus::Accepted.as_str())),
            (
                evaluations::id,
                projects::id,
                projects::title,
                organizations::name,
                samples::flagged_at
            ),
            (samples::flagged_at.asc(), evaluations::id.asc()),
            (i64, i64, String, String, Option<NaiveDateTime>),
            undated
        ),
        RenewalApprove => {
            let decided = decision_entries::table
                .filter(decision_entries::proposal_id.eq(proposals::id))
                .filter(decision_entries::line_override.is_not_null());
            counted!(
                conn,
                limit,
                proposals::table
                    .inner_join(rounds::table)
                    .inner_join(organizations::table)
                    .filter(rounds::bureau_id.eq(owner))
                    .filter(rounds::status.eq(RoundStatus::Deciding.as_str()))
                    .filter(proposals::renewal_track.eq(Renewal::FastTrack.as_str()))
                    .filter(proposals::status.eq(ProposalStatus::Eligible.as_str()))
                    .filter(not(exists(decided))),
                (
                    proposals::id,
                    proposals::round_id,
                    proposals::title,
                    organizations::name,
                    proposals::submitted_at
                ),
                (proposals::submitted_at.asc(), proposals::id.asc()),
                (i64, i64, String, String, Option<NaiveDateTime>),
                undated
            )
        }
        FindingOverdue | FindingResponded | FindingRectify => {
            let base = visit_findings::table
                .inner_join(projects::table.inner_join(organizations::table))
                .filter(visit_findings::rectify_by.is_not_null());
            let sel = (
                visit_findings::id,
                visit_findings::visit_id,
                projects::title,
                organizations::name,
                visit_findings::rectify_by,
                visit_findings::responded_at,
            );
            type Row = (
                i64,
                i64,
                String,
                String,
                Option<NaiveDate>,
                Option<NaiveDateTime>,
            );
            let row = move |(id, parent, title, org, by, responded): Row| TaskRow {
                id,
                parent,
                title,
                waiting: Some(org),
                due: if kind == FindingResponded {
                    Due::None
                } else {
                    due_on(by)
                },
                since: responded,
            };
            match kind {
                FindingOverdue => counted!(
                    conn,
                    limit,
                    base.filter(projects::bureau_id.eq(owner))
                        .filter(visit_findings::status.eq(FindingStatus::Open.as_str()))
                        .filter(visit_findings::rectify_by.lt(day)),
                    sel,
                    (visit_findings::rectify_by.asc(), visit_findings::id.asc()),
                    Row,
                    row
                ),
                FindingResponded => counted!(
                    conn,
                    limit,
                    base.filter(projects::bureau_id.eq(owner))
                        .filter(visit_findings::status.eq(FindingStatus::Responded.as_str())),
                    sel,
                    (visit_findings::responded_at.asc(), visit_findings::id.asc()),
                    Row,
                    row
                ),
                _ => counted!(
                    conn,
                    limit,
                    base.filter(projects::org_id.eq(owner))
                        .filter(visit_findings::status.eq(FindingStatus::Open.as_str())),
                    sel,
                    (visit_findings::rectify_by.asc(), visit_findings::id.asc()),
                    Row,
                    row
                ),
            }
        }
        VisitScheduled => counted!(
            conn,
            limit,
            visits::table
                .inner_join(projects::table.inner_join(organizations::table))
                .filter(visits::visitor_id.eq(owner))
                .filter(visits::status.eq(VisitStatus::Scheduled.as_str())),
            (
                visits::id,
                projects::id,
                projects::title,
                organizations::name,
                visits::scheduled_on
            ),
            (visits::scheduled_on.asc(), visits::id.asc()),
            (i64, i64, String, String, NaiveDate),
            dated
        ),
        FailedEmail => counted!(
            conn,
            limit,
            outbox::table.filter(outbox::status.eq(OutboxStatus::Failed.as_str())),
            (
                outbox::id,
                outbox::subject,
                outbox::to_email,
                outbox::created_at
            ),
            (outbox::created_at.asc(), outbox::id.asc()),
            (i64, String, String, NaiveDateTime),
            |(id, subject, to, since)| TaskRow::of(
                id,
                0,
                subject,
                Some(to),
                Due::None,
                Some(since)
            )
        ),
        ProposalDraft | ProposalReturned => {
            let (status, round_status) = if kind == ProposalDraft {
                (ProposalStatus::Draft, Some(RoundStatus::Open))
            } else {
                (ProposalStatus::Returned, None)
            };
            let rs: Vec<&str> = match round_status {
                Some(s) => vec![s.as_str()],
                None => RoundStatus::ALL.iter().map(|s| s.as_str()).collect(),
            };
            counted!(
                conn,
                limit,
                proposals::table
                    .inner_join(rounds::table.inner_join(bureaus::table))
                    .filter(proposals::org_id.eq(owner))
                    .filter(proposals::status.eq(status.as_str()))
                    .filter(rounds::status.eq_any(&rs)),
                (
                    proposals::id,
                    proposals::round_id,
                    proposals::title,
                    rounds::title,
                    bureaus::name,
                    rounds::closes_at,
                    proposals::return_deadline
                ),
                (
                    rounds::closes_at.asc(),
                    proposals::return_deadline.asc(),
                    proposals::id.asc()
                ),
                (
                    i64,
                    i64,
                    String,
                    String,
                    String,
                    Option<NaiveDateTime>,
                    Option<NaiveDateTime>
                ),
                |(id, parent, title, round, bureau, closes, deadline)| TaskRow {
                    id,
                    parent,
                    title: if title.trim().is_empty() {
                        round
                    } else {
                        title
                    },
                    waiting: Some(bureau),
                    due: due_at(if kind == ProposalDraft {
                        closes
                    } else {
                        deadline
                    }),
                    since: None,
                }
            )
        }
        ReportDue | Rectification | RenewalOffer => {
            let base = projects::table
                .inner_join(bureaus::table.on(bureaus::id.eq(projects::bureau_id)))
                .filter(projects::org_id.eq(owner));
            let sel = (
                projects::id,
                projects::title,
                bureaus::name,
                projects::fig_next_due_on,
                projects::rectify_until,
                projects::updated_at,
            );
            type Row = (
                i64,
                String,
                String,
                Option<NaiveDate>,
                Option<NaiveDate>,
                NaiveDateTime,
            );
            let row = move |(id, title, bureau, next, until, updated): Row| TaskRow {
                id,
                parent: id,
                title,
                waiting: Some(bureau),
                due: match kind {
                    ReportDue => due_on(next),
                    Rectification => due_on(until),
                    _ => Due::None,
                },
                since: (kind == RenewalOffer).then_some(updated),
            };
            match kind {
                ReportDue => counted!(
                    conn,
                    limit,
                    base.filter(projects::status.eq_any(running))
                        .filter(projects::fig_next_due_on.is_not_null()),
                    sel,
                    (projects::fig_next_due_on.asc(), projects::id.asc()),
                    Row,
                    row
                ),
                Rectification => counted!(
                    conn,
                    limit,
                    base.filter(projects::status.eq(ProjectStatus::Rectifying.as_str())),
                    sel,
                    (projects::rectify_until.asc(), projects::id.asc()),
                    Row,
                    row
                ),
                _ => {
                    let started = proposals::table
                        .filter(proposals::renewal_of.eq(projects::id.nullable()))
                        .filter(proposals::status.ne(ProposalStatus::Withdrawn.as_str()));
                    counted!(
                        conn,
                        limit,
                        base.filter(projects::status.eq(ProjectStatus::Completed.as_str()))
                            .filter(
                                projects::renewal.eq_any([
                                    Renewal::FastTrack.as_str(),
                                    Renewal::Normal.as_str(),
                                ])
                            )
                            .filter(not(exists(started))),
                        sel,
                        (projects::updated_at.asc(), projects::id.asc()),
                        Row,
                        row
                    )
                }
            }
        }
        ReportReturned => counted!(
            conn,
            limit,
            reports::table
                .inner_join(projects::table)
                .inner_join(bureaus::table.on(bureaus::id.eq(projects::bureau_id)))
                .filter(projects::org_id.eq(owner))
                .filter(reports::status.eq(ReportStatus::Returned.as_str())),
            (
                reports::id,
                projects::id,
                projects::title,
                bureaus::name,
                reports::due_on
            ),
            (reports::due_on.asc(), reports::id.asc()),
            (i64, i64, String, String, NaiveDate),
            dated
        ),
        EvaluationVisit => counted!(
            conn,
            limit,
            evaluations::table
                .inner_join(projects::table)
                .inner_join(
                    organizations::table.on(organizations::id.eq(evaluations::agency_org_id))
                )
                .filter(projects::org_id.eq(owner))
                .filter(evaluations::status.eq_any([
                    EvaluationStatus::Assigned.as_str(),
                    EvaluationStatus::Returned.as_str(),
                ])),
            (
                evaluations::id,
                projects::id,
                projects::title,
                organizations::name,
                evaluations::due_on
            ),
            (evaluations::due_on.asc(), evaluations::id.asc()),
            (i64, i64, String, String, NaiveDate),
            dated
        ),
        ReviewAccept | ReviewFinish => {
            let status = if kind == ReviewAccept {
                ReviewStatus::Assigned
            } else {
                ReviewStatus::Accepted
            };
            counted!(
                conn,
                limit,
                reviews::table
                    .inner_join(proposals::table)
                    .inner_join(rounds::table.inner_join(bureaus::table))
                    .filter(reviews::reviewer_id.eq(owner))
                    .filter(reviews::status.eq(status.as_str()))
                    .filter(rounds::status.eq(RoundStatus::Reviewing.as_str())),
                (
                    reviews::id,
                    reviews::round_id,
                    proposals::title,
                    bureaus::name,
                    rounds::review_due,
                    reviews::assigned_at
                ),
                (
                    rounds::review_due.asc(),
                    reviews::assigned_at.asc(),
                    reviews::id.asc()
                ),
                (
                    i64,
                    i64,
                    String,
                    String,
                    Option<NaiveDateTime>,
                    NaiveDateTime
                ),
                |(id, parent, title, bureau, due, since)| TaskRow::of(
                    id,
                    parent,
                    title,
                    Some(bureau),
                    due_at(due),
                    Some(since)
                )
            )
        }
        EvaluationFile | EvaluationReturned => {
            let status = if kind == EvaluationFile {
                EvaluationStatus::Assigned
            } else {
                EvaluationStatus::Returned
            };
            counted!(
                conn,
                limit,
                evaluations::table
                    .inner_join(projects::table)
                    .inner_join(bureaus::table.on(bureaus::id.eq(projects::bureau_id)))
                    .filter(evaluations::evaluator_id.eq(owner))
                    .filter(evaluations::status.eq(status.as_str())),
                (
                    evaluations::id,
                    projects::id,
                    projects::title,
                    bureaus::name,
                    evaluations::due_on
                ),
                (evaluations::due_on.asc(), evaluations::id.asc()),
                (i64, i64, String, String, NaiveDate),
                dated
            )
        }
    })
}

/// A reviewer's progress in each of `round_ids`: reviews submitted and reviews held
/// (declined ones do not count), in two `GROUP BY` queries.
pub fn review_progress(
    conn: &mut DbConn,
    reviewer_id: i64,
    round_ids: &[i64],
) -> Result<HashMap<i64, Progress>, AppError> {
    let held: Vec<(i64, i64)> = reviews::table
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .filter(reviews::round_id.eq_any(round_ids))
        .filter(reviews::status.ne(ReviewStatus::DeclinedConflict.as_str()))
        .group_by(reviews::round_id)
        .select((reviews::round_id, count_star()))
        .load(conn)?;
    let done: HashMap<i64, i64> = reviews::table
        .filter(reviews::reviewer_id.eq(reviewer_id))
        .filter(reviews::round_id.eq_any(round_ids))
        .filter(reviews::status.eq(ReviewStatus::Submitted.as_str()))
        .group_by(reviews::round_id)
        .select((reviews::round_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(held
        .into_iter()
        .map(|(round, total)| {
            (
                round,
                Progress {
                    done: done.get(&round).copied().unwrap_or(0),
                    total,
                },
            )
        })
        .collect())
}
