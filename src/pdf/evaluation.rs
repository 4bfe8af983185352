//! The evaluation summary (评估报告摘要) of a third-party evaluation and the completion
//! certificate (结项证明) of a completed project.
//!
//! Like the award documents, both are official and therefore always in Chinese, whatever the
//! reader's UI language. Scores are integer tenths (853 → "85.3"); the beneficiary gap and its
//! rate are computed with integer arithmetic only. Amounts are shown in figures (`Fen`'s
//! Display) and, on the certificate, in the uppercase form ([`fen_to_chinese_upper`]).

use chrono::{Datelike, NaiveDate};

use super::award::fen_to_chinese_upper;
use super::{Block, Document};
use crate::domain::money::Fen;

/// One indicator of the round's evaluation rubric, as scored by the evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorLine {
    /// E.g. "服务成效".
    pub name: String,
    /// The indicator's weight, e.g. 35.
    pub max_points: i32,
    /// Integer tenths: 312 => "31.2".
    pub score_tenths: i32,
    /// The evaluator's comment; may be "".
    pub comment: String,
}

/// One panel member's scores (tenths, one per indicator) and total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLine {
    pub name: String,
    pub scores: Vec<i32>,
    pub total_tenths: i32,
}

/// Beneficiaries of one category: as reported by the organisation and as verified by the
/// evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLine {
    /// Already-localised category, e.g. "老年人".
    pub group: String,
    pub reported: i64,
    pub verified: i64,
}

/// Everything an evaluation summary (评估报告摘要) says, already looked up and localised
/// (Chinese).
#[derive(Debug, Clone)]
pub struct EvaluationDocInput<'a> {
    pub agreement_no: &'a str,
    pub project_title: &'a str,
    pub org_name: &'a str,
    /// The civil-affairs bureau in charge (主管部门).
    pub bureau: &'a str,
    pub round_title: &'a str,
    /// "中期评估" / "末期评估" / "中期再评估" …; "" gives the generic title.
    pub stage: &'a str,
    /// The third-party agency (第三方评估机构).
    pub agency: &'a str,
    pub evaluator: &'a str,
    /// Empty while no indicator has been scored. With a panel, each indicator's score is the
    /// members' mean on it.
    pub indicators: Vec<IndicatorLine>,
    /// The panel's sheets (评估小组); empty when one evaluator scored.
    pub members: Vec<MemberLine>,
    /// The scores' total (with a panel the mean of the members' totals) before any weighting
    /// of target achievement, integer tenths.
    pub scored_tenths: i32,
    /// The total the grade was read from (after any lateness deduction), integer tenths:
    /// 853 => "85.3".
    pub total_tenths: i32,
    /// The round's bands with their edges, e.g. "优秀 ≥ 90.0，良好 80.0–89.9，…".
    pub bands: String,
    /// Late reports (one line each) and what the round's rule did, e.g.
    /// "1 份报告逾期（宽限 0 天）：按不合格处理"; empty when nothing was late.
    pub lateness: Vec<String>,
    /// 优秀 / 良好 / 合格 / 不合格 …; "" while not graded.
    pub grade: &'a str,
    /// Beneficiary satisfaction in percent, if surveyed.
    pub satisfaction_pct: Option<i32>,
    /// Verified vs reported beneficiaries by category.
    pub groups: Vec<GroupLine>,
    pub findings: &'a str,
    /// Localised renewal recommendation (续期建议).
    pub recommendation: &'a str,
    /// Localised text of what follows from the result, e.g. "第二期资金可拨付".
    pub consequence: &'a str,
    /// The officer's written reason, when the consequence was overridden.
    pub override_reason: Option<&'a str>,
    /// When the officer accepted the evaluation; `None` while pending.
    pub accepted_on: Option<NaiveDate>,
    /// Footer text, e.g. "益创 · 生成于 2027-06-01 10:00".
    pub generated: String,
    /// The evaluator's call-back sample (抽样回访), shown as an annex; none when none was drawn.
    pub annex: Option<SampleAnnex>,
    /// The project's performance targets (绩效目标) as evaluated; none when it declared none.
    pub targets: Option<TargetSection>,
}

/// The performance targets (绩效目标完成情况) of an evaluated project, already localised
/// (Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSection {
    /// One row per target: indicator, target, target value, evaluated value, reached share.
    pub rows: Vec<Vec<String>>,
    /// e.g. "达成 3/4 项；目标完成得分 91.7（优）".
    pub summary: String,
    /// How the achievement is weighted into the total, when the round weights it, e.g.
    /// "目标完成得分按 20 分计入评估总分：84.0 × 80% + 91.7 × 20% = 85.5 分".
    pub blend: Option<String>,
}

fn target_blocks(t: &TargetSection) -> Vec<Block> {
    let mut out = vec![
        Block::Heading("绩效目标完成情况".into()),
        Block::Table {
            header: vec![
                "指标".into(),
                "目标".into(),
                "目标值".into(),
                "核实完成值".into(),
                "完成率".into(),
            ],
            rows: t.rows.clone(),
        },
        Block::Paragraph(sentence(&t.summary)),
    ];
    if let Some(b) = &t.blend {
        out.push(Block::Paragraph(sentence(b)));
    }
    out
}

/// The call-back sample annex (附件：抽样回访情况), already localised (Chinese), identities
/// masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleAnnex {
    pub seed: String,
    /// Who drew it and when (Beijing), e.g. "王评估 2027-05-20 09:30".
    pub drawn: String,
    /// The round's rule, e.g. "每类 5%，不少于 10 人；确认率低于 80% 提示主管部门；满意度 5 级".
    pub rule: String,
    /// Per group: 类别, 名册人数, 抽样人数, 联系上, 确认受益, 确认率, 核实人数.
    pub groups: Vec<Vec<String>>,
    /// Per person: 序号, 类别, 姓名, 联系方式, 联系上, 确认受益, 满意度.
    pub persons: Vec<Vec<String>>,
    /// The overall confirmed rate and satisfaction, e.g. "总体确认率 83.33%；满意度 92%（12 人作答）".
    pub totals: String,
    /// Below the round's threshold: the note shown.
    pub flag: Option<String>,
}

/// Everything a completion certificate (结项证明) says, already looked up.
#[derive(Debug, Clone)]
pub struct CompletionInput<'a> {
    /// E.g. "JX-2027-0003".
    pub certificate_no: &'a str,
    pub agreement_no: &'a str,
    /// The issuer (the civil-affairs bureau).
    pub bureau: &'a str,
    pub round_title: &'a str,
    pub org_name: &'a str,
    /// May be "" for a 备案 community group.
    pub org_uscc: &'a str,
    pub project_title: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub grant: Fen,
    pub paid: Fen,
    /// Unique beneficiaries (受益人数).
    pub unique_people: i64,
    /// Person-times served (服务人次).
    pub person_times: i64,
    pub final_grade: &'a str,
    /// Integer tenths: 853 => "85.3".
    pub final_score_tenths: i32,
    pub issued_on: NaiveDate,
    /// Footer text, e.g. "益创 · 生成于 2027-12-20 10:00".
    pub generated: String,
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

/// `2027年6月1日`
fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 853 → `85.3`
/// Tenths as points with one decimal: `853` → `85.3`, `800` → `80.0`.
pub(crate) fn score(tenths: i32) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.trim().to_string()
    }
}

/// Appends `。` unless the text already ends with sentence punctuation.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() || s.ends_with(['。', '！', '？', '.', '!', '?', '；', ';']) {
        s.to_string()
    } else {
        format!("{s}。")
    }
}

/// A signed difference: `+5`, `-12`, `0`.
fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// `verified − reported` as a percentage of `reported` with one decimal, rounded half away
/// from zero, using integer arithmetic only: (10, 12) → `+20.0%`, (8, 7) → `-12.5%`;
/// `—` when nothing was reported.
fn gap_rate(reported: i64, verified: i64) -> String {
    if reported <= 0 {
        return "—".into();
    }
    let gap = i128::from(verified) - i128::from(reported);
    let reported = i128::from(reported);
    // Tenths of a percent, rounded half away from zero.
    let scaled = gap.abs() * 1000;
    let tenths = (scaled + reported / 2) / reported;
    let sign = match gap.signum() {
        1 if tenths > 0 => "+",
        -1 if tenths > 0 => "-",
        _ => "",
    };
    format!("{sign}{}.{}%", tenths / 10, tenths % 10)
}

/// `“{title}”`, with quotes inside the title turned into single quotes (‘’).
fn quoted(title: &str) -> String {
    format!("“{}”", title.trim().replace('“', "‘").replace('”', "’"))
}

fn footer(number: &str, generated: &str) -> String {
    if number.trim().is_empty() {
        generated.to_string()
    } else {
        format!("{} · {generated}", number.trim())
    }
}

// ---------------------------------------------------------------------------------------------
// 评估报告摘要
// ---------------------------------------------------------------------------------------------

/// The indicator table (指标, 分值, 得分, 评语) with a 合计 row, or a note if nothing is
/// scored yet.
fn indicator_block(e: &EvaluationDocInput) -> Block {
    if e.indicators.is_empty() {
        return Block::Paragraph("尚未录入指标得分。".into());
    }
    let mut rows: Vec<Vec<String>> = e
        .indicators
        .iter()
        .map(|i| {
            vec![
                i.name.clone(),
                i.max_points.to_string(),
                score(i.score_tenths),
                or_dash(&i.comment),
            ]
        })
        .collect();
    let max: i64 = e.indicators.iter().map(|i| i64::from(i.max_points)).sum();
    rows.push(vec![
        "合计".into(),
        max.to_string(),
        score(e.scored_tenths),
        String::new(),
    ]);
    Block::Table {
        header: vec!["指标".into(), "分值".into(), "得分".into(), "评语".into()],
        rows,
    }
}

/// The panel's sheets (成员, one column per indicator, 总分) and how the total is taken.
fn member_blocks(e: &EvaluationDocInput) -> Vec<Block> {
    if e.members.is_empty() {
        return Vec::new();
    }
    let mut header = vec!["成员".to_string()];
    header.extend(e.indicators.iter().map(|i| i.name.clone()));
    header.push("总分".into());
    let rows = e
        .members
        .iter()
        .map(|m| {
            let mut row = vec![or_dash(&m.name)];
            row.extend(m.scores.iter().map(|t| score(*t)));
            row.push(score(m.total_tenths));
            row
        })
        .collect();
    vec![
        Block::Heading("评估小组评分".into()),
        Block::Table { header, rows },
        Block::Paragraph(format!(
            "总分取 {} 名成员总分的平均值，四舍五入到 0.1 分：{} 分。",
            e.members.len(),
            score(e.scored_tenths)
        )),
    ]
}

fn group_row(label: &str, reported: i64, verified: i64) -> Vec<String> {
    vec![
        label.to_string(),
        reported.to_string(),
        verified.to_string(),
        signed(verified - reported),
        gap_rate(reported, verified),
    ]
}

/// The beneficiary verification table (类别, 报告人数, 核实人数, 差异, 差异率), with a 合计
/// row when there is more than one category, or a note if nothing was verified.
fn group_block(e: &EvaluationDocInput) -> Block {
    if e.groups.is_empty() {
        return Block::Paragraph("评估机构未核实受益人数。".into());
    }
    let mut rows: Vec<Vec<String>> = e
        .groups
        .iter()
        .map(|g| group_row(&or_dash(&g.group), g.reported, g.verified))
        .collect();
    if e.groups.len() > 1 {
        let reported: i64 = e.groups.iter().map(|g| g.reported).sum();
        let verified: i64 = e.groups.iter().map(|g| g.verified).sum();
        rows.push(group_row("合计", reported, verified));
    }
    Block::Table {
        header: vec![
            "类别".into(),
            "报告人数".into(),
            "核实人数".into(),
            "差异".into(),
            "差异率".into(),
        ],
        rows,
    }
}

/// `评估等级：良好（85.3 分）`
fn grade_line(e: &EvaluationDocInput) -> String {
    if e.grade.trim().is_empty() {
        "评估等级：尚未评定".into()
    } else {
        format!(
            "评估等级：{}（{} 分）",
            e.grade.trim(),
            score(e.total_tenths)
        )
    }
}

/// The evaluation summary (评估报告摘要) of one mid-term, final or re-evaluation.
pub fn evaluation_summary(e: &EvaluationDocInput) -> Document {
    let title = if e.stage.trim().is_empty() {
        "项目评估报告摘要".to_string()
    } else {
        format!("{}报告摘要", e.stage.trim())
    };
    let mut blocks = vec![
        Block::Title(title.clone()),
        Block::Facts(vec![
            ("协议编号".into(), or_dash(e.agreement_no)),
            ("项目名称".into(), or_dash(e.project_title)),
            ("实施机构".into(), or_dash(e.org_name)),
            ("主管部门".into(), or_dash(e.bureau)),
            ("项目批次".into(), or_dash(e.round_title)),
            ("评估机构".into(), or_dash(e.agency)),
            ("评估人员".into(), or_dash(e.evaluator)),
            ("评估阶段".into(), or_dash(e.stage)),
        ]),
        Block::Heading("指标得分".into()),
        indicator_block(e),
    ];
    blocks.extend(member_blocks(e));
    if let Some(t) = &e.targets {
        blocks.extend(target_blocks(t));
    }
    if !e.lateness.is_empty() {
        blocks.push(Block::Heading("材料逾期".into()));
        blocks.extend(e.lateness.iter().map(|l| Block::Paragraph(sentence(l))));
    }
    blocks.extend([
        Block::Paragraph(grade_line(e)),
        Block::Paragraph(if e.bands.trim().is_empty() {
            "等级划分：—".into()
        } else {
            format!("等级划分（按总分精确到 0.1 分）：{}", e.bands.trim())
        }),
        Block::Paragraph(match e.satisfaction_pct {
            Some(p) => format!("服务对象满意度：{p}%"),
            None => "服务对象满意度：—（未开展满意度调查）".into(),
        }),
        Block::Heading("受益人数核实".into()),
        group_block(e),
        Block::Paragraph(
            "差异 = 核实人数 − 报告人数；差异率 = 差异 ÷ 报告人数（报告人数为0时记“—”）。".into(),
        ),
        Block::Heading("主要发现".into()),
        Block::Paragraph(or_dash(e.findings)),
        Block::Heading("续期建议".into()),
        Block::Paragraph(or_dash(e.recommendation)),
        Block::Heading("评估结论的处理".into()),
        Block::Paragraph(or_dash(e.consequence)),
    ]);
    if let Some(reason) = e.override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        blocks.push(Block::Paragraph(format!(
            "主管部门调整处理意见的理由：{}",
            sentence(reason)
        )));
    }
    blocks.push(Block::Paragraph(match e.accepted_on {
        Some(d) => format!("评估结果确认日期：{}", cn_date(d)),
        None => "评估结果尚待主管部门确认。".into(),
    }));
    if let Some(a) = &e.annex {
        blocks.extend(annex_blocks(a));
    }
    Document {
        title: format!("{title} {}", e.agreement_no).trim().to_string(),
        blocks,
        footer: footer(e.agreement_no, &e.generated),
        landscape: false,
    }
}

/// The sample annex: how it was drawn, the estimates per group, and every sampled person
/// (masked).
fn annex_blocks(a: &SampleAnnex) -> Vec<Block> {
    let mut out = vec![
        Block::Heading("附件：抽样回访情况".into()),
        Block::Facts(vec![
            ("抽样种子".into(), or_dash(&a.seed)),
            ("抽样人".into(), or_dash(&a.drawn)),
            ("抽样规则".into(), or_dash(&a.rule)),
        ]),
        Block::Paragraph(
            "按受益对象类别，将名册中的每位服务对象按 SHA-256（种子 + 身份标识）排序，取前 k 人；任何人可用上述种子复核抽样结果。"
                .into(),
        ),
        Block::Table {
            header: ["类别", "名册人数", "抽样人数", "联系上", "确认受益", "确认率", "核实人数"]
                .iter()
                .map(|h| h.to_string())
                .collect(),
            rows: a.groups.clone(),
        },
        Block::Paragraph(
            "确认率 = 确认受益人数 ÷ 联系上人数（向下取整到 0.01%）；核实人数 = 名册人数 × 确认受益人数 ÷ 联系上人数（向下取整）。满意度为作答者中选择满意一侧（高于量表中点）的比例（四舍五入到 1%）。"
                .into(),
        ),
        Block::Paragraph(sentence(&a.totals)),
    ];
    if let Some(f) = &a.flag {
        out.push(Block::Paragraph(sentence(f)));
    }
    if !a.persons.is_empty() {
        out.push(Block::Table {
            header: [
                "序号",
                "类别",
                "姓名",
                "联系方式",
                "联系上",
                "确认受益",
                "满意度",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect(),
            rows: a.persons.clone(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 结项证明
// ---------------------------------------------------------------------------------------------

/// The completion certificate (结项证明) issued when a project has passed its final evaluation.
pub fn completion_certificate(c: &CompletionInput) -> Document {
    let round = if c.round_title.trim().is_empty() {
        "公益创投".to_string()
    } else {
        c.round_title.trim().to_string()
    };
    let body = format!(
        "兹证明{org}（统一社会信用代码：{uscc}）承接的{round}项目{project}\
         （协议编号：{agreement}），项目周期{start}至{end}，\
         资助金额{grant}（大写：人民币{grant_upper}），已拨付{paid}，\
         累计服务{people}人、{times}人次，经第三方末期评估，等级为{grade}（{score} 分），\
         准予结项。\n特此证明。",
        org = c.org_name.trim(),
        uscc = or_dash(c.org_uscc),
        project = quoted(c.project_title),
        agreement = or_dash(c.agreement_no),
        start = cn_date(c.starts_on),
        end = cn_date(c.ends_on),
        grant = c.grant,
        grant_upper = fen_to_chinese_upper(c.grant),
        paid = c.paid,
        people = c.unique_people,
        times = c.person_times,
        grade = or_dash(c.final_grade),
        score = score(c.final_score_tenths),
    );
    let blocks = vec![
        Block::Title("结项证明".into()),
        Block::Paragraph(format!("证明编号：{}", or_dash(c.certificate_no))),
        Block::Paragraph(body),
        Block::Signature(vec![c.bureau.to_string(), cn_date(c.issued_on)]),
    ];
    Document {
        title: format!("结项证明 {}", c.certificate_no).trim().to_string(),
        blocks,
        footer: footer(c.certificate_no, &c.generated),
        landscape: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::render;
    use std::process::Command;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn gap_rates_use_integer_rounding() {
        assert_eq!(gap_rate(10, 12), "+20.0%");
        assert_eq!(gap_rate(8, 7), "-12.5%");
        assert_eq!(gap_rate(120, 120), "0.0%");
        assert_eq!(gap_rate(3, 2), "-33.3%");
        assert_eq!(gap_rate(3, 4), "+33.3%");
        assert_eq!(gap_rate(6, 5), "-16.7%");
        assert_eq!(gap_rate(2000, 1999), "-0.1%"); // 0.05% rounds away from zero
        assert_eq!(gap_rate(100_000, 100_001), "0.0%"); // 0.001% rounds to nothing
        assert_eq!(gap_rate(0, 5), "—");
        assert_eq!(gap_rate(0, 0), "—");
        assert_eq!(gap_rate(i64::MAX, 0), "-100.0%");
        assert_eq!(signed(5), "+5");
        assert_eq!(signed(-12), "-12");
        assert_eq!(signed(0), "0");
        assert_eq!(score(853), "85.3");
        assert_eq!(score(0), "0.0");
        assert_eq!(sentence("已整改"), "已整改。");
        assert_eq!(sentence("已整改。"), "已整改。");
        assert_eq!(quoted("“银龄相伴”关爱"), "“‘银龄相伴’关爱”");
    }

    fn indicator(name: &str, max_points: i32, score_tenths: i32, comment: &str) -> IndicatorLine {
        IndicatorLine {
            name: name.into(),
            max_points,
            score_tenths,
            comment: comment.into(),
        }
    }

    fn group(group: &str, reported: i64, verified: i64) -> GroupLine {
        GroupLine {
            group: group.into(),
            reported,
            verified,
        }
    }

    fn sample() -> EvaluationDocInput<'static> {
        EvaluationDocInput {
            agreement_no: "GYXY-2026-0007",
            project_title: "“银龄相伴”社区独居老人关爱服务项目",
            org_name: "苏州市姑苏区彩虹社会工作服务中心",
            bureau: "苏州市民政局",
            round_title: "2026年度苏州市公益创投活动",
            stage: "中期评估",
            agency: "苏州市恒信社会组织评估中心",
            evaluator: "张伟、刘芳",
            indicators: vec![
                indicator("项目管理", 15, 130, "制度健全，台账完整"),
                indicator("服务成效", 35, 295, "入户探访达到计划进度"),
                indicator("财务管理", 20, 172, "个别票据不规范"),
                indicator("社会影响与满意度", 20, 171, ""),
                indicator("创新与可持续", 10, 85, "引入社区志愿者结对"),
            ],
            members: Vec::new(),
            scored_tenths: 853,
            total_tenths: 853,
            bands: "优秀 ≥ 90.0，良好 80.0–89.9，合格 60.0–79.9，不合格 < 60.0".into(),
            lateness: Vec::new(),
            grade: "良好",
            satisfaction_pct: Some(92),
            groups: vec![
                group("老年人", 120, 112),
                group("残疾人", 40, 45),
                group("儿童", 0, 3),
            ],
            findings: "项目按计划推进，服务对象覆盖3个社区；部分活动签到表缺少联系方式。",
            recommendation: "可通过常规评审申请续期资助",
            consequence: "评估合格，第二期资金可拨付。",
            override_reason: None,
            accepted_on: Some(date(2027, 6, 1)),
            generated: "益创 · 生成于 2027-06-01 10:00".into(),
            annex: None,
            targets: None,
        }
    }

    fn certificate() -> CompletionInput<'static> {
        CompletionInput {
            certificate_no: "JX-2027-0003",
            agreement_no: "GYXY-2026-0007",
            bureau: "苏州市民政局",
            round_title: "2026年度苏州市公益创投活动",
            org_name: "苏州市姑苏区彩虹社会工作服务中心",
            org_uscc: "52320508MJ0000001X",
            project_title: "“银龄相伴”社区独居老人关爱服务项目",
            starts_on: date(2026, 12, 1),
            ends_on: date(2027, 11, 30),
            grant: Fen(12_345_678),
            paid: Fen(12_345_678),
            unique_people: 326,
            person_times: 2150,
            final_grade: "优秀",
            final_score_tenths: 912,
            issued_on: date(2027, 12, 20),
            generated: "益创 · 生成于 2027-12-20 10:00".into(),
        }
    }

    /// `pdftotext -layout` output of a PDF (the same approach as the award documents' tests).
    fn pdftotext(bytes: &[u8]) -> String {
        let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let out = Command::new("pdftotext")
            .arg("-layout")
            .arg(file.path())
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) must be installed");
        assert!(out.status.success(), "pdftotext failed: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Text with all whitespace removed, so wrapped lines and table cells match as one string.
    fn squash(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn assert_contains_all(text: &str, needles: &[&str]) {
        let flat = squash(text);
        for needle in needles {
            assert!(
                flat.contains(&squash(needle)),
                "{needle:?} missing from:\n{text}"
            );
        }
    }

    fn rendered_text(doc: &Document) -> String {
        let bytes = render(doc).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        pdftotext(&bytes)
    }

    #[test]
    fn evaluation_summary_lists_the_targets_as_evaluated() {
        let mut e = sample();
        e.targets = Some(TargetSection {
            rows: vec![
                vec![
                    "数量".into(),
                    "服务独居老人".into(),
                    "不低于 120 人".into(),
                    "112".into(),
                    "93%".into(),
                ],
                vec![
                    "满意度".into(),
                    "服务对象满意度".into(),
                    "不低于 90 %".into(),
                    "—".into(),
                    "—".into(),
                ],
            ],
            summary: "达成 0/2 项；目标完成得分 46.7（差）".into(),
            blend: Some(
                "目标完成得分按 20 分计入评估总分：85.3 × 80% + 46.7 × 20% = 77.6 分".into(),
            ),
        });
        let text = rendered_text(&evaluation_summary(&e));
        assert_contains_all(
            &text,
            &[
                "绩效目标完成情况",
                "服务独居老人",
                "不低于 120 人",
                "93%",
                "达成 0/2 项；目标完成得分 46.7（差）。",
                "85.3 × 80% + 46.7 × 20% = 77.6 分",
            ],
        );
        // Without targets there is no such section.
        let plain = rendered_text(&evaluation_summary(&sample()));
        assert!(!squash(&plain).contains("绩效目标完成情况"), "{plain}");
    }

    #[test]
    fn evaluation_summary_renders_scores_grade_and_gaps() {
        let e = sample();
        let doc = evaluation_summary(&e);
        assert_eq!(doc.title, "中期评估报告摘要 GYXY-2026-0007");
        assert_eq!(
            doc.footer,
            "GYXY-2026-0007 · 益创 · 生成于 2027-06-01 10:00"
        );
        let text = rendered_text(&doc);
        assert_contains_all(
            &text,
            &[
                "中期评估报告摘要",
                "GYXY-2026-0007",
                "“银龄相伴”社区独居老人关爱服务项目",
                "苏州市姑苏区彩虹社会工作服务中心",
                "苏州市民政局",
                "2026年度苏州市公益创投活动",
                "苏州市恒信社会组织评估中心",
                "张伟、刘芳",
                "评估阶段",
                "指标 分值 得分 评语",
                "项目管理 15 13.0 制度健全，台账完整",
                "服务成效 35 29.5",
                "财务管理 20 17.2 个别票据不规范",
                "社会影响与满意度 20 17.1 —",
                "创新与可持续 10 8.5",
                "合计 100 85.3",
                "评估等级：良好（85.3 分）",
                "服务对象满意度：92%",
                "类别 报告人数 核实人数 差异 差异率",
                "老年人 120 112 -8 -6.7%",
                "残疾人 40 45 +5 +12.5%",
                "儿童 0 3 +3 —",
                "合计 160 160 0 0.0%",
                "主要发现",
                "部分活动签到表缺少联系方式",
                "续期建议",
                "可通过常规评审申请续期资助",
                "评估结论的处理",
                "第二期资金可拨付",
                "评估结果确认日期：2027年6月1日",
            ],
        );
        assert!(!text.contains("调整处理意见"), "{text}");
        // The sections come in order.
        let flat = squash(&text);
        let positions: Vec<usize> = [
            "指标得分",
            "评估等级",
            "受益人数核实",
            "主要发现",
            "续期建议",
            "评估结论的处理",
            "确认日期",
        ]
        .iter()
        .map(|h| flat.find(h).unwrap())
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn evaluation_summary_of_a_late_panel_shows_sheets_deduction_and_bands() {
        let mut e = sample();
        e.members = vec![
            MemberLine {
                name: "张伟".into(),
                scores: vec![130, 295, 172, 171, 85],
                total_tenths: 853,
            },
            MemberLine {
                name: "刘芳".into(),
                scores: vec![131, 295, 172, 171, 85],
                total_tenths: 854,
            },
        ];
        e.scored_tenths = 854;
        e.total_tenths = 829;
        e.lateness = vec![
            "中期报告：截止日期 2027-05-31，提交日期 2027-06-03，逾期天数 3".into(),
            "1 份报告逾期（宽限 0 天）：扣 2.5 分".into(),
        ];
        let text = rendered_text(&evaluation_summary(&e));
        assert_contains_all(
            &text,
            &[
                "合计 100 85.4",
                "评估小组评分",
                "张伟 13.0 29.5 17.2 17.1 8.5 85.3",
                "刘芳 13.1 29.5 17.2 17.1 8.5 85.4",
                "总分取 2 名成员总分的平均值，四舍五入到 0.1 分：85.4 分。",
                "材料逾期",
                "逾期天数 3",
                "扣 2.5 分",
                "评估等级：良好（82.9 分）",
                "优秀 ≥ 90.0，良好 80.0–89.9",
            ],
        );
    }

    #[test]
    fn evaluation_summary_annexes_the_call_back_sample_masked() {
        let mut e = sample();
        e.annex = Some(SampleAnnex {
            seed: "9f2c4e1a7b3d5f60a1b2c3d4e5f60718".into(),
            drawn: "陈静 2027-05-20 09:30".into(),
            rule: "每类抽取 5%，不少于 10 人（不超过该类人数）；确认率低于 80% 提示主管部门；满意度 5 级量表"
                .into(),
            groups: vec![vec![
                "老年人".into(),
                "40".into(),
                "10".into(),
                "9".into(),
                "6".into(),
                "66.66%".into(),
                "26".into(),
            ]],
            persons: vec![vec![
                "1".into(),
                "老年人".into(),
                "王*".into(),
                "139****0007".into(),
                "是".into(),
                "否".into(),
                "2/5".into(),
            ]],
            totals: "总体确认率 66.66%；满意度 67%（9 人作答）".into(),
            flag: Some("抽样确认率低于本批次设定的 80%，已提示主管部门关注".into()),
        });
        let text = squash(&rendered_text(&evaluation_summary(&e)));
        assert_contains_all(
            &text,
            &[
                "附件：抽样回访情况",
                "9f2c4e1a7b3d5f60a1b2c3d4e5f60718",
                "陈静",
                "核实人数",
                "66.66%",
                "139****0007",
                "王*",
                "已提示主管部门关注",
                "向下取整",
            ],
        );
    }

    #[test]
    fn evaluation_summary_before_scoring_with_override() {
        let mut e = sample();
        e.stage = "";
        e.indicators.clear();
        e.total_tenths = 0;
        e.grade = "";
        e.satisfaction_pct = None;
        e.groups = vec![group("老年人", 0, 0)];
        e.findings = "";
        e.consequence = "项目进入整改期，第二期资金暂缓拨付";
        e.override_reason = Some("机构因疫情防控暂停入户服务，整改期限延长至2027年9月30日");
        e.accepted_on = None;
        let doc = evaluation_summary(&e);
        assert_eq!(doc.title, "项目评估报告摘要 GYXY-2026-0007");
        let text = rendered_text(&doc);
        assert_contains_all(
            &text,
            &[
                "项目评估报告摘要",
                "GYXY-2026-0007",
                "尚未录入指标得分。",
                "评估等级：尚未评定",
                "服务对象满意度：—",
                "老年人 0 0 0 —",
                "主要发现—",
                "主管部门调整处理意见的理由：机构因疫情防控暂停入户服务，\
                 整改期限延长至2027年9月30日。",
                "评估结果尚待主管部门确认。",
            ],
        );
        assert!(!squash(&text).contains("合计"), "{text}");

        e.groups.clear();
        let text = rendered_text(&evaluation_summary(&e));
        assert_contains_all(&text, &["评估机构未核实受益人数。"]);
    }

    #[test]
    fn completion_certificate_renders_formal_text() {
        let c = certificate();
        let doc = completion_certificate(&c);
        assert_eq!(doc.title, "结项证明 JX-2027-0003");
        let text = rendered_text(&doc);
        assert_contains_all(
            &text,
            &[
                "结项证明",
                "证明编号：JX-2027-0003",
                "兹证明苏州市姑苏区彩虹社会工作服务中心（统一社会信用代码：52320508MJ0000001X）\
                 承接的2026年度苏州市公益创投活动项目“‘银龄相伴’社区独居老人关爱服务项目”\
                 （协议编号：GYXY-2026-0007），项目周期2026年12月1日至2027年11月30日，\
                 资助金额¥123,456.78（大写：人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分），\
                 已拨付¥123,456.78，累计服务326人、2150人次，经第三方末期评估，\
                 等级为优秀（91.2 分），准予结项。",
                "特此证明。",
                "苏州市民政局2027年12月20日",
                "JX-2027-0003 · 益创 · 生成于 2027-12-20 10:00",
            ],
        );
    }

    #[test]
    fn completion_certificate_without_uscc_or_round_title() {
        let mut c = certificate();
        c.org_uscc = "";
        c.round_title = " ";
        c.project_title = "四点半课堂";
        c.grant = Fen(5_000_000);
        c.paid = Fen(4_000_000);
        let text = rendered_text(&completion_certificate(&c));
        assert_contains_all(
            &text,
            &[
                "统一社会信用代码：—",
                "承接的公益创投项目“四点半课堂”",
                "¥50,000.00（大写：人民币伍万元整）",
                "已拨付¥40,000.00",
            ],
        );
    }
}
