//! Changing your password: load the stored hash → check the current
//! password (throttled like a sign-in) and the new one (the sign-up rules)
//! → store it and end your other sessions, with the audit event, in one
//! transaction. Reset links: made by the owner for a sitter, used once.

use super::{store, PasswordForm, ResetLink};
use crate::domain::ids::SitterId;
use crate::domain::roles::{ActorKind, Role};
use crate::error::{AppError, AppResult};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::sessions::{self, SessionUser};
use crate::platform::state::{LiveEvent, ACCESS_REVOKED};
use crate::platform::{crypto, now, passwords, AppState, Db};

pub async fn change_password(db: &Db, u: &SessionUser, actor: &Actor, f: PasswordForm) -> AppResult<u64> {
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
    // A wrong current password counts as a failed sign-in of the account
    // (not of the network: the person is signed in), judged as a sign-in is.
    let attempt = sessions::begin_attempt(db, &u.email, None, now).await?;
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

/// How long a reset link works.
const RESET_HOURS: i64 = 24;

const LINK_GONE: &str = "This link has expired or was already used. Ask the business owner for a new one.";

/// A one-time link for a sitter to choose a new password: stored hashed,
/// replacing their earlier unused links, audited; the link itself is
/// returned once and never again.
pub async fn make_reset_link(st: &AppState, u: &SessionUser, actor: &Actor, sitter: SitterId) -> AppResult<ResetLink> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let (user, name) = store::sitter_user(&mut tx, u.org_id, sitter)
        .await?
        .ok_or_else(|| AppError::NotFound("That sitter has no sign-in that is switched on.".into()))?;
    let token = crypto::random_token();
    let expires = now + chrono::Duration::hours(RESET_HOURS);
    store::insert_reset(&mut tx, &sessions::token_hash(&token), u.org_id, user, u.user_id, now, expires).await?;
    let tz = crate::messaging::store::org_context(&mut tx, u.org_id).await?.tz;
    let until = tz.time_relative_to(expires, now);
    audit::append(
        &mut tx,
        u.org_id,
        actor,
        Event::new(
            "user.reset_link_made",
            "user",
            user.0,
            format!("{} made a password reset link for {name}, valid until {until}", actor.name),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ResetLink { name, url: format!("{}/reset/{token}", st.public_base_url.trim_end_matches('/')), expires: until })
}

/// The link's row if it still works; a wrong or spent one counts against
/// the address like a wrong unlock code.
async fn usable_link(db: &Db, token: &str, ip: Option<&str>) -> AppResult<store::ResetRow> {
    let now = now();
    sessions::check_address(db, ip, now).await?;
    let row = {
        let mut c = db.read.acquire().await?;
        store::reset_row(&mut c, &sessions::token_hash(token.trim()), now).await?
    };
    match row {
        Some(r) if r.usable => Ok(r),
        _ => {
            if let Some(ip) = ip {
                sessions::record_address_failure(db, ip, now).await?;
            }
            Err(AppError::NotFound(LINK_GONE.into()))
        }
    }
}

/// Whose link it is, while it works.
pub async fn check_reset_link(db: &Db, token: &str, ip: Option<&str>) -> AppResult<String> {
    Ok(usable_link(db, token, ip).await?.name)
}

/// Sets the new password through the link: used up, every session of the
/// person ended, audited as them.
pub async fn reset_password(
    st: &AppState,
    token: &str,
    new: &str,
    again: &str,
    ip: Option<&str>,
    request_id: String,
) -> AppResult<()> {
    let db = &st.db;
    let r = usable_link(db, token, ip).await?;
    passwords::check(new, &[&r.name, &r.email]).map_err(|e| AppError::field("new", e))?;
    if new != again {
        return Err(AppError::field("again", "The two passwords don't match."));
    }
    let now = now();
    // Hashed before the write transaction: SQLite has one writer.
    let hash = crypto::hash_password(new);
    let mut tx = db.begin().await?;
    if !store::use_reset(&mut tx, &sessions::token_hash(token.trim()), r.user, &hash, now).await? {
        return Err(AppError::NotFound(LINK_GONE.into()));
    }
    sessions::clear_failures(&mut tx, &r.email, now).await?;
    let kind = Role::parse(&r.role).map(ActorKind::from).unwrap_or(ActorKind::System);
    let actor = Actor { kind, id: Some(r.user.0), name: r.name.clone(), request_id: Some(request_id) };
    audit::append(
        &mut tx,
        r.org,
        &actor,
        Event::new(
            "user.password_reset",
            "user",
            r.user.0,
            format!("{} set a new password with a reset link; every session of theirs was signed out", r.name),
        ),
    )
    .await?;
    tx.commit().await?;
    // Their open live streams end now, not at the next check.
    st.publish(LiveEvent {
        org_id: r.org.0,
        thread_id: None,
        owner_only: true,
        kind: ACCESS_REVOKED.into(),
        data: serde_json::json!({ "user_id": r.user.0 }),
    });
    Ok(())
}
