//! The inbox (SPEC §4.5, §2): the thread list and thread view for owners
//! and sitters, sending, retries, read state, and "why" for every routed
//! message. Sitters see only threads with their active window (their past
//! windows read-only), first names only, and never a client's number.

mod compose;
mod list;
mod page;
#[cfg(feature = "ssr")]
pub(crate) mod store;
#[cfg(feature = "ssr")]
pub(crate) use store::result_of;
mod thread;

pub use page::InboxPage;

use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{MessageId, ThreadId};
use crate::domain::numbers::NumberClass;
use crate::domain::routing::TraceStep;
use crate::error::AppError;
pub use crate::policy::ComposePolicy;
use crate::ui::Tone;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The list's search state, shared by the list and the page.
#[derive(Clone, Copy)]
pub struct ListState {
    pub filter: RwSignal<InboxFilter>,
    pub sort: RwSignal<InboxSort>,
    pub q: RwSignal<String>,
    pub from: RwSignal<String>,
    pub to: RwSignal<String>,
    pub past: RwSignal<bool>,
}

/// How a business number's class shows beside a conversation.
pub fn class_badge(c: NumberClass) -> (Tone, &'static str) {
    match c {
        NumberClass::FrontDesk => (Tone::Info, "Front Desk"),
        NumberClass::Sitter => (Tone::Brand, "Sitter"),
        NumberClass::Pool => (Tone::Warn, "Pool"),
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    #[default]
    All,
    Unread,
    Assigned,
    Unassigned,
    Violations,
    Failures,
}

impl InboxFilter {
    pub const ALL: [InboxFilter; 6] = [
        InboxFilter::All,
        InboxFilter::Unread,
        InboxFilter::Assigned,
        InboxFilter::Unassigned,
        InboxFilter::Violations,
        InboxFilter::Failures,
    ];
    pub fn label(self) -> &'static str {
        match self {
            InboxFilter::All => "All",
            InboxFilter::Unread => "Unread",
            InboxFilter::Assigned => "Assigned",
            InboxFilter::Unassigned => "Unassigned",
            InboxFilter::Violations => "Violations",
            InboxFilter::Failures => "Failures",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboxSort {
    #[default]
    Recent,
    UnreadFirst,
    ClientName,
    Assignment,
}

impl InboxSort {
    pub const ALL: [InboxSort; 4] =
        [InboxSort::Recent, InboxSort::UnreadFirst, InboxSort::ClientName, InboxSort::Assignment];
    pub fn label(self) -> &'static str {
        match self {
            InboxSort::Recent => "Most recent",
            InboxSort::UnreadFirst => "Unread first",
            InboxSort::ClientName => "Client name",
            InboxSort::Assignment => "Assignment",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            InboxSort::Recent => "recent",
            InboxSort::UnreadFirst => "unread_first",
            InboxSort::ClientName => "client_name",
            InboxSort::Assignment => "assignment",
        }
    }
    pub fn parse(s: &str) -> InboxSort {
        Self::ALL.into_iter().find(|x| x.as_str() == s).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadQuery {
    pub filter: InboxFilter,
    pub sort: InboxSort,
    /// Client name, message text, sitter name or business number.
    pub q: String,
    /// YYYY-MM-DD, in the business's time zone; threads with a message on or after.
    pub from: String,
    /// YYYY-MM-DD; on or before.
    pub to: String,
    pub cursor: Option<String>,
    /// Sitters: threads from their past windows (read-only).
    pub past: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub client: String,
    pub preview: String,
    pub when: String,
    pub unread: i64,
    /// "Maya until 6:00 PM"; None = unassigned.
    pub assignment: Option<String>,
    pub class: NumberClass,
    pub number: String,
    pub violations: bool,
    pub failures: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub items: Vec<ThreadSummary>,
    pub next_cursor: Option<String>,
    pub unread_threads: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Inbound,
    Outbound,
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    pub id: i64,
    pub state: MediaState,
}

/// An attachment as the thread shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaState {
    /// Kept: a signed, expiring link; `shown` says how the browser may show
    /// it (decided from the file's bytes), `None` = offered as a download.
    Ready { url: String, shown: Option<MediaKind> },
    /// Still being downloaded.
    Arriving,
    /// No copy was kept, and why.
    NotKept(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaKind {
    Picture,
    Sound,
    Video,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub kind: MessageKind,
    pub sender: String,
    pub body: String,
    pub at: String,
    pub status: Option<DeliveryStatus>,
    /// blocked / held / recorded, for messages that never went out.
    pub held: Option<String>,
    pub failure: Option<String>,
    pub media: Vec<MediaView>,
    pub violation_id: Option<i64>,
    pub decision_id: Option<i64>,
    /// "To Maya" / "To owner inbox" for routed inbound texts.
    pub routed: Option<String>,
    pub can_retry: bool,
    pub scheduled: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadView {
    pub id: ThreadId,
    pub client: String,
    /// Owners only, and not for an "Unknown" client (who can't be assigned
    /// until named): the client's id, for "Assign sitter".
    pub client_id: Option<i64>,
    /// Owners only: the client's numbers, formatted.
    pub contacts: Vec<String>,
    pub number: String,
    pub class: NumberClass,
    pub sitter: Option<String>,
    pub window: String,
    pub override_note: Option<String>,
    pub opted_out: bool,
    pub read_only: bool,
    /// Why compose is disabled, if it is.
    pub cannot_send: Option<String>,
    /// What the compose box checks a text against (when it can send).
    pub policy: Option<ComposePolicy>,
    pub messages: Vec<MessageView>,
    pub unread: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SendResult {
    Sent {
        message_id: MessageId,
    },
    Scheduled {
        message_id: MessageId,
        at: String,
    },
    /// Owner only: "send anyway?" with what was found, redacted.
    NeedsConfirmation {
        redacted: String,
        what: String,
    },
    Refused {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub id: i64,
    pub at: String,
    pub reason: String,
    pub target: String,
    pub trace: Vec<TraceStep>,
    pub ruleset_version: String,
    /// Re-running `decide` on the stored snapshot gives the stored decision.
    pub replay_identical: bool,
    pub snapshot_json: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationView {
    pub id: i64,
    pub redacted: String,
    pub kinds: Vec<String>,
    pub reasons: Vec<String>,
    pub status: String,
    pub outcome: String,
}

#[server]
pub async fn list_threads(query: ThreadQuery) -> Result<ThreadPage, AppError> {
    crate::platform::run(async move { store::list_threads(query).await }).await
}

#[server]
pub async fn get_thread(id: ThreadId) -> Result<ThreadView, AppError> {
    crate::platform::run(async move { store::get_thread(id).await }).await
}

#[server]
pub async fn send_message(thread: ThreadId, body: String, confirm: bool) -> Result<SendResult, AppError> {
    crate::platform::run(async move { store::send_message(thread, body, confirm).await }).await
}

/// The reply box as a plain form post, for a page whose script hasn't
/// arrived yet (or never will): the same send as `send_message`, with the
/// policy check, then back to the conversation. What wasn't sent comes back
/// in the page's address (`draft`) with the reason (`refused`), so nothing
/// typed is lost; an owner's "send anyway" posts `confirm=true`.
#[server]
pub async fn post_reply(thread: i64, body: String, confirm: Option<String>) -> Result<(), AppError> {
    crate::platform::run(async move { store::post_reply(ThreadId(thread), body, confirm.is_some()).await }).await
}

/// Where a plain-form reply returns to: the conversation, carrying what
/// wasn't sent and why (each part only when there is one).
pub fn reply_return(thread: ThreadId, draft: Option<&str>, refused: Option<&str>, notice: Option<&str>) -> String {
    let mut url = format!("/inbox/{}", thread.0);
    let mut sep = '?';
    for (key, value) in [("draft", draft), ("refused", refused), ("notice", notice)] {
        if let Some(v) = value {
            url.push(sep);
            url.push_str(key);
            url.push('=');
            url.push_str(&crate::ui::percent_encode(v));
            sep = '&';
        }
    }
    url
}

#[server]
pub async fn retry_message(id: MessageId) -> Result<(), AppError> {
    crate::platform::run(async move { store::retry_message(id).await }).await
}

#[server]
pub async fn set_read(thread: ThreadId, read: bool) -> Result<(), AppError> {
    crate::platform::run(async move { store::set_read(thread, read).await }).await
}

#[server]
pub async fn routing_decision(id: i64) -> Result<DecisionView, AppError> {
    crate::platform::run(async move { store::routing_decision(id).await }).await
}

#[server]
pub async fn violation_detail(id: i64) -> Result<ViolationView, AppError> {
    crate::platform::run(async move { store::violation_detail(id).await }).await
}

/// Unread conversations for the navigation badge.
#[server]
pub async fn unread_count() -> Result<i64, AppError> {
    crate::platform::run(async move { store::unread_count().await }).await
}
