//! The background worker: sends the outbox, closes rounds at their deadline, reminds
//! reviewers and purges ended sessions. Safe to run in several instances at once.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::mail::transport::Transport;

/// Sends what is due once; returns how many messages were sent.
pub async fn send_due(pool: &DbPool, transport: &Transport, from: &str) -> anyhow::Result<usize> {
    let p = pool.clone();
    let claimed = tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        db::outbox::claim_due(&mut conn, 20, chrono::Duration::minutes(5))
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await??;
    let mut sent = 0;
    for m in claimed {
        let result = transport.send(from, &m).await;
        let p = pool.clone();
        let ok = result.is_ok();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut conn = p.get()?;
            match result {
                Ok(()) => db::outbox::mark_sent(&mut conn, m.id),
                Err(e) => {
                    tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "email not sent; will retry");
                    db::outbox::mark_failed(&mut conn, m.id, m.attempts, &e)
                }
            }
            .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await??;
        if ok {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Moves rounds whose application deadline passed to screening.
pub async fn close_due_rounds(pool: &DbPool) -> anyhow::Result<usize> {
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        crate::ops::rounds::close_due(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

/// Queues due review reminders.
pub async fn review_reminders(pool: &DbPool, settings: Arc<Settings>) -> anyhow::Result<usize> {
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        crate::ops::reviews::send_review_reminders(&mut conn, &settings)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

/// Queues due milestone-report and evaluation reminders.
pub async fn report_reminders(pool: &DbPool, settings: Arc<Settings>) -> anyhow::Result<usize> {
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        let reports = crate::ops::execution::send_report_reminders(&mut conn, &settings)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let evaluations = crate::ops::evaluation::send_reminders(&mut conn, &settings)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(reports + evaluations)
    })
    .await?
}

/// Deletes objections never confirmed in time and abuse-limit counters whose window ended a
/// day ago; returns how many objections went.
pub async fn housekeeping(pool: &DbPool) -> anyhow::Result<usize> {
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        let purged = crate::ops::award::purge_unconfirmed_objections(&mut conn)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::db::throttle::purge(&mut conn, db::now() - chrono::Duration::days(1))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(purged)
    })
    .await?
}

/// How often the report reminders are looked for (they are per day, not per second).
const REPORT_REMINDER_EVERY: Duration = Duration::from_secs(60);

/// Deletes sessions that ended (expired or signed out) some days ago.
pub async fn purge_sessions(pool: &DbPool) -> anyhow::Result<usize> {
    let p = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = p.get()?;
        crate::ops::sessions::purge(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

/// How often ended sessions are purged.
const SESSION_PURGE_EVERY: Duration = Duration::from_secs(600);

/// Runs the worker loop until the process ends.
pub fn spawn_worker(
    pool: DbPool,
    settings: Arc<Settings>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let transport = Transport::from_settings(&settings)?;
    tracing::info!(transport = %transport.describe(), "email worker started");
    Ok(tokio::spawn(async move {
        let interval = Duration::from_millis(settings.worker_interval_ms.max(100));
        let mut reports_checked: Option<std::time::Instant> = None;
        let mut sessions_purged: Option<std::time::Instant> = None;
        loop {
            let pass_started = std::time::Instant::now();
            match close_due_rounds(&pool).await {
                Ok(n) if n > 0 => tracing::info!(rounds = n, "rounds closed for applications"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "closing rounds failed"),
            }
            if let Err(e) = review_reminders(&pool, settings.clone()).await {
                tracing::error!(error = %e, "review reminders failed");
            }
            if reports_checked.is_none_or(|t| t.elapsed() >= REPORT_REMINDER_EVERY) {
                reports_checked = Some(std::time::Instant::now());
                match report_reminders(&pool, settings.clone()).await {
                    Ok(n) if n > 0 => tracing::info!(reminders = n, "report reminders queued"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "report reminders failed"),
                }
                match housekeeping(&pool).await {
                    Ok(n) if n > 0 => {
                        tracing::info!(objections = n, "unconfirmed objections purged")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "housekeeping failed"),
                }
            }
            if sessions_purged.is_none_or(|t| t.elapsed() >= SESSION_PURGE_EVERY) {
                sessions_purged = Some(std::time::Instant::now());
                match purge_sessions(&pool).await {
                    Ok(n) if n > 0 => tracing::info!(sessions = n, "ended sessions purged"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "purging sessions failed"),
                }
            }
            match send_due(&pool, &transport, &settings.mail_from).await {
                Ok(n) if n > 0 => tracing::info!(sent = n, "emails sent"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "email worker error"),
            }
            crate::telemetry::worker_rest(pass_started, interval).await;
        }
    }))
}
