//! The audit trail as a screen or the API shows it: what happened, when, by whom and why,
//! with the recorded before and after as JSON values (the chain's hashes stay with the
//! chain; `GET /api/v1/admin/audit/verify` checks them).

use chrono::NaiveDateTime;

use crate::db::audit::{self, AuditRow};
use crate::db::DbConn;
use crate::error::AppError;

/// One entry of an entity's history.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    /// Its place in the audit chain.
    pub seq: i64,
    /// UTC.
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub reason: Option<String>,
    /// The entity as it was (when the action changed it).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity as it became.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl HistoryEntry {
    fn from_row(a: AuditRow) -> Result<Self, AppError> {
        let id = a.id;
        let json = |s: Option<String>| -> Result<Option<serde_json::Value>, AppError> {
            s.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| AppError::unexpected(&format!("audit entry {id}"), &e))
        };
        Ok(HistoryEntry {
            before: json(a.before_json)?,
            after: json(a.after_json)?,
            id: a.id,
            seq: a.seq,
            at: a.at,
            actor_id: a.actor_id,
            actor_label: a.actor_label,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            reason: a.reason,
        })
    }
}

/// The latest `limit` entries about one entity, newest first. The caller has checked that
/// its reader may see the entity.
pub fn history(
    c: &mut DbConn,
    entity_type: &str,
    entity_id: i64,
    limit: i64,
) -> Result<Vec<HistoryEntry>, AppError> {
    audit::for_entity(c, entity_type, entity_id, limit)?
        .into_iter()
        .map(HistoryEntry::from_row)
        .collect()
}

/// One page of the entries about one entity, newest first. The caller has checked that its
/// reader may see the entity.
pub fn history_page(
    c: &mut DbConn,
    entity_type: &str,
    entity_id: i64,
    page: crate::db::PageReq,
) -> Result<crate::db::Paged<HistoryEntry>, AppError> {
    let rows = audit::for_entity_page(c, entity_type, entity_id, page)?;
    let items = rows
        .items
        .into_iter()
        .map(HistoryEntry::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::db::Paged {
        items,
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}
