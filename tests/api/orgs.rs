//! Organization registration, verification, code checks, credit flags, documents, members.

use reqwest::StatusCode;
use serde_json::json;

use crate::dual;
use crate::helpers::{org_json, spawn, uscc, Backend, PASSWORD};
use yichuang::domain::outbox::MailKind;

async fn an_ngo_registers_and_an_officer_verifies_it(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("member@yangguang.org.cn").await;
    let id = app.ngo_org(&member, 1, None).await;

    let (s, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["org"]["status"], "pending");
    assert_eq!(v["org"]["grade"], "4A");
    let y = chrono::Datelike::year(&app.clock.today());
    assert_eq!(
        v["inspections"],
        json!([[y, "qualified"], [y - 1, "qualified"], [y - 2, "qualified"]])
    );
    assert_eq!(
        app.last_email_to("officer@gusu.gov.cn").await.kind,
        MailKind::OrgSubmitted
    );

    // The officer's list shows it among those awaiting verification.
    let (s, v) = app
        .get("/api/v1/orgs?status=pending&kind=ngo", Some(&officer))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 1);
    let (_, v) = app.get("/api/v1/orgs?q=阳光", Some(&officer)).await;
    assert_eq!(v["total"], 1);
    let (_, v) = app
        .get(
            &format!("/api/v1/orgs?q={}", &uscc(1)[..8].to_lowercase()),
            Some(&officer),
        )
        .await;
    assert_eq!(v["total"], 1, "code search ignores case");

    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("org_not_pending")),
        "verifying twice is a clear 409"
    );
    let mail = app.last_email_to("member@yangguang.org.cn").await;
    assert_eq!(mail.kind, MailKind::OrgVerified);
    assert!(mail.subject.contains("已通过核验"));
    assert_eq!(
        app.audit_actions("organization", id).await,
        vec!["org.verified", "org.registered"]
    );

    // A member cannot verify, and cannot register a second organization.
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post("/api/v1/orgs", Some(&member), org_json(&app, 2))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
dual!(an_ngo_registers_and_an_officer_verifies_it);

async fn a_wrong_code_is_a_field_error_unless_an_officer_accepts_it(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("pilot@example.org").await;
    let mut body = org_json(&app, 7);
    let good = uscc(7);
    let last = good.chars().last().unwrap();
    let bad = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
    body["uscc"] = json!(bad);
    let (s, v) = app.post("/api/v1/orgs", Some(&member), body.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "uscc");
    assert_eq!(v["errors"][0]["code"], "uscc_check");

    body["uscc_manual_check"] = json!(true);
    let (s, v) = app.post("/api/v1/orgs", Some(&member), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("uscc_needs_override"))
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/accept-uscc"),
            Some(&officer),
            json!({"note": " "}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{id}/accept-uscc"),
            Some(&officer),
            json!({"note": "已核对登记证书原件"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let history = app
        .db(move |c| yichuang::db::audit::for_entity(c, "organization", id, 10).unwrap())
        .await;
    assert_eq!(history[1].action, "org.uscc_accepted");
    assert_eq!(history[1].reason.as_deref(), Some("已核对登记证书原件"));
    // The API's history: what the entries say, their before and after as JSON values, and
    // nothing of the chain's internals.
    let (s, h) = app
        .get(&format!("/api/v1/orgs/{id}/history"), Some(&officer))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[1]["action"], "org.uscc_accepted");
    assert_eq!(h[1]["reason"], "已核对登记证书原件");
    let created = h.as_array().unwrap().last().unwrap();
    assert!(created["after"].is_object(), "{created}");
    for key in ["before_json", "after_json", "hash", "prev_hash", "scheme"] {
        assert!(created.get(key).is_none(), "{key} in {created}");
    }
    // The profile's members: who, never their credentials.
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&officer)).await;
    let m = &v["members"][0];
    assert_eq!(m["status"], "active", "{m}");
    assert_eq!(
        m.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["email", "id", "name", "status"],
        "{m}"
    );

    // An edit that keeps the code keeps the acceptance; a new code needs a new one.
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    let mut edit = org_json(&app, 7);
    edit["uscc"] = json!(bad);
    edit["uscc_manual_check"] = json!(true);
    edit["legal_rep"] = json!("王芳芳");
    edit["version"] = v["org"]["version"].clone();
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{id}"),
            Some(&member),
            Some(edit),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/verify"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The same code cannot be registered twice.
    let other = app.ngo_member("other@example.org").await;
    let mut dup = org_json(&app, 8);
    dup["uscc"] = json!(bad);
    dup["uscc_manual_check"] = json!(true);
    let (s, v) = app.post("/api/v1/orgs", Some(&other), dup).await;
    assert_eq!(
        (s, v["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("uscc_taken"))
    );
}
dual!(a_wrong_code_is_a_field_error_unless_an_officer_accepts_it);

async fn rejection_needs_a_reason_and_the_ngo_can_resubmit(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("rej@example.org").await;
    let id = app.ngo_org(&member, 3, None).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/reject"),
            Some(&officer),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{id}/reject"),
            Some(&officer),
            json!({"reason": "登记证书扫描件不清晰"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mail = app.last_email_to("rej@example.org").await;
    assert_eq!(mail.kind, MailKind::OrgRejected);
    assert!(mail.body_text.contains("登记证书扫描件不清晰"));

    // Resubmission with the version read; a stale version is a conflict.
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    let version = v["org"]["version"].as_i64().unwrap();
    let mut body = org_json(&app, 3);
    body["version"] = json!(version);
    body["legal_rep"] = json!("王芳芳");
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{id}"),
            Some(&member),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{id}"),
            Some(&member),
            Some(body),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("edit_conflict"))
    );
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    assert_eq!(v["org"]["status"], "pending");
    assert_eq!(v["org"]["legal_rep"], "王芳芳");
    assert_eq!(v["org"]["status_reason"], serde_json::Value::Null);
}
dual!(rejection_needs_a_reason_and_the_ngo_can_resubmit);

async fn organizations_are_private_to_members_and_staff(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let a = app.ngo_member("a@example.org").await;
    let bb = app.ngo_member("b@example.org").await;
    let org_a = app.ngo_org(&a, 11, Some(&officer)).await;
    app.ngo_org(&bb, 12, None).await;
    let (s, _) = app.get(&format!("/api/v1/orgs/{org_a}"), Some(&bb)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut edit = org_json(&app, 11);
    edit["version"] = json!(2);
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/orgs/{org_a}"),
            Some(&bb),
            Some(edit),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/orgs", Some(&bb)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/orgs/{org_a}/history"), Some(&officer))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/api/v1/orgs/999999", Some(&officer)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // In the browser too.
    let web = app.browser();
    web.login(&app, "b@example.org", PASSWORD).await;
    let (s, page) = web.get_text(&app, &format!("/orgs/{org_a}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(page.contains("您没有权限"));
}
dual!(organizations_are_private_to_members_and_staff);

async fn credit_flags_need_grounds_and_show_on_the_profile(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("credit@example.org").await;
    let id = app.ngo_org(&member, 21, Some(&officer)).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/credit"),
            Some(&officer),
            json!({"credit_flag_org": true, "credit_flag_legal_rep": false}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let (s, _) = app.post(&format!("/api/v1/orgs/{id}/credit"), Some(&officer), json!({"credit_flag_org": false, "credit_flag_legal_rep": true, "note": "法定代表人被列入失信被执行人名单"})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&officer)).await;
    assert_eq!(v["org"]["credit_flag_legal_rep"], true);
    let (s, _) = app
        .post(
            &format!("/api/v1/orgs/{id}/credit"),
            Some(&member),
            json!({"credit_flag_org": false, "credit_flag_legal_rep": false}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an NGO cannot clear its own flag");
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (_, page) = web.get_text(&app, &format!("/orgs/{id}")).await;
    assert!(page.contains("法定代表人被列入失信被执行人名单"));
}
dual!(credit_flags_need_grounds_and_show_on_the_profile);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn documents_are_checked_by_content_and_size(b: Backend) {
    let app = spawn_small_uploads(b).await;
    let member = app.ngo_member("docs@example.org").await;
    let id = app.ngo_org(&member, 31, None).await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("kind", "registration_certificate")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        app.client
            .post(app.url(&format!("/api/v1/orgs/{id}/documents")))
            .bearer_auth(&member)
            .multipart(form)
            .send()
    };
    // A text file named .pdf is refused by its content.
    let r = upload(b"just some text pretending".to_vec(), "证书.pdf")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (
            v["errors"][0]["field"].as_str(),
            v["errors"][0]["code"].as_str()
        ),
        (Some("file"), Some("file_type"))
    );
    // Too large.
    let mut big = PDF.to_vec();
    big.resize(210 * 1024, b' ');
    let r = upload(big, "big.pdf").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "file_too_large");
    // A real PDF is kept and served back unchanged.
    let r = upload(PDF.to_vec(), "登记证书.pdf").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let doc = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .client
        .get(app.url(&format!("/api/v1/orgs/{id}/documents/{doc}")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    assert_eq!(v["documents"][0]["filename"], "登记证书.pdf");
    // Another NGO cannot fetch it.
    let other = app.ngo_member("nosy@example.org").await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/orgs/{id}/documents/{doc}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
dual!(documents_are_checked_by_content_and_size);

async fn a_document_of_an_unknown_kind_is_a_field_error(b: Backend) {
    let app = spawn(b).await;
    let member = app.ngo_member("kinds@example.org").await;
    let id = app.ngo_org(&member, 32, None).await;
    // `prior_results` is a proposal attachment, not an organization document.
    for kind in ["passport", "prior_results"] {
        let form = reqwest::multipart::Form::new().text("kind", kind).part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("a.pdf"),
        );
        let r = app
            .client
            .post(app.url(&format!("/api/v1/orgs/{id}/documents")))
            .bearer_auth(&member)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (
                v["errors"][0]["field"].as_str(),
                v["errors"][0]["code"].as_str()
            ),
            (Some("kind"), Some("choice_invalid")),
            "{kind}: {v}"
        );
    }
    let (_, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&member)).await;
    assert_eq!(v["documents"], serde_json::json!([]));
}
dual!(a_document_of_an_unknown_kind_is_a_field_error);

async fn spawn_small_uploads(b: Backend) -> crate::helpers::TestApp {
    crate::helpers::spawn_with(b, |s| s.upload_max_bytes = 200 * 1024).await
}

async fn members_invite_colleagues_into_their_organization(b: Backend) {
    let app = spawn(b).await;
    let member = app.ngo_member("first@example.org").await;
    let id = app.ngo_org(&member, 41, None).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{id}/members"),
            Some(&member),
            json!({"email": "second@example.org", "name": "赵六"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mail = app.last_email_to("second@example.org").await;
    assert!(
        mail.body_text.contains("姑苏区阳光社工服务中心41"),
        "{}",
        mail.body_text
    );
    let token = app
        .token_from_email("second@example.org", "/invite/accept")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "name": "赵六", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = v["token"].as_str().unwrap().to_string();
    let (s, v) = app.get(&format!("/api/v1/orgs/{id}"), Some(&second)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["members"].as_array().unwrap().len(), 2);
    let (_, me) = app.get("/api/v1/me", Some(&second)).await;
    assert_eq!(
        (me["role"].as_str(), me["org_id"].as_i64()),
        (Some("ngo"), Some(id))
    );
}
dual!(members_invite_colleagues_into_their_organization);

async fn staff_register_agencies_with_evaluator_members(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let mut body = org_json(&app, 51);
    body["kind"] = json!("agency");
    body["name"] = json!("苏州社会组织评估中心");
    let (s, v) = app.post("/api/v1/orgs", Some(&officer), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let agency = v["id"].as_i64().unwrap();
    let (_, v) = app
        .get(&format!("/api/v1/orgs/{agency}"), Some(&officer))
        .await;
    assert_eq!(
        (v["org"]["kind"].as_str(), v["org"]["status"].as_str()),
        (Some("agency"), Some("verified"))
    );
    let (s, v) = app.post("/api/v1/users", Some(&officer), json!({"email": "eva@pinggu.cn", "name": "评估员", "role": "evaluator", "org_id": agency})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = app
        .token_from_email("eva@pinggu.cn", "/invite/accept")
        .await;
    let (_, v) = app
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "name": "评估员", "password": PASSWORD}),
        )
        .await;
    let eva = v["token"].as_str().unwrap().to_string();
    let (_, me) = app.get("/api/v1/me", Some(&eva)).await;
    assert_eq!(
        (me["role"].as_str(), me["org_id"].as_i64()),
        (Some("evaluator"), Some(agency))
    );
    // An NGO member cannot register an agency.
    let member = app.ngo_member("n@example.org").await;
    let mut body = org_json(&app, 52);
    body["kind"] = json!("agency");
    assert_eq!(
        app.post("/api/v1/orgs", Some(&member), body).await.0,
        StatusCode::FORBIDDEN
    );
}
dual!(staff_register_agencies_with_evaluator_members);
