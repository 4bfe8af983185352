//! Sign-up, verification, login, throttling, tokens, invitations, password changes.

use reqwest::StatusCode;
use serde_json::json;
use yichuang::domain::account::Role;

use crate::dual;
use crate::helpers::{location, spawn, spawn_with, Backend, NEW_PASSWORD, PASSWORD};
use yichuang::domain::outbox::MailKind;

async fn signup_sends_a_verification_link_that_activates_the_account(b: Backend) {
    let app = spawn(b).await;
    let web = app.browser();
    let r = web
        .post_form(
            &app,
            "/signup",
            &[
                ("email", "Li.Ming@Example.org"),
                ("name", "李明"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("请查收邮件"));

    // Not active yet: signing in says why.
    let r = web.login(&app, "li.ming@example.org", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("邮箱尚未验证"));
    assert_eq!(
        app.emails_to("li.ming@example.org").await.len(),
        2,
        "a fresh link was sent"
    );

    let mail = app.last_email_to("li.ming@example.org").await;
    assert_eq!(mail.kind, MailKind::VerifyEmail);
    assert!(mail.subject.contains("验证"), "{}", mail.subject);
    let token = app
        .token_from_email("li.ming@example.org", "/verify-email")
        .await;
    let r = web.get(&app, &format!("/verify-email?token={token}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/orgs/new");
    let (s, page) = web.get_text(&app, "/orgs/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("登记社会组织"));

    // The link is single-use.
    let (s, page) = web
        .get_text(&app, &format!("/verify-email?token={token}"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("链接无效"));
    let id: i64 = app
        .db(|c| {
            yichuang::db::users::find_by_email(c, "li.ming@example.org")
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    assert_eq!(
        app.audit_actions("user", id).await,
        vec!["user.email_verified", "user.signed_up"]
    );
}
dual!(signup_sends_a_verification_link_that_activates_the_account);

async fn signup_reports_every_bad_field_and_keeps_what_was_typed(b: Backend) {
    let app = spawn(b).await;
    let web = app.browser();
    let r = web
        .post_form(
            &app,
            "/signup",
            &[
                ("email", "not-an-email"),
                ("name", "阿明"),
                ("password", "123456"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("请输入有效的电子邮箱地址"), "{page}");
    assert!(page.contains("密码至少需要 10 个字符"));
    assert!(
        page.contains(r#"value="not-an-email""#) && page.contains(r#"value="阿明""#),
        "typed values are kept"
    );

    // The API names the fields too.
    let (s, v) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "x@example.org", "name": "", "password": "password1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["code"], "validation_failed");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "password"]);
    assert_eq!(v["errors"][1]["code"], "password_weak");

    // A registered email is not a field error (that would tell strangers who has an
    // account): the answer is a fresh sign-up's, and nothing is written twice.
    app.ngo_member("dup@example.org").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "DUP@example.org", "name": "重复", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let count = app.db(|c| yichuang::db::users::count(c).unwrap()).await;
    assert_eq!(count, 2, "the admin and the one member");
}
dual!(signup_reports_every_bad_field_and_keeps_what_was_typed);

async fn repeated_failed_logins_lock_the_account_with_a_clear_message(b: Backend) {
    let app = spawn_with(b, |s| s.login_max_failures = 3).await;
    app.ngo_member("locked@example.org").await;
    for _ in 0..2 {
        let (s, v) = app
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": "locked@example.org", "password": "wrong-password-1"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        assert_eq!(v["code"], "invalid_credentials");
    }
    let (s, v) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "locked@example.org", "password": "wrong-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["code"], "too_many_attempts");
    // Even the right password waits until the lock ends.
    let (s, _) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "locked@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // The page says so in the reader's language.
    let web = app.browser();
    let r = web.login(&app, "locked@example.org", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("已暂时锁定"));
    // The client address is locked as well: another account from here is refused.
    let (s, _) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "someone@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}
dual!(repeated_failed_logins_lock_the_account_with_a_clear_message);

async fn bad_tokens_are_refused(b: Backend) {
    use base64::Engine;
    let app = spawn(b).await;
    let good = app.ngo_member("tok@example.org").await;
    let (s, v) = app.get("/api/v1/me", Some(&good)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["email"], "tok@example.org");

    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = app.clock.now().and_utc().timestamp() + 3600;
    let claims = b64.encode(format!(
        r#"{{"sub":"1","ver":0,"role":"admin","iat":0,"exp":{exp},"jti":"x"}}"#
    ));
    let none = format!("{}.{claims}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let other_key = yichuang::auth::Jwt::new("some-other-secret-some-other-secret", 1)
        .issue(1, 0, Role::Admin, "x", app.clock.now())
        .unwrap()
        .0;
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{claims}.{}", parts[0], parts[2]);
    let expired = {
        let mut jwt = yichuang::auth::Jwt::new(app.settings.jwt_secret.expose(), 1);
        jwt.ttl_secs = -5;
        jwt.issue(1, 0, Role::Admin, "x", app.clock.now())
            .unwrap()
            .0
    };
    for (what, t) in [
        ("alg none", none),
        ("wrong key", other_key),
        ("tampered", tampered),
        ("expired", expired),
        ("garbage", "abc".into()),
    ] {
        let (s, v) = app.get("/api/v1/me", Some(&t)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {v}");
        assert_eq!(v["code"], "unauthorized", "{what}");
    }
    let (s, _) = app.get("/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
dual!(bad_tokens_are_refused);

async fn a_password_change_or_deactivation_revokes_earlier_tokens(b: Backend) {
    let app = spawn(b).await;
    let old = app.ngo_member("rev@example.org").await;
    let web = app.browser();
    assert_eq!(
        web.login(&app, "rev@example.org", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(web.get(&app, "/dashboard").await.status(), StatusCode::OK);

    let (s, v) = app
        .post(
            "/api/v1/me/password",
            Some(&old),
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let new = v["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/me", Some(&old)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", Some(&new)).await.0, StatusCode::OK);
    // The browser session ended too: back to the login page.
    let r = web.get(&app, "/dashboard").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login?next="));
    assert_eq!(
        app.last_email_to("rev@example.org").await.kind,
        MailKind::PasswordChanged
    );

    // Deactivation ends the new token at once.
    let admin = app.admin_token().await;
    let id = app.get("/api/v1/me", Some(&new)).await.1["id"]
        .as_i64()
        .unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{id}/status"),
            Some(&admin),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        app.get("/api/v1/me", Some(&new)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, v) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "rev@example.org", "password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("account_disabled"))
    );
    assert_eq!(app.audit_actions("user", id).await[0], "user.disabled");
}
dual!(a_password_change_or_deactivation_revokes_earlier_tokens);

async fn password_reset_by_email_link(b: Backend) {
    let app = spawn(b).await;
    app.ngo_member("forgot@example.org").await;
    let web = app.browser();
    let r = web
        .post_form(&app, "/password/forgot", &[("email", "forgot@example.org")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Unknown addresses get the same answer and no email.
    let r = web
        .post_form(&app, "/password/forgot", &[("email", "nobody@example.org")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(app.emails_to("nobody@example.org").await.is_empty());

    let token = app
        .token_from_email("forgot@example.org", "/password/reset")
        .await;
    let (s, page) = web
        .get_text(&app, &format!("/password/reset?token={token}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("设置新密码"));
    let r = web
        .post_form(
            &app,
            "/password/reset",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = web
        .post_form(
            &app,
            "/password/reset",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post(
            "/api/v1/auth/token",
            None,
            json!({"email": "forgot@example.org", "password": PASSWORD})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    app.token("forgot@example.org", NEW_PASSWORD).await;
    // Used once only.
    let r = web
        .post_form(
            &app,
            "/password/reset",
            &[("token", &token), ("password", "Another-Long-Password-9")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
dual!(password_reset_by_email_link);

async fn staff_are_invited_by_email_within_their_powers(b: Backend) {
    let app = spawn(b).await;
    let admin = app.admin_token().await;
    let (s, v) = app
        .post(
            "/api/v1/bureaus",
            Some(&admin),
            json!({"name": "姑苏区民政局"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let bureau = v["id"].as_i64().unwrap();

    // An officer needs a bureau.
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"email": "o@gusu.gov.cn", "name": "张科长", "role": "officer"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "bureau_id");
    let (s, v) = app.post("/api/v1/users", Some(&admin), json!({"email": "o@gusu.gov.cn", "name": "张科长", "role": "officer", "bureau_id": bureau})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mail = app.last_email_to("o@gusu.gov.cn").await;
    assert_eq!(mail.kind, MailKind::Invite);
    assert!(
        mail.body_text.contains("民政局工作人员"),
        "{}",
        mail.body_text
    );

    // The invited officer sets a password in the browser.
    let token = app
        .token_from_email("o@gusu.gov.cn", "/invite/accept")
        .await;
    let web = app.browser();
    let (s, page) = web
        .get_text(&app, &format!("/invite/accept?token={token}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("o@gusu.gov.cn"));
    let r = web
        .post_form(
            &app,
            "/invite/accept",
            &[
                ("token", &token),
                ("name", "张科长"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, page) = web.get_text(&app, "/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("待核验机构"));

    // Officers invite reviewers, never officers or admins.
    let officer = app.token("o@gusu.gov.cn", PASSWORD).await;
    let (s, _) = app
        .post(
            "/api/v1/users",
            Some(&officer),
            json!({"email": "r@expert.cn", "name": "陈教授", "role": "reviewer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for role in ["officer", "admin"] {
        let (s, v) = app
            .post(
                "/api/v1/users",
                Some(&officer),
                json!({"email": "x@gusu.gov.cn", "name": "X", "role": role}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
    }
    // NGO members cannot invite staff at all.
    let ngo = app.ngo_member("ngo@example.org").await;
    let (s, _) = app
        .post(
            "/api/v1/users",
            Some(&ngo),
            json!({"email": "y@expert.cn", "name": "Y", "role": "reviewer"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An evaluator needs an evaluation agency.
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(&officer),
            json!({"email": "e@pingu.cn", "name": "E", "role": "evaluator"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "org_id");
}
dual!(staff_are_invited_by_email_within_their_powers);

async fn the_first_admin_must_replace_the_one_time_password(b: Backend) {
    let app = spawn(b).await;
    let (email, otp) = app.admin.clone();
    let web = app.browser();
    let r = web.login(&app, &email, &otp).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/account/password");
    let r = web.get(&app, "/admin/users").await;
    assert_eq!(
        location(&r),
        "/account/password",
        "every page waits for the new password"
    );
    let t = app.token(&email, &otp).await;
    let (s, v) = app.get("/api/v1/users", Some(&t)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let r = web
        .post_form(
            &app,
            "/account/password",
            &[("current_password", &otp), ("new_password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, page) = web.get_text(&app, "/admin/users").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&email));
}
dual!(the_first_admin_must_replace_the_one_time_password);

async fn forms_without_the_csrf_token_are_refused_and_change_nothing(b: Backend) {
    let app = spawn(b).await;
    let web = app.browser();
    let r = web
        .client
        .post(app.url("/signup"))
        .form(&[
            ("email", "csrf@example.org"),
            ("name", "C"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("表单已过期"));
    web.get(&app, "/login").await;
    let r = web
        .client
        .post(app.url("/signup"))
        .form(&[
            ("_csrf", "forged-forged-forged-forged-forged-forged"),
            ("email", "csrf@example.org"),
            ("name", "C"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let exists = app
        .db(|c| yichuang::db::users::email_taken(c, "csrf@example.org").unwrap())
        .await;
    assert!(!exists);
}
dual!(forms_without_the_csrf_token_are_refused_and_change_nothing);

async fn pages_and_emails_speak_the_readers_language(b: Backend) {
    let app = spawn(b).await;
    let web = app.browser();
    let (_, page) = web.get_text(&app, "/login").await;
    assert!(page.contains("登录") && page.contains(r#"lang="zh-CN""#));
    let r = web
        .client
        .get(app.url("/lang/en"))
        .header("referer", app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login");
    let (_, page) = web.get_text(&app, "/login").await;
    assert!(
        page.contains("Sign in") && page.contains(r#"lang="en""#),
        "{page}"
    );
    // Signing up in English gets English emails.
    web.post_form(
        &app,
        "/signup",
        &[
            ("email", "en@example.org"),
            ("name", "Li Ming"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let mail = app.last_email_to("en@example.org").await;
    assert_eq!(mail.subject, "[Yichuang] Confirm your email address");
    // And the API answers in the language asked for.
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("accept-language", "en")
        .json(&json!({"email": "x@example.org", "password": "nope-nope-nope"}))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["title"], "Wrong email or password.");
}
dual!(pages_and_emails_speak_the_readers_language);
