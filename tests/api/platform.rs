//! Health, API conventions, the audit chain, the outbox and its worker.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::dual;
use crate::helpers::{spawn, spawn_with, Backend, TestApp};

async fn health_and_readiness(b: Backend) {
    let app = spawn(b).await;
    assert_eq!(
        app.get("/healthz", None).await,
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert_eq!(
        app.get("/readyz", None).await,
        (StatusCode::OK, json!({"status": "ready"}))
    );
}
dual!(health_and_readiness);

async fn api_errors_are_problem_json_with_stable_codes(b: Backend) {
    let app = spawn(b).await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "malformed_json");
    let (s, v) = app
        .post(
            "/api/v1/auth/token",
            None,
            json!({"email": "a@example.org"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["title"].as_str().unwrap().contains("password"),
        "the missing field is named: {v}"
    );
    let (s, v) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // Pages get an HTML error page instead.
    let r = app
        .client
        .get(app.url("/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("找不到该页面"));
}
dual!(api_errors_are_problem_json_with_stable_codes);

async fn the_openapi_document_describes_the_api(b: Backend) {
    let app = spawn(b).await;
    let (s, v) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/token",
        "/api/v1/orgs",
        "/api/v1/orgs/{id}/verify",
        "/api/v1/users",
        "/api/v1/audit/verify",
    ] {
        assert!(
            v["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(v["components"]["securitySchemes"]["bearer"].is_object());
}
dual!(the_openapi_document_describes_the_api);

async fn the_audit_chain_verifies_and_reports_the_first_tampered_entry(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let member = app.ngo_member("audit@example.org").await;
    let id = app.ngo_org(&member, 61, Some(&officer)).await;
    let (s, v) = app.get("/api/v1/audit/verify", Some(&officer)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["first_broken"], serde_json::Value::Null);
    let entries = v["entries"].as_i64().unwrap();
    assert!(entries >= 6, "{v}");
    let (s, _) = app.get("/api/v1/audit/verify", Some(&member)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Someone edits an entry in the database behind the app's back.
    let target = app
        .db(move |c| {
            use diesel::RunQueryDsl;
            let s = yichuang::db::audit::for_entity(c, "organization", id, 100)
                .unwrap()
                .last()
                .unwrap()
                .seq;
            diesel::sql_query(
                "UPDATE audit_log SET actor_label = 'someone-else@example.org' WHERE seq = $1",
            )
            .bind::<diesel::sql_types::BigInt, _>(s)
            .execute(c)
            .unwrap();
            s
        })
        .await;
    let (_, v) = app.get("/api/v1/audit/verify", Some(&officer)).await;
    assert_eq!(v["first_broken"][0], target, "{v}");
    assert_eq!(v["entries"], target - 1);
    // The page shows it too.
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (_, page) = web.get_text(&app, "/admin/audit?verify=1").await;
    assert!(page.contains("审计链断裂于第"), "{page}");
}
dual!(the_audit_chain_verifies_and_reports_the_first_tampered_entry);

/// A minimal SMTP sink: accepts every message and keeps the raw DATA.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    actix_rt::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            actix_rt::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut data));
                            w.write_all(b"250 OK queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if cmd.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// The text of a single-part message, undoing base64 or quoted-printable.
fn decoded_body(raw: &str) -> String {
    use base64::Engine;
    let (headers, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let headers = headers.to_ascii_lowercase();
    if headers.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if headers.contains("content-transfer-encoding: quoted-printable") {
        let soft = body.replace("=\n", "");
        let mut out = Vec::new();
        let bytes = soft.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&soft[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_string()
    }
}

async fn the_worker_sends_the_outbox_over_smtp(b: Backend) {
    let (port, got) = smtp_sink().await;
    let app = spawn_with(b, |s| {
        s.smtp_url = yichuang::config::Secret::new(format!("smtp://127.0.0.1:{port}"))
    })
    .await;
    app.post(
        "/api/v1/auth/signup",
        None,
        json!({"email": "smtp@example.org", "name": "王五", "password": crate::helpers::PASSWORD}),
    )
    .await;
    assert_eq!(app.run_worker_step().await.emails_sent, 1);
    let row = app.last_email_to("smtp@example.org").await;
    assert_eq!(
        row.status.as_str(),
        "sent",
        "the worker marks the message sent: {row:?}"
    );
    let raw = got.lock().unwrap().join("\n");
    assert!(raw.contains("smtp@example.org"), "{raw}");
    assert!(
        decoded_body(&raw).contains("/verify-email?token="),
        "the body carries the link: {raw}"
    );
    assert!(
        raw.lines()
            .any(|l| l.starts_with("Message-ID: <") && l.contains('@')),
        "a Message-ID header: {raw}"
    );
}
dual!(the_worker_sends_the_outbox_over_smtp);

async fn a_failing_smtp_server_is_retried_with_backoff(b: Backend) {
    // Nothing listens on this port: every attempt fails.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_with(b, |s| {
        s.smtp_url = yichuang::config::Secret::new(format!("smtp://127.0.0.1:{dead}"))
    })
    .await;
    app.post(
        "/api/v1/auth/signup",
        None,
        json!({"email": "retry@example.org", "name": "R", "password": crate::helpers::PASSWORD}),
    )
    .await;
    assert_eq!(app.run_worker_step().await.emails_sent, 0);
    // The next pass comes before the backoff ends: no new attempt.
    assert_eq!(app.run_worker_step().await.emails_sent, 0);
    let row = app.last_email_to("retry@example.org").await;
    assert_eq!(row.status.as_str(), "pending", "kept for a retry");
    assert_eq!(row.attempts, 1, "the next attempt waits for the backoff");
    assert!(row.last_error.is_some());
}
dual!(a_failing_smtp_server_is_retried_with_backoff);

async fn concurrent_workers_never_claim_the_same_message(b: Backend) {
    let app = spawn_with(b, |s| s.worker = false).await;
    app.db(|c| {
        for i in 0..60 {
            let m = yichuang::mail::Outgoing {
                to_email: format!("bulk{i}@example.org"),
                to_name: "Bulk".into(),
                kind: yichuang::domain::outbox::MailKind::PasswordChanged,
                subject: "s".into(),
                body: "b".into(),
                bureau_id: None,
            };
            yichuang::db::outbox::enqueue(c, &m).unwrap();
        }
    })
    .await;
    let claim = |app: &TestApp| {
        let pool = app.pool.clone();
        std::thread::spawn(move || {
            let mut ids = Vec::new();
            for _ in 0..10 {
                let mut c = pool.get().unwrap();
                ids.extend(
                    yichuang::db::outbox::claim_due(&mut c, 4, chrono::Duration::minutes(5))
                        .unwrap()
                        .into_iter()
                        .map(|m| m.id),
                );
            }
            ids
        })
    };
    let (t1, t2) = (claim(&app), claim(&app));
    let (a, b2) = (t1.join().unwrap(), t2.join().unwrap());
    let mut all: Vec<i64> = a.iter().chain(b2.iter()).copied().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a message was claimed twice");
    assert_eq!(n, 60, "every message was claimed once");
}
dual!(concurrent_workers_never_claim_the_same_message);

async fn without_smtp_messages_are_written_as_eml_files(b: Backend) {
    let app = spawn(b).await;
    app.post(
        "/api/v1/auth/signup",
        None,
        json!({"email": "eml@example.org", "name": "E", "password": crate::helpers::PASSWORD}),
    )
    .await;
    assert_eq!(app.run_worker_step().await.emails_sent, 1);
    let dir = app.settings.outbox_dir();
    let found = std::fs::read_dir(&dir).ok().and_then(|d| {
        d.flatten().find(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("verify_email.eml")
        })
    });
    let raw = std::fs::read_to_string(found.expect("an .eml file").path()).unwrap();
    assert!(raw.contains("To: ") && raw.contains("eml@example.org"));
    // Every message carries its own Message-ID (RFC 5322 §3.6.4).
    let id = raw
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .expect("a Message-ID header");
    assert!(
        id.starts_with('<') && id.ends_with('>') && id.contains('@'),
        "{id}"
    );
}
dual!(without_smtp_messages_are_written_as_eml_files);

async fn lists_paginate_in_sql(b: Backend) {
    let app = spawn(b).await;
    let admin = app.admin_token().await;
    for i in 0..7 {
        app.ngo_member(&format!("page{i}@example.org")).await;
    }
    let (s, v) = app
        .get("/api/v1/users?role=ngo&per_page=3&page=3", Some(&admin))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 7);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = app.get("/api/v1/users?q=PAGE3", Some(&admin)).await;
    assert_eq!(v["total"], 1);
    let (s, v) = app.get("/api/v1/users?page=abc", Some(&admin)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_query"))
    );
}
dual!(lists_paginate_in_sql);

async fn the_admin_keeps_the_holiday_calendar(b: Backend) {
    let app = spawn(b).await;
    let admin = app.admin_token().await;
    let (s, v) = app.get("/api/v1/admin/holidays", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["text"].as_str().unwrap().contains("2026-10-10"),
        "the shipped 2026 schedule with its make-up day"
    );
    let bad = "2027-10-01..2027-10-07 holiday 国庆节\n2027-13-01 holiday 坏日期\n2027-10-09 vacation 调休";
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/admin/holidays",
            Some(&admin),
            Some(json!({"text": bad})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let msgs: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[0].starts_with("第 2 行") && msgs[1].starts_with("第 3 行"),
        "{msgs:?}"
    );
    let good = "2027-10-01..2027-10-07 holiday 国庆节\n2027-10-09 workday 国庆调休";
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            "/api/v1/admin/holidays",
            Some(&admin),
            Some(json!({"text": good})),
        )
        .await;
    assert_eq!((s, v["days"].as_i64()), (StatusCode::OK, Some(8)));
    let (_, v) = app.get("/api/v1/admin/holidays", Some(&admin)).await;
    assert!(
        v["text"].as_str().unwrap().contains("2027-10-09")
            && !v["text"].as_str().unwrap().contains("2026-10-10")
    );
    let officer = app.officer().await;
    assert_eq!(
        app.get("/api/v1/admin/holidays", Some(&officer)).await.0,
        StatusCode::FORBIDDEN
    );
}
dual!(the_admin_keeps_the_holiday_calendar);
