//! Alerts' SQL: the open list and the archive, one alert, closing it.

use super::*;
use crate::domain::ids::{OrgId, UserId};
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::{from_ms, ms, now, Db};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// Open alerts, most urgent first; or the archive, latest closed first.
pub async fn list(db: &Db, org: OrgId, archive: bool) -> AppResult<Vec<AlertView>> {
    let t = now();
    let mut c = db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, org).await?.tz;
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
    let rows = sqlx::query(sql).bind(org.0).fetch_all(&mut *c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(status) = AlertStatus::parse(&r.try_get::<String, _>("status")?) else {
            tracing::warn!(org = org.0, "skipped an alert row with an unknown status");
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

/// An alert as [`super::service::close`] needs it.
pub(super) struct AlertRow {
    pub severity: Severity,
    pub status: Option<AlertStatus>,
    pub title: String,
    pub thread_id: Option<i64>,
    pub number_id: Option<i64>,
}

pub(super) async fn alert(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<Option<AlertRow>, sqlx::Error> {
    sqlx::query("SELECT severity, status, title, thread_id, number_id FROM alerts WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| {
            Ok(AlertRow {
                severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Warning),
                status: AlertStatus::parse(&r.try_get::<String, _>("status")?),
                title: r.try_get("title")?,
                thread_id: r.try_get("thread_id")?,
                number_id: r.try_get("number_id")?,
            })
        })
        .transpose()
}

/// Closes an open alert as `status` (resolved or dismissed), by whom, with
/// the note if any.
pub(super) async fn close(
    c: &mut AnyConnection,
    id: i64,
    status: AlertStatus,
    by: UserId,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alerts SET status = $1, resolved_at = $2, resolved_by = $3, resolution_note = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(status.as_str())
    .bind(ms(now))
    .bind(by.0)
    .bind(note)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}
