//! Renewal (续期资助, DESIGN §2.6): a completed project whose final evaluation opened a
//! renewal starts a proposal in a later open round of the bureau, pre-filled from the
//! project. A fast-track renewal (优秀) skips expert review and waits for the officer's
//! approval on the decision page; a normal renewal (良好) is reviewed like any proposal,
//! with its grade shown to reviewers.

use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::{self, Change};
use crate::db::{self, evaluations, projects, proposals, rounds, DbConn};
use crate::domain::evaluation::Renewal;
use crate::error::AppError;

/// The renewal a completed project may ask for, if any.
#[tracing::instrument(skip_all, fields(project_id))]
pub fn renewal_of(conn: &mut DbConn, project_id: i64) -> Result<Option<Renewal>, AppError> {
    let p = projects::project(conn, project_id)?;
    if p.status != crate::domain::project::ProjectStatus::Completed {
        return Ok(None);
    }
    let (_, renewal, _) = projects::outcome(conn, project_id)?;
    Ok(renewal
        .as_deref()
        .and_then(Renewal::parse)
        .filter(|r| *r != Renewal::NoRenewal))
}

/// The final evaluation's score (tenths) and grade of a project.
#[tracing::instrument(skip_all, fields(project_id))]
pub fn final_result(conn: &mut DbConn, project_id: i64) -> Result<Option<(i32, String)>, AppError> {
    Ok(evaluations::accepted_final(conn, project_id)?
        .and_then(|e| Some((e.total_tenths?, e.grade?))))
}

/// Starts (or returns) the renewal proposal of a project in an open round of its bureau.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id, round_id))]
pub fn start(
    conn: &mut DbConn,
    actor: &Actor,
    project_id: i64,
    round_id: i64,
) -> Result<i64, AppError> {
    let p = projects::project(conn, project_id)?;
    policy::require(actor, Action::EditProposal(p.org_id))?;
    let track =
        renewal_of(conn, project_id)?.ok_or_else(|| AppError::conflict("error.no_renewal"))?;
    let round = rounds::find(conn, round_id)?;
    if round.bureau_id != p.bureau_id || round.id == p.round_id {
        return Err(AppError::conflict("error.renewal_round"));
    }
    if let Some(id) = proposals::renewal_in_round(conn, project_id, round_id)? {
        return Ok(id);
    }
    let id = super::proposals::start(conn, actor, round_id)?;
    let old = proposals::find(conn, p.proposal_id)?.content();
    let latest = projects::latest_filed(&projects::reports(conn, project_id)?).unwrap_or_default();
    let grade = final_result(conn, project_id)?
        .map(|(_, g)| g)
        .unwrap_or_default();
    let mut content = old.clone();
    content.title = format!("{}（续期）", old.title.trim_end_matches("（续期）"));
    content.start_date = None;
    content.end_date = None;
    content.milestones = Vec::new();
    content.summary = format!(
        "{}\n前期项目 {}（{}）已结项，末期评估 {}，累计服务 {} 人、{} 人次。",
        old.summary,
        p.agreement_no,
        p.round_title,
        grade,
        latest.unique_total(),
        latest.person_times_total()
    );
    db::write_tx(conn, |c| {
        proposals::save_content(c, id, 1, &content)?;
        proposals::set_renewal(c, id, project_id, track)?;
        audit::append(
            c,
            Change::new(Some(actor), "proposal.renewal_started", "proposal", id)
                .after(serde_json::json!({"project_id": project_id, "track": track.as_str()})),
        )?;
        Ok(id)
    })
}
