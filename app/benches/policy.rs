//! Policy detector throughput: `cargo bench -p app --bench policy`.
//! Reports MB/s over the labelled corpus and time per typical message.

use app::domain::policy;
use std::time::Instant;

fn main() {
    let corpus = include_str!("../tests/data/policy_corpus.tsv");
    let messages: Vec<&str> =
        corpus.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.splitn(3, '\t').nth(2)).collect();
    let bytes: usize = messages.iter().map(|m| m.len()).sum();
    // Warm up.
    for m in &messages {
        std::hint::black_box(policy::check(m));
    }
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            std::hint::black_box(policy::check(m));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let total = (bytes * rounds) as f64;
    println!("policy::check over {} messages ({} bytes) x {rounds} rounds", messages.len(), bytes);
    println!("throughput: {:.2} MB/s", total / secs / 1e6);
    println!(
        "per message: {:.2} µs (mean length {} bytes)",
        secs * 1e6 / (messages.len() * rounds) as f64,
        bytes / messages.len().max(1)
    );
    let typical = "Hi Ana! Max had a great walk, ate all his food and drank water. See you tomorrow at 5:30!";
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy::check(typical));
    }
    println!("typical message ({} bytes): {:.2} µs", typical.len(), start.elapsed().as_secs_f64() * 1e6 / n as f64);
}
