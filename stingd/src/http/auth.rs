//! Who is calling, recorded as the request's `Principal`: a gateway key, an API token, a
//! built-in session cookie (changing state only from the site's origin) or a Kratos session.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::ErrorKind;
use crate::http::access::{Credential, Principal};
use crate::http::state::{AppState, Identity};
use crate::http::{ApiError, Caller};
use crate::identity::credential::Aal;
use crate::identity::users::Role;

/// Who is calling: a static key, an API token (`sting_...`) or a session cookie, recorded as the
/// request's [`Principal`]. No credentials: no principal, and each route's [`Access`] decides.
/// Wrong credentials: 401 at once. With `auth.provider: kratos`, Kratos's session cookie or
/// token takes the place of stingd's own session cookie.
pub(crate) async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
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
                        caller: Caller::User(o.user),
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
                Some(Principal::signed_in(session, Credential::Session(crate::identity::sessions::SessionId::new(&id))))
            }
            // A stale cookie is no credential: public routes (signing in again) must still work.
            Ok(None) => None,
            Err(e) => return identity_unavailable(e),
        }
    } else {
        None
    };
    if let Some(principal) = principal {
        request.extensions_mut().insert(principal.caller);
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
            ErrorKind::Permission,
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
            Ok(Some(Principal::signed_in(session, Credential::Kratos)))
        }
        Ok(Whoami::Nobody | Whoami::Disabled) if by_token => Err(ApiError::unauthorized().into_response()),
        Ok(Whoami::Nobody | Whoami::Disabled) => Ok(None),
        Ok(Whoami::SecondFactorRequired) => Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "aal2_required",
            "Kratos asks for this account's second factor: complete it at the sign-in page",
        )
        .into_response()),
        Err(KratosError::EmailClash { email }) => {
            tracing::warn!(%email, "a Kratos identity's address belongs to another local account");
            Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                ErrorKind::InvalidRequest,
                "account_conflict",
                "another local account already uses this address: an admin must delete it first",
            )
            .into_response())
        }
        Err(error) => {
            tracing::error!(%error, "cannot ask Kratos who this is");
            Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Server,
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
        ErrorKind::Server,
        "identity_unavailable",
        "credentials cannot be checked right now",
    )
    .into_response()
}
