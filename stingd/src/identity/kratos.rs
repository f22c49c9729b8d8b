//! `auth.provider: kratos`: sign-in happens at an Ory Kratos server, and stingd only asks it who
//! a request is. It forwards the Kratos session (the `ory_kratos_session` cookie, or the
//! `X-Session-Token` header of native apps) to `GET {public_url}/sessions/whoami` and maps the
//! answer: `authenticator_assurance_level` to AAL1/AAL2, the identity's `metadata_public.role` to
//! a role (`user` when absent), its verified address to the local address, and its id to the
//! local user of the same id, created on first sight so that tokens, ownership and the audit log
//! work as with built-in sign-in.
//!
//! Nothing a user can edit grants anything. Traits are the user's own (Kratos's settings flow
//! changes them), so neither the role nor the address comes from them: the role is in
//! `metadata_public`, which only Kratos's admin API writes and which, unlike `metadata_admin`,
//! whoami returns; the address is a `verifiable_addresses` entry Kratos has verified. An
//! identity with no verified address gets a placeholder one, so it is shared nothing by address
//! and takes no colleague's.
//!
//! This follows Kratos's documented contract (`toSession`), tested against a server that
//! answers with that contract; it has not been run against a real Kratos, which none of our
//! package sources offer.
//!
//! Answers are kept in the [`CredentialCache`] for a few seconds ([`MAX_AGE`]): a sign-out at
//! Kratos is seen within that time, and a disable, delete or revoke-all in stingd at once (the
//! cache's notifications name the user).

use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::cache::CredentialCache;
use super::credential::Credential;
use super::credential::{Aal, Session};
use super::users::Role;

/// How long a Kratos answer is believed without asking again.
pub const MAX_AGE: Duration = Duration::from_secs(5);
/// Kratos's own name for the header of native (non-browser) apps.
pub const SESSION_TOKEN_HEADER: &str = "x-session-token";

/// What a request presents to be recognised by Kratos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KratosCredential {
    /// The value of the session cookie (only that cookie is forwarded, not the site's others).
    Cookie(String),
    /// `X-Session-Token`.
    Token(String),
}

impl KratosCredential {
    /// The cache key: a hash, in a namespace of its own so it cannot meet a built-in session's.
    fn key(&self) -> Vec<u8> {
        let (kind, secret) = match self {
            Self::Cookie(c) => ("kratos-cookie:", c),
            Self::Token(t) => ("kratos-token:", t),
        };
        let mut hasher = Sha256::new();
        hasher.update(kind);
        hasher.update(secret);
        hasher.finalize().to_vec()
    }
}

/// What `whoami` decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whoami {
    SignedIn(Session),
    /// 401, or a session that is inactive, expired, or below AAL1: no one.
    Nobody,
    /// 403: Kratos wants a second factor before it vouches for this session.
    SecondFactorRequired,
    /// The identity is disabled in stingd (Kratos still knows it).
    Disabled,
}

#[derive(Debug, thiserror::Error)]
pub enum KratosError {
    #[error("Kratos at {url} did not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Kratos answered {status} to whoami, which its contract does not allow")]
    UnexpectedStatus { status: u16 },
    #[error("Kratos's whoami answer is not a session: {0}")]
    Contract(String),
    #[error("another local account already uses {email}: delete it, or give the Kratos identity another address")]
    EmailClash { email: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The parts of Kratos's session object stingd reads.
#[derive(Debug, Deserialize)]
struct SessionBody {
    #[serde(default = "yes")]
    active: bool,
    authenticator_assurance_level: Option<String>,
    expires_at: Option<String>,
    identity: IdentityBody,
}

#[derive(Debug, Deserialize)]
struct IdentityBody {
    id: Uuid,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    traits: serde_json::Value,
    #[serde(default)]
    metadata_public: serde_json::Value,
    #[serde(default)]
    verifiable_addresses: Vec<VerifiableAddress>,
}

#[derive(Debug, Deserialize)]
struct VerifiableAddress {
    value: String,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    via: String,
}

fn yes() -> bool {
    true
}

/// The Kratos client: where whoami is, and the session cookie's name.
pub struct Kratos {
    http: reqwest::Client,
    whoami: String,
    cookie_name: String,
}

impl Kratos {
    pub fn new(config: &sting_config::Kratos) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            whoami: format!("{}/sessions/whoami", config.public_url.trim_end_matches('/')),
            cookie_name: config.session_cookie.clone(),
        })
    }

    /// The Kratos credential a request carries: the session token header first (a native app
    /// sends nothing else), then the session cookie.
    pub fn credential(&self, headers: &axum::http::HeaderMap) -> Option<KratosCredential> {
        if let Some(token) = headers.get(SESSION_TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
            return Some(KratosCredential::Token(token.trim().to_string()));
        }
        let prefix = format!("{}=", self.cookie_name);
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(&prefix).map(|v| KratosCredential::Cookie(v.to_string())))
    }

    /// Who `credential` is: from the cache, or from Kratos (and then the local user is brought
    /// up to date with the identity's address and role).
    pub async fn whoami(
        &self,
        pool: &PgPool,
        cache: &CredentialCache,
        credential: &KratosCredential,
    ) -> Result<Whoami, KratosError> {
        let key = credential.key();
        if let Some(Credential::Session(session)) = cache.get(&key) {
            return Ok(Whoami::SignedIn(session));
        }
        let ticket = cache.ticket();
        let request = match credential {
            KratosCredential::Token(token) => self.http.get(&self.whoami).header(SESSION_TOKEN_HEADER, token),
            KratosCredential::Cookie(value) => {
                self.http.get(&self.whoami).header("cookie", format!("{}={value}", self.cookie_name))
            }
        };
        let response = request
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| KratosError::Unreachable { url: self.whoami.clone(), reason: describe(&e) })?;
        let body = match response.status().as_u16() {
            200 => response.json::<SessionBody>().await.map_err(|e| KratosError::Contract(describe(&e)))?,
            401 => return Ok(Whoami::Nobody),
            403 => return Ok(Whoami::SecondFactorRequired),
            status => return Err(KratosError::UnexpectedStatus { status }),
        };
        let Some((mut session, valid_for)) = interpret(&body, now()) else { return Ok(Whoami::Nobody) };
        match sync_user(pool, &session).await? {
            LocalUser::Disabled => return Ok(Whoami::Disabled),
            LocalUser::Active { email } => session.email = email,
        }
        if let Some(ticket) = ticket {
            cache.put(ticket, key, Credential::Session(session.clone()), Some(valid_for.min(MAX_AGE)));
        }
        Ok(Whoami::SignedIn(session))
    }
}

/// A reqwest error with its causes (reqwest's own text stops at "error sending request").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    ::time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The session a whoami body describes, and for how long; `None` when it vouches for no one.
fn interpret(body: &SessionBody, now: i64) -> Option<(Session, Duration)> {
    if !body.active || body.identity.state.as_deref().is_some_and(|s| s != "active") {
        return None;
    }
    let aal = match body.authenticator_assurance_level.as_deref() {
        Some("aal1") => Aal::One,
        Some("aal2" | "aal3") => Aal::Two,
        _ => return None,
    };
    let valid_for = match &body.expires_at {
        Some(at) => {
            let expires = parse_rfc3339(at)?;
            if expires <= now {
                return None;
            }
            Duration::from_secs((expires - now) as u64)
        }
        None => MAX_AGE,
    };
    let role = match body.identity.metadata_public.get("role") {
        None | Some(serde_json::Value::Null) => Role::User,
        Some(value) => match value.as_str().and_then(|r| serde_json::from_value(r.into()).ok()) {
            Some(role) => role,
            None => {
                // A typo in the metadata must not grant anything.
                tracing::warn!(identity = %body.identity.id, role = %value, "unknown role in Kratos's metadata_public: treated as viewer");
                Role::Viewer
            }
        },
    };
    let email = verified_email(&body.identity)
        // Identities without a verified address still need a unique one locally.
        .unwrap_or_else(|| format!("{}@kratos.invalid", body.identity.id));
    Some((Session { user: body.identity.id, email, role, aal }, valid_for))
}

/// The identity's address, if Kratos verified it: the `email` trait when that is the verified
/// one, else the first verified email address.
fn verified_email(identity: &IdentityBody) -> Option<String> {
    let verified: Vec<&str> = identity
        .verifiable_addresses
        .iter()
        .filter(|a| a.verified && a.via == "email" && super::users::is_valid_email(&a.value))
        .map(|a| a.value.as_str())
        .collect();
    let claimed = identity.traits.get("email").and_then(|e| e.as_str());
    claimed
        .and_then(|c| verified.iter().find(|v| v.eq_ignore_ascii_case(c)).map(|_| c))
        .or(verified.first().copied())
        .map(str::to_string)
}

/// RFC 3339 as Kratos writes it (`2026-11-23T17:02:33.123456Z` or with an offset), to seconds.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let at = ::time::OffsetDateTime::parse(text, &::time::format_description::well_known::Rfc3339).ok()?;
    Some(at.unix_timestamp())
}

enum LocalUser {
    Active { email: String },
    Disabled,
}

/// Creates or updates the local user of this Kratos identity (same id), with the address and
/// role Kratos gave. A role change is a change like any other: it notifies every stingd.
async fn sync_user(pool: &PgPool, session: &Session) -> Result<LocalUser, KratosError> {
    let row: Result<(String, bool), sqlx::Error> = sqlx::query_as(
        "INSERT INTO users (id, email, role) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, role = excluded.role
           WHERE users.email IS DISTINCT FROM excluded.email OR users.role IS DISTINCT FROM excluded.role
         RETURNING email, disabled_at IS NOT NULL",
    )
    .bind(session.user)
    .bind(&session.email)
    .bind(session.role.as_str())
    .fetch_one(pool)
    .await;
    let (email, disabled) = match row {
        Ok(row) => row,
        // Nothing changed, so nothing was returned: read the row as it is.
        Err(sqlx::Error::RowNotFound) => {
            sqlx::query_as("SELECT email, disabled_at IS NOT NULL FROM users WHERE id = $1")
                .bind(session.user)
                .fetch_one(pool)
                .await?
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(KratosError::EmailClash { email: session.email.clone() });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(if disabled { LocalUser::Disabled } else { LocalUser::Active { email } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> SessionBody {
        serde_json::from_value(json).unwrap()
    }

    const NOW: i64 = 1_795_453_353; // 2026-11-23T...

    fn session(aal: &str, traits: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "id": "8f1d7a43-9c67-4c55-a0a5-9c1a5d6b2f10",
            "active": true,
            "expires_at": "2030-01-01T00:00:00.000Z",
            "authenticator_assurance_level": aal,
            "identity": {"id": "3b0c3f4e-52f5-4a3e-9d8a-5f9c2b7e1a00", "state": "active", "traits": traits}
        })
    }

    /// `session` with an admin-set role and these addresses (`(value, verified)`).
    fn vouched(aal: &str, role: Option<&str>, addresses: &[(&str, bool)]) -> serde_json::Value {
        let mut s = session(aal, serde_json::json!({"email": addresses.first().map(|a| a.0), "role": "admin"}));
        s["identity"]["metadata_public"] = serde_json::json!({ "role": role });
        s["identity"]["verifiable_addresses"] = addresses
            .iter()
            .map(|(value, verified)| serde_json::json!({"value": value, "verified": verified, "via": "email", "status": "completed"}))
            .collect();
        s
    }

    #[test]
    fn the_aal_and_admin_set_role_map_to_stingd_s_and_traits_grant_nothing() {
        let (s, _) = interpret(&body(vouched("aal2", Some("admin"), &[("a@example.org", true)])), NOW).unwrap();
        assert_eq!((s.aal, s.role, s.email.as_str()), (Aal::Two, Role::Admin, "a@example.org"));
        let (s, _) = interpret(&body(vouched("aal3", None, &[("a@example.org", true)])), NOW).unwrap();
        assert_eq!((s.aal, s.role), (Aal::Two, Role::User), "no role and a `role: admin` trait: user");
        let (s, _) = interpret(&body(vouched("aal1", Some("superuser"), &[])), NOW).unwrap();
        assert_eq!((s.aal, s.role), (Aal::One, Role::Viewer), "an unknown role grants least");
        assert_eq!(s.email, "3b0c3f4e-52f5-4a3e-9d8a-5f9c2b7e1a00@kratos.invalid");
        let (s, _) = interpret(&body(vouched("aal1", None, &[("boss@example.org", false)])), NOW).unwrap();
        assert_eq!(s.email, "3b0c3f4e-52f5-4a3e-9d8a-5f9c2b7e1a00@kratos.invalid", "an unverified address is no one's");
        let (s, _) =
            interpret(&body(vouched("aal1", None, &[("boss@example.org", false), ("me@example.org", true)])), NOW)
                .unwrap();
        assert_eq!(s.email, "me@example.org", "the verified one, not the claimed one");
        assert!(interpret(&body(session("aal0", serde_json::json!({}))), NOW).is_none());
    }

    #[test]
    fn inactive_expired_or_disabled_sessions_vouch_for_no_one() {
        let mut inactive = session("aal1", serde_json::json!({}));
        inactive["active"] = false.into();
        assert!(interpret(&body(inactive), NOW).is_none());
        let mut expired = session("aal1", serde_json::json!({}));
        expired["expires_at"] = "2020-01-01T00:00:00Z".into();
        assert!(interpret(&body(expired), NOW).is_none());
        let mut blocked = session("aal1", serde_json::json!({}));
        blocked["identity"]["state"] = "inactive".into();
        assert!(interpret(&body(blocked), NOW).is_none());
    }

    #[test]
    fn rfc3339_times_as_kratos_writes_them() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_rfc3339("2026-11-23T17:02:33.123456Z"), Some(1_795_453_353));
        assert_eq!(parse_rfc3339("2026-11-23T18:02:33+01:00"), Some(1_795_453_353));
        assert_eq!(parse_rfc3339("2026-11-23 17:02:33"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
    }
}
