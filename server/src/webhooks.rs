//! Twilio's webhooks (SPEC §5): incoming messages and delivery status,
//! form-encoded with Twilio's field names. Every request's signature is
//! checked unless the organisation is in Demo mode; a bad one gets 403, an
//! audit event and a row in the rejection log, and nothing is stored.
//! Oversized or malformed bodies get 400. The answer is empty TwiML.

use app::alerts::service::{self as alerts, Raise};
use app::domain::alerts::Severity;
use app::domain::ids::OrgId;
use app::domain::phone::E164;
use app::messaging::{inbound, provider, signature, status};
use app::platform::audit::{self, Actor, Event};
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

fn request_id(h: &HeaderMap) -> Option<String> {
    h.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The signing key for requests about `org`: the org's Twilio auth token,
/// the environment's in single-tenant mode, or none for Demo organisations.
async fn signing_key(state: &AppState, org: Option<OrgId>) -> Result<Option<String>, Response> {
    match org {
        Some(org) => match provider::for_org(state, org, 10).await {
            Ok(p) => Ok(p.signing_key().map(str::to_string)),
            Err(e) => {
                tracing::error!(org = org.0, error = %e, "webhook: provider credentials unreadable");
                Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }
        },
        None => Ok(state.config.env_twilio.as_ref().map(|t| t.auth_token.clone())),
    }
}

/// Checks the signature when there is a key; records and answers 403 when it fails.
async fn check_signature(
    state: &AppState,
    org: Option<OrgId>,
    headers: &HeaderMap,
    uri: &Uri,
    params: &Params,
    remote: &SocketAddr,
) -> Result<(), Response> {
    let Some(key) = signing_key(state, org).await? else { return Ok(()) };
    let url = format!("{}{}", state.public_base_url, uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path()));
    let sig = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if signature::verify(&key, &url, params, sig) {
        return Ok(());
    }
    let reason = if sig.is_empty() { "missing X-Twilio-Signature" } else { "X-Twilio-Signature doesn't match" };
    reject(state, org, uri.path(), reason, remote, request_id(headers)).await;
    Err((StatusCode::FORBIDDEN, "Forbidden: invalid signature\n").into_response())
}

async fn reject(
    state: &AppState,
    org: Option<OrgId>,
    path: &str,
    reason: &str,
    remote: &SocketAddr,
    request_id: Option<String>,
) {
    let res: Result<(), sqlx::Error> = async {
        let now = Utc::now();
        let mut tx = state.db.begin().await?;
        sqlx::query("INSERT INTO webhook_rejections (org_id, at, path, reason, remote) VALUES ($1, $2, $3, $4, $5)")
            .bind(org.map(|o| o.0))
            .bind(ms(now))
            .bind(path)
            .bind(reason)
            .bind(remote.ip().to_string())
            .execute(&mut *tx)
            .await?;
        let chain = org.unwrap_or(OrgId(0));
        audit::append(
            &mut tx,
            chain,
            &Actor::system(request_id),
            Event::new("webhook.rejected", "webhook", path, format!("Rejected a webhook to {path}: {reason}"))
                .payload(serde_json::json!({ "reason": reason, "remote": remote.ip().to_string() })),
        )
        .await?;
        if let Some(org) = org {
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
    if let Err(r) = check_signature(&state, number.as_ref().map(|n| n.org), &headers, &uri, &params, &remote).await {
        return r;
    }
    let Some(number) = number else {
        // Not one of ours (or released): nothing to route it to.
        reject(
            &state,
            None,
            uri.path(),
            &format!("{} is not an active business number", to.display()),
            &remote,
            request_id(&headers),
        )
        .await;
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
    match inbound::receive(&state, &number, msg, request_id(&headers)).await {
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
    let org = match org_of_callback(&state, sid, get(&params, "From")).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "status webhook: lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Err(r) = check_signature(&state, org, &headers, &uri, &params, &remote).await {
        return r;
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

async fn org_of_callback(state: &AppState, sid: &str, from: Option<&str>) -> Result<Option<OrgId>, sqlx::Error> {
    if let Some(r) = sqlx::query("SELECT org_id FROM messages WHERE provider_sid = $1")
        .bind(sid)
        .fetch_optional(&state.db.read)
        .await?
    {
        return Ok(Some(OrgId(r.try_get("org_id")?)));
    }
    if let Some(from) = from.and_then(E164::from_canonical) {
        return Ok(inbound::number_for(state, &from).await?.map(|n| n.org));
    }
    Ok(None)
}
