//! Notifications: what concerns a user, kept until they read it and shown live in their open
//! pages. Whatever tells a user something (a share, a moderator's decision, ingestion) inserts
//! a row, in its own transaction when it has one, so a notice goes out exactly when what it
//! tells is committed; the database then tells every stingd (`LISTEN sting_notifications`), and
//! the [`Hub`] tells that user's streams. Nothing here knows who sends what.

pub mod api;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The database channel new notifications are told on.
const CHANNEL: &str = "sting_notifications";

/// What a notification is about (the `notifications.kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    JarShared,
    DocumentHeld,
    DocumentReleased,
    DocumentRejected,
    IngestionFailed,
    NewSignin,
    RoleChanged,
    TokenExpiring,
    /// Posted by a program through the API.
    Posted,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// A page of this site it is about (`/jars/…`), if any.
    pub link: Option<String>,
    pub created_at: i64,
    pub read: bool,
}

/// A notification to send.
pub struct New<'a> {
    pub kind: Kind,
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

const COLUMNS: &str =
    "id, kind, title, body, link, extract(epoch FROM created_at)::bigint AS created_at, read_at IS NOT NULL AS read";

/// Sends `new` to `user`: stored now, told to their pages when the transaction commits.
pub async fn send<'e, E: sqlx::PgExecutor<'e>>(executor: E, user: Uuid, new: &New<'_>) -> Result<Uuid, sqlx::Error> {
    let title: String = new.title.chars().take(300).collect();
    let body: String = new.body.chars().take(2000).collect();
    sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, title, body, link) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user)
    .bind(new.kind)
    .bind(title)
    .bind(body)
    .bind(new.link.filter(|l| is_local(l)))
    .fetch_one(executor)
    .await
}

/// Whether `link` is a path of this site: `/…`, never `//host` or `/\\host`, which a browser
/// would take to another site.
pub fn is_local(link: &str) -> bool {
    link.starts_with('/') && !link[1..].starts_with(['/', '\\'])
}

/// `user`'s notifications, newest first: `limit` of them, from after `before` (the id of the
/// last one of the previous page) when given. (`notifications.created_at` in the order: the
/// bare name would be the output's, in whole seconds.)
pub async fn list(
    pool: &PgPool,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE user_id = $1
           AND ($2::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM notifications WHERE id = $2 AND user_id = $1))
         ORDER BY notifications.created_at DESC, id DESC LIMIT $3"
    ))
    .bind(user)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One of `user`'s notifications.
pub async fn get(pool: &PgPool, user: Uuid, id: Uuid) -> Result<Option<Notification>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"))
        .bind(id)
        .bind(user)
        .fetch_optional(pool)
        .await
}

/// How many of `user`'s notifications are unread.
pub async fn unread(pool: &PgPool, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(pool)
        .await
}

/// Marks one of `user`'s notifications read; whether they have it.
pub async fn mark_read(pool: &PgPool, user: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let found =
        sqlx::query("UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(pool)
            .await?;
    Ok(found.rows_affected() == 1)
}

/// Marks all of `user`'s notifications read; how many were unread.
pub async fn mark_all_read(pool: &PgPool, user: Uuid) -> Result<u64, sqlx::Error> {
    let marked = sqlx::query("UPDATE notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .execute(pool)
        .await?;
    Ok(marked.rows_affected())
}

/// The live side: which users have something new, as the database tells it. Streams subscribe
/// and keep what is for their user; one that falls behind (or a lost database connection) is
/// told to count again, so no page misses a notice, at worst it reads the count twice.
pub struct Hub {
    sender: broadcast::Sender<Told>,
}

/// What the hub tells its streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Told {
    /// `user` has a new notification (user, notification).
    New(Uuid, Uuid),
    /// Notices may have been missed (the database connection was lost): everyone counts again.
    Recount,
}

impl Default for Hub {
    fn default() -> Self {
        Self { sender: broadcast::channel(256).0 }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Told> {
        self.sender.subscribe()
    }

    /// Listens to the database until shutdown, reconnecting with backoff.
    pub async fn listen(self: Arc<Self>, pool: PgPool) {
        let mut delay = Duration::from_millis(100);
        loop {
            match crate::db::listen(&pool, CHANNEL).await {
                Ok(mut listener) => {
                    delay = Duration::from_millis(100);
                    let _ = self.sender.send(Told::Recount);
                    while let Ok(Some(notification)) = listener.try_recv().await {
                        let told = notification.payload().split_once(':');
                        if let Some((Ok(user), Ok(id))) = told.map(|(u, n)| (u.parse(), n.parse())) {
                            let _ = self.sender.send(Told::New(user, id));
                        }
                    }
                    tracing::warn!("lost the database's notification channel; listening again");
                }
                Err(error) => tracing::debug!(%error, "cannot listen for notifications yet"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_local;

    #[test]
    fn a_link_stays_on_this_site() {
        assert!(is_local("/jars/1") && is_local("/"));
        for elsewhere in ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", ""] {
            assert!(!is_local(elsewhere), "{elsewhere}");
        }
    }
}
