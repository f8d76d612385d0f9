//! Clients in People (SPEC §4.11, §2): search, edit name, notes and phone
//! numbers (E.164, checked with the domain's phone type, one client per
//! number), the opt-out state per business number, and merging an
//! "Unknown" client (someone who texted from a new phone) into the client
//! they turn out to be — conversations, numbers and history move with them.

use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, Card, EmptyState, Loading, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub e164: String,
    pub display: String,
    /// Business numbers this phone has opted out of (STOP).
    pub opted_out_of: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub notes: String,
    pub unknown: bool,
    pub opted_out_everywhere: bool,
    pub contacts: Vec<ContactView>,
    pub conversations: i64,
    pub last_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    pub items: Vec<ClientRow>,
    /// Matching clients, of which up to 100 are listed.
    pub total: i64,
}

/// The edit form as typed: phone numbers one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientForm {
    pub id: i64,
    pub name: String,
    pub notes: String,
    pub phones: String,
    pub opted_out_everywhere: bool,
}

#[server]
pub async fn list_clients(query: String) -> Result<ClientList, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&u, &query).await
    })
    .await
}

/// Saves the client; returns what changed, one line each.
#[server]
pub async fn save_client(form: ClientForm) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::save(&u, form).await
    })
    .await
}

/// With `preview`, says what merging would do and changes nothing.
#[server]
pub async fn merge_client(unknown: i64, into: i64, preview: bool) -> Result<Vec<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::merge(&u, unknown, into, preview).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::domain::phone::E164;
    use crate::domain::time::relative;
    use crate::error::AppResult;
    use crate::messaging::store as mstore;
    use crate::platform::audit::{self, Event};
    use crate::platform::ctx::request_id;
    use crate::platform::sessions::SessionUser;
    use crate::platform::{from_ms, ms, now, state};
    use sqlx::{AnyConnection, Row};
    use std::collections::HashMap;

    fn display(e: &str) -> String {
        E164::from_canonical(e).map(|x| x.display()).unwrap_or_else(|| e.to_string())
    }

    async fn contacts(c: &mut AnyConnection, org: i64, ids: &[i64]) -> AppResult<HashMap<i64, Vec<ContactView>>> {
        let mut out: HashMap<i64, Vec<ContactView>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT cc.client_id, cc.e164, n.e164 AS business FROM client_contacts cc
             LEFT JOIN opt_outs o ON o.org_id = cc.org_id AND o.e164 = cc.e164 AND o.opted_out = 1
             LEFT JOIN numbers n ON n.id = o.number_id
             WHERE cc.org_id = $1 AND cc.client_id IN ({list}) ORDER BY cc.id"
        ))
        .bind(org)
        .fetch_all(&mut *c)
        .await?;
        for r in rows {
            let client: i64 = r.try_get("client_id")?;
            let e164: String = r.try_get("e164")?;
            let business: Option<String> = r.try_get("business")?;
            let v = out.entry(client).or_default();
            let idx = match v.iter().position(|x| x.e164 == e164) {
                Some(i) => i,
                None => {
                    v.push(ContactView { display: display(&e164), e164, opted_out_of: vec![] });
                    v.len() - 1
                }
            };
            if let Some(b) = business {
                v[idx].opted_out_of.push(display(&b));
            }
        }
        Ok(out)
    }

    pub async fn list(u: &SessionUser, query: &str) -> AppResult<ClientList> {
        let st = state()?;
        let t = now();
        let mut c = st.db.read.acquire().await?;
        let tz = mstore::org_context(&mut c, u.org_id).await?.tz;
        let q = query.trim().to_lowercase();
        let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
        let name_like = format!("%{}%", q.replace(['%', '_'], ""));
        let phone_like = if digits.len() >= 3 { format!("%{digits}%") } else { "no-phone".into() };
        let filter = "c.org_id = $1 AND c.merged_into IS NULL AND ($2 = '' OR LOWER(c.name) LIKE $3
             OR EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = c.id AND cc.e164 LIKE $4))";
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM clients c WHERE {filter}"))
            .bind(u.org_id.0)
            .bind(&q)
            .bind(&name_like)
            .bind(&phone_like)
            .fetch_one(&mut *c)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(&format!(
            "SELECT c.id, c.name, c.notes, c.is_unknown, c.opted_out_everywhere,
                    (SELECT COUNT(*) FROM threads t WHERE t.client_id = c.id) AS conversations,
                    (SELECT MAX(t.last_message_at) FROM threads t WHERE t.client_id = c.id) AS last_text
             FROM clients c WHERE {filter}
             ORDER BY c.is_unknown DESC, LOWER(c.name), c.id LIMIT 100"
        ))
        .bind(u.org_id.0)
        .bind(&q)
        .bind(&name_like)
        .bind(&phone_like)
        .fetch_all(&mut *c)
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
        let mut phones = contacts(&mut c, u.org_id.0, &ids).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("id")?;
            items.push(ClientRow {
                id,
                name: r.try_get("name")?,
                notes: r.try_get::<Option<String>, _>("notes")?.unwrap_or_default(),
                unknown: r.try_get::<i64, _>("is_unknown")? == 1,
                opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
                contacts: phones.remove(&id).unwrap_or_default(),
                conversations: r.try_get("conversations")?,
                last_text: r.try_get::<Option<i64>, _>("last_text")?.map(|x| relative(from_ms(x), t, tz)),
            });
        }
        Ok(ClientList { items, total })
    }

    pub async fn save(u: &SessionUser, f: ClientForm) -> AppResult<Vec<String>> {
        let st = state()?;
        let org = u.org_id.0;
        let name = f.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(AppError::field("name", "Enter the client's name."));
        }
        if name.chars().count() > 100 {
            return Err(AppError::field("name", "Keep the name under 100 characters."));
        }
        let notes = f.notes.trim().to_string();
        if notes.chars().count() > 2000 {
            return Err(AppError::field("notes", "Keep notes under 2,000 characters."));
        }
        let mut tx = st.db.begin().await?;
        let region: String = sqlx::query("SELECT default_region FROM organisations WHERE id = $1")
            .bind(org)
            .fetch_one(&mut *tx)
            .await?
            .try_get("default_region")?;
        let mut phones: Vec<E164> = Vec::new();
        for line in f.phones.lines().flat_map(|l| l.split(',')).map(str::trim).filter(|l| !l.is_empty()) {
            let e = E164::parse(line, &region)
                .map_err(|e| AppError::field("phones", format!("\"{line}\" isn't a phone number we can text: {e}")))?;
            if !phones.contains(&e) {
                phones.push(e);
            }
        }
        if phones.is_empty() {
            return Err(AppError::field("phones", "Keep at least one phone number, so texts can find this client."));
        }
        let before = sqlx::query(
            "SELECT name, notes, opted_out_everywhere, is_unknown FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL",
        )
        .bind(f.id)
        .bind(org)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("That client isn't in your list any more (merged or removed).".into()))?;
        let old_name: String = before.try_get("name")?;
        let old_notes = before.try_get::<Option<String>, _>("notes")?.unwrap_or_default();
        let old_out = before.try_get::<i64, _>("opted_out_everywhere")? == 1;
        let was_unknown = before.try_get::<i64, _>("is_unknown")? == 1;
        let current: Vec<String> = sqlx::query("SELECT e164 FROM client_contacts WHERE client_id = $1 ORDER BY id")
            .bind(f.id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| r.try_get("e164"))
            .collect::<Result<_, _>>()?;
        let mut changes = Vec::new();
        if name != old_name {
            changes.push(format!("Name: {old_name} → {name}"));
        }
        if notes != old_notes {
            changes.push("Notes changed".to_string());
        }
        if f.opted_out_everywhere != old_out {
            changes.push(if f.opted_out_everywhere {
                "Opted out everywhere: no texts will be sent to them".to_string()
            } else {
                "No longer opted out everywhere".to_string()
            });
        }
        for p in &phones {
            if current.iter().any(|c| c == p.as_str()) {
                continue;
            }
            let owner = sqlx::query(
                "SELECT cl.name FROM client_contacts cc JOIN clients cl ON cl.id = cc.client_id WHERE cc.org_id = $1 AND cc.e164 = $2",
            )
            .bind(org)
            .bind(p.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(o) = owner {
                let who: String = o.try_get("name")?;
                return Err(AppError::field(
                    "phones",
                    format!(
                        "{} already belongs to {who}. If they're the same person, merge them instead.",
                        p.display()
                    ),
                ));
            }
            sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, created_at) VALUES ($1, $2, $3, $4)")
                .bind(org)
                .bind(f.id)
                .bind(p.as_str())
                .bind(ms(now()))
                .execute(&mut *tx)
                .await?;
            changes.push(format!("Added {}", p.display()));
        }
        for c in &current {
            if !phones.iter().any(|p| p.as_str() == c) {
                sqlx::query("DELETE FROM client_contacts WHERE client_id = $1 AND e164 = $2")
                    .bind(f.id)
                    .bind(c)
                    .execute(&mut *tx)
                    .await?;
                changes.push(format!("Removed {}", display(c)));
            }
        }
        if changes.is_empty() {
            return Ok(changes);
        }
        let first = name.split_whitespace().next().unwrap_or(&name).to_string();
        // Naming an "Unknown" client makes them a known one.
        let known = was_unknown && name != old_name;
        sqlx::query(
            "UPDATE clients SET name = $1, first_name = CASE WHEN $2 = 1 OR is_unknown = 0 THEN $3 ELSE first_name END,
                 notes = $4, opted_out_everywhere = $5, is_unknown = CASE WHEN $2 = 1 THEN 0 ELSE is_unknown END,
                 updated_at = $6 WHERE id = $7",
        )
        .bind(&name)
        .bind(i64::from(known))
        .bind(&first)
        .bind((!notes.is_empty()).then_some(notes.clone()))
        .bind(i64::from(f.opted_out_everywhere))
        .bind(ms(now()))
        .bind(f.id)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            u.org_id,
            &u.actor(request_id()),
            Event::new("client.updated", "client", f.id, format!("Client {name}: {}", changes.join("; ")))
                .payload(serde_json::json!({ "changes": changes })),
        )
        .await?;
        tx.commit().await?;
        Ok(changes)
    }

    struct Side {
        name: String,
        unknown: bool,
    }

    async fn side(c: &mut AnyConnection, org: i64, id: i64) -> AppResult<Side> {
        let r =
            sqlx::query("SELECT name, is_unknown FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL")
                .bind(id)
                .bind(org)
                .fetch_optional(&mut *c)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("That client isn't in your list any more (merged or removed).".into())
                })?;
        Ok(Side { name: r.try_get("name")?, unknown: r.try_get::<i64, _>("is_unknown")? == 1 })
    }

    /// Threads of `from`, each with `into`'s thread on the same business
    /// number if there is one.
    async fn pairs(c: &mut AnyConnection, from: i64, into: i64) -> AppResult<Vec<(i64, String, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT t.id, n.e164, (SELECT t2.id FROM threads t2 WHERE t2.client_id = $2 AND t2.number_id = t.number_id) AS other
             FROM threads t JOIN numbers n ON n.id = t.number_id WHERE t.client_id = $1 ORDER BY t.id",
        )
        .bind(from)
        .bind(into)
        .fetch_all(&mut *c)
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("id")?, display(&r.try_get::<String, _>("e164")?), r.try_get("other")?)))
            .collect()
    }

    pub async fn merge(u: &SessionUser, from: i64, into: i64, preview: bool) -> AppResult<Vec<String>> {
        let st = state()?;
        let org = u.org_id.0;
        if from == into {
            return Err(AppError::field("into", "Choose a different client to merge into."));
        }
        let mut tx = st.db.begin().await?;
        let a = side(&mut tx, org, from).await?;
        let b = side(&mut tx, org, into).await?;
        if !a.unknown {
            return Err(AppError::Conflict(format!(
                "{} is a named client. Only an \"Unknown\" client (a new phone that texted in) can be merged into another.",
                a.name
            )));
        }
        if b.unknown {
            return Err(AppError::field("into", "Merge into a named client, not another unknown one."));
        }
        let phones = contacts(&mut tx, org, &[from]).await?.remove(&from).unwrap_or_default();
        let threads = pairs(&mut tx, from, into).await?;
        let mut impact: Vec<String> =
            phones.iter().map(|p| format!("{} becomes one of {}'s phone numbers.", p.display, b.name)).collect();
        for (_, number, other) in &threads {
            impact.push(match other {
                None => format!("The conversation on {number} moves to {} as it is.", b.name),
                Some(_) => format!(
                    "The conversation on {number} joins {}'s existing one there, messages in time order.",
                    b.name
                ),
            });
        }
        impact.push(format!("\"{}\" disappears from the list; the audit trail keeps the record.", a.name));
        if preview {
            return Ok(impact);
        }
        let t = ms(now());
        sqlx::query("UPDATE client_contacts SET client_id = $1 WHERE client_id = $2")
            .bind(into)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        for (tid, _, other) in &threads {
            match other {
                None => {
                    sqlx::query("UPDATE threads SET client_id = $1 WHERE id = $2")
                        .bind(into)
                        .bind(tid)
                        .execute(&mut *tx)
                        .await?;
                }
                Some(keep) => {
                    for table in [
                        "messages",
                        "assignment_windows",
                        "routing_overrides",
                        "routing_decisions",
                        "policy_violations",
                    ] {
                        sqlx::query(&format!("UPDATE {table} SET thread_id = $1 WHERE thread_id = $2"))
                            .bind(keep)
                            .bind(tid)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query(
                        "INSERT INTO thread_participants (thread_id, e164, added_at)
                         SELECT $1, e164, added_at FROM thread_participants WHERE thread_id = $2
                         ON CONFLICT (thread_id, e164) DO NOTHING",
                    )
                    .bind(keep)
                    .bind(tid)
                    .execute(&mut *tx)
                    .await?;
                    // The kept thread's summary now covers both.
                    let old = sqlx::query(
                        "SELECT last_message_at, last_message_preview, last_inbound_at, awaiting_reply_since, unread_count,
                                open_violations, failed_deliveries FROM threads WHERE id = $1",
                    )
                    .bind(tid)
                    .fetch_one(&mut *tx)
                    .await?;
                    let old_last: Option<i64> = old.try_get("last_message_at")?;
                    sqlx::query(
                        "UPDATE threads SET
                             last_message_preview = CASE WHEN COALESCE(last_message_at, 0) < COALESCE($1, 0) THEN $2 ELSE last_message_preview END,
                             last_message_at = CASE WHEN COALESCE(last_message_at, 0) < COALESCE($1, 0) THEN $1 ELSE last_message_at END,
                             last_inbound_at = CASE WHEN COALESCE(last_inbound_at, 0) < COALESCE($3, 0) THEN $3 ELSE last_inbound_at END,
                             awaiting_reply_since = COALESCE(awaiting_reply_since, $4),
                             unread_count = unread_count + $5, open_violations = open_violations + $6,
                             failed_deliveries = failed_deliveries + $7, is_current = 1
                         WHERE id = $8",
                    )
                    .bind(old_last)
                    .bind(old.try_get::<Option<String>, _>("last_message_preview")?)
                    .bind(old.try_get::<Option<i64>, _>("last_inbound_at")?)
                    .bind(old.try_get::<Option<i64>, _>("awaiting_reply_since")?)
                    .bind(old.try_get::<i64, _>("unread_count")?)
                    .bind(old.try_get::<i64, _>("open_violations")?)
                    .bind(old.try_get::<i64, _>("failed_deliveries")?)
                    .bind(keep)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE threads SET is_current = 0, unread_count = 0, open_violations = 0, failed_deliveries = 0,
                             last_message_preview = NULL, awaiting_reply_since = NULL WHERE id = $1",
                    )
                    .bind(tid)
                    .execute(&mut *tx)
                    .await?;
                    mstore::note(
                        &mut tx,
                        u.org_id,
                        crate::domain::ids::ThreadId(*keep),
                        &format!("{} turned out to be {}: their conversation was merged in here.", a.name, b.name),
                        now(),
                    )
                    .await?;
                }
            }
        }
        sqlx::query("UPDATE clients SET merged_into = $1, updated_at = $2 WHERE id = $3")
            .bind(into)
            .bind(t)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            u.org_id,
            &u.actor(request_id()),
            Event::new("client.merged", "client", into, format!("{} merged into {}", a.name, b.name))
                .payload(serde_json::json!({ "from": from, "into": into, "impact": impact })),
        )
        .await?;
        tx.commit().await?;
        Ok(impact)
    }
}

#[component]
pub fn ClientsPanel() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || (applied.get(), changed.get()), |(q, _)| list_clients(q));
    let editing = RwSignal::new(None::<ClientRow>);
    view! {
        <Card title="Clients" class="mt-6">
            <form class="mb-4 flex flex-wrap items-end gap-3" role="search" on:submit=move |ev| { ev.prevent_default(); applied.set(query.get_untracked()); }>
                <label class="block min-w-[14rem] flex-1">
                    <span class=field::LABEL>"Search clients"</span>
                    <input class=field::INPUT type="search" placeholder="Name or phone number" data-testid="client-search"
                        prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class=btn::SECONDARY data-testid="client-search-go">"Search"</button>
            </form>
            {move || editing.get().map(|c| view! { <ClientEditor client=c editing=editing changed=changed /> })}
            <Transition fallback=|| view! { <Loading label="Loading clients" /> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! {
                            <EmptyState title="No clients found" body="Clients appear here when they text one of your numbers or are added by your booking software." />
                        }.into_any(),
                        Ok(l) => view! {
                            <p class="mb-2 text-xs text-slate-500" data-testid="client-count">
                                {if l.total as usize > l.items.len() { format!("Showing {} of {} clients: search to narrow it down.", l.items.len(), l.total) } else { format!("{} client{}", l.total, if l.total == 1 { "" } else { "s" }) }}
                            </p>
                            <div class="relative overflow-x-auto">
                                <table class="min-w-full text-sm" data-testid="clients">
                                    <thead>
                                        <tr class="border-b border-slate-200 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                            <th class="py-2 pr-4">"Client"</th>
                                            <th class="py-2 pr-4">"Phone numbers"</th>
                                            <th class="hidden py-2 pr-4 sm:table-cell">"Conversations"</th>
                                            <th class="hidden py-2 pr-4 md:table-cell">"Last text"</th>
                                            <th class="py-2"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {l.items.into_iter().map(|c| {
                                            let row = c.clone();
                                            view! {
                                                <tr class="border-b border-slate-100 align-top last:border-0" data-testid="client-row">
                                                    <td class="py-2 pr-4">
                                                        <span class="font-medium text-slate-900">{c.name.clone()}</span>
                                                        <span class="ml-2 inline-flex gap-1">
                                                            {c.unknown.then(|| view! { <Badge tone=Tone::Warn text="Unknown" /> })}
                                                            {c.opted_out_everywhere.then(|| view! { <Badge tone=Tone::Bad text="Opted out everywhere" /> })}
                                                        </span>
                                                    </td>
                                                    <td class="py-2 pr-4">
                                                        {c.contacts.into_iter().map(|p| view! {
                                                            <span class="block whitespace-nowrap text-slate-700">
                                                                {p.display}
                                                                {(!p.opted_out_of.is_empty()).then(|| view! {
                                                                    <span class="ml-1"><Badge tone=Tone::Bad text="Opted out" title=format!("Sent STOP to {}", p.opted_out_of.join(", ")) /></span>
                                                                })}
                                                            </span>
                                                        }).collect_view()}
                                                    </td>
                                                    <td class="hidden py-2 pr-4 tabular-nums text-slate-600 sm:table-cell">{c.conversations}</td>
                                                    <td class="hidden py-2 pr-4 text-slate-600 md:table-cell">{c.last_text.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td class="py-2 text-right">
                                                        <button type="button" class=btn::SMALL data-testid="client-edit" on:click=move |_| editing.set(Some(row.clone()))>
                                                            {if c.unknown { "Edit or merge" } else { "Edit" }}
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn ClientEditor(client: ClientRow, editing: RwSignal<Option<ClientRow>>, changed: RwSignal<u32>) -> impl IntoView {
    let toaster = use_toaster();
    let form = RwSignal::new(ClientForm {
        id: client.id,
        name: if client.unknown { String::new() } else { client.name.clone() },
        notes: client.notes.clone(),
        phones: client.contacts.iter().map(|p| p.display.clone()).collect::<Vec<_>>().join("\n"),
        opted_out_everywhere: client.opted_out_everywhere,
    });
    let save = Action::new(|f: &ClientForm| save_client(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(changes)) = save.value().get() {
            toaster.success(if changes.is_empty() {
                "Nothing changed.".to_string()
            } else {
                format!("Saved. {}", changes.join("; "))
            });
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    let err_for = move |name: &'static str| {
        move || match save.value().get() {
            Some(Err(e)) if e.field_name() == Some(name) => Some(e.to_string()),
            _ => None,
        }
    };
    // Merging an Unknown client into a named one.
    let candidates = Resource::new(|| (), |_| list_clients(String::new()));
    let into = RwSignal::new(String::new());
    let merge_preview = Action::new(|(a, b): &(i64, i64)| merge_client(*a, *b, true));
    let merge = Action::new(|(a, b): &(i64, i64)| merge_client(*a, *b, false));
    Effect::new(move |_| {
        if let Some(Ok(_)) = merge.value().get() {
            toaster.success("Merged.");
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    let id = client.id;
    let into_id = move || into.get().parse::<i64>().ok();
    view! {
        <div class="mb-5 rounded-xl border border-emerald-200 bg-emerald-50/40 p-4" data-testid="client-editor">
            <div class="mb-3 flex items-center justify-between">
                <h3 class="text-sm font-semibold text-slate-900">{format!("Edit {}", client.name)}</h3>
                <button type="button" class=btn::GHOST on:click=move |_| editing.set(None)>"Close"</button>
            </div>
            <form class="grid gap-3 md:grid-cols-2" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                <label class="block">
                    <span class=field::LABEL>"Name"</span>
                    <input class=field::INPUT data-testid="client-name" placeholder=if client.unknown { "Who is this?" } else { "" }
                        aria-invalid=move || err_for("name")().is_some().to_string()
                        prop:value=move || form.get().name on:input=move |ev| form.update(|f| f.name = event_target_value(&ev)) />
                    {move || err_for("name")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert">{e}</span> })}
                </label>
                <label class="block md:row-span-2">
                    <span class=field::LABEL>"Phone numbers (one per line)"</span>
                    <textarea class=field::INPUT rows="3" data-testid="client-phones"
                        aria-invalid=move || err_for("phones")().is_some().to_string()
                        prop:value=move || form.get().phones on:input=move |ev| form.update(|f| f.phones = event_target_value(&ev))></textarea>
                    {move || err_for("phones")().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="client-phones-error">{e}</span> })}
                </label>
                <label class="block">
                    <span class=field::LABEL>"Notes"</span>
                    <input class=field::INPUT data-testid="client-notes" placeholder="Gate code, pets' names…"
                        prop:value=move || form.get().notes on:input=move |ev| form.update(|f| f.notes = event_target_value(&ev)) />
                </label>
                <label class="flex items-start gap-2 text-sm text-slate-700 md:col-span-2">
                    <input type="checkbox" class="mt-0.5 h-4 w-4" data-testid="client-opt-out" prop:checked=move || form.get().opted_out_everywhere
                        on:change=move |ev| form.update(|f| f.opted_out_everywhere = event_target_checked(&ev)) />
                    <span><b>"Opted out everywhere"</b>" — send them nothing from any number (they asked not to be texted)."</span>
                </label>
                {move || match save.value().get() {
                    Some(Err(e)) if e.field_name().is_none() => Some(view! { <p class="text-sm text-red-700 md:col-span-2" role="alert">{e.to_string()}</p> }),
                    _ => None,
                }}
                <div class="md:col-span-2">
                    <button type="submit" class=btn::PRIMARY data-testid="client-save" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save client" }}
                    </button>
                </div>
            </form>
            {client.unknown.then(|| view! {
                <div class="mt-5 border-t border-emerald-200 pt-4" data-testid="client-merge">
                    <h4 class="text-sm font-semibold text-slate-900">"Or: this is an existing client texting from a new phone"</h4>
                    <div class="mt-2 flex flex-wrap items-end gap-3">
                        <label class="block min-w-[14rem]">
                            <span class=field::LABEL>"Merge into"</span>
                            <select class=field::INPUT data-testid="merge-into" prop:value=move || into.get()
                                on:change=move |ev| { into.set(event_target_value(&ev)); if let Ok(b) = event_target_value(&ev).parse::<i64>() { merge_preview.dispatch((id, b)); } }>
                                <option value="">"Choose a client…"</option>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        candidates.await.map(|l| l.items.into_iter().filter(|c| !c.unknown).map(|c| view! {
                                            <option value=c.id.to_string()>{c.name}</option>
                                        }).collect_view()).unwrap_or_default()
                                    })}
                                </Transition>
                            </select>
                        </label>
                    </div>
                    {move || merge_preview.value().get().map(|r| match r {
                        Ok(lines) => view! {
                            <div class="mt-3 rounded-lg border border-slate-200 bg-white p-3" data-testid="merge-impact">
                                <p class="text-sm font-medium text-slate-900">"What merging does:"</p>
                                <ul class="mt-1 list-disc space-y-0.5 pl-5 text-sm text-slate-700">
                                    {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                                </ul>
                                <button type="button" class=format!("mt-3 {}", btn::DANGER) data-testid="merge-confirm" disabled=move || merge.pending().get()
                                    on:click=move |_| { if let Some(b) = into_id() { merge.dispatch((id, b)); } }>
                                    "Merge them"
                                </button>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="mt-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                    {move || match merge.value().get() {
                        Some(Err(e)) => Some(view! { <p class="mt-2 text-sm text-red-700" role="alert">{e.to_string()}</p> }),
                        _ => None,
                    }}
                </div>
            })}
        </div>
    }
}
