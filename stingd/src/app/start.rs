//! The start-up phases: serving at once, answering "starting" with what is awaited until the
//! application is built, then handing every request to it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use super::state::{Parts, build_state};
use crate::http::{ApiError, AppState, ErrorKind};
use crate::phase::{Awaited, Phases};
use crate::tasks::Tasks;

/// The application once built: its state, and the router made from it once.
#[derive(Clone)]
pub struct Started {
    pub state: AppState,
    pub router: Router,
}

impl Started {
    pub fn new(state: AppState) -> Self {
        Self { router: crate::http::router(state.clone()), state }
    }
}

/// How often stingd looks for a rotated database login in Vault.
const DATABASE_LOGIN_CHECK: Duration = Duration::from_secs(5);

/// Waits for Vault, reads the secrets, connects the database (each with backoff, each wait
/// shown on `/health/ready`), then puts the application in place.
pub(super) async fn with_vault(
    parts: Arc<Parts>,
    settings: crate::vault::Settings,
    phases: Phases<Started>,
    tasks: Tasks,
) {
    // Logging in only reads (and keeps its token file, written whole): safe to abandon.
    let session = tokio::select! {
        session = crate::vault::log_in(&settings, &phases, &tasks) => session,
        _ = tasks.shutting_down() => return,
    };
    let mut delay = Duration::from_secs(1);
    loop {
        let attempt = async {
            let (secrets, login) =
                super::secrets::from_vault(&session.vault(), &settings.kv_mount, &parts.config).await?;
            let state = build_state(&parts, &tasks, secrets, Some(session.clone())).await?;
            anyhow::Ok((state, login))
        }
        .await;
        match attempt {
            Ok((state, login)) => {
                if let Some(identity) = &state.identity {
                    tasks.spawn_until_shutdown(crate::vault::follow_database_login(
                        session.clone(),
                        identity.pool.clone(),
                        settings.kv_mount.clone(),
                        parts.config.clone(),
                        login,
                        DATABASE_LOGIN_CHECK,
                    ));
                }
                phases.ready(Started::new(state));
                tracing::info!("stingd is ready");
                return;
            }
            Err(error) => {
                let reason = format!("starting: {error:#}");
                tracing::warn!(retry_in = ?delay, "{reason}");
                phases.waiting(Awaited::Application, reason);
                // An attempt is never cut short (it migrates, seals); the wait between them is.
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = tasks.shutting_down() => return,
                }
                delay = (delay * 2).min(crate::vault::MAX_DELAY);
            }
        }
    }
}

/// What stingd serves from its first moment: `/health` answers, `/health/ready` says what is
/// awaited, and everything else gets 503 with `Retry-After` until the application is built,
/// from when on every request goes to it.
pub fn phase_router(phases: Phases<Started>) -> Router {
    use tower::ServiceExt;
    let ready_probe = phases.clone();
    let dispatch = move |request: Request| {
        let phase = phases.current();
        async move {
            match phase.app {
                Some(started) => started.router.oneshot(request).await.into_response(),
                None => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorKind::Server,
                    "starting",
                    phase.waiting_for.map_or_else(|| "starting".into(), |w| w.reason),
                )
                .retry_after(Duration::from_secs(5))
                .into_response(),
            }
        }
    };
    Router::new()
        .route("/health", get(crate::http::health::health))
        .route("/health/ready", get(move || async move { crate::http::health::answer(ready_probe.waiting_for()) }))
        .fallback(dispatch)
}
