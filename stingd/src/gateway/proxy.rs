//! Forwarding a request to a model process (or an allowed remote server) and its answer back.
//!
//! The body goes upstream untouched (except the model name, for a remote server that knows the
//! model by another name). A streamed answer is passed through chunk by chunk as it arrives (no
//! buffering, no coalescing); the lease travels with the stream, so the request counts as
//! outstanding until the last chunk or the client's departure. When the client goes, the stream
//! is dropped, which closes the upstream connection and llama-server stops generating. When the
//! child dies mid-stream, the stream ends with an error event.

use std::time::Instant;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;

use super::AppState;
use super::audit::{self, RemoteRequest};
use super::cache::{self, Cached};
use super::redaction;
use crate::http::Caller;
use crate::http::ErrorKind;
use crate::http::error::{ApiError, ErrorBody, error_body};
use crate::supervisor::{AcquireError, CacheOwner, Lease, SlotLease};

/// The request body, or why it could not be read (too large, cut off).
type RequestBody = Result<Bytes, BytesRejection>;

/// Marks answers served from the response cache (`hit`) or stored in it (`miss`).
pub const CACHE_HEADER: &str = "x-sting-cache";

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

    fn shape(self) -> redaction::Shape {
        match self {
            Self::Chat => redaction::Shape::Chat,
            Self::Completions => redaction::Shape::Completion,
            Self::Embeddings => redaction::Shape::Embedding,
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

/// The fields of a request the gateway needs; the rest passes through as is.
#[derive(Deserialize)]
struct Head {
    model: Option<String>,
    #[serde(default)]
    stream: bool,
    temperature: Option<f64>,
    seed: Option<i64>,
    n: Option<u64>,
}

impl Head {
    /// Whether the answer is fully determined by the request, so it may be reused.
    fn is_deterministic(&self) -> bool {
        !self.stream && self.n.unwrap_or(1) == 1 && (self.temperature == Some(0.0) || self.seed.is_some())
    }
}

#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    summary = "Chat completion (OpenAI-compatible; `stream` for SSE)",
    responses((status = 200, description = "the model's answer"), (status = 404, description = "no such model", body = ErrorBody))
)]
pub async fn chat_completions(state: State<AppState>, caller: Extension<Caller>, body: RequestBody) -> Response {
    forward(state, caller, Route::Chat, body).await
}

#[utoipa::path(
    post,
    path = "/v1/completions",
    summary = "Text completion (OpenAI-compatible)",
    responses((status = 200, description = "the model's answer"), (status = 404, description = "no such model", body = ErrorBody))
)]
pub async fn completions(state: State<AppState>, caller: Extension<Caller>, body: RequestBody) -> Response {
    forward(state, caller, Route::Completions, body).await
}

#[utoipa::path(
    post,
    path = "/v1/embeddings",
    summary = "Embeddings (OpenAI-compatible)",
    responses((status = 200, description = "the vectors"), (status = 404, description = "no such model", body = ErrorBody))
)]
pub async fn embeddings(state: State<AppState>, caller: Extension<Caller>, body: RequestBody) -> Response {
    forward(state, caller, Route::Embeddings, body).await
}

/// A chat completion for stingd's own use (Bee): the same path as a client's request (model
/// routing and queueing, redaction for remote models and restoring their answer, metrics, the
/// audit of what left the machine), answered as the gateway answers a client.
pub async fn chat_for(state: &AppState, caller: &Caller, body: Bytes) -> Result<Response, ApiError> {
    try_forward(state, caller, Route::Chat, body, Instant::now()).await
}

async fn forward(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    route: Route,
    body: RequestBody,
) -> Response {
    let started = Instant::now();
    let result = match body {
        Ok(body) => try_forward(&state, &caller, route, body, started).await,
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

async fn try_forward(
    state: &AppState,
    caller: &Caller,
    route: Route,
    body: Bytes,
    started: Instant,
) -> Result<Response, ApiError> {
    let head: Head = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {e}")))?;
    if let Some(limit) = &state.key_rate_limit {
        limit
            .check(caller)
            .map_err(|wait| ApiError::rate_limited("rate_limited", "too many requests for this API key", wait))?;
    }
    let model = head
        .model
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| state.default_model.as_deref().map(str::to_string))
        .ok_or_else(|| ApiError::bad_request("model_required", "name a `model` (see GET /v1/models)"))?;

    let cache_key = match &state.cache {
        Some(cache) if head.is_deterministic() && !matches!(route, Route::Embeddings) => {
            let key = cache::key(caller, route.label(), &body);
            if let Some(hit) = cache.get(&key) {
                state.metrics.observe_request(&model, route.label(), hit.status, started.elapsed());
                return Ok(cached_response(hit, "hit"));
            }
            Some(key)
        }
        _ => None,
    };

    let owner = match route {
        Route::Embeddings => CacheOwner::Unpinned,
        Route::Chat | Route::Completions => CacheOwner::Caller(caller.to_string().into()),
    };
    let mut lease = state.supervisor.acquire(&model, owner).await?;
    let (body, placeholders) = match (&lease.remote, lease.slot) {
        (Some(remote), _) => remote_body(body, remote.model.as_deref(), &state.pii, route)?,
        (None, Some(slot)) => (pinned_body(&body, slot)?, Default::default()),
        (None, None) => (body, Default::default()),
    };
    let placeholders = std::sync::Arc::new(placeholders);
    let request_bytes = body.len();
    let send = |body: Bytes| {
        let mut request = state
            .upstream
            .post(format!("{}{}", lease.base_url, route.path()))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &lease.api_key {
            request = request.bearer_auth(&**key);
        }
        request.send()
    };
    let mut sent = send(body.clone()).await;
    if lease.remote.is_none() && sent.as_ref().is_err_and(closed_before_answering) {
        // A pooled connection that llama-server closed as we reused it: the request never
        // reached it, and answers have no side effects, so one retry on a fresh connection.
        sent = send(body).await;
    }
    if lease.remote.is_some() {
        // Recorded whether or not the server answered: the request left the machine.
        if let Some(log) = &state.audit {
            let destination = audit::destination(&lease.base_url);
            log.record(&RemoteRequest {
                time: audit::now(),
                model: &lease.model,
                caller: &caller.to_string(),
                destination: &destination,
                route: route.label(),
                request_bytes,
                response_bytes: None,
                status: sent.as_ref().ok().map(|r| r.status().as_u16()),
                redacted: placeholders.len(),
            });
        }
        // And in the audit log admins read, when there is one.
        if let Some(identity) = &state.identity {
            let pool = identity.pool.clone();
            let actor = caller.user_id();
            let detail = serde_json::json!({
                "destination": audit::destination(&lease.base_url),
                "route": route.label(),
                "caller": caller.to_string(),
                "status": sent.as_ref().ok().map(|r| r.status().as_u16()),
                "request_bytes": request_bytes,
                "redacted": placeholders.len(),
            });
            let model = lease.model.to_string();
            state.tasks.spawn(async move {
                if let Err(error) =
                    crate::identity::audit::record(&pool, actor, "remote.request", Some(&model), detail).await
                {
                    tracing::warn!(%error, "cannot record a remote request in the audit log");
                }
            });
        }
    }
    let upstream = sent.map_err(|e| upstream_error(&lease, e))?;
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type =
        upstream.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
    let is_event_stream = content_type.as_ref().is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));

    let restorer = (!placeholders.is_empty()).then(|| redaction::SseRestorer::new(placeholders.clone(), route.shape()));
    if head.stream && is_event_stream {
        return Ok(stream_response(state, lease, upstream, route, status, started, restorer));
    }

    let bytes = upstream
        .bytes()
        .await
        .map_err(|e| ApiError::upstream(format!("the model `{}` stopped mid-answer: {e}", lease.model)))?;
    let bytes = if placeholders.is_empty() {
        bytes
    } else {
        Bytes::from(redaction::restore_answer(&placeholders, route.shape(), &bytes))
    };
    if status.is_success() {
        lease.mark_served();
    }
    let model = lease.model.clone();
    drop(lease);
    state.metrics.observe_request(&model, route.label(), status.as_u16(), started.elapsed());
    if status.is_success() && !matches!(route, Route::Embeddings) {
        if let Some(timings) = final_timings(&bytes) {
            state.metrics.observe_timings(&model, &timings);
        }
    }
    let answer = Cached {
        status: status.as_u16(),
        content_type: content_type.and_then(|v| v.to_str().ok().map(str::to_string)),
        body: bytes,
    };
    match (cache_key, &state.cache) {
        (Some(key), Some(cache)) if status.is_success() => {
            cache.put(key, answer.clone());
            Ok(cached_response(answer, "miss"))
        }
        _ => Ok(cached_response(answer, "")),
    }
}

/// The server closed the connection without a response (not a refused connection or timeout).
fn closed_before_answering(e: &reqwest::Error) -> bool {
    e.is_request() && !e.is_connect() && !e.is_timeout() && !e.is_body()
}

fn upstream_error(lease: &Lease, e: reqwest::Error) -> ApiError {
    if e.is_connect() && lease.remote.is_none() {
        // The child died and the supervisor has not seen the exit yet: it is restarting.
        ApiError::from(AcquireError::Unavailable {
            model: lease.model.to_string(),
            reason: "its process is restarting".into(),
            retry_after: std::time::Duration::from_secs(1),
        })
    } else {
        ApiError::upstream(format!("the model `{}` did not answer: {e}", lease.model))
    }
}

/// The request for a remote server: personal data replaced by placeholders (returned, to
/// restore the answer with), and the model renamed if the server knows it otherwise.
fn remote_body(
    body: Bytes,
    remote_model: Option<&str>,
    scanner: &sting_pii::Scanner,
    route: Route,
) -> Result<(Bytes, sting_pii::Placeholders), ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let placeholders = redaction::redact_request(scanner, route.shape(), &mut value);
    if let Some(name) = remote_model {
        value["model"] = serde_json::Value::String(name.to_string());
    }
    let body = serde_json::to_vec(&value).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    Ok((body.into(), placeholders))
}

/// The request pinned to its slot, with the slot's prompt cache used only if it is the
/// caller's own (see `supervisor::slots`). Whatever the client said of slots or the cache is
/// replaced: choosing a slot would choose someone else's cache.
fn pinned_body(body: &[u8], slot: SlotLease) -> Result<Bytes, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let Some(fields) = value.as_object_mut() else {
        return Err(ApiError::bad_request("invalid_body", "the request body must be a JSON object"));
    };
    // Several completions would spread the request over other slots than its own.
    if fields.get("n").or_else(|| fields.get("n_cmpl")).and_then(serde_json::Value::as_u64).is_some_and(|n| n > 1) {
        return Err(ApiError::bad_request(
            "n_unsupported",
            "local models answer one completion per request: send n: 1",
        ));
    }
    fields.remove("n_cmpl");
    fields.remove("slot_id");
    fields.insert("id_slot".into(), slot.id.into());
    fields.insert("cache_prompt".into(), slot.warm.into());
    let body = serde_json::to_vec(&value).map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    Ok(body.into())
}

fn cached_response(answer: Cached, cache: &'static str) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    if let Some(ct) = answer.content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    if !cache.is_empty() {
        headers.insert(CACHE_HEADER, HeaderValue::from_static(cache));
    }
    response
}

fn stream_response(
    state: &AppState,
    lease: Lease,
    upstream: reqwest::Response,
    route: Route,
    status: StatusCode,
    started: Instant,
    restorer: Option<redaction::SseRestorer>,
) -> Response {
    let model = lease.model.clone();
    let metrics = state.metrics.clone();
    let chunks = upstream.bytes_stream();
    let mut first = true;
    // The lease moves into the stream: outstanding until the stream is done or dropped.
    let initial = (chunks, Some(lease), false, restorer);
    let stream = futures_util::stream::unfold(initial, move |(mut chunks, mut lease, done, mut restorer)| {
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
                        // A first chunk: llama-server has taken the prompt into the slot.
                        if let (true, Some(lease)) = (status.is_success(), lease.as_mut()) {
                            lease.mark_served();
                        }
                    }
                    if let Some(timings) = final_timings(&bytes) {
                        metrics.observe_timings(&model, &timings);
                    }
                    let bytes = match &mut restorer {
                        Some(r) => Bytes::from(r.push(&bytes)),
                        None => bytes,
                    };
                    Some((Ok::<Bytes, std::io::Error>(bytes), (chunks, lease, false, restorer)))
                }
                Some(Err(e)) => {
                    tracing::warn!(%model, error = %e, "upstream failed mid-stream");
                    metrics.observe_request(&model, route.label(), 502, started.elapsed());
                    let event = format!(
                        "data: {}\n\n",
                        error_body(
                            ErrorKind::Server,
                            "upstream_error",
                            &format!("the model `{model}` stopped mid-answer: {e}")
                        )
                    );
                    Some((Ok(Bytes::from(event)), (chunks, None, true, None)))
                }
                None => {
                    metrics.observe_request(&model, route.label(), status.as_u16(), started.elapsed());
                    // Whatever the restorer still holds (a partial line, held-back text).
                    let rest = restorer.as_mut().map(|r| r.finish()).unwrap_or_default();
                    (!rest.is_empty()).then(|| (Ok(Bytes::from(rest)), (chunks, None, true, None)))
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
    response
}

/// llama-server's `timings` object, from the one chunk (or whole answer) that carries it.
/// Most chunks do not: they are skipped by a substring search, without parsing.
fn final_timings(bytes: &[u8]) -> Option<serde_json::Value> {
    memchr::memmem::find(bytes, b"\"timings\"")?;
    let text = std::str::from_utf8(bytes).ok()?;
    let json = text
        .split('\n')
        .map(|line| line.strip_prefix("data: ").unwrap_or(line))
        .find(|line| line.contains("\"timings\""))?;
    let value: serde_json::Value = serde_json::from_str(json.trim()).ok()?;
    value.get("timings").cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(json: &str) -> Head {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn only_deterministic_unstreamed_requests_may_be_cached() {
        assert!(head(r#"{"temperature": 0}"#).is_deterministic());
        assert!(head(r#"{"seed": 42, "temperature": 0.7}"#).is_deterministic());
        assert!(!head("{}").is_deterministic(), "the default temperature samples");
        assert!(!head(r#"{"temperature": 0.2}"#).is_deterministic());
        assert!(!head(r#"{"temperature": 0, "stream": true}"#).is_deterministic());
        assert!(!head(r#"{"temperature": 0, "n": 2}"#).is_deterministic());
    }

    #[test]
    fn a_remote_model_name_replaces_the_local_one() {
        let scanner = sting_pii::Scanner::all();
        let body = Bytes::from_static(br#"{"model":"bee","messages":[{"role":"user","content":"hi"}]}"#);
        let (renamed, placeholders) = remote_body(body.clone(), Some("gpt-x"), &scanner, Route::Chat).unwrap();
        let renamed: serde_json::Value = serde_json::from_slice(&renamed).unwrap();
        assert_eq!(renamed["model"], "gpt-x");
        assert_eq!(renamed["messages"][0]["content"], "hi");
        assert!(placeholders.is_empty());
        let (same, _) = remote_body(body.clone(), None, &scanner, Route::Chat).unwrap();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&same).unwrap()["model"], "bee");
    }
}
