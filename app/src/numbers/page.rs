//! The Numbers page: filters, the sortable table with selection and bulk
//! actions, the detail drawer, the action dialog with its per-number
//! preview and results, and the buy and import panels.

use super::{
    apply_number_action, buy_number, import_number, list_numbers, number_card, preview_number_action,
    search_numbers_for_sale, Choice, ItemImpact, ItemResult, NumberAction, NumberFilter, NumberRow, Offer,
};
use crate::domain::numbers::{Health, NumberClass, NumberStatus, QuarantineReason, Registration};
use crate::ui::{btn, field, use_toaster, Badge, Card, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Quarantine,
    ReleaseFromQuarantine,
    ReleaseToPool,
    Assign,
    KeepQuarantined,
    ReturnAfterCooldown,
    ReleaseToProvider,
}

impl Kind {
    fn verb(self) -> &'static str {
        match self {
            Kind::Quarantine => "Quarantine",
            Kind::ReleaseFromQuarantine => "Release from quarantine",
            Kind::ReleaseToPool => "Release to pool",
            Kind::Assign => "Assign to sitter",
            Kind::KeepQuarantined => "Keep quarantined",
            Kind::ReturnAfterCooldown => "Return to the pool after cooldown",
            Kind::ReleaseToProvider => "Release to the provider",
        }
    }
}

#[derive(Clone, Copy)]
struct Page {
    filter: RwSignal<NumberFilter>,
    changed: RwSignal<u64>,
    selected: RwSignal<Vec<i64>>,
    detail: RwSignal<Option<i64>>,
    dialog: RwSignal<Option<(Vec<i64>, Kind)>>,
    sitters: RwSignal<Vec<Choice>>,
}

fn class_tone(class: NumberClass) -> Tone {
    match class {
        NumberClass::FrontDesk => Tone::Brand,
        NumberClass::Sitter => Tone::Info,
        NumberClass::Pool => Tone::Neutral,
    }
}

fn status_tone(status: NumberStatus) -> Tone {
    match status {
        NumberStatus::Active => Tone::Good,
        NumberStatus::Quarantined => Tone::Warn,
        NumberStatus::Inactive => Tone::Neutral,
    }
}

fn health_dot(health: Health) -> &'static str {
    match health {
        Health::Green => "bg-emerald-500",
        Health::Yellow => "bg-amber-400",
        Health::Red => "bg-red-500",
    }
}

#[component]
pub fn NumbersPage() -> impl IntoView {
    let page = Page {
        filter: RwSignal::new(NumberFilter::default()),
        changed: RwSignal::new(0),
        selected: RwSignal::new(Vec::new()),
        detail: RwSignal::new(None),
        dialog: RwSignal::new(None),
        sitters: RwSignal::new(Vec::new()),
    };
    provide_context(page);
    let data = Resource::new(move || (page.filter.get(), page.changed.get()), |(f, _)| list_numbers(f));
    let buying = RwSignal::new(false);
    let importing = RwSignal::new(false);
    let export_href = move || {
        let q = page.filter.get().query_string();
        if q.is_empty() {
            "/numbers/export.csv".to_string()
        } else {
            format!("/numbers/export.csv?{q}")
        }
    };
    view! {
        <leptos_meta::Title text="Numbers · Leashline" />
        <PageHeader title="Numbers" subtitle="Your business phone numbers: the Front Desk line, each sitter's number and the pool lent to one-time bookings.">
            <a class=btn::SECONDARY href=export_href download="" data-testid="numbers-export">"Export CSV"</a>
            <button type="button" class=btn::SECONDARY data-testid="numbers-import-open" on:click=move |_| { importing.update(|v| *v = !*v); buying.set(false); }>"Import a number"</button>
            <button type="button" class=btn::PRIMARY data-testid="numbers-buy-open" on:click=move |_| { buying.update(|v| *v = !*v); importing.set(false); }>"Buy a number"</button>
        </PageHeader>
        <Show when=move || buying.get()><BuyPanel open=buying /></Show>
        <Show when=move || importing.get()><ImportPanel open=importing /></Show>
        <Filters />
        <BulkBar />
        <Transition fallback=|| view! { <Loading label="Loading numbers" /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) => {
                        page.sitters.set(list.sitters.clone());
                        let warning = list.pool_warning.clone();
                        let empty = list.items.is_empty();
                        let all = list.all;
                        view! {
                            {warning.map(|w| view! {
                                <div class="mb-4 flex flex-col gap-2 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 sm:flex-row sm:items-center sm:justify-between" role="status" data-testid="pool-warning">
                                    <span>{w}</span>
                                    <button type="button" class=btn::SMALL on:click=move |_| buying.set(true)>"Buy a pool number"</button>
                                </div>
                            })}
                            {if empty && all == 0 {
                                view! { <EmptyState title="No numbers yet" body="Buy or import your first number: start with a Front Desk number, the line clients text first." /> }.into_any()
                            } else if empty {
                                view! { <EmptyState title="No numbers match" body="Try other filters, or clear them to see every number." /> }.into_any()
                            } else {
                                view! { <Table list=list /> }.into_any()
                            }}
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700" role="alert" data-testid="numbers-error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || page.detail.get().map(|id| view! { <Detail id=id /> })}
        {move || page.dialog.get().map(|(ids, kind)| view! { <ActionDialog ids=ids kind=kind /> })}
    }
}

#[component]
fn Filters() -> impl IntoView {
    let page = expect_context::<Page>();
    let set = move |f: fn(&mut NumberFilter, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            page.filter.update(|x| {
                f(x, v);
                x.page = String::new();
            });
        }
    };
    let select = |label: &'static str,
                  name: &'static str,
                  options: Vec<(String, String)>,
                  current: fn(&NumberFilter) -> String,
                  on: fn(&mut NumberFilter, String)| {
        view! {
            <label class="block">
                <span class=field::LABEL>{label}</span>
                <select class=field::INPUT name=name data-testid=format!("filter-{name}") prop:value=move || current(&page.filter.get()) on:change=set(on)>
                    {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let opts = |list: &[(&str, &str)]| list.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect::<Vec<_>>();
    view! {
        <div class="mb-4 grid grid-cols-2 gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-3 lg:grid-cols-6 lg:items-end" data-testid="numbers-filters">
            {select("Class", "class", opts(&[("", "All classes"), ("front_desk", "Front Desk"), ("sitter", "Sitter"), ("pool", "Pool")]), |f| f.class.clone(), |f, v| f.class = v)}
            {select("Status", "status", opts(&[("", "Any status"), ("active", "Active"), ("quarantined", "Quarantined"), ("inactive", "Released")]), |f| f.status.clone(), |f, v| f.status = v)}
            <label class="block">
                <span class=field::LABEL>"Sitter"</span>
                <select class=field::INPUT name="sitter" data-testid="filter-sitter" prop:value=move || page.filter.get().sitter on:change=set(|f, v| f.sitter = v)>
                    <option value="">"Anyone"</option>
                    <option value="none">"Nobody (unassigned)"</option>
                    {move || page.sitters.get().into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
            </label>
            {select("Health", "health", opts(&[("", "Any health"), ("green", "Healthy"), ("yellow", "Some failures"), ("red", "Failing")]), |f| f.health.clone(), |f, v| f.health = v)}
            {select("Usage", "usage", opts(&[("", "Any usage"), ("busy", "Texts in the last 7 days"), ("idle", "No texts in 7 days"), ("never", "Never used")]), |f| f.usage.clone(), |f, v| f.usage = v)}
            <div class="col-span-2 sm:col-span-1">
                <button type="button" class=btn::GHOST data-testid="filters-clear" on:click=move |_| page.filter.set(NumberFilter::default())>"Clear filters"</button>
            </div>
        </div>
    }
}

#[component]
fn BulkBar() -> impl IntoView {
    let page = expect_context::<Page>();
    let open = move |kind: Kind| move |_| page.dialog.set(Some((page.selected.get_untracked(), kind)));
    view! {
        <Show when=move || !page.selected.get().is_empty()>
            <div class="sticky top-0 z-20 mb-3 flex flex-wrap items-center gap-2 rounded-xl border border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-900 shadow-sm" data-testid="bulk-bar">
                <span class="mr-2 font-semibold">{move || { let n = page.selected.get().len(); format!("{n} selected") }}</span>
                <button type="button" class=btn::SMALL data-testid="bulk-quarantine" on:click=open(Kind::Quarantine)>"Quarantine"</button>
                <button type="button" class=btn::SMALL data-testid="bulk-release-pool" on:click=open(Kind::ReleaseToPool)>"Release to pool"</button>
                <button type="button" class=btn::SMALL data-testid="bulk-release-quarantine" on:click=open(Kind::ReleaseFromQuarantine)>"Release from quarantine"</button>
                <button type="button" class="inline-flex items-center rounded-md border border-red-300 bg-white px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50" data-testid="bulk-release-provider" on:click=open(Kind::ReleaseToProvider)>"Release to provider"</button>
                <button type="button" class=btn::GHOST on:click=move |_| page.selected.set(Vec::new())>"Clear selection"</button>
            </div>
        </Show>
    }
}

#[component]
fn SortHeader(label: &'static str, key: &'static str, #[prop(optional)] class: &'static str) -> impl IntoView {
    let page = expect_context::<Page>();
    let state = move || {
        let f = page.filter.get();
        let active = f.sort == key || (f.sort.is_empty() && key == "number");
        (active, f.dir == "desc")
    };
    view! {
        <th scope="col" class=format!("px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 {class}")
            aria-sort=move || match state() { (true, true) => "descending", (true, false) => "ascending", _ => "none" }>
            <button type="button" class="inline-flex items-center gap-1 hover:text-slate-900" data-testid=format!("sort-{key}")
                on:click=move |_| page.filter.update(|f| {
                    let (active, desc) = { let a = f.sort == key || (f.sort.is_empty() && key == "number"); (a, f.dir == "desc") };
                    f.sort = key.to_string();
                    f.dir = if active && !desc { "desc".into() } else { "asc".into() };
                    f.page = String::new();
                })>
                {label}
                <span aria-hidden="true" class="text-slate-400">{move || match state() { (true, true) => "↓", (true, false) => "↑", _ => "" }}</span>
            </button>
        </th>
    }
}

#[component]
fn Table(list: super::NumberList) -> impl IntoView {
    let page = expect_context::<Page>();
    let ids: Vec<i64> = list.items.iter().map(|r| r.id).collect();
    let ids_all = StoredValue::new(ids);
    let all_checked = move || ids_all.with_value(|ids| ids.iter().all(|i| page.selected.get().contains(i)));
    let (p, pages, total) = (list.page, list.pages, list.total);
    let go = move |to: usize| page.filter.update(|f| f.page = to.to_string());
    view! {
        <div class="relative overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="numbers-table">
                <thead class="bg-slate-50">
                    <tr>
                        <th scope="col" class="w-10 px-3 py-2">
                            <input type="checkbox" class="h-4 w-4 rounded border-slate-300 text-emerald-600" aria-label="Select every number on this page" data-testid="select-page"
                                prop:checked=all_checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    ids_all.with_value(|ids| page.selected.update(|s| {
                                        s.retain(|i| !ids.contains(i));
                                        if on { s.extend(ids.iter().copied()); }
                                    }));
                                } />
                        </th>
                        <SortHeader label="Number" key="number" />
                        <SortHeader label="Class" key="class" class="hidden sm:table-cell" />
                        <SortHeader label="Status" key="status" />
                        <SortHeader label="Assigned to" key="sitter" class="hidden md:table-cell" />
                        <SortHeader label="Health" key="health" />
                        <SortHeader label="Last used" key="last_used" class="hidden lg:table-cell" />
                        <SortHeader label="7 days" key="volume" class="hidden sm:table-cell" />
                        <th scope="col" class="hidden px-3 py-2 sm:table-cell"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list.items.into_iter().map(|r| view! { <Row row=r /> }).collect_view()}
                </tbody>
            </table>
            <div class="flex items-center justify-between gap-3 border-t border-slate-100 px-4 py-3 text-sm text-slate-600">
                <span data-testid="numbers-count">{format!("{total} number{} · page {p} of {pages}", if total == 1 { "" } else { "s" })}</span>
                <div class="flex gap-2">
                    <button type="button" class=btn::SMALL disabled={p <= 1} data-testid="page-prev" on:click=move |_| go(p - 1)>"Previous"</button>
                    <button type="button" class=btn::SMALL disabled={p >= pages} data-testid="page-next" on:click=move |_| go(p + 1)>"Next"</button>
                </div>
            </div>
        </div>
    }
}

#[component]
fn Row(row: NumberRow) -> impl IntoView {
    let page = expect_context::<Page>();
    let id = row.id;
    let checked = move || page.selected.get().contains(&id);
    let unregistered = row.registration == Registration::Unregistered;
    let display = row.display.clone();
    view! {
        <tr class="hover:bg-slate-50" data-testid="number-row" data-number=row.e164.clone()>
            <td class="px-3 py-2">
                <input type="checkbox" class="h-4 w-4 rounded border-slate-300 text-emerald-600" aria-label=format!("Select {display}")
                    prop:checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        page.selected.update(|s| { s.retain(|i| *i != id); if on { s.push(id); } });
                    } />
            </td>
            <td class="whitespace-nowrap px-3 py-2">
                <button type="button" class="font-medium text-slate-900 hover:text-emerald-700 hover:underline" data-testid="number-open" on:click=move |_| page.detail.set(Some(id))>
                    {row.display.clone()}
                </button>
                {unregistered.then(|| view! { <span class="ml-2"><Badge tone=Tone::Warn text="Not registered" title="Not registered with the carriers (A2P 10DLC): texts may be filtered" /></span> })}
            </td>
            <td class="hidden px-3 py-2 sm:table-cell"><Badge tone=class_tone(row.class) text=row.class.label() /></td>
            <td class="whitespace-nowrap px-3 py-2">
                <Badge tone=status_tone(row.status) text=row.status.label() />
                {row.cooldown_until.clone().map(|u| view! { <span class="ml-1 text-xs text-slate-500">{format!("until {u}")}</span> })}
            </td>
            <td class="hidden whitespace-nowrap px-3 py-2 md:table-cell">
                {match (row.sitter_id, row.sitter.clone(), row.lent_to.clone()) {
                    (Some(sid), Some(name), _) => view! { <a class="text-emerald-700 hover:underline" href=format!("/assignments?sitter={sid}")>{name}</a> }.into_any(),
                    (_, _, Some(client)) => view! { <span class="text-slate-600">{format!("Lent to {client}")}</span> }.into_any(),
                    _ => view! { <span class="text-slate-400">"—"</span> }.into_any(),
                }}
            </td>
            <td class="whitespace-nowrap px-3 py-2" title=format!("{} failed deliveries in the last 7 days", row.failures_7d)>
                <span class=format!("mr-1.5 inline-block h-2 w-2 rounded-full {}", health_dot(row.health))></span>
                <span class="hidden text-slate-700 sm:inline">{row.health.label()}</span>
            </td>
            <td class="hidden whitespace-nowrap px-3 py-2 text-slate-600 lg:table-cell">{row.last_used.clone()}</td>
            <td class="hidden px-3 py-2 text-right tabular-nums text-slate-700 sm:table-cell">{row.volume_7d}</td>
            <td class="hidden px-3 py-2 text-right sm:table-cell">
                <button type="button" class=btn::SMALL on:click=move |_| page.detail.set(Some(id))>"Details"</button>
            </td>
        </tr>
    }
}

#[component]
fn Detail(id: i64) -> impl IntoView {
    let page = expect_context::<Page>();
    let data = Resource::new(move || page.changed.get(), move |_| number_card(id));
    let act = move |kind: Kind| move |_| page.dialog.set(Some((vec![id], kind)));
    view! {
        <div class="fixed inset-0 z-30 flex justify-end bg-slate-900/30" on:click=move |_| page.detail.set(None)>
            <aside class="h-full w-full max-w-md overflow-y-auto bg-white shadow-xl" role="dialog" aria-label="Number details" data-testid="number-detail" on:click=|ev| ev.stop_propagation()>
                <Transition fallback=|| view! { <div class="p-6"><Loading label="Loading the number" /></div> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(d) => {
                                let r = d.row.clone();
                                let active = r.status == NumberStatus::Active;
                                let quarantined = r.status == NumberStatus::Quarantined;
                                view! {
                                    <div class="flex items-start justify-between border-b border-slate-100 px-6 py-4">
                                        <div>
                                            <h2 class="text-lg font-semibold text-slate-900" data-testid="detail-number">{r.display.clone()}</h2>
                                            <div class="mt-1 flex flex-wrap gap-1.5">
                                                <Badge tone=class_tone(r.class) text=r.class.label() />
                                                <Badge tone=status_tone(r.status) text=r.status.label() />
                                                <span class="inline-flex items-center text-xs text-slate-600"><span class=format!("mr-1 inline-block h-2 w-2 rounded-full {}", health_dot(r.health))></span>{format!("{} · {} failures in 7 days", r.health.label(), r.failures_7d)}</span>
                                            </div>
                                        </div>
                                        <button type="button" class=btn::GHOST aria-label="Close" on:click=move |_| page.detail.set(None)>"✕"</button>
                                    </div>
                                    <div class="flex flex-wrap gap-2 border-b border-slate-100 px-6 py-3" data-testid="detail-actions">
                                        {(active && r.class != NumberClass::FrontDesk).then(|| view! { <button type="button" class=btn::SMALL data-testid="action-assign" on:click=act(Kind::Assign)>"Assign to sitter"</button> })}
                                        {(active && r.class != NumberClass::Pool).then(|| view! { <button type="button" class=btn::SMALL data-testid="action-release-pool" on:click=act(Kind::ReleaseToPool)>"Release to pool"</button> })}
                                        {active.then(|| view! { <button type="button" class="inline-flex items-center rounded-md border border-red-300 bg-white px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50" data-testid="action-quarantine" on:click=act(Kind::Quarantine)>"Quarantine"</button> })}
                                        {quarantined.then(|| view! { <button type="button" class=btn::SMALL data-testid="action-release-quarantine" on:click=act(Kind::ReleaseFromQuarantine)>"Release from quarantine"</button> })}
                                        {(quarantined && !d.keep_quarantined).then(|| view! { <button type="button" class=btn::SMALL data-testid="action-keep-quarantined" on:click=act(Kind::KeepQuarantined)>"Keep quarantined"</button> })}
                                        {(quarantined && d.keep_quarantined).then(|| view! { <button type="button" class=btn::SMALL data-testid="action-return-after-cooldown" on:click=act(Kind::ReturnAfterCooldown)>"Return to pool after cooldown"</button> })}
                                        {(active || quarantined).then(|| view! { <button type="button" class="inline-flex items-center rounded-md border border-red-300 bg-white px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50" data-testid="action-release-provider" on:click=act(Kind::ReleaseToProvider)>"Release to provider"</button> })}
                                    </div>
                                    <dl class="grid grid-cols-3 gap-x-3 gap-y-2 px-6 py-4 text-sm">
                                        <Fact label="Assigned to" value=r.sitter.clone().or(r.lent_to.clone().map(|c| format!("Lent to {c}"))).unwrap_or_else(|| "Nobody".into()) />
                                        <Fact label="Last used" value=r.last_used.clone() />
                                        <Fact label="Texts, 7 days" value=r.volume_7d.to_string() />
                                        {d.cooldown.clone().map(|c| view! { <Fact label="Cooldown" value=c /> })}
                                        {d.quarantine_reason.clone().map(|c| view! { <Fact label="Quarantined for" value=c /> })}
                                        <Fact label="Purchased" value=d.purchased.clone().unwrap_or_else(|| "—".into()) />
                                        <Fact label="Cost" value=d.monthly_cost.clone().unwrap_or_else(|| "Not known".into()) />
                                        <Fact label="Carriers" value=d.registration_label.clone() />
                                        <Fact label="Hookup" value=d.hookup.clone() />
                                        <Fact label="Provider id" value=match (&d.provider_id, d.diagnostics) {
                                            (Some(p), _) => p.clone(),
                                            (None, true) => "None recorded".into(),
                                            (None, false) => "Hidden — turn on diagnostics mode in Settings to see it".into(),
                                        } />
                                    </dl>
                                    <Section title="Conversations">
                                        {if d.threads.is_empty() {
                                            view! { <p class="text-sm text-slate-500">"No conversations use this number."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ul class="divide-y divide-slate-100 text-sm" data-testid="detail-threads">
                                                    {d.threads.iter().map(|t| view! {
                                                        <li class="flex items-center justify-between py-1.5">
                                                            <a class="text-emerald-700 hover:underline" href=format!("/inbox?thread={}", t.id)>{t.client.clone()}</a>
                                                            <span class="text-xs text-slate-500">{if t.current { t.last.clone() } else { format!("Past · {}", t.last) }}</span>
                                                        </li>
                                                    }).collect_view()}
                                                </ul>
                                            }.into_any()
                                        }}
                                    </Section>
                                    <Section title="Assignment history">
                                        <History lines=d.assignments.clone() empty="No assignments recorded." />
                                    </Section>
                                    <Section title="Delivery failures">
                                        <History lines=d.failures.clone() empty="No failed deliveries from this number." />
                                    </Section>
                                }
                                .into_any()
                            }
                            Err(e) => view! { <p class="m-6 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </aside>
        </div>
    }
}

#[component]
fn Fact(label: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <dt class="text-slate-500">{label}</dt>
        <dd class="col-span-2 text-slate-900">{value}</dd>
    }
}

#[component]
fn Section(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="border-t border-slate-100 px-6 py-4">
            <h3 class="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
            {children()}
        </section>
    }
}

#[component]
fn History(lines: Vec<super::HistoryLine>, empty: &'static str) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="text-sm text-slate-500">{empty}</p> }.into_any();
    }
    view! {
        <ul class="space-y-1.5 text-sm">
            {lines.into_iter().map(|l| view! {
                <li><span class="block text-xs text-slate-500">{l.when}</span><span class="text-slate-800">{l.text}</span></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ActionDialog(ids: Vec<i64>, kind: Kind) -> impl IntoView {
    let page = expect_context::<Page>();
    let toaster = use_toaster();
    let ids = StoredValue::new(ids);
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let sitter = RwSignal::new(String::new());
    let confirm_unregistered = RwSignal::new(false);
    let action = Memo::new(move |_| match kind {
        Kind::Quarantine => {
            Some(NumberAction::Quarantine { reason: QuarantineReason::parse(&reason.get()), note: note.get() })
        }
        Kind::ReleaseFromQuarantine => Some(NumberAction::ReleaseFromQuarantine),
        Kind::ReleaseToPool => Some(NumberAction::ReleaseToPool),
        Kind::KeepQuarantined => Some(NumberAction::KeepQuarantined { keep: true }),
        Kind::ReturnAfterCooldown => Some(NumberAction::KeepQuarantined { keep: false }),
        Kind::ReleaseToProvider => Some(NumberAction::ReleaseToProvider),
        Kind::Assign => sitter
            .get()
            .parse::<i64>()
            .ok()
            .map(|s| NumberAction::AssignToSitter { sitter: s, confirm_unregistered: confirm_unregistered.get() }),
    });
    // The quarantine note is typed freely; the preview waits for a reason.
    let ready = Memo::new(move |_| match kind {
        Kind::Quarantine => !reason.get().is_empty(),
        Kind::Assign => !sitter.get().is_empty(),
        _ => true,
    });
    let preview = Resource::new(
        move || (ready.get(), action.get()),
        move |(ready, a)| async move {
            match (ready, a) {
                (true, Some(a)) => preview_number_action(ids.get_value(), a).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    let apply = Action::new(move |a: &NumberAction| apply_number_action(ids.get_value(), a.clone()));
    let results = RwSignal::new(None::<Vec<ItemResult>>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match apply.value().get() {
        Some(Ok(r)) => {
            let ok = r.iter().filter(|x| x.ok).count();
            if ok > 0 {
                toaster.success(format!("{}: done for {ok} of {}.", kind.verb(), r.len()));
            }
            results.set(Some(r));
            page.changed.update(|c| *c += 1);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let close = move || {
        if results.get_untracked().is_some() {
            page.selected.set(Vec::new());
        }
        page.dialog.set(None);
    };
    let count = ids.with_value(|i| i.len());
    let title = if count == 1 { kind.verb().to_string() } else { format!("{} {count} numbers", kind.verb()) };
    view! {
        <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/50 sm:items-center sm:p-4" role="dialog" aria-modal="true" data-testid="action-dialog">
            <div class="max-h-full w-full max-w-xl overflow-y-auto rounded-t-2xl bg-white shadow-xl sm:rounded-2xl">
                <div class="px-6 pt-6">
                    <h2 class="text-lg font-semibold text-slate-900">{title}</h2>
                    <Show when=move || results.get().is_none()>
                        <ActionFields kind=kind reason=reason note=note sitter=sitter confirm_unregistered=confirm_unregistered />
                        <div class="mt-4">
                            <Transition fallback=|| view! { <Loading label="Working out what would happen" /> }>
                                {move || Suspend::new(async move {
                                    match preview.await {
                                        Ok(Some(items)) => view! { <Impacts items=items confirm=confirm_unregistered /> }.into_any(),
                                        Ok(None) => view! { <p class="text-sm text-slate-500">{if kind == Kind::Quarantine { "Choose a reason to see what will happen." } else { "Choose a sitter to see what will happen." }}</p> }.into_any(),
                                        Err(e) => view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                                    }
                                })}
                            </Transition>
                        </div>
                    </Show>
                    {move || results.get().map(action_results)}
                    {move || error.get().map(|e| view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e}</p> })}
                </div>
                <div class="mt-6 flex flex-col-reverse gap-2 rounded-b-2xl border-t border-slate-100 bg-slate-50 px-6 py-4 sm:flex-row sm:justify-end">
                    <button type="button" class=btn::SECONDARY data-testid="action-close" on:click=move |_| close()>{move || if results.get().is_some() { "Close" } else { "Cancel" }}</button>
                    <Show when=move || results.get().is_none()>
                        <button type="button" class=if matches!(kind, Kind::Quarantine | Kind::ReleaseToProvider) { btn::DANGER } else { btn::PRIMARY } data-testid="action-confirm"
                            disabled=move || {
                                let usable = preview.get().and_then(|p| p.ok()).flatten().is_some_and(|items| items.iter().any(|i| i.ok));
                                apply.pending().get() || !usable
                            }
                            on:click=move |_| {
                                error.set(None);
                                if let Some(a) = action.get_untracked() { apply.dispatch(a); }
                            }>
                            {move || {
                                if apply.pending().get() { return "Working…".to_string(); }
                                let ok = preview.get().and_then(|p| p.ok()).flatten().map(|items| items.iter().filter(|i| i.ok).count()).unwrap_or(0);
                                if count == 1 { kind.verb().to_string() } else { format!("{} {ok} of {count}", kind.verb()) }
                            }}
                        </button>
                    </Show>
                </div>
            </div>
        </div>
    }
}

/// What the action needs to be told: a quarantine's reason and note, or
/// the sitter a number goes to.
#[component]
fn ActionFields(
    kind: Kind,
    reason: RwSignal<String>,
    note: RwSignal<String>,
    sitter: RwSignal<String>,
    confirm_unregistered: RwSignal<bool>,
) -> impl IntoView {
    let sitters = expect_context::<Page>().sitters;
    view! {
        {(kind == Kind::Quarantine).then(|| view! {
            <div class="mt-4 grid gap-3 sm:grid-cols-2">
                <label class="block">
                    <span class=field::LABEL>"Reason"</span>
                    <select class=field::INPUT data-testid="quarantine-reason" prop:value=move || reason.get() on:change=move |ev| reason.set(event_target_value(&ev))>
                        <option value="">"Choose a reason"</option>
                        {QuarantineReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block">
                    <span class=field::LABEL>{move || if reason.get() == "other" { "What happened (required)" } else { "Note (optional)" }}</span>
                    <input class=field::INPUT data-testid="quarantine-note" placeholder="e.g. carrier filtering since Monday" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                </label>
            </div>
        })}
        {(kind == Kind::Assign).then(|| view! {
            <label class="mt-4 block">
                <span class=field::LABEL>"Sitter"</span>
                <select class=field::INPUT data-testid="assign-sitter" prop:value=move || sitter.get() on:change=move |ev| { confirm_unregistered.set(false); sitter.set(event_target_value(&ev)); }>
                    <option value="">"Choose a sitter"</option>
                    {move || sitters.get().into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
            </label>
        })}
    }
}

fn action_results(r: Vec<ItemResult>) -> impl IntoView {
    view! {
        <ul class="mt-4 space-y-2" data-testid="action-results">
            {r.into_iter().map(|x| view! {
                <li class=if x.ok { "rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" } else { "rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" } data-testid="action-result" data-ok=x.ok.to_string()>
                    <b>{format!("{} — {}", x.number, if x.ok { "done" } else { "not changed" })}</b>
                    <span class="block">{x.message}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Impacts(items: Vec<ItemImpact>, confirm: RwSignal<bool>) -> impl IntoView {
    let needs = items.iter().any(|i| i.needs_unregistered_confirm);
    view! {
        <p class="text-sm font-medium text-slate-700">"What will happen:"</p>
        <ul class="mt-2 space-y-2" data-testid="impact-list">
            {items.into_iter().map(|i| view! {
                <li class=if i.ok { "rounded-lg border border-slate-200 px-3 py-2" } else { "rounded-lg border border-red-200 bg-red-50 px-3 py-2" } data-testid="impact-item" data-ok=i.ok.to_string()>
                    <p class="text-sm font-semibold text-slate-900">{i.number.clone()}{(!i.ok).then_some(" — can't be changed")}</p>
                    <ul class=if i.ok { "mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-600" } else { "mt-1 text-sm text-red-800" }>
                        {i.lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ul>
        {needs.then(|| view! {
            <label class="mt-3 flex items-start gap-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
                <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="confirm-unregistered" prop:checked=move || confirm.get() on:change=move |ev| confirm.set(event_target_checked(&ev)) />
                <span>"Assign it anyway: I understand texts from an unregistered number may be filtered by the carriers."</span>
            </label>
        })}
    }
}

#[component]
fn BuyPanel(open: RwSignal<bool>) -> impl IntoView {
    let page = expect_context::<Page>();
    let toaster = use_toaster();
    let area = RwSignal::new(String::new());
    let class = RwSignal::new("pool".to_string());
    let search = Action::new(|a: &String| search_numbers_for_sale(a.clone()));
    let chosen = RwSignal::new(None::<Offer>);
    let buy = Action::new(|(e, c): &(String, String)| buy_number(e.clone(), c.clone()));
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match buy.value().get() {
        Some(Ok(a)) => {
            toaster.success(a.message);
            chosen.set(None);
            page.changed.update(|c| *c += 1);
            open.set(false);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    view! {
        <Card title="Buy a number" class="mb-4">
            <form class="flex flex-wrap items-end gap-3" on:submit=move |ev| { ev.prevent_default(); chosen.set(None); error.set(None); search.dispatch(area.get_untracked()); }>
                <label class="block w-40">
                    <span class=field::LABEL>"Area code"</span>
                    <input class=field::INPUT inputmode="numeric" maxlength="3" placeholder="512" data-testid="buy-area" prop:value=move || area.get() on:input=move |ev| area.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=btn::SECONDARY data-testid="buy-search" disabled=move || search.pending().get()>{move || if search.pending().get() { "Searching…" } else { "Search" }}</button>
            </form>
            {move || search.value().get().map(|r| match r {
                Ok(offers) if offers.is_empty() => view! { <p class="mt-3 text-sm text-slate-500">"Nothing for sale in that area code right now. Try a nearby one."</p> }.into_any(),
                Ok(offers) => view! {
                    <ul class="mt-4 divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="buy-offers">
                        {offers.into_iter().map(|o| {
                            let pick = o.clone();
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm" data-testid="buy-offer">
                                    <span class="font-medium text-slate-900">{o.display.clone()}</span>
                                    <span class="text-slate-500">{o.place.clone()}</span>
                                    <span class="tabular-nums text-slate-700">{o.monthly_cost.clone()}</span>
                                    {(!o.registered).then(|| view! { <Badge tone=Tone::Warn text="Not registered" /> })}
                                    <button type="button" class=btn::SMALL on:click=move |_| { error.set(None); chosen.set(Some(pick.clone())); }>"Choose"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            {move || chosen.get().map(|o| {
                let e164 = o.e164.clone();
                view! {
                    <div class="mt-4 rounded-lg border border-emerald-200 bg-emerald-50 p-4" data-testid="buy-confirm-panel">
                        <p class="text-sm text-emerald-900">{format!("Buy {} for {}. It's billed by your texting provider from today.", o.display, o.monthly_cost)}</p>
                        <div class="mt-3 flex flex-wrap items-end gap-3">
                            <label class="block w-48">
                                <span class=field::LABEL>"Use it as"</span>
                                <select class=field::INPUT data-testid="buy-class" prop:value=move || class.get() on:change=move |ev| class.set(event_target_value(&ev))>
                                    <option value="pool">"Pool number"</option>
                                    <option value="sitter">"Sitter number"</option>
                                    <option value="front_desk">"Front Desk number"</option>
                                </select>
                            </label>
                            <button type="button" class=btn::PRIMARY data-testid="buy-confirm" disabled=move || buy.pending().get()
                                on:click=move |_| { error.set(None); buy.dispatch((e164.clone(), class.get_untracked())); }>
                                {move || if buy.pending().get() { "Buying…".to_string() } else { format!("Buy for {}", o.monthly_cost) }}
                            </button>
                            <button type="button" class=btn::GHOST on:click=move |_| chosen.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })}
            {move || error.get().map(|e| view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="buy-error">{e}</p> })}
        </Card>
    }
}

#[component]
fn ImportPanel(open: RwSignal<bool>) -> impl IntoView {
    let page = expect_context::<Page>();
    let toaster = use_toaster();
    let query = RwSignal::new(String::new());
    let class = RwSignal::new("pool".to_string());
    let import = Action::new(|(q, c): &(String, String)| import_number(q.clone(), c.clone()));
    Effect::new(move |_| {
        if let Some(Ok(a)) = import.value().get() {
            toaster.success(a.message);
            page.changed.update(|c| *c += 1);
            open.set(false);
        }
    });
    view! {
        <Card title="Import a number you already have" class="mb-4">
            <form class="flex flex-wrap items-end gap-3" on:submit=move |ev| { ev.prevent_default(); import.dispatch((query.get_untracked(), class.get_untracked())); }>
                <label class="block min-w-[16rem] flex-1">
                    <span class=field::LABEL>"Number or Twilio id"</span>
                    <input class=field::INPUT placeholder="+1 512 555 0123 or PN…" data-testid="import-number" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <label class="block w-48">
                    <span class=field::LABEL>"Use it as"</span>
                    <select class=field::INPUT data-testid="import-class" prop:value=move || class.get() on:change=move |ev| class.set(event_target_value(&ev))>
                        <option value="pool">"Pool number"</option>
                        <option value="sitter">"Sitter number"</option>
                        <option value="front_desk">"Front Desk number"</option>
                    </select>
                </label>
                <button type="submit" class=btn::PRIMARY data-testid="import-submit" disabled=move || import.pending().get()>{move || if import.pending().get() { "Importing…" } else { "Import" }}</button>
            </form>
            <p class=field::HELP>"We point the number's texts and delivery reports at Leashline for you."</p>
            {move || match import.value().get() {
                Some(Err(e)) => Some(view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="import-error">{e.to_string()}</p> }),
                _ => None,
            }}
        </Card>
    }
}
