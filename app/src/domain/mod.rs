//! The product's rules (SPEC §3) as pure Rust: no Leptos, no async, no I/O,
//! no clock but the time passed in. Compiled into the server and the WASM,
//! so the routing simulator, the sitter's live policy warning and the
//! server all run the same code.

pub mod accounts;
pub mod alerts;
pub mod analytics;
pub mod automation;
pub mod breaker;
pub mod clients;
pub mod delivery;
pub mod ids;
pub mod keywords;
pub mod numbers;
pub mod outbound;
pub mod phone;
pub mod policy;
pub mod provider_errors;
pub mod roles;
pub mod routing;
pub mod settings;
pub mod setup;
pub mod sms;
pub mod time;
pub mod windows;
