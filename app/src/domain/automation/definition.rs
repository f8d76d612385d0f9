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
        if a.kind == ActionKind::CreateAlert
            && !matches!(a.severity.as_deref(), Some("critical") | Some("warning") | Some("info"))
        {
            out.push(format!("Action {} needs a severity (critical, warning or info).", i + 1));
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

/// What an automation can rely on: the active sitters' first names and the
/// classes of number the business has in service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    pub sitters: Vec<String>,
    pub number_classes: Vec<String>,
}

/// Why an automation can no longer act with today's sitters and numbers
/// (SPEC §3.6: validated again when the roster or numbers change).
pub fn roster_problems(
    trigger: &Trigger,
    conditions: &ConditionGroup,
    actions: &[Action],
    roster: &Roster,
) -> Vec<String> {
    fn walk(g: &ConditionGroup, path: &str, roster: &Roster, out: &mut Vec<String>) {
        for (i, c) in g.conditions.iter().enumerate() {
            let here = if path.is_empty() { format!("{}", i + 1) } else { format!("{path}.{}", i + 1) };
            let super::conditions::Value::Text(v) = &c.value else { continue };
            if c.operator != super::conditions::Operator::Equals {
                continue;
            }
            let v = v.trim();
            match c.field.as_str() {
                "sitter.first_name" if !roster.sitters.iter().any(|s| s.eq_ignore_ascii_case(v)) => out.push(format!(
                    "Condition {here} looks for the sitter \"{v}\", who isn't an active sitter any more."
                )),
                "thread.number_class" if !roster.number_classes.iter().any(|k| k.eq_ignore_ascii_case(v)) => {
                    out.push(format!("Condition {here} needs a {v} number, and none is in service."))
                }
                _ => {}
            }
        }
        for (j, sub) in g.groups.iter().enumerate() {
            let here = if path.is_empty() {
                format!("{}", g.conditions.len() + j + 1)
            } else {
                format!("{path}.{}", g.conditions.len() + j + 1)
            };
            walk(sub, &here, roster, out);
        }
    }
    let mut out = Vec::new();
    walk(conditions, "", roster, &mut out);
    if matches!(trigger.kind, TriggerKind::WindowStarting | TriggerKind::WindowEnded) && roster.sitters.is_empty() {
        out.push("There are no active sitters, so no window will start or end.".to_string());
    }
    if !roster.number_classes.iter().any(|k| k == "front_desk") {
        if let Some(i) = actions.iter().position(|a| {
            a.kind == ActionKind::SendSms && matches!(a.recipient, Some(Recipient::Sitter | Recipient::Owner))
        }) {
            out.push(format!("Action {} texts staff from the Front Desk number, and none is in service.", i + 1));
        }
    }
    if roster.number_classes.is_empty() {
        if let Some((i, a)) = actions.iter().enumerate().find(|(_, a)| a.kind == ActionKind::SendSms) {
            out.push(format!(
                "Action {} texts {}, but no business number is in service.",
                i + 1,
                a.recipient.map(|r| r.label()).unwrap_or("someone")
            ));
        }
    }
    out
}

/// Who an automation is for, so the list can group them.
pub const LANES: &[(&str, &str)] =
    &[("client", "Client messages"), ("owner", "Owner notices"), ("operations", "Operations")];

pub fn lane_label(lane: &str) -> &'static str {
    LANES.iter().find(|(k, _)| *k == lane).map(|(_, l)| *l).unwrap_or("Other")
}

/// Everything the builder edits, as saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub name: String,
    pub lane: String,
    #[serde(default)]
    pub description: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: ConditionGroup,
    #[serde(default)]
    pub actions: Vec<Action>,
}

impl Draft {
    pub fn blank() -> Draft {
        Draft {
            name: String::new(),
            lane: "client".into(),
            description: String::new(),
            trigger: Trigger { kind: TriggerKind::MessageReceived, minutes: None },
            conditions: ConditionGroup::default(),
            actions: Vec::new(),
        }
    }

    /// What must be fixed before saving at all (the rest may wait until
    /// activation, so a half-built automation can be kept as a draft).
    pub fn save_problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            out.push(("name", "Give the automation a name.".to_string()));
        } else if name.chars().count() > 80 {
            out.push(("name", "Keep the name under 80 characters.".to_string()));
        }
        if !LANES.iter().any(|(k, _)| *k == self.lane) {
            out.push(("lane", "Pick who the automation is for.".to_string()));
        }
        if self.description.chars().count() > 500 {
            out.push(("description", "Keep the description under 500 characters.".to_string()));
        }
        if self.actions.len() > 10 {
            out.push(("actions", "Ten actions at most.".to_string()));
        }
        if self.actions.iter().any(|a| a.template.chars().count() > 1_600) {
            out.push(("actions", "Keep each message under 1,600 characters (ten text segments).".to_string()));
        }
        out
    }
}

/// The three templates every business starts with (disabled until the
/// owner tests and activates a copy).
pub fn templates() -> Vec<(&'static str, Draft)> {
    let sms = |t: &str| Action {
        kind: ActionKind::SendSms,
        recipient: Some(Recipient::Client),
        template: t.to_string(),
        severity: None,
    };
    vec![
        (
            "window_intro",
            Draft {
                name: "Sitter intro before a visit".into(),
                lane: "client".into(),
                description: "An hour before an assignment window starts, tell the client who is coming.".into(),
                trigger: Trigger { kind: TriggerKind::WindowStarting, minutes: Some(60) },
                conditions: ConditionGroup::default(),
                actions: vec![sms("Hi {{client.first_name}}, {{sitter.first_name}} from {{business.name}} will look after your pets from {{window.start_time}}. Text this number any time.")],
            },
        ),
        (
            "after_visit_thanks",
            Draft {
                name: "Thank-you after a visit".into(),
                lane: "client".into(),
                description: "When an assignment window ends, thank the client.".into(),
                trigger: Trigger { kind: TriggerKind::WindowEnded, minutes: None },
                conditions: ConditionGroup::default(),
                actions: vec![sms("Thanks {{client.first_name}}! {{sitter.first_name}} enjoyed the visit. Reply here if you need anything.")],
            },
        ),
        (
            "unanswered_nudge",
            Draft {
                name: "Nudge when a client waits".into(),
                lane: "owner".into(),
                description: "If a client's text has had no reply for 30 minutes, raise a warning for the owner.".into(),
                trigger: Trigger { kind: TriggerKind::ClientUnanswered, minutes: Some(30) },
                conditions: ConditionGroup::default(),
                actions: vec![Action {
                    kind: ActionKind::CreateAlert,
                    recipient: None,
                    template: "{{client.name}} has waited {{minutes_waiting}} minutes for a reply on {{business.number}}.".into(),
                    severity: Some("warning".into()),
                }],
            },
        ),
    ]
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

/// How one run of an automation ended, as the execution log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// A test whose conditions and actions all rendered.
    TestPassed,
    TestFailed,
    /// The conditions didn't hold: nothing was done.
    Skipped,
    Succeeded,
    /// An action failed and is tried again later.
    Retrying,
    Failed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::TestPassed,
        RunStatus::TestFailed,
        RunStatus::Skipped,
        RunStatus::Succeeded,
        RunStatus::Retrying,
        RunStatus::Failed,
    ];

    /// As stored and shown ("test passed").
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::TestPassed => "test passed",
            RunStatus::TestFailed => "test failed",
            RunStatus::Skipped => "skipped",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Retrying => "retrying",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|r| r.as_str() == s)
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
    fn the_shipped_templates_are_complete() {
        for (key, d) in templates() {
            assert!(d.save_problems().is_empty(), "{key}");
            assert!(problems(&d.trigger, &d.conditions, &d.actions).is_empty(), "{key}");
        }
    }

    #[test]
    fn texts_go_to_anyone_named_and_alerts_need_a_severity() {
        let sms = |recipient| Action { kind: ActionKind::SendSms, recipient, template: "x".into(), severity: None };
        let actions = vec![
            sms(Some(Recipient::Sitter)),
            sms(Some(Recipient::Owner)),
            sms(None),
            Action { kind: ActionKind::CreateAlert, recipient: None, template: "x".into(), severity: None },
        ];
        let p =
            problems(&Trigger { kind: TriggerKind::WindowEnded, minutes: None }, &ConditionGroup::default(), &actions);
        assert_eq!(
            p,
            vec![
                "Action 3 needs a recipient.".to_string(),
                "Action 4 needs a severity (critical, warning or info).".to_string()
            ]
        );
    }

    #[test]
    fn a_draft_needs_a_name_and_a_known_lane() {
        let mut d = Draft::blank();
        assert_eq!(d.save_problems()[0].0, "name");
        d.name = "Hello".into();
        assert!(d.save_problems().is_empty());
        d.lane = "nowhere".into();
        assert_eq!(d.save_problems()[0].0, "lane");
    }

    #[test]
    fn run_states_read_back_as_they_are_stored() {
        for r in RunStatus::ALL {
            assert_eq!(RunStatus::parse(r.as_str()), Some(r));
        }
        assert_eq!(RunStatus::TestPassed.as_str(), "test passed");
        assert_eq!(RunStatus::parse("test_passed"), None);
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
    fn on_sitter(name: &str) -> ConditionGroup {
        use super::super::conditions::{Condition, Operator, Value};
        ConditionGroup {
            conditions: vec![Condition {
                field: "sitter.first_name".into(),
                operator: Operator::Equals,
                value: Value::Text(name.into()),
            }],
            ..ConditionGroup::default()
        }
    }

    #[test]
    fn roster_changes_flag_what_can_no_longer_act() {
        let text = vec![Action {
            kind: ActionKind::SendSms,
            recipient: Some(Recipient::Client),
            template: "Hi".into(),
            severity: None,
        }];
        let starting = Trigger { kind: TriggerKind::WindowStarting, minutes: Some(60) };
        let roster =
            Roster { sitters: vec!["Maya".into()], number_classes: vec!["front_desk".into(), "sitter".into()] };
        assert!(roster_problems(&starting, &on_sitter("maya"), &text, &roster).is_empty());
        assert_eq!(
            roster_problems(&starting, &on_sitter("Jordan"), &text, &roster),
            vec!["Condition 1 looks for the sitter \"Jordan\", who isn't an active sitter any more.".to_string()]
        );
        let mut nested = ConditionGroup::default();
        nested.conditions.push(super::super::conditions::Condition {
            field: "thread.number_class".into(),
            operator: super::super::conditions::Operator::Equals,
            value: super::super::conditions::Value::Text("pool".into()),
        });
        nested.groups.push(on_sitter("Jordan"));
        assert_eq!(
            roster_problems(&starting, &nested, &text, &roster),
            vec![
                "Condition 1 needs a pool number, and none is in service.".to_string(),
                "Condition 2.1 looks for the sitter \"Jordan\", who isn't an active sitter any more.".to_string(),
            ]
        );
        let empty = Roster::default();
        assert_eq!(roster_problems(&starting, &ConditionGroup::default(), &text, &empty).len(), 2);
        let to_owner = vec![Action {
            kind: ActionKind::SendSms,
            recipient: Some(Recipient::Owner),
            template: "Hi".into(),
            severity: None,
        }];
        let no_desk = Roster { sitters: vec!["Maya".into()], number_classes: vec!["sitter".into()] };
        assert_eq!(
            roster_problems(&starting, &ConditionGroup::default(), &to_owner, &no_desk),
            vec!["Action 1 texts staff from the Front Desk number, and none is in service.".to_string()]
        );
        assert!(roster_problems(&starting, &ConditionGroup::default(), &to_owner, &roster).is_empty());
        assert!(roster_problems(&starting, &ConditionGroup::default(), &text, &no_desk).is_empty());
        for (key, d) in templates() {
            assert!(roster_problems(&d.trigger, &d.conditions, &d.actions, &roster).is_empty(), "{key}");
        }
    }

    proptest::proptest! {
        /// A condition on a sitter is flagged exactly when no active sitter
        /// has that first name (any case).
        #[test]
        fn a_sitter_condition_is_flagged_iff_the_sitter_is_gone(
            names in proptest::collection::vec("[A-Za-z]{1,6}", 0..5),
            wanted in "[A-Za-z]{1,6}",
        ) {
            let roster = Roster { sitters: names.clone(), number_classes: vec!["front_desk".into()] };
            let t = Trigger { kind: TriggerKind::MessageReceived, minutes: None };
            let flagged = !roster_problems(&t, &on_sitter(&wanted), &[], &roster).is_empty();
            proptest::prop_assert_eq!(flagged, !names.iter().any(|n| n.eq_ignore_ascii_case(&wanted)));
        }
    }
}
