//! The STING-CE configuration: the typed schema of `config.yml`, loading with validation that
//! reports every problem with file, line, column and key path, and migrations of older files.
//!
//! Shared by msting and stingd, so both read one file the same way. Secrets never appear as
//! values here, only as [`SecretRef`]s (`vault-ref:PATH#KEY`); resolving them is the Vault
//! crate's job.

mod diagnostic;
mod document;
mod edit;
mod expand;
mod load;
mod migrate;
mod schema;
mod semantic;
mod validate;
mod values;

pub use diagnostic::{Code, Diagnostic, Diagnostics, Location};
pub use document::Document;
pub use edit::{Scalar, set_values};
pub use load::{
    AppliedOverride, DEFAULT_CONFIG_YAML, Loaded, Overrides, PATH_OVERRIDES, json_schema, load_file, load_str,
};
pub use migrate::{Migration, OLDEST_VERSION, migrate};
pub use schema::*;
pub use semantic::MAX_MAGIC_LINK_TTL;
pub use values::{
    ByteSize, Duration, GpuLayers, Rate, SecretRef, SecretRefError, VAULT_REF_PREFIX, is_host_label, is_host_name,
};
