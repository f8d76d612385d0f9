//! The command-line tools behind `server <command>`.

use crate::config::Config;
use crate::{prepare, seed, serve as serve_http, StartError};
use app::domain::policy;
use app::domain::routing::{decide, RoutingSnapshot};
use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

pub async fn serve(config: &Config, seed_if_empty: bool) -> Result<(), StartError> {
    let state = prepare(config).await?;
    if seed_if_empty && seed::is_empty(&state.db).await.map_err(|e| StartError::Other(e.to_string()))? {
        seed::demo(&state, config).await.map_err(|e| StartError::Other(format!("demo data: {e}")))?;
        tracing::info!("loaded the demo business (owner@example.com / password123)");
    }
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|source| StartError::Listen { addr: config.site_addr.to_string(), source })?;
    tracing::info!("listening on http://{} (public URL {})", config.site_addr, config.public_base_url);
    serve_http(state, listener).await.map_err(|e| StartError::Other(e.to_string()))
}

pub async fn migrate(config: &Config) -> Result<(), StartError> {
    prepare(config).await?;
    println!("database is up to date");
    Ok(())
}

pub async fn seed_demo(config: &Config) -> Result<(), StartError> {
    let state = prepare(config).await?;
    if !seed::is_empty(&state.db).await.map_err(|e| StartError::Other(e.to_string()))? {
        return Err(StartError::Other("the database already holds a business; seed into an empty database".into()));
    }
    seed::demo(&state, config).await.map_err(|e| StartError::Other(format!("demo data: {e}")))?;
    println!("demo business loaded: owner@example.com / password123, sitter@example.com / password123");
    Ok(())
}

/// Reads one routing snapshot (JSON) on stdin, prints the decision (JSON).
pub fn route() -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("could not read stdin: {e}");
        return ExitCode::from(2);
    }
    let snapshot: RoutingSnapshot = match serde_json::from_str(&input) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("not a routing snapshot: {e} (see README, \"Routing snapshots\")");
            return ExitCode::from(2);
        }
    };
    match serde_json::to_string_pretty(&decide(&snapshot)) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not print the decision: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One message per stdin line → one JSON object per line on stdout.
pub fn policy_check() -> ExitCode {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("could not read stdin: {e}");
                return ExitCode::from(2);
            }
        };
        let hits = policy::check(&line);
        let json = serde_json::json!({
            "violation": !hits.is_empty(),
            "hits": hits.iter().map(|h| serde_json::json!({
                "type": h.kind.as_str(), "start": h.start, "end": h.end, "text": h.text, "reason": h.reason,
            })).collect::<Vec<_>>(),
            "redacted": policy::redact(&line, &hits),
        });
        if writeln!(out, "{json}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Walks every organisation's audit chain; exits 1 naming the first broken event.
pub async fn audit_verify(config: &Config) -> ExitCode {
    let state = match prepare(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let orgs = match app::platform::audit::chains(&state.db).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ok = true;
    for org in orgs {
        match app::platform::audit::verify(&state.db, org).await {
            Ok(report) => match report.broken {
                None => println!("organisation {}: {} events, chain intact", org.0, report.events),
                Some(b) => {
                    ok = false;
                    println!(
                        "organisation {}: BROKEN at event {} (sequence {}): {}",
                        org.0, b.event_id, b.seq, b.problem
                    );
                }
            },
            Err(e) => {
                eprintln!("error reading organisation {}: {e}", org.0);
                return ExitCode::FAILURE;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
