//! The "send" job: calls the provider for one queued message, records every
//! attempt, retries transient failures with exponential backoff, and trips
//! a per-organisation circuit breaker when the provider keeps failing
//! (queued messages wait, nothing is dropped). A send interrupted by a crash
//! asks the provider whether it went out before trying again.

use super::provider::{self, ProviderError};
use super::status;
use super::store;
use crate::alerts::service::{self as alerts, Raise};
use crate::domain::alerts::Severity;
use crate::domain::breaker::{self, AfterFailure, Breaker, Gate};
use crate::domain::ids::{MessageId, OrgId, ThreadId};
use crate::domain::numbers::NumberStatus;
use crate::domain::outbound::{self, Sender};
use crate::domain::phone::E164;
use crate::domain::provider_errors;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{Job, Outcome};
use crate::platform::{from_ms, ms, AppState};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

struct Pending {
    id: i64,
    org: OrgId,
    thread: ThreadId,
    from: E164,
    to: E164,
    body: String,
    status: String,
    /// Who wrote it: a sitter's text still needs their window when it goes.
    sitter: Option<crate::domain::ids::SitterId>,
    /// Since when the text has been waiting to go out.
    due: DateTime<Utc>,
}

async fn load(state: &AppState, id: i64) -> Result<Option<Pending>, sqlx::Error> {
    let Some(r) =
        sqlx::query("SELECT id, org_id, thread_id, from_e164, to_e164, body, status, sender_kind, sender_sitter_id, created_at, scheduled_for FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.db.write)
            .await?
    else {
        return Ok(None);
    };
    let (Some(from), Some(to)) = (
        r.try_get::<Option<String>, _>("from_e164")?.as_deref().and_then(E164::from_canonical),
        r.try_get::<Option<String>, _>("to_e164")?.as_deref().and_then(E164::from_canonical),
    ) else {
        return Ok(None);
    };
    Ok(Some(Pending {
        id: r.try_get("id")?,
        org: OrgId(r.try_get("org_id")?),
        thread: ThreadId(r.try_get("thread_id")?),
        from,
        to,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        sitter: if r.try_get::<String, _>("sender_kind")? == "sitter" {
            r.try_get::<Option<i64>, _>("sender_sitter_id")?.map(crate::domain::ids::SitterId)
        } else {
            None
        },
        due: from_ms(r.try_get::<Option<i64>, _>("scheduled_for")?.unwrap_or(r.try_get("created_at")?)),
    }))
}

async fn load_breaker(c: &mut sqlx::AnyConnection, org: OrgId) -> Result<Breaker, sqlx::Error> {
    let row = sqlx::query(
        "SELECT consecutive_failures, opened_until, probe_started_at FROM provider_breaker WHERE org_id = $1",
    )
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match row {
        Some(r) => Breaker {
            failures: r.try_get::<i64, _>("consecutive_failures")?.clamp(0, u32::MAX as i64) as u32,
            open_until: r.try_get::<Option<i64>, _>("opened_until")?.map(from_ms),
            probe_started: r.try_get::<Option<i64>, _>("probe_started_at")?.map(from_ms),
        },
        None => Breaker::default(),
    })
}

/// Whether this send may go now: `Ok(probing)`, or `Err(until)` to wait.
/// Half-open, exactly one send claims the probe (one UPDATE decides).
pub(crate) async fn pass_gate(
    state: &AppState,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<Result<bool, DateTime<Utc>>, sqlx::Error> {
    // Read without the writer (one connection on SQLite): only claiming
    // the probe below writes, and that UPDATE decides under contention.
    let b = {
        let mut c = state.db.read.acquire().await?;
        load_breaker(&mut c, org).await?
    };
    Ok(match breaker::gate(&b, now) {
        Gate::Closed => Ok(false),
        Gate::Open(until) | Gate::ProbeOut(until) => Err(until),
        Gate::MayProbe => {
            let claimed = sqlx::query(
                "UPDATE provider_breaker SET probe_started_at = $1
                 WHERE org_id = $2 AND opened_until IS NOT NULL AND opened_until <= $1
                   AND (probe_started_at IS NULL OR probe_started_at < $3)
                 RETURNING org_id",
            )
            .bind(ms(now))
            .bind(org.0)
            .bind(ms(now - Duration::seconds(breaker::PROBE_LEASE_SECONDS)))
            .fetch_optional(&state.db.write)
            .await?;
            if claimed.is_some() {
                Ok(true)
            } else {
                Err(now + Duration::seconds(breaker::PROBE_WAIT_SECONDS))
            }
        }
    })
}

/// Counts a transient failure and decides what becomes of the text: retry,
/// give up, or wait behind the (now) open breaker without using an attempt.
pub(crate) async fn breaker_failure(
    state: &AppState,
    org: OrgId,
    err: &str,
    now: DateTime<Utc>,
    failure: breaker::Failure,
) -> Result<AfterFailure, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let ctx = store::org_context(&mut tx, org).await?;
    sqlx::query(
        "INSERT INTO provider_breaker (org_id, consecutive_failures, last_failure_at, last_error) VALUES ($1, 1, $2, $3)
         ON CONFLICT (org_id) DO UPDATE SET consecutive_failures = provider_breaker.consecutive_failures + 1,
             last_failure_at = excluded.last_failure_at, last_error = excluded.last_error",
    )
    .bind(org.0)
    .bind(ms(now))
    .bind(err)
    .execute(&mut *tx)
    .await?;
    let b = load_breaker(&mut tx, org).await?;
    let d = &ctx.settings.delivery;
    let (next, what) = breaker::after_failure(
        &b,
        failure,
        d.breaker_threshold,
        Duration::seconds(d.breaker_cooloff_seconds as i64),
        now,
    );
    if next != b {
        sqlx::query("UPDATE provider_breaker SET opened_until = $1, probe_started_at = $2 WHERE org_id = $3")
            .bind(next.open_until.map(ms))
            .bind(next.probe_started.map(ms))
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
    }
    match what {
        AfterFailure::Wait { until, opened: true } => {
            alerts::raise(
                &mut tx,
                org,
                Raise {
                    rule: "provider_failing",
                    cause_key: "provider:breaker".into(),
                    severity: Severity::Critical,
                    title: "Texting paused: the provider keeps failing".into(),
                    body: format!(
                        "{} sends failed in a row. Sending is paused until {}, then one text tries the provider; when it gets through, the rest follow. Queued messages are kept.",
                        b.failures,
                        ctx.tz.time(until)
                    ),
                    thread_id: None,
                    number_id: None,
                },
                now,
            )
            .await?;
            audit::append(
                &mut tx,
                org,
                &Actor::system(None),
                Event::new(
                    "provider.breaker_opened",
                    "organisation",
                    org,
                    format!("Sending paused after {} provider failures", b.failures),
                )
                .payload(serde_json::json!({ "until": ms(until), "last_error": err })),
            )
            .await?;
        }
        AfterFailure::Wait { until, opened: false } if failure.probing => {
            audit::append(
                &mut tx,
                org,
                &Actor::system(None),
                Event::new(
                    "provider.breaker_probe_failed",
                    "organisation",
                    org,
                    "The provider still fails; sending stays paused",
                )
                .payload(serde_json::json!({ "until": ms(until), "last_error": err })),
            )
            .await?;
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(what)
}

/// The provider answered: the breaker closes (announced if it was open).
pub(crate) async fn breaker_success(state: &AppState, org: OrgId) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let was = load_breaker(&mut tx, org).await?;
    if was != breaker::after_answer() {
        sqlx::query(
            "UPDATE provider_breaker SET consecutive_failures = 0, opened_until = NULL, probe_started_at = NULL WHERE org_id = $1",
        )
        .bind(org.0)
        .execute(&mut *tx)
        .await?;
        if was.open_until.is_some() {
            audit::append(
                &mut tx,
                org,
                &Actor::system(None),
                Event::new(
                    "provider.breaker_closed",
                    "organisation",
                    org,
                    "Sending resumed: the provider answered again",
                ),
            )
            .await?;
        }
    }
    tx.commit().await?;
    if was.open_until.is_some() {
        // The texts that waited behind it go now, not at their next look.
        state.wake_worker();
    }
    Ok(())
}

/// The wait before retry number `attempt` (1-based): the base, doubling.
pub fn backoff(base_seconds: u32, attempt: i64) -> std::time::Duration {
    let factor = 1u64 << (attempt.clamp(1, 10) - 1);
    std::time::Duration::from_secs(base_seconds as u64 * factor)
}

/// Runs one "send" job.
pub async fn run_send(state: &AppState, job: &Job) -> Outcome {
    match run_send_inner(state, job).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry { error: format!("database: {e}"), after: std::time::Duration::from_secs(5) },
    }
}

async fn run_send_inner(state: &AppState, job: &Job) -> Result<Outcome, sqlx::Error> {
    let Some(id) = job.payload.get("message_id").and_then(|v| v.as_i64()) else {
        return Ok(Outcome::Fail { error: "send job without a message id".into() });
    };
    let Some(m) = load(state, id).await? else { return Ok(Outcome::Fail { error: format!("message {id} not found") }) };
    if m.status != "queued" {
        return Ok(Outcome::Done);
    }
    let now = Utc::now();
    let probing = match pass_gate(state, m.org, now).await? {
        Ok(probing) => probing,
        Err(until) => return Ok(Outcome::Defer { until }),
    };
    let ctx = {
        let mut c = state.db.read.acquire().await?;
        store::org_context(&mut c, m.org).await?
    };
    let p = match provider::for_org(state, m.org, ctx.settings.delivery.timeout_seconds as u64).await {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Fail { error: e.to_string() }),
    };
    let message_ref = format!("msg-{}", m.id);
    // A previous attempt that never finished: a crash mid-send. Ask first.
    let in_doubt: Option<(i64, i64)> = sqlx::query(
        "SELECT id, started_at FROM delivery_attempts WHERE message_id = $1 AND finished_at IS NULL ORDER BY attempt DESC LIMIT 1",
    )
    .bind(m.id)
    .fetch_optional(&state.db.write)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("started_at")?)))
    .transpose()?;
    if let Some((attempt_id, started)) = in_doubt {
        if let Ok(Some(sid)) = p.find_sent(&m.from, &m.to, &m.body, from_ms(started), &message_ref).await {
            accepted(state, &m, attempt_id, &sid, now, true).await?;
            return Ok(Outcome::Done);
        }
        sqlx::query("UPDATE delivery_attempts SET finished_at = $1, outcome = 'abandoned' WHERE id = $2")
            .bind(ms(now))
            .bind(attempt_id)
            .execute(&state.db.write)
            .await?;
    }
    // The rules hold when the text leaves, not only when it was written:
    // a STOP, a number leaving service or a window ending meanwhile wins.
    if let Some(skip) = recheck(state, &m, &ctx, now).await? {
        skipped(state, &m, &skip, now).await?;
        if probing {
            // This text was to test the provider; the next one will.
            sqlx::query("UPDATE provider_breaker SET probe_started_at = NULL WHERE org_id = $1")
                .bind(m.org.0)
                .execute(&state.db.write)
                .await?;
            state.wake_worker();
        }
        return Ok(Outcome::Done);
    }
    let attempt_id: i64 = sqlx::query(
        "INSERT INTO delivery_attempts (message_id, attempt, started_at, outcome) VALUES ($1, $2, $3, 'started') RETURNING id",
    )
    .bind(m.id)
    .bind(job.attempts)
    .bind(ms(now))
    .fetch_one(&state.db.write)
    .await?
    .try_get("id")?;
    let base = {
        let mut c = state.db.read.acquire().await?;
        store::hookup_base_of(&mut c, m.org, &m.from, &state.public_base_url).await?
    };
    let (_, status_url) = provider::webhook_urls(&base);
    match p.send(&m.from, &m.to, &m.body, &status_url, &message_ref).await {
        Ok(sent) => {
            accepted(state, &m, attempt_id, &sent.sid, Utc::now(), false).await?;
            breaker_success(state, m.org).await?;
            Ok(Outcome::Done)
        }
        Err(e) => failed(state, job, &m, attempt_id, &ctx, e, probing).await,
    }
}

/// Re-reads consent, the number and the sender's right to text, now.
async fn recheck(
    state: &AppState,
    m: &Pending,
    ctx: &store::OrgContext,
    now: DateTime<Utc>,
) -> Result<Option<outbound::Skip>, sqlx::Error> {
    let mut c = state.db.read.acquire().await?;
    let number = store::number_by_e164(&mut c, &m.from).await?.filter(|n| n.org == m.org);
    let number_active = number.as_ref().is_some_and(|n| n.status == NumberStatus::Active);
    let opted_out = match &number {
        Some(n) => store::opted_out(&mut c, m.org, &m.to, n.id).await?,
        None => false,
    };
    let (sender, sitter_active, windows) = match m.sitter {
        Some(sitter_id) => {
            let active: Option<i64> = sqlx::query("SELECT active FROM sitters WHERE id = $1 AND org_id = $2")
                .bind(sitter_id.0)
                .bind(m.org.0)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get::<i64, _>("active"))
                .transpose()?;
            let windows = super::send::thread_windows(&mut c, m.thread).await?;
            (Sender::Sitter { sitter_id }, active == Some(1), windows)
        }
        None => (Sender::Owner, true, Vec::new()),
    };
    Ok(outbound::recheck(&outbound::AtSend {
        sender,
        at: now,
        number_active,
        opted_out,
        sitter_active,
        windows: &windows,
        tz: ctx.tz,
    }))
}

/// Records a text that was not sent because a rule changed while it waited:
/// the message says why, the thread gets a note, the audit trail the event.
async fn skipped(state: &AppState, m: &Pending, skip: &outbound::Skip, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let r = sqlx::query(
        "UPDATE messages SET status = 'failed', error_code = $1, error_message = $2, failed_at = $3, failure_resolved_at = $3
         WHERE id = $4 AND status = 'queued'",
    )
    .bind(skip.code())
    .bind(skip.sentence())
    .bind(ms(now))
    .bind(m.id)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() > 0 {
        let preview: String = m.body.chars().take(60).collect();
        store::note(
            &mut tx,
            m.org,
            m.thread,
            &format!("A queued text (\"{preview}\") was not sent. {}", skip.sentence()),
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            m.org,
            &Actor::system(None),
            Event::new("message.skipped", "message", m.id, format!("Queued text to {} not sent", m.to.display()))
                .thread(m.thread.0)
                .message(m.id)
                .payload(serde_json::json!({ "reason": skip.code() })),
        )
        .await?;
    }
    tx.commit().await?;
    publish(state, m, "message.status");
    Ok(())
}

async fn accepted(
    state: &AppState,
    m: &Pending,
    attempt_id: i64,
    sid: &str,
    now: DateTime<Utc>,
    recovered: bool,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE delivery_attempts SET finished_at = $1, outcome = $2, provider_sid = $3 WHERE id = $4")
        .bind(ms(now))
        .bind(if recovered { "accepted_after_restart" } else { "accepted" })
        .bind(sid)
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE messages SET status = 'sent', provider_sid = $1, sent_at = $2 WHERE id = $3 AND status = 'queued'",
    )
    .bind(sid)
    .bind(ms(now))
    .bind(m.id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        m.org,
        &Actor::system(None),
        Event::new("message.sent", "message", m.id, format!("Text handed to the provider from {}", m.from.display()))
            .thread(m.thread.0)
            .message(m.id)
            .webhook(sid)
            .payload(serde_json::json!({ "provider_sid": sid, "recovered_after_restart": recovered })),
    )
    .await?;
    tx.commit().await?;
    // Callbacks that raced ahead of us were kept; apply them now.
    status::apply_pending(state, sid).await?;
    publish(state, m, "message.status");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn failed(
    state: &AppState,
    job: &Job,
    m: &Pending,
    attempt_id: i64,
    ctx: &store::OrgContext,
    e: ProviderError,
    probing: bool,
) -> Result<Outcome, sqlx::Error> {
    let now = Utc::now();
    if e.http_status.is_some() || e.code.is_some() {
        sqlx::query("UPDATE delivery_attempts SET finished_at = $1, outcome = $2, error_code = $3, error_message = $4 WHERE id = $5")
            .bind(ms(now))
            .bind(if e.transient { "error" } else { "rejected" })
            .bind(e.code.as_deref())
            .bind(&e.message)
            .bind(attempt_id)
            .execute(&state.db.write)
            .await?;
    } else {
        // No answer (a timeout, a dropped connection): the text may have
        // gone out. The attempt stays open, so the next try asks the
        // provider first, as after a crash, instead of sending it twice.
        sqlx::query("UPDATE delivery_attempts SET error_message = $1 WHERE id = $2")
            .bind(&e.message)
            .bind(attempt_id)
            .execute(&state.db.write)
            .await?;
    }
    let code = e.code.clone().unwrap_or_default();
    if !e.transient {
        // The provider answered (it refused this text for a reason of its own).
        breaker_success(state, m.org).await?;
    }
    if code == "21610" {
        // The person opted out: record it as such, not as a delivery failure.
        let mut tx = state.db.begin().await?;
        if let Some(n) = store::number_by_e164(&mut tx, &m.from).await? {
            store::set_opt_out(&mut tx, m.org, &m.to, n.id, true, "provider_21610", now).await?;
        }
        sqlx::query("UPDATE messages SET status = 'failed', error_code = '21610', error_message = $1, failed_at = $2 WHERE id = $3")
            .bind(provider_errors::explain(Some("21610")).sentence())
            .bind(ms(now))
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            m.org,
            &Actor::system(None),
            Event::new(
                "client.opted_out",
                "message",
                m.id,
                format!("{} has opted out (provider code 21610)", m.to.display()),
            )
            .thread(m.thread.0)
            .message(m.id),
        )
        .await?;
        tx.commit().await?;
        publish(state, m, "message.status");
        return Ok(Outcome::Done);
    }
    if !e.transient {
        mark_failed(state, m, e.code.as_deref(), &e.explain(), now).await?;
        return Ok(Outcome::Done);
    }
    let failure = breaker::Failure {
        probing,
        attempt: job.attempts.clamp(0, u32::MAX as i64) as u32,
        max_attempts: job.max_attempts.clamp(0, u32::MAX as i64) as u32,
        waited: now - m.due,
    };
    match breaker_failure(state, m.org, &e.message, now, failure).await? {
        AfterFailure::Retry => Ok(Outcome::Retry {
            error: e.message.clone(),
            after: backoff(ctx.settings.delivery.backoff_seconds, job.attempts),
        }),
        // Behind a probe's successor, so the next probe is another text.
        AfterFailure::Wait { until, .. } => Ok(Outcome::Defer { until: until + Duration::seconds(1) }),
        AfterFailure::GiveUp => {
            let why = if failure.waited > breaker::max_wait() {
                format!("We couldn't reach the texting provider for a day, so this text wasn't sent. {}", e.explain())
            } else {
                format!("We couldn't reach the texting provider after {} attempts. {}", job.attempts, e.explain())
            };
            mark_failed(state, m, e.code.as_deref(), &why, now).await?;
            Ok(Outcome::Fail { error: format!("provider kept failing: {}", e.message) })
        }
    }
}

async fn mark_failed(
    state: &AppState,
    m: &Pending,
    code: Option<&str>,
    sentence: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let r = sqlx::query("UPDATE messages SET status = 'failed', error_code = $1, error_message = $2, failed_at = $3 WHERE id = $4 AND status = 'queued'")
        .bind(code)
        .bind(sentence)
        .bind(ms(now))
        .bind(m.id)
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() > 0 {
        sqlx::query("UPDATE threads SET failed_deliveries = failed_deliveries + 1 WHERE id = $1")
            .bind(m.thread.0)
            .execute(&mut *tx)
            .await?;
        store::note(&mut tx, m.org, m.thread, &format!("A text to the client failed: {sentence}"), now).await?;
        audit::append(
            &mut tx,
            m.org,
            &Actor::system(None),
            Event::new("message.failed", "message", m.id, format!("Text to {} failed", m.to.display()))
                .thread(m.thread.0)
                .message(m.id)
                .payload(serde_json::json!({ "error_code": code, "reason": sentence })),
        )
        .await?;
    }
    tx.commit().await?;
    publish(state, m, "message.status");
    Ok(())
}

fn publish(state: &AppState, m: &Pending, kind: &str) {
    state.publish(crate::platform::state::LiveEvent {
        org_id: m.org.0,
        thread_id: Some(m.thread.0),
        owner_only: false,
        kind: kind.into(),
        data: serde_json::json!({ "thread_id": m.thread.0, "message_id": MessageId(m.id).0 }),
    });
}

/// Sends a failed message again: the same row goes back to the queue with
/// a fresh job; its earlier attempts stay in the history.
pub async fn retry(state: &AppState, org: OrgId, id: MessageId, actor: &Actor) -> crate::error::AppResult<()> {
    use crate::error::AppError;
    let mut tx = state.db.begin().await?;
    let r = sqlx::query("SELECT thread_id, status, error_code, from_e164, to_e164, failure_resolved_at FROM messages WHERE id = $1 AND org_id = $2 AND direction = 'outbound'")
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That message doesn't exist.".into()))?;
    let status: String = r.try_get("status")?;
    if !matches!(status.as_str(), "failed" | "undelivered") {
        return Err(AppError::Conflict("Only a message that failed can be retried.".into()));
    }
    if r.try_get::<Option<String>, _>("error_code")?.as_deref() == Some("21610") {
        return Err(AppError::Conflict(
            "This client opted out; retrying won't reach them. They can text START to opt back in.".into(),
        ));
    }
    if r.try_get::<Option<String>, _>("error_code")?.as_deref().is_some_and(outbound::Skip::is_code) {
        return Err(AppError::Conflict(
            "This text was stopped by a rule when its turn came (see the note under it); write a new one instead."
                .into(),
        ));
    }
    let thread = ThreadId(r.try_get("thread_id")?);
    if let (Some(from), Some(to)) = (
        r.try_get::<Option<String>, _>("from_e164")?.as_deref().and_then(E164::from_canonical),
        r.try_get::<Option<String>, _>("to_e164")?.as_deref().and_then(E164::from_canonical),
    ) {
        match store::number_by_e164(&mut tx, &from).await? {
            Some(n) if n.status == crate::domain::numbers::NumberStatus::Active => {
                if store::opted_out(&mut tx, org, &to, n.id).await? {
                    return Err(AppError::Conflict(crate::domain::outbound::Refusal::OptedOut.message()));
                }
            }
            _ => {
                return Err(AppError::Conflict(format!(
                    "{} is out of service, so this message can't be sent from it again.",
                    from.display()
                )))
            }
        }
    }
    let ctx = store::org_context(&mut tx, org).await?;
    let attempts: i64 = sqlx::query("SELECT COUNT(*) AS n FROM delivery_attempts WHERE message_id = $1")
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    // A failure already marked resolved no longer counts on the thread.
    let resolved = r.try_get::<Option<i64>, _>("failure_resolved_at")?.is_some();
    sqlx::query("UPDATE messages SET status = 'queued', error_code = NULL, error_message = NULL, failed_at = NULL, provider_sid = NULL,
            failure_resolved_at = NULL, failure_resolved_by = NULL, failure_note = NULL WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if !resolved {
        sqlx::query("UPDATE threads SET failed_deliveries = CASE WHEN failed_deliveries > 0 THEN failed_deliveries - 1 ELSE 0 END WHERE id = $1")
            .bind(thread.0)
            .execute(&mut *tx)
            .await?;
    }
    crate::platform::jobs::enqueue(
        &mut tx,
        crate::platform::jobs::NewJob::now(Some(org), "send", serde_json::json!({ "message_id": id.0 }))
            .attempts(ctx.settings.delivery.max_attempts as i64)
            .dedupe(format!("send:{}:retry{attempts}", id.0)),
    )
    .await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("message.retried", "message", id.0, format!("{} retried a failed text", actor.name))
            .thread(thread.0)
            .message(id.0)
            .payload(serde_json::json!({ "previous_status": status, "attempts_so_far": attempts })),
    )
    .await?;
    tx.commit().await?;
    state.publish(crate::platform::state::LiveEvent {
        org_id: org.0,
        thread_id: Some(thread.0),
        owner_only: false,
        kind: "message.status".into(),
        data: serde_json::json!({ "thread_id": thread.0 }),
    });
    state.wake_worker();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_each_attempt() {
        assert_eq!(super::backoff(30, 1).as_secs(), 30);
        assert_eq!(super::backoff(30, 2).as_secs(), 60);
        assert_eq!(super::backoff(30, 3).as_secs(), 120);
    }
}
