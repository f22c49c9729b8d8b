//! What a person manages of their own sign-in: their passkeys (listed, renamed, removed) and
//! their sessions (listed with the one in use marked, revoked). Each function takes the owner:
//! someone else's passkey or session is "not found".

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::cache::CredentialCache;
use super::secrets::hash;
use super::sessions::SessionId;

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    /// Seconds since the epoch.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn passkeys(pool: &PgPool, user: Uuid) -> Result<Vec<PasskeyInfo>, IdentityError> {
    Ok(sqlx::query_as(
        "SELECT id, name, extract(epoch FROM created_at)::bigint AS created_at,
                extract(epoch FROM last_used_at)::bigint AS last_used_at
         FROM passkey_factors WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user)
    .fetch_all(pool)
    .await?)
}

/// Whether `user` had such a passkey.
pub async fn rename_passkey(pool: &PgPool, user: Uuid, id: Uuid, name: &str) -> Result<bool, IdentityError> {
    let done = sqlx::query("UPDATE passkey_factors SET name = $3 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .bind(name)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_passkey(pool: &PgPool, user: Uuid, id: Uuid) -> Result<bool, IdentityError> {
    let done = sqlx::query("DELETE FROM passkey_factors WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A session as its owner sees it: a handle (not its secret, nor what it is stored under).
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: String,
    /// 1: one factor; 2: two.
    pub aal: i16,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// What it was made on ("Firefox on Android"), when the sign-in said.
    pub device: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

/// The handle of a session: derived from what it is stored under, one way.
const HANDLE: &str = "encode(substring(sha256(id_hash) from 1 for 12), 'hex')";

pub async fn sessions(
    pool: &PgPool,
    user: Uuid,
    current: Option<&SessionId>,
) -> Result<Vec<SessionInfo>, IdentityError> {
    let current = current.map(|id| hash(id.expose())).unwrap_or_default();
    Ok(sqlx::query_as(&format!(
        "SELECT {HANDLE} AS id, aal, extract(epoch FROM created_at)::bigint AS created_at,
                extract(epoch FROM last_seen_at)::bigint AS last_seen_at,
                extract(epoch FROM expires_at)::bigint AS expires_at, device, id_hash = $2 AS current
         FROM sessions WHERE user_id = $1 AND expires_at > now() ORDER BY last_seen_at DESC"
    ))
    .bind(user)
    .bind(current)
    .fetch_all(pool)
    .await?)
}

/// Ends one of `user`'s sessions by its handle; whether there was one.
pub async fn revoke_session(
    pool: &PgPool,
    cache: &CredentialCache,
    user: Uuid,
    handle: &str,
) -> Result<bool, IdentityError> {
    let gone: Option<(Vec<u8>,)> =
        sqlx::query_as(&format!("DELETE FROM sessions WHERE user_id = $1 AND {HANDLE} = $2 RETURNING id_hash"))
            .bind(user)
            .bind(handle)
            .fetch_optional(pool)
            .await?;
    match gone {
        Some((key,)) => {
            cache.forget(&key);
            Ok(true)
        }
        None => Ok(false),
    }
}
