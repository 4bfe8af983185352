//! Screening: checklist, decisions with reasons, returns with deadlines, bulk, exports.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::dual;
use crate::helpers::{spawn, Backend, TestApp, PASSWORD};
use crate::proposals::{content, eligible_ngo};
use crate::rounds::open_round;
use yichuang::domain::outbox::MailKind;

/// A round with `n` submitted proposals from different NGOs; returns (officer, round, [(member token, email, proposal)]).
pub async fn round_with_submissions(
    app: &TestApp,
    n: u32,
) -> (String, i64, Vec<(String, String, i64)>) {
    let officer = app.officer().await;
    let round = open_round(app, &officer, "2027年姑苏区公益创投大赛").await;
    let mut out = Vec::new();
    for i in 0..n {
        let email = format!("ngo{i}@example.org");
        let (member, _) = eligible_ngo(app, &officer, &email, 100 + i).await;
        let (_, v) = app
            .post(
                &format!("/api/v1/calls/{round}/proposals"),
                Some(&member),
                json!({}),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        let mut c = content(app);
        c["title"] = json!(format!("社区项目{i}"));
        let (s, v) = app
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/proposals/{id}"),
                Some(&member),
                Some(json!({"version": 1, "content": c})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/proposals/{id}/submit"),
                Some(&member),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        out.push((member, email, id));
    }
    (officer, round, out)
}

fn soon() -> String {
    (Utc::now() + Duration::hours(8) + Duration::days(5))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn officers_screen_with_reasons_and_returns_come_back_corrected(b: Backend) {
    let app = spawn(b).await;
    let (officer, round, subs) = round_with_submissions(&app, 3).await;
    let (s, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions"),
            Some(&officer),
        )
        .await;
    assert_eq!((s, v["total"].as_i64()), (StatusCode::OK, Some(3)));
    let (_, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions?q=项目1"),
            Some(&officer),
        )
        .await;
    assert_eq!(v["total"], 1);
    let (_, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions?q=gy-2027-0002"),
            Some(&officer),
        )
        .await;
    assert_eq!(v["total"], 1, "numbers are searchable in any case");

    let (_, list) = app
        .get(
            &format!("/api/v1/proposals/{}/checklist", subs[0].2),
            Some(&officer),
        )
        .await;
    // Organization, attachments, content, period, beneficiaries, budget, targets,
    // forbidden items.
    assert_eq!(list.as_array().unwrap().len(), 8);
    assert!(
        list.as_array().unwrap().iter().all(|l| l["ok"] == true),
        "{list}"
    );

    // Eligible.
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[0].2),
            Some(&officer),
            json!({"decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.last_email_to(&subs[0].1).await.kind,
        MailKind::ProposalEligible
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[0].2),
            Some(&officer),
            json!({"decision": "ineligible", "reason": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_screenable")),
        "decided once"
    );

    // Ineligible needs a reason, which reaches the applicant.
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[1].2),
            Some(&officer),
            json!({"decision": "ineligible"}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[1].2),
            Some(&officer),
            json!({"decision": "ineligible", "reason": "服务区域不在本区"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mail = app.last_email_to(&subs[1].1).await;
    assert_eq!(mail.kind, MailKind::ProposalIneligible);
    assert!(mail.body_text.contains("服务区域不在本区"));

    // Returned for correction with a deadline; the applicant corrects and resubmits.
    let (s, v) = app.post(&format!("/api/v1/proposals/{}/screening", subs[2].2), Some(&officer), json!({"decision": "return", "comment": "请补充配套资金证明", "return_deadline": "2020-01-01T09:00"})).await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("return_deadline"))
    );
    let (s, _) = app.post(&format!("/api/v1/proposals/{}/screening", subs[2].2), Some(&officer), json!({"decision": "return", "comment": "请补充配套资金证明", "return_deadline": soon()})).await;
    assert_eq!(s, StatusCode::OK);
    let mail = app.last_email_to(&subs[2].1).await;
    assert_eq!(mail.kind, MailKind::ProposalReturned);
    assert!(mail.body_text.contains("请补充配套资金证明"));
    let member = &subs[2].0;
    let id = subs[2].2;
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(member))
        .await;
    assert_eq!(v["proposal"]["status"], "returned");
    let mut c = content(&app);
    c["summary"] = json!("已补充配套资金证明。");
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(member),
            Some(json!({"version": v["proposal"]["version"], "content": c})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["number"], "GY-2027-0003", "the number stays");
    assert_eq!(
        app.audit_actions("proposal", id).await[0],
        "proposal.resubmitted"
    );
}
dual!(officers_screen_with_reasons_and_returns_come_back_corrected);

async fn bulk_decisions_are_all_or_nothing(b: Backend) {
    let app = spawn(b).await;
    let (officer, round, subs) = round_with_submissions(&app, 3).await;
    app.post(
        &format!("/api/v1/proposals/{}/screening", subs[2].2),
        Some(&officer),
        json!({"decision": "eligible"}),
    )
    .await;
    let ids: Vec<i64> = subs.iter().map(|s| s.2).collect();
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/screening"),
            Some(&officer),
            json!({"ids": ids, "decision": "eligible"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_screenable"))
    );
    let (_, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions?status=submitted"),
            Some(&officer),
        )
        .await;
    assert_eq!(v["total"], 2, "nothing changed");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/screening"),
            Some(&officer),
            json!({"ids": &ids[..2], "decision": "eligible"}),
        )
        .await;
    assert_eq!((s, v["decided"].as_i64()), (StatusCode::OK, Some(2)));
    let (_, v) = app
        .get(
            &format!("/api/v1/rounds/{round}/submissions?status=eligible"),
            Some(&officer),
        )
        .await;
    assert_eq!(v["total"], 3);

    // In the browser: select none is a clear error.
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let r = web
        .post_form(
            &app,
            &format!("/rounds/{round}/submissions/bulk"),
            &[("decision", "eligible")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请至少选择一份申报书"));
}
dual!(bulk_decisions_are_all_or_nothing);

async fn only_the_bureaus_officers_screen(b: Backend) {
    let app = spawn(b).await;
    let (_, round, subs) = round_with_submissions(&app, 1).await;
    let other = app
        .staff(
            yichuang::domain::account::Role::Officer,
            "o@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[0].2),
            Some(&other),
            json!({"decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/api/v1/proposals/{}/screening", subs[0].2),
            Some(&subs[0].0),
            json!({"decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/rounds/{round}/submissions"), Some(&other))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
dual!(only_the_bureaus_officers_screen);

async fn the_submission_list_exports_to_xlsx_and_csv(b: Backend) {
    let app = spawn(b).await;
    let (officer, round, _) = round_with_submissions(&app, 2).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{round}/submissions.csv")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        &[0xEF, 0xBB, 0xBF],
        "UTF-8 BOM for spreadsheets"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("申报编号,项目名称,申报机构,统一社会信用代码"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("GY-2027-0001")
            && lines[1].contains("社区项目0")
            && lines[1].contains(",50000,"),
        "{}",
        lines[1]
    );

    let r = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{round}/submissions.xlsx")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    let strings = crate::helpers::xlsx_strings(&bytes);
    assert!(
        strings.contains("社区项目1") && strings.contains("GY-2027-0002"),
        "{strings}"
    );
}
dual!(the_submission_list_exports_to_xlsx_and_csv);
