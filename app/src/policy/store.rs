//! The `policy_violations` table: one insert for every place a finding is
//! made, the feed's rows, and what a review reads and writes.

use super::{ComposePolicy, ViolationView};
use crate::domain::ids::{OrgId, ThreadId};
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::policy::PolicySettings;
use crate::domain::policy::{self, Hit, ViolationOutcome, ViolationStatus};
use crate::domain::routing::Direction;
use crate::domain::time::{relative, BusinessTz};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::platform::jobs::{self, NewJob};
use crate::platform::{from_ms, ms};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// What the composer checks a text against: the rules the send path will
/// apply to this sender in this thread.
pub async fn compose_policy(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    thread: ThreadId,
    sender: Sender,
) -> Result<ComposePolicy, sqlx::Error> {
    Ok(ComposePolicy {
        sender,
        settings: PolicySettings { allowlist: Vec::new(), ..ctx.settings.policy.clone() },
        allow: mstore::policy_allowlist(c, ctx).await?,
        recent: mstore::previous_bodies(c, thread, sender, ctx.settings.policy.recent_messages).await?,
    })
}

/// A policy finding to record (SPEC §3.5).
pub struct NewViolation<'a> {
    pub org: OrgId,
    pub thread: ThreadId,
    pub message_id: Option<i64>,
    /// Inbound: a client's text, flagged.
    pub direction: Direction,
    /// client / owner / sitter / automation / system
    pub actor_kind: &'static str,
    pub sitter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub body: &'a str,
    pub hits: &'a [Hit],
    pub outcome: ViolationOutcome,
    pub status: ViolationStatus,
    pub at: DateTime<Utc>,
}

/// Records a violation (the body redacted beside it) and, when it is open,
/// counts it on the thread. The one insert every path uses.
pub async fn insert_violation(c: &mut AnyConnection, v: &NewViolation<'_>) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query(
        "INSERT INTO policy_violations (org_id, thread_id, message_id, direction, actor_kind, sitter_id, user_id, body,
             redacted, hits, outcome, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(v.org.0)
    .bind(v.thread.0)
    .bind(v.message_id)
    .bind(v.direction.as_str())
    .bind(v.actor_kind)
    .bind(v.sitter_id)
    .bind(v.user_id)
    .bind(v.body)
    .bind(policy::redact(v.body, v.hits))
    .bind(serde_json::to_string(v.hits).unwrap_or_default())
    .bind(v.outcome.as_str())
    .bind(v.status.as_str())
    .bind(ms(v.at))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")?;
    if v.status == ViolationStatus::Open {
        sqlx::query("UPDATE threads SET open_violations = open_violations + 1 WHERE id = $1")
            .bind(v.thread.0)
            .execute(&mut *c)
            .await?;
    }
    Ok(id)
}

/// "phone number, email address" from the stored hits.
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

/// The business's findings with `status`, newest first (at most 200).
pub async fn list(
    c: &mut AnyConnection,
    org: OrgId,
    status: ViolationStatus,
    now: DateTime<Utc>,
    tz: BusinessTz,
) -> Result<Vec<ViolationView>, sqlx::Error> {
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
    .bind(org.0)
    .bind(status.as_str())
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match view_from(&r, now, tz)? {
            Some(v) => out.push(v),
            None => tracing::warn!(
                org = org.0,
                "skipped a policy violation row with an unknown status, outcome or direction"
            ),
        }
    }
    Ok(out)
}

/// One feed row; `None` for a row whose status, outcome or direction this
/// version doesn't know.
fn view_from(r: &sqlx::any::AnyRow, now: DateTime<Utc>, tz: BusinessTz) -> Result<Option<ViolationView>, sqlx::Error> {
    let (Some(status), Some(outcome), Some(direction)) = (
        ViolationStatus::parse(&r.try_get::<String, _>("status")?),
        ViolationOutcome::parse(&r.try_get::<String, _>("outcome")?),
        Direction::parse(&r.try_get::<String, _>("direction")?),
    ) else {
        return Ok(None);
    };
    let who = match r.try_get::<String, _>("actor_kind")?.as_str() {
        "sitter" => {
            format!("{} (sitter)", r.try_get::<Option<String>, _>("sitter")?.unwrap_or_else(|| "A sitter".into()))
        }
        "client" => "The client".to_string(),
        "automation" => "An automation".to_string(),
        _ => r.try_get::<Option<String>, _>("sender_user")?.unwrap_or_else(|| "The owner".into()),
    };
    let reviewed = match r.try_get::<Option<i64>, _>("reviewed_at")? {
        Some(at) => {
            let verb = match status {
                ViolationStatus::Approved => "Approved and sent",
                ViolationStatus::Dismissed => "Dismissed",
                _ => "Resolved",
            };
            let note = r.try_get::<Option<String>, _>("review_note")?.filter(|n| !n.is_empty());
            Some(format!(
                "{verb} by {}, {}{}",
                r.try_get::<Option<String>, _>("reviewer")?.unwrap_or_else(|| "the owner".into()),
                relative(from_ms(at), now, tz),
                note.map(|n| format!(": {n}")).unwrap_or_default()
            ))
        }
        None => None,
    };
    let message_status: Option<String> = r.try_get("message_status")?;
    Ok(Some(ViolationView {
        id: r.try_get("id")?,
        at: relative(from_ms(r.try_get("created_at")?), now, tz),
        thread_id: r.try_get("thread_id")?,
        client: r.try_get("client")?,
        who,
        direction,
        redacted: r.try_get("redacted")?,
        kinds: kinds(&r.try_get::<String, _>("hits")?),
        outcome,
        can_send: status == ViolationStatus::Open
            && matches!(message_status.as_deref(), Some("blocked") | Some("held")),
        status,
        reviewed,
    }))
}

/// What a review needs to know about a finding.
pub struct Finding {
    pub status: Option<ViolationStatus>,
    pub thread: Option<i64>,
    pub message: Option<i64>,
    pub redacted: String,
    /// The stopped text's status ("blocked", "held"), if it has one.
    pub message_status: Option<String>,
    pub to: Option<E164>,
    pub number: Option<i64>,
}

pub async fn finding(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<Option<Finding>, sqlx::Error> {
    let Some(v) = sqlx::query(
        "SELECT v.status, v.thread_id, v.message_id, v.redacted, m.status AS message_status, m.to_e164, t.number_id
         FROM policy_violations v LEFT JOIN messages m ON m.id = v.message_id LEFT JOIN threads t ON t.id = v.thread_id
         WHERE v.id = $1 AND v.org_id = $2",
    )
    .bind(id)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Finding {
        status: ViolationStatus::parse(&v.try_get::<String, _>("status")?),
        thread: v.try_get("thread_id")?,
        message: v.try_get("message_id")?,
        redacted: v.try_get("redacted")?,
        message_status: v.try_get("message_status")?,
        to: v.try_get::<Option<String>, _>("to_e164")?.and_then(|e| E164::from_canonical(&e)),
        number: v.try_get("number_id")?,
    }))
}

pub async fn number_in_service(c: &mut AnyConnection, number: i64) -> Result<bool, sqlx::Error> {
    let status = sqlx::query("SELECT status FROM numbers WHERE id = $1")
        .bind(number)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get::<String, _>("status"))
        .transpose()?;
    Ok(status.as_deref() == Some("active"))
}

/// The stopped text goes back on the send queue, marked as the owner's
/// override.
pub async fn queue_stopped_text(c: &mut AnyConnection, org: OrgId, message: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET status = 'queued', policy_override = 1 WHERE id = $1 AND status IN ('blocked', 'held')",
    )
    .bind(message)
    .execute(&mut *c)
    .await?;
    jobs::enqueue(
        c,
        NewJob::now(Some(org), "send", serde_json::json!({ "message_id": message })).dedupe(format!("send:{message}")),
    )
    .await?;
    Ok(())
}

/// Closes an open finding; the thread's count of open ones goes down.
pub async fn mark_reviewed(
    c: &mut AnyConnection,
    id: i64,
    thread: Option<i64>,
    status: ViolationStatus,
    reviewer: i64,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE policy_violations SET status = $1, reviewed_at = $2, reviewed_by = $3, review_note = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(status.as_str())
    .bind(ms(at))
    .bind(reviewer)
    .bind(note)
    .bind(id)
    .execute(&mut *c)
    .await?;
    if let Some(th) = thread {
        sqlx::query("UPDATE threads SET open_violations = CASE WHEN open_violations > 0 THEN open_violations - 1 ELSE 0 END WHERE id = $1")
            .bind(th)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
