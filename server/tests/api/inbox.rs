//! The inbox as each role sees it, and the sitter privacy promise (SPEC §2):
//! no client number, in any format, in anything a sitter can fetch.

use crate::helpers::*;
use app::domain::ids::{MessageId, ThreadId};
use app::inbox::{
    GetThread, InboxFilter, ListThreads, RetryMessage, RoutingDecision, SendMessage, SendResult, SetRead, ThreadQuery,
    UnreadCount, ViolationDetail,
};
use serde::Serialize;
use std::time::Duration;

const ANA: &str = "+17375550100";
const MAYA_NUMBER: &str = "+15125550101";
const TOM: &str = "+17375550119";
const FRONT_DESK: &str = "+15125550100";

/// Every client number of the business as its ten national digits.
async fn client_numbers(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT e164 FROM client_contacts").fetch_all(&app.db().read).await.expect("contacts");
    let v: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("e164").expect("e164").trim_start_matches("+1").to_string())
        .collect();
    assert!(v.len() >= 20, "the demo business has its clients");
    v
}

/// Finds a client number written any way at all: runs of digits with
/// spaces, dots, dashes, brackets or a plus between them are joined and
/// searched for each client's ten digits.
fn leaks(text: &str, numbers: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut run = String::new();
    let mut flush = |run: &mut String| {
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        for n in numbers {
            if digits.contains(n.as_str()) {
                found.push(format!("{n} in {run:?}"));
            }
        }
        run.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_digit() || (!run.is_empty() && " .-()+\u{a0}".contains(ch)) {
            run.push(ch);
        } else {
            flush(&mut run);
        }
    }
    flush(&mut run);
    found
}

/// A server function call, returning whatever came back as text.
async fn raw<F: server_fn::ServerFn + Serialize>(client: &reqwest::Client, addr: &str, args: F) -> (u16, String) {
    let res = client
        .post(format!("{addr}{}", F::PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(serde_qs::to_string(&args).expect("encode"))
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

#[test]
fn the_leak_finder_finds_numbers_in_every_format() {
    let n = vec!["7375550100".to_string()];
    for text in ["+17375550100", "(737) 555-0100", "737.555.0100", "737 555 0100", "1-737-555-0100", "x7375550100y"] {
        assert_eq!(leaks(text, &n).len(), 1, "{text}");
    }
    assert!(leaks("Maya +1 (512) 555-0101 at 3:00 PM", &n).is_empty());
}

#[tokio::test]
async fn a_sitter_never_receives_a_client_number_from_pages_functions_or_the_event_stream() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let numbers = client_numbers(&app).await;
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let mut seen: Vec<(String, String)> = Vec::new();

        // The event stream, open while things happen.
        let mut events = sitter.get(app.url("/events")).send().await.expect("events");
        assert_eq!(events.status().as_u16(), 200);
        assert_eq!(
            app.text_in("SMpriv1", ANA, MAYA_NUMBER, "Hi Maya, Max ate his breakfast").await.status().as_u16(),
            200
        );
        assert_eq!(
            app.text_in("SMpriv2", ANA, MAYA_NUMBER, "my cell is 737 555 0100 btw").await.status().as_u16(),
            200
        );
        assert_eq!(
            app.text_in("SMpriv3", TOM, FRONT_DESK, "Tom here, can someone call me").await.status().as_u16(),
            200
        );
        let mut stream = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, events.chunk()).await {
            stream.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(stream.contains("hello"), "the stream said hello: {stream}");
        assert!(stream.contains("message"), "the sitter heard about Ana's message: {stream}");
        seen.push(("/events".into(), stream));

        // Every page, including ones the sitter is refused.
        let thread_ids: Vec<i64> = {
            use sqlx::Row;
            sqlx::query("SELECT id FROM threads ORDER BY id")
                .fetch_all(&app.db().read)
                .await
                .expect("threads")
                .iter()
                .map(|r| r.try_get::<i64, _>("id").expect("id"))
                .collect()
        };
        let mut paths: Vec<String> = [
            "/",
            "/inbox",
            "/schedule",
            "/numbers",
            "/routing",
            "/assignments",
            "/people",
            "/automations",
            "/alerts",
            "/audit",
            "/settings",
            "/setup",
            "/login",
            "/no-such-page",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        paths.extend(thread_ids.iter().map(|id| format!("/inbox/{id}")));
        paths.push(format!("/inbox?q={}", "737"));
        for p in &paths {
            let res = sitter.get(app.url(p)).send().await.expect("page");
            seen.push((p.clone(), res.text().await.expect("html")));
        }

        // Every server function the browser can call, with every filter and
        // searches that try to find clients by number.
        let addr = app.addr.as_str();
        for filter in InboxFilter::ALL {
            for (q, past) in [("", false), ("", true), ("737", false), ("555 0100", true), ("Ana", false)] {
                let query = ThreadQuery { filter, q: q.into(), past, ..Default::default() };
                seen.push((format!("list {filter:?} {q:?} {past}"), raw(&sitter, addr, ListThreads { query }).await.1));
            }
        }
        for id in &thread_ids {
            let t = ThreadId(*id);
            seen.push((format!("get_thread {id}"), raw(&sitter, addr, GetThread { id: t }).await.1));
            seen.push((format!("set_read {id}"), raw(&sitter, addr, SetRead { thread: t, read: true }).await.1));
            let body = "Sure, text me on 737-555-0100".to_string();
            seen.push((
                format!("send {id}"),
                raw(&sitter, addr, SendMessage { thread: t, body, confirm: true }).await.1,
            ));
        }
        let max_message = app.scalar("SELECT COALESCE(MAX(id), 0) FROM messages").await;
        for id in 1..=max_message {
            seen.push((format!("retry {id}"), raw(&sitter, addr, RetryMessage { id: MessageId(id) }).await.1));
        }
        for id in 1..=app.scalar("SELECT COALESCE(MAX(id), 0) FROM routing_decisions").await.min(40) {
            seen.push((format!("decision {id}"), raw(&sitter, addr, RoutingDecision { id }).await.1));
        }
        for id in 1..=app.scalar("SELECT COALESCE(MAX(id), 0) FROM policy_violations").await {
            seen.push((format!("violation {id}"), raw(&sitter, addr, ViolationDetail { id }).await.1));
        }
        seen.push(("unread".into(), raw(&sitter, addr, UnreadCount {}).await.1));
        seen.push(("whoami".into(), raw(&sitter, addr, app::auth::Whoami {}).await.1));

        let mut problems = Vec::new();
        for (what, text) in &seen {
            for leak in leaks(text, &numbers) {
                problems.push(format!("{what}: {leak}"));
            }
        }
        assert!(problems.is_empty(), "{backend:?}: a client number reached the sitter:\n{}", problems.join("\n"));

        // The same check finds numbers where owners are meant to see them.
        let owner = app.client_for("owner@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let (_, owner_view) = raw(&owner, addr, GetThread { id: ana }).await;
        assert!(!leaks(&owner_view, &numbers).is_empty(), "owners see client numbers");
    }
}

#[tokio::test]
async fn a_sitter_is_refused_outside_the_window_with_the_window_times() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    let tom = app.thread_of(TOM, FRONT_DESK).await;
    let (status, err) = call_with(&sitter, &app.addr, GetThread { id: tom }).await.unwrap_err();
    assert_eq!(status, 403);
    assert!(err.to_string().contains("isn't assigned to you"), "{err}");
    let before = app.scalar("SELECT COUNT(*) FROM messages").await;
    let refused = call_with(&sitter, &app.addr, SendMessage { thread: tom, body: "hello".into(), confirm: false })
        .await
        .expect("answer");
    assert!(
        matches!(&refused, SendResult::Refused { reason } if reason.contains("you have none with them")),
        "{refused:?}"
    );
    // A client from a past visit: the refusal says when the window ended.
    let maya = app.sitter_id("Maya").await;
    let past = app
        .scalar(&format!(
            "SELECT w.thread_id FROM assignment_windows w WHERE w.sitter_id = {} AND w.deleted_at IS NULL AND w.ends_at < {}
               AND NOT EXISTS (SELECT 1 FROM assignment_windows x WHERE x.thread_id = w.thread_id AND x.sitter_id = w.sitter_id AND x.ends_at >= {})
             ORDER BY w.thread_id LIMIT 1",
            maya.0,
            app::platform::ms(app::platform::now()),
            app::platform::ms(app::platform::now()),
        ))
        .await;
    let refused =
        call_with(&sitter, &app.addr, SendMessage { thread: ThreadId(past), body: "hello".into(), confirm: false })
            .await
            .expect("answer");
    assert!(matches!(&refused, SendResult::Refused { reason } if reason.contains("Your window ended")), "{refused:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, before, "a refusal writes no message");
}

#[tokio::test]
async fn owner_search_finds_clients_by_name_text_sitter_and_number() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let search = |q: &str| ThreadQuery { q: q.into(), ..Default::default() };
        for (q, expect) in [("Ana Lopez", "Ana Lopez"), ("555-0150", "Zoe Hughes"), ("(737) 555-0119", "Tom Fischer")] {
            let page = app.call(ListThreads { query: search(q) }).await.expect("search");
            assert!(page.items.iter().any(|t| t.client == expect), "{backend:?} {q}: {:?}", page.items);
        }
        let none = app.call(ListThreads { query: search("zzzz no such words") }).await.expect("search");
        assert!(none.items.is_empty());
        let (status, err) = app
            .call(ListThreads { query: ThreadQuery { from: "31/12/2026".into(), ..Default::default() } })
            .await
            .unwrap_err();
        assert_eq!(status, 422);
        assert!(err.to_string().contains("isn't a date"), "{err}");
        // An owner's send from the Front Desk thread goes out and is recorded.
        let tom = app.thread_of(TOM, FRONT_DESK).await;
        let sent =
            app.call(SendMessage { thread: tom, body: "See you Monday".into(), confirm: false }).await.expect("send");
        assert!(matches!(sent, SendResult::Sent { .. } | SendResult::Scheduled { .. }), "{sent:?}");
    }
}

#[tokio::test]
async fn read_state_is_each_persons_own() {
    for backend in backends() {
        let stub = crate::twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let unread = |who: &'static str| {
            let (app, sitter) = (&app, &sitter);
            async move {
                match who {
                    "owner" => app.call(UnreadCount {}).await.unwrap(),
                    _ => call_with(sitter, &app.addr, UnreadCount {}).await.unwrap(),
                }
            }
        };
        let thread_unread = |who: &'static str| {
            let (app, sitter) = (&app, &sitter);
            async move {
                match who {
                    "owner" => app.call(GetThread { id: ana }).await.unwrap().unread,
                    _ => call_with(sitter, &app.addr, GetThread { id: ana }).await.unwrap().unread,
                }
            }
        };
        // Both have read Ana's conversation; then she texts twice.
        app.call(SetRead { thread: ana, read: true }).await.unwrap();
        call_with(&sitter, &app.addr, SetRead { thread: ana, read: true }).await.unwrap();
        let (owner_before, sitter_before) = (unread("owner").await, unread("sitter").await);
        tokio::time::sleep(Duration::from_millis(5)).await;
        app.text_in("SMread00000000000000000000000001", ANA, MAYA_NUMBER, "Is Max eating?").await;
        app.text_in("SMread00000000000000000000000002", ANA, MAYA_NUMBER, "And walking OK?").await;
        assert_eq!(unread("owner").await, owner_before + 1, "{backend:?}");
        assert_eq!(unread("sitter").await, sitter_before + 1, "{backend:?}");
        assert_eq!(thread_unread("sitter").await, 2);

        // The owner reads it: only the owner's count goes down.
        app.call(SetRead { thread: ana, read: true }).await.unwrap();
        assert_eq!(unread("owner").await, owner_before, "{backend:?}");
        assert_eq!(unread("sitter").await, sitter_before + 1, "{backend:?}: the owner's glance isn't Maya's");
        assert_eq!(thread_unread("sitter").await, 2);
        assert_eq!(thread_unread("owner").await, 0);
        let mine = call_with(
            &sitter,
            &app.addr,
            ListThreads { query: ThreadQuery { filter: InboxFilter::Unread, ..ThreadQuery::default() } },
        )
        .await
        .unwrap();
        assert!(mine.items.iter().any(|t| t.id == ana && t.unread == 2), "{backend:?}: {:?}", mine.items);

        // Maya answers: she has read it; the owner's state doesn't move.
        let sent =
            call_with(&sitter, &app.addr, SendMessage { thread: ana, body: "Yes, all good!".into(), confirm: false })
                .await;
        assert!(matches!(sent, Ok(SendResult::Sent { .. })), "{sent:?}");
        assert_eq!(unread("sitter").await, sitter_before, "{backend:?}");
        // The owner marks it unread for themselves; Maya's stays read.
        app.call(SetRead { thread: ana, read: false }).await.unwrap();
        assert_eq!(unread("owner").await, owner_before + 1);
        assert_eq!(unread("sitter").await, sitter_before);
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE event_type = 'thread.marked_unread' AND thread_id = {}",
                ana.0
            ))
            .await,
            1
        );
    }
}
