//! Delivery, number and diagnostics settings (SPEC §4.10) with their allowed
//! ranges. The form keeps what was typed; the server checks every range
//! with the domain's rules (a cooldown under 30 days is refused) and saves
//! the change with an audit event listing what changed.

use super::OperationsForm;
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Card};
use leptos::prelude::*;

#[server]
pub async fn load_operations_settings() -> Result<OperationsForm, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        super::service::load_operations(&u).await
    })
    .await
}

/// Saves the form; returns what changed, one line each.
#[server]
pub async fn save_operations_settings(form: OperationsForm) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        super::service::save_operations(&u, &form).await
    })
    .await
}

#[component]
pub fn OperationsSettings() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| load_operations_settings());
    view! {
        <Card title="Delivery, numbers and diagnostics" class="mb-6">
            <Transition fallback=|| view! { <crate::ui::Loading label="Loading settings" /> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(f) => view! { <OperationsFormView initial=f /> }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn OperationsFormView(initial: OperationsForm) -> impl IntoView {
    let form = RwSignal::new(initial);
    let save = Action::new(|f: &OperationsForm| save_operations_settings(f.clone()));
    let toaster = use_toaster();
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            if changes.is_empty() {
                toaster.success("Nothing to save: the settings are unchanged.");
            } else {
                toaster.success(format!("Saved. {}", changes.join("; ")));
            }
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(save, name);
    let number = move |label: &'static str,
                       name: &'static str,
                       help: &'static str,
                       get: fn(&OperationsForm) -> String,
                       set: fn(&mut OperationsForm, String)| {
        view! {
            <label class="block">
                <span class=field::LABEL>{label}</span>
                <input class=field::INPUT inputmode="numeric" name=name data-testid=format!("setting-{name}")
                    aria-invalid=move || err_for(name)().is_some().to_string()
                    prop:value=move || get(&form.get()) on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
                <span class=format!("block {}", field::HELP)>{help}</span>
                {move || err_for(name)().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="setting-error">{e}</span> })}
            </label>
        }
    };
    view! {
        <form class="space-y-5" data-testid="operations-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
            <fieldset>
                <legend class="mb-2 text-sm font-semibold text-slate-900">"Delivery"</legend>
                <div class="grid gap-3 sm:grid-cols-3">
                    {number("Attempts per text", "max_attempts", "1 to 10, then it waits in Failed jobs. Failed automation runs are tried as often.", |f| f.max_attempts.clone(), |f, v| f.max_attempts = v)}
                    {number("First retry after (seconds)", "backoff_seconds", "5 to 3,600; doubles each time.", |f| f.backoff_seconds.clone(), |f, v| f.backoff_seconds = v)}
                    {number("Provider timeout (seconds)", "timeout_seconds", "3 to 60.", |f| f.timeout_seconds.clone(), |f, v| f.timeout_seconds = v)}
                </div>
            </fieldset>
            <fieldset>
                <legend class="mb-2 text-sm font-semibold text-slate-900">"Numbers"</legend>
                <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                    {number("Quarantine cooldown (days)", "cooldown_days", "At least 30, so a number never reaches a new client while old ones still text it.", |f| f.cooldown_days.clone(), |f, v| f.cooldown_days = v)}
                    {number("Yellow health at (failures in 7 days)", "yellow_at", "At least 1.", |f| f.yellow_at.clone(), |f, v| f.yellow_at = v)}
                    {number("Red health at (failures in 7 days)", "red_at", "Higher than yellow.", |f| f.red_at.clone(), |f, v| f.red_at = v)}
                    {number("Warn when free pool numbers fall below", "pool_low_watermark", "0 to 100; 0 turns the warning off.", |f| f.pool_low_watermark.clone(), |f, v| f.pool_low_watermark = v)}
                </div>
            </fieldset>
            <label class="flex items-start gap-2 text-sm text-slate-700">
                <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="setting-diagnostics" prop:checked=move || form.get().diagnostics_mode
                    on:change=move |ev| form.update(|f| f.diagnostics_mode = event_target_checked(&ev)) />
                <span><b>"Diagnostics mode"</b>" — show the texting provider's ids (number and message ids) for support."</span>
            </label>
            {move || match save.value().get() {
                Some(Err(e)) if e.field_name().is_none() => Some(view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }),
                _ => None,
            }}
            <button type="submit" class=btn::PRIMARY data-testid="settings-save" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save settings" }}
            </button>
        </form>
    }
}
