//! `msting backup`: one backup of the stack (encrypted with age unless the config or
//! `--no-encrypt` says otherwise), and `list`, `verify`, `prune` over the backup folder. Exit
//! codes follow restic: 0 done, 1 failed, 3 written but incomplete.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::backup::archive::Unlock;
use msting::backup::{catalog, create, protection, prune};
use msting::output::{GOOD, Output, WARN};

/// Back up the stack (databases, Vault, config, certificates) into one file, encrypted by default
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    #[command(flatten)]
    pub create: CreateArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Encrypt (the default when backup.encrypt is true)
    #[arg(long, conflicts_with = "no_encrypt")]
    pub encrypt: bool,
    /// Write a plain backup: private keys and the unseal key are left out
    #[arg(long)]
    pub no_encrypt: bool,
    /// An age recipient (age1... or an SSH public key); repeatable. Default: backup.recipients
    #[arg(long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// A file of recipients, one per line (`#` comments)
    #[arg(long, value_name = "FILE")]
    pub recipients_file: Option<PathBuf>,
    /// Encrypt with the passphrase in this file (first line) instead of recipients
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The folder to write into [default: paths.backup_dir]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// The backups in the backup folder, oldest first, from the manifests kept beside them
    List {
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Decrypt and read a backup whole: every entry's checksum, the dumps through pg_restore
    Verify {
        file: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Remove the backups a retention policy does not keep (the newest of each period); without
    /// any --keep option, the policy is `backup.retention`
    Prune {
        #[arg(long, value_name = "N", default_value_t = 0)]
        keep_last: u32,
        #[arg(long, value_name = "DAYS", default_value_t = 0)]
        keep_daily: u32,
        #[arg(long, value_name = "WEEKS", default_value_t = 0)]
        keep_weekly: u32,
        #[arg(long, value_name = "MONTHS", default_value_t = 0)]
        keep_monthly: u32,
        /// Say what would be removed, and remove nothing
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// How an encrypted backup is opened.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// An age identity file (AGE-SECRET-KEY-1... lines, or an SSH private key)
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_file")]
    pub identity: Option<PathBuf>,
    /// A file whose first line is the passphrase
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl KeyArgs {
    pub fn unlock(&self) -> anyhow::Result<Unlock> {
        protection::unlock(self.identity.as_deref(), self.passphrase_file.as_deref())
    }
}

pub fn exec(global: &GlobalArgs, out: &Output, args: BackupArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    match args.command {
        None => make(out, &config, args.create),
        Some(BackupCommand::List { dir }) => {
            let dir = create::folder(&config, dir.as_deref());
            let listed = catalog::list(&dir)?;
            if out.json {
                out.json(&listed)?;
                return Ok(exit::OK);
            }
            if listed.is_empty() {
                out.result(format!("no backups in {}", dir.display()));
            }
            for backup in &listed {
                out.result(format!(
                    "{}  {:>10}  {}  {}",
                    backup.file.file_name().unwrap_or_default().to_string_lossy(),
                    human_bytes(backup.size),
                    if backup.encrypted { "encrypted" } else { "plain    " },
                    backup
                        .verified
                        .as_deref()
                        .map(|v| format!("verified {v}"))
                        .unwrap_or_else(|| "not verified".into()),
                ));
            }
            Ok(exit::OK)
        }
        Some(BackupCommand::Verify { file, key }) => {
            let manifest = catalog::verify(&file, &key.unlock()?)?;
            if out.json {
                out.json(&json!({ "file": file, "ok": true, "manifest": manifest }))?;
            } else {
                out.result(format!(
                    "{GOOD}ok{GOOD:#}: {} entries, {} of data, made {} by STING {}",
                    manifest.entries.len(),
                    human_bytes(manifest.total_size()),
                    manifest.created,
                    manifest.sting_version
                ));
            }
            Ok(exit::OK)
        }
        Some(BackupCommand::Prune { keep_last, keep_daily, keep_weekly, keep_monthly, dry_run, dir }) => {
            let mut policy = prune::Policy { keep_last, keep_daily, keep_weekly, keep_monthly };
            if policy.is_empty() {
                let kept = &config.backup.retention;
                policy = prune::Policy {
                    keep_last: kept.keep_last,
                    keep_daily: kept.keep_daily,
                    keep_weekly: kept.keep_weekly,
                    keep_monthly: kept.keep_monthly,
                };
            }
            let dir = create::folder(&config, dir.as_deref());
            let decided = catalog::prune(&dir, &policy, dry_run)?;
            if out.json {
                out.json(&json!({ "dry_run": dry_run, "backups": decided }))?;
                return Ok(exit::OK);
            }
            for backup in &decided {
                let name = backup.file.file_name().unwrap_or_default().to_string_lossy().to_string();
                match (backup.keep.is_empty(), dry_run) {
                    (false, _) => out.result(format!("keep   {name} ({})", backup.keep.join(", "))),
                    (true, true) => out.result(format!("would remove {name}")),
                    (true, false) => out.result(format!("{WARN}removed{WARN:#} {name}")),
                }
            }
            Ok(exit::OK)
        }
    }
}

fn make(out: &Output, config: &sting_config::Config, args: CreateArgs) -> anyhow::Result<u8> {
    let asked = protection::Asked {
        encrypt: args.encrypt,
        no_encrypt: args.no_encrypt,
        recipients: args.recipients.clone(),
        recipients_file: args.recipients_file.clone(),
        passphrase_file: args.passphrase_file.clone(),
    };
    let protection = protection::choose(out, config, &asked)?;
    if !protection.encrypted() {
        out.warn(
            "a plain backup: anyone who can read the file reads every document; private keys and the unseal key are left out, so a restore needs them from this host",
        );
    }
    let dir = create::folder(config, args.output.as_deref());
    let bar = (std::io::stderr().is_terminal() && !out.quiet && !out.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} backing up: {bytes} read ({bytes_per_sec}, {elapsed})")
                .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let started = std::time::Instant::now();
    let made = msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let mut progress = |bytes: u64| {
            if let Some(bar) = &bar {
                bar.set_position(bytes);
            }
        };
        create::create(&docker, config, &dir, &protection, &mut progress).await
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let made = made?;
    let seconds = started.elapsed().as_secs_f64();
    if out.json {
        out.json(&json!({
            "file": made.file,
            "stored_bytes": made.stored,
            "data_bytes": made.manifest.total_size(),
            "encrypted": made.manifest.encrypted,
            "entries": made.manifest.entries.len(),
            "skipped": made.skipped,
            "seconds": seconds,
        }))?;
    } else if out.interactive() || !made.skipped.is_empty() {
        // Under cron (no terminal) a good backup prints nothing.
        out.result(format!(
            "{GOOD}backed up{GOOD:#} {} of data into {} ({}, {:.1} s)",
            human_bytes(made.manifest.total_size()),
            made.file.display(),
            human_bytes(made.stored),
            seconds
        ));
    }
    for skipped in &made.skipped {
        out.warn(format!("left out (could not be read): {skipped}"));
    }
    Ok(if made.skipped.is_empty() { exit::OK } else { exit::INCOMPLETE })
}

fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}
