//! Texting a client first (issue 23): the owner starts a conversation from
//! the Front Desk or a sitter number with the same checks as any send, the
//! conversation is created in the text's transaction (or reused), and every
//! refusal writes nothing.

use crate::helpers::*;
use app::conversations::{FindStartClients, LoadStartChoices, StartChoices, StartConversation, StartForm, Started};
use app::inbox::SendResult;

const FRONT_DESK: &str = "+15125550100";

fn form(client: i64, body: &str) -> StartForm {
    StartForm { client, body: body.into(), ..StartForm::default() }
}

/// Conversations, texts and what the audit trail says of them (the
/// worker's sweeps may add other events meanwhile).
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM threads").await,
        app.scalar("SELECT COUNT(*) FROM messages").await,
        app.scalar(
            "SELECT COUNT(*) FROM audit_events WHERE event_type LIKE 'thread.%' OR event_type LIKE 'message.%' OR event_type LIKE 'policy.%'",
        )
        .await,
    )
}

#[tokio::test]
async fn an_owner_texts_a_client_first_from_the_front_desk_and_the_conversation_is_made_with_it() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        app.set_quiet_hours(3, 4).await; // not now, whatever the time of day
        let (client, phone) = app.client_without_front_desk_thread(0).await;

        let c: StartChoices = app.call(LoadStartChoices { client: Some(client) }).await.unwrap();
        assert!(c.numbers[0].front_desk && c.numbers[0].label.starts_with("Front Desk"), "{backend:?}: {c:?}");
        assert!(c.numbers.iter().all(|n| !n.label.contains("Pool")), "{c:?}");
        assert_eq!(c.client.as_ref().map(|x| x.id), Some(client));
        assert!(c.cannot_send.is_none() && c.quiet_until.is_none(), "{c:?}");
        let found = app.call(FindStartClients { q: c.client.as_ref().unwrap().name[..3].to_string() }).await.unwrap();
        assert!(found.iter().any(|x| x.id == client), "{backend:?}: search finds the client");

        let started = app
            .call(StartConversation { form: form(client, "Hi! Happy Tails here: Rex's first walk is booked.") })
            .await;
        let Ok(Started { thread: Some(thread), result: SendResult::Sent { message_id: message } }) = started else {
            panic!("{backend:?}: {started:?}")
        };
        let fd_thread = app
            .scalar(&format!(
                "SELECT t.id FROM threads t JOIN numbers n ON n.id = t.number_id WHERE t.client_id = {client} AND n.e164 = '{FRONT_DESK}'"
            ))
            .await;
        assert_eq!(fd_thread, thread.0);
        assert_eq!(
            app.text(&format!("SELECT started_by FROM threads WHERE id = {fd_thread}")).await.as_deref(),
            Some("business")
        );
        assert_eq!(
            app.text(&format!("SELECT from_e164 || ' > ' || to_e164 FROM messages WHERE id = {}", message.0)).await,
            Some(format!("{FRONT_DESK} > {phone}"))
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'thread.started' AND entity_id = '{fd_thread}'"
            ))
            .await,
            1
        );
        eventually(15, "the text reaches the Demo outbox", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM demo_outbox WHERE message_ref = 'msg-{}'", message.0)).await == 1
        })
        .await;

        // A second text to the same client on the same number uses the same conversation.
        let again = app.call(StartConversation { form: form(client, "And here is the sitter's schedule.") }).await;
        assert!(
            matches!(again, Ok(Started { thread: Some(t), result: SendResult::Sent { .. } }) if t == thread),
            "{backend:?}: {again:?}"
        );
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE client_id = {client} AND number_id = (SELECT id FROM numbers WHERE e164 = '{FRONT_DESK}')")).await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'thread.started'").await, 1);

        // From a sitter number, to the number chosen.
        let maya_number = app.scalar("SELECT id FROM numbers WHERE e164 = '+15125550101'").await;
        assert!(c.numbers.iter().any(|n| n.id.0 == maya_number && n.label.starts_with("Maya")), "{c:?}");
        let from_maya = app
            .call(StartConversation {
                form: StartForm {
                    number: Some(maya_number),
                    to: phone.clone(),
                    ..form(client, "Maya will walk Rex on Monday.")
                },
            })
            .await;
        let Ok(Started { thread: Some(t2), result: SendResult::Sent { .. } }) = from_maya else {
            panic!("{backend:?}: {from_maya:?}")
        };
        assert_ne!(t2, thread);
        assert_eq!(app.scalar(&format!("SELECT number_id FROM threads WHERE id = {}", t2.0)).await, maya_number);
    }
}

#[tokio::test]
async fn refusals_say_why_and_write_nothing() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        app.set_quiet_hours(3, 4).await;
        let (client, _) = app.client_without_front_desk_thread(0).await;
        // Sitters answer inside their windows; they don't start conversations.
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let before = written(&app).await;
        let r = call_with(&sitter, &app.addr, StartConversation { form: form(client, "Hi from Maya") }).await;
        assert_eq!(r.unwrap_err().0, 403, "{backend:?}");
        let r = call_with(&sitter, &app.addr, LoadStartChoices { client: None }).await;
        assert_eq!(r.unwrap_err().0, 403, "{backend:?}");

        let field = |r: Result<Started, (u16, app::error::AppError)>| match r {
            Err((422, e)) => e.field_name().map(str::to_string),
            other => panic!("{backend:?}: expected a field error, got {other:?}"),
        };
        assert_eq!(field(app.call(StartConversation { form: form(client, "   ") }).await).as_deref(), Some("body"));
        assert_eq!(
            field(app.call(StartConversation { form: form(client, &"x".repeat(1601)) }).await).as_deref(),
            Some("body")
        );
        let wrong_to = StartForm { to: "+15125550199".into(), ..form(client, "Hi") };
        assert_eq!(field(app.call(StartConversation { form: wrong_to }).await).as_deref(), Some("to"));
        let garbled_to = StartForm { to: "not a phone".into(), ..form(client, "Hi") };
        assert_eq!(field(app.call(StartConversation { form: garbled_to }).await).as_deref(), Some("to"));
        let pool =
            app.scalar("SELECT id FROM numbers WHERE class = 'pool' AND status = 'active' ORDER BY id LIMIT 1").await;
        let from_pool = StartForm { number: Some(pool), ..form(client, "Hi") };
        let e = app.call(StartConversation { form: from_pool }).await.unwrap_err();
        assert!(e.0 == 422 && e.1.to_string().contains("pool number"), "{backend:?}: {e:?}");
        // A sitter number nobody holds yet would hand the conversation to whoever gets it.
        let spare = app.scalar("SELECT id FROM numbers WHERE class = 'sitter' AND status = 'active' AND sitter_id IS NULL ORDER BY id LIMIT 1").await;
        let e = app
            .call(StartConversation { form: StartForm { number: Some(spare), ..form(client, "Hi") } })
            .await
            .unwrap_err();
        assert!(e.0 == 422 && e.1.to_string().contains("isn't any active sitter's number"), "{backend:?}: {e:?}");
        let quarantined = app.scalar("SELECT id FROM numbers WHERE status = 'quarantined' ORDER BY id LIMIT 1").await;
        let e = app
            .call(StartConversation { form: StartForm { number: Some(quarantined), ..form(client, "Hi") } })
            .await
            .unwrap_err();
        assert!(e.0 == 422 && e.1.to_string().contains("out of service"), "{backend:?}: {e:?}");
        assert_eq!(app.call(StartConversation { form: form(999_999, "Hi") }).await.unwrap_err().0, 404);

        // An opted-out client: refused with the reason, no conversation made.
        app.exec(&format!("UPDATE clients SET opted_out_everywhere = 1 WHERE id = {client}")).await;
        let r = app.call(StartConversation { form: form(client, "Hi there") }).await;
        assert!(
            matches!(&r, Ok(Started { thread: None, result: SendResult::Refused { reason } }) if reason.contains("STOP")),
            "{backend:?}: {r:?}"
        );
        app.exec(&format!("UPDATE clients SET opted_out_everywhere = 0 WHERE id = {client}")).await;

        // Contact details: the owner is asked first; nothing is written until they confirm.
        let r = app.call(StartConversation { form: form(client, "Text Maya directly on 512 555 0199") }).await;
        assert!(
            matches!(&r, Ok(Started { thread: None, result: SendResult::NeedsConfirmation { .. } })),
            "{backend:?}: {r:?}"
        );
        assert_eq!(written(&app).await, before, "{backend:?}: every refusal wrote nothing");

        let anyway = StartForm { confirm: true, ..form(client, "Text Maya directly on 512 555 0199") };
        let r = app.call(StartConversation { form: anyway }).await;
        let Ok(Started { result: SendResult::Sent { message_id: message }, .. }) = r else {
            panic!("{backend:?}: {r:?}")
        };
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE id = {} AND policy_override = 1", message.0))
                .await,
            1
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM policy_violations WHERE message_id = {} AND outcome = 'owner_override'",
                message.0
            ))
            .await,
            1
        );
    }
}

#[tokio::test]
async fn inside_quiet_hours_the_first_text_waits_unless_the_owner_sends_it_now() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        app.set_quiet_hours(-1, 2).await;
        let (client, _) = app.client_without_front_desk_thread(0).await;

        let c: StartChoices = app.call(LoadStartChoices { client: Some(client) }).await.unwrap();
        assert!(c.quiet_until.is_some(), "{backend:?}: the form says when quiet hours end");
        let r = app.call(StartConversation { form: form(client, "Good morning! Rex's walk is booked.") }).await;
        let Ok(Started { result: SendResult::Scheduled { message_id: message, .. }, .. }) = r else {
            panic!("{backend:?}: {r:?}")
        };
        assert!(app.scalar(&format!("SELECT scheduled_for FROM messages WHERE id = {}", message.0)).await > now_ms());

        let (other, _) = app.client_without_front_desk_thread(client).await;
        let now = StartForm { send_now: true, ..form(other, "Sorry for the late text: Rex's walk is booked.") };
        let r = app.call(StartConversation { form: now }).await;
        let Ok(Started { thread: Some(thread), result: SendResult::Sent { message_id: message } }) = r else {
            panic!("{backend:?}: {r:?}")
        };
        assert_eq!(
            app.scalar(&format!("SELECT COALESCE(scheduled_for, 0) FROM messages WHERE id = {}", message.0)).await,
            0
        );
        let payload = app
            .text(&format!(
                "SELECT payload FROM audit_events WHERE event_type = 'thread.started' AND entity_id = '{}'",
                thread.0
            ))
            .await
            .unwrap_or_default();
        assert!(payload.contains("\"sent_in_quiet_hours\":true"), "{backend:?}: {payload}");

        // In a conversation that already exists, the owner's choice is recorded too.
        let again = StartForm { send_now: true, ..form(other, "One more thing: bring the spare key.") };
        assert!(matches!(
            app.call(StartConversation { form: again }).await,
            Ok(Started { result: SendResult::Sent { .. }, .. })
        ));
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE event_type = 'message.quiet_hours_overridden' AND thread_id = {}", thread.0)).await,
            1
        );
    }
}
