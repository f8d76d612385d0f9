//! Counting limits kept in this process: so many events per key in a
//! window (refused webhooks per address, say). Cheap enough to consult
//! before any database work; it forgets keys whose window has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept before the stale ones are swept out.
const MAX_KEYS: usize = 10_000;

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// Counts one event for `key`; true while the count in the current
    /// window of `per` is at most `max`.
    pub fn allow(&self, key: &str, max: u32, per: Duration) -> bool {
        let now = Instant::now();
        let Ok(mut w) = self.windows.lock() else { return false };
        if w.len() > MAX_KEYS {
            w.retain(|_, (start, _)| now.duration_since(*start) < per);
            if w.len() > MAX_KEYS {
                // Under a flood of distinct keys, forget them all rather
                // than grow without bound.
                w.clear();
            }
        }
        let entry = w.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= per {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_key() {
        let l = Limiter::default();
        let per = Duration::from_secs(60);
        assert!((0..3).all(|_| l.allow("a", 3, per)));
        assert!(!l.allow("a", 3, per));
        assert!(l.allow("b", 3, per), "keys are counted apart");
    }

    #[test]
    fn a_new_window_starts_over() {
        let l = Limiter::default();
        let per = Duration::from_millis(20);
        assert!(l.allow("a", 1, per));
        assert!(!l.allow("a", 1, per));
        std::thread::sleep(Duration::from_millis(30));
        assert!(l.allow("a", 1, per));
    }
}
