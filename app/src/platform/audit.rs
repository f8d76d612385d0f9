//! The append-only audit trail (SPEC §3.8). `append` runs inside the
//! caller's transaction, so an event exists exactly when its change does.
//! Each organisation's events form a SHA-256 hash chain; the head row is
//! updated first, which locks it (PostgreSQL) or holds the single writer
//! (SQLite), so concurrent writers can never fork the chain. `verify` walks
//! the chain and names the first event that doesn't match.

use super::db::{from_ms, ms, Db};
use crate::domain::ids::OrgId;
use crate::domain::roles::ActorKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::Row;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something, with their name as it was at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
    pub name: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system(request_id: Option<String>) -> Actor {
        Actor { kind: ActorKind::System, id: None, name: "System".into(), request_id }
    }
}

/// One event to record. Build with `Event::new(...)` and the setters.
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub entity_kind: &'static str,
    pub entity_id: Option<String>,
    pub event_type: &'static str,
    pub summary: String,
    pub payload: serde_json::Value,
    pub thread_id: Option<i64>,
    pub message_id: Option<i64>,
    pub routing_decision_id: Option<i64>,
    pub webhook_id: Option<String>,
    pub number_id: Option<i64>,
}

/// "Name: before → after" for each pair that differs: how an edit's
/// summary lists what it changed.
pub fn changed(pairs: Vec<(&str, String, String)>) -> Vec<String> {
    pairs.into_iter().filter(|(_, a, b)| a != b).map(|(name, a, b)| format!("{name}: {a} → {b}")).collect()
}

impl Event {
    pub fn new(
        event_type: &'static str,
        entity_kind: &'static str,
        entity_id: impl ToString,
        summary: impl Into<String>,
    ) -> Event {
        Event {
            entity_kind,
            entity_id: Some(entity_id.to_string()),
            event_type,
            summary: summary.into(),
            payload: serde_json::Value::Object(Default::default()),
            ..Event::default()
        }
    }
    pub fn payload(mut self, p: serde_json::Value) -> Self {
        self.payload = p;
        self
    }
    pub fn thread(mut self, id: i64) -> Self {
        self.thread_id = Some(id);
        self
    }
    pub fn message(mut self, id: i64) -> Self {
        self.message_id = Some(id);
        self
    }
    pub fn decision(mut self, id: i64) -> Self {
        self.routing_decision_id = Some(id);
        self
    }
    pub fn webhook(mut self, id: impl Into<String>) -> Self {
        self.webhook_id = Some(id.into());
        self
    }
    pub fn number(mut self, id: i64) -> Self {
        self.number_id = Some(id);
        self
    }
}

/// The fields the hash covers, in a fixed order.
#[allow(clippy::too_many_arguments)]
fn chain_hash(
    prev_hash: &str,
    org_id: i64,
    seq: i64,
    at: i64,
    actor_kind: &str,
    actor_id: Option<i64>,
    actor_name: &str,
    entity_kind: &str,
    entity_id: Option<&str>,
    event_type: &str,
    request_id: Option<&str>,
    thread_id: Option<i64>,
    message_id: Option<i64>,
    routing_decision_id: Option<i64>,
    webhook_id: Option<&str>,
    number_id: Option<i64>,
    summary: &str,
    payload: &str,
) -> String {
    let canonical = serde_json::json!([
        org_id,
        seq,
        at,
        actor_kind,
        actor_id,
        actor_name,
        entity_kind,
        entity_id,
        event_type,
        request_id,
        thread_id,
        message_id,
        routing_decision_id,
        webhook_id,
        number_id,
        summary,
        payload,
    ]);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical.to_string().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends one event; call it inside the transaction of the change it
/// records. Returns its id.
pub async fn append(tx: &mut AnyConnection, org: OrgId, actor: &Actor, ev: Event) -> Result<i64, sqlx::Error> {
    append_at(tx, org, actor, ev, Utc::now()).await
}

pub async fn append_at(
    tx: &mut AnyConnection,
    org: OrgId,
    actor: &Actor,
    ev: Event,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    // Claim the next sequence number; this write locks the organisation's head.
    let head = sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, last_hash")
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await?;
    let (seq, prev_hash): (i64, String) = match head {
        Some(row) => (row.try_get("seq")?, row.try_get("last_hash")?),
        None => {
            sqlx::query("INSERT INTO audit_heads (org_id, seq, last_hash) VALUES ($1, 1, $2)")
                .bind(org.0)
                .bind(GENESIS)
                .execute(&mut *tx)
                .await?;
            (1, GENESIS.to_string())
        }
    };
    let at = ms(at);
    let payload = ev.payload.to_string();
    let actor_kind = actor.kind.as_str();
    let hash = chain_hash(
        &prev_hash,
        org.0,
        seq,
        at,
        actor_kind,
        actor.id,
        &actor.name,
        ev.entity_kind,
        ev.entity_id.as_deref(),
        ev.event_type,
        actor.request_id.as_deref(),
        ev.thread_id,
        ev.message_id,
        ev.routing_decision_id,
        ev.webhook_id.as_deref(),
        ev.number_id,
        &ev.summary,
        &payload,
    );
    let row = sqlx::query(
        "INSERT INTO audit_events (org_id, seq, at, actor_kind, actor_id, actor_name, entity_kind, entity_id, event_type,
            request_id, thread_id, message_id, routing_decision_id, webhook_id, number_id, summary, payload, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(org.0)
    .bind(seq)
    .bind(at)
    .bind(actor_kind)
    .bind(actor.id)
    .bind(&actor.name)
    .bind(ev.entity_kind)
    .bind(ev.entity_id.as_deref())
    .bind(ev.event_type)
    .bind(actor.request_id.as_deref())
    .bind(ev.thread_id)
    .bind(ev.message_id)
    .bind(ev.routing_decision_id)
    .bind(ev.webhook_id.as_deref())
    .bind(ev.number_id)
    .bind(&ev.summary)
    .bind(&payload)
    .bind(&prev_hash)
    .bind(&hash)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_heads SET last_hash = $1 WHERE org_id = $2")
        .bind(&hash)
        .bind(org.0)
        .execute(&mut *tx)
        .await?;
    row.try_get("id")
}

/// The outcome of walking one organisation's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub org_id: i64,
    pub events: i64,
    /// The first event that doesn't match, with what's wrong.
    pub broken: Option<BrokenLink>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    pub event_id: i64,
    pub seq: i64,
    pub problem: String,
}

/// Walks the chain of `org` in order and checks every link.
pub async fn verify(db: &Db, org: OrgId) -> Result<ChainReport, sqlx::Error> {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut count = 0i64;
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT id, seq, at, actor_kind, actor_id, actor_name, entity_kind, entity_id, event_type, request_id, thread_id,
                    message_id, routing_decision_id, webhook_id, number_id, summary, payload, prev_hash, hash
             FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT 2000",
        )
        .bind(org.0)
        .bind(after)
        .fetch_all(&db.read)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let seq: i64 = r.try_get("seq")?;
            let stored_prev: String = r.try_get("prev_hash")?;
            let stored_hash: String = r.try_get("hash")?;
            let broken = |problem: String| ChainReport {
                org_id: org.0,
                events: count,
                broken: Some(BrokenLink { event_id: id, seq, problem }),
            };
            if seq != expected_seq {
                return Ok(broken(format!("sequence jumps from {} to {seq}: events are missing", expected_seq - 1)));
            }
            if stored_prev != prev {
                return Ok(broken(
                    "its link to the previous event doesn't match: an earlier event was changed or removed".into(),
                ));
            }
            let recomputed = chain_hash(
                &prev,
                org.0,
                seq,
                r.try_get("at")?,
                &r.try_get::<String, _>("actor_kind")?,
                r.try_get("actor_id")?,
                &r.try_get::<String, _>("actor_name")?,
                &r.try_get::<String, _>("entity_kind")?,
                r.try_get::<Option<String>, _>("entity_id")?.as_deref(),
                &r.try_get::<String, _>("event_type")?,
                r.try_get::<Option<String>, _>("request_id")?.as_deref(),
                r.try_get("thread_id")?,
                r.try_get("message_id")?,
                r.try_get("routing_decision_id")?,
                r.try_get::<Option<String>, _>("webhook_id")?.as_deref(),
                r.try_get("number_id")?,
                &r.try_get::<String, _>("summary")?,
                &r.try_get::<String, _>("payload")?,
            );
            if recomputed != stored_hash {
                return Ok(broken("its content doesn't match its hash: the event was edited".into()));
            }
            prev = stored_hash;
            expected_seq += 1;
            count += 1;
            after = seq;
        }
    }
    let head = sqlx::query("SELECT seq, last_hash FROM audit_heads WHERE org_id = $1")
        .bind(org.0)
        .fetch_optional(&db.read)
        .await?;
    if let Some(h) = head {
        let seq: i64 = h.try_get("seq")?;
        let last: String = h.try_get("last_hash")?;
        if seq != count || last != prev {
            return Ok(ChainReport {
                org_id: org.0,
                events: count,
                broken: Some(BrokenLink {
                    event_id: 0,
                    seq: count + 1,
                    problem: format!(
                        "the chain head says {seq} events but {count} are present: the newest events were removed"
                    ),
                }),
            });
        }
    }
    Ok(ChainReport { org_id: org.0, events: count, broken: None })
}

/// Organisation ids that have audit events (including 0: events not tied to one).
pub async fn chains(db: &Db) -> Result<Vec<OrgId>, sqlx::Error> {
    let rows = sqlx::query("SELECT org_id FROM audit_heads ORDER BY org_id").fetch_all(&db.read).await?;
    rows.iter().map(|r| r.try_get::<i64, _>("org_id").map(OrgId)).collect()
}

/// A stored event, for screens and exports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub event_type: String,
    pub request_id: Option<String>,
    pub thread_id: Option<i64>,
    pub message_id: Option<i64>,
    pub routing_decision_id: Option<i64>,
    pub webhook_id: Option<String>,
    pub number_id: Option<i64>,
    pub summary: String,
    pub payload: String,
}

pub fn stored_from_row(r: &sqlx::any::AnyRow) -> Result<StoredEvent, sqlx::Error> {
    Ok(StoredEvent {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        at: from_ms(r.try_get("at")?),
        actor_kind: r.try_get("actor_kind")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        entity_kind: r.try_get("entity_kind")?,
        entity_id: r.try_get("entity_id")?,
        event_type: r.try_get("event_type")?,
        request_id: r.try_get("request_id")?,
        thread_id: r.try_get("thread_id")?,
        message_id: r.try_get("message_id")?,
        routing_decision_id: r.try_get("routing_decision_id")?,
        webhook_id: r.try_get("webhook_id")?,
        number_id: r.try_get("number_id")?,
        summary: r.try_get("summary")?,
        payload: r.try_get("payload")?,
    })
}
