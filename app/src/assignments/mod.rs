//! Assignments (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn AssignmentsPage() -> impl IntoView {
    view! {
        <PageHeader title="Assignments" subtitle="Which sitter handles which client, and when." />
        <EmptyState title="No assignment windows yet" body="Assign a sitter to a client to create their first window." />
    }
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    view! {
        <PageHeader title="My schedule" subtitle="Your assignment windows, past and upcoming." />
        <EmptyState title="No windows yet" body="When the owner assigns you to a client, the window shows up here." />
    }
}
