//! Sessions: signing out ends one session, "sign out everywhere", the list of signed-in
//! devices, deactivation, and CSRF tokens bound to the session.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual;
use crate::helpers::{
    csrf_of, location, spawn, spawn_with, Backend, TestApp, NEW_PASSWORD, PASSWORD,
};

/// A page request that carries only `cookie` (a replayed or planted cookie header).
async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.browser()
        .client
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn signed_in_browser(app: &TestApp, email: &str) -> crate::helpers::Browser {
    let web = app.browser();
    let r = web.login(app, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} signs in");
    assert_eq!(web.get(app, "/dashboard").await.status(), StatusCode::OK);
    web
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/me", Some(token)).await.0
}

async fn sessions_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/me/sessions", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    let e = email.to_string();
    app.db(move |c| {
        yichuang::db::users::find_by_email(c, &e)
            .unwrap()
            .unwrap()
            .id
    })
    .await
}

async fn signing_out_ends_that_session_only(b: Backend) {
    let app = spawn(b).await;
    let email = "out@example.org";
    app.ngo_member(email).await;
    let laptop = signed_in_browser(&app, email).await;
    let phone = signed_in_browser(&app, email).await;
    let api = app.token(email, PASSWORD).await;
    let old = laptop.cookie(&app.addr, "yc_session").unwrap();

    let r = laptop.post_form(&app, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The old cookie, replayed, no longer opens anything.
    let r = get_with_cookie(&app, "/dashboard", &format!("yc_session={old}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    // Nor does it work as a bearer token.
    assert_eq!(me_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    // The other devices stay signed in.
    assert_eq!(phone.get(&app, "/dashboard").await.status(), StatusCode::OK);
    assert_eq!(me_status(&app, &api).await, StatusCode::OK);

    // An API client signs out its own token only.
    let second = app.token(email, PASSWORD).await;
    let (s, v) = app.post("/api/v1/auth/logout", Some(&api), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(me_status(&app, &api).await, StatusCode::UNAUTHORIZED);
    let (s, v) = app.post("/api/v1/auth/logout", Some(&api), json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "signing out twice: {v}");
    assert_eq!(me_status(&app, &second).await, StatusCode::OK);
    assert_eq!(phone.get(&app, "/dashboard").await.status(), StatusCode::OK);
}
dual!(signing_out_ends_that_session_only);

async fn signing_out_everywhere_keeps_this_device_or_none(b: Backend) {
    let app = spawn(b).await;
    let email = "everywhere@example.org";
    let first = app.ngo_member(email).await;
    let laptop = signed_in_browser(&app, email).await;
    let phone = signed_in_browser(&app, email).await;

    // The page lists every device and marks this one.
    let (s, page) = laptop.get_text(&app, "/account/sessions").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page.matches("/end\"").count(), 3, "{page}");
    assert_eq!(
        page.matches(r#"class="badge active">本设备"#).count(),
        1,
        "{page}"
    );
    assert!(page.contains("127.0.0.1"));

    // Sign out the others from the page: this device stays.
    let r = laptop
        .post_form(&app, "/account/sessions/end-others", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/account/sessions");
    assert_eq!(
        laptop.get(&app, "/dashboard").await.status(),
        StatusCode::OK
    );
    let r = phone.get(&app, "/dashboard").await;
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    assert_eq!(me_status(&app, &first).await, StatusCode::UNAUTHORIZED);
    let (_, page) = laptop.get_text(&app, "/account/sessions").await;
    assert_eq!(page.matches("/end\"").count(), 1, "{page}");

    // One session from the list: a token is ended by its id.
    let lost = app.token(email, PASSWORD).await;
    let lost_id = sessions_of(&app, &lost)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = laptop
        .post_form(&app, &format!("/account/sessions/{lost_id}/end"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(me_status(&app, &lost).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        laptop.get(&app, "/dashboard").await.status(),
        StatusCode::OK
    );

    // Through the API: every other session, then this one too.
    let a = app.token(email, PASSWORD).await;
    let b2 = app.token(email, PASSWORD).await;
    let (s, v) = app
        .api(
            reqwest::Method::DELETE,
            "/api/v1/me/sessions",
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ended"], 2, "the laptop and the other token");
    assert_eq!(me_status(&app, &b2).await, StatusCode::UNAUTHORIZED);
    assert!(location(&laptop.get(&app, "/dashboard").await).starts_with("/login"));
    assert_eq!(me_status(&app, &a).await, StatusCode::OK);
    let (s, v) = app
        .api(
            reqwest::Method::DELETE,
            "/api/v1/me/sessions?include_current=true",
            Some(&a),
            None,
        )
        .await;
    assert_eq!((s, v["ended"].as_i64()), (StatusCode::OK, Some(1)));
    assert_eq!(me_status(&app, &a).await, StatusCode::UNAUTHORIZED);

    // "Everywhere" on the page signs this device out too.
    let web = signed_in_browser(&app, email).await;
    let r = web.post_form(&app, "/account/sessions/end-all", &[]).await;
    assert_eq!(location(&r), "/login");
    assert!(location(&web.get(&app, "/dashboard").await).starts_with("/login"));

    let id = user_id(&app, email).await;
    let actions = app.audit_actions("user", id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "user.sessions_ended")
            .count(),
        4,
        "{actions:?}"
    );
    assert!(actions.contains(&"user.session_ended".to_string()));
}
dual!(signing_out_everywhere_keeps_this_device_or_none);

async fn the_list_of_sessions_shows_only_ones_own(b: Backend) {
    let app = spawn(b).await;
    let mine = app.ngo_member("mine@example.org").await;
    let theirs = app.ngo_member("theirs@example.org").await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("user-agent", "Sync-Client/2.1 (test)")
        .json(&json!({"email": "mine@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let second = v["token"].as_str().unwrap().to_string();

    let list = sessions_of(&app, &second).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let current = list.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["user_agent"], "Sync-Client/2.1 (test)");
    assert_eq!(current["client_addr"], "127.0.0.1");
    assert_eq!(current["kind"], "api");
    let other_id = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sessions_of(&app, &theirs).await.len(), 1);

    // Someone else's session cannot be ended, by the API or the page.
    let (s, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{other_id}"),
            Some(&theirs),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.ngo_member("page@example.org").await;
    let web = signed_in_browser(&app, "page@example.org").await;
    let r = web
        .post_form(&app, &format!("/account/sessions/{other_id}/end"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(me_status(&app, &mine).await, StatusCode::OK);
    // The owner can.
    let (s, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{other_id}"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(me_status(&app, &mine).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions_of(&app, &second).await.len(), 1);
}
dual!(the_list_of_sessions_shows_only_ones_own);

async fn disabling_an_account_ends_all_its_sessions(b: Backend) {
    let app = spawn(b).await;
    let email = "disabled@example.org";
    let token = app.ngo_member(email).await;
    let web = signed_in_browser(&app, email).await;
    let id = user_id(&app, email).await;
    let admin = app.admin_token().await;
    let (s, v) = app
        .post(
            &format!("/api/v1/users/{id}/status"),
            Some(&admin),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(me_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert!(location(&web.get(&app, "/dashboard").await).starts_with("/login"));
    // The rows themselves are revoked, not only outdated by the token version.
    let live = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::sessions;
            let all: i64 = sessions::table
                .filter(sessions::user_id.eq(id))
                .count()
                .get_result(c)
                .unwrap();
            let live: i64 = sessions::table
                .filter(sessions::user_id.eq(id))
                .filter(sessions::revoked_at.is_null())
                .count()
                .get_result(c)
                .unwrap();
            (all, live)
        })
        .await;
    assert_eq!(live, (2, 0));
    let actions = app.audit_actions("user", id).await;
    assert_eq!(actions[0], "user.disabled", "{actions:?}");
    assert_eq!(actions[1], "user.sessions_ended", "{actions:?}");
}
dual!(disabling_an_account_ends_all_its_sessions);

async fn a_password_change_keeps_this_device_and_ends_the_others(b: Backend) {
    let app = spawn(b).await;
    let email = "pw@example.org";
    let token = app.ngo_member(email).await;
    let laptop = signed_in_browser(&app, email).await;
    let phone = signed_in_browser(&app, email).await;
    let r = laptop
        .post_form(
            &app,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get(&app, "/dashboard").await.status(),
        StatusCode::OK
    );
    assert!(location(&phone.get(&app, "/dashboard").await).starts_with("/login"));
    assert_eq!(me_status(&app, &token).await, StatusCode::UNAUTHORIZED);
    let (_, page) = laptop.get_text(&app, "/account/sessions").await;
    assert_eq!(
        page.matches("/end\"").count(),
        1,
        "only this device: {page}"
    );
}
dual!(a_password_change_keeps_this_device_and_ends_the_others);

async fn a_planted_csrf_cookie_is_refused(b: Backend) {
    let app = spawn(b).await;
    let planted = "A".repeat(43);

    // Anonymous: the old double submit (cookie and field alike) no longer passes.
    let r = app
        .browser()
        .client
        .post(app.url("/signup"))
        .header("cookie", format!("yc_csrf={planted}"))
        .form(&[
            ("_csrf", planted.as_str()),
            ("email", "planted@example.org"),
            ("name", "C"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("表单已过期"));
    // Nor does a form posted from another site, even with a good pair.
    let web = app.browser();
    let token = web.csrf(&app).await;
    let r = web
        .client
        .post(app.url("/signup"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("_csrf", token.as_str()),
            ("email", "planted@example.org"),
            ("name", "C"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let exists = app
        .db(|c| yichuang::db::users::email_taken(c, "planted@example.org").unwrap())
        .await;
    assert!(!exists);

    // Signed in: an attacker's own valid anonymous pair, planted beside the victim's
    // session, is refused; the victim's session-bound token works.
    let attacker = app.browser();
    let (_, page) = attacker.get_text(&app, "/login").await;
    let attacker_token = csrf_of(&page);
    let attacker_cookie = attacker.cookie(&app.addr, "yc_csrf").unwrap();
    app.ngo_member("victim@example.org").await;
    let victim = signed_in_browser(&app, "victim@example.org").await;
    let session = victim.cookie(&app.addr, "yc_session").unwrap();
    for (cookie, field) in [
        (attacker_cookie.as_str(), attacker_token.as_str()),
        (planted.as_str(), planted.as_str()),
    ] {
        let r = victim
            .client
            .post(app.url("/logout"))
            .header("cookie", format!("yc_session={session}; yc_csrf={cookie}"))
            .form(&[("_csrf", field)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("表单已过期"));
    }
    assert_eq!(
        victim.get(&app, "/dashboard").await.status(),
        StatusCode::OK
    );
    // The token of the victim's session differs from any anonymous one, and works.
    let own = victim.csrf(&app).await;
    assert_ne!(own, attacker_token);
    let r = victim
        .client
        .post(app.url("/logout"))
        .form(&[("_csrf", own.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&victim.get(&app, "/dashboard").await).starts_with("/login"));
}
dual!(a_planted_csrf_cookie_is_refused);

async fn sessions_expire_and_ended_ones_are_purged_after_some_days(b: Backend) {
    // Sessions of the usual length, so that they expire as the clock moves.
    let app = spawn_with(b, |s| s.session_hours = 12).await;
    let email = "purge@example.org";
    let revoked = app.ngo_member(email).await;
    let old = app.token(email, PASSWORD).await;
    app.post("/api/v1/auth/logout", Some(&revoked), json!({}))
        .await;
    let id = user_id(&app, email).await;
    let purge = || app.db(|c| yichuang::ops::sessions::purge(c).unwrap());
    let left = || {
        app.db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::sessions;
            sessions::table
                .filter(sessions::user_id.eq(id))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
    };
    app.clock.advance(Duration::hours(11));
    assert_eq!(me_status(&app, &old).await, StatusCode::OK);
    // Past its twelve hours the session has expired; ended, but not for long, it is kept.
    app.clock.advance(Duration::hours(2));
    assert_eq!(me_status(&app, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(purge().await, 0);
    assert_eq!(left().await, 2);
    // Ten days on both ended sessions go; one started since stays.
    app.clock.advance(Duration::days(10));
    let keep = app.token(email, PASSWORD).await;
    assert_eq!(purge().await, 2);
    assert_eq!(left().await, 1);
    assert_eq!(me_status(&app, &keep).await, StatusCode::OK);
    assert_eq!(me_status(&app, &old).await, StatusCode::UNAUTHORIZED);
}
dual!(sessions_expire_and_ended_ones_are_purged_after_some_days);

async fn last_use_is_recorded_at_most_every_few_minutes(b: Backend) {
    let app = spawn(b).await;
    let token = app.ngo_member("seen@example.org").await;
    let id = sessions_of(&app, &token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let last_seen = || {
        let id = id.clone();
        app.db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::sessions;
            sessions::table
                .find(id)
                .select(sessions::last_seen_at)
                .first::<chrono::NaiveDateTime>(c)
                .unwrap()
        })
    };
    let first = last_seen().await;
    // Used a minute later: a request does not write.
    app.clock.advance(Duration::minutes(1));
    assert_eq!(me_status(&app, &token).await, StatusCode::OK);
    assert_eq!(last_seen().await, first);
    // An hour later: the request records itself.
    app.clock.advance(Duration::hours(1));
    assert_eq!(me_status(&app, &token).await, StatusCode::OK);
    assert!(last_seen().await >= first + Duration::hours(1));
}
dual!(last_use_is_recorded_at_most_every_few_minutes);
