//! Settings → Health (SPEC §4.10, §5, §6): the checks an owner looks at when
//! texts seem stuck (provider reachable, last text received, job queue
//! depth and oldest job, database latency, last refused delivery report),
//! and the failed background jobs with replay or ignore, each needing a
//! reason and each audited.

use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, Card, EmptyState, Loading, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub label: String,
    /// ok, warn or bad
    pub level: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedJob {
    pub id: i64,
    /// What the job was for, in words.
    pub what: String,
    pub kind: String,
    pub when: String,
    pub attempts: i64,
    pub error: String,
}

#[server]
pub async fn health_checks() -> Result<Vec<HealthCheck>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::checks(&crate::platform::state()?, &u).await
    })
    .await
}

#[server]
pub async fn failed_jobs() -> Result<Vec<FailedJob>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::failed(&crate::platform::state()?, &u).await
    })
    .await
}

/// `replay`: run it again; otherwise mark it ignored. A reason is required.
#[server]
pub async fn resolve_failed_job(id: i64, replay: bool, reason: String) -> Result<String, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::resolve(
            &crate::platform::state()?,
            &u,
            &u.actor(crate::platform::ctx::request_id()),
            id,
            replay,
            &reason,
        )
        .await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store;

#[component]
pub fn HealthPanel() -> impl IntoView {
    let checks = Resource::new(|| (), |_| health_checks());
    view! {
        <Card title="Health" class="mb-6">
            <Transition fallback=|| view! { <Loading label="Running health checks" /> }>
                {move || Suspend::new(async move {
                    match checks.await {
                        Ok(list) => view! {
                            <ul class="divide-y divide-slate-100" data-testid="health-checks">
                                {list.into_iter().map(|c| {
                                    let (tone, text) = match c.level.as_str() {
                                        "ok" => (Tone::Good, "OK"),
                                        "warn" => (Tone::Warn, "Check"),
                                        _ => (Tone::Bad, "Problem"),
                                    };
                                    view! {
                                        <li class="flex flex-col gap-1 py-3 sm:flex-row sm:items-start sm:justify-between sm:gap-4" data-testid="health-check" data-level=c.level.clone()>
                                            <div>
                                                <p class="text-sm font-medium text-slate-900">{c.label}</p>
                                                <p class="text-sm text-slate-600">{c.detail}</p>
                                            </div>
                                            <Badge tone=tone text=text />
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <button type="button" class=format!("mt-3 {}", btn::SECONDARY) data-testid="health-recheck" on:click=move |_| checks.refetch()>"Check again"</button>
        </Card>
    }
}

#[component]
pub fn FailedJobsPanel() -> impl IntoView {
    let toaster = use_toaster();
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || changed.get(), |_| failed_jobs());
    let open = RwSignal::new(None::<(FailedJob, bool)>);
    let reason = RwSignal::new(String::new());
    let resolve = Action::new(|(id, replay, r): &(i64, bool, String)| resolve_failed_job(*id, *replay, r.clone()));
    Effect::new(move |_| {
        if let Some(Ok(m)) = resolve.value().get() {
            toaster.success(m);
            open.set(None);
            reason.set(String::new());
            changed.update(|v| *v += 1);
        }
    });
    view! {
        <Card title="Failed background jobs" class="mb-6">
            <p class="mb-3 text-sm text-slate-600">"Work that gave up after its retries: texts, saved pictures, automation runs. Replay it once the cause is fixed, or ignore it. Either way, say why."</p>
            <Transition fallback=|| view! { <Loading label="Loading failed jobs" /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(jobs) if jobs.is_empty() => view! { <EmptyState title="Nothing failed" body="Every background job finished. Anything that gives up after its retries shows up here." /> }.into_any(),
                        Ok(jobs) => view! {
                            <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200" data-testid="failed-jobs">
                                {jobs.into_iter().map(|j| {
                                    let (a, b) = (j.clone(), j.clone());
                                    view! {
                                        <li class="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-start sm:justify-between" data-testid="failed-job">
                                            <div class="min-w-0">
                                                <p class="text-sm font-medium text-slate-900">{j.what.clone()}</p>
                                                <p class="text-xs text-slate-500">{format!("Gave up {} after {} attempt{}", j.when, j.attempts, if j.attempts == 1 { "" } else { "s" })}</p>
                                                <p class="mt-1 break-words text-sm text-red-700">{j.error.clone()}</p>
                                            </div>
                                            <div class="flex shrink-0 gap-2">
                                                <button type="button" class=btn::SMALL data-testid="job-replay" on:click=move |_| open.set(Some((a.clone(), true)))>"Replay"</button>
                                                <button type="button" class=btn::SMALL data-testid="job-ignore" on:click=move |_| open.set(Some((b.clone(), false)))>"Ignore"</button>
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
            {move || open.get().map(|(j, replay)| { let id = j.id; view! {
                <form class="mt-4 rounded-lg border border-slate-200 bg-slate-50 p-4" data-testid="job-resolve-form"
                    on:submit=move |ev| { ev.prevent_default(); resolve.dispatch((id, replay, reason.get_untracked())); }>
                    <p class="text-sm font-medium text-slate-900">{format!("{} \"{}\"", if replay { "Replay" } else { "Ignore" }, j.what)}</p>
                    <p class="text-xs text-slate-600">{if replay { "It runs again now, with every check (a text to a client who opted out is still refused)." } else { "It won't run again. It stays in the audit trail." }}</p>
                    <label class="mt-3 block">
                        <span class=field::LABEL>"Reason"</span>
                        <input class=field::INPUT data-testid="job-reason" placeholder="Twilio balance topped up" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </label>
                    {move || match resolve.value().get() {
                        Some(Err(e)) => Some(view! { <p class="mt-2 text-sm text-red-700" role="alert" data-testid="job-error">{e.to_string()}</p> }),
                        _ => None,
                    }}
                    <div class="mt-3 flex gap-2">
                        <button type="submit" class=btn::PRIMARY data-testid="job-confirm" disabled=move || resolve.pending().get()>{if replay { "Replay" } else { "Ignore" }}</button>
                        <button type="button" class=btn::GHOST on:click=move |_| open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }})}
        </Card>
    }
}
