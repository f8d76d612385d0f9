use crate::domain::roles::Role;
use leptos::prelude::*;
use leptos_router::components::A;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// The navigation for a role: owners see every screen of SPEC §4, sitters
/// their inbox and schedule.
pub fn nav_items(role: Role) -> Vec<NavItem> {
    let owner = [
        ("/", "Dashboard"),
        ("/inbox", "Inbox"),
        ("/assignments", "Assignments"),
        ("/routing", "Routing"),
        ("/numbers", "Numbers"),
        ("/people", "People"),
        ("/automations", "Automations"),
        ("/alerts", "Alerts"),
        ("/audit", "Audit"),
        ("/settings", "Settings"),
        ("/setup", "Setup"),
    ];
    let sitter = [("/inbox", "Inbox"), ("/schedule", "My schedule")];
    let list: &[(&str, &str)] = if role.manages_business() { &owner } else { &sitter };
    list.iter().map(|(href, label)| NavItem { href, label }).collect()
}

/// The unread count next to "Inbox", loaded inside a Transition so the
/// server and the browser render the same thing.
fn count(item: &NavItem, unread: UnreadResource) -> impl IntoView {
    let is_inbox = item.href == "/inbox";
    is_inbox.then(|| {
        view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    unread.0.await.ok().filter(|n| *n > 0).map(|n| {
                        view! {
                            <span class="ml-auto rounded-full bg-emerald-600 px-1.5 py-0.5 text-xs font-semibold text-white" data-testid="nav-unread">
                                {n}
                            </span>
                        }
                    })
                })}
            </Transition>
        }
    })
}

/// Unread conversations, refreshed on every live event.
#[derive(Clone, Copy)]
pub struct UnreadResource(pub Resource<Result<i64, crate::error::AppError>>);

#[component]
pub fn SideLink(item: NavItem, badge: UnreadResource) -> impl IntoView {
    let c = count(&item, badge);
    view! {
        <A
            href=item.href
            exact=item.href == "/"
            on:mouseenter=move |_| super::screens::prefetch(item.href)
            on:focusin=move |_| super::screens::prefetch(item.href)
            attr:class="flex items-center gap-2 rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800"
        >
            {item.label}
            {c}
        </A>
    }
}

#[component]
pub fn TabLink(item: NavItem, badge: UnreadResource) -> impl IntoView {
    let c = count(&item, badge);
    view! {
        <A
            href=item.href
            exact=item.href == "/"
            on:mouseenter=move |_| super::screens::prefetch(item.href)
            on:focusin=move |_| super::screens::prefetch(item.href)
            attr:class="flex items-center gap-1.5 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 aria-[current=page]:bg-emerald-600 aria-[current=page]:text-white"
        >
            {item.label}
            {c}
        </A>
    }
}
