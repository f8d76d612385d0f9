//! Raising alerts from anywhere in the pipeline: one open alert per cause,
//! counted, never duplicated; audited with the change that raised it.

use crate::domain::alerts::Severity;
use crate::domain::ids::OrgId;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::ms;
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
