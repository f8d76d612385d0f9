//! The routing page: rules, simulator, overrides and history, for one
//! conversation at a time (`?thread=` picks it; the list offers the most
//! recent 300).

use super::simulator::{SimInputs, Simulator};
use super::{
    create_override, remove_override, routing_history, routing_overview, simulator_base, HistoryRow, OverrideRow,
    RoutingData, TraceView, DURATIONS,
};
use crate::domain::ids::{ClientId, ThreadId};
use crate::inbox::routing_decision;
use crate::live::use_live;
use crate::ui::{btn, field, use_toaster, Badge, Card, ConfirmDialog, Loading, PageHeader, Tone};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What the page looks at: a conversation, or a client with none yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Thread(ThreadId),
    Client(ClientId),
}

impl Pick {
    fn value(self) -> String {
        match self {
            Pick::Thread(t) => format!("t:{}", t.0),
            Pick::Client(c) => format!("c:{}", c.0),
        }
    }
    fn parse(s: &str) -> Option<Pick> {
        let (kind, id) = s.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "t" => Some(Pick::Thread(ThreadId(id))),
            "c" => Some(Pick::Client(ClientId(id))),
            _ => None,
        }
    }
}

#[component]
pub fn RoutingPage() -> impl IntoView {
    let live = use_live();
    let changed = RwSignal::new(0u64);
    let overview = Resource::new(move || (live.version.get(), changed.get()), |_| routing_overview());
    let from_query = use_query_map()
        .with_untracked(|q| q.get("thread").and_then(|s| s.parse::<i64>().ok()).map(|t| Pick::Thread(ThreadId(t))));
    let chosen = RwSignal::new(from_query);
    // Nothing chosen means the most recent conversation: the server picks it
    // for each request, so no fetch here waits on another.
    let base = Resource::new(
        move || (chosen.get(), changed.get()),
        |(p, _)| match p {
            Some(Pick::Thread(t)) => simulator_base(Some(t), None),
            Some(Pick::Client(c)) => simulator_base(None, Some(c)),
            None => simulator_base(None, None),
        },
    );
    let thread = Memo::new(move |_| match chosen.get() {
        Some(Pick::Thread(t)) => Some(t),
        Some(Pick::Client(_)) => None,
        None => base.get().and_then(|r| r.ok()).flatten().map(|b| b.snapshot.thread.id).filter(|t| t.0 != 0),
    });
    let inputs = SimInputs::new();
    view! {
        <leptos_meta::Title text="Routing · Leashline" />
        <PageHeader title="Routing" subtitle="Who receives each incoming text, and why. Try any moment in the simulator; nothing there changes anything." />
        <Transition fallback=|| view! { <Loading label="Loading routing" /> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Overview o=o chosen=chosen thread=thread inputs=inputs changed=changed /> }.into_any(),
                    Err(e) => view! { <p class="rounded-lg bg-red-50 p-4 text-sm text-red-800" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <Card title="Simulator" class="mt-6">
            <div class="p-5">
                <Transition fallback=|| view! { <Loading label="Loading the conversation's windows and overrides" /> }>
                    {move || Suspend::new(async move {
                        match base.await {
                            Ok(Some(b)) => view! { <Simulator base=b inputs=inputs /> }.into_any(),
                            Ok(None) => view! { <p class="text-sm text-slate-500">"No conversations yet: the simulator needs one to try."</p> }.into_any(),
                            Err(e) => view! { <p class="rounded-lg bg-red-50 p-3 text-sm text-red-800" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
        </Card>
        <History chosen=chosen />
    }
}

#[component]
fn Overview(
    o: RoutingData,
    chosen: RwSignal<Option<Pick>>,
    thread: Memo<Option<ThreadId>>,
    inputs: SimInputs,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let threads = o.threads.clone();
    let new_clients = o.new_clients.clone();
    let current = move || chosen.get().or_else(|| thread.get().map(Pick::Thread));
    // With nothing picked the list shows its first (most recent)
    // conversation, which is also the one the simulator shows: overrides
    // act on it even before the simulator's answer has arrived.
    let most_recent = o.threads.first().map(|t| t.id);
    let target = Signal::derive(move || match chosen.get() {
        None => thread.get().or(most_recent),
        Some(_) => thread.get(),
    });
    view! {
        <Card title="Rules, in the order they are tried">
            <div class="overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="rules-table">
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                        <tr>
                            <th class="px-4 py-2">"#"</th>
                            <th class="px-4 py-2">"Rule"</th>
                            <th class="px-4 py-2">"What it does"</th>
                            <th class="px-4 py-2">"Last decided"</th>
                            <th class="px-4 py-2 text-right">"Last 24 h"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {o.rules
                            .into_iter()
                            .enumerate()
                            .map(|(i, r)| {
                                view! {
                                    <tr data-testid="rule-row">
                                        <td class="px-4 py-3 text-slate-400">{i + 1}</td>
                                        <td class="whitespace-nowrap px-4 py-3 font-medium text-slate-900">{r.title}</td>
                                        <td class="px-4 py-3 text-slate-600">{r.plain}</td>
                                        <td class="whitespace-nowrap px-4 py-3 text-slate-500">{r.last_evaluated.unwrap_or_else(|| "Never".into())}</td>
                                        <td class="px-4 py-3 text-right font-semibold tabular-nums text-slate-900">{r.decided_24h}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </Card>
        <div class="mt-6">
            <label class=field::LABEL for="routing-thread">"Conversation"</label>
            <select
                id="routing-thread"
                class=format!("{} max-w-xl", field::INPUT)
                data-testid="routing-thread"
                on:change=move |ev| {
                    inputs.reset();
                    chosen.set(Pick::parse(&event_target_value(&ev)));
                }
            >
                <optgroup label="Conversations">
                    {threads
                        .into_iter()
                        .map(|t| {
                            let p = Pick::Thread(t.id);
                            view! { <option value=p.value() selected=move || current() == Some(p)>{t.label}</option> }
                        })
                        .collect_view()}
                </optgroup>
                {(!new_clients.is_empty()).then(|| view! {
                    <optgroup label="Clients with no conversation yet (preview)">
                        {new_clients
                            .into_iter()
                            .map(|c| {
                                let p = Pick::Client(c.id);
                                view! { <option value=p.value() selected=move || current() == Some(p)>{format!("{} — first text to the Front Desk", c.name)}</option> }
                            })
                            .collect_view()}
                    </optgroup>
                })}
            </select>
        </div>
        <Overrides o_overrides=o.overrides sitters=o.sitters thread=target changed=changed />
    }
}

#[component]
fn Overrides(
    o_overrides: Vec<OverrideRow>,
    sitters: Vec<super::SitterOption>,
    thread: Signal<Option<ThreadId>>,
    changed: RwSignal<u64>,
) -> impl IntoView {
    view! {
        <Card title="Overrides" class="mt-6">
            <div class="grid gap-6 p-5 lg:grid-cols-5">
                <OverrideForm sitters=sitters thread=thread changed=changed />
                <div class="lg:col-span-3">
                    <OverrideList rows=o_overrides changed=changed />
                </div>
            </div>
        </Card>
    }
}

/// Where to send the conversation's texts, for how long and why; confirmed
/// with the sentence the routing history will show.
#[component]
fn OverrideForm(
    sitters: Vec<super::SitterOption>,
    thread: Signal<Option<ThreadId>>,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let toaster = use_toaster();
    let target = RwSignal::new("owner_inbox".to_string());
    let duration = RwSignal::new("4h".to_string());
    let reason = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let sitter_names: Vec<(String, String)> =
        sitters.iter().map(|s| (format!("sitter:{}", s.id.0), s.name.clone())).collect();
    let names = StoredValue::new(sitter_names.clone());
    let create = Action::new(move |(t, target, duration, reason): &(ThreadId, String, String, String)| {
        create_override(*t, target.clone(), duration.clone(), reason.clone())
    });
    Effect::new(move |_| {
        if let Some(r) = create.value().get() {
            match r {
                Ok(_) => {
                    open.set(false);
                    reason.set(String::new());
                    error.set(None);
                    toaster.success("Override set");
                    changed.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    });
    let target_label = move || {
        let t = target.get();
        if t == "owner_inbox" {
            "the owner inbox".to_string()
        } else {
            names
                .with_value(|n| n.iter().find(|(k, _)| *k == t).map(|(_, v)| v.clone()))
                .unwrap_or_else(|| "a sitter".into())
        }
    };
    let duration_label = move || {
        let d = duration.get();
        DURATIONS.iter().find(|(k, _)| *k == d).map(|(_, v)| v.to_lowercase()).unwrap_or_default()
    };
    let preview = move || {
        let how_long = if duration.get() == "until_removed" {
            "until you remove it".to_string()
        } else {
            format!("for the next {}", duration_label())
        };
        format!(
            "Every incoming text on this conversation goes to {} {how_long}, whatever the assignment windows say.",
            target_label()
        )
    };
    view! {
        <form
            class="space-y-4 lg:col-span-2"
            data-testid="override-form"
            on:submit=move |ev| {
                ev.prevent_default();
                if reason.get_untracked().trim().is_empty() {
                    error.set(Some("Say why: the reason is shown in the history and the conversation header.".into()));
                    return;
                }
                error.set(None);
                open.set(true);
            }
        >
            <p class="text-sm text-slate-600">"Send this conversation's texts somewhere else for a while — a sitter is sick, or you want to handle a client yourself."</p>
            <div>
                <label class=field::LABEL for="override-target">"Send texts to"</label>
                <select id="override-target" class=field::INPUT data-testid="override-target" on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="owner_inbox">"Owner inbox"</option>
                    {sitter_names.into_iter().map(|(k, v)| view! { <option value=k>{v}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label class=field::LABEL for="override-duration">"For"</label>
                <select id="override-duration" class=field::INPUT data-testid="override-duration" on:change=move |ev| duration.set(event_target_value(&ev))>
                    {DURATIONS.iter().map(|(k, v)| view! { <option value=*k selected=*k == "4h">{*v}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label class=field::LABEL for="override-reason">"Reason"</label>
                <input
                    id="override-reason"
                    class=field::INPUT
                    data-testid="override-reason"
                    placeholder="Maya is off sick today"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            </div>
            <p class="rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="override-preview">{preview}</p>
            {move || (!open.get()).then(|| error.get()).flatten().map(|e| view! { <p class="text-sm text-red-700" role="alert" data-testid="override-error">{e}</p> })}
            <button type="submit" class=btn::PRIMARY data-testid="override-set" disabled=move || thread.get().is_none()>"Set override…"</button>
        </form>
        <ConfirmDialog
            open=open
            title=Signal::derive(move || format!("Send texts to {}?", target_label()))
            impact=Signal::derive(move || vec![preview(), "It shows as an owner override in the conversation header and the routing history.".to_string(), "It is recorded in the audit trail with your reason.".to_string()])
            confirm_label="Set override"
            pending=create.pending()
            error=Signal::derive(move || error.get())
            on_confirm=Callback::new(move |_| {
                if let Some(t) = thread.get_untracked() {
                    create.dispatch((t, target.get_untracked(), duration.get_untracked(), reason.get_untracked()));
                }
            })
        />
    }
}

/// The overrides set so far; an active one can be removed.
#[component]
fn OverrideList(rows: Vec<OverrideRow>, changed: RwSignal<u64>) -> impl IntoView {
    let toaster = use_toaster();
    let remove_id = RwSignal::new(None::<OverrideRow>);
    let remove_open = RwSignal::new(false);
    let remove = Action::new(move |id: &i64| remove_override(*id));
    let remove_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(r) = remove.value().get() {
            match r {
                Ok(()) => {
                    remove_open.set(false);
                    remove_error.set(None);
                    toaster.success("Override removed");
                    changed.update(|v| *v += 1);
                }
                Err(e) => remove_error.set(Some(e.to_string())),
            }
        }
    });
    view! {
        {if rows.is_empty() {
            view! { <p class="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500" data-testid="overrides-empty">"No overrides yet. Texts follow the rules above."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="overrides-list">
                    {rows
                        .into_iter()
                        .map(|r| {
                            let tone = if r.active { Tone::Warn } else { Tone::Neutral };
                            let row = r.clone();
                            view! {
                                <li class="flex flex-wrap items-start justify-between gap-3 px-4 py-3" data-testid="override-row">
                                    <div class="min-w-0">
                                        <div class="flex flex-wrap items-center gap-2">
                                            <Badge tone=tone text=r.state.clone() />
                                            <span class="text-sm font-medium text-slate-900">{format!("To {}", r.target)}</span>
                                        </div>
                                        <p class="mt-0.5 truncate text-sm text-slate-600">{r.thread_label.clone()}</p>
                                        <p class="text-xs text-slate-500">{format!("{} → {} · “{}” · set by {}", r.starts, r.ends, r.reason, r.created_by)}</p>
                                    </div>
                                    {r.active.then(|| view! {
                                        <button type="button" class=btn::SMALL data-testid="override-remove" on:click=move |_| {
                                            remove_id.set(Some(row.clone()));
                                            remove_error.set(None);
                                            remove_open.set(true);
                                        }>"Remove"</button>
                                    })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        }}
        <ConfirmDialog
            open=remove_open
            title="Remove this override?"
            impact=Signal::derive(move || {
                remove_id.get().map(|r| vec![format!("Texts on {} follow the normal rules again straight away.", r.thread_label), "The override stays in the history.".to_string()]).unwrap_or_default()
            })
            confirm_label="Remove override"
            destructive=true
            pending=remove.pending()
            error=Signal::derive(move || remove_error.get())
            on_confirm=Callback::new(move |_| {
                if let Some(r) = remove_id.get_untracked() {
                    remove.dispatch(r.id);
                }
            })
        />
    }
}

#[component]
fn History(chosen: RwSignal<Option<Pick>>) -> impl IntoView {
    let live = use_live();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let rule = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let rows = Resource::new(
        move || (chosen.get(), from.get(), to.get(), rule.get(), result.get(), live.version.get()),
        |(p, f, to, r, res, _)| async move {
            match p {
                // A client with no conversation has no history yet.
                Some(Pick::Client(_)) => Ok(Vec::new()),
                Some(Pick::Thread(t)) => routing_history(Some(t), f, to, r, res).await,
                None => routing_history(None, f, to, r, res).await,
            }
        },
    );
    let open = RwSignal::new(None::<i64>);
    view! {
        <Card title="Routing history" class="mt-6">
            <div class="flex flex-wrap items-end gap-3 border-b border-slate-100 p-4 text-sm" data-testid="history-filters">
                <label class="flex flex-col gap-1 text-xs text-slate-600">"From"<input type="date" class=field::INPUT on:change=move |ev| from.set(event_target_value(&ev)) /></label>
                <label class="flex flex-col gap-1 text-xs text-slate-600">"To"<input type="date" class=field::INPUT on:change=move |ev| to.set(event_target_value(&ev)) /></label>
                <label class="flex flex-col gap-1 text-xs text-slate-600">
                    "Rule"
                    <select class=field::INPUT data-testid="history-rule" on:change=move |ev| rule.set(event_target_value(&ev))>
                        <option value="">"Any rule"</option>
                        <option value="safety">"Safety checks"</option>
                        <option value="override">"Override"</option>
                        <option value="window">"Assignment window"</option>
                        <option value="default">"Owner inbox"</option>
                    </select>
                </label>
                <label class="flex flex-col gap-1 text-xs text-slate-600">
                    "Result"
                    <select class=field::INPUT data-testid="history-result" on:change=move |ev| result.set(event_target_value(&ev))>
                        <option value="">"Any result"</option>
                        <option value="sitter">"To a sitter"</option>
                        <option value="owner_inbox">"To the owner inbox"</option>
                        <option value="record_only">"Recorded only"</option>
                        <option value="rejected">"Refused"</option>
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <div class="p-4"><Loading label="Loading decisions" /></div> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) if list.is_empty() => view! { <p class="p-6 text-center text-sm text-slate-500" data-testid="history-empty">"No decisions match. Every incoming text on this conversation appears here."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-100" data-testid="history">
                                {list.into_iter().map(|r| view! { <HistoryItem r=r open=open /> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="p-4 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn HistoryItem(r: HistoryRow, open: RwSignal<Option<i64>>) -> impl IntoView {
    let id = r.id;
    let detail = Action::new(move |id: &i64| routing_decision(*id));
    let tone = match r.rule {
        crate::domain::routing::Rule::Override => Tone::Warn,
        crate::domain::routing::Rule::Window => Tone::Good,
        crate::domain::routing::Rule::Safety => Tone::Bad,
        crate::domain::routing::Rule::Default => Tone::Info,
    };
    view! {
        <li class="px-4 py-3" data-testid="history-item">
            <button
                type="button"
                class="flex w-full flex-wrap items-center gap-2 text-left"
                aria-expanded=move || (open.get() == Some(id)).to_string()
                on:click=move |_| {
                    if open.get_untracked() == Some(id) {
                        open.set(None);
                    } else {
                        open.set(Some(id));
                        if detail.value().get_untracked().is_none() {
                            detail.dispatch(id);
                        }
                    }
                }
            >
                <span class="w-40 shrink-0 text-xs text-slate-500">{r.at.clone()}</span>
                <Badge tone=tone text=if r.rule == crate::domain::routing::Rule::Override { "Owner override" } else { r.rule.label() } />
                <span class="text-sm font-medium text-slate-900">{r.target.clone()}</span>
                <span class="min-w-0 flex-1 truncate text-sm text-slate-600">{r.reason.clone()}</span>
            </button>
            <Show when=move || open.get() == Some(id)>
                <div class="mt-3 rounded-lg border border-slate-200 p-4" data-testid="history-detail">
                    {move || match detail.value().get() {
                        None => view! { <Loading label="Replaying" /> }.into_any(),
                        Some(Ok(d)) => view! {
                            <div>
                                {if d.replay_identical {
                                    view! { <p class="mb-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-800" data-testid="replay-result">"Replayed on the stored snapshot: identical decision."</p> }.into_any()
                                } else {
                                    view! { <p class="mb-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="replay-result">"Replaying gives a different decision (the rules changed since: stored under " {d.ruleset_version.clone()} ")."</p> }.into_any()
                                }}
                                <TraceView reason=d.reason.clone() trace=d.trace.clone() ruleset=d.ruleset_version.clone() />
                            </div>
                        }
                        .into_any(),
                        Some(Err(e)) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }}
                </div>
            </Show>
        </li>
    }
}
