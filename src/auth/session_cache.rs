//! Live sessions kept in memory for a bounded moment (`session_cache_ms`), so that a request
//! whose answer is already kept (`web::reader_cache`) costs no database round trip at all.
//!
//! What a request learns from its session is the account (role, status, token version,
//! unread count), the session's expiry and the data version read with it. An entry is used
//! again only while all of these hold:
//! - it is younger than the moment, by the instance's monotonic clock and by the app's clock
//!   (a test's movable clock moving on ends it too);
//! - this instance answered no request that may have written since it was read: every
//!   request with a method other than `GET` or `HEAD` moves [`SessionCache::writes`] when it
//!   is answered, before its answer leaves (`web::writes_layer`), as do the two `GET`s that
//!   write (the language switch and the email confirmation link); so a sign-out, a password
//!   change, a deactivation, a message read or an officer's action is seen by the very next
//!   request to this instance, and post/redirect/get never shows a page from before the post;
//! - the session has not expired.
//!
//! What is written elsewhere — by another instance, or by the background worker (reminders,
//! in-app messages) — is seen here within the moment: that is the lag of a sign-out or a
//! deactivation made on another instance, and of a kept answer after a change made there (as
//! with the public pages' `public_cache_check_ms`). Only live sessions are kept; a token
//! that is refused is looked up every time (and a forged one never reaches the database).
//! Bounded: at most [`MAX_ENTRIES`] sessions per instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::db::sessions::Live;

/// Sessions kept per instance at most.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Clone)]
struct Entry {
    live: Live,
    /// [`SessionCache::writes`] before the lookup.
    writes: u64,
    read_at: Instant,
    read_at_clock: NaiveDateTime,
}

/// One instance's kept sessions.
pub struct SessionCache {
    moment: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    writes: AtomicU64,
}

impl SessionCache {
    /// Sessions kept for `moment`; zero keeps none.
    pub fn new(moment: Duration) -> Self {
        SessionCache {
            moment,
            entries: Mutex::default(),
            writes: AtomicU64::new(0),
        }
    }

    /// How many requests that may have written this instance has answered (module docs).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Counts a request that may have written: every session read before it is read again.
    pub fn note_write(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    pub fn enabled(&self) -> bool {
        !self.moment.is_zero()
    }

    fn fresh(&self, e: &Entry, writes: u64, now: NaiveDateTime) -> bool {
        let age = now - e.read_at_clock;
        e.writes == writes
            && e.read_at.elapsed() < self.moment
            && age >= chrono::Duration::zero()
            && age.to_std().is_ok_and(|a| a < self.moment)
            && e.live.expires_at > now
    }

    /// The session `id` as read at most a moment ago, if nothing was written here since
    /// (`writes` is [`SessionCache::writes`] now; `now` the app's clock).
    pub fn get(&self, id: &str, writes: u64, now: NaiveDateTime) -> Option<Live> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries.lock().expect("session cache lock");
        entries
            .get(id)
            .filter(|e| self.fresh(e, writes, now))
            .map(|e| e.live.clone())
    }

    /// Keeps what a lookup read; `writes` is [`SessionCache::writes`] taken *before* the
    /// lookup, so a write answered while it ran makes the entry stale at once.
    pub fn put(&self, id: &str, mut live: Live, writes: u64, now: NaiveDateTime) {
        if !self.enabled() {
            return;
        }
        // Nothing a request needs, and nothing to keep in memory longer than the lookup.
        live.user.password_hash = None;
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(id) {
            entries.retain(|_, e| self.fresh(e, writes, now));
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(
            id.to_string(),
            Entry {
                live,
                writes,
                read_at: Instant::now(),
                read_at_clock: now,
            },
        );
    }

    /// Sessions kept now.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("session cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::users::UserRow;
    use crate::domain::account::{Role, UserStatus};

    fn live(expires_at: NaiveDateTime) -> Live {
        Live {
            user: UserRow {
                id: 1,
                email: "a@example.org".into(),
                name: "A".into(),
                role: Role::Officer,
                password_hash: Some("secret".into()),
                status: UserStatus::Active,
                email_verified_at: None,
                token_version: 1,
                must_change_password: false,
                locale: "zh".into(),
                org_id: None,
                bureau_id: Some(1),
                created_at: expires_at,
                updated_at: expires_at,
                unread_messages: 0,
            },
            last_seen: expires_at,
            expires_at,
            version: 7,
        }
    }

    fn at(s: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + s, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn an_entry_lives_a_moment_and_dies_with_any_local_write() {
        let c = SessionCache::new(Duration::from_secs(60));
        c.put("s", live(at(3600)), 5, at(0));
        let kept = c.get("s", 5, at(0)).unwrap();
        assert_eq!(kept.version, 7);
        assert_eq!(kept.user.password_hash, None);
        assert!(c.get("s", 5, at(30)).is_some());
        // Another session, a write since, the app's clock past the moment or moved back,
        // or the session expired: looked up again.
        assert!(c.get("t", 5, at(0)).is_none());
        assert!(c.get("s", 6, at(0)).is_none());
        assert!(c.get("s", 5, at(60)).is_none());
        assert!(c.get("s", 5, at(-1)).is_none());
        c.put("e", live(at(10)), 5, at(0));
        assert!(c.get("e", 5, at(9)).is_some());
        assert!(c.get("e", 5, at(10)).is_none());
    }

    #[test]
    fn off_keeps_nothing_and_on_stays_bounded() {
        let off = SessionCache::new(Duration::ZERO);
        off.put("s", live(at(3600)), 0, at(0));
        assert!(off.is_empty());
        let c = SessionCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            c.put(&format!("s{i}"), live(at(3600)), 1, at(0));
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        assert!(c.get("s0", 1, at(0)).is_some());
        assert!(c.get(&format!("s{MAX_ENTRIES}"), 1, at(0)).is_none());
        // Entries made stale by a write make room for new ones.
        c.put("new", live(at(3600)), 2, at(0));
        assert!(c.get("new", 2, at(0)).is_some());
        assert_eq!(c.len(), 1);
    }
}
