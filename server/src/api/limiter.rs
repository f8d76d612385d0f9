//! Per-key rate limit: a token bucket holding a minute's allowance that
//! refills continuously, kept in memory (one server process per business).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl Limiter {
    /// Takes one request from the key's allowance, or says how many whole
    /// seconds to wait for the next one.
    pub fn take(&self, key: i64, per_minute: i64) -> Result<(), u64> {
        self.take_at(key, per_minute, Instant::now())
    }

    fn take_at(&self, key: i64, per_minute: i64, now: Instant) -> Result<(), u64> {
        let capacity = per_minute.max(1) as f64;
        let per_second = capacity / 60.0;
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (tokens, last) = buckets.entry(key).or_insert((capacity, now));
        let refilled = (*tokens + now.saturating_duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(((1.0 - refilled) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_minute_of_allowance_then_a_wait_then_refilled() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take_at(1, 3, t0), Ok(()));
        }
        assert_eq!(l.take_at(1, 3, t0), Err(20), "3 a minute = one every 20 s");
        assert_eq!(l.take_at(2, 3, t0), Ok(()), "keys don't share a bucket");
        assert_eq!(l.take_at(1, 3, t0 + Duration::from_secs(20)), Ok(()));
        assert!(l.take_at(1, 3, t0 + Duration::from_secs(21)).is_err());
        for _ in 0..3 {
            assert_eq!(l.take_at(1, 3, t0 + Duration::from_secs(600)), Ok(()), "never more than a minute's worth");
        }
        assert!(l.take_at(1, 3, t0 + Duration::from_secs(600)).is_err());
    }
}
