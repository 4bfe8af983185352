//! Proposals: drafts, submission rules, numbering, receipts, PDFs, withdrawal, privacy.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual;
use crate::helpers::{location, spawn, spawn_with, Backend, Browser, TestApp, PASSWORD};
use crate::rounds::open_round;
use yichuang::domain::outbox::MailKind;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// A verified NGO with its registration certificate on file; returns the member's token.
pub async fn eligible_ngo(app: &TestApp, officer: &str, email: &str, serial: u32) -> (String, i64) {
    let member = app.ngo_member(email).await;
    let org = app.ngo_org(&member, serial, Some(officer)).await;
    let form = reqwest::multipart::Form::new()
        .text("kind", "registration_certificate")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("证书.pdf"),
        );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/orgs/{org}/documents")))
        .bearer_auth(&member)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    (member, org)
}

/// Content that passes every rule of a default round closing in 30 days on the app's clock.
pub fn content(app: &TestApp) -> Value {
    let start = app.clock.today() + Duration::days(45);
    let end = start + Duration::days(330);
    let mid = start + Duration::days(150);
    json!({
        "category": "为老服务",
        "title": "银龄互助·独居老人关爱计划",
        "summary": "为平江街道独居老人提供探访、助餐和心理支持。",
        "need_analysis": "街道60岁以上独居老人约420人，其中高龄独居者缺少日常照料。",
        "target_group": "平江街道独居老人",
        "service_area": "平江街道 6 个社区",
        "activities": "入户探访、助餐配送、健康讲座、志愿者培训。",
        "team": "项目负责人1名、社工3名、志愿者40名。",
        "project_lead": "王芳",
        "project_lead_phone": "13800138000",
        "start_date": start,
        "end_date": end,
        "requested_grant": 5_000_000,
        "beneficiaries": [{"category": "老年人", "unique_people": 120, "person_times": 960}],
        "indirect_beneficiaries": "老人家属约200人",
        "milestones": [{"due": mid, "title": "中期", "deliverable": "中期报告", "target_beneficiaries": 60}],
        "budget": [
            {"category": "activity", "item": "活动物料", "amount": 3_000_000, "source": "grant"},
            {"category": "personnel", "item": "社工补贴", "amount": 1_500_000, "source": "grant"},
            {"category": "admin", "item": "管理费", "amount": 500_000, "source": "grant"},
            {"category": "activity", "item": "场地", "amount": 2_000_000, "source": "community"}
        ]
    })
}

/// A new empty draft of `member`'s organization in `round`.
pub async fn start(app: &TestApp, member: &str, round: i64) -> i64 {
    let (s, v) = app
        .post(
            &format!("/api/v1/calls/{round}/proposals"),
            Some(member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

/// Saves `content` over the draft at its current version.
pub async fn save(app: &TestApp, member: &str, id: i64, content: Value) -> (StatusCode, Value) {
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(member))
        .await;
    let version = v["proposal"]["version"].clone();
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{id}"),
        Some(member),
        Some(json!({"version": version, "content": content})),
    )
    .await
}

async fn a_draft_is_fixed_submitted_numbered_and_receipted(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    let (member, _) = eligible_ngo(&app, &officer, "applicant@linli.org.cn", 1).await;
    let id = start(&app, &member, round).await;
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["proposal"]["status"], "draft");
    assert!(
        v["submission_problems"].as_array().unwrap().len() > 5,
        "an empty draft lists its gaps"
    );

    // Saved with a budget that does not add up: the draft keeps it, submission refuses it.
    let mut c = content(&app);
    c["requested_grant"] = json!(6_000_000);
    c["beneficiaries"][0]["unique_people"] = json!(2000);
    let (s, v) = save(&app, &member, id, c).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["beneficiaries", "budget", "budget"],
        "lines ≠ grant, and too little matching"
    );
    assert!(
        v["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("¥50,000.00"),
        "{v}"
    );
    let (_, d) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(d["proposal"]["status"], "draft", "nothing changed");

    let (s, _) = save(&app, &member, id, content(&app)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["number"], "GY-2027-0001");
    // A second click changes nothing and sends no second receipt.
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["number"].as_str()),
        (StatusCode::OK, Some("GY-2027-0001"))
    );
    let receipts: Vec<_> = app
        .emails_to("applicant@linli.org.cn")
        .await
        .into_iter()
        .filter(|m| m.kind == MailKind::ProposalReceived)
        .collect();
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].subject.contains("GY-2027-0001"));

    // Frozen.
    let (s, v) = save(&app, &member, id, content(&app)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("proposal_frozen"))
    );

    // The PDF carries the Chinese text and the number.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/proposals/{id}/pdf")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = crate::helpers::pdf_text(&r.bytes().await.unwrap());
    for needle in [
        "银龄互助·独居老人关爱计划",
        "GY-2027-0001",
        "¥50,000.00",
        "社工补贴",
        "平江街道独居老人",
    ] {
        assert!(text.contains(needle), "{needle} missing: {text}");
    }
    assert_eq!(
        app.audit_actions("proposal", id).await,
        vec![
            "proposal.submitted",
            "proposal.saved",
            "proposal.saved",
            "proposal.started"
        ]
    );
}
dual!(a_draft_is_fixed_submitted_numbered_and_receipted);

async fn two_editors_never_overwrite_each_other(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "a@example.org", 2).await;
    let id = start(&app, &member, round).await;
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    let version = v["proposal"]["version"].clone();
    let mut mine = content(&app);
    mine["title"] = json!("我的标题");
    let mut theirs = content(&app);
    theirs["title"] = json!("同事的标题");
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(&member),
            Some(json!({"version": version, "content": theirs})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(&member),
            Some(json!({"version": version, "content": mine})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("edit_conflict"))
    );
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["content"]["title"], "同事的标题");
}
dual!(two_editors_never_overwrite_each_other);

async fn after_the_deadline_the_server_refuses_the_submission(b: Backend) {
    let app = spawn_with(b, |s| s.worker = false).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "late@example.org", 3).await;
    let id = start(&app, &member, round).await;
    save(&app, &member, id, content(&app)).await;
    let closes_at = crate::reviews::round_row(&app, round)
        .await
        .closes_at
        .unwrap();
    app.clock.set(closes_at + Duration::seconds(1));
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["code"].as_str()
        ),
        (Some("deadline"), Some("round_not_accepting"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/calls/{round}/proposals"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "no new drafts either");
}
dual!(after_the_deadline_the_server_refuses_the_submission);

/// An open round of the officer's bureau closing at `closes_at` (UTC); returns its id.
async fn round_closing(app: &TestApp, officer: &str, closes_at: chrono::NaiveDateTime) -> i64 {
    let mut r = crate::rounds::round_json(app, "2027年姑苏区公益创投大赛");
    r["closes_at"] = json!(closes_at.and_utc().to_rfc3339());
    r["review_due"] = json!((closes_at + Duration::days(30)).and_utc().to_rfc3339());
    let (s, v) = app.post("/api/v1/rounds", Some(officer), r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    id
}

/// The eligibility rules (registration age, inspection years, bars, project start) read the
/// deadline's Beijing date: a round closing at 23:30 on
/// 31 December in Beijing and one closing at 07:30 on 1 January in Beijing (still
/// 31 December in UTC) judge the same organization and project differently.
async fn eligibility_reads_the_beijing_date_of_the_deadline(b: Backend) {
    let app = spawn(b).await;
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    app.clock.set(at("2026-12-01 02:00"));
    let officer = app.officer().await;
    // 23:30 Beijing on 31 December = 15:30 UTC; 07:30 Beijing on 1 January = 23:30 UTC the
    // day before.
    let new_years_eve = round_closing(&app, &officer, at("2026-12-31 15:30")).await;
    let new_year = round_closing(&app, &officer, at("2026-12-31 23:30")).await;

    // Registered 2026-01-01 (the round asks for 12 months), inspected for 2025 and 2026.
    let member = app.ngo_member("newyear@example.org").await;
    let mut org = crate::helpers::org_json(&app, 40);
    org["registered_on"] = json!("2026-01-01");
    org["inspections"] = json!([
        {"year": 2026, "result": "qualified"},
        {"year": 2025, "result": "qualified"}
    ]);
    let (s, v) = app.post("/api/v1/orgs", Some(&member), org).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let org_id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{org_id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Barred by this bureau up to and including 31 December.
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{org_id}/bars"),
            Some(&officer),
            json!({"until": "2026-12-31", "reason": "2025年项目末期评估不合格"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A project starting on 31 December.
    let mut c = content(&app);
    c["start_date"] = json!("2026-12-31");
    c["end_date"] = json!("2027-11-30");
    c["milestones"][0]["due"] = json!("2027-06-30");
    let mut problems = Vec::new();
    for round in [new_years_eve, new_year] {
        let id = start(&app, &member, round).await;
        let (s, v) = save(&app, &member, id, c.clone()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = app
            .get(&format!("/api/v1/proposals/{id}"), Some(&member))
            .await;
        let found: Vec<String> = v["submission_problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["field"] != "attachments")
            .map(|p| {
                format!(
                    "{}:{}",
                    p["field"].as_str().unwrap(),
                    p["code"].as_str().unwrap()
                )
            })
            .collect();
        problems.push((found, v));
    }
    // 31 December in Beijing: one day short of 12 months, the inspections asked for are
    // those of 2025 and 2024, the bar is still in force; a start on the deadline's date is
    // fine.
    assert_eq!(
        problems[0].0,
        vec!["org:org_too_young", "org:org_inspection", "org:org_barred"],
        "{}",
        problems[0].1
    );
    assert!(
        problems[0].1.to_string().contains("2024"),
        "the missing year is 2024: {}",
        problems[0].1
    );
    // 1 January in Beijing: 12 months exactly, 2026 and 2025 inspected, the bar is over,
    // and the project starts before the deadline.
    assert_eq!(
        problems[1].0,
        vec!["start_date:start_before_close"],
        "{}",
        problems[1].1
    );
}
dual!(eligibility_reads_the_beijing_date_of_the_deadline);

async fn proposals_are_private_to_the_org_and_its_bureau(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let other_bureau = app
        .staff(
            yichuang::domain::account::Role::Officer,
            "o@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "a@example.org", 4).await;
    let (nosy, _) = eligible_ngo(&app, &officer, "b@example.org", 5).await;
    let id = start(&app, &member, round).await;
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{id}"), Some(&nosy))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let put = json!({"version": 1, "content": content(&app)});
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(&nosy),
            Some(put),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&nosy),
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{id}"), Some(&officer))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "a draft is the organization's"
    );
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{id}"), Some(&other_bureau))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&officer),
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}
dual!(proposals_are_private_to_the_org_and_its_bureau);

/// The bureau receives a proposal when it is submitted: before, its officers see only how
/// many drafts the round has, on the round page, the submissions page and in the API.
async fn officers_see_drafts_only_as_a_count(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let officer_web = app.browser();
    officer_web
        .login(&app, "officer@gusu.gov.cn", PASSWORD)
        .await;
    let round = open_round(&app, &officer, "批次").await;
    let (writing, _) = eligible_ngo(&app, &officer, "writing@example.org", 41).await;
    let (dropped, _) = eligible_ngo(&app, &officer, "dropped@example.org", 42).await;
    let (sent, _) = eligible_ngo(&app, &officer, "sent@example.org", 43).await;
    // A draft being written, a draft given up, and a proposal submitted then withdrawn.
    let draft = start(&app, &writing, round).await;
    save(&app, &writing, draft, content(&app)).await;
    let given_up = start(&app, &dropped, round).await;
    save(&app, &dropped, given_up, content(&app)).await;
    let withdrawn = start(&app, &sent, round).await;
    save(&app, &sent, withdrawn, content(&app)).await;
    for (member, id) in [(&sent, withdrawn)] {
        let (s, v) = app
            .post(
                &format!("/api/v1/proposals/{id}/submit"),
                Some(member),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    for (member, id) in [(&dropped, given_up), (&sent, withdrawn)] {
        let (s, v) = app
            .post(
                &format!("/api/v1/proposals/{id}/withdraw"),
                Some(member),
                json!({"reason": "不再申报"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    // Drafts, also a withdrawn one, answer 403 to the officer in the page, the API, the PDF.
    for id in [draft, given_up] {
        let (s, _) = app
            .get(&format!("/api/v1/proposals/{id}"), Some(&officer))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "API, proposal {id}");
        let (s, _) = officer_web
            .get_text(&app, &format!("/proposals/{id}"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "page, proposal {id}");
        let r = app
            .client
            .get(app.url(&format!("/api/v1/proposals/{id}/pdf")))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "PDF, proposal {id}");
        let (s, _) = app
            .get(&format!("/api/v1/proposals/{id}/checklist"), Some(&officer))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "checklist, proposal {id}");
    }
    // A submitted one stays readable after its withdrawal, as before.
    let (s, v) = app
        .get(&format!("/api/v1/proposals/{withdrawn}"), Some(&officer))
        .await;
    assert_eq!(
        (s, &v["proposal"]["status"]),
        (StatusCode::OK, &json!("withdrawn"))
    );
    let (s, _) = officer_web
        .get_text(&app, &format!("/proposals/{withdrawn}"))
        .await;
    assert_eq!(s, StatusCode::OK);

    // The round counts one draft; the submissions list only what was received.
    let (s, v) = app
        .get(&format!("/api/v1/rounds/{round}"), Some(&officer))
        .await;
    assert_eq!((s, &v["drafts"]), (StatusCode::OK, &json!(1)), "{v}");
    let (_, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions"),
            Some(&officer),
        )
        .await;
    let ids: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![withdrawn], "{v}");
    for path in [
        format!("/rounds/{round}"),
        format!("/rounds/{round}/submissions"),
    ] {
        let (s, page) = officer_web.get_text(&app, &path).await;
        assert_eq!(s, StatusCode::OK);
        let drafts = crate::helpers::text_of(&page, "drafts");
        assert!(drafts.contains("尚未提交的草稿：1"), "{path}: {drafts}");
    }
    // The public call does not carry the count.
    let (_, v) = app.get(&format!("/api/v1/calls/{round}"), None).await;
    assert!(v.get("drafts").is_none(), "{v}");

    // Submitted: the officer reads it, and the count goes down.
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{draft}/submit"),
            Some(&writing),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .get(&format!("/api/v1/proposals/{draft}"), Some(&officer))
        .await;
    assert_eq!(
        (s, &v["proposal"]["status"]),
        (StatusCode::OK, &json!("submitted"))
    );
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{round}"), Some(&officer))
        .await;
    assert_eq!(v["drafts"], 0);
}
dual!(officers_see_drafts_only_as_a_count);

async fn only_eligible_organizations_within_the_limit_may_submit(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    // Not verified yet: cannot even start.
    let pending = app.ngo_member("pending@example.org").await;
    app.ngo_org(&pending, 6, None).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/calls/{round}/proposals"),
            Some(&pending),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("org_not_verified"))
    );

    // Verified but no certificate on file.
    let bare = app.ngo_member("bare@example.org").await;
    app.ngo_org(&bare, 7, Some(&officer)).await;
    let id = start(&app, &bare, round).await;
    save(&app, &bare, id, content(&app)).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&bare),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("certificate_missing")
        )
    );
    // Attaching it to the proposal is enough.
    let form = reqwest::multipart::Form::new()
        .text("kind", "registration_certificate")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("证书.pdf"),
        );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/proposals/{id}/attachments")))
        .bearer_auth(&bare)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&bare),
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );

    // At most two per organization; a withdrawn one does not count.
    let (member, _) = eligible_ngo(&app, &officer, "busy@example.org", 8).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = start(&app, &member, round).await;
        save(&app, &member, id, content(&app)).await;
        ids.push(id);
    }
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{}/submit", ids[0]),
            Some(&member),
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{}/submit", ids[1]),
            Some(&member),
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/submit", ids[2]),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("org_limit"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{}/withdraw", ids[1]),
            Some(&member),
            json!({"reason": "合并为一个项目"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/submit", ids[2]),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["number"], "GY-2027-0004", "numbers are never reused");
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{}", ids[1]), Some(&member))
        .await;
    assert_eq!(v["proposal"]["status"], "withdrawn");
}
dual!(only_eligible_organizations_within_the_limit_may_submit);

async fn the_proposal_page_saves_sections_and_keeps_bad_rows(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "page@example.org", 9).await;
    let web = app.browser();
    web.login(&app, "page@example.org", PASSWORD).await;
    let r = web
        .post_form(&app, &format!("/calls/{round}/proposals"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page_url = location(&r);
    let id: i64 = page_url.rsplit('/').next().unwrap().parse().unwrap();
    let (_, page) = web.get_text(&app, &page_url).await;
    assert!(page.contains("提交前请解决以下问题"));
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/budget"),
            &[
                ("version", "1"),
                ("l_cat_0", "activity"),
                ("l_item_0", "活动物料"),
                ("l_amount_0", "三万"),
                ("l_source_0", "grant"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("预算第 1 行不完整"), "the row is named");
    assert!(page.contains(r#"value="三万""#), "what was typed is kept");
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/budget"),
            &[
                ("version", "1"),
                ("l_cat_0", "activity"),
                ("l_item_0", "活动物料"),
                ("l_amount_0", "3万"),
                ("l_source_0", "grant"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The version moved on: a stale form is a clear conflict.
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/basics"),
            &[("version", "1"), ("title", "过期的表单")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("其他人已修改"));
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["content"]["budget"][0]["amount"], 3_000_000);
}
dual!(the_proposal_page_saves_sections_and_keeps_bad_rows);

async fn a_barred_organization_cannot_submit_to_that_bureau(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, org) = eligible_ngo(&app, &officer, "barred@example.org", 10).await;
    let id = start(&app, &member, round).await;
    save(&app, &member, id, content(&app)).await;

    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{org}/bars"),
            Some(&officer),
            json!({"until": "2020-01-01", "reason": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("until"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{org}/bars"),
            Some(&member),
            json!({"until": "2030-01-01", "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A bar by another bureau does not matter here.
    let other = app
        .staff(
            yichuang::domain::account::Role::Officer,
            "o@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{org}/bars"),
            Some(&other),
            json!({"until": "2030-01-01", "reason": "吴中区项目终止"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["submission_problems"], json!([]), "{v}");

    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{org}/bars"),
            Some(&officer),
            json!({"until": "2030-01-01", "reason": "上期项目末期评估不合格"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.last_email_to("barred@example.org").await.kind,
        MailKind::OrgBarred
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("org_barred"))
    );
    let (_, v) = app.get(&format!("/api/v1/orgs/{org}"), Some(&member)).await;
    assert_eq!(v["bars"].as_array().unwrap().len(), 2);
}
dual!(a_barred_organization_cannot_submit_to_that_bureau);

async fn a_returned_proposal_cannot_come_back_after_its_deadline(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "slow@example.org", 11).await;
    let id = start(&app, &member, round).await;
    save(&app, &member, id, content(&app)).await;
    app.post(
        &format!("/api/v1/proposals/{id}/submit"),
        Some(&member),
        json!({}),
    )
    .await;
    let deadline = (app.clock.now() + Duration::hours(8) + Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{id}/screening"),
            Some(&officer),
            json!({"decision": "return", "comment": "补充材料", "return_deadline": deadline}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let deadline = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::proposals;
            proposals::table
                .find(id)
                .select(proposals::return_deadline)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .unwrap()
                .unwrap()
        })
        .await;
    app.clock.set(deadline + Duration::minutes(1));
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("return_deadline_passed")
        )
    );
}
dual!(a_returned_proposal_cannot_come_back_after_its_deadline);

/// The proposal page of `id` for the signed-in `web`, and the API's answer to `token`.
async fn page_and_api(app: &TestApp, web: &Browser, token: &str, id: i64) -> (String, Value) {
    let (s, page) = web.get_text(app, &format!("/proposals/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (s, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (page, v)
}

/// Text as a page shows it (escaped), to find the API's strings in a page.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The `<li>` items of the list that starts at `marker` in `page`.
fn list_items(page: &str, marker: &str) -> usize {
    page.split_once(marker).map_or(0, |(_, rest)| {
        rest.split_once("</ul>")
            .map_or(rest, |(list, _)| list)
            .matches("<li")
            .count()
    })
}

async fn the_page_and_the_api_show_the_same_proposal_to_its_member_and_the_officer(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    let (member, _) = eligible_ngo(&app, &officer, "same@example.org", 12).await;
    let member_web = app.browser();
    member_web.login(&app, "same@example.org", PASSWORD).await;
    let officer_web = app.browser();
    officer_web
        .login(&app, "officer@gusu.gov.cn", PASSWORD)
        .await;
    let id = start(&app, &member, round).await;
    let mut c = content(&app);
    c["title"] = json!("");
    c["budget"][0]["item"] = json!("购置固定资产");
    let (s, v) = save(&app, &member, id, c.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A draft: its member sees the same problems, field by field, and the flagged line.
    let (page, v) = page_and_api(&app, &member_web, &member, id).await;
    let problems = v["submission_problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["field"] == "title" && p["code"] == "required"),
        "{v}"
    );
    assert_eq!(list_items(&page, r#"id="problems""#), problems.len());
    for p in problems {
        assert!(
            page.contains(&html(p["message"].as_str().unwrap())),
            "{p} is on the page too"
        );
    }
    assert_eq!(v["flagged_budget_lines"], json!([0]));
    assert_eq!(page.matches("资助资金不得用于固定资产").count(), 1);
    assert_eq!(v["can_edit"], true);
    assert_eq!(v["org_name"], "姑苏区阳光社工服务中心12");
    assert!(page.contains("姑苏区阳光社工服务中心12"));
    // No checklist for a draft; the officer does not read it at all (a draft is the
    // organization's until submitted).
    assert_eq!(v["checklist"], Value::Null);
    assert!(!page.contains(r#"id="screening""#));
    let (s, _) = officer_web
        .get_text(&app, &format!("/proposals/{id}"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Submitted: nothing in the way; the checklist is the bureau's alone.
    c["title"] = json!("银龄互助·独居老人关爱计划");
    let (s, v) = save(&app, &member, id, c).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (page, v) = page_and_api(&app, &member_web, &member, id).await;
    assert_eq!(v["submission_problems"], json!([]));
    assert_eq!(v["proposal"]["status"], "submitted");
    assert!(page.contains(v["proposal"]["number"].as_str().unwrap()));
    assert_eq!(v["checklist"], Value::Null, "{v}");
    assert!(!page.contains(r#"id="screening""#));
    assert_eq!(
        (&v["can_screen"], &v["can_withdraw"]),
        (&json!(false), &json!(true))
    );
    assert!(page.contains(r#"id="withdraw""#));
    assert_eq!(v["outcome"], Value::Null);
    assert!(!page.contains(r#"id="outcome""#));

    let (page, v) = page_and_api(&app, &officer_web, &officer, id).await;
    let checklist = v["checklist"].as_array().unwrap();
    assert_eq!(
        list_items(&page, r#"<ul class="checklist">"#),
        checklist.len()
    );
    for line in checklist {
        let mark = if line["ok"] == true { "✓" } else { "✗" };
        let label = html(line["label"].as_str().unwrap());
        assert!(page.contains(&format!("{mark} {label}")), "{line}");
        for pr in line["problems"].as_array().unwrap() {
            assert!(page.contains(&html(pr.as_str().unwrap())), "{pr}");
        }
    }
    let forbidden = checklist
        .iter()
        .find(|l| l["key"] == "forbidden_items")
        .unwrap();
    assert_eq!(forbidden["ok"], false, "{forbidden}");
    assert_eq!(
        (&v["can_screen"], &v["can_withdraw"]),
        (&json!(true), &json!(false))
    );
    assert!(page.contains(r#"id="screen-proposal""#));
    assert!(!page.contains(r#"id="withdraw""#));
}
dual!(the_page_and_the_api_show_the_same_proposal_to_its_member_and_the_officer);

async fn after_the_award_the_page_and_the_api_show_the_result_with_anonymous_comments(b: Backend) {
    let app = spawn(b).await;
    let r = crate::award::ranked_round(&app, 12_000_000, &[90, 50], 3).await;
    let (funded, below) = (r.pids[0], r.pids[1]);
    let mut webs = Vec::new();
    for email in [
        "ngo0@example.org",
        "ngo1@example.org",
        "officer@gusu.gov.cn",
    ] {
        let web = app.browser();
        web.login(&app, email, PASSWORD).await;
        webs.push(web);
    }
    crate::award::start_notice(&app, &r).await;

    // During the notice (公示): the line and the score, but no comments yet.
    let (page, v) = page_and_api(&app, &webs[0], &r.members[0], funded).await;
    let o = &v["outcome"];
    assert_eq!(
        (&o["state"], &o["rank"], &o["ranked"], &o["score_tenths"]),
        (&json!("funded"), &json!(1), &json!(2), &json!(900)),
        "{v}"
    );
    assert_eq!(
        (&o["amount_fen"], &o["awarded"]),
        (&json!(5_000_000), &json!(false))
    );
    assert_eq!(o["reviewer_comments"], json!([]));
    assert!(page.contains(r#"id="outcome""#));
    assert!(page.contains("<strong>90</strong>") && page.contains("1/2"));
    assert!(page.contains("<strong>¥50,000.00</strong>"));
    assert!(!page.contains("意见0"));

    crate::award::end_notice(&app, r.round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Awarded: the member and the officer see the project and the reviewers' comments,
    // without the reviewers.
    for (web, token) in [(&webs[0], &r.members[0]), (&webs[2], &r.officer)] {
        let (page, v) = page_and_api(&app, web, token, funded).await;
        let o = &v["outcome"];
        assert_eq!(o["awarded"], true, "{v}");
        assert_eq!(o["reviewer_comments"], json!(["意见0", "意见0", "意见0"]));
        let project = o["project_id"].as_i64().unwrap();
        assert!(page.contains(&format!(r#"href="/projects/{project}""#)));
        assert_eq!(page.matches("<li>意见0</li>").count(), 3);
        for expert in ["expert0@univ.edu.cn", "expert1@univ.edu.cn"] {
            assert!(!page.contains(expert) && !v.to_string().contains(expert));
        }
    }
    // Below the threshold: no grant and no project, but the comments.
    let (page, v) = page_and_api(&app, &webs[1], &r.members[1], below).await;
    let o = &v["outcome"];
    assert_eq!(
        (&o["state"], &o["amount_fen"], &o["project_id"]),
        (&json!("not_fundable"), &Value::Null, &Value::Null),
        "{v}"
    );
    assert_eq!(o["reviewer_comments"], json!(["意见1", "意见1", "意见1"]));
    assert_eq!(page.matches("<li>意见1</li>").count(), 3);
    assert!(!page.contains(r#"<a class="button" href="/projects/"#));
}
dual!(after_the_award_the_page_and_the_api_show_the_result_with_anonymous_comments);
