//! Alerts (SPEC §3.7, §4.8): open alerts grouped by severity, each one per
//! cause with how many times it was seen; resolve or dismiss with who and
//! when (critical alerts can only be resolved — the server refuses a
//! dismissal); the archive of closed alerts, never deleted; escalation
//! rules and their history below the alerts.

pub mod escalation;
mod page;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sweep;

use crate::domain::alerts::{AlertStatus, Severity};
use crate::error::AppError;
use leptos::prelude::*;
pub use page::AlertsPage;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: i64,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub status: AlertStatus,
    /// "Resolved by Olivia Grant, 2 h ago: note"
    pub closed: Option<String>,
    pub thread_id: Option<i64>,
    pub number: Option<String>,
}

#[server]
pub async fn list_alerts(archive: bool) -> Result<Vec<AlertView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&crate::platform::state()?.db, u.org_id, archive).await
    })
    .await
}

/// Resolves (or dismisses) an open alert; `note` is optional.
#[server]
pub async fn close_alert(id: i64, dismiss: bool, note: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::close(&crate::platform::state()?, u.org_id, u.user_id, &actor, id, dismiss, &note).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store;
