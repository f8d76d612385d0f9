//! The messaging pipeline end to end: signed webhooks, routing by every
//! rule, idempotency, delivery status, the send rules, retries, the circuit
//! breaker, opt-outs and attachments — on every database.

use crate::helpers::*;
use crate::twilio_stub::{self, Mode, ACCOUNT_SID, AUTH_TOKEN};
use app::domain::outbound::Sender;
use app::domain::routing::{decide, RoutingSnapshot};
use app::messaging::send::{self, SendOutcome, SendRequest};

const FRONT_DESK: &str = "+15125550100";
const MAYA_NUMBER: &str = "+15125550101";
const POOL: &str = "+15125550150";
const ANA: &str = "+17375550100"; // Maya's weekly client, window active now
const TOM: &str = "+17375550119"; // Front Desk client, nobody assigned
const ZOE: &str = "+17375550125"; // the pool number's current client
const IGOR: &str = "+17375550106"; // Jordan's client, window active now
const STRANGER: &str = "+17375550177";

async fn routed(app: &TestApp, sid: &str) -> (String, Option<i64>, String) {
    let row: (String, Option<i64>, String) = sqlx::query_as(
        "SELECT m.routed_to, m.target_sitter_id, d.rule FROM messages m JOIN routing_decisions d ON d.id = m.routing_decision_id WHERE m.provider_sid = $1",
    )
    .bind(sid)
    .fetch_one(&app.db().read)
    .await
    .unwrap_or_else(|e| panic!("message {sid}: {e}"));
    row
}

fn owner_send(app: &TestApp, thread: app::domain::ids::ThreadId, body: &str, confirmed: bool) -> SendRequest {
    SendRequest {
        org: app.org(),
        thread,
        body: body.into(),
        sender: Sender::Owner,
        actor: owner_actor(),
        confirmed,
        automation_id: None,
    }
}

#[tokio::test]
async fn signed_incoming_texts_are_routed_by_each_rule() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let maya = app.sitter_id("Maya").await;

        // A window is active: Maya gets it.
        assert_eq!(app.text_in("SMroute1", ANA, MAYA_NUMBER, "Is Max OK?").await.status(), 200);
        assert_eq!(routed(&app, "SMroute1").await, ("sitter".into(), Some(maya.0), "window".into()), "{backend:?}");

        // Nobody assigned: the owner inbox.
        app.text_in("SMroute2", TOM, FRONT_DESK, "Hello there").await;
        assert_eq!(routed(&app, "SMroute2").await.0, "owner_inbox");

        // An override beats the window.
        let ana_thread = app.thread_of(ANA, MAYA_NUMBER).await;
        let now = app::platform::ms(app::platform::now());
        sqlx::query("INSERT INTO routing_overrides (org_id, thread_id, target, starts_at, reason, created_at) VALUES (1, $1, 'owner_inbox', $2, 'Maya is sick', $2)")
            .bind(ana_thread.0)
            .bind(now - 60_000)
            .execute(&app.db().write)
            .await
            .unwrap();
        app.text_in("SMroute3", ANA, MAYA_NUMBER, "Anyone there?").await;
        assert_eq!(routed(&app, "SMroute3").await, ("owner_inbox".into(), None, "override".into()));

        // Two windows at once: a conflict for the owner.
        let igor_thread = app.thread_of(IGOR, "+15125550102").await;
        let priya = app.sitter_id("Priya").await;
        sqlx::query("INSERT INTO assignment_windows (org_id, thread_id, client_id, sitter_id, kind, starts_at, ends_at, created_at) SELECT 1, id, client_id, $1, 'weekly_client', $2, $3, $2 FROM threads WHERE id = $4")
            .bind(priya.0)
            .bind(now - 3_600_000)
            .bind(now + 3_600_000)
            .bind(igor_thread.0)
            .execute(&app.db().write)
            .await
            .unwrap();
        app.text_in("SMroute4", IGOR, "+15125550102", "Who's coming today?").await;
        assert_eq!(routed(&app, "SMroute4").await.0, "owner_inbox");
        let reason = app.text("SELECT d.reason FROM routing_decisions d JOIN messages m ON m.routing_decision_id = d.id WHERE m.provider_sid = 'SMroute4'").await.unwrap();
        assert!(reason.contains("conflicting windows"), "{reason}");

        // The pool number's current client reaches the sitter…
        app.text_in("SMroute5", ZOE, POOL, "Key is under the mat").await;
        assert_eq!(routed(&app, "SMroute5").await.0, "sitter");
        // …a stranger never does, and gets the automatic reply.
        app.text_in("SMroute6", STRANGER, POOL, "Hi, is this Maya?").await;
        assert_eq!(routed(&app, "SMroute6").await, ("owner_inbox".into(), None, "safety".into()));
        let zoe_thread = app.thread_of(ZOE, POOL).await;
        let stranger_thread: i64 = app.scalar("SELECT thread_id FROM messages WHERE provider_sid = 'SMroute6'").await;
        assert_ne!(stranger_thread, zoe_thread.0, "kept out of the current pool thread");
        let reply = app
            .text(&format!("SELECT body FROM messages WHERE thread_id = {stranger_thread} AND direction = 'outbound' AND sender_kind = 'system'"))
            .await
            .unwrap();
        assert!(reply.contains("no longer in service") && reply.contains("+1 (512) 555-0100"), "{reply}");

        // After STOP, messages are recorded only.
        app.text_in("SMroute7", TOM, FRONT_DESK, "STOP").await;
        app.text_in("SMroute8", TOM, FRONT_DESK, "actually one more thing").await;
        assert_eq!(routed(&app, "SMroute8").await.0, "record_only");

        // Every decision is stored with its snapshot and replays byte for byte.
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT snapshot, decision FROM routing_decisions").fetch_all(&app.db().read).await.unwrap();
        assert!(rows.len() >= 8);
        for (snapshot, decision) in rows {
            let snap: RoutingSnapshot = serde_json::from_str(&snapshot).unwrap();
            assert_eq!(serde_json::to_string(&decide(&snap)).unwrap(), decision);
        }
        // And audited, with correlation ids.
        let audited = app
            .scalar("SELECT COUNT(*) FROM audit_events WHERE event_type IN ('message.received', 'routing.evaluated') AND webhook_id = 'SMroute1' AND thread_id IS NOT NULL")
            .await;
        assert_eq!(audited, 2);
        assert!(app::platform::audit::verify(app.db(), app.org()).await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn a_forged_or_missing_signature_gets_403_and_stores_nothing() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let params = [("MessageSid", "SMforged"), ("From", TOM), ("To", FRONT_DESK), ("Body", "hi")];
        assert_eq!(app.webhook("/webhooks/twilio/sms", &params, Some("not-the-token")).await.status(), 403);
        assert_eq!(app.webhook("/webhooks/twilio/sms", &params, None).await.status(), 403);
        let status = [("MessageSid", "SMforged"), ("MessageStatus", "delivered"), ("From", FRONT_DESK)];
        assert_eq!(app.webhook("/webhooks/twilio/status", &status, Some("nope")).await.status(), 403);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE provider_sid = 'SMforged'").await, 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM status_callbacks").await, 0);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_rejections").await, 3);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'webhook.rejected'").await, 3);
        // The same request signed properly goes through.
        assert_eq!(app.webhook("/webhooks/twilio/sms", &params, Some(AUTH_TOKEN)).await.status(), 200);
    }
}

#[tokio::test]
async fn demo_organisations_accept_unsigned_webhooks() {
    let app = spawn_demo(Backend::Sqlite).await;
    let res = app
        .webhook(
            "/webhooks/twilio/sms",
            &[("MessageSid", "SMdemo1"), ("From", TOM), ("To", FRONT_DESK), ("Body", "hi")],
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("content-type").unwrap(), "text/xml; charset=utf-8");
    assert_eq!(res.text().await.unwrap(), server::webhooks::EMPTY_TWIML);
}

#[tokio::test]
async fn a_repeated_message_sid_is_stored_once() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        assert_eq!(app.text_in("SMdup", STRANGER, FRONT_DESK, "first").await.status(), 200);
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let app_client = app.client.clone();
            let url = app.url("/webhooks/twilio/sms");
            tasks.push(tokio::spawn(async move {
                let params: Vec<(String, String)> =
                    [("MessageSid", "SMdup"), ("From", STRANGER), ("To", FRONT_DESK), ("Body", "first")]
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                let sig = app::messaging::signature::compute(AUTH_TOKEN, &url, &params);
                app_client.post(&url).form(&params).header("X-Twilio-Signature", sig).send().await.unwrap().status()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE provider_sid = 'SMdup'").await, 1, "{backend:?}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM clients WHERE is_unknown = 1").await,
            1,
            "one Unknown client, not five"
        );
        assert_eq!(
            app.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'message.received' AND webhook_id = 'SMdup'"
            )
            .await,
            1
        );
        let name = app.text("SELECT name FROM clients WHERE is_unknown = 1").await.unwrap();
        assert_eq!(name, "Unknown +1 (737) 555-0177");
    }
}

#[tokio::test]
async fn malformed_or_oversized_webhooks_get_400_and_store_nothing() {
    let stub = twilio_stub::start().await;
    let app = spawn_twilio_demo(Backend::Sqlite, &stub).await;
    let missing =
        app.webhook("/webhooks/twilio/sms", &[("MessageSid", "SMbad"), ("Body", "hi")], Some(AUTH_TOKEN)).await;
    assert_eq!(missing.status(), 400);
    let bad_number = app
        .webhook(
            "/webhooks/twilio/sms",
            &[("MessageSid", "SMbad"), ("From", "call me"), ("To", FRONT_DESK)],
            Some(AUTH_TOKEN),
        )
        .await;
    assert_eq!(bad_number.status(), 400);
    let huge = "x".repeat(70 * 1024);
    let oversized = app
        .webhook(
            "/webhooks/twilio/sms",
            &[("MessageSid", "SMbad"), ("From", TOM), ("To", FRONT_DESK), ("Body", &huge)],
            Some(AUTH_TOKEN),
        )
        .await;
    assert_eq!(oversized.status(), 400);
    let status = app
        .webhook("/webhooks/twilio/status", &[("MessageSid", "SMx"), ("MessageStatus", "teleported")], Some(AUTH_TOKEN))
        .await;
    assert_eq!(status.status(), 400);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE provider_sid = 'SMbad'").await, 0);
}

async fn sent_sid(app: &TestApp, message_id: i64) -> String {
    for _ in 0..100 {
        let sid: Option<String> = sqlx::query_scalar("SELECT provider_sid FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_one(&app.db().read)
            .await
            .unwrap();
        if let Some(sid) = sid {
            return sid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("message {message_id} never reached the provider");
}

async fn status_of(app: &TestApp, message_id: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, error_code FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_one(&app.db().read)
        .await
        .unwrap()
}

async fn callback(app: &TestApp, sid: &str, status: &str, code: Option<&str>) -> u16 {
    let mut p = vec![("MessageSid", sid), ("MessageStatus", status), ("AccountSid", ACCOUNT_SID), ("From", FRONT_DESK)];
    if let Some(c) = code {
        p.push(("ErrorCode", c));
    }
    app.webhook("/webhooks/twilio/status", &p, Some(AUTH_TOKEN)).await.status().as_u16()
}

fn queued(out: SendOutcome) -> i64 {
    match out {
        SendOutcome::Queued { message_id, .. } => message_id.0,
        other => panic!("expected Queued, got {other:?}"),
    }
}

#[tokio::test]
async fn delivery_callbacks_in_any_order_end_in_the_right_state() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;

        let m1 = queued(send::send(&app.state, owner_send(&app, tom, "See you Monday!", false)).await.unwrap());
        let sid = sent_sid(&app, m1).await;
        let sent = &stub.sends()[0];
        assert!(sent.authorized);
        assert!(sent.form.contains(&("From".into(), FRONT_DESK.into())), "always the thread's number");
        assert!(sent.form.iter().any(|(k, v)| k == "StatusCallback" && v.ends_with("/webhooks/twilio/status")));
        assert_eq!(callback(&app, &sid, "delivered", None).await, 200);
        assert_eq!(callback(&app, &sid, "sent", None).await, 200);
        assert_eq!(callback(&app, &sid, "delivered", None).await, 200);
        assert_eq!(callback(&app, &sid, "undelivered", Some("30003")).await, 200);
        assert_eq!(
            status_of(&app, m1).await,
            ("delivered".into(), None),
            "a late callback never overwrites a final state"
        );
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM status_callbacks WHERE message_sid = '{sid}'")).await,
            3,
            "every distinct callback kept once"
        );

        // A callback that arrives before we stored the message's id waits for it.
        let early = stub.next_sid();
        assert_eq!(callback(&app, &early, "delivered", None).await, 200);
        let m2 = queued(send::send(&app.state, owner_send(&app, tom, "Second one", false)).await.unwrap());
        assert_eq!(sent_sid(&app, m2).await, early);
        eventually(5, "the early callback is applied", || async { status_of(&app, m2).await.0 == "delivered" }).await;

        // The first error code is the one kept.
        let m3 = queued(send::send(&app.state, owner_send(&app, tom, "Third one", false)).await.unwrap());
        let sid3 = sent_sid(&app, m3).await;
        callback(&app, &sid3, "undelivered", Some("30003")).await;
        callback(&app, &sid3, "failed", Some("30008")).await;
        assert_eq!(status_of(&app, m3).await, ("undelivered".into(), Some("30003".into())));
        let reason = app.text(&format!("SELECT error_message FROM messages WHERE id = {m3}")).await.unwrap();
        assert!(reason.contains("unreachable"), "{reason}");
    }
}

#[tokio::test]
async fn the_send_rules_are_enforced_on_the_server() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let maya = app.sitter_id("Maya").await;
        let jordan = app.sitter_id("Jordan").await;
        let as_sitter = |s: app::domain::ids::SitterId, name: &str, body: &str| SendRequest {
            org: app.org(),
            thread: ana,
            body: body.into(),
            sender: Sender::Sitter { sitter_id: s },
            actor: sitter_actor(name),
            confirmed: false,
            automation_id: None,
        };

        // A sitter outside their window is refused, and nothing is stored.
        let before = app.scalar("SELECT COUNT(*) FROM messages").await;
        match send::send(&app.state, as_sitter(jordan, "Jordan Rivera", "Hi Ana!")).await.unwrap() {
            SendOutcome::Refused { reason, message_id: None, .. } => {
                assert!(reason.contains("assignment window"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, before);

        // Inside the window, a contact-sharing text is blocked, recorded and alerted.
        match send::send(&app.state, as_sitter(maya, "Maya Chen", "Easier if you text me at 512 555 8899"))
            .await
            .unwrap()
        {
            SendOutcome::Refused { reason, message_id: Some(_), violation_id: Some(v) } => {
                assert!(reason.contains("phone number"), "{reason}");
                let redacted =
                    app.text(&format!("SELECT redacted FROM policy_violations WHERE id = {v}")).await.unwrap();
                assert_eq!(redacted, "Easier if you text me at ███");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'policy_violation' AND status = 'open'").await,
            1
        );
        assert!(stub.sends().is_empty(), "nothing reached the provider");
        // A normal text from Maya goes out from her number.
        queued(send::send(&app.state, as_sitter(maya, "Maya Chen", "On my way!")).await.unwrap());

        // The owner is warned first and may send anyway (recorded).
        match send::send(&app.state, owner_send(&app, ana, "Vet's cell is 512 555 7777", false)).await.unwrap() {
            SendOutcome::NeedsConfirmation { redacted, .. } => assert_eq!(redacted, "Vet's cell is ███"),
            other => panic!("{other:?}"),
        }
        queued(send::send(&app.state, owner_send(&app, ana, "Vet's cell is 512 555 7777", true)).await.unwrap());
        assert_eq!(app.scalar("SELECT COUNT(*) FROM policy_violations WHERE outcome = 'owner_override'").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'policy.overridden'").await, 1);
        eventually(10, "both texts reach the provider", || async { stub.sends().len() == 2 }).await;
        assert!(stub.sends().iter().all(|s| s.form.contains(&("From".into(), MAYA_NUMBER.into()))));
    }
}

#[tokio::test]
async fn after_stop_sending_is_refused_until_start() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        app.text_in("SMstop", TOM, FRONT_DESK, "Stop").await;
        match send::send(&app.state, owner_send(&app, tom, "Are you sure?", false)).await.unwrap() {
            SendOutcome::Refused { reason, .. } => assert!(reason.contains("STOP"), "{reason}"),
            other => panic!("{other:?}"),
        }
        app.text_in("SMstart", TOM, FRONT_DESK, "START").await;
        queued(send::send(&app.state, owner_send(&app, tom, "Welcome back!", false)).await.unwrap());
        // HELP gets the help text from the same number.
        app.text_in("SMhelp", TOM, FRONT_DESK, "help").await;
        let help = app.text(&format!("SELECT body FROM messages WHERE thread_id = {} AND sender_kind = 'system' AND direction = 'outbound' ORDER BY id DESC LIMIT 1", tom.0)).await.unwrap();
        assert!(help.contains("Reply STOP"), "{help}");
        // STOP on a sitter's number alerts the owner.
        app.text_in("SMstop2", ANA, MAYA_NUMBER, "STOP").await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'stop_on_sitter_number'").await, 1);
    }
}

#[tokio::test]
async fn opted_out_error_21610_sets_the_opt_out_instead_of_counting_a_failure() {
    let stub = twilio_stub::start().await;
    let app = spawn_twilio_demo(Backend::Sqlite, &stub).await;
    stub.set(Mode::Reject { code: 21610 });
    let tom = app.thread_of(TOM, FRONT_DESK).await;
    let m = queued(send::send(&app.state, owner_send(&app, tom, "Hello?", false)).await.unwrap());
    eventually(10, "the message fails", || async { status_of(&app, m).await.0 == "failed" }).await;
    assert_eq!(status_of(&app, m).await.1.as_deref(), Some("21610"));
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM opt_outs WHERE e164 = '{TOM}' AND opted_out = 1")).await, 1);
    assert_eq!(app.scalar(&format!("SELECT failed_deliveries FROM threads WHERE id = {}", tom.0)).await, 0);
    assert_eq!(stub.sends().len(), 1, "not retried");
}

#[tokio::test]
async fn provider_errors_are_retried_three_times_with_backoff_then_dead_lettered() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        // The provider fails this one text while others get through: the
        // text's own problem, so its three attempts are used up.
        stub.set(Mode::ServerErrorFor("walk at 3".into()));
        let app = spawn_twilio_demo(backend, &stub).await;
        app.set_delivery(1, 50, 30).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        let m = queued(send::send(&app.state, owner_send(&app, tom, "Reminder: walk at 3", false)).await.unwrap());
        eventually(5, "the first attempt failed", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM delivery_attempts WHERE message_id = {m} AND outcome = 'error'"))
                .await
                == 1
        })
        .await;
        let other = queued(send::send(&app.state, owner_send(&app, tom, "See you soon", false)).await.unwrap());
        eventually(5, "another text gets through", || async { status_of(&app, other).await.0 != "queued" }).await;
        eventually(20, "three attempts then failure", || async { status_of(&app, m).await.0 == "failed" }).await;
        let starts: Vec<i64> =
            sqlx::query_scalar("SELECT started_at FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt")
                .bind(m)
                .fetch_all(&app.db().read)
                .await
                .unwrap();
        assert_eq!(starts.len(), 3, "{backend:?}");
        assert!(starts[1] - starts[0] >= 1000, "first retry after the base delay");
        assert!(starts[2] - starts[1] >= 2000, "then twice as long");
        assert_eq!(stub.sends().len(), 4, "three tries of the failing text and the other one");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'send' AND status = 'dead' AND payload LIKE '%{m}%'"
            ))
            .await,
            1
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'job.dead_lettered'").await, 1);
        let reason = app.text(&format!("SELECT error_message FROM messages WHERE id = {m}")).await.unwrap();
        assert!(reason.contains("after 3 attempts"), "{reason}");
    }
}

#[tokio::test]
async fn the_circuit_breaker_opens_keeps_messages_and_closes_by_itself() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        stub.set(Mode::ServerError);
        let app = spawn_twilio_demo(backend, &stub).await;
        app.set_delivery(1, 2, 3).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        let m = queued(send::send(&app.state, owner_send(&app, tom, "Walk confirmed", false)).await.unwrap());
        eventually(10, "the breaker opens", || async {
            app.scalar("SELECT COUNT(*) FROM provider_breaker WHERE opened_until IS NOT NULL").await == 1
        })
        .await;
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'provider_failing' AND severity = 'critical'").await,
            1
        );
        assert_eq!(stub.sends().len(), 2);
        stub.set(Mode::Accept);
        // While open, nothing is attempted and the message waits in the queue.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(stub.sends().len(), 2, "{backend:?}: no calls while the breaker is open");
        assert_eq!(status_of(&app, m).await.0, "queued");
        eventually(10, "the message goes once the breaker closes", || async { status_of(&app, m).await.0 == "sent" })
            .await;
        assert_eq!(stub.sends().len(), 3);
        // The breaker closes in its own transaction just after the text is
        // marked sent, so it may land a moment later.
        eventually(10, "the breaker closes, announced", || async {
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'provider.breaker_closed'").await == 1
        })
        .await;
        assert_eq!(app.scalar("SELECT consecutive_failures FROM provider_breaker").await, 0);
    }
}

#[tokio::test]
async fn every_attachment_is_fetched_with_credentials_and_kept() {
    let stub = twilio_stub::start().await;
    let app = spawn_twilio_demo(Backend::Sqlite, &stub).await;
    let u0 = format!("{}/media/a1", stub.addr);
    let u1 = format!("{}/media/a2", stub.addr);
    let res = app
        .webhook(
            "/webhooks/twilio/sms",
            &[
                ("MessageSid", "SMmms"),
                ("From", ANA),
                ("To", MAYA_NUMBER),
                ("Body", "Look at Max!"),
                ("NumMedia", "2"),
                ("MediaUrl0", &u0),
                ("MediaContentType0", "image/png"),
                ("MediaUrl1", &u1),
                ("MediaContentType1", "image/png"),
            ],
            Some(AUTH_TOKEN),
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually(10, "both pictures stored", || async {
        app.scalar("SELECT COUNT(*) FROM message_media WHERE stored_path IS NOT NULL").await == 2
    })
    .await;
    let paths: Vec<String> = sqlx::query_scalar("SELECT stored_path FROM message_media ORDER BY idx")
        .fetch_all(&app.db().read)
        .await
        .unwrap();
    for p in &paths {
        let bytes = std::fs::read(app.state.media_dir.join(p)).unwrap();
        assert_eq!(bytes, twilio_stub::PNG);
    }
    let media_requests: Vec<_> = stub.seen().into_iter().filter(|s| s.path.starts_with("/media/")).collect();
    assert_eq!(media_requests.len(), 2);
    assert!(media_requests.iter().all(|s| s.authorized), "fetched with the account's credentials");
}
