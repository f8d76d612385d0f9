//! Inbox (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <PageHeader title="Inbox" subtitle="Every conversation with your clients, routed to whoever owns it right now." />
        <EmptyState title="No conversations yet" body="When a client texts one of your business numbers, the conversation appears here." />
    }
}
