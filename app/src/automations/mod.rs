//! Automations (SPEC §4). Skeleton until its issue lands.

#[cfg(feature = "ssr")]
pub mod runner;

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn AutomationsPage() -> impl IntoView {
    view! {
        <PageHeader title="Automations" subtitle="Messages that send themselves at the right moment." />
        <EmptyState title="No automations yet" body="Start from a template: a window-start intro, an after-visit thank-you, or a nudge when a client waits." />
    }
}
