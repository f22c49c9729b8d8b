//! The one crate that speaks to Vault: OpenBao by default, HashiCorp Vault as well (same HTTP
//! API). msting bootstraps, unseals and administers Vault through it; stingd logs in with its
//! AppRole and reads its secrets through it. `vaultrs` does the calls it wraps (KV v2, AppRole,
//! transit, policies, tokens); the rest (init, seal status, unseal, rekey, response wrapping,
//! raft snapshots) are plain HTTP calls in [`client`].
//!
//! Every secret that passes through here is a [`Secret`]: never printed by `Debug`, wiped from
//! memory when dropped, and never part of an error message.

pub mod approle;
pub mod bootstrap;
pub mod client;
pub mod error;
pub mod kv;
pub mod policy;
pub mod recovery;
pub mod rekey;
pub mod seal;
pub mod secret;
pub mod server;
pub mod transit;

pub use client::{Connection, Vault};
pub use error::VaultError;
pub use secret::Secret;
