//! Routing control on the server: owners only, every change audited in its
//! own transaction, override expiry as a durable job.

use super::*;
use crate::domain::ids::{ClientId, NumberId, OrgId};
use crate::domain::phone::E164;
use crate::domain::routing::{decide, OverrideSnapshot, OverrideState, OverrideTarget};
use crate::domain::time::BusinessTz;
use crate::error::AppResult;
use crate::messaging::store::{self as mstore, NumberRow, OrgContext};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::ctx::{request_id, require_owner};
use crate::platform::jobs::{self, Job, NewJob, Outcome};
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, state, AppState};
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Row};

fn actor(u: &SessionUser) -> Actor {
    u.actor(request_id())
}

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

struct ThreadRow {
    client: String,
    number: NumberRow,
}

async fn thread_row(c: &mut AnyConnection, org: OrgId, id: ThreadId) -> AppResult<ThreadRow> {
    let r = sqlx::query("SELECT t.number_id, cl.name FROM threads t JOIN clients cl ON cl.id = t.client_id WHERE t.id = $1 AND t.org_id = $2")
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation doesn't exist.".into()))?;
    let number = mstore::number_by_id(c, NumberId(r.try_get("number_id")?))
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation's number doesn't exist any more.".into()))?;
    Ok(ThreadRow { client: r.try_get("name")?, number })
}

fn thread_label(client: &str, class: &str, sitter: Option<&str>, e164: &str) -> String {
    let number = E164::from_canonical(e164).map(|e| e.display()).unwrap_or_else(|| e164.to_string());
    let which = match (class, sitter) {
        ("sitter", Some(s)) => format!("{s}'s number"),
        ("pool", _) => "pool number".to_string(),
        _ => "Front Desk".to_string(),
    };
    format!("{client} — {which} {number}")
}

pub async fn overview() -> AppResult<RoutingData> {
    let u = require_owner().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let now = now();
    let mut rules = Vec::new();
    for rule in [Rule::Safety, Rule::Override, Rule::Window, Rule::Default] {
        let r = sqlx::query(
            "SELECT MAX(evaluated_at) AS last, SUM(CASE WHEN evaluated_at >= $3 THEN 1 ELSE 0 END) AS recent
             FROM routing_decisions WHERE org_id = $1 AND rule = $2",
        )
        .bind(u.org_id.0)
        .bind(rule_key(rule))
        .bind(ms(now - Duration::hours(24)))
        .fetch_one(&mut *c)
        .await?;
        let (title, plain) = rule_text(rule);
        rules.push(RuleRow {
            rule,
            title: title.into(),
            plain: plain.into(),
            last_evaluated: r
                .try_get::<Option<i64>, _>("last")?
                .map(|t| crate::domain::time::relative(from_ms(t), now, ctx.tz)),
            decided_24h: r.try_get::<Option<i64>, _>("recent")?.unwrap_or(0),
        });
    }
    let threads = sqlx::query(
        "SELECT t.id, cl.name, n.class, n.e164, s.first_name
         FROM threads t JOIN clients cl ON cl.id = t.client_id JOIN numbers n ON n.id = t.number_id LEFT JOIN sitters s ON s.id = n.sitter_id
         WHERE t.org_id = $1 AND t.is_current = 1
         ORDER BY t.last_message_at DESC, t.id DESC LIMIT 300",
    )
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(ThreadOption {
            id: ThreadId(r.try_get("id")?),
            label: thread_label(
                &r.try_get::<String, _>("name")?,
                &r.try_get::<String, _>("class")?,
                r.try_get::<Option<String>, _>("first_name")?.as_deref(),
                &r.try_get::<String, _>("e164")?,
            ),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let sitters = sqlx::query("SELECT id, name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY name")
        .bind(u.org_id.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok(SitterOption { id: SitterId(r.try_get("id")?), name: r.try_get("name")? }))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let overrides = override_rows(&mut c, u.org_id, None, &ctx, now).await?;
    let new_clients = sqlx::query(
        "SELECT cl.id, cl.name FROM clients cl
         WHERE cl.org_id = $1 AND cl.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.client_id = cl.id)
         ORDER BY cl.name LIMIT 200",
    )
    .bind(u.org_id.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok(ClientOption { id: ClientId(r.try_get("id")?), name: r.try_get("name")? }))
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(RoutingData { rules, threads, sitters, overrides, new_clients })
}

async fn override_rows(
    c: &mut AnyConnection,
    org: OrgId,
    thread: Option<ThreadId>,
    ctx: &OrgContext,
    now: DateTime<Utc>,
) -> AppResult<Vec<OverrideRow>> {
    let rows = sqlx::query(
        "SELECT o.id, o.thread_id, o.target, o.starts_at, o.ends_at, o.removed_at, o.expired_at, o.reason, cl.name AS client,
                n.class, n.e164, ns.first_name AS number_sitter, ts.name AS target_name, u.name AS by_name
         FROM routing_overrides o
         JOIN threads t ON t.id = o.thread_id JOIN clients cl ON cl.id = t.client_id JOIN numbers n ON n.id = t.number_id
         LEFT JOIN sitters ns ON ns.id = n.sitter_id LEFT JOIN sitters ts ON ts.id = o.target_sitter_id
         LEFT JOIN users u ON u.id = o.created_by
         WHERE o.org_id = $1 AND ($2 = 0 OR o.thread_id = $2)
         ORDER BY o.created_at DESC, o.id DESC LIMIT 50",
    )
    .bind(org.0)
    .bind(thread.map(|t| t.0).unwrap_or(0))
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let ends: Option<i64> = r.try_get("ends_at")?;
        let removed: Option<i64> = r.try_get("removed_at")?;
        let starts: i64 = r.try_get("starts_at")?;
        let state = OverrideState::at(from_ms(starts), ends.map(from_ms), removed.map(from_ms), now);
        let target: String = r.try_get("target")?;
        out.push(OverrideRow {
            id: r.try_get("id")?,
            thread: ThreadId(r.try_get("thread_id")?),
            thread_label: thread_label(
                &r.try_get::<String, _>("client")?,
                &r.try_get::<String, _>("class")?,
                r.try_get::<Option<String>, _>("number_sitter")?.as_deref(),
                &r.try_get::<String, _>("e164")?,
            ),
            target: if target == "owner_inbox" {
                "Owner inbox".into()
            } else {
                r.try_get::<Option<String>, _>("target_name")?.unwrap_or_else(|| "A sitter".into())
            },
            starts: ctx.tz.day_time(from_ms(starts)),
            ends: match (removed, ends) {
                (Some(r), _) => format!("removed {}", ctx.tz.day_time(from_ms(r))),
                (None, Some(e)) => ctx.tz.day_time(from_ms(e)),
                (None, None) => "Until removed".into(),
            },
            reason: r.try_get("reason")?,
            created_by: r.try_get::<Option<String>, _>("by_name")?.unwrap_or_else(|| "Owner".into()),
            state: state.label().into(),
            active: state == OverrideState::Active,
        });
    }
    Ok(out)
}

async fn all_overrides(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<OverrideSnapshot>, sqlx::Error> {
    mstore::overrides(c, thread, None).await
}

/// The conversation the routing page opens on: the most recent one, in the
/// same order as the page's list.
async fn default_thread(c: &mut AnyConnection, org: OrgId) -> Result<Option<ThreadId>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT id FROM threads WHERE org_id = $1 AND is_current = 1 ORDER BY last_message_at DESC, id DESC LIMIT 1",
    )
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .map(|r| r.try_get::<i64, _>("id"))
    .transpose()?
    .map(ThreadId))
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
        let r = sqlx::query("SELECT name FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL")
            .bind(client.0)
            .bind(org.0)
            .fetch_optional(&mut *c)
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
            client: r.try_get("name")?,
            number: front,
            participants: mstore::client_contacts(c, client).await?,
        }));
    }
    let thread = match thread {
        Some(t) => t,
        None => match default_thread(c, org).await? {
            Some(t) => t,
            None => return Ok(None),
        },
    };
    let t = thread_row(c, org, thread).await?;
    Ok(Some(Subject {
        thread: Some(thread),
        client_id: None,
        client: t.client,
        number: t.number,
        participants: mstore::participants(c, thread).await?,
    }))
}

fn first_name(full: &str) -> String {
    full.split_whitespace().next().unwrap_or("").to_string()
}

pub async fn simulator_base(thread: Option<ThreadId>, client: Option<ClientId>) -> AppResult<Option<SimBase>> {
    let u = require_owner().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let Some(sub) = subject(&mut c, &ctx, thread, client).await? else { return Ok(None) };
    let now = now();
    let stranger = E164::from_canonical(STRANGER).ok_or_else(|| AppError::Internal(request_id()))?;
    let sender = sub.participants.first().cloned().unwrap_or_else(|| stranger.clone());
    let opted_out = mstore::opted_out(&mut c, u.org_id, &sender, sub.number.id).await?;
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

pub async fn check_on_server(
    thread: Option<ThreadId>,
    client: Option<ClientId>,
    at: String,
    sender: String,
    direction: Direction,
) -> AppResult<Decision> {
    let u = require_owner().await?;
    let st = state()?;
    let at = DateTime::parse_from_rfc3339(at.trim())
        .map_err(|_| AppError::field("at", format!("\"{at}\" isn't a date and time.")))?
        .with_timezone(&Utc);
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let sender = E164::parse(&sender, &ctx.region).map_err(|e| AppError::field("sender", e.to_string()))?;
    if thread.is_none() && client.is_none() {
        return Err(AppError::invalid("Choose a conversation or a client."));
    }
    let sub = subject(&mut c, &ctx, thread, client)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation doesn't exist.".into()))?;
    let opted_out = mstore::opted_out(&mut c, u.org_id, &sender, sub.number.id).await?;
    // Built exactly as an incoming text's snapshot is.
    let mut snap = mstore::snapshot(&mut c, &ctx, &sub.number, sub.thread, &sender, direction, at, opted_out).await?;
    if sub.thread.is_none() {
        snap.thread.participants = sub.participants;
    }
    snap.thread.client_name = snap.thread.client_name.or_else(|| Some(first_name(&sub.client)));
    Ok(decide(&snap))
}

fn parse_target(s: &str) -> AppResult<OverrideTarget> {
    s.parse::<OverrideTarget>()
        .map_err(|_| AppError::field("target", "Choose where texts should go: the owner inbox or a sitter."))
}

fn active_at(ends: Option<i64>, removed: Option<i64>, starts: i64, now: DateTime<Utc>) -> bool {
    OverrideState::at(from_ms(starts), ends.map(from_ms), removed.map(from_ms), now) == OverrideState::Active
}

pub async fn create_override(thread: ThreadId, target: String, duration: String, reason: String) -> AppResult<i64> {
    let u = require_owner().await?;
    let st = state()?;
    let reason = reason.trim().to_string();
    let target = parse_target(&target)?;
    let hours = duration_hours(duration.trim())
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
    let now = now();
    let ends = hours.map(|h| now + Duration::hours(h));
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let t = thread_row(&mut tx, u.org_id, thread).await?;
    let target_name = match target {
        OverrideTarget::OwnerInbox => "the owner inbox".to_string(),
        OverrideTarget::Sitter(sid) => {
            let r = sqlx::query("SELECT name, active FROM sitters WHERE id = $1 AND org_id = $2")
                .bind(sid.0)
                .bind(u.org_id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AppError::field("target", "That sitter doesn't exist."))?;
            if r.try_get::<i64, _>("active")? != 1 {
                return Err(AppError::field(
                    "target",
                    "That sitter is switched off. Choose an active sitter or the owner inbox.",
                ));
            }
            r.try_get::<String, _>("name")?
        }
    };
    let existing = sqlx::query("SELECT o.id, o.target, o.ends_at, o.removed_at, o.starts_at, s.name FROM routing_overrides o LEFT JOIN sitters s ON s.id = o.target_sitter_id WHERE o.thread_id = $1 AND o.removed_at IS NULL ORDER BY o.id DESC")
        .bind(thread.0)
        .fetch_all(&mut *tx)
        .await?;
    for r in existing {
        if active_at(r.try_get("ends_at")?, r.try_get("removed_at")?, r.try_get("starts_at")?, now) {
            let to = if r.try_get::<String, _>("target")? == "owner_inbox" {
                "the owner inbox".to_string()
            } else {
                r.try_get::<Option<String>, _>("name")?.unwrap_or_else(|| "a sitter".into())
            };
            let until = r
                .try_get::<Option<i64>, _>("ends_at")?
                .map(|e| format!(" until {}", ctx.tz.day_time(from_ms(e))))
                .unwrap_or_else(|| " until removed".into());
            return Err(AppError::Conflict(format!(
                "This conversation already has an active override (to {to}{until}). Remove it first, then set the new one."
            )));
        }
    }
    let (target_str, target_sitter) = match target {
        OverrideTarget::OwnerInbox => ("owner_inbox".to_string(), None),
        OverrideTarget::Sitter(s) => (target.to_string(), Some(s.0)),
    };
    let id: i64 = sqlx::query(
        "INSERT INTO routing_overrides (org_id, thread_id, target, target_sitter_id, starts_at, ends_at, reason, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8) RETURNING id",
    )
    .bind(u.org_id.0)
    .bind(thread.0)
    .bind(&target_str)
    .bind(target_sitter)
    .bind(ms(now))
    .bind(ends.map(ms))
    .bind(&reason)
    .bind(u.user_id.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let until = ends.map(|e| format!(" until {}", ctx.tz.day_time(e))).unwrap_or_else(|| " until removed".into());
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "routing.override_created",
            "routing_override",
            id,
            format!("Override: texts on {}'s conversation go to {target_name}{until}", t.client),
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
    publish(&st, u.org_id, thread, "override");
    Ok(id)
}

pub async fn remove_override(id: i64) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let r = sqlx::query("SELECT o.thread_id, o.ends_at, o.removed_at, cl.name FROM routing_overrides o JOIN threads t ON t.id = o.thread_id JOIN clients cl ON cl.id = t.client_id WHERE o.id = $1 AND o.org_id = $2")
        .bind(id)
        .bind(u.org_id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That override doesn't exist.".into()))?;
    if r.try_get::<Option<i64>, _>("removed_at")?.is_some() {
        return Err(AppError::Conflict("That override was removed already.".into()));
    }
    if r.try_get::<Option<i64>, _>("ends_at")?.is_some_and(|e| e <= ms(now)) {
        return Err(AppError::Conflict("That override has ended already.".into()));
    }
    let thread = ThreadId(r.try_get("thread_id")?);
    let client: String = r.try_get("name")?;
    sqlx::query("UPDATE routing_overrides SET removed_at = $1, removed_by = $2 WHERE id = $3")
        .bind(ms(now))
        .bind(u.user_id.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "routing.override_removed",
            "routing_override",
            id,
            format!("Override on {client}'s conversation removed; normal routing again"),
        )
        .thread(thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(&st, u.org_id, thread, "override");
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

/// The "override.expire" job: marks the override expired, audits it and
/// tells the owners. Removed or already-expired overrides are left alone.
pub async fn run_expire(state: &AppState, job: &Job) -> Outcome {
    let Some(id) = job.payload.get("id").and_then(|v| v.as_i64()) else {
        return Outcome::Fail { error: "override.expire job without an id".into() };
    };
    let res: AppResult<Option<(OrgId, ThreadId)>> = async {
        let now = now();
        let mut tx = state.db.begin().await?;
        let Some(r) = sqlx::query("SELECT o.org_id, o.thread_id, o.ends_at, o.removed_at, o.expired_at, cl.name FROM routing_overrides o JOIN threads t ON t.id = o.thread_id JOIN clients cl ON cl.id = t.client_id WHERE o.id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let ends: Option<i64> = r.try_get("ends_at")?;
        if r.try_get::<Option<i64>, _>("removed_at")?.is_some() || r.try_get::<Option<i64>, _>("expired_at")?.is_some() {
            return Ok(None);
        }
        let Some(ends) = ends.filter(|e| *e <= ms(now)) else { return Ok(None) };
        let org = OrgId(r.try_get("org_id")?);
        let thread = ThreadId(r.try_get("thread_id")?);
        let client: String = r.try_get("name")?;
        sqlx::query("UPDATE routing_overrides SET expired_at = $1 WHERE id = $2").bind(ms(now)).bind(id).execute(&mut *tx).await?;
        let text = format!("The override on {client}'s conversation ended; texts follow the normal rules again.");
        audit::append(
            &mut tx,
            org,
            &Actor::system(None),
            Event::new("routing.override_expired", "routing_override", id, text.clone())
                .payload(serde_json::json!({ "ended_at": ends }))
                .thread(thread.0),
        )
        .await?;
        sqlx::query("INSERT INTO notifications (org_id, kind, text, link, created_at) VALUES ($1, 'override_expired', $2, $3, $4)")
            .bind(org.0)
            .bind(&text)
            .bind(format!("/routing?thread={}", thread.0))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((org, thread)))
    }
    .await;
    match res {
        Ok(Some((org, thread))) => {
            publish(state, org, thread, "override");
            Outcome::Done
        }
        Ok(None) => Outcome::Done,
        Err(e) => Outcome::Retry { error: e.to_string(), after: std::time::Duration::from_secs(5) },
    }
}

pub async fn history(
    thread: Option<ThreadId>,
    from: String,
    to: String,
    rule: String,
    result: String,
) -> AppResult<Vec<HistoryRow>> {
    let u = require_owner().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let thread = match thread {
        Some(t) => t,
        None => match default_thread(&mut c, u.org_id).await? {
            Some(t) => t,
            None => return Ok(Vec::new()),
        },
    };
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    thread_row(&mut c, u.org_id, thread).await?;
    let tz: BusinessTz = ctx.tz;
    let from = crate::domain::time::form_day(&from).map_err(AppError::on("from"))?;
    let to = crate::domain::time::form_day(&to).map_err(AppError::on("to"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::field("to", "The end date is before the start date."));
        }
    }
    let rule = rule.trim();
    if !rule.is_empty() && !["safety", "override", "window", "default"].contains(&rule) {
        return Err(AppError::field("rule", "Choose a rule from the list."));
    }
    let result = result.trim();
    if !result.is_empty() && !["owner_inbox", "sitter", "record_only", "rejected"].contains(&result) {
        return Err(AppError::field("result", "Choose a result from the list."));
    }
    let lo = from.map(|d| ms(tz.start_of_day(d))).unwrap_or(0);
    let hi = to.and_then(|d| d.succ_opt()).map(|d| ms(tz.start_of_day(d))).unwrap_or(i64::MAX);
    let rows = sqlx::query(
        "SELECT d.id, d.evaluated_at, d.rule, d.target, d.reason, s.first_name
         FROM routing_decisions d LEFT JOIN sitters s ON s.id = d.target_sitter_id
         WHERE d.org_id = $1 AND d.thread_id = $2 AND d.evaluated_at >= $3 AND d.evaluated_at < $4
           AND ($5 = '' OR d.rule = $5) AND ($6 = '' OR d.target = $6)
         ORDER BY d.evaluated_at DESC, d.id DESC LIMIT 200",
    )
    .bind(u.org_id.0)
    .bind(thread.0)
    .bind(lo)
    .bind(hi)
    .bind(rule)
    .bind(result)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let rule: Rule =
                serde_json::from_value(serde_json::Value::String(r.try_get("rule")?)).unwrap_or(Rule::Default);
            let target: String = r.try_get("target")?;
            Ok(HistoryRow {
                id: r.try_get("id")?,
                at: tz.date_time(from_ms(r.try_get("evaluated_at")?)),
                rule,
                target: match target.as_str() {
                    "sitter" => r.try_get::<Option<String>, _>("first_name")?.unwrap_or_else(|| "Sitter".into()),
                    "owner_inbox" => "Owner inbox".into(),
                    "record_only" => "Recorded only".into(),
                    _ => "Refused".into(),
                },
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(Into::into)
}
