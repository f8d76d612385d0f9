//! The wizard's screens: the progress indicator (a list on desktop, a bar
//! on a phone), one card per step, and Back / Skip / Next underneath. Next
//! is enabled only when the step's requirement holds, computed with the
//! same rules the server applies.

use super::{
    complete_setup_step, connect_provider, load_setup, offers_for_bulk, run_hookup, skip_setup_step, verify_account,
    ConnectForm, HookupResult, SetupState,
};
use crate::domain::numbers::Hookup;
use crate::domain::setup::{requirement, Step};
use crate::numbers::{buy_number, import_number, search_numbers_for_sale, Offer};
use crate::ui::{btn, field, Badge, Card, Loading, PageHeader, Tone};
use leptos::prelude::*;

use crate::domain::time::OFFERED_ZONES as TIME_ZONES;

#[derive(Clone, Copy)]
struct Wizard {
    state: RwSignal<SetupState>,
    current: RwSignal<u8>,
}

impl Wizard {
    fn step(&self) -> Step {
        Step::from_number(self.current.get()).unwrap_or(Step::Connect)
    }

    /// Takes the server's new state and moves to where it says to resume,
    /// unless the owner is revisiting an earlier step.
    fn advance(&self, s: SetupState) {
        let next = s.step;
        self.state.set(s);
        self.current.set(next);
    }
}

fn error_box(e: String) -> impl IntoView {
    view! { <p class="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="setup-error">{e}</p> }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| load_setup());
    view! {
        <leptos_meta::Title text="Setup · Leashline" />
        <PageHeader title="Set up Leashline" subtitle="Seven steps from a fresh install to texting your clients. Each step is saved as you finish it, so you can stop and come back." />
        <Transition fallback=|| view! { <Card><Loading label="Loading setup" /></Card> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(s) => view! { <WizardView initial=s /> }.into_any(),
                    Err(e) => error_box(e.to_string()).into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WizardView(initial: SetupState) -> impl IntoView {
    let current = RwSignal::new(initial.step);
    let was_ready = initial.ready;
    let w = Wizard { state: RwSignal::new(initial), current };
    provide_context(w);
    let nav_error = RwSignal::new(None::<String>);
    let complete = Action::new(|n: &u8| complete_setup_step(*n));
    let skip = Action::new(|n: &u8| skip_setup_step(*n));
    Effect::new(move |_| match complete.value().get() {
        Some(Ok(s)) => {
            nav_error.set(None);
            let finished = s.ready && s.progress.is_done(Step::Finish);
            w.advance(s);
            if finished && !was_ready {
                // Texting just switched on: reload so every banner says so.
                let _ = window().location().reload();
            }
        }
        Some(Err(e)) => nav_error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| match skip.value().get() {
        Some(Ok(s)) => {
            nav_error.set(None);
            w.advance(s);
        }
        Some(Err(e)) => nav_error.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| {
        current.track();
        nav_error.set(None);
    });
    // Steps with a test (connect, check, hookup) are done only when their
    // test passed; the others when their requirement holds.
    let blocked = move || {
        let step = w.step();
        let s = w.state.get();
        let tested = matches!(step, Step::Connect | Step::Verify | Step::Hookup);
        match requirement(step, &s.facts) {
            Err(e) => Some(e),
            Ok(()) if tested && !s.progress.completed.contains(&step.number()) => Some(match step {
                Step::Connect => "Test the connection first.".to_string(),
                Step::Verify => "Check the account first.".to_string(),
                _ => "Connect the numbers: the hookup checks each one.".to_string(),
            }),
            Ok(()) => None,
        }
    };
    let on_next = move |_| {
        let step = w.step();
        let s = w.state.get_untracked();
        if matches!(step, Step::Connect | Step::Verify | Step::Hookup) {
            // These complete when their test passes; Next only moves on.
            if let Some(n) = step.next() {
                current.set(n.number());
            }
        } else if !(step == Step::Finish && s.ready && s.progress.is_done(Step::Finish)) {
            complete.dispatch(step.number());
        }
    };
    view! {
        <div class="grid gap-6 lg:grid-cols-[15rem_1fr]">
            <StepList />
            <div class="min-w-0">
                {progress_bar(w)}
                <section class="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="setup-step" data-step=move || current.get().to_string()>
                    <header class="border-b border-slate-100 px-5 py-4">
                        <p class="text-xs font-semibold uppercase tracking-wide text-emerald-700">
                            {move || format!("Step {} of 7{}", current.get(), if w.step().optional() { " · optional" } else { "" })}
                        </p>
                        <h2 class="mt-0.5 text-lg font-semibold text-slate-900" data-testid="setup-step-title">{move || w.step().title()}</h2>
                    </header>
                    <div class="p-5">
                        {move || step_body(w.step())}
                    </div>
                    <footer class="flex flex-col-reverse gap-3 border-t border-slate-100 px-5 py-4 sm:flex-row sm:items-center sm:justify-between">
                        <div>
                            {move || w.step().previous().map(|p| view! {
                                <button type="button" class=btn::GHOST data-testid="setup-back" on:click=move |_| current.set(p.number())>"← Back"</button>
                            })}
                        </div>
                        <div class="flex flex-col items-stretch gap-2 sm:items-end">
                            <div class="flex flex-wrap items-center justify-end gap-2">
                                {move || (w.step().optional() && !w.state.get().progress.completed.contains(&w.step().number())).then(|| view! {
                                    <button type="button" class=btn::SECONDARY data-testid="setup-skip" disabled=move || skip.pending().get()
                                        on:click=move |_| { skip.dispatch(w.step().number()); }>"Skip for now"</button>
                                })}
                                {move || {
                                    let finish = w.step() == Step::Finish;
                                    let done = finish && w.state.get().ready && w.state.get().progress.is_done(Step::Finish);
                                    (!done).then(|| view! {
                                        <button type="button" class=btn::PRIMARY data-testid="setup-next"
                                            disabled=move || blocked().is_some() || complete.pending().get()
                                            on:click=on_next>
                                            {move || match (finish, complete.pending().get()) {
                                                (_, true) => "Saving…",
                                                (true, false) => "Finish setup",
                                                (false, false) => "Next →",
                                            }}
                                        </button>
                                    })
                                }}
                            </div>
                            {move || blocked().map(|b| view! { <p class="text-xs text-slate-500 sm:text-right" data-testid="setup-blocked">{b}</p> })}
                        </div>
                    </footer>
                    {move || nav_error.get().map(|e| view! { <div class="px-5 pb-4">{error_box(e)}</div> })}
                </section>
            </div>
        </div>
    }
}

/// On a phone, the step list gives way to a bar.
fn progress_bar(w: Wizard) -> impl IntoView {
    let current = w.current;
    view! {
        <div class="mb-3 lg:hidden" data-testid="setup-progress-bar">
            <div class="flex items-center justify-between text-xs font-medium text-slate-600">
                <span>{move || format!("Step {} of 7", current.get())}</span>
                <span>{move || w.step().short()}</span>
            </div>
            <div class="mt-1 h-2 rounded-full bg-slate-200">
                <div class="h-2 rounded-full bg-emerald-500 transition-all" style=move || format!("width: {}%", u32::from(current.get()) * 100 / 7)></div>
            </div>
        </div>
    }
}

fn step_body(step: Step) -> AnyView {
    match step {
        Step::Connect => view! { <ConnectStep /> }.into_any(),
        Step::Verify => view! { <VerifyStep /> }.into_any(),
        Step::FrontDesk => view! { <FrontDeskStep /> }.into_any(),
        Step::SitterNumbers => view! { <BulkStep class="sitter" max=50 /> }.into_any(),
        Step::PoolNumbers => view! { <BulkStep class="pool" max=20 /> }.into_any(),
        Step::Hookup => view! { <HookupStep /> }.into_any(),
        Step::Finish => view! { <FinishStep /> }.into_any(),
    }
}

#[component]
fn StepList() -> impl IntoView {
    let w = expect_context::<Wizard>();
    view! {
        <nav aria-label="Setup steps" class="hidden lg:block">
            <ol class="space-y-1" data-testid="setup-steps">
                {Step::ALL.into_iter().map(|s| {
                    let n = s.number();
                    let done = move || w.state.get().progress.completed.contains(&n);
                    let skipped = move || w.state.get().progress.skipped.contains(&n);
                    let reachable = move || w.state.get().progress.reachable(s);
                    let here = move || w.current.get() == n;
                    view! {
                        <li>
                            <button type="button"
                                class=move || format!(
                                    "flex w-full items-center gap-3 rounded-lg px-3 py-2 text-left text-sm disabled:cursor-not-allowed {}",
                                    if here() { "bg-emerald-50 font-semibold text-emerald-900" } else if reachable() { "text-slate-700 hover:bg-slate-100" } else { "text-slate-400" }
                                )
                                disabled=move || !reachable()
                                aria-current=move || here().then_some("step")
                                data-testid="setup-step-link"
                                data-state=move || if done() { "done" } else if skipped() { "skipped" } else { "open" }
                                on:click=move |_| w.current.set(n)
                            >
                                <span class=move || format!(
                                    "flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-bold {}",
                                    if done() { "bg-emerald-600 text-white" } else if here() { "border-2 border-emerald-600 text-emerald-700" } else { "border border-slate-300 text-slate-500" }
                                )>
                                    {move || if done() { "✓".to_string() } else { n.to_string() }}
                                </span>
                                <span class="flex-1">{s.short()}</span>
                                {move || skipped().then(|| view! { <span class="text-xs font-normal text-slate-400">"skipped"</span> })}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </nav>
    }
}

#[component]
fn ConnectStep() -> impl IntoView {
    let w = expect_context::<Wizard>();
    let s = w.state.get_untracked();
    let form = RwSignal::new(ConnectForm {
        mode: if s.provider.is_empty() { "demo".into() } else { s.provider.clone() },
        account_sid: String::new(),
        auth_token: String::new(),
        business_name: s.business_name.clone(),
        time_zone: s.time_zone.clone(),
    });
    let connect = Action::new(|f: &ConnectForm| connect_provider(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(s)) = connect.value().get() {
            w.advance(s);
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(connect, name);
    let choice = move |mode: &'static str, title: &'static str, body: &'static str| {
        view! {
            <label class=move || format!(
                "flex cursor-pointer gap-3 rounded-xl border p-4 {}",
                if form.get().mode == mode { "border-emerald-500 bg-emerald-50 ring-1 ring-emerald-500" } else { "border-slate-200 hover:border-slate-300" }
            )>
                <input type="radio" name="mode" class="mt-1 h-4 w-4" value=mode data-testid=format!("mode-{mode}")
                    prop:checked=move || form.get().mode == mode on:change=move |_| form.update(|f| f.mode = mode.into()) />
                <span>
                    <span class="block text-sm font-semibold text-slate-900">{title}</span>
                    <span class="mt-0.5 block text-sm text-slate-600">{body}</span>
                </span>
            </label>
        }
    };
    let mut zones: Vec<(String, String)> = TIME_ZONES.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    if !zones.iter().any(|(z, _)| *z == s.time_zone) {
        zones.insert(0, (s.time_zone.clone(), s.time_zone.clone()));
    }
    let server_creds = s.server_credentials;
    view! {
        {(!s.provider.is_empty()).then(|| view! {
            <div class="mb-4 flex flex-wrap items-center gap-2 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="connected-as">
                <Badge tone=Tone::Good text="Connected" />
                {format!("{} · {}", if s.provider == "demo" { "Demo numbers" } else { "Twilio" }, s.provider_label.clone().unwrap_or_default())}
                <span class="text-emerald-800">"— change anything below and test again."</span>
            </div>
        })}
        <form class="space-y-5" data-testid="connect-form" on:submit=move |ev| { ev.prevent_default(); connect.dispatch(form.get_untracked()); }>
            <div class="grid gap-3 md:grid-cols-2">
                {choice("demo", "Try it with demo numbers", "Pretend numbers and pretend clients, so you can see how everything works. Nothing is sent and nothing costs money.")}
                {choice("twilio", "Connect my Twilio account", "Real numbers and real texts, billed by Twilio. You'll need the Account ID and Auth Token from your Twilio console.")}
            </div>
            <Show when=move || form.get().mode == "twilio">
                {if server_creds {
                    view! { <p class="rounded-lg bg-sky-50 px-3 py-2 text-sm text-sky-900">"This server already has Twilio credentials in its settings; testing uses those."</p> }.into_any()
                } else {
                    view! {
                        <div class="grid gap-3 md:grid-cols-2">
                            <label class="block">
                                <span class=field::LABEL>"Account ID"</span>
                                <input class=field::INPUT name="account_sid" autocomplete="off" spellcheck="false" placeholder="AC…" data-testid="account-sid"
                                    aria-invalid=move || err_for("account_sid")().is_some().to_string()
                                    prop:value=move || form.get().account_sid on:input=move |ev| form.update(|f| f.account_sid = event_target_value(&ev)) />
                                <span class=format!("block {}", field::HELP)>"On the Twilio console's home page, under Account Info. Starts with AC."</span>
                                {move || err_for("account_sid")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                            </label>
                            <label class="block">
                                <span class=field::LABEL>"Auth Token"</span>
                                <input class=field::INPUT type="password" name="auth_token" autocomplete="off" data-testid="auth-token"
                                    aria-invalid=move || err_for("auth_token")().is_some().to_string()
                                    prop:value=move || form.get().auth_token on:input=move |ev| form.update(|f| f.auth_token = event_target_value(&ev)) />
                                <span class=format!("block {}", field::HELP)>"Stored encrypted and never shown again."</span>
                                {move || err_for("auth_token")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                            </label>
                        </div>
                    }.into_any()
                }}
            </Show>
            <div class="grid gap-3 md:grid-cols-2">
                <label class="block">
                    <span class=field::LABEL>"Business name"</span>
                    <input class=field::INPUT name="business_name" maxlength="80" data-testid="business-name"
                        aria-invalid=move || err_for("business_name")().is_some().to_string()
                        prop:value=move || form.get().business_name on:input=move |ev| form.update(|f| f.business_name = event_target_value(&ev)) />
                    <span class=format!("block {}", field::HELP)>"As your clients know it; used in automatic messages."</span>
                    {move || err_for("business_name")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                </label>
                <label class="block">
                    <span class=field::LABEL>"Time zone"</span>
                    <select class=field::INPUT name="time_zone" data-testid="time-zone"
                        prop:value=move || form.get().time_zone on:change=move |ev| form.update(|f| f.time_zone = event_target_value(&ev))>
                        {zones.into_iter().map(|(z, label)| view! { <option value=z.clone()>{label}</option> }).collect_view()}
                    </select>
                    <span class=format!("block {}", field::HELP)>"Visit times, quiet hours and reports use it."</span>
                    {move || err_for("time_zone")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                </label>
            </div>
            {move || match connect.value().get() {
                Some(Err(e)) if e.field_name().is_none() => Some(error_box(e.to_string())),
                _ => None,
            }}
            <button type="submit" class=btn::PRIMARY data-testid="connect-submit" disabled=move || connect.pending().get()>
                {move || match (connect.pending().get(), form.get().mode == "demo") {
                    (true, _) => "Testing the connection…",
                    (false, true) => "Use demo numbers",
                    (false, false) => "Test connection and save",
                }}
            </button>
        </form>
    }
}

#[component]
fn VerifyStep() -> impl IntoView {
    let w = expect_context::<Wizard>();
    let verify = Action::new(|_: &()| verify_account());
    Effect::new(move |_| {
        if let Some(Ok(s)) = verify.value().get() {
            w.state.set(s);
        }
    });
    view! {
        <p class="text-sm text-slate-600">"What your texting provider told us about the account. Check again any time; nothing changes on the account."</p>
        {move || w.state.get().account.map(|a| {
            let row = |label: &'static str, value: String, tone: Tone, badge: &'static str| view! {
                <div class="flex flex-wrap items-center justify-between gap-2 py-3">
                    <dt class="text-sm font-medium text-slate-700">{label}</dt>
                    <dd class="flex items-center gap-2 text-sm text-slate-900">{value}<Badge tone=tone text=badge /></dd>
                </div>
            };
            view! {
                <dl class="mt-4 divide-y divide-slate-100 rounded-lg border border-slate-200 px-4" data-testid="account-checks">
                    {row("Account reachable", format!("{} {}", a.label, a.name), Tone::Good, "OK")}
                    {row(
                        "Account status",
                        if a.active { "Can buy numbers and send texts".to_string() } else { format!("Twilio says \"{}\"", a.status) },
                        if a.active { Tone::Good } else { Tone::Bad },
                        if a.active { "Active" } else { "Not active" },
                    )}
                    {row(
                        "Balance",
                        a.balance.clone().unwrap_or_else(|| "Not reported".into()),
                        if a.low_balance { Tone::Warn } else { Tone::Good },
                        if a.low_balance { "Low" } else { "OK" },
                    )}
                </dl>
                {a.low_balance.then(|| view! {
                    <p class="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="low-balance">
                        "The balance is low: texts stop when it runs out. Add funds in the Twilio console (Billing), or turn on auto-recharge."
                    </p>
                })}
            }
        })}
        {move || match verify.value().get() {
            Some(Err(e)) => Some(error_box(e.to_string())),
            _ => None,
        }}
        <button type="button" class=format!("mt-4 {}", btn::SECONDARY) data-testid="verify-again" disabled=move || verify.pending().get()
            on:click=move |_| { verify.dispatch(()); }>
            {move || if verify.pending().get() { "Checking…" } else { "Check again" }}
        </button>
    }
}

/// The numbers of one class already in the wizard's state.
#[component]
fn HaveNumbers(class: &'static str) -> impl IntoView {
    let w = expect_context::<Wizard>();
    move || {
        let list: Vec<_> = w
            .state
            .get()
            .numbers
            .into_iter()
            .filter(|n| n.class.map(|c| c.as_str()) == Some(class) && !n.quarantined)
            .collect();
        (!list.is_empty()).then(|| view! {
            <div class="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3" data-testid=format!("have-{class}")>
                <p class="text-sm font-semibold text-emerald-900">{format!("You have {} {} number{}", list.len(), if class == "front_desk" { "Front Desk" } else { class }, if list.len() == 1 { "" } else { "s" })}</p>
                <p class="mt-1 text-sm text-emerald-800">{list.iter().map(|n| n.display.clone()).collect::<Vec<_>>().join(" · ")}</p>
            </div>
        })
    }
}

async fn refresh(w: Wizard) {
    if let Ok(s) = load_setup().await {
        w.state.set(s);
    }
}

#[component]
fn FrontDeskStep() -> impl IntoView {
    let w = expect_context::<Wizard>();
    let area = RwSignal::new(String::new());
    let search = Action::new(|a: &String| search_numbers_for_sale(a.clone()));
    let chosen = RwSignal::new(None::<Offer>);
    let buy = Action::new(|e: &String| buy_number(e.clone(), "front_desk".into()));
    let done = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(a)) = buy.value().get() {
            chosen.set(None);
            done.set(Some(a.message));
            leptos::task::spawn_local(refresh(w));
        }
    });
    let existing = RwSignal::new(String::new());
    let import = Action::new(|q: &String| import_number(q.clone(), "front_desk".into()));
    Effect::new(move |_| {
        if let Some(Ok(a)) = import.value().get() {
            existing.set(String::new());
            done.set(Some(a.message));
            leptos::task::spawn_local(refresh(w));
        }
    });
    view! {
        <p class="mb-4 text-sm text-slate-600">"The number clients text to reach the business. Texts that no sitter is covering land here, in your inbox."</p>
        <HaveNumbers class="front_desk" />
        {move || done.get().map(|m| view! { <p class="mb-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="setup-done">{m}</p> })}
        <div class="grid gap-6 xl:grid-cols-2">
            <div>
                <h3 class="text-sm font-semibold text-slate-900">"Buy a new number"</h3>
                <form class="mt-2 flex flex-wrap items-end gap-3" on:submit=move |ev| { ev.prevent_default(); chosen.set(None); search.dispatch(area.get_untracked()); }>
                    <label class="block w-36">
                        <span class=field::LABEL>"Area code"</span>
                        <input class=field::INPUT inputmode="numeric" maxlength="3" placeholder="512" data-testid="fd-area"
                            prop:value=move || area.get() on:input=move |ev| area.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class=btn::SECONDARY data-testid="fd-search" disabled=move || search.pending().get()>
                        {move || if search.pending().get() { "Searching…" } else { "Search" }}
                    </button>
                </form>
                {move || search.value().get().map(|r| match r {
                    Ok(offers) if offers.is_empty() => view! { <p class="mt-3 text-sm text-slate-500">"Nothing for sale in that area code right now. Try a nearby one."</p> }.into_any(),
                    Ok(offers) => view! {
                        <ul class="mt-3 max-h-72 divide-y divide-slate-100 overflow-y-auto rounded-lg border border-slate-200" data-testid="fd-offers">
                            {offers.into_iter().map(|o| {
                                let pick = o.clone();
                                view! {
                                    <li class="flex items-center justify-between gap-2 px-3 py-2 text-sm" data-testid="fd-offer">
                                        <span>
                                            <span class="block font-medium text-slate-900">{o.display.clone()}</span>
                                            <span class="block text-xs text-slate-500">{format!("{} · {}", o.place, o.monthly_cost)}</span>
                                        </span>
                                        <button type="button" class=btn::SMALL on:click=move |_| chosen.set(Some(pick.clone()))>"Choose"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => error_box(e.to_string()).into_any(),
                })}
                {move || chosen.get().map(|o| {
                    let e164 = o.e164.clone();
                    view! {
                        <div class="mt-3 rounded-lg border border-emerald-200 bg-emerald-50 p-4" data-testid="fd-confirm-panel">
                            <p class="text-sm text-emerald-900">{format!("Buy {} as your Front Desk number for {}? Your texting provider bills it from today.", o.display, o.monthly_cost)}</p>
                            <div class="mt-3 flex gap-2">
                                <button type="button" class=btn::PRIMARY data-testid="fd-buy" disabled=move || buy.pending().get()
                                    on:click=move |_| { buy.dispatch(e164.clone()); }>
                                    {move || if buy.pending().get() { "Buying…".to_string() } else { format!("Buy for {}", o.monthly_cost) }}
                                </button>
                                <button type="button" class=btn::GHOST on:click=move |_| chosen.set(None)>"Cancel"</button>
                            </div>
                        </div>
                    }
                })}
                {move || match buy.value().get() {
                    Some(Err(e)) => Some(error_box(e.to_string())),
                    _ => None,
                }}
            </div>
            <div>
                <h3 class="text-sm font-semibold text-slate-900">"Use a number you already have"</h3>
                <form class="mt-2 flex flex-wrap items-end gap-3" on:submit=move |ev| { ev.prevent_default(); import.dispatch(existing.get_untracked()); }>
                    <label class="block min-w-[14rem] flex-1">
                        <span class=field::LABEL>"Number or Twilio number id"</span>
                        <input class=field::INPUT placeholder="+1 512 555 0123 or PN…" data-testid="fd-import"
                            prop:value=move || existing.get() on:input=move |ev| existing.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class=btn::SECONDARY data-testid="fd-import-submit" disabled=move || import.pending().get()>
                        {move || if import.pending().get() { "Importing…" } else { "Import" }}
                    </button>
                </form>
                <p class=field::HELP>"It must already be in your Twilio account; nothing is bought."</p>
                {move || match import.value().get() {
                    Some(Err(e)) => Some(error_box(e.to_string())),
                    _ => None,
                }}
            </div>
        </div>
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    label: String,
    ok: bool,
    message: String,
}

/// What buying and importing share: the error under both, and the
/// progress of the run.
#[derive(Clone, Copy)]
struct BulkRun {
    find_error: RwSignal<Option<String>>,
    total: RwSignal<usize>,
    outcomes: RwSignal<Vec<Outcome>>,
    running: RwSignal<bool>,
}

/// Sitter and pool numbers: buy several in one go (one request per number,
/// so the bar shows real progress and a failure doesn't hide the others),
/// or import a list.
#[component]
fn BulkStep(class: &'static str, max: u32) -> impl IntoView {
    let run = BulkRun {
        find_error: RwSignal::new(None),
        total: RwSignal::new(0),
        outcomes: RwSignal::new(Vec::new()),
        running: RwSignal::new(false),
    };
    let find_error = run.find_error;
    view! {
        <p class="mb-4 text-sm text-slate-600">
            {if class == "sitter" {
                "Each active sitter texts clients from a number of their own, so clients keep one number per sitter. Add one per sitter now, or later from Numbers."
            } else {
                "Spare numbers for new sitters and for moving conversations when a number has to be quarantined. A few is plenty to start."
            }}
        </p>
        <HaveNumbers class=class />
        <div class="grid gap-6 xl:grid-cols-2">
            <BulkBuy class=class max=max run=run />
            <BulkImport class=class run=run />
        </div>
        {move || find_error.get().map(error_box)}
        <BulkProgress run=run />
    }
}

/// Finds up to `max` numbers for sale in an area code, then buys them one
/// by one.
#[component]
fn BulkBuy(class: &'static str, max: u32, run: BulkRun) -> impl IntoView {
    let w = expect_context::<Wizard>();
    let BulkRun { find_error, total, outcomes, running } = run;
    let noun = if class == "sitter" { "sitter" } else { "pool" };
    let area = RwSignal::new(String::new());
    let count = RwSignal::new("1".to_string());
    let offers = RwSignal::new(None::<Vec<Offer>>);
    let finding = RwSignal::new(false);
    let find = move || {
        find_error.set(None);
        offers.set(None);
        let n = match count.get_untracked().trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                find_error.set(Some(format!("Enter how many to buy: 1 to {max}.")));
                return;
            }
        };
        finding.set(true);
        let a = area.get_untracked();
        leptos::task::spawn_local(async move {
            match offers_for_bulk(a, n).await {
                Ok(o) => offers.set(Some(o)),
                Err(e) => find_error.set(Some(e.to_string())),
            }
            finding.set(false);
        });
    };
    let buy_all = move |_| {
        let Some(list) = offers.get_untracked() else { return };
        outcomes.set(Vec::new());
        total.set(list.len());
        running.set(true);
        offers.set(None);
        leptos::task::spawn_local(async move {
            for o in list {
                let r = buy_number(o.e164.clone(), class.into()).await;
                outcomes.update(|v| {
                    v.push(match r {
                        Ok(a) => Outcome { label: o.display.clone(), ok: true, message: a.message },
                        Err(e) => Outcome { label: o.display.clone(), ok: false, message: e.to_string() },
                    })
                });
            }
            running.set(false);
            refresh(w).await;
        });
    };
    let cost_line = move |o: &[Offer]| {
        let each = o.first().map(|x| x.monthly_cost.clone()).unwrap_or_default();
        format!("{} number{} found, {} each.", o.len(), if o.len() == 1 { "" } else { "s" }, each)
    };
    view! {
        <div>
            <h3 class="text-sm font-semibold text-slate-900">{format!("Buy {noun} numbers")}</h3>
            <form class="mt-2 flex flex-wrap items-end gap-3" on:submit=move |ev| { ev.prevent_default(); find(); }>
                <label class="block w-32">
                    <span class=field::LABEL>"Area code"</span>
                    <input class=field::INPUT inputmode="numeric" maxlength="3" placeholder="512" data-testid="bulk-area"
                        prop:value=move || area.get() on:input=move |ev| area.set(event_target_value(&ev)) />
                </label>
                <label class="block w-28">
                    <span class=field::LABEL>"How many"</span>
                    <input class=field::INPUT inputmode="numeric" data-testid="bulk-count"
                        prop:value=move || count.get() on:input=move |ev| count.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=btn::SECONDARY data-testid="bulk-find" disabled=move || finding.get() || running.get()>
                    {move || if finding.get() { "Looking…" } else { "Find numbers" }}
                </button>
            </form>
            <p class=field::HELP>{format!("1 to {max} at a time.")}</p>
            {move || offers.get().map(|o| {
                let wanted = count.get_untracked().trim().parse::<usize>().unwrap_or(0);
                let n = o.len();
                if n == 0 {
                    return view! { <p class="mt-3 text-sm text-slate-500">"Nothing for sale in that area code right now. Try a nearby one."</p> }.into_any();
                }
                view! {
                    <div class="mt-3 rounded-lg border border-emerald-200 bg-emerald-50 p-4" data-testid="bulk-confirm-panel">
                        <p class="text-sm text-emerald-900">{cost_line(&o)}</p>
                        {(n < wanted).then(|| view! { <p class="mt-1 text-sm text-amber-800">{format!("Only {n} of the {wanted} you asked for are available in that area code.")}</p> })}
                        <p class="mt-1 text-xs text-emerald-800">{o.iter().map(|x| x.display.clone()).collect::<Vec<_>>().join(" · ")}</p>
                        <div class="mt-3 flex gap-2">
                            <button type="button" class=btn::PRIMARY data-testid="bulk-buy" on:click=buy_all>{format!("Buy {n} number{}", if n == 1 { "" } else { "s" })}</button>
                            <button type="button" class=btn::GHOST on:click=move |_| offers.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }.into_any()
            })}
        </div>
    }
}

/// Imports numbers the business already has; what fails stays in the box.
#[component]
fn BulkImport(class: &'static str, run: BulkRun) -> impl IntoView {
    let w = expect_context::<Wizard>();
    let BulkRun { find_error, total, outcomes, running } = run;
    let list = RwSignal::new(String::new());
    let import_all = move |_| {
        let items: Vec<String> = list
            .get_untracked()
            .lines()
            .flat_map(|l| l.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            find_error.set(Some("Paste the numbers to import, one per line.".into()));
            return;
        }
        find_error.set(None);
        outcomes.set(Vec::new());
        total.set(items.len());
        running.set(true);
        leptos::task::spawn_local(async move {
            let mut failed = Vec::new();
            for q in items {
                let r = import_number(q.clone(), class.into()).await;
                let ok = r.is_ok();
                outcomes.update(|v| {
                    v.push(match r {
                        Ok(a) => Outcome { label: q.clone(), ok: true, message: a.message },
                        Err(e) => Outcome { label: q.clone(), ok: false, message: e.to_string() },
                    })
                });
                if !ok {
                    failed.push(q);
                }
            }
            // Keep what didn't import, so it can be fixed and tried again.
            list.set(failed.join("\n"));
            running.set(false);
            refresh(w).await;
        });
    };
    view! {
        <div>
            <h3 class="text-sm font-semibold text-slate-900">"Import numbers you already have"</h3>
            <label class="mt-2 block">
                <span class=field::LABEL>"One number (or Twilio number id) per line"</span>
                <textarea class=field::INPUT rows="3" data-testid="bulk-import-list" placeholder="+1 512 555 0123\n+1 512 555 0124"
                    prop:value=move || list.get() on:input=move |ev| list.set(event_target_value(&ev))></textarea>
            </label>
            <button type="button" class=format!("mt-2 {}", btn::SECONDARY) data-testid="bulk-import" disabled=move || running.get() on:click=import_all>"Import"</button>
        </div>
    }
}

#[component]
fn BulkProgress(run: BulkRun) -> impl IntoView {
    let BulkRun { total, outcomes, running, .. } = run;
    view! {
    {move || (total.get() > 0).then(|| {
        let done = outcomes.get().len();
        let t = total.get();
        let ok = outcomes.get().iter().filter(|o| o.ok).count();
        view! {
            <div class="mt-5" data-testid="bulk-progress">
                <div class="flex items-center justify-between text-sm">
                    <span class="font-medium text-slate-900">
                        {if running.get() { format!("Working… {done} of {t}") } else { format!("Done: {ok} of {t} added{}", if ok < t { format!(", {} failed", t - ok) } else { String::new() }) }}
                    </span>
                </div>
                <div class="mt-1 h-2 rounded-full bg-slate-200" role="progressbar" aria-valuemin="0" aria-valuemax=t.to_string() aria-valuenow=done.to_string()>
                    <div class="h-2 rounded-full bg-emerald-500 transition-all" style=format!("width: {}%", done * 100 / t.max(1))></div>
                </div>
                <ul class="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="bulk-results">
                    {outcomes.get().into_iter().map(|o| view! {
                        <li class="flex items-start gap-2 px-3 py-2 text-sm" data-testid="bulk-result" data-ok=o.ok.to_string()>
                            <Badge tone=if o.ok { Tone::Good } else { Tone::Bad } text=if o.ok { "Added" } else { "Failed" } />
                            <span><span class="font-medium text-slate-900">{o.label}</span><span class="block text-slate-600">{o.message}</span></span>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        }
    })}
    }
}

#[component]
fn HookupStep() -> impl IntoView {
    let w = expect_context::<Wizard>();
    let base = RwSignal::new(w.state.get_untracked().hookup_base_url);
    let results = RwSignal::new(None::<Vec<HookupResult>>);
    let run = Action::new(|b: &String| run_hookup(b.clone()));
    Effect::new(move |_| {
        if let Some(Ok(r)) = run.value().get() {
            results.set(Some(r.results));
            w.state.set(r.state);
        }
    });
    view! {
        <p class="text-sm text-slate-600">
            "Leashline tells your texting provider to pass every text your numbers receive, and every delivery report, to this app, then reads the setting back to make sure it stuck."
        </p>
        <ul class="mt-4 divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="hookup-numbers">
            {move || w.state.get().numbers.into_iter().map(|n| {
                let (tone, text) = match n.hookup {
                    Hookup::Verified => (Tone::Good, "Connected"),
                    Hookup::Failed => (Tone::Bad, "Not connected"),
                    Hookup::Pending => (Tone::Neutral, "Not checked"),
                };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm" data-testid="hookup-number">
                        <span><span class="font-medium text-slate-900">{n.display}</span><span class="ml-2 text-slate-500">{n.class.map(|c| c.label()).unwrap_or("Unknown")}</span></span>
                        <Badge tone=tone text=text title=n.problem.unwrap_or_default() />
                    </li>
                }
            }).collect_view()}
        </ul>
        <details class="mt-4 text-sm">
            <summary class="cursor-pointer font-medium text-slate-700">"Advanced: a different address"</summary>
            <label class="mt-2 block max-w-lg">
                <span class=field::LABEL>"Address your provider should use"</span>
                <input class=field::INPUT data-testid="hookup-base" prop:value=move || base.get() on:input=move |ev| base.set(event_target_value(&ev)) />
                <span class=format!("block {}", field::HELP)>
                    {format!("Normally {}. Change it only if the app is reached through another address; texts are checked against that same address.", w.state.get_untracked().public_base_url)}
                </span>
            </label>
        </details>
        {move || match run.value().get() {
            Some(Err(e)) => Some(error_box(e.to_string())),
            _ => None,
        }}
        <button type="button" class=format!("mt-4 {}", btn::PRIMARY) data-testid="hookup-run" disabled=move || run.pending().get()
            on:click=move |_| { run.dispatch(base.get_untracked()); }>
            {move || if run.pending().get() { "Connecting…".to_string() } else { format!("Connect {} numbers", w.state.get().numbers.len()) }}
        </button>
        {move || results.get().map(|r| {
            let ok = r.iter().filter(|x| x.ok).count();
            let total = r.len();
            view! {
                <div class="mt-4" data-testid="hookup-results">
                    <p class=if ok == total { "text-sm font-medium text-emerald-800" } else { "text-sm font-medium text-red-700" }>
                        {format!("{ok} of {total} numbers connected.")}
                    </p>
                    <ul class="mt-2 space-y-1 text-sm">
                        {r.into_iter().filter(|x| !x.ok).map(|x| view! {
                            <li class="rounded-lg bg-red-50 px-3 py-2 text-red-800"><b>{x.display}</b>": "{x.message}</li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })}
    }
}

#[component]
fn FinishStep() -> impl IntoView {
    let w = expect_context::<Wizard>();
    view! {
        {move || {
            let s = w.state.get();
            let finished = s.ready && s.progress.is_done(Step::Finish);
            view! {
                {finished.then(|| view! {
                    <div class="mb-4 rounded-xl border border-emerald-300 bg-emerald-50 p-5" data-testid="system-ready">
                        <p class="text-lg font-semibold text-emerald-900">"System ready"</p>
                        <p class="mt-1 text-sm text-emerald-800">"Texting is switched on. Add your sitters in People and their visits in Assignments, and texts will find the right person."</p>
                        <a href="/" rel="external" class=format!("mt-3 {}", btn::PRIMARY) data-testid="to-dashboard">"Go to the dashboard"</a>
                    </div>
                })}
                <ul class="space-y-2" data-testid="readiness">
                    {s.readiness.into_iter().map(|c| view! {
                        <li class="flex items-start gap-3 rounded-lg border border-slate-200 px-4 py-3" data-testid="readiness-check" data-ok=c.ok.to_string()>
                            <span class=if c.ok { "mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-emerald-600 text-xs font-bold text-white" } else { "mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-red-100 text-xs font-bold text-red-700" }>
                                {if c.ok { "✓" } else { "!" }}
                            </span>
                            <span>
                                <span class="block text-sm font-medium text-slate-900">{c.label}</span>
                                {(!c.ok).then(|| view! { <span class="block text-sm text-slate-600">{c.fix}</span> })}
                            </span>
                        </li>
                    }).collect_view()}
                </ul>
                {(!finished).then(|| view! { <p class="mt-4 text-sm text-slate-600">"Texting stays switched off until every check passes and you finish setup."</p> })}
            }
        }}
    }
}
