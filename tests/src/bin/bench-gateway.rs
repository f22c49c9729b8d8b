//! What stingd's gateway costs: the same llama-server, asked directly and through stingd, in
//! one run, alternating request by request so that drift in the machine hits both alike.
//!
//!   cargo build --release -p stingd -p sting-e2e
//!   eval "$(sudo tests/env/setup.sh)"
//!   taskset -c 1 target/release/bench-gateway --stingd target/release/stingd [--litellm PATH]
//!
//! stingd (and this client, with the `taskset` above) run on core 1 and its llama-server child
//! is moved to core 0, so generation speed is not lost in noise from the proxy (or the reverse). The child's port and key are read from
//! /proc (this needs root), so "direct" means exactly the process stingd uses.
//! `--litellm PATH` also starts LiteLLM's proxy (the `litellm` program of a pinned install)
//! in front of the same child, on core 1 too, and measures it alike.

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use sting_e2e::bench::pinned_stingd;
use sting_e2e::{ChildGuard, free_port, llama_child_endpoint, wait_for_http};

const KEY: &str = "bench-key-0123456789abcdef";

#[derive(Clone)]
struct Target {
    name: String,
    base: String,
    key: String,
    model: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd_bin = value("--stingd").unwrap_or_else(|| "target/release/stingd".into());
    let rounds: usize = value("--rounds").map_or(200, |r| r.parse().unwrap());

    // llama-server drops idle connections after 5 s; a client must not reuse them after that.
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(16)
        .pool_idle_timeout(Duration::from_secs(3))
        .build()?;
    let model = "      context: 8192\n      parallel: 8\n      threads: 1\n";
    let stingd = pinned_stingd(&http, &stingd_bin, model, KEY).await?;
    let (gateway, pid) = (stingd.base.clone(), stingd.child_pid);
    let (child_port, child_key) = llama_child_endpoint(pid);
    let dir = tempfile::tempdir()?;

    let mut targets = vec![
        Target {
            name: "direct".into(),
            base: format!("http://127.0.0.1:{child_port}"),
            key: child_key.clone(),
            model: "bee".into(),
        },
        Target { name: "stingd".into(), base: gateway.clone(), key: KEY.into(), model: "bee".into() },
    ];
    let _litellm = match value("--litellm") {
        Some(program) => {
            let port = free_port();
            let config = format!(
                "model_list:\n  - model_name: bee\n    litellm_params:\n      model: openai/bee\n      api_base: http://127.0.0.1:{child_port}/v1\n      api_key: {child_key}\ngeneral_settings:\n  master_key: sk-{KEY}\n"
            );
            std::fs::write(dir.path().join("litellm.yaml"), config)?;
            let mut command = Command::new(program);
            command
                .arg("--config")
                .arg(dir.path().join("litellm.yaml"))
                .args(["--port", &port.to_string(), "--num_workers", "1"])
                .env("LITELLM_TELEMETRY", "False")
                .env("LITELLM_LOG", "ERROR");
            let mut proxy = ChildGuard::spawn("litellm", command);
            let base = format!("http://127.0.0.1:{port}");
            wait_for_http(&http, &format!("{base}/health/liveliness"), &mut proxy, Duration::from_secs(120), |s| {
                s.is_success()
            })
            .await;
            targets.push(Target { name: "litellm".into(), base, key: format!("sk-{KEY}"), model: "bee".into() });
            Some(proxy)
        }
        None => None,
    };
    println!(
        "llama-server pid {pid} on core 0 (port {child_port}); stingd on core 1; child key for peers: {child_key}"
    );

    // Warm every path (connections, prompt cache).
    for t in &targets {
        for _ in 0..5 {
            one_token(&http, t).await?;
        }
    }

    let mut latency: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
    let mut ttft: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
    for round in 0..rounds {
        for k in 0..targets.len() {
            // Alternate who goes first, so neither always benefits from a warm cache line.
            let i = (k + round) % targets.len();
            latency[i].push(one_token(&http, &targets[i]).await?);
        }
    }
    for round in 0..rounds / 2 {
        for k in 0..targets.len() {
            let i = (k + round) % targets.len();
            ttft[i].push(first_token(&http, &targets[i]).await?);
        }
    }
    let mut throughput: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
    for round in 0..(rounds / 20).max(5) {
        for k in 0..targets.len() {
            let i = (k + round) % targets.len();
            throughput[i].push(streams(&http, &targets[i], 8, 64).await?);
        }
    }

    // Paired differences: each round's two requests ran back to back, so their difference
    // cancels most of the machine's drift. Computed before the sorting below.
    let paired =
        |series: &[Vec<f64>], i: usize| -> Vec<f64> { series[i].iter().zip(&series[0]).map(|(a, b)| a - b).collect() };
    let paired_latency: Vec<Vec<f64>> = (0..targets.len()).map(|i| paired(&latency, i)).collect();
    let paired_ttft: Vec<Vec<f64>> = (0..targets.len()).map(|i| paired(&ttft, i)).collect();
    println!("\n{rounds} rounds, alternating; times in ms (p10 / p50 / p90 / p99)");
    println!("| path | 1-token completion | time to first token | tokens/s, 8 streams (min / median / max) |");
    println!("| --- | --- | --- | --- |");
    for (i, t) in targets.iter().enumerate() {
        println!(
            "| {} | {} | {} | {} |",
            t.name,
            spread(&mut latency[i]),
            spread(&mut ttft[i]),
            minmax(&mut throughput[i])
        );
    }
    let p = |v: &mut Vec<f64>, q: f64| percentile(v, q);
    for i in 1..targets.len() {
        let (mut dl, mut dt) = (paired_latency[i].clone(), paired_ttft[i].clone());
        println!(
            "\n{} minus direct: 1-token p50 {:+.3} ms, p99 {:+.3} ms (paired difference: median {:+.3}, p10..p90 {:+.3}..{:+.3}); \
             first token p50 {:+.3} ms (paired median {:+.3}); throughput ratio {:.3}",
            targets[i].name,
            p(&mut latency[i], 0.5) - p(&mut latency[0], 0.5),
            p(&mut latency[i], 0.99) - p(&mut latency[0], 0.99),
            p(&mut dl, 0.5),
            p(&mut dl, 0.1),
            p(&mut dl, 0.9),
            p(&mut ttft[i], 0.5) - p(&mut ttft[0], 0.5),
            p(&mut dt, 0.5),
            p(&mut throughput[i], 0.5) / p(&mut throughput[0], 0.5),
        );
    }
    Ok(())
}

async fn one_token(http: &reqwest::Client, t: &Target) -> anyhow::Result<f64> {
    let start = Instant::now();
    let response = http
        .post(format!("{}/v1/completions", t.base))
        .bearer_auth(&t.key)
        .json(&json!({"model": t.model, "prompt": "The bee", "max_tokens": 1, "temperature": 0.7}))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "{}: {}", t.name, response.status());
    response.bytes().await?;
    Ok(start.elapsed().as_secs_f64() * 1000.0)
}

async fn first_token(http: &reqwest::Client, t: &Target) -> anyhow::Result<f64> {
    let start = Instant::now();
    let response = http
        .post(format!("{}/v1/chat/completions", t.base))
        .bearer_auth(&t.key)
        .json(&json!({"model": t.model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 4, "stream": true}))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "{}: {}", t.name, response.status());
    let mut body = response.bytes_stream();
    let mut first = None;
    let mut seen = Vec::new();
    while let Some(chunk) = body.next().await {
        seen.extend_from_slice(&chunk?);
        if first.is_none() && memchr_content(&seen) {
            first = Some(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("{}: no content in the stream", t.name))
}

fn memchr_content(bytes: &[u8]) -> bool {
    bytes.windows(10).any(|w| w == b"\"content\":") && bytes.windows(2).any(|w| w == b"\n\n")
}

/// Tokens per second over `n` concurrent streams of `tokens` each.
async fn streams(http: &reqwest::Client, t: &Target, n: usize, tokens: u32) -> anyhow::Result<f64> {
    let start = Instant::now();
    let jobs = (0..n).map(|i| {
        let http = http.clone();
        let t = t.clone();
        async move {
            let response = http
                .post(format!("{}/v1/chat/completions", t.base))
                .bearer_auth(&t.key)
                .json(&json!({
                    "model": t.model,
                    "messages": [{"role": "user", "content": format!("Story {i} about bees")}],
                    "max_tokens": tokens, "stream": true, "ignore_eos": true
                }))
                .send()
                .await?;
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                chunk?;
            }
            anyhow::Ok(())
        }
    });
    for result in futures_util::future::join_all(jobs).await {
        result?;
    }
    Ok(f64::from(tokens) * n as f64 / start.elapsed().as_secs_f64())
}

fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let idx = ((values.len() as f64 - 1.0) * q).round() as usize;
    values[idx]
}

fn spread(values: &mut [f64]) -> String {
    format!(
        "{:.2} / {:.2} / {:.2} / {:.2}",
        percentile(values, 0.1),
        percentile(values, 0.5),
        percentile(values, 0.9),
        percentile(values, 0.99)
    )
}

fn minmax(values: &mut [f64]) -> String {
    format!("{:.1} / {:.1} / {:.1}", percentile(values, 0.0), percentile(values, 0.5), percentile(values, 1.0))
}
