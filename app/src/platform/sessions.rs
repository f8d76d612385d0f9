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
    lookup_hash(db, &token_hash(token), now).await
}

/// The session stored under `id` (a token's hash), if it is still valid.
pub async fn lookup_hash(db: &Db, id: &str, now: DateTime<Utc>) -> Result<Option<SessionUser>, sqlx::Error> {
    let id = id.to_string();
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

/// Failed attempts for `key` in the window, and the first of them. For an
/// account, a success for that account (or an unlock) starts the count
/// again; for an address, nothing does: signing in to one's own account
/// between guesses at others mustn't reset the address's count.
async fn failures(db: &Db, key: &str, since: i64, reset_by_success: bool) -> Result<(i64, Option<i64>), sqlx::Error> {
    let cond = if reset_by_success {
        account_failures("$1", "$2")
    } else {
        "a.key = $1 AND a.at >= $2 AND a.succeeded = 0".into()
    };
    let sql = format!("SELECT COUNT(*) AS n, MIN(a.at) AS first FROM sign_in_attempts a WHERE {cond}");
    let row = sqlx::query(&sql).bind(key).bind(since).fetch_one(&db.read).await?;
    Ok((row.try_get("n")?, row.try_get("first")?))
}

/// The condition (over `sign_in_attempts a`) for an account's failures
/// that count: since `since`, and after its last success. `key` and
/// `since` are SQL expressions (placeholders, or a column for lists).
pub fn account_failures(key: &str, since: &str) -> String {
    format!(
        "a.key = {key} AND a.at >= {since} AND a.succeeded = 0
           AND a.at > COALESCE((SELECT MAX(b.at) FROM sign_in_attempts b WHERE b.key = a.key AND b.succeeded = 1), 0)"
    )
}

/// Attempts are counted per account under this prefix and the email.
pub const ACCOUNT_KEY_PREFIX: &str = "email:";

pub fn account_key(email: &str) -> String {
    format!("{ACCOUNT_KEY_PREFIX}{email}")
}

/// Whether the account is locked by failed sign-ins now.
pub async fn account_locked(db: &Db, email: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let since = ms(now - Duration::minutes(WINDOW_MINUTES));
    Ok(failures(db, &account_key(email), since, true).await?.0 >= ACCOUNT_LIMIT)
}

/// Minutes until the oldest failure in the window leaves it.
fn wait_minutes(first: Option<i64>, now: DateTime<Utc>) -> i64 {
    let until = first.map(from_ms).unwrap_or(now) + Duration::minutes(WINDOW_MINUTES);
    ((until - now).num_seconds().max(60) + 59) / 60
}

/// Refuses a sign-in attempt when the account or the address has failed
/// too often recently. Checked before the password, so a locked account
/// can't be guessed at.
/// `recorded`: the attempt being judged is already counted among the failures.
pub async fn check_rate_limit(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
    recorded: bool,
) -> Result<(), AppError> {
    let own = i64::from(recorded);
    check_address_with(db, ip, now, own).await?;
    let since = ms(now - Duration::minutes(WINDOW_MINUTES));
    let (n, first) = failures(db, &account_key(email), since, true).await.map_err(internal)?;
    if n - own >= ACCOUNT_LIMIT {
        return Err(AppError::TooManyRequests(format!(
            "{} For safety it is locked for {} more minute(s). To get in sooner, text yourself an unlock code below, or ask the business owner to unlock it.",
            crate::domain::accounts::LOCKED_PREFIX,
            wait_minutes(first, now)
        )));
    }
    Ok(())
}

/// Clears an account's failed sign-ins (an unlock code was right, or an
/// owner unlocked it): recorded as a success for the account only.
pub async fn clear_failures(tx: &mut Tx, email: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sign_in_attempts (key, at, succeeded) VALUES ($1, $2, 1)")
        .bind(account_key(email))
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Refuses when the address has failed too often (sign-ins and unlock
/// codes alike); a success never resets an address.
pub async fn check_address(db: &Db, ip: Option<&str>, now: DateTime<Utc>) -> Result<(), AppError> {
    check_address_with(db, ip, now, 0).await
}

async fn check_address_with(db: &Db, ip: Option<&str>, now: DateTime<Utc>, own: i64) -> Result<(), AppError> {
    let Some(ip) = ip else { return Ok(()) };
    let since = ms(now - Duration::minutes(WINDOW_MINUTES));
    let (n, first) = failures(db, &format!("ip:{ip}"), since, false).await.map_err(internal)?;
    if n - own >= ADDRESS_LIMIT {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-ins from this network. Try again in {} minute(s).",
            wait_minutes(first, now)
        )));
    }
    Ok(())
}

/// Counts a failure against an address only (a wrong unlock code).
pub async fn record_address_failure(db: &Db, ip: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sign_in_attempts (key, at, succeeded) VALUES ($1, $2, 0)")
        .bind(format!("ip:{ip}"))
        .bind(ms(now))
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records a sign-in attempt as failed, before the password is even
/// checked (`succeeded` flips it), so that guesses sent in parallel are all
/// counted. Returns the rows, for `succeeded`.
pub async fn record_attempt(
    db: &Db,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(2);
    for key in [Some(account_key(email)), ip.map(|i| format!("ip:{i}"))].into_iter().flatten() {
        let id: i64 = sqlx::query("INSERT INTO sign_in_attempts (key, at, succeeded) VALUES ($1, $2, 0) RETURNING id")
            .bind(key)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        ids.push(id);
    }
    sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
        .bind(ms(now - Duration::days(1)))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ids)
}

/// Opens a password attempt: refused outright when already locked (nothing
/// recorded); then counted before the password is checked, and judged again
/// with it counted, so guesses sent in parallel can't slip past. Returns the
/// rows for [`succeeded`].
pub async fn begin_attempt(db: &Db, email: &str, ip: Option<&str>, now: DateTime<Utc>) -> Result<Vec<i64>, AppError> {
    check_rate_limit(db, email, ip, now, false).await?;
    let attempt = record_attempt(db, email, ip, now).await.map_err(internal)?;
    check_rate_limit(db, email, ip, now, true).await?;
    Ok(attempt)
}

/// The attempt's password was right.
pub async fn succeeded(db: &Db, attempt: &[i64]) -> Result<(), sqlx::Error> {
    for id in attempt {
        sqlx::query("UPDATE sign_in_attempts SET succeeded = 1 WHERE id = $1").bind(id).execute(&db.write).await?;
    }
    Ok(())
}

fn internal(e: sqlx::Error) -> AppError {
    AppError::from(e)
}
