//! One conversation: header, messages (with delivery status, media, policy
//! and routing badges), retry, read state, and the compose box.

use super::compose::{Compose, ComposeState};
use super::{
    class_badge, get_thread, retry_message, routing_decision, set_read, violation_detail, MediaKind, MediaState,
    MessageKind, MessageView, ThreadView,
};
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{MessageId, ThreadId};
use crate::live::use_live;
use crate::routing::TraceView;
use crate::shell::use_me;
use crate::ui::{btn, use_toaster, Badge, Loading, Tone};
use leptos::prelude::*;

#[component]
pub fn ThreadPane(id: ThreadId) -> impl IntoView {
    let live = use_live();
    let local = RwSignal::new(0u64);
    let thread = Resource::new(move || (id, live.version.get(), local.get()), |(id, _, _)| get_thread(id));
    let compose = ComposeState::new(id, Callback::new(move |_| local.update(|v| *v += 1)));
    view! {
        <Transition fallback=|| view! { <div class="p-6"><Loading label="Loading conversation" /></div> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok(t) => view! { <Loaded t=t local=local compose=compose /> }.into_any(),
                    Err(e) => view! {
                        <div class="p-6">
                            <a href="/inbox" class="text-sm font-semibold text-emerald-700 md:hidden">"← Back"</a>
                            <p class="mt-3 rounded-lg bg-amber-50 p-4 text-sm text-amber-900" role="alert" data-testid="thread-error">{e.to_string()}</p>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Loaded(t: ThreadView, local: RwSignal<u64>, compose: ComposeState) -> impl IntoView {
    let owner = use_me().is_some_and(|m| m.is_owner());
    let id = t.id;
    let toaster = use_toaster();
    // Opening an unread conversation marks it read.
    if t.unread > 0 && !t.read_only {
        let mark = Action::new(move |_: &()| set_read(id, true));
        Effect::new(move |done: Option<bool>| {
            if done != Some(true) {
                mark.dispatch(());
            }
            true
        });
    }
    let mark_unread = Action::new(move |_: &()| set_read(id, false));
    Effect::new(move |_| {
        if let Some(r) = mark_unread.value().get() {
            match r {
                Ok(()) => toaster.success("Marked as unread"),
                Err(e) => toaster.error(e.to_string()),
            }
        }
    });
    let (tone, class_label) = class_badge(t.class);
    let scroller = NodeRef::<leptos::html::Div>::new();
    let count = t.messages.len();
    Effect::new(move |_| {
        let _ = count;
        if let Some(el) = scroller.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let why = RwSignal::new(None::<i64>);
    let policy = RwSignal::new(None::<i64>);
    view! {
        <header class="border-b border-slate-200 bg-white px-4 py-3" data-testid="thread-header">
            <div class="flex items-start gap-3">
                <a href="/inbox" class="mt-0.5 text-sm font-semibold text-emerald-700 md:hidden" data-testid="back">"← Back"</a>
                <div class="min-w-0 flex-1">
                    <h2 class="truncate text-lg font-semibold text-slate-900" data-testid="thread-client-name">{t.client.clone()}</h2>
                    {(!t.contacts.is_empty()).then(|| view! { <p class="text-sm text-slate-500" data-testid="thread-contacts">{t.contacts.join(" · ")}</p> })}
                    <div class="mt-1.5 flex flex-wrap items-center gap-1.5 text-xs">
                        <Badge tone=tone text=format!("{class_label} {}", t.number) />
                        {match t.sitter.clone() {
                            Some(s) => view! { <Badge tone=Tone::Good text=s /> }.into_any(),
                            None => view! { <Badge tone=Tone::Neutral text="Unassigned" /> }.into_any(),
                        }}
                        <span class="text-slate-500" data-testid="window-status">{t.window.clone()}</span>
                        {t.override_note.clone().map(|o| view! { <Badge tone=Tone::Warn text=o title="Set by the owner" /> })}
                        {t.opted_out.then(|| view! { <Badge tone=Tone::Bad text="Opted out" /> })}
                        {t.read_only.then(|| view! { <Badge tone=Tone::Neutral text="Read-only" /> })}
                    </div>
                </div>
                {(!t.read_only)
                    .then(|| {
                        view! {
                            <div class="flex shrink-0 flex-col gap-1 sm:flex-row">
                                <button type="button" class=btn::SMALL data-testid="mark-unread" on:click=move |_| { mark_unread.dispatch(()); }>"Mark unread"</button>
                                {t.client_id.map(|c| view! { <a href=format!("/assignments?client={c}") class=btn::SMALL data-testid="assign-from-thread">"Assign sitter"</a> })}
                            </div>
                        }
                    })}
            </div>
        </header>
        <div node_ref=scroller class="min-h-0 flex-1 space-y-3 overflow-y-auto px-4 py-4" data-testid="messages">
            {t.messages.is_empty().then(|| view! { <p class="py-10 text-center text-sm text-slate-500">"No messages in this conversation yet."</p> })}
            {t.messages.into_iter().map(|m| view! { <Bubble m=m owner=owner why=why policy=policy local=local /> }).collect_view()}
        </div>
        {match (t.cannot_send.clone(), t.policy.clone()) {
            (None, Some(rules)) => view! { <Compose state=compose policy=rules /> }.into_any(),
            (reason, _) => view! {
                <div class="border-t border-slate-200 bg-white px-4 py-3 text-sm text-slate-600" data-testid="compose-disabled">{reason}</div>
            }
            .into_any(),
        }}
        <WhyDialog id=why />
        <PolicyDialog id=policy />
    }
}

fn status_badge(s: DeliveryStatus) -> (Tone, &'static str) {
    match s {
        DeliveryStatus::Queued => (Tone::Neutral, "Queued"),
        DeliveryStatus::Sent => (Tone::Info, "Sent"),
        DeliveryStatus::Delivered => (Tone::Good, "Delivered"),
        DeliveryStatus::Undelivered => (Tone::Bad, "Not delivered"),
        DeliveryStatus::Failed => (Tone::Bad, "Failed"),
    }
}

#[component]
fn Bubble(
    m: MessageView,
    owner: bool,
    why: RwSignal<Option<i64>>,
    policy: RwSignal<Option<i64>>,
    local: RwSignal<u64>,
) -> impl IntoView {
    let toaster = use_toaster();
    let retry = Action::new(move |id: &MessageId| retry_message(*id));
    Effect::new(move |_| {
        if let Some(r) = retry.value().get() {
            match r {
                Ok(()) => {
                    toaster.success("Sending again…");
                    local.update(|v| *v += 1);
                }
                Err(e) => toaster.error(e.to_string()),
            }
        }
    });
    if m.kind == MessageKind::Note {
        return view! {
            <div class="flex justify-center" data-testid="system-note">
                <p class="max-w-md rounded-full bg-slate-100 px-3 py-1 text-center text-xs text-slate-500">{m.body.clone()} " · " {m.at.clone()}</p>
            </div>
        }
        .into_any();
    }
    let outbound = m.kind == MessageKind::Outbound;
    let row = if outbound { "flex justify-end" } else { "flex justify-start" };
    let bubble = match (outbound, m.held.is_some()) {
        (true, true) => {
            "max-w-[85%] rounded-2xl rounded-br-sm border border-red-200 bg-red-50 px-3.5 py-2 text-sm text-red-900"
        }
        (true, false) => "max-w-[85%] rounded-2xl rounded-br-sm bg-emerald-600 px-3.5 py-2 text-sm text-white",
        (false, _) => {
            "max-w-[85%] rounded-2xl rounded-bl-sm border border-slate-200 bg-white px-3.5 py-2 text-sm text-slate-900"
        }
    };
    let mid = m.id;
    view! {
        <div class=row data-testid="message" data-kind={if outbound { "outbound" } else { "inbound" }}>
            <div class="max-w-full">
                <div class=bubble>
                    <p class="whitespace-pre-wrap break-words" data-testid="message-body">{m.body.clone()}</p>
                    {(!m.media.is_empty())
                        .then(|| {
                            view! {
                                <div class="mt-2 flex flex-wrap gap-2">
                                    {m.media
                                        .iter()
                                        .map(|md| match &md.state {
                                            MediaState::Ready { url, shown: Some(MediaKind::Picture) } => {
                                                view! { <a href=url.clone() target="_blank" rel="noopener"><img src=url.clone() alt="Picture from the client" class="h-32 w-32 rounded-lg object-cover" data-testid="media" /></a> }.into_any()
                                            }
                                            MediaState::Ready { url, shown: Some(MediaKind::Sound) } => {
                                                view! { <audio controls src=url.clone() class="max-w-full" data-testid="media"></audio> }.into_any()
                                            }
                                            MediaState::Ready { url, shown: Some(MediaKind::Video) } => {
                                                view! { <video controls src=url.clone() class="max-h-64 max-w-full rounded-lg" data-testid="media"></video> }.into_any()
                                            }
                                            MediaState::Ready { url, shown: None } => {
                                                view! { <a href=url.clone() download="" class="underline" data-testid="media-download">"Download attachment"</a> }.into_any()
                                            }
                                            MediaState::Arriving => view! { <span class="text-xs opacity-80">"Picture arriving…"</span> }.into_any(),
                                            MediaState::NotKept(why) => view! { <span class="text-xs opacity-80" data-testid="media-not-kept">{format!("Attachment not shown: {why}")}</span> }.into_any(),
                                        })
                                        .collect_view()}
                                </div>
                            }
                        })}
                </div>
                <div class={if outbound { "mt-1 flex flex-wrap items-center justify-end gap-1.5 text-xs text-slate-500" } else { "mt-1 flex flex-wrap items-center gap-1.5 text-xs text-slate-500" }}>
                    <span>{m.sender.clone()} " · " {m.at.clone()}</span>
                    {m.status.map(|s| {
                        let (tone, label) = status_badge(s);
                        view! { <span data-testid="delivery-status"><Badge tone=tone text=label /></span> }
                    })}
                    {m.held.clone().map(|h| view! { <Badge tone=Tone::Bad text={if h == "held" { "Held for review" } else { "Blocked" }} /> })}
                    {m.scheduled.clone().map(|s| view! { <Badge tone=Tone::Info text=format!("Quiet hours: goes {s}") /> })}
                    {m.violation_id.map(|v| view! {
                        <button type="button" class="rounded-full bg-red-50 px-2 py-0.5 font-medium text-red-700 ring-1 ring-red-200 hover:bg-red-100" data-testid="policy-badge" on:click=move |_| policy.set(Some(v))>
                            "Policy"
                        </button>
                    })}
                    {m.routed.clone().zip(m.decision_id).map(|(r, d)| view! {
                        <button type="button" class="rounded-full bg-slate-100 px-2 py-0.5 font-medium text-slate-700 ring-1 ring-slate-200 hover:bg-slate-200" data-testid="routing-badge" on:click=move |_| why.set(Some(d))>
                            {r} " · why?"
                        </button>
                    })}
                </div>
                {m.failure.clone().map(|f| view! { <p class="mt-1 max-w-md text-right text-xs text-red-700" data-testid="failure-reason">{f}</p> })}
                {(owner && m.can_retry).then(|| view! {
                    <div class="mt-1 flex justify-end">
                        <button type="button" class=btn::SMALL data-testid="retry" disabled=move || retry.pending().get() on:click=move |_| { retry.dispatch(mid); }>"Retry"</button>
                    </div>
                })}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Modal(
    open: Signal<bool>,
    on_close: Callback<()>,
    #[prop(into)] title: String,
    children: ChildrenFn,
) -> impl IntoView {
    let title = StoredValue::new(title);
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/50 sm:items-center sm:p-4" role="dialog" aria-modal="true">
                <div class="max-h-[90dvh] w-full max-w-xl overflow-y-auto rounded-t-2xl bg-white p-6 shadow-xl sm:rounded-2xl">
                    <div class="flex items-start justify-between gap-4">
                        <h2 class="text-lg font-semibold text-slate-900">{title.get_value()}</h2>
                        <button type="button" class=btn::GHOST on:click=move |_| on_close.run(()) aria-label="Close">"Close"</button>
                    </div>
                    <div class="mt-4">{children.with_value(|c| c())}</div>
                </div>
            </div>
        </Show>
    }
}

#[component]
fn WhyDialog(id: RwSignal<Option<i64>>) -> impl IntoView {
    let decision = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => routing_decision(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Modal open=Signal::derive(move || id.get().is_some()) on_close=Callback::new(move |_| id.set(None)) title="Why this message went where it did">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match decision.await {
                        Ok(Some(d)) => view! {
                            <div data-testid="why-dialog">
                                <p class="mb-2 text-xs text-slate-500">"Decided " {d.at.clone()}</p>
                                <TraceView reason=d.reason.clone() trace=d.trace.clone() ruleset=d.ruleset_version.clone() />
                                <p class={if d.replay_identical { "mt-3 text-sm font-medium text-emerald-700" } else { "mt-3 text-sm font-medium text-red-700" }} data-testid="replay">
                                    {if d.replay_identical { "Replayed from its stored snapshot: identical." } else { "Replaying the stored snapshot gives a different answer (the rules changed since)." }}
                                </p>
                                <details class="mt-3 text-xs text-slate-500">
                                    <summary class="cursor-pointer">"Snapshot (for support)"</summary>
                                    <pre class="mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2">{d.snapshot_json.clone()}</pre>
                                </details>
                            </div>
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Modal>
    }
}

#[component]
fn PolicyDialog(id: RwSignal<Option<i64>>) -> impl IntoView {
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => violation_detail(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Modal open=Signal::derive(move || id.get().is_some()) on_close=Callback::new(move |_| id.set(None)) title="Contact details found">
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(Some(v)) => view! {
                            <div data-testid="policy-dialog">
                                <p class="rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm">{v.redacted.clone()}</p>
                                <ul class="mt-3 list-disc pl-5 text-sm text-slate-700">
                                    {v.reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}
                                </ul>
                                <p class="mt-3 text-xs text-slate-500">"Contact details stay inside the app so clients and sitters keep booking through the business. Status: " {v.status.clone()}</p>
                            </div>
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Modal>
    }
}
