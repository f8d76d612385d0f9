//! Anti-poaching policy (SPEC §3.5, §4.9): the composer's check, the
//! findings recorded when a text shares contact details, and the owner's
//! review of them.
//!
//! - The composer runs the send path's own verdict (`ComposePolicy`) in the
//!   browser, with the business's settings, allow-list and the sender's
//!   recent texts, so its warning says exactly what sending will do.
//! - Every finding is one `policy_violations` row, written by
//!   `store::insert_violation` wherever it is made (send, inbound, demo).
//! - The violations feed lists them; a blocked or held text can be approved
//!   and sent (recorded as an override), or the finding dismissed or
//!   resolved. Every review is audited with its note, in its transaction.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::outbound::{self, PolicyOutcome, Sender};
use crate::domain::policy::{self, PolicySettings, ViolationOutcome, ViolationStatus};
use crate::domain::routing::Direction;
use crate::error::AppError;
use leptos::prelude::*;
pub use page::ViolationsPage;
use serde::{Deserialize, Serialize};

/// What the send path checks a text against, handed to the compose box so
/// its warning is the send's own verdict, before any round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposePolicy {
    pub sender: Sender,
    /// The business's rules; the allow-list travels as `allow`.
    pub settings: PolicySettings,
    /// Digits that may be shared (the allow-list and the business's numbers).
    pub allow: Vec<String>,
    /// The sender's recent texts here, oldest first (a number split over
    /// several texts is caught as a whole).
    pub recent: Vec<String>,
}

impl ComposePolicy {
    pub fn outcome(&self, body: &str) -> PolicyOutcome {
        let recent: Vec<&str> = self.recent.iter().map(String::as_str).collect();
        let hits = policy::check_conversation(&recent, body, &self.allow);
        outbound::policy_outcome(self.sender, &hits, &self.settings)
    }

    pub fn warning(&self, body: &str) -> Option<String> {
        if body.trim().is_empty() {
            return None;
        }
        self.outcome(body).warning()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationView {
    pub id: i64,
    pub at: String,
    pub thread_id: Option<i64>,
    pub client: Option<String>,
    /// "Maya Chen (sitter)", "the client"
    pub who: String,
    pub direction: Direction,
    /// The text with the contact details replaced by ███.
    pub redacted: String,
    /// "phone number, email address"
    pub kinds: String,
    pub outcome: ViolationOutcome,
    pub status: ViolationStatus,
    /// "Approved by Olivia Grant, 2 h ago: note"
    pub reviewed: Option<String>,
    /// A kept outbound text that approving would send.
    pub can_send: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    ApproveAndSend,
    Dismiss,
    Resolve,
}

impl Review {
    pub fn label(self) -> &'static str {
        match self {
            Review::ApproveAndSend => "Approve and send",
            Review::Dismiss => "Dismiss",
            Review::Resolve => "Resolve",
        }
    }

    /// Where a finding stands once reviewed this way.
    pub fn status(self) -> ViolationStatus {
        match self {
            Review::ApproveAndSend => ViolationStatus::Approved,
            Review::Dismiss => ViolationStatus::Dismissed,
            Review::Resolve => ViolationStatus::Resolved,
        }
    }
}

/// `status`: open, approved, resolved or dismissed, as the page's tabs
/// send it; empty means open.
#[server]
pub async fn list_violations(status: String) -> Result<Vec<ViolationView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        service::list(&st.db, u.org_id, &status).await
    })
    .await
}

#[server]
pub async fn review_violation(id: i64, review: Review, note: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        service::review(&st, &u, id, review, &note).await
    })
    .await
}
