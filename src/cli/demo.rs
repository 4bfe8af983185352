//! `yichuang demo`: fills an empty database with a realistic demonstration of the whole
//! lifecycle (DESIGN §2) so that a newcomer sees every page populated, then serves.
//!
//! Everything goes through the same `ops` functions the pages and the API use, so every
//! change has its audit entry and its emails (the outbox). Only what those functions take
//! from the clock is moved afterwards with plain updates: last year's round gets last
//! year's deadlines, notice and project period, so that reports, payments and evaluations
//! fall on believable dates. The audit trail keeps the real times (its hash chain is never
//! rewritten). The whole seeding is one transaction: it happens completely or not at all.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use anyhow::anyhow;
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use yichuang::auth::policy::Actor;
use yichuang::config::Settings;
use yichuang::db::audit::{self, Change};
use yichuang::db::schema;
use yichuang::db::{self, users, DbConn};
use yichuang::domain::account::Role;
use yichuang::domain::assignment::{CriterionScore, Recommendation as ReviewAdvice, ReviewContent};
use yichuang::domain::evaluation::{
    EvaluationContent, IndicatorScore, Recommendation as RenewalAdvice, Stage, VerifiedCount,
};
use yichuang::domain::money::Fen;
use yichuang::domain::org::{InspectionInput, OrgInput, OrgKind};
use yichuang::domain::proposal::{
    BeneficiaryLine, BudgetCategory, BudgetLine, FundingSource, MilestoneLine, ProposalContent,
};
use yichuang::domain::report::{GroupCount, ReportContent, SpendLine};
use yichuang::domain::round::{RoundCore, RoundRules};
use yichuang::domain::target::{TargetDirection, TargetLine, TargetRules, TargetValue};
use yichuang::error::AppError;
use yichuang::i18n::Lang;
use yichuang::ops;
use yichuang::ops::execution::ReportTarget;

/// The password of every demo account. It passes the password rules, and no demo account
/// has to change it at the first sign-in.
pub const DEMO_PASSWORD: &str = "demo-yichuang-2026";

/// The bureau that runs the demo rounds.
pub const DEMO_BUREAU: &str = "苏州市姑苏区民政局";

/// One account to try, as printed after seeding.
#[derive(Debug, Clone)]
pub struct Login {
    pub role: &'static str,
    pub email: String,
    pub who: String,
}

/// What the demo created.
#[derive(Debug, Clone)]
pub struct Summary {
    pub logins: Vec<Login>,
    pub organizations: i64,
    pub proposals: i64,
    pub projects: i64,
    pub elapsed: StdDuration,
}

impl Summary {
    /// Counts what the database holds now.
    fn count(&mut self, c: &mut DbConn) -> anyhow::Result<()> {
        use schema::{organizations, projects, proposals};
        self.organizations = organizations::table.count().get_result(c)?;
        self.proposals = proposals::table.count().get_result(c)?;
        self.projects = projects::table.count().get_result(c)?;
        Ok(())
    }

    /// Prints the accounts to try and where to open the app.
    pub fn print(&self, base_url: &str) {
        println!();
        println!(
            "  演示数据已生成 / Demo data ready in {:.1} s: {} organizations, {} proposals, {} projects",
            self.elapsed.as_secs_f64(),
            self.organizations,
            self.proposals,
            self.projects
        );
        println!();
        for l in &self.logins {
            println!("    {}{:<26} {}", pad(l.role, 20), l.email, l.who);
        }
        println!();
        println!("    password (every demo account) / 统一密码: {DEMO_PASSWORD}");
        println!("    other accounts: ngo01…ngo31@ngo.example, expert1…expert8@review.example, eval2@agency.example");
        println!("    open {base_url}/ — public pages: {base_url}/calls, {base_url}/notices");
        println!();
    }
}

/// `s` followed by spaces up to `width` terminal columns (a Chinese character takes two).
fn pad(s: &str, width: usize) -> String {
    let used: usize = s.chars().map(|c| if c >= '\u{2e80}' { 2 } else { 1 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(used) + 1))
}

/// Opens (and migrates) the configured database, refuses one that already holds data, and
/// fills it. Blocking work runs off the async executor.
/// With a `scale`, the district demo is then grown to that size.
pub async fn prepare(
    settings: &Settings,
    scale: Option<super::scale::Scale>,
) -> anyhow::Result<Summary> {
    let pool = yichuang::app::open_database(settings).await?;
    let s = settings.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Summary> {
        let mut conn = pool.get()?;
        let mut summary = seed(&mut conn, &s)?;
        if let Some(scale) = scale {
            let started = Instant::now();
            super::scale::grow(&mut conn, &s, &scale)?;
            summary.count(&mut conn)?;
            summary.elapsed += started.elapsed();
        }
        Ok(summary)
    })
    .await?
}

/// Refuses a database with anything beyond a fresh install (at most the first admin).
pub fn check_empty(c: &mut DbConn, s: &Settings) -> anyhow::Result<()> {
    use schema::{bureaus, organizations, rounds, users as u};
    let orgs: i64 = organizations::table.count().get_result(c)?;
    let rounds_n: i64 = rounds::table.count().get_result(c)?;
    let bureaus_n: i64 = bureaus::table.count().get_result(c)?;
    let people: i64 = u::table.count().get_result(c)?;
    let admins: i64 = u::table
        .filter(u::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(c)?;
    if orgs + rounds_n + bureaus_n > 0 || people > 1 || people > admins {
        let place = match db::Backend::of_url(s.database_url.expose()) {
            db::Backend::Sqlite => format!(
                "remove the data directory {}/ to start over, or run with --data-dir (or \
                 YICHUANG_DATABASE_URL) pointing at an empty location",
                s.data_dir.display()
            ),
            db::Backend::Postgres => "point YICHUANG_DATABASE_URL at an empty database".to_string(),
        };
        anyhow::bail!(
            "the database already holds data ({orgs} organizations, {rounds_n} rounds, {people} accounts); \
             `yichuang demo` only fills an empty database: {place}"
        );
    }
    Ok(())
}

/// Fills an empty (migrated) database with the demo, in one transaction.
pub fn seed(conn: &mut DbConn, s: &Settings) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut summary = conn.transaction::<Summary, anyhow::Error, _>(|c| {
        check_empty(c, s)?;
        Seeder::new(c, s)?.run()
    })?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

pub(super) fn describe(e: &AppError) -> String {
    match e {
        AppError::Validation(f) => {
            f.0.iter()
                .map(|x| format!("{}: {}", x.field, x.msg.render(Lang::En)))
                .collect::<Vec<_>>()
                .join("; ")
        }
        other => other.message(Lang::En),
    }
}

trait Step<T> {
    fn step(self, what: &str) -> anyhow::Result<T>;
}

impl<T> Step<T> for Result<T, AppError> {
    fn step(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| anyhow!("demo: {what}: {}", describe(&e)))
    }
}

// ---------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------

/// A registered NGO: name, registration type, 等级, legal representative, contact person,
/// street, road, registration (year, month).
pub(super) struct OrgSpec {
    pub(super) name: &'static str,
    pub(super) reg: &'static str,
    grade: &'static str,
    rep: &'static str,
    pub(super) contact: &'static str,
    street: &'static str,
    road: &'static str,
    since: (i32, u32),
}

#[allow(clippy::too_many_arguments)]
const fn org(
    name: &'static str,
    reg: &'static str,
    grade: &'static str,
    rep: &'static str,
    contact: &'static str,
    street: &'static str,
    road: &'static str,
    since: (i32, u32),
) -> OrgSpec {
    OrgSpec {
        name,
        reg,
        grade,
        rep,
        contact,
        street,
        road,
        since,
    }
}

const SS: &str = "social_service";
const SG: &str = "social_group";
const FD: &str = "foundation";

#[rustfmt::skip]
pub(super) const ORGS: [OrgSpec; 30] = [
    org("姑苏区阳光社会工作服务中心", SS, "5A", "王芳", "李娜", "平江街道", "白塔东路", (2013, 4)),
    org("平江街道邻里互助会", SG, "3A", "沈国强", "陆敏", "平江街道", "大儒巷", (2016, 9)),
    org("苏州市姑苏区乐龄养老服务中心", SS, "4A", "顾建华", "钱丽", "金阊街道", "石路", (2014, 3)),
    org("姑苏区春晖助残服务中心", SS, "4A", "朱红梅", "杨帆", "沧浪街道", "书院巷", (2015, 6)),
    org("姑苏区新芽青少年发展中心", SS, "3A", "孙志刚", "周婷", "双塔街道", "十全街", (2017, 11)),
    org("姑苏区守望困境儿童关爱中心", SS, "4A", "陈晓燕", "吴磊", "虎丘街道", "虎丘路", (2016, 2)),
    org("双塔街道社区志愿者协会", SG, "3A", "蒋文斌", "许静", "双塔街道", "凤凰街", (2012, 5)),
    org("姑苏区绿色家园环保公益服务中心", SS, "", "韩雪", "马超", "吴门桥街道", "南门路", (2019, 8)),
    org("苏州市姑苏区仁爱社会工作事务所", SS, "5A", "徐丽华", "高峰", "沧浪街道", "人民路", (2011, 10)),
    org("金阊街道银发互助协会", SG, "", "潘德明", "冯秀英", "金阊街道", "山塘街", (2018, 3)),
    org("姑苏区启明心理健康服务中心", SS, "3A", "曹颖", "彭亮", "平江街道", "干将东路", (2017, 6)),
    org("沧浪街道家庭发展服务中心", SS, "4A", "金晓东", "范琳", "沧浪街道", "三元坊", (2015, 12)),
    org("姑苏区同心残疾人康复服务中心", SS, "3A", "邹明", "唐慧", "金阊街道", "广济路", (2016, 7)),
    org("虎丘街道新市民服务中心", SS, "", "吕建军", "何佳", "虎丘街道", "西园路", (2019, 4)),
    org("姑苏区古城文化传承促进会", SG, "4A", "严文华", "程云", "平江街道", "平江路", (2014, 9)),
    org("吴门桥街道睦邻社区服务中心", SS, "3A", "邵华", "姚琴", "吴门桥街道", "盘门路", (2018, 1)),
    org("苏州市姑苏区慈善基金会", FD, "5A", "钟振华", "薛梅", "双塔街道", "公园路", (2012, 12)),
    org("姑苏区益童成长服务中心", SS, "3A", "方雅琴", "谢宁", "苏锦街道", "苏站路", (2018, 6)),
    org("白洋湾街道老年协会", SG, "", "汤德福", "罗桂芳", "白洋湾街道", "金政街", (2013, 11)),
    org("姑苏区和畅社区营造中心", SS, "4A", "段晓峰", "龚玲", "吴门桥街道", "友新路", (2017, 3)),
    org("苏锦街道邻里守望服务社", SS, "", "卢永刚", "万丽", "苏锦街道", "苏锦路", (2020, 5)),
    org("姑苏区知行青少年社会工作服务中心", SS, "4A", "石磊", "陶然", "双塔街道", "竹辉路", (2016, 10)),
    org("姑苏区向日葵特殊儿童关爱中心", SS, "3A", "梁琳", "邓雯", "虎丘街道", "桐泾北路", (2018, 9)),
    org("姑苏区绿丝带公益服务中心", SS, "3A", "史伟", "熊洁", "白洋湾街道", "长浜路", (2019, 2)),
    org("平江街道妇女儿童服务中心", SS, "4A", "贺晓红", "毛俊", "平江街道", "临顿路", (2015, 4)),
    org("姑苏区暖阳社会救助服务中心", SS, "3A", "侯建平", "郝莉", "金阊街道", "留园路", (2017, 8)),
    org("姑苏区彩虹桥社会组织发展中心", SS, "5A", "袁媛", "季强", "沧浪街道", "东大街", (2012, 7)),
    org("金阊街道健康促进会", SG, "3A", "邱国平", "葛芳", "金阊街道", "阊胥路", (2014, 5)),
    org("姑苏区心桥家庭教育指导中心", SS, "", "白雪梅", "左涛", "苏锦街道", "北环东路", (2020, 9)),
    org("姑苏区水韵河道守护志愿者协会", SG, "3A", "夏永红", "鲁佳", "吴门桥街道", "新市路", (2018, 10)),
];

/// A service category with what its proposals say.
struct Cat {
    name: &'static str,
    /// Beneficiary group of the reports (`BeneficiaryGroup`).
    group: &'static str,
    beneficiary: &'static str,
    target: &'static str,
    summary: &'static str,
    need: &'static str,
    activities: &'static str,
    indirect: &'static str,
    /// Yuan of grant per unique beneficiary.
    per_person: i64,
}

const CATS: [Cat; 8] = [
    Cat {
        name: "为老服务",
        group: "elderly",
        beneficiary: "独居、空巢及高龄老人",
        target: "60岁以上独居、空巢及高龄老人",
        summary: "提供入户探访、助餐助洁、健康管理和心理慰藉，构建邻里互助的居家养老服务网络。",
        need: "{street}60岁以上户籍老人占比超过30%，其中独居、空巢老人约{n}人。走访发现，高龄独居老人在日常照料、安全守护和精神慰藉方面需求突出，现有居家养老服务难以全面覆盖。",
        activities: "1. 入户探访与需求评估，建立一人一档；\n2. 助餐配送、助洁等生活照料服务；\n3. 健康讲座、义诊和慢病管理小组；\n4. 培育“时间银行”志愿者，低龄老人结对帮扶高龄老人。",
        indirect: "老人家属及楼道邻里约{n}人",
        per_person: 400,
    },
    Cat {
        name: "助残服务",
        group: "disabled",
        beneficiary: "持证残疾人",
        target: "持证残疾人及其家庭照顾者",
        summary: "开展康复训练、日间照料和社区融合活动，为残疾人家庭提供喘息服务。",
        need: "{street}持证残疾人约{n}人，其中智力和精神残疾人士日间照料与社会融入渠道有限，家庭照顾者长期承受较大的照护和心理压力。",
        activities: "1. 个案评估，制定个别化康复计划；\n2. 日间照料与职业技能训练；\n3. 家庭照顾者喘息服务与支持小组；\n4. 社区融合活动和无障碍倡导。",
        indirect: "残疾人家属约{n}人",
        per_person: 600,
    },
    Cat {
        name: "青少年服务",
        group: "youth",
        beneficiary: "青少年",
        target: "6—18岁青少年及其家长",
        summary: "通过课后托管、心理成长小组和非遗、科普兴趣课堂，促进青少年健康成长。",
        need: "{street}双职工家庭和流动人口家庭子女约{n}人，课后看护、心理健康支持和兴趣培养需求大，社区现有青少年活动阵地利用率不高。",
        activities: "1. 课后学业辅导与托管；\n2. 心理健康与防欺凌成长小组；\n3. 非遗、科普兴趣课堂；\n4. 家长课堂与亲子活动。",
        indirect: "学生家长约{n}人",
        per_person: 300,
    },
    Cat {
        name: "困境儿童",
        group: "youth",
        beneficiary: "困境儿童",
        target: "困境儿童、留守及流动儿童",
        summary: "以个案管理为核心，为困境儿童提供学业辅导、心理支持和监护人能力提升服务。",
        need: "{street}登记在册的困境儿童及留守、流动儿童约{n}名，普遍存在监护不到位、学业落后和心理支持不足等问题。",
        activities: "1. 困境儿童建档与个案管理；\n2. 一对一学业辅导与心理陪伴；\n3. 成长小组与暑期营；\n4. 监护人能力提升培训。",
        indirect: "儿童监护人约{n}人",
        per_person: 700,
    },
    Cat {
        name: "社区治理",
        group: "other",
        beneficiary: "社区居民",
        target: "老旧小区居民及楼道骨干",
        summary: "培育居民骨干和议事平台，推动居民协商解决社区公共事务。",
        need: "{street}老旧小区占比高，加装电梯、停车和公共空间改造等议题协商难度大，居民参与社区治理的渠道和能力有待提升，约{n}户居民长期未参与社区事务。",
        activities: "1. 楼道议事会组建与骨干培训；\n2. 社区协商议事会与议事规则培训；\n3. 社区微更新项目共商共建；\n4. 社区社会组织孵化与陪伴。",
        indirect: "辖区居民约{n}人",
        per_person: 200,
    },
    Cat {
        name: "困难群体帮扶",
        group: "needy",
        beneficiary: "困难家庭成员",
        target: "低保、低保边缘及支出型贫困家庭",
        summary: "在基本生活救助之外，为困难家庭提供就业支持、心理疏导和资源链接。",
        need: "{street}低保及低保边缘家庭约{n}户，除基本生活救助外，在就业、心理和子女教育方面仍需要专业社会工作介入。",
        activities: "1. 困难家庭入户评估与建档；\n2. “微心愿”认领与社会资源链接；\n3. 就业技能培训与岗位推荐；\n4. 心理疏导与家庭支持小组。",
        indirect: "困难家庭其他成员约{n}人",
        per_person: 500,
    },
    Cat {
        name: "环境保护",
        group: "other",
        beneficiary: "社区居民及学生",
        target: "社区居民及中小学生",
        summary: "以垃圾分类、河道守护和社区微花园为抓手，培养居民的环保习惯。",
        need: "古城区人口密度高，{street}生活垃圾分类准确率不足六成，约{n}户居民尚未养成分类习惯，河道保护意识也有待提升，社区缺少持续开展环保宣教的专业力量。",
        activities: "1. 垃圾分类入户宣传与桶边督导；\n2. “绿色账户”积分兑换；\n3. 河道巡护志愿服务；\n4. 青少年环保实践课堂。",
        indirect: "辖区居民约{n}人",
        per_person: 150,
    },
    Cat {
        name: "其他",
        group: "other",
        beneficiary: "社区居民",
        target: "社区居民及志愿者",
        summary: "围绕心理健康、古城文化和应急救护，为居民提供专业服务并培养志愿者队伍。",
        need: "随着古城保护和社区服务需求多元化，{street}居民在心理健康、文化传承和应急救护等方面的服务需求日益增长，约{n}名居民表达了参与意愿，但社区专业服务供给不足。",
        activities: "1. 专业培训与志愿者队伍建设；\n2. 社区主题活动与讲座；\n3. 个案咨询与转介；\n4. 成果展示与经验总结。",
        indirect: "社区居民约{n}人",
        per_person: 250,
    },
];

/// A proposal of the first round: org index, category index, title, grant (thousands of
/// yuan), the quality the reviewers see in it (points).
type PSpec = (usize, usize, &'static str, i64, i32);

#[rustfmt::skip]
pub(super) const ROUND1: [PSpec; 45] = [
    (0, 0, "银龄互助·独居老人关爱计划", 80, 93),
    (0, 5, "微心愿——困难家庭精准帮扶项目", 50, 74),
    (1, 4, "楼道议事会——老旧小区居民自治能力建设", 60, 81),
    (1, 4, "加装电梯协商议事陪伴项目", 40, 66),
    (2, 0, "时光记忆——认知障碍老人早期筛查与干预", 90, 88),
    (2, 0, "长者食堂助餐配送与营养指导项目", 70, 62),
    (3, 1, "阳光家园——智障人士日间照料与职业康复", 100, 86),
    (3, 1, "残疾人居家康复上门服务项目", 60, 71),
    (4, 2, "四点半课堂——双职工家庭子女课后托管", 50, 84),
    (4, 2, "青春护航——青少年心理健康与防欺凌教育", 45, 69),
    (5, 3, "护苗行动——困境儿童个案管理与成长陪伴", 80, 90),
    (5, 3, "“一对一”困境儿童学业辅导与心理支持", 50, 58),
    (6, 4, "“邻里节”睦邻文化营造项目", 30, 76),
    (6, 6, "社区“一平方米”微花园营造计划", 30, 64),
    (7, 6, "垃圾分类“绿色账户”社区推广项目", 60, 79),
    (7, 6, "社区厨余垃圾就地堆肥试点项目", 40, 55),
    (8, 5, "失独家庭心灵关怀项目", 70, 87),
    (8, 5, "低保边缘家庭就业能力提升项目", 60, 73),
    (9, 0, "老伙伴计划：低龄老人结对帮扶高龄老人", 35, 77),
    (9, 0, "银发数字课堂——老年人智能手机使用培训", 30, 80),
    (10, 7, "社区心理援助热线与危机干预项目", 75, 83),
    (10, 2, "考前减压——中学生心理韧性训练营", 40, 61),
    (11, 3, "留守与流动儿童暑期成长营", 55, 78),
    (11, 3, "单亲家庭亲子关系修复项目", 45, 67),
    (12, 1, "星星的孩子——孤独症儿童家庭支持计划", 85, 89),
    (12, 1, "“手语+”听障人士社区融合项目", 40, 57),
    (13, 5, "新市民融入——外来务工人员及家庭服务", 60, 75),
    (13, 2, "流动儿童“城市探索”社会融入营", 35, 52),
    (14, 7, "古城文化讲解志愿者培养项目", 40, 72),
    (15, 4, "社区社会组织孵化培育计划", 55, 70),
    (16, 5, "大病困难家庭“暖心包”救助项目", 100, 68),
    (17, 2, "苏式非遗进校园青少年传习项目", 45, 82),
    (18, 0, "老年人防跌倒居家环境评估与改造", 50, 63),
    (19, 4, "社区基金会孵化与社区微公益创投", 65, 85),
    (20, 0, "古城老宅适老化微改造项目", 90, 60),
    (21, 6, "小小河长——青少年环保实践营", 40, 76),
    (22, 1, "特殊儿童融合教育支持项目", 70, 80),
    (23, 6, "古城河道守护与水环境宣教项目", 45, 65),
    (24, 3, "困境儿童“护苗”安全教育项目", 40, 73),
    (25, 5, "临时遇困人员社会救助转介服务", 55, 54),
    (26, 4, "社区议事规则培训与协商能力提升", 50, 71),
    (27, 0, "慢病老人健康自我管理小组", 40, 78),
    (28, 2, "家校社协同育人家长课堂", 35, 50),
    (29, 6, "“河小青”河道巡护志愿服务项目", 30, 69),
    (29, 6, "滨水步道垃圾清捡行动", 20, 60),
];

/// Declared ineligible at screening, with the reason.
const INELIGIBLE: [(usize, &str); 2] = [
    (
        15,
        "申报内容与该机构已获区级财政资助的“垃圾分类督导”项目高度重复，不符合申报指南第三条。",
    ),
    (
        30,
        "项目以直接发放救助物资为主，属于申报指南列明的不予资助事项（向受益对象发放现金或礼品）。",
    ),
];
/// Returned for correction (退回补正) and resubmitted.
const RETURNED: usize = 22;
/// Withdrawn by the applicant before screening.
const WITHDRAWN: usize = 44;
/// One reviewer disagrees strongly with the rest: flagged for panel discussion.
const DIVERGENT: usize = 33;

/// Second-round proposals: org index, category, title, grant (thousands), submitted?
#[rustfmt::skip]
const ROUND2: [(usize, usize, &str, i64, bool); 9] = [
    (0, 0, "银龄互助2.0——独居老人智慧安全守护", 80, true),
    (2, 0, "家庭照护者“喘息服务”支持计划", 60, true),
    (5, 3, "困境儿童“微梦想”成长陪伴计划", 70, true),
    (9, 0, "银发讲师团——老年人自我服务能力提升", 30, true),
    (19, 4, "“美好社区”居民提案大赛", 50, true),
    (6, 4, "楼道“微客厅”睦邻空间营造", 30, false),
    (12, 1, "孤独症青年社区就业支持项目", 60, false),
    (22, 1, "特殊儿童家庭喘息服务", 40, false),
    (25, 5, "困难家庭子女“学业圆梦”计划", 50, false),
];

/// The experts: name, what they are, expertise (categories).
#[rustfmt::skip]
const REVIEWERS: [(&str, &str, &[&str]); 8] = [
    ("王立新", "苏州大学社会学院教授", &["社区治理", "为老服务"]),
    ("周晓梅", "苏州市社会工作协会副秘书长", &["困境儿童", "青少年服务"]),
    ("陈建国", "注册会计师，财务评审专家", &["困难群体帮扶", "其他"]),
    ("刘芳", "苏州科技大学副教授", &["助残服务", "困难群体帮扶"]),
    ("张伟", "资深社工督导", &["为老服务", "困难群体帮扶"]),
    ("杨静", "江苏省公益项目评审专家库成员", &["青少年服务", "其他"]),
    ("吴海燕", "环保公益组织负责人", &["环境保护", "社区治理"]),
    ("徐明", "原街道民政科科长（退休）", &["社区治理", "为老服务"]),
];

/// Review comments per criterion of the default rubric: good, fair, weak.
const CRITERION_COMMENTS: [[&str; 3]; 6] = [
    [
        "需求调研数据翔实，服务对象界定清晰。",
        "需求分析基本清楚，建议补充入户调研数据。",
        "需求分析较为笼统，缺少一手调研依据。",
    ],
    [
        "活动设计层次清楚，与目标衔接紧密。",
        "活动设计可行，部分环节可进一步细化。",
        "活动之间逻辑关联不够，目标难以落地。",
    ],
    [
        "团队专业背景扎实，有同类项目经验。",
        "团队配置基本满足需要，建议加强督导。",
        "执行团队人手偏少，专业能力有待加强。",
    ],
    [
        "预算编制规范，单价测算合理。",
        "预算总体合理，个别科目测算偏粗。",
        "预算测算依据不足，部分费用偏高。",
    ],
    [
        "服务模式有一定创新，具备示范意义。",
        "创新点不够突出。",
        "与常规服务区别不大。",
    ],
    [
        "注重志愿者培育和资源链接，可持续性好。",
        "后续运营方案有待完善。",
        "缺少项目结束后的可持续安排。",
    ],
];

fn overall_comment(total_tenths: i32, variant: usize) -> &'static str {
    const TOP: [&str; 2] = [
        "项目需求明确、设计科学，团队经验丰富，预期成效可衡量，建议优先资助。",
        "整体质量高，服务模式成熟且有创新，建议资助并作为示范项目跟踪。",
    ];
    const GOOD: [&str; 2] = [
        "项目整体可行，建议细化过程评估指标后予以资助。",
        "服务对象清晰，活动安排合理，建议资助，注意加强志愿者管理。",
    ];
    const FAIR: [&str; 2] = [
        "项目有一定社会价值，但预算测算偏粗，建议核减后资助。",
        "方案基本可行，创新性一般，建议压缩活动规模后资助。",
    ];
    const WEAK: [&str; 2] = [
        "项目创新性不足，执行方案与目标衔接不够，不建议资助。",
        "需求论证不充分，预算与活动不匹配，本轮不建议资助。",
    ];
    let pool = match total_tenths {
        t if t >= 850 => TOP,
        t if t >= 750 => GOOD,
        t if t >= 600 => FAIR,
        _ => WEAK,
    };
    pool[variant % 2]
}

/// Splits `total` tenths over criteria of these maxima (tenths) on the 0.5 step, not
/// evenly, so that the criteria differ from one review to the next.
fn split_scores(total: i32, max: &[i32], seed: usize) -> Vec<i32> {
    let sum_max: i32 = max.iter().sum();
    let total = total.clamp(0, sum_max) / 5 * 5;
    let mut s: Vec<i32> = max.iter().map(|m| m * total / sum_max / 5 * 5).collect();
    let n = max.len();
    for k in 0..3 {
        let i = (seed + 2 * k) % n;
        let j = (seed * 3 + k + 1) % n;
        let d = 5 * ((seed + k) % 3) as i32;
        if i != j && s[i] >= d && s[j] + d <= max[j] {
            s[i] -= d;
            s[j] += d;
        }
    }
    let mut left = total - s.iter().sum::<i32>();
    for (i, m) in max.iter().enumerate() {
        let add = left.min(m - s[i]);
        s[i] += add;
        left -= add;
    }
    s
}

/// A review totalling `total` tenths of a point (criterion maxima `max` in tenths), with
/// comments that fit the scores.
pub(super) fn review_content(total: i32, max: &[i32], seed: usize) -> ReviewContent {
    let scores = split_scores(total, max, seed);
    ReviewContent {
        criteria: scores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ratio = s * 100 / max[i];
                let band = if ratio >= 85 {
                    0
                } else if ratio >= 65 {
                    1
                } else {
                    2
                };
                CriterionScore {
                    score: Some(*s),
                    comment: if (seed + i).is_multiple_of(3) {
                        String::new()
                    } else {
                        CRITERION_COMMENTS[i][band].to_string()
                    },
                }
            })
            .collect(),
        overall_comment: overall_comment(total, seed).to_string(),
        recommendation: Some(match total {
            t if t >= 750 => ReviewAdvice::Fund,
            t if t >= 600 => ReviewAdvice::FundReduced,
            _ => ReviewAdvice::DoNotFund,
        }),
    }
}

/// A small real PDF (one page with an ASCII line), for certificates, scans and reports.
/// A small valid PNG (one grey pixel), for the demo's visit photo.
pub fn demo_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A,
        0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x68,
        0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x77, 0xCD, 0x72, 0xB6, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

pub fn demo_pdf(text: &str) -> Vec<u8> {
    let text: String = text
        .chars()
        .filter(|c| c.is_ascii() && !matches!(c, '(' | ')' | '\\'))
        .collect();
    let stream = format!("BT /F1 16 Tf 72 760 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A civil-affairs USCC (department 5, type 1/2/3, 姑苏区) with a correct check character.
pub(super) fn ngo_uscc(reg: &str, serial: u32) -> String {
    let t = match reg {
        SG => '1',
        FD => '3',
        _ => '2',
    };
    let body = format!("5{t}320508MJ{serial:07}");
    let c = yichuang::domain::uscc::check_char(body.as_bytes()).expect("valid alphabet");
    format!("{body}{c}")
}

fn uscc_with(body: &str) -> String {
    let c = yichuang::domain::uscc::check_char(body.as_bytes()).expect("valid alphabet");
    format!("{body}{c}")
}

/// The project period and the three milestones of a plan starting on `start`.
fn plan(start: NaiveDate, months: u32) -> (NaiveDate, [NaiveDate; 3]) {
    let end = start
        .checked_add_months(Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    let second = if months <= 8 { 150 } else { 180 };
    (
        end,
        [
            start + Duration::days(60),
            start + Duration::days(second),
            end,
        ],
    )
}

fn set_plan(c: &mut ProposalContent, start: NaiveDate, months: u32) {
    let (end, due) = plan(start, months);
    c.start_date = Some(start);
    c.end_date = Some(end);
    for (m, d) in c.milestones.iter_mut().zip(due) {
        m.due = d;
    }
}

/// A complete proposal: texts from the category, a budget whose grant lines add up to the
/// grant, within the caps, with enough matching funds.
pub(super) fn proposal_content(
    spec_org: usize,
    cat: usize,
    title: &str,
    grant_k: i64,
    start: NaiveDate,
    seed: usize,
) -> ProposalContent {
    let o = &ORGS[spec_org];
    let k = &CATS[cat];
    let grant = Fen::from_yuan(grant_k * 1000);
    let unique = grant_k * 1000 / k.per_person;
    let times = unique * (6 + (seed as i64 % 5));
    let n_need = unique * 3 + 40;
    let fill = |t: &str, n: i64| {
        t.replace("{street}", o.street)
            .replace("{n}", &n.to_string())
    };
    let g = grant.0;
    let personnel = g * 25 / 100;
    let admin = g * 8 / 100;
    let speakers = g * 15 / 100;
    let activity = g - personnel - admin - speakers;
    let line = |category, item: &str, amount: i64, source| BudgetLine {
        category,
        item: item.to_string(),
        amount: Fen(amount),
        source,
    };
    let mut c = ProposalContent {
        category: k.name.to_string(),
        title: title.to_string(),
        summary: format!("项目面向{}{}，{}", o.street, k.target, k.summary),
        need_analysis: fill(k.need, n_need),
        target_group: format!("{}{}", o.street, k.target),
        service_area: format!("{}{}个社区", o.street, 3 + seed % 5),
        activities: k.activities.to_string(),
        team: format!(
            "项目负责人{}（中级社会工作师）统筹，专职社工{}名、督导1名，招募志愿者{}名。",
            o.contact,
            2 + seed % 3,
            20 + (seed % 4) * 10
        ),
        project_lead: o.contact.to_string(),
        project_lead_phone: format!("139{:08}", 51_200_000 + seed * 1373),
        start_date: None,
        end_date: None,
        requested_grant: grant,
        beneficiaries: vec![BeneficiaryLine {
            // The group's Chinese label, so that plan and reports line up on the dashboards.
            category: yichuang::domain::report::BeneficiaryGroup::parse(k.group)
                .map(|g| yichuang::i18n::t(Lang::Zh, g.label_key()).to_string())
                .unwrap_or_else(|| k.beneficiary.to_string()),
            unique_people: unique,
            person_times: times,
        }],
        indirect_beneficiaries: fill(k.indirect, unique * 2),
        milestones: [
            ("项目启动与需求调研", "需求评估报告、服务对象档案", 30),
            ("中期服务", "中期进展报告及活动记录", 65),
            ("结项总结", "结项报告、财务决算及成效评估材料", 100),
        ]
        .iter()
        .map(|(t, d, share)| MilestoneLine {
            due: start,
            title: t.to_string(),
            deliverable: d.to_string(),
            target_beneficiaries: unique * share / 100,
        })
        .collect(),
        budget: vec![
            line(
                BudgetCategory::Activity,
                "活动物料及场地布置",
                activity,
                FundingSource::Grant,
            ),
            line(
                BudgetCategory::Activity,
                "专家讲师及培训劳务费",
                speakers,
                FundingSource::Grant,
            ),
            line(
                BudgetCategory::Personnel,
                "项目社工及督导补贴",
                personnel,
                FundingSource::Grant,
            ),
            line(
                BudgetCategory::Admin,
                "项目管理费（含财务审计）",
                admin,
                FundingSource::Grant,
            ),
            line(
                BudgetCategory::Activity,
                "志愿者交通及保险补贴",
                g * 20 / 100,
                FundingSource::SelfFunded,
            ),
            line(
                BudgetCategory::Activity,
                "社区活动场地（社区提供）",
                g * 15 / 100,
                FundingSource::Community,
            ),
        ],
        targets: demo_targets(k.group, unique),
    };
    set_plan(&mut c, start, 12);
    c
}

/// The performance targets (绩效目标) of a demo proposal in the default indicator tree: the
/// counts follow report figures, the rates are reported by value.
fn demo_targets(group: &str, unique: i64) -> Vec<TargetLine> {
    let t = |indicator: &str, name: &str, value: i64, unit: &str, figure: String| TargetLine {
        indicator: indicator.to_string(),
        name: name.to_string(),
        direction: TargetDirection::AtLeast,
        value,
        unit: unit.to_string(),
        figure,
    };
    vec![
        t(
            "数量",
            "服务对象人数",
            unique,
            "人",
            format!("unique:{group}"),
        ),
        t("数量", "开展服务活动", 24, "场次", "activities".into()),
        t("质量", "服务档案建档率", 95, "%", String::new()),
        t("社会效益", "服务对象生活状况改善率", 80, "%", String::new()),
        t(
            "可持续影响",
            "志愿服务时长",
            200,
            "小时",
            "volunteer_hours".into(),
        ),
        t("服务对象满意度", "服务对象满意度", 90, "%", String::new()),
    ]
}

/// What a demo report gives for the targets reported by value (`k` = 0, 1, 2).
fn demo_target_values(c: &ProposalContent, k: usize) -> Vec<TargetValue> {
    let value = |name: &str| match name {
        "服务档案建档率" => [60, 85, 97][k],
        "服务对象生活状况改善率" => [40, 70, 78][k],
        _ => [88, 92, 95][k],
    };
    c.targets
        .iter()
        .filter(|t| t.figure().is_none())
        .map(|t| TargetValue {
            name: t.name.clone(),
            value: value(&t.name),
        })
        .collect()
}

/// A milestone report's cumulative figures (`k` = 0, 1, 2).
pub(super) fn report_content(
    c: &ProposalContent,
    cat: usize,
    k: usize,
    narrative: &str,
) -> ReportContent {
    let unique = c
        .beneficiaries
        .first()
        .map(|b| b.unique_people)
        .unwrap_or(0);
    let people = unique * [32, 68, 104][k] / 100;
    let spend_pct = [25, 55, 96][k];
    ReportContent {
        activities: [6, 15, 26][k],
        beneficiaries: vec![GroupCount {
            group: CATS[cat].group.to_string(),
            unique_people: people,
            person_times: people * [4, 6, 8][k],
        }],
        volunteer_times: [18, 42, 75][k],
        volunteer_hours: [54, 130, 240][k],
        spending: c
            .budget
            .iter()
            .enumerate()
            .map(|(i, l)| SpendLine {
                line: i,
                spent: Fen(l.amount.0 * spend_pct / 100 / 100 * 100),
                over_reason: String::new(),
            })
            .collect(),
        narrative: narrative.to_string(),
        target_values: demo_target_values(c, k),
    }
}

pub(super) const REPORT_NARRATIVES: [&str; 3] = [
    "完成项目启动会和服务对象入户调研，建立服务档案，招募并培训志愿者；开展首批小组活动和社区宣传，服务对象参与积极。",
    "按计划开展小组活动、社区活动和个案服务，志愿者队伍稳定；根据服务对象反馈调整了活动时间和内容，中期目标基本达成。",
    "全部服务按计划完成，受益人数超过预期；完成满意度回访、财务决算和成效评估材料整理，形成可推广的服务手册。",
];

/// Indicator comments of the default evaluation rubric: passing, failing.
const INDICATOR_COMMENTS: [[&str; 2]; 5] = [
    [
        "项目管理制度健全，档案规范完整。",
        "项目档案缺失较多，过程管理不到位。",
    ],
    [
        "服务目标基本达成，受益对象反馈良好。",
        "服务人次与申报目标差距较大。",
    ],
    [
        "资金使用规范，票据齐全，专款专用。",
        "部分支出凭证不全，存在超范围列支。",
    ],
    [
        "社区认可度高，居民满意度调查结果良好。",
        "社区知晓度低，满意度一般。",
    ],
    ["形成了可复制的服务模式。", "缺少可持续的后续安排。"],
];

fn evaluation_content(
    total: i32,
    verified_people: i64,
    group: &str,
    seed: usize,
) -> EvaluationContent {
    let pass = total >= 60;
    let scores = split_scores(total * 10, &[150, 350, 200, 200, 100], seed);
    let (findings, advice) = match total {
        t if t >= 90 => (
            "项目管理规范，服务成效显著，受益对象满意度高；财务管理规范，形成了可推广的经验。建议予以续期支持。",
            RenewalAdvice::Renew,
        ),
        t if t >= 80 => (
            "项目按计划推进，服务记录完整，受益人回访满意；个别活动延期，建议加强进度管理。",
            RenewalAdvice::Renew,
        ),
        t if t >= 60 => (
            "项目基本按计划实施，但服务人次未达预期，部分活动记录不完整，建议加强过程管理。",
            RenewalAdvice::RenewWithConditions,
        ),
        _ => (
            "核查发现服务人次与报告差距较大，签到表等佐证材料缺失，部分支出凭证不全，项目成效未达到协议要求。",
            RenewalAdvice::NoRenew,
        ),
    };
    EvaluationContent {
        scores: scores
            .iter()
            .enumerate()
            .map(|(i, s)| IndicatorScore {
                score: Some(*s),
                comment: INDICATOR_COMMENTS[i][usize::from(!pass)].to_string(),
            })
            .collect(),
        verified: vec![VerifiedCount {
            group: group.to_string(),
            unique_people: verified_people,
        }],
        satisfaction_pct: Some(if pass { 88 + (seed % 9) as i32 } else { 61 }),
        findings: findings.to_string(),
        recommendation: Some(advice),
        members: Vec::new(),
        ..EvaluationContent::default()
    }
}

/// The registration of demo organization `i` (made from `o`) as its member would fill it in.
pub(super) fn registration(today: NaiveDate, i: usize, o: &OrgSpec, uscc: String) -> OrgInput {
    // Inspections for the years every demo round asks about.
    let last = (today + Duration::days(60)).year() - 1;
    let inspections = (0..4)
        .map(|k| InspectionInput {
            year: last - k,
            result: if i == 9 && k == 1 {
                "basically_qualified".into()
            } else {
                "qualified".into()
            },
        })
        .collect();
    let graded = !o.grade.is_empty();
    OrgInput {
        name: o.name.to_string(),
        reg_type: o.reg.to_string(),
        uscc,
        uscc_manual_check: false,
        sponsor_org: String::new(),
        registered_on: format!("{}-{:02}-{:02}", o.since.0, o.since.1, 3 + i % 25),
        reg_authority: "苏州市姑苏区民政局".into(),
        legal_rep: o.rep.to_string(),
        contact_name: o.contact.to_string(),
        contact_phone: format!("0512-65{:06}", 230_117 + i * 4_271),
        contact_email: format!("contact{:02}@ngo.example", i + 1),
        address: format!("苏州市姑苏区{}{}号", o.road, 12 + i * 7),
        district: "姑苏区".into(),
        street: o.street.to_string(),
        grade: o.grade.to_string(),
        grade_date: if graded {
            (today - Duration::days(500 + i as i64 * 9)).to_string()
        } else {
            String::new()
        },
        bank_name: "中国工商银行苏州姑苏支行".into(),
        bank_account_name: o.name.to_string(),
        bank_account_no: format!("1102020{:012}", 310_000_000_000u64 + i as u64 * 7_919_011),
        inspections,
    }
}

/// A call of the demo bureau, open from an hour ago for 30 days.
pub(super) fn round_core(title: String, year: i32, budget_wan: i64, max_wan: i64) -> RoundCore {
    let now = db::now();
    RoundCore {
        title,
        year,
        description: format!(
            "一、资助对象\n在姑苏区登记注册、成立满一年、近两年年检合格的社会团体、社会服务机构和基金会。\n\
             二、资助方向\n为老服务、助残服务、青少年服务、困境儿童、社区治理、困难群体帮扶、环境保护等。\n\
             三、资助标准\n单个项目资助2万—{max_wan}万元，资助资金不超过项目总预算的80%，人员费用不超过资助资金的30%，管理费不超过10%；不得用于购置固定资产、基础设施建设或向服务对象发放现金、礼品。\n\
             四、评审方式\n形式审查、专家评审（去掉一个最高分和一个最低分后取平均分，60分以上方可资助）、公示7个工作日。\n\
             五、资金拨付\n签订协议后拨付50%，中期评估合格后拨付30%，末期评估合格后拨付20%。\n\
             六、咨询电话\n0512-65230000（{DEMO_BUREAU}社会组织管理科）"
        ),
        total_budget: Fen::from_yuan(budget_wan * 10_000),
        min_grant: Fen::from_yuan(20_000),
        max_grant: Fen::from_yuan(max_wan * 10_000),
        opens_at: Some(now - Duration::hours(1)),
        closes_at: Some(now + Duration::days(30)),
        review_due: Some(now + Duration::days(60)),
    }
}

// ---------------------------------------------------------------------------------------
// The story: dates of last year's round relative to today
// ---------------------------------------------------------------------------------------

const R1_OPENS: i64 = -400;
const R1_CLOSES: i64 = -350;
const R1_REVIEW_DUE: i64 = -320;
const R1_NOTICE: i64 = -312;
const PROJECT_START: i64 = -270;

/// Beijing wall time on a day, as stored (UTC).
fn bj(d: NaiveDate, hour: u32) -> NaiveDateTime {
    d.and_hms_opt(hour, 0, 0).expect("valid hour") - Duration::hours(8)
}

/// A project of the first round as the demo drives it.
#[derive(Clone)]
struct Proj {
    id: i64,
    org: usize,
    cat: usize,
    content: ProposalContent,
    start: NaiveDate,
    end: NaiveDate,
    due: [NaiveDate; 3],
}

/// When an evaluation of the story was assigned, due, submitted and accepted.
fn eval_dates(p: &Proj, stage: Stage) -> (NaiveDate, NaiveDate, NaiveDate, NaiveDate) {
    if stage == Stage::Final {
        let base = p.end;
        (
            base + Duration::days(1),
            base + Duration::days(25),
            base + Duration::days(12),
            base + Duration::days(15),
        )
    } else {
        let base = p.due[1];
        (
            base + Duration::days(3),
            base + Duration::days(35),
            base + Duration::days(28),
            base + Duration::days(32),
        )
    }
}

/// How a report ends up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReportEnd {
    Accepted,
    ReturnedThenAccepted,
    Submitted,
    Draft,
}

/// How an evaluation ends up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EvalEnd {
    Accepted,
    Submitted,
    Assigned,
}

struct Ngo {
    org_id: i64,
    member: Actor,
}

struct Seeder<'a> {
    c: &'a mut DbConn,
    s: &'a Settings,
    today: NaiveDate,
    hash: String,
    admin: Option<Actor>,
    officer: Option<Actor>,
    ngos: Vec<Ngo>,
    reviewers: Vec<Actor>,
    evaluators: Vec<Actor>,
    supervisor: Option<Actor>,
    logins: Vec<Login>,
    /// Organizations (index) whose project plays a part, with what to say about them.
    story: Vec<(usize, Role3)>,
    /// The last payment voucher number (凭证号) used.
    voucher: i64,
    /// A call-back sample was drawn for an accepted mid-term evaluation, and one that falls
    /// below the threshold for a submitted one (the officer's flag).
    sampled: bool,
    flagged_sample: bool,
    /// Projects whose reports carry a beneficiary roster (服务对象名册).
    roster_projects: Vec<i64>,
}

impl<'a> Seeder<'a> {
    fn new(c: &'a mut DbConn, s: &'a Settings) -> anyhow::Result<Self> {
        Ok(Seeder {
            c,
            s,
            today: db::today(),
            hash: yichuang::auth::hash_password(DEMO_PASSWORD)?,
            admin: None,
            officer: None,
            ngos: Vec::new(),
            reviewers: Vec::new(),
            evaluators: Vec::new(),
            supervisor: None,
            logins: Vec::new(),
            story: Vec::new(),
            voucher: 0,
            sampled: false,
            flagged_sample: false,
            roster_projects: Vec::new(),
        })
    }

    fn day(&self, offset: i64) -> NaiveDate {
        self.today + Duration::days(offset)
    }

    fn officer(&self) -> Actor {
        self.officer.clone().expect("officer created first")
    }

    fn run(mut self) -> anyhow::Result<Summary> {
        self.people()?;
        self.organizations()?;
        let r1 = self.first_round()?;
        let projects = self.award_first_round(r1)?;
        self.execute(&projects)?;
        self.second_round()?;
        let mut story = self.story.clone();
        story.sort_by_key(|(_, r)| *r as u8);
        for (k, (i, role)) in story.into_iter().enumerate() {
            let what = match role {
                Role3::Completed => "项目已结项（优秀），可快速续期",
                Role3::Rectifying => "中期评估不合格，整改中",
                Role3::Barred => "末期评估不合格，暂停申报资格",
                Role3::Other => continue,
            };
            self.logins.insert(
                2 + k,
                Login {
                    role: "社会组织 ngo",
                    email: format!("ngo{:02}@ngo.example", i + 1),
                    who: format!("{} · {}：{what}", ORGS[i].contact, ORGS[i].name),
                },
            );
        }
        self.backdate_registrations()?;
        // The documents issued along the way state the dates the seeding just moved: drop
        // them, so each is issued from the moved dates at its first download.
        // Supplement agreements (补充协议) are issued only with their change, which the
        // seeding did not move: they stay.
        diesel::delete(schema::documents::table.filter(schema::documents::kind.ne("supplement")))
            .execute(self.c)?;
        let mut summary = Summary {
            logins: self.logins,
            organizations: 0,
            proposals: 0,
            projects: 0,
            elapsed: StdDuration::ZERO,
        };
        summary.count(self.c)?;
        Ok(summary)
    }

    // ----- accounts ---------------------------------------------------------------------

    /// An active account created like `yichuang user add`, whose one-time password is then
    /// replaced by the demo password (no change required at the first sign-in).
    fn account(
        &mut self,
        role: Role,
        email: &str,
        name: &str,
        bureau: Option<&str>,
    ) -> anyhow::Result<Actor> {
        ops::accounts::create_with_password(self.c, role, email, name, bureau)
            .step(&format!("create {email}"))?;
        let user = users::find_by_email(self.c, email)
            .step(email)?
            .ok_or_else(|| anyhow!("demo: {email} was not created"))?;
        let hash = self.hash.clone();
        db::write_tx(self.c, |c| {
            users::set_password(c, user.id, &hash)?;
            audit::append(
                c,
                Change::new(None, "user.password_changed", "user", user.id)
                    .reason("reason.demo_password"),
            )
        })
        .step(email)?;
        Ok(users::find(self.c, user.id).step(email)?.actor())
    }

    fn reload(&mut self, a: &Actor) -> anyhow::Result<Actor> {
        Ok(users::find(self.c, a.id).step("reload account")?.actor())
    }

    fn people(&mut self) -> anyhow::Result<()> {
        let admin = self.account(Role::Admin, "admin@yichuang.example", "系统管理员", None)?;
        ops::accounts::create_bureau(self.c, &admin, DEMO_BUREAU).step("create the bureau")?;
        let officer = self.account(
            Role::Officer,
            "officer@gusu.example",
            "张敏",
            Some(DEMO_BUREAU),
        )?;
        self.logins.push(Login {
            role: "系统管理员 admin",
            email: admin.email.clone(),
            who: "账户、节假日日历、审计日志".into(),
        });
        self.logins.push(Login {
            role: "民政局 officer",
            email: officer.email.clone(),
            who: format!("张敏 · {DEMO_BUREAU}：批次、审查、评审、立项、拨款、评估"),
        });
        let supervisor = self.account(
            Role::Supervisor,
            "supervisor@gusu.example",
            "李华",
            Some(DEMO_BUREAU),
        )?;
        self.logins.push(Login {
            role: "督导员 supervisor",
            email: supervisor.email.clone(),
            who: "李华 · 督导走访：检查清单、问题与整改".into(),
        });
        self.supervisor = Some(supervisor);
        self.admin = Some(admin);
        self.officer = Some(officer);
        for (i, (name, what, expertise)) in REVIEWERS.iter().enumerate() {
            let email = format!("expert{}@review.example", i + 1);
            let r = self.account(Role::Reviewer, &email, name, None)?;
            let affiliations = if i == 4 {
                // 张伟 supervises one NGO's social workers: a known conflict.
                vec![yichuang::domain::assignment::Affiliation {
                    org_name: ORGS[8].name.to_string(),
                    uscc: None,
                    role: "项目督导".to_string(),
                    until: None,
                }]
            } else {
                Vec::new()
            };
            ops::reviews::save_profile(
                self.c,
                &r,
                &yichuang::db::reviews::Profile {
                    expertise: expertise.iter().map(|s| s.to_string()).collect(),
                    affiliations,
                },
            )
            .step("reviewer profile")?;
            if i == 0 {
                self.logins.push(Login {
                    role: "评审专家 reviewer",
                    email: email.clone(),
                    who: format!("{name} · {what}"),
                });
            }
            self.reviewers.push(r);
        }
        Ok(())
    }

    // ----- organizations ----------------------------------------------------------------

    fn org_input(&self, i: usize, o: &OrgSpec, uscc: String) -> OrgInput {
        registration(self.today, i, o, uscc)
    }

    fn organizations(&mut self) -> anyhow::Result<()> {
        let officer = self.officer();
        for (i, o) in ORGS.iter().enumerate() {
            let email = format!("ngo{:02}@ngo.example", i + 1);
            let member = self.account(Role::Ngo, &email, o.contact, None)?;
            let input = self.org_input(i, o, ngo_uscc(o.reg, 5_100_000 + i as u32 * 48_271));
            let org_id = ops::orgs::register(self.c, self.s, &member, OrgKind::Ngo, &input)
                .step(&format!("register {}", o.name))?;
            let member = self.reload(&member)?;
            ops::orgs::upload_document(
                self.c,
                &member,
                org_id,
                "registration_certificate",
                "社会组织登记证书.pdf",
                &demo_pdf("Certificate of registration (demo)"),
            )
            .step("certificate")?;
            if i % 4 == 0 {
                ops::orgs::upload_document(
                    self.c,
                    &member,
                    org_id,
                    "annual_inspection",
                    "年度检查结论.pdf",
                    &demo_pdf("Annual inspection: qualified (demo)"),
                )
                .step("inspection")?;
            }
            ops::orgs::verify(self.c, self.s, &officer, org_id).step("verify")?;
            if matches!(i, 0 | 2 | 8) {
                // A colleague (the finance officer) in the same organization.
                let other = self.account(
                    Role::Ngo,
                    &format!("ngo{:02}-finance@ngo.example", i + 1),
                    ["赵倩", "孙悦", "钱程"][i % 3],
                    None,
                )?;
                db::write_tx(self.c, |c| {
                    users::set_org(c, other.id, org_id)?;
                    audit::append(
                        c,
                        Change::new(Some(&member), "org.member_added", "organization", org_id)
                            .after(serde_json::json!({"user_id": other.id, "email": other.email})),
                    )
                })
                .step("second member")?;
            }
            self.ngos.push(Ngo { org_id, member });
        }
        // One registration still waits for the officer.
        let member = self.account(Role::Ngo, "ngo31@ngo.example", "林晓", None)?;
        let spec = org(
            "姑苏区青禾社区服务中心",
            SS,
            "",
            "林国栋",
            "林晓",
            "苏锦街道",
            "平泷路",
            ((self.today - Duration::days(420)).year(), 6),
        );
        let input = self.org_input(30, &spec, ngo_uscc(SS, 7_700_031));
        let pending = ops::orgs::register(self.c, self.s, &member, OrgKind::Ngo, &input)
            .step("register the pending organization")?;
        let member = self.reload(&member)?;
        ops::orgs::upload_document(
            self.c,
            &member,
            pending,
            "registration_certificate",
            "登记证书.pdf",
            &demo_pdf("Certificate of registration (demo)"),
        )
        .step("certificate")?;

        // Two third-party evaluation agencies, each with an evaluator.
        let agencies = [
            (
                "苏州市姑苏区恒信社会组织评估中心",
                SS,
                uscc_with("52320508MJ6120835"),
                "郑国华",
                "陈静",
                "eval1@agency.example",
            ),
            (
                "江苏致远公益发展咨询有限公司",
                "enterprise",
                uscc_with("91320508MA1X7Q3K2"),
                "孙丽娟",
                "刘洋",
                "eval2@agency.example",
            ),
        ];
        for (k, (name, reg, uscc, rep, person, email)) in agencies.into_iter().enumerate() {
            let spec = org(
                name,
                reg,
                "",
                rep,
                person,
                "双塔街道",
                "干将西路",
                (2015, 3),
            );
            let mut input = self.org_input(40 + k, &spec, uscc);
            input.reg_authority = if reg == SS {
                "苏州市姑苏区民政局".into()
            } else {
                "苏州市姑苏区市场监督管理局".into()
            };
            input.contact_email = format!("office{}@agency.example", k + 1);
            input.inspections.clear();
            let agency = ops::orgs::register(self.c, self.s, &officer, OrgKind::Agency, &input)
                .step(&format!("register {name}"))?;
            let evaluator = self.account(Role::Evaluator, email, person, None)?;
            db::write_tx(self.c, |c| {
                users::set_org(c, evaluator.id, agency)?;
                audit::append(
                    c,
                    Change::new(Some(&officer), "org.member_added", "organization", agency)
                        .after(serde_json::json!({"user_id": evaluator.id, "email": email})),
                )
            })
            .step("evaluator")?;
            let evaluator = self.reload(&evaluator)?;
            if k == 0 {
                self.logins.push(Login {
                    role: "评估机构 evaluator",
                    email: email.to_string(),
                    who: format!("{person} · {name}"),
                });
            }
            self.evaluators.push(evaluator);
        }
        Ok(())
    }

    // ----- rounds -----------------------------------------------------------------------

    fn open_round(&mut self, core: &RoundCore) -> anyhow::Result<i64> {
        let officer = self.officer();
        // Proposals declare their performance targets (the evaluations keep the rubric's
        // totals, so the story's grades stand).
        let rules = RoundRules {
            targets: TargetRules {
                required: true,
                ..TargetRules::default()
            },
            ..RoundRules::default()
        };
        let id = ops::rounds::create(self.c, &officer, core, &rules).step("create a round")?;
        ops::rounds::publish(self.c, self.s, &officer, id).step("publish a round")?;
        Ok(id)
    }

    /// Starts, fills and (optionally) submits a proposal; returns its id.
    fn apply(
        &mut self,
        round: i64,
        org_index: usize,
        content: &ProposalContent,
        submit: bool,
    ) -> anyhow::Result<i64> {
        let member = self.ngos[org_index].member.clone();
        let id = ops::proposals::start(self.c, &member, round).step("start a proposal")?;
        let version = yichuang::db::proposals::find(self.c, id)
            .step("proposal")?
            .version;
        ops::proposals::save(self.c, &member, id, version, content)
            .step(&format!("save {}", content.title))?;
        if submit {
            ops::proposals::submit(self.c, self.s, &member, id)
                .step(&format!("submit {}", content.title))?;
        }
        Ok(id)
    }

    /// The first round, from the call to the ranking: proposals, screening, reviews.
    fn first_round(&mut self) -> anyhow::Result<(i64, HashMap<i64, usize>)> {
        let officer = self.officer();
        let year = self.today.year() - 1;
        let core = round_core(format!("{year}年度姑苏区公益创投大赛"), year, 120, 10);
        let round = self.open_round(&core)?;
        let start = self.day(45);
        let mut by_id = HashMap::new();
        for (i, (o, cat, title, grant, _)) in ROUND1.iter().enumerate() {
            let content = proposal_content(*o, *cat, title, *grant, start, i);
            let id = self.apply(round, *o, &content, true)?;
            by_id.insert(id, i);
        }
        let id_of = |i: usize| {
            by_id
                .iter()
                .find(|(_, v)| **v == i)
                .map(|(k, _)| *k)
                .expect("every spec applied")
        };
        let withdrawn = id_of(WITHDRAWN);
        let member = self.ngos[ROUND1[WITHDRAWN].0].member.clone();
        ops::proposals::withdraw(
            self.c,
            self.s,
            &member,
            withdrawn,
            "机构人手调整，本年度集中力量做好“河小青”项目。",
        )
        .step("withdraw")?;

        // The deadline passes: the worker would move the round to screening.
        diesel::update(schema::rounds::table.find(round))
            .set(schema::rounds::closes_at.eq(Some(db::now() - Duration::minutes(1))))
            .execute(self.c)?;
        ops::rounds::close_due(self.c).step("close the round")?;

        // Screening: one returned for correction and fixed, two ineligible, the rest eligible.
        let returned = id_of(RETURNED);
        ops::screening::decide(
            self.c,
            self.s,
            &officer,
            returned,
            &ops::screening::Decision::Return {
                comment: "预算明细中“活动物料及场地布置”未列明单价和数量，请补充后重新提交。"
                    .into(),
                deadline: db::now() + Duration::days(5),
            },
        )
        .step("return a proposal")?;
        let member = self.ngos[ROUND1[RETURNED].0].member.clone();
        let p = yichuang::db::proposals::find(self.c, returned).step("proposal")?;
        let mut fixed = p.content();
        fixed.budget[0].item = "活动物料（折页500份×2元、场地布置12场×1500元等）".into();
        ops::proposals::save(self.c, &member, returned, p.version, &fixed).step("fix")?;
        ops::proposals::submit(self.c, self.s, &member, returned).step("resubmit")?;
        for (i, reason) in INELIGIBLE {
            ops::screening::decide(
                self.c,
                self.s,
                &officer,
                id_of(i),
                &ops::screening::Decision::Ineligible {
                    reason: reason.into(),
                },
            )
            .step("ineligible")?;
        }
        let mut eligible: Vec<i64> = Vec::new();
        for id in by_id.keys() {
            let p = yichuang::db::proposals::find(self.c, *id).step("proposal")?;
            if p.status == yichuang::domain::proposal::ProposalStatus::Submitted {
                eligible.push(*id);
            }
        }
        eligible.sort_unstable();
        ops::screening::decide_many(
            self.c,
            self.s,
            &officer,
            round,
            &eligible,
            &ops::screening::Decision::Eligible,
        )
        .step("screen")?;

        // Expert review: five of the eight experts per proposal; one declines a conflict.
        ops::reviews::start_review(self.c, &officer, round).step("start the review")?;
        ops::reviews::auto_assign(self.c, self.s, &officer, round).step("assign")?;
        let decliner = self.reviewers[1].clone();
        if let Some(item) = yichuang::db::reviews::for_reviewer(self.c, decliner.id)
            .step("reviews")?
            .into_iter()
            .find(|x| x.status == yichuang::domain::assignment::ReviewStatus::Assigned)
        {
            ops::reviews::decline(
                self.c,
                &decliner,
                item.review_id,
                "本人近三年曾为该机构提供项目督导服务，申请回避。",
            )
            .step("decline")?;
            ops::reviews::auto_assign(self.c, self.s, &officer, round).step("reassign")?;
        }
        let criteria = RoundRules::default().review_criteria;
        let max: Vec<i32> = criteria.iter().map(|c| c.max_points * 10).collect();
        const BIAS: [i32; 8] = [30, -20, 0, 50, -40, 10, -10, 20];
        let mut divergent_done = false;
        for (r_idx, reviewer) in self.reviewers.clone().into_iter().enumerate() {
            let items = yichuang::db::reviews::for_reviewer(self.c, reviewer.id).step("reviews")?;
            for item in items
                .into_iter()
                .filter(|x| x.status == yichuang::domain::assignment::ReviewStatus::Assigned)
            {
                let p_idx = by_id[&item.proposal_id];
                let base = ROUND1[p_idx].4;
                let noise = ((p_idx * 37 + r_idx * 61) % 17) as i32 * 5 - 40;
                let mut total = (base * 10 + BIAS[r_idx] + noise).clamp(300, 985);
                if p_idx == DIVERGENT && !divergent_done {
                    total = (total - 260).max(300);
                    divergent_done = true;
                }
                let seed = p_idx * 7 + r_idx;
                let content = review_content(total, &max, seed);
                ops::reviews::accept(self.c, &reviewer, item.review_id).step("accept")?;
                let version = yichuang::db::reviews::find(self.c, item.review_id)
                    .step("review")?
                    .version;
                ops::reviews::save(self.c, &reviewer, item.review_id, version, &content)
                    .step("save a review")?;
                ops::reviews::submit(self.c, &reviewer, item.review_id).step("submit a review")?;
            }
        }
        Ok((round, by_id))
    }

    /// From the ranking to the projects: 核减, the notice, objections, finalising; then last
    /// year's dates.
    fn award_first_round(
        &mut self,
        (round, by_id): (i64, HashMap<i64, usize>),
    ) -> anyhow::Result<Vec<(Proj, Role3)>> {
        let officer = self.officer();
        ops::award::close_review(self.c, &officer, round).step("close the review")?;
        let view = yichuang::queries::decision::compute(self.c, &officer, round).step("ranking")?;
        let funded: Vec<_> = view
            .rows
            .iter()
            .filter(|r| r.line == yichuang::domain::award::AwardState::Funded)
            .collect();
        if let Some(r) = funded.get(6) {
            let reduced = Fen(r.requested_fen - 1_000_000);
            ops::award::save_entry(
                self.c,
                &officer,
                r.proposal_id,
                &ops::award::EntryInput {
                    reduced: reduced.yuan_input(),
                    reduce_reason: "宣传品制作及印刷费用测算偏高，核减1万元。".into(),
                    ..Default::default()
                },
            )
            .step("核减")?;
        }
        ops::award::publish_notice(self.c, self.s, &officer, round, None)
            .step("publish the notice")?;

        // Two objections from the public: one rejected, one upheld (the waitlist moves up).
        let list = yichuang::db::awards::awards(self.c, round).step("notice list")?;
        let listed: Vec<i64> = list
            .iter()
            .filter(|a| a.state == yichuang::domain::award::AwardState::Funded)
            .map(|a| a.proposal_id)
            .collect();
        let objections = [
            (
                9,
                "王建华",
                "wangjianhua@example.com",
                "该项目与该机构去年获资助的项目内容基本相同，属于重复申报。",
                false,
                "经核查，该项目的服务对象和服务内容与去年资助项目不同，不存在重复申报，异议不成立。",
            ),
            (
                12,
                "李秀兰",
                "lixiulan@example.com",
                "该项目负责人同时在另一家机构的获资助项目中担任负责人，精力难以保证。",
                true,
                "经核查属实，项目负责人同时负责两个资助项目，不符合申报指南要求，异议成立，取消拟资助资格，由候补项目递补。",
            ),
        ];
        for (pos, name, email, reason, upheld, response) in objections {
            let Some(pid) = listed.get(pos) else { continue };
            let filed = ops::award::file_objection(
                self.c,
                self.s,
                round,
                &yichuang::domain::award::ObjectionInput {
                    proposal_id: Some(*pid),
                    name: name.into(),
                    email: email.into(),
                    phone: "13912345678".into(),
                    reason: reason.into(),
                },
                "zh-CN",
                "demo",
            )
            .step("objection")?;
            // Its author follows the emailed link.
            let id = ops::award::confirm_objection(self.c, self.s, &filed.token, "zh-CN", "demo")
                .step("confirm an objection")?
                .id;
            ops::award::answer_objection(
                self.c,
                self.s,
                &officer,
                id,
                &ops::award::AnswerInput {
                    upheld,
                    response: response.into(),
                },
            )
            .step("answer an objection")?;
        }

        // The notice ends; the funded proposals get last year's project period (two of
        // them a shorter one, so that they have ended by now).
        diesel::update(schema::notices::table.find(round))
            .set(schema::notices::ends_at.eq(db::now() - Duration::minutes(1)))
            .execute(self.c)?;
        let list = yichuang::db::awards::awards(self.c, round).step("notice list")?;
        let funded: Vec<i64> = list
            .iter()
            .filter(|a| a.state == yichuang::domain::award::AwardState::Funded)
            .map(|a| a.proposal_id)
            .collect();
        let completed = *funded
            .first()
            .ok_or_else(|| anyhow!("demo: nothing funded"))?;
        let rectifying = *funded
            .get(2)
            .ok_or_else(|| anyhow!("demo: too few funded"))?;
        let barred = *funded
            .get(4)
            .ok_or_else(|| anyhow!("demo: too few funded"))?;
        let start = self.day(PROJECT_START);
        for id in by_id.keys() {
            let p = yichuang::db::proposals::find(self.c, *id).step("proposal")?;
            let mut content = p.content();
            let months = if *id == completed || *id == barred {
                8
            } else {
                12
            };
            set_plan(&mut content, start, months);
            diesel::update(schema::proposals::table.find(*id))
                .set(
                    schema::proposals::content_json
                        .eq(serde_json::to_string(&content).expect("serializes")),
                )
                .execute(self.c)?;
        }
        let created = ops::award::finalise(self.c, self.s, &officer, round).step("finalise")?;
        self.backdate_first_round(round, &by_id)?;

        let mut out = Vec::new();
        for pid in created {
            let p = yichuang::db::projects::project(self.c, pid).step("project")?;
            let content = yichuang::db::proposals::find(self.c, p.proposal_id)
                .step("proposal")?
                .content();
            let spec = by_id[&p.proposal_id];
            let months = if p.proposal_id == completed || p.proposal_id == barred {
                8
            } else {
                12
            };
            let (end, due) = plan(p.starts_on, months);
            let role = if p.proposal_id == completed {
                Role3::Completed
            } else if p.proposal_id == rectifying {
                Role3::Rectifying
            } else if p.proposal_id == barred {
                Role3::Barred
            } else {
                Role3::Other
            };
            out.push((
                Proj {
                    id: pid,
                    org: ROUND1[spec].0,
                    cat: ROUND1[spec].1,
                    content,
                    start: p.starts_on,
                    end,
                    due,
                },
                role,
            ));
        }
        Ok(out)
    }

    /// Moves what the first round took from the clock to last year's calendar.
    fn backdate_first_round(
        &mut self,
        round: i64,
        by_id: &HashMap<i64, usize>,
    ) -> anyhow::Result<()> {
        use schema::{
            awards, decision_entries, notices, objections, projects, proposals, reviews, rounds,
        };
        let opens = bj(self.day(R1_OPENS), 9);
        let closes = bj(self.day(R1_CLOSES), 17);
        let review_due = bj(self.day(R1_REVIEW_DUE), 17);
        diesel::update(rounds::table.find(round))
            .set((
                rounds::opens_at.eq(Some(opens)),
                rounds::closes_at.eq(Some(closes)),
                rounds::review_due.eq(Some(review_due)),
                rounds::published_at.eq(Some(opens)),
                rounds::created_at.eq(opens - Duration::days(6)),
                rounds::updated_at.eq(opens),
            ))
            .execute(self.c)?;
        let mut ids: Vec<(i64, usize)> = by_id.iter().map(|(k, v)| (*k, *v)).collect();
        ids.sort_unstable();
        let screened = bj(self.day(R1_CLOSES + 9), 16);
        for (n, (id, _)) in ids.iter().enumerate() {
            let created = opens + Duration::days(3) + Duration::hours(n as i64 * 15);
            let p = yichuang::db::proposals::find(self.c, *id).step("proposal")?;
            diesel::update(proposals::table.find(*id))
                .set((
                    proposals::created_at.eq(created),
                    proposals::submitted_at
                        .eq(p.submitted_at.map(|_| created + Duration::hours(30))),
                    proposals::return_deadline
                        .eq(p.return_deadline.map(|_| bj(self.day(R1_CLOSES + 12), 17))),
                    proposals::updated_at.eq(screened),
                ))
                .execute(self.c)?;
        }
        let assigned = bj(self.day(R1_CLOSES + 14), 10);
        let rows: Vec<(i64, Option<NaiveDateTime>)> = reviews::table
            .filter(reviews::round_id.eq(round))
            .select((reviews::id, reviews::submitted_at))
            .load(self.c)?;
        for (id, submitted) in rows {
            let at =
                submitted.map(|_| bj(self.day(R1_CLOSES + 16 + id % 12), 9 + (id % 10) as u32));
            diesel::update(reviews::table.find(id))
                .set((
                    reviews::assigned_at.eq(assigned),
                    reviews::submitted_at.eq(at),
                    reviews::updated_at.eq(at.unwrap_or(assigned)),
                ))
                .execute(self.c)?;
        }
        diesel::update(decision_entries::table.filter(decision_entries::round_id.eq(round)))
            .set(decision_entries::updated_at.eq(bj(self.day(R1_REVIEW_DUE + 3), 15)))
            .execute(self.c)?;
        let notice_start = bj(self.day(R1_NOTICE), 9);
        let notice_end = notice_start + Duration::days(9);
        let finalised = notice_end + Duration::days(1) + Duration::hours(2);
        diesel::update(notices::table.find(round))
            .set((
                notices::starts_at.eq(notice_start),
                notices::ends_at.eq(notice_end),
                notices::finalised_at.eq(Some(finalised)),
            ))
            .execute(self.c)?;
        diesel::update(awards::table.filter(awards::round_id.eq(round)))
            .set(awards::updated_at.eq(notice_start))
            .execute(self.c)?;
        let objection_ids: Vec<i64> = objections::table
            .filter(objections::round_id.eq(round))
            .select(objections::id)
            .load(self.c)?;
        for (n, id) in objection_ids.into_iter().enumerate() {
            let filed = notice_start + Duration::days(2 + n as i64) + Duration::hours(3);
            diesel::update(objections::table.find(id))
                .set((
                    objections::created_at.eq(filed),
                    objections::confirmed_at.eq(Some(filed + Duration::hours(1))),
                    objections::answered_at.eq(Some(filed + Duration::days(3))),
                ))
                .execute(self.c)?;
        }
        diesel::update(projects::table.filter(projects::round_id.eq(round)))
            .set((
                projects::created_at.eq(finalised),
                projects::updated_at.eq(finalised),
            ))
            .execute(self.c)?;
        Ok(())
    }

    // ----- execution --------------------------------------------------------------------

    fn sign(&mut self, p: &Proj) -> anyhow::Result<()> {
        let officer = self.officer();
        ops::execution::record_agreement(
            self.c,
            self.s,
            &officer,
            p.id,
            "项目协议书（双方签章）.pdf",
            &demo_pdf("Grant agreement, signed and sealed (demo)"),
        )
        .step("record the agreement")?;
        let signed = bj(p.start - Duration::days(6), 10);
        use schema::{project_files, projects, tranches};
        diesel::update(projects::table.find(p.id))
            .set(projects::agreement_signed_at.eq(Some(signed)))
            .execute(self.c)?;
        diesel::update(
            project_files::table
                .filter(project_files::project_id.eq(p.id))
                .filter(project_files::kind.eq("signed_agreement")),
        )
        .set(project_files::uploaded_at.eq(signed))
        .execute(self.c)?;
        diesel::update(
            tranches::table
                .filter(tranches::project_id.eq(p.id))
                .filter(tranches::seq.eq(1)),
        )
        .set(tranches::released_at.eq(Some(signed)))
        .execute(self.c)?;
        Ok(())
    }

    /// Pays tranche `seq` in parts (percent of the tranche, date).
    fn pay(&mut self, p: &Proj, seq: i32, parts: &[(i64, NaiveDate)]) -> anyhow::Result<()> {
        let officer = self.officer();
        let t = yichuang::db::projects::tranches(self.c, p.id)
            .step("tranches")?
            .into_iter()
            .find(|t| t.seq == seq)
            .ok_or_else(|| anyhow!("demo: no tranche {seq}"))?;
        let mut left = t.amount_fen;
        for (k, (pct, on)) in parts.iter().enumerate() {
            let amount = if k + 1 == parts.len() {
                left
            } else {
                t.amount_fen * pct / 100
            };
            left -= amount;
            self.voucher += 1;
            let pay_id = ops::execution::record_payment(
                self.c,
                self.s,
                &officer,
                t.id,
                &ops::execution::PaymentInput {
                    paid_on: on.to_string(),
                    voucher_no: format!("姑民财付〔{}〕{:04}号", on.year(), 100 + self.voucher),
                    amount: Fen(amount).yuan_input(),
                },
            )
            .step("record a payment")?;
            diesel::update(schema::payments::table.find(pay_id))
                .set(schema::payments::created_at.eq(bj(*on, 15)))
                .execute(self.c)?;
        }
        Ok(())
    }

    /// Files milestone report `k` and takes it to `end`.
    fn report(&mut self, p: &Proj, k: usize, end: ReportEnd) -> anyhow::Result<()> {
        let member = self.ngos[p.org].member.clone();
        let officer = self.officer();
        let id = ops::execution::start_report(self.c, &member, p.id, ReportTarget::Milestone(k))
            .step("start a report")?;
        let mut content = report_content(&p.content, p.cat, k, REPORT_NARRATIVES[k]);
        if end == ReportEnd::ReturnedThenAccepted {
            content.narrative = "按计划开展了各项活动。".into();
        }
        let version = yichuang::db::projects::report(self.c, id)
            .step("report")?
            .version;
        ops::execution::save_report(self.c, &member, id, version, &content)
            .step("save a report")?;
        if self.roster_projects.contains(&p.id) {
            self.roster(p, id, &content)?;
        }
        if end == ReportEnd::Draft {
            return Ok(());
        }
        if end != ReportEnd::ReturnedThenAccepted {
            ops::execution::upload_evidence(
                self.c,
                &member,
                id,
                "活动签到表及照片.pdf",
                &demo_pdf("Sign-in sheets and photos (demo)"),
            )
            .step("evidence")?;
        }
        ops::execution::submit_report(self.c, self.s, &member, id).step("submit a report")?;
        if end == ReportEnd::ReturnedThenAccepted {
            ops::execution::review_report(
                self.c,
                self.s,
                &officer,
                id,
                false,
                "报告过于简略，请补充各项活动的开展情况，并上传活动签到表和照片等佐证材料。",
            )
            .step("return a report")?;
            content.narrative = format!(
                "{}（已补充：各场活动时间、地点、参与人数明细及签到表。）",
                REPORT_NARRATIVES[k]
            );
            let version = yichuang::db::projects::report(self.c, id)
                .step("report")?
                .version;
            ops::execution::save_report(self.c, &member, id, version, &content)
                .step("fix a report")?;
            ops::execution::upload_evidence(
                self.c,
                &member,
                id,
                "补充：活动签到表.pdf",
                &demo_pdf("Sign-in sheets (demo)"),
            )
            .step("evidence")?;
            ops::execution::submit_report(self.c, self.s, &member, id).step("resubmit a report")?;
        }
        if matches!(end, ReportEnd::Accepted | ReportEnd::ReturnedThenAccepted) {
            ops::execution::review_report(
                self.c,
                self.s,
                &officer,
                id,
                true,
                "材料齐全，进度符合计划，予以通过。",
            )
            .step("accept a report")?;
        }
        // When it happened.
        use schema::{project_files, reports};
        let pe = p.due[k];
        // Filed two days before the milestone's due date: on time (a late report would fail
        // the evaluation that covers it under the default rule).
        let submitted = if end == ReportEnd::Submitted {
            bj(self.day(-3), 16)
        } else {
            bj(pe - Duration::days(2), 16)
        };
        let reviewed = matches!(end, ReportEnd::Accepted | ReportEnd::ReturnedThenAccepted)
            .then(|| bj(pe + Duration::days(9), 11));
        diesel::update(reports::table.find(id))
            .set((
                reports::created_at.eq(bj(pe - Duration::days(7), 9)),
                reports::submitted_at.eq(Some(submitted)),
                reports::reviewed_at.eq(reviewed),
                reports::updated_at.eq(reviewed.unwrap_or(submitted)),
            ))
            .execute(self.c)?;
        diesel::update(project_files::table.filter(project_files::report_id.eq(Some(id))))
            .set(project_files::uploaded_at.eq(submitted - Duration::hours(1)))
            .execute(self.c)?;
        Ok(())
    }

    /// The roster of report `id`, matching its figures: the same people
    /// report after report (cumulative), phone numbers masked when shown. The first three
    /// people of every roster project are the same people, so the officer sees them counted
    /// by two projects (重复受益).
    fn roster(&mut self, p: &Proj, id: i64, content: &ReportContent) -> anyhow::Result<()> {
        const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
        const GIVEN: [&str; 10] = [
            "秀英", "建国", "桂兰", "志强", "玉兰", "国华", "淑珍", "德明", "丽华", "文斌",
        ];
        let member = self.ngos[p.org].member.clone();
        let key = yichuang::pii::PiiKey::new(self.s.pii_key.expose());
        let mut lines = Vec::new();
        for g in &content.beneficiaries {
            let times = if g.unique_people > 0 {
                g.person_times / g.unique_people
            } else {
                0
            };
            for i in 0..g.unique_people {
                let phone = if i < 3 {
                    format!("1380000{:04}", i)
                } else {
                    format!("139{:04}{:04}", p.id % 10_000, i)
                };
                let last = i + 1 == g.unique_people;
                let person_times = times
                    + if last {
                        g.person_times - times * g.unique_people
                    } else {
                        0
                    };
                lines.push(yichuang::domain::roster::RosterInput {
                    group: g.group.clone(),
                    name: if i < 3 {
                        ["何淑芬", "许建华", "邓桂英"][i as usize].to_string()
                    } else {
                        format!(
                            "{}{}",
                            SURNAMES[(i % 10) as usize],
                            GIVEN[((i / 10 + p.id) % 10) as usize]
                        )
                    },
                    id_kind: "phone".into(),
                    id_number: phone,
                    first_served: (p.start + Duration::days(i % 20)).min(p.due[0]).to_string(),
                    person_times: person_times.to_string(),
                    keep: None,
                });
            }
        }
        ops::rosters::replace(
            self.c,
            &key,
            &member,
            id,
            &lines,
            ops::rosters::Source::Sheet,
        )
        .step("a roster")?;
        Ok(())
    }

    /// Assigns an evaluation and takes it to `end`; returns the date it was accepted.
    fn evaluate(
        &mut self,
        p: &Proj,
        stage: Stage,
        total: i32,
        evaluator: usize,
        end: EvalEnd,
    ) -> anyhow::Result<Option<NaiveDate>> {
        let officer = self.officer();
        let ev = self.evaluators[evaluator % self.evaluators.len()].clone();
        let id = ops::evaluation::assign(
            self.c,
            self.s,
            &officer,
            p.id,
            &ops::evaluation::AssignInput {
                stage: stage.as_str().into(),
                evaluator_id: Some(ev.id),
                due_on: self.day(14).to_string(),
            },
        )
        .step("assign an evaluation")?;
        if end == EvalEnd::Assigned {
            return Ok(None);
        }
        let reported = p.content.beneficiaries[0].unique_people
            * if stage == Stage::Final { 100 } else { 64 }
            / 100;
        let content = evaluation_content(total, reported, CATS[p.cat].group, p.id as usize);
        let version = yichuang::db::evaluations::find(self.c, id)
            .step("evaluation")?
            .version;
        ops::evaluation::save(self.c, &ev, id, version, &content).step("file an evaluation")?;
        if stage == Stage::Midterm && end == EvalEnd::Accepted && !self.sampled {
            self.sampled = true;
            self.call_back(p, &ev, id, reported, false)?;
        } else if stage == Stage::Midterm && end == EvalEnd::Submitted && !self.flagged_sample {
            self.flagged_sample = true;
            self.call_back(p, &ev, id, reported, true)?;
        }
        let file = if stage == Stage::Final {
            "末期评估报告.pdf"
        } else {
            "中期评估报告.pdf"
        };
        ops::evaluation::upload_report(
            self.c,
            &ev,
            id,
            file,
            &demo_pdf("Third-party evaluation report (demo)"),
        )
        .step("evaluation report")?;
        ops::evaluation::submit(self.c, self.s, &ev, id).step("submit an evaluation")?;
        if end == EvalEnd::Submitted {
            return Ok(None);
        }
        // The story's due date before the rule engine reads which reports it covers.
        let (_, due, _, _) = eval_dates(p, stage);
        diesel::update(schema::evaluations::table.find(id))
            .set(schema::evaluations::due_on.eq(due))
            .execute(self.c)?;
        ops::evaluation::review(
            self.c,
            self.s,
            &officer,
            id,
            &ops::evaluation::ReviewInput {
                accept: true,
                ..Default::default()
            },
        )
        .step("accept an evaluation")?;
        // When it happened.
        let (created, due, submitted, accepted) = eval_dates(p, stage);
        use schema::{evaluations, org_bars, project_files, tranches};
        diesel::update(evaluations::table.find(id))
            .set((
                evaluations::created_at.eq(bj(created, 10)),
                evaluations::due_on.eq(due),
                evaluations::submitted_at.eq(Some(bj(submitted, 15))),
                evaluations::accepted_at.eq(Some(bj(accepted, 10))),
                evaluations::updated_at.eq(bj(accepted, 10)),
            ))
            .execute(self.c)?;
        diesel::update(project_files::table.filter(project_files::evaluation_id.eq(Some(id))))
            .set(project_files::uploaded_at.eq(bj(submitted, 13)))
            .execute(self.c)?;
        let seq = if stage == Stage::Final { 3 } else { 2 };
        diesel::update(
            tranches::table
                .filter(tranches::project_id.eq(p.id))
                .filter(tranches::seq.eq(seq))
                .filter(tranches::released_at.is_not_null()),
        )
        .set(tranches::released_at.eq(Some(bj(accepted, 10))))
        .execute(self.c)?;
        diesel::update(org_bars::table.filter(org_bars::org_id.eq(self.ngos[p.org].org_id)))
            .set(org_bars::created_at.eq(bj(accepted, 10)))
            .execute(self.c)?;
        Ok(Some(accepted))
    }

    /// The evaluator's call-back sample (抽样回访) of evaluation `id`: the project's first
    /// filed report gets a roster of `people` beneficiaries with (sealed) phone numbers, the
    /// evaluator draws the sample and records every call, which feeds the filing's verified
    /// figures and satisfaction. A `weak` sample confirms too few: the officer is flagged.
    fn call_back(
        &mut self,
        p: &Proj,
        ev: &Actor,
        id: i64,
        people: i64,
        weak: bool,
    ) -> anyhow::Result<()> {
        use schema::{reports, roster_entries as r};
        const SURNAMES: [&str; 12] = [
            "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
        ];
        const GIVEN: [&str; 12] = [
            "秀英", "桂兰", "建国", "玉珍", "德明", "淑芬", "国华", "凤英", "文斌", "素梅", "志强",
            "丽华",
        ];
        let report: Option<i64> = reports::table
            .filter(reports::project_id.eq(p.id))
            .filter(reports::status.ne("draft"))
            .order(reports::id)
            .select(reports::id)
            .first(self.c)
            .optional()?;
        let Some(report) = report else {
            return Ok(());
        };
        let existing: i64 = r::table
            .filter(r::project_id.eq(p.id))
            .count()
            .get_result(self.c)?;
        if existing == 0 {
            let key = yichuang::pii::PiiKey::new(self.s.pii_key.expose());
            let group = CATS[p.cat].group;
            let first = p.start + Duration::days(20);
            for i in 0..people.max(12) {
                let k = i as usize;
                let name = format!("{}{}", SURNAMES[k % 12], GIVEN[(k * 7 + k / 12) % 12]);
                let phone = format!(
                    "1{}{:09}",
                    [3, 5, 8][k % 3],
                    (p.id * 7_919 + i * 104_729) % 1_000_000_000
                );
                let sealed = key
                    .protect(yichuang::pii::IdKind::Phone, &phone)
                    .map_err(|e| anyhow!("demo: roster phone {phone}: {}", e.key()))?;
                diesel::insert_into(r::table)
                    .values((
                        r::project_id.eq(p.id),
                        r::report_id.eq(report),
                        r::seq.eq(i as i32 + 1),
                        r::grp.eq(group),
                        r::name.eq(&name),
                        r::id_kind.eq(Some(sealed.kind.as_str())),
                        r::id_cipher.eq(Some(&sealed.cipher)),
                        r::id_hash.eq(Some(&sealed.hash)),
                        r::id_masked.eq(Some(&sealed.masked)),
                        r::first_served.eq(first + Duration::days(i % 30)),
                        r::person_times.eq(2 + (i % 5) as i32),
                        r::created_at.eq(db::now()),
                    ))
                    .execute(self.c)?;
            }
        }
        ops::sampling::draw(self.c, ev, id).step("draw a call-back sample")?;
        let sample = db::samples::of_evaluation(self.c, id)?
            .ok_or_else(|| anyhow!("demo: the sample was not kept"))?;
        let answers: Vec<ops::sampling::AnswerInput> = db::samples::persons(self.c, sample.id)?
            .iter()
            .enumerate()
            .map(|(i, person)| {
                let reached = i % 8 != 5;
                let confirmed = if weak { i % 3 != 0 } else { i % 11 != 4 };
                ops::sampling::AnswerInput {
                    person_id: person.id,
                    reached: Some(reached),
                    confirmed: reached.then_some(confirmed),
                    satisfaction: (reached && confirmed)
                        .then_some([5, 4, 5, 5, 3, 4, 5, 4, 2, 5][i % 10]),
                }
            })
            .collect();
        ops::sampling::record(self.c, ev, id, &answers).step("record the call-backs")?;
        Ok(())
    }

    /// The supervisor visits a project: `recorded`, today, with one finding to rectify by a
    /// working day ten days on (it holds the next tranche) and one without; otherwise a visit
    /// scheduled a week on, in the supervisor's work queue.
    fn visit(&mut self, p: &Proj, recorded: bool) -> anyhow::Result<()> {
        use yichuang::domain::visit::{CheckInput, FindingInput, RecordInput};
        let officer = self.officer();
        let supervisor = self
            .supervisor
            .clone()
            .ok_or_else(|| anyhow!("demo: no supervisor"))?;
        let on = if recorded { self.today } else { self.day(7) };
        let id = ops::visits::schedule(
            self.c,
            self.s,
            &officer,
            p.id,
            &ops::visits::ScheduleInput {
                scheduled_on: on.to_string(),
                visitor_id: Some(supervisor.id),
            },
        )
        .step("schedule a visit")?;
        if !recorded {
            return Ok(());
        }
        let cal = yichuang::db::calendar::load(self.c).step("calendar")?;
        let mut by = self.day(10);
        while !cal.is_working_day(by) {
            by += Duration::days(1);
        }
        let check = |item: &str, result: &str, note: &str| CheckInput {
            item: item.into(),
            result: result.into(),
            note: note.into(),
        };
        ops::visits::record(
            self.c,
            self.s,
            &supervisor,
            id,
            &RecordInput {
                visited_on: on.to_string(),
                checklist: vec![
                    check("activity_records", "compliant", ""),
                    check("sign_in_sheets", "partial", "第二次活动的签到表缺 6 人签名"),
                    check(
                        "financial_vouchers",
                        "non_compliant",
                        "两张餐费发票无活动对应记录",
                    ),
                    check("publicity", "compliant", ""),
                    check("safety", "not_applicable", ""),
                ],
                rating: "fair".into(),
                summary: "活动开展基本按计划进行，财务凭证管理需加强。".into(),
                findings: vec![
                    FindingInput {
                        text: "两张餐费发票（合计 860 元）无对应活动记录，请补充说明或退回".into(),
                        rectify_by: by.to_string(),
                    },
                    FindingInput {
                        text: "建议在社区公告栏补充张贴项目宣传海报".into(),
                        rectify_by: String::new(),
                    },
                ],
            },
        )
        .step("record a visit")?;
        ops::visits::upload_photo(self.c, &supervisor, id, "活动现场.png", &demo_png())
            .step("visit photo")?;
        Ok(())
    }

    fn execute(&mut self, projects: &[(Proj, Role3)]) -> anyhow::Result<()> {
        for (p, role) in projects {
            if *role == Role3::Other {
                continue;
            }
            self.story.push((p.org, *role));
            self.sign(p)?;
            self.pay(p, 1, &[(100, p.start + Duration::days(8))])?;
            self.report(p, 0, ReportEnd::Accepted)?;
            self.report(p, 1, ReportEnd::Accepted)?;
            match role {
                Role3::Completed => {
                    let mid = self.evaluate(p, Stage::Midterm, 88, 0, EvalEnd::Accepted)?;
                    if let Some(d) = mid {
                        self.pay(p, 2, &[(100, d + Duration::days(6))])?;
                    }
                    self.report(p, 2, ReportEnd::Accepted)?;
                    let fin = self.evaluate(p, Stage::Final, 94, 0, EvalEnd::Accepted)?;
                    if let Some(d) = fin {
                        self.pay(p, 3, &[(100, (d + Duration::days(6)).min(self.today))])?;
                    }
                }
                Role3::Rectifying => {
                    self.evaluate(p, Stage::Midterm, 55, 1, EvalEnd::Accepted)?;
                }
                Role3::Barred => {
                    let mid = self.evaluate(p, Stage::Midterm, 72, 1, EvalEnd::Accepted)?;
                    if let Some(d) = mid {
                        self.pay(p, 2, &[(100, d + Duration::days(6))])?;
                    }
                    self.report(p, 2, ReportEnd::Accepted)?;
                    self.evaluate(p, Stage::Final, 52, 1, EvalEnd::Accepted)?;
                }
                Role3::Other => {}
            }
        }
        let others: Vec<&Proj> = projects
            .iter()
            .filter(|(_, r)| *r == Role3::Other)
            .map(|(p, _)| p)
            .collect();
        let n = others.len();
        const MIDTERMS: [i32; 5] = [91, 85, 80, 78, 83];
        for (j, p) in others.into_iter().enumerate() {
            // The last two have not signed their agreement yet.
            if j + 2 >= n {
                continue;
            }
            self.sign(p)?;
            // The first two carry rosters, sharing three people.
            if j < 2 {
                self.roster_projects.push(p.id);
            }
            if j == 0 {
                self.pay(
                    p,
                    1,
                    &[
                        (60, p.start + Duration::days(8)),
                        (40, p.start + Duration::days(30)),
                    ],
                )?;
            } else {
                self.pay(p, 1, &[(100, p.start + Duration::days(8 + j as i64 % 5))])?;
            }
            let first = if j == 1 {
                ReportEnd::ReturnedThenAccepted
            } else {
                ReportEnd::Accepted
            };
            self.report(p, 0, first)?;
            let second = match j {
                0..=9 => ReportEnd::Accepted,
                10 | 11 => ReportEnd::Submitted,
                12 => ReportEnd::Draft,
                _ => continue,
            };
            self.report(p, 1, second)?;
            match j {
                0..=4 => {
                    let d = self.evaluate(p, Stage::Midterm, MIDTERMS[j], j, EvalEnd::Accepted)?;
                    if let (Some(d), true) = (d, j < 3) {
                        self.pay(p, 2, &[(100, d + Duration::days(6))])?;
                    }
                    // A supervision visit found what must be fixed: its open rectification
                    // holds the second tranche until the officer closes it.
                    if j == 3 {
                        self.visit(p, true)?;
                    }
                    if j == 4 {
                        self.visit(p, false)?;
                    }
                }
                5 => {
                    self.evaluate(p, Stage::Midterm, 76, j, EvalEnd::Submitted)?;
                }
                6 => {
                    self.evaluate(p, Stage::Midterm, 0, j, EvalEnd::Assigned)?;
                }
                _ => {}
            }
            if j == 3 {
                self.changes(p)?;
            }
        }
        Ok(())
    }

    /// A project's change requests (项目变更): an extension the officer approved, with its
    /// supplement agreement (补充协议), and a budget reallocation he refused.
    fn changes(&mut self, p: &Proj) -> anyhow::Result<()> {
        use ops::changes::{ChangeFields, ChangeInput, DecisionInput};
        let officer = self.officer();
        let member = self.ngos[p.org].member.clone();
        let (_, plan) = db::changes::plan(self.c, p.id)?;
        let end = plan.end_date.unwrap_or(p.end);
        let ext = ops::changes::file(
            self.c,
            self.s,
            &member,
            p.id,
            &ChangeInput {
                kind: "extension".into(),
                reason: "受场地改造影响，第三季度活动暂停两个月，申请项目结束日期顺延 60 天。"
                    .into(),
                fields: ChangeFields {
                    end_date: (end + Duration::days(60)).to_string(),
                    ..ChangeFields::default()
                },
            },
        )
        .step("file an extension")?;
        ops::changes::decide(
            self.c,
            self.s,
            &officer,
            ext,
            &DecisionInput {
                outcome: "approve".into(),
                reason: "情况属实，同意顺延。".into(),
                fields: ChangeFields::default(),
            },
        )
        .step("approve the extension")?;
        // Half of the personnel line moved to activities: more than the round lets move
        // without approval.
        let grant = |c: BudgetCategory| {
            plan.budget
                .iter()
                .position(|l| l.category == c && l.source == FundingSource::Grant)
        };
        if let (Some(from), Some(to)) = (
            grant(BudgetCategory::Personnel),
            grant(BudgetCategory::Activity),
        ) {
            let moved = Fen(plan.budget[from].amount.0 / 2 / 100 * 100);
            let budget = plan
                .budget
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let a = if i == from {
                        Fen(l.amount.0 - moved.0)
                    } else if i == to {
                        Fen(l.amount.0 + moved.0)
                    } else {
                        l.amount
                    };
                    a.yuan_input()
                })
                .collect();
            let refused = ops::changes::file(
                self.c,
                self.s,
                &member,
                p.id,
                &ChangeInput {
                    kind: "budget".into(),
                    reason: "社工补贴结余，拟调入活动物料。".into(),
                    fields: ChangeFields {
                        budget,
                        ..ChangeFields::default()
                    },
                },
            )
            .step("file a budget change")?;
            ops::changes::decide(
                self.c,
                self.s,
                &officer,
                refused,
                &DecisionInput {
                    outcome: "refuse".into(),
                    reason: "人员经费是服务质量的保障，调减幅度过大，不予批准。".into(),
                    fields: ChangeFields::default(),
                },
            )
            .step("refuse the budget change")?;
        }
        Ok(())
    }

    // ----- the current round ------------------------------------------------------------

    fn second_round(&mut self) -> anyhow::Result<()> {
        let year = self.today.year();
        let mut core = round_core(format!("{year}年度姑苏区公益创投大赛"), year, 100, 8);
        core.closes_at = Some(db::now() + Duration::days(40));
        core.review_due = Some(db::now() + Duration::days(70));
        let round = self.open_round(&core)?;
        let start = self.day(55);
        let barred: Vec<usize> = self
            .story
            .iter()
            .filter(|(_, r)| *r == Role3::Barred)
            .map(|(o, _)| *o)
            .collect();
        for (i, (o, cat, title, grant, submit)) in ROUND2.iter().enumerate() {
            if barred.contains(o) {
                // Barred from the bureau's rounds after its failed final evaluation.
                continue;
            }
            let mut content = proposal_content(*o, *cat, title, *grant, start, 100 + i);
            if !submit && i % 2 == 1 {
                // Just begun: a title and a summary.
                content = ProposalContent {
                    category: content.category,
                    title: content.title,
                    summary: content.summary,
                    ..Default::default()
                };
            }
            let id = self.apply(round, *o, &content, *submit)?;
            let created = bj(self.day(-4 + i as i64 % 3), 10) + Duration::hours(i as i64);
            use schema::proposals;
            diesel::update(proposals::table.find(id))
                .set(proposals::created_at.eq(created))
                .execute(self.c)?;
            if *submit {
                diesel::update(proposals::table.find(id))
                    .set(
                        proposals::submitted_at
                            .eq(Some(bj(self.day(-1), 9) + Duration::hours(i as i64))),
                    )
                    .execute(self.c)?;
            }
        }
        // The completed 优秀 project renews by fast track: a draft pre-filled from it.
        if let Some(o) = self
            .story
            .iter()
            .find(|(_, r)| *r == Role3::Completed)
            .map(|(o, _)| *o)
        {
            let member = self.ngos[o].member.clone();
            let org_id = member.org_id.expect("a member of the org");
            use schema::projects;
            let project: i64 = projects::table
                .filter(projects::org_id.eq(org_id))
                .filter(projects::status.eq("completed"))
                .select(projects::id)
                .first(self.c)?;
            ops::renewal::start(self.c, &member, project, round).step("start a renewal")?;
        }
        use schema::rounds;
        let opens = bj(self.day(-5), 9);
        diesel::update(rounds::table.find(round))
            .set((
                rounds::opens_at.eq(Some(opens)),
                rounds::closes_at.eq(Some(bj(self.day(40), 17))),
                rounds::review_due.eq(Some(bj(self.day(70), 17))),
                rounds::published_at.eq(Some(opens)),
                rounds::created_at.eq(opens - Duration::days(4)),
                rounds::updated_at.eq(opens),
            ))
            .execute(self.c)?;
        Ok(())
    }

    /// People and organizations were registered before last year's round opened.
    fn backdate_registrations(&mut self) -> anyhow::Result<()> {
        use schema::{bureaus, org_documents, organizations, reviewer_profiles, users as u};
        let first = self.day(R1_OPENS - 60);
        diesel::update(bureaus::table)
            .set(bureaus::created_at.eq(bj(first - Duration::days(5), 9)))
            .execute(self.c)?;
        let staff: Vec<i64> = u::table
            .filter(u::org_id.is_null())
            .select(u::id)
            .load(self.c)?;
        for id in staff {
            let at = bj(first - Duration::days(3), 10) + Duration::minutes(id * 7);
            diesel::update(u::table.find(id))
                .set((
                    u::created_at.eq(at),
                    u::updated_at.eq(at),
                    u::email_verified_at.eq(Some(at)),
                ))
                .execute(self.c)?;
        }
        diesel::update(reviewer_profiles::table)
            .set(reviewer_profiles::updated_at.eq(bj(first, 15)))
            .execute(self.c)?;
        let orgs: Vec<(i64, String)> = organizations::table
            .select((organizations::id, organizations::status))
            .order(organizations::id)
            .load(self.c)?;
        for (n, (id, status)) in orgs.into_iter().enumerate() {
            let at = if status == "pending" {
                bj(self.day(-2), 14)
            } else {
                bj(first + Duration::days(n as i64), 10)
            };
            diesel::update(organizations::table.find(id))
                .set((
                    organizations::created_at.eq(at),
                    organizations::updated_at.eq(at + Duration::days(1)),
                    organizations::verified_at
                        .eq((status == "verified")
                            .then(|| at + Duration::days(1) + Duration::hours(3))),
                ))
                .execute(self.c)?;
            diesel::update(org_documents::table.filter(org_documents::org_id.eq(id)))
                .set(org_documents::uploaded_at.eq(at + Duration::hours(1)))
                .execute(self.c)?;
            diesel::update(u::table.filter(u::org_id.eq(Some(id))))
                .set((
                    u::created_at.eq(at - Duration::hours(2)),
                    u::updated_at.eq(at - Duration::hours(2)),
                    u::email_verified_at.eq(Some(at - Duration::hours(2))),
                ))
                .execute(self.c)?;
        }
        Ok(())
    }
}

/// The part a first-round project plays in the demo.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role3 {
    /// Passes the mid-term and the final (优秀): completed, renewal by fast track.
    Completed,
    /// Fails the mid-term: rectification, the second tranche withheld.
    Rectifying,
    /// Fails the final: the last tranche withheld, the organization barred.
    Barred,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;
    use yichuang::config::Secret;

    fn count(c: &mut DbConn, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(sql)
            .get_result::<N>(c)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    }

    #[test]
    fn the_demo_password_passes_the_rules() {
        for (email, name) in [
            ("admin@yichuang.example", "系统管理员"),
            ("officer@gusu.example", "张敏"),
            ("ngo01@ngo.example", "李娜"),
            ("expert1@review.example", "王立新"),
            ("eval1@agency.example", "陈静"),
            ("supervisor@gusu.example", "李华"),
        ] {
            assert!(
                yichuang::domain::account::check_password(DEMO_PASSWORD, &[email, name]).is_ok(),
                "{email}"
            );
        }
    }

    #[test]
    fn demo_codes_and_documents_are_valid() {
        for (i, o) in ORGS.iter().enumerate() {
            let code = ngo_uscc(o.reg, 5_100_000 + i as u32 * 48_271);
            assert!(
                yichuang::domain::uscc::Uscc::parse(&code).is_ok(),
                "{code} of {}",
                o.name
            );
        }
        assert_eq!(
            yichuang::ops::orgs::sniff_document(&demo_pdf("x")),
            Some("application/pdf")
        );
        let s = split_scores(835, &[200, 250, 200, 150, 100, 100], 7);
        assert_eq!(s.iter().sum::<i32>(), 835);
        assert!(s.iter().all(|v| v % 5 == 0));
    }

    #[test]
    fn demo_seeds_the_whole_lifecycle_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("demo.db").to_string_lossy().to_string();
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            database_url: Secret::new(url.clone()),
            base_url: "http://localhost:8080".into(),
            jwt_secret: Secret::new("demo-test-secret-demo-test-secret-0123"),
            ..Settings::default()
        };
        let pool = db::build_pool(&url, 2).unwrap();
        let mut conn = pool.get().unwrap();
        db::run_migrations(&mut conn).unwrap();
        let key = db::audit::AuditKey::new("demo-audit-key-demo-audit-key-0123");
        db::audit::open_chain(&mut conn, &key).unwrap();
        let summary = seed(&mut conn, &settings).unwrap();
        let c = &mut conn;

        assert!(summary.organizations >= 30, "{}", summary.organizations);
        assert!(
            count(c, "SELECT COUNT(*) AS n FROM organizations WHERE kind = 'ngo' AND status = 'verified'") >= 30
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM organizations WHERE kind = 'agency'"
            ),
            2
        );
        assert!(count(c, "SELECT COUNT(*) AS n FROM proposals") >= 40);
        assert!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM proposals WHERE status = 'draft'"
            ) >= 2
        );
        let projects = count(c, "SELECT COUNT(*) AS n FROM projects");
        assert!(projects > 0 && projects == summary.projects);
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM projects WHERE status = 'completed'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM projects WHERE status = 'rectifying'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM projects WHERE status = 'failed'"
            ),
            1
        );
        assert_eq!(
            count(c, "SELECT COUNT(DISTINCT org_id) AS n FROM org_bars"),
            1
        );
        assert_eq!(
            count(c, "SELECT COUNT(*) AS n FROM projects WHERE status = 'completed' AND final_grade = '优秀' AND renewal = 'fast_track'"),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM proposals WHERE renewal_track = 'fast_track'"
            ),
            1,
            "the completed project's renewal is drafted"
        );
        // Reviews: five submitted per ranked proposal, one declined, one objection each way.
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM reviews WHERE status = 'declined_conflict'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM reviews WHERE status = 'submitted'"
            ),
            5 * count(c, "SELECT COUNT(*) AS n FROM awards")
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM objections WHERE status = 'upheld'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM objections WHERE status = 'rejected'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM decision_entries WHERE reduced_fen IS NOT NULL"
            ),
            1
        );
        // Execution: reports (one was returned and fixed), payments, evaluations.
        assert!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM reports WHERE status = 'accepted'"
            ) > 10
        );
        assert!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM reports WHERE status = 'submitted'"
            ) >= 1
        );
        assert!(count(c, "SELECT COUNT(*) AS n FROM payments") > 10);
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM evaluations WHERE status = 'assigned'"
            ),
            1
        );
        // Call-back samples: one on an accepted mid-term (its estimates in the filing and the
        // summary), one below the threshold on the submitted one (the officer's flag).
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM samples"), 2);
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM samples s JOIN evaluations e ON e.id = s.evaluation_id \
                 WHERE s.flagged_at IS NOT NULL AND e.status = 'submitted'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM sample_persons WHERE reached IS NULL"
            ),
            0
        );
        // Evaluation summaries, like the other documents, are dropped at the end of the
        // seeding and issued from the moved dates at their first download.
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM documents WHERE evaluation_id IS NOT NULL"
            ),
            0
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM evaluations WHERE status = 'submitted'"
            ),
            1
        );
        // Nothing in the story happens in the future, and the rounds are where they belong.
        let today = db::today();
        assert_eq!(
            count(
                c,
                &format!("SELECT COUNT(*) AS n FROM payments WHERE paid_on > '{today}'")
            ),
            0
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM rounds WHERE status = 'awarded'"
            ),
            1
        );
        assert_eq!(
            count(c, "SELECT COUNT(*) AS n FROM rounds WHERE status = 'open'"),
            1
        );
        // A supervision visit's open rectification holds a releasable tranche; another visit
        // waits in the supervisor's queue.
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM visits WHERE status = 'recorded'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM visits WHERE status = 'scheduled'"
            ),
            1
        );
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM visit_findings f JOIN tranches t ON t.project_id = f.project_id \
                 WHERE f.rectify_by IS NOT NULL AND f.status = 'open' AND t.status = 'releasable'"
            ),
            1
        );
        // Demo accounts sign in with the demo password straight away.
        let user = users::find_by_email(c, "ngo01@ngo.example")
            .unwrap()
            .unwrap();
        assert!(
            !user.must_change_password
                && user.status == yichuang::domain::account::UserStatus::Active
        );
        assert!(yichuang::auth::verify_password(
            DEMO_PASSWORD,
            user.password_hash.as_deref().unwrap()
        ));
        assert_eq!(
            count(
                c,
                "SELECT COUNT(*) AS n FROM users WHERE must_change_password"
            ),
            0
        );
        // The audit chain is intact, and a second run refuses.
        let v = db::audit::verify(c, &key).unwrap();
        assert!(v.first_broken.is_none(), "{:?}", v.first_broken);
        let again = seed(c, &settings).unwrap_err().to_string();
        assert!(again.contains("already holds data"), "{again}");
    }
}
