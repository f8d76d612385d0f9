use super::*;
use crate::domain::time::BusinessTz;
use chrono::TimeZone;
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn tz() -> BusinessTz {
    BusinessTz::parse("UTC").unwrap()
}

fn num(id: i64, class: NumberClass, status: NumberStatus) -> NumberFacts {
    NumberFacts {
        id: NumberId(id),
        e164: E164::from_canonical(&format!("+1555010{id:04}")).unwrap(),
        class,
        status,
        sitter_id: None,
        cooldown_until: None,
        last_used_at: None,
        registration: Registration::Registered,
    }
}

#[test]
fn last_front_desk_number_cannot_be_quarantined() {
    let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
    let all = vec![fd.clone(), num(2, NumberClass::Pool, NumberStatus::Active)];
    let err = quarantine(&fd, &all, Some(QuarantineReason::ManualReview), "", now(), 90).unwrap_err();
    assert!(matches!(err, LifecycleError::LastFrontDesk(_)));
    assert!(err.to_string().contains("last active Front Desk"));
}

#[test]
fn a_second_front_desk_number_makes_quarantine_possible() {
    let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
    let all = vec![fd.clone(), num(2, NumberClass::FrontDesk, NumberStatus::Active)];
    let until = quarantine(&fd, &all, Some(QuarantineReason::DeliveryFailures), "", now(), 90).unwrap();
    assert_eq!(until, now() + Duration::days(90));
}

#[test]
fn last_front_desk_number_cannot_be_released() {
    let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
    assert!(matches!(release_to_provider(&fd, std::slice::from_ref(&fd)), Err(LifecycleError::LastFrontDesk(_))));
}

#[test]
fn front_desk_number_cannot_go_to_the_pool() {
    let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
    assert!(matches!(release_to_pool(&fd, now(), tz()), Err(LifecycleError::FrontDeskToPool(_))));
}

#[test]
fn quarantine_needs_a_reason_and_other_needs_text() {
    let n = num(3, NumberClass::Sitter, NumberStatus::Active);
    assert_eq!(quarantine(&n, &[], None, "", now(), 90), Err(LifecycleError::ReasonMissing));
    assert_eq!(
        quarantine(&n, &[], Some(QuarantineReason::Other), "  ", now(), 90),
        Err(LifecycleError::OtherReasonNeedsText)
    );
    assert!(quarantine(&n, &[], Some(QuarantineReason::Other), "carrier complaint", now(), 90).is_ok());
}

#[test]
fn cooldown_is_never_below_thirty_days() {
    let n = num(3, NumberClass::Sitter, NumberStatus::Active);
    assert_eq!(
        quarantine(&n, &[], Some(QuarantineReason::ManualReview), "", now(), 10),
        Err(LifecycleError::CooldownTooShort(10))
    );
    assert_eq!(check_cooldown_days(29), Err(LifecycleError::CooldownTooShort(29)));
    assert_eq!(check_cooldown_days(30), Ok(30));
}

#[test]
fn release_from_quarantine_only_after_the_cooldown() {
    let mut n = num(3, NumberClass::Sitter, NumberStatus::Quarantined);
    n.cooldown_until = Some(now() + Duration::days(1));
    let err = release_from_quarantine(&n, now(), tz()).unwrap_err();
    assert!(err.to_string().contains("cooling down until Nov 25, 2026"), "{err}");
    n.cooldown_until = Some(now());
    assert!(release_from_quarantine(&n, now(), tz()).is_ok());
    let active = num(4, NumberClass::Pool, NumberStatus::Active);
    assert!(matches!(release_from_quarantine(&active, now(), tz()), Err(LifecycleError::NotQuarantined(_))));
}

#[test]
fn a_number_in_cooldown_cannot_be_assigned() {
    let mut n = num(3, NumberClass::Pool, NumberStatus::Quarantined);
    n.cooldown_until = Some(now() + Duration::days(10));
    assert!(matches!(
        assign_to_sitter(&n, SitterId(1), "Maya", &[], now(), tz(), false),
        Err(LifecycleError::InCooldown { .. })
    ));
}

#[test]
fn a_sitter_holds_at_most_one_sitter_number() {
    let mut held = num(5, NumberClass::Sitter, NumberStatus::Active);
    held.sitter_id = Some(SitterId(1));
    let free = num(6, NumberClass::Sitter, NumberStatus::Active);
    let all = vec![held.clone(), free.clone()];
    let err = assign_to_sitter(&free, SitterId(1), "Maya", &all, now(), tz(), false).unwrap_err();
    assert!(err.to_string().starts_with("Maya already has"), "{err}");
    assert!(assign_to_sitter(&free, SitterId(2), "Jo", &all, now(), tz(), false).is_ok());
}

#[test]
fn unregistered_numbers_are_assigned_only_after_confirmation() {
    let mut n = num(6, NumberClass::Sitter, NumberStatus::Active);
    n.registration = Registration::Unregistered;
    assert!(matches!(
        assign_to_sitter(&n, SitterId(2), "Jo", &[], now(), tz(), false),
        Err(LifecycleError::UnregisteredNeedsConfirmation(_))
    ));
    assert!(assign_to_sitter(&n, SitterId(2), "Jo", &[], now(), tz(), true).is_ok());
}

#[test]
fn pool_selection_is_least_recently_used_then_by_number() {
    let mut a = num(10, NumberClass::Pool, NumberStatus::Active);
    let mut b = num(11, NumberClass::Pool, NumberStatus::Active);
    let mut c = num(12, NumberClass::Pool, NumberStatus::Active);
    a.last_used_at = Some(now() - Duration::days(1));
    b.last_used_at = Some(now() - Duration::days(3));
    c.last_used_at = Some(now() - Duration::days(3));
    let all = vec![a.clone(), c.clone(), b.clone()];
    assert_eq!(select_pool_number(&all, now()).map(|n| n.id), Some(b.id));
    // Never used beats used.
    let d = num(13, NumberClass::Pool, NumberStatus::Active);
    let all = vec![a, b, c, d.clone()];
    assert_eq!(select_pool_number(&all, now()).map(|n| n.id), Some(d.id));
}

#[test]
fn pool_selection_skips_quarantined_and_cooling_numbers() {
    let q = num(10, NumberClass::Pool, NumberStatus::Quarantined);
    let mut cooling = num(11, NumberClass::Pool, NumberStatus::Active);
    cooling.cooldown_until = Some(now() + Duration::days(2));
    assert!(select_pool_number(&[q, cooling], now()).is_none());
}

#[test]
fn health_colours_follow_the_thresholds() {
    let t = HealthThresholds::default();
    assert_eq!(health(0, t), Health::Green);
    assert_eq!(health(1, t), Health::Yellow);
    assert_eq!(health(2, t), Health::Yellow);
    assert_eq!(health(3, t), Health::Red);
    let custom = HealthThresholds { yellow_at: 2, red_at: 5 };
    assert_eq!(health(1, custom), Health::Green);
    assert!(HealthThresholds { yellow_at: 3, red_at: 3 }.validate().is_err());
}

#[test]
fn quarantined_threads_move_to_a_same_class_number_else_the_front_desk() {
    let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
    let p1 = num(2, NumberClass::Pool, NumberStatus::Active);
    let p2 = num(3, NumberClass::Pool, NumberStatus::Active);
    let s1 = num(4, NumberClass::Sitter, NumberStatus::Active);
    let all = vec![fd.clone(), p1.clone(), p2.clone(), s1.clone()];
    assert_eq!(quarantine_destination(&p1, &all, now()), Some(ThreadMove::ToNumber(p2.id)));
    assert_eq!(quarantine_destination(&s1, &all, now()), Some(ThreadMove::ToOwnerInbox(fd.id)));
}

proptest! {
    #[test]
    fn pool_selection_is_deterministic_and_order_independent(
        used in prop::collection::vec(proptest::option::of(0i64..5), 1..8),
        rot in 0usize..8,
    ) {
        let nums: Vec<NumberFacts> = used.iter().enumerate().map(|(i, u)| {
            let mut n = num(i as i64 + 1, NumberClass::Pool, NumberStatus::Active);
            n.last_used_at = u.map(|d| now() - Duration::days(d));
            n
        }).collect();
        let mut rotated = nums.clone();
        let len = rotated.len();
        rotated.rotate_left(rot % len);
        let a = select_pool_number(&nums, now()).map(|n| n.id);
        let b = select_pool_number(&rotated, now()).map(|n| n.id);
        prop_assert_eq!(a, b);
        let chosen = nums.iter().find(|n| Some(n.id) == a).unwrap();
        for n in &nums {
            prop_assert!(chosen.last_used_at <= n.last_used_at);
        }
    }

    #[test]
    fn health_is_monotonic_in_failures(f in 0u32..20, y in 1u32..5, extra in 1u32..5) {
        let t = HealthThresholds { yellow_at: y, red_at: y + extra };
        let rank = |h: Health| match h { Health::Green => 0, Health::Yellow => 1, Health::Red => 2 };
        prop_assert!(rank(health(f, t)) <= rank(health(f + 1, t)));
    }

    #[test]
    fn the_last_front_desk_is_always_protected(extra_pool in 0usize..4, cooldown in 30i64..365) {
        let fd = num(1, NumberClass::FrontDesk, NumberStatus::Active);
        let mut all = vec![fd.clone()];
        for i in 0..extra_pool { all.push(num(10 + i as i64, NumberClass::Pool, NumberStatus::Active)); }
        prop_assert!(quarantine(&fd, &all, Some(QuarantineReason::ManualReview), "", now(), cooldown).is_err());
        prop_assert!(release_to_provider(&fd, &all).is_err());
    }
}
