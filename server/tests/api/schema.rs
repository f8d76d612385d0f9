//! Schema parity: the SQLite and PostgreSQL migrations are written twice by
//! hand, so after migrating both databases must have the same tables,
//! columns (nullability and a coarse type family), primary keys, indexes
//! (name, uniqueness, columns, partial or not) and triggers. Without
//! TEST_DATABASE_URL only SQLite is checked, against the PostgreSQL files.

use crate::helpers::*;
use app::platform::Db;
use sqlx::AnyPool;
use std::collections::{BTreeMap, BTreeSet};

/// "column clients.notes" → "nullable text", "index users_email" → "unique
/// on users(email)", ...: two schemas match when their facts do.
type Facts = BTreeMap<String, String>;

/// Full-text search is built differently on purpose (an FTS5 table kept in
/// step by triggers in SQLite, a generated tsvector with a GIN index in
/// PostgreSQL), and only PostgreSQL has TRUNCATE to guard against.
const DIALECT_ONLY: &[&str] = &["messages_fts", "body_tsv", "audit_events_no_truncate"];

fn dialect_only(fact: &str) -> bool {
    DIALECT_ONLY.iter().any(|name| fact.contains(name))
}

#[tokio::test]
async fn sqlite_has_the_audit_guard_and_everything_the_postgres_migrations_create() {
    let lite = migrated_schema(Backend::Sqlite).await;
    let missing: Vec<String> = declared_in_postgres_migrations()
        .into_iter()
        .filter(|k| !dialect_only(k) && !lite.contains_key(k))
        .map(|k| format!("{k} only in postgres"))
        .collect();
    assert!(missing.is_empty(), "SQLite lacks what migrations/postgres creates:\n  {}", missing.join("\n  "));
    // The hash chain notices edits; these stop them happening in the first place.
    let guard = |name: &str| lite.get(&format!("trigger {name}")).map(String::as_str);
    assert_eq!(guard("audit_events_no_update"), Some("BEFORE UPDATE on audit_events"));
    assert_eq!(guard("audit_events_no_delete"), Some("BEFORE DELETE on audit_events"));
}

#[tokio::test]
async fn sqlite_and_postgres_migrate_to_the_same_schema() {
    if !backends().contains(&Backend::Postgres) {
        println!("schema: PostgreSQL comparison skipped (TEST_DATABASE_URL not set); SQLite checked alone");
        return;
    }
    let (lite, pg) = (migrated_schema(Backend::Sqlite).await, migrated_schema(Backend::Postgres).await);
    // A table on one side only is one difference, not one per column.
    let one_sided = |k: &str| {
        let table = k.strip_prefix("column ").and_then(|c| c.split('.').next()).or(k.strip_prefix("primary key "));
        table.is_some_and(|t| lite.contains_key(&format!("table {t}")) != pg.contains_key(&format!("table {t}")))
    };
    let keys: BTreeSet<&String> = lite.keys().chain(pg.keys()).collect();
    let drift: Vec<String> = keys
        .into_iter()
        .filter(|k| !dialect_only(k) && !one_sided(k))
        .filter_map(|k| match (lite.get(k), pg.get(k)) {
            (Some(l), Some(p)) if l != p => Some(format!("{k}: {p} in postgres, {l} in sqlite")),
            (Some(_), None) => Some(format!("{k} only in sqlite")),
            (None, Some(_)) => Some(format!("{k} only in postgres")),
            _ => None,
        })
        .collect();
    assert!(drift.is_empty(), "{} schema differences after migrating:\n  {}", drift.len(), drift.join("\n  "));
}

async fn migrated_schema(backend: Backend) -> Facts {
    let db = Db::connect(&fresh_database_url(backend).await).await.expect("connect");
    db.migrate().await.expect("migrate");
    let facts = match backend {
        Backend::Sqlite => sqlite_schema(&db.read).await,
        Backend::Postgres => postgres_schema(&db.read).await,
    };
    let mut facts = facts.expect("read the migrated schema");
    // sqlx's own bookkeeping table is created differently by each driver.
    facts.retain(|k, _| !k.contains("_sqlx_migrations"));
    facts
}

/// One row per (index, column), in column order: table, index, origin ("pk",
/// "u" for a UNIQUE constraint, "c" for CREATE INDEX), unique, partial, column.
type IndexRow = (String, String, String, i64, i64, String);

async fn sqlite_schema(pool: &AnyPool) -> Result<Facts, sqlx::Error> {
    let mut f = Facts::new();
    let tables = "m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";
    let columns: Vec<(String, String, String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk,
                (SELECT count(*) FROM pragma_table_info(m.name) q WHERE q.pk > 0)
         FROM sqlite_master m, pragma_table_info(m.name) p WHERE {tables}"
    ))
    .fetch_all(pool)
    .await?;
    for (table, column, ty, not_null, pk, pk_len) in columns {
        // An INTEGER PRIMARY KEY is the rowid and never NULL; any other
        // SQLite primary key column takes NULL unless declared NOT NULL.
        let rowid = pk == 1 && pk_len == 1 && ty.eq_ignore_ascii_case("integer");
        add_column(&mut f, &table, &column, &ty, not_null == 1 || rowid);
        // Other primary keys have an index, which add_indexes reports.
        if rowid {
            f.insert(format!("primary key {table}"), column);
        }
    }
    let indexes: Vec<IndexRow> = sqlx::query_as(&format!(
        "SELECT m.name, il.name, il.origin, il.\"unique\", il.partial, COALESCE(ii.name, '<expression>')
         FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii WHERE {tables}
         ORDER BY m.name, il.name, ii.seqno"
    ))
    .fetch_all(pool)
    .await?;
    add_indexes(&mut f, indexes);
    let triggers: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").fetch_all(pool).await?;
    for (name, table, sql) in triggers {
        let head: Vec<String> =
            sql.split_whitespace().map(str::to_ascii_uppercase).take_while(|w| w.as_str() != "ON").collect();
        let has = |w: &str| head.iter().any(|h| h == w);
        // INSTEAD OF triggers belong to views, which neither schema has.
        let timing = if has("AFTER") { "AFTER" } else { "BEFORE" };
        let events: Vec<&str> = ["INSERT", "UPDATE", "DELETE"].into_iter().filter(|e| has(e)).collect();
        f.insert(format!("trigger {name}"), format!("{timing} {} on {table}", events.join(" OR ")));
    }
    Ok(f)
}

async fn postgres_schema(pool: &AnyPool) -> Result<Facts, sqlx::Error> {
    let mut f = Facts::new();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    for (table, column, ty, nullable) in columns {
        add_column(&mut f, &table, &column, &ty, nullable == "NO");
    }
    let indexes: Vec<IndexRow> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text,
                CASE WHEN ix.indisprimary THEN 'pk'
                     WHEN EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = ix.indexrelid AND c.contype = 'u') THEN 'u'
                     ELSE 'c' END,
                ix.indisunique::int::bigint, (ix.indpred IS NOT NULL)::int::bigint,
                COALESCE(a.attname::text, '<expression>')
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
         WHERE t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2, k.ord",
    )
    .fetch_all(pool)
    .await?;
    add_indexes(&mut f, indexes);
    let triggers: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT t.tgname::text, c.relname::text, t.tgtype::int
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
    )
    .fetch_all(pool)
    .await?;
    for (name, table, bits) in triggers {
        // pg_trigger.tgtype's bits: 2 is BEFORE (else AFTER), then one per event.
        let timing = if bits & 2 != 0 { "BEFORE" } else { "AFTER" };
        let events: Vec<&str> = [(4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE")]
            .into_iter()
            .filter_map(|(bit, e)| (bits & bit != 0).then_some(e))
            .collect();
        f.insert(format!("trigger {name}"), format!("{timing} {} on {table}", events.join(" OR ")));
    }
    Ok(f)
}

fn add_column(f: &mut Facts, table: &str, column: &str, ty: &str, not_null: bool) {
    // Declared types differ by design (INTEGER and BIGINT, ...); only their family must agree.
    let ty = ty.to_ascii_lowercase();
    let families: [(&str, &[&str]); 4] = [
        ("integer", &["int"]),
        ("text", &["char", "text", "clob"]),
        ("real", &["real", "floa", "doub"]),
        ("blob", &["blob", "bytea"]),
    ];
    let family = families.iter().find(|(_, marks)| marks.iter().any(|m| ty.contains(m))).map_or(ty.as_str(), |k| k.0);
    let null = if not_null { "NOT NULL" } else { "nullable" };
    f.insert(format!("table {table}"), "present".into());
    f.insert(format!("column {table}.{column}"), format!("{null} {family}"));
}

/// An index's origin ("pk", "u" or "c"), uniqueness, partial-ness and columns.
type IndexShape = (String, bool, bool, Vec<String>);

fn add_indexes(f: &mut Facts, rows: Vec<IndexRow>) {
    let mut grouped: BTreeMap<(String, String), IndexShape> = BTreeMap::new();
    for (table, name, origin, unique, partial, column) in rows {
        grouped.entry((table, name)).or_insert((origin, unique == 1, partial == 1, vec![])).3.push(column);
    }
    for ((table, name), (origin, unique, partial, columns)) in grouped {
        let on = format!("{table}({})", columns.join(", "));
        // Constraint-made indexes are named by each database its own way, so they go by their columns.
        let (key, value) = match origin.as_str() {
            "pk" => (format!("primary key {table}"), columns.join(", ")),
            "u" => (format!("unique constraint {on}"), "present".into()),
            _ => {
                let unique = if unique { "unique " } else { "" };
                (format!("index {name}"), format!("{unique}on {on}{}", if partial { ", partial" } else { "" }))
            }
        };
        f.insert(key, value);
    }
}

/// The tables, indexes and triggers the PostgreSQL migration files leave
/// behind, read from their text, for checking SQLite when PostgreSQL is absent.
fn declared_in_postgres_migrations() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).expect("migrations/postgres").map(|e| e.expect("file").path()).collect();
    files.sort();
    let mut declared = BTreeMap::new();
    for file in files {
        let sql = std::fs::read_to_string(&file).expect("read migration").to_ascii_lowercase();
        let code: Vec<&str> = sql.lines().map(|l| l.split("--").next().unwrap_or_default()).collect();
        let words: Vec<&str> = code.iter().flat_map(|l| l.split(|c: char| c.is_whitespace() || c == '(')).collect();
        let skip = ["unique", "or", "replace", "if", "not", "exists", "concurrently", ""];
        for (i, verb) in words.iter().enumerate().filter(|(_, w)| **w == "create" || **w == "drop") {
            let mut rest = words[i + 1..].iter().filter(|w| !skip.contains(*w));
            if let (Some(kind @ (&"table" | &"index" | &"trigger")), Some(name)) = (rest.next(), rest.next()) {
                declared.insert(format!("{kind} {}", name.trim_end_matches(';')), *verb == "create");
            }
        }
    }
    declared.into_iter().filter_map(|(fact, created)| created.then_some(fact)).collect()
}
