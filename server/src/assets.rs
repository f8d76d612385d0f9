//! The built front end (`/pkg`: script, WASM, styles, split pieces) served
//! like a production site: the brotli or gzip file made at build time
//! (`cargo leptos build --precompress`) when the browser accepts it, and
//! caching by name — a file whose name carries its content hash never
//! changes, so browsers keep it for a year without asking; anything else
//! is checked on every use.

use axum::http::{header, HeaderValue, Request};
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;

const FOREVER: &str = "public, max-age=31536000, immutable";
const ALWAYS_CHECK: &str = "no-cache";

/// `/pkg/*` from `<site_root>/pkg`. Routed ahead of the pages so that a
/// missing file is a 404, never the app's HTML.
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &str) -> Router<S> {
    let dir = ServeDir::new(Path::new(site_root).join("pkg")).precompressed_br().precompressed_gzip();
    Router::new().nest_service("/pkg", dir).layer(axum::middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut response = next.run(req).await;
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if hashed { FOREVER } else { ALWAYS_CHECK };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    // Which file was sent depends on Accept-Encoding: caches must know.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether a file name carries a content hash the way cargo-leptos's
/// `hash-files` writes it: `<name>.<hash>.<ext>`, the hash being at least
/// 16 letters, digits, `-` or `_`. The split loader `__wasm_split.<hash>.js`
/// is the exception: its name doesn't change when only the pieces it loads
/// do (cargo-leptos #658), so browsers must check it every time.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with("__wasm_split.") {
        return false;
    }
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(_stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() >= 16 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn names_with_a_content_hash_are_recognised() {
        assert!(is_hashed("/pkg/leashline.Ab3dEf_hIjKlMnOpQrStUv.wasm"));
        assert!(is_hashed("/pkg/leashline.Ab3dEf-hIjKlMnOpQrStUv.js"));
        assert!(is_hashed("/pkg/leashline.AbCdEfGhIjKlMnOpQrStUv.css"));
        assert!(!is_hashed("/pkg/leashline.wasm"));
        assert!(!is_hashed("/pkg/leashline.css"));
        assert!(!is_hashed("/pkg/leashline_bg.wasm"));
        assert!(!is_hashed("/pkg/leashline.short.js"));
        assert!(!is_hashed("/pkg/__wasm_split.AbCdEfGhIjKlMnOpQrStUv.js"));
        assert!(!is_hashed("/pkg/"));
    }
}
