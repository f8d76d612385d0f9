//! What a client record may hold (SPEC §4.11): one set of limits and one
//! sentence per refusal, whether the owner types it in People or booking
//! software sends it through the API.

use crate::domain::phone::E164;

pub const NAME_MAX: usize = 100;
pub const LABEL_MAX: usize = 40;
pub const NOTES_MAX: usize = 2000;
/// Phone numbers one client may have.
pub const CONTACTS_MAX: usize = 10;

/// A refusal: which part of the input, and the sentence shown for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub part: Part,
    pub message: String,
}

/// The parts of a client the rules speak about; each surface names its own
/// field for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Name,
    FirstName,
    Notes,
    Label,
    Phones,
}

fn refuse(part: Part, message: impl Into<String>) -> Refused {
    Refused { part, message: message.into() }
}

/// One line of text: runs of spaces collapsed, no control characters.
fn one_line(part: Part, what: &str, max: usize, raw: &str) -> Result<String, Refused> {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.chars().any(char::is_control) {
        return Err(refuse(part, format!("{what} can't contain control characters.")));
    }
    let n = v.chars().count();
    if n > max {
        return Err(refuse(part, format!("{what} is at most {max} characters; this one has {n}.")));
    }
    Ok(v)
}

pub fn name(raw: &str) -> Result<String, Refused> {
    let v = one_line(Part::Name, "The name", NAME_MAX, raw)?;
    if v.is_empty() {
        return Err(refuse(Part::Name, "Enter the client's name."));
    }
    Ok(v)
}

/// The first name used in texts ("Hi Ana"); the name's first word when not given.
pub fn first_name(raw: Option<&str>, name: &str) -> Result<String, Refused> {
    match raw {
        Some(f) => {
            let v = one_line(Part::FirstName, "The first name", NAME_MAX, f)?;
            if v.is_empty() {
                return Err(refuse(
                    Part::FirstName,
                    "Enter a first name, or leave it out to use the name's first word.",
                ));
            }
            Ok(v)
        }
        None => Ok(name.split_whitespace().next().unwrap_or(name).to_string()),
    }
}

pub fn label(raw: &str) -> Result<Option<String>, Refused> {
    let v = one_line(Part::Label, "A phone number's label", LABEL_MAX, raw)?;
    Ok((!v.is_empty()).then_some(v))
}

/// Notes: trimmed; empty means none.
pub fn notes(raw: &str) -> Result<Option<String>, Refused> {
    let v = raw.trim();
    let n = v.chars().count();
    if n > NOTES_MAX {
        return Err(refuse(Part::Notes, format!("Notes are at most 2,000 characters; these have {n}.")));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// (Server only: number metadata stays out of the browser's download.)
#[cfg(feature = "ssr")]
pub fn phone(raw: &str, region: &str) -> Result<E164, Refused> {
    // The parser's sentence already names what was typed.
    E164::parse(raw, region).map_err(|e| refuse(Part::Phones, e.to_string()))
}

/// At most `CONTACTS_MAX` phone numbers per client.
pub fn contact_count(n: usize) -> Result<(), Refused> {
    if n > CONTACTS_MAX {
        return Err(refuse(Part::Phones, format!("A client has at most {CONTACTS_MAX} phone numbers.")));
    }
    Ok(())
}

/// A number belongs to one client of the business.
pub fn taken(e: &E164, by: &str) -> Refused {
    refuse(Part::Phones, format!("{} already belongs to {by}.", e.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_one_tidy_line_within_the_limit() {
        assert_eq!(name("  Ana   María  Lopez ").unwrap(), "Ana María Lopez");
        assert_eq!(name("Ana\nLopez").unwrap(), "Ana Lopez", "line breaks are spaces");
        assert_eq!(name("   ").unwrap_err().message, "Enter the client's name.");
        assert_eq!(
            name(&"a".repeat(101)).unwrap_err().message,
            "The name is at most 100 characters; this one has 101."
        );
        assert_eq!(name("Ana\u{7}").unwrap_err().message, "The name can't contain control characters.");
        assert_eq!(first_name(None, "Ana Lopez").unwrap(), "Ana");
        assert_eq!(first_name(Some(" "), "Ana Lopez").unwrap_err().part, Part::FirstName);
        assert_eq!(label("").unwrap(), None);
        assert_eq!(label(&"m".repeat(41)).unwrap_err().part, Part::Label);
        assert_eq!(notes(" \n ").unwrap(), None);
        assert_eq!(
            notes(&"n".repeat(2001)).unwrap_err().message,
            "Notes are at most 2,000 characters; these have 2001."
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn phones_are_counted_and_parsed() {
        assert_eq!(contact_count(11).unwrap_err().message, "A client has at most 10 phone numbers.");
        assert!(contact_count(10).is_ok());
        let e = phone("call me", "US").unwrap_err();
        assert!(e.message.starts_with("\"call me\" isn't a phone number we can text"), "{e:?}");
        assert_eq!(e.message.matches("isn't a phone number").count(), 1, "said once: {e:?}");
        assert_eq!(phone("(512) 555-0100", "US").unwrap().as_str(), "+15125550100");
    }

    proptest! {
        #[test]
        fn an_accepted_name_is_trimmed_short_and_single_line(raw in "\\PC{0,130}") {
            if let Ok(v) = name(&raw) {
                prop_assert!(!v.is_empty() && v.chars().count() <= NAME_MAX);
                prop_assert_eq!(v.trim(), v.as_str());
                prop_assert!(!v.contains("  ") && !v.chars().any(char::is_control));
            }
        }
    }
}
