//! The scanners: phone numbers over the normalised character stream,
//! emails and links over a view where spelled "at"/"dot" became symbols,
//! handles, payment apps and phrases over words. Every hit maps back to
//! byte offsets of the original text.

use super::normalize::{normalize, NChar};
use super::phrases;
use super::{Hit, HitKind};

const TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "me", "ly", "gl", "us", "biz", "info", "app", "dev", "site", "online", "link",
    "page", "xyz", "shop", "store", "club", "pro", "tv", "cc", "ai", "gg", "uk", "ca", "au", "nz", "ie", "de", "edu",
    "gov", "mobi", "live", "life", "blog", "website", "tech", "email", "social", "bio", "gd", "ee", "ws", "fm",
    "services", "pet", "pets", "dog", "vet",
];

/// Short domains whose TLD alone is too common a word to list.
const SPECIAL_DOMAINS: &[&str] = &["lnkd.in", "wa.me", "t.me", "m.me", "youtu.be", "fb.me", "is.gd", "linktr.ee"];

const EMAIL_PROVIDERS: &[&str] = &[
    "gmail",
    "googlemail",
    "yahoo",
    "hotmail",
    "outlook",
    "icloud",
    "aol",
    "protonmail",
    "proton",
    "msn",
    "ymail",
    "gmx",
    "zoho",
    "comcast",
    "verizon",
    "sbcglobal",
    "att",
];

/// Words before a number that mark it as a code, id or chip, not a phone.
pub(super) const CODE_CONTEXT: &[&str] = &[
    "code",
    "gate",
    "door",
    "alarm",
    "lockbox",
    "lock",
    "pin",
    "wifi",
    "password",
    "passcode",
    "combo",
    "combination",
    "keypad",
    "garage",
    "key",
    "unit",
    "apt",
    "suite",
    "order",
    "confirmation",
    "invoice",
    "zip",
    "account",
    "booking",
    "ref",
    "reference",
    "chip",
    "microchip",
    "tracking",
    "policy",
    "license",
    "tag",
    "rabies",
    "id",
    "serial",
    "claim",
    "case",
    "ticket",
];
/// Of those, the ones that also excuse long numbers (chips are 15 digits).
const LONG_CODE_CONTEXT: &[&str] = &[
    "order",
    "confirmation",
    "invoice",
    "account",
    "tracking",
    "chip",
    "microchip",
    "policy",
    "serial",
    "reference",
    "ref",
    "id",
    "rabies",
    "license",
    "claim",
    "case",
    "ticket",
];

const WEAK_AT: char = '\u{2}';
const SPELLED_DOT: char = '\u{1}';

fn hit(text: &str, kind: HitKind, start: usize, end: usize, reason: impl Into<String>) -> Hit {
    Hit { kind, start, end, text: text[start..end].to_string(), reason: reason.into() }
}

pub fn check(text: &str) -> Vec<Hit> {
    check_with(text, &[])
}

/// Checks one message. `allowlist` holds the digits of numbers that are
/// never flagged (the business's own numbers, the vet…).
pub fn check_with(text: &str, allowlist: &[String]) -> Vec<Hit> {
    let n = normalize(text);
    let mut hits = Vec::new();
    phones(text, &n, allowlist, &mut hits);
    let view = at_dot_view(&n);
    let email_spans = emails(text, &view, &mut hits);
    urls(text, &view, &email_spans, &mut hits);
    handles(text, &n, &email_spans, &mut hits);
    let toks = phrases::tokens(&n);
    platforms(text, &toks, &mut hits);
    cashtags(text, &n, &mut hits);
    for (s, e, reason) in phrases::find(&toks) {
        hits.push(hit(
            text,
            HitKind::OffPlatformPhrase,
            toks[s].start,
            toks[e - 1].end,
            format!("Off-platform phrase: {reason}"),
        ));
    }
    tidy(hits)
}

/// A new message checked together with the sender's previous ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationCheck {
    /// Hits of the new message, including ones that start in an earlier message.
    pub hits: Vec<Hit>,
    /// The pieces of those split hits that lie in earlier messages:
    /// (index into `previous`, byte span in that message).
    pub earlier: Vec<(usize, (usize, usize))>,
}

/// Checks a new message together with the sender's previous ones, because
/// people split a number over several texts.
pub fn check_thread(previous: &[&str], current: &str, allowlist: &[String]) -> ConversationCheck {
    let mut hits = check_with(current, allowlist);
    let mut earlier = Vec::new();
    if !previous.is_empty() {
        let mut joined = String::new();
        let mut starts = Vec::with_capacity(previous.len());
        for p in previous {
            starts.push(joined.len());
            joined.push_str(p);
            joined.push(' ');
        }
        let offset = joined.len();
        joined.push_str(current);
        for h in check_with(&joined, allowlist) {
            if h.start < offset && h.end > offset {
                let end = h.end - offset;
                hits.push(Hit {
                    kind: h.kind,
                    start: 0,
                    end,
                    text: current[..end].to_string(),
                    reason: format!("{} split across several messages", h.kind.title()),
                });
                for (i, (s, p)) in starts.iter().zip(previous).enumerate() {
                    let (a, b) = (h.start.max(*s), h.end.min(s + p.len()));
                    if a < b {
                        earlier.push((i, (a - s, b - s)));
                    }
                }
            }
        }
    }
    ConversationCheck { hits: tidy(hits), earlier }
}

/// The hits of a new message checked with the sender's previous ones.
pub fn check_conversation(previous: &[&str], current: &str, allowlist: &[String]) -> Vec<Hit> {
    check_thread(previous, current, allowlist).hits
}

/// The text with every hit replaced by ███ (overlapping hits merged).
pub fn redact(text: &str, hits: &[Hit]) -> String {
    let spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    redact_spans(text, &spans)
}

/// The text with every byte span replaced by ███ (overlaps merged; spans
/// that don't fit the text or split a character are widened or ignored).
pub fn redact_spans(text: &str, spans: &[(usize, usize)]) -> String {
    let mut spans: Vec<(usize, usize)> = spans.iter().copied().filter(|(s, e)| s < e && *e <= text.len()).collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in spans {
        if e <= pos {
            continue;
        }
        let mut s = s.max(pos);
        while !text.is_char_boundary(s) {
            s -= 1;
        }
        let mut e = e;
        while !text.is_char_boundary(e) {
            e += 1;
        }
        out.push_str(&text[pos..s]);
        out.push_str("███");
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

/// Sorts hits and merges overlapping hits of the same kind.
fn tidy(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by(|a, b| a.start.cmp(&b.start).then(a.kind.cmp(&b.kind)).then(b.end.cmp(&a.end)));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if let Some(prev) = out.iter_mut().rev().find(|p| p.kind == h.kind && h.start < p.end) {
            if h.end > prev.end {
                prev.end = h.end;
                prev.text.push('…');
            }
            continue;
        }
        out.push(h);
    }
    out
}

// ---------------------------------------------------------------- phones

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '_' | '/' | '\\' | '|' | '*' | '~' | '+' | '=' | '\n' | '\t')
}

const SEPARATOR_WORDS: &[&str] = &["dash", "hyphen", "dot", "point", "space", "then", "and"];

pub(super) struct Run {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) digits: String,
    pub(super) groups: Vec<usize>,
    pub(super) plus: bool,
    slashes_or_dots: bool,
}

pub(super) fn word_before(n: &[NChar], idx: usize, max_words: usize) -> Vec<String> {
    // The last few letter-words before `idx`.
    let mut words = Vec::new();
    let mut i = idx;
    while i > 0 && words.len() < max_words {
        while i > 0 && !n[i - 1].c.is_ascii_alphabetic() {
            i -= 1;
            if idx - i > 40 {
                return words;
            }
        }
        let e = i;
        while i > 0 && n[i - 1].c.is_ascii_alphabetic() {
            i -= 1;
        }
        if e > i {
            words.push(n[i..e].iter().map(|c| c.c).collect());
        }
    }
    words
}

pub(super) fn scan_runs(n: &[NChar]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < n.len() {
        if !n[i].c.is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut run =
            Run { first: i, last: i, digits: String::new(), groups: Vec::new(), plus: false, slashes_or_dots: false };
        // A '+' just before the first digit (maybe after "(" or a space).
        let mut k = i;
        while k > 0 && matches!(n[k - 1].c, ' ' | '(') && i - k < 2 {
            k -= 1;
        }
        run.plus = k > 0 && n[k - 1].c == '+';
        let mut j = i;
        let mut seps = 0;
        let mut cur = 0usize;
        let mut prev_digit: Option<NChar> = None;
        while j < n.len() {
            let c = n[j];
            if c.c.is_ascii_digit() {
                let same_group = match prev_digit {
                    Some(p) => seps == 0 && (p.from_word == c.from_word) && (!c.from_word || p.start == c.start),
                    None => true,
                };
                if !same_group && cur > 0 {
                    run.groups.push(cur);
                    cur = 0;
                }
                cur += 1;
                run.digits.push(c.c);
                run.last = j;
                prev_digit = Some(c);
                seps = 0;
                j += 1;
            } else if (is_separator(c.c) || spelled_comma(n, j, prev_digit)) && seps < 3 {
                if matches!(c.c, '/' | '.') {
                    run.slashes_or_dots = true;
                }
                seps += 1;
                j += 1;
            } else if c.c.is_ascii_alphabetic() && seps > 0 {
                // "555 dash 1234": a separator spelled out.
                let mut e = j;
                while e < n.len() && n[e].c.is_ascii_alphabetic() {
                    e += 1;
                }
                let w: String = n[j..e].iter().map(|x| x.c).collect();
                let next_digit = n[e..].iter().find(|x| x.c != ' ').is_some_and(|x| x.c.is_ascii_digit());
                if SEPARATOR_WORDS.contains(&w.as_str()) && next_digit && run.digits.len() >= 3 {
                    seps = 1;
                    j = e;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        if cur > 0 {
            run.groups.push(cur);
        }
        i = run.last + 1;
        runs.push(run);
    }
    runs
}

/// "five five, one two three": commas between spelled digits separate groups.
fn spelled_comma(n: &[NChar], j: usize, prev: Option<NChar>) -> bool {
    n[j].c == ','
        && prev.is_some_and(|p| p.from_word)
        && n[j + 1..].iter().find(|x| x.c != ' ').is_some_and(|x| x.c.is_ascii_digit() && x.from_word)
}

/// A number right after '#' is an id ("claim #2026-11-4477").
pub(super) fn after_hash(n: &[NChar], first: usize) -> bool {
    first > 0 && n[first - 1].c == '#'
}

/// Starts like a date: a year then a month ("2026-11-…").
pub(super) fn starts_with_year(r: &Run) -> bool {
    r.groups.len() >= 2
        && r.groups[0] == 4
        && r.groups[1] <= 2
        && (r.digits.starts_with("19") || r.digits.starts_with("20"))
}

pub(super) fn looks_like_date(r: &Run) -> bool {
    r.slashes_or_dots
        && r.groups.len() == 3
        && ((r.groups[0] <= 2 && r.groups[1] <= 2 && (r.groups[2] == 2 || r.groups[2] == 4))
            || (r.groups[0] == 4 && r.groups[1] <= 2 && r.groups[2] <= 2))
}

pub(super) fn allowed(digits: &str, allowlist: &[String]) -> bool {
    let tail = |s: &str, k: usize| s[s.len().saturating_sub(k)..].to_string();
    allowlist.iter().any(|a| {
        let k = digits.len().min(10).min(a.len());
        k >= 7 && tail(digits, k) == tail(a, k)
    })
}

fn phones(text: &str, n: &[NChar], allowlist: &[String], hits: &mut Vec<Hit>) {
    for r in scan_runs(n) {
        let d = r.digits.len();
        let context = word_before(n, r.first, 3);
        let coded = |list: &[&str]| context.iter().any(|w| list.contains(&w.as_str()));
        let flagged = if r.plus && (8..=15).contains(&d) {
            !coded(LONG_CODE_CONTEXT)
        } else if (10..=15).contains(&d) {
            (d != 11 || r.digits.starts_with('1') || d >= 12) && !coded(LONG_CODE_CONTEXT)
        } else if d == 7 {
            !coded(CODE_CONTEXT) && !looks_like_date(&r)
        } else {
            false
        };
        if !flagged || after_hash(n, r.first) || starts_with_year(&r) || allowed(&r.digits, allowlist) {
            continue;
        }
        let start = if r.plus {
            n[..r.first].iter().rposition(|c| c.c == '+').map(|p| n[p].start).unwrap_or(n[r.first].start)
        } else {
            n[r.first].start
        };
        let spelled = n[r.first..=r.last].iter().any(|c| c.from_word);
        let reason = if spelled { "Phone number written out in words" } else { "Phone number" };
        hits.push(hit(text, HitKind::Phone, start, n[r.last].end, reason));
    }
}

// ------------------------------------------------------- emails and links

#[derive(Clone, Copy)]
struct V {
    c: char,
    s: usize,
    e: usize,
}

/// Recognises a spelled "at"/"dot" at `i`: "(at)", "[dot]", " at ", " dot ".
/// Returns the marker, whether it was bracketed, and the index after it.
fn spelled_at(n: &[NChar], i: usize) -> Option<(char, usize)> {
    let open = n[i].c;
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        _ => {
            // Bare word, spaces on both sides.
            let prev_space = i > 0 && n[i - 1].c == ' ';
            for (word, marker) in [("at", WEAK_AT), ("dot", SPELLED_DOT)] {
                let len = word.len();
                if prev_space
                    && i + len <= n.len()
                    && n[i..i + len].iter().map(|x| x.c).eq(word.chars())
                    && (i + len == n.len() || n[i + len].c == ' ')
                {
                    return Some((marker, i + len));
                }
            }
            return None;
        }
    };
    let mut k = i + 1;
    while k < n.len() && n[k].c == ' ' {
        k += 1;
    }
    for (word, marker) in [("at", '@'), ("dot", SPELLED_DOT)] {
        let len = word.len();
        if k + len <= n.len() && n[k..k + len].iter().map(|x| x.c).eq(word.chars()) {
            let mut m = k + len;
            while m < n.len() && n[m].c == ' ' {
                m += 1;
            }
            if m < n.len() && n[m].c == close {
                return Some((marker, m + 1));
            }
        }
    }
    None
}

/// The normalised text with spelled at/dot turned into markers and the
/// spaces around them (and around '@') dropped.
fn at_dot_view(n: &[NChar]) -> Vec<V> {
    let mut out: Vec<V> = Vec::with_capacity(n.len());
    let mut i = 0;
    let skip_spaces = |mut k: usize| {
        while k < n.len() && n[k].c == ' ' {
            k += 1;
        }
        k
    };
    while i < n.len() {
        if let Some((marker, next)) = spelled_at(n, i) {
            while out.last().is_some_and(|v| v.c == ' ') {
                out.pop();
            }
            out.push(V { c: marker, s: n[i].start, e: n[next - 1].end });
            i = skip_spaces(next);
            continue;
        }
        if n[i].c == '@' {
            // "jane @ gmail.com" joins; "follow @maya" stays a handle.
            let space_after = i + 1 >= n.len() || n[i + 1].c == ' ';
            while space_after && out.last().is_some_and(|v| v.c == ' ') {
                out.pop();
            }
            out.push(V { c: '@', s: n[i].start, e: n[i].end });
            i = skip_spaces(i + 1);
            continue;
        }
        out.push(V { c: n[i].c, s: n[i].start, e: n[i].end });
        i += 1;
    }
    out
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_label(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Labels of a domain starting at `k`: (labels, index after the domain).
/// A dot is part of the domain only when a label follows it.
fn domain_at(v: &[V], k: usize) -> (Vec<String>, usize) {
    let mut labels = Vec::new();
    let mut i = k;
    loop {
        let s = i;
        while i < v.len() && is_label(v[i].c) {
            i += 1;
        }
        if i == s {
            return (labels, s);
        }
        labels.push(v[s..i].iter().map(|x| x.c).collect::<String>());
        if i + 1 < v.len() && (v[i].c == '.' || v[i].c == SPELLED_DOT) && is_label(v[i + 1].c) {
            i += 1;
        } else {
            return (labels, i);
        }
    }
}

fn emails(text: &str, v: &[V], hits: &mut Vec<Hit>) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for k in 0..v.len() {
        let strong = v[k].c == '@';
        if !(strong || v[k].c == WEAK_AT) {
            continue;
        }
        let mut ls = k;
        while ls > 0 && is_local(v[ls - 1].c) {
            ls -= 1;
        }
        while ls < k && !v[ls].c.is_ascii_alphanumeric() {
            ls += 1;
        }
        if ls == k {
            continue;
        }
        let (labels, end) = domain_at(v, k + 1);
        let Some(first) = labels.first() else { continue };
        let tld = labels.last().map(String::as_str).unwrap_or("");
        let tld_ok = labels.len() >= 2 && (2..=10).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic());
        let valid = EMAIL_PROVIDERS.contains(&first.as_str()) || (tld_ok && (strong || TLDS.contains(&tld)));
        if !valid {
            continue;
        }
        let (s, e) = (v[ls].s, v[end - 1].e);
        spans.push((s, e));
        hits.push(hit(text, HitKind::Email, s, e, "Email address"));
    }
    spans
}

fn inside(spans: &[(usize, usize)], pos: usize) -> bool {
    spans.iter().any(|&(s, e)| s <= pos && pos < e)
}

fn urls(text: &str, v: &[V], email_spans: &[(usize, usize)], hits: &mut Vec<Hit>) {
    let until_space = |mut i: usize| {
        while i < v.len() && v[i].c != ' ' && v[i].c != WEAK_AT {
            i += 1;
        }
        i
    };
    let mut k = 0;
    while k < v.len() {
        let word_start = k == 0 || !(is_label(v[k - 1].c) || matches!(v[k - 1].c, '.' | '@' | '/' | ':' | SPELLED_DOT));
        if !word_start || !v[k].c.is_ascii_alphanumeric() || inside(email_spans, v[k].s) {
            k += 1;
            continue;
        }
        let rest: String = v[k..(k + 8).min(v.len())].iter().map(|x| x.c).collect();
        if rest.starts_with("http://")
            || rest.starts_with("https://")
            || rest.starts_with("hxxp://")
            || rest.starts_with("hxxps://")
        {
            let e = until_space(k);
            hits.push(hit(text, HitKind::Url, v[k].s, v[e - 1].e, "Web link"));
            k = e;
            continue;
        }
        let (labels, end) = domain_at(v, k);
        if labels.len() >= 2 {
            let tld = labels.last().map(String::as_str).unwrap_or("");
            let before_tld = &labels[labels.len() - 2];
            let tail2 = format!("{before_tld}.{tld}");
            let is_www = labels[0] == "www";
            let ok = is_www
                || SPECIAL_DOMAINS.contains(&tail2.as_str())
                || (TLDS.contains(&tld) && before_tld.chars().any(|c| c.is_ascii_alphabetic()));
            let boundary = end >= v.len() || !v[end].c.is_ascii_alphanumeric();
            if ok && boundary {
                let e = if end < v.len() && v[end].c == '/' { until_space(end) } else { end };
                hits.push(hit(text, HitKind::Url, v[k].s, v[e - 1].e, "Web link"));
                k = e;
                continue;
            }
        }
        k = end.max(k + 1);
    }
}

// ------------------------------------------------- handles and platforms

fn handles(text: &str, n: &[NChar], email_spans: &[(usize, usize)], hits: &mut Vec<Hit>) {
    for i in 0..n.len() {
        if n[i].c != '@' || inside(email_spans, n[i].start) {
            continue;
        }
        let boundary = i == 0 || !(n[i - 1].c.is_alphanumeric() || matches!(n[i - 1].c, '.' | '_' | '-'));
        if !boundary || i + 2 >= n.len() || !(n[i + 1].c.is_ascii_alphabetic() || n[i + 1].c == '_') {
            continue;
        }
        let mut e = i + 1;
        while e < n.len() && (n[e].c.is_ascii_alphanumeric() || matches!(n[e].c, '_' | '.' | '-')) {
            e += 1;
        }
        while e > i + 1 && matches!(n[e - 1].c, '.' | '-') {
            e -= 1;
        }
        if e - i < 3 {
            continue;
        }
        hits.push(hit(text, HitKind::Social, n[i].start, n[e - 1].end, "Social media handle"));
    }
}

const ALWAYS_SOCIAL: &[&str] = &["whatsapp", "telegram", "wechat", "kik", "viber"];
const CONTEXT_SOCIAL: &[&str] = &[
    "instagram",
    "insta",
    "ig",
    "snapchat",
    "snap",
    "facebook",
    "fb",
    "messenger",
    "tiktok",
    "twitter",
    "discord",
    "linkedin",
    "signal",
    "threads",
];
const CONNECT_VERBS: &[&str] =
    &["add", "follow", "find", "dm", "message", "msg", "hmu", "hit", "text", "chat", "reach", "contact", "look"];
const HANDLE_WORDS: &[&str] = &["is", "handle", "username", "user", "id", "me", "name"];

fn gap_has(text: &str, from: usize, to: usize, chars: &[char]) -> bool {
    from <= to && to <= text.len() && text.get(from..to).is_some_and(|g| g.chars().any(|c| chars.contains(&c)))
}

fn platforms(text: &str, toks: &[phrases::Token], hits: &mut Vec<Hit>) {
    for (i, t) in toks.iter().enumerate() {
        let w = t.text.as_str();
        let next = toks.get(i + 1);
        let sep_to_next = next.is_some_and(|nx| gap_has(text, t.end, nx.start, &[':', '@', '=', '$']));
        // Payment apps: any mention is an attempt to pay outside the app.
        let two = next.map(|nx| format!("{w} {}", nx.text));
        let payment = w.starts_with("venmo")
            || w == "zelle"
            || w.starts_with("cashapp")
            || w.starts_with("paypal")
            || matches!(two.as_deref(), Some("cash app") | Some("apple cash"));
        if payment {
            let mut end =
                if matches!(two.as_deref(), Some("cash app") | Some("apple cash")) { toks[i + 1].end } else { t.end };
            if sep_to_next {
                end = next.map(|nx| nx.end).unwrap_or(end);
            }
            hits.push(hit(text, HitKind::Payment, t.start, end, "Payment app outside the platform"));
            continue;
        }
        let always = ALWAYS_SOCIAL.contains(&w);
        let contextual = CONTEXT_SOCIAL.contains(&w);
        if !(always || contextual) {
            continue;
        }
        let handle_follows = sep_to_next || next.is_some_and(|nx| HANDLE_WORDS.contains(&nx.text.as_str()));
        let mine = i > 0 && toks[i - 1].text == "my";
        let lo = i.saturating_sub(4);
        let before: Vec<&str> = toks[lo..i].iter().map(|x| x.text.as_str()).collect();
        let invited = before.contains(&"me") && before.iter().any(|b| CONNECT_VERBS.contains(b));
        if always || handle_follows || mine || invited {
            let end = if sep_to_next || next.is_some_and(|nx| nx.text == "is") {
                toks.get(if sep_to_next { i + 1 } else { i + 2 }).map(|x| x.end).unwrap_or(t.end)
            } else {
                t.end
            };
            hits.push(hit(text, HitKind::Social, t.start, end, "Social media or messaging app"));
        }
    }
}

const CURRENCIES: &[&str] = &["usd", "cad", "aud", "eur", "gbp", "nzd"];

fn cashtags(text: &str, n: &[NChar], hits: &mut Vec<Hit>) {
    for i in 0..n.len() {
        if n[i].c != '$' {
            continue;
        }
        let boundary = i == 0 || !n[i - 1].c.is_alphanumeric();
        if !boundary || i + 2 >= n.len() || !n[i + 1].c.is_ascii_alphabetic() {
            continue;
        }
        let mut e = i + 1;
        while e < n.len() && (n[e].c.is_ascii_alphanumeric() || matches!(n[e].c, '_' | '-')) {
            e += 1;
        }
        let tag: String = n[i + 1..e].iter().map(|c| c.c).collect();
        if tag.len() < 2 || CURRENCIES.contains(&tag.as_str()) {
            continue;
        }
        hits.push(hit(text, HitKind::Payment, n[i].start, n[e - 1].end, "Cash App $tag"));
    }
}
