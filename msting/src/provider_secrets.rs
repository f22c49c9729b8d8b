//! API keys of outside providers (openai, anthropic, huggingface, smtp, any name), kept in
//! Vault at `providers/<provider>` with one value per name (`api_key` unless told otherwise).
//! Values go in from a prompt or stdin and come out masked; they never pass through argv.

use std::collections::BTreeMap;

use anyhow::bail;
use serde::Serialize;
use sting_vault::{Secret, Vault, VaultError, kv};

/// The name a value gets when none is given.
pub const DEFAULT_NAME: &str = "api_key";

/// Provider and value names: lowercase letters, digits, `-` and `_`, 1 to 64 of them, so they
/// are safe as Vault paths and in messages.
pub fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!("`{name}` is not a {what} name: use lowercase letters, digits, `-` and `_` (at most 64)");
    }
    Ok(())
}

/// A value as `get` shows it without `--reveal`: its length and, for long values, the last
/// four characters (enough to tell two keys apart, too little to use one).
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    if count >= 20 {
        let tail: String = value.chars().skip(count - 4).collect();
        format!("••••{tail} ({count} characters)")
    } else {
        format!("•••• ({count} characters)")
    }
}

fn path(provider: &str) -> String {
    format!("providers/{provider}")
}

#[derive(Serialize)]
pub struct ProviderEntry {
    pub provider: String,
    /// The names of its values, never the values.
    pub names: Vec<String>,
}

pub async fn list(vault: &Vault, mount: &str) -> Result<Vec<ProviderEntry>, VaultError> {
    let mut entries = Vec::new();
    for provider in kv::list(vault, mount, "providers/").await? {
        let provider = provider.trim_end_matches('/').to_string();
        let names = kv::get(vault, mount, &path(&provider)).await?.map(|v| v.into_keys().collect()).unwrap_or_default();
        entries.push(ProviderEntry { provider, names });
    }
    Ok(entries)
}

pub async fn get(vault: &Vault, mount: &str, provider: &str, name: &str) -> anyhow::Result<Secret> {
    let values = kv::get(vault, mount, &path(provider)).await?;
    match values.and_then(|mut v| v.remove(name)) {
        Some(value) => Ok(value),
        None => bail!("no `{name}` stored for {provider}: store one with `msting vault-secret set {provider} {name}`"),
    }
}

/// Stores `value` as `name` of `provider`, keeping its other values (check-and-set, so a
/// concurrent change is not overwritten). Returns the new version.
pub async fn set(vault: &Vault, mount: &str, provider: &str, name: &str, value: Secret) -> anyhow::Result<u32> {
    let version = kv::version(vault, mount, &path(provider)).await?;
    let mut values: BTreeMap<String, Secret> = kv::get(vault, mount, &path(provider)).await?.unwrap_or_default();
    values.insert(name.to_string(), value);
    Ok(kv::put(vault, mount, &path(provider), &values, Some(version)).await?)
}

/// Removes one value, or the provider with every value and version when `name` is `None`.
/// Returns whether anything was there.
pub async fn remove(vault: &Vault, mount: &str, provider: &str, name: Option<&str>) -> anyhow::Result<bool> {
    let Some(mut values) = kv::get(vault, mount, &path(provider)).await? else { return Ok(false) };
    match name {
        None => {
            kv::remove(vault, mount, &path(provider)).await?;
            Ok(true)
        }
        Some(name) => {
            if values.remove(name).is_none() {
                return Ok(false);
            }
            if values.is_empty() {
                kv::remove(vault, mount, &path(provider)).await?;
            } else {
                let version = kv::version(vault, mount, &path(provider)).await?;
                kv::put(vault, mount, &path(provider), &values, Some(version)).await?;
            }
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_path_safe() {
        for good in ["openai", "hugging_face", "smtp-2", "x"] {
            assert!(check_name("provider", good).is_ok(), "{good}");
        }
        for bad in ["", "OpenAI", "../etc", "a/b", "with space", &"a".repeat(65)] {
            assert!(check_name("provider", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_masked_value_shows_its_length_and_at_most_its_last_four_characters() {
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz1234";
        let masked = mask(key);
        assert_eq!(masked, format!("••••1234 ({} characters)", key.len()));
        assert!(!masked.contains("sk-proj"));
        assert_eq!(mask("short-password"), "•••• (14 characters)");
    }
}
