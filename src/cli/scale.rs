//! `yichuang demo --size city|province`: the district demo grown to the volume of a city or
//! a province, to measure the pages against (`scripts/bench`).
//!
//! The extra rows go through the same `db` functions the `ops` call (the same validation of
//! registrations, the same numbering of proposals and agreements, the same review states),
//! many rows to a transaction, and without the emails a person's action would send: a
//! measurement database must not queue a hundred thousand messages. The rounds themselves
//! are created and published by `ops`, before the extra organizations exist, so their
//! announcements reach only the district's organizations.

use std::time::Instant;

use anyhow::{anyhow, bail};
use chrono::{Datelike, Duration, Months, NaiveDate};

use yichuang::auth::policy::Actor;
use yichuang::config::Settings;
use yichuang::db::audit::{self, Change};
use yichuang::db::projects::{NewProject, NewReport};
use yichuang::db::{self, orgs, projects, proposals, reviews, rounds, users, DbConn};
use yichuang::domain::account::{Role, UserStatus};
use yichuang::domain::assignment::ReviewStatus;
use yichuang::domain::money::split_tranches;
use yichuang::domain::org::{self as org_rules, OrgKind, OrgStatus};
use yichuang::domain::proposal::{self as proposal_rules, ProposalContent, ProposalStatus};
use yichuang::domain::report::{ReportKind, ReportStatus};
use yichuang::domain::round::{RoundRules, RoundStatus};
use yichuang::error::AppError;
use yichuang::ops;

use super::demo::{
    describe, ngo_uscc, proposal_content, registration, report_content, review_content, round_core,
    DEMO_PASSWORD, ORGS, REPORT_NARRATIVES, ROUND1,
};

/// Rows written per transaction.
const BATCH: usize = 500;

/// Experts added to review the extra proposals.
const REVIEWERS: usize = 40;

/// How much is added on top of the district demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub orgs: usize,
    /// Rounds; all but the last are awarded (their proposals become the projects), the last
    /// has finished its review and waits for the decision.
    pub rounds: usize,
    /// Submitted proposals, spread evenly over the rounds.
    pub proposals: usize,
    /// Submitted reviews per proposal.
    pub reviews_per_proposal: usize,
    pub projects: usize,
    /// Monthly reports, spread evenly over the projects.
    pub reports: usize,
}

impl Scale {
    /// One city round: 2,000 proposals × 5 reviews from 400 organizations.
    pub const CITY: Scale = Scale {
        orgs: 400,
        rounds: 1,
        proposals: 2_000,
        reviews_per_proposal: 5,
        projects: 0,
        reports: 0,
    };
    /// Five provincial rounds: 20,000 proposals, 100,000 reviews, 8,000 projects with
    /// 100,000 reports from 5,000 organizations.
    pub const PROVINCE: Scale = Scale {
        orgs: 5_000,
        rounds: 5,
        proposals: 20_000,
        reviews_per_proposal: 5,
        projects: 8_000,
        reports: 100_000,
    };

    /// `district` (nothing added), `city` or `province`.
    pub fn of_size(size: &str) -> anyhow::Result<Option<Scale>> {
        match size {
            "district" => Ok(None),
            "city" => Ok(Some(Scale::CITY)),
            "province" => Ok(Some(Scale::PROVINCE)),
            other => bail!("--size must be district, city or province, not {other:?}"),
        }
    }

    /// `orgs,rounds,proposals,reviews-per-proposal,projects,reports`, e.g. `12,2,20,3,4,9`.
    pub fn parse(s: &str) -> anyhow::Result<Scale> {
        let n: Vec<usize> = s
            .split(',')
            .map(|x| x.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow!("--scale {s:?}: {e}"))?;
        let [orgs, rounds, proposals, reviews_per_proposal, projects, reports] = n[..] else {
            bail!("--scale takes six numbers: orgs,rounds,proposals,reviews,projects,reports");
        };
        let scale = Scale {
            orgs,
            rounds,
            proposals,
            reviews_per_proposal,
            projects,
            reports,
        };
        scale.check()?;
        Ok(scale)
    }

    /// The proposals of round `r`.
    fn in_round(&self, r: usize) -> usize {
        let even = self.proposals / self.rounds;
        if r + 1 == self.rounds {
            self.proposals - even * (self.rounds - 1)
        } else {
            even
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.proposals > 0 && (self.orgs == 0 || self.rounds == 0) {
            bail!("proposals need organizations and rounds");
        }
        if self.reviews_per_proposal > REVIEWERS {
            bail!("at most {REVIEWERS} reviews per proposal");
        }
        let awarded: usize = (0..self.rounds.saturating_sub(1))
            .map(|r| self.in_round(r))
            .sum();
        if self.projects > awarded {
            bail!(
                "{} projects need as many proposals in the rounds before the last ({awarded})",
                self.projects
            );
        }
        if self.reports > 0 && self.projects == 0 {
            bail!("reports need projects");
        }
        Ok(())
    }
}

/// A proposal added: its id, organization, and what made its content.
struct Added {
    id: i64,
    org_id: i64,
    member: i64,
    spec: usize,
    content: ProposalContent,
}

/// Adds `scale` to a database the district demo has just filled.
pub fn grow(c: &mut DbConn, s: &Settings, scale: &Scale) -> anyhow::Result<()> {
    scale.check()?;
    let started = Instant::now();
    let today = db::today();
    let officer = users::find_by_email(c, "officer@gusu.example")
        .map_err(fail)?
        .ok_or_else(|| anyhow!("the district demo comes first"))?
        .actor();
    let hash = yichuang::auth::hash_password(DEMO_PASSWORD)?;
    let rounds = open_rounds(c, s, &officer, scale, today)?;
    let members = organizations(c, &hash, scale.orgs, today)?;
    let experts = reviewers(c, &hash)?;
    let mut added: Vec<Vec<Added>> = Vec::new();
    let mut g = 0;
    for (r, &(round, year)) in rounds.iter().enumerate() {
        let n = scale.in_round(r);
        let list = submit(c, round, year, &members, g, n, today)?;
        g += n;
        review(
            c,
            round,
            &officer,
            &list,
            &experts,
            scale.reviews_per_proposal,
        )?;
        added.push(list);
    }
    // The review ends: the last round waits for the decision, the others are awarded.
    for (r, &(round, _)) in rounds.iter().enumerate() {
        if r + 1 == rounds.len() {
            ops::award::close_review(c, &officer, round).map_err(fail)?;
        } else {
            db::write_tx(c, |c| {
                use RoundStatus::*;
                for (from, to) in [(Reviewing, Deciding), (Deciding, Notice), (Notice, Awarded)] {
                    rounds::transition(c, round, from, to)?;
                }
                Ok(())
            })
            .map_err(fail)?;
        }
    }
    let funded: Vec<(i64, i32, &Added)> = rounds
        .iter()
        .zip(&added)
        .take(rounds.len().saturating_sub(1))
        .flat_map(|(&(round, year), list)| list.iter().map(move |a| (round, year, a)))
        .take(scale.projects)
        .collect();
    let created = fund(c, &funded, today)?;
    report(c, &created, scale.reports, officer.id, today)?;
    db::write_tx(c, |c| {
        audit::append(
            c,
            Change::new(
                Some(&officer),
                "demo.scaled",
                "bureau",
                officer.bureau_id.unwrap_or(0),
            )
            .reason("reason.demo_scale")
            .after(serde_json::json!({
                "organizations": scale.orgs,
                "rounds": scale.rounds,
                "proposals": scale.proposals,
                "reviews_per_proposal": scale.reviews_per_proposal,
                "projects": scale.projects,
                "reports": scale.reports,
            })),
        )
    })
    .map_err(fail)?;
    println!(
        "  scaled up in {:.1} s: +{} organizations, +{} proposals, +{} reviews, +{} projects, +{} reports",
        started.elapsed().as_secs_f64(),
        scale.orgs,
        scale.proposals,
        scale.proposals * scale.reviews_per_proposal,
        scale.projects,
        scale.reports
    );
    Ok(())
}

fn fail(e: AppError) -> anyhow::Error {
    anyhow!("demo --size: {}", describe(&e))
}

/// Runs `f` on every item, `BATCH` items to a transaction.
fn batched<T, R>(
    c: &mut DbConn,
    items: &[T],
    mut f: impl FnMut(&mut DbConn, usize, &T) -> Result<R, AppError>,
) -> anyhow::Result<Vec<R>> {
    let mut out = Vec::with_capacity(items.len());
    for (k, chunk) in items.chunks(BATCH).enumerate() {
        let done = db::write_tx(c, |c| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, x)| f(c, k * BATCH + i, x))
                .collect::<Result<Vec<R>, AppError>>()
        })
        .map_err(fail)?;
        out.extend(done);
    }
    Ok(out)
}

/// Creates and publishes the rounds (through `ops`), one per year back from this one.
fn open_rounds(
    c: &mut DbConn,
    s: &Settings,
    officer: &Actor,
    scale: &Scale,
    today: NaiveDate,
) -> anyhow::Result<Vec<(i64, i32)>> {
    let mut out = Vec::new();
    for r in 0..scale.rounds {
        let year = today.year() - (scale.rounds - r) as i32;
        let core = round_core(
            format!("{year}年度全市公益创投大赛（第{}批）", r + 1),
            year,
            10_000,
            10,
        );
        let id = ops::rounds::create(c, officer, &core, &RoundRules::default()).map_err(fail)?;
        ops::rounds::publish(c, s, officer, id).map_err(fail)?;
        db::write_tx(c, |c| {
            rounds::transition(c, id, RoundStatus::Open, RoundStatus::Screening)?;
            rounds::transition(c, id, RoundStatus::Screening, RoundStatus::Reviewing)
        })
        .map_err(fail)?;
        out.push((id, year));
    }
    Ok(out)
}

/// Verified organizations, each with a member who signs in with the demo password:
/// (organization, member).
fn organizations(
    c: &mut DbConn,
    hash: &str,
    n: usize,
    today: NaiveDate,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let at = db::now();
    let indexes: Vec<usize> = (0..n).collect();
    batched(c, &indexes, |c, _, &i| {
        let spec = &ORGS[i % ORGS.len()];
        let mut input = registration(
            today,
            i % ORGS.len(),
            spec,
            ngo_uscc(spec.reg, 8_000_000 + i as u32),
        );
        input.name = format!("{}（{}）", spec.name, i + 1);
        input.bank_account_name = input.name.clone();
        input.contact_email = format!("contact-{:05}@ngo.example", i + 1);
        let valid =
            org_rules::validate(OrgKind::Ngo, &input, today).map_err(AppError::Validation)?;
        let email = format!("ngo-{:05}@ngo.example", i + 1);
        let member = users::insert(
            c,
            &users::NewUser {
                email: &email,
                name: spec.contact,
                role: Role::Ngo.as_str(),
                password_hash: Some(hash),
                status: UserStatus::Active.as_str(),
                email_verified_at: Some(at),
                token_version: 0,
                must_change_password: false,
                locale: "zh-CN",
                org_id: None,
                bureau_id: None,
                created_at: at,
                updated_at: at,
            },
        )?;
        let org = orgs::insert(c, OrgKind::Ngo, &valid)?;
        orgs::set_status(c, org, OrgStatus::Verified, None)?;
        users::set_org(c, member, org)?;
        Ok((org, member))
    })
}

/// Experts for the extra proposals.
fn reviewers(c: &mut DbConn, hash: &str) -> anyhow::Result<Vec<i64>> {
    let at = db::now();
    let indexes: Vec<usize> = (0..REVIEWERS).collect();
    batched(c, &indexes, |c, _, &i| {
        let email = format!("expert-{:02}@review.example", i + 1);
        let name = format!("评审专家{:02}", i + 1);
        let id = users::insert(
            c,
            &users::NewUser {
                email: &email,
                name: &name,
                role: Role::Reviewer.as_str(),
                password_hash: Some(hash),
                status: UserStatus::Active.as_str(),
                email_verified_at: Some(at),
                token_version: 0,
                must_change_password: false,
                locale: "zh-CN",
                org_id: None,
                bureau_id: None,
                created_at: at,
                updated_at: at,
            },
        )?;
        reviews::save_profile(
            c,
            id,
            &reviews::Profile {
                expertise: vec!["社区治理".into(), "为老服务".into()],
                affiliations: Vec::new(),
            },
        )?;
        Ok(id)
    })
}

/// `n` proposals to `round`, filled, submitted and found eligible; `first` numbers them
/// across rounds.
fn submit(
    c: &mut DbConn,
    round: i64,
    year: i32,
    members: &[(i64, i64)],
    first: usize,
    n: usize,
    today: NaiveDate,
) -> anyhow::Result<Vec<Added>> {
    let start = today - Duration::days(200);
    let indexes: Vec<usize> = (first..first + n).collect();
    batched(c, &indexes, |c, _, &g| {
        let (org_id, member) = members[g % members.len()];
        let spec = g % ROUND1.len();
        let (o, cat, title, grant, _) = ROUND1[spec];
        let content = proposal_content(o, cat, title, grant, start, g);
        let id = proposals::insert_draft(c, round, org_id, member)?;
        proposals::save_content(c, id, 1, &content)?;
        let number = proposal_rules::number(year, proposals::next_number(c, year)?);
        proposals::mark_submitted(c, id, &number)?;
        proposals::set_screening(c, id, ProposalStatus::Eligible, None, None)?;
        Ok(Added {
            id,
            org_id,
            member,
            spec,
            content,
        })
    })
}

/// `per` submitted reviews of each proposal, by different experts.
fn review(
    c: &mut DbConn,
    round: i64,
    officer: &Actor,
    list: &[Added],
    experts: &[i64],
    per: usize,
) -> anyhow::Result<()> {
    if per == 0 {
        return Ok(());
    }
    let max: Vec<i32> = RoundRules::default()
        .review_criteria
        .iter()
        .map(|c| c.max_points * 10)
        .collect();
    let step = experts.len() / per;
    let pairs: Vec<(&Added, usize)> = list
        .iter()
        .flat_map(|a| (0..per).map(move |j| (a, j)))
        .collect();
    batched(c, &pairs, |c, k, &(a, j)| {
        let reviewer = experts[(a.id as usize + j * step) % experts.len()];
        let noise = ((a.id as usize * 37 + j * 61) % 17) as i32 * 5 - 40;
        let total = (ROUND1[a.spec].4 * 10 + noise).clamp(300, 985);
        let content = review_content(total, &max, k);
        let id = reviews::insert(c, round, a.id, reviewer, officer.id)?;
        reviews::transition(c, id, ReviewStatus::Assigned, ReviewStatus::Accepted, None)?;
        reviews::save_content(c, id, 2, &content)?;
        reviews::set_submitted(c, id, true)
    })?;
    Ok(())
}

/// Projects (with their tranches) of the funded proposals: (project, content, member).
fn fund<'a>(
    c: &mut DbConn,
    funded: &[(i64, i32, &'a Added)],
    today: NaiveDate,
) -> anyhow::Result<Vec<(i64, &'a Added)>> {
    let rules = RoundRules::default();
    let shares: Vec<i64> = rules.tranches.iter().map(|t| t.share_bp).collect();
    let starts_on = today - Duration::days(150);
    let ends_on = starts_on + Months::new(rules.project_months as u32);
    batched(c, funded, |c, _, &(round, year, a)| {
        let agreement_no =
            yichuang::domain::award::agreement_number(year, projects::next_agreement_seq(c, year)?);
        let grant = a.content.requested_grant;
        let id = projects::insert_project(
            c,
            &NewProject {
                round_id: round,
                proposal_id: a.id,
                org_id: a.org_id,
                agreement_no: &agreement_no,
                title: &a.content.title,
                category: &a.content.category,
                grant_fen: grant.0,
                starts_on,
                ends_on,
            },
        )?;
        for (i, (rule, amount)) in rules
            .tranches
            .iter()
            .zip(split_tranches(grant, &shares))
            .enumerate()
        {
            projects::insert_tranche(
                c,
                id,
                i as i32 + 1,
                rule.share_bp,
                rule.condition.as_str(),
                amount.0,
            )?;
        }
        Ok((id, a))
    })
}

/// `n` monthly reports spread over the projects: all accepted but each project's latest,
/// which is submitted.
fn report(
    c: &mut DbConn,
    projects_made: &[(i64, &Added)],
    n: usize,
    officer: i64,
    today: NaiveDate,
) -> anyhow::Result<()> {
    if n == 0 {
        return Ok(());
    }
    let starts_on = today - Duration::days(150);
    let count = projects_made.len();
    let items: Vec<(usize, usize)> = (0..n).map(|k| (k % count, k / count)).collect();
    batched(c, &items, |c, _, &(p, month)| {
        let (project, a) = projects_made[p];
        let start = starts_on + Months::new(month as u32);
        let end = start + Months::new(1) - Duration::days(1);
        let m = month % REPORT_NARRATIVES.len();
        let content = report_content(&a.content, ROUND1[a.spec].1, m, REPORT_NARRATIVES[m]);
        let id = projects::insert_report(
            c,
            &NewReport {
                project_id: project,
                kind: ReportKind::Monthly.as_str(),
                milestone_index: None,
                period_start: start,
                period_end: end,
                due_on: end + Duration::days(10),
                content: &content,
                created_by: a.member,
            },
        )?;
        projects::set_report_status(
            c,
            id,
            ReportStatus::Draft,
            ReportStatus::Submitted,
            a.member,
            None,
        )?;
        let last = n / count + usize::from(p < n % count) - 1;
        if month < last {
            projects::set_report_status(
                c,
                id,
                ReportStatus::Submitted,
                ReportStatus::Accepted,
                officer,
                None,
            )?;
        }
        Ok(())
    })?;
    Ok(())
}
