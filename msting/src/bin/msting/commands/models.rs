//! `msting models`: the models folder: list, import, remove, verify.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::global::{GlobalArgs, exit};
use msting::models::{self, Verdict};
use msting::output::{ERROR, GOOD, Output, WARN};

/// The models in the models folder
#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Each model file: architecture, size, quantisation, who uses it
    List,
    /// Copy a GGUF file into the models folder (checked first)
    Import {
        file: PathBuf,
        /// The file name to give it there
        #[arg(long)]
        name: Option<String>,
        /// Replace a file of that name
        #[arg(long)]
        force: bool,
    },
    /// Remove a model file (refused while the config uses it)
    Rm {
        name: String,
        #[arg(long)]
        force: bool,
    },
    /// Check each model's sha256 against the config and the models STING knows
    Verify { name: Option<String> },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: ModelsArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    match args.command {
        ModelsCommand::List => {
            let listed = models::list(&config)?;
            if out.json {
                out.json(&listed)?;
            } else if listed.is_empty() {
                out.result(format!("no models in {}", models::models_dir(&config).display()));
            }
            for m in listed.iter().filter(|_| !out.json) {
                let what = match (&m.architecture, &m.problem) {
                    (Some(arch), _) => format!(
                        "{arch}, {:.0}M parameters, {}",
                        m.parameters.unwrap_or(0) as f64 / 1e6,
                        m.quantization.as_deref().unwrap_or("?")
                    ),
                    (None, Some(problem)) => format!("{ERROR}unusable{ERROR:#}: {problem}"),
                    (None, None) => String::new(),
                };
                let used =
                    if m.used_by.is_empty() { String::new() } else { format!(" (used by {})", m.used_by.join(", ")) };
                out.result(format!("{}  {:.1} MB  {what}{used}", m.file, m.size as f64 / 1e6));
            }
            Ok(exit::OK)
        }
        ModelsCommand::Import { file, name, force } => {
            let target = models::import(&config, &file, name.as_deref(), force)?;
            out.result(format!("{GOOD}imported{GOOD:#} {}", target.display()));
            Ok(exit::OK)
        }
        ModelsCommand::Rm { name, force } => {
            let removed = models::remove(&config, &name, force)?;
            out.result(format!("removed {}", removed.display()));
            Ok(exit::OK)
        }
        ModelsCommand::Verify { name } => {
            let verified = models::verify(&config, name.as_deref())?;
            let bad = verified.iter().any(|v| v.verdict == Verdict::Mismatch);
            if out.json {
                out.json(&verified)?;
            } else {
                for v in &verified {
                    match v.verdict {
                        Verdict::Verified => out.result(format!("{GOOD}ok{GOOD:#}       {}", v.file)),
                        Verdict::Unknown => out.result(format!("{WARN}unknown{WARN:#}  {} (sha256 {})", v.file, v.sha256)),
                        Verdict::Mismatch => out.result(format!(
                            "{ERROR}MISMATCH{ERROR:#} {}: sha256 {}, expected {} (damaged or replaced: import it again)",
                            v.file,
                            v.sha256,
                            v.expected.as_deref().unwrap_or("?")
                        )),
                    }
                }
            }
            Ok(if bad { exit::FAILURE } else { exit::OK })
        }
    }
}
