//! The routing input: everything a decision depends on, and nothing else.
//! Its JSON form is stable: it is stored with every routed message so any
//! decision can be replayed, and it is what `server route` reads.

use crate::domain::ids::{OverrideId, SitterId, ThreadId, WindowId};
use crate::domain::numbers::{NumberClass, NumberStatus};
use crate::domain::phone::E164;
use crate::domain::time::BusinessTz;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    /// As stored ("inbound", "outbound").
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Inbound, Direction::Outbound].into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutingSnapshot {
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub sender: E164,
    /// The business number the message arrived on. Absent means "known and
    /// active" (hand-written snapshots usually leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_number: Option<BusinessNumberSnapshot>,
    pub thread: ThreadSnapshot,
    #[serde(default)]
    pub windows: Vec<WindowSnapshot>,
    #[serde(default)]
    pub overrides: Vec<OverrideSnapshot>,
    #[serde(default)]
    pub opted_out: bool,
    pub time_zone: BusinessTz,
    /// The Front Desk number, quoted in the pool-leakage automatic reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_desk: Option<E164>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusinessNumberSnapshot {
    pub e164: E164,
    /// `None` when the number isn't one of the business's numbers at all.
    pub status: Option<NumberStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadSnapshot {
    pub id: ThreadId,
    pub number_class: NumberClass,
    #[serde(default)]
    pub participants: Vec<E164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<WindowId>,
    pub sitter_id: SitterId,
    pub sitter_name: String,
    #[serde(default = "yes")]
    pub sitter_active: bool,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl WindowSnapshot {
    /// Start inclusive, end exclusive (SPEC §3.4).
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverrideSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<OverrideId>,
    pub target: OverrideTarget,
    /// The sitter's name for reasons ("Maya"); absent for the owner inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    #[serde(default = "yes")]
    pub target_active: bool,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub removed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub reason: String,
}

impl OverrideSnapshot {
    pub fn is_active_at(&self, at: DateTime<Utc>) -> bool {
        OverrideState::at(self.starts_at, self.ends_at, self.removed_at, at) == OverrideState::Active
    }
}

/// Where an override stands at a moment: the one rule the engine, the
/// overrides list and "replace the active override" all use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideState {
    Scheduled,
    Active,
    Expired,
    Removed,
}

impl OverrideState {
    pub fn at(
        starts: DateTime<Utc>,
        ends: Option<DateTime<Utc>>,
        removed: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> OverrideState {
        if removed.is_some_and(|r| r <= at) {
            OverrideState::Removed
        } else if ends.is_some_and(|e| e <= at) {
            OverrideState::Expired
        } else if starts > at {
            OverrideState::Scheduled
        } else {
            OverrideState::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OverrideState::Scheduled => "Scheduled",
            OverrideState::Active => "Active",
            OverrideState::Expired => "Expired",
            OverrideState::Removed => "Removed",
        }
    }
}

/// Where an override sends a thread. JSON: "owner_inbox" or "sitter:<id>".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OverrideTarget {
    OwnerInbox,
    Sitter(SitterId),
}

impl fmt::Display for OverrideTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideTarget::OwnerInbox => f.write_str("owner_inbox"),
            OverrideTarget::Sitter(id) => write!(f, "sitter:{id}"),
        }
    }
}

impl std::str::FromStr for OverrideTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "owner_inbox" {
            return Ok(OverrideTarget::OwnerInbox);
        }
        s.strip_prefix("sitter:")
            .and_then(|id| id.trim().parse::<i64>().ok())
            .map(|id| OverrideTarget::Sitter(SitterId(id)))
            .ok_or_else(|| format!("override target must be \"owner_inbox\" or \"sitter:<id>\", got {s:?}"))
    }
}

impl Serialize for OverrideTarget {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OverrideTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn yes() -> bool {
    true
}
