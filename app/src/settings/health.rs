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
        store::checks(&u).await
    })
    .await
}

#[server]
pub async fn failed_jobs() -> Result<Vec<FailedJob>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::failed(&u).await
    })
    .await
}

/// `replay`: run it again; otherwise mark it ignored. A reason is required.
#[server]
pub async fn resolve_failed_job(id: i64, replay: bool, reason: String) -> Result<String, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::resolve(&u, id, replay, &reason).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::domain::ids::MessageId;
    use crate::domain::time::relative;
    use crate::error::AppResult;
    use crate::messaging::store as mstore;
    use crate::platform::audit::{self, Event};
    use crate::platform::ctx::request_id;
    use crate::platform::sessions::SessionUser;
    use crate::platform::{from_ms, jobs, ms, now, state};
    use sqlx::Row;

    fn check(label: &str, level: &str, detail: impl Into<String>) -> HealthCheck {
        HealthCheck { label: label.into(), level: level.into(), detail: detail.into() }
    }

    pub async fn checks(u: &SessionUser) -> AppResult<Vec<HealthCheck>> {
        let st = state()?;
        let t = now();
        let ctx = {
            let mut c = st.db.read.acquire().await?;
            mstore::org_context(&mut c, u.org_id).await?
        };
        let mut out = Vec::new();

        let started = std::time::Instant::now();
        let provider = match crate::messaging::provider::for_org(
            &st,
            u.org_id,
            ctx.settings.delivery.timeout_seconds as u64,
        )
        .await
        {
            Err(e) => check("Texting provider", "bad", format!("Can't be used: {e}. Connect it again in Setup.")),
            Ok(p) => match p.account().await {
                Ok(a) if a.status.eq_ignore_ascii_case("active") => check(
                    "Texting provider",
                    "ok",
                    format!("{} answered in {} ms.", a.label, started.elapsed().as_millis()),
                ),
                Ok(a) => check("Texting provider", "bad", format!("{} says the account is {}.", a.label, a.status)),
                Err(e) => check("Texting provider", "bad", e.explain()),
            },
        };
        out.push(provider);

        let mut c = st.db.read.acquire().await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(created_at) AS t FROM messages WHERE org_id = $1 AND direction = 'inbound'")
                .bind(u.org_id.0)
                .fetch_one(&mut *c)
                .await?
                .try_get("t")?;
        out.push(match last {
            None => check("Last text received", "warn", "None yet. Text your Front Desk number to try it."),
            Some(at) => {
                let at = from_ms(at);
                let level = if t - at > chrono::Duration::days(2) { "warn" } else { "ok" };
                check("Last text received", level, format!("{} ({}).", relative(at, t, ctx.tz), ctx.tz.date_time(at)))
            }
        });
        drop(c);

        let (depth, oldest) = jobs::depth(&st.db, Some(u.org_id), t).await?;
        let oldest_secs = oldest.map(|d| d.num_seconds()).unwrap_or(0);
        out.push(check(
            "Background work",
            if oldest_secs > 600 {
                "bad"
            } else if oldest_secs > 60 {
                "warn"
            } else {
                "ok"
            },
            match oldest {
                None => "Nothing waiting.".to_string(),
                Some(_) => format!("{depth} waiting; the oldest has waited {}.", human_secs(oldest_secs)),
            },
        ));

        let started = std::time::Instant::now();
        sqlx::query("SELECT 1 AS one").fetch_one(&st.db.read).await?;
        let db_ms = started.elapsed().as_secs_f64() * 1000.0;
        out.push(check("Database", if db_ms > 250.0 { "warn" } else { "ok" }, format!("Answered in {db_ms:.1} ms.")));

        let mut c = st.db.read.acquire().await?;
        let rejected = sqlx::query(
            "SELECT at, summary FROM audit_events WHERE org_id = $1 AND event_type = 'webhook.rejected'
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(u.org_id.0)
        .fetch_optional(&mut *c)
        .await?;
        out.push(match rejected {
            None => check(
                "Refused deliveries from the provider",
                "ok",
                "None: every text and report carried a valid signature.",
            ),
            Some(r) => {
                let at = from_ms(r.try_get("at")?);
                let summary: String = r.try_get("summary")?;
                check(
                    "Refused deliveries from the provider",
                    if t - at < chrono::Duration::hours(24) { "warn" } else { "ok" },
                    format!(
                        "Last {}: {summary}. If texts stopped arriving, check PUBLIC_BASE_URL and the Auth Token.",
                        relative(at, t, ctx.tz)
                    ),
                )
            }
        });
        Ok(out)
    }

    fn human_secs(s: i64) -> String {
        match s {
            s if s < 90 => format!("{s} s"),
            s if s < 5400 => format!("{} min", (s + 30) / 60),
            s => format!("{} h", (s + 1800) / 3600),
        }
    }

    async fn describe(c: &mut sqlx::AnyConnection, kind: &str, payload: &serde_json::Value) -> AppResult<String> {
        Ok(match kind {
            "send" => {
                let id = payload.get("message_id").and_then(|v| v.as_i64()).unwrap_or(0);
                let r = sqlx::query(
                    "SELECT m.body, c.name FROM messages m JOIN threads t ON t.id = m.thread_id
                     LEFT JOIN clients c ON c.id = t.client_id WHERE m.id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *c)
                .await?;
                match r {
                    Some(r) => {
                        let body: String = r.try_get("body")?;
                        let name: Option<String> = r.try_get("name")?;
                        let short: String = body.chars().take(60).collect();
                        format!(
                            "Text to {}: \"{short}{}\"",
                            name.unwrap_or_else(|| "a client".into()),
                            if body.chars().count() > 60 { "…" } else { "" }
                        )
                    }
                    None => "A text that no longer exists".into(),
                }
            }
            "media.fetch" => "Saving a picture a client sent".into(),
            "override.expire" => "Ending a routing override".into(),
            "demo.status" => "A demo delivery report".into(),
            k if k == crate::automations::runner::JOB => "An automation run".into(),
            other => format!("Background task \"{other}\""),
        })
    }

    pub async fn failed(u: &SessionUser) -> AppResult<Vec<FailedJob>> {
        let st = state()?;
        let t = now();
        let mut c = st.db.read.acquire().await?;
        let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
        let rows = sqlx::query(
            "SELECT id, kind, payload, attempts, last_error, finished_at, created_at FROM jobs
             WHERE org_id = $1 AND status = 'dead' ORDER BY COALESCE(finished_at, created_at) DESC LIMIT 200",
        )
        .bind(u.org_id.0)
        .fetch_all(&mut *c)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let kind: String = r.try_get("kind")?;
            let payload: serde_json::Value =
                serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or(serde_json::Value::Null);
            let at: Option<i64> = r.try_get("finished_at")?;
            let at = from_ms(at.unwrap_or(r.try_get("created_at")?));
            out.push(FailedJob {
                id: r.try_get("id")?,
                what: describe(&mut c, &kind, &payload).await?,
                kind,
                when: relative(at, t, tz),
                attempts: r.try_get("attempts")?,
                error: r.try_get::<Option<String>, _>("last_error")?.unwrap_or_else(|| "No error was recorded.".into()),
            });
        }
        Ok(out)
    }

    pub async fn resolve(u: &SessionUser, id: i64, replay: bool, reason: &str) -> AppResult<String> {
        let st = state()?;
        let reason = reason.trim();
        if reason.chars().count() < 3 {
            return Err(AppError::field("reason", "Say why, in a few words, so the audit trail explains it."));
        }
        if reason.chars().count() > 500 {
            return Err(AppError::field("reason", "Keep the reason under 500 characters."));
        }
        let row = sqlx::query("SELECT kind, payload, status FROM jobs WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(u.org_id.0)
            .fetch_optional(&st.db.read)
            .await?
            .ok_or_else(|| AppError::NotFound("That failed job isn't in the list any more.".into()))?;
        if row.try_get::<String, _>("status")? != "dead" {
            return Err(AppError::Conflict("That job was already replayed or ignored.".into()));
        }
        let kind: String = row.try_get("kind")?;
        let payload: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>("payload")?).unwrap_or(serde_json::Value::Null);
        let actor = u.actor(request_id());
        // A text is replayed the way the inbox retries it: the message goes
        // back in the queue with every check (opt-out, number in service).
        let resent = replay && kind == "send";
        if resent {
            let mid = payload.get("message_id").and_then(|v| v.as_i64()).ok_or_else(|| {
                AppError::Conflict("This job doesn't say which text it was for; ignore it instead.".into())
            })?;
            crate::messaging::delivery::retry(&st, u.org_id, MessageId(mid), &actor).await?;
        }
        let t = ms(now());
        let mut tx = st.db.begin().await?;
        let changed = if replay && !resent {
            sqlx::query(
                "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, finished_at = NULL, last_error = NULL,
                     locked_at = NULL, resolved_by = $2, resolution_note = $3 WHERE id = $4 AND status = 'dead'",
            )
        } else {
            sqlx::query(
                "UPDATE jobs SET status = 'ignored', finished_at = $1, resolved_by = $2, resolution_note = $3
                 WHERE id = $4 AND status = 'dead'",
            )
        }
        .bind(t)
        .bind(u.user_id.0)
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AppError::Conflict("That job was already replayed or ignored.".into()));
        }
        let (event, message) = if replay {
            ("job.replayed", "Replayed: it runs again now.")
        } else {
            ("job.ignored", "Ignored: it won't run again.")
        };
        audit::append(
            &mut tx,
            u.org_id,
            &actor,
            Event::new(
                event,
                "job",
                id,
                format!(
                    "{} {} a failed background task: {reason}",
                    actor.name,
                    if replay { "replayed" } else { "ignored" }
                ),
            )
            .payload(serde_json::json!({ "kind": kind, "reason": reason, "as_new_send": resent })),
        )
        .await?;
        tx.commit().await?;
        st.wake_worker();
        Ok(message.to_string())
    }
}

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
