//! Alerts (SPEC §3.7, §4.8): open alerts grouped by severity, each one per
//! cause with how many times it was seen; resolve or dismiss with who and
//! when (critical alerts can only be resolved — the server refuses a
//! dismissal); the archive of closed alerts, never deleted; escalation
//! rules and their history below the alerts.

pub mod escalation;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::alerts::Severity;
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, EmptyState, Loading, PageHeader, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: i64,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub count: i64,
    pub first_seen: String,
    pub last_seen: String,
    /// open, resolved or dismissed
    pub status: String,
    /// "Resolved by Olivia Grant, 2 h ago: note"
    pub closed: Option<String>,
    pub thread_id: Option<i64>,
    pub number: Option<String>,
}

#[server]
pub async fn list_alerts(archive: bool) -> Result<Vec<AlertView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&u, archive).await
    })
    .await
}

/// Resolves (or dismisses) an open alert; `note` is optional.
#[server]
pub async fn close_alert(id: i64, dismiss: bool, note: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::close(&u, id, dismiss, &note).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::domain::phone::E164;
    use crate::domain::time::relative;
    use crate::error::AppResult;
    use crate::messaging::store as mstore;
    use crate::platform::audit::{self, Event};
    use crate::platform::ctx::request_id;
    use crate::platform::sessions::SessionUser;
    use crate::platform::state::LiveEvent;
    use crate::platform::{from_ms, ms, now, state};
    use sqlx::Row;

    pub async fn list(u: &SessionUser, archive: bool) -> AppResult<Vec<AlertView>> {
        let st = state()?;
        let t = now();
        let mut c = st.db.read.acquire().await?;
        let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
        let sql = if archive {
            "SELECT a.*, n.e164, us.name AS closer FROM alerts a LEFT JOIN numbers n ON n.id = a.number_id
             LEFT JOIN users us ON us.id = a.resolved_by
             WHERE a.org_id = $1 AND a.status <> 'open' ORDER BY a.resolved_at DESC, a.id DESC LIMIT 200"
        } else {
            "SELECT a.*, n.e164, us.name AS closer FROM alerts a LEFT JOIN numbers n ON n.id = a.number_id
             LEFT JOIN users us ON us.id = a.resolved_by
             WHERE a.org_id = $1 AND a.status = 'open'
             ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.last_seen_at DESC, a.id DESC"
        };
        let rows = sqlx::query(sql).bind(u.org_id.0).fetch_all(&mut *c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let status: String = r.try_get("status")?;
            let closed = match r.try_get::<Option<i64>, _>("resolved_at")? {
                Some(at) if status != "open" => {
                    let who = r.try_get::<Option<String>, _>("closer")?.unwrap_or_else(|| "the system".into());
                    let note = r.try_get::<Option<String>, _>("resolution_note")?.filter(|n| !n.is_empty());
                    Some(format!(
                        "{} by {who}, {}{}",
                        if status == "dismissed" { "Dismissed" } else { "Resolved" },
                        relative(from_ms(at), t, tz),
                        note.map(|n| format!(": {n}")).unwrap_or_default()
                    ))
                }
                _ => None,
            };
            out.push(AlertView {
                id: r.try_get("id")?,
                severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Warning),
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                count: r.try_get("count")?,
                first_seen: relative(from_ms(r.try_get("first_seen_at")?), t, tz),
                last_seen: relative(from_ms(r.try_get("last_seen_at")?), t, tz),
                status,
                closed,
                thread_id: r.try_get("thread_id")?,
                number: r
                    .try_get::<Option<String>, _>("e164")?
                    .map(|e| E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e)),
            });
        }
        Ok(out)
    }

    pub async fn close(u: &SessionUser, id: i64, dismiss: bool, note: &str) -> AppResult<()> {
        let st = state()?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(AppError::field("note", "Keep the note under 500 characters."));
        }
        let mut tx = st.db.begin().await?;
        let r = sqlx::query(
            "SELECT severity, status, title, thread_id, number_id FROM alerts WHERE id = $1 AND org_id = $2",
        )
        .bind(id)
        .bind(u.org_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That alert doesn't exist.".into()))?;
        let severity = Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Warning);
        let title: String = r.try_get("title")?;
        if r.try_get::<String, _>("status")? != "open" {
            return Err(AppError::Conflict("That alert was already closed; it's in the archive.".into()));
        }
        if dismiss && !severity.can_dismiss() {
            return Err(AppError::Conflict(
                "Critical alerts can't be dismissed: fix the cause, then resolve it (say what you did).".into(),
            ));
        }
        let status = if dismiss { "dismissed" } else { "resolved" };
        sqlx::query(
            "UPDATE alerts SET status = $1, resolved_at = $2, resolved_by = $3, resolution_note = $4 WHERE id = $5 AND status = 'open'",
        )
        .bind(status)
        .bind(ms(now()))
        .bind(u.user_id.0)
        .bind((!note.is_empty()).then_some(note))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let actor = u.actor(request_id());
        let mut ev = Event::new(
            if dismiss { "alert.dismissed" } else { "alert.resolved" },
            "alert",
            id,
            format!(
                "{} {status} the {} alert \"{title}\"{}",
                actor.name,
                severity.label().to_lowercase(),
                if note.is_empty() { String::new() } else { format!(": {note}") }
            ),
        )
        .payload(serde_json::json!({ "severity": severity.as_str(), "note": note }));
        ev.thread_id = r.try_get("thread_id")?;
        ev.number_id = r.try_get("number_id")?;
        audit::append(&mut tx, u.org_id, &actor, ev).await?;
        tx.commit().await?;
        st.publish(LiveEvent {
            org_id: u.org_id.0,
            thread_id: None,
            owner_only: true,
            kind: "alert.closed".into(),
            data: serde_json::json!({ "id": id }),
        });
        Ok(())
    }
}

fn tone(s: Severity) -> Tone {
    match s {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Info,
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let toaster = use_toaster();
    let archive = RwSignal::new(false);
    let changed = RwSignal::new(0u32);
    let alerts = Resource::new(move || (archive.get(), changed.get()), |(a, _)| list_alerts(a));
    let closing = RwSignal::new(None::<(AlertView, bool)>);
    let note = RwSignal::new(String::new());
    let close = Action::new(|(id, dismiss, n): &(i64, bool, String)| close_alert(*id, *dismiss, n.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = close.value().get() {
            let what = closing.get_untracked().map(|(_, d)| if d { "Alert dismissed" } else { "Alert resolved" });
            toaster.success(what.unwrap_or("Done"));
            closing.set(None);
            note.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    let tab = move |is_archive: bool, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (archive.get() == is_archive).to_string()
                data-testid=if is_archive { "alerts-archive-tab" } else { "alerts-open-tab" }
                class=move || format!(
                    "rounded-lg px-3 py-1.5 text-sm font-medium {}",
                    if archive.get() == is_archive { "bg-white text-slate-900 shadow-sm" } else { "text-slate-600 hover:text-slate-900" }
                )
                on:click=move |_| { closing.set(None); archive.set(is_archive); }>{label}</button>
        }
    };
    view! {
        <leptos_meta::Title text="Alerts · Leashline" />
        <PageHeader title="Alerts" subtitle="Things that need your attention, most urgent first. Each cause raises one alert and counts repeats.">
            <div class="inline-flex rounded-xl bg-slate-100 p-1" role="tablist">
                {tab(false, "Open")}
                {tab(true, "Archive")}
            </div>
        </PageHeader>
        <Transition fallback=|| view! { <div class="rounded-xl border border-slate-200 bg-white p-5"><Loading label="Loading alerts" /></div> }>
            {move || Suspend::new(async move {
                let is_archive = archive.get_untracked();
                match alerts.await {
                    Ok(list) if list.is_empty() => if is_archive {
                        view! { <EmptyState title="Nothing in the archive yet" body="Resolved and dismissed alerts are kept here, with who closed them and when." /> }.into_any()
                    } else {
                        view! { <EmptyState title="All clear" body="Delivery problems, policy violations, clients waiting and other issues will show up here." /> }.into_any()
                    },
                    Ok(list) => {
                        let groups: Vec<(Severity, Vec<AlertView>)> = Severity::ALL
                            .into_iter()
                            .map(|s| (s, list.iter().filter(|a| a.severity == s).cloned().collect::<Vec<_>>()))
                            .filter(|(_, v)| !v.is_empty())
                            .collect();
                        view! {
                            <div class="space-y-6" data-testid="alert-groups">
                                {groups.into_iter().map(|(sev, items)| view! {
                                    <section data-testid=format!("alerts-{}", sev.as_str())>
                                        <h2 class="mb-2 flex items-center gap-2 text-sm font-semibold text-slate-900">
                                            <Badge tone=tone(sev) text=sev.label() />
                                            {format!("{} alert{}", items.len(), if items.len() == 1 { "" } else { "s" })}
                                        </h2>
                                        <ul class="space-y-3">
                                            {items.into_iter().map(|a| view! { <AlertCard alert=a closing=closing /> }).collect_view()}
                                        </ul>
                                    </section>
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <escalation::EscalationSection />
        <rules::AlertRulesSection />
        {move || closing.get().map(|(a, dismiss)| {
            let id = a.id;
            view! {
                <div class="fixed inset-0 z-40 flex items-end justify-center bg-slate-900/40 p-4 sm:items-center" data-testid="alert-close-dialog">
                    <form class="w-full max-w-md rounded-xl bg-white p-5 shadow-xl" role="dialog" aria-modal="true"
                        on:submit=move |ev| { ev.prevent_default(); close.dispatch((id, dismiss, note.get_untracked())); }>
                        <h2 class="text-base font-semibold text-slate-900">{if dismiss { "Dismiss this alert?" } else { "Resolve this alert?" }}</h2>
                        <p class="mt-1 text-sm text-slate-600">{a.title.clone()}</p>
                        <p class="mt-2 text-xs text-slate-500">
                            {if dismiss { "Dismiss when it isn't a real problem. It moves to the archive with your name." } else { "Resolve when the cause is fixed. It moves to the archive with your name; if it happens again, a new alert opens." }}
                        </p>
                        <label class="mt-3 block">
                            <span class=field::LABEL>{if dismiss { "Why (optional)" } else { "What you did (optional)" }}</span>
                            <input class=field::INPUT data-testid="alert-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                        </label>
                        {move || match close.value().get() {
                            Some(Err(e)) => Some(view! { <p class="mt-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="alert-error">{e.to_string()}</p> }),
                            _ => None,
                        }}
                        <div class="mt-4 flex justify-end gap-2">
                            <button type="button" class=btn::GHOST on:click=move |_| closing.set(None)>"Cancel"</button>
                            <button type="submit" class=if dismiss { btn::SECONDARY } else { btn::PRIMARY } data-testid="alert-confirm" disabled=move || close.pending().get()>
                                {if dismiss { "Dismiss" } else { "Resolve" }}
                            </button>
                        </div>
                    </form>
                </div>
            }
        })}
    }
}

#[component]
fn AlertCard(alert: AlertView, closing: RwSignal<Option<(AlertView, bool)>>) -> impl IntoView {
    let a = alert.clone();
    let b = alert.clone();
    let open = alert.status == "open";
    let critical = alert.severity == Severity::Critical;
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="alert-card" data-severity=alert.severity.as_str()>
            <div class="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                <div class="min-w-0">
                    <p class="font-medium text-slate-900">{alert.title.clone()}</p>
                    <p class="mt-0.5 text-sm text-slate-600">{alert.body.clone()}</p>
                    <p class="mt-1 text-xs text-slate-500">
                        {if alert.count > 1 { format!("Seen {} times · first {} · last {}", alert.count, alert.first_seen, alert.last_seen) } else { format!("Raised {}", alert.first_seen) }}
                    </p>
                    <p class="mt-1 flex flex-wrap gap-3 text-xs">
                        {alert.thread_id.map(|t| view! { <a class="font-medium text-emerald-700 underline" href=format!("/inbox/{t}")>"Open the conversation"</a> })}
                        {alert.number.clone().map(|n| view! { <a class="font-medium text-emerald-700 underline" href="/numbers">{format!("Number {n}")}</a> })}
                    </p>
                    {alert.closed.clone().map(|c| view! { <p class="mt-2 text-sm text-slate-700" data-testid="alert-closed">{c}</p> })}
                </div>
                {open.then(|| view! {
                    <div class="flex shrink-0 flex-col items-stretch gap-1 sm:items-end">
                        <div class="flex gap-2">
                            <button type="button" class=btn::SMALL data-testid="alert-resolve" on:click=move |_| closing.set(Some((a.clone(), false)))>"Resolve"</button>
                            {(!critical).then(|| view! {
                                <button type="button" class=btn::SMALL data-testid="alert-dismiss" on:click=move |_| closing.set(Some((b.clone(), true)))>"Dismiss"</button>
                            })}
                        </div>
                        {critical.then(|| view! { <span class="text-xs text-slate-500" data-testid="alert-critical-note">"Critical: resolve only"</span> })}
                    </div>
                })}
            </div>
        </li>
    }
}
