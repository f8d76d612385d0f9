//! Webhook load benchmark: `cargo run --release -p server --bin loadtest [N] [CONCURRENCY]`.
//! Starts the real server in this process on a fresh SQLite database (demo
//! business in Twilio mode, so every request's signature is checked), then
//! posts N signed incoming-message webhooks with CONCURRENCY in flight and
//! reports throughput and latency percentiles. Client and server share the
//! machine, so the numbers are a floor.

use app::messaging::signature;
use server::config::Config;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "loadtest-token";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let concurrency: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(16);
    let dir = std::env::temp_dir().join(format!("leashline-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = format!("sqlite://{}/load.db", dir.display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let env: HashMap<&str, &str> = HashMap::from([
        ("APP_SECRET_KEY", "loadtest-secret-key-0123456789abcdefghij"),
        ("DATABASE_URL", db.as_str()),
        ("PUBLIC_BASE_URL", base.as_str()),
        ("PROVIDER", "twilio"),
        ("TWILIO_ACCOUNT_SID", SID),
        ("TWILIO_AUTH_TOKEN", TOKEN),
        ("TWILIO_API_BASE_URL", "http://127.0.0.1:9"),
    ]);
    let config = Config::from_source(&env).expect("config");
    let state = server::prepare(&config).await.expect("prepare");
    server::seed::demo(&state, &config).await.expect("seed");
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = server::serve(serving, listener).await;
    });

    let url = format!("{base}/webhooks/twilio/sms");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    // 70% from the 30 demo clients to their numbers, 30% from new people to the Front Desk.
    let targets: Vec<(String, String)> = (0..30)
        .map(|i| {
            let to = match i {
                0..=5 => "+15125550101",
                6..=10 => "+15125550102",
                11..=14 => "+15125550103",
                15..=18 => "+15125550104",
                _ => "+15125550100",
            };
            (format!("+1737555{:04}", 100 + i), to.to_string())
        })
        .filter(|(from, _)| from != "+17375550129")
        .collect();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next, latencies, failures, targets) =
            (client.clone(), url.clone(), next.clone(), latencies.clone(), failures.clone(), targets.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let (from, to) = if i % 10 < 7 {
                    targets[i % targets.len()].clone()
                } else {
                    (format!("+1512{:07}", 2_000_000 + i), "+15125550100".to_string())
                };
                let params: Vec<(String, String)> = vec![
                    ("MessageSid".into(), format!("SMload{i:010}")),
                    ("AccountSid".into(), SID.into()),
                    ("From".into(), from),
                    ("To".into(), to),
                    ("Body".into(), format!("Load test message {i}: is the walk still on for 3:30?")),
                    ("NumMedia".into(), "0".into()),
                ];
                let sig = signature::compute(TOKEN, &url, &params);
                let t = Instant::now();
                let res = client.post(&url).form(&params).header("X-Twilio-Signature", sig).send().await;
                let dt = t.elapsed();
                match res {
                    Ok(r) if r.status().is_success() => latencies.lock().expect("lock").push(dt),
                    _ => {
                        failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let total = start.elapsed();
    let mut l = latencies.lock().expect("lock").clone();
    l.sort();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(Duration::ZERO)
    };
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE provider_sid LIKE 'SMload%'")
        .fetch_one(&state.db.read)
        .await
        .expect("count");
    println!("webhook load: {n} signed incoming messages, {concurrency} in flight, SQLite");
    println!("  ok {} / failed {}  stored {stored}", l.len(), failures.load(std::sync::atomic::Ordering::Relaxed));
    println!("  throughput {:.0} msg/s over {:.1} s", l.len() as f64 / total.as_secs_f64(), total.as_secs_f64());
    println!(
        "  latency p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}
