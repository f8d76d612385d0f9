//! What a sitter may read of each stored text (SPEC §2, §3.5), decided once
//! when the text is stored and kept with it: `sitter_spans` (the hidden
//! byte spans, JSON) and `sitter_body` (the text with them replaced, NULL
//! when nothing is hidden). The rule is the domain's
//! (`policy::hidden_spans`); every sitter-facing read shows the stored
//! result through `visibility::sitter_text`, so the thread view, list
//! previews and search can never disagree. A text whose spans were never
//! decided is shown to sitters as hidden, never as written.

use crate::domain::policy::{self, ConversationCheck};
use crate::platform::Db;
use sqlx::{AnyConnection, Row};

/// A message's stored decision: its body and hidden spans.
pub struct Earlier {
    pub id: i64,
    pub body: String,
    pub spans: Vec<(usize, usize)>,
}

fn encode(spans: &[(usize, usize)]) -> String {
    serde_json::to_string(spans).unwrap_or_else(|_| "[]".into())
}

pub fn decode(raw: Option<&str>) -> Vec<(usize, usize)> {
    raw.and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default()
}

/// The two stored columns for a text and its hidden spans.
pub fn columns(body: &str, spans: &[(usize, usize)]) -> (String, Option<String>) {
    let spans = policy::merge_spans(spans.to_vec());
    let shown = (!spans.is_empty()).then(|| policy::redact_spans(body, &spans));
    (encode(&spans), shown)
}

/// The spans a sitter doesn't see in a new text. Detection that fails
/// (a panic in the detector) hides the whole text from sitters: the
/// owner still sees it, and nothing leaks.
pub fn spans_for(
    check: &std::thread::Result<ConversationCheck>,
    body: &str,
    from_client: bool,
    allowlist: &[String],
) -> Vec<(usize, usize)> {
    match check {
        Ok(c) => std::panic::catch_unwind(|| policy::hidden_spans(c, body, from_client, allowlist))
            .unwrap_or_else(|_| vec![(0, body.len())]),
        Err(_) => vec![(0, body.len())],
    }
}

/// Stores a text's decision.
async fn save(c: &mut AnyConnection, id: i64, body: &str, spans: &[(usize, usize)]) -> Result<(), sqlx::Error> {
    let (encoded, shown) = columns(body, spans);
    sqlx::query("UPDATE messages SET sitter_spans = $1, sitter_body = $2 WHERE id = $3")
        .bind(encoded)
        .bind(shown)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Hides the pieces of a split number that lie in earlier texts (the new
/// text completed them), merging with what those texts already hid.
/// `earlier` is the sender's recent texts in the order the check saw them.
pub async fn widen_earlier(
    c: &mut AnyConnection,
    earlier: &mut [Earlier],
    check: &ConversationCheck,
) -> Result<(), sqlx::Error> {
    for (i, e) in earlier.iter_mut().enumerate() {
        let before = e.spans.len();
        e.spans.extend(check.earlier.iter().filter(|(k, _)| *k == i).map(|(_, s)| *s));
        if e.spans.len() > before {
            save(c, e.id, &e.body, &e.spans).await?;
        }
    }
    Ok(())
}

/// Decides every text stored before this rule existed (or loaded by the
/// demo), thread by thread in order, each with its sender's previous texts
/// as the live path would have. Runs at start-up; a no-op once done.
pub async fn backfill(db: &Db) -> Result<u64, sqlx::Error> {
    let mut done = 0u64;
    loop {
        let threads: Vec<i64> = sqlx::query(
            "SELECT DISTINCT thread_id FROM messages WHERE sitter_spans IS NULL AND direction <> 'note' LIMIT 200",
        )
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| r.try_get("thread_id"))
        .collect::<Result<_, _>>()?;
        if threads.is_empty() {
            return Ok(done);
        }
        for thread in threads {
            let mut tx = db.begin().await?;
            done += backfill_thread(&mut tx, thread).await?;
            tx.commit().await?;
        }
    }
}

async fn backfill_thread(c: &mut AnyConnection, thread: i64) -> Result<u64, sqlx::Error> {
    let org: i64 = sqlx::query("SELECT org_id FROM threads WHERE id = $1")
        .bind(thread)
        .fetch_one(&mut *c)
        .await?
        .try_get("org_id")?;
    let ctx = super::store::org_context(c, crate::domain::ids::OrgId(org)).await?;
    let allow = super::store::policy_allowlist(c, &ctx).await?;
    let rows = sqlx::query(
        "SELECT id, direction, sender_kind, from_e164, body, sitter_spans FROM messages
         WHERE thread_id = $1 AND direction <> 'note' ORDER BY id",
    )
    .bind(thread)
    .fetch_all(&mut *c)
    .await?;
    let keep = ctx.settings.policy.recent_messages as usize;
    // Each sender's recent texts, as (id, body, spans).
    let mut recent: std::collections::HashMap<String, Vec<Earlier>> = std::collections::HashMap::new();
    let mut changed = 0u64;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let body: String = r.try_get("body")?;
        let inbound = r.try_get::<String, _>("direction")? == "inbound";
        let sender = format!(
            "{}:{}",
            r.try_get::<String, _>("sender_kind")?,
            r.try_get::<Option<String>, _>("from_e164")?.unwrap_or_default()
        );
        let decided: Option<String> = r.try_get("sitter_spans")?;
        let history = recent.entry(sender).or_default();
        let spans = match decided {
            Some(raw) => decode(Some(&raw)),
            None => {
                let prev: Vec<&str> = history.iter().map(|e| e.body.as_str()).collect();
                let check = std::panic::catch_unwind(|| policy::check_thread(&prev, &body, &allow));
                let spans = spans_for(&check, &body, inbound, &allow);
                save(c, id, &body, &spans).await?;
                changed += 1;
                if let Ok(check) = &check {
                    widen_earlier(c, history, check).await?;
                }
                spans
            }
        };
        history.push(Earlier { id, body, spans });
        if history.len() > keep {
            history.remove(0);
        }
    }
    Ok(changed)
}
