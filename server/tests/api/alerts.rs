//! Alerts (SPEC §3.7, §4.8): one open alert per cause, counted; grouped by
//! severity; resolve or dismiss with who and when (critical alerts only
//! resolve); the archive; owners only.

use crate::helpers::*;
use app::alerts::service::{raise, Raise};
use app::alerts::{CloseAlert, ListAlerts};
use app::domain::alerts::Severity;

#[tokio::test]
async fn alerts_are_deduplicated_resolved_or_dismissed_and_archived() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let open = app.call(ListAlerts { archive: false }).await.expect("list");
        assert_eq!(open.len(), 2, "{backend:?}: the demo's two");
        assert_eq!((open[0].severity, open[1].severity), (Severity::Critical, Severity::Warning));

        // The same cause twice is one alert seen twice.
        let cause = |n: i64| Raise {
            rule: "cooldown_ending",
            cause_key: "cooldown:test".into(),
            severity: Severity::Info,
            title: "+1 (512) 555-0160 leaves quarantine in 5 days".into(),
            body: format!("Seen {n}"),
            thread_id: None,
            number_id: None,
        };
        let mut c = app.db().write.acquire().await.unwrap();
        let (first, new) = raise(&mut c, app.org(), cause(1), app::platform::now()).await.unwrap().expect("raised");
        let (second, again) = raise(&mut c, app.org(), cause(2), app::platform::now()).await.unwrap().expect("raised");
        drop(c);
        assert_eq!((first, new, again), (second, true, false), "{backend:?}");
        let open = app.call(ListAlerts { archive: false }).await.unwrap();
        let info = open.iter().find(|a| a.id == first).expect("info alert listed").clone();
        assert_eq!((info.count, info.body.as_str()), (2, "Seen 2"));

        // Critical alerts can't be dismissed; refusing changes nothing.
        let critical = open[0].clone();
        let e = app.call(CloseAlert { id: critical.id, dismiss: true, note: String::new() }).await.unwrap_err();
        assert_eq!(e.0, 409);
        assert!(e.1.to_string().contains("Critical alerts can't be dismissed"), "{e:?}");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM alerts WHERE id = {} AND status = 'open'", critical.id)).await,
            1
        );

        app.call(CloseAlert { id: critical.id, dismiss: false, note: "Called Uma; she has a new phone".into() })
            .await
            .expect("resolve");
        let warning = open.iter().find(|a| a.severity == Severity::Warning).unwrap().clone();
        app.call(CloseAlert { id: warning.id, dismiss: true, note: String::new() }).await.expect("dismiss");
        let e = app.call(CloseAlert { id: warning.id, dismiss: false, note: String::new() }).await.unwrap_err();
        assert_eq!(e.0, 409, "already closed");

        let open = app.call(ListAlerts { archive: false }).await.unwrap();
        assert_eq!(open.iter().map(|a| a.id).collect::<Vec<_>>(), vec![first]);
        let archive = app.call(ListAlerts { archive: true }).await.unwrap();
        assert_eq!(archive.len(), 2);
        let resolved = archive.iter().find(|a| a.id == critical.id).unwrap();
        assert_eq!(resolved.status, app::domain::alerts::AlertStatus::Resolved);
        let closed = resolved.closed.clone().unwrap_or_default();
        assert!(
            closed.starts_with("Resolved by Olivia Grant") && closed.ends_with(": Called Uma; she has a new phone"),
            "{closed}"
        );
        assert!(archive
            .iter()
            .any(|a| a.id == warning.id && a.closed.as_deref().is_some_and(|c| c.starts_with("Dismissed by"))));
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type IN ('alert.resolved', 'alert.dismissed')")
                .await,
            2
        );

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, ListAlerts { archive: false }).await.unwrap_err().0, 403);
        let e = call_with(&sitter, &app.addr, CloseAlert { id: first, dismiss: false, note: String::new() }).await;
        assert_eq!(e.unwrap_err().0, 403);
    }
}
