//! The health routes: the same answers whether stingd is starting (`app::start::phase_router`
//! serves them before the application exists) or serving (the route table has them too).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::phase::Waiting;

/// Liveness: stingd answers.
#[utoipa::path(get, path = "/health", summary = "Liveness: stingd answers", responses((status = 200, description = "alive")))]
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness, from the route table: the application exists, so nothing is awaited.
#[utoipa::path(
    get,
    path = "/health/ready",
    summary = "Readiness: 503 with what stingd waits for while it starts",
    responses(
        (status = 200, description = "ready"),
        (status = 503, description = "starting: what it waits for (`waiting_for`), and on what (`waiting_on`)"),
    )
)]
pub async fn ready() -> Response {
    answer(None)
}

/// 200 when nothing is awaited, else 503 with what is.
pub fn answer(waiting: Option<Waiting>) -> Response {
    match waiting {
        None => Json(json!({ "status": "ready" })).into_response(),
        Some(waiting) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            Json(json!({ "status": "starting", "waiting_for": waiting.reason, "waiting_on": waiting.on })),
        )
            .into_response(),
    }
}
