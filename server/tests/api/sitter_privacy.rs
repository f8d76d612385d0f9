//! What a sitter sees is decided once, when a text arrives (issue 16, item
//! 2): a number split over several texts never reaches the sitter in any
//! response, and a sitter's search runs over exactly what their thread
//! view shows.

use crate::helpers::*;
use app::domain::ids::ThreadId;
use app::inbox::{GetThread, ListThreads, ThreadPage, ThreadQuery, ThreadView};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

const ANA: &str = "+17375550100"; // Maya's weekly client, window active now
const MAYA_NUMBER: &str = "+15125550101";

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Any three consecutive digits of `number` among the digits of `text`.
fn shows_part_of(text: &str, number: &str) -> Option<String> {
    let d = digits(text);
    number.as_bytes().windows(3).map(|w| String::from_utf8_lossy(w).to_string()).find(|w| d.contains(w.as_str()))
}

/// The sitter's view of every text of a thread, one body per text.
fn bodies(v: &ThreadView) -> Vec<String> {
    v.messages.iter().map(|m| m.body.clone()).collect()
}

#[tokio::test]
async fn a_number_split_over_two_or_three_texts_never_reaches_the_sitter() {
    for backend in backends() {
        let app = spawn_demo(backend).await;
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let ana = app.thread_of(ANA, MAYA_NUMBER).await;
        let mut events = sitter.get(app.url("/events")).send().await.expect("events");
        let texts = [
            ("SMsplit1", "my new cell is 914 868"),
            ("SMsplit2", "2739 text me there"),
            ("SMsplit3", "or my work line 646"),
            ("SMsplit4", "220"),
            ("SMsplit5", "7311 thanks!"),
        ];
        let numbers = ["9148682739", "6462207311"];
        let mut responses: Vec<(String, String)> = Vec::new();
        for (sid, body) in texts {
            assert_eq!(app.text_in(sid, ANA, MAYA_NUMBER, body).await.status().as_u16(), 200);
            // After each text, everything the sitter's open conversation fetches.
            let view = call_with(&sitter, &app.addr, GetThread { id: ana }).await.expect("thread");
            for b in bodies(&view) {
                responses.push((format!("thread after {sid}"), b));
            }
            let page: ThreadPage =
                call_with(&sitter, &app.addr, ListThreads { query: ThreadQuery::default() }).await.expect("list");
            for t in page.items {
                responses.push((format!("preview after {sid}"), t.preview));
            }
        }
        // What the owner sees: everything, as written.
        let owner = app.client_for("owner@example.com", "password123").await;
        let full = call_with(&owner, &app.addr, GetThread { id: ana }).await.expect("owner thread");
        assert!(bodies(&full).iter().any(|b| b == "my new cell is 914 868"), "owners see texts as written");
        // The page itself, rendered on the server.
        let html = sitter.get(app.url(&format!("/inbox/{}", ana.0))).send().await.expect("page").text().await.unwrap();
        for part in html.split("data-testid=\"message-body\">").skip(1) {
            let body = part.split("</p>").next().unwrap_or_default();
            responses.push(("page".into(), body.to_string()));
        }
        // Searching for the pieces finds nothing through what was hidden.
        for q in ["914", "868", "2739", "646", "220", "7311", "914 868"] {
            for past in [false, true] {
                let query = ThreadQuery { q: q.into(), past, ..Default::default() };
                let page: ThreadPage = call_with(&sitter, &app.addr, ListThreads { query }).await.expect("search");
                assert!(
                    page.items.iter().all(|t| t.id != ana),
                    "{backend:?}: searching {q:?} found the conversation through hidden digits"
                );
            }
        }
        let found: ThreadPage = call_with(
            &sitter,
            &app.addr,
            ListThreads { query: ThreadQuery { q: "work line".into(), ..Default::default() } },
        )
        .await
        .expect("search");
        assert!(found.items.iter().any(|t| t.id == ana), "visible words are still found");

        let mut problems = Vec::new();
        for (what, text) in &responses {
            for n in numbers {
                if let Some(p) = shows_part_of(text, n) {
                    problems.push(format!("{what}: {text:?} shows {p} of {n}"));
                }
            }
        }
        assert!(problems.is_empty(), "{backend:?}: the sitter saw part of a number:\n{}", problems.join("\n"));

        // The live stream carries ids and kinds only: nothing to leak.
        let mut stream = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, events.chunk()).await {
            stream.push_str(&String::from_utf8_lossy(&chunk));
        }
        let data: Vec<serde_json::Value> = stream
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str(d.trim()).ok())
            .collect();
        assert!(data.len() >= 5, "an event per text reached the open conversation: {stream}");
        for d in &data {
            let keys: BTreeSet<&str> = d.as_object().expect("object").keys().map(String::as_str).collect();
            assert!(keys.is_subset(&BTreeSet::from(["kind", "thread_id"])), "{d}");
        }
    }
}

/// Words (letters and digits) of a text, lower-cased, two characters or more.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 2).map(str::to_lowercase).collect()
}

#[tokio::test]
async fn a_sitter_searching_every_word_of_the_demo_finds_only_what_their_thread_view_shows() {
    use sqlx::Row;
    for backend in backends() {
        let app = spawn_demo(backend).await;
        // A text that mixes a visible word with hidden contact details.
        app.text_in("SMmix1", ANA, MAYA_NUMBER, "Gate code 4821, or email ana.ruiz at gmail dot com").await;
        let sitter = app.client_for("sitter@example.com", "password123").await;
        let mut vocabulary: BTreeSet<String> = BTreeSet::new();
        for r in sqlx::query("SELECT body FROM messages").fetch_all(&app.db().read).await.unwrap() {
            vocabulary.extend(words(&r.try_get::<String, _>("body").unwrap()));
        }
        for r in sqlx::query("SELECT name FROM clients").fetch_all(&app.db().read).await.unwrap() {
            vocabulary.extend(words(&r.try_get::<String, _>("name").unwrap()));
        }
        for r in sqlx::query("SELECT name FROM sitters").fetch_all(&app.db().read).await.unwrap() {
            vocabulary.extend(words(&r.try_get::<String, _>("name").unwrap()));
        }
        assert!(vocabulary.len() > 100, "the demo has words to search: {}", vocabulary.len());
        let mut shown: HashMap<ThreadId, String> = HashMap::new();
        let mut problems = Vec::new();
        let mut hits = 0;
        for word in &vocabulary {
            for past in [false, true] {
                let query = ThreadQuery { q: word.clone(), past, ..Default::default() };
                let page: ThreadPage = call_with(&sitter, &app.addr, ListThreads { query }).await.expect("search");
                for t in page.items {
                    if let std::collections::hash_map::Entry::Vacant(slot) = shown.entry(t.id) {
                        let v = call_with(&sitter, &app.addr, GetThread { id: t.id }).await.expect("thread view");
                        let mut text = format!("{} {} {}", v.client, v.number, digits(&v.number));
                        for m in &v.messages {
                            text.push(' ');
                            text.push_str(&m.body);
                        }
                        slot.insert(text.to_lowercase());
                    }
                    hits += 1;
                    if !shown[&t.id].contains(word.as_str()) {
                        problems.push(format!(
                            "{word:?} (past: {past}) found thread {} whose view doesn't show it",
                            t.id.0
                        ));
                    }
                }
            }
        }
        assert!(hits > 20, "{backend:?}: the sitter does find their own conversations ({hits})");
        assert!(problems.is_empty(), "{backend:?}:\n{}", problems.join("\n"));
        // The hidden parts of the mixed text aren't searchable, the rest is.
        for (q, expect) in [("4821", true), ("ruiz", false), ("gmail", false), ("gate", true)] {
            let page: ThreadPage =
                call_with(&sitter, &app.addr, ListThreads { query: ThreadQuery { q: q.into(), ..Default::default() } })
                    .await
                    .expect("search");
            let ana = app.thread_of(ANA, MAYA_NUMBER).await;
            assert_eq!(page.items.iter().any(|t| t.id == ana), expect, "{backend:?}: searching {q:?}");
        }
    }
}
