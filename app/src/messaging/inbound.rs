//! An incoming text (SPEC §3.1, §5): find or create the client and the
//! thread, decide who owns it with the domain's `decide`, and store the
//! message, the decision with its snapshot, keyword and policy effects and
//! the audit events in one transaction, before the webhook is answered.
//! Idempotent on the provider's MessageSid through a unique index: a
//! retried webhook finds its row already there and changes nothing.

use super::redaction;
use super::send::{self, SendOutcome, SendRequest};
use super::store::{self, NumberRow};
use crate::alerts::service::{self as alerts, Raise};
use crate::domain::alerts::Severity;
use crate::domain::ids::{ClientId, MessageId, OrgId, ThreadId};
use crate::domain::keywords::{self, Keyword};
use crate::domain::numbers::NumberClass;
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::policy;
use crate::domain::roles::ActorKind;
use crate::domain::routing::{decide, Decision, Direction, Target};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{self, NewJob};
use crate::platform::{ms, AppState};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

#[derive(Clone, Debug)]
pub struct InboundSms {
    pub message_sid: String,
    pub from: E164,
    pub to: E164,
    pub body: String,
    /// (URL, declared content type) per attachment.
    pub media: Vec<(String, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Received {
    /// This MessageSid was stored before: acknowledged, nothing changed.
    Duplicate,
    Stored {
        message_id: MessageId,
        thread: ThreadId,
        decision: Box<Decision>,
        thread_created: bool,
    },
}

/// One stored incoming text, as the steps after the insert see it.
struct Arrival<'a> {
    org: OrgId,
    number: &'a NumberRow,
    sms: &'a InboundSms,
    client: ClientId,
    thread: ThreadId,
    message_id: i64,
    now: DateTime<Utc>,
    client_actor: Actor,
    system: Actor,
}

/// Stores and routes one incoming text to `number` (already resolved).
pub async fn receive(
    state: &AppState,
    number: &NumberRow,
    sms: InboundSms,
    request_id: Option<String>,
) -> Result<Received, sqlx::Error> {
    let now = Utc::now();
    let org = number.org;
    let mut tx = state.db.begin().await?;
    let ctx = store::org_context(&mut tx, org).await?;
    let (client, client_created) = store::find_or_create_client(&mut tx, org, &sms.from, now).await?;
    let (thread, thread_created, routing_thread) = thread_for(&mut tx, number, &sms.from, client, now).await?;
    store::add_participant(&mut tx, thread, &sms.from, now).await?;

    // Policy, checked with the sender's last few texts (numbers split over
    // several texts): the hits flag the message; what sitters may read of
    // it (and of the earlier texts it completes) is decided here, once.
    let mut earlier = earlier_texts(&mut tx, thread, &sms.from, ctx.settings.policy.recent_messages).await?;
    let prev: Vec<&str> = earlier.iter().map(|e| e.body.as_str()).collect();
    let allow = store::policy_allowlist(&mut tx, &ctx).await?;
    let check = std::panic::catch_unwind(|| policy::check_thread(&prev, &sms.body, &allow));
    let (sitter_spans, sitter_body) =
        redaction::columns(&sms.body, &redaction::spans_for(&check, &sms.body, true, &allow));
    let check = check.unwrap_or_else(|_| {
        // Detection failure fails open for delivery (SPEC §3.5); sitters see nothing of it.
        tracing::error!("policy detector failed on an incoming text");
        Default::default()
    });

    let Some(message_id) = insert_message(&mut tx, org, thread, &sms, now, &sitter_spans, &sitter_body).await? else {
        // Undo the client/thread we may have created for a duplicate.
        tx.rollback().await?;
        return Ok(Received::Duplicate);
    };
    let a = Arrival {
        org,
        number,
        sms: &sms,
        client,
        thread,
        message_id,
        now,
        client_actor: Actor {
            kind: ActorKind::Client,
            id: Some(client.0),
            name: sms.from.display(),
            request_id: request_id.clone(),
        },
        system: Actor::system(request_id),
    };
    audit_new(&mut tx, &a, client_created, thread_created).await?;
    let keyword = keywords::classify(&sms.body);
    apply_keyword(&mut tx, &a, keyword).await?;

    // Route.
    let opted_out = store::opted_out(&mut tx, org, &sms.from, number.id).await?;
    let snap =
        store::snapshot(&mut tx, &ctx, number, routing_thread, &sms.from, Direction::Inbound, now, opted_out).await?;
    let decision = decide(&snap);
    let decision_id = store::store_decision(&mut tx, org, Some(thread), Some(message_id), &snap, &decision).await?;
    record_route(&mut tx, &a, &decision, decision_id).await?;

    // Policy: inbound hits are delivered but flagged.
    redaction::widen_earlier(&mut tx, &mut earlier, &check).await?;
    let violation_id = match keyword {
        None if !check.hits.is_empty() => Some(flag(&mut tx, &a, &check.hits).await?),
        _ => None,
    };
    touch_thread(&mut tx, &a, decision.target != Target::RecordOnly).await?;
    keep_media(&mut tx, &a, super::provider::is_demo(state, &ctx)).await?;
    audit_received(&mut tx, &a, keyword, violation_id, decision_id, &decision).await?;

    // Automations that listen for a client's text run in the background.
    if !matches!(keyword, Some(Keyword::Stop)) {
        crate::automations::runner::message_received(&mut tx, org, message_id, thread_created).await?;
    }
    auto_reply(&mut tx, &a, &ctx, &decision, keyword, opted_out).await?;
    tx.commit().await?;

    state.publish(crate::platform::state::LiveEvent {
        org_id: org.0,
        thread_id: Some(thread.0),
        owner_only: false,
        kind: "message.new".into(),
        data: serde_json::json!({ "thread_id": thread.0, "message_id": message_id }),
    });
    state.wake_worker();
    Ok(Received::Stored { message_id: MessageId(message_id), thread, decision: Box::new(decision), thread_created })
}

/// Which thread the text belongs to (created if need be), and which thread
/// routing judges: a pool number's current thread, unless the sender isn't
/// in it.
async fn thread_for(
    c: &mut AnyConnection,
    number: &NumberRow,
    from: &E164,
    client: ClientId,
    now: DateTime<Utc>,
) -> Result<(ThreadId, bool, Option<ThreadId>), sqlx::Error> {
    let org = number.org;
    if number.class != NumberClass::Pool {
        let (t, created) = store::find_or_create_thread(c, org, client, number.id, true, "client", now).await?;
        return Ok((t, created, Some(t)));
    }
    let current = store::current_pool_thread(c, number.id).await?;
    if let Some(t) = current {
        if store::participants(c, t).await?.contains(from) {
            return Ok((t, false, Some(t)));
        }
    }
    // Someone else texting a lent-out pool number: their own thread, never
    // the current one (leakage prevention).
    let (t, created) = store::find_or_create_thread(c, org, client, number.id, false, "client", now).await?;
    Ok((t, created, current))
}

/// The sender's last `n` texts in the thread, oldest first.
async fn earlier_texts(
    c: &mut AnyConnection,
    thread: ThreadId,
    from: &E164,
    n: u8,
) -> Result<Vec<redaction::Earlier>, sqlx::Error> {
    sqlx::query(
        "SELECT id, body, sitter_spans FROM messages WHERE thread_id = $1 AND direction = 'inbound' AND from_e164 = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(thread.0)
    .bind(from.as_str())
    .bind(i64::from(n))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .rev()
    .map(|r| {
        Ok(redaction::Earlier {
            id: r.try_get("id")?,
            body: r.try_get("body")?,
            spans: redaction::decode(r.try_get::<Option<String>, _>("sitter_spans")?.as_deref()),
        })
    })
    .collect()
}

/// Inserts the text; `None` when its MessageSid is already stored.
async fn insert_message(
    c: &mut AnyConnection,
    org: OrgId,
    thread: ThreadId,
    sms: &InboundSms,
    now: DateTime<Utc>,
    sitter_spans: &str,
    sitter_body: &Option<String>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (org_id, thread_id, direction, sender_kind, from_e164, to_e164, body, status, provider_sid, num_media, created_at, sitter_spans, sitter_body)
         VALUES ($1, $2, 'inbound', 'client', $3, $4, $5, 'received', $6, $7, $8, $9, $10)
         ON CONFLICT (provider_sid) WHERE provider_sid IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(org.0)
    .bind(thread.0)
    .bind(sms.from.as_str())
    .bind(sms.to.as_str())
    .bind(&sms.body)
    .bind(&sms.message_sid)
    .bind(sms.media.len() as i64)
    .bind(ms(now))
    .bind(sitter_spans)
    .bind(sitter_body)
    .fetch_optional(&mut *c)
    .await?
    .map(|r| r.try_get("id"))
    .transpose()
}

async fn audit_new(
    c: &mut AnyConnection,
    a: &Arrival<'_>,
    client_created: bool,
    thread_created: bool,
) -> Result<(), sqlx::Error> {
    if client_created {
        let summary = format!("New client from {}", a.sms.from.display());
        audit::append(
            c,
            a.org,
            &a.system,
            Event::new("client.created", "client", a.client, summary).thread(a.thread.0),
        )
        .await?;
    }
    if thread_created {
        let summary = format!("Conversation started on {}", a.number.e164.display());
        audit::append(
            c,
            a.org,
            &a.system,
            Event::new("thread.created", "thread", a.thread, summary).thread(a.thread.0),
        )
        .await?;
    }
    Ok(())
}

/// Carrier keywords, per business number: STOP opts out (and a STOP to a
/// sitter's number raises an alert), START opts back in.
async fn apply_keyword(c: &mut AnyConnection, a: &Arrival<'_>, keyword: Option<Keyword>) -> Result<(), sqlx::Error> {
    let (out, event, word, note) = match keyword {
        Some(Keyword::Stop) => (
            true,
            "client.opted_out",
            "STOP",
            format!("The client opted out of texts from {} (replied STOP).", a.number.e164.display()),
        ),
        Some(Keyword::Start) => {
            (false, "client.opted_in", "START", "The client opted back in (replied START).".to_string())
        }
        _ => return Ok(()),
    };
    store::set_opt_out(c, a.org, &a.sms.from, a.number.id, out, "keyword", a.now).await?;
    let summary = format!("{} replied {word} on {}", a.sms.from.display(), a.number.e164.display());
    audit::append(
        c,
        a.org,
        &a.client_actor,
        Event::new(event, "client", a.client, summary).thread(a.thread.0).message(a.message_id).number(a.number.id.0),
    )
    .await?;
    store::note(c, a.org, a.thread, &note, a.now).await?;
    if out && a.number.class == NumberClass::Sitter {
        alerts::raise(
            c,
            a.org,
            Raise {
                rule: "stop_on_sitter_number",
                cause_key: format!("stop:{}:{}", a.number.id.0, a.sms.from.as_str()),
                severity: Severity::Warning,
                title: format!("A client replied STOP to a sitter's number ({})", a.number.e164.display()),
                body: format!(
                    "{} can no longer be texted from this number. Check in with the client another way.",
                    a.sms.from.display()
                ),
                thread_id: Some(a.thread.0),
                number_id: Some(a.number.id.0),
            },
            a.now,
        )
        .await?;
    }
    Ok(())
}

/// Links the text to its routing decision and notes the reason.
async fn record_route(
    c: &mut AnyConnection,
    a: &Arrival<'_>,
    decision: &Decision,
    decision_id: i64,
) -> Result<(), sqlx::Error> {
    let routed_to = match decision.target {
        Target::OwnerInbox => "owner_inbox",
        Target::Sitter => "sitter",
        Target::RecordOnly => "record_only",
        Target::Rejected => "rejected",
    };
    sqlx::query("UPDATE messages SET routing_decision_id = $1, routed_to = $2, target_sitter_id = $3 WHERE id = $4")
        .bind(decision_id)
        .bind(routed_to)
        .bind(decision.sitter_id.map(|s| s.0))
        .bind(a.message_id)
        .execute(&mut *c)
        .await?;
    store::note(c, a.org, a.thread, &decision.reason, a.now).await?;
    Ok(())
}

/// Records a client's contact-sharing as a flagged violation (the text is
/// still delivered), with a note, an audit event and an alert.
async fn flag(c: &mut AnyConnection, a: &Arrival<'_>, hits: &[policy::Hit]) -> Result<i64, sqlx::Error> {
    let redacted = policy::redact(&a.sms.body, hits);
    let shared = crate::domain::outbound::describe_hits(hits);
    let flagged = crate::policy::store::NewViolation {
        org: a.org,
        thread: a.thread,
        message_id: Some(a.message_id),
        direction: crate::domain::routing::Direction::Inbound,
        actor_kind: "client",
        sitter_id: None,
        user_id: None,
        body: &a.sms.body,
        hits,
        outcome: policy::ViolationOutcome::Flagged,
        status: policy::ViolationStatus::Open,
        at: a.now,
    };
    let vid = crate::policy::store::insert_violation(c, &flagged).await?;
    sqlx::query("UPDATE messages SET policy_flagged = 1 WHERE id = $1").bind(a.message_id).execute(&mut *c).await?;
    store::note(c, a.org, a.thread, &format!("Flagged: the client's message looks like it shares {shared}."), a.now)
        .await?;
    audit::append(
        c,
        a.org,
        &a.system,
        Event::new("policy.flagged", "message", a.message_id, format!("Incoming message flagged: {shared}"))
            .thread(a.thread.0)
            .message(a.message_id)
            .payload(serde_json::json!({ "violation_id": vid, "redacted": redacted })),
    )
    .await?;
    alerts::raise(
        c,
        a.org,
        Raise {
            rule: "policy_violation",
            cause_key: format!("policy:{vid}"),
            severity: Severity::Info,
            title: format!("A client shared {shared}"),
            body: format!("\"{redacted}\" was delivered and flagged for review."),
            thread_id: Some(a.thread.0),
            number_id: Some(a.number.id.0),
        },
        a.now,
    )
    .await?;
    Ok(vid)
}

/// The thread's last message, unread count and wait, and the number's
/// last use. A record-only text doesn't count as waiting.
async fn touch_thread(c: &mut AnyConnection, a: &Arrival<'_>, counts: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE threads SET last_message_at = $1, last_message_preview = $2, last_inbound_at = $1,
            unread_count = unread_count + $3,
            awaiting_reply_since = CASE WHEN $3 = 1 THEN COALESCE(awaiting_reply_since, $1) ELSE awaiting_reply_since END
         WHERE id = $4",
    )
    .bind(ms(a.now))
    .bind(a.sms.body.chars().take(120).collect::<String>())
    .bind(i64::from(counts))
    .bind(a.thread.0)
    .execute(&mut *c)
    .await?;
    sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
        .bind(ms(a.now))
        .bind(a.number.id.0)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Attachments: keep the URLs now, fetch copies in the background. A Demo
/// organisation's webhooks aren't signed, so its URLs could point anywhere:
/// it keeps the reference and fetches nothing.
async fn keep_media(c: &mut AnyConnection, a: &Arrival<'_>, demo: bool) -> Result<(), sqlx::Error> {
    for (idx, (url, ct)) in a.sms.media.iter().enumerate() {
        let media_id: i64 = sqlx::query("INSERT INTO message_media (message_id, idx, content_type, provider_url, error) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(a.message_id)
            .bind(idx as i64)
            .bind(ct.as_deref())
            .bind(url)
            .bind(demo.then_some(super::media::DEMO_NOT_KEPT))
            .fetch_one(&mut *c)
            .await?
            .try_get("id")?;
        if demo {
            continue;
        }
        jobs::enqueue(
            c,
            NewJob::now(Some(a.org), "media.fetch", serde_json::json!({ "media_id": media_id }))
                .attempts(5)
                .dedupe(format!("media:{media_id}")),
        )
        .await?;
    }
    Ok(())
}

async fn audit_received(
    c: &mut AnyConnection,
    a: &Arrival<'_>,
    keyword: Option<Keyword>,
    violation_id: Option<i64>,
    decision_id: i64,
    decision: &Decision,
) -> Result<(), sqlx::Error> {
    let sid = &a.sms.message_sid;
    audit::append(
        c,
        a.org,
        &a.client_actor,
        Event::new(
            "message.received",
            "message",
            a.message_id,
            format!("Text from {} on {}", a.sms.from.display(), a.number.e164.display()),
        )
        .thread(a.thread.0)
        .message(a.message_id)
        .webhook(sid)
        .number(a.number.id.0)
        .payload(
            serde_json::json!({ "num_media": a.sms.media.len(), "keyword": keyword, "violation_id": violation_id }),
        ),
    )
    .await?;
    audit::append(
        c,
        a.org,
        &a.system,
        Event::new("routing.evaluated", "routing_decision", decision_id, decision.reason.clone())
            .thread(a.thread.0)
            .message(a.message_id)
            .decision(decision_id)
            .webhook(sid)
            .payload(serde_json::json!({ "target": decision.target, "sitter_id": decision.sitter_id, "rule": decision.rule, "ruleset": decision.ruleset_version })),
    )
    .await?;
    Ok(())
}

/// Automatic replies (the pool's auto-reply, HELP) go through the one send
/// function, so opt-outs and policy apply to them too.
async fn auto_reply(
    tx: &mut crate::platform::db::Tx,
    a: &Arrival<'_>,
    ctx: &store::OrgContext,
    decision: &Decision,
    keyword: Option<Keyword>,
    opted_out: bool,
) -> Result<(), sqlx::Error> {
    let body = match (&decision.auto_reply, keyword) {
        (Some(text), _) => text.clone(),
        (None, Some(Keyword::Help)) if !opted_out => {
            crate::domain::settings::help_reply(&ctx.name, ctx.help_text.as_deref())
        }
        _ => return Ok(()),
    };
    let request = SendRequest {
        org: a.org,
        thread: a.thread,
        body,
        sender: Sender::System,
        actor: a.system.clone(),
        confirmed: false,
        automation_id: None,
    };
    let out = send::send_in(tx, &request, a.now).await.map_err(|e| match e {
        send::SendError::Db(e) => e,
        send::SendError::NoThread => sqlx::Error::RowNotFound,
    })?;
    if let SendOutcome::Refused { reason, .. } = out {
        tracing::warn!(org = a.org.0, thread = a.thread.0, %reason, "automatic reply not sent");
    }
    Ok(())
}

/// The organisation a live business number belongs to.
pub async fn number_for(state: &AppState, to: &E164) -> Result<Option<NumberRow>, sqlx::Error> {
    let mut c = state.db.read.acquire().await?;
    store::number_by_e164(&mut c, to).await
}
