//! `msting images`: the stack's images, and the offline bundle (`save`, `load`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::global::{GlobalArgs, exit};
use msting::images;
use msting::output::{GOOD, Output, WARN};
use msting::stack::spec;

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
    /// Build the images whose recipe changed (all with a recipe, or those named); the image each
    /// replaces is kept as TAG-previous, to roll back to
    Build {
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        #[command(flatten)]
        inputs: super::install::BuildInputs,
    },
    /// Pull the images of the services named (all when none) from their registry, whatever
    /// images.pull says; the image each replaces is kept as TAG-previous
    Pull {
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Make the Debian base image every recipe builds on (debootstrap from this machine's apt
    /// mirror, with the security suite, every package upgraded), named by images.base
    Base,
    /// Write every image of the stack into one file, to carry to a host without a registry
    Save { file: PathBuf },
    /// Load images from a file made by `msting images save`
    Load { file: PathBuf },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: ImagesArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
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
            ImagesCommand::Build { services, inputs } => {
                let mut progress = msting::progress::Progress::new(out, None, "build");
                progress.start("building images");
                let verbose = out.verbose > 0;
                let built =
                    images::build(&docker, &stack, &config.images.base, &inputs.into(), &services, &mut |line| {
                        if verbose {
                            eprintln!("{line}");
                        }
                    })
                    .await;
                let built = match built {
                    Ok(built) => built,
                    Err(error) => {
                        progress.failed(&error);
                        return Err(error);
                    }
                };
                progress.done(&format!("{} image(s)", built.len()));
                if out.json {
                    out.json(&built)?;
                }
                for b in built.iter().filter(|_| !out.json) {
                    let what =
                        if b.outcome == images::Outcome::Built { format!("{GOOD}built{GOOD:#}") } else { "current".to_string() };
                    out.result(format!("{:<8} {:<40} {what}", b.service, b.image));
                }
                Ok(exit::OK)
            }
            ImagesCommand::Pull { services } => {
                let selected = msting::stack::lifecycle::select(&stack, &services, &["dev".to_string()])?;
                let mut failed = 0;
                for service in selected {
                    match images::pull_keeping_previous(&docker, &service.image).await {
                        Ok(what) => {
                            out.result(format!("{:<8} {:<40} {GOOD}{what}{GOOD:#}", service.name, service.image));
                        }
                        Err(error) => {
                            failed += 1;
                            out.warn(format!("{:<8} {:<40} cannot pull: {error:#}", service.name, service.image));
                        }
                    }
                }
                if failed > 0 {
                    out.note("no registry answers: build the images here (`msting images build`) or load a bundle (`msting images load FILE`)");
                }
                Ok(if failed > 0 { exit::FAILURE } else { exit::OK })
            }
            ImagesCommand::Base => {
                let name = config.images.base.clone();
                let mut progress = msting::progress::Progress::new(out, None, "base");
                progress.start(&format!("making {name} with debootstrap"));
                let verbose = out.verbose > 0;
                let made = images::make_base(&docker, &name, &mut |line| {
                    if verbose {
                        eprintln!("{line}");
                    }
                })
                .await;
                match made {
                    Ok(id) => {
                        progress.done(&id);
                        out.result(format!("{GOOD}made{GOOD:#} {name}"));
                        Ok(exit::OK)
                    }
                    Err(error) => {
                        progress.failed(&error);
                        Err(error)
                    }
                }
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
