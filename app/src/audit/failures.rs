//! The delivery failures feed (SPEC §4.9): texts the carrier or provider
//! refused, with the reason in business language, how many attempts were
//! made, a retry (through the same checks as any send) and "mark
//! resolved" with an optional note, audited in its transaction.

use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, EmptyState, Loading, PageHeader};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureView {
    pub message_id: i64,
    pub thread_id: i64,
    pub client: String,
    /// "+1 (512) 555-0101 → +1 (737) 555-0100"
    pub route: String,
    pub body: String,
    pub failed: String,
    pub attempts: i64,
    /// What went wrong and what to do, in plain words.
    pub reason: String,
    pub code: Option<String>,
    /// "Resolved by Olivia Grant, 1 h ago: note"
    pub resolved: Option<String>,
}

#[server]
pub async fn list_failures(resolved: bool) -> Result<Vec<FailureView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&crate::platform::state()?, &u, resolved).await
    })
    .await
}

#[server]
pub async fn resolve_failure(message_id: i64, note: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::resolve(&crate::platform::state()?, &u, &u.actor(crate::platform::ctx::request_id()), message_id, &note)
            .await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store;

#[component]
pub fn FailuresPage() -> impl IntoView {
    let toaster = use_toaster();
    let resolved = RwSignal::new(false);
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (resolved.get(), changed.get()), |(r, _)| list_failures(r));
    let closing = RwSignal::new(None::<FailureView>);
    let note = RwSignal::new(String::new());
    let resolve = Action::new(|(id, n): &(i64, String)| resolve_failure(*id, n.clone()));
    let retry = Action::new(|id: &i64| crate::inbox::retry_message(crate::domain::ids::MessageId(*id)));
    Effect::new(move |_| {
        if let Some(Ok(())) = resolve.value().get() {
            toaster.success("Marked resolved");
            closing.set(None);
            note.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    Effect::new(move |_| match retry.value().get() {
        Some(Ok(())) => {
            toaster.success("Sending again");
            changed.update(|v| *v += 1);
        }
        Some(Err(e)) => toaster.error(e.to_string()),
        None => {}
    });
    let tab = move |is_resolved: bool, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (resolved.get() == is_resolved).to_string()
                data-testid=if is_resolved { "failures-resolved-tab" } else { "failures-open-tab" }
                class=move || format!("rounded-lg px-3 py-1.5 text-sm font-medium {}", if resolved.get() == is_resolved { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" })
                on:click=move |_| resolved.set(is_resolved)>{label}</button>
        }
    };
    view! {
        <leptos_meta::Title text="Delivery failures · Leashline" />
        <PageHeader title="Audit & compliance" subtitle="Texts that didn't reach the client, why, and what to do about it." />
        <super::AuditTabs current="failures" />
        <div class="mb-4 inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
            {tab(false, "Needs attention")}
            {tab(true, "Resolved")}
        </div>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading failures" /></div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! {
                        <EmptyState title="No failed texts" body="When a text can't be delivered, it appears here with the reason and a retry." />
                    }.into_any(),
                    Ok(items) => view! {
                        <ul class="space-y-3" data-testid="failure-list">
                            {items.into_iter().map(|f| {
                                let id = f.message_id;
                                let c = f.clone();
                                view! {
                                    <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="failure">
                                        <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                                            <div class="min-w-0">
                                                <p class="text-sm"><span class="font-medium text-slate-900">{f.client.clone()}</span>
                                                    <span class="text-slate-500">{format!(" · {} · failed {}", f.route, f.failed)}</span></p>
                                                <p class="mt-1 truncate text-sm text-slate-700">{format!("\u{201c}{}\u{201d}", f.body)}</p>
                                                <p class="mt-2 text-sm text-red-800" data-testid="failure-reason">{f.reason.clone()}</p>
                                                <p class="mt-1 text-xs text-slate-500">
                                                    {format!("{} attempt{}", f.attempts, if f.attempts == 1 { "" } else { "s" })}
                                                    {f.code.clone().map(|c| format!(" · provider code {c}"))}
                                                    " · " <a class="font-medium text-emerald-700 underline" href=format!("/inbox/{}", f.thread_id)>"Open the conversation"</a>
                                                </p>
                                                {f.resolved.clone().map(|r| view! { <p class="mt-2 text-sm text-slate-700" data-testid="failure-resolved">{r}</p> })}
                                            </div>
                                            {f.resolved.is_none().then(|| view! {
                                                <div class="flex shrink-0 gap-2">
                                                    <button type="button" class=btn::SMALL data-testid="failure-retry" disabled=move || retry.pending().get()
                                                        on:click=move |_| { retry.dispatch(id); }>"Retry"</button>
                                                    <button type="button" class=btn::SMALL data-testid="failure-resolve"
                                                        on:click=move |_| { resolve.clear(); closing.set(Some(c.clone())); }>"Mark resolved"</button>
                                                </div>
                                            })}
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || closing.get().map(|f| {
            let id = f.message_id;
            view! {
                <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" data-testid="failure-dialog">
                    <form class="w-full max-w-md rounded-xl bg-white p-5 shadow-xl" role="dialog" aria-modal="true"
                        on:submit=move |ev| { ev.prevent_default(); resolve.dispatch((id, note.get_untracked())); }>
                        <h2 class="text-base font-semibold text-slate-900">"Mark this failure resolved?"</h2>
                        <p class="mt-1 text-sm text-slate-600">{format!("The text to {} stays unsent; the failure leaves this list and the conversation's warning clears.", f.client)}</p>
                        <label class="mt-3 block">
                            <span class=field::LABEL>"What you did (optional)"</span>
                            <input class=field::INPUT data-testid="failure-note" placeholder="e.g. Called the client instead" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        {move || match resolve.value().get() {
                            Some(Err(e)) => Some(view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }),
                            _ => None,
                        }}
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=btn::GHOST on:click=move |_| closing.set(None)>"Cancel"</button>
                            <button type="submit" class=btn::PRIMARY data-testid="failure-confirm" disabled=move || resolve.pending().get()>"Mark resolved"</button>
                        </div>
                    </form>
                </div>
            }
        })}
    }
}
