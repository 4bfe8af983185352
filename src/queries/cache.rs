//! Derived figures kept between requests: the ranking of a round and the totals of a
//! project table, which cost the whole round or bureau to compute but change only when
//! someone acts.
//!
//! Every state change appends to the audit log in its own transaction, and the append moves
//! the log's head (`audit_head.entries`) under a row lock (DESIGN §3). That count is the data
//! version: a kept value is served while the version it was computed at is current, so a
//! change made by any instance is seen by every instance with one primary-key read. The
//! version is read before the data it keys, so a value is never older than its version
//! (at worst newer, which costs one more computation).
//!
//! One computation runs per key at a time: readers that miss together wait for the first
//! one's result instead of each loading the whole round. The cache holds at most
//! [`MAX_ENTRIES`] values per kind and forgets the least recently used.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use crate::db::projects::{self, ProjectFilter};
use crate::db::DbConn;
use crate::error::AppError;

/// Values kept per kind.
pub const MAX_ENTRIES: usize = 32;

/// The data version: the audit log's length, moved by every audited change.
pub fn data_version(conn: &mut DbConn) -> Result<i64, AppError> {
    crate::db::audit::head_entries(conn)
}

struct Slot<V> {
    version: i64,
    value: Arc<V>,
    used: u64,
}

struct Inner<K, V> {
    slots: HashMap<K, Slot<V>>,
    /// One lock per key being computed, so that readers missing together compute once.
    computing: HashMap<K, Arc<Mutex<()>>>,
    tick: u64,
}

/// Values of one kind, each kept with the data version it was computed at.
pub struct Versioned<K, V> {
    /// The `kind` label of the `yichuang_read_cache_total` metric.
    kind: &'static str,
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Versioned<K, V> {
    pub fn new(kind: &'static str, capacity: usize) -> Self {
        Versioned {
            kind,
            inner: Mutex::new(Inner {
                slots: HashMap::new(),
                computing: HashMap::new(),
                tick: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    fn lookup(&self, key: &K, version: i64) -> Option<Arc<V>> {
        let mut inner = self.inner.lock().expect("cache lock");
        inner.tick += 1;
        let tick = inner.tick;
        let slot = inner.slots.get_mut(key).filter(|s| s.version == version)?;
        slot.used = tick;
        Some(slot.value.clone())
    }

    fn store(&self, key: K, version: i64, value: Arc<V>) {
        let mut inner = self.inner.lock().expect("cache lock");
        inner.tick += 1;
        let used = inner.tick;
        // A slower reader must not replace a newer value with an older one.
        if inner.slots.get(&key).is_some_and(|s| s.version > version) {
            return;
        }
        if !inner.slots.contains_key(&key) && inner.slots.len() >= self.capacity {
            let oldest = inner
                .slots
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                inner.slots.remove(&k);
            }
        }
        inner.slots.insert(
            key,
            Slot {
                version,
                value,
                used,
            },
        );
    }

    /// The value of `key` at data version `version`: kept, or computed by `compute` (once,
    /// however many readers ask together) and kept.
    pub fn get_or_compute(
        &self,
        key: &K,
        version: i64,
        compute: impl FnOnce() -> Result<V, AppError>,
    ) -> Result<Arc<V>, AppError> {
        if let Some(v) = self.lookup(key, version) {
            self.record("hit");
            return Ok(v);
        }
        let gate = {
            let mut inner = self.inner.lock().expect("cache lock");
            inner.computing.entry(key.clone()).or_default().clone()
        };
        let result = {
            let _turn = gate.lock().unwrap_or_else(|e| e.into_inner());
            // Whoever held the turn before may have computed it.
            match self.lookup(key, version) {
                Some(v) => {
                    self.record("shared");
                    Ok(v)
                }
                None => compute().map(|v| {
                    self.record("miss");
                    let v = Arc::new(v);
                    self.store(key.clone(), version, v.clone());
                    v
                }),
            }
        };
        let mut inner = self.inner.lock().expect("cache lock");
        // Only this gate's holders share it: forget it once nobody else waits on it.
        if Arc::strong_count(&gate) <= 2 {
            inner.computing.remove(key);
        }
        result
    }

    fn record(&self, result: &'static str) {
        metrics::counter!("yichuang_read_cache_total", "kind" => self.kind, "result" => result)
            .increment(1);
    }

    /// Values kept now.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("cache lock").slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a dashboard adds up over its projects, and by beneficiary group.
pub type FigureTotals = (
    crate::db::projects::Totals,
    Vec<crate::db::projects::GroupTotal>,
);

/// A round's reviews by reviewer and status: (reviewer, status, count).
pub type ReviewTallies = Vec<(i64, String, i64)>;

/// The read side's kept values, one per instance (held by the web state).
pub struct ReadCache {
    /// A round's whole ranking and funding line.
    pub rankings: Versioned<i64, super::decision::Ranking>,
    /// A project table's totals, by filter and Beijing date (what is overdue follows the day).
    totals: Versioned<(ProjectFilter, NaiveDate), FigureTotals>,
    /// How many projects a filter selects and their grants added up.
    counts: Versioned<ProjectFilter, (i64, i64)>,
    /// A list's count, keyed by the list and its filter.
    list_counts: Versioned<String, i64>,
    /// A round's reviews by reviewer and status: (reviewer, status, count).
    review_tallies: Versioned<i64, ReviewTallies>,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            rankings: Versioned::new("ranking", MAX_ENTRIES),
            totals: Versioned::new("project_totals", MAX_ENTRIES * 8),
            counts: Versioned::new("project_count", MAX_ENTRIES * 8),
            list_counts: Versioned::new("list_count", MAX_ENTRIES * 8),
            review_tallies: Versioned::new("review_tallies", MAX_ENTRIES),
        }
    }
}

impl ReadCache {
    /// The stored figures of the filter's projects added up on `day`, kept.
    pub fn project_totals(
        &self,
        conn: &mut DbConn,
        f: &ProjectFilter,
        day: NaiveDate,
    ) -> Result<Arc<FigureTotals>, AppError> {
        let version = data_version(conn)?;
        self.totals.get_or_compute(&(f.clone(), day), version, || {
            projects::figure_totals(conn, f, day)
        })
    }

    /// A list's count, kept under `key` (which names the list and its whole filter).
    pub fn list_count(
        &self,
        conn: &mut DbConn,
        key: String,
        count: impl FnOnce(&mut DbConn) -> Result<i64, AppError>,
    ) -> Result<i64, AppError> {
        let version = data_version(conn)?;
        Ok(*self
            .list_counts
            .get_or_compute(&key, version, || count(conn))?)
    }

    /// A round's reviews by reviewer and status, kept.
    pub fn review_tallies(
        &self,
        conn: &mut DbConn,
        round_id: i64,
    ) -> Result<Arc<ReviewTallies>, AppError> {
        let version = data_version(conn)?;
        self.review_tallies.get_or_compute(&round_id, version, || {
            crate::db::reviews::round_counts(conn, round_id)
        })
    }

    /// How many projects the filter selects and their grants added up, kept.
    pub fn project_count(
        &self,
        conn: &mut DbConn,
        f: &ProjectFilter,
    ) -> Result<(i64, i64), AppError> {
        let version = data_version(conn)?;
        Ok(*self
            .counts
            .get_or_compute(f, version, || projects::count_and_grant(conn, f))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_value_is_served_while_its_version_is_current_and_recomputed_after() {
        let c: Versioned<i64, String> = Versioned::new("test", 4);
        let calls = AtomicUsize::new(0);
        let get = |v: i64| {
            c.get_or_compute(&1, v, || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(format!("at {v}"))
            })
            .map(|s| (*s).clone())
        };
        assert_eq!(get(7).ok(), Some("at 7".to_string()));
        assert_eq!(get(7).ok(), Some("at 7".to_string()));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(get(8).ok(), Some("at 8".to_string()));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // An older reader does not replace the newer value.
        assert_eq!(get(7).ok(), Some("at 7".to_string()));
        assert_eq!(get(8).ok(), Some("at 8".to_string()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_failed_computation_is_not_kept() {
        let c: Versioned<i64, i64> = Versioned::new("test", 4);
        let failed = c.get_or_compute(&1, 1, || Err(AppError::NotFound));
        assert!(matches!(failed, Err(AppError::NotFound)));
        assert!(c.is_empty());
        assert_eq!(c.get_or_compute(&1, 1, || Ok(5)).ok().map(|v| *v), Some(5));
    }

    #[test]
    fn the_least_recently_used_value_is_forgotten_first() {
        let c: Versioned<i64, i64> = Versioned::new("test", 2);
        for k in [1, 2] {
            c.get_or_compute(&k, 1, || Ok(k)).ok();
        }
        c.get_or_compute(&1, 1, || Ok(-1)).ok(); // 1 is used again; 2 is the oldest
        c.get_or_compute(&3, 1, || Ok(3)).ok();
        assert_eq!(c.len(), 2);
        assert_eq!(c.get_or_compute(&1, 1, || Ok(-1)).ok().map(|v| *v), Some(1));
        assert_eq!(
            c.get_or_compute(&2, 1, || Ok(-2)).ok().map(|v| *v),
            Some(-2)
        );
    }

    #[test]
    fn readers_that_miss_together_compute_once() {
        let c = Arc::new(Versioned::<i64, i64>::new("test", 4));
        let calls = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (c, calls) = (c.clone(), calls.clone());
                std::thread::spawn(move || {
                    c.get_or_compute(&1, 1, || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(42)
                    })
                    .ok()
                    .map(|v| *v)
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().ok().flatten(), Some(42));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
