//! The visits of a project (督导) as a reader may see them: everyone who reads the project
//! (its organization, the bureau, its evaluators, its assigned supervisors, admins) reads its
//! visits and findings; what they may do with them is said by the flags.

use chrono::NaiveDate;

use crate::auth::policy::{self, Action, Actor};
use crate::db::projects::ProjectRow;
use crate::db::schema::{projects, visits as visits_t};
use crate::db::visits::{self, FindingRow, VisitRow};
use crate::db::{today, DbConn};
use crate::domain::account::Role;
use crate::domain::project::ProjectFileKind;
use crate::domain::visit::{CheckEntry, ChecklistItem, VisitStatus};
use crate::error::AppError;
use crate::i18n::Msg;

/// A file of a visit.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitFileRef {
    pub id: i64,
    pub filename: String,
    /// `/projects/{project}/files/{id}`.
    pub link: String,
}

/// A finding with what follows from it today.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: FindingRow,
    /// It requires rectification and is not closed: it holds the next tranche.
    pub holds: bool,
    /// Unanswered past its rectification date.
    pub overdue: bool,
    /// The file of the organization's response.
    pub response_file: Option<VisitFileRef>,
}

/// A visit with its findings and photos.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitView {
    #[serde(flatten)]
    pub visit: VisitRow,
    pub findings: Vec<FindingView>,
    pub photos: Vec<VisitFileRef>,
}

impl VisitView {
    /// The recorded result of a checklist item.
    pub fn entry(&self, item: &ChecklistItem) -> Option<&CheckEntry> {
        self.visit.checklist.iter().find(|e| e.item == *item)
    }
    pub fn recorded(&self) -> bool {
        self.visit.status == VisitStatus::Recorded
    }
}

/// A project's visits, and what the reader may do.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectVisits {
    pub visits: Vec<VisitView>,
    /// Why the next tranche is held, in the reader's words (none when it is not).
    #[serde(skip)]
    pub hold: Option<Msg>,
    /// How many findings hold the next tranche.
    pub holding: usize,
    /// The reader may schedule and record visits.
    pub may_supervise: bool,
    /// The reader closes and reopens findings (the bureau's officers).
    pub may_close: bool,
    /// The reader responds to findings (the organization's members).
    pub may_respond: bool,
    /// Who may be sent (id, name), for those who schedule.
    #[serde(skip)]
    pub visitors: Vec<(i64, String)>,
}

impl ProjectVisits {
    /// The findings of every visit, for the project page.
    pub fn findings(&self) -> impl Iterator<Item = &FindingView> {
        self.visits.iter().flat_map(|v| v.findings.iter())
    }
}

/// The visits of a project the reader already may read (`find_visible_project`).
pub fn of_project(
    c: &mut DbConn,
    actor: &Actor,
    p: &ProjectRow,
) -> Result<ProjectVisits, AppError> {
    let day = today();
    let rows = visits::visits_of(c, p.id)?;
    let findings = visits::findings_of(c, p.id)?;
    let files = visits::files_of(c, p.id)?;
    let file_ref = |id: i64, name: &str| VisitFileRef {
        id,
        filename: name.to_string(),
        link: format!("/projects/{}/files/{id}", p.id),
    };
    let hold = crate::domain::visit::release_hold(
        &findings.iter().map(FindingRow::facts).collect::<Vec<_>>(),
    );
    let holding = findings.iter().filter(|f| f.facts().holds()).count();
    let views = rows
        .into_iter()
        .map(|v| VisitView {
            findings: findings
                .iter()
                .filter(|f| f.visit_id == v.id)
                .map(|f| FindingView {
                    holds: f.facts().holds(),
                    overdue: f.facts().overdue(day),
                    response_file: f.response_file_id.and_then(|fid| {
                        files
                            .iter()
                            .find(|x| x.0 == fid)
                            .map(|x| file_ref(x.0, &x.3))
                    }),
                    finding: f.clone(),
                })
                .collect(),
            photos: files
                .iter()
                .filter(|x| x.1 == Some(v.id) && x.2 == ProjectFileKind::VisitPhoto)
                .map(|x| file_ref(x.0, &x.3))
                .collect(),
            visit: v,
        })
        .collect();
    let may_supervise = p.status.running() && crate::ops::visits::may_supervise(c, actor, p)?;
    let visitors = if may_supervise {
        visits::visitors(c, p.bureau_id)?
            .into_iter()
            .filter(|(id, _, _)| actor.role != Role::Supervisor || *id == actor.id)
            .map(|(id, name, _)| (id, name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ProjectVisits {
        visits: views,
        hold,
        holding,
        may_supervise,
        may_close: policy::allows(actor, Action::ManageRounds(p.bureau_id)),
        may_respond: policy::allows(actor, Action::EditProposal(p.org_id)),
        visitors,
    })
}

/// `GET /api/v1/projects/{id}/visits`.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn for_project(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ProjectVisits, AppError> {
    let p = crate::ops::award::find_visible_project(c, actor, id)?;
    of_project(c, actor, &p)
}

/// One visit's page: the visit, its project and the project's visits (for the flags).
pub struct VisitScreen {
    pub project: ProjectRow,
    pub visit: VisitView,
    pub visits: ProjectVisits,
}

#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn visit(c: &mut DbConn, actor: &Actor, id: i64) -> Result<VisitScreen, AppError> {
    let (_, project) = crate::ops::visits::find_visit(c, actor, id)?;
    let mut visits = of_project(c, actor, &project)?;
    let at = visits
        .visits
        .iter()
        .position(|v| v.visit.id == id)
        .ok_or(AppError::NotFound)?;
    let visit = visits.visits.remove(at);
    Ok(VisitScreen {
        project,
        visit,
        visits,
    })
}

/// A line of the visits list.
#[derive(Debug, Clone, diesel::Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct VisitLine {
    pub id: i64,
    pub project_id: i64,
    pub project_title: String,
    pub agreement_no: String,
    pub scheduled_on: NaiveDate,
    pub status: VisitStatus,
    pub visited_on: Option<NaiveDate>,
}

/// The most visits the list shows.
pub const LIST_LIMIT: i64 = 200;

/// The visits a supervisor makes, or an officer's bureau's; the latest first.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn list(c: &mut DbConn, actor: &Actor) -> Result<Vec<VisitLine>, AppError> {
    use diesel::prelude::*;
    let mut q = visits_t::table
        .inner_join(projects::table)
        .select((
            visits_t::id,
            visits_t::project_id,
            projects::title,
            projects::agreement_no,
            visits_t::scheduled_on,
            visits_t::status,
            visits_t::visited_on,
        ))
        .order((visits_t::scheduled_on.desc(), visits_t::id.desc()))
        .limit(LIST_LIMIT)
        .into_boxed();
    q = match (actor.role, actor.bureau_id) {
        (Role::Supervisor, _) => q.filter(visits_t::visitor_id.eq(actor.id)),
        (Role::Officer, Some(b)) => q.filter(projects::bureau_id.eq(b)),
        _ => return Err(AppError::Forbidden),
    };
    Ok(q.load::<VisitLine>(c)?)
}
