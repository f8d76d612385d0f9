//! What a sitter may see (SPEC §2), in one place: the messages of a thread
//! that fall inside one of their own assignment windows (never system
//! notes), shown as decided when they were stored (`redaction`), and the
//! threads whose window is active now (live updates). The inbox, search,
//! attachments and the live stream all ask here.

use crate::domain::ids::SitterId;
use crate::platform::ms;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// The text of message `m` as the sitter in placeholder `p_sitter` sees
/// it: what they wrote themselves as they wrote it; anything else as
/// decided when it was stored (hidden entirely if that was never decided).
pub fn sitter_text(p_sitter: &str) -> String {
    format!(
        "(CASE WHEN m.sender_sitter_id = {p_sitter} THEN m.body WHEN m.sitter_spans IS NULL THEN '███'
               ELSE COALESCE(m.sitter_body, m.body) END)"
    )
}

/// Messages `m` a sitter may see: not notes, inside one of their windows.
/// `p_sitter` is the SQL placeholder holding the sitter's id.
pub fn sitter_visible(p_sitter: &str) -> String {
    format!(
        "m.direction <> 'note' AND EXISTS (SELECT 1 FROM assignment_windows w WHERE w.thread_id = m.thread_id AND w.sitter_id = {p_sitter}
           AND w.deleted_at IS NULL AND m.created_at >= w.starts_at AND m.created_at < w.ends_at)"
    )
}

/// Whether the sitter may see message `id` (and so its attachments).
pub async fn sitter_sees_message(c: &mut AnyConnection, sitter: SitterId, id: i64) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) AS n FROM messages m WHERE m.id = $1 AND {}", sitter_visible("$2"));
    let n: i64 = sqlx::query(&sql).bind(id).bind(sitter.0).fetch_one(&mut *c).await?.try_get("n")?;
    Ok(n > 0)
}

/// Whether the sitter's window on `thread` is active at `now`.
pub async fn thread_active_for(
    c: &mut AnyConnection,
    sitter: SitterId,
    thread: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM assignment_windows WHERE thread_id = $1 AND sitter_id = $2 AND deleted_at IS NULL AND starts_at <= $3 AND ends_at > $3",
    )
    .bind(thread)
    .bind(sitter.0)
    .bind(ms(now))
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}
