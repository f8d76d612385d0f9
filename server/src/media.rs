//! Copies of MMS attachments (GET /media/{id}), for signed-in people who
//! may see the message: owners of the organisation, sitters during (or
//! after) their own window on the thread.

use app::platform::{sessions, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::Row;

pub async fn media(State(state): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(sessions::token_from_cookie_header);
    let user = match token {
        Some(t) => sessions::lookup(&state.db, &t, app::platform::now()).await.ok().flatten(),
        None => None,
    };
    let Some(user) = user else { return (StatusCode::UNAUTHORIZED, "Sign in to see this picture.\n").into_response() };
    let row = sqlx::query(
        "SELECT mm.stored_path, mm.content_type, m.org_id, m.thread_id, m.created_at FROM message_media mm JOIN messages m ON m.id = mm.message_id WHERE mm.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.read)
    .await;
    let Ok(Some(r)) = row else { return (StatusCode::NOT_FOUND, "No such attachment.\n").into_response() };
    let org: i64 = r.try_get("org_id").unwrap_or(-1);
    if org != user.org_id.0 {
        return (StatusCode::NOT_FOUND, "No such attachment.\n").into_response();
    }
    if !user.is_owner() {
        let thread: i64 = r.try_get("thread_id").unwrap_or(-1);
        let at: i64 = r.try_get("created_at").unwrap_or(0);
        let allowed = sqlx::query(
            "SELECT COUNT(*) AS n FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL AND starts_at <= $3 AND ends_at > $3",
        )
        .bind(thread)
        .bind(user.sitter_id.map(|s| s.0).unwrap_or(-1))
        .bind(at)
        .fetch_one(&state.db.read)
        .await
        .ok()
        .and_then(|r| r.try_get::<i64, _>("n").ok())
        .is_some_and(|n| n > 0);
        if !allowed {
            return (StatusCode::FORBIDDEN, "This picture belongs to a conversation you aren't assigned to.\n")
                .into_response();
        }
    }
    let Some(path) = r.try_get::<Option<String>, _>("stored_path").ok().flatten() else {
        return (StatusCode::ACCEPTED, "The picture is still being downloaded. Try again in a moment.\n")
            .into_response();
    };
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let ct = r
        .try_get::<Option<String>, _>("content_type")
        .ok()
        .flatten()
        .unwrap_or_else(|| "application/octet-stream".into());
    match tokio::fs::read(state.media_dir.join(&path)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, "private, max-age=86400".into())], bytes)
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "The stored copy is missing.\n").into_response(),
    }
}
