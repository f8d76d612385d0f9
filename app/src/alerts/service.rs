//! Raising alerts from anywhere in the pipeline: one open alert per cause,
//! counted, never duplicated; audited with the change that raised it. And
//! closing one: resolved or dismissed (critical ones can only be resolved),
//! by whom, with a note.

use crate::domain::alerts::{AlertStatus, Severity};
use crate::domain::ids::{OrgId, UserId};
use crate::error::{AppError, AppResult};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::ms;
use crate::platform::state::LiveEvent;
use crate::platform::AppState;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

pub struct Raise {
    pub rule: &'static str,
    /// What the alert is about; the same cause bumps the open alert's count.
    pub cause_key: String,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub thread_id: Option<i64>,
    pub number_id: Option<i64>,
}

/// Returns the alert id and whether it is new; `None` when the owner
/// switched the rule off. The rule's configured severity applies.
pub async fn raise(
    c: &mut AnyConnection,
    org: OrgId,
    mut r: Raise,
    now: DateTime<Utc>,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    if let Some(rule) = crate::alerts::rules::store::effective(c, org, r.rule).await? {
        if !rule.enabled {
            return Ok(None);
        }
        r.severity = rule.severity;
    }
    let row = sqlx::query(
        "INSERT INTO alerts (org_id, rule, cause_key, severity, title, body, count, status, first_seen_at, last_seen_at, thread_id, number_id)
         VALUES ($1, $2, $3, $4, $5, $6, 1, 'open', $7, $7, $8, $9)
         ON CONFLICT (org_id, cause_key) WHERE status = 'open'
         DO UPDATE SET count = alerts.count + 1, last_seen_at = excluded.last_seen_at, body = excluded.body
         RETURNING id, count",
    )
    .bind(org.0)
    .bind(r.rule)
    .bind(&r.cause_key)
    .bind(r.severity.as_str())
    .bind(&r.title)
    .bind(&r.body)
    .bind(ms(now))
    .bind(r.thread_id)
    .bind(r.number_id)
    .fetch_one(&mut *c)
    .await?;
    let id: i64 = row.try_get("id")?;
    let count: i64 = row.try_get("count")?;
    let new = count == 1;
    let (kind, summary) = if new {
        ("alert.raised", format!("{} alert: {}", r.severity.label(), r.title))
    } else {
        ("alert.repeated", format!("{} (seen {count} times)", r.title))
    };
    let mut ev = Event::new(kind, "alert", id, summary).payload(
        serde_json::json!({ "rule": r.rule, "cause": r.cause_key, "severity": r.severity.as_str(), "count": count }),
    );
    ev.thread_id = r.thread_id;
    ev.number_id = r.number_id;
    audit::append(c, org, &Actor::system(None), ev).await?;
    Ok(Some((id, new)))
}

/// Resolves (or, unless it is critical, dismisses) an open alert.
pub async fn close(
    st: &AppState,
    org: OrgId,
    by: UserId,
    actor: &Actor,
    id: i64,
    dismiss: bool,
    note: &str,
) -> AppResult<()> {
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::field("note", "Keep the note under 500 characters."));
    }
    let mut tx = st.db.begin().await?;
    let a = super::store::alert(&mut tx, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That alert doesn't exist.".into()))?;
    if a.status != Some(AlertStatus::Open) {
        return Err(AppError::Conflict("That alert was already closed; it's in the archive.".into()));
    }
    if dismiss && !a.severity.can_dismiss() {
        return Err(AppError::Conflict(
            "Critical alerts can't be dismissed: fix the cause, then resolve it (say what you did).".into(),
        ));
    }
    let status = if dismiss { AlertStatus::Dismissed } else { AlertStatus::Resolved };
    super::store::close(&mut tx, id, status, by, (!note.is_empty()).then_some(note), crate::platform::now()).await?;
    let mut ev = Event::new(
        if dismiss { "alert.dismissed" } else { "alert.resolved" },
        "alert",
        id,
        format!(
            "{} {} the {} alert \"{}\"{}",
            actor.name,
            status.as_str(),
            a.severity.label().to_lowercase(),
            a.title,
            if note.is_empty() { String::new() } else { format!(": {note}") }
        ),
    )
    .payload(serde_json::json!({ "severity": a.severity.as_str(), "note": note }));
    ev.thread_id = a.thread_id;
    ev.number_id = a.number_id;
    audit::append(&mut tx, org, actor, ev).await?;
    tx.commit().await?;
    st.publish(LiveEvent {
        org_id: org.0,
        thread_id: None,
        owner_only: true,
        kind: "alert.closed".into(),
        data: serde_json::json!({ "id": id }),
    });
    Ok(())
}
