//! The routing simulator: the domain's `decide`, run here in the browser on
//! a snapshot fetched once per thread. Moving the time, the sender or the
//! direction recomputes the decision locally; nothing is sent until "Check
//! on server", and nothing is ever changed.

use super::{check_on_server, SimBase, TraceView};
use crate::domain::phone::E164;
use crate::domain::routing::{decide, Decision, Direction, Target};
use crate::domain::time::BusinessTz;
use crate::ui::{btn, field, Badge, Tone};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use leptos::prelude::*;

/// The inputs the person changed; `None` means "as loaded" (now, the
/// client's first number, inbound).
#[derive(Clone, Copy)]
pub struct SimInputs {
    pub date: RwSignal<Option<String>>,
    pub minute: RwSignal<Option<u32>>,
    pub sender: RwSignal<Option<String>>,
    pub direction: RwSignal<Direction>,
}

impl SimInputs {
    pub fn new() -> Self {
        SimInputs {
            date: RwSignal::new(None),
            minute: RwSignal::new(None),
            sender: RwSignal::new(None),
            direction: RwSignal::new(Direction::Inbound),
        }
    }
    pub fn reset(&self) {
        self.date.set(None);
        self.minute.set(None);
        self.sender.set(None);
        self.direction.set(Direction::Inbound);
    }
}

impl Default for SimInputs {
    fn default() -> Self {
        Self::new()
    }
}

fn at_of(tz: BusinessTz, date: &str, minute: u32) -> Result<DateTime<Utc>, String> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| format!("\"{date}\" isn't a date."))?;
    let time =
        NaiveTime::from_hms_opt(minute.min(1439) / 60, minute.min(1439) % 60, 0).ok_or("That time doesn't exist.")?;
    Ok(tz.to_utc(day.and_time(time)))
}

fn clock(minute: u32) -> String {
    let (h, m) = (minute / 60, minute % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{h12}:{m:02} {ampm}")
}

/// The simulated question and the local decision for it.
#[derive(Clone, Debug, PartialEq)]
struct Simulated {
    at: DateTime<Utc>,
    sender: String,
    direction: Direction,
    decision: Decision,
}

fn simulate(
    base: &SimBase,
    inputs: (Option<String>, Option<u32>, Option<String>, Direction),
) -> Result<Simulated, String> {
    let (date, minute, sender, direction) = inputs;
    // Untouched, the time is exactly "now" as loaded (to the second, so an
    // override set a moment ago already counts).
    let at = if date.is_none() && minute.is_none() {
        base.snapshot.at
    } else {
        at_of(base.snapshot.time_zone, &date.unwrap_or_else(|| base.date.clone()), minute.unwrap_or(base.minute))?
    };
    let sender = sender.unwrap_or_else(|| base.snapshot.sender.as_str().to_string());
    let e164 = E164::from_canonical(&sender).ok_or_else(|| format!("\"{sender}\" isn't a phone number."))?;
    let mut snap = base.snapshot.clone();
    snap.at = at;
    snap.sender = e164;
    snap.direction = direction;
    Ok(Simulated { at, sender, direction, decision: decide(&snap) })
}

fn target_badge(d: &Decision) -> (Tone, String) {
    match d.target {
        Target::Sitter => (Tone::Good, format!("To {}", d.sitter_name.clone().unwrap_or_else(|| "the sitter".into()))),
        Target::OwnerInbox => (Tone::Info, "To the owner inbox".into()),
        Target::RecordOnly => (Tone::Neutral, "Recorded only".into()),
        Target::Rejected => (Tone::Bad, "Refused".into()),
    }
}

#[component]
pub fn Simulator(base: SimBase, inputs: SimInputs) -> impl IntoView {
    let base = StoredValue::new(base);
    let thread = base.with_value(|b| b.snapshot.thread.id);
    let thread = (thread.0 != 0).then_some(thread);
    let client = base.with_value(|b| b.client);
    let preview_note = base.with_value(|b| b.preview.clone());
    let sim = Memo::new(move |_| {
        let i = (inputs.date.get(), inputs.minute.get(), inputs.sender.get(), inputs.direction.get());
        base.with_value(|b| simulate(b, i))
    });
    let check = Action::new(move |s: &Simulated| {
        let s = s.clone();
        async move {
            check_on_server(thread, client, s.at.to_rfc3339(), s.sender.clone(), s.direction).await.map(|d| (s, d))
        }
    });
    let tz = base.with_value(|b| b.snapshot.time_zone);
    let minute = move || inputs.minute.get().unwrap_or_else(|| base.with_value(|b| b.minute));
    let date = move || inputs.date.get().unwrap_or_else(|| base.with_value(|b| b.date.clone()));
    let sender =
        move || inputs.sender.get().unwrap_or_else(|| base.with_value(|b| b.snapshot.sender.as_str().to_string()));
    let senders = base.with_value(|b| b.senders.clone());
    let verdict = move || {
        let current = sim.get().ok();
        check.value().get().map(|r| server_verdict(current.as_ref(), r))
    };
    view! {
        {preview_note.map(|p| view! { <p class="mb-4 rounded-lg bg-sky-50 px-3 py-2 text-sm text-sky-900" data-testid="sim-preview">{p}</p> })}
        <div class="grid gap-6 lg:grid-cols-5" data-testid="simulator">
            <div class="space-y-4 lg:col-span-2">
                <div>
                    <label class=field::LABEL for="sim-date">"Day"</label>
                    <input
                        id="sim-date"
                        type="date"
                        class=field::INPUT
                        data-testid="sim-date"
                        prop:value=date
                        on:change=move |ev| inputs.date.set(Some(event_target_value(&ev)))
                    />
                </div>
                {time_field(inputs, Signal::derive(minute), tz)}
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label class=field::LABEL for="sim-direction">"Direction"</label>
                        <select
                            id="sim-direction"
                            class=field::INPUT
                            data-testid="sim-direction"
                            on:change=move |ev| {
                                inputs.direction.set(if event_target_value(&ev) == "outbound" { Direction::Outbound } else { Direction::Inbound })
                            }
                        >
                            <option value="inbound" selected=move || inputs.direction.get() == Direction::Inbound>"Incoming text"</option>
                            <option value="outbound" selected=move || inputs.direction.get() == Direction::Outbound>"Outgoing text"</option>
                        </select>
                    </div>
                    <div>
                        <label class=field::LABEL for="sim-sender">"From"</label>
                        <select id="sim-sender" class=field::INPUT data-testid="sim-sender" on:change=move |ev| inputs.sender.set(Some(event_target_value(&ev)))>
                            {senders
                                .into_iter()
                                .map(|(label, e164)| {
                                    let v = e164.clone();
                                    view! { <option value=e164 selected=move || sender() == v>{label}</option> }
                                })
                                .collect_view()}
                        </select>
                    </div>
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    <button
                        type="button"
                        class=btn::SECONDARY
                        data-testid="check-on-server"
                        disabled=move || check.pending().get() || sim.with(|s| s.is_err())
                        on:click=move |_| {
                            if let Ok(s) = sim.get_untracked() {
                                check.dispatch(s);
                            }
                        }
                    >
                        {move || if check.pending().get() { "Checking…" } else { "Check on server" }}
                    </button>
                    <span class="text-xs text-slate-500">"The simulator never changes anything."</span>
                </div>
                {verdict}
            </div>
            <div class="lg:col-span-3">
                {move || match sim.get() {
                    Ok(s) => {
                        let (tone, label) = target_badge(&s.decision);
                        view! {
                            <div>
                                <div class="mb-3 flex flex-wrap items-center gap-2">
                                    <span class="text-sm text-slate-500">{format!("At {}:", tz.date_time(s.at))}</span>
                                    <span data-testid="sim-target"><Badge tone=tone text=label /></span>
                                </div>
                                <TraceView reason=s.decision.reason.clone() trace=s.decision.trace.clone() ruleset=s.decision.ruleset_version.clone() />
                            </div>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <p class="rounded-lg bg-amber-50 p-3 text-sm text-amber-900" role="alert">{e}</p> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// What the server said about the inputs the owner checked, against what
/// the simulator shows now.
fn server_verdict(current: Option<&Simulated>, r: Result<(Simulated, Decision), crate::error::AppError>) -> AnyView {
    match r {
    Ok((asked, server)) => {
        let stale = current.is_none_or(|c| c.at != asked.at || c.sender != asked.sender || c.direction != asked.direction);
        let same = asked.decision.target == server.target
            && asked.decision.sitter_id == server.sitter_id
            && asked.decision.rule == server.rule
            && asked.decision.reason == server.reason;
        if stale {
            view! { <p class="text-sm text-slate-500" data-testid="server-check">"The inputs changed since the check. Check again."</p> }.into_any()
        } else if same {
            view! {
                <p class="rounded-lg bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-800" data-testid="server-check">
                    "The server agrees: same result, same rule, same reason."
                </p>
            }
            .into_any()
        } else {
            view! {
                <div class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="server-check">
                    <p class="font-semibold">"The server decided differently"</p>
                    <p class="mt-1">"Server: " {server.reason.clone()}</p>
                    <p class="mt-1 text-xs">"The server also reads windows and overrides changed since this page loaded. Reload the simulator to compare again."</p>
                </div>
            }
            .into_any()
        }
    }
    Err(e) => view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" role="alert" data-testid="server-check">{e.to_string()}</p> }.into_any(),
}
}

/// The time of day, on a slider in 5-minute steps.
fn time_field(inputs: SimInputs, minute: Signal<u32>, tz: BusinessTz) -> impl IntoView {
    view! {
        <div>
            <div class="flex items-baseline justify-between">
                <label class=field::LABEL for="sim-time">"Time"</label>
                <span class="text-sm font-semibold text-slate-900" data-testid="sim-time-label">
                    {move || format!("{} ({})", clock(minute.get()), tz.name())}
                </span>
            </div>
            <input
                id="sim-time"
                type="range"
                min="0"
                max="1439"
                step="5"
                class="w-full accent-emerald-600"
                data-testid="sim-time"
                prop:value=move || minute.get().to_string()
                on:input=move |ev| inputs.minute.set(event_target_value(&ev).parse().ok())
            />
            <div class="flex justify-between text-xs text-slate-400">
                <span>"12 AM"</span>
                <span>"6 AM"</span>
                <span>"12 PM"</span>
                <span>"6 PM"</span>
                <span>"11:59 PM"</span>
            </div>
        </div>
    }
}
