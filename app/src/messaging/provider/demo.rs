//! The Demo provider: a deterministic fake catalogue of numbers, sends that
//! are recorded (demo_outbox) instead of delivered, and delivery callbacks
//! that go through the same status code as Twilio's, a second later.
//! Magic destination numbers make every failure reproducible.

use super::{AccountInfo, AvailableNumber, OwnedNumber, ProviderError, ProviderResult, Sent};
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::OrgId;
use crate::domain::numbers::Registration;
use crate::domain::phone::E164;
use crate::platform::crypto::short_id;
use crate::platform::jobs::{self, NewJob};
use crate::platform::{ms, Db};
use chrono::{Duration, Utc};
use sqlx::Row;

/// Destinations with a fixed fate in Demo mode (also listed in the README).
pub mod magic {
    /// Delivery fails: handset unreachable (30003).
    pub const UNREACHABLE: &str = "+15555550001";
    /// Delivery fails: a landline (30006).
    pub const LANDLINE: &str = "+15555550002";
    /// Refused at once: the person opted out (21610).
    pub const OPTED_OUT: &str = "+15555550003";
    /// Delivery fails: filtered by the carrier (30007).
    pub const CARRIER_FILTERED: &str = "+15555550004";
    /// The provider answers HTTP 500: retried, then dead-lettered.
    pub const PROVIDER_DOWN: &str = "+15555550005";
    /// Area code with nothing for sale (21452).
    pub const EMPTY_AREA_CODE: &str = "999";
    /// Numbers ending in 0199 are "just sold" when you try to buy them (21422).
    pub const SOLD_OUT_SUFFIX: &str = "0199";
}

#[derive(Clone)]
pub struct DemoProvider {
    db: Db,
    org: OrgId,
}

fn err(code: &str, http: u16, message: &str, transient: bool) -> ProviderError {
    ProviderError {
        code: Some(code.to_string()).filter(|c| !c.is_empty()),
        http_status: Some(http),
        message: message.into(),
        transient,
    }
}

/// Every sixth catalogue number isn't carrier-registered yet.
fn registration_for(digits: &str) -> Registration {
    let n: u32 = digits.bytes().map(|b| (b - b'0') as u32).sum();
    if n.is_multiple_of(6) {
        Registration::Unregistered
    } else {
        Registration::Registered
    }
}

const LOCALITIES: [&str; 4] = ["Downtown", "Northside", "Riverside", "Westfield"];

impl DemoProvider {
    pub fn new(db: Db, org: OrgId) -> Self {
        DemoProvider { db, org }
    }

    pub async fn account(&self) -> ProviderResult<AccountInfo> {
        Ok(AccountInfo {
            label: "Demo provider".into(),
            friendly_name: "Demo account".into(),
            status: "active".into(),
            balance_cents: Some(5_000),
            currency: Some("USD".into()),
        })
    }

    async fn in_use(&self, e164: &str) -> ProviderResult<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM numbers WHERE e164 = $1 AND status <> 'inactive'")
            .bind(e164)
            .fetch_one(&self.db.read)
            .await
            .map_err(ProviderError::network)?
            .try_get("n")
            .map_err(ProviderError::network)?;
        Ok(n > 0)
    }

    /// +1 <area> 555-01xx, skipping numbers anyone already has.
    pub async fn available_numbers(&self, area_code: &str, limit: usize) -> ProviderResult<Vec<AvailableNumber>> {
        let area = area_code.trim();
        let valid = area.len() == 3 && area.bytes().all(|b| b.is_ascii_digit()) && area.as_bytes()[0] >= b'2';
        if !valid {
            return Err(err("21211", 400, "area code must be three digits", false));
        }
        if area == magic::EMPTY_AREA_CODE {
            return Err(err("21452", 404, "no numbers in that area code", false));
        }
        let mut out = Vec::new();
        for line in 100..200u32 {
            if out.len() >= limit {
                break;
            }
            let canonical = format!("+1{area}555{line:04}");
            if self.in_use(&canonical).await? {
                continue;
            }
            let Some(e164) = E164::from_canonical(&canonical) else { continue };
            out.push(AvailableNumber {
                registration: registration_for(&canonical[1..]),
                e164,
                locality: Some(LOCALITIES[(line % 4) as usize].to_string()),
                region: Some("Demo".into()),
                monthly_cost_cents: 115,
            });
        }
        Ok(out)
    }

    pub async fn buy(&self, e164: &E164, _sms_url: &str, _status_url: &str) -> ProviderResult<OwnedNumber> {
        if e164.as_str().ends_with(magic::SOLD_OUT_SUFFIX) || self.in_use(e164.as_str()).await? {
            return Err(err("21422", 400, "number no longer available", false));
        }
        Ok(OwnedNumber {
            sid: format!("PNdemo{}", e164.digits()),
            e164: e164.clone(),
            sms_url: None,
            status_callback: None,
        })
    }

    /// In Demo mode any +1 number you "own" can be imported, by E.164 or by
    /// a PNdemo id.
    pub async fn find_owned(&self, number_or_sid: &str) -> ProviderResult<OwnedNumber> {
        let q = number_or_sid.trim();
        let canonical = match q.strip_prefix("PNdemo") {
            Some(digits) => format!("+{digits}"),
            None => q.to_string(),
        };
        let e164 = E164::from_canonical(&canonical)
            .or_else(|| E164::parse(&canonical, "US").ok())
            .ok_or_else(|| err("20404", 404, "no such number in the demo account", false))?;
        Ok(OwnedNumber { sid: format!("PNdemo{}", e164.digits()), e164, sms_url: None, status_callback: None })
    }

    pub async fn configure(&self, sid: &str, sms_url: &str, status_url: &str) -> ProviderResult<OwnedNumber> {
        let mut n = self.find_owned(sid).await?;
        n.sms_url = Some(sms_url.to_string());
        n.status_callback = Some(status_url.to_string());
        Ok(n)
    }

    /// Demo numbers live inside the product, so they always point at it.
    pub async fn fetch_number(&self, sid: &str) -> ProviderResult<OwnedNumber> {
        self.find_owned(sid).await
    }

    pub async fn send(&self, from: &E164, to: &E164, body: &str, message_ref: &str) -> ProviderResult<Sent> {
        match to.as_str() {
            magic::OPTED_OUT => return Err(err("21610", 400, "Attempt to send to unsubscribed recipient", false)),
            magic::PROVIDER_DOWN => return Err(err("", 500, "demo provider is down", true)),
            _ => {}
        }
        let sid = format!("SMdemo{}", short_id());
        let now = Utc::now();
        let mut tx = self.db.begin().await.map_err(ProviderError::network)?;
        sqlx::query(
            "INSERT INTO demo_outbox (org_id, sid, from_e164, to_e164, body, message_ref, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.org.0)
        .bind(&sid)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(body)
        .bind(message_ref)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(ProviderError::network)?;
        // The callbacks a real carrier would send, through the same code path.
        let fate: (&str, Option<&str>) = match to.as_str() {
            magic::UNREACHABLE => ("undelivered", Some("30003")),
            magic::LANDLINE => ("undelivered", Some("30006")),
            magic::CARRIER_FILTERED => ("undelivered", Some("30007")),
            _ => ("delivered", None),
        };
        for (status, code, after_ms) in [("sent", None, 150), (fate.0, fate.1, 700)] {
            jobs::enqueue(
                &mut tx,
                NewJob::now(
                    Some(self.org),
                    "demo.status",
                    serde_json::json!({ "sid": sid, "status": status, "error_code": code }),
                )
                .at(now + Duration::milliseconds(after_ms)),
            )
            .await
            .map_err(ProviderError::network)?;
        }
        tx.commit().await.map_err(ProviderError::network)?;
        Ok(Sent { sid, status: DeliveryStatus::Sent })
    }

    pub async fn find_sent(&self, message_ref: &str) -> ProviderResult<Option<String>> {
        let row = sqlx::query("SELECT sid FROM demo_outbox WHERE message_ref = $1")
            .bind(message_ref)
            .fetch_optional(&self.db.read)
            .await
            .map_err(ProviderError::network)?;
        row.map(|r| r.try_get("sid")).transpose().map_err(ProviderError::network)
    }
}
