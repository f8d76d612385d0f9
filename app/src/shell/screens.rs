//! Every screen but sign-in is its own piece of WASM (`cargo leptos build
//! --split`): the sign-in page downloads only the frame and the form; a
//! sitter's inbox adds the inbox's piece, never the setup wizard or
//! analytics. A screen's piece is
//! fetched when the router first needs it (on the server-rendered page the
//! server names it up front, so it loads beside the main script) or when a
//! navigation link to it is hovered or focused (`prefetch`).

use super::OwnerOnly;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

macro_rules! screens {
    ($( $route:ident => $page:expr ),* $(,)?) => {
        $(
            pub struct $route;

            #[lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                fn view(_this: Self) -> AnyView {
                    $page
                }
            }
        )*
    };
}

screens! {
    InboxScreen => view! { <crate::inbox::InboxPage /> }.into_any(),
    NewConversationScreen => view! { <OwnerOnly><crate::conversations::NewConversationPage /></OwnerOnly> }.into_any(),
    AccountScreen => view! { <crate::account::AccountPage /> }.into_any(),
    ResetScreen => view! { <crate::account::ResetPage /> }.into_any(),
    ScheduleScreen => view! { <crate::assignments::SchedulePage /> }.into_any(),
    WelcomeScreen => view! { <crate::auth::CreateOwnerPage /> }.into_any(),
    HomeScreen => super::home_page().into_any(),
    NumbersScreen => view! { <OwnerOnly><crate::numbers::NumbersPage /></OwnerOnly> }.into_any(),
    RoutingScreen => view! { <OwnerOnly><crate::routing::RoutingPage /></OwnerOnly> }.into_any(),
    AssignmentsScreen => view! { <OwnerOnly><crate::assignments::AssignmentsPage /></OwnerOnly> }.into_any(),
    PeopleScreen => view! { <OwnerOnly><crate::people::PeoplePage /></OwnerOnly> }.into_any(),
    AutomationsScreen => view! { <OwnerOnly><crate::automations::AutomationsPage /></OwnerOnly> }.into_any(),
    AutomationEditorScreen => view! { <OwnerOnly><crate::automations::AutomationEditorPage /></OwnerOnly> }.into_any(),
    AlertsScreen => view! { <OwnerOnly><crate::alerts::AlertsPage /></OwnerOnly> }.into_any(),
    AuditScreen => view! { <OwnerOnly><crate::audit::AuditPage /></OwnerOnly> }.into_any(),
    ViolationsScreen => view! { <OwnerOnly><crate::policy::ViolationsPage /></OwnerOnly> }.into_any(),
    FailuresScreen => view! { <OwnerOnly><crate::audit::failures::FailuresPage /></OwnerOnly> }.into_any(),
    AnalyticsScreen => view! { <OwnerOnly><crate::audit::analytics::AnalyticsPage /></OwnerOnly> }.into_any(),
    SettingsScreen => view! { <OwnerOnly><crate::settings::SettingsPage /></OwnerOnly> }.into_any(),
    SetupScreen => view! { <OwnerOnly><crate::setup::SetupPage /></OwnerOnly> }.into_any(),
}

/// Starts fetching the piece behind a navigation link (hovered or
/// focused), so the click finds it loaded.
pub fn prefetch(href: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::task::spawn_local;
        match href {
            "/" => spawn_local(HomeScreen::preload()),
            "/inbox" => spawn_local(InboxScreen::preload()),
            "/schedule" => spawn_local(ScheduleScreen::preload()),
            "/numbers" => spawn_local(NumbersScreen::preload()),
            "/routing" => spawn_local(RoutingScreen::preload()),
            "/assignments" => spawn_local(AssignmentsScreen::preload()),
            "/people" => spawn_local(PeopleScreen::preload()),
            "/automations" => spawn_local(AutomationsScreen::preload()),
            "/alerts" => spawn_local(AlertsScreen::preload()),
            "/audit" => spawn_local(AuditScreen::preload()),
            "/settings" => spawn_local(SettingsScreen::preload()),
            "/setup" => spawn_local(SetupScreen::preload()),
            _ => {}
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}
