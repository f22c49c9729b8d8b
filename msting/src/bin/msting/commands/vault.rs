//! `msting vault`: initialise Vault (once), show its status, and rekey it when a share holder
//! leaves.

use clap::{Args, Subcommand};
use serde_json::json;
use sting_vault::bootstrap::{self, SealMode};
use sting_vault::{Vault, approle, seal};

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output, WARN};
use msting::shares::HandedShare;
use msting::{vault_access, vault_setup};

/// Initialise, inspect and rekey Vault
#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(subcommand)]
    pub command: VaultCommand,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Initialise Vault once: hand out the key shares (on this terminal, or age-encrypted to
    /// `vault.share_recipients`), set up secrets, policies and roles, keep msting's operator
    /// login, and revoke the root token
    Init,
    /// Whether Vault is initialised and sealed, its seal, version, storage and audit devices
    /// (exit status 1 when it is sealed or not initialised)
    Status,
    /// Replace the key shares when a holder leaves (unseal shares, or recovery shares with
    /// auto-unseal): a threshold of current shares in (prompt, stdin or --key-file), a new set
    /// out as at init (`vault.key_shares`, `key_threshold`, `share_recipients`)
    Rekey {
        /// Read the current shares from this file, one per line
        #[arg(long, value_name = "FILE")]
        key_file: Option<std::path::PathBuf>,
    },
    /// Give a service its Vault login: its role-id and a fresh, response-wrapped, single-use
    /// secret-id, as files (0400 in a 0700 folder) to mount read-only into its container
    Credentials {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(bootstrap::SERVICE_ROLES))]
        service: String,
        /// Where to write them [default: SECRETS_DIR/vault/SERVICE]
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
        /// How long the wrapped secret-id may wait to be opened
        #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
        valid_for: std::time::Duration,
    },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: VaultArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let runtime = vault_access::runtime()?;
    match args.command {
        VaultCommand::Init => runtime.block_on(init(out, &config)),
        VaultCommand::Status => runtime.block_on(status(out, &config)),
        VaultCommand::Rekey { key_file } => runtime.block_on(rekey(out, &config, key_file.as_deref())),
        VaultCommand::Credentials { service, dir, valid_for } => {
            let dir = dir.unwrap_or_else(|| vault_access::service_credentials_dir(&config, &service));
            runtime.block_on(credentials(out, &config, &service, &dir, valid_for))
        }
    }
}

async fn init(out: &Output, config: &sting_config::Config) -> anyhow::Result<u8> {
    let done = vault_setup::initialise(out, config).await?;
    let handed = done.handed.as_ref().map(|(h, t)| (h.as_slice(), *t));
    report_init(out, &done.vault, done.mode, handed, &done.configured, &vault_access::credentials_path(config))
}

fn report_init(
    out: &Output,
    vault: &Vault,
    mode: SealMode,
    handed: Option<(&[HandedShare], u32)>,
    configured: &bootstrap::Configured,
    credentials: &std::path::Path,
) -> anyhow::Result<u8> {
    if out.json {
        out.json(&json!({
            "address": vault.address(),
            "mode": match mode { SealMode::Auto => "auto", SealMode::Manual => "manual" },
            "initialised_now": handed.is_some(),
            "threshold": handed.map(|(_, t)| t),
            "shares": handed.map(|(h, _)| h),
            "role_ids": configured.role_ids,
            "generated": configured.generated,
            "audit_devices": configured.audit_devices,
            "operator_credentials": credentials,
            "root_token": "revoked",
        }))?;
    } else {
        out.note(format!(
            "{GOOD}done{GOOD:#}: secrets generated now: {}; roles {}; audit device {}; no root token exists",
            configured.generated.len(),
            configured.role_ids.keys().cloned().collect::<Vec<_>>().join(", "),
            configured.audit_devices.join(", ")
        ));
        out.note(format!("msting's operator login is in {} (0600)", credentials.display()));
    }
    Ok(exit::OK)
}

pub(crate) async fn credentials(
    out: &Output,
    config: &sting_config::Config,
    service: &str,
    dir: &std::path::Path,
    valid_for: std::time::Duration,
) -> anyhow::Result<u8> {
    let operator = vault_access::operator(config).await?;
    let role_id = approle::role_id(&operator, service).await?;
    let wrapped = approle::issue_wrapped_secret_id(&operator, service, valid_for).await?;
    vault_access::save_service_credentials(dir, &role_id, &wrapped)?;
    if out.json {
        out.json(&json!({ "service": service, "dir": dir, "valid_for_seconds": valid_for.as_secs() }))?;
    } else {
        out.note(format!(
            "{GOOD}issued{GOOD:#}: {service}'s role-id and a wrapped secret-id in {} (opened once, within {})",
            dir.display(),
            humantime::format_duration(valid_for)
        ));
    }
    Ok(exit::OK)
}

async fn rekey(out: &Output, config: &sting_config::Config, key_file: Option<&std::path::Path>) -> anyhow::Result<u8> {
    match vault_setup::rekey(out, config, key_file).await? {
        vault_setup::Rekeyed::Declined => Ok(exit::FAILURE),
        vault_setup::Rekeyed::Done { mode, threshold, handed } => {
            let kind = if mode == SealMode::Auto { "recovery" } else { "unseal" };
            if out.json {
                out.json(&json!({ "mode": kind, "threshold": threshold, "shares": handed }))?;
            } else {
                out.note(format!("{GOOD}rekeyed{GOOD:#}: the previous {kind} shares no longer work"));
            }
            Ok(exit::OK)
        }
    }
}

async fn status(out: &Output, config: &sting_config::Config) -> anyhow::Result<u8> {
    let vault = Vault::new(vault_access::connection(config))?;
    let status = seal::status(&vault).await?;
    // The audit devices need the operator; their absence is said, not an error.
    let audit = if status.initialized && !status.sealed {
        match vault_access::operator(config).await {
            Ok(operator) => bootstrap::audit_devices(&operator).await.ok(),
            Err(error) => {
                out.warn(format!("{error:#}"));
                None
            }
        }
    } else {
        None
    };
    let auto = status.recovery_seal;
    if out.json {
        out.json(&json!({
            "address": vault.address(),
            "initialized": status.initialized,
            "sealed": status.sealed,
            "seal_type": status.seal_type,
            "auto_unseal": auto,
            "threshold": status.threshold,
            "shares": status.shares,
            "progress": status.progress,
            "version": status.version,
            "storage": status.storage_type,
            "audit_devices": audit,
        }))?;
    } else {
        let state = match (status.initialized, status.sealed) {
            (false, _) => format!("{WARN}not initialised{WARN:#} (run `msting vault init`)"),
            (true, true) => format!("{WARN}sealed{WARN:#} (run `msting unseal`)"),
            (true, false) => format!("{GOOD}unsealed{GOOD:#}"),
        };
        out.result(format!("Vault at {}: {state}", vault.address()));
        let shares = if auto { "recovery shares" } else { "unseal shares" };
        out.result(format!(
            "  seal: {}{}, {shares} {} of {}",
            status.seal_type,
            if auto { " (auto-unseal)" } else { " (manual)" },
            status.threshold,
            status.shares
        ));
        if status.sealed && status.progress > 0 {
            out.result(format!("  unseal progress: {} of {}", status.progress, status.threshold));
        }
        out.result(format!(
            "  version: {}, storage: {}",
            status.version,
            status.storage_type.as_deref().unwrap_or("unknown")
        ));
        match &audit {
            Some(devices) if !devices.is_empty() => out.result(format!("  audit devices: {}", devices.join(", "))),
            Some(_) => out.result(format!("  audit devices: {WARN}none{WARN:#}")),
            None => out.result("  audit devices: unknown (needs the operator login)"),
        }
    }
    Ok(if status.initialized && !status.sealed { exit::OK } else { exit::FAILURE })
}
