//! The scheduled alert rules (SPEC §3.7): every half minute the worker
//! checks each business's "client waiting", "delivery failure rate",
//! "cooldown ending" and "overlapping windows" rules, raises once per cause
//! and closes the alerts whose cause is gone.

use super::rules::store::{effective_all, Effective};
use super::service::{raise, Raise};
use crate::domain::alerts::{cooldown_ending_soon, failure_rate_exceeded, waiting_too_long};
use crate::domain::ids::{OrgId, SitterId, WindowId};
use crate::domain::phone::E164;
use crate::domain::windows::{conflicts, Window};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::{from_ms, ms, now, AppState};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Whether any alert (open or closed) was raised for this cause already.
async fn raised_before(c: &mut AnyConnection, org: OrgId, cause: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 AS x FROM alerts WHERE org_id = $1 AND cause_key = $2")
        .bind(org.0)
        .bind(cause)
        .fetch_optional(&mut *c)
        .await?
        .is_some())
}

/// Raises once per cause, in its own transaction (with its audit event).
async fn raise_once(state: &AppState, org: OrgId, r: Raise, t: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    if raised_before(&mut tx, org, &r.cause_key).await? {
        return Ok(false);
    }
    let raised = raise(&mut tx, org, r, t).await?.is_some_and(|(_, new)| new);
    tx.commit().await?;
    Ok(raised)
}

/// Checks every scheduled rule of every organisation; returns how many
/// alerts were raised or closed.
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    sweep_at(state, now()).await
}

pub async fn sweep_at(state: &AppState, t: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let orgs: Vec<i64> = sqlx::query("SELECT id FROM organisations ORDER BY id")
        .fetch_all(&state.db.read)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut changed = 0;
    for org in orgs {
        changed += sweep_org(state, OrgId(org), t).await?;
    }
    Ok(changed)
}

async fn sweep_org(state: &AppState, org: OrgId, t: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let (rules, ctx) = {
        let mut c = state.db.read.acquire().await?;
        (effective_all(&mut c, org).await?, mstore::org_context(&mut c, org).await?)
    };
    let mut changed = close_answered_waits(state, org, t).await? + close_settled_conflicts(state, org, t).await?;
    let on = |key: &str| rules.get(key).filter(|r| r.enabled);
    if let Some(r) = on("client_waiting") {
        changed += clients_waiting(state, org, r, &ctx, t).await?;
    }
    if let Some(r) = on("delivery_failure_rate") {
        changed += failure_rate(state, org, r, &ctx, t).await?;
    }
    if let Some(r) = on("cooldown_ending") {
        changed += cooldowns_ending(state, org, r, &ctx, t).await?;
    }
    if let Some(r) = on("window_conflict") {
        changed += window_conflicts(state, org, r, &ctx, t).await?;
    }
    Ok(changed)
}

/// "A client is waiting": texts unanswered past the target.
async fn clients_waiting(
    state: &AppState,
    org: OrgId,
    r: &Effective,
    ctx: &OrgContext,
    t: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let now_ms = ms(t);
    let mut changed = 0;
    let minutes = r.thresholds.wait_minutes.unwrap_or(i64::from(ctx.settings.response_target_minutes));
    // Waits that began while the rule watched, and within a day:
    // an old unanswered text isn't news any more.
    let from = r.since_ms.max(now_ms - 86_400_000);
    let rows = sqlx::query(
        "SELECT t.id, t.awaiting_reply_since, c.name, n.e164 FROM threads t
         JOIN clients c ON c.id = t.client_id JOIN numbers n ON n.id = t.number_id
         WHERE t.org_id = $1 AND t.awaiting_reply_since IS NOT NULL
           AND t.awaiting_reply_since >= $2 AND t.awaiting_reply_since <= $3
         ORDER BY t.awaiting_reply_since LIMIT 200",
    )
    .bind(org.0)
    .bind(from)
    .bind(now_ms - minutes * 60_000)
    .fetch_all(&state.db.read)
    .await?;
    for row in rows {
        let thread: i64 = row.try_get("id")?;
        let since: i64 = row.try_get("awaiting_reply_since")?;
        if !waiting_too_long(since, now_ms, minutes) {
            continue;
        }
        let name: String = row.try_get("name")?;
        let e164: String = row.try_get("e164")?;
        let number = E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164);
        let waited = (now_ms - since) / 60_000;
        let raised = raise_once(
            state,
            org,
            Raise {
                rule: "client_waiting",
                cause_key: format!("waiting:{thread}:{since}"),
                severity: r.severity,
                title: format!("{name} is waiting for a reply"),
                body: format!(
                    "{name} texted {number} {waited} minutes ago and nobody has answered yet; the target is {minutes} minutes."
                ),
                thread_id: Some(thread),
                number_id: None,
            },
            t,
        )
        .await?;
        changed += usize::from(raised);
    }
    Ok(changed)
}

/// "Delivery failure rate": the share of texts that failed in a day.
async fn failure_rate(
    state: &AppState,
    org: OrgId,
    r: &Effective,
    ctx: &OrgContext,
    t: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let now_ms = ms(t);
    let mut changed = 0;
    let from = r.since_ms.max(now_ms - 86_400_000);
    let row = sqlx::query(
        "SELECT COUNT(*) AS sent,
                COALESCE(SUM(CASE WHEN status IN ('failed', 'undelivered') AND (error_code IS NULL OR (error_code <> '21610' AND error_code NOT LIKE 'skipped:%')) THEN 1 ELSE 0 END), 0) AS failed
         FROM messages WHERE org_id = $1 AND direction = 'outbound' AND created_at >= $2
           AND status IN ('sent', 'delivered', 'failed', 'undelivered')",
    )
    .bind(org.0)
    .bind(from)
    .fetch_one(&state.db.read)
    .await?;
    let sent: i64 = row.try_get("sent")?;
    let failed: i64 = row.try_get("failed")?;
    let th = &r.thresholds;
    if failure_rate_exceeded(sent, failed, th.failure_percent, th.failure_min_sent) {
        let pct = failed * 100 / sent.max(1);
        let raised = raise_once(
            state,
            org,
            Raise {
                rule: "delivery_failure_rate",
                cause_key: format!("failure-rate:{}", ctx.tz.local_date(t)),
                severity: r.severity,
                title: format!("{pct}% of texts failed in the last 24 hours"),
                body: format!(
                    "{failed} of {sent} texts didn't arrive (the alert fires at {}% once {} are sent). Audit → Delivery failures lists the reasons.",
                    th.failure_percent, th.failure_min_sent
                ),
                thread_id: None,
                number_id: None,
            },
            t,
        )
        .await?;
        changed += usize::from(raised);
    }
    Ok(changed)
}

/// "Cooldown ending": quarantined numbers about to return to the pool.
async fn cooldowns_ending(
    state: &AppState,
    org: OrgId,
    r: &Effective,
    ctx: &OrgContext,
    t: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let now_ms = ms(t);
    let mut changed = 0;
    let rows = sqlx::query(
        "SELECT id, e164, cooldown_until FROM numbers WHERE org_id = $1 AND status = 'quarantined' AND keep_quarantined = 0
           AND cooldown_until > $2 AND cooldown_until <= $3 ORDER BY cooldown_until",
    )
    .bind(org.0)
    .bind(now_ms)
    .bind(now_ms + r.thresholds.cooldown_days * 86_400_000)
    .fetch_all(&state.db.read)
    .await?;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let until: i64 = row.try_get("cooldown_until")?;
        if !cooldown_ending_soon(until, now_ms, r.thresholds.cooldown_days) {
            continue;
        }
        let e164: String = row.try_get("e164")?;
        let number = E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164);
        let when = ctx.tz.date(from_ms(until));
        let raised = raise_once(
            state,
            org,
            Raise {
                rule: "cooldown_ending",
                cause_key: format!("cooldown:{id}:{until}"),
                severity: r.severity,
                title: format!("{number} leaves cooldown on {when}"),
                body: format!(
                    "On {when} this quarantined number returns to the pool by itself and can be assigned again. If it shouldn't come back, open it in Numbers and choose \"Keep quarantined\"."
                ),
                thread_id: None,
                number_id: Some(id),
            },
            t,
        )
        .await?;
        changed += usize::from(raised);
    }
    Ok(changed)
}

/// "Overlapping windows": two sitters with the same client at once.
async fn window_conflicts(
    state: &AppState,
    org: OrgId,
    r: &Effective,
    ctx: &OrgContext,
    t: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let now_ms = ms(t);
    let mut changed = 0;
    let rows = sqlx::query(
        "SELECT w.id, w.thread_id, w.sitter_id, s.name AS sitter, c.name AS client, w.starts_at, w.ends_at, w.created_at
         FROM assignment_windows w JOIN sitters s ON s.id = w.sitter_id JOIN clients c ON c.id = w.client_id
         WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.thread_id, w.starts_at",
    )
    .bind(org.0)
    .bind(now_ms)
    .fetch_all(&state.db.read)
    .await?;
    let mut by_thread: BTreeMap<i64, (String, Vec<Window>)> = BTreeMap::new();
    let mut created: BTreeMap<i64, i64> = BTreeMap::new();
    for row in rows {
        created.insert(row.try_get("id")?, row.try_get("created_at")?);
        let entry = by_thread
            .entry(row.try_get("thread_id")?)
            .or_insert_with(|| (row.try_get("client").unwrap_or_default(), Vec::new()));
        entry.1.push(Window {
            id: WindowId(row.try_get("id")?),
            sitter_id: SitterId(row.try_get("sitter_id")?),
            sitter_name: row.try_get("sitter")?,
            starts_at: from_ms(row.try_get("starts_at")?),
            ends_at: from_ms(row.try_get("ends_at")?),
        });
    }
    for (thread, (client, windows)) in by_thread {
        for k in conflicts(&windows) {
            // A conflict that appeared while the rule watched (a
            // window made since), like the other scheduled rules.
            let newest = created.get(&k.first.id.0).max(created.get(&k.second.id.0)).copied().unwrap_or(0);
            if newest < r.since_ms {
                continue;
            }
            let raised = raise_once(
                state,
                org,
                Raise {
                    rule: "window_conflict",
                    cause_key: format!("conflict:{}:{}", k.first.id.0, k.second.id.0),
                    severity: r.severity,
                    title: format!("Overlapping windows for {client}"),
                    body: format!(
                        "{} and {} both have {client} from {} to {}, so texts can't go to one sitter. Open Windows to keep one, split or shorten.",
                        k.first.sitter_name,
                        k.second.sitter_name,
                        ctx.tz.day_time(k.overlap_from),
                        ctx.tz.day_time(k.overlap_to)
                    ),
                    thread_id: Some(thread),
                    number_id: None,
                },
                t,
            )
            .await?;
            changed += usize::from(raised);
        }
    }
    Ok(changed)
}

/// Closes "client waiting" alerts whose wait is over (somebody answered,
/// so the conversation's wait is gone or a newer one began), by the
/// system, with a note. The wait an alert is about is in its cause.
async fn close_answered_waits(state: &AppState, org: OrgId, t: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let open = sqlx::query(
        "SELECT a.id, a.title, a.thread_id, a.cause_key, th.awaiting_reply_since FROM alerts a
         JOIN threads th ON th.id = a.thread_id
         WHERE a.org_id = $1 AND a.rule = 'client_waiting' AND a.status = 'open'",
    )
    .bind(org.0)
    .fetch_all(&state.db.read)
    .await?;
    let mut rows = Vec::new();
    for row in open {
        let cause: String = row.try_get("cause_key")?;
        let Some(wait) =
            cause.rsplit(':').next().and_then(|s| s.parse::<i64>().ok()).filter(|_| cause.matches(':').count() == 2)
        else {
            continue;
        };
        if row.try_get::<Option<i64>, _>("awaiting_reply_since")? != Some(wait) {
            rows.push(row);
        }
    }
    let mut closed = 0;
    for row in rows {
        let done = close_by_system(
            state,
            org,
            (row.try_get("id")?, row.try_get("title")?, row.try_get("thread_id")?),
            "Answered; closed automatically.",
            "the client got a reply",
            t,
        )
        .await?;
        closed += usize::from(done);
    }
    Ok(closed)
}

/// Closes "overlapping windows" alerts once the pair no longer overlaps
/// (one was removed, shortened or split, or both are over).
async fn close_settled_conflicts(state: &AppState, org: OrgId, t: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let open = sqlx::query(
        "SELECT id, title, thread_id, cause_key FROM alerts WHERE org_id = $1 AND rule = 'window_conflict' AND status = 'open'",
    )
    .bind(org.0)
    .fetch_all(&state.db.read)
    .await?;
    let mut closed = 0;
    for row in open {
        let cause: String = row.try_get("cause_key")?;
        let ids: Vec<i64> = cause.split(':').skip(1).filter_map(|p| p.parse().ok()).collect();
        let [a, b] = ids[..] else { continue };
        let spans = sqlx::query(
            "SELECT starts_at, ends_at FROM assignment_windows WHERE id IN ($1, $2) AND deleted_at IS NULL AND ends_at > $3",
        )
        .bind(a)
        .bind(b)
        .bind(ms(t))
        .fetch_all(&state.db.read)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get::<i64, _>("starts_at")?, r.try_get::<i64, _>("ends_at")?)))
        .collect::<Result<Vec<_>, _>>()?;
        let still = spans.len() == 2 && spans[0].0 < spans[1].1 && spans[1].0 < spans[0].1;
        if still {
            continue;
        }
        let done = close_by_system(
            state,
            org,
            (row.try_get("id")?, row.try_get("title")?, row.try_get("thread_id")?),
            "The windows no longer overlap; closed automatically.",
            "the windows no longer overlap",
            t,
        )
        .await?;
        closed += usize::from(done);
    }
    Ok(closed)
}

/// Resolves an open alert as the system, with a note and its audit event.
async fn close_by_system(
    state: &AppState,
    org: OrgId,
    (id, title, thread_id): (i64, String, Option<i64>),
    note: &str,
    why: &str,
    t: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE alerts SET status = 'resolved', resolved_at = $1, resolution_note = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(ms(t))
    .bind(note)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    let mut ev = Event::new("alert.resolved", "alert", id, format!("Closed the alert \"{title}\": {why}"))
        .payload(serde_json::json!({ "automatic": true, "note": note }));
    ev.thread_id = thread_id;
    audit::append(&mut tx, org, &Actor::system(None), ev).await?;
    tx.commit().await?;
    Ok(true)
}
