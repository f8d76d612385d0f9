//! Anti-poaching policy (SPEC §3.5): finds attempts to share contact
//! details or move business off the platform, robust to obfuscation, and
//! quiet on ordinary pet-care talk. Pure; the sitter's compose box runs the
//! same `check` in the browser that the server runs before sending.

mod detect;
mod normalize;
mod phrases;
mod sitters;

pub use detect::{check, check_conversation, check_thread, check_with, redact, redact_spans, ConversationCheck};
pub use normalize::{normalize, NChar};
pub use sitters::{edge_fragments, hidden_spans, merge as merge_spans};

use crate::domain::phone::E164;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a recorded finding stands: open until the owner reviews it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationStatus {
    Open,
    /// The stopped text was approved and sent (an owner override).
    Approved,
    Resolved,
    Dismissed,
}

impl ViolationStatus {
    pub const ALL: [ViolationStatus; 4] =
        [ViolationStatus::Open, ViolationStatus::Approved, ViolationStatus::Resolved, ViolationStatus::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            ViolationStatus::Open => "open",
            ViolationStatus::Approved => "approved",
            ViolationStatus::Resolved => "resolved",
            ViolationStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<ViolationStatus> {
        ViolationStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ViolationStatus::Open => "Open",
            ViolationStatus::Approved => "Approved",
            ViolationStatus::Resolved => "Resolved",
            ViolationStatus::Dismissed => "Dismissed",
        }
    }
}

/// What happened to the text when the finding was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationOutcome {
    /// A client's text: delivered, flagged for the owner.
    Flagged,
    Blocked,
    /// Kept for the owner's review.
    Held,
    /// Sent and recorded (a "log only" rule).
    Logged,
    /// The owner sent it anyway.
    OwnerOverride,
}

impl ViolationOutcome {
    pub const ALL: [ViolationOutcome; 5] = [
        ViolationOutcome::Flagged,
        ViolationOutcome::Blocked,
        ViolationOutcome::Held,
        ViolationOutcome::Logged,
        ViolationOutcome::OwnerOverride,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ViolationOutcome::Flagged => "flagged",
            ViolationOutcome::Blocked => "blocked",
            ViolationOutcome::Held => "held",
            ViolationOutcome::Logged => "logged",
            ViolationOutcome::OwnerOverride => "owner_override",
        }
    }

    pub fn parse(s: &str) -> Option<ViolationOutcome> {
        ViolationOutcome::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ViolationOutcome::Flagged => "Flagged",
            ViolationOutcome::Blocked => "Blocked",
            ViolationOutcome::Held => "Held for review",
            ViolationOutcome::Logged => "Sent and logged",
            ViolationOutcome::OwnerOverride => "Sent anyway",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Phone,
    Email,
    Url,
    Social,
    Payment,
    OffPlatformPhrase,
}

impl HitKind {
    pub const ALL: [HitKind; 6] =
        [HitKind::Phone, HitKind::Email, HitKind::Url, HitKind::Social, HitKind::Payment, HitKind::OffPlatformPhrase];

    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Phone => "phone",
            HitKind::Email => "email",
            HitKind::Url => "url",
            HitKind::Social => "social",
            HitKind::Payment => "payment",
            HitKind::OffPlatformPhrase => "off_platform_phrase",
        }
    }

    pub fn parse(s: &str) -> Option<HitKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            HitKind::Phone => "a phone number",
            HitKind::Email => "an email address",
            HitKind::Url => "a web link",
            HitKind::Social => "a social media handle",
            HitKind::Payment => "a payment app",
            HitKind::OffPlatformPhrase => "an offer to deal outside the app",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            HitKind::Phone => "Phone number",
            HitKind::Email => "Email address",
            HitKind::Url => "Web link",
            HitKind::Social => "Social handle",
            HitKind::Payment => "Payment app",
            HitKind::OffPlatformPhrase => "Off-platform phrase",
        }
    }

    /// Rules that are the heart of anti-poaching can't be set to log-only.
    pub fn is_core(self) -> bool {
        matches!(self, HitKind::Phone | HitKind::Email)
    }
}

/// One finding. `start..end` are byte offsets into the checked text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: HitKind,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    Block,
    Hold,
    Log,
}

impl PolicyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyAction::Block => "block",
            PolicyAction::Hold => "hold",
            PolicyAction::Log => "log",
        }
    }
    pub fn parse(s: &str) -> Option<PolicyAction> {
        Some(match s {
            "block" => PolicyAction::Block,
            "hold" => PolicyAction::Hold,
            "log" => PolicyAction::Log,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            PolicyAction::Block => "Block",
            PolicyAction::Hold => "Hold for owner review",
            PolicyAction::Log => "Log only",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedNumber {
    pub label: String,
    pub e164: E164,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySettings {
    /// What happens to a sitter's message per rule.
    pub sitter_actions: BTreeMap<HitKind, PolicyAction>,
    /// Owners get a "send anyway" warning on hits (recorded when used).
    pub owner_warnings: bool,
    /// How many of the sender's previous messages are checked together with
    /// a new one (numbers split over several texts).
    pub recent_messages: u8,
    pub allowlist: Vec<AllowedNumber>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            sitter_actions: HitKind::ALL.into_iter().map(|k| (k, PolicyAction::Block)).collect(),
            owner_warnings: true,
            recent_messages: 3,
            allowlist: Vec::new(),
        }
    }
}

impl PolicySettings {
    /// Refuses settings that would switch anti-poaching off for sitters.
    pub fn validate(&self) -> Result<(), String> {
        for kind in HitKind::ALL {
            if kind.is_core() && self.sitter_actions.get(&kind) == Some(&PolicyAction::Log) {
                return Err(format!(
                    "{} can't be log-only for sitters: sharing contact details is what anti-poaching exists to stop. Choose Block or Hold.",
                    kind.title()
                ));
            }
        }
        if self.recent_messages > 10 {
            return Err("Check at most the last 10 messages together.".into());
        }
        Ok(())
    }

    /// The allow-list as the owner edits it: one per line, "Label: number".
    pub fn allowlist_text(&self) -> String {
        self.allowlist
            .iter()
            .map(|a| if a.label.is_empty() { a.e164.display() } else { format!("{}: {}", a.label, a.e164.display()) })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn allowlist_digits(&self) -> Vec<String> {
        self.allowlist.iter().map(|a| a.e164.digits().to_string()).collect()
    }
}

/// The most numbers an owner may allow-list.
pub const ALLOWLIST_MAX: usize = 50;
pub const ALLOWLIST_LABEL_MAX: usize = 60;

/// Reads the allow-list as typed: one number per line, optionally after a
/// label and a colon ("Riverside Vet: 512 555 0100"). Blank lines are
/// skipped and a repeated number is kept once; anything else that isn't a
/// number we can text is refused, naming the line.
#[cfg(feature = "ssr")]
pub fn parse_allowlist(text: &str, region: &str) -> Result<Vec<AllowedNumber>, String> {
    let mut out: Vec<AllowedNumber> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (label, raw) = match line.rsplit_once(':') {
            Some((label, raw)) => (label.trim(), raw.trim()),
            None => ("", line.trim()),
        };
        let e164 = E164::parse(raw, region).map_err(|e| format!("Line {}: {e}", i + 1))?;
        if label.chars().count() > ALLOWLIST_LABEL_MAX {
            return Err(format!("Line {}: keep the label under {ALLOWLIST_LABEL_MAX} characters.", i + 1));
        }
        if out.iter().any(|a| a.e164 == e164) {
            continue;
        }
        out.push(AllowedNumber { label: label.to_string(), e164 });
    }
    if out.len() > ALLOWLIST_MAX {
        return Err(format!("Allow at most {ALLOWLIST_MAX} numbers; this list has {}.", out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
