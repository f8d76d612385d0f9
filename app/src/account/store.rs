//! The SQL behind your account: your stored password, a new one, and your
//! other sessions.

use crate::domain::ids::{OrgId, SitterId, UserId};
use crate::platform::{ms, Tx};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// The person's password hash, if they are still switched on.
pub async fn password_hash(c: &mut AnyConnection, user: UserId) -> Result<Option<String>, sqlx::Error> {
    let r = sqlx::query("SELECT password_hash FROM users WHERE id = $1 AND active = 1")
        .bind(user.0)
        .fetch_optional(&mut *c)
        .await?;
    Ok(r.map(|r| r.try_get::<Option<String>, _>("password_hash")).transpose()?.flatten())
}

/// Stores the new hash, ends every session of the person but `keep` and
/// drops their unused reset links; returns how many sessions ended.
pub async fn replace_password(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
    keep: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user.0).execute(&mut **tx).await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2 AND expires_at > $3")
        .bind(user.0)
        .bind(keep)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.0)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    // A reset link made before no longer applies to this password.
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    Ok(ended)
}

/// The sign-in of a sitter of the business, if they have one and it is on.
pub async fn sitter_user(
    c: &mut AnyConnection,
    org: OrgId,
    sitter: SitterId,
) -> Result<Option<(UserId, String)>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT u.id, u.name FROM users u JOIN sitters s ON s.id = u.sitter_id
         WHERE s.id = $1 AND s.org_id = $2 AND u.org_id = $2 AND u.active = 1",
    )
    .bind(sitter.0)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| Ok((UserId(r.try_get("id")?), r.try_get("name")?))).transpose()
}

/// A new reset link (stored by its hash); the person's unused ones go.
pub async fn insert_reset(
    tx: &mut Tx,
    id_hash: &str,
    org: OrgId,
    user: UserId,
    by: UserId,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO password_resets (id, org_id, user_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id_hash)
    .bind(org.0)
    .bind(user.0)
    .bind(by.0)
    .bind(ms(now))
    .bind(ms(expires))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A reset link as stored, with the person it is for.
pub struct ResetRow {
    pub org: OrgId,
    pub user: UserId,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Unused, not expired, and the person still switched on.
    pub usable: bool,
}

pub async fn reset_row(
    c: &mut AnyConnection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<ResetRow>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT r.org_id, r.user_id, r.expires_at, r.used_at, u.name, u.email, u.role, u.active
         FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.id = $1",
    )
    .bind(id_hash)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let usable = r.try_get::<Option<i64>, _>("used_at")?.is_none()
        && r.try_get::<i64, _>("expires_at")? > ms(now)
        && r.try_get::<i64, _>("active")? == 1;
    Ok(Some(ResetRow {
        org: OrgId(r.try_get("org_id")?),
        user: UserId(r.try_get("user_id")?),
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: r.try_get("role")?,
        usable,
    }))
}

/// Uses the link up (only once, even when two tabs race), sets the new
/// password and ends every session of the person. False if it was used.
pub async fn use_reset(
    tx: &mut Tx,
    id_hash: &str,
    user: UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let used =
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(ms(now))
            .bind(id_hash)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if used != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user.0).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(&mut **tx).await?;
    Ok(true)
}
