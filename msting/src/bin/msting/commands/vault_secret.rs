//! `msting vault-secret`: outside providers' API keys in Vault. Values come from a hidden
//! prompt or stdin, never the command line; `get` masks unless `--reveal` on a terminal;
//! `list` shows names only.

use std::io::{IsTerminal, Read};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use sting_vault::Secret;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::provider_secrets::{self, DEFAULT_NAME, check_name};
use msting::vault_access;

/// Store, show and remove providers' API keys (openai, anthropic, huggingface, smtp, ...)
#[derive(Debug, Args)]
pub struct VaultSecretArgs {
    #[command(subcommand)]
    pub command: VaultSecretCommand,
}

#[derive(Debug, Subcommand)]
pub enum VaultSecretCommand {
    /// The providers with stored values, and the values' names (never the values)
    List,
    /// Show a stored value, masked unless --reveal
    Get {
        provider: String,
        /// The value's name
        #[arg(default_value = DEFAULT_NAME)]
        name: String,
        /// Show the value itself (only on a terminal)
        #[arg(long)]
        reveal: bool,
    },
    /// Store a value, read from a hidden prompt or from stdin (never from the command line)
    Set {
        provider: String,
        #[arg(default_value = DEFAULT_NAME)]
        name: String,
    },
    /// Remove a value, or with no name every value of the provider
    Rm { provider: String, name: Option<String> },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: VaultSecretArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let mount = config.vault.kv_mount.clone();
    // Checked before any prompt or connection.
    match &args.command {
        VaultSecretCommand::List => {}
        VaultSecretCommand::Get { provider, name, .. } | VaultSecretCommand::Set { provider, name } => {
            check_name("provider", provider)?;
            check_name("value", name)?;
        }
        VaultSecretCommand::Rm { provider, name } => {
            check_name("provider", provider)?;
            if let Some(name) = name {
                check_name("value", name)?;
            }
        }
    }
    if let VaultSecretCommand::Get { reveal: true, .. } = &args.command {
        if !std::io::stdout().is_terminal() {
            bail!("--reveal shows a secret only on a terminal, and stdout is not one");
        }
    }
    let value = match &args.command {
        VaultSecretCommand::Set { provider, name } => Some(read_value(provider, name)?),
        _ => None,
    };
    vault_access::runtime()?.block_on(async {
        let vault = vault_access::operator(&config).await?;
        match args.command {
            VaultSecretCommand::List => {
                let entries = provider_secrets::list(&vault, &mount).await?;
                if out.json {
                    out.json(&json!({ "providers": entries }))?;
                } else if entries.is_empty() {
                    out.note("no provider secrets stored (add one with `msting vault-secret set PROVIDER`)");
                } else {
                    for entry in entries {
                        out.result(format!("{}: {}", entry.provider, entry.names.join(", ")));
                    }
                }
            }
            VaultSecretCommand::Get { provider, name, reveal } => {
                let value = provider_secrets::get(&vault, &mount, &provider, &name).await?;
                let shown = if reveal { value.expose().to_string() } else { provider_secrets::mask(value.expose()) };
                if out.json {
                    out.json(&json!({ "provider": provider, "name": name, "value": shown, "revealed": reveal }))?;
                } else {
                    out.result(shown);
                }
            }
            VaultSecretCommand::Set { provider, name } => {
                let version =
                    provider_secrets::set(&vault, &mount, &provider, &name, value.expect("read above")).await?;
                if out.json {
                    out.json(&json!({ "provider": provider, "name": name, "version": version }))?;
                } else {
                    out.note(format!("{GOOD}stored{GOOD:#} {provider} {name} (version {version})"));
                }
            }
            VaultSecretCommand::Rm { provider, name } => {
                let what = match &name {
                    Some(name) => format!("{provider} {name}"),
                    None => format!("every value of {provider}, with its history"),
                };
                if !out.confirm(&format!("Remove {what}?"), "not removed: re-run with --yes")? {
                    return Ok(exit::FAILURE);
                }
                let removed = provider_secrets::remove(&vault, &mount, &provider, name.as_deref()).await?;
                if !removed {
                    bail!("nothing stored as {what}");
                }
                if out.json {
                    out.json(&json!({ "provider": provider, "name": name, "removed": true }))?;
                } else {
                    out.note(format!("{GOOD}removed{GOOD:#} {what}"));
                }
            }
        }
        Ok(exit::OK)
    })
}

/// The value: a hidden prompt (typed twice) on a terminal, else all of stdin without its final
/// line break.
fn read_value(provider: &str, name: &str) -> anyhow::Result<Secret> {
    let value = if std::io::stdin().is_terminal() {
        Secret::new(
            dialoguer::Password::new()
                .with_prompt(format!("{provider} {name}"))
                .with_confirmation("Again", "the two entries differ")
                .interact()?,
        )
    } else {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the value from stdin")?;
        let text = Secret::new(text); // wiped when dropped, like the value itself
        Secret::new(text.expose().trim_end_matches(['\n', '\r']))
    };
    if value.expose().trim().is_empty() {
        bail!("the value is empty: nothing stored");
    }
    Ok(value)
}
