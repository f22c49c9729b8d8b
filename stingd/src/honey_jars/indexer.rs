//! Ingestion off the request path: uploads sent with `?wait=false`, re-indexing a jar, and
//! documents a stopped stingd left queued. Each queue is a task of its own; a semaphore bounds
//! how many documents are read and indexed at once, so ingestion cannot starve the API.

use std::path::PathBuf;
use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

use crate::honey_jars::documents::{self, DocumentError, Source, Stored};
use crate::http::DocumentRules;
use crate::tasks::Tasks;

/// Documents read and indexed at once, at most.
pub const SLOTS: usize = 2;

/// An upload's file in the private upload folder, removed whatever happens to it.
pub struct TempUpload(pub PathBuf);

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Ingests one document when a slot is free.
pub async fn ingest(
    pool: &PgPool,
    vault: Option<&sting_vault::Vault>,
    rules: &DocumentRules,
    id: Uuid,
    source: Source<'_>,
) -> Result<Stored, DocumentError> {
    let _slot = rules.ingest_slots.acquire().await.expect("the ingestion semaphore is never closed");
    let result = documents::ingest(pool, vault, id, source, &rules.policy()).await;
    if let Ok(stored) = &result {
        rules.vectors.forget(stored.jar);
    }
    result
}

/// Ingests `ids` one after another in the background; a failure is recorded on its document.
pub fn spawn_queue(
    pool: PgPool,
    session: Option<crate::vault::Session>,
    rules: Arc<DocumentRules>,
    ids: Vec<Uuid>,
    upload: Option<TempUpload>,
    tasks: &Tasks,
) {
    let shutdown = tasks.clone();
    tasks.spawn(async move {
        for id in ids {
            // What is left stays queued: the next start resumes it.
            if shutdown.is_shutting_down() {
                break;
            }
            let vault = session.as_ref().map(|s| s.vault());
            let source = match &upload {
                Some(file) => Source::Upload(&file.0),
                None => Source::Stored,
            };
            match ingest(&pool, vault.as_ref(), &rules, id, source).await {
                Ok(stored) => {
                    tracing::info!(document = %id, chunks = stored.chunks, status = %stored.status, "indexed")
                }
                Err(error) => {
                    tracing::warn!(document = %id, %error, "cannot index a document");
                    if let Err(e) = documents::fail(&pool, id, &error, rules.pii_mode).await {
                        tracing::error!(document = %id, error = %e, "cannot record a failed document");
                    }
                }
            }
        }
    });
}

/// Takes up what a stopped stingd left queued or half indexed.
pub async fn resume(pool: PgPool, session: Option<crate::vault::Session>, rules: Arc<DocumentRules>, tasks: Tasks) {
    match documents::unfinished(&pool).await {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(documents = ids.len(), "resuming interrupted ingestion");
            spawn_queue(pool, session, rules, ids, None, &tasks);
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot look for interrupted ingestion"),
    }
}
