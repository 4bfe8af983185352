//! The append-only, hash-chained audit log. Each entry's hash covers the previous hash and
//! every field of the entry, so editing, deleting or reordering any entry breaks the chain.
//!
//! # Keyed chain
//!
//! Entries are chained with HMAC-SHA256 under the `audit_key` setting (`YICHUANG_AUDIT_KEY`,
//! or the file `<data_dir>/audit_key`), a secret kept outside the database, so write access
//! to the database alone is not enough to rewrite the log and recompute the chain.
//!
//! Entries written before the key existed (scheme `sha256`, plain SHA-256 over the same
//! fields) are kept as they are: the first start with a key seals them with a keyed entry
//! `audit.keyed` that records how many there were and the hash of the last one, and every
//! keyed entry covers the hash before it, so from then on they are protected by the keyed
//! entries after them. Unkeyed entries are accepted only as the start of the chain, and only
//! when a keyed entry follows them. Writing refuses to chain a keyed entry after an unkeyed
//! one (other than that seal), so a log rewritten into the unkeyed form is never blessed by
//! the next ordinary write.
//!
//! The key reaches [`append`] without a parameter: [`open_chain`] (called when a process
//! opens the database, see `app::open_database`) registers it under the database's random
//! chain id, which [`append`] reads in the same statement that takes the next sequence
//! number. Passing it explicitly would change the signature of every operation (`ops::*`)
//! and of all their callers; the registry keeps settings the only source of the key, costs
//! no query, and lets one process serve several databases with different keys (the tests
//! do). A database opened without [`open_chain`] cannot be written to: [`append`] fails
//! rather than write an unkeyed entry.
//!
//! # What `yichuang audit verify` detects
//!
//! Against someone who can write to the database but does not hold the key:
//! - any change to any field of an entry (keyed entries directly; sealed unkeyed entries
//!   through the keyed entries after them);
//! - deleting, inserting or reordering entries anywhere but at the newest end (sequence gaps
//!   and previous-hash links), with the number of entries verified before the first break;
//! - recomputing the chain with plain SHA-256 or any other key;
//! - turning keyed entries into unkeyed ones (an unkeyed entry after a keyed one, or unkeyed
//!   entries with no keyed entry after them);
//! - deleting the newest entries without also rewriting `audit_head`.
//!
//! What it cannot detect:
//! - deleting the newest entries (or all of them) together with a matching rewrite of
//!   `audit_head`: the chain it leaves is valid. `audit verify` prints the entry count and the
//!   head hash; keep them somewhere else (the log, a ticket, an email) and compare;
//! - anything done by someone who holds the key (read access to the key file or the
//!   environment of the server): keep the key out of database backups and dumps;
//! - changes made to unkeyed entries before the first start with a key (they are sealed as
//!   found);
//! - a rewrite of the whole log into the unkeyed form together with clearing
//!   `audit_head.chain_id`: the next start cannot tell it from a genuine first upgrade and
//!   seals it. That start logs a warning naming the number of entries sealed; it is expected
//!   exactly once per installation;
//! - changes to the other tables that bypass the application: the log records what the
//!   application did, not what the tables hold now.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::schema::{audit_head, audit_log};
use super::{now, DbConn};
use crate::auth::policy::Actor;
use crate::error::AppError;
/// One change to record, written in the same transaction as the change itself.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub actor: Option<&'a Actor>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub reason: Option<&'a str>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    pub fn new(
        actor: Option<&'a Actor>,
        action: &'a str,
        entity_type: &'a str,
        entity_id: i64,
    ) -> Self {
        Change {
            actor,
            action,
            entity_type,
            entity_id: Some(entity_id),
            reason: None,
            before: None,
            after: None,
        }
    }
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }
    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }
    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub reason: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// [`KEYED`], or [`LEGACY`] for entries written before the chain was keyed.
    pub scheme: String,
}

/// Entries written before the chain was keyed: plain SHA-256.
pub const LEGACY: &str = "sha256";
/// Entries chained with HMAC-SHA256 under the audit key.
pub const KEYED: &str = "hmac-sha256";

/// The secret the chain is keyed with (`Settings::audit_key`).
#[derive(Clone)]
pub struct AuditKey(Arc<[u8]>);

impl AuditKey {
    pub fn new(secret: &str) -> Self {
        AuditKey(Arc::from(secret.as_bytes()))
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

/// The keys this process has loaded, by chain id (see the module documentation).
static KEYS: LazyLock<RwLock<HashMap<String, AuditKey>>> = LazyLock::new(Default::default);

fn key_of_chain(chain_id: &str) -> Result<AuditKey, AppError> {
    KEYS.read()
        .unwrap_or_else(|e| e.into_inner())
        .get(chain_id)
        .cloned()
        .ok_or_else(|| {
            AppError::Unexpected(format!(
                "no audit key is loaded for audit chain '{chain_id}' (open the database with app::open_database)"
            ))
        })
}

/// The fields an entry's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub prev: &'a str,
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub reason: Option<&'a str>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

impl Fields<'_> {
    /// Feeds every field, length-prefixed so that no two different entries share an
    /// encoding (a missing text is NUL, which no stored text is).
    fn feed(&self, update: &mut dyn FnMut(&[u8])) {
        let mut field = |s: &str| {
            update(&(s.len() as u64).to_be_bytes());
            update(s.as_bytes());
        };
        field(self.prev);
        field(&self.seq.to_string());
        field(&self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
        field(&self.actor_id.map(|i| i.to_string()).unwrap_or_default());
        field(self.actor_label);
        field(self.action);
        field(self.entity_type);
        field(&self.entity_id.map(|i| i.to_string()).unwrap_or_default());
        field(self.reason.unwrap_or("\u{0}"));
        field(self.before.unwrap_or("\u{0}"));
        field(self.after.unwrap_or("\u{0}"));
    }

    /// The unkeyed hash of entries written before the chain was keyed: SHA-256.
    pub fn legacy_hash(&self) -> String {
        let mut h = Sha256::new();
        self.feed(&mut |b| h.update(b));
        hex::encode(h.finalize())
    }

    /// The keyed hash: HMAC-SHA256 under `key` over a scheme label, the chain id and the
    /// fields.
    pub fn keyed_hash(&self, key: &AuditKey, chain_id: &str) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes any key length");
        m.update(b"yichuang audit hmac-sha256 v1\0");
        m.update(&(chain_id.len() as u64).to_be_bytes());
        m.update(chain_id.as_bytes());
        self.feed(&mut |b| m.update(b));
        hex::encode(m.finalize().into_bytes())
    }
}

impl AuditRow {
    /// The fields its hash covers.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            prev: &self.prev_hash,
            seq: self.seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_label: &self.actor_label,
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: self.entity_id,
            reason: self.reason.as_deref(),
            before: self.before_json.as_deref(),
            after: self.after_json.as_deref(),
        }
    }
}

/// How many entries the log holds: moved by every audited change under the head's row lock,
/// so it orders changes as they commit (the read side's data version, see
/// [`crate::queries::cache`]). One primary-key read.
pub fn head_entries(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(audit_head::table
        .find(1i64)
        .select(audit_head::entries)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Appends an entry. Call inside the transaction of the change (see `db::write_tx`): the
/// head row update serializes appenders on both backends.
pub fn append(conn: &mut DbConn, c: Change<'_>) -> Result<(), AppError> {
    append_entry(conn, c, false)
}

/// Appends a keyed entry. Unless `sealing`, the entry before it must be a keyed entry whose
/// hash is the head's: a keyed entry never vouches for unkeyed entries written after the
/// key existed.
fn append_entry(conn: &mut DbConn, c: Change<'_>, sealing: bool) -> Result<(), AppError> {
    let (seq, prev, chain_id): (i64, String, String) = diesel::update(audit_head::table.find(1i64))
        .set(audit_head::entries.eq(audit_head::entries + 1))
        .returning((
            audit_head::entries,
            audit_head::last_hash,
            audit_head::chain_id,
        ))
        .get_result(conn)?;
    // After the head's row lock, which every audited write takes first: no lock-order cycle.
    if super::public::changes_public_pages(c.action) {
        super::public::bump(conn)?;
    }
    let key = key_of_chain(&chain_id)?;
    if seq > 1 && !sealing {
        let before: Option<(String, String)> = audit_log::table
            .filter(audit_log::seq.eq(seq - 1))
            .select((audit_log::scheme, audit_log::hash))
            .first(conn)
            .optional()?;
        if before != Some((KEYED.to_string(), prev.clone())) {
            return Err(AppError::Unexpected(format!(
                "the audit log does not end with keyed entry {}: run `yichuang audit verify`",
                seq - 1
            )));
        }
    }
    let at = now();
    let actor_id = c.actor.map(|a| a.id);
    let actor_label = c
        .actor
        .map(|a| a.email.clone())
        .unwrap_or_else(|| "system".to_string());
    let before = c.before.as_ref().map(|v| v.to_string());
    let after = c.after.as_ref().map(|v| v.to_string());
    let hash = Fields {
        prev: &prev,
        seq,
        at,
        actor_id,
        actor_label: &actor_label,
        action: c.action,
        entity_type: c.entity_type,
        entity_id: c.entity_id,
        reason: c.reason,
        before: before.as_deref(),
        after: after.as_deref(),
    }
    .keyed_hash(&key, &chain_id);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(seq),
            audit_log::at.eq(at),
            audit_log::actor_id.eq(actor_id),
            audit_log::actor_label.eq(&actor_label),
            audit_log::action.eq(c.action),
            audit_log::entity_type.eq(c.entity_type),
            audit_log::entity_id.eq(c.entity_id),
            audit_log::reason.eq(c.reason),
            audit_log::before_json.eq(before.as_deref()),
            audit_log::after_json.eq(after.as_deref()),
            audit_log::prev_hash.eq(&prev),
            audit_log::hash.eq(&hash),
            audit_log::scheme.eq(KEYED),
        ))
        .execute(conn)?;
    diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_hash.eq(&hash))
        .execute(conn)?;
    Ok(())
}

/// What [`open_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The chain was keyed already.
    Keyed,
    /// First start with a key: the chain got its id, and this many unkeyed entries were
    /// sealed by the keyed entry `audit.keyed`.
    Sealed { legacy_entries: i64 },
}

/// Loads `key` for this database's chain so that [`append`] can use it. On the first open
/// with a key (no chain id yet) it names the chain and, if unkeyed entries exist, seals
/// them, in one transaction.
pub fn open_chain(conn: &mut DbConn, key: &AuditKey) -> Result<Opened, AppError> {
    super::write_tx(conn, |c| {
        let (chain_id, entries, last): (String, i64, String) = audit_head::table
            .find(1i64)
            .select((
                audit_head::chain_id,
                audit_head::entries,
                audit_head::last_hash,
            ))
            .first(c)?;
        if !chain_id.is_empty() {
            register(&chain_id, key);
            return Ok(Opened::Keyed);
        }
        let chain_id = crate::auth::random_token();
        diesel::update(audit_head::table.find(1i64))
            .set(audit_head::chain_id.eq(&chain_id))
            .execute(c)?;
        register(&chain_id, key);
        if entries > 0 {
            append_entry(
                c,
                Change {
                    actor: None,
                    action: "audit.keyed",
                    entity_type: "audit",
                    entity_id: None,
                    reason: None,
                    before: None,
                    after: Some(serde_json::json!({
                        "legacy_entries": entries,
                        "legacy_head": last,
                    })),
                },
                true,
            )?;
        }
        Ok(Opened::Sealed {
            legacy_entries: entries,
        })
    })
}

fn register(chain_id: &str, key: &AuditKey) {
    KEYS.write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(chain_id.to_string(), key.clone());
}

/// Whether `key` is the key of the newest keyed entry (true when there is none), so that
/// an instance configured with another key refuses to start instead of writing entries no
/// one can verify.
pub fn key_matches(conn: &mut DbConn, key: &AuditKey) -> Result<bool, AppError> {
    let chain_id: String = audit_head::table
        .find(1i64)
        .select(audit_head::chain_id)
        .first(conn)?;
    let newest: Option<AuditRow> = audit_log::table
        .filter(audit_log::scheme.eq(KEYED))
        .order(audit_log::seq.desc())
        .select(AuditRow::as_select())
        .first(conn)
        .optional()?;
    Ok(newest.is_none_or(|r| r.fields().keyed_hash(key, &chain_id) == r.hash))
}

/// The history of one entity, newest first.
pub fn for_entity(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    Ok(audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::seq.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

/// A page of an entity's entries, newest first.
pub fn for_entity_page(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: i64,
    page: super::PageReq,
) -> Result<super::Paged<AuditRow>, AppError> {
    let total: i64 = audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .count()
        .get_result(conn)?;
    let items = audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::seq.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(page.paged(items, total))
}

/// The newest entries of the whole log.
pub fn recent(
    conn: &mut DbConn,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), AppError> {
    let total: i64 = audit_log::table.count().get_result(conn)?;
    let rows = audit_log::table
        .order(audit_log::seq.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// Entries verified, in order, before the first broken one (all of them when intact).
    pub entries: i64,
    /// How many of them are unkeyed entries from before the chain was keyed.
    pub legacy_entries: i64,
    /// The hash of the newest verified entry: keep it outside the database to detect a
    /// later removal of the newest entries.
    pub head: String,
    /// The first entry whose link is broken, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the chain in order under `key` and reports the first broken link (see the module
/// documentation for what this detects).
pub fn verify(conn: &mut DbConn, key: &AuditKey) -> Result<Verification, AppError> {
    let chain_id: String = audit_head::table
        .find(1i64)
        .select(audit_head::chain_id)
        .first(conn)?;
    let mut prev = String::new();
    let mut expected_seq = 1i64;
    let mut legacy = 0i64;
    let mut keyed = false;
    let broken = |verified: i64, legacy: i64, head: &str, seq: i64, why: String| Verification {
        entries: verified,
        legacy_entries: legacy,
        head: head.to_string(),
        first_broken: Some((seq, why)),
    };
    loop {
        let batch: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(1000)
            .select(AuditRow::as_select())
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            let problem = if r.seq != expected_seq {
                Some(format!(
                    "entry {expected_seq} is missing (next is {})",
                    r.seq
                ))
            } else if r.prev_hash != prev {
                Some("previous-hash link does not match the entry before it".to_string())
            } else if r.scheme == KEYED {
                (r.fields().keyed_hash(key, &chain_id) != r.hash).then(|| {
                    "content does not match its keyed hash (the entry was altered, or written \
                     with another key)"
                        .to_string()
                })
            } else if r.scheme == LEGACY {
                if keyed {
                    Some("an unkeyed entry after keyed ones (the log was rewritten)".to_string())
                } else if r.fields().legacy_hash() != r.hash {
                    Some("content does not match its hash (the entry was altered)".to_string())
                } else {
                    None
                }
            } else {
                Some(format!("unknown hash scheme '{}'", r.scheme))
            };
            if let Some(p) = problem {
                return Ok(broken(expected_seq - 1, legacy, &prev, expected_seq, p));
            }
            if r.scheme == KEYED {
                keyed = true;
            } else {
                legacy += 1;
            }
            prev = r.hash.clone();
            expected_seq += 1;
        }
    }
    let count = expected_seq - 1;
    if legacy > 0 && !keyed {
        // Nothing keyed vouches for these: they may have been rewritten wholesale.
        return Ok(broken(
            0,
            0,
            "",
            1,
            format!("no keyed entry follows the {legacy} unkeyed entries"),
        ));
    }
    let (entries, last): (i64, String) = audit_head::table
        .find(1i64)
        .select((audit_head::entries, audit_head::last_hash))
        .first(conn)?;
    if entries != count || last != prev {
        return Ok(broken(
            count,
            legacy,
            &prev,
            expected_seq,
            format!("the log ends at entry {count} but {entries} were written"),
        ));
    }
    Ok(Verification {
        entries: count,
        legacy_entries: legacy,
        head: prev,
        first_broken: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_micro_opt(10, 0, 0, 123_456)
            .unwrap()
    }

    fn fields<'a>(prev: &'a str, seq: i64, action: &'a str, after: Option<&'a str>) -> Fields<'a> {
        Fields {
            prev,
            seq,
            at: at(),
            actor_id: Some(1),
            actor_label: "a@example.org",
            action,
            entity_type: "organization",
            entity_id: Some(7),
            reason: None,
            before: None,
            after,
        }
    }

    fn key() -> AuditKey {
        AuditKey::new("audit-key-audit-key-audit-key-0123")
    }

    #[test]
    fn unkeyed_entries_keep_the_hash_they_were_written_with() {
        // SHA-256 over the length-prefixed fields, as computed before the chain was keyed
        // (checked with an independent implementation).
        assert_eq!(
            fields("", 1, "org.verified", Some("{}")).legacy_hash(),
            "92e473d260d365d050ba36a9df1a858c763db3a8168918d0d985dee188a61a45"
        );
    }

    #[test]
    fn the_hash_is_stable_and_covers_every_field() {
        for hash in [
            &(|f: Fields<'_>| f.legacy_hash()) as &dyn Fn(Fields<'_>) -> String,
            &|f: Fields<'_>| f.keyed_hash(&key(), "chain"),
        ] {
            let base = hash(fields("", 1, "org.verified", Some("{}")));
            assert_eq!(base, hash(fields("", 1, "org.verified", Some("{}"))));
            assert_eq!(base.len(), 64);
            assert_ne!(base, hash(fields("x", 1, "org.verified", Some("{}"))));
            assert_ne!(base, hash(fields("", 2, "org.verified", Some("{}"))));
            assert_ne!(base, hash(fields("", 1, "org.rejected", Some("{}"))));
            assert_ne!(base, hash(fields("", 1, "org.verified", None)));
            assert_ne!(base, hash(fields("", 1, "org.verified", Some("{ }"))));
            let mut later = fields("", 1, "org.verified", Some("{}"));
            later.at += chrono::Duration::microseconds(1);
            assert_ne!(base, hash(later), "time to the microsecond");
        }
    }

    #[test]
    fn the_keyed_hash_depends_on_the_key_and_the_chain() {
        let f = fields("", 1, "org.verified", Some("{}"));
        let keyed = f.keyed_hash(&key(), "chain");
        assert_ne!(
            keyed,
            f.legacy_hash(),
            "a plain SHA-256 chain does not verify"
        );
        assert_ne!(
            keyed,
            f.keyed_hash(
                &AuditKey::new("another-key-another-key-another-key"),
                "chain"
            )
        );
        assert_ne!(keyed, f.keyed_hash(&key(), "other chain"));
        assert_eq!(format!("{:?}", key()), "AuditKey(***)");
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        // Same concatenated text, different field boundaries.
        let mut a = fields("", 1, "c", None);
        a.actor_label = "ab";
        let mut b = fields("", 1, "bc", None);
        b.actor_label = "a";
        assert_ne!(a.legacy_hash(), b.legacy_hash());
        assert_ne!(a.keyed_hash(&key(), ""), b.keyed_hash(&key(), ""));
        let none = fields("", 1, "x", None);
        let mut empty = none;
        empty.reason = Some("");
        assert_ne!(none.legacy_hash(), empty.legacy_hash());
        assert_ne!(none.keyed_hash(&key(), ""), empty.keyed_hash(&key(), ""));
    }

    #[test]
    fn each_link_depends_on_the_one_before() {
        let first = fields("", 1, "user.signed_up", None).keyed_hash(&key(), "c");
        let second = fields(&first, 2, "user.email_verified", None).keyed_hash(&key(), "c");
        let forged = fields("", 1, "user.created", None).keyed_hash(&key(), "c");
        assert_ne!(
            second,
            fields(&forged, 2, "user.email_verified", None).keyed_hash(&key(), "c")
        );
    }
}
