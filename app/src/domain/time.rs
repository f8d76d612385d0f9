//! Business time: instants are UTC everywhere; this module turns them into
//! what the operator reads, in the business's IANA time zone, DST-correct.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The time zones a business can pick (setup and Settings), with how
/// they are shown. The browser's WASM carries only these zones' rules
/// (chrono-tz's build-time filter, `CHRONO_TZ_TIMEZONE_FILTER` in
/// `.cargo/config.toml`, which must name each of them); the server knows
/// them all.
pub const OFFERED_ZONES: [(&str, &str); 14] = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Toronto", "Eastern (Toronto)"),
    ("America/Vancouver", "Pacific (Vancouver)"),
    ("Europe/London", "UK (London)"),
    ("Europe/Dublin", "Ireland (Dublin)"),
    ("Australia/Sydney", "Australia Eastern (Sydney)"),
    ("Pacific/Auckland", "New Zealand (Auckland)"),
    ("UTC", "UTC"),
];

/// An IANA time zone name that is known to exist ("America/New_York").
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BusinessTz(Tz);

impl BusinessTz {
    pub fn parse(name: &str) -> Result<BusinessTz, String> {
        name.trim()
            .parse::<Tz>()
            .map(BusinessTz)
            .map_err(|_| format!("\"{name}\" is not a time zone we know. Pick one like America/New_York."))
    }

    /// A zone the business may choose: one of `OFFERED_ZONES`.
    pub fn offered(name: &str) -> Result<BusinessTz, String> {
        let name = name.trim();
        if !OFFERED_ZONES.iter().any(|(z, _)| *z == name) {
            return Err(format!(
                "\"{name}\" is not a time zone we know. Pick one from the list, like America/New_York."
            ));
        }
        BusinessTz::parse(name)
    }

    pub fn utc() -> BusinessTz {
        BusinessTz(Tz::UTC)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.0)
    }

    /// "2:30 PM"
    pub fn time(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%-I:%M %p").to_string()
    }

    /// "Mon 9:00 AM"
    pub fn day_time(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%a %-I:%M %p").to_string()
    }

    /// "Mon Nov 24, 9:00 AM"
    pub fn date_time(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%a %b %-d, %-I:%M %p").to_string()
    }

    /// "Nov 24, 2026"
    pub fn date(&self, at: DateTime<Utc>) -> String {
        self.local(at).format("%b %-d, %Y").to_string()
    }

    /// The time of `at`, with the weekday added only when `at` falls on a
    /// different local day than `reference` (how people say it: "at 3:00 PM"
    /// today, "Tue 3:00 PM" otherwise).
    pub fn time_relative_to(&self, at: DateTime<Utc>, reference: DateTime<Utc>) -> String {
        if self.local(at).date_naive() == self.local(reference).date_naive() {
            self.time(at)
        } else if (self.local(at).date_naive() - self.local(reference).date_naive()).num_days().abs() < 7 {
            self.day_time(at)
        } else {
            self.date_time(at)
        }
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date_naive()
    }

    /// Converts a local wall-clock time to UTC. In the spring-forward gap the
    /// wall time doesn't exist: we move forward by the gap (what a phone
    /// alarm does). In the fall-back overlap we take the earlier instant.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
            LocalResult::None => {
                let later = local + chrono::Duration::hours(1);
                match self.0.from_local_datetime(&later) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                    LocalResult::None => Utc.from_utc_datetime(&local),
                }
            }
        }
    }

    /// UTC instant of local midnight starting `date`.
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        self.to_utc(date.and_time(NaiveTime::MIN))
    }

    /// Start of the local week (Monday) containing `at`.
    pub fn start_of_week(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let d = self.local_date(at);
        let monday = d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64);
        self.start_of_day(monday)
    }
}

impl Default for BusinessTz {
    fn default() -> Self {
        BusinessTz(Tz::America__New_York)
    }
}

impl fmt::Debug for BusinessTz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessTz({})", self.0.name())
    }
}

impl fmt::Display for BusinessTz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Serialize for BusinessTz {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for BusinessTz {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BusinessTz::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A short list of zones offered first in pickers; any IANA name is accepted.
pub const COMMON_ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Australia/Sydney",
    "UTC",
];

/// "3 min ago", "2 h ago", "Yesterday", "Nov 3" — for lists.
/// A day from a form's date field ("YYYY-MM-DD"); empty means none.
pub fn form_day(s: &str) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("\"{s}\" isn't a date. Use the date picker (YYYY-MM-DD)."))
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>, tz: BusinessTz) -> String {
    let secs = (now - at).num_seconds();
    if secs < 45 {
        "just now".to_string()
    } else if secs < 3600 {
        format!("{} min ago", (secs + 30) / 60)
    } else if tz.local_date(at) == tz.local_date(now) {
        tz.time(at)
    } else if tz.local_date(now).pred_opt() == Some(tz.local_date(at)) {
        "Yesterday".to_string()
    } else if secs < 6 * 86_400 {
        tz.local(at).format("%a").to_string()
    } else {
        tz.local(at).format("%b %-d").to_string()
    }
}

/// A duration for people: "45 min", "3 h 20 min", "2 days".
pub fn human_duration(d: chrono::Duration) -> String {
    let mins = d.num_minutes().max(0);
    if mins < 60 {
        format!("{mins} min")
    } else if mins < 48 * 60 {
        let (h, m) = (mins / 60, mins % 60);
        if m == 0 {
            format!("{h} h")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        format!("{} days", mins / (24 * 60))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_offered_zone_is_known_and_in_the_browser_filter() {
        let config = include_str!("../../../.cargo/config.toml");
        let filter = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("CHRONO_TZ_TIMEZONE_FILTER = "))
            .expect("the filter is set in .cargo/config.toml");
        let listed: std::collections::BTreeSet<&str> =
            filter.trim_matches('"').trim_start_matches("^(").trim_end_matches(")$").split('|').collect();
        let offered: std::collections::BTreeSet<&str> = OFFERED_ZONES.iter().map(|(z, _)| *z).collect();
        assert_eq!(listed, offered, "the browser's zones are exactly the offered ones");
        for (zone, _) in OFFERED_ZONES {
            assert!(BusinessTz::offered(zone).is_ok(), "{zone}");
        }
        assert!(BusinessTz::offered("Europe/Paris").is_err());
        assert!(BusinessTz::offered("Mars/Base").unwrap_err().contains("not a time zone we know"));
    }

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn formats_in_the_business_time_zone() {
        let tz = BusinessTz::parse("America/New_York").unwrap();
        assert_eq!(tz.time(utc("2026-11-24T19:30:00Z")), "2:30 PM");
        assert_eq!(tz.day_time(utc("2026-11-24T14:00:00Z")), "Tue 9:00 AM");
    }

    #[test]
    fn daylight_saving_is_respected() {
        let tz = BusinessTz::parse("America/New_York").unwrap();
        // Same UTC clock time, one hour apart locally across the March change.
        assert_eq!(tz.time(utc("2026-03-07T15:00:00Z")), "10:00 AM");
        assert_eq!(tz.time(utc("2026-03-09T15:00:00Z")), "11:00 AM");
        // 2:30 AM doesn't exist on 2026-03-08; it becomes 3:30 AM EDT.
        let gap = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(tz.time(tz.to_utc(gap)), "3:30 AM");
        // 1:30 AM happens twice on 2026-11-01; we take the first (EDT).
        let overlap = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(1, 30, 0).unwrap();
        assert_eq!(tz.to_utc(overlap), utc("2026-11-01T05:30:00Z"));
    }

    #[test]
    fn unknown_zone_is_refused_with_a_hint() {
        let e = BusinessTz::parse("Mars/Olympus").unwrap_err();
        assert!(e.contains("America/New_York"));
    }

    #[test]
    fn relative_times_read_naturally() {
        let tz = BusinessTz::parse("UTC").unwrap();
        let now = utc("2026-11-24T12:00:00Z");
        assert_eq!(relative(utc("2026-11-24T11:59:50Z"), now, tz), "just now");
        assert_eq!(relative(utc("2026-11-24T11:50:00Z"), now, tz), "10 min ago");
        assert_eq!(relative(utc("2026-11-24T08:00:00Z"), now, tz), "8:00 AM");
        assert_eq!(relative(utc("2026-11-23T08:00:00Z"), now, tz), "Yesterday");
        assert_eq!(relative(utc("2026-11-01T08:00:00Z"), now, tz), "Nov 1");
    }
}
