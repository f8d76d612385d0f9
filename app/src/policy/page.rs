//! The violations feed: every finding with its redacted text, who sent it
//! and what happened; the owner reviews each one.

use super::{list_violations, review_violation, Review, ViolationView};
use crate::domain::policy::{ViolationOutcome, ViolationStatus};
use crate::domain::routing::Direction;
use crate::ui::{btn, field, use_toaster, Badge, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;

fn outcome_tone(o: ViolationOutcome) -> Tone {
    match o {
        ViolationOutcome::Blocked => Tone::Bad,
        ViolationOutcome::Held => Tone::Warn,
        _ => Tone::Neutral,
    }
}

#[component]
pub fn ViolationsPage() -> impl IntoView {
    let toaster = use_toaster();
    let status = RwSignal::new("open".to_string());
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (status.get(), changed.get()), |(s, _)| list_violations(s));
    let reviewing = RwSignal::new(None::<(ViolationView, Review)>);
    let note = RwSignal::new(String::new());
    let act = Action::new(|(id, r, n): &(i64, Review, String)| review_violation(*id, *r, n.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            if let Some((_, r)) = reviewing.get_untracked() {
                toaster.success(match r {
                    Review::ApproveAndSend => "Approved: the text is on its way",
                    Review::Dismiss => "Violation dismissed",
                    Review::Resolve => "Violation resolved",
                });
            }
            reviewing.set(None);
            note.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    let filters = [("open", "Open"), ("approved", "Approved"), ("resolved", "Resolved"), ("dismissed", "Dismissed")];
    view! {
        <leptos_meta::Title text="Violations · Leashline" />
        <PageHeader title="Audit & compliance" subtitle="Texts that looked like sharing contact details or moving off the platform. Review each one." />
        <crate::audit::AuditTabs current="violations" />
        <div class="mb-4 inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
            {filters.into_iter().map(|(key, label)| view! {
                <button type="button" role="tab" data-testid=format!("violations-{key}")
                    aria-selected=move || (status.get() == key).to_string()
                    class=move || format!("rounded-lg px-3 py-1.5 text-sm font-medium {}", if status.get() == key { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" })
                    on:click=move |_| { reviewing.set(None); status.set(key.to_string()); }>{label}</button>
            }).collect_view()}
        </div>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading violations" /></div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! {
                        <EmptyState title="Nothing here" body="When someone tries to share a phone number, email, link or payment handle, it shows up here for review." />
                    }.into_any(),
                    Ok(items) => view! {
                        <ul class="space-y-3" data-testid="violation-list">
                            {items.into_iter().map(|v| {
                                let (a, b, c) = (v.clone(), v.clone(), v.clone());
                                view! {
                                    <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="violation">
                                        <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                                            <div class="min-w-0">
                                                <p class="flex flex-wrap items-center gap-2 text-sm">
                                                    <Badge tone=outcome_tone(v.outcome) text=v.outcome.label() />
                                                    <span class="font-medium text-slate-900">{v.who.clone()}</span>
                                                    <span class="text-slate-500">{format!("{} · {}", if v.direction == Direction::Inbound { "to the business" } else { "to the client" }, v.at)}</span>
                                                </p>
                                                <p class="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-800" data-testid="violation-text">{v.redacted.clone()}</p>
                                                <p class="mt-1 text-xs text-slate-500">{format!("Looked like: {}", v.kinds)}</p>
                                                <p class="mt-1 flex flex-wrap gap-3 text-xs">
                                                    {v.thread_id.map(|t| view! { <a class="font-medium text-emerald-700 underline" href=format!("/inbox/{t}")>{format!("Conversation with {}", v.client.clone().unwrap_or_else(|| "the client".into()))}</a> })}
                                                </p>
                                                {v.reviewed.clone().map(|r| view! { <p class="mt-2 text-sm text-slate-700" data-testid="violation-reviewed">{r}</p> })}
                                            </div>
                                            {(v.status == ViolationStatus::Open).then(|| view! {
                                                <div class="flex shrink-0 flex-wrap gap-2 sm:justify-end">
                                                    {v.can_send.then(|| view! {
                                                        <button type="button" class=btn::SMALL data-testid="violation-approve" on:click=move |_| { act.clear(); reviewing.set(Some((a.clone(), Review::ApproveAndSend))) }>"Approve and send"</button>
                                                    })}
                                                    <button type="button" class=btn::SMALL data-testid="violation-resolve" on:click=move |_| { act.clear(); reviewing.set(Some((b.clone(), Review::Resolve))) }>"Resolve"</button>
                                                    <button type="button" class=btn::SMALL data-testid="violation-dismiss" on:click=move |_| { act.clear(); reviewing.set(Some((c.clone(), Review::Dismiss))) }>"Dismiss"</button>
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
        {move || reviewing.get().map(|(v, r)| {
            let id = v.id;
            let approve = r == Review::ApproveAndSend;
            view! {
                <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" data-testid="violation-dialog">
                    <form class="w-full max-w-md rounded-xl bg-white p-5 shadow-xl" role="dialog" aria-modal="true"
                        on:submit=move |ev| { ev.prevent_default(); act.dispatch((id, r, note.get_untracked())); }>
                        <h2 class="text-base font-semibold text-slate-900">{format!("{}?", r.label())}</h2>
                        <p class="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-700">{v.redacted.clone()}</p>
                        {approve.then(|| view! {
                            <ul class="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-600" data-testid="impact-list">
                                <li>"The stopped text is sent to the client as written, from the conversation's business number."</li>
                                <li>"It's recorded as your override of the anti-poaching check, with your reason."</li>
                            </ul>
                        })}
                        <label class="mt-3 block">
                            <span class=field::LABEL>{if approve { "Why it's fine to send (required)" } else { "Note (optional)" }}</span>
                            <input class=field::INPUT data-testid="violation-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        {move || match act.value().get() {
                            Some(Err(e)) => Some(view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="violation-error">{e.to_string()}</p> }),
                            _ => None,
                        }}
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=btn::GHOST on:click=move |_| reviewing.set(None)>"Cancel"</button>
                            <button type="submit" class=if approve { btn::PRIMARY } else { btn::SECONDARY } data-testid="violation-confirm" disabled=move || act.pending().get()>{r.label()}</button>
                        </div>
                    </form>
                </div>
            }
        })}
    }
}
