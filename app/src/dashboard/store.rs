//! The dashboard's numbers: unread conversations, who is on now and next,
//! open violations, failed deliveries, open alerts and recent activity.

use super::{ActivityLine, Today, WindowLine};
use crate::domain::ids::{OrgId, UserId};
use crate::error::AppResult;
use crate::platform::{from_ms, ms, now, Db};
use sqlx::Row;

async fn count(c: &mut sqlx::AnyConnection, sql: &str, org: i64) -> Result<i64, sqlx::Error> {
    sqlx::query(sql).bind(org).fetch_one(&mut *c).await?.try_get::<i64, _>("n")
}

/// Today for one owner of the business (unread counts are theirs).
pub async fn today(db: &Db, org_id: OrgId, user: UserId) -> AppResult<Today> {
    let mut c = db.read.acquire().await?;
    let octx = crate::messaging::store::org_context(&mut c, org_id).await?;
    let tz = octx.tz;
    let now = now();
    let org = org_id.0;
    let unread_threads = crate::inbox::store::unread_threads_of(&mut c, org_id, user.0, None, now).await?;
    let open_violations =
        count(&mut c, "SELECT COUNT(*) AS n FROM policy_violations WHERE org_id = $1 AND status = 'open'", org).await?;
    let failed_deliveries =
        count(&mut c, "SELECT COUNT(*) AS n FROM threads WHERE org_id = $1 AND failed_deliveries > 0", org).await?;
    let mut alerts = (0, 0, 0);
    for r in sqlx::query(
        "SELECT severity, COUNT(*) AS n FROM alerts WHERE org_id = $1 AND status = 'open' GROUP BY severity",
    )
    .bind(org)
    .fetch_all(&mut *c)
    .await?
    {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("severity")?.as_str() {
            "critical" => alerts.0 = n,
            "warning" => alerts.1 = n,
            _ => alerts.2 += n,
        }
    }
    let windows = |active: bool| {
        let sql = if active {
            "SELECT s.first_name AS sitter, cl.name AS client, w.starts_at, w.ends_at FROM assignment_windows w
             JOIN sitters s ON s.id = w.sitter_id JOIN clients cl ON cl.id = w.client_id
             WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.starts_at <= $2 AND w.ends_at > $2 ORDER BY w.ends_at, w.id LIMIT 8"
        } else {
            "SELECT s.first_name AS sitter, cl.name AS client, w.starts_at, w.ends_at FROM assignment_windows w
             JOIN sitters s ON s.id = w.sitter_id JOIN clients cl ON cl.id = w.client_id
             WHERE w.org_id = $1 AND w.deleted_at IS NULL AND w.starts_at > $2 ORDER BY w.starts_at, w.id LIMIT 5"
        };
        sqlx::query(sql).bind(org).bind(ms(now))
    };
    let line = |r: &sqlx::any::AnyRow, active: bool| -> Result<WindowLine, sqlx::Error> {
        Ok(WindowLine {
            sitter: r.try_get("sitter")?,
            client: r.try_get("client")?,
            when: if active {
                format!("until {}", tz.day_time(from_ms(r.try_get("ends_at")?)))
            } else {
                format!("from {}", tz.day_time(from_ms(r.try_get("starts_at")?)))
            },
        })
    };
    let active_now = windows(true).fetch_all(&mut *c).await?.iter().map(|r| line(r, true)).collect::<Result<_, _>>()?;
    let next_up = windows(false).fetch_all(&mut *c).await?.iter().map(|r| line(r, false)).collect::<Result<_, _>>()?;
    let recent = sqlx::query(
        "SELECT at, actor_name, summary FROM audit_events WHERE org_id = $1 AND event_type <> 'api.call' ORDER BY id DESC LIMIT 8",
    )
    .bind(org)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        Ok(ActivityLine {
            when: crate::domain::time::relative(from_ms(r.try_get("at")?), now, tz),
            actor: r.try_get("actor_name")?,
            summary: r.try_get("summary")?,
        })
    })
    .collect::<Result<_, sqlx::Error>>()?;
    Ok(Today {
        business: octx.name.clone(),
        ready: octx.ready,
        demo: octx.demo,
        unread_threads,
        active_now,
        next_up,
        open_violations,
        failed_deliveries,
        alerts,
        recent,
    })
}
