use super::*;
use crate::domain::alerts::{escalation_due, escalation_rule};
use crate::domain::ids::OrgId;
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::staff::{self, Ended};
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{self, Job, NewJob, Outcome};
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, ms, now, AppState};
use sqlx::Row;

/// The job that texts an escalation's target.
pub const TEXT_JOB: &str = "escalation.text";
/// A firing whose text is waiting for the job.
pub const QUEUED: &str = "text queued";

pub async fn list(st: &AppState, u: &SessionUser) -> AppResult<Escalations> {
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(
        "SELECT r.id, r.name, r.severity, r.after_minutes, r.action, r.target, r.enabled,
                (SELECT COUNT(*) FROM escalation_events e WHERE e.rule_id = r.id) AS fired
         FROM escalation_rules r WHERE r.org_id = $1 ORDER BY r.id",
    )
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for r in rows {
        let action = EscalationAction::parse(&r.try_get::<String, _>("action")?).unwrap_or(EscalationAction::Notify);
        rules.push(EscalationRuleView {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Critical),
            after_minutes: r.try_get("after_minutes")?,
            does: describe(action, &r.try_get::<String, _>("target")?),
            enabled: r.try_get::<i64, _>("enabled")? == 1,
            fired: r.try_get("fired")?,
        });
    }
    let rows = sqlx::query(
        "SELECT e.at, e.outcome, e.detail, r.name, a.title FROM escalation_events e
         JOIN escalation_rules r ON r.id = e.rule_id JOIN alerts a ON a.id = e.alert_id
         WHERE e.org_id = $1 ORDER BY e.at DESC, e.id DESC LIMIT 50",
    )
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut history = Vec::with_capacity(rows.len());
    for r in rows {
        history.push(EscalationEventView {
            at: relative(from_ms(r.try_get("at")?), t, tz),
            rule: r.try_get("name")?,
            alert: r.try_get("title")?,
            outcome: r.try_get("outcome")?,
            detail: r.try_get("detail")?,
        });
    }
    Ok(Escalations { rules, history })
}

pub async fn create(st: &AppState, u: &SessionUser, actor: &Actor, form: EscalationForm) -> AppResult<i64> {
    let mut tx = st.db.begin().await?;
    let region = mstore::org_context(&mut tx, u.org_id).await?.region;
    let rule = escalation_rule(&form.name, &form.severity, &form.after_minutes, &form.action, &form.target, &region)
        .map_err(|(f, m)| AppError::field(f, m))?;
    let target = rule.target.as_ref().map(|e| e.as_str().to_string()).unwrap_or_else(|| "owner".into());
    let id: i64 = sqlx::query(
        "INSERT INTO escalation_rules (org_id, name, severity, after_minutes, action, target, enabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(u.org_id.0)
    .bind(&rule.name)
    .bind(rule.severity.as_str())
    .bind(rule.after_minutes)
    .bind(rule.action.as_str())
    .bind(&target)
    .bind(ms(now()))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "escalation.created",
            "escalation_rule",
            id,
            format!(
                "{} added the escalation \"{}\": {} alerts open {} min → {}",
                actor.name,
                rule.name,
                rule.severity.label().to_lowercase(),
                rule.after_minutes,
                describe(rule.action, &target).to_lowercase()
            ),
        )
        .payload(serde_json::json!({ "after": { "severity": rule.severity.as_str(), "after_minutes": rule.after_minutes, "action": rule.action.as_str(), "target": target } })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn set_enabled(st: &AppState, u: &SessionUser, actor: &Actor, id: i64, enabled: bool) -> AppResult<()> {
    let mut tx = st.db.begin().await?;
    let r = sqlx::query("SELECT name, enabled FROM escalation_rules WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(u.org_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That escalation rule doesn't exist.".into()))?;
    if (r.try_get::<i64, _>("enabled")? == 1) == enabled {
        return Ok(());
    }
    sqlx::query("UPDATE escalation_rules SET enabled = $1 WHERE id = $2")
        .bind(i64::from(enabled))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let name: String = r.try_get("name")?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            if enabled { "escalation.enabled" } else { "escalation.disabled" },
            "escalation_rule",
            id,
            format!(
                "{} {} the escalation \"{name}\"",
                actor.name,
                if enabled { "switched on" } else { "switched off" }
            ),
        )
        .payload(serde_json::json!({ "before": !enabled, "after": enabled })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Fires every due escalation once. Runs from the worker.
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    let t = now();
    let rules = sqlx::query(
        "SELECT id, org_id, name, severity, after_minutes, action, target FROM escalation_rules WHERE enabled = 1 ORDER BY id",
    )
    .fetch_all(&state.db.read)
    .await?;
    let mut fired = 0;
    for rule in rules {
        let rule_id: i64 = rule.try_get("id")?;
        let org = OrgId(rule.try_get("org_id")?);
        let name: String = rule.try_get("name")?;
        let severity = Severity::parse(&rule.try_get::<String, _>("severity")?).unwrap_or(Severity::Critical);
        let after: i64 = rule.try_get("after_minutes")?;
        let action = EscalationAction::parse(&rule.try_get::<String, _>("action")?).unwrap_or(EscalationAction::Notify);
        let target: String = rule.try_get("target")?;
        let alerts = sqlx::query(
            "SELECT a.id, a.title, a.severity, a.first_seen_at FROM alerts a
             WHERE a.org_id = $1 AND a.status = 'open' AND a.severity = $2 AND a.first_seen_at <= $3
               AND NOT EXISTS (SELECT 1 FROM escalation_events e WHERE e.rule_id = $4 AND e.alert_id = a.id)
             ORDER BY a.first_seen_at LIMIT 50",
        )
        .bind(org.0)
        .bind(severity.as_str())
        .bind(ms(t) - after * 60_000)
        .bind(rule_id)
        .fetch_all(&state.db.read)
        .await?;
        for a in alerts {
            let alert_id: i64 = a.try_get("id")?;
            let title: String = a.try_get("title")?;
            let first_seen: i64 = a.try_get("first_seen_at")?;
            if !escalation_due(severity, after, severity, first_seen, ms(t)) {
                continue;
            }
            let body = format!("{} alert open for {after}+ min: {title}", severity.label());
            // The firing is recorded first (one row per rule and alert
            // decides, even when two sweeps race); a text is a job in
            // the same transaction, so it goes once, with retries and
            // behind the provider breaker like every other text.
            let (outcome, detail, to) = match action {
                EscalationAction::Notify => ("notified".to_string(), None, None),
                EscalationAction::Text => match E164::from_canonical(&target) {
                    Some(to) => (QUEUED.to_string(), None, Some(to)),
                    None => ("failed".to_string(), Some(format!("{target} isn't a phone number")), None),
                },
            };
            let mut tx = state.db.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO escalation_events (org_id, rule_id, alert_id, at, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (rule_id, alert_id) DO NOTHING RETURNING id",
            )
            .bind(org.0)
            .bind(rule_id)
            .bind(alert_id)
            .bind(ms(t))
            .bind(&outcome)
            .bind(&detail)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(event) = inserted else {
                continue;
            };
            let event_id: i64 = event.try_get("id")?;
            if let Some(to) = &to {
                let ctx = crate::messaging::store::org_context(&mut tx, org).await?;
                jobs::enqueue(
                    &mut tx,
                    NewJob::now(
                        Some(org),
                        TEXT_JOB,
                        serde_json::json!({ "event_id": event_id, "to": to.as_str(), "body": body }),
                    )
                    .attempts(ctx.settings.delivery.max_attempts as i64)
                    .dedupe(format!("escalation:{event_id}")),
                )
                .await?;
            }
            sqlx::query("INSERT INTO notifications (org_id, kind, text, link, created_at) VALUES ($1, 'escalation', $2, '/alerts', $3)")
                .bind(org.0)
                .bind(format!("Escalated ({name}): {title}"))
                .bind(ms(t))
                .execute(&mut *tx)
                .await?;
            audit::append(
                &mut tx,
                org,
                &Actor::system(None),
                Event::new(
                    "alert.escalated",
                    "alert",
                    alert_id,
                    format!("Escalated \"{title}\" by the rule \"{name}\": {outcome}"),
                )
                .payload(serde_json::json!({ "rule_id": rule_id, "outcome": outcome, "detail": detail })),
            )
            .await?;
            tx.commit().await?;
            fired += 1;
            if to.is_some() {
                state.wake_worker();
            }
        }
    }
    Ok(fired)
}

/// Runs one escalation text: from the Front Desk number, behind the
/// provider breaker, retried with backoff; the firing's row says how it
/// went. A try that got no answer asks the provider before sending again.
pub async fn run_text(state: &AppState, job: &Job) -> Outcome {
    match run_text_inner(state, job).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry { error: format!("database: {e}"), after: std::time::Duration::from_secs(5) },
    }
}

async fn run_text_inner(state: &AppState, job: &Job) -> Result<Outcome, sqlx::Error> {
    let p = &job.payload;
    let (Some(org), Some(event_id), Some(to), Some(body)) = (
        job.org_id,
        p.get("event_id").and_then(|v| v.as_i64()),
        p.get("to").and_then(|v| v.as_str()).and_then(E164::from_canonical),
        p.get("body").and_then(|v| v.as_str()).map(str::to_string),
    ) else {
        return Ok(Outcome::Fail { error: "escalation text job without its firing".into() });
    };
    let outcome: Option<String> = sqlx::query("SELECT outcome FROM escalation_events WHERE id = $1 AND org_id = $2")
        .bind(event_id)
        .bind(org.0)
        .fetch_optional(&state.db.read)
        .await?
        .map(|r| r.try_get("outcome"))
        .transpose()?;
    if outcome.as_deref() != Some(QUEUED) {
        return Ok(Outcome::Done);
    }
    let reference = format!("escalation-{event_id}");
    let (outcome, ended) = staff::attempt(state, job, org, &to, &body, &reference).await?;
    match ended {
        Some(Ended::Texted) => finish(state, org, event_id, &format!("texted {}", to.display()), None).await?,
        Some(Ended::Failed(why)) => finish(state, org, event_id, "failed", Some(why)).await?,
        None => {}
    }
    Ok(outcome)
}

/// Records how a queued escalation text ended, once, with its audit event.
async fn finish(
    state: &AppState,
    org: OrgId,
    event_id: i64,
    outcome: &str,
    detail: Option<String>,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let changed = sqlx::query(
        "UPDATE escalation_events SET outcome = $1, detail = $2 WHERE id = $3 AND org_id = $4 AND outcome = $5 RETURNING alert_id",
    )
    .bind(outcome)
    .bind(&detail)
    .bind(event_id)
    .bind(org.0)
    .bind(QUEUED)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(r) = changed {
        let alert_id: i64 = r.try_get("alert_id")?;
        audit::append(
            &mut tx,
            org,
            &Actor::system(None),
            Event::new(
                "alert.escalation_text",
                "alert",
                alert_id,
                match &detail {
                    Some(d) => format!("Escalation text {outcome}: {d}"),
                    None => format!("Escalation {outcome}"),
                },
            )
            .payload(serde_json::json!({ "escalation_event_id": event_id, "outcome": outcome, "detail": detail })),
        )
        .await?;
    }
    tx.commit().await
}
