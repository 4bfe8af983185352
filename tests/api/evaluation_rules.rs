//! Evaluation rules as bureaus write them (issue 14 §3–4): late materials derived from the
//! milestone reports' due dates and Beijing submission dates, decimal scores on the round's
//! step, and a panel of the agency whose totals are averaged.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::round::{LateEffect, LateMaterials, RoundRules};

use crate::dual;
use crate::evaluation::{accept, agency, assign, sign};
use crate::execution::{awarded, file_first_reports};
use crate::helpers::{has_error, pdf_text, spawn, Backend, TestApp, PASSWORD, PDF};

/// Changes a round's stored rules (what the bureau set before opening it).
async fn set_rules(
    app: &TestApp,
    round: i64,
    change: impl FnOnce(&mut RoundRules) + Send + 'static,
) {
    app.db(move |c| {
        use diesel::RunQueryDsl;
        let mut rules = yichuang::db::rounds::find(c, round).unwrap().rules();
        change(&mut rules);
        diesel::sql_query("UPDATE rounds SET rules_json = $1 WHERE id = $2")
            .bind::<diesel::sql_types::Text, _>(serde_json::to_string(&rules).unwrap())
            .bind::<diesel::sql_types::BigInt, _>(round)
            .execute(c)
            .unwrap();
    })
    .await;
}

/// Saves `content` as the evaluator's filing, attaches the report and submits it; returns
/// the submission's answer.
async fn file_content(
    app: &TestApp,
    token: &str,
    id: i64,
    scores: Value,
    members: Value,
) -> (StatusCode, Value) {
    let (_, cur) = app
        .get(&format!("/api/v1/evaluations/{id}"), Some(token))
        .await;
    let version = cur["evaluation"]["version"].as_i64().unwrap();
    let content = json!({
        "scores": scores,
        "verified": [{"group": "elderly", "unique_people": 35}],
        "satisfaction_pct": 92,
        "findings": "服务记录完整。",
        "recommendation": "renew",
        "members": members,
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
    app.post(
        &format!("/api/v1/evaluations/{id}/submit"),
        Some(token),
        json!({}),
    )
    .await
}

fn scored(tenths: &[i32]) -> Value {
    tenths
        .iter()
        .map(|v| json!({"score": v, "comment": "良好"}))
        .collect()
}

fn comments_only() -> Value {
    (0..5).map(|_| json!({"comment": "见小组评分"})).collect()
}

async fn detail(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/evaluations/{id}"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn decimal_scores_a_panel_average_and_the_step(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let o = &a.officer;
    sign(&app, o, p0).await;
    sign(&app, o, p1).await;
    let (eva, token) = agency(&app, o, 71, "张评", "panel@pinggu.cn").await;

    // One evaluator's decimal scores: 13.3 + 30.1 + 17.2 + 17.1 + 9.6 = 87.3 → 良好.
    let (_, v) = assign(&app, o, p1, "midterm", eva).await;
    let single = v["id"].as_i64().unwrap();
    let (s, v) = file_content(
        &app,
        &token,
        single,
        scored(&[133, 301, 172, 171, 96]),
        json!([]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = detail(&app, o, single).await;
    assert_eq!(d["proposed_total_tenths"], 873, "{d}");
    assert_eq!(d["proposed"][0], "良好");
    assert_eq!(d["score_step"], 1);
    assert_eq!(d["grade_bands"][0], json!(["优秀", 900, null]));
    assert_eq!(d["grade_bands"][1], json!(["良好", 800, 899]));
    assert_eq!(d["lateness"]["reports"], json!([]));
    let (s, v) = accept(&app, o, single, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app
        .get(&format!("/api/v1/projects/{p1}/evaluations"), Some(o))
        .await;
    assert_eq!(list[0]["total_tenths"], 873, "{list}");
    assert_eq!(list[0]["grade"], "良好");

    // A panel of three: totals 87.3, 87.4 and 87.4 → 87.366… → 87.4, each sheet kept.
    let (_, v) = assign(&app, o, p0, "midterm", eva).await;
    let panel = v["id"].as_i64().unwrap();
    let members = json!([
        {"name": "张评", "scores": [133, 301, 172, 171, 96]},
        {"name": "李核", "scores": [134, 301, 172, 171, 96]},
        {"name": "王审", "scores": [134, 302, 172, 171, 95]},
    ]);
    // A lone member is no panel, and a panel's scores go on its sheets only.
    let (s, v) = file_content(
        &app,
        &token,
        panel,
        scored(&[133, 301, 172, 171, 96]),
        json!([members[0]]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "members") && has_error(&v, "scores.0"), "{v}");
    let (s, v) = file_content(&app, &token, panel, comments_only(), members.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = detail(&app, o, panel).await;
    assert_eq!(d["proposed_total_tenths"], 874, "{d}");
    assert_eq!(d["content"]["members"], members);
    // The evaluator's form shows the step, the band edges and each member's total.
    let browser = app.browser();
    browser.login(&app, "panel@pinggu.cn", PASSWORD).await;
    let (s, page) = browser
        .get_text(&app, &format!("/evaluations/{panel}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("评分步长 0.1 分"), "{page}");
    assert!(
        page.contains("优秀 ≥ 90.0，良好 80.0–89.9，合格 60.0–79.9，不合格 &#60; 60.0"),
        "{page}"
    );
    assert!(page.contains("王审") && page.contains("87.4"), "{page}");
    let (s, v) = accept(&app, o, panel, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app
        .get(&format!("/api/v1/projects/{p0}/evaluations"), Some(o))
        .await;
    assert_eq!(list[0]["total_tenths"], 874, "{list}");
    let res = app
        .client
        .get(app.url(&format!("/api/v1/evaluations/{panel}/summary.pdf")))
        .bearer_auth(o)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    for want in ["评估小组评分", "李核", "87.4", "优秀 ≥ 90.0"] {
        assert!(text.contains(want), "{want}: {text}");
    }

    // A round that scores evaluations by 0.5 refuses 13.3, naming the step.
    set_rules(&app, a.round, |r| r.evaluation_score_step = 5).await;
    let (_, v) = assign(&app, o, p1, "final", eva).await;
    let fin = v["id"].as_i64().unwrap();
    let (s, v) = file_content(
        &app,
        &token,
        fin,
        scored(&[133, 300, 170, 170, 95]),
        json!([]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "scores.0"), "{v}");
    let msg = v["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("0.5"), "{v}");
    let (s, v) = file_content(
        &app,
        &token,
        fin,
        scored(&[135, 300, 170, 170, 95]),
        json!([]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
dual!(decimal_scores_a_panel_average_and_the_step);

/// The first milestone's due date of the projects of [`awarded`].
fn first_milestone_due() -> NaiveDate {
    (Utc::now() + Duration::days(45)).date_naive() + Duration::days(120)
}

async fn late_reports_fail_or_deduct_by_the_rounds_rule(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let o = &a.officer;
    // Both first reports are filed at 00:30 Beijing the day after their due date: 16:30 UTC
    // on the due date itself, one day late in Beijing.
    let due = first_milestone_due();
    app.clock.set(due.and_hms_opt(16, 30, 0).unwrap());
    file_first_reports(&app, &a).await;
    let (eva, token) = agency(&app, o, 72, "张评", "late@pinggu.cn").await;

    // The default rule (Ningbo Haishu): a late report fails the evaluation that covers it.
    let (_, v) = assign(&app, o, p0, "midterm", eva).await;
    let m0 = v["id"].as_i64().unwrap();
    let d = detail(&app, &token, m0).await;
    let late = &d["lateness"];
    assert_eq!(late["reports"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(late["reports"][0]["due_on"], due.to_string());
    assert_eq!(
        late["reports"][0]["filed_on"],
        (due + Duration::days(1)).to_string()
    );
    assert_eq!(late["reports"][0]["days_late"], 1);
    assert_eq!(late["rule"]["effect"], "fail");
    assert_eq!(late["fails"], true);
    let (s, v) = file_content(
        &app,
        &token,
        m0,
        scored(&[150, 340, 190, 190, 90]),
        json!([]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = detail(&app, o, m0).await;
    assert_eq!(d["proposed"][0], "不合格", "{d}");
    assert_eq!(d["proposed_total_tenths"], 960);
    // The officer's page says why.
    let browser = app.browser();
    browser.login(&app, "late@pinggu.cn", PASSWORD).await;
    let (_, page) = browser.get_text(&app, &format!("/evaluations/{m0}")).await;
    assert!(
        page.contains("1 份报告逾期（宽限 0 天）：按不合格处理"),
        "{page}"
    );
    let (s, v) = accept(&app, o, m0, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["consequence"], "rectify");
    let (_, list) = app
        .get(&format!("/api/v1/projects/{p0}/evaluations"), Some(o))
        .await;
    assert_eq!(list[0]["grade"], "不合格", "{list}");
    assert_eq!(list[0]["lateness"]["fails"], true);
    assert_eq!(list[0]["lateness"]["reports"][0]["days_late"], 1);
    let audit = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::audit_log::dsl::*;
            audit_log
                .filter(entity_type.eq("evaluation"))
                .filter(entity_id.eq(m0))
                .filter(action.eq("evaluation.accepted"))
                .select(after_json)
                .first::<Option<String>>(c)
                .unwrap()
                .unwrap_or_default()
        })
        .await;
    assert!(
        audit.contains("按不合格处理") && audit.contains("\"days_late\":1"),
        "{audit}"
    );

    // Deducting 2.5 points per late report: 96.0 → 93.5, still 优秀; within a grace of one
    // day nothing is deducted.
    set_rules(&app, a.round, |r| {
        r.late_materials = LateMaterials {
            effect: LateEffect::Deduct,
            deduct_tenths: 25,
            grace_days: 0,
        }
    })
    .await;
    let (_, v) = assign(&app, o, p1, "midterm", eva).await;
    let m1 = v["id"].as_i64().unwrap();
    let (s, v) = file_content(
        &app,
        &token,
        m1,
        scored(&[150, 340, 190, 190, 90]),
        json!([]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = detail(&app, o, m1).await;
    assert_eq!(d["lateness"]["deduction_tenths"], 25, "{d}");
    assert_eq!(d["proposed_total_tenths"], 935);
    assert_eq!(d["proposed"][0], "优秀");
    set_rules(&app, a.round, |r| r.late_materials.grace_days = 1).await;
    let d = detail(&app, o, m1).await;
    assert_eq!(d["lateness"]["deduction_tenths"], 0, "{d}");
    assert_eq!(d["lateness"]["reports"][0]["counted"], false);
    assert_eq!(d["proposed_total_tenths"], 960);
    let (s, v) = accept(&app, o, m1, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app
        .get(&format!("/api/v1/projects/{p1}/evaluations"), Some(o))
        .await;
    assert_eq!(list[0]["total_tenths"], 960, "{list}");
}
dual!(late_reports_fail_or_deduct_by_the_rounds_rule);

async fn the_round_settings_are_checked_and_shown(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let mut r = crate::rounds::round_json(&app, "2027年评估规则");
    let mut rules = serde_json::to_value(RoundRules::default()).unwrap();
    rules["evaluation_score_step"] = json!(2);
    rules["late_materials"] = json!({"effect": "deduct", "deduct_tenths": 30, "grace_days": 120});
    r["rules"] = rules.clone();
    // A draft may be incomplete; publishing names each wrong setting.
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), r.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let draft = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{draft}/publish"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        has_error(&v, "evaluation_score_step") && has_error(&v, "late_grace_days"),
        "{v}"
    );
    rules["evaluation_score_step"] = json!(10);
    rules["late_materials"]["grace_days"] = json!(3);
    r["rules"] = rules;
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(v["rules"]["late_materials"]["deduct_tenths"], 30, "{v}");
    assert_eq!(v["rules"]["review_score_step"], 5);
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The call states them.
    let (s, page) = app.browser().get_text(&app, &format!("/calls/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("第三方评估评分步长 1"), "{page}");
    assert!(page.contains("每份逾期报告扣分 3；宽限天数 3"), "{page}");
    // The schema documents them.
    let (_, api) = app.get("/api/v1/openapi.json", None).await;
    let props = &api["components"]["schemas"]["RoundRules"]["properties"];
    for f in [
        "late_materials",
        "review_score_step",
        "evaluation_score_step",
    ] {
        assert!(props.get(f).is_some(), "{f}: {props}");
    }
}
dual!(the_round_settings_are_checked_and_shown);
