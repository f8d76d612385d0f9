//! The audit timeline (SPEC §3.8, §4.9): filters, pages, chain check, CSV
//! export with its limit, and who may see it.

use crate::helpers::*;
use app::audit::{AuditFilter, AuditTimeline, VerifyAuditChain};

#[tokio::test]
async fn the_owner_filters_the_timeline_verifies_the_chain_and_exports_csv() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");

        let all = app.call(AuditTimeline { filter: AuditFilter::default(), before: None }).await.expect("timeline");
        assert!(!all.items.is_empty(), "{backend:?}: the demo leaves a trail");
        assert!(all.items.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        assert!(all.event_types.contains(&"message.received".to_string()) || !all.event_types.is_empty());
        if let Some(before) = all.next_before {
            let older = app.call(AuditTimeline { filter: AuditFilter::default(), before: Some(before) }).await.unwrap();
            assert!(older.items.iter().all(|r| r.id < before), "{backend:?}: the next page is older");
        }
        let kind = all.items[0].event_type.clone();
        let only = app
            .call(AuditTimeline {
                filter: AuditFilter { event_type: kind.clone(), ..Default::default() },
                before: None,
            })
            .await
            .unwrap();
        assert!(only.items.iter().all(|r| r.event_type == kind));
        let thread = app.thread_of("+17375550119", "+15125550100").await.0;
        let by_thread = app
            .call(AuditTimeline {
                filter: AuditFilter { thread: thread.to_string(), ..Default::default() },
                before: None,
            })
            .await
            .unwrap();
        assert!(by_thread.items.iter().all(|r| r.thread_id == Some(thread)), "{backend:?}");
        let bad = app
            .call(AuditTimeline {
                filter: AuditFilter { from: "last week".into(), ..Default::default() },
                before: None,
            })
            .await
            .unwrap_err();
        assert_eq!((bad.0, bad.1.field_name()), (422, Some("from")));
        let backwards = app
            .call(AuditTimeline {
                filter: AuditFilter { from: "2026-11-20".into(), to: "2026-11-10".into(), ..Default::default() },
                before: None,
            })
            .await
            .unwrap_err();
        assert_eq!(backwards.1.field_name(), Some("to"));

        let chain = app.call(VerifyAuditChain {}).await.expect("verify");
        assert!(chain.intact, "{backend:?}: {}", chain.detail);

        let resp = app.get(&format!("/audit/export.csv?event_type={kind}")).await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
        let csv = resp.text().await.unwrap();
        assert!(csv.lines().next().unwrap().starts_with("id,sequence,time_utc"));
        assert!(csv.lines().count() > only.items.len(), "{backend:?}: every matching event, not just a page");
        assert!(csv.lines().skip(1).all(|l| l.contains(&kind)), "only the filtered type");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'audit.exported'").await, 1);

        // Sitters and strangers can't.
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(sitter.get(app.url("/audit/export.csv")).send().await.unwrap().status(), 403);
        assert_eq!(
            call_with(&sitter, &app.addr, AuditTimeline { filter: AuditFilter::default(), before: None })
                .await
                .unwrap_err()
                .0,
            403
        );
        assert_eq!(new_client().get(app.url("/audit/export.csv")).send().await.unwrap().status(), 401);
    }
}

#[tokio::test]
async fn an_export_past_ten_thousand_events_is_refused_with_a_clear_message() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let org = app.org().0;
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
             INSERT INTO audit_events (org_id, seq, at, actor_kind, actor_name, entity_kind, event_type, summary, payload, prev_hash, hash)
             SELECT {org}, 1000000 + i, 1, 'system', 'Bulk', 'test', 'test.bulk', 'bulk', '{{}}', 'x', 'x' FROM n"
        ))
        .execute(&app.db().write)
        .await
        .expect("bulk events");
        let resp = app.get("/audit/export.csv?event_type=test.bulk").await;
        assert_eq!(resp.status(), 422, "{backend:?}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("More than 10000 events match"), "{text}");
        let ok = app.get("/audit/export.csv?event_type=test.bulk&from=2000-01-01").await;
        assert_eq!(ok.status(), 200, "{backend:?}: a narrower export works");
    }
}
