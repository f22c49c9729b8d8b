//! The gateway and supervisor against the real llama-server and Gemma 3 270M model.

use std::time::{Duration, Instant};

use crate::common::{API_KEY, Stingd, chat_body, is_dead, llama_children, model};
use futures_util::StreamExt;
use serde_json::{Value, json};

#[tokio::test]
async fn chat_completions_answer_whole_and_streamed_by_name_or_alias() {
    let stingd = Stingd::start(&[model("bee", "      aliases: [gemma3-270m]\n")], "").await;

    let response = stingd.chat("bee", 8).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "bee", "responses name the model, never its file");
    assert_eq!(body["usage"]["completion_tokens"], 8);

    let response = stingd.post("/v1/chat/completions", chat_body("gemma3-270m", 6, true)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let events: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    let content: usize = chunks.iter().filter(|c| c["choices"][0]["delta"]["content"].is_string()).count();
    assert_eq!(content, 6, "one chunk per token");

    // Usage at the end of a stream, when asked for.
    let mut body = chat_body("bee", 4, true);
    body["stream_options"] = json!({"include_usage": true});
    let text = stingd.post("/v1/chat/completions", body).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("\"completion_tokens\":4"), "{text}");

    let response = stingd
        .post("/v1/completions", json!({"model": "bee", "prompt": "Bees make", "max_tokens": 5, "ignore_eos": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["usage"]["completion_tokens"], 5);
}

#[tokio::test]
async fn bad_requests_get_openai_shaped_errors_with_stable_codes() {
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    let url = format!("{}/v1/chat/completions", stingd.base);

    let no_key = stingd.http.post(&url).json(&chat_body("bee", 1, false)).send().await.unwrap();
    assert_eq!(no_key.status(), 401);
    let body: Value = no_key.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "authentication_error");

    let wrong_key = stingd.http.post(&url).bearer_auth("nope").json(&chat_body("bee", 1, false)).send().await.unwrap();
    assert_eq!(wrong_key.status(), 401);
    let models_without_key = stingd.http.get(format!("{}/v1/models", stingd.base)).send().await.unwrap();
    assert_eq!(models_without_key.status(), 401, "every route but /health needs the key");

    let unknown = stingd.chat("no-such-model", 1).await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("available: bee"));

    let not_json = stingd.http.post(&url).bearer_auth(API_KEY).body("{not json").send().await.unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(not_json.json::<Value>().await.unwrap()["error"]["code"], "invalid_json");

    let no_model = stingd.post("/v1/chat/completions", json!({"messages": []})).send().await.unwrap();
    assert_eq!(no_model.status(), 400);
    assert_eq!(no_model.json::<Value>().await.unwrap()["error"]["code"], "model_required");

    let nowhere = stingd.http.get(format!("{}/v1/nothing", stingd.base)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_eq!(nowhere.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    let wrong_method =
        stingd.http.delete(format!("{}/v1/models", stingd.base)).bearer_auth(API_KEY).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.json::<Value>().await.unwrap()["error"]["code"], "method_not_allowed");

    // The server stops reading an oversized body and closes the connection: a client of its own.
    let huge =
        reqwest::Client::new().post(&url).bearer_auth(API_KEY).body(vec![b' '; 17 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(huge.status(), 413);
    assert_eq!(huge.json::<Value>().await.unwrap()["error"]["code"], "body_too_large");
}

#[tokio::test]
async fn concurrent_requests_all_succeed_and_spread_over_replicas() {
    let stingd = Stingd::start(&[model("bee", "      replicas: 2\n      parallel: 1\n")], "").await;
    // Load both replicas first.
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    stingd
        .wait_for_status("bee", Duration::from_secs(30), |s| {
            s["replicas"].as_array().unwrap().iter().all(|r| r["state"] == "ready")
        })
        .await;

    // Two long streams at once: least-outstanding routing puts one on each replica.
    let a = stingd.post("/v1/chat/completions", chat_body("bee", 400, true)).send().await.unwrap();
    let b = stingd.post("/v1/chat/completions", chat_body("bee", 400, true)).send().await.unwrap();
    let status = stingd.model_status("bee").await;
    let outstanding: Vec<u64> =
        status["replicas"].as_array().unwrap().iter().map(|r| r["outstanding"].as_u64().unwrap()).collect();
    assert_eq!(outstanding, [1, 1], "{status:#}");
    drop((a, b));
    // Dropped clients release their leases.
    stingd
        .wait_for_status("bee", Duration::from_secs(10), |s| {
            s["replicas"].as_array().unwrap().iter().all(|r| r["outstanding"] == 0)
        })
        .await;

    let requests = (0..6).map(|_| stingd.chat("bee", 4));
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn a_child_killed_mid_stream_ends_the_stream_with_an_error_then_restarts_with_backoff() {
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    let response = stingd.post("/v1/chat/completions", chat_body("bee", 2000, true)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));

    let status = stingd.model_status("bee").await;
    let pid = status["replicas"][0]["pid"].as_u64().unwrap() as i32;
    assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());

    let mut rest = Vec::new();
    while let Some(chunk) =
        tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("the stream must end, not hang")
    {
        rest.extend_from_slice(&chunk.unwrap());
    }
    let rest = String::from_utf8_lossy(&rest);
    let last = rest.lines().rfind(|l| l.starts_with("data: ")).unwrap();
    let event: Value = serde_json::from_str(last.trim_start_matches("data: ")).unwrap();
    assert_eq!(event["error"]["code"], "upstream_error", "{rest}");

    // Meanwhile requests get a clear answer (503 with Retry-After while it restarts), never a hang.
    let start = Instant::now();
    loop {
        let response = tokio::time::timeout(Duration::from_secs(30), stingd.chat("bee", 2)).await.expect("no hang");
        match response.status().as_u16() {
            200 => break,
            503 => {
                assert!(response.headers().contains_key("retry-after"), "503 says when to come back");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "model_unavailable", "{body}");
            }
            other => panic!("unexpected status {other}"),
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the model did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = stingd.model_status("bee").await;
    assert_eq!(status["replicas"][0]["restarts"], 1);
    assert!(status["replicas"][0]["last_exit"].as_str().unwrap().contains("SIGKILL"), "{status:#}");
    assert_ne!(status["replicas"][0]["pid"].as_u64().unwrap() as i32, pid);
}

#[tokio::test]
async fn a_crash_loop_puts_the_model_in_failed_with_its_exit_and_stderr() {
    // A "llama-server" that dies at once, as a broken build or a bad flag would.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("llama-server");
    std::fs::write(&fake, "#!/bin/sh\necho 'error: this build cannot run here' >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let socket = dir.path().join("run/status.sock");
    let stingd =
        Stingd::start_full(&fake, &[model("bee", "")], "", "", &[("STING_STATUS_SOCKET", socket.to_str().unwrap())])
            .await;
    let start = Instant::now();
    let failed = loop {
        let response = stingd.chat("bee", 1).await;
        assert_eq!(response.status(), 503, "a crashing model is unavailable");
        let body: Value = response.json().await.unwrap();
        if body["error"]["code"] == "model_failed" {
            break body;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never declared failed: {body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(failed["error"]["message"].as_str().unwrap().contains("crashed 5 times"), "{failed}");
    let status = &stingd.model_status("bee").await;
    assert_eq!(status["state"], "failed");
    assert_eq!(status["failure"]["exit_status"], "exited with status 3");
    assert!(status["failure"]["stderr_tail"].as_str().unwrap().contains("this build cannot run here"), "{status:#}");

    // The operator's view through the status socket (what `msting health` reads in the
    // container) says the same, and health calls it CRITICAL.
    use std::os::unix::fs::PermissionsExt;
    let folder = std::fs::metadata(socket.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(folder, 0o700, "only stingd's user reaches the socket");
    let read = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["status", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
    let inside: Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(inside["models"][0]["state"], "failed", "{inside:#}");
    assert_eq!(inside["vault"]["configured"], false);
    let judged = msting::health::checks::judge_models(&inside);
    assert_eq!(judged.status, msting::health::Status::Critical);
    assert!(judged.message.contains("bee failed"), "{}", judged.message);

    let nobody = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["status", "--socket"])
        .arg(dir.path().join("nothing.sock"))
        .output()
        .unwrap();
    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no stingd answers at"));
}

#[tokio::test]
async fn a_file_that_is_not_gguf_fails_its_model_and_leaves_the_others_serving() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.gguf");
    std::fs::write(&bogus, "<html>404 Not Found</html>").unwrap();
    let broken = format!("    - name: broken\n      path: {}\n", bogus.display());
    let stingd = Stingd::start(&[model("bee", ""), broken], "").await;

    let response = stingd.chat("broken", 1).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_failed");
    assert!(body["error"]["message"].as_str().unwrap().contains("is not a GGUF model file"), "{body}");
    let status = stingd.model_status("broken").await;
    assert_eq!(status["state"], "failed");
    assert!(status["failure"]["reason"].as_str().unwrap().contains("not a GGUF"));

    assert_eq!(stingd.chat("bee", 2).await.status(), 200, "the other model is unaffected");
}

#[tokio::test]
async fn an_idle_model_is_unloaded_after_its_ttl_and_its_process_ends() {
    let stingd = Stingd::start(&[model("bee", "      idle_ttl: 1s\n")], "").await;
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    let pid = stingd.model_status("bee").await["replicas"][0]["pid"].as_u64().unwrap() as u32;
    assert!(!is_dead(pid));
    stingd
        .wait_for_status("bee", Duration::from_secs(10), |s| {
            s["state"] == "unloaded" && s["replicas"][0]["pid"].is_null()
        })
        .await;
    let start = Instant::now();
    while !is_dead(pid) {
        assert!(start.elapsed() < Duration::from_secs(5), "llama-server {pid} still runs after unload");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And it loads again on demand.
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
}

#[tokio::test]
async fn under_a_budget_for_one_model_the_idle_one_is_evicted_and_a_busy_one_stays() {
    // The test model needs about 350 MiB at 1024 tokens of context: 500m fits one, not two.
    let stingd = Stingd::start(&[model("first", ""), model("second", "")], "  memory_budget: 500m\n").await;
    assert_eq!(stingd.chat("first", 1).await.status(), 200);
    assert_eq!(stingd.chat("second", 1).await.status(), 200, "loading second evicts the idle first");
    assert_eq!(stingd.model_status("first").await["state"], "unloaded");
    assert_eq!(stingd.model_status("second").await["state"], "loaded");

    // Keep second busy: first cannot load, and second is not evicted.
    let busy = stingd.post("/v1/chat/completions", chat_body("second", 2000, true)).send().await.unwrap();
    let mut busy = busy.bytes_stream();
    busy.next().await.unwrap().unwrap();
    let response = stingd.chat("first", 1).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("not enough memory"), "{body}");
    assert_eq!(stingd.model_status("second").await["state"], "loaded");
}

#[tokio::test]
async fn a_full_queue_answers_429_with_retry_after() {
    // One slot and one waiting place: the third concurrent request is refused at once.
    let stingd = Stingd::start(&[model("bee", "      parallel: 1\n")], "  queue_depth: 1\n").await;
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    // The second waits in the supervisor for the slot the first holds (no answer headers
    // yet), so send both without waiting, and watch them arrive.
    let a = tokio::spawn(stingd.post("/v1/chat/completions", chat_body("bee", 2000, true)).send());
    let b = tokio::spawn(stingd.post("/v1/chat/completions", chat_body("bee", 2000, true)).send());
    stingd
        .wait_for_status("bee", Duration::from_secs(10), |s| s["replicas"][0]["outstanding"] == 1 && s["waiting"] == 1)
        .await;
    let start = Instant::now();
    let c = stingd.chat("bee", 1).await;
    assert!(start.elapsed() < Duration::from_secs(2), "refused at once, not queued");
    assert_eq!(c.status(), 429);
    assert_eq!(c.headers()["retry-after"], "1");
    assert_eq!(c.json::<Value>().await.unwrap()["error"]["code"], "queue_full");
    a.abort();
    b.abort();
}

#[tokio::test]
async fn killing_stingd_leaves_no_llama_server_behind() {
    let stingd = Stingd::start(&[model("bee", "      replicas: 2\n")], "").await;
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    let parent = stingd.process.id();
    stingd
        .wait_for_status("bee", Duration::from_secs(30), |s| {
            s["replicas"].as_array().unwrap().iter().all(|r| r["state"] == "ready")
        })
        .await;
    let children = llama_children(parent);
    assert_eq!(children.len(), 2, "two replicas run as children of stingd");
    assert!(std::process::Command::new("kill").args(["-9", &parent.to_string()]).status().unwrap().success());
    tokio::time::sleep(Duration::from_secs(2)).await;
    for pid in children {
        assert!(is_dead(pid), "llama-server {pid} outlived stingd");
    }
}

#[tokio::test]
async fn sigterm_stops_stingd_and_its_children_cleanly() {
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    let parent = stingd.process.id();
    let children = llama_children(parent);
    assert_eq!(children.len(), 1);
    assert!(std::process::Command::new("kill").args(["-TERM", &parent.to_string()]).status().unwrap().success());
    let start = Instant::now();
    while !is_dead(parent) {
        assert!(start.elapsed() < Duration::from_secs(10), "stingd did not exit on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(children.iter().all(|pid| is_dead(*pid)));
    let said = stingd.process.output();
    assert!(said.contains("stopping model processes"), "{said}");
    // Every background task (credential listener, rejection log, ...) was stopped and joined.
    assert!(said.contains("stopping background tasks"), "{said}");
    assert!(!said.contains("background tasks still running"), "{said}");
}

#[tokio::test]
async fn serve_refuses_a_missing_api_key_and_a_non_loopback_address() {
    let file = std::path::Path::new(&sting_e2e::env::manifest_dir()).join("../conf/examples/gateway.yml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["serve", "--config"])
        .arg(&file)
        .env_remove("STING_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("neither STING_API_KEY nor STING_API_KEY_FILE is set"), "{said}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stingd"))
        .args(["serve", "--config"])
        .arg(&file)
        .args(["--listen", "0.0.0.0:0"])
        .env("STING_API_KEY", API_KEY)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("plain HTTP is allowed on loopback only"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_model_marked_for_embeddings_serves_v1_embeddings() {
    let stingd = Stingd::start(&[model("embed", "      embeddings: true\n")], "").await;
    let response = stingd
        .post("/v1/embeddings", json!({"model": "embed", "input": ["honey jar", "bee hive"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let first = data[0]["embedding"].as_array().unwrap();
    assert_eq!(first.len(), 640, "Gemma 3 270M embeds in 640 dimensions");
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);
}

#[tokio::test]
async fn metrics_count_requests_tokens_and_first_tokens_behind_the_key_or_on_an_internal_address() {
    let metrics_port = sting_e2e::free_port();
    let sections = format!("observability:\n  metrics_listen: 127.0.0.1:{metrics_port}\n");
    let llama = sting_e2e::env::require_path(sting_e2e::Component::LlamaServer);
    let stingd = Stingd::start_full(&llama, &[model("bee", "      aliases: [b]\n")], "", &sections, &[]).await;
    assert_eq!(stingd.chat("b", 3).await.status(), 200);
    let streamed =
        stingd.post("/v1/chat/completions", chat_body("bee", 4, true)).send().await.unwrap().text().await.unwrap();
    assert!(streamed.ends_with("data: [DONE]\n\n"));
    assert_eq!(stingd.chat("wasp", 1).await.status(), 404);

    let unauthorised = stingd.http.get(format!("{}/metrics", stingd.base)).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401);
    let text = stingd
        .http
        .get(format!("{}/metrics", stingd.base))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(has(r#"stingd_requests_total{model="bee",route="chat_completions",status="200"} 2"#), "{text}");
    assert!(has(r#"stingd_requests_total{model="-",route="chat_completions",status="404"} 1"#), "{text}");
    assert!(has(r#"stingd_time_to_first_token_seconds_count{model="bee"} 1"#), "{text}");
    assert!(has(r#"stingd_completion_tokens_total{model="bee"} 7"#), "{text}");
    assert!(has(r#"stingd_model_state{model="bee",state="loaded"} 1"#), "{text}");
    assert!(has(r#"stingd_queue_depth{model="bee"} 0"#), "{text}");
    assert!(has(r#"stingd_model_restarts_total{model="bee"} 0"#), "{text}");
    assert!(text.contains("stingd_tokens_per_second{model=\"bee\"}"));
    assert!(text.ends_with("# EOF\n"));

    // The internal address serves the same without a key, and nothing else.
    let internal = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.unwrap();
    assert_eq!(internal.status(), 200);
    assert!(internal.text().await.unwrap().contains("stingd_requests_total"));
    let other = reqwest::get(format!("http://127.0.0.1:{metrics_port}/v1/models")).await.unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn model_processes_run_confined_and_without_stingds_environment() {
    let stingd = Stingd::start(&[model("bee", "")], "").await;
    assert_eq!(stingd.chat("bee", 1).await.status(), 200);
    let status = stingd.model_status("bee").await;
    assert_eq!(status["replicas"][0]["sandbox"], "landlock fully enforced, seccomp: no socket but TCP", "{status:#}");
    let pid = status["replicas"][0]["pid"].as_u64().unwrap();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(!environ.contains("STING_API_KEY"), "the child never sees stingd's secrets");
    assert!(environ.contains("LLAMA_API_KEY="), "its own key comes by the environment");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains("--host 127.0.0.1") && !cmdline.contains("api-key"), "{cmdline}");
}

/// llama-server's count of decoded tokens, read from its own metrics with its own key.
async fn decoded_tokens(pid: u64) -> f64 {
    let (port, key) = sting_e2e::llama_child_endpoint(pid);
    let response =
        reqwest::Client::new().get(format!("http://127.0.0.1:{port}/metrics")).bearer_auth(key).send().await.unwrap();
    let text = response.text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix("llamacpp:n_decode_total ")).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_stops_the_generation() {
    let stingd = Stingd::start(&[model("bee", "      parallel: 1\n")], "").await;
    let response = stingd.post("/v1/chat/completions", chat_body("bee", 3000, true)).send().await.unwrap();
    let mut stream = response.bytes_stream();
    for _ in 0..5 {
        stream.next().await.unwrap().unwrap();
    }
    let pid = stingd.model_status("bee").await["replicas"][0]["pid"].as_u64().unwrap();
    drop(stream);
    // Give the disconnect a moment to travel, then watch the decoder: it must be idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = decoded_tokens(pid).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = decoded_tokens(pid).await;
    assert_eq!(before, after, "llama-server kept generating for a client that left");
    stingd.wait_for_status("bee", Duration::from_secs(5), |s| s["replicas"][0]["outstanding"] == 0).await;
}

#[tokio::test]
async fn a_pinned_model_loads_at_start_and_never_unloads() {
    let stingd = Stingd::start(&[model("bee", "      pinned: true\n      idle_ttl: 1s\n")], "").await;
    let status = stingd.wait_for_status("bee", Duration::from_secs(30), |s| s["state"] == "loaded").await;
    let pid = status["replicas"][0]["pid"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let status = stingd.model_status("bee").await;
    assert_eq!(status["state"], "loaded", "pinned models ignore their idle TTL");
    assert_eq!(status["replicas"][0]["pid"].as_u64().unwrap(), pid);
}

#[tokio::test]
async fn eviction_takes_the_least_recently_used_of_several_idle_models() {
    // Room for two models (about 350 MiB each at this context), not three.
    let models = [model("a", ""), model("b", ""), model("c", "")];
    let stingd = Stingd::start(&models, "  memory_budget: 800m\n").await;
    assert_eq!(stingd.chat("a", 1).await.status(), 200);
    assert_eq!(stingd.chat("b", 1).await.status(), 200);
    assert_eq!(stingd.chat("a", 1).await.status(), 200, "a is now more recently used than b");
    assert_eq!(stingd.chat("c", 1).await.status(), 200);
    let states: Vec<Value> = futures_util::future::join_all(["a", "b", "c"].map(|m| stingd.model_status(m))).await;
    let states: Vec<&str> = states.iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["loaded", "unloaded", "loaded"]);
}

/// How many of the prompt's tokens llama-server took from its cache for this answer.
async fn cached_tokens(stingd: &Stingd, key: &str, body: Value) -> u64 {
    let response = stingd.post_as(key, "/v1/chat/completions", body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["timings"]["cache_n"].as_u64().unwrap_or_else(|| panic!("no timings.cache_n: {answer}"))
}

#[tokio::test]
async fn one_callers_prompt_cache_never_serves_another_callers_request() {
    use crate::common::OTHER_KEY;
    // One slot: without care, whoever comes next would find the last caller's prompt cached.
    let stingd = Stingd::start(&[model("bee", "      parallel: 1\n")], "").await;
    let note = "The hive's private notes: the queen was replaced in May, and the north colony is weak. ".repeat(8);
    let ask = |extra: Value| {
        let mut body = json!({"model": "bee", "messages": [{"role": "user", "content": note}], "max_tokens": 1, "temperature": 1.0});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    assert_eq!(cached_tokens(&stingd, API_KEY, ask(json!({}))).await, 0, "a new process caches nothing");
    assert!(cached_tokens(&stingd, API_KEY, ask(json!({}))).await > 0, "a caller's own prompt is reused");
    // Another caller sending the same text, even asking for the slot and the cache by name,
    // finds nothing cached: the answer's timings (and its speed) say nothing of the first's.
    let pinned = json!({"id_slot": 0, "cache_prompt": true});
    assert_eq!(cached_tokens(&stingd, OTHER_KEY, ask(pinned)).await, 0);
    assert!(cached_tokens(&stingd, OTHER_KEY, ask(json!({}))).await > 0);
    // A request that fails before llama-server takes it does not make the slot the sender's.
    let refused = stingd.post_as(API_KEY, "/v1/chat/completions", ask(json!({"n": 2}))).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "n_unsupported");
    assert_eq!(cached_tokens(&stingd, API_KEY, ask(json!({}))).await, 0, "the slot still held the other's prompt");
}
