//! A server that answers `GET /sessions/whoami` as Ory Kratos documents it (`toSession`): the
//! session object for a known `ory_kratos_session` cookie or `X-Session-Token`, 401 with Kratos's
//! error body for anything else, and 403 `session_aal2_required` for a session Kratos wants
//! raised. No Kratos can be installed on these machines; this is its contract, nothing more.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Clone)]
enum Answer {
    Session(Value),
    SecondFactorRequired,
    /// What no Kratos answers: stingd must fail closed.
    Broken,
}

#[derive(Clone, Default)]
struct Shared {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    calls: Arc<AtomicUsize>,
    cookies: Arc<Mutex<Vec<String>>>,
}

pub struct KratosContract {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

/// A Kratos identity for [`KratosContract::sign_in`]: the traits its user wrote, the metadata an
/// admin set, and the addresses Kratos verified.
pub struct KratosIdentity {
    pub id: uuid::Uuid,
    pub traits: Value,
    pub metadata_public: Value,
    pub verifiable_addresses: Value,
}

impl KratosIdentity {
    /// An identity whose `email` Kratos verified and whose `role` (if any) an admin set.
    pub fn new(email: &str, role: Option<&str>) -> Self {
        let mut identity = Self::claiming(json!({ "email": email }));
        identity.metadata_public = match role {
            Some(role) => json!({ "role": role }),
            None => Value::Null,
        };
        identity.verifiable_addresses = json!([address(email, true)]);
        identity
    }

    /// An identity with only what its user typed into the settings flow: nothing verified,
    /// nothing set by an admin.
    pub fn claiming(traits: Value) -> Self {
        let addresses = match traits["email"].as_str() {
            Some(email) => json!([address(email, false)]),
            None => json!([]),
        };
        Self { id: uuid::Uuid::new_v4(), traits, metadata_public: Value::Null, verifiable_addresses: addresses }
    }
}

/// A `verifiable_addresses` entry as Kratos writes it.
fn address(email: &str, verified: bool) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(),
        "value": email,
        "verified": verified,
        "via": "email",
        "status": if verified { "completed" } else { "pending" },
        "created_at": "2026-11-01T08:00:00.000000Z",
        "updated_at": "2026-11-01T08:00:00.000000Z"
    })
}

impl KratosContract {
    pub async fn start() -> Self {
        let shared = Shared::default();
        let router = Router::new().route("/sessions/whoami", get(whoami)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { url, shared, task }
    }

    /// A session for `identity` at `aal` (`aal1`, `aal2`), known by `secret` (a cookie value or
    /// a session token: Kratos accepts either for whoami).
    pub fn sign_in(&self, secret: &str, identity: &KratosIdentity, aal: &str) {
        let body = json!({
            "id": uuid::Uuid::new_v4(),
            "active": true,
            "expires_at": "2099-01-01T00:00:00.000000Z",
            "authenticated_at": "2026-11-23T08:00:00.000000Z",
            "issued_at": "2026-11-23T08:00:00.000000Z",
            "authenticator_assurance_level": aal,
            "authentication_methods": [{"method": "password", "aal": "aal1", "completed_at": "2026-11-23T08:00:00Z"}],
            "identity": {
                "id": identity.id,
                "schema_id": "default",
                "schema_url": "http://kratos:4433/schemas/ZGVmYXVsdA",
                "state": "active",
                "traits": identity.traits,
                "metadata_public": identity.metadata_public,
                "verifiable_addresses": identity.verifiable_addresses,
                "created_at": "2026-11-01T08:00:00.000000Z",
                "updated_at": "2026-11-01T08:00:00.000000Z"
            },
            "devices": [{"id": uuid::Uuid::new_v4(), "ip_address": "192.0.2.1", "user_agent": "test"}]
        });
        self.answers().insert(secret.to_string(), Answer::Session(body));
    }

    /// Signs out (Kratos forgets the session).
    pub fn sign_out(&self, secret: &str) {
        self.answers().remove(secret);
    }

    /// Changes the role of the identity behind `secret`, as an admin would in Kratos.
    pub fn set_role(&self, secret: &str, role: &str) {
        if let Some(Answer::Session(body)) = self.answers().get_mut(secret) {
            body["identity"]["metadata_public"] = json!({ "role": role });
        }
    }

    pub fn require_second_factor(&self, secret: &str) {
        self.answers().insert(secret.to_string(), Answer::SecondFactorRequired);
    }

    pub fn answer_garbage(&self, secret: &str) {
        self.answers().insert(secret.to_string(), Answer::Broken);
    }

    /// How many whoami requests arrived.
    pub fn calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
    }

    /// Every `Cookie` header whoami received.
    pub fn cookies_received(&self) -> Vec<String> {
        self.shared.cookies.lock().unwrap().clone()
    }

    /// Stops answering (connections are refused).
    pub fn stop(&self) {
        self.task.abort();
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Answer>> {
        self.shared.answers.lock().unwrap()
    }
}

impl Drop for KratosContract {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn whoami(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    shared.calls.fetch_add(1, Ordering::SeqCst);
    let cookie = headers.get("cookie").and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(cookie) = &cookie {
        shared.cookies.lock().unwrap().push(cookie.clone());
    }
    let secret = match headers.get("x-session-token").and_then(|v| v.to_str().ok()) {
        Some(token) => Some(token.to_string()),
        None => cookie.as_deref().and_then(|c| {
            c.split(';').find_map(|pair| pair.trim().strip_prefix("ory_kratos_session=").map(str::to_string))
        }),
    };
    let answer = secret.and_then(|s| shared.answers.lock().unwrap().get(&s).cloned());
    match answer {
        Some(Answer::Session(body)) => axum::Json(body).into_response(),
        Some(Answer::SecondFactorRequired) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({
                "error": {
                    "id": "session_aal2_required",
                    "code": 403,
                    "status": "Forbidden",
                    "reason": "An active session was found but it does not fulfil the Authenticator Assurance Level, implying that the session must first be upgraded.",
                    "message": "Session does not fulfill the requested Authenticator Assurance Level"
                },
                "redirect_browser_to": "http://kratos:4433/self-service/login/browser?aal=aal2"
            })),
        )
            .into_response(),
        Some(Answer::Broken) => (StatusCode::OK, "<html>not json</html>").into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({
                "error": {
                    "code": 401,
                    "status": "Unauthorized",
                    "reason": "No valid session credentials found in the request.",
                    "message": "The request could not be authorized"
                }
            })),
        )
            .into_response(),
    }
}
