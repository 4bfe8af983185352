//! The append-only, hash-chained audit log. Each entry's hash covers the previous hash and
//! every field of the entry, so editing, deleting or reordering any entry breaks the chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;
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
}

/// The hash of an entry: SHA-256 over the previous hash and each field, length-prefixed so
/// that no two different entries share an encoding.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    prev: &str,
    seq: i64,
    at: NaiveDateTime,
    actor_id: Option<i64>,
    actor_label: &str,
    action: &str,
    entity_type: &str,
    entity_id: Option<i64>,
    reason: Option<&str>,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev);
    field(&seq.to_string());
    field(&at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
    field(&actor_id.map(|i| i.to_string()).unwrap_or_default());
    field(actor_label);
    field(action);
    field(entity_type);
    field(&entity_id.map(|i| i.to_string()).unwrap_or_default());
    field(reason.unwrap_or("\u{0}"));
    field(before.unwrap_or("\u{0}"));
    field(after.unwrap_or("\u{0}"));
    hex::encode(h.finalize())
}

fn row_hash(r: &AuditRow) -> String {
    entry_hash(
        &r.prev_hash,
        r.seq,
        r.at,
        r.actor_id,
        &r.actor_label,
        &r.action,
        &r.entity_type,
        r.entity_id,
        r.reason.as_deref(),
        r.before_json.as_deref(),
        r.after_json.as_deref(),
    )
}

/// Appends an entry. Call inside the transaction of the change (see `db::write_tx`): the
/// head row update serializes appenders on both backends.
pub fn append(conn: &mut DbConn, c: Change<'_>) -> Result<(), AppError> {
    let (seq, prev): (i64, String) = diesel::update(audit_head::table.find(1i64))
        .set(audit_head::entries.eq(audit_head::entries + 1))
        .returning((audit_head::entries, audit_head::last_hash))
        .get_result(conn)?;
    let at = now();
    let actor_id = c.actor.map(|a| a.id);
    let actor_label = c
        .actor
        .map(|a| a.email.clone())
        .unwrap_or_else(|| "system".to_string());
    let before = c.before.as_ref().map(|v| v.to_string());
    let after = c.after.as_ref().map(|v| v.to_string());
    let hash = entry_hash(
        &prev,
        seq,
        at,
        actor_id,
        &actor_label,
        c.action,
        c.entity_type,
        c.entity_id,
        c.reason,
        before.as_deref(),
        after.as_deref(),
    );
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
        ))
        .execute(conn)?;
    diesel::update(audit_head::table.find(1i64))
        .set(audit_head::last_hash.eq(&hash))
        .execute(conn)?;
    Ok(())
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
    pub entries: i64,
    /// The first entry whose link is broken, and why.
    pub first_broken: Option<(i64, String)>,
}

/// Walks the chain in order and reports the first broken link.
pub fn verify(conn: &mut DbConn) -> Result<Verification, AppError> {
    let mut prev = String::new();
    let mut expected_seq = 1i64;
    let mut after_seq = 0i64;
    loop {
        let batch: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(after_seq))
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
            } else if row_hash(r) != r.hash {
                Some("content does not match its hash (the entry was altered)".to_string())
            } else {
                None
            };
            if let Some(p) = problem {
                return Ok(Verification {
                    entries: r.seq - 1,
                    first_broken: Some((expected_seq, p)),
                });
            }
            prev = r.hash.clone();
            expected_seq += 1;
            after_seq = r.seq;
        }
    }
    let (entries, last): (i64, String) = audit_head::table
        .find(1i64)
        .select((audit_head::entries, audit_head::last_hash))
        .first(conn)?;
    let count = expected_seq - 1;
    if entries != count || last != prev {
        return Ok(Verification {
            entries: count,
            first_broken: Some((
                expected_seq,
                format!("the log ends at entry {count} but {entries} were written"),
            )),
        });
    }
    Ok(Verification {
        entries: count,
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

    fn h(prev: &str, seq: i64, action: &str, after: Option<&str>) -> String {
        entry_hash(
            prev,
            seq,
            at(),
            Some(1),
            "a@example.org",
            action,
            "organization",
            Some(7),
            None,
            None,
            after,
        )
    }

    #[test]
    fn the_hash_is_stable_and_covers_every_field() {
        let base = h("", 1, "org.verified", Some("{}"));
        assert_eq!(base, h("", 1, "org.verified", Some("{}")), "deterministic");
        assert_eq!(base.len(), 64);
        assert_ne!(base, h("x", 1, "org.verified", Some("{}")), "previous hash");
        assert_ne!(base, h("", 2, "org.verified", Some("{}")), "sequence");
        assert_ne!(base, h("", 1, "org.rejected", Some("{}")), "action");
        assert_ne!(base, h("", 1, "org.verified", None), "after vs none");
        assert_ne!(base, h("", 1, "org.verified", Some("{ }")), "after content");
        let other_time = entry_hash(
            "",
            1,
            at() + chrono::Duration::microseconds(1),
            Some(1),
            "a@example.org",
            "org.verified",
            "organization",
            Some(7),
            None,
            None,
            Some("{}"),
        );
        assert_ne!(base, other_time, "time to the microsecond");
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        // Same concatenated text, different field boundaries.
        let a = entry_hash(
            "",
            1,
            at(),
            None,
            "ab",
            "c",
            "organization",
            None,
            None,
            None,
            None,
        );
        let b = entry_hash(
            "",
            1,
            at(),
            None,
            "a",
            "bc",
            "organization",
            None,
            None,
            None,
            None,
        );
        assert_ne!(a, b);
        let none = entry_hash("", 1, at(), None, "x", "y", "z", None, None, None, None);
        let empty = entry_hash("", 1, at(), None, "x", "y", "z", None, Some(""), None, None);
        assert_ne!(none, empty, "a missing reason differs from an empty one");
    }

    #[test]
    fn each_link_depends_on_the_one_before() {
        let first = h("", 1, "user.signed_up", None);
        let second = h(&first, 2, "user.email_verified", None);
        let forged_first = h("", 1, "user.created", None);
        assert_ne!(second, h(&forged_first, 2, "user.email_verified", None));
    }
}
