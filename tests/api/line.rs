//! The funding-line rule (strict rank order, skip-ahead, partial funding of the marginal
//! proposal) as a round setting, stated wherever the line is shown and followed by the
//! waitlist refill; and the supplementary notice (补充公示) of proposals brought onto the list
//! after an upheld objection, which holds the award until it ends.

use chrono::{Duration, NaiveDateTime};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::outbox::MailKind;

use crate::award::{end_notice, objection, ranked_round_ruled, start_notice, Ranked};
use crate::dual;
use crate::helpers::{has_error, Backend, TestApp};

/// `(proposal, line, amount_fen, partial_of_fen)` of the ranking API, in rank order.
fn line_of(v: &Value) -> Vec<(i64, String, i64, Option<i64>)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["proposal_id"].as_i64().unwrap(),
                r["line"].as_str().unwrap().to_string(),
                r["amount_fen"].as_i64().unwrap(),
                r["partial_of_fen"].as_i64(),
            )
        })
        .collect()
}

/// `(proposal, state, amount_fen, partial_of_fen)` of a notice list.
fn listed(list: &Value) -> Vec<(i64, String, i64, Option<i64>)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["proposal_id"].as_i64().unwrap(),
                a["state"].as_str().unwrap().to_string(),
                a["amount_fen"].as_i64().unwrap(),
                a["partial_of_fen"].as_i64(),
            )
        })
        .collect()
}

/// A page as anyone reads it.
async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get_ok(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let (s, v) = app.get(path, token).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

async fn post_ok(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Value {
    let (s, v) = app.post(path, token, body).await;
    assert!(s.is_success(), "{path}: {s} {v}");
    v
}

/// Files an objection against `pid` from `email`, confirms it and returns its id.
async fn confirmed_objection(app: &TestApp, round: i64, pid: i64, email: &str) -> i64 {
    let mut o = objection(pid);
    o["email"] = json!(email);
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{round}/objections"), None, o)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.confirm_objection(email).await
}

async fn answer(app: &TestApp, r: &Ranked, oid: i64, upheld: bool) {
    post_ok(
        app,
        &format!("/api/v1/objections/{oid}/answer"),
        Some(&r.officer),
        json!({"upheld": upheld, "response": "经核查，答复如下：情况属实与否已查明。"}),
    )
    .await;
}

async fn finalise(app: &TestApp, r: &Ranked) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/rounds/{}/finalise", r.round),
        Some(&r.officer),
        json!({}),
    )
    .await
}

const WAN: i64 = 1_000_000;

/// Budget 12万; four 5万 proposals scored 90, 80, 70, 65, the last reduced (核减) to 1.5万.
/// The first two fit (10万); the third does not (15万). Each rule draws its line, states it
/// on the round, the call, the decision page, the ranking API and export and the notice;
/// after an upheld objection against the first, the waitlist comes in by the same rule; with
/// no supplementary notice the award follows the main notice as before.
async fn a_round_draws_and_refills_its_line_by_its_rule(b: Backend, rule: &str) {
    let app = crate::helpers::spawn(b).await;
    let r = ranked_round_ruled(
        &app,
        12 * WAN,
        &[90, 80, 70, 65],
        1,
        json!({"funding_rule": rule}),
        |_| {},
    )
    .await;
    let (p0, p1, p2, p3) = (r.pids[0], r.pids[1], r.pids[2], r.pids[3]);
    let round = get_ok(
        &app,
        &format!("/api/v1/rounds/{}", r.round),
        Some(&r.officer),
    )
    .await;
    assert_eq!(round["rules"]["funding_rule"], rule, "{round}");
    assert_eq!(round["rules"]["supplementary_notice_days"], 0, "{round}");
    post_ok(
        &app,
        &format!("/api/v1/rounds/{}/close-review", r.round),
        Some(&r.officer),
        json!({}),
    )
    .await;
    let (s, v) = app
        .api(
            reqwest::Method::PUT,
            &format!("/api/v1/proposals/{p3}/decision"),
            Some(&r.officer),
            Some(json!({"reduced": "1.5万", "reduce_reason": "压缩活动规模"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let v = get_ok(
        &app,
        &format!("/api/v1/rounds/{}/ranking", r.round),
        Some(&r.officer),
    )
    .await;
    assert_eq!(v["funding_rule"], rule);
    let five = 5 * WAN;
    let f = |s: &str| s.to_string();
    let (line, used, label) = match rule {
        "strict" => (
            vec![
                (p0, f("funded"), five, None),
                (p1, f("funded"), five, None),
                (p2, f("waitlisted"), five, None),
                (p3, f("waitlisted"), 1_500_000, None),
            ],
            10 * WAN,
            "严格按排名",
        ),
        "skip_ahead" => (
            vec![
                (p0, f("funded"), five, None),
                (p1, f("funded"), five, None),
                (p2, f("waitlisted"), five, None),
                (p3, f("funded"), 1_500_000, None),
            ],
            11_500_000,
            "顺延资助",
        ),
        _ => (
            vec![
                (p0, f("funded"), five, None),
                (p1, f("funded"), five, None),
                (p2, f("funded"), 2 * WAN, Some(five)),
                (p3, f("waitlisted"), 1_500_000, None),
            ],
            12 * WAN,
            "末位部分资助",
        ),
    };
    assert_eq!(line_of(&v), line, "{v}");
    assert_eq!(v["used_fen"], used);

    // Stated on the call, the decision page and the ranking export.
    let (s, call) = page(&app, &format!("/calls/{}", r.round)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        call.contains("资助线规则") && call.contains(label),
        "{call}"
    );
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", crate::helpers::PASSWORD)
        .await;
    let (_, decision) = web
        .get_text(&app, &format!("/rounds/{}/decision", r.round))
        .await;
    assert!(
        decision.contains("id=\"funding-rule\"") && decision.contains(label),
        "{decision}"
    );
    if rule == "partial" {
        assert!(
            decision.contains("returned partial"),
            "the partial grant is marked: {decision}"
        );
    }
    let xlsx = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/ranking.xlsx", r.round)))
        .bearer_auth(&r.officer)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let strings = crate::helpers::xlsx_strings(&xlsx);
    assert!(
        strings.contains("资助线规则") && strings.contains(label),
        "{strings}"
    );
    let pdf = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/ranking.pdf", r.round)))
        .bearer_auth(&r.officer)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = crate::helpers::pdf_text(&pdf);
    assert!(
        text.contains("资助线规则") && text.contains(label),
        "{text}"
    );

    // The notice publishes the line as drawn, and says by which rule.
    post_ok(
        &app,
        &format!("/api/v1/rounds/{}/notice", r.round),
        Some(&r.officer),
        json!({}),
    )
    .await;
    let n = get_ok(&app, &format!("/api/v1/rounds/{}/notice", r.round), None).await;
    assert_eq!(n["funding_rule"], rule);
    let funded: Vec<_> = line
        .iter()
        .filter(|l| l.1 == "funded")
        .map(|l| (l.0, f("funded"), l.2, l.3))
        .collect();
    assert_eq!(listed(&n["list"]), funded, "{n}");
    let (_, public) = page(&app, &format!("/notices/{}", r.round)).await;
    assert!(public.contains(label), "{public}");
    assert_eq!(
        public.contains("returned partial"),
        rule == "partial",
        "the partial grant is marked on the notice: {public}"
    );

    // An upheld objection against the first: the waitlist comes in by the rule.
    let oid = confirmed_objection(&app, r.round, p0, "wangfang@example.com").await;
    answer(&app, &r, oid, true).await;
    let n = get_ok(
        &app,
        &format!("/api/v1/rounds/{}/notice", r.round),
        Some(&r.officer),
    )
    .await;
    let after = match rule {
        // 5万 left after p1: p2 (5万) and then p3 (1.5万) fit in order.
        "strict" => vec![
            (p0, f("removed"), five, None),
            (p1, f("funded"), five, None),
            (p2, f("funded"), five, None),
            (p3, f("funded"), 1_500_000, None),
        ],
        // p1 and p3 stay; p2 fits in the 5.5万 left.
        "skip_ahead" => vec![
            (p0, f("removed"), five, None),
            (p1, f("funded"), five, None),
            (p2, f("funded"), five, None),
            (p3, f("funded"), 1_500_000, None),
        ],
        // p2's partial grant grows to its own 5万 first, then p3 comes in.
        _ => vec![
            (p0, f("removed"), five, None),
            (p1, f("funded"), five, None),
            (p2, f("funded"), five, None),
            (p3, f("funded"), 1_500_000, None),
        ],
    };
    assert_eq!(listed(&n["list"]), after, "{n}");
    assert_eq!(n["used_fen"], 11_500_000);
    assert!(n["supplementary"].as_array().unwrap().is_empty(), "{n}");
    let p2_actions = app.audit_actions("proposal", p2).await;
    assert_eq!(
        p2_actions.contains(&"award.topped_up".to_string()),
        rule == "partial",
        "{p2_actions:?}"
    );
    if rule == "partial" {
        let mail = app.last_email_to("ngo2@example.org").await;
        assert_eq!(mail.kind, MailKind::AwardIncreased);
        assert!(mail.body_text.contains("50,000"), "{}", mail.body_text);
    }
    // No supplementary notice: the newcomers get today's email, and the award follows the
    // main notice alone.
    let newcomer = if rule == "partial" { "ngo3" } else { "ngo2" };
    assert_eq!(
        app.last_email_to(&format!("{newcomer}@example.org"))
            .await
            .kind,
        MailKind::AwardSubstituted
    );
    end_notice(&app, r.round).await;
    let (s, v) = finalise(&app, &r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["projects"].as_array().unwrap().len(), 3, "{v}");
}

async fn strict_rank_order(b: Backend) {
    a_round_draws_and_refills_its_line_by_its_rule(b, "strict").await
}
dual!(strict_rank_order);

async fn skip_ahead(b: Backend) {
    a_round_draws_and_refills_its_line_by_its_rule(b, "skip_ahead").await
}
dual!(skip_ahead);

async fn partial_funding_of_the_marginal_proposal(b: Backend) {
    a_round_draws_and_refills_its_line_by_its_rule(b, "partial").await
}
dual!(partial_funding_of_the_marginal_proposal);

fn at(v: &Value) -> NaiveDateTime {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Budget 10万, three 5万 proposals (90, 80, 70), a supplementary notice of 3 working days.
/// An objection upheld near the end of the notice brings the third in: it goes on a notice
/// of its own, open to objections; the award waits until it ends.
async fn a_supplementary_notice_holds_the_award_until_it_ends(b: Backend) {
    let app = crate::helpers::spawn(b).await;
    let r = ranked_round_ruled(
        &app,
        10 * WAN,
        &[90, 80, 70],
        1,
        json!({"supplementary_notice_days": 3}),
        |_| {},
    )
    .await;
    let (p0, p1, p2) = (r.pids[0], r.pids[1], r.pids[2]);
    // Out of range: a field-level error when the round is to open.
    let mut bad = crate::rounds::round_json(&app, "补充公示太长的批次");
    bad["rules"] = json!({"supplementary_notice_days": 16});
    let (s, v) = app.post("/api/v1/rounds", Some(&r.officer), bad).await;
    assert_eq!(s, StatusCode::CREATED, "a draft may be incomplete: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/publish", v["id"]),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "supplementary_notice_days"), "{v}");
    let (_, call) = page(&app, &format!("/calls/{}", r.round)).await;
    assert!(
        call.contains("补充公示") && call.contains("id=\"supplementary-notice\""),
        "{call}"
    );
    start_notice(&app, &r).await;
    let n = get_ok(&app, &format!("/api/v1/rounds/{}/notice", r.round), None).await;
    let main_ends = at(&n["notice"]["ends_at"]);
    assert_eq!(at(&n["ends_at"]), main_ends);
    assert!(n["supplementary"].as_array().unwrap().is_empty());

    // Filed and confirmed early; upheld an hour before the notice ends.
    let oid = confirmed_objection(&app, r.round, p0, "wangfang@example.com").await;
    let upheld_at = main_ends - Duration::hours(1);
    app.clock.set(upheld_at);
    answer(&app, &r, oid, true).await;
    let mail = app.last_email_to("ngo2@example.org").await;
    assert_eq!(mail.kind, MailKind::SupplementaryNotice);
    assert!(mail.subject.contains("补充公示"), "{}", mail.subject);

    let n = get_ok(&app, &format!("/api/v1/rounds/{}/notice", r.round), None).await;
    let sup = &n["supplementary"];
    assert_eq!(sup.as_array().unwrap().len(), 1, "{n}");
    assert_eq!(sup[0]["working_days"], 3);
    assert_eq!(sup[0]["running"], true);
    let starts = at(&sup[0]["starts_at"]);
    assert!(
        starts >= upheld_at && starts - upheld_at < Duration::minutes(1),
        "it starts when the objection is upheld: {starts}"
    );
    let cal = app.db(|c| yichuang::db::calendar::load(c).unwrap()).await;
    let sup_ends = yichuang::domain::calendar::add_working_days(starts, 3, &cal);
    assert_eq!(
        at(&sup[0]["ends_at"]),
        sup_ends,
        "the main notice's calendar"
    );
    assert!(sup_ends > main_ends);
    assert_eq!(at(&n["ends_at"]), sup_ends);
    assert_eq!(
        listed(&sup[0]["list"]),
        vec![(p2, "funded".to_string(), 5 * WAN, None)]
    );
    // The main notice is still listed as it was, with the removal and the substitute.
    let main: Vec<(i64, String)> = listed(&n["list"])
        .into_iter()
        .map(|(id, st, _, _)| (id, st))
        .collect();
    assert_eq!(
        main,
        vec![
            (p0, "removed".to_string()),
            (p1, "funded".to_string()),
            (p2, "funded".to_string())
        ]
    );

    // The main notice ends; the supplementary one runs on.
    app.clock.set(main_ends + Duration::minutes(1));
    let (s, v) = finalise(&app, &r).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("supplementary_notice_running")),
        "{v}"
    );
    assert!(v.to_string().contains("补充公示"), "a clear message: {v}");
    let (_, public) = page(&app, &format!("/notices/{}", r.round)).await;
    assert!(
        public.contains("补充公示")
            && public.contains("id=\"supplement-1\"")
            && public.contains("id=\"f-proposal_id\""),
        "both notices, and objections open to the newcomer: {public}"
    );
    // Objections now reach the newcomer only.
    let mut o = objection(p1);
    o["email"] = json!("lisi@example.com");
    let (s, v) = app
        .post(&format!("/api/v1/rounds/{}/objections", r.round), None, o)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "proposal_id"), "{v}");
    let second = confirmed_objection(&app, r.round, p2, "lisi@example.com").await;
    answer(&app, &r, second, false).await;
    app.clock.set(sup_ends - Duration::minutes(1));
    let (s, _) = finalise(&app, &r).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Once it ends: objections close and the award is made.
    app.clock.set(sup_ends + Duration::minutes(1));
    let (s, _) = app
        .post(
            &format!("/api/v1/rounds/{}/objections", r.round),
            None,
            objection(p2),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = finalise(&app, &r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["projects"].as_array().unwrap().len(), 2, "{v}");
    let n = get_ok(&app, &format!("/api/v1/rounds/{}/notice", r.round), None).await;
    assert_eq!(n["supplementary"][0]["running"], false);
    assert!(app
        .audit_actions("round", r.round)
        .await
        .contains(&"award.supplementary_notice".to_string()));
}
dual!(a_supplementary_notice_holds_the_award_until_it_ends);
