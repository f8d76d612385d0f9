//! Starting a conversation: load the client, their number and the business
//! number → decide with the one send function (opt-out, readiness, quiet
//! hours, the anti-poaching check) → persist the thread only when something
//! was kept. Used by the owner's server functions and `POST /api/v1/threads`;
//! callers check who may do it (owners and API keys, never sitters).

use super::{store, FromNumber, StartChoices, StartClient, StartForm, Started};
use crate::domain::automation::defer_until;
use crate::domain::ids::{ClientId, NumberId, OrgId};
use crate::domain::numbers::{NumberClass, NumberStatus};
use crate::domain::outbound::{self, Sender, MAX_BODY_CHARS};
use crate::domain::phone::E164;
use crate::error::{AppError, AppResult};
use crate::inbox::SendResult;
use crate::messaging::send::{self, SendError, SendOutcome, SendRequest};
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::state::LiveEvent;
use crate::platform::{now, AppState, Db};
use sqlx::AnyConnection;

/// How many clients a search lists.
const FOUND: i64 = 20;
/// The longest search: a name or a phone number.
const MAX_SEARCH: usize = 100;

/// What the form offers: the business numbers to text from, the client
/// asked for (when one is), and whether quiet hours hold a text now.
pub async fn choices(db: &Db, org: OrgId, client: Option<i64>) -> AppResult<StartChoices> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
    let numbers = store::from_numbers(&mut c, org).await?;
    let client = match client {
        Some(id) => Some(client_of(&mut c, org, id).await?),
        None => None,
    };
    let cannot_send = if !ctx.ready {
        Some(outbound::Refusal::NotReady.message())
    } else if numbers.is_empty() {
        Some("There is no active Front Desk or sitter number to text from. Add one in Numbers.".into())
    } else {
        None
    };
    let now = now();
    let quiet_until = defer_until(now, ctx.tz, ctx.settings.quiet_hours).map(|t| ctx.tz.time_relative_to(t, now));
    Ok(StartChoices { client, numbers, quiet_until, cannot_send })
}

/// The client, or why not.
async fn client_of(c: &mut AnyConnection, org: OrgId, id: i64) -> AppResult<StartClient> {
    store::client(c, org, id).await?.ok_or_else(|| AppError::NotFound("There is no client with that id.".into()))
}

/// Clients to start a conversation with, by name or phone.
pub async fn find_clients(db: &Db, org: OrgId, q: &str) -> AppResult<Vec<StartClient>> {
    let q = q.trim().to_lowercase();
    if q.chars().count() > MAX_SEARCH {
        return Err(AppError::field("q", format!("Search for at most {MAX_SEARCH} characters.")));
    }
    let mut c = db.read.acquire().await?;
    Ok(store::search_clients(&mut c, org, &q, FOUND).await?)
}

/// The client's number the text goes to: the one asked for (canonical, or
/// as people type it), else their first.
fn recipient(client: &StartClient, asked: &str, region: &str) -> AppResult<E164> {
    let Some(first) = client.contacts.first() else {
        return Err(AppError::field(
            "to",
            format!("{} has no phone number yet. Add one in People → Clients first.", client.name),
        ));
    };
    let asked = asked.trim();
    let wanted = if asked.is_empty() {
        first.e164.clone()
    } else if client.contacts.iter().any(|c| c.e164 == asked) {
        asked.to_string()
    } else {
        E164::parse(asked, region).map_err(|e| AppError::field("to", e.to_string()))?.as_str().to_string()
    };
    client.contacts.iter().find(|c| c.e164 == wanted).and_then(|c| E164::from_canonical(&c.e164)).ok_or_else(|| {
        AppError::field("to", format!("That isn't one of {}'s numbers. Add it in People first.", client.name))
    })
}

/// The business number it leaves from: the one asked for, if a conversation
/// may start there (`numbers`), else the default Front Desk number; when it
/// may not, why.
fn sender_number(numbers: &[FromNumber], asked: Option<i64>, row: Option<&mstore::NumberRow>) -> AppResult<NumberId> {
    let Some(asked) = asked else {
        return numbers.iter().find(|n| n.front_desk).map(|n| n.id).ok_or_else(|| {
            AppError::field(
                "number",
                "There is no active Front Desk number. Choose a sitter number, or add one in Numbers.",
            )
        });
    };
    if let Some(n) = numbers.iter().find(|n| n.id.0 == asked) {
        return Ok(n.id);
    }
    let Some(n) = row else {
        return Err(AppError::field("number", "That business number doesn't exist."));
    };
    let shown = n.e164.display();
    let why = match (n.status, n.class) {
        (NumberStatus::Active, NumberClass::Pool) => format!(
            "{shown} is a pool number: pool numbers are lent to one client at a time through a one-time booking. \
             Text from the Front Desk or a sitter number."
        ),
        (NumberStatus::Active, _) => {
            format!(
                "{shown} isn't any active sitter's number right now. Text from the Front Desk or a sitter's number."
            )
        }
        (status, _) => format!("{shown} is out of service ({}). Choose another number.", status.label().to_lowercase()),
    };
    Err(AppError::field("number", why))
}

/// Texts a client first, from a business number: the conversation is the
/// client's existing one on that number, or a new one written in the same
/// transaction as the text. Nothing is written when the text is refused
/// before it was kept (opted out, not ready) or needs the owner's "send
/// anyway"; inside quiet hours it waits for their end unless `send_now`.
pub async fn start(st: &AppState, org: OrgId, actor: &Actor, f: StartForm) -> AppResult<Started> {
    let body = f.body.trim().to_string();
    if body.is_empty() {
        return Err(AppError::field("body", "Write the text to send."));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(AppError::field("body", outbound::Refusal::TooLong { chars }.message()));
    }
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    let client = client_of(&mut tx, org, f.client).await?;
    let to = recipient(&client, &f.to, &ctx.region)?;
    let row = match f.number {
        Some(id) => mstore::number_by_id(&mut tx, NumberId(id)).await?.filter(|n| n.org == org),
        None => None,
    };
    let numbers = store::from_numbers(&mut tx, org).await?;
    let number = sender_number(&numbers, f.number, row.as_ref())?;
    let (thread, created) =
        match mstore::find_or_create_thread(&mut tx, org, ClientId(client.id), number, true, "business", now).await {
            Ok(t) => t,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AppError::Conflict(format!(
                    "A conversation with {} on that number was started at this very moment. Open it from the inbox.",
                    client.name
                )))
            }
            Err(e) => return Err(e.into()),
        };
    let quiet = defer_until(now, ctx.tz, ctx.settings.quiet_hours);
    let waits = if f.send_now { None } else { quiet };
    if created {
        let summary = format!(
            "{} started a conversation with {} from {}",
            actor.name,
            client.name,
            number_shown(&numbers, number)
        );
        audit::append(
            &mut tx,
            org,
            actor,
            Event::new("thread.started", "thread", thread.0, summary).thread(thread.0).number(number.0).payload(
                serde_json::json!({ "client_id": client.id, "to": to.as_str(), "sent_in_quiet_hours": f.send_now && quiet.is_some() }),
            ),
        )
        .await?;
    }
    let req = SendRequest {
        org,
        thread,
        body,
        sender: Sender::Owner,
        actor: actor.clone(),
        confirmed: f.confirm,
        automation_id: None,
    };
    let outcome = match send::send_in_to(&mut tx, &req, Some(&to), now, waits).await {
        Ok(o) => o,
        Err(SendError::Db(e)) => return Err(e.into()),
        Err(SendError::NoThread) => return Err(AppError::Internal("the new conversation vanished".into())),
    };
    // Kept: queued, or blocked or held by the policy (stored with its violation).
    let kept = matches!(outcome, SendOutcome::Queued { .. } | SendOutcome::Refused { message_id: Some(_), .. });
    let result = crate::inbox::result_of(outcome, ctx.tz);
    if !kept {
        // Dropped: the new conversation (if any) is rolled back with it.
        return Ok(Started { thread: None, result });
    }
    if let (SendResult::Sent { message_id }, false, Some(_)) = (&result, created, quiet) {
        // Inside quiet hours by the owner's choice, in an existing conversation.
        audit::append(
            &mut tx,
            org,
            actor,
            Event::new(
                "message.quiet_hours_overridden",
                "message",
                message_id.0,
                format!("{} texted {} inside quiet hours", actor.name, client.name),
            )
            .thread(thread.0)
            .message(message_id.0),
        )
        .await?;
    }
    tx.commit().await?;
    st.publish(LiveEvent {
        org_id: org.0,
        thread_id: Some(thread.0),
        owner_only: false,
        kind: "message.new".into(),
        data: serde_json::json!({ "thread_id": thread.0 }),
    });
    st.wake_worker();
    Ok(Started { thread: Some(thread), result })
}

fn number_shown(numbers: &[FromNumber], id: NumberId) -> String {
    numbers.iter().find(|n| n.id == id).map(|n| n.label.clone()).unwrap_or_else(|| format!("number {}", id.0))
}
