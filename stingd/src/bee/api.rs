//! Bee over HTTP: conversations (create, list, read, rename, delete, export) and asking, which
//! answers as server-sent events: `sources` (the passages given to the model, with jar, document
//! and chunk), then `delta` events with the answer's text as it comes, then `done` (the stored
//! message's number, the finish reason, token usage, which sources the answer cites, personal
//! data flagged) or `error`. With `"stream": false` the same arrives as one JSON object.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::conversations::{self, Citation, Conversation, ConversationError, Draft, Opened, Usage};
use super::prompt::{self, Budget, PromptError, Source, Turn};
use super::upstream::{EventReader, Piece};
use crate::honey_jars::documents::{self, Match, Scope};
use crate::honey_jars::jars::Reader;
use crate::honey_jars::jars_api::reader;
use crate::http::ApiError;
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::Principal;
use crate::http::error::ErrorBody;
use crate::identity::audit;

/// The longest question taken (bytes); the model's window usually says no sooner.
pub const MAX_QUESTION: usize = 32 * 1024;

impl From<ConversationError> for ApiError {
    fn from(e: ConversationError) -> Self {
        let message = e.to_string();
        match e {
            ConversationError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, "conversation_not_found", message)
            }
            ConversationError::Changed => {
                ApiError::new(StatusCode::CONFLICT, ErrorKind::InvalidRequest, "conversation_changed", message)
            }
            ConversationError::Jar(e) => e.into(),
            ConversationError::Sealing(_) | ConversationError::NoVault => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Server, "vault_unavailable", message)
            }
            ConversationError::Database(e) => crate::identity::IdentityError::Database(e).into(),
        }
    }
}

impl From<PromptError> for ApiError {
    fn from(e: PromptError) -> Self {
        ApiError::bad_request("question_too_long", e.to_string())
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    #[serde(default)]
    title: String,
    /// The jars Bee may draw on; absent or null: every jar you can read.
    #[serde(default)]
    jars: Option<Vec<Uuid>>,
    /// The model to ask; absent: `bee.model`.
    #[serde(default)]
    model: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationUpdate {
    title: Option<String>,
    /// New jars; `null` means every jar you can read.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<Uuid>>)]
    jars: Option<Option<Vec<Uuid>>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question; with `regenerate`, absent (the last question is asked again).
    #[serde(default)]
    content: String,
    /// Server-sent events (default), or one JSON answer.
    #[serde(default = "yes")]
    stream: bool,
    /// Answer the last question again: the new answer replaces the last one once it is stored
    /// (a failure keeps the old one).
    #[serde(default)]
    regenerate: bool,
}

/// A field that is there, even as `null` (`Some(None)`), apart from one that is absent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Vec<Uuid>>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

fn yes() -> bool {
    true
}

fn check_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_title",
            "a title is at most 200 characters, without control characters",
        ));
    }
    Ok(title.to_string())
}

fn check_jars(jars: &Option<Vec<Uuid>>) -> Result<(), ApiError> {
    if jars.as_ref().is_some_and(|j| j.len() > 100) {
        return Err(ApiError::bad_request("invalid_jars", "a conversation draws on at most 100 jars"));
    }
    Ok(())
}

fn vault(state: &AppState) -> Option<sting_vault::Vault> {
    state.vault_client()
}

#[utoipa::path(
    post,
    path = "/api/conversations",
    summary = "Start a conversation with Bee, drawing on some jars or all you can read",
    request_body = NewConversation,
    responses((status = 201, description = "created", body = Conversation), (status = 404, description = "a jar named is not one the caller can read", body = ErrorBody))
)]
pub async fn create(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    body: Result<Json<NewConversation>, JsonRejection>,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    let Json(new) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let title = check_title(&new.title)?;
    check_jars(&new.jars)?;
    if let Some(model) = &new.model {
        if model.is_empty() || model.len() > 200 {
            return Err(ApiError::bad_request("invalid_model", "name a model from GET /v1/models"));
        }
    }
    let pool = &state.identity()?.pool;
    let conversation = conversations::create(pool, vault(&state).as_ref(), reader, &title, new.jars, new.model).await?;
    Ok((StatusCode::CREATED, Json(conversation)))
}

#[utoipa::path(
    get,
    path = "/api/conversations",
    summary = "Your conversations with Bee, the latest first",
    responses((status = 200, description = "the conversations", body = ConversationList))
)]
pub async fn list(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<ConversationList>, ApiError> {
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    let listed = conversations::list(pool, vault(&state).as_ref(), &state.documents.keys, reader).await?;
    Ok(Json(ConversationList { conversations: listed }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationList {
    conversations: Vec<Conversation>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationDetail {
    conversation: Conversation,
    messages: Vec<conversations::Message>,
}

async fn open(state: &AppState, reader: Reader, id: Uuid) -> Result<Opened, ApiError> {
    let pool = &state.identity()?.pool;
    Ok(conversations::open(pool, vault(state).as_ref(), &state.documents.keys, reader, id).await?)
}

#[utoipa::path(
    get,
    path = "/api/conversations/{id}",
    summary = "A conversation with its messages and their sources",
    responses((status = 200, description = "the conversation and its messages", body = ConversationDetail))
)]
pub async fn get(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let opened = open(&state, reader(&principal)?, id).await?;
    let messages = conversations::messages(&state.identity()?.pool, &opened).await?;
    Ok(Json(ConversationDetail { conversation: opened.conversation, messages }))
}

#[utoipa::path(
    patch,
    path = "/api/conversations/{id}",
    summary = "Rename a conversation or change the jars it draws on",
    request_body = ConversationUpdate,
    responses((status = 200, description = "the conversation as it is now", body = Conversation))
)]
pub async fn update(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<ConversationUpdate>, JsonRejection>,
) -> Result<Json<Conversation>, ApiError> {
    let Json(change) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let title = change.title.as_deref().map(check_title).transpose()?;
    if let Some(jars) = &change.jars {
        check_jars(jars)?;
    }
    let opened = open(&state, reader, id).await?;
    conversations::update(&state.identity()?.pool, &opened, reader, title.as_deref(), change.jars).await?;
    let opened = open(&state, reader, id).await?;
    Ok(Json(opened.conversation))
}

#[utoipa::path(
    delete,
    path = "/api/conversations/{id}",
    summary = "Delete a conversation with its messages",
    responses((status = 204, description = "deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    conversations::delete(pool, reader, id).await?;
    state.documents.keys.forget(id);
    audit::record(pool, Some(reader.user), "conversation.delete", Some(&id.to_string()), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/conversations/{id}/export",
    summary = "Download a conversation (`format=json` or `markdown`)",
    params(("format" = Option<String>, Query, description = "`json` (default) or `markdown`")),
    responses((status = 200, description = "the conversation as a file"), (status = 400, description = "an unknown format", body = ErrorBody))
)]
pub async fn export(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let markdown = match query.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("markdown") => true,
        Some(_) => {
            return Err(ApiError::bad_request("invalid_format", "`format` is `json` (default) or `markdown`"));
        }
    };
    let opened = open(&state, reader(&principal)?, id).await?;
    let messages = conversations::messages(&state.identity()?.pool, &opened).await?;
    let (body, content_type, extension) = if markdown {
        (conversations::to_markdown(&opened.conversation, &messages), "text/markdown; charset=utf-8", "md")
    } else {
        let detail = ConversationDetail { conversation: opened.conversation, messages };
        (serde_json::to_string_pretty(&detail).expect("JSON serialises"), "application/json", "json")
    };
    let disposition = format!("attachment; filename=\"conversation-{id}.{extension}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

/// What flows from the task that reads the model to the response.
enum Step {
    Sources(Vec<Citation>),
    Delta(String),
    Done(Value),
    Failed(ApiError),
}

#[utoipa::path(
    post,
    path = "/api/conversations/{id}/messages",
    summary = "Ask Bee: server-sent events `sources`, `delta`…, then `done` (or `error`); one JSON answer with `stream: false`",
    request_body = Question,
    responses((status = 200, description = "the answer, streamed or whole"), (status = 502, description = "the model failed before answering", body = ErrorBody))
)]
pub async fn ask(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<Question>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(question) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let opened = open(&state, reader, id).await?;
    let pool = state.identity()?.pool.clone();
    let mut history = conversations::messages(&pool, &opened).await?;
    let (content, replacing) = if question.regenerate {
        if !question.content.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_question",
                "`regenerate` asks the last question again: send no `content`",
            ));
        }
        let last_question = history.iter().rposition(|m| m.role == "user").ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                ErrorKind::InvalidRequest,
                "nothing_to_regenerate",
                "this conversation has no question yet",
            )
        })?;
        let last = history.last().map(|m| m.seq).unwrap_or_default();
        let asked = history.split_off(last_question);
        (asked[0].content.clone(), Some(conversations::Replacing { from: asked[0].seq, last }))
    } else {
        (question.content.trim().to_string(), None)
    };
    if content.is_empty() || content.len() > MAX_QUESTION {
        return Err(ApiError::bad_request(
            "invalid_question",
            format!("ask something in `content` (at most {MAX_QUESTION} bytes)"),
        ));
    }
    let rules = state.bee.clone();
    let model = opened.conversation.model.clone().or_else(|| state.bee_model()).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Server,
            "bee_unavailable",
            "Bee has no model: set `bee.model` or `llm.default_model`",
        )
    })?;

    let passages = if rules.sources == 0 {
        Vec::new()
    } else {
        let scope = Scope {
            jars: opened.conversation.jars.as_deref(),
            limit: rules.sources as i64,
            min_score: state.documents.min_score,
        };
        let vault = vault(&state);
        let index = state.documents.index(&pool, vault.as_ref());
        documents::retrieve(&index, reader, &content, Match::Any, scope).await?
    };
    let history: Vec<Turn> =
        history.into_iter().map(|m| Turn { from_user: m.role == "user", content: m.content }).collect();
    let sources: Vec<Source> = passages
        .iter()
        .map(|p| Source { document_name: p.document_name.clone(), heading: p.heading.clone(), text: p.text.clone() })
        .collect();
    let budget = Budget { window: rules.window(&model), answer: rules.answer_tokens };
    let built = prompt::build(&rules.persona, &sources, &history, &content, budget)?;
    let mut citations: Vec<Citation> = passages
        .iter()
        .take(built.sources)
        .enumerate()
        .map(|(i, p)| Citation {
            number: i + 1,
            jar: p.jar,
            document: p.document,
            document_name: p.document_name.clone(),
            chunk: p.chunk,
            heading: p.heading.clone(),
            score: p.score,
            cited: false,
        })
        .collect();
    let pii: Vec<String> = match rules.chat_pii {
        sting_config::ChatPiiMode::Off => Vec::new(),
        sting_config::ChatPiiMode::Flag => {
            let mut kinds: Vec<String> =
                state.documents.scanner.scan(&content).iter().map(|f| f.kind.name().to_string()).collect();
            kinds.sort();
            kinds.dedup();
            kinds
        }
    };

    let request = json!({
        "model": model,
        "messages": built.messages,
        "stream": true,
        "max_tokens": rules.answer_tokens,
        "stream_options": { "include_usage": true },
    });
    let body = serde_json::to_vec(&request).expect("JSON serialises");
    let upstream = crate::gateway::chat_for(&state, &principal.caller, body.into()).await?;
    if !upstream.status().is_success() {
        // The gateway's own error (unknown model, queue full, model failed): as it is.
        return Ok(upstream);
    }

    let (tx, rx) = mpsc::channel::<Step>(64);
    let _ = tx.send(Step::Sources(citations.clone())).await;
    let markdown = state.markdown.clone();
    state.tasks.spawn(async move {
        let mut reader = EventReader::default();
        let mut answer = String::new();
        let (mut finish, mut usage, mut failure) = (None::<String>, None::<Usage>, None::<String>);
        let mut gone = false;
        let mut stream = upstream.into_body().into_data_stream();
        'reading: while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            };
            for piece in reader.push(&chunk) {
                match piece {
                    Piece::Text(text) => {
                        answer.push_str(&text);
                        if tx.send(Step::Delta(text)).await.is_err() {
                            // The asker left: stop the model, keep what was said.
                            gone = true;
                            break 'reading;
                        }
                    }
                    Piece::Finish(reason) => finish = Some(reason),
                    Piece::Usage(u) => usage = Some(u),
                    Piece::Error(message) => {
                        failure = Some(message);
                        break 'reading;
                    }
                    Piece::Done => break 'reading,
                }
            }
        }
        drop(stream);
        let finish = match (&failure, gone) {
            (Some(_), _) => "error".to_string(),
            (None, true) => "cancelled".to_string(),
            (None, false) => finish.unwrap_or_else(|| "stop".into()),
        };
        let cited = prompt::cited(&answer, citations.len());
        for c in &mut citations {
            c.cited = cited.contains(&c.number);
        }
        // A failure before any text leaves the conversation as it was; an answer asked again
        // replaces the old one only when it is whole.
        let keep_old = replacing.is_some() && (failure.is_some() || gone);
        let store = !(keep_old || (failure.is_some() && answer.is_empty()));
        // Its HTML made once, here (off the runtime's threads), so no page view of it parses,
        // highlights or cleans it again.
        let rendered = if store {
            let (markdown, text, sources) = (markdown.clone(), answer.clone(), citations.clone());
            tokio::task::spawn_blocking(move || conversations::render_answer(&markdown, &text, &sources))
                .await
                .inspect_err(
                    |error| tracing::error!(%error, "rendering an answer failed: it is stored without its HTML"),
                )
                .ok()
        } else {
            None
        };
        let drafts = [
            Draft {
                from_user: true,
                content: &content,
                sources: &[],
                pii: &pii,
                usage: None,
                finish_reason: None,
                rendered: None,
            },
            Draft {
                from_user: false,
                content: &answer,
                sources: &citations,
                pii: &[],
                usage,
                finish_reason: Some(&finish),
                rendered,
            },
        ];
        let stored = if store { Some(conversations::append(&pool, &opened, &drafts, replacing).await) } else { None };
        let step = match (failure, stored) {
            (_, Some(Err(e))) => {
                tracing::error!(error = %e, "cannot store Bee's answer");
                Step::Failed(e.into())
            }
            (Some(message), _) if answer.is_empty() || keep_old => {
                let kept = if keep_old { "; the previous answer is kept" } else { "" };
                Step::Failed(ApiError::upstream(format!("the model `{model}` failed: {message}{kept}")))
            }
            (failure, stored) => {
                let message = stored.and_then(Result::ok).and_then(|seqs| seqs.last().copied());
                Step::Done(json!({
                    "message": message,
                    "finish_reason": finish,
                    "usage": usage,
                    "cited": cited,
                    "pii": pii,
                    "error": failure,
                }))
            }
        };
        let _ = tx.send(step).await;
    });

    if question.stream {
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            let step = rx.recv().await?;
            Some((Ok::<Event, Infallible>(event(step)), rx))
        });
        Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
    } else {
        collect(rx).await
    }
}

fn event(step: Step) -> Event {
    match step {
        Step::Sources(sources) => Event::default().event("sources").json_data(json!({ "sources": sources })),
        Step::Delta(text) => Event::default().event("delta").json_data(json!({ "content": text })),
        Step::Done(done) => Event::default().event("done").json_data(done),
        Step::Failed(error) => Event::default().event("error").json_data(json!({
            "error": { "code": error.code, "type": error.kind.as_str(), "message": error.message }
        })),
    }
    .expect("JSON serialises")
}

/// The whole answer as one JSON object (`"stream": false`).
async fn collect(mut rx: mpsc::Receiver<Step>) -> Result<Response, ApiError> {
    let (mut sources, mut answer) = (Vec::new(), String::new());
    while let Some(step) = rx.recv().await {
        match step {
            Step::Sources(s) => sources = s,
            Step::Delta(text) => answer.push_str(&text),
            Step::Failed(error) => return Err(error),
            Step::Done(mut done) => {
                let cited: Vec<usize> = serde_json::from_value(done["cited"].clone()).unwrap_or_default();
                for s in &mut sources {
                    s.cited = cited.contains(&s.number);
                }
                done["content"] = json!(answer);
                done["sources"] = json!(sources);
                return Ok(Json(done).into_response());
            }
        }
    }
    Err(ApiError::upstream("the answer ended without a result"))
}
