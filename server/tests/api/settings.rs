//! Delivery, number and diagnostics settings (SPEC §4.10): ranges enforced
//! on the server field by field (a 10-day cooldown is refused), changes
//! audited, and their effect on the number inventory.

use crate::helpers::*;
use app::numbers::NumberCard;
use app::settings::{LoadOperationsSettings, OperationsForm, SaveOperationsSettings};

#[tokio::test]
async fn settings_enforce_their_ranges_and_take_effect() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let form = app.call(LoadOperationsSettings {}).await.expect("load");
        assert_eq!(
            (form.cooldown_days.as_str(), form.max_attempts.as_str(), form.diagnostics_mode),
            ("90", "3", false)
        );

        for (change, field, words) in [
            (OperationsForm { cooldown_days: "10".into(), ..form.clone() }, "cooldown_days", "at least 30 days"),
            (OperationsForm { cooldown_days: "400".into(), ..form.clone() }, "cooldown_days", "between 30 and 365"),
            (OperationsForm { max_attempts: "lots".into(), ..form.clone() }, "max_attempts", "whole number"),
            (OperationsForm { timeout_seconds: "0".into(), ..form.clone() }, "timeout_seconds", "between 3 and 60"),
            (OperationsForm { yellow_at: "0".into(), ..form.clone() }, "yellow_at", "at least 1"),
            (OperationsForm { red_at: "1".into(), ..form.clone() }, "red_at", "higher than the yellow"),
        ] {
            let e = app.call(SaveOperationsSettings { form: change }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
            assert!(e.1.to_string().contains(words), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 0);
        assert_eq!(app.call(LoadOperationsSettings {}).await.unwrap(), form, "{backend:?}: refusals change nothing");

        let same = app.call(SaveOperationsSettings { form: form.clone() }).await.unwrap();
        assert!(same.is_empty());
        let changed = app
            .call(SaveOperationsSettings {
                form: OperationsForm { cooldown_days: "60".into(), diagnostics_mode: true, ..form.clone() },
            })
            .await
            .expect("save");
        assert_eq!(changed, vec!["Cooldown (days): 90 → 60".to_string(), "Diagnostics mode: off → on".to_string()]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 1);

        // Diagnostics mode shows provider ids in the number detail.
        let id = app.scalar("SELECT id FROM numbers WHERE e164 = '+15125550100'").await;
        let card = app.call(NumberCard { id }).await.unwrap();
        assert!(
            card.diagnostics && card.provider_id.as_deref().is_some_and(|p| p.starts_with("PNdemo")),
            "{backend:?}"
        );

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, LoadOperationsSettings {}).await.unwrap_err().0, 403);
        let e = call_with(&sitter, &app.addr, SaveOperationsSettings { form: form.clone() }).await.unwrap_err();
        assert_eq!(e.0, 403);
    }
}

#[tokio::test]
async fn health_checks_and_failed_jobs_with_replay_and_ignore() {
    use app::settings::{FailedJobs, HealthChecks, ResolveFailedJob};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let checks = app.call(HealthChecks {}).await.expect("health");
        let labels: Vec<&str> = checks.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Texting provider",
                "Last text received",
                "Background work",
                "Database",
                "Refused deliveries from the provider"
            ]
        );
        assert_eq!(checks[0].level, "ok", "{backend:?}: {:?}", checks[0]);
        assert!(checks[0].detail.starts_with("Demo provider answered in"), "{:?}", checks[0]);
        assert_eq!(checks[3].level, "ok");

        // Two jobs that gave up: a text and an override expiry.
        let msg = app.scalar("SELECT MIN(m.id) FROM messages m JOIN numbers n ON n.e164 = m.from_e164 AND n.status = 'active' WHERE m.direction = 'outbound'").await;
        app.exec(&format!("UPDATE messages SET status = 'failed', error_code = '30003' WHERE id = {msg}")).await;
        let t = now_ms();
        app.exec(&format!(
            "INSERT INTO jobs (org_id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, finished_at)
             VALUES (1, 'send', '{{\"message_id\": {msg}}}', 'dead', 3, 3, {t}, 'unreachable handset', {t}, {t}),
                    (1, 'override.expire', '{{\"id\": 999999}}', 'dead', 3, 3, {t}, 'database was locked', {t}, {t})"
        ))
        .await;
        let failed = app.call(FailedJobs {}).await.expect("failed jobs");
        assert_eq!(failed.len(), 3, "{backend:?}: the demo's own and these two");
        let send = failed.iter().find(|j| j.kind == "send").unwrap().clone();
        let expiry = failed.iter().find(|j| j.error == "database was locked").unwrap().clone();
        assert!(send.what.starts_with("Text to "), "{send:?}");
        assert_eq!((expiry.what.as_str(), expiry.error.as_str()), ("Ending a routing override", "database was locked"));

        let e = app.call(ResolveFailedJob { id: expiry.id, replay: false, reason: " ".into() }).await.unwrap_err();
        assert_eq!((e.0, e.1.field_name()), (422, Some("reason")));
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM jobs WHERE id = {} AND status = 'dead'", expiry.id)).await,
            1
        );

        app.call(ResolveFailedJob { id: expiry.id, replay: false, reason: "The override was removed by hand".into() })
            .await
            .expect("ignore");
        assert_eq!(
            app.text(&format!("SELECT status || ':' || resolution_note FROM jobs WHERE id = {}", expiry.id))
                .await
                .as_deref(),
            Some("ignored:The override was removed by hand")
        );
        let again =
            app.call(ResolveFailedJob { id: expiry.id, replay: true, reason: "again".into() }).await.unwrap_err();
        assert_eq!(again.0, 409);

        app.call(ResolveFailedJob { id: send.id, replay: true, reason: "Client's phone is back on".into() })
            .await
            .expect("replay");
        assert_ne!(app.text(&format!("SELECT status FROM messages WHERE id = {msg}")).await.as_deref(), Some("failed"));
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type IN ('job.ignored', 'job.replayed', 'message.retried')").await, 3);
        assert_eq!(app.call(FailedJobs {}).await.unwrap().len(), 1, "only the demo's own is left");

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, HealthChecks {}).await.unwrap_err().0, 403);
        assert_eq!(call_with(&sitter, &app.addr, FailedJobs {}).await.unwrap_err().0, 403);
        let e =
            call_with(&sitter, &app.addr, ResolveFailedJob { id: send.id, replay: true, reason: "x".repeat(5) }).await;
        assert_eq!(e.unwrap_err().0, 403);
    }
}

#[tokio::test]
async fn messaging_rules_keep_anti_poaching_on_for_sitters_and_save_with_audit() {
    use app::settings::{LoadRulesSettings, RulesForm, SaveRulesSettings};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let form = app.call(LoadRulesSettings {}).await.expect("load");
        assert_eq!(
            (form.time_zone.as_str(), form.quiet_enabled, form.quiet_start.as_str(), form.quiet_end.as_str()),
            ("America/Chicago", true, "21:00", "08:00")
        );
        assert!(form.sitter_actions.contains(&("phone".to_string(), "block".to_string())), "{form:?}");
        let with = |kind: &str, action: &str| RulesForm {
            sitter_actions: form
                .sitter_actions
                .iter()
                .map(|(k, a)| (k.clone(), if k == kind { action.to_string() } else { a.clone() }))
                .collect(),
            ..form.clone()
        };
        for (change, field, words) in [
            (with("phone", "log"), "policy_phone", "can't be log-only for sitters"),
            (with("email", "log"), "policy_email", "can't be log-only for sitters"),
            (with("url", "never"), "policy_url", "Block, Hold or Log only"),
            (RulesForm { quiet_start: "9pm".into(), ..form.clone() }, "quiet_start", "24-hour HH:MM"),
            (RulesForm { quiet_end: "21:00".into(), ..form.clone() }, "quiet_end", "different time"),
            (RulesForm { time_zone: "Mars/Base".into(), ..form.clone() }, "time_zone", "not a time zone we know"),
            (RulesForm { low_balance: "lots".into(), ..form.clone() }, "low_balance", "enter dollars"),
            (
                RulesForm { response_target_minutes: "0".into(), ..form.clone() },
                "response_target_minutes",
                "between 1 and 1440",
            ),
            (
                RulesForm { automation_rate_per_thread_hour: "lots".into(), ..form.clone() },
                "automation_rate_per_thread_hour",
                "whole number per hour",
            ),
            (
                RulesForm { automation_rate_per_thread_hour: "61".into(), ..form.clone() },
                "automation_rate_per_thread_hour",
                "between 1 and 60",
            ),
        ] {
            let e = app.call(SaveRulesSettings { form: change }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
            assert!(e.1.to_string().contains(words), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 0);

        let changes = app
            .call(SaveRulesSettings {
                form: RulesForm {
                    time_zone: "America/Denver".into(),
                    quiet_start: "22:00".into(),
                    quiet_end: "07:00".into(),
                    low_balance: "12.5".into(),
                    automation_rate_per_thread_hour: " 2 ".into(),
                    ..with("url", "log")
                },
            })
            .await
            .expect("save");
        assert_eq!(
            changes,
            vec![
                "Time zone: America/Chicago → America/Denver".to_string(),
                "Quiet hours: 21:00–08:00 → 22:00–07:00".to_string(),
                "Sitters sharing a web link: Block → Log only".to_string(),
                "Low-balance warning: $20.00 → $12.50".to_string(),
                "Automated texts per conversation per hour: 3 → 2".to_string(),
            ]
        );
        assert_eq!(app.text("SELECT time_zone FROM organisations").await.as_deref(), Some("America/Denver"));
        let again = app.call(LoadRulesSettings {}).await.unwrap();
        assert_eq!(
            (again.quiet_start.as_str(), again.low_balance.as_str(), again.automation_rate_per_thread_hour.as_str()),
            ("22:00", "12.50", "2")
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 1);

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, LoadRulesSettings {}).await.unwrap_err().0, 403);
        assert_eq!(call_with(&sitter, &app.addr, SaveRulesSettings { form }).await.unwrap_err().0, 403);
    }
}

#[tokio::test]
async fn the_owner_words_the_help_reply_and_a_client_who_texts_help_gets_it() {
    use app::settings::{LoadRulesSettings, RulesForm, SaveRulesSettings};
    for backend in backends() {
        let stub = crate::twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let form = app.call(LoadRulesSettings {}).await.expect("load");
        assert!(form.help_text.contains("Reply STOP"), "{backend:?}: the form shows the reply in use: {form:?}");

        // Refused with the reason, nothing saved.
        for (typed, words) in [("We love dogs!", "STOP"), (&*format!("Reply STOP. {}", "x".repeat(320)), "320")] {
            let e = app
                .call(SaveRulesSettings { form: RulesForm { help_text: typed.into(), ..form.clone() } })
                .await
                .unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some("help_text")), "{backend:?}: {e:?}");
            assert!(e.1.to_string().contains(words), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 0);

        let mine = "Happy Tails: for bookings call (512) 555-0100, 8 AM to 6 PM. Reply STOP to opt out.";
        let changes = app
            .call(SaveRulesSettings { form: RulesForm { help_text: format!(" {mine} "), ..form.clone() } })
            .await
            .expect("save");
        assert_eq!(changes, vec![format!("HELP reply: \u{201c}{mine}\u{201d}")], "{backend:?}");
        assert_eq!(app.call(LoadRulesSettings {}).await.expect("load").help_text, mine);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'settings.changed'").await, 1);

        app.text_in("SMhelp1", "+17375550119", "+15125550100", "HELP").await;
        let reply = app
            .text("SELECT body FROM messages WHERE to_e164 = '+17375550119' AND sender_kind = 'system' AND direction = 'outbound' ORDER BY id DESC LIMIT 1")
            .await;
        assert_eq!(reply.as_deref(), Some(mine), "{backend:?}");

        // Emptied: back to the default, which names the business.
        let changes =
            app.call(SaveRulesSettings { form: RulesForm { help_text: String::new(), ..form } }).await.expect("save");
        assert_eq!(changes, vec!["HELP reply: back to the default".to_string()]);
        assert!(app.text("SELECT help_text FROM organisations").await.is_none());
        assert!(app.call(LoadRulesSettings {}).await.expect("load").help_text.starts_with("Happy Tails Pet Care: "));
    }
}
