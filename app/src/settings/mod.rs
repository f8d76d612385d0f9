//! Settings (SPEC §4.10): provider status with the way back into setup,
//! delivery, number and diagnostics settings, and API keys for the
//! integration API (create, shown once, revoke), health checks, failed
//! background jobs, and messaging rules (time zone, quiet hours,
//! anti-poaching actions, targets).

mod health;
mod operations;
mod page;
mod rules;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
mod store;
use crate::error::AppError;
pub use health::{FailedJobs, HealthChecks, ResolveFailedJob};
use leptos::prelude::*;
pub use operations::{LoadOperationsSettings, OperationsSettings, SaveOperationsSettings};
pub use page::SettingsPage;
pub use rules::{LoadRulesSettings, SaveRulesSettings};
use serde::{Deserialize, Serialize};

/// The editable settings, as typed (numbers as text so nothing is lost).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationsForm {
    pub max_attempts: String,
    pub backoff_seconds: String,
    pub timeout_seconds: String,
    pub cooldown_days: String,
    pub yellow_at: String,
    pub red_at: String,
    pub pool_low_watermark: String,
    pub diagnostics_mode: bool,
}

/// The messaging rules form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesForm {
    pub time_zone: String,
    pub quiet_enabled: bool,
    /// "21:00"
    pub quiet_start: String,
    pub quiet_end: String,
    /// (rule, action) for sitters, e.g. ("phone", "block").
    pub sitter_actions: Vec<(String, String)>,
    pub owner_warnings: bool,
    pub response_target_minutes: String,
    /// Dollars, as typed.
    pub low_balance: String,
    /// Automated texts one conversation may get in an hour, as typed.
    pub automation_rate_per_thread_hour: String,
    /// Numbers anyone may share (the vet, an emergency line), one per
    /// line, "Label: number", as typed.
    pub allowlist: String,
    /// What a client gets when they text HELP, as typed.
    pub help_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// "Read only" / "Read and write".
    pub scope: String,
    /// "ll_…a1b2": enough to recognise, never the key.
    pub hint: String,
    pub rate_limit_per_minute: i64,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub id: i64,
    pub name: String,
    /// Shown once, now.
    pub secret: String,
}

#[server]
pub async fn api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    crate::platform::run(async move {
        use crate::platform::{api_keys, ctx, now, state};
        let u = ctx::require_owner().await?;
        let st = state()?;
        let tz = {
            let mut c = st.db.read.acquire().await?;
            crate::messaging::store::org_context(&mut c, u.org_id).await?.tz
        };
        let now = now();
        Ok(api_keys::list(&st.db, u.org_id)
            .await?
            .into_iter()
            .map(|k| ApiKeyView {
                id: k.id,
                name: k.name,
                scope: k.scope.label().into(),
                hint: k.hint,
                rate_limit_per_minute: k.rate_limit_per_minute,
                created: tz.date(k.created_at),
                last_used: k.last_used_at.map(|t| crate::domain::time::relative(t, now, tz)),
                revoked: k.revoked_at.map(|t| tz.date(t)),
            })
            .collect())
    })
    .await
}

#[server]
pub async fn create_api_key(name: String, scope: String) -> Result<NewApiKey, AppError> {
    crate::platform::run(async move {
        use crate::platform::api_keys::{self, Scope, DEFAULT_RATE_LIMIT};
        use crate::platform::{ctx, now, state};
        let u = ctx::require_owner().await?;
        if u.via_key.is_some() {
            return Err(AppError::Forbidden("API keys are made by the owner in Settings, not by other keys.".into()));
        }
        let scope = Scope::parse(&scope).ok_or_else(|| AppError::field("scope", "Choose what the key may do."))?;
        let st = state()?;
        let name = api_keys::check_name(&name)?;
        let new = api_keys::NewKey {
            name: &name,
            scope,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT,
            created_by: Some(u.user_id),
        };
        let (id, secret) = api_keys::create(&st.db, u.org_id, new, &u.actor(ctx::request_id()), now()).await?;
        Ok(NewApiKey { id, name, secret })
    })
    .await
}

#[server]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    crate::platform::run(async move {
        use crate::platform::{api_keys, ctx, now, state};
        let u = ctx::require_owner().await?;
        let st = state()?;
        api_keys::revoke(&st.db, u.org_id, id, &u.actor(ctx::request_id()), Some(u.user_id), now()).await
    })
    .await
}
