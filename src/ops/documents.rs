//! Issuing a project's documents: the award notice (立项通知书) and the grant agreement
//! (项目协议书) when the round is finalised, the completion certificate (结项证明) when the
//! project completes.
//!
//! What a document says is fixed when it is issued: the op that makes it final lays it out
//! (cheap string work, no PDF rendering) and keeps the layout in `documents` in its own
//! transaction, so a later edit of the organisation's profile (its bank account, address or
//! legal representative) never changes an issued notice or a signed agreement. The PDF is
//! rendered from that layout once, on the first download, without a pooled connection held
//! (`web::documents`), and kept with its SHA-256.
//!
//! The award notice and the agreement are never re-issued: nothing they state changes after
//! finalising (核减, the line and the tranche split are frozen with the round). The
//! completion certificate states the amount paid so far, and the last tranche is usually paid
//! after completion: each payment recorded on a completed project issues a new version of the
//! certificate; earlier versions are kept.

use chrono::NaiveDate;

use crate::db::awards::{self, AwardRow};
use crate::db::documents::{self, DocumentRow, NewDocument};
use crate::db::projects::{self, ProjectRow};
use crate::db::{self, evaluations, orgs, proposals, DbConn};
use crate::domain::money::Fen;
use crate::domain::project::{DocumentKind, ProjectStatus};
use crate::domain::round::TrancheCondition;
use crate::error::AppError;
use crate::pdf::award::{AwardDocInput, TrancheLine};
use crate::pdf::Document;

/// The footer of an issued document: when it was issued.
fn issued_footer() -> String {
    format!(
        "益创 · 生成于 {}",
        crate::domain::calendar::format_beijing(db::now())
    )
}

/// Keeps a document of `p`: a new version (in the issuing op's transaction), or with
/// `first_only` version 1 unless some version exists. Each version gets its own verification
/// code, printed at its end with the QR code of its page under `base_url`.
fn keep(
    c: &mut DbConn,
    p: &ProjectRow,
    kind: DocumentKind,
    doc: &Document,
    first_only: bool,
    base_url: &str,
) -> Result<(), AppError> {
    let code = crate::domain::verify::new_code();
    let mut doc = doc.clone();
    doc.blocks.push(crate::pdf::Block::Verify {
        url: crate::domain::verify::url(base_url, &code),
        code: code.clone(),
    });
    let source = serde_json::to_string(&doc).map_err(|e| AppError::Unexpected(e.to_string()))?;
    let d = NewDocument {
        project_id: p.id,
        kind,
        filename: &kind.filename(&p.agreement_no),
        source_json: &source,
        verify_code: Some(&code),
    };
    if first_only {
        documents::issue_first(c, &d)
    } else {
        documents::issue(c, &d).map(|_| ())
    }
}

// ---------------------------------------------------------------------------------------------
// Award notice and agreement
// ---------------------------------------------------------------------------------------------

fn condition_text(c: &str) -> String {
    let key = TrancheCondition::parse(c)
        .map(|c| c.label_key())
        .unwrap_or("TrancheCondition.on_signing");
    crate::i18n::t(crate::i18n::Lang::Zh, key).to_string()
}

/// Lays out the award notice or the agreement of project `p` from its award line.
fn award_document(
    c: &mut DbConn,
    p: &ProjectRow,
    award: &AwardRow,
    bureau: &str,
    round_year: i32,
    kind: DocumentKind,
) -> Result<Document, AppError> {
    let org = orgs::find(c, p.org_id)?;
    let proposal = proposals::find(c, p.proposal_id)?;
    let content = proposal.content();
    let contact = format!("{} {}", content.project_lead, content.project_lead_phone);
    let tranches = projects::tranches(c, p.id)?;
    let input = AwardDocInput {
        agreement_no: &p.agreement_no,
        bureau,
        round_title: &p.round_title,
        round_year,
        org_name: &org.name,
        org_uscc: org.uscc.as_deref().unwrap_or(""),
        legal_rep: &org.legal_rep,
        org_address: &org.address,
        contact: &contact,
        bank_name: &org.bank_name,
        bank_account_name: &org.bank_account_name,
        bank_account_no: &org.bank_account_no,
        proposal_number: proposal.number.as_deref().unwrap_or(""),
        project_title: &p.title,
        category: &p.category,
        requested: Fen(award.requested_fen),
        grant: Fen(p.grant_fen),
        reduce_reason: award.reduce_reason.as_deref(),
        final_score_tenths: award.final_tenths,
        rank: award.rank,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        tranches: tranches
            .iter()
            .map(|t| TrancheLine {
                seq: t.seq,
                share_bp: t.share_bp,
                condition: condition_text(t.condition.as_str()),
                amount: Fen(t.amount_fen),
            })
            .collect(),
        issued_on: crate::domain::calendar::beijing_date(p.created_at),
        generated: issued_footer(),
    };
    Ok(match kind {
        DocumentKind::Agreement => crate::pdf::award::agreement(&input),
        _ => crate::pdf::award::award_notice(&input),
    })
}

/// Issues the award notice and the agreement of a project just created from its award line,
/// in the finalising transaction.
pub fn issue_award_documents(
    c: &mut DbConn,
    project_id: i64,
    award: &AwardRow,
    bureau: &str,
    round_year: i32,
    base_url: &str,
) -> Result<(), AppError> {
    let p = projects::project(c, project_id)?;
    for kind in [DocumentKind::AwardNotice, DocumentKind::Agreement] {
        let doc = award_document(c, &p, award, bureau, round_year, kind)?;
        keep(c, &p, kind, &doc, false, base_url)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Completion certificate
// ---------------------------------------------------------------------------------------------

/// Lays out the completion certificate of a completed project, dated `issued_on` (the day
/// the final evaluation was accepted when `None`).
fn certificate_document(
    c: &mut DbConn,
    p: &ProjectRow,
    issued_on: Option<NaiveDate>,
) -> Result<Document, AppError> {
    if p.status != ProjectStatus::Completed {
        return Err(AppError::conflict("error.project_not_completed"));
    }
    let round = crate::db::rounds::find(c, p.round_id)?;
    let bureau = crate::db::rounds::bureau_name(c, round.bureau_id)?;
    let uscc = orgs::find(c, p.org_id)?.uscc.unwrap_or_default();
    let paid: Fen = projects::payments(c, p.id)?
        .iter()
        .map(|x| Fen(x.amount_fen))
        .sum();
    let latest = projects::latest_filed(&projects::reports(c, p.id)?).unwrap_or_default();
    let final_eval = evaluations::accepted_final(c, p.id)?.ok_or(AppError::NotFound)?;
    let number = format!("JX-{}", p.agreement_no.trim_start_matches("XY-"));
    let issued = issued_on.unwrap_or_else(|| {
        final_eval
            .accepted_at
            .map(crate::domain::calendar::beijing_date)
            .unwrap_or_else(db::today)
    });
    Ok(crate::pdf::evaluation::completion_certificate(
        &crate::pdf::evaluation::CompletionInput {
            certificate_no: &number,
            agreement_no: &p.agreement_no,
            bureau: &bureau,
            round_title: &p.round_title,
            org_name: &p.org_name,
            org_uscc: &uscc,
            project_title: &p.title,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            grant: Fen(p.grant_fen),
            paid,
            unique_people: latest.unique_total(),
            person_times: latest.person_times_total(),
            final_grade: final_eval.grade.as_deref().unwrap_or("—"),
            final_score_tenths: final_eval.total_tenths.unwrap_or(0),
            issued_on: issued,
            generated: issued_footer(),
        },
    ))
}

/// Issues a new version of the completion certificate of a completed project (at completion,
/// and after each payment recorded later), dated today, in the caller's transaction.
pub fn issue_certificate(c: &mut DbConn, project_id: i64, base_url: &str) -> Result<(), AppError> {
    let p = projects::project(c, project_id)?;
    let doc = certificate_document(c, &p, Some(db::today()))?;
    keep(
        c,
        &p,
        DocumentKind::CompletionCertificate,
        &doc,
        false,
        base_url,
    )
}

// ---------------------------------------------------------------------------------------------
// Supplement agreements (补充协议)
// ---------------------------------------------------------------------------------------------

/// What a supplement lists about its change request.
pub struct SupplementFacts<'a> {
    pub kind: crate::domain::change::ChangeKind,
    pub status: crate::domain::change::ChangeStatus,
    pub reason: &'a str,
    pub decision_reason: &'a str,
    pub rows: Vec<(String, String, String)>,
    pub plan_version: i32,
}

/// Issues the next supplement agreement of project `p` listing an applied change, in the
/// applying transaction; returns its number (the document's version).
pub fn issue_supplement(
    c: &mut DbConn,
    p: &ProjectRow,
    f: &SupplementFacts,
) -> Result<i32, AppError> {
    let round = crate::db::rounds::find(c, p.round_id)?;
    let bureau = crate::db::rounds::bureau_name(c, round.bureau_id)?;
    let zh = |k: &str| crate::i18n::t(crate::i18n::Lang::Zh, k).to_string();
    let next = documents::versions(c, p.id, DocumentKind::Supplement)?.len() as i32 + 1;
    let doc = crate::pdf::award::supplement(&crate::pdf::award::SupplementInput {
        agreement_no: &p.agreement_no,
        supplement_no: next,
        bureau: &bureau,
        org_name: &p.org_name,
        project_title: &p.title,
        kind: &zh(f.kind.label_key()),
        outcome: &zh(f.status.label_key()),
        reason: f.reason,
        decision_reason: f.decision_reason,
        rows: f.rows.clone(),
        plan_version: f.plan_version,
        issued_on: db::today(),
        generated: issued_footer(),
    });
    let source = serde_json::to_string(&doc).map_err(|e| AppError::Unexpected(e.to_string()))?;
    let filename = format!("补充协议-{}-{next}.pdf", p.agreement_no);
    documents::issue(
        c,
        &NewDocument {
            project_id: p.id,
            kind: DocumentKind::Supplement,
            filename: &filename,
            source_json: &source,
            verify_code: None,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// The latest version of a document of `p` (whose visibility the caller checked). A project
/// issued before documents were kept gets version 1 now, from what the database holds.
pub fn current(
    c: &mut DbConn,
    p: &ProjectRow,
    kind: DocumentKind,
    base_url: &str,
) -> Result<DocumentRow, AppError> {
    if kind == DocumentKind::CompletionCertificate && p.status != ProjectStatus::Completed {
        return Err(AppError::conflict("error.project_not_completed"));
    }
    if let Some(d) = documents::latest(c, p.id, kind)? {
        return Ok(d);
    }
    let doc = match kind {
        DocumentKind::CompletionCertificate => certificate_document(c, p, None)?,
        // Issued only by an applied change (`issue_supplement`), never after the fact.
        DocumentKind::Supplement => return Err(AppError::NotFound),
        _ => {
            let round = crate::db::rounds::find(c, p.round_id)?;
            let bureau = crate::db::rounds::bureau_name(c, round.bureau_id)?;
            let award = awards::awards(c, p.round_id)?
                .into_iter()
                .find(|a| a.proposal_id == p.proposal_id)
                .ok_or(AppError::NotFound)?;
            award_document(c, p, &award, &bureau, round.year, kind)?
        }
    };
    keep(c, p, kind, &doc, true, base_url)?;
    documents::latest(c, p.id, kind)?.ok_or(AppError::NotFound)
}
