//! Routing control (SPEC §4.4): overrides and their rules, expiry by job,
//! the simulator's server check, history, and owner-only access.

use crate::helpers::*;
use app::domain::routing::{decide, Direction, Rule, Target};
use app::routing::{
    CheckOnServer, CreateOverride, RemoveOverride, RoutingHistory, RoutingOverview, SimulatorBase, STRANGER,
};

const ANA: &str = "+17375550100";
const MAYA_NUMBER: &str = "+15125550101";

async fn last_rule(app: &TestApp) -> (String, String) {
    let rule = app.text("SELECT rule FROM routing_decisions ORDER BY id DESC LIMIT 1").await.unwrap_or_default();
    let target = app.text("SELECT target FROM routing_decisions ORDER BY id DESC LIMIT 1").await.unwrap_or_default();
    (rule, target)
}

#[tokio::test]
async fn an_override_wins_until_removed_and_only_one_can_be_active() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        app.text_in("SMov1", ANA, MAYA_NUMBER, "Morning!").await;
        assert_eq!(last_rule(&app).await, ("window".into(), "sitter".into()), "{backend:?}: Maya's window decides");

        let create = |target: &str, duration: &str, reason: &str| CreateOverride {
            thread: ana,
            target: target.into(),
            duration: duration.into(),
            reason: reason.into(),
        };
        // Bad input: clear errors, nothing written.
        let before = app.scalar("SELECT COUNT(*) FROM routing_overrides").await;
        let (status, err) = app.call(create("owner_inbox", "4h", "   ")).await.unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("reason")), "{err}");
        let (status, err) = app.call(create("owner_inbox", "3 days", "sick")).await.unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("duration")), "{err}");
        let (status, err) = app.call(create("sitter:9999", "4h", "sick")).await.unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("target")), "{err}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM routing_overrides").await, before);

        let id = app.call(create("owner_inbox", "4h", "Maya is off sick")).await.expect("create");
        app.text_in("SMov2", ANA, MAYA_NUMBER, "Is Maya coming?").await;
        assert_eq!(last_rule(&app).await, ("override".into(), "owner_inbox".into()), "{backend:?}");

        let (status, err) = app.call(create("owner_inbox", "1h", "again")).await.unwrap_err();
        assert_eq!(status, 409);
        assert!(err.to_string().contains("Remove it first"), "{err}");

        app.call(RemoveOverride { id }).await.expect("remove");
        let (status, _) = app.call(RemoveOverride { id }).await.unwrap_err();
        assert_eq!(status, 409, "removing twice is refused");
        app.text_in("SMov3", ANA, MAYA_NUMBER, "Never mind").await;
        assert_eq!(last_rule(&app).await, ("window".into(), "sitter".into()), "{backend:?}: back to the window");

        for kind in ["routing.override_created", "routing.override_removed"] {
            assert_eq!(
                app.scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE event_type = '{kind}'")).await,
                1,
                "{backend:?}: {kind} audited"
            );
        }
        let overview = app.call(RoutingOverview {}).await.expect("overview");
        assert!(overview.overrides.iter().any(|o| o.id == id && o.state == "Removed"));
        assert!(overview.rules.iter().any(|r| r.rule == Rule::Override && r.decided_24h >= 1));
    }
}

#[tokio::test]
async fn an_override_expires_by_itself_audited_and_announced() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let id = app
            .call(CreateOverride {
                thread: ana,
                target: "owner_inbox".into(),
                duration: "1h".into(),
                reason: "Vet visit".into(),
            })
            .await
            .expect("create");
        // Pretend the hour has passed.
        let past = app::platform::ms(app::platform::now()) - 1_000;
        sqlx::query(&format!("UPDATE routing_overrides SET ends_at = {past} WHERE id = {id}"))
            .execute(&app.db().write)
            .await
            .unwrap();
        sqlx::query(&format!("UPDATE jobs SET run_at = {past} WHERE kind = 'override.expire'"))
            .execute(&app.db().write)
            .await
            .unwrap();
        app.state.jobs_wake.notify_one();
        let db = app.db().read.clone();
        eventually(15, "the override marked expired", || {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!(
                    "SELECT COUNT(*) FROM routing_overrides WHERE id = {id} AND expired_at IS NOT NULL"
                ))
                .fetch_one(&db)
                .await
                .unwrap()
                    == 1
            }
        })
        .await;
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'routing.override_expired'").await,
            1
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'override_expired'").await, 1);
        // The owner sees it under the bell; sitters don't get org-wide notes.
        let notes = app.call(app::notifications::Notifications {}).await.expect("notifications");
        assert_eq!(notes.unread, 1);
        assert!(notes.items[0].text.contains("override on Ana Lopez's conversation ended"), "{:?}", notes.items);
        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert!(call_with(&sitter, &app.addr, app::notifications::Notifications {})
            .await
            .expect("sitter notes")
            .items
            .is_empty());
        app.call(app::notifications::MarkNotificationsRead {}).await.expect("read");
        assert_eq!(app.call(app::notifications::Notifications {}).await.expect("notifications").unread, 0);
        app.text_in("SMexp1", ANA, MAYA_NUMBER, "Back to normal?").await;
        assert_eq!(last_rule(&app).await, ("window".into(), "sitter".into()), "{backend:?}");
    }
}

#[tokio::test]
async fn the_browser_simulation_and_the_server_check_agree() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let base = app.call(SimulatorBase { thread: Some(ana), client: None }).await.expect("base").expect("a thread");
        assert!(base.senders.iter().any(|(_, e)| e == ANA) && base.senders.iter().any(|(_, e)| e == STRANGER));
        let now = app::platform::now();
        for (hours, sender) in [(0i64, ANA), (-30, ANA), (10, ANA), (0, STRANGER), (20, ANA)] {
            let at = now + chrono::Duration::hours(hours);
            let mut snap = base.snapshot.clone();
            snap.at = at;
            snap.sender = app::domain::phone::E164::from_canonical(sender).unwrap();
            let local = decide(&snap);
            let server = app
                .call(CheckOnServer {
                    thread: Some(ana),
                    client: None,
                    at: at.to_rfc3339(),
                    sender: sender.into(),
                    direction: Direction::Inbound,
                })
                .await
                .expect("check");
            assert_eq!(
                (local.target, local.rule, &local.reason),
                (server.target, server.rule, &server.reason),
                "{backend:?} at {hours}h from {sender}"
            );
        }
        let now_decision = app
            .call(CheckOnServer {
                thread: Some(ana),
                client: None,
                at: now.to_rfc3339(),
                sender: ANA.into(),
                direction: Direction::Inbound,
            })
            .await
            .unwrap();
        assert_eq!(now_decision.target, Target::Sitter);
        let (status, err) = app
            .call(CheckOnServer {
                thread: Some(ana),
                client: None,
                at: "tomorrow".into(),
                sender: ANA.into(),
                direction: Direction::Inbound,
            })
            .await
            .unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("at")));
        // Nothing the simulator does is stored.
        let decisions = app.scalar("SELECT COUNT(*) FROM routing_decisions").await;
        let audit = app.scalar("SELECT COUNT(*) FROM audit_events").await;
        let _ = app.call(SimulatorBase { thread: None, client: None }).await.expect("default thread");
        let check = CheckOnServer {
            thread: Some(ana),
            client: None,
            at: now.to_rfc3339(),
            sender: STRANGER.into(),
            direction: Direction::Inbound,
        };
        app.call(check).await.expect("check");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM routing_decisions").await, decisions);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events").await, audit);
    }
}

#[tokio::test]
async fn a_client_with_no_conversation_previews_their_first_text_to_the_front_desk() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let now = app::platform::ms(app::platform::now());
        let client: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO clients (org_id, name, first_name, created_at, updated_at) VALUES (1, 'Nina Park', 'Nina', {now}, {now}) RETURNING id"
        ))
        .fetch_one(&app.db().write)
        .await
        .unwrap();
        sqlx::query(&format!("INSERT INTO client_contacts (org_id, client_id, e164, created_at) VALUES (1, {client}, '+17375559001', {now})"))
            .execute(&app.db().write)
            .await
            .unwrap();
        let overview = app.call(RoutingOverview {}).await.expect("overview");
        assert!(overview.new_clients.iter().any(|c| c.name == "Nina Park"), "{backend:?}");
        let cid = app::domain::ids::ClientId(client);
        let base = app.call(SimulatorBase { thread: None, client: Some(cid) }).await.expect("base").expect("preview");
        assert!(
            base.preview.as_deref().is_some_and(|p| p.contains("Nina Park has no conversation yet")),
            "{:?}",
            base.preview
        );
        let local = decide(&base.snapshot);
        assert_eq!(local.target, Target::OwnerInbox);
        let server = app
            .call(CheckOnServer {
                thread: None,
                client: Some(cid),
                at: base.snapshot.at.to_rfc3339(),
                sender: "+17375559001".into(),
                direction: Direction::Inbound,
            })
            .await
            .expect("check");
        assert_eq!(
            (local.target, local.rule, local.reason),
            (server.target, server.rule, server.reason),
            "{backend:?}"
        );
        let threads = app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE client_id = {client}")).await;
        assert_eq!(threads, 0, "a preview creates no conversation");
    }
}

#[tokio::test]
async fn history_lists_stored_decisions_with_filters() {
    let app = spawn_demo(Backend::Sqlite).await;
    app.sign_in("owner@example.com", "password123").await.expect("sign in");
    let ana = app.thread_of(ANA, MAYA_NUMBER).await;
    app.text_in("SMh1", ANA, MAYA_NUMBER, "hello").await;
    let all = app
        .call(RoutingHistory { thread: Some(ana), from: "".into(), to: "".into(), rule: "".into(), result: "".into() })
        .await
        .expect("history");
    assert!(!all.is_empty());
    let windows = app
        .call(RoutingHistory {
            thread: Some(ana),
            from: "".into(),
            to: "".into(),
            rule: "window".into(),
            result: "".into(),
        })
        .await
        .expect("history");
    assert!(windows.iter().all(|r| r.rule == Rule::Window) && !windows.is_empty());
    let none = app
        .call(RoutingHistory {
            thread: Some(ana),
            from: "".into(),
            to: "".into(),
            rule: "override".into(),
            result: "".into(),
        })
        .await
        .expect("history");
    assert!(none.is_empty());
    let (status, err) = app
        .call(RoutingHistory {
            thread: Some(ana),
            from: "".into(),
            to: "".into(),
            rule: "magic".into(),
            result: "".into(),
        })
        .await
        .unwrap_err();
    assert_eq!((status, err.field_name()), (422, Some("rule")));
}

#[tokio::test]
async fn sitters_are_refused_every_routing_control() {
    let app = spawn_demo(Backend::Sqlite).await;
    let ana = app.thread_of(ANA, MAYA_NUMBER).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    let a = &app.addr;
    assert_eq!(call_with(&sitter, a, RoutingOverview {}).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, a, SimulatorBase { thread: Some(ana), client: None }).await.unwrap_err().0, 403);
    let check = CheckOnServer {
        thread: Some(ana),
        client: None,
        at: app::platform::now().to_rfc3339(),
        sender: ANA.into(),
        direction: Direction::Inbound,
    };
    assert_eq!(call_with(&sitter, a, check).await.unwrap_err().0, 403);
    let create =
        CreateOverride { thread: ana, target: "owner_inbox".into(), duration: "1h".into(), reason: "x".into() };
    assert_eq!(call_with(&sitter, a, create).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, a, RemoveOverride { id: 1 }).await.unwrap_err().0, 403);
    let history =
        RoutingHistory { thread: Some(ana), from: "".into(), to: "".into(), rule: "".into(), result: "".into() };
    assert_eq!(call_with(&sitter, a, history).await.unwrap_err().0, 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM routing_overrides").await, 0);
}
