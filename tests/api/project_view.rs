//! The project page and `GET /api/v1/projects/{id}` read one view: the same figures for
//! every reader, and the same evaluations hidden from those who may not see them.

use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::money::Fen;

use crate::dual;
use crate::evaluation::{accept, agency, assign, file, sign};
use crate::execution::{awarded, detail, put_report, PNG};
use crate::helpers::{spawn, Backend, TestApp, PASSWORD};

/// The text of each cell of the table row with this id.
fn row(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}"));
    let end = start + html[start..].find("</tr>").unwrap();
    html[start..end]
        .split("<td")
        .skip(1)
        .map(|cell| {
            let mut text = String::new();
            let mut in_tag = true; // the rest of the <td ...> tag
            for ch in cell.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The text of the element with this id (up to its first inner tag).
fn text_of_id(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let open = start + html[start..].find('>').unwrap() + 1;
    html[open..].split('<').next().unwrap().trim().to_string()
}

fn money(v: &Value) -> String {
    Fen(v.as_i64().unwrap()).to_string()
}

async fn page_of(app: &TestApp, email: &str, project: i64) -> String {
    let b = app.browser();
    b.login(app, email, PASSWORD).await;
    let (s, html) = b.get_text(app, &format!("/projects/{project}")).await;
    assert_eq!(s, StatusCode::OK, "{email}");
    html
}

async fn page_and_api_show_the_same_figures(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (project, ngo, o) = (a.projects[0], &a.members[0], &a.officer);
    sign(&app, o, project).await;
    let first = detail(&app, o, project).await["tranches"][0]["id"]
        .as_i64()
        .unwrap();
    let today = yichuang::db::today().to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/tranches/{first}/payments"),
            Some(o),
            json!({"paid_on": today, "voucher_no": "记-1", "amount": "20000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(ngo),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let report = v["id"].as_i64().unwrap();
    let content = json!({
        "activities": 6,
        "beneficiaries": [{"group": "elderly", "unique_people": 40, "person_times": 120},
                          {"group": "disabled", "unique_people": 5, "person_times": 10}],
        "volunteer_times": 30,
        "volunteer_hours": 90,
        "spending": [{"line": 0, "spent": 2_000_000, "over_reason": ""},
                     {"line": 1, "spent": 500_000, "over_reason": ""},
                     {"line": 3, "spent": 300_000, "over_reason": ""}],
        "narrative": "开展入户探访 6 次。",
    });
    let (s, v) = put_report(&app, ngo, report, content).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = app
        .upload(
            &format!("/api/v1/reports/{report}/evidence"),
            ngo,
            "签到表.png",
            PNG,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/{report}/submit"),
            Some(ngo),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let d = detail(&app, ngo, project).await;
    assert_eq!(d, detail(&app, o, project).await, "one view for both");
    // The figures themselves.
    assert_eq!(d["totals"]["paid_fen"], 2_000_000);
    assert_eq!(d["tranches"][0]["paid_fen"], 2_000_000);
    assert_eq!(d["tranches"][1]["paid_fen"], 0);
    assert_eq!(d["totals"]["spent_grant_fen"], 2_500_000);
    assert_eq!(d["totals"]["spent_matching_fen"], 300_000);
    assert_eq!(d["milestones"][0]["actual_unique"], 45);
    assert_eq!(d["milestones"][0]["report_status"], "submitted");
    assert!(d["milestones"][1]["actual_unique"].is_null());
    let elderly = &d["groups"][0];
    assert_eq!(
        (
            &elderly["group"],
            &elderly["planned_unique"],
            &elderly["unique_people"],
            &elderly["person_times"]
        ),
        (&json!("elderly"), &json!(120), &json!(40), &json!(120)),
        "planned as 老年人, reported as elderly"
    );
    assert_eq!(d["groups"][1]["planned_unique"], 0);
    assert_eq!(d["groups"][1]["unique_people"], 5);
    assert_eq!(d["spending"][0]["budget_fen"], 3_000_000);
    assert_eq!(d["spending"][0]["spent_fen"], 2_000_000);
    assert_eq!(d["spending"][3]["source"], "community");
    assert_eq!(
        d["files"].as_array().unwrap().len(),
        2,
        "agreement, evidence"
    );

    // The page shows the API's figures, to the NGO and to the officer alike.
    for email in ["ngo0@example.org", "officer@gusu.gov.cn"] {
        let html = page_of(&app, email, project).await;
        assert_eq!(text_of_id(&html, "paid"), money(&d["totals"]["paid_fen"]));
        assert_eq!(
            text_of_id(&html, "spent"),
            money(&d["totals"]["spent_grant_fen"])
        );
        for t in d["tranches"].as_array().unwrap() {
            let cells = row(&html, &format!("tranche-{}", t["seq"]));
            assert_eq!(cells[3], money(&t["amount_fen"]), "{email}");
            assert!(
                cells[5].starts_with(&money(&t["paid_fen"])),
                "{email}: {cells:?}"
            );
        }
        for m in d["milestones"].as_array().unwrap() {
            let cells = row(&html, &format!("milestone-{}", m["index"]));
            assert_eq!(cells[2], m["target_unique"].to_string(), "{email}");
            let actual = m["actual_unique"]
                .as_i64()
                .map_or("—".to_string(), |n| n.to_string());
            assert_eq!(cells[3], actual, "{email}");
        }
        for g in d["groups"].as_array().unwrap() {
            let cells = row(&html, &format!("group-{}", g["group"].as_str().unwrap()));
            assert_eq!(
                cells[1..],
                [
                    g["planned_unique"].to_string(),
                    g["unique_people"].to_string(),
                    g["person_times"].to_string()
                ],
                "{email}"
            );
        }
        assert_eq!(row(&html, "group-elderly")[0], "老年人");
        for l in d["spending"].as_array().unwrap() {
            let cells = row(&html, &format!("spend-{}", l["line"]));
            assert_eq!(
                cells[3..],
                [money(&l["budget_fen"]), money(&l["spent_fen"])],
                "{email}"
            );
        }
    }
}
dual!(page_and_api_show_the_same_figures);

fn evaluation_ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

async fn unaccepted_evaluations_show_only_to_the_officer_and_their_evaluator(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (project, ngo, o) = (a.projects[0], &a.members[0], &a.officer);
    sign(&app, o, project).await;
    let (eva, eva_token) = agency(&app, o, 62, "张评", "eva@pinggu.cn").await;
    let (other, other_token) = agency(&app, o, 63, "李核", "other@pinggu.cn").await;
    let (_, v) = assign(&app, o, project, "midterm", eva).await;
    let midterm = v["id"].as_i64().unwrap();
    file(&app, &eva_token, midterm, 85).await;
    let (s, v) = accept(&app, o, midterm, json!({"accept": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = assign(&app, o, project, "final", other).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let fin = v["id"].as_i64().unwrap();

    let readers = [
        ("ngo0@example.org", ngo.as_str(), vec![midterm]),
        ("eva@pinggu.cn", eva_token.as_str(), vec![midterm]),
        ("other@pinggu.cn", other_token.as_str(), vec![midterm, fin]),
        ("officer@gusu.gov.cn", o.as_str(), vec![midterm, fin]),
    ];
    for (email, token, expected) in readers {
        let d = detail(&app, token, project).await;
        assert_eq!(evaluation_ids(&d["evaluations"]), expected, "{email}");
        let (s, list) = app
            .get(
                &format!("/api/v1/projects/{project}/evaluations"),
                Some(token),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(evaluation_ids(&list), expected, "{email}");
        let html = page_of(&app, email, project).await;
        for id in [midterm, fin] {
            assert_eq!(
                html.contains(&format!("href=\"/evaluations/{id}\"")),
                expected.contains(&id),
                "{email} on the page, evaluation {id}"
            );
            let (s, _) = app
                .get(&format!("/api/v1/evaluations/{id}"), Some(token))
                .await;
            assert_eq!(
                s == StatusCode::OK,
                expected.contains(&id),
                "{email} opening evaluation {id}: {s}"
            );
        }
    }
}
dual!(unaccepted_evaluations_show_only_to_the_officer_and_their_evaluator);
