//! Assignments (SPEC §3.4, §4.6): the assign flow, overlap refusal, edits,
//! deletes, conflict fixes, and who may do what.

use crate::helpers::*;
use app::assignments::{
    AssignForm, AssignmentsData, CreateAssignment, DeleteWindow, EditWindow, MySchedule, PreviewAssignment,
    ResolveConflict, WindowQuery,
};
use app::domain::ids::{ClientId, WindowId};
use app::domain::time::BusinessTz;
use app::domain::windows::{AssignmentKind, Resolution};

const TOM: &str = "+17375550119";
const MAYA_NUMBER: &str = "+15125550101";

async fn client_id(app: &TestApp, name: &str) -> ClientId {
    ClientId(app.scalar(&format!("SELECT id FROM clients WHERE name = '{name}'")).await)
}

async fn local(app: &TestApp, hours_from_now: i64) -> String {
    let tz = BusinessTz::parse(&app.text("SELECT time_zone FROM organisations LIMIT 1").await.unwrap()).unwrap();
    let t = app::platform::now() + chrono::Duration::hours(hours_from_now);
    tz.local(t).format("%Y-%m-%dT%H:%M").to_string()
}

#[tokio::test]
async fn the_assign_flow_previews_then_creates_the_window_binds_the_number_and_tells_the_client() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let maya = app.sitter_id("Maya").await;
        let tom = client_id(&app, "Tom Fischer").await;
        let form = AssignForm {
            sitter: maya,
            client: tom,
            kind: AssignmentKind::WeeklyClient,
            starts: local(&app, 24).await,
            ends: local(&app, 30).await,
            send_intro_now: false,
        };
        let windows = app.scalar("SELECT COUNT(*) FROM assignment_windows").await;
        let preview = app.call(PreviewAssignment { form: form.clone() }).await.expect("preview");
        assert!(preview.summary.starts_with("Maya will text Tom from +1 (512) 555-0101"), "{}", preview.summary);
        let message = preview.message.clone().expect("Tom is told who his sitter is");
        assert!(message.contains("Maya will look after your pets"), "{message}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM assignment_windows").await,
            windows,
            "{backend:?}: a preview writes nothing"
        );

        let id = app.call(CreateAssignment { form: form.clone() }).await.expect("create");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM assignment_windows").await, windows + 1);
        let thread = app.thread_of(TOM, MAYA_NUMBER).await;
        assert_eq!(
            app.scalar(&format!("SELECT thread_id FROM assignment_windows WHERE id = {}", id.0)).await,
            thread.0
        );
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM bookings WHERE client_id = {}", tom.0)).await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.created'").await, 1);
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE thread_id = {} AND direction = 'outbound' AND body LIKE '%Maya will look after%'", thread.0)).await,
            1,
            "{backend:?}: the introduction is queued from Maya's number"
        );

        // The same again overlaps: refused, showing the other window, nothing written.
        let (status, err) = app.call(CreateAssignment { form: form.clone() }).await.unwrap_err();
        assert_eq!(status, 409);
        assert!(err.to_string().contains("overlaps Maya's window"), "{err}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM assignment_windows").await, windows + 1);

        // Bad input: a clear error on the right field.
        for (starts, ends, field) in [
            (local(&app, 30).await, local(&app, 24).await, "ends"),
            ("next tuesday".to_string(), local(&app, 24).await, "starts"),
            (local(&app, -30).await, local(&app, -24).await, "ends"),
        ] {
            let f = AssignForm { starts, ends, ..form.clone() };
            let (status, err) = app.call(PreviewAssignment { form: f }).await.unwrap_err();
            assert_eq!((status, err.field_name()), (422, Some(field)), "{err}");
        }
        let f = AssignForm { client: ClientId(999_999), ..form.clone() };
        assert_eq!(app.call(PreviewAssignment { form: f }).await.unwrap_err().1.field_name(), Some("client"));

        // A second window for the same sitter: no new introduction.
        let next = AssignForm { starts: local(&app, 48).await, ends: local(&app, 50).await, ..form.clone() };
        assert_eq!(app.call(PreviewAssignment { form: next }).await.expect("preview").message, None);

        // Edit: moving onto the other window is refused; a valid move is audited.
        let later = app
            .call(CreateAssignment {
                form: AssignForm { starts: local(&app, 72).await, ends: local(&app, 76).await, ..form.clone() },
            })
            .await
            .expect("create");
        let (status, _) = app
            .call(EditWindow { id: later, starts: local(&app, 25).await, ends: local(&app, 74).await })
            .await
            .unwrap_err();
        assert_eq!(status, 409);
        app.call(EditWindow { id: later, starts: local(&app, 80).await, ends: local(&app, 84).await })
            .await
            .expect("edit");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.changed'").await, 1);

        // Delete: gone from the board, audited, and a second delete is a clear 404.
        app.call(DeleteWindow { id: later }).await.expect("delete");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM assignment_windows WHERE id = {} AND deleted_at IS NOT NULL",
                later.0
            ))
            .await,
            1
        );
        assert_eq!(app.call(DeleteWindow { id: later }).await.unwrap_err().0, 404);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.deleted'").await, 1);
    }
}

#[tokio::test]
async fn a_one_time_booking_borrows_the_least_recently_used_free_pool_number() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let maya = app.sitter_id("Maya").await;
        let tom = client_id(&app, "Tom Fischer").await;
        let form = AssignForm {
            sitter: maya,
            client: tom,
            kind: AssignmentKind::OneTimeBooking,
            starts: local(&app, 2).await,
            ends: local(&app, 6).await,
            send_intro_now: false,
        };
        let preview = app.call(PreviewAssignment { form: form.clone() }).await.expect("preview");
        assert!(preview.lines.iter().any(|l| l.starts_with("Lends pool number")), "{:?}", preview.lines);
        let id = app.call(CreateAssignment { form }).await.expect("create");
        let number = app
            .scalar(&format!(
                "SELECT t.number_id FROM assignment_windows w JOIN threads t ON t.id = w.thread_id WHERE w.id = {}",
                id.0
            ))
            .await;
        assert_eq!(
            app.text(&format!("SELECT class FROM numbers WHERE id = {number}")).await.as_deref(),
            Some("pool"),
            "{backend:?}"
        );
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {number} AND is_current = 1")).await,
            1
        );
        assert!(app.scalar(&format!("SELECT COALESCE(last_used_at, 0) FROM numbers WHERE id = {number}")).await > 0);
    }
}

#[tokio::test]
async fn a_conflict_is_listed_with_fixes_and_a_fix_resolves_it_once() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let board = app.call(AssignmentsData { query: WindowQuery::default() }).await.expect("board");
        assert_eq!(board.conflicts.len(), 1, "{backend:?}: the demo has one conflict (Sam and Priya)");
        let c = &board.conflicts[0];
        assert!(c.fixes.len() >= 3, "{:?}", c.fixes);
        let split = c.fixes.iter().find(|(_, f)| matches!(f, Resolution::SplitAt { .. })).expect("a split").1.clone();
        app.call(ResolveConflict { fix: split.clone() }).await.expect("resolve");
        let board = app.call(AssignmentsData { query: WindowQuery::default() }).await.expect("board");
        assert!(board.conflicts.is_empty(), "{backend:?}");
        assert_eq!(app.call(ResolveConflict { fix: split }).await.unwrap_err().0, 409, "already resolved");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.conflict_resolved'").await,
            1
        );
        let (status, err) = app
            .call(AssignmentsData { query: WindowQuery { status: "sideways".into(), ..Default::default() } })
            .await
            .unwrap_err();
        assert_eq!((status, err.field_name()), (422, Some("status")));
    }
}

#[tokio::test]
async fn sitters_see_only_their_own_schedule_and_cannot_assign() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    let a = &app.addr;
    let maya = app.sitter_id("Maya").await;
    let mine = call_with(&sitter, a, MySchedule {}).await.expect("schedule");
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|w| w.sitter_id == maya && !w.client.contains(' ')), "first names only, own windows only");
    let tom = client_id(&app, "Tom Fischer").await;
    let form = AssignForm {
        sitter: maya,
        client: tom,
        kind: AssignmentKind::WeeklyClient,
        starts: local(&app, 24).await,
        ends: local(&app, 30).await,
        send_intro_now: false,
    };
    assert_eq!(call_with(&sitter, a, AssignmentsData { query: WindowQuery::default() }).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, a, PreviewAssignment { form: form.clone() }).await.unwrap_err().0, 403);
    assert_eq!(call_with(&sitter, a, CreateAssignment { form }).await.unwrap_err().0, 403);
    let any = WindowId(app.scalar("SELECT MIN(id) FROM assignment_windows").await);
    assert_eq!(
        call_with(&sitter, a, EditWindow { id: any, starts: local(&app, 1).await, ends: local(&app, 2).await })
            .await
            .unwrap_err()
            .0,
        403
    );
    assert_eq!(call_with(&sitter, a, DeleteWindow { id: any }).await.unwrap_err().0, 403);
    let fix = Resolution::Keep { keep: any, delete: any };
    assert_eq!(call_with(&sitter, a, ResolveConflict { fix }).await.unwrap_err().0, 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM assignment_windows WHERE deleted_at IS NOT NULL").await, 0);
}

#[tokio::test]
async fn an_introduction_made_in_quiet_hours_waits_for_them_to_end_unless_the_owner_sends_it_now() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        // Quiet hours from an hour ago until two hours from now.
        app.set_quiet_hours(-1, 2).await;

        let maya = app.sitter_id("Maya").await;
        let jordan = app.sitter_id("Jordan").await;
        let tom = client_id(&app, "Tom Fischer").await;
        let form = AssignForm {
            sitter: maya,
            client: tom,
            kind: AssignmentKind::WeeklyClient,
            starts: local(&app, 24).await,
            ends: local(&app, 30).await,
            send_intro_now: false,
        };
        let preview = app.call(PreviewAssignment { form: form.clone() }).await.expect("preview");
        let waits = preview.waits_until.clone().expect("the preview says the text waits");
        assert!(preview.lines.iter().any(|l| l.contains("quiet hours") && l.contains(&waits)), "{:?}", preview.lines);
        app.call(CreateAssignment { form }).await.expect("create");
        let thread = app.thread_of(TOM, MAYA_NUMBER).await;
        let scheduled = app
            .scalar(&format!(
                "SELECT COALESCE(MAX(scheduled_for), 0) FROM messages WHERE thread_id = {} AND body LIKE '%Maya will look after%'",
                thread.0
            ))
            .await;
        assert!(scheduled > now_ms() + 90 * 60_000, "{backend:?}: held until quiet hours end ({scheduled})");
        assert_eq!(
            app.text(&format!(
                "SELECT status FROM messages WHERE thread_id = {} AND body LIKE '%Maya will look after%'",
                thread.0
            ))
            .await
            .as_deref(),
            Some("queued")
        );

        // "Send it now": the owner's explicit choice goes at once and is recorded.
        let now_form = AssignForm {
            sitter: jordan,
            client: tom,
            kind: AssignmentKind::WeeklyClient,
            starts: local(&app, 48).await,
            ends: local(&app, 50).await,
            send_intro_now: true,
        };
        let p = app.call(PreviewAssignment { form: now_form.clone() }).await.expect("preview");
        assert!(p.waits_until.is_none() && p.message.is_some(), "{p:?}");
        app.call(CreateAssignment { form: now_form }).await.expect("create");
        let unscheduled = app
            .scalar(
                "SELECT COUNT(*) FROM messages WHERE body LIKE '%Jordan will look after%' AND scheduled_for IS NULL",
            )
            .await;
        assert_eq!(unscheduled, 1, "{backend:?}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.created' AND payload LIKE '%\"intro_sent_in_quiet_hours\":true%'").await,
            1
        );
    }
}
