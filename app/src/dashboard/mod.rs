//! Dashboard (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <PageHeader title="Dashboard" subtitle="Today at a glance: unread messages, active windows, violations, failures and alerts." />
        <EmptyState title="Nothing to show yet" body="Once your numbers are set up and clients start texting, today's numbers appear here." />
    }
}
