//! Seal status, unsealing with key shares, and sealing.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Secret, Vault, VaultError};

/// `sys/seal-status`, which answers without a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealStatus {
    /// `shamir` (manual) or the auto-unseal mechanism (`static`, `awskms`, ...).
    #[serde(rename = "type")]
    pub seal_type: String,
    pub initialized: bool,
    pub sealed: bool,
    /// Shares needed (unseal shares, or recovery shares with auto-unseal).
    #[serde(rename = "t")]
    pub threshold: u32,
    #[serde(rename = "n")]
    pub shares: u32,
    /// Shares given so far towards unsealing.
    pub progress: u32,
    pub version: String,
    /// Whether the shares handed out are recovery shares (auto-unseal).
    #[serde(default)]
    pub recovery_seal: bool,
    #[serde(default)]
    pub storage_type: Option<String>,
}

pub async fn status(vault: &Vault) -> Result<SealStatus, VaultError> {
    let answer = vault.call(Method::GET, "sys/seal-status", None).await?;
    parse(answer, "sys/seal-status")
}

/// Gives one unseal share; the status says how far unsealing has come (`progress` of
/// `threshold`, or unsealed). A share that is not one, or a set of shares that does not open
/// the seal, is [`VaultError::BadShare`]; Vault then starts counting again.
pub async fn unseal(vault: &Vault, share: &Secret) -> Result<SealStatus, VaultError> {
    let body = json!({ "key": share.expose().trim() });
    match vault.call(Method::PUT, "sys/unseal", Some(&body)).await {
        Ok(answer) => parse(answer, "sys/unseal"),
        Err(VaultError::Api { status: 400 | 500, message, .. }) => {
            // Whatever was given so far is void: start again from nothing, as the message says.
            let _ = vault.call(Method::PUT, "sys/unseal", Some(&json!({ "reset": true }))).await;
            Err(VaultError::BadShare { reason: message })
        }
        Err(other) => Err(other),
    }
}

/// Forgets the shares given so far.
pub async fn reset(vault: &Vault) -> Result<SealStatus, VaultError> {
    let answer = vault.call(Method::PUT, "sys/unseal", Some(&json!({ "reset": true }))).await?;
    parse(answer, "sys/unseal")
}

/// Seals Vault (needs a token with `sudo` on `sys/seal`).
pub async fn seal(vault: &Vault) -> Result<(), VaultError> {
    vault.call(Method::PUT, "sys/seal", None).await.map(|_| ())
}

fn parse(answer: Option<serde_json::Value>, path: &str) -> Result<SealStatus, VaultError> {
    let answer = answer.ok_or_else(|| VaultError::Unexpected { path: path.into(), reason: "empty answer".into() })?;
    serde_json::from_value(answer).map_err(|e| VaultError::Unexpected { path: path.into(), reason: e.to_string() })
}
