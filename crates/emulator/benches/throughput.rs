//! How fast the emulator answers on loopback: 10,000 agents created through HTTP (in memory
//! and with a state file), list pages and filtered look-ups at 10,000 objects, and the
//! sustained rate of a mixed read/write load. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p emulator --bench throughput` (the load generator shares the machine
//! with the server, so the rates are a floor for the server alone).

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const OBJECTS: usize = 10_000;
const CONCURRENCY: usize = 16;

fn token(sid: &str, secret: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let head = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256","cty":"stringee-api;v=1"}"#);
    let body = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&json!({ "jti": "bench", "iss": sid, "exp": exp, "rest_api": true }))
            .unwrap(),
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{head}.{body}").as_bytes());
    format!(
        "{head}.{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

struct Target {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Target {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-STRINGEE-AUTH", &self.token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let answer: Value = req.send().await.unwrap().json().await.unwrap();
        assert_eq!(answer["r"], 0, "{path}: {answer}");
        answer
    }
}

/// Runs `total` jobs over `concurrency` tasks; answers the wall time and each job's latency.
async fn drive<F, Fut>(concurrency: usize, total: usize, job: F) -> (Duration, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (job, next) = (job.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return latencies;
                    }
                    let t = Instant::now();
                    job(i).await;
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    (started.elapsed(), latencies)
}

fn report(what: &str, wall: Duration, mut latencies: Vec<Duration>) {
    latencies.sort();
    let n = latencies.len();
    let pct = |p: usize| latencies[(n * p / 100).min(n - 1)];
    println!(
        "{what:<62} {n:>6} req in {:>7.2} s = {:>7.0} req/s   latency p50 {:>6.2} ms  p99 {:>6.2} ms",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        pct(50).as_secs_f64() * 1e3,
        pct(99).as_secs_f64() * 1e3,
    );
}

async fn run(label: &str, state: Option<std::path::PathBuf>) {
    let key = emulator::ApiKey {
        sid: "SKbench".into(),
        secret: "bench-secret".into(),
    };
    let mut config = emulator::Config::new(vec![key]);
    config.state = state;
    let emu = emulator::spawn("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let target = Arc::new(Target {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap(),
        base: emu.url(),
        token: token("SKbench", "bench-secret"),
    });

    let t = target.clone();
    let (wall, lat) = drive(CONCURRENCY, OBJECTS, move |i| {
        let t = t.clone();
        async move {
            let body =
                json!({ "name": format!("Agent {i}"), "stringee_user_id": format!("user{i:05}") });
            t.send(reqwest::Method::POST, "/v1/agent", Some(&body))
                .await;
        }
    })
    .await;
    report(
        &format!("[{label}] create 10,000 agents, {CONCURRENCY} at once"),
        wall,
        lat,
    );

    let t = target.clone();
    let pages = OBJECTS / 100;
    let (wall, lat) = drive(1, pages, move |i| {
        let t = t.clone();
        async move {
            let answer = t
                .send(
                    reqwest::Method::GET,
                    &format!("/v1/agent?page={}&limit=100", i + 1),
                    None,
                )
                .await;
            assert_eq!(answer["data"]["agents"].as_array().unwrap().len(), 100);
        }
    })
    .await;
    report(
        &format!("[{label}] list all agents, limit 100, one at a time"),
        wall,
        lat,
    );

    let t = target.clone();
    let (wall, lat) = drive(1, 2_000, move |i| {
        let t = t.clone();
        async move {
            let user = format!("user{:05}", (i * 7919) % OBJECTS);
            let answer = t
                .send(
                    reqwest::Method::GET,
                    &format!("/v1/agent?stringee_user_id={user}"),
                    None,
                )
                .await;
            assert_eq!(answer["data"]["totalCount"], "1");
        }
    })
    .await;
    report(
        &format!("[{label}] filter agents by stringee_user_id, one at a time"),
        wall,
        lat,
    );

    let t = target.clone();
    let (wall, lat) = drive(32, 30_000, move |i| {
        let t = t.clone();
        async move {
            if i % 10 == 0 {
                let body = json!({ "name": format!("group {i}") });
                t.send(reqwest::Method::POST, "/v1/group", Some(&body))
                    .await;
            } else {
                let user = format!("user{:05}", (i * 7919) % OBJECTS);
                t.send(
                    reqwest::Method::GET,
                    &format!("/v1/agent?stringee_user_id={user}"),
                    None,
                )
                .await;
            }
        }
    })
    .await;
    report(
        &format!("[{label}] mixed 90% look-ups / 10% creates, 32 at once"),
        wall,
        lat,
    );

    emu.shutdown().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    run("memory", None).await;
    run("file", Some(dir.path().join("bench.db"))).await;
    let size = std::fs::metadata(dir.path().join("bench.db")).map_or(0, |m| m.len());
    println!(
        "state file after the file run: {:.1} MiB",
        size as f64 / 1048576.0
    );
}
