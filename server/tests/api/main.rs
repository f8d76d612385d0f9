//! Server tests: the real app on a random port against a fresh database —
//! SQLite always, PostgreSQL too when TEST_DATABASE_URL is set. One test
//! binary (faster to link); one module per capability.

mod helpers;
mod twilio_stub;

mod alert_rules;
mod alerts;
mod assignments;
mod audit;
mod auth;
mod automations;
mod compliance;
mod crash;
mod dashboard;
mod health;
mod inbox;
mod integration;
mod numbers;
mod people;
mod pipeline;
mod routing;
mod settings;
mod setup;
mod storage;
mod twilio;
