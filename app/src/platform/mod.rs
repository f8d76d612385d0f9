//! Server-side plumbing shared by every capability: the database, the audit
//! chain, crypto, sessions, the job queue and the request context that
//! server functions read. Not compiled into the browser.

pub mod api_keys;
pub mod audit;
pub mod crypto;
pub mod csv;
pub mod ctx;
pub mod db;
pub mod fetch;
pub mod jobs;
pub mod limits;
pub mod passwords;
pub mod sessions;
pub mod sql;
pub mod state;

pub use ctx::{run, state};
pub use db::{from_ms, ms, now, Db, DbKind, Tx};
pub use state::AppState;
