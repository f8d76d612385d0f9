//! Response-time analytics (SPEC §4.9): response time runs from a client's
//! message to the first human reply after it; automated and system texts
//! don't count as replies; the clock restarts each time a client writes
//! into a thread that has been answered (a reopened thread). Pure, so the
//! numbers are testable and the same everywhere.

use serde::{Deserialize, Serialize};

/// Who wrote a message, as far as response times care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Author {
    Client,
    /// A person on the business side: the owner (`None`) or a sitter.
    Human(Option<i64>),
    /// Automations, automatic replies, the system.
    Machine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    pub thread: i64,
    /// Milliseconds.
    pub at: i64,
    pub author: Author,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub thread: i64,
    /// When the client started waiting (ms).
    pub asked_at: i64,
    pub seconds: i64,
    /// The sitter who answered; `None` for the owner.
    pub by: Option<i64>,
}

/// Every answered wait, in order of the answer. `msgs` may be in any order.
pub fn response_times(msgs: &[Msg]) -> Vec<Response> {
    let mut sorted: Vec<Msg> = msgs.to_vec();
    // Ties in time are broken the same way whatever the input order.
    let rank = |a: Author| match a {
        Author::Client => (0, 0),
        Author::Human(by) => (1, by.unwrap_or(-1)),
        Author::Machine => (2, 0),
    };
    sorted.sort_by_key(|m| (m.thread, m.at, rank(m.author)));
    let mut out = Vec::new();
    let mut waiting: Option<(i64, i64)> = None; // (thread, since)
    for m in sorted {
        if waiting.is_some_and(|(t, _)| t != m.thread) {
            waiting = None;
        }
        match m.author {
            Author::Client => {
                if waiting.is_none() {
                    waiting = Some((m.thread, m.at));
                }
            }
            Author::Human(by) => {
                if let Some((thread, since)) = waiting.take() {
                    out.push(Response { thread, asked_at: since, seconds: ((m.at - since) / 1000).max(0), by });
                }
            }
            Author::Machine => {}
        }
    }
    out.sort_by_key(|r| (r.asked_at + r.seconds * 1000, r.thread));
    out
}

/// The median of `v` (the lower middle for an even count), or `None`.
pub fn median(v: &[i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    Some(s[(s.len() - 1) / 2])
}

/// Percentage (0–100) of responses within `target_seconds`, or `None`.
pub fn share_within(v: &[i64], target_seconds: i64) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    let within = v.iter().filter(|s| **s <= target_seconds).count();
    Some(((within * 100 + v.len() / 2) / v.len()) as u32)
}

/// "45 s", "12 min", "2 h 5 min".
pub fn duration_label(seconds: i64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{} min", seconds / 60)
    } else {
        let m = (seconds % 3600) / 60;
        if m == 0 {
            format!("{} h", seconds / 3600)
        } else {
            format!("{} h {m} min", seconds / 3600)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(thread: i64, min: i64, author: Author) -> Msg {
        Msg { thread, at: min * 60_000, author }
    }

    #[test]
    fn first_human_reply_counts_automations_dont_and_the_clock_restarts() {
        let msgs = vec![
            m(1, 0, Author::Client),
            m(1, 2, Author::Client),  // still the same wait
            m(1, 3, Author::Machine), // an automated reply isn't an answer
            m(1, 10, Author::Human(Some(7))),
            m(1, 11, Author::Human(None)), // a second reply isn't a new response
            m(1, 60, Author::Client),      // reopened: the clock restarts
            m(1, 65, Author::Human(None)),
            m(2, 5, Author::Client), // never answered: not counted
        ];
        let r = response_times(&msgs);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].seconds, r[0].by), (600, Some(7)));
        assert_eq!((r[1].seconds, r[1].by, r[1].asked_at), (300, None, 3_600_000));
    }

    #[test]
    fn medians_shares_and_labels() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5, 1, 3]), Some(3));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2));
        assert_eq!(share_within(&[10, 20, 30, 40], 25), Some(50));
        assert_eq!(share_within(&[], 25), None);
        assert_eq!(duration_label(59), "59 s");
        assert_eq!(duration_label(600), "10 min");
        assert_eq!(duration_label(7_500), "2 h 5 min");
    }

    fn author() -> impl Strategy<Value = Author> {
        prop_oneof![
            Just(Author::Client),
            Just(Author::Machine),
            Just(Author::Human(None)),
            (1i64..4).prop_map(|s| Author::Human(Some(s))),
        ]
    }

    proptest! {
        /// Each response starts at a client message and ends at a later
        /// human one in the same thread; there are never more responses
        /// than human replies, and input order doesn't matter.
        #[test]
        fn responses_pair_a_client_message_with_a_later_human_reply(
            raw in proptest::collection::vec((0i64..4, 0i64..500, author()), 0..60)
        ) {
            let msgs: Vec<Msg> = raw.iter().map(|(t, at, a)| Msg { thread: *t, at: *at * 1000, author: *a }).collect();
            let r = response_times(&msgs);
            let humans = msgs.iter().filter(|x| matches!(x.author, Author::Human(_))).count();
            prop_assert!(r.len() <= humans);
            for x in &r {
                prop_assert!(x.seconds >= 0);
                prop_assert!(msgs.iter().any(|q| q.thread == x.thread && q.at == x.asked_at && q.author == Author::Client));
            }
            let mut reversed = msgs.clone();
            reversed.reverse();
            prop_assert_eq!(response_times(&reversed).len(), r.len());
            let secs: Vec<i64> = r.iter().map(|x| x.seconds).collect();
            if let Some(s) = share_within(&secs, 60) {
                prop_assert!(s <= 100);
            }
        }
    }
}
