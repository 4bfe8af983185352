//! The public notice (公示, DESIGN §2.4) of a round: one page of the published ranking read
//! in SQL, and for the bureau's officers the objections and the projects it led to.

use std::collections::HashMap;

use crate::auth::policy::{self, Action, Actor};
use crate::db::awards::{self, AwardRow, Notice};
use crate::db::projects::{ProjectFilter, ProjectRow};
use crate::db::rounds::RoundRow;
use crate::db::{now, DbConn, PageReq, Paged};
use chrono::NaiveDateTime;

use crate::domain::award::{self, AwardState, ObjectionStatus};
use crate::domain::review::FundingRule;
use crate::domain::round::RoundStatus;
use crate::error::AppError;
use crate::ops::award::ObjectionItem;

/// What the public sees of the ranking: the funded lines (with substitutes) and those removed
/// after an upheld objection.
pub const PUBLIC_STATES: &[AwardState] = &[AwardState::Funded, AwardState::Removed];

/// A round's notice with one page of its list.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub round: RoundRow,
    pub bureau: String,
    pub notice: Notice,
    /// Open for objections now.
    pub open: bool,
    /// Prepared in advance and not yet public (定时发布): the officers' only, until
    /// `notice.starts_at`.
    pub scheduled: bool,
    /// When the last notice ends (the main one, or a later supplementary one): the award
    /// waits for it.
    pub ends_at: NaiveDateTime,
    /// Staff of the bureau: the list has every line, not only the public ones.
    pub staff: bool,
    pub list: Paged<AwardRow>,
    /// The grant on the funded lines, over the whole list.
    pub used_fen: i64,
    /// The round's funding-line rule, as the list was drawn (and refilled) by it.
    pub funding_rule: FundingRule,
    /// Supplementary notices (补充公示) of proposals brought onto the list, oldest first.
    pub supplements: Vec<Supplement>,
    /// What anyone may object to now (on this page or on a running supplementary notice),
    /// in rank order; empty when objections are closed.
    pub objection_choices: Vec<AwardRow>,
}

/// A supplementary notice (补充公示): the proposals brought onto the list together, and its
/// period.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Supplement {
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC; the award waits for it.
    pub ends_at: NaiveDateTime,
    pub working_days: i32,
    /// Running now: its proposals are open to objections.
    pub running: bool,
    /// The newcomers (and any taken off again, as `removed`), in rank order.
    pub lines: Vec<AwardRow>,
}

/// Groups the lines put on supplementary notices by their notice.
fn supplements(rows: Vec<AwardRow>, working_days: i32, now: NaiveDateTime) -> Vec<Supplement> {
    let mut out: Vec<Supplement> = Vec::new();
    for a in rows {
        let (Some(starts_at), Some(ends_at)) = (a.supplement_starts_at, a.supplement_ends_at)
        else {
            continue;
        };
        match out
            .iter_mut()
            .find(|g| g.starts_at == starts_at && g.ends_at == ends_at)
        {
            Some(g) => g.lines.push(a),
            None => out.push(Supplement {
                starts_at,
                ends_at,
                working_days,
                running: now < ends_at,
                lines: vec![a],
            }),
        }
    }
    out.sort_by_key(|g| g.starts_at);
    out
}

/// The notice of a round with one page of its list: the public lines, or every line for the
/// bureau's officers (`actor`). Not found before the notice is published, and for anyone but
/// those officers while a scheduled notice waits for its start.
#[tracing::instrument(skip_all, fields(round_id))]
pub fn notice(
    conn: &mut DbConn,
    round_id: i64,
    actor: Option<&Actor>,
    page: PageReq,
) -> Result<NoticeView, AppError> {
    let round = crate::db::rounds::find(conn, round_id)?;
    let notice = awards::notice(conn, round_id)?.ok_or(AppError::NotFound)?;
    let staff = actor.is_some_and(|a| policy::allows(a, Action::ManageRounds(round.bureau_id)));
    let scheduled = !notice.is_open_to_public();
    if scheduled && !staff {
        return Err(AppError::NotFound);
    }
    let states = (!staff).then_some(PUBLIC_STATES);
    let list = awards::awards_page(conn, round_id, states, page)?;
    let used_fen = awards::funded_sum(conn, round_id)?;
    let bureau = crate::db::rounds::bureau_name(conn, round.bureau_id)?;
    let rules = round.rules();
    let supplemented = awards::supplemented(conn, round_id, states)?;
    let mut objection_choices: Vec<AwardRow> = Vec::new();
    if round.status == RoundStatus::Notice && !scheduled {
        let mut seen = std::collections::HashSet::new();
        let mut candidates: Vec<&AwardRow> = list.items.iter().chain(&supplemented).collect();
        candidates.retain(|a| seen.insert(a.proposal_id));
        candidates.sort_by_key(|a| a.rank);
        let targets = award::objection_targets(
            notice.ends_at,
            now(),
            candidates
                .iter()
                .map(|a| (a.proposal_id, a.state, a.supplement_ends_at)),
        );
        objection_choices = candidates
            .into_iter()
            .filter(|a| targets.contains(&a.proposal_id))
            .cloned()
            .collect();
    }
    let ends = award::notices_end(
        notice.ends_at,
        supplemented.iter().map(|a| (a.state, a.supplement_ends_at)),
    );
    Ok(NoticeView {
        open: round.status == RoundStatus::Notice && !scheduled && now() < ends,
        scheduled,
        ends_at: ends,
        funding_rule: rules.funding_rule,
        supplements: supplements(supplemented, rules.supplementary_notice_days, now()),
        objection_choices,
        round,
        bureau,
        notice,
        staff,
        list,
        used_fen,
    })
}

/// The officer's notice page: the notice with one page of every line, the confirmed
/// objections (grouped by likely duplicates) with the numbers of the proposals they name, and
/// the first page of the projects the round led to.
pub struct OfficerNotice {
    pub view: NoticeView,
    pub objections: Vec<ObjectionItem>,
    /// Proposal id → number, for the objections.
    pub numbers: HashMap<i64, String>,
    pub open_objections: usize,
    pub projects: Paged<ProjectRow>,
}

#[tracing::instrument(skip_all, fields(user = actor.id, round_id))]
pub fn officer_notice(
    conn: &mut DbConn,
    reads: &super::cache::ReadCache,
    actor: &Actor,
    round_id: i64,
    page: PageReq,
) -> Result<OfficerNotice, AppError> {
    crate::ops::rounds::find_managed(conn, actor, round_id)?;
    let view = notice(conn, round_id, Some(actor), page)?;
    let objections = crate::ops::award::group_objections(awards::objections(conn, round_id)?);
    let pids: Vec<i64> = objections.iter().map(|o| o.row.proposal_id).collect();
    let numbers = awards::numbers(conn, &pids)?
        .into_iter()
        .map(|(id, n)| (id, n.unwrap_or_default()))
        .collect();
    let open_objections = objections
        .iter()
        .filter(|o| o.row.status == ObjectionStatus::Open)
        .count();
    let (projects, _) = super::projects::rows_page(
        conn,
        reads,
        &ProjectFilter {
            round_id: Some(round_id),
            ..ProjectFilter::default()
        },
        crate::db::projects::ProjectSort::Id,
        PageReq::new(None, None),
    )?;
    Ok(OfficerNotice {
        view,
        objections,
        numbers,
        open_objections,
        projects,
    })
}
