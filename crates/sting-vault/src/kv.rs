//! The stack's secrets in KV v2: read, write, list, remove, and `vault-ref:PATH#KEY` resolution.

use std::collections::BTreeMap;

use sting_config::SecretRef;
use vaultrs::api::kv2::requests::SetSecretRequestOptions;

use crate::{Secret, Vault, VaultError};

/// The keys and values at `path`, or `None` when nothing is there.
pub async fn get(vault: &Vault, mount: &str, path: &str) -> Result<Option<BTreeMap<String, Secret>>, VaultError> {
    let client = vault.vaultrs()?;
    match vaultrs::kv2::read::<BTreeMap<String, String>>(&client, mount, path).await {
        Ok(map) => Ok(Some(map.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())),
        Err(e) => match vault.map_vaultrs_error(&format!("{mount}/{path}"), e) {
            VaultError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// Writes `values` at `path` as a new version. With `only_if_version`, only if the current
/// version is that one (`0`: only if nothing is there), so a concurrent write is not lost.
pub async fn put(
    vault: &Vault,
    mount: &str,
    path: &str,
    values: &BTreeMap<String, Secret>,
    only_if_version: Option<u32>,
) -> Result<u32, VaultError> {
    let client = vault.vaultrs()?;
    let plain: BTreeMap<&str, &str> = values.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
    let result = match only_if_version {
        Some(cas) => {
            vaultrs::kv2::set_with_options(&client, mount, path, &plain, SetSecretRequestOptions { cas }).await
        }
        None => vaultrs::kv2::set(&client, mount, path, &plain).await,
    };
    result.map(|meta| meta.version as u32).map_err(|e| match vault.map_vaultrs_error(&format!("{mount}/{path}"), e) {
        VaultError::Api { status: 400, message, .. } if message.contains("check-and-set") => VaultError::Refused {
            what: format!("writing {mount}/{path}"),
            reason: "it changed meanwhile (or already exists): read it again first".into(),
        },
        other => other,
    })
}

/// The current version of `path` (0 when nothing is there).
pub async fn version(vault: &Vault, mount: &str, path: &str) -> Result<u32, VaultError> {
    let client = vault.vaultrs()?;
    match vaultrs::kv2::read_metadata(&client, mount, path).await {
        Ok(meta) => Ok(meta.current_version as u32),
        Err(e) => match vault.map_vaultrs_error(&format!("{mount}/{path}"), e) {
            VaultError::NotFound { .. } => Ok(0),
            other => Err(other),
        },
    }
}

/// The names under `prefix` (folders end in `/`); empty when there are none.
pub async fn list(vault: &Vault, mount: &str, prefix: &str) -> Result<Vec<String>, VaultError> {
    let client = vault.vaultrs()?;
    match vaultrs::kv2::list(&client, mount, prefix).await {
        Ok(names) => Ok(names),
        Err(e) => match vault.map_vaultrs_error(&format!("{mount}/{prefix}"), e) {
            VaultError::NotFound { .. } => Ok(Vec::new()),
            other => Err(other),
        },
    }
}

/// Removes `path` with every version of it.
pub async fn remove(vault: &Vault, mount: &str, path: &str) -> Result<(), VaultError> {
    let client = vault.vaultrs()?;
    vaultrs::kv2::delete_metadata(&client, mount, path)
        .await
        .map_err(|e| vault.map_vaultrs_error(&format!("{mount}/{path}"), e))
}

/// The value a `vault-ref:PATH#KEY` names.
pub async fn resolve(vault: &Vault, mount: &str, reference: &SecretRef) -> Result<Secret, VaultError> {
    let missing = || VaultError::NotFound { path: format!("{mount}/{}#{}", reference.path, reference.key) };
    let values = get(vault, mount, &reference.path).await?.ok_or_else(missing)?;
    values.get(&reference.key).cloned().ok_or_else(missing)
}
