//! Setup (SPEC §4). Skeleton until its issue lands.

use crate::ui::{EmptyState, PageHeader};
use leptos::prelude::*;

#[component]
pub fn SetupPage() -> impl IntoView {
    view! {
        <PageHeader title="Setup" subtitle="Connect your texting provider and get your numbers ready." />
        <EmptyState title="Setup" body="Seven steps from a fresh install to a ready system." />
    }
}
