#![recursion_limit = "256"]
//! The server: configuration, HTTP routes, webhooks, background jobs and
//! the command line. Business rules live in `app`; this crate wires them
//! to the outside world.

pub mod api;
pub mod cli;
pub mod config;
pub mod exports;
pub mod http;
pub mod live;
pub mod media;
pub mod seed;
pub mod webhooks;

use app::platform::crypto::Secrets;
use app::platform::state::{EnvTwilio, RuntimeConfig};
use app::platform::{AppState, Db};
use config::{Config, ProviderChoice};
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Db(#[from] app::platform::db::DbError),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

/// Connects to the database, applies migrations and builds the state.
pub async fn prepare(config: &Config) -> Result<AppState, StartError> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(state_for(config, db))
}

pub fn state_for(config: &Config, db: Db) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name("leashline")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .build();
    let (live, _) = tokio::sync::broadcast::channel(1024);
    let env_twilio = match &config.provider {
        ProviderChoice::Twilio { account_sid, auth_token } => {
            Some(EnvTwilio { account_sid: account_sid.clone(), auth_token: auth_token.clone() })
        }
        ProviderChoice::PerOrganisation => None,
    };
    AppState {
        db,
        secrets: Secrets::new(&config.app_secret_key),
        public_base_url: config.public_base_url.clone(),
        secure_cookies: config.secure_cookies(),
        leptos_options,
        media_dir: config.media_dir.clone(),
        live,
        config: Arc::new(RuntimeConfig { env_twilio, twilio_api_base_url: config.twilio_api_base_url.clone() }),
        jobs_wake: Arc::new(tokio::sync::Notify::new()),
    }
}

/// Serves until the listener closes or a shutdown signal arrives; the
/// background worker runs alongside.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let worker = tokio::spawn(app::worker::run(state.clone()));
    let app = http::router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    worker.abort();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
