//! An organisation's settings (SPEC §4.10) with their allowed ranges.
//! Stored as JSON; every field has a default so older rows keep working.

use crate::domain::automation::QuietHours;
use crate::domain::numbers::{check_cooldown_days, HealthThresholds, DEFAULT_COOLDOWN_DAYS};
use crate::domain::policy::PolicySettings;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// Attempts per message before it is dead-lettered (1–10).
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles each time (5–3600).
    pub backoff_seconds: u32,
    /// Provider request timeout in seconds (3–60).
    pub timeout_seconds: u32,
    /// Consecutive provider failures that open the circuit breaker (2–50).
    pub breaker_threshold: u32,
    /// How long the breaker stays open, in seconds (30–3600).
    pub breaker_cooloff_seconds: u32,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            max_attempts: 3,
            backoff_seconds: 30,
            timeout_seconds: 15,
            breaker_threshold: 5,
            breaker_cooloff_seconds: 300,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    pub delivery: DeliverySettings,
    pub cooldown_days: i64,
    pub health: HealthThresholds,
    pub policy: PolicySettings,
    pub quiet_hours: QuietHours,
    pub diagnostics_mode: bool,
    /// Minutes within which a client should get a human reply.
    pub response_target_minutes: u32,
    /// Warn when fewer free pool numbers than this remain.
    pub pool_low_watermark: u32,
    /// Warn when the provider balance falls below this, in cents.
    pub low_balance_cents: i64,
    /// Default length offered for a new routing override, in hours (0 = until removed).
    pub default_override_hours: u32,
    /// Automations per thread per hour before the loop guard stops them.
    pub automation_rate_per_thread_hour: u32,
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            delivery: DeliverySettings::default(),
            cooldown_days: DEFAULT_COOLDOWN_DAYS,
            health: HealthThresholds::default(),
            policy: PolicySettings::default(),
            quiet_hours: QuietHours::default(),
            diagnostics_mode: false,
            response_target_minutes: 15,
            pool_low_watermark: 2,
            low_balance_cents: 2000,
            default_override_hours: 4,
            automation_rate_per_thread_hour: 3,
        }
    }
}

fn range(name: &str, v: i64, lo: i64, hi: i64, unit: &str) -> Result<(), String> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(format!("{name} must be between {lo} and {hi} {unit}; you entered {v}."))
    }
}

impl OrgSettings {
    /// Checks every range; the first problem is returned as a sentence.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_fields().map_err(|(_, e)| e)
    }

    /// Like `validate`, naming the setting at fault (the form field).
    pub fn validate_fields(&self) -> Result<(), (&'static str, String)> {
        let d = &self.delivery;
        let at = |field: &'static str| move |e: String| (field, e);
        range("Delivery attempts", d.max_attempts as i64, 1, 10, "attempts").map_err(at("max_attempts"))?;
        range("Retry delay", d.backoff_seconds as i64, 5, 3600, "seconds").map_err(at("backoff_seconds"))?;
        range("Provider timeout", d.timeout_seconds as i64, 3, 60, "seconds").map_err(at("timeout_seconds"))?;
        range("Circuit breaker threshold", d.breaker_threshold as i64, 2, 50, "failures")
            .map_err(at("breaker_threshold"))?;
        range("Circuit breaker pause", d.breaker_cooloff_seconds as i64, 30, 3600, "seconds")
            .map_err(at("breaker_cooloff_seconds"))?;
        check_cooldown_days(self.cooldown_days).map_err(|e| ("cooldown_days", e.to_string()))?;
        range("Cooldown", self.cooldown_days, 30, 365, "days").map_err(at("cooldown_days"))?;
        self.health.validate().map_err(at("red_at"))?;
        self.policy.validate().map_err(at("policy"))?;
        range("Response-time target", self.response_target_minutes as i64, 1, 1440, "minutes")
            .map_err(at("response_target_minutes"))?;
        range("Pool warning level", self.pool_low_watermark as i64, 0, 100, "numbers")
            .map_err(at("pool_low_watermark"))?;
        range("Low-balance warning", self.low_balance_cents, 0, 1_000_000, "cents").map_err(at("low_balance_cents"))?;
        range("Default override length", self.default_override_hours as i64, 0, 168, "hours")
            .map_err(at("default_override_hours"))?;
        range("Automation rate limit", self.automation_rate_per_thread_hour as i64, 1, 60, "per hour")
            .map_err(at("automation_rate_per_thread_hour"))?;
        Ok(())
    }
}

/// The longest HELP reply: two texts' worth.
pub const MAX_HELP_REPLY: usize = 320;

/// What a client gets when they text HELP: the owner's reply, or one that
/// names the business and says how to stop (what carriers ask of it).
pub fn help_reply(business: &str, custom: Option<&str>) -> String {
    match custom.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => format!("{business}: text us here any time. Reply STOP to opt out."),
    }
}

/// The owner's HELP reply as typed: `None` = the default one. Carriers ask
/// that it tells people how to stop, so it must say STOP.
pub fn check_help_reply(business: &str, typed: &str) -> Result<Option<String>, String> {
    let t = typed.trim();
    if t.is_empty() || t == help_reply(business, None) {
        return Ok(None);
    }
    let chars = t.chars().count();
    if chars > MAX_HELP_REPLY {
        return Err(format!("The HELP reply is {chars} characters; keep it to {MAX_HELP_REPLY} (two texts)."));
    }
    if !t.to_uppercase().contains("STOP") {
        return Err(
            "Say how to stop texts in the HELP reply (\u{201c}Reply STOP to opt out\u{201d}): carriers require it."
                .into(),
        );
    }
    Ok(Some(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(OrgSettings::default().validate(), Ok(()));
    }

    #[test]
    fn a_ten_day_cooldown_is_refused() {
        let s = OrgSettings { cooldown_days: 10, ..OrgSettings::default() };
        let e = s.validate().unwrap_err();
        assert!(e.contains("at least 30 days"), "{e}");
    }

    #[test]
    fn old_json_without_new_fields_still_loads() {
        let s: OrgSettings = serde_json::from_str(r#"{"cooldown_days": 60}"#).unwrap();
        assert_eq!(s.cooldown_days, 60);
        assert_eq!(s.delivery.max_attempts, 3);
    }

    #[test]
    fn the_help_reply_is_the_owners_or_the_default_and_always_says_stop() {
        assert_eq!(help_reply("Happy Tails", None), "Happy Tails: text us here any time. Reply STOP to opt out.");
        assert_eq!(help_reply("Happy Tails", Some("  ")), help_reply("Happy Tails", None));
        assert_eq!(check_help_reply("Happy Tails", ""), Ok(None));
        assert_eq!(check_help_reply("Happy Tails", &help_reply("Happy Tails", None)), Ok(None));
        let mine = "Happy Tails: call 512 555 0100 for help. Reply STOP to opt out.";
        assert_eq!(check_help_reply("Happy Tails", mine), Ok(Some(mine.to_string())));
        assert!(check_help_reply("Happy Tails", "We love dogs!").unwrap_err().contains("STOP"));
        assert!(check_help_reply("Happy Tails", &format!("Reply stop. {}", "x".repeat(320)))
            .unwrap_err()
            .contains("320"));
    }

    proptest::proptest! {
        #[test]
        fn a_kept_help_reply_is_short_and_says_stop(t in "\\PC{0,400}") {
            if let Ok(Some(kept)) = check_help_reply("Happy Tails", &t) {
                proptest::prop_assert!(kept.chars().count() <= MAX_HELP_REPLY);
                proptest::prop_assert!(kept.to_uppercase().contains("STOP"));
                proptest::prop_assert_eq!(help_reply("Happy Tails", Some(&kept)), kept);
            }
        }
    }
}
