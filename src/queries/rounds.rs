//! Rounds as their bureau's officers see them: the list, and a round with its rules, its
//! bureau, what still keeps a draft from opening and its history (the round page and
//! `GET /api/v1/rounds/{id}`), and the type the API lists.

use chrono::NaiveDateTime;

use super::audit::HistoryEntry;
use crate::auth::policy::{self, Action, Actor};
use crate::db::rounds::{self, RoundRow};
use crate::db::DbConn;
use crate::domain::round::{RoundRules, RoundStatus};
use crate::error::{AppError, FieldErrors};

/// A round as the API lists it: the row's facts without its stored rules (which
/// `GET /api/v1/rounds/{id}` gives beside it as `rules`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RoundItem {
    pub id: i64,
    pub bureau_id: i64,
    pub title: String,
    pub year: i32,
    pub description: String,
    pub status: RoundStatus,
    pub total_budget_fen: i64,
    pub min_grant_fen: i64,
    pub max_grant_fen: i64,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub review_due: Option<NaiveDateTime>,
    /// The version to send back when saving (a newer one on the server is a 409).
    pub version: i32,
    pub published_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<&RoundRow> for RoundItem {
    fn from(r: &RoundRow) -> Self {
        RoundItem {
            id: r.id,
            bureau_id: r.bureau_id,
            title: r.title.clone(),
            year: r.year,
            description: r.description.clone(),
            status: r.status,
            total_budget_fen: r.total_budget_fen,
            min_grant_fen: r.min_grant_fen,
            max_grant_fen: r.max_grant_fen,
            opens_at: r.opens_at,
            closes_at: r.closes_at,
            review_due: r.review_due,
            version: r.version,
            published_at: r.published_at,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The rounds of the officer's bureau, newest first (the rounds page and
/// `GET /api/v1/rounds`).
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn managed(c: &mut DbConn, actor: &Actor) -> Result<Vec<RoundItem>, AppError> {
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(bureau))?;
    Ok(rounds::for_bureau(c, bureau)?
        .iter()
        .map(RoundItem::from)
        .collect())
}

/// One page of [`managed`] (`GET /api/v1/rounds`).
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn managed_page(
    c: &mut DbConn,
    actor: &Actor,
    page: crate::db::PageReq,
) -> Result<crate::db::Paged<RoundItem>, AppError> {
    let bureau = actor.bureau_id.ok_or(AppError::Forbidden)?;
    policy::require(actor, Action::ManageRounds(bureau))?;
    Ok(rounds::for_bureau_page(c, bureau, page)?.map(|r| RoundItem::from(&r)))
}

/// A round of the officer's bureau with what its screen needs.
#[derive(Debug, Clone)]
pub struct RoundScreen {
    pub round: RoundRow,
    pub rules: RoundRules,
    /// The bureau's name.
    pub bureau: String,
    /// Why a draft cannot open yet (empty: it can, or it is no longer a draft).
    pub publish_problems: FieldErrors,
    /// Its latest audit entries, newest first.
    pub history: Vec<HistoryEntry>,
    /// How many drafts organizations are writing in it: all the bureau sees of a proposal
    /// before it is submitted.
    pub drafts: i64,
}

/// Round `id` if `actor` manages it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn round(c: &mut DbConn, actor: &Actor, id: i64) -> Result<RoundScreen, AppError> {
    let round = crate::ops::rounds::find_managed(c, actor, id)?;
    let rules = round.rules();
    let publish_problems = publish_problems(&round, &rules);
    Ok(RoundScreen {
        bureau: rounds::bureau_name(c, round.bureau_id)?,
        history: super::audit::history(c, "round", id, 50)?,
        drafts: crate::db::proposals::count_drafts(c, id)?,
        round,
        rules,
        publish_problems,
    })
}

/// Why `round` (a draft) cannot open now; nothing once it is no longer a draft.
pub fn publish_problems(round: &RoundRow, rules: &RoundRules) -> FieldErrors {
    if round.status == RoundStatus::Draft {
        crate::ops::rounds::publish_problems(&round.core(), rules, crate::db::now())
    } else {
        FieldErrors::new()
    }
}
