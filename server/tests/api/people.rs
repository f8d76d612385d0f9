//! People (SPEC §4.11): adding sitters, activating (a number is assigned
//! automatically, or a clear "buy one" refusal) and deactivating with a
//! preview that changes nothing; sitters can't do any of it.

use crate::helpers::*;
use app::domain::ids::SitterId;
use app::people::{AddSitter, ChangeSitter, LoadSitters, NewSitterForm};

#[tokio::test]
async fn the_owner_adds_activates_and_deactivates_sitters() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let list = app.call(LoadSitters {}).await.expect("sitters");
        assert_eq!(list.len(), 5);
        let maya = list.iter().find(|s| s.first_name == "Maya").unwrap();
        assert_eq!((maya.number.as_deref(), maya.can_sign_in), (Some("+1 (512) 555-0101"), true));
        assert!(!list.last().unwrap().active, "{backend:?}: inactive sitters last");

        // Bad input names the field and adds nobody.
        for (form, field) in [
            (NewSitterForm { name: " ".into(), ..Default::default() }, "name"),
            (NewSitterForm { name: "Tess Moore".into(), phone: "12".into(), ..Default::default() }, "phone"),
            (NewSitterForm { name: "Tess Moore".into(), email: "tess at home".into(), ..Default::default() }, "email"),
            (
                NewSitterForm {
                    name: "Tess Moore".into(),
                    password: "copper-kettle-marmot-42".into(),
                    ..Default::default()
                },
                "email",
            ),
            (
                NewSitterForm {
                    name: "Tess Moore".into(),
                    email: "tess@example.com".into(),
                    password: "short".into(),
                    ..Default::default()
                },
                "password",
            ),
            (
                NewSitterForm {
                    name: "Tess Moore".into(),
                    email: "sitter@example.com".into(),
                    password: "copper-kettle-marmot-42".into(),
                    ..Default::default()
                },
                "email",
            ),
        ] {
            let e = app.call(AddSitter { form }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some(field)), "{backend:?}: {e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM sitters").await, 5);

        let tess = app
            .call(AddSitter {
                form: NewSitterForm {
                    name: "Tess Moore".into(),
                    phone: "(512) 555-0190".into(),
                    email: "Tess@Example.com".into(),
                    password: "walkies-2026".into(),
                    ..Default::default()
                },
            })
            .await
            .expect("add");
        app.client_for("tess@example.com", "walkies-2026").await;
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'sitter.created'").await, 1);

        // Activate: the free sitter number is previewed, then assigned.
        let p = app.call(ChangeSitter { id: tess, activate: true, preview: true }).await.expect("preview");
        assert!(!p.done && p.lines[0].starts_with("+1 (512) 555-0105 becomes Tess's number"), "{backend:?}: {p:?}");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM numbers WHERE sitter_id IS NOT NULL AND e164 = '+15125550105'").await,
            0
        );
        let done = app.call(ChangeSitter { id: tess, activate: true, preview: false }).await.expect("activate");
        assert!(done.done);
        assert_eq!(app.scalar("SELECT sitter_id FROM numbers WHERE e164 = '+15125550105'").await, tess.0);
        let again = app.call(ChangeSitter { id: tess, activate: true, preview: true }).await.unwrap_err();
        assert!(again.0 == 409 && again.1.to_string().contains("already active"), "{again:?}");

        // Deactivate Jordan: previewed (nothing changes), then done in one go.
        let jordan = app.sitter_id("Jordan").await;
        let p = app.call(ChangeSitter { id: jordan, activate: false, preview: true }).await.unwrap();
        let said = p.lines.join(" ");
        assert!(said.contains("+1 (512) 555-0102 goes into quarantine until"), "{said}");
        assert!(said.contains("2 open windows close now"), "{said}");
        assert!(said.contains("Jordan can no longer sign in"), "{said}");
        assert_eq!(app.text("SELECT status FROM numbers WHERE e164 = '+15125550102'").await.as_deref(), Some("active"));
        app.call(ChangeSitter { id: jordan, activate: false, preview: false }).await.expect("deactivate");
        assert_eq!(
            app.text("SELECT status FROM numbers WHERE e164 = '+15125550102'").await.as_deref(),
            Some("quarantined")
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM assignment_windows WHERE sitter_id = {} AND deleted_at IS NULL AND ends_at > {}",
                jordan.0,
                now_ms()
            ))
            .await,
            0
        );
        let e = call_with(
            &new_client(),
            &app.addr,
            app::auth::SignIn { email: "jordan@example.com".into(), password: "password123".into() },
        )
        .await
        .unwrap_err();
        assert!(
            e.0 == 403 && e.1.to_string().contains("switched off"),
            "{backend:?}: a deactivated sitter can't sign in: {e:?}"
        );

        // Alex comes back with the last free pool number; after that nothing is free,
        // and the refusal says what to do.
        let alex = app.sitter_id("Alex").await;
        let p = app.call(ChangeSitter { id: alex, activate: true, preview: true }).await.unwrap();
        assert!(p.lines[0].contains("(taken from the pool)"), "{backend:?}: {p:?}");
        app.call(ChangeSitter { id: alex, activate: true, preview: false }).await.expect("activate Alex");
        let nina = app
            .call(AddSitter { form: NewSitterForm { name: "Nina Park".into(), ..Default::default() } })
            .await
            .unwrap();
        let e = app.call(ChangeSitter { id: nina, activate: true, preview: true }).await.unwrap_err();
        assert!(e.0 == 409 && e.1.to_string().contains("Buy one in Numbers"), "{backend:?}: {e:?}");
        assert_eq!(
            app.call(ChangeSitter { id: SitterId(9_999), activate: true, preview: true }).await.unwrap_err().0,
            404
        );
    }
}

#[tokio::test]
async fn sitters_cannot_manage_people() {
    let app = spawn_demo(Backend::Sqlite).await;
    let sitter = app.client_for("sitter@example.com", "password123").await;
    let jordan = app.sitter_id("Jordan").await;
    assert_eq!(call_with(&sitter, &app.addr, LoadSitters {}).await.unwrap_err().0, 403);
    let add = AddSitter { form: NewSitterForm { name: "Mallory".into(), ..Default::default() } };
    assert_eq!(call_with(&sitter, &app.addr, add).await.unwrap_err().0, 403);
    let off = ChangeSitter { id: jordan, activate: false, preview: false };
    assert_eq!(call_with(&sitter, &app.addr, off).await.unwrap_err().0, 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sitters WHERE active = 1").await, 4);
}

#[tokio::test]
async fn clients_are_searched_edited_and_an_unknown_one_merged_into_a_known_one() {
    use app::people::clients::{ClientForm, ListClients, MergeClient, SaveClient};
    for backend in backends() {
        let app = spawn_demo(backend).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        let all = app.call(ListClients { query: String::new() }).await.expect("list");
        assert!(all.total >= 5 && all.items.iter().all(|c| !c.unknown), "{backend:?}");

        // X: a client with a conversation on an active business number.
        let x = app
            .scalar(
                "SELECT MIN(t.client_id) FROM threads t JOIN numbers n ON n.id = t.number_id WHERE n.status = 'active'",
            )
            .await;
        let business = app
            .text(&format!(
                "SELECT MIN(n.e164) FROM threads t JOIN numbers n ON n.id = t.number_id WHERE t.client_id = {x} AND n.status = 'active'"
            ))
            .await
            .unwrap();
        let xs_thread = app
            .scalar(&format!(
                "SELECT t.id FROM threads t JOIN numbers n ON n.id = t.number_id WHERE t.client_id = {x} AND n.e164 = '{business}'"
            ))
            .await;
        let xrow = all.items.iter().find(|c| c.id == x).expect("X listed").clone();
        let other = all.items.iter().find(|c| c.id != x).expect("another client").clone();

        // Search by part of the name and by the last digits of a phone.
        let part = xrow.name.split_whitespace().next().unwrap().to_lowercase();
        assert!(app.call(ListClients { query: part }).await.unwrap().items.iter().any(|c| c.id == x));
        let tail: String = xrow.contacts[0].e164.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        assert!(app.call(ListClients { query: tail }).await.unwrap().items.iter().any(|c| c.id == x));

        // Edits: bad numbers, someone else's number and no number are refused; nothing changes.
        let form = |phones: &str| ClientForm {
            id: x,
            name: xrow.name.clone(),
            notes: "Gate code is on the fridge".into(),
            phones: phones.into(),
            opted_out_everywhere: false,
        };
        for (phones, words) in [
            ("call me maybe", "isn't a phone number we can text"),
            (other.contacts[0].display.as_str(), "already belongs to"),
            ("  ", "at least one phone number"),
        ] {
            let e = app.call(SaveClient { form: form(phones) }).await.unwrap_err();
            assert_eq!((e.0, e.1.field_name()), (422, Some("phones")), "{backend:?}: {e:?}");
            assert!(e.1.to_string().contains(words), "{e:?}");
        }
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'client.updated'").await, 0);
        let changes = app
            .call(SaveClient { form: form(&format!("{}\n(512) 555-0111", xrow.contacts[0].display)) })
            .await
            .expect("save");
        assert_eq!(changes, vec!["Notes changed".to_string(), "Added +1 (512) 555-0111".to_string()]);

        // A new phone texts X's business number: an Unknown client appears.
        app.text_in("SMmergetest0000000000000000000001", "+15125550777", &business, "hi it's me from my work phone")
            .await;
        let found = app.call(ListClients { query: "5550777".into() }).await.unwrap();
        assert_eq!(found.items.len(), 1, "{backend:?}");
        let unknown = found.items[0].clone();
        assert!(unknown.unknown);

        // Refusals: a named client can't be merged away, nor into itself or another unknown.
        let e = app.call(MergeClient { unknown: x, into: unknown.id, preview: true }).await.unwrap_err();
        assert_eq!(e.0, 409);
        let e = app.call(MergeClient { unknown: unknown.id, into: unknown.id, preview: true }).await.unwrap_err();
        assert_eq!(e.1.field_name(), Some("into"));

        let impact = app.call(MergeClient { unknown: unknown.id, into: x, preview: true }).await.expect("preview");
        assert!(impact[0].contains("(512) 555-0777") && impact[1].contains("joins"), "{impact:?}");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM clients WHERE id = {} AND merged_into IS NULL", unknown.id))
                .await,
            1
        );

        app.call(MergeClient { unknown: unknown.id, into: x, preview: false }).await.expect("merge");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM messages WHERE thread_id = {xs_thread} AND body = 'hi it''s me from my work phone'")).await,
            1,
            "{backend:?}: the message moved into X's conversation"
        );
        assert!(app.call(ListClients { query: "5550777".into() }).await.unwrap().items.iter().all(|c| c.id == x));
        // The phone is X's now: the next text lands in X's conversation.
        app.text_in("SMmergetest0000000000000000000002", "+15125550777", &business, "second text").await;
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM messages WHERE thread_id = {xs_thread} AND body = 'second text'"
            ))
            .await,
            1,
            "{backend:?}"
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'client.merged'").await, 1);

        let sitter = app.client_for("sitter@example.com", "password123").await;
        assert_eq!(call_with(&sitter, &app.addr, ListClients { query: String::new() }).await.unwrap_err().0, 403);
        assert_eq!(call_with(&sitter, &app.addr, SaveClient { form: form("+15125550111") }).await.unwrap_err().0, 403);
        let e = call_with(&sitter, &app.addr, MergeClient { unknown: unknown.id, into: x, preview: true }).await;
        assert_eq!(e.unwrap_err().0, 403);
    }
}

#[tokio::test]
async fn deactivating_a_sitter_moves_every_conversation_to_the_owner_inbox_with_a_note() {
    use crate::twilio_stub;
    use app::domain::outbound::Sender;
    use app::messaging::send::{self, SendOutcome, SendRequest};
    const FRONT_DESK: &str = "+15125550100";
    const MAYA_NUMBER: &str = "+15125550101";
    for backend in backends() {
        let stub = twilio_stub::start().await;
        let app = spawn_twilio_demo(backend, &stub).await;
        app.sign_in("owner@example.com", "password123").await.unwrap();
        // Maya's number carries at least three conversations.
        for (i, from) in ["+17375550181", "+17375550182"].iter().enumerate() {
            let sid = format!("SMdeact{i:027}");
            assert_eq!(app.text_in(&sid, from, MAYA_NUMBER, "Hi Maya!").await.status(), 200);
        }
        let maya_number = app.scalar(&format!("SELECT id FROM numbers WHERE e164 = '{MAYA_NUMBER}'")).await;
        let front_desk = app.scalar(&format!("SELECT id FROM numbers WHERE e164 = '{FRONT_DESK}'")).await;
        let threads: Vec<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM threads WHERE number_id = {maya_number} AND is_current = 1"))
                .fetch_all(&app.db().read)
                .await
                .unwrap();
        assert!(threads.len() >= 3, "{backend:?}: {threads:?}");

        let maya = app.sitter_id("Maya").await;
        let p = app.call(ChangeSitter { id: maya, activate: false, preview: true }).await.unwrap();
        let said = p.lines.join(" ");
        assert!(
            said.contains(&format!("{} conversations move to the owner inbox on the Front Desk number", threads.len())),
            "{backend:?}: the preview lists the moves: {said}"
        );
        assert!(said.contains("Each moved conversation gets a note"), "{said}");
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {maya_number}")).await as usize,
            threads.len()
        );

        app.call(ChangeSitter { id: maya, activate: false, preview: false }).await.expect("deactivate");
        for t in &threads {
            // Either moved to the Front Desk, or continued in the client's Front Desk conversation.
            let on: i64 = app.scalar(&format!("SELECT number_id FROM threads WHERE id = {t}")).await;
            let current = app.scalar(&format!("SELECT is_current FROM threads WHERE id = {t}")).await;
            assert!(on == front_desk || current == 0, "{backend:?}: thread {t} stayed on Maya's number");
            let notes = app
                .scalar(&format!(
                    "SELECT COUNT(*) FROM messages WHERE thread_id = {t} AND direction = 'note' AND body LIKE '%Maya Chen deactivated%'"
                ))
                .await;
            assert_eq!(notes, 1, "{backend:?}: thread {t} says why");
        }
        assert_eq!(
            app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE number_id = {maya_number} AND is_current = 1"))
                .await,
            0
        );
        assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE event_type = 'number.quarantined'").await, 1);

        // The owner answers one of them: it goes out from the Front Desk.
        let list = threads.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
        let moved =
            app.scalar(&format!("SELECT MIN(id) FROM threads WHERE number_id = {front_desk} AND id IN ({list})")).await;
        let out = send::send(
            &app.state,
            SendRequest {
                org: app.org(),
                thread: app::domain::ids::ThreadId(moved),
                body: "Hi, it's the office — Maya has moved on; we'll look after you.".into(),
                sender: Sender::Owner,
                actor: owner_actor(),
                confirmed: false,
                automation_id: None,
            },
        )
        .await
        .unwrap();
        assert!(matches!(out, SendOutcome::Queued { .. }), "{backend:?}: {out:?}");
        eventually(10, "the owner's text goes out from the Front Desk", || async {
            stub.sends().iter().any(|s| {
                s.form.contains(&("From".into(), FRONT_DESK.into()))
                    && s.form.iter().any(|(k, v)| k == "Body" && v.contains("moved on"))
            })
        })
        .await;
    }
}
