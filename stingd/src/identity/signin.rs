//! Sign-in over HTTP: the enrolment link, TOTP setup and confirmation, password with a mandatory
//! second factor, and sign-out. Sessions come as cookies (HttpOnly, Secure, SameSite=Strict);
//! a new session id is issued at every sign-in and on reaching AAL2. Failures say nothing about
//! which part was wrong, or whether the account exists; every sign-in, good or bad, is audited
//! (never with the password or code).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::http::access::{Credential, Principal};
use crate::http::{ApiError, ZoneKey};
use crate::http::{AppState, Identity};
use crate::identity::{
    credential::Aal,
    sessions::{self, SessionId},
};
use sting_config::SignInMethod;

use crate::http::ErrorKind;
use crate::identity::factors::SecondFactorStep;
use crate::identity::lockout::{self, Attempt};
use crate::identity::{IdentityError, audit, enrolment, factors, magic};

fn rejected() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, ErrorKind::Authentication, "signin_failed", "sign-in failed")
}

/// A JSON answer that sets the session cookie, never cached.
pub struct WithSession<T> {
    body: T,
    cookie: String,
}

fn with_session<T>(body: T, id: &str, absolute: std::time::Duration) -> WithSession<T> {
    WithSession { body, cookie: sessions::cookie(id, absolute) }
}

/// The browser a sign-in comes from: what it is (its device's name) and the session it had.
/// Signing in there makes a new session and ends the one it replaces (an AAL1 session stepped
/// up with a passkey, another account's): no session lives on that no browser holds.
struct ThisBrowser {
    device: Option<String>,
    replaced: Option<String>,
}

impl ThisBrowser {
    fn of(request: &Request) -> Self {
        Self { device: super::devices::of(request.headers()), replaced: crate::http::auth::session_cookie(request) }
    }

    async fn sign_in(
        self,
        identity: &Identity,
        user: Uuid,
        aal: Aal,
        absolute: std::time::Duration,
    ) -> Result<String, IdentityError> {
        let id = sessions::create_on(&identity.pool, user, aal, absolute, self.device.as_deref()).await?;
        // The new session is made and its cookie is sent whatever happens here: a session that
        // cannot be ended now expires as it would have.
        if let Some(replaced) = self.replaced {
            if let Err(error) = sessions::revoke(&identity.pool, &identity.credentials, &replaced).await {
                tracing::warn!(%error, "cannot end the session a sign-in replaced");
            }
        }
        Ok(id)
    }
}

impl<T: Serialize> IntoResponse for WithSession<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.body).into_response();
        if let Ok(cookie) = HeaderValue::from_str(&self.cookie) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A new session: whose, and at what assurance level (1 or 2).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    user: Uuid,
    aal: u8,
}

/// An enrolment link opened: a first-factor session whose next step is a factor.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    user: Uuid,
    /// `totp` (or a passkey) to register next.
    next: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpConfirmed {
    aal: u8,
    /// Shown this once.
    recovery_codes: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TotpSecret {
    otpauth_url: String,
    /// Base32, for apps that cannot read the URL; shown this once.
    secret: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasskeyAdded {
    passkey: Uuid,
    aal: u8,
}

/// A WebAuthn ceremony begun: its id (sent back to finish it) and the browser's options.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ceremony<O: Serialize> {
    ceremony: Uuid,
    #[schema(value_type = Object)]
    options: O,
}

/// The same answer whatever the address: what happens next happens by mail.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    status: &'static str,
}

/// Too many wrong second-factor codes for this account, from wherever they came.
fn locked_out(retry_after: std::time::Duration) -> ApiError {
    let minutes = retry_after.as_secs().div_ceil(60).max(1);
    ApiError::rate_limited(
        "second_factor_locked",
        format!("too many wrong codes for this account: try again in {minutes} minute(s)"),
        retry_after,
    )
}

fn second_factor_needed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorKind::Permission,
        "aal2_required",
        "this account already has a second factor: sign in with it to add another, or ask an admin to reset it",
    )
}

/// Refuses a route of a sign-in method the operator turned off (`auth.methods`).
fn offered(state: &AppState, method: SignInMethod) -> Result<(), ApiError> {
    if state.sign_in_methods.contains(&method) {
        return Ok(());
    }
    // The name the config uses.
    let name = serde_json::to_value(method).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorKind::Permission,
        "method_disabled",
        format!("sign-in by {name} is turned off on this server (auth.methods): use another way in"),
    ))
}

/// The Vault that seals TOTP secrets: no code is made or checked without it.
fn factor_vault(state: &AppState) -> Result<sting_vault::Vault, IdentityError> {
    state.vault.as_ref().map(|session| session.vault()).ok_or(IdentityError::NoVault)
}

fn session_required() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorKind::Permission,
        "session_required",
        "signing in and adding a factor take a browser session alone: send no Authorization header",
    )
}

/// A route that mints a session takes no bearer credential beside it: whoever a token names,
/// the new session must not be mistaken for theirs, nor theirs for the new one.
fn no_bearer(request: &Request) -> Result<(), ApiError> {
    match request.headers().contains_key(header::AUTHORIZATION) {
        true => Err(session_required()),
        false => Ok(()),
    }
}

/// The session a factor ceremony may change: the built-in session that authenticated this very
/// request. Never a cookie riding beside a token (which would raise someone else's session),
/// and never a token's, a gateway key's or Kratos's (those have no session of ours to raise).
fn ceremony_session<'a>(principal: &'a Principal, request: &Request) -> Result<&'a SessionId, ApiError> {
    no_bearer(request)?;
    match &principal.credential {
        Credential::Session(id) => Ok(id),
        Credential::ApiToken | Credential::GatewayKey | Credential::Kratos => Err(session_required()),
    }
}

/// Sign-in pages post from this site: a foreign `Origin` is a cross-site (login CSRF) attempt.
/// Programs, which send no `Origin`, are welcome.
fn same_site(request_origin: Option<&HeaderValue>, identity: &Identity) -> Result<(), ApiError> {
    match request_origin.and_then(|v| v.to_str().ok()) {
        Some(origin) if origin != &*identity.origin => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "csrf_rejected",
            "sign-in is accepted only from this site's own pages",
        )),
        _ => Ok(()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EnrolRequest {
    token: String,
}

/// Opens an enrolment link: a first-factor session for registering a factor. Works once.
#[utoipa::path(
    post,
    path = "/api/auth/enrol",
    summary = "Open a one-time enrolment link (a session for registering a factor)",
    request_body = EnrolRequest,
    responses((status = 200, description = "a first-factor session", body = Enrolled))
)]
pub async fn enrol(State(state): State<AppState>, request: Request) -> Result<WithSession<Enrolled>, ApiError> {
    let identity = state.identity()?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    let browser = ThisBrowser::of(&request);
    no_bearer(&request)?;
    let body: EnrolRequest = read_json(request).await?;
    let Some(user) = enrolment::consume(&identity.pool, &body.token).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::Authentication,
            "enrolment_link_invalid",
            "this enrolment link is unknown, used or expired: ask an admin for a new one",
        ));
    };
    let absolute = state.session_absolute;
    let id = browser.sign_in(identity, user, Aal::One, absolute).await?;
    audit::record(&identity.pool, Some(user), "enrolment.open", None, json!({})).await?;
    Ok(with_session(Enrolled { user, next: "totp" }, &id, absolute))
}

/// Who may add a factor of `method` now, and to which account: the method is offered, the
/// request came with the built-in session alone (`by_session`), and an account that already
/// has a second factor adds another only at AAL2.
pub(crate) async fn adding_factor<'a>(
    state: &'a AppState,
    principal: &Principal,
    method: SignInMethod,
    by_session: Result<(), ApiError>,
) -> Result<(&'a Identity, uuid::Uuid), ApiError> {
    let identity = state.identity()?;
    offered(state, method)?;
    let user = principal.user.ok_or_else(rejected)?;
    by_session?;
    if principal.aal < Aal::Two && factors::has_second_factor(&identity.pool, user).await? {
        return Err(second_factor_needed());
    }
    Ok((identity, user))
}

/// Starts TOTP registration for the signed-in user: the secret, shown once.
#[utoipa::path(
    post,
    path = "/api/auth/totp/setup",
    summary = "Start TOTP enrolment",
    responses((status = 200, description = "the secret and its otpauth URL, shown once", body = TotpSecret))
)]
pub async fn totp_setup(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    request: Request,
) -> Result<([(header::HeaderName, &'static str); 1], Json<TotpSecret>), ApiError> {
    let by_session = ceremony_session(&principal, &request).map(|_| ());
    let (identity, user) = adding_factor(&state, &principal, SignInMethod::Totp, by_session).await?;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&identity.pool)
        .await
        .map_err(IdentityError::from)?;
    let enrolment = factors::enrol_totp(&identity.pool, &factor_vault(&state)?, user, &email).await?;
    let secret = TotpSecret { otpauth_url: enrolment.otpauth_url, secret: enrolment.secret_base32 };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(secret)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CodeRequest {
    code: String,
}

/// Confirms TOTP with a first code: the session is replaced by one at AAL2, and ten recovery
/// codes are returned, once.
#[utoipa::path(
    post,
    path = "/api/auth/totp/confirm",
    summary = "Confirm TOTP with a first code (the session becomes AAL2)",
    request_body = CodeRequest,
    responses((status = 200, description = "an AAL2 session and recovery codes, shown once", body = TotpConfirmed))
)]
pub async fn totp_confirm(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    request: Request,
) -> Result<WithSession<TotpConfirmed>, ApiError> {
    let by_session = ceremony_session(&principal, &request).map(|_| ());
    // The same rule as starting: an account with a second factor confirms a new one at AAL2
    // only (a first-factor session must not learn a pending secret's codes and rise with them).
    let (identity, user) = adding_factor(&state, &principal, SignInMethod::Totp, by_session).await?;
    let old = ceremony_session(&principal, &request)?;
    let body: CodeRequest = read_json(request).await?;
    let vault = factor_vault(&state)?;
    let audited = ("totp.confirm_failed", "totp.locked_out");
    code_accepted(identity, &vault, user, &body.code, SecondFactorStep::Enrolment, audited).await?;
    let id =
        sessions::rotate(&identity.pool, &identity.credentials, old, user, Aal::Two).await?.ok_or_else(rejected)?;
    let codes = factors::new_recovery_codes(&identity.pool, user).await?;
    audit::record(&identity.pool, Some(user), "totp.confirmed", None, json!({})).await?;
    Ok(with_session(TotpConfirmed { aal: 2, recovery_codes: codes }, &id, state.session_absolute))
}

/// A second-factor code of a signed-in user checked (and counted against the account); a
/// refusal is audited under `audited` (rejected, locked out) and said in words.
async fn code_accepted(
    identity: &Identity,
    vault: &sting_vault::Vault,
    user: Uuid,
    code: &str,
    step: SecondFactorStep,
    audited: (&str, &str),
) -> Result<(), ApiError> {
    match factors::second_factor(&identity.pool, vault, user, code, now(), step).await? {
        Attempt::Accepted => Ok(()),
        Attempt::Rejected => {
            audit::record(&identity.pool, Some(user), audited.0, None, json!({})).await?;
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorKind::Authentication,
                "code_rejected",
                "that code is not valid now",
            ))
        }
        Attempt::LockedOut { retry_after } => {
            audit::record(&identity.pool, Some(user), audited.1, None, json!({})).await?;
            Err(locked_out(retry_after))
        }
    }
}

/// Raises the session in use to AAL2 with a code of the authenticator app or a recovery code,
/// for what needs the second level (removing a factor, new recovery codes, admin work). The
/// session gets a new id; no other session changes.
#[utoipa::path(
    post,
    path = "/api/auth/step-up",
    summary = "Confirm the session in use with a second factor (it becomes AAL2)",
    request_body = CodeRequest,
    responses((status = 200, description = "the same session, at AAL2, under a new id", body = SignedIn))
)]
pub async fn step_up(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    request: Request,
) -> Result<WithSession<SignedIn>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::Totp)?;
    let user = principal.user.ok_or_else(rejected)?;
    let old = ceremony_session(&principal, &request)?.clone();
    let body: CodeRequest = read_json(request).await?;
    let vault = factor_vault(&state)?;
    let audited = ("step_up.failed", "step_up.locked_out");
    code_accepted(identity, &vault, user, &body.code, SecondFactorStep::SignIn, audited).await?;
    let id =
        sessions::rotate(&identity.pool, &identity.credentials, &old, user, Aal::Two).await?.ok_or_else(rejected)?;
    audit::record(&identity.pool, Some(user), "signin.step_up", None, json!({})).await?;
    Ok(with_session(SignedIn { user, aal: 2 }, &id, state.session_absolute))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordSignIn {
    email: String,
    password: String,
    /// A TOTP code or a recovery code: a password never signs in alone.
    code: String,
}

/// Password and second factor in one request; a new AAL2 session on success.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    summary = "Sign in with a password and a second factor",
    request_body = PasswordSignIn,
    responses((status = 200, description = "an AAL2 session", body = SignedIn))
)]
pub async fn password_signin(
    State(state): State<AppState>,
    request: Request,
) -> Result<WithSession<SignedIn>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::Password)?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    let browser = ThisBrowser::of(&request);
    no_bearer(&request)?;
    let body: PasswordSignIn = read_json(request).await?;
    state.zones.account.check(ZoneKey::account(&body.email), None)?;
    if let Some((user, retry_after)) = lockout::locked_for(&identity.pool, &body.email).await? {
        audit::record(&identity.pool, Some(user), "signin.locked_out", None, json!({ "method": "password" })).await?;
        return Err(locked_out(retry_after));
    }
    let vault = factor_vault(&state)?;
    let user = factors::verify_password(&identity.pool, &body.email, &body.password).await?;
    // The second factor is tried only after the right password: guessing codes needs it.
    let second = match user {
        Some(user) => {
            let step = SecondFactorStep::SignIn;
            factors::second_factor(&identity.pool, &vault, user, &body.code, now(), step).await?
        }
        None => Attempt::Rejected,
    };
    match (user, second) {
        (Some(user), Attempt::LockedOut { retry_after }) => {
            audit::record(&identity.pool, Some(user), "signin.locked_out", None, json!({ "method": "password" }))
                .await?;
            Err(locked_out(retry_after))
        }
        (Some(user), Attempt::Accepted) => {
            let id = browser.sign_in(identity, user, Aal::Two, state.session_absolute).await?;
            audit::record(&identity.pool, Some(user), "signin.password", None, json!({})).await?;
            Ok(with_session(SignedIn { user, aal: 2 }, &id, state.session_absolute))
        }
        (user, _) => {
            audit::record(&identity.pool, user, "signin.failed", None, json!({ "method": "password" })).await?;
            Err(rejected())
        }
    }
}

/// Creates an account when registration is `open`: the enrolment link goes by mail, and the
/// answer is the same whether the address was new or not. `invite` and `closed` refuse.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    summary = "Register (if `auth.registration` allows): an enrolment link by mail",
    request_body = MagicLinkRequest,
    responses((status = 202, description = "accepted, whether or not the address can register", body = Accepted))
)]
pub async fn register(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let identity = state.identity()?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    no_bearer(&request)?;
    if state.registration != sting_config::Registration::Open {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "registration_closed",
            "accounts are created by invitation here: ask an admin",
        ));
    }
    let body: MagicLinkRequest = read_json(request).await?;
    let mailer = mail_or_refuse(&state, "ask an admin to invite you")?;
    let (pool, origin) = (identity.pool.clone(), identity.origin.clone());
    state.tasks.spawn(async move {
        let user = match crate::identity::users::create(&pool, &body.email, crate::identity::users::Role::User).await {
            Ok(user) => user,
            Err(IdentityError::EmailTaken | IdentityError::InvalidEmail) => return,
            Err(e) => return tracing::error!(error = %e, "cannot register"),
        };
        let token = match enrolment::create(&pool, user.id).await {
            Ok(token) => token,
            Err(e) => return tracing::error!(error = %e, "cannot issue an enrolment link"),
        };
        if let Err(e) = mailer.send_enrolment_link(&user.email, &format!("{origin}/enrol#{token}")).await {
            tracing::error!(error = %e, "cannot send an enrolment link");
        }
    });
    let status = "if this address can register, an enrolment link is on its way";
    Ok((StatusCode::ACCEPTED, Json(Accepted { status })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MagicLinkRequest {
    email: String,
}

/// The mail server, or the refusal of a route that needs one. A setting of the server, the
/// same for every address: saying so reveals no account.
fn mail_or_refuse(state: &AppState, instead: &str) -> Result<std::sync::Arc<crate::mail::Mailer>, ApiError> {
    state.mailer.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Server,
            "mail_disabled",
            format!("this server sends no mail (auth.smtp.host is null): {instead}"),
        )
    })
}

/// Sends a sign-in link if the address has an account. Answers at once and the same way
/// whether or not it does: the lookup and the mail happen after the answer.
#[utoipa::path(
    post,
    path = "/api/auth/magic-link",
    summary = "Mail a sign-in link",
    request_body = MagicLinkRequest,
    responses((status = 202, description = "accepted, whether or not the address has an account", body = Accepted))
)]
pub async fn magic_link(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::MagicLink)?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    no_bearer(&request)?;
    let body: MagicLinkRequest = read_json(request).await?;
    let mailer = mail_or_refuse(&state, "sign in with your passkey or authenticator app")?;
    let (pool, origin, ttl) = (identity.pool.clone(), identity.origin.clone(), state.magic_link_ttl);
    state.tasks.spawn(async move {
        let (token, address) = match magic::issue(&pool, &body.email, ttl).await {
            Ok(Some(issued)) => issued,
            Ok(None) => return,
            Err(e) => return tracing::error!(error = %e, "cannot issue a sign-in link"),
        };
        let link = format!("{origin}/auth/magic#{token}");
        // The address is personal data and the link a secret: neither is logged.
        if let Err(e) = mailer.send_sign_in_link(&address, &link, ttl.as_secs() / 60).await {
            tracing::error!(error = %e, "cannot send a sign-in link");
        }
    });
    let status = "if this address has an account, a sign-in link is on its way";
    Ok((StatusCode::ACCEPTED, Json(Accepted { status })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MagicLinkVerify {
    token: String,
}

/// Uses a sign-in link: a first-factor session, once.
#[utoipa::path(
    post,
    path = "/api/auth/magic-link/verify",
    summary = "Use a sign-in link",
    request_body = MagicLinkVerify,
    responses((status = 200, description = "a first-factor session", body = SignedIn))
)]
pub async fn magic_link_verify(
    State(state): State<AppState>,
    request: Request,
) -> Result<WithSession<SignedIn>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::MagicLink)?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    let browser = ThisBrowser::of(&request);
    no_bearer(&request)?;
    let body: MagicLinkVerify = read_json(request).await?;
    let Some(user) = magic::consume(&identity.pool, &body.token).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::Authentication,
            "magic_link_invalid",
            "this sign-in link is unknown, used or expired: ask for a new one",
        ));
    };
    let id = browser.sign_in(identity, user, Aal::One, state.session_absolute).await?;
    audit::record(&identity.pool, Some(user), "signin.magic_link", None, json!({})).await?;
    Ok(with_session(SignedIn { user, aal: 1 }, &id, state.session_absolute))
}

/// Ends this session and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/auth/signout",
    summary = "End this session",
    responses((status = 204, description = "signed out"))
)]
pub async fn signout(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, [(header::HeaderName, String); 1]), ApiError> {
    let identity = state.identity()?;
    let cookie = crate::http::auth::session_cookie(&request);
    drop(request);
    if let Some(id) = cookie {
        sessions::revoke(&identity.pool, &identity.credentials, &id).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, sessions::cleared_cookie())]))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Reads a JSON body from a request the handler already inspected.
async fn read_json<T: serde::de::DeserializeOwned>(request: Request) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(request.into_body(), crate::http::MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::InvalidRequest,
            "body_too_large",
            "the request body is too large",
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the request body is not what this route takes: {e}"))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasskeyRegistrationFinish {
    /// The `ceremony` from `/api/auth/passkey/register/start`.
    ceremony: uuid::Uuid,
    /// What the user calls this passkey ("laptop", "phone").
    #[serde(default)]
    name: Option<String>,
    /// The `PublicKeyCredential` from `navigator.credentials.create()`, as JSON.
    #[schema(value_type = Object)]
    credential: webauthn_rs::prelude::RegisterPublicKeyCredential,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasskeySignInStart {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasskeySignInFinish {
    ceremony: uuid::Uuid,
    /// The `PublicKeyCredential` from `navigator.credentials.get()`, as JSON.
    #[schema(value_type = Object)]
    credential: webauthn_rs::prelude::PublicKeyCredential,
}

/// Starts registering a passkey for the signed-in user: options for
/// `navigator.credentials.create()`.
#[utoipa::path(
    post,
    path = "/api/auth/passkey/register/start",
    summary = "Start registering a passkey: options for navigator.credentials.create()",
    responses((status = 200, description = "the ceremony and its options"))
)]
pub async fn passkey_register_start(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    request: Request,
) -> Result<Json<Ceremony<webauthn_rs::prelude::CreationChallengeResponse>>, ApiError> {
    let by_session = ceremony_session(&principal, &request).map(|_| ());
    let (identity, user) = adding_factor(&state, &principal, SignInMethod::Passkey, by_session).await?;
    let email = principal.email.as_deref().unwrap_or_default();
    let (ceremony, options) = identity.passkeys.start_registration(&identity.pool, user, email).await?;
    Ok(Json(Ceremony { ceremony, options }))
}

/// Keeps the new passkey. It verified the user on the device, so the session is replaced by
/// one at AAL2.
#[utoipa::path(
    post,
    path = "/api/auth/passkey/register/finish",
    summary = "Keep the new passkey (the session becomes AAL2)",
    request_body = PasskeyRegistrationFinish,
    responses((status = 200, description = "an AAL2 session", body = PasskeyAdded))
)]
pub async fn passkey_register_finish(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    request: Request,
) -> Result<WithSession<PasskeyAdded>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::Passkey)?;
    let user = principal.user.ok_or_else(rejected)?;
    let old = ceremony_session(&principal, &request)?;
    let body: PasskeyRegistrationFinish = read_json(request).await?;
    let name = body.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("passkey");
    if name.len() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request("invalid_name", "a passkey's name is 1 to 100 printable characters"));
    }
    let Some(passkey) =
        identity.passkeys.finish_registration(&identity.pool, user, body.ceremony, &body.credential, name).await?
    else {
        audit::record(&identity.pool, Some(user), "passkey.register_failed", None, json!({})).await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorKind::Authentication,
            "passkey_rejected",
            "the passkey could not be registered: start again",
        ));
    };
    audit::record(
        &identity.pool,
        Some(user),
        "passkey.registered",
        Some(&passkey.to_string()),
        json!({ "name": name }),
    )
    .await?;
    let id =
        sessions::rotate(&identity.pool, &identity.credentials, old, user, Aal::Two).await?.ok_or_else(rejected)?;
    Ok(with_session(PasskeyAdded { passkey, aal: 2 }, &id, state.session_absolute))
}

/// Starts signing in with a passkey: options for `navigator.credentials.get()`. Answers the
/// same way whether or not the address has an account or passkeys.
#[utoipa::path(
    post,
    path = "/api/auth/passkey/start",
    summary = "Start signing in with a passkey: options for navigator.credentials.get()",
    request_body = PasskeySignInStart,
    responses((status = 200, description = "the ceremony and its options"))
)]
pub async fn passkey_signin_start(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<Ceremony<webauthn_rs::prelude::RequestChallengeResponse>>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::Passkey)?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    no_bearer(&request)?;
    let body: PasskeySignInStart = read_json(request).await?;
    let (ceremony, options) = identity.passkeys.start_authentication(&identity.pool, &body.email).await?;
    Ok(Json(Ceremony { ceremony, options }))
}

/// Completes a passkey sign-in: a new AAL2 session.
#[utoipa::path(
    post,
    path = "/api/auth/passkey/finish",
    summary = "Sign in with a passkey (an AAL2 session)",
    request_body = PasskeySignInFinish,
    responses((status = 200, description = "an AAL2 session", body = SignedIn))
)]
pub async fn passkey_signin_finish(
    State(state): State<AppState>,
    request: Request,
) -> Result<WithSession<SignedIn>, ApiError> {
    let identity = state.identity()?;
    offered(&state, SignInMethod::Passkey)?;
    same_site(request.headers().get(header::ORIGIN), identity)?;
    let browser = ThisBrowser::of(&request);
    no_bearer(&request)?;
    let body: PasskeySignInFinish = read_json(request).await?;
    let Some(user) = identity.passkeys.finish_authentication(&identity.pool, body.ceremony, &body.credential).await?
    else {
        audit::record(&identity.pool, None, "signin.failed", None, json!({ "method": "passkey" })).await?;
        return Err(rejected());
    };
    let id = browser.sign_in(identity, user, Aal::Two, state.session_absolute).await?;
    audit::record(&identity.pool, Some(user), "signin.passkey", None, json!({})).await?;
    Ok(with_session(SignedIn { user, aal: 2 }, &id, state.session_absolute))
}
