//! API tokens for programs (and the gateway): shown once, stored hashed, with scopes and an
//! optional expiry; revoked one by one, or all at once with their user.

use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::secrets::{hash, new_secret};

const PREFIX: &str = "sting_";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    pub token: Uuid,
    pub user: Uuid,
    pub role: super::users::Role,
    pub scopes: Vec<String>,
}

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

/// Whose token this is, if it is valid now.
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<TokenOwner>, IdentityError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let row: Option<(Uuid, Uuid, String, Vec<String>)> = sqlx::query_as(
        "SELECT t.id, t.user_id, u.role, t.scopes FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
           AND u.disabled_at IS NULL",
    )
    .bind(hash(secret))
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(token, user, role, scopes)| TokenOwner {
        token,
        user,
        role: super::users::Role::parse(&role),
        scopes,
    }))
}

pub async fn revoke(pool: &PgPool, token: Uuid) -> Result<(), IdentityError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(token)
        .execute(pool)
        .await?;
    Ok(())
}
