//! Number inventory (SPEC §3.3, §4.3): every business number with its
//! class, status, sitter, health, last use and 7-day volume; filters,
//! sorting and pages computed on the server; a detail panel; buy, import,
//! assign, release to pool, quarantine and release from quarantine, each
//! previewed, checked by the domain guardrails on the server and audited;
//! bulk versions with a result per number; CSV export of the filtered list.

mod page;
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::numbers::{Health, NumberClass, NumberStatus, QuarantineReason, Registration};
use crate::error::AppError;
use leptos::prelude::*;
pub use page::NumbersPage;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: usize = 25;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NumberFilter {
    /// front_desk, sitter, pool
    pub class: String,
    /// active, quarantined, inactive
    pub status: String,
    /// A sitter id, or "none" for numbers nobody holds.
    pub sitter: String,
    /// green, yellow, red
    pub health: String,
    /// busy (texts in the last 7 days), idle (none in 7 days), never (never used)
    pub usage: String,
    /// number, class, status, sitter, health, last_used, volume
    pub sort: String,
    /// asc or desc
    pub dir: String,
    /// 1-based.
    pub page: String,
}

impl NumberFilter {
    pub fn query_string(&self) -> String {
        let pairs = [
            ("class", &self.class),
            ("status", &self.status),
            ("sitter", &self.sitter),
            ("health", &self.health),
            ("usage", &self.usage),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", v.trim().replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "")))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRow {
    pub id: i64,
    pub e164: String,
    /// "+1 (512) 555-0100"
    pub display: String,
    pub class: NumberClass,
    pub status: NumberStatus,
    pub sitter_id: Option<i64>,
    pub sitter: Option<String>,
    pub health: Health,
    pub failures_7d: i64,
    /// "2 hours ago", or "Never".
    pub last_used: String,
    pub volume_7d: i64,
    /// Business-local date the cooldown ends, while it hasn't.
    pub cooldown_until: Option<String>,
    pub registration: Registration,
    /// Lent to an unfinished booking (pool numbers).
    pub lent_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberList {
    pub items: Vec<NumberRow>,
    /// Numbers matching the filters (all pages).
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Every number the business has, whatever the filters.
    pub all: usize,
    /// "Only 1 free pool number left…" when below the Settings watermark.
    pub pool_warning: Option<String>,
    pub sitters: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub when: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadLine {
    pub id: i64,
    pub client: String,
    pub last: String,
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberDetail {
    pub row: NumberRow,
    pub assignments: Vec<HistoryLine>,
    pub threads: Vec<ThreadLine>,
    pub failures: Vec<HistoryLine>,
    /// "23 days left (until Feb 1, 2027)"
    pub cooldown: Option<String>,
    pub quarantine_reason: Option<String>,
    /// Quarantined only: kept out of service after the cooldown.
    pub keep_quarantined: bool,
    pub purchased: Option<String>,
    /// "$1.15 a month"
    pub monthly_cost: Option<String>,
    pub hookup: String,
    pub registration_label: String,
    /// Only in diagnostics mode.
    pub provider_id: Option<String>,
    pub diagnostics: bool,
}

/// One change to one number; bulk actions apply it to each selected number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumberAction {
    Quarantine {
        reason: Option<QuarantineReason>,
        note: String,
    },
    ReleaseFromQuarantine,
    ReleaseToPool,
    AssignToSitter {
        sitter: i64,
        confirm_unregistered: bool,
    },
    /// After its cooldown a quarantined number returns to the pool by
    /// itself; `keep: true` keeps it out of service until released by hand.
    KeepQuarantined {
        keep: bool,
    },
    /// Give the number back to the provider (SPEC §3.3 → Inactive): it stops
    /// costing money and stops receiving texts. Its conversations move first.
    ReleaseToProvider,
}

impl NumberAction {
    pub fn verb(&self) -> &'static str {
        match self {
            NumberAction::Quarantine { .. } => "Quarantine",
            NumberAction::ReleaseFromQuarantine => "Release from quarantine",
            NumberAction::ReleaseToPool => "Release to pool",
            NumberAction::AssignToSitter { .. } => "Assign to sitter",
            NumberAction::KeepQuarantined { keep: true } => "Keep quarantined",
            NumberAction::KeepQuarantined { keep: false } => "Return to the pool after cooldown",
            NumberAction::ReleaseToProvider => "Release to the provider",
        }
    }
}

/// What an action would do to one number, or why it can't.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemImpact {
    pub id: i64,
    pub number: String,
    pub ok: bool,
    /// What will happen (ok) or the refusal (not ok), one sentence each.
    pub lines: Vec<String>,
    /// The number isn't carrier-registered: assigning needs a tick.
    pub needs_unregistered_confirm: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: i64,
    pub number: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub e164: String,
    pub display: String,
    pub place: String,
    pub monthly_cost: String,
    pub registered: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquired {
    pub id: i64,
    pub message: String,
}

#[server]
pub async fn list_numbers(filter: NumberFilter) -> Result<NumberList, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let mut c = st.db.read.acquire().await?;
        store::list(&mut c, u.org_id, &filter, crate::platform::now()).await
    })
    .await
}

#[server]
pub async fn number_card(id: i64) -> Result<NumberDetail, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let mut c = st.db.read.acquire().await?;
        store::detail(&mut c, u.org_id, id, crate::platform::now()).await
    })
    .await
}

/// What the action would do to each number; changes nothing.
#[server]
pub async fn preview_number_action(
    #[server(default)] ids: Vec<i64>,
    action: NumberAction,
) -> Result<Vec<ItemImpact>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::preview(&u, &ids, &action).await
    })
    .await
}

/// Applies the action to each number in its own transaction; one refusal
/// doesn't stop the others, and every result is reported.
#[server]
pub async fn apply_number_action(
    #[server(default)] ids: Vec<i64>,
    action: NumberAction,
) -> Result<Vec<ItemResult>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::apply(&u, &ids, &action).await
    })
    .await
}

#[server]
pub async fn search_numbers_for_sale(area_code: String) -> Result<Vec<Offer>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::search(&u, &area_code).await
    })
    .await
}

#[server]
pub async fn buy_number(e164: String, class: String) -> Result<Acquired, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::buy(&u, &e164, &class).await
    })
    .await
}

#[server]
pub async fn import_number(number_or_id: String, class: String) -> Result<Acquired, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::import(&u, &number_or_id, &class).await
    })
    .await
}
