//! New conversation (`/conversations/new`, `?client=` from People): pick
//! the client, their number and the business number, write the text, send.
//! What was typed stays on every refusal; "send anyway" and quiet hours are
//! asked here, before anything is written.

use super::*;
use crate::domain::sms;
use crate::ui::{btn, field, use_toaster, Card, Loading, PageHeader};
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn NewConversationPage() -> impl IntoView {
    let client = use_query_map().with_untracked(|q| q.get("client").and_then(|c| c.trim().parse::<i64>().ok()));
    let choices = Resource::new(move || client, load_start_choices);
    view! {
        <leptos_meta::Title text="New conversation · Leashline" />
        <PageHeader title="New conversation" subtitle="Text a client first. Their replies come back to the inbox like any conversation." />
        <Transition fallback=|| view! { <Loading label="Loading" /> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(c) => view! { <StartPanel choices=c /> }.into_any(),
                    Err(e) => view! {
                        <div class="rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800" role="alert">{e.to_string()}</div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the form holds; kept across every refusal.
#[derive(Clone, Copy)]
struct Draft {
    client: RwSignal<Option<StartClient>>,
    to: RwSignal<String>,
    number: RwSignal<String>,
    body: RwSignal<String>,
    send_now: RwSignal<bool>,
    /// (field, message)
    problem: RwSignal<Option<(Option<String>, String)>>,
    /// The anti-poaching check's finding, waiting for "send anyway".
    confirm: RwSignal<Option<(String, String)>>,
}

impl Draft {
    fn form(&self, confirm: bool) -> Result<StartForm, (Option<String>, String)> {
        let Some(client) = self.client.get_untracked() else {
            return Err((Some("client".into()), "Choose a client first.".into()));
        };
        Ok(StartForm {
            client: client.id,
            to: self.to.get_untracked(),
            number: self.number.get_untracked().parse().ok(),
            body: self.body.get_untracked(),
            send_now: self.send_now.get_untracked(),
            confirm,
        })
    }
    /// `aria-invalid` of the field `name`: "true" while the last refusal names it.
    fn invalid(self, name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
        move || self.problem.with(|p| p.as_ref().is_some_and(|(f, _)| f.as_deref() == Some(name))).to_string()
    }
    /// Sets the client and their first number that hasn't sent STOP.
    fn choose(&self, c: Option<StartClient>) {
        let first =
            c.as_ref().and_then(|c| c.contacts.iter().find(|p| p.opted_out_of.is_empty()).or(c.contacts.first()));
        self.to.set(first.map(|p| p.e164.clone()).unwrap_or_default());
        self.client.set(c);
        self.problem.set(None);
        self.confirm.set(None);
    }
    /// Why the chosen number can't be texted from the chosen business number, if it can't.
    fn stopped(&self) -> Option<String> {
        let c = self.client.get()?;
        if c.opted_out_everywhere {
            return Some(format!("{} opted out of texts from the business everywhere.", c.name));
        }
        let to = self.to.get();
        let number: i64 = self.number.get().parse().ok()?;
        let p = c.contacts.iter().find(|p| p.e164 == to)?;
        p.opted_out_of
            .iter()
            .any(|n| n.0 == number)
            .then(|| format!("{} replied STOP to this business number, so it can't text them.", p.display))
    }
}

#[component]
fn StartPanel(choices: StartChoices) -> impl IntoView {
    let toaster = use_toaster();
    let navigate = use_navigate();
    let default_number = choices.numbers.first().map(|n| n.id.0.to_string()).unwrap_or_default();
    let d = Draft {
        client: RwSignal::new(None),
        to: RwSignal::new(String::new()),
        number: RwSignal::new(default_number),
        body: RwSignal::new(String::new()),
        send_now: RwSignal::new(false),
        problem: RwSignal::new(None),
        confirm: RwSignal::new(None),
    };
    d.choose(choices.client.clone());
    let send = Action::new(move |f: &StartForm| start_conversation(f.clone()));
    Effect::new(move |_| {
        let Some(answer) = send.value().get() else { return };
        let open = |thread: ThreadId| navigate(&format!("/inbox/{}", thread.0), Default::default());
        match answer {
            Ok(Started { thread: Some(thread), result: SendResult::Sent { .. } }) => {
                toaster.success("Sent");
                open(thread);
            }
            Ok(Started { thread: Some(thread), result: SendResult::Scheduled { at, .. } }) => {
                toaster.success(format!("Quiet hours: it goes out {at}"));
                open(thread);
            }
            Ok(Started { result: SendResult::NeedsConfirmation { redacted, what }, .. }) => {
                d.confirm.set(Some((what, redacted)))
            }
            // Blocked or held by the policy: kept in the conversation, with its reason.
            Ok(Started { thread: Some(thread), result: SendResult::Refused { reason } }) => {
                toaster.error(reason);
                open(thread);
            }
            Ok(Started { result: SendResult::Refused { reason }, .. }) => d.problem.set(Some((None, reason))),
            Ok(Started { thread: None, .. }) => {}
            Err(e) => d.problem.set(Some((e.field_name().map(str::to_string), e.to_string()))),
        }
    });
    let submit = move |confirm: bool| match d.form(confirm) {
        Ok(f) => {
            d.problem.set(None);
            d.confirm.set(None);
            send.dispatch(f);
        }
        Err(p) => d.problem.set(Some(p)),
    };
    let blocked = choices.cannot_send.clone();
    view! {
        <Card class="max-w-2xl">
            {blocked.clone().map(|why| view! {
                <p class="mb-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200" role="alert" data-testid="start-cannot">{why}</p>
            })}
            <form class="space-y-4" data-testid="start-form" on:submit=move |ev| { ev.prevent_default(); submit(false); }>
                <ClientPicker d=d />
                <Recipients d=d numbers=choices.numbers.clone() />
                <MessageBox d=d quiet_until=choices.quiet_until.clone() />
                {move || d.problem.get().map(|(_, m)| view! {
                    <p class="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800" role="alert" data-testid="start-error">{m}</p>
                })}
                {move || d.confirm.get().map(|(what, redacted)| view! {
                    <div class="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200" role="alert" data-testid="start-confirm">
                        <p class="font-semibold">{format!("This looks like it shares {what}.")}</p>
                        <p class="mt-1">{format!("\u{201c}{redacted}\u{201d}")}</p>
                        <p class="mt-1">"Sharing contact details lets clients and sitters leave the platform. Sending it anyway is recorded."</p>
                        <button type="button" class=format!("{} mt-2", btn::DANGER) data-testid="start-send-anyway" on:click=move |_| submit(true)>"Send anyway"</button>
                    </div>
                })}
                <div class="flex items-center gap-2">
                    <button type="submit" class=btn::PRIMARY data-testid="start-send" disabled=move || send.pending().get() || blocked.is_some()>
                        {move || if send.pending().get() { "Sending…" } else { "Send" }}
                    </button>
                    <a href="/inbox" class=btn::GHOST>"Cancel"</a>
                </div>
            </form>
        </Card>
    }
}

/// The chosen client, or a search to choose one.
#[component]
fn ClientPicker(d: Draft) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    // Searched only while no client is chosen (not at all when `?client=` chose one).
    let found = Resource::new(
        move || d.client.with(Option::is_none).then(|| typed.get()),
        |q| async move {
            match q {
                Some(q) => find_start_clients(q).await,
                None => Ok(Vec::new()),
            }
        },
    );
    view! {
        <div>
            <span class=field::LABEL id="start-client-label">"Client"</span>
            {move || match d.client.get() {
                Some(c) => view! {
                    <div class="flex items-center justify-between rounded-lg border border-slate-200 bg-slate-50 px-3 py-2">
                        <span class="font-medium text-slate-900" data-testid="start-client">{c.name}</span>
                        <button type="button" class=btn::SMALL data-testid="start-change-client" on:click=move |_| d.choose(None)>"Change"</button>
                    </div>
                }.into_any(),
                None => view! {
                    <input type="search" maxlength="100" class=field::INPUT placeholder="Search by name or phone number" aria-labelledby="start-client-label"
                        data-testid="start-client-search" aria-invalid=d.invalid("client")
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev)) />
                    <Transition fallback=|| view! { <p class=field::HELP>"Searching…"</p> }>
                        {move || Suspend::new(async move {
                            match found.await {
                                Ok(list) if list.is_empty() => view! { <p class=field::HELP data-testid="start-no-clients">"No client matches. Clients are added in People or by your booking software."</p> }.into_any(),
                                Ok(list) => view! {
                                    <ul class="mt-2 max-h-64 divide-y divide-slate-100 overflow-y-auto rounded-lg border border-slate-200" data-testid="start-found">
                                        {list.into_iter().map(|c| {
                                            let phones = c.contacts.iter().map(|p| p.display.clone()).collect::<Vec<_>>().join(", ");
                                            let name = c.name.clone();
                                            view! {
                                                <li>
                                                    <button type="button" class="flex w-full items-center justify-between px-3 py-2 text-left text-sm hover:bg-emerald-50" data-testid="start-pick" on:click=move |_| d.choose(Some(c.clone()))>
                                                        <span class="font-medium text-slate-900">{name}</span>
                                                        <span class="text-xs text-slate-500">{if phones.is_empty() { "no phone number".to_string() } else { phones }}</span>
                                                    </button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                                Err(e) => view! { <p class="mt-1 text-xs text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                }.into_any(),
            }}
        </div>
    }
}

/// The client's number it goes to, and the business number it leaves from.
#[component]
fn Recipients(d: Draft, numbers: Vec<FromNumber>) -> impl IntoView {
    view! {
        <div class="grid gap-4 sm:grid-cols-2">
            <div>
                <label class=field::LABEL for="start-to">"Their number"</label>
                <select id="start-to" class=field::INPUT data-testid="start-to" aria-invalid=d.invalid("to")
                    on:change=move |ev| d.to.set(event_target_value(&ev))>
                    {move || d.client.get().map(|c| c.contacts).unwrap_or_default().into_iter().map(|p| {
                        let v = p.e164.clone();
                        view! { <option value=p.e164 selected=move || d.to.get() == v>{p.display}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label class=field::LABEL for="start-number">"From"</label>
                <select id="start-number" class=field::INPUT data-testid="start-number" aria-invalid=d.invalid("number")
                    on:change=move |ev| d.number.set(event_target_value(&ev))>
                    {numbers.into_iter().map(|n| {
                        let v = n.id.0.to_string();
                        let v2 = v.clone();
                        view! { <option value=v selected=move || d.number.get() == v2>{n.label}</option> }
                    }).collect_view()}
                </select>
                <p class=field::HELP>"Replies come back on this number."</p>
            </div>
            {move || d.stopped().map(|why| view! {
                <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 sm:col-span-2" data-testid="start-stopped">{why}</p>
            })}
        </div>
    }
}

/// The text, its segment count, and quiet hours.
#[component]
fn MessageBox(d: Draft, quiet_until: Option<String>) -> impl IntoView {
    let info = Memo::new(move |_| sms::analyze(&d.body.get()));
    view! {
        <div>
            <label class=field::LABEL for="start-body">"Message"</label>
            <textarea id="start-body" rows="4" class=field::INPUT data-testid="start-body" aria-invalid=d.invalid("body")
                placeholder="Hi Ana, this is Happy Tails…"
                prop:value=move || d.body.get() on:input=move |ev| { d.body.set(event_target_value(&ev)); d.confirm.set(None); }></textarea>
            <p class=field::HELP data-testid="start-segments">
                {move || {
                    let i = info.get();
                    format!("{} characters · {} segment{}", d.body.with(|b| b.chars().count()), i.segments, if i.segments == 1 { "" } else { "s" })
                }}
            </p>
        </div>
        {quiet_until.map(|at| view! {
            <div class="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="start-quiet-hours">
                <p>{format!("Quiet hours: this text waits until {at}.")}</p>
                <label class="mt-1 flex items-center gap-2 font-medium">
                    <input type="checkbox" data-testid="start-send-now" prop:checked=move || d.send_now.get() on:change=move |ev| d.send_now.set(event_target_checked(&ev)) />
                    "Send it now anyway"
                </label>
            </div>
        })}
    }
}
