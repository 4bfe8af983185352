//! The work queue (工作台): what waits for a person, by kind, and in which order — overdue
//! first, then the nearest due date, then what has waited longest. Dates are Beijing calendar
//! dates (DESIGN §3): a deadline instant is due on the Beijing date it falls in, midnight
//! reading as 24:00 of the day before (the way [`super::calendar::format_deadline`] prints it).

use std::cmp::Ordering;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::account::Role;
use super::calendar::beijing_date;

str_enum!(
    /// What an item of a work queue asks for (labels: `TaskKind.*`).
    TaskKind {
        // An officer's (and, for organizations and emails, an admin's).
        /// A registered NGO waits for verification.
        OrgVerify = "org_verify",
        /// A submitted proposal waits for screening (形式审查).
        ProposalScreen = "proposal_screen",
        /// A proposal returned for correction is past its correction deadline.
        ReturnOverdue = "return_overdue",
        /// A review is not submitted and the round's review deadline has passed.
        ReviewOverdue = "review_overdue",
        /// Every review of a round is in (or the review is closed): the decision waits.
        RoundDecision = "round_decision",
        /// A confirmed objection (异议) waits for its answer.
        ObjectionAnswer = "objection_answer",
        /// A public notice (公示) runs and ends on its due date; then the round is finalised.
        NoticeEnding = "notice_ending",
        /// An awarded project's signed agreement is not recorded yet.
        AgreementRecord = "agreement_record",
        /// A tranche may be paid (its condition holds): the payment is due.
        TrancheRelease = "tranche_release",
        /// A submitted report waits for acceptance.
        ReportReview = "report_review",
        /// A running project has no evaluation under way and no accepted final one.
        EvaluationAssign = "evaluation_assign",
        /// A submitted evaluation waits for acceptance.
        EvaluationAccept = "evaluation_accept",
        /// An evaluation's call-back sample (抽样回访) confirmed fewer people served than the
        /// round's threshold: to look at before accepting it.
        SampleFlagged = "sample_flagged",
        /// A project in rectification (整改) is past its deadline.
        RectificationOverdue = "rectification_overdue",
        /// A change request (项目变更) waits for the officer's decision.
        ChangeDecide = "change_decide",
        /// A fast-track renewal (续期) waits for the officer's approval on the decision page.
        RenewalApprove = "renewal_approve",
        /// A visit's finding required rectification (整改) by a date that has passed with no
        /// response from the organization.
        FindingOverdue = "finding_overdue",
        /// The organization responded to a finding: the bureau closes (or keeps) it.
        FindingResponded = "finding_responded",
        /// A supervision visit (督导) scheduled for this person (an officer or a supervisor).
        VisitScheduled = "visit_scheduled",
        /// An email the worker gave up on (admins).
        FailedEmail = "failed_email",
        // An NGO's.
        /// A draft proposal in an open round, due by the round's deadline.
        ProposalDraft = "proposal_draft",
        /// A proposal returned for correction (退回补正), due by its correction deadline.
        ProposalReturned = "proposal_returned",
        /// A milestone report is due (or overdue) on the plan's date.
        ReportDue = "report_due",
        /// A report returned by the officer waits for correction.
        ReportReturned = "report_returned",
        /// The project is in rectification until its deadline.
        Rectification = "rectification",
        /// An evaluation agency evaluates the project (a visit to prepare for).
        EvaluationVisit = "evaluation_visit",
        /// A completed project may renew (续期资助).
        RenewalOffer = "renewal_offer",
        /// A visit's finding requires rectification by its date.
        FindingRectify = "finding_rectify",
        // A reviewer's.
        /// An assigned review waits to be accepted (or declined with a conflict).
        ReviewAccept = "review_accept",
        /// An accepted review waits to be scored and submitted.
        ReviewFinish = "review_finish",
        // An evaluator's.
        /// An assigned evaluation waits to be filed.
        EvaluationFile = "evaluation_file",
        /// A filed evaluation was returned for correction.
        EvaluationReturned = "evaluation_returned",
    }
);

impl TaskKind {
    /// The kinds that wait for a role, in the order the 工作台 lists their counts.
    pub fn for_role(role: Role) -> &'static [TaskKind] {
        use TaskKind::*;
        match role {
            Role::Officer => &[
                OrgVerify,
                ProposalScreen,
                ReturnOverdue,
                ReviewOverdue,
                RoundDecision,
                ObjectionAnswer,
                NoticeEnding,
                AgreementRecord,
                TrancheRelease,
                ReportReview,
                EvaluationAssign,
                EvaluationAccept,
                SampleFlagged,
                RectificationOverdue,
                ChangeDecide,
                RenewalApprove,
                FindingOverdue,
                FindingResponded,
                VisitScheduled,
            ],
            Role::Admin => &[OrgVerify, FailedEmail],
            Role::Ngo => &[
                ProposalDraft,
                ProposalReturned,
                ReportDue,
                ReportReturned,
                Rectification,
                EvaluationVisit,
                RenewalOffer,
                FindingRectify,
            ],
            Role::Reviewer => &[ReviewAccept, ReviewFinish],
            Role::Evaluator => &[EvaluationFile, EvaluationReturned],
            Role::Supervisor => &[VisitScheduled],
        }
    }

    /// The page of an item of this kind: `id` is the item's object, `parent` the round or
    /// project it belongs to. `None` where no page shows it (a failed email).
    pub fn link(self, id: i64, parent: i64) -> Option<String> {
        use TaskKind::*;
        Some(match self {
            OrgVerify => format!("/orgs/{id}"),
            ProposalScreen | ReturnOverdue | ProposalDraft | ProposalReturned => {
                format!("/proposals/{id}")
            }
            ReviewOverdue => format!("/rounds/{parent}/review"),
            RoundDecision => format!("/rounds/{id}/decision"),
            RenewalApprove => format!("/rounds/{parent}/decision"),
            ObjectionAnswer => format!("/rounds/{parent}/notice"),
            NoticeEnding => format!("/rounds/{id}/notice"),
            AgreementRecord | TrancheRelease | EvaluationAssign | RectificationOverdue
            | ReportDue | Rectification | EvaluationVisit | RenewalOffer => {
                format!("/projects/{parent}")
            }
            ReportReview | ReportReturned => format!("/reports/{id}"),
            EvaluationAccept | EvaluationFile | EvaluationReturned => {
                format!("/evaluations/{id}")
            }
            SampleFlagged => format!("/evaluations/{id}/sample"),
            ReviewAccept | ReviewFinish => format!("/reviews/{id}"),
            VisitScheduled => format!("/visits/{id}"),
            FindingOverdue | FindingResponded | FindingRectify => {
                format!("/visits/{parent}#finding-{id}")
            }
            ChangeDecide => format!("/changes/{id}"),
            FailedEmail => return None,
        })
    }
}

/// The Beijing date a deadline instant (UTC) falls due: the date of its last moment, so a
/// deadline at 00:00 Beijing is due the day before (24:00).
pub fn due_date_of(deadline: NaiveDateTime) -> NaiveDate {
    beijing_date(deadline - Duration::microseconds(1))
}

/// Days from `today` to `due`: 0 when due today, negative when overdue.
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

/// How urgent an item is, for its badge.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    DueToday,
    /// Due within [`SOON_DAYS`] days.
    DueSoon,
    Later,
    /// No due date: waiting since it arrived.
    Undated,
}

/// An item due within this many days is "due soon".
pub const SOON_DAYS: i64 = 3;

impl Urgency {
    pub fn of(days_left: Option<i64>) -> Urgency {
        match days_left {
            None => Urgency::Undated,
            Some(d) if d < 0 => Urgency::Overdue,
            Some(0) => Urgency::DueToday,
            Some(d) if d <= SOON_DAYS => Urgency::DueSoon,
            Some(_) => Urgency::Later,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::DueToday => "due_today",
            Urgency::DueSoon => "due_soon",
            Urgency::Later => "later",
            Urgency::Undated => "undated",
        }
    }
}

/// A reviewer's progress in a round: "已完成 done/total".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
}

/// One item of a work queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Task {
    pub kind: TaskKind,
    /// The item's object (organization, proposal, review, round, report, evaluation,
    /// project, tranche or email).
    pub id: i64,
    /// What the item is about: a proposal's or project's title, an organization's name…
    pub title: String,
    /// The page of the object; none for an item no page shows (a failed email).
    pub link: Option<String>,
    /// Who waits on it (the organization, the reviewer, the bureau…), when one does.
    pub waiting: Option<String>,
    /// The deadline as an instant (UTC), for items whose deadline has a time of day.
    pub due_at: Option<NaiveDateTime>,
    /// The Beijing date it is due.
    pub due_on: Option<NaiveDate>,
    /// Days from today (Beijing) to `due_on`: 0 due today, negative overdue.
    pub days_left: Option<i64>,
    pub urgency: Urgency,
    /// Since when it waits (UTC), for items without a due date.
    pub since: Option<NaiveDateTime>,
    /// For a reviewer's items: the reviews of that round done and assigned.
    pub progress: Option<Progress>,
}

/// When an item is due, as read from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    None,
    /// A deadline instant (UTC).
    At(NaiveDateTime),
    /// A calendar date.
    On(NaiveDate),
}

impl Task {
    /// An item with its due date and days left as of `today` (Beijing).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: TaskKind,
        id: i64,
        parent: i64,
        title: String,
        waiting: Option<String>,
        due: Due,
        since: Option<NaiveDateTime>,
        today: NaiveDate,
    ) -> Task {
        let (due_at, due_on) = match due {
            Due::None => (None, None),
            Due::At(at) => (Some(at), Some(due_date_of(at))),
            Due::On(d) => (None, Some(d)),
        };
        let days_left = due_on.map(|d| days_left(d, today));
        Task {
            kind,
            id,
            title,
            link: kind.link(id, parent),
            waiting: waiting.filter(|w| !w.trim().is_empty()),
            due_at,
            due_on,
            days_left,
            urgency: Urgency::of(days_left),
            since,
            progress: None,
        }
    }
}

/// The urgency order: dated items first by due date (so overdue ones lead, the most overdue
/// first), then by deadline time within a day (a date alone runs to the day's end); then undated ones, the longest waiting first;
/// ties by kind and id, so the order is stable.
pub fn by_urgency(a: &Task, b: &Task) -> Ordering {
    let dated = |t: &Task| t.due_on.is_none();
    dated(a)
        .cmp(&dated(b))
        .then(a.due_on.cmp(&b.due_on))
        // Within a day, a deadline at a time of day before one that runs to the day's end.
        .then(a.due_at.is_none().cmp(&b.due_at.is_none()))
        .then(a.due_at.cmp(&b.due_at))
        .then_with(|| match (a.since, b.since) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then(kind_rank(a.kind).cmp(&kind_rank(b.kind)))
        .then(a.id.cmp(&b.id))
}

fn kind_rank(k: TaskKind) -> usize {
    TaskKind::ALL
        .iter()
        .position(|x| *x == k)
        .unwrap_or(usize::MAX)
}

/// Sorts by [`by_urgency`] and keeps the first `limit`.
pub fn most_urgent(mut tasks: Vec<Task>, limit: usize) -> Vec<Task> {
    tasks.sort_by(by_urgency);
    tasks.truncate(limit);
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn task(kind: TaskKind, id: i64, due: Due, since: Option<&str>) -> Task {
        Task::new(
            kind,
            id,
            1,
            format!("t{id}"),
            None,
            due,
            since.map(utc),
            d("2026-12-10"),
        )
    }

    #[test]
    fn days_left_count_beijing_dates_and_go_negative_when_overdue() {
        let today = d("2026-12-10");
        assert_eq!(days_left(d("2026-12-10"), today), 0);
        assert_eq!(days_left(d("2026-12-13"), today), 3);
        assert_eq!(days_left(d("2026-12-08"), today), -2);
        // 2026-12-10 17:00 UTC is 2026-12-11 01:00 in Beijing.
        assert_eq!(due_date_of(utc("2026-12-10 17:00")), d("2026-12-11"));
        // Midnight Beijing (16:00 UTC the day before) is 24:00 of the day before.
        assert_eq!(due_date_of(utc("2026-12-10 16:00")), d("2026-12-10"));
        assert_eq!(due_date_of(utc("2026-12-10 15:59")), d("2026-12-10"));
    }

    #[test]
    fn urgency_bands() {
        assert_eq!(Urgency::of(Some(-1)), Urgency::Overdue);
        assert_eq!(Urgency::of(Some(0)), Urgency::DueToday);
        assert_eq!(Urgency::of(Some(SOON_DAYS)), Urgency::DueSoon);
        assert_eq!(Urgency::of(Some(SOON_DAYS + 1)), Urgency::Later);
        assert_eq!(Urgency::of(None), Urgency::Undated);
        let t = task(TaskKind::ReportDue, 1, Due::On(d("2026-12-01")), None);
        assert_eq!((t.days_left, t.urgency), (Some(-9), Urgency::Overdue));
    }

    #[test]
    fn overdue_first_then_nearest_due_then_longest_waiting() {
        let tasks = vec![
            task(
                TaskKind::ProposalScreen,
                1,
                Due::None,
                Some("2026-12-05 08:00"),
            ),
            task(TaskKind::ReportDue, 2, Due::On(d("2026-12-20")), None),
            task(
                TaskKind::ReviewOverdue,
                3,
                Due::At(utc("2026-12-01 09:00")),
                None,
            ),
            task(TaskKind::OrgVerify, 4, Due::None, Some("2026-12-01 08:00")),
            task(
                TaskKind::ProposalReturned,
                5,
                Due::At(utc("2026-12-12 01:00")),
                None,
            ),
            task(TaskKind::ReportReturned, 6, Due::On(d("2026-11-20")), None),
            task(TaskKind::NoticeEnding, 7, Due::On(d("2026-12-12")), None),
            task(TaskKind::TrancheRelease, 8, Due::None, None),
        ];
        let order: Vec<i64> = most_urgent(tasks.clone(), 100)
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(order, vec![6, 3, 5, 7, 2, 4, 1, 8]);
        // Any input order gives the same order.
        let mut rev = tasks;
        rev.reverse();
        let again: Vec<i64> = most_urgent(rev, 3).iter().map(|t| t.id).collect();
        assert_eq!(again, vec![6, 3, 5]);
    }

    #[test]
    fn every_role_has_its_kinds_and_links_point_at_the_object() {
        for role in Role::ALL {
            assert!(!TaskKind::for_role(role).is_empty(), "{role:?}");
        }
        // Every kind belongs to some role.
        for k in TaskKind::ALL {
            assert!(
                Role::ALL.iter().any(|r| TaskKind::for_role(*r).contains(k)),
                "{k}"
            );
        }
        assert_eq!(
            TaskKind::ReportReview.link(7, 3).as_deref(),
            Some("/reports/7")
        );
        assert_eq!(
            TaskKind::ReviewOverdue.link(7, 3).as_deref(),
            Some("/rounds/3/review")
        );
        assert_eq!(TaskKind::FailedEmail.link(7, 3), None);
        let t = Task::new(
            TaskKind::OrgVerify,
            1,
            0,
            "x".into(),
            Some("  ".into()),
            Due::None,
            None,
            d("2026-12-10"),
        );
        assert_eq!(t.waiting, None);
    }
}
