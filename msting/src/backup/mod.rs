//! Backups of everything needed to bring STING back (databases, Vault's storage, the config
//! and certificates), in one file that is encrypted by default, and their retention.
//! `archive` is the only module that knows the file's format.

pub mod archive;
pub mod catalog;
pub mod create;
pub mod manifest;
pub mod protection;
pub mod prune;
pub mod restore;
