//! What an automation is: trigger → conditions → ordered actions, and the
//! status rules (draft → active ⇄ paused → archived; activation needs a
//! passing test after the last edit).

use super::conditions::{unknown_fields, ConditionGroup};
use super::template::{is_known, variables_in};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    BookingCreated,
    BookingConfirmed,
    ThreadCreated,
    MessageReceived,
    WindowStarting,
    WindowEnded,
    /// A client's message has waited N minutes without a human reply.
    ClientUnanswered,
}

impl TriggerKind {
    pub const ALL: [TriggerKind; 7] = [
        TriggerKind::BookingCreated,
        TriggerKind::BookingConfirmed,
        TriggerKind::ThreadCreated,
        TriggerKind::MessageReceived,
        TriggerKind::WindowStarting,
        TriggerKind::WindowEnded,
        TriggerKind::ClientUnanswered,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::BookingCreated => "booking_created",
            TriggerKind::BookingConfirmed => "booking_confirmed",
            TriggerKind::ThreadCreated => "thread_created",
            TriggerKind::MessageReceived => "message_received",
            TriggerKind::WindowStarting => "window_starting",
            TriggerKind::WindowEnded => "window_ended",
            TriggerKind::ClientUnanswered => "client_unanswered",
        }
    }
    pub fn parse(s: &str) -> Option<TriggerKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            TriggerKind::BookingCreated => "A booking is created",
            TriggerKind::BookingConfirmed => "A booking is confirmed",
            TriggerKind::ThreadCreated => "A new conversation starts",
            TriggerKind::MessageReceived => "A client texts",
            TriggerKind::WindowStarting => "An assignment window is about to start",
            TriggerKind::WindowEnded => "An assignment window ends",
            TriggerKind::ClientUnanswered => "A client has waited without a reply",
        }
    }
    /// Triggers that need a number of minutes.
    pub fn needs_minutes(self) -> bool {
        matches!(self, TriggerKind::WindowStarting | TriggerKind::ClientUnanswered)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    #[serde(default)]
    pub minutes: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Client,
    Sitter,
    Owner,
}

impl Recipient {
    pub fn label(self) -> &'static str {
        match self {
            Recipient::Client => "the client",
            Recipient::Sitter => "the assigned sitter",
            Recipient::Owner => "the owner",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    SendSms,
    CreateAlert,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    /// For SendSms.
    #[serde(default)]
    pub recipient: Option<Recipient>,
    pub template: String,
    /// For CreateAlert: critical | warning | info.
    #[serde(default)]
    pub severity: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutomationStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

impl AutomationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AutomationStatus::Draft => "draft",
            AutomationStatus::Active => "active",
            AutomationStatus::Paused => "paused",
            AutomationStatus::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<AutomationStatus> {
        Some(match s {
            "draft" => AutomationStatus::Draft,
            "active" => AutomationStatus::Active,
            "paused" => AutomationStatus::Paused,
            "archived" => AutomationStatus::Archived,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            AutomationStatus::Draft => "Draft",
            AutomationStatus::Active => "Active",
            AutomationStatus::Paused => "Paused",
            AutomationStatus::Archived => "Archived",
        }
    }
}

/// Problems that stop an automation from being activated, in plain words.
pub fn problems(trigger: &Trigger, conditions: &ConditionGroup, actions: &[Action]) -> Vec<String> {
    let mut out = Vec::new();
    if trigger.kind.needs_minutes() {
        match trigger.minutes {
            Some(m) if (1..=10_080).contains(&m) => {}
            _ => out.push("Set how many minutes (1 to 10,080) for this trigger.".to_string()),
        }
    }
    for f in unknown_fields(conditions) {
        out.push(format!("Condition field \"{f}\" doesn't exist."));
    }
    if actions.is_empty() {
        out.push("Add at least one action.".to_string());
    }
    for (i, a) in actions.iter().enumerate() {
        if a.template.trim().is_empty() {
            out.push(format!("Action {} has no message.", i + 1));
        }
        if a.kind == ActionKind::SendSms && a.recipient.is_none() {
            out.push(format!("Action {} needs a recipient.", i + 1));
        }
        let unknown: Vec<String> = variables_in(&a.template).into_iter().filter(|v| !is_known(v)).collect();
        if !unknown.is_empty() {
            out.push(format!(
                "Action {} uses unknown variable{} {}.",
                i + 1,
                if unknown.len() > 1 { "s" } else { "" },
                unknown.iter().map(|u| format!("{{{{{u}}}}}")).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    out
}

/// Status changes an owner may make.
pub fn transition(from: AutomationStatus, to: AutomationStatus, tested_after_last_edit: bool) -> Result<(), String> {
    use AutomationStatus::*;
    match (from, to) {
        (Archived, _) => Err("Archived automations stay archived. Duplicate it to use it again.".into()),
        (_, Active) if !tested_after_last_edit => {
            Err("Run a test first: an automation can only be activated after a passing test since its last edit."
                .into())
        }
        (Draft | Paused, Active) | (Active, Paused) | (_, Archived) => Ok(()),
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("An automation can't go from {} to {}.", a.label(), b.label())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_variables_block_activation_with_their_names() {
        let actions = vec![Action {
            kind: ActionKind::SendSms,
            recipient: Some(Recipient::Client),
            template: "Hi {{client.first_name}}, {{pet.name}} is fine".into(),
            severity: None,
        }];
        let p = problems(
            &Trigger { kind: TriggerKind::MessageReceived, minutes: None },
            &ConditionGroup::default(),
            &actions,
        );
        assert_eq!(p, vec!["Action 1 uses unknown variable {{pet.name}}.".to_string()]);
    }

    #[test]
    fn timed_triggers_need_minutes() {
        let p =
            problems(&Trigger { kind: TriggerKind::WindowStarting, minutes: None }, &ConditionGroup::default(), &[]);
        assert!(p[0].contains("minutes"));
        assert!(p[1].contains("at least one action"));
    }

    #[test]
    fn activation_requires_a_passing_test_and_archive_is_final() {
        use AutomationStatus::*;
        assert!(transition(Draft, Active, false).is_err());
        assert!(transition(Draft, Active, true).is_ok());
        assert!(transition(Active, Paused, false).is_ok());
        assert!(transition(Paused, Active, true).is_ok());
        assert!(transition(Paused, Archived, false).is_ok());
        assert!(transition(Archived, Active, true).is_err());
        assert!(transition(Active, Draft, true).is_err());
    }
}
