//! The thread list: search, quick filters, sort, and keyset "load more".

use super::{class_badge, list_threads, InboxFilter, InboxSort, ListState, ThreadPage, ThreadQuery, ThreadSummary};
use crate::domain::ids::ThreadId;
use crate::live::use_live;
use crate::shell::use_me;
use crate::ui::{field, Badge, Tone};
use leptos::prelude::*;

#[component]
pub fn ThreadList(selected: Memo<Option<ThreadId>>) -> impl IntoView {
    let st = expect_context::<ListState>();
    let live = use_live();
    let sitter = use_me().is_some_and(|m| !m.is_owner());
    let typed = RwSignal::new(st.q.get_untracked());
    let query = Memo::new(move |_| ThreadQuery {
        filter: st.filter.get(),
        sort: st.sort.get(),
        q: st.q.get(),
        from: st.from.get(),
        to: st.to.get(),
        cursor: None,
        past: st.past.get(),
    });
    let first = Resource::new(move || (query.get(), live.version.get()), |(q, _)| list_threads(q));
    // Pages loaded with "Load more", kept until the query changes.
    let more: RwSignal<Vec<ThreadSummary>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    Effect::new(move |_| {
        query.track();
        more.set(Vec::new());
        cursor.set(None);
    });
    let load_more = Action::new(move |c: &String| {
        let mut q = query.get_untracked();
        q.cursor = Some(c.clone());
        async move { list_threads(q).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_more.value().get() {
            more.update(|m| m.extend(page.items.clone()));
            cursor.set(page.next_cursor.clone());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        st.q.set(typed.get_untracked().trim().to_string());
    };
    view! {
        <div class="border-b border-slate-200 p-3">
            {(!sitter).then(|| view! {
                <div class="mb-2 flex items-center justify-between">
                    <h2 class="text-sm font-semibold text-slate-900">"Conversations"</h2>
                    <a href="/conversations/new" class=crate::ui::btn::SMALL data-testid="new-conversation">"+ New conversation"</a>
                </div>
            })}
            <form on:submit=submit class="flex gap-2" role="search" method="get" action="/inbox">
                <input
                    type="search"
                    name="q"
                    class=field::INPUT
                    placeholder={if sitter { "Search your conversations" } else { "Search clients, messages, sitters, numbers" }}
                    aria-label="Search"
                    data-testid="inbox-search"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                />
                <button type="submit" class=crate::ui::btn::SECONDARY>"Search"</button>
            </form>
            <div class="mt-2 flex gap-1 overflow-x-auto" role="group" aria-label="Filters">
                {InboxFilter::ALL
                    .into_iter()
                    .filter(move |f| !sitter || matches!(f, InboxFilter::All | InboxFilter::Unread))
                    .map(|f| {
                        view! {
                            <button
                                type="button"
                                data-testid=format!("filter-{}", f.label().to_lowercase())
                                aria-pressed=move || (st.filter.get() == f).to_string()
                                class="whitespace-nowrap rounded-full border border-slate-200 px-3 py-1 text-xs font-medium text-slate-600 hover:bg-slate-50 aria-pressed:border-emerald-600 aria-pressed:bg-emerald-600 aria-pressed:text-white"
                                on:click=move |_| st.filter.set(f)
                            >
                                {f.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {list_options(st, sitter)}
        </div>
        <div class="min-h-0 flex-1 overflow-y-auto" data-testid="thread-list">
            <Transition fallback=|| view! { <div class="p-4"><crate::ui::Loading label="Loading conversations" /></div> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(page) => view! { <Items page=page more=more cursor=cursor selected=selected load_more=load_more /> }.into_any(),
                        Err(e) => view! { <p class="p-4 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// Sort and dates for the owner; past visits for a sitter.
fn list_options(st: ListState, sitter: bool) -> impl IntoView {
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-2 text-xs text-slate-600">
            {(!sitter)
                .then(|| {
                    view! {
                        <label class="flex items-center gap-1">
                            "Sort"
                            <select
                                class="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs"
                                data-testid="inbox-sort"
                                on:change=move |ev| st.sort.set(InboxSort::parse(&event_target_value(&ev)))
                            >
                                {InboxSort::ALL
                                    .into_iter()
                                    .map(|s| view! { <option value=s.as_str() selected=move || st.sort.get() == s>{s.label()}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <label class="flex items-center gap-1">
                            "From"
                            <input type="date" class="rounded-md border border-slate-300 px-1.5 py-0.5 text-xs" data-testid="inbox-from" on:change=move |ev| st.from.set(event_target_value(&ev)) />
                        </label>
                        <label class="flex items-center gap-1">
                            "to"
                            <input type="date" class="rounded-md border border-slate-300 px-1.5 py-0.5 text-xs" data-testid="inbox-to" on:change=move |ev| st.to.set(event_target_value(&ev)) />
                        </label>
                    }
                })}
            {sitter
                .then(|| {
                    view! {
                        <label class="flex items-center gap-1.5">
                            <input type="checkbox" data-testid="show-past" on:change=move |ev| st.past.set(event_target_checked(&ev)) />
                            "Show past visits (read-only)"
                        </label>
                    }
                })}
        </div>
    }
}

#[component]
fn Items(
    page: ThreadPage,
    more: RwSignal<Vec<ThreadSummary>>,
    cursor: RwSignal<Option<String>>,
    selected: Memo<Option<ThreadId>>,
    load_more: Action<String, Result<ThreadPage, crate::error::AppError>>,
) -> impl IntoView {
    let first_cursor = page.next_cursor.clone();
    let next = move || if more.with(|m| m.is_empty()) { first_cursor.clone() } else { cursor.get() };
    let first_ids: Vec<ThreadId> = page.items.iter().map(|t| t.id).collect();
    let empty = page.items.is_empty();
    let items = page.items;
    let extra = move || more.get().into_iter().filter(|t| !first_ids.contains(&t.id)).collect::<Vec<_>>();
    view! {
        {empty
            .then(|| {
                view! {
                    <div class="p-8 text-center" data-testid="inbox-empty">
                        <p class="text-sm font-semibold text-slate-900">"No conversations here"</p>
                        <p class="mt-1 text-sm text-slate-500">"Try another filter or search."</p>
                    </div>
                }
            })}
        <ul>
            {items.into_iter().map(|t| view! { <Item t=t selected=selected /> }).collect_view()}
            {move || extra().into_iter().map(|t| view! { <Item t=t selected=selected /> }).collect_view()}
        </ul>
        {move || {
            next()
                .map(|c| {
                    view! {
                        <div class="p-3">
                            <button
                                type="button"
                                class=format!("{} w-full", crate::ui::btn::SECONDARY)
                                data-testid="load-more"
                                disabled=move || load_more.pending().get()
                                on:click=move |_| {
                                    load_more.dispatch(c.clone());
                                }
                            >
                                {move || if load_more.pending().get() { "Loading…" } else { "Load more" }}
                            </button>
                        </div>
                    }
                })
        }}
    }
}

#[component]
fn Item(t: ThreadSummary, selected: Memo<Option<ThreadId>>) -> impl IntoView {
    let id = t.id;
    let (tone, label) = class_badge(t.class);
    let href = format!("/inbox/{}", id.0);
    view! {
        <li>
            <a
                href=href
                data-testid="thread-item"
                aria-current=move || (selected.get() == Some(id)).then_some("page")
                class="block border-b border-slate-100 px-4 py-3 hover:bg-slate-50 aria-[current=page]:bg-emerald-50"
            >
                <div class="flex items-baseline justify-between gap-2">
                    <span class={if t.unread > 0 { "truncate font-semibold text-slate-900" } else { "truncate font-medium text-slate-800" }} data-testid="thread-client">
                        {t.client.clone()}
                    </span>
                    <span class="shrink-0 text-xs text-slate-500">{t.when.clone()}</span>
                </div>
                <div class="mt-0.5 flex items-center justify-between gap-2">
                    <p class="truncate text-sm text-slate-600" data-testid="thread-preview">{t.preview.clone()}</p>
                    {(t.unread > 0)
                        .then(|| {
                            view! {
                                <span class="flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-emerald-600 px-1.5 text-xs font-semibold text-white" data-testid="unread-badge">
                                    {t.unread}
                                </span>
                            }
                        })}
                </div>
                <div class="mt-1.5 flex flex-wrap items-center gap-1.5">
                    <Badge tone=tone text=label />
                    {match t.assignment.clone() {
                        Some(a) => view! { <Badge tone=Tone::Good text=a /> }.into_any(),
                        None => view! { <Badge tone=Tone::Neutral text="Unassigned" /> }.into_any(),
                    }}
                    {t.violations.then(|| view! { <Badge tone=Tone::Bad text="Violation" /> })}
                    {t.failures.then(|| view! { <Badge tone=Tone::Warn text="Delivery failed" /> })}
                </div>
            </a>
        </li>
    }
}
