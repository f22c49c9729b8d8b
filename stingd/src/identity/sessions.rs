//! Server-side sessions. The browser holds only an opaque id in a cookie (HttpOnly, Secure,
//! SameSite=Strict); the database holds its hash, the user, the assurance level and two clocks:
//! a session ends when unused for the idle timeout or, used or not, at its absolute expiry.
//! Signing in and raising privileges issue a new id (no fixation).

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::cache::CredentialCache;
use super::credential::{Aal, Credential, Session};
use super::secrets::{hash, new_secret};
use super::users::Role;

/// `__Host-`: a browser keeps such a cookie only if it came over HTTPS from this very host, with
/// `Path=/` and no `Domain`, so a sibling subdomain or a plain-HTTP page cannot plant or
/// overwrite it (session fixation).
pub const COOKIE_NAME: &str = "__Host-sting_session";
const PREFIX: &str = "sess_";
/// How often `last_seen_at` is written back (not on every request): at most once a minute, and
/// often enough that a session in use never reaches the idle timeout between writes.
fn touch_every(idle: Duration) -> Duration {
    (idle / 4).min(Duration::from_secs(60))
}

/// The id of the built-in session that authenticated a request, kept with its principal so a
/// factor ceremony replaces exactly that session. A secret: `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(std::sync::Arc<str>);

impl SessionId {
    pub fn new(id: &str) -> Self {
        Self(id.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(..)")
    }
}

/// A new session for `user`; returns the id for the cookie (shown once, stored hashed).
pub async fn create(pool: &PgPool, user: Uuid, aal: Aal, absolute: Duration) -> Result<String, IdentityError> {
    create_on(pool, user, aal, absolute, None).await
}

/// A new session made on `device` (see [`super::devices`]).
pub async fn create_on(
    pool: &PgPool,
    user: Uuid,
    aal: Aal,
    absolute: Duration,
    device: Option<&str>,
) -> Result<String, IdentityError> {
    let id = new_secret(PREFIX);
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, aal, expires_at, device)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
    )
    .bind(hash(&id))
    .bind(user)
    .bind(aal as i16)
    .bind(absolute.as_secs_f64())
    .bind(device)
    .execute(pool)
    .await?;
    Ok(id)
}

/// The session this id names, if it is alive: not expired, used within `idle`, its user not
/// disabled. Answered from `cache` when it can be (see [`super::cache`]).
pub async fn authenticate(
    pool: &PgPool,
    cache: &CredentialCache,
    id: &str,
    idle: Duration,
) -> Result<Option<Session>, IdentityError> {
    let key = hash(id);
    if let Some(Credential::Session(session)) = cache.get(&key) {
        return Ok(Some(session));
    }
    let ticket = cache.ticket();
    let row: Option<(Uuid, String, String, i16, bool, f64)> = sqlx::query_as(
        "SELECT s.user_id, u.email, u.role, s.aal, s.last_seen_at < now() - make_interval(secs => $3),
                extract(epoch FROM s.expires_at - now())::float8
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL
           AND s.last_seen_at > now() - make_interval(secs => $2)",
    )
    .bind(&key)
    .bind(idle.as_secs_f64())
    .bind(touch_every(idle).as_secs_f64())
    .fetch_optional(pool)
    .await?;
    let Some((user, email, role, aal, stale, remaining)) = row else { return Ok(None) };
    if stale {
        sqlx::query("UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1").bind(&key).execute(pool).await?;
    }
    let role = Role::parse(&role);
    let session = Session { user, email, role, aal: if aal >= 2 { Aal::Two } else { Aal::One } };
    if let Some(ticket) = ticket {
        // Believed no longer than a touch interval, so `last_seen_at` keeps up with use.
        let valid_for = Duration::from_secs_f64(remaining.max(0.0)).min(touch_every(idle));
        cache.put(ticket, key, Credential::Session(session.clone()), Some(valid_for));
    }
    Ok(Some(session))
}

/// Replaces a session's id (and raises its assurance): the old id stops working at once. Only a
/// session of `user`, the one who proved the factor: `None` for anyone else's.
pub async fn rotate(
    pool: &PgPool,
    cache: &CredentialCache,
    old: &SessionId,
    user: Uuid,
    aal: Aal,
) -> Result<Option<String>, IdentityError> {
    let old = old.expose();
    let new = new_secret(PREFIX);
    let moved = sqlx::query("UPDATE sessions SET id_hash = $2, aal = greatest(aal, $3), last_seen_at = now() WHERE id_hash = $1 AND user_id = $4 AND expires_at > now()")
        .bind(hash(old))
        .bind(hash(&new))
        .bind(aal as i16)
        .bind(user)
        .execute(pool)
        .await?
        .rows_affected();
    cache.forget(&hash(old));
    Ok((moved == 1).then_some(new))
}

pub async fn revoke(pool: &PgPool, cache: &CredentialCache, id: &str) -> Result<(), IdentityError> {
    let key = hash(id);
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&key).execute(pool).await?;
    cache.forget(&key);
    Ok(())
}

/// Ends every session of every user (what `msting reset-auth` asks for). Returns how many.
pub async fn revoke_all(pool: &PgPool, cache: &CredentialCache) -> Result<u64, IdentityError> {
    let revoked = sqlx::query("DELETE FROM sessions").execute(pool).await?.rows_affected();
    cache.forget_all();
    Ok(revoked)
}

/// The `Set-Cookie` value for a session id.
pub fn cookie(id: &str, absolute: Duration) -> String {
    format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}", absolute.as_secs())
}

/// The `Set-Cookie` value that makes a browser forget its session.
pub fn cleared_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}
