//! Twilio's webhooks (SPEC §5): incoming messages and delivery status,
//! form-encoded with Twilio's field names. Every request's signature is
//! checked unless the organisation is in Demo mode; a bad one gets 403, an
//! audit event and a row in the rejection log, and nothing is stored. A
//! request about a number or text we don't know must be signed by the
//! account it names, or it is refused with nothing stored. Refusals are
//! recorded at most 30 a minute per address; past that, refusals from that
//! address get 429 and nothing is recorded (signed requests are never
//! limited). Oversized or malformed bodies get 400.
//! The answer is empty TwiML.

use app::alerts::service::{self as alerts, Raise};
use app::domain::alerts::Severity;
use app::domain::ids::OrgId;
use app::domain::phone::E164;
use app::messaging::{inbound, provider, signature, status};
use app::platform::audit::{self, Actor, Event};
use app::platform::ctx::request_id_of;
use app::platform::{ms, AppState};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{Duration, Utc};
use sqlx::Row;
use std::net::SocketAddr;

pub const MAX_BODY: usize = 64 * 1024;
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
/// Rejections within five minutes that raise an alert.
const BURST: i64 = 10;

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/twilio/sms", post(sms)).route("/webhooks/twilio/status", post(status_callback))
}

fn twiml() -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], EMPTY_TWIML).into_response()
}

fn bad(reason: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("Bad request: {reason}\n")).into_response()
}

type Params = Vec<(String, String)>;

async fn read_form(body: Body) -> Result<Params, Response> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| bad("body too large (limit 64 KiB)"))?;
    serde_urlencoded::from_bytes::<Params>(&bytes).map_err(|_| bad("not a form-encoded body"))
}

fn get<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Who a webhook is about: an organisation, with the key its signature
/// must match (none for Demo organisations), or the single-tenant
/// environment account, or nobody we know.
enum Signer {
    Org(OrgId, Option<String>),
    Env(String),
    Unknown,
}

impl Signer {
    fn org(&self) -> Option<OrgId> {
        match self {
            Signer::Org(o, _) => Some(*o),
            _ => None,
        }
    }
}

/// The signer for requests about `org`: the org's Twilio auth token (the
/// environment's in single-tenant mode), or none for Demo organisations.
async fn signer_for(state: &AppState, org: Option<OrgId>, params: &Params) -> Result<Signer, Response> {
    let org = match org {
        Some(o) => Some(o),
        None => org_of_account(state, get(params, "AccountSid")).await.map_err(|e| {
            tracing::error!(error = %e, "webhook: account lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        })?,
    };
    match org {
        Some(org) => match provider::for_org(state, org, 10).await {
            Ok(p) => Ok(Signer::Org(org, p.signing_key().map(str::to_string))),
            Err(e) => {
                tracing::error!(org = org.0, error = %e, "webhook: provider credentials unreadable");
                Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }
        },
        None => Ok(match &state.config.env_twilio {
            Some(t) => Signer::Env(t.auth_token.clone()),
            None => Signer::Unknown,
        }),
    }
}

/// The Twilio-connected organisation whose account the request names.
async fn org_of_account(state: &AppState, account: Option<&str>) -> Result<Option<OrgId>, sqlx::Error> {
    let Some(account) = account.filter(|a| a.starts_with("AC") && a.len() == 34) else { return Ok(None) };
    let row = sqlx::query(
        "SELECT id FROM organisations WHERE provider_account_sid = $1 AND provider_kind = 'twilio' ORDER BY id LIMIT 1",
    )
    .bind(account)
    .fetch_optional(&state.db.read)
    .await?;
    row.map(|r| r.try_get("id").map(OrgId)).transpose()
}

/// The addresses other than PUBLIC_BASE_URL this organisation's numbers
/// were hooked up to, and the one chosen in Setup (numbers hooked before
/// it was recorded per number).
async fn hookup_bases(state: &AppState, org: OrgId) -> Result<Vec<String>, String> {
    let mut c = state.db.read.acquire().await.map_err(|e| e.to_string())?;
    let mut bases: Vec<String> = sqlx::query(
        "SELECT DISTINCT hookup_base_url FROM numbers WHERE org_id = $1 AND hookup_base_url IS NOT NULL AND status <> 'inactive'",
    )
    .bind(org.0)
    .fetch_all(&mut *c)
    .await
    .map_err(|e| e.to_string())?
    .iter()
    .map(|r| r.try_get("hookup_base_url"))
    .collect::<Result<_, _>>()
    .map_err(|e| e.to_string())?;
    if let Some(b) = app::setup::store::custom_hookup_base(&mut c, org.0).await.map_err(|e| e.to_string())? {
        if !bases.contains(&b) {
            bases.push(b);
        }
    }
    Ok(bases)
}

/// Checks the signature when the signer has a key; refuses requests nobody
/// can vouch for. Nothing is stored before this passes.
async fn check_signature(
    state: &AppState,
    signer: &Signer,
    headers: &HeaderMap,
    uri: &Uri,
    params: &Params,
    remote: &SocketAddr,
) -> Result<(), Response> {
    let key = match signer {
        Signer::Org(_, None) => return Ok(()),
        Signer::Org(_, Some(k)) | Signer::Env(k) => k,
        Signer::Unknown => {
            let why = "not about a number or account of this server";
            return Err(refuse(state, None, uri.path(), why, remote, request_id_of(headers)).await);
        }
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let sig = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if signature::verify(key, &format!("{}{path}", state.public_base_url), params, sig) {
        return Ok(());
    }
    // Twilio signs the address it posted to: a business that hooked its
    // numbers to its own address in Setup is checked against that one.
    if let (Signer::Org(org, _), false) = (signer, sig.is_empty()) {
        let bases = hookup_bases(state, *org).await.map_err(|e| {
            tracing::error!(error = %e, "webhook: hookup address lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        })?;
        if bases.iter().any(|b| signature::verify(key, &format!("{b}{path}"), params, sig)) {
            return Ok(());
        }
    }
    let reason = if sig.is_empty() { "missing X-Twilio-Signature" } else { "X-Twilio-Signature doesn't match" };
    Err(refuse(state, signer.org(), uri.path(), reason, remote, request_id_of(headers)).await)
}

/// Refusals recorded per address and minute; past that, a refused request
/// gets 429 and nothing is recorded. Requests that pass the signature check
/// are never limited: Twilio sends every customer's webhooks from the same
/// addresses, so a stranger's misdirected number mustn't silence ours.
const REFUSALS_PER_MINUTE: u32 = 30;

/// Records a refused webhook (for the organisation it concerned, if any)
/// and answers it: 403, or 429 past `REFUSALS_PER_MINUTE` for the address.
async fn refuse(
    state: &AppState,
    org: Option<OrgId>,
    path: &str,
    reason: &str,
    remote: &SocketAddr,
    request_id: Option<String>,
) -> Response {
    if !state.limits.allow(&refusal_key(remote), REFUSALS_PER_MINUTE, std::time::Duration::from_secs(60)) {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "60")], "Too many refused requests\n")
            .into_response();
    }
    match org {
        Some(org) => reject(state, org, path, reason, remote, request_id).await,
        None => tracing::warn!(path, reason, remote = %remote.ip(), "webhook refused"),
    }
    (StatusCode::FORBIDDEN, format!("Forbidden: {reason}\n")).into_response()
}

/// Refusals are counted per address; IPv6 per /64 (one host's usual share).
fn refusal_key(remote: &SocketAddr) -> String {
    match remote.ip() {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("webhook-refusals:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        ip => format!("webhook-refusals:{ip}"),
    }
}

async fn reject(
    state: &AppState,
    org: OrgId,
    path: &str,
    reason: &str,
    remote: &SocketAddr,
    request_id: Option<String>,
) {
    let res: Result<(), sqlx::Error> = async {
        let now = Utc::now();
        let mut tx = state.db.begin().await?;
        sqlx::query("INSERT INTO webhook_rejections (org_id, at, path, reason, remote) VALUES ($1, $2, $3, $4, $5)")
            .bind(org.0)
            .bind(ms(now))
            .bind(path)
            .bind(reason)
            .bind(remote.ip().to_string())
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            org,
            &Actor::system(request_id),
            Event::new("webhook.rejected", "webhook", path, format!("Rejected a webhook to {path}: {reason}"))
                .payload(serde_json::json!({ "reason": reason, "remote": remote.ip().to_string() })),
        )
        .await?;
        let recent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webhook_rejections WHERE org_id = $1 AND at >= $2")
            .bind(org.0)
            .bind(ms(now - Duration::minutes(5)))
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if recent >= BURST {
            alerts::raise(
                &mut tx,
                org,
                Raise {
                    rule: "webhook_rejections",
                    cause_key: "webhooks:rejected".into(),
                    severity: Severity::Warning,
                    title: "Many texting webhooks were rejected".into(),
                    body: format!(
                        "{recent} requests in 5 minutes failed the signature check (last: {reason}). If texts stopped arriving, check PUBLIC_BASE_URL and the Auth Token in Settings → Health."
                    ),
                    thread_id: None,
                    number_id: None,
                },
                now,
            )
            .await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = res {
        tracing::error!(error = %e, "could not record a webhook rejection");
    }
}

async fn sms(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let params = match read_form(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Some(sid), Some(from), Some(to)) =
        (get(&params, "MessageSid").or(get(&params, "SmsSid")), get(&params, "From"), get(&params, "To"))
    else {
        return bad("MessageSid, From and To are required");
    };
    let (Some(from), Some(to)) = (E164::from_canonical(from), E164::from_canonical(to)) else {
        return bad("From and To must be E.164 numbers");
    };
    let number = match inbound::number_for(&state, &to).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "webhook: number lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let signer = match signer_for(&state, number.as_ref().map(|n| n.org), &params).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_signature(&state, &signer, &headers, &uri, &params, &remote).await {
        return r;
    }
    let Some(number) = number else {
        // Signed by an account we know, but not one of its numbers here
        // (released, or never imported): nothing to route it to.
        let why = format!("{} is not an active business number", to.display());
        // Signed by the account: logged (within the limit) and acknowledged.
        let _ = refuse(&state, signer.org(), uri.path(), &why, &remote, request_id_of(&headers)).await;
        return twiml();
    };
    let n: usize = get(&params, "NumMedia").and_then(|v| v.parse().ok()).unwrap_or(0).min(10);
    let media = (0..n)
        .filter_map(|i| {
            let url = get(&params, &format!("MediaUrl{i}"))?.to_string();
            let ct = get(&params, &format!("MediaContentType{i}")).map(str::to_string);
            (url.starts_with("https://") || url.starts_with("http://")).then_some((url, ct))
        })
        .collect();
    let msg = inbound::InboundSms {
        message_sid: sid.to_string(),
        from,
        to,
        body: get(&params, "Body").unwrap_or("").to_string(),
        media,
    };
    match inbound::receive(&state, &number, msg, request_id_of(&headers)).await {
        Ok(_) => twiml(),
        Err(e) => {
            tracing::error!(error = %e, "webhook: storing an incoming message failed");
            // Twilio retries; the MessageSid makes the retry safe.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn status_callback(
    State(state): State<AppState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let params = match read_form(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Some(sid), Some(st)) = (
        get(&params, "MessageSid").or(get(&params, "SmsSid")),
        get(&params, "MessageStatus").or(get(&params, "SmsStatus")),
    ) else {
        return bad("MessageSid and MessageStatus are required");
    };
    if app::domain::delivery::DeliveryStatus::from_provider(st).is_none() {
        return bad("unknown MessageStatus");
    }
    let (org, known) = match org_of_callback(&state, sid, get(&params, "From")).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "status webhook: lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let signer = match signer_for(&state, org, &params).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = check_signature(&state, &signer, &headers, &uri, &params, &remote).await {
        return r;
    }
    // A callback for a text we haven't stored yet is kept (it can race
    // ahead of our own record of the send) only when it is signed: Demo
    // organisations' callbacks never arrive over HTTP ahead of their texts.
    if !known && matches!(signer, Signer::Org(_, None)) {
        return twiml();
    }
    let payload = serde_json::Value::Object(
        params.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
    );
    let update = status::StatusUpdate {
        sid: sid.to_string(),
        status: st.to_string(),
        error_code: get(&params, "ErrorCode").map(str::to_string),
        error_message: get(&params, "ErrorMessage").map(str::to_string),
        payload,
    };
    match status::apply(&state, update).await {
        Ok(_) => twiml(),
        Err(e) => {
            tracing::error!(error = %e, "status webhook: applying failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The organisation a status callback is about, and whether the text is
/// one we stored: by its id, else by the business number it was sent from.
async fn org_of_callback(
    state: &AppState,
    sid: &str,
    from: Option<&str>,
) -> Result<(Option<OrgId>, bool), sqlx::Error> {
    if let Some(r) = sqlx::query("SELECT org_id FROM messages WHERE provider_sid = $1")
        .bind(sid)
        .fetch_optional(&state.db.read)
        .await?
    {
        return Ok((Some(OrgId(r.try_get("org_id")?)), true));
    }
    if let Some(from) = from.and_then(E164::from_canonical) {
        return Ok((inbound::number_for(state, &from).await?.map(|n| n.org), false));
    }
    Ok((None, false))
}
