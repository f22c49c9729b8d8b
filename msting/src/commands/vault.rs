//! `msting vault`: initialise Vault (once), show its status, and rekey it when a share holder
//! leaves.

use std::io::IsTerminal;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use sting_vault::bootstrap::{self, Plan, SealMode};
use sting_vault::{Vault, approle, rekey, seal};

use crate::cli::{GlobalArgs, exit};
use crate::output::{GOOD, Output, WARN};
use crate::shares::{self, HandedShare};
use crate::vault_access;

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

/// Where msting's operator login may be used from: loopback, and the private ranges Docker's
/// bridges use, because inside its container Vault sees msting at its network's gateway address,
/// which changes when the network is made again. Vault is on no network another host can reach
/// (an internal one, and its own whose only published port is on 127.0.0.1), so the binding
/// still keeps a stolen secret-id off any public address.
pub(crate) const OPERATOR_CIDRS: &[&str] =
    &["127.0.0.1/32", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// What the plan for this stack is: its KV mount, the operator token's lifetime, its secrets.
pub(crate) fn plan(config: &sting_config::Config) -> Plan {
    Plan {
        kv_mount: config.vault.kv_mount.clone(),
        operator_token_ttl: config.vault.operator_token_ttl.as_std(),
        operator_cidrs: OPERATOR_CIDRS.iter().map(|c| c.to_string()).collect(),
        service_secret_id_ttl: std::time::Duration::from_secs(24 * 3600),
        service_token_period: std::time::Duration::from_secs(24 * 3600),
        generated: Plan::stack_secrets(),
        audit_file: "/vault/logs/audit.log".into(),
        recovery_ca_pem: std::fs::read_to_string(
            crate::stack::spec::absolute(config, &config.paths.certs_dir).join(crate::tls::ca::ROOT_CERT_FILE),
        )
        .ok(),
    }
}

async fn init(out: &Output, config: &sting_config::Config) -> anyhow::Result<u8> {
    let done = initialise(out, config).await?;
    let handed = done.handed.as_ref().map(|(h, t)| (h.as_slice(), *t));
    report_init(out, &done.vault, done.mode, handed, &done.configured, &vault_access::credentials_path(config))
}

/// What [`initialise`] did.
pub(crate) struct Initialised {
    pub vault: Vault,
    pub mode: SealMode,
    /// The shares handed out and the threshold, when Vault was initialised now.
    pub handed: Option<(Vec<HandedShare>, u32)>,
    pub configured: bootstrap::Configured,
}

/// Initialises Vault if it is not (shares handed out, operator login kept, root token revoked),
/// then checks and completes its set-up as the operator.
pub(crate) async fn initialise(out: &Output, config: &sting_config::Config) -> anyhow::Result<Initialised> {
    let vault_config = &config.vault;
    let mode = SealMode::from(vault_config.unseal);
    let credentials = vault_access::credentials_path(config);
    let vault = Vault::new(vault_access::connection(config))?;
    if seal::status(&vault).await?.initialized {
        // Initialised before: finish or update the set-up as the operator; no shares again.
        out.note(format!("Vault at {} is initialised; checking its set-up", vault.address()));
        let operator = match vault_access::operator(config).await {
            Ok(operator) => operator,
            // msting's login is gone or no longer accepted: a certificate from the stack's CA
            // logs in (as after a restore) and a new login replaces every old one.
            Err(e) if !credentials.exists() || e.is::<vault_access::OperatorLoginRefused>() => {
                out.note("msting's Vault login is missing or refused: making a new one with the stack's CA");
                let recovery = vault_access::recovery_operator(config).await.with_context(|| {
                    format!("msting's Vault login cannot be recovered ({e:#}): restore it from a backup with `msting restore`")
                })?;
                vault_access::renew_operator_credentials(config, &recovery).await?;
                vault_access::operator(config).await?
            }
            Err(e) => return Err(e),
        };
        let configured = bootstrap::configure(&operator, &plan(config)).await?;
        return Ok(Initialised { vault, mode, handed: None, configured });
    }
    // Everything that could refuse is checked before Vault is touched.
    let handout =
        shares::plan_handout(&vault_config.share_recipients, vault_config.key_shares, std::io::stdout().is_terminal())?;
    out.note(format!("initialising Vault at {}", vault.address()));
    let init = bootstrap::initialise(&vault, mode, vault_config.key_shares, vault_config.key_threshold).await?;

    // The shares first: whatever happens next, their holders have them.
    let handed = shares::hand_out(&handout, &init.shares)?;
    present_shares(out, &handed, init.threshold, mode)?;
    if mode == SealMode::Manual {
        for share in &init.shares[..init.threshold as usize] {
            seal::unseal(&vault, share).await?;
        }
    }

    // With the root token only what makes the operator; then the root token goes.
    let root = vault.with_token(init.root_token.clone());
    let established = async {
        let (role_id, secret_id) = bootstrap::establish_operator(&root, &plan(config)).await?;
        vault_access::save_credentials(&credentials, &role_id, &secret_id)
    }
    .await;
    let revoked = approle::revoke_self(&root).await;
    established.context(
        "Vault is initialised, but msting's operator login could not be set up and the root token is revoked; \
         Vault holds no data yet: stop it, empty its storage folder, and run `msting vault init` again",
    )?;
    revoked.context("the root token could not be revoked: seal Vault and rekey it")?;

    let operator = vault_access::operator(config).await?;
    let configured = bootstrap::configure(&operator, &plan(config))
        .await
        .context("Vault's set-up stopped part way: run `msting vault init` again to finish it")?;
    Ok(Initialised { vault, mode, handed: Some((handed, init.threshold)), configured })
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
    let vault_config = &config.vault;
    let handout =
        shares::plan_handout(&vault_config.share_recipients, vault_config.key_shares, std::io::stdout().is_terminal())?;
    let operator = vault_access::operator(config).await?;
    let mode = if seal::status(&operator).await?.recovery_seal { SealMode::Auto } else { SealMode::Manual };
    let kind = if mode == SealMode::Auto { "recovery" } else { "unseal" };
    if !out.confirm(
        &format!("Replace every {kind} share? The current ones stop working once this completes"),
        "not rekeyed: re-run with --yes, or answer the prompt on a terminal",
    )? {
        return Ok(exit::FAILURE);
    }
    let mut input = shares::ShareInput::new(key_file)?;
    let mut progress = rekey::start(&operator, mode, vault_config.key_shares, vault_config.key_threshold).await?;
    let (new_shares, threshold) = loop {
        let Some(share) = input.next(&format!("Current {kind} share"), progress.progress, progress.required)? else {
            rekey::cancel(&operator, &progress).await;
            anyhow::bail!(
                "{} of {} current shares given: rekeying was cancelled and the current shares still work",
                progress.progress,
                progress.required
            );
        };
        match rekey::give(&operator, &progress, &share).await? {
            rekey::Step::NeedMore(next) => {
                out.note(format!("share accepted: {} of {}", next.progress, next.required));
                progress = next;
            }
            rekey::Step::Done { shares, threshold } => break (shares, threshold),
        }
    };
    let handed = shares::hand_out(&handout, &new_shares)?;
    present_shares(out, &handed, threshold, mode)?;
    if out.json {
        out.json(&json!({ "mode": kind, "threshold": threshold, "shares": handed }))?;
    } else {
        out.note(format!("{GOOD}rekeyed{GOOD:#}: the previous {kind} shares no longer work"));
    }
    Ok(exit::OK)
}

fn present_shares(out: &Output, handed: &[HandedShare], threshold: u32, mode: SealMode) -> anyhow::Result<()> {
    if out.json {
        return Ok(()); // in the document
    }
    let kind = match mode {
        SealMode::Auto => "Recovery key shares (Vault unseals itself; these recover or rekey it)",
        SealMode::Manual => "Unseal key shares (`msting unseal` needs them after every restart)",
    };
    out.result(format!("{kind}: {threshold} of {} are needed.", handed.len()));
    out.result(format!("{WARN}They are shown once and kept nowhere: give one to each holder now.{WARN:#}"));
    for share in handed {
        match &share.recipient {
            Some(recipient) => out.result(format!("share {} (for {recipient}):\n{}", share.number, share.share)),
            None => out.result(format!("share {}: {}", share.number, share.share)),
        }
    }
    Ok(())
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
