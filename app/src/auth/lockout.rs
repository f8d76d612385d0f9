//! Getting back in after too many failed sign-ins (an attacker guessing
//! can lock the real person out): a one-time code texted from the Front
//! Desk number to the person's own mobile, or an unlock by the business
//! owner (People), or `server user unlock` on the server. The answer to
//! "text me a code" is the same whether or not the account exists.

use crate::domain::ids::{OrgId, UserId};
use crate::domain::phone::E164;
use crate::domain::roles::ActorKind;
use crate::error::{AppError, AppResult};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::crypto::{constant_time_eq, sha256_hex};
use crate::platform::{ms, sessions, AppState};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sqlx::Row;

/// A code works for this long, for this many tries.
pub const CODE_MINUTES: i64 = 10;
pub const CODE_TRIES: i64 = 5;
/// Codes one account may be sent per hour.
pub const CODES_PER_HOUR: i64 = 3;

/// What the sign-in page says after "text me a code", whatever happened.
pub const SENT: &str = "If this account is locked and has a mobile number on file, we've texted it a 6-digit code. It works for 10 minutes.";

struct Account {
    id: UserId,
    org: OrgId,
    name: String,
    role: crate::domain::roles::Role,
    phone: Option<E164>,
}

async fn account(st: &AppState, email: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query("SELECT id, org_id, name, role, phone FROM users WHERE email = $1 AND active = 1")
        .bind(email)
        .fetch_optional(&st.db.read)
        .await?;
    row.map(|r| {
        Ok(Account {
            id: UserId(r.try_get("id")?),
            org: OrgId(r.try_get("org_id")?),
            name: r.try_get("name")?,
            role: crate::domain::roles::Role::parse(&r.try_get::<String, _>("role")?)
                .unwrap_or(crate::domain::roles::Role::Sitter),
            phone: r.try_get::<Option<String>, _>("phone")?.as_deref().and_then(E164::from_canonical),
        })
    })
    .transpose()
}

fn code_hash(user: UserId, code: &str) -> String {
    sha256_hex(format!("unlock/{}/{code}", user.0).as_bytes())
}

fn actor_of(a: &Account, request_id: String) -> Actor {
    Actor { kind: ActorKind::from(a.role), id: Some(a.id.0), name: a.name.clone(), request_id: Some(request_id) }
}

/// Texts a code to a locked account's own mobile number. Quietly does
/// nothing when there's no such account, no number, or nothing to unlock.
pub async fn send_code(st: &AppState, email: &str, now: DateTime<Utc>, request_id: String) -> AppResult<()> {
    let Some(a) = account(st, email).await? else { return Ok(()) };
    let Some(phone) = a.phone.clone() else { return Ok(()) };
    if !sessions::account_locked(&st.db, email, now).await? {
        return Ok(());
    }
    let recent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM unlock_codes WHERE user_id = $1 AND created_at >= $2")
        .bind(a.id.0)
        .bind(ms(now - Duration::hours(1)))
        .fetch_one(&st.db.read)
        .await?
        .try_get("n")?;
    if recent >= CODES_PER_HOUR {
        return Ok(());
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let mut tx = st.db.begin().await?;
    sqlx::query("INSERT INTO unlock_codes (user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(a.id.0)
        .bind(code_hash(a.id, &code))
        .bind(ms(now))
        .bind(ms(now + Duration::minutes(CODE_MINUTES)))
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        a.org,
        &actor_of(&a, request_id),
        Event::new("auth.unlock_code_sent", "user", a.id, format!("Unlock code texted to {}", phone.display())),
    )
    .await?;
    tx.commit().await?;
    let body = format!(
        "Your Leashline unlock code is {code}. It works for {CODE_MINUTES} minutes. If you didn't ask for it, someone may be trying to sign in as you."
    );
    // Sent after answering: waiting for the provider would make a real,
    // locked account answer more slowly than an unknown one.
    let st = st.clone();
    tokio::spawn(async move {
        if let Err(why) = crate::messaging::provider::text_person(&st, a.org, &phone, &body, "unlock").await {
            tracing::warn!(user = a.id.0, %why, "unlock code not sent");
        }
    });
    Ok(())
}

/// Unlocks the account when `code` is its latest unexpired code.
pub async fn unlock_with_code(
    st: &AppState,
    email: &str,
    code: &str,
    now: DateTime<Utc>,
    request_id: String,
) -> AppResult<()> {
    let wrong =
        || AppError::field("code", "That code isn't right, or it has expired. Check the text, or ask for a new code.");
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::field("code", "Enter the 6 digits from the text."));
    }
    let Some(a) = account(st, email).await? else { return Err(wrong()) };
    let mut tx = st.db.begin().await?;
    // The try is counted in the same statement that reads the code, so
    // guesses sent in parallel can't get past the limit.
    let row = sqlx::query(
        "UPDATE unlock_codes SET tries = tries + 1
         WHERE id = (SELECT id FROM unlock_codes WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1)
           AND tries < $3
         RETURNING id, code_hash",
    )
    .bind(a.id.0)
    .bind(ms(now))
    .bind(CODE_TRIES)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    // No code, an expired one, or one out of tries: the same answer as a
    // wrong code, so nothing is learnt about the account.
    let Some(r) = row else { return Err(wrong()) };
    let id: i64 = r.try_get("id")?;
    let stored: String = r.try_get("code_hash")?;
    if !constant_time_eq(stored.as_bytes(), code_hash(a.id, code).as_bytes()) {
        return Err(wrong());
    }
    let mut tx = st.db.begin().await?;
    let used = sqlx::query("UPDATE unlock_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if used.rows_affected() == 0 {
        return Err(wrong());
    }
    sessions::clear_failures(&mut tx, email, now).await?;
    audit::append(
        &mut tx,
        a.org,
        &actor_of(&a, request_id),
        Event::new("auth.unlocked", "user", a.id, format!("{} unlocked their account with a texted code", a.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Clears a person's failed sign-ins on someone's authority: an owner of
/// their business (People) or the server's operator (`server user unlock`).
/// Returns their name.
pub async fn unlock(st: &AppState, user: UserId, within: Option<OrgId>, by: &Actor) -> AppResult<String> {
    let row = sqlx::query("SELECT org_id, email, name FROM users WHERE id = $1 AND ($2 IS NULL OR org_id = $2)")
        .bind(user.0)
        .bind(within.map(|o| o.0))
        .fetch_optional(&st.db.read)
        .await?
        .ok_or_else(|| AppError::NotFound("That person isn't in your business.".into()))?;
    let org = OrgId(row.try_get("org_id")?);
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("name")?;
    let now = crate::platform::now();
    let mut tx = st.db.begin().await?;
    sessions::clear_failures(&mut tx, &email, now).await?;
    audit::append(
        &mut tx,
        org,
        by,
        Event::new("auth.unlocked", "user", user, format!("{} unlocked sign-in for {name}", by.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

/// Sets (or clears) the signed-in person's own mobile number.
pub async fn set_phone(
    st: &AppState,
    u: &sessions::SessionUser,
    phone: &str,
    request_id: String,
) -> AppResult<Option<String>> {
    let phone = phone.trim();
    let mut tx = st.db.begin().await?;
    let region = crate::messaging::store::org_context(&mut tx, u.org_id).await?.region;
    let parsed = match phone {
        "" => None,
        p => Some(
            E164::parse(p, &region)
                .map_err(|e| AppError::field("phone", format!("\"{p}\" isn't a mobile number we can text: {e}")))?,
        ),
    };
    sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
        .bind(parsed.as_ref().map(|p| p.as_str().to_string()))
        .bind(u.user_id.0)
        .execute(&mut *tx)
        .await?;
    let summary = match &parsed {
        Some(p) => format!("{} set their mobile number for unlock codes to {}", u.name, p.display()),
        None => format!("{} removed their mobile number for unlock codes", u.name),
    };
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id),
        Event::new("user.phone_changed", "user", u.user_id, summary),
    )
    .await?;
    tx.commit().await?;
    Ok(parsed.map(|p| p.display()))
}
