//! Webhooks nobody can vouch for (issue 16, item 4): for a business
//! connected to Twilio through the wizard, a request about a number or a
//! text we don't know must be signed by the account it names, or it is
//! refused with nothing stored; refusals are counted per address, and past
//! the limit answered before any work.

use crate::helpers::*;
use crate::twilio_stub::{self, ACCOUNT_SID, AUTH_TOKEN};
use app::messaging::provider::{encrypt_credentials, TwilioCredentials};

const FRONT_DESK: &str = "+15125550100";
const STRANGER: &str = "+17375550177";
const NOT_OURS: &str = "+15125559999";

/// The demo business, connected to the stand-in's Twilio account as the
/// setup wizard would (credentials stored, not from the environment).
async fn wizard_twilio(backend: Backend, stub: &twilio_stub::Stub) -> TestApp {
    let app = spawn_app_with(backend, true, &[("TWILIO_API_BASE_URL", &stub.addr)]).await;
    let creds = encrypt_credentials(
        &app.state,
        &TwilioCredentials { account_sid: ACCOUNT_SID.into(), auth_token: AUTH_TOKEN.into() },
    );
    sqlx::query(
        "UPDATE organisations SET provider_kind = 'twilio', provider_credentials = $1, provider_account_sid = $2",
    )
    .bind(creds)
    .bind(ACCOUNT_SID)
    .execute(&app.db().write)
    .await
    .unwrap();
    app
}

/// What a webhook could make us keep (refusals themselves are logged,
/// at most 30 a minute per address).
async fn stored(app: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for t in ["messages", "clients", "threads", "status_callbacks", "jobs", "routing_decisions"] {
        v.push(app.scalar(&format!("SELECT COUNT(*) FROM {t}")).await);
    }
    v
}

#[tokio::test]
async fn unsigned_webhooks_about_unknown_numbers_or_texts_are_refused_and_store_nothing() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = wizard_twilio(backend, &stub).await;
        let before = stored(&app).await;
        let text = |sid: &'static str| {
            [("MessageSid", sid), ("AccountSid", ACCOUNT_SID), ("From", STRANGER), ("To", NOT_OURS), ("Body", "hi")]
        };
        let status = |sid: &'static str, from: &'static str| {
            [("MessageSid", sid), ("AccountSid", ACCOUNT_SID), ("MessageStatus", "delivered"), ("From", from)]
        };
        let sms = "/webhooks/twilio/sms";
        let cb = "/webhooks/twilio/status";
        assert_eq!(
            app.webhook(sms, &text("SMu1"), None).await.status(),
            403,
            "{backend:?}: a text to a number not ours"
        );
        assert_eq!(app.webhook(cb, &status("SMu2", NOT_OURS), None).await.status(), 403, "an unknown text");
        let no_account = [("MessageSid", "SMu4"), ("MessageStatus", "delivered")];
        assert_eq!(app.webhook(cb, &no_account, None).await.status(), 403, "no account named");
        assert_eq!(stored(&app).await, before, "{backend:?}: nothing stored for refusals");
        // About our own number but unsigned: refused, and the refusal is on
        // the business's record (Settings → Health), as for any bad signature.
        assert_eq!(app.webhook(cb, &status("SMu3", FRONT_DESK), None).await.status(), 403, "unknown, from our number");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM status_callbacks").await, before[3]);
        let logged = app.scalar("SELECT COUNT(*) FROM webhook_rejections").await;
        assert_eq!(logged, 3, "{backend:?}: the refusals naming the business's account are on its record");

        // Signed by the account: a callback that raced ahead of our own
        // record of the send is kept; a text to a released number is
        // acknowledged and logged for the owner, routed nowhere.
        assert_eq!(app.webhook(cb, &status("SMrace1", FRONT_DESK), Some(AUTH_TOKEN)).await.status(), 200);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM status_callbacks WHERE message_sid = 'SMrace1'").await, 1);
        assert_eq!(app.webhook(sms, &text("SMsigned"), Some(AUTH_TOKEN)).await.status(), 200);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE provider_sid = 'SMsigned'").await, 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_rejections").await, logged + 1);

        // A flood from one address: after 30 refusals a minute, 429 without any work.
        let before = stored(&app).await;
        let mut refused = 0;
        let mut throttled = 0;
        for i in 0..1000 {
            let sid = format!("SMflood{i}");
            let params = [("MessageSid", sid.as_str()), ("From", STRANGER), ("To", NOT_OURS), ("Body", "x")];
            match app.webhook(sms, &params, None).await.status().as_u16() {
                403 => refused += 1,
                429 => throttled += 1,
                other => panic!("{backend:?}: unexpected {other}"),
            }
        }
        assert!(refused <= 30, "{backend:?}: {refused} refused before throttling");
        assert!(throttled >= 970, "{backend:?}: {throttled} throttled");
        assert_eq!(stored(&app).await, before, "{backend:?}: the flood stored nothing");
        assert!(app.scalar("SELECT COUNT(*) FROM webhook_rejections").await <= 30, "refusals logged within the limit");
    }
}

#[tokio::test]
async fn a_demo_business_keeps_no_callback_for_a_text_it_never_sent() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let params = [("MessageSid", "SMnever"), ("MessageStatus", "delivered"), ("From", FRONT_DESK)];
        assert_eq!(app.webhook("/webhooks/twilio/status", &params, None).await.status(), 200);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM status_callbacks WHERE message_sid = 'SMnever'").await,
            0,
            "{backend:?}"
        );
    }
}
