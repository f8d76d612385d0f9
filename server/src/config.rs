//! Configuration from the environment (and `.env`, if present). Every
//! setting is checked at start-up; a missing or malformed one is a single
//! line naming the variable, never a panic.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    pub public_base_url: String,
    pub app_secret_key: String,
    pub site_root: String,
    pub media_dir: PathBuf,
    pub provider: ProviderChoice,
    pub twilio_api_base_url: String,
    /// A connection with nothing read or written for this long is closed.
    pub idle_timeout: std::time::Duration,
    /// A client must send a request's headers within this.
    pub header_timeout: std::time::Duration,
}

#[derive(Clone, PartialEq, Eq)]
pub enum ProviderChoice {
    /// Chosen per organisation in the setup wizard (Demo by default).
    PerOrganisation,
    /// PROVIDER=twilio with credentials from the environment.
    Twilio { account_sid: String, auth_token: String },
}

impl std::fmt::Debug for ProviderChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderChoice::PerOrganisation => f.write_str("PerOrganisation"),
            ProviderChoice::Twilio { account_sid, .. } => {
                write!(f, "Twilio({}…)", account_sid.chars().take(6).collect::<String>())
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Where values come from: the process environment in production, a map
/// in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct Env;

impl Source for Env {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for std::collections::HashMap<&str, &str> {
    fn get(&self, key: &str) -> Option<String> {
        std::collections::HashMap::get(self, key).map(|v| v.to_string()).filter(|v| !v.trim().is_empty())
    }
}

fn err(var: &str, problem: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{var}: {problem}"))
}

impl Config {
    pub fn from_source(src: &impl Source) -> Result<Config, ConfigError> {
        let database_url = src.get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/app.db".to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                "DATABASE_URL",
                format!("must start with sqlite:// or postgres:// (got {database_url:?})"),
            ));
        }
        let addr_raw = src.get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".to_string());
        let site_addr: SocketAddr = addr_raw.parse().map_err(|_| {
            err("LEPTOS_SITE_ADDR", format!("must be an address like 127.0.0.1:3000 (got {addr_raw:?})"))
        })?;
        let public_base_url = match src.get("PUBLIC_BASE_URL") {
            Some(u) => {
                let u = u.trim().trim_end_matches('/').to_string();
                let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
                match rest {
                    Some(host) if !host.is_empty() && !host.contains(' ') => u,
                    _ => return Err(err("PUBLIC_BASE_URL", format!("must be the URL people and Twilio use to reach this server, like https://texts.example.com (got {u:?})"))),
                }
            }
            None => format!("http://{site_addr}"),
        };
        let app_secret_key = src.get("APP_SECRET_KEY").ok_or_else(|| {
            err(
                "APP_SECRET_KEY",
                "is missing; set it to a random string of at least 32 characters (e.g. `openssl rand -base64 32`)",
            )
        })?;
        if app_secret_key.trim().len() < 32 {
            return Err(err(
                "APP_SECRET_KEY",
                format!("is only {} characters; use at least 32 random characters", app_secret_key.trim().len()),
            ));
        }
        let site_root = src.get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_string());
        let media_dir = PathBuf::from(src.get("MEDIA_DIR").unwrap_or_else(|| "data/media".to_string()));
        let provider = match src.get("PROVIDER").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("demo") | Some("wizard") => ProviderChoice::PerOrganisation,
            Some("twilio") => {
                let account_sid = src
                    .get("TWILIO_ACCOUNT_SID")
                    .ok_or_else(|| err("TWILIO_ACCOUNT_SID", "is required when PROVIDER=twilio"))?;
                if !(account_sid.starts_with("AC") && account_sid.len() == 34) {
                    return Err(err("TWILIO_ACCOUNT_SID", "must look like AC followed by 32 characters"));
                }
                let auth_token = src
                    .get("TWILIO_AUTH_TOKEN")
                    .ok_or_else(|| err("TWILIO_AUTH_TOKEN", "is required when PROVIDER=twilio"))?;
                ProviderChoice::Twilio { account_sid, auth_token }
            }
            Some(other) => return Err(err("PROVIDER", format!("must be demo or twilio (got {other:?})"))),
        };
        let twilio_api_base_url = src
            .get("TWILIO_API_BASE_URL")
            .unwrap_or_else(|| "https://api.twilio.com".to_string())
            .trim_end_matches('/')
            .to_string();
        if !(twilio_api_base_url.starts_with("http://") || twilio_api_base_url.starts_with("https://")) {
            return Err(err("TWILIO_API_BASE_URL", format!("must be an http(s) URL (got {twilio_api_base_url:?})")));
        }
        let seconds = |var: &str, default: u64| -> Result<std::time::Duration, ConfigError> {
            match src.get(var) {
                None => Ok(std::time::Duration::from_secs(default)),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if (1..=3600).contains(&n) => Ok(std::time::Duration::from_secs(n)),
                    _ => Err(err(var, format!("must be a whole number of seconds from 1 to 3600 (got {v:?})"))),
                },
            }
        };
        let idle_timeout = seconds("HTTP_IDLE_TIMEOUT_SECONDS", 75)?;
        let header_timeout = seconds("HTTP_HEADER_TIMEOUT_SECONDS", 15)?;
        Ok(Config {
            database_url,
            site_addr,
            public_base_url,
            app_secret_key,
            site_root,
            media_dir,
            provider,
            twilio_api_base_url,
            idle_timeout,
            header_timeout,
        })
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        load_dotenv();
        Config::from_source(&Env)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

/// Reads KEY=VALUE lines from ./.env into the environment, without
/// overriding anything already set.
pub fn load_dotenv() {
    let Ok(text) = std::fs::read_to_string(".env") else { return };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        let k = k.trim().trim_start_matches("export ").trim();
        let v = v.trim().trim_matches('"').trim_matches('\'');
        if std::env::var_os(k).is_none() {
            // Single-threaded at this point of start-up.
            unsafe { std::env::set_var(k, v) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_need_only_the_secret() {
        let c = Config::from_source(&HashMap::from([("APP_SECRET_KEY", KEY)])).unwrap();
        assert_eq!(c.database_url, "sqlite://data/app.db");
        assert_eq!(c.public_base_url, "http://127.0.0.1:3000");
        assert_eq!(c.provider, ProviderChoice::PerOrganisation);
    }

    #[test]
    fn each_bad_setting_is_one_line_naming_the_variable() {
        let cases: Vec<(HashMap<&str, &str>, &str)> = vec![
            (HashMap::new(), "APP_SECRET_KEY"),
            (HashMap::from([("APP_SECRET_KEY", "short")]), "APP_SECRET_KEY"),
            (HashMap::from([("APP_SECRET_KEY", KEY), ("DATABASE_URL", "mysql://x")]), "DATABASE_URL"),
            (HashMap::from([("APP_SECRET_KEY", KEY), ("LEPTOS_SITE_ADDR", "localhost")]), "LEPTOS_SITE_ADDR"),
            (HashMap::from([("APP_SECRET_KEY", KEY), ("PUBLIC_BASE_URL", "texts.example.com")]), "PUBLIC_BASE_URL"),
            (HashMap::from([("APP_SECRET_KEY", KEY), ("PROVIDER", "twilio")]), "TWILIO_ACCOUNT_SID"),
            (HashMap::from([("APP_SECRET_KEY", KEY), ("PROVIDER", "pigeon")]), "PROVIDER"),
        ];
        for (env, var) in cases {
            let e = Config::from_source(&env).unwrap_err().to_string();
            assert!(e.starts_with(var), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
