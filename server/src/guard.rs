//! What every request passes before and after the app: state changes only
//! from our own pages (Origin / Sec-Fetch-Site, so another site — a sibling
//! subdomain or another port included — can't post with the owner's
//! cookie), a body limit on /api/*, malformed server-function calls
//! answered 400 (never 500), and security headers on every answer: a
//! Content-Security-Policy with the page's nonce, no framing, no sniffing,
//! a strict referrer policy, and HSTS when the public URL is https.

use app::error::AppError;
use app::platform::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest request body on /api/* (server functions and the integration API).
pub const API_BODY_LIMIT: usize = 1024 * 1024;

/// The nonce of one page, made here and used by the renderer for its
/// inline scripts (see `app::shell`).
pub use app::shell::CspNonce;

fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/") && path != "/api/v1"
}

/// Whether a state-changing request came from another site. Browsers
/// say so (`Sec-Fetch-Site`, `Origin`); a request with neither header comes
/// from a program, not a browser, so carries no one's cookie by accident.
fn cross_site(headers: &HeaderMap, public_base_url: &str) -> Option<String> {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!("a {site} request"));
        }
    }
    let origin = get("origin")?;
    (!same_origin(origin, public_base_url)).then(|| format!("a request from {origin}"))
}

/// The origin is the server's public one (a page served from
/// `localhost` and one from `127.0.0.1` count as the same machine).
fn same_origin(origin: &str, public_base_url: &str) -> bool {
    let (Ok(a), Ok(b)) = (reqwest::Url::parse(origin), reqwest::Url::parse(public_base_url)) else { return false };
    let loopback = |u: &reqwest::Url| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    a.scheme() == b.scheme()
        && a.port_or_known_default() == b.port_or_known_default()
        && (a.host_str() == b.host_str() || (loopback(&a) && loopback(&b)))
}

fn problem(path: &str, status: StatusCode, err: AppError) -> Response {
    if is_server_fn(path) {
        let body = serde_json::to_string(&err).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{err}\n")).into_response()
    }
}

pub async fn guard(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !path.starts_with("/webhooks/") && !path.starts_with("/api/v1/") {
        if let Some(why) = cross_site(req.headers(), &state.public_base_url) {
            tracing::warn!(path = %path, why = %why, "cross-site request refused");
            return finish(
                &state,
                problem(
                    &path,
                    StatusCode::FORBIDDEN,
                    AppError::Forbidden(
                        "This request didn't come from a Leashline page, so it was refused. Reload the page and try again."
                            .into(),
                    ),
                ),
            );
        }
    }
    let req = if path.starts_with("/api/") && !safe {
        match limit_body(req).await {
            Ok(r) => r,
            Err(()) => {
                return finish(
                    &state,
                    problem(
                        &path,
                        StatusCode::PAYLOAD_TOO_LARGE,
                        AppError::invalid(format!(
                            "That request is too large (the limit is {} KB). Send less at a time.",
                            API_BODY_LIMIT / 1024
                        )),
                    ),
                )
            }
        }
    } else {
        req
    };
    let mut req = req;
    let nonce = CspNonce::new();
    req.extensions_mut().insert(nonce.clone());
    let res = next.run(req).await;
    let res = if is_server_fn(&path) { malformed_is_400(res).await } else { res };
    let mut res = finish(&state, res);
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    if html && !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&nonce.policy()) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

/// Reads the body up to the limit; a larger one is refused before any
/// handler sees it.
async fn limit_body(req: Request<Body>) -> Result<Request<Body>, ()> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > API_BODY_LIMIT) {
        return Err(());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, API_BODY_LIMIT).await.map_err(|_| ())?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A server function whose arguments couldn't be read answers with the
/// framework's default 500; it is the caller's mistake, so it becomes 400
/// with the same clear body.
async fn malformed_is_400(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(AppError::Invalid { .. }) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers every answer carries.
fn finish(state: &AppState, mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    if state.public_base_url.starts_with("https://") {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_our_own_pages_may_change_things() {
        let ours = "https://app.leashline.example";
        assert!(cross_site(&headers(&[]), ours).is_none(), "no browser headers: not a browser");
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-origin")]), ours).is_none());
        assert!(cross_site(&headers(&[("origin", "https://app.leashline.example")]), ours).is_none());
        assert!(cross_site(&headers(&[("origin", "https://APP.leashline.example:443")]), ours).is_none());
        assert!(
            cross_site(&headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]), ours).is_some(),
            "only the public origin, whatever Host says (DNS rebinding)"
        );
        let local = "http://127.0.0.1:3000";
        assert!(cross_site(&headers(&[("origin", "http://localhost:3000")]), local).is_none(), "the same machine");
        assert!(cross_site(&headers(&[("origin", "http://localhost:3001")]), local).is_some());
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")]), ours).is_some());
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")]), ours).is_some(), "a sibling subdomain");
        assert!(cross_site(&headers(&[("origin", "https://evil.example")]), ours).is_some());
        assert!(
            cross_site(&headers(&[("origin", "http://127.0.0.1:9999"), ("host", "127.0.0.1:3000")]), ours).is_some(),
            "another port"
        );
        assert!(cross_site(&headers(&[("origin", "null")]), ours).is_some());
    }
}
