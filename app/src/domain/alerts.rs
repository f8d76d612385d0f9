//! Alert severities (SPEC §3.7). Critical alerts can only be resolved,
//! never dismissed.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::Warning => "Warning",
            Severity::Info => "Info",
        }
    }
    pub fn can_dismiss(self) -> bool {
        self != Severity::Critical
    }
}

/// What an escalation does once an alert has stayed open too long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// Text a phone from the Front Desk number.
    Text,
    /// A notification for the owner in the app (the bell).
    Notify,
}

impl EscalationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationAction::Text => "text",
            EscalationAction::Notify => "notify",
        }
    }
    pub fn parse(s: &str) -> Option<EscalationAction> {
        match s {
            "text" => Some(EscalationAction::Text),
            "notify" => Some(EscalationAction::Notify),
            _ => None,
        }
    }
}

/// An escalation rule as the owner typed it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationRule {
    pub name: String,
    pub severity: Severity,
    pub after_minutes: i64,
    pub action: EscalationAction,
    /// The phone to text (Text only).
    pub target: Option<crate::domain::phone::E164>,
}

/// Checks an escalation rule; errors name the field.
pub fn escalation_rule(
    name: &str,
    severity: &str,
    after_minutes: &str,
    action: &str,
    target: &str,
    region: &str,
) -> Result<EscalationRule, (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(("name", "Give the rule a name (up to 80 characters).".into()));
    }
    let severity = Severity::parse(severity).ok_or(("severity", "Pick which alerts it escalates.".to_string()))?;
    let after_minutes = match after_minutes.trim().parse::<i64>() {
        Ok(m) if (1..=1440).contains(&m) => m,
        _ => return Err(("after_minutes", "Minutes must be a whole number from 1 to 1,440 (a day).".into())),
    };
    let action = EscalationAction::parse(action).ok_or(("action", "Pick what happens.".to_string()))?;
    let target = match action {
        EscalationAction::Text => Some(crate::domain::phone::E164::parse(target, region).map_err(|_| {
            (
                "target",
                format!(
                    "\"{}\" isn't a phone number we can text. Use the full number, e.g. +1 512 555 0199.",
                    target.trim()
                ),
            )
        })?),
        EscalationAction::Notify => None,
    };
    Ok(EscalationRule { name: name.to_string(), severity, after_minutes, action, target })
}

/// Whether an open alert should be escalated by a rule now.
pub fn escalation_due(rule: Severity, after_minutes: i64, alert: Severity, first_seen_ms: i64, now_ms: i64) -> bool {
    rule == alert && now_ms - first_seen_ms >= after_minutes * 60_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escalation_rules_are_checked_field_by_field() {
        assert_eq!(escalation_rule("", "critical", "15", "notify", "", "US").unwrap_err().0, "name");
        assert_eq!(escalation_rule("x", "loud", "15", "notify", "", "US").unwrap_err().0, "severity");
        assert_eq!(escalation_rule("x", "critical", "0", "notify", "", "US").unwrap_err().0, "after_minutes");
        assert_eq!(escalation_rule("x", "critical", "15", "text", "call me", "US").unwrap_err().0, "target");
        let r = escalation_rule(" Wake me ", "critical", "15", "text", "+1 512 555 0199", "US").unwrap();
        assert_eq!(
            (r.name.as_str(), r.after_minutes, r.target.map(|t| t.as_str().to_string())),
            ("Wake me", 15, Some("+15125550199".into()))
        );
        assert!(escalation_rule("x", "warning", "30", "notify", "ignored", "US").unwrap().target.is_none());
        assert!(!Severity::Critical.can_dismiss() && Severity::Warning.can_dismiss());
    }

    proptest! {
        /// Due exactly when the severities match and the alert is at least
        /// the rule's minutes old.
        #[test]
        fn escalation_is_due_after_its_minutes(after in 1i64..1440, age_s in 0i64..200_000, same in any::<bool>()) {
            let now = 10_000_000_000i64;
            let alert = if same { Severity::Critical } else { Severity::Warning };
            let due = escalation_due(Severity::Critical, after, alert, now - age_s * 1000, now);
            prop_assert_eq!(due, same && age_s >= after * 60);
        }
    }
}
