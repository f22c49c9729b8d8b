//! `stingd admin`: accounts and keys, as the operator (msting runs these in the container).

use std::io::IsTerminal;
use std::path::Path;

use stingd::db;
use stingd::identity::{self, audit, sessions};

/// After the transit key is rotated: every sealed value wrapped again under its newest version.
pub async fn rewrap(config: &Path) -> anyhow::Result<()> {
    let config = super::load(config)?;
    let settings = stingd::vault::Settings::from_env(&config)?
        .ok_or_else(|| anyhow::anyhow!("{} is not set: rewrapping needs stingd's Vault", stingd::vault::ADDRESS_VAR))?;
    let vault = stingd::vault::log_in_now(&settings).await?;
    let login = stingd::vault::database_login(&vault, &settings.kv_mount, &config).await?;
    let pool = db::connect_with(db::connect_options(&config, &login), 2, std::time::Duration::from_secs(10)).await?;
    let (rewrapped, current) = stingd::envelope::rewrap_all(&pool, &vault).await?;
    println!(
        "rewrapped {rewrapped} data key(s) of documents and conversations and TOTP secret(s); {current} already under the newest key version"
    );
    Ok(())
}

pub async fn revoke_sessions(config: &Path) -> anyhow::Result<()> {
    let config = super::load(config)?;
    let pool = pool(&config).await?;
    // No cache of our own to clear: the delete's notification reaches every running stingd.
    let unused_cache = identity::cache::CredentialCache::new(std::time::Duration::ZERO);
    let revoked = sessions::revoke_all(&pool, &unused_cache).await?;
    audit::record(
        &pool,
        None,
        "sessions.revoke_all",
        None,
        serde_json::json!({ "revoked": revoked, "by": "operator" }),
    )
    .await?;
    println!("revoked {revoked} session(s): everyone signs in again");
    Ok(())
}

pub async fn create(email: &str, config: &Path, to_stdout: bool) -> anyhow::Result<()> {
    if !to_stdout && !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the enrolment link is a secret and stdout is not a terminal: run this on a terminal, or pass --stdout"
        );
    }
    let config = super::load(config)?;
    if config.auth.provider == sting_config::AuthProvider::Kratos {
        anyhow::bail!(
            "with `auth.provider: kratos` accounts are Kratos identities: create the admin in Kratos with the trait `role: admin`"
        );
    }
    let pool = pool(&config).await?;
    db::migrate(&pool).await?;
    let user = identity::users::create(&pool, email, identity::users::Role::Admin).await.map_err(|e| match e {
        identity::IdentityError::EmailTaken => {
            anyhow::Error::new(super::AlreadyExists(format!("{email} already has an account")))
        }
        other => anyhow::Error::new(other),
    })?;
    let token = identity::enrolment::create(&pool, user.id).await?;
    let link = identity::enrolment::link(&config.system.domain, config.services.stingd.https_port, &token);
    println!("Admin account created for {email}. Open this link within 24 hours, once, to register a passkey or TOTP:");
    println!("{link}");
    Ok(())
}

/// The database for an admin command: `STING_DATABASE_URL`, or (inside the stack) the login
/// stingd's Vault role reads, as `stingd serve` does.
async fn pool(config: &sting_config::Config) -> anyhow::Result<sqlx::PgPool> {
    let patience = std::time::Duration::from_secs(10);
    if let Ok(url) = std::env::var(db::DATABASE_URL_VAR) {
        return Ok(db::connect(&url, 2, patience).await?);
    }
    let Some(settings) = stingd::vault::Settings::from_env(config)? else {
        anyhow::bail!(
            "neither {} nor {} is set: give the database URL, or run this inside the stack (`msting` does)",
            db::DATABASE_URL_VAR,
            stingd::vault::ADDRESS_VAR
        );
    };
    let vault = stingd::vault::log_in_now(&settings).await?;
    let login = stingd::vault::database_login(&vault, &settings.kv_mount, config).await?;
    Ok(db::connect_with(db::connect_options(config, &login), 2, patience).await?)
}
