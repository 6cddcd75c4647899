//! `make bench`: the list API under load. Signs in as the manager (who sees
//! every deal; `--as rep` for the rep), then `--clients` concurrent clients fetch `--path` until
//! `--requests` have been made (bounded: it stops by itself), and prints the
//! latency percentiles. Targets `DEALGATE_URL` (loopback only).

use dealgate_tests::{arg, base_url, percentile, sign_in_as};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = arg(&args, "--path", "/api/opportunities?limit=50");
    let clients: usize = arg(&args, "--clients", "10").parse().unwrap_or(10);
    let requests: usize = arg(&args, "--requests", "1000").parse().unwrap_or(1000);
    let base = base_url();
    assert!(
        base.starts_with("http://127.")
            || base.starts_with("http://localhost")
            || base.starts_with("http://[::1]"),
        "load tests only target this machine, not {base}"
    );
    let session = sign_in_as(&arg(&args, "--as", "manager")).await;
    // Warm up: the first requests compile and cache.
    for _ in 0..10 {
        let r = session.get(&path).send().await.expect("request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let _ = r.bytes().await;
    }
    let per_client = requests.div_ceil(clients);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let session = session.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let t = Instant::now();
                let r = session.get(&path).send().await.expect("request");
                let ok = r.status().is_success();
                let _ = r.bytes().await;
                assert!(ok, "request failed");
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client"));
    }
    let elapsed = started.elapsed();
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{path}: {} requests, {clients} clients, {:.0} req/s; p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.90)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap_or(&Duration::ZERO)),
    );
}
