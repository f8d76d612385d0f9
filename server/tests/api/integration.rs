//! Integration API v1: keys and scopes, problems, idempotency, rate limits,
//! every endpoint's success, permission and validation paths, and the
//! OpenAPI document the endpoints are generated with.

use crate::helpers::*;
use app::domain::ids::OrgId;
use app::platform::api_keys::{self, Scope};
use app::platform::audit::Actor;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn key(app: &TestApp, name: &str, scope: Scope, rate: i64) -> String {
    let new = api_keys::NewKey { name, scope, rate_limit_per_minute: rate, created_by: None };
    api_keys::create(app.db(), app.org(), new, &Actor::system(None), app::platform::now()).await.expect("create key").1
}

struct Api<'a> {
    app: &'a TestApp,
    key: String,
}

impl Api<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        self.call_with(method, path, body, &[]).await
    }

    async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req = self.app.client.request(method, self.app.url(path)).bearer_auth(&self.key);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value, headers)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::GET, path, None).await;
        (s, v)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, v, _) = self.call(Method::POST, path, Some(body)).await;
        (s, v)
    }
}

fn in_hours(h: i64) -> String {
    (app::platform::now() + chrono::Duration::hours(h)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn problem(v: &Value, status: u16) {
    assert_eq!(v["status"], status, "{v}");
    assert!(v["type"].as_str().is_some_and(|t| t.starts_with("/api/v1/docs#problem-")), "{v}");
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
}

#[tokio::test]
async fn missing_revoked_and_read_only_keys_are_refused_with_problems() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let rw = key(&app, "Zapier", Scope::ReadWrite, 1000).await;
        let ro = key(&app, "Reports", Scope::Read, 1000).await;

        // No key at all, on every endpoint the document lists.
        let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() >= 15, "{backend:?}: {} paths", paths.len());
        for (path, item) in paths {
            for method in ["get", "post", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let url = app.url(&path.replace("{id}", "1").replace("{contact_id}", "1"));
                let resp = app.client.request(method.to_uppercase().parse().unwrap(), url).send().await.unwrap();
                assert_eq!(resp.status(), 401, "{backend:?}: {method} {path} without a key");
                assert_eq!(resp.headers()["content-type"], "application/problem+json");
                assert_eq!(resp.headers()["www-authenticate"], "Bearer");
            }
        }
        let nobody = Api { app: &app, key: "ll_not-a-real-key".into() };
        let (s, v) = nobody.get("/api/v1/clients").await;
        assert_eq!(s, 401);
        problem(&v, 401);

        let reader = Api { app: &app, key: ro.clone() };
        assert_eq!(reader.get("/api/v1/clients").await.0, 200);
        let clients = app.scalar("SELECT COUNT(*) FROM clients").await;
        let (s, v) = reader.post("/api/v1/clients", json!({ "name": "Read Only" })).await;
        assert_eq!(s, 403, "{v}");
        problem(&v, 403);
        assert!(v["detail"].as_str().unwrap().contains("read-only"), "{v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM clients").await, clients, "{backend:?}: nothing written");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'api.call' AND actor_name = 'Reports' AND summary LIKE '%403%'").await,
            1,
            "{backend:?}: the refused attempt is in the audit trail"
        );

        let writer = Api { app: &app, key: rw.clone() };
        assert_eq!(writer.get("/api/v1/sitters").await.0, 200);
        let id = app.scalar("SELECT id FROM api_keys WHERE name = 'Zapier'").await;
        api_keys::revoke(app.db(), app.org(), id, &Actor::system(None), None, app::platform::now()).await.unwrap();
        let (s, v) = writer.get("/api/v1/sitters").await;
        assert_eq!(s, 401, "{backend:?}: a revoked key stops at once");
        assert!(v["detail"].as_str().unwrap().contains("revoked"), "{v}");

        // Keys of another business see nothing of this one.
        let other: i64 = sqlx::query_scalar::<_, i64>(
            "INSERT INTO organisations (name, created_at) VALUES ('Other Pets', 0) RETURNING id",
        )
        .fetch_one(&app.db().write)
        .await
        .unwrap();
        let (_, secret) = api_keys::create(
            app.db(),
            OrgId(other),
            api_keys::NewKey { name: "Other", scope: Scope::ReadWrite, rate_limit_per_minute: 100, created_by: None },
            &Actor::system(None),
            app::platform::now(),
        )
        .await
        .unwrap();
        let stranger = Api { app: &app, key: secret };
        let (s, v) = stranger.get("/api/v1/clients").await;
        assert_eq!(s, 200);
        assert_eq!(v["items"].as_array().unwrap().len(), 0, "{backend:?}: {v}");
        let ana = app.scalar("SELECT id FROM clients WHERE name = 'Ana Lopez'").await;
        assert_eq!(stranger.get(&format!("/api/v1/clients/{ana}")).await.0, 404);
    }
}

#[tokio::test]
async fn clients_are_created_searched_updated_and_every_call_is_audited_under_the_key() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Time To Pet sync", Scope::ReadWrite, 1000).await };

        let (s, c) = api
            .post(
                "/api/v1/clients",
                json!({ "name": "Priya Shah", "notes": "Two cats", "contacts": [{ "e164": "(512) 555-0177", "label": "mobile" }] }),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        assert_eq!(c["first_name"], "Priya");
        assert_eq!(
            c["contacts"][0]["e164"], "+15125550177",
            "{backend:?}: national numbers are read in the business's country"
        );
        let id = c["id"].as_i64().unwrap();

        // Validation names the field and writes nothing.
        let before = app.scalar("SELECT COUNT(*) FROM clients").await;
        for (body, field) in [
            (json!({ "name": "" }), "name"),
            (json!({}), "name"),
            (json!({ "name": "X", "contacts": [{ "e164": "not a phone" }] }), "contacts[0].e164"),
            (json!({ "name": "X", "colour": "blue" }), "body"),
            (json!({ "name": 12 }), "name"),
        ] {
            let (s, v) = api.post("/api/v1/clients", body.clone()).await;
            assert_eq!(s, 422, "{backend:?}: {body} → {v}");
            problem(&v, 422);
            if field != "body" {
                assert_eq!(v["field"], field, "{body} → {v}");
            }
        }
        let (s, v, _) = api.call_with(Method::POST, "/api/v1/clients", None, &[("content-type", "text/plain")]).await;
        assert_eq!(s, 415, "{v}");
        let (s, v) =
            api.post("/api/v1/clients", json!({ "name": "Copy", "contacts": [{ "e164": "+15125550177" }] })).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("Priya Shah"), "{v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM clients").await, before);

        // Search by name and by number; pages by cursor.
        let (_, v) = api.get("/api/v1/clients?q=priya").await;
        assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
        let (_, v) = api.get("/api/v1/clients?q=5550177").await;
        assert_eq!(v["items"][0]["id"], id, "{v}");
        let (_, p1) = api.get("/api/v1/clients?limit=2").await;
        let cursor = p1["next_cursor"].as_str().expect("more pages").to_string();
        let (_, p2) = api.get(&format!("/api/v1/clients?limit=2&cursor={cursor}")).await;
        assert!(p2["items"][0]["id"].as_i64().unwrap() > p1["items"][1]["id"].as_i64().unwrap());
        assert_eq!(api.get("/api/v1/clients?limit=0").await.1["field"], "limit");
        assert_eq!(api.get("/api/v1/clients?cursor=abc").await.1["field"], "cursor");
        assert_eq!(api.get("/api/v1/clients/999999").await.0, 404);
        assert_eq!(api.get("/api/v1/clients/abc").await.1["field"], "id");

        let (s, v, _) =
            api.call(Method::PATCH, &format!("/api/v1/clients/{id}"), Some(json!({ "name": "Priya S. Shah" }))).await;
        assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("Priya S. Shah")), "{v}");
        assert_eq!(v["notes"], "Two cats", "fields left out stay");
        let (s, v) = api.post(&format!("/api/v1/clients/{id}/contacts"), json!({ "e164": "+15125550178" })).await;
        assert_eq!(s, 201, "{v}");
        let contact = v["contacts"][1]["id"].as_i64().unwrap();
        let (s, v, _) = api.call(Method::DELETE, &format!("/api/v1/clients/{id}/contacts/{contact}"), None).await;
        assert_eq!((s, v["contacts"].as_array().unwrap().len()), (StatusCode::OK, 1), "{v}");

        // The changes carry their own events; every call is an api.call event; all under the key's name.
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'client.created' AND actor_kind = 'api_key' AND actor_name = 'Time To Pet sync'").await,
            1
        );
        let calls = app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'api.call'").await;
        assert!(calls >= 17, "{backend:?}: {calls} calls audited");
        let (_, v) = api.get("/api/v1/audit-events?event_type=client.updated").await;
        assert_eq!(v["items"][0]["actor_name"], "Time To Pet sync", "{v}");
        assert_eq!(v["items"][0]["actor_kind"], "api_key");
        assert_eq!(api.get("/api/v1/audit-events?from=yesterday").await.1["field"], "from");
        let after = app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'api.call'").await;
        assert_eq!(after, calls + 2, "{backend:?}: reads are audited too");
    }
}

#[tokio::test]
async fn a_booking_becomes_an_assignment_window_and_moves_and_cancels_with_it() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Booking sync", Scope::ReadWrite, 1000).await };
        let maya = app.sitter_id("Maya").await.0;
        let tom = app.scalar("SELECT id FROM clients WHERE name = 'Tom Fischer'").await;
        let booking = json!({ "client_id": tom, "sitter_id": maya, "kind": "weekly_client", "starts_at": in_hours(48), "ends_at": in_hours(52) });

        let windows = app.scalar("SELECT COUNT(*) FROM assignment_windows").await;
        let bookings = app.scalar("SELECT COUNT(*) FROM bookings").await;
        let mut preview = booking.clone();
        preview["preview"] = json!(true);
        let (s, v) = api.post("/api/v1/bookings", preview).await;
        assert_eq!(s, 200, "{v}");
        assert!(v["summary"].as_str().unwrap().starts_with("Maya will text Tom"), "{v}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM assignment_windows").await,
            windows,
            "{backend:?}: preview writes nothing"
        );

        let (s, b) = api.post("/api/v1/bookings", booking.clone()).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["status"], "confirmed");
        assert_eq!(b["number"], "+15125550101", "{backend:?}: weekly clients text the sitter's own number");
        let id = b["id"].as_i64().unwrap();
        let window = b["window_id"].as_i64().expect("window");
        assert_eq!(app.scalar(&format!("SELECT booking_id FROM assignment_windows WHERE id = {window}")).await, id);
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'assignment.created' AND actor_name = 'Booking sync'").await,
            1
        );

        // The same window again overlaps: refused, nothing written.
        let (s, v) = api.post("/api/v1/bookings", booking.clone()).await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("overlap") || v["detail"].as_str().unwrap().contains("Maya"),
            "{v}"
        );
        for (body, field) in [
            (
                json!({ "client_id": tom, "sitter_id": maya, "starts_at": "tomorrow", "ends_at": in_hours(3) }),
                "starts_at",
            ),
            (
                json!({ "client_id": tom, "sitter_id": maya, "starts_at": in_hours(5), "ends_at": in_hours(3) }),
                "ends_at",
            ),
            (
                json!({ "client_id": tom, "sitter_id": 987654, "starts_at": in_hours(70), "ends_at": in_hours(72) }),
                "sitter_id",
            ),
            (
                json!({ "client_id": tom, "sitter_id": maya, "kind": "forever", "starts_at": in_hours(70), "ends_at": in_hours(72) }),
                "kind",
            ),
            (json!({ "sitter_id": maya, "starts_at": in_hours(70), "ends_at": in_hours(72) }), "client_id"),
        ] {
            let (s, v) = api.post("/api/v1/bookings", body.clone()).await;
            assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some(field)), "{backend:?}: {body} → {v}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, bookings + 1);

        // Move it: the window moves with it.
        let new_end = in_hours(54);
        let (s, v, _) = api
            .call(Method::PATCH, &format!("/api/v1/bookings/{id}"), Some(json!({ "ends_at": new_end.clone() })))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ends_at"], new_end.clone());
        let ends: i64 = app.scalar(&format!("SELECT ends_at FROM assignment_windows WHERE id = {window}")).await;
        assert_eq!(app::platform::from_ms(ends).to_rfc3339_opts(chrono::SecondsFormat::Secs, true), new_end.clone());

        let (_, listed) = api.get(&format!("/api/v1/bookings?sitter_id={maya}&from={}", in_hours(1))).await;
        assert!(listed["items"].as_array().unwrap().iter().any(|x| x["id"] == id), "{listed}");

        let (s, v) = api.post(&format!("/api/v1/bookings/{id}/cancel"), json!({})).await;
        assert_eq!(
            (s, v["status"].as_str(), v["window_id"].is_null()),
            (StatusCode::OK, Some("cancelled"), true),
            "{v}"
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM assignment_windows WHERE id = {window} AND deleted_at IS NOT NULL"
            ))
            .await,
            1
        );
        let (s, v) = api.post(&format!("/api/v1/bookings/{id}/cancel"), json!({})).await;
        assert_eq!(s, 409, "{v}");
        let (s, _, _) =
            api.call(Method::PATCH, &format!("/api/v1/bookings/{id}"), Some(json!({ "ends_at": in_hours(60) }))).await;
        assert_eq!(s, 409);
        assert_eq!(api.get("/api/v1/bookings/424242").await.0, 404);
    }
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_a_different_request() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Retrying tool", Scope::ReadWrite, 1000).await };
        let body = json!({ "name": "Once Only", "contacts": [{ "e164": "+15125550190" }] });
        let h = [("Idempotency-Key", "create-once-only")];
        let (s1, v1, h1) = api.call_with(Method::POST, "/api/v1/clients", Some(body.clone()), &h).await;
        let (s2, v2, h2) = api.call_with(Method::POST, "/api/v1/clients", Some(body.clone()), &h).await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED), "{v1} {v2}");
        assert_eq!(v1, v2, "{backend:?}: the replay is the first response");
        assert!(h1.get("idempotent-replayed").is_none());
        assert_eq!(h2["idempotent-replayed"], "true");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM clients WHERE name = 'Once Only'").await, 1);

        let (s, v, _) =
            api.call_with(Method::POST, "/api/v1/clients", Some(json!({ "name": "Someone Else" })), &h).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("Idempotency-Key")), "{v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM clients WHERE name = 'Someone Else'").await, 0);

        // Errors are kept too: a replay of a refused request is refused the same way.
        let bad = json!({ "name": "" });
        let (a, va, _) =
            api.call_with(Method::POST, "/api/v1/clients", Some(bad.clone()), &[("Idempotency-Key", "bad-1")]).await;
        let (b, vb, hb) =
            api.call_with(Method::POST, "/api/v1/clients", Some(bad), &[("Idempotency-Key", "bad-1")]).await;
        assert_eq!((a, b), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!((va, hb["content-type"].to_str().unwrap()), (vb, "application/problem+json"));

        // A booking retried with the same key is booked once.
        let maya = app.sitter_id("Maya").await.0;
        let tom = app.scalar("SELECT id FROM clients WHERE name = 'Tom Fischer'").await;
        let booking =
            json!({ "client_id": tom, "sitter_id": maya, "starts_at": in_hours(30), "ends_at": in_hours(33) });
        let hb = [("Idempotency-Key", "booking-4711")];
        let bookings = app.scalar("SELECT COUNT(*) FROM bookings").await;
        let (x, bx, _) = api.call_with(Method::POST, "/api/v1/bookings", Some(booking.clone()), &hb).await;
        let (y, by, _) = api.call_with(Method::POST, "/api/v1/bookings", Some(booking), &hb).await;
        assert_eq!((x, y), (StatusCode::CREATED, StatusCode::CREATED), "{bx} {by}");
        assert_eq!(bx["id"], by["id"]);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, bookings + 1, "{backend:?}");
        let (s, v, _) = api
            .call_with(Method::POST, "/api/v1/clients", Some(json!({ "name": "A" })), &[("Idempotency-Key", "")])
            .await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("Idempotency-Key")), "{v}");
    }
}

#[tokio::test]
async fn each_key_has_its_own_rate_limit_with_retry_after() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let slow = Api { app: &app, key: key(&app, "Slow", Scope::Read, 3).await };
        let other = Api { app: &app, key: key(&app, "Other", Scope::Read, 3).await };
        for _ in 0..3 {
            assert_eq!(slow.get("/api/v1/numbers").await.0, 200);
        }
        let (s, v, h) = slow.call(Method::GET, "/api/v1/numbers", None).await;
        assert_eq!(s, 429, "{backend:?}: {v}");
        problem(&v, 429);
        assert_eq!(h["retry-after"], "20", "3 a minute: the next one in 20 s");
        assert_eq!(other.get("/api/v1/numbers").await.0, 200, "{backend:?}: keys don't share a limit");
    }
}

#[tokio::test]
async fn threads_messages_sending_numbers_and_routing_decisions() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Front desk bot", Scope::ReadWrite, 1000).await };

        let (s, v) = api.get("/api/v1/threads").await;
        assert_eq!(s, 200, "{v}");
        let threads = v["items"].as_array().unwrap();
        assert!(!threads.is_empty());
        assert!(threads.iter().all(|t| t["number"].as_str().unwrap().starts_with('+')), "{v}");
        let (_, unread) = api.get("/api/v1/threads?filter=unread").await;
        assert!(
            unread["items"].as_array().unwrap().iter().all(|t| t["unread_count"].as_i64().unwrap() > 0),
            "{unread}"
        );
        let (_, found) = api.get("/api/v1/threads?q=Ana").await;
        assert!(
            found["items"].as_array().unwrap().iter().all(|t| t["client_name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("ana")),
            "{found}"
        );
        assert_eq!(api.get("/api/v1/threads?filter=everything").await.1["field"], "filter");

        let ana = app.thread_of("+17375550100", "+15125550101").await.0;
        let r = app.text_in("SMapi0001", "+17375550100", "+15125550101", "Is Maya coming at 3?").await;
        assert!(r.status().is_success());
        let (s, t) = api.get(&format!("/api/v1/threads/{ana}")).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["contacts"][0], "+17375550100", "{backend:?}: keys act at owner level");
        let (_, page1) = api.get(&format!("/api/v1/threads/{ana}/messages?limit=2")).await;
        let items = page1["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{page1}");
        let cursor = page1["next_cursor"].as_str().expect("more").to_string();
        let (_, page2) = api.get(&format!("/api/v1/threads/{ana}/messages?limit=2&cursor={cursor}")).await;
        assert!(
            page2["items"][0]["id"].as_i64().unwrap() > items[1]["id"].as_i64().unwrap(),
            "oldest first, no overlap"
        );

        let (s, v) =
            api.post(&format!("/api/v1/threads/{ana}/messages"), json!({ "body": "Maya is on her way!" })).await;
        assert_eq!(s, 201, "{v}");
        let mid = v["message_id"].as_i64().unwrap();
        assert_eq!(
            app.text(&format!("SELECT sender_kind FROM messages WHERE id = {mid}")).await.as_deref(),
            Some("api")
        );
        assert_eq!(
            app.text(&format!("SELECT from_e164 FROM messages WHERE id = {mid}")).await.as_deref(),
            Some("+15125550101")
        );

        // The anti-poaching check stops a number in the text unless confirmed.
        let sent = app.scalar("SELECT COUNT(*) FROM messages").await;
        let (s, v) =
            api.post(&format!("/api/v1/threads/{ana}/messages"), json!({ "body": "Call Maya on 512 555 0199" })).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("confirm"), "{v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, sent, "{backend:?}: nothing sent");
        let (s, v) = api
            .post(
                &format!("/api/v1/threads/{ana}/messages"),
                json!({ "body": "Call Maya on 512 555 0199", "confirm": true }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(
            api.post(&format!("/api/v1/threads/{ana}/messages"), json!({ "body": "  " })).await.1["field"],
            "body"
        );
        assert_eq!(api.post("/api/v1/threads/999999/messages", json!({ "body": "Hi" })).await.0, 404);

        // Numbers.
        let (_, pool) = api.get("/api/v1/numbers?class=pool").await;
        assert!(pool["items"].as_array().unwrap().iter().all(|n| n["class"] == "pool"), "{pool}");
        assert_eq!(api.get("/api/v1/numbers?class=gold").await.1["field"], "class");
        let n = pool["items"][0]["id"].as_i64().unwrap();
        assert_eq!(api.get(&format!("/api/v1/numbers/{n}")).await.1["id"], n);
        assert_eq!(api.get("/api/v1/numbers/999999").await.0, 404);

        // Routing decisions and their replay.
        eventually(10, "the inbound text is routed", || async {
            app.scalar(
                "SELECT COUNT(*) FROM messages WHERE provider_sid = 'SMapi0001' AND routing_decision_id IS NOT NULL",
            )
            .await
                == 1
        })
        .await;
        let inbound = app.scalar("SELECT id FROM messages WHERE provider_sid = 'SMapi0001'").await;
        let (s, d) = api.get(&format!("/api/v1/messages/{inbound}/routing-decision")).await;
        assert_eq!(s, 200, "{d}");
        assert!(d["reason"].as_str().unwrap().len() > 10);
        assert!(d["decision"]["trace"].as_array().is_some_and(|t| !t.is_empty()), "{d}");
        let (_, r) = api.get(&format!("/api/v1/messages/{inbound}/routing-decision/replay")).await;
        assert_eq!(r["identical"], true, "{backend:?}: {r}");
        let (s, v) = api.get(&format!("/api/v1/messages/{mid}/routing-decision")).await;
        assert_eq!(s, 404, "outbound texts aren't routed: {v}");
    }
}

#[tokio::test]
async fn booking_software_texts_a_client_first_and_gets_the_conversation() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        app.set_quiet_hours(3, 4).await; // not now, whatever the time of day
        let api = Api { app: &app, key: key(&app, "Time To Pet sync", Scope::ReadWrite, 1000).await };
        let (client, _) = app.client_without_front_desk_thread(0).await;
        let threads = app.scalar("SELECT COUNT(*) FROM threads").await;

        let (s, v) = api.post("/api/v1/threads", json!({ "client_id": 999999, "body": "Hi" })).await;
        assert_eq!(s, 404, "{backend:?}: {v}");
        problem(&v, 404);
        let (s, v) = api.post("/api/v1/threads", json!({ "client_id": client, "body": " " })).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("body")), "{v}");
        let pool =
            app.scalar("SELECT id FROM numbers WHERE class = 'pool' AND status = 'active' ORDER BY id LIMIT 1").await;
        let (s, v) = api.post("/api/v1/threads", json!({ "client_id": client, "number_id": pool, "body": "Hi" })).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("number_id")), "{v}");
        let (s, v) =
            api.post("/api/v1/threads", json!({ "client_id": client, "to": "+15125550199", "body": "Hi" })).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("to")), "{v}");
        let (s, v) =
            api.post("/api/v1/threads", json!({ "client_id": client, "body": "Call me on 512 555 0199" })).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("confirm"), "{v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM threads").await, threads, "{backend:?}: refusals write nothing");

        let (s, v) =
            api.post("/api/v1/threads", json!({ "client_id": client, "body": "Welcome to Happy Tails!" })).await;
        assert_eq!(s, 201, "{backend:?}: {v}");
        assert_eq!(v["status"], "queued", "{v}");
        let thread = v["thread_id"].as_i64().unwrap();
        let mid = v["message_id"].as_i64().unwrap();
        assert_eq!(
            app.text(&format!("SELECT sender_kind FROM messages WHERE id = {mid}")).await.as_deref(),
            Some("api")
        );
        assert_eq!(
            app.text(&format!("SELECT from_e164 FROM messages WHERE id = {mid}")).await.as_deref(),
            Some("+15125550100")
        );
        let (s, t) = api.get(&format!("/api/v1/threads/{thread}")).await;
        assert_eq!((s.as_u16(), t["client_id"].as_i64()), (200, Some(client)), "{t}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'thread.started' AND actor_kind = 'api_key' AND actor_name = 'Time To Pet sync'").await,
            1
        );
        let read_only = Api { app: &app, key: key(&app, "Reports", Scope::Read, 1000).await };
        assert_eq!(read_only.post("/api/v1/threads", json!({ "client_id": client, "body": "Hi" })).await.0, 403);
    }
}

#[tokio::test]
async fn sitters_are_created_deactivated_with_a_preview_and_activated_with_a_number() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "HR sync", Scope::ReadWrite, 1000).await };
        let (s, v) = api
            .post(
                "/api/v1/sitters",
                json!({ "name": "Jordan Reyes", "phone": "512-555-0155", "email": "jordan@example.com" }),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(
            (v["first_name"].as_str(), v["phone"].as_str(), v["number"].is_null()),
            (Some("Jordan"), Some("+15125550155"), true)
        );
        assert_eq!(api.post("/api/v1/sitters", json!({ "name": "J", "email": "nope" })).await.1["field"], "email");

        let maya = app.sitter_id("Maya").await.0;
        let windows = app
            .scalar(&format!("SELECT COUNT(*) FROM assignment_windows WHERE sitter_id = {maya} AND deleted_at IS NULL"))
            .await;
        let (s, p) = api.post(&format!("/api/v1/sitters/{maya}/deactivate?preview=true"), json!({})).await;
        assert_eq!((s, p["done"].as_bool()), (StatusCode::OK, Some(false)), "{p}");
        let lines = p["lines"].as_array().unwrap();
        assert!(lines.iter().any(|l| l.as_str().unwrap().contains("quarantine")), "{p}");
        assert_eq!(
            app.scalar(&format!("SELECT active FROM sitters WHERE id = {maya}")).await,
            1,
            "{backend:?}: preview changes nothing"
        );

        let (s, d) = api.post(&format!("/api/v1/sitters/{maya}/deactivate"), json!({})).await;
        assert_eq!(
            (s, d["done"].as_bool(), d["sitter"]["active"].as_bool()),
            (StatusCode::OK, Some(true), Some(false)),
            "{d}"
        );
        assert_eq!(
            app.text("SELECT status FROM numbers WHERE e164 = '+15125550101'").await.as_deref(),
            Some("quarantined")
        );
        assert_eq!(app.scalar(&format!("SELECT active FROM users WHERE sitter_id = {maya}")).await, 0);
        let open = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM assignment_windows WHERE sitter_id = {maya} AND deleted_at IS NULL AND ends_at > {}",
                app::platform::ms(app::platform::now()) + 1000
            ))
            .await;
        assert_eq!(open, 0, "{backend:?}: open windows closed (had {windows})");
        assert_eq!(api.post(&format!("/api/v1/sitters/{maya}/deactivate"), json!({})).await.0, 409);

        let (s, a) = api.post(&format!("/api/v1/sitters/{maya}/activate"), json!({})).await;
        assert_eq!(s, 200, "{a}");
        let number = a["sitter"]["number"].as_str().expect("a number").to_string();
        assert_ne!(number, "+15125550101", "{backend:?}: the quarantined number stays in cooldown");
        assert_eq!(api.post(&format!("/api/v1/sitters/{maya}/activate"), json!({})).await.0, 409);
        assert_eq!(
            app.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE event_type IN ('sitter.deactivated', 'sitter.activated')"
            )
            .await,
            2
        );
    }
}

#[tokio::test]
async fn the_openapi_document_and_its_page_are_public_and_list_every_endpoint() {
    let app = spawn_demo(Backend::Sqlite).await;
    let resp = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for path in [
        "/api/v1/clients",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{id}/contacts",
        "/api/v1/sitters",
        "/api/v1/sitters/{id}/activate",
        "/api/v1/sitters/{id}/deactivate",
        "/api/v1/bookings",
        "/api/v1/bookings/{id}",
        "/api/v1/bookings/{id}/cancel",
        "/api/v1/bookings/{id}/confirm",
        "/api/v1/threads",
        "/api/v1/threads/{id}",
        "/api/v1/threads/{id}/messages",
        "/api/v1/numbers",
        "/api/v1/numbers/{id}",
        "/api/v1/audit-events",
        "/api/v1/messages/{id}/routing-decision",
        "/api/v1/messages/{id}/routing-decision/replay",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["paths"]["/api/v1/clients"]["post"]["responses"]["422"].is_object());
    assert!(doc["paths"]["/api/v1/threads"]["post"]["responses"]["201"].is_object(), "starting a conversation");
    let page = app.client.get(app.url("/api/v1/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/api/v1/bookings") && html.contains("problem-invalid"),
        "docs page lists endpoints and problems"
    );
    let (s, v) = Api { app: &app, key: "x".into() }.get("/api/v1/nothing-here").await;
    assert_eq!(s, 404, "{v}");
}

#[tokio::test]
async fn the_command_line_lists_organisations_and_prints_a_working_key_on_its_last_line() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let url = app.db_url.clone();
        let run = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_server"))
                .args(args)
                .env("DATABASE_URL", &url)
                .env("APP_SECRET_KEY", SECRET)
                .env("RUST_LOG", "error")
                .output()
                .expect("run server")
        };
        let orgs = run(&["org", "list"]);
        let text = String::from_utf8_lossy(&orgs.stdout).to_string();
        let org = text.lines().next().and_then(|l| l.split('\t').next()).expect("an organisation").to_string();
        assert_eq!(org, app.org().0.to_string(), "{text}");
        let out = run(&["api-key", "create", "--org", &org, "--name", "Zapier"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let secret = stdout.lines().last().expect("a line").trim().to_string();
        assert!(secret.starts_with("ll_"), "{stdout}");
        let api = Api { app: &app, key: secret };
        assert_eq!(api.get("/api/v1/numbers").await.0, 200);
        let (s, v) = api.post("/api/v1/clients", json!({ "name": "From CLI key" })).await;
        assert_eq!(s, 201, "{backend:?}: command-line keys can write by default: {v}");
        let bad = run(&["api-key", "create", "--org", &org]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--name"), "{}", String::from_utf8_lossy(&bad.stderr));
    }
}

#[tokio::test]
async fn a_booking_made_through_the_api_runs_the_booking_automations_once() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Booking sync", Scope::ReadWrite, 1000).await };
        let db = app.db().write.clone();
        let org = app.org().0;
        let add = |name: &str, trigger: &str, conditions: Value, actions: Value| {
            let db = db.clone();
            let sql = format!(
                "INSERT INTO automations (org_id, name, lane, status, trigger_def, conditions, actions, version, tested_version, created_at, updated_at)
                 VALUES ({org}, '{name}', 'bookings', 'active', '{}', '{}', '{}', 1, 1, 0, 0)",
                json!({ "kind": trigger }),
                conditions,
                actions
            );
            async move { sqlx::query(&sql).execute(&db).await.expect("automation") }
        };
        add(
            "Booking confirmation",
            "booking_created",
            json!({ "op": "and", "conditions": [{ "field": "window.kind", "operator": "equals", "value": "one_time_booking" }] }),
            json!([
                { "kind": "send_sms", "recipient": "client", "template": "Hi {{client.first_name}}, {{sitter.first_name}} is booked for {{booking.start_time}}." },
                { "kind": "create_alert", "severity": "info", "template": "New booking for {{client.name}}" }
            ]),
        )
        .await;
        add(
            "Weekly only",
            "booking_created",
            json!({ "op": "and", "conditions": [{ "field": "window.kind", "operator": "equals", "value": "weekly_client" }] }),
            json!([{ "kind": "send_sms", "recipient": "client", "template": "Welcome to weekly visits!" }]),
        )
        .await;
        add(
            "Paused one",
            "booking_created",
            json!({ "op": "and" }),
            json!([{ "kind": "send_sms", "recipient": "client", "template": "never" }]),
        )
        .await;
        sqlx::query("UPDATE automations SET status = 'paused' WHERE name = 'Paused one'")
            .execute(&app.db().write)
            .await
            .unwrap();

        let maya = app.sitter_id("Maya").await.0;
        let ben = app.scalar("SELECT id FROM clients WHERE name = 'Ben Carter'").await;
        let (s, b) = api
            .post("/api/v1/bookings", json!({ "client_id": ben, "sitter_id": maya, "kind": "one_time_booking", "starts_at": in_hours(26), "ends_at": in_hours(29) }))
            .await;
        assert_eq!(s, 201, "{b}");
        let booking = b["id"].as_i64().unwrap();
        eventually(15, "the booking automations ran", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM automation_executions WHERE booking_id = {booking}")).await == 2
        })
        .await;
        assert_eq!(
            app.text(&format!("SELECT e.status FROM automation_executions e JOIN automations a ON a.id = e.automation_id WHERE a.name = 'Booking confirmation' AND e.booking_id = {booking}")).await.as_deref(),
            Some("succeeded"),
            "{backend:?}"
        );
        assert_eq!(
            app.text(&format!("SELECT e.status FROM automation_executions e JOIN automations a ON a.id = e.automation_id WHERE a.name = 'Weekly only' AND e.booking_id = {booking}")).await.as_deref(),
            Some("skipped"),
            "{backend:?}: its condition didn't hold"
        );
        let body = app
            .text("SELECT body FROM messages WHERE sender_kind = 'automation' AND automation_id IS NOT NULL ORDER BY id DESC LIMIT 1")
            .await
            .expect("the automation's text");
        assert!(body.starts_with("Hi Ben, Maya is booked for "), "{body}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'automation'").await, 1);
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'automation.executed'").await, 2);
        // Retried jobs and the confirmed trigger don't run them again.
        app.state.wake_worker();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM automation_executions WHERE booking_id = {booking}")).await,
            2
        );
    }
}

#[tokio::test]
async fn a_requested_booking_runs_the_confirmed_automations_only_when_it_is_confirmed() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let api = Api { app: &app, key: key(&app, "Booking sync", Scope::ReadWrite, 1000).await };
        let org = app.org().0;
        for (name, trigger, template) in [
            ("On request", "booking_created", "Request noted for {{client.name}}"),
            ("On confirmation", "booking_confirmed", "Confirmed: {{sitter.first_name}} visits {{client.first_name}}"),
        ] {
            app.exec(&format!(
                "INSERT INTO automations (org_id, name, lane, status, trigger_def, conditions, actions, version, tested_version, created_at, updated_at)
                 VALUES ({org}, '{name}', 'bookings', 'active', '{}', '{{\"op\": \"and\"}}', '{}', 1, 1, 0, 0)",
                json!({ "kind": trigger }),
                json!([{ "kind": "create_alert", "severity": "info", "template": template }])
            ))
            .await;
        }
        let maya = app.sitter_id("Maya").await.0;
        let ben = app.scalar("SELECT id FROM clients WHERE name = 'Ben Carter'").await;
        let to_ben = format!(
            "SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id WHERE t.client_id = {ben} AND m.direction = 'outbound'"
        );
        let texts = app.scalar(&to_ben).await;
        let (s, b) = api
            .post(
                "/api/v1/bookings",
                json!({ "client_id": ben, "sitter_id": maya, "kind": "meet_and_greet", "status": "requested",
                        "starts_at": in_hours(30), "ends_at": in_hours(31) }),
            )
            .await;
        assert_eq!(s, 201, "{backend:?}: {b}");
        assert_eq!(
            (b["status"].as_str(), b["kind"].as_str(), b["window_id"].is_null()),
            (Some("requested"), Some("meet_and_greet"), true),
            "{b}"
        );
        let booking = b["id"].as_i64().unwrap();
        eventually(15, "the created automation ran", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM automation_executions WHERE booking_id = {booking}")).await == 1
        })
        .await;
        app.state.wake_worker();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(
            app.text("SELECT title FROM alerts WHERE rule = 'automation' ORDER BY id").await.as_deref(),
            Some("On request: Request noted for Ben Carter"),
            "{backend:?}: only the created automation runs for a request"
        );
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM assignment_windows WHERE booking_id = {booking}")).await,
            0
        );
        assert_eq!(app.scalar(&to_ben).await, texts, "{backend:?}: a request texts nobody");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'booking.requested'").await, 1);

        // Moved while still requested.
        let starts = in_hours(32);
        let (s, v, _) = api
            .call(
                Method::PATCH,
                &format!("/api/v1/bookings/{booking}"),
                Some(json!({ "starts_at": starts.clone(), "ends_at": in_hours(33) })),
            )
            .await;
        assert_eq!((s, v["starts_at"].as_str()), (StatusCode::OK, Some(starts.as_str())), "{v}");

        // Confirmed: the window and the client's introduction, and the
        // confirmed automation, once.
        let (s, c) = api.post(&format!("/api/v1/bookings/{booking}/confirm"), json!({})).await;
        assert_eq!(s, 200, "{backend:?}: {c}");
        assert_eq!(
            (c["status"].as_str(), c["window_id"].is_i64(), c["starts_at"].as_str()),
            (Some("confirmed"), true, Some(starts.as_str())),
            "{c}"
        );
        eventually(15, "the confirmed automation ran", || async {
            app.scalar(&format!("SELECT COUNT(*) FROM automation_executions WHERE booking_id = {booking}")).await == 2
        })
        .await;
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM alerts WHERE rule = 'automation' AND title = 'On confirmation: Confirmed: Maya visits Ben'").await,
            1,
            "{backend:?}"
        );
        let (s, v) = api.post(&format!("/api/v1/bookings/{booking}/confirm"), json!({})).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["detail"].as_str().unwrap_or("").contains("already confirmed"), "{v}");

        // A request cancelled before confirmation can't be confirmed later.
        let (_, r) = api
            .post(
                "/api/v1/bookings",
                json!({ "client_id": ben, "sitter_id": maya, "status": "requested", "starts_at": in_hours(80), "ends_at": in_hours(81) }),
            )
            .await;
        let second = r["id"].as_i64().expect("a second request");
        let (s, v) = api.post(&format!("/api/v1/bookings/{second}/cancel"), json!({})).await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{v}");
        let (s, v) = api.post(&format!("/api/v1/bookings/{second}/confirm"), json!({})).await;
        assert_eq!(s, 409, "{v}");
        assert!(v["detail"].as_str().unwrap_or("").contains("cancelled"), "{v}");
        assert_eq!(api.post("/api/v1/bookings/424242/confirm", json!({})).await.0, 404);
        // A request that could never be confirmed is refused when it is made.
        let requests = app.scalar("SELECT COUNT(*) FROM bookings").await;
        let (s, v) = api
            .post(
                "/api/v1/bookings",
                json!({ "client_id": ben, "sitter_id": 987654, "status": "requested", "starts_at": in_hours(90), "ends_at": in_hours(91) }),
            )
            .await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (422, Some("sitter_id")), "{backend:?}: {v}");
        assert_eq!(app.scalar("SELECT COUNT(*) FROM bookings").await, requests);
    }
}

/// The API writes clients through People's service: the same bad input is
/// refused by both with the same sentence and the same limit, and neither
/// writes anything.
#[tokio::test]
async fn the_api_and_people_refuse_the_same_client_input_with_the_same_sentence() {
    use app::people::clients::{ClientForm, ListClients, SaveClient};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let api = Api { app: &app, key: key(&app, "sync", Scope::ReadWrite, 1000).await };
        let ana = app.call(ListClients { query: "ana".into() }).await.unwrap().items.remove(0);
        let phones = ana.contacts.iter().map(|c| c.e164.clone()).collect::<Vec<_>>().join("\n");
        let eleven: Vec<String> = (0..11).map(|i| format!("512 555 {:04}", 3000 + i)).collect();
        let long = "N".repeat(101);
        let changes = "SELECT COUNT(*) FROM audit_events WHERE event_type <> 'api.call'";
        let before = (app.scalar(changes).await, app.scalar("SELECT COUNT(*) FROM clients").await);
        for (form, body, sentence) in [
            (
                ClientForm { name: long.clone(), ..Default::default() },
                json!({ "name": long }),
                "The name is at most 100 characters; this one has 101.",
            ),
            (
                ClientForm { name: "  ".into(), ..Default::default() },
                json!({ "name": "  " }),
                "Enter the client's name.",
            ),
            (
                ClientForm { name: "Ana Lopez".into(), phones: "call me maybe".into(), ..Default::default() },
                json!({ "name": "Ana Lopez", "contacts": [{ "e164": "call me maybe" }] }),
                "\"call me maybe\" isn't a phone number we can text",
            ),
            (
                ClientForm { name: "Ana Lopez".into(), phones: eleven.join("\n"), ..Default::default() },
                json!({ "name": "Ana Lopez", "contacts": eleven.iter().map(|e| json!({ "e164": e })).collect::<Vec<_>>() }),
                "A client has at most 10 phone numbers.",
            ),
            (
                ClientForm { name: "Ana Lopez".into(), notes: "n".repeat(2001), ..Default::default() },
                json!({ "name": "Ana Lopez", "notes": "n".repeat(2001) }),
                "Notes are at most 2,000 characters; these have 2001.",
            ),
        ] {
            let people = app
                .call(SaveClient {
                    form: ClientForm {
                        id: ana.id,
                        phones: if form.phones.is_empty() { phones.clone() } else { form.phones.clone() },
                        ..form
                    },
                })
                .await
                .unwrap_err();
            let (status, problem) = api.post("/api/v1/clients", body).await;
            assert_eq!((people.0, status.as_u16()), (422, 422), "{backend:?} {sentence}: {people:?} {problem}");
            assert!(people.1.to_string().starts_with(sentence), "{backend:?}: People said {:?}", people.1.to_string());
            assert!(
                problem["detail"].as_str().is_some_and(|d| d.starts_with(sentence)),
                "{backend:?}: the API said {problem}"
            );
        }
        // A PATCH refuses the same name with the same words.
        let (status, problem, _) =
            api.call(Method::PATCH, &format!("/api/v1/clients/{}", ana.id), Some(json!({ "name": long }))).await;
        assert_eq!(status, 422);
        assert_eq!(problem["detail"], "The name is at most 100 characters; this one has 101.");
        let after = (app.scalar(changes).await, app.scalar("SELECT COUNT(*) FROM clients").await);
        assert_eq!(after, before, "{backend:?}: nothing was written");
    }
}
