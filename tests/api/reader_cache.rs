//! Officers' unchanged pages and API answers are kept per session until any audited change,
//! made on any instance; everyone else's are never kept.

use std::net::TcpListener;

use chrono::{Duration, DurationRound};
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::award::{ranked_round, Ranked};
use crate::dual;
use crate::helpers::{csrf_of, location, spawn, spawn_with, Backend, Browser, TestApp, PASSWORD};

fn x_cache(r: &Response) -> String {
    r.headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_else(|| "none".into())
}

/// Moves the clock to the start of the next minute, so that the next requests share one.
fn fresh_minute(app: &TestApp) {
    let next = app
        .clock
        .now()
        .duration_trunc(Duration::minutes(1))
        .unwrap()
        + Duration::minutes(1);
    app.clock.set(next);
}

/// Another instance on `app`'s database and clock.
async fn second_instance(app: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = app.settings.clone();
    settings.port = port;
    let started = yichuang::app::start_with_clock(settings, listener, app.clock.clone())
        .await
        .expect("second instance starts");
    actix_rt::spawn(started.server);
    format!("http://127.0.0.1:{port}")
}

/// A ranked round whose review is closed, another instance on its database, and the officer
/// signed in on this one in a browser, with the path of the round's decision page.
struct Deciding {
    r: Ranked,
    other: String,
    desk: Browser,
    decision: String,
}

async fn deciding(app: &TestApp) -> Deciding {
    let r = ranked_round(app, 12_000_000, &[90, 80, 70, 50], 3).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/close-review", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let other = second_instance(app).await;
    let desk = app.browser();
    let res = desk.login(app, "officer@gusu.gov.cn", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    desk.get(app, &location(&res)).await;
    let decision = format!("/rounds/{}/decision", r.round);
    Deciding {
        r,
        other,
        desk,
        decision,
    }
}

async fn officers_pages_are_kept_per_session_until_anything_changes_on_any_instance(b: Backend) {
    let app = spawn(b).await;
    let Deciding {
        r,
        other,
        desk,
        decision,
    } = deciding(&app).await;

    // Made once, then served as made while nothing changes.
    fresh_minute(&app);
    let first = desk.get(&app, &decision).await;
    assert_eq!(
        (first.status(), x_cache(&first)),
        (StatusCode::OK, "miss".into())
    );
    let first = first.text().await.unwrap();
    let second = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&second), "hit");
    assert_eq!(
        second.headers().get("cache-control").unwrap(),
        "private, no-store"
    );
    assert_eq!(second.text().await.unwrap(), first);

    // A page showing a one-time notice is made for that once.
    let session = desk.cookie(&app.addr, "yc_session").unwrap();
    let res = reqwest::Client::new()
        .get(app.url(&decision))
        .header(
            "cookie",
            format!("yc_session={session}; yc_flash=flash.screened"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status(), x_cache(&res)),
        (StatusCode::OK, "none".into())
    );
    assert_ne!(res.text().await.unwrap(), first);

    // Another session of the same officer has its own (its forms carry its own token).
    let laptop = app.browser();
    let res = laptop.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    laptop.get(&app, &location(&res)).await;
    let theirs = laptop.get(&app, &decision).await;
    assert_eq!(x_cache(&theirs), "miss");
    assert_ne!(csrf_of(&theirs.text().await.unwrap()), csrf_of(&first));

    // A 核减 made through the other instance shows here at once.
    let res = reqwest::Client::new()
        .put(format!("{other}/api/v1/proposals/{}/decision", r.pids[1]))
        .bearer_auth(&r.officer)
        .json(&json!({"reduced": "3万", "reduce_reason": "宣传费用偏高，核减2万元"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&after), "miss");
    let after = after.text().await.unwrap();
    assert_ne!(after, first);
    assert!(after.contains("30,000.00"), "{after}");

    // What follows the clock is made again in the next minute.
    let again = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&again), "hit");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(x_cache(&desk.get(&app, &decision).await), "miss");

    // The API twin is kept per token in the same way.
    let api = |path: String| {
        let token = r.officer.clone();
        let url = app.url(&path);
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    fresh_minute(&app);
    let ranking = format!("/api/v1/rounds/{}/ranking", r.round);
    let a = api(ranking.clone()).await;
    assert_eq!((a.status(), x_cache(&a)), (StatusCode::OK, "miss".into()));
    let total = a.headers().get("x-total-count").cloned();
    let b2 = api(ranking.clone()).await;
    assert_eq!(x_cache(&b2), "hit");
    assert_eq!(b2.headers().get("x-total-count").cloned(), total);
    assert_eq!(total.unwrap(), "4");

    // Signing out ends a kept page with its session: the old cookie meets the sign-in page.
    let old = desk.cookie(&app.addr, "yc_session").unwrap();
    let res = desk.post_form(&app, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&decision))
        .header("cookie", format!("yc_session={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    assert_eq!(x_cache(&res), "none");

    // Anyone but an officer is answered fresh: here a reviewer's own list.
    let (s, v) = app
        .get(
            &format!("/api/v1/rounds/{}/assignments", r.round),
            Some(&r.reviewers[0]),
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s} {v}"
    );
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me/tasks"))
        .bearer_auth(&r.reviewers[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status(), x_cache(&res)),
        (StatusCode::OK, "none".into())
    );
}
dual!(officers_pages_are_kept_per_session_until_anything_changes_on_any_instance);

async fn with_no_memory_for_it_nothing_is_kept(b: Backend) {
    let app = spawn_with(b, |s| s.reader_cache_mb = 0).await;
    let officer = app.officer().await;
    fresh_minute(&app);
    for _ in 0..2 {
        let res = reqwest::Client::new()
            .get(app.url("/api/v1/me/tasks"))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (res.status(), x_cache(&res)),
            (StatusCode::OK, "none".into())
        );
    }
}
dual!(with_no_memory_for_it_nothing_is_kept);

async fn a_session_is_read_again_after_a_write_here_or_a_moment_after_one_elsewhere(b: Backend) {
    // A moment long enough that only the clock, moved by the test, ends it.
    let app = spawn_with(b, |s| s.session_cache_ms = 20_000).await;
    let Deciding {
        r,
        other,
        desk,
        decision,
    } = deciding(&app).await;
    fresh_minute(&app);
    let first = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&first), "miss");
    let first = first.text().await.unwrap();
    assert_eq!(x_cache(&desk.get(&app, &decision).await), "hit");

    // A 核减 made on this instance shows on the very next page.
    let cut = |base: String, pid: i64, amount: &'static str| {
        let token = r.officer.clone();
        async move {
            let res = reqwest::Client::new()
                .put(format!("{base}/api/v1/proposals/{pid}/decision"))
                .bearer_auth(token)
                .json(&json!({"reduced": amount, "reduce_reason": "宣传费用偏高，核减部分"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    cut(app.addr.clone(), r.pids[1], "3万").await;
    let after = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&after), "miss");
    let after = after.text().await.unwrap();
    assert_ne!(after, first);
    assert!(after.contains("30,000.00"), "{after}");
    assert_eq!(x_cache(&desk.get(&app, &decision).await), "hit");

    // One made on another instance shows here once the moment is over: until then this
    // instance goes on with the session (and the data version) it read.
    cut(other.clone(), r.pids[1], "2万").await;
    let lagging = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&lagging), "hit");
    assert_eq!(lagging.text().await.unwrap(), after);
    app.clock.advance(Duration::seconds(20));
    let caught_up = desk.get(&app, &decision).await;
    assert_eq!(x_cache(&caught_up), "miss");
    assert!(
        caught_up.text().await.unwrap().contains("20,000.00"),
        "the other instance's 核减"
    );

    // Signing out on another instance ends the session here within the moment too.
    let api = |base: String, token: String| async move {
        reqwest::Client::new()
            .get(format!("{base}/api/v1/me/tasks"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
    };
    let phone = app.token("officer@gusu.gov.cn", PASSWORD).await;
    assert_eq!(api(app.addr.clone(), phone.clone()).await, StatusCode::OK);
    let res = reqwest::Client::new()
        .post(format!("{other}/api/v1/auth/logout"))
        .bearer_auth(&phone)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        api(other.clone(), phone.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api(app.addr.clone(), phone.clone()).await, StatusCode::OK);
    app.clock.advance(Duration::seconds(20));
    assert_eq!(
        api(app.addr.clone(), phone.clone()).await,
        StatusCode::UNAUTHORIZED
    );

    // Signed out on this instance, at once.
    let tablet = app.token("officer@gusu.gov.cn", PASSWORD).await;
    assert_eq!(api(app.addr.clone(), tablet.clone()).await, StatusCode::OK);
    assert_eq!(api(app.addr.clone(), tablet.clone()).await, StatusCode::OK);
    let (s, _) = app
        .post("/api/v1/auth/logout", Some(&tablet), json!({}))
        .await;
    assert!(s.is_success(), "{s}");
    assert_eq!(
        api(app.addr.clone(), tablet.clone()).await,
        StatusCode::UNAUTHORIZED
    );
}
dual!(a_session_is_read_again_after_a_write_here_or_a_moment_after_one_elsewhere);
