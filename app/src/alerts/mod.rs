//! Alerts (SPEC §4). Skeleton until its issue lands.

#[cfg(feature = "ssr")]
pub mod service;

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <PageHeader title="Alerts" subtitle="Things that need your attention, by severity." />
        <EmptyState title="All clear" body="Delivery problems, policy violations and other issues will show up here." />
    }
}
