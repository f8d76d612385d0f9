//! Alert severities (SPEC §3.7). Critical alerts can only be resolved,
//! never dismissed.

use serde::{Deserialize, Serialize};

/// An alert is open until someone resolves it (the problem was dealt with)
/// or dismisses it (it wasn't one); the sweep resolves ones whose cause
/// went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Resolved,
    Dismissed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        [AlertStatus::Open, AlertStatus::Resolved, AlertStatus::Dismissed].into_iter().find(|a| a.as_str() == s)
    }
}

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

/// Checks an escalation rule; errors name the field. Server-only: it
/// parses the phone number.
#[cfg(feature = "ssr")]
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

/// What a rule's threshold measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Threshold {
    /// Nothing to tune (the rule fires on its event).
    None,
    /// Minutes a client has waited for a human reply (1–1,440).
    WaitMinutes,
    /// Days before a number's cooldown ends (1–30).
    CooldownDays,
    /// Percent of texts failed in 24 hours (1–100), once at least a minimum
    /// number were sent (1–10,000).
    FailureRate,
    /// Uses the number health thresholds in Settings.
    Health,
}

/// One alert rule (SPEC §3.7): what raises it, how loud it is by default,
/// and whether the owner may switch it off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub explains: &'static str,
    pub severity: Severity,
    pub threshold: Threshold,
    /// Checked every half minute by the worker (rather than on an event).
    pub scheduled: bool,
    /// Rules the business can't run without stay on at their severity.
    pub locked: bool,
}

pub const RULES: [RuleSpec; 9] = [
    RuleSpec {
        key: "client_waiting",
        label: "Client waiting for a reply",
        explains: "A client's text has had no reply from a person for longer than this.",
        severity: Severity::Warning,
        threshold: Threshold::WaitMinutes,
        scheduled: true,
        locked: false,
    },
    RuleSpec {
        key: "delivery_failure_rate",
        label: "Delivery failure rate",
        explains: "Too many of the texts sent in the last 24 hours failed to arrive.",
        severity: Severity::Warning,
        threshold: Threshold::FailureRate,
        scheduled: true,
        locked: false,
    },
    RuleSpec {
        key: "number_red",
        label: "A number turning red",
        explains: "A sitter or pool number failed to deliver as often as the red health threshold.",
        severity: Severity::Warning,
        threshold: Threshold::Health,
        scheduled: false,
        locked: false,
    },
    RuleSpec {
        key: "front_desk_failing",
        label: "Front Desk number failing",
        explains: "The Front Desk number turned red. Always on: clients can't reach the business without it.",
        severity: Severity::Critical,
        threshold: Threshold::Health,
        scheduled: false,
        locked: true,
    },
    RuleSpec {
        key: "provider_failing",
        label: "Messaging provider failing",
        explains: "The provider kept refusing requests and sending was paused. Always on.",
        severity: Severity::Critical,
        threshold: Threshold::None,
        scheduled: false,
        locked: true,
    },
    RuleSpec {
        key: "policy_violation",
        label: "Contact sharing",
        explains: "A text tried to share a phone number, email, link or payment handle.",
        severity: Severity::Warning,
        threshold: Threshold::None,
        scheduled: false,
        locked: false,
    },
    RuleSpec {
        key: "window_conflict",
        label: "Overlapping windows",
        explains: "Two sitters' windows for the same client overlap, so texts can't be routed to one of them.",
        severity: Severity::Warning,
        threshold: Threshold::None,
        scheduled: true,
        locked: false,
    },
    RuleSpec {
        key: "cooldown_ending",
        label: "Cooldown ending",
        explains: "A quarantined number is about to come back into the pool.",
        severity: Severity::Info,
        threshold: Threshold::CooldownDays,
        scheduled: true,
        locked: false,
    },
    RuleSpec {
        key: "automation_failing",
        label: "Automation failing",
        explains: "An automation failed three runs in a row and was paused.",
        severity: Severity::Warning,
        threshold: Threshold::None,
        scheduled: false,
        locked: false,
    },
];

pub fn rule_spec(key: &str) -> Option<&'static RuleSpec> {
    RULES.iter().find(|r| r.key == key)
}

/// A rule as the business configured it. Stored as JSON; missing fields
/// take the defaults, so a rule nobody touched behaves as shipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleThresholds {
    /// Client waiting; `None` follows the response-time target in Settings.
    pub wait_minutes: Option<i64>,
    pub cooldown_days: i64,
    pub failure_percent: i64,
    pub failure_min_sent: i64,
}

impl Default for RuleThresholds {
    fn default() -> Self {
        RuleThresholds { wait_minutes: None, cooldown_days: 7, failure_percent: 10, failure_min_sent: 20 }
    }
}

/// The owner's edit of one rule, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleForm {
    pub rule: String,
    pub enabled: bool,
    pub severity: String,
    /// The main number: minutes, days or percent (empty = the default).
    pub value: String,
    /// Failure rate only: the fewest texts sent before the rate counts.
    pub min_sent: String,
}

/// A checked rule edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleConfig {
    pub enabled: bool,
    pub severity: Severity,
    pub thresholds: RuleThresholds,
}

/// 1440 → "1,440".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn whole(field: &'static str, s: &str, lo: i64, hi: i64, what: &str) -> Result<i64, (&'static str, String)> {
    match s.trim().replace(',', "").parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err((
            field,
            format!(
                "{what} must be a whole number from {} to {}; you entered \"{}\".",
                grouped(lo),
                grouped(hi),
                s.trim()
            ),
        )),
    }
}

/// Checks an edit against the rule's kind, keeping the thresholds of other
/// kinds as they were; errors name the field.
pub fn rule_config(form: &RuleForm, current: &RuleThresholds) -> Result<RuleConfig, (&'static str, String)> {
    let spec = rule_spec(&form.rule).ok_or(("rule", format!("There is no alert rule called \"{}\".", form.rule)))?;
    let severity = Severity::parse(&form.severity).ok_or(("severity", "Pick a severity.".to_string()))?;
    if spec.locked && (!form.enabled || severity != spec.severity) {
        return Err(("enabled", format!("\"{}\" is always on at {} severity.", spec.label, spec.severity.label())));
    }
    let mut t = current.clone();
    match spec.threshold {
        Threshold::WaitMinutes => {
            t.wait_minutes =
                if form.value.trim().is_empty() { None } else { Some(whole("value", &form.value, 1, 1440, "Minutes")?) }
        }
        Threshold::CooldownDays => t.cooldown_days = whole("value", &form.value, 1, 30, "Days")?,
        Threshold::FailureRate => {
            t.failure_percent = whole("value", &form.value, 1, 100, "The percentage")?;
            t.failure_min_sent = whole("min_sent", &form.min_sent, 1, 10_000, "The minimum number of texts")?;
        }
        Threshold::None | Threshold::Health => {}
    }
    Ok(RuleConfig { enabled: form.enabled, severity, thresholds: t })
}

/// Whether a wait that began at `since_ms` is over the threshold now.
pub fn waiting_too_long(since_ms: i64, now_ms: i64, minutes: i64) -> bool {
    now_ms - since_ms >= minutes * 60_000
}

/// Whether `failed` of `sent` texts is at or over the rate, once enough were sent.
pub fn failure_rate_exceeded(sent: i64, failed: i64, percent: i64, min_sent: i64) -> bool {
    sent >= min_sent.max(1) && failed * 100 >= percent * sent
}

/// Whether a cooldown ending at `ends_ms` ends within `days` (and hasn't ended).
pub fn cooldown_ending_soon(ends_ms: i64, now_ms: i64, days: i64) -> bool {
    ends_ms > now_ms && ends_ms - now_ms <= days * 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[cfg(feature = "ssr")]
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
    #[test]
    fn rule_edits_are_checked_by_kind() {
        let cur = RuleThresholds::default();
        let form = |rule: &str, sev: &str, value: &str, min: &str, on: bool| RuleForm {
            rule: rule.into(),
            enabled: on,
            severity: sev.into(),
            value: value.into(),
            min_sent: min.into(),
        };
        assert_eq!(rule_config(&form("nope", "warning", "", "", true), &cur).unwrap_err().0, "rule");
        assert_eq!(rule_config(&form("client_waiting", "loud", "5", "", true), &cur).unwrap_err().0, "severity");
        assert_eq!(rule_config(&form("client_waiting", "warning", "0", "", true), &cur).unwrap_err().0, "value");
        assert_eq!(rule_config(&form("client_waiting", "warning", "soon", "", true), &cur).unwrap_err().0, "value");
        let c = rule_config(&form("client_waiting", "critical", " 45 ", "", true), &cur).unwrap();
        assert_eq!((c.severity, c.thresholds.wait_minutes), (Severity::Critical, Some(45)));
        assert_eq!(
            rule_config(&form("client_waiting", "warning", "", "", true), &cur).unwrap().thresholds.wait_minutes,
            None
        );
        assert_eq!(
            rule_config(&form("delivery_failure_rate", "warning", "15", "0", true), &cur).unwrap_err().0,
            "min_sent"
        );
        let c = rule_config(&form("delivery_failure_rate", "warning", "15", "1,000", false), &cur).unwrap();
        assert_eq!((c.enabled, c.thresholds.failure_percent, c.thresholds.failure_min_sent), (false, 15, 1000));
        assert_eq!(rule_config(&form("cooldown_ending", "info", "31", "", true), &cur).unwrap_err().0, "value");
        // Locked rules stay on at their severity.
        assert_eq!(rule_config(&form("front_desk_failing", "critical", "", "", false), &cur).unwrap_err().0, "enabled");
        assert_eq!(rule_config(&form("front_desk_failing", "warning", "", "", true), &cur).unwrap_err().0, "enabled");
        assert!(rule_config(&form("front_desk_failing", "critical", "", "", true), &cur).is_ok());
        // Thresholds of other kinds are kept.
        let mine = RuleThresholds { cooldown_days: 3, ..RuleThresholds::default() };
        assert_eq!(
            rule_config(&form("client_waiting", "warning", "20", "", true), &mine).unwrap().thresholds.cooldown_days,
            3
        );
        assert!(RULES.iter().all(|r| !r.locked || r.severity == Severity::Critical));
        assert_eq!(
            (grouped(7), grouped(1440), grouped(10_000), grouped(-1234567)),
            ("7".into(), "1,440".into(), "10,000".into(), "-1,234,567".into())
        );
        let e = rule_config(&form("client_waiting", "warning", "2000", "", true), &cur).unwrap_err().1;
        assert_eq!(e, "Minutes must be a whole number from 1 to 1,440; you entered \"2000\".");
    }

    proptest! {
        /// The failure rate fires exactly when enough texts were sent and
        /// the failed share reaches the percentage.
        #[test]
        fn failure_rate_matches_its_definition(sent in 0i64..5000, failed_share in 0.0f64..1.0, pct in 1i64..=100, min in 1i64..200) {
            let failed = (sent as f64 * failed_share) as i64;
            let fires = failure_rate_exceeded(sent, failed, pct, min);
            let share = if sent == 0 { 0.0 } else { failed as f64 * 100.0 / sent as f64 };
            prop_assert_eq!(fires, sent >= min && share + 1e-9 >= pct as f64);
        }

        /// A wait is too long exactly from its minutes on; a cooldown is
        /// "ending soon" only inside its window and never once over.
        #[test]
        fn waits_and_cooldowns_have_sharp_edges(age_s in -100i64..200_000, minutes in 1i64..1440, ahead_h in -48i64..2000, days in 1i64..=30) {
            let now = 20_000_000_000i64;
            prop_assert_eq!(waiting_too_long(now - age_s * 1000, now, minutes), age_s >= minutes * 60);
            let soon = cooldown_ending_soon(now + ahead_h * 3_600_000, now, days);
            prop_assert_eq!(soon, ahead_h > 0 && ahead_h <= days * 24);
        }
    }
}
