//! Provider error codes in business language, each with a next step
//! (SPEC §5). Unknown codes get a generic sentence plus the code for support.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explained {
    pub code: Option<String>,
    pub what: String,
    pub next_step: String,
}

impl Explained {
    pub fn sentence(&self) -> String {
        format!("{} {}", self.what, self.next_step)
    }
}

pub fn explain(code: Option<&str>) -> Explained {
    let (what, next): (&str, String) = match code.unwrap_or("") {
        "20003" => (
            "Twilio didn't accept the Account ID and Auth Token.",
            "Copy both again from the Twilio console (Account → API keys & tokens) and paste them in Setup.".into(),
        ),
        "20404" => (
            "Twilio couldn't find that number or message in your account.",
            "Check that it belongs to the connected Twilio account.".into(),
        ),
        "20429" => ("Twilio is asking us to slow down.", "Nothing to do: we'll retry automatically.".into()),
        "21211" => ("That phone number isn't valid.", "Check the client's number for a typo.".into()),
        "21408" => (
            "Your Twilio account isn't allowed to text that country.",
            "In Twilio, turn the country on under Messaging → Settings → Geo permissions.".into(),
        ),
        "21452" => ("No numbers are available in that area code right now.", "Try a nearby area code.".into()),
        "21422" => ("That number is no longer available to buy.", "Pick another number from the list.".into()),
        "21606" | "21659" => (
            "This business number can't send texts.",
            "Check that the number is SMS-capable, or use another business number.".into(),
        ),
        "21610" => (
            "This client replied STOP and has opted out of texts from this number.",
            "They can text START to opt back in.".into(),
        ),
        "21612" => (
            "Twilio can't deliver a text between these two numbers.",
            "Check that the client's number can receive texts, or try from another business number.".into(),
        ),
        "21614" => {
            ("That number isn't a mobile number, so it can't get texts.", "Ask the client for a mobile number.".into())
        }
        "30003" => (
            "The client's phone was unreachable (switched off or out of coverage).",
            "It usually works later: retry in a while.".into(),
        ),
        "30004" => (
            "The message was blocked by the client or their carrier.",
            "Ask the client whether they blocked this number.".into(),
        ),
        "30005" => (
            "The client's number doesn't exist or is no longer in service.",
            "Check the number with the client.".into(),
        ),
        "30006" => {
            ("That's a landline or a number that can't receive texts.", "Ask the client for a mobile number.".into())
        }
        "30007" => (
            "The carrier filtered this message as possible spam.",
            "Avoid links and all-caps, and check the number's carrier registration (A2P 10DLC).".into(),
        ),
        "30008" => {
            ("The carrier reported an unknown delivery error.", "Retry; if it keeps happening, contact support.".into())
        }
        "30018" => (
            "The client's carrier only accepts texts from senders registered with it.",
            "Register this number with the carriers (A2P 10DLC) in Setup, then send again.".into(),
        ),
        "30022" => (
            "This number sent more texts per second than its carrier registration allows.",
            "Nothing to do: we'll retry more slowly. If it keeps happening, ask for a higher A2P 10DLC throughput.".into(),
        ),
        "30023" | "30027" => (
            "This number reached its daily limit of texts to one carrier's customers (A2P 10DLC cap).",
            "The rest go tomorrow when the limit resets; a registered brand with a higher trust score gets a higher cap.".into(),
        ),
        "30032" => (
            "This toll-free number isn't verified yet, so carriers block its texts.",
            "Finish the toll-free verification in Setup → Carrier registration, then send again.".into(),
        ),
        "30034" => (
            "This number isn't registered with the US carriers (A2P 10DLC), so they block its texts.",
            "Finish carrier registration in Setup and add this number to the approved campaign, then send again.".into(),
        ),
        "" => (
            "The provider reported an error without a code.",
            "Try again; if it keeps happening, contact support.".into(),
        ),
        other => {
            return Explained {
                code: Some(other.to_string()),
                what: "The texting provider reported an error we don't recognise.".into(),
                next_step: format!("Try again later; if it keeps happening, tell support the error code {other}."),
            }
        }
    };
    Explained { code: code.map(str::to_string), what: what.to_string(), next_step: next }
}

/// Errors where trying again can't help (the number, the permission or the
/// opt-out is the problem).
pub fn is_permanent(code: &str) -> bool {
    matches!(
        code,
        "20003"
            | "20404"
            | "21211"
            | "21408"
            | "21422"
            | "21452"
            | "21606"
            | "21610"
            | "21612"
            | "21614"
            | "21659"
            | "30018"
            | "30032"
            | "30034"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_code_has_a_business_sentence_and_a_next_step() {
        for code in [
            "21211", "21408", "21610", "21612", "21614", "30003", "30004", "30005", "30006", "30007", "30008", "20003",
            "21452", "30018", "30022", "30023", "30027", "30032", "30034",
        ] {
            let e = explain(Some(code));
            assert!(!e.what.contains("error we don't recognise"), "{code}");
            assert!(!e.next_step.is_empty(), "{code}");
        }
    }

    #[test]
    fn carrier_registration_codes_say_what_to_register_and_are_not_retried() {
        let e = explain(Some("30034"));
        assert!(e.what.contains("isn't registered") && e.next_step.contains("carrier registration"), "{e:?}");
        assert!(is_permanent("30034") && is_permanent("30032"));
        assert!(!is_permanent("30022") && !is_permanent("30023"), "rate and daily limits pass; retrying helps");
    }

    #[test]
    fn unknown_codes_name_the_code_for_support() {
        let e = explain(Some("63038"));
        assert!(e.sentence().contains("63038"));
    }
}
