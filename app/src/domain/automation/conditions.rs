//! Condition groups (AND/OR of field/operator/value) evaluated against a
//! trigger's context. Each condition's result is returned for the
//! execution log, so an owner can see why an automation did or didn't act.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{}", if *b { "yes" } else { "no" }),
            Value::Number(n) if n.fract() == 0.0 => write!(f, "{}", *n as i64),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

impl Value {
    fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(s) => s.trim().parse().ok(),
            Value::Bool(_) => None,
        }
    }
    fn as_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    NotEquals,
    Contains,
    GreaterThan,
    LessThan,
}

impl Operator {
    pub const ALL: [Operator; 5] =
        [Operator::Equals, Operator::NotEquals, Operator::Contains, Operator::GreaterThan, Operator::LessThan];
    pub fn label(self) -> &'static str {
        match self {
            Operator::Equals => "is",
            Operator::NotEquals => "is not",
            Operator::Contains => "contains",
            Operator::GreaterThan => "is more than",
            Operator::LessThan => "is less than",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::Contains => "contains",
            Operator::GreaterThan => "greater_than",
            Operator::LessThan => "less_than",
        }
    }
    pub fn parse(s: &str) -> Option<Operator> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupOp {
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub operator: Operator,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionGroup {
    pub op: GroupOp,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub groups: Vec<ConditionGroup>,
}

impl Default for ConditionGroup {
    fn default() -> Self {
        ConditionGroup { op: GroupOp::And, conditions: Vec::new(), groups: Vec::new() }
    }
}

/// Fields a condition can test, with a description for the builder.
pub const FIELDS: &[(&str, &str)] = &[
    ("thread.started_by", "Who started the conversation: client or business"),
    ("message.text", "Text of the message that triggered it"),
    ("message.sender", "Who sent that message: client, sitter, owner, automation"),
    ("message.is_automated", "Whether that message was sent by an automation"),
    ("client.first_name", "Client's first name"),
    ("client.is_new", "Whether this is the client's first conversation"),
    ("sitter.first_name", "Assigned sitter's first name"),
    ("thread.number_class", "front_desk, sitter or pool"),
    ("window.kind", "weekly_client, one_time_booking or meet_and_greet"),
    ("booking.service", "The booked service"),
    ("booking.status", "requested, confirmed, cancelled, completed"),
    ("hour_of_day", "Hour in the business's time zone, 0-23"),
    ("minutes_waiting", "Minutes the client has waited for a reply"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionOutcome {
    /// "1", "2.1": position in the tree, for the log.
    pub path: String,
    pub field: String,
    pub operator: Operator,
    pub expected: Value,
    pub actual: Option<Value>,
    pub passed: bool,
    pub explanation: String,
}

fn test(c: &Condition, actual: Option<&Value>) -> (bool, String) {
    let Some(actual) = actual else {
        return (false, format!("{} has no value here", c.field));
    };
    let passed = match c.operator {
        Operator::Equals => actual.as_text().eq_ignore_ascii_case(&c.value.as_text()),
        Operator::NotEquals => !actual.as_text().eq_ignore_ascii_case(&c.value.as_text()),
        Operator::Contains => actual.as_text().to_lowercase().contains(&c.value.as_text().to_lowercase()),
        Operator::GreaterThan | Operator::LessThan => match (actual.as_number(), c.value.as_number()) {
            (Some(a), Some(b)) => {
                if c.operator == Operator::GreaterThan {
                    a > b
                } else {
                    a < b
                }
            }
            _ => {
                return (false, format!("{} is {actual}, which is not a number", c.field));
            }
        },
    };
    let verdict = if passed { "true" } else { "false" };
    (passed, format!("{} {} {} — it is {actual}: {verdict}", c.field, c.operator.label(), c.value))
}

/// Evaluates the group. An empty group passes (no conditions = always).
pub fn evaluate(group: &ConditionGroup, ctx: &BTreeMap<String, Value>) -> (bool, Vec<ConditionOutcome>) {
    let mut log = Vec::new();
    let ok = eval_inner(group, ctx, "", &mut log);
    (ok, log)
}

fn eval_inner(
    group: &ConditionGroup,
    ctx: &BTreeMap<String, Value>,
    prefix: &str,
    log: &mut Vec<ConditionOutcome>,
) -> bool {
    let mut results = Vec::new();
    let mut n = 0;
    for c in &group.conditions {
        n += 1;
        let actual = ctx.get(&c.field);
        let (passed, explanation) = test(c, actual);
        log.push(ConditionOutcome {
            path: format!("{prefix}{n}"),
            field: c.field.clone(),
            operator: c.operator,
            expected: c.value.clone(),
            actual: actual.cloned(),
            passed,
            explanation,
        });
        results.push(passed);
    }
    for g in &group.groups {
        n += 1;
        results.push(eval_inner(g, ctx, &format!("{prefix}{n}."), log));
    }
    if results.is_empty() {
        return true;
    }
    match group.op {
        GroupOp::And => results.iter().all(|r| *r),
        GroupOp::Or => results.iter().any(|r| *r),
    }
}

/// Unknown fields make a rule that can never act; the builder lists them.
pub fn unknown_fields(group: &ConditionGroup) -> Vec<String> {
    let mut out = Vec::new();
    collect_unknown(group, &mut out);
    out
}

fn collect_unknown(group: &ConditionGroup, out: &mut Vec<String>) {
    for c in &group.conditions {
        if !FIELDS.iter().any(|(f, _)| *f == c.field) && !out.contains(&c.field) {
            out.push(c.field.clone());
        }
    }
    for g in &group.groups {
        collect_unknown(g, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> BTreeMap<String, Value> {
        [
            ("thread.started_by", Value::Text("client".into())),
            ("message.text", Value::Text("Is Max OK?".into())),
            ("minutes_waiting", Value::Number(45.0)),
            ("client.is_new", Value::Bool(false)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn c(field: &str, operator: Operator, value: Value) -> Condition {
        Condition { field: field.into(), operator, value }
    }

    #[test]
    fn and_group_needs_every_condition() {
        let g = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![
                c("thread.started_by", Operator::Equals, Value::Text("Client".into())),
                c("minutes_waiting", Operator::GreaterThan, Value::Number(30.0)),
            ],
            groups: vec![],
        };
        let (ok, log) = evaluate(&g, &ctx());
        assert!(ok);
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|o| o.passed));
        assert_eq!(log[1].path, "2");
    }

    #[test]
    fn or_group_needs_one_and_nested_groups_report_paths() {
        let g = ConditionGroup {
            op: GroupOp::Or,
            conditions: vec![c("message.text", Operator::Contains, Value::Text("vet".into()))],
            groups: vec![ConditionGroup {
                op: GroupOp::And,
                conditions: vec![
                    c("message.text", Operator::Contains, Value::Text("max".into())),
                    c("minutes_waiting", Operator::LessThan, Value::Number(60.0)),
                ],
                groups: vec![],
            }],
        };
        let (ok, log) = evaluate(&g, &ctx());
        assert!(ok);
        assert_eq!(log.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(), vec!["1", "2.1", "2.2"]);
        assert!(!log[0].passed && log[1].passed && log[2].passed);
    }

    #[test]
    fn missing_fields_and_non_numbers_fail_with_an_explanation() {
        let g = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![c("sitter.first_name", Operator::Equals, Value::Text("Maya".into()))],
            groups: vec![],
        };
        let (ok, log) = evaluate(&g, &ctx());
        assert!(!ok);
        assert!(log[0].explanation.contains("no value"));
        let g2 = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![c("message.text", Operator::GreaterThan, Value::Number(3.0))],
            groups: vec![],
        };
        let (ok, log) = evaluate(&g2, &ctx());
        assert!(!ok && log[0].explanation.contains("not a number"));
    }

    #[test]
    fn not_equals_and_empty_group() {
        let g = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![c("client.is_new", Operator::NotEquals, Value::Bool(true))],
            groups: vec![],
        };
        assert!(evaluate(&g, &ctx()).0);
        assert!(evaluate(&ConditionGroup::default(), &ctx()).0);
        let bad = ConditionGroup {
            op: GroupOp::And,
            conditions: vec![c("pet.name", Operator::Equals, Value::Text("x".into()))],
            groups: vec![],
        };
        assert_eq!(unknown_fields(&bad), vec!["pet.name".to_string()]);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn num_condition(threshold: i64) -> Condition {
            Condition {
                field: "hour_of_day".into(),
                operator: Operator::GreaterThan,
                value: Value::Number(threshold as f64),
            }
        }

        proptest! {
            /// AND passes exactly when every condition does, OR when any
            /// does, and the log has one line per condition.
            #[test]
            fn and_or_follow_their_conditions(hour in 0i64..24, thresholds in proptest::collection::vec(-1i64..24, 1..6), or in any::<bool>()) {
                let ctx: BTreeMap<String, Value> = [("hour_of_day".to_string(), Value::Number(hour as f64))].into_iter().collect();
                let g = ConditionGroup {
                    op: if or { GroupOp::Or } else { GroupOp::And },
                    conditions: thresholds.iter().map(|t| num_condition(*t)).collect(),
                    groups: vec![],
                };
                let (ok, log) = evaluate(&g, &ctx);
                let each: Vec<bool> = thresholds.iter().map(|t| hour > *t).collect();
                prop_assert_eq!(log.len(), thresholds.len());
                prop_assert_eq!(log.iter().map(|l| l.passed).collect::<Vec<_>>(), each.clone());
                prop_assert_eq!(ok, if or { each.iter().any(|b| *b) } else { each.iter().all(|b| *b) });
            }

            /// A nested group counts as one result of its parent.
            #[test]
            fn nested_groups_are_one_result(hour in 0i64..24, a in -1i64..24, b in -1i64..24) {
                let ctx: BTreeMap<String, Value> = [("hour_of_day".to_string(), Value::Number(hour as f64))].into_iter().collect();
                let inner = ConditionGroup { op: GroupOp::Or, conditions: vec![num_condition(a), num_condition(b)], groups: vec![] };
                let g = ConditionGroup { op: GroupOp::And, conditions: vec![], groups: vec![inner] };
                prop_assert_eq!(evaluate(&g, &ctx).0, hour > a || hour > b);
            }

            /// Text without variables renders unchanged; every known
            /// variable is replaced by its value.
            #[test]
            fn rendering_replaces_exactly_the_known_variables(plain in "[a-zA-Z ,.!?]{0,60}", pick in 0usize..12) {
                let values = crate::domain::automation::template::sample_values();
                let r = crate::domain::automation::template::render(&plain, &values);
                prop_assert_eq!(&r.text, &plain);
                let (name, sample, _) = crate::domain::automation::template::KNOWN_VARIABLES[pick % crate::domain::automation::template::KNOWN_VARIABLES.len()];
                let r = crate::domain::automation::template::render(&format!("{plain}{{{{{name}}}}}"), &values);
                prop_assert_eq!(r.text, format!("{plain}{sample}"));
                prop_assert!(r.unknown.is_empty() && r.missing.is_empty());
            }
        }
    }
}
