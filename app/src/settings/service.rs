//! Settings forms: load the business's settings into what the owner edits,
//! and save an edit (check every field with the domain's rules, list what
//! changed, write it with its audit event in one transaction). A save that
//! changes nothing writes nothing.

use super::{OperationsForm, RulesForm};
use crate::domain::automation::quiet_hours::QuietHours;
use crate::domain::policy::{AllowedNumber, HitKind, PolicyAction};
use crate::domain::settings::{check_help_reply, help_reply, OrgSettings};
use crate::domain::time::BusinessTz;
use crate::error::{AppError, AppResult};
use crate::messaging::store::org_context;
use crate::platform::audit::changed;
use crate::platform::sessions::SessionUser;
use crate::platform::state;
use chrono::NaiveTime;

pub async fn load_operations(u: &SessionUser) -> AppResult<OperationsForm> {
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let s = org_context(&mut c, u.org_id).await?.settings;
    Ok(OperationsForm {
        max_attempts: s.delivery.max_attempts.to_string(),
        backoff_seconds: s.delivery.backoff_seconds.to_string(),
        timeout_seconds: s.delivery.timeout_seconds.to_string(),
        cooldown_days: s.cooldown_days.to_string(),
        yellow_at: s.health.yellow_at.to_string(),
        red_at: s.health.red_at.to_string(),
        pool_low_watermark: s.pool_low_watermark.to_string(),
        diagnostics_mode: s.diagnostics_mode,
    })
}

fn whole(field: &str, label: &str, v: &str) -> AppResult<u32> {
    v.trim().parse::<u32>().map_err(|_| AppError::field(field, format!("{label}: enter a whole number, like 30.")))
}

fn onoff(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

pub async fn save_operations(u: &SessionUser, form: &OperationsForm) -> AppResult<Vec<String>> {
    let st = state()?;
    let mut tx = st.db.begin().await?;
    let old = org_context(&mut tx, u.org_id).await?.settings;
    let mut s = old.clone();
    s.delivery.max_attempts = whole("max_attempts", "Delivery attempts", &form.max_attempts)?;
    s.delivery.backoff_seconds = whole("backoff_seconds", "Retry delay", &form.backoff_seconds)?;
    s.delivery.timeout_seconds = whole("timeout_seconds", "Provider timeout", &form.timeout_seconds)?;
    s.cooldown_days = whole("cooldown_days", "Cooldown", &form.cooldown_days)?.into();
    s.health.yellow_at = whole("yellow_at", "Yellow health", &form.yellow_at)?;
    s.health.red_at = whole("red_at", "Red health", &form.red_at)?;
    s.pool_low_watermark = whole("pool_low_watermark", "Pool warning", &form.pool_low_watermark)?;
    s.diagnostics_mode = form.diagnostics_mode;
    s.validate_fields().map_err(|(f, e)| {
        let f = if f == "red_at" && s.health.yellow_at == 0 { "yellow_at" } else { f };
        AppError::field(f, e)
    })?;
    let changes = changed(vec![
        ("Delivery attempts", old.delivery.max_attempts.to_string(), s.delivery.max_attempts.to_string()),
        ("Retry delay (seconds)", old.delivery.backoff_seconds.to_string(), s.delivery.backoff_seconds.to_string()),
        (
            "Provider timeout (seconds)",
            old.delivery.timeout_seconds.to_string(),
            s.delivery.timeout_seconds.to_string(),
        ),
        ("Cooldown (days)", old.cooldown_days.to_string(), s.cooldown_days.to_string()),
        ("Yellow health at (failures)", old.health.yellow_at.to_string(), s.health.yellow_at.to_string()),
        ("Red health at (failures)", old.health.red_at.to_string(), s.health.red_at.to_string()),
        ("Pool warning below", old.pool_low_watermark.to_string(), s.pool_low_watermark.to_string()),
        ("Diagnostics mode", onoff(old.diagnostics_mode), onoff(s.diagnostics_mode)),
    ]);
    if changes.is_empty() {
        return Ok(changes);
    }
    super::store::write(&mut tx, u, &s, None, &changes).await?;
    tx.commit().await?;
    Ok(changes)
}

pub async fn load_rules(u: &SessionUser) -> AppResult<RulesForm> {
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = org_context(&mut c, u.org_id).await?;
    let s = ctx.settings;
    Ok(RulesForm {
        time_zone: ctx.tz.name().to_string(),
        quiet_enabled: s.quiet_hours.enabled,
        quiet_start: s.quiet_hours.start.format("%H:%M").to_string(),
        quiet_end: s.quiet_hours.end.format("%H:%M").to_string(),
        sitter_actions: HitKind::ALL
            .into_iter()
            .map(|k| {
                let a = s.policy.sitter_actions.get(&k).copied().unwrap_or(PolicyAction::Block);
                (k.as_str().to_string(), a.as_str().to_string())
            })
            .collect(),
        owner_warnings: s.policy.owner_warnings,
        response_target_minutes: s.response_target_minutes.to_string(),
        low_balance: cents_text(s.low_balance_cents),
        automation_rate_per_thread_hour: s.automation_rate_per_thread_hour.to_string(),
        allowlist: s.policy.allowlist_text(),
        help_text: help_reply(&ctx.name, ctx.help_text.as_deref()),
    })
}

fn cents_text(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// Dollars as typed ("20", "$12.5", ".75") in cents; `None` if it isn't.
fn dollars(typed: &str) -> Option<i64> {
    let balance = typed.trim().trim_start_matches('$');
    match balance.split_once('.') {
        None => balance.parse::<i64>().ok().map(|d| d * 100),
        Some((d, c)) if c.len() <= 2 => {
            let d = if d.is_empty() { Some(0) } else { d.parse::<i64>().ok() };
            let c = format!("{c:0<2}").parse::<i64>().ok();
            d.zip(c).map(|(d, c)| d * 100 + c)
        }
        _ => None,
    }
    .filter(|c| *c >= 0)
}

/// The form's typed fields, read before anything is loaded.
struct RulesInput {
    tz: BusinessTz,
    start: NaiveTime,
    end: NaiveTime,
    target: u32,
    rate: u32,
    cents: i64,
}

/// Reads the form's typed fields; the first one that is wrong is the error.
fn read_rules(form: &RulesForm) -> AppResult<RulesInput> {
    let tz = BusinessTz::offered(&form.time_zone).map_err(|e| AppError::field("time_zone", e))?;
    let time = |field: &str, v: &str| {
        NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| {
            AppError::field(field, format!("\"{}\" isn't a time: use 24-hour HH:MM, like 21:00.", v.trim()))
        })
    };
    let start = time("quiet_start", &form.quiet_start)?;
    let end = time("quiet_end", &form.quiet_end)?;
    if form.quiet_enabled && start == end {
        return Err(AppError::field("quiet_end", "Quiet hours need to end at a different time than they start."));
    }
    let target = form.response_target_minutes.trim().parse::<u32>().map_err(|_| {
        AppError::field("response_target_minutes", "Response-time target: enter whole minutes, like 15.")
    })?;
    let rate = form.automation_rate_per_thread_hour.trim().parse::<u32>().map_err(|_| {
        AppError::field(
            "automation_rate_per_thread_hour",
            "Automated texts per conversation: enter a whole number per hour, like 3.",
        )
    })?;
    let cents = dollars(&form.low_balance)
        .ok_or_else(|| AppError::field("low_balance", "Low-balance warning: enter dollars, like 20 or 12.50."))?;
    Ok(RulesInput { tz, start, end, target, rate, cents })
}

/// The form applied over the current settings, every rule checked; the
/// first field that is wrong is the error.
fn apply_rules(form: &RulesForm, input: &RulesInput, old: &OrgSettings, region: &str) -> AppResult<OrgSettings> {
    let RulesInput { start, end, target, rate, cents, .. } = *input;
    let mut s = old.clone();
    s.quiet_hours.enabled = form.quiet_enabled;
    s.quiet_hours.start = start;
    s.quiet_hours.end = end;
    s.policy.owner_warnings = form.owner_warnings;
    s.policy.allowlist =
        crate::domain::policy::parse_allowlist(&form.allowlist, region).map_err(|e| AppError::field("allowlist", e))?;
    for (k, a) in &form.sitter_actions {
        let kind =
            HitKind::parse(k).ok_or_else(|| AppError::field("policy", format!("There is no rule called \"{k}\".")))?;
        let action = PolicyAction::parse(a)
            .ok_or_else(|| AppError::field(format!("policy_{k}").as_str(), "Choose Block, Hold or Log only."))?;
        s.policy.sitter_actions.insert(kind, action);
    }
    if let Err(e) = s.policy.validate() {
        let bad = HitKind::ALL
            .into_iter()
            .find(|k| k.is_core() && s.policy.sitter_actions.get(k) == Some(&PolicyAction::Log))
            .map(|k| format!("policy_{}", k.as_str()))
            .unwrap_or_else(|| "policy".into());
        return Err(AppError::field(&bad, e));
    }
    s.response_target_minutes = target;
    s.low_balance_cents = cents;
    s.automation_rate_per_thread_hour = rate;
    s.validate_fields().map_err(|(f, e)| AppError::field(f, e))?;
    Ok(s)
}

/// One line per change to the messaging rules, as the owner reads them.
fn rules_changes(old: &OrgSettings, s: &OrgSettings, old_tz: &BusinessTz, tz: &BusinessTz) -> Vec<String> {
    // Hours edited while quiet hours are off still count as a change.
    let quiet = |q: &QuietHours| {
        let hours = format!("{}–{}", q.start.format("%H:%M"), q.end.format("%H:%M"));
        if q.enabled {
            hours
        } else {
            format!("off ({hours})")
        }
    };
    let mut changes = changed(vec![
        ("Time zone", old_tz.name().to_string(), tz.name().to_string()),
        ("Quiet hours", quiet(&old.quiet_hours), quiet(&s.quiet_hours)),
    ]);
    for k in HitKind::ALL {
        let (a, b) = (old.policy.sitter_actions.get(&k), s.policy.sitter_actions.get(&k));
        if a != b {
            let label = |x: Option<&PolicyAction>| x.map(|x| x.label()).unwrap_or("Block");
            changes.push(format!("Sitters sharing {}: {} → {}", k.label(), label(a), label(b)));
        }
    }
    changes.extend(changed(vec![(
        "Warnings for owners",
        onoff(old.policy.owner_warnings),
        onoff(s.policy.owner_warnings),
    )]));
    let shown = |a: &AllowedNumber| {
        if a.label.is_empty() {
            a.e164.display()
        } else {
            format!("{} ({})", a.label, a.e164.display())
        }
    };
    for a in s.policy.allowlist.iter().filter(|a| !old.policy.allowlist.contains(a)) {
        changes.push(format!("Allowed to share: {} added", shown(a)));
    }
    for a in old.policy.allowlist.iter().filter(|a| !s.policy.allowlist.contains(a)) {
        changes.push(format!("Allowed to share: {} removed", shown(a)));
    }
    changes.extend(changed(vec![
        (
            "Response-time target (minutes)",
            old.response_target_minutes.to_string(),
            s.response_target_minutes.to_string(),
        ),
        (
            "Low-balance warning",
            format!("${}", cents_text(old.low_balance_cents)),
            format!("${}", cents_text(s.low_balance_cents)),
        ),
        (
            "Automated texts per conversation per hour",
            old.automation_rate_per_thread_hour.to_string(),
            s.automation_rate_per_thread_hour.to_string(),
        ),
    ]));
    changes
}

pub async fn save_rules(u: &SessionUser, form: &RulesForm) -> AppResult<Vec<String>> {
    let input = read_rules(form)?;
    let st = state()?;
    let mut tx = st.db.begin().await?;
    let ctx = org_context(&mut tx, u.org_id).await?;
    let s = apply_rules(form, &input, &ctx.settings, &ctx.region)?;
    // Checked only when edited, so a reply kept from before still saves.
    let help = if form.help_text.trim() == help_reply(&ctx.name, ctx.help_text.as_deref()) {
        ctx.help_text.clone()
    } else {
        check_help_reply(&ctx.name, &form.help_text).map_err(|e| AppError::field("help_text", e))?
    };
    let mut changes = rules_changes(&ctx.settings, &s, &ctx.tz, &input.tz);
    let help_changed = help != ctx.help_text;
    if help_changed {
        changes.push(match &help {
            Some(t) => format!("HELP reply: \u{201c}{t}\u{201d}"),
            None => "HELP reply: back to the default".to_string(),
        });
    }
    if changes.is_empty() {
        return Ok(changes);
    }
    if help_changed {
        super::store::write_help(&mut tx, u.org_id, help.as_deref()).await?;
    }
    super::store::write(&mut tx, u, &s, Some(input.tz.name()), &changes).await?;
    tx.commit().await?;
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_read_as_typed() {
        assert_eq!(dollars("20"), Some(2000));
        assert_eq!(dollars("$12.5"), Some(1250));
        assert_eq!(dollars(" .75 "), Some(75));
        assert_eq!(dollars("12.505"), None);
        assert_eq!(dollars("-3"), None);
        assert_eq!(dollars("twelve"), None);
        assert_eq!(cents_text(1250), "12.50");
    }

    #[test]
    fn every_edit_is_listed_even_with_quiet_hours_off() {
        let tz = BusinessTz::offered("America/Chicago").expect("zone");
        let mut old = OrgSettings::default();
        old.quiet_hours.enabled = false;
        let mut new = old.clone();
        new.quiet_hours.start = NaiveTime::from_hms_opt(22, 0, 0).expect("time");
        new.low_balance_cents = 1250;
        let changes = rules_changes(&old, &new, &tz, &tz);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes[0], "Quiet hours: off (21:00–08:00) → off (22:00–08:00)");
        assert!(changes[1].starts_with("Low-balance warning: $") && changes[1].ends_with("→ $12.50"), "{changes:?}");
        assert!(rules_changes(&old, &old, &tz, &tz).is_empty());
    }

    #[test]
    fn a_form_with_one_bad_field_names_that_field() {
        let old = OrgSettings::default();
        let form = RulesForm {
            time_zone: "America/Chicago".into(),
            quiet_enabled: true,
            quiet_start: "21:00".into(),
            quiet_end: "21:00".into(),
            sitter_actions: Vec::new(),
            owner_warnings: true,
            response_target_minutes: "15".into(),
            low_balance: "20".into(),
            automation_rate_per_thread_hour: "3".into(),
            allowlist: String::new(),
            help_text: String::new(),
        };
        let field =
            |e: AppError| e.field_name().map(str::to_string).unwrap_or_else(|| format!("not a field error: {e:?}"));
        assert_eq!(field(read_rules(&form).err().expect("same start and end")), "quiet_end");
        let form = RulesForm { quiet_end: "08:00".into(), low_balance: "twelve".into(), ..form };
        assert_eq!(field(read_rules(&form).err().expect("bad dollars")), "low_balance");
        let form = RulesForm { low_balance: "$12.5".into(), ..form };
        let input = read_rules(&form).expect("valid");
        assert_eq!(apply_rules(&form, &input, &old, "US").expect("valid").low_balance_cents, 1250);
        let form = RulesForm { allowlist: "Vet 512".into(), ..form };
        assert_eq!(field(apply_rules(&form, &input, &old, "US").expect_err("bad allow-list")), "allowlist");
    }
}
