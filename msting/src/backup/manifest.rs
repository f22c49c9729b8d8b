//! What a backup says about itself: the STING version, when and where it was made, whether it
//! is encrypted, how Vault is unsealed after a restore, and each entry's size and sha256. The
//! manifest is the archive's last entry (the checksums are known only then) and is also kept
//! beside the file, so `backup list` reads no archive.

use serde::{Deserialize, Serialize};

/// Bumped when a reader of an older msting could no longer restore the archive.
pub const FORMAT: u32 = 1;
/// The manifest's name inside the archive.
pub const NAME: &str = "manifest.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub sting_version: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub host: String,
    pub project: String,
    pub encrypted: bool,
    pub unseal: Unseal,
    pub entries: Vec<Entry>,
}

/// What a new host needs to unseal the restored Vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unseal {
    /// The auto-unseal key is in the archive (`vault/unseal.key`; encrypted backups only).
    KeyIncluded,
    /// Manual mode: the holders of the key shares unseal it (`msting unseal`).
    ShareHolders,
    /// A plain backup: the unseal key was left out; it must come from the old host.
    KeyLeftOut,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }

    pub fn total_size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}
