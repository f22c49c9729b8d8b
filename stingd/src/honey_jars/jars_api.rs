//! Honey Jars over HTTP: list, create, read, rename, delete, share. A jar the caller cannot
//! reach is 404 whatever the method, so its existence is not revealed; one they can read but
//! not change is 403 with what they would need.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::honey_jars::jars::{self, JarError, Permission, Reader, Share, ShareTarget};
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::Principal;
use crate::http::{ApiError, respond};
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

pub async fn list(State(state): State<AppState>, axum::Extension(principal): axum::Extension<Principal>) -> Response {
    respond(
        async {
            let reader = reader(&principal)?;
            let jars = jars::list(&state.identity()?.pool, reader).await?;
            Ok(Json(json!({ "jars": jars })).into_response())
        }
        .await,
    )
}

pub async fn create(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    body: Result<Json<NewJar>, JsonRejection>,
) -> Response {
    respond(
        async {
            let Json(new) = body.map_err(ApiError::from_json_rejection)?;
            let reader = reader(&principal)?;
            let (name, description) = (check_name(&new.name)?, check_description(&new.description)?);
            let pool = &state.identity()?.pool;
            let id = jars::create(pool, reader.user, &name, &description).await?;
            audit::record(pool, Some(reader.user), "jar.create", Some(&id.to_string()), json!({ "name": name }))
                .await?;
            let jar = jars::get(pool, reader, id).await?;
            Ok((StatusCode::CREATED, Json(json!(jar))).into_response())
        }
        .await,
    )
}

pub async fn get(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Response {
    respond(
        async {
            let reader = reader(&principal)?;
            let pool = &state.identity()?.pool;
            let jar = jars::get(pool, reader, id).await?;
            let mut body = json!(jar);
            if jar.permission == Permission::Manage {
                body["shares"] = json!(jars::shares(pool, reader, id).await?);
            }
            Ok(Json(body).into_response())
        }
        .await,
    )
}

pub async fn update(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<JarUpdate>, JsonRejection>,
) -> Response {
    respond(
        async {
            let Json(change) = body.map_err(ApiError::from_json_rejection)?;
            let reader = reader(&principal)?;
            let name = change.name.as_deref().map(check_name).transpose()?;
            let description = change.description.as_deref().map(check_description).transpose()?;
            let pool = &state.identity()?.pool;
            jars::update(pool, reader, id, name.as_deref(), description.as_deref()).await?;
            audit::record(pool, Some(reader.user), "jar.update", Some(&id.to_string()), json!({ "name": name }))
                .await?;
            Ok(Json(json!(jars::get(pool, reader, id).await?)).into_response())
        }
        .await,
    )
}

pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Response {
    respond(
        async {
            let reader = reader(&principal)?;
            let pool = &state.identity()?.pool;
            jars::delete(pool, reader, id).await?;
            audit::record(pool, Some(reader.user), "jar.delete", Some(&id.to_string()), json!({})).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

pub async fn set_shares(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<JarShares>, JsonRejection>,
) -> Response {
    respond(
        async {
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
            audit::record(pool, Some(reader.user), "jar.share", Some(&id.to_string()), json!({ "shares": stored }))
                .await?;
            Ok(Json(json!({ "shares": stored })).into_response())
        }
        .await,
    )
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
