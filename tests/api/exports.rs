//! Files that work in Excel and download under their Chinese names: typed xlsx cells that add
//! up to the totals on the page, the frozen header and filter, `Content-Disposition` with an
//! ASCII fallback and the UTF-8 name, and official documents in Chinese whatever the reader's
//! language.

use calamine::Data;
use reqwest::StatusCode;
use serde_json::Value;

use crate::award::ranked_round;
use crate::dual;
use crate::execution::awarded;
use crate::helpers::{pdf_text, spawn, xlsx_part, xlsx_rows, Backend, TestApp};

struct Download {
    disposition: String,
    content_type: String,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, token: &str, path: &str, lang: &str) -> Download {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let h = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (disposition, content_type) = (h("content-disposition"), h("content-type"));
    Download {
        disposition,
        content_type,
        bytes: r.bytes().await.unwrap().to_vec(),
    }
}

/// The file name of a `Content-Disposition` header: the ASCII fallback and the decoded
/// UTF-8 name.
fn names(disposition: &str) -> (String, String) {
    let rest = disposition
        .strip_prefix("attachment; filename=\"")
        .unwrap_or_else(|| panic!("an attachment with a fallback name: {disposition}"));
    let (fallback, rest) = rest.split_once('"').unwrap();
    let encoded = rest
        .strip_prefix("; filename*=UTF-8''")
        .unwrap_or_else(|| panic!("a UTF-8 name: {disposition}"));
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%-_.~".contains(&b)),
        "percent-encoded: {encoded}"
    );
    let decoded = url::form_urlencoded::parse(format!("n={encoded}").as_bytes())
        .next()
        .unwrap()
        .1
        .to_string();
    assert!(fallback.is_ascii() && !fallback.is_empty(), "{fallback}");
    (fallback.to_string(), decoded)
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("a number, not {other:?}"),
    }
}

/// The column of `rows` (header first) headed `title`.
fn column(rows: &[Vec<Data>], title: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| *h == title)
        .unwrap_or_else(|| panic!("no column {title}: {:?}", rows[0]))
}

/// The header row is frozen and carries the filter over the table.
fn assert_frozen_and_filtered(bytes: &[u8], rows: usize) {
    let sheet = xlsx_part(bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "the header row is frozen: {sheet}"
    );
    assert!(
        sheet.contains("<autoFilter ref=\"A1:") && sheet.contains(&format!("{rows}\"/>")),
        "the filter covers the table: {sheet}"
    );
    let styles = xlsx_part(bytes, "xl/styles.xml");
    assert!(
        styles.contains("formatCode=\"¥#,##0.00\""),
        "money is formatted as yuan: {styles}"
    );
}

async fn title_of(app: &TestApp, token: &str, round: i64) -> String {
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{round}"), Some(token))
        .await;
    v["round"]["title"]
        .as_str()
        .or(v["title"].as_str())
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

/// The ranking's xlsx writes ranks, scores and money as numbers; the funded amounts add up
/// to the total the ranking shows; the file is named after the round.
async fn the_ranking_xlsx_adds_up_to_the_total_shown(b: Backend) {
    let app = spawn(b).await;
    let r = ranked_round(&app, 12_000_000, &[90, 85, 80, 70], 2).await;
    let (s, ranking): (_, Value) = app
        .get(
            &format!("/api/v1/rounds/{}/ranking", r.round),
            Some(&r.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ranking}");
    let used_fen = ranking["used_fen"].as_i64().unwrap();
    assert!(used_fen > 0, "{ranking}");

    let path = format!("/api/v1/rounds/{}/ranking.xlsx", r.round);
    let d = download(&app, &r.officer, &path, "zh-CN").await;
    assert_eq!(
        d.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let rows = xlsx_rows(&d.bytes);
    let (rank, score, line, amount) = (
        column(&rows, "排名"),
        column(&rows, "最终得分"),
        column(&rows, "资助线"),
        column(&rows, "拟资助金额（元）"),
    );
    let data: Vec<&Vec<Data>> = rows[1..=4].iter().collect();
    let ranks: Vec<f64> = data.iter().map(|r| number(&r[rank])).collect();
    assert_eq!(ranks, [1.0, 2.0, 3.0, 4.0]);
    let scores: Vec<f64> = data.iter().map(|r| number(&r[score])).collect();
    assert_eq!(scores, [90.0, 85.0, 80.0, 70.0]);
    // Excel's SUM over the funded rows' amounts (in yuan) is the total the ranking shows.
    let funded: f64 = data
        .iter()
        .filter(|r| r[line] == "拟资助")
        .map(|r| number(&r[amount]))
        .sum();
    assert_eq!((funded * 100.0).round() as i64, used_fen);
    assert_frozen_and_filtered(&d.bytes, 5);

    let title = title_of(&app, &r.officer, r.round).await;
    let (fallback, name) = names(&d.disposition);
    assert_eq!(fallback, format!("ranking-{}.xlsx", r.round));
    assert_eq!(name, format!("{title}-排名.xlsx"));
    // The same name for the PDF, whatever the reader's language.
    let path = format!("/api/v1/rounds/{}/ranking.pdf", r.round);
    let d = download(&app, &r.officer, &path, "en").await;
    assert_eq!(d.content_type, "application/pdf");
    let (fallback, name) = names(&d.disposition);
    assert_eq!(fallback, format!("ranking-{}.pdf", r.round));
    assert_eq!(name, format!("{title}-排名.pdf"));
}
dual!(the_ranking_xlsx_adds_up_to_the_total_shown);

/// The project ledger's money columns add up to the dashboard's totals; its CSV and the
/// beneficiaries' CSV are named after the round too.
async fn the_ledger_xlsx_adds_up_to_the_dashboard_totals(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (s, dash) = app
        .get(
            &format!("/api/v1/rounds/{}/dashboard", a.round),
            Some(&a.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{dash}");
    let grant_fen = dash["totals"]["grant_fen"].as_i64().unwrap();
    assert!(grant_fen > 0, "{dash}");

    let path = format!("/api/v1/rounds/{}/ledger.xlsx", a.round);
    let d = download(&app, &a.officer, &path, "en").await;
    let rows = xlsx_rows(&d.bytes);
    let grant = column(&rows, "Grant (yuan)");
    let sum: f64 = rows[1..].iter().map(|r| number(&r[grant])).sum();
    assert_eq!((sum * 100.0).round() as i64, grant_fen);
    assert_eq!(rows.len(), 1 + a.projects.len());
    assert_frozen_and_filtered(&d.bytes, 1 + a.projects.len());

    let title = title_of(&app, &a.officer, a.round).await;
    let (fallback, name) = names(&d.disposition);
    assert_eq!(fallback, format!("ledger-{}.xlsx", a.round));
    assert_eq!(name, format!("{title}-项目台账.xlsx"));
    for (file, fallback, what) in [
        ("ledger.csv", "ledger", "项目台账"),
        ("beneficiaries.csv", "beneficiaries", "受益人统计"),
    ] {
        let path = format!("/api/v1/rounds/{}/{file}", a.round);
        let d = download(&app, &a.officer, &path, "zh-CN").await;
        assert_eq!(
            names(&d.disposition),
            (
                format!("{fallback}-{}.csv", a.round),
                format!("{title}-{what}.csv")
            )
        );
    }
    // The stored documents of a project download under their Chinese names too.
    let path = format!("/api/v1/projects/{}/agreement.pdf", a.projects[0]);
    let d = download(&app, &a.officer, &path, "en").await;
    let (fallback, name) = names(&d.disposition);
    assert_eq!(fallback, format!("agreement-{}.pdf", a.projects[0]));
    assert!(name.starts_with("项目协议书-"), "{name}");
}
dual!(the_ledger_xlsx_adds_up_to_the_dashboard_totals);

/// The guide, a proposal and the award documents are official documents: in Chinese even
/// when the reader reads the pages in English.
async fn official_documents_are_chinese_whatever_the_readers_language(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let english = |t: &str| {
        ["Organised by", "Requested", "Status", "Proposal", "Grant"]
            .into_iter()
            .filter(|w| t.contains(w))
            .collect::<Vec<_>>()
    };
    let path = format!("/api/v1/calls/{}/guide.pdf", a.round);
    let r = app
        .client
        .get(app.url(&path))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''"));
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains("主办单位"), "{text}");
    assert!(english(&text).is_empty(), "{text}");

    let project = a.projects[0];
    let proposal: i64 = app
        .db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::projects;
            projects::table
                .find(project)
                .select(projects::proposal_id)
                .first(c)
                .unwrap()
        })
        .await;
    let path = format!("/api/v1/proposals/{proposal}/pdf");
    let d = download(&app, &a.officer, &path, "en").await;
    let text = pdf_text(&d.bytes);
    assert!(
        text.contains("申报编号") && text.contains("申报机构"),
        "{text}"
    );
    assert!(english(&text).is_empty(), "{text}");
    for doc in ["award-notice", "agreement"] {
        let path = format!("/api/v1/projects/{}/{doc}.pdf", a.projects[0]);
        let d = download(&app, &a.officer, &path, "en").await;
        let text = pdf_text(&d.bytes);
        assert!(text.contains("协议编号") || text.contains("项目"), "{text}");
        assert!(english(&text).is_empty(), "{doc}: {text}");
    }
}
dual!(official_documents_are_chinese_whatever_the_readers_language);
