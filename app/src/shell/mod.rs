//! The application frame: the HTML document, the routes, and the signed-in
//! layout with its navigation (sidebar on desktop, a tab strip on phones).
//! Sitters see only their own screens; every owner screen is also guarded
//! on the server.

mod nav;
mod screens;

use crate::auth::{whoami, LoginPage, Me, PageSession, SignOut};
use crate::ui::{provide_toaster, Loading, ToastHost};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};
pub use nav::{nav_items, NavItem};
use screens::*;

/// A page's Content-Security-Policy nonce: made by the server's guard for
/// each request, put on the page's inline scripts by the renderer, and
/// named in the page's policy header.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
impl Default for CspNonce {
    fn default() -> Self {
        CspNonce(crate::platform::crypto::random_token())
    }
}

#[cfg(feature = "ssr")]
impl CspNonce {
    pub fn new() -> Self {
        Self::default()
    }

    /// Scripts only from this server or with the nonce (plus compiling the
    /// WASM); no plugins, no <base>, forms only to us, never framed.
    pub fn policy(&self) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            self.0
        )
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(n) = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#059669" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="leptos" href=stylesheet_href(&options) />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The styles' address: with the content hash in the name when the build
/// made one (`hash.txt` beside the server binary, line `css: <hash>`).
fn stylesheet_href(options: &LeptosOptions) -> String {
    let name = &options.output_name;
    let pkg = &options.site_pkg_dir;
    #[cfg(feature = "ssr")]
    if options.hash_files {
        static HASH: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let hash = HASH.get_or_init(|| {
            let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
            let text = std::fs::read_to_string(dir.join(options.hash_file.as_ref())).ok()?;
            text.lines().find_map(|l| l.trim().strip_prefix("css:").map(|h| h.trim().to_string()))
        });
        if let Some(h) = hash {
            return format!("/{pkg}/{name}.{h}.css");
        }
    }
    format!("/{pkg}/{name}.css")
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toaster();
    view! {
        <Title text="Leashline" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/welcome") view={Lazy::<WelcomeScreen>::new()} ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view={Lazy::<ResetScreen>::new()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedIn ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<HomeScreen>::new()} />
                    <Route path=path!("/inbox/:id?") view={Lazy::<InboxScreen>::new()} />
                    <Route path=path!("/conversations/new") view={Lazy::<NewConversationScreen>::new()} />
                    <Route path=path!("/account") view={Lazy::<AccountScreen>::new()} />
                    <Route path=path!("/schedule") view={Lazy::<ScheduleScreen>::new()} />
                    <Route path=path!("/numbers") view={Lazy::<NumbersScreen>::new()} />
                    <Route path=path!("/routing") view={Lazy::<RoutingScreen>::new()} />
                    <Route path=path!("/assignments") view={Lazy::<AssignmentsScreen>::new()} />
                    <Route path=path!("/people") view={Lazy::<PeopleScreen>::new()} />
                    <Route path=path!("/automations") view={Lazy::<AutomationsScreen>::new()} />
                    <Route path=path!("/automations/:id") view={Lazy::<AutomationEditorScreen>::new()} />
                    <Route path=path!("/alerts") view={Lazy::<AlertsScreen>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditScreen>::new()} />
                    <Route path=path!("/audit/violations") view={Lazy::<ViolationsScreen>::new()} />
                    <Route path=path!("/audit/failures") view={Lazy::<FailuresScreen>::new()} />
                    <Route path=path!("/audit/analytics") view={Lazy::<AnalyticsScreen>::new()} />
                    <Route path=path!("/settings") view={Lazy::<SettingsScreen>::new()} />
                    <Route path=path!("/setup") view={Lazy::<SetupScreen>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
        <ToastHost />
    }
}

/// The signed-in frame; everyone else goes to the sign-in page.
///
/// Who is signed in arrives with the page (a `SharedValue` the server fills
/// in before rendering), not from a resource: a Suspense re-runs its
/// children while rendering on the server, and a layout built inside one
/// would create every page resource twice, which breaks hydration. Only
/// after an in-app navigation (right after signing in) does the browser ask
/// the server, and there nothing renders twice.
#[component]
fn SignedIn() -> impl IntoView {
    let session = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            crate::auth::page_session()
        }
        #[cfg(not(feature = "ssr"))]
        {
            PageSession::Unknown
        }
    })
    .into_inner();
    match session {
        PageSession::SignedIn(me) => view! { <Frame me=me /> }.into_any(),
        PageSession::SignedOut => view! { <Redirect path="/login" /> }.into_any(),
        PageSession::Failed(message) => view! { <div class="p-8"><SessionError message=message /></div> }.into_any(),
        PageSession::Unknown => view! { <AskWhoami /> }.into_any(),
    }
}

#[component]
fn SessionError(message: String) -> impl IntoView {
    view! {
        <div class="mx-auto max-w-lg rounded-xl border border-red-200 bg-red-50 p-6 text-red-800" role="alert">
            <p class="font-semibold">"Something went wrong"</p>
            <p class="mt-1 text-sm">{message}</p>
        </div>
    }
}

/// Browser-only: who is signed in, asked after an in-app navigation.
#[component]
fn AskWhoami() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| view! { <div class="p-8"><Loading /></div> }>
            {move || {
                me.get()
                    .map(|r| match r {
                        Ok(Some(me)) => view! { <Frame me=me /> }.into_any(),
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(e) => view! { <div class="p-8"><SessionError message=e.to_string() /></div> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// Provides `Me` and live updates, then the layout.
#[component]
fn Frame(me: Me) -> impl IntoView {
    provide_context(me.clone());
    let live = crate::live::provide_live();
    let unread = Resource::new(move || live.version.get(), |_| crate::inbox::unread_count());
    let refresh = RwSignal::new(0u64);
    let notes = Resource::new(move || (live.version.get(), refresh.get()), |_| crate::notifications::notifications());
    view! { <Layout me=me badge=nav::UnreadResource(unread) notes=notes refresh=refresh /> }
}

pub fn use_me() -> Option<Me> {
    use_context::<Me>()
}

#[component]
fn Layout(
    me: Me,
    badge: nav::UnreadResource,
    notes: Resource<Result<crate::notifications::NotificationList, crate::error::AppError>>,
    refresh: RwSignal<u64>,
) -> impl IntoView {
    let items = nav_items(me.role);
    let items_mobile = items.clone();
    let sign_out = ServerAction::<SignOut>::new();
    let initials: String = me.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    let banner = (!me.ready).then(|| {
        if me.is_owner() {
            view! {
                <div class="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900 lg:px-8" data-testid="readiness-banner">
                    "Texting is switched off until setup is finished. "
                    <a href="/setup" class="font-semibold underline">"Continue setup →"</a>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900" data-testid="readiness-banner">
                    "Texting is paused while the owner finishes setting up."
                </div>
            }
            .into_any()
        }
    });
    view! {
        <div class="min-h-full">
            <aside class="hidden lg:fixed lg:inset-y-0 lg:flex lg:w-60 lg:flex-col border-r border-slate-200 bg-white">
                <div class="flex h-14 items-center gap-2 px-5">
                    <span class="flex h-8 w-8 items-center justify-center rounded-lg bg-emerald-600 font-bold text-white">"L"</span>
                    <span class="text-lg font-bold tracking-tight">"Leashline"</span>
                </div>
                <nav class="flex-1 space-y-0.5 overflow-y-auto px-3 py-3" aria-label="Main" data-testid="sidebar-nav">
                    {items.into_iter().map(|i| view! { <nav::SideLink item=i badge=badge /> }).collect_view()}
                </nav>
                <div class="border-t border-slate-200 p-4">
                    <div class="flex items-center gap-3">
                        <span class="flex h-9 w-9 items-center justify-center rounded-full bg-slate-200 text-sm font-semibold text-slate-700">{initials.clone()}</span>
                        <div class="min-w-0">
                            <div class="truncate text-sm font-medium">{me.name.clone()}</div>
                            <div class="truncate text-xs text-slate-500">{if me.is_owner() { "Owner" } else { "Sitter" }}</div>
                        </div>
                    </div>
                </div>
            </aside>
            <div class="lg:pl-60">
                <header class="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur">
                    <div class="flex h-14 items-center gap-3 px-4 lg:px-8">
                        <span class="flex h-8 w-8 items-center justify-center rounded-lg bg-emerald-600 font-bold text-white lg:hidden">"L"</span>
                        <div class="min-w-0 flex-1">
                            <div class="truncate text-sm font-semibold text-slate-900" data-testid="org-name">{me.org_name.clone()}</div>
                        </div>
                        <crate::notifications::Bell list=notes refresh=refresh />
                        <a href="/account" class="rounded-md px-2 py-1 text-sm text-slate-500 hover:bg-slate-100 hover:text-slate-900" title="Your account" data-testid="signed-in-as">
                            <span class="hidden sm:inline">{me.name.clone()}</span>
                            <span class="sm:hidden">"Account"</span>
                        </a>
                        <ActionForm action=sign_out>
                            <button type="submit" class=crate::ui::btn::GHOST data-testid="sign-out">"Sign out"</button>
                        </ActionForm>
                    </div>
                    <nav class="flex gap-1 overflow-x-auto border-t border-slate-100 px-2 py-1.5 lg:hidden" aria-label="Main" data-testid="tab-nav">
                        {items_mobile.into_iter().map(|i| view! { <nav::TabLink item=i badge=badge /> }).collect_view()}
                    </nav>
                </header>
                {banner}
                <main class="mx-auto max-w-7xl px-4 py-6 lg:px-8">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// The root: owners get the dashboard, sitters their inbox.
fn home_page() -> impl IntoView {
    match use_me() {
        Some(me) if me.is_owner() => view! { <crate::dashboard::DashboardPage /> }.into_any(),
        _ => view! { <Redirect path="/inbox" /> }.into_any(),
    }
}

/// Shows the page to owners; sitters get a clear refusal (the server
/// functions behind the page refuse them too).
#[component]
pub fn OwnerOnly(children: ChildrenFn) -> impl IntoView {
    let allowed = use_me().is_some_and(|m| m.is_owner());
    if allowed {
        children().into_any()
    } else {
        #[cfg(feature = "ssr")]
        crate::platform::ctx::set_status(403);
        view! {
            <div class="mx-auto max-w-lg rounded-xl border border-amber-200 bg-amber-50 p-6 text-amber-900" data-testid="owner-only">
                <h1 class="text-lg font-semibold">"This page is for the business owner"</h1>
                <p class="mt-2 text-sm">"Your account can use the inbox and your schedule. If you need something changed here, ask the owner."</p>
                <a href="/inbox" class="mt-4 inline-block text-sm font-semibold text-amber-900 underline">"Go to your inbox"</a>
            </div>
        }
        .into_any()
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::platform::ctx::set_status(404);
    view! {
        <div class="flex min-h-screen flex-col items-center justify-center gap-3 px-4 text-center">
            <h1 class="text-2xl font-bold">"We couldn't find that page"</h1>
            <p class="text-slate-500">"The link may be old or mistyped."</p>
            <a href="/" class="font-semibold text-emerald-700 underline">"Back to the start"</a>
        </div>
    }
}
