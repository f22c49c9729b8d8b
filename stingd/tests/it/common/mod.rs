//! A stingd of the test's own: a config in a temporary folder, a free port, a fresh API key,
//! and the real llama-server and Gemma model from tests/env/setup.sh.

pub mod jars_world;
pub mod kratos;
pub mod remote;
pub mod site;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sting_e2e::env::require_path;
use sting_e2e::{ChildGuard, Component, free_port, wait_for_http};

pub const API_KEY: &str = "test-key-5b1f0c7e9a2d4c88";
/// A second caller's key: stingd accepts both.
pub const OTHER_KEY: &str = "test-key-other-77e0d1aa93";

pub struct Stingd {
    pub process: ChildGuard,
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// One entry of the `llm.models` list for the real test model: small defaults, and `extra`
/// lines (`"      key: value\n"`) that add keys or replace them.
pub fn model(name: &str, extra: &str) -> String {
    let path = require_path(Component::TestModel);
    let mut keys: Vec<(String, String)> = vec![
        ("path".into(), path.display().to_string()),
        ("context".into(), "1024".into()),
        ("parallel".into(), "2".into()),
        ("threads".into(), "1".into()),
    ];
    for line in extra.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.trim().split_once(':').expect("extra lines are `key: value`");
        let value = value.trim().to_string();
        match keys.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => keys.push((key.to_string(), value)),
        }
    }
    let mut entry = format!("    - name: {name}\n");
    for (key, value) in keys {
        entry.push_str(&format!("      {key}: {value}\n"));
    }
    entry
}

impl Stingd {
    /// Starts stingd with these model entries (see [`model`]) and extra `llm` keys.
    pub async fn start(models: &[String], llm_extra: &str) -> Self {
        Self::start_with(&require_path(Component::LlamaServer), models, llm_extra).await
    }

    /// The same, with another llama-server binary.
    pub async fn start_with(llama: &std::path::Path, models: &[String], llm_extra: &str) -> Self {
        Self::start_full(llama, models, llm_extra, "", &[]).await
    }

    /// Everything: other top-level sections of the config, and environment variables. Both
    /// [`API_KEY`] and [`OTHER_KEY`] are accepted; the audit log goes to the test's folder.
    pub async fn start_full(
        llama: &std::path::Path,
        models: &[String],
        llm_extra: &str,
        sections: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Tests send bursts from one address: lift the per-address zones unless a test sets them.
        let auth = if sections.contains("auth:") {
            ""
        } else {
            "auth:\n  rate_limits:\n    api: 100000/s\n    ai: 100000/s\n    auth: 100000/s\n    per_user:\n      api: 100000/s\n      ai: 100000/s\n      auth: 100000/s\n  smtp:\n    host: 127.0.0.1\n    port: 9\n"
        };
        let config = format!(
            "version: 1\nllm:\n  llama_server: {}\n  default_model: null\n{llm_extra}  models:\n{}{auth}{sections}",
            llama.display(),
            models.concat()
        );
        let file = dir.path().join("config.yml");
        std::fs::write(&file, config).unwrap();
        let port = free_port();
        // With a certificate folder, HTTPS as in production (a browser needs it for the
        // session cookie and the origin); otherwise plain HTTP on loopback.
        let tls = env.iter().any(|(key, _)| *key == "STING_CERTS_DIR");
        let mut command = Command::new(env!("CARGO_BIN_EXE_stingd"));
        command.args(["serve", "--config"]).arg(&file);
        if tls {
            command.args(["--https", &format!("127.0.0.1:{port}"), "--http", &format!("127.0.0.1:{}", free_port())]);
        } else {
            command.args(["--listen", &format!("127.0.0.1:{port}")]);
        }
        command
            .env("STING_API_KEY", format!("{API_KEY},{OTHER_KEY}"))
            .env("STING_LOG_DIR", dir.path().join("logs"))
            .env("RUST_LOG", "info");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut process = ChildGuard::spawn("stingd", command);
        let (http, base) = if tls {
            let http = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
            (http, format!("https://localhost:{port}"))
        } else {
            (reqwest::Client::new(), format!("http://127.0.0.1:{port}"))
        };
        wait_for_http(&http, &format!("{base}/health"), &mut process, Duration::from_secs(20), |s| s.is_success())
            .await;
        Self { process, base, http, dir }
    }

    /// A request as the caller with `key`.
    pub fn post_as(&self, key: &str, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).bearer_auth(key).json(&body).timeout(Duration::from_secs(120))
    }

    pub fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.post_as(API_KEY, path, body)
    }

    pub async fn chat(&self, model: &str, max_tokens: u32) -> reqwest::Response {
        self.post("/v1/chat/completions", chat_body(model, max_tokens, false)).send().await.unwrap()
    }

    pub async fn models(&self) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}/v1/models", self.base))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"].as_array().unwrap().clone()
    }

    /// The supervisor's view of one model (the `sting` part of its `/v1/models` entry).
    pub async fn model_status(&self, name: &str) -> Value {
        self.models().await.into_iter().find(|m| m["id"] == name).unwrap_or_else(|| panic!("no model {name}"))["sting"]
            .clone()
    }

    /// Polls the model's status until `done` accepts it, or panics with the last one.
    pub async fn wait_for_status(&self, name: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let status = self.model_status(name).await;
            if done(&status) {
                return status;
            }
            if start.elapsed() > timeout {
                panic!(
                    "model {name} never reached the expected state; last: {status:#}\nstingd printed:\n{}",
                    self.process.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The gateway's /metrics text.
    pub async fn metrics(&self) -> String {
        let response = self.http.get(format!("{}/metrics", self.base)).bearer_auth(API_KEY).send().await.unwrap();
        response.text().await.unwrap()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// A chat request that always reaches the model: sampled (so never answered from the cache)
/// and generating exactly `max_tokens` (llama.cpp's `ignore_eos`).
pub fn chat_body(model: &str, max_tokens: u32, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "user", "content": "Write a long story about bees."}],
        "max_tokens": max_tokens,
        "stream": stream,
        "ignore_eos": true,
    })
}

/// The pids of the live (not zombie) processes of llama-server whose parent is `parent`.
pub fn llama_children(parent: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid ...
        let Some((comm_end, rest)) = stat.rsplit_once(')') else { continue };
        let comm = comm_end.split_once('(').map(|(_, c)| c).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if comm == "llama-server" && fields.first() != Some(&"Z") && fields.get(1) == Some(&parent.to_string().as_str())
        {
            pids.push(pid);
        }
    }
    pids
}

/// Whether a process is gone (or only a zombie waiting to be reaped).
pub fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
