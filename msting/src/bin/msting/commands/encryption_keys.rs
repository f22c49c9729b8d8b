//! `msting encryption-keys`: the transit key behind stingd's envelope encryption: its versions,
//! when it was last rotated, and rotation. Old data stays readable after a rotation; stingd
//! rewraps its stored data keys to the new version afterwards.

use clap::{Args, Subcommand};
use serde_json::json;
use sting_vault::policy::STINGD_TRANSIT_KEY;
use sting_vault::transit::{self, KeyStatus};

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::vault_access;

/// Show or rotate the encryption key stingd's stored data keys are wrapped with
#[derive(Debug, Args)]
pub struct EncryptionKeysArgs {
    #[command(subcommand)]
    pub command: EncryptionKeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum EncryptionKeysCommand {
    /// Key versions, the last rotation, and the oldest version that still decrypts
    Status,
    /// Make a new key version: new data uses it, old data still decrypts
    Rotate,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: EncryptionKeysArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    vault_access::runtime()?.block_on(async {
        let vault = vault_access::operator(&config).await?;
        let status = match args.command {
            EncryptionKeysCommand::Status => transit::status(&vault, STINGD_TRANSIT_KEY).await?,
            EncryptionKeysCommand::Rotate => {
                let status = transit::rotate(&vault, STINGD_TRANSIT_KEY).await?;
                out.note(format!(
                    "{GOOD}rotated{GOOD:#}: new data is encrypted with version {}; older data still decrypts",
                    status.latest_version
                ));
                rewrap_in_stack(out, &config).await;
                status
            }
        };
        show(out, &status)?;
        Ok(exit::OK)
    })
}

/// Wraps every stored data key again under the new version, through the stack's running
/// stingd (`stingd admin rewrap` in its container: stingd's own Vault login and database). The
/// rotation stands either way; a rewrap that cannot run is reported with how to run it later.
async fn rewrap_in_stack(out: &Output, config: &sting_config::Config) {
    let stack = msting::stack::spec::desired(config);
    let name = msting::stack::containers::container_name(&stack.project, "stingd");
    let rewrap = async {
        let docker = msting::docker::connect().await?;
        msting::stack::exec::stingd_admin(&docker, &stack.project, &["rewrap"]).await
    };
    match rewrap.await {
        Ok(Some(said)) => out.note(format!("{GOOD}rewrapped{GOOD:#}: {said}")),
        Ok(None) => out.note(format!(
            "stingd is not running as {name}: wrap the stored keys again later with `stingd admin rewrap` where stingd runs"
        )),
        Err(error) => out.warn(format!(
            "the rotation stands, but rewrapping the stored keys failed ({error:#}): run `msting encryption-keys rotate` again later, or `stingd admin rewrap` where stingd runs"
        )),
    }
}

fn show(out: &Output, status: &KeyStatus) -> anyhow::Result<()> {
    let last_rotation = status.versions.get(&status.latest_version).cloned();
    if out.json {
        return out.json(&json!({
            "key": status.name,
            "latest_version": status.latest_version,
            "min_decryption_version": status.min_decryption_version,
            "last_rotation": last_rotation,
            "versions": status.versions,
        }));
    }
    out.result(format!("key {}: version {} of {}", status.name, status.latest_version, status.versions.len()));
    out.result(format!("  last rotation: {}", last_rotation.as_deref().unwrap_or("unknown")));
    out.result(format!("  decrypts from version {} on", status.min_decryption_version));
    Ok(())
}
