//! Audit & compliance (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <PageHeader title="Audit & compliance" subtitle="Every change and decision, in an append-only trail." />
        <EmptyState title="No events yet" body="Every change anyone makes is recorded here, with who, when and why." />
    }
}
