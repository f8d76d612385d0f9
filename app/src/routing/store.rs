//! Routing's SQL: how often each rule decided, the conversations and
//! clients the page offers, overrides (listed, set, removed, expired) and a
//! conversation's stored decisions. The decisions are in `service.rs` and
//! `domain::routing`.

use super::*;
use crate::domain::ids::{ClientId, NumberId, OrgId, UserId};
use crate::platform::{ms, Tx};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// When a rule last decided (UTC ms) and how many texts it decided since `since`.
pub(super) async fn rule_stats(
    c: &mut AnyConnection,
    org: OrgId,
    rule: &str,
    since: DateTime<Utc>,
) -> Result<(Option<i64>, i64), sqlx::Error> {
    let r = sqlx::query(
        "SELECT MAX(evaluated_at) AS last, SUM(CASE WHEN evaluated_at >= $3 THEN 1 ELSE 0 END) AS recent
         FROM routing_decisions WHERE org_id = $1 AND rule = $2",
    )
    .bind(org.0)
    .bind(rule)
    .bind(ms(since))
    .fetch_one(&mut *c)
    .await?;
    Ok((r.try_get("last")?, r.try_get::<Option<i64>, _>("recent")?.unwrap_or(0)))
}

/// A conversation as the page names it: client, the number's class and
/// E.164, and the sitter whose number it is.
pub(super) struct ThreadNames {
    pub client: String,
    pub class: String,
    pub e164: String,
    pub sitter: Option<String>,
}

/// Current conversations, most recent first (the first 300).
pub(super) async fn current_threads(
    c: &mut AnyConnection,
    org: OrgId,
) -> Result<Vec<(ThreadId, ThreadNames)>, sqlx::Error> {
    sqlx::query(
        "SELECT t.id, cl.name, n.class, n.e164, s.first_name
         FROM threads t JOIN clients cl ON cl.id = t.client_id JOIN numbers n ON n.id = t.number_id LEFT JOIN sitters s ON s.id = n.sitter_id
         WHERE t.org_id = $1 AND t.is_current = 1
         ORDER BY t.last_message_at DESC, t.id DESC LIMIT 300",
    )
    .bind(org.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok((
            ThreadId(r.try_get("id")?),
            ThreadNames {
                client: r.try_get("name")?,
                class: r.try_get("class")?,
                e164: r.try_get("e164")?,
                sitter: r.try_get("first_name")?,
            },
        ))
    })
    .collect()
}

/// Sitters an override can send texts to, by name.
pub(super) async fn active_sitters(c: &mut AnyConnection, org: OrgId) -> Result<Vec<SitterOption>, sqlx::Error> {
    sqlx::query("SELECT id, name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY name")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok(SitterOption { id: SitterId(r.try_get("id")?), name: r.try_get("name")? }))
        .collect()
}

/// Clients with no conversation yet, by name (the first 200).
pub(super) async fn clients_without_thread(
    c: &mut AnyConnection,
    org: OrgId,
) -> Result<Vec<ClientOption>, sqlx::Error> {
    sqlx::query(
        "SELECT cl.id, cl.name FROM clients cl
         WHERE cl.org_id = $1 AND cl.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.client_id = cl.id)
         ORDER BY cl.name LIMIT 200",
    )
    .bind(org.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok(ClientOption { id: ClientId(r.try_get("id")?), name: r.try_get("name")? }))
    .collect()
}

/// An override as stored, with the names shown beside it.
pub(super) struct OverrideLine {
    pub id: i64,
    pub thread: ThreadId,
    pub names: ThreadNames,
    /// "owner_inbox" or "sitter:<id>".
    pub target: String,
    pub target_name: Option<String>,
    pub starts: i64,
    pub ends: Option<i64>,
    pub removed: Option<i64>,
    pub reason: String,
    pub by: Option<String>,
}

/// The latest 50 overrides of the business, or of one conversation.
pub(super) async fn overrides(
    c: &mut AnyConnection,
    org: OrgId,
    thread: Option<ThreadId>,
) -> Result<Vec<OverrideLine>, sqlx::Error> {
    sqlx::query(
        "SELECT o.id, o.thread_id, o.target, o.starts_at, o.ends_at, o.removed_at, o.expired_at, o.reason, cl.name AS client,
                n.class, n.e164, ns.first_name AS number_sitter, ts.name AS target_name, u.name AS by_name
         FROM routing_overrides o
         JOIN threads t ON t.id = o.thread_id JOIN clients cl ON cl.id = t.client_id JOIN numbers n ON n.id = t.number_id
         LEFT JOIN sitters ns ON ns.id = n.sitter_id LEFT JOIN sitters ts ON ts.id = o.target_sitter_id
         LEFT JOIN users u ON u.id = o.created_by
         WHERE o.org_id = $1 AND ($2 = 0 OR o.thread_id = $2)
         ORDER BY o.created_at DESC, o.id DESC LIMIT 50",
    )
    .bind(org.0)
    .bind(thread.map(|t| t.0).unwrap_or(0))
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(OverrideLine {
            id: r.try_get("id")?,
            thread: ThreadId(r.try_get("thread_id")?),
            names: ThreadNames {
                client: r.try_get("client")?,
                class: r.try_get("class")?,
                e164: r.try_get("e164")?,
                sitter: r.try_get("number_sitter")?,
            },
            target: r.try_get("target")?,
            target_name: r.try_get("target_name")?,
            starts: r.try_get("starts_at")?,
            ends: r.try_get("ends_at")?,
            removed: r.try_get("removed_at")?,
            reason: r.try_get("reason")?,
            by: r.try_get("by_name")?,
        })
    })
    .collect()
}

/// The conversation the routing page opens on: the most recent one, in the
/// same order as the page's list.
pub(super) async fn default_thread(c: &mut AnyConnection, org: OrgId) -> Result<Option<ThreadId>, sqlx::Error> {
    sqlx::query(
        "SELECT id FROM threads WHERE org_id = $1 AND is_current = 1 ORDER BY last_message_at DESC, id DESC LIMIT 1",
    )
    .bind(org.0)
    .fetch_optional(&mut *c)
    .await?
    .map(|r| r.try_get::<i64, _>("id").map(ThreadId))
    .transpose()
}

/// A conversation of the business: its client's name and its number.
pub(super) async fn thread_client(
    c: &mut AnyConnection,
    org: OrgId,
    id: ThreadId,
) -> Result<Option<(String, NumberId)>, sqlx::Error> {
    sqlx::query("SELECT t.number_id, cl.name FROM threads t JOIN clients cl ON cl.id = t.client_id WHERE t.id = $1 AND t.org_id = $2")
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| Ok((r.try_get("name")?, NumberId(r.try_get("number_id")?))))
        .transpose()
}

/// A client of the business that hasn't been merged into another: their name.
pub(super) async fn client_name(
    c: &mut AnyConnection,
    org: OrgId,
    client: ClientId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT name FROM clients WHERE id = $1 AND org_id = $2 AND merged_into IS NULL")
        .bind(client.0)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .map(|r| r.try_get("name"))
        .transpose()
}

/// An override not removed by hand, as the "one active override" rule reads it.
pub(super) struct Unremoved {
    /// "owner_inbox" or "sitter:<id>".
    pub target: String,
    pub target_name: Option<String>,
    pub starts: i64,
    pub ends: Option<i64>,
    pub removed: Option<i64>,
}

/// The conversation's overrides that were not removed, newest first.
pub(super) async fn unremoved(c: &mut AnyConnection, thread: ThreadId) -> Result<Vec<Unremoved>, sqlx::Error> {
    sqlx::query("SELECT o.id, o.target, o.ends_at, o.removed_at, o.starts_at, s.name FROM routing_overrides o LEFT JOIN sitters s ON s.id = o.target_sitter_id WHERE o.thread_id = $1 AND o.removed_at IS NULL ORDER BY o.id DESC")
        .bind(thread.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok(Unremoved {
                target: r.try_get("target")?,
                target_name: r.try_get("name")?,
                starts: r.try_get("starts_at")?,
                ends: r.try_get("ends_at")?,
                removed: r.try_get("removed_at")?,
            })
        })
        .collect()
}

/// An override to store.
pub(super) struct NewOverride<'a> {
    pub org: OrgId,
    pub thread: ThreadId,
    /// "owner_inbox" or "sitter:<id>".
    pub target: &'a str,
    pub target_sitter: Option<SitterId>,
    pub starts: DateTime<Utc>,
    pub ends: Option<DateTime<Utc>>,
    pub reason: &'a str,
    pub by: UserId,
}

pub(super) async fn insert_override(tx: &mut Tx, o: &NewOverride<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO routing_overrides (org_id, thread_id, target, target_sitter_id, starts_at, ends_at, reason, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5, $8) RETURNING id",
    )
    .bind(o.org.0)
    .bind(o.thread.0)
    .bind(o.target)
    .bind(o.target_sitter.map(|s| s.0))
    .bind(ms(o.starts))
    .bind(o.ends.map(ms))
    .bind(o.reason)
    .bind(o.by.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")
}

/// An override as its removal and expiry read it.
pub(super) struct Stored {
    pub org: OrgId,
    pub thread: ThreadId,
    pub client: String,
    pub ends: Option<i64>,
    pub removed: Option<i64>,
    pub expired: Option<i64>,
}

const STORED: &str = "SELECT o.org_id, o.thread_id, o.ends_at, o.removed_at, o.expired_at, cl.name FROM routing_overrides o JOIN threads t ON t.id = o.thread_id JOIN clients cl ON cl.id = t.client_id WHERE o.id = $1";

fn stored_row(r: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    Ok(Stored {
        org: OrgId(r.try_get("org_id")?),
        thread: ThreadId(r.try_get("thread_id")?),
        client: r.try_get("name")?,
        ends: r.try_get("ends_at")?,
        removed: r.try_get("removed_at")?,
        expired: r.try_get("expired_at")?,
    })
}

/// One override of the business.
pub(super) async fn stored_of(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query(&format!("{STORED} AND o.org_id = $2"))
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .as_ref()
        .map(stored_row)
        .transpose()
}

/// One override, whichever business it belongs to (for its expiry job).
pub(super) async fn stored(c: &mut AnyConnection, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query(STORED).bind(id).fetch_optional(&mut *c).await?.as_ref().map(stored_row).transpose()
}

pub(super) async fn mark_removed(tx: &mut Tx, id: i64, by: UserId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE routing_overrides SET removed_at = $1, removed_by = $2 WHERE id = $3")
        .bind(ms(now))
        .bind(by.0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn mark_expired(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE routing_overrides SET expired_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A notice for the business's owners in the bell.
pub(super) async fn notify_owners(
    tx: &mut Tx,
    org: OrgId,
    kind: &str,
    text: &str,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notifications (org_id, kind, text, link, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(org.0)
        .bind(kind)
        .bind(text)
        .bind(link)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A stored routing decision as the history lists it.
pub(super) struct DecisionLine {
    pub id: i64,
    pub at: i64,
    pub rule: String,
    pub target: String,
    pub reason: String,
    pub sitter: Option<String>,
}

/// Which decisions the history asks for: UTC ms bounds, and a rule and a
/// result to match ("" for any).
pub(super) struct DecisionFilter<'a> {
    pub from: i64,
    pub to: i64,
    pub rule: &'a str,
    pub result: &'a str,
}

/// A conversation's decisions, newest first (the latest 200).
pub(super) async fn decisions(
    c: &mut AnyConnection,
    org: OrgId,
    thread: ThreadId,
    f: &DecisionFilter<'_>,
) -> Result<Vec<DecisionLine>, sqlx::Error> {
    sqlx::query(
        "SELECT d.id, d.evaluated_at, d.rule, d.target, d.reason, s.first_name
         FROM routing_decisions d LEFT JOIN sitters s ON s.id = d.target_sitter_id
         WHERE d.org_id = $1 AND d.thread_id = $2 AND d.evaluated_at >= $3 AND d.evaluated_at < $4
           AND ($5 = '' OR d.rule = $5) AND ($6 = '' OR d.target = $6)
         ORDER BY d.evaluated_at DESC, d.id DESC LIMIT 200",
    )
    .bind(org.0)
    .bind(thread.0)
    .bind(f.from)
    .bind(f.to)
    .bind(f.rule)
    .bind(f.result)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(DecisionLine {
            id: r.try_get("id")?,
            at: r.try_get("evaluated_at")?,
            rule: r.try_get("rule")?,
            target: r.try_get("target")?,
            reason: r.try_get("reason")?,
            sitter: r.try_get("first_name")?,
        })
    })
    .collect()
}
