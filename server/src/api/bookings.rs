//! Bookings from booking software become assignment windows: the same
//! assign flow as the UI (number binding, the client's introduction text,
//! overlap refusal), run as the API key.

use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::problem::api_field;
use super::{json, ApiResult, Caller, Problem};
use app::assignments::service as assignments;
use app::assignments::AssignForm;
use app::domain::ids::{ClientId, OrgId, SitterId, WindowId};
use app::domain::time::BusinessTz;
use app::domain::windows::AssignmentKind;
use app::messaging::store::org_context;
use app::platform::{now, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::{AnyConnection, Row};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bookings, create_booking))
        .routes(routes!(get_booking, update_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(confirm_booking))
}

const SELECT: &str = "SELECT b.id, b.client_id, b.sitter_id, b.status, b.service, b.starts_at, b.ends_at, b.created_at,
        w.id AS window_id, w.kind, w.thread_id, n.e164
    FROM bookings b
    LEFT JOIN assignment_windows w ON w.booking_id = b.id AND w.deleted_at IS NULL
    LEFT JOIN threads t ON t.id = w.thread_id LEFT JOIN numbers n ON n.id = t.number_id";

fn booking_from(r: &sqlx::any::AnyRow) -> Result<Booking, sqlx::Error> {
    Ok(Booking {
        id: r.try_get("id")?,
        client_id: r.try_get("client_id")?,
        sitter_id: r.try_get("sitter_id")?,
        kind: match r.try_get::<Option<String>, _>("kind")? {
            Some(k) => k,
            // No window (yet): the kind it was booked as.
            None => {
                let service: String = r.try_get("service")?;
                AssignmentKind::ALL
                    .into_iter()
                    .find(|k| k.label() == service)
                    .unwrap_or(AssignmentKind::OneTimeBooking)
                    .as_str()
                    .to_string()
            }
        },
        status: r.try_get("status")?,
        starts_at: time_ms(r.try_get("starts_at")?),
        ends_at: time_ms(r.try_get("ends_at")?),
        window_id: r.try_get("window_id")?,
        thread_id: r.try_get("thread_id")?,
        number: r.try_get("e164")?,
        created_at: time_ms(r.try_get("created_at")?),
    })
}

async fn load(c: &mut AnyConnection, org: OrgId, id: i64) -> ApiResult<Booking> {
    let r = sqlx::query(&format!("{SELECT} WHERE b.id = $1 AND b.org_id = $2"))
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Problem::not_found("There is no booking with that id."))?;
    let mut b = booking_from(&r)?;
    if b.window_id.is_none() {
        // Cancelled: still say which kind it was.
        if let Some(k) =
            sqlx::query("SELECT kind FROM assignment_windows WHERE booking_id = $1 ORDER BY id DESC LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
        {
            b.kind = k.try_get("kind")?;
        }
    }
    Ok(b)
}

fn parse_time(field: &str, v: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        Problem::invalid(
            field,
            format!("`{field}` is an RFC 3339 time such as 2026-12-01T15:00:00Z, not \"{}\".", v.trim()),
        )
    })
}

/// The assign flow speaks in the UI's local times and field names.
fn local(tz: BusinessTz, t: DateTime<Utc>) -> String {
    tz.local(t).format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingParams {
    /// RFC 3339: bookings ending after this.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339: bookings starting before this.
    #[param(format = DateTime)]
    to: Option<String>,
    client_id: Option<i64>,
    sitter_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists bookings by id, optionally within a time range or for one client or sitter.
#[utoipa::path(get, path = "/bookings", tag = "bookings", params(BookingParams), responses((status = 200, body = BookingList)))]
async fn list_bookings(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<BookingParams>,
) -> ApiResult<Response> {
    let page = PageParams { limit: p.limit, cursor: p.cursor.clone() };
    let (limit, after) = (page.limit()?, page.after()?.unwrap_or(0));
    let from = p.from.as_deref().map(|v| parse_time("from", v)).transpose()?;
    let to = p.to.as_deref().map(|v| parse_time("to", v)).transpose()?;
    let mut c = st.db.read.acquire().await?;
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE b.org_id = $1 AND b.id > $2 AND ($3 = 0 OR b.ends_at > $4) AND ($5 = 0 OR b.starts_at < $6)
           AND ($7 = 0 OR b.client_id = $7) AND ($8 = 0 OR b.sitter_id = $8) ORDER BY b.id LIMIT $9"
    ))
    .bind(caller.key.org_id.0)
    .bind(after)
    .bind(i64::from(from.is_some()))
    .bind(from.map(app::platform::ms).unwrap_or(0))
    .bind(i64::from(to.is_some()))
    .bind(to.map(app::platform::ms).unwrap_or(0))
    .bind(p.client_id.unwrap_or(0))
    .bind(p.sitter_id.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(&mut *c)
    .await?;
    let mut items = rows.iter().map(booking_from).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|b| b.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &BookingList { items, next_cursor }))
}

/// Books a sitter for a client: creates the assignment window, binds the
/// conversation to the sitter's number (weekly) or a pool number (one-time,
/// meet and greet) and texts the client who their sitter is when it
/// changes. `preview: true` returns what would happen, changing nothing.
/// `status: requested` records a booking that isn't confirmed yet: it is
/// checked the same way, runs "booking created" automations and nothing
/// else until it is confirmed.
#[utoipa::path(post, path = "/bookings", tag = "bookings", request_body = NewBooking,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, description = "Booked", body = Booking),
              (status = 200, description = "preview: what would happen", body = BookingPreview),
              (status = 409, description = "Overlaps another window, or no number free", body = Problem, content_type = "application/problem+json")))]
async fn create_booking(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewBooking>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let starts = parse_time("starts_at", &b.starts_at)?;
    let ends = parse_time("ends_at", &b.ends_at)?;
    if ends <= starts {
        return Err(Problem::invalid("ends_at", "`ends_at` must be after `starts_at`."));
    }
    if ends <= now() {
        return Err(Problem::invalid("ends_at", "That booking is already over."));
    }
    let tz = {
        let mut c = st.db.read.acquire().await?;
        org_context(&mut c, org).await?.tz
    };
    let form = AssignForm {
        sitter: SitterId(b.sitter_id),
        client: ClientId(b.client_id),
        kind: b.kind.unwrap_or(BookingKind::OneTimeBooking).domain(),
        starts: local(tz, starts),
        ends: local(tz, ends),
        // Booking software books at any hour: the client's introduction
        // waits out quiet hours (the preview's lines say until when).
        send_intro_now: false,
    };
    let requested = b.status == Some(NewBookingStatus::Requested);
    if b.preview {
        let p = caller.run(&st, || assignments::preview(&st.db, org, form)).await.map_err(api_field)?;
        let summary = if requested {
            format!(
                "Requested: nothing changes and nobody is texted until it is confirmed. Once confirmed: {}",
                p.summary
            )
        } else {
            p.summary
        };
        return Ok(json(StatusCode::OK, &BookingPreview { summary, lines: p.lines, message: p.message }));
    }
    if requested {
        let actor = caller.actor();
        let id = caller.run(&st, || assignments::request(&st, &caller.user, &actor, form)).await.map_err(api_field)?;
        let mut c = st.db.read.acquire().await?;
        return Ok(json(StatusCode::CREATED, &load(&mut c, org, id).await?));
    }
    let actor = caller.actor();
    let window = caller.run(&st, || assignments::create(&st, &caller.user, &actor, form)).await.map_err(api_field)?;
    let mut c = st.db.read.acquire().await?;
    let id = booking_of(&mut c, window).await?;
    Ok(json(StatusCode::CREATED, &load(&mut c, org, id).await?))
}

async fn booking_of(c: &mut AnyConnection, window: WindowId) -> ApiResult<i64> {
    Ok(sqlx::query("SELECT booking_id FROM assignment_windows WHERE id = $1")
        .bind(window.0)
        .fetch_one(&mut *c)
        .await?
        .try_get("booking_id")?)
}

/// Confirms a requested booking: the assignment is made as for a booking
/// created confirmed (window, number, the client's introduction, which
/// waits out quiet hours) and "booking confirmed" automations run.
#[utoipa::path(post, path = "/bookings/{id}/confirm", tag = "bookings",
    params(("id" = i64, Path, minimum = 1), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 200, body = Booking), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Not a requested booking, overlaps another window, or no number free", body = Problem, content_type = "application/problem+json")))]
async fn confirm_booking(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let actor = caller.actor();
    let window =
        caller.run(&st, || assignments::confirm_request(&st, &caller.user, &actor, id)).await.map_err(api_field)?;
    let mut c = st.db.read.acquire().await?;
    let id = booking_of(&mut c, window).await?;
    Ok(json(StatusCode::OK, &load(&mut c, org, id).await?))
}

#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Booking), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_booking(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, caller.key.org_id, id).await?))
}

/// The booking's live window, or why it can't change.
async fn live_window(c: &mut AnyConnection, org: OrgId, id: i64) -> ApiResult<(Booking, WindowId)> {
    let b = load(c, org, id).await?;
    match (b.window_id, b.status.as_str()) {
        (Some(w), _) => Ok((b, WindowId(w))),
        (None, "cancelled") => Err(Problem::conflict("That booking is cancelled; create a new one instead.")),
        (None, _) => Err(Problem::conflict("That booking has no assignment window any more.")),
    }
}

/// A patch's times, the booking's own where the patch leaves one out;
/// the end must come after the start.
fn patched(
    starts: Option<DateTime<Utc>>,
    ends: Option<DateTime<Utc>>,
    b: &Booking,
) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let starts = match starts {
        Some(s) => s,
        None => parse_time("starts_at", &b.starts_at)?,
    };
    let ends = match ends {
        Some(e) => e,
        None => parse_time("ends_at", &b.ends_at)?,
    };
    if ends <= starts {
        return Err(Problem::invalid("ends_at", "`ends_at` must be after `starts_at`."));
    }
    Ok((starts, ends))
}

/// Moves a booking: its window moves with it (overlaps are refused; past bookings stay as they were).
#[utoipa::path(patch, path = "/bookings/{id}", tag = "bookings", params(("id" = i64, Path, minimum = 1)), request_body = BookingPatch,
    responses((status = 200, body = Booking), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Cancelled, over, or would overlap", body = Problem, content_type = "application/problem+json")))]
async fn update_booking(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(p): ApiJson<BookingPatch>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let starts = p.starts_at.as_deref().map(|v| parse_time("starts_at", v)).transpose()?;
    let ends = p.ends_at.as_deref().map(|v| parse_time("ends_at", v)).transpose()?;
    let requested = {
        let mut c = st.db.read.acquire().await?;
        let b = load(&mut c, org, id).await?;
        (b.status == "requested").then_some(b)
    };
    if let Some(b) = requested {
        let (starts, ends) = patched(starts, ends, &b)?;
        let actor = caller.actor();
        caller
            .run(&st, || assignments::move_request(&st.db, org, &actor, id, starts, ends))
            .await
            .map_err(api_field)?;
        let mut c = st.db.read.acquire().await?;
        return Ok(json(StatusCode::OK, &load(&mut c, org, id).await?));
    }
    let (b, window, tz) = {
        let mut c = st.db.read.acquire().await?;
        let (b, w) = live_window(&mut c, org, id).await?;
        (b, w, org_context(&mut c, org).await?.tz)
    };
    let (starts, ends) = patched(starts, ends, &b)?;
    let (actor, starts, ends) = (caller.actor(), local(tz, starts), local(tz, ends));
    caller.run(&st, || assignments::edit(&st, org, &actor, window, &starts, &ends)).await.map_err(api_field)?;
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, org, id).await?))
}

/// Cancels a booking: its window is removed, so the client's texts go to
/// the owner inbox again.
#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings",
    params(("id" = i64, Path, minimum = 1), ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 200, body = Booking), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already cancelled or over", body = Problem, content_type = "application/problem+json")))]
async fn cancel_booking(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let requested = {
        let mut c = st.db.read.acquire().await?;
        load(&mut c, org, id).await?.status == "requested"
    };
    if requested {
        let actor = caller.actor();
        caller.run(&st, || assignments::cancel_request(&st.db, org, &actor, id)).await.map_err(api_field)?;
        let mut c = st.db.read.acquire().await?;
        return Ok(json(StatusCode::OK, &load(&mut c, org, id).await?));
    }
    let (b, window) = {
        let mut c = st.db.read.acquire().await?;
        live_window(&mut c, org, id).await?
    };
    if parse_time("ends_at", &b.ends_at)? <= now() {
        return Err(Problem::conflict("That booking is over; past bookings stay as they were so the history is true."));
    }
    let actor = caller.actor();
    caller.run(&st, || assignments::delete(&st, org, &actor, window)).await.map_err(api_field)?;
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, org, id).await?))
}
