//! Message templates with {{variables}}. Unknown variables are listed so the
//! builder can refuse to activate; rendering leaves them visible rather than
//! silently blank.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Variables every automation may use, with a sample value for previews.
pub const KNOWN_VARIABLES: &[(&str, &str, &str)] = &[
    ("client.first_name", "Ana", "Client's first name"),
    ("client.name", "Ana Lopez", "Client's full name"),
    ("sitter.first_name", "Maya", "Assigned sitter's first name"),
    ("sitter.name", "Maya Chen", "Assigned sitter's full name"),
    ("window.start_time", "Mon 9:00 AM", "When the assignment window starts"),
    ("window.end_time", "Fri 6:00 PM", "When the assignment window ends"),
    ("booking.service", "Dog walk", "The booked service"),
    ("booking.start_time", "Mon 9:00 AM", "When the booking starts"),
    ("business.name", "Happy Tails", "Your business name"),
    ("business.number", "+1 (555) 010-2233", "The thread's business number"),
    ("message.text", "Is Max ok?", "The message that triggered the automation"),
    ("minutes_waiting", "45", "Minutes the client has been waiting"),
];

pub fn sample_values() -> BTreeMap<String, String> {
    KNOWN_VARIABLES.iter().map(|(k, v, _)| (k.to_string(), v.to_string())).collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub text: String,
    /// Variables used that aren't known at all (block activation).
    pub unknown: Vec<String>,
    /// Known variables without a value in this context.
    pub missing: Vec<String>,
}

/// Every `{{name}}` in the template, in order of first appearance.
pub fn variables_in(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim().to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
        rest = &after[close + 2..];
    }
    out
}

pub fn is_known(name: &str) -> bool {
    KNOWN_VARIABLES.iter().any(|(k, _, _)| *k == name)
}

pub fn render(template: &str, values: &BTreeMap<String, String>) -> Rendered {
    let mut text = String::with_capacity(template.len());
    let mut unknown = Vec::new();
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            text.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let raw = &after[..close];
        let name = raw.trim();
        match values.get(name) {
            Some(v) if is_known(name) => text.push_str(v),
            _ => {
                let list = if is_known(name) { &mut missing } else { &mut unknown };
                if !list.iter().any(|x: &String| x == name) {
                    list.push(name.to_string());
                }
                text.push_str("{{");
                text.push_str(raw);
                text.push_str("}}");
            }
        }
        rest = &after[close + 2..];
    }
    text.push_str(rest);
    Rendered { text, unknown, missing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_variables() {
        let r =
            render("Hi {{client.first_name}}, {{ sitter.first_name }} starts {{window.start_time}}.", &sample_values());
        assert_eq!(r.text, "Hi Ana, Maya starts Mon 9:00 AM.");
        assert!(r.unknown.is_empty() && r.missing.is_empty());
    }

    #[test]
    fn unknown_variables_are_listed_and_left_visible() {
        let r = render("Hi {{client.nickname}} {{client.nickname}} {{pet.name}}", &sample_values());
        assert_eq!(r.unknown, vec!["client.nickname".to_string(), "pet.name".to_string()]);
        assert!(r.text.contains("{{client.nickname}}"));
    }

    #[test]
    fn known_variables_without_a_value_are_missing_not_unknown() {
        let r = render("Hi {{client.first_name}}", &BTreeMap::new());
        assert_eq!(r.missing, vec!["client.first_name".to_string()]);
        assert!(r.unknown.is_empty());
    }

    #[test]
    fn unclosed_braces_are_left_alone() {
        let r = render("Hi {{client.first_name", &sample_values());
        assert_eq!(r.text, "Hi {{client.first_name");
        assert_eq!(variables_in("a {{x}} b {{ y }} {{x}}"), vec!["x".to_string(), "y".to_string()]);
    }
}
