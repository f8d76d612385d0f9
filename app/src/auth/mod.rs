//! Signing in and out, the first-run "create the owner account" page, and
//! `Me`: who the browser is signed in as. Sessions live on the server
//! (platform::sessions); the browser only ever holds an HttpOnly cookie.

#[cfg(feature = "ssr")]
pub mod lockout;
mod pages;

pub use pages::{CreateOwnerPage, LoginPage};

use crate::domain::ids::{SitterId, UserId};
use crate::domain::roles::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in person, as the pages see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub sitter_id: Option<SitterId>,
    pub org_name: String,
    pub time_zone: String,
    /// Setup finished and readiness verified: sending is allowed.
    pub ready: bool,
    pub diagnostics: bool,
}

impl Me {
    pub fn is_owner(&self) -> bool {
        self.role.manages_business()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Install {
    pub has_owner: bool,
    /// The demo business is loaded: the sign-in page shows its accounts.
    pub demo: bool,
}

pub use crate::domain::accounts::{LOCKED_PREFIX, MIN_PASSWORD};

/// Who a page is rendered for. The server works it out before rendering
/// (see `server::http::attach_session`) and hands it to the browser with
/// the page, so the signed-in frame is built exactly once on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PageSession {
    SignedIn(Me),
    SignedOut,
    /// The session could not be checked (the database is down, say).
    Failed(String),
    /// Only in the browser after an in-app navigation (right after signing
    /// in): nothing came with the page, so ask the server.
    Unknown,
}

/// The session the page request was made with, as worked out before
/// rendering; requests that didn't pass through that step are signed out.
#[cfg(feature = "ssr")]
pub fn page_session() -> PageSession {
    crate::platform::ctx::parts()
        .and_then(|p| p.extensions.get::<PageSession>().cloned())
        .unwrap_or(PageSession::SignedOut)
}

/// Works out who a page request is for: used by the server before it
/// renders a page, so the page can be built once with `Me` in hand.
#[cfg(feature = "ssr")]
pub async fn resolve_page_session(st: &crate::platform::AppState, cookie_header: Option<&str>) -> PageSession {
    let Some(token) = cookie_header.and_then(crate::platform::sessions::token_from_cookie_header) else {
        return PageSession::SignedOut;
    };
    let user = match crate::platform::sessions::lookup(&st.db, &token, crate::platform::now()).await {
        Ok(Some(u)) => u,
        Ok(None) => return PageSession::SignedOut,
        Err(e) => {
            tracing::error!(error = %e, "page session lookup failed");
            return PageSession::Failed(
                "We couldn't check your sign-in: the database didn't answer. Try again in a moment.".into(),
            );
        }
    };
    match load_me(&st.db, user).await {
        Ok(me) => PageSession::SignedIn(me),
        Err(e) => {
            tracing::error!(error = %e, "loading the signed-in user failed");
            PageSession::Failed("We couldn't load your account. Try again in a moment.".into())
        }
    }
}

/// Loads `Me` for a signed-in session user.
#[cfg(feature = "ssr")]
pub async fn load_me(
    db: &crate::platform::Db,
    u: crate::platform::sessions::SessionUser,
) -> crate::error::AppResult<Me> {
    use sqlx::Row;
    let row = sqlx::query("SELECT name, time_zone, ready_at, settings FROM organisations WHERE id = $1")
        .bind(u.org_id.0)
        .fetch_one(&db.read)
        .await?;
    let settings: crate::domain::settings::OrgSettings =
        serde_json::from_str(&row.try_get::<String, _>("settings")?).unwrap_or_default();
    Ok(Me {
        user_id: u.user_id,
        name: u.name,
        email: u.email,
        role: u.role,
        sitter_id: u.sitter_id,
        org_name: row.try_get("name")?,
        time_zone: row.try_get("time_zone")?,
        ready: row.try_get::<Option<i64>, _>("ready_at")?.is_some(),
        diagnostics: settings.diagnostics_mode,
    })
}

#[server]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    crate::platform::run(async move {
        let Some(u) = crate::platform::ctx::current_user().await? else { return Ok(None) };
        let st = crate::platform::state()?;
        Ok(Some(load_me(&st.db, u).await?))
    })
    .await
}

#[server]
pub async fn install_status() -> Result<Install, AppError> {
    crate::platform::run(async move {
        use sqlx::Row;
        let st = crate::platform::state()?;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM users WHERE role = 'owner') AS owners,
                    (SELECT COUNT(*) FROM users WHERE email = 'owner@example.com') AS demo",
        )
        .fetch_one(&st.db.read)
        .await?;
        Ok(Install { has_owner: row.try_get::<i64, _>("owners")? > 0, demo: row.try_get::<i64, _>("demo")? > 0 })
    })
    .await
}

#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        use crate::domain::ids::OrgId;
        use crate::domain::roles::ActorKind;
        use crate::platform::audit::{self, Actor, Event};
        use crate::platform::{crypto, ctx, now, sessions};
        use sqlx::Row;

        let st = crate::platform::state()?;
        let email = email.trim().to_lowercase();
        if email.is_empty() || password.is_empty() {
            return Err(AppError::invalid("Enter your email and password."));
        }
        let ip = ctx::client_ip();
        let t = now();
        let attempt = sessions::begin_attempt(&st.db, &email, ip.as_deref(), t).await?;
        let row = sqlx::query("SELECT id, org_id, name, role, password_hash, active FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&st.db.read)
            .await?;
        // Verify against a fixed hash for unknown emails so timing doesn't tell.
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$P3VzSw8kQ5G0y3b7nF5z0m3tC5bX8q6aZp1fQh0s2Ww";
        let stored = row.as_ref().and_then(|r| r.try_get::<Option<String>, _>("password_hash").ok().flatten());
        let ok = crypto::verify_password(&password, stored.as_deref().unwrap_or(DUMMY)) && stored.is_some();
        if ok {
            sessions::succeeded(&st.db, &attempt).await?;
        }
        let Some(row) = row.filter(|_| ok) else {
            return Err(AppError::invalid("That email and password don't match. Check them and try again."));
        };
        if row.try_get::<i64, _>("active")? == 0 {
            return Err(AppError::Forbidden(
                "This account is switched off. Ask the business owner to turn it back on.".into(),
            ));
        }
        let user_id = UserId(row.try_get("id")?);
        let org = OrgId(row.try_get("org_id")?);
        let name: String = row.try_get("name")?;
        let role = Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::Sitter);
        let mut tx = st.db.begin().await?;
        let token = sessions::create(&mut tx, user_id, ip.as_deref(), ctx::user_agent().as_deref(), t).await?;
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
            .bind(crate::platform::ms(t))
            .bind(user_id.0)
            .execute(&mut *tx)
            .await?;
        let actor = Actor {
            kind: ActorKind::from(role),
            id: Some(user_id.0),
            name: name.clone(),
            request_id: Some(ctx::request_id()),
        };
        audit::append(
            &mut tx,
            org,
            &actor,
            Event::new("auth.signed_in", "user", user_id, format!("{name} signed in"))
                .payload(serde_json::json!({ "ip": ip })),
        )
        .await?;
        tx.commit().await?;
        ctx::set_header(http::header::SET_COOKIE, &sessions::cookie(&token, st.secure_cookies));
        leptos_axum::redirect(if role == Role::Sitter { "/inbox" } else { "/" });
        Ok(())
    })
    .await
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    crate::platform::run(async move {
        use crate::platform::audit::{self, Actor};
        use crate::platform::{ctx, sessions};
        let st = crate::platform::state()?;
        let signed_in = ctx::current_user().await?;
        if let Some(u) = &signed_in {
            let mut tx = st.db.begin().await?;
            let actor = Actor {
                kind: u.role.into(),
                id: Some(u.user_id.0),
                name: u.name.clone(),
                request_id: Some(ctx::request_id()),
            };
            audit::append(
                &mut tx,
                u.org_id,
                &actor,
                audit::Event::new("auth.signed_out", "user", u.user_id, format!("{} signed out", u.name)),
            )
            .await?;
            tx.commit().await?;
        }
        if let Some(token) = ctx::session_token() {
            sessions::revoke(&st.db, &token).await?;
            // Live streams opened with this session end now.
            st.publish(crate::platform::state::LiveEvent {
                org_id: signed_in.as_ref().map(|u| u.org_id.0).unwrap_or_default(),
                thread_id: None,
                owner_only: true,
                kind: crate::platform::state::ACCESS_REVOKED.into(),
                data: serde_json::json!({ "session": sessions::token_hash(&token) }),
            });
        }
        ctx::set_header(http::header::SET_COOKIE, &sessions::clear_cookie(st.secure_cookies));
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Texts a 6-digit unlock code to a locked account's own mobile number.
/// The answer is the same whether or not the account exists.
#[server]
pub async fn request_unlock_code(email: String) -> Result<String, AppError> {
    crate::platform::run(async move {
        use crate::platform::{ctx, now};
        let st = crate::platform::state()?;
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(AppError::field("email", "Enter the email you sign in with."));
        }
        lockout::send_code(&st, &email, now(), ctx::request_id()).await?;
        Ok(lockout::SENT.to_string())
    })
    .await
}

/// Unlocks an account with the code texted to it; then sign in as usual.
#[server]
pub async fn unlock_account(email: String, code: String) -> Result<(), AppError> {
    crate::platform::run(async move {
        use crate::platform::{ctx, now};
        let st = crate::platform::state()?;
        let email = email.trim().to_lowercase();
        let ip = ctx::client_ip();
        // Guessing codes counts against the address like guessing passwords.
        crate::platform::sessions::check_address(&st.db, ip.as_deref(), now()).await?;
        let res = lockout::unlock_with_code(&st, &email, &code, now(), ctx::request_id()).await;
        if res.is_err() {
            if let Some(ip) = ip.as_deref() {
                crate::platform::sessions::record_address_failure(&st.db, ip, now()).await?;
            }
        }
        res
    })
    .await
}

/// The signed-in person's own mobile number (for unlock codes), formatted.
#[server]
pub async fn my_phone() -> Result<Option<String>, AppError> {
    crate::platform::run(async move {
        use sqlx::Row;
        let u = crate::platform::ctx::require_user().await?;
        let st = crate::platform::state()?;
        let phone: Option<String> = sqlx::query("SELECT phone FROM users WHERE id = $1")
            .bind(u.user_id.0)
            .fetch_one(&st.db.read)
            .await?
            .try_get("phone")?;
        Ok(phone.map(|p| crate::domain::phone::E164::from_canonical(&p).map(|e| e.display()).unwrap_or(p)))
    })
    .await
}

#[server]
pub async fn set_my_phone(phone: String) -> Result<Option<String>, AppError> {
    crate::platform::run(async move {
        let u = crate::platform::ctx::require_user().await?;
        let st = crate::platform::state()?;
        lockout::set_phone(&st, &u, &phone, crate::platform::ctx::request_id()).await
    })
    .await
}

/// First run only: creates the business and its owner account.
#[server]
pub async fn create_owner(
    business_name: String,
    name: String,
    email: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    crate::platform::run(async move {
        use crate::domain::ids::OrgId;
        use crate::platform::audit::{self, Actor, Event};
        use crate::platform::{crypto, ctx, ms, now, sessions};
        use crate::domain::roles::ActorKind;
        use sqlx::Row;

        let st = crate::platform::state()?;
        let business_name = business_name.trim().to_string();
        let name = name.trim().to_string();
        let email = email.trim().to_lowercase();
        if business_name.is_empty() {
            return Err(AppError::field("business_name", "Enter your business name."));
        }
        if name.is_empty() {
            return Err(AppError::field("name", "Enter your name."));
        }
        if !(email.contains('@') && email.contains('.') && email.len() >= 5 && !email.contains(' ')) {
            return Err(AppError::field("email", "Enter a valid email address, like you@yourbusiness.com."));
        }
        crate::platform::passwords::check(&password, &[&name, &email, &business_name])
            .map_err(|e| AppError::field("password", e))?;
        if password != password_again {
            return Err(AppError::field("password_again", "The two passwords don't match."));
        }
        let t = now();
        let mut tx = st.db.begin().await?;
        let owners: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'owner'").fetch_one(&mut *tx).await?.try_get("n")?;
        if owners > 0 {
            return Err(AppError::Conflict("This installation already has an owner. Sign in instead.".into()));
        }
        let settings = serde_json::to_string(&crate::domain::settings::OrgSettings::default())?;
        let org: i64 = sqlx::query("INSERT INTO organisations (name, settings, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(&business_name)
            .bind(&settings)
            .bind(ms(t))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        sqlx::query("INSERT INTO setup_progress (org_id, updated_at) VALUES ($1, $2)").bind(org).bind(ms(t)).execute(&mut *tx).await?;
        let user: i64 = sqlx::query(
            "INSERT INTO users (org_id, email, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, 'owner', $5) RETURNING id",
        )
        .bind(org)
        .bind(&email)
        .bind(&name)
        .bind(crypto::hash_password(&password))
        .bind(ms(t))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let actor = Actor { kind: ActorKind::Owner, id: Some(user), name: name.clone(), request_id: Some(ctx::request_id()) };
        audit::append(&mut tx, OrgId(org), &actor, Event::new("organisation.created", "organisation", org, format!("{name} created {business_name}")))
            .await?;
        audit::append(&mut tx, OrgId(org), &actor, Event::new("user.created", "user", user, format!("Owner account for {name} ({email}) created")))
            .await?;
        let token = sessions::create(&mut tx, UserId(user), ctx::client_ip().as_deref(), ctx::user_agent().as_deref(), t).await?;
        tx.commit().await?;
        ctx::set_header(http::header::SET_COOKIE, &sessions::cookie(&token, st.secure_cookies));
        leptos_axum::redirect("/setup");
        Ok(())
    })
    .await
}
