//! Users: one row per person, found by email whatever its case.

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::IdentityError;
use super::cache::CredentialCache;

/// The roles of the security model, from most to least privileged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Moderator,
    User,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Moderator => "moderator",
            Self::User => "user",
            Self::Viewer => "viewer",
        }
    }

    /// A role from its stored name; anything unknown is the least surprising default, `user`.
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "admin" => Self::Admin,
            "moderator" => Self::Moderator,
            "viewer" => Self::Viewer,
            _ => Self::User,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
}

/// A plausible address: one `@`, something on each side, no spaces or control characters.
pub(crate) fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub async fn create(pool: &PgPool, email: &str, role: Role) -> Result<User, IdentityError> {
    let email = email.trim();
    if !is_valid_email(email) {
        return Err(IdentityError::InvalidEmail);
    }
    let id: Result<Uuid, sqlx::Error> =
        sqlx::query_scalar("INSERT INTO users (email, role) VALUES ($1, $2) RETURNING id")
            .bind(email)
            .bind(role.as_str())
            .fetch_one(pool)
            .await;
    match id {
        Ok(id) => Ok(User { id, email: email.to_string(), role, disabled: false }),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(IdentityError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_by_email(pool: &PgPool, email: &str) -> Result<Option<User>, IdentityError> {
    let row: Option<(Uuid, String, String, bool)> =
        sqlx::query_as("SELECT id, email, role, disabled_at IS NOT NULL FROM users WHERE lower(email) = lower($1)")
            .bind(email.trim())
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(id, email, role, disabled)| User { id, email, role: Role::parse(&role), disabled }))
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<User>, IdentityError> {
    let row: Option<(Uuid, String, String, bool)> =
        sqlx::query_as("SELECT id, email, role, disabled_at IS NOT NULL FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(id, email, role, disabled)| User { id, email, role: Role::parse(&role), disabled }))
}

pub async fn list(pool: &PgPool) -> Result<Vec<User>, IdentityError> {
    let rows: Vec<(Uuid, String, String, bool)> =
        sqlx::query_as("SELECT id, email, role, disabled_at IS NOT NULL FROM users ORDER BY lower(email)")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, role, disabled)| User { id, email, role: Role::parse(&role), disabled })
        .collect())
}

/// Changes a role and ends the user's sessions, so the new privileges come with a new sign-in
/// (and a new session id); the user is told, when it is a change.
pub async fn set_role(pool: &PgPool, cache: &CredentialCache, user: Uuid, role: Role) -> Result<(), IdentityError> {
    let mut tx = pool.begin().await?;
    let before: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1 FOR UPDATE")
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
    let before = before.ok_or(IdentityError::NoSuchUser)?;
    sqlx::query("UPDATE users SET role = $2 WHERE id = $1").bind(user).bind(role.as_str()).execute(&mut *tx).await?;
    if before != role.as_str() {
        let title = format!("Your role is now {}", role.as_str());
        let body = format!("An admin changed your role from {before} to {}: sign in again to use it.", role.as_str());
        let new = crate::notifications::New {
            kind: crate::notifications::Kind::RoleChanged,
            title: &title,
            body: &body,
            link: None,
        };
        crate::notifications::send(&mut *tx, user, &new).await?;
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
    tx.commit().await?;
    cache.forget_user(user);
    Ok(())
}

/// Disables an account and, in the same transaction, ends every session and revokes every
/// token it has: nothing it held works a moment later.
pub async fn disable(pool: &PgPool, cache: &CredentialCache, user: Uuid) -> Result<(), IdentityError> {
    let mut tx = pool.begin().await?;
    let found = sqlx::query("UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    if found.rows_affected() == 0 {
        return Err(IdentityError::NoSuchUser);
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    cache.forget_user(user);
    Ok(())
}

/// Deletes an account and everything it owns (sessions, tokens and factors go with it; audit
/// records keep the event and lose the actor).
pub async fn delete(pool: &PgPool, cache: &CredentialCache, user: Uuid) -> Result<(), IdentityError> {
    let found = sqlx::query("DELETE FROM users WHERE id = $1").bind(user).execute(pool).await?;
    cache.forget_user(user);
    if found.rows_affected() == 0 {
        return Err(IdentityError::NoSuchUser);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_are_checked_for_shape() {
        for good in ["a@b.org", "first.last+tag@sub.example.com"] {
            assert!(super::is_valid_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "@b.org", "a@.org", "a b@c.org", "a@b.org.", "a@b@c.org"] {
            assert!(!super::is_valid_email(bad), "{bad}");
        }
    }
}
