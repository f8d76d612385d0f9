//! Reading and changing automations; every change is audited in its
//! transaction.

use super::*;
use crate::automations::runner::{self, Subject};
use crate::domain::automation::definition::{problems, transition, RunStatus, Trigger, TriggerKind};
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, ms, now, state};
use sqlx::Row;

pub fn trigger_text(t: &Trigger) -> String {
    match (t.kind.needs_minutes(), t.minutes) {
        (true, Some(m)) if t.kind == TriggerKind::WindowStarting => format!("{} ({m} min before)", t.kind.label()),
        (true, Some(m)) => format!("{} ({m} min)", t.kind.label()),
        _ => t.kind.label().to_string(),
    }
}

pub async fn list(u: &SessionUser, archived: bool) -> AppResult<Vec<AutomationRow>> {
    let st = state()?;
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.name, a.lane, a.status, a.trigger_def, a.last_run_at, a.flagged_reason, a.version, a.tested_version,
            (SELECT COUNT(*) FROM automation_executions e WHERE e.automation_id = a.id AND e.is_test = 0 AND e.started_at > $2) AS runs,
            (SELECT COUNT(*) FROM automation_executions e WHERE e.automation_id = a.id AND e.is_test = 0 AND e.status = 'failed' AND e.started_at > $2) AS failed
         FROM automations a WHERE a.org_id = $1 AND a.status {} 'archived'
         ORDER BY CASE a.status WHEN 'active' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END, a.name, a.id",
        if archived { "=" } else { "<>" }
    ))
    .bind(u.org_id.0)
    .bind(ms(t) - 86_400_000)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let trigger = serde_json::from_str::<Trigger>(&r.try_get::<String, _>("trigger_def")?)
            .map(|t| trigger_text(&t))
            .unwrap_or_else(|_| "Unreadable trigger".into());
        out.push(AutomationRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            lane: r.try_get("lane")?,
            status: AutomationStatus::parse(&r.try_get::<String, _>("status")?).unwrap_or(AutomationStatus::Draft),
            trigger,
            last_run: r.try_get::<Option<i64>, _>("last_run_at")?.map(|v| relative(from_ms(v), t, tz)),
            runs_24h: r.try_get("runs")?,
            failed_24h: r.try_get("failed")?,
            flagged: r.try_get("flagged_reason")?,
            tested: r.try_get::<Option<i64>, _>("tested_version")? == Some(r.try_get::<i64, _>("version")?),
        });
    }
    Ok(out)
}

pub async fn load(u: &SessionUser, id: i64) -> AppResult<AutomationDetail> {
    let st = state()?;
    let r = sqlx::query(
        "SELECT name, lane, description, status, trigger_def, conditions, actions, version, tested_version, flagged_reason
         FROM automations WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(u.org_id.0)
    .fetch_optional(&st.db.read)
    .await?
    .ok_or_else(|| AppError::NotFound("That automation doesn't exist. It may be in another business.".into()))?;
    let trigger: Trigger = serde_json::from_str(&r.try_get::<String, _>("trigger_def")?)?;
    let version: i64 = r.try_get("version")?;
    Ok(AutomationDetail {
        id,
        draft: Draft {
            name: r.try_get("name")?,
            lane: r.try_get("lane")?,
            description: r.try_get::<Option<String>, _>("description")?.unwrap_or_default(),
            trigger,
            conditions: serde_json::from_str(&r.try_get::<String, _>("conditions")?).unwrap_or_default(),
            actions: serde_json::from_str(&r.try_get::<String, _>("actions")?).unwrap_or_default(),
        },
        status: AutomationStatus::parse(&r.try_get::<String, _>("status")?).unwrap_or(AutomationStatus::Draft),
        version,
        tested: r.try_get::<Option<i64>, _>("tested_version")? == Some(version),
        flagged: r.try_get("flagged_reason")?,
    })
}

pub async fn save(
    u: &SessionUser,
    id: Option<i64>,
    mut draft: Draft,
    template_key: Option<String>,
) -> AppResult<SaveOutcome> {
    let st = state()?;
    draft.name = draft.name.trim().to_string();
    draft.description = draft.description.trim().to_string();
    if let Some((field, message)) = draft.save_problems().into_iter().next() {
        return Err(AppError::field(field, message));
    }
    let trigger = serde_json::to_string(&draft.trigger)?;
    let conditions = serde_json::to_string(&draft.conditions)?;
    let actions = serde_json::to_string(&draft.actions)?;
    let t = ms(now());
    let actor = u.actor(request_id());
    let mut tx = st.db.begin().await?;
    let (id, paused, ev) = match id {
        None => {
            let template = template_key
                .filter(|k| crate::domain::automation::definition::templates().iter().any(|(key, _)| key == k));
            let id: i64 = sqlx::query(
                "INSERT INTO automations (org_id, name, lane, description, status, trigger_def, conditions, actions, version,
                    template_key, created_at, updated_at, created_by)
                 VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, 1, $8, $9, $9, $10) RETURNING id",
            )
            .bind(u.org_id.0)
            .bind(&draft.name)
            .bind(&draft.lane)
            .bind(&draft.description)
            .bind(&trigger)
            .bind(&conditions)
            .bind(&actions)
            .bind(&template)
            .bind(t)
            .bind(u.user_id.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            let ev = Event::new(
                "automation.created",
                "automation",
                id,
                format!("{} created the automation \"{}\" (draft)", actor.name, draft.name),
            )
            .payload(serde_json::json!({ "after": { "trigger": draft.trigger, "conditions": draft.conditions, "actions": draft.actions }, "template": template }));
            (id, false, ev)
        }
        Some(id) => {
            let old = sqlx::query(
                "SELECT name, status, trigger_def, conditions, actions, version FROM automations WHERE id = $1 AND org_id = $2",
            )
            .bind(id)
            .bind(u.org_id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::NotFound("That automation doesn't exist any more.".into()))?;
            let status: String = old.try_get("status")?;
            if status == "archived" {
                return Err(AppError::Conflict(
                    "Archived automations can't be edited. Start a new one from the list.".into(),
                ));
            }
            let paused = status == "active";
            sqlx::query(
                "UPDATE automations SET name = $1, lane = $2, description = $3, trigger_def = $4, conditions = $5, actions = $6,
                    version = version + 1, status = CASE WHEN status = 'active' THEN 'paused' ELSE status END,
                    flagged_reason = NULL, failure_count = 0, updated_at = $7 WHERE id = $8",
            )
            .bind(&draft.name)
            .bind(&draft.lane)
            .bind(&draft.description)
            .bind(&trigger)
            .bind(&conditions)
            .bind(&actions)
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let before = serde_json::json!({
                "name": old.try_get::<String, _>("name")?,
                "trigger": serde_json::from_str::<serde_json::Value>(&old.try_get::<String, _>("trigger_def")?).unwrap_or_default(),
                "conditions": serde_json::from_str::<serde_json::Value>(&old.try_get::<String, _>("conditions")?).unwrap_or_default(),
                "actions": serde_json::from_str::<serde_json::Value>(&old.try_get::<String, _>("actions")?).unwrap_or_default(),
            });
            let ev = Event::new(
                "automation.edited",
                "automation",
                id,
                format!(
                    "{} edited the automation \"{}\" (version {}){}",
                    actor.name,
                    draft.name,
                    old.try_get::<i64, _>("version")? + 1,
                    if paused { "; it was paused until it passes a test" } else { "" }
                ),
            )
            .payload(serde_json::json!({ "before": before, "after": { "name": draft.name, "trigger": draft.trigger, "conditions": draft.conditions, "actions": draft.actions } }));
            (id, paused, ev)
        }
    };
    audit::append(&mut tx, u.org_id, &actor, ev).await?;
    tx.commit().await?;
    Ok(SaveOutcome { id, paused })
}

pub async fn test(u: &SessionUser, id: i64, thread_id: i64) -> AppResult<ExecutionView> {
    let st = state()?;
    let mut tx = st.db.begin().await?;
    let def = runner::load(&mut tx, u.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That automation doesn't exist any more.".into()))?;
    let exists = sqlx::query("SELECT id FROM threads WHERE id = $1 AND org_id = $2")
        .bind(thread_id)
        .bind(u.org_id.0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(AppError::field("thread", "Pick a conversation to test against."));
    }
    let actor = u.actor(request_id());
    let t = now();
    let done = runner::execute(&mut tx, &def, def.trigger.kind, Subject::Thread(thread_id), None, Some(&actor), t, 1)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation is gone; pick another.".into()))?;
    tx.commit().await?;
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let client = sqlx::query("SELECT c.name FROM threads t JOIN clients c ON c.id = t.client_id WHERE t.id = $1")
        .bind(thread_id)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get::<String, _>("name"))
        .transpose()?;
    Ok(ExecutionView {
        id: done.id,
        at: relative(t, t, tz),
        status: done.status,
        is_test: true,
        trigger: trigger_text(&def.trigger),
        version: def.version,
        thread_id: Some(thread_id),
        client,
        conditions: done.conditions,
        actions: done.actions.iter().map(action_result).collect(),
        matched: Some(done.matched),
    })
}

fn action_result(v: &serde_json::Value) -> ActionResult {
    let strings = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(|x| x.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(|s| s.to_string())).collect())
            .unwrap_or_default()
    };
    let mut problems: Vec<String> =
        strings("unknown").into_iter().map(|x| format!("{{{{{x}}}}} isn't a known variable")).collect();
    problems.extend(strings("missing").into_iter().map(|x| format!("{{{{{x}}}}} has no value for this conversation")));
    ActionResult {
        n: v.get("action").and_then(|x| x.as_i64()).unwrap_or(0),
        result: v.get("result").and_then(|x| x.as_str()).unwrap_or("").to_string(),
        detail: v.get("reason").or_else(|| v.get("text")).and_then(|x| x.as_str()).map(|s| s.to_string()),
        problems,
    }
}

pub async fn set_status(u: &SessionUser, id: i64, to: AutomationStatus) -> AppResult<()> {
    let st = state()?;
    let mut tx = st.db.begin().await?;
    let r = sqlx::query(
        "SELECT name, status, version, tested_version, trigger_def, conditions, actions FROM automations WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(u.org_id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("That automation doesn't exist any more.".into()))?;
    let name: String = r.try_get("name")?;
    let from = AutomationStatus::parse(&r.try_get::<String, _>("status")?).unwrap_or(AutomationStatus::Draft);
    if from == to {
        return Ok(());
    }
    if to == AutomationStatus::Active {
        let trigger: Trigger = serde_json::from_str(&r.try_get::<String, _>("trigger_def")?)?;
        let conditions = serde_json::from_str(&r.try_get::<String, _>("conditions")?).unwrap_or_default();
        let actions: Vec<crate::domain::automation::Action> =
            serde_json::from_str(&r.try_get::<String, _>("actions")?).unwrap_or_default();
        let mut p = problems(&trigger, &conditions, &actions);
        let roster = super::runner::roster(&mut tx, u.org_id).await?;
        p.extend(crate::domain::automation::definition::roster_problems(&trigger, &conditions, &actions, &roster));
        if !p.is_empty() {
            return Err(AppError::Conflict(format!("It can't be switched on yet: {}", p.join(" "))));
        }
    }
    let tested = r.try_get::<Option<i64>, _>("tested_version")? == Some(r.try_get::<i64, _>("version")?);
    transition(from, to, tested).map_err(AppError::Conflict)?;
    sqlx::query("UPDATE automations SET status = $1, updated_at = $2, flagged_reason = CASE WHEN $1 = 'active' THEN NULL ELSE flagged_reason END, failure_count = CASE WHEN $1 = 'active' THEN 0 ELSE failure_count END WHERE id = $3")
        .bind(to.as_str())
        .bind(ms(now()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let actor = u.actor(request_id());
    let verb = match to {
        AutomationStatus::Active => "switched on",
        AutomationStatus::Paused => "paused",
        AutomationStatus::Archived => "archived",
        AutomationStatus::Draft => "moved back to draft",
    };
    audit::append(
        &mut tx,
        u.org_id,
        &actor,
        Event::new(
            match to {
                AutomationStatus::Active => "automation.activated",
                AutomationStatus::Paused => "automation.paused",
                AutomationStatus::Archived => "automation.archived",
                AutomationStatus::Draft => "automation.edited",
            },
            "automation",
            id,
            format!("{} {verb} the automation \"{name}\"", actor.name),
        )
        .payload(serde_json::json!({ "before": from.as_str(), "after": to.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn executions(u: &SessionUser, id: i64) -> AppResult<Vec<ExecutionView>> {
    let st = state()?;
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(
        "SELECT e.id, e.started_at, e.status, e.is_test, e.trigger_kind, e.automation_version, e.thread_id, e.conditions, e.actions, c.name AS client
         FROM automation_executions e LEFT JOIN threads t ON t.id = e.thread_id LEFT JOIN clients c ON c.id = t.client_id
         WHERE e.automation_id = $1 AND e.org_id = $2 ORDER BY e.started_at DESC, e.id DESC LIMIT 50",
    )
    .bind(id)
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let actions: Vec<serde_json::Value> =
            serde_json::from_str(&r.try_get::<String, _>("actions")?).unwrap_or_default();
        out.push(ExecutionView {
            id: r.try_get("id")?,
            at: relative(from_ms(r.try_get("started_at")?), t, tz),
            status: {
                let s: String = r.try_get("status")?;
                RunStatus::parse(&s).unwrap_or_else(|| {
                    tracing::warn!(status = %s, "an automation run with an unknown status is shown as failed");
                    RunStatus::Failed
                })
            },
            is_test: r.try_get::<i64, _>("is_test")? == 1,
            trigger: TriggerKind::parse(&r.try_get::<String, _>("trigger_kind")?)
                .map(|k| k.label().to_string())
                .unwrap_or_default(),
            version: r.try_get("automation_version")?,
            thread_id: r.try_get("thread_id")?,
            client: r.try_get("client")?,
            conditions: serde_json::from_str(&r.try_get::<String, _>("conditions")?).unwrap_or_default(),
            actions: actions.iter().map(action_result).collect(),
            matched: None,
        });
    }
    Ok(out)
}

pub async fn sample_threads(u: &SessionUser) -> AppResult<Vec<SampleThread>> {
    let st = state()?;
    let rows = sqlx::query(
        "SELECT t.id, c.name, n.e164, n.class FROM threads t JOIN clients c ON c.id = t.client_id JOIN numbers n ON n.id = t.number_id
         WHERE t.org_id = $1 ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC LIMIT 50",
    )
    .bind(u.org_id.0)
    .fetch_all(&st.db.read)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let e: String = r.try_get("e164")?;
        let class: String = r.try_get("class")?;
        out.push(SampleThread {
            id: r.try_get("id")?,
            label: format!(
                "{} · {} ({})",
                r.try_get::<String, _>("name")?,
                E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e),
                class.replace('_', " ")
            ),
        });
    }
    Ok(out)
}
