//! The public pages (home, calls, notices, results) and their API twins, cached as rendered
//! bytes in memory. They change only when an officer acts, and every such action bumps the
//! version in the database in its own transaction ([`crate::db::public`]); an instance reads
//! that version at most every `public_cache_check_ms` and renders a page again only when the
//! version, the reader's language or the minute changed. The minute is part of the entry
//! because some of what the pages say follows the clock (a call is open until its deadline,
//! a notice takes objections until it ends): deadlines fall on whole minutes, so a page is
//! never stale across one.
//!
//! Only anonymous readers are served from the cache: a signed-in page carries its reader's
//! name and menu. The one per-browser part of an anonymous page, the objection form's CSRF
//! token, is rendered as a placeholder and filled in on the way out.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::{AppState, PageCtx};
use crate::auth::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Lang;

/// Stands for the reader's CSRF token in cached bytes (a token is URL-safe base64, so it
/// never contains `:`).
const CSRF_PLACEHOLDER: &str = "yc:csrf:placeholder";
/// Seconds a browser or proxy may reuse an anonymous public response.
pub const MAX_AGE_SECS: u32 = 60;
/// Bounds of one instance's cache.
const MAX_ENTRIES: usize = 2048;
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Which public page (or API answer) an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub page: &'static str,
    pub id: Option<i64>,
    pub lang: Lang,
    /// Which page of a paged list (page, rows per page); (0, 0) for a whole page.
    pub part: (i64, i64),
}

impl Key {
    pub fn new(page: &'static str, id: Option<i64>, lang: Lang) -> Self {
        Key {
            page,
            id,
            lang,
            part: (0, 0),
        }
    }

    /// The key of one page of a paged list.
    pub fn paged(self, p: &crate::db::PageReq) -> Self {
        Key {
            part: (p.page, p.per_page),
            ..self
        }
    }
}

/// The pages of a public list that are kept: the first ones at the default size. Any other
/// page is answered fresh (one bounded query), so that a stranger asking for page after page
/// cannot crowd the readers' pages out of the cache.
const CACHED_LIST_PAGES: i64 = 20;

/// Whether a page of a list is one of those kept.
fn kept(p: &crate::db::PageReq) -> bool {
    p.per_page == crate::db::PageReq::DEFAULT_PER_PAGE && p.page <= CACHED_LIST_PAGES
}

struct Entry {
    version: i64,
    minute: i64,
    body: String,
    content_type: &'static str,
    /// The validator shared by every instance: the same page, language, version and minute
    /// render the same bytes.
    etag: String,
    rendered_at: NaiveDateTime,
    has_csrf: bool,
    /// The number of rows over all pages, for a page of a list.
    total: Option<i64>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Arc<Entry>>,
    bytes: usize,
}

/// One instance's cache of public pages.
pub struct PublicCache {
    entries: Mutex<Entries>,
    /// The version last read from the database, and when.
    checked: Mutex<Option<(i64, Instant)>>,
    check_every: Duration,
}

impl PublicCache {
    pub fn new(check_every: Duration) -> Self {
        PublicCache {
            entries: Mutex::default(),
            checked: Mutex::default(),
            check_every,
        }
    }

    /// The public version: from memory when read less than `check_every` ago, else with one
    /// indexed read.
    async fn version(&self, state: &AppState) -> Result<i64, AppError> {
        if let Some((v, at)) = *self.checked.lock().expect("cache lock") {
            if at.elapsed() < self.check_every {
                return Ok(v);
            }
        }
        let v = crate::db::run(&state.pool, crate::db::public::version).await?;
        *self.checked.lock().expect("cache lock") = Some((v, Instant::now()));
        Ok(v)
    }

    fn get(&self, key: &Key, version: i64, minute: i64) -> Option<Arc<Entry>> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .map
            .get(key)
            .filter(|e| e.version == version && e.minute == minute)
            .cloned()
    }

    /// Keeps `entry` unless the cache is full of current entries (then it is only served).
    fn put(&self, key: Key, entry: Arc<Entry>) {
        let mut entries = self.entries.lock().expect("cache lock");
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.body.len();
        }
        if entries.map.len() >= MAX_ENTRIES || entries.bytes + entry.body.len() > MAX_BYTES {
            let (version, minute) = (entry.version, entry.minute);
            entries
                .map
                .retain(|_, e| e.version == version && e.minute == minute);
            entries.bytes = entries.map.values().map(|e| e.body.len()).sum();
        }
        if entries.map.len() < MAX_ENTRIES && entries.bytes + entry.body.len() <= MAX_BYTES {
            entries.bytes += entry.body.len();
            entries.map.insert(key, entry);
        }
    }

    /// The cached entry of `key`, or a fresh rendering kept for the next reader.
    async fn entry<F, Fut>(
        &self,
        state: &AppState,
        key: Key,
        content_type: &'static str,
        render: F,
    ) -> Result<(Arc<Entry>, bool), AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Option<i64>), AppError>>,
    {
        let version = self.version(state).await?;
        let now = crate::db::now();
        let minute = now.and_utc().timestamp().div_euclid(60);
        if let Some(e) = self.get(&key, version, minute) {
            record(key.page, "hit");
            return Ok((e, true));
        }
        record(key.page, "miss");
        let (body, total) = render().await?;
        let etag = format!(
            "\"{}-{}-{}-{}-{}-{version}-{minute}\"",
            key.page,
            key.id.unwrap_or(0),
            key.lang.code(),
            key.part.0,
            key.part.1
        );
        let entry = Arc::new(Entry {
            version,
            minute,
            has_csrf: body.contains(CSRF_PLACEHOLDER),
            body,
            content_type,
            etag,
            rendered_at: now,
            total,
        });
        self.put(key, entry.clone());
        Ok((entry, false))
    }
}

fn record(page: &'static str, result: &'static str) {
    metrics::counter!("yichuang_public_cache_total", "page" => page, "result" => result)
        .increment(1);
}

/// A public HTML page. An anonymous reader without a pending notice gets the cached bytes
/// (with their own CSRF token filled in); anyone else a fresh rendering that no cache keeps.
pub async fn page<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    ctx: PageCtx,
    page: &'static str,
    id: Option<i64>,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(PageCtx) -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let key = Key::new(page, id, ctx.lang());
    keyed_page(req, state, ctx, Some(key), render).await
}

/// One page of a public HTML list, as [`page`]: the first pages at the default size are kept
/// (each its own entry), any other page is rendered fresh for its reader and kept by no cache.
pub async fn paged_page<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    ctx: PageCtx,
    (page, id): (&'static str, Option<i64>),
    p: crate::db::PageReq,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(PageCtx) -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let key = kept(&p).then(|| Key::new(page, id, ctx.lang()).paged(&p));
    if key.is_none() {
        record(page, "bypass");
    }
    keyed_page(req, state, ctx, key, render).await
}

async fn keyed_page<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    mut ctx: PageCtx,
    key: Option<Key>,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(PageCtx) -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let key = match key {
        Some(k) if ctx.user.is_none() && ctx.flash.is_none() => k,
        other => {
            if let Some(k) = other {
                record(k.page, "bypass");
            }
            let body = render(ctx).await?;
            return Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .body(body));
        }
    };
    let token = std::mem::replace(&mut ctx.csrf, CSRF_PLACEHOLDER.to_string());
    let (entry, hit) = state
        .public_cache
        .entry(state, key, "text/html; charset=utf-8", || async move {
            Ok((render(ctx).await?, None))
        })
        .await?;
    // A page without a form needs no CSRF cookie: it is not set, and the answer can be
    // shared. A browser given its cookie by a page with a form keeps that answer to itself.
    let new_cookie = match req.extensions_mut().get_mut::<CsrfToken>() {
        Some(t) if entry.has_csrf => t.new_cookie.is_some(),
        Some(t) => {
            t.new_cookie = None;
            false
        }
        None => false,
    };
    Ok(respond(req, &entry, hit, Some(&token), new_cookie))
}

/// A public API answer (JSON); the same for every caller.
pub async fn json<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    key: Key,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let (entry, hit) = state
        .public_cache
        .entry(state, key, "application/json", || async move {
            Ok((render().await?, None))
        })
        .await?;
    Ok(respond(req, &entry, hit, None, false))
}

/// One page of a public API list (JSON array, with `X-Total-Count` and `Link` as
/// [`crate::web::paging::json_page`] gives them); `render` returns the body and the total.
/// Only the first pages at the default size are kept.
pub async fn json_page<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    key: Key,
    p: crate::db::PageReq,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(String, i64), AppError>>,
{
    let list_headers =
        |total: i64| crate::web::paging::list_headers(req, p.page, p.per_page, total);
    if !kept(&p) {
        record(key.page, "bypass");
        let (body, total) = render().await?;
        let mut res = HttpResponse::Ok();
        res.content_type("application/json")
            .insert_header(("x-cache", "bypass"));
        for h in list_headers(total) {
            res.insert_header(h);
        }
        return Ok(res.body(body));
    }
    let key = key.paged(&p);
    let (entry, hit) = state
        .public_cache
        .entry(state, key, "application/json", || async move {
            let (body, total) = render().await?;
            Ok((body, Some(total)))
        })
        .await?;
    let mut res = respond(req, &entry, hit, None, false);
    for (name, value) in list_headers(entry.total.unwrap_or(0)) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut()
                .insert(header::HeaderName::from_static(name), v);
        }
    }
    Ok(res)
}

/// A JSON body for [`json`].
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::unexpected("json", &e))
}

/// Whether `If-None-Match` names `etag` (or `*`); weak validators match too.
fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn respond(
    req: &HttpRequest,
    entry: &Entry,
    hit: bool,
    token: Option<&str>,
    new_cookie: bool,
) -> HttpResponse {
    // A page with a form differs per browser: its validator names the token, and only the
    // browser may keep it.
    let token = token.filter(|_| entry.has_csrf);
    let etag = match token {
        Some(t) => {
            let digest = hex::encode(&Sha256::digest(t.as_bytes())[..6]);
            format!("{}-{digest}\"", entry.etag.trim_end_matches('"'))
        }
        None => entry.etag.clone(),
    };
    let scope = if token.is_some() || new_cookie {
        "private"
    } else {
        "public"
    };
    let status = if matches(req, &etag) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            format!("{scope}, max-age={MAX_AGE_SECS}"),
        ))
        .insert_header((
            header::LAST_MODIFIED,
            header::HttpDate::from(std::time::SystemTime::from(entry.rendered_at.and_utc())),
        ))
        .insert_header((
            header::VARY,
            HeaderValue::from_static(
                if entry.has_csrf || entry.content_type.starts_with("text/") {
                    "Cookie, Accept-Language"
                } else {
                    "Accept-Language"
                },
            ),
        ))
        .insert_header(("x-cache", if hit { "hit" } else { "miss" }));
    if status == StatusCode::NOT_MODIFIED {
        return res.finish();
    }
    let body = match token {
        Some(t) => entry.body.replace(CSRF_PLACEHOLDER, t),
        None => entry.body.clone(),
    };
    res.content_type(entry.content_type).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: i64, minute: i64, body: &str) -> Arc<Entry> {
        Arc::new(Entry {
            version,
            minute,
            body: body.to_string(),
            content_type: "text/html; charset=utf-8",
            etag: "\"x\"".into(),
            rendered_at: NaiveDateTime::default(),
            has_csrf: false,
            total: None,
        })
    }

    #[test]
    fn an_entry_serves_only_its_version_and_minute() {
        let c = PublicCache::new(Duration::ZERO);
        let k = Key::new("calls", None, Lang::default());
        c.put(k, entry(3, 100, "a"));
        assert!(c.get(&k, 3, 100).is_some());
        assert!(c.get(&k, 4, 100).is_none());
        assert!(c.get(&k, 3, 101).is_none());
        assert!(c.get(&Key::new("calls", None, Lang::En), 3, 100).is_none());
    }

    #[test]
    fn a_full_cache_drops_stale_entries_and_stays_bounded() {
        let c = PublicCache::new(Duration::ZERO);
        for i in 0..MAX_ENTRIES as i64 {
            c.put(Key::new("call", Some(i), Lang::default()), entry(1, 1, "a"));
        }
        // Version 2: the old entries are stale and make room.
        c.put(Key::new("calls", None, Lang::default()), entry(2, 1, "b"));
        let e = c.entries.lock().expect("cache lock");
        assert_eq!(e.map.len(), 1);
        assert_eq!(e.bytes, 1);
        drop(e);
        // Full of current entries: a new one is served but not kept.
        for i in 0..MAX_ENTRIES as i64 {
            c.put(Key::new("call", Some(i), Lang::default()), entry(2, 1, "a"));
        }
        assert_eq!(c.entries.lock().expect("cache lock").map.len(), MAX_ENTRIES);
    }
}
