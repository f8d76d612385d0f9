//! Your account, for everyone who signs in (owners and sitters alike):
//! change your password — the current one is asked for (a wrong one counts
//! as a failed sign-in, so a borrowed session can't guess it), the new one
//! must pass the same rules as at sign-up, and every other session of
//! yours ends, so a lost phone is signed out by changing it. And for a
//! sitter who forgot theirs: a one-time reset link the owner makes in
//! People and sends them (`/reset/<token>`, 24 hours, stored hashed).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

use crate::error::AppError;
use leptos::prelude::*;
pub use page::{AccountPage, ResetPage};
use serde::{Deserialize, Serialize};

/// The password form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub again: String,
}

/// Changes the signed-in person's password; returns how many of their
/// other sessions were signed out.
#[server]
pub async fn change_password(form: PasswordForm) -> Result<u64, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_user().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::change_password(&crate::platform::state()?.db, &u, &actor, form).await
    })
    .await
}

/// A reset link the owner made for someone: shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetLink {
    /// Who it is for.
    pub name: String,
    /// The whole address, to send them.
    pub url: String,
    /// "Tue 3:00 PM".
    pub expires: String,
}

/// Owners: a one-time link for a sitter to choose a new password (replaces
/// any earlier link of theirs; their sessions stay until they use it).
#[server]
pub async fn make_reset_link(sitter: crate::domain::ids::SitterId) -> Result<ResetLink, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let actor = u.actor(crate::platform::ctx::request_id());
        service::make_reset_link(&crate::platform::state()?, &u, &actor, sitter).await
    })
    .await
}

/// Whose link this is, if it still works (the reset page's heading).
#[server]
pub async fn check_reset_link(token: String) -> Result<String, AppError> {
    crate::platform::run(async move {
        let ip = crate::platform::ctx::client_ip();
        service::check_reset_link(&crate::platform::state()?.db, &token, ip.as_deref()).await
    })
    .await
}

/// Sets the password through a reset link: the link is used up and every
/// session of that person ends.
#[server]
pub async fn reset_password(token: String, new: String, again: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let ip = crate::platform::ctx::client_ip();
        let rid = crate::platform::ctx::request_id();
        service::reset_password(&crate::platform::state()?, &token, &new, &again, ip.as_deref(), rid).await
    })
    .await
}
