//! A user's own API tokens, for programs and the OpenAI-compatible gateway: created from a
//! signed-in session (a token cannot mint tokens), shown once, listed without their secret,
//! revoked by their owner. Another user's token is "not found", never "forbidden".

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::ApiError;
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::{Principal, SCOPES};
use crate::identity::{audit, tokens};

/// A token lives this long unless asked otherwise (`expires_in_days`; 0 means never).
const DEFAULT_DAYS: u32 = 90;
const MAX_DAYS: u32 = 3650;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    scopes: Vec<String>,
    expires_in_days: Option<u32>,
}

/// The signed-in user behind a request (the route's access rule guarantees one).
fn owner(principal: &Principal) -> Result<Uuid, ApiError> {
    principal.user.ok_or_else(|| {
        ApiError::new(StatusCode::FORBIDDEN, ErrorKind::Permission, "forbidden", "tokens belong to users")
    })
}

#[utoipa::path(
    post,
    path = "/api/tokens",
    summary = "Create an API token (shown once)",
    request_body = NewToken,
    responses((status = 201, description = "created; the only time the secret is shown", body = Issued))
)]
pub async fn create(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, [(axum::http::header::HeaderName, &'static str); 1], Json<Issued>), ApiError> {
    let Json(new) = body.map_err(ApiError::from_json_rejection)?;
    let user = owner(&principal)?;
    if principal.scopes.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "session_required",
            "tokens are created from a signed-in session, not with another token",
        ));
    }
    let name = new.name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_name", "a token needs a name of 1 to 100 printable characters"));
    }
    if new.scopes.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_scopes",
            format!("name at least one scope of: {}", SCOPES.join(", ")),
        ));
    }
    if let Some(unknown) = new.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ApiError::bad_request(
            "invalid_scopes",
            format!("unknown scope `{unknown}`; the scopes are: {}", SCOPES.join(", ")),
        ));
    }
    let days = new.expires_in_days.unwrap_or(DEFAULT_DAYS);
    if days > MAX_DAYS {
        return Err(ApiError::bad_request(
            "invalid_expiry",
            format!("expires_in_days is at most {MAX_DAYS} (0 for a token that never expires)"),
        ));
    }
    let expires_in = (days > 0).then(|| std::time::Duration::from_secs(u64::from(days) * 86_400));
    let identity = state.identity()?;
    let scopes: Vec<&str> = new.scopes.iter().map(String::as_str).collect();
    let (id, secret) = tokens::create(&identity.pool, user, name, &scopes, expires_in).await?;
    let detail = json!({ "name": name, "scopes": scopes, "expires_in_days": days });
    audit::record(&identity.pool, Some(user), "token.create", Some(&id.to_string()), detail).await?;
    let issued = Issued {
        id,
        name: name.to_string(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        token: secret,
        note: "this is the only time the token is shown",
    };
    // The secret is in this answer: no cache keeps it.
    Ok((StatusCode::CREATED, [(axum::http::header::CACHE_CONTROL, "no-store")], Json(issued)))
}

/// A new token: the only answer that holds its secret.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Issued {
    id: Uuid,
    name: String,
    scopes: Vec<String>,
    token: String,
    note: &'static str,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenList {
    tokens: Vec<tokens::TokenInfo>,
}

#[utoipa::path(
    get,
    path = "/api/tokens",
    summary = "The caller's API tokens (never their secrets)",
    responses((status = 200, description = "the tokens", body = TokenList))
)]
pub async fn list(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<TokenList>, ApiError> {
    let user = owner(&principal)?;
    let identity = state.identity()?;
    let list = tokens::list(&identity.pool, user).await?;
    Ok(Json(TokenList { tokens: list }))
}

#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    summary = "Revoke one of the caller's API tokens",
    responses((status = 204, description = "revoked"))
)]
pub async fn revoke(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let user = owner(&principal)?;
    let identity = state.identity()?;
    if !tokens::revoke(&identity.pool, &identity.credentials, user, id).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorKind::InvalidRequest,
            "token_not_found",
            "no such token",
        ));
    }
    audit::record(&identity.pool, Some(user), "token.revoke", Some(&id.to_string()), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}
