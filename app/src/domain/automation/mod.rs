//! Automation pieces (SPEC §3.6) that must behave the same in the builder's
//! live preview and in the server's execution: templates, conditions,
//! quiet hours, and the definition types that tie them together.

pub mod conditions;
pub mod definition;
pub mod quiet_hours;
pub mod template;

pub use conditions::{evaluate, Condition, ConditionGroup, ConditionOutcome, GroupOp, Operator, Value};
pub use definition::{Action, ActionKind, AutomationStatus, Recipient, RunStatus, Trigger, TriggerKind};
pub use quiet_hours::{defer_until, QuietHours};
pub use template::{render, variables_in, Rendered, KNOWN_VARIABLES};
