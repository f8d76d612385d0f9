//! Downloads that need the signed-in owner: the audit trail as CSV.

use app::audit::{store, AuditFilter};
use app::error::AppError;
use app::platform::audit::{self, Event};
use app::platform::sessions;
use app::platform::{now, AppState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

fn refuse(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

pub async fn audit_csv(State(st): State<AppState>, headers: HeaderMap, Query(f): Query<AuditFilter>) -> Response {
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(sessions::token_from_cookie_header);
    let user = match token {
        Some(t) => sessions::lookup(&st.db, &t, now()).await.ok().flatten(),
        None => None,
    };
    let Some(u) = user else { return refuse(StatusCode::UNAUTHORIZED, AppError::Unauthenticated.to_string()) };
    if !u.is_owner() {
        return refuse(StatusCode::FORBIDDEN, AppError::owner_only().to_string());
    }
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
        Ok::<_, AppError>((csv, tz.local_date(now())))
    }
    .await;
    match result {
        Ok((csv, day)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"audit-{day}.csv\"")),
            ],
            csv,
        )
            .into_response(),
        Err(e) => refuse(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()),
    }
}
