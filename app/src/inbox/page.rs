//! The inbox page: thread list | thread on desktop, one pane with back
//! navigation on phones. `/inbox/:id?` is one route so the list keeps its
//! filters while threads open and close.

use super::list::ThreadList;
use super::thread::ThreadPane;
use super::{InboxFilter, InboxSort, ListState};
use crate::domain::ids::ThreadId;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    // ?q= works before the page is interactive (the search form is a plain GET form).
    let initial_q = use_query_map().with_untracked(|q| q.get("q").unwrap_or_default());
    // ?filter=unread|violations|failures|… (the dashboard's numbers link here).
    let initial_filter = use_query_map().with_untracked(|q| {
        q.get("filter")
            .and_then(|f| InboxFilter::ALL.into_iter().find(|x| x.label().eq_ignore_ascii_case(f.trim())))
            .unwrap_or(InboxFilter::All)
    });
    let selected = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()).map(ThreadId));
    let state = ListState {
        filter: RwSignal::new(initial_filter),
        sort: RwSignal::new(InboxSort::Recent),
        q: RwSignal::new(initial_q),
        from: RwSignal::new(String::new()),
        to: RwSignal::new(String::new()),
        past: RwSignal::new(false),
    };
    provide_context(state);
    let list_class = move || {
        if selected.get().is_some() {
            "hidden md:flex w-full md:w-96 lg:w-[26rem] shrink-0 flex-col border-r border-slate-200 bg-white"
        } else {
            "flex w-full md:w-96 lg:w-[26rem] shrink-0 flex-col border-r border-slate-200 bg-white"
        }
    };
    let thread_class = move || {
        if selected.get().is_some() {
            "flex min-w-0 flex-1 flex-col bg-slate-50"
        } else {
            "hidden md:flex min-w-0 flex-1 flex-col bg-slate-50"
        }
    };
    view! {
        <leptos_meta::Title text="Inbox · Leashline" />
        <div class="-mx-4 -my-6 flex h-[calc(100dvh-6.75rem)] lg:-mx-8 lg:h-[calc(100dvh-3.5rem)]" data-testid="inbox">
            <aside class=list_class>
                <ThreadList selected=selected />
            </aside>
            <section class=thread_class>
                {move || match selected.get() {
                    Some(id) => view! { <ThreadPane id=id /> }.into_any(),
                    None => view! {
                        <div class="flex flex-1 items-center justify-center p-8 text-center">
                            <div>
                                <p class="text-base font-semibold text-slate-900">"Pick a conversation"</p>
                                <p class="mt-1 text-sm text-slate-500">"Choose a client on the left to read and reply."</p>
                            </div>
                        </div>
                    }
                    .into_any(),
                }}
            </section>
        </div>
    }
}
