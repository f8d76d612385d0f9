//! Twilio's REST API 2010-04-01 over reqwest. Requests follow Twilio's
//! OpenAPI description (tested against Prism serving it); the base URL is
//! configurable so tests point it at a local stand-in.

use super::{AccountInfo, AvailableNumber, OwnedNumber, ProviderError, ProviderResult, Sent};
use crate::domain::delivery::DeliveryStatus;
use crate::domain::numbers::Registration;
use crate::domain::phone::E164;
use serde::Deserialize;
use std::time::Duration;

/// Twilio's list price for a US local number, per month. The 2010 API
/// doesn't return prices; shown as the expected cost before buying.
pub const US_LOCAL_MONTHLY_CENTS: i64 = 115;

#[derive(Clone)]
pub struct TwilioProvider {
    account_sid: String,
    auth_token: String,
    base: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct TwilioErrorBody {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct AccountBody {
    friendly_name: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct BalanceBody {
    balance: Option<String>,
    currency: Option<String>,
}

#[derive(Deserialize)]
struct AvailableList {
    #[serde(default)]
    available_phone_numbers: Vec<AvailableBody>,
}

#[derive(Deserialize)]
struct AvailableBody {
    phone_number: Option<String>,
    locality: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize)]
struct IncomingBody {
    sid: Option<String>,
    phone_number: Option<String>,
    sms_url: Option<String>,
    status_callback: Option<String>,
}

#[derive(Deserialize)]
struct IncomingList {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingBody>,
}

#[derive(Deserialize)]
struct MessageBody {
    sid: Option<String>,
    status: Option<String>,
    body: Option<String>,
}

#[derive(Deserialize)]
struct MessageList {
    #[serde(default)]
    messages: Vec<MessageBody>,
}

impl TwilioProvider {
    pub fn new(account_sid: &str, auth_token: &str, base_url: &str, timeout_secs: u64) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(timeout_secs.clamp(3, 60)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .unwrap_or_default();
        TwilioProvider {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            base: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    fn url(&self, path: &str) -> String {
        format!("{}/2010-04-01/Accounts/{}{path}", self.base, self.account_sid)
    }

    async fn read<T: for<'de> Deserialize<'de>>(res: reqwest::Response) -> ProviderResult<T> {
        let status = res.status();
        let text = res.text().await.map_err(ProviderError::network)?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| ProviderError {
                code: None,
                http_status: Some(status.as_u16()),
                message: format!("unexpected answer from the provider: {e}"),
                transient: false,
            });
        }
        let body: Option<TwilioErrorBody> = serde_json::from_str(&text).ok();
        let code = body.as_ref().and_then(|b| b.code.as_ref()).map(|c| match c {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let message = body.and_then(|b| b.message).unwrap_or_else(|| text.chars().take(300).collect());
        let transient = status.is_server_error() || status.as_u16() == 429;
        Err(ProviderError { code, http_status: Some(status.as_u16()), message, transient })
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str, query: &[(&str, &str)]) -> ProviderResult<T> {
        let res = self
            .http
            .get(self.url(path))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .query(query)
            .send()
            .await
            .map_err(ProviderError::network)?;
        Self::read(res).await
    }

    async fn post<T: for<'de> Deserialize<'de>>(&self, path: &str, form: &[(&str, &str)]) -> ProviderResult<T> {
        let res = self
            .http
            .post(self.url(path))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(form)
            .send()
            .await
            .map_err(ProviderError::network)?;
        Self::read(res).await
    }

    pub async fn account(&self) -> ProviderResult<AccountInfo> {
        let a: AccountBody = self.get(".json", &[]).await?;
        let b: BalanceBody = self.get("/Balance.json", &[]).await?;
        let balance_cents =
            b.balance.as_deref().and_then(|s| s.trim().parse::<f64>().ok()).map(|v| (v * 100.0).round() as i64);
        Ok(AccountInfo {
            label: super::account_label(&self.account_sid),
            friendly_name: a.friendly_name.unwrap_or_default(),
            status: a.status.unwrap_or_else(|| "active".into()),
            balance_cents,
            currency: b.currency,
        })
    }

    pub async fn available_numbers(&self, area_code: &str, limit: usize) -> ProviderResult<Vec<AvailableNumber>> {
        let size = limit.clamp(1, 50).to_string();
        let list: AvailableList = self
            .get(
                "/AvailablePhoneNumbers/US/Local.json",
                &[("AreaCode", area_code), ("SmsEnabled", "true"), ("PageSize", &size)],
            )
            .await?;
        Ok(list
            .available_phone_numbers
            .into_iter()
            .filter_map(|n| {
                let e164 = E164::from_canonical(n.phone_number.as_deref()?)?;
                Some(AvailableNumber {
                    e164,
                    locality: n.locality,
                    region: n.region,
                    monthly_cost_cents: US_LOCAL_MONTHLY_CENTS,
                    registration: Registration::NotApplicable,
                })
            })
            .take(limit)
            .collect())
    }

    fn owned(n: IncomingBody) -> ProviderResult<OwnedNumber> {
        let sid = n.sid.ok_or_else(|| ProviderError {
            code: None,
            http_status: None,
            message: "number without an id".into(),
            transient: false,
        })?;
        let e164 = n.phone_number.as_deref().and_then(E164::from_canonical).ok_or_else(|| ProviderError {
            code: None,
            http_status: None,
            message: "number without a phone number".into(),
            transient: false,
        })?;
        Ok(OwnedNumber { sid, e164, sms_url: n.sms_url, status_callback: n.status_callback })
    }

    pub async fn buy(&self, e164: &E164, sms_url: &str, status_url: &str) -> ProviderResult<OwnedNumber> {
        let n: IncomingBody = self
            .post(
                "/IncomingPhoneNumbers.json",
                &[
                    ("PhoneNumber", e164.as_str()),
                    ("SmsUrl", sms_url),
                    ("SmsMethod", "POST"),
                    ("StatusCallback", status_url),
                    ("StatusCallbackMethod", "POST"),
                ],
            )
            .await?;
        Self::owned(n)
    }

    pub async fn find_owned(&self, number_or_sid: &str) -> ProviderResult<OwnedNumber> {
        let q = number_or_sid.trim();
        if q.starts_with("PN") {
            return self.fetch_number(q).await;
        }
        let list: IncomingList =
            self.get("/IncomingPhoneNumbers.json", &[("PhoneNumber", q), ("PageSize", "20")]).await?;
        let found = list.incoming_phone_numbers.into_iter().next().ok_or_else(|| ProviderError {
            code: Some("20404".into()),
            http_status: Some(404),
            message: "no such number in the account".into(),
            transient: false,
        })?;
        Self::owned(found)
    }

    pub async fn fetch_number(&self, sid: &str) -> ProviderResult<OwnedNumber> {
        let n: IncomingBody = self.get(&format!("/IncomingPhoneNumbers/{sid}.json"), &[]).await?;
        Self::owned(n)
    }

    pub async fn configure(&self, sid: &str, sms_url: &str, status_url: &str) -> ProviderResult<OwnedNumber> {
        let n: IncomingBody = self
            .post(
                &format!("/IncomingPhoneNumbers/{sid}.json"),
                &[
                    ("SmsUrl", sms_url),
                    ("SmsMethod", "POST"),
                    ("StatusCallback", status_url),
                    ("StatusCallbackMethod", "POST"),
                ],
            )
            .await?;
        Self::owned(n)
    }

    pub async fn send(&self, from: &E164, to: &E164, body: &str, status_url: &str) -> ProviderResult<Sent> {
        let m: MessageBody = self
            .post(
                "/Messages.json",
                &[("To", to.as_str()), ("From", from.as_str()), ("Body", body), ("StatusCallback", status_url)],
            )
            .await?;
        let sid = m.sid.ok_or_else(|| ProviderError {
            code: None,
            http_status: None,
            message: "message without an id".into(),
            transient: false,
        })?;
        let status = m.status.as_deref().and_then(DeliveryStatus::from_provider).unwrap_or(DeliveryStatus::Sent);
        Ok(Sent { sid, status })
    }

    pub async fn find_sent(
        &self,
        from: &E164,
        to: &E164,
        body: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> ProviderResult<Option<String>> {
        let day = since.format("%Y-%m-%d").to_string();
        let list: MessageList = self
            .get(
                "/Messages.json",
                &[("To", to.as_str()), ("From", from.as_str()), ("DateSent>", &day), ("PageSize", "50")],
            )
            .await?;
        Ok(list.messages.into_iter().find(|m| m.body.as_deref() == Some(body)).and_then(|m| m.sid))
    }

    pub async fn release(&self, sid: &str) -> ProviderResult<()> {
        let res = self
            .http
            .delete(self.url(&format!("/IncomingPhoneNumbers/{sid}.json")))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .send()
            .await
            .map_err(ProviderError::network)?;
        if res.status().is_success() {
            Ok(())
        } else {
            Self::read::<serde_json::Value>(res).await.map(|_| ())
        }
    }

    /// Where Twilio serves attachments: its API (with the account's
    /// credentials), its media CDN and its storage bucket (without), and
    /// the configured API base when it isn't Twilio's (a stand-in).
    fn media_hosts(&self) -> (crate::platform::fetch::Allowed, Option<crate::platform::fetch::Credentials>) {
        let base = reqwest::Url::parse(&self.base).ok();
        let twilio = base.as_ref().is_some_and(|b| b.host_str() == Some("api.twilio.com") && b.scheme() == "https");
        let allowed = crate::platform::fetch::Allowed {
            hosts: vec!["api.twilio.com".into()],
            suffixes: vec![".twiliocdn.com".into()],
            prefixes: ["s3-external-1.amazonaws.com", "s3.amazonaws.com"]
                .iter()
                .map(|h| (h.to_string(), "/media.twiliocdn.com/".to_string()))
                .collect(),
            configured: base.clone().filter(|_| !twilio),
        };
        let origin = base.unwrap_or_else(|| reqwest::Url::parse("https://api.twilio.com").expect("literal URL"));
        let creds = crate::platform::fetch::Credentials {
            origin,
            user: self.account_sid.clone(),
            password: self.auth_token.clone(),
        };
        (allowed, Some(creds))
    }

    /// Downloads one attachment: only from Twilio's media hosts, the
    /// credentials only to Twilio's API, at most `max_bytes`.
    pub async fn fetch_media(&self, url: &str, max_bytes: usize) -> ProviderResult<(Option<String>, Vec<u8>)> {
        let (allowed, creds) = self.media_hosts();
        crate::platform::fetch::get(&allowed, creds.as_ref(), url, max_bytes, Duration::from_secs(60))
            .await
            .map(|f| (f.content_type, f.bytes))
            .map_err(|e| ProviderError {
                code: None,
                http_status: e.http_status,
                message: e.message,
                transient: e.transient,
            })
    }
}
