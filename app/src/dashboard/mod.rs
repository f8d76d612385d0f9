//! Dashboard (SPEC §4.2): today at a glance, every number a link to the
//! list it counts.

use crate::error::AppError;
use leptos::prelude::*;
pub use page::DashboardPage;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowLine {
    pub sitter: String,
    pub client: String,
    /// "until 6:00 PM" / "from Tue 9:00 AM".
    pub when: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityLine {
    pub when: String,
    pub actor: String,
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Today {
    pub business: String,
    pub ready: bool,
    pub demo: bool,
    pub unread_threads: i64,
    pub active_now: Vec<WindowLine>,
    pub next_up: Vec<WindowLine>,
    pub open_violations: i64,
    pub failed_deliveries: i64,
    /// (critical, warning, info) open alerts.
    pub alerts: (i64, i64, i64),
    pub recent: Vec<ActivityLine>,
}

mod page;
#[cfg(feature = "ssr")]
pub mod store;

#[server]
pub async fn dashboard_today() -> Result<Today, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::today(&crate::platform::state()?.db, u.org_id, u.user_id).await
    })
    .await
}
