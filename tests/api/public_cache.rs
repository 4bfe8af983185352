//! The public pages and their API twins come from an in-memory cache that a version in the
//! database invalidates; a busy pool answers 503.

use std::net::TcpListener;

use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::award::{end_notice, objection, ranked_round, start_notice};
use crate::dual;
use crate::helpers::{csrf_of, spawn, spawn_with, table_rows, Backend, TestApp, PASSWORD};
use crate::rounds::open_round;

/// Another instance of the app on `app`'s database and clock, reading the public version at
/// most every `check_ms`; returns its address.
async fn second_instance(app: &TestApp, check_ms: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = app.settings.clone();
    settings.port = port;
    settings.public_cache_check_ms = check_ms;
    let started = yichuang::app::start_with_clock(settings, listener, app.clock.clone())
        .await
        .expect("second instance starts");
    actix_rt::spawn(started.server);
    format!("http://127.0.0.1:{port}")
}

fn x_cache(r: &Response) -> &str {
    r.headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap())
        .unwrap_or("none")
}

fn header(r: &Response, name: reqwest::header::HeaderName) -> &str {
    r.headers().get(name).unwrap().to_str().unwrap()
}

async fn get(client: &reqwest::Client, url: &str) -> Response {
    client.get(url).send().await.unwrap()
}

async fn anonymous_pages_come_from_the_cache_until_an_officer_acts_on_any_instance(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let id = open_round(&app, &officer, "第一批次").await;
    let other = second_instance(&app, 0).await;
    let anon = reqwest::Client::new();

    // The call page: rendered once, then served from the cache, byte for byte.
    let url = app.url(&format!("/calls/{id}"));
    let first = get(&anon, &url).await;
    assert_eq!((first.status(), x_cache(&first)), (StatusCode::OK, "miss"));
    // A page without a form sets no cookie, so a shared cache may keep it.
    assert!(!first.headers().contains_key("set-cookie"));
    let second = get(&anon, &url).await;
    assert_eq!((second.status(), x_cache(&second)), (StatusCode::OK, "hit"));
    assert_eq!(header(&second, CACHE_CONTROL), "public, max-age=60");
    assert!(second.headers().contains_key("last-modified"));
    let etag = header(&second, ETAG).to_string();
    assert_eq!(header(&first, ETAG), etag);
    let (a, b2) = (first.text().await.unwrap(), second.text().await.unwrap());
    assert!(a.contains("第一批次"));
    assert_eq!(a, b2);
    let r = anon
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&r, ETAG), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    // Each language is its own entry.
    let en = anon
        .get(&url)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(x_cache(&en), "miss");
    assert_ne!(header(&en, ETAG), etag);

    // The API list, cached on the other instance.
    let calls = format!("{other}/api/v1/calls");
    let r = get(&anon, &calls).await;
    assert_eq!(x_cache(&r), "miss");
    let r = get(&anon, &calls).await;
    assert_eq!(x_cache(&r), "hit");
    let api_etag = header(&r, ETAG).to_string();
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );

    // An officer publishes a round through the first instance: both instances show it next.
    open_round(&app, &officer, "第二批次").await;
    let r = anon
        .get(&calls)
        .header(IF_NONE_MATCH, &api_etag)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), x_cache(&r)), (StatusCode::OK, "miss"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    let r = get(&anon, &app.url("/calls")).await;
    assert!(r.text().await.unwrap().contains("第二批次"));
    let r = anon
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), x_cache(&r)), (StatusCode::OK, "miss"));
}
dual!(anonymous_pages_come_from_the_cache_until_an_officer_acts_on_any_instance);

async fn an_instance_reads_the_version_no_more_often_than_configured(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    open_round(&app, &officer, "第一批次").await;
    // An hour between reads: this instance keeps what it read first.
    let other = second_instance(&app, 3_600_000).await;
    let anon = reqwest::Client::new();
    let calls = format!("{other}/api/v1/calls");
    assert_eq!(x_cache(&get(&anon, &calls).await), "miss");
    open_round(&app, &officer, "第二批次").await;
    let r = get(&anon, &calls).await;
    assert_eq!(x_cache(&r), "hit");
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        1
    );
    // The first instance reads on every request and shows the change at once.
    let r = get(&anon, &app.url("/api/v1/calls")).await;
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        2
    );
}
dual!(an_instance_reads_the_version_no_more_often_than_configured);

async fn a_signed_in_page_is_never_cached(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let id = open_round(&app, &officer, "第一批次").await;
    app.ngo_member("ngo@example.org").await;
    let web = app.browser();
    // Cached for the anonymous reader first.
    web.get(&app, &format!("/calls/{id}")).await;
    assert_eq!(
        x_cache(&web.get(&app, &format!("/calls/{id}")).await),
        "hit"
    );
    web.login(&app, "ngo@example.org", PASSWORD).await;
    for _ in 0..2 {
        let r = web.get(&app, &format!("/calls/{id}")).await;
        assert_eq!(x_cache(&r), "none");
        assert_eq!(header(&r, CACHE_CONTROL), "private, no-store");
        assert!(!r.headers().contains_key(ETAG));
        let page = r.text().await.unwrap();
        assert!(page.contains("action=\"/logout\""), "{page}");
    }
}
dual!(a_signed_in_page_is_never_cached);

async fn the_cached_notice_gives_each_browser_its_own_token_and_follows_an_upheld_objection(
    b: Backend,
) {
    let app = spawn(b).await;
    let r = ranked_round(&app, 12_000_000, &[90, 80, 70, 50], 3).await;
    start_notice(&app, &r).await;
    let path = format!("/notices/{}", r.round);
    let (one, two) = (app.browser(), app.browser());
    // Each browser's first page sets its CSRF cookie; that answer is the browser's alone.
    let first = one.get(&app, &path).await;
    assert_eq!(header(&first, CACHE_CONTROL), "private, max-age=60");
    two.csrf(&app).await;
    let a = one.get(&app, &path).await;
    let b2 = two.get(&app, &path).await;
    assert_eq!((x_cache(&a), x_cache(&b2)), ("hit", "hit"));
    // A page carrying a form token stays in the browser.
    assert_eq!(header(&b2, CACHE_CONTROL), "private, max-age=60");
    assert_ne!(header(&a, ETAG), header(&b2, ETAG));
    let (page_a, page_b) = (a.text().await.unwrap(), b2.text().await.unwrap());
    assert_eq!(csrf_of(&page_a), one.csrf(&app).await);
    assert_eq!(csrf_of(&page_b), two.csrf(&app).await);
    assert_ne!(csrf_of(&page_a), csrf_of(&page_b));
    let rows = table_rows(&page_b, "notice-list");
    assert!(!page_b.contains("class=\"struck\""), "{rows:?}");

    // The second browser files an objection with the token of the cached page.
    let pid = r.pids[0].to_string();
    let o = objection(r.pids[0]);
    let res = two
        .client
        .post(app.url(&format!("/notices/{}/objections", r.round)))
        .form(&[
            ("_csrf", csrf_of(&page_b).as_str()),
            ("proposal_id", pid.as_str()),
            ("name", o["name"].as_str().unwrap()),
            ("email", o["email"].as_str().unwrap()),
            ("phone", o["phone"].as_str().unwrap()),
            ("reason", o["reason"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let oid = app.confirm_objection("wangfang@example.com").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/objections/{oid}/answer"),
            Some(&r.officer),
            json!({"upheld": true, "response": "经核查，该机构存在重复申报，撤销拟资助。"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The upheld objection strikes the line on the next anonymous view.
    let a = one.get(&app, &path).await;
    assert_eq!(x_cache(&a), "miss");
    let page = a.text().await.unwrap();
    assert!(page.contains("class=\"struck\""), "{page}");
    let v: Value = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/notice", r.round)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        v["list"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["proposal_id"] == r.pids[0] && l["state"] == "removed"),
        "{v}"
    );
}
dual!(the_cached_notice_gives_each_browser_its_own_token_and_follows_an_upheld_objection);

async fn a_busy_pool_answers_503_with_retry_after(b: Backend) {
    let app = spawn_with(b, |s| {
        s.db_pool_size = 1;
        // Long enough for the pool's first connection under a loaded machine (the pool is
        // built with this timeout too), short enough for the test.
        s.db_pool_timeout_ms = 2000;
    })
    .await;
    let pool = app.pool.clone();
    // The pool's only connection is taken: no request can get one.
    let held = tokio::task::spawn_blocking(move || pool.get().unwrap())
        .await
        .unwrap();
    let anon = reqwest::Client::new();
    let r = get(&anon, &app.url("/api/v1/calls")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&r, RETRY_AFTER), "5");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "unavailable", "{v}");
    let r = get(&anon, &app.url("/calls")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&r, RETRY_AFTER), "5");
    assert!(header(&r, reqwest::header::CONTENT_TYPE).starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("系统繁忙"));
    drop(held);
    let r = get(&anon, &app.url("/api/v1/calls")).await;
    assert_eq!(r.status(), StatusCode::OK);
}
dual!(a_busy_pool_answers_503_with_retry_after);

/// Pooled connections are not tested before each request (a round trip saved on PostgreSQL):
/// when the server drops them (here `pg_terminate_backend`, as a restart would), a request
/// that meets a dead one is answered 503 with `Retry-After`, never 500, and the dead
/// connection is not lent out again: once each has been met, every request succeeds.
#[actix_rt::test]
async fn dead_postgres_connections_answer_503_once_and_are_replaced() {
    use diesel::{Connection, RunQueryDsl};
    let app = spawn_with(Backend::Postgres, |s| s.db_pool_size = 3).await;
    let token = app.officer().await;
    let (status, _) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    // Every connection of the app's pool is cut from outside.
    let url = app.settings.database_url.expose().to_string();
    let cut = tokio::task::spawn_blocking(move || {
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut c)
        .unwrap()
    })
    .await
    .unwrap();
    assert!(cut >= 1, "the app held connections");
    let mut unavailable = 0;
    for _ in 0..12 {
        let r = app
            .client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        match r.status() {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(header(&r, RETRY_AFTER), "5");
                unavailable += 1;
            }
            other => panic!("a dead connection answered {other}"),
        }
    }
    assert!(
        unavailable <= 3,
        "at most one 503 per pooled connection: {unavailable}"
    );
    for _ in 0..6 {
        let (status, _) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "dead connections were dropped");
    }
}

/// A signed-in API read on the instance at `base`: status, body and `X-Total-Count`.
async fn staff_get(base: &str, path: &str, token: &str) -> (StatusCode, Value, Option<i64>) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let total = r
        .headers()
        .get("x-total-count")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status(), r.json().await.unwrap(), total)
}

async fn rankings_and_project_tables_kept_by_an_instance_follow_changes_made_on_another(
    b: Backend,
) {
    let app = spawn(b).await;
    // Budget 12万, four 5万 proposals scored 90, 80, 70, 50: two funded, one waitlisted.
    let r = ranked_round(&app, 12_000_000, &[90, 80, 70, 50], 3).await;
    let other = second_instance(&app, 0).await;
    let ranking = format!("/api/v1/rounds/{}/ranking", r.round);
    let post = |path: String, body: Value| {
        let officer = r.officer.clone();
        let app = &app;
        async move { app.post(&path, Some(&officer), body).await }
    };
    let (s, v) = post(
        format!("/api/v1/rounds/{}/close-review", r.round),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The other instance ranks the round and keeps it: asked twice, the same answer.
    let (s, first, total) = staff_get(&other, &ranking, &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, Some(4)), "{first}");
    assert_eq!(first["rows"][1]["amount_fen"], 5_000_000);
    assert_eq!(first["used_fen"], 10_000_000);
    assert_eq!(staff_get(&other, &ranking, &r.officer).await.1, first);

    // A 核减 made on this instance shows on the other at once.
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{}/decision", r.pids[1]),
            Some(&r.officer),
            Some(json!({"reduced": "3万", "reduce_reason": "宣传费用偏高，核减2万元"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, after, _) = staff_get(&other, &ranking, &r.officer).await;
    assert_eq!(after["rows"][1]["amount_fen"], 3_000_000, "{after}");
    assert_eq!(after["used_fen"], 8_000_000);
    // A page of one row is cut from the kept ranking, with the totals of the whole round.
    let (_, one, total) =
        staff_get(&other, &format!("{ranking}?page=2&per_page=1"), &r.officer).await;
    assert_eq!(total, Some(4));
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    assert_eq!(one["rows"][0]["proposal_id"], r.pids[1]);
    assert_eq!(one["used_fen"], 8_000_000);

    // The bureau's project table and dashboard totals, kept empty before the award, follow
    // the award made on this instance.
    let (s, v, total) = staff_get(&other, "/api/v1/projects", &r.officer).await;
    assert_eq!((s, total), (StatusCode::OK, Some(0)), "{v}");
    let (_, d, _) = staff_get(&other, "/api/v1/dashboard/projects", &r.officer).await;
    assert_eq!(d["totals"]["projects"], 0, "{d}");
    let (s, v) = post(format!("/api/v1/rounds/{}/notice", r.round), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    end_notice(&app, r.round).await;
    let (s, v) = post(format!("/api/v1/rounds/{}/finalise", r.round), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v, total) = staff_get(&other, "/api/v1/projects", &r.officer).await;
    assert_eq!(total, Some(2), "{v}");
    let (_, d, total) = staff_get(&other, "/api/v1/dashboard/projects", &r.officer).await;
    assert_eq!(total, Some(2));
    assert_eq!(d["totals"]["projects"], 2, "{d}");
    assert_eq!(d["totals"]["grant_fen"], 8_000_000, "{d}");
}
dual!(rankings_and_project_tables_kept_by_an_instance_follow_changes_made_on_another);
