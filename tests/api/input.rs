//! Input that can neither overflow nor crash: money above the product's maximum, control
//! characters in text, passwords built from the site's words, unknown notice keys.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual;
use crate::helpers::{has_error, spawn, Backend, TestApp, PASSWORD};
use crate::proposals::{content, eligible_ngo};
use crate::proposals::{save, start as draft};
use crate::rounds::open_round;

/// The page names `field` in its list of field errors (or beside the form field).
fn page_names(page: &str, field: &str) -> bool {
    page.contains(&format!(r#"data-field="{field}""#))
}

async fn budget_lines_that_would_wrap_are_refused_and_never_submitted(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "溢出批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "wrap@example.org", 31).await;
    let id = draft(&app, &member, round).await;

    // The finding: i64::MAX + i64::MAX + 2 wraps to 0 in a release build.
    let mut c = content(&app);
    c["requested_grant"] = json!(0);
    c["budget"] = json!([
        {"category": "activity", "item": "甲", "amount": i64::MAX, "source": "grant"},
        {"category": "activity", "item": "乙", "amount": i64::MAX, "source": "grant"},
        {"category": "activity", "item": "丙", "amount": 2, "source": "grant"}
    ]);
    let (s, v) = save(&app, &member, id, c.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "budget"), "{v}");
    let rows: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "budget")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "rows 1 and 2 are named: {v}");
    assert!(rows[0].contains("预算第 1 行"), "{v}");

    // A requested grant above the maximum is named too.
    let mut c2 = content(&app);
    c2["requested_grant"] = json!(i64::MAX);
    let (s, v) = save(&app, &member, id, c2).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "requested_grant"), "{v}");

    // Nothing was stored, and the draft cannot be submitted.
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert!(v["content"]["budget"].as_array().unwrap().is_empty(), "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{id}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["proposal"]["status"], "draft");

    // The page form refuses an amount above the maximum by its row.
    let web = app.browser();
    web.login(&app, "wrap@example.org", PASSWORD).await;
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/budget"),
            &[
                ("version", "1"),
                ("l_cat_0", "activity"),
                ("l_item_0", "活动物料"),
                ("l_amount_0", "92233720368547758.07"),
                ("l_source_0", "grant"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("预算第 1 行"));

    // A round's money above the maximum is a field error on the API.
    let mut round_body = crate::rounds::round_json(&app, "过大的批次");
    round_body["total_budget_fen"] = json!(i64::MAX);
    let (s, v) = app.post("/api/v1/rounds", Some(&officer), round_body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "total_budget"), "{v}");
}
dual!(budget_lines_that_would_wrap_are_refused_and_never_submitted);

async fn report_spending_above_the_maximum_is_refused_on_save(b: Backend) {
    let app = spawn(b).await;
    let a = crate::execution::awarded(&app).await;
    let (project, ngo) = (a.projects[0], &a.members[0]);
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reports/{id}"),
            Some(ngo),
            Some(json!({"version": 1, "content": {
                "spending": [{"line": 0, "spent": 100}, {"line": 1, "spent": i64::MAX}]
            }})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        has_error(&v, "spending.1") && !has_error(&v, "spending.0"),
        "{v}"
    );
}
dual!(report_spending_above_the_maximum_is_refused_on_save);

/// Status and body of a page form post.
async fn form(
    web: &crate::helpers::Browser,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = web.post_form(app, path, fields).await;
    (r.status(), r.text().await.unwrap())
}

async fn nul_and_control_characters_are_field_errors_never_500(b: Backend) {
    let app = spawn(b).await;

    // Sign-up and sign-in, without an account.
    let web = app.browser();
    let (s, page) = form(
        &web,
        &app,
        "/signup",
        &[
            ("email", "nul@example.org"),
            ("name", "李\0明"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "name"), "{page}");
    let (s, v) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "nul@example.org", "name": "李\u{0}明", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "name"), "{v}");
    assert!(app.emails_to("nul@example.org").await.is_empty());

    let (s, page) = form(
        &web,
        &app,
        "/login",
        &[("email", "a\0@example.org"), ("password", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "email"), "{page}");
    let (s, v) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "a\u{0}@example.org", "password": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "email"), "{v}");

    // Other C0 controls too; tab, newline and CRLF stay allowed.
    let (s, v) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "a\u{1b}[2J@example.org", "password": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Proposal title, API and page, named by its path in the body.
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "字符批次").await;
    let (member, org) = eligible_ngo(&app, &officer, "chars@example.org", 32).await;
    let id = draft(&app, &member, round).await;
    let mut c = content(&app);
    c["title"] = json!("标题\u{0}");
    c["activities"] = json!("第一行\r\n第二行\t完");
    let (s, v) = save(&app, &member, id, c.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "content.title"), "{v}");
    assert_eq!(
        v["errors"].as_array().unwrap().len(),
        1,
        "CRLF and tab pass: {v}"
    );
    c["budget"][0]["item"] = json!("物料\u{7}");
    let (_, v) = save(&app, &member, id, c).await;
    assert!(has_error(&v, "content.budget[0].item"), "{v}");
    let mw = app.browser();
    mw.login(&app, "chars@example.org", PASSWORD).await;
    let (s, page) = form(
        &mw,
        &app,
        &format!("/proposals/{id}/sections/basics"),
        &[("version", "1"), ("title", "标题\0")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "title"), "{page}");

    // Admin: user search and bureau name; officer: credit note.
    let admin = app.admin_token().await;
    let (s, v) = app.get("/api/v1/users?q=%00", Some(&admin)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "q"), "{v}");
    let aw = app.browser();
    aw.login(&app, &app.admin.0, PASSWORD).await;
    let (s, page) = aw.get_text(&app, "/admin/users?q=a%00b").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "q"), "{page}");
    let (s, v) = app
        .post(
            "/api/v1/bureaus",
            Some(&admin),
            json!({"name": "新区\u{0}民政局"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "name"), "{v}");
    let (s, page) = form(&aw, &app, "/admin/bureaus", &[("name", "新区\0民政局")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "name"), "{page}");

    let (s, v) = app
        .post(
            &format!("/api/v1/orgs/{org}/credit"),
            Some(&officer),
            json!({"credit_flag_org": true, "credit_flag_legal_rep": false, "note": "依据\u{0}"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "note"), "{v}");
    let ow = app.browser();
    ow.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, page) = form(
        &ow,
        &app,
        &format!("/orgs/{org}/credit"),
        &[("credit_flag_org", "on"), ("note", "依据\0")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page_names(&page, "note"), "{page}");

    // Multipart text fields (file names come in headers, where HTTP allows no controls).
    let upload = |kind: &str, disposition: &str| {
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; {disposition}\r\n\
             Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--XyZ--\r\n"
        );
        app.client
            .post(app.url(&format!("/api/v1/orgs/{org}/documents")))
            .bearer_auth(&member)
            .header("Content-Type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
    };
    let r = upload("registration_certificate\u{0}", r#"filename="a.pdf""#)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(has_error(&v, "kind"), "{v}");
}
dual!(nul_and_control_characters_are_field_errors_never_500);

async fn postgres_character_errors_are_bad_requests(b: Backend) {
    let app = spawn(b).await;
    // Past the extractors (a direct write): PostgreSQL refuses U+0000, and that is the
    // client's fault, a 400, never a 500. SQLite stores it.
    let r = app
        .db(|c| yichuang::db::users::insert_bureau(c, "直写\u{0}民政局"))
        .await;
    match b {
        Backend::Postgres => match r {
            Err(e) => {
                assert_eq!(e.code(), "bad_characters", "{e:?}");
                use actix_web::ResponseError;
                assert_eq!(e.status_code().as_u16(), 400);
            }
            Ok(_) => panic!("PostgreSQL stored a NUL"),
        },
        Backend::Sqlite => assert!(r.is_ok(), "{r:?}"),
    }
}
dual!(postgres_character_errors_are_bad_requests);

async fn passwords_from_the_sites_words_or_reused_are_refused(b: Backend) {
    let app = spawn(b).await;
    for weak in ["Yichuang2026!", "yichuang@2026"] {
        let (s, v) = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "weak@example.org", "name": "王五", "password": weak}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {v}");
        assert!(has_error(&v, "password"), "{v}");
        assert_eq!(v["errors"][0]["code"], "password_weak");
    }
    let web = app.browser();
    let (s, page) = form(
        &web,
        &app,
        "/signup",
        &[
            ("email", "weak@example.org"),
            ("name", "王五"),
            ("password", "Yichuang2026!"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("密码太容易被猜到"), "{page}");

    // The bureau names of the installation are known words.
    app.officer().await;
    let (s, v) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "bureau@example.org", "name": "王五", "password": "姑苏区民政局2026"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "password"), "{v}");

    // Changing to the current password is refused on the new-password field.
    let member = app.ngo_member("same@example.org").await;
    let (s, v) = app
        .post(
            "/api/v1/me/password",
            Some(&member),
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "new_password"), "{v}");
    assert_eq!(v["errors"][0]["code"], "password_same");
    let mw = app.browser();
    mw.login(&app, "same@example.org", PASSWORD).await;
    let (s, page) = form(
        &mw,
        &app,
        "/account/password",
        &[("current_password", PASSWORD), ("new_password", PASSWORD)],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("新密码不能与当前密码相同"), "{page}");
    let (s, page) = form(
        &mw,
        &app,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "Yichuang2026!"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("密码太容易被猜到"), "{page}");

    // A reset link cannot set the current password again either.
    let (s, _) = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "same@example.org"}),
        )
        .await;
    assert!(s.is_success());
    let token = app
        .token_from_email("same@example.org", "/password/reset")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["code"], "password_same");
}
dual!(passwords_from_the_sites_words_or_reused_are_refused);

async fn unknown_flash_keys_are_not_shown(b: Backend) {
    let app = spawn(b).await;
    let get = |cookie: &'static str| {
        app.client
            .get(app.url("/login"))
            .header("Cookie", cookie)
            .send()
    };
    let page = get("yc_flash=flash.x8Qk2ZpA7v")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(r#"class="flash""#), "{page}");
    assert!(!page.contains("flash.x8Qk2ZpA7v"));
    // A key of the locale tables is still shown.
    let page = get("yc_flash=flash.document_uploaded")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"class="flash""#), "{page}");
}
dual!(unknown_flash_keys_are_not_shown);
