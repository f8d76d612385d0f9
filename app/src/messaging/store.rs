//! The messaging tables as the pipeline needs them: an organisation's
//! context, finding or creating clients and threads, system notes in a
//! thread's timeline, and the routing snapshot built from the database.

use crate::domain::ids::{ClientId, NumberId, OrgId, SitterId, ThreadId, WindowId};
use crate::domain::numbers::{NumberClass, NumberStatus};
use crate::domain::phone::E164;
use crate::domain::routing::{
    BusinessNumberSnapshot, Direction, OverrideSnapshot, OverrideTarget, RoutingSnapshot, ThreadSnapshot,
    WindowSnapshot,
};
use crate::domain::settings::OrgSettings;
use crate::domain::time::BusinessTz;
use crate::platform::{from_ms, ms};
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Row};

#[derive(Clone, Debug)]
pub struct OrgContext {
    pub id: OrgId,
    pub name: String,
    pub tz: BusinessTz,
    pub region: String,
    pub settings: OrgSettings,
    pub ready: bool,
    pub help_text: Option<String>,
    pub front_desk: Option<E164>,
    pub demo: bool,
}

pub async fn org_context(c: &mut AnyConnection, org: OrgId) -> Result<OrgContext, sqlx::Error> {
    let r = sqlx::query(
        "SELECT name, time_zone, default_region, settings, ready_at, help_text, provider_kind FROM organisations WHERE id = $1",
    )
    .bind(org.0)
    .fetch_one(&mut *c)
    .await?;
    let front: Option<String> = sqlx::query(
        "SELECT e164 FROM numbers WHERE org_id = $1 AND class = 'front_desk' AND status = 'active' ORDER BY e164 LIMIT 1",
    )
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .map(|r| r.try_get("e164"))
    .transpose()?;
    let settings: String = r.try_get("settings")?;
    Ok(OrgContext {
        id: org,
        name: r.try_get("name")?,
        tz: BusinessTz::parse(&r.try_get::<String, _>("time_zone")?).unwrap_or_default(),
        region: r.try_get("default_region")?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        ready: r.try_get::<Option<i64>, _>("ready_at")?.is_some(),
        help_text: r.try_get("help_text")?,
        front_desk: front.as_deref().and_then(E164::from_canonical),
        demo: r.try_get::<String, _>("provider_kind")? == "demo",
    })
}

/// Numbers the policy never flags (SPEC §3.5): the owner's allow-list plus
/// every number of the business still in its hands. One list for incoming
/// texts, outgoing texts and what sitters may read.
pub async fn policy_allowlist(c: &mut AnyConnection, ctx: &OrgContext) -> Result<Vec<String>, sqlx::Error> {
    let mut v = ctx.settings.policy.allowlist_digits();
    let rows = sqlx::query("SELECT e164 FROM numbers WHERE org_id = $1 AND status <> 'inactive'")
        .bind(ctx.id.0)
        .fetch_all(&mut *c)
        .await?;
    v.extend(
        rows.iter().filter_map(|r| r.try_get::<String, _>("e164").ok()).map(|e| e.trim_start_matches('+').to_string()),
    );
    Ok(v)
}

/// A business number as the pipeline sees it.
#[derive(Clone, Debug)]
pub struct NumberRow {
    pub id: NumberId,
    pub org: OrgId,
    pub e164: E164,
    pub class: NumberClass,
    pub status: NumberStatus,
    pub sitter_id: Option<SitterId>,
}

fn number_from(r: &sqlx::any::AnyRow) -> Result<Option<NumberRow>, sqlx::Error> {
    let e164: String = r.try_get("e164")?;
    let (Some(e164), Some(class), Some(status)) = (
        E164::from_canonical(&e164),
        NumberClass::parse(&r.try_get::<String, _>("class")?),
        NumberStatus::parse(&r.try_get::<String, _>("status")?),
    ) else {
        return Ok(None);
    };
    Ok(Some(NumberRow {
        id: NumberId(r.try_get("id")?),
        org: OrgId(r.try_get("org_id")?),
        e164,
        class,
        status,
        sitter_id: r.try_get::<Option<i64>, _>("sitter_id")?.map(SitterId),
    }))
}

/// The live (not released) business number with this E.164, in any organisation.
pub async fn number_by_e164(c: &mut AnyConnection, e164: &E164) -> Result<Option<NumberRow>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT id, org_id, e164, class, status, sitter_id FROM numbers WHERE e164 = $1 AND status <> 'inactive'",
    )
    .bind(e164.as_str())
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(number_from).transpose().map(Option::flatten)
}

pub async fn number_by_id(c: &mut AnyConnection, id: NumberId) -> Result<Option<NumberRow>, sqlx::Error> {
    let r = sqlx::query("SELECT id, org_id, e164, class, status, sitter_id FROM numbers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(number_from).transpose().map(Option::flatten)
}

/// The client a phone number belongs to; unknown senders become an
/// "Unknown +1 (555) …" client the owner can rename or merge.
pub async fn find_or_create_client(
    c: &mut AnyConnection,
    org: OrgId,
    from: &E164,
    now: DateTime<Utc>,
) -> Result<(ClientId, bool), sqlx::Error> {
    let existing = sqlx::query("SELECT client_id FROM client_contacts WHERE org_id = $1 AND e164 = $2")
        .bind(org.0)
        .bind(from.as_str())
        .fetch_optional(&mut *c)
        .await?;
    if let Some(r) = existing {
        return Ok((ClientId(r.try_get("client_id")?), false));
    }
    let name = format!("Unknown {}", from.display());
    let id: i64 = sqlx::query(
        "INSERT INTO clients (org_id, name, first_name, is_unknown, created_at, updated_at) VALUES ($1, $2, 'there', 1, $3, $3) RETURNING id",
    )
    .bind(org.0)
    .bind(&name)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")?;
    sqlx::query(
        "INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, $3, 'Mobile', $4)",
    )
    .bind(org.0)
    .bind(id)
    .bind(from.as_str())
    .bind(ms(now))
    .execute(&mut *c)
    .await?;
    Ok((ClientId(id), true))
}

/// A sitter of the business as assignments, overrides and number changes
/// name them.
pub struct SitterRef {
    pub name: String,
    pub first: String,
    /// Switched on (can sign in and be assigned).
    pub active: bool,
}

pub async fn sitter(c: &mut AnyConnection, org: OrgId, id: SitterId) -> Result<Option<SitterRef>, sqlx::Error> {
    sqlx::query("SELECT name, first_name, active FROM sitters WHERE id = $1 AND org_id = $2")
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| {
            Ok(SitterRef {
                name: r.try_get("name")?,
                first: r.try_get("first_name")?,
                active: r.try_get::<i64, _>("active")? == 1,
            })
        })
        .transpose()
}

pub async fn client_contacts(c: &mut AnyConnection, client: ClientId) -> Result<Vec<E164>, sqlx::Error> {
    let rows = sqlx::query("SELECT e164 FROM client_contacts WHERE client_id = $1 ORDER BY id")
        .bind(client.0)
        .fetch_all(&mut *c)
        .await?;
    Ok(rows.iter().filter_map(|r| r.try_get::<String, _>("e164").ok().and_then(|s| E164::from_canonical(&s))).collect())
}

/// The thread between a client and a business number; created if needed.
/// `current` marks it as the number's live binding (pool numbers).
pub async fn find_or_create_thread(
    c: &mut AnyConnection,
    org: OrgId,
    client: ClientId,
    number: NumberId,
    current: bool,
    started_by: &str,
    now: DateTime<Utc>,
) -> Result<(ThreadId, bool), sqlx::Error> {
    let existing = sqlx::query("SELECT id FROM threads WHERE client_id = $1 AND number_id = $2")
        .bind(client.0)
        .bind(number.0)
        .fetch_optional(&mut *c)
        .await?;
    if let Some(r) = existing {
        return Ok((ThreadId(r.try_get("id")?), false));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO threads (org_id, client_id, number_id, is_current, started_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org.0)
    .bind(client.0)
    .bind(number.0)
    .bind(i16::from(current))
    .bind(started_by)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")?;
    for e in client_contacts(c, client).await? {
        add_participant(c, ThreadId(id), &e, now).await?;
    }
    Ok((ThreadId(id), true))
}

pub async fn add_participant(
    c: &mut AnyConnection,
    thread: ThreadId,
    e164: &E164,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO thread_participants (thread_id, e164, added_at) VALUES ($1, $2, $3) ON CONFLICT (thread_id, e164) DO NOTHING")
        .bind(thread.0)
        .bind(e164.as_str())
        .bind(ms(now))
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn participants(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<E164>, sqlx::Error> {
    let rows = sqlx::query("SELECT e164 FROM thread_participants WHERE thread_id = $1 ORDER BY e164")
        .bind(thread.0)
        .fetch_all(&mut *c)
        .await?;
    Ok(rows.iter().filter_map(|r| r.try_get::<String, _>("e164").ok().and_then(|s| E164::from_canonical(&s))).collect())
}

/// The thread a pool number is currently lent out for, if any.
pub async fn current_pool_thread(c: &mut AnyConnection, number: NumberId) -> Result<Option<ThreadId>, sqlx::Error> {
    let r = sqlx::query("SELECT id FROM threads WHERE number_id = $1 AND is_current = 1 ORDER BY id DESC LIMIT 1")
        .bind(number.0)
        .fetch_optional(&mut *c)
        .await?;
    r.map(|r| r.try_get("id").map(ThreadId)).transpose()
}

/// A system note in a thread's timeline (SPEC §3.8): what the product did and why.
pub async fn note(
    c: &mut AnyConnection,
    org: OrgId,
    thread: ThreadId,
    text: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (org_id, thread_id, direction, sender_kind, body, status, created_at) VALUES ($1, $2, 'note', 'system', $3, 'recorded', $4) RETURNING id",
    )
    .bind(org.0)
    .bind(thread.0)
    .bind(text)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")
}

pub async fn opted_out(
    c: &mut AnyConnection,
    org: OrgId,
    contact: &E164,
    number: NumberId,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM opt_outs WHERE org_id = $1 AND e164 = $2 AND number_id = $3 AND opted_out = 1) AS here,
            (SELECT COUNT(*) FROM clients cl JOIN client_contacts cc ON cc.client_id = cl.id
              WHERE cc.org_id = $1 AND cc.e164 = $2 AND cl.opted_out_everywhere = 1) AS everywhere",
    )
    .bind(org.0)
    .bind(contact.as_str())
    .bind(number.0)
    .fetch_one(&mut *c)
    .await?;
    Ok(r.try_get::<i64, _>("here")? > 0 || r.try_get::<i64, _>("everywhere")? > 0)
}

pub async fn set_opt_out(
    c: &mut AnyConnection,
    org: OrgId,
    contact: &E164,
    number: NumberId,
    out: bool,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO opt_outs (org_id, e164, number_id, opted_out, changed_at, source) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, e164, number_id) DO UPDATE SET opted_out = excluded.opted_out, changed_at = excluded.changed_at, source = excluded.source",
    )
    .bind(org.0)
    .bind(contact.as_str())
    .bind(number.0)
    .bind(i16::from(out))
    .bind(ms(now))
    .bind(source)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A week either side of a moment: enough windows for a routing decision
/// and for its reason ("Maya's window starts at…").
pub const DECISION_SPAN: Duration = Duration::days(7);

/// The assignment windows of a thread (not deleted) that overlap `span`
/// either side of `at`, in start order.
pub async fn windows_near(
    c: &mut AnyConnection,
    thread: ThreadId,
    at: DateTime<Utc>,
    span: Duration,
) -> Result<Vec<WindowSnapshot>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT w.id, w.sitter_id, s.first_name, s.active, w.starts_at, w.ends_at
         FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id
         WHERE w.thread_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 AND w.starts_at < $3
         ORDER BY w.starts_at, w.id",
    )
    .bind(thread.0)
    .bind(ms(at - span))
    .bind(ms(at + span))
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WindowSnapshot {
                id: Some(WindowId(r.try_get("id")?)),
                sitter_id: SitterId(r.try_get("sitter_id")?),
                sitter_name: r.try_get("first_name")?,
                sitter_active: r.try_get::<i64, _>("active")? == 1,
                starts_at: from_ms(r.try_get("starts_at")?),
                ends_at: from_ms(r.try_get("ends_at")?),
            })
        })
        .collect()
}

/// Overrides of a thread that could be active at `at`.
pub async fn overrides_at(
    c: &mut AnyConnection,
    thread: ThreadId,
    at: DateTime<Utc>,
) -> Result<Vec<OverrideSnapshot>, sqlx::Error> {
    overrides(c, thread, Some(at)).await
}

/// A thread's overrides, oldest first: all of them, or those that could be
/// active at `at`. The one loader the live engine and the simulator use; a
/// row it can't read is left out and reported in the log by id, never
/// silently.
pub async fn overrides(
    c: &mut AnyConnection,
    thread: ThreadId,
    at: Option<DateTime<Utc>>,
) -> Result<Vec<OverrideSnapshot>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.id, o.target, o.starts_at, o.ends_at, o.removed_at, o.created_at, o.reason, s.first_name, s.active
         FROM routing_overrides o LEFT JOIN sitters s ON s.id = o.target_sitter_id
         WHERE o.thread_id = $1 AND ($2 = 0 OR (o.starts_at <= $2 AND (o.ends_at IS NULL OR o.ends_at > $2)
               AND (o.removed_at IS NULL OR o.removed_at > $2)))
         ORDER BY o.created_at, o.id",
    )
    .bind(thread.0)
    .bind(at.map(ms).unwrap_or(0))
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        match override_from(r) {
            Ok(o) => out.push(o),
            Err(e) => {
                let id = r.try_get::<i64, _>("id").unwrap_or_default();
                tracing::warn!(thread = thread.0, override_id = id, error = %e, "routing override left out: can't read it");
            }
        }
    }
    Ok(out)
}

fn override_from(r: &sqlx::any::AnyRow) -> Result<OverrideSnapshot, String> {
    let target: String = r.try_get("target").map_err(|e| e.to_string())?;
    let target: OverrideTarget = target.parse().map_err(|_| format!("unknown target \"{target}\""))?;
    let get = |e: sqlx::Error| e.to_string();
    Ok(OverrideSnapshot {
        id: Some(crate::domain::ids::OverrideId(r.try_get("id").map_err(get)?)),
        target,
        target_name: r.try_get("first_name").map_err(get)?,
        target_active: r.try_get::<Option<i64>, _>("active").map_err(get)?.is_none_or(|a| a == 1),
        starts_at: from_ms(r.try_get("starts_at").map_err(get)?),
        ends_at: r.try_get::<Option<i64>, _>("ends_at").map_err(get)?.map(from_ms),
        removed_at: r.try_get::<Option<i64>, _>("removed_at").map_err(get)?.map(from_ms),
        created_at: from_ms(r.try_get("created_at").map_err(get)?),
        reason: r.try_get("reason").map_err(get)?,
    })
}

/// Everything `decide` needs for a message on `thread` at `at`.
#[allow(clippy::too_many_arguments)]
pub async fn snapshot(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    number: &NumberRow,
    thread: Option<ThreadId>,
    sender: &E164,
    direction: Direction,
    at: DateTime<Utc>,
    opted_out: bool,
) -> Result<RoutingSnapshot, sqlx::Error> {
    let (participants, windows, overrides, id) = match thread {
        Some(t) => {
            (participants(c, t).await?, windows_near(c, t, at, DECISION_SPAN).await?, overrides_at(c, t, at).await?, t)
        }
        None => (Vec::new(), Vec::new(), Vec::new(), ThreadId(0)),
    };
    let client_name = match thread {
        Some(t) => {
            sqlx::query("SELECT cl.first_name FROM threads t JOIN clients cl ON cl.id = t.client_id WHERE t.id = $1")
                .bind(t.0)
                .fetch_optional(&mut *c)
                .await?
                .and_then(|r| r.try_get("first_name").ok())
        }
        None => None,
    };
    Ok(RoutingSnapshot {
        at,
        direction,
        sender: sender.clone(),
        business_number: Some(BusinessNumberSnapshot { e164: number.e164.clone(), status: Some(number.status) }),
        thread: ThreadSnapshot { id, number_class: number.class, participants, client_name },
        windows,
        overrides,
        opted_out,
        time_zone: ctx.tz,
        front_desk: ctx.front_desk.clone(),
    })
}

/// Stores a decision with its exact snapshot; returns its id.
pub async fn store_decision(
    c: &mut AnyConnection,
    org: OrgId,
    thread: Option<ThreadId>,
    message: Option<i64>,
    snap: &RoutingSnapshot,
    d: &crate::domain::routing::Decision,
) -> Result<i64, sqlx::Error> {
    let target = match d.target {
        crate::domain::routing::Target::OwnerInbox => "owner_inbox",
        crate::domain::routing::Target::Sitter => "sitter",
        crate::domain::routing::Target::RecordOnly => "record_only",
        crate::domain::routing::Target::Rejected => "rejected",
    };
    let rule = serde_json::to_value(d.rule).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    sqlx::query(
        "INSERT INTO routing_decisions (org_id, thread_id, message_id, evaluated_at, direction, rule, target, target_sitter_id, reason, snapshot, decision, ruleset_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(org.0)
    .bind(thread.map(|t| t.0))
    .bind(message)
    .bind(ms(snap.at))
    .bind(if snap.direction == Direction::Inbound { "inbound" } else { "outbound" })
    .bind(rule)
    .bind(target)
    .bind(d.sitter_id.map(|s| s.0))
    .bind(&d.reason)
    .bind(serde_json::to_string(snap).unwrap_or_default())
    .bind(serde_json::to_string(d).unwrap_or_default())
    .bind(&d.ruleset_version)
    .fetch_one(&mut *c)
    .await?
    .try_get("id")
}

/// Where a number's webhooks were pointed (its status callbacks go there
/// too): the address chosen in Setup, else PUBLIC_BASE_URL.
pub async fn hookup_base_of(
    c: &mut AnyConnection,
    org: OrgId,
    e164: &E164,
    default: &str,
) -> Result<String, sqlx::Error> {
    let base: Option<String> =
        sqlx::query("SELECT hookup_base_url FROM numbers WHERE org_id = $1 AND e164 = $2 AND status <> 'inactive'")
            .bind(org.0)
            .bind(e164.as_str())
            .fetch_optional(&mut *c)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("hookup_base_url"))
            .transpose()?
            .flatten();
    Ok(base.unwrap_or_else(|| default.to_string()))
}

/// Records that `user` has read `thread` now (or marked it unread);
/// reading it also clears the shared count of texts nobody has read.
pub async fn mark_read_by(
    c: &mut AnyConnection,
    thread: ThreadId,
    user: i64,
    read: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO thread_reads (thread_id, user_id, read_at, marked_unread) VALUES ($1, $2, $3, $4)
         ON CONFLICT (thread_id, user_id) DO UPDATE SET read_at = excluded.read_at, marked_unread = excluded.marked_unread",
    )
    .bind(thread.0)
    .bind(user)
    .bind(ms(now))
    .bind(i16::from(!read))
    .execute(&mut *c)
    .await?;
    if read {
        // The shared count (what the API reports): texts nobody has read yet.
        sqlx::query("UPDATE threads SET unread_count = 0 WHERE id = $1").bind(thread.0).execute(&mut *c).await?;
    }
    Ok(())
}

/// The sender's previous bodies in this thread, oldest first (numbers split
/// over several texts are checked together).
pub async fn previous_bodies(
    c: &mut AnyConnection,
    thread: ThreadId,
    sender: crate::domain::outbound::Sender,
    n: u8,
) -> Result<Vec<String>, sqlx::Error> {
    let (kind, id) = match sender {
        crate::domain::outbound::Sender::Sitter { sitter_id } => ("sitter", Some(sitter_id.0)),
        crate::domain::outbound::Sender::Owner => ("owner", None),
        crate::domain::outbound::Sender::Automation => ("automation", None),
        crate::domain::outbound::Sender::System => ("system", None),
    };
    let rows = sqlx::query(
        "SELECT body FROM messages WHERE thread_id = $1 AND direction = 'outbound' AND sender_kind = $2
           AND ($3 IS NULL OR sender_sitter_id = $3) AND status NOT IN ('blocked', 'held')
         ORDER BY id DESC LIMIT $4",
    )
    .bind(thread.0)
    .bind(kind)
    .bind(id)
    .bind(n as i64)
    .fetch_all(&mut *c)
    .await?;
    let mut v: Vec<String> = rows.iter().filter_map(|r| r.try_get("body").ok()).collect();
    v.reverse();
    Ok(v)
}
