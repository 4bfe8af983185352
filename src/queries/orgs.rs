//! Organizations as their readers see them (`Action::ViewOrg`, asked here): the profile
//! (page and `GET /api/v1/orgs/{id}`), the edit form's data, a registration document, the
//! history, and the officers' list; and the types the API shows.

use chrono::{NaiveDate, NaiveDateTime};

use super::audit::HistoryEntry;
use crate::auth::policy::{self, Action, Actor};
use crate::db::orgs::{self, Bar, DocumentMeta, OrgFilter, OrgListItem, OrgRow};
use crate::db::{self, users, DbConn, Paged};
use crate::domain::account::UserStatus;
use crate::domain::org::{OrgKind, OrgStatus};
use crate::error::AppError;

/// An organization as the API shows it (the row's facts, nothing internal to it).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OrgItem {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    /// The unified social credit code (统一社会信用代码).
    pub uscc: Option<String>,
    /// The code fails its check character.
    pub uscc_check_failed: bool,
    /// The officer who accepted a code failing its check, after seeing the certificate.
    pub uscc_override_by: Option<i64>,
    pub reg_type: String,
    pub sponsor_org: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub reg_authority: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    pub district: String,
    pub street: String,
    pub grade: Option<String>,
    pub grade_date: Option<NaiveDate>,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    pub status: OrgStatus,
    pub status_reason: Option<String>,
    pub verified_at: Option<NaiveDateTime>,
    pub credit_flag_org: bool,
    pub credit_flag_legal_rep: bool,
    pub credit_note: String,
    /// The version to send back when saving (a newer one on the server is a 409).
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<&OrgRow> for OrgItem {
    fn from(o: &OrgRow) -> Self {
        OrgItem {
            id: o.id,
            kind: o.kind,
            name: o.name.clone(),
            uscc: o.uscc.clone(),
            uscc_check_failed: o.uscc_check_failed,
            uscc_override_by: o.uscc_override_by,
            reg_type: o.reg_type.clone(),
            sponsor_org: o.sponsor_org.clone(),
            registered_on: o.registered_on,
            reg_authority: o.reg_authority.clone(),
            legal_rep: o.legal_rep.clone(),
            contact_name: o.contact_name.clone(),
            contact_phone: o.contact_phone.clone(),
            contact_email: o.contact_email.clone(),
            address: o.address.clone(),
            district: o.district.clone(),
            street: o.street.clone(),
            grade: o.grade.clone(),
            grade_date: o.grade_date,
            bank_name: o.bank_name.clone(),
            bank_account_name: o.bank_account_name.clone(),
            bank_account_no: o.bank_account_no.clone(),
            status: o.status,
            status_reason: o.status_reason.clone(),
            verified_at: o.verified_at,
            credit_flag_org: o.credit_flag_org,
            credit_flag_legal_rep: o.credit_flag_legal_rep,
            credit_note: o.credit_note.clone(),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A member of an organization: who, and whether the account is in use (nothing of its
/// credentials).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
}

/// The profile of an organization: the page and `GET /api/v1/orgs/{id}`.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: OrgRow,
    /// Annual inspections: (year, result).
    pub inspections: Vec<(i32, String)>,
    pub documents: Vec<DocumentMeta>,
    pub members: Vec<Member>,
    pub history: Vec<HistoryEntry>,
    /// Bars in force.
    pub bars: Vec<Bar>,
    /// The reader may edit the registration.
    pub can_edit: bool,
    /// The reader verifies organizations (verify, reject, accept a code, credit).
    pub can_supervise: bool,
    /// The reader is an officer of a bureau: may bar the organization from its rounds.
    pub can_bar: bool,
}

/// Organization `id` if `actor` may see it.
fn visible(c: &mut DbConn, actor: &Actor, id: i64) -> Result<OrgRow, AppError> {
    let org = orgs::find(c, id)?;
    policy::require(actor, Action::ViewOrg(org.as_ref()))?;
    Ok(org)
}

/// The profile of organization `id` if `actor` may see it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn org(c: &mut DbConn, actor: &Actor, id: i64) -> Result<OrgView, AppError> {
    let org = visible(c, actor, id)?;
    Ok(OrgView {
        can_edit: policy::allows(actor, Action::EditOrg(org.as_ref())),
        can_supervise: policy::allows(actor, Action::SuperviseOrgs),
        can_bar: actor
            .bureau_id
            .is_some_and(|b| policy::allows(actor, Action::ManageRounds(b))),
        org,
        inspections: orgs::inspections(c, id)?,
        documents: orgs::documents(c, id)?,
        members: users::members(c, id)?
            .into_iter()
            .map(|m| Member {
                id: m.id,
                name: m.name,
                email: m.email,
                status: m.status,
            })
            .collect(),
        history: super::audit::history(c, "organization", id, 50)?,
        bars: orgs::bars(c, id, db::today())?,
    })
}

/// What the edit form starts from: the organization and its inspections, if `actor` may
/// edit it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn for_edit(
    c: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> Result<(OrgRow, Vec<(i32, String)>), AppError> {
    let org = orgs::find(c, id)?;
    policy::require(actor, Action::EditOrg(org.as_ref()))?;
    Ok((org, orgs::inspections(c, id)?))
}

/// A registration document of organization `id` and its bytes, if `actor` may see it.
#[tracing::instrument(skip_all, fields(user = actor.id, id, doc))]
pub fn document(
    c: &mut DbConn,
    actor: &Actor,
    id: i64,
    doc: i64,
) -> Result<(DocumentMeta, Vec<u8>), AppError> {
    visible(c, actor, id)?;
    orgs::document(c, id, doc)
}

/// One page of the history of organization `id`, newest first, if `actor` may see it.
#[tracing::instrument(skip_all, fields(user = actor.id, id))]
pub fn history(
    c: &mut DbConn,
    actor: &Actor,
    id: i64,
    page: crate::db::PageReq,
) -> Result<Paged<HistoryEntry>, AppError> {
    visible(c, actor, id)?;
    super::audit::history_page(c, "organization", id, page)
}

/// The organizations filter `f` selects, for those who supervise them.
#[tracing::instrument(skip_all, fields(user = actor.id))]
pub fn list(c: &mut DbConn, actor: &Actor, f: &OrgFilter) -> Result<Paged<OrgListItem>, AppError> {
    policy::require(actor, Action::SuperviseOrgs)?;
    orgs::list(c, f)
}
