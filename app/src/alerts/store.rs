use super::*;
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, state};
use sqlx::Row;

pub async fn list(u: &SessionUser, archive: bool) -> AppResult<Vec<AlertView>> {
    let st = state()?;
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let sql = if archive {
        "SELECT a.*, n.e164, us.name AS closer FROM alerts a LEFT JOIN numbers n ON n.id = a.number_id
         LEFT JOIN users us ON us.id = a.resolved_by
         WHERE a.org_id = $1 AND a.status <> 'open' ORDER BY a.resolved_at DESC, a.id DESC LIMIT 200"
    } else {
        "SELECT a.*, n.e164, us.name AS closer FROM alerts a LEFT JOIN numbers n ON n.id = a.number_id
         LEFT JOIN users us ON us.id = a.resolved_by
         WHERE a.org_id = $1 AND a.status = 'open'
         ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.last_seen_at DESC, a.id DESC"
    };
    let rows = sqlx::query(sql).bind(u.org_id.0).fetch_all(&mut *c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(status) = AlertStatus::parse(&r.try_get::<String, _>("status")?) else {
            tracing::warn!(org = u.org_id.0, "skipped an alert row with an unknown status");
            continue;
        };
        let closed = match r.try_get::<Option<i64>, _>("resolved_at")? {
            Some(at) if status != AlertStatus::Open => {
                let who = r.try_get::<Option<String>, _>("closer")?.unwrap_or_else(|| "the system".into());
                let note = r.try_get::<Option<String>, _>("resolution_note")?.filter(|n| !n.is_empty());
                Some(format!(
                    "{} by {who}, {}{}",
                    if status == AlertStatus::Dismissed { "Dismissed" } else { "Resolved" },
                    relative(from_ms(at), t, tz),
                    note.map(|n| format!(": {n}")).unwrap_or_default()
                ))
            }
            _ => None,
        };
        out.push(AlertView {
            id: r.try_get("id")?,
            severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Warning),
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            count: r.try_get("count")?,
            first_seen: relative(from_ms(r.try_get("first_seen_at")?), t, tz),
            last_seen: relative(from_ms(r.try_get("last_seen_at")?), t, tz),
            status,
            closed,
            thread_id: r.try_get("thread_id")?,
            number: r
                .try_get::<Option<String>, _>("e164")?
                .map(|e| E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e)),
        });
    }
    Ok(out)
}

pub async fn close(u: &SessionUser, id: i64, dismiss: bool, note: &str) -> AppResult<()> {
    let st = state()?;
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "Keep the note under 500 characters."));
    }
    let mut tx = st.db.begin().await?;
    let r =
        sqlx::query("SELECT severity, status, title, thread_id, number_id FROM alerts WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(u.org_id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::NotFound("That alert doesn't exist.".into()))?;
    let severity = Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Warning);
    let title: String = r.try_get("title")?;
    if AlertStatus::parse(&r.try_get::<String, _>("status")?) != Some(AlertStatus::Open) {
        return Err(AppError::Conflict("That alert was already closed; it's in the archive.".into()));
    }
    if dismiss && !severity.can_dismiss() {
        return Err(AppError::Conflict(
            "Critical alerts can't be dismissed: fix the cause, then resolve it (say what you did).".into(),
        ));
    }
    let status = if dismiss { AlertStatus::Dismissed } else { AlertStatus::Resolved }.as_str();
    sqlx::query(
        "UPDATE alerts SET status = $1, resolved_at = $2, resolved_by = $3, resolution_note = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(status)
    .bind(ms(now()))
    .bind(u.user_id.0)
    .bind((!note.is_empty()).then_some(note))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let actor = u.actor(request_id());
    let mut ev = Event::new(
        if dismiss { "alert.dismissed" } else { "alert.resolved" },
        "alert",
        id,
        format!(
            "{} {status} the {} alert \"{title}\"{}",
            actor.name,
            severity.label().to_lowercase(),
            if note.is_empty() { String::new() } else { format!(": {note}") }
        ),
    )
    .payload(serde_json::json!({ "severity": severity.as_str(), "note": note }));
    ev.thread_id = r.try_get("thread_id")?;
    ev.number_id = r.try_get("number_id")?;
    audit::append(&mut tx, u.org_id, &actor, ev).await?;
    tx.commit().await?;
    st.publish(LiveEvent {
        org_id: u.org_id.0,
        thread_id: None,
        owner_only: true,
        kind: "alert.closed".into(),
        data: serde_json::json!({ "id": id }),
    });
    Ok(())
}
