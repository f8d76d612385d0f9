//! Business numbers (read-only here; buying and quarantine are owner
//! actions in the Numbers screen).

use super::extract::{ApiQuery, Id};
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::domain::numbers::{NumberClass, NumberStatus};
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sqlx::Row;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_numbers)).routes(routes!(get_number))
}

const SELECT: &str =
    "SELECT id, e164, class, status, sitter_id, area_code, monthly_cost_cents, purchased_at, last_used_at,
    quarantine_reason, cooldown_until, created_at FROM numbers";

fn number_from(r: &sqlx::any::AnyRow) -> Result<Number, sqlx::Error> {
    Ok(Number {
        id: r.try_get("id")?,
        e164: r.try_get("e164")?,
        class: r.try_get("class")?,
        status: r.try_get("status")?,
        sitter_id: r.try_get("sitter_id")?,
        area_code: r.try_get("area_code")?,
        monthly_cost_cents: r.try_get("monthly_cost_cents")?,
        purchased_at: opt_time_ms(r.try_get("purchased_at")?),
        last_used_at: opt_time_ms(r.try_get("last_used_at")?),
        quarantine_reason: r.try_get("quarantine_reason")?,
        cooldown_until: opt_time_ms(r.try_get("cooldown_until")?),
        created_at: time_ms(r.try_get("created_at")?),
    })
}

/// Lists the business's numbers by id, optionally by class and status.
#[utoipa::path(get, path = "/numbers", tag = "numbers", params(NumberParams), responses((status = 200, body = NumberList)))]
async fn list_numbers(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<NumberParams>,
) -> ApiResult<Response> {
    let page = PageParams { limit: p.limit, cursor: p.cursor.clone() };
    let (limit, after) = (page.limit()?, page.after()?.unwrap_or(0));
    let class = match p.class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            NumberClass::parse(c)
                .ok_or_else(|| Problem::invalid("class", "`class` is front_desk, sitter or pool."))?
                .as_str(),
        ),
        None => None,
    };
    let status = match p.status.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(s) => Some(
            NumberStatus::parse(s)
                .ok_or_else(|| Problem::invalid("status", "`status` is active, quarantined or inactive."))?
                .as_str(),
        ),
        None => None,
    };
    let mut c = st.db.read.acquire().await?;
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE org_id = $1 AND id > $2 AND ($3 = '' OR class = $3) AND ($4 = '' OR status = $4) ORDER BY id LIMIT $5"
    ))
    .bind(caller.key.org_id.0)
    .bind(after)
    .bind(class.unwrap_or(""))
    .bind(status.unwrap_or(""))
    .bind(limit + 1)
    .fetch_all(&mut *c)
    .await?;
    let mut items = rows.iter().map(number_from).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|n| n.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &NumberList { items, next_cursor }))
}

#[utoipa::path(get, path = "/numbers/{id}", tag = "numbers", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Number), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_number(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    let r = sqlx::query(&format!("{SELECT} WHERE id = $1 AND org_id = $2"))
        .bind(id)
        .bind(caller.key.org_id.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| Problem::not_found("There is no number with that id."))?;
    Ok(json(StatusCode::OK, &number_from(&r)?))
}
