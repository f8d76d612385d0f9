use super::*;
use crate::domain::analytics::{median, response_times, share_within, Author, Msg};
use crate::domain::ids::OrgId;
use crate::domain::time::BusinessTz;
use crate::error::AppResult;
use crate::platform::{from_ms, ms};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use sqlx::Row;
use std::collections::BTreeMap;

/// Longest range, to keep a page fast.
pub const MAX_DAYS: i64 = 92;

fn row(label: String, link: Option<String>, secs: &[i64], target: i64) -> ResponseRow {
    ResponseRow {
        label,
        link,
        responses: secs.len() as i64,
        median_seconds: median(secs),
        within_pct: share_within(secs, target),
    }
}

pub async fn compute(
    c: &mut sqlx::AnyConnection,
    org: OrgId,
    f: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> AppResult<Analytics> {
    let ctx = crate::messaging::store::org_context(c, org).await?;
    let tz = ctx.tz;
    let (from, to) = range(f, tz.local_date(now))?;
    let span = (tz.start_of_day(from), tz.start_of_day(to + Duration::days(1)));
    let target = i64::from(ctx.settings.response_target_minutes) * 60;
    let (mut days, peak) = volume(c, org, tz, (from, to), span).await?;

    let mut responses = response_times(&messages(c, org, span).await?);
    if let Some(s) = f.sitter {
        responses.retain(|r| r.by == Some(s));
    }
    let sitters = sitter_names(c, org).await?;
    let name_of = |id: Option<i64>| match id {
        None => "Owner".to_string(),
        Some(i) => {
            sitters.iter().find(|(s, _)| *s == i).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("Sitter {i}"))
        }
    };

    let all: Vec<i64> = responses.iter().map(|r| r.seconds).collect();
    let overall = row("All replies".into(), None, &all, target);

    let mut per_sitter: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut per_thread: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut per_day: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    for r in &responses {
        per_sitter.entry(name_of(r.by)).or_default().push(r.seconds);
        per_thread.entry(r.thread).or_default().push(r.seconds);
        per_day.entry(tz.local(from_ms(r.asked_at)).date_naive()).or_default().push(r.seconds);
    }
    let by_sitter: Vec<ResponseRow> =
        per_sitter.into_iter().map(|(name, secs)| row(name, None, &secs, target)).collect();
    let by_thread = slowest_threads(c, org, per_thread, target).await?;
    for (date, secs) in per_day {
        if let Some(d) = days.get_mut(&date) {
            d.responses = secs.len() as i64;
            d.median_seconds = median(&secs);
        }
    }
    Ok(Analytics {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        target_minutes: target / 60,
        overall,
        by_sitter,
        by_thread,
        days: days.into_values().collect(),
        peak,
        sitters,
    })
}

/// The days asked for: the last 14 by default, at most `MAX_DAYS`.
fn range(f: &AnalyticsFilter, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = crate::domain::time::form_day(&f.to).map_err(AppError::on("to"))?.unwrap_or(today);
    let from = crate::domain::time::form_day(&f.from).map_err(AppError::on("from"))?.unwrap_or(to - Duration::days(13));
    if from > to {
        return Err(AppError::field("from", "The start date is after the end date."));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::field("from", format!("Pick at most {MAX_DAYS} days at a time.")));
    }
    Ok((from, to))
}

/// Texts per day by kind of number, and inbound texts per hour of the day.
/// The database counts in quarter-hour buckets (every time zone's offset
/// is a multiple of 15 minutes); they are placed on the business's
/// calendar here.
async fn volume(
    c: &mut sqlx::AnyConnection,
    org: OrgId,
    tz: BusinessTz,
    (from, to): (NaiveDate, NaiveDate),
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<(BTreeMap<NaiveDate, DayRow>, Vec<i64>)> {
    const QUARTER: i64 = 900_000;
    let buckets = sqlx::query(
        "SELECT CAST(m.created_at / 900000 AS BIGINT) AS q, n.class, m.direction, COUNT(*) AS n
         FROM messages m JOIN threads t ON t.id = m.thread_id JOIN numbers n ON n.id = t.number_id
         WHERE m.org_id = $1 AND m.created_at >= $2 AND m.created_at < $3
           AND m.status NOT IN ('blocked', 'held')
         GROUP BY m.created_at / 900000, n.class, m.direction",
    )
    .bind(org.0)
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *c)
    .await?;
    let mut days: BTreeMap<NaiveDate, DayRow> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        days.insert(
            d,
            DayRow {
                date: d.format("%Y-%m-%d").to_string(),
                label: d.format("%b %-d").to_string(),
                responses: 0,
                median_seconds: None,
                front_desk: 0,
                sitter: 0,
                pool: 0,
            },
        );
        d += Duration::days(1);
    }
    let mut peak = vec![0i64; 24];
    for r in buckets {
        let q: i64 = r.try_get("q")?;
        let n: i64 = r.try_get("n")?;
        let local = tz.local(from_ms(q * QUARTER));
        if let Some(day) = days.get_mut(&local.date_naive()) {
            match r.try_get::<String, _>("class")?.as_str() {
                "front_desk" => day.front_desk += n,
                "sitter" => day.sitter += n,
                _ => day.pool += n,
            }
        }
        if r.try_get::<String, _>("direction")? == "inbound" {
            peak[local.hour() as usize] += n;
        }
    }
    Ok((days, peak))
}

/// Response times need each message, but only who wrote it and when:
/// small integer rows.
async fn messages(
    c: &mut sqlx::AnyConnection,
    org: OrgId,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<Msg>> {
    let rows = sqlx::query(
        "SELECT thread_id, created_at, sender_sitter_id,
                CAST(CASE WHEN direction = 'inbound' THEN 0 WHEN sender_kind IN ('owner', 'api') THEN 1
                     WHEN sender_kind = 'sitter' THEN 2 ELSE 3 END AS BIGINT) AS who
         FROM messages WHERE org_id = $1 AND created_at >= $2 AND created_at < $3
           AND status NOT IN ('blocked', 'held')",
    )
    .bind(org.0)
    .bind(ms(start))
    .bind(ms(end))
    .fetch_all(&mut *c)
    .await?;
    let mut msgs = Vec::with_capacity(rows.len());
    for r in rows {
        let author = match r.try_get::<i64, _>("who")? {
            0 => Author::Client,
            1 => Author::Human(None),
            2 => Author::Human(r.try_get::<Option<i64>, _>("sender_sitter_id")?),
            _ => Author::Machine,
        };
        msgs.push(Msg { thread: r.try_get("thread_id")?, at: r.try_get("created_at")?, author });
    }
    Ok(msgs)
}

async fn sitter_names(c: &mut sqlx::AnyConnection, org: OrgId) -> AppResult<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, name FROM sitters WHERE org_id = $1 ORDER BY name")
        .bind(org.0)
        .fetch_all(&mut *c)
        .await?;
    let names = rows
        .into_iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("name")?)))
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// Slowest first: those are the conversations to look at. Ranked by median
/// before looking up names so only the 20 shown are labelled.
async fn slowest_threads(
    c: &mut sqlx::AnyConnection,
    org: OrgId,
    per_thread: BTreeMap<i64, Vec<i64>>,
    target: i64,
) -> AppResult<Vec<ResponseRow>> {
    let mut ranked: Vec<(i64, Vec<i64>, Option<i64>)> = per_thread
        .into_iter()
        .map(|(thread, secs)| {
            let m = median(&secs);
            (thread, secs, m)
        })
        .collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    ranked.truncate(20);
    let mut labels: BTreeMap<i64, String> = BTreeMap::new();
    if !ranked.is_empty() {
        let list = ranked.iter().map(|(t, _, _)| t.to_string()).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT t.id, c.name, n.e164 FROM threads t JOIN clients c ON c.id = t.client_id
             JOIN numbers n ON n.id = t.number_id WHERE t.org_id = $1 AND t.id IN ({list})"
        );
        for r in sqlx::query(&sql).bind(org.0).fetch_all(&mut *c).await? {
            let e: String = r.try_get("e164")?;
            let shown = crate::domain::phone::E164::from_canonical(&e).map(|x| x.display()).unwrap_or(e);
            labels.insert(r.try_get("id")?, format!("{} · {shown}", r.try_get::<String, _>("name")?));
        }
    }
    let mut by_thread: Vec<ResponseRow> = ranked
        .into_iter()
        .map(|(thread, secs, _)| {
            let label = labels.remove(&thread).unwrap_or_else(|| format!("Conversation {thread}"));
            row(label, Some(format!("/inbox/{thread}")), &secs, target)
        })
        .collect();
    by_thread.sort_by(|a, b| b.median_seconds.cmp(&a.median_seconds).then(a.label.cmp(&b.label)));
    Ok(by_thread)
}

/// The same figures as the page, one section after another.
pub fn to_csv(a: &Analytics) -> String {
    let mut out = crate::platform::csv::Csv::new();
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let pct = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_default();
    out.row([
        "section".to_string(),
        "name".into(),
        "responses".into(),
        "median_seconds".into(),
        format!("within_target_pct (target {} min)", a.target_minutes),
    ]);
    for (section, rows) in [
        ("overall", std::slice::from_ref(&a.overall)),
        ("sitter", &a.by_sitter[..]),
        ("conversation", &a.by_thread[..]),
    ] {
        for r in rows {
            out.row([
                section.to_string(),
                r.label.clone(),
                r.responses.to_string(),
                opt(r.median_seconds),
                pct(r.within_pct),
            ]);
        }
    }
    out.blank().row(["date", "responses", "median_seconds", "front_desk_messages", "sitter_messages", "pool_messages"]);
    for d in &a.days {
        out.row([
            d.date.clone(),
            d.responses.to_string(),
            opt(d.median_seconds),
            d.front_desk.to_string(),
            d.sitter.to_string(),
            d.pool.to_string(),
        ]);
    }
    out.blank().row(["hour", "client_messages"]);
    for (h, n) in a.peak.iter().enumerate() {
        out.row([format!("{h:02}:00"), n.to_string()]);
    }
    out.finish()
}
