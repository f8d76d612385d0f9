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
use crate::domain::ids::{MessageId, ThreadId};
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
use chrono::Utc;
use sqlx::Row;

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

    // Which thread the message belongs to, and which thread routing judges.
    let (thread, thread_created, routing_thread) = if number.class == NumberClass::Pool {
        let current = store::current_pool_thread(&mut tx, number.id).await?;
        let belongs = match current {
            Some(t) => store::participants(&mut tx, t).await?.contains(&sms.from),
            None => false,
        };
        match (current, belongs) {
            (Some(t), true) => (t, false, Some(t)),
            // Someone else texting a lent-out pool number: their own thread,
            // never the current one (leakage prevention).
            _ => {
                let (t, created) =
                    store::find_or_create_thread(&mut tx, org, client, number.id, false, "client", now).await?;
                (t, created, current)
            }
        }
    } else {
        let (t, created) = store::find_or_create_thread(&mut tx, org, client, number.id, true, "client", now).await?;
        (t, created, Some(t))
    };
    store::add_participant(&mut tx, thread, &sms.from, now).await?;

    // Policy, checked with the sender's last few texts (numbers split over
    // several texts): the hits flag the message; what sitters may read of
    // it (and of the earlier texts it completes) is decided here, once.
    let mut earlier: Vec<redaction::Earlier> = sqlx::query(
        "SELECT id, body, sitter_spans FROM messages WHERE thread_id = $1 AND direction = 'inbound' AND from_e164 = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(thread.0)
    .bind(sms.from.as_str())
    .bind(ctx.settings.policy.recent_messages as i64)
    .fetch_all(&mut *tx)
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
    .collect::<Result<_, sqlx::Error>>()?;
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

    let inserted = sqlx::query(
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
    .bind(&sitter_spans)
    .bind(&sitter_body)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = inserted else {
        // Undo the client/thread we may have created for a duplicate.
        tx.rollback().await?;
        return Ok(Received::Duplicate);
    };
    let message_id: i64 = row.try_get("id")?;
    let client_actor =
        Actor { kind: ActorKind::Client, id: Some(client.0), name: sms.from.display(), request_id: request_id.clone() };
    let system = Actor::system(request_id.clone());

    if client_created {
        audit::append(
            &mut tx,
            org,
            &system,
            Event::new("client.created", "client", client, format!("New client from {}", sms.from.display()))
                .thread(thread.0),
        )
        .await?;
    }
    if thread_created {
        audit::append(
            &mut tx,
            org,
            &system,
            Event::new(
                "thread.created",
                "thread",
                thread,
                format!("Conversation started on {}", number.e164.display()),
            )
            .thread(thread.0),
        )
        .await?;
    }

    // Carrier keywords, per business number.
    let keyword = keywords::classify(&sms.body);
    match keyword {
        Some(Keyword::Stop) => {
            store::set_opt_out(&mut tx, org, &sms.from, number.id, true, "keyword", now).await?;
            audit::append(
                &mut tx,
                org,
                &client_actor,
                Event::new(
                    "client.opted_out",
                    "client",
                    client,
                    format!("{} replied STOP on {}", sms.from.display(), number.e164.display()),
                )
                .thread(thread.0)
                .message(message_id)
                .number(number.id.0),
            )
            .await?;
            store::note(
                &mut tx,
                org,
                thread,
                &format!("The client opted out of texts from {} (replied STOP).", number.e164.display()),
                now,
            )
            .await?;
            if number.class == NumberClass::Sitter {
                alerts::raise(
                    &mut tx,
                    org,
                    Raise {
                        rule: "stop_on_sitter_number",
                        cause_key: format!("stop:{}:{}", number.id.0, sms.from.as_str()),
                        severity: Severity::Warning,
                        title: format!("A client replied STOP to a sitter's number ({})", number.e164.display()),
                        body: format!(
                            "{} can no longer be texted from this number. Check in with the client another way.",
                            sms.from.display()
                        ),
                        thread_id: Some(thread.0),
                        number_id: Some(number.id.0),
                    },
                    now,
                )
                .await?;
            }
        }
        Some(Keyword::Start) => {
            store::set_opt_out(&mut tx, org, &sms.from, number.id, false, "keyword", now).await?;
            audit::append(
                &mut tx,
                org,
                &client_actor,
                Event::new(
                    "client.opted_in",
                    "client",
                    client,
                    format!("{} replied START on {}", sms.from.display(), number.e164.display()),
                )
                .thread(thread.0)
                .message(message_id)
                .number(number.id.0),
            )
            .await?;
            store::note(&mut tx, org, thread, "The client opted back in (replied START).", now).await?;
        }
        _ => {}
    }

    // Route.
    let opted_out = store::opted_out(&mut tx, org, &sms.from, number.id).await?;
    let snap =
        store::snapshot(&mut tx, &ctx, number, routing_thread, &sms.from, Direction::Inbound, now, opted_out).await?;
    let decision = decide(&snap);
    let decision_id = store::store_decision(&mut tx, org, Some(thread), Some(message_id), &snap, &decision).await?;
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
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    store::note(&mut tx, org, thread, &decision.reason, now).await?;

    // Policy: inbound hits are delivered but flagged.
    redaction::widen_earlier(&mut tx, &mut earlier, &check).await?;
    let hits = check.hits;
    let mut violation_id = None;
    if !hits.is_empty() && keyword.is_none() {
        let redacted = policy::redact(&sms.body, &hits);
        let flagged = store::NewViolation {
            org,
            thread,
            message_id: Some(message_id),
            direction: "inbound",
            actor_kind: "client",
            sitter_id: None,
            user_id: None,
            body: &sms.body,
            hits: &hits,
            outcome: "flagged",
            status: "open",
            at: now,
        };
        let vid = store::insert_violation(&mut tx, &flagged).await?;
        violation_id = Some(vid);
        sqlx::query("UPDATE messages SET policy_flagged = 1 WHERE id = $1").bind(message_id).execute(&mut *tx).await?;
        store::note(
            &mut tx,
            org,
            thread,
            &format!(
                "Flagged: the client's message looks like it shares {}.",
                crate::domain::outbound::describe_hits(&hits)
            ),
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            org,
            &system,
            Event::new(
                "policy.flagged",
                "message",
                message_id,
                format!("Incoming message flagged: {}", crate::domain::outbound::describe_hits(&hits)),
            )
            .thread(thread.0)
            .message(message_id)
            .payload(serde_json::json!({ "violation_id": vid, "redacted": redacted })),
        )
        .await?;
        alerts::raise(
            &mut tx,
            org,
            Raise {
                rule: "policy_violation",
                cause_key: format!("policy:{vid}"),
                severity: Severity::Info,
                title: format!("A client shared {}", crate::domain::outbound::describe_hits(&hits)),
                body: format!("\"{redacted}\" was delivered and flagged for review."),
                thread_id: Some(thread.0),
                number_id: Some(number.id.0),
            },
            now,
        )
        .await?;
    }

    // The thread's state.
    let counts = decision.target != Target::RecordOnly;
    sqlx::query(
        "UPDATE threads SET last_message_at = $1, last_message_preview = $2, last_inbound_at = $1,
            unread_count = unread_count + $3,
            awaiting_reply_since = CASE WHEN $3 = 1 THEN COALESCE(awaiting_reply_since, $1) ELSE awaiting_reply_since END
         WHERE id = $4",
    )
    .bind(ms(now))
    .bind(sms.body.chars().take(120).collect::<String>())
    .bind(i64::from(counts))
    .bind(thread.0)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(number.id.0)
        .execute(&mut *tx)
        .await?;

    // Attachments: keep the URLs now, fetch copies in the background. A
    // Demo organisation's webhooks aren't signed, so its URLs could point
    // anywhere: it keeps the reference and fetches nothing.
    let demo = super::provider::is_demo(state, &ctx);
    for (idx, (url, ct)) in sms.media.iter().enumerate() {
        let media_id: i64 = sqlx::query("INSERT INTO message_media (message_id, idx, content_type, provider_url, error) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(message_id)
            .bind(idx as i64)
            .bind(ct.as_deref())
            .bind(url)
            .bind(demo.then_some(super::media::DEMO_NOT_KEPT))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        if demo {
            continue;
        }
        jobs::enqueue(
            &mut tx,
            NewJob::now(Some(org), "media.fetch", serde_json::json!({ "media_id": media_id }))
                .attempts(5)
                .dedupe(format!("media:{media_id}")),
        )
        .await?;
    }

    audit::append(
        &mut tx,
        org,
        &client_actor,
        Event::new(
            "message.received",
            "message",
            message_id,
            format!("Text from {} on {}", sms.from.display(), number.e164.display()),
        )
        .thread(thread.0)
        .message(message_id)
        .webhook(&sms.message_sid)
        .number(number.id.0)
        .payload(serde_json::json!({ "num_media": sms.media.len(), "keyword": keyword, "violation_id": violation_id })),
    )
    .await?;
    audit::append(
        &mut tx,
        org,
        &system,
        Event::new("routing.evaluated", "routing_decision", decision_id, decision.reason.clone())
            .thread(thread.0)
            .message(message_id)
            .decision(decision_id)
            .webhook(&sms.message_sid)
            .payload(serde_json::json!({ "target": decision.target, "sitter_id": decision.sitter_id, "rule": decision.rule, "ruleset": decision.ruleset_version })),
    )
    .await?;

    // Automations that listen for a client's text run in the background.
    if !matches!(keyword, Some(Keyword::Stop)) {
        crate::automations::runner::message_received(&mut tx, org, message_id, thread_created).await?;
    }

    // Automatic replies go through the one send function.
    let reply = match (&decision.auto_reply, keyword) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(Keyword::Help)) if !opted_out => Some(
            ctx.help_text
                .clone()
                .unwrap_or_else(|| format!("{}: text us here any time. Reply STOP to opt out.", ctx.name)),
        ),
        _ => None,
    };
    if let Some(body) = reply {
        let out = send::send_in(
            &mut tx,
            &SendRequest {
                org,
                thread,
                body,
                sender: Sender::System,
                actor: system.clone(),
                confirmed: false,
                automation_id: None,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            send::SendError::Db(e) => e,
            send::SendError::NoThread => sqlx::Error::RowNotFound,
        })?;
        if let SendOutcome::Refused { reason, .. } = out {
            tracing::warn!(org = org.0, thread = thread.0, %reason, "automatic reply not sent");
        }
    }
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

/// The organisation a live business number belongs to.
pub async fn number_for(state: &AppState, to: &E164) -> Result<Option<NumberRow>, sqlx::Error> {
    let mut c = state.db.read.acquire().await?;
    store::number_by_e164(&mut c, to).await
}
