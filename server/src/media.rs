//! Copies of MMS attachments (GET /media/{id}?exp=…&sig=…): a signed,
//! expiring link from the thread view, for signed-in people of the
//! business who may see the message (owners; sitters for messages inside
//! their own windows). The type served is decided from the file's bytes:
//! pictures, sound and video from a short list are shown; anything else is
//! a download. Every answer forbids sniffing, framing and scripts.

use app::messaging::{media, visibility};
use app::platform::{now, sessions, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

#[derive(Deserialize)]
pub struct Link {
    exp: Option<i64>,
    sig: Option<String>,
}

/// Headers on every /media answer, errors included.
pub fn harden(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

fn refuse(status: StatusCode, text: &'static str) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
    harden(&mut res);
    res
}

pub async fn media(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(link): Query<Link>,
    headers: HeaderMap,
) -> Response {
    let t = now();
    let (Some(exp), Some(sig)) = (link.exp, link.sig.as_deref()) else {
        return refuse(StatusCode::FORBIDDEN, "This link is incomplete. Open the picture from the conversation.\n");
    };
    if !media::verify_path(&state.secrets, id, exp, sig, t) {
        return refuse(StatusCode::FORBIDDEN, "This link has expired. Reload the conversation to see the picture.\n");
    }
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(sessions::token_from_cookie_header);
    let user = match token {
        Some(t2) => sessions::lookup(&state.db, &t2, t).await.ok().flatten(),
        None => None,
    };
    let Some(user) = user else { return refuse(StatusCode::UNAUTHORIZED, "Sign in to see this picture.\n") };
    match serve(&state, &user, id).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, media = id, "attachment lookup failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "We couldn't load this attachment. Try again.\n")
        }
    }
}

async fn serve(state: &AppState, user: &sessions::SessionUser, id: i64) -> Result<Response, sqlx::Error> {
    let mut c = state.db.read.acquire().await?;
    let row = sqlx::query(
        "SELECT mm.stored_path, mm.message_id, m.org_id FROM message_media mm JOIN messages m ON m.id = mm.message_id WHERE mm.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = row.filter(|r| r.try_get::<i64, _>("org_id").ok() == Some(user.org_id.0)) else {
        return Ok(refuse(StatusCode::NOT_FOUND, "No such attachment.\n"));
    };
    if !user.is_owner() {
        let allowed = match user.sitter_id {
            Some(s) => visibility::sitter_sees_message(&mut c, s, r.try_get("message_id")?).await?,
            None => false,
        };
        if !allowed {
            return Ok(refuse(
                StatusCode::FORBIDDEN,
                "This picture belongs to a conversation you aren't assigned to.\n",
            ));
        }
    }
    let Some(path) = r.try_get::<Option<String>, _>("stored_path")?.filter(|p| !p.contains("..")) else {
        return Ok(refuse(StatusCode::NOT_FOUND, "There is no stored copy of this attachment.\n"));
    };
    drop(c);
    let Ok(bytes) = tokio::fs::read(state.media_dir.join(&path)).await else {
        return Ok(refuse(StatusCode::NOT_FOUND, "The stored copy is missing.\n"));
    };
    // Decided from the bytes on every answer, whatever was recorded.
    let (ct, disposition) = match media::sniff(&bytes) {
        Some(ct) => (ct, "inline".to_string()),
        None => ("application/octet-stream", format!("attachment; filename=\"attachment-{id}.bin\"")),
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=21600".to_string()),
        ],
        bytes,
    )
        .into_response();
    harden(&mut res);
    Ok(res)
}
