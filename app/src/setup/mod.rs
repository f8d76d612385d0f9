//! The setup wizard (SPEC §4.1): seven steps from a fresh install to
//! "System ready". Each step is saved as it completes, so leaving and
//! coming back resumes; the server re-checks every requirement with the
//! same rules the page shows (`domain::setup`). Credentials are tested
//! before they are stored, stored encrypted, and never sent back.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::setup::{Check, Facts, Progress};
use crate::error::AppError;
use crate::numbers::Offer;
use leptos::prelude::*;
pub use page::SetupPage;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// "AC…1234" or "Demo provider".
    pub label: String,
    pub name: String,
    pub status: String,
    pub active: bool,
    /// "$42.50"
    pub balance: Option<String>,
    pub low_balance: bool,
    /// RFC 3339, when the provider last answered.
    pub checked: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupNumber {
    pub id: i64,
    pub display: String,
    /// `None` for a class this version doesn't know.
    pub class: Option<crate::domain::numbers::NumberClass>,
    pub quarantined: bool,
    pub hookup: crate::domain::numbers::Hookup,
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupState {
    /// Where a returning owner resumes (1 to 7).
    pub step: u8,
    pub progress: Progress,
    pub facts: Facts,
    pub readiness: Vec<Check>,
    pub ready: bool,
    pub business_name: String,
    pub time_zone: String,
    /// "demo", "twilio", or empty before step 1.
    pub provider: String,
    pub provider_label: Option<String>,
    /// PROVIDER=twilio in the server's environment: no credentials to type.
    pub server_credentials: bool,
    pub account: Option<AccountView>,
    pub numbers: Vec<SetupNumber>,
    pub public_base_url: String,
    pub hookup_base_url: String,
}

/// Step 1 as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectForm {
    /// "demo" or "twilio"
    pub mode: String,
    pub account_sid: String,
    pub auth_token: String,
    pub business_name: String,
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookupResult {
    pub display: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookupRun {
    pub results: Vec<HookupResult>,
    pub state: SetupState,
}

#[server]
pub async fn load_setup() -> Result<SetupState, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::load(&crate::platform::state()?, u.org_id.0).await
    })
    .await
}

/// Tests the connection with what was typed; saves only if it works.
#[server]
pub async fn connect_provider(form: ConnectForm) -> Result<SetupState, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::connect(&crate::platform::state()?, u.org_id, &u.actor(crate::platform::ctx::request_id()), form).await
    })
    .await
}

#[server]
pub async fn verify_account() -> Result<SetupState, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::verify(&crate::platform::state()?, u.org_id, &u.actor(crate::platform::ctx::request_id())).await
    })
    .await
}

#[server]
pub async fn complete_setup_step(step: u8) -> Result<SetupState, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::complete(&crate::platform::state()?, u.org_id, &u.actor(crate::platform::ctx::request_id()), step)
            .await
    })
    .await
}

#[server]
pub async fn skip_setup_step(step: u8) -> Result<SetupState, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::skip(&crate::platform::state()?, u.org_id, &u.actor(crate::platform::ctx::request_id()), step).await
    })
    .await
}

#[server]
pub async fn run_hookup(base_url: String) -> Result<HookupRun, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        service::hookup(&crate::platform::state()?, u.org_id, &u.actor(crate::platform::ctx::request_id()), &base_url)
            .await
    })
    .await
}

/// Up to `count` (1–50) numbers for sale in an area code, for bulk buying.
#[server]
pub async fn offers_for_bulk(area_code: String, count: u32) -> Result<Vec<Offer>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        if !(1..=50).contains(&count) {
            return Err(AppError::field("count", "Buy between 1 and 50 numbers at a time."));
        }
        crate::numbers::store::search_n(&u, &area_code, count as usize).await
    })
    .await
}
