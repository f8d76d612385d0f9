use super::*;
use crate::domain::ids::NumberId;
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::jobs::{self, NewJob};
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, state};
use sqlx::Row;

fn kinds(hits: &str) -> String {
    let v: Vec<serde_json::Value> = serde_json::from_str(hits).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for h in v {
        if let Some(k) = h.get("kind").and_then(|k| k.as_str()) {
            let k = k.replace('_', " ");
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out.join(", ")
}

pub async fn list(u: &SessionUser, status: &str) -> AppResult<Vec<ViolationView>> {
    let status = match status {
        "open" | "resolved" | "dismissed" | "approved" => status,
        "" => "open",
        other => return Err(AppError::field("status", format!("\"{other}\" isn't a violation status."))),
    };
    let st = state()?;
    let t = now();
    let mut c = st.db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
    let rows = sqlx::query(
        "SELECT v.id, v.thread_id, v.message_id, v.direction, v.actor_kind, v.redacted, v.hits, v.outcome, v.status, v.created_at,
                v.reviewed_at, v.review_note, c.name AS client, s.name AS sitter, us.name AS sender_user, rv.name AS reviewer,
                m.status AS message_status
         FROM policy_violations v
         LEFT JOIN threads t ON t.id = v.thread_id LEFT JOIN clients c ON c.id = t.client_id
         LEFT JOIN sitters s ON s.id = v.sitter_id LEFT JOIN users us ON us.id = v.user_id
         LEFT JOIN users rv ON rv.id = v.reviewed_by LEFT JOIN messages m ON m.id = v.message_id
         WHERE v.org_id = $1 AND v.status = $2
         ORDER BY COALESCE(v.reviewed_at, v.created_at) DESC, v.id DESC LIMIT 200",
    )
    .bind(u.org_id.0)
    .bind(status)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let actor: String = r.try_get("actor_kind")?;
        let who = match actor.as_str() {
            "sitter" => {
                format!("{} (sitter)", r.try_get::<Option<String>, _>("sitter")?.unwrap_or_else(|| "A sitter".into()))
            }
            "client" => "The client".to_string(),
            "automation" => "An automation".to_string(),
            _ => r.try_get::<Option<String>, _>("sender_user")?.unwrap_or_else(|| "The owner".into()),
        };
        let v_status: String = r.try_get("status")?;
        let reviewed = match r.try_get::<Option<i64>, _>("reviewed_at")? {
            Some(at) => {
                let verb = match v_status.as_str() {
                    "approved" => "Approved and sent",
                    "dismissed" => "Dismissed",
                    _ => "Resolved",
                };
                let note = r.try_get::<Option<String>, _>("review_note")?.filter(|n| !n.is_empty());
                Some(format!(
                    "{verb} by {}, {}{}",
                    r.try_get::<Option<String>, _>("reviewer")?.unwrap_or_else(|| "the owner".into()),
                    relative(from_ms(at), t, tz),
                    note.map(|n| format!(": {n}")).unwrap_or_default()
                ))
            }
            None => None,
        };
        let message_status: Option<String> = r.try_get("message_status")?;
        out.push(ViolationView {
            id: r.try_get("id")?,
            at: relative(from_ms(r.try_get("created_at")?), t, tz),
            thread_id: r.try_get("thread_id")?,
            client: r.try_get("client")?,
            who,
            direction: r.try_get("direction")?,
            redacted: r.try_get("redacted")?,
            kinds: kinds(&r.try_get::<String, _>("hits")?),
            outcome: r.try_get("outcome")?,
            can_send: v_status == "open" && matches!(message_status.as_deref(), Some("blocked") | Some("held")),
            status: v_status,
            reviewed,
        });
    }
    Ok(out)
}

pub async fn review(u: &SessionUser, id: i64, review: Review, note: &str) -> AppResult<()> {
    let st = state()?;
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "Keep the note under 500 characters."));
    }
    if review == Review::ApproveAndSend && note.is_empty() {
        return Err(AppError::field(
            "note",
            "Say why this text is fine to send: approving overrides the anti-poaching check and is recorded.",
        ));
    }
    let t = now();
    let mut tx = st.db.begin().await?;
    let v = sqlx::query(
        "SELECT v.status, v.thread_id, v.message_id, v.redacted, m.status AS message_status, m.to_e164, t.number_id
         FROM policy_violations v LEFT JOIN messages m ON m.id = v.message_id LEFT JOIN threads t ON t.id = v.thread_id
         WHERE v.id = $1 AND v.org_id = $2",
    )
    .bind(id)
    .bind(u.org_id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("That violation doesn't exist.".into()))?;
    if v.try_get::<String, _>("status")? != "open" {
        return Err(AppError::Conflict("Someone already reviewed this violation; it's under its new status.".into()));
    }
    let thread: Option<i64> = v.try_get("thread_id")?;
    let message: Option<i64> = v.try_get("message_id")?;
    let redacted: String = v.try_get("redacted")?;
    if review == Review::ApproveAndSend {
        let (Some(message), Some("blocked" | "held")) =
            (message, v.try_get::<Option<String>, _>("message_status")?.as_deref())
        else {
            return Err(AppError::Conflict(
                "There's no stopped text to send for this violation (it was delivered or only logged). Resolve or dismiss it instead.".into(),
            ));
        };
        let number: Option<i64> = v.try_get("number_id")?;
        let to = v.try_get::<Option<String>, _>("to_e164")?.and_then(|e| E164::from_canonical(&e));
        if let (Some(n), Some(to)) = (number, to.as_ref()) {
            if mstore::opted_out(&mut tx, u.org_id, to, NumberId(n)).await? {
                return Err(AppError::Conflict(
                    "The client has opted out of texts from this number since; it can't be sent.".into(),
                ));
            }
            let active = sqlx::query("SELECT status FROM numbers WHERE id = $1")
                .bind(n)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<String, _>("status"))
                .transpose()?;
            if active.as_deref() != Some("active") {
                return Err(AppError::Conflict(
                    "The conversation's business number is out of service, so the text can't leave from it.".into(),
                ));
            }
        }
        sqlx::query("UPDATE messages SET status = 'queued', policy_override = 1 WHERE id = $1 AND status IN ('blocked', 'held')")
            .bind(message)
            .execute(&mut *tx)
            .await?;
        jobs::enqueue(
            &mut tx,
            NewJob::now(Some(u.org_id), "send", serde_json::json!({ "message_id": message }))
                .dedupe(format!("send:{message}")),
        )
        .await?;
    }
    let status = match review {
        Review::ApproveAndSend => "approved",
        Review::Dismiss => "dismissed",
        Review::Resolve => "resolved",
    };
    sqlx::query(
        "UPDATE policy_violations SET status = $1, reviewed_at = $2, reviewed_by = $3, review_note = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(status)
    .bind(ms(t))
    .bind(u.user_id.0)
    .bind((!note.is_empty()).then_some(note))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if let Some(th) = thread {
        sqlx::query("UPDATE threads SET open_violations = CASE WHEN open_violations > 0 THEN open_violations - 1 ELSE 0 END WHERE id = $1")
            .bind(th)
            .execute(&mut *tx)
            .await?;
    }
    let actor = u.actor(request_id());
    let (kind, summary) = match review {
        Review::ApproveAndSend => {
            ("policy.overridden", format!("{} approved and sent a stopped text (\"{redacted}\"): {note}", actor.name))
        }
        Review::Dismiss => ("violation.dismissed", format!("{} dismissed the violation \"{redacted}\"", actor.name)),
        Review::Resolve => ("violation.resolved", format!("{} resolved the violation \"{redacted}\"", actor.name)),
    };
    let mut ev = Event::new(kind, "violation", id, summary)
        .payload(serde_json::json!({ "before": "open", "after": status, "note": note, "message_id": message }));
    ev.thread_id = thread;
    ev.message_id = message;
    audit::append(&mut tx, u.org_id, &actor, ev).await?;
    tx.commit().await?;
    if review == Review::ApproveAndSend {
        st.wake_worker();
    }
    st.publish(LiveEvent {
        org_id: u.org_id.0,
        thread_id: thread,
        owner_only: false,
        kind: "violation.reviewed".into(),
        data: serde_json::json!({ "id": id, "thread_id": thread }),
    });
    Ok(())
}
