//! Routing control on the server: the page's overview, the simulator's
//! starting point and its server check (the same snapshot an incoming text
//! gets, decided by `domain::routing`), overrides set and removed with their
//! audit event in the same transaction, and override expiry as a durable
//! job. The server functions call these for a signed-in owner; the worker
//! runs the expiry.

use super::store::{self, DecisionFilter, NewOverride, ThreadNames};
use super::*;
use crate::domain::ids::{ClientId, OrgId};
use crate::domain::phone::E164;
use crate::domain::routing::{decide, OverrideSnapshot, OverrideState, OverrideTarget};
use crate::error::AppResult;
use crate::messaging::store::{self as mstore, NumberRow, OrgContext};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::jobs::{self, Job, NewJob, Outcome};
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, AppState, Db};
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

fn rule_text(rule: Rule) -> (&'static str, &'static str) {
    match rule {
        Rule::Safety => (
            "Safety checks",
            "Texts to a number the business doesn't own (or has released) are refused; texts from someone who opted out are only recorded; a pool number passes on only texts from its booking's client.",
        ),
        Rule::Override => ("Override", "If the owner has set an override on the conversation, the text goes where the override says."),
        Rule::Window => (
            "Assignment window",
            "If exactly one sitter's window is active, the text goes to that sitter. Two overlapping windows send it to the owner inbox.",
        ),
        Rule::Default => ("Owner inbox", "Everything else goes to the owner inbox."),
    }
}

fn rule_key(rule: Rule) -> &'static str {
    match rule {
        Rule::Safety => "safety",
        Rule::Override => "override",
        Rule::Window => "window",
        Rule::Default => "default",
    }
}

/// A conversation of the business: its client's name and its number.
async fn thread_row(c: &mut AnyConnection, org: OrgId, id: ThreadId) -> AppResult<(String, NumberRow)> {
    let (client, number) = store::thread_client(c, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation doesn't exist.".into()))?;
    let number = mstore::number_by_id(c, number)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation's number doesn't exist any more.".into()))?;
    Ok((client, number))
}

/// "Ana Reyes — Maya's number +1 (512) 555-0101".
fn thread_label(t: &ThreadNames) -> String {
    let number = E164::from_canonical(&t.e164).map(|e| e.display()).unwrap_or_else(|| t.e164.clone());
    let which = match (t.class.as_str(), t.sitter.as_deref()) {
        ("sitter", Some(s)) => format!("{s}'s number"),
        ("pool", _) => "pool number".to_string(),
        _ => "Front Desk".to_string(),
    };
    format!("{} — {which} {number}", t.client)
}

/// The routing page: each rule in plain words with how often it decided,
/// the conversations and clients to simulate, sitters, and overrides.
pub async fn overview(db: &Db, org: OrgId) -> AppResult<RoutingData> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
    let now = now();
    let mut rules = Vec::new();
    for rule in [Rule::Safety, Rule::Override, Rule::Window, Rule::Default] {
        let (last, recent) = store::rule_stats(&mut c, org, rule_key(rule), now - Duration::hours(24)).await?;
        let (title, plain) = rule_text(rule);
        rules.push(RuleRow {
            rule,
            title: title.into(),
            plain: plain.into(),
            last_evaluated: last.map(|t| crate::domain::time::relative(from_ms(t), now, ctx.tz)),
            decided_24h: recent,
        });
    }
    let threads = store::current_threads(&mut c, org)
        .await?
        .iter()
        .map(|(id, names)| ThreadOption { id: *id, label: thread_label(names) })
        .collect();
    let sitters = store::active_sitters(&mut c, org).await?;
    let overrides = override_rows(&mut c, org, None, &ctx, now).await?;
    let new_clients = store::clients_without_thread(&mut c, org).await?;
    Ok(RoutingData { rules, threads, sitters, overrides, new_clients })
}

async fn override_rows(
    c: &mut AnyConnection,
    org: OrgId,
    thread: Option<ThreadId>,
    ctx: &OrgContext,
    now: DateTime<Utc>,
) -> AppResult<Vec<OverrideRow>> {
    let day_time = |t: i64| ctx.tz.day_time(from_ms(t));
    Ok(store::overrides(c, org, thread)
        .await?
        .into_iter()
        .map(|o| {
            let state = OverrideState::at(from_ms(o.starts), o.ends.map(from_ms), o.removed.map(from_ms), now);
            OverrideRow {
                id: o.id,
                thread: o.thread,
                thread_label: thread_label(&o.names),
                target: if o.target == "owner_inbox" {
                    "Owner inbox".into()
                } else {
                    o.target_name.unwrap_or_else(|| "A sitter".into())
                },
                starts: day_time(o.starts),
                ends: match (o.removed, o.ends) {
                    (Some(r), _) => format!("removed {}", day_time(r)),
                    (None, Some(e)) => day_time(e),
                    (None, None) => "Until removed".into(),
                },
                reason: o.reason,
                created_by: o.by.unwrap_or_else(|| "Owner".into()),
                state: state.label().into(),
                active: state == OverrideState::Active,
            }
        })
        .collect())
}

async fn all_overrides(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<OverrideSnapshot>, sqlx::Error> {
    mstore::overrides(c, thread, None).await
}

/// What the simulator looks at: a conversation, or a client who has none
/// yet, previewing their first text to the Front Desk.
struct Subject {
    thread: Option<ThreadId>,
    client_id: Option<ClientId>,
    client: String,
    number: NumberRow,
    participants: Vec<E164>,
}

async fn subject(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    thread: Option<ThreadId>,
    client: Option<ClientId>,
) -> AppResult<Option<Subject>> {
    let org = ctx.id;
    if let (None, Some(client)) = (thread, client) {
        let name = store::client_name(c, org, client)
            .await?
            .ok_or_else(|| AppError::NotFound("That client doesn't exist.".into()))?;
        let front = match &ctx.front_desk {
            Some(e) => mstore::number_by_e164(c, e).await?,
            None => None,
        }
        .ok_or_else(|| {
            AppError::Conflict("There's no Front Desk number yet, so a new client's first text has nowhere to land. Add one in Numbers.".into())
        })?;
        return Ok(Some(Subject {
            thread: None,
            client_id: Some(client),
            client: name,
            number: front,
            participants: mstore::client_contacts(c, client).await?,
        }));
    }
    let thread = match thread {
        Some(t) => t,
        None => match store::default_thread(c, org).await? {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    let (client, number) = thread_row(c, org, thread).await?;
    Ok(Some(Subject {
        thread: Some(thread),
        client_id: None,
        client,
        number,
        participants: mstore::participants(c, thread).await?,
    }))
}

fn first_name(full: &str) -> String {
    full.split_whitespace().next().unwrap_or("").to_string()
}

/// The snapshot the browser's simulator starts from, with the senders it
/// can pick; `None` when the business has no conversation yet.
pub async fn simulator_base(
    db: &Db,
    org: OrgId,
    thread: Option<ThreadId>,
    client: Option<ClientId>,
) -> AppResult<Option<SimBase>> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
    let Some(sub) = subject(&mut c, &ctx, thread, client).await? else { return Ok(None) };
    let now = now();
    let stranger =
        E164::from_canonical(STRANGER).ok_or_else(|| AppError::Internal(crate::platform::ctx::request_id()))?;
    let sender = sub.participants.first().cloned().unwrap_or_else(|| stranger.clone());
    let opted_out = mstore::opted_out(&mut c, org, &sender, sub.number.id).await?;
    let mut senders: Vec<(String, String)> = sub
        .participants
        .iter()
        .map(|p| (format!("{} ({})", sub.client, p.display()), p.as_str().to_string()))
        .collect();
    senders.push((format!("Someone else ({})", stranger.display()), stranger.as_str().to_string()));
    let (windows, overrides) = match sub.thread {
        Some(t) => (mstore::windows_near(&mut c, t, now, Duration::days(90)).await?, all_overrides(&mut c, t).await?),
        None => (Vec::new(), Vec::new()),
    };
    let snapshot = RoutingSnapshot {
        at: now,
        direction: Direction::Inbound,
        sender,
        business_number: Some(crate::domain::routing::BusinessNumberSnapshot {
            e164: sub.number.e164.clone(),
            status: Some(sub.number.status),
        }),
        thread: crate::domain::routing::ThreadSnapshot {
            id: sub.thread.unwrap_or(ThreadId(0)),
            number_class: sub.number.class,
            participants: sub.participants.clone(),
            client_name: Some(first_name(&sub.client)),
        },
        windows,
        overrides,
        opted_out,
        time_zone: ctx.tz,
        front_desk: ctx.front_desk.clone(),
    };
    let local = ctx.tz.local(now);
    use chrono::Timelike;
    Ok(Some(SimBase {
        preview: sub.client_id.map(|_| {
            format!(
                "{} has no conversation yet: this previews their first text to the Front Desk {}.",
                sub.client,
                sub.number.e164.display()
            )
        }),
        client: sub.client_id,
        snapshot,
        senders,
        date: ctx.tz.local_date(now).format("%Y-%m-%d").to_string(),
        minute: local.hour() * 60 + local.minute(),
    }))
}

/// What the server would decide for a text at `at` from `sender`, built
/// exactly as an incoming text's snapshot is.
pub async fn check_on_server(
    db: &Db,
    org: OrgId,
    thread: Option<ThreadId>,
    client: Option<ClientId>,
    at: &str,
    sender: &str,
    direction: Direction,
) -> AppResult<Decision> {
    let at = DateTime::parse_from_rfc3339(at.trim())
        .map_err(|_| AppError::field("at", format!("\"{at}\" isn't a date and time.")))?
        .with_timezone(&Utc);
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
    let sender = E164::parse(sender, &ctx.region).map_err(|e| AppError::field("sender", e.to_string()))?;
    if thread.is_none() && client.is_none() {
        return Err(AppError::invalid("Choose a conversation or a client."));
    }
    let sub = subject(&mut c, &ctx, thread, client)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation doesn't exist.".into()))?;
    let opted_out = mstore::opted_out(&mut c, org, &sender, sub.number.id).await?;
    let mut snap = mstore::snapshot(&mut c, &ctx, &sub.number, sub.thread, &sender, direction, at, opted_out).await?;
    if sub.thread.is_none() {
        snap.thread.participants = sub.participants;
    }
    snap.thread.client_name = snap.thread.client_name.or_else(|| Some(first_name(&sub.client)));
    Ok(decide(&snap))
}

/// An override as the owner typed it, checked.
pub struct NewOverrideForm {
    pub thread: ThreadId,
    /// "owner_inbox" or "sitter:<id>".
    pub target: String,
    /// A [`duration_hours`] code.
    pub duration: String,
    pub reason: String,
}

/// The target, the length in hours (`None`: until removed) and the reason,
/// or the field that is wrong and why.
fn check_form(f: &NewOverrideForm) -> AppResult<(OverrideTarget, Option<i64>, String)> {
    let reason = f.reason.trim().to_string();
    let target = f
        .target
        .parse::<OverrideTarget>()
        .map_err(|_| AppError::field("target", "Choose where texts should go: the owner inbox or a sitter."))?;
    let hours = duration_hours(f.duration.trim())
        .ok_or_else(|| AppError::field("duration", "Choose how long the override lasts."))?;
    if reason.is_empty() {
        return Err(AppError::field(
            "reason",
            "Say why: the reason is shown in the history and to whoever looks at this conversation.",
        ));
    }
    if reason.chars().count() > 300 {
        return Err(AppError::field("reason", "Keep the reason under 300 characters."));
    }
    Ok((target, hours, reason))
}

/// Where an override sends texts, in words; a sitter must exist and be on.
async fn target_name(c: &mut AnyConnection, org: OrgId, target: OverrideTarget) -> AppResult<String> {
    match target {
        OverrideTarget::OwnerInbox => Ok("the owner inbox".to_string()),
        OverrideTarget::Sitter(sid) => {
            let sitter = mstore::sitter(c, org, sid)
                .await?
                .ok_or_else(|| AppError::field("target", "That sitter doesn't exist."))?;
            if !sitter.active {
                return Err(AppError::field(
                    "target",
                    "That sitter is switched off. Choose an active sitter or the owner inbox.",
                ));
            }
            Ok(sitter.name)
        }
    }
}

/// Refuses a second override while one is active on the conversation.
async fn none_active(c: &mut AnyConnection, thread: ThreadId, ctx: &OrgContext, now: DateTime<Utc>) -> AppResult<()> {
    for o in store::unremoved(c, thread).await? {
        let state = OverrideState::at(from_ms(o.starts), o.ends.map(from_ms), o.removed.map(from_ms), now);
        if state != OverrideState::Active {
            continue;
        }
        let to = if o.target == "owner_inbox" {
            "the owner inbox".to_string()
        } else {
            o.target_name.unwrap_or_else(|| "a sitter".into())
        };
        let until = o
            .ends
            .map(|e| format!(" until {}", ctx.tz.day_time(from_ms(e))))
            .unwrap_or_else(|| " until removed".into());
        return Err(AppError::Conflict(format!(
            "This conversation already has an active override (to {to}{until}). Remove it first, then set the new one."
        )));
    }
    Ok(())
}

/// Sets an override on a conversation (one active at a time); one with an
/// end gets a job that expires it.
pub async fn create_override(st: &AppState, u: &SessionUser, actor: &Actor, f: NewOverrideForm) -> AppResult<i64> {
    let (target, hours, reason) = check_form(&f)?;
    let thread = f.thread;
    let now = now();
    let ends = hours.map(|h| now + Duration::hours(h));
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let (client, _) = thread_row(&mut tx, u.org_id, thread).await?;
    let target_name = target_name(&mut tx, u.org_id, target).await?;
    none_active(&mut tx, thread, &ctx, now).await?;
    let (target_str, target_sitter) = match target {
        OverrideTarget::OwnerInbox => ("owner_inbox".to_string(), None),
        OverrideTarget::Sitter(s) => (target.to_string(), Some(s)),
    };
    let new = NewOverride {
        org: u.org_id,
        thread,
        target: &target_str,
        target_sitter,
        starts: now,
        ends,
        reason: &reason,
        by: u.user_id,
    };
    let id = store::insert_override(&mut tx, &new).await?;
    let until = ends.map(|e| format!(" until {}", ctx.tz.day_time(e))).unwrap_or_else(|| " until removed".into());
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "routing.override_created",
            "routing_override",
            id,
            format!("Override: texts on {client}'s conversation go to {target_name}{until}"),
        )
        .payload(serde_json::json!({ "target": target_str, "ends_at": ends.map(ms), "reason": reason }))
        .thread(thread.0),
    )
    .await?;
    if let Some(e) = ends {
        jobs::enqueue(
            &mut tx,
            NewJob::now(Some(u.org_id), "override.expire", serde_json::json!({ "id": id }))
                .at(e)
                .dedupe(format!("override.expire:{id}")),
        )
        .await?;
    }
    tx.commit().await?;
    st.jobs_wake.notify_one();
    publish(st, u.org_id, thread, "override");
    Ok(id)
}

/// Removes an override that is still on; routing is normal again.
pub async fn remove_override(st: &AppState, u: &SessionUser, actor: &Actor, id: i64) -> AppResult<()> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let o = store::stored_of(&mut tx, u.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That override doesn't exist.".into()))?;
    if o.removed.is_some() {
        return Err(AppError::Conflict("That override was removed already.".into()));
    }
    if o.ends.is_some_and(|e| e <= ms(now)) {
        return Err(AppError::Conflict("That override has ended already.".into()));
    }
    store::mark_removed(&mut tx, id, u.user_id, now).await?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "routing.override_removed",
            "routing_override",
            id,
            format!("Override on {}'s conversation removed; normal routing again", o.client),
        )
        .thread(o.thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(st, u.org_id, o.thread, "override");
    Ok(())
}

fn publish(st: &AppState, org: OrgId, thread: ThreadId, kind: &str) {
    st.publish(LiveEvent {
        org_id: org.0,
        thread_id: Some(thread.0),
        owner_only: true,
        kind: kind.into(),
        data: serde_json::json!({}),
    });
}

/// Marks an override expired if it has ended and was neither removed nor
/// expired already: audited, and the owners are told. Returns where it was.
async fn expire(st: &AppState, id: i64) -> AppResult<Option<(OrgId, ThreadId)>> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let Some(o) = store::stored(&mut tx, id).await? else { return Ok(None) };
    if o.removed.is_some() || o.expired.is_some() {
        return Ok(None);
    }
    let Some(ends) = o.ends.filter(|e| *e <= ms(now)) else { return Ok(None) };
    store::mark_expired(&mut tx, id, now).await?;
    let text = format!("The override on {}'s conversation ended; texts follow the normal rules again.", o.client);
    audit::append(
        &mut tx,
        o.org,
        &Actor::system(None),
        Event::new("routing.override_expired", "routing_override", id, text.clone())
            .payload(serde_json::json!({ "ended_at": ends }))
            .thread(o.thread.0),
    )
    .await?;
    let link = format!("/routing?thread={}", o.thread.0);
    store::notify_owners(&mut tx, o.org, "override_expired", &text, &link, now).await?;
    tx.commit().await?;
    Ok(Some((o.org, o.thread)))
}

/// The "override.expire" job: marks the override expired, audits it and
/// tells the owners. Removed or already-expired overrides are left alone.
pub async fn run_expire(state: &AppState, job: &Job) -> Outcome {
    let Some(id) = job.payload.get("id").and_then(|v| v.as_i64()) else {
        return Outcome::Fail { error: "override.expire job without an id".into() };
    };
    match expire(state, id).await {
        Ok(Some((org, thread))) => {
            publish(state, org, thread, "override");
            Outcome::Done
        }
        Ok(None) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(5) },
    }
}

/// What the history asks for, as typed: YYYY-MM-DD bounds, a rule and a
/// result ("" for any).
pub struct HistoryQuery {
    pub thread: Option<ThreadId>,
    pub from: String,
    pub to: String,
    pub rule: String,
    pub result: String,
}

/// A conversation's stored decisions (the latest conversation's when none
/// is given), filtered, newest first.
pub async fn history(db: &Db, org: OrgId, q: HistoryQuery) -> AppResult<Vec<HistoryRow>> {
    let mut c = db.read.acquire().await?;
    let thread = match q.thread {
        Some(t) => t,
        None => match store::default_thread(&mut c, org).await? {
            Some(t) => t,
            None => return Ok(Vec::new()),
        },
    };
    let ctx = mstore::org_context(&mut c, org).await?;
    thread_row(&mut c, org, thread).await?;
    let tz = ctx.tz;
    let from = crate::domain::time::form_day(&q.from).map_err(AppError::on("from"))?;
    let to = crate::domain::time::form_day(&q.to).map_err(AppError::on("to"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::field("to", "The end date is before the start date."));
        }
    }
    let rule = q.rule.trim();
    if !rule.is_empty() && !["safety", "override", "window", "default"].contains(&rule) {
        return Err(AppError::field("rule", "Choose a rule from the list."));
    }
    let result = q.result.trim();
    if !result.is_empty() && !["owner_inbox", "sitter", "record_only", "rejected"].contains(&result) {
        return Err(AppError::field("result", "Choose a result from the list."));
    }
    let filter = DecisionFilter {
        from: from.map(|d| ms(tz.start_of_day(d))).unwrap_or(0),
        to: to.and_then(|d| d.succ_opt()).map(|d| ms(tz.start_of_day(d))).unwrap_or(i64::MAX),
        rule,
        result,
    };
    Ok(store::decisions(&mut c, org, thread, &filter)
        .await?
        .into_iter()
        .map(|d| HistoryRow {
            id: d.id,
            at: tz.date_time(from_ms(d.at)),
            rule: serde_json::from_value(serde_json::Value::String(d.rule)).unwrap_or(Rule::Default),
            target: match d.target.as_str() {
                "sitter" => d.sitter.unwrap_or_else(|| "Sitter".into()),
                "owner_inbox" => "Owner inbox".into(),
                "record_only" => "Recorded only".into(),
                _ => "Refused".into(),
            },
            reason: d.reason,
        })
        .collect())
}
