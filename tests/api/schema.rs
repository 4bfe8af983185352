//! The SQLite and PostgreSQL migration sets build the same schema: tables, columns, their
//! types (in a common vocabulary) and nullability, primary keys and indexes.

use std::collections::{BTreeMap, BTreeSet};

use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use yichuang::db::DbConn;

use crate::helpers::{spawn, Backend};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    kind: String,
    not_null: bool,
}

/// An index by what it covers, not by its name (the two sets name them differently).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    indexes: BTreeSet<Index>,
}

type Schema = BTreeMap<String, Table>;

/// Diesel's own bookkeeping, not part of the application's schema.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// A declared type in the vocabulary both backends share.
fn normalise(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let kind = if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("timestamp") || t.contains("datetime") {
        "timestamp"
    } else if t.contains("bool") {
        "bool"
    } else if t.contains("blob") || t.contains("bytea") {
        "binary"
    } else if t.contains("double") || t.contains("real") || t.contains("float") {
        "double"
    } else if t == "date" {
        "date"
    } else {
        return t;
    };
    kind.to_string()
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    /// The column's position in the primary key (1-based), 0 when not part of it.
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    is_primary: bool,
    #[diesel(sql_type = Bool)]
    is_partial: bool,
    /// Absent for an expression.
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
}

const SQLITE_COLUMNS: &str = "\
    SELECT m.name AS table_name, p.name AS column_name, p.type AS column_type, \
           (p.\"notnull\" <> 0 OR p.pk > 0) AS not_null, p.pk AS pk \
    FROM sqlite_master m JOIN pragma_table_info(m.name) p \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

const SQLITE_INDEXES: &str = "\
    SELECT m.name AS table_name, il.name AS index_name, il.\"unique\" <> 0 AS is_unique, \
           il.origin = 'pk' AS is_primary, il.partial <> 0 AS is_partial, ii.name AS column_name \
    FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
    ORDER BY m.name, il.name, ii.seqno";

const PG_COLUMNS: &str = "\
    SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
           c.data_type::text AS column_type, c.is_nullable = 'NO' AS not_null, \
           COALESCE((SELECT k.ordinal_position::bigint \
                     FROM information_schema.table_constraints tc \
                     JOIN information_schema.key_column_usage k \
                       ON k.constraint_name = tc.constraint_name \
                      AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name \
                     WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
                       AND tc.table_name = c.table_name AND k.column_name = c.column_name), 0) AS pk \
    FROM information_schema.columns c JOIN information_schema.tables t \
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'";

const PG_INDEXES: &str = "\
    SELECT t.relname::text AS table_name, i.relname::text AS index_name, \
           ix.indisunique AS is_unique, ix.indisprimary AS is_primary, \
           ix.indpred IS NOT NULL AS is_partial, a.attname::text AS column_name \
    FROM pg_index ix \
    JOIN pg_class t ON t.oid = ix.indrelid \
    JOIN pg_class i ON i.oid = ix.indexrelid \
    JOIN pg_namespace n ON n.oid = t.relnamespace \
    CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0 \
    WHERE n.nspname = 'public' \
    ORDER BY t.relname, i.relname, k.ord";

/// Reads the migrated schema of a connection.
fn read_schema(conn: &mut DbConn) -> Schema {
    let (columns, indexes): (Vec<ColumnRow>, Vec<IndexRow>) = match conn {
        DbConn::Sqlite(c) => (
            diesel::sql_query(SQLITE_COLUMNS).load(c).unwrap(),
            diesel::sql_query(SQLITE_INDEXES).load(c).unwrap(),
        ),
        DbConn::Pg(c) => (
            diesel::sql_query(PG_COLUMNS).load(c).unwrap(),
            diesel::sql_query(PG_INDEXES).load(c).unwrap(),
        ),
    };
    let mut schema = Schema::new();
    let mut keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for c in columns {
        if c.table_name == MIGRATIONS_TABLE {
            continue;
        }
        if c.pk > 0 {
            keys.entry(c.table_name.clone())
                .or_default()
                .push((c.pk, c.column_name.clone()));
        }
        schema.entry(c.table_name).or_default().columns.insert(
            c.column_name,
            Column {
                kind: normalise(&c.column_type),
                not_null: c.not_null,
            },
        );
    }
    for (table, mut k) in keys {
        k.sort();
        schema.get_mut(&table).unwrap().primary_key = k.into_iter().map(|(_, c)| c).collect();
    }
    // Rows come in column order within each index.
    let mut by_index: BTreeMap<(String, String), (Index, bool)> = BTreeMap::new();
    for r in indexes {
        if r.table_name == MIGRATIONS_TABLE {
            continue;
        }
        let entry = by_index
            .entry((r.table_name, r.index_name))
            .or_insert_with(|| {
                (
                    Index {
                        columns: Vec::new(),
                        unique: r.is_unique,
                        partial: r.is_partial,
                    },
                    r.is_primary,
                )
            });
        entry
            .0
            .columns
            .push(r.column_name.unwrap_or_else(|| "<expression>".to_string()));
    }
    for ((table, _), (index, primary)) in by_index {
        // The primary key is compared as such; SQLite has no index for an INTEGER one.
        if primary {
            continue;
        }
        schema.entry(table).or_default().indexes.insert(index);
    }
    schema
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(pg.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.get(name), pg.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (Some(_), None) => {
                out.push(format!("table {name}: only in SQLite"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: only in PostgreSQL"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for c in columns {
            match (s.columns.get(c), p.columns.get(c)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    out.push(format!("{name}.{c}: SQLite {a:?}, PostgreSQL {b:?}"))
                }
                (Some(_), None) => out.push(format!("{name}.{c}: only in SQLite")),
                (None, _) => out.push(format!("{name}.{c}: only in PostgreSQL")),
            }
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "{name} primary key: SQLite {:?}, PostgreSQL {:?}",
                s.primary_key, p.primary_key
            ));
        }
        for i in s.indexes.difference(&p.indexes) {
            out.push(format!("{name}: index {i:?} only in SQLite"));
        }
        for i in p.indexes.difference(&s.indexes) {
            out.push(format!("{name}: index {i:?} only in PostgreSQL"));
        }
    }
    out
}

#[actix_rt::test]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let sqlite = spawn(Backend::Sqlite).await;
    let pg = spawn(Backend::Postgres).await;
    let s = sqlite.db(read_schema).await;
    let p = pg.db(read_schema).await;
    assert!(s.len() > 20, "the SQLite schema was read: {:?}", s.keys());
    assert!(
        p.len() > 20,
        "the PostgreSQL schema was read: {:?}",
        p.keys()
    );
    let indexes = |x: &Schema| x.values().map(|t| t.indexes.len()).sum::<usize>();
    assert!(indexes(&s) > 5 && indexes(&p) > 5, "the indexes were read");
    let diff = differences(&s, &p);
    assert!(
        diff.is_empty(),
        "the migration sets drifted apart:\n{}",
        diff.join("\n")
    );
}

#[test]
fn a_drift_is_reported() {
    let table = |kind: &str, not_null: bool| {
        let mut t = Table::default();
        t.columns.insert(
            "amount_fen".into(),
            Column {
                kind: normalise(kind),
                not_null,
            },
        );
        t
    };
    let s = Schema::from([("grants".to_string(), table("BIGINT", true))]);
    assert!(differences(
        &s,
        &Schema::from([("grants".to_string(), table("bigint", true))])
    )
    .is_empty());
    let p = Schema::from([("grants".to_string(), table("text", false))]);
    assert_eq!(differences(&s, &p).len(), 1);
    assert_eq!(
        differences(&s, &Schema::new()),
        vec!["table grants: only in SQLite"]
    );
}
