#![recursion_limit = "256"]
//! The server: configuration, HTTP routes, webhooks, background jobs and
//! the command line. Business rules live in `app`; this crate wires them
//! to the outside world.

pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod exports;
pub mod guard;
pub mod http;
mod idle;
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
    let state = state_for(config, db);
    upgrade(&state).await.map_err(|e| StartError::Other(format!("upgrading stored data: {e}")))?;
    Ok(state)
}

/// Data a migration can't fill in SQL, filled once at start-up (a no-op
/// afterwards): what sitters may read of texts stored before that rule,
/// and the account id of Twilio organisations connected before it was kept.
async fn upgrade(state: &AppState) -> Result<(), sqlx::Error> {
    use sqlx::Row;
    let decided = app::messaging::redaction::backfill(&state.db).await?;
    if decided > 0 {
        tracing::info!(texts = decided, "decided what sitters may read of earlier texts");
    }
    let orgs = sqlx::query(
        "SELECT id, provider_credentials FROM organisations
         WHERE provider_kind = 'twilio' AND provider_account_sid IS NULL AND provider_credentials IS NOT NULL",
    )
    .fetch_all(&state.db.read)
    .await?;
    for r in orgs {
        let id: i64 = r.try_get("id")?;
        let stored: Option<String> = r.try_get("provider_credentials")?;
        match app::messaging::provider::decrypt_credentials(state, stored.as_deref()) {
            Ok(c) => {
                sqlx::query("UPDATE organisations SET provider_account_sid = $1 WHERE id = $2")
                    .bind(c.account_sid)
                    .bind(id)
                    .execute(&state.db.write)
                    .await?;
            }
            Err(e) => tracing::warn!(org = id, error = %e, "stored Twilio credentials unreadable"),
        }
    }
    Ok(())
}

/// Whether the front end was built with content-hashed file names: the
/// release build (`cargo leptos build`, `hash-files = true`) leaves
/// `hash.txt` beside the server binary, naming them. Test binaries and
/// builds without it serve the plain names.
fn hashed_build() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file())).unwrap_or(false)
}

pub fn state_for(config: &Config, db: Db) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name("leashline")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .hash_files(hashed_build())
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
        config: Arc::new(RuntimeConfig {
            env_twilio,
            twilio_api_base_url: config.twilio_api_base_url.clone(),
            idle_timeout: config.idle_timeout,
            header_timeout: config.header_timeout,
        }),
        jobs_wake: Arc::new(tokio::sync::Notify::new()),
        limits: Arc::new(app::platform::limits::Limiter::default()),
    }
}

/// Serves until a shutdown signal arrives; the background worker runs
/// alongside. Connections are served by hyper directly (not `axum::serve`)
/// so that a client that opens a socket and sends nothing, or trickles its
/// headers, is cut off instead of holding the socket forever
/// (HTTP_IDLE_TIMEOUT_SECONDS, HTTP_HEADER_TIMEOUT_SECONDS; live-update
/// streams write a keep-alive every 20 s, so they stay open).
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;
    let (idle, headers) = (state.config.idle_timeout, state.config.header_timeout);
    let worker = tokio::spawn(app::worker::run(state.clone()));
    let app = http::router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(headers);
        builder.http2().timer(TokioTimer::new());
        let io = TokioIo::new(idle::IdleTimeout::new(stream, idle));
        let conn = graceful.watch(builder.serve_connection_with_upgrades(io, service).into_owned());
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
    }
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
