//! Who may call what. Every route is added through [`Routes::add`] with its [`Access`], so a
//! route cannot exist without a decision, and the list of decisions is what the route × role
//! test walks. The checks are the original's `require_auth`, `require_aal2` and
//! `require_admin`: admin and moderator routes always demand a second factor (AAL2).

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde::Serialize;
use uuid::Uuid;

use crate::http::ErrorKind;
use crate::http::{ApiError, Caller};
use crate::identity::users::Role;
use crate::identity::{credential::Aal, sessions::SessionId};

/// Who a request is, once authenticated (a request extension).
#[derive(Clone, Debug, Serialize)]
pub struct Principal {
    /// The caller for limits, caches and audit records.
    #[serde(skip)]
    pub caller: Caller,
    /// The signed-in user; `None` for a static gateway key.
    pub user: Option<Uuid>,
    /// The signed-in user's address (shown by `/api/me` without another lookup).
    #[serde(skip)]
    pub email: Option<std::sync::Arc<str>>,
    pub role: Role,
    #[serde(serialize_with = "aal_number")]
    pub aal: Aal,
    /// What an API token may do; `None` for a session or a static key (all their role allows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<std::sync::Arc<[String]>>,
    /// What proved it: a factor ceremony may change only the built-in session named here.
    #[serde(skip)]
    pub credential: Credential,
}

impl Principal {
    /// A signed-in person, by built-in or Kratos session (`credential` says which).
    pub fn signed_in(session: crate::identity::credential::Session, credential: Credential) -> Self {
        Self {
            caller: Caller::User(session.user),
            user: Some(session.user),
            email: Some(session.email.into()),
            role: session.role,
            aal: session.aal,
            scopes: None,
            credential,
        }
    }
}

/// The credential that authenticated a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A static gateway key from the config.
    GatewayKey,
    /// A user's API token.
    ApiToken,
    /// A session Kratos vouched for.
    Kratos,
    /// A built-in session, by its id.
    Session(SessionId),
}

/// The scopes an API token can carry. A route needs `inference` if it is a model route, `read`
/// if it only reads, and `write` otherwise.
pub const SCOPES: &[&str] = &["inference", "read", "write"];

/// The scope `method path` needs of a token.
pub fn scope_for(method: &Method, path: &str) -> &'static str {
    if path.starts_with("/v1/") {
        "inference"
    } else if matches!(*method, Method::GET | Method::HEAD) {
        "read"
    } else {
        "write"
    }
}

fn aal_number<S: serde::Serializer>(aal: &Aal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(*aal as u8)
}

/// What a route demands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, the sign-in routes, the sign-in pages and the assets.
    Public,
    /// A page for a signed-in person: anyone else is sent to the sign-in page. What the page
    /// shows is decided by the same library calls, with the same caller, as the API's.
    Page,
    /// Any authenticated caller, a static gateway key included.
    Authenticated,
    /// A signed-in user with at least this role, and a second factor for moderator and admin.
    Role(Role),
}

impl Access {
    /// Whether `principal` passes; `Err` carries the refusal's status.
    pub fn check(self, principal: Option<&Principal>) -> Result<(), StatusCode> {
        match (self, principal) {
            (Self::Public, _) => Ok(()),
            (_, None) => Err(StatusCode::UNAUTHORIZED),
            (Self::Authenticated, Some(_)) => Ok(()),
            (Self::Page, Some(p)) => {
                if p.user.is_some() {
                    Ok(())
                } else {
                    Err(StatusCode::UNAUTHORIZED)
                }
            }
            (Self::Role(min), Some(p)) => {
                let high = matches!(min, Role::Admin | Role::Moderator);
                if p.user.is_none() || rank(p.role) < rank(min) || (high && p.aal < Aal::Two) {
                    Err(StatusCode::FORBIDDEN)
                } else {
                    Ok(())
                }
            }
        }
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::User => 1,
        Role::Moderator => 2,
        Role::Admin => 3,
    }
}

/// A route's declared access, as the route × role test sees it.
#[derive(Clone, Debug)]
pub struct RouteDecision {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// A router (over the application's state `S`) whose every route carries an access decision.
pub struct Routes<S> {
    router: Router<S>,
    pub decisions: Vec<RouteDecision>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self { router: Router::new(), decisions: Vec::new() }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn add(mut self, method: Method, path: &'static str, access: Access, handler: MethodRouter<S>) -> Self {
        self.decisions.push(RouteDecision { method, path, access });
        let guarded = handler
            .route_layer(middleware::from_fn(move |request: Request, next: Next| require(access, request, next)));
        self.router = self.router.route(path, guarded);
        self
    }

    pub fn into_parts(self) -> (Router<S>, Vec<RouteDecision>) {
        (self.router, self.decisions)
    }
}

async fn require(access: Access, request: Request, next: Next) -> Response {
    let principal = request.extensions().get::<Principal>();
    if let (Some(scopes), false) = (principal.and_then(|p| p.scopes.as_ref()), access == Access::Public) {
        let needed = scope_for(request.method(), request.uri().path());
        if !scopes.iter().any(|s| s == needed) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorKind::Permission,
                "scope_missing",
                format!("this token lacks the `{needed}` scope this route needs"),
            )
            .into_response();
        }
    }
    match access.check(principal) {
        Ok(()) => next.run(request).await,
        Err(_) if access == Access::Page => axum::response::Redirect::to("/signin").into_response(),
        Err(StatusCode::UNAUTHORIZED) => ApiError::unauthorized().into_response(),
        Err(_) => ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::Permission,
            "forbidden",
            match access {
                Access::Role(Role::Admin | Role::Moderator) => {
                    "this needs a higher role, signed in with a second factor"
                }
                _ => "this needs a higher role",
            },
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, aal: Aal, user: bool) -> Principal {
        Principal {
            caller: Caller::User(Uuid::nil()),
            user: user.then(Uuid::nil),
            email: None,
            role,
            aal,
            scopes: None,
            credential: Credential::Session(SessionId::new("sess_test")),
        }
    }

    #[test]
    fn admin_routes_need_the_role_and_a_second_factor() {
        let admin = Access::Role(Role::Admin);
        assert_eq!(admin.check(None), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(admin.check(Some(&principal(Role::Admin, Aal::One, true))), Err(StatusCode::FORBIDDEN));
        assert_eq!(admin.check(Some(&principal(Role::Admin, Aal::Two, true))), Ok(()));
        assert_eq!(admin.check(Some(&principal(Role::Moderator, Aal::Two, true))), Err(StatusCode::FORBIDDEN));
        assert_eq!(
            admin.check(Some(&principal(Role::Admin, Aal::Two, false))),
            Err(StatusCode::FORBIDDEN),
            "a static key is no user"
        );
        assert_eq!(
            Access::Role(Role::User).check(Some(&principal(Role::Viewer, Aal::Two, true))),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(Access::Role(Role::User).check(Some(&principal(Role::Admin, Aal::One, true))), Ok(()));
    }
}
