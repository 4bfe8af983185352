//! Beneficiary rosters (issue 15 §1): typed, sent as JSON or uploaded as xlsx; counted
//! against the report before it is submitted; identity numbers encrypted and shown masked;
//! duplicates inside a project and across the bureau's projects (counts only, never the
//! other organization's lines); who may read them; the retention job.

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yichuang::domain::account::Role;

use crate::dual;
use crate::evaluation::{agency, assign};
use crate::execution::{awarded, put_report, Awarded};
use crate::helpers::{has_error, location, spawn, xlsx_strings, Backend, TestApp, PASSWORD, PDF};

/// Signs project `i`'s agreement and starts its first milestone report; returns the report
/// id and the dates a first service may have (project start, report end).
async fn first_report(app: &TestApp, a: &Awarded, i: usize) -> (i64, NaiveDate, NaiveDate) {
    let (p, member) = (a.projects[i], &a.members[i]);
    app.upload(
        &format!("/api/v1/projects/{p}/agreement"),
        &a.officer,
        "协议.pdf",
        PDF,
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{p}/reports"),
            Some(member),
            json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let r = v["id"].as_i64().unwrap();
    let (_, v) = app.get(&format!("/api/v1/reports/{r}"), Some(member)).await;
    let start: NaiveDate = v["report"]["period_start"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let end: NaiveDate = v["report"]["period_end"].as_str().unwrap().parse().unwrap();
    (r, start, end)
}

/// A report's content with these elderly and disabled figures.
fn figures(elderly: (i64, i64), disabled: (i64, i64)) -> Value {
    json!({
        "activities": 4,
        "beneficiaries": [
            {"group": "elderly", "unique_people": elderly.0, "person_times": elderly.1},
            {"group": "disabled", "unique_people": disabled.0, "person_times": disabled.1}],
        "volunteer_times": 10,
        "volunteer_hours": 20,
        "spending": [{"line": 0, "spent": 100_000, "over_reason": ""}],
        "narrative": "开展活动。",
    })
}

fn line(group: &str, name: &str, number: &str, first: NaiveDate, times: i64) -> Value {
    json!({"group": group, "name": name, "id_number": number, "first_served": first.to_string(), "person_times": times})
}

async fn put_roster(app: &TestApp, token: &str, report: i64, lines: Value) -> (StatusCode, Value) {
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/reports/{report}/roster"),
        Some(token),
        Some(json!({ "lines": lines })),
    )
    .await
}

async fn submit(app: &TestApp, token: &str, report: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/reports/{report}/submit"),
        Some(token),
        json!({}),
    )
    .await
}

async fn roster_counts_must_match_the_report_before_submitting(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let ngo = &a.members[0];
    let (r, start, _) = first_report(&app, &a, 0).await;
    let d1 = start + Duration::days(3);

    // Bad lines are refused row by row, nothing stored.
    let (s, v) = put_roster(
        &app,
        ngo,
        r,
        json!([
            line("elderly", "张三", "13812345678", d1, 3),
            line("elderly", "李四", "1381234567", d1, 2),
            line(
                "火星人",
                "",
                "11010519491231002X",
                start - Duration::days(1),
                0
            ),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    for f in [
        "roster.1.id_number",
        "roster.2.group",
        "roster.2.name",
        "roster.2.first_served",
        "roster.2.person_times",
    ] {
        assert!(has_error(&v, f), "{f}: {v}");
    }
    assert!(!has_error(&v, "roster.0.id_number"), "{v}");
    assert!(v.to_string().contains("第 2 行"), "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(ngo))
        .await;
    assert_eq!(v["lines"].as_array().unwrap().len(), 0);

    // Three lines, two of them the same person (same number): 2 elderly people, 6 times.
    let (s, v) = put_roster(
        &app,
        ngo,
        r,
        json!([
            line("elderly", "张三", "138 1234 5678", d1, 3),
            line("elderly", "张叁", "+86 13812345678", d1, 1),
            line("elderly", "李四", "11010519491231002x", d1, 2),
            line("disabled", "王五", "", d1, 4),
        ]),
    )
    .await;
    assert_eq!((s, v["lines"].as_i64()), (StatusCode::OK, Some(4)), "{v}");
    let (s, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(ngo))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("138****5678") && text.contains("1101**********002X"),
        "{v}"
    );
    assert!(
        !text.contains("13812345678") && !text.contains("11010519491231002X"),
        "{v}"
    );
    assert!(
        !text.contains("v1:"),
        "no sealed value leaves the server: {v}"
    );
    assert_eq!(v["duplicates"][0]["seqs"], json!([1, 2]), "{v}");
    assert_eq!(
        v["tallies"],
        json!([{"group": "elderly", "unique_people": 2, "person_times": 6},
               {"group": "disabled", "unique_people": 1, "person_times": 4}])
    );
    // Stored encrypted: the database holds no clear number.
    let stored = app
        .db(move |c| {
            yichuang::db::rosters::entries(c, r)
                .unwrap()
                .into_iter()
                .map(|e| format!("{:?}|{:?}", e.id_cipher, e.id_hash))
                .collect::<Vec<_>>()
                .join(";")
        })
        .await;
    assert!(
        !stored.contains("13812345678") && stored.contains("v1:"),
        "{stored}"
    );

    // Figures that differ from the roster stop the submission, on the group's row.
    let (s, v) = put_report(&app, ngo, r, figures((3, 6), (1, 4))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = submit(&app, ngo, r).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "beneficiaries.0"), "{v}");
    assert!(!has_error(&v, "beneficiaries.1"), "{v}");
    assert!(
        v.to_string().contains("2 人、6 人次") || v.to_string().contains("2 people"),
        "{v}"
    );

    // A kept line repeats its masked number with its seq; a masked number elsewhere is refused.
    let mut keep = line("elderly", "张三", "138****5678", d1, 3);
    keep["seq"] = json!(1);
    let mut wrong = line("elderly", "李四", "1101**********002X", d1, 2);
    wrong["seq"] = json!(1);
    let (s, v) = put_roster(&app, ngo, r, json!([keep.clone(), wrong])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        has_error(&v, "roster.1.id_number") && !has_error(&v, "roster.0.id_number"),
        "{v}"
    );
    let (s, v) = put_roster(
        &app,
        ngo,
        r,
        json!([
            keep,
            line("elderly", "李四", "11010519491231002X", d1, 3),
            line("disabled", "王五", "", d1, 4)
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put_report(&app, ngo, r, figures((2, 6), (1, 4))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = submit(&app, ngo, r).await;
    assert_eq!(s, StatusCode::OK, "the figures now match the roster: {v}");
    let actions = app.audit_actions("report", r).await;
    assert!(
        actions.iter().any(|x| x == "report.roster_saved"),
        "{actions:?}"
    );

    // A submitted report's roster is frozen.
    let (s, _) = put_roster(&app, ngo, r, json!([])).await;
    assert_eq!(s, StatusCode::CONFLICT);
}
dual!(roster_counts_must_match_the_report_before_submitting);

async fn a_round_may_require_a_roster(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let round = a.round;
    app.db(move |c| {
        use diesel::prelude::*;
        use yichuang::db::schema::rounds;
        let mut rules = yichuang::db::rounds::find(c, round).unwrap().rules();
        rules.roster.required = true;
        diesel::update(rounds::table.find(round))
            .set(rounds::rules_json.eq(serde_json::to_string(&rules).unwrap()))
            .execute(c)
            .unwrap();
    })
    .await;
    let ngo = &a.members[0];
    let (r, _, _) = first_report(&app, &a, 0).await;
    put_report(&app, ngo, r, figures((0, 0), (0, 0))).await;
    let (s, v) = submit(&app, ngo, r).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "roster"), "{v}");
}
dual!(a_round_may_require_a_roster);

async fn raw_get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

fn workbook(rows: &[[&str; 6]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn rosters_are_uploaded_from_the_template(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let ngo = &a.members[0];
    let (r, start, _) = first_report(&app, &a, 0).await;
    let (s, bytes) = raw_get(
        &app,
        &format!("/api/v1/reports/{r}/roster/template.xlsx"),
        ngo,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let header = xlsx_strings(&bytes);
    assert!(
        header.contains("姓名") && header.contains("首次服务日期"),
        "{header}"
    );

    let d = (start + Duration::days(2)).to_string();
    let head = [
        "姓名",
        "受益对象类别",
        "证件类型",
        "手机号码或身份证号码",
        "首次服务日期",
        "服务人次",
    ];
    let bad = workbook(&[
        head,
        ["张三", "老年人", "手机", "13812345678", &d, "2"],
        ["李四", "老年人", "", "1381234567", &d, "1"],
    ]);
    let (s, v) = app
        .upload(
            &format!("/api/v1/reports/{r}/roster/xlsx"),
            ngo,
            "名册.xlsx",
            &bad,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "roster.1.id_number"), "{v}");
    assert!(v.to_string().contains("第 3 行：手机号码格式不正确"), "{v}");

    let good = workbook(&[
        head,
        ["张三", "老年人", "手机", "13812345678", &d, "2"],
        ["李四", "残疾人", "", "", &d, "1"],
    ]);
    let (s, v) = app
        .upload(
            &format!("/api/v1/reports/{r}/roster/xlsx"),
            ngo,
            "名册.xlsx",
            &good,
        )
        .await;
    assert_eq!((s, v["lines"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
    let (s, v) = app
        .upload(
            &format!("/api/v1/reports/{r}/roster/xlsx"),
            ngo,
            "名册.xlsx",
            b"name,group",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(has_error(&v, "file"), "{v}");
    let (_, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(ngo))
        .await;
    assert_eq!(
        v["lines"].as_array().unwrap().len(),
        2,
        "a refused upload changes nothing"
    );
}
dual!(rosters_are_uploaded_from_the_template);

async fn the_roster_page_shows_masked_numbers_and_keeps_what_was_typed(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let ngo = &a.members[0];
    let (r, start, _) = first_report(&app, &a, 0).await;
    let d = (start + Duration::days(1)).to_string();
    let web = app.browser();
    web.login(&app, "ngo0@example.org", PASSWORD).await;
    let path = format!("/reports/{r}/roster");
    let res = web
        .post_form(
            &app,
            &path,
            &[
                ("r_0_name", "张三"),
                ("r_0_group", "elderly"),
                ("r_0_kind", "phone"),
                ("r_0_id", "13812345678"),
                ("r_0_first", &d),
                ("r_0_times", "2"),
                ("r_1_name", "赵六"),
                ("r_1_group", "elderly"),
                ("r_1_id", "1391234"),
                ("r_1_first", &d),
                ("r_1_times", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("赵六") && page.contains("1391234"),
        "what was typed stays"
    );
    assert!(page.contains("第 2 行"), "the row is named");

    let res = web
        .post_form(
            &app,
            &path,
            &[
                ("r_0_name", "张三"),
                ("r_0_group", "elderly"),
                ("r_0_kind", "phone"),
                ("r_0_id", "13812345678"),
                ("r_0_first", &d),
                ("r_0_times", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), path);
    let (s, page) = web.get_text(&app, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("138****5678") && !page.contains("13812345678"),
        "masked"
    );
    assert!(
        page.contains("r_0_keep"),
        "the stored number is kept on resave"
    );

    // Saving the page again as shown keeps the stored number.
    let res = web
        .post_form(
            &app,
            &path,
            &[
                ("r_0_keep", "1"),
                ("r_0_name", "张三"),
                ("r_0_group", "elderly"),
                ("r_0_kind", "phone"),
                ("r_0_id", "138****5678"),
                ("r_0_first", &d),
                ("r_0_times", "3"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(ngo))
        .await;
    assert_eq!(v["lines"][0]["id_masked"], "138****5678", "{v}");
    assert_eq!(v["lines"][0]["person_times"], 3, "{v}");

    // The officer sees the roster, masked, without the form.
    let officer = app.browser();
    officer.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (s, page) = officer.get_text(&app, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("138****5678") && page.contains("张三"));
    assert!(!page.contains("13812345678") && !page.contains("roster-form"));
}
dual!(the_roster_page_shows_masked_numbers_and_keeps_what_was_typed);

async fn duplicates_across_projects_are_counts_for_officers_only(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (p0, p1) = (a.projects[0], a.projects[1]);
    let (r0, s0, _) = first_report(&app, &a, 0).await;
    let (r1, s1, _) = first_report(&app, &a, 1).await;
    let (s, v) = put_roster(
        &app,
        &a.members[0],
        r0,
        json!([
            line("elderly", "张三", "13812345678", s0, 2),
            line("elderly", "李四", "13900000001", s0, 1)
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put_roster(
        &app,
        &a.members[1],
        r1,
        json!([
            line("elderly", "张三丰", "13812345678", s1, 1),
            line("disabled", "欧阳娜", "13700000002", s1, 1)
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    put_report(&app, &a.members[0], r0, figures((2, 3), (0, 0))).await;
    put_report(&app, &a.members[1], r1, figures((1, 1), (1, 1))).await;

    // Drafts are the organizations' own: nothing is shared yet.
    let (s, v) = app
        .get(
            &format!("/api/v1/projects/{p0}/duplicates"),
            Some(&a.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["across"], json!([]), "{v}");

    for (i, r) in [r0, r1].into_iter().enumerate() {
        let (s, v) = submit(&app, &a.members[i], r).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = app
        .get(
            &format!("/api/v1/projects/{p0}/duplicates"),
            Some(&a.officer),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["report_id"], r0, "{v}");
    assert_eq!(v["across"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["across"][0]["other_project_id"], p1, "{v}");
    assert_eq!(v["across"][0]["people"], 1, "{v}");
    let text = v.to_string();
    assert!(
        !text.contains("张三丰") && !text.contains("欧阳娜") && !text.contains("13700000002"),
        "{v}"
    );
    let other_no = v["across"][0]["other_agreement_no"]
        .as_str()
        .unwrap()
        .to_string();

    let (s, v) = app.get("/api/v1/duplicates", Some(&a.officer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "each pair once: {v}");

    // The officer's project page and the bureau's list show it, without the other's lines.
    let web = app.browser();
    web.login(&app, "officer@gusu.gov.cn", PASSWORD).await;
    let (_, page) = web.get_text(&app, &format!("/projects/{p0}")).await;
    assert!(
        page.contains("重复受益") && page.contains(&other_no),
        "the project page flags it"
    );
    assert!(!page.contains("张三丰") && !page.contains("欧阳娜"));
    let (s, page) = web.get_text(&app, "/dashboard/duplicates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&other_no));

    // Organizations never see other projects' people, nor the bureau's list.
    for (path, who) in [
        (format!("/api/v1/projects/{p0}/duplicates"), &a.members[0]),
        ("/api/v1/duplicates".to_string(), &a.members[0]),
        (format!("/api/v1/reports/{r1}/roster"), &a.members[0]),
    ] {
        let (s, v) = app.get(&path, Some(who)).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {s} {v}"
        );
    }
    let ngo_web = app.browser();
    ngo_web.login(&app, "ngo0@example.org", PASSWORD).await;
    let (_, page) = ngo_web.get_text(&app, &format!("/projects/{p0}")).await;
    assert!(
        !page.contains(&other_no),
        "the organization's page has no 重复受益"
    );
}
dual!(duplicates_across_projects_are_counts_for_officers_only);

async fn only_the_organization_and_officers_read_a_roster(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (r, start, _) = first_report(&app, &a, 0).await;
    put_roster(
        &app,
        &a.members[0],
        r,
        json!([line("elderly", "张三", "13812345678", start, 1)]),
    )
    .await;
    let reviewer = app.staff(Role::Reviewer, "rev@example.org", None).await;
    let (eva, eva_token) = agency(&app, &a.officer, 63, "张评", "eva@pinggu.cn").await;
    let (s, v) = assign(&app, &a.officer, a.projects[0], "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let path = format!("/api/v1/reports/{r}/roster");
    for (who, token) in [
        ("other org", &a.members[1]),
        ("reviewer", &reviewer),
        ("evaluator", &eva_token),
    ] {
        let (s, v) = app.get(&path, Some(token)).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s} {v}"
        );
        let (s, v) = put_roster(&app, token, r, json!([])).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s} {v}"
        );
        let (s, _) = raw_get(&app, &format!("{path}/template.xlsx"), token).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s}"
        );
    }
    let (s, _) = app.get(&path, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The officer reads but does not write.
    let (s, _) = app.get(&path, Some(&a.officer)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = put_roster(&app, &a.officer, r, json!([])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/duplicates", Some(&eva_token)).await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
    let web = app.browser();
    let (s, _) = web.get_text(&app, &format!("/reports/{r}/roster")).await;
    assert_ne!(s, StatusCode::OK, "strangers are sent to sign in");
}
dual!(only_the_organization_and_officers_read_a_roster);

async fn rosters_are_anonymised_after_the_retention_period(b: Backend) {
    let app = spawn(b).await;
    let a = awarded(&app).await;
    let (r, start, _) = first_report(&app, &a, 0).await;
    let ngo = &a.members[0];
    put_roster(
        &app,
        ngo,
        r,
        json!([
            line("elderly", "张三", "13812345678", start, 2),
            line("elderly", "李四", "", start, 1)
        ]),
    )
    .await;
    put_report(&app, ngo, r, figures((2, 3), (0, 0))).await;
    let (s, v) = submit(&app, ngo, r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The project ends (terminated) today.
    let p = a.projects[0];
    app.db(move |c| {
        yichuang::db::projects::set_project_outcome(
            c,
            p,
            yichuang::domain::project::ProjectStatus::Terminated,
            None,
            None,
            None,
        )
        .unwrap()
    })
    .await;
    // Three years (the default) less a day later: kept.
    app.clock.advance(Duration::days(365 * 3 - 2));
    assert_eq!(app.run_worker_step().await.roster_lines_anonymised, 0);
    // Signed in again (sessions last a year in tests).
    let officer = app.token("officer@gusu.gov.cn", PASSWORD).await;
    let (_, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(&officer))
        .await;
    assert_eq!(v["lines"][0]["name"], "张三", "{v}");
    app.clock.advance(Duration::days(3));
    assert_eq!(app.run_worker_step().await.roster_lines_anonymised, 2);
    assert_eq!(
        app.run_worker_step().await.roster_lines_anonymised,
        0,
        "idempotent"
    );
    let (_, v) = app
        .get(&format!("/api/v1/reports/{r}/roster"), Some(&officer))
        .await;
    for l in v["lines"].as_array().unwrap() {
        assert_eq!(
            (l["name"].as_str(), l["anonymised"].as_bool()),
            (Some(""), Some(true)),
            "{v}"
        );
        assert!(l["id_masked"].is_null(), "{v}");
    }
    assert_eq!(
        v["tallies"],
        json!([{"group": "elderly", "unique_people": 2, "person_times": 3}]),
        "the counts stay"
    );
    let left = app
        .db(move |c| {
            yichuang::db::rosters::entries(c, r)
                .unwrap()
                .iter()
                .filter(|e| e.id_cipher.is_some() || e.id_hash.is_some())
                .count()
        })
        .await;
    assert_eq!(left, 0);
    let actions = app.audit_actions("project", p).await;
    assert_eq!(
        actions
            .iter()
            .filter(|x| *x == "project.roster_anonymised")
            .count(),
        1,
        "{actions:?}"
    );
}
dual!(rosters_are_anonymised_after_the_retention_period);
