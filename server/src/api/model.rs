//! What the API reads and writes. Times are RFC 3339 in UTC; phone numbers
//! are E.164; ids are integers. These are the API's own shapes, stable
//! across UI changes.

use app::inbox::{InboxFilter, InboxSort};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn time_ms(v: i64) -> String {
    time(app::platform::from_ms(v))
}

pub fn opt_time_ms(v: Option<i64>) -> Option<String> {
    v.map(time_ms)
}

/// Page size and position for list endpoints.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many to return, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, super::Problem> {
        match self.limit {
            None => Ok(50),
            Some(l) if (1..=200).contains(&l) => Ok(l),
            Some(_) => Err(super::Problem::invalid("limit", "`limit` is between 1 and 200.")),
        }
    }

    /// Cursors are the last id of the previous page.
    pub fn after(&self) -> Result<Option<i64>, super::Problem> {
        match self.cursor.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(c) => c.parse::<i64>().ok().filter(|v| *v >= 0).map(Some).ok_or_else(|| {
                super::Problem::invalid("cursor", "That cursor isn't one this API gave out; start again without it.")
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: i64,
    /// E.164, such as +15125550123.
    #[schema(example = "+15125550123")]
    pub e164: String,
    pub label: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Client {
    pub id: i64,
    #[schema(example = "Ana Lopez")]
    pub name: String,
    #[schema(example = "Ana")]
    pub first_name: String,
    pub notes: Option<String>,
    /// Texted STOP to every business number.
    pub opted_out: bool,
    pub contacts: Vec<Contact>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<Client>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// A phone number; national numbers are read in the business's country.
    #[schema(example = "+15125550123")]
    pub e164: String,
    #[schema(example = "mobile")]
    pub label: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[schema(example = "Ana Lopez")]
    pub name: String,
    /// Defaults to the first word of `name`.
    pub first_name: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub contacts: Vec<NewContact>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub first_name: Option<String>,
    /// An empty string clears the notes.
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Sitter {
    pub id: i64,
    #[schema(example = "Maya Chen")]
    pub name: String,
    pub first_name: String,
    /// The sitter's own phone (never shown to clients).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// The sitter's business number, if they hold one.
    pub number: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub deactivated_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SitterList {
    pub items: Vec<Sitter>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSitter {
    #[schema(example = "Maya Chen")]
    pub name: String,
    pub first_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What an action does (or did): the same sentences the UI's preview shows.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Impact {
    /// False for `preview=true`: nothing was changed.
    pub done: bool,
    pub summary: String,
    pub lines: Vec<String>,
    pub sitter: Option<Sitter>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParam {
    /// true: say what would happen, change nothing.
    pub preview: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    /// A regular client: uses the sitter's own business number.
    WeeklyClient,
    /// Lends a pool number for the booking.
    OneTimeBooking,
    MeetAndGreet,
}

impl BookingKind {
    pub fn domain(self) -> app::domain::windows::AssignmentKind {
        use app::domain::windows::AssignmentKind as K;
        match self {
            BookingKind::WeeklyClient => K::WeeklyClient,
            BookingKind::OneTimeBooking => K::OneTimeBooking,
            BookingKind::MeetAndGreet => K::MeetAndGreet,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Booking {
    pub id: i64,
    pub client_id: i64,
    pub sitter_id: i64,
    #[schema(example = "one_time_booking")]
    pub kind: String,
    /// requested | confirmed | cancelled | completed
    #[schema(example = "confirmed")]
    pub status: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    /// The assignment window the booking made (null while only requested,
    /// and once cancelled).
    pub window_id: Option<i64>,
    pub thread_id: Option<i64>,
    /// The business number the client texts during the booking.
    pub number: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub items: Vec<Booking>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub client_id: i64,
    pub sitter_id: i64,
    /// Defaults to one_time_booking.
    pub kind: Option<BookingKind>,
    #[schema(format = DateTime, example = "2026-12-01T15:00:00Z")]
    pub starts_at: String,
    #[schema(format = DateTime, example = "2026-12-01T18:00:00Z")]
    pub ends_at: String,
    /// true: return what would happen (and the text the client would get) without booking.
    #[serde(default)]
    pub preview: bool,
    /// Defaults to confirmed. A requested booking is checked but makes no
    /// assignment and sends nothing until `POST /bookings/{id}/confirm`.
    pub status: Option<NewBookingStatus>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewBookingStatus {
    Requested,
    Confirmed,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingPatch {
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BookingPreview {
    pub summary: String,
    pub lines: Vec<String>,
    /// The text the client would get, if any.
    pub message: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Thread {
    pub id: i64,
    pub client_id: i64,
    pub client_name: String,
    /// The business number of the conversation.
    pub number: String,
    /// front_desk | sitter | pool
    pub number_class: String,
    /// False for a pool conversation no longer on its number.
    pub current: bool,
    pub unread_count: i64,
    #[schema(format = DateTime)]
    pub last_message_at: Option<String>,
    pub last_message_preview: Option<String>,
    /// Whose window is active now, if anyone's.
    pub assigned_sitter_id: Option<i64>,
    pub open_violations: i64,
    pub failed_deliveries: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ThreadList {
    pub items: Vec<Thread>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ThreadDetail {
    #[serde(flatten)]
    pub thread: Thread,
    /// The client's phone numbers.
    pub contacts: Vec<String>,
    pub opted_out: bool,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadParams {
    #[param(inline)]
    pub filter: Option<InboxFilter>,
    #[param(inline)]
    pub sort: Option<InboxSort>,
    /// Client name, message text, sitter name or a phone number.
    pub q: Option<String>,
    /// YYYY-MM-DD (business time zone): threads with a message on or after.
    pub from: Option<String>,
    /// YYYY-MM-DD: on or before.
    pub to: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub thread_id: i64,
    /// inbound | outbound | note
    pub direction: String,
    /// client | owner | sitter | automation | system | api
    pub sender_kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub body: String,
    /// received, queued, sending, sent, delivered, failed, undelivered, blocked, held, scheduled…
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub policy_flagged: bool,
    pub routing_decision_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub scheduled_for: Option<String>,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    pub items: Vec<Message>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[schema(example = "Hi Ana, Maya is on her way!")]
    pub body: String,
    /// Send even though the anti-poaching check found contact details (owner-level keys only; recorded).
    #[serde(default)]
    pub confirm: bool,
}

/// Texting a client first: the conversation on that business number is
/// theirs already, or it is created with the text.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThread {
    #[schema(minimum = 1)]
    pub client_id: i64,
    /// One of the client's numbers; omitted = their first.
    #[schema(example = "+17375550100")]
    pub to: Option<String>,
    /// The business number it leaves from (Front Desk or a sitter number); omitted = the Front Desk.
    #[schema(minimum = 1)]
    pub number_id: Option<i64>,
    #[schema(example = "Hi Ana, this is Happy Tails: we have a sitter free next week.")]
    pub body: String,
    /// Inside quiet hours: send now instead of when they end (recorded).
    #[serde(default)]
    pub send_now: bool,
    /// Send even though the anti-poaching check found contact details (recorded).
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ThreadStarted {
    pub thread_id: i64,
    pub message_id: i64,
    /// queued | scheduled (quiet hours)
    pub status: String,
    #[schema(format = DateTime)]
    pub scheduled_for: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SendAccepted {
    pub message_id: i64,
    /// queued | scheduled (quiet hours)
    pub status: String,
    #[schema(format = DateTime)]
    pub scheduled_for: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Number {
    pub id: i64,
    pub e164: String,
    /// front_desk | sitter | pool
    pub class: String,
    /// active | quarantined | inactive
    pub status: String,
    pub sitter_id: Option<i64>,
    pub area_code: Option<String>,
    pub monthly_cost_cents: Option<i64>,
    #[schema(format = DateTime)]
    pub purchased_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    pub quarantine_reason: Option<String>,
    #[schema(format = DateTime)]
    pub cooldown_until: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NumberList {
    pub items: Vec<Number>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberParams {
    /// front_desk | sitter | pool
    pub class: Option<String>,
    /// active | quarantined | inactive
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    /// Position in the organisation's hash chain.
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// owner | sitter | admin | client | system | automation | api_key
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub event_type: String,
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub summary: String,
    pub thread_id: Option<i64>,
    pub message_id: Option<i64>,
    pub number_id: Option<i64>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub hash: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Such as assignment.created, message.sent, api.call.
    pub event_type: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub actor_kind: Option<String>,
    pub thread_id: Option<i64>,
    /// RFC 3339: events at or after.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339: events before.
    #[param(format = DateTime)]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoutingDecision {
    pub id: i64,
    pub message_id: Option<i64>,
    pub thread_id: Option<i64>,
    #[schema(format = DateTime)]
    pub evaluated_at: String,
    /// override | window | owner_inbox …
    pub rule: String,
    /// owner_inbox | sitter
    pub target: String,
    pub target_sitter_id: Option<i64>,
    /// In words, in the business's time zone.
    pub reason: String,
    pub ruleset_version: String,
    /// Everything the decision depended on (see the README's snapshot format).
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    /// Target, reason and the ordered trace.
    #[schema(value_type = Object)]
    pub decision: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Replay {
    pub decision_id: i64,
    /// Re-running the engine on the stored snapshot gave the stored decision.
    pub identical: bool,
    #[schema(value_type = Object)]
    pub stored: serde_json::Value,
    #[schema(value_type = Object)]
    pub replayed: serde_json::Value,
}
