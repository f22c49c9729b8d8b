//! The OpenAI-compatible gateway: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`
//! and `/v1/models`, in front of the supervisor's llama-server children. Every route but
//! `/health` needs the API key.

mod audit;
mod cache;
mod metrics;
mod proxy;
mod redaction;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use serde_json::json;

pub use audit::AuditLog;
pub use cache::ResponseCache;
pub use metrics::Metrics;
pub use proxy::chat_for;
use crate::http::{ApiError, ApiKeys, Caller, RateLimiter, Zone};

use crate::http::access::{Access, Credential, Principal, Routes};
use crate::identity::sessions::Aal;
use crate::identity::users::Role;
use crate::supervisor::Supervisor;

/// What every handler shares; no globals.
#[derive(Clone)]
pub struct AppState {
    pub supervisor: Supervisor,
    /// The client for requests to the children (loopback, pooled).
    pub upstream: reqwest::Client,
    pub api_keys: Arc<ApiKeys>,
    pub default_model: Option<Arc<str>>,
    pub metrics: Arc<Metrics>,
    pub cache: Option<Arc<ResponseCache>>,
    pub key_rate_limit: Option<Arc<RateLimiter<Caller>>>,
    /// Per-address zones: `api` for every API route, `ai` for the model routes.
    pub zones: Zones,
    /// Where requests sent off the machine are recorded (only when a model may go remote).
    pub audit: Option<Arc<AuditLog>>,
    /// Users, sessions and tokens, when a database is configured.
    pub identity: Option<Identity>,
    /// How long a session lives, used or not (`auth.session.absolute_timeout`).
    pub session_absolute: std::time::Duration,
    /// Outgoing mail for sign-in links, when identity is on.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    pub magic_link_ttl: std::time::Duration,
    /// Who may create an account (`auth.registration`).
    pub registration: sting_config::Registration,
    /// The sign-in methods the operator offers (`auth.methods`): the routes of the others refuse.
    pub sign_in_methods: Arc<[sting_config::SignInMethod]>,
    /// Finds what must not leave the machine in requests to remote models.
    pub pii: Arc<sting_pii::Scanner>,
    /// stingd's Vault login, when it has one (documents are sealed with its keys).
    pub vault: Option<crate::vault::Session>,
    /// Rules for uploads and search.
    pub documents: Arc<DocumentRules>,
    /// Bee's persona, sources and model windows.
    pub bee: Arc<crate::bee::BeeRules>,
    /// Set when `auth.provider` is `kratos`: sessions are Kratos's, sign-in happens there.
    pub kratos: Option<Arc<crate::identity::kratos::Kratos>>,
}

/// Whether a route belongs to built-in sign-in (and so is answered 409 when Kratos signs in).
pub fn is_builtin_only(path: &str) -> bool {
    path.starts_with("/api/auth/")
        || path == "/api/admin/invitations"
        || path.ends_with("/reset-factors")
        || (path.starts_with("/api/admin/users/") && path.ends_with("/role"))
}

impl AppState {
    /// Identity, or a 503 saying why there is none (stingd runs without a database).
    pub fn identity(&self) -> Result<&Identity, ApiError> {
        self.identity.as_ref().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "identity_unavailable",
                "accounts and sign-in need the database (STING_DATABASE_URL)",
            )
        })
    }
}

/// Uploads and search: limits, the upload PII policy and its scanner.
pub struct DocumentRules {
    pub max_document_size: u64,
    /// How the document reader is limited and confined (`honey_jars.max_text_size`, ...).
    pub extract: crate::ingest::extract::Limits,
    pub user_quota: u64,
    pub min_score: f32,
    pub upload_dir: std::path::PathBuf,
    pub scanner: sting_pii::Scanner,
    pub pii_mode: sting_config::PiiMode,
    pub pii_enabled: bool,
    /// Opened data keys, in memory for a while.
    pub keys: crate::envelope::KeyCache,
    /// Documents being read and indexed at once, at most.
    pub ingest_slots: tokio::sync::Semaphore,
    /// The embedding model, when `honey_jars.embeddings.model` is set.
    pub embedder: Option<Arc<crate::embed::Embedder>>,
    pub vectors: crate::vectors::VectorIndex,
    pub min_similarity: f32,
}

impl DocumentRules {
    pub fn policy(&self) -> crate::documents::Policy<'_> {
        crate::documents::Policy {
            scanner: &self.scanner,
            mode: self.pii_mode,
            enabled: self.pii_enabled,
            quota: self.user_quota,
            extract: self.extract,
            embedder: self.embedder.as_ref(),
            keys: &self.keys,
        }
    }

    /// What search reads, with search by meaning when embeddings are on.
    pub fn index<'a>(
        &'a self,
        pool: &'a sqlx::PgPool,
        vault: Option<&'a sting_vault::Vault>,
    ) -> crate::documents::Index<'a> {
        crate::documents::Index {
            pool,
            vault,
            keys: &self.keys,
            semantic: self.embedder.as_ref().map(|embedder| crate::documents::Semantic {
                embedder,
                vectors: &self.vectors,
                min_similarity: self.min_similarity,
            }),
        }
    }
}

/// What the gateway needs of identity: the database and the session rules.
#[derive(Clone)]
pub struct Identity {
    pub pool: sqlx::PgPool,
    pub session_idle: std::time::Duration,
    /// `https://domain[:port]`: the only origin allowed to change state with a session cookie.
    pub origin: Arc<str>,
    /// Validated sessions and tokens, forgotten when the database says they changed.
    pub credentials: Arc<crate::identity::cache::CredentialCache>,
    /// The WebAuthn relying party (this site's domain and origin).
    pub passkeys: Arc<crate::identity::passkeys::Passkeys>,
}

/// The rate-limit zones (`auth.rate_limits`).
#[derive(Clone)]
pub struct Zones {
    pub api: Zone,
    pub ai: Zone,
    pub auth: Zone,
    /// Per signed-in user or gateway key.
    pub user_api: Zone,
    pub user_ai: Zone,
    /// Per account named in a sign-in attempt.
    pub account: Zone,
}

/// Every route with its access decision (the route × role test walks these).
pub fn routes() -> Routes<AppState> {
    use axum::http::Method;
    Routes::default()
        .add(Method::POST, "/v1/chat/completions", Access::Authenticated, post(proxy::chat_completions))
        .add(Method::POST, "/v1/completions", Access::Authenticated, post(proxy::completions))
        .add(Method::POST, "/v1/embeddings", Access::Authenticated, post(proxy::embeddings))
        .add(Method::GET, "/v1/models", Access::Authenticated, get(models))
        .add(Method::GET, "/metrics", Access::Authenticated, get(metrics))
        .add(Method::GET, "/api/me", Access::Authenticated, get(crate::admin::me))
        .add(Method::GET, "/api/admin/users", Access::Role(Role::Moderator), get(crate::admin::list_users))
        .add(Method::POST, "/api/admin/users/{id}/disable", Access::Role(Role::Admin), post(crate::admin::disable_user))
        .add(Method::POST, "/api/admin/users/{id}/role", Access::Role(Role::Admin), post(crate::admin::change_role))
        .add(
            Method::POST,
            "/api/admin/sessions/revoke-all",
            Access::Role(Role::Admin),
            post(crate::admin::revoke_all_sessions),
        )
        .add(Method::GET, "/api/admin/audit", Access::Role(Role::Admin), get(crate::admin::audit))
        .add(Method::GET, "/api/beeacon/status", Access::Role(Role::Admin), get(crate::beeacon::status))
        .add(Method::POST, "/api/auth/enrol", Access::Public, post(crate::signin::enrol))
        .add(Method::POST, "/api/auth/password", Access::Public, post(crate::signin::password_signin))
        .add(Method::POST, "/api/auth/signout", Access::Public, post(crate::signin::signout))
        .add(
            Method::POST,
            "/api/admin/users/{id}/reset-factors",
            Access::Role(Role::Admin),
            post(crate::admin::reset_factors),
        )
        .add(Method::POST, "/api/admin/invitations", Access::Role(Role::Admin), post(crate::admin::invite))
        .add(Method::POST, "/api/auth/register", Access::Public, post(crate::signin::register))
        .add(Method::POST, "/api/auth/magic-link", Access::Public, post(crate::signin::magic_link))
        .add(Method::POST, "/api/auth/magic-link/verify", Access::Public, post(crate::signin::magic_link_verify))
        .add(Method::POST, "/api/auth/totp/setup", Access::Authenticated, post(crate::signin::totp_setup))
        .add(Method::POST, "/api/auth/totp/confirm", Access::Authenticated, post(crate::signin::totp_confirm))
        .add(Method::DELETE, "/api/admin/users/{id}", Access::Role(Role::Admin), delete(crate::admin::delete_user))
        .add(Method::GET, "/api/tokens", Access::Role(Role::Viewer), get(crate::tokens_api::list))
        .add(Method::POST, "/api/tokens", Access::Role(Role::User), post(crate::tokens_api::create))
        .add(Method::DELETE, "/api/tokens/{id}", Access::Role(Role::Viewer), delete(crate::tokens_api::revoke))
        .add(Method::GET, "/api/openapi.json", Access::Authenticated, get(openapi))
        .add(
            Method::POST,
            "/api/auth/passkey/register/start",
            Access::Role(Role::Viewer),
            post(crate::signin::passkey_register_start),
        )
        .add(
            Method::POST,
            "/api/auth/passkey/register/finish",
            Access::Role(Role::Viewer),
            post(crate::signin::passkey_register_finish),
        )
        .add(Method::POST, "/api/auth/passkey/start", Access::Public, post(crate::signin::passkey_signin_start))
        .add(Method::POST, "/api/auth/passkey/finish", Access::Public, post(crate::signin::passkey_signin_finish))
        .add(Method::GET, "/api/jars", Access::Role(Role::Viewer), get(crate::jars_api::list))
        .add(Method::POST, "/api/jars", Access::Role(Role::User), post(crate::jars_api::create))
        .add(Method::GET, "/api/jars/{id}", Access::Role(Role::Viewer), get(crate::jars_api::get))
        .add(Method::PATCH, "/api/jars/{id}", Access::Role(Role::User), patch(crate::jars_api::update))
        .add(Method::DELETE, "/api/jars/{id}", Access::Role(Role::User), delete(crate::jars_api::delete))
        .add(Method::PUT, "/api/jars/{id}/shares", Access::Role(Role::User), put(crate::jars_api::set_shares))
        .add(
            Method::POST,
            "/api/jars/{id}/documents",
            Access::Role(Role::User),
            // The body limit is the upload's own (`honey_jars.max_document_size`), counted as it streams.
            post(crate::documents_api::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .add(Method::GET, "/api/jars/{id}/documents", Access::Role(Role::Viewer), get(crate::documents_api::list))
        .add(Method::POST, "/api/jars/{id}/reindex", Access::Role(Role::User), post(crate::documents_api::reindex))
        .add(
            Method::GET,
            "/api/jars/{id}/documents/{doc}/content",
            Access::Role(Role::Viewer),
            get(crate::documents_api::content),
        )
        .add(
            Method::DELETE,
            "/api/jars/{id}/documents/{doc}",
            Access::Role(Role::User),
            delete(crate::documents_api::delete),
        )
        .add(
            Method::POST,
            "/api/jars/{id}/documents/{doc}/approve",
            Access::Role(Role::Moderator),
            post(crate::documents_api::approve),
        )
        .add(Method::GET, "/api/search", Access::Role(Role::Viewer), get(crate::documents_api::search))
        .add(Method::GET, "/api/conversations", Access::Role(Role::Viewer), get(crate::bee::api::list))
        .add(Method::POST, "/api/conversations", Access::Role(Role::Viewer), post(crate::bee::api::create))
        .add(Method::GET, "/api/conversations/{id}", Access::Role(Role::Viewer), get(crate::bee::api::get))
        .add(Method::PATCH, "/api/conversations/{id}", Access::Role(Role::Viewer), patch(crate::bee::api::update))
        .add(Method::DELETE, "/api/conversations/{id}", Access::Role(Role::Viewer), delete(crate::bee::api::delete))
        .add(Method::GET, "/api/conversations/{id}/export", Access::Role(Role::Viewer), get(crate::bee::api::export))
        .add(Method::POST, "/api/conversations/{id}/messages", Access::Role(Role::Viewer), post(crate::bee::api::ask))
}

/// The OpenAPI document of exactly the routes this build serves.
async fn openapi() -> Response {
    let (_, decisions) = routes().into_parts();
    match crate::openapi::document(&decisions) {
        Ok(doc) => axum::Json(doc).into_response(),
        Err(missing) => {
            ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "server_error", "undocumented_route", missing)
                .into_response()
        }
    }
}

/// The API. Serve it with `into_make_service_with_connect_info::<PeerAddr>()`: the rate-limit
/// zones need the peer's address.
pub fn router(state: AppState) -> Router {
    let (api, _) = routes().into_parts();
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
                        "invalid_request_error",
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
        .route("/health", get(|| async { axum::Json(json!({ "status": "ok" })) }))
        .route("/health/ready", get(|| ready(crate::vault::Readiness::default())))
        .merge(api)
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "invalid_request_error", "not_found", "no such route")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request_error",
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(middleware::map_response(crate::http::error::json_errors))
        .with_state(state)
}

/// Who is calling: a static key, an API token (`sting_...`) or a session cookie, recorded as the
/// request's [`Principal`]. No credentials: no principal, and each route's [`Access`] decides.
/// Wrong credentials: 401 at once. With `auth.provider: kratos`, Kratos's session cookie or
/// token takes the place of stingd's own session cookie.
async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // An `Authorization` header is a claim to be someone: if it is not a valid bearer
    // credential the request fails, even if a cookie would have passed.
    let bearer = match request.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            Some(presented) => Some(presented.trim().to_string()),
            None => return ApiError::unauthorized().into_response(),
        },
    };
    let principal = if let Some(presented) = bearer {
        let key = state.api_keys.identify(presented.as_bytes()).map(|caller| Principal {
            caller,
            user: None,
            email: None,
            role: Role::User,
            aal: Aal::One,
            scopes: None,
            credential: Credential::GatewayKey,
        });
        let principal = match (key, &state.identity) {
            (Some(p), _) => Some(p),
            (None, Some(identity)) => {
                match crate::identity::tokens::authenticate(&identity.pool, &identity.credentials, &presented).await {
                    Ok(owner) => owner.map(|o| Principal {
                        caller: Caller::user(o.user),
                        user: Some(o.user),
                        email: Some(o.email.into()),
                        role: o.role,
                        aal: Aal::One,
                        scopes: Some(o.scopes.into()),
                        credential: Credential::ApiToken,
                    }),
                    Err(e) => return identity_unavailable(e),
                }
            }
            (None, None) => None,
        };
        match principal {
            Some(p) => Some(p),
            None => return ApiError::unauthorized().into_response(),
        }
    } else if let (Some(kratos), Some(identity)) = (&state.kratos, &state.identity) {
        match kratos_principal(kratos, identity, request.method(), request.headers()).await {
            Ok(principal) => principal,
            Err(refusal) => return refusal,
        }
    } else if let (Some(id), Some(identity)) = (session_cookie(&request), &state.identity) {
        match crate::identity::sessions::authenticate(&identity.pool, &identity.credentials, &id, identity.session_idle)
            .await
        {
            Ok(Some(session)) => {
                if let Err(refusal) = same_origin(request.method(), request.headers(), identity) {
                    return refusal.into_response();
                }
                Some(Principal {
                    caller: Caller::user(session.user),
                    user: Some(session.user),
                    email: Some(session.email.into()),
                    role: session.role,
                    aal: session.aal,
                    scopes: None,
                    credential: Credential::Session(crate::identity::sessions::SessionId::new(&id)),
                })
            }
            // A stale cookie is no credential: public routes (signing in again) must still work.
            Ok(None) => None,
            Err(e) => return identity_unavailable(e),
        }
    } else {
        None
    };
    if let Some(principal) = principal {
        request.extensions_mut().insert(principal.caller.clone());
        request.extensions_mut().insert(principal);
    }
    next.run(request).await
}

/// A cookie may change state only from the configured origin (CSRF): a browser always sends
/// `Origin` with such requests, and another site cannot forge it.
fn same_origin(
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
    identity: &Identity,
) -> Result<(), ApiError> {
    let safe = matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if !safe && origin != Some(&*identity.origin) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "permission_error",
            "csrf_rejected",
            "a session may change state only from this site's own pages",
        ));
    }
    Ok(())
}

/// The principal of a Kratos session, if the request carries one. A session token header is a
/// claim like `Authorization`: if Kratos does not vouch for it the request fails; a stale
/// cookie is no credential, as with built-in sessions.
async fn kratos_principal(
    kratos: &crate::identity::kratos::Kratos,
    identity: &Identity,
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Principal>, Response> {
    use crate::identity::kratos::{KratosCredential, KratosError, Whoami};
    let Some(credential) = kratos.credential(headers) else { return Ok(None) };
    let by_token = matches!(credential, KratosCredential::Token(_));
    match kratos.whoami(&identity.pool, &identity.credentials, &credential).await {
        Ok(Whoami::SignedIn(session)) => {
            if !by_token {
                same_origin(method, headers, identity).map_err(IntoResponse::into_response)?;
            }
            Ok(Some(Principal {
                caller: Caller::user(session.user),
                user: Some(session.user),
                email: Some(session.email.into()),
                role: session.role,
                aal: session.aal,
                scopes: None,
                credential: Credential::Kratos,
            }))
        }
        Ok(Whoami::Nobody | Whoami::Disabled) if by_token => Err(ApiError::unauthorized().into_response()),
        Ok(Whoami::Nobody | Whoami::Disabled) => Ok(None),
        Ok(Whoami::SecondFactorRequired) => Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "permission_error",
            "aal2_required",
            "Kratos asks for this account's second factor: complete it at the sign-in page",
        )
        .into_response()),
        Err(KratosError::EmailClash { email }) => {
            tracing::warn!(%email, "a Kratos identity's address belongs to another local account");
            Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "invalid_request_error",
                "account_conflict",
                "another local account already uses this address: an admin must delete it first",
            )
            .into_response())
        }
        Err(error) => {
            tracing::error!(%error, "cannot ask Kratos who this is");
            Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "identity_unavailable",
                "the sign-in service (Kratos) cannot be asked right now",
            )
            .into_response())
        }
    }
}

pub(crate) fn session_cookie(request: &Request) -> Option<String> {
    let prefix = format!("{}=", crate::identity::sessions::COOKIE_NAME);
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(&prefix).map(str::to_string))
}

/// The database did not answer: say so (503), never let the request through.
fn identity_unavailable(error: crate::identity::IdentityError) -> Response {
    tracing::error!(%error, "cannot check credentials");
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "server_error",
        "identity_unavailable",
        "credentials cannot be checked right now",
    )
    .into_response()
}

/// The metrics alone, for a separate internal address (`observability.metrics_listen`) that
/// needs no key. The supervisor is there once stingd has started.
pub fn metrics_router(metrics: Arc<Metrics>, supervisor: Arc<std::sync::OnceLock<Supervisor>>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (metrics, supervisor) = (metrics.clone(), supervisor.clone());
            async move {
                let models = match supervisor.get() {
                    Some(supervisor) => supervisor.status().await,
                    None => Vec::new(),
                };
                render_metrics(&metrics, &models)
            }
        }),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    render_metrics(&state.metrics, &state.supervisor.status().await)
}

fn render_metrics(metrics: &Metrics, models: &[crate::supervisor::ModelStatus]) -> Response {
    let body = metrics.render(models);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

/// While stingd waits for Vault (or the database): `/health` answers, `/health/ready` says
/// what is awaited, and everything else gets 503 with `Retry-After` until the full router is
/// in place, from when on every request goes to it.
pub fn starting_router(built: Arc<std::sync::OnceLock<Router>>, readiness: crate::vault::Readiness) -> Router {
    use tower::ServiceExt;
    let ready_probe = readiness.clone();
    let dispatch = move |request: Request| {
        let (built, readiness) = (built.clone(), readiness.clone());
        async move {
            match built.get() {
                Some(router) => router.clone().oneshot(request).await.into_response(),
                None => ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "server_error",
                    "starting",
                    readiness.waiting_for().unwrap_or_else(|| "starting".into()),
                )
                .retry_after(std::time::Duration::from_secs(5))
                .into_response(),
            }
        }
    };
    Router::new()
        .route("/health", get(|| async { axum::Json(json!({ "status": "ok" })) }))
        .route("/health/ready", get(move || ready(ready_probe.clone())))
        .fallback(dispatch)
}

/// 200 when stingd serves everything, 503 with what it waits for otherwise.
async fn ready(readiness: crate::vault::Readiness) -> Response {
    match readiness.waiting_for() {
        None => axum::Json(json!({ "status": "ready" })).into_response(),
        Some(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            axum::Json(json!({ "status": "starting", "waiting_for": reason })),
        )
            .into_response(),
    }
}

/// OpenAI's model list, with each model's state alongside. Its details (path, pids, why it
/// failed, llama-server's stderr) go to admins at AAL2 and to the operator's gateway keys only.
async fn models(State(state): State<AppState>, axum::Extension(principal): axum::Extension<Principal>) -> Response {
    let operator = matches!(principal.credential, Credential::GatewayKey)
        || Access::Role(Role::Admin).check(Some(&principal)).is_ok();
    let data: Vec<_> = state
        .supervisor
        .status()
        .await
        .into_iter()
        .map(|m| {
            json!({
                "id": m.name,
                "object": "model",
                "created": 0,
                "owned_by": "sting",
                "sting": if operator { json!(m) } else { m.public() },
            })
        })
        .collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}
