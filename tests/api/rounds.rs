//! Funding rounds: drafts, publishing, the frozen rules, deadlines, the public calls.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual;
use crate::helpers::{location, spawn, Backend, TestApp, PASSWORD};
use yichuang::domain::outbox::MailKind;

/// A round opened an hour ago on the app's clock, closing in 30 days, reviewed within 60.
pub fn round_json(app: &TestApp, title: &str) -> Value {
    let now = app.clock.now().and_utc();
    json!({
        "title": title,
        "year": 2027,
        "description": "一、申报对象\n在姑苏区登记的社会组织。\n二、资助方向\n为老服务、助残服务等。",
        "total_budget_fen": 100_000_000,
        "min_grant_fen": 1_000_000,
        "max_grant_fen": 10_000_000,
        "opens_at": (now - Duration::hours(1)).to_rfc3339(),
        "closes_at": (now + Duration::days(30)).to_rfc3339(),
        "review_due": (now + Duration::days(60)).to_rfc3339(),
    })
}

/// An open round of the officer's bureau; returns its id.
pub async fn open_round(app: &TestApp, officer: &str, title: &str) -> i64 {
    let (s, v) = app
        .post("/api/v1/rounds", Some(officer), round_json(app, title))
        .await;
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

async fn an_officer_drafts_and_publishes_a_round_which_freezes_its_rules(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("ngo@example.org").await;
    app.ngo_org(&member, 1, Some(&officer)).await;

    let (s, v) = app
        .post(
            "/api/v1/rounds",
            Some(&officer),
            round_json(&app, "2027年姑苏区公益创投大赛"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(v["round"]["status"], "draft");
    assert_eq!(
        v["rules"]["review_criteria"][0],
        json!({"name": "需求分析", "max_points": 20}),
        "defaults filled in"
    );
    assert_eq!(v["rules"]["tranches"].as_array().unwrap().len(), 3);
    assert_eq!(v["publish_problems"], json!([]));
    // Not public while a draft.
    assert_eq!(
        app.get(&format!("/api/v1/calls/{id}"), None).await.0,
        StatusCode::NOT_FOUND
    );

    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(v["round"]["status"], "open");
    let mail = app.last_email_to("ngo@example.org").await;
    assert_eq!(mail.kind, MailKind::RoundOpened);
    assert!(
        mail.subject.contains("2027年姑苏区公益创投大赛"),
        "{}",
        mail.subject
    );

    // Frozen: no more edits, no second publish.
    let mut edit = round_json(&app, "改名");
    edit["version"] = v["round"]["version"].clone();
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/rounds/{id}"),
            Some(&officer),
            Some(edit),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("round_frozen"))
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("round_wrong_state"))
    );
    assert_eq!(
        app.audit_actions("round", id).await,
        vec!["round.published", "round.created"]
    );
}
dual!(an_officer_drafts_and_publishes_a_round_which_freezes_its_rules);

async fn publishing_checks_the_whole_configuration(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let mut body = round_json(&app, "不完整的批次");
    body["opens_at"] = Value::Null;
    body["max_grant_fen"] = json!(200_000_000);
    let mut rules: Value =
        serde_json::to_value(yichuang::domain::round::RoundRules::default()).unwrap();
    rules["review_criteria"][0]["max_points"] = json!(10);
    rules["tranches"][2]["share_bp"] = json!(1000);
    body["rules"] = rules;
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), body).await;
    assert_eq!(s, StatusCode::CREATED, "a draft may be incomplete: {v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(&officer),
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
        vec!["max_grant", "review_criteria", "tranches", "opens_at"]
    );
    assert_eq!(v["errors"][1]["code"], "criteria_sum");
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(v["round"]["status"], "draft", "nothing changed");
    assert_eq!(v["publish_problems"].as_array().unwrap().len(), 4);

    // Bad money is refused outright.
    let mut bad = round_json(&app, "负数");
    bad["total_budget_fen"] = json!(-1);
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), bad).await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("total_budget"))
    );
    let (s, v) = app
        .post(
            "/api/v1/rounds",
            Some(&officer),
            json!({"title": "x", "year": 2027, "total_budget_fen": 1.5}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json")),
        "fen are integers"
    );
}
dual!(publishing_checks_the_whole_configuration);

async fn officers_see_only_their_bureaus_rounds(b: Backend) {
    let app = spawn(b).await;
    let gusu = app.officer().await;
    let wuzhong = app
        .staff(
            yichuang::domain::account::Role::Officer,
            "o@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let (_, v) = app
        .post("/api/v1/rounds", Some(&gusu), round_json(&app, "姑苏批次"))
        .await;
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/rounds/{id}"), Some(&wuzhong))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/rounds/{id}/publish"),
            Some(&wuzhong),
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (_, v) = app.get("/api/v1/rounds", Some(&wuzhong)).await;
    assert_eq!(v, json!([]));
    let ngo = app.ngo_member("n@example.org").await;
    assert_eq!(
        app.post("/api/v1/rounds", Some(&ngo), round_json(&app, "x"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
dual!(officers_see_only_their_bureaus_rounds);

async fn deadlines_move_with_a_reason_and_rounds_close_by_themselves(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let id = open_round(&app, &officer, "会截止的批次").await;
    let (member, _) =
        crate::proposals::eligible_ngo(&app, &officer, "applicant@example.org", 50).await;
    app.post(
        &format!("/api/v1/calls/{id}/proposals"),
        Some(&member),
        json!({}),
    )
    .await;
    let later = app.clock.now().and_utc() + Duration::days(40);
    let review = app.clock.now().and_utc() + Duration::days(70);
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{id}/deadlines"), Some(&officer), json!({"closes_at": later.to_rfc3339(), "review_due": review.to_rfc3339(), "reason": ""}))
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{id}/deadlines"), Some(&officer), json!({"closes_at": later.to_rfc3339(), "review_due": review.to_rfc3339(), "reason": "春节假期顺延"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mail = app.last_email_to("applicant@example.org").await;
    assert_eq!(
        mail.kind,
        MailKind::DeadlineMoved,
        "applicants with a proposal hear of it"
    );
    assert!(mail.body_text.contains("春节假期顺延"));
    let history = app
        .db(move |c| yichuang::db::audit::for_entity(c, "round", id, 5).unwrap())
        .await;
    assert_eq!(
        (history[0].action.as_str(), history[0].reason.as_deref()),
        ("round.deadlines_moved", Some("春节假期顺延"))
    );

    // The deadline passes: the worker moves the round to screening.
    app.clock.set(later.naive_utc() + Duration::minutes(1));
    assert_eq!(app.run_worker_step().await.rounds_closed, 1);
    let status = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await
        .1["round"]["status"]
        .clone();
    assert_eq!(status, "screening");
    // Another pass finds nothing more to close.
    assert_eq!(app.run_worker_step().await.rounds_closed, 0);
    assert_eq!(app.audit_actions("round", id).await[0], "round.closed");
    // Now only the review deadline may move.
    let even_later = later + Duration::days(5);
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{id}/deadlines"), Some(&officer), json!({"closes_at": even_later.to_rfc3339(), "review_due": review.to_rfc3339(), "reason": "再延期"}))
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("closes_at"))
    );
}
dual!(deadlines_move_with_a_reason_and_rounds_close_by_themselves);

async fn the_public_sees_open_calls_and_a_chinese_guide_pdf(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let id = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    app.post(
        "/api/v1/rounds",
        Some(&officer),
        round_json(&app, "还在起草的批次"),
    )
    .await;
    let web = app.browser();
    let (s, page) = web.get_text(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("2027年姑苏区公益创投大赛") && !page.contains("还在起草的批次"));
    let (s, page) = web.get_text(&app, &format!("/calls/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("距截止还有") && page.contains("需求分析") && page.contains("¥1,000,000.00"),
        "{page}"
    );
    let (_, v) = app.get("/api/v1/calls", None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);

    let r = web.get(&app, &format!("/calls/{id}/guide.pdf")).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.len() < 200_000,
        "the font is subset: {} bytes",
        bytes.len()
    );
    let text = crate::helpers::pdf_text(&bytes);
    for needle in [
        "2027年姑苏区公益创投大赛",
        "姑苏区民政局",
        "申报对象",
        "需求分析",
        "¥1,000,000.00",
        "签订协议后",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from the guide: {text}"
        );
    }
}
dual!(the_public_sees_open_calls_and_a_chinese_guide_pdf);

/// The page's round form, complete and valid, with `changes` made to it.
pub fn round_form<'a>(changes: &[(&'static str, &'a str)]) -> Vec<(&'static str, &'a str)> {
    let mut fields: Vec<(&'static str, &'a str)> = vec![
        ("title", "2027年微创投"),
        ("year", "2027"),
        ("description", "指南"),
        ("total_budget", "50万"),
        ("min_grant", "5000"),
        ("max_grant", "2万"),
        ("max_grant_share", "80"),
        ("personnel_max", "30"),
        ("admin_max", "10"),
        ("categories", "为老服务\n社区治理"),
        ("type_social_service", "on"),
        ("min_registered_months", "12"),
        ("inspection_years", "2"),
        ("max_proposals_per_org", "2"),
        ("review_criteria", "需求分析 50\n项目设计 50"),
        ("reviewers_per_proposal", "5"),
        ("aggregation", "trimmed_mean"),
        ("fundable_threshold", "60"),
        ("divergence_gap", "20"),
        ("evaluation_criteria", "服务成效 100"),
        ("grade_bands", "优秀 90\n合格 60\n不合格 0"),
        ("tranche_on_signing", "50"),
        ("tranche_after_midterm", "50"),
        ("opens_at", "2030-01-01T09:00"),
        ("closes_at", "2030-02-01T17:00"),
        ("review_due", "2030-03-01T17:00"),
        ("notice_working_days", "7"),
        ("project_months", "12"),
    ];
    for (k, v) in changes {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = *v,
            None => fields.push((*k, *v)),
        }
    }
    fields
}

async fn the_round_form_reports_bad_lines_and_keeps_what_was_typed(b: Backend) {
    let app = spawn(b).await;
    app.officer().await;
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, page) = web.get_text(&app, "/rounds/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("需求分析 20"), "defaults are pre-filled");
    let fields = round_form(&[
        ("max_grant", "两万"),
        ("review_criteria", "需求分析 50\n项目设计"),
    ]);
    let r = web.post_form(&app, "/rounds", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("请输入金额"), "max_grant named");
    assert!(
        page.contains("第 2 行应为"),
        "the bad criteria line is named"
    );
    assert!(
        page.contains("2027年微创投") && page.contains("两万"),
        "typed values kept"
    );

    let r = web.post_form(&app, "/rounds", &round_form(&[])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let round_page = location(&r);
    let (_, page) = web.get_text(&app, &round_page).await;
    assert!(page.contains("设置完整，可以发布"), "{page}");
    assert!(page.contains("¥20,000.00"));
    let id: i64 = round_page.rsplit('/').next().unwrap().parse().unwrap();
    let r = web
        .post_form(&app, &format!("/rounds/{id}/publish"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = web.get_text(&app, &round_page).await;
    assert!(page.contains("申报中"));
    let (_, v) = app.get(&format!("/api/v1/calls/{id}"), None).await;
    assert_eq!(
        v["rules"]["tranches"],
        json!([{"share_bp": 5000, "condition": "on_signing"}, {"share_bp": 5000, "condition": "after_midterm"}])
    );
    assert_eq!(
        v["round"]["closes_at"], "2030-02-01T09:00:00",
        "Beijing 17:00 is 09:00 UTC"
    );
}
dual!(the_round_form_reports_bad_lines_and_keeps_what_was_typed);

async fn the_round_form_refuses_the_money_the_api_refuses(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, v) = app
        .post("/api/v1/rounds", Some(&officer), round_json(&app, "草稿"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let draft = v["id"].as_i64().unwrap();
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{draft}"), Some(&officer))
        .await;
    let version = v["round"]["version"].as_i64().unwrap();
    let version_text = version.to_string();
    let too_much = yichuang::domain::money::MAX_FEN + 1;
    // Negative, and one fen above the product's maximum (1亿元), on each money field.
    for (field, fen, typed) in [
        ("total_budget", -1, "-0.01"),
        ("min_grant", too_much, "100000000.01"),
        ("max_grant", too_much, "10000.0001万"),
    ] {
        // The API refuses it on create and on save of a draft, naming the field.
        let mut body = round_json(&app, "金额越界");
        body[format!("{field}_fen")] = json!(fen);
        let (s, v) = app
            .post("/api/v1/rounds", Some(&officer), body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        let message = v["errors"][0]["message"].as_str().unwrap().to_string();
        body["version"] = json!(version);
        let (s, v) = app
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/rounds/{draft}"),
                Some(&officer),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        // The page's form refuses it too, with the same message on the same field.
        let shown = format!(r#"<p class="error" id="e-{field}">"#);
        for (path, extra) in [
            ("/rounds".to_string(), None),
            (
                format!("/rounds/{draft}/edit"),
                Some(("version", version_text.as_str())),
            ),
        ] {
            let mut form = round_form(&[(field, typed)]);
            form.extend(extra);
            let r = web.post_form(&app, &path, &form).await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {typed}"
            );
            let page = r.text().await.unwrap();
            let at = page.find(&shown).map(|i| &page[i + shown.len()..]);
            let (shown_message, _) = at
                .and_then(|rest| rest.split_once("</p>"))
                .unwrap_or_else(|| panic!("{field} is not named on {path} for {typed}"));
            assert_eq!(shown_message, message, "{path} {typed}");
        }
    }
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{draft}"), Some(&officer))
        .await;
    assert_eq!(v["round"]["version"], version, "nothing was saved");
}
dual!(the_round_form_refuses_the_money_the_api_refuses);

async fn an_unknown_stored_status_or_unreadable_rules_are_errors_not_defaults(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let id = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;

    // A status no version of the product wrote: reading the round fails, naming the type and
    // the value, instead of showing the round as a draft.
    let err = app
        .db(move |c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE rounds SET status = 'opne' WHERE id = $1")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(c)
                .unwrap();
            yichuang::db::rounds::find(c, id).unwrap_err().to_string()
        })
        .await;
    assert!(err.contains("RoundStatus") && err.contains("opne"), "{err}");
    let (s, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");

    // Rules that do not decode: an error, never the default rules.
    let err = app
        .db(move |c| {
            use diesel::RunQueryDsl;
            diesel::sql_query(
                "UPDATE rounds SET status = 'open', rules_json = '{\"review_criteria\": 7}' WHERE id = $1",
            )
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(c)
            .unwrap();
            yichuang::db::rounds::find(c, id).unwrap_err().to_string()
        })
        .await;
    assert!(err.contains("RoundRules"), "{err}");
    let (s, v) = app
        .get(&format!("/api/v1/rounds/{id}"), Some(&officer))
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
}
dual!(an_unknown_stored_status_or_unreadable_rules_are_errors_not_defaults);
