//! Account rules both sides show: the shortest password accepted (the
//! full check, with zxcvbn, is `platform::passwords` on the server) and how
//! the "account locked" refusal starts, so the sign-in page knows to open
//! the unlock-code form.

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// How the "account locked" refusal starts.
pub const LOCKED_PREFIX: &str = "Too many failed sign-ins for this account.";
