//! Clients: list and search, create, update, add and remove phone numbers.

use super::extract::{ApiJson, ApiQuery, Id};
use super::model::*;
use super::{json, ApiResult, Caller, Problem};
use app::domain::ids::OrgId;
use app::domain::phone::E164;
use app::platform::audit::{self, Event};
use app::platform::sql::like_pattern;
use app::platform::{ms, now, AppState};
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

const NAME_MAX: usize = 120;
const NOTES_MAX: usize = 2000;

fn clean_name(field: &str, v: &str) -> ApiResult<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Problem::invalid(field, format!("`{field}` can't be empty.")));
    }
    if v.chars().count() > NAME_MAX {
        return Err(Problem::invalid(field, format!("`{field}` is at most {NAME_MAX} characters.")));
    }
    if v.chars().any(char::is_control) {
        return Err(Problem::invalid(field, format!("`{field}` can't contain line breaks or control characters.")));
    }
    Ok(v.to_string())
}

fn clean_notes(v: &str) -> ApiResult<Option<String>> {
    let v = v.trim();
    if v.chars().count() > NOTES_MAX {
        return Err(Problem::invalid("notes", format!("`notes` is at most {NOTES_MAX} characters.")));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

fn first_word(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_string()
}

pub async fn region(c: &mut AnyConnection, org: OrgId) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT default_region FROM organisations WHERE id = $1")
        .bind(org.0)
        .fetch_one(&mut *c)
        .await?
        .try_get("default_region")
}

fn parse_phone(field: &str, raw: &str, region: &str) -> ApiResult<E164> {
    E164::parse(raw, region)
        .map_err(|e| Problem::invalid(field, format!("\"{}\" isn't a phone number we can text: {e}", raw.trim())))
}

/// A number may belong to one client of the business.
async fn check_free(c: &mut AnyConnection, org: OrgId, e: &E164, field: &str) -> ApiResult<()> {
    let r = sqlx::query(
        "SELECT cl.id, cl.name FROM client_contacts cc JOIN clients cl ON cl.id = cc.client_id WHERE cc.org_id = $1 AND cc.e164 = $2",
    )
    .bind(org.0)
    .bind(e.as_str())
    .fetch_optional(&mut *c)
    .await?;
    if let Some(r) = r {
        let (id, name): (i64, String) = (r.try_get("id")?, r.try_get("name")?);
        let mut p = Problem::conflict(format!(
            "{} already belongs to {name} (client {id}). Update that client (PATCH /api/v1/clients/{id}) instead.",
            e.display()
        ));
        p.field = Some(field.to_string());
        return Err(p);
    }
    Ok(())
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
    let name = clean_name("name", &b.name)?;
    let first = match b.first_name.as_deref() {
        Some(f) => clean_name("first_name", f)?,
        None => first_word(&name),
    };
    let notes = clean_notes(b.notes.as_deref().unwrap_or(""))?;
    if b.contacts.len() > 10 {
        return Err(Problem::invalid("contacts", "A client has at most 10 phone numbers."));
    }
    let now = now();
    let mut tx = st.db.begin().await?;
    let region = region(&mut tx, org).await?;
    let mut phones = Vec::new();
    for (i, ct) in b.contacts.iter().enumerate() {
        let field = format!("contacts[{i}].e164");
        let e = parse_phone(&field, &ct.e164, &region)?;
        if phones.iter().any(|(p, _): &(E164, Option<String>)| p == &e) {
            return Err(Problem::invalid(&field, format!("{} is listed twice.", e.display())));
        }
        check_free(&mut tx, org, &e, &field).await?;
        let label = ct.label.as_deref().map(|l| clean_name(&format!("contacts[{i}].label"), l)).transpose()?;
        phones.push((e, label));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO clients (org_id, name, first_name, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(org.0)
    .bind(&name)
    .bind(&first)
    .bind(&notes)
    .bind(ms(now))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    for (e, label) in &phones {
        sqlx::query(
            "INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.0)
        .bind(id)
        .bind(e.as_str())
        .bind(label)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("client.created", "client", id, format!("Client {name} added")).payload(serde_json::json!({
            "contacts": phones.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    let client = load(&mut tx, org, id).await?;
    tx.commit().await?;
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
    let name = b.name.as_deref().map(|n| clean_name("name", n)).transpose()?;
    let first = b.first_name.as_deref().map(|n| clean_name("first_name", n)).transpose()?;
    let notes = b.notes.as_deref().map(clean_notes).transpose()?;
    let mut tx = st.db.begin().await?;
    let before = load(&mut tx, org, id).await?;
    let mut changes = Vec::new();
    if let Some(n) = &name {
        if n != &before.name {
            changes.push(format!("name \"{}\" → \"{n}\"", before.name));
        }
    }
    if let Some(f) = &first {
        if f != &before.first_name {
            changes.push(format!("first name \"{}\" → \"{f}\"", before.first_name));
        }
    }
    if let Some(n) = &notes {
        if n != &before.notes {
            changes.push("notes changed".to_string());
        }
    }
    if changes.is_empty() {
        tx.commit().await?;
        return Ok(json(StatusCode::OK, &before));
    }
    // Naming an "Unknown +1 …" client makes them a known one.
    sqlx::query(
        "UPDATE clients SET name = $1, first_name = $2, notes = $3, updated_at = $4,
             is_unknown = CASE WHEN $5 = 1 THEN 0 ELSE is_unknown END WHERE id = $6",
    )
    .bind(name.clone().unwrap_or(before.name.clone()))
    .bind(first.unwrap_or(before.first_name.clone()))
    .bind(notes.unwrap_or(before.notes.clone()))
    .bind(ms(now()))
    .bind(i64::from(name.is_some()))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("client.updated", "client", id, format!("Client {}: {}", before.name, changes.join(", "))),
    )
    .await?;
    let client = load(&mut tx, org, id).await?;
    tx.commit().await?;
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
    let label = b.label.as_deref().map(|l| clean_name("label", l)).transpose()?;
    let mut tx = st.db.begin().await?;
    let client = load(&mut tx, org, id).await?;
    let region = region(&mut tx, org).await?;
    let e = parse_phone("e164", &b.e164, &region)?;
    check_free(&mut tx, org, &e, "e164").await?;
    if client.contacts.len() >= 10 {
        return Err(Problem::invalid("e164", "A client has at most 10 phone numbers."));
    }
    sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(org.0)
        .bind(id)
        .bind(e.as_str())
        .bind(&label)
        .bind(ms(now()))
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("client.contact_added", "client", id, format!("{} added to {}", e.display(), client.name)),
    )
    .await?;
    let client = load(&mut tx, org, id).await?;
    tx.commit().await?;
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
    let mut tx = st.db.begin().await?;
    let client = load(&mut tx, org, id).await?;
    let Some(ct) = client.contacts.iter().find(|c| c.id == contact) else {
        return Err(Problem::not_found("That client has no phone number with that id."));
    };
    sqlx::query("DELETE FROM client_contacts WHERE id = $1").bind(contact).execute(&mut *tx).await?;
    audit::append(
        &mut tx,
        org,
        &caller.actor(),
        Event::new("client.contact_removed", "client", id, format!("{} removed from {}", ct.e164, client.name)),
    )
    .await?;
    let client = load(&mut tx, org, id).await?;
    tx.commit().await?;
    Ok(json(StatusCode::OK, &client))
}
