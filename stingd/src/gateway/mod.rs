//! The OpenAI-compatible gateway: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`,
//! `/v1/models` and `/metrics`, in front of the supervisor's llama-server children: forwarding
//! and streaming, the per-caller response cache, redaction for remote models and their audit.

mod audit;
mod cache;
mod metrics;
pub(crate) mod proxy;
mod redaction;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub use audit::AuditLog;
pub use cache::ResponseCache;
pub use metrics::Metrics;
pub use proxy::chat_for;

use crate::http::access::{Access, Credential, Principal};
use crate::http::state::AppState;
use crate::identity::users::Role;
use crate::supervisor::Supervisor;

/// The metrics alone, for a separate internal address (`observability.metrics_listen`) that
/// needs no key. The supervisor is there once stingd has started.
pub fn metrics_router(
    metrics: Arc<Metrics>,
    supervisor: impl Fn() -> Option<Supervisor> + Clone + Send + Sync + 'static,
) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (metrics, supervisor) = (metrics.clone(), supervisor.clone());
            async move {
                let models = match supervisor() {
                    Some(supervisor) => supervisor.status().await,
                    None => Vec::new(),
                };
                render_metrics(&metrics, &models)
            }
        }),
    )
}

#[utoipa::path(
    get,
    path = "/metrics",
    summary = "Prometheus/OpenMetrics metrics",
    responses((status = 200, description = "the metrics, in OpenMetrics text"))
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    render_metrics(&state.metrics, &state.supervisor.status().await)
}

fn render_metrics(metrics: &Metrics, models: &[crate::supervisor::ModelStatus]) -> Response {
    let body = metrics.render(models);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

/// OpenAI's model list, with each model's state alongside. Its details (path, pids, why it
/// failed, llama-server's stderr) go to admins at AAL2 and to the operator's gateway keys only.
#[utoipa::path(
    get,
    path = "/v1/models",
    summary = "The configured models and their state",
    responses((status = 200, description = "the models"))
)]
pub(crate) async fn models(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Response {
    let operator = matches!(principal.credential, Credential::GatewayKey)
        || Access::Role(Role::Admin).check(Some(&principal)).is_ok();
    let data: Vec<_> = state
        .supervisor
        .status()
        .await
        .into_iter()
        .map(|m| {
            json!({
                "id": m.name,
                "object": "model",
                "created": 0,
                "owned_by": "sting",
                "sting": if operator { json!(m) } else { m.public() },
            })
        })
        .collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}
