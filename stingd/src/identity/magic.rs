//! Magic links, the default sign-in: a single-use link by email, valid a quarter of an hour at
//! most, stored hashed, and limited per address. Whether an account exists is never revealed:
//! asking for a link answers the same either way (the caller sends mail in the background).

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::secrets::{hash, new_secret};

const PREFIX: &str = "mlink_";
/// Links one address may be sent within [`WINDOW`].
pub const PER_ADDRESS: i64 = 3;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// A link for the account with this email, and the account's own address to send it to
/// (whatever case was typed), unless there is no account, it is disabled, or it had its share
/// of links lately. `None` says nothing about which.
pub async fn issue(pool: &PgPool, email: &str, ttl: Duration) -> Result<Option<(String, String)>, IdentityError> {
    let Some(user) = super::users::find_by_email(pool, email).await?.filter(|u| !u.disabled) else { return Ok(None) };
    // Requests for one address may arrive together: the user's row is locked while counting
    // and inserting, so the cap holds under concurrency.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE").bind(user.id).execute(&mut *tx).await?;
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM magic_links WHERE user_id = $1 AND created_at > now() - make_interval(secs => $2)",
    )
    .bind(user.id)
    .bind(WINDOW.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    if recent >= PER_ADDRESS {
        return Ok(None);
    }
    let token = new_secret(PREFIX);
    sqlx::query(
        "INSERT INTO magic_links (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(hash(&token))
    .bind(user.id)
    .bind(ttl.min(WINDOW).as_secs_f64())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some((token, user.email)))
}

/// Uses a link: its user, the first time within its lifetime; never again.
pub async fn consume(pool: &PgPool, token: &str) -> Result<Option<Uuid>, IdentityError> {
    Ok(sqlx::query_scalar(
        "UPDATE magic_links m SET used_at = now() FROM users u
         WHERE m.token_hash = $1 AND m.used_at IS NULL AND m.expires_at > now() AND u.id = m.user_id AND u.disabled_at IS NULL
         RETURNING m.user_id",
    )
    .bind(hash(token))
    .fetch_optional(pool)
    .await?)
}
