//! Quiet hours: automated texts wait until morning (SPEC §3.6).

use crate::domain::time::BusinessTz;
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub enabled: bool,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            enabled: true,
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl QuietHours {
    fn contains(&self, t: NaiveTime) -> bool {
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// When an automated send at `at` may go out: `None` = now, `Some(t)` =
/// deferred to the end of quiet hours (in UTC, DST-correct).
pub fn defer_until(at: DateTime<Utc>, tz: BusinessTz, q: QuietHours) -> Option<DateTime<Utc>> {
    if !q.enabled {
        return None;
    }
    let local = tz.local(at);
    let t = local.time();
    if !q.contains(t) {
        return None;
    }
    let date = local.date_naive();
    let end_date = if t >= q.end { date.succ_opt()? } else { date };
    Some(tz.to_utc(end_date.and_time(q.end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn evening_sends_wait_until_eight_next_morning() {
        let tz = BusinessTz::parse("America/New_York").unwrap();
        // 10 PM EST on Nov 24 = 03:00Z Nov 25; quiet until 8 AM EST = 13:00Z.
        assert_eq!(
            defer_until(utc("2026-11-25T03:00:00Z"), tz, QuietHours::default()),
            Some(utc("2026-11-25T13:00:00Z"))
        );
        // 6 AM local waits until 8 AM the same day.
        assert_eq!(
            defer_until(utc("2026-11-25T11:00:00Z"), tz, QuietHours::default()),
            Some(utc("2026-11-25T13:00:00Z"))
        );
        // Noon goes now.
        assert_eq!(defer_until(utc("2026-11-25T17:00:00Z"), tz, QuietHours::default()), None);
    }

    #[test]
    fn the_end_of_quiet_hours_respects_dst() {
        let tz = BusinessTz::parse("America/New_York").unwrap();
        // 11 PM EST Mar 7 2026; DST starts Mar 8 → 8 AM EDT = 12:00Z.
        assert_eq!(
            defer_until(utc("2026-03-08T04:00:00Z"), tz, QuietHours::default()),
            Some(utc("2026-03-08T12:00:00Z"))
        );
    }

    #[test]
    fn disabled_or_empty_quiet_hours_never_defer() {
        let tz = BusinessTz::parse("UTC").unwrap();
        let q = QuietHours { enabled: false, ..QuietHours::default() };
        assert_eq!(defer_until(utc("2026-11-25T23:00:00Z"), tz, q), None);
        let same = QuietHours { enabled: true, start: q.end, end: q.end };
        assert_eq!(defer_until(utc("2026-11-25T23:00:00Z"), tz, same), None);
    }
}
