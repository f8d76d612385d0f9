//! Reading the audit trail: one filtered, newest-first query shared by the
//! timeline and the CSV export.

use super::{AuditFilter, AuditRow};
use crate::domain::ids::OrgId;
use crate::domain::phone::E164;
use crate::domain::time::BusinessTz;
use crate::error::{AppError, AppResult};
use crate::platform::sql::Sql;
use crate::platform::{from_ms, ms};
use chrono::Duration;
use sqlx::{AnyConnection, Row};

/// Most events one CSV export may hold (SPEC §3.8).
pub const EXPORT_LIMIT: i64 = 10_000;

/// Events matching the filter, newest first, after `before` (an event id),
/// at most `limit`.
pub async fn query(
    c: &mut AnyConnection,
    org: OrgId,
    tz: BusinessTz,
    f: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditRow>> {
    let mut s = Sql::new(
        "SELECT id, seq, at, actor_kind, actor_name, event_type, entity_kind, entity_id, summary, thread_id, message_id,
            number_id, request_id, payload FROM audit_events WHERE org_id = ",
    );
    let p = s.int(org.0);
    s.push(&p);
    if let Some(b) = before {
        let p = s.int(b);
        s.push(&format!(" AND id < {p}"));
    }
    if !f.event_type.trim().is_empty() {
        let p = s.text(f.event_type.trim());
        s.push(&format!(" AND event_type = {p}"));
    }
    if !f.actor.trim().is_empty() {
        let p = s.text(f.actor.trim());
        s.push(&format!(" AND actor_kind = {p}"));
    }
    if !f.thread.trim().is_empty() {
        let t: i64 = f
            .thread
            .trim()
            .trim_start_matches('#')
            .parse()
            .map_err(|_| AppError::field("thread", "A conversation is given by its number, such as 12."))?;
        let p = s.int(t);
        s.push(&format!(" AND thread_id = {p}"));
    }
    if !f.number.trim().is_empty() {
        let e = E164::parse(&f.number, "US")
            .map_err(|_| AppError::field("number", format!("\"{}\" isn't a phone number.", f.number.trim())))?;
        let p = s.text(e.as_str());
        s.push(&format!(" AND number_id IN (SELECT id FROM numbers WHERE e164 = {p})"));
    }
    let from = crate::domain::time::form_day(&f.from).map_err(AppError::on("from"))?;
    let to = crate::domain::time::form_day(&f.to).map_err(AppError::on("to"))?;
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            return Err(AppError::field("to", "The end date is before the start date."));
        }
    }
    if let Some(d) = from {
        let p = s.int(ms(tz.to_utc(d.and_hms_opt(0, 0, 0).unwrap_or_default())));
        s.push(&format!(" AND at >= {p}"));
    }
    if let Some(d) = to {
        let next = d + Duration::days(1);
        let p = s.int(ms(tz.to_utc(next.and_hms_opt(0, 0, 0).unwrap_or_default())));
        s.push(&format!(" AND at < {p}"));
    }
    let p = s.int(limit);
    s.push(&format!(" ORDER BY id DESC LIMIT {p}"));
    let rows = s.query().fetch_all(&mut *c).await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            let pretty = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .filter(|v| v.as_object().is_none_or(|o| !o.is_empty()))
                .map(|v| serde_json::to_string_pretty(&v).unwrap_or(payload.clone()));
            let at = from_ms(r.try_get("at")?);
            Ok(AuditRow {
                id: r.try_get("id")?,
                seq: r.try_get("seq")?,
                when: tz.date_time(at),
                at_utc: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                actor_kind: r.try_get("actor_kind")?,
                actor: r.try_get("actor_name")?,
                event_type: r.try_get("event_type")?,
                entity: format!(
                    "{} {}",
                    r.try_get::<String, _>("entity_kind")?,
                    r.try_get::<Option<String>, _>("entity_id")?.unwrap_or_default()
                )
                .trim()
                .to_string(),
                summary: r.try_get("summary")?,
                thread_id: r.try_get("thread_id")?,
                message_id: r.try_get("message_id")?,
                number_id: r.try_get("number_id")?,
                request_id: r.try_get("request_id")?,
                payload: pretty,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The event types present, for the filter.
pub async fn event_types(c: &mut AnyConnection, org: OrgId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT DISTINCT event_type FROM audit_events WHERE org_id = $1 ORDER BY event_type")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get("event_type"))
        .collect()
}

/// The filtered events as CSV, or a clear refusal past the export limit.
pub async fn export_csv(
    c: &mut AnyConnection,
    org: OrgId,
    tz: BusinessTz,
    f: &AuditFilter,
) -> AppResult<(String, usize)> {
    let rows = query(c, org, tz, f, None, EXPORT_LIMIT + 1).await?;
    if rows.len() as i64 > EXPORT_LIMIT {
        return Err(AppError::invalid(format!(
            "More than {EXPORT_LIMIT} events match. Narrow the dates or filters and export again (an export holds at most {EXPORT_LIMIT})."
        )));
    }
    let mut out = crate::platform::csv::Csv::new();
    out.row([
        "id",
        "sequence",
        "time_utc",
        "time_local",
        "actor_kind",
        "actor",
        "event_type",
        "entity",
        "summary",
        "thread_id",
        "message_id",
        "number_id",
        "request_id",
        "payload",
    ]);
    for r in &rows {
        let cells = [
            r.id.to_string(),
            r.seq.to_string(),
            r.at_utc.clone(),
            r.when.clone(),
            r.actor_kind.clone(),
            r.actor.clone(),
            r.event_type.clone(),
            r.entity.clone(),
            r.summary.clone(),
            r.thread_id.map(|v| v.to_string()).unwrap_or_default(),
            r.message_id.map(|v| v.to_string()).unwrap_or_default(),
            r.number_id.map(|v| v.to_string()).unwrap_or_default(),
            r.request_id.clone().unwrap_or_default(),
            r.payload.clone().map(|p| p.replace('\n', " ")).unwrap_or_default(),
        ];
        out.row(&cells);
    }
    Ok((out.finish(), rows.len()))
}
