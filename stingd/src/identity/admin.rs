//! The account routes: who am I, and what admins (and moderators) may do to accounts. Each
//! admin action is recorded in the audit log. Access is declared where the routes are listed
//! (`crate::http::routes`), not here.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::ApiError;
use crate::http::AppState;
use crate::http::ErrorKind;
use crate::http::access::Principal;
use crate::http::error::ErrorBody;
use crate::identity::users::{self, Role};
use crate::identity::{IdentityError, audit, sessions};

#[utoipa::path(
    get,
    path = "/api/me",
    summary = "Who the caller is: user, role, assurance level",
    responses((status = 200, description = "the caller"))
)]
pub async fn me(axum::Extension(principal): axum::Extension<Principal>) -> Response {
    Json(json!({ "principal": principal, "email": principal.email })).into_response()
}

#[utoipa::path(
    get,
    path = "/api/admin/users",
    summary = "Every account",
    responses((status = 200, description = "the accounts", body = UserList))
)]
pub async fn list_users(State(state): State<AppState>) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList { users: users::list(&state.identity()?.pool).await? }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserList {
    users: Vec<users::User>,
}

#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/disable",
    summary = "Disable an account; its sessions and tokens end at once",
    responses((status = 204, description = "disabled"))
)]
pub async fn disable_user(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let identity = state.identity()?;
    let pool = &identity.pool;
    if principal.user == Some(id) {
        return Err(ApiError::bad_request("cannot_disable_self", "an admin cannot disable their own account"));
    }
    users::disable(pool, &identity.credentials, id).await?;
    audit::record(pool, principal.user, "user.disable", Some(&id.to_string()), json!({})).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an account and everything it owns; the audit log keeps the event.
#[utoipa::path(
    delete,
    path = "/api/admin/users/{id}",
    summary = "Delete an account and everything it owns",
    responses((status = 204, description = "deleted"))
)]
pub async fn delete_user(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let identity = state.identity()?;
    if principal.user == Some(id) {
        return Err(ApiError::bad_request("cannot_delete_self", "an admin cannot delete their own account"));
    }
    let user = users::find(&identity.pool, id).await?.ok_or_else(|| ApiError::from(IdentityError::NoSuchUser))?;
    users::delete(&identity.pool, &identity.credentials, id).await?;
    audit::record(&identity.pool, principal.user, "user.delete", Some(&id.to_string()), json!({ "email": user.email }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoleChange {
    role: Role,
}

#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/role",
    summary = "Change an account's role (its sessions end)",
    request_body = RoleChange,
    responses((status = 204, description = "changed"))
)]
pub async fn change_role(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
    change: Result<Json<RoleChange>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(change) = change.map_err(ApiError::from_json_rejection)?;
    let identity = state.identity()?;
    let pool = &identity.pool;
    let before = users::find(pool, id).await?.ok_or_else(|| ApiError::from(IdentityError::NoSuchUser))?;
    users::set_role(pool, &identity.credentials, id, change.role).await?;
    let detail = json!({ "from": before.role, "to": change.role });
    audit::record(pool, principal.user, "user.role", Some(&id.to_string()), detail).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/admin/sessions/revoke-all",
    summary = "End every session of every user",
    responses((status = 200, description = "how many ended", body = Revoked))
)]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<Revoked>, ApiError> {
    let identity = state.identity()?;
    let pool = &identity.pool;
    let revoked = sessions::revoke_all(pool, &identity.credentials).await?;
    audit::record(pool, principal.user, "sessions.revoke_all", None, json!({ "revoked": revoked })).await?;
    Ok(Json(Revoked { revoked }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Revoked {
    revoked: u64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many events, newest first (1 to 1000; 100 by default).
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/admin/audit",
    summary = "The audit log, newest first",
    params(AuditQuery),
    responses((status = 200, description = "the events", body = AuditEvents), (status = 400, description = "the limit is not a number", body = ErrorBody))
)]
pub async fn audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditEvents>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(AuditEvents { events: audit::recent(&state.identity()?.pool, limit).await? }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditEvents {
    events: Vec<audit::Event>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Invitation {
    email: String,
    #[serde(default = "default_role")]
    role: Role,
}

fn default_role() -> Role {
    Role::User
}

/// Creates an account and mails its one-time enrolment link (`auth.registration: invite`, or
/// any mode: admins may always invite).
#[utoipa::path(
    post,
    path = "/api/admin/invitations",
    summary = "Create an account and mail its enrolment link",
    request_body = Invitation,
    responses((status = 201, description = "invited", body = Invited), (status = 409, description = "the address already has an account", body = ErrorBody))
)]
pub async fn invite(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    body: Result<Json<Invitation>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    let Json(invitation) = body.map_err(ApiError::from_json_rejection)?;
    let identity = state.identity()?;
    let user = users::create(&identity.pool, &invitation.email, invitation.role).await.map_err(|e| match e {
        IdentityError::EmailTaken => ApiError::new(
            StatusCode::CONFLICT,
            ErrorKind::InvalidRequest,
            "email_taken",
            "this address already has an account",
        ),
        IdentityError::InvalidEmail => ApiError::bad_request("invalid_email", "the email address is not valid"),
        other => ApiError::from(other),
    })?;
    let token = crate::identity::enrolment::create(&identity.pool, user.id).await?;
    let link = format!("{}/enrol#{token}", identity.origin);
    if let Some(mailer) = &state.mailer {
        mailer.send_enrolment_link(&user.email, &link).await.map_err(|e| {
            tracing::error!(error = %e, "cannot send an invitation");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorKind::Server,
                "mail_failed",
                "the invitation could not be sent: check auth.smtp",
            )
        })?;
    }
    let detail = json!({ "role": invitation.role, "mailed": state.mailer.is_some() });
    audit::record(&identity.pool, principal.user, "user.invite", Some(&user.id.to_string()), detail).await?;
    // Without a mail server (`auth.smtp.host: null`) the admin passes the link on.
    let mailed = state.mailer.is_some();
    let invited = Invited { user: user.id, enrolment_link_mailed: mailed, enrolment_link: (!mailed).then_some(link) };
    Ok((StatusCode::CREATED, Json(invited)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Invited {
    user: Uuid,
    enrolment_link_mailed: bool,
    /// Only when it could not be mailed: the admin passes it on.
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolment_link: Option<String>,
}

/// Resets a user's factors and mails them a new enrolment link.
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/reset-factors",
    summary = "Remove an account's factors and mail a new enrolment link",
    responses((status = 200, description = "reset", body = FactorsReset))
)]
pub async fn reset_factors(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<Json<FactorsReset>, ApiError> {
    let identity = state.identity()?;
    let reset = crate::identity::factors::reset_all(&identity.pool, &identity.credentials, id).await?;
    let user = users::find(&identity.pool, id).await?.ok_or_else(|| ApiError::from(IdentityError::NoSuchUser))?;
    let token = crate::identity::enrolment::create(&identity.pool, id).await?;
    let link = format!("{}/enrol#{token}", identity.origin);
    let mailed = match &state.mailer {
        Some(mailer) => mailer.send_enrolment_link(&user.email, &link).await.is_ok(),
        None => false,
    };
    audit::record(
        &identity.pool,
        principal.user,
        "user.reset_factors",
        Some(&id.to_string()),
        json!({ "mailed": mailed, "sessions_ended": reset.sessions_ended, "tokens_revoked": reset.tokens_revoked }),
    )
    .await?;
    Ok(Json(FactorsReset {
        enrolment_link_mailed: mailed,
        sessions_ended: reset.sessions_ended,
        tokens_revoked: reset.tokens_revoked,
        // Not mailed: the admin (at AAL2) passes the link on, or nobody could enrol.
        enrolment_link: (!mailed).then_some(link),
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FactorsReset {
    enrolment_link_mailed: bool,
    sessions_ended: u64,
    tokens_revoked: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolment_link: Option<String>,
}
