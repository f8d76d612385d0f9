//! Integration API keys: one random secret per key, shown once; only its
//! SHA-256 hash is stored (the secret has 256 bits of entropy, so a slow
//! password hash would buy nothing and cost every request). Each key acts
//! for its organisation at owner level, with a scope and a rate limit.

use super::audit::{self, Actor, Event};
use super::crypto::{random_token, sha256_hex};
use super::db::{from_ms, ms, Db};
use crate::domain::ids::{OrgId, UserId};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Every key starts with this, so a leaked one is easy to recognise.
pub const PREFIX: &str = "ll_";
pub const DEFAULT_RATE_LIMIT: i64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    ReadWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read_write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "read" => Some(Scope::Read),
            "read_write" | "read-write" | "write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read only",
            Scope::ReadWrite => "Read and write",
        }
    }
}

/// A key as the server sees it on each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub org_id: OrgId,
    pub name: String,
    pub scope: Scope,
    pub rate_limit_per_minute: i64,
    /// The owner who created it (None when made on the command line).
    pub created_by: Option<UserId>,
}

/// A key as Settings lists it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub hint: String,
    pub rate_limit_per_minute: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a key is called: required, short, printable.
pub fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "Give the key a name, such as the tool that will use it (\"Zapier\")."));
    }
    if name.chars().count() > 60 {
        return Err(AppError::field("name", "Keep the name under 60 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field("name", "The name can't contain line breaks or control characters."));
    }
    Ok(name.to_string())
}

pub fn check_rate_limit(per_minute: i64) -> AppResult<i64> {
    if (1..=100_000).contains(&per_minute) {
        Ok(per_minute)
    } else {
        Err(AppError::field("rate_limit_per_minute", "The rate limit is between 1 and 100,000 requests a minute."))
    }
}

/// What a new key is to be.
#[derive(Clone, Debug)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub scope: Scope,
    pub rate_limit_per_minute: i64,
    /// The owner making it; None on the command line.
    pub created_by: Option<UserId>,
}

/// Creates a key and returns it with its secret, the only time the secret
/// is available. The audit event is written in the same transaction.
pub async fn create(
    db: &Db,
    org: OrgId,
    new: NewKey<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<(i64, String)> {
    let NewKey { name, scope, rate_limit_per_minute, created_by } = new;
    let name = check_name(name)?;
    let rate = check_rate_limit(rate_limit_per_minute)?;
    let secret = format!("{PREFIX}{}", random_token());
    let hint = format!("{PREFIX}…{}", &secret[secret.len() - 4..]);
    let mut tx = db.begin().await?;
    let exists = sqlx::query("SELECT id FROM organisations WHERE id = $1").bind(org.0).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(AppError::NotFound(format!("There is no organisation {}. `server org list` shows them.", org.0)));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO api_keys (org_id, name, scope, key_hash, hint, rate_limit_per_minute, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org.0)
    .bind(&name)
    .bind(scope.as_str())
    .bind(sha256_hex(secret.as_bytes()))
    .bind(&hint)
    .bind(rate)
    .bind(ms(now))
    .bind(created_by.map(|u| u.0))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            "api_key.created",
            "api_key",
            id,
            format!("API key \"{name}\" created ({}, {rate} requests a minute)", scope.label().to_lowercase()),
        )
        .payload(serde_json::json!({ "scope": scope.as_str(), "hint": hint, "rate_limit_per_minute": rate })),
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Revokes a key of the organisation; revoking twice is refused.
pub async fn revoke(
    db: &Db,
    org: OrgId,
    id: i64,
    actor: &Actor,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let row = sqlx::query("SELECT name, revoked_at FROM api_keys WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That API key doesn't exist.".into()))?;
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Err(AppError::Conflict("That key is already revoked.".into()));
    }
    let name: String = row.try_get("name")?;
    sqlx::query("UPDATE api_keys SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
        .bind(ms(now))
        .bind(by.map(|u| u.0))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("api_key.revoked", "api_key", id, format!("API key \"{name}\" revoked; it stops working at once")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db, org: OrgId) -> Result<Vec<KeyRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, scope, hint, rate_limit_per_minute, created_at, last_used_at, revoked_at
         FROM api_keys WHERE org_id = $1 ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC",
    )
    .bind(org.0)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeyRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                scope: Scope::parse(&r.try_get::<String, _>("scope")?).unwrap_or(Scope::Read),
                hint: r.try_get("hint")?,
                rate_limit_per_minute: r.try_get("rate_limit_per_minute")?,
                created_at: from_ms(r.try_get("created_at")?),
                last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(from_ms),
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_ms),
            })
        })
        .collect()
}

/// The live key a bearer secret names, if any (revoked keys are not found).
/// Marks it used, at most once a minute.
pub async fn authenticate(db: &Db, secret: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>, sqlx::Error> {
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT id, org_id, name, scope, rate_limit_per_minute, created_by, last_used_at FROM api_keys
         WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(sha256_hex(secret.as_bytes()))
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let id: i64 = r.try_get("id")?;
    let last: Option<i64> = r.try_get("last_used_at")?;
    if last.is_none_or(|l| ms(now) - l > 60_000) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&db.write)
            .await?;
    }
    Ok(Some(ApiKey {
        id,
        org_id: OrgId(r.try_get("org_id")?),
        name: r.try_get("name")?,
        scope: Scope::parse(&r.try_get::<String, _>("scope")?).unwrap_or(Scope::Read),
        rate_limit_per_minute: r.try_get("rate_limit_per_minute")?,
        created_by: r.try_get::<Option<i64>, _>("created_by")?.map(UserId),
    }))
}
