//! Officers' unchanged pages and API answers, kept as bytes (DESIGN §3 "speed is a feature").
//!
//! An officer's lists and dashboards (the 工作台 with its work queue, the submissions, the
//! ranking, the review board, the project tables and a project) are what a live round reads
//! again and again, and they cost a few indexed queries and a template each. What they show
//! is a function of the data, the reader and the clock's minute:
//! - the data moves only through audited changes, and every audited change moves the data
//!   version (`queries::cache::data_version`, the audit log's length, one primary-key read,
//!   shared by every instance);
//! - the reader is their session (its CSRF token is in the forms), their language and their
//!   unread message count (the navigation's badge, which reading a message moves without an
//!   audit entry);
//! - what follows the clock (days left, overdue) changes at most once a minute.
//!
//! So an answer is kept under (session, URI, language, unread count) with the version and the
//! minute it was made at, and served again while both are current. The version is read with
//! the session, in the same round trip, or taken with the session from
//! `auth::session_cache` when this instance read it a moment ago and answered no request that
//! may have written since: signing out, a password change or a deactivation on this instance
//! ends a kept answer's life at once, like its session's; made on another instance, they and
//! any change there reach this one within `session_cache_ms`.
//!
//! Only officers' answers are kept: an organization's drafts or a reviewer's sheets are theirs
//! to change in ways officers never see, and the administrator's pages show the outbox, which
//! the worker changes without an audit entry. Only `GET` answers that are 200 with an HTML or
//! JSON body, that set no cookie and carry no one-time notice, are kept. Bounded: at most
//! `reader_cache_mb` of bodies and [`MAX_ENTRIES`] answers per instance; when full, answers of
//! an older version or minute are dropped, and if it is still full a new answer is served
//! without being kept.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpResponse};

use super::{AppState, FLASH_COOKIE};
use crate::auth::extract::{self, DataVersion, SessionUser, WantsVersion, SESSION_COOKIE};
use crate::domain::account::Role;
use crate::i18n::Lang;

/// Answers kept per instance at most.
pub const MAX_ENTRIES: usize = 4096;
/// A body larger than this (or of unknown length) is served but not kept.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The officer's pages and API answers that are kept (`{}` is a numeric id).
const KEPT: &[&str] = &[
    "/dashboard",
    "/dashboard/projects",
    "/projects",
    "/projects/{}",
    "/rounds/{}/submissions",
    "/rounds/{}/decision",
    "/rounds/{}/review",
    "/rounds/{}/dashboard",
    "/api/v1/me/tasks",
    "/api/v1/projects",
    "/api/v1/projects/{}",
    "/api/v1/dashboard/projects",
    "/api/v1/rounds/{}/dashboard",
    "/api/v1/rounds/{}/submissions",
    "/api/v1/rounds/{}/ranking",
    "/api/v1/rounds/{}/assignments",
];

/// Whether `path` is one of [`KEPT`].
fn is_kept(path: &str) -> bool {
    KEPT.iter().any(|pattern| {
        let mut want = pattern.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some("{}"), Some(seg)) => {
                    if seg.is_empty() || seg.len() > 18 || !seg.bytes().all(|b| b.is_ascii_digit())
                    {
                        return false;
                    }
                }
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    session: String,
    uri: String,
    lang: Lang,
    unread: i32,
}

#[derive(Clone)]
struct Entry {
    version: i64,
    minute: i64,
    content_type: HeaderValue,
    /// The list headers of an API page (`X-Total-Count`, `Link`).
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    bytes: usize,
}

/// One instance's kept answers.
pub struct ReaderCache {
    entries: Mutex<Entries>,
    max_bytes: usize,
}

impl ReaderCache {
    /// A cache of at most `mb` megabytes of bodies; 0 keeps nothing.
    pub fn new(mb: usize) -> Self {
        ReaderCache {
            entries: Mutex::default(),
            max_bytes: mb.saturating_mul(1024 * 1024),
        }
    }

    fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    fn get(&self, key: &Key, version: i64, minute: i64) -> Option<Entry> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .map
            .get(key)
            .filter(|e| e.version == version && e.minute == minute)
            .cloned()
    }

    fn put(&self, key: Key, entry: Entry) {
        let size = entry.body.len();
        let mut entries = self.entries.lock().expect("cache lock");
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.body.len();
        }
        let full = |e: &Entries| e.map.len() >= MAX_ENTRIES || e.bytes + size > self.max_bytes;
        if full(&entries) {
            let (version, minute) = (entry.version, entry.minute);
            entries
                .map
                .retain(|_, e| e.version == version && e.minute == minute);
            entries.bytes = entries.map.values().map(|e| e.body.len()).sum();
        }
        if !full(&entries) {
            entries.bytes += size;
            entries.map.insert(key, entry);
        }
    }

    /// Answers kept now.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("cache lock").map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn record(result: &'static str) {
    metrics::counter!("yichuang_reader_cache_total", "result" => result).increment(1);
}

/// Who is asking, if the request is one whose answer may be kept: the session id, the
/// reader's language and unread count, and the data version read with the session.
async fn reader(req: &ServiceRequest) -> Option<(Key, i64)> {
    let http = req.request();
    http.extensions_mut().insert(WantsVersion);
    let (session, actor, unread) = if http.path().starts_with("/api/") {
        let caller = extract::bearer_caller(http).await.ok()?;
        (caller.session_id, caller.actor, caller.unread_messages)
    } else {
        http.cookie(SESSION_COOKIE)?;
        let SessionUser(actor, must_change, session) = extract::session_user(http).await.ok()?;
        if must_change {
            return None;
        }
        let unread = http
            .extensions()
            .get::<extract::UnreadMessages>()
            .map_or(0, |u| u.0);
        (session?, actor?, unread)
    };
    if actor.role != Role::Officer {
        return None;
    }
    let version = http.extensions().get::<DataVersion>()?.0;
    let uri = match http.query_string() {
        "" => http.path().to_string(),
        q => format!("{}?{q}", http.path()),
    };
    let key = Key {
        session,
        uri,
        lang: super::lang_of(http, Some(&actor)),
        unread,
    };
    Some((key, version))
}

/// Serves an officer's kept answer, or keeps the fresh one (module docs).
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let candidate = req.method() == Method::GET
        && is_kept(req.path())
        && req.cookie(FLASH_COOKIE).is_none()
        && state.as_ref().is_some_and(|s| s.reader_cache.enabled());
    let (Some(state), true) = (state, candidate) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some((key, version)) = reader(&req).await else {
        record("bypass");
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let minute = crate::db::now().and_utc().timestamp().div_euclid(60);
    if let Some(kept) = state.reader_cache.get(&key, version, minute) {
        record("hit");
        let mut res = HttpResponse::Ok();
        res.insert_header((header::CONTENT_TYPE, kept.content_type))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header(("x-cache", "hit"));
        for h in kept.headers {
            res.insert_header(h);
        }
        return Ok(req.into_response(res.body(kept.body)));
    }
    let res = next.call(req).await?;
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .filter(|v| {
            v.to_str()
                .is_ok_and(|t| t.starts_with("text/html") || t.starts_with("application/json"))
        })
        .cloned();
    let small = matches!(
        res.response().body().size(),
        body::BodySize::Sized(n) if n <= MAX_BODY_BYTES as u64
    );
    let keep = small
        && res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res.headers().contains_key(header::CONTENT_DISPOSITION)
        && res
            .response()
            .extensions()
            .get::<crate::error::AppError>()
            .is_none();
    let (Some(content_type), true) = (content_type, keep) else {
        record("bypass");
        return Ok(res.map_into_boxed_body());
    };
    let (http, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    record("miss");
    let headers = ["x-total-count", "link"]
        .iter()
        .filter_map(|n| {
            let name = HeaderName::from_static(n);
            res.headers().get(&name).map(|v| (name, v.clone()))
        })
        .collect();
    state.reader_cache.put(
        key,
        Entry {
            version,
            minute,
            content_type,
            headers,
            body: bytes.clone(),
        },
    );
    let mut res = res.set_body(BoxBody::new(bytes));
    res.headers_mut().insert(
        HeaderName::from_static("x-cache"),
        HeaderValue::from_static("miss"),
    );
    Ok(ServiceResponse::new(http, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(uri: &str) -> Key {
        Key {
            session: "s".into(),
            uri: uri.into(),
            lang: Lang::default(),
            unread: 0,
        }
    }

    fn entry(version: i64, minute: i64, size: usize) -> Entry {
        Entry {
            version,
            minute,
            content_type: HeaderValue::from_static("text/html"),
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; size]),
        }
    }

    #[test]
    fn kept_paths_match_whole_segments_and_numeric_ids() {
        assert!(is_kept("/dashboard"));
        assert!(is_kept("/rounds/12/decision"));
        assert!(is_kept("/api/v1/projects/7"));
        assert!(!is_kept("/rounds/x/decision"));
        assert!(!is_kept("/rounds//decision"));
        assert!(!is_kept("/rounds/12/decision/extra"));
        assert!(!is_kept("/dashboard/projects.csv"));
        assert!(!is_kept("/messages"));
        assert!(!is_kept("/rounds/1234567890123456789/decision"));
    }

    #[test]
    fn an_answer_serves_only_its_version_and_minute() {
        let c = ReaderCache::new(1);
        c.put(key("/a"), entry(3, 10, 5));
        assert!(c.get(&key("/a"), 3, 10).is_some());
        assert!(c.get(&key("/a"), 4, 10).is_none());
        assert!(c.get(&key("/a"), 3, 11).is_none());
        let other_session = Key {
            session: "t".into(),
            ..key("/a")
        };
        assert!(c.get(&other_session, 3, 10).is_none());
        let unread = Key {
            unread: 1,
            ..key("/a")
        };
        assert!(c.get(&unread, 3, 10).is_none());
    }

    #[test]
    fn a_full_cache_drops_older_answers_and_stays_within_its_bytes() {
        let c = ReaderCache::new(1);
        let third = 1024 * 1024 / 3;
        c.put(key("/a"), entry(1, 1, third));
        c.put(key("/b"), entry(1, 1, third));
        c.put(key("/c"), entry(1, 1, third));
        assert_eq!(c.len(), 3);
        // A newer version makes room by dropping the older answers.
        c.put(key("/d"), entry(2, 1, third));
        assert_eq!(c.len(), 1);
        c.put(key("/e"), entry(2, 1, third));
        c.put(key("/f"), entry(2, 1, third));
        // Full of current answers: the next one is not kept.
        c.put(key("/g"), entry(2, 1, third));
        assert_eq!(c.len(), 3);
        assert!(c.get(&key("/g"), 2, 1).is_none());
        let bytes = c.entries.lock().expect("cache lock").bytes;
        assert!(bytes <= 1024 * 1024);
        // Off: nothing is kept.
        assert!(!ReaderCache::new(0).enabled());
    }
}
