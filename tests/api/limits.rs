//! Size limits at the edge: multipart uploads capped as a whole and checked for CSRF before
//! their file is read; form fields with stated length limits; over-size forms answered with
//! a readable page.

use std::io::{Read, Write};
use std::time::Duration;

use reqwest::StatusCode;

use crate::dual;
use crate::helpers::{spawn_with, Backend, TestApp, PASSWORD, PDF};

const BOUNDARY: &str = "yc-test-boundary-7d3f";

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

fn file_head() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes()
}

/// Writes `head` then `body` on a plain socket and reads the answer without sending anything
/// more: the server must answer from what it has. Returns the status and the body.
async fn answer_to_partial(app: &TestApp, head: String, body: Vec<u8>) -> (u16, String) {
    let addr = app.addr.trim_start_matches("http://").to_string();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        // The server may stop reading once it has refused the request.
        let _ = s.write_all(&body);
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = match s.read(&mut buf) {
                Ok(n) => n,
                Err(e) if got.is_empty() => panic!("no answer before the body ended: {e}"),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((h, b)) = text.split_once("\r\n\r\n") {
                let len = h
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if b.len() >= len {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&got).to_string();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
        (status, body.unwrap_or_default())
    })
    .await
    .unwrap()
}

async fn document_count(app: &TestApp, member: &str, org: i64) -> usize {
    let (s, v) = app.get(&format!("/api/v1/orgs/{org}"), Some(member)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["documents"].as_array().map(Vec::len).unwrap_or(0)
}

async fn an_upload_over_the_total_cap_gets_413_without_being_read(b: Backend) {
    // Files up to 64 KiB: the whole body may be 64 + 16 KiB.
    let app = spawn_with(b, |s| s.upload_max_bytes = 64 * 1024).await;
    let member = app.ngo_member("caps@example.org").await;
    let org = app.ngo_org(&member, 41, None).await;
    let path = format!("/api/v1/orgs/{org}/documents");
    let head = |framing: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {member}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n",
            app.addr.trim_start_matches("http://")
        )
    };

    // A body announced at 50 MB is refused before a byte of it is sent.
    let (status, body) =
        answer_to_partial(&app, head("Content-Length: 52428800\r\n"), Vec::new()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");

    // A chunked body with no length is refused once it passes the cap, although it never ends
    // (here a preamble of junk lines that never reaches a boundary).
    let mut chunked = Vec::new();
    for _ in 0..11 {
        let chunk = b"0123456789abcd\r\n".repeat(512);
        chunked.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        chunked.extend(chunk);
        chunked.extend(b"\r\n");
    }
    let (status, body) =
        answer_to_partial(&app, head("Transfer-Encoding: chunked\r\n"), chunked).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");

    // Too many parts.
    let mut many = Vec::new();
    for i in 0..20 {
        many.extend(text_part(&format!("x{i}"), "y"));
    }
    many.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    let (status, _) = answer_to_partial(
        &app,
        head(&format!("Content-Length: {}\r\n", many.len())),
        many,
    )
    .await;
    assert_eq!(status, 413);

    // A file just over its own limit, in a body under the cap, is a field error.
    let mut big = PDF.to_vec();
    big.resize(70 * 1024, b' ');
    let (s, v) = app.upload(&path, &member, "big.pdf", &big).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["code"], "file_too_large");
    assert_eq!(document_count(&app, &member, org).await, 0);

    // The page answers with the form and the file's error.
    let browser = app.browser();
    browser.login(&app, "caps@example.org", PASSWORD).await;
    let csrf = browser.cookie(&app.addr, "yc_csrf").unwrap();
    let mut huge = PDF.to_vec();
    huge.resize(200 * 1024, b' ');
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("kind", "registration_certificate")
        .part(
            "file",
            reqwest::multipart::Part::bytes(huge).file_name("huge.pdf"),
        );
    let r = browser
        .client
        .post(app.url(&format!("/orgs/{org}/documents")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-file\""), "{html}");
    assert_eq!(document_count(&app, &member, org).await, 0);
}
dual!(an_upload_over_the_total_cap_gets_413_without_being_read);

async fn a_page_upload_with_a_wrong_csrf_token_is_refused_before_its_file(b: Backend) {
    let app = spawn_with(b, |_| {}).await;
    let member = app.ngo_member("forged@example.org").await;
    let org = app.ngo_org(&member, 42, None).await;
    let browser = app.browser();
    browser.login(&app, "forged@example.org", PASSWORD).await;
    let session = browser.cookie(&app.addr, "yc_session").unwrap();
    let csrf_cookie = browser.cookie(&app.addr, "yc_csrf").unwrap();
    let csrf = browser.csrf(&app).await;
    let head = |len: usize| {
        format!(
            "POST /orgs/{org}/documents HTTP/1.1\r\nHost: {}\r\nCookie: yc_session={session}; yc_csrf={csrf_cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len}\r\n\r\n",
            app.addr.trim_start_matches("http://")
        )
    };
    // A wrong token, then the start of a 1 MB file: refused before the file is sent.
    let mut body = text_part("_csrf", &"x".repeat(csrf.len()));
    body.extend(text_part("kind", "registration_certificate"));
    body.extend(file_head());
    body.extend(PDF);
    let (status, _) = answer_to_partial(&app, head(body.len() + 1024 * 1024), body).await;
    assert_eq!(status, 403);

    // No token before the file: refused the same way, even with the right token after it.
    let mut body = text_part("kind", "registration_certificate");
    body.extend(file_head());
    body.extend(PDF);
    body.extend(b"\r\n");
    body.extend(text_part("_csrf", &csrf));
    body.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    let (status, _) = answer_to_partial(&app, head(body.len()), body).await;
    assert_eq!(status, 403);
    assert_eq!(document_count(&app, &member, org).await, 0);

    // The form as a browser sends it (token first) is stored.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("kind", "registration_certificate")
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("证书.pdf"),
        );
    let r = browser
        .client
        .post(app.url(&format!("/orgs/{org}/documents")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(document_count(&app, &member, org).await, 1);
}
dual!(a_page_upload_with_a_wrong_csrf_token_is_refused_before_its_file);

/// A signed-in NGO member's browser and the page of a new draft proposal.
pub(crate) async fn draft_on_page(
    app: &TestApp,
    email: &str,
    serial: u32,
) -> (crate::helpers::Browser, i64) {
    let officer = app.officer().await;
    let round = crate::rounds::open_round(app, &officer, "批次").await;
    crate::proposals::eligible_ngo(app, &officer, email, serial).await;
    let web = app.browser();
    web.login(app, email, PASSWORD).await;
    let r = web
        .post_form(app, &format!("/calls/{round}/proposals"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = crate::helpers::location(&r)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (web, id)
}

async fn an_over_long_title_and_summary_are_named_and_the_typed_text_kept(b: Backend) {
    let app = spawn_with(b, |_| {}).await;
    let (web, id) = draft_on_page(&app, "long@example.org", 51).await;

    // Every limit is stated before anyone types.
    let (_, page) = web.get_text(&app, &format!("/proposals/{id}")).await;
    assert!(
        page.contains(r#"name="title" type="text" value="" maxlength="100""#),
        "{page}"
    );
    assert!(page.contains(r#"name="summary" rows="4" maxlength="2000""#));
    assert!(page.contains(r#"name="need_analysis" rows="6" maxlength="10000""#));
    assert!(page.contains("最多 2,000 字"));
    assert!(page.contains("最多 10,000 字"));

    let title = "长".repeat(101);
    let summary = "述".repeat(2001);
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/basics"),
            &[
                ("version", "1"),
                ("title", &title),
                ("summary", &summary),
                ("project_lead", "王芳"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"<p class="error" id="e-title">不能超过 100 个字符。"#),
        "{page}"
    );
    assert!(page.contains(r#"<p class="error" id="e-summary">不能超过 2000 个字符。"#));
    assert!(
        page.contains(&format!(r#"value="{title}""#)),
        "the title is kept"
    );
    assert!(
        page.contains(&format!(">{summary}</textarea>")),
        "the summary is kept"
    );
    assert!(
        page.contains(r#"value="王芳""#),
        "the other fields are kept"
    );

    // A typed line break counts once, as the browser counts it.
    let lines = "行\r\n".repeat(999) + "尾";
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/basics"),
            &[("version", "1"), ("summary", &lines)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The API names the field the same way.
    let member = app.token("long@example.org", PASSWORD).await;
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    let r = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(&member),
            Some(serde_json::json!({
                "version": v["proposal"]["version"],
                "content": {"title": title, "team": "队".repeat(5001)}
            })),
        )
        .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    assert!(crate::helpers::has_error(&r.1, "title"), "{}", r.1);
    assert!(crate::helpers::has_error(&r.1, "team"), "{}", r.1);
}
dual!(an_over_long_title_and_summary_are_named_and_the_typed_text_kept);

async fn an_over_size_form_gets_a_readable_413_page(b: Backend) {
    let app = spawn_with(b, |_| {}).await;
    let (web, id) = draft_on_page(&app, "huge@example.org", 52).await;
    let huge = "x".repeat(yichuang::domain::limits::FORM_BODY_MAX_BYTES + 1);
    let r = web
        .client
        .post(app.url(&format!("/proposals/{id}/sections/basics")))
        .header("Referer", app.url(&format!("/proposals/{id}")))
        .form(&[("version", "1"), ("summary", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("表单内容过多，未能提交"), "{page}");
    assert!(
        page.contains("后退"),
        "it says how to go back with the text"
    );
    assert!(
        page.contains(&format!(r#"href="/proposals/{id}" id="reopen-form""#)),
        "{page}"
    );

    // Under /api the same limit answers problem+json.
    let member = app.token("huge@example.org", PASSWORD).await;
    let r = app
        .client
        .put(app.url(&format!("/api/v1/proposals/{id}")))
        .bearer_auth(&member)
        .json(&serde_json::json!({"version": 1, "content": {"summary": huge}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "payload_too_large");
}
dual!(an_over_size_form_gets_a_readable_413_page);
