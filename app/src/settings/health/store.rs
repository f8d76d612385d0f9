use super::*;
use crate::domain::ids::MessageId;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, jobs, ms, now, AppState};
use sqlx::Row;

fn check(label: &str, level: &str, detail: impl Into<String>) -> HealthCheck {
    HealthCheck { label: label.into(), level: level.into(), detail: detail.into() }
}

pub async fn checks(st: &AppState, u: &SessionUser) -> AppResult<Vec<HealthCheck>> {
    let t = now();
    let ctx = {
        let mut c = st.db.read.acquire().await?;
        mstore::org_context(&mut c, u.org_id).await?
    };
    let mut out = Vec::new();

    let started = std::time::Instant::now();
    let provider =
        match crate::messaging::provider::for_org(st, u.org_id, ctx.settings.delivery.timeout_seconds as u64).await {
            Err(e) => check("Texting provider", "bad", format!("Can't be used: {e}. Connect it again in Setup.")),
            Ok(p) => match p.account().await {
                Ok(a) if a.status.eq_ignore_ascii_case("active") => check(
                    "Texting provider",
                    "ok",
                    format!("{} answered in {} ms.", a.label, started.elapsed().as_millis()),
                ),
                Ok(a) => check("Texting provider", "bad", format!("{} says the account is {}.", a.label, a.status)),
                Err(e) => check("Texting provider", "bad", e.explain()),
            },
        };
    out.push(provider);

    let mut c = st.db.read.acquire().await?;
    let last: Option<i64> =
        sqlx::query("SELECT MAX(created_at) AS t FROM messages WHERE org_id = $1 AND direction = 'inbound'")
            .bind(u.org_id.0)
            .fetch_one(&mut *c)
            .await?
            .try_get("t")?;
    out.push(match last {
        None => check("Last text received", "warn", "None yet. Text your Front Desk number to try it."),
        Some(at) => {
            let at = from_ms(at);
            let level = if t - at > chrono::Duration::days(2) { "warn" } else { "ok" };
            check("Last text received", level, format!("{} ({}).", relative(at, t, ctx.tz), ctx.tz.date_time(at)))
        }
    });
    drop(c);

    let (depth, oldest) = jobs::depth(&st.db, Some(u.org_id), t).await?;
    let oldest_secs = oldest.map(|d| d.num_seconds()).unwrap_or(0);
    out.push(check(
        "Background work",
        if oldest_secs > 600 {
            "bad"
        } else if oldest_secs > 60 {
            "warn"
        } else {
            "ok"
        },
        match oldest {
            None => "Nothing waiting.".to_string(),
            Some(_) => format!("{depth} waiting; the oldest has waited {}.", human_secs(oldest_secs)),
        },
    ));

    let started = std::time::Instant::now();
    sqlx::query("SELECT 1 AS one").fetch_one(&st.db.read).await?;
    let db_ms = started.elapsed().as_secs_f64() * 1000.0;
    out.push(check("Database", if db_ms > 250.0 { "warn" } else { "ok" }, format!("Answered in {db_ms:.1} ms.")));

    let mut c = st.db.read.acquire().await?;
    let rejected = sqlx::query(
        "SELECT at, summary FROM audit_events WHERE org_id = $1 AND event_type = 'webhook.rejected'
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(u.org_id.0)
    .fetch_optional(&mut *c)
    .await?;
    out.push(match rejected {
        None => check(
            "Refused deliveries from the provider",
            "ok",
            "None: every text and report carried a valid signature.",
        ),
        Some(r) => {
            let at = from_ms(r.try_get("at")?);
            let summary: String = r.try_get("summary")?;
            check(
                "Refused deliveries from the provider",
                if t - at < chrono::Duration::hours(24) { "warn" } else { "ok" },
                format!(
                    "Last {}: {summary}. If texts stopped arriving, check PUBLIC_BASE_URL and the Auth Token.",
                    relative(at, t, ctx.tz)
                ),
            )
        }
    });
    Ok(out)
}

fn human_secs(s: i64) -> String {
    match s {
        s if s < 90 => format!("{s} s"),
        s if s < 5400 => format!("{} min", (s + 30) / 60),
        s => format!("{} h", (s + 1800) / 3600),
    }
}

async fn describe(c: &mut sqlx::AnyConnection, kind: &str, payload: &serde_json::Value) -> AppResult<String> {
    Ok(match kind {
        "send" => {
            let id = payload.get("message_id").and_then(|v| v.as_i64()).unwrap_or(0);
            let r = sqlx::query(
                "SELECT m.body, c.name FROM messages m JOIN threads t ON t.id = m.thread_id
                 LEFT JOIN clients c ON c.id = t.client_id WHERE m.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
            match r {
                Some(r) => {
                    let body: String = r.try_get("body")?;
                    let name: Option<String> = r.try_get("name")?;
                    let short: String = body.chars().take(60).collect();
                    format!(
                        "Text to {}: \"{short}{}\"",
                        name.unwrap_or_else(|| "a client".into()),
                        if body.chars().count() > 60 { "…" } else { "" }
                    )
                }
                None => "A text that no longer exists".into(),
            }
        }
        "media.fetch" => "Saving a picture a client sent".into(),
        "override.expire" => "Ending a routing override".into(),
        "demo.status" => "A demo delivery report".into(),
        k if k == crate::automations::runner::JOB => "An automation run".into(),
        other => format!("Background task \"{other}\""),
    })
}

pub async fn failed(st: &AppState, u: &SessionUser) -> AppResult<Vec<FailedJob>> {
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(
        "SELECT id, kind, payload, attempts, last_error, finished_at, created_at FROM jobs
         WHERE org_id = $1 AND status = 'dead' ORDER BY COALESCE(finished_at, created_at) DESC LIMIT 200",
    )
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let payload: serde_json::Value =
            serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or(serde_json::Value::Null);
        let at: Option<i64> = r.try_get("finished_at")?;
        let at = from_ms(at.unwrap_or(r.try_get("created_at")?));
        out.push(FailedJob {
            id: r.try_get("id")?,
            what: describe(&mut c, &kind, &payload).await?,
            kind,
            when: relative(at, t, tz),
            attempts: r.try_get("attempts")?,
            error: r.try_get::<Option<String>, _>("last_error")?.unwrap_or_else(|| "No error was recorded.".into()),
        });
    }
    Ok(out)
}

pub async fn resolve(
    st: &AppState,
    u: &SessionUser,
    actor: &Actor,
    id: i64,
    replay: bool,
    reason: &str,
) -> AppResult<String> {
    let reason = reason.trim();
    if reason.chars().count() < 3 {
        return Err(AppError::field("reason", "Say why, in a few words, so the audit trail explains it."));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::field("reason", "Keep the reason under 500 characters."));
    }
    let row = sqlx::query("SELECT kind, payload, status FROM jobs WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(u.org_id.0)
        .fetch_optional(&st.db.read)
        .await?
        .ok_or_else(|| AppError::NotFound("That failed job isn't in the list any more.".into()))?;
    if row.try_get::<String, _>("status")? != "dead" {
        return Err(AppError::Conflict("That job was already replayed or ignored.".into()));
    }
    let kind: String = row.try_get("kind")?;
    let payload: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("payload")?).unwrap_or(serde_json::Value::Null);
    // A text is replayed the way the inbox retries it: the message goes
    // back in the queue with every check (opt-out, number in service).
    let resent = replay && kind == "send";
    if resent {
        let mid = payload.get("message_id").and_then(|v| v.as_i64()).ok_or_else(|| {
            AppError::Conflict("This job doesn't say which text it was for; ignore it instead.".into())
        })?;
        crate::messaging::delivery::retry(st, u.org_id, MessageId(mid), actor).await?;
    }
    let t = ms(now());
    let mut tx = st.db.begin().await?;
    let changed = if replay && !resent {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, finished_at = NULL, last_error = NULL,
                 locked_at = NULL, resolved_by = $2, resolution_note = $3 WHERE id = $4 AND status = 'dead'",
        )
    } else {
        sqlx::query(
            "UPDATE jobs SET status = 'ignored', finished_at = $1, resolved_by = $2, resolution_note = $3
             WHERE id = $4 AND status = 'dead'",
        )
    }
    .bind(t)
    .bind(u.user_id.0)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict("That job was already replayed or ignored.".into()));
    }
    let (event, message) = if replay {
        ("job.replayed", "Replayed: it runs again now.")
    } else {
        ("job.ignored", "Ignored: it won't run again.")
    };
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            event,
            "job",
            id,
            format!(
                "{} {} a failed background task: {reason}",
                actor.name,
                if replay { "replayed" } else { "ignored" }
            ),
        )
        .payload(serde_json::json!({ "kind": kind, "reason": reason, "as_new_send": resent })),
    )
    .await?;
    tx.commit().await?;
    st.wake_worker();
    Ok(message.to_string())
}
