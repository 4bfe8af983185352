//! Issued documents of a project (立项通知书, 项目协议书, 结项证明): each version's laid-out
//! text, fixed when it is issued, and its PDF once rendered, with the PDF's SHA-256.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::documents;
use super::{now, DbConn};
use crate::domain::project::DocumentKind;
use crate::error::AppError;

/// The latest version of a document of a project.
#[derive(Debug, Clone, Queryable)]
pub struct DocumentRow {
    pub id: i64,
    pub version: i32,
    pub filename: String,
    /// The document as issued ([`crate::pdf::Document`] as JSON).
    pub source_json: String,
    /// The PDF, once rendered.
    pub content: Option<Vec<u8>>,
    pub sha256: Option<String>,
}

impl DocumentRow {
    /// The stored PDF with its SHA-256, if it was rendered.
    pub fn rendered(self) -> Option<(Vec<u8>, String)> {
        self.content.zip(self.sha256)
    }
}

type RowCols = (
    documents::id,
    documents::version,
    documents::filename,
    documents::source_json,
    documents::content,
    documents::sha256,
);

/// The columns of a [`DocumentRow`].
const ROW_COLS: RowCols = (
    documents::id,
    documents::version,
    documents::filename,
    documents::source_json,
    documents::content,
    documents::sha256,
);

/// A document about to be issued.
pub struct NewDocument<'a> {
    pub project_id: i64,
    pub kind: DocumentKind,
    pub filename: &'a str,
    pub source_json: &'a str,
    /// The code of its public verification page ([`crate::domain::verify`]); none for a
    /// supplement (补充协议), whose versions are separate amendments, not replacements.
    pub verify_code: Option<&'a str>,
    /// The evaluation an evaluation summary states; none for other documents.
    pub evaluation_id: Option<i64>,
}

/// Issues a new version of a document (1 for the first), in the caller's transaction;
/// returns the version.
pub fn issue(conn: &mut DbConn, d: &NewDocument) -> Result<i32, AppError> {
    let last: Option<i32> = documents::table
        .filter(documents::project_id.eq(d.project_id))
        .filter(documents::kind.eq(d.kind.as_str()))
        .select(diesel::dsl::max(documents::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    diesel::insert_into(documents::table)
        .values((
            documents::project_id.eq(d.project_id),
            documents::kind.eq(d.kind.as_str()),
            documents::version.eq(version),
            documents::filename.eq(d.filename),
            documents::source_json.eq(d.source_json),
            documents::issued_at.eq(now()),
            documents::verify_code.eq(d.verify_code),
            documents::evaluation_id.eq(d.evaluation_id),
        ))
        .execute(conn)?;
    Ok(version)
}

/// Issues version 1 of a document unless some version exists (a project issued before
/// documents were kept). Two instances doing it at once end with one row.
pub fn issue_first(conn: &mut DbConn, d: &NewDocument) -> Result<(), AppError> {
    diesel::sql_query(
        "INSERT INTO documents \
           (project_id, kind, version, filename, source_json, issued_at, verify_code) \
         VALUES ($1, $2, 1, $3, $4, $5, $6) ON CONFLICT (project_id, kind, version) DO NOTHING",
    )
    .bind::<BigInt, _>(d.project_id)
    .bind::<Text, _>(d.kind.as_str())
    .bind::<Text, _>(d.filename)
    .bind::<Text, _>(d.source_json)
    .bind::<Timestamp, _>(now())
    .bind::<diesel::sql_types::Nullable<Text>, _>(d.verify_code)
    .execute(conn)?;
    Ok(())
}

/// The latest version of a document, if one was issued.
pub fn latest(
    conn: &mut DbConn,
    project_id: i64,
    kind: DocumentKind,
) -> Result<Option<DocumentRow>, AppError> {
    Ok(documents::table
        .filter(documents::project_id.eq(project_id))
        .filter(documents::kind.eq(kind.as_str()))
        .order(documents::version.desc())
        .select(ROW_COLS)
        .first(conn)
        .optional()?)
}

/// The evaluation summary issued for evaluation `evaluation_id`, if any.
pub fn of_evaluation(
    conn: &mut DbConn,
    evaluation_id: i64,
) -> Result<Option<DocumentRow>, AppError> {
    Ok(documents::table
        .filter(documents::evaluation_id.eq(evaluation_id))
        .order(documents::version.desc())
        .select(ROW_COLS)
        .first(conn)
        .optional()?)
}

/// One version of a document, if it was issued.
pub fn at_version(
    conn: &mut DbConn,
    project_id: i64,
    kind: DocumentKind,
    version: i32,
) -> Result<Option<DocumentRow>, AppError> {
    Ok(documents::table
        .filter(documents::project_id.eq(project_id))
        .filter(documents::kind.eq(kind.as_str()))
        .filter(documents::version.eq(version))
        .select(ROW_COLS)
        .first(conn)
        .optional()?)
}

/// Keeps the rendered PDF of a document version unless one is kept already, and returns the
/// one kept: of two renders racing, the first stored wins and both callers serve it.
pub fn store_rendered(
    conn: &mut DbConn,
    id: i64,
    content: &[u8],
    sha256: &str,
) -> Result<(Vec<u8>, String), AppError> {
    super::write_tx(conn, |c| {
        diesel::update(
            documents::table
                .filter(documents::id.eq(id))
                .filter(documents::content.is_null()),
        )
        .set((
            documents::content.eq(Some(content)),
            documents::sha256.eq(Some(sha256)),
            documents::size_bytes.eq(Some(content.len() as i64)),
            documents::rendered_at.eq(Some(now())),
        ))
        .execute(c)?;
        let (content, sha256) = documents::table
            .find(id)
            .select((documents::content, documents::sha256))
            .first::<(Option<Vec<u8>>, Option<String>)>(c)?;
        content
            .zip(sha256)
            .ok_or_else(|| AppError::Unexpected(format!("document {id} has no content")))
    })
}

/// One version of a document as kept (tests and audits).
#[derive(Debug, Clone, Queryable)]
pub struct StoredVersion {
    pub version: i32,
    pub sha256: Option<String>,
    pub content: Option<Vec<u8>>,
    pub issued_at: NaiveDateTime,
    pub rendered_at: Option<NaiveDateTime>,
}

/// Every version of a document, oldest first.
pub fn versions(
    conn: &mut DbConn,
    project_id: i64,
    kind: DocumentKind,
) -> Result<Vec<StoredVersion>, AppError> {
    Ok(documents::table
        .filter(documents::project_id.eq(project_id))
        .filter(documents::kind.eq(kind.as_str()))
        .order(documents::version)
        .select((
            documents::version,
            documents::sha256,
            documents::content,
            documents::issued_at,
            documents::rendered_at,
        ))
        .load(conn)?)
}

/// A document version found by its verification code.
#[derive(Debug, Clone, Queryable)]
pub struct VerifiedRow {
    pub project_id: i64,
    pub kind: DocumentKind,
    pub version: i32,
    pub sha256: Option<String>,
    pub issued_at: NaiveDateTime,
    /// The evaluation of an evaluation summary.
    pub evaluation_id: Option<i64>,
}

/// The document version with verification code `code`, if any.
pub fn by_code(conn: &mut DbConn, code: &str) -> Result<Option<VerifiedRow>, AppError> {
    Ok(documents::table
        .filter(documents::verify_code.eq(code))
        .select((
            documents::project_id,
            documents::kind,
            documents::version,
            documents::sha256,
            documents::issued_at,
            documents::evaluation_id,
        ))
        .first(conn)
        .optional()?)
}

/// The latest version number of a document of a project (0 when none was issued).
pub fn latest_version(
    conn: &mut DbConn,
    project_id: i64,
    kind: DocumentKind,
) -> Result<i32, AppError> {
    let v: Option<i32> = documents::table
        .filter(documents::project_id.eq(project_id))
        .filter(documents::kind.eq(kind.as_str()))
        .select(diesel::dsl::max(documents::version))
        .first(conn)?;
    Ok(v.unwrap_or(0))
}

/// The verification code of the latest version of each document of a project that has one,
/// by kind.
pub fn latest_codes(
    conn: &mut DbConn,
    project_id: i64,
) -> Result<Vec<(DocumentKind, String)>, AppError> {
    let rows: Vec<(DocumentKind, i32, Option<String>)> = documents::table
        .filter(documents::project_id.eq(project_id))
        .order((documents::kind, documents::version.desc()))
        .select((documents::kind, documents::version, documents::verify_code))
        .load(conn)?;
    let mut out: Vec<(DocumentKind, String)> = Vec::new();
    let mut seen = Vec::new();
    for (kind, _, code) in rows {
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        if let Some(code) = code {
            out.push((kind, code));
        }
    }
    Ok(out)
}
