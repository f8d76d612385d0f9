//! MMS attachments (SPEC §5): a copy of each is kept under MEDIA_DIR so
//! pictures of pets stay viewable after the provider deletes them. Fetched
//! only from the provider's media hosts (`platform::fetch`); Demo
//! organisations keep the reference and fetch nothing. What the browser is
//! served is decided from the bytes, not from what the sender claimed:
//! pictures, sound and video from a short list are shown, anything else
//! (HTML, SVG, documents) is only ever offered as a download.

use super::provider;
use crate::domain::ids::OrgId;
use crate::platform::crypto::Secrets;
use crate::platform::jobs::{Job, Outcome};
use crate::platform::{ms, AppState};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Largest attachment we keep (Twilio's own MMS limit is 5 MB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Why a Demo organisation's attachments have no copy.
pub const DEMO_NOT_KEPT: &str = "Demo mode doesn't download attachments.";
/// How `message_media.error` starts for an attachment that won't be kept,
/// and for one whose download is being tried again.
pub const NOT_KEPT: &str = "not kept: ";
pub const RETRYING: &str = "retrying: ";

/// The media type of a file we are willing to show inline, read from its
/// first bytes; `None` for everything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, m: &[u8]| bytes.len() >= i + m.len() && &bytes[i..i + m.len()] == m;
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if at(0, &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some("image/png");
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if at(4, b"ftyp") && bytes.len() >= 12 {
        return match &bytes[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => Some("image/heic"),
            b"M4A " => Some("audio/mp4"),
            b"qt  " => Some("video/quicktime"),
            b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3g2a" | b"3gs7" => Some("video/3gpp"),
            b"isom" | b"iso2" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"dash" => {
                Some("video/mp4")
            }
            _ => None,
        };
    }
    if at(0, b"#!AMR") {
        return Some("audio/amr");
    }
    if at(0, b"OggS") {
        return Some("audio/ogg");
    }
    if at(0, b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0) {
        return Some("audio/mpeg");
    }
    None
}

fn extension(sniffed: Option<&str>) -> &'static str {
    match sniffed {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        Some("image/gif") => "gif",
        Some("image/webp") => "webp",
        Some("image/heic") => "heic",
        Some("video/mp4") => "mp4",
        Some("video/quicktime") => "mov",
        Some("video/3gpp") => "3gp",
        Some("audio/mpeg") => "mp3",
        Some("audio/mp4") => "m4a",
        Some("audio/amr") => "amr",
        Some("audio/ogg") => "ogg",
        Some("audio/wav") => "wav",
        _ => "bin",
    }
}

/// Links to attachments carry a signature and an expiry, so a link that
/// leaks (a shared screenshot of the address bar, a referrer) stops working.
/// Expiries fall on 6-hour marks, so the browser can cache a picture for
/// the rest of the window: a link is valid for 6 to 12 hours.
pub fn signed_path(secrets: &Secrets, id: i64, now: DateTime<Utc>) -> String {
    const STEP: i64 = 6 * 3600;
    let exp = (now.timestamp() / STEP + 2) * STEP;
    format!("/media/{id}?exp={exp}&sig={}", secrets.sign(&format!("media/{id}/{exp}")))
}

/// Whether a signed link is genuine and not expired.
pub fn verify_path(secrets: &Secrets, id: i64, exp: i64, sig: &str, now: DateTime<Utc>) -> bool {
    exp >= now.timestamp() && exp <= now.timestamp() + 13 * 3600 && secrets.verify(&format!("media/{id}/{exp}"), sig)
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

async fn not_kept(state: &AppState, media_id: i64, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE message_media SET error = $1 WHERE id = $2")
        .bind(why)
        .bind(media_id)
        .execute(&state.db.write)
        .await
        .map(|_| ())
}

async fn fetch(state: &AppState, job: &Job, media_id: i64) -> Result<Outcome, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT mm.id, mm.message_id, mm.idx, mm.provider_url, mm.stored_path, m.org_id
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
    let p = match provider::for_org(state, org, 30).await {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::Fail { error: e.to_string() }),
    };
    if p.is_demo() {
        not_kept(state, media_id, DEMO_NOT_KEPT).await?;
        return Ok(Outcome::Done);
    }
    let bytes = match p.fetch_media(&url, MAX_BYTES).await {
        Ok((_, bytes)) => bytes,
        Err(e) if e.transient && job.attempts < job.max_attempts => {
            not_kept(state, media_id, &format!("{RETRYING}{}", e.message)).await?;
            return Ok(Outcome::Retry { error: e.message, after: std::time::Duration::from_secs(30) });
        }
        Err(e) => {
            tracing::warn!(media_id, reason = %e.message, "attachment not kept");
            not_kept(state, media_id, &format!("{NOT_KEPT}{}", e.message)).await?;
            return Ok(if e.transient { Outcome::Fail { error: e.message } } else { Outcome::Done });
        }
    };
    // The type we record is the one the bytes show, never the sender's claim.
    let sniffed = sniff(&bytes);
    let rel = format!("{}/{}/{}.{}", org.0, message_id, idx, extension(sniffed));
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
        .bind(sniffed.unwrap_or("application/octet-stream"))
        .bind(ms(Utc::now()))
        .bind(media_id)
        .execute(&state.db.write)
        .await?;
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_pictures_sound_and_video_are_recognised() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0"), Some("video/mp4"));
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg/>"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn signed_links_expire_and_cant_be_forged() {
        let s = Secrets::new("a-test-secret-key-that-is-long-enough-0123");
        let now = Utc::now();
        let path = signed_path(&s, 42, now);
        let q: std::collections::HashMap<&str, &str> =
            path.split_once('?').unwrap().1.split('&').filter_map(|kv| kv.split_once('=')).collect();
        let exp: i64 = q["exp"].parse().unwrap();
        assert!(verify_path(&s, 42, exp, q["sig"], now));
        assert!(exp - now.timestamp() >= 6 * 3600 && exp - now.timestamp() <= 12 * 3600);
        assert!(!verify_path(&s, 43, exp, q["sig"], now), "another attachment");
        assert!(!verify_path(&s, 42, exp + 1, q["sig"], now), "another expiry");
        assert!(!verify_path(&s, 42, exp, q["sig"], now + chrono::Duration::hours(13)), "expired");
        let other = Secrets::new("another-secret-key-that-is-long-enough-456");
        assert!(!verify_path(&other, 42, exp, q["sig"], now), "another server's key");
    }
}
