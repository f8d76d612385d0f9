//! Clients in People: search, the editor (name, notes, phone numbers,
//! opt-out everywhere) and merging an "Unknown" client, each change
//! through `service`.

use super::*;
use crate::ui::{btn, field, use_toaster, Badge, Card, EmptyState, Loading, Tone};

#[component]
pub fn ClientsPanel() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (applied.get(), changed.get()), |(q, _)| list_clients(q));
    let editing = RwSignal::new(None::<ClientRow>);
    view! {
        <Card title="Clients" class="mt-6">
            <form class="mb-4 flex flex-wrap items-end gap-3" role="search" on:submit=move |ev| { ev.prevent_default(); applied.set(query.get_untracked()); }>
                <label class="block min-w-[14rem] flex-1">
                    <span class=field::LABEL>"Search clients"</span>
                    <input class=field::INPUT type="search" placeholder="Name or phone number" data-testid="client-search"
                        prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=btn::SECONDARY data-testid="client-search-go">"Search"</button>
            </form>
            {move || editing.get().map(|c| view! { <ClientEditor client=c editing=editing changed=changed /> })}
            <Transition fallback=|| view! { <Loading label="Loading clients" /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! {
                            <EmptyState title="No clients found" body="Clients appear here when they text one of your numbers or are added by your booking software." />
                        }.into_any(),
                        Ok(l) => view! {
                            <p class="mb-2 text-xs text-slate-500" data-testid="client-count">
                                {if l.total as usize > l.items.len() { format!("Showing {} of {} clients: search to narrow it down.", l.items.len(), l.total) } else { format!("{} client{}", l.total, if l.total == 1 { "" } else { "s" }) }}
                            </p>
                            <div class="relative overflow-x-auto">
                                <table class="min-w-full text-sm" data-testid="clients">
                                    <thead>
                                        <tr class="border-b border-slate-200 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                            <th class="py-2 pr-4">"Client"</th>
                                            <th class="py-2 pr-4">"Phone numbers"</th>
                                            <th class="hidden py-2 pr-4 sm:table-cell">"Conversations"</th>
                                            <th class="hidden py-2 pr-4 md:table-cell">"Last text"</th>
                                            <th class="py-2"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {l.items.into_iter().map(|c| {
                                            let row = c.clone();
                                            view! {
                                                <tr class="border-b border-slate-100 align-top last:border-0" data-testid="client-row">
                                                    <td class="py-2 pr-4">
                                                        <span class="font-medium text-slate-900">{c.name.clone()}</span>
                                                        <span class="ml-2 inline-flex gap-1">
                                                            {c.unknown.then(|| view! { <Badge tone=Tone::Warn text="Unknown" /> })}
                                                            {c.opted_out_everywhere.then(|| view! { <Badge tone=Tone::Bad text="Opted out everywhere" /> })}
                                                        </span>
                                                    </td>
                                                    <td class="py-2 pr-4">
                                                        {c.contacts.into_iter().map(|p| view! {
                                                            <span class="block whitespace-nowrap text-slate-700">
                                                                {p.display}
                                                                {(!p.opted_out_of.is_empty()).then(|| view! {
                                                                    <span class="ml-1"><Badge tone=Tone::Bad text="Opted out" title=format!("Sent STOP to {}", p.opted_out_of.join(", ")) /></span>
                                                                })}
                                                            </span>
                                                        }).collect_view()}
                                                    </td>
                                                    <td class="hidden py-2 pr-4 tabular-nums text-slate-600 sm:table-cell">{c.conversations}</td>
                                                    <td class="hidden py-2 pr-4 text-slate-600 md:table-cell">{c.last_text.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td class="whitespace-nowrap py-2 text-right">
                                                        <a href=format!("/conversations/new?client={}", c.id) class=format!("{} mr-1", btn::SMALL) data-testid="client-text">"Text"</a>
                                                        <button type="button" class=btn::SMALL data-testid="client-edit" on:click=move |_| editing.set(Some(row.clone()))>
                                                            {if c.unknown { "Edit or merge" } else { "Edit" }}
                                                        </button>
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
        </Card>
    }
}

#[component]
fn ClientEditor(client: ClientRow, editing: RwSignal<Option<ClientRow>>, changed: RwSignal<u32>) -> impl IntoView {
    let toaster = use_toaster();
    let form = RwSignal::new(ClientForm {
        id: client.id,
        name: if client.unknown { String::new() } else { client.name.clone() },
        notes: client.notes.clone(),
        phones: client.contacts.iter().map(|p| p.display.clone()).collect::<Vec<_>>().join("\n"),
        opted_out_everywhere: client.opted_out_everywhere,
    });
    let save = Action::new(|f: &ClientForm| save_client(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            toaster.success(if changes.is_empty() {
                "Nothing changed.".to_string()
            } else {
                format!("Saved. {}", changes.join("; "))
            });
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(save, name);
    let id = client.id;
    view! {
        <div class="mb-5 rounded-xl border border-emerald-200 bg-emerald-50/40 p-4" data-testid="client-editor">
            <div class="mb-3 flex items-center justify-between">
                <h3 class="text-sm font-semibold text-slate-900">{format!("Edit {}", client.name)}</h3>
                <button type="button" class=btn::GHOST on:click=move |_| editing.set(None)>"Close"</button>
            </div>
            <form class="grid gap-3 md:grid-cols-2" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                <label class="block">
                    <span class=field::LABEL>"Name"</span>
                    <input class=field::INPUT data-testid="client-name" placeholder=if client.unknown { "Who is this?" } else { "" }
                        aria-invalid=move || err_for("name")().is_some().to_string()
                        prop:value=move || form.get().name on:input=move |ev| form.update(|f| f.name = event_target_value(&ev)) />
                    {move || err_for("name")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                </label>
                <label class="block md:row-span-2">
                    <span class=field::LABEL>"Phone numbers (one per line)"</span>
                    <textarea class=field::INPUT rows="3" data-testid="client-phones"
                        aria-invalid=move || err_for("phones")().is_some().to_string()
                        prop:value=move || form.get().phones on:input=move |ev| form.update(|f| f.phones = event_target_value(&ev))></textarea>
                    {move || err_for("phones")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="client-phones-error">{e}</span> })}
                </label>
                <label class="block">
                    <span class=field::LABEL>"Notes"</span>
                    <input class=field::INPUT data-testid="client-notes" placeholder="Gate code, pets' names…"
                        prop:value=move || form.get().notes on:input=move |ev| form.update(|f| f.notes = event_target_value(&ev)) />
                </label>
                <label class="flex items-start gap-2 text-sm text-slate-700 md:col-span-2">
                    <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="client-opt-out" prop:checked=move || form.get().opted_out_everywhere
                        on:change=move |ev| form.update(|f| f.opted_out_everywhere = event_target_checked(&ev)) />
                    <span><b>"Opted out everywhere"</b>" — send them nothing from any number (they asked not to be texted)."</span>
                </label>
                {move || match save.value().get() {
                    Some(Err(e)) if e.field_name().is_none() => Some(view! { <p class="text-sm text-red-700 md:col-span-2" role="alert">{e.to_string()}</p> }),
                    _ => None,
                }}
                <div class="md:col-span-2">
                    <button type="submit" class=btn::PRIMARY data-testid="client-save" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save client" }}
                    </button>
                </div>
            </form>
            {client.unknown.then(|| view! { <ClientMerge id=id editing=editing changed=changed /> })}
        </div>
    }
}

/// Merging an Unknown client into a named one: "this is an existing client
/// texting from a new phone". Previewed, then confirmed.
#[component]
fn ClientMerge(id: i64, editing: RwSignal<Option<ClientRow>>, changed: RwSignal<u32>) -> impl IntoView {
    let toaster = use_toaster();
    let candidates = Resource::new(|| (), |_| list_clients(String::new()));
    let into = RwSignal::new(String::new());
    let merge_preview = Action::new(|(a, b): &(i64, i64)| merge_client(*a, *b, true));
    let merge = Action::new(|(a, b): &(i64, i64)| merge_client(*a, *b, false));
    Effect::new(move |_| {
        if let Some(Ok(_)) = merge.value().get() {
            toaster.success("Merged.");
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    let into_id = move || into.get().parse::<i64>().ok();
    view! {
        <div class="mt-5 border-t border-emerald-200 pt-4" data-testid="client-merge">
            <h4 class="text-sm font-semibold text-slate-900">"Or: this is an existing client texting from a new phone"</h4>
            <div class="mt-2 flex flex-wrap items-end gap-3">
                <label class="block min-w-[14rem]">
                    <span class=field::LABEL>"Merge into"</span>
                    <select class=field::INPUT data-testid="merge-into" prop:value=move || into.get()
                        on:change=move |ev| { into.set(event_target_value(&ev)); if let Ok(b) = event_target_value(&ev).parse::<i64>() { merge_preview.dispatch((id, b)); } }>
                        <option value="">"Choose a client…"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                candidates.await.map(|l| l.items.into_iter().filter(|c| !c.unknown).map(|c| view! {
                                    <option value=c.id.to_string()>{c.name}</option>
                                }).collect_view()).unwrap_or_default()
                            })}
                        </Transition>
                    </select>
                </label>
            </div>
            {move || merge_preview.value().get().map(|r| match r {
                Ok(lines) => view! {
                    <div class="mt-3 rounded-lg border border-slate-200 bg-white p-3" data-testid="merge-impact">
                        <p class="text-sm font-medium text-slate-900">"What merging does:"</p>
                        <ul class="mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-700">
                            {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                        </ul>
                        <button type="button" class=format!("mt-3 {}", btn::DANGER) data-testid="merge-confirm" disabled=move || merge.pending().get()
                            on:click=move |_| { if let Some(b) = into_id() { merge.dispatch((id, b)); } }>
                            "Merge them"
                        </button>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="mt-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            {move || match merge.value().get() {
                Some(Err(e)) => Some(view! { <p class="mt-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }),
                _ => None,
            }}
        </div>
    }
}
