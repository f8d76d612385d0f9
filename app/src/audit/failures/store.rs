use super::*;
use crate::domain::phone::E164;
use crate::domain::provider_errors::explain;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, ms, now, AppState};
use sqlx::Row;

fn show(e: Option<String>) -> String {
    e.map(|e| E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e)).unwrap_or_else(|| "?".into())
}

pub async fn list(st: &AppState, u: &SessionUser, resolved: bool) -> AppResult<Vec<FailureView>> {
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.thread_id, m.from_e164, m.to_e164, m.body, m.error_code, m.error_message, m.failed_at,
                m.failure_resolved_at, m.failure_note, c.name AS client, us.name AS resolver,
                (SELECT COUNT(*) FROM delivery_attempts a WHERE a.message_id = m.id) AS attempts
         FROM messages m JOIN threads t ON t.id = m.thread_id JOIN clients c ON c.id = t.client_id
         LEFT JOIN users us ON us.id = m.failure_resolved_by
         WHERE m.org_id = $1 AND m.direction = 'outbound' AND {}
         ORDER BY COALESCE(m.failure_resolved_at, m.failed_at, m.created_at) DESC, m.id DESC LIMIT 200",
        if resolved {
            "m.failure_resolved_at IS NOT NULL"
        } else {
            "m.status IN ('failed', 'undelivered') AND m.failure_resolved_at IS NULL"
        }
    ))
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code: Option<String> = r.try_get("error_code")?;
        let explained = explain(code.as_deref());
        let resolved = match r.try_get::<Option<i64>, _>("failure_resolved_at")? {
            Some(at) => Some(format!(
                "Resolved by {}, {}{}",
                r.try_get::<Option<String>, _>("resolver")?.unwrap_or_else(|| "the owner".into()),
                relative(from_ms(at), t, tz),
                r.try_get::<Option<String>, _>("failure_note")?
                    .filter(|n| !n.is_empty())
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )),
            None => None,
        };
        out.push(FailureView {
            message_id: r.try_get("id")?,
            thread_id: r.try_get("thread_id")?,
            client: r.try_get("client")?,
            route: format!("{} → {}", show(r.try_get("from_e164")?), show(r.try_get("to_e164")?)),
            body: r.try_get("body")?,
            failed: r
                .try_get::<Option<i64>, _>("failed_at")?
                .map(|v| relative(from_ms(v), t, tz))
                .unwrap_or_else(|| "—".into()),
            attempts: r.try_get("attempts")?,
            reason: explained.sentence(),
            code,
            resolved,
        });
    }
    Ok(out)
}

pub async fn resolve(st: &AppState, u: &SessionUser, actor: &Actor, id: i64, note: &str) -> AppResult<()> {
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "Keep the note under 500 characters."));
    }
    let mut tx = st.db.begin().await?;
    let r = sqlx::query(
        "SELECT thread_id, status, failure_resolved_at, to_e164 FROM messages WHERE id = $1 AND org_id = $2 AND direction = 'outbound'",
    )
    .bind(id)
    .bind(u.org_id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("That message doesn't exist.".into()))?;
    let status: String = r.try_get("status")?;
    if !matches!(status.as_str(), "failed" | "undelivered") {
        return Err(AppError::Conflict("That text didn't fail (or a retry is under way); nothing to resolve.".into()));
    }
    if r.try_get::<Option<i64>, _>("failure_resolved_at")?.is_some() {
        return Err(AppError::Conflict("Someone already resolved this failure.".into()));
    }
    let thread: i64 = r.try_get("thread_id")?;
    sqlx::query(
        "UPDATE messages SET failure_resolved_at = $1, failure_resolved_by = $2, failure_note = $3 WHERE id = $4",
    )
    .bind(ms(now()))
    .bind(u.user_id.0)
    .bind((!note.is_empty()).then_some(note))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE threads SET failed_deliveries = CASE WHEN failed_deliveries > 0 THEN failed_deliveries - 1 ELSE 0 END WHERE id = $1")
        .bind(thread)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "delivery.failure_resolved",
            "message",
            id,
            format!(
                "{} marked the failed text to {} resolved{}",
                actor.name,
                show(r.try_get("to_e164")?),
                if note.is_empty() { String::new() } else { format!(": {note}") }
            ),
        )
        .thread(thread)
        .message(id)
        .payload(serde_json::json!({ "note": note })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
