//! The application guide (申报指南) of a round as a PDF.

use super::{Block, Document};
use crate::domain::money::Fen;
use crate::domain::round::RoundRules;
use crate::i18n::{t, Lang};

/// What the guide shows, already formatted.
pub struct GuideInput<'a> {
    pub title: &'a str,
    pub bureau: &'a str,
    pub description: &'a str,
    pub total_budget: Fen,
    pub min_grant: Fen,
    pub max_grant: Fen,
    /// Beijing time, formatted.
    pub opens_at: String,
    pub closes_at: String,
    pub rules: &'a RoundRules,
    pub generated: String,
}

fn pct(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

pub fn guide(g: &GuideInput) -> Document {
    // An official document: in Chinese whatever the reader's language.
    let l = Lang::Zh;
    let r = g.rules;
    let mut blocks = vec![
        Block::Title(g.title.to_string()),
        Block::Facts(vec![
            (t(l, "pdf.bureau").into(), g.bureau.into()),
            (
                t(l, "round.total_budget").into(),
                g.total_budget.to_string(),
            ),
            (
                t(l, "round.grant_range").into(),
                format!("{} – {}", g.min_grant, g.max_grant),
            ),
            (t(l, "round.opens_at").into(), g.opens_at.clone()),
            (t(l, "round.closes_at").into(), g.closes_at.clone()),
            (t(l, "round.categories").into(), r.categories.join("、")),
        ]),
        Block::Heading(t(l, "round.description").into()),
    ];
    blocks.extend(
        g.description
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Block::Paragraph(p.to_string())),
    );
    blocks.push(Block::Heading(t(l, "call.rules").into()));
    let types: Vec<&str> = r
        .allowed_reg_types
        .iter()
        .map(|x| t(l, x.label_key()))
        .collect();
    blocks.push(Block::Facts(vec![
        (t(l, "round.allowed_reg_types").into(), types.join("、")),
        (
            t(l, "round.min_registered_months").into(),
            r.min_registered_months.to_string(),
        ),
        (
            t(l, "round.inspection_years").into(),
            r.inspection_years.to_string(),
        ),
        (
            t(l, "round.max_proposals_per_org").into(),
            r.max_proposals_per_org.to_string(),
        ),
        (
            t(l, "round.max_grant_share").into(),
            pct(r.max_grant_share_bp),
        ),
        (
            t(l, "round.personnel_max").into(),
            format!("≤ {}", pct(r.personnel_max_bp)),
        ),
        (
            t(l, "round.admin_max").into(),
            format!("≤ {}", pct(r.admin_max_bp)),
        ),
        (
            t(l, "round.project_months").into(),
            r.project_months.to_string(),
        ),
    ]));
    blocks.push(Block::Heading(t(l, "round.review_criteria").into()));
    blocks.push(Block::Table {
        header: vec![t(l, "pdf.criterion").into(), t(l, "pdf.points").into()],
        rows: r
            .review_criteria
            .iter()
            .map(|c| vec![c.name.clone(), c.max_points.to_string()])
            .collect(),
    });
    blocks.push(Block::Paragraph(format!(
        "{}：{}；{}：{}",
        t(l, "round.aggregation"),
        t(l, r.aggregation.label_key()),
        t(l, "round.fundable_threshold"),
        r.fundable_threshold
    )));
    blocks.push(Block::Paragraph(format!(
        "{}：{}（{}）",
        t(l, "round.funding_rule"),
        t(l, r.funding_rule.label_key()),
        t(l, r.funding_rule.hint_key())
    )));
    if r.supplementary_notice_days > 0 {
        blocks.push(Block::Paragraph(format!(
            "{}：{} {}",
            t(l, "round.supplementary_notice_days"),
            r.supplementary_notice_days,
            t(l, "notice.working_days")
        )));
    }
    blocks.push(Block::Heading(t(l, "round.tranches").into()));
    blocks.push(Block::Table {
        header: vec![t(l, "pdf.share").into(), t(l, "pdf.condition").into()],
        rows: r
            .tranches
            .iter()
            .map(|x| vec![pct(x.share_bp), t(l, x.condition.label_key()).into()])
            .collect(),
    });
    blocks.push(Block::Heading(t(l, "round.evaluation_criteria").into()));
    blocks.push(Block::Table {
        header: vec![t(l, "pdf.criterion").into(), t(l, "pdf.points").into()],
        rows: r
            .evaluation_criteria
            .iter()
            .map(|c| vec![c.name.clone(), c.max_points.to_string()])
            .collect(),
    });
    Document {
        title: g.title.to_string(),
        blocks,
        footer: format!("{} · {}", g.bureau, g.generated),
        landscape: false,
    }
}
