//! The work queue of every role (工作台, `GET /api/v1/me/tasks`) and the in-app messages
//! (站内消息, `GET /api/v1/me/messages`).

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;

use crate::dual;
use crate::evaluation::{agency, assign, file, sign};
use crate::execution::awarded;
use crate::helpers::{has_error, spawn, Backend, TestApp, PASSWORD};
use crate::reviews::{one_proposal_in_review, round_row};

async fn tasks(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/me/tasks{query}"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// How many items of `kind` the queue counts.
fn count(q: &Value, kind: &str) -> i64 {
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no count of {kind} in {q}"))["count"]
        .as_i64()
        .unwrap()
}

fn items_of<'a>(q: &'a Value, kind: &str) -> Vec<&'a Value> {
    q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .collect()
}

/// Every count of the queue is zero.
fn all_zero(q: &Value) -> bool {
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["count"] == 0)
        && q["items"].as_array().unwrap().is_empty()
}

fn kinds(q: &Value) -> Vec<String> {
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

fn day(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

async fn reviews_and_the_officer_see_what_waits_in_urgency_order(b: Backend) {
    let app = spawn(b).await;
    let r = one_proposal_in_review(&app, 401, 2).await;
    let other = app
        .staff(
            Role::Officer,
            "officer@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    // An NGO still waiting for verification: the staff's, across bureaus.
    let pending = app.ngo_member("pending@example.org").await;
    app.ngo_org(&pending, 402, None).await;

    // A reviewer: one assignment to accept, due by the round's review deadline, 0 of 1 done.
    let due = round_row(&app, r.round).await.review_due.unwrap();
    let due_on = yichuang::domain::tasks::due_date_of(due);
    let q = tasks(&app, &r.reviewers[0], "").await;
    assert_eq!(kinds(&q), ["review_accept", "review_finish"]);
    assert_eq!(
        (count(&q, "review_accept"), count(&q, "review_finish")),
        (1, 0)
    );
    let item = items_of(&q, "review_accept")[0];
    let rid = item["id"].as_i64().unwrap();
    assert_eq!(item["link"], format!("/reviews/{rid}"));
    assert_eq!(item["title"], "银龄互助·独居老人关爱计划");
    assert_eq!(item["waiting"], "姑苏区民政局");
    assert_eq!(day(&item["due_on"]), due_on);
    assert_eq!(
        item["days_left"].as_i64().unwrap(),
        (due_on - app.clock.today()).num_days()
    );
    assert_eq!(item["progress"], json!({"done": 0, "total": 1}));

    // Accepting moves it to the reviews to finish.
    let (s, v) = app
        .post(
            &format!("/api/v1/reviews/{rid}/accept"),
            Some(&r.reviewers[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let q = tasks(&app, &r.reviewers[0], "").await;
    assert_eq!(
        (count(&q, "review_accept"), count(&q, "review_finish")),
        (0, 1)
    );
    assert_eq!(items_of(&q, "review_finish")[0]["id"], rid);

    // The officer before the deadline: the pending organization, no review overdue, no
    // round ready for the decision (reviews are open).
    let q = tasks(&app, &r.officer, "").await;
    assert_eq!(kinds(&q)[0], "org_verify");
    assert_eq!(count(&q, "org_verify"), 1);
    assert_eq!(count(&q, "review_overdue"), 0);
    assert_eq!(count(&q, "round_decision"), 0);

    // Two days past the deadline both reviews are overdue, ahead of the undated item.
    app.clock.set(due + Duration::days(2));
    let q = tasks(&app, &r.officer, "").await;
    assert_eq!(count(&q, "review_overdue"), 2);
    assert_eq!(q["total"], 3);
    let items = q["items"].as_array().unwrap();
    let order: Vec<&str> = items.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(order, ["review_overdue", "review_overdue", "org_verify"]);
    for t in &items[..2] {
        assert_eq!(t["urgency"], "overdue");
        assert!(t["days_left"].as_i64().unwrap() < 0, "{t}");
        assert_eq!(t["waiting"], "Staff Member");
        assert_eq!(t["link"], format!("/rounds/{}/review", r.round));
    }
    assert_eq!(items[2]["days_left"], Value::Null);
    assert_eq!(items[2]["urgency"], "undated");
    assert_eq!(items[2]["waiting"], "李明");

    // Narrowed to one kind: its items only, every count still there.
    let q = tasks(&app, &r.officer, "?kind=review_overdue").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 2);
    assert_eq!(q["total"], 2);
    assert_eq!(count(&q, "org_verify"), 1);
    for bad in ["nonsense", "review_accept"] {
        let (s, v) = app
            .get(&format!("/api/v1/me/tasks?kind={bad}"), Some(&r.officer))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert!(has_error(&v, "kind"), "{v}");
    }

    // Another bureau's officer sees none of this bureau's items (organizations to verify
    // are every officer's).
    let q = tasks(&app, &other, "").await;
    assert_eq!(count(&q, "org_verify"), 1);
    assert_eq!(count(&q, "review_overdue"), 0);
    assert_eq!(q["total"], 1);
    // The NGO whose proposal is in review has nothing to do; the admin has the pending
    // organization and failed emails.
    assert!(all_zero(&tasks(&app, &r.member, "").await));
    let admin = app.admin_token().await;
    let q = tasks(&app, &admin, "").await;
    assert_eq!(kinds(&q), ["org_verify", "failed_email"]);

    // Both reviews in: the round waits for its decision.
    for (i, token) in r.reviewers.iter().enumerate() {
        let (_, list) = app.get("/api/v1/reviews", Some(token)).await;
        let id = list[0]["review_id"].as_i64().unwrap();
        if i > 0 {
            app.post(
                &format!("/api/v1/reviews/{id}/accept"),
                Some(token),
                json!({}),
            )
            .await;
        }
        app.db(move |c| {
            use diesel::prelude::*;
            use yichuang::db::schema::reviews;
            diesel::update(reviews::table.find(id))
                .set(reviews::status.eq("submitted"))
                .execute(c)
                .unwrap();
        })
        .await;
    }
    let q = tasks(&app, &r.officer, "").await;
    assert_eq!(count(&q, "review_overdue"), 0);
    assert_eq!(count(&q, "round_decision"), 1);
    let t = items_of(&q, "round_decision")[0];
    assert_eq!(t["link"], format!("/rounds/{}/decision", r.round));
    assert_eq!(count(&tasks(&app, &other, "").await, "round_decision"), 0);
    let q = tasks(&app, &r.reviewers[0], "").await;
    assert!(all_zero(&q), "a closed review leaves nothing: {q}");

    // The 工作台 page shows the same counts, each a link to the narrowed list.
    let browser = app.browser();
    browser.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, page) = browser.get_text(&app, "/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(r#"id="count-round_decision" data-count="1" href="/dashboard?kind=round_decision#work-queue""#),
        "{page}"
    );
    assert!(page.contains(r#"id="count-org_verify" data-count="1""#));
    let (s, page) = browser
        .get_text(&app, "/dashboard?kind=round_decision")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"data-kind="round_decision""#));
    assert!(
        !page.contains(r#"data-kind="org_verify""#),
        "narrowed: {page}"
    );
    let (s, _) = browser.get_text(&app, "/dashboard?kind=nonsense").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
dual!(reviews_and_the_officer_see_what_waits_in_urgency_order);

async fn projects_wait_for_the_officer_the_ngo_and_the_evaluator(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let other = app
        .staff(
            Role::Officer,
            "officer@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let (p1, p2) = (a.projects[0], a.projects[1]);

    // Fresh projects: agreements to record, evaluations to assign; the NGO's first report
    // is due on its milestone date.
    let q = tasks(&app, &a.officer, "").await;
    assert_eq!(count(&q, "agreement_record"), 2);
    assert_eq!(count(&q, "evaluation_assign"), 2);
    assert_eq!(count(&q, "tranche_release"), 0);
    let links: Vec<&Value> = items_of(&q, "agreement_record")
        .iter()
        .map(|t| &t["link"])
        .collect();
    assert!(links.contains(&&json!(format!("/projects/{p1}"))), "{q}");
    let q = tasks(&app, &a.members[0], "").await;
    assert_eq!(
        kinds(&q),
        [
            "proposal_draft",
            "proposal_returned",
            "report_due",
            "report_returned",
            "rectification",
            "evaluation_visit",
            "renewal_offer",
            "finding_rectify"
        ]
    );
    assert_eq!(count(&q, "report_due"), 1);
    let due = items_of(&q, "report_due")[0];
    assert_eq!(due["id"], p1);
    assert!(due["days_left"].as_i64().unwrap() > 0, "{due}");
    assert_eq!(due["waiting"], "姑苏区民政局");

    // Signing makes the first tranche releasable (a payment due).
    sign(&app, &a.officer, p1).await;
    let q = tasks(&app, &a.officer, "").await;
    assert_eq!(count(&q, "agreement_record"), 1);
    assert_eq!(count(&q, "tranche_release"), 1);
    assert_eq!(
        items_of(&q, "tranche_release")[0]["link"],
        format!("/projects/{p1}")
    );

    // An evaluation: the evaluator's to file by its date, the NGO's visit, no longer one
    // to assign; once filed, the officer's to accept.
    let (evaluator_id, evaluator) = agency(&app, &a.officer, 901, "王五", "eval@agency.org").await;
    let (s, v) = assign(&app, &a.officer, p1, "midterm", evaluator_id).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let eid = v["id"].as_i64().unwrap();
    let q = tasks(&app, &evaluator, "").await;
    assert_eq!(kinds(&q), ["evaluation_file", "evaluation_returned"]);
    assert_eq!(count(&q, "evaluation_file"), 1);
    let t = items_of(&q, "evaluation_file")[0];
    assert_eq!(t["link"], format!("/evaluations/{eid}"));
    assert_eq!(t["days_left"], 20);
    assert_eq!(day(&t["due_on"]), app.clock.today() + Duration::days(20));
    let q = tasks(&app, &a.members[0], "").await;
    assert_eq!(count(&q, "evaluation_visit"), 1);
    assert_eq!(
        items_of(&q, "evaluation_visit")[0]["waiting"],
        "评估中心901"
    );
    assert_eq!(
        count(&tasks(&app, &a.members[1], "").await, "evaluation_visit"),
        0
    );
    let q = tasks(&app, &a.officer, "").await;
    assert_eq!(count(&q, "evaluation_assign"), 1);
    assert_eq!(
        items_of(&q, "evaluation_assign")[0]["link"],
        format!("/projects/{p2}")
    );
    file(&app, &evaluator, eid, 85).await;
    let q = tasks(&app, &a.officer, "").await;
    assert_eq!(count(&q, "evaluation_accept"), 1);
    assert_eq!(
        items_of(&q, "evaluation_accept")[0]["waiting"],
        "评估中心901"
    );
    assert!(all_zero(&tasks(&app, &evaluator, "").await));
    // Returned: the evaluator's again, and the email states the due date.
    let (s, v) = crate::evaluation::accept(
        &app,
        &a.officer,
        eid,
        json!({"accept": false, "comment": "请补充财务凭证核查"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let q = tasks(&app, &evaluator, "").await;
    assert_eq!(count(&q, "evaluation_returned"), 1);
    assert_eq!(items_of(&q, "evaluation_returned")[0]["days_left"], 20);
    assert_eq!(
        count(&tasks(&app, &a.officer, "").await, "evaluation_accept"),
        0
    );
    let body = app.last_email_to("eval@agency.org").await.body_text;
    let due_on = (app.clock.today() + Duration::days(20)).to_string();
    assert!(body.contains(&due_on), "{body}");
    assert_eq!(
        count(&tasks(&app, &a.members[0], "").await, "evaluation_visit"),
        1
    );
    file(&app, &evaluator, eid, 85).await;

    // Another bureau's officer sees none of it.
    let q = tasks(&app, &other, "").await;
    for k in [
        "agreement_record",
        "tranche_release",
        "evaluation_assign",
        "evaluation_accept",
        "report_review",
    ] {
        assert_eq!(count(&q, k), 0, "{k}");
    }

    // Past the first milestone without a report: overdue, first in the NGO's queue.
    let first_due = day(&due["due_on"]);
    app.clock
        .set(first_due.and_hms_opt(12, 0, 0).unwrap() + Duration::days(3));
    let q = tasks(&app, &a.members[0], "").await;
    let t = &q["items"][0];
    assert_eq!(t["kind"], "report_due");
    assert_eq!(t["urgency"], "overdue");
    assert_eq!(t["days_left"], -3);
}
dual!(projects_wait_for_the_officer_the_ngo_and_the_evaluator);

async fn every_email_is_also_an_in_app_message_with_read_and_unread(b: Backend) {
    let app = spawn(b).await;
    let r = one_proposal_in_review(&app, 403, 2).await;

    // The reviewer's assignment email, with its due date, is in their messages, unread.
    let (s, list) = app.get("/api/v1/me/messages", Some(&r.reviewers[0])).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap().clone();
    let assigned: Vec<&Value> = list
        .iter()
        .filter(|m| m["kind"] == "reviews_assigned")
        .collect();
    assert_eq!(assigned.len(), 1, "{list:?}");
    let m = assigned[0];
    assert_eq!(m["read"], false);
    let due = round_row(&app, r.round).await.review_due.unwrap();
    let due_text = yichuang::domain::calendar::format_deadline(due);
    assert!(
        m["body"].as_str().unwrap().contains(&due_text),
        "the email states its due date {due_text}: {m}"
    );
    let emails = app.emails_to("expert0@univ.edu.cn").await;
    assert_eq!(list.len(), emails.len(), "one message per email");
    let id = m["id"].as_i64().unwrap();

    // Somebody else's message cannot be marked; one's own can, once.
    let (s, _) = app
        .post(
            &format!("/api/v1/me/messages/{id}/read"),
            Some(&r.reviewers[1]),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = app
        .post(
            &format!("/api/v1/me/messages/{id}/read"),
            Some(&r.reviewers[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = app.get("/api/v1/me/messages", Some(&r.reviewers[0])).await;
    let m = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(m["read"], true);
    assert!(m["read_at"].is_string());
    let (_, other) = app.get("/api/v1/me/messages", Some(&r.reviewers[1])).await;
    assert!(other.as_array().unwrap().iter().all(|m| m["id"] != id));
    assert!(other.as_array().unwrap().iter().all(|m| m["read"] == false));

    // The sign-up email's one-time link stays in the mailbox only.
    let (_, mine) = app
        .get("/api/v1/me/messages?per_page=1&page=1", Some(&r.member))
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "paged");
    let (_, mine) = app
        .get("/api/v1/me/messages?per_page=200", Some(&r.member))
        .await;
    let verify = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "verify_email")
        .unwrap();
    assert_eq!(verify["body"], Value::Null);

    // The page: the navigation counts unread messages; marking all read (a CSRF form)
    // clears the count.
    let unread = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["read"] == false)
        .count();
    assert!(unread >= 2, "{mine}");
    let browser = app.browser();
    browser.login(&app, "ngo@example.org", PASSWORD).await;
    let (s, page) = browser.get_text(&app, "/messages").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!(
            r#"id="unread-count" title="未读">{unread}</span>"#
        )),
        "{page}"
    );
    assert!(page.contains(r#"data-read="false""#));
    let res = app
        .client
        .post(app.url("/messages/read-all"))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::SEE_OTHER, "no CSRF, no change");
    let res = browser.post_form(&app, "/messages/read-all", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_text(&app, "/messages").await;
    assert!(!page.contains(r#"id="unread-count""#), "{page}");
    assert!(!page.contains(r#"data-read="false""#));
    let (_, mine) = app
        .get("/api/v1/me/messages?per_page=200", Some(&r.member))
        .await;
    assert!(mine.as_array().unwrap().iter().all(|m| m["read"] == true));

    // Marking every message read through the API.
    let (s, v) = app
        .post("/api/v1/me/messages/read", Some(&r.reviewers[0]), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["marked"].as_i64().unwrap() >= 1, "{v}");
    let (_, list) = app.get("/api/v1/me/messages", Some(&r.reviewers[0])).await;
    assert!(list.as_array().unwrap().iter().all(|m| m["read"] == true));
}
dual!(every_email_is_also_an_in_app_message_with_read_and_unread);

async fn proposals_wait_for_the_ngo_and_for_screening(b: Backend) {
    let app = spawn(b).await;
    let officer = app.officer().await;
    let other = app
        .staff(
            Role::Officer,
            "officer@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let round = crate::rounds::open_round(&app, &officer, "批次").await;
    let (member, _) = crate::proposals::eligible_ngo(&app, &officer, "ngo@example.org", 404).await;

    // A draft is due by the round's deadline.
    let (s, v) = app
        .post(
            &format!("/api/v1/calls/{round}/proposals"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pid = v["id"].as_i64().unwrap();
    let closes = round_row(&app, round).await.closes_at.unwrap();
    let q = tasks(&app, &member, "").await;
    assert_eq!(count(&q, "proposal_draft"), 1);
    let t = items_of(&q, "proposal_draft")[0];
    assert_eq!(t["link"], format!("/proposals/{pid}"));
    assert_eq!(t["waiting"], "姑苏区民政局");
    assert!(!t["title"].as_str().unwrap().is_empty(), "{t}");
    assert_eq!(
        day(&t["due_on"]),
        yichuang::domain::tasks::due_date_of(closes)
    );

    // Submitted: the bureau's to screen, not the other bureau's.
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/proposals/{pid}"),
        Some(&member),
        Some(json!({"version": 1, "content": crate::proposals::content(&app)})),
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{pid}/submit"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(all_zero(&tasks(&app, &member, "").await));
    let q = tasks(&app, &officer, "").await;
    assert_eq!(count(&q, "proposal_screen"), 1);
    let t = items_of(&q, "proposal_screen")[0];
    assert_eq!(t["waiting"], "姑苏区阳光社工服务中心404");
    assert!(t["since"].is_string(), "{t}");
    assert_eq!(t["urgency"], "undated");
    assert_eq!(count(&tasks(&app, &other, "").await, "proposal_screen"), 0);

    // Returned for correction: the NGO's, due by the correction deadline.
    let deadline = app.clock.now() + Duration::hours(8) + Duration::days(5);
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{pid}/screening"),
            Some(&officer),
            json!({"decision": "return", "comment": "请补充配套资金证明",
                   "return_deadline": deadline.format("%Y-%m-%dT%H:%M").to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let q = tasks(&app, &member, "").await;
    assert_eq!(count(&q, "proposal_returned"), 1);
    let t = items_of(&q, "proposal_returned")[0];
    assert_eq!(t["days_left"], 5);
    assert!(t["due_at"].is_string(), "{t}");
    let q = tasks(&app, &officer, "").await;
    assert_eq!(
        (count(&q, "proposal_screen"), count(&q, "return_overdue")),
        (0, 0)
    );

    // Past the deadline the officer sees it overdue, and so does the NGO.
    app.clock.set(app.clock.now() + Duration::days(7));
    let q = tasks(&app, &officer, "").await;
    assert_eq!(count(&q, "return_overdue"), 1);
    let t = items_of(&q, "return_overdue")[0];
    assert_eq!(t["urgency"], "overdue");
    assert_eq!(t["link"], format!("/proposals/{pid}"));
    assert_eq!(count(&tasks(&app, &other, "").await, "return_overdue"), 0);
    let q = tasks(&app, &member, "").await;
    assert_eq!(items_of(&q, "proposal_returned")[0]["urgency"], "overdue");
}
dual!(proposals_wait_for_the_ngo_and_for_screening);
