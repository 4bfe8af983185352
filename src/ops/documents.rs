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
    keep_for(c, p, kind, doc, first_only, None, base_url)
}

/// [`keep`], for an evaluation summary naming its evaluation.
fn keep_for(
    c: &mut DbConn,
    p: &ProjectRow,
    kind: DocumentKind,
    doc: &Document,
    first_only: bool,
    evaluation_id: Option<i64>,
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
        evaluation_id,
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
// Evaluation summaries (评估报告摘要)
// ---------------------------------------------------------------------------------------------

/// The late reports (one line each) and what the rule did, for the summary.
fn late_lines(l: &crate::domain::evaluation::Lateness) -> Vec<String> {
    let zh = |k: &'static str| crate::i18n::t(crate::i18n::Lang::Zh, k);
    let mut out: Vec<String> = l
        .reports
        .iter()
        .map(|r| {
            let filed = r
                .filed_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| zh("evaluation.late_missing").to_string());
            format!(
                "{}：{} {}，{} {}，{} {}{}",
                r.title,
                zh("evaluation.late_due"),
                r.due_on,
                zh("evaluation.late_filed"),
                filed,
                zh("evaluation.late_days"),
                r.days_late,
                if r.counted {
                    String::new()
                } else {
                    format!("（{}）", zh("evaluation.late_in_grace"))
                }
            )
        })
        .collect();
    out.extend(l.reason().map(|m| m.render(crate::i18n::Lang::Zh)));
    out
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "是".into(),
        Some(false) => "否".into(),
        None => "—".into(),
    }
}

/// The sample annex of an evaluation, if a sample was drawn: sizes, estimates and every
/// sampled person with their name and number masked.
fn sample_annex(
    c: &mut DbConn,
    ev: &evaluations::EvaluationRow,
    rules: &crate::domain::sample::SampleRules,
) -> Result<Option<crate::pdf::evaluation::SampleAnnex>, AppError> {
    use crate::domain::sample::percent_text;
    let zh = |k: &'static str| crate::i18n::t(crate::i18n::Lang::Zh, k).to_string();
    let Some((s, rows, est)) = super::sampling::brief(c, ev, rules)? else {
        return Ok(None);
    };
    let group_label = |g: &str| {
        crate::domain::report::BeneficiaryGroup::parse(g)
            .map(|b| zh(b.label_key()))
            .unwrap_or_else(|| g.to_string())
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.roster_entry_id).collect();
    let entries: std::collections::HashMap<i64, crate::db::samples::EntryRow> =
        crate::db::samples::entries(c, &ids)?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let persons = rows
        .iter()
        .map(|r| {
            let (name, identity) = match entries.get(&r.roster_entry_id) {
                Some(e) if e.anonymised_at.is_none() => (
                    crate::pii::mask_name(e.name.trim()),
                    e.id_masked.clone().unwrap_or_else(|| "—".into()),
                ),
                _ => ("（已匿名）".to_string(), "—".to_string()),
            };
            vec![
                r.seq.to_string(),
                group_label(&r.grp),
                name,
                identity,
                yes_no(r.reached),
                yes_no(r.confirmed),
                r.satisfaction
                    .map(|v| format!("{v}/{}", rules.satisfaction_scale))
                    .unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let groups = est
        .groups
        .iter()
        .map(|g| {
            vec![
                group_label(&g.group),
                g.population.to_string(),
                g.sampled.to_string(),
                g.reached.to_string(),
                g.confirmed.to_string(),
                g.confirmed_rate_bp
                    .map(percent_text)
                    .unwrap_or_else(|| "—".into()),
                g.verified
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let totals = format!(
        "总体确认率 {}；满意度 {}（{} 人作答）",
        est.confirmed_rate_bp
            .map(percent_text)
            .unwrap_or_else(|| "—".into()),
        est.satisfaction_pct
            .map(|p| format!("{p}%"))
            .unwrap_or_else(|| "—".into()),
        est.satisfaction_answers
    );
    Ok(Some(crate::pdf::evaluation::SampleAnnex {
        seed: s.seed.clone(),
        drawn: format!(
            "{} {}",
            s.drawn_by_name,
            crate::domain::calendar::format_beijing(s.drawn_at)
        ),
        rule: format!(
            "每类抽取 {}，不少于 {} 人（不超过该类人数）；确认率低于 {} 提示主管部门；满意度 {} 级量表",
            percent_text(rules.rate_bp),
            rules.min_per_group,
            percent_text(rules.confirmed_threshold_bp),
            rules.satisfaction_scale
        ),
        groups,
        persons,
        totals,
        flag: est.flagged.then(|| {
            format!(
                "抽样确认率低于本批次设定的 {}，已提示主管部门关注",
                percent_text(rules.confirmed_threshold_bp)
            )
        }),
    }))
}

/// Lays out the evaluation summary of an accepted evaluation, as it stands.
fn summary_document(
    c: &mut DbConn,
    ev: &evaluations::EvaluationRow,
    p: &ProjectRow,
) -> Result<Document, AppError> {
    use crate::domain::evaluation::{Consequence, Stage};
    use crate::domain::report::BeneficiaryGroup;
    use crate::pdf::evaluation::{
        evaluation_summary, EvaluationDocInput, GroupLine, IndicatorLine, MemberLine,
    };
    let zh = |k: &'static str| crate::i18n::t(crate::i18n::Lang::Zh, k);
    let round = crate::db::rounds::find(c, p.round_id)?;
    let rules = round.rules();
    let bureau = crate::db::rounds::bureau_name(c, round.bureau_id)?;
    let latest = projects::latest_filed(&projects::reports(c, p.id)?).unwrap_or_default();
    let annex = sample_annex(c, ev, &rules.sampling)?;
    let content = ev.content();
    let targets = target_section(c, p, &content, &rules.targets)?;
    let stage_key = match (ev.stage, ev.reevaluation) {
        (Stage::Midterm, false) => "evaluation.stage_midterm",
        (Stage::Midterm, true) => "evaluation.stage_midterm_re",
        (Stage::Final, false) => "evaluation.stage_final",
        (Stage::Final, true) => "evaluation.stage_final_re",
    };
    let consequence = ev
        .consequence
        .as_deref()
        .and_then(Consequence::parse)
        .map(|c| zh(c.label_key()))
        .unwrap_or("—");
    Ok(evaluation_summary(&EvaluationDocInput {
        agreement_no: &p.agreement_no,
        project_title: &p.title,
        org_name: &p.org_name,
        bureau: &bureau,
        round_title: &p.round_title,
        stage: zh(stage_key),
        agency: &ev.agency_name,
        evaluator: &ev.evaluator_name,
        indicators: rules
            .evaluation_criteria
            .iter()
            .zip(content.scores.iter())
            .enumerate()
            .map(|(i, (cr, s))| IndicatorLine {
                name: cr.name.clone(),
                max_points: cr.max_points,
                score_tenths: content.indicator_tenths(i).unwrap_or(0),
                comment: s.comment.clone(),
            })
            .collect(),
        members: content
            .members
            .iter()
            .map(|m| MemberLine {
                name: m.name.clone(),
                scores: m.scores.iter().map(|v| v.unwrap_or(0)).collect(),
                total_tenths: m.total_tenths(),
            })
            .collect(),
        scored_tenths: content.rubric_tenths(),
        total_tenths: ev.total_tenths.unwrap_or_else(|| content.total_tenths()),
        bands: crate::domain::evaluation::bands_text(&rules.grade_bands),
        lateness: late_lines(&ev.lateness().unwrap_or_default()),
        grade: ev.grade.as_deref().unwrap_or("—"),
        satisfaction_pct: content.satisfaction_pct,
        groups: BeneficiaryGroup::ALL
            .iter()
            .filter(|g| latest.unique_of(g.as_str()) > 0 || content.verified_of(g.as_str()) > 0)
            .map(|g| GroupLine {
                group: zh(g.label_key()).to_string(),
                reported: latest.unique_of(g.as_str()),
                verified: content.verified_of(g.as_str()),
            })
            .collect(),
        findings: &content.findings,
        recommendation: content
            .recommendation
            .map(|r| zh(r.label_key()))
            .unwrap_or("—"),
        consequence,
        override_reason: ev.override_reason.as_deref(),
        accepted_on: ev.accepted_at.map(crate::domain::calendar::beijing_date),
        generated: issued_footer(),
        annex,
        targets,
    }))
}

/// The project's targets as the evaluation judged them: the evaluator's values, else those
/// pre-filled from the latest accepted report and the verified counts (as on the form); none
/// when the plan declares no targets.
fn target_section(
    c: &mut DbConn,
    p: &ProjectRow,
    content: &crate::domain::evaluation::EvaluationContent,
    rules: &crate::domain::target::TargetRules,
) -> Result<Option<crate::pdf::evaluation::TargetSection>, AppError> {
    use crate::pdf::evaluation::score as points;
    let zh = crate::i18n::Lang::Zh;
    let (_, plan) = crate::db::changes::plan(c, p.id)?;
    if plan.targets.is_empty() {
        return Ok(None);
    }
    let (_, a) = super::evaluation::evaluated_targets(c, p, &plan, content, rules)?;
    let rows = a
        .targets
        .iter()
        .map(|t| {
            let x = &t.target;
            vec![
                x.indicator.clone(),
                x.name.clone(),
                x.target_text(zh),
                t.actual.map_or_else(|| "—".to_string(), |v| v.to_string()),
                if t.actual.is_some() {
                    format!("{}%", t.reached_pct())
                } else {
                    "—".to_string()
                },
            ]
        })
        .collect();
    let mut summary = format!("达成 {}/{} 项", a.met, a.total);
    if let Some(score) = a.score_tenths {
        summary.push_str(&format!("；目标完成得分 {}", points(score)));
        if let Some(band) = &a.band {
            summary.push_str(&format!("（{band}）"));
        }
    }
    let blend = content.target_blend.map(|b| {
        format!(
            "目标完成得分按 {w} 分计入评估总分：{} × {}% + {} × {w}% = {} 分",
            points(content.rubric_tenths()),
            100 - b.weight,
            points(b.score_tenths),
            points(content.total_tenths()),
            w = b.weight,
        )
    });
    Ok(Some(crate::pdf::evaluation::TargetSection {
        rows,
        summary,
        blend,
    }))
}

/// Issues the evaluation summary of evaluation `evaluation_id` (accepted, its outcome
/// recorded), in the accepting transaction: the next version of its stage's summary, so a
/// re-evaluation's supersedes the one before.
pub fn issue_summary(c: &mut DbConn, evaluation_id: i64, base_url: &str) -> Result<(), AppError> {
    let ev = evaluations::find(c, evaluation_id)?;
    let p = projects::project(c, ev.project_id)?;
    let doc = summary_document(c, &ev, &p)?;
    keep_for(
        c,
        &p,
        DocumentKind::summary_of(ev.stage),
        &doc,
        false,
        Some(ev.id),
        base_url,
    )
}

/// The evaluation summary of accepted evaluation `ev` (whose visibility the caller checked).
/// One not kept (accepted before summaries were kept, or dropped by the demo's seeding) is
/// issued now, with those of earlier evaluations of its stage.
pub fn summary(
    c: &mut DbConn,
    ev: &evaluations::EvaluationRow,
    base_url: &str,
) -> Result<DocumentRow, AppError> {
    if !ev.accepted() {
        return Err(AppError::conflict("error.evaluation_not_accepted"));
    }
    if let Some(d) = documents::of_evaluation(c, ev.id)? {
        return Ok(d);
    }
    // Earlier evaluations of the stage first, so versions follow the evaluations' order.
    db::write_tx(c, |c| {
        for e in evaluations::for_project(c, ev.project_id)?
            .iter()
            .filter(|e| e.stage == ev.stage && e.accepted() && e.id <= ev.id)
        {
            if documents::of_evaluation(c, e.id)?.is_none() {
                issue_summary(c, e.id, base_url)?;
            }
        }
        Ok(())
    })?;
    documents::of_evaluation(c, ev.id)?.ok_or(AppError::NotFound)
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
    let zh = |k: &'static str| crate::i18n::t(crate::i18n::Lang::Zh, k).to_string();
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
            evaluation_id: None,
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
        // Issued only by an applied change (`issue_supplement`), never after the fact; an
        // evaluation summary is read by its evaluation (`summary`).
        DocumentKind::Supplement | DocumentKind::MidtermSummary | DocumentKind::FinalSummary => {
            return Err(AppError::NotFound)
        }
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
