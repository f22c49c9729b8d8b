//! A person's own sign-in over HTTP: passkeys (list, rename, remove), sessions (list, revoke)
//! and new recovery codes. Removing a factor or making new codes takes a session at AAL2: a
//! stolen first-factor session cannot strip an account of its second factor.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::http::access::{Credential, Principal};
use crate::http::{ApiError, AppState, ErrorKind};
use crate::identity::account::{self, PasskeyInfo, SessionInfo};
use crate::identity::credential::Aal;
use crate::identity::{audit, factors};

/// The person whose account this is, signed in with a session of ours: a token (whatever its
/// scopes) or a key neither sees nor changes how its owner signs in.
fn owner(principal: &Principal) -> Result<Uuid, ApiError> {
    match (&principal.credential, principal.user) {
        (Credential::Session(_), Some(user)) => Ok(user),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "session_required",
            "your sign-in is managed from a signed-in browser session, not with a token",
        )),
    }
}

/// Changes to factors are made at the second level.
fn stepped_up(principal: &Principal) -> Result<(), ApiError> {
    if principal.aal < Aal::Two {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "aal2_required",
            "confirm with your second factor first (POST /api/auth/step-up, or sign in with a passkey)",
        ));
    }
    Ok(())
}

fn not_found(what: &'static str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorKind::InvalidRequest, what, "you have none by that id")
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasskeyList {
    passkeys: Vec<PasskeyInfo>,
}

#[utoipa::path(get, path = "/api/account/passkeys", summary = "My passkeys",
    responses((status = 200, description = "the passkeys", body = PasskeyList)))]
pub async fn passkeys(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<PasskeyList>, ApiError> {
    let passkeys = account::passkeys(&state.identity()?.pool, owner(&principal)?).await?;
    Ok(Json(PasskeyList { passkeys }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyName {
    name: String,
}

#[utoipa::path(patch, path = "/api/account/passkeys/{id}", summary = "Rename one of my passkeys",
    request_body = PasskeyName, responses((status = 204, description = "renamed")))]
pub async fn rename_passkey(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    body: Result<Json<PasskeyName>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body.map_err(ApiError::from_json_rejection)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_name", "a passkey's name is 1 to 100 printable characters"));
    }
    let user = owner(&principal)?;
    if !account::rename_passkey(&state.identity()?.pool, user, id, name).await? {
        return Err(not_found("passkey_not_found"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/account/passkeys/{id}", summary = "Remove one of my passkeys (at AAL2)",
    responses((status = 204, description = "removed")))]
pub async fn remove_passkey(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let user = owner(&principal)?;
    stepped_up(&principal)?;
    let pool = &state.identity()?.pool;
    if !account::remove_passkey(pool, user, id).await? {
        return Err(not_found("passkey_not_found"));
    }
    audit::record(pool, Some(user), "passkey.remove", Some(&id.to_string()), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    sessions: Vec<SessionInfo>,
}

#[utoipa::path(get, path = "/api/account/sessions", summary = "My sessions, the one in use marked",
    responses((status = 200, description = "the sessions", body = SessionList)))]
pub async fn sessions(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<SessionList>, ApiError> {
    let current = match &principal.credential {
        Credential::Session(id) => Some(id),
        _ => None,
    };
    let sessions = account::sessions(&state.identity()?.pool, owner(&principal)?, current).await?;
    Ok(Json(SessionList { sessions }))
}

#[utoipa::path(delete, path = "/api/account/sessions/{id}", summary = "End one of my sessions",
    responses((status = 204, description = "ended")))]
pub async fn revoke_session(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = owner(&principal)?;
    if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found("session_not_found"));
    }
    let identity = state.identity()?;
    if !account::revoke_session(&identity.pool, &identity.credentials, user, &id.to_ascii_lowercase()).await? {
        return Err(not_found("session_not_found"));
    }
    audit::record(&identity.pool, Some(user), "session.revoke", None, json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    recovery_codes: Vec<String>,
}

#[utoipa::path(post, path = "/api/account/recovery-codes", summary = "New recovery codes (at AAL2; the old ones stop working)",
    responses((status = 200, description = "ten codes, shown once", body = RecoveryCodes)))]
pub async fn recovery_codes(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<([(header::HeaderName, &'static str); 1], Json<RecoveryCodes>), ApiError> {
    let user = owner(&principal)?;
    stepped_up(&principal)?;
    let pool = &state.identity()?.pool;
    let recovery_codes = factors::new_recovery_codes(pool, user).await?;
    audit::record(pool, Some(user), "recovery_codes.regenerate", None, json!({})).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(RecoveryCodes { recovery_codes })))
}
