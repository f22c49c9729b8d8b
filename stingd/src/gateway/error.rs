//! Errors in OpenAI's JSON shape (`{"error": {"message", "type", "param", "code"}}`), so the
//! official client libraries raise their usual exceptions. `code` is stable for scripts.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::supervisor::AcquireError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, code, message: message.into(), retry_after: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
            "a valid API key is required: send `Authorization: Bearer <key>`",
        )
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "server_error", "upstream_error", message)
    }
}

impl From<AcquireError> for ApiError {
    fn from(e: AcquireError) -> Self {
        let message = e.to_string();
        match e {
            AcquireError::UnknownModel { .. } => {
                Self::new(StatusCode::NOT_FOUND, "invalid_request_error", "model_not_found", message)
            }
            AcquireError::Failed { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", "model_failed", message)
            }
            AcquireError::Unavailable { retry_after, .. } => Self {
                retry_after: Some(retry_after),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", "model_unavailable", message)
            },
            AcquireError::QueueFull { retry_after, .. } => Self {
                retry_after: Some(retry_after),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "queue_full", message)
            },
            AcquireError::RemoteNotAllowed { .. } => {
                Self::new(StatusCode::FORBIDDEN, "permission_error", "remote_not_allowed", message)
            }
            AcquireError::ShuttingDown => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", "shutting_down", message)
            }
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "body_too_large",
                format!("the request body is larger than {} MiB", super::MAX_BODY_BYTES / (1024 * 1024)),
            )
        } else {
            Self::bad_request("unreadable_body", rejection.body_text())
        }
    }
}

/// The error as JSON, for the body of a response or an SSE event.
pub fn error_body(kind: &str, code: &str, message: &str) -> serde_json::Value {
    json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(error_body(self.kind, self.code, &self.message))).into_response();
        if let Some(after) = self.retry_after {
            let secs = after.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
