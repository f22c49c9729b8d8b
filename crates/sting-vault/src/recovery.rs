//! msting's second way in: a certificate login (Vault's `cert` auth method) that trusts the
//! stack's own CA for one name. The operator's AppRole secret-id lives only on the host that
//! made it, so after a restore onto a new host (or when that file is lost) this is how msting
//! logs in again to issue new credentials, without ever keeping a token or secret-id in a
//! backup. Whoever can sign for the name already holds the CA's key, which vouches for Vault's
//! own certificate, so the login gives nobody a power they did not have.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::approle::{Login, auth_of};
use crate::{Connection, Secret, Vault, VaultError};

/// Where the method is mounted, and its one role.
pub const MOUNT: &str = "cert";
pub const ROLE: &str = "msting-recovery";
/// The only name a recovery certificate may carry.
pub const NAME: &str = "operator.msting.sting.internal";

/// What the role gives: the operator's policies, for a short while, from where msting runs.
#[derive(Clone, Debug)]
pub struct RecoveryRole {
    /// The stack's CA certificate (PEM).
    pub ca_pem: String,
    pub policies: Vec<String>,
    pub token_ttl: Duration,
    pub bound_cidrs: Vec<String>,
}

/// Mounts the method if needed and writes the role (idempotent).
pub async fn ensure(vault: &Vault, role: &RecoveryRole) -> Result<(), VaultError> {
    let auths = vault.call(Method::GET, "sys/auth", None).await?.unwrap_or_default();
    let key = format!("{MOUNT}/");
    if auths.get(&key).is_none() && auths.pointer(&format!("/data/{MOUNT}~1")).is_none() {
        vault.call(Method::POST, &format!("sys/auth/{MOUNT}"), Some(&json!({ "type": "cert" }))).await?;
    }
    let ttl = format!("{}s", role.token_ttl.as_secs().max(1));
    let body = json!({
        "certificate": role.ca_pem,
        "allowed_dns_sans": [NAME],
        "token_policies": role.policies,
        "token_ttl": ttl,
        "token_max_ttl": ttl,
        "token_explicit_max_ttl": ttl,
        "token_bound_cidrs": role.bound_cidrs,
        "token_type": "service",
    });
    vault.call(Method::POST, &format!("auth/{MOUNT}/certs/{ROLE}"), Some(&body)).await.map(|_| ())
}

/// Logs in with a certificate for [`NAME`] signed by the stack's CA (`identity_pem`: the chain
/// and its key); returns a client acting with the token.
pub async fn login(connection: Connection, identity_pem: &Secret) -> Result<(Vault, Login), VaultError> {
    let vault = Vault::with_client_certificate(connection, identity_pem)?;
    let path = format!("auth/{MOUNT}/login");
    let answer = vault.call(Method::POST, &path, Some(&json!({ "name": ROLE }))).await.map_err(|e| match e {
        VaultError::Api { status: 400, .. } | VaultError::Denied { .. } | VaultError::NotFound { .. } => {
            VaultError::Refused {
                what: "the certificate login".into(),
                reason: "Vault does not trust this certificate: it was not signed by the CA this Vault's data knows, or the backup predates certificate logins".into(),
            }
        }
        other => other,
    })?;
    let login = auth_of(answer, &path)?;
    Ok((vault.with_token(login.token.clone()), login))
}
