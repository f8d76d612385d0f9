//! A long provider outage (issue 16, item 9): the circuit breaker opens,
//! one probe at a time tries the provider, waiting costs no text any of
//! its attempts, and when the provider is back every queued text goes out
//! exactly once.

use crate::helpers::*;
use crate::twilio_stub::{self, Mode};
use app::domain::outbound::Sender;
use app::messaging::send::{self, SendOutcome, SendRequest};
use std::collections::BTreeMap;
use std::time::Duration;

const TOM: &str = "+17375550119";
const FRONT_DESK: &str = "+15125550100";

#[tokio::test]
async fn a_thirty_minute_outage_ends_with_every_queued_text_sent_once_and_none_given_up() {
    for backend in backends() {
        let stub = twilio_stub::start().await;
        stub.set(Mode::ServerError);
        let app = spawn_twilio_demo(backend, &stub).await;
        // The defaults (3 attempts, 30 s retry delay doubling, 5 failures
        // open the breaker for 5 minutes) on a clock a hundred times
        // faster: 1 s, 5 failures, 3 s; the 30-minute outage lasts 18 s.
        app.set_delivery(1, 5, 3).await;
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        let send_text = |body: String| {
            let req = SendRequest {
                org: app.org(),
                thread: tom,
                body,
                sender: Sender::Owner,
                actor: owner_actor(),
                confirmed: false,
                automation_id: None,
            };
            send::send(&app.state, req)
        };
        // One text alone first: its three attempts fail before the breaker
        // has seen five failures; it must wait, not be given up.
        let mut ids = Vec::new();
        match send_text("Outage text 0".into()).await.unwrap() {
            SendOutcome::Queued { message_id, .. } => ids.push(message_id.0),
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        for i in 1..10 {
            match send_text(format!("Outage text {i}")).await.unwrap() {
                SendOutcome::Queued { message_id, .. } => ids.push(message_id.0),
                other => panic!("{other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_secs(13)).await;
        let during = stub.sends().len();
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM messages WHERE body LIKE 'Outage text %' AND status = 'failed'").await,
            0,
            "{backend:?}: no text given up during the outage"
        );
        stub.set(Mode::Accept);
        eventually(20, "every queued text is sent", || async {
            app.scalar(
                "SELECT COUNT(*) FROM messages WHERE body LIKE 'Outage text %' AND status IN ('sent', 'delivered')",
            )
            .await
                == 10
        })
        .await;
        // Once each, and none dead-lettered.
        let accepted: Vec<String> = stub.sends()[during..]
            .iter()
            .filter_map(|s| s.form.iter().find(|(k, _)| k == "Body").map(|(_, v)| v.clone()))
            .collect();
        let mut per_body: BTreeMap<String, usize> = BTreeMap::new();
        for b in accepted {
            *per_body.entry(b).or_default() += 1;
        }
        assert_eq!(per_body.len(), 10, "{backend:?}: {per_body:?}");
        assert!(per_body.values().all(|n| *n == 1), "{backend:?}: sent once each: {per_body:?}");
        let dead: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT kind, last_error FROM jobs WHERE status = 'dead' AND kind = 'send'")
                .fetch_all(&app.db().read)
                .await
                .unwrap();
        assert!(dead.is_empty(), "{backend:?}: dead-lettered: {dead:?}");
        // Waiting was cheap: a probe per cool-off, not every queued text.
        assert!(during <= 16, "{backend:?}: {during} calls during an 18 s outage");
        let events = |ev: &'static str| {
            let sql = format!("SELECT COUNT(*) FROM audit_events WHERE event_type = '{ev}'");
            let db = app.db().read.clone();
            async move { sqlx::query_scalar::<_, i64>(&sql).fetch_one(&db).await.unwrap() }
        };
        assert_eq!(events("provider.breaker_opened").await, 1, "{backend:?}");
        assert!(events("provider.breaker_probe_failed").await >= 3, "{backend:?}: probes tried and failed");
        assert_eq!(events("provider.breaker_closed").await, 1, "{backend:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'provider_failing'").await, 1);
    }
}
