//! The dashboard's numbers (SPEC §4.2) match the lists they link to.

use crate::helpers::*;
use app::dashboard::DashboardToday;

#[tokio::test]
async fn the_dashboard_counts_what_its_links_list_and_is_for_owners() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.expect("sign in");
        let t = app.call(DashboardToday {}).await.expect("today");
        assert_eq!(t.unread_threads, app.scalar("SELECT COUNT(*) FROM threads WHERE unread_count > 0").await);
        assert!(t.unread_threads > 0, "{backend:?}: the demo has unread conversations");
        let now = app::platform::ms(app::platform::now());
        let active = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM assignment_windows WHERE deleted_at IS NULL AND starts_at <= {now} AND ends_at > {now}"
            ))
            .await;
        assert_eq!(t.active_now.len() as i64, active.min(8));
        assert_eq!(t.open_violations, app.scalar("SELECT COUNT(*) FROM policy_violations WHERE status = 'open'").await);
        assert!(t.demo, "{backend:?}: the demo business says so");
        assert!(!t.recent.is_empty());

        // An unread inbound text shows up in the count.
        let before = t.unread_threads;
        // The owner has read everything (read state is each person's own).
        app.exec("DELETE FROM thread_reads WHERE user_id = 1").await;
        app.exec(&format!(
            "INSERT INTO thread_reads (thread_id, user_id, read_at, marked_unread) SELECT id, 1, {}, 0 FROM threads",
            app::platform::ms(app::platform::now())
        ))
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = app.text_in("SMdash0001", "+17375550119", "+15125550100", "Are you open on Sunday?").await;
        assert!(r.status().is_success());
        eventually(10, "the text is counted", || async {
            app.call(DashboardToday {}).await.map(|t| t.unread_threads).unwrap_or(0) == 1
        })
        .await;
        assert!(before >= 1);

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, DashboardToday {}).await.unwrap_err().0, 403);
    }
}
