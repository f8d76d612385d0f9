//! Live updates over Server-Sent Events (GET /events). Events carry ids
//! only — never names or numbers; browsers refetch through the role-checked
//! server functions. Filtered per person on the server: owners get their
//! organisation's events, sitters only those of threads where their window
//! is active now. A reconnect (Last-Event-ID) or a lagging connection gets
//! a "resync" so the page catches up on anything missed.

use app::messaging::visibility;
use app::platform::state::LiveEvent;
use app::platform::{sessions, AppState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
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
    /// When the session was last confirmed valid.
    checked: Instant,
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
        let visible = match self.state.db.read.acquire().await {
            Ok(mut c) => {
                visibility::thread_active_for(&mut c, sitter, thread, app::platform::now()).await.unwrap_or(false)
            }
            Err(_) => false,
        };
        self.cache.insert(thread, (visible, Instant::now()));
        visible
    }
}

/// Whether `ev` takes this connection's access away: its session signed
/// out, or its person switched off.
fn revokes(ev: &LiveEvent, user: &sessions::SessionUser) -> bool {
    ev.kind == app::platform::state::ACCESS_REVOKED
        && ev.org_id == user.org_id.0
        && (ev.data.get("session").and_then(|v| v.as_str()) == Some(user.session_id.as_str())
            || ev.data.get("user_id").and_then(|v| v.as_i64()) == Some(user.user_id.0))
}

/// How often an open stream checks that its session is still valid (an
/// expiry, or a change made by another server process).
const RECHECK: Duration = Duration::from_secs(30);

fn stream_for(conn: Conn) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(conn, |mut c| async move {
        if let Some(e) = c.pending.pop() {
            return Some((Ok(e), c));
        }
        loop {
            let wait = RECHECK.saturating_sub(c.checked.elapsed());
            let next = tokio::time::timeout(wait, c.rx.recv()).await;
            if c.checked.elapsed() >= RECHECK {
                let still = sessions::lookup_hash(&c.state.db, &c.user.session_id, app::platform::now()).await;
                if !matches!(still, Ok(Some(_))) {
                    return None;
                }
                c.checked = Instant::now();
            }
            match next {
                Err(_) => {}
                Ok(Ok(ev)) => {
                    if revokes(&ev, &c.user) {
                        return None;
                    }
                    if c.visible(&ev).await {
                        c.seq += 1;
                        let e = event(c.seq, &ev.kind, ev.thread_id);
                        return Some((Ok(e), c));
                    }
                }
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    c.seq += 1;
                    let e = event(c.seq, "resync", None);
                    return Some((Ok(e), c));
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
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
    let idle = state.config.idle_timeout;
    let reconnect = headers.contains_key("last-event-id");
    let rx = state.live.subscribe();
    let first = event(1, if reconnect { "resync" } else { "hello" }, None);
    let conn = Conn { state, rx, user, seq: 1, cache: HashMap::new(), pending: vec![first], checked: Instant::now() };
    // Often enough that the idle timeout never closes an open stream.
    let beat = Duration::from_secs(20).min(idle / 2).max(Duration::from_millis(500));
    Sse::new(stream_for(conn)).keep_alive(KeepAlive::new().interval(beat)).into_response()
}
