//! Downloads that need the signed-in owner: the audit trail and the number
//! inventory as CSV, each export audited.

use app::audit::{store, AuditFilter};
use app::error::AppError;
use app::numbers::NumberFilter;
use app::platform::audit::{self, Event};
use app::platform::sessions::{self, SessionUser};
use app::platform::{now, AppState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

fn refuse(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The signed-in owner, or the response that refuses everyone else.
async fn owner(st: &AppState, headers: &HeaderMap) -> Result<SessionUser, Response> {
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(sessions::token_from_cookie_header);
    let user = match token {
        Some(t) => sessions::lookup(&st.db, &t, now()).await.ok().flatten(),
        None => None,
    };
    let Some(u) = user else { return Err(refuse(StatusCode::UNAUTHORIZED, AppError::Unauthenticated.to_string())) };
    if !u.is_owner() {
        return Err(refuse(StatusCode::FORBIDDEN, AppError::owner_only().to_string()));
    }
    Ok(u)
}

fn csv_response(result: Result<(String, String), AppError>) -> Response {
    match result {
        Ok((csv, filename)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(e) => refuse(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()),
    }
}

pub async fn numbers_csv(State(st): State<AppState>, headers: HeaderMap, Query(f): Query<NumberFilter>) -> Response {
    let u = match owner(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let mut c = st.db.read.acquire().await?;
        let tz = app::messaging::store::org_context(&mut c, u.org_id).await?.tz;
        let (csv, count) = app::numbers::store::export_csv(&mut c, u.org_id, &f, now()).await?;
        drop(c);
        let mut tx = st.db.begin().await?;
        let rid = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        audit::append(
            &mut tx,
            u.org_id,
            &u.actor(rid),
            Event::new("numbers.exported", "number", u.org_id.0, format!("{} exported {count} numbers as CSV", u.name))
                .payload(serde_json::json!({ "filter": f, "numbers": count })),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>((csv, format!("numbers-{}.csv", tz.local_date(now()))))
    }
    .await;
    csv_response(result)
}

pub async fn audit_csv(State(st): State<AppState>, headers: HeaderMap, Query(f): Query<AuditFilter>) -> Response {
    let u = match owner(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let mut c = st.db.read.acquire().await?;
        let tz = app::messaging::store::org_context(&mut c, u.org_id).await?.tz;
        let (csv, count) = store::export_csv(&mut c, u.org_id, tz, &f).await?;
        drop(c);
        let mut tx = st.db.begin().await?;
        let rid = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        audit::append(
            &mut tx,
            u.org_id,
            &u.actor(rid),
            Event::new(
                "audit.exported",
                "audit",
                u.org_id.0,
                format!("{} exported {count} audit events as CSV", u.name),
            )
            .payload(serde_json::json!({ "filter": f, "events": count })),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>((csv, format!("audit-{}.csv", tz.local_date(now()))))
    }
    .await;
    csv_response(result)
}

pub async fn analytics_csv(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(f): Query<app::audit::analytics::AnalyticsFilter>,
) -> Response {
    let u = match owner(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = async {
        let mut c = st.db.read.acquire().await?;
        let a = app::audit::analytics::store::compute(&mut c, u.org_id, &f, now()).await?;
        drop(c);
        let csv = app::audit::analytics::store::to_csv(&a);
        let mut tx = st.db.begin().await?;
        let rid = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        audit::append(
            &mut tx,
            u.org_id,
            &u.actor(rid),
            Event::new(
                "analytics.exported",
                "organisation",
                u.org_id.0,
                format!("{} exported analytics for {} to {} as CSV", u.name, a.from, a.to),
            )
            .payload(serde_json::json!({ "filter": f })),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>((csv, format!("analytics-{}-to-{}.csv", a.from, a.to)))
    }
    .await;
    csv_response(result)
}
