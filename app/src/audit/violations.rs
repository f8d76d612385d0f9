//! The violations feed (SPEC §3.5, §4.9): every anti-poaching hit with its
//! redacted text, who sent it and what happened; the owner reviews each
//! one. A blocked or held text can be approved and sent (recorded as an
//! override), or the violation dismissed (not a real problem) or resolved
//! (handled). Every review is audited with the note, in its transaction.

use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationView {
    pub id: i64,
    pub at: String,
    pub thread_id: Option<i64>,
    pub client: Option<String>,
    /// "Maya Chen (sitter)", "the client"
    pub who: String,
    pub direction: String,
    /// The text with the contact details replaced by ███.
    pub redacted: String,
    /// "phone number, email address"
    pub kinds: String,
    /// blocked | held | logged | flagged …
    pub outcome: String,
    pub status: String,
    /// "Approved by Olivia Grant, 2 h ago: note"
    pub reviewed: Option<String>,
    /// A kept outbound text that approving would send.
    pub can_send: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    ApproveAndSend,
    Dismiss,
    Resolve,
}

impl Review {
    pub fn label(self) -> &'static str {
        match self {
            Review::ApproveAndSend => "Approve and send",
            Review::Dismiss => "Dismiss",
            Review::Resolve => "Resolve",
        }
    }
}

#[server]
pub async fn list_violations(status: String) -> Result<Vec<ViolationView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&u, &status).await
    })
    .await
}

#[server]
pub async fn review_violation(id: i64, review: Review, note: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::review(&u, id, review, &note).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::domain::ids::NumberId;
    use crate::domain::phone::E164;
    use crate::domain::time::relative;
    use crate::error::AppResult;
    use crate::messaging::store as mstore;
    use crate::platform::audit::{self, Event};
    use crate::platform::ctx::request_id;
    use crate::platform::jobs::{self, NewJob};
    use crate::platform::sessions::SessionUser;
    use crate::platform::state::LiveEvent;
    use crate::platform::{from_ms, ms, now, state};
    use sqlx::Row;

    fn kinds(hits: &str) -> String {
        let v: Vec<serde_json::Value> = serde_json::from_str(hits).unwrap_or_default();
        let mut out: Vec<String> = Vec::new();
        for h in v {
            if let Some(k) = h.get("kind").and_then(|k| k.as_str()) {
                let k = k.replace('_', " ");
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
        out.join(", ")
    }

    pub async fn list(u: &SessionUser, status: &str) -> AppResult<Vec<ViolationView>> {
        let status = match status {
            "open" | "resolved" | "dismissed" | "approved" => status,
            "" => "open",
            other => return Err(AppError::field("status", format!("\"{other}\" isn't a violation status."))),
        };
        let st = state()?;
        let t = now();
        let mut c = st.db.read.acquire().await?;
        let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
        let rows = sqlx::query(
            "SELECT v.id, v.thread_id, v.message_id, v.direction, v.actor_kind, v.redacted, v.hits, v.outcome, v.status, v.created_at,
                    v.reviewed_at, v.review_note, c.name AS client, s.name AS sitter, us.name AS sender_user, rv.name AS reviewer,
                    m.status AS message_status
             FROM policy_violations v
             LEFT JOIN threads t ON t.id = v.thread_id LEFT JOIN clients c ON c.id = t.client_id
             LEFT JOIN sitters s ON s.id = v.sitter_id LEFT JOIN users us ON us.id = v.user_id
             LEFT JOIN users rv ON rv.id = v.reviewed_by LEFT JOIN messages m ON m.id = v.message_id
             WHERE v.org_id = $1 AND v.status = $2
             ORDER BY COALESCE(v.reviewed_at, v.created_at) DESC, v.id DESC LIMIT 200",
        )
        .bind(u.org_id.0)
        .bind(status)
        .fetch_all(&mut *c)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let actor: String = r.try_get("actor_kind")?;
            let who = match actor.as_str() {
                "sitter" => format!(
                    "{} (sitter)",
                    r.try_get::<Option<String>, _>("sitter")?.unwrap_or_else(|| "A sitter".into())
                ),
                "client" => "The client".to_string(),
                "automation" => "An automation".to_string(),
                _ => r.try_get::<Option<String>, _>("sender_user")?.unwrap_or_else(|| "The owner".into()),
            };
            let v_status: String = r.try_get("status")?;
            let reviewed = match r.try_get::<Option<i64>, _>("reviewed_at")? {
                Some(at) => {
                    let verb = match v_status.as_str() {
                        "approved" => "Approved and sent",
                        "dismissed" => "Dismissed",
                        _ => "Resolved",
                    };
                    let note = r.try_get::<Option<String>, _>("review_note")?.filter(|n| !n.is_empty());
                    Some(format!(
                        "{verb} by {}, {}{}",
                        r.try_get::<Option<String>, _>("reviewer")?.unwrap_or_else(|| "the owner".into()),
                        relative(from_ms(at), t, tz),
                        note.map(|n| format!(": {n}")).unwrap_or_default()
                    ))
                }
                None => None,
            };
            let message_status: Option<String> = r.try_get("message_status")?;
            out.push(ViolationView {
                id: r.try_get("id")?,
                at: relative(from_ms(r.try_get("created_at")?), t, tz),
                thread_id: r.try_get("thread_id")?,
                client: r.try_get("client")?,
                who,
                direction: r.try_get("direction")?,
                redacted: r.try_get("redacted")?,
                kinds: kinds(&r.try_get::<String, _>("hits")?),
                outcome: r.try_get("outcome")?,
                can_send: v_status == "open" && matches!(message_status.as_deref(), Some("blocked") | Some("held")),
                status: v_status,
                reviewed,
            });
        }
        Ok(out)
    }

    pub async fn review(u: &SessionUser, id: i64, review: Review, note: &str) -> AppResult<()> {
        let st = state()?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(AppError::field("note", "Keep the note under 500 characters."));
        }
        if review == Review::ApproveAndSend && note.is_empty() {
            return Err(AppError::field(
                "note",
                "Say why this text is fine to send: approving overrides the anti-poaching check and is recorded.",
            ));
        }
        let t = now();
        let mut tx = st.db.begin().await?;
        let v = sqlx::query(
            "SELECT v.status, v.thread_id, v.message_id, v.redacted, m.status AS message_status, m.to_e164, t.number_id
             FROM policy_violations v LEFT JOIN messages m ON m.id = v.message_id LEFT JOIN threads t ON t.id = v.thread_id
             WHERE v.id = $1 AND v.org_id = $2",
        )
        .bind(id)
        .bind(u.org_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That violation doesn't exist.".into()))?;
        if v.try_get::<String, _>("status")? != "open" {
            return Err(AppError::Conflict(
                "Someone already reviewed this violation; it's under its new status.".into(),
            ));
        }
        let thread: Option<i64> = v.try_get("thread_id")?;
        let message: Option<i64> = v.try_get("message_id")?;
        let redacted: String = v.try_get("redacted")?;
        if review == Review::ApproveAndSend {
            let (Some(message), Some("blocked" | "held")) =
                (message, v.try_get::<Option<String>, _>("message_status")?.as_deref())
            else {
                return Err(AppError::Conflict(
                    "There's no stopped text to send for this violation (it was delivered or only logged). Resolve or dismiss it instead.".into(),
                ));
            };
            let number: Option<i64> = v.try_get("number_id")?;
            let to = v.try_get::<Option<String>, _>("to_e164")?.and_then(|e| E164::from_canonical(&e));
            if let (Some(n), Some(to)) = (number, to.as_ref()) {
                if mstore::opted_out(&mut tx, u.org_id, to, NumberId(n)).await? {
                    return Err(AppError::Conflict(
                        "The client has opted out of texts from this number since; it can't be sent.".into(),
                    ));
                }
                let active = sqlx::query("SELECT status FROM numbers WHERE id = $1")
                    .bind(n)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get::<String, _>("status"))
                    .transpose()?;
                if active.as_deref() != Some("active") {
                    return Err(AppError::Conflict(
                        "The conversation's business number is out of service, so the text can't leave from it.".into(),
                    ));
                }
            }
            sqlx::query("UPDATE messages SET status = 'queued', policy_override = 1 WHERE id = $1 AND status IN ('blocked', 'held')")
                .bind(message)
                .execute(&mut *tx)
                .await?;
            jobs::enqueue(
                &mut tx,
                NewJob::now(Some(u.org_id), "send", serde_json::json!({ "message_id": message }))
                    .dedupe(format!("send:{message}")),
            )
            .await?;
        }
        let status = match review {
            Review::ApproveAndSend => "approved",
            Review::Dismiss => "dismissed",
            Review::Resolve => "resolved",
        };
        sqlx::query(
            "UPDATE policy_violations SET status = $1, reviewed_at = $2, reviewed_by = $3, review_note = $4 WHERE id = $5 AND status = 'open'",
        )
        .bind(status)
        .bind(ms(t))
        .bind(u.user_id.0)
        .bind((!note.is_empty()).then_some(note))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(th) = thread {
            sqlx::query("UPDATE threads SET open_violations = CASE WHEN open_violations > 0 THEN open_violations - 1 ELSE 0 END WHERE id = $1")
                .bind(th)
                .execute(&mut *tx)
                .await?;
        }
        let actor = u.actor(request_id());
        let (kind, summary) = match review {
            Review::ApproveAndSend => (
                "policy.overridden",
                format!("{} approved and sent a stopped text (\"{redacted}\"): {note}", actor.name),
            ),
            Review::Dismiss => {
                ("violation.dismissed", format!("{} dismissed the violation \"{redacted}\"", actor.name))
            }
            Review::Resolve => ("violation.resolved", format!("{} resolved the violation \"{redacted}\"", actor.name)),
        };
        let mut ev = Event::new(kind, "violation", id, summary)
            .payload(serde_json::json!({ "before": "open", "after": status, "note": note, "message_id": message }));
        ev.thread_id = thread;
        ev.message_id = message;
        audit::append(&mut tx, u.org_id, &actor, ev).await?;
        tx.commit().await?;
        if review == Review::ApproveAndSend {
            st.wake_worker();
        }
        st.publish(LiveEvent {
            org_id: u.org_id.0,
            thread_id: thread,
            owner_only: false,
            kind: "violation.reviewed".into(),
            data: serde_json::json!({ "id": id, "thread_id": thread }),
        });
        Ok(())
    }
}

fn outcome_tone(o: &str) -> Tone {
    match o {
        "blocked" => Tone::Bad,
        "held" => Tone::Warn,
        _ => Tone::Neutral,
    }
}

/// Links between the Audit & compliance screens.
#[component]
pub fn AuditTabs(current: &'static str) -> impl IntoView {
    let tabs = [
        ("timeline", "/audit", "Timeline"),
        ("violations", "/audit/violations", "Violations"),
        ("failures", "/audit/failures", "Delivery failures"),
        ("analytics", "/audit/analytics", "Analytics"),
    ];
    view! {
        <nav class="mb-5 flex gap-1 overflow-x-auto border-b border-slate-200" aria-label="Audit and compliance">
            {tabs.into_iter().map(|(key, href, label)| view! {
                <a href=href data-testid=format!("audit-tab-{key}") aria-current=(key == current).then_some("page")
                    class=if key == current { "-mb-px whitespace-nowrap border-b-2 border-emerald-600 px-3 py-2 text-sm font-semibold text-emerald-800" } else { "-mb-px whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900" }>
                    {label}
                </a>
            }).collect_view()}
        </nav>
    }
}

#[component]
pub fn ViolationsPage() -> impl IntoView {
    let toaster = use_toaster();
    let status = RwSignal::new("open".to_string());
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (status.get(), changed.get()), |(s, _)| list_violations(s));
    let reviewing = RwSignal::new(None::<(ViolationView, Review)>);
    let note = RwSignal::new(String::new());
    let act = Action::new(|(id, r, n): &(i64, Review, String)| review_violation(*id, *r, n.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            if let Some((_, r)) = reviewing.get_untracked() {
                toaster.success(match r {
                    Review::ApproveAndSend => "Approved: the text is on its way",
                    Review::Dismiss => "Violation dismissed",
                    Review::Resolve => "Violation resolved",
                });
            }
            reviewing.set(None);
            note.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    let filters = [("open", "Open"), ("approved", "Approved"), ("resolved", "Resolved"), ("dismissed", "Dismissed")];
    view! {
        <leptos_meta::Title text="Violations · Leashline" />
        <PageHeader title="Audit & compliance" subtitle="Texts that looked like sharing contact details or moving off the platform. Review each one." />
        <AuditTabs current="violations" />
        <div class="mb-4 inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
            {filters.into_iter().map(|(key, label)| view! {
                <button type="button" role="tab" data-testid=format!("violations-{key}")
                    aria-selected=move || (status.get() == key).to_string()
                    class=move || format!("rounded-lg px-3 py-1.5 text-sm font-medium {}", if status.get() == key { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" })
                    on:click=move |_| { reviewing.set(None); status.set(key.to_string()); }>{label}</button>
            }).collect_view()}
        </div>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading violations" /></div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! {
                        <EmptyState title="Nothing here" body="When someone tries to share a phone number, email, link or payment handle, it shows up here for review." />
                    }.into_any(),
                    Ok(items) => view! {
                        <ul class="space-y-3" data-testid="violation-list">
                            {items.into_iter().map(|v| {
                                let (a, b, c) = (v.clone(), v.clone(), v.clone());
                                view! {
                                    <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="violation">
                                        <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                                            <div class="min-w-0">
                                                <p class="flex flex-wrap items-center gap-2 text-sm">
                                                    <Badge tone=outcome_tone(&v.outcome) text=v.outcome.clone() />
                                                    <span class="font-medium text-slate-900">{v.who.clone()}</span>
                                                    <span class="text-slate-500">{format!("{} · {}", if v.direction == "inbound" { "to the business" } else { "to the client" }, v.at)}</span>
                                                </p>
                                                <p class="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-800" data-testid="violation-text">{v.redacted.clone()}</p>
                                                <p class="mt-1 text-xs text-slate-500">{format!("Looked like: {}", v.kinds)}</p>
                                                <p class="mt-1 flex flex-wrap gap-3 text-xs">
                                                    {v.thread_id.map(|t| view! { <a class="font-medium text-emerald-700 underline" href=format!("/inbox/{t}")>{format!("Conversation with {}", v.client.clone().unwrap_or_else(|| "the client".into()))}</a> })}
                                                </p>
                                                {v.reviewed.clone().map(|r| view! { <p class="mt-2 text-sm text-slate-700" data-testid="violation-reviewed">{r}</p> })}
                                            </div>
                                            {(v.status == "open").then(|| view! {
                                                <div class="flex shrink-0 flex-wrap gap-2 sm:justify-end">
                                                    {v.can_send.then(|| view! {
                                                        <button type="button" class=btn::SMALL data-testid="violation-approve" on:click=move |_| { act.clear(); reviewing.set(Some((a.clone(), Review::ApproveAndSend))) }>"Approve and send"</button>
                                                    })}
                                                    <button type="button" class=btn::SMALL data-testid="violation-resolve" on:click=move |_| { act.clear(); reviewing.set(Some((b.clone(), Review::Resolve))) }>"Resolve"</button>
                                                    <button type="button" class=btn::SMALL data-testid="violation-dismiss" on:click=move |_| { act.clear(); reviewing.set(Some((c.clone(), Review::Dismiss))) }>"Dismiss"</button>
                                                </div>
                                            })}
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || reviewing.get().map(|(v, r)| {
            let id = v.id;
            let approve = r == Review::ApproveAndSend;
            view! {
                <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" data-testid="violation-dialog">
                    <form class="w-full max-w-md rounded-xl bg-white p-5 shadow-xl" role="dialog" aria-modal="true"
                        on:submit=move |ev| { ev.prevent_default(); act.dispatch((id, r, note.get_untracked())); }>
                        <h2 class="text-base font-semibold text-slate-900">{format!("{}?", r.label())}</h2>
                        <p class="mt-2 rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-700">{v.redacted.clone()}</p>
                        {approve.then(|| view! {
                            <ul class="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-600" data-testid="impact-list">
                                <li>"The stopped text is sent to the client as written, from the conversation's business number."</li>
                                <li>"It's recorded as your override of the anti-poaching check, with your reason."</li>
                            </ul>
                        })}
                        <label class="mt-3 block">
                            <span class=field::LABEL>{if approve { "Why it's fine to send (required)" } else { "Note (optional)" }}</span>
                            <input class=field::INPUT data-testid="violation-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        {move || match act.value().get() {
                            Some(Err(e)) => Some(view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="violation-error">{e.to_string()}</p> }),
                            _ => None,
                        }}
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=btn::GHOST on:click=move |_| reviewing.set(None)>"Cancel"</button>
                            <button type="submit" class=if approve { btn::PRIMARY } else { btn::SECONDARY } data-testid="violation-confirm" disabled=move || act.pending().get()>{r.label()}</button>
                        </div>
                    </form>
                </div>
            }
        })}
    }
}
