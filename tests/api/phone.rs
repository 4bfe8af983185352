//! Phones: every page of every role, on the demo's data, fits a 360 × 740 viewport without
//! scrolling sideways (DESIGN §2). The crawl follows each role's own links from its 工作台,
//! so a page added later is checked as soon as something links to it.

use std::collections::{BTreeMap, VecDeque};

use diesel::prelude::*;
use fantoccini::{Client, Locator};

use crate::browser::{browser_sized, chromedriver, sign_in_with};
use crate::cli::{stdout, yichuang};
use crate::dual;
use crate::helpers::{spawn, Backend, TestApp};

const DEMO_PASSWORD: &str = "demo-yichuang-2026";

/// Links never followed: actions, other languages, the API, token pages and files.
const SKIPPED: &[&str] = &[
    "/logout",
    "/lang/",
    "/api/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/assets/",
    "/verify-email",
    "/invite/accept",
    "/objections/confirm",
    "/password/reset",
];

/// How many pages of one shape (the same path with its numbers as `{id}` and the same query
/// keys) a role visits: a draft and a submitted proposal look different.
const PER_SHAPE: usize = 3;

/// At most this many pages a role (the crawl stays bounded as the demo grows).
const PER_ROLE: usize = 150;

/// A path with its numbers as `{id}` and its query's keys, sorted.
fn shape(path_and_query: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{}?{}", path.join("/"), keys.join("&"))
}

/// A download (a PDF, a spreadsheet, an uploaded file) rather than a page.
fn is_file(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let last = path.rsplit('/').next().unwrap_or("");
    last.contains('.')
        || last == "pdf"
        || ["/documents/", "/files/", "/attachments/"]
            .iter()
            .any(|d| path.contains(d))
}

/// The page's same-origin links (path and query, without the fragment).
const LINKS_JS: &str = r#"
return Array.from(document.querySelectorAll('a[href]'))
  .map(a => a.href)
  .filter(h => h.startsWith(location.origin + '/'))
  .map(h => h.slice(location.origin.length).split('#')[0]);
"#;

/// `null` when the page fits; else the page's width and its widest overflowing element. A
/// phone zooms out to show a page wider than its screen (`innerWidth` grows with it): the
/// screen's width is the layout viewport's, `clientWidth`.
const OVERFLOW_JS: &str = r#"
const w = Math.min(window.innerWidth, document.documentElement.clientWidth);
const sw = document.documentElement.scrollWidth;
if (sw <= w) return null;
let worst = null, right = w;
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > w + 0.5 && r.right >= right) { worst = el; right = r.right; }
}
let name = 'unknown';
if (worst) {
  name = worst.tagName.toLowerCase() + (worst.id ? '#' + worst.id : '')
    + (worst.className && typeof worst.className === 'string' ? '.' + worst.className.trim().split(/\s+/).join('.') : '');
  const t = (worst.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  name += ' (' + Math.round(right) + ' px) "' + t + '"';
}
return sw + ' px wide; widest: ' + name;
"#;

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.delete_all_cookies().await.unwrap();
    sign_in_with(c, app, email, DEMO_PASSWORD).await;
}

/// Visits the pages reachable from `start` and returns those wider than the viewport, each
/// with its widest element; `visited` counts the pages seen.
async fn crawl(c: &Client, app: &TestApp, start: &[String], visited: &mut usize) -> Vec<String> {
    let mut seen_shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut wide = Vec::new();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if pages >= PER_ROLE {
            break;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        let n = seen_shapes.entry(shape(&path)).or_default();
        if *n >= PER_SHAPE {
            continue;
        }
        *n += 1;
        pages += 1;
        eprintln!("360px: {path}");
        c.goto(&app.url(&path)).await.unwrap();
        if let Some(why) = c.execute(OVERFLOW_JS, vec![]).await.unwrap().as_str() {
            wide.push(format!("{path}: {why}"));
        }
        let links = c.execute(LINKS_JS, vec![]).await.unwrap();
        for l in links.as_array().into_iter().flatten() {
            let Some(l) = l.as_str() else { continue };
            if SKIPPED.iter().any(|s| l.starts_with(s)) || is_file(l) {
                continue;
            }
            if !seen.contains(l) {
                queue.push_back(l.to_string());
            }
        }
    }
    *visited += pages;
    wide
}

/// An account of the organization holding a proposal in `status` (the form it edits).
async fn owner_of(app: &TestApp, status: &'static str) -> Option<(String, i64)> {
    use yichuang::db::schema::{proposals, users};
    app.db(move |c| {
        let (id, org): (i64, i64) = proposals::table
            .filter(proposals::status.eq(status))
            .order(proposals::id)
            .select((proposals::id, proposals::org_id))
            .first(c)
            .optional()
            .unwrap()?;
        let email: String = users::table
            .filter(users::org_id.eq(org))
            .filter(users::role.eq("ngo"))
            .order(users::id)
            .select(users::email)
            .first(c)
            .optional()
            .unwrap()?;
        Some((email, id))
    })
    .await
}

async fn every_page_of_every_role_fits_a_phone(b: Backend) {
    let app = spawn(b).await;
    let o = yichuang(&app, &["demo", "--seed-only"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let driver = chromedriver().await;
    let c = browser_sized(&driver, 360, 740).await;
    c.goto(&app.url("/")).await.unwrap();
    let inner = c
        .execute(
            "return Math.min(window.innerWidth, document.documentElement.clientWidth);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(inner.as_i64(), Some(360), "the viewport is a phone's");

    // Who visits what: strangers from the home page, each role from its 工作台, and the
    // organizations holding a draft and a returned proposal from that proposal's form.
    let mut visits: Vec<(Option<String>, Vec<String>)> = vec![(
        None,
        [
            "/",
            "/calls",
            "/notices",
            "/login",
            "/signup",
            "/password/forgot",
        ]
        .map(String::from)
        .to_vec(),
    )];
    for email in [
        "admin@yichuang.example",
        "officer@gusu.example",
        "ngo01@ngo.example",
        "expert1@review.example",
        "eval1@agency.example",
        "supervisor@gusu.example",
    ] {
        visits.push((Some(email.to_string()), vec!["/dashboard".to_string()]));
    }
    for status in ["draft", "returned"] {
        if let Some((email, id)) = owner_of(&app, status).await {
            visits.push((Some(email), vec![format!("/proposals/{id}")]));
        }
    }

    let mut wide = Vec::new();
    let mut visited = 0;
    for (who, start) in &visits {
        match who {
            Some(email) => sign_in(&c, &app, email).await,
            None => c.delete_all_cookies().await.unwrap(),
        }
        let who = who.as_deref().unwrap_or("anonymous");
        for w in crawl(&c, &app, start, &mut visited).await {
            wide.push(format!("{who} {w}"));
        }
    }
    assert!(visited > 60, "the crawl saw {visited} pages");
    // The check sees a page made wider than the phone, and names what is too wide.
    c.execute(
        "const d = document.createElement('div'); d.id = 'too-wide'; d.style.width = '900px'; \
         d.textContent = 'x'; document.querySelector('main').appendChild(d);",
        vec![],
    )
    .await
    .unwrap();
    let why = c.execute(OVERFLOW_JS, vec![]).await.unwrap();
    assert!(
        why.as_str().is_some_and(|w| w.contains("div#too-wide")),
        "{why}"
    );
    assert!(
        wide.is_empty(),
        "{} pages are wider than 360 px:\n{}",
        wide.len(),
        wide.join("\n")
    );

    // The README's pictures: `YICHUANG_SCREENSHOTS=1` writes the 公示 on a phone and the
    // officer's 工作台 on a desktop to docs/screenshots/.
    if std::env::var("YICHUANG_SCREENSHOTS").is_ok_and(|v| v == "1") && b == Backend::Sqlite {
        screenshots(&c, &driver, &app).await;
    }
    c.close().await.unwrap();
}
dual!(every_page_of_every_role_fits_a_phone);

async fn screenshots(phone: &Client, driver: &crate::browser::Driver, app: &TestApp) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    phone.delete_all_cookies().await.unwrap();
    phone.goto(&app.url("/notices")).await.unwrap();
    let notice = phone
        .find(Locator::Css("main a[href^='/notices/']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    phone.goto(&app.url(&notice)).await.unwrap();
    let png = phone.screenshot().await.unwrap();
    std::fs::write(dir.join("notice-phone.png"), png).unwrap();

    let desk = browser_sized(driver, 1280, 900).await;
    sign_in(&desk, app, "officer@gusu.example").await;
    desk.goto(&app.url("/dashboard")).await.unwrap();
    let png = desk.screenshot().await.unwrap();
    std::fs::write(dir.join("dashboard-officer.png"), png).unwrap();
    desk.close().await.unwrap();
}
