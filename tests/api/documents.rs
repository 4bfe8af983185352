//! Issued documents (award notice, agreement) are fixed when issued, rendered once and served
//! from storage; a reminder storm is one digest per recipient; the worker's per-bureau cap
//! spreads sending over time and sends each message once.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use yichuang::domain::outbox::MailKind;
use yichuang::domain::project::DocumentKind;

use crate::dual;
use crate::execution::awarded;
use crate::helpers::{pdf_text, spawn, spawn_with, Backend, TestApp};

async fn versions(
    app: &TestApp,
    project: i64,
    kind: DocumentKind,
) -> Vec<yichuang::db::documents::StoredVersion> {
    app.db(move |c| yichuang::db::documents::versions(c, project, kind).unwrap())
        .await
}

async fn download(
    app: &TestApp,
    token: &str,
    path: &str,
    etag: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

async fn issued_documents_are_rendered_once_and_served_from_storage(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let project = a.projects[0];
    // Finalising issued both documents: laid out, not rendered yet.
    for kind in [DocumentKind::AwardNotice, DocumentKind::Agreement] {
        let v = versions(&app, project, kind).await;
        assert_eq!(v.len(), 1, "{kind}");
        assert!(
            v[0].content.is_none() && v[0].rendered_at.is_none(),
            "{kind}"
        );
    }
    // The organisation changes its bank account after the agreement was issued.
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::{organizations, projects};
        let org: i64 = projects::table
            .find(project)
            .select(projects::org_id)
            .first(c)
            .unwrap();
        diesel::update(organizations::table.find(org))
            .set(organizations::bank_account_no.eq("6222 0000 CHANGED 9999"))
            .execute(c)
            .unwrap();
    })
    .await;

    // Two first downloads at once: one rendering is kept, both serve it.
    let path = format!("/api/v1/projects/{project}/agreement.pdf");
    let (one, two) = tokio::join!(
        download(&app, &a.officer, &path, None),
        download(&app, &a.officer, &path, None)
    );
    assert_eq!((one.0, two.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(one.2, two.2, "both downloads serve the stored PDF");
    let sha = hex::encode(Sha256::digest(&one.2));
    let etag = one.1["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{sha}\""));
    assert_eq!(one.1["content-type"], "application/pdf");
    assert!(one.1["cache-control"].to_str().unwrap().contains("private"));
    let stored = versions(&app, project, DocumentKind::Agreement).await;
    assert_eq!(stored.len(), 1, "one document after two first downloads");
    assert_eq!(stored[0].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(stored[0].content.as_deref(), Some(one.2.as_slice()));
    let rendered_at = stored[0].rendered_at.expect("rendered");
    // What the agreement says was fixed when it was issued.
    let text: String = pdf_text(&one.2).split_whitespace().collect();
    assert!(text.contains("项目协议书"), "{text}");
    assert!(
        !text.contains("CHANGED"),
        "the issued agreement keeps its account"
    );

    // Later downloads send the same bytes without rendering again.
    app.clock.advance(Duration::hours(2));
    let (s, headers, again) = download(&app, &a.officer, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, one.2);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let stored = versions(&app, project, DocumentKind::Agreement).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].rendered_at,
        Some(rendered_at),
        "not rendered again"
    );
    // A browser holding the ETag gets a 304 with no body.
    let (s, headers, body) = download(&app, &a.officer, &path, Some(&etag)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let (s, _, body) = download(&app, &a.officer, &path, Some("\"stale\"")).await;
    assert_eq!((s, body), (StatusCode::OK, one.2.clone()));

    // The award notice is kept on its own, and the page route serves the same bytes.
    let notice = format!("/api/v1/projects/{project}/award-notice.pdf");
    let (s, headers, pdf) = download(&app, &a.officer, &notice, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(pdf, one.2);
    let stored = versions(&app, project, DocumentKind::AwardNotice).await;
    assert_eq!(
        stored[0].sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&pdf)).as_str())
    );
    let page = app.browser();
    page.login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let res = page
        .client
        .get(app.url(&format!("/projects/{project}/award-notice.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], headers["etag"]);
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    // Someone who may not read the project gets nothing.
    let (s, _, _) = download(&app, &a.members[1], &notice, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
dual!(issued_documents_are_rendered_once_and_served_from_storage);

/// Gives project `project`'s plan `n` milestones, the first due yesterday and the rest over
/// the next two days.
async fn milestones_due(app: &TestApp, project: i64, n: i64) {
    let today = app.clock.today();
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::{projects, proposals};
        let pid: i64 = projects::table
            .find(project)
            .select(projects::proposal_id)
            .first(c)
            .unwrap();
        let json: String = proposals::table
            .find(pid)
            .select(proposals::content_json)
            .first(c)
            .unwrap();
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v["milestones"] = (0..n)
            .map(|i| {
                json!({"due": today + Duration::days(i.min(2) - 1), "title": format!("节点{i}"),
                       "deliverable": "报告", "target_beneficiaries": 10})
            })
            .collect();
        diesel::update(proposals::table.find(pid))
            .set(proposals::content_json.eq(v.to_string()))
            .execute(c)
            .unwrap();
    })
    .await;
}

async fn a_reminder_storm_is_one_digest_per_recipient(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    milestones_due(&app, a.projects[0], 7).await;
    let step = app.run_worker_step().await;
    assert_eq!(step.report_reminders, 7, "{step:?}");
    // Send what the award queued before.
    while app.run_worker_step().await.emails_sent > 0 {}
    let mails: Vec<_> = app
        .emails_to("ngo0@example.org")
        .await
        .into_iter()
        .filter(|m| m.kind.as_str().starts_with("report_") || m.kind == MailKind::ReminderDigest)
        .collect();
    assert_eq!(mails.len(), 1, "one email for seven reminders");
    let digest = &mails[0];
    assert_eq!(digest.kind, MailKind::ReminderDigest);
    assert_eq!(digest.status.as_str(), "sent");
    assert!(digest.subject.contains('7'), "{}", digest.subject);
    let link = format!("/projects/{}", a.projects[0]);
    for i in 0..7 {
        assert!(
            digest.body_text.contains(&format!("节点{i}")),
            "item {i}: {}",
            digest.body_text
        );
    }
    assert_eq!(digest.body_text.matches(&link).count(), 7);
    let items: Vec<&str> = digest
        .body_text
        .lines()
        .filter(|l| l.starts_with("- "))
        .collect();
    assert_eq!(items.len(), 7, "{}", digest.body_text);
    let overdue = items.iter().filter(|l| l.contains("逾期")).count();
    let soon = items.iter().filter(|l| l.contains("截止")).count();
    assert_eq!((overdue, soon), (1, 6), "{items:?}");
    // Each reminder was recorded: the next pass queues nothing.
    assert_eq!(app.run_worker_step().await.report_reminders, 0);
    // The other organisation had nothing due: no email.
    assert!(app.emails_to("ngo1@example.org").await.iter().all(|m| !m
        .kind
        .as_str()
        .starts_with("report_")
        && m.kind != MailKind::ReminderDigest));
}
dual!(a_reminder_storm_is_one_digest_per_recipient);

/// Queues `n` test messages for `bureau`, to `prefix{i}@example.org`.
async fn queue(app: &TestApp, prefix: &'static str, n: usize, bureau: Option<i64>) {
    app.db(move |c| {
        for i in 0..n {
            let m = yichuang::mail::Outgoing {
                to_email: format!("{prefix}{i}@example.org"),
                to_name: "Bulk".into(),
                kind: MailKind::PasswordChanged,
                subject: "s".into(),
                body: "b".into(),
                bureau_id: bureau,
            };
            yichuang::db::outbox::enqueue(c, &m).unwrap();
        }
    })
    .await;
}

/// (sent, attempts of each) of the messages to `prefix{0..n}`.
async fn sent_of(app: &TestApp, prefix: &str, n: usize) -> (usize, Vec<i32>) {
    let mut sent = 0;
    let mut attempts = Vec::new();
    for i in 0..n {
        let m = app.last_email_to(&format!("{prefix}{i}@example.org")).await;
        if m.status.as_str() == "sent" {
            sent += 1;
        }
        attempts.push(m.attempts);
    }
    (sent, attempts)
}

async fn the_per_bureau_cap_spreads_sending_and_sends_each_once(b: Backend) {
    let app = spawn_with(b, |s| s.mail_per_minute_per_bureau = 3).await;
    queue(&app, "east", 8, Some(1)).await;
    queue(&app, "west", 2, Some(2)).await;
    queue(&app, "acct", 4, None).await;
    let app = &app;
    let sent = || async move {
        (
            sent_of(app, "east", 8).await.0,
            sent_of(app, "west", 2).await.0,
            sent_of(app, "acct", 4).await.0,
        )
    };
    let first = app.run_worker_step().await;
    // Each bureau (and the group of no bureau) gets at most three in the minute.
    assert_eq!(sent().await, (3, 2, 3));
    assert_eq!(first.emails_deferred, 5 + 1, "{first:?}");
    // Later in the same minute: nothing more for a group at its cap.
    app.clock.advance(Duration::seconds(40));
    app.run_worker_step().await;
    assert_eq!(sent().await, (3, 2, 3));
    // The minute rolls on: the next three, then the last two.
    app.clock.advance(Duration::seconds(21));
    app.run_worker_step().await;
    assert_eq!(sent().await, (6, 2, 4));
    app.clock.advance(Duration::seconds(61));
    app.run_worker_step().await;
    assert_eq!(sent().await, (8, 2, 4));
    app.clock.advance(Duration::seconds(61));
    app.run_worker_step().await;
    // Everything went out, each message once.
    for (prefix, n) in [("east", 8), ("west", 2), ("acct", 4)] {
        let (sent, attempts) = sent_of(app, prefix, n).await;
        assert_eq!(sent, n, "{prefix}");
        assert!(attempts.iter().all(|&a| a == 1), "{prefix}: {attempts:?}");
    }
}
dual!(the_per_bureau_cap_spreads_sending_and_sends_each_once);

async fn concurrent_workers_keep_the_cap_together(b: Backend) {
    let app = spawn(b).await;
    queue(&app, "bulk", 60, Some(5)).await;
    let claim = |app: &TestApp| {
        let pool = app.pool.clone();
        let clock = app.clock.clone();
        std::thread::spawn(move || {
            clock.enter(|| {
                let mut ids = Vec::new();
                for _ in 0..10 {
                    let mut c = pool.get().unwrap();
                    let (claimed, _) = yichuang::db::outbox::claim_capped(
                        &mut c,
                        4,
                        chrono::Duration::minutes(5),
                        10,
                    )
                    .unwrap();
                    ids.extend(
                        claimed
                            .into_iter()
                            .filter(|m| m.to_email.starts_with("bulk"))
                            .map(|m| m.id),
                    );
                }
                ids
            })
        })
    };
    let (t1, t2) = (claim(&app), claim(&app));
    let mut all: Vec<i64> = t1.join().unwrap();
    all.extend(t2.join().unwrap());
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a message was claimed twice");
    assert_eq!(n, 10, "the two workers together claimed the bureau's cap");
    // The held-back messages are counted.
    let (claimed, deferred) = app
        .db(|c| yichuang::db::outbox::claim_capped(c, 4, chrono::Duration::minutes(5), 10).unwrap())
        .await;
    assert!(claimed.iter().all(|m| !m.to_email.starts_with("bulk")));
    assert_eq!(deferred, 50);
}
dual!(concurrent_workers_keep_the_cap_together);
