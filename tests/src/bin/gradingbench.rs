//! `make bench`: the admin's grading preview and save over every open deal
//! (issue #10's goal: ≤ 200 ms server time at 10,000 open deals), against
//! `DEALGATE_URL` (loopback only), interleaved with `/api/health` as the
//! runtime's floor in the same run. Each save moves `b_min` between two
//! values, so every save regrades the deals between them. Prints min /
//! median / max, and how many deals each save regraded.

use dealgate_tests::{Session, base_url, sign_in_as};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn timed(s: &Session, method: Method, path: &str, body: &Value) -> (Duration, Value) {
    let t = Instant::now();
    let r = if method == Method::GET {
        s.get(path).send().await
    } else {
        s.send_json(method, path, body).send().await
    }
    .expect("request");
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    (t.elapsed(), body)
}

fn summary(name: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "{name}: n {}, min {:.1} ms, median {:.1} ms, max {:.1} ms",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = arg(&args, "--runs", 9);
    let base = base_url();
    assert!(
        base.starts_with("http://127.") || base.starts_with("http://localhost"),
        "benchmarks only target this machine, not {base}"
    );
    let admin = sign_in_as("admin").await;
    let (_, current) = timed(&admin, Method::GET, "/api/admin/grading", &Value::Null).await;
    let mut version = current["version"].as_u64().expect("version");
    let thresholds =
        |b_min: i64| json!({"a_min": 500_000_000, "b_min": b_min, "c_min": 30_000_000});
    let (mut health, mut preview, mut save) = (Vec::new(), Vec::new(), Vec::new());
    let mut open = 0;
    let mut regraded = Vec::new();
    for i in 0..runs {
        let (t, _) = timed(&admin, Method::GET, "/api/health", &Value::Null).await;
        health.push(t);
        let b_min = if i % 2 == 0 { 300_000_000 } else { 100_000_000 };
        let (t, p) = timed(
            &admin,
            Method::POST,
            "/api/admin/grading/preview",
            &thresholds(b_min),
        )
        .await;
        preview.push(t);
        open = p["counts"]
            .as_object()
            .map_or(0, |c| c.values().filter_map(Value::as_u64).sum());
        regraded.push(p["changes"].as_array().map_or(0, Vec::len));
        let mut body = thresholds(b_min);
        body["version"] = json!(version);
        let (t, saved) = timed(&admin, Method::PUT, "/api/admin/grading", &body).await;
        save.push(t);
        version = saved["version"].as_u64().expect("version");
    }
    // Leave the thresholds as they were.
    let mut back = current.clone();
    back["version"] = json!(version);
    timed(&admin, Method::PUT, "/api/admin/grading", &back).await;
    println!("grading over {open} open deals ({runs} runs, regraded per save: {regraded:?})");
    println!("  {}", summary("GET /api/health (floor)", health));
    println!("  {}", summary("POST /api/admin/grading/preview", preview));
    println!(
        "  {}",
        summary("PUT /api/admin/grading (save + regrade)", save)
    );
}
