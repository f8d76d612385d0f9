//! MMS attachments (SPEC §5): every one is fetched with the provider's
//! credentials, following redirects, and a copy kept under MEDIA_DIR so
//! pictures of pets stay viewable after the provider deletes them.

use super::provider;
use crate::domain::ids::OrgId;
use crate::platform::jobs::{Job, Outcome};
use crate::platform::{ms, AppState};
use chrono::Utc;
use sqlx::Row;

/// Largest attachment we keep (Twilio's own MMS limit is 5 MB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

fn extension(content_type: Option<&str>) -> &'static str {
    match content_type.unwrap_or("").split(';').next().unwrap_or("").trim() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/mpeg" => "mp3",
        "text/vcard" | "text/x-vcard" => "vcf",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

pub async fn run_fetch(state: &AppState, job: &Job) -> Outcome {
    let Some(media_id) = job.payload.get("media_id").and_then(|v| v.as_i64()) else {
        return Outcome::Fail { error: "media job without an id".into() };
    };
    match fetch(state, job, media_id).await {
        Ok(o) => o,
        Err(e) => Outcome::Retry { error: format!("database: {e}"), after: std::time::Duration::from_secs(10) },
    }
}

async fn fetch(state: &AppState, job: &Job, media_id: i64) -> Result<Outcome, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT mm.id, mm.message_id, mm.idx, mm.provider_url, mm.content_type, mm.stored_path, m.org_id
         FROM message_media mm JOIN messages m ON m.id = mm.message_id WHERE mm.id = $1",
    )
    .bind(media_id)
    .fetch_optional(&state.db.read)
    .await?
    else {
        return Ok(Outcome::Fail { error: format!("attachment {media_id} not found") });
    };
    if r.try_get::<Option<String>, _>("stored_path")?.is_some() {
        return Ok(Outcome::Done);
    }
    let org = OrgId(r.try_get("org_id")?);
    let message_id: i64 = r.try_get("message_id")?;
    let idx: i64 = r.try_get("idx")?;
    let url: String = r.try_get("provider_url")?;
    let declared: Option<String> = r.try_get("content_type")?;
    let p = match provider::for_org(state, org, 30).await {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Fail { error: e.to_string() }),
    };
    let (content_type, bytes) = match p.fetch_media(&url).await {
        Ok(x) => x,
        Err(e) => {
            sqlx::query("UPDATE message_media SET error = $1 WHERE id = $2")
                .bind(&e.message)
                .bind(media_id)
                .execute(&state.db.write)
                .await?;
            return Ok(if e.transient || job.attempts < job.max_attempts {
                Outcome::Retry { error: e.message, after: std::time::Duration::from_secs(30) }
            } else {
                Outcome::Fail { error: e.message }
            });
        }
    };
    if bytes.len() > MAX_BYTES {
        sqlx::query("UPDATE message_media SET error = 'larger than 10 MB, not kept' WHERE id = $1")
            .bind(media_id)
            .execute(&state.db.write)
            .await?;
        return Ok(Outcome::Done);
    }
    let ct = content_type.or(declared);
    let rel = format!("{}/{}/{}.{}", org.0, message_id, idx, extension(ct.as_deref()));
    let path = state.media_dir.join(&rel);
    if let Some(dir) = path.parent() {
        if let Err(e) = tokio::fs::create_dir_all(dir).await {
            return Ok(Outcome::Retry {
                error: format!("can't create {}: {e}", dir.display()),
                after: std::time::Duration::from_secs(60),
            });
        }
    }
    if let Err(e) = tokio::fs::write(&path, &bytes).await {
        return Ok(Outcome::Retry {
            error: format!("can't write {}: {e}", path.display()),
            after: std::time::Duration::from_secs(60),
        });
    }
    sqlx::query("UPDATE message_media SET stored_path = $1, size_bytes = $2, content_type = $3, fetched_at = $4, error = NULL WHERE id = $5")
        .bind(&rel)
        .bind(bytes.len() as i64)
        .bind(ct.as_deref())
        .bind(ms(Utc::now()))
        .bind(media_id)
        .execute(&state.db.write)
        .await?;
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    #[test]
    fn extensions_follow_the_content_type() {
        assert_eq!(super::extension(Some("image/jpeg")), "jpg");
        assert_eq!(super::extension(Some("image/png; charset=binary")), "png");
        assert_eq!(super::extension(None), "bin");
    }
}
