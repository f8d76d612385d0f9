//! The compose box: encoding and segments as you type (with a one-click
//! plain replacement for characters that force UCS-2), a live warning that
//! says what policy will do with the text — the server's own check, run
//! here in WASM with the business's settings, allow-list and the sender's
//! recent texts, so it needs no round trip — and the owner's explicit
//! "send anyway".
//!
//! The box is a real form (`post_reply`), so a reply sent before the
//! page's script has arrived still goes out through the same send; when it
//! doesn't, the server hands the text back with the reason. Text typed
//! before the script arrived is kept when the page comes alive.

use super::{send_message, ComposePolicy, PostReply, SendResult};
use crate::domain::ids::ThreadId;
use crate::domain::sms;
use crate::ui::{btn, escape_text, use_toaster};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

/// The compose box's state. It belongs to the thread pane, not to the box:
/// the box is rebuilt whenever the conversation reloads (a live update, a
/// delivery receipt), and what was typed, a refusal or a pending send must
/// survive that.
#[derive(Clone, Copy)]
pub struct ComposeState {
    thread: ThreadId,
    /// What the box held when the page was rendered (a draft handed back
    /// by a plain-form post), written into the server's HTML.
    initial: StoredValue<String>,
    text: RwSignal<String>,
    refused: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    confirm: RwSignal<Option<(String, String)>>,
    send: Action<(String, bool), Result<SendResult, crate::error::AppError>>,
}

impl ComposeState {
    /// `on_sent` runs after anything that changes the conversation (sent,
    /// scheduled, or refused and recorded).
    pub fn new(thread: ThreadId, on_sent: Callback<()>) -> Self {
        let toaster = use_toaster();
        let query = use_query_map();
        let param = move |k: &str| query.with_untracked(|q| q.get(k)).filter(|v| !v.is_empty());
        let initial = param("draft").unwrap_or_default();
        let text = RwSignal::new(typed_before_script().unwrap_or_else(|| initial.clone()));
        let refused = RwSignal::new(param("refused"));
        let notice = RwSignal::new(param("notice"));
        let confirm =
            RwSignal::new(param("confirm").and(param("draft")).map(|_| (String::new(), "contact details".to_string())));
        let send =
            Action::new(move |(body, confirmed): &(String, bool)| send_message(thread, body.clone(), *confirmed));
        Effect::new(move |_| {
            let Some(result) = send.value().get() else { return };
            match result {
                Ok(SendResult::Sent { .. }) => {
                    text.set(String::new());
                    refused.set(None);
                    notice.set(None);
                    confirm.set(None);
                    on_sent.run(());
                }
                Ok(SendResult::Scheduled { at, .. }) => {
                    text.set(String::new());
                    confirm.set(None);
                    toaster.success(format!("Quiet hours: it will go out {at}"));
                    on_sent.run(());
                }
                Ok(SendResult::NeedsConfirmation { redacted, what }) => confirm.set(Some((redacted, what))),
                // Keep what was typed: the person may want to edit and resend.
                Ok(SendResult::Refused { reason }) => {
                    refused.set(Some(reason));
                    on_sent.run(());
                }
                Err(e) => refused.set(Some(e.to_string())),
            }
        });
        ComposeState { thread, initial: StoredValue::new(initial), text, refused, notice, confirm, send }
    }
}

/// While the page comes alive: what the person already typed into the
/// server-rendered box (on a slow phone, the script can take seconds), so
/// that waking the box up doesn't wipe it.
fn typed_before_script() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let el = web_sys::window()?.document()?.get_element_by_id("compose-text")?;
        let typed = js_sys::Reflect::get(&el, &"value".into()).ok()?.as_string()?;
        (!typed.is_empty()).then_some(typed)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

#[component]
pub fn Compose(state: ComposeState, policy: ComposePolicy) -> impl IntoView {
    let ComposeState { thread, initial, text, refused, notice, confirm, send } = state;
    let info = Memo::new(move |_| sms::analyze(&text.get()));
    let policy = StoredValue::new(policy);
    let warning = Memo::new(move |_| policy.with_value(|p| p.warning(&text.get())));
    let submit = move |confirmed: bool| {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            refused.set(Some("Type a message first.".into()));
            return;
        }
        refused.set(None);
        notice.set(None);
        send.dispatch((body, confirmed));
    };
    let counter = move || {
        let i = info.get();
        if i.units == 0 {
            return "GSM-7 · 0 segments".to_string();
        }
        format!(
            "{} · {} segment{} · {} left",
            i.encoding.label(),
            i.segments,
            if i.segments == 1 { "" } else { "s" },
            i.remaining_in_segment
        )
    };
    let offenders = move || {
        let i = info.get();
        let mut chars: Vec<char> = i.offenders.iter().map(|o| o.ch).collect();
        chars.dedup();
        chars
    };
    view! {
        <div class="border-t border-slate-200 bg-white px-4 py-3" data-testid="compose">
            <form
                method="post"
                action=PostReply::url()
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit(false);
                }
            >
                <input type="hidden" name="thread" value=thread.0.to_string() />
                <Show when=move || confirm.get().is_some()>
                    <div class="mb-3 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="policy-confirm">
                        <p class="font-semibold">{move || format!("This looks like it shares {}.", confirm.get().map(|c| c.1).unwrap_or_default())}</p>
                        <p class="mt-1 font-mono text-xs">{move || confirm.get().map(|c| c.0).unwrap_or_default()}</p>
                        <p class="mt-1">"Sending contact details lets clients and sitters leave the platform. If you send anyway, it is recorded."</p>
                        <div class="mt-2 flex gap-2">
                            <button
                                type="submit"
                                name="confirm"
                                value="true"
                                class=btn::DANGER
                                data-testid="send-anyway"
                                disabled=move || send.pending().get()
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    submit(true);
                                }
                            >
                                "Send anyway"
                            </button>
                            <button type="button" class=btn::SECONDARY on:click=move |_| confirm.set(None)>"Edit message"</button>
                        </div>
                    </div>
                </Show>
                <div class="flex items-end gap-2">
                <label for="compose-text" class="sr-only">"Message"</label>
                <textarea
                    id="compose-text"
                    name="body"
                    rows="2"
                    class="block min-h-[2.75rem] w-full resize-y rounded-xl border border-slate-300 px-3 py-2 text-sm focus:border-emerald-500 focus:outline-none focus:ring-1 focus:ring-emerald-500"
                    placeholder="Write a message…"
                    data-testid="compose-text"
                    inner_html=escape_text(&initial.get_value())
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        confirm.set(None);
                    }
                ></textarea>
                <button type="submit" class=btn::PRIMARY data-testid="send" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send" }}
                </button>
                </div>
            </form>
            <div class="mt-1.5 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
                <span data-testid="sms-counter">{counter}</span>
                <Show when=move || !offenders().is_empty()>
                    <span class="text-amber-700" data-testid="ucs2-hint">
                        {move || {
                            let list: String = offenders().iter().map(|c| format!("\u{201c}{c}\u{201d}")).collect::<Vec<_>>().join(" ");
                            format!("{list} makes this a UCS-2 text (fewer characters per segment).")
                        }}
                    </span>
                    <button type="button" class="font-semibold text-emerald-700 underline" data-testid="use-plain" on:click=move |_| text.update(|t| *t = sms::plain_text(t))>
                        "Use plain characters"
                    </button>
                </Show>
            </div>
            {move || warning.get().map(|w| view! { <p class="mt-2 rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-900" role="status" data-testid="policy-warning">{w}</p> })}
            {move || refused.get().map(|r| view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="send-refused">{r}</p> })}
            {move || notice.get().map(|n| view! { <p class="mt-2 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="send-notice">{n}</p> })}
        </div>
    }
}
