//! Honey Jars over HTTP: list, create, read, rename, delete, share. A jar the caller cannot
//! reach is 404 whatever the method, so its existence is not revealed; one they can read but
//! not change is 403 with what they would need.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::honey_jars::jars::{self, Jar, JarError, Permission, Reader, Share, ShareTarget};
use crate::http::ApiError;
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::Principal;
use crate::http::error::ErrorBody;
use crate::identity::audit;
use crate::identity::users::{self, Role};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJar {
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JarUpdate {
    name: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JarShares {
    shares: Vec<ShareInput>,
}

/// One share: exactly one of `user`, `email`, `role` or `everyone`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    user: Option<Uuid>,
    email: Option<String>,
    role: Option<Role>,
    #[serde(default)]
    everyone: bool,
    permission: ShareLevel,
}

#[derive(Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShareLevel {
    Read,
    Write,
    Manage,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JarList {
    jars: Vec<Jar>,
}

/// A jar, and its shares when the caller manages it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JarDetail {
    #[serde(flatten)]
    jar: Jar,
    #[serde(skip_serializing_if = "Option::is_none")]
    shares: Option<Vec<Share>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShareList {
    shares: Vec<Share>,
}

impl From<JarError> for ApiError {
    fn from(e: JarError) -> Self {
        match e {
            JarError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, "jar_not_found", "no such jar")
            }
            JarError::NotAllowed { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorKind::Permission, "jar_permission_denied", e.to_string())
            }
            JarError::NameTaken(_) => {
                ApiError::new(StatusCode::CONFLICT, ErrorKind::InvalidRequest, "jar_name_taken", e.to_string())
            }
            JarError::InvalidShare => ApiError::bad_request("invalid_share", e.to_string()),
            JarError::Identity(e) => e.into(),
        }
    }
}

/// The caller as the jars' access function sees it (a gateway key is no one's).
pub(crate) fn reader(principal: &Principal) -> Result<Reader, ApiError> {
    let user = principal.user.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "user_required",
            "Honey Jars and their documents belong to users",
        )
    })?;
    Ok(Reader::new(user, principal.role, principal.aal))
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_name", "a jar's name is 1 to 200 printable characters"));
    }
    Ok(name.to_string())
}

fn check_description(text: &str) -> Result<String, ApiError> {
    if text.chars().count() > 2000 || text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::bad_request(
            "invalid_description",
            "a description is at most 2000 characters, without control characters",
        ));
    }
    Ok(text.to_string())
}

/// The Honey Jars the caller can reach, with what they may do.
#[utoipa::path(get, path = "/api/jars", responses((status = 200, description = "the jars", body = JarList)))]
pub async fn list(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<JarList>, ApiError> {
    let reader = reader(&principal)?;
    let jars = jars::list(&state.identity()?.pool, reader).await?;
    Ok(Json(JarList { jars }))
}

/// Create a Honey Jar.
#[utoipa::path(post, path = "/api/jars", request_body = NewJar, responses(
    (status = 201, description = "created", body = Jar),
    (status = 409, description = "the caller already has a jar of that name", body = ErrorBody),
))]
pub async fn create(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    body: Result<Json<NewJar>, JsonRejection>,
) -> Result<(StatusCode, Json<Jar>), ApiError> {
    let Json(new) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let (name, description) = (check_name(&new.name)?, check_description(&new.description)?);
    let pool = &state.identity()?.pool;
    let id = jars::create(pool, reader.user, &name, &description).await?;
    audit::record(pool, Some(reader.user), "jar.create", Some(&id.to_string()), json!({ "name": name })).await?;
    let jar = jars::get(pool, reader, id).await?;
    Ok((StatusCode::CREATED, Json(jar)))
}

/// One Honey Jar, with its shares for those who manage it.
#[utoipa::path(get, path = "/api/jars/{id}", responses((status = 200, description = "the jar", body = JarDetail)))]
pub async fn get(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<Json<JarDetail>, ApiError> {
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    let jar = jars::get(pool, reader, id).await?;
    let shares = match jar.permission {
        Permission::Manage => Some(jars::shares(pool, reader, id).await?),
        _ => None,
    };
    Ok(Json(JarDetail { jar, shares }))
}

/// Rename or re-describe a Honey Jar.
#[utoipa::path(patch, path = "/api/jars/{id}", request_body = JarUpdate, responses(
    (status = 200, description = "the jar as it is now", body = Jar),
    (status = 409, description = "the caller already has a jar of that name", body = ErrorBody),
))]
pub async fn update(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<JarUpdate>, JsonRejection>,
) -> Result<Json<Jar>, ApiError> {
    let Json(change) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let name = change.name.as_deref().map(check_name).transpose()?;
    let description = change.description.as_deref().map(check_description).transpose()?;
    let pool = &state.identity()?.pool;
    jars::update(pool, reader, id, name.as_deref(), description.as_deref()).await?;
    audit::record(pool, Some(reader.user), "jar.update", Some(&id.to_string()), json!({ "name": name })).await?;
    Ok(Json(jars::get(pool, reader, id).await?))
}

/// Delete a Honey Jar with everything in it.
#[utoipa::path(delete, path = "/api/jars/{id}", responses((status = 204, description = "deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    jars::delete(pool, reader, id).await?;
    audit::record(pool, Some(reader.user), "jar.delete", Some(&id.to_string()), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace who the Honey Jar is shared with (users, roles, everyone).
#[utoipa::path(put, path = "/api/jars/{id}/shares", request_body = JarShares, responses(
    (status = 200, description = "the shares as stored", body = ShareList),
))]
pub async fn set_shares(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<JarShares>, JsonRejection>,
) -> Result<Json<ShareList>, ApiError> {
    let Json(request) = body.map_err(ApiError::from_json_rejection)?;
    let reader = reader(&principal)?;
    let pool = &state.identity()?.pool;
    if request.shares.len() > 500 {
        return Err(ApiError::bad_request("invalid_share", "at most 500 shares per jar"));
    }
    // Before any address is looked up: whether an account exists is no business of
    // someone who may not manage this jar.
    jars::require(pool, reader, id, Permission::Manage).await?;
    let mut shares = Vec::with_capacity(request.shares.len());
    for input in &request.shares {
        let named = usize::from(input.user.is_some())
            + usize::from(input.email.is_some())
            + usize::from(input.role.is_some())
            + usize::from(input.everyone);
        if named != 1 {
            return Err(ApiError::bad_request(
                "invalid_share",
                "each share names exactly one of `user`, `email`, `role` or `everyone: true`",
            ));
        }
        let target = match (&input.user, &input.email, input.role) {
            (Some(user), _, _) => ShareTarget::User(*user),
            (_, Some(email), _) => match users::find_by_email(pool, email).await? {
                Some(user) => ShareTarget::User(user.id),
                None => {
                    return Err(ApiError::bad_request(
                        "unknown_user",
                        format!("no account uses {email}: invite them first"),
                    ));
                }
            },
            (_, _, Some(role)) => ShareTarget::Role(role),
            _ => ShareTarget::Everyone,
        };
        let permission = match input.permission {
            ShareLevel::Read => Permission::Read,
            ShareLevel::Write => Permission::Write,
            ShareLevel::Manage => Permission::Manage,
        };
        if shares.iter().any(|s: &Share| s.target == target) {
            return Err(ApiError::bad_request("invalid_share", "the same user, role or everyone twice"));
        }
        shares.push(Share { target, permission });
    }
    if let Some(unknown) = unknown_users(pool, &shares).await? {
        return Err(ApiError::bad_request("unknown_user", format!("no account has the id {unknown}")));
    }
    let stored = jars::set_shares(pool, reader, id, &shares).await?;
    audit::record(pool, Some(reader.user), "jar.share", Some(&id.to_string()), json!({ "shares": stored })).await?;
    Ok(Json(ShareList { shares: stored }))
}

async fn unknown_users(pool: &sqlx::PgPool, shares: &[Share]) -> Result<Option<Uuid>, ApiError> {
    for share in shares {
        if let ShareTarget::User(id) = share.target {
            if users::find(pool, id).await?.is_none() {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}
