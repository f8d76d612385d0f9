//! Durability (SPEC §6): queued work survives a SIGKILL and completes
//! exactly once after a restart; a send interrupted mid-flight asks the
//! provider before sending again.

use crate::helpers::*;
use app::domain::outbound::Sender;
use app::messaging::send::{self, SendOutcome, SendRequest};
use app::platform::{jobs, ms, now};
use std::process::{Child, Command, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_binary(db_url: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["serve", "--seed-demo-if-empty"])
        .env("DATABASE_URL", db_url)
        .env("APP_SECRET_KEY", SECRET)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("MEDIA_DIR", crate::helpers::scratch_dir().join("media-crash"))
        .env("JOB_LEASE_SECONDS", "3")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    Server(child)
}

async fn wait_healthy(port: u16) {
    let url = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server didn't come up");
}

#[tokio::test]
async fn queued_sends_survive_sigkill_and_complete_exactly_once() {
    for backend in backends() {
        let url = fresh_database_url(backend).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut first = start_binary(&url, port);
        wait_healthy(port).await;

        // Queue twenty texts through the one send function, due shortly.
        let config = test_config(&url, &[]);
        let state = server::state_for(&config, app::platform::Db::connect(&url).await.unwrap());
        let threads: Vec<i64> = sqlx::query_scalar(
            "SELECT t.id FROM threads t JOIN numbers n ON n.id = t.number_id JOIN clients c ON c.id = t.client_id
             WHERE n.class = 'front_desk' AND c.id NOT IN (SELECT cl.id FROM clients cl JOIN client_contacts cc ON cc.client_id = cl.id JOIN opt_outs o ON o.e164 = cc.e164)
               AND c.id NOT IN (SELECT client_id FROM client_contacts WHERE e164 LIKE '+1555555%')
             ORDER BY t.id LIMIT 5",
        )
        .fetch_all(&state.db.read)
        .await
        .unwrap();
        let mut ids = Vec::new();
        for i in 0..20 {
            let req = SendRequest {
                org: app::domain::ids::OrgId(1),
                thread: app::domain::ids::ThreadId(threads[i % threads.len()]),
                body: format!("Reminder #{i}: walk tomorrow"),
                sender: Sender::Owner,
                actor: owner_actor(),
                confirmed: false,
                automation_id: None,
            };
            match send::send(&state, req).await.unwrap() {
                SendOutcome::Queued { message_id, .. } => ids.push(message_id.0),
                other => panic!("{other:?}"),
            }
        }
        sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = 'send' AND status = 'queued'")
            .bind(ms(now()) + 2_000)
            .execute(&state.db.write)
            .await
            .unwrap();

        // SIGKILL with everything still queued, then start again.
        first.0.kill().unwrap();
        first.0.wait().unwrap();
        let _second = start_binary(&url, port);
        wait_healthy(port).await;

        let db = state.db.read.clone();
        eventually(30, "all twenty delivered", || {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM messages WHERE status = 'delivered' AND body LIKE 'Reminder #%'",
                )
                .fetch_one(&db)
                .await
                .unwrap()
                    == 20
            }
        })
        .await;
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM demo_outbox WHERE body LIKE 'Reminder #%'")
            .fetch_one(&db)
            .await
            .unwrap();
        let distinct: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT message_ref) FROM demo_outbox WHERE body LIKE 'Reminder #%'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!((sent, distinct), (20, 20), "{backend:?}: each text sent exactly once");
        let attempts: i64 =
            sqlx::query_scalar("SELECT MAX(attempts) FROM jobs WHERE kind = 'send'").fetch_one(&db).await.unwrap();
        assert_eq!(attempts, 1);
    }
}

#[tokio::test]
async fn a_send_interrupted_mid_flight_is_not_sent_twice() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let tom = app.thread_of("+17375550119", "+15125550100").await;
        let now = now();
        // Queue the message and, in the same transaction, make its job look
        // claimed by a worker that died right after the provider accepted it.
        let mut tx = app.db().begin().await.unwrap();
        let req = SendRequest {
            org: app.org(),
            thread: tom,
            body: "Interrupted text".into(),
            sender: Sender::Owner,
            actor: owner_actor(),
            confirmed: false,
            automation_id: None,
        };
        let id = match send::send_in(&mut tx, &req, now).await.unwrap() {
            SendOutcome::Queued { message_id, .. } => message_id.0,
            other => panic!("{other:?}"),
        };
        sqlx::query(
            "UPDATE jobs SET status = 'running', attempts = 1, locked_at = $1 WHERE kind = 'send' AND payload LIKE $2",
        )
        .bind(ms(now) - 600_000)
        .bind(format!("%\"message_id\":{id}%"))
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO delivery_attempts (message_id, attempt, started_at, outcome) VALUES ($1, 1, $2, 'started')",
        )
        .bind(id)
        .bind(ms(now) - 600_000)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let demo = app::messaging::provider::DemoProvider::new(app.db().clone(), app.org());
        let from = app::domain::phone::E164::from_canonical("+15125550100").unwrap();
        let to = app::domain::phone::E164::from_canonical("+17375550119").unwrap();
        let sid = demo.send(&from, &to, "Interrupted text", &format!("msg-{id}")).await.unwrap().sid;

        // The worker's own start-up recovery may get there first (it runs
        // in the background); either way the job must be picked up once.
        let recovered = jobs::recover_stale(app.db(), app::platform::now()).await.unwrap();
        assert!(recovered <= 1, "{backend:?}: {recovered} jobs recovered");
        app.state.wake_worker();
        eventually(10, "the job finishes", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE id = {id} AND provider_sid IS NOT NULL")).await
                == 1
        })
        .await;
        assert_eq!(
            app.text(&format!("SELECT provider_sid FROM messages WHERE id = {id}")).await.as_deref(),
            Some(sid.as_str())
        );
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM demo_outbox WHERE message_ref = 'msg-{id}'")).await,
            1,
            "{backend:?}"
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM delivery_attempts WHERE message_id = {id} AND outcome = 'accepted_after_restart'"
            ))
            .await,
            1
        );
    }
}
