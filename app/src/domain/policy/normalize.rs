//! Normalisation before matching (SPEC §3.5): invisible characters go,
//! every script's digits become ASCII digits, full-width and look-alike
//! letters become ASCII, number words become digits. Each normalised
//! character remembers the byte span it came from, so hits point into the
//! original text.

/// One normalised character and the original bytes it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NChar {
    pub c: char,
    pub start: usize,
    pub end: usize,
    /// True when this digit came from a spelled-out word ("five").
    pub from_word: bool,
}

/// The first code point of every run of ten decimal digits in Unicode 14
/// (category Nd); digit value = code point − run start.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
    0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0,
    0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60,
    0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

fn digit_value(c: char) -> Option<u32> {
    let cp = c as u32;
    if cp < 0x80 {
        return c.to_digit(10);
    }
    // Enclosed and styled digits that are not category Nd.
    let styled: &[(u32, u32, u32)] = &[
        (0x2460, 0x2468, 1), // ① .. ⑨
        (0x2474, 0x247C, 1), // ⑴ .. ⑼
        (0x2488, 0x2490, 1), // ⒈ .. ⒐
        (0x24F5, 0x24FD, 1), // ⓵ .. ⓽
        (0x2776, 0x277E, 1), // ❶ .. ❾
        (0x2780, 0x2788, 1), // ➀ .. ➈
        (0x278A, 0x2792, 1), // ➊ .. ➒
        (0x2080, 0x2089, 0), // ₀ .. ₉
        (0x2074, 0x2079, 4), // ⁴ .. ⁹
    ];
    for &(lo, hi, first) in styled {
        if (lo..=hi).contains(&cp) {
            return Some(cp - lo + first);
        }
    }
    match cp {
        0x24EA | 0x24FF | 0x2070 | 0x1F100 => return Some(0), // ⓪ ⓿ ⁰ 🄀
        0x00B9 => return Some(1),
        0x00B2 => return Some(2),
        0x00B3 => return Some(3),
        _ => {}
    }
    let idx = DIGIT_ZEROS.partition_point(|&z| z <= cp);
    if idx == 0 {
        return None;
    }
    let zero = DIGIT_ZEROS[idx - 1];
    (cp - zero < 10).then_some(cp - zero)
}

fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0x20E3 | 0xFE00..=0xFE0F | 0xFEFF | 0xE0100..=0xE01EF | 0x1F3FB..=0x1F3FF)
}

/// Letters that look like ASCII letters in other scripts.
fn look_alike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'н' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'ᴢ' => 'z',
        '＠' | '﹫' => '@',
        '。' | '·' | '․' | '｡' => '.',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹣' | '－' => '-',
        '（' | '［' => '(',
        '）' | '］' => ')',
        '＄' | '﹩' => '$',
        _ => return None,
    })
}

/// Folds one character: `None` drops it.
fn fold(c: char) -> Option<char> {
    if is_invisible(c) {
        return None;
    }
    if let Some(d) = digit_value(c) {
        return char::from_digit(d, 10);
    }
    let cp = c as u32;
    // Full-width ASCII block.
    if (0xFF01..=0xFF5E).contains(&cp) {
        let a = char::from_u32(cp - 0xFEE0)?;
        return Some(a.to_ascii_lowercase());
    }
    // Mathematical alphanumeric letters (bold, italic, script…): 13 styles
    // of 52 letters each starting at U+1D400.
    if (0x1D400..0x1D400 + 13 * 52).contains(&cp) {
        let i = (cp - 0x1D400) % 52;
        let base = if i < 26 { b'a' + i as u8 } else { b'a' + (i - 26) as u8 };
        return Some(base as char);
    }
    if let Some(a) = look_alike(c) {
        return Some(a);
    }
    if c.is_whitespace() {
        return Some(' ');
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    Some(lower)
}

const UNITS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const TEENS: [&str; 10] =
    ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS: [&str; 8] = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

fn unit_value(w: &str) -> Option<u32> {
    UNITS.iter().position(|u| *u == w).map(|p| p as u32)
}

fn teen_value(w: &str) -> Option<u32> {
    TEENS.iter().position(|t| *t == w).map(|p| 10 + p as u32)
}

fn tens_value(w: &str) -> Option<u32> {
    TENS.iter().position(|t| *t == w).map(|p| p as u32 + 2)
}

fn multiplier(w: &str) -> Option<usize> {
    match w {
        "double" => Some(2),
        "triple" => Some(3),
        _ => None,
    }
}

/// End (exclusive) of the letter run starting at `i`.
fn word_end(chars: &[NChar], i: usize) -> usize {
    let mut j = i;
    while j < chars.len() && chars[j].c.is_ascii_alphabetic() {
        j += 1;
    }
    j
}

fn word_at(chars: &[NChar], i: usize, j: usize) -> String {
    chars[i..j].iter().map(|n| n.c).collect()
}

/// A unit word (1–9) right after `j`, allowing one space or hyphen:
/// returns its value and the index after it.
fn unit_after(chars: &[NChar], j: usize) -> Option<(u32, usize, usize)> {
    let mut k = j;
    if k < chars.len() && (chars[k].c == ' ' || chars[k].c == '-') {
        k += 1;
    }
    if k >= chars.len() || !chars[k].c.is_ascii_alphabetic() {
        return None;
    }
    let e = word_end(chars, k);
    match unit_value(&word_at(chars, k, e)) {
        Some(u) if u > 0 => Some((u, k, e)),
        _ => None,
    }
}

/// A digit (character or unit word) after optional spaces: its value,
/// the index where it starts and the index after it.
fn digit_after(chars: &[NChar], j: usize) -> Option<(char, usize, usize)> {
    let mut k = j;
    while k < chars.len() && chars[k].c == ' ' {
        k += 1;
    }
    if k >= chars.len() {
        return None;
    }
    if chars[k].c.is_ascii_digit() {
        return Some((chars[k].c, k, k + 1));
    }
    if chars[k].c.is_ascii_alphabetic() {
        let e = word_end(chars, k);
        if let Some(u) = unit_value(&word_at(chars, k, e)) {
            return char::from_digit(u, 10).map(|c| (c, k, e));
        }
    }
    None
}

fn last_is_digit(out: &[NChar]) -> bool {
    out.iter().rev().find(|n| n.c != ' ' && n.c != '-').is_some_and(|n| n.c.is_ascii_digit())
}

fn push_digit(out: &mut Vec<NChar>, d: u32, start: usize, end: usize) {
    let c = char::from_digit(d, 10).unwrap_or('0');
    out.push(NChar { c, start, end, from_word: true });
}

/// Normalises `text`. Words are maximal runs of letters; only whole words
/// are read as numbers, so "someone" stays a word.
pub fn normalize(text: &str) -> Vec<NChar> {
    let mut folded: Vec<NChar> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if let Some(f) = fold(c) {
            folded.push(NChar { c: f, start: i, end, from_word: false });
        } else if let Some(last) = folded.last_mut() {
            // Keep spans contiguous: a dropped character belongs to the one before.
            last.end = end;
        }
    }
    let mut out = words_to_digits(&folded);
    digit_look_alikes(&mut out);
    out
}

/// Inside a token that is mostly digits, O is a zero and l/I a one
/// ("555-2O1-55O9").
fn digit_look_alikes(chars: &mut [NChar]) {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].c.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let s = i;
        while i < chars.len() && chars[i].c.is_ascii_alphanumeric() {
            i += 1;
        }
        let token = &chars[s..i];
        let digits = token.iter().filter(|n| n.c.is_ascii_digit()).count();
        let letters = token.len() - digits;
        let lookalikes = token.iter().all(|n| n.c.is_ascii_digit() || matches!(n.c, 'o' | 'l' | 'i'));
        if digits >= 2 && letters >= 1 && letters <= digits && lookalikes {
            for n in &mut chars[s..i] {
                n.c = match n.c {
                    'o' => '0',
                    'l' | 'i' => '1',
                    c => c,
                };
            }
        }
    }
}

fn words_to_digits(chars: &[NChar]) -> Vec<NChar> {
    let mut out: Vec<NChar> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].c.is_ascii_alphabetic() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let j = word_end(chars, i);
        let word = word_at(chars, i, j);
        let (start, end) = (chars[i].start, chars[j - 1].end);
        if let Some(t) = tens_value(&word) {
            // "twenty three" and "twenty-three" are two digits, not three.
            if let Some((u, us, ue)) = unit_after(chars, j) {
                push_digit(&mut out, t, start, end);
                push_digit(&mut out, u, chars[us].start, chars[ue - 1].end);
                i = ue;
            } else {
                push_digit(&mut out, t, start, end);
                push_digit(&mut out, 0, start, end);
                i = j;
            }
            continue;
        }
        if let Some(times) = multiplier(&word) {
            if let Some((d, _, de)) = digit_after(chars, j) {
                for _ in 0..times {
                    out.push(NChar { c: d, start, end: chars[de - 1].end, from_word: true });
                }
                i = de;
                continue;
            }
        }
        if let Some(teen) = teen_value(&word) {
            push_digit(&mut out, teen / 10, start, end);
            push_digit(&mut out, teen % 10, start, end);
        } else if let Some(u) = unit_value(&word) {
            push_digit(&mut out, u, start, end);
        } else if word == "oh" && (last_is_digit(&out) || digit_after(chars, j).is_some()) {
            push_digit(&mut out, 0, start, end);
        } else {
            out.extend_from_slice(&chars[i..j]);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_string(chars: &[NChar]) -> String {
        chars.iter().map(|n| n.c).collect()
    }

    fn norm(s: &str) -> String {
        as_string(&normalize(s))
    }

    #[test]
    fn unicode_digits_become_ascii() {
        assert_eq!(norm("５５５"), "555");
        assert_eq!(norm("٥٥٥"), "555");
        assert_eq!(norm("①②③"), "123");
        assert_eq!(norm("𝟓𝟓𝟓"), "555");
        assert_eq!(norm("5\u{FE0F}\u{20E3}5\u{FE0F}\u{20E3}"), "55");
    }

    #[test]
    fn invisible_characters_disappear_but_spans_stay_contiguous() {
        let n = normalize("5\u{200B}5");
        assert_eq!(as_string(&n), "55");
        assert_eq!(n[0].end, n[1].start);
    }

    #[test]
    fn number_words_become_digits() {
        assert_eq!(norm("five five five"), "5 5 5");
        assert_eq!(norm("five five five 12 three4"), "5 5 5 12 34");
        assert_eq!(norm("someone"), "someone");
        assert_eq!(norm("twenty three"), "23");
        assert_eq!(norm("twenty-three"), "23");
        assert_eq!(norm("twenty"), "20");
        assert_eq!(norm("double five"), "55");
        assert_eq!(norm("five oh one"), "5 0 1");
        assert_eq!(norm("oh no"), "oh no");
        assert_eq!(norm("3O3 555 O144"), "303 555 0144");
        assert_eq!(norm("10am room"), "10am room");
    }

    #[test]
    fn look_alikes_fold_to_ascii() {
        assert_eq!(norm("ｇｍａｉｌ"), "gmail");
        assert_eq!(norm("gmаil"), "gmail"); // Cyrillic а
    }
}
