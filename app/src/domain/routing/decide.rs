//! `decide`: the fixed evaluation order of SPEC §3.1, first match wins,
//! every step written to the trace. Inputs are sorted before use so that
//! the order of windows or overrides in the snapshot never matters.

use super::snapshot::{Direction, OverrideSnapshot, OverrideTarget, RoutingSnapshot, WindowSnapshot};
use crate::domain::ids::SitterId;
use crate::domain::numbers::{NumberClass, NumberStatus};
use serde::{Deserialize, Serialize};

/// Bumped whenever the rules change meaning, so a replay can tell a stored
/// decision made under older rules from a mismatch.
pub const RULESET_VERSION: &str = "routing-2026.11-1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    OwnerInbox,
    Sitter,
    /// The message is stored on the thread but nobody is notified (opted out).
    RecordOnly,
    /// Not for this business at all (unknown or released number).
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Safety,
    Override,
    Window,
    Default,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::Safety => "Safety checks",
            Rule::Override => "Routing override",
            Rule::Window => "Assignment window",
            Rule::Default => "Default",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    /// A check that passed; evaluation continues.
    Pass,
    /// A check that failed; it decides.
    Fail,
    /// A rule that applied; it decides.
    Matched,
    /// A rule that didn't apply; evaluation continues.
    NoMatch,
    /// Not evaluated because an earlier step decided.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub step: u8,
    pub rule: Rule,
    pub condition: String,
    pub result: StepResult,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub target: Target,
    pub sitter_id: Option<SitterId>,
    pub sitter_name: Option<String>,
    pub rule: Rule,
    pub reason: String,
    pub trace: Vec<TraceStep>,
    /// Text the business sends back automatically (pool leakage).
    pub auto_reply: Option<String>,
    pub ruleset_version: String,
}

struct Builder {
    trace: Vec<TraceStep>,
}

/// What the deciding step concluded; `Builder::finish` turns it into the
/// decision with the full trace.
struct Ending {
    decided_by: Rule,
    target: Target,
    sitter: Option<(SitterId, String)>,
    reason: String,
    auto_reply: Option<String>,
}

impl Ending {
    fn new(decided_by: Rule, target: Target, reason: String) -> Ending {
        Ending { decided_by, target, sitter: None, reason, auto_reply: None }
    }
}

impl Builder {
    fn step(&mut self, rule: Rule, condition: &str, result: StepResult, explanation: String) {
        let step = self.trace.len() as u8 + 1;
        self.trace.push(TraceStep { step, rule, condition: condition.to_string(), result, explanation });
    }

    /// Records the rules after the deciding one as not evaluated, so every
    /// trace lists the whole order.
    fn finish(mut self, end: Ending) -> Decision {
        let Ending { decided_by, target, sitter, reason, auto_reply } = end;
        let later: &[(Rule, &str)] = match decided_by {
            Rule::Safety => &[
                (Rule::Override, "an override is active for this thread"),
                (Rule::Window, "exactly one assignment window is active"),
                (Rule::Default, "nothing else matched"),
            ],
            Rule::Override => {
                &[(Rule::Window, "exactly one assignment window is active"), (Rule::Default, "nothing else matched")]
            }
            Rule::Window => &[(Rule::Default, "nothing else matched")],
            Rule::Default => &[],
        };
        for (rule, condition) in later {
            self.step(*rule, condition, StepResult::Skipped, "Not evaluated: an earlier step decided.".into());
        }
        let (sitter_id, sitter_name) = match sitter {
            Some((id, name)) => (Some(id), Some(name)),
            None => (None, None),
        };
        Decision {
            target,
            sitter_id,
            sitter_name,
            rule: decided_by,
            reason,
            trace: self.trace,
            auto_reply,
            ruleset_version: RULESET_VERSION.to_string(),
        }
    }
}

fn override_order(a: &OverrideSnapshot, b: &OverrideSnapshot) -> std::cmp::Ordering {
    // Newest first; the rest only makes the order total.
    b.created_at
        .cmp(&a.created_at)
        .then(b.starts_at.cmp(&a.starts_at))
        .then(a.ends_at.cmp(&b.ends_at))
        .then(a.removed_at.cmp(&b.removed_at))
        .then(a.target.cmp(&b.target))
        .then(a.reason.cmp(&b.reason))
        .then(a.target_name.cmp(&b.target_name))
        .then(a.target_active.cmp(&b.target_active))
        .then(a.id.cmp(&b.id))
}

fn window_order(a: &WindowSnapshot, b: &WindowSnapshot) -> std::cmp::Ordering {
    a.starts_at
        .cmp(&b.starts_at)
        .then(a.ends_at.cmp(&b.ends_at))
        .then(a.sitter_id.cmp(&b.sitter_id))
        .then(a.sitter_name.cmp(&b.sitter_name))
        .then(a.sitter_active.cmp(&b.sitter_active))
        .then(a.id.cmp(&b.id))
}

/// Decides who owns the message described by `s`. Same snapshot, same
/// decision, byte for byte: the steps of SPEC §3.1 in order, the first that
/// decides ends it.
pub fn decide(s: &RoutingSnapshot) -> Decision {
    let mut b = Builder { trace: Vec::new() };
    let end = safety(s, &mut b)
        .or_else(|| override_rule(s, &mut b))
        .or_else(|| window_rule(s, &mut b))
        .unwrap_or_else(|| default_rule(s, &mut b));
    b.finish(end)
}

/// Step 1, safety checks: the number is in service, a pool number's sender
/// takes part in its thread, the client has not opted out.
fn safety(s: &RoutingSnapshot, b: &mut Builder) -> Option<Ending> {
    let number_label =
        s.business_number.as_ref().map(|n| n.e164.display()).unwrap_or_else(|| "the business number".to_string());
    match s.business_number.as_ref().map(|n| n.status) {
        Some(None) | Some(Some(NumberStatus::Inactive)) => {
            b.step(
                Rule::Safety,
                "the business number is ours and in service",
                StepResult::Fail,
                format!("{number_label} is not an active number of this business."),
            );
            let reason = format!("Rejected because {number_label} is not an active number of this business.");
            return Some(Ending::new(Rule::Safety, Target::Rejected, reason));
        }
        Some(Some(NumberStatus::Quarantined)) => {
            b.step(
                Rule::Safety,
                "the business number is ours and in service",
                StepResult::Fail,
                format!("{number_label} is quarantined, so nobody but the owner should see this."),
            );
            let reason = format!("Routed to owner inbox because {number_label} is quarantined.");
            return Some(Ending::new(Rule::Safety, Target::OwnerInbox, reason));
        }
        Some(Some(NumberStatus::Active)) | None => b.step(
            Rule::Safety,
            "the business number is ours and in service",
            StepResult::Pass,
            format!("{} is active.", capitalised(&number_label)),
        ),
    }

    let inbound = s.direction == Direction::Inbound;
    if inbound && s.thread.number_class == NumberClass::Pool {
        if s.thread.participants.contains(&s.sender) {
            b.step(
                Rule::Safety,
                "on a Pool number, the sender takes part in the thread",
                StepResult::Pass,
                format!("{} is a participant of this pool thread.", s.sender.display()),
            );
        } else {
            b.step(
                Rule::Safety,
                "on a Pool number, the sender takes part in the thread",
                StepResult::Fail,
                format!(
                    "{} is not a participant of the current pool thread; the message is kept away from it and answered automatically.",
                    s.sender.display()
                ),
            );
            let front = s.front_desk.as_ref().map(|n| n.display()).unwrap_or_else(|| "our main number".to_string());
            let reply = format!("This number is no longer in service for you — please text {front}.");
            let reason = format!(
                "Routed to owner inbox because {} texted a pool number that is now lent to another client.",
                s.sender.display()
            );
            return Some(Ending { auto_reply: Some(reply), ..Ending::new(Rule::Safety, Target::OwnerInbox, reason) });
        }
    } else {
        b.step(
            Rule::Safety,
            "on a Pool number, the sender takes part in the thread",
            StepResult::Pass,
            match (inbound, s.thread.number_class) {
                (false, _) => "Outbound message: the sender check applies only to inbound texts.".to_string(),
                (true, class) => format!("Not needed on a {} number.", class.label()),
            },
        );
    }

    if s.opted_out {
        b.step(
            Rule::Safety,
            "the client has not opted out",
            StepResult::Fail,
            "The client replied STOP on this number.".into(),
        );
        return Some(if inbound {
            let reason = "Recorded only because the client has opted out of texts on this number.".to_string();
            Ending::new(Rule::Safety, Target::RecordOnly, reason)
        } else {
            let reason = "Not sent because the client has opted out of texts on this number.".to_string();
            Ending::new(Rule::Safety, Target::Rejected, reason)
        });
    }
    b.step(
        Rule::Safety,
        "the client has not opted out",
        StepResult::Pass,
        "The client accepts texts on this number.".into(),
    );

    None
}

/// Step 2: an active routing override; the newest wins.
fn override_rule(s: &RoutingSnapshot, b: &mut Builder) -> Option<Ending> {
    let (tz, at) = (s.time_zone, s.at);
    let when = tz.time(at);
    let mut active: Vec<&OverrideSnapshot> = s.overrides.iter().filter(|o| o.is_active_at(at)).collect();
    active.sort_by(|a, b| override_order(a, b));
    if let Some(o) = active.first() {
        let until = match o.ends_at {
            Some(e) => format!("until {}", tz.time_relative_to(e, at)),
            None => "until removed".to_string(),
        };
        let why = if o.reason.trim().is_empty() { String::new() } else { format!(" ({})", o.reason.trim()) };
        let others = if active.len() > 1 {
            format!(" {} older active override(s) ignored.", active.len() - 1)
        } else {
            String::new()
        };
        return Some(match o.target {
            OverrideTarget::OwnerInbox => {
                b.step(
                    Rule::Override,
                    "an override is active for this thread",
                    StepResult::Matched,
                    format!("The owner redirected this thread to the owner inbox {until}{why}.{others}"),
                );
                let reason = format!("Routed to owner inbox because of the owner's override {until}{why}.");
                Ending::new(Rule::Override, Target::OwnerInbox, reason)
            }
            OverrideTarget::Sitter(id) => {
                let name = o.target_name.clone().unwrap_or_else(|| format!("sitter #{id}"));
                if o.target_active {
                    b.step(
                        Rule::Override,
                        "an override is active for this thread",
                        StepResult::Matched,
                        format!("The owner redirected this thread to {name} {until}{why}.{others}"),
                    );
                    let reason = format!("Routed to {name} because of the owner's override {until}{why}.");
                    Ending { sitter: Some((id, name)), ..Ending::new(Rule::Override, Target::Sitter, reason) }
                } else {
                    b.step(
                        Rule::Override,
                        "an override is active for this thread",
                        StepResult::Matched,
                        format!("The override points to {name}, who is inactive; the owner inbox takes it.{others}"),
                    );
                    let reason =
                        format!("Routed to owner inbox because the override points to {name}, who is inactive.");
                    Ending::new(Rule::Override, Target::OwnerInbox, reason)
                }
            }
        });
    }
    b.step(
        Rule::Override,
        "an override is active for this thread",
        StepResult::NoMatch,
        format!("No override is active at {when}."),
    );

    None
}

/// Step 3: exactly one active assignment window.
fn window_rule(s: &RoutingSnapshot, b: &mut Builder) -> Option<Ending> {
    let (tz, at) = (s.time_zone, s.at);
    let when = tz.time(at);
    let mut windows: Vec<&WindowSnapshot> = s.windows.iter().collect();
    windows.sort_by(|a, b| window_order(a, b));
    let active: Vec<&WindowSnapshot> = windows.iter().copied().filter(|w| w.is_active_at(at)).collect();
    let span = |w: &WindowSnapshot| {
        format!("{} – {}", tz.time_relative_to(w.starts_at, at), tz.time_relative_to(w.ends_at, at))
    };
    match active.as_slice() {
        [] => b.step(
            Rule::Window,
            "exactly one assignment window is active",
            StepResult::NoMatch,
            format!("No assignment window is active at {when}."),
        ),
        [w] => {
            return Some(if w.sitter_active {
                b.step(
                    Rule::Window,
                    "exactly one assignment window is active",
                    StepResult::Matched,
                    format!("{}'s window ({}) is active at {when}.", w.sitter_name, span(w)),
                );
                let reason = format!(
                    "Routed to {} because {}'s assignment window is active until {}.",
                    w.sitter_name,
                    w.sitter_name,
                    tz.time_relative_to(w.ends_at, at)
                );
                Ending {
                    sitter: Some((w.sitter_id, w.sitter_name.clone())),
                    ..Ending::new(Rule::Window, Target::Sitter, reason)
                }
            } else {
                b.step(
                    Rule::Window,
                    "exactly one assignment window is active",
                    StepResult::Matched,
                    format!("{}'s window ({}) is active, but {} is inactive.", w.sitter_name, span(w), w.sitter_name),
                );
                let reason = format!(
                    "Routed to owner inbox because {}'s window is active but {} is inactive.",
                    w.sitter_name, w.sitter_name
                );
                Ending::new(Rule::Window, Target::OwnerInbox, reason)
            });
        }
        many => {
            let names: Vec<String> = many.iter().map(|w| format!("{} ({})", w.sitter_name, span(w))).collect();
            b.step(
                Rule::Window,
                "exactly one assignment window is active",
                StepResult::Matched,
                format!("{} windows overlap at {when}: {}.", many.len(), names.join(", ")),
            );
            let reason = format!(
                "Routed to owner inbox because of conflicting windows: {} overlap at {when}.",
                join_names(&many.iter().map(|w| w.sitter_name.as_str()).collect::<Vec<_>>())
            );
            return Some(Ending::new(Rule::Window, Target::OwnerInbox, reason));
        }
    }

    None
}

/// Step 4: everything nobody owns goes to the owner inbox, with a hint of
/// the nearest window.
fn default_rule(s: &RoutingSnapshot, b: &mut Builder) -> Ending {
    let (tz, at) = (s.time_zone, s.at);
    let when = tz.time(at);
    let mut windows: Vec<&WindowSnapshot> = s.windows.iter().collect();
    windows.sort_by(|a, b| window_order(a, b));
    let next = windows.iter().find(|w| w.starts_at > at);
    let last =
        windows.iter().filter(|w| w.ends_at <= at).max_by(|a, b| a.ends_at.cmp(&b.ends_at).then(window_order(b, a)));
    let hint = match (next, last) {
        (Some(n), _) => format!("; {}'s window starts at {}", n.sitter_name, tz.time_relative_to(n.starts_at, at)),
        (None, Some(l)) => format!("; {}'s window ended at {}", l.sitter_name, tz.time_relative_to(l.ends_at, at)),
        (None, None) => String::new(),
    };
    b.step(
        Rule::Default,
        "nothing else matched",
        StepResult::Matched,
        "Everything nobody owns goes to the owner inbox.".into(),
    );
    let reason = format!("Routed to owner inbox because no sitter is assigned at {when}{hint}.");
    Ending::new(Rule::Default, Target::OwnerInbox, reason)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
