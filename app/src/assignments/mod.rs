//! Assignments (SPEC §3.4, §4.6): which sitter handles which client, when.
//! The assign flow previews exactly what will happen, then creates the
//! window, binds the client's conversation to the right number and, when
//! the sitter changes, tells the client — one transaction, audited.
//! Sitters see their own schedule (clients by first name only).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::domain::ids::{ClientId, SitterId, ThreadId, WindowId};
use crate::domain::windows::{AssignmentKind, Resolution, WindowStatus};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::AppResult;
use leptos::prelude::*;
pub use page::{AssignmentsPage, SchedulePage};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowRow {
    pub id: WindowId,
    pub thread: ThreadId,
    pub sitter_id: SitterId,
    pub sitter: String,
    pub client_id: ClientId,
    /// Full name for owners, first name for sitters.
    pub client: String,
    pub kind: AssignmentKind,
    /// "Tue Nov 24, 9:00 AM"
    pub starts: String,
    pub ends: String,
    /// Local date-times for editing, "YYYY-MM-DDTHH:MM".
    pub starts_local: String,
    pub ends_local: String,
    pub status: WindowStatus,
    pub number: String,
    /// Local days (YYYY-MM-DD) the window touches, with the minutes of each
    /// day it covers, for the calendar.
    pub days: Vec<(String, u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRow {
    pub first: WindowRow,
    pub second: WindowRow,
    pub overlap: String,
    /// Button label and the fix it applies.
    pub fixes: Vec<(String, Resolution)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentBoard {
    pub windows: Vec<WindowRow>,
    pub conflicts: Vec<ConflictRow>,
    pub sitters: Vec<Choice>,
    pub clients: Vec<Choice>,
    /// The seven days shown: (YYYY-MM-DD, "Mon 23").
    pub week: Vec<(String, String)>,
    pub today: String,
    pub time_zone: String,
    /// The windows list hit its limit; narrow the filters.
    pub truncated: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowQuery {
    /// Sitter id, or empty for everyone.
    pub sitter: String,
    /// Part of a client's name.
    pub client: String,
    /// active / future / past / conflicting, or empty.
    pub status: String,
    /// YYYY-MM-DD bounds for the list; empty = the week shown.
    pub from: String,
    pub to: String,
    /// Any day of the week to show; empty = this week.
    pub week: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignForm {
    pub sitter: SitterId,
    pub client: ClientId,
    pub kind: AssignmentKind,
    /// Local "YYYY-MM-DDTHH:MM" (what a datetime-local input gives).
    pub starts: String,
    pub ends: String,
    /// Send the client's introduction now even inside quiet hours (the
    /// owner ticked it); otherwise it waits until quiet hours end.
    #[serde(default)]
    pub send_intro_now: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignPreview {
    /// "Maya will text Ana from +1 (512) 555-0101 from Mon 9 AM to Fri 6 PM."
    pub summary: String,
    pub lines: Vec<String>,
    /// The text the client will get, if the sitter changes.
    pub message: Option<String>,
    /// When that text will go, if quiet hours hold it ("Tue 8:00 AM").
    pub waits_until: Option<String>,
}

/// The signed-in owner and the actor their changes are recorded under.
#[cfg(feature = "ssr")]
async fn owner() -> AppResult<(crate::platform::sessions::SessionUser, crate::platform::audit::Actor)> {
    let u = crate::platform::ctx::require_owner().await?;
    let actor = u.actor(crate::platform::ctx::request_id());
    Ok((u, actor))
}

#[server]
pub async fn assignments_data(query: WindowQuery) -> Result<AssignmentBoard, AppError> {
    crate::platform::run(async {
        let (u, _) = owner().await?;
        service::board(&crate::platform::state()?.db, u.org_id, query).await
    })
    .await
}

#[server]
pub async fn preview_assignment(form: AssignForm) -> Result<AssignPreview, AppError> {
    crate::platform::run(async {
        let (u, _) = owner().await?;
        service::preview(&crate::platform::state()?.db, u.org_id, form).await
    })
    .await
}

#[server]
pub async fn create_assignment(form: AssignForm) -> Result<WindowId, AppError> {
    crate::platform::run(async {
        let (u, actor) = owner().await?;
        service::create(&crate::platform::state()?, &u, &actor, form).await
    })
    .await
}

/// New times for a window; the same overlap rules as creating one.
#[server]
pub async fn edit_window(id: WindowId, starts: String, ends: String) -> Result<(), AppError> {
    crate::platform::run(async {
        let (u, actor) = owner().await?;
        service::edit(&crate::platform::state()?, u.org_id, &actor, id, &starts, &ends).await
    })
    .await
}

#[server]
pub async fn delete_window(id: WindowId) -> Result<(), AppError> {
    crate::platform::run(async {
        let (u, actor) = owner().await?;
        service::delete(&crate::platform::state()?, u.org_id, &actor, id).await
    })
    .await
}

#[server]
pub async fn resolve_conflict(fix: Resolution) -> Result<(), AppError> {
    crate::platform::run(async {
        let (u, actor) = owner().await?;
        service::resolve(&crate::platform::state()?, u.org_id, &actor, fix).await
    })
    .await
}

/// A sitter's own windows (owners: everyone's, like the list view).
#[server]
pub async fn my_schedule() -> Result<Vec<WindowRow>, AppError> {
    crate::platform::run(async {
        let u = crate::platform::ctx::require_user().await?;
        service::schedule(&crate::platform::state()?.db, &u).await
    })
    .await
}
