//! `msting cron install|remove`: the stack's jobs in `/etc/cron.d` (health, renewal, backup).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::cron::{self, Installed, Plan};
use msting::output::Output;

/// Schedule health, certificate renewal and nightly backups with cron
#[derive(Debug, Args)]
pub struct CronArgs {
    #[command(subcommand)]
    pub command: CronCommand,
    /// Cron's folder of system jobs
    #[arg(long, value_name = "DIR", default_value = cron::DEFAULT_DIR, global = true)]
    pub cron_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum CronCommand {
    /// Write the stack's cron file (the same file every time; run again after changing
    /// backup.recipients)
    Install,
    /// Remove the stack's cron file
    Remove,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: CronArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let path = cron::file(&args.cron_dir, &config);
    match args.command {
        CronCommand::Install => {
            let msting = std::env::current_exe()
                .and_then(std::fs::canonicalize)
                .map_err(|e| anyhow::anyhow!("cannot tell where this msting is ({e}); the jobs need its path"))?;
            let install_dir =
                std::fs::canonicalize(&config.paths.install_dir).unwrap_or(config.paths.install_dir.clone());
            let plan = Plan { msting, install_dir, config_file: global.config.clone() };
            let text = cron::render(&config, &plan);
            let done = cron::install(&path, &text)?;
            let backups = config.backup.encrypt && !config.backup.recipients.is_empty();
            if out.json {
                out.json(&json!({ "file": path, "changed": done == Installed::Written, "nightly_backup": backups }))?;
            } else {
                let what = if done == Installed::Written { "wrote" } else { "unchanged:" };
                out.result(format!("{what} {}", path.display()));
                if !backups {
                    out.note("no nightly backup: set backup.recipients (age public keys), then run this again");
                }
            }
        }
        CronCommand::Remove => {
            let removed = cron::remove(&path)?;
            if out.json {
                out.json(&json!({ "file": path, "removed": removed }))?;
            } else if removed {
                out.result(format!("removed {}", path.display()));
            } else {
                out.result(format!("nothing to remove: {} does not exist", path.display()));
            }
        }
    }
    Ok(exit::OK)
}
