//! One-time enrolment links: how a new account (the first admin above all) registers its
//! first factor. Single use, short-lived, stored hashed; the first admin's link is printed by
//! `stingd admin create`, so no mail server is needed to start.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::secrets::{hash, new_secret};

const PREFIX: &str = "enrol_";
/// How long an enrolment link stays valid.
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);

pub async fn create(pool: &PgPool, user: Uuid) -> Result<String, IdentityError> {
    let token = new_secret(PREFIX);
    sqlx::query("INSERT INTO enrolment_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))")
        .bind(hash(&token))
        .bind(user)
        .bind(LIFETIME.as_secs_f64())
        .execute(pool)
        .await?;
    Ok(token)
}

/// Uses the link: the user it enrols, the first time and within its lifetime; never again.
pub async fn consume(pool: &PgPool, token: &str) -> Result<Option<Uuid>, IdentityError> {
    Ok(sqlx::query_scalar(
        "UPDATE enrolment_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    )
    .bind(hash(token))
    .fetch_optional(pool)
    .await?)
}

/// The link an admin opens: the token travels in the fragment, which browsers never send to
/// a server or put in logs.
pub fn link(domain: &str, https_port: u16, token: &str) -> String {
    let origin = if https_port == 443 { format!("https://{domain}") } else { format!("https://{domain}:{https_port}") };
    format!("{origin}/enrol#{token}")
}
