//! A proposal (项目申报书) as a PDF.

use super::{Block, Document};
use crate::domain::proposal::ProposalContent;
use crate::i18n::{t, Lang};

pub struct ProposalInput<'a> {
    pub number: Option<&'a str>,
    pub status: &'a str,
    pub org: &'a str,
    pub round: &'a str,
    pub bureau: &'a str,
    pub content: &'a ProposalContent,
    pub submitted_at: Option<String>,
    pub generated: String,
}

pub fn proposal(p: &ProposalInput) -> Document {
    // An official document: in Chinese whatever the reader's language.
    let l = Lang::Zh;
    let c = p.content;
    let tr = |k: &str| t(l, k).to_string();
    let period = match (c.start_date, c.end_date) {
        (Some(s), Some(e)) => format!("{s} – {e}"),
        _ => "—".into(),
    };
    let mut facts = vec![
        (tr("proposal.number"), p.number.unwrap_or("—").to_string()),
        (tr("field.status"), p.status.to_string()),
        (tr("proposal.org"), p.org.to_string()),
        (tr("proposal.round"), format!("{}（{}）", p.round, p.bureau)),
        (tr("proposal.category"), c.category.clone()),
        (
            tr("proposal.project_lead"),
            format!("{} {}", c.project_lead, c.project_lead_phone),
        ),
        (tr("proposal.period"), period),
        (
            tr("proposal.requested_grant"),
            c.requested_grant.to_string(),
        ),
        (tr("proposal.total_budget"), c.total_budget().to_string()),
        (tr("proposal.matching"), {
            let by: Vec<String> = c
                .matching_by_source()
                .iter()
                .map(|(src, f)| format!("{} {f}", tr(src.label_key())))
                .collect();
            if by.is_empty() {
                c.matching_total().to_string()
            } else {
                format!("{}（{}）", c.matching_total(), by.join("；"))
            }
        }),
    ];
    if let Some(at) = &p.submitted_at {
        facts.push((tr("proposal.submitted_at"), at.clone()));
    }
    let mut blocks = vec![
        Block::Title(if c.title.is_empty() {
            tr("proposal.untitled")
        } else {
            c.title.clone()
        }),
        Block::Facts(facts),
    ];
    for (k, v) in [
        ("proposal.summary", &c.summary),
        ("proposal.need_analysis", &c.need_analysis),
        ("proposal.target_group", &c.target_group),
        ("proposal.service_area", &c.service_area),
        ("proposal.activities", &c.activities),
        ("proposal.team", &c.team),
    ] {
        blocks.push(Block::Heading(tr(k)));
        blocks.push(Block::Paragraph(if v.trim().is_empty() {
            "—".into()
        } else {
            v.clone()
        }));
    }
    blocks.push(Block::Heading(tr("proposal.beneficiaries")));
    blocks.push(Block::Table {
        header: vec![
            tr("proposal.b_category"),
            tr("proposal.b_unique"),
            tr("proposal.b_times"),
        ],
        rows: c
            .beneficiaries
            .iter()
            .map(|b| {
                vec![
                    b.category.clone(),
                    b.unique_people.to_string(),
                    b.person_times.to_string(),
                ]
            })
            .collect(),
    });
    if !c.indirect_beneficiaries.trim().is_empty() {
        blocks.push(Block::Paragraph(format!(
            "{}：{}",
            tr("proposal.indirect_beneficiaries"),
            c.indirect_beneficiaries
        )));
    }
    blocks.push(Block::Heading(tr("proposal.milestones")));
    blocks.push(Block::Table {
        header: vec![
            tr("proposal.m_due"),
            tr("proposal.m_title"),
            tr("proposal.m_deliverable"),
            tr("proposal.m_target"),
        ],
        rows: c
            .milestones
            .iter()
            .map(|m| {
                vec![
                    m.due.to_string(),
                    m.title.clone(),
                    m.deliverable.clone(),
                    m.target_beneficiaries.to_string(),
                ]
            })
            .collect(),
    });
    if !c.targets.is_empty() {
        blocks.push(Block::Heading(tr("target.title")));
        blocks.push(Block::Table {
            header: vec![
                tr("target.indicator"),
                tr("target.name"),
                tr("target.value"),
                tr("target.figure"),
            ],
            rows: c
                .targets
                .iter()
                .map(|x| {
                    vec![
                        x.indicator.clone(),
                        x.name.clone(),
                        x.target_text(l),
                        x.figure_label(l),
                    ]
                })
                .collect(),
        });
    }
    blocks.push(Block::Heading(tr("proposal.budget")));
    blocks.push(Block::Table {
        header: vec![
            tr("proposal.l_category"),
            tr("proposal.l_item"),
            tr("proposal.l_amount"),
            tr("proposal.l_source"),
        ],
        rows: c
            .budget
            .iter()
            .map(|b| {
                vec![
                    tr(b.category.label_key()),
                    b.item.clone(),
                    b.amount.to_string(),
                    tr(b.source.label_key()),
                ]
            })
            .collect(),
    });
    Document {
        title: c.title.clone(),
        blocks,
        footer: format!("{} · {}", p.number.unwrap_or(p.org), p.generated),
        landscape: false,
    }
}
