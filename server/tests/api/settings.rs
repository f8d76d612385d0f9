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
