//! People (SPEC §4.11): sitters — added, activated (a business number is
//! assigned automatically) and deactivated (their number quarantined, their
//! open windows closed, their clients' texts answered from the owner inbox),
//! each previewed first — and clients (search, edit, phone numbers, opt-out
//! state, merging an "Unknown" client into a known one).

pub mod clients;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::ids::SitterId;
use crate::error::AppError;
use leptos::prelude::*;
pub use page::PeoplePage;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitterRow {
    pub id: i64,
    pub name: String,
    pub first_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Their business number, formatted.
    pub number: Option<String>,
    /// Windows that haven't ended.
    pub open_windows: i64,
    pub can_sign_in: bool,
    /// Too many failed sign-ins: their account is locked for now.
    pub locked: bool,
}

/// What activating or deactivating does (or did), in the words the audit
/// trail records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitterChange {
    pub done: bool,
    pub summary: String,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewSitterForm {
    pub name: String,
    /// Defaults to the first word of the name.
    pub first_name: String,
    pub phone: String,
    pub email: String,
    /// Set to let them sign in now (with the email).
    pub password: String,
}

/// A sitter's details as edited in People.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SitterEdit {
    pub id: i64,
    pub name: String,
    pub first_name: String,
    pub phone: String,
    pub email: String,
}

/// Saves a sitter's details; returns what changed, one line each.
#[server]
pub async fn edit_sitter(form: SitterEdit) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        service::edit(&st.db, u.org_id, &u.actor(crate::platform::ctx::request_id()), form).await
    })
    .await
}

#[server]
pub async fn load_sitters() -> Result<Vec<SitterRow>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let mut c = st.db.read.acquire().await?;
        store::sitters(&mut c, u.org_id, crate::platform::now()).await
    })
    .await
}

#[server]
pub async fn add_sitter(form: NewSitterForm) -> Result<SitterId, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        service::create(&st.db, u.org_id, &u.actor(crate::platform::ctx::request_id()), form).await
    })
    .await
}

/// Unlocks a sitter's sign-in after too many failed attempts.
#[server]
pub async fn unlock_sitter(id: SitterId) -> Result<String, AppError> {
    crate::platform::run(async move {
        use sqlx::Row;
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let user: i64 = sqlx::query(
            "SELECT u.id FROM users u JOIN sitters s ON s.id = u.sitter_id WHERE s.id = $1 AND s.org_id = $2",
        )
        .bind(id.0)
        .bind(u.org_id.0)
        .fetch_optional(&st.db.read)
        .await?
        .ok_or_else(|| AppError::NotFound("That sitter has no sign-in to unlock.".into()))?
        .try_get("id")?;
        let actor = u.actor(crate::platform::ctx::request_id());
        let name = crate::auth::lockout::unlock(&st, crate::domain::ids::UserId(user), Some(u.org_id), &actor).await?;
        Ok(format!("{name} can sign in again."))
    })
    .await
}

/// `activate`: switch on (true) or off (false); `preview`: say what would
/// happen and change nothing.
#[server]
pub async fn change_sitter(id: SitterId, activate: bool, preview: bool) -> Result<SitterChange, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        let st = crate::platform::state()?;
        let actor = u.actor(crate::platform::ctx::request_id());
        if activate {
            service::activate(&st.db, u.org_id, &actor, id, preview).await
        } else {
            service::deactivate(&st, u.org_id, &actor, id, preview).await
        }
    })
    .await
}
