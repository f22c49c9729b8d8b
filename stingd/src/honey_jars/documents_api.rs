//! Documents and search over HTTP. An upload is the request body itself (`curl -T file`), named
//! by `?name=`, streamed to a private folder with the size limit enforced as it arrives; the
//! rest happens in `documents`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::honey_jars::documents::{self, DocumentError, Source};
use crate::honey_jars::indexer::{self, TempUpload};
use crate::honey_jars::ingest::extract::ExtractError;
use crate::honey_jars::jars_api::reader;
use crate::http::ApiError;
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::Principal;
use crate::http::error::ErrorBody;
use crate::identity::audit;

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        let message = e.to_string();
        match e {
            DocumentError::Jar(e) => e.into(),
            DocumentError::Type(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::InvalidRequest,
                "unsupported_document",
                message,
            ),
            DocumentError::Extract(ExtractError::Failed(_)) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "extraction_failed", message)
            }
            DocumentError::Extract(ExtractError::TooMuchText(_)) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorKind::InvalidRequest,
                "document_text_too_large",
                message,
            ),
            DocumentError::Extract(ExtractError::Unconfined(_)) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "sandbox_unavailable", message)
            }
            DocumentError::Extract(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::InvalidRequest,
                "unreadable_document",
                message,
            ),
            DocumentError::Blocked(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorKind::InvalidRequest, "pii_blocked", message)
            }
            DocumentError::Sealing(_) | DocumentError::NoVault => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "vault_unavailable", message)
            }
            DocumentError::Quota { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::InvalidRequest, "quota_exceeded", message)
            }
            DocumentError::NotReadable { .. } => {
                ApiError::new(StatusCode::CONFLICT, ErrorKind::InvalidRequest, "document_not_ready", message)
            }
            DocumentError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, "document_not_found", message)
            }
            DocumentError::Embedding(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "embedding_failed", message)
            }
            DocumentError::Database(e) => crate::identity::IdentityError::Database(e).into(),
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DocumentList {
    documents: Vec<documents::Listed>,
}

/// An upload accepted with `?wait=false`, to be indexed in the background.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QueuedDocument {
    id: uuid::Uuid,
    name: String,
    #[serde(rename = "type")]
    doc_type: crate::honey_jars::ingest::sniff::DocType,
    size: u64,
    status: documents::Status,
}

/// How many documents were queued for indexing.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Queued {
    queued: usize,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    results: Vec<documents::Hit>,
}

#[utoipa::path(
    post,
    path = "/api/jars/{id}/documents",
    summary = "Upload a document (the request body itself, named by `?name=`): text, Markdown, HTML, PDF or DOCX",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the document"),
    params(
        ("name" = String, Query, description = "the document's name, with its extension"),
        ("wait" = Option<bool>, Query, description = "`true` (default): answer once indexed; `false`: answer at once and index in the background"),
    ),
    responses((status = 201, description = "stored: `ready`, or `held` for a moderator when it holds personal data", body = documents::Stored), (status = 202, description = "with `?wait=false`: queued; follow its status in the jar's document list", body = QueuedDocument), (status = 413, description = "over `honey_jars.max_document_size`, or over the uploader's quota", body = ErrorBody), (status = 415, description = "not a kind of document STING reads, or not what its name says", body = ErrorBody), (status = 422, description = "unreadable, empty, or refused by the personal-data policy", body = ErrorBody))
)]
pub async fn upload(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(jar): Path<Uuid>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Response, ApiError> {
    let reader = reader(&principal)?;
    let name = query.get("name").map(|n| n.trim()).unwrap_or_default();
    if name.is_empty() || name.len() > 255 || name.chars().any(|c| c.is_control() || c == '/') {
        return Err(ApiError::bad_request(
            "invalid_name",
            "name the document with `?name=` (1 to 255 characters, no `/`)",
        ));
    }
    let identity = state.identity()?;
    let limit = state.documents.max_document_size;
    // Streamed to a private folder, counted as it comes.
    std::fs::create_dir_all(&state.documents.upload_dir).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "storage_failed", e.to_string())
    })?;
    let wait = match query.get("wait").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(ApiError::bad_request("invalid_wait", "`wait` is `true` (default) or `false`")),
    };
    let temp = TempUpload(state.documents.upload_dir.join(format!("{}.part", Uuid::new_v4())));
    let mut file =
        tokio::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp.0).await.map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "storage_failed", e.to_string())
        })?;
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| ApiError::bad_request("upload_interrupted", e.to_string()))?;
        size += piece.len() as u64;
        if size > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorKind::InvalidRequest,
                "document_too_large",
                format!("a document may be at most {limit} bytes (`honey_jars.max_document_size`)"),
            ));
        }
        file.write_all(&piece).await.map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Server, "storage_failed", e.to_string())
        })?;
    }
    file.sync_all().await.ok();
    drop(file);
    let vault = state.vault.as_ref().map(|s| s.vault());
    let pool = &identity.pool;
    let rules = &state.documents;
    let (id, doc_type) =
        documents::receive(pool, vault.as_ref(), reader, jar, name, &temp.0, size, &rules.policy()).await?;
    if !wait {
        audit::record(
            pool,
            Some(reader.user),
            "document.upload",
            Some(&id.to_string()),
            json!({ "jar": jar, "name": name, "size": size, "status": "queued" }),
        )
        .await?;
        indexer::spawn_queue(pool.clone(), state.vault.clone(), rules.clone(), vec![id], Some(temp), &state.tasks);
        let queued = QueuedDocument { id, name: name.to_string(), doc_type, size, status: documents::Status::Queued };
        return Ok((StatusCode::ACCEPTED, Json(queued)).into_response());
    }
    let stored = match indexer::ingest(pool, vault.as_ref(), rules, id, Source::Upload(&temp.0)).await {
        Ok(stored) => stored,
        Err(error) => {
            // The uploader hears why; nothing of it is kept.
            documents::discard(pool, id).await.map_err(DocumentError::from)?;
            return Err(error.into());
        }
    };
    let detail = json!({ "jar": jar, "name": stored.name, "size": size, "status": stored.status, "pii": stored.pii, "redacted": stored.redacted });
    audit::record(pool, Some(reader.user), "document.upload", Some(&stored.id.to_string()), detail).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/jars/{id}/reindex",
    summary = "Index every document of the jar again, in the background",
    responses((status = 202, description = "queued", body = Queued))
)]
pub async fn reindex(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(jar): Path<Uuid>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    if state.vault.is_none() {
        return Err(DocumentError::NoVault.into());
    }
    let ids = documents::queue_reindex(pool, reader, jar).await?;
    audit::record(pool, Some(reader.user), "jar.reindex", Some(&jar.to_string()), json!({ "documents": ids.len() }))
        .await?;
    let queued = ids.len();
    indexer::spawn_queue(pool.clone(), state.vault.clone(), state.documents.clone(), ids, None, &state.tasks);
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

#[utoipa::path(
    get,
    path = "/api/jars/{id}/documents",
    summary = "The jar's documents with their indexing status, progress and errors",
    responses((status = 200, description = "the documents", body = DocumentList))
)]
pub async fn list(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(jar): Path<Uuid>,
) -> Result<Json<DocumentList>, ApiError> {
    let listed = documents::list(&state.identity()?.pool, reader(&principal)?, jar).await?;
    Ok(Json(DocumentList { documents: listed }))
}

#[utoipa::path(
    get,
    path = "/api/jars/{id}/documents/{doc}/content",
    summary = "A document as stored (the upload, or its redacted text)",
    responses((status = 200, description = "the document's bytes, with its type"))
)]
pub async fn content(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path((jar, id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let vault = state.vault.as_ref().map(|s| s.vault());
    let (doc_type, bytes) =
        documents::content(&state.identity()?.pool, vault.as_ref(), reader(&principal)?, jar, id).await?;
    let content_type = match doc_type.as_str() {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "html" => "text/plain; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    // Someone's upload, served from the origin the pages sign in on: saved, never rendered
    // here, and sandboxed should a browser render it anyway.
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, "attachment"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"),
    ];
    Ok((headers, bytes.to_vec()).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/jars/{id}/documents/{doc}",
    summary = "Delete a document with its chunks and findings",
    responses((status = 204, description = "deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path((jar, id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let reader = reader(&principal)?;
    let identity = state.identity()?;
    documents::delete(&identity.pool, reader, jar, id).await?;
    state.documents.keys.forget(id);
    state.documents.vectors.forget(jar);
    audit::record(&identity.pool, Some(reader.user), "document.delete", Some(&id.to_string()), json!({ "jar": jar }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/jars/{id}/documents/{doc}/approve",
    summary = "Make a document held for review searchable",
    responses((status = 204, description = "approved"))
)]
pub async fn approve(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path((jar, id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let identity = state.identity()?;
    documents::approve(&identity.pool, jar, id).await?;
    state.documents.vectors.forget(jar);
    audit::record(&identity.pool, principal.user, "document.approve", Some(&id.to_string()), json!({ "jar": jar }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/search",
    summary = "Search the jars the caller can read: chunks, snippets and scores above the floor",
    params(
        ("q" = String, Query, description = "the words to look for (web-search syntax: \"phrases\", -not, or)"),
        ("jar" = Option<uuid::Uuid>, Query, description = "only this jar"),
        ("limit" = Option<u32>, Query, description = "at most this many results (1 to 50; 10 by default)"),
        ("match" = Option<String>, Query, description = "`auto` (default: every word, else any), `all` (every word) or `any` (any word, ranked by how many)"),
    ),
    responses((status = 200, description = "the hits, best first", body = SearchResults), (status = 400, description = "no query, or a bad jar, limit or match", body = ErrorBody))
)]
pub async fn search(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<SearchResults>, ApiError> {
    let reader = reader(&principal)?;
    let q = query.get("q").map(|q| q.trim()).unwrap_or_default();
    if q.is_empty() || q.len() > 500 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "give the words to look for in `q` (at most 500 characters)",
        ));
    }
    let jar = match query.get("jar") {
        Some(j) => Some(j.parse::<Uuid>().map_err(|_| ApiError::bad_request("invalid_jar", "`jar` is a jar's id"))?),
        None => None,
    };
    let limit = match query.get("limit") {
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=50).contains(l))
            .ok_or_else(|| ApiError::bad_request("invalid_limit", "`limit` is a number from 1 to 50"))?,
        None => 10,
    };
    // `auto`: every word first; a question whose words are not all in one passage then
    // gets the passages with most of them, rather than nothing.
    let matching = match query.get("match").map(String::as_str) {
        None | Some("auto") => None,
        Some("all") => Some(documents::Match::All),
        Some("any") => Some(documents::Match::Any),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_match",
                "`match` is `auto` (default), `all` (every word, web-search syntax) or `any` (any word, for questions)",
            ));
        }
    };
    let vault = state.vault.as_ref().map(|s| s.vault());
    let jars = jar.map(|j| vec![j]);
    let scope = documents::Scope { jars: jars.as_deref(), limit, min_score: state.documents.min_score };
    let index = state.documents.index(&state.identity()?.pool, vault.as_ref());
    let search = |matching| documents::search(&index, reader, q, matching, scope);
    let hits = match matching {
        Some(matching) => search(matching).await?,
        None => match search(documents::Match::All).await? {
            hits if hits.is_empty() => search(documents::Match::Any).await?,
            hits => hits,
        },
    };
    Ok(Json(SearchResults { results: hits }))
}
