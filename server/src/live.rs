//! Live updates over Server-Sent Events (GET /events). Events carry ids
//! only — never names or numbers; browsers refetch through the role-checked
//! server functions. Filtered per person on the server: owners get their
//! organisation's events, sitters only those of threads where their window
//! is active now. A reconnect (Last-Event-ID) or a lagging connection gets
//! a "resync" so the page catches up on anything missed.

use app::platform::state::LiveEvent;
use app::platform::{ms, sessions, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use sqlx::Row;
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

struct Conn {
    state: AppState,
    rx: broadcast::Receiver<LiveEvent>,
    user: sessions::SessionUser,
    seq: u64,
    /// Sitters: thread → (visible, checked at).
    cache: HashMap<i64, (bool, Instant)>,
    pending: Vec<Event>,
}

fn event(seq: u64, kind: &str, thread: Option<i64>) -> Event {
    Event::default().id(seq.to_string()).data(serde_json::json!({ "kind": kind, "thread_id": thread }).to_string())
}

impl Conn {
    async fn visible(&mut self, ev: &LiveEvent) -> bool {
        if ev.org_id != self.user.org_id.0 {
            return false;
        }
        if self.user.is_owner() {
            return true;
        }
        if ev.owner_only {
            return false;
        }
        let (Some(thread), Some(sitter)) = (ev.thread_id, self.user.sitter_id) else { return false };
        if let Some((v, at)) = self.cache.get(&thread) {
            if at.elapsed() < Duration::from_secs(15) {
                return *v;
            }
        }
        let now = ms(app::platform::now());
        let visible = sqlx::query(
            "SELECT COUNT(*) AS n FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL AND starts_at <= $3 AND ends_at > $3",
        )
        .bind(thread)
        .bind(sitter.0)
        .bind(now)
        .fetch_one(&self.state.db.read)
        .await
        .ok()
        .and_then(|r| r.try_get::<i64, _>("n").ok())
        .is_some_and(|n| n > 0);
        self.cache.insert(thread, (visible, Instant::now()));
        visible
    }
}

fn stream_for(conn: Conn) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(conn, |mut c| async move {
        if let Some(e) = c.pending.pop() {
            return Some((Ok(e), c));
        }
        loop {
            match c.rx.recv().await {
                Ok(ev) => {
                    if c.visible(&ev).await {
                        c.seq += 1;
                        let e = event(c.seq, &ev.kind, ev.thread_id);
                        return Some((Ok(e), c));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    c.seq += 1;
                    let e = event(c.seq, "resync", None);
                    return Some((Ok(e), c));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

pub async fn events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(sessions::token_from_cookie_header);
    let user = match token {
        Some(t) => sessions::lookup(&state.db, &t, app::platform::now()).await.ok().flatten(),
        None => None,
    };
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, "Sign in to receive live updates.\n").into_response();
    };
    let reconnect = headers.contains_key("last-event-id");
    let rx = state.live.subscribe();
    let first = event(1, if reconnect { "resync" } else { "hello" }, None);
    let conn = Conn { state, rx, user, seq: 1, cache: HashMap::new(), pending: vec![first] };
    Sse::new(stream_for(conn)).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response()
}
