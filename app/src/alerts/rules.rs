//! Alert rules (SPEC §3.7): the owner switches them on or off, sets their
//! severity and tunes their thresholds. Event rules are consulted when they
//! fire (`service::raise`); scheduled rules (a client waiting, the delivery
//! failure rate, a window conflict, a cooldown ending) are checked by the
//! worker every half minute, raise once per cause, and a "client waiting"
//! alert closes itself once somebody answers.

use crate::domain::alerts::{RuleForm, Severity, Threshold};
use crate::error::AppError;
use crate::ui::{btn, field, use_toaster, Badge, Loading, Tone};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub key: String,
    pub label: String,
    pub explains: String,
    pub severity: Severity,
    pub enabled: bool,
    pub locked: bool,
    pub threshold: Threshold,
    /// The main threshold as the owner typed it ("" = the default).
    pub value: String,
    pub min_sent: String,
    /// "After 15 min (the response-time target in Settings)".
    pub summary: String,
    /// "Changed by Olivia Grant, 2 hours ago".
    pub changed: Option<String>,
}

#[server]
pub async fn list_alert_rules() -> Result<Vec<AlertRuleView>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::list(&u).await
    })
    .await
}

#[server(input = server_fn::codec::Json)]
pub async fn save_alert_rule(form: RuleForm) -> Result<(), AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_owner().await?;
        store::save(&u, &form).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod store {
    use super::*;
    use crate::alerts::service::{raise, Raise};
    use crate::domain::alerts::{
        cooldown_ending_soon, failure_rate_exceeded, rule_config, rule_spec, waiting_too_long, RuleThresholds, RULES,
    };
    use crate::domain::ids::{OrgId, SitterId, WindowId};
    use crate::domain::phone::E164;
    use crate::domain::time::relative;
    use crate::domain::windows::{conflicts, Window};
    use crate::error::AppResult;
    use crate::messaging::store as mstore;
    use crate::platform::audit::{self, Actor, Event};
    use crate::platform::ctx::request_id;
    use crate::platform::sessions::SessionUser;
    use crate::platform::{from_ms, ms, now, state, AppState};
    use chrono::{DateTime, Utc};
    use sqlx::{AnyConnection, Row};
    use std::collections::BTreeMap;

    /// A rule as it applies now: the owner's settings over the defaults.
    #[derive(Clone, Debug)]
    pub struct Effective {
        pub enabled: bool,
        pub severity: Severity,
        pub thresholds: RuleThresholds,
        /// Scheduled rules only look at what happened after this.
        pub since_ms: i64,
        pub changed: Option<(i64, Option<String>)>,
    }

    /// Every rule of the organisation, defaults filled in.
    pub async fn effective_all(
        c: &mut AnyConnection,
        org: OrgId,
    ) -> Result<BTreeMap<&'static str, Effective>, sqlx::Error> {
        let created: i64 = sqlx::query("SELECT created_at FROM organisations WHERE id = $1")
            .bind(org.0)
            .fetch_one(&mut *c)
            .await?
            .try_get("created_at")?;
        let rows = sqlx::query(
            "SELECT r.rule, r.enabled, r.severity, r.threshold, r.watching_since, r.updated_at, u.name
             FROM alert_rules r LEFT JOIN users u ON u.id = r.updated_by WHERE r.org_id = $1",
        )
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?;
        let mut out = BTreeMap::new();
        for spec in RULES.iter() {
            let mut e = Effective {
                enabled: true,
                severity: spec.severity,
                thresholds: RuleThresholds::default(),
                since_ms: created,
                changed: None,
            };
            if let Some(r) = rows.iter().find(|r| r.try_get::<String, _>("rule").is_ok_and(|k| k == spec.key)) {
                e.enabled = r.try_get::<i64, _>("enabled")? == 1 || spec.locked;
                if !spec.locked {
                    e.severity = Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(spec.severity);
                }
                // A threshold that no longer parses falls back to the defaults
                // rather than silencing the rule.
                e.thresholds = serde_json::from_str(&r.try_get::<String, _>("threshold")?).unwrap_or_default();
                e.since_ms = r.try_get::<Option<i64>, _>("watching_since")?.unwrap_or(created).max(created);
                e.changed = r.try_get::<Option<i64>, _>("updated_at")?.map(|at| (at, r.try_get("name").ok().flatten()));
            }
            out.insert(spec.key, e);
        }
        Ok(out)
    }

    /// The rule's current setting (`None` for alerts no rule governs, such
    /// as those an automation raises on purpose).
    pub async fn effective(c: &mut AnyConnection, org: OrgId, rule: &str) -> Result<Option<Effective>, sqlx::Error> {
        if rule_spec(rule).is_none() {
            return Ok(None);
        }
        Ok(effective_all(c, org).await?.remove(rule))
    }

    fn summary(threshold: Threshold, t: &RuleThresholds, target: u32, red_at: u32) -> String {
        match threshold {
            Threshold::WaitMinutes => match t.wait_minutes {
                Some(m) => format!("After {m} min without a reply"),
                None => format!("After {target} min without a reply (the response-time target in Settings)"),
            },
            Threshold::CooldownDays => {
                format!(
                    "{} day{} before the cooldown ends",
                    t.cooldown_days,
                    if t.cooldown_days == 1 { "" } else { "s" }
                )
            }
            Threshold::FailureRate => format!(
                "{}% or more of the texts sent in 24 hours failed (once at least {} were sent)",
                t.failure_percent, t.failure_min_sent
            ),
            Threshold::Health => format!("At {red_at} failed texts in 7 days (the red health threshold in Settings)"),
            Threshold::None => "Whenever it happens".to_string(),
        }
    }

    pub async fn list(u: &SessionUser) -> AppResult<Vec<AlertRuleView>> {
        let st = state()?;
        let mut c = st.db.read.acquire().await?;
        let ctx = mstore::org_context(&mut c, u.org_id).await?;
        let all = effective_all(&mut c, u.org_id).await?;
        let t = now();
        Ok(RULES
            .iter()
            .filter_map(|spec| {
                let e = all.get(spec.key)?;
                let th = &e.thresholds;
                let (value, min_sent) = match spec.threshold {
                    Threshold::WaitMinutes => {
                        (th.wait_minutes.map(|m| m.to_string()).unwrap_or_default(), String::new())
                    }
                    Threshold::CooldownDays => (th.cooldown_days.to_string(), String::new()),
                    Threshold::FailureRate => (th.failure_percent.to_string(), th.failure_min_sent.to_string()),
                    Threshold::None | Threshold::Health => (String::new(), String::new()),
                };
                Some(AlertRuleView {
                    key: spec.key.to_string(),
                    label: spec.label.to_string(),
                    explains: spec.explains.to_string(),
                    severity: e.severity,
                    enabled: e.enabled,
                    locked: spec.locked,
                    threshold: spec.threshold,
                    value,
                    min_sent,
                    summary: summary(
                        spec.threshold,
                        th,
                        ctx.settings.response_target_minutes,
                        ctx.settings.health.red_at,
                    ),
                    changed: e.changed.as_ref().map(|(at, who)| {
                        format!(
                            "Changed by {}, {}",
                            who.clone().unwrap_or_else(|| "a former user".into()),
                            relative(from_ms(*at), t, ctx.tz)
                        )
                    }),
                })
            })
            .collect())
    }

    pub async fn save(u: &SessionUser, form: &RuleForm) -> AppResult<()> {
        let st = state()?;
        let mut tx = st.db.begin().await?;
        let before = effective(&mut tx, u.org_id, &form.rule).await?;
        let Some(before) = before else {
            return Err(AppError::field("rule", format!("There is no alert rule called \"{}\".", form.rule)));
        };
        let cfg = rule_config(form, &before.thresholds).map_err(|(f, m)| AppError::field(f, m))?;
        let spec = rule_spec(&form.rule).ok_or_else(|| AppError::field("rule", "Unknown rule."))?;
        if cfg.enabled == before.enabled && cfg.severity == before.severity && cfg.thresholds == before.thresholds {
            return Ok(());
        }
        let t = ms(now());
        // Switching a rule back on starts watching afresh: no alerts about
        // what happened while it was off.
        let watching = if cfg.enabled && !before.enabled { t } else { before.since_ms };
        let threshold = serde_json::to_string(&cfg.thresholds).map_err(|e| AppError::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO alert_rules (org_id, rule, enabled, severity, threshold, watching_since, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (org_id, rule) DO UPDATE SET enabled = excluded.enabled, severity = excluded.severity,
               threshold = excluded.threshold, watching_since = excluded.watching_since,
               updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(u.org_id.0)
        .bind(spec.key)
        .bind(i64::from(cfg.enabled))
        .bind(cfg.severity.as_str())
        .bind(&threshold)
        .bind(watching)
        .bind(t)
        .bind(u.user_id.0)
        .execute(&mut *tx)
        .await?;
        let actor = u.actor(request_id());
        let ctx = mstore::org_context(&mut tx, u.org_id).await?;
        let now_says =
            summary(spec.threshold, &cfg.thresholds, ctx.settings.response_target_minutes, ctx.settings.health.red_at);
        audit::append(
            &mut tx,
            u.org_id,
            &actor,
            Event::new(
                "alert_rule.updated",
                "alert_rule",
                0,
                format!(
                    "{} changed the alert rule \"{}\": {}, {} — {}",
                    actor.name,
                    spec.label,
                    if cfg.enabled { "on" } else { "off" },
                    cfg.severity.label().to_lowercase(),
                    now_says
                ),
            )
            .payload(serde_json::json!({
                "rule": spec.key,
                "before": { "enabled": before.enabled, "severity": before.severity.as_str(), "thresholds": before.thresholds },
                "after": { "enabled": cfg.enabled, "severity": cfg.severity.as_str(), "thresholds": cfg.thresholds },
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

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
        let now_ms = ms(t);
        let mut changed = close_answered_waits(state, org, t).await? + close_settled_conflicts(state, org, t).await?;

        if let Some(r) = rules.get("client_waiting").filter(|r| r.enabled) {
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
        }

        if let Some(r) = rules.get("delivery_failure_rate").filter(|r| r.enabled) {
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
        }

        if let Some(r) = rules.get("cooldown_ending").filter(|r| r.enabled) {
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
        }

        if let Some(r) = rules.get("window_conflict").filter(|r| r.enabled) {
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
            let Some(wait) = cause
                .rsplit(':')
                .next()
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|_| cause.matches(':').count() == 2)
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
}

fn tone(s: Severity) -> Tone {
    match s {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Info,
    }
}

/// What the main threshold field is called, per kind.
fn value_label(t: Threshold) -> Option<(&'static str, &'static str)> {
    match t {
        Threshold::WaitMinutes => Some(("Minutes without a reply", "blank = the response-time target")),
        Threshold::CooldownDays => Some(("Days before the cooldown ends", "1–30")),
        Threshold::FailureRate => Some(("Failed share of texts (%)", "1–100")),
        Threshold::None | Threshold::Health => None,
    }
}

/// The rules and their thresholds, under the alerts.
#[component]
pub fn AlertRulesSection() -> impl IntoView {
    let toaster = use_toaster();
    let changed = RwSignal::new(0u32);
    let data = Resource::new(move || changed.get(), |_| list_alert_rules());
    let editing = RwSignal::new(None::<String>);
    let form = RwSignal::new(RuleForm::default());
    let save = Action::new(|f: &RuleForm| save_alert_rule(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            toaster.success("Alert rule saved");
            editing.set(None);
            changed.update(|v| *v += 1);
        }
    });
    let error = move |name: &'static str| {
        save.value().get().and_then(|r| r.err()).filter(|e| e.field_name() == Some(name)).map(|e| e.to_string())
    };
    view! {
        <section class="mt-10" data-testid="alert-rules">
            <div class="mb-3">
                <h2 class="text-base font-semibold text-slate-900">"Alert rules"</h2>
                <p class="text-sm text-slate-500">"What raises an alert, how loud it is, and when. Checked as things happen and every half minute."</p>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading alert rules" /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        Ok(rules) => view! {
                            <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm">
                                {rules.into_iter().map(|r| {
                                    let key = r.key.clone();
                                    let open_key = r.key.clone();
                                    let is_open = move || editing.get().as_deref() == Some(key.as_str());
                                    let start = {
                                        let r = r.clone();
                                        move |_| {
                                            save.clear();
                                            form.set(RuleForm {
                                                rule: r.key.clone(),
                                                enabled: r.enabled,
                                                severity: r.severity.as_str().to_string(),
                                                value: r.value.clone(),
                                                min_sent: r.min_sent.clone(),
                                            });
                                            editing.set(Some(open_key.clone()));
                                        }
                                    };
                                    let threshold = r.threshold;
                                    let locked = r.locked;
                                    view! {
                                        <li class="px-4 py-3" data-testid="alert-rule" data-rule=r.key.clone()>
                                            <div class="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
                                                <div class="min-w-0">
                                                    <p class="font-medium text-slate-900">
                                                        {r.label.clone()}" "
                                                        <Badge tone=tone(r.severity) text=r.severity.label() />
                                                        {(!r.enabled).then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500" data-testid="alert-rule-off">"(off)"</span> })}
                                                        {r.locked.then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500">"Always on"</span> })}
                                                    </p>
                                                    <p class="text-sm text-slate-600">{r.explains.clone()}</p>
                                                    <p class="text-sm text-slate-800" data-testid="alert-rule-summary">{r.summary.clone()}</p>
                                                    {r.changed.clone().map(|c| view! { <p class="text-xs text-slate-500">{c}</p> })}
                                                </div>
                                                {(!locked).then(|| view! {
                                                    <button type="button" class=btn::SMALL data-testid="alert-rule-edit" on:click=start>"Edit"</button>
                                                })}
                                            </div>
                                            <Show when=is_open.clone()>
                                                <form class="mt-3 grid gap-3 rounded-lg border border-slate-200 bg-slate-50 p-3 sm:grid-cols-2" data-testid="alert-rule-form"
                                                    on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                                                    <label class="flex items-center gap-2 text-sm text-slate-800">
                                                        <input type="checkbox" data-testid="alert-rule-enabled" disabled=locked
                                                            prop:checked=move || form.get().enabled
                                                            on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev)) />
                                                        "Raise this alert"
                                                    </label>
                                                    <label class="block">
                                                        <span class=field::LABEL>"Severity"</span>
                                                        <select class=field::INPUT data-testid="alert-rule-severity" disabled=locked prop:value=move || form.get().severity
                                                            on:change=move |ev| form.update(|f| f.severity = event_target_value(&ev))>
                                                            <option value="critical">"Critical"</option>
                                                            <option value="warning">"Warning"</option>
                                                            <option value="info">"Info"</option>
                                                        </select>
                                                    </label>
                                                    {value_label(threshold).map(|(label, hint)| view! {
                                                        <label class="block">
                                                            <span class=field::LABEL>{label}</span>
                                                            <input class=field::INPUT inputmode="numeric" data-testid="alert-rule-value" placeholder=hint
                                                                prop:value=move || form.get().value
                                                                on:input=move |ev| form.update(|f| f.value = event_target_value(&ev)) />
                                                            <span class="mt-1 block text-xs text-slate-500">{hint}</span>
                                                            {move || error("value").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="alert-rule-value-error">{e}</span> })}
                                                        </label>
                                                    })}
                                                    {(threshold == Threshold::FailureRate).then(|| view! {
                                                        <label class="block">
                                                            <span class=field::LABEL>"Only once at least this many texts were sent"</span>
                                                            <input class=field::INPUT inputmode="numeric" data-testid="alert-rule-min-sent"
                                                                prop:value=move || form.get().min_sent
                                                                on:input=move |ev| form.update(|f| f.min_sent = event_target_value(&ev)) />
                                                            {move || error("min_sent").map(|e| view! { <span class="mt-1 block text-xs text-red-700" data-testid="alert-rule-min-sent-error">{e}</span> })}
                                                        </label>
                                                    })}
                                                    {(threshold == Threshold::Health).then(|| view! {
                                                        <p class="text-sm text-slate-600 sm:col-span-2">"The red threshold is a number health setting: "
                                                            <a class="font-medium text-indigo-700 hover:underline" href="/settings">"change it in Settings"</a>"."</p>
                                                    })}
                                                    {move || error("enabled").map(|e| view! { <p class="text-sm text-red-700 sm:col-span-2">{e}</p> })}
                                                    <div class="flex justify-end gap-2 sm:col-span-2">
                                                        <button type="button" class=btn::GHOST on:click=move |_| editing.set(None)>"Cancel"</button>
                                                        <button type="submit" class=btn::PRIMARY data-testid="alert-rule-save" disabled=move || save.pending().get()>"Save rule"</button>
                                                    </div>
                                                </form>
                                            </Show>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
