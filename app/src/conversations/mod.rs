//! Starting a conversation (the business texts a client first; SPEC §3.2):
//! the owner picks the client, which of the client's numbers, and the
//! business number it leaves from (Front Desk by default). The text goes
//! through the one send function — opt-out, readiness, quiet hours and the
//! anti-poaching check as for any send — and a client with no conversation
//! on that number gets one in the same transaction. Sitters can't start
//! one: they answer inside their windows (SPEC §2).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

use crate::domain::ids::{NumberId, ThreadId};
use crate::error::AppError;
use crate::inbox::SendResult;
use leptos::prelude::*;
pub use page::NewConversationPage;
use serde::{Deserialize, Serialize};

/// A client one can text, with their numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartClient {
    pub id: i64,
    pub name: String,
    pub opted_out_everywhere: bool,
    pub contacts: Vec<StartContact>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartContact {
    /// Canonical, `+15125550100`.
    pub e164: String,
    pub display: String,
    /// Business numbers this phone sent STOP to.
    pub opted_out_of: Vec<NumberId>,
}

/// A business number a conversation can leave from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromNumber {
    pub id: NumberId,
    /// "Front Desk · +1 (512) 555-0100", "Maya Chen's number · …".
    pub label: String,
    pub front_desk: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartChoices {
    /// The client asked for (`?client=`), if any.
    pub client: Option<StartClient>,
    /// Front Desk numbers first; the first is the default.
    pub numbers: Vec<FromNumber>,
    /// Quiet hours now: when they end ("8:00 AM"); a text waits until then.
    pub quiet_until: Option<String>,
    /// Why no conversation can start at all (setup not finished, no number).
    pub cannot_send: Option<String>,
}

/// The form as sent; the API fills it from its JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StartForm {
    pub client: i64,
    /// One of the client's numbers; empty = their first.
    pub to: String,
    /// The business number; None = the Front Desk.
    pub number: Option<i64>,
    pub body: String,
    /// Inside quiet hours: send now instead of at their end.
    pub send_now: bool,
    /// The owner saw the anti-poaching warning and sends anyway (recorded).
    pub confirm: bool,
}

/// What starting a conversation did: what the send said (as in the inbox),
/// and the conversation it happened in — `None` when nothing was written
/// (refused before the text was kept, or waiting for "send anyway").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub thread: Option<ThreadId>,
    pub result: SendResult,
}

#[server]
pub async fn load_start_choices(client: Option<i64>) -> Result<StartChoices, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::choices(&crate::platform::state()?.db, u.org_id, client).await
    })
    .await
}

#[server]
pub async fn find_start_clients(q: String) -> Result<Vec<StartClient>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::find_clients(&crate::platform::state()?.db, u.org_id, &q).await
    })
    .await
}

#[server]
pub async fn start_conversation(form: StartForm) -> Result<Started, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::start(&crate::platform::state()?, u.org_id, &actor, form).await
    })
    .await
}
