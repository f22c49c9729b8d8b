//! The one route table (every route with its access decision, health included) and the router
//! built from it (while stingd starts, `app::start::phase_router` stands in front of it).

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, put};

use crate::gateway::{metrics, models, proxy};
use crate::http::ApiError;
use crate::http::ErrorKind;
use crate::http::access::{Access, Principal, Routes};
use crate::http::auth::identify;
use crate::http::state::{AppState, is_builtin_only};
use crate::identity::users::Role;

/// Every route with its access decision (the route × role test walks these).
pub fn routes() -> Routes<AppState> {
    use axum::http::Method;
    Routes::default()
        .add(Method::GET, "/", Access::Page, get(crate::web::bee::home))
        .add(Method::GET, "/signin", Access::Public, get(crate::web::signin::sign_in))
        .add(Method::GET, "/auth/magic", Access::Public, get(crate::web::signin::magic))
        .add(Method::GET, "/enrol", Access::Public, get(crate::web::signin::enrol))
        .add(Method::GET, "/assets/{name}", Access::Public, get(crate::web::assets::serve))
        .add(Method::GET, "/bee/{id}", Access::Page, get(crate::web::bee::conversation))
        .add(Method::GET, "/bee/{id}/messages", Access::Page, get(crate::web::bee::messages))
        .add(Method::GET, "/jars", Access::Page, get(crate::web::jars::list))
        .add(Method::GET, "/jars/{id}", Access::Page, get(crate::web::jars::jar))
        .add(Method::GET, "/jars/{id}/documents/{doc}", Access::Page, get(crate::web::jars::document))
        .add(Method::GET, "/search", Access::Page, get(crate::web::jars::search))
        .add(Method::GET, "/health", Access::Public, get(crate::http::health::health))
        .add(Method::GET, "/health/ready", Access::Public, get(crate::http::health::ready))
        .add(Method::POST, "/v1/chat/completions", Access::Authenticated, post(proxy::chat_completions))
        .add(Method::POST, "/v1/completions", Access::Authenticated, post(proxy::completions))
        .add(Method::POST, "/v1/embeddings", Access::Authenticated, post(proxy::embeddings))
        .add(Method::GET, "/v1/models", Access::Authenticated, get(models))
        .add(Method::GET, "/metrics", Access::Authenticated, get(metrics))
        .add(Method::GET, "/api/me", Access::Authenticated, get(crate::identity::admin::me))
        .add(Method::GET, "/api/admin/users", Access::Role(Role::Moderator), get(crate::identity::admin::list_users))
        .add(
            Method::POST,
            "/api/admin/users/{id}/disable",
            Access::Role(Role::Admin),
            post(crate::identity::admin::disable_user),
        )
        .add(
            Method::POST,
            "/api/admin/users/{id}/role",
            Access::Role(Role::Admin),
            post(crate::identity::admin::change_role),
        )
        .add(
            Method::POST,
            "/api/admin/sessions/revoke-all",
            Access::Role(Role::Admin),
            post(crate::identity::admin::revoke_all_sessions),
        )
        .add(Method::GET, "/api/admin/audit", Access::Role(Role::Admin), get(crate::identity::admin::audit))
        .add(Method::GET, "/api/beeacon/status", Access::Role(Role::Admin), get(crate::beeacon::status))
        .add(Method::POST, "/api/auth/enrol", Access::Public, post(crate::identity::signin::enrol))
        .add(Method::POST, "/api/auth/password", Access::Public, post(crate::identity::signin::password_signin))
        .add(Method::POST, "/api/auth/signout", Access::Public, post(crate::identity::signin::signout))
        .add(
            Method::POST,
            "/api/admin/users/{id}/reset-factors",
            Access::Role(Role::Admin),
            post(crate::identity::admin::reset_factors),
        )
        .add(Method::POST, "/api/admin/invitations", Access::Role(Role::Admin), post(crate::identity::admin::invite))
        .add(Method::POST, "/api/auth/register", Access::Public, post(crate::identity::signin::register))
        .add(Method::POST, "/api/auth/magic-link", Access::Public, post(crate::identity::signin::magic_link))
        .add(
            Method::POST,
            "/api/auth/magic-link/verify",
            Access::Public,
            post(crate::identity::signin::magic_link_verify),
        )
        .add(Method::POST, "/api/auth/totp/setup", Access::Authenticated, post(crate::identity::signin::totp_setup))
        .add(Method::POST, "/api/auth/totp/confirm", Access::Authenticated, post(crate::identity::signin::totp_confirm))
        .add(
            Method::DELETE,
            "/api/admin/users/{id}",
            Access::Role(Role::Admin),
            delete(crate::identity::admin::delete_user),
        )
        .add(Method::GET, "/api/tokens", Access::Role(Role::Viewer), get(crate::identity::tokens_api::list))
        .add(Method::POST, "/api/tokens", Access::Role(Role::User), post(crate::identity::tokens_api::create))
        .add(
            Method::DELETE,
            "/api/tokens/{id}",
            Access::Role(Role::Viewer),
            delete(crate::identity::tokens_api::revoke),
        )
        .add(Method::POST, "/api/auth/step-up", Access::Role(Role::Viewer), post(crate::identity::signin::step_up))
        .add(
            Method::GET,
            "/api/account/passkeys",
            Access::Role(Role::Viewer),
            get(crate::identity::account_api::passkeys),
        )
        .add(
            Method::PATCH,
            "/api/account/passkeys/{id}",
            Access::Role(Role::Viewer),
            patch(crate::identity::account_api::rename_passkey),
        )
        .add(
            Method::DELETE,
            "/api/account/passkeys/{id}",
            Access::Role(Role::Viewer),
            delete(crate::identity::account_api::remove_passkey),
        )
        .add(
            Method::GET,
            "/api/account/sessions",
            Access::Role(Role::Viewer),
            get(crate::identity::account_api::sessions),
        )
        .add(
            Method::DELETE,
            "/api/account/sessions/{id}",
            Access::Role(Role::Viewer),
            delete(crate::identity::account_api::revoke_session),
        )
        .add(
            Method::POST,
            "/api/account/recovery-codes",
            Access::Role(Role::Viewer),
            post(crate::identity::account_api::recovery_codes),
        )
        .add(Method::GET, "/api/notifications", Access::Role(Role::Viewer), get(crate::notifications::api::list))
        .add(
            Method::POST,
            "/api/notifications/read",
            Access::Role(Role::Viewer),
            post(crate::notifications::api::mark_all_read),
        )
        .add(
            Method::POST,
            "/api/notifications/{id}/read",
            Access::Role(Role::Viewer),
            post(crate::notifications::api::mark_read),
        )
        .add(
            Method::GET,
            "/api/notifications/stream",
            Access::Role(Role::Viewer),
            get(crate::notifications::api::stream),
        )
        .add(Method::GET, "/account", Access::Page, get(crate::web::account::page))
        .add(Method::GET, "/notifications", Access::Page, get(crate::web::notifications::page))
        .add(Method::GET, "/account/totp-qr", Access::Page, get(crate::web::account::totp_qr))
        .add(Method::GET, "/api/openapi.json", Access::Authenticated, get(crate::http::openapi::serve))
        .add(
            Method::POST,
            "/api/auth/passkey/register/start",
            Access::Role(Role::Viewer),
            post(crate::identity::signin::passkey_register_start),
        )
        .add(
            Method::POST,
            "/api/auth/passkey/register/finish",
            Access::Role(Role::Viewer),
            post(crate::identity::signin::passkey_register_finish),
        )
        .add(
            Method::POST,
            "/api/auth/passkey/start",
            Access::Public,
            post(crate::identity::signin::passkey_signin_start),
        )
        .add(
            Method::POST,
            "/api/auth/passkey/finish",
            Access::Public,
            post(crate::identity::signin::passkey_signin_finish),
        )
        .add(Method::GET, "/api/jars", Access::Role(Role::Viewer), get(crate::honey_jars::jars_api::list))
        .add(Method::POST, "/api/jars", Access::Role(Role::User), post(crate::honey_jars::jars_api::create))
        .add(Method::GET, "/api/jars/{id}", Access::Role(Role::Viewer), get(crate::honey_jars::jars_api::get))
        .add(Method::PATCH, "/api/jars/{id}", Access::Role(Role::User), patch(crate::honey_jars::jars_api::update))
        .add(Method::DELETE, "/api/jars/{id}", Access::Role(Role::User), delete(crate::honey_jars::jars_api::delete))
        .add(
            Method::PUT,
            "/api/jars/{id}/shares",
            Access::Role(Role::User),
            put(crate::honey_jars::jars_api::set_shares),
        )
        .add(
            Method::POST,
            "/api/jars/{id}/documents",
            Access::Role(Role::User),
            // The body limit is the upload's own (`honey_jars.max_document_size`), counted as it streams.
            post(crate::honey_jars::documents_api::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .add(
            Method::GET,
            "/api/jars/{id}/documents",
            Access::Role(Role::Viewer),
            get(crate::honey_jars::documents_api::list),
        )
        .add(
            Method::POST,
            "/api/jars/{id}/reindex",
            Access::Role(Role::User),
            post(crate::honey_jars::documents_api::reindex),
        )
        .add(
            Method::GET,
            "/api/jars/{id}/documents/{doc}/content",
            Access::Role(Role::Viewer),
            get(crate::honey_jars::documents_api::content),
        )
        .add(
            Method::DELETE,
            "/api/jars/{id}/documents/{doc}",
            Access::Role(Role::User),
            delete(crate::honey_jars::documents_api::delete),
        )
        .add(
            Method::POST,
            "/api/jars/{id}/documents/{doc}/approve",
            Access::Role(Role::Moderator),
            post(crate::honey_jars::documents_api::approve),
        )
        .add(Method::GET, "/api/search", Access::Role(Role::Viewer), get(crate::honey_jars::documents_api::search))
        .add(Method::GET, "/api/conversations", Access::Role(Role::Viewer), get(crate::bee::api::list))
        .add(Method::POST, "/api/conversations", Access::Role(Role::Viewer), post(crate::bee::api::create))
        .add(Method::GET, "/api/conversations/{id}", Access::Role(Role::Viewer), get(crate::bee::api::get))
        .add(Method::PATCH, "/api/conversations/{id}", Access::Role(Role::Viewer), patch(crate::bee::api::update))
        .add(Method::DELETE, "/api/conversations/{id}", Access::Role(Role::Viewer), delete(crate::bee::api::delete))
        .add(Method::GET, "/api/conversations/{id}/export", Access::Role(Role::Viewer), get(crate::bee::api::export))
        .add(Method::POST, "/api/conversations/{id}/messages", Access::Role(Role::Viewer), post(crate::bee::api::ask))
}

/// The API. Serve it with `into_make_service_with_connect_info::<PeerAddr>()`: the rate-limit
/// zones need the peer's address.
pub fn router(state: AppState) -> Router {
    let (api, decisions) = routes().into_parts();
    // What `/api/openapi.json` describes: exactly this table.
    let decisions: std::sync::Arc<[crate::http::access::RouteDecision]> = decisions.into();
    let ai_paths = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"];
    let zones = state.zones.clone();
    let kratos_signs_in = state.kratos.is_some();
    let api = api
        // On top of `api` by address: the `ai` zone for the model routes, `auth` for signing
        // in; then, once the caller is known, `api` and `ai` again per user.
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let zones = zones.clone();
            async move {
                let path = request.uri().path();
                // Asking Bee runs a model as much as the model routes do.
                let is_ai = ai_paths.contains(&path)
                    || (path.starts_with("/api/conversations/") && path.ends_with("/messages"));
                if let Some(principal) = request.extensions().get::<Principal>() {
                    let key = crate::http::zones::ZoneKey::caller(&principal.caller);
                    let checked = zones
                        .user_api
                        .check(key.clone(), principal.user)
                        .and_then(|()| if is_ai { zones.user_ai.check(key, principal.user) } else { Ok(()) });
                    if let Err(refusal) = checked {
                        return refusal.into_response();
                    }
                }
                if kratos_signs_in && is_builtin_only(path) {
                    return ApiError::new(
                        axum::http::StatusCode::CONFLICT,
                        ErrorKind::InvalidRequest,
                        "managed_by_kratos",
                        "sign-in, factors and roles are managed in Ory Kratos here (`auth.provider: kratos`)",
                    )
                    .into_response();
                }
                if is_ai {
                    crate::http::zones::limit_request(&zones.ai, request, next).await
                } else if path.starts_with("/api/auth/") {
                    crate::http::zones::limit_request(&zones.auth, request, next).await
                } else {
                    next.run(request).await
                }
            }
        }))
        .layer(middleware::from_fn_with_state(state.clone(), identify))
        .layer(middleware::from_fn_with_state(state.zones.api.clone(), crate::http::zones::limit))
        .layer(axum::extract::DefaultBodyLimit::max(crate::http::MAX_BODY_BYTES));
    Router::new()
        .merge(api)
        // A person's browser gets a page; a program gets the API's JSON.
        .fallback(crate::web::page::not_found)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                ErrorKind::InvalidRequest,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(middleware::map_response(crate::http::error::json_errors))
        .layer(axum::Extension(decisions))
        .with_state(state)
}
