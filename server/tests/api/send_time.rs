//! The rules hold at the moment a queued text leaves (SPEC §3.2): a text
//! that waited out quiet hours or an open circuit breaker is checked again
//! for the client's consent, the number's state and the sitter's window
//! before the provider is called; a skip is recorded with its reason.

use crate::helpers::*;
use crate::twilio_stub;
use app::domain::ids::{SitterId, ThreadId};
use app::domain::outbound::Sender;
use app::messaging::send::{self, SendOutcome, SendRequest};

const FRONT_DESK: &str = "+15125550100";
const MAYA_NUMBER: &str = "+15125550101";
const ANA: &str = "+17375550100"; // Maya's weekly client, window active now
const TOM: &str = "+17375550119"; // Front Desk client, nobody assigned

fn request(app: &TestApp, thread: ThreadId, sender: Sender, body: &str) -> SendRequest {
    let actor = match sender {
        Sender::Owner => owner_actor(),
        Sender::Sitter { .. } => sitter_actor("Maya Chen"),
        _ => app::platform::audit::Actor::system(None),
    };
    SendRequest { org: app.org(), thread, body: body.into(), sender, actor, confirmed: false, automation_id: None }
}

/// The waiting texts' time comes now (quiet hours end, the breaker closes).
async fn their_time_comes(app: &TestApp) {
    app.exec("DELETE FROM provider_breaker").await;
    app.exec("UPDATE jobs SET run_at = 0 WHERE kind = 'send' AND status = 'queued'").await;
    app.state.wake_worker();
}

async fn settled(app: &TestApp, id: i64) -> (String, Option<String>) {
    eventually(15, "the queued text is settled", || async {
        app.text(&format!("SELECT status FROM messages WHERE id = {id}")).await.as_deref() != Some("queued")
    })
    .await;
    (
        app.text(&format!("SELECT status FROM messages WHERE id = {id}")).await.unwrap_or_default(),
        app.text(&format!("SELECT error_code FROM messages WHERE id = {id}")).await,
    )
}

fn sent_bodies(stub: &twilio_stub::Stub) -> Vec<String> {
    stub.sends().iter().filter_map(|s| s.form.iter().find(|(k, _)| k == "Body").map(|(_, v)| v.clone())).collect()
}

#[tokio::test]
async fn stop_while_a_text_waits_out_quiet_hours_means_it_is_never_sent() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        app.set_quiet_hours(-1, 2).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;

        let body = "Reminder: Rex's walk is tomorrow at 9";
        let id = match send::send(&app.state, request(&app, tom, Sender::Automation, body)).await.unwrap() {
            SendOutcome::Queued { message_id, scheduled_for: Some(_) } => message_id.0,
            other => panic!("{backend:?}: expected a text waiting out quiet hours, got {other:?}"),
        };
        assert_eq!(app.text_in("SMwaitstop", TOM, FRONT_DESK, "STOP").await.status(), 200);
        their_time_comes(&app).await;

        assert_eq!(settled(&app, id).await, ("failed".into(), Some("skipped:opted_out".into())), "{backend:?}");
        assert!(!sent_bodies(&stub).contains(&body.to_string()), "{backend:?}: the provider was never asked");
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM delivery_attempts WHERE message_id = {id}")).await, 0);
        // The thread says why; the trail has it; it is not a delivery failure to chase.
        let note = app
            .text(&format!(
                "SELECT body FROM messages WHERE thread_id = {} AND direction = 'note' ORDER BY id DESC LIMIT 1",
                tom.0
            ))
            .await
            .unwrap_or_default();
        assert!(note.contains("replied STOP before it went out"), "{note}");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'message.skipped' AND message_id = {id}"
            ))
            .await,
            1
        );
        assert_eq!(app.scalar(&format!("SELECT failed_deliveries FROM threads WHERE id = {}", tom.0)).await, 0);
        // Retrying is refused with the reason; nothing is queued again.
        let e = app::messaging::delivery::retry(&app.state, app.org(), app::domain::ids::MessageId(id), &owner_actor())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("stopped by a rule"), "{e}");
        assert_eq!(app.text(&format!("SELECT status FROM messages WHERE id = {id}")).await.as_deref(), Some("failed"));
    }
}

#[tokio::test]
async fn texts_held_by_the_breaker_are_not_sent_from_a_retired_number_or_past_a_sitters_window() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let maya: SitterId = app.sitter_id("Maya").await;

        // The provider has been failing: sending is paused for an hour.
        app.exec(&format!(
            "INSERT INTO provider_breaker (org_id, consecutive_failures, opened_until) VALUES (1, 5, {})",
            now_ms() + 3_600_000
        ))
        .await;
        let owners = "Your invoice is ready";
        let mayas = "Walked Max, all good";
        let o = match send::send(&app.state, request(&app, tom, Sender::Owner, owners)).await.unwrap() {
            SendOutcome::Queued { message_id, .. } => message_id.0,
            other => panic!("{other:?}"),
        };
        let m = match send::send(&app.state, request(&app, ana, Sender::Sitter { sitter_id: maya }, mayas))
            .await
            .unwrap()
        {
            SendOutcome::Queued { message_id, .. } => message_id.0,
            other => panic!("{other:?}"),
        };
        // A text that is still allowed goes when the breaker closes.
        let fine = match send::send(&app.state, request(&app, ana, Sender::Owner, "See you Friday")).await.unwrap() {
            SendOutcome::Queued { message_id, .. } => message_id.0,
            other => panic!("{other:?}"),
        };
        let later = now_ms() + 30 * 60_000;
        eventually(10, "the open breaker defers all three", || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'send' AND status = 'queued' AND run_at > {later}"
            ))
            .await
                == 3
        })
        .await;
        // While they wait: the Front Desk number leaves service, Maya's window ends.
        app.exec(&format!("UPDATE numbers SET status = 'quarantined' WHERE e164 = '{FRONT_DESK}'")).await;
        let now = now_ms();
        app.exec(&format!(
            "UPDATE assignment_windows SET ends_at = {} WHERE thread_id = {} AND sitter_id = {} AND starts_at < {} AND ends_at > {now}",
            now - 1000,
            ana.0,
            maya.0,
            now - 1000,
        ))
        .await;
        their_time_comes(&app).await;

        assert_eq!(settled(&app, o).await, ("failed".into(), Some("skipped:number".into())), "{backend:?}");
        assert_eq!(settled(&app, m).await, ("failed".into(), Some("skipped:window".into())), "{backend:?}");
        let (status, _) = settled(&app, fine).await;
        assert!(["sent", "delivered"].contains(&status.as_str()), "{backend:?}: {status}");
        let bodies = sent_bodies(&stub);
        assert!(!bodies.contains(&owners.to_string()) && !bodies.contains(&mayas.to_string()), "{bodies:?}");
        assert!(bodies.contains(&"See you Friday".to_string()), "{bodies:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'message.skipped'").await, 2);
    }
}
