use super::*;
use proptest::prelude::*;

fn kinds(text: &str) -> Vec<HitKind> {
    let mut k: Vec<HitKind> = check(text).into_iter().map(|h| h.kind).collect();
    k.dedup();
    k
}

fn flags(text: &str, kind: HitKind) -> bool {
    check(text).iter().any(|h| h.kind == kind)
}

#[test]
fn phone_numbers_in_any_format() {
    for t in [
        "call me 555-123-4567",
        "my cell (555) 123 4567",
        "555.123.4567",
        "5551234567",
        "+1 555 123 4567",
        "text 555 1234",
        "five five five 12 three4 five six seven",
        "five five five one two three four",
        "５５５-１２３-４５６７",
        "5 5 5 1 2 3 4 5 6 7",
        "555 dash 123 dash 4567",
        "+44 20 7946 0958",
        "5\u{200B}55-12\u{200B}3-4567",
        "555-one two three-4567",
        "double five five, one two three, four five six seven",
    ] {
        assert!(flags(t, HitKind::Phone), "missed phone in {t:?}: {:?}", check(t));
    }
}

#[test]
fn ordinary_pet_care_numbers_are_not_phones() {
    for t in [
        "I'll be there at 5:30",
        "Walk is $25, overnight $80",
        "Feed 2 cups of food, 3 walks a day",
        "We're at 1234 Maple Ave",
        "Gate code is 4821#",
        "The lockbox code is 1234 567",
        "Booked for 11/24/2026",
        "See you 2026-11-24 at 10",
        "Max's microchip is 985112003456789",
        "Between 9-11am or 1-3pm",
        "Zip is 78701",
        "Door code 123-4567",
    ] {
        assert!(!flags(t, HitKind::Phone), "false phone in {t:?}: {:?}", check(t));
    }
}

#[test]
fn emails_plain_and_spelled() {
    for t in [
        "email me at jane.doe@gmail.com",
        "jane at gmail dot com",
        "jane[at]gmail[dot]com",
        "jane (at) yahoo (dot) com",
        "reach me: maya_walks @ outlook . com",
        "my email is jdoe at icloud",
    ] {
        assert!(flags(t, HitKind::Email), "missed email in {t:?}: {:?}", check(t));
    }
    assert!(!flags("I'll be at the park at 5", HitKind::Email));
    assert!(!flags("see you at home", HitKind::Email));
}

#[test]
fn links_with_or_without_scheme() {
    for t in [
        "book at https://mysite.example/x",
        "bit.ly/maya",
        "mysite.com",
        "www.mayawalks.net",
        "maya dot com",
        "wa.me/15551234567",
    ] {
        assert!(flags(t, HitKind::Url) || flags(t, HitKind::Social), "missed link in {t:?}: {:?}", check(t));
    }
    for t in ["Done. Co-pay is fine", "a.m. or p.m.?", "e.g. the blue leash", "Mr.Smith came by", "photo.jpg attached"]
    {
        assert!(!flags(t, HitKind::Url), "false link in {t:?}: {:?}", check(t));
    }
}

#[test]
fn social_handles_and_messaging_apps() {
    for t in [
        "follow @maya.walks",
        "ig: mayawalks",
        "add me on snap",
        "my insta is mayawalks",
        "find me on fb",
        "whatsapp me",
        "dm me on tiktok",
    ] {
        assert!(flags(t, HitKind::Social), "missed social in {t:?}: {:?}", check(t));
    }
    for t in ["I'll snap a pic of Max", "Max loves his insta-famous friend", "no signal at the park", "meet @ the park"]
    {
        assert!(!flags(t, HitKind::Social), "false social in {t:?}: {:?}", check(t));
    }
}

#[test]
fn payment_apps() {
    for t in [
        "venmo me @jane-doe",
        "my cashapp is $JaneDoe",
        "you can zelle me",
        "paypal.me/janedoe",
        "send it to $mayawalks",
        "do you take cash app?",
    ] {
        assert!(flags(t, HitKind::Payment), "missed payment in {t:?}: {:?}", check(t));
    }
    assert!(!flags("Walk is $25", HitKind::Payment));
    assert!(!flags("That's 20 USD or $USD 20", HitKind::Payment));
}

#[test]
fn off_platform_phrases() {
    for t in [
        "text me directly next time",
        "here's my personal number",
        "book me outside the app and save",
        "we can skip the agency",
        "it's cheaper if you book me directly",
        "t3xt me d1rectly",
        "what's your cell?",
    ] {
        assert!(flags(t, HitKind::OffPlatformPhrase), "missed phrase in {t:?}: {:?}", check(t));
    }
    for t in ["Text me when you get there", "Call me if Max seems sick", "The app says 5pm", "Thanks so much!"] {
        assert!(kinds(t).is_empty(), "false hit in {t:?}: {:?}", check(t));
    }
}

#[test]
fn hits_point_into_the_original_text_and_redact() {
    let t = "Hi! Call 555-123-4567 today";
    let hits = check(t);
    assert_eq!(hits.len(), 1);
    assert_eq!(&t[hits[0].start..hits[0].end], "555-123-4567");
    assert_eq!(redact(t, &hits), "Hi! Call ███ today");
}

#[test]
fn allow_listed_numbers_are_never_flagged() {
    let allow = vec!["15552345678".to_string()];
    assert!(check_with("Vet is (555) 234-5678", &allow).is_empty());
    assert!(check_with("Vet: 234-5678", &allow).is_empty());
    assert!(!check_with("Me: (555) 999-5678", &allow).is_empty());
}

#[test]
fn numbers_split_over_several_texts_are_caught() {
    let hits = check_conversation(&["my number is 555", "123"], "4567", &[]);
    assert!(hits.iter().any(|h| h.kind == HitKind::Phone), "{hits:?}");
    assert_eq!(hits[0].start, 0);
    // Unrelated short numbers in a row are fine.
    assert!(check_conversation(&["2 walks today"], "back at 5", &[]).is_empty());
}

#[test]
fn core_rules_cannot_be_turned_off_for_sitters() {
    let mut s = PolicySettings::default();
    s.sitter_actions.insert(HitKind::Phone, PolicyAction::Log);
    assert!(s.validate().is_err());
    let mut s = PolicySettings::default();
    s.sitter_actions.insert(HitKind::Url, PolicyAction::Log);
    assert!(s.validate().is_ok());
}

proptest! {
    #[test]
    fn never_panics_and_spans_are_valid(t in "\\PC{0,200}") {
        for h in check(&t) {
            prop_assert!(h.start < h.end && h.end <= t.len());
            prop_assert!(t.is_char_boundary(h.start) && t.is_char_boundary(h.end));
        }
    }

    #[test]
    fn any_ten_digit_number_with_common_separators_is_flagged(
        d in "[2-9][0-9]{2}[2-9][0-9]{6}",
        sep in prop_oneof![Just(""), Just("-"), Just("."), Just(" ")],
    ) {
        let t = format!("reach me at {}{sep}{}{sep}{}", &d[0..3], &d[3..6], &d[6..10]);
        prop_assert!(check(&t).iter().any(|h| h.kind == HitKind::Phone), "{}", t);
    }

    #[test]
    fn times_and_prices_are_never_phones(h in 1u32..13, m in 0u32..60, p in 1u32..500) {
        let t = format!("Walk at {h}:{m:02}, it's ${p}");
        prop_assert!(check(&t).is_empty(), "{}", t);
    }
}

#[cfg(feature = "ssr")]
#[test]
fn the_allow_list_reads_one_labelled_number_per_line() {
    let list =
        parse_allowlist("Riverside Vet: 512 555 0100\n\n  (512) 555-0199 \nVet again: 5125550100", "US").unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!((list[0].label.as_str(), list[0].e164.as_str()), ("Riverside Vet", "+15125550100"));
    assert_eq!((list[1].label.as_str(), list[1].e164.as_str()), ("", "+15125550199"));
    let s = PolicySettings { allowlist: list.clone(), ..PolicySettings::default() };
    assert_eq!(parse_allowlist(&s.allowlist_text(), "US").unwrap(), list, "what is shown reads back the same");
    let e = parse_allowlist("Vet: 512 555 0100\nEmergency: call the office", "US").unwrap_err();
    assert!(e.starts_with("Line 2: \"call the office\" isn't a phone number"), "{e}");
    assert_eq!(e.matches("isn't a phone number").count(), 1, "said once: {e}");
    let long = format!("{}: 512 555 0100", "x".repeat(61));
    assert!(parse_allowlist(&long, "US").unwrap_err().contains("under 60 characters"));
    let many: String = (0..51).map(|i| format!("512 555 {:04}\n", 1000 + i)).collect();
    assert_eq!(parse_allowlist(&many, "US").unwrap_err(), "Allow at most 50 numbers; this list has 51.");
    assert_eq!(parse_allowlist("  \n", "US").unwrap(), vec![]);
}

#[test]
fn finding_states_read_back_as_they_are_stored() {
    for s in ViolationStatus::ALL {
        assert_eq!(ViolationStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
    }
    for o in ViolationOutcome::ALL {
        assert_eq!(ViolationOutcome::parse(o.as_str()), Some(o));
        assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{}\"", o.as_str()));
    }
    assert_eq!(ViolationStatus::parse("Open"), None);
    assert_eq!(ViolationOutcome::parse(""), None);
}
