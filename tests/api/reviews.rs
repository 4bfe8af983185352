//! Expert review assignment: profiles and conflicts, opening the review, automatic and
//! manual assignment, accepting and declining.

use reqwest::StatusCode;
use serde_json::json;
use yichuang::domain::account::Role;

use crate::dual;
use crate::helpers::{spawn, Backend, TestApp};
use crate::proposals::{content, eligible_ngo};
use crate::rounds::open_round;
use yichuang::domain::outbox::MailKind;

/// The round as stored (its deadlines).
pub async fn round_row(app: &TestApp, round: i64) -> yichuang::db::rounds::RoundRow {
    app.db(move |c| yichuang::db::rounds::find(c, round).unwrap())
        .await
}

/// Moves the clock past the round's deadline and runs a worker step, which closes it.
pub async fn close_round(app: &TestApp, officer: &str, round: i64) {
    let closes_at = round_row(app, round).await.closes_at.unwrap();
    app.clock.set(closes_at + chrono::Duration::minutes(1));
    app.run_worker_step().await;
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{round}"), Some(officer))
        .await;
    assert_eq!(v["round"]["status"], "screening", "the round did not close");
}

/// A round in review with one eligible proposal, `n` reviewers and the slots filled.
pub struct InReview {
    pub officer: String,
    pub member: String,
    pub round: i64,
    pub reviewers: Vec<String>,
}

pub async fn one_proposal_in_review(app: &TestApp, serial: u32, n: usize) -> InReview {
    let officer = app.officer().await;
    let round = open_round(app, &officer, "批次").await;
    let (member, _) = eligible_ngo(app, &officer, "ngo@example.org", serial).await;
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
        Some(json!({"version": 1, "content": content(app)})),
    )
    .await;
    app.post(
        &format!("/api/v1/proposals/{pid}/submit"),
        Some(&member),
        json!({}),
    )
    .await;
    let mut reviewers = Vec::new();
    for i in 0..n {
        reviewers.push(
            app.staff(Role::Reviewer, &format!("expert{i}@univ.edu.cn"), None)
                .await,
        );
    }
    close_round(app, &officer, round).await;
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
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{round}/review/auto-assign"),
            Some(&officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    InReview {
        officer,
        member,
        round,
        reviewers,
    }
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
            Some(json!({"version": 1, "content": content(&app)})),
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
        MailKind::ReviewsAssigned
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
    let InReview {
        officer,
        member,
        round,
        reviewers,
        ..
    } = one_proposal_in_review(&app, 300, 6).await;

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

async fn scores_are_checked_locked_on_submit_and_reopened_only_with_a_reason(b: Backend) {
    let app = spawn(b).await;
    let InReview {
        officer,
        member,
        reviewers,
        ..
    } = one_proposal_in_review(&app, 400, 5).await;
    let me = &reviewers[0];
    let (_, list) = app.get("/api/v1/reviews", Some(me)).await;
    let rid = list[0]["review_id"].as_i64().unwrap();
    let score = |scores: [Option<i32>; 6], rec: Option<&str>| json!({"criteria": scores.iter().map(|s| json!({"score": s, "comment": "好"})).collect::<Vec<_>>(), "overall_comment": "需求清楚，设计可行。", "recommendation": rec});
    // Scoring before accepting is refused.
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reviews/{rid}"),
            Some(me),
            Some(json!({"version": 1, "content": score([None; 6], None)})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.post(
        &format!("/api/v1/reviews/{rid}/accept"),
        Some(me),
        json!({}),
    )
    .await;
    let version = app.get(&format!("/api/v1/reviews/{rid}"), Some(me)).await.1["review"]["version"]
        .as_i64()
        .unwrap();

    // Out of range and off the 0.5 step are named by criterion; nothing is saved.
    let bad = score([Some(205), Some(173), None, None, None, None], None);
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reviews/{rid}"),
            Some(me),
            Some(json!({"version": version, "content": bad})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<(&str, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        vec![("scores[0]", "score_range"), ("scores[1]", "score_step")]
    );
    // A draft may be incomplete; submitting it is not.
    let draft = score([Some(180), Some(200), None, None, None, None], None);
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reviews/{rid}"),
            Some(me),
            Some(json!({"version": version, "content": draft})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/api/v1/reviews/{rid}/submit"),
            Some(me),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        v["errors"].as_array().unwrap().len(),
        5,
        "four scores and the recommendation: {v}"
    );
    let full = score(
        [
            Some(180),
            Some(200),
            Some(175),
            Some(120),
            Some(80),
            Some(85),
        ],
        Some("fund"),
    );
    let (s, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reviews/{rid}"),
            Some(me),
            Some(json!({"version": version + 1, "content": full.clone()})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/reviews/{rid}/submit"),
            Some(me),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&format!("/api/v1/reviews/{rid}"), Some(me)).await;
    assert_eq!(v["review"]["status"], "submitted");
    assert_eq!(v["scores"]["criteria"][2]["score"], 175);
    // Locked.
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/reviews/{rid}"),
            Some(me),
            Some(json!({"version": v["review"]["version"], "content": full})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("review_locked"))
    );
    // Only an officer reopens it, and only with a reason.
    assert_eq!(
        app.post(
            &format!("/api/v1/reviews/{rid}/reopen"),
            Some(me),
            json!({"reason": "改分"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/reviews/{rid}/reopen"),
            Some(&officer),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/reviews/{rid}/reopen"),
            Some(&officer),
            json!({"reason": "预算合理性评分与评语不一致"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.last_email_to("expert0@univ.edu.cn").await.kind,
        MailKind::ReviewReopened
    );
    let (_, v) = app.get(&format!("/api/v1/reviews/{rid}"), Some(me)).await;
    assert_eq!(v["review"]["status"], "accepted");
    // Blind: the NGO never sees reviews, another reviewer never sees this one.
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{rid}"), Some(&reviewers[1]))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{rid}"), Some(&member))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
dual!(scores_are_checked_locked_on_submit_and_reopened_only_with_a_reason);

async fn the_scoring_page_keeps_bad_input_and_submits(b: Backend) {
    let app = spawn(b).await;
    one_proposal_in_review(&app, 500, 5).await;
    let web = app.browser();
    web.login(&app, "expert2@univ.edu.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = web.get_text(&app, "/reviews").await;
    assert_eq!(s, StatusCode::OK);
    let rid: i64 = page
        .split("/reviews/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = web
        .post_form(&app, &format!("/reviews/{rid}/accept"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = web.get_text(&app, &format!("/reviews/{rid}")).await;
    assert!(
        page.contains("需求分析") && page.contains("社工补贴"),
        "rubric and proposal shown after accepting"
    );
    let mut fields = vec![
        ("version", "2".to_string()),
        ("action", "submit".to_string()),
        ("overall_comment", "可行".to_string()),
        ("recommendation", "fund_reduced".to_string()),
    ];
    for (i, v) in ["20.5", "20", "17.5", "12", "8", "8.5"].iter().enumerate() {
        fields.push((
            Box::leak(format!("score_{i}").into_boxed_str()),
            v.to_string(),
        ));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = web
        .post_form(&app, &format!("/reviews/{rid}/scores"), &pairs)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("得分应在 0 至 20 之间"), "{page}");
    assert!(page.contains(r#"value="20.5""#), "typed value kept");
    let fixed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| {
            if *k == "score_0" {
                (*k, "18")
            } else {
                (*k, *v)
            }
        })
        .collect();
    let r = web
        .post_form(&app, &format!("/reviews/{rid}/scores"), &fixed)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = web.get_text(&app, &format!("/reviews/{rid}")).await;
    assert!(
        page.contains("评分已提交并锁定") && page.contains("合计 84 / 100"),
        "{page}"
    );
}
dual!(the_scoring_page_keeps_bad_input_and_submits);

/// Criterion scores (tenths, rubric order 20/25/20/15/10/10) that add up to `total` points.
fn scores_for(total: i32) -> [i32; 6] {
    match total {
        95 => [190, 240, 190, 140, 95, 95],
        90 => [180, 225, 180, 135, 90, 90],
        70 => [140, 175, 140, 105, 70, 70],
        55 => [110, 140, 110, 80, 55, 55],
        50 => [100, 125, 100, 75, 50, 50],
        45 => [90, 115, 90, 65, 45, 45],
        _ => unreachable!("no table for {total}"),
    }
}

async fn the_ranking_aggregates_flags_divergence_and_draws_the_line(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let round = open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    let mut pids = Vec::new();
    for i in 0..3u32 {
        let (member, _) =
            eligible_ngo(&app, &officer, &format!("ngo{i}@example.org"), 600 + i).await;
        let (_, v) = app
            .post(
                &format!("/api/v1/calls/{round}/proposals"),
                Some(&member),
                json!({}),
            )
            .await;
        let pid = v["id"].as_i64().unwrap();
        let mut c = content(&app);
        c["title"] = json!(format!("项目{i}"));
        app.api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{pid}"),
            Some(&member),
            Some(json!({"version": 1, "content": c})),
        )
        .await;
        app.post(
            &format!("/api/v1/proposals/{pid}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
        pids.push(pid);
    }
    let mut reviewers = Vec::new();
    for i in 0..5 {
        reviewers.push(
            app.staff(Role::Reviewer, &format!("expert{i}@univ.edu.cn"), None)
                .await,
        );
    }
    close_round(&app, &officer, round).await;
    app.post(
        &format!("/api/v1/rounds/{round}/screening"),
        Some(&officer),
        json!({"ids": pids, "decision": "eligible"}),
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
    let (_, v) = app
        .get(&format!("/api/v1/rounds/{round}/ranking"), Some(&officer))
        .await;
    assert_eq!(v["awaiting_reviews"], 3);

    // Proposal 0: all 90. Proposal 1: 95, 70, 70, 70, 45 (divergent). Proposal 2: around 50.
    let plan: [[i32; 5]; 3] = [
        [90, 90, 90, 90, 90],
        [95, 70, 70, 70, 45],
        [50, 55, 50, 55, 50],
    ];
    for (k, token) in reviewers.iter().enumerate() {
        let (_, list) = app.get("/api/v1/reviews", Some(token)).await;
        for item in list.as_array().unwrap() {
            let rid = item["review_id"].as_i64().unwrap();
            let p = pids
                .iter()
                .position(|p| *p == item["proposal_id"].as_i64().unwrap())
                .unwrap();
            app.post(
                &format!("/api/v1/reviews/{rid}/accept"),
                Some(token),
                json!({}),
            )
            .await;
            let criteria: Vec<_> = scores_for(plan[p][k])
                .iter()
                .map(|s| json!({"score": s, "comment": ""}))
                .collect();
            let content =
                json!({"criteria": criteria, "overall_comment": "意见", "recommendation": "fund"});
            let (s, v) = app
                .api(
                    reqwest::Method::PUT,
                    &format!("/api/v1/reviews/{rid}"),
                    Some(token),
                    Some(json!({"version": 2, "content": content})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, v) = app
                .post(
                    &format!("/api/v1/reviews/{rid}/submit"),
                    Some(token),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    let (s, v) = app
        .get(&format!("/api/v1/rounds/{round}/ranking"), Some(&officer))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = v["rows"].as_array().unwrap();
    let order: Vec<i64> = rows
        .iter()
        .map(|r| r["proposal_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, pids, "90 > 70 > 51.7");
    assert_eq!(
        (
            rows[0]["final_tenths"].as_i64(),
            rows[1]["final_tenths"].as_i64(),
            rows[2]["final_tenths"].as_i64()
        ),
        (Some(900), Some(700), Some(517))
    );
    assert_eq!(rows[1]["mean_tenths"], 700);
    assert_eq!(
        (
            rows[1]["divergent"].as_bool(),
            rows[0]["divergent"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let lines: Vec<&str> = rows.iter().map(|r| r["line"].as_str().unwrap()).collect();
    assert_eq!(lines, vec!["funded", "funded", "not_fundable"]);
    assert_eq!(
        (v["used_fen"].as_i64(), v["remaining_fen"].as_i64()),
        (Some(10_000_000), Some(90_000_000))
    );
    assert_eq!(v["reviewers"].as_array().unwrap().len(), 5);
    // The page shows the same.
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (s, page) = web
        .get_text(&app, &format!("/rounds/{round}/decision"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("分歧较大") && page.contains("51.7") && page.contains("¥900,000.00"),
        "{page}"
    );
    // Exports: the PDF table carries the Chinese titles; the xlsx the same rows.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{round}/ranking.pdf")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = crate::helpers::pdf_text(&r.bytes().await.unwrap());
    assert!(
        text.contains("项目0")
            && text.contains("项目2")
            && text.contains("拟资助")
            && text.contains("51.7"),
        "{text}"
    );
    let r = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{round}/ranking.xlsx")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let strings = crate::helpers::xlsx_strings(&r.bytes().await.unwrap());
    assert!(
        strings.contains("项目2") && strings.contains("51.7"),
        "{strings}"
    );
}
dual!(the_ranking_aggregates_flags_divergence_and_draws_the_line);

/// Moves the clock to `minutes` before the round's review deadline (after it when negative).
async fn review_due_in(app: &TestApp, round: i64, minutes: i64) {
    let due = round_row(app, round).await.review_due.unwrap();
    app.clock.set(due - chrono::Duration::minutes(minutes));
}

async fn count_mail(app: &TestApp, kind: MailKind) -> usize {
    app.emails_to("expert0@univ.edu.cn")
        .await
        .into_iter()
        .filter(|m| m.kind == kind)
        .count()
}

async fn reviewers_are_reminded_once_before_and_once_after_the_deadline(b: Backend) {
    let app = spawn(b).await;
    let InReview { round, .. } = one_proposal_in_review(&app, 700, 5).await;
    review_due_in(&app, round, 24 * 60).await;
    let remind = || {
        let s = app.settings.clone();
        app.count_transactions(move |c| {
            yichuang::ops::reviews::send_review_reminders(c, &s).unwrap()
        })
    };
    // One write transaction per reminder queued…
    assert_eq!(remind().await, (5, 5), "(queued, transactions)");
    assert_eq!(count_mail(&app, MailKind::ReviewDueSoon).await, 1);
    // …and none when the check finds that everything due went out already.
    assert_eq!(remind().await, (0, 0), "(queued, transactions)");
    assert_eq!(app.run_worker_step().await.review_reminders, 0);
    assert_eq!(count_mail(&app, MailKind::ReviewDueSoon).await, 1);
    review_due_in(&app, round, -1).await;
    assert_eq!(app.run_worker_step().await.review_reminders, 5);
    assert_eq!(app.run_worker_step().await.review_reminders, 0);
    assert_eq!(count_mail(&app, MailKind::ReviewOverdue).await, 1);
    assert_eq!(count_mail(&app, MailKind::ReviewDueSoon).await, 1);
}
dual!(reviewers_are_reminded_once_before_and_once_after_the_deadline);

async fn reviews_saved_before_the_score_list_get_theirs_from_their_content(b: Backend) {
    use diesel::prelude::*;
    use yichuang::db::schema::reviews;
    let app = spawn(b).await;
    crate::award::ranked_round(&app, 12_000_000, &[90, 80, 70, 50], 3).await;
    let lists = || {
        app.db(|c| {
            reviews::table
                .order(reviews::id)
                .select((reviews::id, reviews::scores_json, reviews::score_list))
                .load::<(i64, String, String)>(c)
                .unwrap()
        })
    };
    let saved = lists().await;
    assert_eq!(saved.len(), 12, "{saved:?}");
    for (_, json, list) in &saved {
        let criteria: Vec<yichuang::domain::assignment::CriterionScore> =
            serde_json::from_str(json).unwrap();
        assert!(criteria.iter().all(|c| c.score.is_some()), "{json}");
        assert_eq!(list, &yichuang::domain::assignment::score_list(&criteria));
    }
    // As reviews saved before the column existed read after the migration that adds it.
    let unsaved = app
        .db(move |c| {
            diesel::update(reviews::table)
                .set(reviews::score_list.eq(""))
                .execute(c)
                .unwrap();
            yichuang::db::reviews::fill_score_lists(c).unwrap()
        })
        .await;
    assert_eq!(unsaved, 12);
    assert_eq!(lists().await, saved);
    let again = app
        .db(|c| yichuang::db::reviews::fill_score_lists(c).unwrap())
        .await;
    assert_eq!(again, 0);
}
dual!(reviews_saved_before_the_score_list_get_theirs_from_their_content);
