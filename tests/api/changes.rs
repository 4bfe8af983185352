//! Change requests (项目变更): filing, the officer's decision, withdrawal, the round's change
//! settings, permissions, plan versions and the supplement agreement (补充协议).

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;
use yichuang::domain::change::ChangeKind;
use yichuang::domain::outbox::MailKind;
use yichuang::domain::round::RoundRules;

use crate::dual;
use crate::execution::{awarded, detail, PNG};
use crate::helpers::{has_error, location, pdf_text, spawn, Backend, TestApp, PASSWORD};

fn day(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

async fn changes(app: &TestApp, token: &str, project: i64) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/projects/{project}/changes"), Some(token))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn file(app: &TestApp, token: &str, project: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/projects/{project}/changes"),
        Some(token),
        body,
    )
    .await
}

async fn decide(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/changes/{id}/decision"), Some(token), body)
        .await
}

async fn pdf(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

async fn task_count(app: &TestApp, token: &str, kind: &str) -> i64 {
    let (s, q) = app.get("/api/v1/me/tasks", Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    q["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .map_or(0, |c| c["count"].as_i64().unwrap())
}

async fn mails(app: &TestApp, email: &str, kind: MailKind) -> usize {
    app.emails_to(email)
        .await
        .iter()
        .filter(|m| m.kind == kind)
        .count()
}

/// The plan in force, as the changes API shows it.
fn plan(v: &Value) -> Value {
    v["plan_versions"].as_array().unwrap().last().unwrap()["content"].clone()
}

/// The plan's budget with `moved` fen taken from the personnel grant line to the first
/// activity grant line, in yuan.
fn moved_budget(plan: &Value, moved: i64) -> Vec<String> {
    let lines = plan["budget"].as_array().unwrap();
    let find = |cat: &str| {
        lines
            .iter()
            .position(|l| l["category"] == cat && l["source"] == "grant")
            .unwrap()
    };
    let (from, to) = (find("personnel"), find("activity"));
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut a = l["amount"].as_i64().unwrap();
            if i == from {
                a -= moved;
            } else if i == to {
                a += moved;
            }
            format!("{}.{:02}", a / 100, a % 100)
        })
        .collect()
}

async fn an_extension_is_approved_as_a_new_plan_version_with_its_supplement(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p, member) = (a.projects[0], a.members[0].clone());
    let before = detail(&app, &member, p).await;
    let ends = day(&before["project"]["ends_on"]);
    let new_end = ends + Duration::days(45);

    // A reason is required, and the date must be a date.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": " ", "end_date": "2027-13-01"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "reason") && has_error(&v, "end_date"), "{v}");

    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": "场地改造，活动顺延", "end_date": new_end.to_string(),
               "milestones": [{"index": 1, "due": (new_end - Duration::days(5)).to_string()}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "open");
    let id = v["id"].as_i64().unwrap();
    // Attachments go with the request.
    let (s, v) = app
        .upload(
            &format!("/api/v1/changes/{id}/files"),
            &member,
            "证明.png",
            PNG,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // One open request per kind.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": "再延", "end_date": (new_end + Duration::days(1)).to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "kind"), "{v}");

    // The officers are told, and it waits in their work queue.
    assert_eq!(
        mails(&app, "officer@gusu.gov.cn", MailKind::ChangeFiled).await,
        1
    );
    assert_eq!(task_count(&app, &a.officer, "change_decide").await, 1);

    // Nobody else decides it: the NGO itself, another NGO, another bureau's officer, a
    // reviewer; nor may the other NGO, the other officer or the reviewer read it.
    let other_officer = app
        .staff(
            Role::Officer,
            "officer@wuzhong.gov.cn",
            Some("吴中区民政局"),
        )
        .await;
    let reviewer = app.staff(Role::Reviewer, "expert@review.org", None).await;
    let approve = json!({"outcome": "approve", "reason": ""});
    for t in [&member, &a.members[1], &other_officer, &reviewer] {
        let (s, v) = decide(&app, t, id, approve.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    for t in [&a.members[1], &other_officer, &reviewer] {
        let (s, _) = app
            .get(&format!("/api/v1/projects/{p}/changes"), Some(t))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.get(&format!("/api/v1/changes/{id}"), Some(t)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .post(
                &format!("/api/v1/changes/{id}/withdraw"),
                Some(t),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    assert_eq!(task_count(&app, &other_officer, "change_decide").await, 0);

    let (s, v) = decide(&app, &a.officer, id, approve.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["plan_version"], 2);
    assert_eq!(v["supplement_no"], 1);
    // Decided once.
    let (s, _) = decide(&app, &a.officer, id, approve).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(task_count(&app, &a.officer, "change_decide").await, 0);
    assert_eq!(
        mails(&app, "ngo0@example.org", MailKind::ChangeDecided).await,
        1
    );

    // The project follows the new plan; both versions stay readable.
    let after = detail(&app, &member, p).await;
    assert_eq!(day(&after["project"]["ends_on"]), new_end);
    let last = after["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["index"] == 1)
        .unwrap()
        .clone();
    assert_eq!(day(&last["due"]), new_end - Duration::days(5), "{last}");
    let c = changes(&app, &member, p).await;
    assert_eq!(c["plan_version"], 2);
    let versions = c["plan_versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{c}");
    assert_eq!(day(&versions[0]["content"]["end_date"]), ends);
    assert_eq!(day(&versions[1]["content"]["end_date"]), new_end);
    assert_eq!(versions[1]["change_id"], id);
    let (_, one) = app
        .get(&format!("/api/v1/changes/{id}"), Some(&member))
        .await;
    assert_eq!(one["files"].as_array().unwrap().len(), 1, "{one}");

    // The supplement agreement lists the change; the NGO and the officer download it.
    for t in [&member, &a.officer] {
        let (s, bytes) = pdf(&app, t, &format!("/api/v1/changes/{id}/supplement.pdf")).await;
        assert_eq!(s, StatusCode::OK);
        let text = pdf_text(&bytes);
        for want in [
            "补充协议",
            "项目结束日期",
            "完成日期",
            &ends.to_string(),
            &new_end.to_string(),
            "场地改造，活动顺延",
            "第 2 版",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
    }
    let (s, _) = pdf(
        &app,
        &a.members[1],
        &format!("/api/v1/changes/{id}/supplement.pdf"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let actions = app.audit_actions("project", p).await;
    for want in ["change.filed", "change.attachment", "change.approved"] {
        assert!(actions.contains(&want.to_string()), "{want}: {actions:?}");
    }
}
dual!(an_extension_is_approved_as_a_new_plan_version_with_its_supplement);

async fn a_refused_change_changes_nothing_and_open_ones_can_be_withdrawn(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p, member) = (a.projects[0], a.members[0].clone());
    let c = changes(&app, &member, p).await;
    assert_eq!(c["plan_version"], 1);
    let plan0 = plan(&c);
    let before = detail(&app, &member, p).await;

    // Half of the personnel line (15,000) to activities: beyond what moves without approval.
    let budget = moved_budget(&plan0, 750_000);
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "budget", "reason": "社工补贴结余", "budget": budget}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "open");
    let id = v["id"].as_i64().unwrap();

    // Refusing needs a reason.
    let (s, v) = decide(&app, &a.officer, id, json!({"outcome": "refuse"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "decision_reason"), "{v}");
    let (s, v) = decide(
        &app,
        &a.officer,
        id,
        json!({"outcome": "refuse", "reason": "人员经费调减过大"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "refused");
    assert!(v["plan_version"].is_null() && v["supplement_no"].is_null());

    // Nothing changed: the same plan, one version, no supplement.
    let c = changes(&app, &member, p).await;
    assert_eq!(c["plan_version"], 1);
    assert_eq!(plan(&c), plan0);
    assert_eq!(c["plan_versions"].as_array().unwrap().len(), 1);
    let after = detail(&app, &member, p).await;
    assert_eq!(after["project"], before["project"]);
    assert_eq!(after["spending"], before["spending"]);
    let (s, _) = pdf(
        &app,
        &member,
        &format!("/api/v1/changes/{id}/supplement.pdf"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A content change withdrawn by the NGO: closed, and only once.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "content", "reason": "调整活动", "activities": "每月两次入户探访，增设读书会。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let content = v["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/changes/{content}/withdraw"),
            Some(&a.officer),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post(
            &format!("/api/v1/changes/{content}/withdraw"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "withdrawn");
    let (s, _) = app
        .post(
            &format!("/api/v1/changes/{content}/withdraw"),
            Some(&member),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        mails(&app, "officer@gusu.gov.cn", MailKind::ChangeWithdrawn).await,
        1
    );

    // A new leader approved in part: the officer's edited phone applies.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "leader", "reason": "原负责人离职", "project_lead": "王五", "project_lead_phone": "13900000001"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let leader = v["id"].as_i64().unwrap();
    let (s, v) = decide(
        &app,
        &a.officer,
        leader,
        json!({"outcome": "partial", "reason": "以机构座机为准", "project_lead": "王五", "project_lead_phone": "bad"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "project_lead_phone"), "{v}");
    let (s, v) = decide(
        &app,
        &a.officer,
        leader,
        json!({"outcome": "partial", "reason": "以机构座机为准", "project_lead": "王五", "project_lead_phone": "0512-65000000"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "partial");
    assert_eq!(v["applied"]["project_lead_phone"], "0512-65000000");
    assert_eq!(v["proposed"]["project_lead_phone"], "13900000001");
    let c = changes(&app, &member, p).await;
    assert_eq!(plan(&c)["project_lead_phone"], "0512-65000000");
    assert_eq!(plan(&c)["budget"], plan0["budget"]);
    let actions = app.audit_actions("project", p).await;
    for want in [
        "change.refused",
        "change.withdrawn",
        "change.partly_approved",
    ] {
        assert!(actions.contains(&want.to_string()), "{want}: {actions:?}");
    }
}
dual!(a_refused_change_changes_nothing_and_open_ones_can_be_withdrawn);

async fn the_round_decides_what_needs_approval_and_limits_extensions(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p, member) = (a.projects[0], a.members[0].clone());
    let round = a.round;
    app.db(move |c| {
        use diesel::RunQueryDsl;
        let mut rules: RoundRules = yichuang::db::rounds::find(c, round).unwrap().rules();
        rules.changes.approval = vec![ChangeKind::Extension, ChangeKind::Budget];
        rules.changes.max_extensions = 1;
        rules.changes.max_extension_days = 30;
        diesel::sql_query("UPDATE rounds SET rules_json = $1 WHERE id = $2")
            .bind::<diesel::sql_types::Text, _>(serde_json::to_string(&rules).unwrap())
            .bind::<diesel::sql_types::BigInt, _>(round)
            .execute(c)
            .unwrap();
    })
    .await;
    let c = changes(&app, &member, p).await;
    assert_eq!(c["rules"]["max_extensions"], 1);
    assert_eq!(
        c["rules"]["free_move_bp"], 1000,
        "the default: today's +10%"
    );
    let plan0 = plan(&c);

    // A leader change needs no approval here: it applies when filed, with its supplement.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "leader", "reason": "原负责人离职", "project_lead": "赵六", "project_lead_phone": "13900000002"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "applied");
    assert_eq!(v["supplement_no"], 1);
    assert_eq!(
        mails(&app, "officer@gusu.gov.cn", MailKind::ChangeApplied).await,
        1
    );
    assert_eq!(task_count(&app, &a.officer, "change_decide").await, 0);

    // A budget move within 10% of each line applies at once; beyond it waits.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "budget", "reason": "小幅调整", "budget": moved_budget(&plan0, 100_000)}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "applied", "{v}");
    let c = changes(&app, &member, p).await;
    assert_eq!(c["plan_version"], 3);
    // A budget that breaks the round's caps (personnel above 30% of the grant) is refused.
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "budget", "reason": "调入人员费", "budget": moved_budget(&plan(&c), -600_000)}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "budget"), "{v}");

    // Extensions: at most 30 days in total, and only one.
    let ends = day(&plan(&c)["end_date"]);
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": "顺延", "end_date": (ends + Duration::days(31)).to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "end_date"), "{v}");
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": "顺延", "end_date": (ends + Duration::days(20)).to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "open");
    let (s, v) = decide(
        &app,
        &a.officer,
        v["id"].as_i64().unwrap(),
        json!({"outcome": "approve"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = file(
        &app,
        &member,
        p,
        json!({"kind": "extension", "reason": "再顺延", "end_date": (ends + Duration::days(25)).to_string()}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "kind"), "{v}");
    assert_eq!(
        changes(&app, &member, p).await["plan_versions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
dual!(the_round_decides_what_needs_approval_and_limits_extensions);

async fn the_pages_file_and_decide_a_change_with_field_errors(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let p = a.projects[0];
    let ngo = app.browser();
    ngo.login(&app, "ngo0@example.org", PASSWORD).await;
    let (s, html) = ngo.get_text(&app, &format!("/projects/{p}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("/projects/{p}/changes")), "link");
    let (s, html) = ngo.get_text(&app, &format!("/projects/{p}/changes")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"file-extension\""), "forms");

    // No reason: the form comes back with the error beside it and what was typed.
    let r = ngo
        .post_form(
            &app,
            &format!("/projects/{p}/changes"),
            &[
                ("kind", "content"),
                ("activities", "增设读书会"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("增设读书会") && html.contains("class=\"error\""),
        "{html}"
    );

    let r = ngo
        .post_form(
            &app,
            &format!("/projects/{p}/changes"),
            &[
                ("kind", "content"),
                ("activities", "增设读书会"),
                ("reason", "居民需求"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with("/changes/"), "{to}");

    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, html) = officer.get_text(&app, &to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"decide\"") && html.contains("增设读书会"));
    let r = officer
        .post_form(&app, &format!("{to}/decision"), &[("outcome", "refuse")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = officer
        .post_form(
            &app,
            &format!("{to}/decision"),
            &[("outcome", "approve"), ("activities", "增设读书会")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = ngo.get_text(&app, &to).await;
    assert!(html.contains("id=\"supplement\""), "supplement link");
    let (_, html) = ngo.get_text(&app, &format!("/projects/{p}/changes")).await;
    assert!(html.contains("id=\"version-2\""), "versions");

    // Both pages in English, as each side sees them, show no locale key in place of text.
    let (keys, prefixes) = crate::languages::locale_keys();
    for web in [&ngo, &officer] {
        web.get(&app, "/lang/en").await;
        for path in [
            format!("/projects/{p}/changes"),
            to.clone(),
            format!("/projects/{p}"),
        ] {
            let (s, html) = web.get_text(&app, &path).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert!(html.contains("lang=\"en\""), "{path}");
            let raw =
                crate::languages::raw_keys(&crate::languages::readable(&html), &keys, &prefixes);
            assert!(raw.is_empty(), "{path}: {raw:?}");
        }
    }
}
dual!(the_pages_file_and_decide_a_change_with_field_errors);
