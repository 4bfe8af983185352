//! Change requests (项目变更) as the project's changes page, the request's page and the API
//! show them: the requests with their outcome, every version of the plan, and what the
//! reader may do.

use crate::auth::policy::{self, Action, Actor};
use crate::db::changes::{self, ChangeRow, PlanVersionRow};
use crate::db::projects::{self, FileMeta, ProjectRow};
use crate::db::DbConn;
use crate::domain::change::{ChangeKind, ChangeRules, ChangeStatus};
use crate::domain::project::ProjectStatus;
use crate::domain::proposal::ProposalContent;
use crate::error::AppError;

/// A project's change requests and plan versions.
#[derive(Debug, Clone)]
pub struct ProjectChanges {
    pub project: ProjectRow,
    /// The plan in force and its version (1: as awarded).
    pub plan: ProposalContent,
    pub plan_version: i32,
    /// Newest first.
    pub changes: Vec<ChangeRow>,
    /// Every stored version, oldest first (empty while no change applied: version 1 is the
    /// plan in force).
    pub versions: Vec<PlanVersionRow>,
    pub rules: ChangeRules,
    /// The round's indicator tree, which revised targets follow.
    pub targets: crate::domain::target::TargetRules,
    /// The reader may file and withdraw (a member of the organization, the project active).
    pub can_file: bool,
    /// The reader decides (the bureau's officer).
    pub officer: bool,
}

impl ProjectChanges {
    /// The kinds with an open request.
    pub fn open_kinds(&self) -> Vec<ChangeKind> {
        self.changes
            .iter()
            .filter(|c| c.status == ChangeStatus::Open)
            .map(|c| c.kind)
            .collect()
    }
}

/// The change requests and plan versions of a project the actor may read.
#[tracing::instrument(skip_all, fields(user = actor.id, project_id))]
pub fn of_project(
    c: &mut DbConn,
    actor: &Actor,
    project_id: i64,
) -> Result<ProjectChanges, AppError> {
    let (project, _) = crate::ops::execution::load(c, actor, project_id)?;
    let (plan_version, plan) = changes::plan(c, project_id)?;
    let round_rules = crate::db::rounds::find(c, project.round_id)?.rules();
    let (rules, targets) = (round_rules.changes, round_rules.targets);
    Ok(ProjectChanges {
        targets,
        can_file: policy::allows(actor, Action::EditProposal(project.org_id))
            && project.status == ProjectStatus::Active,
        officer: policy::allows(actor, Action::ManageRounds(project.bureau_id)),
        changes: changes::of_project(c, project_id)?,
        versions: changes::plan_versions(c, project_id)?,
        plan,
        plan_version,
        rules,
        project,
    })
}

/// One change request with its project and attachments.
#[derive(Debug, Clone)]
pub struct ChangeView {
    pub change: ChangeRow,
    pub project: ProjectRow,
    /// The plan in force now.
    pub plan: ProposalContent,
    /// The plan before this change applied (the version before its own), or the plan in
    /// force while it is open: what the request is read against.
    pub before: ProposalContent,
    pub files: Vec<FileMeta>,
    /// The reader may withdraw it and attach files (a member, the request open).
    pub member: bool,
    /// The reader decides it (the bureau's officer, the request open).
    pub officer: bool,
    /// The round's indicator tree, which revised targets follow.
    pub targets: crate::domain::target::TargetRules,
}

#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn change(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ChangeView, AppError> {
    let (change, project, plan) = crate::ops::changes::find_visible(c, actor, id)?;
    let before = match change.plan_version {
        Some(v) => changes::plan_versions(c, project.id)?
            .into_iter()
            .find(|x| x.version == v - 1)
            .map(|x| x.content.0)
            .unwrap_or_else(|| plan.clone()),
        None => plan.clone(),
    };
    let open = change.status == ChangeStatus::Open;
    Ok(ChangeView {
        targets: crate::db::rounds::find(c, project.round_id)?
            .rules()
            .targets,
        files: projects::change_files(c, id)?,
        member: open && policy::allows(actor, Action::EditProposal(project.org_id)),
        officer: open && policy::allows(actor, Action::ManageRounds(project.bureau_id)),
        change,
        project,
        plan,
        before,
    })
}

/// `GET /api/v1/projects/{id}/changes`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProjectChangesDetail {
    pub project_id: i64,
    /// The version of the plan in force (1: as awarded).
    pub plan_version: i32,
    pub rules: ChangeRules,
    /// Newest first.
    pub changes: Vec<ChangeRow>,
    /// Every version of the plan, oldest first; while no change applied, version 1 alone
    /// (the plan as awarded).
    pub plan_versions: Vec<PlanVersionRow>,
}

impl From<ProjectChanges> for ProjectChangesDetail {
    fn from(v: ProjectChanges) -> Self {
        let plan_versions = if v.versions.is_empty() {
            vec![PlanVersionRow {
                version: 1,
                content: crate::db::types::Json(v.plan.clone()),
                change_id: None,
                created_at: v.project.created_at,
            }]
        } else {
            v.versions
        };
        ProjectChangesDetail {
            project_id: v.project.id,
            plan_version: v.plan_version,
            rules: v.rules,
            changes: v.changes,
            plan_versions,
        }
    }
}

/// `GET /api/v1/changes/{id}`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChangeDetail {
    pub change: ChangeRow,
    pub files: Vec<FileMeta>,
    /// Where the supplement agreement downloads, once the change applied.
    pub supplement_url: Option<String>,
}

impl From<ChangeView> for ChangeDetail {
    fn from(v: ChangeView) -> Self {
        ChangeDetail {
            supplement_url: v
                .change
                .supplement_no
                .map(|_| format!("/api/v1/changes/{}/supplement.pdf", v.change.id)),
            change: v.change,
            files: v.files,
        }
    }
}
