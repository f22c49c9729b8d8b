//! `msting update [SERVICE...]`: new images in, one service at a time, rolled back on failure.

use clap::Args;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::progress::Progress;
use msting::stack::spec;

/// Update services to their newest images (built where a recipe changed), one at a time with
/// health gating; a failed one returns to its previous image (and the database to a dump taken
/// first, if its schema changed)
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Services to update [default: all]
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    #[command(flatten)]
    pub inputs: super::install::BuildInputs,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: UpdateArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    msting::vault_access::runtime()?.block_on(async {
        let docker = msting::docker::connect().await?;
        let log_dir = spec::absolute(&config, &config.paths.log_dir);
        let mut progress = Progress::new(out, Some(&log_dir), "update");
        let outcome =
            msting::update::run(&docker, &config, &args.services, &args.inputs.into(), out, &mut progress).await?;
        if out.json {
            out.json(&outcome)?;
        } else if outcome.updated.is_empty() {
            out.result(format!("{GOOD}nothing to update{GOOD:#}: every service runs its newest image"));
        } else {
            out.result(format!("{GOOD}updated{GOOD:#} {}", outcome.updated.join(", ")));
            if let Some(dump) = &outcome.dump {
                out.note(format!("the database as it was before: {}", dump.display()));
            }
        }
        Ok(exit::OK)
    })
}
