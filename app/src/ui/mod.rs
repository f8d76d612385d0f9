//! Building blocks every page uses: headers, empty and loading states,
//! badges, the error panel, toasts and the confirmation dialog with its
//! impact list (SPEC §4, last paragraph).

mod confirm;
mod feedback;
mod layout;
mod toast;

pub use confirm::ConfirmDialog;
pub use feedback::{Badge, ErrorPanel, ErrorText, Loading, Tone};
pub use layout::{Card, EmptyState, PageHeader, StatCard};
pub use toast::{provide_toaster, use_toaster, ToastHost, Toaster};

/// Percent-encodes text for a URL query value: everything but ASCII
/// letters, digits and `-._~` (RFC 3986 unreserved) becomes `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text made safe to place inside an element as HTML (`&`, `<`, `>`, `"`,
/// `'` escaped).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Selects a read-only field's text when it gets focus (easy to copy).
pub fn select_all(_ev: leptos::ev::FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = _ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            input.select();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{escape_text, percent_encode};

    #[test]
    fn query_values_and_html_text_are_encoded() {
        assert_eq!(percent_encode("call me & I'll explain"), "call%20me%20%26%20I%27ll%20explain");
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(escape_text("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }

    proptest::proptest! {
        #[test]
        fn percent_encoding_is_reversible(s in "\\PC{0,40}") {
            let encoded = percent_encode(&s);
            proptest::prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            let mut bytes = Vec::new();
            let raw = encoded.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'%' {
                    let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap();
                    bytes.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    bytes.push(raw[i]);
                    i += 1;
                }
            }
            proptest::prop_assert_eq!(String::from_utf8(bytes).unwrap(), s);
        }
    }
}

/// Tailwind classes for buttons, kept in one place so every screen matches.
pub mod btn {
    pub const PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-emerald-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-emerald-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50";
    pub const SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-700 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-500 disabled:cursor-not-allowed disabled:opacity-50";
    pub const DANGER: &str = "inline-flex items-center justify-center gap-2 rounded-lg bg-red-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-50";
    pub const GHOST: &str = "inline-flex items-center justify-center gap-2 rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 disabled:opacity-50";
    pub const SMALL: &str = "inline-flex items-center justify-center gap-1 rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-semibold text-slate-700 hover:bg-slate-50 disabled:opacity-50";
}

/// Form field classes.
pub mod field {
    pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-emerald-500 focus:outline-none focus:ring-1 focus:ring-emerald-500 aria-[invalid=true]:border-red-500";
    pub const LABEL: &str = "block text-sm font-medium text-slate-700 mb-1";
    pub const HELP: &str = "mt-1 text-xs text-slate-500";

    use crate::error::AppError;
    use leptos::prelude::*;

    /// The refusal of the last `save` when it names `name`, to show under
    /// that field (tracked: it updates when the save does).
    pub fn error_of<I, T>(save: Action<I, Result<T, AppError>>, name: &str) -> Option<String>
    where
        I: Send + Sync + 'static,
        T: Send + Sync + Clone + 'static,
    {
        save.value().get().and_then(|r| r.err()).filter(|e| e.field_name() == Some(name)).map(|e| e.to_string())
    }
}
