//! What keeping each caller's prompt cache to itself costs: the same requests, in one run, to
//! a llama-server shared the way llama-server shares its cache by default (any slot, the host
//! memory cache across slots) and through stingd, which pins each caller to a slot of their
//! own and turns the cross-slot cache off. Requests alternate between the two, one at a time.
//!
//!   cargo build --release -p stingd -p sting-e2e
//!   eval "$(sudo tests/env/setup.sh)"
//!   taskset -c 1 target/release/bench-prompt-cache --stingd target/release/stingd
//!
//! Two workloads, each caller with a document of its own (about 600 tokens) before a short
//! question, as Bee's answers from Honey Jars are: `--callers` at most the slots (each keeps
//! its slot: nothing should be lost) and twice the slots (callers evict one another: the
//! isolation costs prefill a shared cache would have saved only if the texts were shared, and
//! these are not). Then a third where every caller sends the same long text: what a shared
//! cache gains from one caller's work for another, which isolation gives up on purpose.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sting_e2e::bench::pinned_stingd;
use sting_e2e::env::require_path;
use sting_e2e::{ChildGuard, Component, free_port, llama_child_endpoint, wait_for_http};

const SLOTS: usize = 2;

struct Target {
    name: &'static str,
    base: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let stingd_bin = value("--stingd").unwrap_or_else(|| "target/release/stingd".into());
    let rounds: usize = value("--rounds").map_or(6, |r| r.parse().unwrap());
    let keys: Vec<String> = (0..SLOTS * 2).map(|i| format!("bench-caller-{i}-0123456789abcdef")).collect();

    let (llama, model) = (require_path(Component::LlamaServer), require_path(Component::TestModel));
    let http = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(3)).build()?;
    let settings = format!("      context: 8192\n      parallel: {SLOTS}\n      threads: 1\n");
    let stingd = pinned_stingd(&http, &stingd_bin, &settings, &keys.join(",")).await?;
    let (_, child_key) = llama_child_endpoint(stingd.child_pid);
    let gateway = stingd.base.clone();

    // The same llama-server, as it shares its cache by default, on the same core.
    let shared_port = free_port();
    let mut command = Command::new("taskset");
    command.args(["-c", "0"]).arg(&llama).arg("-m").arg(&model);
    command.args(["--host", "127.0.0.1", "--port", &shared_port.to_string(), "-c", "8192"]);
    command.args(["-np", &SLOTS.to_string(), "-t", "1", "--api-key", &child_key, "--no-webui"]);
    let mut shared = ChildGuard::spawn("llama-server", command);
    let shared_base = format!("http://127.0.0.1:{shared_port}");
    wait_for_http(&http, &format!("{shared_base}/health"), &mut shared, Duration::from_secs(60), |s| s.is_success())
        .await;

    let targets =
        [Target { name: "shared cache", base: shared_base }, Target { name: "stingd, per caller", base: gateway }];
    let document = |caller: usize| {
        format!("Field notes of apiary {caller}: ")
            + &(0..60).map(|n| format!("frame {n} of hive {caller} holds brood and stores; ")).collect::<String>()
    };
    println!("{SLOTS} slots, Gemma 3 270M on one core; mean per request over {rounds} rounds, alternating targets");
    println!("| workload | shared cache: ms, cached tokens | stingd: ms, cached tokens | time ratio |");
    println!("| --- | --- | --- | --- |");
    for (label, callers, same_text) in [
        ("own documents, callers = slots", SLOTS, false),
        ("own documents, callers = 2 x slots", SLOTS * 2, false),
        ("one text for every caller, callers = 2 x slots", SLOTS * 2, true),
    ] {
        let mut totals = [(0.0f64, 0u64, 0usize); 2];
        for round in 0..rounds + 1 {
            for (caller, caller_key) in keys.iter().enumerate().take(callers) {
                let text = if same_text { document(99) } else { document(caller) };
                let body = json!({
                    "model": "bee",
                    "messages": [{"role": "user", "content": format!("{text}\nQuestion {round}: which hive is weakest?")}],
                    "max_tokens": 1, "temperature": 0.7
                });
                for k in 0..targets.len() {
                    let i = (k + round + caller) % targets.len();
                    // The stingd target tells callers apart by key; llama-server by nothing.
                    let key = if i == 0 { child_key.as_str() } else { caller_key.as_str() };
                    let start = Instant::now();
                    let response = http
                        .post(format!("{}/v1/chat/completions", targets[i].base))
                        .bearer_auth(key)
                        .json(&body)
                        .send()
                        .await?;
                    anyhow::ensure!(response.status().is_success(), "{}: {}", targets[i].name, response.status());
                    let answer: Value = response.json().await?;
                    // The first round fills the caches.
                    if round > 0 {
                        totals[i].0 += start.elapsed().as_secs_f64() * 1000.0;
                        totals[i].1 += answer["timings"]["cache_n"].as_u64().unwrap_or(0);
                        totals[i].2 += 1;
                    }
                }
            }
        }
        let mean = |t: (f64, u64, usize)| (t.0 / t.2 as f64, t.1 / t.2 as u64);
        let (shared_ms, shared_cached) = mean(totals[0]);
        let (isolated_ms, isolated_cached) = mean(totals[1]);
        println!(
            "| {label} | {shared_ms:.1}, {shared_cached} | {isolated_ms:.1}, {isolated_cached} | {:.2} |",
            isolated_ms / shared_ms
        );
    }
    Ok(())
}
