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

#[component]
pub fn SideLink(item: NavItem) -> impl IntoView {
    view! {
        <A
            href=item.href
            exact=item.href == "/"
            attr:class="flex items-center rounded-lg px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800"
        >
            {item.label}
        </A>
    }
}

#[component]
pub fn TabLink(item: NavItem) -> impl IntoView {
    view! {
        <A
            href=item.href
            exact=item.href == "/"
            attr:class="whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 aria-[current=page]:bg-emerald-600 aria-[current=page]:text-white"
        >
            {item.label}
        </A>
    }
}
