//! Typed identifiers. An id of one entity can never be passed where another's
//! is expected. In JSON they are plain numbers; a string of digits is also
//! accepted on input, because people hand-write snapshots for `server route`.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_id(d).map($name)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    )*};
}

id_type!(
    OrgId,
    UserId,
    SitterId,
    ClientId,
    ThreadId,
    NumberId,
    MessageId,
    WindowId,
    OverrideId,
    DecisionId,
    ViolationId,
    AutomationId,
    AlertId,
    BookingId,
    JobId,
);

fn deserialize_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(i64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Num(n) => Ok(n),
        Raw::Text(s) => {
            s.trim().parse::<i64>().map_err(|_| serde::de::Error::custom(format!("expected a numeric id, got {s:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_numbers_and_digit_strings() {
        let a: SitterId = serde_json::from_str("42").unwrap();
        let b: SitterId = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "42");
        assert!(serde_json::from_str::<SitterId>("\"maya\"").is_err());
    }
}
