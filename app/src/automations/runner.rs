//! Running automations on booking events (SPEC §3.6): a booking created
//! (and confirmed) anywhere — the Assignments screen or the integration API
//! — enqueues one durable `automation.booking` job in the same transaction;
//! the job evaluates every active automation with that trigger, runs its
//! actions through the one send function (as the automation: quiet hours
//! defer, policy never bypassed) or raises its alert, and logs the
//! execution with each condition's and action's result. A dedupe key per
//! automation and booking makes it run once, even when the job is retried.

use crate::domain::alerts::Severity;
use crate::domain::automation::conditions::{evaluate, ConditionGroup, Value};
use crate::domain::automation::definition::{Action, ActionKind, Recipient, Trigger, TriggerKind};
use crate::domain::automation::template::render;
use crate::domain::ids::{OrgId, ThreadId};
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::roles::ActorKind;
use crate::messaging::send::{self, SendOutcome, SendRequest};
use crate::messaging::store::org_context;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{Job, NewJob, Outcome};
use crate::platform::{from_ms, ms, now, AppState, Tx};
use sqlx::Row;
use std::collections::BTreeMap;

pub const JOB: &str = "automation.booking";

/// Queues the booking's triggers, inside the transaction that made it.
pub async fn booking_created(tx: &mut Tx, org: OrgId, booking: i64) -> Result<(), sqlx::Error> {
    for trigger in [TriggerKind::BookingCreated, TriggerKind::BookingConfirmed] {
        let job =
            NewJob::now(Some(org), JOB, serde_json::json!({ "booking_id": booking, "trigger": trigger.as_str() }))
                .dedupe(format!("{JOB}:{booking}:{}", trigger.as_str()));
        crate::platform::jobs::enqueue(tx, job).await?;
    }
    Ok(())
}

struct Facts {
    thread: Option<ThreadId>,
    values: BTreeMap<String, String>,
    fields: BTreeMap<String, Value>,
}

async fn facts(tx: &mut Tx, org: OrgId, booking: i64) -> Result<Option<Facts>, sqlx::Error> {
    let ctx = org_context(tx, org).await?;
    let r = sqlx::query(
        "SELECT b.service, b.status, b.starts_at, b.ends_at, c.name AS client, c.first_name AS client_first,
                s.name AS sitter, s.first_name AS sitter_first, w.kind, w.thread_id, w.starts_at AS w_starts, w.ends_at AS w_ends,
                n.e164, n.class, t.started_by
         FROM bookings b JOIN clients c ON c.id = b.client_id JOIN sitters s ON s.id = b.sitter_id
         LEFT JOIN assignment_windows w ON w.booking_id = b.id AND w.deleted_at IS NULL
         LEFT JOIN threads t ON t.id = w.thread_id LEFT JOIN numbers n ON n.id = t.number_id
         WHERE b.id = $1 AND b.org_id = $2",
    )
    .bind(booking)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let tz = ctx.tz;
    let when = |v: i64| tz.day_time(from_ms(v));
    let mut values = BTreeMap::new();
    let mut fields = BTreeMap::new();
    let text = |k: &str, v: String, values: &mut BTreeMap<String, String>, fields: &mut BTreeMap<String, Value>| {
        values.insert(k.to_string(), v.clone());
        fields.insert(k.to_string(), Value::Text(v));
    };
    text("client.first_name", r.try_get("client_first")?, &mut values, &mut fields);
    text("client.name", r.try_get("client")?, &mut values, &mut fields);
    text("sitter.first_name", r.try_get("sitter_first")?, &mut values, &mut fields);
    text("sitter.name", r.try_get("sitter")?, &mut values, &mut fields);
    text("booking.service", r.try_get("service")?, &mut values, &mut fields);
    text("booking.status", r.try_get("status")?, &mut values, &mut fields);
    text("booking.start_time", when(r.try_get("starts_at")?), &mut values, &mut fields);
    text("business.name", ctx.name.clone(), &mut values, &mut fields);
    if let Some(w) = r.try_get::<Option<i64>, _>("w_starts")? {
        text("window.start_time", when(w), &mut values, &mut fields);
    }
    if let Some(w) = r.try_get::<Option<i64>, _>("w_ends")? {
        text("window.end_time", when(w), &mut values, &mut fields);
    }
    if let Some(k) = r.try_get::<Option<String>, _>("kind")? {
        fields.insert("window.kind".into(), Value::Text(k));
    }
    if let Some(e) = r.try_get::<Option<String>, _>("e164")? {
        values.insert("business.number".into(), E164::from_canonical(&e).map(|e| e.display()).unwrap_or(e));
    }
    if let Some(c) = r.try_get::<Option<String>, _>("class")? {
        fields.insert("thread.number_class".into(), Value::Text(c));
    }
    if let Some(s) = r.try_get::<Option<String>, _>("started_by")? {
        fields.insert("thread.started_by".into(), Value::Text(s));
    }
    fields.insert("hour_of_day".into(), Value::Number(f64::from(chrono::Timelike::hour(&tz.local(now())))));
    Ok(Some(Facts { thread: r.try_get::<Option<i64>, _>("thread_id")?.map(ThreadId), values, fields }))
}

/// The `automation.booking` job.
pub async fn run(state: &AppState, job: &Job) -> Outcome {
    let (Some(org), Some(booking), Some(trigger)) = (
        job.org_id,
        job.payload.get("booking_id").and_then(|v| v.as_i64()),
        job.payload.get("trigger").and_then(|v| v.as_str()).and_then(TriggerKind::parse),
    ) else {
        return Outcome::Fail { error: "automation job without booking or trigger".into() };
    };
    match run_inner(state, org, booking, trigger).await {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(30) },
    }
}

async fn run_inner(state: &AppState, org: OrgId, booking: i64, trigger: TriggerKind) -> Result<(), sqlx::Error> {
    let automations = sqlx::query(
        "SELECT id, name, version, trigger_def, conditions, actions FROM automations WHERE org_id = $1 AND status = 'active' ORDER BY id",
    )
    .bind(org.0)
    .fetch_all(&state.db.read)
    .await?;
    for a in automations {
        let def: Option<Trigger> = serde_json::from_str(&a.try_get::<String, _>("trigger_def")?).ok();
        if def.as_ref().map(|t| t.kind) != Some(trigger) {
            continue;
        }
        let id: i64 = a.try_get("id")?;
        let name: String = a.try_get("name")?;
        let version: i64 = a.try_get("version")?;
        let conditions: ConditionGroup =
            serde_json::from_str(&a.try_get::<String, _>("conditions")?).unwrap_or_default();
        let actions: Vec<Action> = serde_json::from_str(&a.try_get::<String, _>("actions")?).unwrap_or_default();
        let now = now();
        let mut tx = state.db.begin().await?;
        let dedupe = format!("booking:{booking}:{}", trigger.as_str());
        let seen = sqlx::query("SELECT id FROM automation_executions WHERE automation_id = $1 AND dedupe_key = $2")
            .bind(id)
            .bind(&dedupe)
            .fetch_optional(&mut *tx)
            .await?;
        if seen.is_some() {
            continue;
        }
        let Some(f) = facts(&mut tx, org, booking).await? else { return Ok(()) };
        let (passed, outcomes) = evaluate(&conditions, &f.fields);
        let actor = Actor { kind: ActorKind::Automation, id: Some(id), name: name.clone(), request_id: None };
        let mut results = Vec::new();
        let mut failed = false;
        if passed {
            for (i, action) in actions.iter().enumerate() {
                let rendered = render(&action.template, &f.values);
                let result = match (action.kind, action.recipient, f.thread) {
                    (ActionKind::SendSms, Some(Recipient::Client), Some(thread)) => {
                        let req = SendRequest {
                            org,
                            thread,
                            body: rendered.text.clone(),
                            sender: Sender::Automation,
                            actor: actor.clone(),
                            confirmed: false,
                            automation_id: Some(id),
                        };
                        match send::send_in(&mut tx, &req, now).await {
                            Ok(SendOutcome::Queued { message_id, scheduled_for }) => serde_json::json!({
                                "action": i + 1, "result": if scheduled_for.is_some() { "scheduled (quiet hours)" } else { "queued" },
                                "message_id": message_id.0, "text": rendered.text,
                            }),
                            Ok(SendOutcome::Refused { reason, .. }) => {
                                failed = true;
                                serde_json::json!({ "action": i + 1, "result": "refused", "reason": reason })
                            }
                            Ok(SendOutcome::NeedsConfirmation { .. }) => {
                                failed = true;
                                serde_json::json!({ "action": i + 1, "result": "blocked by the anti-poaching check" })
                            }
                            Err(send::SendError::Db(e)) => return Err(e),
                            Err(e) => {
                                failed = true;
                                serde_json::json!({ "action": i + 1, "result": "failed", "reason": e.to_string() })
                            }
                        }
                    }
                    (ActionKind::SendSms, Some(Recipient::Client), None) => {
                        failed = true;
                        serde_json::json!({ "action": i + 1, "result": "failed", "reason": "the booking has no conversation to text from" })
                    }
                    (ActionKind::SendSms, other, _) => {
                        failed = true;
                        serde_json::json!({ "action": i + 1, "result": "failed",
                            "reason": format!("texting {} from an automation isn't available yet; only the client can be texted", other.map(|r| r.label()).unwrap_or("nobody")) })
                    }
                    (ActionKind::CreateAlert, _, _) => {
                        let severity = action.severity.as_deref().and_then(Severity::parse).unwrap_or(Severity::Info);
                        let (alert, _) = crate::alerts::service::raise(
                            &mut tx,
                            org,
                            crate::alerts::service::Raise {
                                rule: "automation",
                                cause_key: format!("automation:{id}:booking:{booking}"),
                                severity,
                                title: format!("{name}: {}", rendered.text.chars().take(120).collect::<String>()),
                                body: rendered.text.clone(),
                                thread_id: f.thread.map(|t| t.0),
                                number_id: None,
                            },
                            now,
                        )
                        .await?;
                        serde_json::json!({ "action": i + 1, "result": "alert raised", "alert_id": alert })
                    }
                };
                results.push(result);
            }
        }
        let status = match (passed, failed) {
            (false, _) => "skipped",
            (true, false) => "succeeded",
            (true, true) => "failed",
        };
        let exec: i64 = sqlx::query(
            "INSERT INTO automation_executions (org_id, automation_id, automation_version, is_test, trigger_kind, context, conditions, actions,
                status, thread_id, booking_id, dedupe_key, started_at, finished_at)
             VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(org.0)
        .bind(id)
        .bind(version)
        .bind(trigger.as_str())
        .bind(serde_json::to_string(&f.values).unwrap_or_default())
        .bind(serde_json::to_string(&outcomes).unwrap_or_default())
        .bind(serde_json::Value::Array(results).to_string())
        .bind(status)
        .bind(f.thread.map(|t| t.0))
        .bind(booking)
        .bind(&dedupe)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        sqlx::query(
            "UPDATE automations SET last_run_at = $1, failure_count = CASE WHEN $2 = 1 THEN failure_count + 1 ELSE failure_count END WHERE id = $3",
        )
        .bind(ms(now))
        .bind(i64::from(failed))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut ev = Event::new(
            "automation.executed",
            "automation",
            id,
            format!("{name} ran for booking {booking} ({}): {status}", trigger.label().to_lowercase()),
        )
        .payload(serde_json::json!({ "execution_id": exec, "booking_id": booking, "status": status }));
        ev.thread_id = f.thread.map(|t| t.0);
        audit::append(&mut tx, org, &actor, ev).await?;
        tx.commit().await?;
        state.jobs_wake.notify_one();
    }
    Ok(())
}
