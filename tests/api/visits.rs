//! Supervision visits (督导): supervisors invited by an officer, visits scheduled and recorded
//! against the checklist, findings whose required rectification holds the next tranche until
//! the officer closes them, overdue rectifications in the work queue and the projects-at-risk
//! list, and who may see and do what.

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;

use crate::dual;
use crate::evaluation::{agency, assign, sign};
use crate::execution::{awarded, PNG};
use crate::helpers::{has_error, location, spawn, Backend, TestApp, PASSWORD, PDF};

/// A supervisor invited by `officer` (into the officer's bureau); returns (user id, token).
async fn supervisor(app: &TestApp, officer: &str, email: &str) -> (i64, String) {
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(officer),
            json!({"email": email, "name": "李督导", "role": "supervisor"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let token = app.token_from_email(email, "/invite/accept").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "name": "李督导", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (id, v["token"].as_str().unwrap().to_string())
}

/// The first working day (by the installation's holiday calendar) at least `days` after today.
async fn working_day(app: &TestApp, days: i64) -> NaiveDate {
    let cal = app.db(|c| yichuang::db::calendar::load(c).unwrap()).await;
    let mut d = app.clock.today() + Duration::days(days);
    while !cal.is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// A complete record with one finding to rectify by `by` (if any) and one without.
fn record_body(visited_on: NaiveDate, by: Option<NaiveDate>) -> Value {
    let mut findings = vec![json!({"text": "建议补充宣传海报", "rectify_by": ""})];
    if let Some(by) = by {
        findings.insert(
            0,
            json!({"text": "两张餐费发票无对应活动记录", "rectify_by": by.to_string()}),
        );
    }
    json!({
        "visited_on": visited_on.to_string(),
        "checklist": [
            {"item": "activity_records", "result": "compliant"},
            {"item": "sign_in_sheets", "result": "partial", "note": "签到表缺签名"},
            {"item": "financial_vouchers", "result": "non_compliant", "note": "发票无记录"},
            {"item": "publicity", "result": "compliant"},
            {"item": "safety", "result": "not_applicable"},
        ],
        "rating": "fair",
        "summary": "基本按计划开展。",
        "findings": findings,
    })
}

async fn schedule(
    app: &TestApp,
    token: &str,
    project: i64,
    on: NaiveDate,
    visitor: Option<i64>,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/projects/{project}/visits"),
        Some(token),
        json!({"scheduled_on": on.to_string(), "visitor_id": visitor}),
    )
    .await
}

async fn count_of(app: &TestApp, token: &str, kind: &str) -> i64 {
    let (s, q) = app.get("/api/v1/me/tasks", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {q}"))["count"]
        .as_i64()
        .unwrap()
}

async fn pay(app: &TestApp, token: &str, tranche: i64) -> (StatusCode, Value) {
    let today = app.clock.today().to_string();
    app.post(
        &format!("/api/v1/tranches/{tranche}/payments"),
        Some(token),
        json!({"paid_on": today, "voucher_no": "记-2027-088", "amount": "25000"}),
    )
    .await
}

async fn a_visits_open_rectification_holds_the_tranche_until_the_officer_closes_it(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let (o, ngo) = (&a.officer, &a.members[0]);
    sign(&app, o, p0).await;
    let tranche = crate::execution::detail(&app, ngo, p0).await["tranches"][0]["id"]
        .as_i64()
        .unwrap();

    // The officer invites a supervisor into the bureau; unassigned, they read nothing.
    let (sup_id, sup) = supervisor(&app, o, "sup@gusu.gov.cn").await;
    let (s, me) = app.get("/api/v1/me", Some(&sup)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "supervisor");
    let (s, _) = app.get(&format!("/api/v1/projects/{p0}"), Some(&sup)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p0}/visits"), Some(&sup))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let today = app.clock.today();
    let (s, _) = schedule(&app, &sup, p0, today, Some(sup_id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not assigned yet");

    // Scheduling: the bureau's officer, a date from today, someone of the bureau.
    let (s, _) = schedule(&app, ngo, p0, today, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let ngo_id = app.get("/api/v1/me", Some(ngo)).await.1["id"]
        .as_i64()
        .unwrap();
    let (s, v) = schedule(&app, o, p0, today - Duration::days(1), Some(ngo_id)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        has_error(&v, "scheduled_on") && has_error(&v, "visitor_id"),
        "{v}"
    );
    let (s, v) = schedule(&app, o, p0, today, Some(sup_id)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let visit = v["id"].as_i64().unwrap();
    assert!(app
        .last_email_to("sup@gusu.gov.cn")
        .await
        .subject
        .contains("督导走访安排"));
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("督导走访安排"));
    assert_eq!(count_of(&app, &sup, "visit_scheduled").await, 1);

    // Assigned, the supervisor reads this project only, and releases nothing.
    let (s, _) = app.get(&format!("/api/v1/projects/{p0}"), Some(&sup)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/api/v1/projects/{p1}"), Some(&sup)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = schedule(&app, &sup, p1, today, Some(sup_id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = pay(&app, &sup, tranche).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/dashboard/projects", Some(&sup)).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );

    // Recording: every problem at once, by field.
    let mut bad = record_body(today + Duration::days(1), None);
    bad["checklist"][1]["note"] = json!("");
    bad["rating"] = json!("");
    bad["findings"] = json!([{"text": "", "rectify_by": "2027-02-30"}]);
    let (s, v) = app
        .post(&format!("/api/v1/visits/{visit}/record"), Some(&sup), bad)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    for field in [
        "visited_on",
        "checklist.sign_in_sheets.note",
        "rating",
        "findings.0.text",
        "findings.0.rectify_by",
    ] {
        assert!(has_error(&v, field), "{field}: {v}");
    }
    let by = working_day(&app, 7).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/visits/{visit}/record"),
            Some(&sup),
            record_body(today, Some(by)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/visits/{visit}/record"),
            Some(&sup),
            record_body(today, Some(by)),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_recorded"))
    );
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("督导结果"));
    // Photos: images only.
    let (s, v) = app
        .upload(
            &format!("/api/v1/visits/{visit}/photos"),
            &sup,
            "x.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "file"), "{v}");
    let (s, _) = app
        .upload(
            &format!("/api/v1/visits/{visit}/photos"),
            &sup,
            "现场.png",
            PNG,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .upload(
            &format!("/api/v1/visits/{visit}/photos"),
            ngo,
            "现场.png",
            PNG,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The NGO sees the findings; the open rectification holds the tranche (409, stable code).
    let (s, v) = app
        .get(&format!("/api/v1/projects/{p0}/visits"), Some(ngo))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["holding"], 1, "{v}");
    let findings = v["visits"][0]["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 2, "{v}");
    assert_eq!(v["visits"][0]["photos"].as_array().unwrap().len(), 1);
    assert_eq!(v["visits"][0]["rating"], "fair");
    let held = findings[0]["id"].as_i64().unwrap();
    assert_eq!(findings[0]["holds"], true);
    assert_eq!(findings[1]["holds"], false);
    let (s, v) = pay(&app, o, tranche).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("held_by_rectification")),
        "{v}"
    );
    assert_eq!(
        count_of(&app, o, "tranche_release").await,
        0,
        "a held tranche is not due"
    );
    assert!(
        v["title"].as_str().unwrap().contains(&by.to_string()),
        "{v}"
    );

    // The NGO responds (with a file); only the officer closes.
    let (s, v) = app
        .post(
            &format!("/api/v1/findings/{held}/respond"),
            Some(ngo),
            json!({"response": "  "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "response"), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/findings/{held}/respond"),
            Some(&a.members[1]),
            json!({"response": "别人的"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/findings/{held}/respond"),
            Some(ngo),
            json!({"response": "已补充活动记录并退回一张发票。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .upload(
            &format!("/api/v1/findings/{held}/file"),
            ngo,
            "说明.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(count_of(&app, o, "finding_responded").await, 1);
    let (s, v) = pay(&app, o, tranche).await;
    assert_eq!(s, StatusCode::CONFLICT, "responded is not closed: {v}");
    for who in [ngo, &sup] {
        let (s, _) = app
            .post(
                &format!("/api/v1/findings/{held}/close"),
                Some(who),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/findings/{held}/close"),
            Some(o),
            json!({"note": "整改到位"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("整改事项已关闭"));
    let (s, v) = app
        .post(
            &format!("/api/v1/findings/{held}/close"),
            Some(o),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(count_of(&app, o, "tranche_release").await, 1);
    let (s, v) = pay(&app, o, tranche).await;
    assert_eq!(s, StatusCode::CREATED, "released once closed: {v}");

    // Reopening needs a reason; everything is on the project's audit trail.
    let (s, v) = app
        .post(
            &format!("/api/v1/findings/{held}/reopen"),
            Some(o),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "note"), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/findings/{held}/reopen"),
            Some(o),
            json!({"note": "复查发现仍有问题"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions = app.audit_actions("project", p0).await;
    for a in [
        "visit.scheduled",
        "visit.recorded",
        "visit.photo_uploaded",
        "finding.responded",
        "finding.file_attached",
        "finding.closed",
        "finding.reopened",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }

    // The evaluator of the project reads its visits, and records none.
    let (eva, eva_token) = agency(&app, o, 62, "张评", "eva@pinggu.cn").await;
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p0}/visits"), Some(&eva_token))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not yet this project's evaluator");
    let (s, v) = assign(&app, o, p0, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .get(&format!("/api/v1/projects/{p0}/visits"), Some(&eva_token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["visits"].as_array().unwrap().len(), 1);
    assert_eq!(v["may_supervise"], false);
    let (s, _) = app
        .get(&format!("/api/v1/visits/{visit}"), Some(&eva_token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = schedule(&app, &eva_token, p0, today, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Another bureau's officer sees and does nothing here.
    let other = app
        .staff(Role::Officer, "other@canglang.gov.cn", Some("沧浪区民政局"))
        .await;
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p0}/visits"), Some(&other))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/visits/{visit}"), Some(&other))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = schedule(&app, &other, p0, today, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/api/v1/findings/{held}/close"),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // … nor may the other bureau's officer send its own people on this bureau's visits.
    let (s, v) = schedule(&app, o, p0, today, Some(sup_id + 1000)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}
dual!(a_visits_open_rectification_holds_the_tranche_until_the_officer_closes_it);

async fn an_overdue_rectification_enters_the_queue_and_the_projects_at_risk(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let (o, ngo1) = (&a.officer, &a.members[1]);
    let today = app.clock.today();
    // The officer visits p1 themself.
    let (s, v) = schedule(&app, o, p1, today, None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let visit = v["id"].as_i64().unwrap();
    assert_eq!(count_of(&app, o, "visit_scheduled").await, 1);
    // A rectification date must be a working day after today.
    let mut weekend = today + Duration::days(7);
    while chrono::Datelike::weekday(&weekend).number_from_monday() < 6 {
        weekend += Duration::days(1);
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/visits/{visit}/record"),
            Some(o),
            record_body(today, Some(weekend)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "findings.0.rectify_by"), "{v}");
    let by = working_day(&app, 5).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/visits/{visit}/record"),
            Some(o),
            record_body(today, Some(by)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(count_of(&app, o, "visit_scheduled").await, 0);
    assert_eq!(count_of(&app, ngo1, "finding_rectify").await, 1);
    assert_eq!(count_of(&app, o, "finding_overdue").await, 0);
    let at_risk = |v: &Value| -> Vec<i64> {
        v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["project"]["id"].as_i64().unwrap())
            .collect()
    };
    let api = format!(
        "/api/v1/rounds/{}/dashboard?trouble=overdue_rectification",
        a.round
    );
    let (s, v) = app.get(&api, Some(o)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(at_risk(&v).is_empty(), "{v}");

    // The day after its date, unanswered, it is overdue.
    app.clock
        .set((by + Duration::days(1)).and_hms_opt(2, 0, 0).unwrap());
    assert_eq!(count_of(&app, o, "finding_overdue").await, 1);
    let (s, q) = app
        .get("/api/v1/me/tasks?kind=finding_overdue", Some(o))
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let item = &q["items"][0];
    assert_eq!(item["urgency"], "overdue", "{q}");
    assert!(
        item["link"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/visits/{visit}#finding-")),
        "{q}"
    );
    let (s, v) = app.get(&api, Some(o)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(at_risk(&v), [p1], "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{}/dashboard", a.round), Some(o))
        .await;
    let line = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["project"]["id"] == p1)
        .unwrap();
    assert!(
        line["troubles"]
            .as_array()
            .unwrap()
            .contains(&json!("overdue_rectification")),
        "{line}"
    );
    let card = v["totals"]["troubles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trouble"] == "overdue_rectification")
        .unwrap()
        .clone();
    assert_eq!(card["projects"], 1, "{v}");
    let (s, v) = app
        .get(
            "/api/v1/dashboard/projects?trouble=overdue_rectification",
            Some(o),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total_lines"], 1, "{v}");
    assert!(!at_risk(&v).contains(&p0));

    // The page shows the card and the finding; a response takes it off the overdue list.
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let page = format!("/rounds/{}/dashboard", a.round);
    let (s, html) = officer.get_text(&app, &page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"{page}?trouble=overdue_rectification\"")),
        "a card links to the filtered table"
    );
    let (s, html) = officer.get_text(&app, &format!("/projects/{p1}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"tranche-hold\""), "the hold is shown");
    assert!(html.contains(&format!("href=\"/visits/{visit}\"")));
    let (_, v) = app
        .get(&format!("/api/v1/projects/{p1}/visits"), Some(ngo1))
        .await;
    let held = v["visits"][0]["findings"][0]["id"].as_i64().unwrap();
    assert_eq!(v["visits"][0]["findings"][0]["overdue"], true);
    let (s, _) = app
        .post(
            &format!("/api/v1/findings/{held}/respond"),
            Some(ngo1),
            json!({"response": "已整改"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count_of(&app, o, "finding_overdue").await, 0);
    assert_eq!(count_of(&app, ngo1, "finding_rectify").await, 0);
}
dual!(an_overdue_rectification_enters_the_queue_and_the_projects_at_risk);

async fn visits_are_scheduled_recorded_and_answered_in_the_browser(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let p0 = a.projects[0];
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, html) = officer.get_text(&app, &format!("/projects/{p0}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"schedule-visit\""), "the schedule form");

    // A bad date is shown on the project page; a good one opens the visit.
    let res = officer
        .post_form(
            &app,
            &format!("/projects/{p0}/visits"),
            &[("scheduled_on", "2020-01-01"), ("visitor_id", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-scheduled_on\""), "field error shown");
    let today = app.clock.today().to_string();
    let res = officer
        .post_form(
            &app,
            &format!("/projects/{p0}/visits"),
            &[("scheduled_on", today.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let visit_page = location(&res);
    assert!(visit_page.starts_with("/visits/"), "{visit_page}");
    let (s, html) = officer.get_text(&app, &visit_page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"record\""), "the record form");

    // Missing results and rating are shown beside the fields, with what was typed kept.
    let record = format!("{visit_page}/record");
    let by = working_day(&app, 7).await.to_string();
    let res = officer
        .post_form(
            &app,
            &record,
            &[
                ("visited_on", today.as_str()),
                ("result.activity_records", "compliant"),
                ("findings.2.text", "台账缺两次活动"),
                ("findings.2.rectify_by", by.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"e-rating\""), "rating error");
    assert!(
        html.contains("id=\"e-checklist.safety\""),
        "checklist error"
    );
    assert!(html.contains("台账缺两次活动"), "typed finding kept");
    let mut fields: Vec<(&str, &str)> = vec![
        ("visited_on", today.as_str()),
        ("rating", "good"),
        ("summary", "良好"),
        ("findings.2.text", "台账缺两次活动"),
        ("findings.2.rectify_by", by.as_str()),
    ];
    let items = [
        "result.activity_records",
        "result.sign_in_sheets",
        "result.financial_vouchers",
        "result.publicity",
        "result.safety",
    ];
    for i in items {
        fields.push((i, "compliant"));
    }
    let res = officer.post_form(&app, &record, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, html) = officer.get_text(&app, &visit_page).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"checklist\"") && html.contains("台账缺两次活动"));
    assert!(html.contains("id=\"tranche-hold\""));

    // The NGO answers on the visit page it reaches from its project page.
    let ngo = app.browser();
    ngo.login(&app, "ngo0@example.org", PASSWORD).await;
    let (s, html) = ngo.get_text(&app, &format!("/projects/{p0}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("台账缺两次活动"),
        "findings on the project page"
    );
    let (_, v) = app
        .get(
            &format!("/api/v1/projects/{p0}/visits"),
            Some(&a.members[0]),
        )
        .await;
    let fid = v["visits"][0]["findings"][0]["id"].as_i64().unwrap();
    let res = ngo
        .post_form(
            &app,
            &format!("/findings/{fid}/respond"),
            &[("response", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("id=\"e-response\""));
    let res = ngo
        .post_form(
            &app,
            &format!("/findings/{fid}/respond"),
            &[("response", "已补齐台账")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = officer
        .post_form(&app, &format!("/findings/{fid}/close"), &[("note", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = officer.get_text(&app, &visit_page).await;
    assert!(!html.contains("id=\"tranche-hold\""), "closed: no hold");
    // The supervisor's list page and the officer's.
    let (s, html) = officer.get_text(&app, "/visits").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("href=\"{visit_page}\"")));
}
dual!(visits_are_scheduled_recorded_and_answered_in_the_browser);
