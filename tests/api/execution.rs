//! Project execution: the signed agreement and tranches, payments, milestone reports with
//! their checks, the officer's review, evidence, reminders, dashboards and the public page.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::award::{end_notice, ranked_round_with, start_notice};
use crate::dual;
use crate::helpers::{has_error, spawn, table_rows, text_of, Backend, TestApp, PDF};
use yichuang::domain::outbox::MailKind;

pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
];

/// An awarded round with two 5万 projects (two milestones each); returns the officer, the
/// two members and the project ids (in rank order).
pub struct Awarded {
    pub officer: String,
    pub members: Vec<String>,
    pub round: i64,
    pub projects: Vec<i64>,
}

pub async fn awarded(app: &TestApp) -> Awarded {
    let r = ranked_round_with(app, 12_000_000, &[90, 80], 5, |c| {
        let start = (Utc::now() + Duration::days(45)).date_naive();
        c["milestones"] = json!([
            {"due": start + Duration::days(120), "title": "中期", "deliverable": "中期报告", "target_beneficiaries": 60},
            {"due": start + Duration::days(300), "title": "末期", "deliverable": "结项报告", "target_beneficiaries": 120},
        ]);
    })
    .await;
    finalise(app, r).await
}

/// Runs the notice of a ranked round to its end and finalises it.
pub async fn finalise(app: &TestApp, r: crate::award::Ranked) -> Awarded {
    start_notice(app, &r).await;
    end_notice(app, r.round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let projects = v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect();
    Awarded {
        officer: r.officer,
        members: r.members,
        round: r.round,
        projects,
    }
}

pub async fn detail(app: &TestApp, token: &str, project: i64) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/projects/{project}"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// A report body: elderly `unique`/`times`, `activity` yuan on the first budget line.
fn report(unique: i64, times: i64, activity_yuan: i64, narrative: &str) -> Value {
    json!({
        "activities": 6,
        "beneficiaries": [{"group": "elderly", "unique_people": unique, "person_times": times},
                          {"group": "disabled", "unique_people": 5, "person_times": 10}],
        "volunteer_times": 30,
        "volunteer_hours": 90,
        "spending": [{"line": 0, "spent": activity_yuan * 100, "over_reason": ""},
                     {"line": 1, "spent": 500_000, "over_reason": ""}],
        "narrative": narrative,
    })
}

pub async fn put_report(
    app: &TestApp,
    token: &str,
    id: i64,
    content: Value,
) -> (StatusCode, Value) {
    let (_, cur) = app.get(&format!("/api/v1/reports/{id}"), Some(token)).await;
    let version = cur["report"]["version"].as_i64().unwrap_or(1);
    assert!(cur["report"].get("content_json").is_none(), "{cur}");
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/reports/{id}"),
        Some(token),
        Some(json!({"version": version, "content": content})),
    )
    .await
}

/// Every project of `a` signed and a first milestone report filed: project `i` served
/// 40 + 10·i elderly people (three times each) and 5 disabled people.
pub async fn file_first_reports(app: &TestApp, a: &Awarded) {
    for (i, p) in a.projects.iter().enumerate() {
        let member = &a.members[i];
        app.upload(
            &format!("/api/v1/projects/{p}/agreement"),
            &a.officer,
            "协议.pdf",
            PDF,
        )
        .await;
        let (_, v) = app
            .post(
                &format!("/api/v1/projects/{p}/reports"),
                Some(member),
                json!({"milestone": 0}),
            )
            .await;
        let r = v["id"].as_i64().unwrap();
        let people = 40 + 10 * i as i64;
        put_report(
            app,
            member,
            r,
            report(people, 3 * people, 10_000, "开展活动。"),
        )
        .await;
        let (s, v) = app
            .post(
                &format!("/api/v1/reports/{r}/submit"),
                Some(member),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
}

async fn a_project_is_paid_reports_and_is_reviewed(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (project, other) = (a.projects[0], a.projects[1]);
    let (ngo, stranger) = (&a.members[0], &a.members[1]);

    // The schedule: 50/30/20 of 5万, nothing payable before the agreement is signed.
    let d = detail(&app, ngo, project).await;
    let tranches: Vec<(i64, i64, String)> = d["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["amount_fen"].as_i64().unwrap(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        tranches
            .iter()
            .map(|t| (t.1, t.2.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (2_500_000, "pending"),
            (1_500_000, "pending"),
            (1_000_000, "pending")
        ]
    );
    let first = tranches[0].0;
    let today = app.clock.today().to_string();
    let pay = |amount: &str, date: &str| json!({"paid_on": date, "voucher_no": "记-2027-031", "amount": amount});
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            pay("25000", &today),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_releasable")),
        "{v}"
    );

    // Only the officer records the signed agreement, and only a real document.
    let (s, _) = app
        .upload(
            &format!("/api/v1/projects/{project}/agreement"),
            ngo,
            "协议.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .upload(
            &format!("/api/v1/projects/{project}/agreement"),
            &a.officer,
            "协议.txt",
            b"not a pdf",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "file"), "{v}");
    let (s, _) = app
        .upload(
            &format!("/api/v1/projects/{project}/agreement"),
            &a.officer,
            "协议.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("协议已登记"));
    let d = detail(&app, ngo, project).await;
    assert_eq!(d["tranches"][0]["status"], "releasable");
    assert_eq!(
        d["tranches"][1]["status"], "pending",
        "the mid-term tranche waits for its evaluation"
    );
    assert!(d["agreement_signed_at"].is_string());

    // Payments: within the tranche, not in the future; the tranche is paid when complete.
    let tomorrow = (app.clock.today() + Duration::days(1)).to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            pay("30000", &today),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "amount"), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            json!({"paid_on": tomorrow, "voucher_no": "", "amount": "abc"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        has_error(&v, "paid_on") && has_error(&v, "voucher_no") && has_error(&v, "amount"),
        "{v}"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(ngo),
            pay("20000", &today),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            pay("20000", &today),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        detail(&app, ngo, project).await["tranches"][0]["status"],
        "releasable"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            pay("5000", &today),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let d = detail(&app, ngo, project).await;
    assert_eq!(d["tranches"][0]["status"], "paid");
    assert_eq!(d["payments"].as_array().unwrap().len(), 2);
    let (s, _) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            pay("1", &today),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a paid tranche takes no more");
    let paid_mail = app.last_email_to("ngo0@example.org").await;
    assert!(
        paid_mail.subject.contains("第 1 期") && paid_mail.body_text.contains("¥5,000.00"),
        "{}",
        paid_mail.body_text
    );

    // The first milestone report: drafts may be wrong, submission checks everything.
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let r1 = v["id"].as_i64().unwrap();
    let (s, again) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(
        (s, again["id"].as_i64()),
        (StatusCode::CREATED, Some(r1)),
        "one report per milestone"
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{other}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another org's project");
    let (s, _) = put_report(&app, stranger, r1, report(40, 120, 10_000, "x")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = put_report(&app, ngo, r1, report(150, 120, 33_500, "")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r1}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["beneficiaries.0", "spending.0", "narrative"] {
        assert!(has_error(&v, field), "{field}: {v}");
    }
    let mut fixed = report(40, 120, 33_000, "开展入户探访 6 次，助餐配送 120 人次。");
    let (s, v) = put_report(&app, ngo, r1, fixed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r1}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "3万 line overspent by 10% needs a reason"
    );
    assert!(has_error(&v, "spending.0"), "{v}");
    fixed["spending"][0]["over_reason"] = json!("物价上涨，活动物料增加");
    put_report(&app, ngo, r1, fixed.clone()).await;
    let (s, _) = app
        .upload(
            &format!("/api/v1/reports/{r1}/evidence"),
            ngo,
            "签到表.png",
            PNG,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .upload(
            &format!("/api/v1/reports/{r1}/evidence"),
            ngo,
            "x.exe",
            b"MZ....",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r1}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(app
        .last_email_to("officer@gusu.gov.cn")
        .await
        .subject
        .contains("进度报告"));
    let (s, _) = put_report(&app, ngo, r1, fixed.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "a submitted report is frozen");

    // Returned with comments, corrected, accepted.
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r1}/review"),
            Some(&a.officer),
            json!({"accept": false}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "comment"), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/reports/{r1}/review"),
            Some(ngo),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r1}/review"),
            Some(&a.officer),
            json!({"accept": false, "comment": "请补充签到表原件扫描件"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let returned = app.last_email_to("ngo0@example.org").await;
    assert!(
        returned.subject.contains("退回") && returned.body_text.contains("签到表原件"),
        "{}",
        returned.body_text
    );
    fixed["narrative"] = json!("开展入户探访 6 次，助餐配送 120 人次；已补充签到表。");
    let (s, v) = put_report(&app, ngo, r1, fixed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/reports/{r1}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/reports/{r1}/review"),
            Some(&a.officer),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/reports/{r1}/review"),
            Some(&a.officer),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "accepted once");

    // The second report starts from the first one's totals, which never go down.
    let (_, v) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(ngo),
            json!({"milestone": 1}),
        )
        .await;
    let r2 = v["id"].as_i64().unwrap();
    let (_, v) = app.get(&format!("/api/v1/reports/{r2}"), Some(ngo)).await;
    assert_eq!(
        v["content"]["beneficiaries"][0]["unique_people"], 40,
        "carried over"
    );
    assert_eq!(v["content"]["narrative"], "");
    let (s, _) = put_report(&app, ngo, r2, report(30, 150, 33_000, "末期")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r2}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "beneficiaries.0"), "{v}");
    let mut second = report(110, 400, 33_000, "完成全部服务，举办结项分享会。");
    second["spending"][0]["over_reason"] = json!("物价上涨，活动物料增加");
    second["spending"][1]["spent"] = json!(1_500_000);
    put_report(&app, ngo, r2, second).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{r2}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/reports/{r2}/review"),
            Some(&a.officer),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let d = detail(&app, &a.officer, project).await;
    assert_eq!(d["latest"]["beneficiaries"][0]["unique_people"], 110);
    let (_, list) = app
        .get(&format!("/api/v1/projects/{project}/reports"), Some(ngo))
        .await;
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["accepted", "accepted"]);
    assert!(app
        .audit_actions("report", r1)
        .await
        .contains(&"report.returned".to_string()));

    // The project page shows plan against actual with the charts.
    let page = app.browser();
    page.login(&app, "ngo0@example.org", crate::helpers::PASSWORD)
        .await;
    let (s, html) = page.get_text(&app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<svg") && html.contains("¥25,000.00") && html.contains("签到表.png"),
        "page"
    );
}
dual!(a_project_is_paid_reports_and_is_reviewed);

async fn report_reminders_go_out_once(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let project = a.projects[0];
    // Move the plan: the first milestone was due two days ago, the second is in three days.
    let today = app.clock.today();
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::{projects, proposals};
        let pid: i64 = projects::table
            .find(project)
            .select(projects::proposal_id)
            .first(c)
            .unwrap();
        let json: String = proposals::table
            .find(pid)
            .select(proposals::content_json)
            .first(c)
            .unwrap();
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v["milestones"][0]["due"] = json!(today - Duration::days(2));
        v["milestones"][1]["due"] = json!(today + Duration::days(3));
        diesel::update(proposals::table.find(pid))
            .set(proposals::content_json.eq(v.to_string()))
            .execute(c)
            .unwrap();
    })
    .await;
    let settings = app.settings.clone();
    let send = || {
        let s = settings.clone();
        app.db(move |c| yichuang::ops::execution::send_report_reminders(c, &s).unwrap())
    };
    assert_eq!(send().await, 2);
    assert_eq!(send().await, 0, "each reminder once");
    // The check that finds nothing due opens no write transaction.
    let s = settings.clone();
    let again = app
        .count_transactions(move |c| {
            yichuang::ops::execution::send_report_reminders(c, &s).unwrap()
        })
        .await;
    assert_eq!(again, (0, 0), "(queued, transactions)");
    let kinds: Vec<MailKind> = app
        .emails_to("ngo0@example.org")
        .await
        .into_iter()
        .map(|m| m.kind)
        .filter(|k| k.as_str().starts_with("report_") || *k == MailKind::ReminderDigest)
        .collect();
    // Two reminders for one organisation in one pass: one digest listing both.
    assert_eq!(kinds, vec![MailKind::ReminderDigest]);
    // A filed report stops the reminders for its milestone.
    assert!(app.emails_to("ngo1@example.org").await.iter().all(|m| !m
        .kind
        .as_str()
        .starts_with("report_")
        && m.kind != MailKind::ReminderDigest));
}
dual!(report_reminders_go_out_once);

async fn dashboards_exports_and_the_public_page_add_up(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let ngo = &a.members[0];

    // Project 0: signed, the first tranche (2.5万) paid, one report filed.
    app.upload(
        &format!("/api/v1/projects/{p0}/agreement"),
        &a.officer,
        "协议.pdf",
        PDF,
    )
    .await;
    let d = detail(&app, ngo, p0).await;
    let first = d["tranches"][0]["id"].as_i64().unwrap();
    let today = app.clock.today().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            json!({"paid_on": today, "voucher_no": "记-001", "amount": "2.5万"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = app
        .post(
            &format!("/api/v1/projects/{p0}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    let r = v["id"].as_i64().unwrap();
    let mut body = report(40, 120, 10_000, "开展活动。");
    body["spending"]
        .as_array_mut()
        .unwrap()
        .push(json!({"line": 3, "spent": 200_000, "over_reason": ""}));
    put_report(&app, ngo, r, body).await;
    let (s, v) = app
        .post(&format!("/api/v1/reports/{r}/submit"), Some(ngo), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Project 1: a draft only (not counted), and its first milestone is overdue.
    let (_, v) = app
        .post(
            &format!("/api/v1/projects/{p1}/reports"),
            Some(&a.members[1]),
            json!({"milestone": 0}),
        )
        .await;
    let draft = v["id"].as_i64().unwrap();
    put_report(&app, &a.members[1], draft, report(999, 999, 1, "草稿")).await;
    let due = app.clock.today() - Duration::days(1);
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::{projects, proposals};
        let pid: i64 = projects::table
            .find(p1)
            .select(projects::proposal_id)
            .first(c)
            .unwrap();
        let json: String = proposals::table
            .find(pid)
            .select(proposals::content_json)
            .first(c)
            .unwrap();
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v["milestones"][0]["due"] = json!(due);
        diesel::update(proposals::table.find(pid))
            .set(proposals::content_json.eq(v.to_string()))
            .execute(c)
            .unwrap();
        // The plan is frozen once funded: the stored figures follow this edit only when told.
        yichuang::db::projects::refresh_figures(c, p1).unwrap();
    })
    .await;

    // By hand: grants 5万 + 5万; paid 2.5万; grant spent 1万 + 5千; matching 2千;
    // 40 elderly (120 times) + 5 disabled (10 times); project 1 at risk.
    let (s, d) = app
        .get(
            &format!("/api/v1/rounds/{}/dashboard", a.round),
            Some(&a.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let t = &d["totals"];
    assert_eq!(
        (
            t["projects"].as_i64(),
            t["grant_fen"].as_i64(),
            t["paid_fen"].as_i64(),
            t["spent_grant_fen"].as_i64(),
            t["spent_matching_fen"].as_i64(),
            t["unique_people"].as_i64(),
            t["person_times"].as_i64(),
            t["at_risk"].as_i64()
        ),
        (
            Some(2),
            Some(10_000_000),
            Some(2_500_000),
            Some(1_500_000),
            Some(200_000),
            Some(45),
            Some(130),
            Some(1)
        )
    );
    let groups: Vec<(String, i64, i64)> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["unique_people"].as_i64().unwrap() > 0)
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["unique_people"].as_i64().unwrap(),
                g["person_times"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![("elderly".into(), 40, 120), ("disabled".into(), 5, 10)]
    );
    let risky: Vec<i64> = d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["at_risk"].as_bool().unwrap())
        .map(|l| l["project"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(risky, vec![p1]);
    let (s, _) = app
        .get(&format!("/api/v1/rounds/{}/dashboard", a.round), Some(ngo))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, bureau) = app
        .get("/api/v1/dashboard/projects", Some(&a.officer))
        .await;
    assert_eq!(bureau["totals"]["grant_fen"], 10_000_000);

    // Exports carry the same figures.
    let get = |path: String| {
        app.client
            .get(app.url(&path))
            .bearer_auth(&a.officer)
            .send()
    };
    let csv = get(format!("/api/v1/rounds/{}/beneficiaries.csv", a.round))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("老年人,40,120") && csv.contains("合计,45,130"),
        "{csv}"
    );
    let ledger = get(format!("/api/v1/rounds/{}/ledger.csv", a.round))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line0 = ledger
        .lines()
        .find(|l| l.contains("社区服务项目0"))
        .unwrap();
    assert!(
        line0.contains(",50000,25000,15000,2000,45,130,0,0,"),
        "{line0}"
    );
    let line1 = ledger
        .lines()
        .find(|l| l.contains("社区服务项目1"))
        .unwrap();
    assert!(line1.contains(",50000,0,0,0,0,0,1,0,"), "{line1}");
    let xlsx = get(format!("/api/v1/rounds/{}/ledger.xlsx", a.round))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let strings = crate::helpers::xlsx_strings(&xlsx);
    assert!(
        strings.contains("社区服务项目1") && strings.contains("25000"),
        "{strings}"
    );

    // The public sees the projects and the people served, without signing in.
    let (s, v) = app.get(&format!("/api/v1/results/{}", a.round), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let served: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unique_people"].as_i64().unwrap())
        .collect();
    assert_eq!(served, vec![45, 0]);
    let (s, html) = app
        .browser()
        .get_text(&app, &format!("/results/{}", a.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("社区服务项目0") && html.contains("¥100,000.00"),
        "public page"
    );
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, html) = officer
        .get_text(&app, &format!("/rounds/{}/dashboard", a.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("id=\"at-risk\">1<") && html.contains("<svg"),
        "dashboard page"
    );
}
dual!(dashboards_exports_and_the_public_page_add_up);

/// The round dashboard page and its API show the same totals (grant, paid, spent, people)
/// and the same unique people per group, project by project too.
async fn the_dashboard_page_and_the_api_show_the_same_totals(b: Backend) {
    use yichuang::domain::money::Fen;
    use yichuang::domain::report::BeneficiaryGroup;
    use yichuang::i18n::{t, Lang};
    let app = spawn(b).await;
    let a = awarded(&app).await;
    // Both projects signed and filed a first report; project 0 is paid its first tranche.
    file_first_reports(&app, &a).await;
    let p0 = a.projects[0];
    let first = detail(&app, &a.members[0], p0).await["tranches"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(&a.officer),
            json!({"paid_on": yichuang::db::today().to_string(), "voucher_no": "记-001", "amount": "2.5万"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    let (s, d) = app
        .get(
            &format!("/api/v1/rounds/{}/dashboard", a.round),
            Some(&a.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let totals = &d["totals"];
    assert_eq!(
        (
            totals["paid_fen"].as_i64(),
            totals["unique_people"].as_i64()
        ),
        (Some(2_500_000), Some(40 + 50 + 2 * 5))
    );
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = officer
        .get_text(&app, &format!("/rounds/{}/dashboard", a.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    let money = |v: &Value| Fen(v.as_i64().unwrap()).to_string();
    assert_eq!(
        [
            text_of(&page, "total-grant"),
            text_of(&page, "total-paid"),
            text_of(&page, "total-spent"),
            text_of(&page, "total-unique"),
        ],
        [
            money(&totals["grant_fen"]),
            money(&totals["paid_fen"]),
            money(&totals["spent_grant_fen"]),
            totals["unique_people"].to_string(),
        ]
    );
    let groups: Vec<Vec<String>> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = BeneficiaryGroup::parse(g["group"].as_str().unwrap())
                .unwrap()
                .label_key();
            vec![
                t(Lang::Zh, key).to_string(),
                g["unique_people"].to_string(),
                g["person_times"].to_string(),
            ]
        })
        .collect();
    assert_eq!(table_rows(&page, "group-totals"), groups);
    let ledger: Vec<Vec<String>> = d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            vec![
                l["project"]["agreement_no"].as_str().unwrap().to_string(),
                l["project"]["org_name"].as_str().unwrap().to_string(),
                l["project"]["title"].as_str().unwrap().to_string(),
                money(&l["project"]["grant_fen"]),
                money(&l["figures"]["paid"]),
                money(&l["figures"]["spent_grant"]),
                l["figures"]["unique_people"].to_string(),
            ]
        })
        .collect();
    let on_page: Vec<Vec<String>> = table_rows(&page, "ledger")
        .into_iter()
        .map(|mut c| {
            c.truncate(7);
            c
        })
        .collect();
    assert_eq!(on_page, ledger);
}
dual!(the_dashboard_page_and_the_api_show_the_same_totals);

/// How many times the admin opened `project`, as the audit log says (each entry is theirs).
async fn admin_views(app: &TestApp, project: i64) -> usize {
    let email = app.admin.0.clone();
    app.db(move |c| {
        yichuang::db::audit::for_entity(c, "project", project, 100)
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "project.viewed_by_admin")
            .inspect(|r| assert_eq!(r.actor_label, email))
            .count()
    })
    .await
}

/// Admins list every project, so they may open each one: read-only, and every read is in the
/// audit log under their name.
async fn admins_read_projects_read_only_and_every_read_is_audited(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let admin = app.admin_token().await;
    let project = a.projects[0];
    assert_eq!(admin_views(&app, project).await, 0);

    let (s, list) = app.get("/api/v1/projects", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    for id in &a.projects {
        assert!(listed.contains(id), "{listed:?}");
    }
    assert_eq!(
        admin_views(&app, project).await,
        0,
        "listing is not opening"
    );

    // The detail agrees with the list, and the read is recorded.
    let d = detail(&app, &admin, project).await;
    assert_eq!(d["project"]["id"], project);
    assert_eq!(d["tranches"].as_array().unwrap().len(), 3);
    assert_eq!(admin_views(&app, project).await, 1);
    let (s, _) = app
        .get(&format!("/api/v1/projects/{project}/reports"), Some(&admin))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(admin_views(&app, project).await, 2);

    // The page too, without any of the officer's or the member's forms.
    let page = app.browser();
    page.login(&app, &app.admin.0, crate::helpers::PASSWORD)
        .await;
    let (s, html) = page.get_text(&app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !html.contains("<form method=\"post\" action=\"/projects/"),
        "{html}"
    );
    assert!(!html.contains("action=\"/tranches/"), "no payment form");
    assert_eq!(admin_views(&app, project).await, 3);

    // Writes stay forbidden.
    let (s, _) = app
        .upload(
            &format!("/api/v1/projects/{project}/agreement"),
            &admin,
            "协议.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let tranche = d["tranches"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/tranches/{tranche}/payments"),
            Some(&admin),
            json!({"paid_on": app.clock.today().to_string(), "voucher_no": "记-1", "amount": "100"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(&admin),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, d) = app
        .get(&format!("/api/v1/projects/{project}"), Some(&a.officer))
        .await;
    assert!(d["agreement_signed_at"].is_null());
    assert!(d["payments"].as_array().unwrap().is_empty());

    // Others still see only their own.
    let (s, _) = app
        .get(&format!("/api/v1/projects/{project}"), Some(&a.members[1]))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = app.get("/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["first_broken"].is_null(), "{v}");
}
dual!(admins_read_projects_read_only_and_every_read_is_audited);
