//! Changing your password: load the stored hash → check the current
//! password (throttled like a sign-in) and the new one (the sign-up rules)
//! → store it and end your other sessions, with the audit event, in one
//! transaction.

use super::{store, PasswordForm};
use crate::error::{AppError, AppResult};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::{self, SessionUser};
use crate::platform::{crypto, now, passwords, Db};

pub async fn change_password(
    db: &Db,
    u: &SessionUser,
    actor: &Actor,
    ip: Option<&str>,
    f: PasswordForm,
) -> AppResult<u64> {
    if u.via_key.is_some() {
        return Err(AppError::Forbidden("An API key can't change a password.".into()));
    }
    let now = now();
    if f.current.is_empty() {
        return Err(AppError::field("current", "Type your current password."));
    }
    passwords::check(&f.new, &[&u.name, &u.email]).map_err(|e| AppError::field("new", e))?;
    if f.new != f.again {
        return Err(AppError::field("again", "The two new passwords don't match."));
    }
    if f.new == f.current {
        return Err(AppError::field("new", "That is your current password: choose a new one."));
    }
    // A wrong current password counts as a failed sign-in, checked first.
    sessions::check_rate_limit(db, &u.email, ip, now, false).await?;
    let attempt = sessions::record_attempt(db, &u.email, ip, now).await?;
    let stored = {
        let mut c = db.read.acquire().await?;
        store::password_hash(&mut c, u.user_id).await?
    };
    if !stored.as_deref().is_some_and(|h| crypto::verify_password(&f.current, h)) {
        return Err(AppError::field("current", "That isn't your current password."));
    }
    sessions::succeeded(db, &attempt).await?;
    let hash = crypto::hash_password(&f.new);
    let mut tx = db.begin().await?;
    let ended = store::replace_password(&mut tx, u.user_id, &hash, &u.session_id, now).await?;
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "user.password_changed",
            "user",
            u.user_id.0,
            format!(
                "{} changed their password; {ended} other session{} signed out",
                u.name,
                if ended == 1 { " was" } else { "s were" }
            ),
        )
        .payload(serde_json::json!({ "sessions_ended": ended })),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}
