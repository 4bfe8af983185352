//! Expert review assignment: profiles and conflicts, opening the review, automatic and
//! manual assignment, accepting and declining.

use reqwest::StatusCode;
use serde_json::json;
use yichuang::domain::account::Role;

use crate::dual;
use crate::helpers::{spawn, Backend, TestApp};
use crate::proposals::{content, eligible_ngo};
use crate::rounds::open_round;

/// Moves the round past its deadline and waits for the worker to close it.
async fn close_round(app: &TestApp, officer: &str, round: i64) {
    app.db(move |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE rounds SET closes_at = $1 WHERE id = $2")
            .bind::<diesel::sql_types::Timestamp, _>(
                yichuang::db::now() - chrono::Duration::minutes(1),
            )
            .bind::<diesel::sql_types::BigInt, _>(round)
            .execute(c)
            .unwrap();
    })
    .await;
    for _ in 0..100 {
        let (_, v) = app
            .get(&format!("/api/v1/rounds/{round}"), Some(officer))
            .await;
        if v["round"]["status"] == "screening" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the round did not close");
}

async fn reviewers_are_assigned_evenly_without_conflicts(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    let mut proposals = Vec::new();
    let mut orgs = Vec::new();
    for i in 0..4u32 {
        let (member, org) =
            eligible_ngo(&app, &officer, &format!("ngo{i}@example.org"), 200 + i).await;
        let (_, v) = app
            .post(
                &format!("/api/v1/calls/{round}/proposals"),
                Some(&member),
                json!({}),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        app.api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{id}"),
            Some(&member),
            Some(json!({"version": 1, "content": content()})),
        )
        .await;
        let (s, v) = app
            .post(
                &format!("/api/v1/proposals/{id}/submit"),
                Some(&member),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        proposals.push(id);
        orgs.push(org);
    }
    let mut reviewers = Vec::new();
    for i in 0..6 {
        reviewers.push(
            app.staff(Role::Reviewer, &format!("expert{i}@univ.edu.cn"), None)
                .await,
        );
    }
    // Expert 0 advised the first applicant two years ago.
    let (_, org0) = app
        .get(&format!("/api/v1/orgs/{}", orgs[0]), Some(&officer))
        .await;
    let name0 = org0["org"]["name"].as_str().unwrap().to_string();
    let (s, v) = app
        .api(reqwest::Method::PUT, "/api/v1/reviewer/profile", Some(&reviewers[0]), Some(json!({"expertise": ["为老服务"], "affiliations": [{"org_name": name0, "role": "顾问", "until": "2025-06-30"}]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Review cannot start while the round is open, nor while screening is unfinished.
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/start"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("round_wrong_state"))
    );
    close_round(&app, &officer, round).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/start"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("screening_unfinished"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{round}/screening"),
            Some(&officer),
            json!({"ids": proposals, "decision": "eligible"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/start"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/auto-assign"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["assigned"].as_i64()),
        (StatusCode::OK, Some(20)),
        "4 proposals × 5 reviewers"
    );
    let mut loads = Vec::new();
    for r in &reviewers {
        let (_, list) = app.get("/api/v1/reviews", Some(r)).await;
        loads.push(list.as_array().unwrap().len());
        for item in list.as_array().unwrap() {
            assert!(
                !(r == &reviewers[0] && item["proposal_id"] == proposals[0]),
                "the conflicted expert never gets that proposal"
            );
        }
    }
    assert_eq!(loads.iter().sum::<usize>(), 20);
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
        "{loads:?}"
    );
    assert_eq!(
        app.last_email_to("expert1@univ.edu.cn").await.kind,
        "reviews_assigned"
    );
    let (_, board) = app
        .get(
            &format!("/api/v1/rounds/{round}/assignments"),
            Some(&officer),
        )
        .await;
    assert!(board
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["open_slots"] == 0));

    // A manual assignment with a known conflict is refused.
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/reviewers", proposals[0]),
            Some(&officer),
            json!({"reviewer_id": 999999}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reviewer_id"))
    );
    let (_, me0) = app.get("/api/v1/me", Some(&reviewers[0])).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{}/reviewers", proposals[0]),
            Some(&officer),
            json!({"reviewer_id": me0["id"]}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("reviewer_conflict"))
    );
}
dual!(reviewers_are_assigned_evenly_without_conflicts);

async fn reviewers_see_the_proposal_after_accepting_and_may_decline(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "批次").await;
    let (member, _) = eligible_ngo(&app, &officer, "ngo@example.org", 300).await;
    let (_, v) = app
        .post(
            &format!("/api/v1/calls/{round}/proposals"),
            Some(&member),
            json!({}),
        )
        .await;
    let pid = v["id"].as_i64().unwrap();
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{pid}"),
        Some(&member),
        Some(json!({"version": 1, "content": content()})),
    )
    .await;
    app.post(
        &format!("/api/v1/proposals/{pid}/submit"),
        Some(&member),
        json!({}),
    )
    .await;
    let mut reviewers = Vec::new();
    for i in 0..6 {
        reviewers.push(
            app.staff(Role::Reviewer, &format!("expert{i}@univ.edu.cn"), None)
                .await,
        );
    }
    close_round(&app, &officer, round).await;
    app.post(
        &format!("/api/v1/proposals/{pid}/screening"),
        Some(&officer),
        json!({"decision": "eligible"}),
    )
    .await;
    app.post(
        &format!("/api/v1/rounds/{round}/review/start"),
        Some(&officer),
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/v1/rounds/{round}/review/auto-assign"),
        Some(&officer),
        json!({}),
    )
    .await;

    let (_, list) = app.get("/api/v1/reviews", Some(&reviewers[0])).await;
    let rid = list[0]["review_id"].as_i64().unwrap();
    let (s, v) = app
        .get(&format!("/api/v1/reviews/{rid}"), Some(&reviewers[0]))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["title"], "银龄互助·独居老人关爱计划");
    assert_eq!(
        v["content"],
        serde_json::Value::Null,
        "only title, organization and category before accepting"
    );
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{rid}"), Some(&reviewers[1]))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "another reviewer's review"
    );
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{rid}"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/reviews/{rid}/accept"),
            Some(&reviewers[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app
        .get(&format!("/api/v1/reviews/{rid}"), Some(&reviewers[0]))
        .await;
    assert_eq!(v["content"]["budget"].as_array().unwrap().len(), 4);
    let (s, v) = app
        .post(
            &format!("/api/v1/reviews/{rid}/accept"),
            Some(&reviewers[0]),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("review_wrong_state"))
    );

    // A declined review frees its slot, refilled by someone else.
    let (_, list) = app.get("/api/v1/reviews", Some(&reviewers[1])).await;
    let rid1 = list[0]["review_id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/reviews/{rid1}/decline"),
            Some(&reviewers[1]),
            json!({"conflict_note": " "}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("conflict_note"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/reviews/{rid1}/decline"),
            Some(&reviewers[1]),
            json!({"conflict_note": "曾为该机构理事"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, board) = app
        .get(
            &format!("/api/v1/rounds/{round}/assignments"),
            Some(&officer),
        )
        .await;
    assert_eq!(board[0]["open_slots"], 1);
    let (_, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/auto-assign"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(v["assigned"], 1);
    let (_, list) = app.get("/api/v1/reviews", Some(&reviewers[1])).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the decliner is not picked again"
    );
    let (_, list) = app.get("/api/v1/reviews", Some(&reviewers[5])).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the sixth expert took the slot"
    );
}
dual!(reviewers_see_the_proposal_after_accepting_and_may_decline);
