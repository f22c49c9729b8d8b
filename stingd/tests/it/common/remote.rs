//! A server "off the machine" for tests of remote models: a real llama-server of its own, and a
//! recording proxy in front of it that keeps what was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use sting_e2e::env::require_path;
use sting_e2e::{ChildGuard, Component, free_port, wait_for_http};

/// A llama-server of the test's own, standing for a server off the machine (`far-model`), with
/// its Prometheus metrics on.
pub async fn llama_server() -> (ChildGuard, String) {
    llama_server_keyed(None).await
}

/// The same, answering only requests with `api_key`, when one is given.
pub async fn llama_server_keyed(api_key: Option<&str>) -> (ChildGuard, String) {
    let port = free_port();
    let mut command = std::process::Command::new(require_path(Component::LlamaServer));
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-m"])
        .arg(require_path(Component::TestModel))
        .args(["-c", "1024", "-np", "1", "-t", "1", "--metrics", "--no-webui", "--alias", "far-model"]);
    if let Some(key) = api_key {
        command.env("LLAMA_API_KEY", key);
    }
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
    grammar: Option<Arc<str>>,
}

/// A proxy that keeps every request body it forwards (what "left the machine"). With `grammar`,
/// it adds that llama-server grammar to each request after recording it, so the model says
/// exactly what a test needs (for requests stingd builds itself, as Bee's).
pub async fn recording_proxy(upstream: String, grammar: Option<&str>) -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state = Recorder { upstream, bodies: bodies.clone(), grammar: grammar.map(Arc::from) };
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
    let body = match &recorder.grammar {
        Some(grammar) => {
            let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            value["grammar"] = serde_json::Value::String(grammar.to_string());
            Bytes::from(serde_json::to_vec(&value).unwrap())
        }
        None => body,
    };
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
