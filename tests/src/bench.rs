//! What the gateway benchmarks share: a stingd of their own on core 1 with one pinned model,
//! served as soon as that model is ready, its llama-server child moved to core 0.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::env::require_path;
use crate::{ChildGuard, Component, free_port, wait_for_http};

/// A running benchmark stingd.
pub struct BenchStingd {
    pub process: ChildGuard,
    pub base: String,
    /// The pid of the model's llama-server, now on core 0.
    pub child_pid: u64,
    _dir: tempfile::TempDir,
}

/// Starts `stingd_bin` with `model` (the lines of one `llm.models` entry after `name: bee`,
/// `path` and `pinned`), the response cache off, rate limits out of the way, and `keys`
/// (comma-separated) as its gateway keys; waits for the model.
pub async fn pinned_stingd(
    http: &reqwest::Client,
    stingd_bin: &str,
    model: &str,
    keys: &str,
) -> anyhow::Result<BenchStingd> {
    let dir = tempfile::tempdir()?;
    let config = format!(
        "version: 1\nauth:\n  rate_limits:\n    api: 1000000/s\n    ai: 1000000/s\n    per_user:\n      api: 1000000/s\n      ai: 1000000/s\n      auth: 1000000/s\nllm:\n  llama_server: {}\n  cache:\n    enabled: false\n  models:\n    - name: bee\n      path: {}\n      pinned: true\n{model}",
        require_path(Component::LlamaServer).display(),
        require_path(Component::TestModel).display()
    );
    std::fs::write(dir.path().join("config.yml"), config)?;
    let port = free_port();
    let mut command = Command::new("taskset");
    command
        .args(["-c", "1"])
        .arg(stingd_bin)
        .args(["serve", "--config"])
        .arg(dir.path().join("config.yml"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("STING_API_KEY", keys)
        .env("RUST_LOG", "warn");
    let mut process = ChildGuard::spawn("stingd", command);
    let base = format!("http://127.0.0.1:{port}");
    wait_for_http(http, &format!("{base}/health"), &mut process, Duration::from_secs(20), |s| s.is_success()).await;
    let key = keys.split(',').next().unwrap_or_default();
    let child_pid = loop {
        let models: Value = http.get(format!("{base}/v1/models")).bearer_auth(key).send().await?.json().await?;
        let replica = &models["data"][0]["sting"]["replicas"][0];
        if replica["state"] == "ready" {
            break replica["pid"].as_u64().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pinned = Command::new("taskset").args(["-a", "-pc", "0", &child_pid.to_string()]).output()?;
    anyhow::ensure!(pinned.status.success(), "cannot pin llama-server to core 0");
    Ok(BenchStingd { process, base, child_pid, _dir: dir })
}
