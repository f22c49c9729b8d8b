//! Notifications over HTTP: mine, a page at a time (newest first, by key, never by offset),
//! marking them read, and a stream (server-sent events) that tells an open page the moment one
//! arrives, with the unread count.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{Notification, Told};
use crate::http::access::Principal;
use crate::http::{ApiError, AppState, ErrorKind};

/// The most a page of notifications holds.
const MAX_PAGE: i64 = 100;

/// How long one stream lasts before the browser opens another (and its caller is checked again).
const STREAM_LIFE: std::time::Duration = std::time::Duration::from_secs(120);

fn user_of(principal: &Principal) -> Result<Uuid, ApiError> {
    principal.user.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "user_required",
            "notifications belong to users: sign in, or use a user's token",
        )
    })
}

fn database(error: sqlx::Error) -> ApiError {
    crate::identity::IdentityError::Database(error).into()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// The id of the last notification of the previous page.
    before: Option<Uuid>,
    /// How many (1 to 100; 30 unless given).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    notifications: Vec<Notification>,
    unread: i64,
}

#[utoipa::path(get, path = "/api/notifications", summary = "My notifications, newest first",
    params(PageQuery),
    responses((status = 200, description = "a page of them, and how many are unread", body = NotificationList)))]
pub async fn list(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    page: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<NotificationList>, ApiError> {
    let user = user_of(&principal)?;
    let Query(page) = page.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page.limit.unwrap_or(30);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", format!("`limit` is from 1 to {MAX_PAGE}")));
    }
    let pool = &state.identity()?.pool;
    if let Some(before) = page.before {
        if super::get(pool, user, before).await.map_err(database)?.is_none() {
            return Err(ApiError::bad_request("invalid_before", "`before` is the id of one of your notifications"));
        }
    }
    let notifications = super::list(pool, user, page.before, limit).await.map_err(database)?;
    let unread = super::unread(pool, user).await.map_err(database)?;
    Ok(Json(NotificationList { notifications, unread }))
}

#[utoipa::path(post, path = "/api/notifications/{id}/read", summary = "Mark one of my notifications read",
    params(("id" = Uuid, Path, description = "the notification")),
    responses((status = 204, description = "read"), (status = 404, description = "you have none by that id")))]
pub async fn mark_read(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = user_of(&principal)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorKind::InvalidRequest,
            "notification_not_found",
            "you have none by that id",
        )
    };
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    if super::mark_read(&state.identity()?.pool, user, id).await.map_err(database)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Marked {
    marked: u64,
}

#[utoipa::path(post, path = "/api/notifications/read", summary = "Mark all my notifications read",
    responses((status = 200, description = "how many were unread", body = Marked)))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Json<Marked>, ApiError> {
    let user = user_of(&principal)?;
    let marked = super::mark_all_read(&state.identity()?.pool, user).await.map_err(database)?;
    Ok(Json(Marked { marked }))
}

/// `GET /api/notifications/stream`: `unread` (`{"unread": n}`) at once and whenever the count may
/// have changed unseen, and `notification` (`{"notification": …, "unread": n}`) for each new
/// one. It ends at shutdown or when the database cannot be read; a browser's `EventSource`
/// then connects again by itself.
#[utoipa::path(get, path = "/api/notifications/stream", summary = "My notifications as they arrive (server-sent events)",
    responses((status = 200, description = "`text/event-stream`: `unread` and `notification` events", content_type = "text/event-stream")))]
pub async fn stream(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Response, ApiError> {
    let user = user_of(&principal)?;
    let pool = state.identity()?.pool.clone();
    let told = state.notifications.subscribe();
    let first = super::unread(&pool, user).await.map_err(database)?;
    let start = (told, Some(first));
    let tasks = state.tasks.clone();
    let ends = tokio::time::Instant::now() + STREAM_LIFE;
    let events = futures_util::stream::unfold(start, move |(mut told, first)| {
        let (pool, tasks) = (pool.clone(), tasks.clone());
        async move {
            if let Some(count) = first {
                return Some((Ok::<Event, Infallible>(unread_event(count)), (told, None)));
            }
            loop {
                let heard = tokio::select! {
                    _ = tasks.draining() => return None,
                    // Its caller was checked when it opened: it ends, and the browser's
                    // EventSource opens it again, checked again (a revoked session is not).
                    _ = tokio::time::sleep_until(ends) => return None,
                    heard = told.recv() => heard,
                };
                let event = match heard {
                    Ok(Told::New(to, id)) if to == user => {
                        let Some(told) = super::get(&pool, user, id).await.ok()? else { continue };
                        let count = super::unread(&pool, user).await.ok()?;
                        Event::default()
                            .event("notification")
                            .json_data(json!({ "notification": told, "unread": count }))
                    }
                    Ok(Told::New(..)) => continue,
                    Ok(Told::Recount) | Err(RecvError::Lagged(_)) => {
                        Ok(unread_event(super::unread(&pool, user).await.ok()?))
                    }
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok(event.expect("JSON serialises")), (told, None)));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

fn unread_event(count: i64) -> Event {
    Event::default().event("unread").json_data(json!({ "unread": count })).expect("JSON serialises")
}
