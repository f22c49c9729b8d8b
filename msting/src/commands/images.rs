//! `msting images`: the stack's images, and the offline bundle (`save`, `load`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::{GlobalArgs, exit};
use crate::images;
use crate::output::{GOOD, Output, WARN};
use crate::stack::spec;

/// The stack's images and the offline bundle
#[derive(Debug, Args)]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Each service's image and whether this engine has it
    List,
    /// Write every image of the stack into one file, to carry to a host without a registry
    Save { file: PathBuf },
    /// Load images from a file made by `msting images save`
    Load { file: PathBuf },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: ImagesArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    crate::vault_access::runtime()?.block_on(async {
        let docker = crate::docker::connect().await?;
        match args.command {
            ImagesCommand::List => {
                let states = images::list(&docker, &stack).await;
                if out.json {
                    out.json(&states)?;
                }
                for s in states.iter().filter(|_| !out.json) {
                    let state = if s.present {
                        format!("{GOOD}present{GOOD:#} {:.0} MB", s.size.unwrap_or(0) as f64 / 1e6)
                    } else {
                        format!("{WARN}missing{WARN:#}")
                    };
                    out.result(format!("{:<8} {:<40} {state}", s.service, s.image));
                }
                let missing = states.iter().any(|s| !s.present);
                Ok(if missing { exit::FAILURE } else { exit::OK })
            }
            ImagesCommand::Save { file } => {
                let bytes = images::save(&docker, &stack, &file).await?;
                out.result(format!("{GOOD}saved{GOOD:#} {} ({:.0} MB)", file.display(), bytes as f64 / 1e6));
                Ok(exit::OK)
            }
            ImagesCommand::Load { file } => {
                for line in images::load(&docker, &file).await? {
                    out.note(line);
                }
                out.result(format!("{GOOD}loaded{GOOD:#} {}", file.display()));
                Ok(exit::OK)
            }
        }
    })
}
