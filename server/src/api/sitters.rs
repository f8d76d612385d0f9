//! Sitters: list, create, activate (a number is assigned automatically) and
//! deactivate (their number quarantined, open windows closed, their
//! conversations answered by the owner inbox), each with `preview=true`.

use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::domain::ids::{OrgId, SitterId};
use app::people::{self, NewSitterForm, SitterChange};
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
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
    if b.first_name.as_deref().is_some_and(|f| f.trim().is_empty()) {
        return Err(Problem::invalid("first_name", "`first_name` is 1 to 60 characters on one line."));
    }
    let form = NewSitterForm {
        name: b.name,
        first_name: b.first_name.unwrap_or_default(),
        phone: b.phone.unwrap_or_default(),
        email: b.email.unwrap_or_default(),
        password: String::new(),
    };
    // Run inside the caller's context so an internal error carries the
    // request's id.
    let (org, actor) = (caller.key.org_id, caller.actor());
    let id = caller.run(&st, || people::service::create(&st.db, org, &actor, form)).await.map_err(Problem::from)?;
    let s = load(&mut *st.db.read.acquire().await?, caller.key.org_id, id.0).await?;
    Ok(json(StatusCode::CREATED, &s))
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
    load(&mut *st.db.read.acquire().await?, caller.key.org_id, id).await?;
    let preview = p.preview.unwrap_or(false);
    let (org, actor) = (caller.key.org_id, caller.actor());
    let change = caller
        .run(&st, || people::service::activate(&st.db, org, &actor, SitterId(id), preview))
        .await
        .map_err(Problem::from)?;
    respond(&st, &caller, id, change).await
}

async fn respond(st: &AppState, caller: &Caller, id: i64, c: SitterChange) -> ApiResult<Response> {
    let s = load(&mut *st.db.read.acquire().await?, caller.key.org_id, id).await?;
    Ok(json(StatusCode::OK, &Impact { done: c.done, summary: c.summary, lines: c.lines, sitter: Some(s) }))
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
    load(&mut *st.db.read.acquire().await?, caller.key.org_id, id).await?;
    let preview = p.preview.unwrap_or(false);
    let (org, actor) = (caller.key.org_id, caller.actor());
    let change = caller
        .run(&st, || people::service::deactivate(&st, org, &actor, SitterId(id), preview))
        .await
        .map_err(Problem::from)?;
    respond(&st, &caller, id, change).await
}
