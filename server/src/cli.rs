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

/// `server org list`: one organisation per line, id first.
pub async fn org_list(config: &Config) -> Result<(), StartError> {
    use sqlx::Row;
    let state = prepare(config).await?;
    let rows = sqlx::query("SELECT id, name, time_zone, provider_kind FROM organisations ORDER BY id")
        .fetch_all(&state.db.read)
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    for r in rows {
        let read = || -> Result<String, sqlx::Error> {
            Ok(format!(
                "{}\t{}\t{}\t{}",
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("name")?,
                r.try_get::<String, _>("time_zone")?,
                r.try_get::<String, _>("provider_kind")?
            ))
        };
        println!("{}", read().map_err(|e| StartError::Other(e.to_string()))?);
    }
    Ok(())
}

/// Options of `server api-key create`, parsed from `--flag value` pairs.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyArgs {
    pub org: i64,
    pub name: String,
    pub scope: app::platform::api_keys::Scope,
    pub rate_limit: i64,
}

pub fn parse_key_args(args: &[&str]) -> Result<KeyArgs, String> {
    use app::platform::api_keys::{Scope, DEFAULT_RATE_LIMIT};
    let (mut org, mut name, mut scope, mut rate) = (None, None, Scope::ReadWrite, DEFAULT_RATE_LIMIT);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match *flag {
            "--org" => {
                org =
                    Some(value.parse::<i64>().map_err(|_| format!("--org takes an organisation id, not \"{value}\""))?)
            }
            "--name" => name = Some(value.to_string()),
            "--scope" => {
                scope = Scope::parse(value).ok_or_else(|| format!("--scope is read or read-write, not \"{value}\""))?
            }
            "--rate-limit" => {
                rate = value
                    .parse::<i64>()
                    .map_err(|_| format!("--rate-limit takes requests a minute, not \"{value}\""))?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(KeyArgs {
        org: org.ok_or("--org is required (`server org list` shows the ids)")?,
        name: name.ok_or("--name is required (a label such as \"Zapier\")")?,
        scope,
        rate_limit: rate,
    })
}

/// `server api-key create --org <id> --name <label> [--scope read|read-write] [--rate-limit N]`:
/// a line about the key, then the key alone on the last line.
pub async fn api_key_create(config: &Config, args: &[&str]) -> Result<(), StartError> {
    use app::platform::api_keys;
    let a = parse_key_args(args).map_err(StartError::Other)?;
    let state = prepare(config).await?;
    let actor = app::platform::audit::Actor {
        kind: app::domain::roles::ActorKind::System,
        id: None,
        name: "Command line".into(),
        request_id: None,
    };
    let new = api_keys::NewKey { name: &a.name, scope: a.scope, rate_limit_per_minute: a.rate_limit, created_by: None };
    let (id, secret) = api_keys::create(&state.db, app::domain::ids::OrgId(a.org), new, &actor, app::platform::now())
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    println!(
        "API key {id} \"{}\" for organisation {}: {}, {} requests a minute. It is shown only now:",
        a.name.trim(),
        a.org,
        a.scope.label().to_lowercase(),
        a.rate_limit
    );
    println!("{secret}");
    Ok(())
}

/// `server api-key revoke --org <id> <key id>`.
pub async fn api_key_revoke(config: &Config, org: &str, key: &str) -> Result<(), StartError> {
    let org: i64 =
        org.parse().map_err(|_| StartError::Other(format!("--org takes an organisation id, not \"{org}\"")))?;
    let key: i64 = key.parse().map_err(|_| StartError::Other(format!("the key id is a number, not \"{key}\"")))?;
    let state = prepare(config).await?;
    let actor = app::platform::audit::Actor {
        kind: app::domain::roles::ActorKind::System,
        id: None,
        name: "Command line".into(),
        request_id: None,
    };
    app::platform::api_keys::revoke(&state.db, app::domain::ids::OrgId(org), key, &actor, None, app::platform::now())
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    println!("API key {key} revoked");
    Ok(())
}

/// `server user unlock <email>`: lets someone locked out by failed
/// sign-ins in again at once (the operator's way when nobody else can).
pub async fn user_unlock(config: &Config, email: &str) -> Result<(), StartError> {
    use sqlx::Row;
    let state = prepare(config).await?;
    let email = email.trim().to_lowercase();
    let id: i64 = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(&state.db.read)
        .await
        .map_err(|e| StartError::Other(e.to_string()))?
        .ok_or_else(|| StartError::Other(format!("nobody signs in as {email}")))?
        .try_get("id")
        .map_err(|e| StartError::Other(e.to_string()))?;
    let actor = app::platform::audit::Actor {
        kind: app::domain::roles::ActorKind::System,
        id: None,
        name: "Command line".into(),
        request_id: None,
    };
    let name = app::auth::lockout::unlock(&state, app::domain::ids::UserId(id), None, &actor)
        .await
        .map_err(|e| StartError::Other(e.to_string()))?;
    println!("{name} ({email}) can sign in again");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::platform::api_keys::Scope;

    #[test]
    fn key_options_default_to_read_write_and_name_what_is_missing() {
        let a = parse_key_args(&["--org", "3", "--name", "Zapier"]).unwrap();
        assert_eq!(a, KeyArgs { org: 3, name: "Zapier".into(), scope: Scope::ReadWrite, rate_limit: 120 });
        let b = parse_key_args(&["--name", "R", "--org", "1", "--scope", "read", "--rate-limit", "10"]).unwrap();
        assert_eq!((b.scope, b.rate_limit), (Scope::Read, 10));
        assert!(parse_key_args(&["--org", "1"]).unwrap_err().contains("--name"));
        assert!(parse_key_args(&["--name", "x"]).unwrap_err().contains("--org"));
        assert!(parse_key_args(&["--org", "one", "--name", "x"]).unwrap_err().contains("organisation id"));
        assert!(parse_key_args(&["--org", "1", "--name", "x", "--scope", "admin"]).unwrap_err().contains("--scope"));
        assert!(parse_key_args(&["--org"]).unwrap_err().contains("needs a value"));
        assert!(parse_key_args(&["--colour", "red"]).unwrap_err().contains("unknown option"));
    }
}
