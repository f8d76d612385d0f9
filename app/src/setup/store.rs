//! The wizard's server side: what the database says about each step, and
//! the changes each step makes, each in one transaction with its audit
//! event. Provider calls happen before the transaction opens, so a slow or
//! failing provider never holds the database.

use super::*;
use crate::domain::numbers::{Hookup, NumberClass};
use crate::domain::setup::{self, Facts, Progress, Step};
use crate::domain::time::BusinessTz;
use crate::error::AppResult;
use crate::messaging::provider::{self, AccountInfo, Provider, TwilioCredentials, TwilioProvider};
use crate::platform::audit::{self, Event};
use crate::platform::ctx::request_id;
use crate::platform::sessions::SessionUser;
use crate::platform::{ms, now, state, AppState};
use sqlx::{AnyConnection, Row};

/// What setup_progress.data holds besides the step sets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Saved {
    mode: Option<String>,
    account: Option<AccountView>,
    hookup_base_url: Option<String>,
}

/// The address this business hooks its numbers to: the one chosen in the
/// wizard's hookup step, or `None` for PUBLIC_BASE_URL.
pub async fn custom_hookup_base(c: &mut AnyConnection, org: i64) -> AppResult<Option<String>> {
    let (_, saved) = progress(c, org).await?;
    Ok(saved.hookup_base_url)
}

async fn progress(c: &mut AnyConnection, org: i64) -> AppResult<(Progress, Saved)> {
    let r = sqlx::query("SELECT completed_steps, skipped_steps, data FROM setup_progress WHERE org_id = $1")
        .bind(org)
        .fetch_optional(&mut *c)
        .await?;
    let Some(r) = r else { return Ok((Progress::default(), Saved::default())) };
    let p = Progress {
        completed: serde_json::from_str(&r.try_get::<String, _>("completed_steps")?).unwrap_or_default(),
        skipped: serde_json::from_str(&r.try_get::<String, _>("skipped_steps")?).unwrap_or_default(),
    };
    let saved = serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
    Ok((p, saved))
}

async fn save_progress(c: &mut AnyConnection, org: i64, p: &Progress, saved: &Saved) -> AppResult<()> {
    let completed = serde_json::to_string(&p.completed)?;
    let skipped = serde_json::to_string(&p.skipped)?;
    let data = serde_json::to_string(saved)?;
    let t = ms(now());
    let finished = p.completed.contains(&Step::Finish.number()).then_some(t);
    let updated = sqlx::query(
        "UPDATE setup_progress SET current_step = $1, completed_steps = $2, skipped_steps = $3, data = $4,
             finished_at = $5, updated_at = $6 WHERE org_id = $7",
    )
    .bind(i64::from(p.resume().number()))
    .bind(&completed)
    .bind(&skipped)
    .bind(&data)
    .bind(finished)
    .bind(t)
    .bind(org)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO setup_progress (org_id, current_step, completed_steps, skipped_steps, data, finished_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org)
        .bind(i64::from(p.resume().number()))
        .bind(&completed)
        .bind(&skipped)
        .bind(&data)
        .bind(finished)
        .bind(t)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

async fn facts(c: &mut AnyConnection, org: i64, p: &Progress, saved: &Saved) -> AppResult<Facts> {
    let o = sqlx::query("SELECT provider_connected_at, provider_label FROM organisations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *c)
        .await?;
    let connected = o.try_get::<Option<i64>, _>("provider_connected_at")?.is_some();
    let label: Option<String> = o.try_get("provider_label")?;
    let mut f = Facts {
        provider_connected: connected,
        account_verified: connected
            && p.completed.contains(&Step::Verify.number())
            && saved.account.as_ref().is_none_or(|a| a.active && Some(&a.label) == label.as_ref()),
        ..Facts::default()
    };
    let rows =
        sqlx::query("SELECT class, status, hookup_status FROM numbers WHERE org_id = $1 AND status <> 'inactive'")
            .bind(org)
            .fetch_all(&mut *c)
            .await?;
    for r in rows {
        let class: String = r.try_get("class")?;
        let status: String = r.try_get("status")?;
        f.numbers += 1;
        if Hookup::parse(&r.try_get::<String, _>("hookup_status")?) == Hookup::Verified {
            f.numbers_hooked_up += 1;
        }
        if status == "active" {
            match NumberClass::parse(&class) {
                Some(NumberClass::FrontDesk) => f.front_desk += 1,
                Some(NumberClass::Sitter) => f.sitter_numbers += 1,
                Some(NumberClass::Pool) => f.pool_numbers += 1,
                None => {}
            }
        }
    }
    Ok(f)
}

pub async fn load(st: &AppState, org: i64) -> AppResult<SetupState> {
    let mut c = st.db.read.acquire().await?;
    let (p, saved) = progress(&mut c, org).await?;
    let f = facts(&mut c, org, &p, &saved).await?;
    let o = sqlx::query("SELECT name, time_zone, provider_kind, provider_label, provider_connected_at, ready_at FROM organisations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut *c)
        .await?;
    let connected = o.try_get::<Option<i64>, _>("provider_connected_at")?.is_some();
    let rows = sqlx::query(
        "SELECT id, e164, class, status, hookup_status, hookup_error FROM numbers
         WHERE org_id = $1 AND status <> 'inactive' ORDER BY class, e164",
    )
    .bind(org)
    .fetch_all(&mut *c)
    .await?;
    let mut numbers = Vec::with_capacity(rows.len());
    for r in rows {
        let e164: String = r.try_get("e164")?;
        let class = NumberClass::parse(&r.try_get::<String, _>("class")?);
        numbers.push(SetupNumber {
            id: r.try_get("id")?,
            display: crate::domain::phone::E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164),
            class,
            quarantined: r.try_get::<String, _>("status")? == "quarantined",
            hookup: Hookup::parse(&r.try_get::<String, _>("hookup_status")?),
            problem: r.try_get("hookup_error")?,
        });
    }
    Ok(SetupState {
        step: p.resume().number(),
        readiness: setup::readiness(&f),
        ready: o.try_get::<Option<i64>, _>("ready_at")?.is_some(),
        progress: p,
        facts: f,
        business_name: o.try_get("name")?,
        time_zone: o.try_get("time_zone")?,
        provider: if connected { o.try_get("provider_kind")? } else { String::new() },
        provider_label: o.try_get("provider_label")?,
        server_credentials: st.config.env_twilio.is_some(),
        account: saved.account,
        numbers,
        public_base_url: st.public_base_url.clone(),
        hookup_base_url: saved.hookup_base_url.unwrap_or_else(|| st.public_base_url.clone()),
    })
}

fn account_view(a: AccountInfo, threshold_cents: i64) -> AccountView {
    AccountView {
        low_balance: setup::low_balance(a.balance_cents, threshold_cents),
        balance: a.balance_cents.map(|c| {
            let cur = a.currency.as_deref().unwrap_or("USD");
            let sign = if cur.eq_ignore_ascii_case("USD") { "$".to_string() } else { format!("{cur} ") };
            format!("{sign}{}.{:02}", c / 100, (c % 100).abs())
        }),
        active: a.status.eq_ignore_ascii_case("active"),
        status: a.status,
        label: a.label,
        name: a.friendly_name,
        checked: now().to_rfc3339(),
    }
}

fn provider_failure(e: provider::ProviderError) -> AppError {
    AppError::Conflict(format!("The connection test failed: {}", e.explain()))
}

pub async fn connect(u: &SessionUser, form: ConnectForm) -> AppResult<SetupState> {
    let st = state()?;
    let org = u.org_id.0;
    let business = form.business_name.trim().to_string();
    if business.is_empty() {
        return Err(AppError::field("business_name", "Enter your business name, as clients know it."));
    }
    if business.chars().count() > 80 {
        return Err(AppError::field("business_name", "Keep the business name under 80 characters."));
    }
    let tz = BusinessTz::offered(&form.time_zone).map_err(|e| AppError::field("time_zone", e))?;
    let (timeout, threshold) = {
        let mut c = st.db.read.acquire().await?;
        let s = crate::messaging::store::org_context(&mut c, u.org_id).await?.settings;
        (s.delivery.timeout_seconds as u64, s.low_balance_cents)
    };
    // Test before saving anything: a failed test changes nothing.
    let (kind, stored_creds, account_sid, info) = match form.mode.as_str() {
        "demo" => {
            if st.config.env_twilio.is_some() {
                return Err(AppError::Conflict(
                    "This server is set to use Twilio (PROVIDER=twilio in its settings), so demo numbers aren't available here."
                        .into(),
                ));
            }
            let p = Provider::Demo(provider::DemoProvider::new(st.db.clone(), u.org_id));
            ("demo", None, None, p.account().await.map_err(provider_failure)?)
        }
        "twilio" => {
            if st.config.env_twilio.is_some() {
                let p = provider::for_org(&st, u.org_id, timeout)
                    .await
                    .map_err(|e| AppError::Unavailable(format!("The server's Twilio settings can't be used: {e}")))?;
                ("twilio", None, None, p.account().await.map_err(provider_failure)?)
            } else {
                let sid = setup::check_account_sid(&form.account_sid).map_err(|e| AppError::field("account_sid", e))?;
                let token = setup::check_auth_token(&form.auth_token).map_err(|e| AppError::field("auth_token", e))?;
                let p = TwilioProvider::new(&sid, &token, &st.config.twilio_api_base_url, timeout);
                let info = p.account().await.map_err(provider_failure)?;
                let creds = TwilioCredentials { account_sid: sid.clone(), auth_token: token };
                ("twilio", Some(provider::encrypt_credentials(&st, &creds)), Some(sid), info)
            }
        }
        _ => return Err(AppError::field("mode", "Choose demo numbers or your Twilio account.")),
    };
    let account = account_view(info, threshold);
    let mut tx = st.db.begin().await?;
    let old =
        sqlx::query("SELECT provider_kind, provider_label, provider_connected_at FROM organisations WHERE id = $1")
            .bind(org)
            .fetch_one(&mut *tx)
            .await?;
    let old_kind: String = old.try_get("provider_kind")?;
    let old_label: Option<String> = old.try_get("provider_label")?;
    let was_connected = old.try_get::<Option<i64>, _>("provider_connected_at")?.is_some();
    let switching = old_kind != kind;
    if switching {
        let in_service: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM numbers WHERE org_id = $1 AND status <> 'inactive'")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if in_service > 0 {
            let from = if old_kind == "demo" { "demo" } else { "Twilio" };
            return Err(AppError::Conflict(format!(
                "You have {in_service} {from} number{} in service, and they can't move to another provider. Keep {from}, or start a new installation for the other provider.",
                if in_service == 1 { "" } else { "s" }
            )));
        }
    }
    let changed_account = !was_connected || switching || old_label.as_deref() != Some(account.label.as_str());
    sqlx::query(
        "UPDATE organisations SET name = $1, time_zone = $2, provider_kind = $3, provider_credentials = $4,
             provider_label = $5, provider_connected_at = $6, provider_account_sid = $7 WHERE id = $8",
    )
    .bind(&business)
    .bind(tz.name())
    .bind(kind)
    .bind(stored_creds)
    .bind(&account.label)
    .bind(ms(now()))
    .bind(account_sid)
    .bind(org)
    .execute(&mut *tx)
    .await?;
    let (mut p, mut saved) = progress(&mut tx, org).await?;
    if changed_account {
        p.reconnected();
        sqlx::query("UPDATE organisations SET ready_at = NULL WHERE id = $1").bind(org).execute(&mut *tx).await?;
    }
    p.complete(Step::Connect);
    // The test just read the account: step 2 shows it and is done if active.
    if account.active {
        p.complete(Step::Verify);
    }
    saved.mode = Some(kind.to_string());
    saved.account = Some(account.clone());
    save_progress(&mut tx, org, &p, &saved).await?;
    let what = if kind == "demo" { "demo numbers".to_string() } else { format!("Twilio account {}", account.label) };
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id()),
        Event::new(
            "provider.connected",
            "organisation",
            org,
            format!("Setup: connected {what} for {business} ({})", tz.name()),
        )
        .payload(serde_json::json!({ "provider": kind, "account": account.label, "time_zone": tz.name(), "business_name": business })),
    )
    .await?;
    tx.commit().await?;
    load(&st, org).await
}

/// Step 2: asks the provider again and records what it said.
pub async fn verify(u: &SessionUser) -> AppResult<SetupState> {
    let st = state()?;
    let org = u.org_id.0;
    {
        let mut c = st.db.read.acquire().await?;
        let (p, _) = progress(&mut c, org).await?;
        if !p.is_done(Step::Connect) {
            return Err(AppError::Conflict("Connect your texting provider first (step 1).".into()));
        }
    }
    let (p, ctx) = crate::messaging::provider::for_user(u).await?;
    let account = account_view(p.account().await.map_err(provider_failure)?, ctx.settings.low_balance_cents);
    let mut tx = st.db.begin().await?;
    let (mut p, mut saved) = progress(&mut tx, org).await?;
    let label = account.label.clone();
    let active = account.active;
    saved.account = Some(account);
    if active {
        p.complete(Step::Verify);
    } else {
        p.completed.remove(&Step::Verify.number());
    }
    save_progress(&mut tx, org, &p, &saved).await?;
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id()),
        Event::new(
            "setup.account_checked",
            "organisation",
            org,
            if active {
                format!("Setup: account {label} checked and active")
            } else {
                format!("Setup: account {label} is not active")
            },
        ),
    )
    .await?;
    tx.commit().await?;
    if !active {
        return Err(AppError::Conflict(
            "The Twilio account is suspended or closed. Sort it out in the Twilio console, then check again.".into(),
        ));
    }
    load(&st, org).await
}

fn step_of(n: u8) -> AppResult<Step> {
    Step::from_number(n).ok_or_else(|| AppError::field("step", "There are seven steps, 1 to 7."))
}

/// Next on a step: the server checks the step's requirement again.
pub async fn complete(u: &SessionUser, n: u8) -> AppResult<SetupState> {
    let st = state()?;
    let org = u.org_id.0;
    let step = step_of(n)?;
    if matches!(step, Step::Connect | Step::Verify | Step::Hookup) {
        return Err(AppError::Conflict(format!(
            "\"{}\" completes when its test passes: use the button on that step.",
            step.short()
        )));
    }
    let mut tx = st.db.begin().await?;
    let (mut p, saved) = progress(&mut tx, org).await?;
    if !p.reachable(step) {
        return Err(AppError::Conflict(format!("Finish step {} first.", p.resume().number())));
    }
    let f = facts(&mut tx, org, &p, &saved).await?;
    setup::requirement(step, &f).map_err(AppError::Conflict)?;
    p.complete(step);
    save_progress(&mut tx, org, &p, &saved).await?;
    let summary = if step == Step::Finish {
        sqlx::query("UPDATE organisations SET ready_at = COALESCE(ready_at, $1) WHERE id = $2")
            .bind(ms(now()))
            .bind(org)
            .execute(&mut *tx)
            .await?;
        "Setup finished: the system is ready and texting is switched on".to_string()
    } else {
        format!("Setup: step {} ({}) done", step.number(), step.short())
    };
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id()),
        Event::new(
            if step == Step::Finish { "setup.finished" } else { "setup.step_completed" },
            "organisation",
            org,
            summary,
        )
        .payload(serde_json::json!({ "step": step.number() })),
    )
    .await?;
    tx.commit().await?;
    load(&st, org).await
}

pub async fn skip(u: &SessionUser, n: u8) -> AppResult<SetupState> {
    let st = state()?;
    let org = u.org_id.0;
    let step = step_of(n)?;
    let mut tx = st.db.begin().await?;
    let (mut p, saved) = progress(&mut tx, org).await?;
    if !p.reachable(step) {
        return Err(AppError::Conflict(format!("Finish step {} first.", p.resume().number())));
    }
    p.skip(step).map_err(AppError::Conflict)?;
    save_progress(&mut tx, org, &p, &saved).await?;
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id()),
        Event::new(
            "setup.step_skipped",
            "organisation",
            org,
            format!("Setup: step {} ({}) skipped for now", step.number(), step.short()),
        )
        .payload(serde_json::json!({ "step": step.number() })),
    )
    .await?;
    tx.commit().await?;
    load(&st, org).await
}

/// Step 6: points every number in service at `base` and reads the setting
/// back. Each number gets its own result; the step completes only when all
/// are verified.
pub async fn hookup(u: &SessionUser, base: &str) -> AppResult<HookupRun> {
    let st = state()?;
    let org = u.org_id.0;
    let base = if base.trim().is_empty() { st.public_base_url.clone() } else { base.to_string() };
    let base = setup::check_base_url(&base).map_err(|e| AppError::field("base_url", e))?;
    let rows = {
        let mut c = st.db.read.acquire().await?;
        let (p, _) = progress(&mut c, org).await?;
        if !p.reachable(Step::Hookup) {
            return Err(AppError::Conflict(format!("Finish step {} first.", p.resume().number())));
        }
        sqlx::query("SELECT id, e164, provider_sid FROM numbers WHERE org_id = $1 AND status <> 'inactive' ORDER BY class, e164")
            .bind(org)
            .fetch_all(&mut *c)
            .await?
    };
    if rows.is_empty() {
        return Err(AppError::Conflict(
            "There are no numbers to connect yet: buy a Front Desk number first (step 3).".into(),
        ));
    }
    let (p, _) = crate::messaging::provider::for_user(u).await?;
    let (sms, status) = provider::webhook_urls(&base);
    let mut results = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let e164: String = r.try_get("e164")?;
        let display = crate::domain::phone::E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164);
        let sid: Option<String> = r.try_get("provider_sid")?;
        let outcome = match sid {
            None => Err("Twilio doesn't know this number's id: import it again from Numbers.".to_string()),
            Some(sid) => match p.configure(&sid, &sms, &status).await {
                Err(e) => Err(e.explain()),
                Ok(_) => match p.fetch_number(&sid).await {
                    Err(e) => Err(format!("Set, but reading it back failed: {}", e.explain())),
                    Ok(_) if p.is_demo() => Ok(()),
                    Ok(n) if n.sms_url.as_deref() == Some(sms.as_str()) && n.status_callback.as_deref() == Some(status.as_str()) => Ok(()),
                    Ok(n) => Err(format!(
                        "Twilio still sends its texts to {}. Check the number in the Twilio console isn't managed by another app, then run the hookup again.",
                        n.sms_url.unwrap_or_else(|| "nowhere".into())
                    )),
                },
            },
        };
        results.push((id, display, outcome));
    }
    let t = ms(now());
    let mut tx = st.db.begin().await?;
    for (id, _, outcome) in &results {
        sqlx::query("UPDATE numbers SET hookup_status = $1, hookup_error = $2, hookup_checked_at = $3 WHERE id = $4 AND org_id = $5")
            .bind(if outcome.is_ok() { Hookup::Verified } else { Hookup::Failed }.as_str())
            .bind(outcome.as_ref().err())
            .bind(t)
            .bind(id)
            .bind(org)
            .execute(&mut *tx)
            .await?;
        // Twilio signs each webhook with the address it was sent to: keep it.
        if outcome.is_ok() {
            sqlx::query("UPDATE numbers SET hookup_base_url = $1 WHERE id = $2 AND org_id = $3")
                .bind((base != st.public_base_url).then_some(base.as_str()))
                .bind(id)
                .bind(org)
                .execute(&mut *tx)
                .await?;
        }
    }
    let ok = results.iter().filter(|r| r.2.is_ok()).count();
    let (mut p, mut saved) = progress(&mut tx, org).await?;
    if ok == results.len() {
        p.complete(Step::Hookup);
    } else {
        p.completed.remove(&Step::Hookup.number());
    }
    saved.hookup_base_url = (base != st.public_base_url).then(|| base.clone());
    save_progress(&mut tx, org, &p, &saved).await?;
    audit::append(
        &mut tx,
        u.org_id,
        &u.actor(request_id()),
        Event::new(
            "numbers.hooked_up",
            "organisation",
            org,
            format!("Setup: messaging hookup to {base}: {ok} of {} numbers connected", results.len()),
        )
        .payload(serde_json::json!({
            "base_url": base,
            "connected": ok,
            "failed": results.iter().filter(|r| r.2.is_err()).map(|r| &r.1).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(HookupRun {
        results: results
            .into_iter()
            .map(|(_, display, o)| HookupResult {
                display,
                ok: o.is_ok(),
                message: o.err().unwrap_or_else(|| "Connected and checked".into()),
            })
            .collect(),
        state: load(&st, org).await?,
    })
}
