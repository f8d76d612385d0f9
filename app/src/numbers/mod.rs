//! Numbers (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn NumbersPage() -> impl IntoView {
    view! {
        <PageHeader title="Numbers" subtitle="Your business phone numbers: Front Desk, sitter and pool numbers." />
        <EmptyState title="No numbers yet" body="Buy or import your first number in Setup." />
    }
}
