//! Routing control (SPEC §4.4): the rules in plain language with how often
//! each decided, the simulator (the domain's `decide`, run in the browser on
//! a snapshot fetched once), overrides, and each thread's routing history.
//! `TraceView` renders a decision's reason and trace; the inbox's "why" and
//! the simulator both use it.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
mod simulator;
#[cfg(feature = "ssr")]
pub mod store;
mod trace;

use crate::domain::ids::{ClientId, SitterId, ThreadId};
use crate::domain::routing::{Decision, Direction, RoutingSnapshot, Rule};
use crate::error::AppError;
use leptos::prelude::*;
pub use page::RoutingPage;
use serde::{Deserialize, Serialize};
pub use trace::TraceView;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: Rule,
    pub title: String,
    pub plain: String,
    pub last_evaluated: Option<String>,
    pub decided_24h: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadOption {
    pub id: ThreadId,
    /// "Ana Lopez — Maya's number +1 (512) 555-0101"
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitterOption {
    pub id: SitterId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRow {
    pub id: i64,
    pub thread: ThreadId,
    pub thread_label: String,
    /// "Owner inbox" or the sitter's name.
    pub target: String,
    pub starts: String,
    /// "Until removed" or a time.
    pub ends: String,
    pub reason: String,
    pub created_by: String,
    /// Active, Removed or Expired.
    pub state: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingData {
    pub rules: Vec<RuleRow>,
    pub threads: Vec<ThreadOption>,
    pub sitters: Vec<SitterOption>,
    pub overrides: Vec<OverrideRow>,
    /// Clients with no conversation yet (the simulator previews their first text).
    pub new_clients: Vec<ClientOption>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOption {
    pub id: ClientId,
    pub name: String,
}

/// What the simulator needs, fetched once per thread: the thread's windows
/// and overrides (all of them, so any time can be tried) and who can text it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimBase {
    pub snapshot: RoutingSnapshot,
    /// (label, E.164) of each participant, plus "someone else".
    pub senders: Vec<(String, String)>,
    /// Today in the business's time zone, YYYY-MM-DD, and the minute of the day now.
    pub date: String,
    pub minute: u32,
    /// Set when previewing a client who has no conversation yet.
    pub client: Option<ClientId>,
    pub preview: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    pub at: String,
    pub rule: Rule,
    pub target: String,
    pub reason: String,
}

/// Someone who isn't on the thread, for "what if a stranger texts?".
pub const STRANGER: &str = "+15550109999";

/// Durations an override can be set for.
pub const DURATIONS: [(&str, &str); 4] =
    [("1h", "1 hour"), ("4h", "4 hours"), ("24h", "24 hours"), ("until_removed", "Until removed")];

pub fn duration_hours(code: &str) -> Option<Option<i64>> {
    match code {
        "1h" => Some(Some(1)),
        "4h" => Some(Some(4)),
        "24h" => Some(Some(24)),
        "until_removed" => Some(None),
        _ => None,
    }
}

#[server]
pub async fn routing_overview() -> Result<RoutingData, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        service::overview(&crate::platform::state()?.db, u.org_id).await
    })
    .await
}

/// A conversation, or a client with none yet (their first text to the
/// Front Desk); neither picks the most recent conversation. `Ok(None)`
/// when there are no conversations at all.
#[server]
pub async fn simulator_base(thread: Option<ThreadId>, client: Option<ClientId>) -> Result<Option<SimBase>, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        service::simulator_base(&crate::platform::state()?.db, u.org_id, thread, client).await
    })
    .await
}

/// The server's own decision for the same question, built from the
/// database exactly as an incoming text would be. Changes nothing.
#[server]
pub async fn check_on_server(
    thread: Option<ThreadId>,
    client: Option<ClientId>,
    at: String,
    sender: String,
    direction: Direction,
) -> Result<Decision, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        let db = crate::platform::state()?.db;
        service::check_on_server(&db, u.org_id, thread, client, &at, &sender, direction).await
    })
    .await
}

#[server]
pub async fn create_override(
    thread: ThreadId,
    target: String,
    duration: String,
    reason: String,
) -> Result<i64, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        let form = service::NewOverrideForm { thread, target, duration, reason };
        service::create_override(&crate::platform::state()?, &u, &actor, form).await
    })
    .await
}

#[server]
pub async fn remove_override(id: i64) -> Result<(), AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::remove_override(&crate::platform::state()?, &u, &actor, id).await
    })
    .await
}

/// A thread's stored decisions, newest first (`None`: the most recent conversation). `rule`/`result` empty = any;
/// dates are YYYY-MM-DD in the business's time zone.
#[server]
pub async fn routing_history(
    thread: Option<ThreadId>,
    from: String,
    to: String,
    rule: String,
    result: String,
) -> Result<Vec<HistoryRow>, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_owner().await?;
        let query = service::HistoryQuery { thread, from, to, rule, result };
        service::history(&crate::platform::state()?.db, u.org_id, query).await
    })
    .await
}
