//! Sitters switched on and off (SPEC §4.11). Activation gives a sitter a
//! business number; deactivation quarantines theirs, closes their open
//! windows (their clients' texts then reach the owner inbox) and stops
//! their sign-in. Each is previewed with the same sentences it records, and
//! applied in one transaction with its audit event. The UI and the
//! integration API both call these.

use super::*;
use crate::assignments::store::number_facts;
use crate::domain::ids::{NumberId, OrgId, SitterId};
use crate::domain::numbers::{self, NumberClass, NumberFacts, NumberStatus};
use crate::domain::phone::E164;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Event};
use crate::platform::ctx::{request_id, require_owner};
use crate::platform::{ms, now, state};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

struct Who {
    name: String,
    first: String,
    active: bool,
    number: Option<String>,
}

async fn who(c: &mut AnyConnection, org: OrgId, id: SitterId) -> AppResult<Who> {
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
async fn number_for(c: &mut AnyConnection, org: OrgId, now: DateTime<Utc>) -> Result<Option<NumberFacts>, sqlx::Error> {
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

async fn assign_number(
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

/// Switches a sitter on and gives them a business number. With `preview`,
/// says what would happen and changes nothing.
pub async fn activate(id: SitterId, preview: bool) -> AppResult<SitterChange> {
    let u = require_owner().await?;
    let st = state()?;
    let org = u.org_id;
    let now = now();
    let mut tx = st.db.begin().await?;
    let tz = mstore::org_context(&mut tx, org).await?.tz;
    let s = who(&mut tx, org, id).await?;
    if s.active && s.number.is_some() {
        return Err(AppError::Conflict(format!(
            "{} is already active with {}.",
            s.name,
            s.number.as_deref().and_then(E164::from_canonical).map(|e| e.display()).unwrap_or_default()
        )));
    }
    let mut lines = Vec::new();
    let number = if s.number.is_some() {
        None
    } else {
        let n = number_for(&mut tx, org, now).await?.ok_or_else(|| {
            AppError::Conflict(format!(
                "No number is free to give {}. Buy one in Numbers (or release one to the pool), then activate again.",
                s.first
            ))
        })?;
        let all = number_facts(&mut tx, org).await?;
        numbers::assign_to_sitter(&n, id, &s.first, &all, now, tz, true)
            .map_err(|e| AppError::Conflict(e.to_string()))?;
        lines.push(format!(
            "{} becomes {}'s number{}: clients in {}'s weekly windows text it.",
            n.e164.display(),
            s.first,
            if n.class == NumberClass::Pool { " (taken from the pool)" } else { "" },
            s.first
        ));
        Some(n)
    };
    if !s.active {
        lines.push(format!("{} can sign in again and is offered in Assignments.", s.first));
    }
    let summary = format!("Activate {}", s.name);
    if preview {
        return Ok(SitterChange { done: false, summary, lines });
    }
    sqlx::query("UPDATE sitters SET active = 1, deactivated_at = NULL WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET active = 1 WHERE sitter_id = $1").bind(id.0).execute(&mut *tx).await?;
    if let Some(n) = &number {
        assign_number(&mut tx, org, n.id, id, now).await?;
    }
    audit::append(
        &mut tx,
        org,
        &u.actor(request_id()),
        Event::new("sitter.activated", "sitter", id.0, format!("{} activated. {}", s.name, lines.join(" ")))
            .payload(serde_json::json!({ "number_id": number.as_ref().map(|n| n.id.0) })),
    )
    .await?;
    tx.commit().await?;
    Ok(SitterChange { done: true, summary, lines })
}

/// Switches a sitter off: their number goes into quarantine (cooldown from
/// Settings), their open windows close so their clients' texts reach the
/// owner inbox, and they can no longer sign in.
pub async fn deactivate(id: SitterId, preview: bool) -> AppResult<SitterChange> {
    let u = require_owner().await?;
    let st = state()?;
    let org = u.org_id;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    let s = who(&mut tx, org, id).await?;
    if !s.active {
        return Err(AppError::Conflict(format!("{} is already inactive.", s.name)));
    }
    let all = number_facts(&mut tx, org).await?;
    let held: Vec<NumberFacts> =
        all.iter().filter(|n| n.sitter_id == Some(id) && n.status == NumberStatus::Active).cloned().collect();
    let mut lines = Vec::new();
    // Each number they hold is quarantined the way Numbers does it: its
    // conversations move (to another number of theirs, else the owner
    // inbox on the Front Desk number), each with a note; the preview lists them.
    let mut plans = Vec::new();
    for n in &held {
        let p =
            crate::numbers::store::plan_deactivation(&mut tx, &ctx, n.id, &s.name, now).await.map_err(|e| match e {
                AppError::Internal(r) => AppError::Internal(r),
                other => AppError::Conflict(format!("{} can't be deactivated yet: {other}", s.name)),
            })?;
        // The reason and the windows are said once below, for the sitter.
        lines.extend(
            p.lines().iter().filter(|l| !l.starts_with("Reason recorded") && !l.contains("on them close")).cloned(),
        );
        plans.push((n.id, p));
    }
    let open = sqlx::query(
        "SELECT w.id, w.starts_at, c.name FROM assignment_windows w JOIN clients c ON c.id = w.client_id
         WHERE w.sitter_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at",
    )
    .bind(id.0)
    .bind(ms(now))
    .fetch_all(&mut *tx)
    .await?;
    let mut clients: Vec<String> = Vec::new();
    for r in &open {
        let c: String = r.try_get("name")?;
        if !clients.contains(&c) {
            clients.push(c);
        }
    }
    if open.is_empty() {
        lines.push(format!("{} has no open windows.", s.first));
    } else {
        lines.push(format!(
            "{} open window{} close now ({}): those clients' texts go to the owner inbox.",
            open.len(),
            if open.len() == 1 { "" } else { "s" },
            clients.join(", ")
        ));
    }
    lines.push(format!("{} can no longer sign in.", s.first));
    let summary = format!("Deactivate {}", s.name);
    if preview {
        return Ok(SitterChange { done: false, summary, lines });
    }
    for r in &open {
        let wid: i64 = r.try_get("id")?;
        let starts: i64 = r.try_get("starts_at")?;
        let sql = if starts >= ms(now) {
            "UPDATE assignment_windows SET deleted_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2"
        } else {
            "UPDATE assignment_windows SET ends_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2"
        };
        sqlx::query(sql).bind(ms(now)).bind(wid).execute(&mut *tx).await?;
    }
    let actor = u.actor(request_id());
    let mut moved = Vec::new();
    for (_, p) in &plans {
        moved.extend(crate::numbers::store::apply_deactivation(&mut tx, &ctx, &actor, p, now).await?);
    }
    sqlx::query("UPDATE sitters SET active = 0, deactivated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET active = 0 WHERE sitter_id = $1").bind(id.0).execute(&mut *tx).await?;
    // Signed out everywhere, now: open pages and live streams end too.
    let logins: Vec<i64> = sqlx::query("SELECT id FROM users WHERE sitter_id = $1")
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE sitter_id = $1)")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        org,
        &actor,
        Event::new("sitter.deactivated", "sitter", id.0, format!("{} deactivated. {}", s.name, lines.join(" ")))
            .payload(serde_json::json!({
                "numbers": plans.iter().map(|(n, _)| n.0).collect::<Vec<_>>(), "windows_closed": open.len(),
                "threads_moved": moved,
            })),
    )
    .await?;
    tx.commit().await?;
    for t in moved {
        st.publish(crate::platform::state::LiveEvent {
            org_id: org.0,
            thread_id: Some(t),
            owner_only: false,
            kind: "number".into(),
            data: serde_json::json!({}),
        });
    }
    for user in logins {
        st.publish(crate::platform::state::LiveEvent {
            org_id: org.0,
            thread_id: None,
            owner_only: true,
            kind: crate::platform::state::ACCESS_REVOKED.into(),
            data: serde_json::json!({ "user_id": user }),
        });
    }
    Ok(SitterChange { done: true, summary, lines })
}

fn one_line(field: &str, value: &str, max: usize, what: &str) -> AppResult<()> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(AppError::field(field, format!("{what} is 1 to {max} characters on one line.")));
    }
    Ok(())
}

/// Adds a sitter (active, no number yet: activating gives them one). With a
/// password, they can sign in with their email straight away.
pub async fn create(f: NewSitterForm) -> AppResult<SitterId> {
    let u = require_owner().await?;
    let st = state()?;
    let org = u.org_id;
    let name = f.name.trim();
    one_line("name", name, 120, "The name")?;
    let first = match f.first_name.trim() {
        "" => name.split_whitespace().next().unwrap_or(name).to_string(),
        given => {
            one_line("first_name", given, 60, "The first name")?;
            given.to_string()
        }
    };
    let email = match f.email.trim() {
        "" => None,
        e if e.contains('@') && e.len() <= 200 && !e.contains(char::is_whitespace) => Some(e.to_lowercase()),
        e => return Err(AppError::field("email", format!("\"{e}\" isn't an email address."))),
    };
    let password = f.password.as_str();
    if !password.is_empty() {
        if email.is_none() {
            return Err(AppError::field("email", "Add an email address: it's what they sign in with."));
        }
        let email = email.as_deref().unwrap_or_default();
        crate::platform::passwords::check(password, &[name, &first, email])
            .map_err(|e| AppError::field("password", e))?;
    }
    let now = now();
    let mut tx = st.db.begin().await?;
    let region = mstore::org_context(&mut tx, org).await?.region;
    let phone = match f.phone.trim() {
        "" => None,
        p => Some(
            E164::parse(p, &region)
                .map_err(|e| AppError::field("phone", format!("\"{p}\" isn't a phone number we can text: {e}")))?,
        ),
    };
    if let (Some(e), false) = (&email, password.is_empty()) {
        let taken: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE email = $1")
            .bind(e)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if taken > 0 {
            return Err(AppError::field("email", format!("{e} already signs in to Leashline. Use another address.")));
        }
    }
    let id: i64 = sqlx::query(
        "INSERT INTO sitters (org_id, name, first_name, phone, email, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(org.0)
    .bind(name)
    .bind(&first)
    .bind(phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&email)
    .bind(ms(now))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let login = match (&email, password.is_empty()) {
        (Some(e), false) => {
            sqlx::query(
                "INSERT INTO users (org_id, email, name, password_hash, role, sitter_id, created_at) VALUES ($1, $2, $3, $4, 'sitter', $5, $6)",
            )
            .bind(org.0)
            .bind(e)
            .bind(name)
            .bind(crate::platform::crypto::hash_password(password))
            .bind(id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            format!(" They can sign in as {e}.")
        }
        _ => String::new(),
    };
    audit::append(
        &mut tx,
        org,
        &u.actor(request_id()),
        Event::new("sitter.created", "sitter", id, format!("Sitter {name} added.{login}")),
    )
    .await?;
    tx.commit().await?;
    Ok(SitterId(id))
}
