//! `Idempotency-Key` on POST: the first response to a key is kept for 24
//! hours and returned again for a replay of the same request, so a retried
//! booking or text never happens twice. The same key with a different
//! request is refused; a replay while the first is still running gets 409.
//! Server errors and rate limits aren't kept: retrying those runs again.

use super::Problem;
use app::platform::api_keys::ApiKey;
use app::platform::crypto::sha256_hex;
use app::platform::{ms, now, AppState};
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::Row;

const HEADER: &str = "idempotency-key";
const KEEP_MS: i64 = 24 * 3600 * 1000;
const MAX_BODY: usize = 1024 * 1024;

pub struct Slot {
    key_id: i64,
    idem_key: String,
}

pub enum Begin {
    Proceed(Request, Option<Slot>),
    Done(Response),
}

pub async fn begin(st: &AppState, key: &ApiKey, req: Request) -> Begin {
    let Some(raw) = req.headers().get(HEADER) else { return Begin::Proceed(req, None) };
    let idem_key = match raw.to_str() {
        Ok(v) if !v.trim().is_empty() && v.len() <= 255 => v.trim().to_string(),
        _ => {
            return Begin::Done(
                Problem::invalid(
                    "Idempotency-Key",
                    "The Idempotency-Key header is 1 to 255 visible characters, such as a UUID.",
                )
                .into_response(),
            )
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return Begin::Done(Problem::invalid("body", "The body is too large or couldn't be read.").into_response());
    };
    let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let mut fingerprint = format!("{}\n{target}\n", parts.method).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let request_hash = sha256_hex(&fingerprint);
    let now = ms(now());
    let result: Result<Option<Response>, sqlx::Error> = async {
        let mut tx = st.db.begin().await?;
        sqlx::query("DELETE FROM api_idempotency WHERE key_id = $1 AND created_at < $2")
            .bind(key.id)
            .bind(now - KEEP_MS)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO api_idempotency (key_id, idem_key, method, path, request_hash, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (key_id, idem_key) DO NOTHING",
        )
        .bind(key.id)
        .bind(&idem_key)
        .bind(parts.method.as_str())
        .bind(parts.uri.path())
        .bind(&request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(None);
        }
        let r = sqlx::query(
            "SELECT request_hash, status, content_type, body FROM api_idempotency WHERE key_id = $1 AND idem_key = $2",
        )
        .bind(key.id)
        .bind(&idem_key)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        if r.try_get::<String, _>("request_hash")? != request_hash {
            return Ok(Some(
                Problem::invalid(
                    "Idempotency-Key",
                    "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
                )
                .into_response(),
            ));
        }
        let status: i64 = r.try_get("status")?;
        if status == 0 {
            return Ok(Some(
                Problem::conflict(
                    "The first request with this Idempotency-Key is still running. Try again in a moment.",
                )
                .into_response(),
            ));
        }
        let mut resp = Response::new(Body::from(r.try_get::<Option<String>, _>("body")?.unwrap_or_default()));
        *resp.status_mut() = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
        if let Some(ct) = r.try_get::<Option<String>, _>("content_type")?.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        Ok(Some(resp))
    }
    .await;
    match result {
        Ok(None) => {
            Begin::Proceed(Request::from_parts(parts, Body::from(bytes)), Some(Slot { key_id: key.id, idem_key }))
        }
        Ok(Some(resp)) => Begin::Done(resp),
        Err(e) => Begin::Done(Problem::from(e).into_response()),
    }
}

pub async fn finish(st: &AppState, slot: Slot, resp: Response) -> Response {
    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, MAX_BODY * 4).await {
        Ok(b) => b,
        Err(_) => {
            forget(st, &slot).await;
            return Problem::internal(&app::platform::crypto::short_id()).into_response();
        }
    };
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        forget(st, &slot).await;
    } else {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let stored = sqlx::query(
            "UPDATE api_idempotency SET status = $1, content_type = $2, body = $3 WHERE key_id = $4 AND idem_key = $5",
        )
        .bind(i64::from(status.as_u16()))
        .bind(content_type)
        .bind(String::from_utf8_lossy(&bytes).into_owned())
        .bind(slot.key_id)
        .bind(&slot.idem_key)
        .execute(&st.db.write)
        .await;
        if let Err(e) = stored {
            tracing::error!(error = %e, "could not keep an idempotent response");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn forget(st: &AppState, slot: &Slot) {
    let _ = sqlx::query("DELETE FROM api_idempotency WHERE key_id = $1 AND idem_key = $2")
        .bind(slot.key_id)
        .bind(&slot.idem_key)
        .execute(&st.db.write)
        .await;
}
