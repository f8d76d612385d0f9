//! The store: migrations, demo data, and the audit trail's guarantees on
//! both databases.

use crate::helpers::*;
use app::domain::ids::OrgId;
use app::platform::audit::{self, Actor, Event};
use app::platform::DbKind;

#[tokio::test]
async fn migrations_and_demo_data_load_on_every_database() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let count = |table: &'static str| {
            let db = app.db().read.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.unwrap()
            }
        };
        assert_eq!(count("clients").await, 30, "{:?}", app.backend);
        assert_eq!(count("sitters").await, 5);
        assert_eq!(count("numbers").await, 10);
        assert!(count("messages").await > 60);
        let active_windows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assignment_windows WHERE starts_at <= $1 AND ends_at > $1")
                .bind(app::platform::ms(app::platform::now()))
                .fetch_one(&app.db().read)
                .await
                .unwrap();
        assert!(active_windows >= 4, "windows are around now");
    }
}

async fn first_org(app: &TestApp) -> OrgId {
    OrgId(sqlx::query_scalar("SELECT MIN(id) FROM organisations").fetch_one(&app.db().read).await.unwrap())
}

#[tokio::test]
async fn audit_events_refuse_update_and_delete_in_the_database_itself() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let update = sqlx::query("UPDATE audit_events SET summary = 'edited'").execute(&app.db().write).await;
        assert!(update.unwrap_err().to_string().contains("append-only"), "{backend:?}");
        let delete = sqlx::query("DELETE FROM audit_events").execute(&app.db().write).await;
        assert!(delete.unwrap_err().to_string().contains("append-only"), "{backend:?}");
        let org = first_org(&app).await;
        assert!(audit::verify(app.db(), org).await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn the_hash_chain_detects_an_edit_made_behind_the_triggers_back() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let org = first_org(&app).await;
        for i in 0..3 {
            let mut tx = app.db().begin().await.unwrap();
            audit::append(
                &mut tx,
                org,
                &Actor::system(None),
                Event::new("test.event", "test", i, format!("event {i}")),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let report = audit::verify(app.db(), org).await.unwrap();
        assert_eq!((report.events, report.broken.clone()), (4, None));
        // Someone with database access switches the guard off and edits.
        let (off, on) = match app.db().kind {
            DbKind::Sqlite => (
                "DROP TRIGGER audit_events_no_update",
                "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
            ),
            DbKind::Postgres => (
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
                "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update",
            ),
        };
        sqlx::query(off).execute(&app.db().write).await.unwrap();
        sqlx::query("UPDATE audit_events SET summary = 'nothing happened' WHERE seq = 3")
            .execute(&app.db().write)
            .await
            .unwrap();
        sqlx::query(on).execute(&app.db().write).await.unwrap();
        let broken = audit::verify(app.db(), org).await.unwrap().broken.expect("edit detected");
        assert_eq!(broken.seq, 3, "{backend:?}");
        assert!(broken.problem.contains("edited"));
    }
}

#[tokio::test]
async fn concurrent_writers_never_fork_the_chain() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let org = first_org(&app).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let db = app.db().clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                audit::append(
                    &mut tx,
                    org,
                    &Actor::system(None),
                    Event::new("test.concurrent", "test", i, "concurrent"),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let report = audit::verify(app.db(), org).await.unwrap();
        assert_eq!((report.events, report.broken), (25, None), "{backend:?}");
    }
}

#[tokio::test]
async fn an_acknowledged_text_is_on_disk_before_the_webhook_is_answered() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        match app.db().kind {
            DbKind::Sqlite => {
                let mode: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&app.db().write).await.unwrap();
                assert_eq!(mode, 2, "the writer syncs every commit (FULL)");
            }
            DbKind::Postgres => {
                let mode: String =
                    sqlx::query_scalar("SHOW synchronous_commit").fetch_one(&app.db().write).await.unwrap();
                assert_eq!(mode, "on");
            }
        }
    }
}
