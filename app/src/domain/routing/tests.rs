use super::*;
use crate::domain::ids::{OverrideId, SitterId, ThreadId, WindowId};
use crate::domain::numbers::{NumberClass, NumberStatus};
use crate::domain::phone::E164;
use crate::domain::time::BusinessTz;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn e(s: &str) -> E164 {
    E164::from_canonical(s).unwrap()
}

/// 2026-11-24 in New York; `h` is the local hour (EST = UTC-5).
fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h + 5, m, 0).unwrap()
}

fn base() -> RoutingSnapshot {
    RoutingSnapshot {
        at: at(14, 30),
        direction: Direction::Inbound,
        sender: e("+15550100001"),
        business_number: None,
        thread: ThreadSnapshot {
            id: ThreadId(1),
            number_class: NumberClass::Sitter,
            participants: vec![e("+15550100001")],
            client_name: Some("Ana".into()),
        },
        windows: vec![],
        overrides: vec![],
        opted_out: false,
        time_zone: BusinessTz::parse("America/New_York").unwrap(),
        front_desk: Some(e("+15550109999")),
    }
}

fn window(id: i64, sitter: i64, name: &str, s: DateTime<Utc>, end: DateTime<Utc>) -> WindowSnapshot {
    WindowSnapshot {
        id: Some(WindowId(id)),
        sitter_id: SitterId(sitter),
        sitter_name: name.into(),
        sitter_active: true,
        starts_at: s,
        ends_at: end,
    }
}

fn ovr(target: OverrideTarget, created: DateTime<Utc>) -> OverrideSnapshot {
    OverrideSnapshot {
        id: None,
        target,
        target_name: match target {
            OverrideTarget::Sitter(_) => Some("Jo".into()),
            OverrideTarget::OwnerInbox => None,
        },
        target_active: true,
        starts_at: created,
        ends_at: None,
        removed_at: None,
        created_at: created,
        reason: "vacation".into(),
    }
}

#[test]
fn the_spec_example_reason() {
    let mut s = base();
    s.windows.push(window(1, 7, "Maya", at(15, 0), at(18, 0)));
    let d = decide(&s);
    assert_eq!(d.target, Target::OwnerInbox);
    assert_eq!(
        d.reason,
        "Routed to owner inbox because no sitter is assigned at 2:30 PM; Maya's window starts at 3:00 PM."
    );
    assert_eq!(d.rule, Rule::Default);
    assert_eq!(d.ruleset_version, RULESET_VERSION);
}

#[test]
fn one_active_window_routes_to_its_sitter() {
    let mut s = base();
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    let d = decide(&s);
    assert_eq!((d.target, d.sitter_id), (Target::Sitter, Some(SitterId(7))));
    assert!(d.reason.contains("until 6:00 PM"), "{}", d.reason);
}

#[test]
fn window_start_is_inclusive_and_end_exclusive() {
    let mut s = base();
    s.windows.push(window(1, 7, "Maya", at(14, 30), at(15, 0)));
    assert_eq!(decide(&s).target, Target::Sitter);
    s.windows = vec![window(1, 7, "Maya", at(14, 0), at(14, 30))];
    let d = decide(&s);
    assert_eq!(d.target, Target::OwnerInbox);
    assert!(d.reason.contains("Maya's window ended at 2:30 PM"), "{}", d.reason);
}

#[test]
fn overlapping_windows_go_to_the_owner_inbox_as_a_conflict() {
    let mut s = base();
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    s.windows.push(window(2, 8, "Jo", at(14, 0), at(16, 0)));
    let d = decide(&s);
    assert_eq!(d.target, Target::OwnerInbox);
    assert!(d.reason.contains("conflicting windows"), "{}", d.reason);
    assert!(d.reason.contains("Maya and Jo"), "{}", d.reason);
}

#[test]
fn an_inactive_sitter_never_gets_messages() {
    let mut s = base();
    let mut w = window(1, 7, "Maya", at(9, 0), at(18, 0));
    w.sitter_active = false;
    s.windows.push(w);
    let d = decide(&s);
    assert_eq!(d.target, Target::OwnerInbox);
    assert!(d.reason.contains("inactive"));
}

#[test]
fn the_newest_active_override_wins_over_windows() {
    let mut s = base();
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    s.overrides.push(ovr(OverrideTarget::OwnerInbox, at(10, 0)));
    s.overrides.push(ovr(OverrideTarget::Sitter(SitterId(9)), at(11, 0)));
    let d = decide(&s);
    assert_eq!((d.target, d.sitter_id, d.rule), (Target::Sitter, Some(SitterId(9)), Rule::Override));
    assert!(d.reason.contains("override"));
}

#[test]
fn removed_and_expired_overrides_are_ignored() {
    let mut s = base();
    let mut removed = ovr(OverrideTarget::OwnerInbox, at(10, 0));
    removed.removed_at = Some(at(12, 0));
    let mut expired = ovr(OverrideTarget::OwnerInbox, at(9, 0));
    expired.ends_at = Some(at(13, 0));
    let mut future = ovr(OverrideTarget::OwnerInbox, at(9, 0));
    future.starts_at = at(16, 0);
    s.overrides = vec![removed, expired, future];
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    assert_eq!(decide(&s).target, Target::Sitter);
}

#[test]
fn a_stranger_on_a_pool_number_is_answered_and_kept_out() {
    let mut s = base();
    s.thread.number_class = NumberClass::Pool;
    s.sender = e("+15550177777");
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    let d = decide(&s);
    assert_eq!(d.target, Target::OwnerInbox);
    assert_eq!(d.rule, Rule::Safety);
    let reply = d.auto_reply.unwrap();
    assert!(reply.contains("+1 (555) 010-9999"), "{reply}");
    // The trace lists the later rules as not evaluated.
    assert!(d.trace.iter().any(|t| t.rule == Rule::Window && t.result == StepResult::Skipped));
}

#[test]
fn opted_out_senders_are_recorded_only() {
    let mut s = base();
    s.opted_out = true;
    s.windows.push(window(1, 7, "Maya", at(9, 0), at(18, 0)));
    assert_eq!(decide(&s).target, Target::RecordOnly);
}

#[test]
fn unknown_numbers_are_rejected_and_quarantined_ones_go_to_the_owner() {
    let mut s = base();
    s.business_number = Some(BusinessNumberSnapshot { e164: e("+15550102222"), status: None });
    assert_eq!(decide(&s).target, Target::Rejected);
    s.business_number =
        Some(BusinessNumberSnapshot { e164: e("+15550102222"), status: Some(NumberStatus::Quarantined) });
    assert_eq!(decide(&s).target, Target::OwnerInbox);
}

#[test]
fn every_trace_lists_every_rule_in_order() {
    let d = decide(&base());
    let rules: Vec<Rule> = d.trace.iter().map(|t| t.rule).collect();
    assert_eq!(rules.first(), Some(&Rule::Safety));
    assert_eq!(rules.last(), Some(&Rule::Default));
    let steps: Vec<u8> = d.trace.iter().map(|t| t.step).collect();
    assert_eq!(steps, (1..=steps.len() as u8).collect::<Vec<_>>());
}

#[test]
fn the_cli_snapshot_shape_parses() {
    let json = r#"{"at":"2026-11-24T19:30:00Z","direction":"inbound","sender":"+15550100001",
        "thread":{"id":"12","number_class":"sitter","participants":["+15550100001"]},
        "windows":[{"sitter_id":"7","sitter_name":"Maya","sitter_active":true,"starts_at":"2026-11-24T20:00:00Z","ends_at":"2026-11-24T23:00:00Z"}],
        "overrides":[{"target":"sitter:9","starts_at":"2026-11-24T10:00:00Z","ends_at":null,"removed_at":"2026-11-24T11:00:00Z","created_at":"2026-11-24T10:00:00Z","reason":"sick"}],
        "opted_out":false,"time_zone":"America/New_York"}"#;
    let s: RoutingSnapshot = serde_json::from_str(json).unwrap();
    let d = decide(&s);
    assert_eq!(
        d.reason,
        "Routed to owner inbox because no sitter is assigned at 2:30 PM; Maya's window starts at 3:00 PM."
    );
    let out = serde_json::to_value(&d).unwrap();
    for key in ["target", "sitter_id", "reason", "trace", "ruleset_version"] {
        assert!(out.get(key).is_some(), "{key}");
    }
    assert_eq!(out["target"], "owner_inbox");
}

#[test]
fn bad_override_targets_are_refused_with_the_expected_form() {
    let err = "vet".parse::<OverrideTarget>().unwrap_err();
    assert!(err.contains("sitter:<id>"));
    assert_eq!("sitter: 4".parse::<OverrideTarget>().unwrap(), OverrideTarget::Sitter(SitterId(4)));
}

// ---------------------------------------------------------------- properties

const T0: i64 = 1_795_000_000; // a fixed instant in 2026

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..48 * 4).prop_map(|q| Utc.timestamp_opt(T0 + q * 900, 0).unwrap())
}

fn window_strategy() -> impl Strategy<Value = WindowSnapshot> {
    (instant(), 1i64..32, 1i64..5, any::<bool>(), 0i64..1000).prop_map(|(s, len, sitter, active, id)| WindowSnapshot {
        id: Some(WindowId(id)),
        sitter_id: SitterId(sitter),
        sitter_name: format!("Sitter{sitter}"),
        sitter_active: active,
        starts_at: s,
        ends_at: s + Duration::minutes(15 * len),
    })
}

fn override_strategy() -> impl Strategy<Value = OverrideSnapshot> {
    (
        instant(),
        proptest::option::of(1i64..32),
        proptest::option::of(instant()),
        prop_oneof![Just(OverrideTarget::OwnerInbox), (1i64..5).prop_map(|i| OverrideTarget::Sitter(SitterId(i)))],
        any::<bool>(),
        0i64..1000,
    )
        .prop_map(|(s, len, removed, target, active, id)| OverrideSnapshot {
            id: Some(OverrideId(id)),
            target,
            target_name: Some("Jo".into()),
            target_active: active,
            starts_at: s,
            ends_at: len.map(|l| s + Duration::minutes(15 * l)),
            removed_at: removed,
            created_at: s,
            reason: "r".into(),
        })
}

fn snapshot_strategy() -> impl Strategy<Value = RoutingSnapshot> {
    (
        instant(),
        prop::collection::vec(window_strategy(), 0..6),
        prop::collection::vec(override_strategy(), 0..4),
        prop_oneof![Just(NumberClass::FrontDesk), Just(NumberClass::Sitter), Just(NumberClass::Pool)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(at, windows, overrides, class, participant, opted_out)| {
            let mut s = base();
            s.at = at;
            s.windows = windows;
            s.overrides = overrides;
            s.thread.number_class = class;
            if !participant {
                s.sender = e("+15550188888");
            }
            s.opted_out = opted_out;
            s
        })
}

fn safety_passes(s: &RoutingSnapshot) -> bool {
    !s.opted_out && (s.thread.number_class != NumberClass::Pool || s.thread.participants.contains(&s.sender))
}

proptest! {
    #[test]
    fn same_snapshot_gives_a_byte_identical_decision(s in snapshot_strategy()) {
        let a = serde_json::to_string(&decide(&s)).unwrap();
        let replay: RoutingSnapshot = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        let b = serde_json::to_string(&decide(&replay)).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn reordering_windows_and_overrides_changes_nothing(s in snapshot_strategy(), seed in any::<u64>()) {
        let mut shuffled = s.clone();
        let n = shuffled.windows.len();
        if n > 1 { shuffled.windows.rotate_left((seed as usize) % n); shuffled.windows.reverse(); }
        let m = shuffled.overrides.len();
        if m > 1 { shuffled.overrides.rotate_left((seed as usize >> 8) % m); shuffled.overrides.reverse(); }
        prop_assert_eq!(decide(&s), decide(&shuffled));
    }

    #[test]
    fn an_active_override_always_wins_over_windows(s in snapshot_strategy()) {
        prop_assume!(safety_passes(&s));
        let active = s.overrides.iter().any(|o| o.is_active_at(s.at));
        let d = decide(&s);
        if active {
            prop_assert_eq!(d.rule, Rule::Override);
        } else {
            prop_assert_ne!(d.rule, Rule::Override);
        }
    }

    #[test]
    fn exactly_one_active_window_means_that_sitter(s in snapshot_strategy()) {
        prop_assume!(safety_passes(&s));
        prop_assume!(!s.overrides.iter().any(|o| o.is_active_at(s.at)));
        let active: Vec<&WindowSnapshot> = s.windows.iter().filter(|w| w.is_active_at(s.at)).collect();
        let d = decide(&s);
        match active.as_slice() {
            [w] if w.sitter_active => {
                prop_assert_eq!(d.target, Target::Sitter);
                prop_assert_eq!(d.sitter_id, Some(w.sitter_id));
            }
            [_] => prop_assert_eq!(d.target, Target::OwnerInbox),
            [] => prop_assert_eq!((d.target, d.rule), (Target::OwnerInbox, Rule::Default)),
            _ => {
                prop_assert_eq!(d.target, Target::OwnerInbox);
                prop_assert!(d.reason.contains("conflicting windows"));
            }
        }
    }

    #[test]
    fn a_pool_stranger_never_reaches_the_pool_threads_sitter(s in snapshot_strategy()) {
        let mut s = s;
        s.thread.number_class = NumberClass::Pool;
        s.sender = e("+15550188888");
        s.opted_out = false;
        let d = decide(&s);
        prop_assert_eq!(d.target, Target::OwnerInbox);
        prop_assert!(d.sitter_id.is_none());
        prop_assert!(d.auto_reply.is_some());
    }

    #[test]
    fn window_bounds_are_start_inclusive_end_exclusive(w in window_strategy()) {
        let mut w = w;
        w.sitter_active = true;
        let mut s = base();
        s.windows = vec![w.clone()];
        s.at = w.starts_at;
        prop_assert_eq!(decide(&s).target, Target::Sitter);
        s.at = w.ends_at;
        prop_assert_eq!(decide(&s).target, Target::OwnerInbox);
        s.at = w.starts_at - Duration::seconds(1);
        prop_assert_eq!(decide(&s).target, Target::OwnerInbox);
    }
}
