//! Assignments on the server: load, decide with the domain's window and
//! pool rules, write with the audit event in the same transaction. The
//! server functions and the integration API's bookings both call these,
//! with the caller already checked (owners; API keys act as the owner).

use super::store::{self, BookingRow, ListFilter, NewBooking, Raw};
use super::*;
use crate::domain::automation::definition::TriggerKind;
use crate::domain::ids::{NumberId, OrgId};
use crate::domain::numbers::{self, NumberClass, NumberFacts, NumberStatus};
use crate::domain::outbound::Sender;
use crate::domain::phone::E164;
use crate::domain::time::BusinessTz;
use crate::domain::windows::{self, Window, WindowError};
use crate::error::AppResult;
use crate::messaging::send::{self, SendOutcome, SendRequest};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{ms, now, AppState, Db};
use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use sqlx::AnyConnection;
use std::collections::HashMap;

const LIST_LIMIT: i64 = 500;

/// A window's new start and end.
type NewTimes = (WindowId, DateTime<Utc>, DateTime<Utc>);

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
        status: windows::status_at(&r.window(), thread_windows, now),
        number: E164::from_canonical(&r.number).map(|e| e.display()).unwrap_or_else(|| r.number.clone()),
        days: day_spans(tz, r.starts, r.ends),
    }
}

/// The rows for `raws`, each with its status among its thread's windows.
async fn rows(
    c: &mut AnyConnection,
    raws: &[Raw],
    tz: BusinessTz,
    now: DateTime<Utc>,
    owner: bool,
) -> AppResult<Vec<WindowRow>> {
    let mut threads: Vec<ThreadId> = raws.iter().map(|r| r.thread).collect();
    threads.sort();
    threads.dedup();
    let by_thread = store::thread_windows(c, &threads).await?;
    Ok(raws
        .iter()
        .map(|r| row(r, by_thread.get(&r.thread).map(Vec::as_slice).unwrap_or(&[]), tz, now, owner))
        .collect())
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

/// The board: the week (or the dates asked for), its windows, every
/// conflict with its fixes, and the sitters and clients to choose from.
pub async fn board(db: &Db, org: OrgId, q: WindowQuery) -> AppResult<AssignmentBoard> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
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
    let sitter = match q.sitter.trim() {
        "" => None,
        s => Some(SitterId(s.parse().map_err(|_| AppError::field("sitter", "Choose a sitter from the list."))?)),
    };
    let status = q.status.trim();
    if !["", "active", "future", "past", "conflicting"].contains(&status) {
        return Err(AppError::field("status", "Choose a status from the list."));
    }
    let filter = ListFilter {
        from: tz.start_of_day(from.unwrap_or(monday)),
        to: tz.start_of_day(to.unwrap_or(monday + Duration::days(6)).succ_opt().unwrap_or(monday)),
        sitter,
        client: Some(q.client.trim()).filter(|c| !c.is_empty()),
        limit: LIST_LIMIT + 1,
    };
    let mut raws = store::list(&mut c, org, &filter).await?;
    let truncated = raws.len() as i64 > LIST_LIMIT;
    raws.truncate(LIST_LIMIT as usize);
    let windows: Vec<WindowRow> = rows(&mut c, &raws, tz, now, true)
        .await?
        .into_iter()
        .filter(|w| status.is_empty() || w.status.as_str() == status)
        .collect();
    let conflicts = conflicts(&mut c, org, tz, now).await?;
    Ok(AssignmentBoard {
        windows,
        conflicts,
        sitters: store::active_sitters(&mut c, org).await?,
        clients: store::client_choices(&mut c, org).await?,
        week,
        today: tz.local_date(now).format("%Y-%m-%d").to_string(),
        time_zone: tz.name().to_string(),
        truncated,
    })
}

/// A fix's button label.
fn fix_label(f: &Resolution, first: &WindowRow, second: &WindowRow, tz: BusinessTz) -> String {
    match f {
        Resolution::Keep { keep, .. } => {
            let who = if *keep == first.id { &first.sitter } else { &second.sitter };
            format!("Keep {who}'s, delete the other")
        }
        Resolution::ShortenFirst { new_end, .. } => format!("End {}'s at {}", first.sitter, tz.day_time(*new_end)),
        Resolution::ShortenSecond { new_start, .. } => {
            format!("Start {}'s at {}", second.sitter, tz.day_time(*new_start))
        }
        Resolution::SplitAt { at, .. } => format!("Split at {}", tz.day_time(*at)),
    }
}

/// Every overlap among windows that haven't ended, with its one-click fixes.
async fn conflicts(
    c: &mut AnyConnection,
    org: OrgId,
    tz: BusinessTz,
    now: DateTime<Utc>,
) -> AppResult<Vec<ConflictRow>> {
    let raws = store::not_ended(c, org, now).await?;
    let mut by_thread: HashMap<ThreadId, Vec<&Raw>> = HashMap::new();
    for r in &raws {
        by_thread.entry(r.thread).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut keys: Vec<&ThreadId> = by_thread.keys().collect();
    keys.sort();
    for t in keys {
        let list = &by_thread[t];
        let ws: Vec<Window> = list.iter().map(|r| r.window()).collect();
        for conflict in windows::conflicts(&ws) {
            let find = |id: WindowId| list.iter().find(|r| r.id == id).map(|r| row(r, &ws, tz, now, true));
            let (Some(first), Some(second)) = (find(conflict.first.id), find(conflict.second.id)) else { continue };
            let fixes =
                windows::resolutions(&conflict).into_iter().map(|f| (fix_label(&f, &first, &second, tz), f)).collect();
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

/// A requested booking confirmed or cancelled between reading and writing.
fn gone_meanwhile() -> AppError {
    AppError::Conflict("That booking was confirmed or cancelled a moment ago.".into())
}

fn overlap_error(e: WindowError) -> AppError {
    match e {
        WindowError::EndsBeforeStart => AppError::field("ends", e.to_string()),
        WindowError::Overlap { .. } => AppError::Conflict(e.to_string()),
    }
}

/// The window's times from the form, checked: in order, not over, at most
/// two months.
fn times(tz: BusinessTz, f: &AssignForm, now: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
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
    Ok((starts, ends))
}

/// The number the assignment texts from: the sitter's own for a weekly
/// assignment, else a pool number nobody else's booking is holding.
async fn number_for(
    c: &mut AnyConnection,
    org: OrgId,
    f: &AssignForm,
    sitter_first: &str,
    starts: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<(NumberFacts, bool)> {
    let facts = store::number_facts(c, org).await?;
    if f.kind.uses_sitter_number() {
        let n = facts
            .iter()
            .filter(|n| n.class == NumberClass::Sitter && n.status == NumberStatus::Active && n.sitter_id == Some(f.sitter))
            .min_by(|a, b| a.e164.cmp(&b.e164))
            .ok_or_else(|| AppError::field("sitter", format!("{sitter_first} has no sitter number yet. Give them one in Numbers, or make this a one-time booking (it uses a pool number).")))?;
        return Ok((n.clone(), false));
    }
    let busy = store::lent_pool_numbers(c, org, starts.min(now), f.client).await?;
    let free: Vec<NumberFacts> = facts.into_iter().filter(|n| !busy.contains(&n.id)).collect();
    let n = numbers::select_pool_number(&free, now).ok_or_else(|| {
        AppError::field("kind", "No pool number is free for this booking. Buy another pool number in Numbers, or make this a weekly assignment.")
    })?;
    Ok((n.clone(), true))
}

async fn plan(c: &mut AnyConnection, ctx: &OrgContext, f: &AssignForm, now: DateTime<Utc>) -> AppResult<Plan> {
    let (tz, org) = (ctx.tz, ctx.id);
    let (starts, ends) = times(tz, f, now)?;
    let sitter = mstore::sitter(c, org, f.sitter)
        .await?
        .ok_or_else(|| AppError::field("sitter", "Choose a sitter from the list."))?;
    if !sitter.active {
        return Err(AppError::field("sitter", "That sitter is switched off. Turn them back on in People first."));
    }
    let client = store::client(c, org, f.client)
        .await?
        .ok_or_else(|| AppError::field("client", "Choose a client from the list."))?;
    if mstore::client_contacts(c, f.client).await?.is_empty() {
        return Err(AppError::field(
            "client",
            format!("{} has no phone number yet. Add one in People first.", client.name),
        ));
    }
    let (number, pool) = number_for(c, org, f, &sitter.first, starts, now).await?;
    let thread = store::thread_of(c, f.client, number.id).await?;
    if let Some(t) = thread {
        let others = store::windows_of(c, t).await?;
        windows::check_new((starts, ends), &others, None, tz).map_err(overlap_error)?;
    }
    let previous_sitter = store::sitter_before(c, f.client, starts).await?;
    let changed = previous_sitter.as_ref().is_none_or(|(id, _)| *id != f.sitter);
    let message = changed.then(|| {
        format!(
            "Hi {}, it's {}. {} will look after your pets from {} to {}. Reply to this number to reach {}.",
            client.first,
            ctx.name,
            sitter.first,
            tz.day_time(starts),
            tz.day_time(ends),
            sitter.first
        )
    });
    Ok(Plan {
        sitter: sitter.name,
        sitter_first: sitter.first,
        client_first: client.first,
        client_name: client.name,
        number: number.id,
        number_e164: number.e164,
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

/// What the assignment would do; changes nothing.
pub async fn preview(db: &Db, org: OrgId, f: AssignForm) -> AppResult<AssignPreview> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, org).await?;
    let now = now();
    let p = plan(&mut c, &ctx, &f, now).await?;
    Ok(describe(&p, &f, ctx.tz, intro_at(&p, &f, &ctx, now)))
}

/// Makes the assignment: window, number, the confirmed booking behind it
/// and, when the sitter changes, the client's introduction.
pub async fn create(st: &AppState, u: &SessionUser, actor: &Actor, f: AssignForm) -> AppResult<WindowId> {
    create_window(st, u, actor, f, None).await
}

fn new_booking<'a>(u: &SessionUser, f: &AssignForm, p: &Plan, status: &'a str) -> NewBooking<'a> {
    NewBooking {
        org: u.org_id,
        by: u.user_id,
        client: f.client,
        sitter: f.sitter,
        kind: f.kind,
        starts: p.starts,
        ends: p.ends,
        status,
    }
}

/// The booking behind a new window: the requested one being confirmed, or
/// a new confirmed one; its automations are queued either way.
async fn confirmed_booking(
    tx: &mut crate::platform::Tx,
    u: &SessionUser,
    b: &NewBooking<'_>,
    requested: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let runner = crate::automations::runner::booking_changed;
    if let Some(b) = requested {
        if !store::confirm_booking(tx, u.org_id, b).await? {
            return Err(gone_meanwhile());
        }
        runner(tx, u.org_id, b, &[TriggerKind::BookingConfirmed]).await?;
        return Ok(b);
    }
    let id = store::insert_booking(tx, b, now).await?;
    runner(tx, u.org_id, id, &[TriggerKind::BookingCreated, TriggerKind::BookingConfirmed]).await?;
    Ok(id)
}

/// Makes the window (and the confirmed booking behind it): for a new
/// assignment, or for a requested booking being confirmed.
async fn create_window(
    st: &AppState,
    u: &SessionUser,
    actor: &Actor,
    f: AssignForm,
    requested: Option<i64>,
) -> AppResult<WindowId> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let p = plan(&mut tx, &ctx, &f, now).await?;
    let thread = match p.thread {
        Some(t) => t,
        None => mstore::find_or_create_thread(&mut tx, u.org_id, f.client, p.number, true, "business", now).await?.0,
    };
    if p.pool {
        store::lend_pool_number(&mut tx, p.number, thread, now).await?;
    } else {
        store::touch_number(&mut tx, p.number, now).await?;
    }
    let b = new_booking(u, &f, &p, "confirmed");
    let booking = confirmed_booking(&mut tx, u, &b, requested, now).await?;
    let id = store::insert_window(&mut tx, &b, thread, booking, now).await?;
    let waits = intro_at(&p, &f, &ctx, now);
    let summary = describe(&p, &f, ctx.tz, waits).summary;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new("assignment.created", "assignment_window", id.0, summary)
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
            actor: actor.clone(),
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
    publish(st, u.org_id, thread);
    Ok(id)
}

/// A booking the booking software has requested but not confirmed: its
/// sitter, client and times are checked as for a real assignment (so a
/// request that could never be confirmed is refused now), and nothing else
/// happens: no window, no number, no text to the client. "Booking created"
/// automations run; "booking confirmed" ones wait for [`confirm_request`].
pub async fn request(st: &AppState, u: &SessionUser, actor: &Actor, f: AssignForm) -> AppResult<i64> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let p = plan(&mut tx, &ctx, &f, now).await?;
    let booking = store::insert_booking(&mut tx, &new_booking(u, &f, &p, "requested"), now).await?;
    crate::automations::runner::booking_changed(&mut tx, u.org_id, booking, &[TriggerKind::BookingCreated]).await?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
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

/// The booking, if it is still only requested; otherwise why not.
async fn requested(c: &mut AnyConnection, org: OrgId, booking: i64) -> AppResult<BookingRow> {
    let b = store::booking(c, org, booking)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no booking with that id.".into()))?;
    match b.status.as_str() {
        "requested" => Ok(b),
        "confirmed" => Err(AppError::Conflict("That booking is already confirmed.".into())),
        "cancelled" => Err(AppError::Conflict("That booking is cancelled; create a new one instead.".into())),
        _ => Err(AppError::Conflict("That booking is over.".into())),
    }
}

/// The assign form a requested booking stands for, at exact times.
fn request_form(r: &BookingRow, starts: DateTime<Utc>, ends: DateTime<Utc>) -> AssignForm {
    AssignForm {
        sitter: r.sitter,
        client: r.client,
        kind: r.kind,
        starts: starts.to_rfc3339(),
        ends: ends.to_rfc3339(),
        send_intro_now: false,
    }
}

/// Confirms a requested booking: the assignment is made as if it were
/// booked now (window, number, the client's introduction, which waits out
/// quiet hours), and "booking confirmed" automations run.
pub async fn confirm_request(st: &AppState, u: &SessionUser, actor: &Actor, booking: i64) -> AppResult<WindowId> {
    let r = {
        let mut c = st.db.read.acquire().await?;
        requested(&mut c, u.org_id, booking).await?
    };
    let form = request_form(&r, r.starts, r.ends);
    create_window(st, u, actor, form, Some(booking)).await
}

/// Moves a requested booking (nothing else exists for it yet), checked as
/// the assignment it would become.
pub async fn move_request(
    db: &Db,
    org: OrgId,
    actor: &Actor,
    booking: i64,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> AppResult<()> {
    let now = now();
    let mut tx = db.begin().await?;
    let r = requested(&mut tx, org, booking).await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    plan(&mut tx, &ctx, &request_form(&r, starts, ends), now).await?;
    let tz = ctx.tz;
    if !store::move_requested(&mut tx, booking, starts, ends).await? {
        return Err(gone_meanwhile());
    }
    audit::append(
        &mut tx,
        org,
        actor,
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
pub async fn cancel_request(db: &Db, org: OrgId, actor: &Actor, booking: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let r = requested(&mut tx, org, booking).await?;
    let tz = mstore::org_context(&mut tx, org).await?.tz;
    if !store::cancel_requested(&mut tx, booking).await? {
        return Err(gone_meanwhile());
    }
    audit::append(
        &mut tx,
        org,
        actor,
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
    store::load(c, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That window doesn't exist (it may have been deleted).".into()))
}

/// New times for a window (and the booking behind it); the same overlap
/// rules as creating one. Past windows stay as they were.
pub async fn edit(st: &AppState, org: OrgId, actor: &Actor, id: WindowId, starts: &str, ends: &str) -> AppResult<()> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    let w = load(&mut tx, org, id).await?;
    if w.ends <= now {
        return Err(AppError::Conflict(
            "This window is over; past windows stay as they were so the history is true.".into(),
        ));
    }
    let new_starts = parse_local(ctx.tz, starts, "starts")?;
    let new_ends = parse_local(ctx.tz, ends, "ends")?;
    if new_ends <= now {
        return Err(AppError::field("ends", "The window would already be over. To end it now, delete it."));
    }
    let others = store::windows_of(&mut tx, w.thread).await?;
    windows::check_new((new_starts, new_ends), &others, Some(id), ctx.tz).map_err(overlap_error)?;
    store::set_times(&mut tx, id, new_starts, new_ends, true).await?;
    let tz = ctx.tz;
    audit::append(
        &mut tx,
        org,
        actor,
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
    publish(st, org, w.thread);
    Ok(())
}

/// Deletes a window; the booking behind it is cancelled.
pub async fn delete(st: &AppState, org: OrgId, actor: &Actor, id: WindowId) -> AppResult<()> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    let w = load(&mut tx, org, id).await?;
    store::soft_delete(&mut tx, w.id, "deleted by the owner", now).await?;
    audit::append(
        &mut tx,
        org,
        actor,
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
    publish(st, org, w.thread);
    Ok(())
}

/// The two windows a fix is about, still overlapping on one thread.
async fn conflicting_pair(tx: &mut crate::platform::Tx, org: OrgId, fix: &Resolution) -> AppResult<(Raw, Raw)> {
    let (a, b) = match fix {
        Resolution::Keep { keep, delete } => (*keep, *delete),
        Resolution::ShortenFirst { window, .. } | Resolution::ShortenSecond { window, .. } => {
            let w = load(tx, org, *window).await?;
            let others = store::windows_of(tx, w.thread).await?;
            let other = others
                .iter()
                .find(|o| o.id != w.id && windows::overlap((w.starts, w.ends), (o.starts_at, o.ends_at)).is_some())
                .ok_or_else(|| AppError::Conflict("That conflict is already resolved.".into()))?;
            (w.id, other.id)
        }
        Resolution::SplitAt { first, second, .. } => (*first, *second),
    };
    let wa = load(tx, org, a).await?;
    let wb = load(tx, org, b).await?;
    if wa.thread != wb.thread || windows::overlap((wa.starts, wa.ends), (wb.starts, wb.ends)).is_none() {
        return Err(AppError::Conflict(
            "Those windows don't overlap any more: the conflict is already resolved.".into(),
        ));
    }
    Ok((wa, wb))
}

/// Applies one of a conflict's fixes, and checks it left the two apart.
pub async fn resolve(st: &AppState, org: OrgId, actor: &Actor, fix: Resolution) -> AppResult<()> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let tz = mstore::org_context(&mut tx, org).await?.tz;
    let (wa, wb) = conflicting_pair(&mut tx, org, &fix).await?;
    let set = |id: WindowId, s: DateTime<Utc>, e: DateTime<Utc>| (id, s, e);
    let (summary, updates): (String, Vec<NewTimes>) = match fix {
        Resolution::Keep { .. } => {
            store::soft_delete(&mut tx, wb.id, &format!("conflict resolved: kept window {}", wa.id.0), now).await?;
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
        store::set_times(&mut tx, *id, *s, *e, false).await?;
    }
    // The fix must actually leave the two apart.
    let after = store::windows_of(&mut tx, wa.thread).await?;
    if windows::conflicts(&after)
        .iter()
        .any(|c| [c.first.id, c.second.id].contains(&wa.id) && [c.first.id, c.second.id].contains(&wb.id))
    {
        return Err(AppError::Conflict("That fix doesn't separate the two windows. Pick another.".into()));
    }
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("assignment.conflict_resolved", "assignment_window", wa.id.0, summary)
            .payload(serde_json::json!({ "fix": fix }))
            .thread(wa.thread.0),
    )
    .await?;
    tx.commit().await?;
    publish(st, org, wa.thread);
    Ok(())
}

/// A sitter's own windows from the last 30 days on (clients by first
/// name); an owner's: everyone's, over the next two weeks.
pub async fn schedule(db: &Db, u: &SessionUser) -> AppResult<Vec<WindowRow>> {
    let mut c = db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let now = now();
    let owner = u.is_owner();
    let (sitter, until) = if owner {
        (None, Some(now + Duration::days(14)))
    } else {
        let Some(sid) = u.sitter_id else {
            return Err(AppError::Forbidden(
                "Your account isn't linked to a sitter profile. Ask the owner to fix it in People.".into(),
            ));
        };
        (Some(sid), None)
    };
    let raws = store::schedule(&mut c, u.org_id, sitter, now - Duration::days(30), until).await?;
    rows(&mut c, &raws, ctx.tz, now, owner).await
}
