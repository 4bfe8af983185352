//! The award notice (立项通知书) and the grant agreement (项目协议书) of a project.
//!
//! Both are official documents and therefore always in Chinese, whatever the reader's UI
//! language. Amounts are shown in figures (`Fen`'s Display, `¥50,000.00`) and in the
//! uppercase form used on Chinese financial documents (大写金额, [`fen_to_chinese_upper`]).

use chrono::{Datelike, NaiveDate};

use super::{Block, Document};
use crate::domain::money::Fen;

/// One payment of the grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrancheLine {
    /// 1-based.
    pub seq: i32,
    /// Share of the grant in basis points, 5000 = 50%.
    pub share_bp: i64,
    /// Already-localised text, e.g. "协议签订后" / "中期评估合格后" / "末期评估合格后".
    pub condition: String,
    pub amount: Fen,
}

/// Everything the two documents say, already looked up.
#[derive(Debug, Clone)]
pub struct AwardDocInput<'a> {
    pub agreement_no: &'a str,
    /// 甲方 (the civil-affairs bureau), e.g. "某市民政局".
    pub bureau: &'a str,
    pub round_title: &'a str,
    pub round_year: i32,
    /// 乙方.
    pub org_name: &'a str,
    /// May be "" for a 备案 community group.
    pub org_uscc: &'a str,
    pub legal_rep: &'a str,
    pub org_address: &'a str,
    /// "name phone".
    pub contact: &'a str,
    pub bank_name: &'a str,
    pub bank_account_name: &'a str,
    pub bank_account_no: &'a str,
    /// E.g. `GY-2026-0001`.
    pub proposal_number: &'a str,
    pub project_title: &'a str,
    pub category: &'a str,
    pub requested: Fen,
    /// May be less than `requested` (核减).
    pub grant: Fen,
    pub reduce_reason: Option<&'a str>,
    /// Integer tenths: 853 => "85.3".
    pub final_score_tenths: i32,
    pub rank: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub tranches: Vec<TrancheLine>,
    pub issued_on: NaiveDate,
    /// Footer text, e.g. "益创 · 生成于 2026-11-23 10:00".
    pub generated: String,
}

// ---------------------------------------------------------------------------------------------
// 大写金额
// ---------------------------------------------------------------------------------------------

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// `1..=9999` without leading zeros: interior zeros become one 零, trailing zeros are dropped
/// (`1010` → 壹仟零壹拾).
fn upper_below_10k(n: u64) -> String {
    debug_assert!((1..10_000).contains(&n));
    let mut s = String::new();
    let mut pending_zero = false;
    for (unit, place) in [("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)] {
        let d = (n / place % 10) as usize;
        if d == 0 {
            pending_zero |= !s.is_empty();
        } else {
            if pending_zero {
                s.push('零');
                pending_zero = false;
            }
            s.push(DIGITS[d]);
            s.push_str(unit);
        }
    }
    s
}

/// A whole number of yuan (> 0) in uppercase, grouped by 万 and 亿. One 零 stands for any run
/// of zero digits between two written digits, also across a group boundary
/// (1,000,100 → 壹佰万零壹佰; 1,005,000 → 壹佰万零伍仟; 100,000 → 壹拾万).
fn upper_integer(n: u64) -> String {
    if n < 10_000 {
        return upper_below_10k(n);
    }
    let (base, unit) = if n >= 100_000_000 {
        (100_000_000, "亿")
    } else {
        (10_000, "万")
    };
    let (hi, lo) = (n / base, n % base);
    let mut s = upper_integer(hi);
    s.push_str(unit);
    if lo > 0 {
        // A zero digit sits between the two parts if `hi` ends in zero (its last written digit
        // is above the unit) or `lo` does not fill the highest place below the unit.
        if hi % 10 == 0 || lo < base / 10 {
            s.push('零');
        }
        s.push_str(&upper_integer(lo));
    }
    s
}

/// An amount in the uppercase form of Chinese financial documents (人民币大写), following
/// the usual rules for 票据和结算凭证:
///
/// - every digit carries its unit, including 壹拾 (`¥10.00` → 壹拾元整);
/// - any run of zeros between two written digits of the yuan part is one 零, also across
///   万/亿 (`¥1,005,000.00` → 壹佰万零伍仟元整, `¥100,001.00` → 壹拾万零壹元整);
/// - after 元, 零 is written only when 角 is zero and 分 is not (`¥1,409.02` →
///   壹仟肆佰零玖元零贰分); zeros at the 元 place before a 角 are not marked
///   (`¥1,680.32` → 壹仟陆佰捌拾元叁角贰分, `¥107,000.53` → 壹拾万零柒仟元伍角叁分 — both
///   forms the People's Bank rules list as correct);
/// - 整 follows 元 when there are no 角 and 分; nothing follows 角 or 分
///   (`¥0.10` → 壹角, `¥0.01` → 壹分);
/// - zero is 零元整.
///
/// Amounts are expected to be ≥ 0; a negative amount is prefixed with 负.
pub fn fen_to_chinese_upper(f: Fen) -> String {
    let mut s = String::new();
    if f.0 < 0 {
        s.push('负');
    }
    let abs = f.0.unsigned_abs();
    let (yuan, jiao, fen) = (abs / 100, (abs / 10 % 10) as usize, (abs % 10) as usize);
    if abs == 0 {
        s.push_str("零元整");
        return s;
    }
    if yuan > 0 {
        s.push_str(&upper_integer(yuan));
        s.push('元');
    }
    if jiao == 0 && fen == 0 {
        s.push('整');
        return s;
    }
    if jiao > 0 {
        s.push(DIGITS[jiao]);
        s.push('角');
    }
    if fen > 0 {
        if jiao == 0 && yuan > 0 {
            s.push('零');
        }
        s.push(DIGITS[fen]);
        s.push('分');
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

/// `2026年11月23日`
fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// `¥50,000.00（大写：人民币伍万元整）`
fn money_with_upper(f: Fen) -> String {
    format!("{f}（大写：人民币{}）", fen_to_chinese_upper(f))
}

/// 853 → `85.3`
fn score(tenths: i32) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

/// 5000 → `50%`, 3333 → `33.33%`
fn pct(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

/// The round as a sentence names it: the title, prefixed with the year unless the title
/// already says it ("2026年度某市公益创投活动" stays as it is).
fn round_name(a: &AwardDocInput) -> String {
    let title = a.round_title.trim();
    if title.is_empty() {
        format!("{}年度公益创投活动", a.round_year)
    } else if title.contains(&a.round_year.to_string()) {
        title.to_string()
    } else {
        format!("{}年度{title}", a.round_year)
    }
}

/// `“{title}”项目`: quotes inside the title become single quotes (‘’), and 项目 is not
/// repeated when the title already ends with it.
fn quoted_project(title: &str) -> String {
    let inner = title.trim().replace('“', "‘").replace('”', "’");
    let suffix = if inner.ends_with("项目") {
        ""
    } else {
        "项目"
    };
    format!("“{inner}”{suffix}")
}

fn period(a: &AwardDocInput) -> String {
    format!("{}至{}", cn_date(a.starts_on), cn_date(a.ends_on))
}

/// The tranche schedule (期次, 比例, 拨付条件, 金额) with a total row, or a note if none.
fn tranche_block(a: &AwardDocInput) -> Block {
    if a.tranches.is_empty() {
        return Block::Paragraph("资金拨付安排由甲方另行通知。".into());
    }
    let mut rows: Vec<Vec<String>> = a
        .tranches
        .iter()
        .map(|t| {
            vec![
                format!("第{}期", t.seq),
                pct(t.share_bp),
                t.condition.clone(),
                t.amount.to_string(),
            ]
        })
        .collect();
    let share: i64 = a.tranches.iter().map(|t| t.share_bp).sum();
    let total: i64 = a.tranches.iter().map(|t| t.amount).sum::<Fen>().0;
    rows.push(vec![
        "合计".into(),
        pct(share),
        String::new(),
        Fen(total).to_string(),
    ]);
    Block::Table {
        header: vec![
            "期次".into(),
            "比例".into(),
            "拨付条件".into(),
            "金额".into(),
        ],
        rows,
    }
}

/// How the tranche amounts are worked out (四舍五入到分, 尾款 last), printed right after the
/// schedule; nothing when there is no schedule.
fn tranche_rule(a: &AwardDocInput) -> String {
    if a.tranches.is_empty() {
        String::new()
    } else {
        crate::i18n::t(crate::i18n::Lang::Zh, "tranche.rounding_rule").to_string()
    }
}

/// The 核减 sentence, if the grant is less than the requested amount.
fn reduction(a: &AwardDocInput) -> Option<String> {
    if a.grant >= a.requested {
        return None;
    }
    let mut s = format!(
        "你单位申报资助金额为{}，经评审核减{}。",
        a.requested,
        Fen(a.requested.0 - a.grant.0)
    );
    if let Some(reason) = a.reduce_reason.map(str::trim).filter(|r| !r.is_empty()) {
        s.push_str(&format!("核减说明：{reason}"));
        if !reason.ends_with(['。', '！', '？', '.', '!', '?']) {
            s.push('。');
        }
    }
    Some(s)
}

fn footer(a: &AwardDocInput) -> String {
    if a.agreement_no.is_empty() {
        a.generated.clone()
    } else {
        format!("{} · {}", a.agreement_no, a.generated)
    }
}

// ---------------------------------------------------------------------------------------------
// 立项通知书
// ---------------------------------------------------------------------------------------------

/// The award notice (立项通知书) sent to the organisation when the round is finalised.
pub fn award_notice(a: &AwardDocInput) -> Document {
    let mut blocks = vec![
        Block::Title("立项通知书".into()),
        Block::Paragraph(format!("协议编号：{}", or_dash(a.agreement_no))),
        Block::Paragraph(format!("{}：", a.org_name)),
        Block::Paragraph(format!(
            "在{}中，你单位申报的{}（申报编号：{}，项目类别：{}）经形式审查、\
             专家评审，并经公示期满，无异议或异议经核查不成立，决定予以立项。\
             该项目评审最终得分{}分，排名第{}位。",
            round_name(a),
            quoted_project(a.project_title),
            or_dash(a.proposal_number),
            or_dash(a.category),
            score(a.final_score_tenths),
            a.rank,
        )),
    ];
    let mut grant = format!("核定资助金额：{}。", money_with_upper(a.grant));
    if let Some(r) = reduction(a) {
        grant.push_str(&r);
    }
    blocks.push(Block::Paragraph(grant));
    blocks.push(Block::Paragraph(format!("项目执行期：{}。", period(a))));
    blocks.push(Block::Heading("资金拨付安排".into()));
    blocks.push(tranche_block(a));
    blocks.push(Block::Paragraph(format!(
        "{}各期资金在拨付条件满足并经确认后拨付至你单位在协议中约定的银行账户。",
        tranche_rule(a)
    )));
    blocks.push(Block::Heading("后续事项".into()));
    blocks.push(Block::Paragraph(format!(
        "一、请于收到本通知之日起{days}个工作日内与{bureau}签订《项目协议书》；\
         逾期未签订且无正当理由的，视为自动放弃立项资格。\n\
         二、请严格按照经批准的项目方案和预算执行项目，按里程碑节点如实提交进度报告\
         （服务人次、受益人数、资金使用情况及佐证材料）。\n\
         三、项目执行期间须接受{bureau}的监督检查及第三方评估机构的中期评估和末期评估，\
         评估结果作为后续资金拨付和续期资助的依据。\n\
         特此通知。",
        bureau = a.bureau,
        days = crate::domain::award::SIGNING_WORKING_DAYS,
    )));
    // As official letters close: the issuing bureau and the date on the right, below the
    // room for its seal.
    blocks.push(Block::Signature(vec![
        a.bureau.to_string(),
        cn_date(a.issued_on),
    ]));
    Document {
        title: format!("立项通知书 {}", a.agreement_no).trim().to_string(),
        blocks,
        footer: footer(a),
        landscape: false,
    }
}

// ---------------------------------------------------------------------------------------------
// 项目协议书
// ---------------------------------------------------------------------------------------------

/// A date left blank for the signatory to fill in by hand.
const BLANK_DATE: &str = "          年        月        日";

/// The grant agreement (项目协议书) between the bureau (甲方) and the organisation (乙方).
pub fn agreement(a: &AwardDocInput) -> Document {
    let title = if a.round_title.trim().is_empty() {
        "公益创投项目协议书".to_string()
    } else {
        format!("{}项目协议书", a.round_title)
    };
    let blocks = vec![
        Block::Title(title.clone()),
        Block::Paragraph(format!("协议编号：{}", or_dash(a.agreement_no))),
        Block::Facts(vec![
            ("甲方".into(), a.bureau.to_string()),
            ("乙方".into(), a.org_name.to_string()),
            ("统一社会信用代码".into(), or_dash(a.org_uscc)),
            ("法定代表人".into(), or_dash(a.legal_rep)),
            ("地址".into(), or_dash(a.org_address)),
            ("联系人".into(), or_dash(a.contact)),
        ]),
        Block::Paragraph(format!(
            "根据{}的有关规定及评审、公示结果，乙方申报的{}（申报编号：{}）\
             予以立项资助。为明确双方的权利和义务，保障项目顺利实施，甲乙双方经协商一致，\
             订立本协议。",
            round_name(a),
            quoted_project(a.project_title),
            or_dash(a.proposal_number)
        )),
        Block::Heading("第一条 项目内容".into()),
        Block::Paragraph(format!(
            "项目名称：{}\n项目类别：{}\n项目执行期：{}\n\
             乙方应按照经评审通过的项目申报书（含活动安排、里程碑计划和预算）实施项目，\
             项目申报书为本协议的组成部分。项目内容、预算或执行期确需调整的，应书面报甲方同意。",
            a.project_title,
            or_dash(a.category),
            period(a)
        )),
        Block::Heading("第二条 资助金额".into()),
        Block::Paragraph(format!(
            "甲方资助乙方项目资金{}。资助资金专款专用，乙方配套资金按项目申报书落实。",
            money_with_upper(a.grant)
        )),
        Block::Heading("第三条 拨付方式".into()),
        Block::Paragraph("资助资金按以下期次拨付：".into()),
        tranche_block(a),
        Block::Paragraph(format!(
            "{}各期资金在相应拨付条件满足、经甲方确认后拨付至乙方账户（见第四条）；\
             各期金额之和等于资助金额。中期评估或末期评估不合格的，相应期次资金暂缓拨付，\
             整改并经再评估合格后再行拨付。",
            tranche_rule(a)
        )),
        Block::Heading("第四条 乙方账户".into()),
        Block::Facts(vec![
            ("开户银行".into(), or_dash(a.bank_name)),
            ("账户名称".into(), or_dash(a.bank_account_name)),
            ("银行账号".into(), or_dash(a.bank_account_no)),
        ]),
        Block::Paragraph(
            "乙方账户名称应与乙方名称一致；账户信息变更的，乙方应及时书面告知甲方。".into(),
        ),
        Block::Heading("第五条 甲方权利义务".into()),
        Block::Paragraph(
            "一、按本协议约定的期次和条件及时拨付资助资金。\n\
             二、对项目实施情况和资金使用情况进行监督检查，有权查阅项目相关资料和财务凭证。\n\
             三、委托第三方评估机构对项目开展中期评估和末期评估，并将评估结果告知乙方。\n\
             四、为项目实施提供必要的政策指导和协调支持。"
                .into(),
        ),
        Block::Heading("第六条 乙方权利义务".into()),
        Block::Paragraph(
            "一、按照项目申报书和本协议组织实施项目，确保服务质量和服务对象的合法权益。\n\
             二、资助资金仅用于经批准的项目预算，不得用于购置固定资产，不得以现金或礼品形式\
             向服务对象发放，不得挪作他用。\n\
             三、对资助资金单独建账、单独核算，妥善保存票据和凭证。\n\
             四、按里程碑节点如实提交进度报告（服务人次、受益人数、资金使用情况及佐证材料），\
             重大事项及时报告甲方。\n\
             五、接受甲方的监督检查和第三方评估机构的评估，如实提供评估所需资料。\n\
             六、项目宣传和成果发布应注明项目资助来源。"
                .into(),
        ),
        Block::Heading("第七条 评估、续期与违约责任".into()),
        Block::Paragraph(
            "一、项目实施期间进行中期评估，项目结束后进行末期评估。中期评估合格的，拨付后续资金；\
             末期评估合格的，拨付尾款，项目结项。乙方逾期或未提交评估所需资料的，视为评估不合格。\n\
             二、评估不合格的，乙方应在甲方规定的期限内整改，整改期间暂停拨付资金；\
             整改后再评估仍不合格的，甲方有权终止本协议。\n\
             三、末期评估不合格的，尾款不予拨付，乙方在此后一定期限内不得申报甲方组织的公益创投项目；\
             末期评估为优秀的，可按规定申请续期资助。\n\
             四、乙方虚报冒领、挪用或违规使用资助资金，或无正当理由不履行本协议的，甲方有权终止本协议，\
             追回已拨付的未使用资金和违规使用的资金，并取消乙方今后申报资格；涉嫌违法的，依法处理。"
                .into(),
        ),
        Block::Heading("第八条 其他".into()),
        Block::Paragraph(
            "一、本协议未尽事宜，由甲乙双方协商解决，并可签订补充协议；补充协议与本协议具有同等效力。\n\
             二、本协议自甲乙双方签字盖章之日起生效，至项目结项且双方义务履行完毕时终止。\n\
             三、本协议一式两份，甲乙双方各执一份，具有同等法律效力。"
                .into(),
        ),
        Block::Paragraph("（以下无正文）".into()),
        // The signature block is a one-row table: the renderer keeps a table's header and
        // first row on one page, so the two parties are never split across pages. The empty
        // lines leave room for seals and signatures.
        Block::Table {
            header: vec!["甲方（盖章）".into(), "乙方（盖章）".into()],
            rows: vec![vec![
                format!("{}\n\n\n\n\n日期：{BLANK_DATE}", a.bureau),
                format!(
                    "{}\n\n\n法定代表人（签字）：\n\n\n日期：{BLANK_DATE}",
                    a.org_name
                ),
            ]],
        },
    ];
    Document {
        title,
        blocks,
        footer: footer(a),
        landscape: false,
    }
}

/// What a supplement agreement (补充协议) states: the change request that applied, and what
/// it changed in the plan.
pub struct SupplementInput<'a> {
    pub agreement_no: &'a str,
    /// The supplement's number within the project (1, 2, …).
    pub supplement_no: i32,
    pub bureau: &'a str,
    pub org_name: &'a str,
    pub project_title: &'a str,
    /// The kind of change, in Chinese (延期, 预算调整, …).
    pub kind: &'a str,
    /// 批准 / 部分批准 / 按批次规则直接生效.
    pub outcome: &'a str,
    pub reason: &'a str,
    pub decision_reason: &'a str,
    /// (what, before, after).
    pub rows: Vec<(String, String, String)>,
    pub plan_version: i32,
    pub issued_on: NaiveDate,
    pub generated: String,
}

/// The supplement agreement (补充协议) of a change to a project's plan.
pub fn supplement(a: &SupplementInput) -> Document {
    let mut blocks = vec![
        Block::Title("项目协议补充协议".into()),
        Block::Paragraph(format!(
            "原协议编号：{}　补充协议序号：第 {} 号",
            or_dash(a.agreement_no),
            a.supplement_no
        )),
        Block::Facts(vec![
            ("甲方".into(), a.bureau.to_string()),
            ("乙方".into(), a.org_name.to_string()),
            ("项目名称".into(), a.project_title.to_string()),
            ("变更事项".into(), a.kind.to_string()),
            ("审批结果".into(), a.outcome.to_string()),
        ]),
        Block::Paragraph(format!(
            "乙方因以下原因申请变更项目{}：{}",
            quoted_project(a.project_title),
            or_dash(a.reason)
        )),
        Block::Heading("一、变更内容".into()),
        Block::Table {
            header: vec!["变更项目".into(), "变更前".into(), "变更后".into()],
            rows: a
                .rows
                .iter()
                .map(|(w, b, n)| vec![w.clone(), or_dash(b), or_dash(n)])
                .collect(),
        },
    ];
    if !a.decision_reason.trim().is_empty() {
        blocks.push(Block::Heading("二、审批意见".into()));
        blocks.push(Block::Paragraph(a.decision_reason.to_string()));
    }
    blocks.push(Block::Heading(
        if a.decision_reason.trim().is_empty() {
            "二、其他约定"
        } else {
            "三、其他约定"
        }
        .into(),
    ));
    blocks.push(Block::Paragraph(format!(
        "本补充协议为原协议的组成部分，自{}起生效，变更后的项目计划为第 {} 版；\
         原协议其他条款不变，与本补充协议不一致的，以本补充协议为准。",
        cn_date(a.issued_on),
        a.plan_version
    )));
    blocks.push(Block::Signature(vec![
        a.bureau.to_string(),
        cn_date(a.issued_on),
    ]));
    Document {
        title: format!("补充协议 {} 第{}号", a.agreement_no, a.supplement_no),
        blocks,
        footer: if a.agreement_no.is_empty() {
            a.generated.clone()
        } else {
            format!("{} · {}", a.agreement_no, a.generated)
        },
        landscape: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::render;
    use std::process::Command;

    #[test]
    fn uppercase_amounts() {
        let cases: &[(i64, &str)] = &[
            (0, "零元整"),
            (1, "壹分"),
            (10, "壹角"),
            (11, "壹角壹分"),
            (100, "壹元整"),
            (101, "壹元零壹分"),
            (110, "壹元壹角"),
            (1_000, "壹拾元整"),
            (1_050, "壹拾元伍角"),
            (10_000_000, "壹拾万元整"),
            (5_000_000, "伍万元整"),
            (12_345_678, "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
            (100_010_000, "壹佰万零壹佰元整"),
            (100_000_000_000, "壹拾亿元整"),
            (20_000_000, "贰拾万元整"),
            (10_000_100, "壹拾万零壹元整"),
            (100_500_000, "壹佰万零伍仟元整"),
            (10_700_053, "壹拾万零柒仟元伍角叁分"),
            (168_032, "壹仟陆佰捌拾元叁角贰分"),
            (140_902, "壹仟肆佰零玖元零贰分"),
            (101_000, "壹仟零壹拾元整"),
            (100_100, "壹仟零壹元整"),
            (1_000_100_000, "壹仟万零壹仟元整"),
            (10_000_000_100, "壹亿零壹元整"),
            (10_200_000_000, "壹亿零贰佰万元整"),
            (12_000_000_000, "壹亿贰仟万元整"),
            (100_500_000_000, "壹拾亿零伍佰万元整"),
            (100_000_000_000_000, "壹万亿元整"),
            (100_010_000_000_000, "壹万零壹亿元整"),
            (
                99_999_999_999,
                "玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
        ];
        for &(fen, want) in cases {
            assert_eq!(fen_to_chinese_upper(Fen(fen)), want, "{fen} fen");
        }
        // Never two 零 in a row, never 零 before a unit or at the end.
        for fen in (0..2_000_000i64)
            .step_by(997)
            .chain([1_000_000_000, 1_000_010_000])
        {
            let s = fen_to_chinese_upper(Fen(fen));
            assert!(!s.contains("零零"), "{fen}: {s}");
            for unit in ["零元", "零万", "零亿", "零角", "零分", "零整"] {
                assert!(!s.contains(unit) || fen == 0, "{fen}: {s}");
            }
        }
    }

    #[test]
    fn round_and_project_names_in_sentences() {
        let mut a = sample(Fen(1));
        assert_eq!(round_name(&a), "2026年度苏州市公益创投活动");
        a.round_title = "苏州市公益创投活动";
        assert_eq!(round_name(&a), "2026年度苏州市公益创投活动");
        a.round_title = " ";
        assert_eq!(round_name(&a), "2026年度公益创投活动");
        assert_eq!(
            quoted_project("“银龄相伴”关爱服务项目"),
            "“‘银龄相伴’关爱服务项目”"
        );
        assert_eq!(quoted_project("四点半课堂"), "“四点半课堂”项目");
        assert_eq!(score(853), "85.3");
        assert_eq!(score(600), "60.0");
        assert_eq!(pct(5000), "50%");
        assert_eq!(pct(3333), "33.33%");
        assert_eq!(
            cn_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
            "2026年1月5日"
        );
    }

    fn sample_tranches(grant: Fen) -> Vec<TrancheLine> {
        let shares = [5000, 3000, 2000];
        let amounts = crate::domain::money::split_tranches(grant, &shares);
        let conditions = ["协议签订后", "中期评估合格后", "末期评估合格后"];
        shares
            .iter()
            .zip(amounts)
            .zip(conditions)
            .enumerate()
            .map(|(i, ((&share_bp, amount), condition))| TrancheLine {
                seq: i as i32 + 1,
                share_bp,
                condition: condition.into(),
                amount,
            })
            .collect()
    }

    fn sample(grant: Fen) -> AwardDocInput<'static> {
        AwardDocInput {
            agreement_no: "GYXY-2026-0007",
            bureau: "苏州市民政局",
            round_title: "2026年度苏州市公益创投活动",
            round_year: 2026,
            org_name: "苏州市姑苏区彩虹社会工作服务中心",
            org_uscc: "52320508MJ0000001X",
            legal_rep: "王秀英",
            org_address: "江苏省苏州市姑苏区人民路100号3楼",
            contact: "李明 13800000000",
            bank_name: "中国工商银行苏州分行营业部",
            bank_account_name: "苏州市姑苏区彩虹社会工作服务中心",
            bank_account_no: "1102 0202 0900 1234 567",
            proposal_number: "GY-2026-0001",
            project_title: "“银龄相伴”社区独居老人关爱服务项目",
            category: "为老服务",
            requested: Fen(15_000_000),
            grant,
            reduce_reason: Some("宣传费和专家咨询费预算偏高，按标准核减"),
            final_score_tenths: 853,
            rank: 3,
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 11, 30).unwrap(),
            tranches: sample_tranches(grant),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            generated: "益创 · 生成于 2026-11-23 10:00".into(),
        }
    }

    /// `pdftotext -layout` output of a PDF (the same approach as the renderer's own tests).
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

    fn assert_contains_all(text: &str, needles: &[String]) {
        let flat = squash(text);
        for needle in needles {
            assert!(
                flat.contains(&squash(needle)),
                "{needle:?} missing from:\n{text}"
            );
        }
    }

    /// What both documents must show: number, org, amounts in figures and 大写, each tranche.
    fn common_needles(a: &AwardDocInput) -> Vec<String> {
        let mut v = vec![
            a.agreement_no.to_string(),
            a.org_name.to_string(),
            "社区独居老人关爱服务项目".to_string(),
            a.grant.to_string(),
            fen_to_chinese_upper(a.grant),
            "2026年12月1日至2027年11月30日".to_string(),
        ];
        for t in &a.tranches {
            v.push(format!("第{}期", t.seq));
            v.push(t.amount.to_string());
            v.push(t.condition.clone());
        }
        if !a.tranches.is_empty() {
            v.push("四舍五入到分；最后一期（尾款）为资助金额减去前各期金额之和".into());
        }
        v
    }

    #[test]
    fn award_notice_renders_with_amounts_and_tranches() {
        let a = sample(Fen(12_345_678));
        assert_eq!(
            a.tranches.iter().map(|t| t.amount).collect::<Vec<_>>(),
            [Fen(6_172_839), Fen(3_703_703), Fen(2_469_136)]
        );
        let bytes = render(&award_notice(&a)).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = pdftotext(&bytes);
        let mut needles = common_needles(&a);
        needles.extend(
            [
                "立项通知书",
                "苏州市姑苏区彩虹社会工作服务中心：",
                "予以立项",
                "GY-2026-0001",
                "壹拾贰万叁仟肆佰伍拾陆元柒角捌分",
                "85.3分",
                "排名第3位",
                "¥150,000.00",
                "核减¥26,543.22",
                "宣传费和专家咨询费预算偏高",
                "15个工作日内",
                "50%",
                "¥123,456.78",
                "苏州市民政局2026年11月23日",
                "在2026年度苏州市公益创投活动中，你单位申报的\
                 “‘银龄相伴’社区独居老人关爱服务项目”（申报编号：GY-2026-0001",
            ]
            .map(String::from),
        );
        assert_contains_all(&text, &needles);
    }

    #[test]
    fn award_notice_without_reduction_has_no_reduction_text() {
        let mut a = sample(Fen(15_000_000));
        a.reduce_reason = None;
        let doc = award_notice(&a);
        let bytes = render(&doc).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = pdftotext(&bytes);
        assert_contains_all(&text, &common_needles(&a));
        assert!(squash(&text).contains("壹拾伍万元整"), "{text}");
        assert!(!text.contains("核减"), "{text}");
    }

    #[test]
    fn agreement_renders_parties_articles_and_signatures() {
        let a = sample(Fen(12_345_678));
        let doc = agreement(&a);
        assert_eq!(doc.title, "2026年度苏州市公益创投活动项目协议书");
        let bytes = render(&doc).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = pdftotext(&bytes);
        let mut needles = common_needles(&a);
        needles.extend(
            [
                "2026年度苏州市公益创投活动项目协议书",
                "甲方",
                "苏州市民政局",
                "52320508MJ0000001X",
                "王秀英",
                "江苏省苏州市姑苏区人民路100号3楼",
                "李明 13800000000",
                "中国工商银行苏州分行营业部",
                "1102 0202 0900 1234 567",
                "第一条 项目内容",
                "为老服务",
                "第二条 资助金额",
                "第三条 拨付方式",
                "第四条 乙方账户",
                "第五条 甲方权利义务",
                "第六条 乙方权利义务",
                "不得用于购置固定资产",
                "单独建账",
                "第七条 评估、续期与违约责任",
                "追回",
                "第八条 其他",
                "一式两份",
                "甲方（盖章）",
                "乙方（盖章）",
                "法定代表人（签字）：",
                "项目名称：“银龄相伴”社区独居老人关爱服务项目",
                "根据2026年度苏州市公益创投活动的有关规定",
            ]
            .map(String::from),
        );
        assert_contains_all(&text, &needles);
        assert!(!text.contains("2026年2026"), "{text}");
        // The signature block is kept together, on the last page.
        let last_page = text.split('\u{c}').rfind(|p| !p.trim().is_empty()).unwrap();
        for needle in ["甲方（盖章）", "乙方（盖章）", "法定代表人（签字）"] {
            assert!(
                last_page.contains(needle),
                "{needle:?} not on:\n{last_page}"
            );
        }
        assert_eq!(last_page.matches("日期").count(), 2, "{last_page}");
        // The articles come in order.
        let flat = squash(&text);
        let positions: Vec<usize> = [
            "第一条项目内容",
            "第二条资助金额",
            "第三条拨付方式",
            "第四条乙方账户",
            "第五条甲方权利义务",
            "第六条乙方权利义务",
            "第七条评估",
            "第八条其他",
        ]
        .iter()
        .map(|h| flat.find(h).unwrap())
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn agreement_of_a_community_group_without_uscc_or_round_title() {
        let mut a = sample(Fen(5_000_000));
        a.org_uscc = "";
        a.round_title = "";
        a.tranches.clear();
        let doc = agreement(&a);
        assert_eq!(doc.title, "公益创投项目协议书");
        let text = pdftotext(&render(&doc).unwrap());
        assert_contains_all(
            &text,
            &[
                "公益创投项目协议书".into(),
                "伍万元整".into(),
                "资金拨付安排由甲方另行通知".into(),
            ],
        );
        assert!(
            !squash(&text).contains("四舍五入"),
            "no rule without a schedule"
        );
        assert!(render(&award_notice(&a)).is_ok());
    }
}
