//! Business numbers as managed assets (SPEC §3.3): classes, the lifecycle
//! state machine, its guardrails, deterministic pool selection and health.
//! Every refusal is a sentence an owner can act on.

use crate::domain::ids::{NumberId, SitterId};
use crate::domain::phone::E164;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberClass {
    FrontDesk,
    Sitter,
    Pool,
}

impl NumberClass {
    pub const ALL: [NumberClass; 3] = [NumberClass::FrontDesk, NumberClass::Sitter, NumberClass::Pool];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberClass::FrontDesk => "front_desk",
            NumberClass::Sitter => "sitter",
            NumberClass::Pool => "pool",
        }
    }

    pub fn parse(s: &str) -> Option<NumberClass> {
        Some(match s {
            "front_desk" => NumberClass::FrontDesk,
            "sitter" => NumberClass::Sitter,
            "pool" => NumberClass::Pool,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberClass::FrontDesk => "Front Desk",
            NumberClass::Sitter => "Sitter",
            NumberClass::Pool => "Pool",
        }
    }
}

impl fmt::Display for NumberClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    Active,
    Quarantined,
    /// Released back to the provider; kept for history.
    Inactive,
}

impl NumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Active => "active",
            NumberStatus::Quarantined => "quarantined",
            NumberStatus::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<NumberStatus> {
        Some(match s {
            "active" => NumberStatus::Active,
            "quarantined" => NumberStatus::Quarantined,
            "inactive" => NumberStatus::Inactive,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberStatus::Active => "Active",
            NumberStatus::Quarantined => "Quarantined",
            NumberStatus::Inactive => "Released",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    DeliveryFailures,
    PolicyViolation,
    ManualReview,
    Other,
}

impl QuarantineReason {
    pub const ALL: [QuarantineReason; 4] = [
        QuarantineReason::DeliveryFailures,
        QuarantineReason::PolicyViolation,
        QuarantineReason::ManualReview,
        QuarantineReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineReason::DeliveryFailures => "delivery_failures",
            QuarantineReason::PolicyViolation => "policy_violation",
            QuarantineReason::ManualReview => "manual_review",
            QuarantineReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<QuarantineReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            QuarantineReason::DeliveryFailures => "Delivery failures",
            QuarantineReason::PolicyViolation => "Policy violation",
            QuarantineReason::ManualReview => "Manual review",
            QuarantineReason::Other => "Other",
        }
    }
}

/// Carrier registration for US business texting (A2P 10DLC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    Registered,
    Pending,
    Unregistered,
    /// Provider doesn't report it (non-US numbers, Demo).
    NotApplicable,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Registered => "registered",
            Registration::Pending => "pending",
            Registration::Unregistered => "unregistered",
            Registration::NotApplicable => "not_applicable",
        }
    }
    pub fn parse(s: &str) -> Registration {
        match s {
            "registered" => Registration::Registered,
            "pending" => Registration::Pending,
            "unregistered" => Registration::Unregistered,
            _ => Registration::NotApplicable,
        }
    }
}

pub const MIN_COOLDOWN_DAYS: i64 = 30;
pub const DEFAULT_COOLDOWN_DAYS: i64 = 90;

/// What the rules need to know about one number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumberFacts {
    pub id: NumberId,
    pub e164: E164,
    pub class: NumberClass,
    pub status: NumberStatus,
    pub sitter_id: Option<SitterId>,
    pub cooldown_until: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub registration: Registration,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LifecycleError {
    #[error(
        "{0} is your last active Front Desk number. Add another Front Desk number first — clients need a main line."
    )]
    LastFrontDesk(String),
    #[error("{0} is a Front Desk number and can't be lent out as a pool number.")]
    FrontDeskToPool(String),
    #[error(
        "{number} is cooling down until {until}. A number in cooldown can't be used; the cooldown can't be shortened."
    )]
    InCooldown { number: String, until: String },
    #[error("{0} is not in quarantine.")]
    NotQuarantined(String),
    #[error("{0} has been released and can't be used any more.")]
    Released(String),
    #[error("{0} is already quarantined.")]
    AlreadyQuarantined(String),
    #[error("{sitter} already has {number} as their sitter number. Release it first.")]
    SitterHasNumber { sitter: String, number: String },
    #[error("{0} is a Front Desk number; it can't belong to one sitter.")]
    FrontDeskToSitter(String),
    #[error("Choose a reason for the quarantine.")]
    ReasonMissing,
    #[error("Describe the reason in a few words when you pick \"Other\".")]
    OtherReasonNeedsText,
    #[error(
        "Cooldown must be at least {MIN_COOLDOWN_DAYS} days; {0} days would let a number reach a new client too soon."
    )]
    CooldownTooShort(i64),
    #[error("{0} isn't registered with the carriers (A2P 10DLC) yet. Texts from it may be filtered. Confirm to assign it anyway.")]
    UnregisteredNeedsConfirmation(String),
    #[error("{0} is already in the pool.")]
    AlreadyPool(String),
}

fn active_front_desks(all: &[NumberFacts]) -> usize {
    all.iter().filter(|n| n.class == NumberClass::FrontDesk && n.status == NumberStatus::Active).count()
}

fn is_last_front_desk(n: &NumberFacts, all: &[NumberFacts]) -> bool {
    n.class == NumberClass::FrontDesk && n.status == NumberStatus::Active && active_front_desks(all) <= 1
}

pub fn check_cooldown_days(days: i64) -> Result<i64, LifecycleError> {
    if days < MIN_COOLDOWN_DAYS {
        Err(LifecycleError::CooldownTooShort(days))
    } else {
        Ok(days)
    }
}

/// Checks a quarantine and returns when its cooldown ends.
pub fn quarantine(
    n: &NumberFacts,
    all: &[NumberFacts],
    reason: Option<QuarantineReason>,
    note: &str,
    now: DateTime<Utc>,
    cooldown_days: i64,
) -> Result<DateTime<Utc>, LifecycleError> {
    let reason = reason.ok_or(LifecycleError::ReasonMissing)?;
    if reason == QuarantineReason::Other && note.trim().is_empty() {
        return Err(LifecycleError::OtherReasonNeedsText);
    }
    match n.status {
        NumberStatus::Quarantined => return Err(LifecycleError::AlreadyQuarantined(n.e164.display())),
        NumberStatus::Inactive => return Err(LifecycleError::Released(n.e164.display())),
        NumberStatus::Active => {}
    }
    if is_last_front_desk(n, all) {
        return Err(LifecycleError::LastFrontDesk(n.e164.display()));
    }
    let days = check_cooldown_days(cooldown_days)?;
    Ok(now + Duration::days(days))
}

/// Quarantine → Active (as Pool), only once the cooldown is over.
pub fn release_from_quarantine(
    n: &NumberFacts,
    now: DateTime<Utc>,
    tz: crate::domain::time::BusinessTz,
) -> Result<(), LifecycleError> {
    match n.status {
        NumberStatus::Quarantined => {}
        NumberStatus::Inactive => return Err(LifecycleError::Released(n.e164.display())),
        NumberStatus::Active => return Err(LifecycleError::NotQuarantined(n.e164.display())),
    }
    match n.cooldown_until {
        Some(until) if now < until => {
            Err(LifecycleError::InCooldown { number: n.e164.display(), until: tz.date(until) })
        }
        _ => Ok(()),
    }
}

/// Active/Quarantined → Inactive (given back to the provider).
pub fn release_to_provider(n: &NumberFacts, all: &[NumberFacts]) -> Result<(), LifecycleError> {
    if n.status == NumberStatus::Inactive {
        return Err(LifecycleError::Released(n.e164.display()));
    }
    if is_last_front_desk(n, all) {
        return Err(LifecycleError::LastFrontDesk(n.e164.display()));
    }
    Ok(())
}

/// A Sitter number goes back to the pool (unassigned).
pub fn release_to_pool(
    n: &NumberFacts,
    now: DateTime<Utc>,
    tz: crate::domain::time::BusinessTz,
) -> Result<(), LifecycleError> {
    match (n.class, n.status) {
        (NumberClass::FrontDesk, _) => Err(LifecycleError::FrontDeskToPool(n.e164.display())),
        (_, NumberStatus::Inactive) => Err(LifecycleError::Released(n.e164.display())),
        (_, NumberStatus::Quarantined) => Err(LifecycleError::InCooldown {
            number: n.e164.display(),
            until: n.cooldown_until.map(|u| tz.date(u)).unwrap_or_else(|| "the end of its cooldown".into()),
        }),
        (NumberClass::Pool, NumberStatus::Active) if n.cooldown_until.is_none_or(|u| u <= now) => {
            Err(LifecycleError::AlreadyPool(n.e164.display()))
        }
        _ => Ok(()),
    }
}

/// Assigning a number to a sitter: active, not cooling down, not a Front
/// Desk, and the sitter holds no other active sitter number.
pub fn assign_to_sitter(
    n: &NumberFacts,
    sitter: SitterId,
    sitter_name: &str,
    all: &[NumberFacts],
    now: DateTime<Utc>,
    tz: crate::domain::time::BusinessTz,
    confirmed_unregistered: bool,
) -> Result<(), LifecycleError> {
    match n.status {
        NumberStatus::Inactive => return Err(LifecycleError::Released(n.e164.display())),
        NumberStatus::Quarantined => {
            return Err(LifecycleError::InCooldown {
                number: n.e164.display(),
                until: n.cooldown_until.map(|u| tz.date(u)).unwrap_or_else(|| "the end of its cooldown".into()),
            })
        }
        NumberStatus::Active => {}
    }
    if let Some(until) = n.cooldown_until.filter(|u| now < *u) {
        return Err(LifecycleError::InCooldown { number: n.e164.display(), until: tz.date(until) });
    }
    if n.class == NumberClass::FrontDesk {
        return Err(LifecycleError::FrontDeskToSitter(n.e164.display()));
    }
    if let Some(held) = all.iter().find(|o| {
        o.id != n.id
            && o.sitter_id == Some(sitter)
            && o.class == NumberClass::Sitter
            && o.status == NumberStatus::Active
    }) {
        return Err(LifecycleError::SitterHasNumber { sitter: sitter_name.to_string(), number: held.e164.display() });
    }
    if n.registration == Registration::Unregistered && !confirmed_unregistered {
        return Err(LifecycleError::UnregisteredNeedsConfirmation(n.e164.display()));
    }
    Ok(())
}

/// The pool number to lend next: active, unassigned, not cooling down,
/// least recently used (never used first), ties broken by the number.
pub fn select_pool_number(candidates: &[NumberFacts], now: DateTime<Utc>) -> Option<&NumberFacts> {
    candidates
        .iter()
        .filter(|n| {
            n.class == NumberClass::Pool
                && n.status == NumberStatus::Active
                && n.sitter_id.is_none()
                && n.cooldown_until.is_none_or(|u| u <= now)
        })
        .min_by(|a, b| a.last_used_at.cmp(&b.last_used_at).then_with(|| a.e164.cmp(&b.e164)))
}

/// A free Sitter-class number to hand to a newly activated sitter: same
/// preference order as the pool.
pub fn select_free_sitter_number(candidates: &[NumberFacts], now: DateTime<Utc>) -> Option<&NumberFacts> {
    candidates
        .iter()
        .filter(|n| {
            n.class == NumberClass::Sitter
                && n.status == NumberStatus::Active
                && n.sitter_id.is_none()
                && n.cooldown_until.is_none_or(|u| u <= now)
        })
        .min_by(|a, b| a.last_used_at.cmp(&b.last_used_at).then_with(|| a.e164.cmp(&b.e164)))
}

/// Whether the provider sends a number's texts and delivery reports here
/// (the messaging hookup, setup step 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hookup {
    /// Set and read back.
    Verified,
    Failed,
    /// Not checked yet.
    Pending,
}

impl Hookup {
    pub fn as_str(self) -> &'static str {
        match self {
            Hookup::Verified => "verified",
            Hookup::Failed => "failed",
            Hookup::Pending => "pending",
        }
    }

    /// Anything but verified or failed has not been checked.
    pub fn parse(s: &str) -> Hookup {
        match s {
            "verified" => Hookup::Verified,
            "failed" => Hookup::Failed,
            _ => Hookup::Pending,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Green,
    Yellow,
    Red,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Green => "green",
            Health::Yellow => "yellow",
            Health::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Health> {
        Some(match s {
            "green" => Health::Green,
            "yellow" => Health::Yellow,
            "red" => Health::Red,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Health::Green => "Healthy",
            Health::Yellow => "Some failures",
            Health::Red => "Failing",
        }
    }
}

/// Failure counts at or above `yellow_at` are yellow, at or above `red_at` red.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthThresholds {
    pub yellow_at: u32,
    pub red_at: u32,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds { yellow_at: 1, red_at: 3 }
    }
}

impl HealthThresholds {
    pub fn validate(self) -> Result<Self, String> {
        if self.yellow_at == 0 {
            return Err("The yellow threshold must be at least 1 failure.".into());
        }
        if self.red_at <= self.yellow_at {
            return Err("The red threshold must be higher than the yellow one.".into());
        }
        Ok(self)
    }
}

/// Health from delivery failures in the last 7 days.
pub fn health(failures_7d: u32, t: HealthThresholds) -> Health {
    if failures_7d >= t.red_at {
        Health::Red
    } else if failures_7d >= t.yellow_at {
        Health::Yellow
    } else {
        Health::Green
    }
}

/// Where one thread goes when its number is quarantined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadMove {
    /// To another number of the same class.
    ToNumber(NumberId),
    /// To the Front Desk number, owned by the owner inbox.
    ToOwnerInbox(NumberId),
}

/// The alternative for threads of a quarantined number: another active
/// number of the right class (Front Desk → another Front Desk; Sitter →
/// a free Sitter number, which then belongs to the same sitter; Pool → the
/// next pool number), else the Front Desk number (owner inbox).
pub fn quarantine_destination(n: &NumberFacts, all: &[NumberFacts], now: DateTime<Utc>) -> Option<ThreadMove> {
    let others: Vec<NumberFacts> = all.iter().filter(|o| o.id != n.id).cloned().collect();
    let same_class = match n.class {
        NumberClass::FrontDesk => others
            .iter()
            .filter(|o| o.class == NumberClass::FrontDesk && o.status == NumberStatus::Active)
            .min_by(|a, b| a.e164.cmp(&b.e164)),
        NumberClass::Sitter => select_free_sitter_number(&others, now),
        NumberClass::Pool => select_pool_number(&others, now),
    };
    if let Some(alt) = same_class {
        return Some(ThreadMove::ToNumber(alt.id));
    }
    others
        .iter()
        .filter(|o| o.class == NumberClass::FrontDesk && o.status == NumberStatus::Active)
        .min_by(|a, b| a.e164.cmp(&b.e164))
        .map(|fd| ThreadMove::ToOwnerInbox(fd.id))
}

#[cfg(test)]
mod tests;
