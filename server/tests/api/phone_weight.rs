//! What a phone downloads and what works before the page's script runs:
//! the built front end served precompressed with the right headers, pages
//! compressed on the way out (never the live stream), and the reply box
//! as a plain form post that keeps what wasn't sent.

use crate::helpers::*;
use std::path::PathBuf;

const HASHED: &str = "leashline.AbCdEfGhIjKlMnOpQrStUv.wasm";

/// A site root holding one hashed file with its two compressed copies
/// (distinct bytes, so each answer shows which copy was served) and one
/// unhashed file.
fn site() -> PathBuf {
    let root = crate::helpers::scratch_dir().join(format!("site-{}", app::platform::crypto::short_id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("site dir");
    std::fs::write(pkg.join(HASHED), b"plain wasm bytes").expect("write");
    std::fs::write(pkg.join(format!("{HASHED}.br")), b"brotli copy").expect("write");
    std::fs::write(pkg.join(format!("{HASHED}.gz")), b"gzip copy").expect("write");
    std::fs::write(pkg.join("leashline.css"), b"body{}").expect("write");
    root
}

async fn fetch(app: &TestApp, path: &str, accept: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(app.url(path)).header("accept-encoding", accept).send().await.expect("GET");
    assert_eq!(res.status(), 200, "{path} with {accept}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.expect("body").to_vec())
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[tokio::test]
async fn built_files_are_served_precompressed_and_hashed_ones_cached_for_good() {
    let root = site();
    let backend = backends()[0];
    let app = spawn_app_with(backend, false, &[("LEPTOS_SITE_ROOT", root.to_str().expect("path"))]).await;
    let path = format!("/pkg/{HASHED}");

    let (h, body) = fetch(&app, &path, "gzip, deflate, br").await;
    assert_eq!(header(&h, "content-encoding"), "br");
    assert_eq!(body, b"brotli copy");
    assert_eq!(header(&h, "content-type"), "application/wasm");
    assert_eq!(header(&h, "cache-control"), "public, max-age=31536000, immutable");
    assert!(header(&h, "vary").to_lowercase().contains("accept-encoding"), "{h:?}");

    let (h, body) = fetch(&app, &path, "gzip").await;
    assert_eq!(header(&h, "content-encoding"), "gzip");
    assert_eq!(body, b"gzip copy");

    let (h, body) = fetch(&app, &path, "identity").await;
    assert_eq!(header(&h, "content-encoding"), "");
    assert_eq!(body, b"plain wasm bytes");
    assert_eq!(header(&h, "cache-control"), "public, max-age=31536000, immutable");

    // A name without a hash may change under the same address: revalidated.
    let (h, _) = fetch(&app, "/pkg/leashline.css", "br").await;
    assert_eq!(header(&h, "cache-control"), "no-cache");

    // Missing files are a plain 404, never cached.
    let res = app.client.get(app.url("/pkg/leashline.nope.js")).send().await.expect("GET");
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("cache-control").is_none());
    std::fs::remove_dir_all(root).ok();
}

#[tokio::test]
async fn pages_are_compressed_but_not_cached_and_the_live_stream_never_compressed() {
    let backend = backends()[0];
    let app = spawn_demo(backend).await;
    let (h, body) = fetch(&app, "/login", "gzip").await;
    assert_eq!(header(&h, "content-encoding"), "gzip", "{h:?}");
    assert!(body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    assert!(!header(&h, "cache-control").contains("immutable"), "{h:?}");
    let (h, body) = fetch(&app, "/login", "br").await;
    assert_eq!(header(&h, "content-encoding"), "br", "{h:?}");
    assert!(!body.is_empty());
    let (h, body) = fetch(&app, "/login", "identity").await;
    assert_eq!(header(&h, "content-encoding"), "");
    assert!(String::from_utf8_lossy(&body).contains("<html"), "plain HTML without compression");

    app.sign_in("owner@example.com", "password123").await.expect("sign in");
    let res = app.client.get(app.url("/events")).header("accept-encoding", "gzip, br").send().await.expect("events");
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-type"), "text/event-stream");
    assert_eq!(header(res.headers(), "content-encoding"), "", "each event must reach the browser as it happens");
}

/// The reply box posted as a plain form (no script): `Accept: text/html`,
/// form-encoded, as a browser sends it.
async fn post_reply(client: &reqwest::Client, app: &TestApp, thread: i64, body: &str) -> reqwest::Response {
    client
        .post(app.url(<app::inbox::PostReply as server_fn::ServerFn>::PATH))
        .header("accept", "text/html,application/xhtml+xml")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.addr.as_str())
        .body(format!("thread={thread}&body={}", app::ui::percent_encode(body)))
        .send()
        .await
        .expect("form post")
}

#[tokio::test]
async fn the_reply_form_sends_without_script_and_gives_back_what_was_refused() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of("+17375550100", "+15125550101").await;
        let before = app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE thread_id = {}", ana.0)).await;

        let res = post_reply(&sitter, &app, ana.0, "On my way, 10 minutes").await;
        assert_eq!(res.status(), 302, "{backend:?}");
        let to = header(res.headers(), "location");
        assert!(to.starts_with(&format!("/inbox/{}", ana.0)), "{to}");
        assert!(!to.contains("draft="), "a sent reply isn't handed back: {to}");
        let stored = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM messages WHERE thread_id = {} AND body = 'On my way, 10 minutes'",
                ana.0
            ))
            .await;
        assert_eq!(stored, 1, "{backend:?}: the reply was sent through the one send function");
        assert!(app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE thread_id = {}", ana.0)).await > before);

        // Contact details from a sitter are refused, and the text comes back.
        let typed = "call me on 512 555 0199 & I'll explain";
        let res = post_reply(&sitter, &app, ana.0, typed).await;
        assert_eq!(res.status(), 302);
        let to = header(res.headers(), "location");
        assert!(to.contains(&format!("draft={}", app::ui::percent_encode(typed))), "{to}");
        assert!(to.contains("refused="), "{to}");
        let page = sitter.get(app.url(&to)).send().await.expect("page").text().await.expect("html");
        assert!(
            page.contains("call me on 512 555 0199 &amp; I&#39;ll explain")
                || page.contains("call me on 512 555 0199 &amp; I'll explain"),
            "the box holds what was typed"
        );
        assert!(page.contains("send-refused"), "the reason is shown");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE thread_id = {} AND body LIKE 'call me on%' AND status NOT IN ('blocked', 'held')", ana.0)).await,
            0,
            "nothing with the number went out"
        );

        // A thread the sitter has no window on: refused with the reason, text kept.
        let tom = app.thread_of("+17375550119", "+15125550100").await;
        let res = post_reply(&sitter, &app, tom.0, "hello").await;
        let to = header(res.headers(), "location");
        assert!(to.contains("draft=hello") && to.contains("refused="), "{to}");

        // Signed out: to sign-in, nothing sent.
        let stranger = new_client();
        let res = post_reply(&stranger, &app, ana.0, "hi").await;
        assert_eq!(header(res.headers(), "location"), "/login");
    }
}
