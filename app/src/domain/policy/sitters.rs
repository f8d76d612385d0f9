//! What a sitter may read of a text (SPEC §2, §3.5), decided once, when the
//! text is stored: every policy hit is hidden, so are the pieces of a
//! number split over several texts that lie in the earlier texts, and so
//! are digit groups at the very start or end of a client's text, which may
//! be the first or last piece of a number the next text completes. Every
//! sitter-facing path then shows the stored result; nothing re-checks.

use super::detect::{
    after_hash, allowed, looks_like_date, scan_runs, starts_with_year, word_before, ConversationCheck, CODE_CONTEXT,
};
use super::normalize::normalize;

/// The byte spans of a client's text that sitters don't see, beyond its
/// policy hits: groups of 3–9 digits touching the start or the end of the
/// text ("my new cell is 737 555" · "0100 text me there"), and anywhere in
/// it the first groups of a phone number ("737 555", "(737) 555",
/// "+1 737"), unless they read as a price, a time, a date, a code or an
/// allow-listed number.
pub fn edge_fragments(text: &str, allowlist: &[String]) -> Vec<(usize, usize)> {
    let n = normalize(text);
    let mut out = Vec::new();
    for r in scan_runs(&n) {
        if !(3..=9).contains(&r.digits.len()) {
            continue;
        }
        let at_start = n[..r.first].iter().all(|c| !c.c.is_alphanumeric());
        let at_end = n[r.last + 1..].iter().all(|c| !c.c.is_alphanumeric());
        let g = &r.groups;
        let area_code = r.first > 0 && n[r.first - 1].c == '(';
        let phone_start = r.plus
            || area_code
            || (g.len() >= 2 && g[0] == 3 && g[1] == 3)
            || (g.len() >= 3 && g[0] == 1 && g[1] == 3 && g[2] == 3);
        if !(at_start || at_end || phone_start) {
            continue;
        }
        let coded = word_before(&n, r.first, 3).iter().any(|w| CODE_CONTEXT.contains(&w.as_str()));
        let price_or_time = (r.first > 0 && matches!(n[r.first - 1].c, '$' | ':' | '#'))
            || n.get(r.last + 1).is_some_and(|c| matches!(c.c, ':' | '%'));
        if coded
            || price_or_time
            || after_hash(&n, r.first)
            || starts_with_year(&r)
            || looks_like_date(&r)
            || allowed(&r.digits, allowlist)
        {
            continue;
        }
        out.push((n[r.first].start, n[r.last].end));
    }
    out
}

/// The spans sitters don't see in a new text: its hits (split ones
/// included) and, for a client's text, its edge fragments.
pub fn hidden_spans(
    check: &ConversationCheck,
    text: &str,
    from_client: bool,
    allowlist: &[String],
) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = check.hits.iter().map(|h| (h.start, h.end)).collect();
    if from_client {
        spans.extend(edge_fragments(text, allowlist));
    }
    merge(spans)
}

/// Sorted, with overlapping or touching spans joined.
pub fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.retain(|(s, e)| s < e);
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{check_thread, redact_spans};
    use super::*;
    use proptest::prelude::*;

    fn for_sitter(previous: &[&str], text: &str) -> String {
        let c = check_thread(previous, text, &[]);
        redact_spans(text, &hidden_spans(&c, text, true, &[]))
    }

    fn digits(s: &str) -> String {
        s.chars().filter(char::is_ascii_digit).collect()
    }

    #[test]
    fn a_number_split_over_two_texts_is_hidden_in_both() {
        let first = for_sitter(&[], "my new cell is 737 555");
        assert_eq!(first, "my new cell is ███");
        let c = check_thread(&["my new cell is 737 555"], "0100 text me there", &[]);
        assert!(!c.hits.is_empty(), "the second text completes a number");
        assert_eq!(c.earlier, vec![(0, (15, 22))], "the piece in the first text is found too");
        assert!(!for_sitter(&["my new cell is 737 555"], "0100 text me there").contains("0100"));
    }

    #[test]
    fn a_number_split_over_three_texts_is_hidden_in_each() {
        assert_eq!(for_sitter(&[], "my new cell is 737"), "my new cell is ███");
        assert_eq!(for_sitter(&["my new cell is 737"], "555"), "███");
        let third = for_sitter(&["my new cell is 737", "555"], "0100 text me there");
        assert!(digits(&third).is_empty(), "{third}");
        let c = check_thread(&["my new cell is 737", "555"], "0100 text me there", &[]);
        let pieces: Vec<usize> = c.earlier.iter().map(|(i, _)| *i).collect();
        assert_eq!(pieces, vec![0, 1]);
    }

    #[test]
    fn the_first_groups_of_a_number_are_hidden_anywhere_in_a_text() {
        assert_eq!(for_sitter(&[], "it's 737 555 then"), "it's ███ then");
        assert_eq!(for_sitter(&[], "call (737) 555 ok"), "call (███ ok");
        assert_eq!(for_sitter(&[], "or +1 737 later"), "or +███ later");
    }

    #[test]
    fn ordinary_client_texts_stay_readable_for_sitters() {
        for t in [
            "Walk at 5:30 please",
            "Key is under the mat",
            "That's $25 for today",
            "Gate code is 4821",
            "Feed 2 cups, 3 walks",
            "We're at 1234 Maple Ave",
            "See you on 11/24/2026",
            "Back on 2026-12-06",
            "Lockbox 5521",
            "Order #55123",
            "He's 12",
            "See you at 5:30",
            "Walk 2 dogs at 3 and feed 1 cat",
            "Between 9 and 11 please",
            "We live at 1420 Elm St, unit 5",
        ] {
            assert_eq!(for_sitter(&[], t), t, "{t}");
        }
    }

    #[test]
    fn allow_listed_numbers_stay_readable() {
        let vet = vec!["5125550142".to_string()];
        let c = check_thread(&[], "vet is 555 0142", &vet);
        assert_eq!(
            redact_spans("vet is 555 0142", &hidden_spans(&c, "vet is 555 0142", true, &vet)),
            "vet is 555 0142"
        );
    }

    #[test]
    fn only_client_texts_have_their_edges_hidden() {
        let c = check_thread(&[], "Total is 120", &[]);
        assert!(hidden_spans(&c, "Total is 120", false, &[]).is_empty());
        assert_eq!(hidden_spans(&c, "Total is 120", true, &[]), vec![(9, 12)]);
    }

    #[test]
    fn merged_spans_are_sorted_and_disjoint() {
        assert_eq!(merge(vec![(5, 9), (0, 3), (2, 4), (9, 10), (12, 12)]), vec![(0, 4), (5, 10)]);
    }

    proptest! {
        /// However a ten-digit number is cut into two or three texts, no
        /// run of three of its digits reaches the sitter.
        #[test]
        fn split_numbers_never_reach_a_sitter(
            d in "[2-9][0-9]{2}[2-9][0-9]{6}",
            cut1 in 3usize..8,
            three in any::<bool>(),
            lead in prop_oneof![Just("my new cell is "), Just("text me at "), Just("")],
            tail in prop_oneof![Just(" text me there"), Just(""), Just(" ok?")],
        ) {
            let mut parts: Vec<String> = if three && cut1 + 3 < 10 {
                vec![d[..cut1].to_string(), d[cut1..cut1 + 3].to_string(), d[cut1 + 3..].to_string()]
            } else {
                vec![d[..cut1].to_string(), d[cut1..].to_string()]
            };
            parts[0] = format!("{lead}{}", parts[0]);
            let last = parts.len() - 1;
            parts[last] = format!("{}{tail}", parts[last]);
            let mut shown: Vec<String> = Vec::new();
            for (i, p) in parts.iter().enumerate() {
                let prev: Vec<&str> = parts[..i].iter().map(String::as_str).collect();
                let c = check_thread(&prev, p, &[]);
                let mine = redact_spans(p, &hidden_spans(&c, p, true, &[]));
                shown.push(mine);
            }
            for s in &shown {
                let ds = digits(s);
                for w in d.as_bytes().windows(3) {
                    let w = std::str::from_utf8(w).unwrap_or_default();
                    prop_assert!(!ds.contains(w), "{:?} shows {} of {}", shown, w, d);
                }
            }
        }

        #[test]
        fn hidden_spans_are_valid(t in "\\PC{0,120}") {
            let c = check_thread(&[], &t, &[]);
            for (s, e) in hidden_spans(&c, &t, true, &[]) {
                prop_assert!(s < e && e <= t.len());
            }
            let _ = redact_spans(&t, &hidden_spans(&c, &t, true, &[]));
        }
    }
}
