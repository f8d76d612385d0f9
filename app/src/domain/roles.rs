//! Who is acting (SPEC §2). Permission checks on the server ask these
//! questions; the UI only mirrors the answers.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Sitter,
    /// Reserved: named by the data model and the checks, no screens yet.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Sitter => "sitter",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "sitter" => Some(Role::Sitter),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Owners (and the reserved admin role) run the business: numbers,
    /// routing, settings, automations, alerts, audit.
    pub fn manages_business(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of actor an audit event can name (SPEC §3.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Owner,
    Sitter,
    Admin,
    Client,
    System,
    Automation,
    /// An integration API key, named by its label.
    ApiKey,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Owner => "owner",
            ActorKind::Sitter => "sitter",
            ActorKind::Admin => "admin",
            ActorKind::Client => "client",
            ActorKind::System => "system",
            ActorKind::Automation => "automation",
            ActorKind::ApiKey => "api_key",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        Some(match s {
            "owner" => ActorKind::Owner,
            "sitter" => ActorKind::Sitter,
            "admin" => ActorKind::Admin,
            "client" => ActorKind::Client,
            "system" => ActorKind::System,
            "automation" => ActorKind::Automation,
            "api_key" => ActorKind::ApiKey,
            _ => return None,
        })
    }
}

impl From<Role> for ActorKind {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => ActorKind::Owner,
            Role::Sitter => ActorKind::Sitter,
            Role::Admin => ActorKind::Admin,
        }
    }
}
