//! Clients in People (SPEC §4.11, §2): search, edit name, notes and phone
//! numbers (E.164, checked with the domain's phone type, one client per
//! number), the opt-out state per business number, and merging an
//! "Unknown" client (someone who texted from a new phone) into the client
//! they turn out to be — conversations, numbers and history move with them.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

use crate::error::AppError;
use leptos::prelude::*;
pub use page::ClientsPanel;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub e164: String,
    pub display: String,
    /// Business numbers this phone has opted out of (STOP).
    pub opted_out_of: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub notes: String,
    pub unknown: bool,
    pub opted_out_everywhere: bool,
    pub contacts: Vec<ContactView>,
    pub conversations: i64,
    pub last_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    pub items: Vec<ClientRow>,
    /// Matching clients, of which up to 100 are listed.
    pub total: i64,
}

/// The edit form as typed: phone numbers one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientForm {
    pub id: i64,
    pub name: String,
    pub notes: String,
    pub phones: String,
    pub opted_out_everywhere: bool,
}

#[server]
pub async fn list_clients(query: String) -> Result<ClientList, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::list(&crate::platform::state()?.db, u.org_id, &query).await
    })
    .await
}

/// Saves the client; returns what changed, one line each.
#[server]
pub async fn save_client(form: ClientForm) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::save(&crate::platform::state()?.db, u.org_id, &actor, form).await
    })
    .await
}

/// With `preview`, says what merging would do and changes nothing.
#[server]
pub async fn merge_client(unknown: i64, into: i64, preview: bool) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::merge(&crate::platform::state()?.db, u.org_id, &actor, unknown, into, preview).await
    })
    .await
}
