//! Alert rules (SPEC §3.7): tuned by the owner (bad input refused and
//! nothing changed), event rules switched off raise nothing, and the
//! scheduled rules — a client waiting, the failure rate, a cooldown ending,
//! overlapping windows — raise once per cause; a wait closes itself once
//! somebody answers.

use crate::helpers::*;
use app::alerts::rules::{ListAlertRules, SaveAlertRule};
use app::alerts::sweep::sweep_at;
use app::domain::alerts::RuleForm;
use app::inbox::SendMessage;
use app::platform::from_ms;

/// Ben's demo conversation with Maya ends with her answer: no wait open.
const BEN: &str = "+17375550101";
const MAYA_NUMBER: &str = "+15125550101";

fn form(rule: &str, enabled: bool, severity: &str, value: &str, min_sent: &str) -> SaveAlertRule {
    SaveAlertRule {
        form: RuleForm {
            rule: rule.into(),
            enabled,
            severity: severity.into(),
            value: value.into(),
            min_sent: min_sent.into(),
        },
    }
}

#[tokio::test]
async fn alert_rules_are_tuned_and_scheduled_rules_raise_once_and_close_themselves() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let rules = app.call(ListAlertRules {}).await.expect("rules");
        assert_eq!(rules.len(), 9, "{backend:?}");
        let waiting = rules.iter().find(|r| r.key == "client_waiting").expect("client waiting rule");
        assert_eq!(
            waiting.summary, "After 15 min without a reply (the response-time target in Settings)",
            "{backend:?}"
        );
        // The demo's loaded history raises nothing by itself.
        sweep_at(&app.state, app::platform::now()).await.expect("sweep");
        let titles: Vec<String> = sqlx::query_scalar("SELECT rule || ': ' || title FROM alerts WHERE status = 'open'")
            .fetch_all(&app.db().read)
            .await
            .unwrap();
        assert_eq!(titles.len(), 2, "{backend:?}: {titles:?}");

        // Bad input: the field is named and nothing changes.
        let e = app.call_json(form("client_waiting", true, "warning", "0", "")).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("value")), "{backend:?}: {e:?}");
        let e = app.call_json(form("front_desk_failing", false, "critical", "", "")).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("enabled")), "{backend:?}");
        let e = app.call_json(form("delivery_failure_rate", true, "warning", "50", "lots")).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("min_sent")), "{backend:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'alert_rule.updated'").await, 0);

        app.call_json(form("client_waiting", true, "critical", "5", "")).await.expect("tune the wait");
        let rules = app.call(ListAlertRules {}).await.unwrap();
        let waiting = rules.iter().find(|r| r.key == "client_waiting").unwrap();
        assert_eq!((waiting.summary.as_str(), waiting.value.as_str()), ("After 5 min without a reply", "5"));
        assert!(waiting.changed.as_deref().is_some_and(|c| c.starts_with("Changed by Olivia Grant")), "{waiting:?}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'alert_rule.updated'").await, 1);

        // Ben texts; 4 minutes later nothing, 6 minutes later one critical alert.
        assert!(app.text_in("SMwait0001", BEN, MAYA_NUMBER, "Are you still coming at 3?").await.status().is_success());
        let thread = app.thread_of(BEN, MAYA_NUMBER).await;
        let since = app.scalar(&format!("SELECT awaiting_reply_since FROM threads WHERE id = {}", thread.0)).await;
        let waits = format!("SELECT COUNT(*) FROM alerts WHERE rule = 'client_waiting' AND thread_id = {}", thread.0);
        sweep_at(&app.state, from_ms(since + 4 * 60_000)).await.unwrap();
        assert_eq!(app.scalar(&waits).await, 0, "{backend:?}: not yet");
        sweep_at(&app.state, from_ms(since + 6 * 60_000)).await.unwrap();
        sweep_at(&app.state, from_ms(since + 7 * 60_000)).await.unwrap();
        assert_eq!(app.scalar(&waits).await, 1, "{backend:?}: once");
        let (title, severity) = (
            app.text(&format!("SELECT title FROM alerts WHERE rule = 'client_waiting' AND thread_id = {}", thread.0))
                .await,
            app.text(&format!(
                "SELECT severity FROM alerts WHERE rule = 'client_waiting' AND thread_id = {}",
                thread.0
            ))
            .await,
        );
        assert_eq!(title.as_deref(), Some("Ben Carter is waiting for a reply"), "{backend:?}");
        assert_eq!(severity.as_deref(), Some("critical"));

        // The owner answers: the next sweep closes it, by the system, with a note.
        app.call(SendMessage { thread, body: "Yes, 3 pm as planned".into(), confirm: false }).await.expect("reply");
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        assert_eq!(
            app.text(&format!(
                "SELECT status || ' ' || resolution_note FROM alerts WHERE rule = 'client_waiting' AND thread_id = {}",
                thread.0
            ))
            .await
            .as_deref(),
            Some("resolved Answered; closed automatically."),
            "{backend:?}"
        );
        assert_eq!(
            app.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'alert.resolved' AND actor_kind = 'system'"
            )
            .await,
            1
        );

        // Switched off: a new wait raises nothing.
        app.call_json(form("client_waiting", false, "critical", "5", "")).await.unwrap();
        assert!(app.text_in("SMwait0002", BEN, MAYA_NUMBER, "One more thing").await.status().is_success());
        sweep_at(&app.state, from_ms(app::platform::now().timestamp_millis() + 60 * 60_000)).await.unwrap();
        assert_eq!(app.scalar(&waits).await, 1, "{backend:?}: off means off");

        // An event rule switched off: the violation is kept, no alert.
        app.call_json(form("policy_violation", false, "warning", "", "")).await.unwrap();
        let before = app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'policy_violation'").await;
        assert!(app.text_in("SMwait0003", BEN, MAYA_NUMBER, "my cell is 512 555 8899").await.status().is_success());
        assert_eq!(app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'policy_violation'").await, before);
        assert!(app.scalar("SELECT COUNT(*) FROM policy_violations WHERE body LIKE '%8899%'").await >= 1);

        // The failure rate: two of the texts sent since the rules started
        // watching failed, with the bar at 50% of at least 2.
        app.call_json(form("delivery_failure_rate", true, "warning", "50", "2")).await.unwrap();
        let t = now_ms();
        app.exec(&format!(
            "UPDATE messages SET created_at = {t}, status = 'failed', error_code = '30003'
             WHERE id IN (SELECT id FROM messages WHERE direction = 'outbound' AND status = 'delivered' ORDER BY id LIMIT 2)"
        ))
        .await;
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        let rate = "SELECT COUNT(*) FROM alerts WHERE rule = 'delivery_failure_rate'";
        assert_eq!(app.scalar(rate).await, 1, "{backend:?}");
        let title = app.text("SELECT title FROM alerts WHERE rule = 'delivery_failure_rate'").await.unwrap();
        assert!(title.ends_with("% of texts failed in the last 24 hours"), "{title}");

        // A cooldown ending in 3 days (the rule looks 7 ahead): one info alert.
        app.exec(&format!("UPDATE numbers SET cooldown_until = {} WHERE status = 'quarantined'", t + 3 * 86_400_000))
            .await;
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        assert_eq!(
            app.text("SELECT severity || ' ' || title FROM alerts WHERE rule = 'cooldown_ending'")
                .await
                .map(|s| s.starts_with("info +1 (512) 555-0160 leaves cooldown on")),
            Some(true),
            "{backend:?}"
        );

        // Two overlapping windows for one client (as an import could leave them).
        let maya = app.sitter_id("Maya").await;
        let jordan = app.sitter_id("Jordan").await;
        let client = app.scalar(&format!("SELECT client_id FROM threads WHERE id = {}", thread.0)).await;
        for (sitter, from, to) in [(maya.0, 1, 5), (jordan.0, 3, 8)] {
            app.exec(&format!(
                "INSERT INTO assignment_windows (org_id, thread_id, client_id, sitter_id, kind, starts_at, ends_at, created_at)
                 VALUES (1, {}, {client}, {sitter}, 'one_time_booking', {}, {}, {t})",
                thread.0,
                t + from * 86_400_000,
                t + to * 86_400_000
            ))
            .await;
        }
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        let conflicts = "SELECT COUNT(*) FROM alerts WHERE rule = 'window_conflict'";
        let raised = app.scalar(conflicts).await;
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        assert_eq!(app.scalar(conflicts).await, raised, "{backend:?}: once per pair");
        assert_eq!(
            app.scalar(
                "SELECT COUNT(*) FROM alerts WHERE rule = 'window_conflict' AND body LIKE 'Maya Chen and Jordan%'"
            )
            .await,
            1,
            "{backend:?}"
        );

        // Jordan's window is removed: the next sweep closes the alert.
        app.exec(&format!(
            "UPDATE assignment_windows SET deleted_at = {t} WHERE sitter_id = {} AND created_at = {t}",
            jordan.0
        ))
        .await;
        sweep_at(&app.state, app::platform::now()).await.unwrap();
        assert_eq!(
            app.text("SELECT status || ' ' || resolution_note FROM alerts WHERE rule = 'window_conflict' AND body LIKE 'Maya Chen and Jordan%'")
                .await
                .as_deref(),
            Some("resolved The windows no longer overlap; closed automatically."),
            "{backend:?}"
        );

        // Sitters can't see or change rules.
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, ListAlertRules {}).await.unwrap_err().0, 403);
        assert_eq!(
            call_json_with(&sitter, &app.addr, form("client_waiting", true, "warning", "30", "")).await.unwrap_err().0,
            403
        );
    }
}
