//! Assignments on the server. The rules (validity, overlaps, fixes, pool
//! selection) are the domain's; this file loads, checks and writes, each
//! change with its audit event in the same transaction.

use super::*;
use crate::domain::ids::{NumberId, OrgId};
use crate::domain::numbers::{self, NumberClass, NumberFacts, NumberStatus, Registration};
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::time::BusinessTz;
use crate::domain::windows::{self, Window, WindowError};
use crate::error::AppResult;
use crate::messaging::send::{self, SendOutcome, SendRequest};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::ctx::{request_id, require_owner, require_user};
use crate::platform::sessions::SessionUser;
use crate::platform::sql::{like_pattern, Sql};
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, state, AppState};
use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

const LIST_LIMIT: i64 = 500;

/// A window's new start and end.
type NewTimes = (WindowId, DateTime<Utc>, DateTime<Utc>);

fn actor(u: &SessionUser) -> Actor {
    u.actor(request_id())
}

struct Raw {
    id: WindowId,
    thread: ThreadId,
    sitter_id: SitterId,
    sitter: String,
    client_id: ClientId,
    client: String,
    client_first: String,
    kind: AssignmentKind,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    number: String,
}

const SELECT: &str = "SELECT w.id, w.thread_id, w.sitter_id, s.first_name AS sitter, w.client_id, cl.name AS client, cl.first_name AS client_first,
        w.kind, w.starts_at, w.ends_at, n.e164
    FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id JOIN clients cl ON cl.id = w.client_id
    JOIN threads t ON t.id = w.thread_id JOIN numbers n ON n.id = t.number_id";

fn raw(r: &sqlx::any::AnyRow) -> Result<Raw, sqlx::Error> {
    Ok(Raw {
        id: WindowId(r.try_get("id")?),
        thread: ThreadId(r.try_get("thread_id")?),
        sitter_id: SitterId(r.try_get("sitter_id")?),
        sitter: r.try_get("sitter")?,
        client_id: ClientId(r.try_get("client_id")?),
        client: r.try_get("client")?,
        client_first: r.try_get("client_first")?,
        kind: AssignmentKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(AssignmentKind::WeeklyClient),
        starts: from_ms(r.try_get("starts_at")?),
        ends: from_ms(r.try_get("ends_at")?),
        number: r.try_get("e164")?,
    })
}

fn as_window(r: &Raw) -> Window {
    Window { id: r.id, sitter_id: r.sitter_id, sitter_name: r.sitter.clone(), starts_at: r.starts, ends_at: r.ends }
}

/// The local days a window touches, with the minutes it covers on each
/// (at most 14 days, for the calendar).
fn day_spans(tz: BusinessTz, starts: DateTime<Utc>, ends: DateTime<Utc>) -> Vec<(String, u32, u32)> {
    let first = tz.local_date(starts);
    let last = tz.local_date(ends - Duration::milliseconds(1));
    let mut out = Vec::new();
    let mut d = first;
    while d <= last && out.len() < 14 {
        let from = if d == first { tz.local(starts).hour() * 60 + tz.local(starts).minute() } else { 0 };
        let to = if d == tz.local_date(ends) { tz.local(ends).hour() * 60 + tz.local(ends).minute() } else { 1440 };
        out.push((d.format("%Y-%m-%d").to_string(), from, to.max(from)));
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

fn row(r: &Raw, thread_windows: &[Window], tz: BusinessTz, now: DateTime<Utc>, owner: bool) -> WindowRow {
    let local = |t: DateTime<Utc>| tz.local(t).format("%Y-%m-%dT%H:%M").to_string();
    WindowRow {
        id: r.id,
        thread: r.thread,
        sitter_id: r.sitter_id,
        sitter: r.sitter.clone(),
        client_id: r.client_id,
        client: if owner { r.client.clone() } else { r.client_first.clone() },
        kind: r.kind,
        starts: tz.date_time(r.starts),
        ends: tz.date_time(r.ends),
        starts_local: local(r.starts),
        ends_local: local(r.ends),
        status: windows::status_at(&as_window(r), thread_windows, now),
        number: E164::from_canonical(&r.number).map(|e| e.display()).unwrap_or_else(|| r.number.clone()),
        days: day_spans(tz, r.starts, r.ends),
    }
}

/// All live windows of the given threads, grouped by thread (for statuses).
async fn thread_windows(
    c: &mut AnyConnection,
    threads: &[ThreadId],
) -> Result<HashMap<ThreadId, Vec<Window>>, sqlx::Error> {
    let mut out: HashMap<ThreadId, Vec<Window>> = HashMap::new();
    for chunk in threads.chunks(200) {
        let mut s = Sql::new(&format!("{SELECT} WHERE w.deleted_at IS NULL AND w.thread_id IN ("));
        for (i, t) in chunk.iter().enumerate() {
            let p = s.int(t.0);
            s.push(if i == 0 { "" } else { ", " }).push(&p);
        }
        s.push(")");
        for r in s.query().fetch_all(&mut *c).await? {
            let r = raw(&r)?;
            out.entry(r.thread).or_default().push(as_window(&r));
        }
    }
    Ok(out)
}

/// A local "YYYY-MM-DDTHH:MM[:SS]" from a form, or an exact RFC 3339 time
/// (what a stored booking carries, unambiguous when clocks go back).
fn parse_local(tz: BusinessTz, s: &str, field: &str) -> AppResult<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(exact) = DateTime::parse_from_rfc3339(t) {
        return Ok(exact.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .map(|l| tz.to_utc(l))
        .map_err(|_| {
            AppError::field(
                field,
                if t.is_empty() {
                    "Pick a date and time.".to_string()
                } else {
                    format!("\"{t}\" isn't a date and time.")
                },
            )
        })
}

pub async fn data(q: WindowQuery) -> AppResult<AssignmentBoard> {
    let u = require_owner().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let tz = ctx.tz;
    let now = now();
    let week_day =
        crate::domain::time::form_day(&q.week).map_err(AppError::on("week"))?.unwrap_or_else(|| tz.local_date(now));
    let monday = tz.local_date(tz.start_of_week(tz.start_of_day(week_day) + Duration::hours(12)));
    let week: Vec<(String, String)> = (0..7)
        .map(|i| {
            let d = monday + Duration::days(i);
            (d.format("%Y-%m-%d").to_string(), d.format("%a %-d").to_string())
        })
        .collect();
    let from = crate::domain::time::form_day(&q.from).map_err(AppError::on("from"))?;
    let to = crate::domain::time::form_day(&q.to).map_err(AppError::on("to"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::field("to", "The end date is before the start date."));
        }
    }
    let lo = tz.start_of_day(from.unwrap_or(monday));
    let hi = tz.start_of_day(to.unwrap_or(monday + Duration::days(6)).succ_opt().unwrap_or(monday));
    let mut s = Sql::new(SELECT);
    let p_org = s.int(u.org_id.0);
    let (p_lo, p_hi) = (s.int(ms(lo)), s.int(ms(hi)));
    s.push(&format!(
        " WHERE w.org_id = {p_org} AND w.deleted_at IS NULL AND w.ends_at > {p_lo} AND w.starts_at < {p_hi}"
    ));
    if !q.sitter.trim().is_empty() {
        let id: i64 =
            q.sitter.trim().parse().map_err(|_| AppError::field("sitter", "Choose a sitter from the list."))?;
        let p = s.int(id);
        s.push(&format!(" AND w.sitter_id = {p}"));
    }
    if !q.client.trim().is_empty() {
        let p = s.text(like_pattern(q.client.trim()));
        s.push(&format!(" AND LOWER(cl.name) LIKE {p} ESCAPE '\\'"));
    }
    let status = q.status.trim();
    if !["", "active", "future", "past", "conflicting"].contains(&status) {
        return Err(AppError::field("status", "Choose a status from the list."));
    }
    let p_limit = s.int(LIST_LIMIT + 1);
    s.push(&format!(" ORDER BY w.starts_at, w.id LIMIT {p_limit}"));
    let raws: Vec<Raw> = s.query().fetch_all(&mut *c).await?.iter().map(raw).collect::<Result<_, _>>()?;
    let truncated = raws.len() as i64 > LIST_LIMIT;
    let mut threads: Vec<ThreadId> = raws.iter().map(|r| r.thread).collect();
    threads.sort();
    threads.dedup();
    let by_thread = thread_windows(&mut c, &threads).await?;
    let windows: Vec<WindowRow> = raws
        .iter()
        .take(LIST_LIMIT as usize)
        .map(|r| row(r, by_thread.get(&r.thread).map(Vec::as_slice).unwrap_or(&[]), tz, now, true))
        .filter(|w| status.is_empty() || w.status.as_str() == status)
        .collect();
    let conflicts = conflicts(&mut c, u.org_id, tz, now).await?;
    let sitters =
        choices(&mut c, "SELECT id, name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY name", u.org_id)
            .await?;
    let clients = choices(
        &mut c,
        "SELECT id, name FROM clients WHERE org_id = $1 AND merged_into IS NULL AND is_unknown = 0 ORDER BY name LIMIT 2000",
        u.org_id,
    )
    .await?;
    Ok(AssignmentBoard {
        windows,
        conflicts,
        sitters,
        clients,
        week,
        today: tz.local_date(now).format("%Y-%m-%d").to_string(),
        time_zone: tz.name().to_string(),
        truncated,
    })
}

async fn choices(c: &mut AnyConnection, sql: &str, org: OrgId) -> Result<Vec<Choice>, sqlx::Error> {
    sqlx::query(sql)
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok(Choice { id: r.try_get("id")?, name: r.try_get("name")? }))
        .collect()
}

/// Every overlap among windows that haven't ended, with its one-click fixes.
async fn conflicts(
    c: &mut AnyConnection,
    org: OrgId,
    tz: BusinessTz,
    now: DateTime<Utc>,
) -> AppResult<Vec<ConflictRow>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at, w.id"
    ))
    .bind(org.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?;
    let raws: Vec<Raw> = rows.iter().map(raw).collect::<Result<_, _>>()?;
    let mut by_thread: HashMap<ThreadId, Vec<&Raw>> = HashMap::new();
    for r in &raws {
        by_thread.entry(r.thread).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut keys: Vec<&ThreadId> = by_thread.keys().collect();
    keys.sort();
    for t in keys {
        let list = &by_thread[t];
        let ws: Vec<Window> = list.iter().map(|r| as_window(r)).collect();
        for conflict in windows::conflicts(&ws) {
            let find = |id: WindowId| list.iter().find(|r| r.id == id).map(|r| row(r, &ws, tz, now, true));
            let (Some(first), Some(second)) = (find(conflict.first.id), find(conflict.second.id)) else { continue };
            let fixes = windows::resolutions(&conflict)
                .into_iter()
                .map(|f| {
                    let label = match &f {
                        Resolution::Keep { keep, .. } => {
                            let who = if *keep == first.id { &first.sitter } else { &second.sitter };
                            format!("Keep {who}'s, delete the other")
                        }
                        Resolution::ShortenFirst { new_end, .. } => {
                            format!("End {}'s at {}", first.sitter, tz.day_time(*new_end))
                        }
                        Resolution::ShortenSecond { new_start, .. } => {
                            format!("Start {}'s at {}", second.sitter, tz.day_time(*new_start))
                        }
                        Resolution::SplitAt { at, .. } => format!("Split at {}", tz.day_time(*at)),
                    };
                    (label, f)
                })
                .collect();
            out.push(ConflictRow {
                overlap: format!("{} – {}", tz.date_time(conflict.overlap_from), tz.date_time(conflict.overlap_to)),
                first,
                second,
                fixes,
            });
        }
    }
    Ok(out)
}

/// Everything an assignment will do, worked out before anything is written.
struct Plan {
    sitter: String,
    sitter_first: String,
    client_first: String,
    client_name: String,
    number: NumberId,
    number_e164: E164,
    pool: bool,
    thread: Option<ThreadId>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    previous_sitter: Option<String>,
    message: Option<String>,
}

pub async fn number_facts(c: &mut AnyConnection, org: OrgId) -> Result<Vec<NumberFacts>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, e164, class, status, sitter_id, cooldown_until, last_used_at, registration FROM numbers WHERE org_id = $1")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let (Some(e164), Some(class), Some(status)) = (
            E164::from_canonical(&r.try_get::<String, _>("e164")?),
            NumberClass::parse(&r.try_get::<String, _>("class")?),
            NumberStatus::parse(&r.try_get::<String, _>("status")?),
        ) else {
            continue;
        };
        out.push(NumberFacts {
            id: NumberId(r.try_get("id")?),
            e164,
            class,
            status,
            sitter_id: r.try_get::<Option<i64>, _>("sitter_id")?.map(SitterId),
            cooldown_until: r.try_get::<Option<i64>, _>("cooldown_until")?.map(from_ms),
            last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(from_ms),
            registration: Registration::parse(&r.try_get::<String, _>("registration")?),
        });
    }
    Ok(out)
}

fn overlap_error(e: WindowError) -> AppError {
    match e {
        WindowError::EndsBeforeStart => AppError::field("ends", e.to_string()),
        WindowError::Overlap { .. } => AppError::Conflict(e.to_string()),
    }
}

async fn plan(c: &mut AnyConnection, ctx: &OrgContext, f: &AssignForm, now: DateTime<Utc>) -> AppResult<Plan> {
    let tz = ctx.tz;
    let org = ctx.id;
    let starts = parse_local(tz, &f.starts, "starts")?;
    let ends = parse_local(tz, &f.ends, "ends")?;
    windows::validate(starts, ends).map_err(|e| AppError::field("ends", e.to_string()))?;
    if ends <= now {
        return Err(AppError::field("ends", "This window would already be over. Pick an end in the future."));
    }
    if ends - starts > Duration::days(62) {
        return Err(AppError::field(
            "ends",
            "A window can last two months at most. For a longer arrangement, add a window per month.",
        ));
    }
    let s = sqlx::query("SELECT name, first_name, active FROM sitters WHERE id = $1 AND org_id = $2")
        .bind(f.sitter.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| AppError::field("sitter", "Choose a sitter from the list."))?;
    if s.try_get::<i64, _>("active")? != 1 {
        return Err(AppError::field("sitter", "That sitter is switched off. Turn them back on in People first."));
    }
    let cl = sqlx::query("SELECT name, first_name FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL")
        .bind(f.client.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| AppError::field("client", "Choose a client from the list."))?;
    let client_name: String = cl.try_get("name")?;
    let client_first: String = cl.try_get("first_name")?;
    if mstore::client_contacts(c, f.client).await?.is_empty() {
        return Err(AppError::field(
            "client",
            format!("{client_name} has no phone number yet. Add one in People first."),
        ));
    }
    let sitter: String = s.try_get("name")?;
    let sitter_first: String = s.try_get("first_name")?;
    let facts = number_facts(c, org).await?;
    let (number, pool) = if f.kind.uses_sitter_number() {
        let n = facts
            .iter()
            .filter(|n| n.class == NumberClass::Sitter && n.status == NumberStatus::Active && n.sitter_id == Some(f.sitter))
            .min_by(|a, b| a.e164.cmp(&b.e164))
            .ok_or_else(|| AppError::field("sitter", format!("{sitter_first} has no sitter number yet. Give them one in Numbers, or make this a one-time booking (it uses a pool number).")))?;
        (n.clone(), false)
    } else {
        // A pool number lent to someone else's booking that hasn't ended can't be lent again.
        let busy: Vec<i64> = sqlx::query(
            "SELECT DISTINCT t.number_id FROM assignment_windows w JOIN threads t ON t.id = w.thread_id JOIN numbers n ON n.id = t.number_id
             WHERE n.org_id = $1 AND n.class = 'pool' AND w.deleted_at IS NULL AND w.ends_at > $2 AND w.client_id <> $3",
        )
        .bind(org.0)
        .bind(ms(starts.min(now)))
        .bind(f.client.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("number_id"))
        .collect::<Result<_, _>>()?;
        let free: Vec<NumberFacts> = facts.iter().filter(|n| !busy.contains(&n.id.0)).cloned().collect();
        let n = numbers::select_pool_number(&free, now).ok_or_else(|| {
            AppError::field("kind", "No pool number is free for this booking. Buy another pool number in Numbers, or make this a weekly assignment.")
        })?;
        (n.clone(), true)
    };
    let thread = sqlx::query("SELECT id FROM threads WHERE client_id = $1 AND number_id = $2")
        .bind(f.client.0)
        .bind(number.id.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get::<i64, _>("id"))
        .transpose()?
        .map(ThreadId);
    if let Some(t) = thread {
        let others: Vec<Window> = thread_windows(c, &[t]).await?.remove(&t).unwrap_or_default();
        windows::check_new((starts, ends), &others, None, tz).map_err(overlap_error)?;
    }
    let previous_sitter: Option<(i64, String)> = sqlx::query(
        "SELECT w.sitter_id, s.first_name FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id
         WHERE w.client_id = $1 AND w.deleted_at IS NULL AND w.starts_at <= $2 ORDER BY w.starts_at DESC, w.id DESC LIMIT 1",
    )
    .bind(f.client.0)
    .bind(ms(starts))
    .fetch_optional(&mut *c)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("sitter_id")?, r.try_get("first_name")?)))
    .transpose()?;
    let changed = previous_sitter.as_ref().is_none_or(|(id, _)| *id != f.sitter.0);
    let message = changed.then(|| {
        format!(
            "Hi {client_first}, it's {}. {sitter_first} will look after your pets from {} to {}. Reply to this number to reach {sitter_first}.",
            ctx.name,
            tz.day_time(starts),
            tz.day_time(ends)
        )
    });
    Ok(Plan {
        sitter,
        sitter_first,
        client_first,
        client_name,
        number: number.id,
        number_e164: number.e164.clone(),
        pool,
        thread,
        starts,
        ends,
        previous_sitter: previous_sitter.map(|p| p.1),
        message,
    })
}

/// When the introduction goes: now, or at the end of quiet hours unless
/// the owner chose to send it now.
fn intro_at(p: &Plan, f: &AssignForm, ctx: &OrgContext, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if p.message.is_none() || f.send_intro_now {
        return None;
    }
    crate::domain::automation::defer_until(now, ctx.tz, ctx.settings.quiet_hours)
}

fn describe(p: &Plan, f: &AssignForm, tz: BusinessTz, waits: Option<DateTime<Utc>>) -> AssignPreview {
    let number = p.number_e164.display();
    let (from, to) = (tz.day_time(p.starts), tz.day_time(p.ends));
    let mut lines = vec![
        format!(
            "Creates a {} window: {} with {}, {from} – {to} ({}).",
            f.kind.label().to_lowercase(),
            p.client_name,
            p.sitter,
            tz.name()
        ),
        if p.pool {
            format!("Lends pool number {number} to {} for this booking.", p.client_first)
        } else {
            format!("Uses {}'s own number {number}.", p.sitter_first)
        },
        format!(
            "During the window {}'s texts to {number} go to {}; outside it they go to the owner inbox.",
            p.client_first, p.sitter_first
        ),
    ];
    match (&p.message, &p.previous_sitter) {
        (Some(_), Some(prev)) => lines.push(format!(
            "The sitter changes from {prev} to {}, so {} gets the text below from {number}.",
            p.sitter_first, p.client_first
        )),
        (Some(_), None) => {
            lines.push(format!("{} gets the text below from {number} to introduce {}.", p.client_first, p.sitter_first))
        }
        (None, _) => lines.push(format!("No text to {}: {} is already their sitter.", p.client_first, p.sitter_first)),
    }
    if let Some(t) = waits {
        lines.push(format!(
            "It's quiet hours, so the text waits until {}. Tick \"Send it now\" to send it at once.",
            tz.date_time(t)
        ));
    } else if p.message.is_some() && f.send_intro_now {
        lines.push("The text goes now, inside quiet hours, because you chose to send it now.".into());
    }
    lines.push("Records a booking and an entry in the audit trail.".into());
    AssignPreview {
        summary: format!("{} will text {} from {number} from {from} to {to}.", p.sitter_first, p.client_first),
        lines,
        message: p.message.clone(),
        waits_until: waits.map(|t| tz.date_time(t)),
    }
}

pub async fn preview(f: AssignForm) -> AppResult<AssignPreview> {
    let u = require_owner().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let now = now();
    let p = plan(&mut c, &ctx, &f, now).await?;
    Ok(describe(&p, &f, ctx.tz, intro_at(&p, &f, &ctx, now)))
}

pub async fn create(f: AssignForm) -> AppResult<WindowId> {
    let u = require_owner().await?;
    create_window(&u, f, None).await
}

/// Makes the window (and the confirmed booking behind it): for a new
/// assignment, or for a requested booking being confirmed.
async fn create_window(u: &SessionUser, f: AssignForm, requested: Option<i64>) -> AppResult<WindowId> {
    use crate::domain::automation::definition::TriggerKind;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let p = plan(&mut tx, &ctx, &f, now).await?;
    let thread = match p.thread {
        Some(t) => t,
        None => mstore::find_or_create_thread(&mut tx, u.org_id, f.client, p.number, true, "business", now).await?.0,
    };
    if p.pool {
        sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1 AND id <> $2")
            .bind(p.number.0)
            .bind(thread.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE threads SET is_current = 1 WHERE id = $1").bind(thread.0).execute(&mut *tx).await?;
    }
    sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(p.number.0)
        .execute(&mut *tx)
        .await?;
    let booking: i64 = match requested {
        Some(b) => {
            let confirmed = sqlx::query(
                "UPDATE bookings SET status = 'confirmed' WHERE id = $1 AND org_id = $2 AND status = 'requested' RETURNING id",
            )
            .bind(b)
            .bind(u.org_id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if confirmed.is_none() {
                return Err(AppError::Conflict("That booking was confirmed or cancelled a moment ago.".into()));
            }
            crate::automations::runner::booking_changed(&mut tx, u.org_id, b, &[TriggerKind::BookingConfirmed]).await?;
            b
        }
        None => {
            let b = insert_booking(&mut tx, u, &f, &p, "confirmed", now).await?;
            crate::automations::runner::booking_changed(
                &mut tx,
                u.org_id,
                b,
                &[TriggerKind::BookingCreated, TriggerKind::BookingConfirmed],
            )
            .await?;
            b
        }
    };
    let id: i64 = sqlx::query(
        "INSERT INTO assignment_windows (org_id, thread_id, client_id, sitter_id, kind, booking_id, starts_at, ends_at, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(u.org_id.0)
    .bind(thread.0)
    .bind(f.client.0)
    .bind(f.sitter.0)
    .bind(f.kind.as_str())
    .bind(booking)
    .bind(ms(p.starts))
    .bind(ms(p.ends))
    .bind(ms(now))
    .bind(u.user_id.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let waits = intro_at(&p, &f, &ctx, now);
    let summary = describe(&p, &f, ctx.tz, waits).summary;
    audit::append(
        &mut tx,
        u.org_id,
        &actor(u),
        Event::new("assignment.created", "assignment_window", id, summary)
            .payload(serde_json::json!({
                "sitter_id": f.sitter.0, "client_id": f.client.0, "kind": f.kind.as_str(), "booking_id": booking,
                "starts_at": ms(p.starts), "ends_at": ms(p.ends), "number_id": p.number.0,
                "intro_waits_until": waits.map(ms), "intro_sent_in_quiet_hours": f.send_intro_now && p.message.is_some(),
            }))
            .thread(thread.0),
    )
    .await?;
    if let Some(body) = &p.message {
        let req = SendRequest {
            org: u.org_id,
            thread,
            body: body.clone(),
            sender: Sender::System,
            actor: actor(u),
            confirmed: false,
            automation_id: None,
        };
        match send::send_in_at(&mut tx, &req, now, waits).await {
            Ok(SendOutcome::Queued { .. })
            | Ok(SendOutcome::Refused { .. })
            | Ok(SendOutcome::NeedsConfirmation { .. }) => {}
            Err(send::SendError::Db(e)) => return Err(e.into()),
            Err(e) => return Err(AppError::Conflict(e.to_string())),
        }
    }
    tx.commit().await?;
    st.jobs_wake.notify_one();
    publish(&st, u.org_id, thread);
    Ok(WindowId(id))
}

/// A booking the booking software has requested but not confirmed: its
/// sitter, client and times are checked as for a real assignment (so a
/// request that could never be confirmed is refused now), and nothing else
/// happens: no window, no number, no text to the client. "Booking created"
/// automations run; "booking confirmed" ones wait for [`confirm_request`].
pub async fn request(f: AssignForm) -> AppResult<i64> {
    use crate::domain::automation::definition::TriggerKind;
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let p = plan(&mut tx, &ctx, &f, now).await?;
    let booking = insert_booking(&mut tx, &u, &f, &p, "requested", now).await?;
    crate::automations::runner::booking_changed(&mut tx, u.org_id, booking, &[TriggerKind::BookingCreated]).await?;
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "booking.requested",
            "booking",
            booking,
            format!(
                "{} requested for {} with {} ({} – {}), waiting for confirmation",
                f.kind.label(),
                p.client_name,
                p.sitter,
                ctx.tz.date_time(p.starts),
                ctx.tz.date_time(p.ends)
            ),
        )
        .payload(serde_json::json!({
            "sitter_id": f.sitter.0, "client_id": f.client.0, "kind": f.kind.as_str(),
            "starts_at": ms(p.starts), "ends_at": ms(p.ends),
        })),
    )
    .await?;
    tx.commit().await?;
    st.jobs_wake.notify_one();
    Ok(booking)
}

/// Stores the booking an assignment form stands for, as `status`
/// (confirmed or requested).
async fn insert_booking(
    c: &mut AnyConnection,
    u: &SessionUser,
    f: &AssignForm,
    p: &Plan,
    status: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO bookings (org_id, client_id, sitter_id, service, starts_at, ends_at, status, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(u.org_id.0)
    .bind(f.client.0)
    .bind(f.sitter.0)
    .bind(f.kind.label())
    .bind(ms(p.starts))
    .bind(ms(p.ends))
    .bind(status)
    .bind(ms(now))
    .bind(u.user_id.0)
    .fetch_one(&mut *c)
    .await?
    .try_get("id")
}

/// A requested booking as stored.
struct Requested {
    client: ClientId,
    sitter: SitterId,
    kind: AssignmentKind,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
}

/// The booking, if it is still only requested; otherwise why not.
async fn requested(c: &mut AnyConnection, org: OrgId, booking: i64) -> AppResult<Requested> {
    let r = sqlx::query(
        "SELECT client_id, sitter_id, service, status, starts_at, ends_at FROM bookings WHERE id = $1 AND org_id = $2",
    )
    .bind(booking)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| AppError::NotFound("There is no booking with that id.".into()))?;
    match r.try_get::<String, _>("status")?.as_str() {
        "requested" => {}
        "confirmed" => return Err(AppError::Conflict("That booking is already confirmed.".into())),
        "cancelled" => return Err(AppError::Conflict("That booking is cancelled; create a new one instead.".into())),
        _ => return Err(AppError::Conflict("That booking is over.".into())),
    }
    let service: String = r.try_get("service")?;
    Ok(Requested {
        client: ClientId(r.try_get("client_id")?),
        sitter: SitterId(r.try_get("sitter_id")?),
        kind: AssignmentKind::ALL.into_iter().find(|k| k.label() == service).unwrap_or(AssignmentKind::OneTimeBooking),
        starts: from_ms(r.try_get("starts_at")?),
        ends: from_ms(r.try_get("ends_at")?),
    })
}

/// Confirms a requested booking: the assignment is made as if it were
/// booked now (window, number, the client's introduction, which waits out
/// quiet hours), and "booking confirmed" automations run.
pub async fn confirm_request(booking: i64) -> AppResult<WindowId> {
    let u = require_owner().await?;
    let st = state()?;
    let r = {
        let mut c = st.db.read.acquire().await?;
        requested(&mut c, u.org_id, booking).await?
    };
    let form = request_form(&r, r.starts, r.ends);
    create_window(&u, form, Some(booking)).await
}

/// The assign form a requested booking stands for, at exact times.
fn request_form(r: &Requested, starts: DateTime<Utc>, ends: DateTime<Utc>) -> AssignForm {
    AssignForm {
        sitter: r.sitter,
        client: r.client,
        kind: r.kind,
        starts: starts.to_rfc3339(),
        ends: ends.to_rfc3339(),
        send_intro_now: false,
    }
}

/// Moves a requested booking (nothing else exists for it yet), checked as
/// the assignment it would become.
pub async fn move_request(booking: i64, starts: DateTime<Utc>, ends: DateTime<Utc>) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let r = requested(&mut tx, u.org_id, booking).await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    plan(&mut tx, &ctx, &request_form(&r, starts, ends), now).await?;
    let tz = ctx.tz;
    let moved = sqlx::query("UPDATE bookings SET starts_at = $1, ends_at = $2 WHERE id = $3 AND status = 'requested'")
        .bind(ms(starts))
        .bind(ms(ends))
        .bind(booking)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::Conflict("That booking was confirmed or cancelled a moment ago.".into()));
    }
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "booking.changed",
            "booking",
            booking,
            format!("Requested booking moved to {} – {}", tz.date_time(starts), tz.date_time(ends)),
        )
        .payload(serde_json::json!({ "before": [ms(r.starts), ms(r.ends)], "after": [ms(starts), ms(ends)] })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels a requested booking.
pub async fn cancel_request(booking: i64) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let mut tx = st.db.begin().await?;
    let r = requested(&mut tx, u.org_id, booking).await?;
    let tz = mstore::org_context(&mut tx, u.org_id).await?.tz;
    let changed = sqlx::query("UPDATE bookings SET status = 'cancelled' WHERE id = $1 AND status = 'requested'")
        .bind(booking)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::Conflict("That booking was confirmed or cancelled a moment ago.".into()));
    }
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "booking.cancelled",
            "booking",
            booking,
            format!("Requested booking for {} – {} cancelled", tz.date_time(r.starts), tz.date_time(r.ends)),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn publish(st: &AppState, org: OrgId, thread: ThreadId) {
    st.publish(LiveEvent {
        org_id: org.0,
        thread_id: Some(thread.0),
        owner_only: false,
        kind: "assignment".into(),
        data: serde_json::json!({}),
    });
}

async fn load(c: &mut AnyConnection, org: OrgId, id: WindowId) -> AppResult<Raw> {
    let r = sqlx::query(&format!("{SELECT} WHERE w.id = $1 AND w.org_id = $2 AND w.deleted_at IS NULL"))
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| AppError::NotFound("That window doesn't exist (it may have been deleted).".into()))?;
    Ok(raw(&r)?)
}

pub async fn edit(id: WindowId, starts: String, ends: String) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let w = load(&mut tx, u.org_id, id).await?;
    if w.ends <= now {
        return Err(AppError::Conflict(
            "This window is over; past windows stay as they were so the history is true.".into(),
        ));
    }
    let new_starts = parse_local(ctx.tz, &starts, "starts")?;
    let new_ends = parse_local(ctx.tz, &ends, "ends")?;
    if new_ends <= now {
        return Err(AppError::field("ends", "The window would already be over. To end it now, delete it."));
    }
    let others = thread_windows(&mut tx, &[w.thread]).await?.remove(&w.thread).unwrap_or_default();
    windows::check_new((new_starts, new_ends), &others, Some(id), ctx.tz).map_err(overlap_error)?;
    sqlx::query("UPDATE assignment_windows SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(ms(new_starts))
        .bind(ms(new_ends))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    // The booking behind the window moves with it.
    sqlx::query(
        "UPDATE bookings SET starts_at = $1, ends_at = $2 WHERE id = (SELECT booking_id FROM assignment_windows WHERE id = $3)",
    )
    .bind(ms(new_starts))
    .bind(ms(new_ends))
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    let tz = ctx.tz;
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "assignment.changed",
            "assignment_window",
            id.0,
            format!(
                "{}'s window with {} moved to {} – {}",
                w.sitter,
                w.client,
                tz.date_time(new_starts),
                tz.date_time(new_ends)
            ),
        )
        .payload(serde_json::json!({ "before": [ms(w.starts), ms(w.ends)], "after": [ms(new_starts), ms(new_ends)] }))
        .thread(w.thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(&st, u.org_id, w.thread);
    Ok(())
}

async fn soft_delete(tx: &mut crate::platform::Tx, w: &Raw, why: &str, now: DateTime<Utc>) -> AppResult<()> {
    sqlx::query("UPDATE assignment_windows SET deleted_at = $1, closed_reason = $2 WHERE id = $3")
        .bind(ms(now))
        .bind(why)
        .bind(w.id.0)
        .execute(&mut **tx)
        .await?;
    // A deleted window is a cancelled booking.
    sqlx::query(
        "UPDATE bookings SET status = 'cancelled' WHERE id = (SELECT booking_id FROM assignment_windows WHERE id = $1) AND status <> 'completed'",
    )
    .bind(w.id.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn delete(id: WindowId) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let w = load(&mut tx, u.org_id, id).await?;
    soft_delete(&mut tx, &w, "deleted by the owner", now).await?;
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new(
            "assignment.deleted",
            "assignment_window",
            id.0,
            format!(
                "{}'s window with {} ({} – {}) deleted",
                w.sitter,
                w.client,
                ctx.tz.date_time(w.starts),
                ctx.tz.date_time(w.ends)
            ),
        )
        .thread(w.thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(&st, u.org_id, w.thread);
    Ok(())
}

pub async fn resolve(fix: Resolution) -> AppResult<()> {
    let u = require_owner().await?;
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let tz = ctx.tz;
    let (a, b) = match &fix {
        Resolution::Keep { keep, delete } => (*keep, *delete),
        Resolution::ShortenFirst { window, .. } | Resolution::ShortenSecond { window, .. } => {
            let w = load(&mut tx, u.org_id, *window).await?;
            let others = thread_windows(&mut tx, &[w.thread]).await?.remove(&w.thread).unwrap_or_default();
            let other = others
                .iter()
                .find(|o| o.id != w.id && windows::overlap((w.starts, w.ends), (o.starts_at, o.ends_at)).is_some())
                .ok_or_else(|| AppError::Conflict("That conflict is already resolved.".into()))?;
            (w.id, other.id)
        }
        Resolution::SplitAt { first, second, .. } => (*first, *second),
    };
    let wa = load(&mut tx, u.org_id, a).await?;
    let wb = load(&mut tx, u.org_id, b).await?;
    if wa.thread != wb.thread || windows::overlap((wa.starts, wa.ends), (wb.starts, wb.ends)).is_none() {
        return Err(AppError::Conflict(
            "Those windows don't overlap any more: the conflict is already resolved.".into(),
        ));
    }
    let set = |id: WindowId, s: DateTime<Utc>, e: DateTime<Utc>| (id, s, e);
    let (summary, updates): (String, Vec<NewTimes>) = match fix {
        Resolution::Keep { .. } => {
            soft_delete(&mut tx, &wb, &format!("conflict resolved: kept window {}", wa.id.0), now).await?;
            (format!("Conflict on {}: kept {}'s window, deleted {}'s", wa.client, wa.sitter, wb.sitter), vec![])
        }
        Resolution::ShortenFirst { window, new_end } => {
            let w = if window == wa.id { &wa } else { &wb };
            (
                format!("Conflict on {}: {}'s window now ends {}", w.client, w.sitter, tz.date_time(new_end)),
                vec![set(w.id, w.starts, new_end)],
            )
        }
        Resolution::ShortenSecond { window, new_start } => {
            let w = if window == wa.id { &wa } else { &wb };
            (
                format!("Conflict on {}: {}'s window now starts {}", w.client, w.sitter, tz.date_time(new_start)),
                vec![set(w.id, new_start, w.ends)],
            )
        }
        Resolution::SplitAt { at, .. } => (
            format!("Conflict on {}: split at {} between {} and {}", wa.client, tz.date_time(at), wa.sitter, wb.sitter),
            vec![set(wa.id, wa.starts, at), set(wb.id, at, wb.ends)],
        ),
    };
    for (id, s, e) in &updates {
        windows::validate(*s, *e)
            .map_err(|_| AppError::Conflict("That fix would leave an empty window. Pick another.".into()))?;
        sqlx::query("UPDATE assignment_windows SET starts_at = $1, ends_at = $2 WHERE id = $3")
            .bind(ms(*s))
            .bind(ms(*e))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    // The fix must actually leave the two apart.
    let after = thread_windows(&mut tx, &[wa.thread]).await?.remove(&wa.thread).unwrap_or_default();
    if windows::conflicts(&after)
        .iter()
        .any(|c| [c.first.id, c.second.id].contains(&wa.id) && [c.first.id, c.second.id].contains(&wb.id))
    {
        return Err(AppError::Conflict("That fix doesn't separate the two windows. Pick another.".into()));
    }
    audit::append(
        &mut tx,
        u.org_id,
        &actor(&u),
        Event::new("assignment.conflict_resolved", "assignment_window", wa.id.0, summary)
            .payload(serde_json::json!({ "fix": fix }))
            .thread(wa.thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(&st, u.org_id, wa.thread);
    Ok(())
}

pub async fn my_schedule() -> AppResult<Vec<WindowRow>> {
    let u = require_user().await?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let now = now();
    let owner = u.is_owner();
    let mut s = Sql::new(SELECT);
    let p_org = s.int(u.org_id.0);
    let p_lo = s.int(ms(now - Duration::days(30)));
    s.push(&format!(" WHERE w.org_id = {p_org} AND w.deleted_at IS NULL AND w.ends_at > {p_lo}"));
    if !owner {
        let Some(sid) = u.sitter_id else {
            return Err(AppError::Forbidden(
                "Your account isn't linked to a sitter profile. Ask the owner to fix it in People.".into(),
            ));
        };
        let p = s.int(sid.0);
        s.push(&format!(" AND w.sitter_id = {p}"));
    } else {
        let p_hi = s.int(ms(now + Duration::days(14)));
        s.push(&format!(" AND w.starts_at < {p_hi}"));
    }
    s.push(" ORDER BY w.starts_at DESC, w.id DESC LIMIT 200");
    let raws: Vec<Raw> = s.query().fetch_all(&mut *c).await?.iter().map(raw).collect::<Result<_, _>>()?;
    let mut threads: Vec<ThreadId> = raws.iter().map(|r| r.thread).collect();
    threads.sort();
    threads.dedup();
    let by_thread = thread_windows(&mut c, &threads).await?;
    Ok(raws
        .iter()
        .map(|r| row(r, by_thread.get(&r.thread).map(Vec::as_slice).unwrap_or(&[]), ctx.tz, now, owner))
        .collect())
}
