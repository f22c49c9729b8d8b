//! Response cache, per-key rate limits, and remote upstreams (a second llama-server standing in
//! for a server off the machine), against the real model.

use crate::common::{API_KEY, OTHER_KEY, Stingd, model};
use serde_json::{Value, json};
use sting_e2e::Component;
use sting_e2e::env::require_path;

fn greedy(max_tokens: u32) -> Value {
    json!({"model": "bee", "messages": [{"role": "user", "content": "Name a flower."}], "max_tokens": max_tokens, "temperature": 0})
}

async fn generated_tokens(stingd: &Stingd) -> u64 {
    let text = stingd.metrics().await;
    text.lines()
        .find_map(|l| l.strip_prefix(r#"stingd_completion_tokens_total{model="bee"} "#))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn a_cache_hit_skips_the_model_and_never_crosses_callers() {
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    let first = stingd.post_as(API_KEY, "/v1/chat/completions", greedy(6)).send().await.unwrap();
    assert_eq!(first.headers()["x-sting-cache"], "miss");
    let first: Value = first.json().await.unwrap();
    let tokens = generated_tokens(&stingd).await;
    assert!(tokens > 0);

    let again = stingd.post_as(API_KEY, "/v1/chat/completions", greedy(6)).send().await.unwrap();
    assert_eq!(again.headers()["x-sting-cache"], "hit");
    assert_eq!(again.json::<Value>().await.unwrap(), first, "the same answer, byte for byte");
    assert_eq!(generated_tokens(&stingd).await, tokens, "a hit does not reach the model");

    let other = stingd.post_as(OTHER_KEY, "/v1/chat/completions", greedy(6)).send().await.unwrap();
    assert_eq!(other.headers()["x-sting-cache"], "miss", "another caller never gets the first caller's answer");
    assert!(generated_tokens(&stingd).await > tokens);

    // Sampling requests are never cached.
    let mut sampled = greedy(2);
    sampled["temperature"] = json!(0.8);
    let response = stingd.post_as(API_KEY, "/v1/chat/completions", sampled.clone()).send().await.unwrap();
    assert!(!response.headers().contains_key("x-sting-cache"));
}

#[tokio::test]
async fn a_caller_over_its_rate_gets_429_and_others_are_not_slowed() {
    let stingd = Stingd::start(&[model("bee", "")], "  key_rate_limit: 2/m\n  cache:\n    enabled: false\n").await;
    for _ in 0..2 {
        assert_eq!(stingd.post_as(API_KEY, "/v1/chat/completions", greedy(1)).send().await.unwrap().status(), 200);
    }
    let refused = stingd.post_as(API_KEY, "/v1/chat/completions", greedy(1)).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "rate_limited");
    assert_eq!(stingd.post_as(OTHER_KEY, "/v1/chat/completions", greedy(1)).send().await.unwrap().status(), 200);
}

async fn remote_requests(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("llamacpp:n_decode_total "))
        .map_or(0, |n| n.parse::<f64>().unwrap() as u64)
}

#[tokio::test]
async fn a_remote_upstream_is_used_only_when_allowed_and_every_use_is_audited() {
    let (_remote, base) = crate::common::remote::llama_server().await;
    let far = |allowed: bool| {
        format!(
            "    - name: far\n      allow_remote: {allowed}\n      remote:\n        base_url: {base}\n        model: far-model\n"
        )
    };
    let llama = require_path(Component::LlamaServer);

    // Not allowed: refused, and nothing reaches the remote server.
    let stingd = Stingd::start_full(&llama, &[far(false)], "", "", &[]).await;
    let before = remote_requests(&base).await;
    let body = json!({"model": "far", "messages": [{"role": "user", "content": "secret plans for the hive"}], "max_tokens": 3});
    let refused = stingd.post("/v1/chat/completions", body.clone()).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "remote_not_allowed");
    assert_eq!(remote_requests(&base).await, before, "a refused request never leaves");
    assert_eq!(stingd.model_status("far").await["state"], "remote");
    drop(stingd);

    // Allowed: served by the remote server under its own name, and recorded without content.
    let stingd = Stingd::start_full(&llama, &[far(true)], "", "", &[]).await;
    let answer = stingd.post("/v1/chat/completions", body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["model"], "far-model", "the remote server's name for it");
    assert!(remote_requests(&base).await > before);

    let audit = std::fs::read_to_string(stingd.config_dir().join("logs/remote-requests.jsonl")).unwrap();
    let records: Vec<Value> = audit.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["model"], "far");
    assert_eq!(record["route"], "chat_completions");
    assert_eq!(record["status"], 200);
    assert!(record["caller"].as_str().unwrap().starts_with("key:"));
    assert_eq!(record["destination"], base.as_str(), "scheme, host and port only");
    assert!(record["request_bytes"].as_u64().unwrap() > 0);
    assert!(!audit.contains("secret plans"), "never the content");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(stingd.config_dir().join("logs/remote-requests.jsonl")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}
