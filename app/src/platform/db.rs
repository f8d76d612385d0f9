//! One database handle over SQLite (default) or PostgreSQL, through sqlx's
//! `Any` driver so queries are written once. SQLite gets a single writer
//! connection (no lock upgrades, no SQLITE_BUSY between our own writers)
//! and a pool of readers; PostgreSQL uses one pool for both.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub kind: DbKind,
    /// Reads that don't need to see the caller's uncommitted writes.
    pub read: AnyPool,
    /// Every transaction that writes.
    pub write: AnyPool,
}

pub type Tx = Transaction<'static, Any>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got {0:?})")]
    BadUrl(String),
    #[error("could not create the folder for the SQLite database at {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("could not connect to the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Milliseconds since the epoch, as stored.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_else(Utc::now)
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

pub fn flag(b: bool) -> i16 {
    i16::from(b)
}

fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    writer: bool,
) -> futures::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        // The writer syncs every commit to disk (FULL): a text acknowledged
        // to Twilio is never lost to a power cut, since Twilio won't send it
        // again. Readers never commit anything.
        conn.execute(if writer { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" }).await?;
        Ok(())
    })
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        install_default_drivers();
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let file = path.split('?').next().unwrap_or(path);
            if file != ":memory:" {
                if let Some(parent) = std::path::Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|source| DbError::Folder { path: parent.display().to_string(), source })?;
                }
            }
            let url = if path.contains("mode=") {
                format!("sqlite://{path}")
            } else if path.contains('?') {
                format!("sqlite://{path}&mode=rwc")
            } else {
                format!("sqlite://{path}?mode=rwc")
            };
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|c, _| sqlite_pragmas(c, true))
                .connect(&url)
                .await?;
            let read = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|c, _| sqlite_pragmas(c, false))
                .connect(&url)
                .await?;
            Ok(Db { kind: DbKind::Sqlite, read, write })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect(url).await?;
            Ok(Db { kind: DbKind::Postgres, read: pool.clone(), write: pool })
        } else {
            Err(DbError::BadUrl(url.to_string()))
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.kind {
            DbKind::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&self.write).await?,
            DbKind::Postgres => sqlx::migrate!("../migrations/postgres").run(&self.write).await?,
        }
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.write.begin().await
    }

    /// " FOR UPDATE" where the database has row locks; SQLite's single
    /// writer already serialises.
    pub fn for_update(&self) -> &'static str {
        match self.kind {
            DbKind::Sqlite => "",
            DbKind::Postgres => " FOR UPDATE",
        }
    }

    /// Round-trip latency of a trivial query, for health checks.
    pub async fn ping(&self) -> Result<Duration, sqlx::Error> {
        let start = std::time::Instant::now();
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(start.elapsed())
    }
}

impl FromStr for DbKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(DbKind::Sqlite),
            "postgres" => Ok(DbKind::Postgres),
            o => Err(format!("unknown database kind {o}")),
        }
    }
}
