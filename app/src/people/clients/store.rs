//! Clients' SQL: rows in and out, no rules (those are in
//! `domain::clients`, applied by `service`).

use super::ContactView;
use crate::domain::ids::OrgId;
use crate::domain::phone::E164;
use crate::platform::ms;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

pub fn display(e: &str) -> String {
    E164::from_canonical(e).map(|x| x.display()).unwrap_or_else(|| e.to_string())
}

/// The country national numbers are read in.
pub async fn region(c: &mut AnyConnection, org: OrgId) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT default_region FROM organisations WHERE id = $1")
        .bind(org.0)
        .fetch_one(&mut *c)
        .await?
        .try_get("default_region")
}

/// Each client's phone numbers with the business numbers they opted out of.
pub async fn contact_views(
    c: &mut AnyConnection,
    org: OrgId,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ContactView>>, sqlx::Error> {
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
    .bind(org.0)
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

/// A client as the search lists them.
pub struct Found {
    pub id: i64,
    pub name: String,
    pub notes: Option<String>,
    pub unknown: bool,
    pub opted_out_everywhere: bool,
    pub conversations: i64,
    pub last_text: Option<i64>,
}

/// Clients whose name or phone matches `q` (lower-cased): how many, and
/// the first 100 (unknown ones first, then by name).
pub async fn search(c: &mut AnyConnection, org: OrgId, q: &str) -> Result<(i64, Vec<Found>), sqlx::Error> {
    let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
    let name_like = format!("%{}%", q.replace(['%', '_'], ""));
    let phone_like = if digits.len() >= 3 { format!("%{digits}%") } else { "no-phone".into() };
    let filter = "c.org_id = $1 AND c.merged_into IS NULL AND ($2 = '' OR LOWER(c.name) LIKE $3
         OR EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = c.id AND cc.e164 LIKE $4))";
    let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM clients c WHERE {filter}"))
        .bind(org.0)
        .bind(q)
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
    .bind(org.0)
    .bind(q)
    .bind(&name_like)
    .bind(&phone_like)
    .fetch_all(&mut *c)
    .await?;
    let found = rows
        .iter()
        .map(|r| {
            Ok(Found {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                notes: r.try_get("notes")?,
                unknown: r.try_get::<i64, _>("is_unknown")? == 1,
                opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
                conversations: r.try_get("conversations")?,
                last_text: r.try_get("last_text")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((total, found))
}

/// A client's editable fields.
pub struct Fields {
    pub name: String,
    pub first_name: String,
    pub notes: Option<String>,
    pub unknown: bool,
    pub opted_out_everywhere: bool,
}

/// The client, unless merged away or another business's.
pub async fn current(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<Option<Fields>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT name, first_name, notes, is_unknown, opted_out_everywhere FROM clients
         WHERE id = $1 AND org_id = $2 AND merged_into IS NULL",
    )
    .bind(id)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Fields {
        name: r.try_get("name")?,
        first_name: r.try_get("first_name")?,
        notes: r.try_get("notes")?,
        unknown: r.try_get::<i64, _>("is_unknown")? == 1,
        opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
    }))
}

/// The client's phone numbers: (contact id, E.164), oldest first.
pub async fn phones_of(c: &mut AnyConnection, client: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, e164 FROM client_contacts WHERE client_id = $1 ORDER BY id")
        .bind(client)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("e164")?)))
        .collect()
}

/// The client a number belongs to, if any: (id, name).
pub async fn holder(c: &mut AnyConnection, org: OrgId, e: &E164) -> Result<Option<(i64, String)>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT cl.id, cl.name FROM client_contacts cc JOIN clients cl ON cl.id = cc.client_id
         WHERE cc.org_id = $1 AND cc.e164 = $2",
    )
    .bind(org.0)
    .bind(e.as_str())
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).transpose()
}

pub async fn insert_client(
    c: &mut AnyConnection,
    org: OrgId,
    f: &Fields,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO clients (org_id, name, first_name, notes, opted_out_everywhere, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(org.0)
    .bind(&f.name)
    .bind(&f.first_name)
    .bind(&f.notes)
    .bind(i64::from(f.opted_out_everywhere))
    .bind(ms(at))
    .fetch_one(&mut *c)
    .await?
    .try_get("id")
}

pub async fn update(c: &mut AnyConnection, id: i64, f: &Fields, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE clients SET name = $1, first_name = $2, notes = $3, is_unknown = $4, opted_out_everywhere = $5,
             updated_at = $6 WHERE id = $7",
    )
    .bind(&f.name)
    .bind(&f.first_name)
    .bind(&f.notes)
    .bind(i64::from(f.unknown))
    .bind(i64::from(f.opted_out_everywhere))
    .bind(ms(at))
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn insert_contact(
    c: &mut AnyConnection,
    org: OrgId,
    client: i64,
    e: &E164,
    label: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, label, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(org.0)
        .bind(client)
        .bind(e.as_str())
        .bind(label)
        .bind(ms(at))
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn delete_contact(c: &mut AnyConnection, contact: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM client_contacts WHERE id = $1").bind(contact).execute(&mut *c).await?;
    Ok(())
}

/// Threads of `from`, each with `into`'s thread on the same business
/// number if there is one: (thread, business number shown, into's thread).
pub async fn thread_pairs(
    c: &mut AnyConnection,
    from: i64,
    into: i64,
) -> Result<Vec<(i64, String, Option<i64>)>, sqlx::Error> {
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

pub async fn move_contacts(c: &mut AnyConnection, from: i64, into: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE client_contacts SET client_id = $1 WHERE client_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn move_thread(c: &mut AnyConnection, thread: i64, into: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE threads SET client_id = $1 WHERE id = $2").bind(into).bind(thread).execute(&mut *c).await?;
    Ok(())
}

/// Folds thread `from` into `keep`: its history moves there, `keep`'s
/// summary covers both, and `from` is left empty and not current.
pub async fn fold_thread(c: &mut AnyConnection, from: i64, keep: i64) -> Result<(), sqlx::Error> {
    for table in ["messages", "assignment_windows", "routing_overrides", "routing_decisions", "policy_violations"] {
        sqlx::query(&format!("UPDATE {table} SET thread_id = $1 WHERE thread_id = $2"))
            .bind(keep)
            .bind(from)
            .execute(&mut *c)
            .await?;
    }
    sqlx::query(
        "INSERT INTO thread_participants (thread_id, e164, added_at)
         SELECT $1, e164, added_at FROM thread_participants WHERE thread_id = $2
         ON CONFLICT (thread_id, e164) DO NOTHING",
    )
    .bind(keep)
    .bind(from)
    .execute(&mut *c)
    .await?;
    let old = sqlx::query(
        "SELECT last_message_at, last_message_preview, last_inbound_at, awaiting_reply_since, unread_count,
                open_violations, failed_deliveries FROM threads WHERE id = $1",
    )
    .bind(from)
    .fetch_one(&mut *c)
    .await?;
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
    .bind(old.try_get::<Option<i64>, _>("last_message_at")?)
    .bind(old.try_get::<Option<String>, _>("last_message_preview")?)
    .bind(old.try_get::<Option<i64>, _>("last_inbound_at")?)
    .bind(old.try_get::<Option<i64>, _>("awaiting_reply_since")?)
    .bind(old.try_get::<i64, _>("unread_count")?)
    .bind(old.try_get::<i64, _>("open_violations")?)
    .bind(old.try_get::<i64, _>("failed_deliveries")?)
    .bind(keep)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE threads SET is_current = 0, unread_count = 0, open_violations = 0, failed_deliveries = 0,
             last_message_preview = NULL, awaiting_reply_since = NULL WHERE id = $1",
    )
    .bind(from)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn mark_merged(c: &mut AnyConnection, from: i64, into: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE clients SET merged_into = $1, updated_at = $2 WHERE id = $3")
        .bind(into)
        .bind(ms(at))
        .bind(from)
        .execute(&mut *c)
        .await?;
    Ok(())
}
