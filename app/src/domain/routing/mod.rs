//! The routing engine (SPEC §3.1): who owns an inbound text. Pure: a
//! snapshot goes in, a decision with its reason and trace comes out. The
//! server, the simulator in the browser and `server route` call the same
//! `decide`.

mod decide;
mod snapshot;

pub use decide::{decide, Decision, Rule, StepResult, Target, TraceStep, RULESET_VERSION};
pub use snapshot::{
    BusinessNumberSnapshot, Direction, OverrideSnapshot, OverrideState, OverrideTarget, RoutingSnapshot,
    ThreadSnapshot, WindowSnapshot,
};

#[cfg(test)]
mod tests;
