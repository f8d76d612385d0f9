//! Clients (SPEC §4.11): load → decide with `domain::clients` → persist,
//! each change with its audit event in the same transaction. People's
//! screen and the integration API (`/api/v1/clients`) both write clients
//! through here, so they accept and refuse the same input with the same
//! sentences.

use super::store::{self, display, Fields};
use super::{ClientForm, ClientList, ClientRow};
use crate::domain::clients::{self as rules, Refused};
use crate::domain::ids::{OrgId, ThreadId};
use crate::domain::phone::E164;
use crate::domain::time::relative;
use crate::error::{AppError, AppResult};
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::{from_ms, now, Db};

fn at(field: &str) -> impl Fn(Refused) -> AppError + '_ {
    move |r| AppError::field(field, r.message)
}

fn gone() -> AppError {
    AppError::NotFound("That client isn't in your list any more (merged or removed).".into())
}

pub async fn list(db: &Db, org: OrgId, query: &str) -> AppResult<ClientList> {
    let t = now();
    let mut c = db.read.acquire().await?;
    let tz = mstore::org_context(&mut c, org).await?.tz;
    let (total, found) = store::search(&mut c, org, &query.trim().to_lowercase()).await?;
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    let mut phones = store::contact_views(&mut c, org, &ids).await?;
    let items = found
        .into_iter()
        .map(|f| ClientRow {
            id: f.id,
            name: f.name,
            notes: f.notes.unwrap_or_default(),
            unknown: f.unknown,
            opted_out_everywhere: f.opted_out_everywhere,
            contacts: phones.remove(&f.id).unwrap_or_default(),
            conversations: f.conversations,
            last_text: f.last_text.map(|x| relative(from_ms(x), t, tz)),
        })
        .collect();
    Ok(ClientList { items, total })
}

/// People's editor: the whole client as typed, phone numbers one per line
/// (repeats kept once). Returns what changed, one line each.
pub async fn save(db: &Db, org: OrgId, actor: &Actor, f: ClientForm) -> AppResult<Vec<String>> {
    let name = rules::name(&f.name).map_err(at("name"))?;
    let notes = rules::notes(&f.notes).map_err(at("notes"))?;
    let mut tx = db.begin().await?;
    let region = store::region(&mut tx, org).await?;
    let mut phones: Vec<E164> = Vec::new();
    for line in f.phones.lines().flat_map(|l| l.split(',')).map(str::trim).filter(|l| !l.is_empty()) {
        let e = rules::phone(line, &region).map_err(at("phones"))?;
        if !phones.contains(&e) {
            phones.push(e);
        }
    }
    if phones.is_empty() {
        return Err(AppError::field("phones", "Keep at least one phone number, so texts can find this client."));
    }
    rules::contact_count(phones.len()).map_err(at("phones"))?;
    let before = store::current(&mut tx, org, f.id).await?.ok_or_else(gone)?;
    let current = store::phones_of(&mut tx, f.id).await?;
    let mut changes = Vec::new();
    if name != before.name {
        changes.push(format!("Name: {} → {name}", before.name));
    }
    if notes != before.notes {
        changes.push("Notes changed".to_string());
    }
    if f.opted_out_everywhere != before.opted_out_everywhere {
        changes.push(if f.opted_out_everywhere {
            "Opted out everywhere: no texts will be sent to them".to_string()
        } else {
            "No longer opted out everywhere".to_string()
        });
    }
    let t = now();
    for p in phones.iter().filter(|p| !current.iter().any(|(_, c)| c == p.as_str())) {
        if let Some((_, who)) = store::holder(&mut tx, org, p).await? {
            let taken = rules::taken(p, &who).message;
            return Err(AppError::field("phones", format!("{taken} If they're the same person, merge them instead.")));
        }
        store::insert_contact(&mut tx, org, f.id, p, None, t).await?;
        changes.push(format!("Added {}", p.display()));
    }
    for (id, e) in current.iter().filter(|(_, c)| !phones.iter().any(|p| p.as_str() == c)) {
        store::delete_contact(&mut tx, *id).await?;
        changes.push(format!("Removed {}", display(e)));
    }
    if changes.is_empty() {
        return Ok(changes);
    }
    // Naming an "Unknown" client makes them a known one.
    let named = before.unknown && name != before.name;
    let first_name =
        if named || !before.unknown { rules::first_name(None, &name).map_err(at("name"))? } else { before.first_name };
    let fields = Fields {
        name: name.clone(),
        first_name,
        notes,
        unknown: before.unknown && !named,
        opted_out_everywhere: f.opted_out_everywhere,
    };
    store::update(&mut tx, f.id, &fields, t).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("client.updated", "client", f.id, format!("Client {name}: {}", changes.join("; ")))
            .payload(serde_json::json!({ "changes": changes })),
    )
    .await?;
    tx.commit().await?;
    Ok(changes)
}

/// A new client as the API sends it.
pub struct NewClient {
    pub name: String,
    /// Defaults to the name's first word.
    pub first_name: Option<String>,
    pub notes: Option<String>,
    /// (phone as typed, label)
    pub contacts: Vec<(String, Option<String>)>,
}

fn conflict(e: &E164, id: i64, who: &str) -> AppError {
    AppError::Conflict(format!("{} Update that client (client {id}) instead.", rules::taken(e, who).message))
}

pub async fn create(db: &Db, org: OrgId, actor: &Actor, n: NewClient) -> AppResult<i64> {
    let name = rules::name(&n.name).map_err(at("name"))?;
    let first_name = rules::first_name(n.first_name.as_deref(), &name).map_err(at("first_name"))?;
    let notes = rules::notes(n.notes.as_deref().unwrap_or("")).map_err(at("notes"))?;
    rules::contact_count(n.contacts.len()).map_err(at("contacts"))?;
    let mut tx = db.begin().await?;
    let region = store::region(&mut tx, org).await?;
    let mut phones: Vec<(E164, Option<String>)> = Vec::new();
    for (i, (raw, label)) in n.contacts.iter().enumerate() {
        let field = format!("contacts[{i}].e164");
        let e = rules::phone(raw, &region).map_err(at(&field))?;
        if phones.iter().any(|(p, _)| p == &e) {
            return Err(AppError::field(&field, format!("{} is listed twice.", e.display())));
        }
        if let Some((id, who)) = store::holder(&mut tx, org, &e).await? {
            return Err(conflict(&e, id, &who));
        }
        let label = label.as_deref().map(rules::label).transpose().map_err(at(&format!("contacts[{i}].label")))?;
        phones.push((e, label.flatten()));
    }
    let t = now();
    let fields = Fields { name: name.clone(), first_name, notes, unknown: false, opted_out_everywhere: false };
    let id = store::insert_client(&mut tx, org, &fields, t).await?;
    for (e, label) in &phones {
        store::insert_contact(&mut tx, org, id, e, label.as_deref(), t).await?;
    }
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("client.created", "client", id, format!("Client {name} added")).payload(serde_json::json!({
            "contacts": phones.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A rename or new notes from the API; `None` leaves a field as it is.
pub struct ClientPatch {
    pub name: Option<String>,
    pub first_name: Option<String>,
    /// Empty clears the notes.
    pub notes: Option<String>,
}

pub async fn update(db: &Db, org: OrgId, actor: &Actor, id: i64, p: ClientPatch) -> AppResult<()> {
    let name = p.name.as_deref().map(rules::name).transpose().map_err(at("name"))?;
    let first = p.first_name.as_deref().map(|f| rules::first_name(Some(f), f)).transpose().map_err(at("first_name"))?;
    let notes = p.notes.as_deref().map(rules::notes).transpose().map_err(at("notes"))?;
    let mut tx = db.begin().await?;
    let before = store::current(&mut tx, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no client with that id.".into()))?;
    let mut changes = Vec::new();
    if let Some(n) = name.as_ref().filter(|n| **n != before.name) {
        changes.push(format!("name \"{}\" → \"{n}\"", before.name));
    }
    if let Some(f) = first.as_ref().filter(|f| **f != before.first_name) {
        changes.push(format!("first name \"{}\" → \"{f}\"", before.first_name));
    }
    if notes.as_ref().is_some_and(|n| *n != before.notes) {
        changes.push("notes changed".to_string());
    }
    if changes.is_empty() {
        return Ok(());
    }
    let summary = format!("Client {}: {}", before.name, changes.join(", "));
    let fields = Fields {
        // Naming an "Unknown +1 …" client makes them a known one.
        unknown: before.unknown && name.is_none(),
        name: name.unwrap_or(before.name),
        first_name: first.unwrap_or(before.first_name),
        notes: notes.unwrap_or(before.notes),
        opted_out_everywhere: before.opted_out_everywhere,
    };
    store::update(&mut tx, id, &fields, now()).await?;
    audit::append(&mut tx, org, actor, Event::new("client.updated", "client", id, summary)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_contact(db: &Db, org: OrgId, actor: &Actor, id: i64, raw: &str, label: Option<&str>) -> AppResult<()> {
    let label = label.map(rules::label).transpose().map_err(at("label"))?.flatten();
    let mut tx = db.begin().await?;
    let client = store::current(&mut tx, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no client with that id.".into()))?;
    let region = store::region(&mut tx, org).await?;
    let e = rules::phone(raw, &region).map_err(at("e164"))?;
    if let Some((holder, who)) = store::holder(&mut tx, org, &e).await? {
        return Err(conflict(&e, holder, &who));
    }
    rules::contact_count(store::phones_of(&mut tx, id).await?.len() + 1).map_err(at("e164"))?;
    store::insert_contact(&mut tx, org, id, &e, label.as_deref(), now()).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("client.contact_added", "client", id, format!("{} added to {}", e.display(), client.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_contact(db: &Db, org: OrgId, actor: &Actor, id: i64, contact: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let client = store::current(&mut tx, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no client with that id.".into()))?;
    let phones = store::phones_of(&mut tx, id).await?;
    let Some((_, e164)) = phones.iter().find(|(c, _)| *c == contact) else {
        return Err(AppError::NotFound("That client has no phone number with that id.".into()));
    };
    store::delete_contact(&mut tx, contact).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("client.contact_removed", "client", id, format!("{e164} removed from {}", client.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Merges an "Unknown" client into a named one; with `preview`, only says
/// what would happen.
pub async fn merge(db: &Db, org: OrgId, actor: &Actor, from: i64, into: i64, preview: bool) -> AppResult<Vec<String>> {
    if from == into {
        return Err(AppError::field("into", "Choose a different client to merge into."));
    }
    let mut tx = db.begin().await?;
    let a = store::current(&mut tx, org, from).await?.ok_or_else(gone)?;
    let b = store::current(&mut tx, org, into).await?.ok_or_else(gone)?;
    if !a.unknown {
        return Err(AppError::Conflict(format!(
            "{} is a named client. Only an \"Unknown\" client (a new phone that texted in) can be merged into another.",
            a.name
        )));
    }
    if b.unknown {
        return Err(AppError::field("into", "Merge into a named client, not another unknown one."));
    }
    let phones = store::phones_of(&mut tx, from).await?;
    let threads = store::thread_pairs(&mut tx, from, into).await?;
    let mut impact: Vec<String> =
        phones.iter().map(|(_, p)| format!("{} becomes one of {}'s phone numbers.", display(p), b.name)).collect();
    for (_, number, other) in &threads {
        impact.push(match other {
            None => format!("The conversation on {number} moves to {} as it is.", b.name),
            Some(_) => {
                format!("The conversation on {number} joins {}'s existing one there, messages in time order.", b.name)
            }
        });
    }
    impact.push(format!("\"{}\" disappears from the list; the audit trail keeps the record.", a.name));
    if preview {
        return Ok(impact);
    }
    let t = now();
    store::move_contacts(&mut tx, from, into).await?;
    for (thread, _, other) in &threads {
        match other {
            None => store::move_thread(&mut tx, *thread, into).await?,
            Some(keep) => {
                store::fold_thread(&mut tx, *thread, *keep).await?;
                let note = format!("{} turned out to be {}: their conversation was merged in here.", a.name, b.name);
                mstore::note(&mut tx, org, ThreadId(*keep), &note, t).await?;
            }
        }
    }
    store::mark_merged(&mut tx, from, into, t).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("client.merged", "client", into, format!("{} merged into {}", a.name, b.name))
            .payload(serde_json::json!({ "from": from, "into": into, "impact": impact })),
    )
    .await?;
    tx.commit().await?;
    Ok(impact)
}
