//! Settings (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <PageHeader title="Settings" subtitle="Provider, delivery, routing, policy and health." />
        <EmptyState title="Settings" body="Delivery, cooldown, policy, quiet hours and health checks will be configurable here." />
    }
}
