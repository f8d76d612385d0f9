//! `spawn_app`: one helper every test uses.

use app::error::AppError;
use app::platform::{AppState, Db};
use serde::de::DeserializeOwned;
use serde::Serialize;
use server::config::Config;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when TEST_DATABASE_URL is set (CI sets it).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

pub struct TestApp {
    pub addr: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub db_url: String,
}

pub const SECRET: &str = "test-secret-key-0123456789-abcdefghijklmnop";

/// Where this test process keeps its SQLite files, media and sites:
/// `<tmp>/leashline-tests/run-<pid>`. The first call removes what earlier
/// processes left behind (their pid is gone), so runs don't pile up files.
pub fn scratch_dir() -> PathBuf {
    static SWEPT: Once = Once::new();
    let root = std::env::temp_dir().join("leashline-tests");
    SWEPT.call_once(|| {
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let owner = name.strip_prefix("run-").and_then(|pid| pid.parse::<u32>().ok());
            if !owner.is_some_and(process_alive) {
                let path = entry.path();
                let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            }
        }
    });
    let dir = root.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("test scratch dir");
    dir
}

/// Whether `pid` runs on this machine. Without `/proc` there is no telling,
/// so every process counts as alive and nothing is swept.
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Test databases are named `t_<pid>_<16 hex>`: a later run drops the ones
/// whose process has ended, and leaves a concurrent run's alone. Names of
/// the older shape `t_<16 hex>` (no pid) are this suite's too and are
/// dropped when idle. Nothing else is touched.
fn sweepable(name: &str) -> bool {
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let Some(rest) = name.strip_prefix("t_") else { return false };
    match rest.split_once('_') {
        Some((pid, id)) => hex16(id) && pid.parse::<u32>().is_ok_and(|p| !process_alive(p)),
        None => hex16(rest),
    }
}

/// Drops the PostgreSQL test databases earlier processes left behind, once
/// per process, before this one creates its first.
async fn sweep_postgres(base: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let pool = sqlx::AnyPool::connect(base).await.expect("connect to TEST_DATABASE_URL");
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 't%'")
                    .fetch_all(&pool)
                    .await
                    .expect("list test databases");
            // `sweepable` names are lowercase letters, digits and
            // underscores only, so they need no quoting.
            for name in names.into_iter().filter(|n| sweepable(n)) {
                // Still in use (a run this process can't see): keep it.
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&pool).await;
            }
            pool.close().await;
        })
        .await;
}

pub async fn fresh_database_url(backend: Backend) -> String {
    let name = format!("t_{}_{}", std::process::id(), app::platform::crypto::short_id());
    match backend {
        Backend::Sqlite => format!("sqlite://{}/{name}.db", scratch_dir().display()),
        Backend::Postgres => {
            let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            sqlx::any::install_default_drivers();
            sweep_postgres(&base).await;
            let pool = sqlx::AnyPool::connect(&base).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create test database");
            pool.close().await;
            let (prefix, _) = base.rsplit_once('/').expect("database name in TEST_DATABASE_URL");
            format!("{prefix}/{name}")
        }
    }
}

pub fn test_config(database_url: &str, extra: &[(&str, &str)]) -> Config {
    let media = scratch_dir().join(format!("media-{}", app::platform::crypto::short_id()));
    let media = media.display().to_string();
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("APP_SECRET_KEY", SECRET),
        ("DATABASE_URL", database_url),
        ("LEPTOS_SITE_ROOT", "target/site"),
        ("MEDIA_DIR", media.as_str()),
    ]);
    for (k, v) in extra {
        env.insert(k, v);
    }
    Config::from_source(&env).expect("test config")
}

pub async fn spawn_app_with(backend: Backend, demo: bool, extra: &[(&str, &str)]) -> TestApp {
    let url = fresh_database_url(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let addr = format!("http://127.0.0.1:{port}");
    let base = [("PUBLIC_BASE_URL", addr.as_str())];
    let all: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();
    let config = test_config(&url, &all);
    let state = server::prepare(&config).await.expect("prepare");
    if demo {
        server::seed::demo(&state, &config).await.expect("seed demo");
    }
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = server::serve(serving, listener).await;
    });
    TestApp { addr, state, client: new_client(), backend, db_url: url }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, false, &[]).await
}

pub async fn spawn_demo(backend: Backend) -> TestApp {
    spawn_app_with(backend, true, &[]).await
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// What a server function call returned: its value, or the status and error.
pub type Called<T> = Result<T, (u16, AppError)>;

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    /// Calls a server function over HTTP, as the browser does.
    pub async fn call<F>(&self, args: F) -> Called<F::Output>
    where
        F: server_fn::ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        call_with(&self.client, &self.addr, args).await
    }

    pub async fn call_json<F>(&self, args: F) -> Called<F::Output>
    where
        F: server_fn::ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        call_json_with(&self.client, &self.addr, args).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Called<()> {
        self.call(app::auth::SignIn { email: email.into(), password: password.into() }).await
    }

    /// A second browser, signed in as someone else.
    pub async fn client_for(&self, email: &str, password: &str) -> reqwest::Client {
        let c = new_client();
        call_with(&c, &self.addr, app::auth::SignIn { email: email.into(), password: password.into() })
            .await
            .expect("sign in");
        c
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }
}

pub async fn call_with<F>(client: &reqwest::Client, addr: &str, args: F) -> Called<F::Output>
where
    F: server_fn::ServerFn + Serialize,
    F::Output: DeserializeOwned,
{
    let body = serde_qs::to_string(&args).expect("encode arguments");
    post_call::<F>(client, addr, "application/x-www-form-urlencoded", body).await
}

/// For server functions that take JSON (nested arguments).
pub async fn call_json_with<F>(client: &reqwest::Client, addr: &str, args: F) -> Called<F::Output>
where
    F: server_fn::ServerFn + Serialize,
    F::Output: DeserializeOwned,
{
    let body = serde_json::to_string(&args).expect("encode arguments");
    post_call::<F>(client, addr, "application/json", body).await
}

async fn post_call<F>(client: &reqwest::Client, addr: &str, content_type: &str, body: String) -> Called<F::Output>
where
    F: server_fn::ServerFn,
    F::Output: DeserializeOwned,
{
    let res = client
        .post(format!("{addr}{}", F::PATH))
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .expect("server function request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    if (200..400).contains(&status) {
        let text = if text.is_empty() { "null" } else { text.as_str() };
        Ok(serde_json::from_str(text).unwrap_or_else(|e| panic!("decode {} output {text:?}: {e}", F::PATH)))
    } else {
        let err: AppError =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("decode error {status} {text:?}: {e}"));
        Err((status, err))
    }
}

/// Runs the same async test body against every backend.
#[macro_export]
macro_rules! each_backend {
    ($body:expr) => {
        for backend in $crate::helpers::backends() {
            ($body)(backend).await;
        }
    };
}

/// The demo business in Twilio mode, pointed at a stand-in.
pub async fn spawn_twilio_demo(backend: Backend, stub: &crate::twilio_stub::Stub) -> TestApp {
    spawn_app_with(
        backend,
        true,
        &[
            ("PROVIDER", "twilio"),
            ("TWILIO_ACCOUNT_SID", crate::twilio_stub::ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", crate::twilio_stub::AUTH_TOKEN),
            ("TWILIO_API_BASE_URL", &stub.addr),
        ],
    )
    .await
}

impl TestApp {
    /// Posts a webhook, signed with `token` when given (as Twilio would).
    pub async fn webhook(&self, path: &str, params: &[(&str, &str)], token: Option<&str>) -> reqwest::Response {
        let url = self.url(path);
        let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut req = self.client.post(&url).form(&owned);
        if let Some(t) = token {
            req = req.header("X-Twilio-Signature", app::messaging::signature::compute(t, &url, &owned));
        }
        req.send().await.expect("webhook request")
    }

    /// An incoming text, signed with the stand-in's token.
    pub async fn text_in(&self, sid: &str, from: &str, to: &str, body: &str) -> reqwest::Response {
        self.webhook(
            "/webhooks/twilio/sms",
            &[
                ("MessageSid", sid),
                ("AccountSid", crate::twilio_stub::ACCOUNT_SID),
                ("From", from),
                ("To", to),
                ("Body", body),
                ("NumMedia", "0"),
            ],
            Some(crate::twilio_stub::AUTH_TOKEN),
        )
        .await
    }

    /// Runs a statement directly (to set up a state the UI can't reach yet).
    pub async fn exec(&self, sql: &str) {
        sqlx::query(sql).execute(&self.db().write).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.db().read).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn text(&self, sql: &str) -> Option<String> {
        sqlx::query_scalar::<_, Option<String>>(sql)
            .fetch_one(&self.db().read)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn org(&self) -> app::domain::ids::OrgId {
        app::domain::ids::OrgId(1)
    }

    pub async fn thread_of(&self, client_phone: &str, business: &str) -> app::domain::ids::ThreadId {
        app::domain::ids::ThreadId(
            self.scalar(&format!(
                "SELECT t.id FROM threads t JOIN client_contacts cc ON cc.client_id = t.client_id JOIN numbers n ON n.id = t.number_id
                 WHERE cc.e164 = '{client_phone}' AND n.e164 = '{business}'"
            ))
            .await,
        )
    }

    /// A client of the demo business with a phone number and no conversation
    /// on the Front Desk yet.
    pub async fn client_without_front_desk_thread(&self, skip: i64) -> (i64, String) {
        let id = self
            .scalar(&format!(
                "SELECT c.id FROM clients c WHERE c.org_id = {} AND c.merged_into IS NULL AND c.opted_out_everywhere = 0
                   AND EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.client_id = c.id)
                   AND NOT EXISTS (SELECT 1 FROM threads t JOIN numbers n ON n.id = t.number_id WHERE t.client_id = c.id AND n.class = 'front_desk')
                   AND NOT EXISTS (SELECT 1 FROM opt_outs o JOIN client_contacts cc ON cc.e164 = o.e164 WHERE cc.client_id = c.id AND o.opted_out = 1)
                   AND c.id <> {skip}
                 ORDER BY c.id LIMIT 1",
                self.org().0
            ))
            .await;
        let phone =
            self.text(&format!("SELECT e164 FROM client_contacts WHERE client_id = {id} ORDER BY id LIMIT 1")).await;
        (id, phone.expect("a phone number"))
    }

    pub async fn sitter_id(&self, first_name: &str) -> app::domain::ids::SitterId {
        app::domain::ids::SitterId(
            self.scalar(&format!("SELECT id FROM sitters WHERE first_name = '{first_name}'")).await,
        )
    }

    /// Changes delivery settings directly (tests use values below the UI's minimums).
    pub async fn set_delivery(&self, backoff: u32, threshold: u32, cooloff: u32) {
        let raw: String = sqlx::query_scalar("SELECT settings FROM organisations WHERE id = 1")
            .fetch_one(&self.db().read)
            .await
            .unwrap();
        let mut s: app::domain::settings::OrgSettings = serde_json::from_str(&raw).unwrap();
        s.delivery.backoff_seconds = backoff;
        s.delivery.breaker_threshold = threshold;
        s.delivery.breaker_cooloff_seconds = cooloff;
        sqlx::query("UPDATE organisations SET settings = $1 WHERE id = 1")
            .bind(serde_json::to_string(&s).unwrap())
            .execute(&self.db().write)
            .await
            .unwrap();
    }
}

impl TestApp {
    /// Switches quiet hours on, from `start` to `end` hours from now in the
    /// business's time zone, through the owner's Settings (signed in).
    pub async fn set_quiet_hours(&self, start: i64, end: i64) {
        use app::settings::{LoadRulesSettings, SaveRulesSettings};
        let mut form = self.call(LoadRulesSettings {}).await.expect("rules");
        let tz = app::domain::time::BusinessTz::parse(&form.time_zone).expect("zone");
        let local = tz.local(app::platform::now());
        let at = |h: i64| (local + chrono::Duration::hours(h)).format("%H:%M").to_string();
        form.quiet_enabled = true;
        form.quiet_start = at(start);
        form.quiet_end = at(end);
        self.call(SaveRulesSettings { form }).await.expect("quiet hours saved");
    }
}

/// Polls until `f` is true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out after {secs}s waiting for: {what}");
}

pub fn owner_actor() -> app::platform::audit::Actor {
    app::platform::audit::Actor {
        kind: app::domain::roles::ActorKind::Owner,
        id: Some(1),
        name: "Olivia Grant".into(),
        request_id: None,
    }
}

pub fn sitter_actor(name: &str) -> app::platform::audit::Actor {
    app::platform::audit::Actor {
        kind: app::domain::roles::ActorKind::Sitter,
        id: Some(2),
        name: name.into(),
        request_id: None,
    }
}

/// Now as stored (milliseconds since the epoch).
pub fn now_ms() -> i64 {
    app::platform::ms(app::platform::now())
}

#[test]
fn only_this_suites_dead_databases_are_swept() {
    let me = std::process::id();
    assert!(!sweepable(&format!("t_{me}_0123456789abcdef")), "this process's own");
    assert!(sweepable("t_4294967295_0123456789abcdef"), "a pid that can't be running");
    assert!(sweepable("t_0123456789abcdef"), "the older shape");
    for keep in ["t_reports", "tenant_x", "t_1_0123456789ABCDEF", "t_1_0123", "t_x_0123456789abcdef", "leashline_test"]
    {
        assert!(!sweepable(keep), "{keep}");
    }
}
