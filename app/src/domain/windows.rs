//! Assignment windows (SPEC §3.4): validity, overlaps with their span,
//! status at a time, and the ways an operator can resolve a conflict.

use crate::domain::ids::{SitterId, WindowId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    WeeklyClient,
    OneTimeBooking,
    MeetAndGreet,
}

impl AssignmentKind {
    pub const ALL: [AssignmentKind; 3] =
        [AssignmentKind::WeeklyClient, AssignmentKind::OneTimeBooking, AssignmentKind::MeetAndGreet];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::WeeklyClient => "weekly_client",
            AssignmentKind::OneTimeBooking => "one_time_booking",
            AssignmentKind::MeetAndGreet => "meet_and_greet",
        }
    }
    pub fn parse(s: &str) -> Option<AssignmentKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            AssignmentKind::WeeklyClient => "Weekly client",
            AssignmentKind::OneTimeBooking => "One-time booking",
            AssignmentKind::MeetAndGreet => "Meet and greet",
        }
    }
    /// Weekly clients text the sitter's own number; everyone else gets a
    /// pool number lent for the booking.
    pub fn uses_sitter_number(self) -> bool {
        matches!(self, AssignmentKind::WeeklyClient)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    Future,
    Active,
    Past,
    Conflicting,
}

impl WindowStatus {
    pub fn label(self) -> &'static str {
        match self {
            WindowStatus::Future => "Upcoming",
            WindowStatus::Active => "Active",
            WindowStatus::Past => "Past",
            WindowStatus::Conflicting => "Conflict",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            WindowStatus::Future => "future",
            WindowStatus::Active => "active",
            WindowStatus::Past => "past",
            WindowStatus::Conflicting => "conflicting",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub id: WindowId,
    pub sitter_id: SitterId,
    pub sitter_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum WindowError {
    #[error("The window must end after it starts.")]
    EndsBeforeStart,
    #[error("This window overlaps {other_sitter}'s window from {overlap_from} to {overlap_to}. Resolve the conflict first: keep one, split, or shorten.")]
    Overlap { other_sitter: String, other_id: WindowId, overlap_from: String, overlap_to: String },
}

pub fn validate(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), WindowError> {
    if starts_at < ends_at {
        Ok(())
    } else {
        Err(WindowError::EndsBeforeStart)
    }
}

/// The overlapping span of two half-open windows, if any.
pub fn overlap(
    a: (DateTime<Utc>, DateTime<Utc>),
    b: (DateTime<Utc>, DateTime<Utc>),
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = a.0.max(b.0);
    let end = a.1.min(b.1);
    (start < end).then_some((start, end))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub first: Window,
    pub second: Window,
    pub overlap_from: DateTime<Utc>,
    pub overlap_to: DateTime<Utc>,
}

/// Every overlapping pair among one thread's windows, in start order.
pub fn conflicts(windows: &[Window]) -> Vec<Conflict> {
    let mut sorted: Vec<&Window> = windows.iter().collect();
    sorted.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.ends_at.cmp(&b.ends_at)).then(a.id.cmp(&b.id)));
    let mut out = Vec::new();
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            if b.starts_at >= a.ends_at {
                break;
            }
            if let Some((from, to)) = overlap((a.starts_at, a.ends_at), (b.starts_at, b.ends_at)) {
                out.push(Conflict { first: (*a).clone(), second: (*b).clone(), overlap_from: from, overlap_to: to });
            }
        }
    }
    out
}

/// A half-open time span.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Checks a new or edited window against the thread's other windows.
pub fn check_new(
    candidate: (DateTime<Utc>, DateTime<Utc>),
    others: &[Window],
    ignore: Option<WindowId>,
    tz: crate::domain::time::BusinessTz,
) -> Result<(), WindowError> {
    validate(candidate.0, candidate.1)?;
    let mut hits: Vec<(&Window, Span)> = others
        .iter()
        .filter(|w| Some(w.id) != ignore)
        .filter_map(|w| overlap(candidate, (w.starts_at, w.ends_at)).map(|o| (w, o)))
        .collect();
    hits.sort_by(|a, b| a.1 .0.cmp(&b.1 .0).then(a.0.id.cmp(&b.0.id)));
    match hits.first() {
        None => Ok(()),
        Some((w, (from, to))) => Err(WindowError::Overlap {
            other_sitter: w.sitter_name.clone(),
            other_id: w.id,
            overlap_from: tz.date_time(*from),
            overlap_to: tz.date_time(*to),
        }),
    }
}

/// Status of one window at `now`, given its thread's windows.
pub fn status_at(w: &Window, thread_windows: &[Window], now: DateTime<Utc>) -> WindowStatus {
    let conflicted = thread_windows
        .iter()
        .any(|o| o.id != w.id && overlap((w.starts_at, w.ends_at), (o.starts_at, o.ends_at)).is_some());
    if conflicted && w.ends_at > now {
        WindowStatus::Conflicting
    } else if now < w.starts_at {
        WindowStatus::Future
    } else if now < w.ends_at {
        WindowStatus::Active
    } else {
        WindowStatus::Past
    }
}

/// One-click fixes for a conflict (SPEC §4.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// Keep this window, delete the other one.
    Keep { keep: WindowId, delete: WindowId },
    /// The first window ends when the second starts.
    ShortenFirst { window: WindowId, new_end: DateTime<Utc> },
    /// The second window starts when the first ends.
    ShortenSecond { window: WindowId, new_start: DateTime<Utc> },
    /// Split the overlap at `at`: the first ends at `at`, the second starts there.
    SplitAt { first: WindowId, second: WindowId, at: DateTime<Utc> },
}

/// The resolutions that leave both windows valid (non-empty).
pub fn resolutions(c: &Conflict) -> Vec<Resolution> {
    let mut out = vec![
        Resolution::Keep { keep: c.first.id, delete: c.second.id },
        Resolution::Keep { keep: c.second.id, delete: c.first.id },
    ];
    if c.first.starts_at < c.second.starts_at {
        out.push(Resolution::ShortenFirst { window: c.first.id, new_end: c.second.starts_at });
    }
    if c.first.ends_at < c.second.ends_at {
        out.push(Resolution::ShortenSecond { window: c.second.id, new_start: c.first.ends_at });
    }
    let mid = c.overlap_from + (c.overlap_to - c.overlap_from) / 2;
    if c.first.starts_at < mid && mid < c.second.ends_at {
        out.push(Resolution::SplitAt { first: c.first.id, second: c.second.id, at: mid });
    }
    out
}

/// Checks that a split point is usable for this conflict.
pub fn check_split(c: &Conflict, at: DateTime<Utc>) -> Result<(), WindowError> {
    if c.first.starts_at < at && at < c.second.ends_at {
        Ok(())
    } else {
        Err(WindowError::EndsBeforeStart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::BusinessTz;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
    }
    fn w(id: i64, sitter: &str, s: u32, e: u32) -> Window {
        Window { id: WindowId(id), sitter_id: SitterId(id), sitter_name: sitter.into(), starts_at: t(s), ends_at: t(e) }
    }

    #[test]
    fn a_window_must_end_after_it_starts() {
        assert_eq!(validate(t(10), t(10)), Err(WindowError::EndsBeforeStart));
        assert_eq!(validate(t(11), t(10)), Err(WindowError::EndsBeforeStart));
        assert!(validate(t(10), t(11)).is_ok());
    }

    #[test]
    fn touching_windows_do_not_overlap() {
        assert_eq!(overlap((t(9), t(12)), (t(12), t(15))), None);
        assert_eq!(overlap((t(9), t(13)), (t(12), t(15))), Some((t(12), t(13))));
    }

    #[test]
    fn overlapping_windows_are_refused_with_the_other_sitter_and_span() {
        let tz = BusinessTz::parse("UTC").unwrap();
        let err = check_new((t(11), t(14)), &[w(1, "Maya", 9, 12)], None, tz).unwrap_err();
        match &err {
            WindowError::Overlap { other_sitter, overlap_from, overlap_to, .. } => {
                assert_eq!(other_sitter, "Maya");
                assert!(overlap_from.contains("11:00 AM"));
                assert!(overlap_to.contains("12:00 PM"));
            }
            e => panic!("{e:?}"),
        }
        // Editing a window doesn't conflict with itself.
        assert!(check_new((t(10), t(12)), &[w(1, "Maya", 9, 12)], Some(WindowId(1)), tz).is_ok());
    }

    #[test]
    fn status_follows_time_and_conflicts() {
        let a = w(1, "Maya", 9, 12);
        let b = w(2, "Jo", 13, 15);
        let all = [a.clone(), b.clone()];
        assert_eq!(status_at(&a, &all, t(8)), WindowStatus::Future);
        assert_eq!(status_at(&a, &all, t(9)), WindowStatus::Active);
        assert_eq!(status_at(&a, &all, t(12)), WindowStatus::Past);
        let c = w(3, "Sam", 11, 14);
        let all = [a.clone(), b, c.clone()];
        assert_eq!(status_at(&a, &all, t(8)), WindowStatus::Conflicting);
        assert_eq!(conflicts(&all).len(), 2);
    }

    #[test]
    fn every_offered_resolution_removes_the_conflict() {
        let a = w(1, "Maya", 9, 13);
        let b = w(2, "Jo", 11, 15);
        let c = &conflicts(&[a.clone(), b.clone()])[0];
        for r in resolutions(c) {
            let (mut x, mut y) = (Some(a.clone()), Some(b.clone()));
            match r {
                Resolution::Keep { delete, .. } => {
                    if delete == a.id {
                        x = None
                    } else {
                        y = None
                    }
                }
                Resolution::ShortenFirst { new_end, .. } => x.as_mut().unwrap().ends_at = new_end,
                Resolution::ShortenSecond { new_start, .. } => y.as_mut().unwrap().starts_at = new_start,
                Resolution::SplitAt { at, .. } => {
                    x.as_mut().unwrap().ends_at = at;
                    y.as_mut().unwrap().starts_at = at;
                }
            }
            let left: Vec<Window> = x.into_iter().chain(y).collect();
            assert!(left.iter().all(|w| w.starts_at < w.ends_at));
            assert!(conflicts(&left).is_empty());
        }
    }
}
