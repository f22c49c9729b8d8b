//! Bee's pages: the conversation list with a new conversation (the start page), one
//! conversation with its answers rendered as clean HTML and their sources, and those messages
//! alone as a document the page's script puts in place of an answer it has just streamed.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::page::{Person, Section, Shell, render, when};
use crate::bee::conversations::{self, Message};
use crate::honey_jars::jars;
use crate::http::{ApiError, AppState};
use crate::markdown::Rendered;

struct ListedConversation {
    id: Uuid,
    title: String,
    updated: String,
    messages: i64,
}

struct Choice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "bee.html")]
struct BeeHome<'a> {
    shell: Shell<'a>,
    conversations: Vec<ListedConversation>,
    jars: Vec<Choice>,
    models: Vec<String>,
    default_model: String,
}

/// A message as a page shows it: a question as text, an answer as clean HTML.
pub struct Shown {
    seq: i32,
    from_user: bool,
    text: String,
    html: String,
    sources: Vec<ShownSource>,
    pii: Vec<String>,
    stopped: bool,
    cut_short: bool,
    failed: bool,
    when: String,
    last: bool,
}

struct ShownSource {
    number: usize,
    href: String,
    document: String,
    heading: String,
    cited: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage<'a> {
    shell: Shell<'a>,
    id: Uuid,
    title: String,
    scope: String,
    model: String,
    messages: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct Messages {
    messages: Vec<Shown>,
}

/// `GET /`: my conversations, the newest first, and a new one.
pub async fn home(State(state): State<AppState>, person: Person) -> Response {
    let shell = Shell::new(&state, "Bee", "bee").for_person(&person, Section::Bee);
    match home_data(&state, &person).await {
        Ok((conversations, jars)) => {
            let models: Vec<String> = state.supervisor.status().await.into_iter().map(|m| m.name).collect();
            let default_model = state.bee_model().unwrap_or_default();
            render(&BeeHome { shell, conversations, jars, models, default_model })
        }
        Err(error) => shell.error(error),
    }
}

async fn home_data(state: &AppState, person: &Person) -> Result<(Vec<ListedConversation>, Vec<Choice>), ApiError> {
    let pool = &state.identity()?.pool;
    let listed = conversations::list(pool, state.vault_client().as_ref(), &state.documents.keys, person.reader).await?;
    let conversations = listed
        .into_iter()
        .map(|c| ListedConversation {
            id: c.id,
            title: if c.title.is_empty() { "New conversation".into() } else { c.title },
            updated: when(c.updated_at),
            messages: c.messages,
        })
        .collect();
    let jars = jars::list(pool, person.reader)
        .await?
        .into_iter()
        .map(|j| Choice { id: j.id.to_string(), name: j.name })
        .collect();
    Ok((conversations, jars))
}

/// `GET /bee/{id}`: one conversation.
pub async fn conversation(State(state): State<AppState>, person: Person, Path(id): Path<String>) -> Response {
    let shell = Shell::new(&state, "Bee", "conversation").for_person(&person, Section::Bee);
    match conversation_data(&state, &person, &id, 0).await {
        Ok((conversation, messages)) => {
            let pool = match state.identity() {
                Ok(identity) => &identity.pool,
                Err(error) => return shell.error(error),
            };
            let scope = match &conversation.jars {
                None => "every Honey Jar you can read".to_string(),
                Some(ids) => {
                    let names: Vec<String> = match jars::list(pool, person.reader).await {
                        Ok(all) => all.into_iter().filter(|j| ids.contains(&j.id)).map(|j| j.name).collect(),
                        Err(error) => return shell.error(error.into()),
                    };
                    if names.is_empty() { "no Honey Jar".into() } else { names.join(", ") }
                }
            };
            let title = if conversation.title.is_empty() { "New conversation".into() } else { conversation.title };
            let model = conversation.model.or_else(|| state.bee_model()).unwrap_or_default();
            let mut shell = shell;
            shell.title = title.clone();
            render(&ConversationPage { shell, id: conversation.id, title, scope, model, messages })
        }
        Err(error) => shell.error(error),
    }
}

#[derive(Deserialize)]
pub struct From {
    #[serde(default)]
    from: i32,
}

/// `GET /bee/{id}/messages?from=N`: the messages from number N on, as a document of list
/// items (what the page's script puts in place of what it streamed).
pub async fn messages(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    Query(from): Query<From>,
) -> Response {
    match conversation_data(&state, &person, &id, from.from).await {
        Ok((_, messages)) => render(&Messages { messages }),
        Err(error) => Shell::new(&state, "Bee", "error").for_person(&person, Section::Bee).error(error),
    }
}

async fn conversation_data(
    state: &AppState,
    person: &Person,
    id: &str,
    from: i32,
) -> Result<(conversations::Conversation, Vec<Shown>), ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::from(conversations::ConversationError::NotFound))?;
    let pool = &state.identity()?.pool;
    let opened =
        conversations::open(pool, state.vault_client().as_ref(), &state.documents.keys, person.reader, id).await?;
    let all = conversations::messages(pool, &opened).await?;
    let last = all.last().map(|m| m.seq);
    let mut all: Vec<Message> = all.into_iter().filter(|m| m.seq >= from).collect();
    // Answers an older renderer made (or none): made again in one go, off the runtime's threads,
    // and stored after this page is sent (one that cannot be stored is made again next time).
    let stale: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].role != "user" && !all[i].rendered.as_ref().is_some_and(Rendered::is_current))
        .collect();
    if !stale.is_empty() {
        let markdown = state.markdown.clone();
        let mut batch: Vec<Message> = stale.iter().map(|&i| all[i].clone()).collect();
        let made = tokio::task::spawn_blocking(move || {
            for m in &mut batch {
                m.rendered = Some(conversations::render_answer(&markdown, &m.content, &m.sources));
            }
            batch
        })
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "rendering answers failed");
            Vec::new()
        });
        for (&i, m) in stale.iter().zip(&made) {
            all[i].rendered = m.rendered.clone();
        }
        let (pool, opened) = (pool.clone(), opened.clone());
        state.tasks.spawn(async move {
            for message in &made {
                if let Err(error) = conversations::store_rendered(&pool, &opened, message).await {
                    tracing::warn!(%error, "cannot store an answer's HTML");
                }
            }
        });
    }
    let shown = all.into_iter().map(|m| show(m, last)).collect();
    Ok((opened.conversation, shown))
}

/// A message as shown (an answer with its HTML made). Public for the benchmark of the
/// conversation page.
pub fn show(message: Message, last: Option<i32>) -> Shown {
    let from_user = message.role == "user";
    let sources: Vec<ShownSource> = message
        .sources
        .iter()
        .map(|s| ShownSource {
            number: s.number,
            href: s.href(),
            document: s.document_name.clone(),
            heading: s.heading.clone(),
            cited: s.cited,
        })
        .collect();
    let html = match message.rendered {
        Some(rendered) if !from_user => rendered.into_html(),
        _ => String::new(),
    };
    let finish = message.finish_reason.as_deref();
    Shown {
        seq: message.seq,
        from_user,
        text: if from_user { message.content } else { String::new() },
        html,
        sources,
        pii: message.pii,
        stopped: finish == Some("cancelled"),
        cut_short: finish == Some("length"),
        failed: finish == Some("error"),
        when: when(message.created_at),
        last: Some(message.seq) == last,
    }
}

/// Renders messages as the conversation page does, answers with the HTML stored with them:
/// the benchmark's measure. Returns the bytes of HTML.
pub fn render_messages(messages: Vec<Message>) -> usize {
    let last = messages.last().map(|m| m.seq);
    let shown = messages.into_iter().map(|m| show(m, last)).collect();
    Messages { messages: shown }.render().map(|html| html.len()).unwrap_or(0)
}
