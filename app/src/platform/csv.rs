//! The one CSV writer every export uses (numbers, audit trail, analytics):
//! RFC 4180 quoting, and no cell a spreadsheet would run as a formula. A
//! cell starting with = + - @, a tab or a carriage return (after any
//! leading spaces) gets a leading apostrophe, which spreadsheets show as
//! text; a phone number ("+15125550100") is the one "+" left alone.

#[derive(Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new() -> Self {
        Csv::default()
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut first = true;
        for c in cells {
            if !first {
                self.out.push(',');
            }
            first = false;
            self.out.push_str(&cell(c.as_ref()));
        }
        self.out.push('\n');
        self
    }

    /// An empty line between sections.
    pub fn blank(&mut self) -> &mut Self {
        self.out.push('\n');
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn is_phone(s: &str) -> bool {
    s.len() > 1 && s.starts_with('+') && s[1..].chars().all(|c| c.is_ascii_digit())
}

/// One cell: neutralised, then quoted when it holds a separator.
pub fn cell(s: &str) -> String {
    let lead = s.trim_start_matches(' ');
    let risky = lead.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_phone(lead);
    let s = if risky { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("+15125550100"), "+15125550100");
        assert_eq!(cell("+1+cmd"), "'+1+cmd");
    }

    #[test]
    fn rows_and_sections() {
        let mut c = Csv::new();
        c.row(["a", "b"]).blank().row(["=x"]);
        assert_eq!(c.finish(), "a,b\n\n'=x\n");
    }

    proptest! {
        /// Whatever a name holds, its cell never starts a formula.
        #[test]
        fn no_cell_starts_a_formula(s in "\\PC{0,40}") {
            let c = cell(&s);
            let c = c.strip_prefix('"').unwrap_or(&c);
            let lead = c.trim_start_matches(' ');
            prop_assert!(!lead.starts_with(['=', '-', '@', '\t', '\r']) || c.starts_with('\''));
            prop_assert!(!lead.starts_with('+') || c.starts_with('\'') || is_phone(lead));
        }
    }
}
