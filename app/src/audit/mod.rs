//! Audit & compliance (SPEC §3.8, §4.9): the timeline with filters,
//! expandable details and links, CSV export of the filtered set, and the
//! hash-chain check; delivery failures and analytics live beside it (the
//! violations feed is in `policy`).

pub mod analytics;
pub mod failures;
mod page;
#[cfg(feature = "ssr")]
pub mod store;

use crate::error::AppError;
use leptos::prelude::*;
pub use page::{AuditPage, AuditTabs};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub event_type: String,
    /// owner, sitter, client, system, automation, api_key
    pub actor: String,
    /// A conversation id.
    pub thread: String,
    /// A business number.
    pub number: String,
    /// YYYY-MM-DD in the business's time zone.
    pub from: String,
    pub to: String,
}

impl AuditFilter {
    pub fn query_string(&self) -> String {
        let pairs = [
            ("event_type", &self.event_type),
            ("actor", &self.actor),
            ("thread", &self.thread),
            ("number", &self.number),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", crate::ui::percent_encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub seq: i64,
    pub when: String,
    pub at_utc: String,
    pub actor_kind: String,
    pub actor: String,
    pub event_type: String,
    pub entity: String,
    pub summary: String,
    pub thread_id: Option<i64>,
    pub message_id: Option<i64>,
    pub number_id: Option<i64>,
    pub request_id: Option<String>,
    pub payload: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    /// Pass back to get older events.
    pub next_before: Option<i64>,
    pub event_types: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub events: i64,
    pub intact: bool,
    pub detail: String,
}

#[server]
pub async fn audit_timeline(filter: AuditFilter, before: Option<i64>) -> Result<AuditPage, AppError> {
    crate::platform::run(async move {
        use crate::platform::{ctx, state};
        const PAGE: i64 = 50;
        let u = ctx::require_owner().await?;
        let st = state()?;
        let mut c = st.db.read.acquire().await?;
        let tz = crate::messaging::store::org_context(&mut c, u.org_id).await?.tz;
        let mut items = store::query(&mut c, u.org_id, tz, &filter, before, PAGE + 1).await?;
        let more = items.len() as i64 > PAGE;
        items.truncate(PAGE as usize);
        let next_before = if more { items.last().map(|r| r.id) } else { None };
        Ok(AuditPage { items, next_before, event_types: store::event_types(&mut c, u.org_id).await? })
    })
    .await
}

#[server]
pub async fn verify_audit_chain() -> Result<ChainStatus, AppError> {
    crate::platform::run(async move {
        use crate::platform::{audit, ctx, state};
        let u = ctx::require_owner().await?;
        let st = state()?;
        let report = audit::verify(&st.db, u.org_id).await?;
        Ok(match report.broken {
            None => ChainStatus {
                events: report.events,
                intact: true,
                detail: format!("All {} events check out: nothing has been changed or removed.", report.events),
            },
            Some(b) => ChainStatus {
                events: report.events,
                intact: false,
                detail: format!(
                    "The chain breaks at event {} (number {} in the trail): {}. Contact support with this message.",
                    b.event_id, b.seq, b.problem
                ),
            },
        })
    })
    .await
}
