//! Queries of the organization aggregate: the registration, its annual inspections and
//! documents.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{org_documents, org_inspections, organizations};
use super::{now, DbConn, PageReq, Paged};
use crate::auth::policy::OrgRef;
use crate::domain::org::{DocKind, OrgKind, OrgStatus, ValidOrg};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub uscc: Option<String>,
    pub uscc_check_failed: bool,
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
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrgRow {
    pub fn as_ref(&self) -> OrgRef {
        OrgRef {
            id: self.id,
            kind: self.kind,
        }
    }
    /// The code failed its check and no officer has accepted it yet.
    pub fn uscc_needs_override(&self) -> bool {
        self.uscc_check_failed && self.uscc_override_by.is_none()
    }
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[derive(AsChangeset, Insertable)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct OrgFields<'a> {
    name: &'a str,
    uscc: Option<&'a str>,
    uscc_check_failed: bool,
    reg_type: &'a str,
    sponsor_org: Option<&'a str>,
    registered_on: Option<NaiveDate>,
    reg_authority: &'a str,
    legal_rep: &'a str,
    contact_name: &'a str,
    contact_phone: &'a str,
    contact_email: &'a str,
    address: &'a str,
    district: &'a str,
    street: &'a str,
    grade: Option<&'a str>,
    grade_date: Option<NaiveDate>,
    bank_name: &'a str,
    bank_account_name: &'a str,
    bank_account_no: &'a str,
}

impl<'a> From<&'a ValidOrg> for OrgFields<'a> {
    fn from(v: &'a ValidOrg) -> Self {
        OrgFields {
            name: &v.name,
            uscc: v.uscc.as_deref(),
            uscc_check_failed: v.uscc_check_failed,
            reg_type: v.reg_type.as_str(),
            sponsor_org: v.sponsor_org.as_deref(),
            registered_on: v.registered_on,
            reg_authority: &v.reg_authority,
            legal_rep: &v.legal_rep,
            contact_name: &v.contact_name,
            contact_phone: &v.contact_phone,
            contact_email: &v.contact_email,
            address: &v.address,
            district: &v.district,
            street: &v.street,
            grade: v.grade.map(|g| g.as_str()),
            grade_date: v.grade_date,
            bank_name: &v.bank_name,
            bank_account_name: &v.bank_account_name,
            bank_account_no: &v.bank_account_no,
        }
    }
}

fn uscc_taken(
    conn: &mut DbConn,
    code: Option<&str>,
    except: Option<i64>,
) -> Result<bool, AppError> {
    let Some(code) = code else { return Ok(false) };
    let mut q = organizations::table
        .filter(organizations::uscc.eq(code))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(organizations::id.ne(id));
    }
    let n: i64 = q.count().get_result(conn)?;
    Ok(n > 0)
}

/// Inserts a registration awaiting verification; returns its id.
pub fn insert(conn: &mut DbConn, kind: OrgKind, v: &ValidOrg) -> Result<i64, AppError> {
    if uscc_taken(conn, v.uscc.as_deref(), None)? {
        return Err(crate::error::FieldErrors::single(
            "uscc",
            "field.uscc_taken",
        ));
    }
    let at = now();
    let id: i64 = diesel::insert_into(organizations::table)
        .values((
            OrgFields::from(v),
            organizations::kind.eq(kind.as_str()),
            organizations::status.eq(OrgStatus::Pending.as_str()),
            organizations::version.eq(1),
            organizations::created_at.eq(at),
            organizations::updated_at.eq(at),
        ))
        .returning(organizations::id)
        .get_result(conn)?;
    replace_inspections(conn, id, v)?;
    Ok(id)
}

/// Saves an edit if `version` is still current (someone else's edit in between is a 409).
/// Any edit sends the registration back for verification; `uscc_override_by` keeps an
/// officer's acceptance of an unchanged code.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    v: &ValidOrg,
    uscc_override_by: Option<i64>,
) -> Result<(), AppError> {
    if uscc_taken(conn, v.uscc.as_deref(), Some(id))? {
        return Err(crate::error::FieldErrors::single(
            "uscc",
            "field.uscc_taken",
        ));
    }
    let n = diesel::update(
        organizations::table
            .find(id)
            .filter(organizations::version.eq(version)),
    )
    .set((
        OrgFields::from(v),
        organizations::uscc_override_by.eq(uscc_override_by),
        organizations::status.eq(OrgStatus::Pending.as_str()),
        organizations::status_reason.eq(None::<String>),
        organizations::verified_at.eq(None::<NaiveDateTime>),
        organizations::version.eq(version + 1),
        organizations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::conflict("error.edit_conflict"));
    }
    replace_inspections(conn, id, v)
}

fn replace_inspections(conn: &mut DbConn, org_id: i64, v: &ValidOrg) -> Result<(), AppError> {
    diesel::delete(org_inspections::table.filter(org_inspections::org_id.eq(org_id)))
        .execute(conn)?;
    for (year, result) in &v.inspections {
        diesel::insert_into(org_inspections::table)
            .values((
                org_inspections::org_id.eq(org_id),
                org_inspections::year.eq(year),
                org_inspections::result.eq(result.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<OrgRow, AppError> {
    Ok(organizations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)?)
}

pub fn inspections(conn: &mut DbConn, org_id: i64) -> Result<Vec<(i32, String)>, AppError> {
    Ok(org_inspections::table
        .filter(org_inspections::org_id.eq(org_id))
        .order(org_inspections::year.desc())
        .select((org_inspections::year, org_inspections::result))
        .load(conn)?)
}

/// Sets the verification outcome.
pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: OrgStatus,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let verified = status == OrgStatus::Verified;
    diesel::update(organizations::table.find(id))
        .set((
            organizations::status.eq(status.as_str()),
            organizations::status_reason.eq(reason),
            organizations::verified_at.eq(verified.then(now)),
            organizations::version.eq(organizations::version + 1),
            organizations::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn accept_uscc(conn: &mut DbConn, id: i64, by: i64) -> Result<(), AppError> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::uscc_override_by.eq(Some(by)),
            organizations::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_credit(
    conn: &mut DbConn,
    id: i64,
    org_flag: bool,
    legal_rep_flag: bool,
    note: &str,
) -> Result<(), AppError> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::credit_flag_org.eq(org_flag),
            organizations::credit_flag_legal_rep.eq(legal_rep_flag),
            organizations::credit_note.eq(note),
            organizations::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Part of the name or the code.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct OrgListItem {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub uscc: Option<String>,
    pub reg_type: String,
    pub district: String,
    pub status: OrgStatus,
    pub uscc_check_failed: bool,
    pub credit_flag_org: bool,
    pub credit_flag_legal_rep: bool,
    pub created_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConn, f: &OrgFilter) -> Result<Paged<OrgListItem>, AppError> {
    let page = PageReq::new(f.page, f.per_page);
    let build = || {
        let mut q = organizations::table.into_boxed();
        if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(organizations::kind.eq(k.to_string()));
        }
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(organizations::status.eq(s.to_string()));
        }
        if let Some(pat) = super::contains_pattern(f.q.as_deref()) {
            q = q.filter(
                super::lower(organizations::name)
                    .like(pat.clone())
                    .escape('\\')
                    .or(organizations::uscc.like(pat.to_uppercase()).escape('\\')),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .select((
            organizations::id,
            organizations::kind,
            organizations::name,
            organizations::uscc,
            organizations::reg_type,
            organizations::district,
            organizations::status,
            organizations::uscc_check_failed,
            organizations::credit_flag_org,
            organizations::credit_flag_legal_rep,
            organizations::created_at,
        ))
        .order(organizations::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .load(conn)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

pub fn count_by_status(
    conn: &mut DbConn,
    kind: OrgKind,
    status: OrgStatus,
) -> Result<i64, AppError> {
    Ok(organizations::table
        .filter(organizations::kind.eq(kind.as_str()))
        .filter(organizations::status.eq(status.as_str()))
        .count()
        .get_result(conn)?)
}

/// The registrations that have waited longest for verification.
pub fn oldest_pending(conn: &mut DbConn, limit: i64) -> Result<Vec<OrgListItem>, AppError> {
    Ok(organizations::table
        .filter(organizations::status.eq(OrgStatus::Pending.as_str()))
        .select((
            organizations::id,
            organizations::kind,
            organizations::name,
            organizations::uscc,
            organizations::reg_type,
            organizations::district,
            organizations::status,
            organizations::uscc_check_failed,
            organizations::credit_flag_org,
            organizations::credit_flag_legal_rep,
            organizations::created_at,
        ))
        .order(organizations::updated_at.asc())
        .limit(limit)
        .load(conn)?)
}

/// Agencies, for the evaluator invitation form.
pub fn agencies(conn: &mut DbConn) -> Result<Vec<(i64, String)>, AppError> {
    Ok(organizations::table
        .filter(organizations::kind.eq(OrgKind::Agency.as_str()))
        .order(organizations::name)
        .select((organizations::id, organizations::name))
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct DocumentMeta {
    pub id: i64,
    pub org_id: i64,
    pub kind: DocKind,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: NaiveDateTime,
}

pub struct NewDocument<'a> {
    pub org_id: i64,
    pub kind: DocKind,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: i64,
}

pub fn insert_document(conn: &mut DbConn, d: &NewDocument) -> Result<i64, AppError> {
    use sha2::{Digest, Sha256};
    let sha = hex::encode(Sha256::digest(d.content));
    Ok(diesel::insert_into(org_documents::table)
        .values((
            org_documents::org_id.eq(d.org_id),
            org_documents::kind.eq(d.kind),
            org_documents::filename.eq(d.filename),
            org_documents::content_type.eq(d.content_type),
            org_documents::size_bytes.eq(d.content.len() as i64),
            org_documents::sha256.eq(sha),
            org_documents::content.eq(d.content),
            org_documents::uploaded_by.eq(d.uploaded_by),
            org_documents::uploaded_at.eq(now()),
        ))
        .returning(org_documents::id)
        .get_result(conn)?)
}

pub fn documents(conn: &mut DbConn, org_id: i64) -> Result<Vec<DocumentMeta>, AppError> {
    Ok(org_documents::table
        .filter(org_documents::org_id.eq(org_id))
        .order(org_documents::id)
        .select((
            org_documents::id,
            org_documents::org_id,
            org_documents::kind,
            org_documents::filename,
            org_documents::content_type,
            org_documents::size_bytes,
            org_documents::sha256,
            org_documents::uploaded_at,
        ))
        .load(conn)?)
}

/// A document's metadata and bytes.
pub fn document(
    conn: &mut DbConn,
    org_id: i64,
    doc_id: i64,
) -> Result<(DocumentMeta, Vec<u8>), AppError> {
    Ok(org_documents::table
        .filter(org_documents::org_id.eq(org_id))
        .filter(org_documents::id.eq(doc_id))
        .select((
            (
                org_documents::id,
                org_documents::org_id,
                org_documents::kind,
                org_documents::filename,
                org_documents::content_type,
                org_documents::size_bytes,
                org_documents::sha256,
                org_documents::uploaded_at,
            ),
            org_documents::content,
        ))
        .first::<(DocumentMeta, Vec<u8>)>(conn)?)
}

#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct Bar {
    pub id: i64,
    pub bureau_id: i64,
    pub bureau_name: String,
    pub until: NaiveDate,
    pub reason: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_bar(
    conn: &mut DbConn,
    org_id: i64,
    bureau_id: i64,
    until: NaiveDate,
    reason: &str,
    by: Option<i64>,
) -> Result<i64, AppError> {
    use super::schema::org_bars;
    Ok(diesel::insert_into(org_bars::table)
        .values((
            org_bars::org_id.eq(org_id),
            org_bars::bureau_id.eq(bureau_id),
            org_bars::until.eq(until),
            org_bars::reason.eq(reason),
            org_bars::created_by.eq(by),
            org_bars::created_at.eq(now()),
        ))
        .returning(org_bars::id)
        .get_result(conn)?)
}

/// Bars of an organization still in force on `on` (any bureau), latest first.
pub fn bars(conn: &mut DbConn, org_id: i64, on: NaiveDate) -> Result<Vec<Bar>, AppError> {
    use super::schema::{bureaus, org_bars};
    Ok(org_bars::table
        .inner_join(bureaus::table)
        .filter(org_bars::org_id.eq(org_id))
        .filter(org_bars::lifted_at.is_null())
        .filter(org_bars::until.ge(on))
        .order(org_bars::until.desc())
        .select((
            org_bars::id,
            org_bars::bureau_id,
            bureaus::name,
            org_bars::until,
            org_bars::reason,
            org_bars::created_at,
        ))
        .load(conn)?)
}

/// Whether the organization is barred from the bureau's rounds on `on`.
pub fn barred(
    conn: &mut DbConn,
    org_id: i64,
    bureau_id: i64,
    on: NaiveDate,
) -> Result<bool, AppError> {
    Ok(bars(conn, org_id, on)?
        .iter()
        .any(|b| b.bureau_id == bureau_id))
}
