//! Third-party evaluation: assigning unrelated agencies, filing, the officer's acceptance and
//! its consequences on tranches, the project and bars.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual;
use crate::execution::awarded;
use crate::helpers::{has_error, org_json, spawn, Backend, TestApp, PASSWORD, PDF};
use yichuang::domain::outbox::MailKind;

/// An agency with an evaluator; returns (evaluator user id, evaluator token).
pub async fn agency(
    app: &TestApp,
    officer: &str,
    serial: u32,
    legal_rep: &str,
    email: &str,
) -> (i64, String) {
    let mut body = org_json(app, serial);
    body["kind"] = json!("agency");
    body["name"] = json!(format!("评估中心{serial}"));
    body["legal_rep"] = json!(legal_rep);
    let (s, v) = app.post("/api/v1/orgs", Some(officer), body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let org = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(officer),
            json!({"email": email, "name": "评估员", "role": "evaluator", "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = app.token_from_email(email, "/invite/accept").await;
    let (_, v) = app
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "name": "评估员", "password": PASSWORD}),
        )
        .await;
    let token = v["token"].as_str().unwrap().to_string();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    (me["id"].as_i64().unwrap(), token)
}

/// Indicator scores (tenths) of the default evaluation rubric (15/35/20/20/10) adding up to
/// `total` points.
pub fn scores(total: i32) -> Vec<Value> {
    let max = [150, 350, 200, 200, 100];
    let mut s: Vec<i32> = max.iter().map(|m| m * total / 100 / 5 * 5).collect();
    let mut left = total * 10 - s.iter().sum::<i32>();
    for (i, m) in max.iter().enumerate() {
        let add = left.min(m - s[i]);
        s[i] += add;
        left -= add;
    }
    s.iter()
        .map(|v| json!({"score": v, "comment": "良好"}))
        .collect()
}

pub async fn assign(
    app: &TestApp,
    officer: &str,
    project: i64,
    stage: &str,
    evaluator: i64,
) -> (StatusCode, Value) {
    let due = (app.clock.today() + Duration::days(20)).to_string();
    app.post(
        &format!("/api/v1/projects/{project}/evaluations"),
        Some(officer),
        json!({"stage": stage, "evaluator_id": evaluator, "due_on": due}),
    )
    .await
}

/// The evaluator files a complete evaluation totalling `total` and submits it.
pub async fn file(app: &TestApp, token: &str, id: i64, total: i32) {
    let (_, cur) = app
        .get(&format!("/api/v1/evaluations/{id}"), Some(token))
        .await;
    let version = cur["evaluation"]["version"].as_i64().unwrap();
    // The stored content is given once, as `content`, not again inside the evaluation.
    assert!(cur["evaluation"].get("content_json").is_none(), "{cur}");
    assert!(cur["content"].is_object(), "{cur}");
    let content = json!({
        "scores": scores(total),
        "verified": [{"group": "elderly", "unique_people": 35}],
        "satisfaction_pct": 92,
        "findings": "服务记录完整，受益人回访满意。",
        "recommendation": "renew",
    });
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/evaluations/{id}"),
            Some(token),
            Some(json!({"version": version, "content": content})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    if cur["files"].as_array().unwrap().is_empty() {
        let (s, v) = app
            .upload(
                &format!("/api/v1/evaluations/{id}/report"),
                token,
                "评估报告.pdf",
                PDF,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{id}/submit"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

pub async fn accept(app: &TestApp, officer: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/evaluations/{id}/review"),
        Some(officer),
        body,
    )
    .await
}

async fn tranche_states(app: &TestApp, token: &str, project: i64) -> Vec<String> {
    let (_, d) = app
        .get(&format!("/api/v1/projects/{project}"), Some(token))
        .await;
    d["tranches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect()
}

async fn project_status(app: &TestApp, token: &str, project: i64) -> String {
    let (_, d) = app
        .get(&format!("/api/v1/projects/{project}"), Some(token))
        .await;
    d["project"]["status"].as_str().unwrap().to_string()
}

pub async fn sign(app: &TestApp, officer: &str, project: i64) {
    let (s, _) = app
        .upload(
            &format!("/api/v1/projects/{project}/agreement"),
            officer,
            "协议.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn projects_pass_or_rectify_through_their_evaluations(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let o = &a.officer;
    sign(&app, o, p0).await;
    sign(&app, o, p1).await;
    // Every test org has 王芳 as legal representative: an agency led by her is related.
    let (related, _) = agency(&app, o, 61, "王芳", "rel@pinggu.cn").await;
    let (eva, eva_token) = agency(&app, o, 62, "张评", "eva@pinggu.cn").await;
    let (other, other_token) = agency(&app, o, 63, "李核", "other@pinggu.cn").await;
    let (s, v) = assign(&app, o, p0, "midterm", related).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "evaluator_id"), "{v}");
    let (s, _) = assign(&app, &a.members[0], p0, "midterm", eva).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = assign(&app, o, p0, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let m0 = v["id"].as_i64().unwrap();
    let (s, _) = assign(&app, o, p0, "midterm", other).await;
    assert_eq!(s, StatusCode::CONFLICT, "one open evaluation per stage");
    assert!(app
        .last_email_to("eva@pinggu.cn")
        .await
        .subject
        .contains("中期评估"));

    // The evaluator reads the project (proposal, reports) but nobody else's evaluation.
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p0}"), Some(&eva_token))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p1}"), Some(&eva_token))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/evaluations/{m0}"), Some(&other_token))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/evaluations/{m0}"), Some(&a.members[0]))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the NGO sees it once accepted");

    // A bad filing is refused field by field; a non-PDF report too.
    let mut bad = scores(80);
    bad[0] = json!({"score": 153, "comment": ""});
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/evaluations/{m0}"),
            Some(&eva_token),
            Some(json!({"version": 1, "content": {"scores": bad, "satisfaction_pct": 120}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{m0}/submit"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for f in [
        "scores.0",
        "satisfaction_pct",
        "findings",
        "recommendation",
        "file",
    ] {
        assert!(has_error(&v, f), "{f}: {v}");
    }
    let (s, _) = app
        .upload(
            &format!("/api/v1/evaluations/{m0}/report"),
            &eva_token,
            "x.png",
            &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Mid-term 85 passes: the second tranche can be paid.
    file(&app, &eva_token, m0, 85).await;
    let (s, v) = accept(&app, o, m0, json!({"accept": true})).await;
    assert_eq!(
        (s, v["consequence"].as_str()),
        (StatusCode::OK, Some("release_midterm")),
        "{v}"
    );
    let (s, _) = accept(&app, o, m0, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::CONFLICT, "accepted once");
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/evaluations/{m0}"),
            Some(&eva_token),
            Some(json!({"version": 9, "content": {}})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "no filing after acceptance");
    assert_eq!(
        tranche_states(&app, &a.members[0], p0).await,
        ["releasable", "releasable", "pending"]
    );
    let (s, v) = app
        .get(&format!("/api/v1/evaluations/{m0}"), Some(&a.members[0]))
        .await;
    assert_eq!(
        (s, v["evaluation"]["grade"].as_str()),
        (StatusCode::OK, Some("良好"))
    );
    assert!(app
        .last_email_to("ngo0@example.org")
        .await
        .subject
        .contains("良好"));

    // Final 95 (优秀): completed, the last tranche can be paid, renewal by fast track.
    let (s, v) = assign(&app, o, p0, "final", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let f0 = v["id"].as_i64().unwrap();
    file(&app, &eva_token, f0, 95).await;
    let (s, v) = accept(&app, o, f0, json!({"accept": true})).await;
    assert_eq!(v["consequence"], "complete", "{s} {v}");
    assert_eq!(project_status(&app, o, p0).await, "completed");
    assert_eq!(
        tranche_states(&app, o, p0).await,
        ["releasable", "releasable", "releasable"]
    );
    let (_, evs) = app
        .get(
            &format!("/api/v1/projects/{p0}/evaluations"),
            Some(&a.members[0]),
        )
        .await;
    assert_eq!(evs[1]["renewal"], "fast_track");
    let (s, _) = assign(&app, o, p0, "final", other).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a completed project is not evaluated again"
    );

    // The summary and the completion certificate, in Chinese.
    for (path, wants) in [
        (
            format!("/api/v1/evaluations/{f0}/summary.pdf"),
            vec!["优秀", "评估中心62"],
        ),
        (
            format!("/api/v1/projects/{p0}/certificate.pdf"),
            vec!["结项证明", "优秀", "社区服务项目0"],
        ),
    ] {
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(&a.members[0])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let text: String = crate::helpers::pdf_text(&res.bytes().await.unwrap())
            .split_whitespace()
            .collect();
        for w in wants {
            assert!(text.contains(w), "{path} lacks {w}: {text}");
        }
    }
    let (s, _) = app
        .get(&format!("/api/v1/projects/{p1}/certificate.pdf"), Some(o))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not completed");

    // The certificate states what was paid: a payment after completion issues a new version
    // of it, and the first is kept.
    use yichuang::domain::project::DocumentKind::CompletionCertificate;
    let certificates = || {
        app.db(move |c| yichuang::db::documents::versions(c, p0, CompletionCertificate).unwrap())
    };
    let before = certificates().await;
    assert_eq!(before.len(), 1, "issued at completion");
    assert!(
        before[0].content.is_some(),
        "rendered at its first download"
    );
    let (_, d) = app.get(&format!("/api/v1/projects/{p0}"), Some(o)).await;
    let last = d["tranches"][2]["id"].as_i64().unwrap();
    let last_fen = d["tranches"][2]["amount_fen"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{last}/payments"),
            Some(o),
            json!({"paid_on": app.clock.today().to_string(), "voucher_no": "记-2028-001",
                   "amount": format!("{}", last_fen / 100)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let after = certificates().await;
    assert_eq!(after.len(), 2, "a new version");
    assert_eq!(
        after[0].sha256, before[0].sha256,
        "the first is kept as it was"
    );
    assert!(after[1].content.is_none());
    let res = app
        .client
        .get(app.url(&format!("/api/v1/projects/{p0}/certificate.pdf")))
        .bearer_auth(&a.members[0])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pdf = res.bytes().await.unwrap();
    let text: String = crate::helpers::pdf_text(&pdf).split_whitespace().collect();
    let paid = yichuang::domain::money::Fen(last_fen).to_string();
    assert!(text.contains(&format!("已拨付{paid}")), "{paid}: {text}");
    assert_eq!(
        certificates().await[1].content.as_deref(),
        Some(pdf.as_ref()),
        "the new version is served and kept"
    );
    // Each version has its own verification code; the first now says it was superseded.
    let first = crate::verify::printed_code(before[0].content.as_deref().unwrap());
    let second = crate::verify::printed_code(&pdf);
    assert_ne!(first, second);
    let (s, v) = app.get(&format!("/api/v1/verify/{first}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            &v["kind"],
            &v["standing"],
            &v["version"],
            &v["latest_version"]
        ),
        (
            &json!("completion_certificate"),
            &json!("superseded"),
            &json!(1),
            &json!(2)
        ),
        "{v}"
    );
    assert_eq!(v["sha256"], json!(before[0].sha256));
    let (_, v) = app.get(&format!("/api/v1/verify/{second}"), None).await;
    assert_eq!(v["standing"], "valid", "{v}");
    let (_, page) = crate::verify::anonymous_get(&app, &format!("/verify/{first}")).await;
    assert!(
        page.contains(r#"id="verify-standing">已被新版本取代"#),
        "{page}"
    );

    // Renewal: the completed 优秀 project renews by fast track in the bureau's next round;
    // it skips review and is funded once the officer approves it.
    let next = crate::rounds::open_round(&app, o, "2028年公益创投").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{p0}/renewal"),
            Some(&a.members[1]),
            json!({"round_id": next}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another org's project");
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{p0}/renewal"),
            Some(&a.members[0]),
            json!({"round_id": a.round}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "not in the project's own round");
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{p0}/renewal"),
            Some(&a.members[0]),
            json!({"round_id": next}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let renewal = v["id"].as_i64().unwrap();
    let (_, again) = app
        .post(
            &format!("/api/v1/projects/{p0}/renewal"),
            Some(&a.members[0]),
            json!({"round_id": next}),
        )
        .await;
    assert_eq!(again["id"].as_i64(), Some(renewal), "one renewal per round");
    let (_, d) = app
        .get(&format!("/api/v1/proposals/{renewal}"), Some(&a.members[0]))
        .await;
    assert_eq!(d["content"]["title"], "社区服务项目0（续期）");
    assert!(
        d["content"]["summary"].as_str().unwrap().contains("优秀"),
        "{d}"
    );
    let mut content = crate::proposals::content(&app);
    content["title"] = d["content"]["title"].clone();
    content["summary"] = d["content"]["summary"].clone();
    let version = d["proposal"]["version"].as_i64().unwrap();
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{renewal}"),
            Some(&a.members[0]),
            Some(json!({"version": version, "content": content})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{renewal}/submit"),
            Some(&a.members[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    crate::reviews::close_round(&app, o, next).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{renewal}/screening"),
            Some(o),
            json!({"decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{next}/review/start"),
            Some(o),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, assigned) = app
        .get(&format!("/api/v1/rounds/{next}/assignments"), Some(o))
        .await;
    assert!(
        !assigned.to_string().contains("\"review_id\""),
        "no reviewer for a fast-track renewal: {assigned}"
    );
    let (_, rank) = app
        .get(&format!("/api/v1/rounds/{next}/ranking"), Some(o))
        .await;
    let row = &rank["rows"][0];
    assert_eq!(
        (
            row["renewal_track"].as_str(),
            row["final_tenths"].as_i64(),
            row["line"].as_str()
        ),
        (Some("fast_track"), Some(950), Some("waitlisted")),
        "{rank}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{next}/close-review"),
            Some(o),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{renewal}/decision"),
            Some(o),
            Some(
                json!({"line_override": "forced_in", "override_reason": "末期评估优秀，快速续期"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, rank) = app
        .get(&format!("/api/v1/rounds/{next}/ranking"), Some(o))
        .await;
    assert_eq!(rank["rows"][0]["line"], "funded", "{rank}");
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, html) = officer.get_text(&app, &format!("/projects/{p0}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("certificate.pdf") && html.contains("id=\"evaluation-list\""),
        "project page"
    );

    // Project 1 fails the mid-term (50): rectification, the tranche withheld; the
    // re-evaluation (75) passes and releases it.
    let (_, v) = assign(&app, o, p1, "midterm", eva).await;
    let m1 = v["id"].as_i64().unwrap();
    file(&app, &eva_token, m1, 50).await;
    let (s, v) = accept(&app, o, m1, json!({"accept": false})).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "returning needs a comment: {v}"
    );
    let (s, _) = accept(
        &app,
        o,
        m1,
        json!({"accept": false, "comment": "请补充财务凭证核查"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(app
        .last_email_to("eva@pinggu.cn")
        .await
        .subject
        .contains("退回"));
    file(&app, &eva_token, m1, 50).await;
    let (_, v) = accept(&app, o, m1, json!({"accept": true})).await;
    assert_eq!(v["consequence"], "rectify", "{v}");
    assert_eq!(project_status(&app, o, p1).await, "rectifying");
    assert_eq!(
        tranche_states(&app, o, p1).await,
        ["releasable", "withheld", "pending"]
    );
    let result = app.last_email_to("ngo1@example.org").await;
    assert!(result.body_text.contains("整改"), "{}", result.body_text);
    troubles_flagged(&app, &a, p1, &["rectifying", "withheld_tranche"]).await;
    let (s, v) = assign(&app, o, p1, "midterm", other).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let r1 = v["id"].as_i64().unwrap();
    let (_, v) = app.get(&format!("/api/v1/evaluations/{r1}"), Some(o)).await;
    assert_eq!(v["evaluation"]["reevaluation"], true);
    file(&app, &other_token, r1, 75).await;
    let (_, v) = accept(&app, o, r1, json!({"accept": true})).await;
    assert_eq!(v["consequence"], "release_midterm", "{v}");
    assert_eq!(project_status(&app, o, p1).await, "active");
    assert_eq!(
        tranche_states(&app, o, p1).await,
        ["releasable", "releasable", "pending"]
    );
}
dual!(projects_pass_or_rectify_through_their_evaluations);

/// The projects overview flags `project` with exactly `troubles` (and no other project with
/// them), counts each on a card linked to the filtered table, filters the table by each (page
/// and API) and exports the filtered rows.
pub async fn troubles_flagged(
    app: &TestApp,
    a: &crate::execution::Awarded,
    project: i64,
    troubles: &[&str],
) {
    let o = &a.officer;
    let api = format!("/api/v1/rounds/{}/dashboard", a.round);
    let (s, d) = app.get(&api, Some(o)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let counts: Vec<(String, i64)> = d["totals"]["troubles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["trouble"].as_str().unwrap().to_string(),
                c["projects"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts.len(), 7, "{counts:?}");
    for (t, n) in &counts {
        let want = i64::from(troubles.contains(&t.as_str()));
        assert_eq!(*n, want, "{t}: {counts:?}");
    }
    let line = d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["project"]["id"] == project)
        .unwrap();
    assert_eq!(line["troubles"], json!(troubles), "{line}");
    for t in troubles {
        let (s, v) = app.get(&format!("{api}?trouble={t}"), Some(o)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let ids: Vec<i64> = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["project"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [project], "{t}");
    }
    let (s, v) = app.get(&format!("{api}?trouble=late"), Some(o)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "trouble"), "{v}");
    let (s, v) = app
        .get(
            "/api/v1/dashboard/projects?trouble=withheld_tranche",
            Some(o),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["total_lines"], 1, "the bureau's overview too: {v}");

    let officer = app.browser();
    officer.login(app, "officer@gusu.gov.cn", PASSWORD).await;
    let page_path = format!("/rounds/{}/dashboard", a.round);
    let (s, html) = officer.get_text(app, &page_path).await;
    assert_eq!(s, StatusCode::OK);
    for t in troubles {
        assert!(
            html.contains(&format!("href=\"{page_path}?trouble={t}\"")),
            "a card links to the projects with {t}"
        );
    }
    let (s, html) = officer
        .get_text(app, &format!("{page_path}?trouble={}", troubles[0]))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/projects/{project}\"")),
        "filtered table"
    );
    assert!(
        html.contains(&format!("{page_path}.csv?trouble={}", troubles[0])),
        "export link"
    );
    let res = officer
        .get(app, &format!("{page_path}.csv?trouble={}", troubles[0]))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    let agreement = line["project"]["agreement_no"].as_str().unwrap();
    assert_eq!(csv.lines().count(), 2, "header and the one project: {csv}");
    assert!(csv.contains(agreement), "{csv}");
}

async fn a_failed_final_withholds_and_bars_and_overrides_need_reasons(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let o = &a.officer;
    sign(&app, o, p0).await;
    sign(&app, o, p1).await;
    let (eva, eva_token) = agency(&app, o, 62, "张评", "eva@pinggu.cn").await;

    // An override needs a reason, and must fit the stage.
    let (_, v) = assign(&app, o, p1, "midterm", eva).await;
    let m1 = v["id"].as_i64().unwrap();
    file(&app, &eva_token, m1, 55).await;
    let (s, v) = accept(
        &app,
        o,
        m1,
        json!({"accept": true, "override_consequence": "release_midterm"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "override_reason"), "{v}");
    let (s, v) = accept(
        &app,
        o,
        m1,
        json!({"accept": true, "override_consequence": "complete", "override_reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "override_consequence"), "{v}");
    let (s, v) = accept(&app, o, m1, json!({"accept": true, "override_consequence": "release_midterm", "override_reason": "受疫情影响，活动延期，经研究不予整改"})).await;
    assert_eq!(
        (s, v["consequence"].as_str()),
        (StatusCode::OK, Some("release_midterm")),
        "{v}"
    );
    assert!(app
        .audit_actions("evaluation", m1)
        .await
        .contains(&"evaluation.accepted".to_string()));
    assert!(app
        .last_email_to("ngo1@example.org")
        .await
        .body_text
        .contains("不予整改"));

    // Final 40 (late materials would also fail): the last tranche withheld, the org barred.
    let (_, v) = assign(&app, o, p0, "midterm", eva).await;
    let m0 = v["id"].as_i64().unwrap();
    file(&app, &eva_token, m0, 70).await;
    accept(&app, o, m0, json!({"accept": true})).await;
    let (_, v) = assign(&app, o, p0, "final", eva).await;
    let f0 = v["id"].as_i64().unwrap();
    file(&app, &eva_token, f0, 40).await;
    let (_, v) = accept(&app, o, f0, json!({"accept": true})).await;
    assert_eq!(v["consequence"], "withhold_and_bar", "{v}");
    assert_eq!(project_status(&app, o, p0).await, "failed");
    assert_eq!(
        tranche_states(&app, o, p0).await,
        ["releasable", "releasable", "withheld"]
    );
    troubles_flagged(&app, &a, p0, &["failed_evaluation", "withheld_tranche"]).await;

    // The barred org cannot submit to the bureau's next round.
    let next = crate::rounds::open_round(&app, o, "2028年公益创投").await;
    let ngo = &a.members[0];
    let (_, v) = app
        .post(
            &format!("/api/v1/calls/{next}/proposals"),
            Some(ngo),
            json!({}),
        )
        .await;
    let pid = v["id"].as_i64().unwrap();
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{pid}"),
        Some(ngo),
        Some(json!({"version": 1, "content": crate::proposals::content(&app)})),
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{pid}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v.to_string().contains("org_barred"), "{v}");

    // Reminders to evaluators go out once.
    let (_, v) = assign(&app, o, p1, "final", eva).await;
    let f1 = v["id"].as_i64().unwrap();
    // Two days before it is due.
    let due_on = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::evaluations;
            evaluations::table
                .find(f1)
                .select(evaluations::due_on)
                .first::<chrono::NaiveDate>(c)
                .unwrap()
        })
        .await;
    let days = (due_on - Duration::days(2) - app.clock.today()).num_days();
    app.clock.advance(Duration::days(days));
    let settings = app.settings.clone();
    let send = || {
        let s = settings.clone();
        app.db(move |c| yichuang::ops::evaluation::send_reminders(c, &s).unwrap())
    };
    assert_eq!(send().await, 1);
    // Once sent, the check finds nothing due and opens no write transaction.
    let s = settings.clone();
    let again = app
        .count_transactions(move |c| yichuang::ops::evaluation::send_reminders(c, &s).unwrap())
        .await;
    assert_eq!(again, (0, 0), "(queued, transactions)");
    assert_eq!(
        app.last_email_to("eva@pinggu.cn").await.kind,
        MailKind::EvaluationDueSoon
    );

    // The evaluator's page keeps what was typed when a score is off the round's step (0.1
    // by default), and says which step.
    let page = app.browser();
    page.login(&app, "eva@pinggu.cn", PASSWORD).await;
    let (s, html) = page.get_text(&app, &format!("/evaluations/{f1}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("服务成效"), "indicators listed");
    let res = page
        .post_form(
            &app,
            &format!("/evaluations/{f1}"),
            &[
                ("version", "1"),
                ("score_0", "13.35"),
                ("findings", "记录完整"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("13.35") && body.contains("记录完整"),
        "typed values kept"
    );
    assert!(body.contains("评分须为 0.1 的整数倍"), "the step named");
    let res = page
        .post_form(
            &app,
            &format!("/evaluations/{f1}"),
            &[
                ("version", "1"),
                ("score_0", "13.3"),
                ("findings", "记录完整"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // An override can end a project: unpaid tranches are cancelled and the unspent grant
    // (2.5万 paid, nothing spent) is owed back; refunds are recorded within it.
    let first = {
        let (_, d) = app.get(&format!("/api/v1/projects/{p1}"), Some(o)).await;
        d["tranches"][0]["id"].as_i64().unwrap()
    };
    let today = app.clock.today().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(o),
            json!({"paid_on": today, "voucher_no": "记-9", "amount": "25000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{p1}/refunds"),
            Some(o),
            json!({"amount": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing owed yet");
    file(&app, &eva_token, f1, 70).await;
    let (_, v) = accept(&app, o, f1, json!({"accept": true, "override_consequence": "terminate", "override_reason": "机构擅自变更服务内容"})).await;
    assert_eq!(v["consequence"], "terminate", "{v}");
    assert_eq!(project_status(&app, o, p1).await, "terminated");
    assert_eq!(
        tranche_states(&app, o, p1).await,
        ["paid", "cancelled", "cancelled"]
    );
    let (_, d) = app.get(&format!("/api/v1/projects/{p1}"), Some(o)).await;
    assert_eq!(d["refunds"][0]["amount_fen"], 2_500_000, "{d}");
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{p1}/refunds"),
            Some(o),
            json!({"amount": "30000"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(has_error(&v, "amount"), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/v1/projects/{p1}/refunds"),
            Some(&a.members[1]),
            json!({"amount": "100"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{p1}/refunds"),
            Some(o),
            json!({"amount": "10000", "note": "首笔退回"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
dual!(a_failed_final_withholds_and_bars_and_overrides_need_reasons);

async fn a_normal_renewal_is_reviewed_with_its_grade_shown(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, o) = (a.projects[0], &a.officer);
    sign(&app, o, p0).await;
    let (eva, eva_token) = agency(&app, o, 62, "张评", "eva@pinggu.cn").await;
    for (stage, total) in [("midterm", 85), ("final", 85)] {
        let (_, v) = assign(&app, o, p0, stage, eva).await;
        let id = v["id"].as_i64().unwrap();
        file(&app, &eva_token, id, total).await;
        accept(&app, o, id, json!({"accept": true})).await;
    }
    let (_, evs) = app
        .get(&format!("/api/v1/projects/{p0}/evaluations"), Some(o))
        .await;
    assert_eq!(evs[1]["renewal"], "normal", "良好 renews through review");
    let next = crate::rounds::open_round(&app, o, "2028年公益创投").await;
    let ngo = &a.members[0];
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{p0}/renewal"),
            Some(ngo),
            json!({"round_id": next}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let renewal = v["id"].as_i64().unwrap();
    let (_, d) = app
        .get(&format!("/api/v1/proposals/{renewal}"), Some(ngo))
        .await;
    let mut content = crate::proposals::content(&app);
    content["title"] = d["content"]["title"].clone();
    let version = d["proposal"]["version"].as_i64().unwrap();
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{renewal}"),
        Some(ngo),
        Some(json!({"version": version, "content": content})),
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{renewal}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    crate::reviews::close_round(&app, o, next).await;
    app.post(
        &format!("/api/v1/proposals/{renewal}/screening"),
        Some(o),
        json!({"decision": "eligible"}),
    )
    .await;
    for step in ["review/start", "review/auto-assign"] {
        let (s, v) = app
            .post(&format!("/api/v1/rounds/{next}/{step}"), Some(o), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // A reviewer of the renewal sees that it is one, with the previous final grade.
    let reviewer = app.browser();
    let mut seen = false;
    for i in 0..5 {
        let email = format!("expert{i}@univ.edu.cn");
        let token = app.token(&email, PASSWORD).await;
        let (_, list) = app.get("/api/v1/reviews", Some(&token)).await;
        let Some(item) = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["proposal_id"] == renewal)
        else {
            continue;
        };
        let rid = item["review_id"].as_i64().unwrap();
        reviewer.login(&app, &email, PASSWORD).await;
        let (s, html) = reviewer.get_text(&app, &format!("/reviews/{rid}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("id=\"renewal\"") && html.contains("良好"),
            "renewal badge"
        );
        seen = true;
        break;
    }
    assert!(seen, "the normal renewal is assigned to reviewers");
}
dual!(a_normal_renewal_is_reviewed_with_its_grade_shown);
