//! The provider circuit breaker (SPEC §6), as a rule: when the provider
//! keeps failing, sending stops for a cool-off; when it ends, one send (the
//! probe) decides whether the provider is back, while the other queued
//! texts wait. Waiting costs a text none of its attempts: a text is given
//! up only for failures while the provider is otherwise working, so an
//! outage of any length ends with every queued text sent once.

use chrono::{DateTime, Duration, Utc};

/// The breaker as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    /// Failed sends in a row (reset by any success).
    pub failures: u32,
    /// Set while open; once past, the breaker is half-open until a probe decides.
    pub open_until: Option<DateTime<Utc>>,
    /// When the current probe started, if one is out.
    pub probe_started: Option<DateTime<Utc>>,
}

/// What a send may do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// The provider is believed healthy: send.
    Closed,
    /// Cooling off: wait until then.
    Open(DateTime<Utc>),
    /// Half-open and no probe out: this send may try to become the probe.
    MayProbe,
    /// A probe is out: check again at that time.
    ProbeOut(DateTime<Utc>),
}

/// How long a probe may be out before another send may probe instead (its
/// worker may have died).
pub const PROBE_LEASE_SECONDS: i64 = 120;

/// How soon a text waiting on a probe looks again.
pub const PROBE_WAIT_SECONDS: i64 = 5;

pub fn gate(b: &Breaker, now: DateTime<Utc>) -> Gate {
    match b.open_until {
        None => Gate::Closed,
        Some(until) if until > now => Gate::Open(until),
        Some(_) => match b.probe_started {
            Some(p) if now - p < Duration::seconds(PROBE_LEASE_SECONDS) => {
                Gate::ProbeOut(now + Duration::seconds(PROBE_WAIT_SECONDS))
            }
            _ => Gate::MayProbe,
        },
    }
}

/// One transient failure of a send (the provider didn't answer, or
/// answered 5xx/429).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The send was the half-open probe.
    pub probing: bool,
    /// The text's attempts so far, this one included, and its allowance.
    pub attempt: u32,
    pub max_attempts: u32,
    /// How long the text has waited to go out.
    pub waited: Duration,
}

/// A text that couldn't go out for this long is given up whatever the
/// reason: by then it's stale ("I'll be there at 5" a day later).
pub fn max_wait() -> Duration {
    Duration::hours(24)
}

/// What a failure leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// The provider may be fine: the text retries (using the attempt),
    /// or is given up when it has none left.
    Retry,
    GiveUp,
    /// The provider is down: the breaker is (or stays) open until then, and
    /// the text waits for it without using the attempt. `opened` when this
    /// failure opened it (alert the owner).
    Wait {
        until: DateTime<Utc>,
        opened: bool,
    },
}

/// The breaker after a failure, and what becomes of the text.
/// `b.failures` already counts this failure.
pub fn after_failure(
    b: &Breaker,
    f: Failure,
    threshold: u32,
    cooloff: Duration,
    now: DateTime<Utc>,
) -> (Breaker, AfterFailure) {
    let open_or_half = b.open_until.is_some();
    if f.waited > max_wait() {
        return (*b, AfterFailure::GiveUp);
    }
    // Every one of this text's attempts failed with no success in between
    // (as far as the provider has answered anyone): the provider, not the text.
    let all_failing = f.attempt >= f.max_attempts && b.failures >= f.attempt;
    if f.probing || open_or_half || b.failures >= threshold || all_failing {
        let until = match b.open_until {
            Some(u) if u > now && !f.probing => u,
            _ => now + cooloff,
        };
        let next = Breaker { failures: b.failures, open_until: Some(until), probe_started: None };
        return (next, AfterFailure::Wait { until, opened: !open_or_half });
    }
    let what = if f.attempt >= f.max_attempts { AfterFailure::GiveUp } else { AfterFailure::Retry };
    (*b, what)
}

/// The breaker after a send the provider answered (accepted, or refused
/// for a reason of the text's own): closed, counts cleared.
pub fn after_answer() -> Breaker {
    Breaker::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_closed_breaker_lets_sends_through_and_an_open_one_holds_them() {
        let now = t0();
        assert_eq!(gate(&Breaker::default(), now), Gate::Closed);
        let open = Breaker { failures: 5, open_until: Some(now + Duration::minutes(5)), probe_started: None };
        assert_eq!(gate(&open, now), Gate::Open(now + Duration::minutes(5)));
    }

    #[test]
    fn after_the_cooloff_one_probe_goes_and_the_rest_wait() {
        let now = t0();
        let half = Breaker { failures: 5, open_until: Some(now - Duration::seconds(1)), probe_started: None };
        assert_eq!(gate(&half, now), Gate::MayProbe);
        let probing = Breaker { probe_started: Some(now), ..half };
        assert_eq!(gate(&probing, now), Gate::ProbeOut(now + Duration::seconds(PROBE_WAIT_SECONDS)));
        // A probe whose worker vanished is replaced.
        let stale = Breaker { probe_started: Some(now - Duration::seconds(PROBE_LEASE_SECONDS + 1)), ..half };
        assert_eq!(gate(&stale, now), Gate::MayProbe);
    }

    #[test]
    fn the_failure_that_reaches_the_threshold_opens_it_without_using_the_attempt() {
        let now = t0();
        let b = Breaker { failures: 5, ..Default::default() };
        let (next, what) = after_failure(
            &b,
            Failure { probing: false, attempt: 1, max_attempts: 3, waited: Duration::zero() },
            5,
            Duration::minutes(5),
            now,
        );
        assert_eq!(what, AfterFailure::Wait { until: now + Duration::minutes(5), opened: true });
        assert_eq!(next.open_until, Some(now + Duration::minutes(5)));
    }

    #[test]
    fn a_failed_probe_reopens_quietly() {
        let now = t0();
        let b = Breaker { failures: 9, open_until: Some(now - Duration::seconds(3)), probe_started: Some(now) };
        let (next, what) = after_failure(
            &b,
            Failure { probing: true, attempt: 1, max_attempts: 3, waited: Duration::zero() },
            5,
            Duration::minutes(5),
            now,
        );
        assert_eq!(what, AfterFailure::Wait { until: now + Duration::minutes(5), opened: false });
        assert_eq!(next.probe_started, None);
    }

    #[test]
    fn a_text_failing_alone_while_others_get_through_is_given_up() {
        let now = t0();
        // Other texts succeeded in between: only this text's last failure counts.
        let b = Breaker { failures: 1, ..Default::default() };
        let f = Failure { probing: false, attempt: 3, max_attempts: 3, waited: Duration::minutes(3) };
        assert_eq!(after_failure(&b, f, 5, Duration::minutes(5), now).1, AfterFailure::GiveUp);
        let f = Failure { attempt: 2, ..f };
        assert_eq!(after_failure(&b, f, 5, Duration::minutes(5), now).1, AfterFailure::Retry);
    }

    #[test]
    fn a_lone_text_during_an_outage_waits_instead_of_being_given_up() {
        let now = t0();
        // Its three attempts were the last three calls, all failed.
        let b = Breaker { failures: 3, ..Default::default() };
        let f = Failure { probing: false, attempt: 3, max_attempts: 3, waited: Duration::minutes(3) };
        assert!(matches!(
            after_failure(&b, f, 5, Duration::minutes(5), now).1,
            AfterFailure::Wait { opened: true, .. }
        ));
    }

    #[test]
    fn a_text_that_waited_a_day_is_given_up_even_during_an_outage() {
        let now = t0();
        let b = Breaker { failures: 40, open_until: Some(now - Duration::seconds(1)), probe_started: Some(now) };
        let f = Failure { probing: true, attempt: 1, max_attempts: 3, waited: Duration::hours(25) };
        assert_eq!(after_failure(&b, f, 5, Duration::minutes(5), now).1, AfterFailure::GiveUp);
    }

    proptest! {
        /// Simulated: any number of texts, an outage of any length in
        /// cool-offs; no text is given up, and every one is sent once the
        /// provider is back.
        #[test]
        fn an_outage_never_gives_up_a_text(texts in 1usize..12, outage_steps in 0u32..40, threshold in 2u32..8) {
            let cooloff = Duration::minutes(5);
            let backoff = Duration::seconds(30);
            let mut now = t0();
            let outage_ends = now + Duration::seconds(i64::from(outage_steps) * 100);
            let mut b = Breaker::default();
            // (due, attempts used, sent)
            let mut q: Vec<(DateTime<Utc>, u32, bool)> = vec![(now, 0, false); texts];
            for _ in 0..10_000 {
                if q.iter().all(|x| x.2) { break; }
                let Some(i) = (0..q.len()).filter(|&i| !q[i].2).min_by_key(|&i| (q[i].0, i)) else { break };
                now = now.max(q[i].0);
                let probing = match gate(&b, now) {
                    Gate::Closed => false,
                    Gate::Open(u) | Gate::ProbeOut(u) => { q[i].0 = u; continue; }
                    Gate::MayProbe => { b.probe_started = Some(now); true }
                };
                q[i].1 += 1;
                if now >= outage_ends {
                    b = after_answer();
                    q[i].2 = true;
                    continue;
                }
                b.failures += 1;
                let f = Failure { probing, attempt: q[i].1, max_attempts: 3, waited: now - t0() };
                let (next, what) = after_failure(&b, f, threshold, cooloff, now);
                b = next;
                match what {
                    AfterFailure::Retry => q[i].0 = now + backoff * 2i32.pow(q[i].1 - 1),
                    AfterFailure::GiveUp => prop_assert!(false, "text {} given up during an outage", i),
                    AfterFailure::Wait { until, .. } => {
                        q[i].1 -= 1;
                        q[i].0 = until + Duration::seconds(1);
                    }
                }
            }
            prop_assert!(q.iter().all(|x| x.2), "every text sent: {:?}", q);
        }
    }
}
