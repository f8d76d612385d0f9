//! Phone numbers in E.164. `E164` can only hold a well-formed number:
//! `E164::parse` accepts what people type and uses libphonenumber's rules;
//! nothing else constructs one from untrusted text, so code that takes an
//! `E164` never re-validates.
//!
//! Parsing is server-only (libphonenumber's metadata and the `regex` it
//! needs are most of a megabyte of WASM); what the browser needs —
//! checking the canonical form and showing a number — is the small pure
//! code below, the same on both sides.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Enter a phone number.")]
    Empty,
    #[error("\"{0}\" isn't a phone number we can text. Use a format like (555) 123-4567 or +44 20 7946 0958.")]
    Unparseable(String),
    #[error("\"{0}\" has too few or too many digits for a phone number.")]
    WrongLength(String),
}

impl E164 {
    /// Parses what a person typed. Numbers without a country code are read
    /// in `default_region` (an ISO country like "US"); NANP numbers are
    /// checked structurally (10 digits, area code and exchange not starting
    /// with 0 or 1) so that fictional 555 numbers used in demos are
    /// accepted; other countries must be valid by libphonenumber's metadata.
    #[cfg(feature = "ssr")]
    pub fn parse(input: &str, default_region: &str) -> Result<E164, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let region = default_region.parse::<phonenumber::country::Id>().unwrap_or(phonenumber::country::Id::US);
        let parsed =
            phonenumber::parse(Some(region), trimmed).map_err(|_| PhoneError::Unparseable(trimmed.to_string()))?;
        let code = parsed.code().value();
        let national = parsed.national().to_string();
        let canonical = format!("+{code}{national}");
        if code == 1 {
            let d = national.as_bytes();
            let ok = d.len() == 10 && d[0] >= b'2';
            if !ok {
                return Err(PhoneError::WrongLength(trimmed.to_string()));
            }
        } else if !phonenumber::is_valid(&parsed) {
            return Err(PhoneError::WrongLength(trimmed.to_string()));
        }
        E164::from_canonical(&canonical).ok_or(PhoneError::Unparseable(trimmed.to_string()))
    }

    /// Accepts only the canonical form "+<7 to 15 digits>" (as stored and as
    /// sent by the provider). Cheap enough for the browser.
    pub fn from_canonical(s: &str) -> Option<E164> {
        let digits = s.strip_prefix('+')?;
        let ok =
            (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        ok.then(|| E164(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn is_nanp(&self) -> bool {
        self.0.len() == 12 && self.0.starts_with("+1")
    }

    /// "+1 (555) 123-4567" for NANP; otherwise the country code, then the
    /// rest in groups of four from the end ("+44 20 7946 0958").
    pub fn display(&self) -> String {
        if self.is_nanp() {
            let d = &self.0[2..];
            format!("+1 ({}) {}-{}", &d[0..3], &d[3..6], &d[6..10])
        } else {
            international_display(&self.0)
        }
    }

    /// Area code of a NANP number ("555"), used to search for numbers nearby.
    pub fn area_code(&self) -> Option<&str> {
        self.is_nanp().then(|| &self.0[2..5])
    }

    /// The last four digits, e.g. for "Unknown …4567" labels.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

/// Country calling codes of three digits, by their first two digits;
/// every other code is two digits, except 1 (NANP) and 7 (Russia,
/// Kazakhstan). Codes are prefix-free, so the first digits decide.
const THREE_DIGIT_PREFIXES: &[&str] = &[
    "21", "22", "23", "24", "25", "26", "28", "29", "35", "37", "38", "42", "50", "59", "67", "68", "69", "80", "85",
    "87", "88", "89", "96", "97", "99",
];

/// How many of the leading digits are the country calling code.
fn country_code_len(digits: &str) -> usize {
    match digits.as_bytes().first() {
        Some(b'1') | Some(b'7') => 1,
        _ if digits.len() >= 2 && THREE_DIGIT_PREFIXES.contains(&&digits[..2]) => 3,
        _ => 2,
    }
}

/// "+<country code> <rest grouped in fours from the end>" — readable for
/// every country without per-country metadata.
fn international_display(canonical: &str) -> String {
    let Some(digits) = canonical.strip_prefix('+') else { return canonical.to_string() };
    let cc = country_code_len(digits).min(digits.len());
    let (code, rest) = digits.split_at(cc);
    let mut out = format!("+{code}");
    let head = rest.len() % 4;
    let mut groups: Vec<&str> = Vec::new();
    if head > 0 {
        groups.push(&rest[..head]);
    }
    groups.extend(rest.as_bytes()[head..].chunks(4).filter_map(|c| std::str::from_utf8(c).ok()));
    for g in groups {
        out.push(' ');
        out.push_str(g);
    }
    out
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.0)
    }
}

impl Serialize for E164 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for E164 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        E164::from_canonical(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an E.164 number like +15551234567")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn accepts_what_people_type_in_the_us() {
        for input in ["(555) 123-4567", "555.123.4567", "555 123 4567", "+1 555-123-4567", "1-555-123-4567"] {
            let n = E164::parse(input, "US").unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(n.as_str(), "+15551234567", "{input}");
        }
    }

    #[test]
    fn displays_nanp_numbers_the_way_operators_read_them() {
        let n = E164::from_canonical("+15551234567").unwrap();
        assert_eq!(n.display(), "+1 (555) 123-4567");
        assert_eq!(n.area_code(), Some("555"));
        assert_eq!(n.last4(), "4567");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn accepts_international_numbers_with_country_code() {
        let n = E164::parse("+44 20 7946 0958", "US").unwrap();
        assert_eq!(n.as_str(), "+442079460958");
        assert_eq!(n.display(), "+44 20 7946 0958");
    }

    #[test]
    fn shows_international_numbers_by_country_code_then_fours() {
        let shown = |s: &str| E164::from_canonical(s).unwrap().display();
        assert_eq!(shown("+33612345678"), "+33 6 1234 5678");
        assert_eq!(shown("+353861234567"), "+353 8 6123 4567");
        assert_eq!(shown("+74951234567"), "+7 49 5123 4567");
        assert_eq!(shown("+61412345678"), "+61 4 1234 5678");
        assert_eq!(shown("+8613812345678"), "+86 138 1234 5678");
        assert_eq!(shown("+9715012345"), "+971 501 2345");
    }

    proptest::proptest! {
        /// Whatever the number, the display keeps every digit in order and
        /// only adds the "+", spaces and (for NANP) brackets and a dash.
        #[test]
        fn display_keeps_every_digit(digits in "[1-9][0-9]{6,14}") {
            let n = E164::from_canonical(&format!("+{digits}")).unwrap();
            let shown = n.display();
            let kept: String = shown.chars().filter(|c| c.is_ascii_digit()).collect();
            proptest::prop_assert_eq!(kept, digits);
            proptest::prop_assert!(shown.starts_with('+'));
            proptest::prop_assert!(shown.chars().all(|c| c.is_ascii_digit() || "+ ()-".contains(c)));
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn rejects_non_numbers_and_bad_lengths_with_a_sentence() {
        assert_eq!(E164::parse("  ", "US"), Err(PhoneError::Empty));
        assert!(E164::parse("call me", "US").is_err());
        assert!(E164::parse("555-1234", "US").is_err());
        assert!(E164::parse("(155) 123-4567", "US").is_err());
        let msg = E164::parse("12", "US").unwrap_err().to_string();
        assert!(msg.contains("12"), "{msg}");
    }

    #[test]
    fn canonical_form_is_strict() {
        assert!(E164::from_canonical("+15551234567").is_some());
        assert!(E164::from_canonical("15551234567").is_none());
        assert!(E164::from_canonical("+1555abc4567").is_none());
        assert!(E164::from_canonical("+0555123456").is_none());
        assert!(serde_json::from_str::<E164>("\"5551234567\"").is_err());
    }
}
