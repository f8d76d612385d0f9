//! Running automations (SPEC §3.6).
//!
//! Event triggers are queued as durable jobs in the transaction that caused
//! them: a booking created or confirmed (`automation.booking`), a client's
//! text and a new conversation (`automation.message`). Timed triggers — a
//! window starting in N minutes, a window that ended, a client waiting N
//! minutes without a human reply — are found by a sweep the worker runs
//! every half minute. Every run goes through [`execute`]: the domain code
//! evaluates the conditions, texts go through the one send function (as the
//! automation: quiet hours defer, opt-outs and the anti-poaching check
//! apply), and the execution is logged with each condition's and action's
//! result. A dedupe key per automation and subject makes each run happen
//! once, even when a job is retried or the sweep sees the same window
//! twice. Test runs use the same code with `test = true`: they render and
//! evaluate everything and send nothing.

use crate::domain::alerts::Severity;
use crate::domain::automation::conditions::{evaluate, ConditionGroup, ConditionOutcome, Value};
use crate::domain::automation::definition::{
    problems, roster_problems, Action, ActionKind, Recipient, Roster, RunStatus, Trigger, TriggerKind,
};
use crate::domain::automation::template::render;
use crate::domain::ids::{OrgId, ThreadId};
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::roles::ActorKind;
use crate::messaging::send::{self, SendOutcome, SendRequest};
use crate::messaging::store::org_context;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{Job, NewJob, Outcome};
use crate::platform::{from_ms, ms, now, AppState, Tx};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::BTreeMap;

pub const JOB: &str = "automation.booking";
pub const MESSAGE_JOB: &str = "automation.message";
/// A failed run tried again, per the delivery settings (attempts, backoff).
pub const RETRY_JOB: &str = "automation.retry";
/// A text from an automation to a sitter's or an owner's own phone.
pub const STAFF_JOB: &str = "automation.staff_text";
/// Failed runs in a row before an automation pauses itself.
pub const PAUSE_AFTER_FAILURES: i64 = 3;

/// What an execution is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Booking(i64),
    Message(i64),
    Window(i64),
    /// A conversation as it is now (test runs, waiting clients).
    Thread(i64),
}

impl Subject {
    fn to_json(self) -> serde_json::Value {
        let (kind, id) = match self {
            Subject::Booking(i) => ("booking", i),
            Subject::Message(i) => ("message", i),
            Subject::Window(i) => ("window", i),
            Subject::Thread(i) => ("thread", i),
        };
        serde_json::json!({ "kind": kind, "id": id })
    }
    fn from_json(v: &serde_json::Value) -> Option<Subject> {
        let id = v.get("id")?.as_i64()?;
        Some(match v.get("kind")?.as_str()? {
            "booking" => Subject::Booking(id),
            "message" => Subject::Message(id),
            "window" => Subject::Window(id),
            "thread" => Subject::Thread(id),
            _ => return None,
        })
    }
}

/// Queues a booking's triggers inside the transaction that changed it:
/// "booking created" when it is made, "booking confirmed" when it is
/// confirmed (at once, for a booking made confirmed).
pub async fn booking_changed(
    tx: &mut Tx,
    org: OrgId,
    booking: i64,
    triggers: &[TriggerKind],
) -> Result<(), sqlx::Error> {
    for &trigger in triggers {
        let job =
            NewJob::now(Some(org), JOB, serde_json::json!({ "booking_id": booking, "trigger": trigger.as_str() }))
                .dedupe(format!("{JOB}:{booking}:{}", trigger.as_str()));
        crate::platform::jobs::enqueue(tx, job).await?;
    }
    Ok(())
}

/// Queues "a client texts" (and "a new conversation starts") for a stored
/// inbound message, when the business has any active automation.
pub async fn message_received(tx: &mut Tx, org: OrgId, message: i64, thread_created: bool) -> Result<(), sqlx::Error> {
    let any = sqlx::query("SELECT id FROM automations WHERE org_id = $1 AND status = 'active' LIMIT 1")
        .bind(org.0)
        .fetch_optional(&mut **tx)
        .await?;
    if any.is_none() {
        return Ok(());
    }
    let mut triggers = vec![TriggerKind::MessageReceived];
    if thread_created {
        triggers.push(TriggerKind::ThreadCreated);
    }
    for trigger in triggers {
        let job = NewJob::now(
            Some(org),
            MESSAGE_JOB,
            serde_json::json!({ "message_id": message, "trigger": trigger.as_str() }),
        )
        .dedupe(format!("{MESSAGE_JOB}:{message}:{}", trigger.as_str()));
        crate::platform::jobs::enqueue(tx, job).await?;
    }
    Ok(())
}

/// The facts an automation sees: template values and condition fields.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub thread: Option<ThreadId>,
    /// The sitter this is about: the window's, the booking's, or the one
    /// the client's text was routed to.
    pub sitter: Option<i64>,
    /// The client's text as a sitter may read it (contact details hidden),
    /// for texts to the sitter's own phone; `None` when the sitter may not
    /// read it at all.
    pub message_for_sitter: Option<String>,
    /// The client's names as a sitter sees them (an unknown sender's name
    /// is their phone number, which sitters never see).
    pub client_for_sitter: Option<(String, String)>,
    /// When the client's text arrived.
    pub message_at: Option<i64>,
    pub values: BTreeMap<String, String>,
    pub fields: BTreeMap<String, Value>,
}

impl Facts {
    fn text(&mut self, k: &str, v: String) {
        self.values.insert(k.to_string(), v.clone());
        self.fields.insert(k.to_string(), Value::Text(v));
    }

    /// Template values for a text to the sitter's own phone: the client as
    /// the sitter knows them, and their text only as the sitter may read it.
    fn sitter_values(&self) -> BTreeMap<String, String> {
        let mut values = self.values.clone();
        if let Some((name, first)) = &self.client_for_sitter {
            values.insert("client.name".into(), name.clone());
            values.insert("client.first_name".into(), first.clone());
        }
        if values.contains_key("message.text") {
            let m = self.message_for_sitter.clone().unwrap_or_else(|| "(a text from outside your visit window)".into());
            values.insert("message.text".into(), m);
        }
        values
    }
}

async fn thread_facts(
    tx: &mut Tx,
    org: OrgId,
    thread: i64,
    f: &mut Facts,
    t: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "SELECT t.started_by, t.awaiting_reply_since, c.name, c.first_name, c.is_unknown, n.e164, n.class,
                (SELECT COUNT(*) FROM threads t2 WHERE t2.client_id = t.client_id) AS client_threads
         FROM threads t JOIN clients c ON c.id = t.client_id JOIN numbers n ON n.id = t.number_id
         WHERE t.id = $1 AND t.org_id = $2",
    )
    .bind(thread)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(false) };
    f.thread = Some(ThreadId(thread));
    let first: String = r.try_get("first_name")?;
    f.client_for_sitter = Some(if r.try_get::<i64, _>("is_unknown")? == 1 {
        ("New client".to_string(), "New client".to_string())
    } else {
        (first.clone(), first.clone())
    });
    f.text("client.first_name", first);
    f.text("client.name", r.try_get("name")?);
    let e: String = r.try_get("e164")?;
    f.values.insert("business.number".into(), E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e));
    f.fields.insert("thread.number_class".into(), Value::Text(r.try_get("class")?));
    f.fields.insert("thread.started_by".into(), Value::Text(r.try_get("started_by")?));
    f.fields.insert("client.is_new".into(), Value::Bool(r.try_get::<i64, _>("client_threads")? <= 1));
    if let Some(since) = r.try_get::<Option<i64>, _>("awaiting_reply_since")? {
        let minutes = ((ms(t) - since) / 60_000).max(0);
        f.values.insert("minutes_waiting".into(), minutes.to_string());
        f.fields.insert("minutes_waiting".into(), Value::Number(minutes as f64));
    }
    Ok(true)
}

/// Fills the window's facts; returns its thread and booking.
async fn window_facts(
    tx: &mut Tx,
    org: OrgId,
    window: i64,
    f: &mut Facts,
    tz: crate::domain::time::BusinessTz,
) -> Result<Option<(i64, Option<i64>)>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT w.kind, w.starts_at, w.ends_at, w.thread_id, w.booking_id, w.sitter_id, s.name, s.first_name
         FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id WHERE w.id = $1 AND w.org_id = $2",
    )
    .bind(window)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    f.fields.insert("window.kind".into(), Value::Text(r.try_get("kind")?));
    f.sitter = Some(r.try_get("sitter_id")?);
    f.text("sitter.first_name", r.try_get("first_name")?);
    f.text("sitter.name", r.try_get("name")?);
    f.text("window.start_time", tz.day_time(from_ms(r.try_get("starts_at")?)));
    f.text("window.end_time", tz.day_time(from_ms(r.try_get("ends_at")?)));
    Ok(Some((r.try_get("thread_id")?, r.try_get("booking_id")?)))
}

async fn booking_facts(
    tx: &mut Tx,
    org: OrgId,
    booking: i64,
    f: &mut Facts,
    tz: crate::domain::time::BusinessTz,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "SELECT b.service, b.status, b.starts_at, b.sitter_id, s.name, s.first_name
         FROM bookings b JOIN sitters s ON s.id = b.sitter_id WHERE b.id = $1 AND b.org_id = $2",
    )
    .bind(booking)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(false) };
    f.text("booking.service", r.try_get("service")?);
    f.text("booking.status", r.try_get("status")?);
    f.text("booking.start_time", tz.day_time(from_ms(r.try_get("starts_at")?)));
    f.values.entry("sitter.first_name".into()).or_insert(r.try_get("first_name")?);
    f.sitter = f.sitter.or(Some(r.try_get("sitter_id")?));
    f.values.entry("sitter.name".into()).or_insert(r.try_get("name")?);
    Ok(true)
}

async fn message_facts(tx: &mut Tx, org: OrgId, message: i64, f: &mut Facts) -> Result<Option<i64>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT m.thread_id, m.body, m.sitter_body, m.sitter_spans, m.sender_kind, m.automation_id, m.created_at,
                rd.target_sitter_id, s.name, s.first_name
         FROM messages m LEFT JOIN routing_decisions rd ON rd.message_id = m.id
         LEFT JOIN sitters s ON s.id = rd.target_sitter_id
         WHERE m.id = $1 AND m.org_id = $2",
    )
    .bind(message)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let body: String = r.try_get("body")?;
    // What a sitter may read was decided when the text was stored; a text
    // not decided yet is not passed on at all.
    f.message_for_sitter =
        match (r.try_get::<Option<String>, _>("sitter_spans")?, r.try_get::<Option<String>, _>("sitter_body")?) {
            (None, _) => Some("(open Leashline to read it)".to_string()),
            (Some(_), Some(hidden)) => Some(hidden),
            (Some(_), None) => Some(body.clone()),
        };
    f.message_at = Some(r.try_get("created_at")?);
    f.text("message.text", body);
    f.fields.insert("message.sender".into(), Value::Text(r.try_get("sender_kind")?));
    f.fields
        .insert("message.is_automated".into(), Value::Bool(r.try_get::<Option<i64>, _>("automation_id")?.is_some()));
    if let Some(name) = r.try_get::<Option<String>, _>("name")? {
        f.sitter = r.try_get("target_sitter_id")?;
        f.text("sitter.name", name);
        f.text("sitter.first_name", r.try_get::<Option<String>, _>("first_name")?.unwrap_or_default());
    }
    Ok(Some(r.try_get("thread_id")?))
}

/// Everything an automation can see about `subject`, or `None` when it is
/// gone.
pub async fn facts(tx: &mut Tx, org: OrgId, subject: Subject, t: DateTime<Utc>) -> Result<Option<Facts>, sqlx::Error> {
    let ctx = org_context(tx, org).await?;
    let tz = ctx.tz;
    let mut f = Facts::default();
    f.text("business.name", ctx.name.clone());
    f.fields.insert("hour_of_day".into(), Value::Number(f64::from(chrono::Timelike::hour(&tz.local(t)))));
    match subject {
        Subject::Booking(b) => {
            let w = sqlx::query(
                "SELECT id FROM assignment_windows WHERE booking_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1",
            )
            .bind(b)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(w) = w {
                if let Some((thread, _)) = window_facts(tx, org, w.try_get("id")?, &mut f, tz).await? {
                    thread_facts(tx, org, thread, &mut f, t).await?;
                }
            }
            if !booking_facts(tx, org, b, &mut f, tz).await? {
                return Ok(None);
            }
            if f.thread.is_none() {
                // A booking without a window yet: the client's name still
                // reads from the booking.
                let c = sqlx::query(
                    "SELECT c.name, c.first_name FROM bookings b JOIN clients c ON c.id = b.client_id WHERE b.id = $1",
                )
                .bind(b)
                .fetch_optional(&mut **tx)
                .await?;
                if let Some(c) = c {
                    f.text("client.first_name", c.try_get("first_name")?);
                    f.text("client.name", c.try_get("name")?);
                }
            }
        }
        Subject::Message(m) => {
            let Some(thread) = message_facts(tx, org, m, &mut f).await? else { return Ok(None) };
            thread_facts(tx, org, thread, &mut f, t).await?;
        }
        Subject::Window(w) => {
            let Some((thread, booking)) = window_facts(tx, org, w, &mut f, tz).await? else { return Ok(None) };
            thread_facts(tx, org, thread, &mut f, t).await?;
            if let Some(b) = booking {
                booking_facts(tx, org, b, &mut f, tz).await?;
            }
        }
        Subject::Thread(thread) => {
            if !thread_facts(tx, org, thread, &mut f, t).await? {
                return Ok(None);
            }
            let last = sqlx::query(
                "SELECT id FROM messages WHERE thread_id = $1 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(thread)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(m) = last {
                message_facts(tx, org, m.try_get("id")?, &mut f).await?;
            }
            let w = sqlx::query(
                "SELECT id, starts_at, ends_at FROM assignment_windows WHERE thread_id = $1 AND deleted_at IS NULL
                 ORDER BY CASE WHEN starts_at <= $2 AND ends_at > $2 THEN 0 ELSE 1 END, ABS(starts_at - $2), id LIMIT 1",
            )
            .bind(thread)
            .bind(ms(t))
            .fetch_optional(&mut **tx)
            .await?;
            // The routed sitter of the last text, if any, unless a window
            // says otherwise below.
            let routed = f.sitter.take();
            if let Some(w) = w {
                let (starts, ends): (i64, i64) = (w.try_get("starts_at")?, w.try_get("ends_at")?);
                if let Some((_, Some(b))) = window_facts(tx, org, w.try_get("id")?, &mut f, tz).await? {
                    booking_facts(tx, org, b, &mut f, tz).await?;
                }
                // Only a window open now makes its sitter "the assigned sitter".
                if !(starts..ends).contains(&ms(t)) {
                    f.sitter = None;
                }
            } else {
                f.sitter = routed;
            }
        }
    }
    // A sitter reads a client's text only if it came in during one of their
    // windows on the conversation (as in the app).
    if let (Some(thread), Some(sitter), Some(at)) = (f.thread, f.sitter, f.message_at) {
        let inside = sqlx::query(
            "SELECT id FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL
               AND starts_at <= $3 AND ends_at > $3 LIMIT 1",
        )
        .bind(thread.0)
        .bind(sitter)
        .bind(at)
        .fetch_optional(&mut **tx)
        .await?;
        if inside.is_none() {
            f.message_for_sitter = None;
        }
    }
    Ok(Some(f))
}

/// An automation as stored.
#[derive(Clone, Debug)]
pub struct Definition {
    pub id: i64,
    pub org: OrgId,
    pub name: String,
    pub version: i64,
    pub trigger: Trigger,
    pub conditions: ConditionGroup,
    pub actions: Vec<Action>,
    pub updated_at: i64,
}

fn definition(r: &sqlx::any::AnyRow) -> Result<Option<Definition>, sqlx::Error> {
    let Ok(trigger) = serde_json::from_str::<Trigger>(&r.try_get::<String, _>("trigger_def")?) else { return Ok(None) };
    Ok(Some(Definition {
        id: r.try_get("id")?,
        org: OrgId(r.try_get("org_id")?),
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        trigger,
        conditions: serde_json::from_str(&r.try_get::<String, _>("conditions")?).unwrap_or_default(),
        actions: serde_json::from_str(&r.try_get::<String, _>("actions")?).unwrap_or_default(),
        updated_at: r.try_get("updated_at")?,
    }))
}

const COLUMNS: &str = "id, org_id, name, version, trigger_def, conditions, actions, updated_at";

pub async fn load(c: &mut sqlx::AnyConnection, org: OrgId, id: i64) -> Result<Option<Definition>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM automations WHERE id = $1 AND org_id = $2"))
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?;
    Ok(match r {
        Some(r) => definition(&r)?,
        None => None,
    })
}

async fn active(state: &AppState, org: Option<OrgId>) -> Result<Vec<Definition>, sqlx::Error> {
    let rows = match org {
        Some(o) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM automations WHERE org_id = $1 AND status = 'active' ORDER BY id"
            ))
            .bind(o.0)
            .fetch_all(&state.db.read)
            .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM automations WHERE status = 'active' ORDER BY id"))
                .fetch_all(&state.db.read)
                .await?
        }
    };
    let mut out = Vec::new();
    for r in rows {
        if let Some(d) = definition(&r)? {
            out.push(d);
        }
    }
    Ok(out)
}

/// What a run did, for the test panel and the log.
#[derive(Clone, Debug)]
pub struct Executed {
    pub id: i64,
    pub status: RunStatus,
    /// Whether the conditions held for this subject.
    pub matched: bool,
    pub conditions: Vec<ConditionOutcome>,
    pub actions: Vec<serde_json::Value>,
}

/// One run in progress, as each of its steps sees it.
struct Run<'a> {
    def: &'a Definition,
    subject: Subject,
    facts: Facts,
    /// The run's key, the same for every attempt (what staff texts and
    /// retries are keyed on).
    key: Option<String>,
    t: DateTime<Utc>,
    actor: Actor,
}

/// One action's line in the execution log, and whether it failed the run.
type ActionResult = (serde_json::Value, bool);

/// Runs (or, with `test`, rehearses) one automation for one subject.
/// Returns `None` when it already ran for this subject or the subject is
/// gone.
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    tx: &mut Tx,
    def: &Definition,
    trigger: TriggerKind,
    subject: Subject,
    dedupe: Option<String>,
    test: Option<&Actor>,
    t: DateTime<Utc>,
    attempt: u32,
) -> Result<Option<Executed>, sqlx::Error> {
    // Each attempt of a run is its own execution; the first keeps the key.
    let key = dedupe.clone();
    let dedupe = dedupe.map(|k| if attempt > 1 { format!("{k}#{attempt}") } else { k });
    if let Some(k) = &dedupe {
        let seen = sqlx::query("SELECT id FROM automation_executions WHERE automation_id = $1 AND dedupe_key = $2")
            .bind(def.id)
            .bind(k)
            .fetch_optional(&mut **tx)
            .await?;
        if seen.is_some() {
            return Ok(None);
        }
    }
    let Some(facts) = facts(tx, def.org, subject, t).await? else { return Ok(None) };
    let (passed, outcomes) = evaluate(&def.conditions, &facts.fields);
    let actor = Actor { kind: ActorKind::Automation, id: Some(def.id), name: def.name.clone(), request_id: None };
    let run = Run { def, subject, facts, key, t, actor };
    let (mut results, failed) = match test {
        Some(_) => rehearse(tx, &run).await?,
        None if passed => act(tx, &run).await?,
        None => (Vec::new(), false),
    };
    // A failed run is tried again per the delivery settings; only the last
    // attempt counts as a failure (towards pausing the automation).
    let mut values = run.facts.values.clone();
    let retry_at = match test.is_none() && passed && failed {
        true => schedule_retry(tx, &run, trigger, attempt, &mut values).await?,
        false => None,
    };
    if let Some(at) = retry_at {
        let tz = org_context(tx, def.org).await?.tz;
        results.push(serde_json::json!({ "action": 0, "result": "retry scheduled",
            "reason": format!("tries again at {} (attempt {} of the delivery settings' retries)", tz.time(at), attempt + 1) }));
    }
    let status = match (test.is_some(), passed, failed) {
        (true, _, false) => RunStatus::TestPassed,
        (true, _, true) => RunStatus::TestFailed,
        (false, false, _) => RunStatus::Skipped,
        (false, true, false) => RunStatus::Succeeded,
        (false, true, true) if retry_at.is_some() => RunStatus::Retrying,
        (false, true, true) => RunStatus::Failed,
    };
    let log = ExecutionLog { values: &values, conditions: &outcomes, actions: &results, status, dedupe: &dedupe };
    let exec = log_execution(tx, &run, trigger, test.is_some(), &log).await?;
    match test {
        Some(tester) => tested(tx, &run, tester, exec, status, failed).await?,
        None => ran(tx, &run, trigger, exec, status).await?,
    }
    Ok(Some(Executed { id: exec, status, matched: passed, conditions: outcomes, actions: results }))
}

/// Rehearsal: render everything, send nothing. It passes when the
/// automation could act and every message renders completely.
async fn rehearse(tx: &mut Tx, run: &Run<'_>) -> Result<(Vec<serde_json::Value>, bool), sqlx::Error> {
    let (def, f) = (run.def, &run.facts);
    let mut ok = problems(&def.trigger, &def.conditions, &def.actions).is_empty();
    let mut results = Vec::new();
    for (i, action) in def.actions.iter().enumerate() {
        let r = match action.recipient {
            Some(Recipient::Sitter) => render(&action.template, &f.sitter_values()),
            _ => render(&action.template, &f.values),
        };
        let what = match (action.kind, action.recipient) {
            (ActionKind::SendSms, Some(Recipient::Client) | None) if f.thread.is_none() => {
                ok = false;
                "would fail: no conversation to text from".to_string()
            }
            (ActionKind::SendSms, Some(who @ (Recipient::Sitter | Recipient::Owner))) => {
                match staff_recipients(tx, def.org, who, f.sitter).await? {
                    Ok(people) => format!(
                        "would text {} from the Front Desk number",
                        people.iter().map(|(n, p)| format!("{n} ({})", p.display())).collect::<Vec<_>>().join(", ")
                    ),
                    Err(why) => {
                        ok = false;
                        format!("would fail: {why}")
                    }
                }
            }
            (ActionKind::SendSms, _) => {
                format!("would text {}", action.recipient.map(|r| r.label()).unwrap_or("nobody"))
            }
            (ActionKind::CreateAlert, _) => {
                format!("would raise a {} alert", action.severity.as_deref().unwrap_or("info"))
            }
        };
        if !r.unknown.is_empty() || !r.missing.is_empty() {
            ok = false;
        }
        results.push(serde_json::json!({
            "action": i + 1, "result": what, "text": r.text, "unknown": r.unknown, "missing": r.missing,
        }));
    }
    Ok((results, !ok))
}

/// Does each action for real: texts go through the one send function (or,
/// to staff, through their own job), alerts through `raise`.
async fn act(tx: &mut Tx, run: &Run<'_>) -> Result<(Vec<serde_json::Value>, bool), sqlx::Error> {
    let ctx = org_context(tx, run.def.org).await?;
    let rate = i64::from(ctx.settings.automation_rate_per_thread_hour.max(1));
    let mut results = Vec::new();
    let mut failed = false;
    for (i, action) in run.def.actions.iter().enumerate() {
        let n = i + 1;
        let rendered = render(&action.template, &run.facts.values).text;
        let limited = match (action.kind, run.facts.thread) {
            (ActionKind::SendSms, Some(thread)) => {
                Some(automated_last_hour(tx, thread, run.t).await?).filter(|n| *n >= rate)
            }
            _ => None,
        };
        let fail = |reason: &str| (serde_json::json!({ "action": n, "result": "failed", "reason": reason }), true);
        let (result, bad) = match (action.kind, action.recipient, run.facts.thread, limited) {
            (ActionKind::SendSms, Some(_), Some(_), Some(recent)) => (
                serde_json::json!({ "action": n, "result": "skipped",
                    "reason": format!("this conversation already had {recent} automated texts in the last hour; the limit in Settings is {rate} (it stops automations answering automations)") }),
                false,
            ),
            (ActionKind::SendSms, Some(Recipient::Client), Some(thread), None) => {
                text_client(tx, run, n, thread, rendered).await?
            }
            (ActionKind::SendSms, Some(Recipient::Client), None, _) if matches!(run.subject, Subject::Booking(_)) => (
                // A requested booking has no conversation yet: nothing
                // wrong with the automation.
                serde_json::json!({ "action": n, "result": "skipped",
                    "reason": "the booking has no conversation yet (it is only requested)" }),
                false,
            ),
            (ActionKind::SendSms, Some(Recipient::Client), None, _) => fail("there is no conversation to text from"),
            (ActionKind::SendSms, Some(who @ (Recipient::Sitter | Recipient::Owner)), _, _) => {
                match staff_recipients(tx, run.def.org, who, run.facts.sitter).await? {
                    Err(why) => fail(&why),
                    Ok(people) => {
                        let text = match who {
                            Recipient::Sitter => render(&action.template, &run.facts.sitter_values()).text,
                            _ => rendered,
                        };
                        (text_staff(tx, run, &ctx, n, &people, text).await?, false)
                    }
                }
            }
            (ActionKind::SendSms, None, _, _) => fail("the action has no recipient"),
            (ActionKind::CreateAlert, _, _, _) => (raise_alert(tx, run, n, action, rendered).await?, false),
        };
        failed |= bad;
        results.push(result);
    }
    Ok((results, failed))
}

/// Texts the client through the one send function, as the automation.
async fn text_client(
    tx: &mut Tx,
    run: &Run<'_>,
    n: usize,
    thread: ThreadId,
    text: String,
) -> Result<ActionResult, sqlx::Error> {
    let req = SendRequest {
        org: run.def.org,
        thread,
        body: text.clone(),
        sender: Sender::Automation,
        actor: run.actor.clone(),
        confirmed: false,
        automation_id: Some(run.def.id),
    };
    let refused = |reason: &str| (serde_json::json!({ "action": n, "result": "refused", "reason": reason }), true);
    Ok(match send::send_in(tx, &req, run.t).await {
        Ok(SendOutcome::Queued { message_id, scheduled_for }) => (
            serde_json::json!({
                "action": n, "result": if scheduled_for.is_some() { "scheduled (quiet hours)" } else { "queued" },
                "message_id": message_id.0, "text": text,
                "scheduled_for": scheduled_for.map(|s| s.to_rfc3339()),
            }),
            false,
        ),
        Ok(SendOutcome::Refused { reason, .. }) if reason == crate::domain::outbound::Refusal::OptedOut.message() => {
            // The client said STOP: nothing wrong with the automation.
            (serde_json::json!({ "action": n, "result": "skipped", "reason": reason }), false)
        }
        Ok(SendOutcome::Refused { reason, .. }) => refused(&reason),
        Ok(SendOutcome::NeedsConfirmation { .. }) => refused("blocked by the anti-poaching check"),
        Err(send::SendError::Db(e)) => return Err(e),
        Err(e) => (serde_json::json!({ "action": n, "result": "failed", "reason": e.to_string() }), true),
    })
}

/// Queues a text to each staff member's own phone (after quiet hours, if
/// they are on), keyed on the run so a retried run doesn't text them again,
/// and notes it in the conversation.
async fn text_staff(
    tx: &mut Tx,
    run: &Run<'_>,
    ctx: &crate::messaging::store::OrgContext,
    n: usize,
    people: &[(String, E164)],
    text: String,
) -> Result<serde_json::Value, sqlx::Error> {
    let (def, thread) = (run.def, run.facts.thread);
    let later = crate::domain::automation::defer_until(run.t, ctx.tz, ctx.settings.quiet_hours);
    let names: Vec<String> = people.iter().map(|(name, phone)| format!("{name} ({})", phone.display())).collect();
    let mut queued = false;
    for (name, phone) in people {
        let mut job = NewJob::now(
            Some(def.org),
            STAFF_JOB,
            serde_json::json!({
                "automation_id": def.id, "automation": def.name, "to": phone.as_str(), "who": name,
                "body": text, "thread_id": thread.map(|th| th.0),
            }),
        )
        .attempts(i64::from(ctx.settings.delivery.max_attempts.max(1)));
        if let Some(at) = later {
            job = job.at(at);
        }
        if let Some(key) = &run.key {
            job = job.dedupe(format!("{STAFF_JOB}:{}:{key}:{n}:{}", def.id, phone.as_str()));
        }
        queued |= crate::platform::jobs::enqueue(tx, job).await?.is_some();
    }
    let when = match later {
        Some(at) => format!(" at {} (quiet hours)", ctx.tz.day_time(at)),
        None => String::new(),
    };
    if let (Some(thread), true) = (thread, queued) {
        let note = format!("Automation \"{}\" texts {}{when}, from the Front Desk number.", def.name, names.join(", "));
        automation_note(tx, def.org, thread, def.id, &note, run.t).await?;
    }
    Ok(serde_json::json!({
        "action": n, "result": format!("texting {}{when}", names.join(", ")), "to": names, "text": text,
        "scheduled_for": later.map(|s| s.to_rfc3339()),
    }))
}

async fn raise_alert(
    tx: &mut Tx,
    run: &Run<'_>,
    n: usize,
    action: &Action,
    text: String,
) -> Result<serde_json::Value, sqlx::Error> {
    let def = run.def;
    let severity = action.severity.as_deref().and_then(Severity::parse).unwrap_or(Severity::Info);
    let subject_key = match run.subject {
        Subject::Booking(b) => format!("booking:{b}"),
        Subject::Message(m) => format!("message:{m}"),
        Subject::Window(w) => format!("window:{w}"),
        Subject::Thread(th) => format!("thread:{th}"),
    };
    let alert = crate::alerts::service::raise(
        tx,
        def.org,
        crate::alerts::service::Raise {
            rule: "automation",
            cause_key: format!("automation:{}:{subject_key}", def.id),
            severity,
            title: format!("{}: {}", def.name, text.chars().take(120).collect::<String>()),
            body: text.clone(),
            thread_id: run.facts.thread.map(|t| t.0),
            number_id: None,
        },
        run.t,
    )
    .await?
    .map(|(a, _)| a);
    Ok(serde_json::json!({ "action": n, "result": "alert raised", "alert_id": alert, "text": text }))
}

/// Queues the next attempt of a failed run, when the delivery settings
/// allow one; returns when it will run.
async fn schedule_retry(
    tx: &mut Tx,
    run: &Run<'_>,
    trigger: TriggerKind,
    attempt: u32,
    values: &mut BTreeMap<String, String>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let def = run.def;
    let delivery = org_context(tx, def.org).await?.settings.delivery;
    let max = delivery.max_attempts.max(1);
    if max > 1 {
        values.insert("run.attempt".into(), format!("{attempt} of {max}"));
    }
    let (Some(key), true) = (&run.key, attempt < max) else { return Ok(None) };
    let wait = crate::messaging::delivery::backoff(delivery.backoff_seconds, i64::from(attempt));
    let at = run.t + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::seconds(30));
    crate::platform::jobs::enqueue(
        tx,
        NewJob::now(
            Some(def.org),
            RETRY_JOB,
            serde_json::json!({
                "automation_id": def.id, "version": def.version, "trigger": trigger.as_str(),
                "subject": run.subject.to_json(), "key": key, "attempt": attempt + 1,
            }),
        )
        .at(at)
        .dedupe(format!("{RETRY_JOB}:{}:{key}#{}", def.id, attempt + 1)),
    )
    .await?;
    Ok(Some(at))
}

/// What an execution's log row records.
struct ExecutionLog<'a> {
    values: &'a BTreeMap<String, String>,
    conditions: &'a [ConditionOutcome],
    actions: &'a [serde_json::Value],
    status: RunStatus,
    dedupe: &'a Option<String>,
}

async fn log_execution(
    tx: &mut Tx,
    run: &Run<'_>,
    trigger: TriggerKind,
    is_test: bool,
    log: &ExecutionLog<'_>,
) -> Result<i64, sqlx::Error> {
    let def = run.def;
    sqlx::query(
        "INSERT INTO automation_executions (org_id, automation_id, automation_version, is_test, trigger_kind, context, conditions, actions,
            status, thread_id, booking_id, dedupe_key, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(def.org.0)
    .bind(def.id)
    .bind(def.version)
    .bind(i64::from(is_test))
    .bind(trigger.as_str())
    .bind(serde_json::to_string(log.values).unwrap_or_default())
    .bind(serde_json::to_string(log.conditions).unwrap_or_default())
    .bind(serde_json::Value::Array(log.actions.to_vec()).to_string())
    .bind(log.status.as_str())
    .bind(run.facts.thread.map(|t| t.0))
    .bind(match run.subject {
        Subject::Booking(b) => Some(b),
        _ => None,
    })
    .bind(log.dedupe)
    .bind(ms(run.t))
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")
}

/// "booking 12", "conversation 4": what a run was about, for the log.
fn about(subject: Subject) -> String {
    match subject {
        Subject::Booking(b) => format!("booking {b}"),
        Subject::Message(m) => format!("message {m}"),
        Subject::Window(w) => format!("assignment window {w}"),
        Subject::Thread(th) => format!("conversation {th}"),
    }
}

/// A rehearsal's record: a passing test marks this version tested.
async fn tested(
    tx: &mut Tx,
    run: &Run<'_>,
    tester: &Actor,
    exec: i64,
    status: RunStatus,
    failed: bool,
) -> Result<(), sqlx::Error> {
    let def = run.def;
    if !failed {
        sqlx::query("UPDATE automations SET tested_version = $1 WHERE id = $2")
            .bind(def.version)
            .bind(def.id)
            .execute(&mut **tx)
            .await?;
    }
    let summary =
        format!("{} tested \"{}\" against {}: {}", tester.name, def.name, about(run.subject), status.as_str());
    let mut ev = Event::new("automation.tested", "automation", def.id, summary)
        .payload(serde_json::json!({ "execution_id": exec, "version": def.version, "status": status.as_str() }));
    ev.thread_id = run.facts.thread.map(|t| t.0);
    audit::append(tx, def.org, tester, ev).await?;
    Ok(())
}

/// A real run's record: its audit event, the run of failures, and the
/// pause (with an alert) once the automation keeps failing.
async fn ran(
    tx: &mut Tx,
    run: &Run<'_>,
    trigger: TriggerKind,
    exec: i64,
    status: RunStatus,
) -> Result<(), sqlx::Error> {
    let (def, t) = (run.def, run.t);
    let failures: i64 = sqlx::query(
        "UPDATE automations SET last_run_at = $1,
            failure_count = CASE WHEN $2 = 1 THEN failure_count + 1 WHEN $3 = 1 THEN 0 ELSE failure_count END
         WHERE id = $4 RETURNING failure_count",
    )
    .bind(ms(t))
    .bind(i64::from(status == RunStatus::Failed))
    .bind(i64::from(status == RunStatus::Succeeded))
    .bind(def.id)
    .fetch_one(&mut **tx)
    .await?
    .try_get("failure_count")?;
    let about = about(run.subject);
    let summary = format!("{} ran for {about} ({}): {}", def.name, trigger.label().to_lowercase(), status.as_str());
    let mut ev = Event::new("automation.executed", "automation", def.id, summary)
        .payload(serde_json::json!({ "execution_id": exec, "status": status.as_str(), "subject": about }));
    ev.thread_id = run.facts.thread.map(|t| t.0);
    audit::append(tx, def.org, &run.actor, ev).await?;
    if status != RunStatus::Failed || failures < PAUSE_AFTER_FAILURES {
        return Ok(());
    }
    let reason = format!("Paused after {failures} failed runs in a row; see the execution log.");
    sqlx::query("UPDATE automations SET status = 'paused', flagged_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'active'")
        .bind(&reason)
        .bind(ms(t))
        .bind(def.id)
        .execute(&mut **tx)
        .await?;
    crate::alerts::service::raise(
        tx,
        def.org,
        crate::alerts::service::Raise {
            rule: "automation_failing",
            cause_key: format!("automation_failing:{}", def.id),
            severity: Severity::Warning,
            title: format!("Automation \"{}\" keeps failing and was paused", def.name),
            body: reason.clone(),
            thread_id: None,
            number_id: None,
        },
        t,
    )
    .await?;
    audit::append(
        tx,
        def.org,
        &Actor::system(None),
        Event::new("automation.paused", "automation", def.id, format!("\"{}\" paused: {reason}", def.name))
            .payload(serde_json::json!({ "failures": failures })),
    )
    .await?;
    Ok(())
}

/// Automated texts (and texts to staff about it) a conversation had in the
/// last hour: what the per-conversation limit in Settings counts.
async fn automated_last_hour(tx: &mut Tx, thread: ThreadId, t: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM messages WHERE thread_id = $1 AND automation_id IS NOT NULL AND created_at > $2",
    )
    .bind(thread.0)
    .bind(ms(t) - 3_600_000)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")
}

/// A note in the conversation that an automation did something there.
async fn automation_note(
    tx: &mut Tx,
    org: OrgId,
    thread: ThreadId,
    automation: i64,
    text: &str,
    t: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (org_id, thread_id, direction, sender_kind, body, status, automation_id, created_at)
         VALUES ($1, $2, 'note', 'system', $3, 'recorded', $4, $5)",
    )
    .bind(org.0)
    .bind(thread.0)
    .bind(text)
    .bind(automation)
    .bind(ms(t))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who "the assigned sitter" or "the owner" is for a run, with the mobile
/// number to text; or why nobody can be texted, in plain words.
async fn staff_recipients(
    tx: &mut Tx,
    org: OrgId,
    who: Recipient,
    sitter: Option<i64>,
) -> Result<Result<Vec<(String, E164)>, String>, sqlx::Error> {
    if org_context(tx, org).await?.front_desk.is_none() {
        return Ok(Err("there is no Front Desk number in service to text from".into()));
    }
    match who {
        Recipient::Sitter => {
            let Some(sitter) = sitter else {
                return Ok(Err("no sitter is assigned to this conversation".into()));
            };
            let r = sqlx::query("SELECT name, phone, active FROM sitters WHERE id = $1 AND org_id = $2")
                .bind(sitter)
                .bind(org.0)
                .fetch_optional(&mut **tx)
                .await?;
            let Some(r) = r else { return Ok(Err("the assigned sitter no longer exists".into())) };
            let name: String = r.try_get("name")?;
            if r.try_get::<i64, _>("active")? == 0 {
                return Ok(Err(format!("{name} isn't an active sitter any more")));
            }
            Ok(match r.try_get::<Option<String>, _>("phone")?.as_deref().and_then(E164::from_canonical) {
                Some(phone) => Ok(vec![(name, phone)]),
                None => Err(format!("{name} has no mobile number (add it on the People page)")),
            })
        }
        Recipient::Owner => {
            let rows = sqlx::query(
                "SELECT name, phone FROM users WHERE org_id = $1 AND role = 'owner' AND active = 1 AND phone IS NOT NULL ORDER BY id",
            )
            .bind(org.0)
            .fetch_all(&mut **tx)
            .await?;
            let mut people = Vec::new();
            for r in rows {
                if let Some(phone) = r.try_get::<Option<String>, _>("phone")?.as_deref().and_then(E164::from_canonical)
                {
                    people.push((r.try_get("name")?, phone));
                }
            }
            Ok(if people.is_empty() {
                Err("no owner has a mobile number yet (each owner adds theirs under Settings, Your account)".into())
            } else {
                Ok(people)
            })
        }
        Recipient::Client => Ok(Err("clients are texted in their conversation".into())),
    }
}

/// The `automation.staff_text` job: an automation's text to a sitter's or
/// an owner's own phone, from the Front Desk number. How it ended goes to
/// the audit trail and the conversation; a text that can't be delivered
/// raises an alert, so an automation never fails silently.
pub async fn run_staff_text(state: &AppState, job: &Job) -> Outcome {
    match run_staff_text_inner(state, job).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry { error: format!("database: {e}"), after: std::time::Duration::from_secs(5) },
    }
}

async fn run_staff_text_inner(state: &AppState, job: &Job) -> Result<Outcome, sqlx::Error> {
    let p = &job.payload;
    let (Some(org), Some(automation), Some(to), Some(body)) = (
        job.org_id,
        p.get("automation_id").and_then(|v| v.as_i64()),
        p.get("to").and_then(|v| v.as_str()).and_then(E164::from_canonical),
        p.get("body").and_then(|v| v.as_str()),
    ) else {
        return Ok(Outcome::Fail { error: "automation staff text job without its recipient".into() });
    };
    let name = p.get("automation").and_then(|v| v.as_str()).unwrap_or("An automation").to_string();
    let who = p.get("who").and_then(|v| v.as_str()).unwrap_or("someone").to_string();
    let thread = p.get("thread_id").and_then(|v| v.as_i64()).map(ThreadId);
    let reference = format!("automation-staff-{}", job.id);
    let (outcome, ended) = crate::messaging::staff::attempt(state, job, org, &to, body, &reference).await?;
    let Some(ended) = ended else { return Ok(outcome) };
    let t = now();
    let actor = Actor { kind: ActorKind::Automation, id: Some(automation), name: name.clone(), request_id: None };
    let mut tx = state.db.begin().await?;
    match &ended {
        crate::messaging::staff::Ended::Texted => {
            let mut ev = Event::new(
                "automation.staff_texted",
                "automation",
                automation,
                format!("\"{name}\" texted {who} at {}", to.display()),
            )
            .payload(serde_json::json!({ "to": to.as_str(), "who": who, "job_id": job.id }));
            ev.thread_id = thread.map(|th| th.0);
            audit::append(&mut tx, org, &actor, ev).await?;
        }
        crate::messaging::staff::Ended::Failed(why) => {
            let mut ev = Event::new(
                "automation.staff_text_failed",
                "automation",
                automation,
                format!("\"{name}\" couldn't text {who} at {}: {why}", to.display()),
            )
            .payload(serde_json::json!({ "to": to.as_str(), "who": who, "job_id": job.id, "reason": why }));
            ev.thread_id = thread.map(|th| th.0);
            audit::append(&mut tx, org, &actor, ev).await?;
            if let Some(th) = thread {
                // A plain note: a failure doesn't count towards the hourly limit.
                let text = format!("Automation \"{name}\" couldn't text {who}: {why}");
                crate::messaging::store::note(&mut tx, org, th, &text, t).await?;
            }
            crate::alerts::service::raise(
                &mut tx,
                org,
                crate::alerts::service::Raise {
                    rule: "automation",
                    cause_key: format!("automation:{automation}:staff_text:{}", job.id),
                    severity: Severity::Warning,
                    title: format!("Automation \"{name}\" couldn't text {who}"),
                    body: why.clone(),
                    thread_id: thread.map(|th| th.0),
                    number_id: None,
                },
                t,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The `automation.booking` and `automation.message` jobs.
pub async fn run(state: &AppState, job: &Job) -> Outcome {
    let trigger = job.payload.get("trigger").and_then(|v| v.as_str()).and_then(TriggerKind::parse);
    let subject = if let Some(b) = job.payload.get("booking_id").and_then(|v| v.as_i64()) {
        Some((Subject::Booking(b), format!("booking:{b}")))
    } else {
        job.payload.get("message_id").and_then(|v| v.as_i64()).map(|m| (Subject::Message(m), format!("message:{m}")))
    };
    let (Some(org), Some((subject, key)), Some(trigger)) = (job.org_id, subject, trigger) else {
        return Outcome::Fail { error: "automation job without its subject or trigger".into() };
    };
    match run_event(state, org, trigger, subject, &key).await {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(30) },
    }
}

/// The `automation.retry` job: the same automation (if still switched on
/// and unedited) for the same subject, as attempt N.
pub async fn run_retry(state: &AppState, job: &Job) -> Outcome {
    let p = &job.payload;
    let (Some(org), Some(id), Some(version), Some(trigger), Some(subject), Some(key), Some(attempt)) = (
        job.org_id,
        p.get("automation_id").and_then(|v| v.as_i64()),
        p.get("version").and_then(|v| v.as_i64()),
        p.get("trigger").and_then(|v| v.as_str()).and_then(TriggerKind::parse),
        p.get("subject").and_then(Subject::from_json),
        p.get("key").and_then(|v| v.as_str()),
        p.get("attempt").and_then(|v| v.as_u64()).and_then(|a| u32::try_from(a).ok()),
    ) else {
        return Outcome::Fail { error: "automation retry without its automation, subject or attempt".into() };
    };
    let res: Result<(), sqlx::Error> = async {
        let def = {
            let mut c = state.db.read.acquire().await?;
            let on = sqlx::query("SELECT status, version FROM automations WHERE id = $1 AND org_id = $2")
                .bind(id)
                .bind(org.0)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get::<String, _>("status")?, r.try_get::<i64, _>("version")?)))
                .transpose()?;
            // Paused, archived or edited since: the retry lapses.
            if on != Some(("active".to_string(), version)) {
                return Ok(());
            }
            load(&mut c, org, id).await?
        };
        let Some(def) = def else { return Ok(()) };
        let mut tx = state.db.begin().await?;
        let done = execute(&mut tx, &def, trigger, subject, Some(key.to_string()), None, now(), attempt).await?;
        tx.commit().await?;
        if done.is_some() {
            state.wake_worker();
        }
        Ok(())
    }
    .await;
    match res {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(30) },
    }
}

async fn run_event(
    state: &AppState,
    org: OrgId,
    trigger: TriggerKind,
    subject: Subject,
    key: &str,
) -> Result<(), sqlx::Error> {
    for def in active(state, Some(org)).await? {
        if def.trigger.kind != trigger {
            continue;
        }
        let mut tx = state.db.begin().await?;
        let done =
            execute(&mut tx, &def, trigger, subject, Some(format!("{key}:{}", trigger.as_str())), None, now(), 1)
                .await?;
        tx.commit().await?;
        if done.is_some() {
            state.wake_worker();
        }
    }
    Ok(())
}

/// The timed triggers: windows about to start, windows that ended, clients
/// waiting without a reply. Runs from the worker every half minute; each
/// subject runs once per automation (the dedupe key).
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    let t = now();
    let at = ms(t);
    let mut ran = 0;
    for def in active(state, None).await? {
        let minutes = def.trigger.minutes.unwrap_or(0).max(0);
        let (sql, since): (&str, i64) = match def.trigger.kind {
            TriggerKind::WindowStarting => (
                "SELECT id, starts_at AS k FROM assignment_windows WHERE org_id = $1 AND deleted_at IS NULL
                 AND starts_at > $2 AND starts_at <= $3 ORDER BY starts_at LIMIT 200",
                at,
            ),
            TriggerKind::WindowEnded => (
                "SELECT id, ends_at AS k FROM assignment_windows WHERE org_id = $1 AND deleted_at IS NULL
                 AND ends_at > $2 AND ends_at <= $3 ORDER BY ends_at LIMIT 200",
                // Only windows that ended since it was switched on (at most a day back).
                def.updated_at.max(at - 86_400_000),
            ),
            TriggerKind::ClientUnanswered => (
                "SELECT id, awaiting_reply_since AS k FROM threads WHERE org_id = $1 AND awaiting_reply_since IS NOT NULL
                 AND awaiting_reply_since > $2 AND awaiting_reply_since <= $3 ORDER BY awaiting_reply_since LIMIT 200",
                at - 86_400_000,
            ),
            _ => continue,
        };
        let until = match def.trigger.kind {
            TriggerKind::WindowStarting => at + minutes * 60_000,
            TriggerKind::ClientUnanswered => at - minutes * 60_000,
            _ => at,
        };
        let rows = sqlx::query(sql).bind(def.org.0).bind(since).bind(until).fetch_all(&state.db.read).await?;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let k: i64 = r.try_get("k")?;
            let (subject, key) = match def.trigger.kind {
                TriggerKind::WindowStarting => (Subject::Window(id), format!("window:{id}:starting")),
                TriggerKind::WindowEnded => (Subject::Window(id), format!("window:{id}:ended")),
                // One nudge per waiting stretch.
                _ => (Subject::Thread(id), format!("unanswered:{id}:{k}")),
            };
            let mut tx = state.db.begin().await?;
            if execute(&mut tx, &def, def.trigger.kind, subject, Some(key), None, t, 1).await?.is_some() {
                ran += 1;
            }
            tx.commit().await?;
        }
    }
    if ran > 0 {
        state.wake_worker();
    }
    Ok(ran)
}

/// Prefix of the flag set when the roster or numbers changed under an
/// automation (cleared again once it can act).
pub const CANT_ACT: &str = "Can't act any more: ";

/// Today's active sitters and the classes of number in service.
pub async fn roster(c: &mut sqlx::AnyConnection, org: OrgId) -> Result<Roster, sqlx::Error> {
    let sitters = sqlx::query("SELECT first_name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY first_name")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get("first_name"))
        .collect::<Result<_, _>>()?;
    let number_classes =
        sqlx::query("SELECT DISTINCT class FROM numbers WHERE org_id = $1 AND status = 'active' ORDER BY class")
            .bind(org.0)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| r.try_get("class"))
            .collect::<Result<_, _>>()?;
    Ok(Roster { sitters, number_classes })
}

/// Checks every active or paused automation against today's sitters and
/// numbers (SPEC §3.6): one that can no longer act is flagged (with an
/// alert and an audit event), and the flag clears once it can act again.
/// Runs from the worker's sweep, so a roster change shows within a minute.
pub async fn revalidate(state: &AppState) -> Result<usize, sqlx::Error> {
    let t = now();
    let rows = sqlx::query(
        "SELECT id, org_id, name, trigger_def, conditions, actions, flagged_reason FROM automations
         WHERE status IN ('active', 'paused') ORDER BY org_id, id",
    )
    .fetch_all(&state.db.read)
    .await?;
    let mut rosters: BTreeMap<i64, Roster> = BTreeMap::new();
    let mut changed = 0;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let org: i64 = r.try_get("org_id")?;
        let name: String = r.try_get("name")?;
        let Ok(trigger) = serde_json::from_str::<Trigger>(&r.try_get::<String, _>("trigger_def")?) else { continue };
        let conditions: ConditionGroup =
            serde_json::from_str(&r.try_get::<String, _>("conditions")?).unwrap_or_default();
        let actions: Vec<Action> = serde_json::from_str(&r.try_get::<String, _>("actions")?).unwrap_or_default();
        let flagged: Option<String> = r.try_get("flagged_reason")?;
        if let std::collections::btree_map::Entry::Vacant(e) = rosters.entry(org) {
            let mut c = state.db.read.acquire().await?;
            e.insert(roster(&mut c, OrgId(org)).await?);
        }
        let Some(roster) = rosters.get(&org) else { continue };
        let problems = roster_problems(&trigger, &conditions, &actions, roster);
        let reason = (!problems.is_empty()).then(|| format!("{CANT_ACT}{}", problems.join(" ")));
        let ours = flagged.as_deref().is_some_and(|f| f.starts_with(CANT_ACT));
        let (next, kind, summary) = match (&reason, ours) {
            (Some(why), _) if flagged.as_deref() != Some(why.as_str()) => (
                Some(why.clone()),
                "automation.flagged",
                format!("\"{name}\" can't act any more: {}", problems.join(" ")),
            ),
            (None, true) => (None, "automation.unflagged", format!("\"{name}\" can act again")),
            // Unchanged, or flagged for another reason (repeated failures).
            _ => continue,
        };
        let mut tx = state.db.begin().await?;
        // Only if nobody changed it meanwhile (an edit, or another sweep).
        let done = sqlx::query(
            "UPDATE automations SET flagged_reason = $1 WHERE id = $2 AND COALESCE(flagged_reason, '') = $3",
        )
        .bind(&next)
        .bind(id)
        .bind(flagged.clone().unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            continue;
        }
        audit::append(
            &mut tx,
            OrgId(org),
            &Actor::system(None),
            Event::new(kind, "automation", id, summary).payload(serde_json::json!({ "problems": problems })),
        )
        .await?;
        if let Some(why) = &next {
            crate::alerts::service::raise(
                &mut tx,
                OrgId(org),
                crate::alerts::service::Raise {
                    rule: "automation_failing",
                    cause_key: format!("automation-cant-act:{id}"),
                    severity: Severity::Warning,
                    title: format!("The automation \"{name}\" can't act any more"),
                    body: format!("{} Edit it, or switch it off.", why.trim_start_matches(CANT_ACT)),
                    thread_id: None,
                    number_id: None,
                },
                t,
            )
            .await?;
        }
        tx.commit().await?;
        changed += 1;
    }
    Ok(changed)
}
