//! The view from the inside: models, queues, sessions, ingestion and whether Vault answers.
//! One report with two doors: `/api/beeacon/status` for admins (AAL2, as every admin route),
//! and a Unix socket in stingd's container that `stingd status` reads, which is how `msting
//! health` asks (through docker exec, so only root on the host) without stingd ever getting
//! the Docker socket or msting an account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::http::AppState;
use crate::supervisor::ModelStatus;

#[derive(Debug, Serialize)]
pub struct Beeacon {
    pub version: &'static str,
    /// `null` when ready, else what stingd is waiting for (Vault, the database).
    pub waiting_for: Option<String>,
    /// What it waits on (`vault`, `application`), for programs.
    pub waiting_on: Option<crate::phase::Awaited>,
    pub models: Vec<ModelStatus>,
    pub queues: Queues,
    /// `null` without a database.
    pub sessions: Option<Sessions>,
    pub ingestion: Option<Ingestion>,
    /// Migrations known to this binary and applied to the database (`msting doctor` reads it).
    pub schema: Option<crate::db::SchemaStatus>,
    pub vault: VaultReach,
}

#[derive(Debug, Serialize)]
pub struct Queues {
    /// Requests waiting for a model to load, over all models.
    pub model_waiting: u32,
    /// Requests being answered by model servers now.
    pub model_outstanding: u32,
    /// Documents being read and indexed now.
    pub ingesting: usize,
}

#[derive(Debug, Serialize)]
pub struct Sessions {
    /// Sessions not yet expired.
    pub active: i64,
    pub users_signed_in: i64,
}

#[derive(Debug, Serialize)]
pub struct Ingestion {
    pub queued: i64,
    pub indexing: i64,
    pub failed: i64,
    pub held: i64,
    pub ready: i64,
}

#[derive(Debug, Serialize)]
pub struct VaultReach {
    /// Whether this stingd uses Vault at all (a standalone one does not).
    pub configured: bool,
    pub reachable: Option<bool>,
    /// `active`, `sealed`, `standby`, `not initialised`, or what went wrong.
    pub state: Option<String>,
    /// Seconds left on stingd's own token (renewed at half its lease while stingd runs).
    pub token_ttl_s: Option<u64>,
}

/// What stingd knows now. `state` is `None` while it waits for Vault or the database.
pub async fn gather(state: Option<&AppState>, waiting: Option<crate::phase::Waiting>) -> Beeacon {
    let waiting_on = waiting.as_ref().map(|w| w.on);
    let waiting_for = waiting.map(|w| w.reason);
    let Some(state) = state else {
        return Beeacon {
            version: env!("CARGO_PKG_VERSION"),
            waiting_for,
            waiting_on,
            models: Vec::new(),
            queues: Queues { model_waiting: 0, model_outstanding: 0, ingesting: 0 },
            sessions: None,
            ingestion: None,
            schema: None,
            vault: VaultReach { configured: true, reachable: None, state: None, token_ttl_s: None },
        };
    };
    let models = state.supervisor.status().await;
    let queues = Queues {
        model_waiting: models.iter().map(|m| m.waiting).sum(),
        model_outstanding: models.iter().flat_map(|m| &m.replicas).map(|r| r.outstanding).sum(),
        ingesting: crate::honey_jars::indexer::SLOTS.saturating_sub(state.documents.ingest_slots.available_permits()),
    };
    let pool = state.identity.as_ref().map(|i| &i.pool);
    let (sessions, ingestion, schema) = match pool {
        Some(pool) => (sessions(pool).await, ingestion(pool).await, crate::db::status(pool).await.ok()),
        None => (None, None, None),
    };
    let vault = match &state.vault {
        None => VaultReach { configured: false, reachable: None, state: None, token_ttl_s: None },
        Some(session) => {
            let answer = tokio::time::timeout(Duration::from_secs(3), session.vault().health_code()).await;
            let (reachable, said) = match answer {
                Ok(Ok(code)) => (
                    true,
                    match code {
                        200 => "active".to_string(),
                        429 | 472 | 473 => "standby".to_string(),
                        501 => "not initialised".to_string(),
                        503 => "sealed".to_string(),
                        other => format!("answered {other}"),
                    },
                ),
                Ok(Err(e)) => (false, e.to_string()),
                Err(_) => (false, "no answer within 3 s".to_string()),
            };
            let lookup = tokio::time::timeout(
                Duration::from_secs(3),
                session.vault().call(reqwest::Method::GET, "auth/token/lookup-self", None),
            )
            .await;
            let token_ttl_s = match lookup {
                Ok(Ok(Some(answer))) => answer["data"]["ttl"].as_u64(),
                _ => None,
            };
            VaultReach { configured: true, reachable: Some(reachable), state: Some(said), token_ttl_s }
        }
    };
    Beeacon {
        version: env!("CARGO_PKG_VERSION"),
        waiting_for,
        waiting_on,
        models,
        queues,
        sessions,
        ingestion,
        schema,
        vault,
    }
}

async fn sessions(pool: &sqlx::PgPool) -> Option<Sessions> {
    let row: Result<(i64, i64), _> =
        sqlx::query_as("SELECT count(*), count(DISTINCT user_id) FROM sessions WHERE expires_at > now()")
            .fetch_one(pool)
            .await;
    match row {
        Ok((active, users_signed_in)) => Some(Sessions { active, users_signed_in }),
        Err(error) => {
            tracing::warn!(%error, "status: cannot count sessions");
            None
        }
    }
}

async fn ingestion(pool: &sqlx::PgPool) -> Option<Ingestion> {
    use crate::honey_jars::documents::Status;
    let rows: Result<Vec<(Status, i64)>, _> =
        sqlx::query_as("SELECT status, count(*) FROM documents GROUP BY status").fetch_all(pool).await;
    match rows {
        Ok(rows) => {
            let count = |status: Status| rows.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
            Some(Ingestion {
                queued: count(Status::Queued),
                indexing: count(Status::Indexing),
                failed: count(Status::Failed),
                held: count(Status::Held),
                ready: count(Status::Ready),
            })
        }
        Err(error) => {
            tracing::warn!(%error, "status: cannot count documents");
            None
        }
    }
}

/// `GET /api/beeacon/status`.
#[utoipa::path(
    get,
    path = "/api/beeacon/status",
    summary = "The view from inside: models, queues, sessions, ingestion, Vault reachability",
    responses((status = 200, description = "the report"))
)]
pub async fn status(State(state): State<AppState>) -> Json<Beeacon> {
    Json(gather(Some(&state), None).await)
}

/// Serves the report on a Unix socket: each connection gets one JSON document, then the end.
/// The socket's folder is stingd's alone (0700), so only its own user can connect.
pub async fn serve_socket(
    path: PathBuf,
    tasks: &crate::tasks::Tasks,
    phase: impl Fn() -> crate::phase::Phase<AppState> + Clone + Send + Sync + 'static,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    tracing::info!(path = %path.display(), "status socket listening");
    let answers = tasks.clone();
    tasks.spawn_until_shutdown(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let phase = phase();
            answers.spawn(async move {
                use tokio::io::AsyncWriteExt;
                let report = gather(phase.app.as_ref(), phase.waiting_for).await;
                if let Ok(mut body) = serde_json::to_vec(&report) {
                    body.push(b'\n');
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                }
            });
        }
    });
    Ok(())
}

/// `stingd status`: reads the socket and prints what it says.
pub async fn read_socket(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use tokio::io::AsyncReadExt;
    let mut stream = tokio::net::UnixStream::connect(path).await.with_context(|| {
        format!("no stingd answers at {} (is `stingd serve --status-socket` running?)", path.display())
    })?;
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut text))
        .await
        .context("stingd did not finish its status within 10 s")??;
    Ok(text)
}
