//! The HTTP surface: pages and server functions (Leptos), health, and the
//! middleware every request passes through (request id, tracing span, the
//! guard with its security headers and limits).

use app::platform::AppState;
use app::{shell, App};
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
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
        .route("/events", get(crate::live::events))
        .route("/media/{id}", get(crate::media::media))
        .route("/audit/export.csv", get(crate::exports::audit_csv))
        .route("/audit/analytics.csv", get(crate::exports::analytics_csv))
        .route("/numbers/export.csv", get(crate::exports::numbers_csv))
        .merge(crate::webhooks::routes())
        .merge(crate::api::routes(state.clone()))
        .merge(crate::assets::routes(&state.leptos_options.site_root))
        .leptos_routes(&state, routes, move || shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), attach_session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::guard::guard))
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(ShortIds))
        .with_state(state)
}

/// Pages, server-function answers, API JSON and CSV exports are compressed
/// on the way out (brotli or gzip, as the client accepts). Not the live
/// stream (`/events`: each event must leave at once), images (already
/// compressed), or anything under a kilobyte. Files under `/pkg` arrive
/// here already compressed at build time and pass through untouched.
fn compressible() -> impl Predicate {
    SizeAbove::new(1024).and(NotForContentType::GRPC).and(NotForContentType::IMAGES).and(NotForContentType::SSE)
}

/// Pages are rendered knowing who they are for: the session is looked up
/// once here and handed to the renderer through the request's extensions.
async fn attach_session(
    State(state): State<AppState>,
    mut req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    const NOT_PAGES: [&str; 7] = ["/pkg/", "/api/", "/webhooks/", "/events", "/media/", "/healthz", "/favicon"];
    let path = req.uri().path();
    if req.method() == axum::http::Method::GET && !NOT_PAGES.iter().any(|p| path.starts_with(p)) {
        let cookies = req.headers().get(axum::http::header::COOKIE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let session = app::auth::resolve_page_session(&state, cookies.as_deref()).await;
        req.extensions_mut().insert(session);
    }
    next.run(req).await
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
