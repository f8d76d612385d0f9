//! Sitters: list, create, activate (a number is assigned automatically) and
//! deactivate (their number quarantined, open windows closed, their
//! conversations answered by the owner inbox), each with `preview=true`.

use super::clients::region;
use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::assignments::store::number_facts;
use app::domain::ids::{NumberId, OrgId, SitterId};
use app::domain::numbers::{self, NumberClass, NumberFacts, NumberStatus, QuarantineReason};
use app::domain::phone::E164;
use app::messaging::store::org_context;
use app::platform::audit::{self, Event};
use app::platform::{ms, now, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sitters, create_sitter))
        .routes(routes!(get_sitter))
        .routes(routes!(activate_sitter))
        .routes(routes!(deactivate_sitter))
}

const SELECT: &str = "SELECT s.id, s.name, s.first_name, s.phone, s.email, s.active, s.created_at, s.deactivated_at,
    (SELECT n.e164 FROM numbers n WHERE n.sitter_id = s.id AND n.class = 'sitter' AND n.status = 'active' ORDER BY n.e164 LIMIT 1) AS number
    FROM sitters s";

fn sitter_from(r: &sqlx::any::AnyRow) -> Result<Sitter, sqlx::Error> {
    Ok(Sitter {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        first_name: r.try_get("first_name")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        active: r.try_get::<i64, _>("active")? == 1,
        number: r.try_get("number")?,
        created_at: time_ms(r.try_get("created_at")?),
        deactivated_at: opt_time_ms(r.try_get("deactivated_at")?),
    })
}

async fn load(c: &mut AnyConnection, org: OrgId, id: i64) -> ApiResult<Sitter> {
    let r = sqlx::query(&format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2"))
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Problem::not_found("There is no sitter with that id."))?;
    Ok(sitter_from(&r)?)
}

/// Lists sitters by id, active and inactive.
#[utoipa::path(get, path = "/sitters", tag = "sitters", params(PageParams),
    responses((status = 200, body = SitterList)))]
async fn list_sitters(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Response> {
    let (limit, after) = (p.limit()?, p.after()?.unwrap_or(0));
    let mut c = st.db.read.acquire().await?;
    let rows = sqlx::query(&format!("{SELECT} WHERE s.org_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3"))
        .bind(caller.key.org_id.0)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&mut *c)
        .await?;
    let mut items = rows.iter().map(sitter_from).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|s| s.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &SitterList { items, next_cursor }))
}

#[utoipa::path(get, path = "/sitters/{id}", tag = "sitters", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Sitter), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_sitter(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, caller.key.org_id, id).await?))
}

/// Adds a sitter (active, no number yet: activate gives them one).
#[utoipa::path(post, path = "/sitters", tag = "sitters", request_body = NewSitter,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, body = Sitter)))]
async fn create_sitter(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewSitter>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(Problem::invalid("name", "`name` is 1 to 120 characters on one line."));
    }
    let first = match b.first_name.as_deref().map(str::trim) {
        Some(f) if f.is_empty() || f.chars().count() > 60 || f.chars().any(char::is_control) => {
            return Err(Problem::invalid("first_name", "`first_name` is 1 to 60 characters on one line."))
        }
        Some(f) => f.to_string(),
        None => name.split_whitespace().next().unwrap_or(name).to_string(),
    };
    let email = match b.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if !(e.contains('@') && e.len() <= 200 && !e.contains(char::is_whitespace)) => {
            return Err(Problem::invalid("email", format!("\"{e}\" isn't an email address.")))
        }
        other => other.map(str::to_string),
    };
    let now = now();
    let mut tx = st.db.begin().await?;
    let phone = match b.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            E164::parse(p, &region(&mut tx, org).await?)
                .map_err(|e| Problem::invalid("phone", format!("\"{p}\" isn't a phone number we can text: {e}")))?,
        ),
        None => None,
    };
    let id: i64 = sqlx::query(
        "INSERT INTO sitters (org_id, name, first_name, phone, email, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(org.0)
    .bind(name)
    .bind(&first)
    .bind(phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&email)
    .bind(ms(now))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("sitter.created", "sitter", id, format!("Sitter {name} added")),
    )
    .await?;
    let s = load(&mut tx, org, id).await?;
    tx.commit().await?;
    Ok(json(StatusCode::CREATED, &s))
}

/// The number an activated sitter gets: a free sitter number, else a free
/// pool number not lent to an unfinished booking.
async fn number_for(c: &mut AnyConnection, org: OrgId, now: DateTime<Utc>) -> Result<Option<NumberFacts>, sqlx::Error> {
    let facts = number_facts(c, org).await?;
    if let Some(n) = numbers::select_free_sitter_number(&facts, now) {
        return Ok(Some(n.clone()));
    }
    let lent: Vec<i64> = sqlx::query(
        "SELECT DISTINCT t.number_id FROM assignment_windows w JOIN threads t ON t.id = w.thread_id
         WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2",
    )
    .bind(org.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| r.try_get::<i64, _>("number_id"))
    .collect::<Result<_, _>>()?;
    let free: Vec<NumberFacts> = facts.into_iter().filter(|n| !lent.contains(&n.id.0)).collect();
    Ok(numbers::select_pool_number(&free, now).cloned())
}

/// Switches a sitter on and gives them a business number (SPEC §4.11).
#[utoipa::path(post, path = "/sitters/{id}/activate", tag = "sitters",
    params(("id" = i64, Path, minimum = 1), PreviewParam,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 200, description = "Done, or with preview=true what would happen", body = Impact),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already active, or no number free", body = Problem, content_type = "application/problem+json")))]
async fn activate_sitter(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiQuery(p): ApiQuery<PreviewParam>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let preview = p.preview.unwrap_or(false);
    let now = now();
    let mut tx = st.db.begin().await?;
    let tz = org_context(&mut tx, org).await?.tz;
    let s = load(&mut tx, org, id).await?;
    if s.active && s.number.is_some() {
        return Err(Problem::conflict(format!(
            "{} is already active with {}.",
            s.name,
            s.number.as_deref().unwrap_or("")
        )));
    }
    let mut lines = Vec::new();
    let number = if s.number.is_some() {
        None
    } else {
        let n = number_for(&mut tx, org, now).await?.ok_or_else(|| {
            Problem::conflict(format!(
                "No number is free to give {}. Buy a number (or release one to the pool) in Numbers, then activate again.",
                s.first_name
            ))
        })?;
        let all = number_facts(&mut tx, org).await?;
        numbers::assign_to_sitter(&n, SitterId(id), &s.first_name, &all, now, tz, true)
            .map_err(|e| Problem::conflict(e.to_string()))?;
        lines.push(format!(
            "{} becomes {}'s number{}: clients in {}'s weekly windows text it.",
            n.e164.display(),
            s.first_name,
            if n.class == NumberClass::Pool { " (taken from the pool)" } else { "" },
            s.first_name
        ));
        Some(n)
    };
    if !s.active {
        lines.push(format!("{} can sign in again and is offered in Assignments.", s.first_name));
    }
    let summary = format!("Activate {}", s.name);
    if preview {
        return Ok(json(StatusCode::OK, &Impact { done: false, summary, lines, sitter: Some(s) }));
    }
    sqlx::query("UPDATE sitters SET active = 1, deactivated_at = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET active = 1 WHERE sitter_id = $1").bind(id).execute(&mut *tx).await?;
    if let Some(n) = &number {
        assign_number(&mut tx, org, n.id, id, now).await?;
    }
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("sitter.activated", "sitter", id, format!("{} activated. {}", s.name, lines.join(" ")))
            .payload(serde_json::json!({ "number_id": number.as_ref().map(|n| n.id.0) })),
    )
    .await?;
    let s = load(&mut tx, org, id).await?;
    tx.commit().await?;
    Ok(json(StatusCode::OK, &Impact { done: true, summary, lines, sitter: Some(s) }))
}

async fn assign_number(
    c: &mut AnyConnection,
    org: OrgId,
    n: NumberId,
    sitter: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE number_assignments SET ended_at = $1 WHERE number_id = $2 AND ended_at IS NULL")
        .bind(ms(now))
        .bind(n.0)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE numbers SET class = 'sitter', sitter_id = $1, cooldown_until = NULL WHERE id = $2")
        .bind(sitter)
        .bind(n.0)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO number_assignments (org_id, number_id, sitter_id, class, started_at, reason) VALUES ($1, $2, $3, 'sitter', $4, 'sitter activated')",
    )
    .bind(org.0)
    .bind(n.0)
    .bind(sitter)
    .bind(ms(now))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Switches a sitter off: their number goes into quarantine (cooldown from
/// Settings), their open windows close, so their clients' texts reach the
/// owner inbox; they can no longer sign in.
#[utoipa::path(post, path = "/sitters/{id}/deactivate", tag = "sitters",
    params(("id" = i64, Path, minimum = 1), PreviewParam,
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 200, description = "Done, or with preview=true what would happen", body = Impact),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already inactive", body = Problem, content_type = "application/problem+json")))]
async fn deactivate_sitter(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiQuery(p): ApiQuery<PreviewParam>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let preview = p.preview.unwrap_or(false);
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = org_context(&mut tx, org).await?;
    let s = load(&mut tx, org, id).await?;
    if !s.active {
        return Err(Problem::conflict(format!("{} is already inactive.", s.name)));
    }
    let all = number_facts(&mut tx, org).await?;
    let held: Vec<NumberFacts> =
        all.iter().filter(|n| n.sitter_id == Some(SitterId(id)) && n.status == NumberStatus::Active).cloned().collect();
    let mut lines = Vec::new();
    let mut cooldowns = Vec::new();
    for n in &held {
        let until =
            numbers::quarantine(n, &all, Some(QuarantineReason::ManualReview), "", now, ctx.settings.cooldown_days)
                .map_err(|e| Problem::conflict(e.to_string()))?;
        lines.push(format!(
            "{} goes into quarantine until {} ({} days); nobody new gets it before then.",
            n.e164.display(),
            ctx.tz.date(until),
            ctx.settings.cooldown_days
        ));
        cooldowns.push((n.id, until));
    }
    let open = sqlx::query(
        "SELECT w.id, w.starts_at, c.name FROM assignment_windows w JOIN clients c ON c.id = w.client_id
         WHERE w.sitter_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at",
    )
    .bind(id)
    .bind(ms(now))
    .fetch_all(&mut *tx)
    .await?;
    let mut clients: Vec<String> = Vec::new();
    for r in &open {
        let c: String = r.try_get("name")?;
        if !clients.contains(&c) {
            clients.push(c);
        }
    }
    if open.is_empty() {
        lines.push(format!("{} has no open windows.", s.first_name));
    } else {
        lines.push(format!(
            "{} open window{} close now ({}): those clients' texts go to the owner inbox.",
            open.len(),
            if open.len() == 1 { "" } else { "s" },
            clients.join(", ")
        ));
    }
    let threads: i64 = if held.is_empty() {
        0
    } else {
        let list = held.iter().map(|n| n.id.0.to_string()).collect::<Vec<_>>().join(", ");
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM threads WHERE number_id IN ({list})"))
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?
    };
    if threads > 0 {
        lines.push(format!(
            "{threads} conversation{} on that number are answered from the owner inbox.",
            if threads == 1 { "" } else { "s" }
        ));
    }
    lines.push(format!("{} can no longer sign in.", s.first_name));
    let summary = format!("Deactivate {}", s.name);
    if preview {
        return Ok(json(StatusCode::OK, &Impact { done: false, summary, lines, sitter: Some(s) }));
    }
    for r in &open {
        let wid: i64 = r.try_get("id")?;
        let starts: i64 = r.try_get("starts_at")?;
        if starts >= ms(now) {
            sqlx::query(
                "UPDATE assignment_windows SET deleted_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2",
            )
            .bind(ms(now))
            .bind(wid)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE assignment_windows SET ends_at = $1, closed_reason = 'sitter deactivated' WHERE id = $2",
            )
            .bind(ms(now))
            .bind(wid)
            .execute(&mut *tx)
            .await?;
        }
    }
    for (n, until) in &cooldowns {
        sqlx::query(
            "UPDATE numbers SET status = 'quarantined', quarantined_at = $1, quarantine_reason = 'manual_review',
                 quarantine_note = $2, cooldown_until = $3 WHERE id = $4",
        )
        .bind(ms(now))
        .bind(format!("{} deactivated", s.name))
        .bind(ms(*until))
        .bind(n.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE number_assignments SET ended_at = $1 WHERE number_id = $2 AND ended_at IS NULL")
            .bind(ms(now))
            .bind(n.0)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE sitters SET active = 0, deactivated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET active = 0 WHERE sitter_id = $1").bind(id).execute(&mut *tx).await?;
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("sitter.deactivated", "sitter", id, format!("{} deactivated. {}", s.name, lines.join(" "))).payload(
            serde_json::json!({ "numbers": cooldowns.iter().map(|(n, _)| n.0).collect::<Vec<_>>(), "windows_closed": open.len() }),
        ),
    )
    .await?;
    let s = load(&mut tx, org, id).await?;
    tx.commit().await?;
    Ok(json(StatusCode::OK, &Impact { done: true, summary, lines, sitter: Some(s) }))
}
