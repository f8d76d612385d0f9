//! Who may send what (SPEC §3.2), as one pure verdict. The server's one send
//! function asks this; the compose box asks it too to explain itself.

use crate::domain::ids::SitterId;
use crate::domain::policy::{Hit, HitKind, PolicyAction, PolicySettings};
use crate::domain::time::BusinessTz;
use crate::domain::windows::Window;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Twilio's limit for one message body.
pub const MAX_BODY_CHARS: usize = 1600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sender {
    Owner,
    Sitter {
        sitter_id: SitterId,
    },
    /// An automation sends with the rights of the owner but never past policy.
    Automation,
    /// The product itself (pool auto-reply, HELP text, reassignment notice).
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    NotReady,
    EmptyBody,
    TooLong {
        chars: usize,
    },
    OptedOut,
    OutsideWindow {
        message: String,
    },
    /// Policy blocked it; a violation is recorded and the owner alerted.
    PolicyBlocked {
        hits: Vec<Hit>,
    },
    /// Policy holds it for the owner's review; it is not sent now.
    PolicyHeld {
        hits: Vec<Hit>,
    },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::NotReady => "Texting is switched off until setup is finished. Open Setup to finish it.".into(),
            Refusal::EmptyBody => "Type a message first.".into(),
            Refusal::TooLong { chars } => {
                format!("This message is {chars} characters; the limit is {MAX_BODY_CHARS}. Split it into two.")
            }
            Refusal::OptedOut => {
                "This client replied STOP, so we can't text them on this number. They can text START to opt back in."
                    .into()
            }
            Refusal::OutsideWindow { message } => message.clone(),
            Refusal::PolicyBlocked { hits } => format!(
                "Not sent: it looks like it shares {}. Contact details stay inside the app — the owner has been told.",
                describe_hits(hits)
            ),
            Refusal::PolicyHeld { hits } => format!(
                "Held for the owner's review: it looks like it shares {}. It will be sent if the owner approves it.",
                describe_hits(hits)
            ),
        }
    }
}

pub fn describe_hits(hits: &[Hit]) -> String {
    let mut kinds: Vec<&str> = hits.iter().map(|h| h.kind.label()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    match kinds.as_slice() {
        [] => "contact details".into(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// Send. `policy_overridden` means the owner sent through a warning
    /// (recorded); `logged_hits` are log-only hits to record.
    Send {
        policy_overridden: bool,
        logged_hits: Vec<Hit>,
    },
    /// The owner must confirm ("send anyway") first.
    NeedsConfirmation {
        hits: Vec<Hit>,
    },
    Refused(Refusal),
}

pub struct OutboundCheck<'a> {
    pub sender: Sender,
    pub body: &'a str,
    pub at: DateTime<Utc>,
    pub ready: bool,
    pub opted_out: bool,
    /// The thread's windows (for the sitter check).
    pub windows: &'a [Window],
    pub hits: &'a [Hit],
    pub settings: &'a PolicySettings,
    pub owner_confirmed: bool,
    pub tz: BusinessTz,
}

pub fn check(c: &OutboundCheck<'_>) -> Verdict {
    if !c.ready {
        return Verdict::Refused(Refusal::NotReady);
    }
    if c.body.trim().is_empty() {
        return Verdict::Refused(Refusal::EmptyBody);
    }
    let chars = c.body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Verdict::Refused(Refusal::TooLong { chars });
    }
    if c.opted_out {
        return Verdict::Refused(Refusal::OptedOut);
    }
    if let Sender::Sitter { sitter_id } = c.sender {
        if let Err(message) = sitter_may_send(sitter_id, c.windows, c.at, c.tz) {
            return Verdict::Refused(Refusal::OutsideWindow { message });
        }
    }
    match policy_outcome(c.sender, c.hits, c.settings) {
        PolicyOutcome::Send { logged } => Verdict::Send { policy_overridden: false, logged_hits: logged },
        PolicyOutcome::Confirm { logged, .. } if c.owner_confirmed => {
            Verdict::Send { policy_overridden: true, logged_hits: logged }
        }
        PolicyOutcome::Confirm { hits, .. } => Verdict::NeedsConfirmation { hits },
        PolicyOutcome::Held { hits } => Verdict::Refused(Refusal::PolicyHeld { hits }),
        PolicyOutcome::Blocked { hits } => Verdict::Refused(Refusal::PolicyBlocked { hits }),
    }
}

/// What the business's policy does with a text's hits, for this sender
/// (SPEC §3.5). The send path and the compose box both ask this, so the
/// box's warning says exactly what sending will do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// It goes; `logged` are log-only hits recorded for the owner.
    Send {
        logged: Vec<Hit>,
    },
    /// Owner: it goes only after "send anyway".
    Confirm {
        hits: Vec<Hit>,
        logged: Vec<Hit>,
    },
    /// Held for the owner's review.
    Held {
        hits: Vec<Hit>,
    },
    Blocked {
        hits: Vec<Hit>,
    },
}

/// What the business's policy does with one kind of hit from this sender.
/// Sitters follow the owner's per-kind setting, except that the core rules
/// (phone, email) can never be only logged; owners are warned (or not);
/// automations and the product never send past policy.
pub fn action_for(settings: &PolicySettings, kind: HitKind, sender: Sender) -> PolicyAction {
    match sender {
        Sender::Sitter { .. } => {
            let a = settings.sitter_actions.get(&kind).copied().unwrap_or(PolicyAction::Block);
            if kind.is_core() && a == PolicyAction::Log {
                PolicyAction::Block
            } else {
                a
            }
        }
        Sender::Owner => {
            if settings.owner_warnings {
                PolicyAction::Block
            } else {
                PolicyAction::Log
            }
        }
        Sender::Automation | Sender::System => PolicyAction::Block,
    }
}

pub fn policy_outcome(sender: Sender, hits: &[Hit], settings: &PolicySettings) -> PolicyOutcome {
    let (mut block, mut hold, mut log) = (Vec::new(), Vec::new(), Vec::new());
    for h in hits {
        match action_for(settings, h.kind, sender) {
            PolicyAction::Block => block.push(h.clone()),
            PolicyAction::Hold => hold.push(h.clone()),
            PolicyAction::Log => log.push(h.clone()),
        }
    }
    match sender {
        Sender::Owner if block.is_empty() && hold.is_empty() => PolicyOutcome::Send { logged: log },
        Sender::Owner => PolicyOutcome::Confirm { hits: block.into_iter().chain(hold).collect(), logged: log },
        Sender::Sitter { .. } | Sender::Automation | Sender::System => {
            if !block.is_empty() {
                PolicyOutcome::Blocked { hits: block.into_iter().chain(hold).collect() }
            } else if !hold.is_empty() {
                PolicyOutcome::Held { hits: hold }
            } else {
                PolicyOutcome::Send { logged: log }
            }
        }
    }
}

impl PolicyOutcome {
    /// The compose box's warning before sending; `None` when nothing was found.
    pub fn warning(&self) -> Option<String> {
        let (hits, then) = match self {
            PolicyOutcome::Send { logged } => (logged, "It will be sent, and recorded for the owner."),
            PolicyOutcome::Confirm { hits, .. } => (hits, "You'll be asked to confirm before it goes."),
            PolicyOutcome::Held { hits } => {
                (hits, "It will be held for the owner's review and sent only if the owner approves it.")
            }
            PolicyOutcome::Blocked { hits } => (hits, "It will be blocked: contact details stay inside the app."),
        };
        (!hits.is_empty()).then(|| format!("This looks like it shares {}. {then}", describe_hits(hits)))
    }
}

/// A sitter may text a thread only inside one of their own windows on it.
pub fn sitter_may_send(sitter: SitterId, windows: &[Window], at: DateTime<Utc>, tz: BusinessTz) -> Result<(), String> {
    let mine: Vec<&Window> = windows.iter().filter(|w| w.sitter_id == sitter).collect();
    if mine.iter().any(|w| w.starts_at <= at && at < w.ends_at) {
        return Ok(());
    }
    let next = mine.iter().filter(|w| w.starts_at > at).min_by_key(|w| w.starts_at);
    let last = mine.iter().filter(|w| w.ends_at <= at).max_by_key(|w| w.ends_at);
    Err(match (next, last) {
        (Some(n), _) => format!(
            "You can text this client during your assignment window only. Your next window is {} – {}.",
            tz.date_time(n.starts_at),
            tz.time_relative_to(n.ends_at, n.starts_at)
        ),
        (None, Some(l)) => format!(
            "You can text this client during your assignment window only. Your window ended {}.",
            tz.date_time(l.ends_at)
        ),
        (None, None) => {
            "You can text this client during your assignment window only, and you have none with them.".into()
        }
    })
}

/// Why a queued text was not sent when its turn came (SPEC §3.2): the rules
/// hold at the moment of sending, not only when the text was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Skip {
    /// The client replied STOP (on this number or everywhere) meanwhile.
    OptedOut,
    /// The business number left service (quarantined or released) meanwhile.
    NumberOutOfService,
    /// The sitter who wrote it was deactivated meanwhile.
    SitterDeactivated,
    /// The sitter's assignment window ended meanwhile.
    WindowEnded,
}

impl Skip {
    /// Stored as the message's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Skip::OptedOut => "skipped:opted_out",
            Skip::NumberOutOfService => "skipped:number",
            Skip::SitterDeactivated => "skipped:sitter",
            Skip::WindowEnded => "skipped:window",
        }
    }

    pub fn is_code(code: &str) -> bool {
        code.starts_with("skipped:")
    }

    /// The reason shown under the text and in the thread's note.
    pub fn sentence(&self) -> &'static str {
        match self {
            Skip::OptedOut => "Not sent: the client replied STOP before it went out. They can text START to opt back in.",
            Skip::NumberOutOfService => {
                "Not sent: the business number went out of service before it went out. Write again from the client's current conversation."
            }
            Skip::SitterDeactivated => "Not sent: the sitter who wrote it was deactivated before it went out.",
            Skip::WindowEnded => "Not sent: the sitter's assignment window ended before it went out.",
        }
    }
}

/// What is known about a queued text at the moment it would go out.
pub struct AtSend<'a> {
    pub sender: Sender,
    pub at: DateTime<Utc>,
    pub number_active: bool,
    pub opted_out: bool,
    /// The writing sitter is still active (ignored for other senders).
    pub sitter_active: bool,
    pub windows: &'a [Window],
    pub tz: BusinessTz,
}

/// Whether a queued text may still go: `None`, or why it must not. Policy
/// and length were settled when it was written; consent, the number and
/// the sitter's right to text are not settled until it leaves.
pub fn recheck(c: &AtSend<'_>) -> Option<Skip> {
    if c.opted_out {
        return Some(Skip::OptedOut);
    }
    if !c.number_active {
        return Some(Skip::NumberOutOfService);
    }
    if let Sender::Sitter { sitter_id } = c.sender {
        if !c.sitter_active {
            return Some(Skip::SitterDeactivated);
        }
        if sitter_may_send(sitter_id, c.windows, c.at, c.tz).is_err() {
            return Some(Skip::WindowEnded);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::WindowId;
    use crate::domain::policy;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
    }

    fn base<'a>(
        sender: Sender,
        body: &'a str,
        hits: &'a [Hit],
        windows: &'a [Window],
        s: &'a PolicySettings,
    ) -> OutboundCheck<'a> {
        OutboundCheck {
            sender,
            body,
            at: at(12),
            ready: true,
            opted_out: false,
            windows,
            hits,
            settings: s,
            owner_confirmed: false,
            tz: BusinessTz::parse("UTC").unwrap(),
        }
    }

    fn maya_window() -> Vec<Window> {
        vec![Window {
            id: WindowId(1),
            sitter_id: SitterId(7),
            sitter_name: "Maya".into(),
            starts_at: at(9),
            ends_at: at(17),
        }]
    }

    #[test]
    fn nothing_is_sent_before_setup_is_ready() {
        let s = PolicySettings::default();
        let mut c = base(Sender::Owner, "hi", &[], &[], &s);
        c.ready = false;
        assert_eq!(check(&c), Verdict::Refused(Refusal::NotReady));
    }

    #[test]
    fn opted_out_clients_are_never_texted() {
        let s = PolicySettings::default();
        let mut c = base(Sender::Owner, "hi", &[], &[], &s);
        c.opted_out = true;
        assert_eq!(check(&c), Verdict::Refused(Refusal::OptedOut));
    }

    #[test]
    fn sitter_sends_only_inside_their_window() {
        let s = PolicySettings::default();
        let w = maya_window();
        let c = base(Sender::Sitter { sitter_id: SitterId(7) }, "On my way", &[], &w, &s);
        assert!(matches!(check(&c), Verdict::Send { .. }));
        let mut late = base(Sender::Sitter { sitter_id: SitterId(7) }, "On my way", &[], &w, &s);
        late.at = at(18);
        match check(&late) {
            Verdict::Refused(Refusal::OutsideWindow { message }) => assert!(message.contains("ended")),
            v => panic!("{v:?}"),
        }
        let other = base(Sender::Sitter { sitter_id: SitterId(8) }, "hi", &[], &w, &s);
        assert!(matches!(check(&other), Verdict::Refused(Refusal::OutsideWindow { .. })));
    }

    #[test]
    fn core_rules_block_sitters_even_when_set_to_log() {
        let mut s = PolicySettings::default();
        s.sitter_actions.insert(HitKind::Phone, PolicyAction::Log);
        s.sitter_actions.insert(HitKind::Url, PolicyAction::Log);
        let maya = Sender::Sitter { sitter_id: SitterId(1) };
        assert_eq!(action_for(&s, HitKind::Phone, maya), PolicyAction::Block);
        assert_eq!(action_for(&s, HitKind::Url, maya), PolicyAction::Log);
        assert_eq!(action_for(&s, HitKind::Url, Sender::Automation), PolicyAction::Block);
        s.owner_warnings = false;
        assert_eq!(action_for(&s, HitKind::Phone, Sender::Owner), PolicyAction::Log);
    }

    #[test]
    fn sitter_policy_hit_is_blocked_owner_hit_needs_confirmation() {
        let s = PolicySettings::default();
        let w = maya_window();
        let hits = policy::check("text me at 555 123 4567");
        assert!(!hits.is_empty());
        let sitter = base(Sender::Sitter { sitter_id: SitterId(7) }, "x", &hits, &w, &s);
        assert!(matches!(check(&sitter), Verdict::Refused(Refusal::PolicyBlocked { .. })));
        let owner = base(Sender::Owner, "x", &hits, &w, &s);
        assert!(matches!(check(&owner), Verdict::NeedsConfirmation { .. }));
        let mut confirmed = base(Sender::Owner, "x", &hits, &w, &s);
        confirmed.owner_confirmed = true;
        assert_eq!(check(&confirmed), Verdict::Send { policy_overridden: true, logged_hits: vec![] });
        let auto = base(Sender::Automation, "x", &hits, &w, &s);
        assert!(matches!(check(&auto), Verdict::Refused(Refusal::PolicyBlocked { .. })));
    }

    #[test]
    fn empty_and_overlong_bodies_are_refused() {
        let s = PolicySettings::default();
        assert_eq!(check(&base(Sender::Owner, "  ", &[], &[], &s)), Verdict::Refused(Refusal::EmptyBody));
        let long = "a".repeat(1601);
        assert_eq!(
            check(&base(Sender::Owner, &long, &[], &[], &s)),
            Verdict::Refused(Refusal::TooLong { chars: 1601 })
        );
    }

    #[test]
    fn a_queued_text_is_skipped_when_consent_number_or_window_changed() {
        let w = maya_window();
        let maya = Sender::Sitter { sitter_id: SitterId(7) };
        let ok = AtSend {
            sender: maya,
            at: at(12),
            number_active: true,
            opted_out: false,
            sitter_active: true,
            windows: &w,
            tz: BusinessTz::parse("UTC").unwrap(),
        };
        assert_eq!(recheck(&ok), None);
        assert_eq!(recheck(&AtSend { opted_out: true, ..ok }), Some(Skip::OptedOut));
        let ok = AtSend { opted_out: false, ..ok };
        assert_eq!(recheck(&AtSend { number_active: false, ..ok }), Some(Skip::NumberOutOfService));
        let ok = AtSend { number_active: true, ..ok };
        assert_eq!(recheck(&AtSend { sitter_active: false, ..ok }), Some(Skip::SitterDeactivated));
        let ok = AtSend { sitter_active: true, ..ok };
        assert_eq!(recheck(&AtSend { at: at(18), ..ok }), Some(Skip::WindowEnded));
        // The owner and automations have no window.
        let ok = AtSend { at: at(18), ..ok };
        for s in [Sender::Owner, Sender::Automation, Sender::System] {
            assert_eq!(recheck(&AtSend { sender: s, ..ok }), None);
        }
        assert!(Skip::is_code(Skip::WindowEnded.code()) && !Skip::is_code("21610"));
    }

    #[test]
    fn the_compose_warning_says_what_the_send_will_do() {
        let hits = policy::check("my insta is @maya.walks and call 555 123 4567");
        let social: Vec<Hit> = hits.iter().filter(|h| h.kind == HitKind::Social).cloned().collect();
        assert!(!social.is_empty() && social.len() < hits.len());
        let mut s = PolicySettings::default();
        let maya = Sender::Sitter { sitter_id: SitterId(7) };
        let w = |o: PolicyOutcome| o.warning().unwrap_or_default();
        assert!(
            w(policy_outcome(maya, &hits, &s)).ends_with("It will be blocked: contact details stay inside the app.")
        );
        s.sitter_actions.insert(HitKind::Social, PolicyAction::Hold);
        assert!(matches!(policy_outcome(maya, &social, &s), PolicyOutcome::Held { .. }));
        assert!(w(policy_outcome(maya, &social, &s)).contains("held for the owner's review"));
        s.sitter_actions.insert(HitKind::Social, PolicyAction::Log);
        assert_eq!(policy_outcome(maya, &social, &s), PolicyOutcome::Send { logged: social.clone() });
        assert_eq!(
            w(policy_outcome(maya, &social, &s)),
            "This looks like it shares a social media handle. It will be sent, and recorded for the owner."
        );
        // The phone number still blocks: core rules can't be log-only.
        assert!(matches!(policy_outcome(maya, &hits, &s), PolicyOutcome::Blocked { .. }));
        assert!(w(policy_outcome(Sender::Owner, &hits, &s)).ends_with("You'll be asked to confirm before it goes."));
        s.owner_warnings = false;
        assert!(w(policy_outcome(Sender::Owner, &hits, &s)).ends_with("It will be sent, and recorded for the owner."));
        assert_eq!(policy_outcome(maya, &[], &s).warning(), None);
    }

    proptest::proptest! {
        #[test]
        fn the_send_verdict_follows_the_policy_outcome(
            kinds in proptest::collection::vec(0usize..6, 0..4),
            actions in proptest::collection::vec(0usize..3, 6),
            sitter: bool, owner_warnings: bool, confirmed: bool,
        ) {
            let hits: Vec<Hit> = kinds.iter().map(|&k| Hit {
                kind: HitKind::ALL[k], start: 0, end: 1, text: "x".into(), reason: String::new(),
            }).collect();
            let mut s = PolicySettings { owner_warnings, ..PolicySettings::default() };
            for (k, a) in HitKind::ALL.into_iter().zip(actions) {
                s.sitter_actions.insert(k, [PolicyAction::Block, PolicyAction::Hold, PolicyAction::Log][a]);
            }
            let w = maya_window();
            let sender = if sitter { Sender::Sitter { sitter_id: SitterId(7) } } else { Sender::Owner };
            let mut c = base(sender, "hello", &hits, &w, &s);
            c.owner_confirmed = confirmed;
            let outcome = policy_outcome(sender, &hits, &s);
            let agrees = match (check(&c), &outcome) {
                (Verdict::Send { policy_overridden: false, logged_hits }, PolicyOutcome::Send { logged }) => &logged_hits == logged,
                (Verdict::Send { policy_overridden: true, .. }, PolicyOutcome::Confirm { .. }) => confirmed,
                (Verdict::NeedsConfirmation { .. }, PolicyOutcome::Confirm { .. }) => !confirmed,
                (Verdict::Refused(Refusal::PolicyHeld { .. }), PolicyOutcome::Held { .. }) => true,
                (Verdict::Refused(Refusal::PolicyBlocked { .. }), PolicyOutcome::Blocked { .. }) => true,
                _ => false,
            };
            proptest::prop_assert!(agrees, "{:?} vs {:?}", check(&c), outcome);
            // A warning is shown exactly when something was found.
            proptest::prop_assert_eq!(outcome.warning().is_some(), !hits.is_empty());
        }

        #[test]
        fn a_recheck_lets_a_text_go_only_when_every_rule_still_holds(
            opted_out: bool, number_active: bool, sitter_active: bool, hour in 0u32..24, sitter: bool,
        ) {
            let w = maya_window();
            let sender = if sitter { Sender::Sitter { sitter_id: SitterId(7) } } else { Sender::Owner };
            let c = AtSend { sender, at: at(hour), number_active, opted_out, sitter_active, windows: &w, tz: BusinessTz::parse("UTC").unwrap() };
            let in_window = (9..17).contains(&hour);
            let may = !opted_out && number_active && (!sitter || (sitter_active && in_window));
            proptest::prop_assert_eq!(recheck(&c).is_none(), may);
            if opted_out {
                proptest::prop_assert_eq!(recheck(&c), Some(Skip::OptedOut));
            }
        }
    }
}
