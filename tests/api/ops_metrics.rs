//! Operations: `/metrics` in Prometheus format, request ids in headers and error bodies.
//!
//! The metrics recorder is process-wide and other tests run beside these, so request counts
//! are compared as increases between two scrapes, never as totals.

use reqwest::StatusCode;

use crate::dual;
use crate::helpers::{spawn, spawn_with, Backend, TestApp};

async fn scrape(app: &TestApp) -> String {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    r.text().await.unwrap()
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = match series.split_once('{') {
                Some((m, r)) => (m, r),
                None => (series, ""),
            };
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

fn has_series(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    text.lines().filter(|l| !l.starts_with('#')).any(|l| {
        l.starts_with(&format!("{name}{{"))
            && labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
    })
}

async fn metrics_count_requests_by_route_and_show_the_outbox(b: Backend) {
    // Without the worker the emails stay in the outbox.
    let app = spawn_with(b, |s| s.worker = false).await;
    let before = scrape(&app).await;
    let round = [
        ("route", "/api/v1/rounds/{id}"),
        ("method", "GET"),
        ("status", "401"),
    ];
    for id in [1, 2, 3] {
        let (s, _) = app.get(&format!("/api/v1/rounds/{id}"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let health = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    app.get("/healthz", None).await;
    let (s, _) = app.get("/no-such-page-metrics", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Two sign-ups: two verification emails wait.
    app.ngo_member("metrics-a@example.org").await;
    app.ngo_member("metrics-b@example.org").await;
    let after = scrape(&app).await;

    let requests = "yichuang_http_requests_total";
    assert!(
        sample(&after, requests, &round) - sample(&before, requests, &round) >= 3.0,
        "three calls of the round route counted:\n{after}"
    );
    assert!(sample(&after, requests, &health) - sample(&before, requests, &health) >= 1.0);
    // The pattern is the label, never the raw path; no route is "unmatched".
    assert!(!after.contains("/api/v1/rounds/1\""), "{after}");
    assert!(!after.contains("no-such-page-metrics"), "{after}");
    assert!(has_series(
        &after,
        requests,
        &[("route", "unmatched"), ("status", "404")]
    ));
    assert!(has_series(
        &after,
        "yichuang_http_request_duration_seconds_bucket",
        &[("route", "/api/v1/rounds/{id}"), ("le", "0.1")]
    ));
    assert_eq!(
        sample(&after, "yichuang_outbox_pending_messages", &[]),
        2.0,
        "{after}"
    );
    assert!(sample(&after, "yichuang_outbox_oldest_pending_age_seconds", &[]) >= 0.0);
    assert!(
        sample(&after, "yichuang_db_pool_connections", &[]) >= 1.0,
        "{after}"
    );
    assert!(after.contains("yichuang_db_pool_idle_connections "));
    assert!(after.contains("yichuang_db_pool_wait_seconds_count "));

    // A wrong password is a sign-in failure.
    let failures = "yichuang_login_failures_total";
    let (s, _) = app
        .post(
            "/api/v1/auth/token",
            None,
            serde_json::json!({"email": "metrics-a@example.org", "password": "not-the-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let last = scrape(&app).await;
    assert!(
        sample(&last, failures, &[]) - sample(&after, failures, &[]) >= 1.0,
        "{last}"
    );
}
dual!(metrics_count_requests_by_route_and_show_the_outbox);

async fn the_metrics_token_guards_the_endpoint(b: Backend) {
    let token = "metrics-token-for-the-test";
    let app = spawn_with(b, |s| {
        s.metrics_token = yichuang::config::Secret::new(token)
    })
    .await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("yichuang_http_requests_total"));
}
dual!(the_metrics_token_guards_the_endpoint);

async fn the_request_id_is_in_the_header_and_the_error_body(b: Backend) {
    let app = spawn(b).await;
    // An API error: the problem document quotes the header's id.
    let r = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["request_id"], id.as_str(), "{v}");
    // A validation error too.
    let r = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": "not-an-email", "name": "李明", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let id422 = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id422, id, "each request has its own id");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["request_id"], id422.as_str(), "{v}");
    // A proxy's safe id is kept; an unsafe one is replaced.
    let r = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("x-request-id", "lb-7f3a-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-7f3a-0001");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["request_id"], "lb-7f3a-0001");
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let kept = r.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(kept.len(), 32);
    assert!(kept.bytes().all(|c| c.is_ascii_hexdigit()));
    // An HTML error page shows it as the reference to quote.
    let r = app
        .client
        .get(app.url("/nothing-here"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("Reference: <code id=\"request-id\">{id}</code>")),
        "{page}"
    );
    let page = app
        .client
        .get(app.url("/nothing-here"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("错误编号"), "{page}");
}
dual!(the_request_id_is_in_the_header_and_the_error_body);
