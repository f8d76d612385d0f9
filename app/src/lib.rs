#![recursion_limit = "256"]
//! Leashline: the control centre for a pet-sitting business's texting.
//! `domain` holds the pure rules shared by browser and server; the other
//! modules are capabilities (pages + server functions), one folder each;
//! `platform` is the server-only plumbing.

pub mod domain;
pub mod error;
pub mod live;
pub mod ui;

pub mod account;
pub mod alerts;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod automations;
pub mod conversations;
pub mod dashboard;
pub mod inbox;
pub mod notifications;
pub mod numbers;
pub mod people;
pub mod policy;
pub mod routing;
pub mod settings;
pub mod setup;
pub mod shell;

#[cfg(feature = "ssr")]
pub mod messaging;
#[cfg(feature = "ssr")]
pub mod platform;
#[cfg(feature = "ssr")]
pub mod worker;

pub use shell::{shell, App};
