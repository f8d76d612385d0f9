//! Notifications: short notes the product leaves for people ("the override
//! on Ana's conversation ended"), shown under the bell in the header.
//! Organisation-wide notes (no user) go to owners; personal ones to their
//! person.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i64,
    pub text: String,
    pub link: Option<String>,
    pub when: String,
    pub unread: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationList {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

#[cfg(feature = "ssr")]
pub mod store;

#[server]
pub async fn notifications() -> Result<NotificationList, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_user().await?;
        store::list(&crate::platform::state()?, &u).await
    })
    .await
}

/// Marks everything under the bell as read.
#[server]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_user().await?;
        store::mark_read(&crate::platform::state()?, &u, &u.actor(crate::platform::ctx::request_id())).await
    })
    .await
}

/// The bell in the header: unread count, and the latest notes on click.
#[component]
pub fn Bell(list: Resource<Result<NotificationList, AppError>>, refresh: RwSignal<u64>) -> impl IntoView {
    let open = RwSignal::new(false);
    let mark = Action::new(move |_: &()| mark_notifications_read());
    Effect::new(move |_| {
        if let Some(Ok(())) = mark.value().get() {
            refresh.update(|v| *v += 1);
        }
    });
    view! {
        <div class="relative">
            <button
                type="button"
                class="relative rounded-lg p-2 text-slate-500 hover:bg-slate-100 hover:text-slate-900"
                aria-label="Notifications"
                data-testid="bell"
                on:click=move |_| {
                    let now_open = !open.get_untracked();
                    open.set(now_open);
                    if !now_open && list.get_untracked().and_then(|r| r.ok()).is_some_and(|l| l.unread > 0) {
                        mark.dispatch(());
                    }
                }
            >
                <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" class="h-5 w-5" aria-hidden="true">
                    <path stroke-linecap="round" stroke-linejoin="round" d="M14.857 17.082a23.848 23.848 0 0 0 5.454-1.31A8.967 8.967 0 0 1 18 9.75V9A6 6 0 0 0 6 9v.75a8.967 8.967 0 0 1-2.312 6.022c1.733.64 3.56 1.085 5.455 1.31m5.714 0a24.255 24.255 0 0 1-5.714 0m5.714 0a3 3 0 1 1-5.714 0" />
                </svg>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        list.await.ok().filter(|l| l.unread > 0).map(|l| view! {
                            <span class="absolute -right-0.5 -top-0.5 flex h-4 min-w-4 items-center justify-center rounded-full bg-red-600 px-1 text-[10px] font-semibold text-white" data-testid="bell-count">{l.unread}</span>
                        })
                    })}
                </Transition>
            </button>
            <Show when=move || open.get()>
                <div class="absolute right-0 z-30 mt-2 w-80 max-w-[90vw] rounded-xl border border-slate-200 bg-white shadow-lg" data-testid="notifications">
                    <div class="flex items-center justify-between border-b border-slate-100 px-4 py-2">
                        <span class="text-sm font-semibold text-slate-900">"Notifications"</span>
                        <button type="button" class="text-xs font-medium text-emerald-700" on:click=move |_| { mark.dispatch(()); }>"Mark all read"</button>
                    </div>
                    {move || match list.get() {
                        None => view! { <p class="px-4 py-6 text-center text-sm text-slate-500">"Loading…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="px-4 py-3 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                        Some(Ok(l)) if l.items.is_empty() => view! { <p class="px-4 py-6 text-center text-sm text-slate-500">"Nothing new. Notes about overrides, alerts and setup show up here."</p> }.into_any(),
                        Some(Ok(l)) => view! {
                            <ul class="max-h-96 divide-y divide-slate-100 overflow-y-auto">
                                {l.items.into_iter().map(|n| view! {
                                    <li class={if n.unread { "bg-emerald-50/60 px-4 py-3" } else { "px-4 py-3" }} data-testid="notification">
                                        {match n.link.clone() {
                                            Some(href) => view! { <a href=href class="text-sm text-slate-800 hover:underline">{n.text.clone()}</a> }.into_any(),
                                            None => view! { <p class="text-sm text-slate-800">{n.text.clone()}</p> }.into_any(),
                                        }}
                                        <p class="mt-0.5 text-xs text-slate-500">{n.when.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                </div>
            </Show>
        </div>
    }
}
