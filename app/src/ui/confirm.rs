//! The confirmation every irreversible or high-impact action opens: what
//! will happen, listed, and a red confirm for destructive actions.

use super::btn;
use leptos::prelude::*;

#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// What will happen, one line each.
    #[prop(into)]
    impact: Signal<Vec<String>>,
    #[prop(into)] confirm_label: Signal<String>,
    on_confirm: Callback<()>,
    #[prop(optional)] destructive: bool,
    #[prop(optional, into)] pending: Signal<bool>,
    /// Disable confirm until extra fields (like a reason) are filled in.
    #[prop(optional, into)]
    can_confirm: Option<Signal<bool>>,
    #[prop(optional, into)] error: Signal<Option<String>>,
    /// Extra fields shown above the buttons (a reason box, a choice…).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let can_confirm = can_confirm.unwrap_or_else(|| Signal::derive(|| true));
    let confirm_class = if destructive { btn::DANGER } else { btn::PRIMARY };
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/50 p-0 sm:items-center sm:p-4" role="dialog" aria-modal="true" data-testid="confirm-dialog">
                <div class="w-full max-w-lg rounded-t-2xl bg-white shadow-xl sm:rounded-2xl">
                    <div class="px-6 pt-6">
                        <h2 class="text-lg font-semibold text-slate-900">{move || title.get()}</h2>
                        <Show when=move || !impact.get().is_empty()>
                            <p class="mt-3 text-sm font-medium text-slate-700">"What will happen:"</p>
                            <ul class="mt-1 list-disc space-y-1 pl-5 text-sm text-slate-600" data-testid="impact-list">
                                {move || impact.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                            </ul>
                        </Show>
                        <div class="mt-4">{move || children.with_value(|c| c.as_ref().map(|c| c()))}</div>
                        <Show when=move || error.get().is_some()>
                            <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{move || error.get().unwrap_or_default()}</p>
                        </Show>
                    </div>
                    <div class="mt-6 flex flex-col-reverse gap-2 border-t border-slate-100 bg-slate-50 px-6 py-4 sm:flex-row sm:justify-end rounded-b-2xl">
                        <button type="button" class=btn::SECONDARY on:click=move |_| open.set(false)>"Cancel"</button>
                        <button
                            type="button"
                            class=confirm_class
                            data-testid="confirm-button"
                            disabled=move || pending.get() || !can_confirm.get()
                            on:click=move |_| on_confirm.run(())
                        >
                            {move || if pending.get() { "Working…".to_string() } else { confirm_label.get() }}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
