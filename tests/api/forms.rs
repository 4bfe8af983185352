//! Long forms in the browser: row editors that add and remove rows without JavaScript,
//! over-long texts kept with a field error, and the small script's counters and guard.

use reqwest::StatusCode;

use crate::dual;
use crate::helpers::{spawn_with, Backend, PASSWORD};
use crate::limits::draft_on_page;

async fn rows_are_added_and_removed_with_everything_typed_kept_and_nothing_saved(b: Backend) {
    let app = spawn_with(b, |_| {}).await;
    let (web, id) = draft_on_page(&app, "rows@example.org", 61).await;
    let member = app.token("rows@example.org", PASSWORD).await;
    let path = format!("/proposals/{id}/sections/budget");

    // Every editor offers a remove button per row and an add button, and Enter saves.
    let (_, page) = web.get_text(&app, &format!("/proposals/{id}")).await;
    for group in ["b", "m", "l"] {
        assert!(
            page.contains(&format!(r#"id="add-{group}-row""#)),
            "{group}"
        );
        assert!(
            page.contains(&format!(r#"id="remove-{group}-0""#)),
            "{group}"
        );
    }
    assert!(
        page.contains(r#"name="rows_l" value="3""#),
        "three empty budget rows"
    );
    assert!(page.contains(&format!(r#"action="{path}#budget""#)));
    let form = &page[page.find(&format!(r#"action="{path}#budget""#)).unwrap()..];
    let first_button = &form[form.find("<button").unwrap()..];
    assert!(
        first_button.starts_with(r#"<button type="submit" class="default-action""#),
        "Enter in a field presses save, not a remove button: {}",
        &first_button[..120]
    );

    // Two rows typed, one of them incomplete, and "add a row" pressed: the same form comes
    // back with a fourth row, everything typed kept, and nothing saved.
    let typed = [
        ("version", "1"),
        ("rows_l", "3"),
        ("l_cat_0", "activity"),
        ("l_item_0", "活动物料"),
        ("l_amount_0", "30000"),
        ("l_source_0", "grant"),
        ("l_cat_1", "personnel"),
        ("l_item_1", "社工补贴"),
        ("l_amount_1", "一万五"),
        ("l_cat_2", "admin"),
        ("l_item_2", "管理费"),
        ("l_amount_2", "5000"),
        ("l_source_2", "self"),
    ];
    let mut add = typed.to_vec();
    add.push(("add_row", "1"));
    let r = web.post_form(&app, &path, &add).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"name="rows_l" value="4""#), "a fourth row");
    assert!(page.contains(r#"name="l_item_3""#));
    assert!(
        page.contains(r#"id="rows-unsaved""#),
        "it says nothing is saved yet"
    );
    assert!(page.contains("尚未保存"));
    assert!(page.contains("data-unsaved"), "the script's guard knows");
    for v in ["活动物料", "社工补贴", "一万五", "管理费"] {
        assert!(page.contains(&format!(r#"value="{v}""#)), "{v} kept");
    }
    assert!(
        !page.contains("预算第 2 行不完整"),
        "an added row checks nothing"
    );
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["proposal"]["version"], 1, "nothing saved: {v}");
    assert_eq!(v["content"]["budget"], serde_json::json!([]));

    // Removing the middle row moves the third one up, keeps it whole, and saves nothing.
    let mut remove = typed.to_vec();
    remove.push(("remove_row", "1"));
    let r = web.post_form(&app, &path, &remove).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(!page.contains("社工补贴"), "the removed row is gone");
    assert!(!page.contains("一万五"));
    assert!(
        page.contains(r#"name="l_item_1" maxlength="200" value="管理费""#),
        "{page}"
    );
    assert!(page.contains(r#"name="l_amount_1" value="5000""#));
    assert!(page.contains(r#"<option value="self" selected>"#));
    assert!(page.contains(r#"name="rows_l" value="2""#));
    assert!(!page.contains(r#"name="l_item_2""#), "two rows left");
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["proposal"]["version"], 1);

    // Saving what was shown stores exactly those two rows.
    let r = web
        .post_form(
            &app,
            &path,
            &[
                ("version", "1"),
                ("rows_l", "2"),
                ("l_cat_0", "activity"),
                ("l_item_0", "活动物料"),
                ("l_amount_0", "30000"),
                ("l_source_0", "grant"),
                ("l_cat_1", "admin"),
                ("l_item_1", "管理费"),
                ("l_amount_1", "5000"),
                ("l_source_1", "self"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    let items: Vec<&str> = v["content"]["budget"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["item"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["活动物料", "管理费"]);

    // The other editors work the same way; a stored row removed is gone only once saved.
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/beneficiaries"),
            &[
                ("version", "2"),
                ("b_cat_0", "老年人"),
                ("b_unique_0", "120"),
                ("b_times_0", "960"),
                ("add_row", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"name="rows_b" value="4""#),
        "1 filled + 2 empty + 1 added"
    );
    assert!(page.contains(r#"value="老年人""#));
    let r = web
        .post_form(
            &app,
            &format!("/proposals/{id}/sections/milestones"),
            &[
                ("version", "2"),
                ("rows_m", "2"),
                ("m_due_0", "2027-06-30"),
                ("m_title_0", "中期"),
                ("m_target_0", "60"),
                ("remove_row", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(!page.contains(r#"value="中期""#));
    assert!(page.contains(r#"name="rows_m" value="1""#));

    // A hostile row count is bounded.
    let r = web
        .post_form(
            &app,
            &path,
            &[("version", "2"), ("rows_l", "99999999"), ("add_row", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"name="rows_l" value="200""#));
    assert!(
        !page.contains(r#"id="add-l-row""#),
        "no more rows past the cap"
    );

    // Only those who may edit the draft may press the buttons.
    let officer_web = app.browser();
    officer_web
        .login(&app, "officer@gusu.gov.cn", PASSWORD)
        .await;
    let r = officer_web
        .post_form(&app, &path, &[("version", "2"), ("add_row", "1")])
        .await;
    assert!(
        r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
        "{}",
        r.status()
    );
}
dual!(rows_are_added_and_removed_with_everything_typed_kept_and_nothing_saved);

/// What `assets/app.js` adds on a long form: a live counter beside each field with a length
/// limit, and a guard before leaving while another form holds unsaved changes (also after
/// rows were added, which the server shows again unsaved). Enter in a row saves the section.
async fn the_scripts_count_characters_and_guard_unsaved_changes(b: Backend) {
    use crate::browser::{
        browser_sized, chromedriver, fill, nav_click, page_text, select_named, sign_in_with,
        type_named,
    };
    use fantoccini::{key::Key, Locator};

    let app = spawn_with(b, |_| {}).await;
    let (_web, id) = draft_on_page(&app, "script@example.org", 62).await;
    let driver = chromedriver().await;
    let c = browser_sized(&driver, 1280, 1600).await;
    sign_in_with(&c, &app, "script@example.org", PASSWORD).await;
    c.goto(&app.url(&format!("/proposals/{id}"))).await.unwrap();

    let counter = |field: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(&format!(
                ".field:has(#{field}) .hint.limit .count"
            )))
            .await
            .unwrap_or_else(|e| panic!("no counter beside #{field}: {e}"))
            .text()
            .await
            .unwrap()
        }
    };
    let guard = || {
        let c = c.clone();
        async move {
            c.execute(
                "var e = new Event('beforeunload', {cancelable: true}); \
                 window.dispatchEvent(e); return e.defaultPrevented;",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap()
        }
    };

    assert_eq!(counter("f-summary").await, "0 / 2,000");
    assert!(!guard().await, "nothing typed, nothing to warn about");
    fill(&c, "f-summary", "为独居老人提供探访").await;
    assert_eq!(counter("f-summary").await, "9 / 2,000");
    assert_eq!(
        counter("f-need_analysis").await,
        "0 / 10,000",
        "each field its own"
    );
    assert!(guard().await, "an edited form guards leaving the page");
    // Saving that same form is no reason to warn; a near-full field is marked.
    let saving = c
        .execute(
            "var f = document.getElementById('f-summary').form; \
             f.dispatchEvent(new Event('submit', {cancelable: true})); \
             var e = new Event('beforeunload', {cancelable: true}); \
             window.dispatchEvent(e); return e.defaultPrevented;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(saving, serde_json::json!(false));
    c.execute(
        "var el = document.getElementById('f-summary'); el.value = '字'.repeat(1850); \
         el.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(counter("f-summary").await, "1,850 / 2,000");
    assert!(c
        .find(Locator::Css(".field:has(#f-summary) .count.warning"))
        .await
        .is_ok());

    // Enter in a budget row saves the section (the hidden first button), removing nothing.
    c.goto(&app.url(&format!("/proposals/{id}"))).await.unwrap();
    select_named(&c, "l_cat_0", "activity").await;
    select_named(&c, "l_source_0", "grant").await;
    type_named(&c, "l_item_0", "活动物料").await;
    c.execute(
        "document.documentElement.setAttribute('data-left', '1');",
        vec![],
    )
    .await
    .unwrap();
    let amount = c.find(Locator::Css("[name='l_amount_0']")).await.unwrap();
    amount
        .send_keys(&format!("30000{}", char::from(Key::Enter)))
        .await
        .unwrap();
    c.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css("html:not([data-left]) footer"))
        .await
        .unwrap();
    assert!(
        page_text(&c).await.contains("已保存"),
        "{}",
        page_text(&c).await
    );
    let member = app.token("script@example.org", PASSWORD).await;
    let (_, v) = app
        .get(&format!("/api/v1/proposals/{id}"), Some(&member))
        .await;
    assert_eq!(v["content"]["budget"][0]["item"], "活动物料", "{v}");

    // A row added on the server comes back unsaved, and the guard knows it at once.
    assert!(!guard().await);
    nav_click(&c, Locator::Id("add-l-row")).await;
    assert!(page_text(&c).await.contains("尚未保存"));
    assert!(guard().await, "rows added but not saved");
    c.close().await.unwrap();
}
dual!(the_scripts_count_characters_and_guard_unsaved_changes);

/// The report and the evaluation filing: an over-long text is a field error on the form shown
/// again with everything typed, and nothing is saved.
async fn an_over_long_report_or_evaluation_keeps_what_was_typed(b: Backend) {
    use crate::evaluation::{agency, assign, sign};
    let app = spawn_with(b, |_| {}).await;
    let a = crate::execution::awarded(&app).await;
    let (project, o) = (a.projects[0], &a.officer);
    sign(&app, o, project).await;
    let narrative = "述".repeat(yichuang::domain::limits::REPORT_NARRATIVE + 1);

    // The NGO's milestone report.
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{project}/reports"),
            Some(&a.members[0]),
            serde_json::json!({"milestone": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let report = v["id"].as_i64().unwrap();
    let (_, cur) = app
        .get(&format!("/api/v1/reports/{report}"), Some(&a.members[0]))
        .await;
    let version = cur["report"]["version"].to_string();
    let web = app.browser();
    web.login(&app, "ngo0@example.org", PASSWORD).await;
    let r = web
        .post_form(
            &app,
            &format!("/reports/{report}"),
            &[
                ("version", &version),
                ("activities", "6"),
                ("s_0_spent", "1234.5"),
                ("s_0_reason", "场地费上涨"),
                ("narrative", &narrative),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"id="e-narrative">不能超过 20000 个字符。"#),
        "{}",
        &page[..2000]
    );
    assert!(
        page.contains(&format!(">{narrative}</textarea>")),
        "the text is kept"
    );
    for kept in [r#"value="1234.5""#, r#"value="场地费上涨""#, r#"value="6""#] {
        assert!(page.contains(kept), "{kept} kept");
    }
    let (_, v) = app
        .get(&format!("/api/v1/reports/{report}"), Some(&a.members[0]))
        .await;
    assert_eq!(
        v["report"]["version"], cur["report"]["version"],
        "nothing saved"
    );

    // The evaluator's filing.
    let (eva, _) = agency(&app, o, 64, "张评", "long-eva@pinggu.cn").await;
    let (s, v) = assign(&app, o, project, "midterm", eva).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let evaluation = v["id"].as_i64().unwrap();
    let web = app.browser();
    let evaluator = app.token("long-eva@pinggu.cn", PASSWORD).await;
    let (_, cur) = app
        .get(
            &format!("/api/v1/evaluations/{evaluation}"),
            Some(&evaluator),
        )
        .await;
    let version = cur["evaluation"]["version"].to_string();
    web.login(&app, "long-eva@pinggu.cn", PASSWORD).await;
    let r = web
        .post_form(
            &app,
            &format!("/evaluations/{evaluation}"),
            &[
                ("version", &version),
                ("score_0", "12"),
                ("comment_0", "管理规范"),
                ("findings", &narrative),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"id="e-findings">不能超过 20000 个字符。"#),
        "{}",
        &page[..2000]
    );
    assert!(
        page.contains(&format!(">{narrative}</textarea>")),
        "the findings are kept"
    );
    assert!(page.contains(r#"value="12""#) && page.contains(r#"value="管理规范""#));
}
dual!(an_over_long_report_or_evaluation_keeps_what_was_typed);
