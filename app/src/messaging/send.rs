//! The one send function (SPEC §3.2), used by the inbox, automations and
//! the system itself. The from-number is always the thread's number; the
//! role rules, policy and opt-out are checked here, on the server. The
//! message row and its delivery job are written in one transaction; the
//! provider is called later by the job.

use super::store::{self, OrgContext};
use crate::alerts::service::{self as alerts, Raise};
use crate::domain::alerts::Severity;
use crate::domain::ids::{MessageId, OrgId, ThreadId};
use crate::domain::outbound::{self, OutboundCheck, Refusal, Sender, Verdict};
use crate::domain::phone::E164;
use crate::domain::policy::{self, Hit, ViolationOutcome, ViolationStatus};
use crate::domain::windows::Window;
use crate::domain::{automation, sms};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{self, NewJob};
use crate::platform::{from_ms, ms, Tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

pub struct SendRequest {
    pub org: OrgId,
    pub thread: ThreadId,
    pub body: String,
    pub sender: Sender,
    /// Who pressed send (for the audit trail).
    pub actor: Actor,
    /// The owner saw the policy warning and chose "send anyway".
    pub confirmed: bool,
    pub automation_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SendOutcome {
    Queued {
        message_id: MessageId,
        scheduled_for: Option<DateTime<Utc>>,
    },
    /// Owner only: the text looks like contact sharing; ask before sending.
    NeedsConfirmation {
        hits: Vec<Hit>,
        redacted: String,
    },
    /// Not sent. `message_id` is set when a blocked or held message was kept.
    Refused {
        reason: String,
        message_id: Option<MessageId>,
        violation_id: Option<i64>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("That conversation doesn't exist.")]
    NoThread,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

struct ThreadInfo {
    number: store::NumberRow,
    client_id: i64,
    to: E164,
}

/// The thread's number and client, and who the text goes to: `to` when the
/// caller chose one of the client's numbers (starting a conversation), else
/// whoever last texted the thread, else the client's first number.
async fn thread_info(
    c: &mut AnyConnection,
    org: OrgId,
    thread: ThreadId,
    to: Option<&E164>,
) -> Result<Option<ThreadInfo>, SendError> {
    let Some(r) = sqlx::query("SELECT number_id, client_id FROM threads WHERE id = $1 AND org_id = $2")
        .bind(thread.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(None);
    };
    let Some(number) = store::number_by_id(c, crate::domain::ids::NumberId(r.try_get("number_id")?)).await? else {
        return Ok(None);
    };
    let client_id: i64 = r.try_get("client_id")?;
    if let Some(to) = to {
        return Ok(Some(ThreadInfo { number, client_id, to: to.clone() }));
    }
    // Reply to whoever last texted this thread; else the client's first contact.
    let last: Option<String> = sqlx::query(
        "SELECT from_e164 FROM messages WHERE thread_id = $1 AND direction = 'inbound' AND from_e164 IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(thread.0)
    .fetch_optional(&mut *c)
    .await?
    .map(|r| r.try_get("from_e164"))
    .transpose()?;
    let to = match last.as_deref().and_then(E164::from_canonical) {
        Some(e) => e,
        None => match store::client_contacts(c, crate::domain::ids::ClientId(client_id)).await?.into_iter().next() {
            Some(e) => e,
            None => return Ok(None),
        },
    };
    Ok(Some(ThreadInfo { number, client_id, to }))
}

pub(crate) async fn thread_windows(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<Window>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT w.id, w.sitter_id, s.first_name, w.starts_at, w.ends_at FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id
         WHERE w.thread_id = $1 AND w.deleted_at IS NULL ORDER BY w.starts_at",
    )
    .bind(thread.0)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Window {
                id: crate::domain::ids::WindowId(r.try_get("id")?),
                sitter_id: crate::domain::ids::SitterId(r.try_get("sitter_id")?),
                sitter_name: r.try_get("first_name")?,
                starts_at: from_ms(r.try_get("starts_at")?),
                ends_at: from_ms(r.try_get("ends_at")?),
            })
        })
        .collect()
}

/// Policy hits of an outgoing text, checked with the sender's recent ones.
pub async fn policy_hits(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    thread: ThreadId,
    sender: Sender,
    body: &str,
) -> Result<Vec<Hit>, sqlx::Error> {
    let previous = store::previous_bodies(c, thread, sender, ctx.settings.policy.recent_messages).await?;
    let prev: Vec<&str> = previous.iter().map(String::as_str).collect();
    let allow = store::policy_allowlist(c, ctx).await?;
    // Detection failure fails open (SPEC §3.5): a panic is logged, the message goes.
    let hits = std::panic::catch_unwind(|| policy::check_conversation(&prev, body, &allow));
    Ok(hits.unwrap_or_else(|_| {
        tracing::error!("policy detector failed; sending without a check");
        Vec::new()
    }))
}

fn sender_kind(s: Sender) -> &'static str {
    match s {
        Sender::Owner => "owner",
        Sender::Sitter { .. } => "sitter",
        Sender::Automation => "automation",
        Sender::System => "system",
    }
}

/// Sends within the caller's transaction.
pub async fn send_in(tx: &mut Tx, req: &SendRequest, now: DateTime<Utc>) -> Result<SendOutcome, SendError> {
    send_in_at(tx, req, now, None).await
}

/// Sends within the caller's transaction, not before `not_before` (a text
/// the caller holds for quiet hours). Automations wait out quiet hours here.
pub async fn send_in_at(
    tx: &mut Tx,
    req: &SendRequest,
    now: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
) -> Result<SendOutcome, SendError> {
    send_in_to(tx, req, None, now, not_before).await
}

/// As [`send_in_at`], to the client's number `to` (one of theirs, checked
/// by the caller) instead of the one that last texted the thread.
pub async fn send_in_to(
    tx: &mut Tx,
    req: &SendRequest,
    to: Option<&E164>,
    now: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
) -> Result<SendOutcome, SendError> {
    let ctx = store::org_context(tx, req.org).await?;
    let Some(info) = thread_info(tx, req.org, req.thread, to).await? else { return Err(SendError::NoThread) };
    if info.number.status != crate::domain::numbers::NumberStatus::Active {
        return Ok(SendOutcome::Refused {
            reason: format!(
                "{} is out of service, so this conversation can't send from it. Its conversations were moved; reopen the client's current conversation.",
                info.number.e164.display()
            ),
            message_id: None,
            violation_id: None,
        });
    }
    let opted_out = store::opted_out(tx, req.org, &info.to, info.number.id).await?;
    let windows = thread_windows(tx, req.thread).await?;
    let hits = if req.body.trim().is_empty() {
        Vec::new()
    } else {
        policy_hits(tx, &ctx, req.thread, req.sender, &req.body).await?
    };
    let verdict = outbound::check(&OutboundCheck {
        sender: req.sender,
        body: &req.body,
        at: now,
        ready: ctx.ready,
        opted_out,
        windows: &windows,
        hits: &hits,
        settings: &ctx.settings.policy,
        owner_confirmed: req.confirmed,
        tz: ctx.tz,
    });
    match verdict {
        Verdict::NeedsConfirmation { hits } => {
            let redacted = policy::redact(&req.body, &hits);
            Ok(SendOutcome::NeedsConfirmation { hits, redacted })
        }
        Verdict::Refused(r @ (Refusal::PolicyBlocked { .. } | Refusal::PolicyHeld { .. })) => {
            Ok(refuse_for_policy(tx, req, &info, r, now).await?)
        }
        Verdict::Refused(r) => Ok(SendOutcome::Refused { reason: r.message(), message_id: None, violation_id: None }),
        Verdict::Send { policy_overridden, logged_hits } => {
            Ok(queue(tx, req, &info, &ctx, &hits, policy_overridden, &logged_hits, not_before, now).await?)
        }
    }
}

/// A text the policy blocked or held: stored (never sent) with its
/// violation, a note, an alert and the audit event.
async fn refuse_for_policy(
    tx: &mut Tx,
    req: &SendRequest,
    info: &ThreadInfo,
    r: Refusal,
    now: DateTime<Utc>,
) -> Result<SendOutcome, sqlx::Error> {
    let (status, outcome, hits) = match &r {
        Refusal::PolicyBlocked { hits } => ("blocked", ViolationOutcome::Blocked, hits.clone()),
        Refusal::PolicyHeld { hits } => ("held", ViolationOutcome::Held, hits.clone()),
        _ => unreachable!("matched above"),
    };
    let message_id = insert_message(tx, req, info, status, None, &hits, now).await?;
    let violation_id = record_violation(tx, req, Some(message_id), &hits, outcome, ViolationStatus::Open, now).await?;
    let reason = r.message();
    store::note(
        tx,
        req.org,
        req.thread,
        &format!("A message from {} was {status}: {}", req.actor.name, outbound::describe_hits(&hits)),
        now,
    )
    .await?;
    let redacted = policy::redact(&req.body, &hits);
    alerts::raise(
        tx,
        req.org,
        Raise {
            rule: "policy_violation",
            cause_key: format!("policy:{violation_id}"),
            severity: Severity::Warning,
            title: format!("{} tried to share {}", req.actor.name, outbound::describe_hits(&hits)),
            body: format!("\"{redacted}\" was {status}. Review it in Audit → Violations."),
            thread_id: Some(req.thread.0),
            number_id: Some(info.number.id.0),
        },
        now,
    )
    .await?;
    audit::append(
        tx,
        req.org,
        &req.actor,
        Event::new(
            if status == "blocked" { "policy.blocked" } else { "policy.held" },
            "message",
            message_id,
            format!("Message from {} {status}: {}", req.actor.name, outbound::describe_hits(&hits)),
        )
        .thread(req.thread.0)
        .message(message_id)
        .payload(serde_json::json!({ "violation_id": violation_id, "redacted": redacted, "kinds": hits.iter().map(|h| h.kind.as_str()).collect::<Vec<_>>() })),
    )
    .await?;
    Ok(SendOutcome::Refused { reason, message_id: Some(MessageId(message_id)), violation_id: Some(violation_id) })
}

/// A text that may go: stored as queued (held for quiet hours when an
/// automation sends it, or until `not_before`), its delivery job queued,
/// the thread and number touched, and its audit event.
#[allow(clippy::too_many_arguments)]
async fn queue(
    tx: &mut Tx,
    req: &SendRequest,
    info: &ThreadInfo,
    ctx: &OrgContext,
    hits: &[Hit],
    policy_overridden: bool,
    logged_hits: &[Hit],
    not_before: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<SendOutcome, sqlx::Error> {
    let automated = matches!(req.sender, Sender::Automation);
    let scheduled = if automated {
        automation::defer_until(now, ctx.tz, ctx.settings.quiet_hours)
    } else {
        not_before.filter(|t| *t > now)
    };
    let message_id = insert_message(tx, req, info, "queued", scheduled, hits, now).await?;
    if policy_overridden {
        let vid = record_violation(
            tx,
            req,
            Some(message_id),
            hits,
            ViolationOutcome::OwnerOverride,
            ViolationStatus::Approved,
            now,
        )
        .await?;
        audit::append(
            tx,
            req.org,
            &req.actor,
            Event::new(
                "policy.overridden",
                "message",
                message_id,
                format!("{} sent a flagged message anyway", req.actor.name),
            )
            .thread(req.thread.0)
            .message(message_id)
            .payload(serde_json::json!({ "violation_id": vid, "redacted": policy::redact(&req.body, hits) })),
        )
        .await?;
    }
    if !logged_hits.is_empty() {
        record_violation(tx, req, Some(message_id), logged_hits, ViolationOutcome::Logged, ViolationStatus::Open, now)
            .await?;
    }
    jobs::enqueue(
        tx,
        NewJob::now(Some(req.org), "send", serde_json::json!({ "message_id": message_id }))
            .at(scheduled.unwrap_or(now))
            .attempts(ctx.settings.delivery.max_attempts as i64)
            .dedupe(format!("send:{message_id}")),
    )
    .await?;
    let human = matches!(req.sender, Sender::Owner | Sender::Sitter { .. });
    sqlx::query(
        "UPDATE threads SET last_message_at = $1, last_message_preview = $2,
            awaiting_reply_since = CASE WHEN $3 = 1 THEN NULL ELSE awaiting_reply_since END
         WHERE id = $4",
    )
    .bind(ms(now))
    .bind(req.body.chars().take(120).collect::<String>())
    .bind(i64::from(human))
    .bind(req.thread.0)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(info.number.id.0)
        .execute(&mut **tx)
        .await?;
    // Whoever answers has read the thread; nobody else's unread changes.
    if let (true, Some(user), false) = (human, req.actor.id, req.actor.kind == crate::domain::roles::ActorKind::ApiKey)
    {
        super::store::mark_read_by(tx, req.thread, user, true, now).await?;
    }
    let summary = match scheduled {
        Some(t) => format!(
            "{} queued a text to {} for {} (quiet hours)",
            req.actor.name,
            info.to.display(),
            ctx.tz.date_time(t)
        ),
        None => format!("{} queued a text from {}", req.actor.name, info.number.e164.display()),
    };
    audit::append(
        tx,
        req.org,
        &req.actor,
        Event::new("message.queued", "message", message_id, summary)
            .thread(req.thread.0)
            .message(message_id)
            .number(info.number.id.0)
            .payload(serde_json::json!({ "client_id": info.client_id, "segments": sms::analyze(&req.body).segments, "scheduled_for": scheduled.map(ms) })),
    )
    .await?;
    Ok(SendOutcome::Queued { message_id: MessageId(message_id), scheduled_for: scheduled })
}

#[allow(clippy::too_many_arguments)]
async fn insert_message(
    tx: &mut Tx,
    req: &SendRequest,
    info: &ThreadInfo,
    status: &str,
    scheduled: Option<DateTime<Utc>>,
    hits: &[Hit],
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sms = sms::analyze(&req.body);
    // What sitters may read of it: its policy hits hidden (an owner's
    // "send anyway" included), decided once here.
    let spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    let (sitter_spans, sitter_body) = super::redaction::columns(&req.body, &spans);
    let via_api = req.actor.kind == crate::domain::roles::ActorKind::ApiKey;
    let (user, sitter) = match req.sender {
        Sender::Sitter { sitter_id } => (req.actor.id, Some(sitter_id.0)),
        Sender::Owner if via_api => (None, None),
        Sender::Owner => (req.actor.id, None),
        _ => (None, None),
    };
    sqlx::query(
        "INSERT INTO messages (org_id, thread_id, direction, sender_kind, sender_user_id, sender_sitter_id, automation_id, from_e164, to_e164, body, status,
            segments, encoding, policy_override, scheduled_for, created_at, sitter_spans, sitter_body)
         VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(req.org.0)
    .bind(req.thread.0)
    .bind(if via_api { "api" } else { sender_kind(req.sender) })
    .bind(user)
    .bind(sitter)
    .bind(req.automation_id)
    .bind(info.number.e164.as_str())
    .bind(info.to.as_str())
    .bind(&req.body)
    .bind(status)
    .bind(sms.segments as i64)
    .bind(match sms.encoding {
        sms::Encoding::Gsm7 => "gsm7",
        sms::Encoding::Ucs2 => "ucs2",
    })
    .bind(i16::from(req.confirmed && status == "queued"))
    .bind(scheduled.map(ms))
    .bind(ms(now))
    .bind(sitter_spans)
    .bind(sitter_body)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")
}

#[allow(clippy::too_many_arguments)]
async fn record_violation(
    tx: &mut Tx,
    req: &SendRequest,
    message_id: Option<i64>,
    hits: &[Hit],
    outcome: ViolationOutcome,
    status: ViolationStatus,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let sitter_id = match req.sender {
        Sender::Sitter { sitter_id } => Some(sitter_id.0),
        _ => None,
    };
    let v = crate::policy::store::NewViolation {
        org: req.org,
        thread: req.thread,
        message_id,
        direction: crate::domain::routing::Direction::Outbound,
        actor_kind: sender_kind(req.sender),
        sitter_id,
        user_id: req.actor.id,
        body: &req.body,
        hits,
        outcome,
        status,
        at: now,
    };
    crate::policy::store::insert_violation(tx, &v).await
}

/// Sends in its own transaction.
pub async fn send(state: &crate::platform::AppState, req: SendRequest) -> Result<SendOutcome, SendError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let out = send_in(&mut tx, &req, now).await?;
    tx.commit().await?;
    if let SendOutcome::Queued { message_id, .. } | SendOutcome::Refused { message_id: Some(message_id), .. } = &out {
        state.publish(crate::platform::state::LiveEvent {
            org_id: req.org.0,
            thread_id: Some(req.thread.0),
            owner_only: false,
            kind: "message.new".into(),
            data: serde_json::json!({ "thread_id": req.thread.0, "message_id": message_id.0 }),
        });
        state.wake_worker();
    }
    Ok(out)
}
