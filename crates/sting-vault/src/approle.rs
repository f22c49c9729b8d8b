//! AppRoles: one per service and one for the operator. A service receives its secret-id
//! response-wrapped (a single-use token in a file mounted read-only), opens it once, and logs in
//! with it; the secret-id itself works once.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::{Secret, Vault, VaultError};

pub const MOUNT: &str = "approle";

/// How a role's tokens and secret-ids behave.
#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub name: String,
    pub policies: Vec<String>,
    /// Periodic tokens (renewed for as long as the holder runs), or fixed lifetimes.
    pub token: TokenLife,
    /// Addresses tokens and secret-ids may be used from; empty means anywhere.
    pub bound_cidrs: Vec<String>,
    /// Uses of each secret-id (0: unlimited) and its lifetime (`None`: no expiry).
    pub secret_id_uses: u32,
    pub secret_id_ttl: Option<Duration>,
}

#[derive(Clone, Copy, Debug)]
pub enum TokenLife {
    /// Renewable forever within each period: a service that stays up keeps its token.
    Periodic(Duration),
    /// Lives `ttl` and cannot be renewed past it: an operator's few minutes.
    Fixed(Duration),
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

/// Creates or updates the role; returns its role-id (not a secret on its own).
pub async fn ensure_role(vault: &Vault, spec: &RoleSpec) -> Result<String, VaultError> {
    let mut body = json!({
        "token_policies": spec.policies,
        "token_no_default_policy": false,
        "token_type": "service",
        "secret_id_num_uses": spec.secret_id_uses,
        "secret_id_ttl": spec.secret_id_ttl.map(secs).unwrap_or_else(|| "0".into()),
        "token_bound_cidrs": spec.bound_cidrs,
        "secret_id_bound_cidrs": spec.bound_cidrs,
    });
    match spec.token {
        TokenLife::Periodic(period) => {
            body["token_period"] = secs(period).into();
        }
        TokenLife::Fixed(ttl) => {
            body["token_ttl"] = secs(ttl).into();
            body["token_max_ttl"] = secs(ttl).into();
            body["token_explicit_max_ttl"] = secs(ttl).into();
        }
    }
    vault.call(Method::POST, &format!("auth/{MOUNT}/role/{}", spec.name), Some(&body)).await?;
    role_id(vault, &spec.name).await
}

pub async fn role_id(vault: &Vault, role: &str) -> Result<String, VaultError> {
    let client = vault.vaultrs()?;
    vaultrs::auth::approle::role::read_id(&client, MOUNT, role)
        .await
        .map(|r| r.role_id)
        .map_err(|e| vault.map_vaultrs_error(&format!("auth/{MOUNT}/role/{role}/role-id"), e))
}

/// A new secret-id for `role`, in the clear (for the operator's own, kept in a root-only file).
pub async fn issue_secret_id(vault: &Vault, role: &str) -> Result<Secret, VaultError> {
    let path = format!("auth/{MOUNT}/role/{role}/secret-id");
    let answer = vault.call(Method::POST, &path, Some(&json!({}))).await?;
    answer
        .as_ref()
        .and_then(|a| a.pointer("/data/secret_id"))
        .and_then(|s| s.as_str())
        .map(Secret::new)
        .ok_or_else(|| VaultError::Unexpected { path, reason: "no secret_id in the answer".into() })
}

/// A new secret-id for `role`, response-wrapped: only the single-use wrapping token leaves
/// Vault, valid for `wrap_ttl`.
pub async fn issue_wrapped_secret_id(vault: &Vault, role: &str, wrap_ttl: Duration) -> Result<Secret, VaultError> {
    let path = format!("auth/{MOUNT}/role/{role}/secret-id");
    vault.call_wrapped(Method::POST, &path, Some(&json!({})), &secs(wrap_ttl)).await
}

/// Destroys every secret-id of `role` (through their accessors); returns how many. After a
/// restore, the secret-ids of the backup's time must not keep working.
pub async fn destroy_secret_ids(vault: &Vault, role: &str) -> Result<usize, VaultError> {
    let path = format!("auth/{MOUNT}/role/{role}/secret-id");
    let listed = match vault.call(Method::from_bytes(b"LIST").expect("a method"), &path, None).await {
        Ok(answer) => answer,
        Err(VaultError::NotFound { .. }) => return Ok(0),
        Err(other) => return Err(other),
    };
    let accessors: Vec<String> = listed
        .as_ref()
        .and_then(|a| a.pointer("/data/keys"))
        .and_then(|k| serde_json::from_value(k.clone()).ok())
        .unwrap_or_default();
    let destroy = format!("auth/{MOUNT}/role/{role}/secret-id-accessor/destroy");
    for accessor in &accessors {
        vault.call(Method::POST, &destroy, Some(&json!({ "secret_id_accessor": accessor }))).await?;
    }
    Ok(accessors.len())
}

/// A token from Vault: the secret, and how long it lives.
#[derive(Debug)]
pub struct Login {
    pub token: Secret,
    pub lease: Duration,
    pub renewable: bool,
}

pub async fn login(vault: &Vault, role_id: &str, secret_id: &Secret) -> Result<Login, VaultError> {
    let body = json!({ "role_id": role_id, "secret_id": secret_id.expose() });
    let path = format!("auth/{MOUNT}/login");
    let answer = vault.call(Method::POST, &path, Some(&body)).await.map_err(|e| match e {
        VaultError::Api { status: 400, .. } | VaultError::Denied { .. } => VaultError::Refused {
            what: "the AppRole login".into(),
            reason: "the secret-id is unknown, used up, expired, or used from an address the role does not allow"
                .into(),
        },
        other => other,
    })?;
    auth_of(answer, &path)
}

/// Opens a wrapped secret-id (once) and logs in with it.
pub async fn login_wrapped(vault: &Vault, role_id: &str, wrapping_token: &Secret) -> Result<Login, VaultError> {
    let unwrapped = vault.unwrap(wrapping_token).await?;
    let secret_id =
        unwrapped.pointer("/data/secret_id").and_then(|s| s.as_str()).map(Secret::new).ok_or_else(|| {
            VaultError::Unexpected { path: "sys/wrapping/unwrap".into(), reason: "no secret_id".into() }
        })?;
    login(vault, role_id, &secret_id).await
}

/// Renews the token in use; the answer says for how long.
pub async fn renew_self(vault: &Vault) -> Result<Login, VaultError> {
    let path = "auth/token/renew-self";
    let answer = vault.call(Method::POST, path, Some(&json!({}))).await?;
    let token = vault.token().cloned().ok_or_else(|| VaultError::Setup("no token to renew".into()))?;
    let login = auth_of(answer, path)?;
    Ok(Login { token, ..login })
}

/// Revokes the token in use (the root token, once bootstrap is done).
pub async fn revoke_self(vault: &Vault) -> Result<(), VaultError> {
    vault.call(Method::POST, "auth/token/revoke-self", None).await.map(|_| ())
}

pub(crate) fn auth_of(answer: Option<serde_json::Value>, path: &str) -> Result<Login, VaultError> {
    let auth = answer.as_ref().and_then(|a| a.get("auth")).filter(|a| !a.is_null());
    let unexpected = || VaultError::Unexpected { path: path.into(), reason: "no auth in the answer".into() };
    let auth = auth.ok_or_else(unexpected)?;
    let token = auth.get("client_token").and_then(|t| t.as_str()).ok_or_else(unexpected)?;
    Ok(Login {
        token: Secret::new(token),
        lease: Duration::from_secs(auth.get("lease_duration").and_then(|l| l.as_u64()).unwrap_or(0)),
        renewable: auth.get("renewable").and_then(|r| r.as_bool()).unwrap_or(false),
    })
}
