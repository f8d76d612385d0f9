//! Your account, for everyone who signs in (owners and sitters alike):
//! change your password — the current one is asked for (a wrong one counts
//! as a failed sign-in, so a borrowed session can't guess it), the new one
//! must pass the same rules as at sign-up, and every other session of
//! yours ends, so a lost phone is signed out by changing it.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

use crate::error::AppError;
use leptos::prelude::*;
pub use page::AccountPage;
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
        let ip = crate::platform::ctx::client_ip();
        service::change_password(&crate::platform::state()?.db, &u, &actor, ip.as_deref(), form).await
    })
    .await
}
