use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Info,
    Warn,
    Bad,
    Brand,
}

impl Tone {
    pub fn classes(self) -> &'static str {
        match self {
            Tone::Neutral => "bg-slate-100 text-slate-700 ring-slate-200",
            Tone::Good => "bg-emerald-50 text-emerald-700 ring-emerald-200",
            Tone::Info => "bg-sky-50 text-sky-700 ring-sky-200",
            Tone::Warn => "bg-amber-50 text-amber-800 ring-amber-200",
            Tone::Bad => "bg-red-50 text-red-700 ring-red-200",
            Tone::Brand => "bg-violet-50 text-violet-700 ring-violet-200",
        }
    }
}

#[component]
pub fn Badge(tone: Tone, #[prop(into)] text: String, #[prop(optional, into)] title: Option<String>) -> impl IntoView {
    view! {
        <span
            title=title
            class=format!("inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}", tone.classes())
        >
            {text}
        </span>
    }
}

/// Skeleton rows shown while a list loads.
#[component]
pub fn Loading(#[prop(optional, into)] label: Option<String>) -> impl IntoView {
    let label = label.unwrap_or_else(|| "Loading…".into());
    view! {
        <div class="animate-pulse space-y-3 py-2" role="status" aria-live="polite">
            <span class="sr-only">{label}</span>
            <div class="h-4 w-2/3 rounded bg-slate-200"></div>
            <div class="h-4 w-1/2 rounded bg-slate-200"></div>
            <div class="h-4 w-3/4 rounded bg-slate-200"></div>
        </div>
    }
}

/// What an error boundary shows: the business-language messages.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let list = move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>();
    view! {
        <div class="rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800" role="alert">
            <p class="font-semibold">"That didn't work"</p>
            <ul class="mt-1 list-disc pl-5">{move || list().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
        </div>
    }
}

/// A single error sentence under a form.
#[component]
pub fn ErrorText(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="form-error">
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}
