//! The wizard's SQL: its saved progress, what the database says about each
//! step's requirement (the facts), the business's provider row, and each
//! number's hookup. The decisions are in `service.rs` and `domain::setup`.

use super::*;
use crate::domain::numbers::{Hookup, NumberClass};
use crate::domain::setup::{Facts, Progress, Step};
use crate::error::AppResult;
use crate::platform::{ms, now, Tx};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// What setup_progress.data holds besides the step sets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Saved {
    pub mode: Option<String>,
    pub account: Option<AccountView>,
    pub hookup_base_url: Option<String>,
}

/// The address this business hooks its numbers to: the one chosen in the
/// wizard's hookup step, or `None` for PUBLIC_BASE_URL.
pub async fn custom_hookup_base(c: &mut AnyConnection, org: i64) -> AppResult<Option<String>> {
    let (_, saved) = progress(c, org).await?;
    Ok(saved.hookup_base_url)
}

pub(super) async fn progress(c: &mut AnyConnection, org: i64) -> AppResult<(Progress, Saved)> {
    let r = sqlx::query("SELECT completed_steps, skipped_steps, data FROM setup_progress WHERE org_id = $1")
        .bind(org)
        .fetch_optional(&mut *c)
        .await?;
    let Some(r) = r else { return Ok((Progress::default(), Saved::default())) };
    let p = Progress {
        completed: serde_json::from_str(&r.try_get::<String, _>("completed_steps")?).unwrap_or_default(),
        skipped: serde_json::from_str(&r.try_get::<String, _>("skipped_steps")?).unwrap_or_default(),
    };
    let saved = serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
    Ok((p, saved))
}

pub(super) async fn save_progress(c: &mut AnyConnection, org: i64, p: &Progress, saved: &Saved) -> AppResult<()> {
    let completed = serde_json::to_string(&p.completed)?;
    let skipped = serde_json::to_string(&p.skipped)?;
    let data = serde_json::to_string(saved)?;
    let t = ms(now());
    let finished = p.completed.contains(&Step::Finish.number()).then_some(t);
    let updated = sqlx::query(
        "UPDATE setup_progress SET current_step = $1, completed_steps = $2, skipped_steps = $3, data = $4,
             finished_at = $5, updated_at = $6 WHERE org_id = $7",
    )
    .bind(i64::from(p.resume().number()))
    .bind(&completed)
    .bind(&skipped)
    .bind(&data)
    .bind(finished)
    .bind(t)
    .bind(org)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO setup_progress (org_id, current_step, completed_steps, skipped_steps, data, finished_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org)
        .bind(i64::from(p.resume().number()))
        .bind(&completed)
        .bind(&skipped)
        .bind(&data)
        .bind(finished)
        .bind(t)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

pub(super) async fn facts(c: &mut AnyConnection, org: i64, p: &Progress, saved: &Saved) -> AppResult<Facts> {
    let o = sqlx::query("SELECT provider_connected_at, provider_label FROM organisations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *c)
        .await?;
    let connected = o.try_get::<Option<i64>, _>("provider_connected_at")?.is_some();
    let label: Option<String> = o.try_get("provider_label")?;
    let mut f = Facts {
        provider_connected: connected,
        account_verified: connected
            && p.completed.contains(&Step::Verify.number())
            && saved.account.as_ref().is_none_or(|a| a.active && Some(&a.label) == label.as_ref()),
        ..Facts::default()
    };
    let rows =
        sqlx::query("SELECT class, status, hookup_status FROM numbers WHERE org_id = $1 AND status <> 'inactive'")
            .bind(org)
            .fetch_all(&mut *c)
            .await?;
    for r in rows {
        let class: String = r.try_get("class")?;
        let status: String = r.try_get("status")?;
        f.numbers += 1;
        if Hookup::parse(&r.try_get::<String, _>("hookup_status")?) == Hookup::Verified {
            f.numbers_hooked_up += 1;
        }
        if status == "active" {
            match NumberClass::parse(&class) {
                Some(NumberClass::FrontDesk) => f.front_desk += 1,
                Some(NumberClass::Sitter) => f.sitter_numbers += 1,
                Some(NumberClass::Pool) => f.pool_numbers += 1,
                None => {}
            }
        }
    }
    Ok(f)
}

/// The business's row as the wizard shows it.
pub(super) struct OrgRow {
    pub name: String,
    pub time_zone: String,
    /// "demo" or "twilio".
    pub provider_kind: String,
    pub provider_label: Option<String>,
    pub connected: bool,
    pub ready: bool,
}

pub(super) async fn org_row(c: &mut AnyConnection, org: i64) -> Result<OrgRow, sqlx::Error> {
    let o = sqlx::query("SELECT name, time_zone, provider_kind, provider_label, provider_connected_at, ready_at FROM organisations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *c)
        .await?;
    Ok(OrgRow {
        name: o.try_get("name")?,
        time_zone: o.try_get("time_zone")?,
        provider_kind: o.try_get("provider_kind")?,
        provider_label: o.try_get("provider_label")?,
        connected: o.try_get::<Option<i64>, _>("provider_connected_at")?.is_some(),
        ready: o.try_get::<Option<i64>, _>("ready_at")?.is_some(),
    })
}

/// The numbers in service, with their hookup state, by class then number.
pub(super) async fn numbers(c: &mut AnyConnection, org: i64) -> Result<Vec<SetupNumber>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, e164, class, status, hookup_status, hookup_error FROM numbers
         WHERE org_id = $1 AND status <> 'inactive' ORDER BY class, e164",
    )
    .bind(org)
    .fetch_all(&mut *c)
    .await?;
    let mut numbers = Vec::with_capacity(rows.len());
    for r in rows {
        let e164: String = r.try_get("e164")?;
        let class = NumberClass::parse(&r.try_get::<String, _>("class")?);
        numbers.push(SetupNumber {
            id: r.try_get("id")?,
            display: crate::domain::phone::E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164),
            class,
            quarantined: r.try_get::<String, _>("status")? == "quarantined",
            hookup: Hookup::parse(&r.try_get::<String, _>("hookup_status")?),
            problem: r.try_get("hookup_error")?,
        });
    }
    Ok(numbers)
}

/// How many numbers are in service (not released).
pub(super) async fn numbers_in_service(c: &mut AnyConnection, org: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM numbers WHERE org_id = $1 AND status <> 'inactive'")
        .bind(org)
        .fetch_one(&mut *c)
        .await?
        .try_get("n")
}

/// A tested provider connection to store on the business.
pub(super) struct Connection<'a> {
    pub business: &'a str,
    pub time_zone: &'a str,
    /// "demo" or "twilio".
    pub kind: &'a str,
    /// Encrypted credentials typed in the wizard, if any.
    pub credentials: Option<String>,
    pub label: &'a str,
    pub account_sid: Option<String>,
}

pub(super) async fn save_connection(
    tx: &mut Tx,
    org: i64,
    p: Connection<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE organisations SET name = $1, time_zone = $2, provider_kind = $3, provider_credentials = $4,
             provider_label = $5, provider_connected_at = $6, provider_account_sid = $7 WHERE id = $8",
    )
    .bind(p.business)
    .bind(p.time_zone)
    .bind(p.kind)
    .bind(p.credentials)
    .bind(p.label)
    .bind(ms(now))
    .bind(p.account_sid)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Texting goes off until setup is finished again.
pub(super) async fn clear_ready(tx: &mut Tx, org: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET ready_at = NULL WHERE id = $1").bind(org).execute(&mut **tx).await?;
    Ok(())
}

/// Texting is on (kept at the first time it was switched on).
pub(super) async fn mark_ready(tx: &mut Tx, org: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET ready_at = COALESCE(ready_at, $1) WHERE id = $2")
        .bind(ms(now))
        .bind(org)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A number the hookup points at our webhooks: id, E.164, provider id.
pub(super) async fn hookup_targets(
    c: &mut AnyConnection,
    org: i64,
) -> Result<Vec<(i64, String, Option<String>)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, e164, provider_sid FROM numbers WHERE org_id = $1 AND status <> 'inactive' ORDER BY class, e164",
    )
    .bind(org)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("e164")?, r.try_get("provider_sid")?)))
    .collect()
}

/// One number's hookup result; a verified one keeps the address Twilio
/// now signs its webhooks with (`None`: PUBLIC_BASE_URL).
pub(super) async fn record_hookup(
    tx: &mut Tx,
    org: i64,
    id: i64,
    error: Option<&String>,
    base: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE numbers SET hookup_status = $1, hookup_error = $2, hookup_checked_at = $3 WHERE id = $4 AND org_id = $5")
        .bind(if error.is_none() { Hookup::Verified } else { Hookup::Failed }.as_str())
        .bind(error)
        .bind(ms(now))
        .bind(id)
        .bind(org)
        .execute(&mut **tx)
        .await?;
    if error.is_none() {
        sqlx::query("UPDATE numbers SET hookup_base_url = $1 WHERE id = $2 AND org_id = $3")
            .bind(base)
            .bind(id)
            .bind(org)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
