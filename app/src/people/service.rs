//! Sitters switched on and off (SPEC §4.11). Activation gives a sitter a
//! business number; deactivation quarantines theirs (its conversations
//! move, each with a note), closes their open windows (their clients' texts
//! then reach the owner inbox) and stops their sign-in. Each is previewed
//! with the same sentences it records, and applied in one transaction with
//! its audit event. The server functions and the integration API both call
//! these, with the business and the actor already checked.

use super::store::{self, NewSitter, OpenWindow};
use super::{NewSitterForm, SitterChange, SitterEdit};
use crate::assignments::store::number_facts;
use crate::domain::ids::{NumberId, OrgId, SitterId};
use crate::domain::numbers::{self, NumberClass, NumberFacts, NumberStatus};
use crate::domain::phone::E164;
use crate::error::{AppError, AppResult};
use crate::messaging::store::{self as mstore, OrgContext};
use crate::numbers::store::{apply_deactivation, plan_deactivation, Deactivation};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::state::{LiveEvent, ACCESS_REVOKED};
use crate::platform::{now, AppState, Db};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// Switches a sitter on and gives them a business number. With `preview`,
/// says what would happen and changes nothing.
pub async fn activate(db: &Db, org: OrgId, actor: &Actor, id: SitterId, preview: bool) -> AppResult<SitterChange> {
    let now = now();
    let mut tx = db.begin().await?;
    let tz = mstore::org_context(&mut tx, org).await?.tz;
    let s = store::who(&mut tx, org, id).await?;
    if s.active && s.number.is_some() {
        return Err(AppError::Conflict(format!(
            "{} is already active with {}.",
            s.name,
            s.number.as_deref().and_then(E164::from_canonical).map(|e| e.display()).unwrap_or_default()
        )));
    }
    let mut lines = Vec::new();
    let number = if s.number.is_some() {
        None
    } else {
        let n = store::number_for(&mut tx, org, now).await?.ok_or_else(|| {
            AppError::Conflict(format!(
                "No number is free to give {}. Buy one in Numbers (or release one to the pool), then activate again.",
                s.first
            ))
        })?;
        let all = number_facts(&mut tx, org).await?;
        numbers::assign_to_sitter(&n, id, &s.first, &all, now, tz, true)
            .map_err(|e| AppError::Conflict(e.to_string()))?;
        lines.push(format!(
            "{} becomes {}'s number{}: clients in {}'s weekly windows text it.",
            n.e164.display(),
            s.first,
            if n.class == NumberClass::Pool { " (taken from the pool)" } else { "" },
            s.first
        ));
        Some(n)
    };
    if !s.active {
        lines.push(format!("{} can sign in again and is offered in Assignments.", s.first));
    }
    let summary = format!("Activate {}", s.name);
    if preview {
        return Ok(SitterChange { done: false, summary, lines });
    }
    store::set_active(&mut tx, id, true, now).await?;
    if let Some(n) = &number {
        store::assign_number(&mut tx, org, n.id, id, now).await?;
    }
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("sitter.activated", "sitter", id.0, format!("{} activated. {}", s.name, lines.join(" ")))
            .payload(serde_json::json!({ "number_id": number.as_ref().map(|n| n.id.0) })),
    )
    .await?;
    tx.commit().await?;
    Ok(SitterChange { done: true, summary, lines })
}

/// Switches a sitter off: their number goes into quarantine (cooldown from
/// Settings) and its conversations move, their open windows close so their
/// clients' texts reach the owner inbox, and they can no longer sign in.
pub async fn deactivate(
    st: &AppState,
    org: OrgId,
    actor: &Actor,
    id: SitterId,
    preview: bool,
) -> AppResult<SitterChange> {
    let now = now();
    let mut tx = st.db.begin().await?;
    let ctx = mstore::org_context(&mut tx, org).await?;
    let s = store::who(&mut tx, org, id).await?;
    if !s.active {
        return Err(AppError::Conflict(format!("{} is already inactive.", s.name)));
    }
    let (plans, mut lines) = plan_numbers(&mut tx, &ctx, id, &s.name, now).await?;
    let open = store::open_windows(&mut tx, id, now).await?;
    lines.push(windows_line(&s.first, &open));
    lines.push(format!("{} can no longer sign in.", s.first));
    let summary = format!("Deactivate {}", s.name);
    if preview {
        return Ok(SitterChange { done: false, summary, lines });
    }
    store::close_windows(&mut tx, &open, now).await?;
    let mut moved = Vec::new();
    for (_, p) in &plans {
        moved.extend(apply_deactivation(&mut tx, &ctx, actor, p, now).await?);
    }
    store::set_active(&mut tx, id, false, now).await?;
    // Signed out everywhere, now: open pages and live streams end too.
    let logins = store::sign_out(&mut tx, id).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("sitter.deactivated", "sitter", id.0, format!("{} deactivated. {}", s.name, lines.join(" ")))
            .payload(serde_json::json!({
                "numbers": plans.iter().map(|(n, _)| n.0).collect::<Vec<_>>(), "windows_closed": open.len(),
                "threads_moved": moved,
            })),
    )
    .await?;
    tx.commit().await?;
    announce_deactivation(st, org, &moved, &logins);
    Ok(SitterChange { done: true, summary, lines })
}

/// Each number the sitter holds is quarantined the way Numbers does it: its
/// conversations move (to another number of theirs, else the owner inbox on
/// the Front Desk number), each with a note; the preview lists them.
async fn plan_numbers(
    c: &mut AnyConnection,
    ctx: &OrgContext,
    id: SitterId,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<(Vec<(NumberId, Deactivation)>, Vec<String>)> {
    let held: Vec<NumberFacts> = number_facts(c, ctx.id)
        .await?
        .into_iter()
        .filter(|n| n.sitter_id == Some(id) && n.status == NumberStatus::Active)
        .collect();
    let mut lines = Vec::new();
    let mut plans = Vec::new();
    for n in &held {
        let p = plan_deactivation(c, ctx, n.id, name, now).await.map_err(|e| match e {
            AppError::Internal(r) => AppError::Internal(r),
            other => AppError::Conflict(format!("{name} can't be deactivated yet: {other}")),
        })?;
        // The reason and the windows are said once, for the sitter.
        lines.extend(
            p.lines().iter().filter(|l| !l.starts_with("Reason recorded") && !l.contains("on them close")).cloned(),
        );
        plans.push((n.id, p));
    }
    Ok((plans, lines))
}

fn windows_line(first: &str, open: &[OpenWindow]) -> String {
    if open.is_empty() {
        return format!("{first} has no open windows.");
    }
    let mut clients: Vec<&str> = Vec::new();
    for w in open {
        if !clients.contains(&w.client.as_str()) {
            clients.push(&w.client);
        }
    }
    format!(
        "{} open window{} close now ({}): those clients' texts go to the owner inbox.",
        open.len(),
        if open.len() == 1 { "" } else { "s" },
        clients.join(", ")
    )
}

/// Open pages learn that the moved conversations changed number, and the
/// sitter's own pages that their access ended.
fn announce_deactivation(st: &AppState, org: OrgId, moved: &[i64], logins: &[i64]) {
    for t in moved {
        st.publish(LiveEvent {
            org_id: org.0,
            thread_id: Some(*t),
            owner_only: false,
            kind: "number".into(),
            data: serde_json::json!({}),
        });
    }
    for user in logins {
        st.publish(LiveEvent {
            org_id: org.0,
            thread_id: None,
            owner_only: true,
            kind: ACCESS_REVOKED.into(),
            data: serde_json::json!({ "user_id": user }),
        });
    }
}

fn one_line(field: &str, value: &str, max: usize, what: &str) -> AppResult<()> {
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(AppError::field(field, format!("{what} is 1 to {max} characters on one line.")));
    }
    Ok(())
}

/// A sitter's name, first name (the name's first word when empty) and
/// email (optional, lower-cased), checked; the first wrong one is the error.
fn identity(name: &str, first: &str, email: &str) -> AppResult<(String, String, Option<String>)> {
    let name = name.trim();
    one_line("name", name, 120, "The name")?;
    let first = match first.trim() {
        "" => name.split_whitespace().next().unwrap_or(name).to_string(),
        given => {
            one_line("first_name", given, 60, "The first name")?;
            given.to_string()
        }
    };
    let email = match email.trim() {
        "" => None,
        e if e.contains('@') && e.len() <= 200 && !e.contains(char::is_whitespace) => Some(e.to_lowercase()),
        e => return Err(AppError::field("email", format!("\"{e}\" isn't an email address."))),
    };
    Ok((name.to_string(), first, email))
}

/// A personal phone number as typed (empty = none).
fn phone_of(typed: &str, region: &str) -> AppResult<Option<E164>> {
    match typed.trim() {
        "" => Ok(None),
        p => E164::parse(p, region)
            .map(Some)
            .map_err(|e| AppError::field("phone", format!("\"{p}\" isn't a phone number we can text: {e}"))),
    }
}

/// Edits a sitter's name, first name, personal phone and email (their
/// sign-in follows the email; it can't be emptied while they sign in with
/// it). Returns what changed, one line each; nothing changed writes nothing.
pub async fn edit(db: &Db, org: OrgId, actor: &Actor, f: SitterEdit) -> AppResult<Vec<String>> {
    let (name, first, email) = identity(&f.name, &f.first_name, &f.email)?;
    let mut tx = db.begin().await?;
    let region = mstore::org_context(&mut tx, org).await?.region;
    let phone = phone_of(&f.phone, &region)?;
    let id = SitterId(f.id);
    let old = store::sitter_fields(&mut tx, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That sitter doesn't exist.".into()))?;
    let taken = match (&old.login, &email) {
        (Some(login), Some(e)) if login != e => store::email_taken(&mut tx, e).await?,
        _ => false,
    };
    match (&old.login, &email) {
        (Some(_), None) => {
            return Err(AppError::field(
                "email",
                format!("{} signs in with their email address, so it can't be left empty.", old.first),
            ))
        }
        (_, Some(e)) if taken => {
            return Err(AppError::field("email", format!("{e} already signs in to Leashline. Use another address.")));
        }
        _ => {}
    }
    let shown = |p: &Option<String>| {
        p.as_deref()
            .map(|p| E164::from_canonical(p).map(|e| e.display()).unwrap_or_else(|| p.to_string()))
            .unwrap_or_else(|| "none".into())
    };
    let new_phone = phone.as_ref().map(|p| p.as_str().to_string());
    let changes = audit::changed(vec![
        ("Name", old.name.clone(), name.clone()),
        ("First name", old.first.clone(), first.clone()),
        ("Personal phone", shown(&old.phone), shown(&new_phone)),
        ("Email", old.email.clone().unwrap_or_else(|| "none".into()), email.clone().unwrap_or_else(|| "none".into())),
    ]);
    if changes.is_empty() {
        return Ok(changes);
    }
    let new = NewSitter { name: &name, first: &first, phone: new_phone.as_deref(), email: email.as_deref() };
    store::update_sitter(&mut tx, id, &new).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("sitter.edited", "sitter", id.0, format!("Sitter {name} edited: {}", changes.join("; ")))
            .payload(serde_json::json!({ "changes": changes })),
    )
    .await?;
    tx.commit().await?;
    Ok(changes)
}

/// Adds a sitter (active, no number yet: activating gives them one). With a
/// password, they can sign in with their email straight away.
pub async fn create(db: &Db, org: OrgId, actor: &Actor, f: NewSitterForm) -> AppResult<SitterId> {
    let (name, first, email) = identity(&f.name, &f.first_name, &f.email)?;
    let (name, first) = (name.as_str(), first);
    let password = f.password.as_str();
    if !password.is_empty() {
        if email.is_none() {
            return Err(AppError::field("email", "Add an email address: it's what they sign in with."));
        }
        let email = email.as_deref().unwrap_or_default();
        crate::platform::passwords::check(password, &[name, &first, email])
            .map_err(|e| AppError::field("password", e))?;
    }
    let now = now();
    let mut tx = db.begin().await?;
    let region = mstore::org_context(&mut tx, org).await?.region;
    let phone = phone_of(&f.phone, &region)?;
    let login = match (&email, password.is_empty()) {
        (Some(e), false) => Some(e.as_str()),
        _ => None,
    };
    if let Some(e) = login {
        if store::email_taken(&mut tx, e).await? {
            return Err(AppError::field("email", format!("{e} already signs in to Leashline. Use another address.")));
        }
    }
    let new = NewSitter { name, first: &first, phone: phone.as_ref().map(|p| p.as_str()), email: email.as_deref() };
    let id = store::insert_sitter(&mut tx, org, &new, now).await?;
    let mut said = String::new();
    if let Some(e) = login {
        let hash = crate::platform::crypto::hash_password(password);
        store::insert_login(&mut tx, org, id, e, name, &hash, now).await?;
        said = format!(" They can sign in as {e}.");
    }
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new("sitter.created", "sitter", id.0, format!("Sitter {name} added.{said}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
