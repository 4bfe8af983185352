//! Queries of the proposal aggregate: the proposal, its attachments, and numbering.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{org_documents, organizations, proposal_attachments, proposals, rounds};
use super::{now, DbConn, Json};
use crate::domain::org::DocKind;
use crate::domain::proposal::{ProposalContent, ProposalStatus};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: i64,
    pub round_id: i64,
    pub org_id: i64,
    pub number: Option<String>,
    pub status: ProposalStatus,
    pub category: String,
    pub title: String,
    pub requested_grant_fen: i64,
    pub total_budget_fen: i64,
    #[serde(skip)]
    pub content_json: Json<ProposalContent>,
    pub version: i32,
    pub submitted_at: Option<NaiveDateTime>,
    pub return_deadline: Option<NaiveDateTime>,
    pub return_comment: Option<String>,
    pub decision_reason: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProposalRow {
    /// Submitted at least once (also when returned, withdrawn or decided since): from then on
    /// the bureau has received it; before, it is the organization's draft.
    pub fn received(&self) -> bool {
        self.submitted_at.is_some()
    }
    pub fn content(&self) -> ProposalContent {
        self.content_json.0.clone()
    }
    pub fn audit_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["content"] = serde_json::to_value(self.content()).unwrap_or_default();
        v
    }
}

pub fn insert_draft(
    conn: &mut DbConn,
    round_id: i64,
    org_id: i64,
    by: i64,
) -> Result<i64, AppError> {
    let at = now();
    let content = ProposalContent::default();
    Ok(diesel::insert_into(proposals::table)
        .values((
            proposals::round_id.eq(round_id),
            proposals::org_id.eq(org_id),
            proposals::status.eq(ProposalStatus::Draft.as_str()),
            proposals::category.eq(""),
            proposals::title.eq(""),
            proposals::requested_grant_fen.eq(0i64),
            proposals::total_budget_fen.eq(0i64),
            proposals::content_json.eq(serde_json::to_string(&content).expect("serializes")),
            proposals::version.eq(1),
            proposals::created_by.eq(by),
            proposals::created_at.eq(at),
            proposals::updated_at.eq(at),
        ))
        .returning(proposals::id)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<ProposalRow, AppError> {
    Ok(proposals::table
        .find(id)
        .select(ProposalRow::as_select())
        .first(conn)?)
}

/// Saves the content if `version` is current; a concurrent save in between is a 409.
pub fn save_content(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    c: &ProposalContent,
) -> Result<(), AppError> {
    let n = diesel::update(
        proposals::table
            .find(id)
            .filter(proposals::version.eq(version)),
    )
    .set((
        proposals::category.eq(&c.category),
        proposals::title.eq(&c.title),
        proposals::requested_grant_fen.eq(c.requested_grant.0),
        proposals::total_budget_fen.eq(c.total_budget().0),
        proposals::content_json.eq(serde_json::to_string(c).expect("serializes")),
        proposals::version.eq(version + 1),
        proposals::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.edit_conflict"));
    }
    Ok(())
}

/// Marks it submitted (keeping a number it already had).
pub fn mark_submitted(conn: &mut DbConn, id: i64, number: &str) -> Result<(), AppError> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::status.eq(ProposalStatus::Submitted.as_str()),
            proposals::number.eq(Some(number)),
            proposals::submitted_at.eq(Some(now())),
            proposals::version.eq(proposals::version + 1),
            proposals::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(conn: &mut DbConn, id: i64, status: ProposalStatus) -> Result<(), AppError> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::status.eq(status.as_str()),
            proposals::version.eq(proposals::version + 1),
            proposals::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Submissions of an org in a round that count towards the per-round limit.
pub fn count_submitted(
    conn: &mut DbConn,
    round_id: i64,
    org_id: i64,
    except: i64,
) -> Result<i64, AppError> {
    Ok(proposals::table
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::org_id.eq(org_id))
        .filter(proposals::id.ne(except))
        .filter(proposals::status.ne_all(vec![
            ProposalStatus::Draft.as_str(),
            ProposalStatus::Withdrawn.as_str(),
        ]))
        .count()
        .get_result(conn)?)
}

/// The next number in a year's sequence (one row per year in `counters`).
pub fn next_number(conn: &mut DbConn, year: i32) -> Result<i64, AppError> {
    super::next_in_counter(conn, &format!("proposal:{year}"))
}

/// A row of a proposal list, with its round's and org's names.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct ProposalListItem {
    pub id: i64,
    pub round_id: i64,
    pub round_title: String,
    pub org_id: i64,
    pub org_name: String,
    pub number: Option<String>,
    pub status: ProposalStatus,
    pub category: String,
    pub title: String,
    pub requested_grant_fen: i64,
    pub submitted_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// The proposals of an organization, newest first.
type ListCols = (
    proposals::id,
    proposals::round_id,
    rounds::title,
    proposals::org_id,
    organizations::name,
    proposals::number,
    proposals::status,
    proposals::category,
    proposals::title,
    proposals::requested_grant_fen,
    proposals::submitted_at,
    proposals::updated_at,
);
const LIST_COLS: ListCols = (
    proposals::id,
    proposals::round_id,
    rounds::title,
    proposals::org_id,
    organizations::name,
    proposals::number,
    proposals::status,
    proposals::category,
    proposals::title,
    proposals::requested_grant_fen,
    proposals::submitted_at,
    proposals::updated_at,
);

pub fn for_org(conn: &mut DbConn, org_id: i64) -> Result<Vec<ProposalListItem>, AppError> {
    Ok(proposals::table
        .inner_join(rounds::table)
        .inner_join(organizations::table)
        .filter(proposals::org_id.eq(org_id))
        .order(proposals::id.desc())
        .select(LIST_COLS)
        .load(conn)?)
}

/// A page of [`for_org`].
pub fn for_org_page(
    conn: &mut DbConn,
    org_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<ProposalListItem>, AppError> {
    let total: i64 = proposals::table
        .filter(proposals::org_id.eq(org_id))
        .count()
        .get_result(conn)?;
    let items = proposals::table
        .inner_join(rounds::table)
        .inner_join(organizations::table)
        .filter(proposals::org_id.eq(org_id))
        .order(proposals::id.desc())
        .select(LIST_COLS)
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// How many proposals of the round are in any of `statuses`.
pub fn count_in_status(
    conn: &mut DbConn,
    round_id: i64,
    statuses: &[ProposalStatus],
) -> Result<i64, AppError> {
    let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    Ok(proposals::table
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::status.eq_any(names))
        .count()
        .get_result(conn)?)
}

/// How many drafts of the round have never been submitted (withdrawn ones aside): what the
/// bureau sees of them.
pub fn count_drafts(conn: &mut DbConn, round_id: i64) -> Result<i64, AppError> {
    count_in_status(conn, round_id, &[ProposalStatus::Draft])
}

/// Organizations with a live (not withdrawn) proposal in the round.
pub fn org_ids_in_round(conn: &mut DbConn, round_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(proposals::table
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::status.ne(ProposalStatus::Withdrawn.as_str()))
        .select(proposals::org_id)
        .distinct()
        .load(conn)?)
}

pub fn has_org_certificate(
    conn: &mut DbConn,
    org_id: i64,
    proposal_id: i64,
) -> Result<bool, AppError> {
    let on_org: i64 = org_documents::table
        .filter(org_documents::org_id.eq(org_id))
        .filter(org_documents::kind.eq(DocKind::RegistrationCertificate))
        .count()
        .get_result(conn)?;
    let on_proposal: i64 = proposal_attachments::table
        .filter(proposal_attachments::proposal_id.eq(proposal_id))
        .filter(proposal_attachments::kind.eq(DocKind::RegistrationCertificate))
        .count()
        .get_result(conn)?;
    Ok(on_org + on_proposal > 0)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentMeta {
    pub id: i64,
    pub proposal_id: i64,
    pub kind: DocKind,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
}

pub fn insert_attachment(
    conn: &mut DbConn,
    proposal_id: i64,
    kind: DocKind,
    filename: &str,
    content_type: &str,
    content: &[u8],
    by: i64,
) -> Result<i64, AppError> {
    use sha2::{Digest, Sha256};
    Ok(diesel::insert_into(proposal_attachments::table)
        .values((
            proposal_attachments::proposal_id.eq(proposal_id),
            proposal_attachments::kind.eq(kind),
            proposal_attachments::filename.eq(filename),
            proposal_attachments::content_type.eq(content_type),
            proposal_attachments::size_bytes.eq(content.len() as i64),
            proposal_attachments::sha256.eq(hex::encode(Sha256::digest(content))),
            proposal_attachments::content.eq(content),
            proposal_attachments::uploaded_by.eq(by),
            proposal_attachments::uploaded_at.eq(now()),
        ))
        .returning(proposal_attachments::id)
        .get_result(conn)?)
}

pub fn attachments(conn: &mut DbConn, proposal_id: i64) -> Result<Vec<AttachmentMeta>, AppError> {
    Ok(proposal_attachments::table
        .filter(proposal_attachments::proposal_id.eq(proposal_id))
        .order(proposal_attachments::id)
        .select((
            proposal_attachments::id,
            proposal_attachments::proposal_id,
            proposal_attachments::kind,
            proposal_attachments::filename,
            proposal_attachments::content_type,
            proposal_attachments::size_bytes,
            proposal_attachments::uploaded_at,
        ))
        .load(conn)?)
}

pub fn attachment(
    conn: &mut DbConn,
    proposal_id: i64,
    id: i64,
) -> Result<(AttachmentMeta, Vec<u8>), AppError> {
    Ok(proposal_attachments::table
        .filter(proposal_attachments::proposal_id.eq(proposal_id))
        .filter(proposal_attachments::id.eq(id))
        .select((
            (
                proposal_attachments::id,
                proposal_attachments::proposal_id,
                proposal_attachments::kind,
                proposal_attachments::filename,
                proposal_attachments::content_type,
                proposal_attachments::size_bytes,
                proposal_attachments::uploaded_at,
            ),
            proposal_attachments::content,
        ))
        .first::<(AttachmentMeta, Vec<u8>)>(conn)?)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    /// Part of the title, the number or the organization's name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A round's received proposals (submitted at least once; drafts, also withdrawn ones, stay
/// the organization's) matching a filter, unordered.
fn submission_scope(
    round_id: i64,
    f: &SubmissionFilter,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<
        diesel::dsl::InnerJoin<proposals::table, rounds::table>,
        organizations::table,
    >,
    <DbConn as diesel::Connection>::Backend,
> {
    let mut q = proposals::table
        .inner_join(rounds::table)
        .inner_join(organizations::table)
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::submitted_at.is_not_null())
        .into_boxed();
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(proposals::status.eq(s.to_string()));
    }
    if let Some(c) = f.category.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(proposals::category.eq(c.to_string()));
    }
    q = super::proposal_search!(q, f.q.as_deref());
    q
}

/// How many of a round's received proposals match a filter.
pub fn submissions_count(
    conn: &mut DbConn,
    round_id: i64,
    f: &SubmissionFilter,
) -> Result<i64, AppError> {
    Ok(submission_scope(round_id, f).count().get_result(conn)?)
}

/// One page of a round's received proposals matching a filter, for screening, oldest
/// submission first (`total`: their count, see [`submissions_count`]).
pub fn submissions_page(
    conn: &mut DbConn,
    round_id: i64,
    f: &SubmissionFilter,
    total: i64,
) -> Result<super::Paged<ProposalListItem>, AppError> {
    let page = super::PageReq::new(f.page, f.per_page);
    let items = submission_scope(round_id, f)
        .order((proposals::submitted_at.asc(), proposals::id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(LIST_COLS)
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// Every received proposal of a round (as [`submissions`]) with its organization's code
/// (export).
pub fn export_rows(
    conn: &mut DbConn,
    round_id: i64,
    f: &SubmissionFilter,
) -> Result<Vec<(ProposalRow, String, Option<String>)>, AppError> {
    Ok(submission_scope(round_id, f)
        .order((proposals::submitted_at.asc(), proposals::id.asc()))
        .select((
            ProposalRow::as_select(),
            organizations::name,
            organizations::uscc,
        ))
        .load(conn)?)
}

/// Records a screening outcome: the new status with the officer's reason, or a return for
/// correction with its deadline and comments.
pub fn set_screening(
    conn: &mut DbConn,
    id: i64,
    status: ProposalStatus,
    reason: Option<&str>,
    return_deadline: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    let returned = status == ProposalStatus::Returned;
    diesel::update(proposals::table.find(id))
        .set((
            proposals::status.eq(status.as_str()),
            proposals::decision_reason.eq(if returned { None } else { reason }),
            proposals::return_comment.eq(if returned { reason } else { None }),
            proposals::return_deadline.eq(return_deadline),
            proposals::version.eq(proposals::version + 1),
            proposals::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The content of many proposals at once: (id, content JSON).
pub fn contents(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<Vec<(i64, Json<ProposalContent>)>, AppError> {
    Ok(proposals::table
        .filter(proposals::id.eq_any(ids))
        .select((proposals::id, proposals::content_json))
        .load(conn)?)
}

/// A proposal's renewal: (the project it continues, its track).
pub fn renewal(
    conn: &mut DbConn,
    id: i64,
) -> Result<(Option<i64>, Option<crate::domain::evaluation::Renewal>), AppError> {
    Ok(proposals::table
        .find(id)
        .select((proposals::renewal_of, proposals::renewal_track))
        .first(conn)?)
}

pub fn set_renewal(
    conn: &mut DbConn,
    id: i64,
    project_id: i64,
    track: crate::domain::evaluation::Renewal,
) -> Result<(), AppError> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::renewal_of.eq(Some(project_id)),
            proposals::renewal_track.eq(Some(track)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The renewal proposal of a project in a round, if one was started.
pub fn renewal_in_round(
    conn: &mut DbConn,
    project_id: i64,
    round_id: i64,
) -> Result<Option<i64>, AppError> {
    Ok(proposals::table
        .filter(proposals::renewal_of.eq(project_id))
        .filter(proposals::round_id.eq(round_id))
        .filter(proposals::status.ne("withdrawn"))
        .select(proposals::id)
        .first(conn)
        .optional()?)
}
