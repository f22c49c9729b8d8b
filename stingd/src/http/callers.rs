//! Who is calling: the API keys the gateway accepts, and a stable, non-secret name for each
//! (the start of the key's sha256), used for per-caller caches, rate limits and audit records.
//! The identity issue replaces these keys with users and tokens; the `Caller` stays.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The caller of a request, as its handlers see it (a request extension).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// `key:` and 12 hex digits of the key's sha256: safe to log, stable across restarts.
    pub id: Arc<str>,
}

impl Caller {
    /// A signed-in user (by session or API token): limits and cache entries follow the person.
    pub fn user(id: uuid::Uuid) -> Self {
        Self { id: format!("user:{id}").into() }
    }
}

pub struct ApiKeys {
    keys: Vec<(Vec<u8>, Caller)>,
}

impl ApiKeys {
    /// Keys separated by commas, as `STING_API_KEY` may hold several.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            if key.len() < 16 {
                return Err("every API key needs at least 16 random characters (e.g. `openssl rand -hex 32`)".into());
            }
            let digest = Sha256::digest(key.as_bytes());
            let id = format!("key:{}", digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>());
            keys.push((key.as_bytes().to_vec(), Caller { id: id.into() }));
        }
        if keys.is_empty() {
            return Err("no API key given".into());
        }
        Ok(Self { keys })
    }

    /// The caller whose key this is. Compares in constant time against every key, so timing
    /// tells nothing about which key nearly matched.
    pub fn identify(&self, presented: &[u8]) -> Option<Caller> {
        let mut found = None;
        for (key, caller) in &self.keys {
            if bool::from(key.as_slice().ct_eq(presented)) {
                found = Some(caller.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_keys_name_distinct_callers_and_short_keys_are_refused() {
        let keys = ApiKeys::parse("aaaaaaaaaaaaaaaa1, bbbbbbbbbbbbbbbb2").unwrap();
        let a = keys.identify(b"aaaaaaaaaaaaaaaa1").unwrap();
        let b = keys.identify(b"bbbbbbbbbbbbbbbb2").unwrap();
        assert_ne!(a, b);
        assert!(a.id.starts_with("key:") && a.id.len() == 16);
        assert!(keys.identify(b"aaaaaaaaaaaaaaaa").is_none());
        assert!(ApiKeys::parse("short").is_err());
        assert!(ApiKeys::parse(" , ").is_err());
    }
}
