//! `msting restore FILE`: bring a backup back onto this host or a new one (see
//! `backup::restore`). It replaces the stack's data, so it asks first (or takes `--yes`).

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::backup::KeyArgs;
use super::install::BuildInputs;
use crate::global::{GlobalArgs, exit};
use msting::backup::restore::{self, Options, Target};
use msting::output::{GOOD, Output};
use msting::progress::Progress;

/// Restore a backup: verify it, keep a safety copy, replace the data, Vault and files, issue new
/// credentials, start with health checks; on any failure the stack goes back as it was
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (`sting-*.tar.zst.age` or `.tar.zst`)
    pub file: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Do not ask before replacing the stack's data
    #[arg(long)]
    pub yes: bool,
    /// Keep this install's config (project name, ports, domain); the backup's is written beside
    /// it as config.yml.from-backup
    #[arg(long)]
    pub keep_config: bool,
    /// Manual unseal mode: read the restored Vault's unseal shares from this file, one per line
    /// (else they are asked for)
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub inputs: BuildInputs,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: RestoreArgs) -> anyhow::Result<u8> {
    anyhow::ensure!(
        args.file.is_file(),
        "{} is not a file: give a backup file (see `msting backup list`)",
        args.file.display()
    );
    // Checked now, so a wrong path fails before anything starts; read again on each pass.
    args.key.unlock()?;
    let key_args = args.key.clone();
    let unlock: restore::Key = std::sync::Arc::new(move || key_args.unlock());
    let target = Target { config_file: global.config_path(), overrides: global.config_overrides() };
    if !args.yes
        && !out.confirm(
            &format!(
                "Replace the data of the stack at {} with {}? A safety copy is kept until the restore succeeds",
                global.install_dir().display(),
                args.file.display()
            ),
            "restoring replaces the stack's data: run it again with --yes to go ahead",
        )?
    {
        return Ok(exit::FAILURE);
    }
    let options = Options {
        keep_config: args.keep_config,
        key_file: args.key_file,
        install: msting::install::Options { skip: Vec::new(), inputs: args.inputs.into() },
    };
    // The default log folder: on a new host there is no config yet to name another.
    let log_dir = global.install_dir().join("logs");
    let mut progress = Progress::new(out, Some(&log_dir), "restore");
    let started = std::time::Instant::now();
    let restored = msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        restore::run(&docker, &target, &args.file, unlock, &options, out, &mut progress).await
    });
    let restored = match restored {
        Ok(restored) => restored,
        Err(error) => {
            if let Some(log) = progress.log_path() {
                out.note(format!("the restore log is {}", log.display()));
            }
            return Err(error);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    if out.json {
        out.json(&json!({
            "file": args.file,
            "made": restored.manifest.created,
            "host": restored.manifest.host,
            "entries": restored.manifest.entries.len(),
            "url": restored.outcome.url,
            "seconds": seconds,
        }))?;
    } else {
        out.result(format!(
            "{GOOD}restored{GOOD:#} the backup made {} on {} ({:.1} s); STING is at {}",
            restored.manifest.created, restored.manifest.host, seconds, restored.outcome.url
        ));
        out.note("msting's Vault login and the services' secret-ids are new; the old ones no longer work");
    }
    Ok(exit::OK)
}
