//! The version of what the public pages show (calls, notices, results). Every audited action
//! that changes them bumps it in its own transaction (see [`audit::append`](super::audit::append)),
//! so each instance's page cache learns of a change made by any instance with one indexed read.

use diesel::prelude::*;

use super::schema::counters;
use super::DbConn;
use crate::error::AppError;

/// The `counters` row holding the version.
const COUNTER: &str = "public_pages";

/// Audited actions whose change the public pages (or their API twins) show: round lifecycle
/// and content, the award list and its objections, funded projects and what their results
/// page counts. Prefixes end in `.`; other entries are whole actions.
const PUBLIC_ACTIONS: &[&str] = &[
    "round.",
    "award.",
    "decision.",
    "objection.answered",
    "proposal.withdrawn",
    "project.",
    "report.accepted",
    "tranche.",
    "evaluation.accepted",
];

/// Actions under a public prefix that change nothing shown (a read is audited too).
const PRIVATE_ACTIONS: &[&str] = &["project.viewed_by_admin"];

/// Whether an audited action changes what the public pages show.
pub fn changes_public_pages(action: &str) -> bool {
    !PRIVATE_ACTIONS.contains(&action)
        && PUBLIC_ACTIONS.iter().any(|p| {
            if p.ends_with('.') {
                action.starts_with(p)
            } else {
                action == *p
            }
        })
}

/// The current version (0 before the first change).
pub fn version(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(counters::table
        .find(COUNTER)
        .select(counters::value)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Moves the version on, inside the caller's transaction.
pub fn bump(conn: &mut DbConn) -> Result<i64, AppError> {
    super::next_in_counter(conn, COUNTER)
}

#[cfg(test)]
mod tests {
    use super::changes_public_pages;

    #[test]
    fn officer_actions_on_public_matters_change_the_pages_and_others_do_not() {
        for a in [
            "round.published",
            "round.notice_published",
            "award.removed",
            "objection.answered",
            "project.created",
            "report.accepted",
            "tranche.payment",
        ] {
            assert!(changes_public_pages(a), "{a}");
        }
        for a in [
            "objection.filed",
            "report.submitted",
            "project.viewed_by_admin",
            "user.signed_up",
            "proposal.submitted",
            "roundabout",
        ] {
            assert!(!changes_public_pages(a), "{a}");
        }
    }
}
