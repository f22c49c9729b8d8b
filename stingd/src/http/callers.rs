//! Who is calling: the API keys the gateway accepts, and a stable, non-secret name for each
//! (the start of the key's sha256), used for per-caller caches, rate limits and audit records.
//! The identity issue replaces these keys with users and tokens; the `Caller` stays.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The caller of a request, as its handlers see it (a request extension): whom rate limits,
/// cached answers and prompt caches belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A signed-in user (by session or API token): limits and cache entries follow the person.
    User(uuid::Uuid),
    /// A gateway key, by the first 6 bytes of its sha256: safe to log, stable across restarts.
    Key([u8; 6]),
}

impl Caller {
    /// The account behind the request, if it is a person's.
    pub fn user_id(&self) -> Option<uuid::Uuid> {
        match self {
            Self::User(id) => Some(*id),
            Self::Key(_) => None,
        }
    }
}

/// How logs, the audit trail and metrics name it: `user:<uuid>` or `key:<12 hex digits>`.
impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Key(digest) => {
                f.write_str("key:")?;
                digest.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
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
            let mut id = [0u8; 6];
            id.copy_from_slice(&digest[..6]);
            keys.push((key.as_bytes().to_vec(), Caller::Key(id)));
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
                found = Some(*caller);
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
        let name = a.to_string();
        assert!(name.starts_with("key:") && name.len() == 16, "{name}");
        assert!(keys.identify(b"aaaaaaaaaaaaaaaa").is_none());
        assert!(ApiKeys::parse("short").is_err());
        assert!(ApiKeys::parse(" , ").is_err());
    }
}
