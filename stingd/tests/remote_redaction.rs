//! Nothing personal leaves for a remote server: the request that reaches it (recorded by a
//! proxy in front of a real llama-server) holds placeholders, and the answer the client gets
//! holds the originals, streamed or not. The model is made to write a placeholder by a grammar
//! (llama-server's `grammar` field, passed through), so the test does not depend on what a small
//! model chooses to say.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use common::{Stingd, model};
use serde_json::{Value, json};
use sting_e2e::env::require_path;
use sting_e2e::{ChildGuard, Component, free_port, wait_for_http};

async fn llama_server() -> (ChildGuard, String) {
    let port = free_port();
    let mut command = std::process::Command::new(require_path(Component::LlamaServer));
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-m"])
        .arg(require_path(Component::TestModel))
        .args(["-c", "1024", "-np", "1", "-t", "1", "--no-webui", "--alias", "far-model"]);
    let mut server = ChildGuard::spawn("remote llama-server", command);
    let base = format!("http://127.0.0.1:{port}");
    wait_for_http(&reqwest::Client::new(), &format!("{base}/health"), &mut server, Duration::from_secs(60), |s| {
        s.is_success()
    })
    .await;
    (server, base)
}

#[derive(Clone)]
struct Recorder {
    upstream: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

/// A proxy that keeps every request body it forwards (what "left the machine").
async fn recording_proxy(upstream: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state = Recorder { upstream, bodies: bodies.clone() };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, bodies)
}

async fn forward(State(recorder): State<Recorder>, request: axum::extract::Request) -> Response {
    let path = request.uri().path().to_string();
    let body: Bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
    recorder.bodies.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
    let upstream = reqwest::Client::new()
        .post(format!("{}{path}", recorder.upstream))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = upstream.status().as_u16();
    let content_type = upstream.headers().get("content-type").cloned();
    let mut response = Response::new(Body::from_stream(upstream.bytes_stream()));
    *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
    if let Some(ct) = content_type {
        response.headers_mut().insert("content-type", ct.to_str().unwrap().parse().unwrap());
    }
    response
}

#[tokio::test]
async fn personal_data_leaves_as_placeholders_and_comes_back_in_the_answer() {
    let (_llama, base) = llama_server().await;
    let (proxy, sent) = recording_proxy(base).await;
    let far = format!(
        "    - name: far\n      allow_remote: true\n      remote:\n        base_url: {proxy}\n        model: far-model\n"
    );
    let stingd = Stingd::start_full(&require_path(Component::LlamaServer), &[model("bee", ""), far], "", "", &[]).await;

    let question = "Please write to jane.doe@example.org and call +44 20 7946 0958.";
    // The grammar makes the model answer with the placeholder the gateway gave the address.
    let request = |stream: bool| {
        json!({
            "model": "far",
            "messages": [{"role": "user", "content": question}],
            "grammar": "root ::= \"Mail sent to [EMAIL_1], call [PHONE_1] later.\"",
            "max_tokens": 40,
            "temperature": 0,
            "stream": stream,
        })
    };
    let answer = stingd.post("/v1/chat/completions", request(false)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "Mail sent to jane.doe@example.org, call +44 20 7946 0958 later."
    );

    let streamed = stingd.post("/v1/chat/completions", request(true)).send().await.unwrap();
    assert_eq!(streamed.status(), 200);
    let text = streamed.text().await.unwrap();
    let content: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(content, "Mail sent to jane.doe@example.org, call +44 20 7946 0958 later.");

    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    for body in &sent {
        assert!(!body.contains("jane.doe@example.org") && !body.contains("7946"), "left the machine: {body}");
        assert!(body.contains("[EMAIL_1]") && body.contains("[PHONE_1]"), "{body}");
    }
    let audit = std::fs::read_to_string(stingd.config_dir().join("logs/remote-requests.jsonl")).unwrap();
    let record: Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(record["redacted"], 2, "the audit record counts what was replaced");
}

#[tokio::test]
async fn a_request_sent_off_the_machine_is_in_the_audit_log_admins_read() {
    let (_llama, base) = llama_server().await;
    let far = format!(
        "    - name: far\n      allow_remote: true\n      remote:\n        base_url: {base}\n        model: far-model\n"
    );
    let site = common::site::Site::start_with_models("", &[model("bee", ""), far]).await;
    let admin = stingd::identity::users::create(&site.pool, "root@example.org", stingd::identity::users::Role::Admin)
        .await
        .unwrap();
    let session = stingd::identity::sessions::create(
        &site.pool,
        admin.id,
        stingd::identity::sessions::Aal::Two,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let cookie = format!("{}={session}", stingd::identity::sessions::COOKIE_NAME);
    let body =
        json!({"model": "far", "messages": [{"role": "user", "content": "mail ann@example.org"}], "max_tokens": 2});
    let sent = site.post("/v1/chat/completions", Some(&cookie), body).await;
    assert_eq!(sent.status(), 200);
    let mut events = Value::Null;
    for _ in 0..50 {
        events = site.get("/api/admin/audit", &cookie).await.json().await.unwrap();
        if events.to_string().contains("remote.request") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remote.request")
        .unwrap_or_else(|| panic!("no remote.request in {events}"))
        .clone();
    assert_eq!(event["actor"], admin.id.to_string());
    assert_eq!(event["target"], "far");
    assert_eq!(event["detail"]["redacted"], 1);
    assert_eq!(event["detail"]["destination"], base.as_str());
    assert!(!events.to_string().contains("ann@example.org"), "never the content");
}
