//! Off-platform phrases ("text me directly", "book me outside the app") as
//! small token patterns. Tokens are lower-case words with leetspeak undone
//! ("d1rectly" → "directly"), so the patterns stay readable.

use super::normalize::NChar;

#[derive(Clone, Copy)]
pub(super) enum Slot {
    /// One of these words.
    W(&'static [&'static str]),
    /// Optionally one of these words.
    O(&'static [&'static str]),
    /// Up to n arbitrary words.
    Gap(usize),
    /// The next word (if any) is none of these; consumes nothing.
    Not(&'static [&'static str]),
}

use Slot::*;

const CONTACT_VERBS: &[&str] =
    &["text", "txt", "call", "message", "msg", "email", "contact", "reach", "ring", "phone", "whatsapp", "dm", "hmu"];
const DIRECTLY: &[&str] = &["directly", "direct", "privately", "personally", "offline", "outside"];
const PRIVATE: &[&str] = &["personal", "private", "own", "real", "direct", "other"];
const CONTACT_NOUNS: &[&str] = &["number", "phone", "cell", "line", "mobile", "email", "contact", "digits", "whatsapp"];
const HIRE: &[&str] = &["book", "schedule", "hire", "pay", "use", "venmo", "rebook", "keep"];
/// "my email is on file": words after "is" that mean it isn't being shared.
const AFTER_IS: &[&str] = &[
    "on", "in", "the", "still", "same", "not", "wrong", "changed", "saved", "listed", "up", "attached", "below",
    "above", "fine", "dead", "broken",
];
const PLATFORM: &[&str] = &["app", "apps", "platform", "agency", "middleman", "site", "website", "system"];

pub(super) const PATTERNS: &[(&[Slot], &str)] = &[
    (&[W(CONTACT_VERBS), W(&["me"]), O(&["up"]), W(DIRECTLY)], "asks to be contacted directly"),
    (
        &[W(CONTACT_VERBS), W(&["me"]), W(&["on", "at"]), W(&["my"]), W(PRIVATE)],
        "asks to be contacted on a personal line",
    ),
    (
        &[W(&["my"]), W(PRIVATE), O(&["cell", "phone", "mobile", "email"]), W(CONTACT_NOUNS)],
        "offers a personal contact",
    ),
    (&[W(&["my"]), W(&["cell", "mobile", "phone"]), W(&["number", "is", "#"])], "offers a personal number"),
    (&[W(&["my"]), W(&["number", "email", "cell"]), W(&["is"]), Not(AFTER_IS)], "offers a personal contact"),
    (&[W(&["my"]), W(&["email"]), W(&["address"])], "offers a personal email"),
    (
        &[
            W(&["save", "take", "write", "keep", "add"]),
            O(&["down"]),
            W(&["my"]),
            W(&["number", "cell", "email", "contact", "digits"]),
        ],
        "asks to save a personal contact",
    ),
    (
        &[W(HIRE), W(&["me"]), Gap(1), W(&["directly", "direct", "privately", "outside", "off", "without", "instead"])],
        "offers to be booked or paid directly",
    ),
    (
        &[
            W(&["book", "schedule", "hire", "pay", "work", "deal", "arrange"]),
            W(&["directly", "direct", "privately"]),
            W(&["with", "through"]),
            O(&["me", "each", "us"]),
        ],
        "offers to deal directly",
    ),
    (
        &[
            W(&["outside", "off", "without", "skip", "bypass", "around", "avoid", "ditch", "leave"]),
            O(&["of"]),
            O(&["the", "this"]),
            W(PLATFORM),
        ],
        "suggests leaving the app",
    ),
    (
        &[
            W(&["cut", "cutting"]),
            W(&["out"]),
            O(&["the"]),
            W(&["middleman", "agency", "app", "fees", "fee", "platform"]),
        ],
        "suggests cutting out the business",
    ),
    (
        &[
            W(&["save", "avoid", "skip", "dodge"]),
            O(&["the", "on", "any"]),
            O(&["agency", "app", "booking", "platform", "service"]),
            W(&["fee", "fees", "commission", "markup"]),
        ],
        "suggests avoiding the business's fees",
    ),
    (
        &[W(&["no"]), W(&["agency", "app", "booking", "platform"]), W(&["fee", "fees", "commission", "cut"])],
        "suggests avoiding the business's fees",
    ),
    (
        &[
            W(&["cheaper", "discount", "deal", "less"]),
            Gap(4),
            W(&["directly", "privately", "outside", "venmo", "zelle", "cashapp"]),
        ],
        "offers a cheaper deal outside the app",
    ),
    (
        &[
            W(&["don't", "dont", "do"]),
            O(&["not"]),
            W(&["tell", "mention"]),
            O(&["the", "this", "to"]),
            W(&["agency", "owner", "company", "boss", "office", "app"]),
        ],
        "asks to keep a deal secret",
    ),
    (&[W(&["under"]), W(&["the"]), W(&["table"])], "suggests an off-the-books deal"),
    (&[W(&["off"]), W(&["the"]), W(&["books"])], "suggests an off-the-books deal"),
    (
        &[
            W(&["private", "personal", "side"]),
            W(&["arrangement", "deal", "booking", "bookings", "client", "clients", "gig", "gigs", "hustle"]),
        ],
        "suggests a private arrangement",
    ),
    (
        &[
            W(&["whats", "what's", "what", "give", "send", "share", "get", "need", "drop", "text"]),
            O(&["me"]),
            O(&["is"]),
            W(&["your"]),
            O(PRIVATE),
            O(&["cell", "phone"]),
            W(&["number", "cell", "email", "digits", "mobile", "whatsapp"]),
        ],
        "asks for a personal contact",
    ),
    (&[W(&["reach", "contact"]), W(&["me"]), W(&["at", "on", "via"])], "gives another way to be reached"),
    (&[W(&["dm", "inbox"]), W(&["me"])], "asks for a direct message elsewhere"),
    (&[W(&["add", "follow", "find"]), W(&["me"]), W(&["on"])], "asks to connect on another platform"),
    (
        &[W(&["pay", "paying"]), W(&["me", "you"]), O(&["in"]), W(&["cash", "directly", "privately", "direct"])],
        "arranges payment outside the app",
    ),
];

/// One word of the message with its byte span.
#[derive(Clone, Debug)]
pub(super) struct Token {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

fn unleet(word: &str) -> String {
    let has_alpha = word.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = word.chars().any(|c| c.is_ascii_digit() || c == '@' || c == '$');
    if !(has_alpha && has_digit) {
        return word.to_string();
    }
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .collect()
}

/// Splits normalised text into lower-case words (letters, digits, apostrophes).
pub(super) fn tokens(chars: &[NChar]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '\u{2019}' || c == '@' || c == '$' || c == '#';
    while i < chars.len() {
        if !is_word(chars[i].c) {
            i += 1;
            continue;
        }
        let s = i;
        while i < chars.len() && is_word(chars[i].c) {
            i += 1;
        }
        let raw: String = chars[s..i].iter().map(|n| if n.c == '\u{2019}' { '\'' } else { n.c }).collect();
        let trimmed = raw.trim_matches(|c| c == '\'' || c == '@' || c == '$');
        if trimmed.is_empty() {
            continue;
        }
        out.push(Token { text: unleet(trimmed), start: chars[s].start, end: chars[i - 1].end });
    }
    out
}

fn match_at(tokens: &[Token], pos: usize, slots: &[Slot]) -> Option<usize> {
    let Some((first, rest)) = slots.split_first() else {
        return Some(pos);
    };
    match *first {
        W(words) => {
            let t = tokens.get(pos)?;
            if words.contains(&t.text.as_str()) {
                match_at(tokens, pos + 1, rest)
            } else {
                None
            }
        }
        O(words) => {
            if let Some(t) = tokens.get(pos) {
                if words.contains(&t.text.as_str()) {
                    if let Some(end) = match_at(tokens, pos + 1, rest) {
                        return Some(end);
                    }
                }
            }
            match_at(tokens, pos, rest)
        }
        Not(words) => match tokens.get(pos) {
            Some(t) if words.contains(&t.text.as_str()) => None,
            _ => match_at(tokens, pos, rest),
        },
        Gap(n) => {
            (0..=n).find_map(|skip| if pos + skip <= tokens.len() { match_at(tokens, pos + skip, rest) } else { None })
        }
    }
}

/// Every phrase match as (first token, one past last token, reason).
pub(super) fn find(tokens: &[Token]) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    for start in 0..tokens.len() {
        for (slots, reason) in PATTERNS {
            if let Some(end) = match_at(tokens, start, slots) {
                if end > start {
                    out.push((start, end, *reason));
                    break;
                }
            }
        }
    }
    out
}
