//! MMS attachments (issue 16, items 1 and 3): served only as pictures,
//! sound or video decided from their bytes, with nosniff and a sandbox,
//! from signed expiring links; fetched only from the provider's hosts,
//! never from internal addresses, never more than the cap; Demo
//! organisations fetch nothing.

use crate::helpers::*;
use crate::twilio_stub::{self, ACCOUNT_SID, AUTH_TOKEN, PNG};
use app::inbox::{GetThread, MediaKind, MediaState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ANA: &str = "+17375550100";
const MAYA_NUMBER: &str = "+15125550101";

/// A TCP listener that only counts who connects: it must never be reached.
async fn tripwire() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (addr, hits)
}

async fn mms(app: &TestApp, sid: &str, urls: &[(String, &str)], token: Option<&str>) -> u16 {
    let mut params: Vec<(String, String)> = vec![
        ("MessageSid".into(), sid.into()),
        ("AccountSid".into(), ACCOUNT_SID.into()),
        ("From".into(), ANA.into()),
        ("To".into(), MAYA_NUMBER.into()),
        ("Body".into(), format!("attachments {sid}")),
        ("NumMedia".into(), urls.len().to_string()),
    ];
    for (i, (url, ct)) in urls.iter().enumerate() {
        params.push((format!("MediaUrl{i}"), url.clone()));
        params.push((format!("MediaContentType{i}"), ct.to_string()));
    }
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.webhook("/webhooks/twilio/sms", &refs, token).await.status().as_u16()
}

#[tokio::test]
async fn attachments_are_shown_only_as_pictures_and_anything_else_is_a_sandboxed_download() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        stub.serve_raw("page", "text/html", b"<html><script>fetch('/api/create_api_key')</script></html>");
        stub.serve_raw(
            "drawing",
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"fetch('/api/create_api_key')\"></svg>",
        );
        stub.serve_raw("liar", "image/png", b"<html><body onload=\"alert(1)\">not a png</body></html>");
        stub.serve_raw("photo", "image/png", PNG);
        let app = spawn_twilio_demo(backend, &stub).await;
        let urls: Vec<(String, &str)> = ["page", "drawing", "liar", "photo"]
            .iter()
            .map(|n| (format!("{}/raw/{n}", stub.addr), if *n == "page" { "text/html" } else { "image/png" }))
            .collect();
        assert_eq!(mms(&app, "SMxss1", &urls, Some(AUTH_TOKEN)).await, 200);
        eventually(10, "all four kept", || async {
            app.scalar("SELECT COUNT(*) FROM message_media WHERE stored_path IS NOT NULL").await == 4
        })
        .await;
        let recorded: Vec<String> = sqlx::query_scalar("SELECT content_type FROM message_media ORDER BY idx")
            .fetch_all(&app.db().read)
            .await
            .unwrap();
        assert_eq!(
            recorded,
            ["application/octet-stream", "application/octet-stream", "application/octet-stream", "image/png"],
            "{backend:?}: the type recorded is the bytes', not the sender's claim"
        );

        let owner = app.client_for("owner@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let view = call_with(&owner, &app.addr, GetThread { id: ana }).await.expect("thread");
        let msg = view.messages.iter().find(|m| m.body == "attachments SMxss1").expect("the message");
        assert_eq!(msg.media.len(), 4);
        let mut links = Vec::new();
        for (i, md) in msg.media.iter().enumerate() {
            let MediaState::Ready { url, shown } = &md.state else { panic!("{backend:?}: not ready: {:?}", md.state) };
            assert!(url.contains("exp=") && url.contains("sig="), "signed: {url}");
            assert_eq!(*shown, (i == 3).then_some(MediaKind::Picture), "{backend:?}: attachment {i}");
            let res = owner.get(app.url(url)).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let h = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            assert_eq!(h("x-content-type-options"), "nosniff");
            assert!(h("content-security-policy").contains("sandbox"), "{}", h("content-security-policy"));
            if i == 3 {
                assert_eq!(h("content-type"), "image/png");
                assert_eq!(h("content-disposition"), "inline");
            } else {
                assert_eq!(h("content-type"), "application/octet-stream", "{backend:?}: attachment {i}");
                assert!(h("content-disposition").starts_with("attachment"), "{}", h("content-disposition"));
            }
            links.push((md.id, url.clone()));
        }

        // Links that weren't handed out, or were changed, or expired: refused.
        let (id, good) = links[3].clone();
        assert_eq!(owner.get(app.url(&format!("/media/{id}"))).send().await.unwrap().status(), 403);
        let other = links[0].1.split_once('?').unwrap().1.to_string();
        assert_eq!(owner.get(app.url(&format!("/media/{id}?{other}"))).send().await.unwrap().status(), 403);
        let expired = good.replace("exp=", "exp=1");
        assert_eq!(owner.get(app.url(&expired)).send().await.unwrap().status(), 403);
        // Signed out, or a sitter of another conversation: refused; Maya, in her window: shown.
        assert_eq!(new_client().get(app.url(&good)).send().await.unwrap().status(), 401);
        let jordan = app.client_for("jordan@example.com", "password123").await;
        assert_eq!(jordan.get(app.url(&good)).send().await.unwrap().status(), 403);
        let maya = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(maya.get(app.url(&good)).send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn demo_organisations_keep_the_reference_and_fetch_nothing() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let (trap, hits) = tripwire().await;
        let urls = vec![
            (format!("{trap}/pic.png"), "image/png"),
            ("http://169.254.169.254/latest/meta-data".to_string(), "text/plain"),
        ];
        // Demo webhooks need no signature: anyone could have sent this.
        assert_eq!(mms(&app, "SMdemo1", &urls, None).await, 200);
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(hits.load(Ordering::SeqCst), 0, "{backend:?}: nothing was fetched");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM message_media WHERE stored_path IS NULL").await, 2);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'media.fetch'").await, 0);
        let owner = app.client_for("owner@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let view = call_with(&owner, &app.addr, GetThread { id: ana }).await.expect("thread");
        let msg = view.messages.iter().find(|m| m.body == "attachments SMdemo1").expect("message");
        assert!(msg.media.iter().all(|m| matches!(m.state, MediaState::NotKept(_))), "{:?}", msg.media);
    }
}

#[tokio::test]
async fn twilio_attachments_come_only_from_twilios_hosts_and_never_past_the_cap() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let (trap, hits) = tripwire().await;
        let urls = vec![
            // Another port on this machine: not the provider.
            (format!("{trap}/x.png"), "image/png"),
            // The provider's address, redirecting somewhere internal.
            (format!("{}/away?to={trap}/y.png", stub.addr), "image/png"),
            // Cloud metadata.
            ("https://169.254.169.254/latest/meta-data".to_string(), "image/png"),
            // Eleven megabytes, streamed with no declared length.
            (format!("{}/big", stub.addr), "image/jpeg"),
            // A good one, for contrast.
            (format!("{}/media/ok", stub.addr), "image/png"),
        ];
        assert_eq!(mms(&app, "SMssrf1", &urls, Some(AUTH_TOKEN)).await, 200);
        eventually(15, "every attachment settled", || async {
            app.scalar("SELECT COUNT(*) FROM message_media WHERE stored_path IS NOT NULL OR error LIKE 'not kept: %'")
                .await
                == 5
        })
        .await;
        assert_eq!(hits.load(Ordering::SeqCst), 0, "{backend:?}: nothing internal was contacted");
        let errors: Vec<Option<String>> =
            sqlx::query_scalar("SELECT error FROM message_media ORDER BY idx").fetch_all(&app.db().read).await.unwrap();
        for e in &errors[..3] {
            assert!(e.as_deref().unwrap_or_default().starts_with("not kept: not downloaded:"), "{errors:?}");
        }
        assert!(errors[2].as_deref().unwrap_or_default().contains("internal address"), "{errors:?}");
        assert!(errors[3].as_deref().unwrap_or_default().contains("larger than 10 MB"), "{errors:?}");
        assert_eq!(errors[4], None, "{backend:?}: Twilio's own media is kept");
        // The credentials went to the provider's address only.
        let seen = stub.seen();
        assert!(seen.iter().filter(|s| s.path.starts_with("/media/")).all(|s| s.authorized));
    }
}
