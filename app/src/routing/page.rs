//! The routing page. Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn RoutingPage() -> impl IntoView {
    view! {
        <PageHeader title="Routing" subtitle="Who receives each incoming text, and why." />
        <EmptyState title="No routing decisions yet" body="Every incoming text is routed by the same rules: override, assignment window, then the owner inbox." />
    }
}
