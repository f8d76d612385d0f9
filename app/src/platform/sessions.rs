//! Server-side sessions in the database, an HttpOnly SameSite=Lax cookie
//! holding a random token (only its hash is stored), and the sign-in rate
//! limits per account and per address.

use super::crypto::{random_token, sha256_hex};
use super::db::{from_ms, ms, Db, Tx};
use crate::domain::ids::{OrgId, SitterId, UserId};
use crate::domain::roles::Role;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

pub const COOKIE: &str = "leashline_session";
pub const SESSION_DAYS: i64 = 30;

/// Failed sign-ins allowed per account, and per address, in the window.
pub const ACCOUNT_LIMIT: i64 = 5;
pub const ADDRESS_LIMIT: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// The signed-in person, as server functions see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    pub session_id: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub sitter_id: Option<SitterId>,
    /// Set when an integration API key is acting (owner level, SPEC §2):
    /// the key's id; `name` is then the key's label.
    pub via_key: Option<i64>,
}

impl SessionUser {
    pub fn is_owner(&self) -> bool {
        self.role.manages_business()
    }

    /// Who this is in the audit trail: the person, or the API key by its label.
    pub fn actor(&self, request_id: String) -> crate::platform::audit::Actor {
        use crate::domain::roles::ActorKind;
        match self.via_key {
            Some(key) => crate::platform::audit::Actor {
                kind: ActorKind::ApiKey,
                id: Some(key),
                name: self.name.clone(),
                request_id: Some(request_id),
            },
            None => crate::platform::audit::Actor {
                kind: ActorKind::from(self.role),
                id: Some(self.user_id.0),
                name: self.name.clone(),
                request_id: Some(request_id),
            },
        }
    }
}

pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

pub async fn lookup(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Option<SessionUser>, sqlx::Error> {
    let id = token_hash(token);
    let row = sqlx::query(
        "SELECT s.id, s.expires_at, s.last_seen_at, u.id AS user_id, u.org_id, u.name, u.email, u.role, u.sitter_id, u.active
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
    )
    .bind(&id)
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let expires: i64 = r.try_get("expires_at")?;
    let active: i64 = r.try_get("active")?;
    if expires <= ms(now) || active == 0 {
        return Ok(None);
    }
    let Some(role) = Role::parse(&r.try_get::<String, _>("role")?) else { return Ok(None) };
    // Sliding expiry, refreshed at most hourly to keep reads cheap.
    let last_seen: i64 = r.try_get("last_seen_at")?;
    if ms(now) - last_seen > 3_600_000 {
        let _ = sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
            .bind(ms(now))
            .bind(ms(now + Duration::days(SESSION_DAYS)))
            .bind(&id)
            .execute(&db.write)
            .await;
    }
    Ok(Some(SessionUser {
        session_id: id,
        user_id: UserId(r.try_get("user_id")?),
        org_id: OrgId(r.try_get("org_id")?),
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role,
        sitter_id: r.try_get::<Option<i64>, _>("sitter_id")?.map(SitterId),
        via_key: None,
    }))
}

/// Creates a session; returns the token for the cookie.
pub async fn create(
    tx: &mut Tx,
    user: UserId,
    ip: Option<&str>,
    user_agent: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&token))
    .bind(user.0)
    .bind(ms(now))
    .bind(ms(now + Duration::days(SESSION_DAYS)))
    .bind(ms(now))
    .bind(ip)
    .bind(user_agent.map(|u| u.chars().take(300).collect::<String>()))
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

pub async fn revoke(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(token_hash(token)).execute(&db.write).await?;
    Ok(())
}

pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_DAYS * 86_400,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// The session token from a Cookie header, if present.
pub fn token_from_cookie_header(header: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == COOKIE && !v.is_empty()).then(|| v.to_string())
    })
}

async fn failures(db: &Db, key: &str, since: i64) -> Result<(i64, Option<i64>), sqlx::Error> {
    // Failures after the last success within the window.
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(at) AS first FROM sign_in_attempts
         WHERE key = $1 AND at >= $2 AND succeeded = 0
           AND at > COALESCE((SELECT MAX(at) FROM sign_in_attempts WHERE key = $1 AND succeeded = 1), 0)",
    )
    .bind(key)
    .bind(since)
    .fetch_one(&db.read)
    .await?;
    Ok((row.try_get("n")?, row.try_get("first")?))
}

/// Refuses a sign-in attempt when the account or the address has failed
/// too often recently. Checked before the password, so a locked account
/// can't be guessed at.
pub async fn check_rate_limit(db: &Db, email: &str, ip: Option<&str>, now: DateTime<Utc>) -> Result<(), AppError> {
    let since = ms(now - Duration::minutes(WINDOW_MINUTES));
    let wait = |first: Option<i64>| {
        let until = first.map(from_ms).unwrap_or(now) + Duration::minutes(WINDOW_MINUTES);
        ((until - now).num_seconds().max(60) + 59) / 60
    };
    let (n, first) = failures(db, &format!("email:{email}"), since).await.map_err(internal)?;
    if n >= ACCOUNT_LIMIT {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-ins for this account. For safety it is locked for {} more minute(s); try again then or reset the password.",
            wait(first)
        )));
    }
    if let Some(ip) = ip {
        let (n, first) = failures(db, &format!("ip:{ip}"), since).await.map_err(internal)?;
        if n >= ADDRESS_LIMIT {
            return Err(AppError::TooManyRequests(format!(
                "Too many failed sign-ins from this network. Try again in {} minute(s).",
                wait(first)
            )));
        }
    }
    Ok(())
}

pub async fn record_attempt(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    ok: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for key in [Some(format!("email:{email}")), ip.map(|i| format!("ip:{i}"))].into_iter().flatten() {
        sqlx::query("INSERT INTO sign_in_attempts (key, at, succeeded) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(ms(now))
            .bind(i16::from(ok))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
        .bind(ms(now - Duration::days(1)))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

fn internal(e: sqlx::Error) -> AppError {
    AppError::from(e)
}
