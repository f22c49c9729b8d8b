//! API tokens for programs (and the gateway): shown once, stored hashed, with scopes and an
//! optional expiry; revoked one by one, or all at once with their user.

use sqlx::PgPool;
use uuid::Uuid;

use std::time::Duration;

use super::IdentityError;
use super::cache::CredentialCache;
use super::credential::{Credential, TokenOwner};
use super::secrets::{hash, new_secret};

const PREFIX: &str = "sting_";

/// A new token; returns its id and the secret, which is never available again.
pub async fn create(
    pool: &PgPool,
    user: Uuid,
    name: &str,
    scopes: &[&str],
    expires_in: Option<std::time::Duration>,
) -> Result<(Uuid, String), IdentityError> {
    let secret = new_secret(PREFIX);
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, secret_hash, scopes, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id",
    )
    .bind(user)
    .bind(name)
    .bind(hash(&secret))
    .bind(scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    .bind(expires_in.map(|d| d.as_secs_f64()))
    .fetch_one(pool)
    .await?;
    Ok((id, secret))
}

/// Whose token this is, if it is valid now. Answered from `cache` when it can be.
pub async fn authenticate(
    pool: &PgPool,
    cache: &CredentialCache,
    secret: &str,
) -> Result<Option<TokenOwner>, IdentityError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let key = hash(secret);
    if let Some(Credential::Token(owner)) = cache.get(&key) {
        return Ok(Some(owner));
    }
    let ticket = cache.ticket();
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        user_id: Uuid,
        email: String,
        role: String,
        scopes: Vec<String>,
        remaining: Option<f64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.id, t.user_id, u.email, u.role, t.scopes, extract(epoch FROM t.expires_at - now())::float8 AS remaining
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
           AND u.disabled_at IS NULL",
    )
    .bind(&key)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let owner = TokenOwner {
        token: row.id,
        user: row.user_id,
        email: row.email,
        role: super::users::Role::parse(&row.role),
        scopes: row.scopes,
    };
    if let Some(ticket) = ticket {
        let valid_for = row.remaining.map(|r| Duration::from_secs_f64(r.max(0.0)));
        cache.put(ticket, key, Credential::Token(owner.clone()), valid_for);
    }
    Ok(Some(owner))
}

/// Revokes a token of `user`'s; `false` if they have no such live token (another user's token
/// is "no such token", not "forbidden": its existence is not revealed).
pub async fn revoke(pool: &PgPool, cache: &CredentialCache, user: Uuid, token: Uuid) -> Result<bool, IdentityError> {
    let revoked =
        sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(token)
            .bind(user)
            .execute(pool)
            .await?
            .rows_affected();
    cache.forget_user(user);
    Ok(revoked == 1)
}

/// A token as its owner sees it in a list: never the secret.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// `user`'s live tokens, newest first.
pub async fn list(pool: &PgPool, user: Uuid) -> Result<Vec<TokenInfo>, IdentityError> {
    Ok(sqlx::query_as(
        "SELECT id, name, scopes,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at,
                to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS expires_at
         FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         ORDER BY created_at DESC",
    )
    .bind(user)
    .fetch_all(pool)
    .await?)
}
