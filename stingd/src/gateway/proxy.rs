//! Forwarding a request to a model process and its answer back.
//!
//! The body goes upstream untouched. A streamed answer is passed through chunk by chunk as it
//! arrives (no buffering, no coalescing); the lease travels with the stream, so the request
//! counts as outstanding until the last chunk or the client's departure. When the client goes,
//! the stream is dropped, which closes the upstream connection and llama-server stops
//! generating. When the child dies mid-stream, the stream ends with an error event.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::time::Instant;

use super::AppState;
use super::error::{ApiError, error_body};
use crate::supervisor::AcquireError;

/// The fields of a request the gateway needs; the rest passes through as is.
#[derive(Deserialize)]
struct Head {
    model: Option<String>,
    #[serde(default)]
    stream: bool,
}

/// The request body, or why it could not be read (too large, cut off).
type RequestBody = Result<Bytes, BytesRejection>;

/// The routes the gateway forwards, with their upstream path and metric label.
#[derive(Clone, Copy)]
enum Route {
    Chat,
    Completions,
    Embeddings,
}

impl Route {
    fn path(self) -> &'static str {
        match self {
            Self::Chat => "/v1/chat/completions",
            Self::Completions => "/v1/completions",
            Self::Embeddings => "/v1/embeddings",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Chat => "chat_completions",
            Self::Completions => "completions",
            Self::Embeddings => "embeddings",
        }
    }
}

pub async fn chat_completions(state: State<AppState>, body: RequestBody) -> Response {
    forward(state, Route::Chat, body).await
}

pub async fn completions(state: State<AppState>, body: RequestBody) -> Response {
    forward(state, Route::Completions, body).await
}

pub async fn embeddings(state: State<AppState>, body: RequestBody) -> Response {
    forward(state, Route::Embeddings, body).await
}

async fn forward(State(state): State<AppState>, route: Route, body: RequestBody) -> Response {
    let started = Instant::now();
    let result = match body {
        Ok(body) => try_forward(&state, route, body, started).await,
        Err(rejection) => Err(ApiError::from(rejection)),
    };
    match result {
        Ok(response) => response,
        Err(error) => {
            // Requests that never reached a model are counted without a model name, so that
            // clients cannot grow the label set with made-up names.
            state.metrics.observe_request("-", route.label(), error.status.as_u16(), started.elapsed());
            error.into_response()
        }
    }
}

async fn try_forward(state: &AppState, route: Route, body: Bytes, started: Instant) -> Result<Response, ApiError> {
    let head: Head = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {e}")))?;
    let model = head
        .model
        .filter(|m| !m.is_empty())
        .or_else(|| state.default_model.as_deref().map(str::to_string))
        .ok_or_else(|| ApiError::bad_request("model_required", "name a `model` (see GET /v1/models)"))?;
    let lease = state.supervisor.acquire(&model).await?;
    let upstream = state
        .upstream
        .post(format!("{}{}", lease.base_url, route.path()))
        .bearer_auth(&*lease.api_key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_connect() {
                // The child died and the supervisor has not seen the exit yet: it is restarting.
                ApiError::from(AcquireError::Unavailable {
                    model: lease.model.to_string(),
                    reason: "its process is restarting".into(),
                    retry_after: std::time::Duration::from_secs(1),
                })
            } else {
                ApiError::upstream(format!("the model `{}` did not answer: {e}", lease.model))
            }
        })?;
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type =
        upstream.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
    let is_event_stream = content_type.as_ref().is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));

    if head.stream && is_event_stream {
        let model = lease.model.clone();
        let metrics = state.metrics.clone();
        let chunks = upstream.bytes_stream();
        let mut first = true;
        // The lease moves into the stream: outstanding until the stream is done or dropped.
        let stream = futures_util::stream::unfold((chunks, Some(lease), false), move |(mut chunks, lease, done)| {
            let model = model.clone();
            let metrics = metrics.clone();
            let is_first = std::mem::replace(&mut first, false);
            async move {
                if done {
                    return None;
                }
                match chunks.next().await {
                    Some(Ok(bytes)) => {
                        if is_first {
                            metrics.observe_first_token(&model, started.elapsed());
                        }
                        if let Some(timings) = final_timings(&bytes) {
                            metrics.observe_timings(&model, &timings);
                        }
                        Some((Ok::<Bytes, std::io::Error>(bytes), (chunks, lease, false)))
                    }
                    Some(Err(e)) => {
                        tracing::warn!(%model, error = %e, "upstream failed mid-stream");
                        metrics.observe_request(&model, route.label(), 502, started.elapsed());
                        let event = format!(
                            "data: {}\n\n",
                            error_body(
                                "server_error",
                                "upstream_error",
                                &format!("the model `{model}` stopped mid-answer: {e}")
                            )
                        );
                        Some((Ok(Bytes::from(event)), (chunks, None, true)))
                    }
                    None => {
                        metrics.observe_request(&model, route.label(), status.as_u16(), started.elapsed());
                        None
                    }
                }
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        return Ok(response);
    }

    let bytes = upstream
        .bytes()
        .await
        .map_err(|e| ApiError::upstream(format!("the model `{}` stopped mid-answer: {e}", lease.model)))?;
    let model = lease.model.clone();
    drop(lease);
    state.metrics.observe_request(&model, route.label(), status.as_u16(), started.elapsed());
    if status.is_success() && !matches!(route, Route::Embeddings) {
        if let Some(timings) = final_timings(&bytes) {
            state.metrics.observe_timings(&model, &timings);
        }
    }
    let mut response = (status, bytes).into_response();
    if let Some(ct) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(response)
}

/// llama-server's `timings` object, from the one chunk (or whole answer) that carries it.
/// Most chunks do not: they are skipped by a substring search, without parsing.
fn final_timings(bytes: &[u8]) -> Option<serde_json::Value> {
    memchr::memmem::find(bytes, b"\"timings\"")?;
    let text = std::str::from_utf8(bytes).ok()?;
    let json = text
        .split("\n")
        .map(|line| line.strip_prefix("data: ").unwrap_or(line))
        .find(|line| line.contains("\"timings\""))?;
    let value: serde_json::Value = serde_json::from_str(json.trim()).ok()?;
    value.get("timings").cloned()
}
