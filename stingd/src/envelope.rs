//! Envelope encryption for what stingd keeps (documents, their chunks, conversations): each
//! document gets its own AES-256-GCM data key from Vault's transit engine. Only the key wrapped
//! by the transit key is stored; the key itself lives in memory while the data is being written
//! or read. Without Vault nothing can be sealed or opened: storage fails closed.
//!
//! This module owns every value sealed under the transit key, whatever feature stores it: after
//! a rotation, [`rewrap_all`] wraps them all again.
//!
//! A sealed value is a 12-byte random nonce followed by the ciphertext and its tag. The
//! associated data ties each value to its place (a document's id, a chunk's number), so a value
//! copied elsewhere does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sting_vault::policy::STINGD_TRANSIT_KEY;
use sting_vault::{Vault, VaultError, transit};

const NONCE: usize = 12;

/// Data keys already opened, so that reading a document again costs no Vault round trip. Kept
/// in memory only, for a while and up to a number, by document.
pub struct KeyCache {
    keys: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (std::sync::Arc<Sealer>, std::time::Instant)>>,
    ttl: std::time::Duration,
    capacity: usize,
}

impl KeyCache {
    pub fn new(ttl: std::time::Duration, capacity: usize) -> Self {
        Self { keys: Default::default(), ttl, capacity }
    }

    /// The sealer of `document`, opening `wrapped` through Vault if it is not at hand.
    pub async fn sealer(
        &self,
        vault: &Vault,
        document: uuid::Uuid,
        wrapped: &str,
    ) -> Result<std::sync::Arc<Sealer>, EnvelopeError> {
        let now = std::time::Instant::now();
        if let Some((sealer, at)) = self.keys.lock().expect("key cache lock").get(&document) {
            if now.duration_since(*at) < self.ttl {
                return Ok(sealer.clone());
            }
        }
        let sealer = std::sync::Arc::new(Sealer::open_key(vault, wrapped).await?);
        let mut keys = self.keys.lock().expect("key cache lock");
        if keys.len() >= self.capacity {
            keys.retain(|_, (_, at)| now.duration_since(*at) < self.ttl);
            if keys.len() >= self.capacity {
                keys.clear();
            }
        }
        keys.insert(document, (sealer.clone(), now));
        Ok(sealer)
    }

    /// Keeps a key just made (so the next step does not ask Vault to unwrap it again).
    pub fn remember(&self, id: uuid::Uuid, sealer: std::sync::Arc<Sealer>) {
        self.keys.lock().expect("key cache lock").insert(id, (sealer, std::time::Instant::now()));
    }

    /// Forgets a document's key (the document is gone).
    pub fn forget(&self, document: uuid::Uuid) {
        self.keys.lock().expect("key cache lock").remove(&document);
    }
}

/// After the transit key is rotated (`msting encryption-keys rotate`): every data key (of
/// documents and of conversations), and every sealed TOTP secret, wrapped again under the newest key version, inside Vault (the
/// plain key never leaves it). Returns how many were rewrapped and how many were already current.
pub async fn rewrap_all(pool: &sqlx::PgPool, vault: &Vault) -> Result<(usize, usize), EnvelopeError> {
    let key = sting_vault::policy::STINGD_TRANSIT_KEY;
    let latest = sting_vault::transit::status(vault, key).await?.latest_version;
    let newest = format!("vault:v{latest}:");
    let (mut rewrapped, mut current) = (0, 0);
    // Data keys, and TOTP secrets (sealed by the transit key itself).
    for (table, id, column) in [
        ("documents", "id", "wrapped_key"),
        ("conversations", "id", "wrapped_key"),
        ("totp_factors", "user_id", "sealed_secret"),
        ("totp_factors", "user_id", "sealed_pending"),
    ] {
        let rows: Vec<(uuid::Uuid, String)> =
            sqlx::query_as(&format!("SELECT {id}, {column} FROM {table} WHERE {column} IS NOT NULL"))
                .fetch_all(pool)
                .await?;
        for (row, sealed) in rows {
            if sealed.starts_with(&newest) {
                current += 1;
                continue;
            }
            let fresh = sting_vault::transit::rewrap(vault, key, &sealed).await?;
            // Only if nobody changed it meanwhile (a delete, another rewrap).
            sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE {id} = $2 AND {column} = $3"))
                .bind(&fresh)
                .bind(row)
                .bind(&sealed)
                .execute(pool)
                .await?;
            rewrapped += 1;
        }
    }
    Ok((rewrapped, current))
}

pub struct Sealer {
    cipher: Aes256Gcm,
}

/// Fails unless Vault is unsealed. Opened keys may still be in memory, but a sealed Vault means
/// nobody is to read: callers that may use cached keys ask first.
pub async fn require_unsealed(vault: &Vault) -> Result<(), EnvelopeError> {
    if sting_vault::seal::status(vault).await?.sealed {
        return Err(VaultError::Sealed { address: vault.address().into() }.into());
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the stored data does not open with its key: it was changed, or belongs elsewhere")]
    Tampered,
    #[error("the data key is not 256 bits")]
    BadKey,
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl Sealer {
    fn from_key(key: &[u8]) -> Result<Self, EnvelopeError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| EnvelopeError::BadKey)?;
        Ok(Self { cipher })
    }

    /// A new data key: the sealer, and the wrapped key to store beside the data.
    pub async fn create(vault: &Vault) -> Result<(Self, String), EnvelopeError> {
        let key = transit::data_key(vault, STINGD_TRANSIT_KEY).await?;
        Ok((Self::from_key(&key.plaintext)?, key.wrapped))
    }

    /// The sealer for a stored wrapped key.
    pub async fn open_key(vault: &Vault, wrapped: &str) -> Result<Self, EnvelopeError> {
        let key = transit::decrypt(vault, STINGD_TRANSIT_KEY, wrapped).await?;
        Self::from_key(&key)
    }

    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context })
            .expect("AES-GCM encrypts any input under 64 GiB");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, EnvelopeError> {
        if sealed.len() < NONCE {
            return Err(EnvelopeError::Tampered);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context })
            .map(zeroize::Zeroizing::new)
            .map_err(|_| EnvelopeError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_its_context() {
        let sealer = Sealer::from_key(&[7u8; 32]).unwrap();
        let sealed = sealer.seal(b"Queen bee notes", b"doc-1");
        assert!(!sealed.windows(5).any(|w| w == b"Queen"), "no plaintext in the sealed bytes");
        assert_eq!(&*sealer.open(&sealed, b"doc-1").unwrap(), b"Queen bee notes");
        assert_ne!(sealer.seal(b"Queen bee notes", b"doc-1"), sealed, "a fresh nonce each time");
        assert!(matches!(sealer.open(&sealed, b"doc-2"), Err(EnvelopeError::Tampered)), "another place");
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(matches!(sealer.open(&changed, b"doc-1"), Err(EnvelopeError::Tampered)));
        let other = Sealer::from_key(&[8u8; 32]).unwrap();
        assert!(matches!(other.open(&sealed, b"doc-1"), Err(EnvelopeError::Tampered)), "another key");
        assert!(matches!(Sealer::from_key(&[1u8; 16]), Err(EnvelopeError::BadKey)));
    }
}
