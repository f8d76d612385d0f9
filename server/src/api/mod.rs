//! Integration API v1 (`/api/v1/...`): JSON endpoints for booking software
//! and automation tools, separate from the UI's server functions.
//!
//! Every request passes `gate`: the bearer key is looked up (hashed), the
//! key's rate limit applied, its scope checked (read keys only GET), a
//! POST with an `Idempotency-Key` replays its first response, and the call
//! is written to the audit trail with the key's label as the actor.
//! Handlers reuse the product's own code: the one send function, the
//! capabilities' services (assignments, people, clients), the domain rules,
//! so the API can do nothing the UI would refuse. A service trusts its
//! caller to have checked who is asking: here that is `gate` (the key, its
//! scope), and a key acts as an owner of its business (SPEC §2).

// A `Problem` is the error response itself, built at most once per failed
// request; boxing it everywhere would buy nothing.
#![allow(clippy::result_large_err)]

mod audit_events;
mod bookings;
mod clients;
mod docs;
mod extract;
mod idempotency;
mod limiter;
mod model;
mod numbers;
mod problem;
mod routing;
mod sitters;
mod threads;

pub use problem::Problem;

use app::domain::ids::UserId;
use app::domain::roles::Role;
use app::error::AppResult;
use app::platform::api_keys::{self, ApiKey, Scope};
use app::platform::audit::{self, Event};
use app::platform::ctx::ApiCaller;
use app::platform::sessions::SessionUser;
use app::platform::{now, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::provide_context;
use leptos::reactive::computed::ScopedFuture;
use leptos::reactive::owner::Owner;
use std::future::Future;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The key behind the current request, and who it acts as.
#[derive(Clone, Debug)]
pub struct Caller {
    pub key: ApiKey,
    pub user: SessionUser,
    pub parts: Arc<axum::http::request::Parts>,
}

impl Caller {
    pub fn actor(&self) -> app::platform::audit::Actor {
        self.user.actor(request_id(&self.parts.headers))
    }

    /// Runs the product's server code as this key, with the request in
    /// context (so an internal error names its request id): the same
    /// validation and audit as when the owner clicks in the UI.
    pub async fn run<T, F>(&self, st: &AppState, body: impl FnOnce() -> F) -> AppResult<T>
    where
        F: Future<Output = AppResult<T>>,
    {
        let owner = Owner::new();
        let parts = (*self.parts).clone();
        let caller = ApiCaller(self.user.clone());
        let st = st.clone();
        owner
            .with(|| {
                ScopedFuture::new(async move {
                    provide_context(st);
                    provide_context(parts);
                    provide_context(caller);
                    body().await
                })
            })
            .await
    }
}

fn request_id(headers: &axum::http::HeaderMap) -> String {
    app::platform::ctx::request_id_of(headers).unwrap_or_else(app::platform::crypto::short_id)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Leashline Integration API",
        version = "1.0.0",
        description = "Keep bookings, clients and sitters in sync with your booking software, read conversations, \
and send texts from your business numbers. Authenticate with an API key from Settings → API keys: \
`Authorization: Bearer ll_…`. Read-only keys can only GET. Errors are RFC 9457 problem+json. \
POST requests honour an `Idempotency-Key` header (24 hours): a replay returns the first response."
    ),
    tags(
        (name = "clients", description = "Clients and their phone numbers"),
        (name = "sitters", description = "Sitters; activating gives them a number, deactivating takes it back"),
        (name = "bookings", description = "Bookings become assignment windows: who answers a client's texts, and when"),
        (name = "threads", description = "Conversations and their messages"),
        (name = "numbers", description = "Business phone numbers"),
        (name = "audit", description = "The append-only audit trail"),
        (name = "routing", description = "Stored routing decisions and their replay"),
    ),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from Settings → API keys (starts with ll_)"))
                    .build(),
            ),
        );
        doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new("api_key", Vec::<String>::new())]);
    }
}

/// The API's routes and its OpenAPI document, built from the same handlers.
pub fn routes(state: AppState) -> Router<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(clients::routes())
        .merge(sitters::routes())
        .merge(bookings::routes())
        .merge(threads::routes())
        .merge(numbers::routes())
        .merge(audit_events::routes())
        .merge(routing::routes());
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).split_for_parts();
    let doc = Arc::new(problem::document_errors(doc));
    let limiter = Arc::new(limiter::Limiter::default());
    let gated = api.layer(axum::middleware::from_fn_with_state(state, gate)).layer(axum::Extension(limiter));
    Router::new().merge(docs::routes(doc)).merge(gated).route(
        "/api/v1/{*rest}",
        axum::routing::any(|| async { Problem::not_found("There is no such endpoint. The list is at /api/v1/docs.") }),
    )
}

async fn gate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limiter = req.extensions().get::<Arc<limiter::Limiter>>().cloned();
    let rid = request_id(req.headers());
    let Some(secret) = bearer(req.headers()) else {
        return Problem::unauthenticated(
            "Send your API key in the Authorization header: `Authorization: Bearer ll_…`. Create one in Settings → API keys.",
        )
        .into_response();
    };
    let now = now();
    let key = match api_keys::authenticate(&st.db, &secret, now).await {
        Ok(Some(k)) => k,
        Ok(None) => {
            return Problem::unauthenticated(
                "That API key isn't valid: it may have been revoked. Create a new one in Settings → API keys.",
            )
            .into_response()
        }
        Err(e) => {
            tracing::error!(request_id = %rid, error = %e, "api key lookup failed");
            return Problem::internal(&rid).into_response();
        }
    };
    if let Some(l) = limiter {
        if let Err(wait) = l.take(key.id, key.rate_limit_per_minute) {
            let mut resp = Problem::from(app::error::AppError::TooManyRequests(format!(
                "This key may make {} requests a minute. Wait {wait} s and try again.",
                key.rate_limit_per_minute
            )))
            .into_response();
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return resp;
        }
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let user = match acting_user(&st, &key).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(request_id = %rid, error = %e, "api key owner lookup failed");
            return Problem::internal(&rid).into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let caller = Caller { key: key.clone(), user, parts: Arc::new(parts.clone()) };
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(caller.clone());
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && key.scope == Scope::Read {
        // Refused attempts are worth knowing about too.
        let resp = Problem::from(app::error::AppError::Forbidden(format!(
            "The key \"{}\" is read-only. Use a read-and-write key to make changes.",
            key.name
        )))
        .into_response();
        record_call(&st, &caller, &method, &path, resp.status(), false).await;
        return resp;
    }

    let idem = if method == Method::POST {
        match idempotency::begin(&st, &key, req).await {
            idempotency::Begin::Proceed(r, slot) => {
                req = r;
                slot
            }
            idempotency::Begin::Done(resp) => {
                record_call(&st, &caller, &method, &path, resp.status(), true).await;
                return resp;
            }
        }
    } else {
        None
    };
    let resp = next.run(req).await;
    let resp = match idem {
        Some(slot) => idempotency::finish(&st, slot, resp).await,
        None => resp,
    };
    record_call(&st, &caller, &method, &path, resp.status(), false).await;
    resp
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// A key acts at owner level (SPEC §2); records it makes name the owner who
/// created it, or the first owner for keys made on the command line.
async fn acting_user(st: &AppState, key: &ApiKey) -> Result<SessionUser, sqlx::Error> {
    use sqlx::Row;
    let owner: Option<i64> = match key.created_by {
        Some(u) => Some(u.0),
        None => sqlx::query("SELECT MIN(id) AS id FROM users WHERE org_id = $1 AND role = 'owner'")
            .bind(key.org_id.0)
            .fetch_one(&st.db.read)
            .await?
            .try_get::<Option<i64>, _>("id")?,
    };
    Ok(SessionUser {
        session_id: String::new(),
        user_id: UserId(owner.unwrap_or(0)),
        org_id: key.org_id,
        name: key.name.clone(),
        email: String::new(),
        role: Role::Owner,
        sitter_id: None,
        via_key: Some(key.id),
    })
}

/// Every call is in the audit trail under the key's label (the change a
/// call makes has its own event, written with the change).
async fn record_call(st: &AppState, caller: &Caller, method: &Method, path: &str, status: StatusCode, replay: bool) {
    let summary =
        format!("API {method} {path} → {}{}", status.as_u16(), if replay { " (idempotent replay)" } else { "" });
    let event = Event::new("api.call", "api_key", caller.key.id, summary).payload(serde_json::json!({
        "method": method.as_str(), "path": path, "status": status.as_u16(), "replay": replay,
        "query": caller.parts.uri.query(),
    }));
    let result = async {
        let mut tx = st.db.begin().await?;
        audit::append(&mut tx, caller.key.org_id, &caller.actor(), event).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not audit an API call");
    }
}

/// A JSON response with a status.
pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(bytes))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// What every handler returns: a JSON value or a problem.
pub type ApiResult<T> = Result<T, Problem>;
