//! Automations (SPEC §3.6, §4.7): the list with enable/pause, the step-by-
//! step builder with a live preview, test runs against a real conversation
//! that send nothing, activation only after a passing test since the last
//! edit, and the execution log. The domain rules live in
//! `domain::automation`; [`runner`] runs them.

mod page;
#[cfg(feature = "ssr")]
pub mod runner;
#[cfg(feature = "ssr")]
mod store;

pub use page::{AutomationEditorPage, AutomationsPage};

use crate::domain::automation::conditions::ConditionOutcome;
use crate::domain::automation::definition::{AutomationStatus, Draft};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationRow {
    pub id: i64,
    pub name: String,
    pub lane: String,
    pub status: AutomationStatus,
    /// "A client has waited without a reply (30 min)"
    pub trigger: String,
    pub last_run: Option<String>,
    pub runs_24h: i64,
    pub failed_24h: i64,
    /// Why it was paused by the system, if it was.
    pub flagged: Option<String>,
    /// Tested since the last edit: can be switched on right away.
    pub tested: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationDetail {
    pub id: i64,
    pub draft: Draft,
    pub status: AutomationStatus,
    pub version: i64,
    pub tested: bool,
    pub flagged: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub n: i64,
    pub result: String,
    /// The text sent or rendered, or why it didn't happen.
    pub detail: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionView {
    pub id: i64,
    pub at: String,
    pub status: crate::domain::automation::RunStatus,
    pub is_test: bool,
    pub trigger: String,
    pub version: i64,
    pub thread_id: Option<i64>,
    pub client: Option<String>,
    pub conditions: Vec<ConditionOutcome>,
    pub actions: Vec<ActionResult>,
    /// For tests: whether the conditions held for the chosen conversation.
    pub matched: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleThread {
    pub id: i64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaveOutcome {
    pub id: i64,
    /// Set when saving an active automation paused it until it is tested.
    pub paused: bool,
}

#[server]
pub async fn list_automations(archived: bool) -> Result<Vec<AutomationRow>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&u, archived).await
    })
    .await
}

#[server]
pub async fn load_automation(id: i64) -> Result<AutomationDetail, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::load(&u, id).await
    })
    .await
}

/// Creates (`id` empty) or edits an automation. An edit makes a new
/// version that needs a new test; an active one is paused until then.
#[server(input = server_fn::codec::Json)]
pub async fn save_automation(
    id: Option<i64>,
    draft: Draft,
    template_key: Option<String>,
) -> Result<SaveOutcome, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::save(&u, id, draft, template_key).await
    })
    .await
}

/// Renders and evaluates the automation against a real conversation and
/// sends nothing; a pass unlocks activation of this version.
#[server]
pub async fn test_automation(id: i64, thread_id: i64) -> Result<ExecutionView, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::test(&u, id, thread_id).await
    })
    .await
}

#[server]
pub async fn set_automation_status(id: i64, status: AutomationStatus) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::set_status(&u, id, status).await
    })
    .await
}

#[server]
pub async fn automation_executions(id: i64) -> Result<Vec<ExecutionView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::executions(&u, id).await
    })
    .await
}

/// Recent conversations to test against.
#[server]
pub async fn sample_threads() -> Result<Vec<SampleThread>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::sample_threads(&u).await
    })
    .await
}
