//! The SQL behind your account: your stored password, a new one, and your
//! other sessions.

use crate::domain::ids::UserId;
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

/// Stores the new hash and ends every session of the person but `keep`;
/// returns how many ended.
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
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2").bind(user.0).bind(keep).execute(&mut **tx).await?;
    Ok(ended)
}
