//! The audit log: who did what to whom, readable by admins. Never secrets, never content.

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub actor: Option<Uuid>,
    pub action: String,
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

pub async fn record(
    pool: &PgPool,
    actor: Option<Uuid>,
    action: &str,
    target: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), IdentityError> {
    sqlx::query("INSERT INTO audit_events (actor, action, target, detail) VALUES ($1, $2, $3, $4)")
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(pool)
        .await?;
    Ok(())
}

/// The newest events first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Event>, IdentityError> {
    Ok(sqlx::query_as(
        "SELECT id, extract(epoch FROM at)::bigint AS at, actor, action, target, detail FROM audit_events ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
