//! The district demo shows the monitoring and verification stories end to end, as a bureau
//! would meet them: a project with an approved extension and its supplement agreement, a
//! refused budget change and a supervision visit whose open rectification holds a tranche
//! (issue 16); rosters with masked identities, people counted by two projects, and an
//! evaluator's reproducible call-back sample feeding the evaluation and its summary PDF,
//! whose QR code opens the verification page (issue 15).

use reqwest::StatusCode;
use serde_json::Value;

use crate::dual;
use crate::helpers::{pdf_text, spawn, Backend, TestApp};
use crate::verify::qr_codes_in;

const OFFICER: &str = "officer@gusu.example";
const DEMO_PASSWORD: &str = "demo-yichuang-2026";

/// What the demo's rows say, read straight from its database.
struct Story {
    extension: i64,
    refused_budget: i64,
    changed_project: i64,
    held_project: i64,
    sampled_evaluation: i64,
    roster_report: i64,
}

async fn story(app: &TestApp) -> Story {
    app.db(|c| {
        use diesel::prelude::*;
        use yichuang::db::schema::{
            change_requests as cr, evaluations as ev, roster_entries as r, samples as s,
            visit_findings as f,
        };
        let (extension, changed_project): (i64, i64) = cr::table
            .filter(cr::kind.eq("extension"))
            .filter(cr::status.eq("approved"))
            .select((cr::id, cr::project_id))
            .first(c)
            .expect("an approved extension");
        let refused_budget: i64 = cr::table
            .filter(cr::kind.eq("budget"))
            .filter(cr::status.eq("refused"))
            .select(cr::id)
            .first(c)
            .expect("a refused budget change");
        let held_project: i64 = f::table
            .filter(f::status.eq("open"))
            .filter(f::rectify_by.is_not_null())
            .select(f::project_id)
            .first(c)
            .expect("an open rectification");
        let sampled_evaluation: i64 = s::table
            .inner_join(ev::table.on(ev::id.eq(s::evaluation_id)))
            .filter(ev::status.eq("accepted"))
            .select(s::evaluation_id)
            .first(c)
            .expect("an accepted evaluation with a sample");
        let roster_report: i64 = r::table
            .filter(r::id_masked.is_not_null())
            .select(r::report_id)
            .first(c)
            .expect("a roster with identity numbers");
        Story {
            extension,
            refused_budget,
            changed_project,
            held_project,
            sampled_evaluation,
            roster_report,
        }
    })
    .await
}

async fn bytes(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.bytes().await.unwrap().to_vec()
}

async fn the_demo_shows_monitoring_and_verification_end_to_end(b: Backend) {
    let app = spawn(b).await;
    crate::languages::seed_demo(&app);
    let o = app.token(OFFICER, DEMO_PASSWORD).await;
    let st = story(&app).await;

    // Issue 16: the approved extension's supplement agreement, the refused budget change,
    // targets against actuals, and the visit's open finding holding the next tranche.
    let (s, v) = app
        .get(&format!("/api/v1/changes/{}", st.extension), Some(&o))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = pdf_text(
        &bytes(
            &app,
            &o,
            &format!("/api/v1/changes/{}/supplement.pdf", st.extension),
        )
        .await,
    );
    assert!(text.contains("补充协议"), "{text}");
    let (s, v) = app
        .get(&format!("/api/v1/changes/{}", st.refused_budget), Some(&o))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["change"]["status"], "refused", "{v}");
    let (s, v) = app
        .get(
            &format!("/api/v1/projects/{}", st.changed_project),
            Some(&o),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let targets = v["targets"]["targets"].as_array().expect("targets");
    assert!(!targets.is_empty(), "{v}");
    assert!(
        targets.iter().any(|t| t["actual"].is_i64()),
        "actuals beside the targets: {v}"
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/projects/{}/visits", st.held_project),
            Some(&o),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["holding"], 1, "{v}");

    // Issue 15: a roster shown masked, people counted by two projects, a sample that follows
    // from its seed and fed the evaluation, its summary's QR code opening the verification.
    let (s, v) = app
        .get(
            &format!("/api/v1/reports/{}/roster", st.roster_report),
            Some(&o),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lines = v["lines"].as_array().unwrap();
    assert!(!lines.is_empty(), "{v}");
    for l in lines.iter().filter(|l| l["id_masked"].is_string()) {
        assert!(l["id_masked"].as_str().unwrap().contains("****"), "{l}");
    }
    let (s, v) = app.get("/api/v1/duplicates", Some(&o)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pairs = v.as_array().unwrap();
    assert!(
        pairs.iter().any(|p| p["people"].as_i64() >= Some(1)),
        "the bureau sees people counted twice: {v}"
    );

    let ev = st.sampled_evaluation;
    let (s, sample) = app
        .get(&format!("/api/v1/evaluations/{ev}/sample"), Some(&o))
        .await;
    assert_eq!(s, StatusCode::OK, "{sample}");
    assert_eq!(sample["state"], "drawn", "{sample}");
    assert_eq!(sample["unmasked"], false, "the officer sees masked numbers");
    assert_eq!(sample["check"], "matches", "the seed gives this sample");
    assert_eq!(sample["estimates"]["complete"], true, "{sample}");
    let (s, f) = app
        .get(&format!("/api/v1/evaluations/{ev}"), Some(&o))
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let estimated: Vec<(Value, Value)> = sample["estimates"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].clone(), g["verified"].clone()))
        .collect();
    let filed: Vec<(Value, Value)> = f["content"]["verified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].clone(), g["unique_people"].clone()))
        .collect();
    assert_eq!(estimated, filed, "the estimates fed the filing");
    assert_eq!(
        f["content"]["satisfaction_pct"],
        sample["estimates"]["satisfaction_pct"]
    );
    let pdf = bytes(&app, &o, &format!("/api/v1/evaluations/{ev}/summary.pdf")).await;
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    let seed = sample["seed"].as_str().unwrap();
    assert!(text.contains("附件：抽样回访情况"), "{text}");
    assert!(text.contains(seed), "the annex gives the seed: {text}");
    let codes = qr_codes_in(&pdf);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let url = &codes[0];
    assert!(url.contains("/verify/"), "{url}");
    let path = &url[url.find("/verify/").unwrap()..];
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let page = res.text().await.unwrap();
    assert!(page.contains("中期评估报告摘要"), "{page}");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf));
    assert!(page.contains(&sha), "the page gives the SHA-256");
}
dual!(the_demo_shows_monitoring_and_verification_end_to_end);
