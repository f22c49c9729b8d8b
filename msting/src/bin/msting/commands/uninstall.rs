//! `msting uninstall [--purge]`: removes the stack's containers and networks (and with `--purge`
//! its volumes, the data), only what carries this stack's project label; never anything else on
//! the engine. The install directory (config, secrets, certificates, backups) stays either way.

use clap::Args;
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::stack::resources;

/// Remove the stack's containers and networks (its data too with --purge)
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Also remove the stack's volumes: databases, Vault's storage, documents. Asks unless --yes
    #[arg(long)]
    pub purge: bool,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: UninstallArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let project = config.system.project_name.clone();
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let have = resources::owned(&docker, &project).await?;
        if have == Default::default() {
            out.result(format!("nothing of the stack `{project}` is on this engine"));
            return Ok(exit::OK);
        }
        if args.purge {
            let question = format!(
                "Remove the stack `{project}` with its data ({} volumes: databases, Vault's storage, documents)? This cannot be undone",
                have.volumes.len()
            );
            if !out.confirm(&question, "not removed: pass --yes to purge without a question (take a backup first: `msting backup`)")? {
                return Ok(exit::FAILURE);
            }
        }
        let removed = resources::remove(&docker, &project, args.purge).await?;
        if out.json {
            out.json(&json!({ "project": project, "removed": removed }))?;
        } else {
            out.result(format!(
                "{GOOD}removed{GOOD:#} {} containers, {} networks{} of `{project}`",
                removed.containers.len(),
                removed.networks.len(),
                if args.purge { format!(", {} volumes", removed.volumes.len()) } else { String::new() }
            ));
            if !args.purge && !have.volumes.is_empty() {
                out.note(format!("its data stays in {} volumes (`--purge` removes them)", have.volumes.len()));
            }
            out.note(format!(
                "{} (config, secrets, certificates, backups) is kept: delete it by hand if you no longer need it",
                config.paths.install_dir.display()
            ));
        }
        Ok(exit::OK)
    })
}
