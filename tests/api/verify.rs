//! Documents anyone can verify (issue 15): every issued document carries a short code and the
//! QR code of its public verification page, which shows the document's key facts and SHA-256
//! and whether it still stands.

use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::dual;
use crate::evaluation::{accept, agency, assign, file, sign};
use crate::execution::awarded;
use crate::helpers::{pdf_text, spawn_with, Backend, TestApp};

/// Every QR code drawn in a PDF, decoded from its pages rasterised at 150 dpi (as a phone's
/// camera would see a printed copy).
pub fn qr_codes_in(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", "150"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(out.status.success(), "{out:?}");
    let mut found = Vec::new();
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    pages.sort();
    for page in pages {
        let bytes = std::fs::read(&page).unwrap();
        // A binary PGM: "P5", width, height, max value, then one byte per pixel.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).to_string());
        }
        let pixels = &bytes[at + 1..];
        let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        for grid in img.detect_grids() {
            if let Ok((_, content)) = grid.decode() {
                found.push(content);
            }
        }
    }
    found
}

/// The verification code printed on a document, as printed (`7KQ2-M9XD-4HRT`).
pub(crate) fn printed_code(pdf: &[u8]) -> String {
    let text: String = pdf_text(pdf).split_whitespace().collect();
    let at = text
        .find("验证码：")
        .unwrap_or_else(|| panic!("no code: {text}"));
    let printed: String = text[at + "验证码：".len()..].chars().take(14).collect();
    assert_eq!(printed.matches('-').count(), 2, "{printed}");
    printed
}

/// A PDF downloaded with a bearer token.
pub(crate) async fn pdf_of(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

pub(crate) async fn anonymous_get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn an_issued_document_is_verified_by_its_code_and_its_qr_code(b: Backend) {
    let app = spawn_with(b, |s| s.verify_limit_per_client = 12).await;
    let a = awarded(&app).await;
    let (project, o) = (a.projects[0], &a.officer);
    let member = &a.members[0];
    let pdf = pdf_of(
        &app,
        member,
        &format!("/api/v1/projects/{project}/agreement.pdf"),
    )
    .await;
    let sha = hex::encode(Sha256::digest(&pdf));

    // The code is printed at the end of the document, with the link of its page.
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    let printed = printed_code(&pdf);
    let code = printed.replace('-', "");
    let url = format!(
        "{}/verify/{code}",
        app.settings.base_url.trim_end_matches('/')
    );
    assert!(text.contains(&url), "{url} not in {text}");

    // Its QR code, scanned from the printed page, is that link.
    assert_eq!(qr_codes_in(&pdf), vec![url.clone()]);

    // The page, for anyone: the key facts, the SHA-256 of the PDF, valid.
    let (_, detail) = app
        .get(&format!("/api/v1/projects/{project}"), Some(member))
        .await;
    let agreement_no = detail["project"]["agreement_no"]
        .as_str()
        .or(detail["agreement_no"].as_str())
        .unwrap_or_else(|| panic!("{detail}"))
        .to_string();
    let (s, page) = anonymous_get(&app, &format!("/verify/{printed}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    for want in [
        "文件真伪核验",
        r#"id="verify-standing">有效"#,
        "项目协议书",
        &agreement_no,
        "社区服务项目0",
        "姑苏区民政局",
        &format!(r#"id="verify-sha256">{sha}"#),
    ] {
        assert!(page.contains(want), "lacks {want}: {page}");
    }
    let (s, v) = app
        .get(&format!("/api/v1/verify/{}", printed.to_lowercase()), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["standing"], "valid");
    assert_eq!(v["kind"], "agreement");
    assert_eq!(v["sha256"], sha);
    assert_eq!(v["agreement_no"], agreement_no);
    assert_eq!(
        v["grant_fen"],
        detail["project"]["grant_fen"]
            .as_i64()
            .or(detail["grant_fen"].as_i64())
            .unwrap()
    );
    assert_eq!(v["version"], 1);

    // The project page links each document's verification page.
    let web = app.browser();
    web.login(&app, "ngo0@example.org", crate::helpers::PASSWORD)
        .await;
    let (_, page) = web.get_text(&app, &format!("/projects/{project}")).await;
    assert!(
        page.contains(&format!(r#"<a href="/verify/{code}">{printed}</a>"#)),
        "{page}"
    );

    // The award notice has a code of its own.
    let notice = pdf_of(
        &app,
        member,
        &format!("/api/v1/projects/{project}/award-notice.pdf"),
    )
    .await;
    let other = qr_codes_in(&notice);
    assert_eq!(other.len(), 1);
    assert_ne!(other[0], url);

    // Unknown, malformed and over-long codes are not found, without a hint.
    for bad in ["ZZZZ-ZZZZ-ZZZZ", "not-a-code", &"7".repeat(300)] {
        let (s, _) = anonymous_get(&app, &format!("/verify/{bad}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
        let (s, v) = app.get(&format!("/api/v1/verify/{bad}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}: {v}");
    }

    // The project is terminated after a failed evaluation: the agreement is revoked.
    sign(&app, o, project).await;
    let (eva, eva_token) = agency(&app, o, 71, "张评", "verify-eva@pinggu.cn").await;
    let (s, v) = assign(&app, o, project, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let ev = v["id"].as_i64().unwrap();
    file(&app, &eva_token, ev, 50).await;
    let (s, v) = accept(
        &app,
        o,
        ev,
        json!({"accept": true, "override_consequence": "terminate", "override_reason": "机构擅自变更服务内容"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, page) = anonymous_get(&app, &format!("/verify/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"id="verify-standing">已撤销"#), "{page}");
    assert!(page.contains("项目已终止"), "{page}");
    let (_, v) = app.get(&format!("/api/v1/verify/{code}"), None).await;
    assert_eq!(v["standing"], "revoked");

    // Lookups are limited per client address: trying codes in bulk meets a 429.
    let mut refused = false;
    for _ in 0..12 {
        let (s, _) = app.get("/api/v1/verify/ZZZZZZZZZZZZ", None).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    assert!(refused, "no limit met");
}
dual!(an_issued_document_is_verified_by_its_code_and_its_qr_code);
