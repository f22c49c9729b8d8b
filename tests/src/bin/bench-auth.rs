//! What authentication costs: requests per second and latency of unauthenticated `/health`
//! next to cheap authenticated routes, in one run, on the same stingd.
//!
//!   cargo build --release -p stingd -p sting-e2e
//!   eval "$(sudo tests/env/setup.sh)"
//!   target/release/bench-auth --stingd target/release/stingd [--seconds 5] [--connections 32]
//!
//! Every way in: no credentials (`/health`), a static gateway key, an API token and a session
//! cookie on the same route (`/v1/models`), and the session on `/api/me`. Tokens and sessions
//! are checked against PostgreSQL (a server of the benchmark's own) and then held in stingd's
//! credential cache. Each is driven by the same closed loop of concurrent connections.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sting_e2e::env::require_path;
use sting_e2e::postgres::PostgresInstance;
use sting_e2e::{ChildGuard, Component, free_port, wait_for_http};

const KEY: &str = "bench-key-0123456789abcdef";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd_bin = value("--stingd").unwrap_or_else(|| "target/release/stingd".into());
    let seconds: u64 = value("--seconds").map_or(5, |s| s.parse().unwrap());
    let connections: usize = value("--connections").map_or(32, |c| c.parse().unwrap());

    let pg = PostgresInstance::start();
    let dir = tempfile::tempdir()?;
    let config = format!(
        "version: 1\nauth:\n  rate_limits:\n    api: 10000000/s\n    ai: 10000000/s\n    auth: 10000000/s\n    per_user:\n      api: 10000000/s\n      ai: 10000000/s\n      auth: 10000000/s\nllm:\n  llama_server: {}\n  models: []\n",
        require_path(Component::LlamaServer).display()
    );
    std::fs::write(dir.path().join("config.yml"), config)?;
    let port = free_port();
    let mut command = Command::new(&stingd_bin);
    command
        .args(["serve", "--config"])
        .arg(dir.path().join("config.yml"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("STING_API_KEY", KEY)
        .env("STING_DATABASE_URL", pg.url())
        .env("RUST_LOG", "warn");
    let mut stingd = ChildGuard::spawn("stingd", command);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().tcp_nodelay(true).pool_max_idle_per_host(connections).build()?;
    wait_for_http(&http, &format!("{base}/health"), &mut stingd, Duration::from_secs(20), |s| s.is_success()).await;

    // A signed-in user, straight in the database stingd migrated.
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&pg.url()).await?;
    let user: uuid_like::Id =
        sqlx::query_scalar("INSERT INTO users (email, role) VALUES ('bench@example.org', 'user') RETURNING id::text")
            .fetch_one(&pool)
            .await
            .map(uuid_like::Id)?;
    let session = "sess_benchmark-session-0123456789abcdefghijklmn";
    sqlx::query("INSERT INTO sessions (id_hash, user_id, aal, expires_at) VALUES (sha256($1::bytea), $2::uuid, 2, now() + interval '1 hour')")
        .bind(session.as_bytes())
        .bind(&user.0)
        .execute(&pool)
        .await?;
    let cookie = format!("__Host-sting_session={session}");
    let token = "sting_benchmark-token-0123456789abcdefghijklmnopq";
    sqlx::query("INSERT INTO api_tokens (user_id, name, secret_hash, scopes) VALUES ($2::uuid, 'bench', sha256($1::bytea), '{inference,read}')")
        .bind(token.as_bytes())
        .bind(&user.0)
        .execute(&pool)
        .await?;

    let cases: [Case; 5] = [
        ("GET /health (no credentials)", format!("{base}/health"), None),
        ("GET /v1/models (static key)", format!("{base}/v1/models"), Some(("authorization", format!("Bearer {KEY}")))),
        ("GET /v1/models (API token)", format!("{base}/v1/models"), Some(("authorization", format!("Bearer {token}")))),
        ("GET /v1/models (session)", format!("{base}/v1/models"), Some(("cookie", cookie.clone()))),
        ("GET /api/me (session)", format!("{base}/api/me"), Some(("cookie", cookie))),
    ];
    let mut results = Vec::new();
    for (name, url, header) in &cases {
        // Warm up, then measure.
        load(&http, url, header.as_ref(), connections, Duration::from_secs(1)).await?;
        let (rate, mut latencies) =
            load(&http, url, header.as_ref(), connections, Duration::from_secs(seconds)).await?;
        latencies.sort_by(f64::total_cmp);
        let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
        results.push((name, rate, p(0.5), p(0.99)));
    }
    println!("\n{connections} connections, {seconds} s each, stingd and client on the same 2 cores");
    println!("| route | requests/s | p50 ms | p99 ms | throughput vs /health |");
    println!("| --- | --- | --- | --- | --- |");
    let health = results[0].1;
    for (name, rate, p50, p99) in &results {
        println!("| {name} | {rate:.0} | {p50:.3} | {p99:.3} | {:.2} |", rate / health);
    }
    Ok(())
}

/// A route to load: its name, URL, and the credential header, if any.
type Case<'a> = (&'a str, String, Option<(&'a str, String)>);

/// A closed loop: `connections` workers, each sending its next request when the last returns.
async fn load(
    http: &reqwest::Client,
    url: &str,
    header: Option<&(&str, String)>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<(f64, Vec<f64>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let header: Option<(String, String)> = header.map(|(name, value)| (name.to_string(), value.clone()));
            let (http, url, stop) = (http.clone(), url.to_string(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let begin = Instant::now();
                    let mut request = http.get(&url);
                    if let Some((name, value)) = &header {
                        request = request.header(name.as_str(), value);
                    }
                    let response = request.send().await?;
                    anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
                    response.bytes().await?;
                    latencies.push(begin.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await??);
    }
    Ok((all.len() as f64 / start.elapsed().as_secs_f64(), all))
}

/// The user id as PostgreSQL's text, without a UUID dependency in the benchmark.
mod uuid_like {
    pub struct Id(pub String);
}
