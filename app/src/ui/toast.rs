//! Toasts: short confirmations and errors that fade after a few seconds.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    text: String,
    error: bool,
}

#[derive(Clone, Copy)]
pub struct Toaster {
    items: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toaster {
    fn push(&self, text: String, error: bool) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|v| v.push(Toast { id, text, error }));
        let items = self.items;
        set_timeout(
            move || items.update(|v| v.retain(|t| t.id != id)),
            std::time::Duration::from_millis(if error { 8000 } else { 4000 }),
        );
    }
    pub fn success(&self, text: impl Into<String>) {
        self.push(text.into(), false);
    }
    pub fn error(&self, text: impl Into<String>) {
        self.push(text.into(), true);
    }
}

pub fn provide_toaster() -> Toaster {
    let t = Toaster { items: RwSignal::new(Vec::new()), next: StoredValue::new(1) };
    provide_context(t);
    t
}

pub fn use_toaster() -> Toaster {
    use_context::<Toaster>().unwrap_or_else(provide_toaster)
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let t = use_toaster();
    view! {
        <div class="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:bottom-6 sm:right-6 sm:left-auto sm:items-end" aria-live="polite">
            <For each=move || t.items.get() key=|x| x.id let:toast>
                <div
                    role="status"
                    data-testid="toast"
                    class=if toast.error {
                        "pointer-events-auto max-w-sm rounded-lg bg-red-700 px-4 py-3 text-sm text-white shadow-lg"
                    } else {
                        "pointer-events-auto max-w-sm rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-lg"
                    }
                >
                    {toast.text.clone()}
                </div>
            </For>
        </div>
    }
}
