//! The request context as server functions see it: the app state, the
//! signed-in user, the request id, and `run`, which turns an `AppError`
//! into the right HTTP status and logs internal failures with their id.

use super::db::now;
use super::sessions::{self, SessionUser};
use super::state::AppState;
use crate::error::{AppError, AppResult};
use http::request::Parts;
use leptos::prelude::{use_context, ServerFnError};
use std::future::Future;

pub fn state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal(request_id())
    })
}

pub(crate) fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The current request's id (a fresh one when it came without).
pub fn request_id() -> String {
    parts().and_then(|p| request_id_of(&p.headers)).unwrap_or_else(super::crypto::short_id)
}

/// The `x-request-id` a request came with, if any (the API, webhooks and
/// server functions all read it here).
pub fn request_id_of(headers: &http::HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

pub fn client_ip() -> Option<String> {
    let p = parts()?;
    p.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

pub fn user_agent() -> Option<String> {
    parts()?.headers.get(http::header::USER_AGENT)?.to_str().ok().map(str::to_string)
}

pub fn session_token() -> Option<String> {
    let p = parts()?;
    let header = p.headers.get(http::header::COOKIE)?.to_str().ok()?;
    sessions::token_from_cookie_header(header)
}

/// An integration API key acting for its organisation: the API runs the
/// same server code as the UI with this in the context instead of a cookie.
#[derive(Clone, Debug)]
pub struct ApiCaller(pub SessionUser);

/// The signed-in user, if any.
pub async fn current_user() -> AppResult<Option<SessionUser>> {
    if let Some(ApiCaller(u)) = use_context::<ApiCaller>() {
        return Ok(Some(u));
    }
    let Some(token) = session_token() else { return Ok(None) };
    let st = state()?;
    Ok(sessions::lookup(&st.db, &token, now()).await?)
}

pub async fn require_user() -> AppResult<SessionUser> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

/// Owners (and the reserved admin role) only; sitters get 403.
pub async fn require_owner() -> AppResult<SessionUser> {
    let u = require_user().await?;
    if u.is_owner() {
        Ok(u)
    } else {
        Err(AppError::owner_only())
    }
}

pub fn set_status(code: u16) {
    if let (Some(opts), Ok(status)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code))
    {
        opts.set_status(status);
    }
}

pub fn set_header(name: http::header::HeaderName, value: &str) {
    if let (Some(opts), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(value)) {
        opts.append_header(name, v);
    }
}

/// What the current request was doing ("POST /api/save_rules_settings…",
/// "GET /api/v1/clients"), so an internal error's log line names the
/// operation as well as the line (`at`) where it failed.
fn operation() -> String {
    parts().map(|p| format!("{} {}", p.method, p.uri.path())).unwrap_or_else(|| "background work".into())
}

/// Runs a server function body: errors set the HTTP status that matches
/// them, so a sitter calling an owner function gets a real 403.
pub async fn run<T>(body: impl Future<Output = AppResult<T>>) -> AppResult<T> {
    match body.await {
        Ok(v) => Ok(v),
        Err(e) => {
            set_status(e.status());
            Err(e)
        }
    }
}

impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        let id = request_id();
        let at = std::panic::Location::caller();
        tracing::error!(request_id = %id, operation = %operation(), %at, error = %e, "database error");
        AppError::Internal(id)
    }
}

impl From<ServerFnError> for AppError {
    #[track_caller]
    fn from(e: ServerFnError) -> Self {
        let id = request_id();
        let at = std::panic::Location::caller();
        tracing::error!(request_id = %id, operation = %operation(), %at, error = %e, "server function error");
        AppError::Internal(id)
    }
}

impl From<serde_json::Error> for AppError {
    #[track_caller]
    fn from(e: serde_json::Error) -> Self {
        let id = request_id();
        let at = std::panic::Location::caller();
        tracing::error!(request_id = %id, operation = %operation(), %at, error = %e, "stored JSON could not be read");
        AppError::Internal(id)
    }
}
