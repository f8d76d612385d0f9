//! The HTTP surface: pages and server functions (Leptos), health, and the
//! middleware every request passes through (request id, tracing span).

use app::platform::AppState;
use app::{shell, App};
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

#[derive(Clone, Copy, Default)]
struct ShortIds;

impl MakeRequestId for ShortIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&app::platform::crypto::short_id()).ok().map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let opts = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::webhooks::routes())
        .leptos_routes(&state, routes, move || shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(ShortIds))
        .with_state(state)
}

/// For load balancers and Settings → Health: database reachability and latency.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(latency) => (
            StatusCode::OK,
            Json(serde_json::json!({
                "status": "ok",
                "database": { "reachable": true, "latency_ms": (latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0 }
            })),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "database": { "reachable": false } })),
            )
        }
    }
}
