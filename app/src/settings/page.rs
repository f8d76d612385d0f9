//! The Settings page: provider status, health, delivery and number
//! settings, messaging rules, failed jobs, API keys and the owner's account.

use super::{api_keys, create_api_key, revoke_api_key, ApiKeyView, NewApiKey};
use crate::ui::{btn, field, use_toaster, Badge, Card, ConfirmDialog, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <leptos_meta::Title text="Settings · Leashline" />
        <PageHeader title="Settings" subtitle="How texts are delivered, how numbers are looked after, and connections to your other tools." />
        <ProviderStatus />
        <super::health::HealthPanel />
        <super::operations::OperationsSettings />
        <super::rules::RulesSettings />
        <super::health::FailedJobsPanel />
        <ApiKeys />
        <YourAccount />
    }
}

/// The owner's own mobile number: where a code to unlock their account is
/// texted after too many failed sign-ins.
#[component]
fn YourAccount() -> impl IntoView {
    let toaster = use_toaster();
    let phone = RwSignal::new(String::new());
    let loaded = Resource::new(|| (), |_| crate::auth::my_phone());
    let save = Action::new(move |p: &String| crate::auth::set_my_phone(p.clone()));
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = loaded.get() {
            phone.set(p.unwrap_or_default());
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(p)) => {
            error.set(None);
            phone.set(p.clone().unwrap_or_default());
            toaster.success(if p.is_some() { "Mobile number saved" } else { "Mobile number removed" });
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    view! {
        <Card title="Your account" class="mt-6">
            <p class="text-sm text-slate-600">
                "If your account is ever locked after too many wrong passwords (someone guessing, say), a one-time code texted to this number from your Front Desk number lets you back in at once. Automations that text the owner send to this number too."
            </p>
            <form class="mt-4 grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end" data-testid="my-phone-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch(phone.get_untracked());
                }>
                <label class="block">
                    <span class=field::LABEL>"Your mobile number"</span>
                    <input class=field::INPUT name="phone" type="tel" autocomplete="tel" placeholder="(512) 555-0188"
                        aria-invalid=move || error.get().is_some()
                        prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=btn::SECONDARY disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </form>
            <Show when=move || error.get().is_some()>
                <p class="mt-2 text-sm text-red-700" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </Card>
    }
}

/// Which provider and account the business texts through, whether setup
/// is finished, and the way back into the wizard.
#[component]
fn ProviderStatus() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| crate::setup::load_setup());
    view! {
        <Card title="Texting provider" class="mb-6">
            <Transition fallback=|| view! { <Loading label="Loading the provider" /> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(s) => {
                            let who = match s.provider.as_str() {
                                "" => "Not connected yet".to_string(),
                                "demo" => "Demo numbers (nothing is really sent)".to_string(),
                                _ => format!("Twilio account {}", s.provider_label.clone().unwrap_or_default()),
                            };
                            let failing: Vec<String> = s.readiness.iter().filter(|c| !c.ok).map(|c| c.label.clone()).collect();
                            view! {
                                <div class="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between" data-testid="provider-status">
                                    <div>
                                        <p class="text-sm font-medium text-slate-900">{who}</p>
                                        <p class="mt-0.5 text-sm text-slate-600">
                                            {format!("{} numbers connected of {}.", s.facts.numbers_hooked_up, s.facts.numbers)}
                                            {s.account.map(|a| format!(" Balance {}.", a.balance.unwrap_or_else(|| "not reported".into())))}
                                        </p>
                                        {(!failing.is_empty()).then(|| view! { <p class="mt-1 text-sm text-amber-800">{format!("Needs attention: {}.", failing.join("; "))}</p> })}
                                    </div>
                                    <div class="flex items-center gap-2">
                                        {if s.ready { view! { <Badge tone=Tone::Good text="System ready" /> } } else { view! { <Badge tone=Tone::Warn text="Setup not finished" /> } }}
                                        <a href="/setup" class=btn::SECONDARY data-testid="rerun-setup">"Open setup"</a>
                                    </div>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn ApiKeys() -> impl IntoView {
    let changed = RwSignal::new(0u64);
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new("read_write".to_string());
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<NewApiKey>);
    let create = Action::new(move |(n, s): &(String, String)| create_api_key(n.clone(), s.clone()));
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            match r {
                Ok(k) => {
                    error.set(None);
                    name.set(String::new());
                    created.set(Some(k));
                    changed.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    view! {
        <Card title="API keys">
            <p class="text-sm text-slate-600">
                "Let your booking software or an automation tool (Zapier, Make) create bookings, add clients and send texts through the "
                <a class="font-medium text-emerald-700 underline" href="/api/v1/docs" target="_blank" rel="noopener">"Integration API"</a>
                ". A key acts for the whole business, so keep it secret. Every call it makes is in the audit trail under its name."
            </p>
            <form
                class="mt-4 grid gap-3 sm:grid-cols-[1fr_auto_auto] sm:items-end"
                data-testid="api-key-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    if name.get_untracked().trim().is_empty() {
                        error.set(Some("Give the key a name, such as the tool that will use it (\"Zapier\").".into()));
                        return;
                    }
                    create.dispatch((name.get_untracked(), scope.get_untracked()));
                }
            >
                <label class="block">
                    <span class=field::LABEL>"Name"</span>
                    <input class=field::INPUT name="key-name" placeholder="Zapier" maxlength="60" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="block">
                    <span class=field::LABEL>"Can"</span>
                    <select class=field::INPUT name="key-scope" prop:value=move || scope.get() on:change=move |ev| scope.set(event_target_value(&ev))>
                        <option value="read_write">"Read and write"</option>
                        <option value="read">"Read only"</option>
                    </select>
                </label>
                <button type="submit" class=btn::PRIMARY disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                </button>
            </form>
            <Show when=move || error.get().is_some()>
                <p class="mt-2 text-sm text-red-700" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            {move || created.get().map(|k| view! {
                <div class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="new-api-key">
                    <p class="text-sm font-semibold text-amber-900">{format!("Copy the key for \"{}\" now: it won't be shown again.", k.name)}</p>
                    <div class="mt-2 flex flex-col gap-2 sm:flex-row sm:items-center">
                        <input class="block w-full rounded-lg border border-amber-300 bg-white px-3 py-2 font-mono text-sm text-slate-900" readonly data-testid="new-api-key-secret" prop:value=k.secret.clone() on:focus=crate::ui::select_all />
                        <button type="button" class=btn::SECONDARY on:click=move |_| created.set(None)>"Done"</button>
                    </div>
                </div>
            })}
            <ApiKeyList changed=changed />
        </Card>
    }
}

/// The business's keys, newest first; a live one can be revoked.
#[component]
fn ApiKeyList(changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let keys = Resource::new(move || changed.get(), |_| api_keys());
    let revoking = RwSignal::new(None::<ApiKeyView>);
    let revoke_open = RwSignal::new(false);
    let revoke_error = RwSignal::new(None::<String>);
    let revoke = Action::new(move |id: &i64| revoke_api_key(*id));
    Effect::new(move |_| {
        if let Some(r) = revoke.value().get() {
            match r {
                Ok(()) => {
                    revoke_open.set(false);
                    revoke_error.set(None);
                    toaster.success("API key revoked");
                    changed.update(|v| *v += 1);
                }
                Err(e) => revoke_error.set(Some(e.to_string())),
            }
        }
    });
    view! {
        <div class="mt-5">
            <Transition fallback=|| view! { <Loading label="Loading API keys" /> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <EmptyState title="No API keys yet" body="Create one above to connect your booking software." />
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="overflow-x-auto">
                            <table class="min-w-full text-sm" data-testid="api-keys">
                                <thead>
                                    <tr class="border-b border-slate-200 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                        <th class="py-2 pr-4">"Name"</th>
                                        <th class="py-2 pr-4">"Key"</th>
                                        <th class="py-2 pr-4">"Can"</th>
                                        <th class="py-2 pr-4">"Created"</th>
                                        <th class="py-2 pr-4">"Last used"</th>
                                        <th class="py-2"></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|k| {
                                        let row = k.clone();
                                        view! {
                                            <tr class="border-b border-slate-100 last:border-0" data-testid="api-key-row">
                                                <td class="py-2 pr-4 font-medium text-slate-900">{k.name.clone()}</td>
                                                <td class="py-2 pr-4 font-mono text-xs text-slate-600">{k.hint.clone()}</td>
                                                <td class="py-2 pr-4">{k.scope.clone()}<span class="block text-xs text-slate-500">{format!("{} requests a minute", k.rate_limit_per_minute)}</span></td>
                                                <td class="py-2 pr-4 text-slate-600">{k.created.clone()}</td>
                                                <td class="py-2 pr-4 text-slate-600">{k.last_used.clone().unwrap_or_else(|| "Never".into())}</td>
                                                <td class="py-2 text-right">
                                                    {match k.revoked.clone() {
                                                        Some(d) => view! { <Badge tone=Tone::Neutral text=format!("Revoked {d}") /> }.into_any(),
                                                        None => view! {
                                                            <button type="button" class=btn::SMALL on:click=move |_| {
                                                                revoking.set(Some(row.clone()));
                                                                revoke_error.set(None);
                                                                revoke_open.set(true);
                                                            }>"Revoke"</button>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
        <ConfirmDialog
            open=revoke_open
            title=Signal::derive(move || revoking.get().map(|k| format!("Revoke \"{}\"?", k.name)).unwrap_or_default())
            impact=Signal::derive(move || revoking.get().map(|k| vec![
                format!("Anything using {} stops working at once (it gets \"401 not valid\").", k.hint),
                "This can't be undone: make a new key to reconnect.".to_string(),
                "The key and everything it did stay in the audit trail.".to_string(),
            ]).unwrap_or_default())
            confirm_label="Revoke key"
            destructive=true
            pending=revoke.pending()
            error=Signal::derive(move || revoke_error.get())
            on_confirm=Callback::new(move |_| {
                if let Some(k) = revoking.get_untracked() {
                    revoke.dispatch(k.id);
                }
            })
        />
    }
}
