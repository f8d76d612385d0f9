//! Inbox benchmark: `cargo run --release -p server --bin inboxbench [THREADS] [MESSAGES]`
//! (defaults 10,000 and 200,000). Starts the real server in this process on a
//! fresh database — SQLite, or PostgreSQL when `BENCH_DATABASE_URL` names an
//! empty database — loads the demo business plus THREADS extra client
//! threads holding MESSAGES messages, signs in as the owner and times, over
//! HTTP as the browser does: the inbox server function for each kind of
//! search and filter, and the server render of the inbox page. Then it adds
//! 1,000 business numbers and times the number inventory's server function
//! (filters, sorts, a late page, the detail) over the same messages, and
//! the analytics server function (response times, volume, peak hours) for
//! the default two weeks and the longest range allowed.

use app::audit::analytics::{AnalyticsFilter, LoadAnalytics};
use app::inbox::{InboxFilter, ListThreads, ThreadQuery};
use app::numbers::{ListNumbers, NumberFilter};
use server::config::Config;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const FIRST: [&str; 24] = [
    "Ava", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kira", "Leo", "Mia", "Noah",
    "Olive", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yara",
];
const LAST: [&str; 20] = [
    "Adams", "Baker", "Clark", "Diaz", "Evans", "Flores", "Garcia", "Hall", "Irwin", "Jones", "King", "Lewis", "Moore",
    "Nguyen", "Ortiz", "Patel", "Reed", "Scott", "Turner", "Young",
];
const PHRASES: [&str; 16] = [
    "Can you walk Biscuit tomorrow at noon",
    "Thanks so much, she looks happy in the photo",
    "The spare key is under the blue pot",
    "He gets half a cup of kibble at six",
    "Running ten minutes late, sorry",
    "Is the litter box done",
    "Please give Luna her ear drops after dinner",
    "We land Sunday night, back by nine",
    "The gate latch sticks, lift it a little",
    "Did Pepper eat all her breakfast",
    "Great walk today, lots of sniffing",
    "Could we add a second visit on Friday",
    "Rufus was limping slightly on the back leg",
    "Water bowl refilled and plants watered",
    "The vet number is on the fridge",
    "All good here, cat is napping on the sofa",
];

/// A tiny deterministic generator, so every run loads the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let messages: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let dir = std::env::temp_dir().join(format!("leashline-inboxbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let media = dir.join("media").display().to_string();
    let env: HashMap<&str, &str> = HashMap::from([
        ("APP_SECRET_KEY", "inboxbench-secret-key-0123456789abcdefgh"),
        ("DATABASE_URL", db.as_str()),
        ("PUBLIC_BASE_URL", base.as_str()),
        ("MEDIA_DIR", media.as_str()),
        ("LEPTOS_SITE_ROOT", "target/site"),
    ]);
    let config = Config::from_source(&env).expect("config");
    let state = server::prepare(&config).await.expect("prepare");
    server::seed::demo(&state, &config).await.expect("seed");
    let t = Instant::now();
    load(&state, threads, messages).await;
    let kind = if db.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
    println!("loaded {threads} threads / {messages} messages into {kind} in {:.1} s", t.elapsed().as_secs_f64());

    let serving = state.clone();
    tokio::spawn(async move {
        let _ = server::serve(serving, listener).await;
    });
    let b = Browser::sign_in(base).await;
    inbox_searches(&b, kind).await;
    inbox_page(&b).await;
    analytics(&b, kind).await;
    let total = add_numbers(&state, 1_000).await;
    number_inventory(&b, total, kind).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The owner's signed-in browser, calling server functions as the app does.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    async fn sign_in(base: String) -> Browser {
        let client = reqwest::Client::new();
        let res = client
            .post(format!("{base}{}", <app::auth::SignIn as server_fn::ServerFn>::PATH))
            .form(&[("email", "owner@example.com"), ("password", "password123")])
            .send()
            .await
            .expect("sign in");
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_string();
        Browser { client, base, cookie }
    }

    /// Calls the server function at `path` with `form`; panics unless it
    /// succeeds. Returns the body and how long the round trip took.
    async fn call(&self, label: &str, path: &str, form: &str) -> (String, Duration) {
        let t = Instant::now();
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .expect("call");
        let status = res.status();
        let body = res.text().await.expect("body");
        let dt = t.elapsed();
        assert!(status.is_success(), "{label}: {status} {body}");
        (body, dt)
    }
}

async fn inbox_searches(b: &Browser, kind: &str) {
    let cases: [(&str, InboxFilter, &str); 9] = [
        ("first page, newest first", InboxFilter::All, ""),
        ("client name", InboxFilter::All, "Quinn Ortiz"),
        ("message text", InboxFilter::All, "limping leg"),
        ("sitter name", InboxFilter::All, "Jordan"),
        ("business number", InboxFilter::All, "555-0102"),
        ("client number", InboxFilter::All, "(737) 600-2345"),
        ("no match", InboxFilter::All, "xylophone"),
        ("filter: unread", InboxFilter::Unread, ""),
        ("filter: unassigned", InboxFilter::Unassigned, ""),
    ];
    println!("inbox server function, {kind}, 30 runs each after 3 warm-up runs:");
    for (label, filter, q) in cases {
        let query = ThreadQuery { filter, q: q.to_string(), ..Default::default() };
        let form = serde_qs::to_string(&ListThreads { query }).expect("encode");
        let mut times = Vec::new();
        let mut found = 0usize;
        for i in 0..33 {
            let (body, dt) = b.call(label, <ListThreads as server_fn::ServerFn>::PATH, &form).await;
            if i >= 3 {
                times.push(dt);
            }
            found = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["items"].as_array().map(Vec::len))
                .unwrap_or(0);
        }
        report(&format!("{label:<26} ({found:>2} on page)"), &mut times);
    }
}

async fn inbox_page(b: &Browser) {
    let mut times = Vec::new();
    for i in 0..23 {
        let t = Instant::now();
        let res = b.client.get(format!("{}/inbox", b.base)).header("cookie", &b.cookie).send().await.expect("page");
        let status = res.status();
        let html = res.text().await.expect("html");
        if i >= 3 {
            times.push(t.elapsed());
        }
        assert!(status.is_success() && html.contains("thread-item"), "the inbox rendered: {status}");
    }
    println!("inbox page, full server render (HTML with the first 40 threads), 20 runs:");
    report("GET /inbox", &mut times);
}

async fn analytics(b: &Browser, kind: &str) {
    let today = chrono::Utc::now().date_naive();
    let cases: [(&str, AnalyticsFilter); 2] = [
        ("default two weeks", AnalyticsFilter::default()),
        (
            "92 days (the maximum)",
            AnalyticsFilter {
                from: (today - chrono::Duration::days(91)).format("%Y-%m-%d").to_string(),
                to: today.format("%Y-%m-%d").to_string(),
                sitter: None,
            },
        ),
    ];
    println!("analytics server function, {kind}, 10 runs each after 2 warm-up runs:");
    for (label, filter) in cases {
        let form = serde_qs::to_string(&LoadAnalytics { filter }).expect("encode");
        let mut times = Vec::new();
        let mut replies = 0;
        for i in 0..12 {
            let (body, dt) = b.call(label, <LoadAnalytics as server_fn::ServerFn>::PATH, &form).await;
            if i >= 2 {
                times.push(dt);
            }
            replies = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["overall"]["responses"].as_i64())
                .unwrap_or(0);
        }
        report(&format!("{label:<26} ({replies} replies)"), &mut times);
    }
}

async fn number_inventory(b: &Browser, total: usize, kind: &str) {
    let numbers = |f: NumberFilter| serde_qs::to_string(&ListNumbers { filter: f }).expect("encode");
    let cases: [(&str, String); 6] = [
        ("first page, by number", numbers(NumberFilter::default())),
        (
            "sorted by 7-day volume",
            numbers(NumberFilter { sort: "volume".into(), dir: "desc".into(), ..Default::default() }),
        ),
        ("sorted by last used", numbers(NumberFilter { sort: "last_used".into(), ..Default::default() })),
        (
            "filter: pool, idle",
            numbers(NumberFilter { class: "pool".into(), usage: "idle".into(), ..Default::default() }),
        ),
        ("filter: failing", numbers(NumberFilter { health: "red".into(), ..Default::default() })),
        ("page 30", numbers(NumberFilter { page: "30".into(), ..Default::default() })),
    ];
    println!("number inventory server function, {total} numbers, {kind}, 30 runs each after 3 warm-up runs:");
    for (label, form) in cases {
        let mut times = Vec::new();
        for i in 0..33 {
            let (_, dt) = b.call(label, <ListNumbers as server_fn::ServerFn>::PATH, &form).await;
            if i >= 3 {
                times.push(dt);
            }
        }
        report(&format!("{label:<26}"), &mut times);
    }
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "  {label}  p50 {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(times[times.len() - 1])
    );
}

/// THREADS clients, each with one thread on one of the demo numbers, and
/// MESSAGES messages spread over them (newest last), plus the thread
/// summary columns the inbox lists from.
async fn load(state: &app::platform::AppState, threads: usize, messages: usize) {
    use sqlx::Row;
    let db = &state.db;
    let numbers: Vec<(i64, String)> = sqlx::query(
        "SELECT id, e164 FROM numbers WHERE org_id = 1 AND status = 'active' AND class <> 'pool' ORDER BY id",
    )
    .fetch_all(&db.read)
    .await
    .expect("numbers")
    .iter()
    .map(|r| (r.try_get("id").expect("id"), r.try_get("e164").expect("e164")))
    .collect();
    let now = app::platform::ms(app::platform::now());
    let mut rng = Lcg(42);
    let per_thread = (messages / threads.max(1)).max(1);
    let mut tx = db.begin().await.expect("begin");
    for i in 0..threads {
        let first = rng.pick(&FIRST);
        let name = format!("{first} {}", rng.pick(&LAST));
        let client: i64 = sqlx::query(
            "INSERT INTO clients (org_id, name, first_name, created_at, updated_at) VALUES (1, $1, $2, $3, $3) RETURNING id",
        )
        .bind(&name)
        .bind(first)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .expect("client")
        .try_get("id")
        .expect("id");
        let phone = format!("+1737{:07}", 6_000_000 + i);
        sqlx::query("INSERT INTO client_contacts (org_id, client_id, e164, created_at) VALUES (1, $1, $2, $3)")
            .bind(client)
            .bind(&phone)
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("contact");
        let (number_id, number) = &numbers[i % numbers.len()];
        let thread: i64 = sqlx::query(
            "INSERT INTO threads (org_id, client_id, number_id, created_at) VALUES (1, $1, $2, $3) RETURNING id",
        )
        .bind(client)
        .bind(number_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .expect("thread")
        .try_get("id")
        .expect("id");
        let mut last = (0i64, String::new());
        for j in 0..per_thread {
            let inbound = j % 2 == 0;
            let body = format!("{} ({})", rng.pick(&PHRASES), rng.pick(&FIRST));
            let at = now - ((threads - i) as i64 * 600_000) - ((per_thread - j) as i64 * 60_000);
            let (from, to) =
                if inbound { (phone.as_str(), number.as_str()) } else { (number.as_str(), phone.as_str()) };
            sqlx::query(
                "INSERT INTO messages (org_id, thread_id, direction, sender_kind, from_e164, to_e164, body, status, created_at)
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(thread)
            .bind(if inbound { "inbound" } else { "outbound" })
            .bind(if inbound { "client" } else { "owner" })
            .bind(from)
            .bind(to)
            .bind(&body)
            .bind(if inbound { "received" } else { "delivered" })
            .bind(at)
            .execute(&mut *tx)
            .await
            .expect("message");
            last = (at, body);
        }
        sqlx::query(
            "UPDATE threads SET last_message_at = $1, last_message_preview = $2, last_inbound_at = $1, unread_count = $3 WHERE id = $4",
        )
        .bind(last.0)
        .bind(&last.1)
        .bind(i64::from(i % 7 == 0))
        .bind(thread)
        .execute(&mut *tx)
        .await
        .expect("summary");
        if i % 500 == 499 {
            tx.commit().await.expect("commit");
            tx = db.begin().await.expect("begin");
        }
    }
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE").execute(&db.write).await.expect("analyze");
    if db.kind == app::platform::DbKind::Sqlite {
        sqlx::query("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
            .execute(&db.write)
            .await
            .expect("optimize");
    }
}

/// Tops the business up to TOTAL numbers (area code 628): a mix of pool,
/// sitter and quarantined numbers, some used recently. Returns the count.
async fn add_numbers(state: &app::platform::AppState, total: usize) -> usize {
    let db = &state.db;
    let have: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM numbers WHERE org_id = 1").fetch_one(&db.read).await.expect("count");
    let now = app::platform::ms(app::platform::now());
    let mut tx = db.begin().await.expect("begin");
    for i in 0..total.saturating_sub(have as usize) {
        let (class, status) = match i % 10 {
            0..=5 => ("pool", "active"),
            6..=8 => ("sitter", "active"),
            _ => ("pool", "quarantined"),
        };
        sqlx::query(
            "INSERT INTO numbers (org_id, e164, class, status, area_code, monthly_cost_cents, purchased_at, registration, cooldown_until, last_used_at, created_at)
             VALUES (1, $1, $2, $3, '628', 115, $4, 'registered', $5, $6, $4)",
        )
        .bind(format!("+1628{:07}", 5_550_000 + i))
        .bind(class)
        .bind(status)
        .bind(now - 86_400_000 * 30)
        .bind((status == "quarantined").then_some(now + 86_400_000 * 60))
        .bind((i % 3 != 0).then_some(now - (i as i64) * 3_600_000))
        .execute(&mut *tx)
        .await
        .expect("number");
    }
    tx.commit().await.expect("commit");
    total.max(have as usize)
}
