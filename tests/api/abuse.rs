//! Abuse limits: the shared rate-limit counter (429 with `Retry-After`), objections that count
//! only once confirmed, sign-up and reset answers that do not tell who has an account, and the
//! client address read from `X-Forwarded-For` behind a trusted proxy.

use chrono::Duration;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::award::{end_notice, ranked_round, start_notice, Ranked};
use crate::dual;
use crate::helpers::{location, spawn, spawn_with, Backend, TestApp, PASSWORD};
use yichuang::domain::outbox::MailKind;

/// A round whose notice runs, with two proposals on the list.
async fn on_notice(app: &TestApp) -> Ranked {
    let r = ranked_round(app, 12_000_000, &[90, 80], 5).await;
    start_notice(app, &r).await;
    r
}

fn objection(pid: i64, email: &str, reason: &str) -> Value {
    json!({
        "proposal_id": pid,
        "name": "王芳",
        "email": email,
        "phone": "13900000000",
        "reason": reason,
    })
}

const REASON: &str = "该机构负责人同时在另一获资助项目中任职，存在重复申报问题。";

/// Files an objection through the API from the client address `xff` (as a proxy would
/// report it) and returns the answer.
async fn file_from(app: &TestApp, round: i64, xff: &str, body: Value) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/rounds/{round}/objections")))
        .header("x-forwarded-for", xff)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The `Retry-After` of a 429, in seconds, checked to be within the hour's window.
fn retry_after(r: &Response) -> i64 {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let secs: i64 = r
        .headers()
        .get("retry-after")
        .expect("a 429 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&secs), "{secs}");
    secs
}

async fn officer_list(app: &TestApp, r: &Ranked) -> Vec<Value> {
    let (s, v) = app
        .get(
            &format!("/api/v1/rounds/{}/objections", r.round),
            Some(&r.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn objections_are_counted_only_once_their_author_confirms_them(b: Backend) {
    let app = spawn(b).await;
    let r = on_notice(&app).await;
    let (p0, p1) = (r.pids[0], r.pids[1]);
    let officer_mails = app.emails_to("officer@gusu.gov.cn").await.len();

    // An objection left unconfirmed while a day and an hour pass.
    app.post(
        &format!("/api/v1/rounds/{}/objections", r.round),
        None,
        objection(p1, "late@example.com", REASON),
    )
    .await;
    let late_token = app
        .token_from_email("late@example.com", "/objections/confirm")
        .await;
    let late: i64 = app
        .db(|c| {
            use diesel::prelude::*;
            use yichuang::db::schema::objections::dsl::*;
            objections
                .filter(email.eq("late@example.com"))
                .select(id)
                .first(c)
                .unwrap()
        })
        .await;
    app.clock.advance(Duration::hours(25));

    // Filed but not confirmed: the answer says to check the email; nobody else hears of it.
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p0, "unconfirmed@example.com", REASON),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert!(v["message"].as_str().unwrap().contains("请查收邮件"), "{v}");
    let unconfirmed = v["id"].as_i64().unwrap();
    let mail = app.last_email_to("unconfirmed@example.com").await;
    assert_eq!(mail.kind, MailKind::ObjectionConfirm);
    assert!(mail.body_text.contains("/objections/confirm?token="));
    assert!(officer_list(&app, &r).await.is_empty());
    assert_eq!(
        app.emails_to("officer@gusu.gov.cn").await.len(),
        officer_mails
    );

    // The link shows a button and confirms nothing by itself (mail scanners follow links).
    let public = app.browser();
    let token = app
        .token_from_email("unconfirmed@example.com", "/objections/confirm")
        .await;
    let (s, page) = public
        .get_text(&app, &format!("/objections/confirm?token={token}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("confirm-objection"), "{page}");
    assert!(officer_list(&app, &r).await.is_empty());

    // Two confirmed objections that look alike (same proposal, same reason), from the page
    // and from the API; a third from the first address against the other proposal.
    let res = public
        .post_form(
            &app,
            &format!("/notices/{}/objections", r.round),
            &[
                ("proposal_id", &p0.to_string()),
                ("name", "张三"),
                ("email", "first@example.com"),
                ("phone", ""),
                ("reason", REASON),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = public
        .get_text(&app, &format!("/notices/{}", r.round))
        .await;
    assert!(
        page.contains("请查收邮件"),
        "the page says to check the email"
    );
    let token = app
        .token_from_email("first@example.com", "/objections/confirm")
        .await;
    let res = public
        .post_form(&app, "/objections/confirm", &[("token", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/notices/{}", r.round));
    let res = public
        .post_form(&app, "/objections/confirm", &[("token", &token)])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "the link is single-use"
    );
    assert!(app
        .last_email_to("first@example.com")
        .await
        .subject
        .contains("已收到"));
    assert!(app.emails_to("officer@gusu.gov.cn").await.len() > officer_mails);
    app.post(
        &format!("/api/v1/rounds/{}/objections", r.round),
        None,
        objection(p0, "second@example.com", &format!("  {REASON} ")),
    )
    .await;
    let second = app.confirm_objection("second@example.com").await;
    app.post(
        &format!("/api/v1/rounds/{}/objections", r.round),
        None,
        objection(p1, "First@Example.com", "另一个项目的问题也需要核查一下。"),
    )
    .await;
    let third = app.confirm_objection("first@example.com").await;

    // The officer sees the three confirmed ones as one group of duplicates.
    let list = officer_list(&app, &r).await;
    let ids: Vec<i64> = list.iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&unconfirmed));
    assert!(ids.contains(&second) && ids.contains(&third));
    assert!(list
        .iter()
        .all(|o| o["group_size"] == 3 && o["group"] == ids[0]));
    let officer = app.browser();
    officer
        .login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = officer
        .get_text(&app, &format!("/rounds/{}/notice", r.round))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains(&format!("objection-{unconfirmed}\"")));
    assert_eq!(page.matches("疑似重复").count(), 3, "{page}");

    // An unconfirmed objection older than a day cannot be confirmed, and the worker deletes it.
    let (s, page) = public
        .get_text(&app, &format!("/objections/confirm?token={late_token}"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("链接无效"));
    let (s, v) = app
        .post(
            "/api/v1/objections/confirm",
            None,
            json!({"token": late_token}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("token_invalid"))
    );
    app.clock
        .scope(yichuang::jobs::housekeeping(&app.pool))
        .await
        .unwrap();
    let left: Vec<i64> = app
        .db(|c| {
            use diesel::prelude::*;
            use yichuang::db::schema::objections::dsl::*;
            objections.select(id).order(id).load(c).unwrap()
        })
        .await;
    assert!(!left.contains(&late), "the expired one is purged");
    assert!(
        left.contains(&unconfirmed),
        "a recent one waits for its author"
    );

    // Finalising waits for the three confirmed ones only; the unconfirmed one never blocks.
    end_notice(&app, r.round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("objections_open")),
        "{v}"
    );
    assert!(v["title"].as_str().unwrap().contains('3'), "{v}");
    for id in ids {
        let (s, v) = app
            .post(
                &format!("/api/v1/objections/{id}/answer"),
                Some(&r.officer),
                json!({"upheld": false, "response": "经核查，异议不成立。"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/objections/{unconfirmed}/answer"),
            Some(&r.officer),
            json!({"upheld": false, "response": "未确认"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
dual!(objections_are_counted_only_once_their_author_confirms_them);

async fn objection_filing_is_limited_per_client_address_and_per_email(b: Backend) {
    let app = spawn_with(b, |s| s.trust_proxy = true).await;
    let r = on_notice(&app).await;
    let p0 = r.pids[0];

    // Five from one client address, whatever it writes at the left of X-Forwarded-For.
    for i in 0..5 {
        let res = file_from(
            &app,
            r.round,
            &format!("6.6.6.{i}, 203.0.113.1"),
            objection(p0, &format!("c{i}@example.com"), REASON),
        )
        .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let res = file_from(
        &app,
        r.round,
        "6.6.6.99, 203.0.113.1",
        objection(p0, "c5@example.com", REASON),
    )
    .await;
    retry_after(&res);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
    assert!(app.emails_to("c5@example.com").await.is_empty());
    // Another client address is not affected.
    let res = file_from(
        &app,
        r.round,
        "203.0.113.2",
        objection(p0, "c5@example.com", REASON),
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    // Five for one email address from five client addresses; the sixth, from the page, is
    // refused with a page that says when to come back.
    for i in 0..5 {
        let res = file_from(
            &app,
            r.round,
            &format!("198.51.100.{i}"),
            objection(p0, "same@example.com", REASON),
        )
        .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let public = app.browser();
    let res = public
        .post_form(
            &app,
            &format!("/notices/{}/objections", r.round),
            &[
                ("proposal_id", &p0.to_string()),
                ("name", "王芳"),
                ("email", "Same+again@Example.com"),
                ("phone", ""),
                ("reason", REASON),
            ],
        )
        .await;
    retry_after(&res);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("请求过于频繁"));
    assert_eq!(app.emails_to("same@example.com").await.len(), 5);
}
dual!(objection_filing_is_limited_per_client_address_and_per_email);

async fn password_reset_requests_are_limited_per_recipient_and_per_client(b: Backend) {
    let app = spawn_with(b, |s| s.account_mail_limit_per_client = 8).await;
    app.ngo_member("reset@example.org").await;
    let before = app.emails_to("reset@example.org").await.len();
    // The sign-up's email counted; four more pass.
    for _ in 0..4 {
        let (s, v) = app
            .post(
                "/api/v1/auth/password/forgot",
                None,
                json!({"email": "reset@example.org"}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/password/forgot"))
        .json(&json!({"email": "reset@example.org"}))
        .send()
        .await
        .unwrap();
    retry_after(&res);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
    assert_eq!(
        app.emails_to("reset@example.org").await.len(),
        before + 4,
        "no sixth email"
    );

    // The same client address asking for other addresses: five counted so far (the sign-up
    // and four resets; the refused one is not), three more pass, then the page refuses too.
    for e in ["a@example.org", "b@example.org", "c@example.org"] {
        let (s, _) = app
            .post("/api/v1/auth/password/forgot", None, json!({"email": e}))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let web = app.browser();
    let res = web
        .post_form(&app, "/password/forgot", &[("email", "d@example.org")])
        .await;
    retry_after(&res);
    assert!(res.text().await.unwrap().contains("请求过于频繁"));
}
dual!(password_reset_requests_are_limited_per_recipient_and_per_client);

async fn signup_and_reset_answer_alike_for_known_and_new_addresses(b: Backend) {
    let app = spawn(b).await;
    app.ngo_member("known@example.org").await;
    let known_before = app.emails_to("known@example.org").await.len();

    // API sign-up: the same status and body.
    let signup = |email: &str| json!({"email": email, "name": "李明", "password": PASSWORD});
    let (s1, v1) = app
        .post("/api/v1/auth/signup", None, signup("Known@example.org"))
        .await;
    let (s2, v2) = app
        .post("/api/v1/auth/signup", None, signup("fresh@example.org"))
        .await;
    assert_eq!((s1, &v1), (s2, &v2));
    assert_eq!(s1, StatusCode::ACCEPTED);
    // The owner of the known address is told, with a working reset link.
    let mails = app.emails_to("known@example.org").await;
    assert_eq!(mails.len(), known_before + 1);
    let mail = mails.last().unwrap();
    assert_eq!(mail.kind, MailKind::AccountExists);
    assert!(mail.subject.contains("注册"), "{}", mail.subject);
    let token = app
        .token_from_email("known@example.org", "/password/reset")
        .await;
    let (s, _) = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": crate::helpers::NEW_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.last_email_to("fresh@example.org").await.kind,
        MailKind::VerifyEmail
    );
    // An unconfirmed sign-up signing up again gets a fresh verification link.
    app.post("/api/v1/auth/signup", None, signup("fresh@example.org"))
        .await;
    let fresh = app.emails_to("fresh@example.org").await;
    assert_eq!(fresh.len(), 2);
    assert!(fresh.iter().all(|m| m.kind == MailKind::VerifyEmail));

    // Page sign-up: the same status and page.
    let web = app.browser();
    let page = |email: &'static str| {
        let web = &web;
        let app = &app;
        async move {
            let r = web
                .post_form(
                    app,
                    "/signup",
                    &[("email", email), ("name", "李明"), ("password", PASSWORD)],
                )
                .await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let (a, b2) = (
        page("known@example.org").await,
        page("page-new@example.org").await,
    );
    assert_eq!(a.0, StatusCode::OK);
    assert_eq!(a, b2);

    // Reset requests: the same answers; only the account gets an email.
    let (s1, v1) = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "known@example.org"}),
        )
        .await;
    let (s2, v2) = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!((s1, &v1), (s2, &v2));
    let r1 = web
        .post_form(&app, "/password/forgot", &[("email", "known@example.org")])
        .await;
    let r2 = web
        .post_form(&app, "/password/forgot", &[("email", "nobody@example.org")])
        .await;
    assert_eq!(r1.status(), r2.status());
    assert_eq!(r1.text().await.unwrap(), r2.text().await.unwrap());
    assert_eq!(
        app.last_email_to("known@example.org").await.kind,
        MailKind::ResetPassword
    );
    assert!(app.emails_to("nobody@example.org").await.is_empty());
}
dual!(signup_and_reset_answer_alike_for_known_and_new_addresses);

async fn the_rate_limit_counts_concurrent_hits_from_several_instances(b: Backend) {
    let app = spawn_with(b, |s| s.worker = false).await;
    // Two threads with their own connections stand for two instances; the key is new, so
    // both race to insert it.
    let run = |max: i32, key: &'static str| {
        let (pool, clock) = (app.pool.clone(), app.clock.clone());
        std::thread::spawn(move || {
            let mut ok = 0;
            for _ in 0..10 {
                let mut c = pool.get().unwrap();
                match yichuang::db::throttle::hit(&mut c, key, clock.now(), max, Duration::hours(1))
                {
                    Ok(()) => ok += 1,
                    Err(yichuang::error::AppError::RateLimited { retry_after_secs }) => {
                        assert!((1..=3600).contains(&retry_after_secs))
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
            ok
        })
    };
    let (a, b2) = (run(100, "k1"), run(100, "k1"));
    assert_eq!(
        a.join().unwrap() + b2.join().unwrap(),
        20,
        "every hit counted once"
    );
    let (a, b2) = (run(15, "k2"), run(15, "k2"));
    assert_eq!(
        a.join().unwrap() + b2.join().unwrap(),
        15,
        "exactly the limit passes"
    );
    // A new window starts once the old one is over.
    let passed = app
        .db(|c| {
            yichuang::db::throttle::hit(
                c,
                "k2",
                yichuang::db::now() + Duration::hours(1),
                15,
                Duration::hours(1),
            )
        })
        .await;
    assert!(passed.is_ok());

    // The login lock counts the same way: 20 failures at once on a new key, a lock at 15.
    let fail = || {
        let (pool, clock) = (app.pool.clone(), app.clock.clone());
        std::thread::spawn(move || {
            let mut locks = 0;
            for _ in 0..10 {
                let mut c = pool.get().unwrap();
                let locked = yichuang::db::throttle::record_failure(
                    &mut c,
                    "acct:race@example.org",
                    clock.now(),
                    15,
                    Duration::minutes(15),
                )
                .unwrap();
                locks += usize::from(locked.is_some());
            }
            locks
        })
    };
    let (a, b2) = (fail(), fail());
    assert_eq!(
        a.join().unwrap() + b2.join().unwrap(),
        1,
        "one lock at the 15th"
    );
}
dual!(the_rate_limit_counts_concurrent_hits_from_several_instances);

async fn sign_ups_and_verification_resends_are_limited(b: Backend) {
    let app = spawn_with(b, |s| {
        s.account_mail_limit_per_client = 7;
        s.login_max_failures = 2;
    })
    .await;
    let signup = |email: &str| json!({"email": email, "name": "李明", "password": PASSWORD});
    // An unconfirmed sign-up signing in with the right password gets a fresh link, within
    // the recipient's limit: the sign-up and four resends.
    let (s, _) = app
        .post("/api/v1/auth/signup", None, signup("pending@example.org"))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    for _ in 0..4 {
        let (s, v) = app
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": "pending@example.org", "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "pending@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    retry_after(&res);
    assert_eq!(app.emails_to("pending@example.org").await.len(), 5);

    // Five counted for this client address; two more sign-ups pass, the next is refused,
    // from the API and from the page.
    for e in ["one@example.org", "two@example.org"] {
        let (s, _) = app.post("/api/v1/auth/signup", None, signup(e)).await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&signup("three@example.org"))
        .send()
        .await
        .unwrap();
    retry_after(&res);
    let web = app.browser();
    let res = web
        .post_form(
            &app,
            "/signup",
            &[
                ("email", "four@example.org"),
                ("name", "李明"),
                ("password", PASSWORD),
            ],
        )
        .await;
    retry_after(&res);
    assert!(app.emails_to("three@example.org").await.is_empty());
    assert!(app.emails_to("four@example.org").await.is_empty());

    // The login lock answers 429 with Retry-After too, on the API and on the page.
    for _ in 0..2 {
        app.post(
            "/api/v1/auth/token",
            None,
            json!({"email": "one@example.org", "password": "wrong-wrong-wrong"}),
        )
        .await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "one@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let secs = retry_after(&res);
    assert!(secs <= 15 * 60, "{secs}");
    let res = web.login(&app, "one@example.org", PASSWORD).await;
    retry_after(&res);
}
dual!(sign_ups_and_verification_resends_are_limited);
