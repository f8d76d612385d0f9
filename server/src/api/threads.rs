//! Conversations: the inbox's own search and filters, a thread, its
//! messages (keyset pages, oldest first) and sending through the one send
//! function with the same checks as the UI.

use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::problem::api_field;
use super::{json, ApiResult, Caller, Problem};
use app::conversations::{service as conversations, StartForm, Started};
use app::domain::ids::{MessageId, OrgId, ThreadId};
use app::inbox::{SendResult, ThreadQuery};
use app::platform::{ms, now, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::{AnyConnection, Row};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_threads, start_thread))
        .routes(routes!(get_thread))
        .routes(routes!(list_messages, send_message))
}

const MAX_BODY_CHARS: usize = 1600;

fn select(now_ms: i64) -> String {
    format!(
        "SELECT t.id, t.client_id, cl.name AS client_name, n.e164, n.class, t.is_current, t.unread_count, t.last_message_at,
            t.last_message_preview, t.open_violations, t.failed_deliveries, cl.opted_out_everywhere,
            (SELECT w.sitter_id FROM assignment_windows w WHERE w.thread_id = t.id AND w.deleted_at IS NULL
                AND w.starts_at <= {now_ms} AND w.ends_at > {now_ms} ORDER BY w.starts_at, w.id LIMIT 1) AS assigned
         FROM threads t JOIN clients cl ON cl.id = t.client_id JOIN numbers n ON n.id = t.number_id"
    )
}

fn thread_from(r: &sqlx::any::AnyRow) -> Result<Thread, sqlx::Error> {
    Ok(Thread {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        client_name: r.try_get("client_name")?,
        number: r.try_get("e164")?,
        number_class: r.try_get("class")?,
        current: r.try_get::<i64, _>("is_current")? == 1,
        unread_count: r.try_get("unread_count")?,
        last_message_at: opt_time_ms(r.try_get("last_message_at")?),
        last_message_preview: r.try_get("last_message_preview")?,
        assigned_sitter_id: r.try_get("assigned")?,
        open_violations: r.try_get("open_violations")?,
        failed_deliveries: r.try_get("failed_deliveries")?,
    })
}

async fn load(c: &mut AnyConnection, org: OrgId, id: i64) -> ApiResult<(Thread, bool)> {
    let r = sqlx::query(&format!("{} WHERE t.id = $1 AND t.org_id = $2", select(ms(now()))))
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Problem::not_found("There is no conversation with that id."))?;
    Ok((thread_from(&r)?, r.try_get::<i64, _>("opted_out_everywhere")? == 1))
}

/// Lists conversations with the inbox's filters, search and sorts.
#[utoipa::path(get, path = "/threads", tag = "threads", params(ThreadParams), responses((status = 200, body = ThreadList)))]
async fn list_threads(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ThreadParams>,
) -> ApiResult<Response> {
    let query = ThreadQuery {
        filter: p.filter.unwrap_or_default(),
        sort: p.sort.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        from: p.from.unwrap_or_default(),
        to: p.to.unwrap_or_default(),
        cursor: p.cursor.filter(|c| !c.trim().is_empty()),
        past: false,
    };
    let page = caller.run(&st, || app::inbox::list_threads(query)).await.map_err(|e| {
        let mut p = Problem::from(e);
        if p.status == 422 && p.field.is_none() {
            p.field = Some("cursor".into());
        }
        p
    })?;
    let mut c = st.db.read.acquire().await?;
    let ids: Vec<String> = page.items.iter().map(|t| t.id.0.to_string()).collect();
    let mut items = Vec::new();
    if !ids.is_empty() {
        let rows = sqlx::query(&format!("{} WHERE t.org_id = $1 AND t.id IN ({})", select(ms(now())), ids.join(", ")))
            .bind(caller.key.org_id.0)
            .fetch_all(&mut *c)
            .await?;
        let mut by_id: std::collections::HashMap<i64, Thread> =
            rows.iter().map(thread_from).map(|t| t.map(|t| (t.id, t))).collect::<Result<_, _>>()?;
        items = page.items.iter().filter_map(|t| by_id.remove(&t.id.0)).collect();
    }
    Ok(json(StatusCode::OK, &ThreadList { items, next_cursor: page.next_cursor }))
}

/// Texts a client first, from a business number (the Front Desk unless
/// `number_id` names a sitter number), with the same checks as any send:
/// opt-out, readiness, quiet hours (the text waits unless `send_now`) and
/// the anti-poaching check (409 unless `confirm`). The client's
/// conversation on that number is reused, or created with the text; a
/// refusal writes nothing.
#[utoipa::path(post, path = "/threads", tag = "threads",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    request_body = NewThread,
    responses((status = 201, description = "Queued (or scheduled for after quiet hours)", body = ThreadStarted),
              (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Refused (opted out, not ready, blocked) or needs confirmation", body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn start_thread(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewThread>,
) -> ApiResult<Response> {
    if b.client_id < 1 {
        return Err(Problem::invalid("client_id", "A client id is a positive number."));
    }
    let form = StartForm {
        client: b.client_id,
        to: b.to.unwrap_or_default(),
        number: b.number_id,
        body: b.body,
        send_now: b.send_now,
        confirm: b.confirm,
    };
    let actor = caller.actor();
    let started =
        caller.run(&st, || conversations::start(&st, caller.key.org_id, &actor, form)).await.map_err(api_field)?;
    let (thread, message) = match started {
        Started {
            thread: Some(t),
            result: SendResult::Sent { message_id } | SendResult::Scheduled { message_id, .. },
        } => (t, message_id),
        Started { thread: Some(t), result: SendResult::Refused { reason } } => {
            return Err(Problem::conflict(format!("{reason} The text was kept in conversation {}.", t.0)))
        }
        Started { result: SendResult::NeedsConfirmation { redacted, what }, .. } => {
            return Err(needs_confirmation(&redacted, &what))
        }
        Started { result: SendResult::Refused { reason }, .. } => return Err(Problem::conflict(reason)),
        Started { thread: None, result: SendResult::Sent { .. } | SendResult::Scheduled { .. } } => {
            return Err(Problem::conflict("The text was not kept. Try again."))
        }
    };
    let a = accepted(&st, message).await?;
    Ok(json(
        StatusCode::CREATED,
        &ThreadStarted {
            thread_id: thread.0,
            message_id: a.message_id,
            status: a.status,
            scheduled_for: a.scheduled_for,
        },
    ))
}

/// One conversation, with the client's phone numbers.
#[utoipa::path(get, path = "/threads/{id}", tag = "threads", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = ThreadDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_thread(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    let (thread, opted_everywhere) = load(&mut c, caller.key.org_id, id).await?;
    let contacts: Vec<String> = sqlx::query("SELECT e164 FROM client_contacts WHERE client_id = $1 ORDER BY id")
        .bind(thread.client_id)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get("e164"))
        .collect::<Result<_, _>>()?;
    let opted_here: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM opt_outs o JOIN threads t ON t.number_id = o.number_id
         WHERE t.id = $1 AND o.org_id = $2 AND o.opted_out = 1 AND o.e164 IN (SELECT e164 FROM client_contacts WHERE client_id = $3)",
    )
    .bind(id)
    .bind(caller.key.org_id.0)
    .bind(thread.client_id)
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?;
    Ok(json(StatusCode::OK, &ThreadDetail { thread, contacts, opted_out: opted_everywhere || opted_here > 0 }))
}

fn message_from(r: &sqlx::any::AnyRow) -> Result<Message, sqlx::Error> {
    Ok(Message {
        id: r.try_get("id")?,
        thread_id: r.try_get("thread_id")?,
        direction: r.try_get("direction")?,
        sender_kind: r.try_get("sender_kind")?,
        from: r.try_get("from_e164")?,
        to: r.try_get("to_e164")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        error_code: r.try_get("error_code")?,
        error_message: r.try_get("error_message")?,
        policy_flagged: r.try_get::<i64, _>("policy_flagged")? == 1,
        routing_decision_id: r.try_get("routing_decision_id")?,
        created_at: time_ms(r.try_get("created_at")?),
        scheduled_for: opt_time_ms(r.try_get("scheduled_for")?),
        sent_at: opt_time_ms(r.try_get("sent_at")?),
        delivered_at: opt_time_ms(r.try_get("delivered_at")?),
    })
}

const MESSAGE_COLUMNS: &str =
    "id, thread_id, direction, sender_kind, from_e164, to_e164, body, status, error_code, error_message,
    policy_flagged, routing_decision_id, created_at, scheduled_for, sent_at, delivered_at";

/// A conversation's messages, oldest first; pass `next_cursor` back to get newer ones.
#[utoipa::path(get, path = "/threads/{id}/messages", tag = "threads", params(("id" = i64, Path, minimum = 1), PageParams),
    responses((status = 200, body = MessageList), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_messages(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Response> {
    let (limit, after) = (p.limit()?, p.after()?.unwrap_or(0));
    let mut c = st.db.read.acquire().await?;
    load(&mut c, caller.key.org_id, id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 AND org_id = $2 AND id > $3 ORDER BY id LIMIT $4"
    ))
    .bind(id)
    .bind(caller.key.org_id.0)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&mut *c)
    .await?;
    let mut items = rows.iter().map(message_from).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|m| m.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &MessageList { items, next_cursor }))
}

/// Sends a text from the conversation's business number, with the same
/// checks as the UI: opt-out, readiness, and the anti-poaching check (a
/// finding answers 409 unless `confirm` is true, which is recorded).
#[utoipa::path(post, path = "/threads/{id}/messages", tag = "threads",
    params(("id" = i64, Path, minimum = 1), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    request_body = NewMessage,
    responses((status = 201, description = "Queued (or scheduled for after quiet hours)", body = SendAccepted),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Refused (opted out, not ready) or needs confirmation", body = Problem, content_type = "application/problem+json")))]
async fn send_message(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<NewMessage>,
) -> ApiResult<Response> {
    let body = b.body.trim().to_string();
    if body.is_empty() {
        return Err(Problem::invalid("body", "Write the text to send."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Problem::invalid(
            "body",
            format!("A text is at most {MAX_BODY_CHARS} characters (10 SMS segments)."),
        ));
    }
    {
        let mut c = st.db.read.acquire().await?;
        load(&mut c, caller.key.org_id, id).await?;
    }
    let result =
        caller.run(&st, || app::inbox::send_message(ThreadId(id), body, b.confirm)).await.map_err(Problem::from)?;
    let message_id = match result {
        SendResult::Sent { message_id } | SendResult::Scheduled { message_id, .. } => message_id,
        SendResult::NeedsConfirmation { redacted, what } => return Err(needs_confirmation(&redacted, &what)),
        SendResult::Refused { reason } => return Err(Problem::conflict(reason)),
    };
    Ok(json(StatusCode::CREATED, &accepted(&st, message_id).await?))
}

/// A queued text as the API reports it: queued now, or scheduled for after
/// quiet hours (and when).
async fn accepted(st: &AppState, message: MessageId) -> ApiResult<SendAccepted> {
    let mut c = st.db.read.acquire().await?;
    let r = sqlx::query("SELECT scheduled_for FROM messages WHERE id = $1").bind(message.0).fetch_one(&mut *c).await?;
    let scheduled_for: Option<i64> = r.try_get("scheduled_for")?;
    Ok(SendAccepted {
        message_id: message.0,
        status: if scheduled_for.is_some() { "scheduled" } else { "queued" }.into(),
        scheduled_for: opt_time_ms(scheduled_for),
    })
}

/// The 409 for a text the anti-poaching check stopped until `"confirm": true`.
fn needs_confirmation(redacted: &str, what: &str) -> Problem {
    Problem::conflict(format!(
        "The anti-poaching check found {what}: \"{redacted}\". Nothing was sent. To send it anyway, repeat with \"confirm\": true (it is recorded)."
    ))
}
