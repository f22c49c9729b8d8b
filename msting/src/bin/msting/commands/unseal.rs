//! `msting unseal`: give Vault its unseal shares after a restart (manual mode). Shares come
//! from a hidden prompt, from stdin, or from `--key-file`; never from the command line. With
//! auto-unseal, Vault unseals itself only when it starts, so one sealed on purpose is restarted.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use serde_json::json;
use sting_vault::{Vault, seal};

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::{shares, vault_access};

/// Unseal Vault with key shares (a hidden prompt on a terminal, else stdin, one per line)
#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// Read the shares from this file, one per line (keep it off the host afterwards)
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: UnsealArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    vault_access::runtime()?.block_on(unseal(out, &config, args))
}

async fn unseal(out: &Output, config: &sting_config::Config, args: UnsealArgs) -> anyhow::Result<u8> {
    let vault = Vault::new(vault_access::connection(config))?;
    let status = seal::status(&vault).await?;
    if !status.initialized {
        bail!("Vault at {} is not initialised: run `msting vault init` first", vault.address());
    }
    if !status.sealed {
        out.note(format!("Vault at {} is already unsealed", vault.address()));
        return report(out, &vault, &status);
    }
    if status.recovery_seal {
        // Sealed on purpose (`sys/seal`) or it could not read its key at start: a restart tells.
        out.note("Vault unseals itself with its static key when it starts: restarting it");
        let docker = msting::docker::connect().await?;
        let stack = msting::stack::spec::desired(config);
        let name = msting::stack::containers::container_name(&stack.project, "vault");
        docker.restart_container(&name, None::<bollard::query_parameters::RestartContainerOptions>).await?;
        let started = tokio::time::Instant::now();
        loop {
            match seal::status(&vault).await {
                Ok(status) if !status.sealed => {
                    out.note(format!("{GOOD}unsealed{GOOD:#}: Vault at {}", vault.address()));
                    return report(out, &vault, &status);
                }
                _ if started.elapsed() > std::time::Duration::from_secs(60) => bail!(
                    "Vault at {} unseals itself with its static key but stayed sealed after a restart: the key file is missing or was changed (see `msting logs vault`); shares cannot unseal it",
                    vault.address()
                ),
                _ => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            }
        }
    }
    let status = shares::unseal(out, &vault, status, args.key_file.as_deref()).await?;
    out.note(format!("{GOOD}unsealed{GOOD:#}: Vault at {}", vault.address()));
    report(out, &vault, &status)
}

fn report(out: &Output, vault: &Vault, status: &seal::SealStatus) -> anyhow::Result<u8> {
    if out.json {
        out.json(&json!({ "address": vault.address(), "sealed": status.sealed, "threshold": status.threshold }))?;
    }
    Ok(exit::OK)
}
