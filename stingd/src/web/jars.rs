//! The Honey Jar pages: the jars I can reach (mine, shared with me, everyone's), one jar with
//! its documents, their ingestion status, its shares and an upload area for those who may
//! write, one document's passages (where a citation or a search hit leads), and search.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use uuid::Uuid;

use super::page::{Person, Section, Shell, render, size};
use crate::honey_jars::documents::{self, Listed, Status};
use crate::honey_jars::jars::{self, Jar, JarError, Permission, ShareTarget};
use crate::http::{ApiError, AppState};

struct Group {
    heading: &'static str,
    id: &'static str,
    jars: Vec<Jar>,
}

#[derive(Template)]
#[template(path = "jars.html")]
struct JarsPage<'a> {
    shell: Shell<'a>,
    groups: Vec<Group>,
    can_create: bool,
}

struct ShownDocument {
    id: Uuid,
    name: String,
    doc_type: String,
    size: String,
    status: Status,
    percent: u32,
    pii: String,
    error: String,
}

struct ShownShare {
    kind: &'static str,
    value: String,
    label: String,
    permission: Permission,
}

#[derive(Template)]
#[template(path = "jar.html")]
struct JarPage<'a> {
    shell: Shell<'a>,
    jar: Jar,
    owner_is_me: bool,
    documents: Vec<ShownDocument>,
    shares: Vec<ShownShare>,
    can_write: bool,
    can_manage: bool,
    can_approve: bool,
    max_size: u64,
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage<'a> {
    shell: Shell<'a>,
    jar: Jar,
    document: ShownDocument,
    passages: Vec<(i32, String, String)>,
}

/// A piece of a snippet: text, and whether it matches a searched word.
struct Piece {
    text: String,
    marked: bool,
}

struct ShownHit {
    href: String,
    document: String,
    jar: String,
    heading: String,
    pieces: Vec<Piece>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    shell: Shell<'a>,
    query: String,
    hits: Vec<ShownHit>,
    searched: bool,
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    id.parse().map_err(|_| JarError::NotFound.into())
}

/// `GET /jars`.
pub async fn list(State(state): State<AppState>, person: Person) -> Response {
    let shell = Shell::new(&state, "Honey Jars", "jars").for_person(&person, Section::Jars);
    let listed = match state.identity() {
        Ok(identity) => jars::list(&identity.pool, person.reader).await.map_err(ApiError::from),
        Err(error) => Err(error),
    };
    let all = match listed {
        Ok(all) => all,
        Err(error) => return shell.error(error),
    };
    let me = person.reader.user;
    let (mut mine, mut shared, mut everyone, mut others) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for jar in all {
        if jar.owner == me {
            mine.push(jar);
        } else if jar.everyone {
            everyone.push(jar);
        } else if person.reader.elevated && jar.permission == Permission::Manage {
            others.push(jar);
        } else {
            shared.push(jar);
        }
    }
    let groups = vec![
        Group { heading: "Mine", id: "mine", jars: mine },
        Group { heading: "Shared with me", id: "shared", jars: shared },
        Group { heading: "Everyone's", id: "everyone", jars: everyone },
        Group { heading: "Others' (you manage them as an admin)", id: "others", jars: others },
    ];
    render(&JarsPage { shell, groups, can_create: person.writes() })
}

fn shown(document: Listed) -> ShownDocument {
    ShownDocument {
        id: document.id,
        name: document.name,
        doc_type: document.doc_type,
        size: size(document.size),
        status: document.status,
        percent: (document.progress.clamp(0.0, 1.0) * 100.0).round() as u32,
        pii: document.pii.join(", "),
        error: document.error.unwrap_or_default(),
    }
}

/// `GET /jars/{id}`.
pub async fn jar(State(state): State<AppState>, person: Person, Path(id): Path<String>) -> Response {
    let shell = Shell::new(&state, "Honey Jar", "jar").for_person(&person, Section::Jars);
    match jar_data(&state, &person, &id).await {
        Ok(mut page) => {
            page.shell = shell;
            page.shell.title = page.jar.name.clone();
            render(&page)
        }
        Err(error) => shell.error(error),
    }
}

async fn jar_data<'a>(state: &'a AppState, person: &Person, id: &str) -> Result<JarPage<'a>, ApiError> {
    let id = parse_id(id)?;
    let pool = &state.identity()?.pool;
    let jar = jars::get(pool, person.reader, id).await?;
    let documents = documents::list(pool, person.reader, id).await?.into_iter().map(shown).collect();
    let can_manage = jar.permission == Permission::Manage;
    let shares = if can_manage { jars::shares(pool, person.reader, id).await? } else { Vec::new() };
    let users: Vec<Uuid> = shares
        .iter()
        .filter_map(|s| match s.target {
            ShareTarget::User(user) => Some(user),
            _ => None,
        })
        .collect();
    let emails: HashMap<Uuid, String> = if users.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, (Uuid, String)>("SELECT id, email FROM users WHERE id = ANY($1)")
            .bind(&users)
            .fetch_all(pool)
            .await
            .map_err(crate::identity::IdentityError::Database)?
            .into_iter()
            .collect()
    };
    let shares = shares
        .into_iter()
        .map(|share| {
            let (kind, value, label) = match share.target {
                ShareTarget::User(user) => {
                    let email = emails.get(&user).cloned().unwrap_or_else(|| user.to_string());
                    ("email", email.clone(), email)
                }
                ShareTarget::Role(role) => {
                    ("role", role.as_str().to_string(), format!("everyone with the role {}", role.as_str()))
                }
                ShareTarget::Everyone => ("everyone", String::new(), "everyone signed in".to_string()),
            };
            ShownShare { kind, value, label, permission: share.permission }
        })
        .collect();
    Ok(JarPage {
        shell: Shell::new(state, "", "jar"),
        owner_is_me: jar.owner == person.reader.user,
        can_write: person.writes() && jar.permission >= Permission::Write,
        can_manage,
        can_approve: person.reader.elevated,
        jar,
        documents,
        shares,
        max_size: state.documents.max_document_size,
    })
}

/// `GET /jars/{id}/documents/{doc}`: a document's passages; `#passage-N` is the one cited.
pub async fn document(
    State(state): State<AppState>,
    person: Person,
    Path((jar, doc)): Path<(String, String)>,
) -> Response {
    let shell = Shell::new(&state, "Document", "document").for_person(&person, Section::Jars);
    let data = async {
        let (jar, doc) = (parse_id(&jar)?, parse_id(&doc)?);
        let pool = &state.identity()?.pool;
        let shown_jar = jars::get(pool, person.reader, jar).await?;
        let vault = state.vault_client();
        let (listed, passages) =
            documents::passages(pool, vault.as_ref(), &state.documents.keys, person.reader, jar, doc).await?;
        Ok::<_, ApiError>((shown_jar, shown(listed), passages))
    };
    match data.await {
        Ok((jar, document, passages)) => {
            let mut shell = shell;
            shell.title = document.name.clone();
            render(&DocumentPage { shell, jar, document, passages })
        }
        Err(error) => shell.error(error),
    }
}

/// `GET /search?q=`: passages across every jar I can read, the words found marked.
pub async fn search(
    State(state): State<AppState>,
    person: Person,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let shell = Shell::new(&state, "Search", "search").for_person(&person, Section::Search);
    let q = query.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    if q.is_empty() {
        return render(&SearchPage { shell, query: q, hits: Vec::new(), searched: false });
    }
    if q.len() > 500 {
        return shell.error(ApiError::bad_request("invalid_query", "a search is at most 500 characters"));
    }
    let found = async {
        let pool = &state.identity()?.pool;
        let names: HashMap<Uuid, String> =
            jars::list(pool, person.reader).await?.into_iter().map(|j| (j.id, j.name)).collect();
        let vault = state.vault_client();
        let index = state.documents.index(pool, vault.as_ref());
        let scope = documents::Scope { jars: None, limit: 20, min_score: state.documents.min_score };
        let mut hits = documents::search(&index, person.reader, &q, documents::Match::All, scope).await?;
        if hits.is_empty() {
            hits = documents::search(&index, person.reader, &q, documents::Match::Any, scope).await?;
        }
        Ok::<_, ApiError>((hits, names))
    };
    match found.await {
        Ok((hits, names)) => {
            let words = words_of(&q);
            let hits = hits
                .into_iter()
                .map(|hit| ShownHit {
                    href: documents::passage_href(hit.jar, hit.document, hit.chunk),
                    document: hit.document_name,
                    jar: names.get(&hit.jar).cloned().unwrap_or_default(),
                    heading: hit.heading,
                    pieces: mark(&hit.snippet, &words),
                })
                .collect();
            render(&SearchPage { shell, query: q, hits, searched: true })
        }
        Err(error) => shell.error(error),
    }
}

fn words_of(query: &str) -> Vec<String> {
    query.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect()
}

/// Splits `text` into pieces, marking each word that is a searched word or shares its stem
/// (search matches `refunds` for `refund`).
fn mark(text: &str, words: &[String]) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: &str, marked: bool| match pieces.last_mut() {
        Some(last) if last.marked == marked => last.text.push_str(text),
        _ => pieces.push(Piece { text: text.to_string(), marked }),
    };
    let mut start = 0;
    let mut in_word = false;
    let flush = |piece: &str, in_word: bool, push: &mut dyn FnMut(&str, bool)| {
        if piece.is_empty() {
            return;
        }
        let lower = piece.to_lowercase();
        let hit = in_word
            && lower.chars().count() >= 3
            && words.iter().any(|w| {
                let stem: String = w.chars().take(w.chars().count().clamp(3, 5)).collect();
                lower.starts_with(&stem)
            });
        push(piece, hit);
    };
    for (i, c) in text.char_indices() {
        let is_word = c.is_alphanumeric();
        if is_word != in_word {
            flush(&text[start..i], in_word, &mut push);
            start = i;
            in_word = is_word;
        }
    }
    flush(&text[start..], in_word, &mut push);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searched_words_and_their_forms_are_marked() {
        let pieces = mark("Refunds take 14 days; a refund is rare.", &words_of("refund days"));
        let marked: Vec<&str> = pieces.iter().filter(|p| p.marked).map(|p| p.text.as_str()).collect();
        assert_eq!(marked, ["Refunds", "days", "refund"]);
        let whole: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(whole, "Refunds take 14 days; a refund is rare.");
    }
}
