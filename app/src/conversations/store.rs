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
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        out.push(StartClient {
            id,
            name: r.try_get("name")?,
            opted_out_everywhere: r.try_get::<i64, _>("opted_out_everywhere")? == 1,
            contacts: contacts(c, org, id).await?,
        });
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
        contacts: contacts(c, org, id).await?,
    }))
}

/// A client's numbers, first added first, with the business numbers each
/// has sent STOP to.
async fn contacts(c: &mut AnyConnection, org: OrgId, client: i64) -> Result<Vec<StartContact>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT cc.e164, o.number_id FROM client_contacts cc
         LEFT JOIN opt_outs o ON o.org_id = $1 AND o.e164 = cc.e164 AND o.opted_out = 1
         WHERE cc.client_id = $2 ORDER BY cc.id, o.number_id",
    )
    .bind(org.0)
    .bind(client)
    .fetch_all(&mut *c)
    .await?;
    let mut out: Vec<StartContact> = Vec::new();
    for r in &rows {
        let raw: String = r.try_get("e164")?;
        let Some(e) = E164::from_canonical(&raw) else { continue };
        let stopped: Option<i64> = r.try_get("number_id")?;
        match out.last_mut() {
            Some(last) if last.e164 == raw => last.opted_out_of.extend(stopped),
            _ => out.push(StartContact { display: e.display(), e164: raw, opted_out_of: stopped.into_iter().collect() }),
        }
    }
    Ok(out)
}

/// The business numbers a conversation can start from: active Front Desk
/// numbers (the default first, in the order texts from "the business" use)
/// and active sitter numbers, named by their sitter. Pool numbers are lent
/// through bookings only.
pub async fn from_numbers(c: &mut AnyConnection, org: OrgId) -> Result<Vec<FromNumber>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.id, n.e164, n.class, s.name AS sitter FROM numbers n LEFT JOIN sitters s ON s.id = n.sitter_id
         WHERE n.org_id = $1 AND n.status = 'active' AND n.class IN ('front_desk', 'sitter')
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
            _ if front_desk => format!("Front Desk · {}", e.display()),
            Some(name) => format!("{name}'s number · {}", e.display()),
            None => format!("Sitter number · {}", e.display()),
        };
        out.push(FromNumber { id: NumberId(r.try_get("id")?), label, front_desk });
    }
    Ok(out)
}
