//! People (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn PeoplePage() -> impl IntoView {
    view! {
        <PageHeader title="People" subtitle="Sitters and clients." />
        <EmptyState title="Nobody here yet" body="Add your sitters and clients to start assigning them." />
    }
}
