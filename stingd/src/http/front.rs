//! The edge around the API: security headers on every answer, and the plain-HTTP port, which
//! only redirects to HTTPS and answers ACME HTTP-01 challenges from the challenge folder.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

/// Headers for an API that browsers reach over HTTPS only and that no page may frame.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("strict-transport-security", "max-age=63072000; includeSubDomains"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ] {
        let value = HeaderValue::from_static(value);
        if name == "content-security-policy" {
            // A page brings its own policy (`web::page::PAGE_POLICY`); the API's is the strictest.
            headers.entry(name).or_insert(value);
        } else {
            headers.insert(name, value);
        }
    }
    response
}

#[derive(Clone)]
struct HttpSide {
    /// `https://domain[:port]`, where redirects go (never the client's Host header).
    https_origin: Arc<str>,
    challenge_dir: Arc<PathBuf>,
}

/// The plain-HTTP port's router.
pub fn http_router(domain: &str, https_port: u16, challenge_dir: PathBuf) -> Router {
    let https_origin =
        if https_port == 443 { format!("https://{domain}") } else { format!("https://{domain}:{https_port}") };
    let state = HttpSide { https_origin: https_origin.into(), challenge_dir: Arc::new(challenge_dir) };
    Router::new().route("/.well-known/acme-challenge/{token}", get(challenge)).fallback(redirect).with_state(state)
}

async fn redirect(State(side): State<HttpSide>, uri: Uri) -> Redirect {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::permanent(&format!("{}{path}", side.https_origin))
}

/// An ACME HTTP-01 key authorisation, as the ACME client left it in the challenge folder.
async fn challenge(State(side): State<HttpSide>, Path(token): Path<String>) -> Response {
    if !sting_config::Acme::is_challenge_token(&token) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(side.challenge_dir.join(&token)).await {
        Ok(body) => ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
