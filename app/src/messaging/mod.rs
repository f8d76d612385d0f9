//! The messaging pipeline (SPEC §3.1, §3.2, §5, §6): providers, incoming
//! texts, the one send function, delivery and its retries, status
//! callbacks and attachments. Server-side only; the inbox pages call in
//! through their server functions.

pub mod delivery;
pub mod inbound;
pub mod media;
pub mod provider;
pub mod redaction;
pub mod send;
pub mod signature;
pub mod staff;
pub mod status;
pub mod store;
pub mod visibility;
