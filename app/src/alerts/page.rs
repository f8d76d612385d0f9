//! The alerts screen: open alerts by severity, the archive, the close
//! dialog, and the escalation and alert-rule sections below.

use super::*;
use crate::ui::{btn, field, use_toaster, Badge, EmptyState, Loading, PageHeader, Tone};

/// A severity's badge colour (also the escalation section's).
pub(super) fn tone(s: Severity) -> Tone {
    match s {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Info,
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let toaster = use_toaster();
    let archive = RwSignal::new(false);
    let changed = RwSignal::new(0u32);
    let alerts = Resource::new(move || (archive.get(), changed.get()), |(a, _)| list_alerts(a));
    let closing = RwSignal::new(None::<(AlertView, bool)>);
    let note = RwSignal::new(String::new());
    let close = Action::new(|(id, dismiss, n): &(i64, bool, String)| close_alert(*id, *dismiss, n.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = close.value().get() {
            let what = closing.get_untracked().map(|(_, d)| if d { "Alert dismissed" } else { "Alert resolved" });
            toaster.success(what.unwrap_or("Done"));
            closing.set(None);
            note.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    let tab = move |is_archive: bool, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (archive.get() == is_archive).to_string()
                data-testid=if is_archive { "alerts-archive-tab" } else { "alerts-open-tab" }
                class=move || format!(
                    "rounded-lg px-3 py-1.5 text-sm font-medium {}",
                    if archive.get() == is_archive { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" }
                )
                on:click=move |_| { closing.set(None); archive.set(is_archive); }>{label}</button>
        }
    };
    view! {
        <leptos_meta::Title text="Alerts · Leashline" />
        <PageHeader title="Alerts" subtitle="Things that need your attention, most urgent first. Each cause raises one alert and counts repeats.">
            <div class="inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
                {tab(false, "Open")}
                {tab(true, "Archive")}
            </div>
        </PageHeader>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading alerts" /></div> }>
            {move || Suspend::new(async move {
                let is_archive = archive.get_untracked();
                match alerts.await {
                    Ok(list) if list.is_empty() => if is_archive {
                        view! { <EmptyState title="Nothing in the archive yet" body="Resolved and dismissed alerts are kept here, with who closed them and when." /> }.into_any()
                    } else {
                        view! { <EmptyState title="All clear" body="Delivery problems, policy violations, clients waiting and other issues will show up here." /> }.into_any()
                    },
                    Ok(list) => {
                        let groups: Vec<(Severity, Vec<AlertView>)> = Severity::ALL
                            .into_iter()
                            .map(|s| (s, list.iter().filter(|a| a.severity == s).cloned().collect::<Vec<_>>()))
                            .filter(|(_, v)| !v.is_empty())
                            .collect();
                        view! {
                            <div class="space-y-6" data-testid="alert-groups">
                                {groups.into_iter().map(|(sev, items)| view! {
                                    <section data-testid=format!("alerts-{}", sev.as_str())>
                                        <h2 class="mb-2 flex items-center gap-2 text-sm font-semibold text-slate-900">
                                            <Badge tone=tone(sev) text=sev.label() />
                                            {format!("{} alert{}", items.len(), if items.len() == 1 { "" } else { "s" })}
                                        </h2>
                                        <ul class="space-y-3">
                                            {items.into_iter().map(|a| view! { <AlertCard alert=a closing=closing /> }).collect_view()}
                                        </ul>
                                    </section>
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <escalation::EscalationSection />
        <rules::AlertRulesSection />
        {move || closing.get().map(|(a, dismiss)| {
            let id = a.id;
            view! {
                <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" data-testid="alert-close-dialog">
                    <form class="w-full max-w-md rounded-xl bg-white p-5 shadow-xl" role="dialog" aria-modal="true"
                        on:submit=move |ev| { ev.prevent_default(); close.dispatch((id, dismiss, note.get_untracked())); }>
                        <h2 class="text-base font-semibold text-slate-900">{if dismiss { "Dismiss this alert?" } else { "Resolve this alert?" }}</h2>
                        <p class="mt-1 text-sm text-slate-600">{a.title.clone()}</p>
                        <p class="mt-2 text-xs text-slate-500">
                            {if dismiss { "Dismiss when it isn't a real problem. It moves to the archive with your name." } else { "Resolve when the cause is fixed. It moves to the archive with your name; if it happens again, a new alert opens." }}
                        </p>
                        <label class="mt-3 block">
                            <span class=field::LABEL>{if dismiss { "Why (optional)" } else { "What you did (optional)" }}</span>
                            <input class=field::INPUT data-testid="alert-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        {move || match close.value().get() {
                            Some(Err(e)) => Some(view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="alert-error">{e.to_string()}</p> }),
                            _ => None,
                        }}
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=btn::GHOST on:click=move |_| closing.set(None)>"Cancel"</button>
                            <button type="submit" class=if dismiss { btn::SECONDARY } else { btn::PRIMARY } data-testid="alert-confirm" disabled=move || close.pending().get()>
                                {if dismiss { "Dismiss" } else { "Resolve" }}
                            </button>
                        </div>
                    </form>
                </div>
            }
        })}
    }
}

#[component]
fn AlertCard(alert: AlertView, closing: RwSignal<Option<(AlertView, bool)>>) -> impl IntoView {
    let a = alert.clone();
    let b = alert.clone();
    let open = alert.status == AlertStatus::Open;
    let critical = alert.severity == Severity::Critical;
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="alert-card" data-severity=alert.severity.as_str()>
            <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <p class="font-medium text-slate-900">{alert.title.clone()}</p>
                    <p class="mt-0.5 text-sm text-slate-600">{alert.body.clone()}</p>
                    <p class="mt-1 text-xs text-slate-500">
                        {if alert.count > 1 { format!("Seen {} times · first {} · last {}", alert.count, alert.first_seen, alert.last_seen) } else { format!("Raised {}", alert.first_seen) }}
                    </p>
                    <p class="mt-1 flex flex-wrap gap-3 text-xs">
                        {alert.thread_id.map(|t| view! { <a class="font-medium text-emerald-700 underline" href=format!("/inbox/{t}")>"Open the conversation"</a> })}
                        {alert.number.clone().map(|n| view! { <a class="font-medium text-emerald-700 underline" href="/numbers">{format!("Number {n}")}</a> })}
                    </p>
                    {alert.closed.clone().map(|c| view! { <p class="mt-2 text-sm text-slate-700" data-testid="alert-closed">{c}</p> })}
                </div>
                {open.then(|| view! {
                    <div class="flex shrink-0 flex-col items-stretch gap-1 sm:items-end">
                        <div class="flex gap-2">
                            <button type="button" class=btn::SMALL data-testid="alert-resolve" on:click=move |_| closing.set(Some((a.clone(), false)))>"Resolve"</button>
                            {(!critical).then(|| view! {
                                <button type="button" class=btn::SMALL data-testid="alert-dismiss" on:click=move |_| closing.set(Some((b.clone(), true)))>"Dismiss"</button>
                            })}
                        </div>
                        {critical.then(|| view! { <span class="text-xs text-slate-500" data-testid="alert-critical-note">"Critical: resolve only"</span> })}
                    </div>
                })}
            </div>
        </li>
    }
}
