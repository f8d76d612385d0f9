//! The notes under the bell: the latest twenty for a person (owners also
//! see the organisation-wide ones), and marking them read.

use super::{NotificationList, NotificationView};
use crate::error::AppResult;
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::SessionUser;
use crate::platform::{from_ms, ms, now, AppState};
use sqlx::Row;

pub async fn list(st: &AppState, u: &SessionUser) -> AppResult<NotificationList> {
    let mut c = st.db.read.acquire().await?;
    let org = crate::messaging::store::org_context(&mut c, u.org_id).await?;
    let now = now();
    let rows = sqlx::query(
        "SELECT id, text, link, created_at, read_at FROM notifications
         WHERE org_id = $1 AND (user_id = $2 OR (user_id IS NULL AND $3 = 1))
         ORDER BY created_at DESC, id DESC LIMIT 20",
    )
    .bind(u.org_id.0)
    .bind(u.user_id.0)
    .bind(i64::from(u.is_owner()))
    .fetch_all(&mut *c)
    .await?;
    let items: Vec<NotificationView> = rows
        .iter()
        .map(|r| {
            Ok(NotificationView {
                id: r.try_get("id")?,
                text: r.try_get("text")?,
                link: r.try_get("link")?,
                when: crate::domain::time::relative(from_ms(r.try_get("created_at")?), now, org.tz),
                unread: r.try_get::<Option<i64>, _>("read_at")?.is_none(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(NotificationList { unread: items.iter().filter(|n| n.unread).count() as i64, items })
}

pub async fn mark_read(st: &AppState, u: &SessionUser, actor: &Actor) -> AppResult<()> {
    let mut tx = st.db.begin().await?;
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $1
         WHERE org_id = $2 AND read_at IS NULL AND (user_id = $3 OR (user_id IS NULL AND $4 = 1))",
    )
    .bind(ms(now()))
    .bind(u.org_id.0)
    .bind(u.user_id.0)
    .bind(i64::from(u.is_owner()))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done > 0 {
        audit::append(
            &mut tx,
            u.org_id,
            actor,
            Event::new("notifications.read", "user", u.user_id.0, format!("{} read {done} notification(s)", u.name)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
