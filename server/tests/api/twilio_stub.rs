//! A Twilio stand-in whose answers the test controls: accept, fail with a
//! 500, or reject with an error code. It records every request, serves
//! media behind a redirect like Twilio does, and can be switched at will.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "test-auth-token-9f8e7d6c";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    ServerError,
    Reject {
        code: u32,
    },
    /// 500 for texts whose body contains this, accepted otherwise.
    ServerErrorFor(String),
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub form: Vec<(String, String)>,
    pub authorized: bool,
}

/// A number in the stub account: (id, number, incoming URL, status URL).
type StubNumber = (String, String, Option<String>, Option<String>);

#[derive(Default)]
pub struct Inner {
    pub mode: Mutex<Option<Mode>>,
    pub seen: Mutex<Vec<Seen>>,
    counter: AtomicU64,
    pub numbers: Mutex<Vec<StubNumber>>,
    /// When set, number settings don't stick (another app manages them).
    pub foreign_urls: std::sync::atomic::AtomicBool,
    /// Files served at /raw/{name}: (content type, bytes).
    pub raw: Mutex<std::collections::HashMap<String, (String, Vec<u8>)>>,
}

#[derive(Clone)]
pub struct Stub {
    pub addr: String,
    pub inner: Arc<Inner>,
}

impl Stub {
    /// Serves `bytes` at /raw/{name} with that content type.
    pub fn serve_raw(&self, name: &str, content_type: &str, bytes: &[u8]) {
        self.inner.raw.lock().unwrap().insert(name.into(), (content_type.into(), bytes.to_vec()));
    }
    pub fn set(&self, m: Mode) {
        *self.inner.mode.lock().unwrap() = Some(m);
    }
    pub fn sends(&self) -> Vec<Seen> {
        self.inner
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method == "POST" && s.path.ends_with("/Messages.json"))
            .cloned()
            .collect()
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }
    /// The SID the next accepted message will get.
    pub fn next_sid(&self) -> String {
        format!("SMstub{:028}", self.inner.counter.load(Ordering::SeqCst) + 1)
    }
}

fn authorized(h: &HeaderMap) -> bool {
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Basic {expected}"))
}

async fn messages(State(s): State<Arc<Inner>>, Path(_sid): Path<String>, headers: HeaderMap, body: String) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    s.seen.lock().unwrap().push(Seen {
        method: "POST".into(),
        path: "/Messages.json".into(),
        form: form.clone(),
        authorized: authorized(&headers),
    });
    let mut mode = s.mode.lock().unwrap().clone().unwrap_or(Mode::Accept);
    if let Mode::ServerErrorFor(marker) = &mode {
        let body = form.iter().find(|(k, _)| k == "Body").map(|(_, v)| v.as_str()).unwrap_or_default();
        mode = if body.contains(marker.as_str()) { Mode::ServerError } else { Mode::Accept };
    }
    match mode {
        Mode::Accept => {
            let n = s.counter.fetch_add(1, Ordering::SeqCst) + 1;
            let body = form.iter().find(|(k, _)| k == "Body").map(|(_, v)| v.clone()).unwrap_or_default();
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({ "sid": format!("SMstub{n:028}"), "status": "queued", "body": body })),
            )
                .into_response()
        }
        Mode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "upstream trouble").into_response(),
        Mode::ServerErrorFor(_) => unreachable!("resolved above"),
        Mode::Reject { code } => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "code": code, "message": "rejected by stub", "status": 400 })),
        )
            .into_response(),
    }
}

async fn list_messages(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method: "GET".into(),
        path: "/Messages.json".into(),
        form: vec![],
        authorized: authorized(&headers),
    });
    axum::Json(serde_json::json!({ "messages": [] })).into_response()
}

async fn media(State(s): State<Arc<Inner>>, Path(n): Path<String>, headers: HeaderMap) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method: "GET".into(),
        path: format!("/media/{n}"),
        form: vec![],
        authorized: authorized(&headers),
    });
    (StatusCode::FOUND, [("location", format!("/stored/{n}"))]).into_response()
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn raw(State(s): State<Arc<Inner>>, Path(n): Path<String>, headers: HeaderMap) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method: "GET".into(),
        path: format!("/raw/{n}"),
        form: vec![],
        authorized: authorized(&headers),
    });
    match s.raw.lock().unwrap().get(&n).cloned() {
        Some((ct, bytes)) => ([("content-type", ct)], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A redirect to wherever `?to=` says (a host that isn't Twilio's).
async fn away(axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> Response {
    (StatusCode::FOUND, [("location", q.get("to").cloned().unwrap_or_default())]).into_response()
}

/// Eleven megabytes, streamed without a declared length.
async fn big() -> Response {
    let chunks = futures::stream::iter((0..176).map(|_| Ok::<_, std::io::Error>(vec![0u8; 64 * 1024])));
    ([("content-type", "image/jpeg")], axum::body::Body::from_stream(chunks)).into_response()
}

async fn stored(Path(_n): Path<String>) -> Response {
    ([("content-type", "image/png")], PNG).into_response()
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({ "code": 20003, "message": "Authenticate", "status": 401 })),
    )
        .into_response()
}

async fn account(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    if file != format!("{ACCOUNT_SID}.json") {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(serde_json::json!({ "sid": ACCOUNT_SID, "friendly_name": "Stub Pet Care", "status": "active" }))
        .into_response()
}

async fn balance(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    axum::Json(serde_json::json!({ "account_sid": ACCOUNT_SID, "balance": "7.25", "currency": "USD" })).into_response()
}

async fn available(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let area = q.get("AreaCode").cloned().unwrap_or_else(|| "512".into());
    let list: Vec<_> = (0..3)
        .map(|i| serde_json::json!({ "phone_number": format!("+1{area}555020{i}"), "locality": "Austin", "region": "TX" }))
        .collect();
    axum::Json(serde_json::json!({ "available_phone_numbers": list })).into_response()
}

fn number_json(n: &StubNumber) -> serde_json::Value {
    serde_json::json!({ "sid": n.0, "phone_number": n.1, "sms_url": n.2, "status_callback": n.3 })
}

fn field(form: &[(String, String)], k: &str) -> Option<String> {
    form.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
}

async fn buy(State(s): State<Arc<Inner>>, headers: HeaderMap, body: String) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    s.seen.lock().unwrap().push(Seen {
        method: "POST".into(),
        path: "/IncomingPhoneNumbers.json".into(),
        form: form.clone(),
        authorized: true,
    });
    let mut numbers = s.numbers.lock().unwrap();
    let n = (
        format!("PN{:032}", numbers.len() + 1),
        field(&form, "PhoneNumber").unwrap_or_default(),
        field(&form, "SmsUrl"),
        field(&form, "StatusCallback"),
    );
    numbers.push(n.clone());
    (StatusCode::CREATED, axum::Json(number_json(&n))).into_response()
}

async fn owned_list(
    State(s): State<Arc<Inner>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let want = q.get("PhoneNumber").cloned().unwrap_or_default();
    let list: Vec<_> = s.numbers.lock().unwrap().iter().filter(|n| n.1 == want).map(number_json).collect();
    axum::Json(serde_json::json!({ "incoming_phone_numbers": list })).into_response()
}

async fn owned_one(
    State(s): State<Arc<Inner>>,
    Path((_account, file)): Path<(String, String)>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let sid = file.trim_end_matches(".json");
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let foreign = s.foreign_urls.load(Ordering::SeqCst);
    let mut numbers = s.numbers.lock().unwrap();
    let Some(n) = numbers.iter_mut().find(|n| n.0 == sid) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "code": 20404, "message": "not found", "status": 404 })),
        )
            .into_response();
    };
    if method == axum::http::Method::DELETE {
        s.seen.lock().unwrap().push(Seen {
            method: "DELETE".into(),
            path: format!("/IncomingPhoneNumbers/{sid}.json"),
            form: vec![],
            authorized: authorized(&headers),
        });
        numbers.retain(|n| n.0 != sid);
        return StatusCode::NO_CONTENT.into_response();
    }
    if method == axum::http::Method::POST {
        if foreign {
            n.2 = Some("https://old-app.example.com/sms".into());
        } else {
            n.2 = field(&form, "SmsUrl").or(n.2.take());
            n.3 = field(&form, "StatusCallback").or(n.3.take());
        }
    }
    axum::Json(number_json(n)).into_response()
}

pub async fn start() -> Stub {
    let inner = Arc::new(Inner::default());
    let app = Router::new()
        .route("/2010-04-01/Accounts/{file}", get(account))
        .route("/2010-04-01/Accounts/{sid}/Balance.json", get(balance))
        .route("/2010-04-01/Accounts/{sid}/AvailablePhoneNumbers/US/Local.json", get(available))
        .route("/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json", post(buy).get(owned_list))
        .route(
            "/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers/{file}",
            post(owned_one).get(owned_one).delete(owned_one),
        )
        .route("/2010-04-01/Accounts/{sid}/Messages.json", post(messages).get(list_messages))
        .route("/media/{n}", get(media))
        .route("/stored/{n}", get(stored))
        .route("/raw/{n}", get(raw))
        .route("/away", get(away))
        .route("/big", get(big))
        .with_state(inner.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Stub { addr, inner }
}
