//! Browser tests in headless Chromium through WebDriver: what a person does with a mouse
//! and a keyboard, without JavaScript of ours.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::dual;
use crate::helpers::{spawn, uscc, Backend, TestApp, PASSWORD};
use yichuang::domain::outbox::MailKind;

/// A chromedriver process on a free port, ended with the test.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver and waits until it says it listens.
pub(crate) async fn chromedriver() -> Driver {
    let bin = std::env::var("YICHUANG_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("browser tests need chromedriver ({bin}): {e}. Install Debian's chromium and chromium-driver (scripts/test does)."));
    // chromedriver prints "ChromeDriver was started successfully on port N." once it accepts
    // sessions; the reader keeps draining its output afterwards.
    let stdout = child.stdout.take().unwrap();
    let (ready, started) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut ready = Some(ready);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("started successfully") {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
        }
    });
    let driver = Driver { child, port };
    match tokio::time::timeout(Duration::from_secs(30), started).await {
        Ok(Ok(())) => driver,
        _ => panic!("chromedriver ({bin}) did not start"),
    }
}

async fn browser(driver: &Driver) -> Client {
    browser_sized(driver, 1280, 1600).await
}

/// Headless Chromium with a window (and so a viewport) of `width` × `height` CSS pixels.
pub(crate) async fn browser_sized(driver: &Driver, width: u32, height: u32) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chromium =
        std::env::var("YICHUANG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let profile = tempfile::tempdir().unwrap().keep();
    let mut caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     format!("--window-size={},{height}", width.max(500)), "--lang=zh-CN", format!("--user-data-dir={}", profile.display())]
        }
    });
    // A window is at least 500 px wide: a phone's screen is emulated (a touch screen honouring
    // the page's viewport tag).
    if width < 500 {
        caps["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true}
        });
    }
    let caps = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{}", driver.port);
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver: {e}"))
}

pub(crate) async fn fill(c: &Client, id: &str, text: &str) {
    let el = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![id.into(), value.into()],
    )
    .await
    .unwrap();
}

/// Clicks something that loads a new page and waits until that page is there.
pub(crate) async fn nav_click(c: &Client, what: Locator<'_>) {
    // The page that is left carries a mark; the next page's footer is one without it.
    c.execute(
        "document.documentElement.setAttribute('data-left', '1');",
        vec![],
    )
    .await
    .unwrap();
    c.find(what).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("html:not([data-left]) footer"))
        .await
        .unwrap();
}

async fn submit(c: &Client, form_action: &str) {
    let css = format!("form[action='{form_action}'] button[type=submit]");
    nav_click(c, Locator::Css(&css)).await;
}

pub(crate) async fn page_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn signup_verify_register_and_get_verified(b: Backend) {
    let app: TestApp = spawn(b).await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // Sign up.
    c.goto(&app.url("/")).await.unwrap();
    nav_click(&c, Locator::LinkText("社会组织注册")).await;
    fill(&c, "f-email", "chen@shequ.org.cn").await;
    fill(&c, "f-name", "陈静").await;
    fill(&c, "f-password", "short").await;
    submit(&c, "/signup").await;
    assert!(
        page_text(&c).await.contains("密码至少需要 10 个字符"),
        "field error shown"
    );
    assert_eq!(
        c.find(Locator::Id("f-email"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("chen@shequ.org.cn")
    );
    fill(&c, "f-password", PASSWORD).await;
    submit(&c, "/signup").await;
    assert!(page_text(&c).await.contains("请查收邮件"));

    // Follow the link from the email.
    let token = app
        .token_from_email("chen@shequ.org.cn", "/verify-email")
        .await;
    c.goto(&app.url(&format!("/verify-email?token={token}")))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/orgs/new"));
    assert!(page_text(&c).await.contains("邮箱已验证"));

    // Register the organization: first with a wrong code, then right.
    fill(&c, "f-name", "姑苏区邻里互助社区服务中心").await;
    c.find(Locator::Id("f-reg_type"))
        .await
        .unwrap()
        .select_by_value("social_service")
        .await
        .unwrap();
    let good = uscc(901);
    fill(&c, "f-uscc", &format!("{}Z", &good[..17])).await;
    set_value(&c, "f-registered_on", "2019-03-15").await;
    fill(&c, "f-reg_authority", "苏州市姑苏区民政局").await;
    fill(&c, "f-legal_rep", "陈静").await;
    fill(&c, "f-contact_name", "陈静").await;
    fill(&c, "f-contact_phone", "13912345678").await;
    fill(&c, "f-contact_email", "office@linli.org.cn").await;
    fill(&c, "f-address", "十全街88号").await;
    fill(&c, "f-district", "姑苏区").await;
    c.find(Locator::Id("f-grade"))
        .await
        .unwrap()
        .select_by_value("3A")
        .await
        .unwrap();
    set_value(&c, "f-grade_date", "2023-09-01").await;
    c.find(Locator::Id("f-insp-0"))
        .await
        .unwrap()
        .select_by_value("qualified")
        .await
        .unwrap();
    submit(&c, "/orgs").await;
    let text = page_text(&c).await;
    assert!(
        text.contains("统一社会信用代码只能包含数字和大写字母"),
        "{text}"
    );
    assert_eq!(
        c.find(Locator::Id("f-name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("姑苏区邻里互助社区服务中心"),
        "nothing typed is lost"
    );
    fill(&c, "f-uscc", &good).await;
    submit(&c, "/orgs").await;
    assert_eq!(
        c.find(Locator::Id("org-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "待核验"
    );
    let org_path = c.current_url().await.unwrap().path().to_string();

    // Sign out; an officer signs in and verifies the organization.
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;
    app.officer().await;
    c.goto(&app.url("/login")).await.unwrap();
    fill(&c, "f-email", "officer@gusu.gov.cn").await;
    fill(&c, "f-password", PASSWORD).await;
    submit(&c, "/login").await;
    assert_eq!(
        c.find(Locator::Id("pending-orgs"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "1"
    );
    nav_click(&c, Locator::LinkText("待核验机构")).await;
    nav_click(&c, Locator::LinkText("姑苏区邻里互助社区服务中心")).await;
    assert_eq!(c.current_url().await.unwrap().path(), org_path);
    nav_click(&c, Locator::Id("verify-org")).await;
    assert_eq!(
        c.find(Locator::Id("org-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "已核验"
    );
    assert!(
        page_text(&c).await.contains("核验通过"),
        "the history shows the verification"
    );

    let mail = app.last_email_to("chen@shequ.org.cn").await;
    assert_eq!(mail.kind, MailKind::OrgVerified);
    c.close().await.unwrap();
}
dual!(signup_verify_register_and_get_verified);

async fn set_named(c: &Client, name: &str, value: &str) {
    c.execute(
        "document.querySelector(`[name='${arguments[0]}']`).value = arguments[1];",
        vec![name.into(), value.into()],
    )
    .await
    .unwrap();
}

pub(crate) async fn type_named(c: &Client, name: &str, text: &str) {
    let el = c
        .find(Locator::Css(&format!("[name='{name}']")))
        .await
        .unwrap_or_else(|e| panic!("[name={name}]: {e}"));
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

pub(crate) async fn select_named(c: &Client, name: &str, value: &str) {
    c.find(Locator::Css(&format!("select[name='{name}']")))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn save_section(c: &Client, section: &str) {
    // The section's own save button (not the hidden default one, nor a row editor's).
    let css = format!(
        "form[action*='/sections/{section}'] button[type=submit]:not([name]):not(.default-action)"
    );
    nav_click(c, Locator::Css(&css)).await;
    let text = page_text(c).await;
    assert!(text.contains("已保存"), "{section} not saved: {text}");
}

async fn an_ngo_writes_a_proposal_and_gets_the_receipt(b: Backend) {
    let app: TestApp = spawn(b).await;
    let officer = app.officer().await;
    let round = crate::rounds::open_round(&app, &officer, "2027年姑苏区公益创投大赛").await;
    crate::proposals::eligible_ngo(&app, &officer, "writer@linli.org.cn", 77).await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    c.goto(&app.url("/login")).await.unwrap();
    fill(&c, "f-email", "writer@linli.org.cn").await;
    fill(&c, "f-password", PASSWORD).await;
    submit(&c, "/login").await;
    c.goto(&app.url(&format!("/calls/{round}"))).await.unwrap();
    nav_click(&c, Locator::Id("start-proposal")).await;
    assert!(page_text(&c).await.contains("申报书草稿已创建"));

    let start = (chrono::Utc::now() + chrono::Duration::days(45)).date_naive();
    let end = start + chrono::Duration::days(300);
    let mid = start + chrono::Duration::days(120);
    c.find(Locator::Id("f-category"))
        .await
        .unwrap()
        .select_by_value("为老服务")
        .await
        .unwrap();
    fill(&c, "f-title", "银龄互助·独居老人关爱计划").await;
    fill(&c, "f-summary", "为独居老人提供探访与助餐。").await;
    fill(&c, "f-project_lead", "王芳").await;
    fill(&c, "f-project_lead_phone", "13800138000").await;
    set_value(&c, "f-start_date", &start.to_string()).await;
    set_value(&c, "f-end_date", &end.to_string()).await;
    fill(&c, "f-requested_grant", "5万").await;
    save_section(&c, "basics").await;

    fill(&c, "f-need_analysis", "独居老人缺少日常照料。").await;
    fill(&c, "f-target_group", "平江街道独居老人").await;
    fill(&c, "f-service_area", "平江街道").await;
    save_section(&c, "need").await;
    fill(&c, "f-activities", "入户探访、助餐配送。").await;
    fill(&c, "f-team", "社工3名、志愿者40名。").await;
    save_section(&c, "plan").await;

    type_named(&c, "b_cat_0", "老年人").await;
    type_named(&c, "b_unique_0", "120").await;
    type_named(&c, "b_times_0", "960").await;
    save_section(&c, "beneficiaries").await;

    set_named(&c, "m_due_0", &mid.to_string()).await;
    type_named(&c, "m_title_0", "中期").await;
    type_named(&c, "m_deliverable_0", "中期报告").await;
    type_named(&c, "m_target_0", "60").await;
    save_section(&c, "milestones").await;

    for (i, (cat, item, amount, source)) in [
        ("activity", "活动物料", "30000", "grant"),
        ("personnel", "社工补贴", "15000", "grant"),
        ("admin", "管理费", "5000", "grant"),
    ]
    .into_iter()
    .enumerate()
    {
        select_named(&c, &format!("l_cat_{i}"), cat).await;
        type_named(&c, &format!("l_item_{i}"), item).await;
        type_named(&c, &format!("l_amount_{i}"), amount).await;
        select_named(&c, &format!("l_source_{i}"), source).await;
    }
    save_section(&c, "budget").await;
    // Without matching funds the page says what is missing.
    assert!(page_text(&c).await.contains("请增加配套资金"));
    select_named(&c, "l_cat_3", "activity").await;
    type_named(&c, "l_item_3", "场地").await;
    type_named(&c, "l_amount_3", "20000").await;
    select_named(&c, "l_source_3", "community").await;
    save_section(&c, "budget").await;

    assert!(page_text(&c).await.contains("内容完整，可以提交"));
    nav_click(&c, Locator::Id("submit-proposal")).await;
    assert_eq!(
        c.find(Locator::Id("proposal-number"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "GY-2027-0001"
    );
    assert_eq!(
        c.find(Locator::Id("proposal-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "已提交"
    );
    let mail = app.last_email_to("writer@linli.org.cn").await;
    assert_eq!(mail.kind, MailKind::ProposalReceived);
    assert!(mail.body_text.contains("GY-2027-0001"));
    c.close().await.unwrap();
}
dual!(an_ngo_writes_a_proposal_and_gets_the_receipt);

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn exists(c: &Client, css: &str) -> bool {
    !c.find_all(Locator::Css(css)).await.unwrap().is_empty()
}

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    sign_in_with(c, app, email, PASSWORD).await;
}

/// Signs in through the login form with `password` and checks the session is there.
pub(crate) async fn sign_in_with(c: &Client, app: &TestApp, email: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "f-email", email).await;
    fill(c, "f-password", password).await;
    submit(c, "/login").await;
    assert!(
        exists(c, "form[action='/logout']").await,
        "{email} is signed in: {}",
        page_text(c).await
    );
}

async fn a_reviewer_scores_and_the_officer_decides_and_publishes_the_notice(b: Backend) {
    use yichuang::domain::account::Role;
    let app: TestApp = spawn(b).await;
    // Budget 12万; three 5万 proposals scored 90, 80, 70 by three experts: the first two fit.
    let r = crate::award::ranked_round(&app, 12_000_000, &[90, 80, 70], 3).await;
    let (round, p0, p1, p2) = (r.round, r.pids[0], r.pids[1], r.pids[2]);
    // A fourth expert is assigned the second proposal by hand and reviews it in the browser.
    let expert = app.staff(Role::Reviewer, "expert3@univ.edu.cn", None).await;
    let (_, me) = app.get("/api/v1/me", Some(&expert)).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/proposals/{p1}/reviewers"),
            Some(&r.officer),
            serde_json::json!({"reviewer_id": me["id"]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let (_, mine) = app.get("/api/v1/reviews", Some(&expert)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let rid = mine[0]["review_id"].as_i64().unwrap();

    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // The reviewer finds the assignment.
    sign_in(&c, &app, "expert3@univ.edu.cn").await;
    nav_click(&c, Locator::Css("header a[href='/reviews']")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/reviews");
    assert!(page_text(&c).await.contains("待接受"));
    nav_click(&c, Locator::Css(&format!("a[href='/reviews/{rid}']"))).await;
    assert_eq!(text_of(&c, "#review-status").await, "待接受");
    assert!(page_text(&c).await.contains("社区服务项目1"));
    // Blind until accepted: no proposal text, no scoring form.
    assert!(!exists(&c, "#proposal").await && !exists(&c, "#scoring").await);
    assert!(!page_text(&c).await.contains("独居者缺少日常照料"));
    nav_click(&c, Locator::Id("accept-review")).await;
    let text = page_text(&c).await;
    assert!(text.contains("已接受评审任务"), "{text}");
    assert!(
        text.contains("独居者缺少日常照料"),
        "the proposal is readable"
    );
    assert_eq!(text_of(&c, "#review-status").await, "已接受");

    // Every criterion of the rubric: 16/20/16/12/8/8 = 80, the first typed off the step.
    let n = c
        .find_all(Locator::Css("#scoring input[name^='score_']"))
        .await
        .unwrap()
        .len();
    let scores = ["16", "20", "16", "12", "8", "8"];
    assert_eq!(n, scores.len(), "the default rubric has six criteria");
    for (i, s) in scores.iter().enumerate() {
        type_named(&c, &format!("score_{i}"), if i == 0 { "17.3" } else { s }).await;
    }
    type_named(&c, "comment_1", "实施方案具体可行").await;
    fill(&c, "f-overall_comment", "需求分析扎实，建议资助。").await;
    c.find(Locator::Css("input[name='recommendation'][value='fund']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    nav_click(&c, Locator::Css("button[name='action'][value='save']")).await;
    assert_eq!(
        text_of(&c, "td.has-error p.error").await,
        "评分须为 0.5 的整数倍。"
    );
    assert!(exists(&c, "td.has-error input[name='score_0']").await);
    assert_eq!(
        c.find_all(Locator::Css("td.has-error"))
            .await
            .unwrap()
            .len(),
        1,
        "only the bad score is marked"
    );
    assert_eq!(value_of(&c, "input[name='score_0']").await, "17.3");
    for (i, s) in scores.iter().enumerate().skip(1) {
        assert_eq!(
            value_of(&c, &format!("input[name='score_{i}']")).await,
            *s,
            "score {i} kept"
        );
    }
    assert_eq!(
        value_of(&c, "input[name='comment_1']").await,
        "实施方案具体可行"
    );
    assert_eq!(
        value_of(&c, "#f-overall_comment").await,
        "需求分析扎实，建议资助。"
    );
    assert!(c
        .find(Locator::Css("input[name='recommendation'][value='fund']"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap());
    type_named(&c, "score_0", "16").await;
    nav_click(&c, Locator::Css("button[name='action'][value='save']")).await;
    let text = page_text(&c).await;
    assert!(text.contains("已保存"), "{text}");
    assert!(!exists(&c, ".has-error").await, "{text}");
    assert!(text_of(&c, "#review-total").await.contains("80"));
    assert_eq!(text_of(&c, "#review-status").await, "已接受");
    nav_click(&c, Locator::Id("submit-review")).await;
    let text = page_text(&c).await;
    assert!(text.contains("评分已提交。"), "{text}");
    assert!(text.contains("评分已提交并锁定"), "{text}");
    assert_eq!(text_of(&c, "#review-status").await, "已提交");
    assert!(
        !exists(&c, "#submit-review").await,
        "nothing left to submit"
    );
    assert!(c
        .find(Locator::Css("input[name='score_0']"))
        .await
        .unwrap()
        .attr("disabled")
        .await
        .unwrap()
        .is_some());
    assert_eq!(value_of(&c, "input[name='score_0']").await, "16");
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // The officer closes the review.
    sign_in(&c, &app, "officer@gusu.gov.cn").await;
    c.goto(&app.url(&format!("/rounds/{round}/decision")))
        .await
        .unwrap();
    let ranking = text_of(&c, "#ranking").await;
    for i in 0..3 {
        assert!(ranking.contains(&format!("社区服务项目{i}")), "{ranking}");
    }
    assert!(
        !exists(&c, "a.adjust").await,
        "no adjusting during the review"
    );
    assert_eq!(text_of(&c, "#budget-used").await, "¥100,000.00");
    nav_click(&c, Locator::Id("close-review")).await;
    assert!(page_text(&c).await.contains("评审已结束"));
    assert!(!exists(&c, "#close-review").await);

    // 核减 the first: the reason is required, the typed amount stays.
    nav_click(
        &c,
        Locator::Css(&format!("a.adjust[href='/rounds/{round}/decision/{p0}']")),
    )
    .await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/rounds/{round}/decision/{p0}")
    );
    fill(&c, "f-reduced", "3万").await;
    nav_click(&c, Locator::Id("save-adjust")).await;
    assert!(
        exists(&c, "#e-reduce_reason").await,
        "field error on the reason: {}",
        page_text(&c).await
    );
    assert!(exists(&c, ".field.has-error #f-reduce_reason").await);
    assert_eq!(value_of(&c, "#f-reduced").await, "3万");
    fill(&c, "f-reduce_reason", "宣传费用偏高，核减2万元").await;
    nav_click(&c, Locator::Id("save-adjust")).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/rounds/{round}/decision")
    );
    assert!(page_text(&c).await.contains("已保存"));
    assert_eq!(text_of(&c, "#budget-used").await, "¥80,000.00");
    assert_eq!(text_of(&c, "#budget-remaining").await, "¥40,000.00");
    assert!(text_of(&c, "#ranking").await.contains("核减"));

    // Publishing the notice.
    nav_click(&c, Locator::Id("publish-notice")).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/rounds/{round}/notice")
    );
    assert!(page_text(&c).await.contains("拟资助名单已公示"));
    let awards = text_of(&c, "#award-list").await;
    assert!(
        awards.contains("社区服务项目0") && awards.contains("社区服务项目1"),
        "{awards}"
    );
    assert!(text_of(&c, &format!("#award-{p0}"))
        .await
        .contains("¥30,000.00"));
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // Anyone reads the public notice and may object to a funded proposal.
    c.goto(&app.url(&format!("/notices/{round}")))
        .await
        .unwrap();
    let list = text_of(&c, "#notice-list").await;
    assert!(
        list.contains("社区服务项目0") && list.contains("社区服务项目1"),
        "{list}"
    );
    assert!(
        !list.contains("社区服务项目2"),
        "the waitlist is not listed"
    );
    assert!(list.contains("¥30,000.00"), "{list}");
    let options: Vec<String> = {
        let mut out = Vec::new();
        for o in c
            .find_all(Locator::Css("#f-proposal_id option"))
            .await
            .unwrap()
        {
            out.push(o.attr("value").await.unwrap().unwrap_or_default());
        }
        out
    };
    assert_eq!(options, vec![String::new(), p0.to_string(), p1.to_string()]);
    assert!(!options.contains(&p2.to_string()));
    c.find(Locator::Id("f-proposal_id"))
        .await
        .unwrap()
        .select_by_value(&p1.to_string())
        .await
        .unwrap();
    fill(&c, "f-name", "王芳").await;
    fill(&c, "f-email", "wangfang@example.com").await;
    fill(&c, "f-phone", "13900000000").await;
    fill(
        &c,
        "f-reason",
        "该机构负责人同时在另一获资助项目中任职，存在重复申报问题。",
    )
    .await;
    nav_click(&c, Locator::Id("file-objection")).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/notices/{round}")
    );
    assert!(page_text(&c).await.contains("请查收邮件"));
    // The link in the email shows a button; pressing it confirms the objection.
    let token = app
        .token_from_email("wangfang@example.com", "/objections/confirm")
        .await;
    c.goto(&app.url(&format!("/objections/confirm?token={token}")))
        .await
        .unwrap();
    nav_click(&c, Locator::Id("confirm-objection")).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/notices/{round}")
    );
    assert!(page_text(&c).await.contains("异议已确认"));
    c.close().await.unwrap();
}
dual!(a_reviewer_scores_and_the_officer_decides_and_publishes_the_notice);

/// The HTTP status of the page now shown (Chromium reports it for the navigation).
async fn page_status(c: &Client) -> i64 {
    c.execute(
        "return performance.getEntriesByType('navigation')[0].responseStatus;",
        vec![],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap_or(0)
}

/// The cells of the row of `table` whose first cell reads `first`.
async fn row_cells(c: &Client, table: &str, first: &str) -> Vec<String> {
    for tr in c
        .find_all(Locator::Css(&format!("{table} tbody tr")))
        .await
        .unwrap()
    {
        let mut cells = Vec::new();
        for td in tr.find_all(Locator::Css("td")).await.unwrap() {
            cells.push(td.text().await.unwrap().trim().to_string());
        }
        if cells.first().map(String::as_str) == Some(first) {
            return cells;
        }
    }
    panic!("no row {first} in {table}: {}", text_of(c, table).await)
}

async fn an_ngo_reports_with_evidence_and_the_officer_returns_then_accepts(b: Backend) {
    let app: TestApp = spawn(b).await;
    let a = crate::execution::awarded(&app).await;
    let project = a.projects[0];
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // The NGO starts the first milestone's report from the project page.
    sign_in(&c, &app, "ngo0@example.org").await;
    c.goto(&app.url(&format!("/projects/{project}")))
        .await
        .unwrap();
    nav_click(&c, Locator::Css("#milestone-0 button.new-report")).await;
    let report_path = c.current_url().await.unwrap().path().to_string();
    assert!(report_path.starts_with("/reports/"), "{report_path}");
    assert_eq!(text_of(&c, "#report-status").await, "草稿");

    // More people than person-times: the submission fails at the elderly row, nothing lost.
    type_named(&c, "activities", "6").await;
    type_named(&c, "volunteer_times", "30").await;
    type_named(&c, "volunteer_hours", "90").await;
    type_named(&c, "g_elderly_unique", "150").await;
    type_named(&c, "g_elderly_times", "120").await;
    nav_click(&c, Locator::Id("submit-report")).await;
    assert_eq!(page_status(&c).await, 422);
    assert_eq!(c.current_url().await.unwrap().path(), report_path);
    assert_eq!(text_of(&c, "#report-status").await, "草稿");
    assert!(exists(&c, ".error-summary").await);
    assert_eq!(
        text_of(&c, "tr.has-error input[name='g_elderly_times'] + p.error").await,
        "受益人数不能多于服务人次。",
        "the error is on the elderly row"
    );
    assert_eq!(
        c.find_all(Locator::Css("tr.has-error"))
            .await
            .unwrap()
            .len(),
        1,
        "only the elderly row is marked"
    );
    assert!(
        exists(&c, "#e-narrative").await,
        "the narrative is required"
    );
    assert_eq!(value_of(&c, "input[name='g_elderly_unique']").await, "150");
    assert_eq!(value_of(&c, "input[name='g_elderly_times']").await, "120");
    assert_eq!(value_of(&c, "input[name='activities']").await, "6");

    // Fixed, with spending and a narrative, saved before the evidence goes up.
    type_named(&c, "g_elderly_unique", "40").await;
    type_named(&c, "g_elderly_times", "120").await;
    type_named(&c, "s_0_spent", "10000").await;
    fill(&c, "f-narrative", "开展入户探访 6 次，助餐配送 120 人次。").await;
    nav_click(&c, Locator::Id("save-report")).await;
    assert_eq!(page_status(&c).await, 200);
    assert!(page_text(&c).await.contains("已保存。"));
    assert!(!exists(&c, ".has-error").await, "{}", page_text(&c).await);
    assert_eq!(value_of(&c, "input[name='g_elderly_unique']").await, "40");
    assert_eq!(value_of(&c, "input[name='s_0_spent']").await, "10000");

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("签到表.png");
    std::fs::write(
        &png,
        [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
        ],
    )
    .unwrap();
    c.find(Locator::Id("f-file"))
        .await
        .unwrap()
        .send_keys(png.to_str().unwrap())
        .await
        .unwrap();
    nav_click(&c, Locator::Id("upload-evidence")).await;
    let text = page_text(&c).await;
    assert!(text.contains("文件已上传。"), "{text}");
    assert!(
        text_of(&c, "#evidence + ul").await.contains("签到表.png"),
        "{text}"
    );
    assert_eq!(
        value_of(&c, "#f-narrative").await,
        "开展入户探访 6 次，助餐配送 120 人次。",
        "the saved report is still there"
    );

    nav_click(&c, Locator::Id("submit-report")).await;
    assert!(
        page_text(&c)
            .await
            .contains("报告已提交，等待主管部门审核。"),
        "{}",
        page_text(&c).await
    );
    assert_eq!(text_of(&c, "#report-status").await, "已提交");
    assert!(
        !exists(&c, "#submit-report").await && !exists(&c, "#upload-evidence").await,
        "a submitted report is frozen"
    );
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // The officer returns it: a comment is required.
    sign_in(&c, &app, "officer@gusu.gov.cn").await;
    c.goto(&app.url(&report_path)).await.unwrap();
    assert_eq!(text_of(&c, "#report-status").await, "已提交");
    assert!(text_of(&c, "#evidence + ul").await.contains("签到表.png"));
    c.find(Locator::Css("input[name='outcome'][value='return']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    nav_click(&c, Locator::Id("review-report")).await;
    assert_eq!(page_status(&c).await, 422);
    assert_eq!(text_of(&c, "#e-comment").await, "此项必填。");
    assert!(exists(&c, ".field.has-error #f-comment").await);
    assert_eq!(text_of(&c, "#report-status").await, "已提交");
    c.find(Locator::Css("input[name='outcome'][value='return']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "f-comment", "请补充签到表原件扫描件").await;
    nav_click(&c, Locator::Id("review-report")).await;
    assert!(page_text(&c).await.contains("报告已退回修改。"));
    assert_eq!(text_of(&c, "#report-status").await, "已退回");
    assert!(!exists(&c, "#review").await, "nothing left to review");
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // The NGO reads the comment, corrects and submits again.
    sign_in(&c, &app, "ngo0@example.org").await;
    c.goto(&app.url(&report_path)).await.unwrap();
    assert_eq!(text_of(&c, "#report-status").await, "已退回");
    assert!(text_of(&c, "#return-comment")
        .await
        .contains("请补充签到表原件扫描件"));
    assert_eq!(value_of(&c, "input[name='g_elderly_unique']").await, "40");
    fill(
        &c,
        "f-narrative",
        "开展入户探访 6 次，助餐配送 120 人次；已补充签到表。",
    )
    .await;
    nav_click(&c, Locator::Id("submit-report")).await;
    assert!(
        page_text(&c)
            .await
            .contains("报告已提交，等待主管部门审核。"),
        "{}",
        page_text(&c).await
    );
    assert_eq!(text_of(&c, "#report-status").await, "已提交");
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // The officer accepts; the project page shows the report and its figures.
    sign_in(&c, &app, "officer@gusu.gov.cn").await;
    c.goto(&app.url(&report_path)).await.unwrap();
    assert_eq!(
        value_of(&c, "#f-narrative").await,
        "开展入户探访 6 次，助餐配送 120 人次；已补充签到表。"
    );
    c.find(Locator::Css("input[name='outcome'][value='accept']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    nav_click(&c, Locator::Id("review-report")).await;
    assert!(page_text(&c).await.contains("报告已审核通过。"));
    assert_eq!(text_of(&c, "#report-status").await, "已通过");

    c.goto(&app.url(&format!("/projects/{project}")))
        .await
        .unwrap();
    let reports = c.find_all(Locator::Css("#reports tbody tr")).await.unwrap();
    assert_eq!(reports.len(), 1, "{}", text_of(&c, "#reports").await);
    assert_eq!(text_of(&c, "#reports tbody tr .badge").await, "已通过");
    assert_eq!(
        text_of(&c, "#milestone-0 .badge").await,
        "已通过",
        "the milestone links its report"
    );
    let elderly = row_cells(&c, "#groups", "老年人").await;
    assert_eq!(
        (elderly[2].as_str(), elderly[3].as_str()),
        ("40", "120"),
        "{elderly:?}"
    );
    assert_eq!(text_of(&c, "#spent").await, "¥10,000.00");
    assert!(text_of(&c, "#files").await.contains("签到表.png"));
    c.close().await.unwrap();
}
dual!(an_ngo_reports_with_evidence_and_the_officer_returns_then_accepts);

/// Records the signed agreement of `project` through the API (as in evaluation.rs).
async fn sign_agreement(app: &TestApp, officer: &str, project: i64) {
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf).file_name("协议.pdf"),
    );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/projects/{project}/agreement")))
        .bearer_auth(officer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
}

/// An evaluation agency (legal representative `legal_rep`) with an evaluator who accepted the
/// invitation with PASSWORD; returns the evaluator's user id.
async fn agency_evaluator(
    app: &TestApp,
    officer: &str,
    serial: u32,
    legal_rep: &str,
    email: &str,
) -> i64 {
    use serde_json::json;
    let mut body = crate::helpers::org_json(app, serial);
    body["kind"] = json!("agency");
    body["name"] = json!(format!("评估中心{serial}"));
    body["legal_rep"] = json!(legal_rep);
    let (s, v) = app.post("/api/v1/orgs", Some(officer), body).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let org = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            "/api/v1/users",
            Some(officer),
            json!({"email": email, "name": "评估员", "role": "evaluator", "org_id": org}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let token = app.token_from_email(email, "/invite/accept").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({"token": token, "name": "评估员", "password": PASSWORD}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    me["id"].as_i64().unwrap()
}

async fn an_evaluator_files_the_midterm_and_the_officer_accepts_it(b: Backend) {
    let app: TestApp = spawn(b).await;
    let a = crate::execution::awarded(&app).await;
    let project = a.projects[0];
    let officer = &a.officer;
    sign_agreement(&app, officer, project).await;
    let evaluator = agency_evaluator(&app, officer, 62, "张评", "eva@pinggu.cn").await;
    let due = (app.clock.today() + chrono::Duration::days(20)).to_string();
    let (s, v) = app
        .post(
            &format!("/api/v1/projects/{project}/evaluations"),
            Some(officer),
            serde_json::json!({"stage": "midterm", "evaluator_id": evaluator, "due_on": due}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let eid = v["id"].as_i64().unwrap();
    let eval_path = format!("/evaluations/{eid}");

    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // The evaluator finds the assignment in the list.
    sign_in(&c, &app, "eva@pinggu.cn").await;
    nav_click(&c, Locator::Css("header a[href='/evaluations']")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/evaluations");
    let list = text_of(&c, "#evaluations").await;
    assert!(list.contains("中期") && list.contains("待评估"), "{list}");
    nav_click(
        &c,
        Locator::Css(&format!("#evaluations a[href='{eval_path}']")),
    )
    .await;
    assert_eq!(c.current_url().await.unwrap().path(), eval_path);
    assert_eq!(text_of(&c, "#evaluation-status").await, "待评估");
    assert_eq!(
        text_of(&c, &format!("a[href='/projects/{project}']")).await,
        "社区服务项目0",
        "the project is linked"
    );
    let indicators = text_of(&c, "#indicators").await;
    for name in [
        "项目管理",
        "服务成效",
        "财务管理",
        "社会影响与满意度",
        "创新与可持续",
    ] {
        assert!(indicators.contains(name), "{indicators}");
    }

    // The first score is off the round's 0.1 step: the page comes back with everything typed.
    // 13.5 + 30 + 17 + 17 + 8.5 = 86 once fixed.
    let scores = ["13.5", "30", "17", "17", "8.5"];
    assert_eq!(
        c.find_all(Locator::Css("#indicators input[name^='score_']"))
            .await
            .unwrap()
            .len(),
        scores.len(),
        "the default rubric has five indicators"
    );
    for (i, s) in scores.iter().enumerate() {
        type_named(&c, &format!("score_{i}"), if i == 0 { "13.35" } else { s }).await;
        type_named(&c, &format!("comment_{i}"), &format!("评语{i}")).await;
    }
    type_named(&c, "verified_elderly", "35").await;
    fill(&c, "f-satisfaction_pct", "92").await;
    fill(&c, "f-findings", "服务记录完整，受益人回访满意。").await;
    c.find(Locator::Id("f-recommendation"))
        .await
        .unwrap()
        .select_by_value("renew")
        .await
        .unwrap();
    nav_click(&c, Locator::Id("save-evaluation")).await;
    assert_eq!(page_status(&c).await, 422);
    assert_eq!(c.current_url().await.unwrap().path(), eval_path);
    assert!(exists(&c, ".error-summary").await);
    assert!(exists(&c, "#indicators tr.has-error input[name='score_0']").await);
    assert_eq!(
        text_of(&c, "#indicators tr.has-error p.error").await,
        "评分须为 0.1 的整数倍。"
    );
    assert_eq!(
        c.find_all(Locator::Css("tr.has-error"))
            .await
            .unwrap()
            .len(),
        1,
        "only the first indicator is marked"
    );
    assert_eq!(value_of(&c, "input[name='score_0']").await, "13.35");
    for (i, s) in scores.iter().enumerate() {
        if i > 0 {
            assert_eq!(
                value_of(&c, &format!("input[name='score_{i}']")).await,
                *s,
                "score {i} kept"
            );
        }
        assert_eq!(
            value_of(&c, &format!("input[name='comment_{i}']")).await,
            format!("评语{i}"),
            "comment {i} kept"
        );
    }
    assert_eq!(value_of(&c, "input[name='verified_elderly']").await, "35");
    assert_eq!(value_of(&c, "#f-satisfaction_pct").await, "92");
    assert_eq!(
        value_of(&c, "#f-findings").await,
        "服务记录完整，受益人回访满意。"
    );
    assert_eq!(value_of(&c, "#f-recommendation").await, "renew");
    assert_eq!(text_of(&c, "#evaluation-status").await, "待评估");

    // Fixed and saved; the report is still missing before submitting.
    type_named(&c, "score_0", "13.5").await;
    nav_click(&c, Locator::Id("save-evaluation")).await;
    assert_eq!(page_status(&c).await, 200);
    let text = page_text(&c).await;
    assert!(text.contains("已保存。"), "{text}");
    assert!(!exists(&c, ".has-error").await, "{text}");
    for (i, s) in scores.iter().enumerate() {
        assert_eq!(
            value_of(&c, &format!("input[name='score_{i}']")).await,
            *s,
            "score {i} saved"
        );
    }
    assert_eq!(value_of(&c, "input[name='verified_elderly']").await, "35");
    assert_eq!(value_of(&c, "#f-recommendation").await, "renew");
    assert!(
        text_of(&c, ".checklist")
            .await
            .contains("请上传评估报告（PDF）。"),
        "{text}"
    );

    // The report PDF goes up.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("评估报告.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    c.find(Locator::Id("f-file"))
        .await
        .unwrap()
        .send_keys(pdf.to_str().unwrap())
        .await
        .unwrap();
    nav_click(&c, Locator::Id("upload-report")).await;
    let text = page_text(&c).await;
    assert!(text.contains("文件已上传。"), "{text}");
    assert!(
        text_of(&c, "#report + ul").await.contains("评估报告.pdf"),
        "{text}"
    );
    assert!(!exists(&c, ".checklist").await, "nothing missing: {text}");
    assert_eq!(
        value_of(&c, "#f-findings").await,
        "服务记录完整，受益人回访满意。",
        "the saved filing is still there"
    );

    nav_click(&c, Locator::Id("submit-evaluation")).await;
    let text = page_text(&c).await;
    assert!(
        text.contains("评估结果已提交，等待主管部门审核。"),
        "{text}"
    );
    assert_eq!(text_of(&c, "#evaluation-status").await, "待审核");
    assert!(
        !exists(&c, "#submit-evaluation").await && !exists(&c, "#upload-report").await,
        "a submitted evaluation is frozen"
    );
    assert_eq!(value_of(&c, "input[name='score_0']").await, "13.5");
    nav_click(&c, Locator::Css("form[action='/logout'] button")).await;

    // The officer sees the rule engine's proposal and accepts it.
    sign_in(&c, &app, "officer@gusu.gov.cn").await;
    c.goto(&app.url(&eval_path)).await.unwrap();
    assert_eq!(text_of(&c, "#evaluation-status").await, "待审核");
    assert!(text_of(&c, "#report + ul").await.contains("评估报告.pdf"));
    let proposed = text_of(&c, "#proposed").await;
    assert!(
        proposed.contains("良好")
            && proposed.contains("86")
            && proposed.contains("第二期资金可拨付"),
        "{proposed}"
    );
    assert!(
        c.find(Locator::Css(
            "#review input[name='outcome'][value='accept']"
        ))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap(),
        "accepting is the default"
    );
    nav_click(&c, Locator::Id("review-evaluation")).await;
    let text = page_text(&c).await;
    assert!(text.contains("评估结果已确认，处理措施已执行。"), "{text}");
    assert_eq!(text_of(&c, "#grade").await, "良好");
    assert!(text_of(&c, "#outcome").await.contains("第二期资金可拨付"));
    assert_eq!(text_of(&c, "#evaluation-status").await, "已确认");
    assert!(!exists(&c, "#review").await, "nothing left to review");

    // The project page lists the evaluation and the second tranche can be paid.
    c.goto(&app.url(&format!("/projects/{project}")))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("#evaluation-list tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{}", text_of(&c, "#evaluation-list").await);
    let row = rows[0].text().await.unwrap();
    assert!(
        row.contains("中期") && row.contains("已确认") && row.contains("良好"),
        "{row}"
    );
    assert_eq!(text_of(&c, "#tranche-2 .badge").await, "可拨付");
    c.close().await.unwrap();
}
dual!(an_evaluator_files_the_midterm_and_the_officer_accepts_it);

async fn signing_out_ends_the_session_cookie(b: Backend) {
    let app = spawn(b).await;
    app.ngo_member("leave@example.org").await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;
    sign_in(&c, &app, "leave@example.org").await;
    let old = c.get_named_cookie("yc_session").await.unwrap();

    c.goto(&app.url("/dashboard")).await.unwrap();
    submit(&c, "/logout").await;
    assert!(!exists(&c, "form[action='/logout']").await, "signed out");

    // The old cookie, replayed outside the browser, opens nothing.
    let r = app
        .browser()
        .client
        .get(app.url("/dashboard"))
        .header("cookie", format!("yc_session={}", old.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(crate::helpers::location(&r).starts_with("/login"));

    // Nor when the browser is given it back.
    c.add_cookie(old.clone()).await.unwrap();
    c.goto(&app.url("/dashboard")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "{url}");
    assert!(exists(&c, "form[action='/login']").await);
    assert!(!exists(&c, "form[action='/logout']").await);
    c.close().await.unwrap();
}
dual!(signing_out_ends_the_session_cookie);
