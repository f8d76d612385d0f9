//! Delivery status of an outbound message (SPEC §5): callbacks arrive in any
//! order and may repeat; a status only moves forward, a final state
//! (delivered, undelivered, failed) never changes, and the first error code
//! is the one kept.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Written by us, waiting for the provider call.
    Queued,
    /// Accepted by the provider (queued/accepted/sending/sent there).
    Sent,
    Delivered,
    Undelivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        Some(match s {
            "queued" => DeliveryStatus::Queued,
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "undelivered" => DeliveryStatus::Undelivered,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    /// Twilio's MessageStatus values mapped onto ours.
    pub fn from_provider(s: &str) -> Option<DeliveryStatus> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "accepted" | "queued" | "scheduled" | "sending" | "sent" => DeliveryStatus::Sent,
            "delivered" | "read" => DeliveryStatus::Delivered,
            "undelivered" => DeliveryStatus::Undelivered,
            "failed" | "canceled" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, DeliveryStatus::Delivered | DeliveryStatus::Undelivered | DeliveryStatus::Failed)
    }

    pub fn is_failure(self) -> bool {
        matches!(self, DeliveryStatus::Undelivered | DeliveryStatus::Failed)
    }

    fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            _ => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "Queued",
            DeliveryStatus::Sent => "Sent",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Undelivered => "Not delivered",
            DeliveryStatus::Failed => "Failed",
        }
    }
}

/// The status after a callback, or `None` when the callback changes nothing.
pub fn advance(current: DeliveryStatus, incoming: DeliveryStatus) -> Option<DeliveryStatus> {
    if current.is_final() || incoming.rank() <= current.rank() {
        None
    } else {
        Some(incoming)
    }
}

/// The error code to keep: the first one ever seen.
pub fn keep_error<'a>(current: Option<&'a str>, incoming: Option<&'a str>) -> Option<&'a str> {
    current.filter(|c| !c.is_empty()).or(incoming.filter(|c| !c.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_late_sent_never_overwrites_delivered() {
        assert_eq!(advance(Delivered, Sent), None);
        assert_eq!(advance(Sent, Delivered), Some(Delivered));
        assert_eq!(advance(Queued, Sent), Some(Sent));
    }

    #[test]
    fn final_states_are_sticky() {
        for f in [Delivered, Undelivered, Failed] {
            for s in [Queued, Sent, Delivered, Undelivered, Failed] {
                assert_eq!(advance(f, s), None);
            }
        }
    }

    #[test]
    fn provider_words_map_to_ours() {
        assert_eq!(DeliveryStatus::from_provider("accepted"), Some(Sent));
        assert_eq!(DeliveryStatus::from_provider("DELIVERED"), Some(Delivered));
        assert_eq!(DeliveryStatus::from_provider("undelivered"), Some(Undelivered));
        assert_eq!(DeliveryStatus::from_provider("mystery"), None);
    }

    #[test]
    fn the_first_error_code_is_kept() {
        assert_eq!(keep_error(Some("30003"), Some("30008")), Some("30003"));
        assert_eq!(keep_error(None, Some("30008")), Some("30008"));
        assert_eq!(keep_error(Some(""), Some("30008")), Some("30008"));
    }

    fn status() -> impl Strategy<Value = DeliveryStatus> {
        prop_oneof![Just(Queued), Just(Sent), Just(Delivered), Just(Undelivered), Just(Failed)]
    }

    proptest! {
        #[test]
        fn any_order_of_callbacks_ends_in_the_first_final_state_seen(seq in prop::collection::vec(status(), 1..8)) {
            let mut cur = Queued;
            for s in &seq {
                if let Some(n) = advance(cur, *s) { cur = n; }
            }
            match seq.iter().find(|s| s.is_final()) {
                Some(first_final) => prop_assert_eq!(cur, *first_final),
                None => prop_assert!(cur == Queued || cur == Sent),
            }
        }

        #[test]
        fn repeating_a_callback_changes_nothing(a in status(), b in status()) {
            let once = advance(a, b).unwrap_or(a);
            prop_assert_eq!(advance(once, b), None);
        }
    }
}
