//! The evaluator's call-back sample (抽样回访, issue 15): drawn once from the roster and
//! reproducible from its seed, the numbers in clear for the assigned evaluator only (every
//! such view audited), the calls recorded with field errors, the estimates feeding the filing
//! and the summary PDF's annex, the officer's flag and work-queue item, and the evaluation
//! summary as a verifiable document.

use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;
use yichuang::pii::{IdKind, PiiKey};

use crate::dual;
use crate::evaluation::{accept, agency, assign, file, scores};
use crate::execution::{awarded, file_first_reports};
use crate::helpers::{has_error, pdf_text, spawn, Backend, TestApp, PASSWORD, PDF};
use crate::verify::{anonymous_get, qr_codes_in};

/// Writes roster lines for a report the way the rosters' code stores them: names, and phone
/// numbers sealed, hashed and masked under the app's key. `(group, name, phone)`.
async fn roster(
    app: &TestApp,
    project: i64,
    report: i64,
    lines: Vec<(&str, String, Option<String>)>,
) {
    let key = PiiKey::new(app.settings.pii_key.expose());
    let lines: Vec<(String, String, Option<yichuang::pii::StoredId>)> = lines
        .into_iter()
        .map(|(g, n, phone)| {
            (
                g.to_string(),
                n,
                phone.map(|p| key.protect(IdKind::Phone, &p).unwrap()),
            )
        })
        .collect();
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::roster_entries as r;
        let last: Option<i32> = r::table
            .filter(r::report_id.eq(report))
            .select(diesel::dsl::max(r::seq))
            .first(c)
            .unwrap();
        for (i, (g, name, id)) in lines.into_iter().enumerate() {
            diesel::insert_into(r::table)
                .values((
                    r::project_id.eq(project),
                    r::report_id.eq(report),
                    r::seq.eq(last.unwrap_or(0) + i as i32 + 1),
                    r::grp.eq(g),
                    r::name.eq(name),
                    r::id_kind.eq(id.as_ref().map(|s| s.kind.as_str())),
                    r::id_cipher.eq(id.as_ref().map(|s| s.cipher.clone())),
                    r::id_hash.eq(id.as_ref().map(|s| s.hash.clone())),
                    r::id_masked.eq(id.as_ref().map(|s| s.masked.clone())),
                    r::first_served.eq(chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
                    r::person_times.eq(3),
                    r::created_at.eq(yichuang::db::now()),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
}

/// The project's first filed report.
async fn first_report(app: &TestApp, project: i64) -> i64 {
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::reports;
        reports::table
            .filter(reports::project_id.eq(project))
            .order(reports::id)
            .select(reports::id)
            .first::<i64>(c)
            .unwrap()
    })
    .await
}

fn phone(i: usize) -> String {
    format!("1391234{i:04}")
}

/// 40 elderly people with phones (one of them listed twice) and 5 disabled people by name.
async fn forty_five_people(app: &TestApp, project: i64) -> i64 {
    let report = first_report(app, project).await;
    let mut lines: Vec<(&str, String, Option<String>)> = (0..40)
        .map(|i| ("elderly", format!("老人{i:02}"), Some(phone(i))))
        .collect();
    lines.push(("elderly", "老人07".into(), Some(phone(7))));
    lines.extend((0..5).map(|i| ("disabled", format!("残疾人{i}"), None)));
    roster(app, project, report, lines).await;
    report
}

async fn sample(app: &TestApp, token: Option<&str>, ev: i64) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/evaluations/{ev}/sample"), token)
        .await
}

async fn answer(app: &TestApp, token: &str, ev: i64, answers: Value) -> (StatusCode, Value) {
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/evaluations/{ev}/sample/answers"),
        Some(token),
        Some(json!({ "answers": answers })),
    )
    .await
}

async fn sample_actions(app: &TestApp, ev: i64) -> Vec<String> {
    app.audit_actions("evaluation", ev)
        .await
        .into_iter()
        .filter(|a| a.starts_with("sample."))
        .collect()
}

/// Everything but the sample itself: scores, findings, recommendation and the report file;
/// the verified figures and satisfaction stay what the sample fed in.
async fn fill(app: &TestApp, token: &str, ev: i64, total: i32) {
    let (_, cur) = app
        .get(&format!("/api/v1/evaluations/{ev}"), Some(token))
        .await;
    let mut content = cur["content"].clone();
    content["scores"] = json!(scores(total));
    content["findings"] = json!("回访名册中的服务对象，部分未确认受益。");
    content["recommendation"] = json!("renew_conditions");
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/evaluations/{ev}"),
            Some(token),
            Some(json!({"version": cur["evaluation"]["version"], "content": content})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .upload(
            &format!("/api/v1/evaluations/{ev}/report"),
            token,
            "评估报告.pdf",
            PDF,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn tasks_count(app: &TestApp, token: &str, kind: &str) -> i64 {
    let (s, q) = app.get("/api/v1/me/tasks", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .map(|c| c["count"].as_i64().unwrap())
        .unwrap_or_else(|| panic!("no {kind} in {q}"))
}

async fn a_sample_is_drawn_once_called_back_and_feeds_the_filing_and_its_summary(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    file_first_reports(&app, &a).await;
    let (p, o, ngo) = (a.projects[0], a.officer.clone(), a.members[0].clone());
    forty_five_people(&app, p).await;
    let (eva, eva_token) = agency(&app, &o, 81, "张评", "sample-eva@pinggu.cn").await;
    let (_, other_token) = agency(&app, &o, 82, "李核", "sample-other@pinggu.cn").await;
    let reviewer = app
        .staff(Role::Reviewer, "sample-reviewer@experts.cn", None)
        .await;
    let (s, v) = assign(&app, &o, p, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ev = v["id"].as_i64().unwrap();

    // Before the draw: what it would take (5% of 40 is 2, but at least 10; 5 is all).
    let (s, v) = sample(&app, Some(&eva_token), ev).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "not_drawn");
    assert_eq!(v["can_draw"], true);
    let planned: Vec<(String, i64, i64)> = v["planned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["population"].as_i64().unwrap(),
                g["size"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [("disabled".into(), 5, 5), ("elderly".into(), 40, 10)],
        "the person listed twice counts once"
    );

    // Only the assigned evaluator draws; nobody else sees the sample.
    for t in [&o, &other_token, &ngo] {
        let (s, _) = app
            .post(
                &format!("/api/v1/evaluations/{ev}/sample"),
                Some(t),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    for t in [&other_token, &ngo, &reviewer] {
        let (s, _) = sample(&app, Some(t), ev).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, _) = sample(&app, None, ev).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{ev}/sample"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{ev}/sample"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "drawn once: {v}");
    assert_eq!(sample_actions(&app, ev).await, ["sample.drawn"]);

    // The evaluator sees names and numbers in clear, and the view is audited.
    let (s, mine) = sample(&app, Some(&eva_token), ev).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["state"], "drawn");
    assert_eq!(mine["unmasked"], true);
    let persons = mine["persons"].as_array().unwrap().clone();
    assert_eq!(persons.len(), 15);
    let phones: Vec<String> = (0..40).map(phone).collect();
    for person in persons.iter().filter(|x| x["group"] == "elderly") {
        let n = person["identity"].as_str().unwrap();
        assert!(phones.iter().any(|p| p == n), "{person}");
        assert!(
            person["name"].as_str().unwrap().starts_with("老人"),
            "{person}"
        );
    }
    assert!(mine["check"].is_null(), "the check is the officer's");
    assert_eq!(
        sample_actions(&app, ev).await,
        ["sample.unmasked", "sample.drawn"]
    );
    // The officer sees them masked, the seed, and that the seed gives this very sample.
    let (s, theirs) = sample(&app, Some(&o), ev).await;
    assert_eq!(s, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["unmasked"], false);
    assert_eq!(theirs["check"], "matches");
    assert_eq!(theirs["seed"], mine["seed"]);
    for person in theirs["persons"].as_array().unwrap() {
        let name = person["name"].as_str().unwrap();
        assert!(name.ends_with('*'), "{person}");
        if person["group"] == "elderly" {
            let id = person["identity"].as_str().unwrap();
            assert!(id.starts_with("139****"), "{person}");
        } else {
            assert!(person["identity"].is_null(), "{person}");
        }
    }
    assert_eq!(
        sample_actions(&app, ev).await.len(),
        2,
        "no clear view, no entry"
    );

    // The seed reproduces it: the same rule run here on the roster picks the same lines.
    let seed = mine["seed"].as_str().unwrap().to_string();
    let (derived, kept) = app
        .db(move |c| {
            let lines = yichuang::db::samples::roster_lines(c, p).unwrap();
            let rules = yichuang::domain::sample::SampleRules::default();
            let d = yichuang::domain::sample::draw(
                &seed,
                &yichuang::domain::sample::unique_persons(&lines),
                &rules,
            );
            let s = yichuang::db::samples::of_evaluation(c, ev)
                .unwrap()
                .unwrap();
            let kept: Vec<i64> = yichuang::db::samples::persons(c, s.id)
                .unwrap()
                .iter()
                .map(|r| r.roster_entry_id)
                .collect();
            (
                d.persons.iter().map(|x| x.entry_id).collect::<Vec<_>>(),
                kept,
            )
        })
        .await;
    assert_eq!(derived, kept);

    // The filing cannot go in while sampled persons are not recorded.
    fill(&app, &eva_token, ev, 85).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{ev}/submit"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "sample"), "{v}");

    // Bad answers are field errors, and nothing of the batch is saved.
    let elderly: Vec<i64> = persons
        .iter()
        .filter(|x| x["group"] == "elderly")
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    let disabled: Vec<i64> = persons
        .iter()
        .filter(|x| x["group"] == "disabled")
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    let (s, v) = answer(
        &app,
        &eva_token,
        ev,
        json!([
            {"person_id": elderly[0], "reached": false, "confirmed": true},
            {"person_id": elderly[1], "reached": true, "confirmed": true, "satisfaction": 9},
            {"person_id": elderly[2], "reached": true, "confirmed": true, "satisfaction": 5},
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, &format!("confirmed_{}", elderly[0])), "{v}");
    assert!(
        has_error(&v, &format!("satisfaction_{}", elderly[1])),
        "{v}"
    );
    let (_, after) = sample(&app, Some(&o), ev).await;
    assert!(after["persons"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["answer"]["reached"].is_null()));
    let (s, _) = answer(&app, &other_token, ev, json!([])).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "another evaluator records nothing"
    );

    // The calls, saved in two goes: elderly 1 not reached, 6 of 9 confirmed; disabled all.
    let sat = [5, 5, 5, 4, 4, 3, 2, 1, 5];
    let first: Vec<Value> = elderly
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i == 0 {
                json!({"person_id": id, "reached": false})
            } else {
                json!({"person_id": id, "reached": true, "confirmed": i <= 6, "satisfaction": sat[i - 1]})
            }
        })
        .collect();
    let (s, v) = answer(&app, &eva_token, ev, json!(first)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["complete"], false);
    assert_eq!(v["flagged"], false, "not flagged before the sample is done");
    let rest: Vec<Value> = disabled
        .iter()
        .map(|id| json!({"person_id": id, "reached": true, "confirmed": true, "satisfaction": 5}))
        .collect();
    let (s, est) = answer(&app, &eva_token, ev, json!(rest)).await;
    assert_eq!(s, StatusCode::OK, "{est}");
    // 6/9 elderly: 40 × 6 ÷ 9 = 26.67 → 26; 5/5 disabled → 5. Overall 11/14 = 78.57% < 80%.
    let verified = |g: &str| {
        est["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["group"] == g)
            .unwrap()["verified"]
            .as_i64()
            .unwrap()
    };
    assert_eq!((verified("elderly"), verified("disabled")), (26, 5));
    assert_eq!(est["confirmed_rate_bp"], 7857);
    // Satisfied (4 or 5 of 5): 6 elderly + 5 disabled of 14 answers = 78.6% → 79%.
    assert_eq!(est["satisfaction_pct"], 79);
    assert_eq!(est["complete"], true);
    assert_eq!(est["flagged"], true);

    // The estimates fed the filing; the officer sees the flag, on the page and in the queue.
    let (_, f) = app
        .get(&format!("/api/v1/evaluations/{ev}"), Some(&o))
        .await;
    assert_eq!(
        f["content"]["verified"],
        json!([{"group": "elderly", "unique_people": 26}, {"group": "disabled", "unique_people": 5}])
    );
    assert_eq!(f["content"]["satisfaction_pct"], 79);
    assert_eq!(f["sample"]["flagged"], true);
    assert_eq!(tasks_count(&app, &o, "sample_flagged").await, 1);
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (_, page) = officer.get_text(&app, &format!("/evaluations/{ev}")).await;
    assert!(page.contains(r#"id="sample-flagged""#), "{page}");
    let (s, page) = officer
        .get_text(&app, &format!("/evaluations/{ev}/sample"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"data-check="matches""#), "{page}");
    assert!(page.contains("139****"), "masked for the officer");
    assert!(phones.iter().all(|n| !page.contains(n.as_str())), "{page}");
    // The evaluator's call sheet shows the numbers in clear, and is audited too.
    let evaluator = app.browser();
    evaluator
        .login(&app, "sample-eva@pinggu.cn", PASSWORD)
        .await;
    let (s, page) = evaluator
        .get_text(&app, &format!("/evaluations/{ev}/sample"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"id="sample-unmasked""#), "{page}");
    let clear = persons.iter().find(|x| x["group"] == "elderly").unwrap()["identity"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page.contains(&clear), "{page}");
    assert_eq!(
        sample_actions(&app, ev)
            .await
            .iter()
            .filter(|a| *a == "sample.unmasked")
            .count(),
        2
    );
    // A bad choice typed on the page is a field error and keeps what was typed.
    let r = evaluator
        .post_form(
            &app,
            &format!("/evaluations/{ev}/sample/answers"),
            &[
                (&format!("reached_{}", elderly[0]), "no"),
                (&format!("confirmed_{}", elderly[0]), "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("has-error"), "{page}");

    // Submitted and accepted: the flag leaves the queue; the summary is issued with the
    // sample annex (masked) and a verification code.
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{ev}/submit"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = accept(&app, &o, ev, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(tasks_count(&app, &o, "sample_flagged").await, 0);
    let (s, v) = sample(&app, Some(&eva_token), ev).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["unmasked"], false, "no clear numbers once filed");
    let res = app
        .client
        .get(app.url(&format!("/api/v1/evaluations/{ev}/summary.pdf")))
        .bearer_auth(&ngo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let pdf = res.bytes().await.unwrap().to_vec();
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    let seed = mine["seed"].as_str().unwrap();
    for want in [
        "附件：抽样回访情况",
        seed,
        "78.57%",
        "服务对象满意度：79%",
        "139****",
        "验证码",
    ] {
        assert!(text.contains(want), "summary lacks {want}: {text}");
    }
    assert!(!text.contains(&clear), "no clear number in the PDF");
    // The verification page of its QR code shows the summary's facts.
    let codes = qr_codes_in(&pdf);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let code = codes[0].rsplit('/').next().unwrap().to_string();
    let (s, v) = app.get(&format!("/api/v1/verify/{code}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "midterm_summary");
    assert_eq!(v["standing"], "valid");
    assert_eq!(v["stage"], "midterm");
    assert_eq!(v["grade"], "良好");
    assert_eq!(v["total_tenths"], 850);
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf));
    assert_eq!(v["sha256"], sha.as_str());
    let (s, page) = anonymous_get(&app, &format!("/verify/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("中期评估报告摘要"), "{page}");
    assert!(page.contains(r#"id="verify-result">良好（85）"#), "{page}");

    // A sample whose kept persons do not follow from the seed shows as such; so does a
    // roster changed since the draw.
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::sample_persons as sp;
        let first: i64 = sp::table
            .filter(sp::grp.eq("elderly"))
            .order(sp::id)
            .select(sp::id)
            .first(c)
            .unwrap();
        diesel::update(sp::table.find(first))
            .set(sp::person_digest.eq("0".repeat(64)))
            .execute(c)
            .unwrap();
    })
    .await;
    let (_, v) = sample(&app, Some(&o), ev).await;
    assert_eq!(v["check"], "differs");
    let report = first_report(&app, p).await;
    roster(
        &app,
        p,
        report,
        vec![("elderly", "新增老人".into(), Some("13900000000".into()))],
    )
    .await;
    let (_, v) = sample(&app, Some(&o), ev).await;
    assert_eq!(v["check"], "roster_changed");
}

dual!(a_sample_is_drawn_once_called_back_and_feeds_the_filing_and_its_summary);

async fn a_re_evaluation_supersedes_the_summary_and_a_sample_needs_a_roster(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    file_first_reports(&app, &a).await;
    let (p, o) = (a.projects[0], a.officer.clone());
    let (eva, eva_token) = agency(&app, &o, 83, "张评", "resample-eva@pinggu.cn").await;
    let (_, v) = assign(&app, &o, p, "midterm", eva).await;
    let ev = v["id"].as_i64().unwrap();
    // No roster filed: nothing to draw from.
    let (_, v) = sample(&app, Some(&eva_token), ev).await;
    assert_eq!(v["planned"], json!([]));
    let (s, v) = app
        .post(
            &format!("/api/v1/evaluations/{ev}/sample"),
            Some(&eva_token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    file(&app, &eva_token, ev, 50).await;
    let (s, v) = accept(&app, &o, ev, json!({"accept": true})).await;
    assert_eq!(
        (s, v["consequence"].as_str()),
        (StatusCode::OK, Some("rectify"))
    );
    let code_of = |ev: i64| {
        app.db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::documents as d;
            d::table
                .filter(d::evaluation_id.eq(ev))
                .select(d::verify_code)
                .first::<Option<String>>(c)
                .unwrap()
                .unwrap()
        })
    };
    let first = code_of(ev).await;
    let (_, v) = app.get(&format!("/api/v1/verify/{first}"), None).await;
    assert_eq!(
        (v["standing"].as_str(), v["version"].as_i64()),
        (Some("valid"), Some(1))
    );
    assert_eq!(v["grade"], "不合格");
    // The re-evaluation's summary is the next version: the first is superseded.
    let (s, v) = assign(&app, &o, p, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let re = v["id"].as_i64().unwrap();
    file(&app, &eva_token, re, 88).await;
    let (s, v) = accept(&app, &o, re, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = code_of(re).await;
    let (_, v) = app.get(&format!("/api/v1/verify/{second}"), None).await;
    assert_eq!(
        (v["standing"].as_str(), v["version"].as_i64()),
        (Some("valid"), Some(2))
    );
    let (_, v) = app.get(&format!("/api/v1/verify/{first}"), None).await;
    assert_eq!(v["standing"], "superseded");
    let (s, page) = anonymous_get(&app, &format!("/verify/{first}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"id="verify-note""#), "{page}");
    // Each evaluation's PDF is its own summary, kept as issued.
    let text_of = |ev: i64| {
        let app = &app;
        let o = o.clone();
        async move {
            let res = app
                .client
                .get(app.url(&format!("/api/v1/evaluations/{ev}/summary.pdf")))
                .bearer_auth(&o)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let bytes = res.bytes().await.unwrap();
            pdf_text(&bytes).split_whitespace().collect::<String>()
        }
    };
    assert!(text_of(ev).await.contains("不合格"));
    let t = text_of(re).await;
    assert!(t.contains("中期再评估") || t.contains("良好"), "{t}");
}

dual!(a_re_evaluation_supersedes_the_summary_and_a_sample_needs_a_roster);
