//! Bee's conversations and their messages, each conversation sealed with its own data key
//! (`envelope`), like documents. A conversation is its owner's alone: any other caller, admins
//! included, is told it does not exist.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sting_vault::Vault;
use uuid::Uuid;

use crate::envelope::{EnvelopeError, KeyCache, Sealer};
use crate::honey_jars::jars::{self, JarError, Reader};
use crate::markdown::{CitationLink, Markdown, Rendered};

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("no such conversation")]
    NotFound,
    #[error("the conversation changed while the answer was being written: ask again")]
    Changed,
    #[error(transparent)]
    Jar(#[from] JarError),
    #[error("conversations are stored encrypted with keys from Vault, and Vault cannot be used now: {0}")]
    Sealing(#[from] EnvelopeError),
    #[error("this stingd has no Vault: conversations are only stored encrypted (set STING_VAULT_ADDR)")]
    NoVault,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A passage an answer drew on, numbered as the model was asked to cite it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    pub number: usize,
    pub jar: Uuid,
    pub document: Uuid,
    pub document_name: String,
    pub chunk: i32,
    pub heading: String,
    pub score: f32,
    /// Whether the answer cites it by its number.
    pub cited: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    /// The jars Bee draws on; `null` means every jar the owner can read.
    pub jars: Option<Vec<Uuid>>,
    pub model: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub seq: i32,
    pub role: String,
    pub content: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Citation>,
    /// Kinds of personal data found in it (`pii.chat: flag`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pii: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    pub created_at: i64,
    /// The answer as HTML, made when it was stored (the pages show it; the API does not).
    #[serde(skip)]
    pub rendered: Option<Rendered>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub total_tokens: i32,
}

/// A message to be stored.
pub struct Draft<'a> {
    pub from_user: bool,
    pub content: &'a str,
    pub sources: &'a [Citation],
    pub pii: &'a [String],
    pub usage: Option<Usage>,
    pub finish_reason: Option<&'a str>,
    pub rendered: Option<Rendered>,
}

/// What is sealed of a message.
#[derive(Serialize, Deserialize)]
struct Body {
    content: String,
    #[serde(default)]
    sources: Vec<Citation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rendered: Option<Rendered>,
}

/// Which messages a regenerated answer replaces: from `from` (the question asked again) to
/// `last`, the last message when the answer began.
#[derive(Clone, Copy, Debug)]
pub struct Replacing {
    pub from: i32,
    pub last: i32,
}

/// An open conversation: its row and the key to read and write it.
#[derive(Clone)]
pub struct Opened {
    pub conversation: Conversation,
    pub sealer: Arc<Sealer>,
}

fn title_context(id: Uuid) -> Vec<u8> {
    format!("{id}:title").into_bytes()
}

fn message_context(id: Uuid, seq: i32) -> Vec<u8> {
    format!("{id}:{seq}").into_bytes()
}

/// A title from a first question: its first line, cut at a word within 80 characters.
pub fn title_from(question: &str) -> String {
    let line = question.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    if line.chars().count() <= 80 {
        return line.to_string();
    }
    let cut: String = line.chars().take(80).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 40 => &cut[..space],
        _ => &cut,
    };
    format!("{}…", cut.trim_end())
}

/// A new conversation of `reader`'s, drawing on `jars` (each must be readable now).
pub async fn create(
    pool: &PgPool,
    vault: Option<&Vault>,
    reader: Reader,
    title: &str,
    jar_ids: Option<Vec<Uuid>>,
    model: Option<String>,
) -> Result<Conversation, ConversationError> {
    if let Some(ids) = &jar_ids {
        for jar in ids {
            jars::get(pool, reader, *jar).await?;
        }
    }
    let vault = vault.ok_or(ConversationError::NoVault)?;
    let id = Uuid::new_v4();
    let (sealer, wrapped) = Sealer::create(vault).await?;
    let sealed_title = sealer.seal(title.as_bytes(), &title_context(id));
    let (created_at,): (i64,) = sqlx::query_as(
        "INSERT INTO conversations (id, owner_id, wrapped_key, title, jar_ids, model) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING extract(epoch FROM created_at)::bigint",
    )
    .bind(id)
    .bind(reader.user)
    .bind(&wrapped)
    .bind(&sealed_title)
    .bind(&jar_ids)
    .bind(&model)
    .fetch_one(pool)
    .await?;
    Ok(Conversation {
        id,
        title: title.to_string(),
        jars: jar_ids,
        model,
        created_at,
        updated_at: created_at,
        messages: 0,
    })
}

type Row = (Uuid, String, Vec<u8>, Option<Vec<Uuid>>, Option<String>, i64, i64, i64);

const SELECT: &str = "SELECT c.id, c.wrapped_key, c.title, c.jar_ids, c.model,
        extract(epoch FROM c.created_at)::bigint, extract(epoch FROM c.updated_at)::bigint,
        (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
    FROM conversations c";

async fn unseal(vault: &Vault, keys: &KeyCache, row: Row) -> Result<Opened, ConversationError> {
    let (id, wrapped, title, jars, model, created_at, updated_at, messages) = row;
    let sealer = keys.sealer(vault, id, &wrapped).await?;
    let title = String::from_utf8_lossy(&sealer.open(&title, &title_context(id))?).into_owned();
    Ok(Opened { conversation: Conversation { id, title, jars, model, created_at, updated_at, messages }, sealer })
}

/// `reader`'s conversations, the latest first.
pub async fn list(
    pool: &PgPool,
    vault: Option<&Vault>,
    keys: &KeyCache,
    reader: Reader,
) -> Result<Vec<Conversation>, ConversationError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.owner_id = $1 ORDER BY c.updated_at DESC, c.id"))
        .bind(reader.user)
        .fetch_all(pool)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let vault = vault.ok_or(ConversationError::NoVault)?;
    crate::envelope::require_unsealed(vault).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(unseal(vault, keys, row).await?.conversation);
    }
    Ok(out)
}

/// One of `reader`'s conversations, opened.
pub async fn open(
    pool: &PgPool,
    vault: Option<&Vault>,
    keys: &KeyCache,
    reader: Reader,
    id: Uuid,
) -> Result<Opened, ConversationError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1 AND c.owner_id = $2"))
        .bind(id)
        .bind(reader.user)
        .fetch_optional(pool)
        .await?;
    let row = row.ok_or(ConversationError::NotFound)?;
    let vault = vault.ok_or(ConversationError::NoVault)?;
    crate::envelope::require_unsealed(vault).await?;
    unseal(vault, keys, row).await
}

/// The messages of an opened conversation, in order.
pub async fn messages(pool: &PgPool, opened: &Opened) -> Result<Vec<Message>, ConversationError> {
    type MessageRow = (i32, String, Vec<u8>, Vec<String>, Option<i32>, Option<i32>, Option<String>, i64);
    let id = opened.conversation.id;
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT seq, role, sealed, pii_kinds, prompt_tokens, completion_tokens, finish_reason,
                extract(epoch FROM created_at)::bigint
         FROM messages WHERE conversation_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, role, sealed, pii, prompt_tokens, completion_tokens, finish_reason, created_at) in rows {
        let plain = opened.sealer.open(&sealed, &message_context(id, seq))?;
        let body: Body = serde_json::from_slice(&plain).map_err(|_| EnvelopeError::Tampered)?;
        let usage = match (prompt_tokens, completion_tokens) {
            (Some(p), Some(c)) => Some(Usage { prompt_tokens: p, completion_tokens: c, total_tokens: p + c }),
            _ => None,
        };
        out.push(Message {
            seq,
            role,
            content: body.content,
            sources: body.sources,
            pii,
            usage,
            finish_reason,
            created_at,
            rendered: body.rendered,
        });
    }
    Ok(out)
}

/// Appends messages (a question and its answer go in together, so a failed answer leaves no
/// question without one), and names the conversation after its first question if it has no
/// name. With `replacing`, the messages from one number to the last are replaced in the same
/// transaction (a regenerated answer: the old one stays until the new one is stored), and only
/// if the last is still the last: what was added meanwhile is never lost. Returns the sequence
/// numbers given.
pub async fn append(
    pool: &PgPool,
    opened: &Opened,
    drafts: &[Draft<'_>],
    replacing: Option<Replacing>,
) -> Result<Vec<i32>, ConversationError> {
    let id = opened.conversation.id;
    let mut tx = pool.begin().await?;
    // The row lock orders concurrent appends to one conversation.
    sqlx::query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ConversationError::NotFound)?;
    if let Some(Replacing { from, last }) = replacing {
        let now_last: Option<i32> = sqlx::query_scalar("SELECT max(seq) FROM messages WHERE conversation_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if now_last != Some(last) {
            return Err(ConversationError::Changed);
        }
        sqlx::query("DELETE FROM messages WHERE conversation_id = $1 AND seq >= $2")
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
    }
    let (next,): (i32,) = sqlx::query_as("SELECT coalesce(max(seq) + 1, 0) FROM messages WHERE conversation_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let mut given = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.iter().enumerate() {
        let seq = next + i as i32;
        let body = Body {
            content: draft.content.to_string(),
            sources: draft.sources.to_vec(),
            rendered: draft.rendered.clone(),
        };
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(&body).expect("a message serialises"));
        let sealed = opened.sealer.seal(&plain, &message_context(id, seq));
        sqlx::query(
            "INSERT INTO messages (conversation_id, seq, role, sealed, pii_kinds, prompt_tokens, completion_tokens, finish_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(seq)
        .bind(if draft.from_user { "user" } else { "assistant" })
        .bind(&sealed)
        .bind(draft.pii)
        .bind(draft.usage.map(|u| u.prompt_tokens))
        .bind(draft.usage.map(|u| u.completion_tokens))
        .bind(draft.finish_reason)
        .execute(&mut *tx)
        .await?;
        given.push(seq);
    }
    if opened.conversation.title.is_empty() {
        if let Some(first) = drafts.iter().find(|d| d.from_user) {
            let title = title_from(first.content);
            sqlx::query("UPDATE conversations SET title = $2 WHERE id = $1")
                .bind(id)
                .bind(opened.sealer.seal(title.as_bytes(), &title_context(id)))
                .execute(&mut *tx)
                .await?;
        }
    }
    sqlx::query("UPDATE conversations SET updated_at = now() WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(given)
}

impl Citation {
    /// Where its passage is shown.
    pub fn href(&self) -> String {
        crate::honey_jars::documents::passage_href(self.jar, self.document, self.chunk)
    }
}

/// An answer as HTML, its citation marks linked to the passages its sources name.
pub fn render_answer(markdown: &Markdown, content: &str, sources: &[Citation]) -> Rendered {
    let links: Vec<CitationLink> = sources
        .iter()
        .map(|s| CitationLink { number: s.number, href: s.href(), title: s.document_name.clone() })
        .collect();
    markdown.answer(content, &links)
}

/// Stores the HTML a page made of an answer stored without it (or by an older renderer), the
/// `rendered` that `message` now carries. Only
/// if the message is still the one rendered (same text, same sources): an answer asked again
/// meanwhile has taken its number, and is never given the old one's HTML; the update applies
/// only to the row as it was read.
pub async fn store_rendered(pool: &PgPool, opened: &Opened, message: &Message) -> Result<(), ConversationError> {
    let Some(rendered) = &message.rendered else { return Ok(()) };
    let id = opened.conversation.id;
    let context = message_context(id, message.seq);
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT sealed FROM messages WHERE conversation_id = $1 AND seq = $2")
            .bind(id)
            .bind(message.seq)
            .fetch_optional(pool)
            .await?;
    let Some(sealed) = sealed else { return Ok(()) };
    let plain = zeroize::Zeroizing::new(opened.sealer.open(&sealed, &context)?);
    let mut body: Body = serde_json::from_slice(&plain).map_err(|_| EnvelopeError::Tampered)?;
    // Another message under the same number (an answer asked again, even with the same text
    // but other sources), or one already rendered by now: left as it is.
    let same = body.content == message.content && body.sources == message.sources;
    if !same || body.rendered.as_ref().is_some_and(Rendered::is_current) {
        return Ok(());
    }
    body.rendered = Some(rendered.clone());
    let plain = zeroize::Zeroizing::new(serde_json::to_vec(&body).expect("a message serialises"));
    sqlx::query("UPDATE messages SET sealed = $4 WHERE conversation_id = $1 AND seq = $2 AND sealed = $3")
        .bind(id)
        .bind(message.seq)
        .bind(&sealed)
        .bind(opened.sealer.seal(&plain, &context))
        .execute(pool)
        .await?;
    Ok(())
}

/// Renames a conversation or changes the jars it draws on.
pub async fn update(
    pool: &PgPool,
    opened: &Opened,
    reader: Reader,
    title: Option<&str>,
    jar_ids: Option<Option<Vec<Uuid>>>,
) -> Result<(), ConversationError> {
    let id = opened.conversation.id;
    if let Some(Some(ids)) = &jar_ids {
        for jar in ids {
            jars::get(pool, reader, *jar).await?;
        }
    }
    let mut tx = pool.begin().await?;
    if let Some(title) = title {
        sqlx::query("UPDATE conversations SET title = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(opened.sealer.seal(title.as_bytes(), &title_context(id)))
            .execute(&mut *tx)
            .await?;
    }
    if let Some(ids) = jar_ids {
        sqlx::query("UPDATE conversations SET jar_ids = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(ids)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes one of `reader`'s conversations with its messages.
pub async fn delete(pool: &PgPool, reader: Reader, id: Uuid) -> Result<(), ConversationError> {
    let done = sqlx::query("DELETE FROM conversations WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(reader.user)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ConversationError::NotFound);
    }
    Ok(())
}

/// A conversation as Markdown, for people: the title, each message under its author, and the
/// sources an answer drew on as a numbered list.
pub fn to_markdown(conversation: &Conversation, messages: &[Message]) -> String {
    let title = if conversation.title.is_empty() { "Conversation with Bee" } else { &conversation.title };
    let mut out = format!("# {title}\n");
    for message in messages {
        let who = if message.role == "user" { "You" } else { "Bee" };
        out.push_str(&format!("\n## {who}\n\n{}\n", message.content.trim()));
        if !message.sources.is_empty() {
            out.push_str("\nSources:\n");
            for s in &message.sources {
                let heading = if s.heading.is_empty() { String::new() } else { format!(" › {}", s.heading) };
                out.push_str(&format!("{}. {}{heading} (chunk {})\n", s.number, s.document_name, s.chunk));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line_cut_at_a_word() {
        assert_eq!(title_from("\n  How long do refunds take?\nsecond line"), "How long do refunds take?");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert!(title.ends_with('…') && title.chars().count() <= 81, "{title}");
        assert!(!title.contains("wor…"), "cut at a word: {title}");
        assert_eq!(title_from("   "), "");
        let unbroken = "é".repeat(200);
        assert_eq!(title_from(&unbroken).chars().count(), 81);
    }

    #[test]
    fn markdown_export_lists_messages_and_their_sources() {
        let conversation = Conversation {
            id: Uuid::nil(),
            title: "Refunds".into(),
            jars: None,
            model: None,
            created_at: 0,
            updated_at: 0,
            messages: 2,
        };
        let source = Citation {
            number: 1,
            jar: Uuid::nil(),
            document: Uuid::nil(),
            document_name: "policy.md".into(),
            chunk: 3,
            heading: "Returns".into(),
            score: 0.5,
            cited: true,
        };
        let message = |role: &str, content: &str, sources: Vec<Citation>| Message {
            seq: 0,
            role: role.into(),
            content: content.into(),
            sources,
            pii: Vec::new(),
            usage: None,
            finish_reason: None,
            created_at: 0,
            rendered: None,
        };
        let md = to_markdown(
            &conversation,
            &[message("user", "How long?", vec![]), message("assistant", "14 days [1].", vec![source])],
        );
        assert!(md.starts_with("# Refunds\n"));
        assert!(md.contains("## You\n\nHow long?") && md.contains("## Bee\n\n14 days [1]."));
        assert!(md.contains("1. policy.md › Returns (chunk 3)"), "{md}");
    }
}
