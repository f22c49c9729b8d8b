//! The server side: OpenBao's configuration file (raft storage, one listener, the static-key
//! auto-unseal, a file audit device) and the static unseal key itself. OpenBao refuses to add
//! audit devices through its API, so the device is declared here.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::VaultError;

/// The key file's name inside its folder.
pub const STATIC_KEY_FILE: &str = "unseal.key";
/// The id OpenBao records for the static key (a new id when the key is rotated).
pub const STATIC_KEY_ID: &str = "sting-1";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Raft's data folder.
    pub storage_dir: PathBuf,
    pub listen: SocketAddr,
    pub cluster_listen: SocketAddr,
    /// The address other nodes reach this one at, when the listener's is not one (`0.0.0.0`
    /// in a container); `None` uses the listener's.
    pub cluster_addr: Option<String>,
    /// The address clients are told to use (`https://127.0.0.1:8200`).
    pub api_addr: String,
    /// Certificate and key (PEM); `None` serves plain HTTP, for a loopback test server only.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The static unseal key file; `None` is Shamir (manual) sealing.
    pub static_key: Option<PathBuf>,
    /// Where the audit device writes.
    pub audit_file: PathBuf,
}

impl ServerConfig {
    /// OpenBao's HCL configuration.
    pub fn render(&self) -> String {
        let quoted = |p: &Path| serde_json::to_string(&p.display().to_string()).expect("a string");
        // Raft's fastest timing (multiplier 1), which its documentation recommends for
        // production: a single node then elects itself in about a second, not six.
        let mut text = format!(
            "storage \"raft\" {{\n  path = {}\n  node_id = \"sting\"\n  performance_multiplier = 1\n}}\n\n",
            quoted(&self.storage_dir)
        );
        text.push_str(&format!(
            "listener \"tcp\" {{\n  address = \"{}\"\n  cluster_address = \"{}\"\n",
            self.listen, self.cluster_listen
        ));
        match &self.tls {
            Some((cert, key)) => text.push_str(&format!(
                "  tls_cert_file = {}\n  tls_key_file = {}\n  tls_min_version = \"tls12\"\n",
                quoted(cert),
                quoted(key)
            )),
            None => text.push_str("  tls_disable = true\n"),
        }
        text.push_str("}\n\n");
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let cluster_addr = self.cluster_addr.clone().unwrap_or_else(|| format!("{scheme}://{}", self.cluster_listen));
        text.push_str(&format!(
            "api_addr = \"{}\"\ncluster_addr = \"{cluster_addr}\"\ndisable_mlock = true\nui = false\n\n",
            self.api_addr
        ));
        if let Some(key) = &self.static_key {
            text.push_str(&format!(
                "seal \"static\" {{\n  current_key_id = \"{STATIC_KEY_ID}\"\n  current_key = {}\n}}\n\n",
                serde_json::to_string(&format!("file://{}", key.display())).expect("a string")
            ));
        }
        text.push_str(&format!(
            "audit \"file\" \"sting\" {{\n  options {{\n    file_path = {}\n    mode = \"0600\"\n  }}\n}}\n",
            quoted(&self.audit_file)
        ));
        text
    }
}

/// Creates the static unseal key in `dir` (a 0700 folder; the key 0400), from the operating
/// system's CSPRNG. An existing key is kept: replacing it would make Vault's data unreadable.
pub fn ensure_static_key(dir: &Path) -> Result<PathBuf, VaultError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| VaultError::File { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    let path = dir.join(STATIC_KEY_FILE);
    if path.exists() {
        let len = std::fs::metadata(&path).map_err(io(&path))?.len();
        if len != 32 {
            return Err(VaultError::Refused {
                what: format!("the unseal key {}", path.display()),
                reason: format!("it holds {len} bytes, not 32; restore it from a backup rather than replacing it"),
            });
        }
        return Ok(path);
    }
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *key).expect("the operating system's random source failed");
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o400).open(&path).map_err(io(&path))?;
    file.write_all(&*key).and_then(|()| file.sync_all()).map_err(io(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_key_is_root_only_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let path = ensure_static_key(&keys).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&keys), mode(&path)), (0o700, 0o400));
        let first = std::fs::read(&path).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(ensure_static_key(&keys).unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), first, "a second run keeps the key");
    }

    #[test]
    fn the_config_declares_raft_the_seal_and_the_audit_device() {
        let config = ServerConfig {
            storage_dir: "/vault/data".into(),
            listen: "0.0.0.0:8200".parse().unwrap(),
            cluster_listen: "127.0.0.1:8201".parse().unwrap(),
            cluster_addr: None,
            api_addr: "https://127.0.0.1:8200".into(),
            tls: Some(("/vault/tls/cert.pem".into(), "/vault/tls/key.pem".into())),
            static_key: Some("/vault/keys/unseal.key".into()),
            audit_file: "/vault/logs/audit.log".into(),
        };
        let text = config.render();
        for needle in [
            "storage \"raft\"",
            "path = \"/vault/data\"",
            "performance_multiplier = 1",
            "tls_cert_file = \"/vault/tls/cert.pem\"",
            "current_key = \"file:///vault/keys/unseal.key\"",
            "audit \"file\" \"sting\"",
            "cluster_addr = \"https://127.0.0.1:8201\"",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        assert!(!ServerConfig { static_key: None, tls: None, ..config }.render().contains("seal \"static\""));
    }
}
