//! The SQL behind starting a conversation: the clients one can text (not
//! merged away), their numbers with what each opted out of, and the
//! business numbers a conversation may leave from.

use super::{FromNumber, StartClient, StartContact};
use crate::domain::ids::{NumberId, OrgId};
use crate::domain::phone::E164;
use crate::platform::sql::like_pattern;
use sqlx::{AnyConnection, Row};

/// Clients whose name or phone matches `q` (all when empty), by name, at
/// most `limit`, each with their numbers.
pub async fn search_clients(
    c: &mut AnyConnection,
    org: OrgId,
    q: &str,
    limit: i64,
) -> Result<Vec<StartClient>, sqlx::Error> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let phone_like = if digits.len() >= 3 { format!("%{digits}%") } else { "no-phone".into() };
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.opted_out_everywhere FROM clients c
         WHERE c.org_id = $1 AND c.merged_into IS NULL AND ($2 = '' OR LOWER(c.name) LIKE $3 ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = c.id AND cc.e164 LIKE $4))
         ORDER BY LOWER(c.name), c.id LIMIT $5",
    )
    .bind(org.0)
    .bind(q)
    .bind(like_pattern(q))
    .bind(&phone_like)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(StartClient {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
                contacts: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let ids: Vec<i64> = out.iter().map(|x| x.id).collect();
    for (client, contact) in contacts(c, org, &ids).await? {
        if let Some(x) = out.iter_mut().find(|x| x.id == client) {
            x.contacts.push(contact);
        }
    }
    Ok(out)
}

/// The client, unless another business's or merged into another client.
pub async fn client(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<Option<StartClient>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT name, opted_out_everywhere FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL",
    )
    .bind(id)
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(StartClient {
        id,
        name: r.try_get("name")?,
        opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
        contacts: contacts(c, org, &[id]).await?.into_iter().map(|(_, p)| p).collect(),
    }))
}

/// The numbers of the clients `ids` (of this business), first added first,
/// each with the business numbers it has sent STOP to.
async fn contacts(c: &mut AnyConnection, org: OrgId, ids: &[i64]) -> Result<Vec<(i64, StartContact)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT cc.client_id, cc.e164, o.number_id FROM client_contacts cc
         LEFT JOIN opt_outs o ON o.org_id = $1 AND o.e164 = cc.e164 AND o.opted_out = 1
         WHERE cc.org_id = $1 AND cc.client_id IN ({list}) ORDER BY cc.client_id, cc.id, o.number_id"
    ))
    .bind(org.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out: Vec<(i64, StartContact)> = Vec::new();
    for r in &rows {
        let client: i64 = r.try_get("client_id")?;
        let raw: String = r.try_get("e164")?;
        let Some(e) = E164::from_canonical(&raw) else { continue };
        let stopped = r.try_get::<Option<i64>, _>("number_id")?.map(NumberId);
        match out.last_mut() {
            Some((id, last)) if *id == client && last.e164 == raw => last.opted_out_of.extend(stopped),
            _ => out.push((
                client,
                StartContact { display: e.display(), e164: raw, opted_out_of: stopped.into_iter().collect() },
            )),
        }
    }
    Ok(out)
}

/// The business numbers a conversation can start from: active Front Desk
/// numbers (the default first, in the order texts from "the business" use)
/// and the active numbers of active sitters, named by their sitter. Pool
/// numbers are lent through bookings only; a spare sitter number belongs to
/// nobody yet.
pub async fn from_numbers(c: &mut AnyConnection, org: OrgId) -> Result<Vec<FromNumber>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.id, n.e164, n.class, s.name AS sitter FROM numbers n LEFT JOIN sitters s ON s.id = n.sitter_id
         WHERE n.org_id = $1 AND n.status = 'active'
           AND (n.class = 'front_desk' OR (n.class = 'sitter' AND s.active = 1))
         ORDER BY CASE WHEN n.class = 'front_desk' THEN 0 ELSE 1 END, n.e164",
    )
    .bind(org.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(e) = E164::from_canonical(&r.try_get::<String, _>("e164")?) else { continue };
        let front_desk = r.try_get::<String, _>("class")? == "front_desk";
        let label = match r.try_get::<Option<String>, _>("sitter")? {
            Some(name) if !front_desk => format!("{name}'s number · {}", e.display()),
            _ => format!("Front Desk · {}", e.display()),
        };
        out.push(FromNumber { id: NumberId(r.try_get("id")?), label, front_desk });
    }
    Ok(out)
}
