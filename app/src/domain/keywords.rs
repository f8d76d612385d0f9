//! Carrier keywords (SPEC §5): STOP-family opts out of a business number,
//! START-family opts back in, HELP gets the help text. Only a message that
//! is nothing but the keyword counts ("stop." yes, "please stop by at 5" no).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

const STOP: &[&str] =
    &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOP ALL", "OPTOUT", "OPT OUT", "REVOKE"];
const START: &[&str] = &["START", "UNSTOP", "OPTIN", "OPT IN"];
const HELP: &[&str] = &["HELP", "INFO"];

pub fn classify(text: &str) -> Option<Keyword> {
    let cleaned: String = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    if cleaned.is_empty() {
        return None;
    }
    if STOP.contains(&cleaned.as_str()) {
        Some(Keyword::Stop)
    } else if START.contains(&cleaned.as_str()) {
        Some(Keyword::Start)
    } else if HELP.contains(&cleaned.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_variants_opt_out() {
        for t in ["STOP", "stop", " Stop. ", "UNSUBSCRIBE", "cancel", "End", "quit!", "stop all", "STOPALL"] {
            assert_eq!(classify(t), Some(Keyword::Stop), "{t}");
        }
    }

    #[test]
    fn start_variants_opt_in() {
        for t in ["START", "start", "Unstop"] {
            assert_eq!(classify(t), Some(Keyword::Start), "{t}");
        }
    }

    #[test]
    fn help_variants() {
        assert_eq!(classify("help"), Some(Keyword::Help));
        assert_eq!(classify("INFO?"), Some(Keyword::Help));
    }

    #[test]
    fn ordinary_sentences_are_not_keywords() {
        for t in ["please stop by at 5", "Can you help with Max?", "the walk will end at 6", "", "Yes"] {
            assert_eq!(classify(t), None, "{t}");
        }
    }
}
