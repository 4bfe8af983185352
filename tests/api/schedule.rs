//! Scheduled publication of the public notice (定时发布): the officer freezes the list ahead
//! of time; it stays the bureau's until the set time, when the worker opens it, mails the
//! organizations on it and lets objections in; the notice period counts working days from
//! the scheduled start; a schedule can be taken back until it opens.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::outbox::MailKind;

use crate::award::{objection, ranked_round, Ranked};
use crate::dual;
use crate::helpers::{has_error, location, spawn, Backend, TestApp, PASSWORD};

const WAN: i64 = 1_000_000;

/// Moves the clock to Monday 2027-03-01 10:00 Beijing (March has no holiday in the built-in
/// calendar), and answers the Monday-to-Friday date two days on and the following Saturday.
fn next_weekday_and_saturday(app: &TestApp) -> (NaiveDate, NaiveDate) {
    let monday = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    app.clock.set(monday.and_hms_opt(2, 0, 0).unwrap());
    let today = (app.clock.now() + Duration::hours(8)).date();
    let mut d = today + Duration::days(2);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d.succ_opt().unwrap();
    }
    let mut sat = d;
    while sat.weekday() != Weekday::Sat {
        sat = sat.succ_opt().unwrap();
    }
    (d, sat)
}

/// 09:00 Beijing of `d`, in UTC.
fn nine_beijing(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(1, 0, 0).unwrap()
}

/// 24:00 Beijing of the `n`th working day after `d` (Monday to Friday: the test's dates have
/// no holiday), in UTC.
fn end_of_nth_working_day(d: NaiveDate, n: u32) -> NaiveDateTime {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap();
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day.and_hms_opt(16, 0, 0).unwrap()
}

fn utc_text(t: NaiveDateTime) -> String {
    format!("{}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

async fn closed(app: &TestApp) -> Ranked {
    let r = ranked_round(app, 10 * WAN, &[90, 80, 70], 1).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/close-review", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    r
}

async fn schedule(app: &TestApp, r: &Ranked, at: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/rounds/{}/notice", r.round),
        Some(&r.officer),
        json!({ "starts_at": at }),
    )
    .await
}

/// A stranger objects to the first proposal on the list.
async fn object(app: &TestApp, r: &Ranked) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/rounds/{}/objections", r.round),
        None,
        objection(r.pids[0]),
    )
    .await
}

fn on_notice_mails(mails: &[yichuang::db::outbox::OutboxRow]) -> usize {
    mails
        .iter()
        .filter(|m| m.kind == MailKind::ProposalOnNotice)
        .count()
}

async fn a_scheduled_notice_opens_at_its_time_and_counts_its_days_from_there(b: Backend) {
    let app = spawn(b).await;
    let r = closed(&app).await;
    let (monday_or_so, saturday) = next_weekday_and_saturday(&app);
    let path = format!("/api/v1/rounds/{}/notice", r.round);

    // Refused, field by field: in the past, on a Saturday, too far ahead; a malformed body
    // is an error, never "publish now".
    let past = utc_text(app.clock.now() - Duration::minutes(1));
    let (s, v) = schedule(&app, &r, &past).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "starts_at"), "{v}");
    let (s, v) = schedule(&app, &r, &utc_text(nine_beijing(saturday))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains(&saturday.to_string()), "{v}");
    let far = nine_beijing(monday_or_so + Duration::days(70));
    let (s, v) = schedule(&app, &r, &utc_text(far)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = schedule(&app, &r, "next tuesday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .post(
            &path,
            Some(&r.officer),
            json!({"start": "2027-01-04T01:00:00Z"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "an unknown field is refused: {v}"
    );
    let round = app
        .get(&format!("/api/v1/rounds/{}", r.round), Some(&r.officer))
        .await
        .1;
    assert_eq!(round["round"]["status"], "deciding", "{round}");

    // Scheduled for 09:00 Beijing on a working day: 7 working days counted from that day.
    let starts = nine_beijing(monday_or_so);
    let (s, v) = schedule(&app, &r, &utc_text(starts)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["scheduled"], true, "{v}");
    assert_eq!(v["starts_at"], json!(starts), "{v}");
    let ends = end_of_nth_working_day(monday_or_so, 7);
    assert_eq!(v["ends_at"], json!(ends), "{v}");

    // Until then: the bureau sees it, nobody else; no objections, no emails, no award.
    let (s, v) = app.get(&path, Some(&r.officer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["scheduled"], true, "{v}");
    assert_eq!(v["open"], false, "{v}");
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&path, Some(&r.members[0])).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "an applicant does not see it early"
    );
    let public = app
        .client
        .get(app.url(&format!("/notices/{}", r.round)))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let list = app
        .client
        .get(app.url("/notices"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&format!("/notices/{}\"", r.round)), "{list}");
    let (s, v) = object(&app, &r).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rounds/{}/finalise", r.round),
            Some(&r.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(app.run_worker_step().await.notices_opened, 0);
    assert_eq!(on_notice_mails(&app.emails_to("ngo0@example.org").await), 0);

    // At the time set the worker opens it once, and mails the organizations on the list.
    app.clock.set(starts + Duration::seconds(30));
    let step = app.run_worker_step().await;
    assert_eq!(step.notices_opened, 1, "{step:?}");
    assert_eq!(app.run_worker_step().await.notices_opened, 0);
    let mails = app.emails_to("ngo0@example.org").await;
    assert_eq!(on_notice_mails(&mails), 1, "{mails:?}");
    let (s, v) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["open"], true, "{v}");
    assert_eq!(v["scheduled"], false, "{v}");
    assert_eq!(v["ends_at"], json!(ends), "{v}");
    let (s, v) = object(&app, &r).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let (s, v) = app
        .api(reqwest::Method::DELETE, &path, Some(&r.officer), None)
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "an open notice cannot be taken back: {v}"
    );
    let actions = app.audit_actions("round", r.round).await;
    for a in ["round.notice_scheduled", "round.notice_opened"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
dual!(a_scheduled_notice_opens_at_its_time_and_counts_its_days_from_there);

async fn a_scheduled_notice_is_taken_back_and_published_from_the_page(b: Backend) {
    let app = spawn(b).await;
    let r = closed(&app).await;
    let (day, saturday) = next_weekday_and_saturday(&app);
    let path = format!("/api/v1/rounds/{}/notice", r.round);
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let publish = format!("/rounds/{}/decision/publish", r.round);

    // A Saturday is refused beside the field, with what was typed kept.
    let typed = format!("{saturday}T09:00");
    let res = officer
        .post_form(&app, &publish, &[("starts_at", &typed)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"e-starts_at\""), "{page}");
    assert!(page.contains(&typed), "{page}");
    let res = officer
        .post_form(&app, &publish, &[("starts_at", "明天上午")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Scheduled from the page: the officer's notice page says so and offers to take it back.
    let typed = format!("{day}T09:00");
    let res = officer
        .post_form(&app, &publish, &[("starts_at", &typed)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/rounds/{}/notice", r.round));
    let (_, page) = officer.get_text(&app, &location(&res)).await;
    assert!(page.contains("id=\"notice-scheduled\""), "{page}");
    assert!(page.contains(&format!("{day} 09:00")), "{page}");
    let (s, v) = app.get(&path, Some(&r.officer)).await;
    assert_eq!(
        (s, v["notice"]["starts_at"].clone()),
        (StatusCode::OK, json!(nine_beijing(day)))
    );

    // Taken back: the round returns to the decision with nothing left of the list.
    let res = officer
        .post_form(&app, &format!("/rounds/{}/notice/unschedule", r.round), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/rounds/{}/decision", r.round));
    let (s, _) = app.get(&path, Some(&r.officer)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let round = app
        .get(&format!("/api/v1/rounds/{}", r.round), Some(&r.officer))
        .await
        .1;
    assert_eq!(round["round"]["status"], "deciding", "{round}");
    let (s, v) = app
        .api(reqwest::Method::DELETE, &path, Some(&r.officer), None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing scheduled now: {v}");
    assert!(app
        .audit_actions("round", r.round)
        .await
        .iter()
        .any(|a| a == "round.notice_unscheduled"));

    // Published now from the page (the field left empty): public at once, mailed at once.
    let res = officer
        .post_form(&app, &publish, &[("starts_at", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (s, v) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["open"], true, "{v}");
    assert_eq!(on_notice_mails(&app.emails_to("ngo0@example.org").await), 1);
    // Another bureau's officer cannot take anything back.
    let other = app
        .staff(
            yichuang::domain::account::Role::Officer,
            "officer@other.gov.cn",
            Some("其他区民政局"),
        )
        .await;
    let (s, _) = app
        .api(reqwest::Method::DELETE, &path, Some(&other), None)
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
}
dual!(a_scheduled_notice_is_taken_back_and_published_from_the_page);
