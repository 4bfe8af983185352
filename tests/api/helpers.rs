//! Spawns the whole app on a random port against a fresh database of either backend, and
//! drives it like a browser (cookies, CSRF) or an API client (bearer tokens).

use std::net::TcpListener;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{redirect, Response, StatusCode};
use serde_json::{json, Value};
use yichuang::clock::Clock;
use yichuang::config::{Secret, Settings};
use yichuang::db::{self, DbPool};
use yichuang::domain::account::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test once per backend: `dual!(name)` for `async fn name(b: Backend)`.
#[macro_export]
macro_rules! dual {
    ($name:ident) => {
        mod $name {
            #[actix_rt::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[actix_rt::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

pub const PASSWORD: &str = "Lantern-River-Quiet-42";

/// The smallest file the server takes for a PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// The problem document names `field` among its errors.
pub fn has_error(v: &Value, field: &str) -> bool {
    v["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["field"] == field))
}
pub const NEW_PASSWORD: &str = "Orchard-Compass-Velvet-77";

/// A USCC of a civil-affairs social service organization with a correct check character.
pub fn uscc(serial: u32) -> String {
    let body = format!("52320508MJ{serial:07}");
    let c = yichuang::domain::uscc::check_char(body.as_bytes()).expect("valid alphabet");
    format!("{body}{c}")
}

pub fn pg_base_url() -> String {
    std::env::var("YICHUANG_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub struct TestApp {
    pub addr: String,
    pub pool: DbPool,
    pub settings: Settings,
    pub client: reqwest::Client,
    pub admin: (String, String),
    /// The app's clock: tests move it (`app.clock.advance(..)`) to reach deadlines and
    /// expiries; database work through [`TestApp::db`] reads it too.
    pub clock: Clock,
    pg_db: Option<String>,
    _dir: tempfile::TempDir,
}

fn new_client(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_db) = match backend {
        Backend::Sqlite => (
            dir.path().join("test.db").to_string_lossy().to_string(),
            None,
        ),
        Backend::Postgres => {
            let suffix: String = yichuang::auth::random_token()
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(16)
                .collect();
            let name = format!("yc_test_{suffix}");
            let base = pg_base_url();
            let n = name.clone();
            tokio::task::spawn_blocking(move || {
                use diesel::{Connection, RunQueryDsl};
                let mut c = diesel::PgConnection::establish(&base).unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for the postgres tests ({base}): {e}. Start it or set YICHUANG_TEST_PG_URL.")
                });
                diesel::sql_query(format!("CREATE DATABASE {n}")).execute(&mut c).unwrap();
            })
            .await
            .unwrap();
            let mut u = url::Url::parse(&pg_base_url()).unwrap();
            u.set_path(&format!("/{name}"));
            (u.to_string(), Some(name))
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: Secret::new(url),
        port,
        base_url: format!("http://127.0.0.1:{port}"),
        jwt_secret: Secret::new("test-secret-test-secret-test-secret-0123"),
        // A year: tests move the clock on by weeks and keep their sign-ins. Expiry has a
        // test of its own, with the usual length.
        session_hours: 24 * 366,
        http_workers: 1,
        db_pool_size: 4,
        // Public pages check their version on every request: a test reads a page right
        // after the action that changed it. The interval has a test of its own.
        public_cache_check_ms: 0,
        // Sessions (and the data version read with them) are read on every request: some
        // tests change the database directly, or through another instance, and read a page
        // right after. Keeping them for a moment has tests of its own.
        session_cache_ms: 0,
        // Tests advance the worker themselves (`run_worker_step`), so no background pass
        // decides what they see.
        worker: false,
        // Tests sign many people up from one address; the limits have tests of their own.
        account_mail_limit_per_client: 10_000,
        ..Settings::default()
    };
    tweak(&mut settings);
    let settings = settings.finish().unwrap();
    let started = yichuang::app::start_with_clock(settings.clone(), listener, Clock::movable())
        .await
        .expect("app starts");
    actix_rt::spawn(started.server);
    let jar = Arc::new(Jar::default());
    TestApp {
        addr: format!("http://127.0.0.1:{port}"),
        pool: started.pool,
        settings,
        client: new_client(jar),
        admin: started
            .first_admin
            .expect("fresh database creates an admin"),
        clock: started.clock,
        pg_db,
        _dir: dir,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(name) = self.pg_db.take() {
            let base = pg_base_url();
            let _ = std::thread::spawn(move || {
                use diesel::{Connection, RunQueryDsl};
                if let Ok(mut c) = diesel::PgConnection::establish(&base) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut c);
                }
            })
            .join();
        }
    }
}

/// A separate browser (its own cookies) on the same app.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub fn browser(&self) -> Browser {
        let jar = Arc::new(Jar::default());
        Browser {
            client: new_client(jar.clone()),
            jar,
        }
    }

    /// Blocking database work for assertions, on the app's clock.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool.clone();
        let clock = self.clock.clone();
        tokio::task::spawn_blocking(move || clock.enter(|| f(&mut pool.get().unwrap())))
            .await
            .unwrap()
    }

    /// Runs one pass of the background worker (rounds closed, reminders queued,
    /// housekeeping, outbox sent) and returns what it did; a failing task fails the test.
    pub async fn run_worker_step(&self) -> yichuang::jobs::StepReport {
        let settings = Arc::new(self.settings.clone());
        let transport = yichuang::mail::transport::Transport::from_settings(&settings).unwrap();
        let report = yichuang::jobs::step(
            &self.pool,
            &settings,
            &transport,
            &self.clock,
            yichuang::jobs::Tasks::ALL,
        )
        .await;
        assert!(report.errors.is_empty(), "worker step failed: {report:?}");
        report
    }

    /// Runs `f` on a connection of its own and counts the transactions it begins.
    pub async fn count_transactions<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut db::DbConn) -> T + Send + 'static,
    ) -> (T, usize) {
        use diesel::connection::{Connection, InstrumentationEvent};
        use diesel::r2d2::ManageConnection;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let url = self.settings.database_url.expose().to_string();
        let clock = self.clock.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db::DbManager::new(&url).connect().unwrap();
            let begun = Arc::new(AtomicUsize::new(0));
            let counter = begun.clone();
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if matches!(event, InstrumentationEvent::BeginTransaction { .. }) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            let out = clock.enter(|| f(&mut conn));
            (out, begun.load(Ordering::SeqCst))
        })
        .await
        .unwrap()
    }

    pub async fn emails_to(&self, email: &str) -> Vec<db::outbox::OutboxRow> {
        let e = email.to_string();
        self.db(move |c| db::outbox::to_address(c, &e).unwrap())
            .await
    }

    pub async fn last_email_to(&self, email: &str) -> db::outbox::OutboxRow {
        self.emails_to(email)
            .await
            .pop()
            .unwrap_or_else(|| panic!("no email to {email}"))
    }

    /// The token of the last link to `path` mailed to `email`.
    pub async fn token_from_email(&self, email: &str, path: &str) -> String {
        let body = self.last_email_to(email).await.body_text;
        let marker = format!("{path}?token=");
        let start = body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {path} link in: {body}"))
            + marker.len();
        body[start..].split_whitespace().next().unwrap().to_string()
    }

    /// Confirms the objection whose link was last mailed to `email` (through the API, as its
    /// author would); returns the objection's id.
    pub async fn confirm_objection(&self, email: &str) -> i64 {
        let token = self.token_from_email(email, "/objections/confirm").await;
        let (s, v) = self
            .post("/api/v1/objections/confirm", None, json!({"token": token}))
            .await;
        assert_eq!(s, StatusCode::OK, "confirming the objection: {v}");
        v["id"].as_i64().unwrap()
    }

    pub async fn audit_actions(&self, entity_type: &str, id: i64) -> Vec<String> {
        let t = entity_type.to_string();
        self.db(move |c| {
            db::audit::for_entity(c, &t, id, 100)
                .unwrap()
                .into_iter()
                .map(|r| r.action)
                .collect()
        })
        .await
    }

    // ----- API -----

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.api(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.api(reqwest::Method::GET, path, token, None).await
    }

    /// Posts one file as the multipart field `file`.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        name: &str,
        bytes: &[u8],
    ) -> (StatusCode, Value) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn token(&self, email: &str, password: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/auth/token",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {email}: {v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Creates an account the way `yichuang user add` does, replaces the one-time password,
    /// and returns a bearer token.
    pub async fn staff(&self, role: Role, email: &str, bureau: Option<&str>) -> String {
        let (e, b) = (email.to_string(), bureau.map(str::to_string));
        let otp = self
            .db(move |c| {
                yichuang::ops::accounts::create_with_password(
                    c,
                    role,
                    &e,
                    "Staff Member",
                    b.as_deref(),
                )
                .unwrap()
            })
            .await;
        let t = self.token(email, &otp).await;
        let (s, v) = self
            .post(
                "/api/v1/me/password",
                Some(&t),
                json!({"current_password": otp, "new_password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn officer(&self) -> String {
        self.staff(Role::Officer, "officer@gusu.gov.cn", Some("姑苏区民政局"))
            .await
    }

    pub async fn admin_token(&self) -> String {
        let (email, otp) = self.admin.clone();
        let t = self.token(&email, &otp).await;
        let (s, v) = self
            .post(
                "/api/v1/me/password",
                Some(&t),
                json!({"current_password": otp, "new_password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Signs up and verifies an NGO member through the API; returns a bearer token.
    pub async fn ngo_member(&self, email: &str) -> String {
        let (s, v) = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": email, "name": "李明", "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let token = self.token_from_email(email, "/verify-email").await;
        let (s, v) = self
            .post("/api/v1/auth/verify-email", None, json!({"token": token}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Registers (and, with `officer`, verifies) an NGO for a member; returns its id.
    pub async fn ngo_org(&self, member: &str, serial: u32, officer: Option<&str>) -> i64 {
        let (s, v) = self
            .post("/api/v1/orgs", Some(member), org_json(self, serial))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        if let Some(o) = officer {
            let (s, v) = self
                .post(&format!("/api/v1/orgs/{id}/verify"), Some(o), json!({}))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        id
    }
}

/// An organization's registration, with its annual inspections qualified up to this year on
/// the app's clock (so that it stays eligible when a test moves the clock into the next year).
pub fn org_json(app: &TestApp, serial: u32) -> Value {
    use chrono::Datelike;
    let y = app.clock.today().year();
    json!({
        "name": format!("姑苏区阳光社工服务中心{serial}"),
        "reg_type": "social_service",
        "uscc": uscc(serial),
        "registered_on": "2020-05-01",
        "reg_authority": "苏州市姑苏区民政局",
        "legal_rep": "王芳",
        "contact_name": "李明",
        "contact_phone": "0512-65230000",
        "contact_email": "contact@yangguang.org.cn",
        "address": "人民路100号",
        "district": "姑苏区",
        "street": "平江街道",
        "grade": "4A",
        "grade_date": "2024-06-30",
        "inspections": [
            {"year": y, "result": "qualified"},
            {"year": y - 1, "result": "qualified"},
            {"year": y - 2, "result": "qualified"}
        ]
    })
}

impl Browser {
    pub fn cookie(&self, base: &str, name: &str) -> Option<String> {
        let url = base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Response {
        self.client.get(app.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let r = self.get(app, path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token of this browser's forms, read from a page the way a browser gets it
    /// (it is bound to the session when signed in, to the `yc_csrf` cookie otherwise).
    pub async fn csrf(&self, app: &TestApp) -> String {
        let (_, page) = self.get_text(app, "/signup").await;
        csrf_of(&page)
    }

    /// Posts a form with the CSRF token of this browser's current session.
    pub async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf(app).await;
        let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, app: &TestApp, email: &str, password: &str) -> Response {
        self.post_form(app, "/login", &[("email", email), ("password", password)])
            .await
    }
}

/// The CSRF token of the first form of a page.
pub fn csrf_of(page: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF field in: {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// The text of a page's HTML with the tags taken out and the spaces collapsed.
pub fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The cells (as plain text) of each body row of the table with the given id.
pub fn table_rows(page: &str, id: &str) -> Vec<Vec<String>> {
    let start = page
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no table {id} in: {page}"));
    let table = &page[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|c| plain(&format!("<td{c}")))
                .collect()
        })
        .collect()
}

/// The plain text of the element with the given id (up to its first nested tag).
pub fn text_of(page: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}">"#);
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no element {id} in: {page}"))
        + marker.len();
    page[start..].split('<').next().unwrap().trim().to_string()
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The text of a PDF, as `pdftotext` (poppler-utils) extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    String::from_utf8(out.stdout).unwrap()
}

/// Every cell of the first sheet of an xlsx workbook, as calamine reads it back.
pub fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// The text of every cell of an xlsx workbook's first sheet (numbers as calamine shows
/// them: 25000, 51.7), one row a line, cells separated by tabs.
pub fn xlsx_strings(bytes: &[u8]) -> String {
    xlsx_rows(bytes)
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A part of an xlsx file (`xl/worksheets/sheet1.xml`, `xl/styles.xml`), read with Python's
/// zipfile.
pub fn xlsx_part(bytes: &[u8], part: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())")
        .arg(&path)
        .arg(part)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}
