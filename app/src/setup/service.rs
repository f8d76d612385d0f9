//! The wizard's server side: each step's change, checked against
//! `domain::setup`, written in one transaction with its audit event.
//! Provider calls happen before the transaction opens, so a slow or failing
//! provider never holds the database. The server functions call these for
//! a signed-in owner.

use super::store::{self, Connection};
use super::*;
use crate::domain::ids::OrgId;
use crate::domain::setup::{self, Step};
use crate::domain::time::BusinessTz;
use crate::error::AppResult;
use crate::messaging::provider::{self, AccountInfo, Provider, TwilioCredentials, TwilioProvider};
use crate::platform::audit::{self, Actor, Event};
use crate::platform::{now, AppState};

/// The wizard as it stands: progress, each step's facts, the business and
/// its numbers.
pub async fn load(st: &AppState, org: i64) -> AppResult<SetupState> {
    let mut c = st.db.read.acquire().await?;
    let (p, saved) = store::progress(&mut c, org).await?;
    let f = store::facts(&mut c, org, &p, &saved).await?;
    let o = store::org_row(&mut c, org).await?;
    let numbers = store::numbers(&mut c, org).await?;
    Ok(SetupState {
        step: p.resume().number(),
        readiness: setup::readiness(&f),
        ready: o.ready,
        progress: p,
        facts: f,
        business_name: o.name,
        time_zone: o.time_zone,
        provider: if o.connected { o.provider_kind } else { String::new() },
        provider_label: o.provider_label,
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

/// What a connection test found: the provider kind, credentials to store
/// (encrypted), the account id and the account itself.
type Tested = (&'static str, Option<String>, Option<String>, AccountInfo);

/// Tests the connection the form asks for; nothing is saved here.
async fn test_connection(st: &AppState, org: OrgId, form: &ConnectForm, timeout: u64) -> AppResult<Tested> {
    match form.mode.as_str() {
        "demo" => {
            if st.config.env_twilio.is_some() {
                return Err(AppError::Conflict(
                    "This server is set to use Twilio (PROVIDER=twilio in its settings), so demo numbers aren't available here."
                        .into(),
                ));
            }
            let p = Provider::Demo(provider::DemoProvider::new(st.db.clone(), org));
            Ok(("demo", None, None, p.account().await.map_err(provider_failure)?))
        }
        "twilio" if st.config.env_twilio.is_some() => {
            let p = provider::for_org(st, org, timeout)
                .await
                .map_err(|e| AppError::Unavailable(format!("The server's Twilio settings can't be used: {e}")))?;
            Ok(("twilio", None, None, p.account().await.map_err(provider_failure)?))
        }
        "twilio" => {
            let sid = setup::check_account_sid(&form.account_sid).map_err(|e| AppError::field("account_sid", e))?;
            let token = setup::check_auth_token(&form.auth_token).map_err(|e| AppError::field("auth_token", e))?;
            let p = TwilioProvider::new(&sid, &token, &st.config.twilio_api_base_url, timeout);
            let info = p.account().await.map_err(provider_failure)?;
            let creds = TwilioCredentials { account_sid: sid.clone(), auth_token: token };
            Ok(("twilio", Some(provider::encrypt_credentials(st, &creds)), Some(sid), info))
        }
        _ => Err(AppError::field("mode", "Choose demo numbers or your Twilio account.")),
    }
}

/// Step 1: tests the connection with what was typed and saves it only if
/// it works. Switching provider is refused while numbers are in service.
pub async fn connect(st: &AppState, org: OrgId, actor: &Actor, form: ConnectForm) -> AppResult<SetupState> {
    let org_id = org.0;
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
        let s = crate::messaging::store::org_context(&mut c, org).await?.settings;
        (s.delivery.timeout_seconds as u64, s.low_balance_cents)
    };
    // Test before saving anything: a failed test changes nothing.
    let (kind, stored_creds, account_sid, info) = test_connection(st, org, &form, timeout).await?;
    let account = account_view(info, threshold);
    let mut tx = st.db.begin().await?;
    let old = store::org_row(&mut tx, org_id).await?;
    let switching = old.provider_kind != kind;
    if switching {
        let in_service = store::numbers_in_service(&mut tx, org_id).await?;
        if in_service > 0 {
            let from = if old.provider_kind == "demo" { "demo" } else { "Twilio" };
            return Err(AppError::Conflict(format!(
                "You have {in_service} {from} number{} in service, and they can't move to another provider. Keep {from}, or start a new installation for the other provider.",
                if in_service == 1 { "" } else { "s" }
            )));
        }
    }
    let changed_account = !old.connected || switching || old.provider_label.as_deref() != Some(account.label.as_str());
    let connection = Connection {
        business: &business,
        time_zone: tz.name(),
        kind,
        credentials: stored_creds,
        label: &account.label,
        account_sid,
    };
    store::save_connection(&mut tx, org_id, connection, now()).await?;
    let (mut p, mut saved) = store::progress(&mut tx, org_id).await?;
    if changed_account {
        p.reconnected();
        store::clear_ready(&mut tx, org_id).await?;
    }
    p.complete(Step::Connect);
    // The test just read the account: step 2 shows it and is done if active.
    if account.active {
        p.complete(Step::Verify);
    }
    saved.mode = Some(kind.to_string());
    saved.account = Some(account.clone());
    store::save_progress(&mut tx, org_id, &p, &saved).await?;
    let what = if kind == "demo" { "demo numbers".to_string() } else { format!("Twilio account {}", account.label) };
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            "provider.connected",
            "organisation",
            org_id,
            format!("Setup: connected {what} for {business} ({})", tz.name()),
        )
        .payload(serde_json::json!({ "provider": kind, "account": account.label, "time_zone": tz.name(), "business_name": business })),
    )
    .await?;
    tx.commit().await?;
    load(st, org_id).await
}

/// Step 2: asks the provider again and records what it said.
pub async fn verify(st: &AppState, org: OrgId, actor: &Actor) -> AppResult<SetupState> {
    let org_id = org.0;
    {
        let mut c = st.db.read.acquire().await?;
        let (p, _) = store::progress(&mut c, org_id).await?;
        if !p.is_done(Step::Connect) {
            return Err(AppError::Conflict("Connect your texting provider first (step 1).".into()));
        }
    }
    let (p, ctx) = provider::for_business(st, org).await?;
    let account = account_view(p.account().await.map_err(provider_failure)?, ctx.settings.low_balance_cents);
    let mut tx = st.db.begin().await?;
    let (mut p, mut saved) = store::progress(&mut tx, org_id).await?;
    let label = account.label.clone();
    let active = account.active;
    saved.account = Some(account);
    if active {
        p.complete(Step::Verify);
    } else {
        p.completed.remove(&Step::Verify.number());
    }
    store::save_progress(&mut tx, org_id, &p, &saved).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            "setup.account_checked",
            "organisation",
            org_id,
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
    load(st, org_id).await
}

/// Refuses a step the steps before it don't open yet.
fn reachable(p: &setup::Progress, step: Step) -> AppResult<()> {
    if p.reachable(step) {
        Ok(())
    } else {
        Err(AppError::Conflict(format!("Finish step {} first.", p.resume().number())))
    }
}

fn step_of(n: u8) -> AppResult<Step> {
    Step::from_number(n).ok_or_else(|| AppError::field("step", "There are seven steps, 1 to 7."))
}

/// Next on a step: the server checks the step's requirement again.
pub async fn complete(st: &AppState, org: OrgId, actor: &Actor, n: u8) -> AppResult<SetupState> {
    let org_id = org.0;
    let step = step_of(n)?;
    if matches!(step, Step::Connect | Step::Verify | Step::Hookup) {
        return Err(AppError::Conflict(format!(
            "\"{}\" completes when its test passes: use the button on that step.",
            step.short()
        )));
    }
    let mut tx = st.db.begin().await?;
    let (mut p, saved) = store::progress(&mut tx, org_id).await?;
    reachable(&p, step)?;
    let f = store::facts(&mut tx, org_id, &p, &saved).await?;
    setup::requirement(step, &f).map_err(AppError::Conflict)?;
    p.complete(step);
    store::save_progress(&mut tx, org_id, &p, &saved).await?;
    let summary = if step == Step::Finish {
        store::mark_ready(&mut tx, org_id, now()).await?;
        "Setup finished: the system is ready and texting is switched on".to_string()
    } else {
        format!("Setup: step {} ({}) done", step.number(), step.short())
    };
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            if step == Step::Finish { "setup.finished" } else { "setup.step_completed" },
            "organisation",
            org_id,
            summary,
        )
        .payload(serde_json::json!({ "step": step.number() })),
    )
    .await?;
    tx.commit().await?;
    load(st, org_id).await
}

/// Skips a step that may be skipped, for now.
pub async fn skip(st: &AppState, org: OrgId, actor: &Actor, n: u8) -> AppResult<SetupState> {
    let org_id = org.0;
    let step = step_of(n)?;
    let mut tx = st.db.begin().await?;
    let (mut p, saved) = store::progress(&mut tx, org_id).await?;
    reachable(&p, step)?;
    p.skip(step).map_err(AppError::Conflict)?;
    store::save_progress(&mut tx, org_id, &p, &saved).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            "setup.step_skipped",
            "organisation",
            org_id,
            format!("Setup: step {} ({}) skipped for now", step.number(), step.short()),
        )
        .payload(serde_json::json!({ "step": step.number() })),
    )
    .await?;
    tx.commit().await?;
    load(st, org_id).await
}

/// Points one number at the webhooks and reads the setting back: `Ok` when
/// the provider now sends its texts to us, else why not.
async fn hook_up(p: &Provider, sid: Option<String>, sms: &str, status: &str) -> Result<(), String> {
    let Some(sid) = sid else {
        return Err("Twilio doesn't know this number's id: import it again from Numbers.".to_string());
    };
    if let Err(e) = p.configure(&sid, sms, status).await {
        return Err(e.explain());
    }
    match p.fetch_number(&sid).await {
        Err(e) => Err(format!("Set, but reading it back failed: {}", e.explain())),
        Ok(_) if p.is_demo() => Ok(()),
        Ok(n) if n.sms_url.as_deref() == Some(sms) && n.status_callback.as_deref() == Some(status) => Ok(()),
        Ok(n) => Err(format!(
            "Twilio still sends its texts to {}. Check the number in the Twilio console isn't managed by another app, then run the hookup again.",
            n.sms_url.unwrap_or_else(|| "nowhere".into())
        )),
    }
}

/// Step 6: points every number in service at `base` and reads the setting
/// back. Each number gets its own result; the step completes only when all
/// are verified.
pub async fn hookup(st: &AppState, org: OrgId, actor: &Actor, base: &str) -> AppResult<HookupRun> {
    let org_id = org.0;
    let base = if base.trim().is_empty() { st.public_base_url.clone() } else { base.to_string() };
    let base = setup::check_base_url(&base).map_err(|e| AppError::field("base_url", e))?;
    let targets = {
        let mut c = st.db.read.acquire().await?;
        let (p, _) = store::progress(&mut c, org_id).await?;
        reachable(&p, Step::Hookup)?;
        store::hookup_targets(&mut c, org_id).await?
    };
    if targets.is_empty() {
        return Err(AppError::Conflict(
            "There are no numbers to connect yet: buy a Front Desk number first (step 3).".into(),
        ));
    }
    let (p, _) = provider::for_business(st, org).await?;
    let (sms, status) = provider::webhook_urls(&base);
    let mut results = Vec::with_capacity(targets.len());
    for (id, e164, sid) in targets {
        let display = crate::domain::phone::E164::from_canonical(&e164).map(|e| e.display()).unwrap_or(e164);
        results.push((id, display, hook_up(&p, sid, &sms, &status).await));
    }
    let t = now();
    // Twilio signs each webhook with the address it was sent to: keep it.
    let custom = (base != st.public_base_url).then_some(base.as_str());
    let mut tx = st.db.begin().await?;
    for (id, _, outcome) in &results {
        store::record_hookup(&mut tx, org_id, *id, outcome.as_ref().err(), custom, t).await?;
    }
    let ok = results.iter().filter(|r| r.2.is_ok()).count();
    let (mut p, mut saved) = store::progress(&mut tx, org_id).await?;
    if ok == results.len() {
        p.complete(Step::Hookup);
    } else {
        p.completed.remove(&Step::Hookup.number());
    }
    saved.hookup_base_url = custom.map(str::to_string);
    store::save_progress(&mut tx, org_id, &p, &saved).await?;
    audit::append(
        &mut tx,
        org,
        actor,
        Event::new(
            "numbers.hooked_up",
            "organisation",
            org_id,
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
        state: load(st, org_id).await?,
    })
}
