//! The public verification of an issued document by its code: the facts a bank, a donor or
//! a later round compares with a paper copy. Open to anyone; a handful of indexed lookups.

use chrono::NaiveDate;

use crate::db::{self, documents, projects, DbConn};
use crate::domain::project::{DocumentKind, ProjectStatus};
use crate::domain::verify::Standing;
use crate::error::AppError;

/// What the verification page and `GET /api/v1/verify/{code}` show.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VerifiedDocument {
    /// The code as printed (`7KQ2-M9XD-4HRT`).
    pub code: String,
    #[schema(value_type = String, example = "agreement")]
    pub kind: DocumentKind,
    /// The project's agreement number (`XY-2027-0001`).
    pub agreement_no: String,
    pub organization: String,
    pub project: String,
    pub grant_fen: i64,
    /// The issuing bureau.
    pub bureau: String,
    /// The Beijing date the version was issued.
    pub issued_on: NaiveDate,
    pub version: i32,
    /// The latest version of this document of the project.
    pub latest_version: i32,
    /// SHA-256 of the PDF, hex; absent until the PDF was first downloaded.
    pub sha256: Option<String>,
    pub standing: Standing,
    /// For an evaluation summary: the evaluation's stage (`midterm`, `final`).
    pub stage: Option<crate::domain::evaluation::Stage>,
    /// For an evaluation summary: the grade (优秀, 良好, …) as accepted.
    pub grade: Option<String>,
    /// For an evaluation summary: the total the grade was read from, integer tenths.
    pub total_tenths: Option<i32>,
}

/// The document with verification code `code` (already read by [`crate::domain::verify::parse`]).
pub fn document(conn: &mut DbConn, code: &str) -> Result<VerifiedDocument, AppError> {
    let d = documents::by_code(conn, code)?.ok_or(AppError::NotFound)?;
    let p = projects::project(conn, d.project_id)?;
    let bureau = db::rounds::bureau_name(conn, p.bureau_id)?;
    let latest_version = documents::latest_version(conn, p.id, d.kind)?;
    // A terminated project revokes its grant documents; an evaluation summary stays a true
    // record of what was found.
    let terminated = p.status == ProjectStatus::Terminated && !d.kind.is_summary();
    let evaluation = match d.evaluation_id.filter(|_| d.kind.is_summary()) {
        Some(id) => Some(db::evaluations::find(conn, id)?),
        None => None,
    };
    Ok(VerifiedDocument {
        stage: evaluation.as_ref().map(|e| e.stage),
        grade: evaluation.as_ref().and_then(|e| e.grade.clone()),
        total_tenths: evaluation.as_ref().and_then(|e| e.total_tenths),
        code: crate::domain::verify::display(code),
        kind: d.kind,
        agreement_no: p.agreement_no,
        organization: p.org_name,
        project: p.title,
        grant_fen: p.grant_fen,
        bureau,
        issued_on: crate::domain::calendar::beijing_date(d.issued_at),
        version: d.version,
        latest_version,
        sha256: d.sha256,
        standing: Standing::of(d.version, latest_version, terminated),
    })
}
