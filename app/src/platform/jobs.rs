//! The durable job queue (SPEC §6): a table, not memory, so queued work
//! survives restarts. Claiming is one UPDATE … RETURNING; on PostgreSQL the
//! candidate rows are taken with FOR UPDATE SKIP LOCKED so several workers
//! never get the same job, on SQLite the single writer already serialises.
//! A job whose worker died is handed out again after its lease runs out.

use super::db::{from_ms, ms, Db, DbKind};
use crate::domain::ids::OrgId;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// How long a claimed job may run before it counts as abandoned
/// (JOB_LEASE_SECONDS overrides, for tests of crash recovery).
pub fn lease_seconds() -> i64 {
    static LEASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *LEASE.get_or_init(|| {
        std::env::var("JOB_LEASE_SECONDS").ok().and_then(|v| v.parse().ok()).filter(|v: &i64| *v > 0).unwrap_or(120)
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub org_id: Option<OrgId>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including the current one.
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// What a handler says about the job it ran.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done,
    /// Try again after `after`; dead once attempts run out.
    Retry {
        error: String,
        after: std::time::Duration,
    },
    /// Run again at `until` without using up an attempt (circuit breaker).
    Defer {
        until: DateTime<Utc>,
    },
    /// No point trying again.
    Fail {
        error: String,
    },
}

pub struct NewJob {
    pub org: Option<OrgId>,
    pub kind: &'static str,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i64,
    /// Jobs with the same key are enqueued once.
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn now(org: Option<OrgId>, kind: &'static str, payload: serde_json::Value) -> NewJob {
        NewJob { org, kind, payload, run_at: Utc::now(), max_attempts: 3, dedupe_key: None }
    }
    pub fn at(mut self, t: DateTime<Utc>) -> Self {
        self.run_at = t;
        self
    }
    pub fn attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// Enqueues in the caller's transaction; `None` when a job with the same
/// dedupe key exists already.
pub async fn enqueue(c: &mut sqlx::AnyConnection, job: NewJob) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO jobs (org_id, kind, payload, status, attempts, max_attempts, run_at, dedupe_key, created_at)
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7)
         ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(job.org.map(|o| o.0))
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(job.max_attempts)
    .bind(ms(job.run_at))
    .bind(job.dedupe_key)
    .bind(ms(Utc::now()))
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| r.try_get("id")).transpose()
}

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<Job, sqlx::Error> {
    let payload: String = r.try_get("payload")?;
    Ok(Job {
        id: r.try_get("id")?,
        org_id: r.try_get::<Option<i64>, _>("org_id")?.map(OrgId),
        kind: r.try_get("kind")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: from_ms(r.try_get("run_at")?),
        created_at: from_ms(r.try_get("created_at")?),
    })
}

/// Takes up to `limit` due jobs for `worker`.
pub async fn claim(db: &Db, worker: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Job>, sqlx::Error> {
    let lock = match db.kind {
        DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', locked_at = $1, locked_by = $2, attempts = attempts + 1
         WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $3{lock})
         RETURNING id, org_id, kind, payload, attempts, max_attempts, run_at, created_at"
    );
    let rows = sqlx::query(&sql).bind(ms(now)).bind(worker).bind(limit).fetch_all(&db.write).await?;
    let mut jobs: Vec<Job> = rows.iter().map(job_from_row).collect::<Result<_, _>>()?;
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// Records what happened to a claimed job. Returns true when it went dead.
pub async fn finish(db: &Db, job: &Job, outcome: &Outcome, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    match outcome {
        Outcome::Done => {
            sqlx::query(
                "UPDATE jobs SET status = 'done', finished_at = $1, locked_at = NULL, last_error = NULL WHERE id = $2",
            )
            .bind(ms(now))
            .bind(job.id)
            .execute(&db.write)
            .await?;
            Ok(false)
        }
        Outcome::Retry { error, after } if job.attempts < job.max_attempts => {
            let at = now + Duration::from_std(*after).unwrap_or(Duration::seconds(30));
            sqlx::query(
                "UPDATE jobs SET status = 'queued', run_at = $1, locked_at = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(ms(at))
            .bind(error)
            .bind(job.id)
            .execute(&db.write)
            .await?;
            Ok(false)
        }
        Outcome::Retry { error, .. } | Outcome::Fail { error } => {
            sqlx::query(
                "UPDATE jobs SET status = 'dead', finished_at = $1, locked_at = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(ms(now))
            .bind(error)
            .bind(job.id)
            .execute(&db.write)
            .await?;
            Ok(true)
        }
        Outcome::Defer { until } => {
            sqlx::query(
                "UPDATE jobs SET status = 'queued', run_at = $1, locked_at = NULL, attempts = attempts - 1 WHERE id = $2",
            )
            .bind(ms(*until))
            .bind(job.id)
            .execute(&db.write)
            .await?;
            Ok(false)
        }
    }
}

/// Puts jobs whose worker vanished (crash, SIGKILL) back in the queue.
pub async fn recover_stale(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let r =
        sqlx::query("UPDATE jobs SET status = 'queued', locked_at = NULL WHERE status = 'running' AND locked_at < $1")
            .bind(ms(now - Duration::seconds(lease_seconds())))
            .execute(&db.write)
            .await?;
    Ok(r.rows_affected())
}

/// At start-up nothing can be running yet: everything marked running was
/// abandoned by the previous process.
pub async fn recover_all_running(db: &Db) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("UPDATE jobs SET status = 'queued', locked_at = NULL WHERE status = 'running'")
        .execute(&db.write)
        .await?;
    Ok(r.rows_affected())
}

/// When the next queued job is due (to sleep exactly that long).
pub async fn next_due(db: &Db) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let v: Option<i64> = sqlx::query("SELECT MIN(run_at) AS t FROM jobs WHERE status = 'queued'")
        .fetch_one(&db.read)
        .await?
        .try_get("t")?;
    Ok(v.map(from_ms))
}

/// Queue depth and the age of the oldest due job, for health checks.
pub async fn depth(db: &Db, org: Option<OrgId>, now: DateTime<Utc>) -> Result<(i64, Option<Duration>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(run_at) AS oldest FROM jobs
         WHERE status IN ('queued', 'running') AND run_at <= $1 AND ($2 IS NULL OR org_id = $2)",
    )
    .bind(ms(now))
    .bind(org.map(|o| o.0))
    .fetch_one(&db.read)
    .await?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    Ok((row.try_get("n")?, oldest.map(|o| now - from_ms(o))))
}
