//! Delivery status callbacks (SPEC §5): every callback is kept; a repeat of
//! the same (MessageSid, status) changes nothing; statuses only move
//! forward and never leave a final state; the first error code is kept.
//! Twilio's webhook and the Demo provider's simulated callbacks both land
//! here. A callback that arrives before we stored the message's id waits
//! and is applied as soon as we do.

use super::store;
use crate::alerts::service::{self as alerts, Raise};
use crate::domain::alerts::Severity;
use crate::domain::delivery::{self, DeliveryStatus};
use crate::domain::ids::{NumberId, OrgId, ThreadId};
use crate::domain::numbers::{self, Health};
use crate::domain::phone::E164;
use crate::domain::provider_errors;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{Job, Outcome};
use crate::platform::{ms, AppState, Tx};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

#[derive(Clone, Debug)]
pub struct StatusUpdate {
    pub sid: String,
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub payload: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The same callback came before: nothing changed.
    Duplicate,
    /// Kept; the message isn't known yet (or never will be).
    Kept,
    /// Applied to a message (which may or may not have changed).
    Message { org: OrgId, thread: ThreadId, changed: bool },
}

pub async fn apply(state: &AppState, u: StatusUpdate) -> Result<Applied, sqlx::Error> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let kept = sqlx::query(
        "INSERT INTO status_callbacks (message_sid, status, error_code, received_at, payload) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_sid, status) DO NOTHING RETURNING id",
    )
    .bind(&u.sid)
    .bind(u.status.to_ascii_lowercase())
    .bind(u.error_code.as_deref().filter(|c| !c.is_empty()))
    .bind(ms(now))
    .bind(u.payload.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    if kept.is_none() {
        return Ok(Applied::Duplicate);
    }
    let out =
        apply_to_message(&mut tx, &u.sid, &u.status, u.error_code.as_deref(), u.error_message.as_deref(), now).await?;
    tx.commit().await?;
    publish(state, &out);
    Ok(out)
}

/// Re-applies every kept callback of `sid` in arrival order (idempotent).
pub async fn apply_pending(state: &AppState, sid: &str) -> Result<(), sqlx::Error> {
    let rows = sqlx::query("SELECT status, error_code FROM status_callbacks WHERE message_sid = $1 ORDER BY id")
        .bind(sid)
        .fetch_all(&state.db.read)
        .await?;
    for r in rows {
        let status: String = r.try_get("status")?;
        let code: Option<String> = r.try_get("error_code")?;
        let mut tx = state.db.begin().await?;
        let out = apply_to_message(&mut tx, sid, &status, code.as_deref(), None, Utc::now()).await?;
        tx.commit().await?;
        publish(state, &out);
    }
    Ok(())
}

fn publish(state: &AppState, out: &Applied) {
    if let Applied::Message { org, thread, changed: true } = out {
        state.publish(crate::platform::state::LiveEvent {
            org_id: org.0,
            thread_id: Some(thread.0),
            owner_only: false,
            kind: "message.status".into(),
            data: serde_json::json!({ "thread_id": thread.0 }),
        });
    }
}

async fn apply_to_message(
    tx: &mut Tx,
    sid: &str,
    provider_status: &str,
    code: Option<&str>,
    provider_message: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Applied, sqlx::Error> {
    let Some(r) = sqlx::query("SELECT id, org_id, thread_id, status, error_code, from_e164, to_e164 FROM messages WHERE provider_sid = $1 AND direction = 'outbound'")
        .bind(sid)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(Applied::Kept);
    };
    let id: i64 = r.try_get("id")?;
    let org = OrgId(r.try_get("org_id")?);
    let thread = ThreadId(r.try_get("thread_id")?);
    sqlx::query("UPDATE status_callbacks SET org_id = $1 WHERE message_sid = $2 AND org_id IS NULL")
        .bind(org.0)
        .bind(sid)
        .execute(&mut **tx)
        .await?;
    let current = DeliveryStatus::parse(&r.try_get::<String, _>("status")?);
    let incoming = DeliveryStatus::from_provider(provider_status);
    let (Some(current), Some(incoming)) = (current, incoming) else {
        return Ok(Applied::Message { org, thread, changed: false });
    };
    let Some(next) = delivery::advance(current, incoming) else {
        return Ok(Applied::Message { org, thread, changed: false });
    };
    let stored_code: Option<String> = r.try_get("error_code")?;
    let keep = delivery::keep_error(stored_code.as_deref(), code).map(str::to_string);
    let from = r.try_get::<Option<String>, _>("from_e164")?.as_deref().and_then(E164::from_canonical);
    let to = r.try_get::<Option<String>, _>("to_e164")?.as_deref().and_then(E164::from_canonical);
    let opted_out = next.is_failure() && keep.as_deref() == Some("21610");
    if let (true, Some(m)) = (next.is_failure(), provider_message) {
        tracing::info!(sid, provider_message = m, "delivery failed");
    }
    let reason = next.is_failure().then(|| provider_errors::explain(keep.as_deref()).sentence());
    sqlx::query(
        "UPDATE messages SET status = $1, error_code = $2, error_message = COALESCE(error_message, $3),
            delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END,
            failed_at = CASE WHEN $1 IN ('undelivered', 'failed') THEN $4 ELSE failed_at END,
            sent_at = COALESCE(sent_at, $4)
         WHERE id = $5",
    )
    .bind(next.as_str())
    .bind(keep.as_deref())
    .bind(reason.as_deref())
    .bind(ms(now))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let to_label = to.as_ref().map(|t| t.display()).unwrap_or_default();
    if opted_out {
        if let (Some(from), Some(to)) = (&from, &to) {
            if let Some(n) = store::number_by_e164(tx, from).await? {
                store::set_opt_out(tx, org, to, n.id, true, "provider_21610", now).await?;
            }
        }
        audit::append(
            tx,
            org,
            &Actor::system(None),
            Event::new("client.opted_out", "message", id, format!("{to_label} has opted out (code 21610)"))
                .thread(thread.0)
                .message(id)
                .webhook(sid),
        )
        .await?;
    } else if next.is_failure() {
        sqlx::query("UPDATE threads SET failed_deliveries = failed_deliveries + 1 WHERE id = $1")
            .bind(thread.0)
            .execute(&mut **tx)
            .await?;
        let sentence = reason.clone().unwrap_or_default();
        store::note(tx, org, thread, &format!("A text to the client wasn't delivered: {sentence}"), now).await?;
        audit::append(
            tx,
            org,
            &Actor::system(None),
            Event::new("message.failed", "message", id, format!("Text to {to_label} not delivered"))
                .thread(thread.0)
                .message(id)
                .webhook(sid)
                .payload(serde_json::json!({ "error_code": keep, "status": next.as_str() })),
        )
        .await?;
        if let Some(from) = &from {
            number_health_check(tx, org, from, now).await?;
        }
    } else {
        audit::append(
            tx,
            org,
            &Actor::system(None),
            Event::new("message.status_changed", "message", id, format!("Text to {to_label}: {}", next.label()))
                .thread(thread.0)
                .message(id)
                .webhook(sid)
                .payload(serde_json::json!({ "status": next.as_str() })),
        )
        .await?;
    }
    Ok(Applied::Message { org, thread, changed: true })
}

/// Failures of a number over the last 7 days (opt-outs don't count).
pub async fn failures_7d(c: &mut sqlx::AnyConnection, number: &E164, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE from_e164 = $1 AND direction = 'outbound' AND status IN ('failed', 'undelivered')
           AND failed_at >= $2 AND (error_code IS NULL OR error_code <> '21610')",
    )
    .bind(number.as_str())
    .bind(ms(now - Duration::days(7)))
    .fetch_one(&mut *c)
    .await?
    .try_get("n")
}

/// Raises an alert when a number turns red, and a critical one when it is
/// the Front Desk number.
async fn number_health_check(tx: &mut Tx, org: OrgId, from: &E164, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let Some(n) = store::number_by_e164(tx, from).await? else { return Ok(()) };
    let ctx = store::org_context(tx, org).await?;
    let failures = failures_7d(tx, from, now).await?;
    let health = numbers::health(failures.max(0) as u32, ctx.settings.health);
    if health != Health::Red {
        return Ok(());
    }
    let front = n.class == crate::domain::numbers::NumberClass::FrontDesk;
    alerts::raise(
        tx,
        org,
        Raise {
            rule: if front { "front_desk_failing" } else { "number_red" },
            cause_key: format!("number-red:{}", n.id.0),
            severity: if front { Severity::Critical } else { Severity::Warning },
            title: format!("{} is failing to deliver", from.display()),
            body: format!(
                "{failures} texts from this {} number failed in the last 7 days. Consider quarantining it.",
                n.class.label()
            ),
            thread_id: None,
            number_id: Some(NumberId(n.id.0).0),
        },
        now,
    )
    .await?;
    Ok(())
}

/// The Demo provider's simulated carrier callback.
pub async fn run_demo_status(state: &AppState, job: &Job) -> Outcome {
    let p = &job.payload;
    let (Some(sid), Some(status)) = (p.get("sid").and_then(|v| v.as_str()), p.get("status").and_then(|v| v.as_str()))
    else {
        return Outcome::Fail { error: "demo status job without sid/status".into() };
    };
    let update = StatusUpdate {
        sid: sid.to_string(),
        status: status.to_string(),
        error_code: p.get("error_code").and_then(|v| v.as_str()).map(str::to_string),
        error_message: None,
        payload: p.clone(),
    };
    match apply(state, update).await {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(2) },
    }
}
