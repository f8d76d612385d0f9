//! Audit & compliance (SPEC §4.9): the violations feed (approve and send a
//! stopped text as a recorded override, dismiss, resolve) and the
//! response-time and volume analytics with their CSV export; owners only.

use crate::helpers::*;
use app::audit::analytics::{AnalyticsFilter, LoadAnalytics};
use app::inbox::SendMessage;
use app::policy::{ListViolations, Review, ReviewViolation};

const ANA: &str = "+17375550100";
const MAYA_NUMBER: &str = "+15125550101";

#[tokio::test]
async fn a_stopped_text_is_approved_and_sent_and_other_violations_dismissed_or_resolved() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let before = app.call(ListViolations { status: "open".into() }).await.expect("list").len();

        // Maya shares a phone number: blocked and kept, a violation opened.
        let body = "my cell is 512 555 1234, text me there";
        let _ = call_with(&sitter, &app.addr, SendMessage { thread: ana, body: body.into(), confirm: false }).await;
        let open = app.call(ListViolations { status: "open".into() }).await.unwrap();
        assert_eq!(open.len(), before + 1, "{backend:?}");
        let v = open.iter().find(|v| v.redacted.contains("███")).expect("the new violation").clone();
        assert!(
            v.can_send && v.who.starts_with("Maya") && v.outcome == app::domain::policy::ViolationOutcome::Blocked,
            "{v:?}"
        );
        assert!(!v.redacted.contains("1234"), "the owner summary is redacted: {}", v.redacted);
        let message: i64 = app.scalar(&format!("SELECT message_id FROM policy_violations WHERE id = {}", v.id)).await;
        assert_eq!(
            app.text(&format!("SELECT status FROM messages WHERE id = {message}")).await.as_deref(),
            Some("blocked")
        );

        // Approving needs a reason; without one nothing changes.
        let e =
            app.call(ReviewViolation { id: v.id, review: Review::ApproveAndSend, note: " ".into() }).await.unwrap_err();
        assert_eq!(e.0, 422);
        assert_eq!(
            app.text(&format!("SELECT status FROM messages WHERE id = {message}")).await.as_deref(),
            Some("blocked")
        );

        // Sitters can't review.
        let e =
            call_with(&sitter, &app.addr, ReviewViolation { id: v.id, review: Review::Resolve, note: String::new() })
                .await;
        assert_eq!(e.unwrap_err().0, 403);
        assert_eq!(call_with(&sitter, &app.addr, ListViolations { status: "open".into() }).await.unwrap_err().0, 403);

        app.call(ReviewViolation { id: v.id, review: Review::ApproveAndSend, note: "It's the vet's number".into() })
            .await
            .expect("approve");
        eventually(15, "the approved text is sent", || async {
            app.text(&format!("SELECT status FROM messages WHERE id = {message}")).await.as_deref() != Some("queued")
        })
        .await;
        let status = app.text(&format!("SELECT status FROM messages WHERE id = {message}")).await.unwrap_or_default();
        assert!(["sent", "delivered"].contains(&status.as_str()), "{status}");
        assert_eq!(app.scalar(&format!("SELECT policy_override FROM messages WHERE id = {message}")).await, 1);
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'policy.overridden' AND thread_id = {}",
                ana.0
            ))
            .await,
            1
        );
        let approved = app.call(ListViolations { status: "approved".into() }).await.unwrap();
        let a = approved.iter().find(|x| x.id == v.id).expect("approved listed");
        assert!(
            a.reviewed.as_deref().is_some_and(
                |r| r.starts_with("Approved and sent by Olivia Grant") && r.ends_with("It's the vet's number")
            ),
            "{a:?}"
        );

        // A second review is refused; a delivered (logged) violation can't be "sent".
        let e = app.call(ReviewViolation { id: v.id, review: Review::Dismiss, note: String::new() }).await.unwrap_err();
        assert_eq!(e.0, 409);
        app.text_in("SMcomp1", ANA, MAYA_NUMBER, "my email is ana at gmail dot com").await;
        let inbound = app
            .call(ListViolations { status: "open".into() })
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.direction == app::domain::routing::Direction::Inbound && x.redacted.contains("███"))
            .expect("the client's flagged text");
        assert!(!inbound.can_send);
        let e = app
            .call(ReviewViolation { id: inbound.id, review: Review::ApproveAndSend, note: "ok".into() })
            .await
            .unwrap_err();
        assert_eq!(e.0, 409);
        app.call(ReviewViolation { id: inbound.id, review: Review::Dismiss, note: String::new() })
            .await
            .expect("dismiss");
        assert!(app
            .call(ListViolations { status: "dismissed".into() })
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == inbound.id));
        let e = app.call(ListViolations { status: "whatever".into() }).await.unwrap_err();
        assert_eq!(e.0, 422);
    }
}

#[tokio::test]
async fn response_times_count_the_first_human_reply_and_export_as_csv() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let base = app.call(LoadAnalytics { filter: AnalyticsFilter::default() }).await.expect("analytics");
        assert_eq!(base.days.len(), 14, "two weeks by default");
        assert_eq!(base.peak.len(), 24);
        let maya_before = base.by_sitter.iter().find(|r| r.label.starts_with("Maya")).map(|r| r.responses).unwrap_or(0);

        // A client text, then Maya's reply: one more response for Maya.
        app.text_in("SMana1", ANA, MAYA_NUMBER, "Is Max ok?").await;
        call_with(
            &sitter,
            &app.addr,
            SendMessage { thread: ana, body: "He's great, on our walk now".into(), confirm: false },
        )
        .await
        .expect("reply");
        let maya = app.sitter_id("Maya").await;
        let after = app
            .call(LoadAnalytics { filter: AnalyticsFilter { sitter: Some(maya.0), ..Default::default() } })
            .await
            .unwrap();
        let row = after.by_sitter.iter().find(|r| r.label.starts_with("Maya")).expect("Maya's row");
        assert_eq!(row.responses, maya_before + 1, "{backend:?}: {:?}", after.by_sitter);
        assert!(after.by_sitter.iter().all(|r| r.label.starts_with("Maya")), "the sitter filter");
        assert!(after.days.last().is_some_and(|d| d.sitter >= 2), "today's volume counts both texts");

        // Bad ranges are refused with the field named.
        let e = app
            .call(LoadAnalytics {
                filter: AnalyticsFilter { from: "2026-12-01".into(), to: "2026-11-01".into(), sitter: None },
            })
            .await
            .unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("from")));
        let e = app
            .call(LoadAnalytics {
                filter: AnalyticsFilter { from: "yesterday".into(), to: String::new(), sitter: None },
            })
            .await
            .unwrap_err();
        assert!(e.1.to_string().contains("isn't a date"));

        // The CSV has every section and is audited.
        let res = app.get("/audit/analytics.csv").await;
        assert_eq!(res.status().as_u16(), 200);
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("section,name,responses,median_seconds"), "{csv}");
        assert!(
            csv.contains("\ndate,responses,median_seconds,front_desk_messages")
                && csv.contains("\nhour,client_messages\n00:00,")
                && csv.contains("\n23:00,")
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'analytics.exported'").await, 1);
        let res = sitter.get(app.url("/audit/analytics.csv")).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
        let res = app.get("/audit/analytics.csv?from=2026-13-01").await;
        assert_eq!(res.status().as_u16(), 422);
    }
}

#[tokio::test]
async fn failed_deliveries_are_listed_with_their_reason_and_marked_resolved() {
    use app::audit::failures::{ListFailures, ResolveFailure};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let open = app.call(ListFailures { resolved: false }).await.expect("list");
        assert!(!open.is_empty(), "{backend:?}: the demo has a failed text");
        let f = open[0].clone();
        assert!(f.attempts >= 1 && !f.reason.is_empty(), "{f:?}");
        let before = app.scalar(&format!("SELECT failed_deliveries FROM threads WHERE id = {}", f.thread_id)).await;

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, ListFailures { resolved: false }).await.unwrap_err().0, 403);
        let e = call_with(&sitter, &app.addr, ResolveFailure { message_id: f.message_id, note: String::new() }).await;
        assert_eq!(e.unwrap_err().0, 403);

        app.call(ResolveFailure { message_id: f.message_id, note: "Called her instead".into() })
            .await
            .expect("resolve");
        let e = app.call(ResolveFailure { message_id: f.message_id, note: String::new() }).await.unwrap_err();
        assert_eq!(e.0, 409, "only once");
        assert!(app.call(ListFailures { resolved: false }).await.unwrap().iter().all(|x| x.message_id != f.message_id));
        let done = app.call(ListFailures { resolved: true }).await.unwrap();
        let r = done.iter().find(|x| x.message_id == f.message_id).expect("in the resolved list");
        assert!(r
            .resolved
            .as_deref()
            .is_some_and(|t| t.starts_with("Resolved by Olivia Grant") && t.ends_with("Called her instead")));
        assert_eq!(
            app.scalar(&format!("SELECT failed_deliveries FROM threads WHERE id = {}", f.thread_id)).await,
            (before - 1).max(0)
        );
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'delivery.failure_resolved'").await,
            1
        );
        // A text that didn't fail can't be "resolved".
        let ok: i64 = app
            .scalar("SELECT id FROM messages WHERE direction = 'outbound' AND status IN ('sent', 'delivered') LIMIT 1")
            .await;
        assert_eq!(app.call(ResolveFailure { message_id: ok, note: String::new() }).await.unwrap_err().0, 409);
    }
}

#[tokio::test]
async fn escalation_rules_fire_once_per_alert_and_keep_a_history() {
    use app::alerts::escalation::{EscalationForm, ListEscalations, SaveEscalation, SetEscalationEnabled};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let form = |minutes: &str, action: &str, target: &str| EscalationForm {
            name: "Wake the owner".into(),
            severity: "critical".into(),
            after_minutes: minutes.into(),
            action: action.into(),
            target: target.into(),
        };
        let e = app.call(SaveEscalation { form: form("0", "text", "+15125550199") }).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("after_minutes")));
        let e = app.call(SaveEscalation { form: form("15", "text", "my cell") }).await.unwrap_err();
        assert_eq!(e.1.field_name(), Some("target"));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM escalation_rules").await, 0);

        let sitter = app.client_for("sitter@example.com", "password123").await;
        let e = call_with(&sitter, &app.addr, SaveEscalation { form: form("15", "notify", "") }).await;
        assert_eq!(e.unwrap_err().0, 403);

        // The demo's critical alert has been open 20 minutes: the 15-minute rule texts the owner.
        app.exec(&format!("UPDATE alerts SET first_seen_at = {} WHERE severity = 'critical'", now_ms() - 20 * 60_000))
            .await;
        let id = app.call(SaveEscalation { form: form("15", "text", "(512) 555-0199") }).await.expect("save");
        eventually(70, "the escalation fires and its text goes", || async {
            app.scalar("SELECT COUNT(*) FROM escalation_events WHERE outcome <> 'text queued'").await == 1
        })
        .await;
        let history = app.call(ListEscalations {}).await.unwrap();
        assert_eq!(history.rules[0].fired, 1);
        assert_eq!(history.history[0].outcome, "texted +1 (512) 555-0199", "{backend:?}: {:?}", history.history);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'alert.escalated'").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'escalation'").await, 1);

        // Once per alert, and a switched-off rule stays quiet.
        app.call(SetEscalationEnabled { id, enabled: false }).await.expect("off");
        assert!(!app.call(ListEscalations {}).await.unwrap().rules[0].enabled);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM escalation_events").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'escalation.disabled'").await, 1);
    }
}

#[tokio::test]
async fn an_escalation_text_goes_once_through_the_queue_even_when_sweeps_race_and_the_provider_fails() {
    use crate::twilio_stub::{self, Mode};
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        // A failed try waits 30 s (the test pulls the retry forward); no breaker trip.
        app.set_delivery(30, 50, 60).await;
        let target = "+15125550199";
        // The provider fails the first try: the text waits and is retried.
        // Set before the rule exists, whichever sweep fires it first.
        stub.set(Mode::ServerErrorFor("alert open".into()));
        // A rule that is due right now for the demo's critical alert.
        app.exec(&format!("UPDATE alerts SET first_seen_at = {} WHERE severity = 'critical'", now_ms() - 20 * 60_000))
            .await;
        app.exec(&format!(
            "INSERT INTO escalation_rules (org_id, name, severity, after_minutes, action, target, enabled, created_at)
             VALUES (1, 'Wake the owner', 'critical', 15, 'text', '{target}', 1, {})",
            now_ms()
        ))
        .await;
        let sweep = app::alerts::escalation::store::sweep;
        let (a, b) = tokio::join!(sweep(&app.state), sweep(&app.state));
        let fired = a.expect("sweep") + b.expect("sweep");
        let alerts = app.scalar("SELECT COUNT(*) FROM alerts WHERE severity = 'critical' AND status = 'open'").await;
        // The app's own 30-second sweep runs too and may get there first (seen
        // once); between all of them each alert fires exactly once, which the
        // firings recorded below pin down.
        assert!(fired as i64 <= alerts, "{backend:?}: each alert fires once, not {fired}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM escalation_events").await, alerts);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'escalation.text'").await,
            alerts,
            "{backend:?}: one queued text per firing"
        );
        eventually(15, "the first try fails", || async {
            stub.sends().iter().filter(|s| s.form.contains(&("To".into(), target.into()))).count() as i64 == alerts
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM escalation_events WHERE outcome = 'text queued'").await,
            alerts,
            "{backend:?}: a failed try is not the end"
        );
        stub.set(Mode::Accept);
        app.exec("UPDATE jobs SET run_at = 0 WHERE kind = 'escalation.text' AND status = 'queued'").await;
        app.state.wake_worker();
        eventually(15, "the retry gets through", || async {
            app.scalar("SELECT COUNT(*) FROM escalation_events WHERE outcome LIKE 'texted%'").await == alerts
        })
        .await;
        // A third sweep changes nothing.
        assert_eq!(sweep(&app.state).await.unwrap(), 0);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let accepted = app.scalar("SELECT COUNT(*) FROM escalation_events WHERE outcome LIKE 'texted%'").await;
        assert_eq!(accepted, alerts);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'alert.escalation_text'").await,
            alerts,
            "{backend:?}"
        );
        let sends_to_target = stub.sends().iter().filter(|s| s.form.contains(&("To".into(), target.into()))).count();
        assert_eq!(sends_to_target as i64, alerts * 2, "{backend:?}: one failed try and one delivered text per firing");
    }
}

/// The compose box's warning is the send's own verdict (SPEC §3.5): what
/// the thread hands the box predicts exactly what sending then does, for an
/// allow-listed number, a log-only rule, a hold rule and a number split
/// over two texts, as a sitter and as the owner.
#[tokio::test]
async fn the_compose_box_predicts_what_sending_does() {
    use app::domain::outbound::PolicyOutcome;
    use app::inbox::{GetThread, SendResult};
    use app::settings::{LoadRulesSettings, RulesForm, SaveRulesSettings};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let form = app.call(LoadRulesSettings {}).await.expect("load");
        let actions = form
            .sitter_actions
            .iter()
            .map(|(k, a)| match k.as_str() {
                "url" => (k.clone(), "log".to_string()),
                "social" => (k.clone(), "hold".to_string()),
                _ => (k.clone(), a.clone()),
            })
            .collect();
        let allowlist = format!("{}\nRiverside Vet: 512 555 0188", form.allowlist);
        app.call(SaveRulesSettings { form: RulesForm { sitter_actions: actions, allowlist, ..form } })
            .await
            .expect("save rules");
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let logged = "SELECT COUNT(*) FROM policy_violations WHERE outcome = 'logged'";
        let logged_before = app.scalar(logged).await;
        let cases: [(bool, &str, &str); 7] = [
            (true, "The vet's number is 512 555 0188 if he limps", "send"),
            (true, "Photos are up: mayawalks.com/today", "logged"),
            (true, "Max is famous now, insta @mayawalksdogs", "held"),
            (true, "Okay, write this down: 512 555", "send"),
            (true, "0123 when you can", "blocked"),
            (false, "Riverside Vet: 512 555 0188", "send"),
            (false, "the new line is 512 555 0177", "confirm"),
        ];
        for (as_sitter, body, expected) in cases {
            let who = if as_sitter { &sitter } else { &app.client };
            let thread = call_with(who, &app.addr, GetThread { id: ana }).await.expect("thread");
            let policy = thread.policy.expect("the box can send");
            let predicted = policy.outcome(body);
            let kind = match &predicted {
                PolicyOutcome::Send { logged } if logged.is_empty() => "send",
                PolicyOutcome::Send { .. } => "logged",
                PolicyOutcome::Confirm { .. } => "confirm",
                PolicyOutcome::Held { .. } => "held",
                PolicyOutcome::Blocked { .. } => "blocked",
            };
            assert_eq!(kind, expected, "{backend:?} {body:?}: {predicted:?}");
            let warning = policy.warning(body);
            assert_eq!(warning.is_none(), expected == "send", "{backend:?} {body:?}: {warning:?}");
            let result =
                call_with(who, &app.addr, app::inbox::SendMessage { thread: ana, body: body.into(), confirm: false })
                    .await
                    .expect("send");
            let did = match &result {
                SendResult::Sent { .. } | SendResult::Scheduled { .. } => "send",
                SendResult::NeedsConfirmation { .. } => "confirm",
                SendResult::Refused { reason } if reason.starts_with("Held for the owner's review") => "held",
                SendResult::Refused { reason } if reason.starts_with("Not sent") => "blocked",
                SendResult::Refused { .. } => "refused",
            };
            assert_eq!(did, if expected == "logged" { "send" } else { expected }, "{backend:?} {body:?}: {result:?}");
        }
        assert_eq!(app.scalar(logged).await, logged_before + 1, "{backend:?}: the log-only link was sent and recorded");
    }
}
