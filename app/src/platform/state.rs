//! What every request handler and job can reach: the database, secrets,
//! the public URL webhooks are signed against, and the live-event bus.

use super::crypto::Secrets;
use super::db::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;

/// An event pushed to open browsers (inbox updates, notifications). The
/// server filters per user before anything leaves.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    pub org_id: i64,
    /// Threads the event concerns (for per-sitter filtering).
    pub thread_id: Option<i64>,
    /// Visible to owners only (settings, alerts, numbers…).
    pub owner_only: bool,
    pub kind: String,
    pub data: serde_json::Value,
}

/// A `LiveEvent` kind that ends live streams: `data.session` (a session's
/// id) signed out, or `data.user_id` was switched off.
pub const ACCESS_REVOKED: &str = "access.revoked";

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub secrets: Secrets,
    /// Scheme, host and port the outside world uses to reach us.
    pub public_base_url: String,
    pub secure_cookies: bool,
    pub leptos_options: LeptosOptions,
    pub media_dir: PathBuf,
    pub live: broadcast::Sender<LiveEvent>,
    pub config: Arc<RuntimeConfig>,
    /// Wakes the background worker when a job is queued.
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// Limits counted in this process (refused webhooks per address).
    pub limits: Arc<super::limits::Limiter>,
}

/// Settings from the environment that code deeper down needs.
#[derive(Clone, Debug, Default)]
pub struct RuntimeConfig {
    /// PROVIDER=twilio with TWILIO_* set: single-tenant Twilio credentials.
    pub env_twilio: Option<EnvTwilio>,
    pub twilio_api_base_url: String,
    /// Connections idle (nothing read or written) this long are closed.
    pub idle_timeout: std::time::Duration,
    /// Request headers must arrive within this.
    pub header_timeout: std::time::Duration,
}

#[derive(Clone)]
pub struct EnvTwilio {
    pub account_sid: String,
    pub auth_token: String,
}

impl std::fmt::Debug for EnvTwilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvTwilio({}…)", self.account_sid.chars().take(6).collect::<String>())
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

impl AppState {
    pub fn publish(&self, ev: LiveEvent) {
        // Nobody listening is fine.
        let _ = self.live.send(ev);
    }

    pub fn wake_worker(&self) {
        self.jobs_wake.notify_one();
    }
}
