//! The audit timeline page: filters, the hash-chain check, CSV export of
//! the filtered set, and each event with its details and links.

use super::{audit_timeline, verify_audit_chain, AuditFilter, AuditRow};
use crate::ui::{btn, field, Badge, Card, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;

const ACTORS: [(&str, &str); 7] = [
    ("", "Anyone"),
    ("owner", "Owner"),
    ("sitter", "Sitter"),
    ("client", "Client"),
    ("system", "System"),
    ("automation", "Automation"),
    ("api_key", "API key"),
];

fn actor_tone(kind: &str) -> Tone {
    match kind {
        "owner" | "admin" => Tone::Brand,
        "sitter" => Tone::Info,
        "client" => Tone::Good,
        "automation" | "api_key" => Tone::Warn,
        _ => Tone::Neutral,
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let draft = RwSignal::new(AuditFilter::default());
    let applied = RwSignal::new(AuditFilter::default());
    let first = Resource::new(move || applied.get(), |f| audit_timeline(f, None));
    let more = RwSignal::new(Vec::<AuditRow>::new());
    let next = RwSignal::new(None::<i64>);
    let load_more = Action::new(move |(f, b): &(AuditFilter, i64)| audit_timeline(f.clone(), Some(*b)));
    Effect::new(move |_| {
        if let Some(Ok(p)) = load_more.value().get() {
            more.update(|m| m.extend(p.items));
            next.set(p.next_before);
        }
    });
    let verify = Action::new(|_: &()| verify_audit_chain());
    // Filled from the first page, so the list is fetched once.
    let types = RwSignal::new(Vec::<String>::new());
    let apply = move || {
        more.set(Vec::new());
        next.set(None);
        applied.set(draft.get_untracked());
    };
    let export_href = move || {
        let q = applied.get().query_string();
        if q.is_empty() {
            "/audit/export.csv".to_string()
        } else {
            format!("/audit/export.csv?{q}")
        }
    };
    view! {
        <leptos_meta::Title text="Audit · Leashline" />
        <PageHeader title="Audit & compliance" subtitle="Every change and decision, in an append-only trail that can be checked.">
            <a class=btn::SECONDARY href=export_href data-testid="audit-export" download="">"Export CSV"</a>
            <button type="button" class=btn::SECONDARY data-testid="audit-verify" disabled=move || verify.pending().get() on:click=move |_| { verify.dispatch(()); }>
                {move || if verify.pending().get() { "Checking…" } else { "Verify audit chain" }}
            </button>
        </PageHeader>
        <AuditTabs current="timeline" />
        {move || verify.value().get().map(|r| match r {
            Ok(s) => view! {
                <div class=if s.intact { "mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900" } else { "mb-4 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" } data-testid="audit-chain" role="status">
                    <b>{if s.intact { "Chain intact. " } else { "Chain broken. " }}</b>{s.detail}
                </div>
            }.into_any(),
            Err(e) => view! { <p class="mb-4 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Card>
            <AuditFilters draft=draft types=types apply=Callback::new(move |_| apply()) />
        </Card>
        <div class="mt-4">
            <Transition fallback=|| view! { <Loading label="Loading the audit trail" /> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(p) if p.items.is_empty() => {
                            types.set(p.event_types.clone());
                            view! {
                            <EmptyState title="No events match" body="Try other filters or a wider date range." />
                        }.into_any()
                        }
                        Ok(p) => {
                            next.set(p.next_before);
                            types.set(p.event_types.clone());
                            view! {
                                <ol class="space-y-2" data-testid="audit-timeline">
                                    {p.items.into_iter().map(|r| view! { <Event row=r /> }).collect_view()}
                                    <For each=move || more.get() key=|r| r.id let:r>
                                        <Event row=r />
                                    </For>
                                </ol>
                                <Show when=move || next.get().is_some()>
                                    <div class="mt-4 text-center">
                                        <button type="button" class=btn::SECONDARY data-testid="audit-more" disabled=move || load_more.pending().get()
                                            on:click=move |_| {
                                                if let Some(b) = next.get_untracked() {
                                                    load_more.dispatch((applied.get_untracked(), b));
                                                }
                                            }>
                                            {move || if load_more.pending().get() { "Loading…" } else { "Older events" }}
                                        </button>
                                    </div>
                                </Show>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700" role="alert" data-testid="audit-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Event(row: AuditRow) -> impl IntoView {
    let r = row;
    view! {
        <li class="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm" data-testid="audit-event">
            <details>
                <summary class="flex cursor-pointer list-none flex-col gap-1 sm:flex-row sm:items-center sm:gap-3">
                    <span class="w-44 shrink-0 text-xs text-slate-500">{r.when.clone()}</span>
                    <span class="shrink-0"><Badge tone=actor_tone(&r.actor_kind) text=r.actor.clone() title=r.actor_kind.clone() /></span>
                    <span class="min-w-0 flex-1 text-sm text-slate-900" data-testid="audit-summary">{r.summary.clone()}</span>
                    <code class="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{r.event_type.clone()}</code>
                </summary>
                <div class="mt-3 grid gap-2 border-t border-slate-100 pt-3 text-xs text-slate-600 sm:grid-cols-2">
                    <p>{format!("Event #{} · {} · {}", r.seq, r.entity, r.at_utc)}</p>
                    <p>
                        {r.thread_id.map(|t| view! { <a class="mr-3 font-medium text-emerald-700 underline" href=format!("/inbox?thread={t}")>{format!("Conversation {t}")}</a> })}
                        {r.request_id.clone().map(|q| view! { <span>{format!("Request {q}")}</span> })}
                    </p>
                    {r.payload.clone().map(|p| view! { <pre class="overflow-x-auto rounded-lg bg-slate-900 p-3 text-[11px] text-slate-100 sm:col-span-2">{p}</pre> })}
                </div>
            </details>
        </li>
    }
}

/// The filters, as typed; `apply` loads the timeline they describe.
#[component]
fn AuditFilters(draft: RwSignal<AuditFilter>, types: RwSignal<Vec<String>>, apply: Callback<()>) -> impl IntoView {
    view! {
        <form class="grid gap-3 sm:grid-cols-3 lg:grid-cols-7 lg:items-end" data-testid="audit-filters" on:submit=move |ev| { ev.prevent_default(); apply.run(()); }>
            <label class="block lg:col-span-2">
                <span class=field::LABEL>"Event type"</span>
                <select class=field::INPUT name="event_type" prop:value=move || draft.get().event_type on:change=move |ev| draft.update(|d| d.event_type = event_target_value(&ev))>
                    <option value="">"All types"</option>
                    {move || types.get().into_iter().map(|t| view! { <option value=t.clone() selected=draft.get_untracked().event_type == t>{t.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="block">
                <span class=field::LABEL>"Actor"</span>
                <select class=field::INPUT name="actor" prop:value=move || draft.get().actor on:change=move |ev| draft.update(|d| d.actor = event_target_value(&ev))>
                    {ACTORS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label class="block">
                <span class=field::LABEL>"Conversation"</span>
                <input class=field::INPUT name="thread" placeholder="12" prop:value=move || draft.get().thread on:input=move |ev| draft.update(|d| d.thread = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"Business number"</span>
                <input class=field::INPUT name="number" placeholder="+1 512 555 0100" prop:value=move || draft.get().number on:input=move |ev| draft.update(|d| d.number = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"From"</span>
                <input type="date" class=field::INPUT name="from" prop:value=move || draft.get().from on:input=move |ev| draft.update(|d| d.from = event_target_value(&ev)) />
            </label>
            <label class="block">
                <span class=field::LABEL>"To"</span>
                <input type="date" class=field::INPUT name="to" prop:value=move || draft.get().to on:input=move |ev| draft.update(|d| d.to = event_target_value(&ev)) />
            </label>
            <div class="flex gap-2 sm:col-span-3 lg:col-span-7">
                <button type="submit" class=btn::PRIMARY data-testid="audit-apply">"Apply filters"</button>
                <button type="button" class=btn::GHOST on:click=move |_| { draft.set(AuditFilter::default()); apply.run(()); }>"Clear"</button>
            </div>
        </form>
    }
}

/// Links between the Audit & compliance screens.
#[component]
pub fn AuditTabs(current: &'static str) -> impl IntoView {
    let tabs = [
        ("timeline", "/audit", "Timeline"),
        ("violations", "/audit/violations", "Violations"),
        ("failures", "/audit/failures", "Delivery failures"),
        ("analytics", "/audit/analytics", "Analytics"),
    ];
    view! {
        <nav class="mb-5 flex gap-1 overflow-x-auto border-b border-slate-200" aria-label="Audit and compliance">
            {tabs.into_iter().map(|(key, href, label)| view! {
                <a href=href data-testid=format!("audit-tab-{key}") aria-current=(key == current).then_some("page")
                    class=if key == current { "-mb-px whitespace-nowrap border-b-2 border-emerald-600 px-3 py-2 text-sm font-semibold text-emerald-800" } else { "-mb-px whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900" }>
                    {label}
                </a>
            }).collect_view()}
        </nav>
    }
}
