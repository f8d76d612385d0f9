//! Assignments' SQL: windows, the bookings behind them, and what an
//! assignment reads about sitters, clients, numbers and threads. The
//! decisions are in `service.rs` and the domain.

use super::*;
use crate::domain::ids::{NumberId, OrgId, UserId};
use crate::domain::numbers::{NumberClass, NumberFacts, NumberStatus, Registration};
use crate::domain::phone::E164;
use crate::domain::windows::Window;
use crate::platform::sql::{like_pattern, Sql};
use crate::platform::{from_ms, ms, Tx};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A live or past window with the names and number shown beside it.
pub(super) struct Raw {
    pub id: WindowId,
    pub thread: ThreadId,
    pub sitter_id: SitterId,
    pub sitter: String,
    pub client_id: ClientId,
    pub client: String,
    pub client_first: String,
    pub kind: AssignmentKind,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub number: String,
}

impl Raw {
    pub fn window(&self) -> Window {
        Window {
            id: self.id,
            sitter_id: self.sitter_id,
            sitter_name: self.sitter.clone(),
            starts_at: self.starts,
            ends_at: self.ends,
        }
    }
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

/// All live windows of the given threads, grouped by thread (for statuses).
pub(super) async fn thread_windows(
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
            out.entry(r.thread).or_default().push(r.window());
        }
    }
    Ok(out)
}

/// The live windows of one thread.
pub(super) async fn windows_of(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<Window>, sqlx::Error> {
    Ok(thread_windows(c, &[thread]).await?.remove(&thread).unwrap_or_default())
}

/// What the windows list asks for.
pub(super) struct ListFilter<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub sitter: Option<SitterId>,
    /// Part of the client's name.
    pub client: Option<&'a str>,
    pub limit: i64,
}

/// Live windows overlapping `from`..`to`, earliest first.
pub(super) async fn list(c: &mut AnyConnection, org: OrgId, f: &ListFilter<'_>) -> Result<Vec<Raw>, sqlx::Error> {
    let mut s = Sql::new(SELECT);
    let p_org = s.int(org.0);
    let (p_lo, p_hi) = (s.int(ms(f.from)), s.int(ms(f.to)));
    s.push(&format!(
        " WHERE w.org_id = {p_org} AND w.deleted_at IS NULL AND w.ends_at > {p_lo} AND w.starts_at < {p_hi}"
    ));
    if let Some(sitter) = f.sitter {
        let p = s.int(sitter.0);
        s.push(&format!(" AND w.sitter_id = {p}"));
    }
    if let Some(client) = f.client {
        let p = s.text(like_pattern(client));
        s.push(&format!(" AND LOWER(cl.name) LIKE {p} ESCAPE '\\'"));
    }
    let p_limit = s.int(f.limit);
    s.push(&format!(" ORDER BY w.starts_at, w.id LIMIT {p_limit}"));
    s.query().fetch_all(&mut *c).await?.iter().map(raw).collect()
}

/// Every live window that hasn't ended, earliest first.
pub(super) async fn not_ended(c: &mut AnyConnection, org: OrgId, now: DateTime<Utc>) -> Result<Vec<Raw>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at, w.id"
    ))
    .bind(org.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(raw)
    .collect()
}

/// A sitter's windows (or everyone's) that ended after `since`, newest first;
/// `until` leaves out the ones starting later.
pub(super) async fn schedule(
    c: &mut AnyConnection,
    org: OrgId,
    sitter: Option<SitterId>,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Raw>, sqlx::Error> {
    let mut s = Sql::new(SELECT);
    let p_org = s.int(org.0);
    let p_lo = s.int(ms(since));
    s.push(&format!(" WHERE w.org_id = {p_org} AND w.deleted_at IS NULL AND w.ends_at > {p_lo}"));
    if let Some(sid) = sitter {
        let p = s.int(sid.0);
        s.push(&format!(" AND w.sitter_id = {p}"));
    }
    if let Some(until) = until {
        let p_hi = s.int(ms(until));
        s.push(&format!(" AND w.starts_at < {p_hi}"));
    }
    s.push(" ORDER BY w.starts_at DESC, w.id DESC LIMIT 200");
    s.query().fetch_all(&mut *c).await?.iter().map(raw).collect()
}

/// One live window of the business.
pub(super) async fn load(c: &mut AnyConnection, org: OrgId, id: WindowId) -> Result<Option<Raw>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE w.id = $1 AND w.org_id = $2 AND w.deleted_at IS NULL"))
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .as_ref()
        .map(raw)
        .transpose()
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

/// Sitters who can be assigned, by name.
pub(super) async fn active_sitters(c: &mut AnyConnection, org: OrgId) -> Result<Vec<Choice>, sqlx::Error> {
    choices(c, "SELECT id, name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY name", org).await
}

/// Known clients, by name (the first 2,000).
pub(super) async fn client_choices(c: &mut AnyConnection, org: OrgId) -> Result<Vec<Choice>, sqlx::Error> {
    choices(
        c,
        "SELECT id, name FROM clients WHERE org_id = $1 AND merged_into IS NULL AND is_unknown = 0 ORDER BY name LIMIT 2000",
        org,
    )
    .await
}

/// Every number of the business as the pool and sitter rules see it.
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

/// A person's full and first name.
pub(super) struct Names {
    pub name: String,
    pub first: String,
}

/// A client of the business that hasn't been merged into another.
pub(super) async fn client(c: &mut AnyConnection, org: OrgId, id: ClientId) -> Result<Option<Names>, sqlx::Error> {
    sqlx::query("SELECT name, first_name FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL")
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| Ok(Names { name: r.try_get("name")?, first: r.try_get("first_name")? }))
        .transpose()
}

/// Pool numbers lent to another client's window that ends after `since`.
pub(super) async fn lent_pool_numbers(
    c: &mut AnyConnection,
    org: OrgId,
    since: DateTime<Utc>,
    client: ClientId,
) -> Result<Vec<NumberId>, sqlx::Error> {
    sqlx::query(
        "SELECT DISTINCT t.number_id FROM assignment_windows w JOIN threads t ON t.id = w.thread_id JOIN numbers n ON n.id = t.number_id
         WHERE n.org_id = $1 AND n.class = 'pool' AND w.deleted_at IS NULL AND w.ends_at > $2 AND w.client_id <> $3",
    )
    .bind(org.0)
    .bind(ms(since))
    .bind(client.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("number_id").map(NumberId))
    .collect()
}

/// The client's conversation on a number, if there is one.
pub(super) async fn thread_of(
    c: &mut AnyConnection,
    client: ClientId,
    number: NumberId,
) -> Result<Option<ThreadId>, sqlx::Error> {
    sqlx::query("SELECT id FROM threads WHERE client_id = $1 AND number_id = $2")
        .bind(client.0)
        .bind(number.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get::<i64, _>("id").map(ThreadId))
        .transpose()
}

/// The sitter of the client's latest window starting by `at`: id and first name.
pub(super) async fn sitter_before(
    c: &mut AnyConnection,
    client: ClientId,
    at: DateTime<Utc>,
) -> Result<Option<(SitterId, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT w.sitter_id, s.first_name FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id
         WHERE w.client_id = $1 AND w.deleted_at IS NULL AND w.starts_at <= $2 ORDER BY w.starts_at DESC, w.id DESC LIMIT 1",
    )
    .bind(client.0)
    .bind(ms(at))
    .fetch_optional(&mut *c)
    .await?
    .map(|r| Ok((SitterId(r.try_get("sitter_id")?), r.try_get("first_name")?)))
    .transpose()
}

/// Makes `thread` the pool number's current conversation (its others stop
/// being current), and notes the number as used now.
pub(super) async fn lend_pool_number(
    tx: &mut Tx,
    number: NumberId,
    thread: ThreadId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1 AND id <> $2")
        .bind(number.0)
        .bind(thread.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE threads SET is_current = 1 WHERE id = $1").bind(thread.0).execute(&mut **tx).await?;
    touch_number(tx, number, now).await
}

/// Notes the number as used now (the pool picks the least recently used).
pub(super) async fn touch_number(tx: &mut Tx, number: NumberId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE numbers SET last_used_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(number.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a requested booking confirmed; false when it no longer is requested.
pub(super) async fn confirm_booking(tx: &mut Tx, org: OrgId, booking: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE bookings SET status = 'confirmed' WHERE id = $1 AND org_id = $2 AND status = 'requested' RETURNING id",
    )
    .bind(booking)
    .bind(org.0)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// A booking to store, as `status` (confirmed or requested).
pub(super) struct NewBooking<'a> {
    pub org: OrgId,
    pub by: UserId,
    pub client: ClientId,
    pub sitter: SitterId,
    pub kind: AssignmentKind,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub status: &'a str,
}

pub(super) async fn insert_booking(
    c: &mut AnyConnection,
    b: &NewBooking<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO bookings (org_id, client_id, sitter_id, service, starts_at, ends_at, status, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(b.org.0)
    .bind(b.client.0)
    .bind(b.sitter.0)
    .bind(b.kind.label())
    .bind(ms(b.starts))
    .bind(ms(b.ends))
    .bind(b.status)
    .bind(ms(now))
    .bind(b.by.0)
    .fetch_one(&mut *c)
    .await?
    .try_get("id")
}

/// The window of a booking, on the client's conversation.
pub(super) async fn insert_window(
    tx: &mut Tx,
    b: &NewBooking<'_>,
    thread: ThreadId,
    booking: i64,
    now: DateTime<Utc>,
) -> Result<WindowId, sqlx::Error> {
    sqlx::query(
        "INSERT INTO assignment_windows (org_id, thread_id, client_id, sitter_id, kind, booking_id, starts_at, ends_at, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(b.org.0)
    .bind(thread.0)
    .bind(b.client.0)
    .bind(b.sitter.0)
    .bind(b.kind.as_str())
    .bind(booking)
    .bind(ms(b.starts))
    .bind(ms(b.ends))
    .bind(ms(now))
    .bind(b.by.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")
    .map(WindowId)
}

/// A booking as stored: its status ("requested", "confirmed", …), the
/// assignment it stands for and its times.
pub(super) struct BookingRow {
    pub status: String,
    pub client: ClientId,
    pub sitter: SitterId,
    pub kind: AssignmentKind,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
}

pub(super) async fn booking(
    c: &mut AnyConnection,
    org: OrgId,
    booking: i64,
) -> Result<Option<BookingRow>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT client_id, sitter_id, service, status, starts_at, ends_at FROM bookings WHERE id = $1 AND org_id = $2",
    )
    .bind(booking)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    else {
        return Ok(None);
    };
    let service: String = r.try_get("service")?;
    Ok(Some(BookingRow {
        status: r.try_get("status")?,
        client: ClientId(r.try_get("client_id")?),
        sitter: SitterId(r.try_get("sitter_id")?),
        kind: AssignmentKind::ALL.into_iter().find(|k| k.label() == service).unwrap_or(AssignmentKind::OneTimeBooking),
        starts: from_ms(r.try_get("starts_at")?),
        ends: from_ms(r.try_get("ends_at")?),
    }))
}

/// New times for a booking still only requested; false when it no longer is.
pub(super) async fn move_requested(
    tx: &mut Tx,
    booking: i64,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query("UPDATE bookings SET starts_at = $1, ends_at = $2 WHERE id = $3 AND status = 'requested'")
        .bind(ms(starts))
        .bind(ms(ends))
        .bind(booking)
        .execute(&mut **tx)
        .await?;
    Ok(moved.rows_affected() > 0)
}

/// Cancels a booking still only requested; false when it no longer is.
pub(super) async fn cancel_requested(tx: &mut Tx, booking: i64) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query("UPDATE bookings SET status = 'cancelled' WHERE id = $1 AND status = 'requested'")
        .bind(booking)
        .execute(&mut **tx)
        .await?;
    Ok(changed.rows_affected() > 0)
}

/// New times for a window; with `booking_too`, the booking behind it moves
/// with it.
pub(super) async fn set_times(
    tx: &mut Tx,
    id: WindowId,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    booking_too: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignment_windows SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(ms(starts))
        .bind(ms(ends))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    if booking_too {
        sqlx::query(
            "UPDATE bookings SET starts_at = $1, ends_at = $2 WHERE id = (SELECT booking_id FROM assignment_windows WHERE id = $3)",
        )
        .bind(ms(starts))
        .bind(ms(ends))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes a window (kept, marked deleted, with why) and cancels the
/// booking behind it unless that booking is completed.
pub(super) async fn soft_delete(tx: &mut Tx, id: WindowId, why: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE assignment_windows SET deleted_at = $1, closed_reason = $2 WHERE id = $3")
        .bind(ms(now))
        .bind(why)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE bookings SET status = 'cancelled' WHERE id = (SELECT booking_id FROM assignment_windows WHERE id = $1) AND status <> 'completed'",
    )
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
