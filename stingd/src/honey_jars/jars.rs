//! Honey Jars: knowledge bases their owners fill and share with users, roles, or everyone
//! signed in. Every function here asks the database's `jar_permissions` (migration 0007) what
//! the caller may do, in the same query that reads or changes the jar: a jar a caller cannot
//! reach is "not found", whoever asks and however.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::identity::IdentityError;
use crate::identity::credential::Aal;
use crate::identity::users::Role;
use crate::notifications::Kind;

/// Who is asking, as the database's access function needs it.
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    pub user: Uuid,
    pub role: Role,
    /// An admin or moderator at AAL2 manages every jar; at AAL1 they are like anyone else.
    pub elevated: bool,
}

impl Reader {
    pub fn new(user: Uuid, role: Role, aal: Aal) -> Self {
        Self { user, role, elevated: matches!(role, Role::Admin | Role::Moderator) && aal == Aal::Two }
    }
}

/// What a reader may do with a jar, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    Write,
    Manage,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Manage => "manage",
        }
    }

    /// What it lets a person do, in words ("can read it").
    pub fn what_it_allows(self) -> &'static str {
        match self {
            Self::Read => "can read it",
            Self::Write => "can read it and add and remove documents",
            Self::Manage => "can read it, add and remove documents, rename, share and delete it",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "manage" => Some(Self::Manage),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Jar {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub owner: Uuid,
    /// What the caller may do with it.
    pub permission: Permission,
    /// Shared with everyone signed in.
    pub everyone: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who a jar is shared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShareTarget {
    User(Uuid),
    Role(Role),
    Everyone,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub target: ShareTarget,
    /// `read`, `write`, or `manage` (what the owner may do: rename, share, delete).
    pub permission: Permission,
}

#[derive(Debug, thiserror::Error)]
pub enum JarError {
    #[error("no such jar")]
    NotFound,
    #[error("this needs `{needed:?}` on the jar, and you have `{have:?}`")]
    NotAllowed { needed: Permission, have: Permission },
    #[error("you already have a jar named `{0}`")]
    NameTaken(String),
    #[error("a share's permission is `read` or `write`")]
    InvalidShare,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<sqlx::Error> for JarError {
    fn from(e: sqlx::Error) -> Self {
        Self::Identity(IdentityError::Database(e))
    }
}

type JarRow = (Uuid, String, String, Uuid, String, bool, i64, i64);

const SELECT: &str = "SELECT j.id, j.name, j.description, j.owner_id, p.permission,
        EXISTS (SELECT 1 FROM honey_jar_shares s WHERE s.jar_id = j.id AND s.everyone),
        extract(epoch FROM j.created_at)::bigint, extract(epoch FROM j.updated_at)::bigint
    FROM honey_jars j JOIN jar_permissions($1, $2, $3) p ON p.jar_id = j.id";

fn jar(row: JarRow) -> Jar {
    let (id, name, description, owner, permission, everyone, created_at, updated_at) = row;
    let permission = Permission::parse(&permission).unwrap_or(Permission::Read);
    Jar { id, name, description, owner, permission, everyone, created_at, updated_at }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The jars `reader` can reach, by name.
pub async fn list(pool: &PgPool, reader: Reader) -> Result<Vec<Jar>, JarError> {
    let rows: Vec<JarRow> = sqlx::query_as(&format!("{SELECT} ORDER BY lower(j.name), j.id"))
        .bind(reader.user)
        .bind(reader.role.as_str())
        .bind(reader.elevated)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(jar).collect())
}

/// One jar, if `reader` can reach it.
pub async fn get(pool: &PgPool, reader: Reader, id: Uuid) -> Result<Jar, JarError> {
    let row: Option<JarRow> = sqlx::query_as(&format!("{SELECT} WHERE j.id = $4"))
        .bind(reader.user)
        .bind(reader.role.as_str())
        .bind(reader.elevated)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(jar).ok_or(JarError::NotFound)
}

/// The jar, if `reader` has at least `needed` on it.
pub async fn require(pool: &PgPool, reader: Reader, id: Uuid, needed: Permission) -> Result<Jar, JarError> {
    let jar = get(pool, reader, id).await?;
    if jar.permission < needed {
        return Err(JarError::NotAllowed { needed, have: jar.permission });
    }
    Ok(jar)
}

pub async fn create(pool: &PgPool, owner: Uuid, name: &str, description: &str) -> Result<Uuid, JarError> {
    sqlx::query_scalar("INSERT INTO honey_jars (owner_id, name, description) VALUES ($1, $2, $3) RETURNING id")
        .bind(owner)
        .bind(name)
        .bind(description)
        .fetch_one(pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { JarError::NameTaken(name.into()) } else { e.into() })
}

/// Renames or re-describes a jar (its managers only).
pub async fn update(
    pool: &PgPool,
    reader: Reader,
    id: Uuid,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<(), JarError> {
    require(pool, reader, id, Permission::Manage).await?;
    sqlx::query(
        "UPDATE honey_jars SET name = coalesce($2, name), description = coalesce($3, description), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .execute(pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) { JarError::NameTaken(name.unwrap_or_default().into()) } else { e.into() }
    })?;
    Ok(())
}

/// Deletes a jar with everything in it (its managers only).
pub async fn delete(pool: &PgPool, reader: Reader, id: Uuid) -> Result<(), JarError> {
    require(pool, reader, id, Permission::Manage).await?;
    sqlx::query("DELETE FROM honey_jars WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}

type ShareRow = (Option<Uuid>, Option<String>, bool, String);

/// Who the jar is shared with (its managers only).
pub async fn shares(pool: &PgPool, reader: Reader, id: Uuid) -> Result<Vec<Share>, JarError> {
    require(pool, reader, id, Permission::Manage).await?;
    shares_of(pool, id).await
}

async fn shares_of(pool: &PgPool, id: Uuid) -> Result<Vec<Share>, JarError> {
    let rows: Vec<ShareRow> = sqlx::query_as(
        "SELECT user_id, role, everyone, permission FROM honey_jar_shares WHERE jar_id = $1
         ORDER BY everyone DESC, role, user_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(user, role, everyone, permission)| {
            let target = match (user, role, everyone) {
                (Some(user), _, _) => ShareTarget::User(user),
                (_, Some(role), _) => ShareTarget::Role(Role::parse(&role)),
                (_, _, true) => ShareTarget::Everyone,
                _ => return None,
            };
            Some(Share { target, permission: Permission::parse(&permission)? })
        })
        .collect())
}

/// Replaces who the jar is shared with (its managers only), all at once.
pub async fn set_shares(pool: &PgPool, reader: Reader, id: Uuid, shares: &[Share]) -> Result<Vec<Share>, JarError> {
    require(pool, reader, id, Permission::Manage).await?;
    let mut tx = pool.begin().await?;
    let before: Vec<Uuid> =
        sqlx::query_scalar("SELECT user_id FROM honey_jar_shares WHERE jar_id = $1 AND user_id IS NOT NULL")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM honey_jar_shares WHERE jar_id = $1").bind(id).execute(&mut *tx).await?;
    for share in shares {
        let (user, role, everyone) = match &share.target {
            ShareTarget::User(user) => (Some(*user), None, false),
            ShareTarget::Role(role) => (None, Some(role.as_str()), false),
            ShareTarget::Everyone => (None, None, true),
        };
        let permission = share.permission.as_str();
        sqlx::query(
            "INSERT INTO honey_jar_shares (jar_id, user_id, role, everyone, permission) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(user)
        .bind(role)
        .bind(everyone)
        .bind(permission)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE honey_jars SET updated_at = now() WHERE id = $1").bind(id).execute(&mut *tx).await?;
    // Each person newly given a share of their own is told, when the share is committed.
    let (name, by): (String, String) = sqlx::query_as(
        "SELECT j.name, coalesce((SELECT email FROM users WHERE id = $2), 'an admin') FROM honey_jars j WHERE j.id = $1",
    )
    .bind(id)
    .bind(reader.user)
    .fetch_one(&mut *tx)
    .await?;
    let link = format!("/jars/{id}");
    for share in shares {
        let ShareTarget::User(user) = share.target else { continue };
        if before.contains(&user) || user == reader.user {
            continue;
        }
        let title = format!("“{name}” is shared with you");
        let body = format!("{by} shared this Honey Jar with you: you {}.", share.permission.what_it_allows());
        let new = crate::notifications::New { kind: Kind::JarShared, title: &title, body: &body, link: Some(&link) };
        crate::notifications::send(&mut *tx, user, &new).await?;
    }
    tx.commit().await?;
    shares_of(pool, id).await
}
