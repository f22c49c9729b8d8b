//! msting's way into Vault: where it is (`services.vault.port` on loopback, or
//! `STING_VAULT_ADDR`), which CA to trust, and the operator's AppRole credentials, kept in a
//! root-only file (0600 in a 0700 folder) under `paths.secrets_dir`. Every command logs in
//! afresh; the token lives minutes (`vault.operator_token_ttl`) and is never written down.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sting_config::Config;
use sting_vault::{Connection, Secret, Vault, approle, bootstrap};

/// Overrides the address (a Vault that is not the stack's own, or a test server).
pub const ADDRESS_VAR: &str = "STING_VAULT_ADDR";
/// Overrides the CA certificate that signed Vault's.
pub const CA_VAR: &str = "STING_VAULT_CACERT";
/// The stack's CA certificate inside `paths.certs_dir`.
pub const CA_FILE: &str = "ca.pem";

pub fn connection(config: &Config) -> Connection {
    let address = std::env::var(ADDRESS_VAR)
        .ok()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| format!("https://127.0.0.1:{}", config.services.vault.port));
    let ca_file = std::env::var_os(CA_VAR)
        .map(PathBuf::from)
        .or_else(|| Some(config.paths.certs_dir.join(CA_FILE)).filter(|p| p.is_file()));
    Connection { address, ca_file }
}

/// The operator's AppRole login, as kept on disk.
#[derive(Serialize, Deserialize)]
pub struct OperatorCredentials {
    pub role_id: String,
    pub secret_id: String,
}

pub fn credentials_path(config: &Config) -> PathBuf {
    config.paths.secrets_dir.join("vault/operator.json")
}

/// Writes the credentials: the folder 0700, the file 0600, replaced atomically.
pub fn save_credentials(path: &Path, role_id: &str, secret_id: &Secret) -> anyhow::Result<()> {
    let dir = path.parent().context("the credentials path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict {}", dir.display()))?;
    let document =
        zeroize_json(&OperatorCredentials { role_id: role_id.into(), secret_id: secret_id.expose().into() })?;
    crate::fsio::atomic_write(path, document.expose().as_bytes(), Some(0o600))
}

/// Where a service's role-id and wrapped secret-id are kept for mounting.
pub fn service_credentials_dir(config: &Config, service: &str) -> PathBuf {
    config.paths.secrets_dir.join("vault").join(service)
}

/// Writes `role-id` and `secret-id` (the wrapping token) into `dir`: the folder 0700, the
/// files 0400, each replaced atomically.
pub fn save_service_credentials(dir: &Path, role_id: &str, wrapped_secret_id: &Secret) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict {}", dir.display()))?;
    crate::fsio::atomic_write(&dir.join("role-id"), role_id.as_bytes(), Some(0o400))?;
    crate::fsio::atomic_write(&dir.join("secret-id"), wrapped_secret_id.expose().as_bytes(), Some(0o400))
}

fn zeroize_json(credentials: &OperatorCredentials) -> anyhow::Result<Secret> {
    Ok(Secret::new(serde_json::to_string_pretty(credentials)?))
}

fn load_credentials(path: &Path) -> anyhow::Result<OperatorCredentials> {
    let metadata = std::fs::metadata(path).map_err(|_| {
        anyhow::anyhow!(
            "no operator credentials at {}: initialise Vault with `msting vault init` (msting install does), or restore them from a backup",
            path.display()
        )
    })?;
    if metadata.permissions().mode() & 0o077 != 0 {
        bail!(
            "{} can be read by others (mode {:o}): run `chmod 600 {}` and rotate the operator secret-id",
            path.display(),
            metadata.permissions().mode() & 0o777,
            path.display()
        );
    }
    let text = Secret::new(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?);
    serde_json::from_str(text.expose())
        .map_err(|_| anyhow::anyhow!("{} is not msting's credentials file", path.display()))
}

/// A Vault client logged in as the operator. A sealed or unreachable Vault is reported as such
/// (with its fix) before any login is tried.
pub async fn operator(config: &Config) -> anyhow::Result<Vault> {
    let vault = Vault::new(connection(config))?;
    let status = sting_vault::seal::status(&vault).await?;
    if !status.initialized {
        return Err(sting_vault::VaultError::NotInitialised { address: vault.address().into() }.into());
    }
    if status.sealed {
        return Err(sting_vault::VaultError::Sealed { address: vault.address().into() }.into());
    }
    bootstrap::wait_until_unsealed(&vault, std::time::Duration::from_secs(10)).await?;
    let credentials = load_credentials(&credentials_path(config))?;
    let login = approle::login(&vault, &credentials.role_id, &Secret::new(credentials.secret_id))
        .await
        .map_err(OperatorLoginRefused)?;
    Ok(vault.with_token(login.token))
}

/// Vault refused msting's operator login (its secret-id expired, or was destroyed by a restore).
#[derive(Debug, thiserror::Error)]
#[error("msting's operator login was refused")]
pub struct OperatorLoginRefused(#[source] pub sting_vault::VaultError);

/// A Vault client logged in as the operator through the certificate login ([`sting_vault::recovery`]):
/// a certificate for the recovery name, signed by the stack's CA, valid ten minutes and never
/// written down. For when the AppRole credentials are gone (a restore onto a new host).
pub async fn recovery_operator(config: &Config) -> anyhow::Result<Vault> {
    let paths = crate::tls::local::paths(config);
    let ca = crate::tls::ca::LocalCa::load(&paths.root_cert, &paths.root_key)
        .context("the certificate login needs the stack's CA and its key")?;
    let name = crate::tls::Name::Dns(sting_vault::recovery::NAME.into());
    let issued = ca.issue(&[name], time::Duration::minutes(10), time::OffsetDateTime::now_utc())?;
    let identity = Secret::new(format!("{}{}", issued.chain_pem, issued.key_pem.as_str()));
    let (vault, _) = sting_vault::recovery::login(connection(config), &identity).await?;
    Ok(vault)
}

/// Replaces msting's operator login with a new secret-id after destroying every older one
/// (those of a backup's time must not work on the restored Vault); `vault` acts as the operator.
pub async fn renew_operator_credentials(config: &Config, vault: &Vault) -> anyhow::Result<()> {
    approle::destroy_secret_ids(vault, bootstrap::OPERATOR_ROLE).await?;
    let (role_id, secret_id) = bootstrap::operator_credentials(vault).await?;
    save_credentials(&credentials_path(config), &role_id, &secret_id)
}

/// A runtime for one command's Vault calls (msting is otherwise synchronous).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")
}
