//! From the ranking to the award: closing the review, 核减 and moving the line, category
//! budgets, the public notice over the working-day calendar, objections pulling in the
//! waitlist, finalising into projects with PDFs, and every applicant's email.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;

use crate::dual;
use crate::helpers::{has_error, pdf_text, spawn, table_rows, text_of, Backend, TestApp};
use crate::proposals::{content, eligible_ngo};
use crate::reviews::close_round;
use crate::rounds::round_json;
use yichuang::domain::outbox::MailKind;

/// Criterion scores (tenths) of the default rubric (20/25/20/15/10/10) adding up to `total`
/// points, each on the 0.5 step.
pub fn scores_totalling(total: i32) -> Vec<i32> {
    let max = [200, 250, 200, 150, 100, 100];
    let mut s: Vec<i32> = max.iter().map(|m| m * total / 100 / 5 * 5).collect();
    let mut left = total * 10 - s.iter().sum::<i32>();
    for (i, m) in max.iter().enumerate() {
        let add = left.min(m - s[i]);
        s[i] += add;
        left -= add;
    }
    assert_eq!(left, 0);
    s
}

/// A round in review, every review submitted.
pub struct Ranked {
    pub officer: String,
    pub round: i64,
    /// In the order of `totals`.
    pub pids: Vec<i64>,
    pub members: Vec<String>,
    pub reviewers: Vec<String>,
}

/// A round of `budget_fen` with one 5万 proposal per total in `totals` (each from its own
/// NGO, `ngo{i}@example.org`), reviewed by `reviewers` experts who all give the proposal
/// that total, with the comment `意见{i}`.
pub async fn ranked_round(
    app: &TestApp,
    budget_fen: i64,
    totals: &[i32],
    reviewers: usize,
) -> Ranked {
    ranked_round_with(app, budget_fen, totals, reviewers, |_| {}).await
}

/// [`ranked_round`] with each proposal's content changed by `tweak` first.
pub async fn ranked_round_with(
    app: &TestApp,
    budget_fen: i64,
    totals: &[i32],
    reviewers: usize,
    tweak: impl Fn(&mut Value),
) -> Ranked {
    ranked_round_ruled(app, budget_fen, totals, reviewers, json!({}), tweak).await
}

/// [`ranked_round_with`] in a round with `rules` (a `RoundRules` object; what it leaves out
/// takes the default).
pub async fn ranked_round_ruled(
    app: &TestApp,
    budget_fen: i64,
    totals: &[i32],
    reviewers: usize,
    rules: Value,
    tweak: impl Fn(&mut Value),
) -> Ranked {
    let officer = app.officer().await;
    let mut r = round_json(app, "2027年姑苏区公益创投大赛");
    r["total_budget_fen"] = json!(budget_fen);
    if rules.as_object().is_some_and(|o| !o.is_empty()) {
        r["rules"] = rules;
    }
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let round = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/publish"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut pids = Vec::new();
    let mut members = Vec::new();
    for i in 0..totals.len() {
        let (member, _) = eligible_ngo(
            app,
            &officer,
            &format!("ngo{i}@example.org"),
            700 + i as u32,
        )
        .await;
        let (_, v) = app
            .post(
                &format!("/api/v1/calls/{round}/proposals"),
                Some(&member),
                json!({}),
            )
            .await;
        let pid = v["id"].as_i64().unwrap();
        let mut c = content(app);
        c["title"] = json!(format!("社区服务项目{i}"));
        tweak(&mut c);
        let (s, v) = app
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/proposals/{pid}"),
                Some(&member),
                Some(json!({"version": 1, "content": c})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/proposals/{pid}/submit"),
                Some(&member),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        pids.push(pid);
        members.push(member);
    }
    let mut experts = Vec::new();
    for i in 0..reviewers {
        experts.push(
            app.staff(Role::Reviewer, &format!("expert{i}@univ.edu.cn"), None)
                .await,
        );
    }
    close_round(app, &officer, round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/screening"),
            Some(&officer),
            json!({"ids": pids, "decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for step in ["review/start", "review/auto-assign"] {
        let (s, v) = app
            .post(
                &format!("/api/v1/rounds/{round}/{step}"),
                Some(&officer),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    for token in &experts {
        let (_, list) = app.get("/api/v1/reviews", Some(token)).await;
        for item in list.as_array().unwrap() {
            let rid = item["review_id"].as_i64().unwrap();
            let i = pids
                .iter()
                .position(|p| *p == item["proposal_id"].as_i64().unwrap())
                .unwrap();
            app.post(
                &format!("/api/v1/reviews/{rid}/accept"),
                Some(token),
                json!({}),
            )
            .await;
            let criteria: Vec<Value> = scores_totalling(totals[i])
                .iter()
                .map(|s| json!({"score": s, "comment": ""}))
                .collect();
            let body = json!({"version": 2, "content": {"criteria": criteria, "overall_comment": format!("意见{i}"), "recommendation": "fund"}});
            let (s, v) = app
                .api(
                    reqwest::Method::PUT,
                    &format!("/api/v1/reviews/{rid}"),
                    Some(token),
                    Some(body),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, v) = app
                .post(
                    &format!("/api/v1/reviews/{rid}/submit"),
                    Some(token),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    Ranked {
        officer,
        round,
        pids,
        members,
        reviewers: experts,
    }
}

async fn ranking(app: &TestApp, r: &Ranked) -> Value {
    let (s, v) = app
        .get(
            &format!("/api/v1/rounds/{}/ranking", r.round),
            Some(&r.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// `(proposal id, line)` in rank order.
fn lines(v: &Value) -> Vec<(i64, String)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["proposal_id"].as_i64().unwrap(),
                r["line"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn entry(app: &TestApp, r: &Ranked, pid: i64, body: Value) -> (StatusCode, Value) {
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{pid}/decision"),
        Some(&r.officer),
        Some(body),
    )
    .await
}

/// Closes the review of a ranked round and publishes its notice.
pub async fn start_notice(app: &TestApp, r: &Ranked) {
    for step in ["close-review", "notice"] {
        let (s, v) = app
            .post(
                &format!("/api/v1/rounds/{}/{step}", r.round),
                Some(&r.officer),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
}

/// Moves the clock past the end of the round's notice.
pub async fn end_notice(app: &TestApp, round: i64) {
    let ends_at = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::notices;
            notices::table
                .filter(notices::round_id.eq(round))
                .select(notices::ends_at)
                .first::<chrono::NaiveDateTime>(c)
                .unwrap()
        })
        .await;
    app.clock.set(ends_at + Duration::minutes(1));
}

pub fn objection(pid: i64) -> Value {
    json!({
        "proposal_id": pid,
        "name": "王芳",
        "email": "wangfang@example.com",
        "phone": "13900000000",
        "reason": "该机构负责人同时在另一获资助项目中任职，存在重复申报问题。",
    })
}

/// Beijing dates from `from` on that the test's calendar makes working days, by the plain
/// rule: Monday to Friday unless a holiday, and the listed make-up days.
fn nth_working_day(
    from: NaiveDate,
    n: usize,
    holidays: &[NaiveDate],
    workdays: &[NaiveDate],
) -> NaiveDate {
    let mut d = from;
    let mut left = n;
    loop {
        d = d.succ_opt().unwrap();
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let working = workdays.contains(&d) || (!weekend && !holidays.contains(&d));
        if working {
            left -= 1;
            if left == 0 {
                return d;
            }
        }
    }
}

/// The ranking PDF of a round whose first proposal was revoked after an objection: landscape
/// A4, a dated "as of" line, the revoked entry marked with the reason and its substitute
/// marked, the review committee's signature block, and no proposal number split across lines.
async fn ranking_pdf_is_an_official_landscape_document(app: &TestApp, r: &Ranked) {
    let path = format!("/api/v1/rounds/{}/ranking.pdf", r.round);
    let bytes = crate::verify::pdf_of(app, &r.officer, &path).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ranking.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let out = std::process::Command::new(cmd)
            .args(args)
            .arg(&path)
            .args(if cmd == "pdftotext" {
                vec!["-"]
            } else {
                vec![]
            })
            .output()
            .unwrap_or_else(|e| panic!("{cmd} (poppler-utils): {e}"));
        String::from_utf8(out.stdout).unwrap()
    };

    // Landscape A4: 842 × 595 points.
    let info = run("pdfinfo", &[]);
    let size = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("no page size: {info}"));
    let dims: Vec<f64> = size
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(dims.len(), 2, "{size}");
    assert!(
        (dims[0] - 841.89).abs() < 1.0 && (dims[1] - 595.28).abs() < 1.0,
        "not landscape A4: {size}"
    );

    let layout = run("pdftotext", &["-layout"]);
    let compact: String = run("pdftotext", &[]).split_whitespace().collect();
    let now = yichuang::domain::calendar::format_beijing(app.clock.now());
    let as_of: String = format!("数据截至 {}", &now[..10])
        .split_whitespace()
        .collect();
    assert!(compact.contains(&as_of), "no {as_of}: {layout}");
    assert!(compact.contains("（北京时间）"), "{layout}");
    for want in [
        "异议成立，撤销：经核查，该机构存在重复申报，撤销拟资助。",
        "递补",
        "评审委员会签字：",
        "日期：______年____月____日",
    ] {
        assert!(compact.contains(want), "lacks {want}: {layout}");
    }
    // The signature block comes after the table.
    assert!(
        layout.find("评审委员会签字").unwrap() > layout.rfind("GY-").unwrap(),
        "{layout}"
    );

    // Every proposal number sits whole on one line.
    let numbers: Vec<String> = compact
        .match_indices("GY-")
        .map(|(i, _)| compact[i..].chars().take(12).collect())
        .collect();
    assert_eq!(numbers.len(), 4, "{compact}");
    for n in &numbers {
        assert!(
            n.len() == 12 && n[3..7].parse::<u32>().is_ok() && n[8..].parse::<u32>().is_ok(),
            "{n}"
        );
        assert!(
            layout.lines().any(|l| l.contains(n.as_str())),
            "{n} is split across lines: {layout}"
        );
    }
    assert_eq!(layout.matches("GY-").count(), numbers.len(), "{layout}");
}

async fn a_small_round_goes_from_the_line_to_the_award(b: Backend) {
    let app = spawn(b).await;
    // Budget 12万; four 5万 proposals scored 90, 80, 70, 50: the first two fit, the third is
    // waitlisted, the fourth is below the threshold of 60.
    let r = ranked_round(&app, 12_000_000, &[90, 80, 70, 50], 5).await;
    let (p0, p1, p2, p3) = (r.pids[0], r.pids[1], r.pids[2], r.pids[3]);
    let v = ranking(&app, &r).await;
    assert_eq!(
        lines(&v),
        vec![
            (p0, "funded".into()),
            (p1, "funded".into()),
            (p2, "waitlisted".into()),
            (p3, "not_fundable".into())
        ]
    );

    // Nothing can be adjusted, and nobody can object, while the review runs.
    let (s, v) = entry(
        &app,
        &r,
        p1,
        json!({"reduced": "3万", "reduce_reason": "压缩宣传费用"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p0),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/close-review", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // 核减 needs an amount below the request and a reason; moving the line needs a reason.
    let (s, v) = entry(
        &app,
        &r,
        p1,
        json!({"reduced": "6万", "reduce_reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "reduced"), "{v}");
    let (s, v) = entry(&app, &r, p1, json!({"reduced": "3万"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "reduce_reason"), "{v}");
    let (s, v) = entry(&app, &r, p2, json!({"line_override": "forced_in"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "override_reason"), "{v}");
    let (s, v) = entry(
        &app,
        &r,
        p1,
        json!({"reduced": "3万", "reduce_reason": "宣传费用偏高，核减2万元"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = ranking(&app, &r).await;
    assert_eq!(v["used_fen"], 8_000_000);
    assert_eq!(v["rows"][1]["amount_fen"], 3_000_000);
    assert_eq!(lines(&v)[2].1, "waitlisted", "4万 left is short of 5万");

    // Forcing the third in funds it first; the reduced second no longer fits (5+5+3 > 12).
    let (s, v) = entry(
        &app,
        &r,
        p2,
        json!({"line_override": "forced_in", "override_reason": "填补区域服务空白"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = ranking(&app, &r).await;
    assert_eq!(
        lines(&v)[..3],
        [
            (p0, "funded".into()),
            (p1, "waitlisted".into()),
            (p2, "funded".into())
        ]
    );
    assert!(app
        .audit_actions("proposal", p2)
        .await
        .contains(&"decision.adjusted".to_string()));
    let (s, _) = entry(&app, &r, p2, json!({})).await;
    assert_eq!(s, StatusCode::OK);

    // Category budgets: only the round's categories, never above the total.
    let path = format!("/api/v1/rounds/{}/category-budgets", r.round);
    let put = |body: Value| app.api(reqwest::Method::PUT, &path, Some(&r.officer), Some(body));
    let (s, v) = put(json!({"budgets": [{"category": "为老服务", "budget": "20万"}, {"category": "不存在", "budget": "1万"}]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        has_error(&v, "budget.0") && has_error(&v, "budget.1"),
        "{v}"
    );
    let (s, _) = put(json!({"budgets": [{"category": "为老服务", "budget": "12万"}]})).await;
    assert_eq!(s, StatusCode::OK);

    // The admin's calendar: the weekdays of the next three weeks are holidays, the first
    // weekend after tomorrow is two make-up working days (调休).
    let today = app.clock.today();
    let holidays: Vec<NaiveDate> = (1..=21)
        .map(|k| today + Duration::days(k))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let sat = (2..=8)
        .map(|k| today + Duration::days(k))
        .find(|d| d.weekday() == Weekday::Sat)
        .unwrap();
    let workdays = vec![sat, sat + Duration::days(1)];
    let mut text: String = holidays
        .iter()
        .map(|d| format!("{d} holiday 测试假期\n"))
        .collect();
    for d in &workdays {
        text.push_str(&format!("{d} workday 测试调休\n"));
    }
    let admin = app.admin_token().await;
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/admin/holidays",
            Some(&admin),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/notice", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let last = nth_working_day(today, 7, &holidays, &workdays);
    assert!(
        last > today + Duration::days(21),
        "the notice runs past the holidays"
    );
    assert_eq!(
        v["ends_at"].as_str().unwrap(),
        format!("{last}T16:00:00"),
        "24:00 Beijing time of the 7th working day"
    );
    let (_, body) = app
        .get(&format!("/api/v1/rounds/{}/notice", r.round), None)
        .await;
    let public: Vec<i64> = body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["proposal_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        public,
        vec![p0, p1],
        "the public sees the list, not the waitlist"
    );
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("公示"));

    // Objections: only against listed proposals, with a valid contact; finalising waits.
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p2),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "proposal_id"), "{v}");
    let mut bad = objection(p0);
    bad["email"] = json!("not-an-email");
    bad["reason"] = json!("短");
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{}/objections", r.round), None, bad)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "email") && has_error(&v, "reason"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p0),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["confirmed"], false);
    assert!(v["message"].as_str().unwrap().contains("请查收邮件"), "{v}");
    assert!(app
        .last_email_to("wangfang@example.com")
        .await
        .subject
        .contains("请确认"));
    let oid = app.confirm_objection("wangfang@example.com").await;
    assert_eq!(oid, v["id"].as_i64().unwrap());
    assert!(app
        .last_email_to("wangfang@example.com")
        .await
        .subject
        .contains("已收到"));
    assert!(app
        .last_email_to("officer@gusu.gov.cn")
        .await
        .subject
        .contains("异议"));
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("notice_running")),
        "{v}"
    );

    // Upheld: the first proposal leaves the list and the waitlisted third comes in.
    let (s, v) = app
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            Some(&r.officer),
            json!({"upheld": true, "response": " "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            Some(&r.officer),
            json!({"upheld": true, "response": "经核查，该机构存在重复申报，撤销拟资助。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            Some(&r.officer),
            json!({"upheld": false, "response": "再答一次"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "answered once");
    let answer = app.last_email_to("wangfang@example.com").await;
    assert!(
        answer.subject.contains("成立") && answer.body_text.contains("重复申报"),
        "{}",
        answer.body_text
    );
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("撤销"));
    assert!(app
        .last_email_to("ngo2@example.org")
        .await
        .subject
        .contains("递补"));
    let (_, body) = app
        .get(
            &format!("/api/v1/rounds/{}/notice", r.round),
            Some(&r.officer),
        )
        .await;
    let states: Vec<(i64, String, bool)> = body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["proposal_id"].as_i64().unwrap(),
                a["state"].as_str().unwrap().to_string(),
                a["substitute"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (p0, "removed".into(), false),
            (p1, "funded".into(), false),
            (p2, "funded".into(), true),
            (p3, "not_fundable".into(), false)
        ]
    );
    ranking_pdf_is_an_official_landscape_document(&app, &r).await;

    // After the notice: projects for the second (3万, reduced) and the third (5万).
    end_notice(&app, r.round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["projects"].as_array().unwrap().len(), 2);
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p1),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "no objections after the award");

    let (_, list) = app
        .get(
            &format!("/api/v1/projects?round_id={}", r.round),
            Some(&r.officer),
        )
        .await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["proposal_id"], p1);
    assert_eq!(list[0]["grant_fen"], 3_000_000);
    assert!(list[0]["agreement_no"]
        .as_str()
        .unwrap()
        .starts_with("XY-2027-"));
    let project = list[0]["id"].as_i64().unwrap();
    let (_, detail) = app
        .get(&format!("/api/v1/projects/{project}"), Some(&r.members[1]))
        .await;
    let amounts: Vec<i64> = detail["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount_fen"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![1_500_000, 900_000, 600_000]);
    let (s, _) = app
        .get(&format!("/api/v1/projects/{project}"), Some(&r.members[0]))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another org's project");
    let (_, mine) = app.get("/api/v1/projects", Some(&r.members[2])).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // The award notice and the agreement, in Chinese, with the reduced grant.
    for (doc, needle) in [("award-notice", "立项通知书"), ("agreement", "协议")] {
        let res = app
            .client
            .get(app.url(&format!("/api/v1/projects/{project}/{doc}.pdf")))
            .bearer_auth(&r.members[1])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = pdf_text(&res.bytes().await.unwrap());
        let compact: String = text.split_whitespace().collect();
        for want in [
            needle,
            list[0]["agreement_no"].as_str().unwrap(),
            "社区服务项目1",
            "叁万元整",
        ] {
            assert!(compact.contains(want), "{doc} lacks {want}: {text}");
        }
    }

    // Every applicant hears the outcome.
    let awarded = app.last_email_to("ngo1@example.org").await;
    assert!(awarded.subject.contains("已立项"), "{}", awarded.subject);
    assert!(awarded
        .body_text
        .contains(&format!("/projects/{project}/agreement.pdf")));
    // The signing deadline is stated as a date: 15 working days of the holiday calendar after
    // the award's Beijing date (the rule itself is tested in `domain::award`).
    let now = app.clock.now();
    let sign_by = app
        .db(move |c| {
            yichuang::domain::award::signing_deadline(
                now,
                &yichuang::db::calendar::load(c).unwrap(),
            )
        })
        .await;
    assert!(sign_by > now.date() + Duration::days(20), "{sign_by}");
    let want = format!("请在 15 个工作日内，即 {sign_by}（含当日）前签署项目协议书");
    assert!(
        awarded.body_text.contains(&want),
        "lacks {want}: {}",
        awarded.body_text
    );
    let not = app.last_email_to("ngo3@example.org").await;
    assert!(not.subject.contains("评审结果"), "{}", not.subject);
    for want in [
        "最终得分 50",
        "排名 4/4",
        "未达到资助分数线",
        "专家 1：意见3",
    ] {
        assert!(
            not.body_text.contains(want),
            "lacks {want}: {}",
            not.body_text
        );
    }
    assert!(
        !not.body_text.contains("Staff Member"),
        "reviewers stay anonymous"
    );
    let removed = app.last_email_to("ngo0@example.org").await;
    assert!(removed.body_text.contains("撤销"), "{}", removed.body_text);
    assert!(app
        .audit_actions("round", r.round)
        .await
        .contains(&"round.awarded".to_string()));

    // The applicants' pages show the same.
    let ngo3 = app.browser();
    ngo3.login(&app, "ngo3@example.org", crate::helpers::PASSWORD)
        .await;
    let (s, page) = ngo3.get_text(&app, &format!("/proposals/{p3}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("4/4") && page.contains("意见3"),
        "score, rank and comments"
    );
    assert!(!page.contains("Staff Member"));
    let ngo1 = app.browser();
    ngo1.login(&app, "ngo1@example.org", crate::helpers::PASSWORD)
        .await;
    let (s, page) = ngo1.get_text(&app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(list[0]["agreement_no"].as_str().unwrap()) && page.contains("¥15,000.00")
    );
    let (s, _) = ngo3.get_text(&app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
dual!(a_small_round_goes_from_the_line_to_the_award);

/// The whole round at the size of a real district round: 30 proposals, 8 reviewers with
/// 5 reviews per proposal, through the API and the pages, from the ranking to the award.
async fn a_round_of_thirty_proposals_and_eight_reviewers_is_awarded(b: Backend) {
    let app = spawn(b).await;
    // Totals 95, 94, …, 66: all fundable. 100万 buys twenty 5万 grants.
    let totals: Vec<i32> = (0..30).map(|i| 95 - i).collect();
    let r = ranked_round(&app, 100_000_000, &totals, 8).await;
    let (_, assignments) = app
        .get(
            &format!("/api/v1/rounds/{}/assignments", r.round),
            Some(&r.officer),
        )
        .await;
    assert!(!assignments.to_string().is_empty());
    let v = ranking(&app, &r).await;
    let order: Vec<i64> = lines(&v).iter().map(|l| l.0).collect();
    assert_eq!(order, r.pids, "ranked by score");
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["review_count"] == 5));
    assert_eq!(lines(&v).iter().filter(|l| l.1 == "funded").count(), 20);
    assert_eq!(v["used_fen"], 100_000_000);
    let loads: Vec<i64> = v["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .collect();
    assert_eq!(loads.len(), 8);
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
        "{loads:?}"
    );

    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/close-review", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A reviewer can no longer change a score.
    let (_, mine) = app.get("/api/v1/reviews", Some(&r.reviewers[0])).await;
    let rid = mine[0]["review_id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/reviews/{rid}/reopen"),
            Some(&r.officer),
            json!({"reason": "复核"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // 核减 the first to 4万; move the second below the line: the 21st comes in.
    let (s, v) = entry(
        &app,
        &r,
        r.pids[0],
        json!({"reduced": "40000", "reduce_reason": "设备租赁费不予支持"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = entry(
        &app,
        &r,
        r.pids[1],
        json!({"line_override": "forced_out", "override_reason": "与已资助项目服务内容重复"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = ranking(&app, &r).await;
    let funded: Vec<i64> = lines(&v)
        .iter()
        .filter(|l| l.1 == "funded")
        .map(|l| l.0)
        .collect();
    assert_eq!(funded.len(), 20);
    assert!(!funded.contains(&r.pids[1]) && funded.contains(&r.pids[20]));
    assert_eq!(v["used_fen"], 99_000_000);
    assert_eq!(v["remaining_fen"], 1_000_000);

    // The decision page shows the same, and publishes the notice.
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = officer
        .get_text(&app, &format!("/rounds/{}/decision", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("¥990,000.00") && page.contains("设备租赁费不予支持"),
        "used and the reason"
    );
    let res = officer
        .post_form(&app, &format!("/rounds/{}/decision/publish", r.round), &[])
        .await;
    assert_eq!(
        crate::helpers::location(&res),
        format!("/rounds/{}/notice", r.round)
    );
    let (s, page) = officer
        .get_text(&app, &format!("/rounds/{}/notice", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        page.matches("badge eligible").count(),
        20,
        "twenty on the list"
    );

    // Anyone files objections on the public page; one is upheld, one rejected.
    let public = app.browser();
    let (s, page) = public
        .get_text(&app, &format!("/notices/{}", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("社区服务项目0") && !page.contains("社区服务项目1<"),
        "the excluded one is not listed"
    );
    let p2 = r.pids[2].to_string();
    let res = public
        .post_form(
            &app,
            &format!("/notices/{}/objections", r.round),
            &[
                ("proposal_id", &p2),
                ("name", "王芳"),
                ("email", "bad"),
                ("phone", ""),
                ("reason", "该项目与去年资助项目内容完全相同。"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("该项目与去年资助项目内容完全相同。"),
        "what was typed is kept"
    );
    let res = public
        .post_form(
            &app,
            &format!("/notices/{}/objections", r.round),
            &[
                ("proposal_id", &p2),
                ("name", "王芳"),
                ("email", "wangfang@example.com"),
                ("phone", ""),
                ("reason", "该项目与去年资助项目内容完全相同。"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.confirm_objection("wangfang@example.com").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(r.pids[3]),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.confirm_objection("wangfang@example.com").await;
    let (_, objections) = app
        .get(
            &format!("/api/v1/rounds/{}/objections", r.round),
            Some(&r.officer),
        )
        .await;
    let ids: Vec<(i64, i64)> = objections
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_i64().unwrap(),
                o["proposal_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 2);
    let res = officer
        .post_form(
            &app,
            &format!("/objections/{}/answer", ids[0].0),
            &[
                ("outcome", "upheld"),
                ("response", "经核查属实，撤销拟资助。"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, v) = app
        .post(
            &format!("/api/v1/objections/{}/answer", ids[1].0),
            Some(&r.officer),
            json!({"upheld": false, "response": "经核查，该项目申报材料真实。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The excluded second stays out; the 22nd (first waitlisted that fits) comes in.
    let (_, notice) = app
        .get(
            &format!("/api/v1/rounds/{}/notice", r.round),
            Some(&r.officer),
        )
        .await;
    let state = |pid: i64| {
        notice["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["proposal_id"] == pid)
            .map(|a| a["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state(r.pids[1]), "excluded");
    assert_eq!(state(r.pids[2]), "removed");
    assert_eq!(state(r.pids[21]), "funded");
    assert_eq!(state(r.pids[22]), "waitlisted");

    end_notice(&app, r.round).await;
    let res = officer
        .post_form(&app, &format!("/rounds/{}/finalise", r.round), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, projects) = app
        .get(
            &format!("/api/v1/projects?round_id={}", r.round),
            Some(&r.officer),
        )
        .await;
    let projects = projects.as_array().unwrap();
    assert_eq!(projects.len(), 20);
    let total: i64 = projects
        .iter()
        .map(|p| p["grant_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 99_000_000, "4万 + 19 × 5万, within the budget");
    let mut numbers: Vec<&str> = projects
        .iter()
        .map(|p| p["agreement_no"].as_str().unwrap())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20, "agreement numbers are unique");
    for p in projects {
        let (_, d) = app
            .get(&format!("/api/v1/projects/{}", p["id"]), Some(&r.officer))
            .await;
        let sum: i64 = d["tranches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["amount_fen"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, p["grant_fen"].as_i64().unwrap());
    }
    let (s, page) = officer.get_text(&app, "/projects").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.matches("/projects/").count() >= 20);

    // All thirty applicants hear: twenty awarded, ten not (with score and rank).
    let mut awarded = 0;
    for i in 0..30 {
        let m = app.last_email_to(&format!("ngo{i}@example.org")).await;
        if m.kind == MailKind::Awarded {
            awarded += 1;
        } else {
            assert_eq!(m.kind, MailKind::NotAwarded, "ngo{i}");
            assert!(m.body_text.contains("/30"), "{}", m.body_text);
        }
    }
    assert_eq!(awarded, 20);
    let waitlisted = app.last_email_to("ngo29@example.org").await.body_text;
    assert!(
        waitlisted.contains("候补") && waitlisted.contains("最终得分 66"),
        "{waitlisted}"
    );
}
dual!(a_round_of_thirty_proposals_and_eight_reviewers_is_awarded);

/// The decision page and the ranking API show the same figures for a ranked round with a
/// 核减: ranks, numbers, scores, amounts, the funding line and the budget used and left.
async fn the_decision_page_and_the_ranking_api_show_the_same_figures(b: Backend) {
    use yichuang::domain::money::Fen;
    use yichuang::domain::review::tenths_text;
    use yichuang::i18n::{t, Lang};
    let app = spawn(b).await;
    let r = ranked_round(&app, 12_000_000, &[90, 80, 70, 50], 5).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/close-review", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = entry(
        &app,
        &r,
        r.pids[1],
        json!({"reduced": "4万", "reduce_reason": "压缩宣传费用"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = ranking(&app, &r).await;
    let ranked: Vec<(i64, String)> = r
        .pids
        .iter()
        .zip(["funded", "funded", "waitlisted", "not_fundable"])
        .map(|(p, l)| (*p, l.to_string()))
        .collect();
    assert_eq!(lines(&v), ranked);
    assert_eq!(
        (v["rows"][1]["amount_fen"].as_i64(), v["used_fen"].as_i64()),
        (Some(4_000_000), Some(9_000_000))
    );

    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = officer
        .get_text(&app, &format!("/rounds/{}/decision", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    let money = |v: &Value| Fen(v.as_i64().unwrap()).to_string();
    let pts = |v: &Value| tenths_text(v.as_i64().unwrap() as i32);
    assert_eq!(text_of(&page, "budget-used"), money(&v["used_fen"]));
    assert_eq!(
        text_of(&page, "budget-remaining"),
        money(&v["remaining_fen"])
    );
    let rows = v["rows"].as_array().unwrap();
    let cells = table_rows(&page, "ranking");
    assert_eq!(cells.len(), rows.len(), "{page}");
    for (row, c) in rows.iter().zip(&cells) {
        assert_eq!(c[0], row["rank"].to_string(), "{c:?}");
        assert_eq!(c[1], row["number"].as_str().unwrap_or_default(), "{c:?}");
        assert!(c[2].starts_with(row["title"].as_str().unwrap()), "{c:?}");
        assert_eq!(c[3], row["org_name"].as_str().unwrap(), "{c:?}");
        assert_eq!(c[5], money(&row["requested_fen"]), "{c:?}");
        assert!(c[6].starts_with(&money(&row["amount_fen"])), "{c:?}");
        let scores = [
            "final_tenths",
            "mean_tenths",
            "trimmed_mean_tenths",
            "normalised_tenths",
        ];
        assert_eq!(
            c[7..11].to_vec(),
            scores.iter().map(|k| pts(&row[*k])).collect::<Vec<_>>(),
            "{c:?}"
        );
        assert!(c[11].starts_with(&pts(&row["spread_tenths"])), "{c:?}");
        let line = t(Lang::Zh, &format!("line.{}", row["line"].as_str().unwrap())).to_string();
        assert!(c[12].starts_with(&line), "{c:?}");
    }
}
dual!(the_decision_page_and_the_ranking_api_show_the_same_figures);

/// A published line whose stored state is not one the product writes is an error on every
/// read, never quietly shown as "not fundable" (or left out of the public list).
async fn an_unknown_award_state_is_an_error_not_a_default(b: Backend) {
    let app = spawn(b).await;
    let r = ranked_round(&app, 12_000_000, &[90, 80], 3).await;
    start_notice(&app, &r).await;
    let (s, v) = app
        .get(&format!("/api/v1/rounds/{}/notice", r.round), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pid = r.pids[1];
    app.db(move |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE awards SET state = 'fundde' WHERE proposal_id = $1")
            .bind::<diesel::sql_types::BigInt, _>(pid)
            .execute(c)
            .unwrap();
    })
    .await;
    // Signed in, so that the cached public copy is not what answers.
    let (s, v) = app
        .get(
            &format!("/api/v1/rounds/{}/notice", r.round),
            Some(&r.officer),
        )
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    let (s, _) = app
        .get(&format!("/api/v1/proposals/{pid}"), Some(&r.officer))
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
}
dual!(an_unknown_award_state_is_an_error_not_a_default);

/// Tranche amounts are each share rounded half up to the fen (四舍五入), the last tranche
/// taking the balance (尾款): a grant of ¥33,333.33 splits 50/30/20 into ¥16,666.67 (from
/// 16,666.665), ¥10,000.00 (from 9,999.999) and ¥6,666.66; the rule is printed beside the
/// schedule on the project page and in the agreement.
async fn tranche_amounts_round_half_up_and_the_last_takes_the_balance(b: Backend) {
    let app = spawn(b).await;
    let r = ranked_round_with(&app, 12_000_000, &[80], 3, |c| {
        c["requested_grant"] = json!(3_333_333);
        c["budget"] = json!([
            {"category": "activity", "item": "活动物料", "amount": 2_333_333, "source": "grant"},
            {"category": "personnel", "item": "社工补贴", "amount": 700_000, "source": "grant"},
            {"category": "admin", "item": "管理费", "amount": 300_000, "source": "grant"},
            {"category": "activity", "item": "场地", "amount": 2_000_000, "source": "community"}
        ]);
    })
    .await;
    start_notice(&app, &r).await;
    end_notice(&app, r.round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app
        .get(
            &format!("/api/v1/projects?round_id={}", r.round),
            Some(&r.officer),
        )
        .await;
    assert_eq!(list[0]["grant_fen"], 3_333_333, "{list}");
    let project = list[0]["id"].as_i64().unwrap();
    let (_, detail) = app
        .get(&format!("/api/v1/projects/{project}"), Some(&r.members[0]))
        .await;
    let amounts: Vec<i64> = detail["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount_fen"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, vec![1_666_667, 1_000_000, 666_666], "{detail}");

    let web = app.browser();
    web.login(&app, "ngo0@example.org", crate::helpers::PASSWORD)
        .await;
    let (s, page) = web.get_text(&app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::OK);
    for want in ["¥16,666.67", "¥10,000.00", "¥6,666.66"] {
        assert!(page.contains(want), "the page lacks {want}");
    }
    assert!(
        text_of(&page, "tranche-rule").contains("四舍五入到分"),
        "the rule beside the schedule"
    );
    let res = app
        .client
        .get(app.url(&format!("/api/v1/projects/{project}/agreement.pdf")))
        .bearer_auth(&r.members[0])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text: String = pdf_text(&res.bytes().await.unwrap())
        .split_whitespace()
        .collect();
    for want in [
        "¥16,666.67",
        "¥10,000.00",
        "¥6,666.66",
        "四舍五入到分；最后一期（尾款）为资助金额减去前各期金额之和",
    ] {
        assert!(text.contains(want), "the agreement lacks {want}: {text}");
    }
}
dual!(tranche_amounts_round_half_up_and_the_last_takes_the_balance);
