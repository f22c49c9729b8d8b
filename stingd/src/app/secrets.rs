//! The secrets the application is built with: from Vault, or for a standalone stingd from its
//! environment (the database URL only: a `vault-ref` without Vault is an error, not a blank).

use anyhow::bail;
use sting_config::Config;

/// The secrets the state needs: from Vault, or for a standalone stingd from its environment.
pub(super) struct Secrets {
    /// The database connection, when identity is on.
    pub database: Option<sqlx::postgres::PgConnectOptions>,
    pub smtp_password: Option<sting_vault::Secret>,
    pub remote_keys: std::collections::HashMap<String, sting_vault::Secret>,
}

/// A standalone stingd's secrets: the database URL from its environment, and no references,
/// which only Vault can resolve.
pub(super) fn standalone_secrets(config: &Config, database_url: Option<&str>) -> anyhow::Result<Secrets> {
    if config.auth.smtp.password.is_some() {
        bail!("auth.smtp.password is a vault-ref, and no Vault is named: set {}", crate::vault::ADDRESS_VAR);
    }
    for (i, m) in config.llm.models.iter().enumerate() {
        if m.remote.as_ref().is_some_and(|r| r.api_key.is_some()) {
            bail!(
                "llm.models[{i}].remote.api_key is a vault-ref, and no Vault is named: set {}",
                crate::vault::ADDRESS_VAR
            );
        }
    }
    let database = match database_url {
        Some(url) => Some(
            url.parse::<sqlx::postgres::PgConnectOptions>()
                .map_err(|e| anyhow::anyhow!("{} is not a PostgreSQL URL: {e}", crate::db::DATABASE_URL_VAR))?,
        ),
        None => None,
    };
    Ok(Secrets { database, smtp_password: None, remote_keys: Default::default() })
}

/// Reads them from Vault: the database login (kept, to follow its rotations), the SMTP password
/// and remote models' keys.
pub(super) async fn from_vault(
    vault: &sting_vault::Vault,
    mount: &str,
    config: &Config,
) -> anyhow::Result<(Secrets, crate::db::DatabaseLogin)> {
    let login = crate::vault::database_login(vault, mount, config).await?;
    let others = crate::vault::config_secrets(vault, mount, config).await?;
    let secrets = Secrets {
        database: Some(crate::db::connect_options(config, &login)),
        smtp_password: others.smtp_password,
        remote_keys: others.remote_keys,
    };
    Ok((secrets, login))
}
