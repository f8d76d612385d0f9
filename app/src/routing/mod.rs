//! Routing control (SPEC §4.4). `TraceView` renders a decision's reason and
//! step-by-step trace; the inbox's "why" and the simulator both use it.

mod page;
mod trace;

pub use page::RoutingPage;
pub use trace::TraceView;
