//! One language at a time: every page of the demo, as each role sees it, in Chinese and in
//! English, shows no locale key in place of its text.

use std::collections::{BTreeSet, HashMap, VecDeque};

use reqwest::StatusCode;

use crate::dual;
use crate::helpers::{plain, spawn, Backend, TestApp};

/// The password of every demo account (`src/cli/demo.rs`).
const DEMO_PASSWORD: &str = "demo-yichuang-2026";

/// The demo's accounts, one of each role, and the anonymous visitor.
const ROLES: &[Option<&str>] = &[
    None,
    Some("admin@yichuang.example"),
    Some("officer@gusu.example"),
    Some("ngo01@ngo.example"),
    Some("expert1@review.example"),
    Some("eval1@agency.example"),
    Some("supervisor@gusu.example"),
];

/// Pages of one shape (`/projects/{}`, the same query keys) visited per role and language.
const PER_SHAPE: usize = 2;
const MAX_PAGES: usize = 300;

/// Every locale key, and the first segments of the keys.
pub fn locale_keys() -> (BTreeSet<String>, BTreeSet<String>) {
    let keys: BTreeSet<String> = yichuang::i18n::keys().map(String::from).collect();
    let prefixes = keys
        .iter()
        .filter_map(|k| k.split_once('.').map(|(p, _)| p.to_string()))
        .collect();
    (keys, prefixes)
}

/// Extensions of file names, which look like keys (`evidence.pdf`).
const FILE_EXTENSIONS: &[&str] = &["pdf", "png", "jpg", "jpeg", "xlsx", "csv", "docx", "eml"];

/// The words of `text` shaped like a locale key (`action.report.accepted`,
/// `entity.project`) that are a key, or start with a key's first segment; e-mail domains
/// and file names are not.
pub fn raw_keys(text: &str, keys: &BTreeSet<String>, prefixes: &BTreeSet<String>) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_alphabetic() || chars[i] == '_')
            || (i > 0 && (word(chars[i - 1]) || "@/.:-".contains(chars[i - 1])))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (word(chars[i]) || (chars[i] == '.' && i + 1 < chars.len() && word(chars[i + 1])))
        {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let followed_by = chars.get(i).copied();
        let Some((first, _)) = token.split_once('.') else {
            continue;
        };
        let last = token.rsplit('.').next().unwrap_or_default();
        let file = FILE_EXTENSIONS.contains(&last.to_ascii_lowercase().as_str());
        let address = matches!(followed_by, Some('@') | Some('/'));
        if keys.contains(&token)
            || (prefixes.contains(first) && !file && !address && token == token.to_lowercase())
        {
            found.push(token);
        }
    }
    found
}

/// The readable text of a page: its text and the attributes people read.
pub fn readable(html: &str) -> String {
    let mut out = plain(html);
    for attr in ["placeholder=\"", "title=\"", "aria-label=\"", "alt=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(' ');
                out.push_str(&rest[..end]);
            }
        }
    }
    out
}

/// The links of a page to other pages of the site.
fn links(html: &str) -> Vec<String> {
    html.match_indices("href=\"")
        .filter_map(|(i, m)| {
            let rest = &html[i + m.len()..];
            let href = rest[..rest.find('"')?].replace("&amp;", "&");
            let href = href.split('#').next()?.to_string();
            let skip = !href.starts_with('/')
                || href.starts_with("//")
                || href.starts_with("/static")
                || href.starts_with("/lang/")
                || href.starts_with("/api/")
                || [
                    ".pdf", ".xlsx", ".csv", ".svg", ".png", ".ico", ".css", ".js",
                ]
                .iter()
                .any(|x| href.split('?').next().unwrap_or("").ends_with(x))
                || href.contains("/files/")
                || href.contains("/attachments/")
                || href.contains("/documents/");
            (!skip).then_some(href)
        })
        .collect()
}

/// `/projects/12?page=2&sort=x` → `/projects/{}?page&sort`.
fn shape(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "{}"
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
    keys.sort();
    format!("{}?{}", path.join("/"), keys.join("&"))
}

/// Walks the pages a person reaches by following links from the home page and the 工作台;
/// returns the raw keys found on each page.
async fn walk(app: &TestApp, email: Option<&str>, lang: &str) -> (usize, Vec<String>) {
    let (keys, prefixes) = locale_keys();
    let web = app.browser();
    if lang == "en" {
        web.get(app, "/lang/en").await;
    }
    if let Some(email) = email {
        let r = web.login(app, email, DEMO_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} signs in");
    }
    let mut queue: VecDeque<String> = ["/", "/dashboard"].map(String::from).into();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut per_shape: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        if visited >= MAX_PAGES {
            break;
        }
        let n = per_shape.entry(shape(&path)).or_default();
        if *n >= PER_SHAPE {
            continue;
        }
        *n += 1;
        visited += 1;
        let r = web.get(app, &path).await;
        let status = r.status();
        let html_page = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
        let html = r.text().await.unwrap();
        assert!(status.as_u16() < 500, "{email:?} {lang} {path}: {status}");
        if !html_page {
            continue;
        }
        if html.contains(&format!(
            "lang=\"{}\"",
            if lang == "en" { "en" } else { "zh-CN" }
        )) {
            let found = raw_keys(&readable(&html), &keys, &prefixes);
            if !found.is_empty() {
                problems.push(format!("{lang} {email:?} {path}: {found:?}"));
            }
        } else {
            problems.push(format!(
                "{lang} {email:?} {path}: not in the language chosen"
            ));
        }
        for link in links(&html) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    (visited, problems)
}

/// Seeds the demo with the product's own code (`yichuang demo --seed-only`).
pub fn seed_demo(app: &TestApp) {
    let o = crate::cli::yichuang(app, &["demo", "--seed-only"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

async fn no_page_of_the_demo_shows_a_locale_key_in_either_language(b: Backend) {
    let app = spawn(b).await;
    seed_demo(&app);
    let mut problems = Vec::new();
    for lang in ["zh-CN", "en"] {
        for email in ROLES {
            let (visited, found) = walk(&app, *email, lang).await;
            // The walk reaches the role's pages, not only the home page.
            assert!(
                visited >= if email.is_some() { 10 } else { 4 },
                "{email:?} {lang}: {visited} pages"
            );
            problems.extend(found);
        }
    }
    assert!(
        problems.is_empty(),
        "pages show raw locale keys:\n{}",
        problems.join("\n")
    );
}
dual!(no_page_of_the_demo_shows_a_locale_key_in_either_language);

#[test]
fn the_key_detector_finds_keys_and_leaves_addresses_and_files() {
    let (keys, prefixes) = locale_keys();
    let text = "审计 action.report.accepted · entity.project #18 · project_file.evaluation_report \
                expert1@review.example 评估报告.pdf evidence.pdf https://x.example/round.title 3.5";
    let found = raw_keys(text, &keys, &prefixes);
    assert_eq!(
        found,
        [
            "action.report.accepted",
            "entity.project",
            "project_file.evaluation_report"
        ]
    );
}

/// The holiday calendar editor is a list of dates, each 放假 or 调休上班 in the page's
/// language, and its problems are told in that language too.
async fn the_holiday_editor_speaks_the_pages_language(b: Backend) {
    let app = spawn(b).await;
    app.admin_token().await;
    let (email, _) = app.admin.clone();
    let web = app.browser();
    let r = web.login(&app, &email, crate::helpers::PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, page) = web.get_text(&app, "/admin/holidays").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(r#"<option value="workday" selected>调休上班</option>"#)
            && page.contains(">放假</option>")
            && page.contains(r#"type="date" name="date_0" value="20"#),
        "{page}"
    );
    assert!(!page.contains("<textarea"), "no keywords to type");
    // A new day off and a make-up Saturday, by rows.
    let r = web
        .post_form(
            &app,
            "/admin/holidays",
            &[
                ("date_0", "2027-10-01"),
                ("kind_0", "holiday"),
                ("label_0", "国庆节"),
                ("date_1", ""),
                ("kind_1", "holiday"),
                ("date_2", "2027-09-25"),
                ("kind_2", "workday"),
                ("label_2", "国庆节调休上班"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.token(&email, crate::helpers::PASSWORD).await;
    let (_, v) = app.get("/api/v1/admin/holidays", Some(&admin)).await;
    assert_eq!(
        v["text"], "2027-09-25 workday 国庆节调休上班\n2027-10-01 holiday 国庆节\n",
        "{v}"
    );
    // In English: the choices and the problems are English.
    web.get(&app, "/lang/en").await;
    let (_, page) = web.get_text(&app, "/admin/holidays").await;
    assert!(
        page.contains(">Day off</option>") && page.contains(">Make-up working day</option>"),
        "{page}"
    );
    let r = web
        .post_form(
            &app,
            "/admin/holidays",
            &[("date_0", "2027-09-29"), ("kind_0", "workday")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Line 1: 2027-09-29 is not a Saturday or Sunday")
            && page.contains(r#"value="2027-09-29""#),
        "{page}"
    );
}
dual!(the_holiday_editor_speaks_the_pages_language);
