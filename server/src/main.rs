//! `server`: the Leashline binary.
//!
//!   server [serve] [--seed-demo-if-empty]   run the web app (default)
//!   server migrate                          apply database migrations
//!   server seed --demo                      load the demo business
//!   server route                            routing decision for a snapshot on stdin
//!   server policy-check                     policy hits for each line on stdin
//!   server audit verify                     check every audit hash chain
//!   server org list                         one organisation per line, id first
//!   server api-key create --org <id> --name <label> [--scope read|read-write] [--rate-limit N]
//!                                           prints the new key alone on its last line
//!   server api-key revoke --org <id> <key id>
//!   server user unlock <email>              let someone locked out by failed sign-ins back in

use server::config::Config;
use std::process::ExitCode;

const USAGE: &str =
    "usage: server [serve [--seed-demo-if-empty] | migrate | seed --demo | route | policy-check | audit verify
              | org list | api-key create --org <id> --name <label> [--scope read|read-write] [--rate-limit N]
              | api-key revoke --org <id> <key id> | user unlock <email>]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["route"] => return server::cli::route(),
        ["policy-check"] => return server::cli::policy_check(),
        ["help"] | ["--help"] | ["-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    server::init_tracing();
    let result = match args.as_slice() {
        [] | ["serve"] => server::cli::serve(&config, false).await,
        ["serve", "--seed-demo-if-empty"] | ["--seed-demo-if-empty"] => server::cli::serve(&config, true).await,
        ["migrate"] => server::cli::migrate(&config).await,
        ["seed", "--demo"] => server::cli::seed_demo(&config).await,
        ["audit", "verify"] => return server::cli::audit_verify(&config).await,
        ["org", "list"] => server::cli::org_list(&config).await,
        ["api-key", "create", rest @ ..] => server::cli::api_key_create(&config, rest).await,
        ["api-key", "revoke", "--org", org, key] => server::cli::api_key_revoke(&config, org, key).await,
        ["user", "unlock", email] => server::cli::user_unlock(&config, email).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
