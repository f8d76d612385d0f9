//! Sitters' rows: who they are, their number, their windows and sign-ins.
//! `service.rs` decides what activating, deactivating and adding do.

use super::*;
use crate::assignments::store::number_facts;
use crate::domain::ids::{NumberId, OrgId, SitterId};
use crate::domain::numbers::{self, NumberFacts};
use crate::domain::phone::E164;
use crate::error::AppResult;
use crate::platform::ms;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

pub struct Who {
    pub name: String,
    pub first: String,
    pub active: bool,
    pub number: Option<String>,
}

pub async fn who(c: &mut AnyConnection, org: OrgId, id: SitterId) -> AppResult<Who> {
    let r = sqlx::query(
        "SELECT s.name, s.first_name, s.active,
            (SELECT n.e164 FROM numbers n WHERE n.sitter_id = s.id AND n.class = 'sitter' AND n.status = 'active' ORDER BY n.e164 LIMIT 1) AS number
         FROM sitters s WHERE s.id = $1 AND s.org_id = $2",
    )
    .bind(id.0)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| AppError::NotFound("There is no such sitter.".into()))?;
    Ok(Who {
        name: r.try_get("name")?,
        first: r.try_get("first_name")?,
        active: r.try_get::<i64, _>("active")? == 1,
        number: r.try_get("number")?,
    })
}

/// Every sitter, active first, with their number and what's ahead of them.
pub async fn sitters(c: &mut AnyConnection, org: OrgId, now: DateTime<Utc>) -> AppResult<Vec<SitterRow>> {
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.name, s.first_name, s.phone, s.email, s.active,
            (SELECT n.e164 FROM numbers n WHERE n.sitter_id = s.id AND n.class = 'sitter' AND n.status = 'active' ORDER BY n.e164 LIMIT 1) AS number,
            (SELECT COUNT(*) FROM assignment_windows w WHERE w.sitter_id = s.id AND w.deleted_at IS NULL AND w.ends_at > $2) AS open_windows,
            (SELECT COUNT(*) FROM users u WHERE u.sitter_id = s.id AND u.active = 1) AS logins,
            (SELECT COUNT(*) FROM users u JOIN sign_in_attempts a ON u.sitter_id = s.id
              WHERE {}) AS failed
         FROM sitters s WHERE s.org_id = $1 ORDER BY s.active DESC, s.name, s.id",
        crate::platform::sessions::account_failures(&format!("'{}' || u.email", crate::platform::sessions::ACCOUNT_KEY_PREFIX), "$3")
    ))
    .bind(org.0)
    .bind(ms(now))
    .bind(ms(now - chrono::Duration::minutes(crate::platform::sessions::WINDOW_MINUTES)))
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SitterRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                first_name: r.try_get("first_name")?,
                phone: r
                    .try_get::<Option<String>, _>("phone")?
                    .map(|p| E164::from_canonical(&p).map(|e| e.display()).unwrap_or(p)),
                email: r.try_get("email")?,
                active: r.try_get::<i64, _>("active")? == 1,
                number: r
                    .try_get::<Option<String>, _>("number")?
                    .map(|p| E164::from_canonical(&p).map(|e| e.display()).unwrap_or(p)),
                open_windows: r.try_get("open_windows")?,
                can_sign_in: r.try_get::<i64, _>("logins")? > 0,
                locked: r.try_get::<i64, _>("failed")? >= crate::platform::sessions::ACCOUNT_LIMIT,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The number an activated sitter gets: a free sitter number, else a free
/// pool number not lent to an unfinished booking.
pub async fn number_for(
    c: &mut AnyConnection,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<Option<NumberFacts>, sqlx::Error> {
    let facts = number_facts(c, org).await?;
    if let Some(n) = numbers::select_free_sitter_number(&facts, now) {
        return Ok(Some(n.clone()));
    }
    let lent: Vec<i64> = sqlx::query(
        "SELECT DISTINCT t.number_id FROM assignment_windows w JOIN threads t ON t.id = w.thread_id
         WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2",
    )
    .bind(org.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("number_id"))
    .collect::<Result<_, _>>()?;
    let free: Vec<NumberFacts> = facts.into_iter().filter(|n| !lent.contains(&n.id.0)).collect();
    Ok(numbers::select_pool_number(&free, now).cloned())
}

pub async fn assign_number(
    c: &mut AnyConnection,
    org: OrgId,
    n: NumberId,
    sitter: SitterId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    crate::numbers::store::end_assignment(c, n, now).await?;
    sqlx::query("UPDATE numbers SET class = 'sitter', sitter_id = $1, cooldown_until = NULL WHERE id = $2")
        .bind(sitter.0)
        .bind(n.0)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1").bind(n.0).execute(&mut *c).await?;
    sqlx::query(
        "INSERT INTO number_assignments (org_id, number_id, sitter_id, class, started_at, reason) VALUES ($1, $2, $3, 'sitter', $4, 'sitter activated')",
    )
    .bind(org.0)
    .bind(n.0)
    .bind(sitter.0)
    .bind(ms(now))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A window of the sitter's that hasn't ended.
pub struct OpenWindow {
    pub id: i64,
    pub starts_at: i64,
    pub client: String,
}

pub async fn open_windows(
    c: &mut AnyConnection,
    sitter: SitterId,
    now: DateTime<Utc>,
) -> Result<Vec<OpenWindow>, sqlx::Error> {
    sqlx::query(
        "SELECT w.id, w.starts_at, c.name FROM assignment_windows w JOIN clients c ON c.id = w.client_id
         WHERE w.sitter_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at",
    )
    .bind(sitter.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok(OpenWindow { id: r.try_get("id")?, starts_at: r.try_get("starts_at")?, client: r.try_get("name")? }))
    .collect()
}

/// Windows that haven't started are removed; the one under way ends now.
pub async fn close_windows(c: &mut AnyConnection, open: &[OpenWindow], now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    for w in open {
        let sql = if w.starts_at >= ms(now) {
            "UPDATE assignment_windows SET deleted_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2"
        } else {
            "UPDATE assignment_windows SET ends_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2"
        };
        sqlx::query(sql).bind(ms(now)).bind(w.id).execute(&mut *c).await?;
    }
    Ok(())
}

/// Switches the sitter and their sign-in on or off.
pub async fn set_active(
    c: &mut AnyConnection,
    id: SitterId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (flag, since) = if active { (1_i64, None) } else { (0_i64, Some(ms(now))) };
    sqlx::query("UPDATE sitters SET active = $1, deactivated_at = $2 WHERE id = $3")
        .bind(flag)
        .bind(since)
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE users SET active = $1 WHERE sitter_id = $2").bind(flag).bind(id.0).execute(&mut *c).await?;
    Ok(())
}

/// Ends every session of the sitter's sign-ins; returns those sign-ins so
/// their open pages can be told.
pub async fn sign_out(c: &mut AnyConnection, id: SitterId) -> Result<Vec<i64>, sqlx::Error> {
    let logins: Vec<i64> = sqlx::query("SELECT id FROM users WHERE sitter_id = $1")
        .bind(id.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE sitter_id = $1)")
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    Ok(logins)
}

pub async fn email_taken(c: &mut AnyConnection, email: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&mut *c)
        .await?
        .try_get("n")?;
    Ok(n > 0)
}

/// A new sitter, already checked.
pub struct NewSitter<'a> {
    pub name: &'a str,
    pub first: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub async fn insert_sitter(
    c: &mut AnyConnection,
    org: OrgId,
    s: &NewSitter<'_>,
    now: DateTime<Utc>,
) -> Result<SitterId, sqlx::Error> {
    let id: i64 = sqlx::query(
        "INSERT INTO sitters (org_id, name, first_name, phone, email, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(org.0)
    .bind(s.name)
    .bind(s.first)
    .bind(s.phone)
    .bind(s.email)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")?;
    Ok(SitterId(id))
}

/// A sign-in for the sitter with a password hash already made.
pub async fn insert_login(
    c: &mut AnyConnection,
    org: OrgId,
    sitter: SitterId,
    email: &str,
    name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (org_id, email, name, password_hash, role, sitter_id, created_at) VALUES ($1, $2, $3, $4, 'sitter', $5, $6)",
    )
    .bind(org.0)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(sitter.0)
    .bind(ms(now))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A sitter's editable details, and the email they sign in with (if any).
pub struct SitterFields {
    pub name: String,
    pub first: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub login: Option<String>,
}

pub async fn sitter_fields(
    c: &mut AnyConnection,
    org: OrgId,
    id: SitterId,
) -> Result<Option<SitterFields>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT s.name, s.first_name, s.phone, s.email, u.email AS login FROM sitters s
         LEFT JOIN users u ON u.sitter_id = s.id AND u.org_id = s.org_id WHERE s.id = $1 AND s.org_id = $2",
    )
    .bind(id.0)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(SitterFields {
            name: r.try_get("name")?,
            first: r.try_get("first_name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            login: r.try_get("login")?,
        })
    })
    .transpose()
}

/// New details for a sitter, and for their sign-in when they have one.
pub async fn update_sitter(c: &mut AnyConnection, id: SitterId, s: &NewSitter<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sitters SET name = $1, first_name = $2, phone = $3, email = $4 WHERE id = $5")
        .bind(s.name)
        .bind(s.first)
        .bind(s.phone)
        .bind(s.email)
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    if let Some(e) = s.email {
        sqlx::query("UPDATE users SET name = $1, email = $2 WHERE sitter_id = $3")
            .bind(s.name)
            .bind(e)
            .bind(id.0)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
