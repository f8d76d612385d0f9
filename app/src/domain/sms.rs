//! What a text costs (SPEC §3.2): GSM-7 or UCS-2, how many billed segments,
//! which characters force UCS-2, and a plain replacement for them. The
//! compose box runs this in the browser; the server runs it before sending.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offender {
    /// Byte offset in the text.
    pub at: usize,
    pub ch: char,
    /// What to type instead; empty means "remove it".
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsInfo {
    pub encoding: Encoding,
    pub segments: u32,
    /// Units used: septets for GSM-7, UTF-16 code units for UCS-2.
    pub units: u32,
    /// Units left before the next segment starts.
    pub remaining_in_segment: u32,
    pub offenders: Vec<Offender>,
}

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

fn gsm_units(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// A GSM-7 stand-in for a character that would force UCS-2.
pub fn plain_for(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '`' | '´' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '«' | '»' => "\"",
        '\u{2013}' | '\u{2014}' | '\u{2012}' | '\u{2212}' | '\u{2010}' | '\u{2011}' => "-",
        '\u{2026}' => "...",
        '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' | '\u{202F}' => " ",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => "",
        '•' | '·' => "-",
        'á' => "a",
        'â' | 'ã' => "a",
        'ê' | 'ë' => "e",
        'í' | 'î' | 'ï' => "i",
        'ó' | 'ô' | 'õ' => "o",
        'ú' | 'û' => "u",
        'ç' => "c",
        '×' => "x",
        _ => return None,
    })
}

pub fn analyze(text: &str) -> SmsInfo {
    let mut septets = 0u32;
    let mut offenders = Vec::new();
    for (at, ch) in text.char_indices() {
        match gsm_units(ch) {
            Some(u) => septets += u,
            None => offenders.push(Offender { at, ch, replacement: plain_for(ch).unwrap_or("").to_string() }),
        }
    }
    let (encoding, units, single, multi) = if offenders.is_empty() {
        (Encoding::Gsm7, septets, 160, 153)
    } else {
        (Encoding::Ucs2, text.encode_utf16().count() as u32, 70, 67)
    };
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        units.div_ceil(multi)
    };
    let remaining_in_segment = if units <= single { single - units } else { segments * multi - units };
    SmsInfo { encoding, segments, units, remaining_in_segment, offenders }
}

/// The text with every UCS-2-forcing character replaced by its plain
/// stand-in (or removed, for emoji and the like).
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if gsm_units(ch).is_some() {
            out.push(ch);
        } else if let Some(r) = plain_for(ch) {
            out.push_str(r);
        } else if ch.is_whitespace() {
            out.push(' ');
        }
    }
    // Removing an emoji can leave a double space behind.
    let mut collapsed = String::with_capacity(out.len());
    let mut prev_space = false;
    for ch in out.chars() {
        if ch == ' ' && prev_space {
            continue;
        }
        prev_space = ch == ' ';
        collapsed.push(ch);
    }
    collapsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_ascii_is_gsm7_160_per_segment() {
        let s = "a".repeat(160);
        let i = analyze(&s);
        assert_eq!((i.encoding, i.segments, i.units), (Encoding::Gsm7, 1, 160));
        let i = analyze(&"a".repeat(161));
        assert_eq!(i.segments, 2);
        assert_eq!(analyze(&"a".repeat(306)).segments, 2);
        assert_eq!(analyze(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extended_characters_count_twice() {
        let i = analyze("€5");
        assert_eq!((i.encoding, i.units), (Encoding::Gsm7, 3));
    }

    #[test]
    fn a_curly_quote_forces_ucs2_and_is_pointed_out() {
        let i = analyze("Max\u{2019}s walk");
        assert_eq!(i.encoding, Encoding::Ucs2);
        assert_eq!(i.offenders.len(), 1);
        assert_eq!(i.offenders[0].at, 3);
        assert_eq!(i.offenders[0].replacement, "'");
        assert_eq!(plain_text("Max\u{2019}s walk"), "Max's walk");
    }

    #[test]
    fn emoji_count_as_two_units_and_can_be_removed() {
        let i = analyze("Good boy 🐶");
        assert_eq!(i.encoding, Encoding::Ucs2);
        assert_eq!(i.units, 11);
        assert_eq!(plain_text("Good boy 🐶 today"), "Good boy today");
        assert_eq!(analyze(&"🐶".repeat(36)).segments, 2);
    }

    #[test]
    fn empty_text_has_no_segments() {
        assert_eq!(analyze("").segments, 0);
    }

    proptest! {
        #[test]
        fn plain_text_is_always_gsm7(s in "\\PC{0,80}") {
            prop_assert_eq!(analyze(&plain_text(&s)).encoding, Encoding::Gsm7);
        }

        #[test]
        fn segments_cover_the_units(s in "\\PC{0,400}") {
            let i = analyze(&s);
            let per = match (i.encoding, i.segments) { (_, 0) => 0, (Encoding::Gsm7, 1) => 160, (Encoding::Ucs2, 1) => 70, (Encoding::Gsm7, _) => 153, (Encoding::Ucs2, _) => 67 };
            prop_assert!(i.units <= i.segments * per);
        }
    }
}
