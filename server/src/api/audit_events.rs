//! The audit trail, newest first, with filters.

use super::extract::ApiQuery;
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::platform::sql::Sql;
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

fn parse_time(field: &str, v: &str) -> Result<DateTime<Utc>, Problem> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Problem::invalid(field, format!("`{field}` is an RFC 3339 time such as 2026-12-01T15:00:00Z.")))
}

/// Audit events, newest first. Every API call is here too (`api.call`), under the key's name.
#[utoipa::path(get, path = "/audit-events", tag = "audit", params(AuditParams), responses((status = 200, body = AuditList)))]
async fn list_audit_events(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    let page = PageParams { limit: p.limit, cursor: p.cursor.clone() };
    let (limit, before) = (page.limit()?, page.after()?);
    let from = p.from.as_deref().filter(|v| !v.trim().is_empty()).map(|v| parse_time("from", v)).transpose()?;
    let to = p.to.as_deref().filter(|v| !v.trim().is_empty()).map(|v| parse_time("to", v)).transpose()?;
    let mut s = Sql::new(
        "SELECT id, seq, at, actor_kind, actor_id, actor_name, event_type, entity_kind, entity_id, summary, thread_id, message_id,
            number_id, request_id, payload, hash FROM audit_events WHERE org_id = ",
    );
    let org = s.int(caller.key.org_id.0);
    s.push(&org);
    if let Some(b) = before {
        let v = s.int(b);
        s.push(&format!(" AND id < {v}"));
    }
    for (column, value) in [
        ("event_type", &p.event_type),
        ("entity_kind", &p.entity_kind),
        ("entity_id", &p.entity_id),
        ("actor_kind", &p.actor_kind),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            let v = s.text(v);
            s.push(&format!(" AND {column} = {v}"));
        }
    }
    if let Some(t) = p.thread_id {
        let v = s.int(t);
        s.push(&format!(" AND thread_id = {v}"));
    }
    if let Some(f) = from {
        let v = s.int(app::platform::ms(f));
        s.push(&format!(" AND at >= {v}"));
    }
    if let Some(t) = to {
        let v = s.int(app::platform::ms(t));
        s.push(&format!(" AND at < {v}"));
    }
    let l = s.int(limit + 1);
    s.push(&format!(" ORDER BY id DESC LIMIT {l}"));
    let mut c = st.db.read.acquire().await?;
    let rows = s.query().fetch_all(&mut *c).await?;
    let mut items = rows
        .iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            Ok(AuditEvent {
                id: r.try_get("id")?,
                seq: r.try_get("seq")?,
                at: time_ms(r.try_get("at")?),
                actor_kind: r.try_get("actor_kind")?,
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                event_type: r.try_get("event_type")?,
                entity_kind: r.try_get("entity_kind")?,
                entity_id: r.try_get("entity_id")?,
                summary: r.try_get("summary")?,
                thread_id: r.try_get("thread_id")?,
                message_id: r.try_get("message_id")?,
                number_id: r.try_get("number_id")?,
                request_id: r.try_get("request_id")?,
                payload: serde_json::from_str(&payload).unwrap_or_else(|_| serde_json::json!({})),
                hash: r.try_get("hash")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|e| e.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &AuditList { items, next_cursor }))
}
