use leptos::prelude::*;

#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
            <div>
                <h1 class="text-2xl font-bold tracking-tight text-slate-900">{title}</h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-500">{s}</p> })}
            </div>
            {children.map(|c| view! { <div class="flex flex-wrap items-center gap-2">{c()}</div> })}
        </div>
    }
}

#[component]
pub fn Card(
    #[prop(optional, into)] title: Option<String>,
    #[prop(optional, into)] class: String,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=format!("rounded-xl border border-slate-200 bg-white shadow-sm {class}")>
            {title.map(|t| view! { <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold text-slate-900">{t}</h2> })}
            <div class="p-5">{children()}</div>
        </section>
    }
}

#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(into)] body: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-col items-center justify-center rounded-xl border border-dashed border-slate-300 bg-white px-6 py-14 text-center">
            <div class="mb-3 flex h-12 w-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600">
                <svg viewBox="0 0 24 24" class="h-6 w-6" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true">
                    <circle cx="12" cy="12" r="8.5"></circle>
                    <path d="M8.5 12h7M12 8.5v7" stroke-linecap="round"></path>
                </svg>
            </div>
            <h3 class="text-base font-semibold text-slate-900">{title}</h3>
            <p class="mt-1 max-w-md text-sm text-slate-500">{body}</p>
            {children.map(|c| view! { <div class="mt-5">{c()}</div> })}
        </div>
    }
}

/// A number that matters today, linking to its filtered list.
#[component]
pub fn StatCard(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(into)] href: String,
    #[prop(optional, into)] tone: Option<String>,
) -> impl IntoView {
    let tone = tone.unwrap_or_else(|| "text-slate-900".into());
    view! {
        <a href=href class="block rounded-xl border border-slate-200 bg-white p-4 shadow-sm transition hover:border-emerald-300 hover:shadow">
            <div class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</div>
            <div class=format!("mt-1 text-2xl font-bold {tone}")>{value}</div>
        </a>
    }
}
