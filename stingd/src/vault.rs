//! stingd and Vault. stingd logs in with its own AppRole from the files msting mounts read-only
//! (`role-id`, and `secret-id`: a response-wrapped, single-use token), keeps the resulting
//! token in a 0600 file of its own so that a restart needs no new secret-id while the token
//! lives, and renews it at half its lease. It then reads what it needs: its database login, the
//! SMTP password and remote models' keys named by `vault-ref:` in the config.
//!
//! While Vault is sealed or unreachable stingd waits, with backoff, and says so on
//! `/health/ready`; it never exits over it (a restart loop helps nobody) and never uses anything
//! kept in the clear instead.

use std::collections::HashMap;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, bail};
use sting_config::{Config, SecretRef};
use sting_vault::{Connection, Secret, Vault, VaultError, approle, kv};

use crate::db::DatabaseLogin;
use crate::phase::{Awaited, Phases};
use crate::tasks::Tasks;

/// Where Vault is (inside the stack's network, `https://vault:8200`).
pub const ADDRESS_VAR: &str = "STING_VAULT_ADDR";
/// The CA certificate that signed Vault's.
pub const CA_VAR: &str = "STING_VAULT_CACERT";
/// The folder msting mounts read-only, holding `role-id` and `secret-id`.
pub const AUTH_DIR_VAR: &str = "STING_VAULT_AUTH_DIR";
/// Where stingd keeps its token between restarts [default: DATA_DIR/stingd/vault-token].
pub const TOKEN_FILE_VAR: &str = "STING_VAULT_TOKEN_FILE";
pub const ROLE_ID_FILE: &str = "role-id";
pub const SECRET_ID_FILE: &str = "secret-id";

#[derive(Clone, Debug)]
pub struct Settings {
    pub connection: Connection,
    pub auth_dir: PathBuf,
    pub token_file: PathBuf,
    pub kv_mount: String,
}

impl Settings {
    /// From the environment; `None` when no Vault is named (a standalone stingd).
    pub fn from_env(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(address) = std::env::var(ADDRESS_VAR).ok().filter(|a| !a.is_empty()) else { return Ok(None) };
        let Some(auth_dir) = std::env::var_os(AUTH_DIR_VAR).map(PathBuf::from) else {
            bail!(
                "{ADDRESS_VAR} is set but {AUTH_DIR_VAR} is not: name the folder holding stingd's role-id and secret-id"
            );
        };
        let token_file = std::env::var_os(TOKEN_FILE_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| config.paths.data_dir.join("stingd/vault-token"));
        Ok(Some(Self {
            connection: Connection { address, ca_file: std::env::var_os(CA_VAR).map(PathBuf::from) },
            auth_dir,
            token_file,
            kv_mount: config.vault.kv_mount.clone(),
        }))
    }
}

/// The logged-in client, replaced when stingd has to log in again.
#[derive(Clone)]
pub struct Session(Arc<RwLock<Vault>>);

impl Session {
    pub fn vault(&self) -> Vault {
        self.0.read().expect("vault session lock").clone()
    }
}

/// The longest wait between attempts: Vault is on this host, so it is worth asking often.
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// Backoff between attempts: doubling from 1 s to [`MAX_DELAY`].
fn next_delay(delay: Duration) -> Duration {
    (delay * 2).min(MAX_DELAY)
}

/// Logs in, retrying until it works. Each failure is logged and shown on `/health/ready`.
pub async fn log_in<A: Clone + Send + Sync + 'static>(
    settings: &Settings,
    phases: &Phases<A>,
    tasks: &Tasks,
) -> Session {
    let mut delay = Duration::from_secs(1);
    loop {
        match try_log_in(settings).await {
            Ok((vault, lease)) => {
                let session = Session(Arc::new(RwLock::new(vault)));
                tasks.spawn_until_shutdown(keep_renewed(session.clone(), lease, settings.clone(), phases.clone()));
                return session;
            }
            Err(error) => {
                let reason = format!("waiting for Vault: {error:#}");
                tracing::warn!(retry_in = ?delay, "{reason}");
                phases.waiting(Awaited::Vault, reason);
                tokio::time::sleep(delay).await;
                delay = next_delay(delay);
            }
        }
    }
}

/// One login attempt, for a command that should fail rather than wait (`stingd admin rewrap`).
pub async fn log_in_now(settings: &Settings) -> anyhow::Result<Vault> {
    Ok(try_log_in(settings).await?.0)
}

async fn try_log_in(settings: &Settings) -> anyhow::Result<(Vault, Duration)> {
    let vault = Vault::new(settings.connection.clone())?;
    let status = sting_vault::seal::status(&vault).await?;
    if !status.initialized {
        return Err(VaultError::NotInitialised { address: vault.address().into() }.into());
    }
    if status.sealed {
        return Err(VaultError::Sealed { address: vault.address().into() }.into());
    }
    // The token kept from an earlier run, if it still lives.
    if let Some(token) = read_secret_file(&settings.token_file)? {
        let kept = vault.with_token(token);
        match approle::renew_self(&kept).await {
            Ok(login) => return Ok((kept, login.lease)),
            Err(error) if error.is_transient() => return Err(error.into()),
            Err(_) => tracing::info!("the kept Vault token has expired: logging in with the secret-id"),
        }
    }
    let role_id = read_secret_file(&settings.auth_dir.join(ROLE_ID_FILE))?
        .with_context(|| format!("no {ROLE_ID_FILE} in {}", settings.auth_dir.display()))?;
    let wrapped = read_secret_file(&settings.auth_dir.join(SECRET_ID_FILE))?
        .with_context(|| format!("no {SECRET_ID_FILE} in {}", settings.auth_dir.display()))?;
    let login = approle::login_wrapped(&vault, role_id.expose(), &wrapped).await.with_context(|| {
        format!(
            "the secret-id in {} cannot be used (each is opened once): issue a new one with `msting vault credentials stingd`",
            settings.auth_dir.display()
        )
    })?;
    write_token_file(&settings.token_file, &login.token)?;
    Ok((vault.with_token(login.token), login.lease))
}

/// Renews the token at half its lease; if it is lost, logs in again.
async fn keep_renewed<A: Clone>(session: Session, mut lease: Duration, settings: Settings, phases: Phases<A>) {
    loop {
        tokio::time::sleep((lease / 2).max(Duration::from_secs(5))).await;
        match approle::renew_self(&session.vault()).await {
            Ok(login) => lease = login.lease,
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "cannot renew the Vault token yet");
                lease = Duration::from_secs(20);
            }
            Err(error) => {
                tracing::warn!(%error, "the Vault token is no longer valid: logging in again");
                let _ = std::fs::remove_file(&settings.token_file);
                let fresh = log_in_once_more(&settings, &phases).await;
                *session.0.write().expect("vault session lock") = fresh.0;
                lease = fresh.1;
                phases.recovered();
            }
        }
    }
}

async fn log_in_once_more<A: Clone>(settings: &Settings, phases: &Phases<A>) -> (Vault, Duration) {
    let mut delay = Duration::from_secs(1);
    loop {
        match try_log_in(settings).await {
            Ok(fresh) => return fresh,
            Err(error) => {
                phases.waiting(Awaited::Vault, format!("waiting for Vault: {error:#}"));
                tokio::time::sleep(delay).await;
                delay = next_delay(delay);
            }
        }
    }
}

fn read_secret_file(path: &Path) -> anyhow::Result<Option<Secret>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = Secret::new(text);
            let trimmed = text.expose().trim();
            Ok((!trimmed.is_empty()).then(|| Secret::new(trimmed)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_token_file(path: &Path, token: &Secret) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().context("the token file has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict {}", dir.display()))?;
    let tmp = dir.join(".vault-token.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(token.expose().as_bytes()).and_then(|()| file.sync_all())?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The database login: the password the config's reference names, and the user name kept
/// beside it in Vault (`username`) or else the config's `database.user`.
pub async fn database_login(vault: &Vault, mount: &str, config: &Config) -> Result<DatabaseLogin, VaultError> {
    let reference = &config.database.password;
    let values = kv::get(vault, mount, &reference.path)
        .await?
        .ok_or_else(|| VaultError::NotFound { path: format!("{mount}/{}", reference.path) })?;
    let password = values
        .get(&reference.key)
        .cloned()
        .ok_or_else(|| VaultError::NotFound { path: format!("{mount}/{}#{}", reference.path, reference.key) })?;
    let username =
        values.get("username").map(|u| u.expose().to_string()).unwrap_or_else(|| config.database.user.clone());
    Ok(DatabaseLogin { username, password })
}

/// The other secrets the config names by reference.
pub struct ConfigSecrets {
    pub smtp_password: Option<Secret>,
    /// By model name.
    pub remote_keys: HashMap<String, Secret>,
}

pub async fn config_secrets(vault: &Vault, mount: &str, config: &Config) -> Result<ConfigSecrets, VaultError> {
    let smtp_password = match &config.auth.smtp.password {
        Some(reference) => Some(resolve(vault, mount, reference).await?),
        None => None,
    };
    let mut remote_keys = HashMap::new();
    for model in &config.llm.models {
        if let Some(reference) = model.remote.as_ref().and_then(|r| r.api_key.as_ref()) {
            remote_keys.insert(model.name.clone(), resolve(vault, mount, reference).await?);
        }
    }
    Ok(ConfigSecrets { smtp_password, remote_keys })
}

async fn resolve(vault: &Vault, mount: &str, reference: &SecretRef) -> Result<Secret, VaultError> {
    kv::resolve(vault, mount, reference).await
}

/// Follows the database login in Vault: when it changes (a rotation), new connections use the
/// new one; connections already open keep working.
pub async fn follow_database_login(
    session: Session,
    pool: sqlx::PgPool,
    mount: String,
    config: Arc<Config>,
    mut current: DatabaseLogin,
    every: Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        match database_login(&session.vault(), &mount, &config).await {
            Ok(login) if login != current => {
                tracing::info!(user = %login.username, "the database login changed in Vault: new connections use it");
                pool.set_connect_options(crate::db::connect_options(&config, &login));
                current = login;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot read the database login from Vault"),
        }
    }
}
