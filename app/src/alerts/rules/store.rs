use super::*;
use crate::domain::alerts::{rule_config, rule_spec, RuleThresholds, RULES};
use crate::domain::ids::OrgId;
use crate::domain::time::relative;
use crate::error::AppResult;
use crate::messaging::store as mstore;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, ms, now, AppState};
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
            format!("{} day{} before the cooldown ends", t.cooldown_days, if t.cooldown_days == 1 { "" } else { "s" })
        }
        Threshold::FailureRate => format!(
            "{}% or more of the texts sent in 24 hours failed (once at least {} were sent)",
            t.failure_percent, t.failure_min_sent
        ),
        Threshold::Health => format!("At {red_at} failed texts in 7 days (the red health threshold in Settings)"),
        Threshold::None => "Whenever it happens".to_string(),
    }
}

pub async fn list(st: &AppState, u: &SessionUser) -> AppResult<Vec<AlertRuleView>> {
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
                Threshold::WaitMinutes => (th.wait_minutes.map(|m| m.to_string()).unwrap_or_default(), String::new()),
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
                summary: summary(spec.threshold, th, ctx.settings.response_target_minutes, ctx.settings.health.red_at),
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

pub async fn save(st: &AppState, u: &SessionUser, actor: &Actor, form: &RuleForm) -> AppResult<()> {
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
    let threshold = serde_json::to_string(&cfg.thresholds)?;
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
    let ctx = mstore::org_context(&mut tx, u.org_id).await?;
    let now_says =
        summary(spec.threshold, &cfg.thresholds, ctx.settings.response_target_minutes, ctx.settings.health.red_at);
    audit::append(
        &mut tx,
        u.org_id,
        actor,
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
