//! Server tests: the real app on a random port against a fresh database —
//! SQLite always, PostgreSQL too when TEST_DATABASE_URL is set. One test
//! binary (faster to link); one module per capability.

mod helpers;
mod twilio_stub;

mod account;
mod alert_rules;
mod alerts;
mod assignments;
mod attachments;
mod audit;
mod auth;
mod automations;
mod compliance;
mod conversations;
mod crash;
mod dashboard;
mod exports_safety;
mod health;
mod http_guard;
mod inbox;
mod integration;
mod numbers;
mod outage;
mod people;
mod phone_weight;
mod pipeline;
mod routing;
mod schema;
mod send_time;
mod settings;
mod setup;
mod sign_in_limits;
mod sitter_privacy;
mod storage;
mod twilio;
mod webhook_refusals;
