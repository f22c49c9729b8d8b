//! The transit key for stingd's envelope encryption: its versions, rotation, and the
//! encrypt/decrypt/rewrap calls.

use std::collections::BTreeMap;

use base64::Engine;
use reqwest::Method;
use serde::Serialize;
use serde_json::json;

use crate::policy::TRANSIT_MOUNT;
use crate::{Vault, VaultError};

/// What `msting encryption-keys status` shows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KeyStatus {
    pub name: String,
    pub latest_version: u32,
    /// Ciphertexts older than this cannot be decrypted any more.
    pub min_decryption_version: u32,
    /// Each version and when it was made (RFC 3339).
    pub versions: BTreeMap<u32, String>,
}

/// Creates the key unless it exists (AES-256-GCM, not exportable).
pub async fn ensure_key(vault: &Vault, name: &str) -> Result<(), VaultError> {
    let path = format!("{TRANSIT_MOUNT}/keys/{name}");
    vault.call(Method::POST, &path, Some(&json!({ "type": "aes256-gcm96", "exportable": false }))).await.map(|_| ())
}

pub async fn status(vault: &Vault, name: &str) -> Result<KeyStatus, VaultError> {
    let path = format!("{TRANSIT_MOUNT}/keys/{name}");
    let answer = vault.call(Method::GET, &path, None).await?;
    let data = answer
        .as_ref()
        .and_then(|a| a.get("data"))
        .ok_or_else(|| VaultError::Unexpected { path: path.clone(), reason: "no data in the answer".into() })?;
    let number = |key: &str| data.get(key).and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    let versions = data
        .get("keys")
        .and_then(|k| k.as_object())
        .map(|keys| {
            keys.iter()
                .filter_map(|(version, made)| {
                    let when = match made {
                        serde_json::Value::String(s) => s.clone(),
                        // OpenBao gives seconds since the epoch.
                        serde_json::Value::Number(n) => {
                            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(n.as_u64()?);
                            humantime::format_rfc3339_seconds(at).to_string()
                        }
                        _ => return None,
                    };
                    Some((version.parse().ok()?, when))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(KeyStatus {
        name: name.into(),
        latest_version: number("latest_version"),
        min_decryption_version: number("min_decryption_version"),
        versions,
    })
}

/// A new key version; new data is encrypted with it, old data still decrypts.
pub async fn rotate(vault: &Vault, name: &str) -> Result<KeyStatus, VaultError> {
    vault.call(Method::POST, &format!("{TRANSIT_MOUNT}/keys/{name}/rotate"), None).await?;
    status(vault, name).await
}

/// `vault:vN:...` for `plaintext`.
pub async fn encrypt(vault: &Vault, name: &str, plaintext: &[u8]) -> Result<String, VaultError> {
    let path = format!("{TRANSIT_MOUNT}/encrypt/{name}");
    let body = json!({ "plaintext": base64::engine::general_purpose::STANDARD.encode(plaintext) });
    let answer = vault.call(Method::POST, &path, Some(&body)).await?;
    field(&answer, "ciphertext", &path)
}

pub async fn decrypt(vault: &Vault, name: &str, ciphertext: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
    let path = format!("{TRANSIT_MOUNT}/decrypt/{name}");
    let answer = vault.call(Method::POST, &path, Some(&json!({ "ciphertext": ciphertext }))).await?;
    let encoded = field(&answer, "plaintext", &path)?;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| VaultError::Unexpected { path, reason: "the plaintext is not base64".into() })
}

/// The same data under the latest key version, without it leaving Vault.
pub async fn rewrap(vault: &Vault, name: &str, ciphertext: &str) -> Result<String, VaultError> {
    let path = format!("{TRANSIT_MOUNT}/rewrap/{name}");
    let answer = vault.call(Method::POST, &path, Some(&json!({ "ciphertext": ciphertext }))).await?;
    field(&answer, "ciphertext", &path)
}

fn field(answer: &Option<serde_json::Value>, name: &str, path: &str) -> Result<String, VaultError> {
    answer
        .as_ref()
        .and_then(|a| a.pointer(&format!("/data/{name}")))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| VaultError::Unexpected { path: path.into(), reason: format!("no {name} in the answer") })
}

/// A fresh data key for envelope encryption: the key itself (use it in memory, never store it)
/// and the same key wrapped by the transit key (store that).
pub struct DataKey {
    pub plaintext: zeroize::Zeroizing<Vec<u8>>,
    pub wrapped: String,
}

pub async fn data_key(vault: &Vault, name: &str) -> Result<DataKey, VaultError> {
    let path = format!("{TRANSIT_MOUNT}/datakey/plaintext/{name}");
    let answer = vault.call(Method::POST, &path, Some(&json!({ "bits": 256 }))).await?;
    let plaintext = field(&answer, "plaintext", &path)?;
    let plaintext = base64::engine::general_purpose::STANDARD
        .decode(plaintext)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| VaultError::Unexpected { path: path.clone(), reason: "the key is not base64".into() })?;
    Ok(DataKey { plaintext, wrapped: field(&answer, "ciphertext", &path)? })
}
