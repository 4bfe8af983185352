//! Proposals as their readers see them: the proposal page and `GET /api/v1/proposals/{id}`
//! read the same [`ProposalView`], the list page and `GET /api/v1/proposals` the same list.

use crate::auth::policy::{self, Action, Actor};
use crate::db::audit::{self, AuditRow};
use crate::db::proposals::{self, AttachmentMeta, ProposalListItem, ProposalRow};
use crate::db::rounds::RoundRow;
use crate::db::{awards, orgs, projects, reviews, DbConn};
use crate::domain::money::Fen;
use crate::domain::proposal::{self, CheckItem, FundingSource, ProposalContent, ProposalStatus};
use crate::error::{AppError, FieldError};
use crate::ops;

/// How many audit entries the proposal's history shows.
const HISTORY: i64 = 50;

/// One proposal, with what its reader may see of it and do with it.
#[derive(Debug, Clone)]
pub struct ProposalView {
    pub p: ProposalRow,
    pub round: RoundRow,
    pub org_name: String,
    pub content: ProposalContent,
    pub attachments: Vec<AttachmentMeta>,
    /// What keeps an editable proposal from being submitted now (empty once submitted).
    pub problems: Vec<FieldError>,
    /// Budget lines (0-based) that look like items the grant may not pay for.
    pub flagged: Vec<usize>,
    /// Matching funds by source, in the order of [`FundingSource::ALL`].
    pub matching: Vec<(FundingSource, Fen)>,
    /// The automatic screening checklist: for the round's officers, once submitted.
    pub checklist: Option<Vec<CheckItem>>,
    /// The officer may screen it now.
    pub can_screen: bool,
    /// The organization's member may change it now.
    pub can_edit: bool,
    /// The organization's member may withdraw it now.
    pub can_withdraw: bool,
    pub history: Vec<AuditRow>,
    /// Where it stands once the list is published (公示) or awarded.
    pub outcome: Option<Outcome>,
}

/// The published result of a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The line's state on the published list.
    pub state: crate::domain::award::AwardState,
    /// Came in from the waitlist after an upheld objection (递补).
    pub substitute: bool,
    pub rank: i32,
    /// How many proposals the published list ranks.
    pub ranked: usize,
    /// The final score in tenths of a point.
    pub final_tenths: i32,
    /// The grant, when funded.
    pub amount: Option<Fen>,
    /// Why the grant is less than requested (核减), when funded.
    pub reduce_reason: Option<String>,
    /// The round is awarded: the result is final.
    pub awarded: bool,
    pub project_id: Option<i64>,
    /// Reviewers' overall comments without their names, once awarded.
    pub comments: Vec<String>,
}

impl Outcome {
    pub fn funded(&self) -> bool {
        self.state == crate::domain::award::AwardState::Funded
    }
}

/// The proposal `id` as `actor` sees it; 403/404 when they may not read it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn proposal(c: &mut DbConn, actor: &Actor, id: i64) -> Result<ProposalView, AppError> {
    let (p, round) = ops::proposals::find_visible(c, actor, id)?;
    let org_name = orgs::find(c, p.org_id)?.name;
    let problems = if p.status.editable() {
        ops::proposals::submission_problems(c, &p, &round)?.0
    } else {
        Vec::new()
    };
    let officer = policy::allows(actor, Action::ManageRounds(round.bureau_id));
    let member = policy::allows(actor, Action::EditProposal(p.org_id));
    let checklist = if officer && p.status != ProposalStatus::Draft {
        Some(ops::screening::checklist(c, &p, &round)?)
    } else {
        None
    };
    let content = p.content();
    Ok(ProposalView {
        outcome: outcome(c, &round, id)?,
        matching: content.matching_by_source(),
        flagged: proposal::flagged_budget_lines(&content),
        checklist,
        can_screen: officer && p.status == ProposalStatus::Submitted && round.status.screening(),
        can_edit: member && p.status.editable(),
        can_withdraw: member && p.status.withdrawable_in(round.status),
        attachments: proposals::attachments(c, id)?,
        history: audit::for_entity(c, "proposal", id, HISTORY)?,
        content,
        org_name,
        problems,
        round,
        p,
    })
}

/// The proposal's line in the published list, if there is one.
fn outcome(c: &mut DbConn, round: &RoundRow, id: i64) -> Result<Option<Outcome>, AppError> {
    let list = awards::awards(c, round.id)?;
    let Some(a) = list.iter().find(|a| a.proposal_id == id) else {
        return Ok(None);
    };
    let awarded = round.status.past_award();
    let funded = a.state == crate::domain::award::AwardState::Funded;
    Ok(Some(Outcome {
        state: a.state,
        substitute: a.substitute,
        rank: a.rank,
        ranked: list.len(),
        final_tenths: a.final_tenths,
        amount: funded.then_some(Fen(a.amount_fen)),
        reduce_reason: a.reduce_reason.clone().filter(|_| funded),
        awarded,
        project_id: projects::project_of_proposal(c, id)?,
        comments: if awarded {
            reviews::anonymous_comments(c, id)?
        } else {
            Vec::new()
        },
    }))
}

/// The proposals of the member's organization, newest first.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn list(c: &mut DbConn, actor: &Actor) -> Result<Vec<ProposalListItem>, AppError> {
    let org = actor.org_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::EditProposal(org))?;
    proposals::for_org(c, org)
}

/// A page of [`list`].
pub fn list_page(
    c: &mut DbConn,
    actor: &Actor,
    page: crate::db::PageReq,
) -> Result<crate::db::Paged<ProposalListItem>, AppError> {
    let org = actor.org_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::EditProposal(org))?;
    proposals::for_org_page(c, org, page)
}

/// The screening list of a round the actor manages: the round and one page of its
/// proposals past the draft stage matching the filter, with their count (kept between
/// changes, see [`super::cache`]).
#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn submissions(
    c: &mut DbConn,
    reads: &super::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
    f: &proposals::SubmissionFilter,
) -> Result<
    (
        crate::db::rounds::RoundRow,
        crate::db::Paged<ProposalListItem>,
    ),
    AppError,
> {
    let round = crate::ops::rounds::find_managed(c, actor, round_id)?;
    let key = format!(
        "submissions:{round_id}:{:?}:{:?}:{:?}",
        f.status, f.category, f.q
    );
    let total = reads.list_count(c, key, |c| proposals::submissions_count(c, round_id, f))?;
    Ok((round, proposals::submissions_page(c, round_id, f, total)?))
}
