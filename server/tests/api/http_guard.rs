//! What every request passes (issue 16, items 5 and 8): security headers
//! on pages, state changes only from our own pages, 400/413 (never 500)
//! for malformed or oversized calls, sockets that can't be held open, and
//! live streams that end at sign-out and deactivation.

use crate::helpers::*;
use app::auth::SignIn;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_refuse_framing_and_sniffing() {
    let app = spawn_demo(Backend::Sqlite).await;
    let res = app.get("/login").await;
    assert_eq!(res.status(), 200);
    let h = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).expect("script-src");
    let tokens: Vec<&str> = script_src.split_whitespace().collect();
    assert!(!tokens.contains(&"'unsafe-inline'") && !tokens.contains(&"'unsafe-eval'"), "{script_src}");
    let nonce =
        csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy").to_string();
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("x-frame-options"), "DENY");
    assert_eq!(h("referrer-policy"), "same-origin");
    assert_eq!(h("strict-transport-security"), "", "plain http: no HSTS");
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script carries the nonce");
    // A new nonce for every page.
    let again = app.get("/login").await;
    let csp2 = again.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert_ne!(csp, csp2);
    // Answers that aren't pages carry the headers too.
    let health = app.get("/healthz").await;
    assert_eq!(health.headers().get("x-content-type-options").unwrap(), "nosniff");
}

#[tokio::test]
async fn an_https_server_asks_browsers_to_stay_on_https() {
    let app = spawn_app_with(Backend::Sqlite, true, &[("PUBLIC_BASE_URL", "https://texts.example.com")]).await;
    let res = app.get("/login").await;
    assert_eq!(res.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
}

#[tokio::test]
async fn another_site_cannot_post_with_the_owners_cookie() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let keys = || app.scalar("SELECT COUNT(*) FROM api_keys");
        let before = keys().await;
        let path = <app::settings::CreateApiKey as server_fn::ServerFn>::PATH;
        let body = "name=Evil&scope=read_write";
        for (header, value) in [
            ("origin", "https://evil.example"),
            ("origin", "http://127.0.0.1:1"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            let res = app
                .client
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .header(header, value)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{backend:?}: {header}: {value}");
            let err: app::error::AppError = serde_json::from_str(&res.text().await.unwrap()).expect("a clear error");
            assert!(err.to_string().contains("didn't come from a Leashline page"), "{err}");
        }
        assert_eq!(keys().await, before, "{backend:?}: no key was created");
        // Our own page (same origin) works.
        let res = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", app.addr.clone())
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{backend:?}");
        assert_eq!(keys().await, before + 1);
    }
}

#[tokio::test]
async fn malformed_or_oversized_calls_get_a_clear_400_or_413_never_a_500() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let path = <SignIn as server_fn::ServerFn>::PATH;
        let post = |body: Vec<u8>| {
            app.client.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body).send()
        };
        // A missing argument.
        let res = post(b"email=owner%40example.com".to_vec()).await.unwrap();
        assert_eq!(res.status(), 400, "{backend:?}");
        let err: app::error::AppError = serde_json::from_str(&res.text().await.unwrap()).expect("a clear error");
        assert!(matches!(err, app::error::AppError::Invalid { .. }), "{err:?}");
        // Not a form at all.
        assert_eq!(post(vec![0xff, 0xfe, 0x00, 0x01]).await.unwrap().status(), 400);
        // Three megabytes, then a hundred (refused from the declared length).
        assert_eq!(post(vec![b'a'; 3 * 1024 * 1024]).await.unwrap().status(), 413, "{backend:?}");
        let res = post(vec![b'a'; 100 * 1024 * 1024]).await.unwrap();
        assert_eq!(res.status(), 413);
        assert!(res.text().await.unwrap().contains("too large"));
        // The integration API has the same limit.
        let res = app
            .client
            .post(app.url("/api/v1/clients"))
            .header("content-type", "application/json")
            .body(vec![b' '; 2 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        // Still serving.
        assert!(app.sign_in("owner@example.com", "password123").await.is_ok());
    }
}

#[tokio::test]
async fn sockets_that_send_nothing_or_trickle_their_headers_are_closed() {
    let app = spawn_app_with(
        Backend::Sqlite,
        true,
        &[("HTTP_IDLE_TIMEOUT_SECONDS", "2"), ("HTTP_HEADER_TIMEOUT_SECONDS", "1")],
    )
    .await;
    let addr = app.addr.trim_start_matches("http://").to_string();
    let closed_within = |secs: u64, mut s: tokio::net::TcpStream| async move {
        let mut buf = [0u8; 256];
        matches!(tokio::time::timeout(Duration::from_secs(secs), s.read(&mut buf)).await, Ok(Ok(0)) | Ok(Err(_)))
    };
    // Opens a socket and says nothing.
    let silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(5, silent).await, "a silent socket is closed");
    // Sends half a request line and stops.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(closed_within(5, slow).await, "a trickling client is cut off");
    // A kept-alive connection that goes quiet after a request is closed too.
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(6, idle).await, "an idle keep-alive is closed");
}

/// Reads a live stream until it ends or `secs` pass; true if it ended.
async fn ends_within(mut res: reqwest::Response, secs: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) | Ok(Err(_)) => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn live_streams_end_at_sign_out_and_when_a_sitter_is_switched_off() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let owner = app.client_for("owner@example.com", "password123").await;
        let stream = owner.get(app.url("/events")).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        call_with(&owner, &app.addr, app::auth::SignOut {}).await.unwrap();
        assert!(ends_within(stream, 3).await, "{backend:?}: the owner's stream ended at sign-out");
        assert_eq!(owner.get(app.url("/events")).send().await.unwrap().status(), 401);

        let maya = app.client_for("sitter@example.com", "password123").await;
        let stream = maya.get(app.url("/events")).send().await.unwrap();
        let owner = app.client_for("owner@example.com", "password123").await;
        let maya_id = app.sitter_id("Maya").await;
        let change = app::people::ChangeSitter { id: maya_id, activate: false, preview: false };
        call_with(&owner, &app.addr, change).await.expect("deactivate");
        assert!(ends_within(stream, 3).await, "{backend:?}: Maya's stream ended when she was switched off");
        assert_eq!(maya.get(app.url("/events")).send().await.unwrap().status(), 401);
    }
}
