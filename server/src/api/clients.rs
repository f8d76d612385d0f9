//! Clients: list and search, create, update, add and remove phone numbers.
//! Writes go through People's client service, so the API and the People
//! screen accept and refuse the same input with the same sentences.

use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::domain::ids::OrgId;
use app::people::clients::service;
use app::platform::sql::like_pattern;
use app::platform::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sqlx::{AnyConnection, Row};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client))
        .routes(routes!(add_contact))
        .routes(routes!(remove_contact))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientParams {
    /// Part of a name or phone number.
    q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn load(c: &mut AnyConnection, org: OrgId, id: i64) -> ApiResult<Client> {
    let r = sqlx::query(
        "SELECT id, name, first_name, notes, opted_out_everywhere, created_at, updated_at FROM clients
         WHERE id = $1 AND org_id = $2 AND merged_into IS NULL",
    )
    .bind(id)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .ok_or_else(|| Problem::not_found("There is no client with that id."))?;
    let mut out = client_from(&r)?;
    out.contacts = contacts(c, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(out)
}

fn client_from(r: &sqlx::any::AnyRow) -> Result<Client, sqlx::Error> {
    Ok(Client {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        first_name: r.try_get("first_name")?,
        notes: r.try_get("notes")?,
        opted_out: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
        contacts: vec![],
        created_at: time_ms(r.try_get("created_at")?),
        updated_at: time_ms(r.try_get("updated_at")?),
    })
}

async fn contacts(
    c: &mut AnyConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Contact>>, sqlx::Error> {
    let mut out: std::collections::HashMap<i64, Vec<Contact>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT id, client_id, e164, label FROM client_contacts WHERE client_id IN ({list}) ORDER BY id"
    ))
    .fetch_all(&mut *c)
    .await?;
    for r in rows {
        out.entry(r.try_get("client_id")?).or_default().push(Contact {
            id: r.try_get("id")?,
            e164: r.try_get("e164")?,
            label: r.try_get("label")?,
        });
    }
    Ok(out)
}

/// Lists clients by id; `q` matches names and phone numbers.
#[utoipa::path(get, path = "/clients", tag = "clients", params(ClientParams),
    responses((status = 200, description = "A page of clients, by id", body = ClientList)))]
async fn list_clients(
    State(st): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ClientParams>,
) -> ApiResult<Response> {
    let page = PageParams { limit: p.limit, cursor: p.cursor.clone() };
    let (limit, after) = (page.limit()?, page.after()?.unwrap_or(0));
    let mut c = st.db.read.acquire().await?;
    let org = caller.key.org_id;
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let rows = sqlx::query(
        "SELECT id, name, first_name, notes, opted_out_everywhere, created_at, updated_at FROM clients cl
         WHERE org_id = $1 AND merged_into IS NULL AND id > $2
           AND ($3 = '' OR LOWER(name) LIKE $4 ESCAPE '\\'
                OR ($5 <> '' AND EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = cl.id AND cc.e164 LIKE $6)))
         ORDER BY id LIMIT $7",
    )
    .bind(org.0)
    .bind(after)
    .bind(q)
    .bind(like_pattern(&q.to_lowercase()))
    .bind(&digits)
    .bind(format!("%{digits}%"))
    .bind(limit + 1)
    .fetch_all(&mut *c)
    .await?;
    let mut items = rows.iter().map(client_from).collect::<Result<Vec<_>, _>>()?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let mut by_id = contacts(&mut c, &items.iter().map(|i| i.id).collect::<Vec<_>>()).await?;
    for i in &mut items {
        i.contacts = by_id.remove(&i.id).unwrap_or_default();
    }
    let next_cursor = more.then(|| items.last().map(|i| i.id.to_string())).flatten();
    Ok(json(StatusCode::OK, &ClientList { items, next_cursor }))
}

/// Creates a client with their phone numbers.
#[utoipa::path(post, path = "/clients", tag = "clients", request_body = NewClient,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, description = "Created", body = Client),
              (status = 409, description = "A number already belongs to another client", body = Problem, content_type = "application/problem+json")))]
async fn create_client(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewClient>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let new = service::NewClient {
        name: b.name,
        first_name: b.first_name,
        notes: b.notes,
        contacts: b.contacts.into_iter().map(|c| (c.e164, c.label)).collect(),
    };
    let id = service::create(&st.db, org, &caller.actor(), new).await?;
    let client = load(&mut *st.db.read.acquire().await?, org, id).await?;
    Ok(json(StatusCode::CREATED, &client))
}

/// One client with their phone numbers.
#[utoipa::path(get, path = "/clients/{id}", tag = "clients", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Client), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_client(State(st): State<AppState>, caller: Caller, Id(id): Id) -> ApiResult<Response> {
    let mut c = st.db.read.acquire().await?;
    Ok(json(StatusCode::OK, &load(&mut c, caller.key.org_id, id).await?))
}

/// Renames a client or changes their notes; fields left out stay as they are.
#[utoipa::path(patch, path = "/clients/{id}", tag = "clients", params(("id" = i64, Path, minimum = 1)), request_body = ClientPatch,
    responses((status = 200, body = Client), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn update_client(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<ClientPatch>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    let patch = service::ClientPatch { name: b.name, first_name: b.first_name, notes: b.notes };
    service::update(&st.db, org, &caller.actor(), id, patch).await?;
    let client = load(&mut *st.db.read.acquire().await?, org, id).await?;
    Ok(json(StatusCode::OK, &client))
}

/// Adds a phone number to a client.
#[utoipa::path(post, path = "/clients/{id}/contacts", tag = "clients", params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    request_body = NewContact,
    responses((status = 201, body = Client), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The number belongs to another client", body = Problem, content_type = "application/problem+json")))]
async fn add_contact(
    State(st): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(b): ApiJson<NewContact>,
) -> ApiResult<Response> {
    let org = caller.key.org_id;
    service::add_contact(&st.db, org, &caller.actor(), id, &b.e164, b.label.as_deref()).await?;
    let client = load(&mut *st.db.read.acquire().await?, org, id).await?;
    Ok(json(StatusCode::CREATED, &client))
}

/// Removes a phone number from a client. Their conversations stay; texts
/// from that number afterwards start an "Unknown" client.
#[utoipa::path(delete, path = "/clients/{id}/contacts/{contact_id}", tag = "clients",
    params(("id" = i64, Path, minimum = 1), ("contact_id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Client), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn remove_contact(
    State(st): State<AppState>,
    caller: Caller,
    axum::extract::Path((id, contact)): axum::extract::Path<(String, String)>,
) -> ApiResult<Response> {
    let parse = |name: &str, v: &str| {
        v.parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| Problem::invalid(name, format!("`{name}` is a positive whole number.")))
    };
    let (id, contact) = (parse("id", &id)?, parse("contact_id", &contact)?);
    let org = caller.key.org_id;
    service::remove_contact(&st.db, org, &caller.actor(), id, contact).await?;
    let client = load(&mut *st.db.read.acquire().await?, org, id).await?;
    Ok(json(StatusCode::OK, &client))
}
