//! What can go wrong talking to Vault, each with the fix in its message. No variant carries a
//! request or response body: either could hold a secret.

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("Vault at {address} is sealed: run `msting unseal`")]
    Sealed { address: String },
    #[error("Vault at {address} is not initialised: run `msting install` (it initialises Vault once)")]
    NotInitialised { address: String },
    #[error("Vault at {address} is already initialised: its keys were handed out then, and cannot be issued again")]
    AlreadyInitialised { address: String },
    #[error("cannot reach Vault at {address}: {reason} (is the vault container running? `msting status`)")]
    Unreachable { address: String, reason: String },
    #[error("Vault refused {path}: the token lacks a policy for it, or has expired")]
    Denied { path: String },
    #[error("Vault has nothing at {path}")]
    NotFound { path: String },
    #[error("the key share was not accepted: {reason} (nothing was changed; check the share and try again)")]
    BadShare { reason: String },
    #[error("Vault answered {status} to {path}: {message}")]
    Api { status: u16, path: String, message: String },
    #[error("Vault's answer to {path} was not what its API documents: {reason}")]
    Unexpected { path: String, reason: String },
    #[error("{what} is refused: {reason}")]
    Refused { what: String, reason: String },
    #[error("cannot set up the connection to Vault: {0}")]
    Setup(String),
    #[error("{path}: {source}")]
    File { path: String, source: std::io::Error },
}

impl VaultError {
    /// Sealed or unreachable: the kind of trouble that passes by itself (or with `msting
    /// unseal`), for which a service waits and retries rather than giving up.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Sealed { .. } | Self::Unreachable { .. } | Self::NotInitialised { .. })
    }
}

/// Vault's error messages, shortened: they name paths and reasons, and are cut so that nothing
/// long (and so nothing a caller sent) can ride along.
pub(crate) fn summarise(errors: &[String]) -> String {
    let text = errors.iter().map(|e| e.lines().next().unwrap_or_default()).collect::<Vec<_>>().join("; ");
    if text.chars().count() > 200 { format!("{}…", text.chars().take(200).collect::<String>()) } else { text }
}
