//! The inventory's queries and changes. Every change is planned from the
//! current rows (the same plan the preview shows), checked by the domain
//! guardrails, then applied in one transaction with its audit event.

use super::*;
use crate::assignments::store::number_facts;
use crate::domain::ids::{NumberId, OrgId, SitterId, ThreadId};
use crate::domain::numbers::{self, Hookup, NumberClass, NumberFacts, NumberStatus, Registration, ThreadMove};
use crate::domain::phone::E164;
use crate::domain::provider_errors;
use crate::domain::time::{relative, BusinessTz};
use crate::error::AppResult;
use crate::messaging::provider;
use crate::messaging::store::{self as mstore, OrgContext};
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::sessions::SessionUser;
use crate::platform::state::LiveEvent;
use crate::platform::{from_ms, ms, now, state};
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// One number with everything the table shows and sorts by.
struct Full {
    row: NumberRow,
    last_used_ms: Option<i64>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Texts and delivery failures per business number over the last 7 days.
async fn week_stats(
    c: &mut AnyConnection,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<HashMap<String, (i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT CASE WHEN direction = 'inbound' THEN to_e164 ELSE from_e164 END AS num, COUNT(*) AS total,
                SUM(CASE WHEN status IN ('failed', 'undelivered') THEN 1 ELSE 0 END) AS failed
         FROM messages WHERE org_id = $1 AND created_at >= $2 AND direction <> 'note'
         GROUP BY CASE WHEN direction = 'inbound' THEN to_e164 ELSE from_e164 END",
    )
    .bind(org.0)
    .bind(ms(now - Duration::days(7)))
    .fetch_all(&mut *c)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        if let Some(num) = r.try_get::<Option<String>, _>("num")? {
            out.insert(num, (r.try_get("total")?, r.try_get::<Option<i64>, _>("failed")?.unwrap_or(0)));
        }
    }
    Ok(out)
}

/// Numbers whose conversations have a window that hasn't ended, with the
/// first such client: a pool number in this list is lent out.
async fn unfinished_windows(
    c: &mut AnyConnection,
    org: OrgId,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<(String, i64)>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.number_id, cl.name, w.ends_at FROM assignment_windows w
         JOIN threads t ON t.id = w.thread_id JOIN clients cl ON cl.id = w.client_id
         WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.ends_at > $2 ORDER BY w.starts_at, w.id",
    )
    .bind(org.0)
    .bind(ms(now))
    .fetch_all(&mut *c)
    .await?;
    let mut out: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for r in rows {
        out.entry(r.try_get("number_id")?).or_default().push((r.try_get("name")?, r.try_get("ends_at")?));
    }
    Ok(out)
}

async fn load_all(c: &mut AnyConnection, ctx: &OrgContext, now: DateTime<Utc>) -> AppResult<Vec<Full>> {
    let stats = week_stats(c, ctx.id, now).await?;
    let windows = unfinished_windows(c, ctx.id, now).await?;
    let rows = sqlx::query(
        "SELECT n.id, n.e164, n.class, n.status, n.sitter_id, s.name AS sitter_name, n.cooldown_until, n.last_used_at, n.registration
         FROM numbers n LEFT JOIN sitters s ON s.id = n.sitter_id WHERE n.org_id = $1",
    )
    .bind(ctx.id.0)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let e164: String = r.try_get("e164")?;
        let (Some(class), Some(status)) = (
            NumberClass::parse(&r.try_get::<String, _>("class")?),
            NumberStatus::parse(&r.try_get::<String, _>("status")?),
        ) else {
            continue;
        };
        let display = E164::from_canonical(&e164).map(|e| e.display()).unwrap_or_else(|| e164.clone());
        let (volume, failures) =
            if status == NumberStatus::Inactive { (0, 0) } else { stats.get(&e164).copied().unwrap_or((0, 0)) };
        let h = numbers::health(failures.clamp(0, u32::MAX as i64) as u32, ctx.settings.health);
        let last_used_ms: Option<i64> = r.try_get("last_used_at")?;
        let cooldown = r.try_get::<Option<i64>, _>("cooldown_until")?.map(from_ms).filter(|u| *u > now);
        let id: i64 = r.try_get("id")?;
        let lent_to = (class == NumberClass::Pool)
            .then(|| windows.get(&id).and_then(|w| w.first()).map(|(name, _)| name.clone()))
            .flatten();
        out.push(Full {
            row: NumberRow {
                id,
                e164,
                display,
                class,
                status,
                sitter_id: r.try_get("sitter_id")?,
                sitter: r.try_get("sitter_name")?,
                health: h,
                failures_7d: failures,
                last_used: last_used_ms.map(|t| relative(from_ms(t), now, ctx.tz)).unwrap_or_else(|| "Never".into()),
                volume_7d: volume,
                cooldown_until: cooldown.map(|u| ctx.tz.date(u)),
                registration: Registration::parse(&r.try_get::<String, _>("registration")?),
                lent_to,
            },
            last_used_ms,
        });
    }
    Ok(out)
}

fn check_choice(field: &str, value: &str, allowed: &[&str], what: &str) -> AppResult<()> {
    if value.is_empty() || allowed.contains(&value) {
        Ok(())
    } else {
        Err(AppError::field(field, format!("\"{value}\" isn't a {what}. Pick one from the list.")))
    }
}

/// The filtered, sorted list of every matching number (CSV uses all of it).
async fn filtered(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    f: &NumberFilter,
    now: DateTime<Utc>,
) -> AppResult<(Vec<NumberRow>, usize)> {
    let class = f.class.trim();
    let status = f.status.trim();
    let health = f.health.trim();
    let usage = f.usage.trim();
    let sort = f.sort.trim();
    check_choice("class", class, &["front_desk", "sitter", "pool"], "number class")?;
    check_choice("status", status, &["active", "quarantined", "inactive"], "number status")?;
    check_choice("health", health, &["green", "yellow", "red"], "health level")?;
    check_choice("usage", usage, &["busy", "idle", "never"], "usage choice")?;
    check_choice(
        "sort",
        sort,
        &["number", "class", "status", "sitter", "health", "last_used", "volume"],
        "column to sort by",
    )?;
    check_choice("dir", f.dir.trim(), &["asc", "desc"], "sort direction")?;
    let sitter = match f.sitter.trim() {
        "" => None,
        "none" => Some(None),
        s => Some(Some(s.parse::<i64>().map_err(|_| AppError::field("sitter", "Pick a sitter from the list."))?)),
    };
    let all = load_all(c, ctx, now).await?;
    let total_all = all.len();
    let mut items: Vec<Full> = all
        .into_iter()
        .filter(|n| class.is_empty() || n.row.class.as_str() == class)
        .filter(|n| status.is_empty() || n.row.status.as_str() == status)
        .filter(|n| health.is_empty() || n.row.health.as_str() == health)
        .filter(|n| sitter.is_none_or(|s| n.row.sitter_id == s))
        .filter(|n| match usage {
            "busy" => n.row.volume_7d > 0,
            "idle" => n.row.volume_7d == 0,
            "never" => n.last_used_ms.is_none(),
            _ => true,
        })
        .collect();
    items.sort_by(|a, b| {
        let (x, y) = (&a.row, &b.row);
        let primary = match sort {
            "class" => x.class.label().cmp(y.class.label()),
            "status" => x.status.as_str().cmp(y.status.as_str()),
            "sitter" => x.sitter.is_none().cmp(&y.sitter.is_none()).then_with(|| x.sitter.cmp(&y.sitter)),
            "health" => (x.health as u8).cmp(&(y.health as u8)).then(x.failures_7d.cmp(&y.failures_7d)),
            "last_used" => a.last_used_ms.cmp(&b.last_used_ms),
            "volume" => x.volume_7d.cmp(&y.volume_7d),
            _ => std::cmp::Ordering::Equal,
        };
        let primary = if f.dir.trim() == "desc" { primary.reverse() } else { primary };
        let by_number = x.e164.cmp(&y.e164);
        let by_number = if f.dir.trim() == "desc" && (sort.is_empty() || sort == "number") {
            by_number.reverse()
        } else {
            by_number
        };
        primary.then(by_number)
    });
    Ok((items.into_iter().map(|n| n.row).collect(), total_all))
}

pub async fn list(c: &mut AnyConnection, org: OrgId, f: &NumberFilter, now: DateTime<Utc>) -> AppResult<NumberList> {
    let ctx = mstore::org_context(c, org).await?;
    let (rows, all) = filtered(c, &ctx, f, now).await?;
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = match f.page.trim() {
        "" => 1,
        p => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| AppError::field("page", "Pages start at 1."))?,
    }
    .min(pages);
    let items = rows.into_iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE).collect();
    let facts = number_facts(c, org).await?;
    let lent = unfinished_windows(c, org, now).await?;
    let free = facts
        .iter()
        .filter(|n| {
            n.class == NumberClass::Pool
                && n.status == NumberStatus::Active
                && n.sitter_id.is_none()
                && n.cooldown_until.is_none_or(|u| u <= now)
                && !lent.contains_key(&n.id.0)
        })
        .count();
    let watermark = ctx.settings.pool_low_watermark as usize;
    let pool_warning = if free == 0 {
        Some(
            "No pool numbers are free: one-time bookings and meet-and-greets have no number to borrow. Buy one?"
                .to_string(),
        )
    } else if free < watermark {
        Some(format!(
            "Only {} left (you asked to be warned below {watermark}). One-time bookings borrow pool numbers — buy more before they run out.",
            plural(free, "free pool number", "free pool numbers")
        ))
    } else {
        None
    };
    let sitters = sqlx::query("SELECT id, name FROM sitters WHERE org_id = $1 AND active = 1 ORDER BY name, id")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| Ok(Choice { id: r.try_get("id")?, name: r.try_get("name")? }))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(NumberList { items, total, page, pages, all, pool_warning, sitters })
}

fn money(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

pub async fn detail(c: &mut AnyConnection, org: OrgId, id: i64, now: DateTime<Utc>) -> AppResult<NumberDetail> {
    let ctx = mstore::org_context(c, org).await?;
    let tz = ctx.tz;
    let row = load_all(c, &ctx, now)
        .await?
        .into_iter()
        .find(|n| n.row.id == id)
        .ok_or_else(|| AppError::NotFound("That number isn't in your inventory.".into()))?
        .row;
    let r = sqlx::query(
        "SELECT provider_sid, monthly_cost_cents, purchased_at, created_at, quarantine_reason, quarantine_note, quarantined_at,
                cooldown_until, hookup_status, hookup_error, released_at, keep_quarantined
         FROM numbers WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(org.0)
    .fetch_one(&mut *c)
    .await?;
    let assignments = assignment_history(c, id, tz).await?;
    let threads = thread_lines(c, id, now, tz).await?;
    let failures = failure_lines(c, org, &row.e164, tz).await?;
    let quarantined = row.status == NumberStatus::Quarantined;
    let keep_quarantined = quarantined && r.try_get::<i64, _>("keep_quarantined")? == 1;
    let cooldown = r.try_get::<Option<i64>, _>("cooldown_until")?.map(from_ms).filter(|u| *u > now).map(|u| {
        let days = (u - now).num_hours().div_euclid(24) + i64::from((u - now).num_hours() % 24 > 0);
        let then = match (quarantined, keep_quarantined) {
            (false, _) => "",
            (true, false) => ", then it returns to the pool by itself",
            (true, true) => ", then it stays quarantined until released by hand",
        };
        format!("{} left (until {}){then}", plural(days.max(1) as usize, "day", "days"), tz.date(u))
    });
    let quarantine_reason = match r.try_get::<Option<String>, _>("quarantine_reason")? {
        Some(reason) if quarantined => {
            let label = numbers::QuarantineReason::parse(&reason).map(|q| q.label()).unwrap_or("Other");
            let note: Option<String> = r.try_get("quarantine_note")?;
            let since = r.try_get::<Option<i64>, _>("quarantined_at")?.map(|q| tz.date(from_ms(q)));
            Some(format!(
                "{label}{}{}",
                note.filter(|n| !n.trim().is_empty()).map(|n| format!(": {n}")).unwrap_or_default(),
                since.map(|s| format!(" (since {s})")).unwrap_or_default()
            ))
        }
        _ => None,
    };
    let hookup = match Hookup::parse(&r.try_get::<String, _>("hookup_status")?) {
        Hookup::Verified => "Texts and delivery reports reach Leashline.".to_string(),
        Hookup::Failed => format!(
            "Not connected: {}",
            r.try_get::<Option<String>, _>("hookup_error")?
                .unwrap_or_else(|| "run the messaging hookup again in Setup.".into())
        ),
        Hookup::Pending => "Not checked yet: run the messaging hookup in Setup.".into(),
    };
    let registration_label = match row.registration {
        Registration::Registered => "Registered with the carriers (A2P 10DLC)",
        Registration::Pending => "Carrier registration pending",
        Registration::Unregistered => "Not registered with the carriers: texts may be filtered",
        Registration::NotApplicable => "Carrier registration not reported",
    }
    .to_string();
    let purchased = r.try_get::<Option<i64>, _>("purchased_at")?.map(|p| tz.date(from_ms(p)));
    let provider_id: Option<String> = r.try_get("provider_sid")?;
    Ok(NumberDetail {
        row,
        assignments,
        threads,
        failures,
        cooldown,
        quarantine_reason,
        keep_quarantined,
        purchased: purchased.or_else(|| {
            r.try_get::<i64, _>("created_at").ok().map(|c| format!("Added {} (imported)", tz.date(from_ms(c))))
        }),
        monthly_cost: r.try_get::<Option<i64>, _>("monthly_cost_cents")?.map(|c| format!("{} a month", money(c))),
        hookup,
        registration_label,
        provider_id: if ctx.settings.diagnostics_mode { provider_id } else { None },
        diagnostics: ctx.settings.diagnostics_mode,
    })
}

/// The number's last 50 assignments, newest first, as history lines.
async fn assignment_history(c: &mut AnyConnection, id: i64, tz: BusinessTz) -> AppResult<Vec<HistoryLine>> {
    Ok(sqlx::query(
        "SELECT a.class, a.started_at, a.ended_at, a.reason, s.name FROM number_assignments a
         LEFT JOIN sitters s ON s.id = a.sitter_id WHERE a.number_id = $1 ORDER BY a.started_at DESC, a.id DESC LIMIT 50",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|a| {
        let started = from_ms(a.try_get("started_at")?);
        let ended: Option<i64> = a.try_get("ended_at")?;
        let who: Option<String> = a.try_get("name")?;
        let class = NumberClass::parse(&a.try_get::<String, _>("class")?).map(|c| c.label()).unwrap_or("Number");
        let reason: Option<String> = a.try_get("reason")?;
        Ok(HistoryLine {
            when: format!(
                "{} – {}",
                tz.date(started),
                ended.map(|e| tz.date(from_ms(e))).unwrap_or_else(|| "now".into())
            ),
            text: format!(
                "{}{}",
                match who {
                    Some(w) => format!("{w}'s {} number", class.to_lowercase()),
                    None => format!("{class} number"),
                },
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// The conversations on the number: the current ones first, then by last message.
async fn thread_lines(
    c: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
    tz: BusinessTz,
) -> AppResult<Vec<ThreadLine>> {
    Ok(sqlx::query(
        "SELECT t.id, cl.name, t.last_message_at, t.is_current FROM threads t JOIN clients cl ON cl.id = t.client_id
         WHERE t.number_id = $1 ORDER BY t.is_current DESC, t.last_message_at DESC, t.id DESC LIMIT 50",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|t| {
        Ok(ThreadLine {
            id: t.try_get("id")?,
            client: t.try_get("name")?,
            last: t
                .try_get::<Option<i64>, _>("last_message_at")?
                .map(|l| relative(from_ms(l), now, tz))
                .unwrap_or_else(|| "No messages yet".into()),
            current: t.try_get::<i64, _>("is_current")? == 1,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// The last 20 texts from the number that the carrier did not deliver.
async fn failure_lines(c: &mut AnyConnection, org: OrgId, e164: &str, tz: BusinessTz) -> AppResult<Vec<HistoryLine>> {
    Ok(sqlx::query(
        "SELECT m.created_at, m.error_code, cl.name FROM messages m JOIN threads t ON t.id = m.thread_id
         JOIN clients cl ON cl.id = t.client_id
         WHERE m.org_id = $1 AND m.from_e164 = $2 AND m.status IN ('failed', 'undelivered') ORDER BY m.created_at DESC, m.id DESC LIMIT 20",
    )
    .bind(org.0)
    .bind(e164)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|m| {
        let code: Option<String> = m.try_get("error_code")?;
        let client: String = m.try_get("name")?;
        Ok(HistoryLine {
            when: tz.date_time(from_ms(m.try_get("created_at")?)),
            text: format!("To {client}: {}", provider_errors::explain(code.as_deref()).what),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// The filtered list as CSV (every page), with the row count.
pub async fn export_csv(
    c: &mut AnyConnection,
    org: OrgId,
    f: &NumberFilter,
    now: DateTime<Utc>,
) -> AppResult<(String, usize)> {
    let ctx = mstore::org_context(c, org).await?;
    let (rows, _) = filtered(c, &ctx, f, now).await?;
    let mut out = crate::platform::csv::Csv::new();
    out.row([
        "number",
        "class",
        "status",
        "assigned_to",
        "health",
        "failures_7d",
        "last_used",
        "volume_7d",
        "cooldown_until",
        "carrier_registration",
        "lent_to",
    ]);
    for r in &rows {
        let cells = [
            r.e164.clone(),
            r.class.label().to_string(),
            r.status.label().to_string(),
            r.sitter.clone().unwrap_or_default(),
            r.health.label().to_string(),
            r.failures_7d.to_string(),
            r.last_used.clone(),
            r.volume_7d.to_string(),
            r.cooldown_until.clone().unwrap_or_default(),
            r.registration.as_str().to_string(),
            r.lent_to.clone().unwrap_or_default(),
        ];
        out.row(&cells);
    }
    Ok((out.finish(), rows.len()))
}

// ---- changes ----------------------------------------------------------

struct ThreadToMove {
    id: i64,
    client: String,
    /// The client's conversation already on the destination, if any.
    existing: Option<i64>,
}

struct QuarantinePlan {
    until: DateTime<Utc>,
    reason: numbers::QuarantineReason,
    note: String,
    dest: Option<ThreadMove>,
    dest_display: String,
    moves: Vec<ThreadToMove>,
    /// The destination becomes this sitter's number.
    dest_sitter: Option<i64>,
    /// Windows closed because their conversations go to the owner inbox: (id, starts_at).
    close: Vec<(i64, i64)>,
}

enum Change {
    Quarantine(QuarantinePlan),
    ReleaseFromQuarantine,
    ReleaseToPool,
    KeepQuarantined {
        keep: bool,
    },
    /// `moves`: an active number's conversations move first (as in a quarantine).
    Release {
        moves: Option<Box<Plan>>,
        cost: Option<i64>,
    },
    Assign {
        sitter: i64,
        sitter_name: String,
    },
}

struct Plan {
    number: NumberFacts,
    lines: Vec<String>,
    change: Change,
}

fn refuse(e: impl std::fmt::Display) -> AppError {
    AppError::Conflict(e.to_string())
}

async fn current_threads(c: &mut AnyConnection, number: NumberId) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT t.id, t.client_id, cl.name FROM threads t JOIN clients cl ON cl.id = t.client_id
         WHERE t.number_id = $1 AND t.is_current = 1 ORDER BY cl.name, t.id",
    )
    .bind(number.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("client_id")?, r.try_get("name")?)))
    .collect()
}

/// Refuses a change to a number that still carries open or upcoming
/// windows, naming their clients.
fn no_open_windows(shown: &str, windows: Option<&Vec<(String, i64)>>) -> AppResult<()> {
    let Some(w) = windows else { return Ok(()) };
    let mut clients: Vec<String> = Vec::new();
    for (c, _) in w {
        if !clients.contains(c) {
            clients.push(c.clone());
        }
    }
    Err(refuse(format!(
        "{shown} still has {} ({}). Move or delete them in Assignments first.",
        plural(w.len(), "open or upcoming window", "open or upcoming windows"),
        names(&clients)
    )))
}

fn names(list: &[String]) -> String {
    const SHOW: usize = 5;
    if list.len() <= SHOW {
        list.join(", ")
    } else {
        format!("{} and {} more", list[..SHOW].join(", "), list.len() - SHOW)
    }
}

async fn plan(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    id: i64,
    action: &NumberAction,
    now: DateTime<Utc>,
) -> AppResult<Plan> {
    plan_for(c, ctx, id, action, now, false).await
}

/// `leaving`: the number's sitter is being deactivated, so its
/// conversations go to another active number of theirs, else to the owner
/// inbox, and no free number is handed to them.
async fn plan_for(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    id: i64,
    action: &NumberAction,
    now: DateTime<Utc>,
    leaving: bool,
) -> AppResult<Plan> {
    let all = number_facts(c, ctx.id).await?;
    let n = all
        .iter()
        .find(|f| f.id.0 == id)
        .cloned()
        .ok_or_else(|| AppError::NotFound("That number isn't in your inventory.".into()))?;
    let shown = n.e164.display();
    let windows = unfinished_windows(c, ctx.id, now).await?;
    let p = PlanInput { ctx, n: &n, all: &all, windows: &windows, now, leaving, shown: &shown };
    let mut lines = Vec::new();
    let change = match action {
        NumberAction::Quarantine { reason, note } => plan_quarantine(c, &p, reason, note, &mut lines).await?,
        NumberAction::ReleaseFromQuarantine => plan_release_from_quarantine(&p, &mut lines)?,
        NumberAction::KeepQuarantined { keep } => plan_keep_quarantined(&p, *keep, &mut lines)?,
        NumberAction::ReleaseToProvider => plan_release_to_provider(c, &p, &mut lines).await?,
        NumberAction::ReleaseToPool => plan_release_to_pool(c, &p, &mut lines).await?,
        NumberAction::AssignToSitter { sitter, confirm_unregistered } => {
            plan_assign(c, &p, sitter, confirm_unregistered, &mut lines).await?
        }
    };
    Ok(Plan { number: n, lines, change })
}

/// What every action's plan reads.
#[derive(Clone, Copy)]
struct PlanInput<'a> {
    ctx: &'a OrgContext,
    n: &'a NumberFacts,
    all: &'a [NumberFacts],
    windows: &'a HashMap<i64, Vec<(String, i64)>>,
    now: DateTime<Utc>,
    leaving: bool,
    shown: &'a str,
}

/// Quarantine: where its conversations go, which windows close, and what
/// the owner is told.
async fn plan_quarantine(
    c: &mut AnyConnection,
    p: &PlanInput<'_>,
    reason: &Option<numbers::QuarantineReason>,
    note: &str,
    lines: &mut Vec<String>,
) -> AppResult<Change> {
    let PlanInput { ctx, n, all, windows, now, leaving, shown, .. } = *p;
    let tz = ctx.tz;
    let until = numbers::quarantine(n, all, *reason, note, now, ctx.settings.cooldown_days).map_err(refuse)?;
    let reason = reason.ok_or_else(|| refuse(numbers::LifecycleError::ReasonMissing))?;
    // Pool numbers lent to an unfinished booking aren't free to take over.
    let candidates: Vec<NumberFacts> =
        all.iter().filter(|o| !(o.class == NumberClass::Pool && windows.contains_key(&o.id.0))).cloned().collect();
    // A leaving sitter's numbers all go; a released number is gone:
    // their conversations go to the owner inbox on a Front Desk number.
    let dest = if leaving {
        candidates
            .iter()
            .filter(|o| o.id != n.id && o.class == NumberClass::FrontDesk && o.status == NumberStatus::Active)
            .min_by(|a, b| a.e164.cmp(&b.e164))
            .map(|fd| ThreadMove::ToOwnerInbox(fd.id))
    } else {
        numbers::quarantine_destination(n, &candidates, now)
    };
    lines.push(format!(
        "{shown} goes into quarantine until {} ({}): nobody gets it before then, and the cooldown can't be shortened.",
        tz.date(until),
        plural(ctx.settings.cooldown_days as usize, "day", "days")
    ));
    lines.push(format!(
        "Reason recorded: {}{}.",
        reason.label(),
        Some(note.trim()).filter(|t| !t.is_empty()).map(|t| format!(" — {t}")).unwrap_or_default()
    ));
    let dest_id = match &dest {
        Some(ThreadMove::ToNumber(d)) | Some(ThreadMove::ToOwnerInbox(d)) => Some(*d),
        None => None,
    };
    let dest_display =
        dest_id.and_then(|d| all.iter().find(|o| o.id == d)).map(|o| o.e164.display()).unwrap_or_default();
    let moves = threads_to_move(c, n.id, dest_id).await?;
    let who: Vec<String> = moves.iter().map(|m| m.client.clone()).collect();
    let mut dest_sitter = None;
    let mut close = Vec::new();
    match (&dest, moves.is_empty()) {
        (_, true) => lines.push("No conversations use it, so nothing moves.".into()),
        (Some(ThreadMove::ToNumber(_)), false) => {
            let class = n.class.label();
            if n.class == NumberClass::Sitter && !leaving {
                dest_sitter = n.sitter_id.map(|s| s.0);
            }
            lines.push(format!(
                "{} {} to {dest_display}, another {class} number: {}. Their history comes along.",
                plural(moves.len(), "conversation", "conversations"),
                if moves.len() == 1 { "moves" } else { "move" },
                names(&who)
            ));
        }
        (Some(ThreadMove::ToOwnerInbox(_)), false) => {
            let moving = format!(
                "{} {} to the owner inbox on the Front Desk number {dest_display}: {}.",
                plural(moves.len(), "conversation", "conversations"),
                if moves.len() == 1 { "moves" } else { "move" },
                names(&who)
            );
            lines.push(if leaving {
                moving
            } else {
                format!("No other {} number is free, so {moving}", n.class.label())
            });
            let ids = moves.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", ");
            close = sqlx::query(&format!(
                "SELECT id, starts_at FROM assignment_windows WHERE thread_id IN ({ids}) AND deleted_at IS NULL AND ends_at > $1"
            ))
            .bind(ms(now))
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("starts_at")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
            if !close.is_empty() {
                lines.push(format!(
                    "{} on them close (the owner answers those clients); book them again in Assignments.",
                    plural(close.len(), "open window", "open windows")
                ));
            }
        }
        (None, false) => lines.push(format!(
            "There's no Front Desk number to move {} to: texts to {shown} reach the owner inbox, but replies wait until you add one.",
            plural(moves.len(), "conversation", "conversations")
        )),
    }
    if let (Some(s), Some(_)) = (dest_sitter, &dest) {
        if let Some(sitter) = mstore::sitter(c, ctx.id, SitterId(s)).await? {
            let first = sitter.first;
            lines.push(format!("{dest_display} becomes {first}'s number from now on."));
        }
    }
    let merged = moves.iter().filter(|m| m.existing.is_some()).count();
    if merged > 0 {
        lines.push(format!(
            "{} already had a conversation on {dest_display}; they continue there and the old one stays readable.",
            plural(merged, "client", "clients")
        ));
    }
    if !moves.is_empty() {
        lines.push("Each moved conversation gets a note saying why.".into());
    }
    Ok(Change::Quarantine(QuarantinePlan {
        until,
        reason,
        note: note.trim().to_string(),
        dest,
        dest_display,
        moves,
        dest_sitter,
        close,
    }))
}

/// The number's current conversations, each with the one its client
/// already has on `dest` (they continue there), if any.
async fn threads_to_move(
    c: &mut AnyConnection,
    number: NumberId,
    dest: Option<NumberId>,
) -> Result<Vec<ThreadToMove>, sqlx::Error> {
    let mut moves = Vec::new();
    for (tid, client, name) in current_threads(c, number).await? {
        let existing = match dest {
            Some(d) => sqlx::query("SELECT id FROM threads WHERE client_id = $1 AND number_id = $2")
                .bind(client)
                .bind(d.0)
                .fetch_optional(&mut *c)
                .await?
                .map(|r| r.try_get::<i64, _>("id"))
                .transpose()?,
            None => None,
        };
        moves.push(ThreadToMove { id: tid, client: name, existing });
    }
    Ok(moves)
}

fn plan_release_from_quarantine(p: &PlanInput<'_>, lines: &mut Vec<String>) -> AppResult<Change> {
    let PlanInput { ctx, n, now, shown, .. } = *p;
    numbers::release_from_quarantine(n, now, ctx.tz).map_err(refuse)?;
    lines.push(format!("{shown} leaves quarantine and joins the pool: one-time bookings can borrow it."));
    lines.push(
        "Its old conversations stay readable; someone who texts it now reaches the owner inbox until it is lent again."
            .into(),
    );
    Ok(Change::ReleaseFromQuarantine)
}

fn plan_keep_quarantined(p: &PlanInput<'_>, keep: bool, lines: &mut Vec<String>) -> AppResult<Change> {
    let PlanInput { ctx, n, shown, .. } = *p;
    let tz = ctx.tz;
    if n.status != NumberStatus::Quarantined {
        return Err(refuse(numbers::LifecycleError::NotQuarantined(shown.to_string())));
    }
    let until = n.cooldown_until.map(|u| tz.date(u)).unwrap_or_else(|| "the end of its cooldown".into());
    lines.push(if keep {
        format!(
            "{shown} stays quarantined after its cooldown ends ({until}); only releasing it by hand brings it back."
        )
    } else {
        format!("{shown} returns to the pool by itself when its cooldown ends ({until}).")
    });
    Ok(Change::KeepQuarantined { keep })
}

/// Back to the provider: an active number's conversations move first, as
/// in a quarantine.
async fn plan_release_to_provider(
    c: &mut AnyConnection,
    p: &PlanInput<'_>,
    lines: &mut Vec<String>,
) -> AppResult<Change> {
    let PlanInput { ctx, n, all, windows, now, shown, .. } = *p;
    let id = n.id.0;
    numbers::release_to_provider(n, all).map_err(refuse)?;
    no_open_windows(shown, windows.get(&id))?;
    let cost: Option<i64> = sqlx::query("SELECT monthly_cost_cents FROM numbers WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await?
        .try_get("monthly_cost_cents")?;
    lines.push(format!(
        "{shown} goes back to the provider: it stops receiving texts at once, and someone else may buy it."
    ));
    lines.push(match cost {
        Some(cents) => format!("Saves {} a month.", money(cents)),
        None => "Its monthly cost isn't known, so the saving can't be shown.".into(),
    });
    let carried = current_threads(c, n.id).await?;
    let moves = if n.status == NumberStatus::Active && !carried.is_empty() {
        let q = NumberAction::Quarantine {
            reason: Some(numbers::QuarantineReason::ManualReview),
            note: "released to the provider".into(),
        };
        let q = Box::pin(plan_for(c, ctx, id, &q, now, true)).await?;
        lines.extend(
            q.lines
                .iter()
                .filter(|l| !l.contains("goes into quarantine") && !l.starts_with("Reason recorded"))
                .cloned(),
        );
        Some(Box::new(q))
    } else {
        lines.push(match carried.len() {
            0 => "No conversations use it now; its old ones stay readable.".to_string(),
            k => format!(
                "{} still on it can't be answered from it any more (no other number could take them); they stay readable.",
                plural(k, "conversation", "conversations")
            ),
        });
        None
    };
    lines.push("This can't be undone from Leashline.".into());
    Ok(Change::Release { moves, cost })
}

async fn plan_release_to_pool(c: &mut AnyConnection, p: &PlanInput<'_>, lines: &mut Vec<String>) -> AppResult<Change> {
    let PlanInput { ctx, n, windows, now, shown, .. } = *p;
    let tz = ctx.tz;
    let id = n.id.0;
    numbers::release_to_pool(n, now, tz).map_err(refuse)?;
    no_open_windows(shown, windows.get(&id))?;
    match n.sitter_id {
        Some(s) => {
            let first = match mstore::sitter(c, ctx.id, s).await? {
                Some(sitter) => sitter.first,
                None => "The sitter".into(),
            };
            lines.push(format!(
                "{shown} stops being {first}'s number and joins the pool: one-time bookings can borrow it."
            ));
            lines.push(format!("{first} has no sitter number until you assign one."));
        }
        None => lines.push(format!("{shown} joins the pool: one-time bookings can borrow it.")),
    }
    let threads = current_threads(c, n.id).await?.len();
    if threads > 0 {
        lines.push(format!(
            "Its {} stay readable; a client who texts it again reaches the owner inbox and is told to text the Front Desk.",
            plural(threads, "conversation", "conversations")
        ));
    }
    Ok(Change::ReleaseToPool)
}

async fn plan_assign(
    c: &mut AnyConnection,
    p: &PlanInput<'_>,
    sitter: &i64,
    confirm_unregistered: &bool,
    lines: &mut Vec<String>,
) -> AppResult<Change> {
    let PlanInput { ctx, n, all, windows, now, shown, .. } = *p;
    let tz = ctx.tz;
    let id = n.id.0;
    let s = mstore::sitter(c, ctx.id, SitterId(*sitter))
        .await?
        .ok_or_else(|| AppError::field("sitter", "Pick a sitter from the list."))?;
    let (name, first) = (s.name, s.first);
    if !s.active {
        return Err(refuse(format!("{name} is inactive. Activate them in People first.")));
    }
    if n.sitter_id == Some(SitterId(*sitter)) && n.class == NumberClass::Sitter {
        return Err(refuse(format!("{shown} is already {first}'s number.")));
    }
    if let (Some(other), NumberClass::Sitter) = (n.sitter_id, n.class) {
        let holder = match mstore::sitter(c, ctx.id, other).await? {
            Some(holder) => holder.first,
            None => "another sitter".into(),
        };
        return Err(refuse(format!("{shown} is {holder}'s number. Release it to the pool first.")));
    }
    numbers::assign_to_sitter(n, SitterId(*sitter), &first, all, now, tz, *confirm_unregistered).map_err(refuse)?;
    if let (NumberClass::Pool, Some(w)) = (n.class, windows.get(&id)) {
        let (client, until) = &w[0];
        return Err(refuse(format!(
            "{shown} is lent to {client}'s booking until {}. It can be given to a sitter after that.",
            tz.date_time(from_ms(*until))
        )));
    }
    lines.push(format!("{shown} becomes {first}'s number: clients in {first}'s weekly bookings text it."));
    if n.class == NumberClass::Pool {
        lines.push("It leaves the pool; its past loans stay readable.".into());
    }
    if n.registration == Registration::Unregistered {
        lines.push(format!(
            "{shown} isn't registered with the carriers (A2P 10DLC): texts from it may be filtered until it is."
        ));
    }
    Ok(Change::Assign { sitter: *sitter, sitter_name: name })
}

fn impact_of(id: i64, shown: String, r: AppResult<Plan>) -> ItemImpact {
    match r {
        Ok(p) => ItemImpact { id, number: shown, ok: true, lines: p.lines, needs_unregistered_confirm: false },
        Err(e) => {
            let needs = e.to_string().contains("A2P 10DLC") && matches!(e, AppError::Conflict(_));
            ItemImpact { id, number: shown, ok: false, lines: vec![e.to_string()], needs_unregistered_confirm: needs }
        }
    }
}

fn check_ids(ids: &[i64]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::invalid("Select at least one number."));
    }
    if ids.len() > 200 {
        return Err(AppError::invalid("Select at most 200 numbers at a time."));
    }
    Ok(())
}

async fn display_of(c: &mut AnyConnection, org: OrgId, id: i64) -> Result<String, sqlx::Error> {
    Ok(sqlx::query("SELECT e164 FROM numbers WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org.0)
        .fetch_optional(&mut *c)
        .await?
        .and_then(|r| r.try_get::<String, _>("e164").ok())
        .map(|e| E164::from_canonical(&e).map(|e| e.display()).unwrap_or(e))
        .unwrap_or_else(|| format!("Number {id}")))
}

pub async fn preview(u: &SessionUser, ids: &[i64], action: &NumberAction) -> AppResult<Vec<ItemImpact>> {
    check_ids(ids)?;
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    let ctx = mstore::org_context(&mut c, u.org_id).await?;
    let now = now();
    let mut out = Vec::new();
    for &id in ids {
        let shown = display_of(&mut c, u.org_id, id).await?;
        let p = plan(&mut c, &ctx, id, action, now).await;
        if let Err(AppError::Internal(_)) = p {
            return Err(p.err().unwrap_or(AppError::Internal(request_id())));
        }
        out.push(impact_of(id, shown, p));
    }
    Ok(out)
}

pub async fn apply(u: &SessionUser, ids: &[i64], action: &NumberAction) -> AppResult<Vec<ItemResult>> {
    check_ids(ids)?;
    let st = state()?;
    let mut out = Vec::new();
    let mut touched = Vec::new();
    if matches!(action, NumberAction::ReleaseToProvider) {
        // Checked before anything changes: a release needs a working provider.
        provider::for_user(u).await?;
    }
    for &id in ids {
        let mut tx = st.db.begin().await?;
        let ctx = mstore::org_context(&mut tx, u.org_id).await?;
        let shown = display_of(&mut tx, u.org_id, id).await?;
        let now = now();
        match plan(&mut tx, &ctx, id, action, now).await {
            Ok(p) => match execute(&mut tx, &ctx, &u.actor(request_id()), &p, now, &mut touched).await {
                Ok(summary) => {
                    tx.commit().await?;
                    out.push(ItemResult { id, number: shown, ok: true, message: summary });
                }
                // Someone else changed it first: nothing of this is kept.
                Err(AppError::Conflict(why)) => {
                    drop(tx);
                    out.push(ItemResult { id, number: shown, ok: false, message: why });
                }
                Err(e) => return Err(e),
            },
            Err(AppError::Internal(r)) => return Err(AppError::Internal(r)),
            Err(e) => {
                drop(tx);
                out.push(ItemResult { id, number: shown, ok: false, message: e.to_string() });
            }
        }
    }
    if matches!(action, NumberAction::ReleaseToProvider) {
        st.wake_worker();
    }
    for t in touched {
        st.publish(LiveEvent {
            org_id: u.org_id.0,
            thread_id: Some(t),
            owner_only: false,
            kind: "number".into(),
            data: serde_json::json!({}),
        });
    }
    Ok(out)
}

/// Ends the number's current assignment (who or what holds it), if any.
pub(crate) async fn end_assignment(
    c: &mut AnyConnection,
    number: NumberId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE number_assignments SET ended_at = $1 WHERE number_id = $2 AND ended_at IS NULL")
        .bind(ms(now))
        .bind(number.0)
        .execute(&mut *c)
        .await?;
    Ok(())
}

async fn start_assignment(
    c: &mut AnyConnection,
    org: OrgId,
    number: NumberId,
    class: NumberClass,
    sitter: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    end_assignment(c, number, now).await?;
    sqlx::query(
        "INSERT INTO number_assignments (org_id, number_id, sitter_id, class, started_at, reason) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org.0)
    .bind(number.0)
    .bind(sitter)
    .bind(class.as_str())
    .bind(ms(now))
    .bind(reason)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn execute(
    tx: &mut AnyConnection,
    ctx: &OrgContext,
    actor: &audit::Actor,
    p: &Plan,
    now: DateTime<Utc>,
    touched: &mut Vec<i64>,
) -> AppResult<String> {
    let n = &p.number;
    let shown = n.e164.display();
    let (kind, summary, payload) = match &p.change {
        Change::Quarantine(q) => execute_quarantine(tx, ctx, n, q, &p.lines, now, touched).await?,
        Change::ReleaseFromQuarantine => {
            let r = sqlx::query(
                "UPDATE numbers SET status = 'active', class = 'pool', sitter_id = NULL, quarantined_at = NULL,
                     quarantine_reason = NULL, quarantine_note = NULL, keep_quarantined = 0 WHERE id = $1 AND status = 'quarantined'",
            )
            .bind(n.id.0)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(AppError::Conflict(format!("{shown} has already left quarantine.")));
            }
            sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1")
                .bind(n.id.0)
                .execute(&mut *tx)
                .await?;
            start_assignment(tx, ctx.id, n.id, NumberClass::Pool, None, "released from quarantine", now).await?;
            (
                "number.released_from_quarantine",
                format!("{shown} released from quarantine into the pool"),
                serde_json::json!({}),
            )
        }
        Change::KeepQuarantined { keep } => {
            let r = sqlx::query("UPDATE numbers SET keep_quarantined = $1 WHERE id = $2 AND status = 'quarantined'")
                .bind(i16::from(*keep))
                .bind(n.id.0)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(AppError::Conflict(format!("{shown} is not in quarantine any more.")));
            }
            (
                "number.quarantine_kept",
                if *keep {
                    format!("{shown} will stay quarantined after its cooldown")
                } else {
                    format!("{shown} will return to the pool when its cooldown ends")
                },
                serde_json::json!({ "keep": keep }),
            )
        }
        Change::Release { moves, cost } => execute_release(tx, ctx, actor, n, (moves, cost), now, touched).await?,
        Change::ReleaseToPool => {
            sqlx::query("UPDATE numbers SET class = 'pool', sitter_id = NULL WHERE id = $1")
                .bind(n.id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1")
                .bind(n.id.0)
                .execute(&mut *tx)
                .await?;
            start_assignment(tx, ctx.id, n.id, NumberClass::Pool, None, "released to the pool", now).await?;
            (
                "number.released_to_pool",
                format!("{shown} released to the pool. {}", p.lines[1..].join(" ")),
                serde_json::json!({ "previous_sitter_id": n.sitter_id.map(|s| s.0), "previous_class": n.class.as_str() }),
            )
        }
        Change::Assign { sitter, sitter_name } => {
            sqlx::query("UPDATE numbers SET class = 'sitter', sitter_id = $1 WHERE id = $2")
                .bind(sitter)
                .bind(n.id.0)
                .execute(&mut *tx)
                .await?;
            if n.class == NumberClass::Pool {
                sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1")
                    .bind(n.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            start_assignment(tx, ctx.id, n.id, NumberClass::Sitter, Some(*sitter), "assigned by the owner", now)
                .await?;
            (
                "number.assigned",
                format!("{shown} assigned to {sitter_name}"),
                serde_json::json!({ "sitter_id": sitter, "previous_class": n.class.as_str(), "registration": n.registration.as_str() }),
            )
        }
    };
    audit::append(
        &mut *tx,
        ctx.id,
        actor,
        Event::new(kind, "number", n.id.0, summary.clone()).number(n.id.0).payload(payload),
    )
    .await?;
    Ok(summary)
}

/// Releases the number to the provider (its conversations moved first, as
/// planned); the provider is told by a job once this commits.
async fn execute_release(
    tx: &mut AnyConnection,
    ctx: &OrgContext,
    actor: &audit::Actor,
    n: &NumberFacts,
    (moves, cost): (&Option<Box<Plan>>, &Option<i64>),
    now: DateTime<Utc>,
    touched: &mut Vec<i64>,
) -> AppResult<(&'static str, String, serde_json::Value)> {
    let shown = n.e164.display();
    if let Some(q) = moves {
        Box::pin(execute(tx, ctx, actor, q, now, touched)).await?;
    }
    let r = sqlx::query(
        "UPDATE numbers SET status = 'inactive', released_at = $1, sitter_id = NULL, keep_quarantined = 0
         WHERE id = $2 AND status <> 'inactive'",
    )
    .bind(ms(now))
    .bind(n.id.0)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("{shown} has already been released.")));
    }
    end_assignment(tx, n.id, now).await?;
    sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1").bind(n.id.0).execute(&mut *tx).await?;
    // The provider is told by a job once this commits: the guards
    // above decided under the writer, and no network call holds it.
    crate::platform::jobs::enqueue(
        tx,
        crate::platform::jobs::NewJob::now(Some(ctx.id), RELEASE_JOB, serde_json::json!({ "number_id": n.id.0 }))
            .dedupe(format!("{RELEASE_JOB}:{}", n.id.0)),
    )
    .await?;
    Ok((
        "number.released",
        format!(
            "{shown} released to the provider{}",
            cost.map(|c| format!(", saving {} a month", money(c))).unwrap_or_default()
        ),
        serde_json::json!({ "previous_status": n.status.as_str(), "monthly_cost_cents": cost }),
    ))
}

/// Quarantines the number and moves its conversations as planned.
async fn execute_quarantine(
    tx: &mut AnyConnection,
    ctx: &OrgContext,
    n: &NumberFacts,
    q: &QuarantinePlan,
    lines: &[String],
    now: DateTime<Utc>,
    touched: &mut Vec<i64>,
) -> AppResult<(&'static str, String, serde_json::Value)> {
    let QuarantinePlan { until, reason, note, dest, dest_display, moves, dest_sitter, close } = q;
    let shown = n.e164.display();
    let r = sqlx::query(
        "UPDATE numbers SET status = 'quarantined', quarantined_at = $1, quarantine_reason = $2, quarantine_note = $3,
             cooldown_until = $4, sitter_id = NULL WHERE id = $5 AND status = 'active'",
    )
    .bind(ms(now))
    .bind(reason.as_str())
    .bind(Some(note.clone()).filter(|t| !t.is_empty()))
    .bind(ms(*until))
    .bind(n.id.0)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("{shown} is no longer active; someone changed it first.")));
    }
    end_assignment(tx, n.id, now).await?;
    let dest_id = match dest {
        Some(ThreadMove::ToNumber(d)) | Some(ThreadMove::ToOwnerInbox(d)) => Some(*d),
        None => None,
    };
    if let (Some(d), Some(s)) = (dest_id, dest_sitter) {
        sqlx::query("UPDATE numbers SET class = 'sitter', sitter_id = $1 WHERE id = $2")
            .bind(s)
            .bind(d.0)
            .execute(&mut *tx)
            .await?;
        start_assignment(tx, ctx.id, d, NumberClass::Sitter, Some(*s), &format!("replaces quarantined {shown}"), now)
            .await?;
    }
    if let Some(d) = dest_id {
        let to_pool = matches!(dest, Some(ThreadMove::ToNumber(_))) && n.class == NumberClass::Pool;
        if to_pool && !moves.is_empty() {
            sqlx::query("UPDATE threads SET is_current = 0 WHERE number_id = $1").bind(d.0).execute(&mut *tx).await?;
        }
        let why = match note.trim() {
            "" => format!("{shown} was quarantined ({})", reason.label().to_lowercase()),
            n => format!("{shown} was quarantined ({}: {n})", reason.label().to_lowercase()),
        };
        for m in moves {
            move_thread(tx, ctx.id, m, d, &why, dest_display, now, touched).await?;
        }
    }
    for (w, starts) in close {
        let sql = if *starts >= ms(now) {
            "UPDATE assignment_windows SET deleted_at = $1, closed_reason = 'number quarantined' WHERE id = $2"
        } else {
            "UPDATE assignment_windows SET ends_at = $1, closed_reason = 'number quarantined' WHERE id = $2"
        };
        sqlx::query(sql).bind(ms(now)).bind(w).execute(&mut *tx).await?;
    }
    Ok((
        "number.quarantined",
        format!("{shown} quarantined until {}. {}", ctx.tz.date(*until), lines[2..].join(" ")),
        serde_json::json!({
            "reason": reason.as_str(), "note": note, "cooldown_until": ms(*until),
            "moved_to": dest_id.map(|d| d.0), "threads": moves.iter().map(|m| m.id).collect::<Vec<_>>(),
            "windows_closed": close.len(),
        }),
    ))
}

/// Moves one conversation off a quarantined number: onto the destination,
/// or, when the client already has a conversation there, into that one
/// (the old one stays readable). Each gets a note saying why.
#[allow(clippy::too_many_arguments)]
async fn move_thread(
    tx: &mut AnyConnection,
    org: OrgId,
    m: &ThreadToMove,
    d: NumberId,
    why: &str,
    dest_display: &str,
    now: DateTime<Utc>,
    touched: &mut Vec<i64>,
) -> AppResult<()> {
    match m.existing {
        None => {
            sqlx::query("UPDATE threads SET number_id = $1, is_current = 1 WHERE id = $2")
                .bind(d.0)
                .bind(m.id)
                .execute(&mut *tx)
                .await?;
            mstore::note(
                &mut *tx,
                org,
                ThreadId(m.id),
                &format!("{why}; this conversation now uses {dest_display}."),
                now,
            )
            .await?;
            touched.push(m.id);
        }
        Some(e) => {
            sqlx::query("UPDATE threads SET is_current = 0 WHERE id = $1").bind(m.id).execute(&mut *tx).await?;
            sqlx::query("UPDATE threads SET is_current = 1 WHERE id = $1").bind(e).execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE assignment_windows SET thread_id = $1 WHERE thread_id = $2 AND deleted_at IS NULL AND ends_at > $3",
            )
            .bind(e)
            .bind(m.id)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            mstore::note(
                &mut *tx,
                org,
                ThreadId(m.id),
                &format!("{why}; this conversation continues in the one on {dest_display}."),
                now,
            )
            .await?;
            mstore::note(
                &mut *tx,
                org,
                ThreadId(e),
                &format!("{why}; its conversation with this client continues here."),
                now,
            )
            .await?;
            touched.extend([m.id, e]);
        }
    }
    Ok(())
}

/// The job that gives a released number back to the provider.
pub const RELEASE_JOB: &str = "number.release";

/// Gives a released number back to the provider. A number the provider no
/// longer has counts as given back; a refusal raises an alert so the owner
/// can release it in the provider's console (it may still cost money).
pub async fn run_release(
    st: &crate::platform::AppState,
    job: &crate::platform::jobs::Job,
) -> crate::platform::jobs::Outcome {
    use crate::platform::jobs::Outcome;
    match run_release_inner(st, job).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry { error: format!("database: {e}"), after: std::time::Duration::from_secs(30) },
    }
}

async fn run_release_inner(
    st: &crate::platform::AppState,
    job: &crate::platform::jobs::Job,
) -> Result<crate::platform::jobs::Outcome, AppError> {
    use crate::platform::jobs::Outcome;
    let (Some(org), Some(id)) = (job.org_id, job.payload.get("number_id").and_then(|v| v.as_i64())) else {
        return Ok(Outcome::Fail { error: "release job without its number".into() });
    };
    let Some(r) =
        sqlx::query("SELECT e164, provider_sid FROM numbers WHERE id = $1 AND org_id = $2 AND status = 'inactive'")
            .bind(id)
            .bind(org.0)
            .fetch_optional(&st.db.read)
            .await?
    else {
        return Ok(Outcome::Done);
    };
    let e164: String = r.try_get("e164")?;
    let shown = E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164);
    let sid: Option<String> = r.try_get("provider_sid")?;
    let ctx = {
        let mut c = st.db.read.acquire().await?;
        mstore::org_context(&mut c, org).await?
    };
    let outcome = match sid {
        None => Ok(()),
        Some(sid) => match provider::for_org(st, org, ctx.settings.delivery.timeout_seconds as u64).await {
            Ok(p) => p.release(&sid).await,
            Err(e) => {
                Err(provider::ProviderError { code: None, http_status: None, message: e.to_string(), transient: false })
            }
        },
    };
    let refusal = match outcome {
        Ok(()) => None,
        Err(e) if e.http_status == Some(404) => None,
        Err(e) if e.transient && job.attempts < job.max_attempts => {
            return Ok(Outcome::Retry { error: e.message, after: std::time::Duration::from_secs(60) });
        }
        Err(e) => Some(e.explain()),
    };
    let mut tx = st.db.begin().await?;
    match &refusal {
        None => {
            audit::append(
                &mut tx,
                org,
                &audit::Actor::system(None),
                Event::new("number.release_confirmed", "number", id, format!("The provider took back {shown}"))
                    .number(id),
            )
            .await?;
        }
        Some(why) => {
            crate::alerts::service::raise(
                &mut tx,
                org,
                crate::alerts::service::Raise {
                    rule: "number_release_failed",
                    cause_key: format!("release:{id}"),
                    severity: crate::domain::alerts::Severity::Warning,
                    title: format!("The provider didn't take back {shown}"),
                    body: format!(
                        "{shown} is out of service here, but the provider still has it and may keep billing for it: {why} Release it in the provider's console."
                    ),
                    thread_id: None,
                    number_id: Some(id),
                },
                now(),
            )
            .await?;
            audit::append(
                &mut tx,
                org,
                &audit::Actor::system(None),
                Event::new("number.release_failed", "number", id, format!("The provider didn't take back {shown}"))
                    .number(id)
                    .payload(serde_json::json!({ "reason": why })),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(match refusal {
        None => Outcome::Done,
        Some(why) => Outcome::Fail { error: why },
    })
}

/// What deactivating a sitter does to one number they hold: quarantined,
/// its conversations moved (listed in `lines`). Refused like any quarantine.
pub(crate) struct Deactivation(Plan);

impl Deactivation {
    pub(crate) fn lines(&self) -> &[String] {
        &self.0.lines
    }
}

pub(crate) async fn plan_deactivation(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    number: NumberId,
    sitter_name: &str,
    now: DateTime<Utc>,
) -> AppResult<Deactivation> {
    let action = NumberAction::Quarantine {
        reason: Some(numbers::QuarantineReason::ManualReview),
        note: format!("{sitter_name} deactivated"),
    };
    Ok(Deactivation(plan_for(c, ctx, number.0, &action, now, true).await?))
}

/// Carries out a planned deactivation inside the caller's transaction (with
/// the number's own audit event); returns the conversations that moved.
pub(crate) async fn apply_deactivation(
    tx: &mut AnyConnection,
    ctx: &OrgContext,
    actor: &audit::Actor,
    d: &Deactivation,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let mut touched = Vec::new();
    execute(tx, ctx, actor, &d.0, now, &mut touched).await?;
    Ok(touched)
}

/// The sweep: quarantined numbers whose cooldown has ended return to the
/// pool by themselves (SPEC §3.3), each in its own transaction with its
/// audit event, unless the owner chose to keep them quarantined. Returns
/// how many came back.
pub async fn return_cooled_down(st: &crate::platform::AppState) -> AppResult<usize> {
    let now = now();
    let due = sqlx::query(
        "SELECT id, org_id FROM numbers WHERE status = 'quarantined' AND keep_quarantined = 0
           AND cooldown_until IS NOT NULL AND cooldown_until <= $1 ORDER BY cooldown_until, id LIMIT 100",
    )
    .bind(ms(now))
    .fetch_all(&st.db.read)
    .await?;
    let mut back = 0;
    for r in due {
        let (id, org): (i64, i64) = (r.try_get("id")?, r.try_get("org_id")?);
        let mut tx = st.db.begin().await?;
        let ctx = mstore::org_context(&mut tx, OrgId(org)).await?;
        match plan(&mut tx, &ctx, id, &NumberAction::ReleaseFromQuarantine, now).await {
            Ok(p) => {
                // Claims the row (PostgreSQL locks it until commit; another
                // sweep or the owner's "keep" waits, then sees the result).
                let claimed = sqlx::query(
                    "UPDATE numbers SET keep_quarantined = keep_quarantined
                     WHERE id = $1 AND status = 'quarantined' AND keep_quarantined = 0 AND cooldown_until <= $2",
                )
                .bind(id)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                if claimed.rows_affected() == 0 {
                    continue;
                }
                let actor = audit::Actor::system(None);
                let mut touched = Vec::new();
                execute(&mut tx, &ctx, &actor, &p, now, &mut touched).await?;
                tx.commit().await?;
                back += 1;
                st.publish(LiveEvent {
                    org_id: org,
                    thread_id: None,
                    owner_only: true,
                    kind: "number".into(),
                    data: serde_json::json!({ "number_id": id }),
                });
            }
            // Already released by hand, or not due after all: nothing to do.
            Err(AppError::Internal(r)) => return Err(AppError::Internal(r)),
            Err(_) => {}
        }
    }
    Ok(back)
}

// ---- buying and importing --------------------------------------------

pub(crate) fn area_code(input: &str) -> AppResult<String> {
    let a = input.trim();
    if a.len() == 3 && a.bytes().all(|b| b.is_ascii_digit()) && !a.starts_with(['0', '1']) {
        Ok(a.to_string())
    } else {
        Err(AppError::field("area_code", format!("\"{a}\" isn't an area code. Enter three digits, like 512.")))
    }
}

fn provider_refusal(e: provider::ProviderError) -> AppError {
    AppError::Conflict(e.explain())
}

pub async fn search(u: &SessionUser, area: &str) -> AppResult<Vec<Offer>> {
    search_n(u, area, 10).await
}

/// Up to `limit` numbers for sale in the area code.
pub async fn search_n(u: &SessionUser, area: &str, limit: usize) -> AppResult<Vec<Offer>> {
    let area = area_code(area)?;
    let (p, _) = provider::for_user(u).await?;
    let found = p.available_numbers(&area, limit).await.map_err(provider_refusal)?;
    Ok(found
        .into_iter()
        .map(|a| Offer {
            display: a.e164.display(),
            e164: a.e164.as_str().to_string(),
            place: [a.locality, a.region].into_iter().flatten().collect::<Vec<_>>().join(", "),
            monthly_cost: format!("{} a month", money(a.monthly_cost_cents)),
            registered: a.registration != Registration::Unregistered,
        })
        .collect())
}

fn class_of(input: &str) -> AppResult<NumberClass> {
    NumberClass::parse(input.trim())
        .ok_or_else(|| AppError::field("class", "Choose what the number is for: Front Desk, Sitter or Pool."))
}

async fn already_ours(c: &mut AnyConnection, e164: &E164) -> AppResult<()> {
    let r = sqlx::query("SELECT class, status FROM numbers WHERE e164 = $1 AND status <> 'inactive'")
        .bind(e164.as_str())
        .fetch_optional(&mut *c)
        .await?;
    match r {
        Some(r) => {
            let class = NumberClass::parse(&r.try_get::<String, _>("class")?).map(|c| c.label()).unwrap_or("business");
            Err(AppError::Conflict(format!("{} is already in your numbers as a {class} number.", e164.display())))
        }
        None => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    u: &SessionUser,
    ctx: &OrgContext,
    owned: &provider::OwnedNumber,
    class: NumberClass,
    registration: Registration,
    cost: Option<i64>,
    bought: bool,
    hooked_up: bool,
    hookup_base: Option<&str>,
) -> AppResult<Acquired> {
    let st = state()?;
    let now = now();
    let mut tx = st.db.begin().await?;
    already_ours(&mut tx, &owned.e164).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO numbers (org_id, e164, class, status, provider_sid, area_code, monthly_cost_cents, purchased_at, registration,
             hookup_status, hookup_checked_at, created_at, hookup_base_url)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
    )
    .bind(ctx.id.0)
    .bind(owned.e164.as_str())
    .bind(class.as_str())
    .bind(&owned.sid)
    .bind(owned.e164.area_code().map(str::to_string))
    .bind(cost)
    .bind(bought.then(|| ms(now)))
    .bind(registration.as_str())
    .bind(if hooked_up { "verified" } else { "pending" })
    .bind(ms(now))
    .bind(hookup_base)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    start_assignment(&mut tx, ctx.id, NumberId(id), class, None, if bought { "bought" } else { "imported" }, now)
        .await?;
    let shown = owned.e164.display();
    let message = format!(
        "{shown} {} as a {} number.{}",
        if bought { "bought" } else { "imported" },
        class.label(),
        if hooked_up { "" } else { " Run the messaging hookup in Setup so its texts reach Leashline." }
    );
    audit::append(
        &mut tx,
        ctx.id,
        &u.actor(request_id()),
        Event::new(if bought { "number.bought" } else { "number.imported" }, "number", id, message.clone())
            .number(id)
            .payload(serde_json::json!({ "class": class.as_str(), "monthly_cost_cents": cost, "registration": registration.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Acquired { id, message })
}

pub async fn buy(u: &SessionUser, e164: &str, class: &str) -> AppResult<Acquired> {
    let class = class_of(class)?;
    let number = E164::from_canonical(e164.trim())
        .ok_or_else(|| AppError::field("e164", "Pick a number from the search results."))?;
    let st = state()?;
    already_ours(&mut *st.db.read.acquire().await?, &number).await?;
    let (p, ctx) = provider::for_user(u).await?;
    // The offer as the provider lists it now: its price and registration.
    let offer = match number.area_code() {
        Some(a) => p.available_numbers(a, 100).await.ok().and_then(|l| l.into_iter().find(|o| o.e164 == number)),
        None => None,
    };
    let custom = custom_base(u).await?;
    let (sms, status) = provider::webhook_urls(custom.as_deref().unwrap_or(&st.public_base_url));
    let owned = p.buy(&number, &sms, &status).await.map_err(provider_refusal)?;
    let hooked = p.is_demo() || owned.sms_url.as_deref() == Some(sms.as_str());
    record(
        u,
        &ctx,
        &owned,
        class,
        offer.as_ref().map(|o| o.registration).unwrap_or(Registration::Pending),
        offer.map(|o| o.monthly_cost_cents),
        true,
        hooked,
        custom.as_deref(),
    )
    .await
}

pub async fn import(u: &SessionUser, q: &str, class: &str) -> AppResult<Acquired> {
    let class = class_of(class)?;
    let q = q.trim();
    if q.is_empty() {
        return Err(AppError::field("number", "Enter the number (like +1 512 555 0123) or its Twilio id (PN…)."));
    }
    let (p, ctx) = provider::for_user(u).await?;
    let owned = p.find_owned(q).await.map_err(provider_refusal)?;
    let st = state()?;
    already_ours(&mut *st.db.read.acquire().await?, &owned.e164).await?;
    let custom = custom_base(u).await?;
    let (sms, status) = provider::webhook_urls(custom.as_deref().unwrap_or(&st.public_base_url));
    let configured = p.configure(&owned.sid, &sms, &status).await.map_err(provider_refusal)?;
    let hooked = p.is_demo() || configured.sms_url.as_deref() == Some(sms.as_str());
    let registration = if p.is_demo() { Registration::NotApplicable } else { Registration::Pending };
    record(u, &ctx, &configured, class, registration, None, false, hooked, custom.as_deref()).await
}

/// The hookup address the owner chose in Setup, used for numbers added later.
async fn custom_base(u: &SessionUser) -> AppResult<Option<String>> {
    let st = state()?;
    let mut c = st.db.read.acquire().await?;
    crate::setup::store::custom_hookup_base(&mut c, u.org_id.0).await
}
