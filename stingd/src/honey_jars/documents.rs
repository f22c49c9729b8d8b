//! Documents in Honey Jars: an upload becomes text (`ingest`), is checked for personal data
//! under the upload policy (`pii.mode`: flag holds it for a moderator, redact stores only the
//! redacted text, block refuses it), and is stored sealed with its own data key (`envelope`)
//! together with its chunks, which feed the full-text index. Search reads the index through
//! `jar_permissions`, so it never returns a chunk of a jar the caller cannot read.

use std::path::Path;

use serde::Serialize;
use sqlx::PgPool;
use sting_vault::Vault;
use uuid::Uuid;

use crate::envelope::{EnvelopeError, KeyCache, Sealer};
use crate::honey_jars::ingest::chunk::{Sizes, chunk};
use crate::honey_jars::ingest::extract::{ExtractError, Input, extract};
use crate::honey_jars::ingest::sniff::{DocType, SniffError, sniff};
use crate::honey_jars::jars::{self, JarError, Permission, Reader};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Jar(#[from] JarError),
    #[error(transparent)]
    Type(#[from] SniffError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("the document holds personal data ({0}) and the upload policy blocks such documents")]
    Blocked(String),
    #[error("documents are stored encrypted with keys from Vault, and Vault cannot be used now: {0}")]
    Sealing(#[from] EnvelopeError),
    #[error("this stingd has no Vault: documents are only stored encrypted (set STING_VAULT_ADDR)")]
    NoVault,
    #[error("your documents would take {needed} bytes, over your quota of {quota}")]
    Quota { needed: u64, quota: u64 },
    #[error("no such document")]
    NotFound,
    #[error("this document is {status}: its content can be read once it is ready{}", if *status == Status::Held { " (a moderator reviews held documents)" } else { "" })]
    NotReadable { status: Status },
    #[error(transparent)]
    Embedding(#[from] crate::honey_jars::embed::EmbedError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<crate::honey_jars::vectors::VectorError> for DocumentError {
    fn from(error: crate::honey_jars::vectors::VectorError) -> Self {
        use crate::honey_jars::vectors::VectorError;
        match error {
            VectorError::Sealing(e) => Self::Sealing(e),
            VectorError::Database(e) => Self::Database(e),
        }
    }
}

/// Where a document is on its way to being searchable (the `documents.status` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Indexing,
    /// Searchable.
    Ready,
    /// Holds personal data and waits for a moderator (`pii.mode: flag`).
    Held,
    Failed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Queued => "queued",
            Self::Indexing => "indexing",
            Self::Ready => "ready",
            Self::Held => "held",
            Self::Failed => "failed",
        })
    }
}

/// What an upload became.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stored {
    pub id: Uuid,
    pub jar: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub doc_type: DocType,
    pub size: u64,
    /// `ready` (searchable) or `held` (personal data found; a moderator decides).
    pub status: Status,
    pub chunks: usize,
    /// Personal data found, by kind (counts only).
    pub pii: std::collections::BTreeMap<String, usize>,
    /// Whether only the redacted text was kept.
    pub redacted: bool,
}

/// What the upload policy needs.
pub struct Policy<'a> {
    pub scanner: &'a sting_pii::Scanner,
    pub mode: sting_config::PiiMode,
    pub enabled: bool,
    pub quota: u64,
    pub extract: crate::honey_jars::ingest::extract::Limits,
    /// Embeds every chunk when set.
    pub embedder: Option<&'a std::sync::Arc<crate::honey_jars::embed::Embedder>>,
    /// Opened data keys: the one `receive` made is used again by `ingest` without Vault.
    pub keys: &'a KeyCache,
}

/// The sealed form of a chunk: its heading path and text.
#[derive(Serialize, serde::Deserialize)]
struct ChunkBody {
    heading: String,
    text: String,
}

/// Where ingestion reads a document from: the upload still on disk, or what is stored (sealed)
/// when re-indexing or resuming after a restart.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Upload(&'a Path),
    Stored,
}

/// Where a passage is shown: its document's page, scrolled to it (a citation's or a search
/// hit's link).
pub fn passage_href(jar: Uuid, document: Uuid, chunk: i32) -> String {
    format!("/jars/{jar}/documents/{document}#passage-{chunk}")
}

/// Takes an upload in: checks the caller may write to the jar, their quota and the type, and
/// stores the file sealed under a new data key as `queued`. Nothing is searchable yet.
#[allow(clippy::too_many_arguments)]
pub async fn receive(
    pool: &PgPool,
    vault: Option<&Vault>,
    reader: Reader,
    jar: Uuid,
    name: &str,
    upload: &Path,
    size: u64,
    policy: &Policy<'_>,
) -> Result<(Uuid, DocType), DocumentError> {
    let quota = policy.quota;
    jars::require(pool, reader, jar, Permission::Write).await?;
    let vault = vault.ok_or(DocumentError::NoVault)?;
    let content = zeroize::Zeroizing::new(std::fs::read(upload).map_err(|e| ExtractError::Failed(e.to_string()))?);
    let doc_type = sniff(&content[..content.len().min(4096)], name)?;
    let id = Uuid::new_v4();
    let (sealer, wrapped) = Sealer::create(vault).await?;
    let mut tx = pool.begin().await?;
    // One upload of a user's at a time between the quota check and the insert, so uploads sent
    // together cannot each fit alone and overshoot together.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))")
        .bind(reader.user)
        .execute(&mut *tx)
        .await?;
    let used: i64 = sqlx::query_scalar("SELECT coalesce(sum(size), 0)::bigint FROM documents WHERE uploaded_by = $1")
        .bind(reader.user)
        .fetch_one(&mut *tx)
        .await?;
    let needed = used as u64 + size;
    if needed > quota {
        return Err(DocumentError::Quota { needed, quota });
    }
    sqlx::query(
        "INSERT INTO documents (id, jar_id, name, doc_type, size, status, progress, approved, searchable, wrapped_key, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, false, false, $6, $7, $8)",
    )
    .bind(id)
    .bind(jar)
    .bind(name)
    .bind(doc_type.name())
    .bind(size as i64)
    .bind(&wrapped)
    .bind(sealer.seal(&content, id.as_bytes()))
    .bind(reader.user)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    policy.keys.remember(id, std::sync::Arc::new(sealer));
    Ok((id, doc_type))
}

type StoredRow = (Uuid, String, String, i64, String, Vec<u8>, bool, bool);

/// Reads, checks and indexes a received document: text extracted in the confined child, the
/// PII policy applied (block refuses, redact keeps only the redacted text, flag holds it for a
/// moderator unless one approved it already), chunks sealed and indexed. The old chunks are
/// replaced in the same transaction, so search sees either the old index or the new one.
/// Progress is written as chunks go in.
pub async fn ingest(
    pool: &PgPool,
    vault: Option<&Vault>,
    id: Uuid,
    source: Source<'_>,
    policy: &Policy<'_>,
) -> Result<Stored, DocumentError> {
    let vault = vault.ok_or(DocumentError::NoVault)?;
    let row: Option<StoredRow> = sqlx::query_as(
        "UPDATE documents SET status = 'indexing', progress = 0, error = NULL WHERE id = $1
         RETURNING jar_id, name, doc_type, size, wrapped_key, content, redacted, approved",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let (jar, name, doc_type, size, wrapped, sealed_content, was_redacted, approved) =
        row.ok_or(DocumentError::NotFound)?;
    let doc_type = DocType::from_name(&doc_type).ok_or(DocumentError::NotFound)?;
    let sealer = policy.keys.sealer(vault, id, &wrapped).await?;
    let text = if was_redacted {
        // What is stored is already the redacted text.
        String::from_utf8_lossy(&sealer.open(&sealed_content, id.as_bytes())?).into_owned()
    } else {
        let program = std::env::current_exe().map_err(|e| ExtractError::Failed(e.to_string()))?;
        let input = match source {
            Source::Upload(path) => Input::File(path),
            Source::Stored => Input::Bytes(sealer.open(&sealed_content, id.as_bytes())?.to_vec()),
        };
        extract(&program, input, doc_type, policy.extract).await?.text
    };

    let findings = if policy.enabled { policy.scanner.scan(&text) } else { Vec::new() };
    let mut pii = std::collections::BTreeMap::new();
    for f in &findings {
        *pii.entry(f.kind.name().to_string()).or_insert(0) += 1;
    }
    let (text, new_content, status, redacted) = match (policy.mode, findings.is_empty()) {
        (_, true) => (text, None, Status::Ready, was_redacted),
        (sting_config::PiiMode::Block, false) => {
            return Err(DocumentError::Blocked(pii.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
        (sting_config::PiiMode::Redact, false) => {
            let clean = sting_pii::redact(&text, &findings, &mut sting_pii::Placeholders::default());
            let sealed = sealer.seal(clean.as_bytes(), id.as_bytes());
            (clean, Some(sealed), Status::Ready, true)
        }
        (sting_config::PiiMode::Flag, false) => {
            (text, None, if approved { Status::Ready } else { Status::Held }, was_redacted)
        }
    };

    let chunks = chunk(&text, Sizes::default());
    // Embedding is most of the work when it is on: it gets most of the progress.
    let embedding_share = if policy.embedder.is_some() { 0.8 } else { 0.0 };
    let mut vectors: Vec<Vec<u8>> = Vec::new();
    if let Some(embedder) = policy.embedder {
        let texts: Vec<String> = chunks.iter().map(|c| format!("{}\n{}", c.heading, &text[c.start..c.end])).collect();
        for (done, batch) in texts.chunks(16).enumerate() {
            let (embedder, batch) = (embedder.clone(), batch.to_vec());
            let embedded = tokio::task::spawn_blocking(move || {
                embedder.embed(&batch.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await
            .map_err(|e| crate::honey_jars::embed::EmbedError::Run(e.to_string()))??;
            for vector in embedded {
                let seq = vectors.len() as i32;
                vectors.push(
                    sealer.seal(
                        &crate::honey_jars::embed::to_bytes(&vector),
                        &crate::honey_jars::vectors::context(id, seq),
                    ),
                );
            }
            let fraction = ((done + 1) * 16).min(texts.len()) as f32 / texts.len() as f32;
            sqlx::query("UPDATE documents SET progress = $2 WHERE id = $1")
                .bind(id)
                .bind(embedding_share * fraction)
                .execute(pool)
                .await?;
        }
    }
    let step = (chunks.len() / 20).max(1);
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM chunks WHERE document_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM document_pii WHERE document_id = $1").bind(id).execute(&mut *tx).await?;
    for f in &findings {
        sqlx::query(
            "INSERT INTO document_pii (document_id, kind, start_offset, end_offset, score, rule) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(f.kind.name())
        .bind(f.start as i32)
        .bind(f.end as i32)
        .bind(f.score)
        .bind(f.rule)
        .execute(&mut *tx)
        .await?;
    }
    for (seq, c) in chunks.iter().enumerate() {
        let body = ChunkBody { heading: c.heading.clone(), text: text[c.start..c.end].to_string() };
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(&body).expect("a chunk serialises"));
        let sealed = sealer.seal(&plain, format!("{id}:{seq}").as_bytes());
        // The words go to the index; the text itself is stored only sealed.
        sqlx::query(
            "INSERT INTO chunks (document_id, jar_id, seq, start_offset, end_offset, sealed, tsv, embedding)
             VALUES ($1, $2, $3, $4, $5, $6, setweight(to_tsvector('english', $7), 'A') || to_tsvector('english', $8), $9)",
        )
        .bind(id)
        .bind(jar)
        .bind(seq as i32)
        .bind(c.start as i32)
        .bind(c.end as i32)
        .bind(&sealed)
        .bind(&body.heading)
        .bind(&body.text)
        .bind(vectors.get(seq))
        .execute(&mut *tx)
        .await?;
        if seq % step == step - 1 {
            // Outside the transaction, so it is seen while the work goes on.
            sqlx::query("UPDATE documents SET progress = $2 WHERE id = $1")
                .bind(id)
                .bind(embedding_share + (1.0 - embedding_share) * (seq + 1) as f32 / chunks.len() as f32)
                .execute(pool)
                .await?;
        }
    }
    let first_time: bool = sqlx::query_scalar("SELECT indexed_at IS NULL FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if status == Status::Held && first_time {
        let kinds: Vec<&str> = pii.keys().map(String::as_str).collect();
        let title = format!("“{name}” is held for review");
        let body = format!(
            "It holds personal data ({}): a moderator reviews it before search and Bee can use it.",
            kinds.join(", ")
        );
        tell_uploader(&mut tx, id, crate::notifications::Kind::DocumentHeld, &title, &body).await?;
    }
    sqlx::query(
        "UPDATE documents SET status = $2, searchable = $3, content = coalesce($4, content), redacted = $5,
                approved = approved OR $6, progress = 1, error = NULL, indexed_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(status == Status::Ready)
    .bind(new_content)
    .bind(redacted)
    .bind(findings.is_empty())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Stored { id, jar, name, doc_type, size: size as u64, status, chunks: chunks.len(), pii, redacted })
}

/// Tells whoever uploaded document `id` (if they still have an account), in `tx`: the notice
/// goes out when what it tells is committed.
async fn tell_uploader(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: Uuid,
    kind: crate::notifications::Kind,
    title: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    let found: Option<(Option<Uuid>, Uuid)> = sqlx::query_as("SELECT uploaded_by, jar_id FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some((Some(uploader), jar)) = found {
        let link = format!("/jars/{jar}");
        let new = crate::notifications::New { kind, title, body, link: Some(&link) };
        crate::notifications::send(&mut **tx, uploader, &new).await?;
    }
    Ok(())
}

/// A received document that could not be ingested, when nobody is waiting for the answer: it
/// stays listed as `failed` with the reason. A document the policy blocks keeps nothing (its
/// content and index go); any other failure leaves the previous index searchable. Under
/// `redact` and `block` an original that was never checked is not kept either, nor one known to
/// hold personal data (kept whole under `flag`) with its index: they may hold the very data
/// those modes promise not to store.
pub async fn fail(
    pool: &PgPool,
    id: Uuid,
    error: &DocumentError,
    mode: sting_config::PiiMode,
) -> Result<(), sqlx::Error> {
    let blocked = matches!(error, DocumentError::Blocked(_));
    let strict = matches!(mode, sting_config::PiiMode::Redact | sting_config::PiiMode::Block);
    let mut tx = pool.begin().await?;
    let state: Option<(bool, bool, bool)> = sqlx::query_as(
        "SELECT redacted, indexed_at IS NULL, EXISTS (SELECT 1 FROM document_pii p WHERE p.document_id = d.id)
         FROM documents d WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((redacted, never_indexed, known_personal)) = state else { return Ok(()) };
    // What the strict modes keep of nothing: the original and, when it holds personal data,
    // its index (built under `flag`, with that data in it).
    let personal_goes = blocked || (strict && !redacted && known_personal);
    let original_goes = personal_goes || (strict && !redacted && never_indexed);
    sqlx::query(
        "UPDATE documents SET status = 'failed', error = $2, progress = 0,
                searchable = searchable AND NOT $3,
                content = CASE WHEN $4 THEN ''::bytea ELSE content END
         WHERE id = $1",
    )
    .bind(id)
    .bind(error.to_string())
    .bind(personal_goes)
    .bind(original_goes)
    .execute(&mut *tx)
    .await?;
    if personal_goes {
        sqlx::query("DELETE FROM chunks WHERE document_id = $1").bind(id).execute(&mut *tx).await?;
    }
    let name: String =
        sqlx::query_scalar("SELECT name FROM documents WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let title = format!("“{name}” could not be indexed");
    let body = format!("{error}.");
    tell_uploader(&mut tx, id, crate::notifications::Kind::IngestionFailed, &title, &body).await?;
    tx.commit().await
}

/// A received document whose uploader is told it failed: it goes entirely (nothing half kept).
pub async fn discard(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM documents WHERE id = $1").bind(id).execute(pool).await.map(|_| ())
}

/// Puts every document of a jar that still has its content back through ingestion (needs
/// write on the jar). Returns their ids, queued.
pub async fn queue_reindex(pool: &PgPool, reader: Reader, jar: Uuid) -> Result<Vec<Uuid>, DocumentError> {
    jars::require(pool, reader, jar, Permission::Write).await?;
    Ok(sqlx::query_scalar(
        "UPDATE documents SET status = 'queued', progress = 0, error = NULL
         WHERE jar_id = $1 AND octet_length(content) > 0 RETURNING id",
    )
    .bind(jar)
    .fetch_all(pool)
    .await?)
}

/// Documents left queued or half indexed (stingd stopped meanwhile), oldest first.
pub async fn unfinished(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM documents WHERE status IN ('queued', 'indexing') AND octet_length(content) > 0 ORDER BY created_at",
    )
    .fetch_all(pool)
    .await
}

/// A document's listing entry.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub doc_type: String,
    pub size: i64,
    pub status: Status,
    /// How far indexing is (0 to 1).
    pub progress: f32,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was last indexed (seconds since the epoch).
    pub indexed_at: Option<i64>,
    pub created_at: i64,
    /// The kinds of personal data found in it (never the values).
    pub pii: Vec<String>,
}

pub async fn list(pool: &PgPool, reader: Reader, jar: Uuid) -> Result<Vec<Listed>, DocumentError> {
    jars::get(pool, reader, jar).await?;
    Ok(sqlx::query_as(
        "SELECT id, name, doc_type, size, status, progress, error,
                extract(epoch FROM indexed_at)::bigint AS indexed_at, extract(epoch FROM created_at)::bigint AS created_at,
                ARRAY(SELECT DISTINCT p.kind FROM document_pii p WHERE p.document_id = d.id ORDER BY p.kind) AS pii
         FROM documents d WHERE jar_id = $1 ORDER BY created_at, id",
    )
    .bind(jar)
    .fetch_all(pool)
    .await?)
}

/// Removes a document with its chunks and findings (needs write on the jar).
pub async fn delete(pool: &PgPool, reader: Reader, jar: Uuid, id: Uuid) -> Result<(), DocumentError> {
    jars::require(pool, reader, jar, Permission::Write).await?;
    let done =
        sqlx::query("DELETE FROM documents WHERE id = $1 AND jar_id = $2").bind(id).bind(jar).execute(pool).await?;
    if done.rows_affected() == 0 {
        return Err(DocumentError::NotFound);
    }
    Ok(())
}

/// A held document becomes searchable (a moderator's decision).
pub async fn approve(pool: &PgPool, jar: Uuid, id: Uuid) -> Result<(), DocumentError> {
    let mut tx = pool.begin().await?;
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE documents SET status = 'ready', approved = true, searchable = true
         WHERE id = $1 AND jar_id = $2 AND status = 'held' RETURNING name",
    )
    .bind(id)
    .bind(jar)
    .fetch_optional(&mut *tx)
    .await?;
    let name = name.ok_or(DocumentError::NotFound)?;
    let title = format!("“{name}” is released");
    let body = "A moderator reviewed it: search and Bee can use it now.";
    tell_uploader(&mut tx, id, crate::notifications::Kind::DocumentReleased, &title, body).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored content (the upload, or its redacted text), opened with its key from Vault. Only
/// of a `ready` document: until ingestion has checked it, what is stored may be an original the
/// PII policy would not let anyone read; a `held` one is read only by those who decide on it
/// (moderators and admins at AAL2).
pub async fn content(
    pool: &PgPool,
    vault: Option<&Vault>,
    reader: Reader,
    jar: Uuid,
    id: Uuid,
) -> Result<(String, zeroize::Zeroizing<Vec<u8>>), DocumentError> {
    jars::get(pool, reader, jar).await?;
    let row: Option<(String, String, Vec<u8>, Status)> =
        sqlx::query_as("SELECT doc_type, wrapped_key, content, status FROM documents WHERE id = $1 AND jar_id = $2")
            .bind(id)
            .bind(jar)
            .fetch_optional(pool)
            .await?;
    let (doc_type, wrapped, sealed, status) = row.ok_or(DocumentError::NotFound)?;
    let readable = match status {
        Status::Ready => true,
        Status::Held => reader.elevated,
        Status::Queued | Status::Indexing | Status::Failed => false,
    };
    if !readable {
        return Err(DocumentError::NotReadable { status });
    }
    let vault = vault.ok_or(DocumentError::NoVault)?;
    let sealer = Sealer::open_key(vault, &wrapped).await?;
    Ok((doc_type, sealer.open(&sealed, id.as_bytes())?))
}

/// A document's passages as indexed (heading path and text, in order), for reading one where
/// a citation or a search hit points: readable exactly when its content is.
pub async fn passages(
    pool: &PgPool,
    vault: Option<&Vault>,
    keys: &KeyCache,
    reader: Reader,
    jar: Uuid,
    id: Uuid,
) -> Result<(Listed, Vec<(i32, String, String)>), DocumentError> {
    let listed = list(pool, reader, jar).await?.into_iter().find(|d| d.id == id).ok_or(DocumentError::NotFound)?;
    let readable = match listed.status {
        Status::Ready => true,
        Status::Held => reader.elevated,
        Status::Queued | Status::Indexing | Status::Failed => false,
    };
    if !readable {
        return Err(DocumentError::NotReadable { status: listed.status });
    }
    let vault = vault.ok_or(DocumentError::NoVault)?;
    let rows: Vec<(i32, Vec<u8>, String)> = sqlx::query_as(
        "SELECT c.seq, c.sealed, d.wrapped_key FROM chunks c JOIN documents d ON d.id = c.document_id
         WHERE c.document_id = $1 AND c.jar_id = $2 ORDER BY c.seq",
    )
    .bind(id)
    .bind(jar)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, sealed, wrapped) in rows {
        let sealer = keys.sealer(vault, id, &wrapped).await?;
        let plain = sealer.open(&sealed, format!("{id}:{seq}").as_bytes())?;
        let body: ChunkBody = serde_json::from_slice(&plain).map_err(|_| EnvelopeError::Tampered)?;
        out.push((seq, body.heading, body.text));
    }
    Ok((listed, out))
}

/// One search hit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub jar: Uuid,
    pub document: Uuid,
    pub document_name: String,
    pub chunk: i32,
    pub heading: String,
    pub snippet: String,
    pub score: f32,
    /// With embeddings: the full-text rank and the similarity by meaning, where each found it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

/// A retrieved chunk: where it is, and its whole text (for Bee's prompt).
#[derive(Debug)]
pub struct Passage {
    pub jar: Uuid,
    pub document: Uuid,
    pub document_name: String,
    pub chunk: i32,
    pub heading: String,
    pub text: String,
    /// The full-text rank, or with embeddings the fused rank (1: first by words and by meaning).
    pub score: f32,
    pub text_score: Option<f32>,
    pub similarity: Option<f32>,
}

/// How the words of a query combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// Web-search syntax: every word (`"phrases"`, `or`, `-word` understood). For people searching.
    All,
    /// Any of the words, ranked by how many and how close: for questions in natural language.
    Any,
}

/// Which chunks a query may reach.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// Only these jars (still only those the reader can read); `None` means all they can read.
    pub jars: Option<&'a [Uuid]>,
    pub limit: i64,
    /// Nothing scoring below this is returned.
    pub min_score: f32,
}

/// Where search looks: the database, Vault for the keys, and (with embeddings configured) the
/// model and the vectors for search by meaning.
pub struct Index<'a> {
    pub pool: &'a PgPool,
    pub vault: Option<&'a Vault>,
    pub keys: &'a KeyCache,
    pub semantic: Option<Semantic<'a>>,
}

#[derive(Clone, Copy)]
pub struct Semantic<'a> {
    pub embedder: &'a std::sync::Arc<crate::honey_jars::embed::Embedder>,
    pub vectors: &'a crate::honey_jars::vectors::VectorIndex,
    /// Passages less similar than this are not returned on meaning alone.
    pub min_similarity: f32,
}

type HitRow = (i64, Uuid, Uuid, String, i32, Vec<u8>, String);

/// A candidate before it is opened: its chunk, fused score, and each ranking's own score.
struct Ranked {
    chunk: i64,
    score: f32,
    text_score: Option<f32>,
    similarity: Option<f32>,
}

/// The best chunks for `query` among the jars `reader` can read (within `scope`), no lower than
/// the floor, opened. With embeddings, the full-text ranking and the ranking by meaning are
/// fused (reciprocal rank fusion); a passage passes the floor by its words (`min_score`) or by
/// its meaning (`min_similarity`).
pub async fn retrieve(
    index: &Index<'_>,
    reader: Reader,
    query: &str,
    matching: Match,
    scope: Scope<'_>,
) -> Result<Vec<Passage>, DocumentError> {
    let pool = index.pool;
    // Fusion needs deeper lists than the answer: what one ranking puts tenth the other may put first.
    let depth = if index.semantic.is_some() { (scope.limit * 4).max(40) } else { scope.limit };
    let by_words = match words_query(matching, query) {
        Some((tsquery, text)) => {
            let sql = format!(
                "SELECT c.id, ts_rank_cd(c.tsv, q.query, 32)::real AS score
                 FROM chunks c
                 JOIN jar_permissions($1, $2, $3) p ON p.jar_id = c.jar_id
                 JOIN documents d ON d.id = c.document_id AND d.searchable
                 CROSS JOIN {tsquery} AS q(query)
                 WHERE c.tsv @@ q.query AND ($5::uuid[] IS NULL OR c.jar_id = ANY($5))
                 ORDER BY score DESC, c.id
                 LIMIT $6"
            );
            let rows: Vec<(i64, f32)> = sqlx::query_as(&sql)
                .bind(reader.user)
                .bind(reader.role.as_str())
                .bind(reader.elevated)
                .bind(&text)
                .bind(scope.jars)
                .bind(depth)
                .fetch_all(pool)
                .await?;
            rows.into_iter().filter(|r| r.1 >= scope.min_score).collect()
        }
        None => Vec::new(),
    };
    let vault = index.vault.ok_or(DocumentError::NoVault)?;
    let by_meaning: Vec<(i64, f32)> = match &index.semantic {
        Some(semantic) => {
            let embedder = semantic.embedder.clone();
            let text = query.to_string();
            let vector = tokio::task::spawn_blocking(move || embedder.embed(&[&text]))
                .await
                .map_err(|e| crate::honey_jars::embed::EmbedError::Run(e.to_string()))??
                .pop()
                .unwrap_or_default();
            let jars: Vec<Uuid> = sqlx::query_scalar(
                "SELECT p.jar_id FROM jar_permissions($1, $2, $3) p WHERE $4::uuid[] IS NULL OR p.jar_id = ANY($4)",
            )
            .bind(reader.user)
            .bind(reader.role.as_str())
            .bind(reader.elevated)
            .bind(scope.jars)
            .fetch_all(pool)
            .await?;
            let nearest = semantic.vectors.nearest(pool, vault, index.keys, &jars, &vector, depth as usize).await?;
            nearest.into_iter().filter(|(_, similarity)| *similarity >= semantic.min_similarity).collect()
        }
        None => Vec::new(),
    };
    let ranked: Vec<Ranked> = if index.semantic.is_some() {
        let words: Vec<i64> = by_words.iter().map(|r| r.0).collect();
        let meaning: Vec<i64> = by_meaning.iter().map(|r| r.0).collect();
        crate::honey_jars::vectors::fuse(&[&words, &meaning])
            .into_iter()
            .map(|(chunk, score)| Ranked {
                chunk,
                score,
                text_score: by_words.iter().find(|r| r.0 == chunk).map(|r| r.1),
                similarity: by_meaning.iter().find(|r| r.0 == chunk).map(|r| r.1),
            })
            .collect()
    } else {
        // Words only: the score is the full-text rank, said once.
        by_words.iter().map(|&(chunk, score)| Ranked { chunk, score, text_score: None, similarity: None }).collect()
    };
    let ranked: Vec<Ranked> = ranked.into_iter().take(scope.limit.max(0) as usize).collect();
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    crate::envelope::require_unsealed(vault).await?;
    // Access is decided here again, for every passage either ranking found.
    let ids: Vec<i64> = ranked.iter().map(|r| r.chunk).collect();
    let rows: Vec<HitRow> = sqlx::query_as(
        "SELECT c.id, c.jar_id, c.document_id, d.name, c.seq, c.sealed, d.wrapped_key
         FROM chunks c
         JOIN jar_permissions($1, $2, $3) p ON p.jar_id = c.jar_id
         JOIN documents d ON d.id = c.document_id AND d.searchable
         WHERE c.id = ANY($4) AND ($5::uuid[] IS NULL OR c.jar_id = ANY($5))",
    )
    .bind(reader.user)
    .bind(reader.role.as_str())
    .bind(reader.elevated)
    .bind(&ids)
    .bind(scope.jars)
    .fetch_all(pool)
    .await?;
    let mut passages = Vec::with_capacity(rows.len());
    for r in &ranked {
        let Some((_, jar, document, document_name, seq, sealed, wrapped)) = rows.iter().find(|row| row.0 == r.chunk)
        else {
            continue;
        };
        let sealer = index.keys.sealer(vault, *document, wrapped).await?;
        let plain = sealer.open(sealed, format!("{document}:{seq}").as_bytes())?;
        let body: ChunkBody = serde_json::from_slice(&plain).map_err(|_| EnvelopeError::Tampered)?;
        passages.push(Passage {
            jar: *jar,
            document: *document,
            document_name: document_name.clone(),
            chunk: *seq,
            heading: body.heading,
            text: body.text,
            score: r.score,
            text_score: r.text_score,
            similarity: r.similarity,
        });
    }
    Ok(passages)
}

/// The full-text query for `matching`, or none when the query has no words to look for.
fn words_query(matching: Match, query: &str) -> Option<(&'static str, String)> {
    match matching {
        Match::All => Some(("websearch_to_tsquery('english', $4)", query.to_string())),
        Match::Any => any_words(query).map(|words| ("to_tsquery('english', $4)", words)),
    }
}

/// The query's words as a `to_tsquery` disjunction (`refund | damaged | goods`), or `None`
/// when it has none. Only letters and digits pass, so nothing in it is tsquery syntax.
fn any_words(query: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if !words.contains(&word) && words.len() < 64 {
            words.push(word);
        }
    }
    (!words.is_empty()).then(|| words.join(" | "))
}

/// Search for people: hits with snippets around the query's words.
pub async fn search(
    index: &Index<'_>,
    reader: Reader,
    query: &str,
    matching: Match,
    scope: Scope<'_>,
) -> Result<Vec<Hit>, DocumentError> {
    let passages = retrieve(index, reader, query, matching, scope).await?;
    let words: Vec<String> =
        query.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).map(str::to_lowercase).collect();
    Ok(passages
        .into_iter()
        .map(|p| Hit {
            jar: p.jar,
            document: p.document,
            document_name: p.document_name,
            chunk: p.chunk,
            heading: p.heading,
            snippet: snippet(&p.text, &words),
            score: p.score,
            text_score: p.text_score,
            similarity: p.similarity,
        })
        .collect())
}

/// About 240 bytes around the first query word in the chunk.
fn snippet(text: &str, words: &[String]) -> String {
    let lower = text.to_lowercase();
    let at = words.iter().filter_map(|w| lower.find(w.as_str())).min().unwrap_or(0);
    let mut start = at.saturating_sub(80).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + 240).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut out = text[start..end].trim().to_string();
    if start > 0 {
        out.insert(0, '…');
    }
    if end < text.len() {
        out.push('…');
    }
    out
}
