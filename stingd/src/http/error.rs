//! Errors in OpenAI's JSON shape (`{"error": {"message", "type", "param", "code"}}`), so the
//! official client libraries raise their usual exceptions. `code` is stable for scripts.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::supervisor::AcquireError;

/// The error document, for the OpenAPI description (what `ApiError` answers).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    message: String,
    /// OpenAI's error type (`invalid_request_error`, `authentication_error`, ...).
    #[serde(rename = "type")]
    kind: String,
    /// Stable, for scripts.
    code: String,
    param: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, code, message: message.into(), retry_after: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::InvalidRequest, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::Authentication,
            "invalid_api_key",
            "a valid API key is required: send `Authorization: Bearer <key>`",
        )
    }

    /// A body that is not the JSON a route expects (400 unreadable, 415 wrong type, 422 wrong
    /// shape, 413 too large).
    pub fn from_json_rejection(rejection: axum::extract::rejection::JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "invalid_body",
        };
        Self::new(status, ErrorKind::InvalidRequest, code, rejection.body_text())
    }

    /// 429: the caller should wait `retry_after` (sent as `Retry-After`).
    pub fn rate_limited(code: &'static str, message: impl Into<String>, retry_after: Duration) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorKind::RateLimit, code, message).retry_after(retry_after)
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(self, wait: Duration) -> Self {
        Self { retry_after: Some(wait), ..self }
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, ErrorKind::Server, "upstream_error", message)
    }
}

impl From<AcquireError> for ApiError {
    fn from(e: AcquireError) -> Self {
        let message = e.to_string();
        match e {
            AcquireError::UnknownModel { .. } => {
                Self::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, "model_not_found", message)
            }
            AcquireError::Failed { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "model_failed", message)
            }
            AcquireError::Unavailable { retry_after, .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "model_unavailable", message)
                    .retry_after(retry_after)
            }
            AcquireError::QueueFull { retry_after, .. } => Self::rate_limited("queue_full", message, retry_after),
            AcquireError::RemoteNotAllowed { .. } => {
                Self::new(StatusCode::FORBIDDEN, ErrorKind::Permission, "remote_not_allowed", message)
            }
            AcquireError::ShuttingDown => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "shutting_down", message)
            }
        }
    }
}

/// Account storage errors, as every account route answers them: a missing user is 404, anything
/// else means the database did not answer (503, logged, never shown).
impl From<crate::identity::IdentityError> for ApiError {
    fn from(e: crate::identity::IdentityError) -> Self {
        match e {
            crate::identity::IdentityError::NoSuchUser => {
                Self::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, "user_not_found", "no such user")
            }
            e @ (crate::identity::IdentityError::NoVault | crate::identity::IdentityError::UnsealedSecret) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "vault_unavailable", e.to_string())
            }
            crate::identity::IdentityError::Vault(e) => {
                tracing::error!(error = %e, "Vault did not open a TOTP secret");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorKind::Server,
                    "vault_unavailable",
                    "Vault did not answer: try again once it is unsealed",
                )
            }
            other => {
                tracing::error!(error = %other, "account storage failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorKind::Server,
                    "identity_unavailable",
                    "the account store did not answer",
                )
            }
        }
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Self::bad_request("unreadable_body", rejection.body_text())
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::InvalidRequest,
        "body_too_large",
        format!("the request body is larger than {} MiB", super::MAX_BODY_BYTES / (1024 * 1024)),
    )
}

/// Any error response not already in the JSON shape (an extractor's plain-text rejection of a
/// malformed path or query, say) gets it, with a code from its status, so that clients only
/// ever parse one error format.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    // JSON already, or a page for a person (the web app's 404).
    let kept = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || kept {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text =
        axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let (kind, code) = match status {
        StatusCode::NOT_FOUND => (ErrorKind::InvalidRequest, "not_found"),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorKind::InvalidRequest, "method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorKind::InvalidRequest, "body_too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (ErrorKind::InvalidRequest, "unsupported_media_type"),
        StatusCode::UNPROCESSABLE_ENTITY => (ErrorKind::InvalidRequest, "invalid_body"),
        s if s.is_client_error() => (ErrorKind::InvalidRequest, "invalid_request"),
        _ => (ErrorKind::Server, "internal_error"),
    };
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
    let mut response = (status, axum::Json(error_body(kind, code, &message))).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// The error as JSON, for the body of a response or an SSE event.
pub fn error_body(kind: ErrorKind, code: &str, message: &str) -> serde_json::Value {
    json!({ "error": { "message": message, "type": kind.as_str(), "param": null, "code": code } })
}

/// The `type` of an error, as OpenAI's API names its kinds (clients branch on them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    Permission,
    RateLimit,
    Server,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication => "authentication_error",
            Self::Permission => "permission_error",
            Self::RateLimit => "rate_limit_error",
            Self::Server => "server_error",
        }
    }
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
