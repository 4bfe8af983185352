//! The background worker: sends the outbox, closes rounds at their deadline, reminds
//! reviewers and purges ended sessions. Safe to run in several instances at once.
//!
//! Every task reads the time from the clock installed for it ([`Clock::scope`]); [`step`]
//! installs the app's. The worker's rest between passes is elapsed time and stays on the
//! system's `Instant`.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbConn, DbPool};
use crate::error::AppError;
use crate::mail::transport::Transport;

/// Runs `f` on a pooled connection off the async executor, with the current clock installed.
async fn blocking<T, F>(pool: &DbPool, f: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    let clock = Clock::current();
    tokio::task::spawn_blocking(move || {
        clock.enter(|| {
            let mut conn = pool.get()?;
            f(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))
        })
    })
    .await?
}

/// The most messages one pass claims and sends.
pub const MAIL_BATCH: i64 = 20;

/// Sends one batch of what is due, at most `mail_per_minute_per_bureau` per bureau in any
/// rolling minute; what the cap holds back stays queued for a later pass. Returns how many
/// messages were sent and how many due ones the cap held back.
pub async fn send_due(
    pool: &DbPool,
    transport: &Transport,
    settings: &Settings,
) -> anyhow::Result<(usize, usize)> {
    let cap = settings.mail_per_minute_per_bureau;
    let (claimed, deferred) = blocking(pool, move |c| {
        db::outbox::claim_capped(c, MAIL_BATCH, chrono::Duration::minutes(5), cap)
    })
    .await?;
    if deferred > 0 {
        tracing::info!(deferred, "emails held back by the per-bureau cap");
        crate::telemetry::record_mail_deferred(deferred);
    }
    let from = settings.mail_from.as_str();
    let mut sent = 0;
    for m in claimed {
        let result = transport.send(from, &m).await;
        let ok = result.is_ok();
        blocking(pool, move |c| match result {
            Ok(()) => db::outbox::mark_sent(c, m.id),
            Err(e) => {
                tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "email not sent; will retry");
                db::outbox::mark_failed(c, m.id, m.attempts, &e)
            }
        })
        .await?;
        if ok {
            sent += 1;
        }
    }
    Ok((sent, deferred))
}

/// Moves rounds whose application deadline passed to screening.
pub async fn close_due_rounds(pool: &DbPool) -> anyhow::Result<usize> {
    blocking(pool, crate::ops::rounds::close_due).await
}

/// Opens the scheduled notices whose start has come.
pub async fn open_due_notices(pool: &DbPool, settings: Arc<Settings>) -> anyhow::Result<usize> {
    blocking(pool, move |c| {
        crate::ops::award::open_due_notices(c, &settings)
    })
    .await
}

/// Queues due review reminders.
pub async fn review_reminders(pool: &DbPool, settings: Arc<Settings>) -> anyhow::Result<usize> {
    blocking(pool, move |c| {
        crate::ops::reviews::send_review_reminders(c, &settings)
    })
    .await
}

/// Queues due milestone-report and evaluation reminders.
pub async fn report_reminders(pool: &DbPool, settings: Arc<Settings>) -> anyhow::Result<usize> {
    blocking(pool, move |c| {
        let reports = crate::ops::execution::send_report_reminders(c, &settings)?;
        let evaluations = crate::ops::evaluation::send_reminders(c, &settings)?;
        Ok(reports + evaluations)
    })
    .await
}

/// Deletes objections never confirmed in time and abuse-limit counters whose window ended a
/// day ago; returns how many objections went.
pub async fn housekeeping(pool: &DbPool) -> anyhow::Result<usize> {
    blocking(pool, |c| {
        let purged = crate::ops::award::purge_unconfirmed_objections(c)?;
        crate::db::throttle::purge(c, db::now() - chrono::Duration::days(1))?;
        Ok(purged)
    })
    .await
}

/// Anonymises the rosters whose retention after their project ended has passed (names and
/// identity numbers blanked, counts kept; audited); returns how many lines.
pub async fn anonymise_rosters(pool: &DbPool) -> anyhow::Result<usize> {
    blocking(pool, crate::ops::rosters::anonymise_due).await
}

/// How often the report reminders are looked for (they are per day, not per second).
const REPORT_REMINDER_EVERY: Duration = Duration::from_secs(60);

/// Deletes sessions that ended (expired or signed out) some days ago.
pub async fn purge_sessions(pool: &DbPool) -> anyhow::Result<usize> {
    blocking(pool, crate::ops::sessions::purge).await
}

/// How often ended sessions are purged.
const SESSION_PURGE_EVERY: Duration = Duration::from_secs(600);

/// Which tasks one worker step runs besides closing rounds, review reminders and sending the
/// outbox (which run in every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tasks {
    /// Milestone-report and evaluation reminders, and housekeeping (with the rosters'
    /// retention).
    pub reports_and_housekeeping: bool,
    /// Purging ended sessions.
    pub sessions: bool,
}

impl Tasks {
    /// Everything (what tests and a one-off run want).
    pub const ALL: Tasks = Tasks {
        reports_and_housekeeping: true,
        sessions: true,
    };
}

/// What one worker step did. A failing task is logged and listed in `errors`; the step goes
/// on with the next task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    pub rounds_closed: usize,
    /// Scheduled notices opened to the public.
    pub notices_opened: usize,
    pub review_reminders: usize,
    /// Milestone-report and evaluation reminders queued.
    pub report_reminders: usize,
    pub objections_purged: usize,
    /// Roster lines anonymised at the end of their retention period.
    pub roster_lines_anonymised: usize,
    pub sessions_purged: usize,
    pub emails_sent: usize,
    /// Due emails the per-bureau cap held back for a later pass.
    pub emails_deferred: usize,
    pub errors: Vec<String>,
}

/// One pass of the worker: closes rounds whose deadline passed, opens scheduled notices, queues the reminders that are
/// due, runs the `tasks` asked for, then sends what the outbox holds. The worker loop calls it
/// every `worker_interval_ms`; tests call it to advance the worker one step. The tasks read
/// the time from `clock`.
pub async fn step(
    pool: &DbPool,
    settings: &Arc<Settings>,
    transport: &Transport,
    clock: &Clock,
    tasks: Tasks,
) -> StepReport {
    clock
        .scope(run_tasks(pool, settings, transport, tasks))
        .await
}

async fn run_tasks(
    pool: &DbPool,
    settings: &Arc<Settings>,
    transport: &Transport,
    tasks: Tasks,
) -> StepReport {
    let mut report = StepReport::default();
    let mut errors = Vec::new();
    match close_due_rounds(pool).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(rounds = n, "rounds closed for applications");
            }
            report.rounds_closed = n;
        }
        Err(e) => errors.push(failed("closing rounds", e)),
    }
    match open_due_notices(pool, settings.clone()).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(notices = n, "scheduled notices opened");
            }
            report.notices_opened = n;
        }
        Err(e) => errors.push(failed("opening scheduled notices", e)),
    }
    match review_reminders(pool, settings.clone()).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(reminders = n, "review reminders queued");
            }
            report.review_reminders = n;
        }
        Err(e) => errors.push(failed("review reminders", e)),
    }
    if tasks.reports_and_housekeeping {
        match report_reminders(pool, settings.clone()).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(reminders = n, "report reminders queued");
                }
                report.report_reminders = n;
            }
            Err(e) => errors.push(failed("report reminders", e)),
        }
        match housekeeping(pool).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(objections = n, "unconfirmed objections purged");
                }
                report.objections_purged = n;
            }
            Err(e) => errors.push(failed("housekeeping", e)),
        }
        match anonymise_rosters(pool).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(lines = n, "roster lines anonymised");
                }
                report.roster_lines_anonymised = n;
            }
            Err(e) => errors.push(failed("anonymising rosters", e)),
        }
    }
    if tasks.sessions {
        match purge_sessions(pool).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(sessions = n, "ended sessions purged");
                }
                report.sessions_purged = n;
            }
            Err(e) => errors.push(failed("purging sessions", e)),
        }
    }
    match send_due(pool, transport, settings).await {
        Ok((n, deferred)) => {
            if n > 0 {
                tracing::info!(sent = n, "emails sent");
            }
            report.emails_sent = n;
            report.emails_deferred = deferred;
        }
        Err(e) => errors.push(failed("sending emails", e)),
    }
    report.errors = errors;
    report
}

/// Logs a failed task and describes it for the step's report.
fn failed(what: &str, e: anyhow::Error) -> String {
    tracing::error!(error = %e, "{what} failed");
    format!("{what}: {e:#}")
}

/// Runs the worker loop until the process ends.
pub fn spawn_worker(
    pool: DbPool,
    settings: Arc<Settings>,
    clock: Clock,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let transport = Transport::from_settings(&settings)?;
    tracing::info!(transport = %transport.describe(), "email worker started");
    Ok(tokio::spawn(async move {
        let interval = Duration::from_millis(settings.worker_interval_ms.max(100));
        let mut reports_checked: Option<std::time::Instant> = None;
        let mut sessions_purged: Option<std::time::Instant> = None;
        loop {
            let pass_started = std::time::Instant::now();
            let tasks = Tasks {
                reports_and_housekeeping: reports_checked
                    .is_none_or(|t| t.elapsed() >= REPORT_REMINDER_EVERY),
                sessions: sessions_purged.is_none_or(|t| t.elapsed() >= SESSION_PURGE_EVERY),
            };
            if tasks.reports_and_housekeeping {
                reports_checked = Some(std::time::Instant::now());
            }
            if tasks.sessions {
                sessions_purged = Some(std::time::Instant::now());
            }
            step(&pool, &settings, &transport, &clock, tasks).await;
            crate::telemetry::worker_rest(pass_started, interval).await;
        }
    }))
}
