//! `msting config`: validate, show, migrate and describe the stack's config.yml.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use sting_config::{CURRENT_VERSION, Config, DEFAULT_CONFIG_YAML, Overrides};

use crate::global::{GlobalArgs, exit};
use msting::fsio::atomic_write;
use msting::output::{GOOD, Output};

/// Check, show and migrate the stack's config.yml
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file and report every problem, with its line and a hint
    Validate {
        /// The file to check [default: the --config file]
        file: Option<PathBuf>,
    },
    /// Print the effective configuration: defaults, then the file, then the environment
    /// (secrets are shown as their vault-ref references, never resolved)
    Show {
        /// Print the documented default config.yml instead
        #[arg(long)]
        defaults: bool,
    },
    /// Bring an older config.yml up to this version: shows the change as a diff and writes it
    /// only with consent (a prompt, or --yes), keeping the old file beside it
    Migrate {
        /// The file to migrate [default: the --config file]
        file: Option<PathBuf>,
        /// Show the change and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the JSON schema of config.yml, for editors and other tools
    Schema,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: ConfigArgs) -> anyhow::Result<u8> {
    match args.command {
        ConfigCommand::Validate { file } => {
            validate(out, &file.unwrap_or_else(|| global.config_path()), &global.config_overrides())
        }
        ConfigCommand::Show { defaults } => show(out, &global.config_path(), &global.config_overrides(), defaults),
        ConfigCommand::Migrate { file, dry_run } => {
            migrate(out, &file.unwrap_or_else(|| global.config_path()), dry_run)
        }
        ConfigCommand::Schema => {
            out.json(sting_config::json_schema())?;
            Ok(exit::OK)
        }
    }
}

fn validate(out: &Output, file: &Path, overrides: &Overrides) -> anyhow::Result<u8> {
    match sting_config::load_file(file, overrides) {
        Ok(loaded) => {
            if out.json {
                out.json(&json!({ "file": file, "valid": true, "version": loaded.config.version, "problems": [] }))?;
            } else if !out.quiet {
                out.result(format!(
                    "{GOOD}ok{GOOD:#}: {} is valid (version {})",
                    file.display(),
                    loaded.config.version
                ));
            }
            Ok(exit::OK)
        }
        Err(diagnostics) => {
            msting::config_file::report(out, &diagnostics)?;
            Ok(exit::FAILURE)
        }
    }
}

fn show(out: &Output, file: &Path, overrides: &Overrides, defaults: bool) -> anyhow::Result<u8> {
    if defaults {
        if out.json {
            out.json(&Config::default())?;
        } else {
            print!("{DEFAULT_CONFIG_YAML}");
        }
        return Ok(exit::OK);
    }
    let loaded = match sting_config::load_file(file, overrides) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            msting::config_file::report(out, &diagnostics)?;
            return Ok(exit::FAILURE);
        }
    };
    if out.json {
        out.json(&json!({ "file": file, "overrides": loaded.overrides, "config": loaded.config }))?;
        return Ok(exit::OK);
    }
    let mut text = format!("# effective configuration of {}\n", file.display());
    for o in &loaded.overrides {
        text.push_str(&format!("# {} from the environment ({})\n", o.key, o.var));
    }
    text.push_str(&serde_yaml_ng::to_string(&loaded.config).context("cannot print the config as YAML")?);
    print!("{text}");
    Ok(exit::OK)
}

pub(crate) fn migrate(out: &Output, file: &Path, dry_run: bool) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let migration = match sting_config::migrate(file, &text) {
        Ok(Some(m)) => m,
        Ok(None) => {
            if out.json {
                out.json(&json!({ "file": file, "from": CURRENT_VERSION, "to": CURRENT_VERSION, "changed": false }))?;
            } else {
                out.note(format!("{} is already version {CURRENT_VERSION}: nothing to do", file.display()));
            }
            return Ok(exit::OK);
        }
        Err(diagnostics) => {
            msting::config_file::report(out, &diagnostics)?;
            return Ok(exit::FAILURE);
        }
    };
    let backup = file.with_file_name(format!(
        "{}.v{}.bak",
        file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        migration.from
    ));
    let can_write = migration.problems.is_none() && !dry_run;
    let written = can_write
        && out.confirm(
            &format!(
                "Write version {} to {}? (the old file is kept as {})",
                migration.to,
                file.display(),
                backup.display()
            ),
            "not written: re-run with --yes to accept this change, or answer the prompt on a terminal",
        )?;
    if written {
        atomic_write(&backup, text.as_bytes(), None)?;
        atomic_write(file, migration.new_text.as_bytes(), None)?;
    }

    if out.json {
        out.json(&json!({
            "file": file, "from": migration.from, "to": migration.to, "changed": true,
            "written": written, "backup": written.then_some(&backup),
            "notes": migration.notes, "diff": migration.diff(file),
            "problems": migration.problems.as_ref().map(|p| &p.problems),
        }))?;
    } else {
        print!("{}", migration.diff(file));
        for note in &migration.notes {
            out.note(format!("note: {note}"));
        }
        if let Some(problems) = &migration.problems {
            msting::config_file::report(out, problems)?;
            out.note("not written: fix the problems above in the file (or tell us about the keys), then migrate again");
        } else if written {
            out.note(format!(
                "{GOOD}migrated{GOOD:#} {} to version {}; the old file is {}",
                file.display(),
                migration.to,
                backup.display()
            ));
        }
    }
    let complete = migration.problems.is_none() && (written || dry_run);
    Ok(if complete { exit::OK } else { exit::FAILURE })
}
