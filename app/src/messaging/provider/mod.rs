//! One provider interface, two implementations (SPEC §5): the Demo provider
//! (default, deterministic, records instead of sending) and Twilio's REST
//! API 2010-04-01. Chosen per organisation; credentials are decrypted here
//! and never leave the server.

mod demo;
mod twilio;

pub use demo::{magic, DemoProvider};
pub use twilio::TwilioProvider;

use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::OrgId;
use crate::domain::numbers::Registration;
use crate::domain::phone::E164;
use crate::domain::provider_errors;
use crate::platform::AppState;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// "AC…1234" or "Demo provider": safe to show.
    pub label: String,
    pub friendly_name: String,
    pub status: String,
    pub balance_cents: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableNumber {
    pub e164: E164,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub monthly_cost_cents: i64,
    pub registration: Registration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedNumber {
    pub sid: String,
    pub e164: E164,
    pub sms_url: Option<String>,
    pub status_callback: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub sid: String,
    pub status: DeliveryStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {code:?}, HTTP {http_status:?})")]
pub struct ProviderError {
    pub code: Option<String>,
    pub http_status: Option<u16>,
    /// The provider's own words, for the log only.
    pub message: String,
    /// Trying again later may work (5xx, 429, network).
    pub transient: bool,
}

impl ProviderError {
    pub fn network(e: impl std::fmt::Display) -> Self {
        ProviderError {
            code: None,
            http_status: None,
            message: format!("could not reach the provider: {e}"),
            transient: true,
        }
    }

    /// The operator's sentence: what happened and what to do.
    pub fn explain(&self) -> String {
        match (&self.code, self.http_status) {
            (None, Some(s)) if s >= 500 => {
                "The texting provider is having trouble right now. We'll keep your messages and retry automatically."
                    .into()
            }
            (None, None) => {
                "We couldn't reach the texting provider. Check the server's internet connection; we'll retry.".into()
            }
            (code, _) => provider_errors::explain(code.as_deref()).sentence(),
        }
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

#[derive(Clone)]
pub enum Provider {
    Demo(DemoProvider),
    Twilio(TwilioProvider),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioCredentials {
    pub account_sid: String,
    pub auth_token: String,
}

impl Provider {
    pub fn is_demo(&self) -> bool {
        matches!(self, Provider::Demo(_))
    }

    /// The auth token webhooks are signed with; Demo has none (no checks).
    pub fn signing_key(&self) -> Option<&str> {
        match self {
            Provider::Demo(_) => None,
            Provider::Twilio(t) => Some(t.auth_token()),
        }
    }

    pub async fn account(&self) -> ProviderResult<AccountInfo> {
        match self {
            Provider::Demo(d) => d.account().await,
            Provider::Twilio(t) => t.account().await,
        }
    }

    pub async fn available_numbers(&self, area_code: &str, limit: usize) -> ProviderResult<Vec<AvailableNumber>> {
        match self {
            Provider::Demo(d) => d.available_numbers(area_code, limit).await,
            Provider::Twilio(t) => t.available_numbers(area_code, limit).await,
        }
    }

    pub async fn buy(&self, e164: &E164, sms_url: &str, status_url: &str) -> ProviderResult<OwnedNumber> {
        match self {
            Provider::Demo(d) => d.buy(e164, sms_url, status_url).await,
            Provider::Twilio(t) => t.buy(e164, sms_url, status_url).await,
        }
    }

    /// An existing number in the account, by E.164 or by its id (PN…).
    pub async fn find_owned(&self, number_or_sid: &str) -> ProviderResult<OwnedNumber> {
        match self {
            Provider::Demo(d) => d.find_owned(number_or_sid).await,
            Provider::Twilio(t) => t.find_owned(number_or_sid).await,
        }
    }

    pub async fn configure(&self, sid: &str, sms_url: &str, status_url: &str) -> ProviderResult<OwnedNumber> {
        match self {
            Provider::Demo(d) => d.configure(sid, sms_url, status_url).await,
            Provider::Twilio(t) => t.configure(sid, sms_url, status_url).await,
        }
    }

    pub async fn fetch_number(&self, sid: &str) -> ProviderResult<OwnedNumber> {
        match self {
            Provider::Demo(d) => d.fetch_number(sid).await,
            Provider::Twilio(t) => t.fetch_number(sid).await,
        }
    }

    pub async fn send(
        &self,
        from: &E164,
        to: &E164,
        body: &str,
        status_url: &str,
        message_ref: &str,
    ) -> ProviderResult<Sent> {
        match self {
            Provider::Demo(d) => d.send(from, to, body, message_ref).await,
            Provider::Twilio(t) => t.send(from, to, body, status_url).await,
        }
    }

    /// After a crash mid-send: did that message go out? Returns its id if so.
    pub async fn find_sent(
        &self,
        from: &E164,
        to: &E164,
        body: &str,
        since: chrono::DateTime<chrono::Utc>,
        message_ref: &str,
    ) -> ProviderResult<Option<String>> {
        match self {
            Provider::Demo(d) => d.find_sent(message_ref).await,
            Provider::Twilio(t) => t.find_sent(from, to, body, since).await,
        }
    }

    pub async fn release(&self, sid: &str) -> ProviderResult<()> {
        match self {
            Provider::Demo(_) => Ok(()),
            Provider::Twilio(t) => t.release(sid).await,
        }
    }

    /// Downloads one MMS attachment. Demo organisations keep the reference
    /// only: their webhooks aren't signed, so their URLs are anyone's.
    pub async fn fetch_media(&self, url: &str, max_bytes: usize) -> ProviderResult<(Option<String>, Vec<u8>)> {
        match self {
            Provider::Demo(_) => Err(ProviderError {
                code: None,
                http_status: None,
                message: "Demo mode doesn't download attachments".into(),
                transient: false,
            }),
            Provider::Twilio(t) => t.fetch_media(url, max_bytes).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the stored provider credentials can't be read: {0}")]
    Credentials(String),
}

/// Whether an organisation runs on the Demo provider (environment Twilio
/// credentials win over what it chose), without loading its credentials.
pub fn is_demo(state: &AppState, ctx: &crate::messaging::store::OrgContext) -> bool {
    ctx.demo && state.config.env_twilio.is_none()
}

/// The signed-in owner's provider, with their business's settings; a
/// provider that can't be loaded is a clear "check Settings → Provider".
pub async fn for_user(
    u: &crate::platform::sessions::SessionUser,
) -> crate::error::AppResult<(Provider, crate::messaging::store::OrgContext)> {
    for_business(&crate::platform::state()?, u.org_id).await
}

/// A business's provider, with its settings; a provider that can't be
/// loaded is a clear "check Settings → Provider".
pub async fn for_business(
    st: &AppState,
    org: OrgId,
) -> crate::error::AppResult<(Provider, crate::messaging::store::OrgContext)> {
    let mut c = st.db.read.acquire().await?;
    let ctx = crate::messaging::store::org_context(&mut c, org).await?;
    drop(c);
    let p = for_org(st, org, ctx.settings.delivery.timeout_seconds as u64).await.map_err(|e| {
        tracing::error!(error = %e, "loading the provider");
        crate::error::AppError::Unavailable(
            "The texting provider isn't connected properly. Check Settings → Provider and test the connection.".into(),
        )
    })?;
    Ok((p, ctx))
}

/// The provider an organisation uses. Environment credentials
/// (PROVIDER=twilio) win over anything stored.
pub async fn for_org(state: &AppState, org: OrgId, timeout_secs: u64) -> Result<Provider, LoadError> {
    let row = sqlx::query("SELECT provider_kind, provider_credentials FROM organisations WHERE id = $1")
        .bind(org.0)
        .fetch_one(&state.db.read)
        .await?;
    let kind: String = row.try_get("provider_kind")?;
    if let Some(env) = &state.config.env_twilio {
        return Ok(Provider::Twilio(TwilioProvider::new(
            &env.account_sid,
            &env.auth_token,
            &state.config.twilio_api_base_url,
            timeout_secs,
        )));
    }
    if kind == "twilio" {
        let stored: Option<String> = row.try_get("provider_credentials")?;
        let creds = decrypt_credentials(state, stored.as_deref())?;
        return Ok(Provider::Twilio(TwilioProvider::new(
            &creds.account_sid,
            &creds.auth_token,
            &state.config.twilio_api_base_url,
            timeout_secs,
        )));
    }
    Ok(Provider::Demo(DemoProvider::new(state.db.clone(), org)))
}

pub fn decrypt_credentials(state: &AppState, stored: Option<&str>) -> Result<TwilioCredentials, LoadError> {
    let stored = stored.ok_or_else(|| LoadError::Credentials("none stored".into()))?;
    let plain = state.secrets.decrypt(stored).map_err(|e| LoadError::Credentials(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| LoadError::Credentials(e.to_string()))
}

pub fn encrypt_credentials(state: &AppState, creds: &TwilioCredentials) -> String {
    let json = serde_json::to_vec(creds).unwrap_or_default();
    state.secrets.encrypt(&json)
}

/// "AC…1234": enough to recognise the account, nothing to misuse.
pub fn account_label(account_sid: &str) -> String {
    let tail: String = account_sid.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("AC…{tail}")
}

/// Texts a person who isn't a client (an escalation target, a code to
/// unlock an account) from the Front Desk number, straight through the
/// provider. The reason it couldn't, in business words.
pub async fn text_person(state: &AppState, org: OrgId, to: &E164, body: &str, purpose: &str) -> Result<(), String> {
    let ctx = {
        let mut c = state.db.read.acquire().await.map_err(|_| "the database didn't answer".to_string())?;
        crate::messaging::store::org_context(&mut c, org).await.map_err(|e| e.to_string())?
    };
    let from =
        ctx.front_desk.clone().ok_or_else(|| "there is no Front Desk number in service to text from".to_string())?;
    let p = for_org(state, org, ctx.settings.delivery.timeout_seconds as u64).await.map_err(|e| e.to_string())?;
    let base = {
        let mut c = state.db.read.acquire().await.map_err(|_| "the database didn't answer".to_string())?;
        crate::messaging::store::hookup_base_of(&mut c, org, &from, &state.public_base_url)
            .await
            .map_err(|e| e.to_string())?
    };
    let (_, status_url) = webhook_urls(&base);
    p.send(&from, to, body, &status_url, &format!("{purpose}-{}", crate::platform::crypto::short_id()))
        .await
        .map(|_| ())
        .map_err(|e| provider_errors::explain(e.code.as_deref()).sentence())
}

/// The webhook URLs a number must point at.
pub fn webhook_urls(public_base_url: &str) -> (String, String) {
    (format!("{public_base_url}/webhooks/twilio/sms"), format!("{public_base_url}/webhooks/twilio/status"))
}
